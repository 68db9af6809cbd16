/* Looking up columns of another table by key (segkit_table_lookup): the customer
 * attributes (country, company size, a feature flag) next to each subscription row, so a
 * metric can be split by them.
 *
 * Key design choice: no hash table. String keys are matched once per distinct value, from
 * the left key's dictionary to the right key's (both dictionaries are already indexed);
 * integer keys by binary search in the right keys sorted once. The looked-up columns are
 * then plain gathers by row index, and the output table is assembled from whole arrays
 * (the left columns as they are, the gathered ones with the right columns' dictionaries),
 * so nothing is appended value by value. */
#include <stdlib.h>
#include <string.h>

#include "table/table_int.h"

#define NO_MATCH UINT32_MAX

typedef struct key_row {
  int64_t key;
  uint32_t row;
} key_row;

static int cmp_key_row(const void *pa, const void *pb) {
  const key_row *a = pa;
  const key_row *b = pb;
  if (a->key != b->key) {
    return a->key < b->key ? -1 : 1;
  }
  return (a->row > b->row) - (a->row < b->row);
}

static segkit_status find_col(const segkit_table *t, const char *name, const char *role,
                              const segkit_column **out, segkit_error *err) {
  long i = name != NULL ? segkit_table_column_index(t, name) : -1;
  if (i < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, name,
                               "no column named '%s' in the %s table", name ? name : "", role);
  }
  *out = segkit_table_column(t, (size_t)i);
  return SEGKIT_OK;
}

static segkit_status duplicate_key(const segkit_column *rk, size_t row, segkit_error *err) {
  if (segkit_column_type(rk) == SEGKIT_TYPE_STRING) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, segkit_column_name(rk),
                               "key '%s' occurs more than once in '%s' (row %zu; expected one "
                               "row per key: remove the duplicates first)",
                               segkit_column_dict_value(rk, segkit_column_codes(rk)[row], NULL),
                               segkit_column_name(rk), row + 1);
  }
  return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, segkit_column_name(rk),
                             "key %lld occurs more than once in '%s' (row %zu; expected one "
                             "row per key: remove the duplicates first)",
                             (long long)segkit_column_int64(rk)[row], segkit_column_name(rk),
                             row + 1);
}

/* match[i] = the right row whose key equals left row i's, or NO_MATCH. */
static segkit_status match_strings(const segkit_column *lk, const segkit_column *rk,
                                   uint32_t *match, segkit_error *err) {
  uint32_t nr = segkit_column_dict_size(rk);
  uint32_t *row_of = malloc(((size_t)nr + 1) * sizeof *row_of);
  uint32_t nl = segkit_column_dict_size(lk);
  uint32_t *map = malloc(((size_t)nl + 1) * sizeof *map);
  if (row_of == NULL || map == NULL) {
    free(row_of);
    free(map);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to match keys");
  }
  for (uint32_t c = 0; c < nr; c++) {
    row_of[c] = NO_MATCH;
  }
  const uint32_t *rc = segkit_column_codes(rk);
  for (size_t r = 0; r < segkit_column_n_rows(rk); r++) {
    if (!segkit_column_is_valid(rk, r)) {
      continue;
    }
    if (row_of[rc[r]] != NO_MATCH) {
      free(row_of);
      free(map);
      return duplicate_key(rk, r, err);
    }
    row_of[rc[r]] = (uint32_t)r;
  }
  for (uint32_t c = 0; c < nl; c++) {
    size_t len;
    const char *s = segkit_column_dict_value(lk, c, &len);
    int64_t code = segkit_column_dict_find(rk, s, len);
    map[c] = code >= 0 ? row_of[code] : NO_MATCH;
  }
  const uint32_t *lc = segkit_column_codes(lk);
  for (size_t i = 0; i < segkit_column_n_rows(lk); i++) {
    match[i] = segkit_column_is_valid(lk, i) ? map[lc[i]] : NO_MATCH;
  }
  free(row_of);
  free(map);
  return SEGKIT_OK;
}

static segkit_status match_ints(const segkit_column *lk, const segkit_column *rk,
                                uint32_t *match, segkit_error *err) {
  size_t nr = segkit_column_n_rows(rk);
  key_row *sorted = malloc((nr > 0 ? nr : 1) * sizeof *sorted);
  if (sorted == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to match keys");
  }
  const int64_t *rv = segkit_column_int64(rk);
  size_t m = 0;
  for (size_t r = 0; r < nr; r++) {
    if (segkit_column_is_valid(rk, r)) {
      sorted[m].key = rv[r];
      sorted[m].row = (uint32_t)r;
      m++;
    }
  }
  qsort(sorted, m, sizeof *sorted, cmp_key_row);
  for (size_t i = 1; i < m; i++) {
    if (sorted[i].key == sorted[i - 1].key) {
      size_t row = sorted[i].row;
      free(sorted);
      return duplicate_key(rk, row, err);
    }
  }
  const int64_t *lv = segkit_column_int64(lk);
  for (size_t i = 0; i < segkit_column_n_rows(lk); i++) {
    match[i] = NO_MATCH;
    if (!segkit_column_is_valid(lk, i)) {
      continue;
    }
    size_t lo = 0;
    size_t hi = m;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (sorted[mid].key < lv[i]) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo < m && sorted[lo].key == lv[i]) {
      match[i] = sorted[lo].row;
    }
  }
  free(sorted);
  return SEGKIT_OK;
}

/* ---- assembling the output ------------------------------------------------------------- */

/* Gather column c's values at match[i] (null where there is no match). */
static segkit_status gather(const segkit_column *c, const uint32_t *match, size_t n,
                            void **data_out, uint64_t **valid_out, segkit_error *err) {
  size_t sz = sk__type_size(segkit_column_type(c));
  unsigned char *data = calloc(n > 0 ? n : 1, sz);
  uint64_t *valid = calloc((n + 63) / 64 + 1, sizeof *valid);
  if (data == NULL || valid == NULL) {
    free(data);
    free(valid);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to look up '%s'",
                            segkit_column_name(c));
  }
  const unsigned char *src = c->col.data;
  for (size_t i = 0; i < n; i++) {
    uint32_t r = match[i];
    if (r == NO_MATCH || !segkit_column_is_valid(c, r)) {
      continue;
    }
    memcpy(data + i * sz, src + (size_t)r * sz, sz);
    valid[i / 64] |= UINT64_C(1) << (i % 64);
  }
  *data_out = data;
  *valid_out = valid;
  return SEGKIT_OK;
}

segkit_status segkit_table_lookup(const segkit_table *left, const char *left_key,
                                  const segkit_table *right, const char *right_key,
                                  const char *const *cols, size_t n_cols, segkit_table **out,
                                  segkit_error *err) {
  if (left == NULL || right == NULL || out == NULL || (n_cols > 0 && cols == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_table_lookup: NULL argument");
  }
  const segkit_column *lk = NULL;
  const segkit_column *rk = NULL;
  segkit_status s = find_col(left, left_key, "left", &lk, err);
  if (s == SEGKIT_OK) {
    s = find_col(right, right_key, "lookup", &rk, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_type lt = segkit_column_type(lk);
  segkit_type rt = segkit_column_type(rk);
  bool strings = lt == SEGKIT_TYPE_STRING && rt == SEGKIT_TYPE_STRING;
  bool ints = lt == SEGKIT_TYPE_INT64 && rt == SEGKIT_TYPE_INT64;
  if (!strings && !ints) {
    return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, right_key,
                               "keys '%s' (%s) and '%s' (%s) cannot be matched (expected both "
                               "int64 or both string)",
                               left_key, segkit_type_name(lt), right_key, segkit_type_name(rt));
  }
  if (segkit_table_n_rows(right) >= NO_MATCH) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "the lookup table has too many rows");
  }
  size_t nl = segkit_table_n_cols(left);
  const segkit_column *add[64];
  if (n_cols > 64) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "at most 64 columns to look up");
  }
  for (size_t k = 0; k < n_cols; k++) {
    s = find_col(right, cols[k], "lookup", &add[k], err);
    if (s != SEGKIT_OK) {
      return s;
    }
    if (segkit_table_column_index(left, cols[k]) >= 0) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, cols[k],
                                 "column '%s' is in both tables (expected a new column)",
                                 cols[k]);
    }
  }
  size_t n = segkit_table_n_rows(left);
  uint32_t *match = malloc((n > 0 ? n : 1) * sizeof *match);
  segkit_column_arrays *arr = calloc(nl + n_cols + 1, sizeof *arr);
  void *datas[64] = {NULL};
  uint64_t *valids[64] = {NULL};
  if (match == NULL || arr == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to look up %zu rows", n);
  }
  if (s == SEGKIT_OK) {
    s = strings ? match_strings(lk, rk, match, err) : match_ints(lk, rk, match, err);
  }
  for (size_t i = 0; s == SEGKIT_OK && i < nl; i++) {
    arr[i] = segkit_column_as_arrays(segkit_table_column(left, i));
  }
  for (size_t k = 0; s == SEGKIT_OK && k < n_cols; k++) {
    s = gather(add[k], match, n, &datas[k], &valids[k], err);
    if (s == SEGKIT_OK) {
      arr[nl + k] = segkit_column_as_arrays(add[k]);
      arr[nl + k].data = datas[k];
      arr[nl + k].validity = valids[k];
    }
  }
  if (s == SEGKIT_OK) {
    s = segkit_table_from_arrays(n, nl + n_cols, arr, out, err);
  }
  for (size_t k = 0; k < n_cols; k++) {
    free(datas[k]);
    free(valids[k]);
  }
  free(match);
  free(arr);
  return s;
}
