/* Output tables of the families: whole arrays handed to segkit_table_from_arrays_take, so
 * a million-customer result is not appended value by value. Key design choice: label
 * columns (segments, stages, tiers) are STRING columns whose dictionary is the label list
 * itself, so their codes are the label indexes the families compute anyway. */
#include <stdlib.h>
#include <string.h>

#include "family/family_int.h"

segkit_status sk__fam_customer_column(const segkit_column *src, const int64_t *keys, size_t n,
                                      segkit_column_arrays *col, segkit_error *err) {
  memset(col, 0, sizeof *col);
  col->name = segkit_column_name(src);
  col->type = segkit_column_type(src);
  size_t cap = n ? n : 1;
  if (col->type == SEGKIT_TYPE_STRING) {
    uint32_t *codes = malloc(cap * sizeof *codes);
    if (codes == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
    }
    for (size_t i = 0; i < n; i++) {
      codes[i] = (uint32_t)keys[i];
    }
    col->data = codes;
    col->dict_size = segkit_column_dict_size(src);
    segkit_column_dict_arrays(src, &col->dict_offsets, &col->dict_bytes);
    return SEGKIT_OK;
  }
  int64_t *v = malloc(cap * sizeof *v);
  if (v == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  if (n > 0) {
    memcpy(v, keys, n * sizeof *v);
  }
  col->data = v;
  return SEGKIT_OK;
}

segkit_status sk__fam_label_column(const char *name, const char *const *labels,
                                   size_t n_labels, uint32_t *codes, segkit_column_arrays *col,
                                   uint64_t **offsets, char **bytes, segkit_error *err) {
  memset(col, 0, sizeof *col);
  size_t total = 0;
  for (size_t i = 0; i < n_labels; i++) {
    total += strlen(labels[i]) + 1;
  }
  uint64_t *off = malloc((n_labels + 1) * sizeof *off);
  char *b = malloc(total ? total : 1);
  if (off == NULL || b == NULL) {
    free(off);
    free(b);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the labels of %s", name);
  }
  size_t at = 0;
  for (size_t i = 0; i < n_labels; i++) {
    size_t len = strlen(labels[i]) + 1;
    off[i] = at;
    memcpy(b + at, labels[i], len);
    at += len;
  }
  off[n_labels] = at;
  col->name = name;
  col->type = SEGKIT_TYPE_STRING;
  col->data = codes;
  col->dict_size = (uint32_t)n_labels;
  col->dict_offsets = off;
  col->dict_bytes = b;
  *offsets = off;
  *bytes = b;
  return SEGKIT_OK;
}

segkit_status sk__fam_table_take(size_t n_rows, size_t n_cols, segkit_column_arrays *cols,
                                 segkit_table **out, segkit_error *err) {
  segkit_status s = segkit_table_from_arrays_take(n_rows, n_cols, cols, out, err);
  if (s != SEGKIT_OK) {
    for (size_t i = 0; i < n_cols; i++) {
      free((void *)cols[i].data);
      free((void *)cols[i].validity);
    }
  }
  return s;
}
