/* Internals of the sample generator: the xoshiro256** generator against the reference
 * implementation's output (computed with an independent Python transcription of Blackman &
 * Vigna's xoshiro256starstar.c), reproducibility and independence of seeded streams, the
 * moments of the distributions the simulation draws from, and billing-date arithmetic
 * against Python's datetime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "sample/sample_int.h"

static void sample_rng_xoshiro_reference_outputs(void **state) {
  (void)state;
  sk__rng r = {{1, 2, 3, 4}};
  assert_true(sk__rng_next(&r) == UINT64_C(11520));
  assert_true(sk__rng_next(&r) == UINT64_C(0));
  assert_true(sk__rng_next(&r) == UINT64_C(1509978240));
  assert_true(sk__rng_next(&r) == UINT64_C(1215971899390074240));
}

static void sample_rng_streams_reproducible_and_distinct(void **state) {
  (void)state;
  sk__rng a;
  sk__rng b;
  sk__rng_init(&a, 42, SK__STREAM_CUSTOMER, 123456);
  sk__rng_init(&b, 42, SK__STREAM_CUSTOMER, 123456);
  for (int i = 0; i < 100; i++) {
    assert_true(sk__rng_next(&a) == sk__rng_next(&b));
  }
  /* Changing any one of seed, stream or index gives another stream. */
  sk__rng base;
  sk__rng_init(&base, 42, SK__STREAM_CUSTOMER, 7);
  uint64_t first = sk__rng_next(&base);
  const uint64_t variants[][3] = {{43, SK__STREAM_CUSTOMER, 7},
                                  {42, SK__STREAM_EVENTS, 7},
                                  {42, SK__STREAM_CUSTOMER, 8},
                                  {0, 0, 0}};
  for (size_t i = 0; i < 4; i++) {
    sk__rng v;
    sk__rng_init(&v, variants[i][0], variants[i][1], variants[i][2]);
    assert_true(sk__rng_next(&v) != first);
  }
  /* Neighbouring indices are not correlated: first uniforms of 10000 consecutive
   * customers average 0.5 (standard error 0.0029). */
  double sum = 0.0;
  for (uint64_t i = 0; i < 10000; i++) {
    sk__rng v;
    sk__rng_init(&v, 1, SK__STREAM_CUSTOMER, i);
    sum += sk__rng_uniform(&v);
  }
  assert_true(fabs(sum / 10000 - 0.5) < 0.015);
}

#define N_DRAWS 200000

static void sample_rng_distribution_moments(void **state) {
  (void)state;
  sk__rng r;
  sk__rng_init(&r, 99, 1, 0);
  /* Tolerances are about 5 standard errors of the estimate over N_DRAWS draws. */
  double sum = 0.0;
  int counts[7] = {0};
  for (int i = 0; i < N_DRAWS; i++) {
    double u = sk__rng_uniform(&r);
    assert_true(u >= 0.0 && u < 1.0);
    sum += u;
    uint32_t k = sk__rng_below(&r, 7);
    assert_true(k < 7);
    counts[k]++;
  }
  assert_true(fabs(sum / N_DRAWS - 0.5) < 0.0035);
  for (int k = 0; k < 7; k++) {
    assert_true(fabs((double)counts[k] / N_DRAWS - 1.0 / 7.0) < 0.004);
  }

  const double means[] = {0.3, 2.5, 12.0, 50.0};
  for (size_t m = 0; m < 4; m++) {
    double s1 = 0.0;
    double s2 = 0.0;
    for (int i = 0; i < N_DRAWS; i++) {
      int k = sk__rng_poisson(&r, means[m]);
      assert_true(k >= 0);
      s1 += k;
      s2 += (double)k * k;
    }
    double mean = s1 / N_DRAWS;
    double var = s2 / N_DRAWS - mean * mean;
    double se = sqrt(means[m] / N_DRAWS);
    assert_true(fabs(mean - means[m]) < 5 * se);
    assert_true(fabs(var / means[m] - 1.0) < 0.03); /* Poisson: variance = mean */
  }
  assert_int_equal(sk__rng_poisson(&r, 0.0), 0);

  double s1 = 0.0;
  double s2 = 0.0;
  for (int i = 0; i < N_DRAWS; i++) {
    double z = sk__rng_normal(&r);
    s1 += z;
    s2 += z * z;
  }
  assert_true(fabs(s1 / N_DRAWS) < 0.012);
  assert_true(fabs(s2 / N_DRAWS - 1.0) < 0.016);

  const double w[3] = {1.0, 3.0, 0.0};
  int picked[3] = {0};
  for (int i = 0; i < N_DRAWS; i++) {
    picked[sk__rng_choose(&r, w, 3)]++;
  }
  assert_int_equal(picked[2], 0);
  assert_true(fabs((double)picked[1] / N_DRAWS - 0.75) < 0.005);
}

static void sample_add_months_clamps_to_month_end(void **state) {
  (void)state;
  /* Expected days from Python: (date(...) - date(1970, 1, 1)).days */
  assert_int_equal(sk__add_months(19753, 1), 19782);   /* 2024-01-31 -> 2024-02-29 */
  assert_int_equal(sk__add_months(19753, 13), 20147);  /* 2024-01-31 -> 2025-02-28 */
  assert_int_equal(sk__add_months(19447, -1), 19416);  /* 2023-03-31 -> 2023-02-28 */
  assert_int_equal(sk__add_months(19372, -1), 19341);  /* 2023-01-15 -> 2022-12-15 */
  assert_int_equal(sk__add_months(18321, 12), 18686);  /* 2020-02-29 -> 2021-02-28 */
  assert_int_equal(sk__add_months(19753, 0), 19753);
  assert_int_equal(sk__days_from_civil(2026, 6, 30), 20634);
  int64_t y;
  unsigned m;
  unsigned d;
  sk__civil_from_days(19539, &y, &m, &d);
  assert_true(y == 2023 && m == 7 && d == 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sample_rng_xoshiro_reference_outputs),
      cmocka_unit_test(sample_rng_streams_reproducible_and_distinct),
      cmocka_unit_test(sample_rng_distribution_moments),
      cmocka_unit_test(sample_add_months_clamps_to_month_end),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
