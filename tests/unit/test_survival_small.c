/* Survival on small inputs worked out by hand: Kaplan-Meier with ties and censoring,
 * the median rules at S = 0.5, a two-group log-rank, Wilson intervals (by hand and
 * against scipy, tests/data/survival/wilson_reference.csv), and the errors of
 * segkit_surv_data_from_table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survival.h"
#include "survival_testkit.h"

#define Z95 1.959963984540054 /* qnorm(0.975) */

static segkit_km *fit(const segkit_surv_input *in) {
  segkit_km *km = NULL;
  segkit_error err;
  segkit_status s = segkit_km_fit(in, 0.0, &km, &err);
  if (s != SEGKIT_OK) {
    fail_msg("segkit_km_fit: %s", err.message);
  }
  return km;
}

/* Six subjects, times 1 2 2 3 3 4, events 1 0 1 1 0 1 (0 = censored). By hand:
 *  t  n  d  c  S                  sum d/(n(n-d))          se_log  std_err = S se_log
 *  1  6  1  0  5/6                1/30                    0.18257 0.15215
 *  2  5  1  1  5/6 4/5 = 2/3      1/30 + 1/20 = 1/12      0.28868 0.19245
 *  3  3  1  1  2/3 2/3 = 4/9      1/12 + 1/6 = 1/4        0.5     2/9
 *  4  1  1  0  0                  +inf (n = d)            inf     NaN
 * Band at t = 3: 4/9 exp(-+1.95996 * 0.5) = 0.166808, 1.18418 -> capped at 1.
 * Median: first S < 0.5 is at t = 3. (R's survfit prints the same table.) */
static void survival_km_hand_example_with_ties(void **state) {
  (void)state;
  const int64_t t[6] = {1, 2, 2, 3, 3, 4};
  const uint8_t e[6] = {1, 0, 1, 1, 0, 1};
  segkit_surv_input in = {.n = 6, .time_i64 = t, .event = e};
  segkit_km *km = fit(&in);
  const segkit_km_curve *c = segkit_km_group(km, 0);
  assert_int_equal(c->n_points, 4);
  assert_int_equal(c->n_subjects, 6);
  assert_int_equal(c->n_events, 4);
  const double time[4] = {1, 2, 3, 4};
  const size_t n_risk[4] = {6, 5, 3, 1};
  const size_t n_event[4] = {1, 1, 1, 1};
  const size_t n_censor[4] = {0, 1, 1, 0};
  const double surv[4] = {5.0 / 6, 2.0 / 3, 4.0 / 9, 0};
  const double var_log[3] = {1.0 / 30, 1.0 / 12, 1.0 / 4};
  for (size_t j = 0; j < 4; j++) {
    assert_true(c->time[j] == time[j]);
    assert_int_equal(c->n_risk[j], n_risk[j]);
    assert_int_equal(c->n_event[j], n_event[j]);
    assert_int_equal(c->n_censor[j], n_censor[j]);
    assert_true(sv_close(c->surv[j], surv[j]));
  }
  for (size_t j = 0; j < 3; j++) {
    double se = sqrt(var_log[j]);
    assert_true(sv_close(c->se_log[j], se));
    assert_true(sv_close(c->std_err[j], surv[j] * se));
    assert_true(sv_close(c->lower[j], surv[j] * exp(-Z95 * se)));
    assert_true(sv_close(c->upper[j], fmin(1.0, surv[j] * exp(Z95 * se))));
  }
  assert_true(sv_close(c->std_err[2], 2.0 / 9));
  assert_true(sv_close(c->lower[2], 0.166807903)); /* R: 0.1668079 */
  assert_true(c->upper[2] == 1.0);
  assert_true(isinf(c->se_log[3]));
  assert_true(isnan(c->std_err[3]) && isnan(c->lower[3]) && isnan(c->upper[3]));
  assert_true(c->median == 3.0);
  segkit_km_free(km);
}

/* print.survfit's median when S hits exactly 0.5:
 *  times 1 2 3 4 5 6, events 1 1 1 0 1 0: S = 5/6 4/6 1/2 1/2 1/4 1/4 -> flat at 0.5 on
 *  [3, 5), next drop at 5: median (3 + 5) / 2 = 4 (R prints 4).
 *  times 1 2 3 4, events 1 1 0 0: S = 3/4 1/2 1/2 1/2, never drops again: median 2 (R
 *  prints 2; quantile.survfit would say 3).
 *  times 1 2 3 4, events 1 0 0 0: S = 3/4 throughout, never <= 0.5: NaN (R prints NA). */
static void survival_km_median_rules(void **state) {
  (void)state;
  const int64_t t1[6] = {1, 2, 3, 4, 5, 6};
  const uint8_t e1[6] = {1, 1, 1, 0, 1, 0};
  segkit_surv_input in = {.n = 6, .time_i64 = t1, .event = e1};
  segkit_km *km = fit(&in);
  assert_true(segkit_km_group(km, 0)->median == 4.0);
  segkit_km_free(km);

  const uint8_t e2[4] = {1, 1, 0, 0};
  in = (segkit_surv_input){.n = 4, .time_i64 = t1, .event = e2};
  km = fit(&in);
  assert_true(segkit_km_group(km, 0)->median == 2.0);
  segkit_km_free(km);

  const uint8_t e3[4] = {1, 0, 0, 0};
  km = fit(&(segkit_surv_input){.n = 4, .time_i64 = t1, .event = e3});
  assert_true(isnan(segkit_km_group(km, 0)->median));
  segkit_km_free(km);
}

/* Double durations: unsorted input, -0.0 ties with 0, a group with no subjects. */
static void survival_km_doubles_and_empty_group(void **state) {
  (void)state;
  const double t[5] = {2.5, 0.0, 1.25, -0.0, 2.5};
  const uint8_t e[5] = {1, 1, 0, 0, 7}; /* any non-zero byte is an event */
  const uint32_t g[5] = {0, 0, 0, 0, 0};
  segkit_surv_input in = {.n = 5, .time_f64 = t, .event = e, .group = g, .n_groups = 2};
  segkit_km *km = fit(&in);
  assert_int_equal(segkit_km_n_groups(km), 2);
  const segkit_km_curve *c = segkit_km_group(km, 0);
  assert_int_equal(c->n_points, 3);
  assert_true(c->time[0] == 0.0 && c->time[1] == 1.25 && c->time[2] == 2.5);
  assert_int_equal(c->n_event[0], 1);
  assert_int_equal(c->n_censor[0], 1);
  assert_int_equal(c->n_risk[2], 2);
  assert_int_equal(c->n_event[2], 2);
  assert_true(sv_close(c->surv[0], 0.8));
  assert_true(c->surv[2] == 0.0);
  const segkit_km_curve *empty = segkit_km_group(km, 1);
  assert_int_equal(empty->n_points, 0);
  assert_int_equal(empty->n_subjects, 0);
  assert_true(isnan(empty->median));
  assert_null(segkit_km_group(km, 2));
  segkit_logrank *lr = NULL;
  segkit_error err;
  assert_int_equal(segkit_logrank_test(km, &lr, &err), SEGKIT_ERR_USAGE);
  segkit_km_free(km);
}

/* Random doubles spread over many exponents (so the radix sort runs most byte passes),
 * with ties, against a direct count: for each distinct time t (qsort), n_risk = #{t_i >= t},
 * events and censorings = #{t_i = t} by flag, S = running product. */
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

static void survival_km_random_doubles_match_direct_count(void **state) {
  (void)state;
  enum { N = 3000 };
  static double t[N];
  static double sorted[N];
  static uint8_t e[N];
  uint64_t x = 88172645463325252u;
  for (size_t i = 0; i < N; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    /* every third value repeats an earlier one, to make ties */
    t[i] = (i % 3 == 2) ? t[i / 2] : ldexp((double)(x % 1000) + 1.0, (int)(x >> 40) % 40 - 20);
    e[i] = (uint8_t)((x >> 20) & 1);
  }
  memcpy(sorted, t, sizeof t);
  qsort(sorted, N, sizeof *sorted, cmp_double);
  segkit_km *km = fit(&(segkit_surv_input){.n = N, .time_f64 = t, .event = e});
  const segkit_km_curve *c = segkit_km_group(km, 0);
  size_t j = 0;
  double s = 1.0;
  for (size_t i = 0; i < N; i++) {
    if (i > 0 && sorted[i] == sorted[i - 1]) {
      continue;
    }
    size_t at_risk = 0;
    size_t d = 0;
    size_t cens = 0;
    for (size_t k = 0; k < N; k++) {
      at_risk += t[k] >= sorted[i];
      d += t[k] == sorted[i] && e[k];
      cens += t[k] == sorted[i] && !e[k];
    }
    s *= 1.0 - (double)d / (double)at_risk;
    assert_true(j < c->n_points);
    assert_true(c->time[j] == sorted[i]);
    assert_int_equal(c->n_risk[j], at_risk);
    assert_int_equal(c->n_event[j], d);
    assert_int_equal(c->n_censor[j], cens);
    assert_true(sv_close(c->surv[j], s));
    j++;
  }
  assert_int_equal(j, c->n_points);
  segkit_km_free(km);
}

static void survival_km_rejects_bad_input(void **state) {
  (void)state;
  segkit_km *km = NULL;
  segkit_error err;
  const int64_t ti[2] = {3, -1};
  const double tf[2] = {1.0, NAN};
  const uint8_t e[2] = {1, 1};
  const uint32_t g[2] = {0, 5};
  segkit_surv_input in = {.n = 2, .time_i64 = ti, .event = e};
  assert_int_equal(segkit_km_fit(&in, 0.0, &km, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "time_i64[1] = -1 is negative"));
  in = (segkit_surv_input){.n = 2, .time_f64 = tf, .event = e};
  assert_int_equal(segkit_km_fit(&in, 0.0, &km, &err), SEGKIT_ERR_USAGE);
  in = (segkit_surv_input){.n = 2, .time_f64 = tf, .time_i64 = ti, .event = e};
  assert_int_equal(segkit_km_fit(&in, 0.0, &km, &err), SEGKIT_ERR_USAGE);
  in = (segkit_surv_input){.n = 1, .time_i64 = ti, .event = e, .group = g, .n_groups = 1};
  assert_int_equal(segkit_km_fit(&in, 1.5, &km, &err), SEGKIT_ERR_USAGE);
  in = (segkit_surv_input){.n = 2, .time_i64 = (const int64_t[]){1, 2}, .event = e,
                           .group = g, .n_groups = 2};
  assert_int_equal(segkit_km_fit(&in, 0.0, &km, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "group[1] = 5 is not below n_groups 2"));
  assert_null(km);
}

/* Two groups. A: times 1 (event), 3 (event); B: 2 (event), 4 (censored). By hand:
 *  t=1: n=4 (2 A, 2 B), d=1 in A: E_A += 2/4, E_B += 2/4, V += 1*3/3 * 2/4 * 2/4 = 1/4
 *  t=2: n=3 (1 A, 2 B), d=1 in B: E_A += 1/3, E_B += 2/3, V += 1*2/2 * 1/3 * 2/3 = 2/9
 *  t=3: n=2 (1 A, 1 B), d=1 in A: E_A += 1/2, E_B += 1/2, V += 1*1/1 * 1/2 * 1/2 = 1/4
 *  O = (2, 1), E = (4/3, 5/3), V = 13/18, chi2 = (1 - 5/3)^2 / (13/18) = 8/13,
 *  p = P(chi2_1 > 8/13) = erfc(sqrt(4/13)). */
static void survival_logrank_hand_example(void **state) {
  (void)state;
  const int64_t t[4] = {1, 3, 2, 4};
  const uint8_t e[4] = {1, 1, 1, 0};
  const uint32_t g[4] = {0, 0, 1, 1};
  segkit_surv_input in = {.n = 4, .time_i64 = t, .event = e, .group = g, .n_groups = 2};
  segkit_km *km = fit(&in);
  segkit_logrank *lr = NULL;
  segkit_error err;
  assert_int_equal(segkit_logrank_test(km, &lr, &err), SEGKIT_OK);
  assert_true(lr->observed[0] == 2.0 && lr->observed[1] == 1.0);
  assert_true(sv_close(lr->expected[0], 4.0 / 3));
  assert_true(sv_close(lr->expected[1], 5.0 / 3));
  assert_true(sv_close(lr->chi2, 8.0 / 13));
  assert_int_equal(lr->df, 1);
  assert_true(sv_close(lr->p_value, erfc(sqrt(4.0 / 13))));
  segkit_logrank_free(lr);
  segkit_km_free(km);
}

/* 166 churned of 1473 (the example), 95%: p = 0.1126952, z^2/n = 0.00260792,
 * centre = (p + z^2/2n) / (1 + z^2/n) = 0.1137017,
 * half = z / (1 + z^2/n) sqrt(p(1-p)/n + z^2/4n^2) = 0.0161590 -> [0.097543, 0.129862]. */
static void survival_wilson_hand_and_scipy(void **state) {
  (void)state;
  double lo = 0;
  double hi = 0;
  segkit_error err;
  assert_int_equal(segkit_wilson_interval(166, 1473, 0.0, &lo, &hi, &err), SEGKIT_OK);
  assert_true(fabs(lo - 0.097543) < 1e-6);
  assert_true(fabs(hi - 0.129862) < 1e-6);

  sv_rows *ref = malloc(sizeof *ref);
  assert_non_null(ref);
  assert_true(sv_rows_read(SEGKIT_TEST_DATA "/survival/wilson_reference.csv", ",", ref));
  assert_true(ref->n_rows >= 9);
  for (size_t r = 0; r < ref->n_rows; r++) {
    uint64_t x = strtoull(ref->cell[r][0], NULL, 10);
    uint64_t n = strtoull(ref->cell[r][1], NULL, 10);
    double level = sv_num(ref->cell[r][2]);
    assert_int_equal(segkit_wilson_interval(x, n, level, &lo, &hi, &err), SEGKIT_OK);
    assert_true(fabs(lo - sv_num(ref->cell[r][3])) < 1e-12);
    assert_true(fabs(hi - sv_num(ref->cell[r][4])) < 1e-12);
  }
  free(ref->text);
  free(ref);
  assert_int_equal(segkit_wilson_interval(1, 0, 0.95, &lo, &hi, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_wilson_interval(5, 4, 0.95, &lo, &hi, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_wilson_interval(1, 4, 1.0, &lo, &hi, &err), SEGKIT_ERR_USAGE);
}

/* ---- from a table ----------------------------------------------------------------- */

static segkit_table *small_table(void) {
  /* rows: tenure (int64), months (float64, row 2 null), churned (bool, row 3 null),
   * status (int64), plan (string, row 4 null), seats (int64) */
  const int64_t tenure[6] = {5, 3, 8, 2, 9, 4};
  const double months[6] = {5.5, 3, 0, 2, 9, 4};
  const uint8_t churned[6] = {1, 0, 1, 0, 1, 1};
  const int64_t status[6] = {2, 1, 2, 2, 1, 2};
  const uint32_t plan[6] = {0, 1, 0, 1, 0, 1}; /* "pro", "basic" */
  const int64_t seats[6] = {10, -3, 10, 7, -3, 10};
  const uint64_t all_but_2 = 0x3f & ~(UINT64_C(1) << 2);
  const uint64_t all_but_3 = 0x3f & ~(UINT64_C(1) << 3);
  const uint64_t all_but_4 = 0x3f & ~(UINT64_C(1) << 4);
  const uint64_t offs[3] = {0, 4, 10};
  segkit_column_arrays cols[6] = {
      {.name = "tenure", .type = SEGKIT_TYPE_INT64, .data = tenure},
      {.name = "months", .type = SEGKIT_TYPE_FLOAT64, .data = months, .validity = &all_but_2},
      {.name = "churned", .type = SEGKIT_TYPE_BOOL, .data = churned, .validity = &all_but_3},
      {.name = "status", .type = SEGKIT_TYPE_INT64, .data = status},
      {.name = "plan", .type = SEGKIT_TYPE_STRING, .data = plan, .validity = &all_but_4,
       .dict_size = 2, .dict_offsets = offs, .dict_bytes = "pro\0basic\0"},
      {.name = "seats", .type = SEGKIT_TYPE_INT64, .data = seats},
  };
  segkit_table *t = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_from_arrays(6, 6, cols, &t, &err), SEGKIT_OK);
  return t;
}

static void survival_from_table_groups_and_nulls(void **state) {
  (void)state;
  segkit_table *t = small_table();
  segkit_surv_data *d = NULL;
  segkit_error err;
  /* months null in row 2, churned null in row 3, plan null in row 4. */
  static const char *const by_plan[] = {"plan"};
  segkit_surv_columns cols = {.time = "months", .event = "churned", .by = by_plan, .n_by = 1};
  assert_int_equal(segkit_surv_data_from_table(t, &cols, &d, &err), SEGKIT_OK);
  assert_int_equal(segkit_surv_data_skipped_null(d), 2);
  assert_int_equal(segkit_surv_data_skipped_null_group(d), 1);
  segkit_surv_input in = segkit_surv_data_input(d);
  assert_int_equal(in.n, 3);
  assert_int_equal(in.n_groups, 2);
  /* Groups by byte order: "basic" = 0, "pro" = 1. Kept rows 0 (pro), 1 (basic), 5 (basic). */
  assert_string_equal(segkit_surv_data_group_label(d, 0), "basic");
  assert_string_equal(segkit_surv_data_group_label(d, 1), "pro");
  assert_null(segkit_surv_data_group_label(d, 2));
  assert_non_null(in.time_f64);
  assert_true(in.time_f64[0] == 5.5 && in.group[0] == 1 && in.event[0] == 1);
  assert_true(in.time_f64[1] == 3.0 && in.group[1] == 0 && in.event[1] == 0);
  assert_true(in.time_f64[2] == 4.0 && in.group[2] == 0 && in.event[2] == 1);
  segkit_surv_data_free(d);

  /* int64 event with an event value, int64 groups sorted numerically (-3 before 7, 10). */
  static const char *const by_seats[] = {"seats"};
  cols = (segkit_surv_columns){.time = "tenure", .event = "status", .event_value = 2,
                               .by = by_seats, .n_by = 1};
  assert_int_equal(segkit_surv_data_from_table(t, &cols, &d, &err), SEGKIT_OK);
  in = segkit_surv_data_input(d);
  assert_int_equal(in.n, 6);
  assert_int_equal(in.n_groups, 3);
  assert_string_equal(segkit_surv_data_group_label(d, 0), "-3");
  assert_string_equal(segkit_surv_data_group_label(d, 1), "7");
  assert_string_equal(segkit_surv_data_group_label(d, 2), "10");
  const uint32_t want_group[6] = {2, 0, 2, 1, 0, 2};
  const uint8_t want_event[6] = {1, 0, 1, 1, 0, 1};
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(in.group[i], want_group[i]);
    assert_int_equal(in.event[i], want_event[i]);
    assert_int_equal(in.time_i64[i], ((const int64_t[]){5, 3, 8, 2, 9, 4})[i]);
  }
  segkit_surv_data_free(d);
  segkit_table_free(t);
}

static void survival_from_table_errors_name_the_column(void **state) {
  (void)state;
  segkit_table *t = small_table();
  segkit_surv_data *d = NULL;
  segkit_error err;
  segkit_surv_columns cols = {.time = "plan", .event = "churned"};
  assert_int_equal(segkit_surv_data_from_table(t, &cols, &d, &err), SEGKIT_ERR_TYPE);
  assert_string_equal(err.field, "plan");
  assert_non_null(strstr(err.message, "is string (expected int64 or float64)"));

  cols = (segkit_surv_columns){.time = "tenure", .event = "months"};
  assert_int_equal(segkit_surv_data_from_table(t, &cols, &d, &err), SEGKIT_ERR_TYPE);
  assert_string_equal(err.field, "months");
  assert_non_null(strstr(err.message, "expected bool, or int64"));

  static const char *const by_missing[] = {"plan", "region"};
  cols = (segkit_surv_columns){.time = "tenure", .event = "churned", .by = by_missing, .n_by = 2};
  assert_int_equal(segkit_surv_data_from_table(t, &cols, &d, &err), SEGKIT_ERR_NOT_FOUND);
  assert_string_equal(err.field, "region");

  cols = (segkit_surv_columns){.time = "tenure", .event = "gone"};
  assert_int_equal(segkit_surv_data_from_table(t, &cols, &d, &err), SEGKIT_ERR_NOT_FOUND);
  assert_string_equal(err.field, "gone");

  /* A negative duration names its row and column. */
  cols = (segkit_surv_columns){.time = "seats", .event = "churned"};
  assert_int_equal(segkit_surv_data_from_table(t, &cols, &d, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "seats");
  assert_non_null(strstr(err.message, "table row 2 (1-based): duration -3"));
  assert_null(d);
  segkit_table_free(t);
}

/* A STRING event column with event_string (the shape of public churn snapshots: Churn =
 * "Yes"/"No"). Durations 1, 2, 3 with Yes, No, Yes: at t = 1, 3 at risk, 1 event -> S = 2/3;
 * t = 2 censored; t = 3, 1 at risk, 1 event -> S = 0. A value no row has gives no events. */
static void survival_string_event_column(void **state) {
  (void)state;
  const char *names[] = {"tenure", "churn"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(2, names, types, &b, &err), SEGKIT_OK);
  const char *churn[] = {"Yes", "No", "Yes"};
  for (int i = 0; i < 3; i++) {
    segkit_column_append_int64(segkit_table_builder_column(b, 0), i + 1);
    segkit_column_append_string(segkit_table_builder_column(b, 1), churn[i], strlen(churn[i]));
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  segkit_surv_columns cols = {"tenure", "churn", 0, NULL, 0, "Yes"};
  segkit_surv_data *d = NULL;
  assert_int_equal(segkit_surv_data_from_table(t, &cols, &d, &err), SEGKIT_OK);
  segkit_surv_input in = segkit_surv_data_input(d);
  segkit_km *km = NULL;
  assert_int_equal(segkit_km_fit(&in, 0, &km, &err), SEGKIT_OK);
  const segkit_km_curve *c = segkit_km_group(km, 0);
  assert_int_equal(c->n_events, 2);
  assert_true(fabs(c->surv[0] - 2.0 / 3.0) < 1e-12);
  assert_true(c->surv[2] == 0.0);
  segkit_km_free(km);
  segkit_surv_data_free(d);
  cols.event_string = "Maybe";
  assert_int_equal(segkit_surv_data_from_table(t, &cols, &d, &err), SEGKIT_OK);
  in = segkit_surv_data_input(d);
  assert_int_equal(segkit_km_fit(&in, 0, &km, &err), SEGKIT_OK);
  assert_int_equal(segkit_km_group(km, 0)->n_events, 0);
  segkit_km_free(km);
  segkit_surv_data_free(d);
  cols.event_string = NULL;
  assert_int_equal(segkit_surv_data_from_table(t, &cols, &d, &err), SEGKIT_ERR_TYPE);
  assert_string_equal(err.field, "churn");
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(survival_string_event_column),
      cmocka_unit_test(survival_km_hand_example_with_ties),
      cmocka_unit_test(survival_km_median_rules),
      cmocka_unit_test(survival_km_doubles_and_empty_group),
      cmocka_unit_test(survival_km_random_doubles_match_direct_count),
      cmocka_unit_test(survival_km_rejects_bad_input),
      cmocka_unit_test(survival_logrank_hand_example),
      cmocka_unit_test(survival_wilson_hand_and_scipy),
      cmocka_unit_test(survival_from_table_groups_and_nulls),
      cmocka_unit_test(survival_from_table_errors_name_the_column),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
