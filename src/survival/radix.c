/* radix.c: LSD radix sort of 64-bit keys, the one sort of the survival module.
 *
 * Durations are packed into uint64 keys (see km.c), so a comparison-free sort applies.
 * The eight byte histograms are built in a single read of the keys; a byte position
 * where one bucket holds every key is skipped, which is what makes integer durations of
 * a few thousand days cost two scatter passes instead of eight. Stable, O(n) per pass. */
#include <string.h>

#include "survival/survival_int.h"

static void count_digits(const uint64_t *keys, size_t n, size_t hist[8][256]) {
  memset(hist, 0, sizeof(size_t) * 8 * 256);
  for (size_t i = 0; i < n; i++) {
    uint64_t k = keys[i];
    for (unsigned b = 0; b < 8; b++) {
      hist[b][(k >> (8 * b)) & 0xff]++;
    }
  }
}

/* Whether the pass on byte b would leave the order unchanged (all keys share the byte). */
static int pass_is_trivial(const size_t *h, size_t n) {
  for (unsigned d = 0; d < 256; d++) {
    if (h[d] == n) {
      return 1;
    }
    if (h[d] != 0) {
      return 0;
    }
  }
  return 0;
}

static void scatter(const uint64_t *src, uint64_t *dst, size_t n, unsigned b, const size_t *h) {
  size_t pos[256];
  size_t sum = 0;
  for (unsigned d = 0; d < 256; d++) {
    pos[d] = sum;
    sum += h[d];
  }
  unsigned shift = 8 * b;
  for (size_t i = 0; i < n; i++) {
    uint64_t k = src[i];
    dst[pos[(k >> shift) & 0xff]++] = k;
  }
}

void sk__surv_radix_sort_u64(uint64_t *keys, uint64_t *tmp, size_t n) {
  if (n < 2) {
    return;
  }
  size_t hist[8][256];
  count_digits(keys, n, hist);
  uint64_t *src = keys;
  uint64_t *dst = tmp;
  for (unsigned b = 0; b < 8; b++) {
    if (pass_is_trivial(hist[b], n)) {
      continue;
    }
    scatter(src, dst, n, b, hist[b]);
    uint64_t *swap = src;
    src = dst;
    dst = swap;
  }
  if (src != keys) {
    memcpy(keys, src, n * sizeof *keys);
  }
}
