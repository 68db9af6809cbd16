/* Key rules applied to a finished read: every row has a key, and no two rows share one.
 * Exports of customer tables routinely repeat an id (a row edited twice, two systems
 * merged); refusing the whole file for it, as a keyed import otherwise must, loses every
 * good row, and keeping both leaves "the customer" undefined. So the first row with a key
 * is kept and the others are treated as bad rows, by the read's own policy (fail, skip,
 * quarantine), with the line of both rows named.
 *
 * Key design choice: integer-like keys are checked in one pass when strictly increasing
 * (ids usually are), else by sorting (value, row) pairs; string keys by dictionary code,
 * since a column's dictionary holds each distinct string once. A quarantined row's raw
 * text is rendered again from its values: the reader keeps no bytes of accepted rows, and
 * a re-rendered CSV line can be re-imported as it is. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

typedef struct key_problem {
  size_t row;          /* the row removed */
  size_t first;        /* DUPLICATE_KEY: the row that keeps the key */
  segkit_reject_reason reason;
} key_problem;

typedef struct pair {
  int64_t value;
  size_t row;
} pair;

static int cmp_pair(const void *a, const void *b) {
  const pair *x = a;
  const pair *y = b;
  if (x->value != y->value) {
    return x->value < y->value ? -1 : 1;
  }
  return (x->row > y->row) - (x->row < y->row);
}

static const int64_t *int_values(const segkit_column *c) {
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_INT64:
    return segkit_column_int64(c);
  case SEGKIT_TYPE_TIMESTAMP:
    return segkit_column_timestamp(c);
  default:
    return NULL;
  }
}

static int64_t int_at(const segkit_column *c, size_t i) {
  if (segkit_column_type(c) == SEGKIT_TYPE_DATE) {
    return segkit_column_date(c)[i];
  }
  return int_values(c)[i];
}

/* For each row: 0 = keep, else the problem; dup_of[row] = the first row of its key. */
static segkit_status find_problems(const segkit_column *c, uint8_t *bad, size_t *dup_of,
                                   segkit_error *err) {
  size_t n = segkit_column_n_rows(c);
  for (size_t i = 0; i < n; i++) {
    if (!segkit_column_is_valid(c, i)) {
      bad[i] = 1 + SEGKIT_REJECT_NULL_KEY;
    }
  }
  if (segkit_column_type(c) == SEGKIT_TYPE_STRING) {
    const uint32_t *codes = segkit_column_codes(c);
    size_t n_codes = segkit_column_dict_size(c);
    size_t *first = malloc((n_codes + 1) * sizeof *first);
    if (first == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to check the key");
    }
    for (size_t k = 0; k < n_codes; k++) {
      first[k] = SIZE_MAX;
    }
    for (size_t i = 0; i < n; i++) {
      if (bad[i] != 0) {
        continue;
      }
      if (first[codes[i]] == SIZE_MAX) {
        first[codes[i]] = i;
      } else {
        bad[i] = 1 + SEGKIT_REJECT_DUPLICATE_KEY;
        dup_of[i] = first[codes[i]];
      }
    }
    free(first);
    return SEGKIT_OK;
  }
  bool increasing = true;
  bool have_prev = false;
  int64_t prev = 0;
  for (size_t i = 0; i < n && increasing; i++) {
    if (bad[i] != 0) {
      continue;
    }
    int64_t v = int_at(c, i);
    increasing = !have_prev || v > prev;
    prev = v;
    have_prev = true;
  }
  if (increasing) {
    return SEGKIT_OK;
  }
  pair *p = malloc((n + 1) * sizeof *p);
  if (p == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to check the key");
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (bad[i] == 0) {
      p[m++] = (pair){int_at(c, i), i};
    }
  }
  qsort(p, m, sizeof *p, cmp_pair);
  for (size_t j = 1; j < m; j++) {
    size_t start = j;
    while (j < m && p[j].value == p[start - 1].value) {
      bad[p[j].row] = 1 + SEGKIT_REJECT_DUPLICATE_KEY;
      dup_of[p[j].row] = p[start - 1].row;
      j++;
    }
  }
  free(p);
  return SEGKIT_OK;
}

/* ---- rendering ----------------------------------------------------------------------- */

typedef struct text {
  char *s;
  size_t n, cap;
  bool oom;
} text;

static void put(text *t, const char *s, size_t n) {
  if (t->oom) {
    return;
  }
  if (t->n + n + 1 > t->cap) {
    size_t cap = (t->n + n + 1) * 2;
    char *g = realloc(t->s, cap);
    if (g == NULL) {
      t->oom = true;
      return;
    }
    t->s = g;
    t->cap = cap;
  }
  memcpy(t->s + t->n, s, n);
  t->n += n;
  t->s[t->n] = '\0';
}

static void put_field(text *t, const char *s, size_t n, char delim) {
  bool quote = false;
  for (size_t i = 0; i < n && !quote; i++) {
    quote = s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  }
  if (!quote) {
    put(t, s, n);
    return;
  }
  put(t, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    put(t, s[i] == '"' ? "\"\"" : s + i, s[i] == '"' ? 2 : 1);
  }
  put(t, "\"", 1);
}

static void render_value(text *t, const segkit_column *c, size_t row, char delim) {
  if (!segkit_column_is_valid(c, row)) {
    return;
  }
  char buf[64];
  size_t len = 0;
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_INT64:
    len = (size_t)snprintf(buf, sizeof buf, "%" PRId64, segkit_column_int64(c)[row]);
    break;
  case SEGKIT_TYPE_FLOAT64:
    len = (size_t)snprintf(buf, sizeof buf, "%.17g", segkit_column_float64(c)[row]);
    break;
  case SEGKIT_TYPE_BOOL:
    len = (size_t)snprintf(buf, sizeof buf, "%s", segkit_column_bool(c)[row] ? "true" : "false");
    break;
  case SEGKIT_TYPE_DATE:
    len = segkit_format_date(segkit_column_date(c)[row], buf, sizeof buf);
    break;
  case SEGKIT_TYPE_TIMESTAMP:
    len = segkit_format_timestamp(segkit_column_timestamp(c)[row], buf, sizeof buf);
    break;
  case SEGKIT_TYPE_STRING: {
    size_t n = 0;
    const char *s = segkit_column_dict_value(c, segkit_column_codes(c)[row], &n);
    put_field(t, s, n, delim);
    return;
  }
  default:
    return;
  }
  put_field(t, buf, len < sizeof buf ? len : sizeof buf - 1, delim);
}

static void render_row(text *t, const segkit_table *tab, size_t row, char delim) {
  for (size_t j = 0; j < segkit_table_n_cols(tab); j++) {
    if (j > 0) {
      put(t, &delim, 1);
    }
    render_value(t, segkit_table_column(tab, j), row, delim);
  }
}

/* "42" or "\"acme\"" for a message. */
static void key_text(const segkit_column *c, size_t row, char *buf, size_t size) {
  if (segkit_column_type(c) == SEGKIT_TYPE_STRING) {
    size_t n = 0;
    const char *s = segkit_column_dict_value(c, segkit_column_codes(c)[row], &n);
    char shown[128];
    sk__quote_value(shown, sizeof shown, s, n, 100);
    snprintf(buf, size, "\"%s\"", shown);
    return;
  }
  if (segkit_column_type(c) == SEGKIT_TYPE_DATE) {
    segkit_format_date(segkit_column_date(c)[row], buf, size);
    return;
  }
  if (segkit_column_type(c) == SEGKIT_TYPE_TIMESTAMP) {
    segkit_format_timestamp(segkit_column_timestamp(c)[row], buf, size);
    return;
  }
  snprintf(buf, size, "%" PRId64, segkit_column_int64(c)[row]);
}

/* "line 17" when lines were kept, else "row 17" of the table. */
static void where(const segkit_read_result *r, size_t row, char *buf, size_t size) {
  int64_t line = segkit_read_result_row_line(r, row);
  if (line > 0) {
    snprintf(buf, size, "line %" PRId64, line);
  } else {
    snprintf(buf, size, "row %zu", row + 1);
  }
}

static void problem_message(const segkit_read_result *r, const segkit_column *c,
                            const char *key, size_t row, uint8_t bad, size_t first, bool kept,
                            char *msg, size_t size) {
  if (bad == 1 + SEGKIT_REJECT_NULL_KEY) {
    snprintf(msg, size, "no value in the key column '%s' (expected a key: rows are identified "
                        "by it)",
             key);
    return;
  }
  char value[160];
  char at[48];
  key_text(c, row, value, sizeof value);
  where(r, first, at, sizeof at);
  snprintf(msg, size, "key %s = %s repeats %s's (expected a unique key%s)", key, value, at,
           kept ? "; the first row is kept" : "");
}

static int cmp_reject_line(const void *a, const void *b) {
  const segkit_reject *x = a;
  const segkit_reject *y = b;
  return (x->line > y->line) - (x->line < y->line);
}

/* Append the removed rows as rejects: one block per reject holds its strings, so the
 * pointers of the rejects already there stay valid. */
static segkit_status add_rejects(segkit_read_result *r, const segkit_column *c, const char *key,
                                 const uint8_t *bad, const size_t *dup_of, size_t n_bad,
                                 segkit_error *err) {
  segkit_reject *grown = realloc(r->rejects, (r->n_rejects + n_bad + 1) * sizeof *grown);
  char **extra = realloc(r->extra, (r->n_extra + n_bad + 1) * sizeof *extra);
  if (grown != NULL) {
    r->rejects = grown;
  }
  if (extra != NULL) {
    r->extra = extra;
  }
  if (grown == NULL || extra == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu rejected rows", n_bad);
  }
  char delim = r->delimiter != 0 ? r->delimiter : ',';
  size_t n = segkit_table_n_rows(r->table);
  for (size_t i = 0; i < n; i++) {
    if (bad[i] == 0) {
      continue;
    }
    char msg[512];
    problem_message(r, c, key, i, bad[i], dup_of[i], true, msg, sizeof msg);
    text t = {0};
    render_row(&t, r->table, i, delim);
    size_t msg_len = strlen(msg);
    size_t key_len = strlen(key);
    char *block = t.oom ? NULL : malloc(msg_len + key_len + t.n + 3);
    if (block == NULL) {
      free(t.s);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for a rejected row");
    }
    memcpy(block, msg, msg_len + 1);
    memcpy(block + msg_len + 1, key, key_len + 1);
    if (t.n > 0) {
      memcpy(block + msg_len + key_len + 2, t.s, t.n);
    }
    block[msg_len + key_len + 2 + t.n] = '\0';
    free(t.s);
    r->extra[r->n_extra++] = block;
    segkit_reject *rj = &r->rejects[r->n_rejects++];
    rj->line = segkit_read_result_row_line(r, i);
    rj->column = 0;
    rj->field = block + msg_len + 1;
    rj->reason = (segkit_reject_reason)(bad[i] - 1);
    rj->message = block;
    rj->raw = block + msg_len + key_len + 2;
    rj->raw_len = t.n;
  }
  if (r->row_lines != NULL) {
    /* Keep the file's order: a quarantine lists rows as they were in the file. */
    qsort(r->rejects, r->n_rejects, sizeof *r->rejects, cmp_reject_line);
  }
  return SEGKIT_OK;
}

/* Drop the removed rows from the table and from the row lines. */
static segkit_status drop_rows(segkit_read_result *r, const uint8_t *bad, segkit_error *err) {
  size_t n = segkit_table_n_rows(r->table);
  uint8_t *keep = malloc(n + 1);
  if (keep == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to drop rows");
  }
  for (size_t i = 0; i < n; i++) {
    keep[i] = bad[i] == 0;
  }
  segkit_table *kept = NULL;
  segkit_status st = segkit_table_filter(r->table, keep, &kept, err);
  if (st == SEGKIT_OK) {
    segkit_table_free(r->table);
    r->table = kept;
    if (r->row_lines != NULL) {
      size_t m = 0;
      for (size_t i = 0; i < n && i < r->n_row_lines; i++) {
        if (keep[i]) {
          r->row_lines[m++] = r->row_lines[i];
        }
      }
      r->n_row_lines = m;
    }
  }
  free(keep);
  return st;
}

segkit_status segkit_read_result_check_key(segkit_read_result *r, const char *key,
                                           segkit_on_error how, size_t *n_out,
                                           segkit_error *err) {
  if (n_out != NULL) {
    *n_out = 0;
  }
  if (r == NULL || r->table == NULL || key == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "a read result with its table and a key "
                                                   "column are required");
  }
  long idx = segkit_table_column_index(r->table, key);
  if (idx < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, key,
                               "no key column '%s' (expected one of the file's columns)", key);
  }
  const segkit_column *c = segkit_table_column(r->table, (size_t)idx);
  segkit_type type = segkit_column_type(c);
  if (type != SEGKIT_TYPE_INT64 && type != SEGKIT_TYPE_STRING && type != SEGKIT_TYPE_DATE &&
      type != SEGKIT_TYPE_TIMESTAMP) {
    return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, key,
                               "key column '%s' holds %s values (expected integers, strings, "
                               "dates or timestamps)",
                               key, segkit_type_name(type));
  }
  size_t n = segkit_table_n_rows(r->table);
  uint8_t *bad = calloc(n + 1, 1);
  size_t *dup_of = calloc(n + 1, sizeof *dup_of);
  if (bad == NULL || dup_of == NULL) {
    free(bad);
    free(dup_of);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to check the key");
  }
  segkit_status st = find_problems(c, bad, dup_of, err);
  size_t n_bad = 0;
  size_t first_bad = SIZE_MAX;
  for (size_t i = 0; st == SEGKIT_OK && i < n; i++) {
    if (bad[i] != 0) {
      n_bad++;
      first_bad = first_bad == SIZE_MAX ? i : first_bad;
    }
  }
  if (st == SEGKIT_OK && n_bad > 0 && how == SEGKIT_ON_ERROR_FAIL) {
    char msg[512];
    problem_message(r, c, key, first_bad, bad[first_bad], dup_of[first_bad], false, msg,
                    sizeof msg);
    st = segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL,
                             segkit_read_result_row_line(r, first_bad), 0, key, "%s", msg);
  } else if (st == SEGKIT_OK && n_bad > 0) {
    if (how == SEGKIT_ON_ERROR_QUARANTINE) {
      st = add_rejects(r, c, key, bad, dup_of, n_bad, err);
    }
    for (size_t i = 0; st == SEGKIT_OK && i < n; i++) {
      if (bad[i] != 0) {
        r->counts.rejected_by_reason[bad[i] - 1]++;
      }
    }
    if (st == SEGKIT_OK) {
      st = drop_rows(r, bad, err);
    }
    if (st == SEGKIT_OK) {
      r->counts.rows_imported -= (int64_t)n_bad;
      r->counts.rows_rejected += (int64_t)n_bad;
      if (n_out != NULL) {
        *n_out = n_bad;
      }
    }
  }
  free(bad);
  free(dup_of);
  return st;
}
