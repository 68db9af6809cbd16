/* Column plan: the names and types of the columns a read produces, how a value of each
 * type is parsed and appended, and the message when it does not fit.
 *
 * Shared by the CSV and JSON Lines readers so a value means the same in both. The plan is
 * fixed before the first row is built and read-only afterwards, so all reader threads
 * share one. Timestamps try the automatic ISO formats, then options.date_format, then
 * (only in a column whose type the caller fixed) Unix seconds; dates try ISO, then the
 * format (a format with a time of day gives the date of that instant, UTC). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

void sk__colplan_free(sk__colplan *p) {
  if (p->names != NULL) {
    for (size_t i = 0; i < p->n_cols; i++) {
      free(p->names[i]);
    }
  }
  free(p->names);
  free(p->types);
  free(p->fixed);
  free(p->order);
  segkit_time_format_free(p->fmt);
  memset(p, 0, sizeof *p);
}

segkit_status sk__colplan_alloc(sk__colplan *p, size_t n, segkit_error *err) {
  size_t k = n == 0 ? 1 : n;
  p->names = calloc(k, sizeof *p->names);
  p->types = calloc(k, sizeof *p->types);
  p->fixed = calloc(k, sizeof *p->fixed);
  if (p->names == NULL || p->types == NULL || p->fixed == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu columns", n);
  }
  p->n_cols = n;
  for (size_t i = 0; i < n; i++) {
    p->types[i] = SEGKIT_TYPE_STRING;
  }
  return SEGKIT_OK;
}

static segkit_status add_column(sk__colplan *p, const char *name, segkit_error *err) {
  size_t n = p->n_cols + 1;
  char **names = realloc(p->names, n * sizeof *names);
  if (names != NULL) {
    p->names = names;
  }
  segkit_type *types = realloc(p->types, n * sizeof *types);
  if (types != NULL) {
    p->types = types;
  }
  bool *fixed = realloc(p->fixed, n * sizeof *fixed);
  if (fixed != NULL) {
    p->fixed = fixed;
  }
  char *copy = strdup(name);
  if (names == NULL || types == NULL || fixed == NULL || copy == NULL) {
    free(copy);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for column \"%s\"", name);
  }
  p->names[p->n_cols] = copy;
  p->types[p->n_cols] = SEGKIT_TYPE_STRING;
  p->fixed[p->n_cols] = false;
  p->n_cols = n;
  return SEGKIT_OK;
}

static long find_column(const sk__colplan *p, const char *name) {
  for (size_t i = 0; i < p->n_cols; i++) {
    if (strcmp(p->names[i], name) == 0) {
      return (long)i;
    }
  }
  return -1;
}

/* "a, b, c" (cut when long) for messages. */
static void list_columns(const sk__colplan *p, char *buf, size_t size) {
  size_t o = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < p->n_cols && o + 8 < size; i++) {
    int k = snprintf(buf + o, size - o, "%s%s", i > 0 ? ", " : "", p->names[i]);
    if (k < 0 || (size_t)k >= size - o) {
      snprintf(buf + (size - 4), 4, "...");
      return;
    }
    o += (size_t)k;
  }
}

segkit_status sk__colplan_apply_overrides(sk__colplan *p, const segkit_read_options *opt,
                                          bool add_missing, const char *source,
                                          segkit_error *err) {
  for (size_t k = 0; k < opt->n_types; k++) {
    const segkit_type_override *o = &opt->types[k];
    long i = find_column(p, o->column);
    if (i < 0 && add_missing) {
      segkit_status st = add_column(p, o->column, err);
      if (st != SEGKIT_OK) {
        return st;
      }
      i = (long)p->n_cols - 1;
    }
    if (i < 0) {
      char cols[300];
      list_columns(p, cols, sizeof cols);
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, source, 0, 0, o->column,
                                 "a type is given for column \"%s\", which is not in the "
                                 "header (expected one of: %s)",
                                 o->column, cols);
    }
    if (p->fixed[i] && p->types[i] != o->type) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, source, 0, 0, o->column,
                                 "column \"%s\" is given two types, %s and %s", o->column,
                                 segkit_type_name(p->types[i]), segkit_type_name(o->type));
    }
    p->types[i] = o->type;
    p->fixed[i] = true;
  }
  return SEGKIT_OK;
}

segkit_status sk__colplan_set_formats(sk__colplan *p, const segkit_read_options *opt,
                                      segkit_error *err) {
  sk__nulls_init(&p->nulls, opt);
  p->infer_rows = opt->infer_rows;
  if (opt->date_format != NULL && opt->date_format[0] != '\0') {
    segkit_status st = segkit_time_format_new(opt->date_format, &p->fmt, err);
    if (st != SEGKIT_OK) {
      return st;
    }
    p->fmt_has_time = segkit_time_format_has_time(p->fmt);
    p->fmt_pattern = opt->date_format;
  }
  return SEGKIT_OK;
}

segkit_status sk__colplan_finalize(sk__colplan *p, segkit_error *err) {
  free(p->order);
  p->order = malloc((p->n_cols + 1) * sizeof *p->order);
  if (p->order == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu columns", p->n_cols);
  }
  size_t k = 0;
  for (size_t i = 0; i < p->n_cols; i++) {
    if (p->types[i] != SEGKIT_TYPE_STRING) {
      p->order[k++] = i;
    }
  }
  for (size_t i = 0; i < p->n_cols; i++) {
    if (p->types[i] == SEGKIT_TYPE_STRING) {
      p->order[k++] = i;
    }
  }
  return SEGKIT_OK;
}

segkit_status sk__colplan_builder(const sk__colplan *p, segkit_table_builder **out,
                                  segkit_error *err) {
  return segkit_table_builder_new(p->n_cols, (const char *const *)p->names, p->types, out, err);
}

/* ==== values ============================================================================ */

static inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

sk__append_result sk__parse_typed(const sk__colplan *p, size_t col, const char *s, size_t n,
                                  sk__value *out) {
  switch (p->types[col]) {
    case SEGKIT_TYPE_INT64: {
      sk__num_status st = sk__parse_int64(s, n, &out->i);
      return st == SK__NUM_OK ? SK__APPEND_OK
                              : st == SK__NUM_RANGE ? SK__APPEND_RANGE : SK__APPEND_BAD;
    }
    case SEGKIT_TYPE_FLOAT64: {
      sk__num_status st = sk__parse_float64(s, n, &out->f);
      return st == SK__NUM_OK ? SK__APPEND_OK
                              : st == SK__NUM_RANGE ? SK__APPEND_RANGE : SK__APPEND_BAD;
    }
    case SEGKIT_TYPE_BOOL: {
      bool v;
      if (!sk__parse_bool(s, n, true, &v)) {
        return SK__APPEND_BAD;
      }
      out->b = v ? 1 : 0;
      return SK__APPEND_OK;
    }
    case SEGKIT_TYPE_DATE: {
      if (segkit_parse_date(s, n, &out->d)) {
        return SK__APPEND_OK;
      }
      int64_t us;
      if (p->fmt != NULL && segkit_time_format_parse(p->fmt, s, n, &us)) {
        int64_t d = floor_div(us, SEGKIT_US_PER_DAY);
        if (d < INT32_MIN || d > INT32_MAX) {
          return SK__APPEND_RANGE;
        }
        out->d = (int32_t)d;
        return SK__APPEND_OK;
      }
      return SK__APPEND_BAD;
    }
    case SEGKIT_TYPE_TIMESTAMP:
      if (segkit_parse_timestamp(s, n, &out->i) ||
          (p->fmt != NULL && segkit_time_format_parse(p->fmt, s, n, &out->i)) ||
          (p->fixed[col] && segkit_parse_unix_seconds(s, n, &out->i))) {
        return SK__APPEND_OK;
      }
      return SK__APPEND_BAD;
    default:
      return SK__APPEND_BAD; /* strings are not parsed */
  }
}

segkit_status sk__append_value(segkit_column_builder *cb, segkit_type t, sk__value v) {
  switch (t) {
    case SEGKIT_TYPE_INT64:
    case SEGKIT_TYPE_TIMESTAMP:
      return segkit_column_append_int64(cb, v.i);
    case SEGKIT_TYPE_FLOAT64:
      return segkit_column_append_float64(cb, v.f);
    case SEGKIT_TYPE_BOOL:
      return segkit_column_append_bool(cb, v.b != 0);
    case SEGKIT_TYPE_DATE:
      return segkit_column_append_date(cb, v.d);
    default:
      return SEGKIT_ERR_TYPE;
  }
}

sk__append_result sk__append_typed(const sk__colplan *p, size_t col, segkit_column_builder *cb,
                                   const char *s, size_t n) {
  if (p->types[col] == SEGKIT_TYPE_STRING) {
    return segkit_column_append_string(cb, s, n) == SEGKIT_OK ? SK__APPEND_OK
                                                              : SK__APPEND_NOMEM;
  }
  sk__value v;
  sk__append_result r = sk__parse_typed(p, col, s, n, &v);
  if (r != SK__APPEND_OK) {
    return r;
  }
  return sk__append_value(cb, p->types[col], v) == SEGKIT_OK ? SK__APPEND_OK : SK__APPEND_NOMEM;
}

/* ==== messages ========================================================================== */

size_t sk__bad_value_message(const sk__colplan *p, size_t col, const char *s, size_t n,
                             sk__append_result why, char *buf, size_t size) {
  char shown[200];
  sk__quote_value(shown, sizeof shown, s, n, 40);
  segkit_type t = p->types[col];
  char expected[200];
  switch (t) {
    case SEGKIT_TYPE_INT64:
      snprintf(expected, sizeof expected, "%s",
               why == SK__APPEND_RANGE
                   ? "a whole number from -9223372036854775808 to 9223372036854775807"
                   : "a whole number like 42");
      break;
    case SEGKIT_TYPE_FLOAT64:
      snprintf(expected, sizeof expected, "%s",
               why == SK__APPEND_RANGE ? "a finite decimal number (at most about 1.8e308)"
                                       : "a decimal number like 12.5");
      break;
    case SEGKIT_TYPE_BOOL:
      snprintf(expected, sizeof expected, "true/false, t/f, yes/no or 1/0");
      break;
    case SEGKIT_TYPE_DATE:
      snprintf(expected, sizeof expected, "a date like 2024-01-31%s%s",
               p->fmt != NULL ? " or in the format " : "", p->fmt != NULL ? p->fmt_pattern : "");
      break;
    case SEGKIT_TYPE_TIMESTAMP:
      snprintf(expected, sizeof expected, "a timestamp like 2024-01-31T09:30:00Z%s%s%s",
               p->fixed[col] ? ", Unix seconds" : "", p->fmt != NULL ? " or in the format " : "",
               p->fmt != NULL ? p->fmt_pattern : "");
      break;
    default:
      snprintf(expected, sizeof expected, "text");
      break;
  }
  char origin[300];
  if (p->fixed[col]) {
    snprintf(origin, sizeof origin, "column type set by the caller");
  } else if (p->infer_rows == 0) {
    snprintf(origin, sizeof origin, "column type inferred from all rows, override with --type %s=string",
             p->names[col]);
  } else {
    snprintf(origin, sizeof origin,
             "column type inferred from the first %zu rows, override with --type %s=string",
             p->infer_rows, p->names[col]);
  }
  int k = snprintf(buf, size, "\"%s\" is %s %s (expected %s; %s)", shown,
                   why == SK__APPEND_RANGE ? "out of the range of" : "not a valid",
                   segkit_type_name(t), expected, origin);
  if (k < 0) {
    buf[0] = '\0';
    return 0;
  }
  return (size_t)k < size ? (size_t)k : size - 1;
}
