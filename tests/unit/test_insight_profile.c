/* Segment profiles: a case worked by hand (two segments of ten, 8 and 2 "yes"), equal
 * weights changing nothing, Kish effective bases with unequal weights, the ranking and the
 * errors. R's prop.test / p.adjust on generated data: tests/cli/test_cli_survey.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "segkit/insight.h"

static void close_to(double got, double want, double tol) {
  if (!(fabs(got - want) <= tol)) {
    fail_msg("got %.15g, want %.15g", got, want);
  }
}

/* 20 respondents: 0..9 in segment 0 (8 answer yes = level 1), 10..19 in segment 1 (2 yes). */
static void fill(int32_t *seg, int32_t *ans) {
  for (int i = 0; i < 20; i++) {
    seg[i] = i < 10 ? 0 : 1;
    ans[i] = i < 10 ? (i < 8 ? 1 : 0) : (i < 12 ? 1 : 0);
  }
}

static void hand_worked(void **state) {
  (void)state;
  int32_t seg[20], ans[20];
  fill(seg, ans);
  segkit_profile_question q = {.name = "yes", .codes = ans, .n_levels = 2};
  segkit_profile_input in = {.n = 20, .segment = seg, .n_segments = 2, .questions = &q,
                             .n_questions = 1};
  segkit_profile *p = NULL;
  segkit_error err;
  assert_int_equal(segkit_profile_new(&in, NULL, &p, &err), SEGKIT_OK);
  assert_int_equal(segkit_profile_n_cells(p), 4);
  assert_int_equal(segkit_profile_n_tests(p), 4);
  /* cell order: question, level, segment -> cell 2 is (level 1 = yes, segment 0) */
  const segkit_profile_cell *c = segkit_profile_cell_at(p, 2);
  assert_int_equal(c->segment, 0);
  assert_int_equal(c->level, 1);
  close_to(c->segment_pct, 80, 1e-12);
  close_to(c->total_pct, 50, 1e-12);
  close_to(c->rest_pct, 20, 1e-12);
  close_to(c->index, 160, 1e-12);
  /* z = (0.8 - 0.2) / sqrt(0.5 * 0.5 * (1/10 + 1/10)) = 2.683281573 */
  double z = 0.6 / sqrt(0.25 * 0.2);
  close_to(c->z, z, 1e-12);
  close_to(c->p, erfc(z / sqrt(2.0)), 1e-15);
  /* four equal p-values: BH leaves them as they are (m p / rank at the largest rank) */
  close_to(c->p_adjusted, c->p, 1e-15);
  assert_true(c->significant);
  assert_true(c->small_base);   /* 10 < 30 */
  close_to(segkit_profile_cell_at(p, 3)->z, -z, 1e-12);
  close_to(segkit_profile_segment_share(p, 0), 0.5, 1e-15);
  size_t top[4];
  assert_int_equal(segkit_profile_top(p, 0, 4, top), 2);
  assert_int_equal(top[0], 0); /* equal |z|: question then level order */
  assert_int_equal(top[1], 2);
  segkit_profile_free(p);

  /* weights all 2: the same shares, effective bases and tests */
  double w[20];
  for (int i = 0; i < 20; i++) {
    w[i] = 2;
  }
  in.weights = w;
  assert_int_equal(segkit_profile_new(&in, NULL, &p, &err), SEGKIT_OK);
  close_to(segkit_profile_cell_at(p, 2)->z, z, 1e-12);
  close_to(segkit_profile_cell_at(p, 2)->segment_base, 20, 1e-12);
  segkit_profile_free(p);

  /* unequal weights in segment 0 (1 and 3 alternating): its effective base is
   * (sum w)^2 / sum w^2 = 20^2 / 50 = 8; its weighted yes share
   * (1+3+1+3+1+3+1+3) / 20 = 16/20 = 0.8; the rest unchanged at 0.2 on 10 */
  for (int i = 0; i < 20; i++) {
    w[i] = i < 10 ? (i % 2 == 0 ? 1 : 3) : 1;
  }
  assert_int_equal(segkit_profile_new(&in, NULL, &p, &err), SEGKIT_OK);
  double pooled = (0.8 * 8 + 0.2 * 10) / 18;
  double zw = 0.6 / sqrt(pooled * (1 - pooled) * (1.0 / 8 + 1.0 / 10));
  close_to(segkit_profile_cell_at(p, 2)->segment_pct, 80, 1e-12);
  close_to(segkit_profile_cell_at(p, 2)->z, zw, 1e-12);
  segkit_profile_free(p);
}

static void bh_orders_and_caps(void **state) {
  (void)state;
  /* three segments, one answer level dominant in segment 0 only */
  int32_t seg[90], ans[90];
  for (int i = 0; i < 90; i++) {
    seg[i] = i / 30;
    ans[i] = seg[i] == 0 ? (i % 30 < 25 ? 1 : 0) : (i % 30 < 12 ? 1 : 0);
  }
  segkit_profile_question q = {.name = "q", .codes = ans, .n_levels = 2};
  segkit_profile_input in = {.n = 90, .segment = seg, .n_segments = 3, .questions = &q,
                             .n_questions = 1};
  segkit_profile *p = NULL;
  segkit_error err;
  assert_int_equal(segkit_profile_new(&in, NULL, &p, &err), SEGKIT_OK);
  /* BH by hand over the 6 p-values */
  double ps[6], want[6];
  for (size_t i = 0; i < 6; i++) {
    ps[i] = segkit_profile_cell_at(p, i)->p;
  }
  for (size_t i = 0; i < 6; i++) {
    double best = 1;
    for (size_t j = 0; j < 6; j++) {
      size_t rank = 1; /* rank of p_j among the six (ties: counted as the larger rank) */
      for (size_t k = 0; k < 6; k++) {
        rank += k != j && ps[k] <= ps[j];
      }
      if (ps[j] >= ps[i] && ps[j] * 6 / (double)rank < best) {
        best = ps[j] * 6 / (double)rank;
      }
    }
    want[i] = best;
  }
  for (size_t i = 0; i < 6; i++) {
    close_to(segkit_profile_cell_at(p, i)->p_adjusted, want[i], 1e-15);
    assert_true(segkit_profile_cell_at(p, i)->p_adjusted <= 1);
  }
  segkit_profile_free(p);
}

static void bad_input(void **state) {
  (void)state;
  int32_t seg[3] = {0, 1, 2}, ans[3] = {0, 1, 0};
  segkit_profile_question q = {.name = "q", .codes = ans, .n_levels = 2};
  segkit_profile_input in = {.n = 3, .segment = seg, .n_segments = 2, .questions = &q,
                             .n_questions = 1};
  segkit_profile *p = NULL;
  segkit_error err;
  assert_int_equal(segkit_profile_new(&in, NULL, &p, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "respondent 2"));
  seg[2] = -1;  /* in no segment: allowed */
  ans[1] = 5;
  assert_int_equal(segkit_profile_new(&in, NULL, &p, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "q");
  ans[1] = 1;
  double w[3] = {1, NAN, 1};
  in.weights = w;
  assert_int_equal(segkit_profile_new(&in, NULL, &p, &err), SEGKIT_ERR_USAGE);
  in.weights = NULL;
  in.n_questions = 0;
  assert_int_equal(segkit_profile_new(&in, NULL, &p, &err), SEGKIT_ERR_USAGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hand_worked),
      cmocka_unit_test(bh_orders_and_caps),
      cmocka_unit_test(bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
