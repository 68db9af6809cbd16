/* prep_stats.c: order statistics shared by preprocessing and Ward: a stable index sort
 * and numpy's linear quantile. The sort is a bottom-up merge sort on indices with a
 * comparator that takes a context, because C17 has no qsort_r and qsort is not stable:
 * stability is what makes tie orders (Ward merges of equal height, first-seen levels)
 * the same on every C library. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/judge_int.h"

bool sk__sort_index(size_t *idx, size_t n, sk__index_cmp cmp, const void *ctx) {
  if (n < 2)
    return true;
  if (n > SIZE_MAX / 2 / sizeof *idx)
    return false;
  size_t *tmp = malloc(n * sizeof *tmp);
  if (!tmp)
    return false;
  size_t *src = idx;
  size_t *dst = tmp;
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n;
      size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t a = lo;
      size_t b = mid;
      size_t o = lo;
      while (a < mid && b < hi) {
        /* take from the right run only when strictly smaller: stability */
        if (cmp(ctx, src[b], src[a]) < 0)
          dst[o++] = src[b++];
        else
          dst[o++] = src[a++];
      }
      while (a < mid)
        dst[o++] = src[a++];
      while (b < hi)
        dst[o++] = src[b++];
    }
    size_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != idx)
    memcpy(idx, src, n * sizeof *idx);
  free(tmp);
  return true;
}

/* numpy.quantile(method="linear"): position h = (n - 1) p, interpolate between the order
 * statistics around it (Hyndman & Fan 1996, definition 7). */
double sk__quantile_sorted(const double *sorted, size_t n, double p) {
  if (n == 1)
    return sorted[0];
  double h = (double)(n - 1) * p;
  double fl = floor(h);
  size_t lo = (size_t)fl;
  if (lo >= n - 1)
    return sorted[n - 1];
  double frac = h - fl;
  /* numpy's _lerp: a + (b - a) t, and b - (b - a)(1 - t) when t >= 0.5 */
  double a = sorted[lo];
  double b = sorted[lo + 1];
  double diff = b - a;
  return frac >= 0.5 ? b - diff * (1.0 - frac) : a + diff * frac;
}
