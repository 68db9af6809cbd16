/* from_table.c: survival input (durations, event flags, group codes) from table columns.
 *
 * Rows with a null duration or event, or a null group, are skipped and counted: R's
 * survfit drops them the same way (na.action), and segkit says how many it dropped
 * rather than losing them silently. Group codes are numbered by ascending value (strings
 * byte-wise), like R's factor() levels in the C locale, so group g here is stratum g in
 * R's output. A group value that occurs only in skipped rows gets no code. */
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
  free(d->labels);
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
  const segkit_column *group; /* NULL: one group */
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
  c->group = NULL;
  if (cols->group == NULL || cols->group[0] == '\0') {
    return SEGKIT_OK;
  }
  s = find_column(t, cols->group, "group", &c->group, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_type gt = segkit_column_type(c->group);
  return check_type(c->group, "group", gt == SEGKIT_TYPE_STRING || gt == SEGKIT_TYPE_INT64,
                    "string or int64", err);
}

/* ---- group codes ------------------------------------------------------------------ */

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a;
  int64_t y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

typedef struct str_entry {
  const char *s;
  size_t len;
  uint32_t code;
} str_entry;

static int cmp_str_entry(const void *a, const void *b) {
  const str_entry *x = a;
  const str_entry *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->s, y->s, n);
  if (c != 0) {
    return c;
  }
  return (x->len > y->len) - (x->len < y->len);
}

static char *copy_label(const char *s, size_t len) {
  char *out = malloc(len + 1);
  if (out != NULL) {
    memcpy(out, s, len);
    out[len] = '\0';
  }
  return out;
}

/* raw[i] = dictionary code (strings) per kept row; remap codes to sorted order of the
 * codes actually used. */
static segkit_status codes_from_strings(const segkit_column *gc, segkit_surv_data *d,
                                        segkit_error *err) {
  uint32_t dict = segkit_column_dict_size(gc);
  uint32_t *map = malloc(((size_t)dict + 1) * sizeof *map);
  str_entry *used = malloc(((size_t)dict + 1) * sizeof *used);
  segkit_status s = SEGKIT_OK;
  if (map == NULL || used == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %u group values", dict);
    goto done;
  }
  for (uint32_t v = 0; v < dict; v++) {
    map[v] = UINT32_MAX;
  }
  for (size_t i = 0; i < d->n; i++) {
    map[d->group[i]] = 0;
  }
  uint32_t n_used = 0;
  for (uint32_t v = 0; v < dict; v++) {
    if (map[v] == 0) {
      used[n_used].s = segkit_column_dict_value(gc, v, &used[n_used].len);
      used[n_used].code = v;
      n_used++;
    }
  }
  qsort(used, n_used, sizeof *used, cmp_str_entry);
  d->labels = calloc(n_used > 0 ? n_used : 1, sizeof *d->labels);
  if (d->labels == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %u group labels", n_used);
    goto done;
  }
  d->n_groups = n_used;
  for (uint32_t g = 0; g < n_used; g++) {
    map[used[g].code] = g;
    d->labels[g] = copy_label(used[g].s, used[g].len);
    if (d->labels[g] == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for a group label");
      goto done;
    }
  }
  for (size_t i = 0; i < d->n; i++) {
    d->group[i] = map[d->group[i]];
  }
done:
  free(map);
  free(used);
  return s;
}

/* vals[i] = the int64 group value per kept row; codes by ascending distinct value. */
static segkit_status codes_from_ints(const int64_t *vals, segkit_surv_data *d,
                                     segkit_error *err) {
  int64_t *sorted = malloc((d->n > 0 ? d->n : 1) * sizeof *sorted);
  if (sorted == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu group values", d->n);
  }
  memcpy(sorted, vals, d->n * sizeof *sorted);
  qsort(sorted, d->n, sizeof *sorted, cmp_i64);
  size_t n_distinct = 0;
  for (size_t i = 0; i < d->n; i++) {
    if (i == 0 || sorted[i] != sorted[i - 1]) {
      sorted[n_distinct++] = sorted[i];
    }
  }
  segkit_status s = SEGKIT_OK;
  if (n_distinct > UINT32_MAX) {
    s = segkit_error_set(err, SEGKIT_ERR_LIMIT, "more than 2^32-1 groups");
    goto done;
  }
  d->labels = calloc(n_distinct > 0 ? n_distinct : 1, sizeof *d->labels);
  if (d->labels == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu group labels", n_distinct);
    goto done;
  }
  d->n_groups = (uint32_t)n_distinct;
  for (size_t g = 0; g < n_distinct; g++) {
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%" PRId64, sorted[g]);
    d->labels[g] = copy_label(buf, (size_t)len);
    if (d->labels[g] == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for a group label");
      goto done;
    }
  }
  for (size_t i = 0; i < d->n; i++) {
    const int64_t *hit = bsearch(&vals[i], sorted, n_distinct, sizeof *sorted, cmp_i64);
    d->group[i] = (uint32_t)(hit - sorted);
  }
done:
  free(sorted);
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

/* Copy kept rows; group values go to d->group (string codes) or *ivals (int64). */
static segkit_status copy_rows(const columns *c, int64_t event_value, segkit_surv_data *d,
                               int64_t *ivals, segkit_error *err) {
  size_t n_rows = segkit_column_n_rows(c->time);
  const int64_t *ti = segkit_column_int64(c->time);
  const double *tf = segkit_column_float64(c->time);
  const uint32_t *gcodes = c->group ? segkit_column_codes(c->group) : NULL;
  const int64_t *gints = c->group ? segkit_column_int64(c->group) : NULL;
  size_t k = 0;
  for (size_t r = 0; r < n_rows; r++) {
    if (!segkit_column_is_valid(c->time, r) || !segkit_column_is_valid(c->event, r)) {
      d->skipped_null++;
      continue;
    }
    if (c->group != NULL && !segkit_column_is_valid(c->group, r)) {
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
    if (gcodes != NULL) {
      d->group[k] = gcodes[r];
    } else if (gints != NULL) {
      ivals[k] = gints[r];
    } else {
      d->group[k] = 0;
    }
    k++;
  }
  d->n = k;
  return SEGKIT_OK;
}

static segkit_status alloc_arrays(segkit_surv_data *d, size_t n_rows, int is_int,
                                  int64_t **ivals, int need_ivals, segkit_error *err) {
  size_t n = n_rows > 0 ? n_rows : 1;
  if (is_int) {
    d->time_i64 = malloc(n * sizeof *d->time_i64);
  } else {
    d->time_f64 = malloc(n * sizeof *d->time_f64);
  }
  d->event = malloc(n * sizeof *d->event);
  d->group = malloc(n * sizeof *d->group);
  *ivals = need_ivals ? malloc(n * sizeof **ivals) : NULL;
  if ((is_int ? (void *)d->time_i64 : (void *)d->time_f64) == NULL || d->event == NULL ||
      d->group == NULL || (need_ivals && *ivals == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu rows", n_rows);
  }
  return SEGKIT_OK;
}

static segkit_status single_group(segkit_surv_data *d, segkit_error *err) {
  d->labels = calloc(1, sizeof *d->labels);
  if (d->labels == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for a group label");
  }
  d->n_groups = 1;
  d->labels[0] = copy_label("all", 3);
  if (d->labels[0] == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for a group label");
  }
  return SEGKIT_OK;
}

segkit_status segkit_surv_data_from_table(const segkit_table *t, const segkit_surv_columns *cols,
                                          segkit_surv_data **out, segkit_error *err) {
  if (t == NULL || cols == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "table, columns and out must be given");
  }
  columns c;
  segkit_status s = resolve_columns(t, cols, &c, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_surv_data *d = calloc(1, sizeof *d);
  if (d == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for survival data");
  }
  int group_is_int = c.group != NULL && segkit_column_type(c.group) == SEGKIT_TYPE_INT64;
  int64_t *ivals = NULL;
  s = alloc_arrays(d, segkit_table_n_rows(t), segkit_column_type(c.time) == SEGKIT_TYPE_INT64,
                   &ivals, group_is_int, err);
  if (s == SEGKIT_OK) {
    int64_t event_value = cols->event_value;
    if (segkit_column_type(c.event) == SEGKIT_TYPE_STRING) {
      event_value = segkit_column_dict_find(c.event, cols->event_string, strlen(cols->event_string));
    }
    s = copy_rows(&c, event_value, d, ivals, err);
  }
  if (s == SEGKIT_OK) {
    if (c.group == NULL) {
      s = single_group(d, err);
    } else if (group_is_int) {
      s = codes_from_ints(ivals, d, err);
    } else {
      s = codes_from_strings(c.group, d, err);
    }
  }
  free(ivals);
  if (s != SEGKIT_OK) {
    segkit_surv_data_free(d);
    return s;
  }
  *out = d;
  return SEGKIT_OK;
}
