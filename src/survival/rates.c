/* Event rates by group with Wilson intervals (segkit_rates_by_group): the churn rate of
 * each segment of a customer snapshot. Rows are sorted once by their group key (a
 * comparison over the `by` columns in value order), then each run of equal keys is one
 * group; this keeps groups in a stable, documented order (ascending values, nulls last)
 * whatever the dictionary codes are, and needs no hash table. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survival.h"

struct segkit_group_rates {
  size_t n_by;
  size_t n_groups;
  segkit_group_rate *groups;
  char **texts;              /* n_groups * n_by owned strings */
  segkit_group_rate overall;
  size_t skipped_null;
};

typedef struct rate_ctx {
  const segkit_column *const *by;
  size_t n_by;
} rate_ctx;

/* qsort has no context argument; the comparison reads it from here. One call at a time
 * per thread is enough: the table is read-only and the pointer is set per call. */
static _Thread_local const rate_ctx *sort_ctx;

static int compare_value(const segkit_column *c, size_t a, size_t b) {
  bool va = segkit_column_is_valid(c, a);
  bool vb = segkit_column_is_valid(c, b);
  if (!va || !vb) {
    return va == vb ? 0 : va ? -1 : 1; /* nulls last */
  }
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_STRING: {
    const uint32_t *codes = segkit_column_codes(c);
    if (codes[a] == codes[b]) {
      return 0;
    }
    size_t la;
    size_t lb;
    const char *sa = segkit_column_dict_value(c, codes[a], &la);
    const char *sb = segkit_column_dict_value(c, codes[b], &lb);
    int r = memcmp(sa, sb, la < lb ? la : lb);
    return r != 0 ? r : (la > lb) - (la < lb);
  }
  case SEGKIT_TYPE_BOOL: {
    const uint8_t *v = segkit_column_bool(c);
    return (v[a] > v[b]) - (v[a] < v[b]);
  }
  default: {
    const int64_t *v = segkit_column_int64(c);
    return (v[a] > v[b]) - (v[a] < v[b]);
  }
  }
}

static int compare_rows(const void *pa, const void *pb) {
  size_t a = *(const size_t *)pa;
  size_t b = *(const size_t *)pb;
  for (size_t k = 0; k < sort_ctx->n_by; k++) {
    int r = compare_value(sort_ctx->by[k], a, b);
    if (r != 0) {
      return r;
    }
  }
  return (a > b) - (a < b); /* stable */
}

static char *value_text(const segkit_column *c, size_t row) {
  char buf[32];
  const char *s = buf;
  if (!segkit_column_is_valid(c, row)) {
    s = "(null)";
  } else if (segkit_column_type(c) == SEGKIT_TYPE_STRING) {
    s = segkit_column_dict_value(c, segkit_column_codes(c)[row], NULL);
  } else if (segkit_column_type(c) == SEGKIT_TYPE_BOOL) {
    s = segkit_column_bool(c)[row] ? "true" : "false";
  } else {
    snprintf(buf, sizeof buf, "%" PRId64, segkit_column_int64(c)[row]);
  }
  return strdup(s);
}

static segkit_status find(const segkit_table *t, const char *name, const char *role,
                          const segkit_column **out, segkit_error *err) {
  long i = name != NULL ? segkit_table_column_index(t, name) : -1;
  if (i < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, name,
                               "no column named '%s' (the %s column)", name != NULL ? name : "",
                               role);
  }
  *out = segkit_table_column(t, (size_t)i);
  return SEGKIT_OK;
}

static segkit_status fill_rate(segkit_group_rate *g, double level, int64_t min_n,
                               segkit_error *err) {
  g->rate = g->n > 0 ? (double)g->events / (double)g->n : 0.0;
  g->too_small = g->n < min_n;
  if (g->n == 0) {
    g->ci_low = 0.0;
    g->ci_high = 1.0;
    return SEGKIT_OK;
  }
  return segkit_wilson_interval((uint64_t)g->events, (uint64_t)g->n, level, &g->ci_low,
                                &g->ci_high, err);
}

static int row_is_event(const segkit_column *flag, size_t row, int64_t value_or_code) {
  switch (segkit_column_type(flag)) {
  case SEGKIT_TYPE_BOOL:
    return segkit_column_bool(flag)[row] != 0;
  case SEGKIT_TYPE_STRING:
    return (int64_t)segkit_column_codes(flag)[row] == value_or_code;
  default:
    return segkit_column_int64(flag)[row] == value_or_code;
  }
}

static segkit_status check_columns(const segkit_table *t, const segkit_rate_columns *cols,
                                   const segkit_column **by, const segkit_column **flag,
                                   segkit_error *err) {
  segkit_status st = find(t, cols->flag, "event", flag, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_type ft = segkit_column_type(*flag);
  bool flag_ok = ft == SEGKIT_TYPE_BOOL || ft == SEGKIT_TYPE_INT64 ||
                 (ft == SEGKIT_TYPE_STRING && cols->flag_string != NULL);
  if (!flag_ok) {
    return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, cols->flag,
                               "column '%s' is %s (expected bool, int64 compared with a value, "
                               "or string compared with a value)",
                               cols->flag, segkit_type_name(ft));
  }
  for (size_t k = 0; k < cols->n_by; k++) {
    st = find(t, cols->by[k], "group", &by[k], err);
    if (st != SEGKIT_OK) {
      return st;
    }
    segkit_type bt = segkit_column_type(by[k]);
    if (bt != SEGKIT_TYPE_STRING && bt != SEGKIT_TYPE_INT64 && bt != SEGKIT_TYPE_BOOL) {
      return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, cols->by[k],
                                 "column '%s' is %s (expected string, int64 or bool to group by)",
                                 cols->by[k], segkit_type_name(bt));
    }
  }
  return SEGKIT_OK;
}

void segkit_group_rates_free(segkit_group_rates *r) {
  if (r == NULL) {
    return;
  }
  for (size_t i = 0; i < r->n_groups * r->n_by; i++) {
    free(r->texts[i]);
  }
  free(r->texts);
  free(r->groups);
  free(r);
}

segkit_status segkit_rates_by_group(const segkit_table *t, const segkit_rate_columns *cols,
                                    double level, int64_t min_n, segkit_group_rates **out,
                                    segkit_error *err) {
  if (t == NULL || cols == NULL || out == NULL || (cols->n_by > 0 && cols->by == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "table, columns and out must be given");
  }
  if (cols->n_by > 64) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "at most 64 group columns");
  }
  level = level == 0 ? 0.95 : level;
  min_n = min_n == 0 ? 30 : min_n;
  const segkit_column *by[64];
  const segkit_column *flag = NULL;
  segkit_status st = check_columns(t, cols, by, &flag, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  int64_t event_value = cols->flag_value;
  if (segkit_column_type(flag) == SEGKIT_TYPE_STRING) {
    event_value = segkit_column_dict_find(flag, cols->flag_string, strlen(cols->flag_string));
  }
  size_t n_rows = segkit_table_n_rows(t);
  segkit_group_rates *r = calloc(1, sizeof *r);
  size_t *rows = malloc((n_rows > 0 ? n_rows : 1) * sizeof *rows);
  if (r == NULL || rows == NULL) {
    free(r);
    free(rows);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for %zu rows", n_rows);
  }
  r->n_by = cols->n_by;
  size_t n = 0;
  for (size_t i = 0; i < n_rows; i++) {
    if (!segkit_column_is_valid(flag, i)) {
      r->skipped_null++;
      continue;
    }
    rows[n++] = i;
  }
  rate_ctx ctx = {by, cols->n_by};
  sort_ctx = &ctx;
  qsort(rows, n, sizeof *rows, compare_rows);
  sort_ctx = NULL;
  /* Runs of equal keys are groups. */
  size_t cap = 0;
  for (size_t i = 0; i < n && st == SEGKIT_OK;) {
    size_t j = i + 1;
    sort_ctx = &ctx;
    while (j < n && cols->n_by > 0) {
      bool same = true;
      for (size_t k = 0; k < cols->n_by && same; k++) {
        same = compare_value(by[k], rows[i], rows[j]) == 0;
      }
      if (!same) {
        break;
      }
      j++;
    }
    if (cols->n_by == 0) {
      j = n;
    }
    if (r->n_groups == cap) {
      size_t ncap = cap == 0 ? 16 : cap * 2;
      segkit_group_rate *g = realloc(r->groups, ncap * sizeof *g);
      char **tx = realloc(r->texts, (ncap * r->n_by + 1) * sizeof *tx);
      if (g != NULL) {
        r->groups = g;
      }
      if (tx != NULL) {
        r->texts = tx;
      }
      if (g == NULL || tx == NULL) {
        st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for groups");
        break;
      }
      cap = ncap;
    }
    segkit_group_rate *g = &r->groups[r->n_groups];
    memset(g, 0, sizeof *g);
    for (size_t k = 0; k < r->n_by; k++) {
      r->texts[r->n_groups * r->n_by + k] = value_text(by[k], rows[i]);
    }
    r->n_groups++;
    for (size_t k = 0; k < r->n_by; k++) {
      if (r->texts[(r->n_groups - 1) * r->n_by + k] == NULL) {
        st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for group names");
      }
    }
    g->n = (int64_t)(j - i);
    for (size_t q = i; q < j; q++) {
      g->events += row_is_event(flag, rows[q], event_value);
    }
    r->overall.n += g->n;
    r->overall.events += g->events;
    if (st == SEGKIT_OK) {
      st = fill_rate(g, level, min_n, err);
    }
    i = j;
  }
  sort_ctx = NULL;
  free(rows);
  if (st == SEGKIT_OK) {
    st = fill_rate(&r->overall, level, min_n, err);
  }
  if (st != SEGKIT_OK) {
    segkit_group_rates_free(r);
    return st;
  }
  for (size_t i = 0; i < r->n_groups; i++) {
    r->groups[i].key = (const char *const *)&r->texts[i * r->n_by];
  }
  *out = r;
  return SEGKIT_OK;
}

size_t segkit_group_rates_n(const segkit_group_rates *r) { return r->n_groups; }

const segkit_group_rate *segkit_group_rates_get(const segkit_group_rates *r, size_t i) {
  return i < r->n_groups ? &r->groups[i] : NULL;
}

const segkit_group_rate *segkit_group_rates_overall(const segkit_group_rates *r) {
  return &r->overall;
}

size_t segkit_group_rates_skipped_null(const segkit_group_rates *r) { return r->skipped_null; }
