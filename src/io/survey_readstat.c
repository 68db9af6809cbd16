/* survey_readstat.c: SPSS (.sav, .zsav) and Stata (.dta) files through ReadStat's C API,
 * into the same table + codebook + null reasons + bad values as CSV surveys.
 *
 * Key choice: ReadStat hands over metadata, variables, values and value labels through
 * callbacks, and in a .dta the value labels come after the data, so nothing can be typed
 * while parsing: the callbacks only record (each variable's name, label, measure, label
 * set and missing ranges; every cell as a number or string with its missingness; every
 * label set), and the codebook and table are built once the parse has ended. Arrays grow
 * by doubling from what actually arrives, never from the row count a (possibly hostile)
 * header claims. Callbacks never longjmp or abort: an allocation failure returns
 * READSTAT_HANDLER_ABORT with the reason kept in the context. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <readstat.h>

#include "io/io_int.h"
#include "io/survey_int.h"

/* State of a numeric cell. */
enum { CELL_VALUE = 0, CELL_SYSMISS, CELL_TAGGED };

typedef struct rs_var {
  char *name;
  char *label;
  char *label_set;        /* name of its value label set, or NULL */
  bool is_string;
  readstat_measure_t measure;
  double miss_lo[32], miss_hi[32]; /* SPSS user-missing values / ranges */
  int n_miss;
  /* cells, by row */
  double *num;
  uint8_t *state;         /* CELL_* */
  char *tag;              /* tag of CELL_TAGGED cells */
  char **str;             /* string cells (owned; NULL = none) */
  size_t cap;
} rs_var;

typedef struct rs_label {
  double value;           /* numeric key (NaN for string / tagged keys) */
  char tag;               /* 'a'..'z' for a Stata tagged missing key */
  bool is_string;
  char *label;
} rs_label;

typedef struct rs_set {
  char *name;
  rs_label *v;
  size_t n, cap;
} rs_set;

typedef struct rs_ctx {
  const char *path;
  rs_var *vars;
  size_t n_vars, cap_vars;
  size_t n_rows;          /* 1 + highest row index seen */
  rs_set *sets;
  size_t n_sets, cap_sets;
  bool nomem;
  char rs_message[512];   /* ReadStat's last error message */
} rs_ctx;

/* ==== recording ======================================================================== */

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) {
    return true;
  }
  size_t cap2 = *cap ? *cap : 16;
  while (cap2 < need) {
    cap2 *= 2;
  }
  void *np = realloc(*p, cap2 * elem);
  if (np == NULL) {
    return false;
  }
  *p = np;
  *cap = cap2;
  return true;
}

static char *dup_nonempty(const char *s) {
  return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

static int on_variable(int index, readstat_variable_t *variable, const char *val_labels,
                       void *ctx_) {
  rs_ctx *ctx = ctx_;
  if (index < 0 || (size_t)index != ctx->n_vars) {
    return READSTAT_HANDLER_ABORT; /* ReadStat numbers variables 0, 1, 2, ... */
  }
  size_t cap = ctx->cap_vars;
  if (!grow((void **)&ctx->vars, &cap, ctx->n_vars + 1, sizeof *ctx->vars)) {
    ctx->nomem = true;
    return READSTAT_HANDLER_ABORT;
  }
  ctx->cap_vars = cap;
  rs_var *v = &ctx->vars[ctx->n_vars];
  memset(v, 0, sizeof *v);
  ctx->n_vars++;
  const char *name = readstat_variable_get_name(variable);
  v->name = strdup(name != NULL ? name : "");
  const char *label = readstat_variable_get_label(variable);
  v->label = strdup(label != NULL ? label : "");
  v->label_set = dup_nonempty(val_labels);
  if (v->name == NULL || v->label == NULL || (val_labels != NULL && val_labels[0] != '\0' &&
                                              v->label_set == NULL)) {
    ctx->nomem = true;
    return READSTAT_HANDLER_ABORT;
  }
  v->is_string = readstat_variable_get_type_class(variable) == READSTAT_TYPE_CLASS_STRING;
  v->measure = readstat_variable_get_measure(variable);
  int n = readstat_variable_get_missing_ranges_count(variable);
  for (int i = 0; !v->is_string && i < n && v->n_miss < 32; i++) {
    readstat_value_t lo = readstat_variable_get_missing_range_lo(variable, i);
    readstat_value_t hi = readstat_variable_get_missing_range_hi(variable, i);
    if (readstat_value_type_class(lo) != READSTAT_TYPE_CLASS_NUMERIC) {
      continue;
    }
    v->miss_lo[v->n_miss] = readstat_double_value(lo);
    v->miss_hi[v->n_miss] = readstat_double_value(hi);
    v->n_miss++;
  }
  return READSTAT_HANDLER_OK;
}

/* Room for row `row` in every cell array of v. */
static bool var_room(rs_var *v, size_t row) {
  if (row < v->cap) {
    return true;
  }
  size_t cap = v->cap ? v->cap : 64;
  while (cap <= row) {
    cap *= 2;
  }
  if (v->is_string) {
    char **ns = realloc(v->str, cap * sizeof *ns);
    if (ns == NULL) {
      return false;
    }
    memset(ns + v->cap, 0, (cap - v->cap) * sizeof *ns);
    v->str = ns;
  } else {
    double *nn = realloc(v->num, cap * sizeof *nn);
    if (nn != NULL) {
      v->num = nn;
    }
    uint8_t *st = realloc(v->state, cap);
    if (st != NULL) {
      v->state = st;
    }
    char *tg = realloc(v->tag, cap);
    if (tg != NULL) {
      v->tag = tg;
    }
    if (nn == NULL || st == NULL || tg == NULL) {
      return false;
    }
    /* Rows never delivered (none in a well-formed file) read as system missing. */
    memset(v->state + v->cap, CELL_SYSMISS, cap - v->cap);
    memset(v->tag + v->cap, 0, cap - v->cap);
  }
  v->cap = cap;
  return true;
}

static int on_value(int obs_index, readstat_variable_t *variable, readstat_value_t value,
                    void *ctx_) {
  rs_ctx *ctx = ctx_;
  int index = readstat_variable_get_index(variable);
  if (obs_index < 0 || index < 0 || (size_t)index >= ctx->n_vars) {
    return READSTAT_HANDLER_ABORT;
  }
  rs_var *v = &ctx->vars[index];
  size_t row = (size_t)obs_index;
  if (!var_room(v, row)) {
    ctx->nomem = true;
    return READSTAT_HANDLER_ABORT;
  }
  if (row + 1 > ctx->n_rows) {
    ctx->n_rows = row + 1;
  }
  if (v->is_string) {
    const char *s = readstat_string_value(value);
    free(v->str[row]);
    v->str[row] = strdup(s != NULL ? s : "");
    if (v->str[row] == NULL) {
      ctx->nomem = true;
      return READSTAT_HANDLER_ABORT;
    }
    return READSTAT_HANDLER_OK;
  }
  if (readstat_value_is_tagged_missing(value)) {
    v->state[row] = CELL_TAGGED;
    v->tag[row] = readstat_value_tag(value);
    v->num[row] = NAN;
  } else if (readstat_value_is_system_missing(value)) {
    v->state[row] = CELL_SYSMISS;
    v->num[row] = NAN;
  } else {
    v->state[row] = CELL_VALUE;
    v->num[row] = readstat_double_value(value);
  }
  return READSTAT_HANDLER_OK;
}

static rs_set *find_set(const rs_ctx *ctx, const char *name) {
  for (size_t i = 0; name != NULL && i < ctx->n_sets; i++) {
    if (strcmp(ctx->sets[i].name, name) == 0) {
      return &ctx->sets[i];
    }
  }
  return NULL;
}

static rs_set *add_set(rs_ctx *ctx, const char *name) {
  size_t cap = ctx->cap_sets;
  if (!grow((void **)&ctx->sets, &cap, ctx->n_sets + 1, sizeof *ctx->sets)) {
    return NULL;
  }
  ctx->cap_sets = cap;
  rs_set *s = &ctx->sets[ctx->n_sets];
  memset(s, 0, sizeof *s);
  s->name = strdup(name);
  if (s->name == NULL) {
    return NULL;
  }
  ctx->n_sets++;
  return s;
}

static int on_value_label(const char *val_labels, readstat_value_t value, const char *label,
                          void *ctx_) {
  rs_ctx *ctx = ctx_;
  if (val_labels == NULL) {
    return READSTAT_HANDLER_OK;
  }
  rs_set *s = find_set(ctx, val_labels);
  if (s == NULL) {
    s = add_set(ctx, val_labels);
  }
  if (s == NULL || !grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v)) {
    ctx->nomem = true;
    return READSTAT_HANDLER_ABORT;
  }
  rs_label *l = &s->v[s->n];
  memset(l, 0, sizeof *l);
  l->value = NAN;
  if (readstat_value_type_class(value) == READSTAT_TYPE_CLASS_STRING) {
    l->is_string = true;
  } else if (readstat_value_is_tagged_missing(value)) {
    l->tag = readstat_value_tag(value);
  } else if (!readstat_value_is_system_missing(value)) {
    l->value = readstat_double_value(value);
  }
  l->label = strdup(label != NULL ? label : "");
  if (l->label == NULL) {
    ctx->nomem = true;
    return READSTAT_HANDLER_ABORT;
  }
  s->n++;
  return READSTAT_HANDLER_OK;
}

static void on_error(const char *message, void *ctx_) {
  rs_ctx *ctx = ctx_;
  snprintf(ctx->rs_message, sizeof ctx->rs_message, "%s", message != NULL ? message : "");
  size_t n = strlen(ctx->rs_message);
  while (n > 0 && (ctx->rs_message[n - 1] == '\n' || ctx->rs_message[n - 1] == '.')) {
    ctx->rs_message[--n] = '\0';
  }
}

static void ctx_free(rs_ctx *ctx) {
  for (size_t i = 0; i < ctx->n_vars; i++) {
    rs_var *v = &ctx->vars[i];
    free(v->name);
    free(v->label);
    free(v->label_set);
    free(v->num);
    free(v->state);
    free(v->tag);
    for (size_t r = 0; v->str != NULL && r < v->cap; r++) {
      free(v->str[r]);
    }
    free(v->str);
  }
  free(ctx->vars);
  for (size_t i = 0; i < ctx->n_sets; i++) {
    for (size_t k = 0; k < ctx->sets[i].n; k++) {
      free(ctx->sets[i].v[k].label);
    }
    free(ctx->sets[i].v);
    free(ctx->sets[i].name);
  }
  free(ctx->sets);
}

/* ==== parse ============================================================================ */

typedef enum rs_format { RS_SAV, RS_DTA, RS_OTHER } rs_format;

static rs_format format_of(const char *path) {
  const char *dot = strrchr(path, '.');
  if (dot == NULL) {
    return RS_OTHER;
  }
  if (strcasecmp(dot, ".sav") == 0 || strcasecmp(dot, ".zsav") == 0) {
    return RS_SAV;
  }
  return strcasecmp(dot, ".dta") == 0 ? RS_DTA : RS_OTHER;
}

static segkit_status parse_file(rs_ctx *ctx, rs_format fmt, segkit_error *err) {
  readstat_parser_t *parser = readstat_parser_init();
  if (parser == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory starting ReadStat");
  }
  readstat_set_variable_handler(parser, on_variable);
  readstat_set_value_handler(parser, on_value);
  readstat_set_value_label_handler(parser, on_value_label);
  readstat_set_error_handler(parser, on_error);
  readstat_error_t rc = fmt == RS_SAV ? readstat_parse_sav(parser, ctx->path, ctx)
                                      : readstat_parse_dta(parser, ctx->path, ctx);
  readstat_parser_free(parser);
  if (ctx->nomem) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOMEM, ctx->path, 0, 0, NULL,
                               "out of memory reading %s", ctx->path);
  }
  if (rc == READSTAT_OK) {
    return SEGKIT_OK;
  }
  /* The file opened a moment ago, so a failed read or seek is almost always a file that
   * ends early (truncated, or not this format at all): a data error, not the disk's. */
  segkit_status st = rc == READSTAT_ERROR_OPEN ? SEGKIT_ERR_IO : SEGKIT_ERR_PARSE;
  const char *kind = fmt == RS_SAV ? "an SPSS .sav/.zsav" : "a Stata .dta";
  return segkit_error_set_at(err, st, ctx->path, 0, 0, NULL,
                             "not readable as %s file: %s%s%s (expected a complete, valid "
                             "file)",
                             kind, readstat_error_message(rc), ctx->rs_message[0] ? ": " : "",
                             ctx->rs_message);
}

/* ==== codebook ========================================================================= */

static bool integral(double x) {
  return isfinite(x) && x == floor(x) && fabs(x) <= 9007199254740992.0; /* 2^53 */
}

/* Reason text of a user-missing value or range: its value label when it has one. */
static const char *range_reason(const rs_set *s, double lo, double hi) {
  for (size_t i = 0; s != NULL && lo == hi && i < s->n; i++) {
    if (!s->v[i].is_string && s->v[i].tag == 0 && s->v[i].value == lo) {
      return s->v[i].label;
    }
  }
  return "user missing";
}

/* Stata tags a..z used by the label set or the data, in alphabetical order. */
static segkit_status add_tags(const rs_var *v, const rs_set *s, segkit_codebook *cb, size_t k,
                              size_t n_rows, segkit_error *err) {
  bool used[26] = {false};
  const char *reason[26] = {NULL};
  for (size_t i = 0; s != NULL && i < s->n; i++) {
    char t = s->v[i].tag;
    if (t >= 'a' && t <= 'z') {
      used[t - 'a'] = true;
      reason[t - 'a'] = s->v[i].label;
    }
  }
  for (size_t r = 0; r < n_rows && r < v->cap; r++) {
    char t = v->tag[r];
    if (v->state[r] == CELL_TAGGED && t >= 'a' && t <= 'z') {
      used[t - 'a'] = true;
    }
  }
  for (int t = 0; t < 26; t++) {
    if (!used[t]) {
      continue;
    }
    char dflt[3] = {'.', (char)('a' + t), 0};
    segkit_missing_code m = {NAN, NAN, (char)('a' + t), reason[t] != NULL ? reason[t] : dflt};
    segkit_status st = segkit_codebook_add_missing(cb, k, &m, err);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  return SEGKIT_OK;
}

/* Whether every non-missing value of v is a whole number. */
static bool integral_data(const rs_var *v, size_t n_rows) {
  for (size_t r = 0; r < n_rows && r < v->cap; r++) {
    if (v->state[r] != CELL_VALUE) {
      continue;
    }
    bool is_missing = false;
    for (int m = 0; m < v->n_miss; m++) {
      is_missing = is_missing || (v->num[r] >= v->miss_lo[m] && v->num[r] <= v->miss_hi[m]);
    }
    if (!is_missing && !integral(v->num[r])) {
      return false;
    }
  }
  return true;
}

/* Valid range of a likert variable: its lowest to highest non-missing labelled code. */
static segkit_status likert_range(segkit_codebook *cb, size_t k, segkit_error *err) {
  double lo = NAN;
  double hi = NAN;
  for (size_t i = 0; i < segkit_codebook_n_labels(cb, k); i++) {
    int64_t c = segkit_codebook_label_at(cb, k, i)->code;
    if (sk__codebook_has_label(cb, k, c)) {
      lo = isnan(lo) || (double)c < lo ? (double)c : lo;
      hi = isnan(hi) || (double)c > hi ? (double)c : hi;
    }
  }
  return segkit_codebook_set_range(cb, k, lo, hi, err);
}

/* One numeric variable into the codebook; *skipped counts labels not carried. */
static segkit_status numeric_var(const rs_ctx *ctx, const rs_var *v, bool exhaustive,
                                 segkit_codebook *cb, size_t *skipped, segkit_error *err) {
  const rs_set *s = find_set(ctx, v->label_set);
  bool labelled = false;
  for (size_t i = 0; s != NULL && i < s->n; i++) {
    bool is_missing = false;
    for (int m = 0; m < v->n_miss; m++) {
      is_missing = is_missing || (s->v[i].value >= v->miss_lo[m] && s->v[i].value <= v->miss_hi[m]);
    }
    labelled = labelled || (integral(s->v[i].value) && !is_missing && s->v[i].tag == 0);
  }
  segkit_survey_type t = SEGKIT_SURVEY_NUMERIC;
  if (labelled && v->measure == READSTAT_MEASURE_NOMINAL) {
    t = SEGKIT_SURVEY_SINGLE;
  } else if (labelled && v->measure == READSTAT_MEASURE_ORDINAL) {
    t = SEGKIT_SURVEY_LIKERT;
  } else if (labelled && integral_data(v, ctx->n_rows)) {
    /* Scale or unknown (Stata has no measure; haven writes every number as scale): coded
     * only if every answer is a whole number, so a labelled real numeric stays numeric. */
    t = SEGKIT_SURVEY_SINGLE;
  }
  size_t k = 0;
  segkit_status st = segkit_codebook_add_variable(cb, v->name, v->label, t, &k, err);
  for (size_t i = 0; st == SEGKIT_OK && s != NULL && i < s->n; i++) {
    const rs_label *l = &s->v[i];
    if (l->tag != 0) {
      continue; /* tagged keys become missing codes below */
    }
    if (l->is_string || !integral(l->value)) {
      (*skipped)++;
      continue;
    }
    st = segkit_codebook_add_label(cb, k, (int64_t)l->value, l->label, err);
    if (st == SEGKIT_ERR_EXISTS) {
      (*skipped)++; /* a label set repeating a value: the first label wins */
      st = SEGKIT_OK;
    }
  }
  for (int m = 0; st == SEGKIT_OK && m < v->n_miss; m++) {
    segkit_missing_code mc = {v->miss_lo[m], v->miss_hi[m], 0,
                              range_reason(s, v->miss_lo[m], v->miss_hi[m])};
    st = segkit_codebook_add_missing(cb, k, &mc, err);
    if (st == SEGKIT_ERR_EXISTS) {
      st = SEGKIT_OK;
    }
  }
  if (st == SEGKIT_OK) {
    st = add_tags(v, s, cb, k, ctx->n_rows, err);
  }
  if (st == SEGKIT_OK && t == SEGKIT_SURVEY_SINGLE) {
    st = segkit_codebook_set_exhaustive(cb, k, exhaustive, err);
  }
  if (st == SEGKIT_OK && t == SEGKIT_SURVEY_LIKERT && exhaustive) {
    /* As in codebook files: a scale's labels often name only its ends, so "exhaustive"
     * means every code from the lowest to the highest label, labelled or not. */
    st = likert_range(cb, k, err);
  }
  return st;
}

static segkit_status build_codebook(const rs_ctx *ctx, const segkit_survey_options *opt,
                                    segkit_codebook **out, size_t *skipped,
                                    segkit_error *err) {
  segkit_codebook *cb = NULL;
  segkit_status st = segkit_codebook_new(&cb, err);
  for (size_t i = 0; st == SEGKIT_OK && i < ctx->n_vars; i++) {
    const rs_var *v = &ctx->vars[i];
    if (v->is_string) {
      st = segkit_codebook_add_variable(cb, v->name, v->label, SEGKIT_SURVEY_TEXT, NULL, err);
      const rs_set *s = find_set(ctx, v->label_set);
      *skipped += s != NULL ? s->n : 0;
    } else {
      st = numeric_var(ctx, v, opt->labels_exhaustive, cb, skipped, err);
    }
  }
  if (st != SEGKIT_OK) {
    segkit_codebook_free(cb);
    if (st == SEGKIT_ERR_EXISTS) {
      return segkit_error_set_at(err, SEGKIT_ERR_PARSE, ctx->path, 0, 0, err ? err->field : NULL,
                                 "two variables share a name (expected unique names)");
    }
    return st;
  }
  *out = cb;
  return SEGKIT_OK;
}

/* ==== table ============================================================================ */

typedef struct rs_build {
  const rs_ctx *ctx;
  segkit_survey_data *d;
  const segkit_survey_options *opt;
  size_t *order;          /* output column -> variable */
  char respondent[64 + SK__SV_VALUE_MAX];
  segkit_error *err;
} rs_build;

static void respondent_of(rs_build *b, size_t row) {
  b->respondent[0] = '\0';
  if (b->opt->id_column == NULL) {
    return;
  }
  const rs_var *v = &b->ctx->vars[b->order[0]];
  if (v->is_string) {
    const char *s = row < v->cap && v->str[row] != NULL ? v->str[row] : "";
    snprintf(b->respondent, sizeof b->respondent, "%.*s", SK__SV_VALUE_MAX, s);
  } else if (row < v->cap && v->state[row] == CELL_VALUE) {
    snprintf(b->respondent, sizeof b->respondent, "%.15g", v->num[row]);
  }
}

static segkit_status bad(rs_build *b, size_t row, const rs_var *v, double x,
                         segkit_survey_bad_reason why, const char *what) {
  char value[40];
  snprintf(value, sizeof value, "%.17g", x);
  char msg[768];
  snprintf(msg, sizeof msg, "%s%s%s%s: %s %s", b->respondent[0] ? "respondent " : "",
           b->respondent, b->respondent[0] ? ", " : "", v->name, value, what);
  if (b->opt->on_error == SEGKIT_ON_ERROR_FAIL) {
    return segkit_error_set_at(b->err, SEGKIT_ERR_PARSE, b->ctx->path, 0, 0, v->name,
                               "row %zu: %s", row + 1, msg);
  }
  if (!sk__bad_list_add(&b->d->bad, (int64_t)row, 0, b->respondent[0] ? b->respondent : NULL,
                        v->name, value, why, msg)) {
    return segkit_error_set(b->err, SEGKIT_ERR_NOMEM, "out of memory listing bad values");
  }
  return SEGKIT_OK;
}

static segkit_status string_cell(rs_build *b, const rs_var *v, size_t row,
                                 segkit_column_builder *cb, uint16_t *reason) {
  const char *s = row < v->cap ? v->str[row] : NULL;
  *reason = SEGKIT_SURVEY_ANSWERED;
  if (s == NULL) {
    *reason = SEGKIT_SURVEY_BLANK;
    return segkit_column_append_null(cb);
  }
  (void)b;
  return segkit_column_append_string(cb, s, strlen(s));
}

/* Decide a numeric cell: a value to append (valid), or a null with its reason. */
static segkit_status numeric_cell(rs_build *b, size_t var, const rs_var *v, size_t row,
                                  segkit_column_builder *cb, sk__survey_col *sc) {
  const segkit_codebook *book = b->d->codebook;
  uint8_t state = row < v->cap ? v->state[row] : CELL_SYSMISS;
  segkit_survey_type t = segkit_codebook_type(book, var);
  bool coded = t == SEGKIT_SURVEY_SINGLE || t == SEGKIT_SURVEY_LIKERT;
  if (state == CELL_SYSMISS) {
    sc->reasons[row] = SEGKIT_SURVEY_BLANK;
    return segkit_column_append_null(cb);
  }
  if (state == CELL_TAGGED) {
    sc->reasons[row] = SEGKIT_SURVEY_BLANK;
    for (size_t m = 0; m < segkit_codebook_n_missing(book, var); m++) {
      if (segkit_codebook_missing_at(book, var, m)->tag == v->tag[row]) {
        sc->reasons[row] = (uint16_t)(m + 1);
      }
    }
    return segkit_column_append_null(cb);
  }
  double x = v->num[row];
  long m = segkit_codebook_missing_find(book, var, x);
  if (m >= 0) {
    sc->reasons[row] = (uint16_t)(m + 1);
    sc->missing_values[row] = x;
    return segkit_column_append_null(cb);
  }
  if (!coded) {
    sc->reasons[row] = SEGKIT_SURVEY_ANSWERED;
    return segkit_column_append_float64(cb, x);
  }
  segkit_status st = SEGKIT_OK;
  if (!integral(x)) {
    st = bad(b, row, v, x, SEGKIT_SURVEY_BAD_NOT_INTEGER,
             "is not an integer code (expected an integer code of a labelled variable)");
  } else if (t == SEGKIT_SURVEY_LIKERT &&
             (x < segkit_codebook_range_lo(book, var) || x > segkit_codebook_range_hi(book, var))) {
    char what[160];
    snprintf(what, sizeof what, "is outside the scale %.15g..%.15g (expected a code in that "
             "range or a missing code: the labels were declared exhaustive)",
             segkit_codebook_range_lo(book, var), segkit_codebook_range_hi(book, var));
    st = bad(b, row, v, x, SEGKIT_SURVEY_BAD_OUT_OF_RANGE, what);
  } else if (segkit_codebook_exhaustive(book, var) &&
             !sk__codebook_has_label(book, var, (int64_t)x)) {
    st = bad(b, row, v, x, SEGKIT_SURVEY_BAD_UNKNOWN_CODE,
             "has no value label (expected one of the labelled codes: the labels were "
             "declared exhaustive)");
  } else {
    sc->reasons[row] = SEGKIT_SURVEY_ANSWERED;
    return segkit_column_append_int64(cb, (int64_t)x);
  }
  if (st != SEGKIT_OK) {
    return st;
  }
  sc->reasons[row] = SEGKIT_SURVEY_BAD;
  return segkit_column_append_null(cb);
}

static segkit_status make_columns(rs_build *b, segkit_table_builder **out) {
  size_t n = b->ctx->n_vars;
  const char **names = calloc(n ? n : 1, sizeof *names);
  segkit_type *types = calloc(n ? n : 1, sizeof *types);
  segkit_status st = SEGKIT_OK;
  if (names == NULL || types == NULL) {
    st = segkit_error_set(b->err, SEGKIT_ERR_NOMEM, "out of memory reading %s", b->ctx->path);
  }
  for (size_t k = 0; st == SEGKIT_OK && k < n; k++) {
    size_t var = b->order[k];
    segkit_survey_type t = segkit_codebook_type(b->d->codebook, var);
    names[k] = b->ctx->vars[var].name;
    types[k] = t == SEGKIT_SURVEY_TEXT      ? SEGKIT_TYPE_STRING
               : t == SEGKIT_SURVEY_NUMERIC ? SEGKIT_TYPE_FLOAT64
                                            : SEGKIT_TYPE_INT64;
    sk__survey_col *sc = &b->d->cols[k];
    sc->var = (long)var;
    sc->reasons = calloc(b->d->n_rows ? b->d->n_rows : 1, sizeof *sc->reasons);
    sc->missing_values = malloc((b->d->n_rows ? b->d->n_rows : 1) * sizeof(double));
    if (sc->reasons == NULL || sc->missing_values == NULL) {
      st = segkit_error_set(b->err, SEGKIT_ERR_NOMEM, "out of memory reading %s", b->ctx->path);
      break;
    }
    for (size_t r = 0; r < b->d->n_rows; r++) {
      sc->missing_values[r] = NAN;
    }
  }
  if (st == SEGKIT_OK) {
    st = segkit_table_builder_new(n, names, types, out, b->err);
  }
  free(names);
  free(types);
  return st;
}

static segkit_status fill_table(rs_build *b) {
  segkit_table_builder *tb = NULL;
  segkit_status st = make_columns(b, &tb);
  for (size_t row = 0; st == SEGKIT_OK && row < b->d->n_rows; row++) {
    respondent_of(b, row);
    for (size_t k = 0; st == SEGKIT_OK && k < b->ctx->n_vars; k++) {
      size_t var = b->order[k];
      const rs_var *v = &b->ctx->vars[var];
      segkit_column_builder *cb = segkit_table_builder_column(tb, k);
      sk__survey_col *sc = &b->d->cols[k];
      st = v->is_string ? string_cell(b, v, row, cb, &sc->reasons[row])
                        : numeric_cell(b, var, v, row, cb, sc);
      if (st == SEGKIT_ERR_NOMEM && b->err != NULL && b->err->code != SEGKIT_ERR_NOMEM) {
        segkit_error_set(b->err, st, "out of memory reading %s", b->ctx->path);
      }
    }
  }
  if (st == SEGKIT_OK) {
    st = segkit_table_builder_finish(tb, &b->d->table, b->err);
    tb = st == SEGKIT_OK ? NULL : tb;
  }
  segkit_table_builder_free(tb);
  return st;
}

/* Id column first, the rest in file order. */
static segkit_status column_order(rs_build *b) {
  size_t n = b->ctx->n_vars;
  b->order = calloc(n ? n : 1, sizeof *b->order);
  if (b->order == NULL) {
    return segkit_error_set(b->err, SEGKIT_ERR_NOMEM, "out of memory reading %s", b->ctx->path);
  }
  long id = b->opt->id_column != NULL ? segkit_codebook_find(b->d->codebook, b->opt->id_column)
                                      : -1;
  if (b->opt->id_column != NULL && id < 0) {
    return segkit_error_set_at(b->err, SEGKIT_ERR_SCHEMA, b->ctx->path, 0, 0,
                               b->opt->id_column,
                               "no respondent id variable '%s' in the file (expected one of "
                               "its variable names)",
                               b->opt->id_column);
  }
  size_t k = 0;
  if (id >= 0) {
    b->order[k++] = (size_t)id;
  }
  for (size_t i = 0; i < n; i++) {
    if ((long)i != id) {
      b->order[k++] = i;
    }
  }
  return SEGKIT_OK;
}

/* ==== entry point ====================================================================== */

static segkit_status assemble(rs_ctx *ctx, const segkit_survey_options *opt,
                              segkit_survey_data **out, segkit_error *err) {
  segkit_survey_data *d = NULL;
  segkit_status st = sk__survey_data_alloc(ctx->n_vars, &d, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  d->n_rows = ctx->n_rows;
  d->bad.max_listed = opt->max_bad_listed;
  st = build_codebook(ctx, opt, &d->codebook, &d->n_labels_skipped, err);
  rs_build b = {ctx, d, opt, NULL, "", err};
  if (st == SEGKIT_OK) {
    st = column_order(&b);
  }
  if (st == SEGKIT_OK) {
    st = fill_table(&b);
  }
  free(b.order);
  if (st != SEGKIT_OK) {
    segkit_survey_data_free(d);
    return st;
  }
  *out = d;
  return SEGKIT_OK;
}

/* Stata 13+ files (.dta 117-119) are tagged sections from <stata_dta> to </stata_dta>,
 * with the value labels last. ReadStat 1.1.8 accepts such a file cut inside its value
 * labels and silently returns fewer labels, so the closing tag is checked here. (Older
 * binary .dta formats have no closing mark; a cut in their labels cannot be seen.) */
static segkit_status check_dta_end(const sk__source *src, const char *path, segkit_error *err) {
  static const char open_tag[] = "<stata_dta>";
  static const char close_tag[] = "</stata_dta>";
  char head[sizeof open_tag - 1];
  char tail[sizeof close_tag - 1];
  size_t got = 0;
  segkit_status st = sk__source_read(src, 0, head, sizeof head, &got, err);
  if (st != SEGKIT_OK || got < sizeof head || memcmp(head, open_tag, sizeof head) != 0) {
    return st;
  }
  if (src->size >= sizeof tail) {
    st = sk__source_read(src, src->size - sizeof tail, tail, sizeof tail, &got, err);
  } else {
    got = 0;
  }
  if (st == SEGKIT_OK && (got < sizeof tail || memcmp(tail, close_tag, sizeof tail) != 0)) {
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, path, 0, 0, NULL,
                               "truncated Stata file: it does not end with </stata_dta> "
                               "(expected a complete .dta file)");
  }
  return st;
}

segkit_status segkit_survey_read_file(const char *path, const segkit_survey_options *opt_in,
                                      segkit_survey_data **out, segkit_error *err) {
  if (path == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segkit_survey_read_file: a path and out are required");
  }
  rs_format fmt = format_of(path);
  if (fmt == RS_OTHER) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, path, 0, 0, NULL,
                               "unknown survey file type (expected .sav, .zsav or .dta; a "
                               "CSV needs a codebook)");
  }
  /* Open it ourselves first: "no such file" / "is a directory" with the io module's
   * wording, and an empty file refused before ReadStat sees it. */
  sk__source src;
  segkit_status st = sk__source_open_file(&src, path, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  uint64_t size = src.size;
  if (st == SEGKIT_OK && fmt == RS_DTA) {
    st = check_dta_end(&src, path, err);
  }
  sk__source_close(&src);
  if (st != SEGKIT_OK) {
    return st;
  }
  if (size == 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, path, 0, 0, NULL,
                               "empty file (expected %s file)",
                               fmt == RS_SAV ? "an SPSS .sav/.zsav" : "a Stata .dta");
  }
  segkit_survey_options opt;
  sk__survey_options_resolve(opt_in, &opt);
  rs_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.path = path;
  st = parse_file(&ctx, fmt, err);
  if (st == SEGKIT_OK) {
    st = assemble(&ctx, &opt, out, err);
  }
  ctx_free(&ctx);
  return st;
}
