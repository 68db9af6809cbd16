/* Customer key map: every distinct customer key of a column to a dense slot, slots in
 * ascending key order. Key design choice: no hashing in the common case. Generated and
 * most real ids are small consecutive integers (and string columns are dictionary codes),
 * so when the keys span a range no wider than the rows (+1024) a slot is key - min: one
 * subtraction per row and per-customer arrays indexed directly. Sparse keys fall back to an
 * open-addressing hash (linear probing, load <= 1/2) built once, serially, then read by
 * every thread. */
#include <stdlib.h>
#include <string.h>

#include "family/family_int.h"

void sk__keymap_free(sk__keymap *m) {
  free(m->sorted);
  free(m->hkeys);
  free(m->hslot);
  memset(m, 0, sizeof *m);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a;
  int64_t y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Insert or overwrite key with slot v (the table has room). */
static void hash_put(int64_t *keys, uint32_t *slot, size_t mask, int64_t key, uint32_t v) {
  size_t i = (size_t)sk__fam_mix(key) & mask;
  while (slot[i] != UINT32_MAX && keys[i] != key) {
    i = (i + 1) & mask;
  }
  keys[i] = key;
  slot[i] = v;
}

static segkit_status hash_alloc(size_t cap, int64_t **keys, uint32_t **slot, segkit_error *err) {
  *keys = malloc(cap * sizeof **keys);
  *slot = malloc(cap * sizeof **slot);
  if (*keys == NULL || *slot == NULL) {
    free(*keys);
    free(*slot);
    *keys = NULL;
    *slot = NULL;
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for a customer index of %zu",
                            cap);
  }
  memset(*slot, 0xff, cap * sizeof **slot);
  return SEGKIT_OK;
}

/* Collect the distinct keys (hash), sort them, then store each key's rank as its slot. */
static segkit_status build_hash(const sk__fam_col *c, size_t n_rows, sk__keymap *m,
                                segkit_error *err) {
  size_t cap = 1024;
  size_t n = 0;
  int64_t *keys = NULL;
  uint32_t *slot = NULL;
  segkit_status s = hash_alloc(cap, &keys, &slot, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  for (size_t row = 0; row < n_rows; row++) {
    if (sk__fam_is_null(c, row)) {
      continue;
    }
    int64_t key = sk__fam_key(c, row);
    size_t i = (size_t)sk__fam_mix(key) & (cap - 1);
    while (slot[i] != UINT32_MAX && keys[i] != key) {
      i = (i + 1) & (cap - 1);
    }
    if (slot[i] != UINT32_MAX) {
      continue;
    }
    keys[i] = key;
    slot[i] = 0;
    n++;
    if (n * 2 <= cap) {
      continue;
    }
    /* Grow: rehash into a table twice the size. */
    int64_t *k2 = NULL;
    uint32_t *s2 = NULL;
    s = hash_alloc(cap * 2, &k2, &s2, err);
    if (s != SEGKIT_OK) {
      free(keys);
      free(slot);
      return s;
    }
    for (size_t j = 0; j < cap; j++) {
      if (slot[j] != UINT32_MAX) {
        hash_put(k2, s2, cap * 2 - 1, keys[j], 0);
      }
    }
    free(keys);
    free(slot);
    keys = k2;
    slot = s2;
    cap *= 2;
  }
  if (n >= UINT32_MAX) {
    free(keys);
    free(slot);
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "more than 2^32 - 2 customers");
  }
  int64_t *sorted = malloc((n ? n : 1) * sizeof *sorted);
  if (sorted == NULL) {
    free(keys);
    free(slot);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customer keys", n);
  }
  size_t k = 0;
  for (size_t j = 0; j < cap; j++) {
    if (slot[j] != UINT32_MAX) {
      sorted[k++] = keys[j];
    }
  }
  qsort(sorted, n, sizeof *sorted, cmp_i64);
  for (size_t r = 0; r < n; r++) {
    hash_put(keys, slot, cap - 1, sorted[r], (uint32_t)r);
  }
  m->dense = false;
  m->n_slots = n;
  m->sorted = sorted;
  m->hkeys = keys;
  m->hslot = slot;
  m->hmask = cap - 1;
  return SEGKIT_OK;
}

segkit_status sk__keymap_build(const sk__fam_col *c, size_t n_rows, sk__keymap *m,
                               segkit_error *err) {
  memset(m, 0, sizeof *m);
  if (c->type == SEGKIT_TYPE_STRING) {
    m->dense = true;
    m->base = 0;
    m->n_slots = segkit_column_dict_size(c->col);
    return SEGKIT_OK;
  }
  const int64_t *v = c->data;
  int64_t lo = INT64_MAX;
  int64_t hi = INT64_MIN;
  size_t n_valid = 0;
  for (size_t row = 0; row < n_rows; row++) {
    if (sk__fam_is_null(c, row)) {
      continue;
    }
    lo = v[row] < lo ? v[row] : lo;
    hi = v[row] > hi ? v[row] : hi;
    n_valid++;
  }
  if (n_valid == 0) {
    m->dense = true;
    return SEGKIT_OK;
  }
  /* The width in unsigned arithmetic: hi - lo cannot overflow it. */
  uint64_t width = (uint64_t)hi - (uint64_t)lo;
  if (width < (uint64_t)n_valid + 1024 && width < UINT32_MAX - 1) {
    m->dense = true;
    m->base = lo;
    m->n_slots = (size_t)width + 1;
    return SEGKIT_OK;
  }
  return build_hash(c, n_rows, m, err);
}
