/* from_table.c: survival input (durations, event flags, group codes) from table columns.
 *
 * Rows with a null duration or event, or a null in a by column, are skipped and counted:
 * R's survfit drops them the same way (na.action), and segkit says how many it dropped
 * rather than losing them silently. Groups are the combinations of the by columns' values
 * in segkit_grouping order (ascending values, strings byte-wise), like R's strata of
 * factor() levels in the C locale, so group g here is stratum g in R's output. A
 * combination that occurs only in skipped rows gets no code. */
#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "survival/survival_int.h"

struct segkit_surv_data {
  size_t n;
  double *time_f64;
  int64_t *time_i64;
  uint8_t *event;
  uint32_t *group;
  uint32_t n_groups;
  char **labels;
  size_t n_by;
  char **values;           /* n_groups x n_by */
  size_t skipped_null;
  size_t skipped_null_group;
};

void segkit_surv_data_free(segkit_surv_data *d) {
  if (d == NULL) {
    return;
  }
  free(d->time_f64);
  free(d->time_i64);
  free(d->event);
  free(d->group);
  if (d->labels != NULL) {
    for (uint32_t g = 0; g < d->n_groups; g++) {
      free(d->labels[g]);
    }
  }
  if (d->values != NULL) {
    for (size_t i = 0; i < (size_t)d->n_groups * d->n_by; i++) {
      free(d->values[i]);
    }
  }
  free(d->labels);
  free(d->values);
  free(d);
}

segkit_surv_input segkit_surv_data_input(const segkit_surv_data *d) {
  segkit_surv_input in = {0};
  in.n = d->n;
  in.time_f64 = d->time_f64;
  in.time_i64 = d->time_i64;
  in.event = d->event;
  in.group = d->group;
  in.n_groups = d->n_groups;
  return in;
}

size_t segkit_surv_data_skipped_null(const segkit_surv_data *d) {
  return d->skipped_null;
}

size_t segkit_surv_data_skipped_null_group(const segkit_surv_data *d) {
  return d->skipped_null_group;
}

const char *segkit_surv_data_group_label(const segkit_surv_data *d, uint32_t g) {
  if (d == NULL || g >= d->n_groups) {
    return NULL;
  }
  return d->labels[g];
}

size_t segkit_surv_data_n_by(const segkit_surv_data *d) {
  return d->n_by;
}

const char *segkit_surv_data_group_value(const segkit_surv_data *d, uint32_t g, size_t k) {
  if (d == NULL || g >= d->n_groups || k >= d->n_by) {
    return NULL;
  }
  return d->values[(size_t)g * d->n_by + k];
}

/* ---- columns ---------------------------------------------------------------------- */

static segkit_status find_column(const segkit_table *t, const char *name, const char *role,
                                 const segkit_column **out, segkit_error *err) {
  if (name == NULL || name[0] == '\0') {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no %s column given", role);
  }
  long idx = segkit_table_column_index(t, name);
  if (idx < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, name,
                               "no column named '%s' for the %s", name, role);
  }
  *out = segkit_table_column(t, (size_t)idx);
  return SEGKIT_OK;
}

static segkit_status check_type(const segkit_column *c, const char *role, int ok,
                                const char *expected, segkit_error *err) {
  if (ok) {
    return SEGKIT_OK;
  }
  return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, segkit_column_name(c),
                             "%s column '%s' is %s (expected %s)", role,
                             segkit_column_name(c), segkit_type_name(segkit_column_type(c)),
                             expected);
}

typedef struct columns {
  const segkit_column *time;
  const segkit_column *event;
  const segkit_column *by[SK__SURV_MAX_BY];
  size_t n_by;
  const uint32_t *codes;      /* segkit_grouping codes of every table row */
} columns;

static segkit_status resolve_columns(const segkit_table *t, const segkit_surv_columns *cols,
                                     columns *c, segkit_error *err) {
  segkit_status s = find_column(t, cols->time, "duration", &c->time, err);
  if (s == SEGKIT_OK) {
    s = find_column(t, cols->event, "event", &c->event, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_type tt = segkit_column_type(c->time);
  s = check_type(c->time, "duration", tt == SEGKIT_TYPE_INT64 || tt == SEGKIT_TYPE_FLOAT64,
                 "int64 or float64", err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_type et = segkit_column_type(c->event);
  bool string_event = cols->event_string != NULL && et == SEGKIT_TYPE_STRING;
  s = check_type(c->event, "event", et == SEGKIT_TYPE_BOOL || et == SEGKIT_TYPE_INT64 || string_event,
                 cols->event_string != NULL ? "bool, int64 or string compared with the event value"
                                            : "bool, or int64 compared with the event value",
                 err);
  if (s != SEGKIT_OK) {
    return s;
  }
  c->n_by = cols->n_by;
  if (cols->n_by > SK__SURV_MAX_BY || (cols->n_by > 0 && cols->by == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "at most %d group columns, given as an array",
                            SK__SURV_MAX_BY);
  }
  for (size_t k = 0; k < cols->n_by; k++) {
    s = find_column(t, cols->by[k], "group", &c->by[k], err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

/* ---- group codes ------------------------------------------------------------------ */

static char *copy_text(const char *s) {
  size_t len = strlen(s) + 1;
  char *out = malloc(len);
  if (out != NULL) {
    memcpy(out, s, len);
  }
  return out;
}

/* d->group holds the grouping's codes of the kept rows: number the ones used densely, in
 * the grouping's order, and copy their labels and values. */
static segkit_status dense_codes(const segkit_grouping *gr, segkit_surv_data *d,
                                 segkit_error *err) {
  size_t ng = segkit_grouping_n_groups(gr);
  uint32_t *map = malloc((ng + 1) * sizeof *map);
  if (map == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu groups", ng);
  }
  for (size_t g = 0; g < ng; g++) {
    map[g] = UINT32_MAX;
  }
  for (size_t i = 0; i < d->n; i++) {
    map[d->group[i]] = 0;
  }
  uint32_t used = 0;
  for (size_t g = 0; g < ng; g++) {
    if (map[g] == 0) {
      map[g] = used++;
    }
  }
  d->n_by = segkit_grouping_n_by(gr);
  d->labels = calloc(used + 1, sizeof *d->labels);
  d->values = calloc((size_t)used * d->n_by + 1, sizeof *d->values);
  segkit_status s = SEGKIT_OK;
  if (d->labels == NULL || d->values == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %u group labels", used);
  }
  d->n_groups = used;
  for (size_t g = 0; s == SEGKIT_OK && g < ng; g++) {
    if (map[g] == UINT32_MAX) {
      continue;
    }
    size_t o = map[g];
    d->labels[o] = copy_text(segkit_grouping_label(gr, g));
    bool ok = d->labels[o] != NULL;
    for (size_t k = 0; k < d->n_by; k++) {
      d->values[o * d->n_by + k] = copy_text(segkit_grouping_value(gr, g, k));
      ok = ok && d->values[o * d->n_by + k] != NULL;
    }
    if (!ok) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for a group label");
    }
  }
  for (size_t i = 0; s == SEGKIT_OK && i < d->n; i++) {
    d->group[i] = map[d->group[i]];
  }
  free(map);
  return s;
}

/* ---- rows ------------------------------------------------------------------------- */

/* event_value is the int64 to compare with, or for a STRING column the dictionary code
 * of the event string (-1 when no row has it: no events). */
static int row_event(const segkit_column *ec, size_t row, int64_t event_value) {
  const uint8_t *b = segkit_column_bool(ec);
  if (b != NULL) {
    return b[row] != 0;
  }
  const uint32_t *codes = segkit_column_codes(ec);
  if (codes != NULL) {
    return (int64_t)codes[row] == event_value;
  }
  return segkit_column_int64(ec)[row] == event_value;
}

static segkit_status check_duration(const segkit_column *tc, size_t row, segkit_error *err) {
  const int64_t *iv = segkit_column_int64(tc);
  int ok = iv != NULL ? iv[row] >= 0 : (segkit_column_float64(tc)[row] >= 0.0 &&
                                        segkit_column_float64(tc)[row] <= DBL_MAX);
  if (ok) {
    return SEGKIT_OK;
  }
  return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, segkit_column_name(tc),
                             "table row %zu (1-based): duration %g in column '%s' is not a "
                             "finite number >= 0",
                             row + 1,
                             iv != NULL ? (double)iv[row] : segkit_column_float64(tc)[row],
                             segkit_column_name(tc));
}

static bool any_null(const columns *c, size_t row) {
  for (size_t k = 0; k < c->n_by; k++) {
    if (!segkit_column_is_valid(c->by[k], row)) {
      return true;
    }
  }
  return false;
}

/* Copy kept rows; d->group gets the grouping's code of each. */
static segkit_status copy_rows(const columns *c, int64_t event_value, segkit_surv_data *d,
                               segkit_error *err) {
  size_t n_rows = segkit_column_n_rows(c->time);
  const int64_t *ti = segkit_column_int64(c->time);
  const double *tf = segkit_column_float64(c->time);
  size_t k = 0;
  for (size_t r = 0; r < n_rows; r++) {
    if (!segkit_column_is_valid(c->time, r) || !segkit_column_is_valid(c->event, r)) {
      d->skipped_null++;
      continue;
    }
    if (any_null(c, r)) {
      d->skipped_null_group++;
      continue;
    }
    segkit_status s = check_duration(c->time, r, err);
    if (s != SEGKIT_OK) {
      return s;
    }
    if (ti != NULL) {
      d->time_i64[k] = ti[r];
    } else {
      d->time_f64[k] = tf[r];
    }
    d->event[k] = (uint8_t)row_event(c->event, r, event_value);
    d->group[k] = c->codes[r];
    k++;
  }
  d->n = k;
  return SEGKIT_OK;
}

static segkit_status alloc_arrays(segkit_surv_data *d, size_t n_rows, int is_int,
                                  segkit_error *err) {
  size_t n = n_rows > 0 ? n_rows : 1;
  if (is_int) {
    d->time_i64 = malloc(n * sizeof *d->time_i64);
  } else {
    d->time_f64 = malloc(n * sizeof *d->time_f64);
  }
  d->event = malloc(n * sizeof *d->event);
  d->group = malloc(n * sizeof *d->group);
  if ((is_int ? (void *)d->time_i64 : (void *)d->time_f64) == NULL || d->event == NULL ||
      d->group == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu rows", n_rows);
  }
  return SEGKIT_OK;
}

segkit_status segkit_surv_data_from_table(const segkit_table *t, const segkit_surv_columns *cols,
                                          segkit_surv_data **out, segkit_error *err) {
  if (t == NULL || cols == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "table, columns and out must be given");
  }
  columns c;
  memset(&c, 0, sizeof c);
  segkit_status s = resolve_columns(t, cols, &c, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_grouping *gr = NULL;
  s = segkit_grouping_new(t, cols->by, cols->n_by, &gr, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  c.codes = segkit_grouping_codes(gr);
  segkit_surv_data *d = calloc(1, sizeof *d);
  if (d == NULL) {
    segkit_grouping_free(gr);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for survival data");
  }
  s = alloc_arrays(d, segkit_table_n_rows(t), segkit_column_type(c.time) == SEGKIT_TYPE_INT64,
                   err);
  if (s == SEGKIT_OK) {
    int64_t event_value = cols->event_value;
    if (segkit_column_type(c.event) == SEGKIT_TYPE_STRING) {
      event_value = segkit_column_dict_find(c.event, cols->event_string, strlen(cols->event_string));
    }
    s = copy_rows(&c, event_value, d, err);
  }
  if (s == SEGKIT_OK) {
    s = dense_codes(gr, d, err);
  }
  segkit_grouping_free(gr);
  if (s != SEGKIT_OK) {
    segkit_surv_data_free(d);
    return s;
  }
  *out = d;
  return SEGKIT_OK;
}
