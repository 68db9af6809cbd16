/* Means of a scale by segment and segment shares against R's survey package: svyby(~q1,
 * ~segment, svydesign(ids = ~1, weights = ~w), svymean) and svymean for the means and
 * their linearisation SEs; svyciprop(method = "logit") for the shares' intervals.
 * Reference values: tests/data/survey/survey_R.txt from make_reference.R. Plus small
 * cases by hand and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survey.h"
#include "survey_testkit.h"

static segkit_means *means_ok(const segkit_means_input *in, const segkit_sig_options *o) {
  segkit_means *m = NULL;
  segkit_error err;
  if (segkit_means_new(in, o, &m, &err) != SEGKIT_OK) {
    fail_msg("segkit_means_new: %s", err.message);
  }
  return m;
}

static void survey_means_match_svyby(void **state) {
  (void)state;
  svy_data *d = svy_data_load();
  assert_non_null(d);
  double *w = malloc(SVY_N * sizeof *w);
  assert_int_equal(svy_rake_reference(1, w), SVY_N);
  segkit_means_input in = {d->n, d->q1, d->segment, 4, w};
  segkit_means *m = means_ok(&in, NULL);
  const segkit_means_view *v = segkit_means_get(m);
  double mean[4];
  double se[4];
  assert_int_equal(svy_ref("w_mean", mean, 4), 4);
  assert_int_equal(svy_ref("w_mean_se", se, 4), 4);
  for (uint32_t c = 0; c < 4; c++) {
    assert_true(svy_close(v->mean[c], mean[c], 1e-12, 0));
    assert_true(svy_close(v->se[c], se[c], 1e-9, 0));
    assert_false(v->small[c]);
  }
  double all[2];
  assert_int_equal(svy_ref("w_mean_all", all, 2), 2);
  assert_true(svy_close(v->mean_all, all[0], 1e-12, 0));
  assert_true(svy_close(v->se_all, all[1], 1e-9, 0));
  /* Letters from the pairwise z-tests on R's means and SEs, Bonferroni over 6 pairs. */
  for (uint32_t a = 0; a < 4; a++) {
    char want[8];
    size_t n = 0;
    for (uint32_t b = 0; b < 4; b++) {
      double z = (mean[a] - mean[b]) / sqrt(se[a] * se[a] + se[b] * se[b]);
      if (b != a && z > 0 && 6 * erfc(z / sqrt(2.0)) < 0.05) {
        want[n++] = (char)('A' + b);
      }
    }
    want[n] = '\0';
    assert_string_equal(v->letters[a], want);
  }
  /* Achievers (3.94) are above everyone; Cautious (2.73) below everyone. */
  assert_string_equal(v->letters[0], "BCD");
  assert_string_equal(v->letters[2], "");
  segkit_means_free(m);

  /* Unweighted: the same design with weight 1. */
  segkit_means_input un = {d->n, d->q1, d->segment, 4, NULL};
  m = means_ok(&un, NULL);
  v = segkit_means_get(m);
  assert_int_equal(svy_ref("u_mean", mean, 4), 4);
  assert_int_equal(svy_ref("u_mean_se", se, 4), 4);
  for (uint32_t c = 0; c < 4; c++) {
    assert_true(svy_close(v->mean[c], mean[c], 1e-12, 0));
    assert_true(svy_close(v->se[c], se[c], 1e-9, 0));
  }
  segkit_means_free(m);
  free(w);
  svy_data_free(d);
}

/* By hand: column 0 values 1 2 3 (weights 1), column 1 values 5 5 (weights 2), one NaN
 * and one -1 left out. n = 5, f = 5/4. Column 0: mean 2, z = (-1, 0, 1)/3, sum z^2 = 2/9,
 * SE = sqrt(5/4 * 2/9) = 0.527046. Column 1: mean 5, SE 0 (constant). Overall: W = 7,
 * mean (6 + 20)/7 = 26/7. Column 1 is above column 0 (SE 0.527, z = 5.69). */
static void survey_means_by_hand(void **state) {
  (void)state;
  const double y[7] = {1, 2, 3, 5, 5, NAN, 4};
  const int32_t c[7] = {0, 0, 0, 1, 1, 0, -1};
  const double w[7] = {1, 1, 1, 2, 2, 1, 1};
  segkit_means_input in = {7, y, c, 3, w};
  segkit_sig_options o = {.small_base = 3.5};
  segkit_means *m = means_ok(&in, &o);
  const segkit_means_view *v = segkit_means_get(m);
  assert_int_equal(v->n_used, 5);
  assert_int_equal(v->n_missing, 2);
  assert_true(svy_close(v->mean[0], 2.0, 1e-15, 0));
  assert_true(svy_close(v->se[0], sqrt(5.0 / 4 * 2.0 / 9), 1e-14, 0));
  assert_true(v->mean[1] == 5.0 && v->se[1] == 0.0);
  assert_true(isnan(v->mean[2]) && isnan(v->se[2]));
  assert_true(svy_close(v->mean_all, 26.0 / 7, 1e-15, 0));
  assert_true(v->small[0] && !v->small[1] && v->small[2]);
  assert_int_equal(v->base_unweighted[0], 3);
  assert_true(v->base[1] == 4.0);
  assert_string_equal(v->letters[1], "A");
  assert_string_equal(v->letters[0], "");
  assert_true(isnan(v->pair_p[0 * 3 + 2]));
  segkit_means_free(m);
  segkit_error err;
  const double one[1] = {3};
  const int32_t c1[1] = {0};
  segkit_means_input oin = {1, one, c1, 1, NULL};
  assert_int_equal(segkit_means_new(&oin, NULL, &m, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "at least 2 respondents"));
  const double inf[2] = {1, INFINITY};
  const int32_t c2[2] = {0, 0};
  segkit_means_input iin = {2, inf, c2, 1, NULL};
  assert_int_equal(segkit_means_new(&iin, NULL, &m, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "respondent 1 has an infinite value"));
  segkit_means_free(NULL);
}

static void survey_shares_match_svyciprop(void **state) {
  (void)state;
  svy_data *d = svy_data_load();
  double *w = malloc(SVY_N * sizeof *w);
  assert_int_equal(svy_rake_reference(1, w), SVY_N);
  segkit_shares_input in = {d->n, d->segment, 4, w, 0.95, 5.2e6};
  segkit_shares *s = NULL;
  segkit_error err;
  assert_int_equal(segkit_shares_new(&in, &s, &err), SEGKIT_OK);
  double ref[16];
  assert_int_equal(svy_ref("w_share", ref, 16), 16);
  double sum = 0.0;
  for (uint32_t k = 0; k < 4; k++) {
    const segkit_share *sh = segkit_shares_at(s, k);
    printf("share %u: %.12g (R %.12g) se %.12g (R %.12g) ci %.12g %.12g (R %.12g %.12g)\n", k,
           sh->share, ref[4 * k], sh->se, ref[4 * k + 1], sh->lower, sh->upper, ref[4 * k + 2],
           ref[4 * k + 3]);
    /* svyciprop gets p from a glm fit (convergence ~1e-10), hence 1e-9, not 1e-12. */
    assert_true(svy_close(sh->share, ref[4 * k], 1e-9, 0));
    assert_true(svy_close(sh->se, ref[4 * k + 1], 1e-9, 0));
    assert_true(svy_close(sh->lower, ref[4 * k + 2], 1e-9, 0));
    assert_true(svy_close(sh->upper, ref[4 * k + 3], 1e-9, 0));
    assert_true(svy_close(sh->projected, sh->share * 5.2e6, 1e-15, 0));
    assert_true(svy_close(sh->projected_lower, ref[4 * k + 2] * 5.2e6, 1e-9, 0));
    assert_true(svy_close(sh->projected_upper, ref[4 * k + 3] * 5.2e6, 1e-9, 0));
    assert_false(sh->degenerate);
    sum += sh->share;
  }
  assert_true(svy_close(sum, 1.0, 1e-14, 0));
  assert_null(segkit_shares_at(s, 4));
  assert_int_equal(segkit_shares_n_used(s), SVY_N);
  segkit_shares_free(s);
  free(w);
  svy_data_free(d);
}

/* By hand, unweighted: 10 respondents, 3 in segment 0, 7 in segment 1, none in 2.
 * p = 0.3, V = 10/9 * (3 * 0.7^2 + 7 * 0.3^2) / 100 = 10/9 * 2.1/100 = 0.0233333,
 * SE = 0.152753; logit SE = 0.152753 / 0.21 = 0.727393; t = qt(0.975, 9) = 2.262157;
 * interval expit(log(3/7) -+ 1.645482) = 0.07636623, 0.68958489 (plogis in R). Segment 2: share 0,
 * degenerate [0, 0]. No population total: projections NaN. */
static void survey_shares_by_hand(void **state) {
  (void)state;
  const int32_t c[11] = {0, 0, 0, 1, 1, 1, 1, 1, 1, 1, -1};
  segkit_shares_input in = {11, c, 3, NULL, 0, 0};
  segkit_shares *s = NULL;
  segkit_error err;
  assert_int_equal(segkit_shares_new(&in, &s, &err), SEGKIT_OK);
  const segkit_share *a = segkit_shares_at(s, 0);
  assert_true(svy_close(a->share, 0.3, 1e-15, 0));
  assert_true(svy_close(a->se, sqrt(10.0 / 9 * 0.021), 1e-14, 0));
  double half = 2.262157163 * sqrt(10.0 / 9 * 0.021) / 0.21;
  double lg = log(3.0 / 7);
  assert_true(svy_close(a->lower, 1 / (1 + exp(-(lg - half))), 1e-9, 0));
  assert_true(svy_close(a->upper, 1 / (1 + exp(-(lg + half))), 1e-9, 0));
  assert_true(svy_close(a->lower, 0.07636623, 1e-6, 0)); /* R, the formula above */
  assert_true(svy_close(a->upper, 0.68958489, 1e-6, 0));
  assert_true(isnan(a->projected));
  assert_int_equal(a->base_unweighted, 3);
  const segkit_share *z = segkit_shares_at(s, 2);
  assert_true(z->degenerate && z->share == 0.0 && z->lower == 0.0 && z->upper == 0.0);
  assert_int_equal(segkit_shares_n_used(s), 10);
  segkit_shares_free(s);
  const int32_t bad[2] = {0, 5};
  segkit_shares_input bin = {2, bad, 3, NULL, 0, 0};
  assert_int_equal(segkit_shares_new(&bin, &s, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "respondent 1 has segment code 5"));
  const double w[2] = {1, -2};
  segkit_shares_input win = {2, c, 3, w, 0, 0};
  assert_int_equal(segkit_shares_new(&win, &s, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "respondent 1 is -2"));
  segkit_shares_input lin = {2, c, 3, NULL, 1.5, 0};
  assert_int_equal(segkit_shares_new(&lin, &s, &err), SEGKIT_ERR_USAGE);
  segkit_shares_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(survey_means_match_svyby),
      cmocka_unit_test(survey_means_by_hand),
      cmocka_unit_test(survey_shares_match_svyciprop),
      cmocka_unit_test(survey_shares_by_hand),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
