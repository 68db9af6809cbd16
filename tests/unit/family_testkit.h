/* Helpers for the family tests: small tables from text rows (NULL = null), built with the
 * table module only (the family tests do not link io). */
#ifndef SEGKIT_FAMILY_TESTKIT_H
#define SEGKIT_FAMILY_TESTKIT_H

#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segkit/table.h"

static inline int ft_append(segkit_column_builder *cb, segkit_type t, const char *s) {
  if (s == NULL) {
    return segkit_column_append_null(cb) == SEGKIT_OK ? 0 : -1;
  }
  switch (t) {
  case SEGKIT_TYPE_INT64:
    return segkit_column_append_int64(cb, strtoll(s, NULL, 10)) == SEGKIT_OK ? 0 : -1;
  case SEGKIT_TYPE_FLOAT64:
    return segkit_column_append_float64(cb, strtod(s, NULL)) == SEGKIT_OK ? 0 : -1;
  case SEGKIT_TYPE_DATE: {
    /* "d:N" is day N directly; otherwise YYYY-MM-DD */
    if (s[0] == 'd' && s[1] == ':') {
      return segkit_column_append_date(cb, (int32_t)strtol(s + 2, NULL, 10)) == SEGKIT_OK ? 0 : -1;
    }
    int32_t d;
    if (!segkit_parse_date(s, strlen(s), &d)) {
      return -1;
    }
    return segkit_column_append_date(cb, d) == SEGKIT_OK ? 0 : -1;
  }
  case SEGKIT_TYPE_TIMESTAMP: {
    int64_t us;
    if (!segkit_parse_timestamp(s, strlen(s), &us)) {
      return -1;
    }
    return segkit_column_append_int64(cb, us) == SEGKIT_OK ? 0 : -1;
  }
  default:
    return segkit_column_append_string(cb, s, strlen(s)) == SEGKIT_OK ? 0 : -1;
  }
}

/* A table of n_rows rows of n_cols text fields (row-major); NULL on failure. */
static inline segkit_table *ft_table(size_t n_cols, const char *const *names,
                                     const segkit_type *types, const char *const *fields,
                                     size_t n_rows) {
  segkit_table_builder *b = NULL;
  if (segkit_table_builder_new(n_cols, names, types, &b, NULL) != SEGKIT_OK) {
    return NULL;
  }
  for (size_t r = 0; r < n_rows; r++) {
    for (size_t c = 0; c < n_cols; c++) {
      if (ft_append(segkit_table_builder_column(b, c), types[c], fields[r * n_cols + c]) != 0) {
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

/* Column of a table by name (fails the test when absent). */
static inline const segkit_column *ft_col(const segkit_table *t, const char *name) {
  long i = segkit_table_column_index(t, name);
  assert_true(i >= 0);
  return segkit_table_column(t, (size_t)i);
}

/* String value of row r of a STRING column. */
static inline const char *ft_str(const segkit_table *t, const char *name, size_t r) {
  const segkit_column *c = ft_col(t, name);
  return segkit_column_dict_value(c, segkit_column_codes(c)[r], NULL);
}

#endif
