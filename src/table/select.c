/* Selecting rows: take (rows by index, any order, repeats allowed) and filter (rows
 * whose keep flag is set, in order).
 *
 * Key design choice: both are one gather, column by column, over a list of row
 * indices: take uses the caller's list directly, filter builds the list a chunk at a
 * time (uint32 offsets within a 64 Ki-row window, so the scratch stays in L1/L2 and the
 * table may have more than 2^32 rows). Gathering by column keeps each pass on one
 * array. String columns keep their source dictionary as it is (a copy), so codes are
 * gathered unchanged; entries no selected row uses stay in the dictionary, which keeps
 * take and filter proportional to the rows selected plus one dictionary copy. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "table/table_int.h"

#define SK_FILTER_CHUNK 65536

/* dst rows [at, at+n) = src rows base + rows[0..n). dst's bitmap is zero there. */
static void gather(sk__col *dst, size_t at, const sk__col *src, size_t base,
                   const uint32_t *rows, size_t n) {
  switch (sk__type_size(src->type)) {
  case 8: {
    const uint64_t *in = (const uint64_t *)src->data + base;
    uint64_t *out = (uint64_t *)dst->data + at;
    for (size_t i = 0; i < n; i++) {
      out[i] = in[rows[i]];
    }
    break;
  }
  case 4: {
    const uint32_t *in = (const uint32_t *)src->data + base;
    uint32_t *out = (uint32_t *)dst->data + at;
    for (size_t i = 0; i < n; i++) {
      out[i] = in[rows[i]];
    }
    break;
  }
  default: {
    const uint8_t *in = (const uint8_t *)src->data + base;
    uint8_t *out = (uint8_t *)dst->data + at;
    for (size_t i = 0; i < n; i++) {
      out[i] = in[rows[i]];
    }
    break;
  }
  }
  const uint64_t *valid = src->validity;
  for (size_t i = 0; i < n; i++) {
    size_t r = base + rows[i];
    uint64_t bit = (valid[r / 64] >> (r % 64)) & 1;
    dst->validity[(at + i) / 64] |= bit << ((at + i) % 64);
  }
}

/* An empty copy of t's schema with n_rows rows allocated and dictionaries copied. */
static segkit_status alloc_like(const segkit_table *t, size_t n_rows, segkit_table **out,
                                segkit_error *err) {
  segkit_table *r = sk__table_alloc(t->n_cols, n_rows);
  if (r == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory selecting rows");
  }
  for (size_t j = 0; j < t->n_cols; j++) {
    const sk__col *src = &t->cols[j].col;
    sk__col *dst = &r->cols[j].col;
    segkit_status st = sk__col_alloc(dst, src->name, src->type, n_rows, err);
    if (st == SEGKIT_OK && src->type == SEGKIT_TYPE_STRING) {
      st = sk__dict_clone(&dst->dict, &src->dict);
      if (st != SEGKIT_OK) {
        segkit_error_set_at(err, st, NULL, 0, 0, src->name, "out of memory copying the "
                            "dictionary");
      }
    }
    if (st != SEGKIT_OK) {
      segkit_table_free(r);
      return st;
    }
  }
  *out = r;
  return SEGKIT_OK;
}

static void count_result_nulls(segkit_table *r) {
  for (size_t j = 0; j < r->n_cols; j++) {
    sk__col *c = &r->cols[j].col;
    c->null_count = sk__count_nulls(c->validity, c->n_rows);
  }
}

segkit_status segkit_table_take(const segkit_table *t, const uint32_t *rows, size_t n_rows,
                                segkit_table **out, segkit_error *err) {
  assert(t != NULL && out != NULL);
  if (rows == NULL && n_rows > 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "take: no row indices given");
  }
  for (size_t i = 0; i < n_rows; i++) {
    if (rows[i] >= t->n_rows) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "take: index %zu is row %u, past the last row (table has %zu)",
                              i, rows[i], t->n_rows);
    }
  }
  segkit_table *r = NULL;
  segkit_status st = alloc_like(t, n_rows, &r, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  for (size_t j = 0; j < t->n_cols; j++) {
    gather(&r->cols[j].col, 0, &t->cols[j].col, 0, rows, n_rows);
  }
  count_result_nulls(r);
  *out = r;
  return SEGKIT_OK;
}

segkit_status segkit_table_filter(const segkit_table *t, const uint8_t *keep,
                                  segkit_table **out, segkit_error *err) {
  assert(t != NULL && out != NULL);
  if (keep == NULL && t->n_rows > 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "filter: no keep flags given");
  }
  size_t n_kept = 0;
  for (size_t i = 0; i < t->n_rows; i++) {
    n_kept += keep[i] != 0;
  }
  uint32_t *rows = malloc(SK_FILTER_CHUNK * sizeof *rows);
  if (rows == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory filtering rows");
  }
  segkit_table *r = NULL;
  segkit_status st = alloc_like(t, n_kept, &r, err);
  if (st != SEGKIT_OK) {
    free(rows);
    return st;
  }
  size_t at = 0;
  for (size_t base = 0; base < t->n_rows; base += SK_FILTER_CHUNK) {
    size_t end = t->n_rows - base < SK_FILTER_CHUNK ? t->n_rows : base + SK_FILTER_CHUNK;
    size_t n = 0;
    for (size_t i = base; i < end; i++) {
      rows[n] = (uint32_t)(i - base);
      n += keep[i] != 0; /* branch-free compaction: write always, advance if kept */
    }
    for (size_t j = 0; j < t->n_cols; j++) {
      gather(&r->cols[j].col, at, &t->cols[j].col, base, rows, n);
    }
    at += n;
  }
  free(rows);
  count_result_nulls(r);
  *out = r;
  return SEGKIT_OK;
}
