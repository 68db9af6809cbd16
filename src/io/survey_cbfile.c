/* survey_cbfile.c: the codebook file parser (format documented in segkit/survey_file.h).
 *
 * Key choice: the codebook has its own small RFC 4180 tokenizer instead of going through
 * the table CSV reader, because every error must point at the exact line and byte column
 * of the offending field (the CSV reader reports a row's line, and types whole columns),
 * and a codebook is small (thousands of lines), so a simple byte loop over a buffer is
 * plenty. Everything is checked: header, field counts, quoting, UTF-8, row kinds, integer
 * codes, duplicates, ranges, and at the end that every coded question has labels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"
#include "io/survey_int.h"

/* A codebook field longer than this is refused (a question text is a few hundred bytes). */
#define CB_MAX_FIELD ((size_t)1 << 20)
/* Codebook files larger than this are refused before reading. */
#define CB_MAX_FILE ((size_t)256 << 20)

enum { F_VARIABLE = 0, F_QUESTION, F_TYPE, F_CODE, F_LABEL, F_MISSING, N_FIELDS };

static const char *const field_names[N_FIELDS] = {"variable", "question", "type",
                                                  "code",     "label",    "missing"};

typedef struct cb_field {
  char *text;      /* unquoted, NUL-terminated, owned */
  size_t len;
  int64_t line;
  int64_t column;
} cb_field;

typedef struct cb_parser {
  const char *name;
  const uint8_t *p;
  size_t n;
  size_t pos;
  int64_t line;           /* 1-based line of pos */
  size_t line_start;      /* offset of the start of that line */
  cb_field f[N_FIELDS];
  size_t n_fields;        /* fields in the current row (may exceed N_FIELDS) */
  int64_t row_line;
  segkit_error *err;
} cb_parser;

static int64_t col_of(const cb_parser *ps, size_t off) {
  return (int64_t)(off - ps->line_start) + 1;
}

static segkit_status fail_at(cb_parser *ps, int64_t line, int64_t col, const char *field,
                             const char *fmt, const char *a, const char *b) {
  return segkit_error_set_at(ps->err, SEGKIT_ERR_PARSE, ps->name, line, col, field, fmt, a, b);
}

static void fields_clear(cb_parser *ps) {
  for (size_t i = 0; i < N_FIELDS; i++) {
    free(ps->f[i].text);
    ps->f[i].text = NULL;
    ps->f[i].len = 0;
  }
  ps->n_fields = 0;
}

/* ==== tokenizer ======================================================================== */

/* Grows a byte buffer for one field. */
typedef struct cb_buf {
  char *b;
  size_t n, cap;
} cb_buf;

static bool buf_put(cb_buf *bf, const uint8_t *s, size_t n) {
  if (bf->cap - bf->n < n + 1) {
    size_t cap = bf->cap ? bf->cap : 64;
    while (cap - bf->n < n + 1) {
      cap *= 2;
    }
    char *nb = realloc(bf->b, cap);
    if (nb == NULL) {
      return false;
    }
    bf->b = nb;
    bf->cap = cap;
  }
  memcpy(bf->b + bf->n, s, n);
  bf->n += n;
  bf->b[bf->n] = '\0';
  return true;
}

static void newline_at(cb_parser *ps, size_t off) {
  ps->line++;
  ps->line_start = off + 1;
}

/* Read a quoted field starting at the quote at ps->pos into bf. */
static segkit_status read_quoted(cb_parser *ps, cb_buf *bf, int64_t line, int64_t col) {
  ps->pos++;
  for (;;) {
    size_t start = ps->pos;
    while (ps->pos < ps->n && ps->p[ps->pos] != '"') {
      if (ps->p[ps->pos] == '\n') {
        newline_at(ps, ps->pos);
      }
      ps->pos++;
    }
    if (!buf_put(bf, ps->p + start, ps->pos - start)) {
      return segkit_error_set(ps->err, SEGKIT_ERR_NOMEM, "out of memory reading a codebook");
    }
    if (ps->pos >= ps->n) {
      return fail_at(ps, line, col, NULL,
                     "a quoted field is never closed%s%s (expected a closing \")", "", "");
    }
    if (ps->pos + 1 < ps->n && ps->p[ps->pos + 1] == '"') {
      if (!buf_put(bf, (const uint8_t *)"\"", 1)) {
        return segkit_error_set(ps->err, SEGKIT_ERR_NOMEM, "out of memory reading a codebook");
      }
      ps->pos += 2;
      continue;
    }
    ps->pos++;
    return SEGKIT_OK;
  }
}

/* Read one field at ps->pos; stops at ',' / '\n' / '\r\n' / end (not consumed). */
static segkit_status read_field(cb_parser *ps, cb_buf *bf, int64_t *line, int64_t *col) {
  *line = ps->line;
  *col = col_of(ps, ps->pos);
  bf->n = 0;
  if (!buf_put(bf, (const uint8_t *)"", 0)) {
    return segkit_error_set(ps->err, SEGKIT_ERR_NOMEM, "out of memory reading a codebook");
  }
  if (ps->pos < ps->n && ps->p[ps->pos] == '"') {
    segkit_status st = read_quoted(ps, bf, *line, *col);
    if (st != SEGKIT_OK) {
      return st;
    }
    bool at_end = ps->pos >= ps->n || ps->p[ps->pos] == ',' || ps->p[ps->pos] == '\n' ||
                  (ps->p[ps->pos] == '\r' && ps->pos + 1 < ps->n && ps->p[ps->pos + 1] == '\n');
    if (!at_end) {
      return fail_at(ps, ps->line, col_of(ps, ps->pos), NULL,
                     "text after a closing quote%s%s (expected ',' or the end of the line)", "",
                     "");
    }
  } else {
    size_t start = ps->pos;
    while (ps->pos < ps->n && ps->p[ps->pos] != ',' && ps->p[ps->pos] != '\n') {
      if (ps->p[ps->pos] == '"') {
        return fail_at(ps, ps->line, col_of(ps, ps->pos), NULL,
                       "a quote inside an unquoted field%s%s (expected the whole field in "
                       "quotes, with \"\" for a quote)",
                       "", "");
      }
      ps->pos++;
    }
    size_t end = ps->pos;
    if (end > start && ps->p[end - 1] == '\r' && end < ps->n) {
      end--; /* CRLF: the CR belongs to the line end */
    }
    if (!buf_put(bf, ps->p + start, end - start)) {
      return segkit_error_set(ps->err, SEGKIT_ERR_NOMEM, "out of memory reading a codebook");
    }
  }
  if (bf->n > CB_MAX_FIELD) {
    return segkit_error_set_at(ps->err, SEGKIT_ERR_LIMIT, ps->name, *line, *col, NULL,
                               "a field of %zu bytes (expected at most %zu)", bf->n,
                               CB_MAX_FIELD);
  }
  size_t bad = sk__utf8_find_invalid((const uint8_t *)bf->b, bf->n);
  if (bad != bf->n) {
    return fail_at(ps, *line, *col, NULL, "bytes that are not UTF-8 in this field%s%s "
                   "(expected UTF-8 text)", "", "");
  }
  if (memchr(bf->b, '\0', bf->n) != NULL) {
    return fail_at(ps, *line, *col, NULL, "a NUL byte in this field%s%s (expected text)", "",
                   "");
  }
  return SEGKIT_OK;
}

/* Skip blank lines and '#' comment lines. */
static void skip_ignored(cb_parser *ps) {
  while (ps->pos < ps->n) {
    uint8_t c = ps->p[ps->pos];
    if (c == '\n') {
      newline_at(ps, ps->pos);
      ps->pos++;
    } else if (c == '\r' && ps->pos + 1 < ps->n && ps->p[ps->pos + 1] == '\n') {
      ps->pos++;
    } else if (c == '#') {
      while (ps->pos < ps->n && ps->p[ps->pos] != '\n') {
        ps->pos++;
      }
    } else {
      return;
    }
  }
}

/* Read the next row into ps->f. *got = false at the end of the input. */
static segkit_status read_row(cb_parser *ps, bool *got) {
  fields_clear(ps);
  skip_ignored(ps);
  *got = ps->pos < ps->n;
  if (!*got) {
    return SEGKIT_OK;
  }
  ps->row_line = ps->line;
  cb_buf bf = {0};
  segkit_status st = SEGKIT_OK;
  for (;;) {
    int64_t line = 0;
    int64_t col = 0;
    st = read_field(ps, &bf, &line, &col);
    if (st != SEGKIT_OK) {
      break;
    }
    if (ps->n_fields < N_FIELDS) {
      cb_field *f = &ps->f[ps->n_fields];
      f->text = bf.b;
      f->len = bf.n;
      f->line = line;
      f->column = col;
      bf = (cb_buf){0};
    } else if (ps->n_fields == N_FIELDS) {
      st = fail_at(ps, line, col, NULL,
                   "more than 6 fields in this row%s%s (expected variable, question, type, "
                   "code, label, missing; quote a field that holds a comma)",
                   "", "");
      break;
    }
    ps->n_fields++;
    if (ps->pos < ps->n && ps->p[ps->pos] == ',') {
      ps->pos++;
      continue;
    }
    if (ps->pos < ps->n && ps->p[ps->pos] == '\r') {
      ps->pos++;
    }
    if (ps->pos < ps->n) {
      newline_at(ps, ps->pos);
      ps->pos++;
    }
    break;
  }
  free(bf.b);
  if (st == SEGKIT_OK && ps->n_fields < N_FIELDS) {
    int64_t end_line = ps->f[ps->n_fields - 1].line;
    int64_t end_col = ps->f[ps->n_fields - 1].column + (int64_t)ps->f[ps->n_fields - 1].len;
    char got_s[32];
    snprintf(got_s, sizeof got_s, "%zu", ps->n_fields);
    st = fail_at(ps, end_line, end_col, field_names[ps->n_fields],
                 "only %s field(s) in this row, no '%s' (expected 6: variable, question, "
                 "type, code, label, missing)",
                 got_s, field_names[ps->n_fields]);
  }
  return st;
}

/* ==== row meaning ====================================================================== */

static bool is_empty(const cb_field *f) {
  const char *s = f->text;
  size_t n = f->len;
  sk__trim(&s, &n);
  return n == 0;
}

static segkit_status field_fail(cb_parser *ps, int k, const char *fmt, const char *a,
                                const char *b) {
  return fail_at(ps, ps->f[k].line, ps->f[k].column, field_names[k], fmt, a, b);
}

static segkit_status check_header(cb_parser *ps) {
  for (int k = 0; k < N_FIELDS; k++) {
    const char *s = ps->f[k].text;
    size_t n = ps->f[k].len;
    sk__trim(&s, &n);
    if (n != strlen(field_names[k]) || memcmp(s, field_names[k], n) != 0) {
      char q[SK__SV_VALUE_MAX + 16];
      sk__sv_quote(q, sizeof q, ps->f[k].text, ps->f[k].len);
      return field_fail(ps, k,
                        "header field %s should be '%s' (expected the header "
                        "variable,question,type,code,label,missing)",
                        q, field_names[k]);
    }
  }
  return SEGKIT_OK;
}

/* A bound of a range "min..max": a number, or empty for none. */
static bool parse_bound(const char *s, size_t n, double *out) {
  sk__trim(&s, &n);
  if (n == 0) {
    *out = NAN;
    return true;
  }
  return sk__parse_float64(s, n, out) == SK__NUM_OK;
}

static segkit_status parse_range(cb_parser *ps, segkit_codebook *cb, size_t k) {
  const cb_field *f = &ps->f[F_LABEL];
  const char *dots = NULL;
  for (size_t i = 0; i + 1 < f->len; i++) {
    if (f->text[i] == '.' && f->text[i + 1] == '.') {
      dots = f->text + i;
      break;
    }
  }
  double lo = NAN;
  double hi = NAN;
  bool ok = dots != NULL && parse_bound(f->text, (size_t)(dots - f->text), &lo) &&
            parse_bound(dots + 2, f->len - (size_t)(dots + 2 - f->text), &hi);
  char q[SK__SV_VALUE_MAX + 16];
  sk__sv_quote(q, sizeof q, f->text, f->len);
  if (!ok) {
    return field_fail(ps, F_LABEL,
                      "%s is not a range%s (expected min..max with numbers, either side "
                      "may be empty, e.g. 18..99 or 0..)",
                      q, "");
  }
  if (!isnan(lo) && !isnan(hi) && lo > hi) {
    return field_fail(ps, F_LABEL, "range %s has its min above its max%s (expected "
                      "min <= max)", q, "");
  }
  return segkit_codebook_set_range(cb, k, lo, hi, ps->err);
}

/* Per variable while parsing: whether a range was given explicitly. */
typedef struct cb_state {
  bool *explicit_range;
  size_t cap;
  int64_t *type_col;    /* column of the type field, for end-of-file errors */
} cb_state;

static segkit_status variable_row(cb_parser *ps, segkit_codebook *cb, cb_state *s) {
  const cb_field *name = &ps->f[F_VARIABLE];
  char q[SK__SV_VALUE_MAX + 16];
  segkit_survey_type type;
  const char *tname = ps->f[F_TYPE].text;
  size_t tlen = ps->f[F_TYPE].len;
  sk__trim(&tname, &tlen);
  char tbuf[16] = "";
  if (tlen < sizeof tbuf) {
    memcpy(tbuf, tname, tlen);
    tbuf[tlen] = '\0';
  }
  if (tlen >= sizeof tbuf || segkit_survey_type_parse(tbuf, &type, NULL) != SEGKIT_OK) {
    sk__sv_quote(q, sizeof q, ps->f[F_TYPE].text, ps->f[F_TYPE].len);
    return field_fail(ps, F_TYPE,
                      "unknown question type %s%s (expected single, multi, likert, numeric "
                      "or text)",
                      q, "");
  }
  if (!is_empty(&ps->f[F_MISSING])) {
    return field_fail(ps, F_MISSING, "a variable row with a missing reason%s%s (expected "
                      "missing reasons on code rows only)", "", "");
  }
  long prev = segkit_codebook_find(cb, name->text);
  if (prev >= 0) {
    char at[32];
    snprintf(at, sizeof at, "%lld", (long long)segkit_codebook_line(cb, (size_t)prev));
    sk__sv_quote(q, sizeof q, name->text, name->len);
    return field_fail(ps, F_VARIABLE,
                      "variable %s is already defined at line %s (expected one variable row "
                      "per variable)",
                      q, at);
  }
  size_t k = 0;
  segkit_status st = segkit_codebook_add_variable(cb, name->text, ps->f[F_QUESTION].text,
                                                  type, &k, ps->err);
  if (st != SEGKIT_OK) {
    return st;
  }
  sk__codebook_set_line(cb, k, ps->row_line);
  if (k >= s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    bool *ne = realloc(s->explicit_range, cap * sizeof *ne);
    if (ne != NULL) {
      s->explicit_range = ne;
    }
    int64_t *nt = realloc(s->type_col, cap * sizeof *nt);
    if (nt != NULL) {
      s->type_col = nt;
    }
    if (ne == NULL || nt == NULL) {
      return segkit_error_set(ps->err, SEGKIT_ERR_NOMEM, "out of memory reading a codebook");
    }
    s->cap = cap;
  }
  s->explicit_range[k] = false;
  s->type_col[k] = ps->f[F_TYPE].column;
  if (is_empty(&ps->f[F_LABEL])) {
    return SEGKIT_OK;
  }
  if (type != SEGKIT_SURVEY_NUMERIC && type != SEGKIT_SURVEY_LIKERT) {
    return field_fail(ps, F_LABEL,
                      "a label on the variable row of a %s question%s (expected it empty; "
                      "only numeric and likert take a range min..max there)",
                      segkit_survey_type_name(type), "");
  }
  s->explicit_range[k] = true;
  return parse_range(ps, cb, k);
}

static segkit_status code_row(cb_parser *ps, segkit_codebook *cb) {
  char q[SK__SV_VALUE_MAX + 16];
  const cb_field *name = &ps->f[F_VARIABLE];
  long var = segkit_codebook_find(cb, name->text);
  if (var < 0) {
    sk__sv_quote(q, sizeof q, name->text, name->len);
    return field_fail(ps, F_VARIABLE,
                      "code row for %s, which has no variable row above it%s (expected a "
                      "row with its type first)",
                      q, "");
  }
  segkit_survey_type type = segkit_codebook_type(cb, (size_t)var);
  if (!is_empty(&ps->f[F_QUESTION])) {
    return field_fail(ps, F_QUESTION, "a code row with a question%s%s (expected the question "
                      "on the variable row, empty here)", "", "");
  }
  if (type == SEGKIT_SURVEY_TEXT) {
    return field_fail(ps, F_CODE, "a code for the text question %s%s (expected no code rows "
                      "for open text)", name->text, "");
  }
  const char *s = ps->f[F_CODE].text;
  size_t n = ps->f[F_CODE].len;
  sk__trim(&s, &n);
  int64_t code = 0;
  if (sk__parse_int64(s, n, &code) != SK__NUM_OK) {
    sk__sv_quote(q, sizeof q, ps->f[F_CODE].text, ps->f[F_CODE].len);
    return field_fail(ps, F_CODE, "%s is not an integer code%s (expected an integer such as "
                      "1 or 98)", q, "");
  }
  bool missing = !is_empty(&ps->f[F_MISSING]);
  bool has_label = !is_empty(&ps->f[F_LABEL]);
  if (!missing && !has_label) {
    return field_fail(ps, F_LABEL, "code %s has no label%s (expected a label, or a reason in "
                      "'missing' for a missing code)", ps->f[F_CODE].text, "");
  }
  if (!missing && type == SEGKIT_SURVEY_MULTI && code < 0) {
    return field_fail(ps, F_CODE, "option code %s of multiple-choice %s is negative (expected "
                      "a code >= 0: it names the column <variable>_<code>)",
                      ps->f[F_CODE].text, name->text);
  }
  const char *label = has_label ? ps->f[F_LABEL].text : ps->f[F_MISSING].text;
  segkit_error e;
  segkit_status st = segkit_codebook_add_label(cb, (size_t)var, code, label, &e);
  if (st == SEGKIT_ERR_EXISTS) {
    return field_fail(ps, F_CODE, "code %s of %s is given twice (expected each code once per "
                      "variable)", ps->f[F_CODE].text, name->text);
  }
  if (st != SEGKIT_OK) {
    *ps->err = e;
    return st;
  }
  if (!missing) {
    return SEGKIT_OK;
  }
  segkit_missing_code m = {(double)code, (double)code, 0, ps->f[F_MISSING].text};
  return segkit_codebook_add_missing(cb, (size_t)var, &m, ps->err);
}

static segkit_status data_row(cb_parser *ps, segkit_codebook *cb, cb_state *s) {
  if (is_empty(&ps->f[F_VARIABLE])) {
    return field_fail(ps, F_VARIABLE, "no variable name%s%s (expected the response column "
                      "this row describes)", "", "");
  }
  bool has_type = !is_empty(&ps->f[F_TYPE]);
  bool has_code = !is_empty(&ps->f[F_CODE]);
  if (has_type && has_code) {
    return field_fail(ps, F_CODE, "a row with both a type and a code%s%s (expected a type on "
                      "the variable row, then one row per code with the type empty)", "", "");
  }
  if (!has_type && !has_code) {
    return field_fail(ps, F_TYPE, "a row with neither a type nor a code%s%s (expected a type "
                      "for a variable row or a code for a code row)", "", "");
  }
  return has_type ? variable_row(ps, cb, s) : code_row(ps, cb);
}

/* After the last row: coded questions have labels; likert ranges come from their labels. */
static segkit_status finish(cb_parser *ps, segkit_codebook *cb, const cb_state *s) {
  for (size_t k = 0; k < segkit_codebook_n_variables(cb); k++) {
    segkit_survey_type t = segkit_codebook_type(cb, k);
    if (t == SEGKIT_SURVEY_NUMERIC || t == SEGKIT_SURVEY_TEXT) {
      continue;
    }
    int64_t lo = INT64_MAX;
    int64_t hi = INT64_MIN;
    size_t n_real = 0;
    for (size_t i = 0; i < segkit_codebook_n_labels(cb, k); i++) {
      int64_t c = segkit_codebook_label_at(cb, k, i)->code;
      if (sk__codebook_has_label(cb, k, c)) {
        lo = c < lo ? c : lo;
        hi = c > hi ? c : hi;
        n_real++;
      }
    }
    if (n_real == 0) {
      return segkit_error_set_at(ps->err, SEGKIT_ERR_PARSE, ps->name,
                                 segkit_codebook_line(cb, k), s->type_col[k], "type",
                                 "%s question '%s' has no labelled codes (expected at least "
                                 "one code row with an empty 'missing')",
                                 segkit_survey_type_name(t), segkit_codebook_name(cb, k));
    }
    if (t == SEGKIT_SURVEY_LIKERT && !s->explicit_range[k]) {
      segkit_codebook_set_range(cb, k, (double)lo, (double)hi, NULL);
    }
    if (t != SEGKIT_SURVEY_LIKERT) {
      segkit_codebook_set_exhaustive(cb, k, true, NULL);
    }
  }
  return SEGKIT_OK;
}

static segkit_status parse_all(cb_parser *ps, segkit_codebook *cb) {
  bool got = false;
  segkit_status st = read_row(ps, &got);
  if (st != SEGKIT_OK) {
    return st;
  }
  if (!got) {
    return segkit_error_set_at(ps->err, SEGKIT_ERR_PARSE, ps->name, 1, 1, NULL,
                               "empty codebook (expected the header "
                               "variable,question,type,code,label,missing)");
  }
  st = check_header(ps);
  cb_state s = {0};
  while (st == SEGKIT_OK) {
    st = read_row(ps, &got);
    if (st != SEGKIT_OK || !got) {
      break;
    }
    st = data_row(ps, cb, &s);
  }
  if (st == SEGKIT_OK) {
    st = finish(ps, cb, &s);
  }
  free(s.explicit_range);
  free(s.type_col);
  return st;
}

segkit_status segkit_codebook_read_buffer(const char *data, size_t size, const char *name,
                                          segkit_codebook **out, segkit_error *err) {
  if (out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_codebook_read_buffer: out is "
                            "required");
  }
  /* a JSON codebook (the questionnaire format) starts with '{' after any BOM or blanks */
  size_t lead = size >= 3 && data != NULL && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  while (data != NULL && lead < size && (data[lead] == ' ' || data[lead] == '\t' ||
                                         data[lead] == '\r' || data[lead] == '\n')) {
    lead++;
  }
  if (data != NULL && lead < size && data[lead] == '{') {
    return sk__codebook_from_questionnaire(data + lead, size - lead,
                                           name != NULL ? name : "<codebook>", out, err);
  }
  cb_parser ps;
  memset(&ps, 0, sizeof ps);
  ps.name = name != NULL ? name : "<codebook>";
  ps.p = (const uint8_t *)(data != NULL ? data : "");
  ps.n = data != NULL ? size : 0;
  ps.line = 1;
  ps.err = err;
  if (ps.n >= 3 && memcmp(ps.p, "\xEF\xBB\xBF", 3) == 0) {
    ps.pos = 3; /* byte order mark: columns start after it, as editors show none */
    ps.line_start = 3;
  }
  segkit_codebook *cb = NULL;
  segkit_status st = segkit_codebook_new(&cb, err);
  if (st == SEGKIT_OK) {
    st = parse_all(&ps, cb);
  }
  fields_clear(&ps);
  if (st != SEGKIT_OK) {
    segkit_codebook_free(cb);
    return st;
  }
  *out = cb;
  return SEGKIT_OK;
}

segkit_status segkit_codebook_read(const char *path, segkit_codebook **out, segkit_error *err) {
  sk__source src;
  segkit_status st = sk__source_open_file(&src, path, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  if (src.size > CB_MAX_FILE) {
    sk__source_close(&src);
    return segkit_error_set_at(err, SEGKIT_ERR_LIMIT, path, 0, 0, NULL,
                               "a codebook of %llu bytes (expected at most %zu)",
                               (unsigned long long)src.size, CB_MAX_FILE);
  }
  size_t n = (size_t)src.size;
  char *buf = malloc(n + 1);
  if (buf == NULL) {
    sk__source_close(&src);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory reading %s", path);
  }
  size_t got = 0;
  st = sk__source_read(&src, 0, buf, n, &got, err);
  sk__source_close(&src);
  if (st == SEGKIT_OK) {
    st = segkit_codebook_read_buffer(buf, got, path, out, err);
  }
  free(buf);
  return st;
}
