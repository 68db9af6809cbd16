/* Helpers for the rule-language tests (test_segment*.c): tables written as text cells,
 * and a rule's members as a list of row numbers. Header-only (static functions) because
 * each test executable links only testkit.c. */
#ifndef SEGKIT_SEGMENT_TESTKIT_H
#define SEGKIT_SEGMENT_TESTKIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segkit/segment.h"
#include "segkit/table.h"

/* A table from text cells, row-major (n_rows * n_cols), NULL = null. Types: int64 via
 * strtoll, float64 strtod, bool "true"/"false", date "YYYY-MM-DD", timestamp ISO 8601,
 * string as is. Returns NULL on any failure. */
static inline segkit_table *sgt_table(size_t n_cols, const char *const *names,
                                      const segkit_type *types, size_t n_rows,
                                      const char *const *cells) {
  segkit_table_builder *b = NULL;
  if (segkit_table_builder_new(n_cols, names, types, &b, NULL) != SEGKIT_OK) {
    return NULL;
  }
  for (size_t r = 0; r < n_rows; r++) {
    for (size_t c = 0; c < n_cols; c++) {
      segkit_column_builder *cb = segkit_table_builder_column(b, c);
      const char *v = cells[r * n_cols + c];
      segkit_status s = SEGKIT_OK;
      if (v == NULL) {
        s = segkit_column_append_null(cb);
      } else if (types[c] == SEGKIT_TYPE_INT64) {
        s = segkit_column_append_int64(cb, strtoll(v, NULL, 10));
      } else if (types[c] == SEGKIT_TYPE_FLOAT64) {
        s = segkit_column_append_float64(cb, strtod(v, NULL));
      } else if (types[c] == SEGKIT_TYPE_BOOL) {
        s = segkit_column_append_bool(cb, strcmp(v, "true") == 0);
      } else if (types[c] == SEGKIT_TYPE_DATE) {
        int32_t d = 0;
        s = segkit_parse_date(v, strlen(v), &d) ? segkit_column_append_date(cb, d) : SEGKIT_ERR_PARSE;
      } else if (types[c] == SEGKIT_TYPE_TIMESTAMP) {
        int64_t us = 0;
        s = segkit_parse_timestamp(v, strlen(v), &us) ? segkit_column_append_int64(cb, us)
                                                        : SEGKIT_ERR_PARSE;
      } else {
        s = segkit_column_append_string(cb, v, strlen(v));
      }
      if (s != SEGKIT_OK) {
        segkit_table_builder_free(b);
        return NULL;
      }
    }
  }
  segkit_table *t = NULL;
  if (segkit_table_builder_finish(b, &t, NULL) != SEGKIT_OK) {
    segkit_table_builder_free(b);
    return NULL;
  }
  return t;
}

/* Members of a compiled rule as "1,3,6" (1-based row numbers), into buf. Returns the
 * status of the evaluation. */
static inline segkit_status sgt_members(const segkit_rule *rule, const segkit_rule_env *env,
                                        size_t n_rows, int n_threads, char *buf, size_t size,
                                        segkit_error *err) {
  size_t words = (n_rows + 63) / 64;
  uint64_t *bits = calloc(words > 0 ? words : 1, sizeof *bits);
  size_t count = 0;
  buf[0] = '\0';
  if (bits == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  segkit_status s = segkit_rule_eval(rule, env, n_threads, bits, &count, err);
  size_t o = 0;
  size_t seen = 0;
  for (size_t r = 0; s == SEGKIT_OK && r < n_rows; r++) {
    if ((bits[r / 64] >> (r % 64)) & 1u) {
      o += (size_t)snprintf(buf + o, size - o, "%s%zu", seen > 0 ? "," : "", r + 1);
      seen++;
    }
  }
  if (s == SEGKIT_OK && seen != count) {
    s = SEGKIT_ERR_INTERNAL;
  }
  free(bits);
  return s;
}

#endif
