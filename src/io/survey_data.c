/* survey_data.c: the result of a survey read: the responses table, the codebook, why each
 * null is null, and the list of bad values.
 *
 * Key choice: null reasons are one uint16 per row per coded column (0 = answered, k = the
 * variable's missing code k - 1, two sentinels for blank and bad), next to the table
 * rather than inside it, so the table stays an ordinary segkit_table every module can
 * read, while a crosstab that wants "don't know" as a row of its own finds it here. The
 * value a missing code had is kept too (a double per row, only for columns where a
 * missing code occurred), so an SPSS range 97..99 does not lose which of them it was. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"
#include "io/survey_int.h"

static const char *const bad_ids[SEGKIT_SURVEY_BAD_COUNT] = {
    "not_a_number", "not_integer", "unknown_code", "out_of_range", "not_binary", "bad_row"};

const char *segkit_survey_bad_reason_id(segkit_survey_bad_reason r) {
  if ((unsigned)r >= SEGKIT_SURVEY_BAD_COUNT) {
    return "?";
  }
  return bad_ids[r];
}

void segkit_survey_options_init(segkit_survey_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->on_error = SEGKIT_ON_ERROR_QUARANTINE;
  opt->max_bad_listed = SK__SV_MAX_BAD_LISTED;
}

void sk__survey_options_resolve(const segkit_survey_options *in, segkit_survey_options *out) {
  if (in == NULL) {
    segkit_survey_options_init(out);
    return;
  }
  *out = *in;
  if (out->max_bad_listed == 0) {
    out->max_bad_listed = SK__SV_MAX_BAD_LISTED;
  }
}

void sk__sv_quote(char *dst, size_t size, const char *s, size_t n) {
  if (size < 3) {
    if (size > 0) {
      dst[0] = '\0';
    }
    return;
  }
  dst[0] = '"';
  size_t k = sk__quote_value(dst + 1, size - 2, s != NULL ? s : "", s != NULL ? n : 0,
                             SK__SV_VALUE_MAX);
  dst[1 + k] = '"';
  dst[2 + k] = '\0';
}

/* ==== bad values ======================================================================= */

void sk__bad_list_free(sk__bad_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free((char *)l->v[i].message); /* the entry's block starts with its message */
  }
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* Copies s into the block at *at; returns the copy (NULL stays NULL). */
static const char *put_str(char **at, const char *s) {
  if (s == NULL) {
    return NULL;
  }
  size_t n = strlen(s) + 1;
  memcpy(*at, s, n);
  const char *r = *at;
  *at += n;
  return r;
}

static size_t len0(const char *s) {
  return s != NULL ? strlen(s) + 1 : 0;
}

bool sk__bad_list_add(sk__bad_list *l, int64_t row, int64_t line, const char *respondent,
                      const char *variable, const char *value, segkit_survey_bad_reason r,
                      const char *message) {
  l->n_counted++;
  l->by_reason[r]++;
  if (l->n >= l->max_listed) {
    return true;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    segkit_survey_bad_value *nv = realloc(l->v, cap * sizeof *nv);
    if (nv == NULL) {
      return false;
    }
    l->v = nv;
    l->cap = cap;
  }
  const char *msg = message != NULL ? message : "";
  char *block = malloc(len0(msg) + len0(respondent) + len0(variable) + len0(value));
  if (block == NULL) {
    return false;
  }
  char *at = block;
  segkit_survey_bad_value *b = &l->v[l->n];
  b->message = put_str(&at, msg);
  b->respondent = put_str(&at, respondent);
  b->variable = put_str(&at, variable);
  b->value = put_str(&at, value);
  b->row = row;
  b->line = line;
  b->reason = r;
  l->n++;
  return true;
}

/* ==== the result object ================================================================ */

segkit_status sk__survey_data_alloc(size_t n_cols, segkit_survey_data **out,
                                    segkit_error *err) {
  segkit_survey_data *d = calloc(1, sizeof *d);
  sk__survey_col *cols = calloc(n_cols ? n_cols : 1, sizeof *cols);
  if (d == NULL || cols == NULL) {
    free(d);
    free(cols);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for survey data");
  }
  for (size_t i = 0; i < n_cols; i++) {
    cols[i].var = -1;
  }
  d->cols = cols;
  d->n_cols = n_cols;
  *out = d;
  return SEGKIT_OK;
}

void segkit_survey_data_free(segkit_survey_data *d) {
  if (d == NULL) {
    return;
  }
  segkit_table_free(d->table);
  segkit_codebook_free(d->codebook);
  for (size_t i = 0; i < d->n_cols; i++) {
    free(d->cols[i].reasons);
    free(d->cols[i].missing_values);
  }
  free(d->cols);
  sk__bad_list_free(&d->bad);
  free(d);
}

const segkit_table *segkit_survey_data_table(const segkit_survey_data *d) {
  return d->table;
}

segkit_table *segkit_survey_data_take_table(segkit_survey_data *d) {
  segkit_table *t = d->table;
  d->table = NULL;
  return t;
}

const segkit_codebook *segkit_survey_data_codebook(const segkit_survey_data *d) {
  return d->codebook;
}

segkit_codebook *segkit_survey_data_take_codebook(segkit_survey_data *d) {
  segkit_codebook *cb = d->codebook;
  d->codebook = NULL;
  return cb;
}

long segkit_survey_data_variable_of(const segkit_survey_data *d, size_t col,
                                    int64_t *option_code) {
  if (col >= d->n_cols) {
    return -1;
  }
  if (option_code != NULL) {
    *option_code = d->cols[col].option;
  }
  return d->cols[col].var;
}

const uint16_t *segkit_survey_data_reasons(const segkit_survey_data *d, size_t col) {
  return col < d->n_cols ? d->cols[col].reasons : NULL;
}

size_t segkit_survey_data_reason_count(const segkit_survey_data *d, size_t col,
                                       uint16_t reason) {
  const uint16_t *r = segkit_survey_data_reasons(d, col);
  size_t n = 0;
  for (size_t i = 0; r != NULL && i < d->n_rows; i++) {
    n += r[i] == reason;
  }
  return n;
}

double segkit_survey_data_missing_value(const segkit_survey_data *d, size_t col, size_t row) {
  if (col >= d->n_cols || row >= d->n_rows || d->cols[col].missing_values == NULL) {
    return NAN;
  }
  return d->cols[col].missing_values[row];
}

size_t segkit_survey_data_n_bad(const segkit_survey_data *d) {
  return d->bad.n_counted;
}

size_t segkit_survey_data_n_bad_listed(const segkit_survey_data *d) {
  return d->bad.n;
}

const segkit_survey_bad_value *segkit_survey_data_bad_at(const segkit_survey_data *d,
                                                         size_t i) {
  return i < d->bad.n ? &d->bad.v[i] : NULL;
}

size_t segkit_survey_data_n_bad_by_reason(const segkit_survey_data *d,
                                          segkit_survey_bad_reason r) {
  return (unsigned)r < SEGKIT_SURVEY_BAD_COUNT ? d->bad.by_reason[r] : 0;
}

size_t segkit_survey_data_n_labels_skipped(const segkit_survey_data *d) {
  return d->n_labels_skipped;
}
