/* Helpers for the metrics tests: build a subscription table from rows of text fields
 * (NULL = null), as the generated subscriptions.csv has them, with only the table module
 * (the metrics tests do not link io). */
#ifndef SEGKIT_METRICS_TESTKIT_H
#define SEGKIT_METRICS_TESTKIT_H

#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segkit/table.h"

/* The columns of subscriptions.csv (docs/sample-data.md), with their types. */
#define MT_N_COLS 14
static const char *const mt_names[MT_N_COLS] = {
    "subscription_id", "customer_id", "plan",         "billing_interval", "interval_count",
    "seats",           "unit_price",  "currency",     "discount_percent", "status",
    "start_reason",    "started_at",  "trial_end",    "ended_at"};
static const segkit_type mt_types[MT_N_COLS] = {
    SEGKIT_TYPE_INT64,   SEGKIT_TYPE_INT64,  SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING,
    SEGKIT_TYPE_INT64,   SEGKIT_TYPE_INT64,  SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING,
    SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING, SEGKIT_TYPE_DATE,
    SEGKIT_TYPE_DATE,    SEGKIT_TYPE_DATE};

/* Append one text field to a column; returns 0 on success. */
static inline int mt_append(segkit_column_builder *cb, segkit_type t, const char *s) {
  if (s == NULL || s[0] == '\0') {
    return segkit_column_append_null(cb) == SEGKIT_OK ? 0 : -1;
  }
  switch (t) {
  case SEGKIT_TYPE_INT64:
    return segkit_column_append_int64(cb, strtoll(s, NULL, 10)) == SEGKIT_OK ? 0 : -1;
  case SEGKIT_TYPE_FLOAT64:
    return segkit_column_append_float64(cb, strtod(s, NULL)) == SEGKIT_OK ? 0 : -1;
  case SEGKIT_TYPE_DATE: {
    int32_t d;
    if (!segkit_parse_date(s, strlen(s), &d)) {
      return -1;
    }
    return segkit_column_append_date(cb, d) == SEGKIT_OK ? 0 : -1;
  }
  default:
    return segkit_column_append_string(cb, s, strlen(s)) == SEGKIT_OK ? 0 : -1;
  }
}

/* A table of n rows of MT_N_COLS text fields each (row-major); NULL on failure. */
static inline segkit_table *mt_table(const char *const *fields, size_t n) {
  segkit_table_builder *b = NULL;
  if (segkit_table_builder_new(MT_N_COLS, mt_names, mt_types, &b, NULL) != SEGKIT_OK) {
    return NULL;
  }
  for (size_t r = 0; r < n; r++) {
    for (size_t c = 0; c < MT_N_COLS; c++) {
      if (mt_append(segkit_table_builder_column(b, c), mt_types[c], fields[r * MT_N_COLS + c]) !=
          0) {
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

/* Split a comma-separated file in place: returns a malloc'd array of field pointers (empty
 * fields become NULL), header skipped; *n_rows and *n_cols get the shape. */
static inline const char **mt_split_csv(char *text, size_t *n_rows, size_t *n_cols) {
  size_t cap = 1024;
  size_t n = 0;
  const char **f = malloc(cap * sizeof *f);
  assert_non_null(f);
  size_t cols = 0;
  size_t lines = 0;
  char *line = text;
  while (*line != '\0') {
    char *nl = strchr(line, '\n');
    if (nl != NULL) {
      *nl = '\0';
    }
    size_t k = 0;
    char *p = line;
    for (;;) {
      char *comma = strchr(p, ',');
      if (comma != NULL) {
        *comma = '\0';
      }
      if (lines > 0) {
        if (n == cap) {
          cap *= 2;
          f = realloc(f, cap * sizeof *f);
          assert_non_null(f);
        }
        f[n++] = *p ? p : NULL;
      }
      k++;
      if (comma == NULL) {
        break;
      }
      p = comma + 1;
    }
    if (lines == 0) {
      cols = k;
    } else {
      assert_int_equal(k, cols);
    }
    lines++;
    if (nl == NULL) {
      break;
    }
    line = nl + 1;
  }
  *n_rows = lines - 1;
  *n_cols = cols;
  return f;
}

#endif
