/* Helpers for the reader tests (test_io_*.c): read a CSV/JSONL text with options, and
 * render any cell as text so expected tables can be written as strings. Header-only
 * (static functions) because each test executable links only testkit.c. */
#ifndef SEGKIT_IO_TESTKIT_H
#define SEGKIT_IO_TESTKIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segkit/io.h"
#include "segkit/table.h"

/* Cell (row, col) as text: "<null>" for null; ints in decimal; floats with %.17g; bools
 * "true"/"false"; dates YYYY-MM-DD; timestamps as segkit_format_timestamp; strings as is
 * (bytes up to the first NUL). */
static inline void iot_cell(const segkit_table *t, size_t row, size_t col, char *buf,
                            size_t size) {
  const segkit_column *c = segkit_table_column(t, col);
  if (!segkit_column_is_valid(c, row)) {
    snprintf(buf, size, "<null>");
    return;
  }
  switch (segkit_column_type(c)) {
    case SEGKIT_TYPE_INT64:
      snprintf(buf, size, "%" PRId64, segkit_column_int64(c)[row]);
      break;
    case SEGKIT_TYPE_FLOAT64:
      snprintf(buf, size, "%.17g", segkit_column_float64(c)[row]);
      break;
    case SEGKIT_TYPE_BOOL:
      snprintf(buf, size, "%s", segkit_column_bool(c)[row] ? "true" : "false");
      break;
    case SEGKIT_TYPE_DATE:
      segkit_format_date(segkit_column_date(c)[row], buf, size);
      break;
    case SEGKIT_TYPE_TIMESTAMP:
      segkit_format_timestamp(segkit_column_timestamp(c)[row], buf, size);
      break;
    case SEGKIT_TYPE_STRING: {
      size_t len = 0;
      const char *s = segkit_column_dict_value(c, segkit_column_codes(c)[row], &len);
      snprintf(buf, size, "%.*s", (int)len, s);
      break;
    }
    default:
      snprintf(buf, size, "?");
  }
}

/* The whole table as "a|b|c\n" lines (cells joined by '|'), malloc'd. */
static inline char *iot_dump(const segkit_table *t) {
  size_t cap = 1024;
  size_t len = 0;
  char *out = malloc(cap);
  out[0] = '\0';
  char cell[4096];
  for (size_t r = 0; r < segkit_table_n_rows(t); r++) {
    for (size_t c = 0; c < segkit_table_n_cols(t); c++) {
      iot_cell(t, r, c, cell, sizeof cell);
      size_t need = strlen(cell) + 2;
      while (len + need + 1 > cap) {
        cap *= 2;
        out = realloc(out, cap);
      }
      len += (size_t)sprintf(out + len, "%s%s", c > 0 ? "|" : "", cell);
    }
    if (len + 2 > cap) {
      cap *= 2;
      out = realloc(out, cap);
    }
    out[len++] = '\n';
    out[len] = '\0';
  }
  return out;
}

/* "name:type,name:type" of the table's columns, in a static buffer. */
static inline const char *iot_schema(const segkit_table *t) {
  static char buf[2048];
  size_t o = 0;
  buf[0] = '\0';
  for (size_t c = 0; c < segkit_table_n_cols(t) && o < sizeof buf - 64; c++) {
    const segkit_column *col = segkit_table_column(t, c);
    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s:%s", c > 0 ? "," : "",
                          segkit_column_name(col), segkit_type_name(segkit_column_type(col)));
  }
  return buf;
}

static inline segkit_status iot_read(const char *text, const segkit_read_options *opt,
                                     segkit_read_result **out, segkit_error *err) {
  return segkit_csv_read_buffer(text, strlen(text), opt, out, err);
}

#endif
