/* Rows in customer order for the MRR and revenue engines: the check that keys are already
 * in order, a stable radix sort of the keys carrying row indices, the customers'
 * boundaries, their split into thread ranges and the lookup of a customer by id.
 *
 * Key design choice: a customer key is a uint64 in unsigned order (sk__customer_key_at),
 * so one LSD radix sort, 8 bits a pass, serves int64 ids and dictionary codes alike; a
 * byte equal in every key is skipped (ids below 2^24 take 3 passes). The keys move with
 * the indices, so every pass reads the keys sequentially rather than through the
 * permutation, and the sorted keys give the customer boundaries in one more sequential
 * pass. The sort is stable, so a customer's rows stay in input order. */
#include <stdlib.h>

#include "metrics/metrics_int.h"

bool sk__keys_sorted(const uint64_t *key, size_t n) {
  for (size_t i = 1; i < n; i++) {
    if (key[i] < key[i - 1]) {
      return false;
    }
  }
  return true;
}

segkit_status sk__sort_by_key(uint64_t **keys, size_t n, uint32_t **perm_out,
                              segkit_error *err) {
  uint64_t *ka = *keys;
  uint64_t *kb = malloc((n ? n : 1) * sizeof *kb);
  uint32_t *a = malloc((n ? n : 1) * sizeof *a);
  uint32_t *b = malloc((n ? n : 1) * sizeof *b);
  size_t(*hist)[256] = calloc(8, sizeof *hist);
  if (kb == NULL || a == NULL || b == NULL || hist == NULL) {
    free(kb);
    free(a);
    free(b);
    free(hist);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to sort %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) {
    a[i] = (uint32_t)i;
    for (int p = 0; p < 8; p++) {
      hist[p][(ka[i] >> (8 * p)) & 0xff]++;
    }
  }
  for (int p = 0; p < 8; p++) {
    if (n == 0 || hist[p][(ka[0] >> (8 * p)) & 0xff] == n) {
      continue;
    }
    size_t pos = 0;
    for (int d = 0; d < 256; d++) {
      size_t c = hist[p][d];
      hist[p][d] = pos;
      pos += c;
    }
    for (size_t i = 0; i < n; i++) {
      size_t to = hist[p][(ka[i] >> (8 * p)) & 0xff]++;
      kb[to] = ka[i];
      b[to] = a[i];
    }
    uint64_t *kt = ka;
    ka = kb;
    kb = kt;
    uint32_t *t = a;
    a = b;
    b = t;
  }
  free(kb);
  free(b);
  free(hist);
  *keys = ka;
  *perm_out = a;
  return SEGKIT_OK;
}

segkit_status sk__customer_offsets(const uint64_t *key, size_t n, size_t **off_out,
                                   int64_t **keys_out, size_t *n_customers,
                                   segkit_error *err) {
  size_t nc = 0;
  for (size_t i = 0; i < n; i++) {
    nc += i == 0 || key[i] != key[i - 1];
  }
  size_t *off = malloc((nc + 1) * sizeof *off);
  int64_t *ckey = malloc((nc ? nc : 1) * sizeof *ckey);
  if (off == NULL || ckey == NULL) {
    free(off);
    free(ckey);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", nc);
  }
  size_t c = 0;
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || key[i] != key[i - 1]) {
      off[c] = i;
      ckey[c] = (int64_t)(key[i] ^ (UINT64_C(1) << 63));
      c++;
    }
  }
  off[nc] = n;
  *off_out = off;
  *keys_out = ckey;
  *n_customers = nc;
  return SEGKIT_OK;
}

void sk__customer_ranges(const size_t *off, size_t n_customers, int nt, size_t *first) {
  size_t n_rows = off[n_customers];
  size_t c = 0;
  first[0] = 0;
  for (int t = 1; t < nt; t++) {
    size_t want = n_rows * (size_t)t / (size_t)nt;
    while (c < n_customers && off[c] < want) {
      c++;
    }
    first[t] = c;
  }
  first[nt] = n_customers;
}

long sk__customer_find(const int64_t *keys, size_t n, int64_t key) {
  size_t lo = 0;
  size_t hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (keys[mid] < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < n && keys[lo] == key ? (long)lo : -1;
}
