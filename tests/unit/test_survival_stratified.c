/* Comparing groups at equal strata, against R (tests/data/survival/cox_lung_sex_R.txt,
 * written by make_reference.R with the survival package): on lung rows with a ph.ecog,
 * sex 2 against sex 1 within ph.ecog strata, the stratified log-rank test
 * (survdiff(~ sex + strata(ph.ecog))) and Cox models of sex with and without
 * strata(ph.ecog) (coxph, Efron ties), to 1e-6; and a tiny case worked out by hand. */
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

static sv_rows *read_ref(void) {
  sv_rows *rows = malloc(sizeof *rows);
  assert_non_null(rows);
  assert_true(sv_rows_read(SEGKIT_TEST_DATA "/survival/cox_lung_sex_R.txt", " ", rows));
  return rows;
}

static void free_ref(sv_rows *rows) {
  free(rows->text);
  free(rows);
}

static double ref_value(sv_rows *ref, const char *key, size_t i) {
  for (size_t r = 0; r < ref->n_rows; r++) {
    if (strcmp(ref->cell[r][0], key) == 0) {
      assert_true(i + 1 < ref->n_cols[r]);
      return strtod(ref->cell[r][1 + i], NULL);
    }
  }
  fail_msg("no line '%s' in cox_lung_sex_R.txt", key);
  return NAN;
}

typedef struct lung_input {
  segkit_table *t;
  segkit_surv_data *d;
  uint32_t *stratum;
  segkit_surv_input in;
} lung_input;

/* lung rows with a ph.ecog, grouped by sex; strata = ph.ecog 0..3. */
static void load(lung_input *li) {
  li->t = sv_load_lung();
  assert_non_null(li->t);
  static const char *const by[] = {"sex", "ph.ecog"};
  segkit_surv_columns cols = {.time = "time", .event = "status", .event_value = 2,
                              .by = by, .n_by = 2};
  assert_int_equal(segkit_surv_data_from_table(li->t, &cols, &li->d, NULL), SEGKIT_OK);
  segkit_surv_input in = segkit_surv_data_input(li->d);
  /* the data groups are (sex, ecog) pairs; split them back into sex and the stratum */
  li->stratum = malloc(in.n * sizeof *li->stratum);
  uint32_t *sex = malloc(in.n * sizeof *sex);
  assert_non_null(li->stratum);
  assert_non_null(sex);
  for (size_t i = 0; i < in.n; i++) {
    uint32_t g = in.group[i];
    sex[i] = strcmp(segkit_surv_data_group_value(li->d, g, 0), "2") == 0;
    li->stratum[i] = (uint32_t)atoi(segkit_surv_data_group_value(li->d, g, 1));
  }
  li->in = in;
  li->in.group = sex;
  li->in.n_groups = 2;
}

static void unload(lung_input *li) {
  free((void *)li->in.group);
  free(li->stratum);
  segkit_surv_data_free(li->d);
  segkit_table_free(li->t);
}

static void stratified_logrank_matches_r(void **state) {
  (void)state;
  sv_rows *ref = read_ref();
  lung_input li;
  load(&li);
  segkit_logrank *lr = NULL;
  assert_int_equal(segkit_logrank_stratified(&li.in, li.stratum, 4, &lr, NULL), SEGKIT_OK);
  /* R's observed/expected are per (sex, stratum): sum each sex over the strata */
  double o[2] = {0, 0};
  double e[2] = {0, 0};
  for (size_t s = 0; s < 4; s++) {
    for (size_t g = 0; g < 2; g++) {
      o[g] += ref_value(ref, "strat_observed", s * 2 + g);
      e[g] += ref_value(ref, "strat_expected", s * 2 + g);
    }
  }
  for (size_t g = 0; g < 2; g++) {
    assert_true(sv_close(lr->observed[g], o[g]));
    assert_true(sv_close(lr->expected[g], e[g]));
  }
  assert_true(sv_close(lr->chi2, ref_value(ref, "strat_chisq", 0)));
  assert_int_equal(lr->df, 1);
  segkit_logrank_free(lr);
  /* without strata it is the plain test of sex on these rows (R: 10.3 on all 228 rows;
   * here the unstratified statistic must differ from the stratified one) */
  assert_int_equal(segkit_logrank_stratified(&li.in, NULL, 0, &lr, NULL), SEGKIT_OK);
  assert_false(sv_close(lr->chi2, ref_value(ref, "strat_chisq", 0)));
  segkit_logrank_free(lr);
  unload(&li);
  free_ref(ref);
}

static void cox_matches_r(void **state) {
  (void)state;
  sv_rows *ref = read_ref();
  lung_input li;
  load(&li);
  segkit_cox c;
  assert_int_equal(segkit_cox_two_groups(&li.in, NULL, 0, 0.95, &c, NULL), SEGKIT_OK);
  assert_true(sv_close(c.beta, ref_value(ref, "cox_beta", 0)));
  assert_true(sv_close(c.se, ref_value(ref, "cox_se", 0)));
  assert_true(sv_close(c.loglik_null, ref_value(ref, "cox_loglik", 0)));
  assert_true(sv_close(c.loglik, ref_value(ref, "cox_loglik", 1)));
  assert_false(c.infinite);
  assert_int_equal(c.n, 227);
  assert_int_equal(segkit_cox_two_groups(&li.in, li.stratum, 4, 0.95, &c, NULL), SEGKIT_OK);
  assert_true(sv_close(c.beta, ref_value(ref, "cox_strata_beta", 0)));
  assert_true(sv_close(c.se, ref_value(ref, "cox_strata_se", 0)));
  assert_true(sv_close(c.loglik_null, ref_value(ref, "cox_strata_loglik", 0)));
  assert_true(sv_close(c.loglik, ref_value(ref, "cox_strata_loglik", 1)));
  assert_true(sv_close(c.hr_low, ref_value(ref, "cox_strata_ci", 0)));
  assert_true(sv_close(c.hr_high, ref_value(ref, "cox_strata_ci", 1)));
  assert_true(sv_close(c.hazard_ratio, exp(ref_value(ref, "cox_strata_beta", 0))));
  assert_true(c.p_value > 0.0 && c.p_value < 0.01);
  unload(&li);
  free_ref(ref);
}

/* By hand: times 1, 2, 3 with group 0, 1, 0, all events, one stratum. At beta the risk
 * sets are {0,1,0} (n0 2, n1 1), {1,0} (n0 1, n1 1), {0}: the score is
 *   U = 1 - r / (2 + r) - r / (1 + r), zero at r = exp(beta) with r^2 = 2, r = sqrt 2.
 * The information there is r(2)/(2+r)^2 + r/(1+r)^2. A group without events (group 1
 * censored) drives beta to -inf: flagged. */
static void cox_by_hand(void **state) {
  (void)state;
  const double t[] = {1, 2, 3};
  const uint8_t ev[] = {1, 1, 1};
  const uint32_t g[] = {0, 1, 0};
  segkit_surv_input in = {.n = 3, .time_f64 = t, .event = ev, .group = g, .n_groups = 2};
  segkit_cox c;
  assert_int_equal(segkit_cox_two_groups(&in, NULL, 0, 0.95, &c, NULL), SEGKIT_OK);
  double r = sqrt(2.0);
  assert_true(fabs(c.hazard_ratio - r) < 1e-9);
  double info = 2.0 * r / ((2.0 + r) * (2.0 + r)) + r / ((1.0 + r) * (1.0 + r));
  assert_true(fabs(c.se - 1.0 / sqrt(info)) < 1e-9);
  assert_true(fabs(c.loglik_null - (-log(3.0) - log(2.0))) < 1e-12);
  const uint8_t ev2[] = {1, 0, 1};
  in.event = ev2;
  assert_int_equal(segkit_cox_two_groups(&in, NULL, 0, 0.95, &c, NULL), SEGKIT_OK);
  assert_true(c.infinite);
  assert_true(isnan(c.hr_low));
  /* errors */
  in.n_groups = 3;
  segkit_error err;
  assert_int_equal(segkit_cox_two_groups(&in, NULL, 0, 0.95, &c, &err), SEGKIT_ERR_USAGE);
  in.n_groups = 2;
  const uint32_t bad_stratum[] = {0, 5, 0};
  assert_int_equal(segkit_cox_two_groups(&in, bad_stratum, 2, 0.95, &c, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "stratum 5 out of range"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(stratified_logrank_matches_r),
      cmocka_unit_test(cox_matches_r),
      cmocka_unit_test(cox_by_hand),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
