/* The bridge from a dataset's columns to the survey module's codes: a question's answers
 * become codes 0..levels-1 with a text label per level, and a missing answer -1.
 *
 * Key design choice: levels are the distinct answers in their natural order (numbers
 * numerically, text byte-wise), so a 1-5 scale reads 1, 2, 3, 4, 5 and letters are
 * stable between runs; the labels are the answers as written (the codebook's value labels
 * replace them once survey files carry a codebook into the workspace). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survey.h"
#include "survey_cli.h"

void survey_question_free(survey_question *q) {
  for (uint32_t i = 0; q->labels != NULL && i < q->n_levels; i++) {
    free(q->labels[i]);
  }
  free(q->labels);
  free(q->codes);
  memset(q, 0, sizeof *q);
}

/* The answer of row i as text (NULL for a null), into buf. */
const char *survey_answer_text(const segkit_column *c, size_t i, char *buf, size_t size) {
  if (!segkit_column_is_valid(c, i)) {
    return NULL;
  }
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_INT64:
    snprintf(buf, size, "%lld", (long long)segkit_column_int64(c)[i]);
    return buf;
  case SEGKIT_TYPE_FLOAT64:
    snprintf(buf, size, "%.15g", segkit_column_float64(c)[i]);
    return buf;
  case SEGKIT_TYPE_BOOL:
    snprintf(buf, size, "%s", segkit_column_bool(c)[i] ? "true" : "false");
    return buf;
  case SEGKIT_TYPE_STRING: {
    size_t len = 0;
    return segkit_column_dict_value(c, segkit_column_codes(c)[i], &len);
  }
  default:
    return NULL;
  }
}

double survey_value_at(const segkit_column *c, size_t i) {
  if (!segkit_column_is_valid(c, i)) {
    return NAN;
  }
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_INT64:
    return (double)segkit_column_int64(c)[i];
  case SEGKIT_TYPE_FLOAT64:
    return segkit_column_float64(c)[i];
  case SEGKIT_TYPE_BOOL:
    return segkit_column_bool(c)[i] ? 1.0 : 0.0;
  default:
    return NAN;
  }
}

typedef struct level {
  double v;          /* numeric columns */
  const char *text;  /* string columns (borrowed from the dictionary) */
} level;

static int cmp_numeric(const void *a, const void *b) {
  double x = ((const level *)a)->v;
  double y = ((const level *)b)->v;
  return (x > y) - (x < y);
}

static int cmp_text(const void *a, const void *b) {
  return strcmp(((const level *)a)->text, ((const level *)b)->text);
}

/* The label of level k of a numeric column: the codebook's value label for its code. */
static const char *coded_label(const segkit_codebook *cb, long var, double v) {
  if (cb == NULL || var < 0 || v != floor(v) || fabs(v) > 9e15) {
    return NULL;
  }
  return segkit_codebook_label(cb, (size_t)var, (int64_t)v);
}

int survey_question_from_column(const segkit_table *t, const char *name, const char *verb,
                                const segkit_codebook *cb, survey_question *q) {
  memset(q, 0, sizeof *q);
  long ci = segkit_table_column_index(t, name);
  if (ci < 0) {
    return cli_usage_error(verb, "no column '%s' in the data", name);
  }
  const segkit_column *c = segkit_table_column(t, (size_t)ci);
  segkit_type type = segkit_column_type(c);
  if (type != SEGKIT_TYPE_INT64 && type != SEGKIT_TYPE_FLOAT64 && type != SEGKIT_TYPE_BOOL &&
      type != SEGKIT_TYPE_STRING) {
    return cli_usage_error(verb, "column '%s' holds dates: band it into categories first",
                           name);
  }
  size_t n = segkit_table_n_rows(t);
  q->name = segkit_column_name(c);
  q->n = n;
  q->codes = malloc((n > 0 ? n : 1) * sizeof *q->codes);
  level *lv = malloc((n > 0 ? n : 1) * sizeof *lv);
  if (q->codes == NULL || lv == NULL) {
    free(lv);
    survey_question_free(q);
    return CLI_EXIT_ENV;
  }
  /* distinct values: for a string column its dictionary codes, else sort the values */
  size_t n_lv = 0;
  if (type == SEGKIT_TYPE_STRING) {
    uint32_t dict = segkit_column_dict_size(c);
    for (uint32_t k = 0; k < dict; k++) {
      size_t len = 0;
      lv[n_lv].text = segkit_column_dict_value(c, k, &len);
      lv[n_lv].v = (double)k;
      n_lv++;
    }
    /* keep only values some row uses */
    uint8_t *used = calloc(dict + 1, 1);
    for (size_t i = 0; used != NULL && i < n; i++) {
      if (segkit_column_is_valid(c, i)) {
        used[segkit_column_codes(c)[i]] = 1;
      }
    }
    size_t w = 0;
    for (size_t k = 0; used != NULL && k < n_lv; k++) {
      if (used[(size_t)lv[k].v]) {
        lv[w++] = lv[k];
      }
    }
    n_lv = used != NULL ? w : 0;
    free(used);
    qsort(lv, n_lv, sizeof *lv, cmp_text);
  } else {
    for (size_t i = 0; i < n; i++) {
      double v = survey_value_at(c, i);
      if (!isnan(v)) {
        lv[n_lv++] = (level){.v = v};
      }
    }
    /* a coded question's labelled codes are levels even when nobody chose them */
    long var = cb != NULL ? segkit_codebook_find(cb, name) : -1;
    segkit_survey_type vt = var >= 0 ? segkit_codebook_type(cb, (size_t)var) : SEGKIT_SURVEY_TEXT;
    if (var >= 0 && (vt == SEGKIT_SURVEY_SINGLE || vt == SEGKIT_SURVEY_LIKERT)) {
      size_t nl = segkit_codebook_n_labels(cb, (size_t)var);
      level *more = realloc(lv, (n_lv + nl + 1) * sizeof *lv);
      if (more == NULL) {
        free(lv);
        survey_question_free(q);
        return CLI_EXIT_ENV;
      }
      lv = more;
      for (size_t k = 0; k < nl; k++) {
        const segkit_value_label *vl = segkit_codebook_label_at(cb, (size_t)var, k);
        /* a missing code's label ("don't know") is not an answer: its rows are nulls */
        if (segkit_codebook_missing_find(cb, (size_t)var, (double)vl->code) < 0) {
          lv[n_lv++] = (level){.v = (double)vl->code};
        }
      }
    }
    qsort(lv, n_lv, sizeof *lv, cmp_numeric);
    size_t w = 0;
    for (size_t k = 0; k < n_lv; k++) {
      if (w == 0 || lv[k].v != lv[w - 1].v) {
        lv[w++] = lv[k];
      }
    }
    n_lv = w;
  }
  if (n_lv > SURVEY_MAX_LEVELS) {
    free(lv);
    survey_question_free(q);
    return cli_usage_error(verb, "column '%s' has %zu distinct answers (at most %d: band a "
                                 "numeric question first)", name, n_lv, SURVEY_MAX_LEVELS);
  }
  q->n_levels = (uint32_t)n_lv;
  q->labels = calloc(n_lv + 1, sizeof *q->labels);
  int rc = q->labels == NULL ? CLI_EXIT_ENV : 0;
  char buf[64];
  for (size_t k = 0; rc == 0 && k < n_lv; k++) {
    const char *text = NULL;
    if (type == SEGKIT_TYPE_STRING) {
      text = lv[k].text;
    } else {
      text = coded_label(cb, cb != NULL ? segkit_codebook_find(cb, name) : -1, lv[k].v);
      if (text == NULL) {
        snprintf(buf, sizeof buf, "%.15g", lv[k].v);
        text = buf;
      }
    }
    q->labels[k] = strdup(text != NULL ? text : "");
    rc = q->labels[k] == NULL ? CLI_EXIT_ENV : 0;
  }
  /* code of every row: binary search over the sorted levels */
  uint32_t *by_dict = NULL;
  if (rc == 0 && type == SEGKIT_TYPE_STRING) {
    by_dict = malloc((segkit_column_dict_size(c) + 1) * sizeof *by_dict);
    rc = by_dict == NULL ? CLI_EXIT_ENV : 0;
    for (size_t k = 0; rc == 0 && k < n_lv; k++) {
      by_dict[(size_t)lv[k].v] = (uint32_t)k;
    }
  }
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (!segkit_column_is_valid(c, i)) {
      q->codes[i] = -1;
      continue;
    }
    if (type == SEGKIT_TYPE_STRING) {
      q->codes[i] = (int32_t)by_dict[segkit_column_codes(c)[i]];
      continue;
    }
    double v = survey_value_at(c, i);
    size_t lo = 0, hi = n_lv;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (lv[mid].v < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    q->codes[i] = (int32_t)lo;
  }
  free(by_dict);
  free(lv);
  if (rc != 0) {
    survey_question_free(q);
  }
  return rc;
}

int survey_weights_from_args(cli_args *a, const segkit_table *t, const char *verb,
                             double **out) {
  *out = NULL;
  const char *col = cli_get(a, "weight");
  if (col == NULL && cli_has(a, "weighted")) {
    col = "weight";
  }
  if (col == NULL) {
    return 0;
  }
  long ci = segkit_table_column_index(t, col);
  if (ci < 0) {
    return cli_usage_error(verb, "no weight column '%s' (segkit survey weight NAME --margins "
                                 "FILE stores one as 'weight')", col);
  }
  const segkit_column *c = segkit_table_column(t, (size_t)ci);
  size_t n = segkit_table_n_rows(t);
  double *w = malloc((n > 0 ? n : 1) * sizeof *w);
  if (w == NULL) {
    return CLI_EXIT_ENV;
  }
  for (size_t i = 0; i < n; i++) {
    w[i] = survey_value_at(c, i);
    if (segkit_column_type(c) == SEGKIT_TYPE_STRING || !(w[i] >= 0) || isinf(w[i])) {
      free(w);
      return cli_usage_error(verb, "weight column '%s', row %zu: expected a number >= 0",
                             col, i + 1);
    }
  }
  *out = w;
  return 0;
}

int survey_means_by(const segkit_table *t, const char *col, const survey_question *by,
                    const double *w, const segkit_sig_options *so, segkit_means **out) {
  *out = NULL;
  long ci = segkit_table_column_index(t, col);
  segkit_type ty = ci >= 0 ? segkit_column_type(segkit_table_column(t, (size_t)ci))
                           : SEGKIT_TYPE_STRING;
  if (ci < 0 || (ty != SEGKIT_TYPE_INT64 && ty != SEGKIT_TYPE_FLOAT64)) {
    return cli_usage_error("survey", "'%s' is not a numeric column of the survey", col);
  }
  size_t n = segkit_table_n_rows(t);
  double *y = malloc((n + 1) * sizeof *y);
  if (y == NULL) {
    return CLI_EXIT_ENV;
  }
  for (size_t i = 0; i < n; i++) {
    y[i] = survey_value_at(segkit_table_column(t, (size_t)ci), i);
  }
  segkit_means_input in = {.n = n, .values = y, .col_codes = by->codes,
                           .n_col_levels = by->n_levels, .weights = w};
  segkit_error err;
  int rc = segkit_means_new(&in, so, out, &err) == SEGKIT_OK ? 0 : cli_report(&err);
  free(y);
  return rc;
}
