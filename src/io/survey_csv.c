/* survey_csv.c: CSV survey responses + a codebook -> a typed table, null reasons and the
 * list of bad values.
 *
 * Key choice: the bytes go through the io module's CSV reader (quoting, delimiters, UTF-8,
 * streaming, structural rejects with their lines all come for free), with every codebook
 * column forced to STRING so that no cell is refused for its type: the codebook decides
 * what a cell means, here, cell by cell, so a 7 on a 1-5 scale is reported against its
 * respondent and question instead of rejecting the row. The header is read first, from
 * the file's first row alone, to learn the columns and the delimiter, so the overrides
 * name only columns that exist and a codebook variable without a column is reported
 * against the codebook's line. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"
#include "io/survey_int.h"

/* The header row must end within this many bytes. */
#define HEADER_MAX ((size_t)4 << 20)

/* What a response column is. */
typedef enum col_kind {
  K_PASS = 0,   /* not in the codebook: kept as the CSV reader typed it */
  K_ID,         /* the respondent id: kept as typed, placed first */
  K_CODED,      /* single / likert: int64 codes */
  K_OPTION,     /* one option of a multi: int64 0/1 */
  K_NUMERIC,    /* float64 */
  K_TEXT        /* string */
} col_kind;

typedef struct col_plan {
  col_kind kind;
  long var;
  int64_t option;
} col_plan;

typedef struct sv_csv {
  const char *name;             /* responses file, for errors */
  const segkit_codebook *cb;
  segkit_survey_options opt;
  size_t n_in;                  /* columns in the CSV */
  char **names;                 /* CSV column names, owned */
  col_plan *plan;               /* per CSV column */
  size_t *order;                /* output column -> CSV column */
  char delimiter;
  segkit_error *err;
} sv_csv;

static void sv_csv_free(sv_csv *c) {
  for (size_t i = 0; c->names != NULL && i < c->n_in; i++) {
    free(c->names[i]);
  }
  free(c->names);
  free(c->plan);
  free(c->order);
}

/* ==== header =========================================================================== */

/* Length of the first row (through its LF, quote-aware), or SIZE_MAX if it does not end
 * within n bytes. */
static size_t first_row_len(const char *p, size_t n) {
  bool quoted = false;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '"') {
      quoted = !quoted;
    } else if (p[i] == '\n' && !quoted) {
      return i + 1;
    }
  }
  return SIZE_MAX;
}

/* Column names and delimiter from the header bytes alone (a read of zero data rows). */
static segkit_status read_header(sv_csv *c, const char *p, size_t n) {
  size_t len = first_row_len(p, n);
  if (len == SIZE_MAX) {
    len = n;
  }
  segkit_read_options ro;
  segkit_read_options_init(&ro);
  ro.source_name = c->name;
  ro.n_threads = 1;
  segkit_read_result *r = NULL;
  segkit_status st = segkit_csv_read_buffer(p, len, &ro, &r, c->err);
  if (st != SEGKIT_OK) {
    return st;
  }
  const segkit_table *t = segkit_read_result_table(r);
  c->n_in = segkit_table_n_cols(t);
  c->delimiter = segkit_read_result_delimiter(r);
  c->names = calloc(c->n_in ? c->n_in : 1, sizeof *c->names);
  c->plan = calloc(c->n_in ? c->n_in : 1, sizeof *c->plan);
  c->order = calloc(c->n_in ? c->n_in : 1, sizeof *c->order);
  bool ok = c->names != NULL && c->plan != NULL && c->order != NULL;
  for (size_t i = 0; ok && i < c->n_in; i++) {
    c->names[i] = strdup(segkit_column_name(segkit_table_column(t, i)));
    ok = c->names[i] != NULL;
  }
  segkit_read_result_free(r);
  if (!ok) {
    return segkit_error_set(c->err, SEGKIT_ERR_NOMEM, "out of memory reading %s", c->name);
  }
  return SEGKIT_OK;
}

/* ==== plan: which column is which question ============================================= */

/* "q2_3" -> multi variable q2, option 3, when q2 is multi and 3 a labelled option. */
static bool match_option(const segkit_codebook *cb, const char *col, long *var, int64_t *code) {
  const char *us = strrchr(col, '_');
  if (us == NULL || us == col) {
    return false;
  }
  int64_t k = 0;
  if (sk__parse_int64(us + 1, strlen(us + 1), &k) != SK__NUM_OK) {
    return false;
  }
  size_t base_len = (size_t)(us - col);
  for (size_t v = 0; v < segkit_codebook_n_variables(cb); v++) {
    const char *name = segkit_codebook_name(cb, v);
    if (segkit_codebook_type(cb, v) == SEGKIT_SURVEY_MULTI && strlen(name) == base_len &&
        memcmp(name, col, base_len) == 0 && sk__codebook_has_label(cb, v, k)) {
      *var = (long)v;
      *code = k;
      return true;
    }
  }
  return false;
}

static col_plan plan_column(const sv_csv *c, const char *name) {
  col_plan p = {K_PASS, -1, 0};
  if (c->opt.id_column != NULL && strcmp(name, c->opt.id_column) == 0) {
    p.kind = K_ID;
    p.var = segkit_codebook_find(c->cb, name);
    return p;
  }
  long v = segkit_codebook_find(c->cb, name);
  if (v >= 0 && segkit_codebook_type(c->cb, (size_t)v) != SEGKIT_SURVEY_MULTI) {
    segkit_survey_type t = segkit_codebook_type(c->cb, (size_t)v);
    p.kind = t == SEGKIT_SURVEY_NUMERIC ? K_NUMERIC : t == SEGKIT_SURVEY_TEXT ? K_TEXT : K_CODED;
    p.var = v;
    return p;
  }
  if (match_option(c->cb, name, &p.var, &p.option)) {
    p.kind = K_OPTION;
  }
  return p;
}

static bool has_column(const sv_csv *c, const char *name) {
  for (size_t i = 0; i < c->n_in; i++) {
    if (strcmp(c->names[i], name) == 0) {
      return true;
    }
  }
  return false;
}

static segkit_status no_column(const sv_csv *c, size_t v, const char *col) {
  return segkit_error_set_at(c->err, SEGKIT_ERR_SCHEMA, c->name, 1, 0, col,
                             "codebook variable '%s' (codebook line %lld) has no column '%s' "
                             "in the responses (expected a column of that name in the header)",
                             segkit_codebook_name(c->cb, v),
                             (long long)segkit_codebook_line(c->cb, v), col);
}

/* Every codebook variable (and every option of a multi) has its column. */
static segkit_status check_coverage(const sv_csv *c) {
  char col[512];
  for (size_t v = 0; v < segkit_codebook_n_variables(c->cb); v++) {
    const char *name = segkit_codebook_name(c->cb, v);
    if (segkit_codebook_type(c->cb, v) != SEGKIT_SURVEY_MULTI) {
      if (!has_column(c, name)) {
        return no_column(c, v, name);
      }
      continue;
    }
    for (size_t i = 0; i < segkit_codebook_n_labels(c->cb, v); i++) {
      int64_t code = segkit_codebook_label_at(c->cb, v, i)->code;
      if (!sk__codebook_has_label(c->cb, v, code)) {
        continue;
      }
      snprintf(col, sizeof col, "%s_%" PRId64, name, code);
      if (!has_column(c, col)) {
        return no_column(c, v, col);
      }
    }
  }
  return SEGKIT_OK;
}

static segkit_status make_plan(sv_csv *c) {
  long id_at = -1;
  for (size_t i = 0; i < c->n_in; i++) {
    c->plan[i] = plan_column(c, c->names[i]);
    if (c->plan[i].kind == K_ID) {
      id_at = (long)i;
    }
  }
  if (c->opt.id_column != NULL && id_at < 0) {
    return segkit_error_set_at(c->err, SEGKIT_ERR_SCHEMA, c->name, 1, 0, c->opt.id_column,
                               "no respondent id column '%s' in the header (expected one of "
                               "the header's names)",
                               c->opt.id_column);
  }
  size_t k = 0;
  if (id_at >= 0) {
    c->order[k++] = (size_t)id_at;
  }
  for (size_t i = 0; i < c->n_in; i++) {
    if ((long)i != id_at) {
      c->order[k++] = i;
    }
  }
  return check_coverage(c);
}

/* ==== the full read ==================================================================== */

static segkit_status read_all(sv_csv *c, const char *path, const char *data, size_t size,
                              segkit_read_result **out) {
  segkit_type_override *ov = calloc(c->n_in ? c->n_in : 1, sizeof *ov);
  if (ov == NULL) {
    return segkit_error_set(c->err, SEGKIT_ERR_NOMEM, "out of memory reading %s", c->name);
  }
  size_t n_ov = 0;
  for (size_t i = 0; i < c->n_in; i++) {
    col_kind k = c->plan[i].kind;
    if (k == K_CODED || k == K_OPTION || k == K_NUMERIC || k == K_TEXT) {
      ov[n_ov].column = c->names[i];
      ov[n_ov].type = SEGKIT_TYPE_STRING;
      n_ov++;
    }
  }
  segkit_read_options ro;
  segkit_read_options_init(&ro);
  ro.delimiter = c->delimiter;
  ro.types = ov;
  ro.n_types = n_ov;
  ro.keep_row_lines = true;
  ro.source_name = c->name;
  ro.on_error = c->opt.on_error == SEGKIT_ON_ERROR_FAIL ? SEGKIT_ON_ERROR_FAIL
                                                          : SEGKIT_ON_ERROR_QUARANTINE;
  segkit_status st = path != NULL ? segkit_csv_read(path, &ro, out, c->err)
                                  : segkit_csv_read_buffer(data, size, &ro, out, c->err);
  free(ov);
  return st;
}

/* ==== converting cells ================================================================= */

typedef struct conv {
  sv_csv *c;
  const segkit_table *in;
  const segkit_read_result *rr;
  segkit_survey_data *d;
  segkit_table_builder *b;
  char respondent[SK__SV_VALUE_MAX + 8];
} conv;

/* The respondent id of row r as text ("" when none). */
static void respondent_text(conv *v, size_t row) {
  v->respondent[0] = '\0';
  if (v->c->opt.id_column == NULL) {
    return;
  }
  const segkit_column *col = segkit_table_column(v->in, v->c->order[0]);
  if (!segkit_column_is_valid(col, row)) {
    return;
  }
  switch (segkit_column_type(col)) {
  case SEGKIT_TYPE_INT64:
    snprintf(v->respondent, sizeof v->respondent, "%" PRId64, segkit_column_int64(col)[row]);
    break;
  case SEGKIT_TYPE_FLOAT64:
    snprintf(v->respondent, sizeof v->respondent, "%.17g", segkit_column_float64(col)[row]);
    break;
  case SEGKIT_TYPE_STRING: {
    size_t n = 0;
    const char *s = segkit_column_dict_value(col, segkit_column_codes(col)[row], &n);
    size_t m = n < SK__SV_VALUE_MAX ? n : SK__SV_VALUE_MAX;
    memcpy(v->respondent, s, m);
    v->respondent[m] = '\0';
    break;
  }
  default:
    break;
  }
}

/* A bad cell: FAIL ends the read; otherwise it is counted and listed. */
static segkit_status bad_cell(conv *v, size_t row, size_t in_col, const char *s, size_t n,
                              segkit_survey_bad_reason why, const char *what) {
  char q[SK__SV_VALUE_MAX + 16];
  sk__sv_quote(q, sizeof q, s, n);
  const char *var = v->c->names[in_col];
  int64_t line = segkit_read_result_row_line(v->rr, row);
  char msg[768];
  snprintf(msg, sizeof msg, "%s%s%s%s: %s %s", v->respondent[0] ? "respondent " : "",
           v->respondent, v->respondent[0] ? ", " : "", var, q, what);
  if (v->c->opt.on_error == SEGKIT_ON_ERROR_FAIL) {
    return segkit_error_set_at(v->c->err, SEGKIT_ERR_PARSE, v->c->name, line, 0, var, "%s",
                               msg);
  }
  char raw[SK__SV_VALUE_MAX + 1];
  size_t m = n < SK__SV_VALUE_MAX ? n : SK__SV_VALUE_MAX;
  memcpy(raw, s, m);
  raw[m] = '\0';
  if (!sk__bad_list_add(&v->d->bad, (int64_t)row, line,
                        v->respondent[0] ? v->respondent : NULL, var, raw, why, msg)) {
    return segkit_error_set(v->c->err, SEGKIT_ERR_NOMEM, "out of memory listing bad values");
  }
  return SEGKIT_OK;
}

/* Range text for messages: "1..5", "18..", "..99". */
static void range_text(char *buf, size_t size, double lo, double hi) {
  char a[32] = "";
  char b[32] = "";
  if (!isnan(lo)) {
    snprintf(a, sizeof a, "%.15g", lo);
  }
  if (!isnan(hi)) {
    snprintf(b, sizeof b, "%.15g", hi);
  }
  snprintf(buf, size, "%s..%s", a, b);
}

static bool in_range(const segkit_codebook *cb, size_t var, double x) {
  double lo = segkit_codebook_range_lo(cb, var);
  double hi = segkit_codebook_range_hi(cb, var);
  return !(x < lo) && !(x > hi); /* NaN bounds compare false: unbounded */
}

/* The outcome of one cell of a coded / numeric column. */
typedef struct cell {
  bool valid;
  sk__value val;
  uint16_t reason;
  double missing_value;
} cell;

static segkit_status check_code(conv *v, size_t row, size_t in_col, const col_plan *p,
                                const char *s, size_t n, int64_t code, cell *out) {
  const segkit_codebook *cb = v->c->cb;
  size_t var = (size_t)p->var;
  char what[256];
  if (p->kind == K_OPTION && code != 0 && code != 1) {
    return bad_cell(v, row, in_col, s, n, SEGKIT_SURVEY_BAD_NOT_BINARY,
                    "is not 0 or 1 (expected 1 = chosen, 0 = not chosen, or a missing code)");
  }
  segkit_survey_type t = segkit_codebook_type(cb, var);
  if (p->kind == K_CODED && t == SEGKIT_SURVEY_LIKERT && !in_range(cb, var, (double)code)) {
    char r[80];
    range_text(r, sizeof r, segkit_codebook_range_lo(cb, var), segkit_codebook_range_hi(cb, var));
    snprintf(what, sizeof what, "is outside the scale %s (expected a code in %s or a missing "
             "code)", r, r);
    return bad_cell(v, row, in_col, s, n, SEGKIT_SURVEY_BAD_OUT_OF_RANGE, what);
  }
  if (p->kind == K_CODED && segkit_codebook_exhaustive(cb, var) &&
      !sk__codebook_has_label(cb, var, code)) {
    return bad_cell(v, row, in_col, s, n, SEGKIT_SURVEY_BAD_UNKNOWN_CODE,
                    "is not a code of the codebook (expected one of its labelled codes or a "
                    "missing code)");
  }
  out->valid = true;
  out->val.i = code;
  out->reason = SEGKIT_SURVEY_ANSWERED;
  return SEGKIT_OK;
}

/* Decide a coded / option / numeric cell. A bad one leaves out->reason = BAD. */
static segkit_status decide(conv *v, size_t row, size_t in_col, const char *s, size_t n,
                            cell *out) {
  const col_plan *p = &v->c->plan[in_col];
  const segkit_codebook *cb = v->c->cb;
  size_t var = (size_t)p->var;
  *out = (cell){false, {0}, SEGKIT_SURVEY_BAD, NAN};
  sk__trim(&s, &n);
  if (n == 0) {
    out->reason = SEGKIT_SURVEY_BLANK;
    return SEGKIT_OK;
  }
  double x = 0;
  if (sk__parse_float64(s, n, &x) != SK__NUM_OK) {
    const char *what = p->kind == K_NUMERIC ? "is not a number (expected a number or a "
                                              "missing code)"
                                            : "is not a code (expected an integer code)";
    return bad_cell(v, row, in_col, s, n, SEGKIT_SURVEY_BAD_NOT_A_NUMBER, what);
  }
  long m = segkit_codebook_missing_find(cb, var, x);
  if (m >= 0) {
    out->reason = (uint16_t)(m + 1);
    out->missing_value = x;
    return SEGKIT_OK;
  }
  if (p->kind == K_NUMERIC) {
    if (!in_range(cb, var, x)) {
      char r[80];
      char what[320];
      range_text(r, sizeof r, segkit_codebook_range_lo(cb, var), segkit_codebook_range_hi(cb, var));
      snprintf(what, sizeof what, "is outside the valid range %s (expected a number in %s or "
               "a missing code)", r, r);
      return bad_cell(v, row, in_col, s, n, SEGKIT_SURVEY_BAD_OUT_OF_RANGE, what);
    }
    out->valid = true;
    out->val.f = x;
    out->reason = SEGKIT_SURVEY_ANSWERED;
    return SEGKIT_OK;
  }
  int64_t code = 0;
  if (sk__parse_int64(s, n, &code) != SK__NUM_OK) {
    return bad_cell(v, row, in_col, s, n, SEGKIT_SURVEY_BAD_NOT_INTEGER,
                    "is not an integer code (expected an integer code)");
  }
  return check_code(v, row, in_col, p, s, n, code, out);
}

/* ==== output columns =================================================================== */

static segkit_type out_type(const sv_csv *c, const segkit_table *in, size_t in_col) {
  switch (c->plan[in_col].kind) {
  case K_CODED:
  case K_OPTION:
    return SEGKIT_TYPE_INT64;
  case K_NUMERIC:
    return SEGKIT_TYPE_FLOAT64;
  case K_TEXT:
    return SEGKIT_TYPE_STRING;
  default:
    return segkit_column_type(segkit_table_column(in, in_col));
  }
}

/* Append row `row` of an input column unchanged. */
static segkit_status copy_cell(segkit_column_builder *cb, const segkit_column *col, size_t row) {
  if (!segkit_column_is_valid(col, row)) {
    return segkit_column_append_null(cb);
  }
  switch (segkit_column_type(col)) {
  case SEGKIT_TYPE_INT64:
    return segkit_column_append_int64(cb, segkit_column_int64(col)[row]);
  case SEGKIT_TYPE_TIMESTAMP:
    return segkit_column_append_int64(cb, segkit_column_timestamp(col)[row]);
  case SEGKIT_TYPE_FLOAT64:
    return segkit_column_append_float64(cb, segkit_column_float64(col)[row]);
  case SEGKIT_TYPE_BOOL:
    return segkit_column_append_bool(cb, segkit_column_bool(col)[row] != 0);
  case SEGKIT_TYPE_DATE:
    return segkit_column_append_date(cb, segkit_column_date(col)[row]);
  case SEGKIT_TYPE_STRING: {
    size_t n = 0;
    const char *s = segkit_column_dict_value(col, segkit_column_codes(col)[row], &n);
    return segkit_column_append_string(cb, s, n);
  }
  default:
    return SEGKIT_ERR_INTERNAL;
  }
}

static segkit_status put_cell_raw(conv *v, size_t out_col, size_t row, bool *decided) {
  size_t in_col = v->c->order[out_col];
  const col_plan *p = &v->c->plan[in_col];
  const segkit_column *col = segkit_table_column(v->in, in_col);
  segkit_column_builder *cb = segkit_table_builder_column(v->b, out_col);
  sk__survey_col *sc = &v->d->cols[out_col];
  if (p->kind == K_PASS || p->kind == K_ID || p->kind == K_TEXT) {
    if (sc->reasons != NULL) {
      sc->reasons[row] = segkit_column_is_valid(col, row) ? SEGKIT_SURVEY_ANSWERED
                                                          : SEGKIT_SURVEY_BLANK;
    }
    return copy_cell(cb, col, row);
  }
  size_t n = 0;
  const char *s = "";
  if (segkit_column_is_valid(col, row)) {
    s = segkit_column_dict_value(col, segkit_column_codes(col)[row], &n);
  }
  cell c;
  segkit_status st = decide(v, row, in_col, s, n, &c);
  if (st != SEGKIT_OK) {
    *decided = true; /* decide() filled the error */
    return st;
  }
  sc->reasons[row] = c.reason;
  if (!isnan(c.missing_value)) {
    if (sc->missing_values == NULL) {
      sc->missing_values = malloc((v->d->n_rows ? v->d->n_rows : 1) * sizeof(double));
      if (sc->missing_values == NULL) {
        return SEGKIT_ERR_NOMEM;
      }
      for (size_t i = 0; i < v->d->n_rows; i++) {
        sc->missing_values[i] = NAN;
      }
    }
    sc->missing_values[row] = c.missing_value;
  }
  if (!c.valid) {
    return segkit_column_append_null(cb);
  }
  return p->kind == K_NUMERIC ? segkit_column_append_float64(cb, c.val.f)
                              : segkit_column_append_int64(cb, c.val.i);
}

/* One cell; failures of the builder (memory) get an error here. */
static segkit_status put_cell(conv *v, size_t out_col, size_t row) {
  bool decided = false;
  segkit_status st = put_cell_raw(v, out_col, row, &decided);
  if (st != SEGKIT_OK && !decided) {
    return segkit_error_set(v->c->err, st, "cannot build the responses table of %s (%s)",
                            v->c->name, segkit_status_message(st));
  }
  return st;
}

static segkit_status make_builder(conv *v) {
  size_t n = v->c->n_in;
  const char **names = calloc(n ? n : 1, sizeof *names);
  segkit_type *types = calloc(n ? n : 1, sizeof *types);
  if (names == NULL || types == NULL) {
    free(names);
    free(types);
    return segkit_error_set(v->c->err, SEGKIT_ERR_NOMEM, "out of memory reading %s", v->c->name);
  }
  for (size_t k = 0; k < n; k++) {
    names[k] = v->c->names[v->c->order[k]];
    types[k] = out_type(v->c, v->in, v->c->order[k]);
  }
  segkit_status st = segkit_table_builder_new(n, names, types, &v->b, v->c->err);
  free(names);
  free(types);
  if (st == SEGKIT_OK) {
    st = segkit_table_builder_reserve(v->b, v->d->n_rows, v->c->err);
  }
  return st;
}

/* Columns' variables and reason arrays. */
static segkit_status prepare_columns(conv *v) {
  for (size_t k = 0; k < v->c->n_in; k++) {
    const col_plan *p = &v->c->plan[v->c->order[k]];
    sk__survey_col *sc = &v->d->cols[k];
    sc->var = p->var;
    sc->option = p->option;
    if (p->var < 0) {
      continue;
    }
    sc->reasons = calloc(v->d->n_rows ? v->d->n_rows : 1, sizeof *sc->reasons);
    if (sc->reasons == NULL) {
      return segkit_error_set(v->c->err, SEGKIT_ERR_NOMEM, "out of memory reading %s",
                              v->c->name);
    }
  }
  return SEGKIT_OK;
}

/* Structural rejects of the CSV reader become BAD_ROW entries. */
static segkit_status carry_rejects(conv *v) {
  for (size_t i = 0; i < segkit_read_result_n_rejects(v->rr); i++) {
    const segkit_reject *rj = segkit_read_result_reject(v->rr, i);
    char raw[SK__SV_VALUE_MAX + 1];
    size_t m = rj->raw_len < SK__SV_VALUE_MAX ? rj->raw_len : SK__SV_VALUE_MAX;
    memcpy(raw, rj->raw, m);
    raw[m] = '\0';
    if (!sk__bad_list_add(&v->d->bad, -1, rj->line, NULL, rj->field, raw,
                          SEGKIT_SURVEY_BAD_ROW, rj->message)) {
      return segkit_error_set(v->c->err, SEGKIT_ERR_NOMEM, "out of memory listing bad rows");
    }
  }
  return SEGKIT_OK;
}

static segkit_status convert(conv *v) {
  segkit_status st = prepare_columns(v);
  if (st == SEGKIT_OK) {
    st = carry_rejects(v);
  }
  if (st == SEGKIT_OK) {
    st = make_builder(v);
  }
  for (size_t row = 0; st == SEGKIT_OK && row < v->d->n_rows; row++) {
    respondent_text(v, row);
    for (size_t k = 0; st == SEGKIT_OK && k < v->c->n_in; k++) {
      st = put_cell(v, k, row);
    }
  }
  if (st == SEGKIT_OK) {
    st = segkit_table_builder_finish(v->b, &v->d->table, v->c->err);
  }
  if (st == SEGKIT_OK) {
    v->b = NULL;
  }
  return st;
}

/* ==== entry points ===================================================================== */

/* head[0..head_len): the first bytes (for the header); the rows come from path, or from
 * data[0..size) when path is NULL. */
static segkit_status survey_csv(const char *path, const char *head, size_t head_len,
                                const char *data, size_t size, const char *name,
                                const segkit_codebook *cb, const segkit_survey_options *opt,
                                segkit_survey_data **out, segkit_error *err) {
  sv_csv c;
  memset(&c, 0, sizeof c);
  c.name = name;
  c.cb = cb;
  c.err = err;
  sk__survey_options_resolve(opt, &c.opt);
  segkit_status st = read_header(&c, head, head_len);
  if (st == SEGKIT_OK) {
    st = make_plan(&c);
  }
  segkit_read_result *rr = NULL;
  if (st == SEGKIT_OK) {
    st = read_all(&c, path, data, size, &rr);
  }
  conv v;
  memset(&v, 0, sizeof v);
  v.c = &c;
  v.rr = rr;
  if (st == SEGKIT_OK) {
    v.in = segkit_read_result_table(rr);
    st = sk__survey_data_alloc(c.n_in, &v.d, err);
  }
  if (st == SEGKIT_OK) {
    v.d->n_rows = segkit_table_n_rows(v.in);
    v.d->bad.max_listed = c.opt.max_bad_listed;
    st = sk__codebook_clone(cb, &v.d->codebook, err);
  }
  if (st == SEGKIT_OK) {
    st = convert(&v);
  }
  segkit_table_builder_free(v.b);
  segkit_read_result_free(rr);
  sv_csv_free(&c);
  if (st != SEGKIT_OK) {
    segkit_survey_data_free(v.d);
    return st;
  }
  *out = v.d;
  return SEGKIT_OK;
}

segkit_status segkit_survey_read_csv_buffer(const char *data, size_t size, const char *name,
                                            const segkit_codebook *cb,
                                            const segkit_survey_options *opt,
                                            segkit_survey_data **out, segkit_error *err) {
  if (cb == NULL || out == NULL || (data == NULL && size > 0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segkit_survey_read_csv_buffer: data, a codebook and out are "
                            "required");
  }
  const char *p = data != NULL ? data : "";
  return survey_csv(NULL, p, size, p, size, name != NULL ? name : "<input>", cb, opt, out,
                    err);
}

segkit_status segkit_survey_read_csv(const char *path, const segkit_codebook *cb,
                                     const segkit_survey_options *opt,
                                     segkit_survey_data **out, segkit_error *err) {
  if (path == NULL || cb == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segkit_survey_read_csv: a path, a codebook and out are required");
  }
  sk__source src;
  segkit_status st = sk__source_open_file(&src, path, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  size_t n = src.size < HEADER_MAX ? (size_t)src.size : HEADER_MAX;
  char *head = malloc(n + 1);
  size_t got = 0;
  if (head == NULL) {
    st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory reading %s", path);
  } else {
    st = sk__source_read(&src, 0, head, n, &got, err);
  }
  sk__source_close(&src);
  if (st == SEGKIT_OK && got == HEADER_MAX && first_row_len(head, got) == SIZE_MAX) {
    st = segkit_error_set_at(err, SEGKIT_ERR_LIMIT, path, 1, 0, NULL,
                             "the header row does not end within %zu bytes", HEADER_MAX);
  }
  if (st == SEGKIT_OK) {
    st = survey_csv(path, head, got, NULL, 0, path, cb, opt, out, err);
  }
  free(head);
  return st;
}
