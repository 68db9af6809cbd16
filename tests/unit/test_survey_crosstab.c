/* Crosstabs against R: unweighted chi-square (chisq.test(correct = FALSE)) and
 * column-proportion tests (prop.test(correct = FALSE)); weighted, the Rao-Scott
 * first-order chi-square (svychisq(statistic = "Chisq")) and the tests on effective
 * bases (prop.test on x = p n_eff). Reference values: tests/data/survey/survey_R.txt
 * from make_reference.R. Plus the letters, the corrections (p.adjust values by hand),
 * empty and zero-weight columns, one respondent, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survey.h"
#include "survey/survey_int.h"
#include "survey_testkit.h"

static segkit_crosstab *xtab(const segkit_crosstab_input *in, const segkit_sig_options *o) {
  segkit_crosstab *x = NULL;
  segkit_error err;
  if (segkit_crosstab_new(in, o, &x, &err) != SEGKIT_OK) {
    fail_msg("segkit_crosstab_new: %s", err.message);
  }
  return x;
}

/* Pairs in R's order (1,2) (1,3) (1,4) (2,3) (2,4) (3,4), row by row. */
static double pair_at(const segkit_crosstab_view *v, uint32_t r, int k) {
  static const int pa[6] = {0, 0, 0, 1, 1, 2};
  static const int pb[6] = {1, 2, 3, 2, 3, 3};
  return v->pair_p[(size_t)r * 16 + (size_t)pa[k] * 4 + (size_t)pb[k]];
}

static void survey_crosstab_unweighted_matches_chisq_and_prop_test(void **state) {
  (void)state;
  svy_data *d = svy_data_load();
  assert_non_null(d);
  segkit_crosstab_input in = {d->n, d->brand, 4, d->segment, 4, NULL};
  segkit_sig_options none = {.adjust = SEGKIT_ADJUST_NONE};
  segkit_crosstab *x = xtab(&in, &none);
  const segkit_crosstab_view *v = segkit_crosstab_get(x);
  double ref[24];
  assert_int_equal(svy_ref("u_counts", ref, 24), 16);
  for (size_t k = 0; k < 16; k++) {
    assert_true(v->count[k] == ref[k]);
    assert_true((double)v->count_unweighted[k] == ref[k]);
  }
  assert_false(v->weighted);
  assert_int_equal(v->n_used, SVY_N);
  assert_int_equal(v->n_missing, 0);
  assert_int_equal(svy_ref("u_chi2", ref, 1), 1);
  assert_true(svy_close(v->chi2, ref[0], 1e-10, 0));
  assert_true(v->chi2_adjusted == v->chi2 && v->mean_deff == 1.0);
  assert_int_equal(svy_ref("u_df", ref, 1), 1);
  assert_true(v->df == ref[0]);
  assert_int_equal(svy_ref("u_p", ref, 1), 1);
  assert_true(svy_close(v->p, ref[0], 1e-6, 0));
  /* Column percentages and bases by hand from the counts. */
  double base[4] = {0};
  for (size_t k = 0; k < 16; k++) {
    base[k % 4] += v->count[k];
  }
  for (size_t k = 0; k < 16; k++) {
    assert_true(svy_close(v->col_pct[k], 100.0 * v->count[k] / base[k % 4], 1e-14, 0));
  }
  for (uint32_t c = 0; c < 4; c++) {
    assert_true(v->col_base[c] == base[c]);
    assert_true(v->col_base_effective[c] == base[c]);
    assert_false(v->col_small[c]);
  }
  double p_ref[24];
  assert_int_equal(svy_ref("u_prop_p", p_ref, 24), 24);
  for (uint32_t r = 0; r < 4; r++) {
    for (int k = 0; k < 6; k++) {
      assert_true(svy_close(pair_at(v, r, k), p_ref[r * 6 + k], 1e-7, 1e-300));
    }
  }
  segkit_crosstab_free(x);

  /* Default Bonferroni: 6 pairs per row; letters where 6 p < 0.05 and the cell's column
   * percentage is the higher. */
  x = xtab(&in, NULL);
  v = segkit_crosstab_get(x);
  assert_true(v->has_letters);
  static const int pa[6] = {0, 0, 0, 1, 1, 2};
  static const int pb[6] = {1, 2, 3, 2, 3, 3};
  for (uint32_t r = 0; r < 4; r++) {
    char want[4][8] = {"", "", "", ""};
    for (int k = 0; k < 6; k++) {
      assert_true(svy_close(pair_at(v, r, k), fmin(1.0, 6 * p_ref[r * 6 + k]), 1e-7, 1e-300));
      if (6 * p_ref[r * 6 + k] < 0.05) {
        int hi = v->col_pct[r * 4 + pa[k]] > v->col_pct[r * 4 + pb[k]] ? pa[k] : pb[k];
        int lo = hi == pa[k] ? pb[k] : pa[k];
        size_t len = strlen(want[hi]);
        want[hi][len] = (char)('A' + lo);
        want[hi][len + 1] = '\0';
      }
    }
    for (int c = 0; c < 4; c++) {
      /* Letters come in column order; build the expectation in the same order. */
      char sorted[8];
      size_t n = 0;
      for (char ch = 'A'; ch <= 'D'; ch++) {
        if (strchr(want[c], ch) != NULL) {
          sorted[n++] = ch;
        }
      }
      sorted[n] = '\0';
      assert_string_equal(v->letters[r * 4 + c], sorted);
    }
  }
  /* Spot check against the counts: Alpha is 186/355 = 52% among Achievers, far above the
   * other three columns, so the cell carries B, C and D. */
  assert_string_equal(v->letters[0], "BCD");
  segkit_crosstab_free(x);

  /* Holm within the row: R's p.adjust(method = "holm") over each row's 6 pairs. */
  segkit_sig_options holm = {.adjust = SEGKIT_ADJUST_HOLM};
  x = xtab(&in, &holm);
  v = segkit_crosstab_get(x);
  double h_ref[24];
  assert_int_equal(svy_ref("u_prop_p_holm", h_ref, 24), 24);
  for (uint32_t r = 0; r < 4; r++) {
    for (int k = 0; k < 6; k++) {
      assert_true(svy_close(pair_at(v, r, k), h_ref[r * 6 + k], 1e-7, 1e-300));
    }
  }
  /* Row Alpha, Balancers (30.4%) vs Cautious (23.3%): raw p 0.0161, Holm 0.0484 < 0.05,
   * Bonferroni 0.097: Holm gives the Balancers cell a "C" that Bonferroni does not. */
  assert_true(h_ref[3] < 0.05 && 6 * p_ref[3] > 0.05);
  assert_non_null(strchr(v->letters[1], 'C'));
  segkit_crosstab_free(x);
  svy_data_free(d);
}

static void survey_crosstab_weighted_matches_svychisq(void **state) {
  (void)state;
  svy_data *d = svy_data_load();
  double *w = malloc(SVY_N * sizeof *w);
  assert_int_equal(svy_rake_reference(1, w), SVY_N);
  segkit_crosstab_input in = {d->n, d->brand, 4, d->segment, 4, w};
  segkit_sig_options none = {.adjust = SEGKIT_ADJUST_NONE};
  segkit_crosstab *x = xtab(&in, &none);
  const segkit_crosstab_view *v = segkit_crosstab_get(x);
  assert_true(v->weighted);
  double ref[24];
  assert_int_equal(svy_ref("w_counts", ref, 24), 16);
  for (size_t k = 0; k < 16; k++) {
    assert_true(svy_close(v->count[k], ref[k], 1e-12, 0));
  }
  assert_int_equal(svy_ref("w_chi2_pearson", ref, 1), 1);
  assert_true(svy_close(v->chi2, ref[0], 1e-10, 0));
  assert_int_equal(svy_ref("w_df", ref, 1), 1);
  assert_true(v->df == ref[0]);
  assert_int_equal(svy_ref("w_p", ref, 1), 1);
  printf("Rao-Scott p %.10g, R %.10g; mean deff %.6f\n", v->p, ref[0], v->mean_deff);
  assert_true(svy_close(v->p, ref[0], 1e-6, 0));
  assert_true(v->mean_deff > 1.0 && v->chi2_adjusted < v->chi2);
  assert_int_equal(svy_ref("w_neff", ref, 4), 4);
  for (uint32_t c = 0; c < 4; c++) {
    assert_true(svy_close(v->col_base_effective[c], ref[c], 1e-10, 0));
  }
  assert_int_equal(svy_ref("w_prop_p", ref, 24), 24);
  for (uint32_t r = 0; r < 4; r++) {
    for (int k = 0; k < 6; k++) {
      assert_true(svy_close(pair_at(v, r, k), ref[r * 6 + k], 1e-7, 1e-300));
    }
  }
  segkit_crosstab_free(x);
  free(w);
  svy_data_free(d);
}

/* An extra, unused column level, and a column whose respondents all weigh 0: both are
 * left out of the chi-square (same statistic and df as without them), get NaN
 * percentages, no letters, no tests, and are flagged small. Missing answers (-1) are
 * counted and left out. */
static void survey_crosstab_empty_and_zero_weight_columns(void **state) {
  (void)state;
  svy_data *d = svy_data_load();
  double *w = malloc(SVY_N * sizeof *w);
  int32_t *col = malloc(SVY_N * sizeof *col);
  int32_t *row = malloc(SVY_N * sizeof *row);
  assert_int_equal(svy_rake_reference(1, w), SVY_N);
  segkit_crosstab_input base_in = {d->n, d->brand, 4, d->segment, 4, w};
  segkit_crosstab *x0 = xtab(&base_in, NULL);
  const segkit_crosstab_view *v0 = segkit_crosstab_get(x0);
  for (size_t i = 0; i < SVY_N; i++) {
    col[i] = d->segment[i];
    row[i] = d->brand[i];
  }
  /* Two more column levels (4 and 5) that nobody answered. */
  segkit_crosstab_input in = {d->n, row, 4, col, 6, w};
  segkit_crosstab *x = xtab(&in, NULL);
  const segkit_crosstab_view *v = segkit_crosstab_get(x);
  assert_true(svy_close(v->chi2, v0->chi2, 1e-12, 0));
  assert_true(v->df == 9);
  assert_true(svy_close(v->p, v0->p, 1e-9, 0));
  for (uint32_t r = 0; r < 4; r++) {
    assert_true(isnan(v->col_pct[r * 6 + 4]));
    assert_string_equal(v->letters[r * 6 + 4], "");
    assert_true(isnan(v->pair_p[(size_t)r * 36 + 0 * 6 + 4]));
    /* Bonferroni still over the 6 pairs actually tested. */
    assert_true(svy_close(v->pair_p[(size_t)r * 36 + 1], v0->pair_p[(size_t)r * 16 + 1], 1e-12,
                          0));
  }
  assert_true(v->col_small[4] && v->col_small[5]);
  assert_true(v->col_base[4] == 0.0);
  segkit_crosstab_free(x);
  segkit_crosstab_free(x0);

  /* Column 3 (Drifters) weighted to 0 everywhere: the rest is a 4 x 3 table. */
  for (size_t i = 0; i < SVY_N; i++) {
    if (col[i] == 3) {
      w[i] = 0.0;
    }
  }
  row[0] = -1;
  segkit_crosstab_input zin = {d->n, row, 4, col, 4, w};
  x = xtab(&zin, NULL);
  v = segkit_crosstab_get(x);
  assert_true(v->df == 6);
  assert_int_equal(v->n_missing, 1);
  assert_int_equal(v->n_used, SVY_N - 1);
  assert_true(v->col_base[3] == 0.0);
  assert_true(v->col_base_unweighted[3] > 0);
  assert_true(isnan(v->col_pct[3]));
  assert_true(isfinite(v->p));
  segkit_crosstab_free(x);
  free(w);
  free(col);
  free(row);
  svy_data_free(d);
}

/* A small table by hand. Columns A (n 40) and B (n 40), row "yes": 30/40 = 75% vs
 * 10/40 = 25%. Pooled p = 0.5, z = 0.5 / sqrt(0.25 (2/40)) = 4.4721, p = 7.74e-6
 * (2 pnorm(-sqrt(20))). Chi-square of the 2 x 2 is z^2 = 20, df 1. Cell (yes, A) gets
 * "B", (no, B) gets "A". A third column of 10 respondents (base 10 < 30) is flagged. */
static void survey_crosstab_hand_letters_and_small_base(void **state) {
  (void)state;
  int32_t row[90];
  int32_t col[90];
  for (int i = 0; i < 90; i++) {
    col[i] = i < 40 ? 0 : (i < 80 ? 1 : 2);
    row[i] = (i < 30) || (i >= 40 && i < 50) || (i >= 80 && i < 85) ? 0 : 1;
  }
  segkit_crosstab_input in2 = {80, row, 2, col, 2, NULL};
  segkit_crosstab *x = xtab(&in2, NULL);
  const segkit_crosstab_view *v = segkit_crosstab_get(x);
  assert_true(svy_close(v->chi2, 20.0, 1e-12, 0));
  assert_true(v->df == 1);
  assert_true(svy_close(v->p, 7.744216e-06, 1e-6, 0)); /* pchisq(20, 1, lower = FALSE) */
  assert_true(svy_close(v->pair_p[1], 7.744216e-06, 1e-6, 0));
  assert_string_equal(v->letters[0], "B");
  assert_string_equal(v->letters[1], "");
  assert_string_equal(v->letters[2], "");
  assert_string_equal(v->letters[3], "A");
  assert_true(svy_close(v->row_pct[0], 75.0, 1e-12, 0));
  segkit_crosstab_free(x);
  segkit_crosstab_input in3 = {90, row, 2, col, 3, NULL};
  segkit_sig_options o = {.small_base = 20};
  x = xtab(&in3, &o);
  v = segkit_crosstab_get(x);
  assert_false(v->col_small[0]);
  assert_true(v->col_small[2]);
  segkit_crosstab_free(x);
}

/* The corrections, by hand (R: p.adjust(c(0.01, 0.02, 0.04), "holm") = 0.03 0.04 0.04;
 * "bonferroni" = 0.03 0.06 0.12). Three columns: pairs (0,1) (0,2) (1,2). */
static void survey_adjust_holm_and_bonferroni_by_hand(void **state) {
  (void)state;
  double p[9] = {NAN, 0.02, 0.01, NAN, NAN, 0.04, NAN, NAN, NAN};
  double q[9];
  memcpy(q, p, sizeof p);
  sk__survey_adjust(q, 3, SEGKIT_ADJUST_HOLM);
  assert_true(svy_close(q[1], 0.04, 1e-15, 0));
  assert_true(svy_close(q[2], 0.03, 1e-15, 0));
  assert_true(svy_close(q[5], 0.04, 1e-15, 0));
  assert_true(q[3] == q[1] && q[6] == q[2] && q[7] == q[5]);
  memcpy(q, p, sizeof p);
  sk__survey_adjust(q, 3, SEGKIT_ADJUST_BONFERRONI);
  assert_true(svy_close(q[1], 0.06, 1e-15, 0));
  assert_true(svy_close(q[2], 0.03, 1e-15, 0));
  assert_true(svy_close(q[5], 0.12, 1e-15, 0));
  memcpy(q, p, sizeof p);
  sk__survey_adjust(q, 3, SEGKIT_ADJUST_NONE);
  assert_true(q[1] == 0.02 && q[7] == 0.04);
  assert_true(sk__survey_letter(0) == 'A' && sk__survey_letter(25) == 'Z' &&
              sk__survey_letter(26) == 'a');
}

static void survey_crosstab_one_respondent_and_bad_input(void **state) {
  (void)state;
  const int32_t r1[1] = {0};
  const int32_t c1[1] = {1};
  segkit_crosstab_input in = {1, r1, 1, c1, 2, NULL};
  segkit_crosstab *x = xtab(&in, NULL);
  const segkit_crosstab_view *v = segkit_crosstab_get(x);
  assert_true(v->df == 0);
  assert_true(isnan(v->chi2) && isnan(v->p));
  assert_true(v->col_pct[1] == 100.0);
  assert_true(v->col_small[0] && v->col_small[1]);
  segkit_crosstab_free(x);
  segkit_crosstab_free(NULL);
  /* A weighted 20 x 20 table has df 361 > SEGKIT_SURVEY_MAX_RAO_SCOTT_DF: chi2, no p. */
  int32_t br[400];
  int32_t bc[400];
  double bw[400];
  for (int i = 0; i < 400; i++) {
    br[i] = i % 20;
    bc[i] = (i / 20 + i % 3) % 20;
    bw[i] = 1.0 + (i % 7);
  }
  segkit_crosstab_input big = {400, br, 20, bc, 20, bw};
  x = xtab(&big, NULL);
  v = segkit_crosstab_get(x);
  assert_true(v->df == 361);
  assert_true(isfinite(v->chi2) && isnan(v->p) && isnan(v->mean_deff));
  segkit_crosstab_free(x);
  segkit_error err;
  const int32_t bad[2] = {0, 3};
  const int32_t cc[2] = {0, 0};
  segkit_crosstab_input bin = {2, bad, 2, cc, 1, NULL};
  assert_int_equal(segkit_crosstab_new(&bin, NULL, &x, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "respondent 1 has row code 3"));
  const int32_t ok[2] = {0, 1};
  const double w[2] = {1.0, NAN};
  segkit_crosstab_input win = {2, ok, 2, cc, 1, w};
  assert_int_equal(segkit_crosstab_new(&win, NULL, &x, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "weight of respondent 1 is nan"));
  const int32_t none[2] = {-1, -1};
  segkit_crosstab_input nin = {2, none, 2, cc, 1, NULL};
  assert_int_equal(segkit_crosstab_new(&nin, NULL, &x, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "no respondent answered both"));
  segkit_crosstab_input huge = {2, ok, 2, cc, 3000, NULL};
  assert_int_equal(segkit_crosstab_new(&huge, NULL, &x, &err), SEGKIT_ERR_LIMIT);
  segkit_sig_options o = {.alpha = 2};
  assert_int_equal(segkit_crosstab_new(&in, &o, &x, &err), SEGKIT_ERR_USAGE);
  o = (segkit_sig_options){.adjust = (segkit_adjust)9};
  assert_int_equal(segkit_crosstab_new(&in, &o, &x, &err), SEGKIT_ERR_USAGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(survey_crosstab_unweighted_matches_chisq_and_prop_test),
      cmocka_unit_test(survey_crosstab_weighted_matches_svychisq),
      cmocka_unit_test(survey_crosstab_empty_and_zero_weight_columns),
      cmocka_unit_test(survey_crosstab_hand_letters_and_small_base),
      cmocka_unit_test(survey_adjust_holm_and_bonferroni_by_hand),
      cmocka_unit_test(survey_crosstab_one_respondent_and_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
