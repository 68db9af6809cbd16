/* JSON Lines reader: one JSON object per line, parsed with jansson.
 *
 * Key design choice: jansson parses each line into a tree (json_loadb with
 * JSON_REJECT_DUPLICATES), and the reader maps that tree onto the same column plan and
 * value rules as the CSV reader (column_plan.c), so a value means the same in both.
 * Lines stream through the same bounded buffer as CSV (csv_split.c, line mode); JSON
 * Lines is read on one thread, since jansson, not splitting, bounds its speed.
 *
 * Schema: the union of the keys of the first infer_rows objects, in first-seen order;
 * caller types may add keys the sample did not see. Types are inferred from JSON values:
 * true/false bool; integers int64; other numbers float64; strings that are dates or
 * timestamps date or timestamp; other strings, objects and arrays string (objects and
 * arrays hold their compact JSON text); null says nothing. A later key outside the schema
 * rejects its line (UNKNOWN_FIELD); a line that is not one JSON object is BAD_JSON with
 * jansson's message and byte column. Blank lines are skipped but counted for line
 * numbers. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

#define BIT(t) (1u << (t))

typedef struct key_index {
  size_t *slots;       /* column + 1, 0 = empty */
  size_t n_slots;      /* power of two */
} key_index;

typedef struct jsonl_ctx {
  segkit_read_options opt;
  sk__source src;
  const char *name;
  uint64_t bom;
  sk__colplan plan;
  sk__infer_formats inf;
  key_index keys;
  unsigned *cand;
  bool *seen;
  size_t n_alloc;      /* capacity of cand/seen */
  json_t **vals;       /* per column, the current line's value (borrowed) */
  segkit_table_builder *b;
  sk__reject_list rejects;
  segkit_read_counts counts;
  size_t n_rows;
  char *text;          /* rendering of non-string values */
  size_t text_cap;
  sk__line_vec row_lines; /* accepted rows' lines, when kept */
} jsonl_ctx;

/* ==== key index ========================================================================= */

static uint64_t key_hash(const char *s, size_t n) {
  uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a: keys are few and short */
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= UINT64_C(1099511628211);
  }
  return h ^ (h >> 29);
}

static long key_find(const jsonl_ctx *c, const char *k, size_t n) {
  if (c->keys.n_slots == 0) {
    return -1;
  }
  size_t mask = c->keys.n_slots - 1;
  for (size_t i = (size_t)key_hash(k, n) & mask;; i = (i + 1) & mask) {
    size_t v = c->keys.slots[i];
    if (v == 0) {
      return -1;
    }
    const char *name = c->plan.names[v - 1];
    if (strlen(name) == n && memcmp(name, k, n) == 0) {
      return (long)(v - 1);
    }
  }
}

static segkit_status key_index_build(jsonl_ctx *c, segkit_error *err) {
  size_t n = 16;
  while (n < c->plan.n_cols * 2 + 2) {
    n *= 2;
  }
  free(c->keys.slots);
  c->keys.slots = calloc(n, sizeof *c->keys.slots);
  if (c->keys.slots == NULL) {
    c->keys.n_slots = 0;
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the JSON keys");
  }
  c->keys.n_slots = n;
  for (size_t col = 0; col < c->plan.n_cols; col++) {
    const char *name = c->plan.names[col];
    size_t i = (size_t)key_hash(name, strlen(name)) & (n - 1);
    while (c->keys.slots[i] != 0) {
      i = (i + 1) & (n - 1);
    }
    c->keys.slots[i] = col + 1;
  }
  return SEGKIT_OK;
}

/* ==== raw line helpers ================================================================== */

static size_t skip_ws(const char *s, size_t n, size_t i) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
    i++;
  }
  return i;
}

static size_t skip_string(const char *s, size_t n, size_t i) {
  i++; /* opening quote */
  while (i < n && s[i] != '"') {
    i += s[i] == '\\' ? 2 : 1;
  }
  return i + 1;
}

static size_t skip_value(const char *s, size_t n, size_t i) {
  if (i < n && s[i] == '"') {
    return skip_string(s, n, i);
  }
  if (i < n && (s[i] == '{' || s[i] == '[')) {
    int depth = 0;
    while (i < n) {
      char ch = s[i];
      if (ch == '"') {
        i = skip_string(s, n, i);
        continue;
      }
      if (ch == '{' || ch == '[') {
        depth++;
      } else if (ch == '}' || ch == ']') {
        depth--;
        if (depth == 0) {
          return i + 1;
        }
      }
      i++;
    }
    return i;
  }
  while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ' ' && s[i] != '\t') {
    i++;
  }
  return i;
}

/* 1-based byte column of member `key` in a line known to be a valid JSON object: of its
 * value (want_value) or of its key; 0 when it cannot be found (escaped keys). */
static int64_t member_column(const char *s, size_t n, const char *key, size_t key_len,
                             bool want_value) {
  size_t i = skip_ws(s, n, 0);
  if (i >= n || s[i] != '{') {
    return 0;
  }
  i++;
  for (;;) {
    i = skip_ws(s, n, i);
    if (i >= n || s[i] != '"') {
      return 0;
    }
    size_t key_at = i;
    size_t end = skip_string(s, n, i);
    bool match = end - key_at - 2 == key_len && memcmp(s + key_at + 1, key, key_len) == 0;
    i = skip_ws(s, n, end);
    if (i >= n || s[i] != ':') {
      return 0;
    }
    i = skip_ws(s, n, i + 1);
    if (match) {
      return (int64_t)(want_value ? i : key_at) + 1;
    }
    i = skip_ws(s, n, skip_value(s, n, i));
    if (i >= n || s[i] != ',') {
      return 0;
    }
    i++;
  }
}

/* ==== values ============================================================================ */

/* Shortest "%.*g" text that reads back as the same double (at most 17 digits). */
static size_t format_real(double v, char *buf, size_t size) {
  int k = 0;
  for (int prec = 1; prec <= 17; prec++) {
    k = snprintf(buf, size, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) {
      break;
    }
  }
  return k < 0 ? 0 : (size_t)k;
}

/* A value's text: string contents, numbers and literals as written, objects and arrays
 * as compact JSON. The text lives in c->text or in the value. */
static bool value_text(jsonl_ctx *c, json_t *v, const char **s, size_t *n) {
  char num[64];
  switch (json_typeof(v)) {
    case JSON_STRING:
      *s = json_string_value(v);
      *n = json_string_length(v);
      return true;
    case JSON_INTEGER:
      *n = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
      break;
    case JSON_REAL:
      *n = format_real(json_real_value(v), num, sizeof num);
      break;
    case JSON_TRUE:
      *n = (size_t)snprintf(num, sizeof num, "true");
      break;
    case JSON_FALSE:
      *n = (size_t)snprintf(num, sizeof num, "false");
      break;
    default: {
      char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
      if (dump == NULL) {
        return false;
      }
      size_t len = strlen(dump);
      if (c->text_cap < len + 1) {
        char *p = realloc(c->text, len + 1);
        if (p == NULL) {
          free(dump);
          return false;
        }
        c->text = p;
        c->text_cap = len + 1;
      }
      memcpy(c->text, dump, len + 1);
      free(dump);
      *s = c->text;
      *n = len;
      return true;
    }
  }
  if (c->text_cap < sizeof num) {
    char *p = realloc(c->text, sizeof num);
    if (p == NULL) {
      return false;
    }
    c->text = p;
    c->text_cap = sizeof num;
  }
  memcpy(c->text, num, *n + 1);
  *s = c->text;
  return true;
}

/* Append v (not NULL, not json null) to column col. s and n get the text shown in a
 * bad-value message. */
static sk__append_result append_json(jsonl_ctx *c, size_t col, segkit_column_builder *cb,
                                     json_t *v, const char **s, size_t *n) {
  segkit_type t = c->plan.types[col];
  segkit_status st = SEGKIT_OK;
  switch (json_typeof(v)) {
    case JSON_INTEGER:
      if (t == SEGKIT_TYPE_INT64) {
        st = segkit_column_append_int64(cb, json_integer_value(v));
        return st == SEGKIT_OK ? SK__APPEND_OK : SK__APPEND_NOMEM;
      }
      if (t == SEGKIT_TYPE_FLOAT64) {
        st = segkit_column_append_float64(cb, (double)json_integer_value(v));
        return st == SEGKIT_OK ? SK__APPEND_OK : SK__APPEND_NOMEM;
      }
      break;
    case JSON_REAL: {
      double d = json_real_value(v);
      if (t == SEGKIT_TYPE_FLOAT64) {
        st = segkit_column_append_float64(cb, d);
        return st == SEGKIT_OK ? SK__APPEND_OK : SK__APPEND_NOMEM;
      }
      /* 5.0 in an int64 column: exact integers are accepted (JSON writers differ). */
      if (t == SEGKIT_TYPE_INT64 && d == floor(d) && fabs(d) <= 9007199254740992.0) {
        st = segkit_column_append_int64(cb, (int64_t)d);
        return st == SEGKIT_OK ? SK__APPEND_OK : SK__APPEND_NOMEM;
      }
      break;
    }
    case JSON_TRUE:
    case JSON_FALSE:
      if (t == SEGKIT_TYPE_BOOL) {
        st = segkit_column_append_bool(cb, json_is_true(v));
        return st == SEGKIT_OK ? SK__APPEND_OK : SK__APPEND_NOMEM;
      }
      break;
    default:
      break;
  }
  if (!value_text(c, v, s, n)) {
    return SK__APPEND_NOMEM;
  }
  if (json_is_string(v) || t == SEGKIT_TYPE_STRING) {
    /* A JSON string is quoted text: null spellings do not apply, "" is null outside
     * string columns. Other values rendered into a string column are kept as text. */
    return sk__append_text(&c->plan, col, cb, *s, *n, true);
  }
  if ((json_is_object(v) || json_is_array(v))) {
    return SK__APPEND_BAD;
  }
  /* Numbers and literals in other columns: read their text (an integer in a timestamp
   * column the caller fixed is Unix seconds). */
  return sk__append_typed(&c->plan, col, cb, *s, *n);
}

/* ==== inference ========================================================================= */

static segkit_status grow_candidates(jsonl_ctx *c, segkit_error *err) {
  if (c->plan.n_cols <= c->n_alloc) {
    return SEGKIT_OK;
  }
  size_t cap = c->n_alloc < 16 ? 16 : c->n_alloc * 2;
  while (cap < c->plan.n_cols) {
    cap *= 2;
  }
  unsigned *cand = realloc(c->cand, cap * sizeof *cand);
  if (cand != NULL) {
    c->cand = cand;
  }
  bool *seen = realloc(c->seen, cap * sizeof *seen);
  if (seen != NULL) {
    c->seen = seen;
  }
  if (cand == NULL || seen == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu columns", c->plan.n_cols);
  }
  for (size_t i = c->n_alloc; i < cap; i++) {
    c->cand[i] = SK__INFER_ALL;
    c->seen[i] = false;
  }
  c->n_alloc = cap;
  return SEGKIT_OK;
}

static segkit_status add_key(jsonl_ctx *c, const char *key, size_t n, long *col,
                             segkit_error *err) {
  char *copy = malloc(n + 1);
  char **names = realloc(c->plan.names, (c->plan.n_cols + 1) * sizeof *names);
  if (names != NULL) {
    c->plan.names = names;
  }
  segkit_type *types = realloc(c->plan.types, (c->plan.n_cols + 1) * sizeof *types);
  if (types != NULL) {
    c->plan.types = types;
  }
  bool *fixed = realloc(c->plan.fixed, (c->plan.n_cols + 1) * sizeof *fixed);
  if (fixed != NULL) {
    c->plan.fixed = fixed;
  }
  if (copy == NULL || names == NULL || types == NULL || fixed == NULL) {
    free(copy);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the JSON keys");
  }
  memcpy(copy, key, n);
  copy[n] = '\0';
  size_t i = c->plan.n_cols++;
  c->plan.names[i] = copy;
  c->plan.types[i] = SEGKIT_TYPE_STRING;
  c->plan.fixed[i] = false;
  *col = (long)i;
  segkit_status st = grow_candidates(c, err);
  if (st == SEGKIT_OK && c->plan.n_cols * 2 + 2 > c->keys.n_slots) {
    st = key_index_build(c, err);
  } else if (st == SEGKIT_OK) {
    size_t mask = c->keys.n_slots - 1;
    size_t h = (size_t)key_hash(copy, n) & mask;
    while (c->keys.slots[h] != 0) {
      h = (h + 1) & mask;
    }
    c->keys.slots[h] = i + 1;
  }
  return st;
}

/* Which types a JSON value fits. */
static unsigned value_fits(jsonl_ctx *c, json_t *v, unsigned cand) {
  switch (json_typeof(v)) {
    case JSON_TRUE:
    case JSON_FALSE:
      return cand & BIT(SEGKIT_TYPE_BOOL);
    case JSON_INTEGER:
      return cand & (BIT(SEGKIT_TYPE_INT64) | BIT(SEGKIT_TYPE_FLOAT64));
    case JSON_REAL:
      return cand & BIT(SEGKIT_TYPE_FLOAT64);
    case JSON_STRING: {
      unsigned when = cand & (BIT(SEGKIT_TYPE_DATE) | BIT(SEGKIT_TYPE_TIMESTAMP));
      if (when == 0) {
        return 0;
      }
      return sk__infer_value(json_string_value(v), json_string_length(v), when, &c->inf);
    }
    default:
      return 0;
  }
}

static bool is_null_value(json_t *v) {
  return json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

static segkit_status infer_line(jsonl_ctx *c, json_t *obj, segkit_error *err) {
  const char *key;
  json_t *v;
  void *it = json_object_iter(obj);
  while (it != NULL) {
    key = json_object_iter_key(it);
    v = json_object_iter_value(it);
    size_t klen = strlen(key);
    long col = key_find(c, key, klen);
    if (col < 0) {
      segkit_status st = add_key(c, key, klen, &col, err);
      if (st != SEGKIT_OK) {
        return st;
      }
    }
    if (!is_null_value(v)) {
      c->seen[col] = true;
      if (c->cand[col] != 0) {
        c->cand[col] = value_fits(c, v, c->cand[col]);
      }
    }
    it = json_object_iter_next(obj, it);
  }
  return SEGKIT_OK;
}

static bool blank_line(const sk__row *row) {
  for (size_t i = 0; i < row->raw_len; i++) {
    uint8_t b = row->raw[i];
    if (b != ' ' && b != '\t' && b != '\r') {
      return false;
    }
  }
  return true;
}

static sk__rowreader_config line_config(const jsonl_ctx *c) {
  sk__rowreader_config cfg;
  cfg.buffer_bytes = c->opt.buffer_bytes;
  cfg.cap_limit = c->opt.buffer_bytes + 2 * c->opt.max_field_bytes;
  cfg.read_chunk = (size_t)1 << 20;
  cfg.field_cap = 1;
  cfg.grow_fields = false;
  return cfg;
}

static segkit_status infer_schema(jsonl_ctx *c, segkit_error *err) {
  sk__dialect d = {0, 0, c->opt.max_field_bytes};
  sk__rowreader_config cfg = line_config(c);
  sk__rowreader rr;
  segkit_status st = sk__rowreader_init(&rr, &c->src, &d, &cfg, c->bom, UINT64_MAX, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  size_t rows = 0;
  bool any_line = false;
  while (c->opt.infer_rows == 0 || rows < c->opt.infer_rows) {
    sk__row row;
    bool got = false;
    st = sk__rowreader_next_line(&rr, &row, &got, err);
    if (st != SEGKIT_OK || !got) {
      break;
    }
    if (blank_line(&row)) {
      continue;
    }
    any_line = true;
    rows++;
    if (row.truncated_raw || !sk__utf8_valid(row.raw, row.raw_len)) {
      continue;
    }
    json_error_t jerr;
    json_t *obj = json_loadb((const char *)row.raw, row.raw_len, JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL) {
      continue;
    }
    if (json_is_object(obj)) {
      st = infer_line(c, obj, err);
    }
    json_decref(obj);
    if (st != SEGKIT_OK) {
      break;
    }
  }
  sk__rowreader_free(&rr);
  if (st == SEGKIT_OK && !any_line) {
    st = segkit_error_set_at(err, SEGKIT_ERR_PARSE, c->name, 0, 0, NULL,
                             "the file is empty (expected one JSON object per line)");
  }
  return st;
}

/* ==== build ============================================================================= */

static segkit_status reject_line(jsonl_ctx *c, const sk__row *row, segkit_reject_reason reason,
                                 int64_t column, long col, const char *msg, segkit_error *err,
                                 bool *stop) {
  c->counts.rows_rejected++;
  c->counts.rejected_by_reason[reason]++;
  const char *field = col >= 0 ? c->plan.names[col] : NULL;
  int64_t line = row->line + 1;
  switch (c->opt.on_error) {
    case SEGKIT_ON_ERROR_FAIL:
      *stop = true;
      return segkit_error_set_at(err, sk__reject_status(reason), c->name, line, column, field,
                                 "%s", msg);
    case SEGKIT_ON_ERROR_SKIP:
      return SEGKIT_OK;
    default: {
      sk__reject_rec rec = {row->line, column, row->line, (int32_t)col, reason, 0, 0, 0, 0};
      if (sk__reject_list_add(&c->rejects, &rec, msg, strlen(msg), row->raw, row->raw_len) !=
          SEGKIT_OK) {
        return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to keep rejected rows");
      }
      return SEGKIT_OK;
    }
  }
}

/* Check one line and append its values; a bad line is rejected with nothing appended. */
static segkit_status build_line(jsonl_ctx *c, const sk__row *row, segkit_error *err,
                                bool *stop) {
  char msg[768];
  const char *raw = (const char *)row->raw;
  if (row->truncated_raw) {
    snprintf(msg, sizeof msg,
             "line longer than the reader's limit of %zu bytes; only its first %zu bytes "
             "are kept (expected lines shorter than buffer_bytes + 2 x max_field_bytes)",
             c->opt.buffer_bytes + 2 * c->opt.max_field_bytes, row->raw_len);
    return reject_line(c, row, SEGKIT_REJECT_FIELD_TOO_LONG, 0, -1, msg, err, stop);
  }
  size_t bad = sk__utf8_find_invalid(row->raw, row->raw_len);
  if (bad < row->raw_len) {
    char shown[64];
    size_t k = row->raw_len - bad < 4 ? row->raw_len - bad : 4;
    sk__quote_value(shown, sizeof shown, raw + bad, k, 4);
    snprintf(msg, sizeof msg,
             "bytes that are not valid UTF-8 (\"%s\"; expected UTF-8 text: JSON must be "
             "UTF-8)",
             shown);
    return reject_line(c, row, SEGKIT_REJECT_BAD_UTF8, (int64_t)bad + 1, -1, msg, err, stop);
  }
  json_error_t jerr;
  json_t *obj = json_loadb(raw, row->raw_len, JSON_REJECT_DUPLICATES, &jerr);
  if (obj == NULL) {
    snprintf(msg, sizeof msg, "not valid JSON: %s (expected one JSON object per line)",
             jerr.text);
    int64_t column = jerr.position > 0 ? (int64_t)jerr.position : 1;
    return reject_line(c, row, SEGKIT_REJECT_BAD_JSON, column, -1, msg, err, stop);
  }
  if (!json_is_object(obj)) {
    const char *kind = json_is_array(obj)    ? "an array"
                       : json_is_string(obj) ? "a string"
                       : json_is_number(obj) ? "a number"
                       : json_is_null(obj)   ? "null"
                                             : "true or false";
    json_decref(obj);
    snprintf(msg, sizeof msg, "the line is %s, not an object (expected one JSON object per "
                              "line)", kind);
    int64_t column = (int64_t)skip_ws(raw, row->raw_len, 0) + 1;
    return reject_line(c, row, SEGKIT_REJECT_BAD_JSON, column, -1, msg, err, stop);
  }
  for (size_t i = 0; i < c->plan.n_cols; i++) {
    c->vals[i] = NULL;
  }
  segkit_status st = SEGKIT_OK;
  for (void *it = json_object_iter(obj); it != NULL; it = json_object_iter_next(obj, it)) {
    const char *key = json_object_iter_key(it);
    size_t klen = strlen(key);
    long col = key_find(c, key, klen);
    if (col < 0) {
      char shown[200];
      sk__quote_value(shown, sizeof shown, key, klen, 60);
      snprintf(msg, sizeof msg,
               "key \"%s\" is not in the schema (expected only keys seen in the first %zu "
               "lines; raise --infer-rows, or give it a type with --type %s=TYPE)",
               shown, c->opt.infer_rows, shown);
      int64_t column = member_column(raw, row->raw_len, key, klen, false);
      json_decref(obj);
      return reject_line(c, row, SEGKIT_REJECT_UNKNOWN_FIELD, column, -1, msg, err, stop);
    }
    c->vals[col] = json_object_iter_value(it);
  }
  /* Limits first, so a rejected line has appended nothing. */
  for (size_t i = 0; i < c->plan.n_cols; i++) {
    json_t *v = c->vals[i];
    if (v != NULL && json_is_string(v) && json_string_length(v) > c->opt.max_field_bytes) {
      snprintf(msg, sizeof msg,
               "value of %zu bytes is longer than the limit (expected at most "
               "max_field_bytes = %zu bytes per field)",
               json_string_length(v), c->opt.max_field_bytes);
      const char *name = c->plan.names[i];
      int64_t column = member_column(raw, row->raw_len, name, strlen(name), true);
      json_decref(obj);
      return reject_line(c, row, SEGKIT_REJECT_FIELD_TOO_LONG, column, (long)i, msg, err, stop);
    }
  }
  for (size_t k = 0; k < c->plan.n_cols; k++) {
    size_t i = c->plan.order[k];
    segkit_column_builder *cb = segkit_table_builder_column(c->b, i);
    json_t *v = c->vals[i];
    sk__append_result ar;
    const char *s = "";
    size_t n = 0;
    if (v == NULL || json_is_null(v)) {
      ar = segkit_column_append_null(cb) == SEGKIT_OK ? SK__APPEND_OK : SK__APPEND_NOMEM;
    } else {
      ar = append_json(c, i, cb, v, &s, &n);
    }
    if (ar == SK__APPEND_OK) {
      continue;
    }
    segkit_table_builder_truncate(c->b, c->n_rows);
    if (ar == SK__APPEND_NOMEM) {
      json_decref(obj);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the table");
    }
    sk__bad_value_message(&c->plan, i, s, n, ar, msg, sizeof msg);
    const char *name = c->plan.names[i];
    int64_t column = member_column(raw, row->raw_len, name, strlen(name), true);
    json_decref(obj);
    return reject_line(c, row, SEGKIT_REJECT_BAD_VALUE, column, (long)i, msg, err, stop);
  }
  json_decref(obj);
  if (c->opt.keep_row_lines && !sk__line_vec_push(&c->row_lines, row->line)) {
    segkit_table_builder_truncate(c->b, c->n_rows);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for row lines");
  }
  c->n_rows++;
  c->counts.rows_imported++;
  return st;
}

static segkit_status build(jsonl_ctx *c, segkit_read_result **out, segkit_error *err) {
  segkit_status st = sk__colplan_builder(&c->plan, &c->b, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  c->vals = calloc(c->plan.n_cols + 1, sizeof *c->vals);
  if (c->vals == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu columns", c->plan.n_cols);
  }
  sk__dialect d = {0, 0, c->opt.max_field_bytes};
  sk__rowreader_config cfg = line_config(c);
  sk__rowreader rr;
  st = sk__rowreader_init(&rr, &c->src, &d, &cfg, c->bom, UINT64_MAX, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  bool stop = false;
  while (!stop) {
    sk__row row;
    bool got = false;
    st = sk__rowreader_next_line(&rr, &row, &got, err);
    if (st != SEGKIT_OK || !got) {
      break;
    }
    if (blank_line(&row)) {
      continue;
    }
    c->counts.rows_read++;
    st = build_line(c, &row, err, &stop);
    if (st != SEGKIT_OK) {
      break;
    }
  }
  sk__rowreader_free(&rr);
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_table *table = NULL;
  st = segkit_table_builder_finish(c->b, &table, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  c->b = NULL;
  c->counts.bytes_read = (int64_t)c->src.size;
  bool *inferred = malloc((c->plan.n_cols + 1) * sizeof *inferred);
  if (inferred == NULL) {
    segkit_table_free(table);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the read result");
  }
  for (size_t i = 0; i < c->plan.n_cols; i++) {
    inferred[i] = !c->plan.fixed[i];
  }
  int64_t base = 0;
  sk__result_parts p;
  memset(&p, 0, sizeof p);
  p.table = table;
  p.counts = c->counts;
  p.delimiter = 0;
  p.n_cols = c->plan.n_cols;
  p.col_names = (const char *const *)c->plan.names;
  p.inferred = inferred;
  p.lists = &c->rejects;
  p.line_base = &base;
  p.n_lists = 1;
  p.row_lines = c->opt.keep_row_lines ? &c->row_lines : NULL;
  st = sk__result_new(&p, out, err);
  free(inferred);
  return st;
}

static segkit_status jsonl_read(jsonl_ctx *c, const segkit_read_options *opt,
                                segkit_read_result **out, segkit_error *err) {
  segkit_status st = sk__options_resolve(opt, &c->opt, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  uint8_t head[3] = {0, 0, 0};
  size_t got = 0;
  st = sk__source_read(&c->src, 0, head, 3, &got, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  c->bom = got == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF ? 3 : 0;
  st = sk__colplan_alloc(&c->plan, 0, err);
  if (st == SEGKIT_OK) {
    st = sk__colplan_set_formats(&c->plan, &c->opt, err);
  }
  if (st == SEGKIT_OK) {
    c->inf.fmt = c->plan.fmt;
    c->inf.fmt_has_time = c->plan.fmt_has_time;
    st = key_index_build(c, err);
  }
  if (st == SEGKIT_OK) {
    st = infer_schema(c, err);
  }
  if (st != SEGKIT_OK) {
    return st;
  }
  for (size_t i = 0; i < c->plan.n_cols; i++) {
    c->plan.types[i] = sk__infer_pick(c->cand[i], c->seen[i]);
  }
  /* Caller types win, and may add keys the sample did not show. */
  st = sk__colplan_apply_overrides(&c->plan, &c->opt, true, c->name, err);
  if (st == SEGKIT_OK) {
    st = key_index_build(c, err);
  }
  if (st == SEGKIT_OK && c->plan.n_cols == 0) {
    /* A table needs a column; rows of `{}` alone cannot be kept. */
    st = segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, c->name, 0, 0, NULL,
                             "no keys in the objects of the first %zu lines (expected JSON "
                             "objects with at least one key; raise --infer-rows or give "
                             "column types)",
                             c->opt.infer_rows);
  }
  if (st == SEGKIT_OK) {
    st = sk__colplan_finalize(&c->plan, err);
  }
  if (st != SEGKIT_OK) {
    return st;
  }
  return build(c, out, err);
}

static void ctx_free(jsonl_ctx *c) {
  segkit_table_builder_free(c->b);
  sk__reject_list_free(&c->rejects);
  sk__colplan_free(&c->plan);
  sk__source_close(&c->src);
  free(c->keys.slots);
  free(c->cand);
  free(c->seen);
  free(c->vals);
  free(c->text);
  free(c->row_lines.v);
}

segkit_status segkit_jsonl_read(const char *path, const segkit_read_options *opt,
                                segkit_read_result **out, segkit_error *err) {
  if (path == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_jsonl_read: path and out are required");
  }
  jsonl_ctx c;
  memset(&c, 0, sizeof c);
  segkit_status st = sk__source_open_file(&c.src, path, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  c.name = path;
  sk__progress progress;
  if (opt != NULL && opt->progress != NULL) {
    sk__progress_init(&progress, opt, c.src.size);
    c.src.progress = &progress;
  }
  st = jsonl_read(&c, opt, out, err);
  ctx_free(&c);
  return st;
}

segkit_status segkit_jsonl_read_buffer(const char *data, size_t size,
                                       const segkit_read_options *opt, segkit_read_result **out,
                                       segkit_error *err) {
  if (out == NULL || (data == NULL && size > 0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segkit_jsonl_read_buffer: data (when size > 0) and out are required");
  }
  jsonl_ctx c;
  memset(&c, 0, sizeof c);
  const char *name = opt != NULL && opt->source_name != NULL ? opt->source_name : "<input>";
  sk__source_open_memory(&c.src, data, size, name);
  c.name = name;
  segkit_status st = jsonl_read(&c, opt, out, err);
  ctx_free(&c);
  return st;
}
