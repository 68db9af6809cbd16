/* Collapsing customers into distinct (frequency, recency, T) triples (purchases.c) and the
 * two sorting paths of the summary (summary.c).
 *
 * Expected values:
 *   - a hand-made set of rows whose distinct triples and summed weights are counted by
 *     hand (duplicates, -0.0 against 0.0, weight-0 rows, an unsorted input);
 *   - on 200 000 random rows from small grids (many duplicates), an independent
 *     sort-and-merge written here (qsort of whole rows, then one merging pass);
 *   - the summary's radix path (int64 customers in a small range) against its
 *     grouping-and-sort path, forced by spreading the same customers over a range too wide
 *     to pack into 64 bits while keeping their order: every output column must be
 *     identical. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clv/purchases_int.h"
#include "segkit/clv.h"
#include "segkit/table.h"

static void collapse_hand_made(void **state) {
  (void)state;
  /* rows: (2, 5, 9) x2 with weights 1 and 2.5; (0, 0, 9) and (0, -0.0, 9) are one triple;
   * (1, 3, 9) has weight 0 and disappears; (0, 0, 4) once; (2, 5, 8) once. */
  const double x[7] = {2, 0, 1, 2, 0, 0, 2};
  const double tx[7] = {5, 0, 3, 5, -0.0, 0, 5};
  const double T[7] = {9, 9, 9, 9, 9, 4, 8};
  const double w[7] = {1, 1, 0, 2.5, 3, 1, 1};
  sk__clv_triples t;
  assert_int_equal(sk__clv_collapse(x, tx, T, w, 7, &t, NULL), SEGKIT_OK);
  assert_int_equal(t.n, 4);
  /* ascending (x, tx, T) */
  const double want[4][4] = {{0, 0, 4, 1}, {0, 0, 9, 4}, {2, 5, 8, 1}, {2, 5, 9, 3.5}};
  for (size_t i = 0; i < 4; i++) {
    assert_true(t.x[i] == want[i][0] && t.tx[i] == want[i][1] && t.T[i] == want[i][2] &&
                t.w[i] == want[i][3]);
    assert_false(signbit(t.tx[i]));
  }
  assert_true(t.total_w == 9.5);
  assert_true(t.max_T == 9.0);
  sk__clv_triples_free(&t);
}

static void collapse_errors_and_empty(void **state) {
  (void)state;
  const double x[3] = {1, 2, 0}, tx[3] = {1, 3, 0}, T[3] = {4, 2, 5}, w0[3] = {0, 0, 0};
  segkit_error err;
  sk__clv_triples t;
  /* row 1: recency 3 > T 2 */
  assert_int_equal(sk__clv_collapse(x, tx, T, NULL, 3, &t, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "row 1"));
  const double T_ok[3] = {4, 5, 5};
  assert_int_equal(sk__clv_collapse(x, tx, T_ok, w0, 3, &t, &err), SEGKIT_ERR_LIMIT);
}

typedef struct trow {
  double x, tx, T, w;
} trow;

static int trow_cmp(const void *pa, const void *pb) {
  const trow *a = pa, *b = pb;
  if (a->x != b->x) {
    return a->x < b->x ? -1 : 1;
  }
  if (a->tx != b->tx) {
    return a->tx < b->tx ? -1 : 1;
  }
  return (a->T > b->T) - (a->T < b->T);
}

static void collapse_matches_sort_merge(void **state) {
  (void)state;
  enum { N = 200000 };
  double *x = malloc(N * sizeof *x), *tx = malloc(N * sizeof *tx), *T = malloc(N * sizeof *T);
  double *w = malloc(N * sizeof *w);
  trow *rows = malloc(N * sizeof *rows);
  assert_true(x && tx && T && w && rows);
  uint64_t s = 12345;
  for (size_t i = 0; i < N; i++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    uint32_t u = (uint32_t)(s >> 33);
    T[i] = 20.0 + (double)(u % 40) / 7.0;
    x[i] = (double)((u >> 8) % 6);
    tx[i] = x[i] == 0 ? 0.0 : fmin(T[i], (double)((u >> 12) % 30) / 7.0);
    w[i] = (double)((u >> 20) % 3); /* some weights 0 */
    rows[i] = (trow){x[i], tx[i], T[i], w[i]};
  }
  qsort(rows, N, sizeof *rows, trow_cmp);
  size_t m = 0;
  for (size_t i = 0; i < N; i++) {
    if (rows[i].w == 0.0) {
      continue;
    }
    if (m > 0 && trow_cmp(&rows[m - 1], &rows[i]) == 0) {
      rows[m - 1].w += rows[i].w;
    } else {
      rows[m++] = rows[i];
    }
  }
  sk__clv_triples t;
  assert_int_equal(sk__clv_collapse(x, tx, T, w, N, &t, NULL), SEGKIT_OK);
  assert_int_equal(t.n, m);
  for (size_t i = 0; i < m; i++) {
    assert_true(t.x[i] == rows[i].x && t.tx[i] == rows[i].tx && t.T[i] == rows[i].T);
    assert_true(t.w[i] == rows[i].w); /* small integers: sums exact in any order */
  }
  sk__clv_triples_free(&t);
  free(x);
  free(tx);
  free(T);
  free(w);
  free(rows);
}

/* ---- summary: radix path against grouping path ---------------------------------------- */

static segkit_table *log_table(size_t n, const int64_t *ids, const int32_t *days,
                               const double *amounts) {
  segkit_column_arrays cols[3] = {
      {.name = "customer", .type = SEGKIT_TYPE_INT64, .data = ids},
      {.name = "day", .type = SEGKIT_TYPE_DATE, .data = days},
      {.name = "amount", .type = SEGKIT_TYPE_FLOAT64, .data = amounts},
  };
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_from_arrays(n, 3, cols, &t, NULL), SEGKIT_OK);
  return t;
}

static segkit_table *summarise(const segkit_table *t, size_t *skipped) {
  segkit_clv_summary_options o;
  segkit_clv_summary_options_init(&o);
  o.customer = "customer";
  o.date = "day";
  o.amount = "amount";
  o.calibration_end = 20300;
  o.observation_end = 20400;
  o.days_per_unit = 7.0;
  segkit_table *out = NULL;
  assert_int_equal(segkit_clv_summarise(t, &o, &out, skipped, NULL), SEGKIT_OK);
  return out;
}

static void summary_paths_agree(void **state) {
  (void)state;
  enum { N = 30000 };
  int64_t *near = malloc(N * sizeof *near), *wide = malloc(N * sizeof *wide);
  int32_t *days = malloc(N * sizeof *days);
  double *amounts = malloc(N * sizeof *amounts);
  assert_true(near && wide && days && amounts);
  uint64_t s = 99;
  for (size_t i = 0; i < N; i++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    uint32_t u = (uint32_t)(s >> 33);
    near[i] = 1000 + (int64_t)(u % 3000);
    /* same order, range ~2^52: customer bits + day bits + row bits > 64 */
    wide[i] = (near[i] - 1000) * ((int64_t)1 << 40) - ((int64_t)1 << 61);
    days[i] = 20000 + (int32_t)((u >> 12) % 420); /* some after observation_end */
    amounts[i] = (double)((u >> 3) % 1000) / 10.0;
  }
  segkit_table *a = log_table(N, near, days, amounts);
  segkit_table *b = log_table(N, wide, days, amounts);
  size_t skipped_a = 0, skipped_b = 0;
  segkit_table *sa = summarise(a, &skipped_a);
  segkit_table *sb = summarise(b, &skipped_b);
  assert_int_equal(skipped_a, skipped_b);
  assert_true(skipped_a > 0);
  size_t n = segkit_table_n_rows(sa);
  assert_int_equal(n, segkit_table_n_rows(sb));
  assert_true(n > 2000);
  const int64_t *ka = segkit_column_int64(segkit_table_column(sa, 0));
  const int64_t *kb = segkit_column_int64(segkit_table_column(sb, 0));
  const int64_t *fa = segkit_column_int64(segkit_table_column(sa, 1));
  const int64_t *fb = segkit_column_int64(segkit_table_column(sb, 1));
  for (size_t i = 0; i < n; i++) {
    assert_true(kb[i] == (ka[i] - 1000) * ((int64_t)1 << 40) - ((int64_t)1 << 61));
    assert_true(fa[i] == fb[i]);
  }
  for (size_t c = 2; c < segkit_table_n_cols(sa); c++) {
    const double *va = segkit_column_float64(segkit_table_column(sa, c));
    const double *vb = segkit_column_float64(segkit_table_column(sb, c));
    assert_non_null(va);
    assert_memory_equal(va, vb, n * sizeof *va);
  }
  segkit_table_free(sa);
  segkit_table_free(sb);
  segkit_table_free(a);
  segkit_table_free(b);
  free(near);
  free(wide);
  free(days);
  free(amounts);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(collapse_hand_made),
      cmocka_unit_test(collapse_errors_and_empty),
      cmocka_unit_test(collapse_matches_sort_merge),
      cmocka_unit_test(summary_paths_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
