/* Quantile edges: the k - 1 cut-points of NTILE(k) scores with ties to the lowest tile
 * (segkit/family.h). NTILE(k) over n sorted rows gives the first n mod k tiles q + 1 rows
 * and the rest q (q = n / k), so tile b (1-based) ends at position
 * s(b) - 1 with s(b) = b q + min(b, n mod k). With p = the number of values strictly below
 * v, v's score is 1 + #{b : s(b) <= p}, and s(b) <= p holds exactly when the value at
 * sorted position s(b) - 1 is < v. So only k - 1 order statistics are needed, never a full
 * sort. Key design choice: quickselect with a three-way partition (Bentley & McIlroy,
 * "Engineering a sort function", 1993), which handles the heavy ties of counts and days
 * in linear time; the positions are found in ascending order, each search starting right
 * after the previous position, since everything after it is >= its value. Expected O(n k),
 * worst case quadratic on adversarial orders (pivot: median of first, middle, last). */
#include <math.h>
#include <string.h>

#include "family/family_int.h"

static int64_t median3(int64_t a, int64_t b, int64_t c) {
  if (a > b) {
    int64_t t = a;
    a = b;
    b = t;
  }
  if (b > c) {
    b = c;
  }
  return a > b ? a : b;
}

/* The value at sorted position p of x[lo, hi), partitioning x so that every element before
 * p is <= it and every element after is >= it. */
static int64_t select_at(int64_t *x, size_t lo, size_t hi, size_t p) {
  while (hi - lo > 1) {
    int64_t pivot = median3(x[lo], x[lo + (hi - lo) / 2], x[hi - 1]);
    /* Dijkstra's three-way partition: [lo, lt) < pivot, [lt, i) == pivot, [gt, hi) > */
    size_t lt = lo;
    size_t i = lo;
    size_t gt = hi;
    while (i < gt) {
      int64_t v = x[i];
      if (v < pivot) {
        x[i] = x[lt];
        x[lt] = v;
        lt++;
        i++;
      } else if (v > pivot) {
        gt--;
        x[i] = x[gt];
        x[gt] = v;
      } else {
        i++;
      }
    }
    if (p < lt) {
      hi = lt;
    } else if (p >= gt) {
      lo = gt;
    } else {
      return pivot;
    }
  }
  return x[p];
}

size_t sk__ntile_edges_i64(const int64_t *v, size_t n, unsigned k, int64_t *edges,
                           int64_t *scratch) {
  if (n == 0 || k < 2) {
    return 0;
  }
  memcpy(scratch, v, n * sizeof *v);
  size_t q = n / k;
  size_t rem = n % k;
  size_t lo = 0;
  for (unsigned b = 1; b < k; b++) {
    size_t s = (size_t)b * q + (b < rem ? b : rem);
    size_t p = s - 1; /* s >= 1 since n >= 1 and b >= 1 */
    if (p < lo) {
      edges[b - 1] = edges[b - 2]; /* the same position as the previous edge */
      continue;
    }
    edges[b - 1] = select_at(scratch, lo, n, p);
    lo = p + 1;
  }
  return k - 1;
}

/* Doubles as order-preserving int64 (IEEE 754 bits; -0 folded into +0, no NaN). */
static int64_t f64_key(double d) {
  if (d == 0.0) {
    d = 0.0;
  }
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  u = (u >> 63) ? ~u : (u | 0x8000000000000000ULL);
  return (int64_t)(u ^ 0x8000000000000000ULL);
}

static double f64_of_key(int64_t k) {
  uint64_t u = (uint64_t)k ^ 0x8000000000000000ULL;
  u = (u >> 63) ? (u & 0x7fffffffffffffffULL) : ~u;
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

size_t sk__ntile_edges_f64(const double *v, size_t n, unsigned k, double *edges,
                           int64_t *keys) {
  if (n == 0 || k < 2) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    keys[i] = f64_key(v[i]);
  }
  size_t q = n / k;
  size_t rem = n % k;
  size_t lo = 0;
  int64_t prev = 0;
  for (unsigned b = 1; b < k; b++) {
    size_t s = (size_t)b * q + (b < rem ? b : rem);
    size_t p = s - 1;
    if (p >= lo) {
      prev = select_at(keys, lo, n, p);
      lo = p + 1;
    }
    edges[b - 1] = f64_of_key(prev);
  }
  return k - 1;
}
