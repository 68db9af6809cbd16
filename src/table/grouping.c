/* Grouping rows by the values of several columns (segkit_grouping_new): the segments of
 * `--by plan,billing_interval` for every metric.
 *
 * Key design choice: each column is first turned into a rank per row that sorts like the
 * column's values (string dictionaries sorted once, numeric columns by a sort of their
 * distinct values, nulls ranked last); the ranks are then folded in one column at a time,
 * key = key x cardinality + rank, and after each fold the keys that occur are renumbered
 * densely in ascending order. Renumbering keeps the key below rows x cardinality, so it
 * never overflows whatever the number of columns, and ascending keys are ascending value
 * combinations, which gives the documented group order without comparing rows. No hash
 * table is involved, so the numbering is identical on every run. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segkit/table.h"

struct segkit_grouping {
  size_t n_rows;
  size_t n_by;
  size_t n_groups;
  char **columns;          /* n_by names */
  uint32_t *codes;         /* n_rows */
  size_t *sizes;           /* n_groups */
  char **values;           /* n_groups x n_by texts */
  uint8_t *nulls;          /* n_groups x n_by */
  char **labels;           /* n_groups */
};

static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p != NULL) {
    memcpy(p, s, n);
  }
  return p;
}

/* ---- ranks of one column ------------------------------------------------------------ */

/* qsort has no context argument; dictionary sorting reads the column from here. */
static _Thread_local const segkit_column *sort_dict;

static int cmp_dict_code(const void *pa, const void *pb) {
  uint32_t a = *(const uint32_t *)pa;
  uint32_t b = *(const uint32_t *)pb;
  size_t la;
  size_t lb;
  const char *sa = segkit_column_dict_value(sort_dict, a, &la);
  const char *sb = segkit_column_dict_value(sort_dict, b, &lb);
  int r = memcmp(sa, sb, la < lb ? la : lb);
  return r != 0 ? r : (la > lb) - (la < lb);
}

static int cmp_i64(const void *pa, const void *pb) {
  int64_t a = *(const int64_t *)pa;
  int64_t b = *(const int64_t *)pb;
  return (a > b) - (a < b);
}

/* Doubles as sortable integers: -0 folded into 0, every NaN into one value above +inf. */
static int64_t float_key(double v) {
  if (isnan(v)) {
    return INT64_MAX;
  }
  if (v == 0.0) {
    v = 0.0;
  }
  int64_t bits;
  memcpy(&bits, &v, sizeof bits);
  return bits >= 0 ? bits : bits ^ INT64_MAX; /* negatives: larger magnitude sorts lower */
}

static int64_t numeric_key(const segkit_column *c, size_t row) {
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_FLOAT64:
    return float_key(segkit_column_float64(c)[row]);
  case SEGKIT_TYPE_DATE:
    return segkit_column_date(c)[row];
  case SEGKIT_TYPE_TIMESTAMP:
    return segkit_column_timestamp(c)[row];
  default:
    return segkit_column_int64(c)[row];
  }
}

/* rank[row] for every row and the number of possible ranks (*card). */
static segkit_status string_ranks(const segkit_column *c, uint32_t *rank, uint64_t *card,
                                  segkit_error *err) {
  uint32_t nd = segkit_column_dict_size(c);
  uint32_t *order = malloc(((size_t)nd + 1) * sizeof *order);
  uint32_t *rank_of = malloc(((size_t)nd + 1) * sizeof *rank_of);
  if (order == NULL || rank_of == NULL) {
    free(order);
    free(rank_of);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group by '%s'",
                            segkit_column_name(c));
  }
  for (uint32_t i = 0; i < nd; i++) {
    order[i] = i;
  }
  sort_dict = c;
  qsort(order, nd, sizeof *order, cmp_dict_code);
  for (uint32_t i = 0; i < nd; i++) {
    rank_of[order[i]] = i;
  }
  const uint32_t *codes = segkit_column_codes(c);
  size_t n = segkit_column_n_rows(c);
  bool any_null = segkit_column_null_count(c) > 0;
  for (size_t r = 0; r < n; r++) {
    rank[r] = (any_null && !segkit_column_is_valid(c, r)) ? nd : rank_of[codes[r]];
  }
  *card = (uint64_t)nd + 1;
  free(order);
  free(rank_of);
  return SEGKIT_OK;
}

static segkit_status numeric_ranks(const segkit_column *c, uint32_t *rank, uint64_t *card,
                                   segkit_error *err) {
  size_t n = segkit_column_n_rows(c);
  int64_t *vals = malloc((n > 0 ? n : 1) * sizeof *vals);
  if (vals == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group by '%s'",
                            segkit_column_name(c));
  }
  size_t m = 0;
  for (size_t r = 0; r < n; r++) {
    if (segkit_column_is_valid(c, r)) {
      vals[m++] = numeric_key(c, r);
    }
  }
  qsort(vals, m, sizeof *vals, cmp_i64);
  size_t d = 0;
  for (size_t i = 0; i < m; i++) {
    if (d == 0 || vals[i] != vals[d - 1]) {
      vals[d++] = vals[i];
    }
  }
  for (size_t r = 0; r < n; r++) {
    if (!segkit_column_is_valid(c, r)) {
      rank[r] = (uint32_t)d;
      continue;
    }
    int64_t v = numeric_key(c, r);
    size_t lo = 0;
    size_t hi = d;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (vals[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    rank[r] = (uint32_t)lo;
  }
  free(vals);
  *card = (uint64_t)d + 1;
  return SEGKIT_OK;
}

static segkit_status column_ranks(const segkit_column *c, uint32_t *rank, uint64_t *card,
                                  segkit_error *err) {
  size_t n = segkit_column_n_rows(c);
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_STRING:
    return string_ranks(c, rank, card, err);
  case SEGKIT_TYPE_BOOL: {
    const uint8_t *v = segkit_column_bool(c);
    for (size_t r = 0; r < n; r++) {
      rank[r] = segkit_column_is_valid(c, r) ? v[r] : 2;
    }
    *card = 3;
    return SEGKIT_OK;
  }
  default:
    return numeric_ranks(c, rank, card, err);
  }
}

/* ---- folding ranks into dense keys --------------------------------------------------- */

/* Renumber key[] densely in ascending order; *n_out gets the number of distinct keys. With
 * a small key space a flag array does it in two passes, otherwise a sort of the keys. */
static segkit_status densify(uint64_t *key, size_t n, uint64_t space, size_t *n_out,
                             segkit_error *err) {
  if (space <= (uint64_t)4 * n + 1024) {
    uint32_t *map = calloc((size_t)space, sizeof *map);
    if (map == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group rows");
    }
    for (size_t r = 0; r < n; r++) {
      map[key[r]] = 1;
    }
    uint64_t next = 0;
    for (uint64_t k = 0; k < space; k++) {
      if (map[k] != 0) {
        if (next >= UINT32_MAX) {
          free(map);
          return segkit_error_set(err, SEGKIT_ERR_LIMIT, "more than 2^32 - 1 groups");
        }
        map[k] = (uint32_t)++next;
      }
    }
    for (size_t r = 0; r < n; r++) {
      key[r] = map[key[r]] - 1;
    }
    free(map);
    *n_out = (size_t)next;
    return SEGKIT_OK;
  }
  uint64_t *sorted = malloc(n * sizeof *sorted);
  if (sorted == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group rows");
  }
  memcpy(sorted, key, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, cmp_i64); /* keys < 2^63: signed order is fine */
  size_t d = 0;
  for (size_t i = 0; i < n; i++) {
    if (d == 0 || sorted[i] != sorted[d - 1]) {
      sorted[d++] = sorted[i];
    }
  }
  if (d > UINT32_MAX - 1) {
    free(sorted);
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "more than 2^32 - 1 groups");
  }
  for (size_t r = 0; r < n; r++) {
    size_t lo = 0;
    size_t hi = d;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (sorted[mid] < key[r]) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    key[r] = lo;
  }
  free(sorted);
  *n_out = d;
  return SEGKIT_OK;
}

/* ---- labels --------------------------------------------------------------------------- */

static void value_text(const segkit_column *c, size_t row, char *buf, size_t size,
                       const char **out) {
  *out = buf;
  if (!segkit_column_is_valid(c, row)) {
    *out = "(null)";
    return;
  }
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_STRING:
    *out = segkit_column_dict_value(c, segkit_column_codes(c)[row], NULL);
    return;
  case SEGKIT_TYPE_BOOL:
    *out = segkit_column_bool(c)[row] ? "true" : "false";
    return;
  case SEGKIT_TYPE_FLOAT64:
    snprintf(buf, size, "%.17g", segkit_column_float64(c)[row]);
    /* the shortest of %.15g..%.17g that reads back exactly, so 0.1 prints as 0.1 */
    for (int prec = 15; prec < 17; prec++) {
      char tmp[40];
      snprintf(tmp, sizeof tmp, "%.*g", prec, segkit_column_float64(c)[row]);
      if (strtod(tmp, NULL) == segkit_column_float64(c)[row]) {
        snprintf(buf, size, "%s", tmp);
        break;
      }
    }
    return;
  case SEGKIT_TYPE_DATE:
    segkit_format_date(segkit_column_date(c)[row], buf, size);
    return;
  case SEGKIT_TYPE_TIMESTAMP:
    segkit_format_timestamp(segkit_column_timestamp(c)[row], buf, size);
    return;
  default:
    snprintf(buf, size, "%" PRId64, segkit_column_int64(c)[row]);
    return;
  }
}

static segkit_status make_labels(segkit_grouping *g, const segkit_column *const *cols,
                                 const size_t *first_row, segkit_error *err) {
  size_t ng = g->n_groups;
  size_t nb = g->n_by;
  g->values = calloc(ng * nb + 1, sizeof *g->values);
  g->nulls = calloc(ng * nb + 1, 1);
  g->labels = calloc(ng + 1, sizeof *g->labels);
  if (g->values == NULL || g->nulls == NULL || g->labels == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for group labels");
  }
  for (size_t i = 0; i < ng; i++) {
    size_t len = 1;
    for (size_t k = 0; k < nb; k++) {
      char buf[64];
      const char *s;
      value_text(cols[k], first_row[i], buf, sizeof buf, &s);
      g->values[i * nb + k] = dup_text(s);
      g->nulls[i * nb + k] = !segkit_column_is_valid(cols[k], first_row[i]);
      if (g->values[i * nb + k] == NULL) {
        return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for group labels");
      }
      len += strlen(s) + 3;
    }
    if (nb == 0) {
      g->labels[i] = dup_text("all");
    } else {
      g->labels[i] = malloc(len);
      if (g->labels[i] != NULL) {
        g->labels[i][0] = '\0';
        for (size_t k = 0; k < nb; k++) {
          if (k > 0) {
            strcat(g->labels[i], " / ");
          }
          strcat(g->labels[i], g->values[i * nb + k]);
        }
      }
    }
    if (g->labels[i] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for group labels");
    }
  }
  return SEGKIT_OK;
}

/* ---- the object ------------------------------------------------------------------------ */

static segkit_status fold_columns(segkit_grouping *g, const segkit_column *const *cols,
                                  uint64_t *key, segkit_error *err) {
  size_t n = g->n_rows;
  uint32_t *rank = malloc((n > 0 ? n : 1) * sizeof *rank);
  if (rank == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group %zu rows", n);
  }
  size_t distinct = 1;
  for (size_t r = 0; r < n; r++) {
    key[r] = 0;
  }
  for (size_t k = 0; k < g->n_by; k++) {
    uint64_t card = 0;
    segkit_status s = column_ranks(cols[k], rank, &card, err);
    if (s != SEGKIT_OK) {
      free(rank);
      return s;
    }
    for (size_t r = 0; r < n; r++) {
      key[r] = key[r] * card + rank[r];
    }
    /* distinct <= n and card <= n + 3, so the product stays far below 2^63 */
    s = densify(key, n, (uint64_t)distinct * card, &distinct, err);
    if (s != SEGKIT_OK) {
      free(rank);
      return s;
    }
  }
  free(rank);
  g->n_groups = n == 0 ? 0 : distinct;
  return SEGKIT_OK;
}

static segkit_status build(segkit_grouping *g, const segkit_table *t, const char *const *by,
                           segkit_error *err) {
  const segkit_column *cols[64];
  if (g->n_by > 64) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "at most 64 columns to group by, not %zu",
                            g->n_by);
  }
  g->columns = calloc(g->n_by + 1, sizeof *g->columns);
  if (g->columns == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group rows");
  }
  for (size_t k = 0; k < g->n_by; k++) {
    long i = by[k] != NULL ? segkit_table_column_index(t, by[k]) : -1;
    if (i < 0) {
      return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, by[k],
                                 "no column named '%s' to group by", by[k] ? by[k] : "");
    }
    cols[k] = segkit_table_column(t, (size_t)i);
    g->columns[k] = dup_text(by[k]);
    if (g->columns[k] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group rows");
    }
  }
  size_t n = g->n_rows;
  uint64_t *key = malloc((n > 0 ? n : 1) * sizeof *key);
  g->codes = malloc((n > 0 ? n : 1) * sizeof *g->codes);
  if (key == NULL || g->codes == NULL) {
    free(key);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group %zu rows", n);
  }
  segkit_status s = fold_columns(g, cols, key, err);
  size_t *first_row = NULL;
  if (s == SEGKIT_OK) {
    g->sizes = calloc(g->n_groups + 1, sizeof *g->sizes);
    first_row = malloc((g->n_groups + 1) * sizeof *first_row);
    if (g->sizes == NULL || first_row == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group rows");
    }
  }
  if (s == SEGKIT_OK) {
    for (size_t r = n; r-- > 0;) {
      g->codes[r] = (uint32_t)key[r];
      g->sizes[key[r]]++;
      first_row[key[r]] = r;
    }
    s = make_labels(g, cols, first_row, err);
  }
  free(first_row);
  free(key);
  return s;
}

segkit_status segkit_grouping_new(const segkit_table *t, const char *const *by, size_t n_by,
                                  segkit_grouping **out, segkit_error *err) {
  if (t == NULL || out == NULL || (n_by > 0 && by == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_grouping_new: NULL argument");
  }
  segkit_grouping *g = calloc(1, sizeof *g);
  if (g == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group rows");
  }
  g->n_rows = segkit_table_n_rows(t);
  g->n_by = n_by;
  segkit_status s = build(g, t, by, err);
  if (s != SEGKIT_OK) {
    segkit_grouping_free(g);
    return s;
  }
  *out = g;
  return SEGKIT_OK;
}

void segkit_grouping_free(segkit_grouping *g) {
  if (g == NULL) {
    return;
  }
  for (size_t k = 0; g->columns != NULL && k < g->n_by; k++) {
    free(g->columns[k]);
  }
  if (g->values != NULL) {
    for (size_t i = 0; i < g->n_groups * g->n_by; i++) {
      free(g->values[i]);
    }
  }
  if (g->labels != NULL) {
    for (size_t i = 0; i < g->n_groups; i++) {
      free(g->labels[i]);
    }
  }
  free(g->columns);
  free(g->codes);
  free(g->sizes);
  free(g->values);
  free(g->nulls);
  free(g->labels);
  free(g);
}

size_t segkit_grouping_n_groups(const segkit_grouping *g) { return g->n_groups; }
size_t segkit_grouping_n_rows(const segkit_grouping *g) { return g->n_rows; }
size_t segkit_grouping_n_by(const segkit_grouping *g) { return g->n_by; }
const uint32_t *segkit_grouping_codes(const segkit_grouping *g) { return g->codes; }

const char *segkit_grouping_column(const segkit_grouping *g, size_t k) {
  return k < g->n_by ? g->columns[k] : NULL;
}

const char *segkit_grouping_value(const segkit_grouping *g, size_t group, size_t k) {
  return group < g->n_groups && k < g->n_by ? g->values[group * g->n_by + k] : NULL;
}

bool segkit_grouping_is_null(const segkit_grouping *g, size_t group, size_t k) {
  return group < g->n_groups && k < g->n_by && g->nulls[group * g->n_by + k] != 0;
}

const char *segkit_grouping_label(const segkit_grouping *g, size_t group) {
  return group < g->n_groups ? g->labels[group] : NULL;
}

size_t segkit_grouping_size(const segkit_grouping *g, size_t group) {
  return group < g->n_groups ? g->sizes[group] : 0;
}
