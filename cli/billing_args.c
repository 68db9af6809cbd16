/* Arguments shared by the billing verbs (mrr, cohorts, metrics, revenue): months given as
 * YYYY-MM and currency rates given inline or as a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* "2025-01" -> month index. */
bool cli_parse_month(const char *s, int32_t *out) {
  int32_t days;
  char buf[16];
  if (strlen(s) != 7) {
    return false;
  }
  snprintf(buf, sizeof buf, "%s-01", s);
  if (!segkit_parse_date(buf, 10, &days)) {
    return false;
  }
  *out = segkit_month_of_day(days);
  return true;
}

void cli_month_text(int32_t m, char *buf, size_t size) {
  int64_t y;
  unsigned mo;
  segkit_month_split(m, &y, &mo);
  snprintf(buf, size, "%04lld-%02u", (long long)y, mo);
}

/* "USD=1,EUR=1.08" or a file of "currency,rate" lines: segkit_mrr_rates_parse. */
bool cli_parse_rates(const char *spec, segkit_mrr_rate *rates, char names[][16], size_t *n) {
  return segkit_mrr_rates_parse(spec, rates, names, CLI_MAX_RATES, n, NULL) == SEGKIT_OK;
}

const char *cli_mapped(const cli_args *a, const char *flag, const char *dflt) {
  const char *v = cli_get(a, flag);
  if (v == NULL) {
    return dflt;
  }
  return strcmp(v, "none") == 0 ? NULL : v;
}

/* Split "plan,billing_interval,tenure_stage": tenure_stage (when allowed and not a column
 * of t) asks for the tenure-stage split instead of naming a column. */
int cli_parse_by(const char *verb, const char *spec, const segkit_table *t, bool allow_stage,
                 cli_by *out) {
  memset(out, 0, sizeof *out);
  if (spec == NULL) {
    return 0;
  }
  out->buf = strdup(spec);
  if (out->buf == NULL) {
    return cli_usage_error(verb, "no memory for --by");
  }
  char *save = NULL;
  for (char *tok = strtok_r(out->buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ') {
      tok++;
    }
    size_t len = strlen(tok);
    while (len > 0 && tok[len - 1] == ' ') {
      tok[--len] = '\0';
    }
    if (len == 0) {
      continue;
    }
    bool is_column = t == NULL || segkit_table_column_index(t, tok) >= 0;
    if (strcmp(tok, "tenure_stage") == 0 && allow_stage && !(t != NULL && is_column)) {
      out->tenure_stage = true;
      continue;
    }
    if (!is_column) {
      int rc = cli_usage_error(verb, "--by: no column named '%s'%s", tok,
                               allow_stage ? " (or use tenure_stage)" : "");
      cli_by_free(out);
      return rc;
    }
    if (out->n == CLI_MAX_BY) {
      cli_by_free(out);
      return cli_usage_error(verb, "--by takes at most %d columns", CLI_MAX_BY);
    }
    out->cols[out->n++] = tok;
  }
  if (out->n == 0 && !out->tenure_stage) {
    cli_by_free(out); /* spec is the caller's string, not buf */
    return cli_usage_error(verb, "--by needs at least one column, not '%s'", spec);
  }
  return 0;
}

void cli_by_free(cli_by *b) {
  free(b->buf);
  memset(b, 0, sizeof *b);
}

bool cli_day_bound(const segkit_table *t, const char *col, bool latest, int32_t *out) {
  long idx = col != NULL ? segkit_table_column_index(t, col) : -1;
  if (idx < 0) {
    return false;
  }
  const segkit_column *c = segkit_table_column(t, (size_t)idx);
  segkit_type ty = segkit_column_type(c);
  if (ty != SEGKIT_TYPE_DATE && ty != SEGKIT_TYPE_TIMESTAMP) {
    return false;
  }
  bool any = false;
  int64_t best = 0;
  for (size_t i = 0; i < segkit_column_n_rows(c); i++) {
    if (!segkit_column_is_valid(c, i)) {
      continue;
    }
    int64_t d;
    if (ty == SEGKIT_TYPE_DATE) {
      d = segkit_column_date(c)[i];
    } else {
      d = segkit_day_of_us(segkit_column_timestamp(c)[i]);
    }
    if (!any || (latest ? d > best : d < best)) {
      best = d;
      any = true;
    }
  }
  if (!any || best < INT32_MIN || best > INT32_MAX) {
    return false;
  }
  *out = (int32_t)best;
  return true;
}
