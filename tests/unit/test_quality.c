/* Data-quality profile: radix sort against qsort, key maps, and describe on tables whose
 * statistics are worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quality/quality_int.h"
#include "segkit/datetime.h"
#include "segkit/describe.h"
#include "segkit/table.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t next_rand(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a;
  int64_t y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void quality_radix_sorts_doubles_like_qsort(void **state) {
  (void)state;
  enum { N = 100000 };
  double *v = malloc(N * sizeof *v);
  uint64_t *keys = malloc(N * sizeof *keys);
  uint64_t *tmp = malloc(N * sizeof *tmp);
  assert_non_null(v);
  for (size_t i = 0; i < N; i++) {
    uint64_t r = next_rand();
    switch (r % 4) {
    case 0:
      v[i] = (double)(int64_t)(r >> 8) / 1e6 * ((r & 16) ? -1 : 1);
      break;
    case 1:
      v[i] = (double)(r % 100) - 50.0;
      break;
    case 2:
      v[i] = ldexp((double)(r >> 12), -(int)(r % 200));
      break;
    default:
      v[i] = (r & 1) ? -0.0 : 0.0;
    }
    keys[i] = sk__key_from_f64(v[i]);
  }
  sk__radix_sort_u64(keys, tmp, N);
  qsort(v, N, sizeof *v, cmp_double);
  for (size_t i = 0; i < N; i++) {
    double back = sk__f64_from_key(keys[i]);
    assert_true(back == v[i]);
  }
  free(v);
  free(keys);
  free(tmp);
}

static void quality_radix_sorts_int64_like_qsort(void **state) {
  (void)state;
  enum { N = 50000 };
  int64_t *v = malloc(N * sizeof *v);
  uint64_t *keys = malloc(N * sizeof *keys);
  uint64_t *tmp = malloc(N * sizeof *tmp);
  for (size_t i = 0; i < N; i++) {
    uint64_t r = next_rand();
    v[i] = (i % 3 == 0) ? (int64_t)r : (int64_t)(r % 1000) - 500;
    if (i == 7) {
      v[i] = INT64_MIN;
    }
    if (i == 8) {
      v[i] = INT64_MAX;
    }
    keys[i] = sk__key_from_i64(v[i]);
  }
  sk__radix_sort_u64(keys, tmp, N);
  qsort(v, N, sizeof *v, cmp_i64);
  for (size_t i = 0; i < N; i++) {
    assert_true(sk__i64_from_key(keys[i]) == v[i]);
  }
  free(v);
  free(keys);
  free(tmp);
}

/* amount: 4, 1, null, 7, 1, -2  -> m = 5, sorted -2 1 1 4 7
 *   mean = 11/5 = 2.2; stddev = sqrt(((-4.2)^2 + 2*(-1.2)^2 + 1.8^2 + 4.8^2)/4)
 *        = sqrt((17.64 + 2.88 + 3.24 + 23.04)/4) = sqrt(11.7)
 *   q1: h = 4*0.25 = 1 -> 1; median: h = 2 -> 1; q3: h = 3 -> 4; IQR 3
 *   fences (k = 3): 1 - 9 = -8, 4 + 9 = 13 -> no outliers; distinct 4; top 1 (x2)
 *   one negative in a column named amount -> suspicious
 * plan: "pro", "basic", "pro", null, "", "pro" -> distinct 3, top pro x3, empty 1
 * day: 2024-01-01, 1980-05-05, 2999-01-01, ...: 1 before 1990, 1 in the future */
static segkit_table *small_table(void) {
  const char *names[] = {"id", "amount", "plan", "day"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_DATE};
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(4, names, types, &b, &err), SEGKIT_OK);
  segkit_column_builder *id = segkit_table_builder_column(b, 0);
  segkit_column_builder *amount = segkit_table_builder_column(b, 1);
  segkit_column_builder *plan = segkit_table_builder_column(b, 2);
  segkit_column_builder *day = segkit_table_builder_column(b, 3);
  const int64_t ids[] = {1, 2, 3, 3, 5, 3};
  const double amounts[] = {4, 1, NAN, 7, 1, -2};
  const char *plans[] = {"pro", "basic", "pro", NULL, "", "pro"};
  const int32_t days[] = {segkit_days_from_civil(2024, 1, 1), segkit_days_from_civil(1980, 5, 5),
                          segkit_days_from_civil(2999, 1, 1), segkit_days_from_civil(2024, 2, 1),
                          segkit_days_from_civil(2024, 3, 1), segkit_days_from_civil(2024, 4, 1)};
  for (int i = 0; i < 6; i++) {
    segkit_column_append_int64(id, ids[i]);
    if (isnan(amounts[i])) {
      segkit_column_append_null(amount);
    } else {
      segkit_column_append_float64(amount, amounts[i]);
    }
    if (plans[i] == NULL) {
      segkit_column_append_null(plan);
    } else {
      segkit_column_append_string(plan, plans[i], strlen(plans[i]));
    }
    segkit_column_append_date(day, days[i]);
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  return t;
}

static void quality_describe_small_table_by_hand(void **state) {
  (void)state;
  segkit_table *t = small_table();
  segkit_describe_options opt;
  segkit_describe_options_init(&opt);
  opt.key = "id";
  opt.now_us = (int64_t)segkit_days_from_civil(2026, 11, 26) * SEGKIT_US_PER_DAY;
  segkit_table_profile *p = NULL;
  segkit_error err;
  assert_int_equal(segkit_describe(t, &opt, &p, &err), SEGKIT_OK);
  assert_int_equal(p->n_rows, 6);
  const segkit_column_profile *a = &p->columns[1];
  assert_int_equal(a->n_null, 1);
  assert_int_equal(a->n_distinct, 4);
  assert_true(fabs(a->mean - 2.2) < 1e-12);
  assert_true(fabs(a->stddev - sqrt(11.7)) < 1e-12);
  assert_true(a->q1 == 1.0 && a->median == 1.0 && a->q3 == 4.0);
  assert_string_equal(a->min, "-2");
  assert_string_equal(a->max, "7");
  assert_int_equal(a->n_negative, 1);
  assert_true(a->negative_suspicious);
  assert_int_equal(a->n_outliers_low + a->n_outliers_high, 0);
  assert_true(a->fence_low == -8.0 && a->fence_high == 13.0);
  assert_string_equal(a->top[0].value, "1");
  assert_int_equal(a->top[0].count, 2);

  const segkit_column_profile *pl = &p->columns[2];
  assert_int_equal(pl->n_distinct, 3);
  assert_int_equal(pl->n_empty_strings, 1);
  assert_string_equal(pl->top[0].value, "pro");
  assert_int_equal(pl->top[0].count, 3);
  /* basic and "" both once: ties by value, "" sorts first. */
  assert_string_equal(pl->top[1].value, "");
  assert_string_equal(pl->top[2].value, "basic");
  assert_null(pl->min);

  const segkit_column_profile *d = &p->columns[3];
  assert_int_equal(d->n_future, 1);
  assert_int_equal(d->n_before_min_date, 1);
  assert_string_equal(d->min, "1980-05-05");
  assert_string_equal(d->max, "2999-01-01");
  assert_false(d->has_moments);

  assert_int_equal(p->n_duplicate_keys, 1);
  assert_int_equal(p->n_rows_with_duplicate_key, 3);
  assert_string_equal(p->duplicate_examples[0].value, "3");
  assert_int_equal(p->duplicate_examples[0].count, 3);
  segkit_table_profile_free(p);

  opt.key = "nope";
  assert_int_equal(segkit_describe(t, &opt, &p, &err), SEGKIT_ERR_NOT_FOUND);
  assert_string_equal(err.field, "nope");
  segkit_table_free(t);
}

/* Outliers: 1..20 and 1000 -> sorted n = 21: q1 h = 5 -> 6, q3 h = 15 -> 16, IQR 10,
 * fences -24 and 46: 1000 is the only outlier. */
static void quality_describe_outliers(void **state) {
  (void)state;
  const char *names[] = {"x"};
  segkit_type types[] = {SEGKIT_TYPE_INT64};
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(1, names, types, &b, &err), SEGKIT_OK);
  for (int i = 1; i <= 20; i++) {
    segkit_column_append_int64(segkit_table_builder_column(b, 0), i);
  }
  segkit_column_append_int64(segkit_table_builder_column(b, 0), 1000);
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  segkit_table_profile *p = NULL;
  assert_int_equal(segkit_describe(t, NULL, &p, &err), SEGKIT_OK);
  assert_true(p->columns[0].q1 == 6.0 && p->columns[0].q3 == 16.0);
  assert_int_equal(p->columns[0].n_outliers_high, 1);
  assert_int_equal(p->columns[0].n_outliers_low, 0);
  assert_false(p->columns[0].negative_suspicious);
  segkit_table_profile_free(p);
  segkit_table_free(t);
}

/* Positive and skewed, 12 distinct values: 1, 2, 4, ..., 1024 and 2^30. Type 7 (n = 12):
 * q1 h = 2.75 -> 4 + 0.75 * 4 = 7, median h = 5.5 -> 32 + 0.5 * 32 = 48, q3 h = 8.25 ->
 * 256 + 0.25 * 256 = 320; Bowley (320 + 7 - 96) / 313 = 0.738 > 0.25 -> log scale. log2
 * quartiles 2.75 and 8.25, IQR 5.5, times 3 = 16.5: fences 2^-13.75 and 2^24.75, so 2^30 is
 * the one outlier. */
static void quality_describe_log_fences_for_skewed_positive(void **state) {
  (void)state;
  const char *names[] = {"amount"};
  segkit_type types[] = {SEGKIT_TYPE_FLOAT64};
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(1, names, types, &b, &err), SEGKIT_OK);
  for (int i = 0; i <= 10; i++) {
    segkit_column_append_float64(segkit_table_builder_column(b, 0), ldexp(1.0, i));
  }
  segkit_column_append_float64(segkit_table_builder_column(b, 0), ldexp(1.0, 30));
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  segkit_table_profile *p = NULL;
  assert_int_equal(segkit_describe(t, NULL, &p, &err), SEGKIT_OK);
  const segkit_column_profile *c = &p->columns[0];
  assert_true(c->q1 == 7.0 && c->median == 48.0 && c->q3 == 320.0);
  assert_true(c->fences_log_scale);
  assert_true(fabs(c->fence_high - pow(2.0, 24.75)) < 1e-9 * pow(2.0, 24.75));
  assert_true(fabs(c->fence_low - pow(2.0, -13.75)) < 1e-12);
  assert_int_equal(c->n_outliers_high, 1);
  assert_int_equal(c->n_outliers_low, 0);
  segkit_table_profile_free(p);
  segkit_table_free(t);
}

/* Order checks: started_at / ended_at / trial_end are compared; calendar_day and total_at
 * are not end-like names. Rows (start, end, trial_end): (10, 20, 12), (10, 5, null),
 * (null, 3, 1), (7, 7, 6) -> ended_at before started_at once (row 2; equal is fine),
 * trial_end before started_at once (row 4). */
static void quality_describe_end_before_start(void **state) {
  (void)state;
  const char *names[] = {"started_at", "ended_at", "trial_end", "calendar_day", "total_at"};
  segkit_type types[] = {SEGKIT_TYPE_DATE, SEGKIT_TYPE_DATE, SEGKIT_TYPE_DATE, SEGKIT_TYPE_DATE,
                         SEGKIT_TYPE_TIMESTAMP};
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(5, names, types, &b, &err), SEGKIT_OK);
  const int32_t rows[4][3] = {{10, 20, 12}, {10, 5, -1}, {-1, 3, 1}, {7, 7, 6}};
  for (int r = 0; r < 4; r++) {
    for (int c = 0; c < 3; c++) {
      segkit_column_builder *cb = segkit_table_builder_column(b, (size_t)c);
      if (rows[r][c] < 0) {
        segkit_column_append_null(cb);
      } else {
        segkit_column_append_date(cb, rows[r][c]);
      }
    }
    segkit_column_append_date(segkit_table_builder_column(b, 3), 0);
    segkit_column_append_int64(segkit_table_builder_column(b, 4), 0);
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  segkit_table_profile *p = NULL;
  assert_int_equal(segkit_describe(t, NULL, &p, &err), SEGKIT_OK);
  assert_int_equal(p->n_order_checks, 2);
  assert_string_equal(p->order_checks[0].start_column, "started_at");
  assert_string_equal(p->order_checks[0].end_column, "ended_at");
  assert_int_equal(p->order_checks[0].n_compared, 3);
  assert_int_equal(p->order_checks[0].n_end_before_start, 1);
  assert_string_equal(p->order_checks[1].end_column, "trial_end");
  assert_int_equal(p->order_checks[1].n_compared, 2);
  assert_int_equal(p->order_checks[1].n_end_before_start, 1);
  segkit_table_profile_free(p);
  segkit_table_free(t);
}

static void quality_describe_empty_table(void **state) {
  (void)state;
  const char *names[] = {"a", "b"};
  segkit_type types[] = {SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING};
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(2, names, types, &b, &err), SEGKIT_OK);
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  segkit_table_profile *p = NULL;
  assert_int_equal(segkit_describe(t, NULL, &p, &err), SEGKIT_OK);
  assert_int_equal(p->n_rows, 0);
  assert_false(p->columns[0].has_range);
  assert_true(p->columns[0].null_share == 0.0);
  assert_int_equal(p->columns[1].n_distinct, 0);
  segkit_table_profile_free(p);
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(quality_radix_sorts_doubles_like_qsort),
      cmocka_unit_test(quality_radix_sorts_int64_like_qsort),
      cmocka_unit_test(quality_describe_small_table_by_hand),
      cmocka_unit_test(quality_describe_outliers),
      cmocka_unit_test(quality_describe_log_fences_for_skewed_positive),
      cmocka_unit_test(quality_describe_end_before_start),
      cmocka_unit_test(quality_describe_empty_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
