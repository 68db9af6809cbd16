/* scores_ari.c: adjusted Rand index of two labelings (Hubert & Arabie, "Comparing
 * partitions", J. Classif. 2, 1985, eq. 5).
 *
 * Key design choice: the contingency table is built by sorting packed (a, b) label pairs
 * rather than by indexing a k_a x k_b array, so labels can be any non-negative int32
 * (cluster ids, species codes, customer segments numbered sparsely) at O(n log n) and O(n)
 * memory. Pair counts are summed in doubles: exact below 2^53, i.e. for n up to ~1.3e8. */
#include <stdlib.h>

#include "segkit/cluster.h"

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a;
  uint64_t y = *(const uint64_t *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static double pairs(double m) { return m * (m - 1) / 2; }

/* Sum over runs of equal keys in sorted v of C(run, 2). */
static double sum_run_pairs(const uint64_t *v, size_t n, uint64_t mask) {
  double total = 0;
  size_t run = 1;
  for (size_t i = 1; i <= n; i++) {
    if (i < n && (v[i] & mask) == (v[i - 1] & mask)) {
      run++;
      continue;
    }
    total += pairs((double)run);
    run = 1;
  }
  return total;
}

segkit_status segkit_adjusted_rand(const int32_t *a, const int32_t *b, size_t n,
                                   double *ari_out, segkit_error *err) {
  if (n == 0 || !a || !b)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "adjusted Rand: no rows");
  for (size_t i = 0; i < n; i++)
    if (a[i] < 0 || b[i] < 0)
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "adjusted Rand: row %zu has a negative label", i + 1);
  uint64_t *v = malloc(n * sizeof *v);
  if (!v)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "adjusted Rand: no memory for %zu rows", n);
  for (size_t i = 0; i < n; i++)
    v[i] = (uint64_t)(uint32_t)a[i] << 32 | (uint32_t)b[i];
  qsort(v, n, sizeof *v, cmp_u64);
  double index = sum_run_pairs(v, n, ~UINT64_C(0));
  double sum_a = sum_run_pairs(v, n, UINT64_C(0xffffffff00000000));
  for (size_t i = 0; i < n; i++)
    v[i] = (uint32_t)b[i];
  qsort(v, n, sizeof *v, cmp_u64);
  double sum_b = sum_run_pairs(v, n, ~UINT64_C(0));
  free(v);
  double total = pairs((double)n);
  double expected = total > 0 ? sum_a * sum_b / total : 0;
  double max_index = (sum_a + sum_b) / 2;
  /* identical trivial partitions (one cluster each, or all singletons): scikit-learn's
   * special case, 1.0 */
  if (max_index == expected) {
    *ari_out = 1.0;
    return SEGKIT_OK;
  }
  *ari_out = (index - expected) / (max_index - expected);
  return SEGKIT_OK;
}
