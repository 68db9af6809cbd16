/* Raking against R's survey package (rake(), trimWeights(); reference weights in
 * tests/data/survey/rake_R.csv from make_reference.R), margins given by label, the
 * weight summary by hand, and hostile input: missing answers, bad base weights, empty
 * categories, contradictory margins, one respondent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survey.h"
#include "survey_testkit.h"

static const double age_share[5] = {0.12, 0.18, 0.17, 0.18, 0.35};
static const double region_share[4] = {0.25, 0.30, 0.20, 0.25};
static const double gender_share[2] = {0.51, 0.49};

static void vars_of(const svy_data *d, segkit_rake_var v[3]) {
  v[0] = (segkit_rake_var){"age", d->age_code, 5, age_share, svy_age};
  v[1] = (segkit_rake_var){"region", d->region_code, 4, region_share, svy_region};
  v[2] = (segkit_rake_var){"gender", d->gender_code, 2, gender_share, svy_gender};
}

static segkit_rake *rake_ok(size_t n, const double *base, const segkit_rake_var *v, size_t k,
                            const segkit_rake_options *o) {
  segkit_rake *r = NULL;
  segkit_error err;
  segkit_status s = segkit_rake_new(n, base, v, k, o, &r, &err);
  if (s != SEGKIT_OK) {
    fail_msg("segkit_rake_new: %s", err.message);
  }
  return r;
}

/* Weights agree with R's to 1e-6 relative (the bar; at R's tight epsilon they
 * agree to ~1e-10) and the margins are hit. */
static void compare_weights(const segkit_rake *r, int col, size_t *worst_at, double *worst) {
  double *ref = malloc(SVY_N * sizeof *ref);
  assert_int_equal(svy_rake_reference(col, ref), SVY_N);
  const double *w = segkit_rake_weights(r);
  *worst = 0.0;
  for (size_t i = 0; i < SVY_N; i++) {
    double rel = fabs(w[i] - ref[i]) / ref[i];
    if (rel > *worst) {
      *worst = rel;
      *worst_at = i;
    }
  }
  free(ref);
}

static void survey_rake_matches_r_rake(void **state) {
  (void)state;
  svy_data *d = svy_data_load();
  assert_non_null(d);
  assert_int_equal(d->n, SVY_N);
  segkit_rake_var v[3];
  vars_of(d, v);
  segkit_rake *r = rake_ok(d->n, NULL, v, 3, NULL);
  const segkit_rake_report *rep = segkit_rake_result(r);
  assert_true(rep->converged);
  assert_true(rep->margin_error <= 1e-8);
  assert_true(rep->iterations > 1 && rep->iterations < 100);
  size_t at = 0;
  double worst = 0.0;
  compare_weights(r, 1, &at, &worst);
  printf("largest relative difference from R: %.3g (respondent %zu)\n", worst, at);
  if (worst > 1e-6) {
    fail_msg("respondent %zu: weight differs from R's rake() by %g relative", at, worst);
  }
  /* Kish deff and n_eff: R computed n sum(w^2) / sum(w)^2 on its own weights. */
  double ref[2];
  assert_int_equal(svy_ref("deff_rake", ref, 1), 1);
  assert_true(svy_close(rep->weights.deff, ref[0], 1e-8, 0));
  assert_int_equal(svy_ref("neff_rake", ref, 1), 1);
  assert_true(svy_close(rep->weights.n_eff, ref[0], 1e-8, 0));
  assert_true(svy_close(rep->weights.sum, 1500.0, 1e-12, 0));
  assert_true(svy_close(rep->weights.mean, 1.0, 1e-12, 0));
  /* The achieved-vs-target table: age, as listed; sample shares are the raw counts. */
  const segkit_rake_margin *m = segkit_rake_margin_at(r, 0);
  assert_non_null(m);
  assert_string_equal(m->name, "age");
  assert_int_equal(m->n_levels, 5);
  assert_string_equal(m->level_labels[4], "55+");
  size_t counts[5] = {0};
  for (size_t i = 0; i < SVY_N; i++) {
    counts[d->age_code[i]]++;
  }
  for (uint32_t l = 0; l < 5; l++) {
    assert_true(svy_close(m->achieved[l], age_share[l], 0, 1e-8));
    assert_true(svy_close(m->target[l], age_share[l], 1e-15, 0));
    assert_int_equal(m->respondents[l], counts[l]);
    assert_true(svy_close(m->sample[l], (double)counts[l] / SVY_N, 1e-12, 0));
  }
  assert_null(segkit_rake_margin_at(r, 3));
  segkit_rake_free(r);
  svy_data_free(d);
}

/* From base weights to a population total of 2,000,000 (R: rake() from base_w). */
static void survey_rake_base_weights_and_total(void **state) {
  (void)state;
  svy_data *d = svy_data_load();
  segkit_rake_var v[3];
  vars_of(d, v);
  segkit_rake_options o = {.population_total = 2e6};
  segkit_rake *r = rake_ok(d->n, d->base_w, v, 3, &o);
  size_t at = 0;
  double worst = 0.0;
  compare_weights(r, 2, &at, &worst);
  printf("largest relative difference from R: %.3g (respondent %zu)\n", worst, at);
  if (worst > 1e-6) {
    fail_msg("respondent %zu: weight differs from R's rake() by %g relative", at, worst);
  }
  const segkit_rake_report *rep = segkit_rake_result(r);
  assert_true(svy_close(rep->weights.sum, 2e6, 1e-12, 0));
  double ref[1];
  assert_int_equal(svy_ref("deff_base", ref, 1), 1);
  assert_true(svy_close(rep->weights.deff, ref[0], 1e-8, 0));
  /* The base weights depend only on region, a raking variable, so they cancel: the
   * solution is the unweighted one scaled to the total. */
  segkit_rake *r1 = rake_ok(d->n, NULL, v, 3, NULL);
  for (size_t i = 0; i < SVY_N; i++) {
    assert_true(svy_close(segkit_rake_weights(r)[i], segkit_rake_weights(r1)[i] * 2e6 / 1500,
                          1e-7, 0));
  }
  segkit_rake_free(r1);
  /* The same margins as population counts: the total is their sum, 2,000,000. */
  double age_n[5];
  double region_n[4];
  double gender_n[2];
  for (int l = 0; l < 5; l++) {
    age_n[l] = age_share[l] * 2e6;
  }
  for (int l = 0; l < 4; l++) {
    region_n[l] = region_share[l] * 2e6;
  }
  for (int l = 0; l < 2; l++) {
    gender_n[l] = gender_share[l] * 2e6;
  }
  v[0].share = age_n;
  v[1].share = region_n;
  v[2].share = gender_n;
  segkit_rake_options tot = {.targets_are_totals = true};
  r1 = rake_ok(d->n, d->base_w, v, 3, &tot);
  for (size_t i = 0; i < SVY_N; i++) {
    assert_true(svy_close(segkit_rake_weights(r1)[i], segkit_rake_weights(r)[i], 1e-9, 0));
  }
  segkit_rake_free(r1);
  gender_n[1] += 1e5; /* gender now describes 2.1 million people */
  segkit_error err;
  assert_int_equal(segkit_rake_new(d->n, NULL, v, 3, &tot, &r1, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "totals of 'gender' sum to 2100000 but those of 'age'"));
  segkit_rake_free(r);
  svy_data_free(d);
}

/* Trimming to [0.4, 2.5] x mean with re-raking, as the R script's loop of
 * trimWeights(strict = TRUE) and rake(). */
static void survey_rake_trim_matches_r_trimweights(void **state) {
  (void)state;
  svy_data *d = svy_data_load();
  segkit_rake_var v[3];
  vars_of(d, v);
  segkit_rake_options o = {.trim_lower = 0.4, .trim_upper = 2.5};
  segkit_rake *r = rake_ok(d->n, NULL, v, 3, &o);
  const segkit_rake_report *rep = segkit_rake_result(r);
  assert_true(rep->trim_converged);
  assert_true(rep->converged);
  double ref[2];
  assert_int_equal(svy_ref("trim_rounds", ref, 1), 1);
  printf("trimming rounds: %u (R %g), %u raking cycles\n", rep->trim_rounds, ref[0],
         rep->iterations);
  /* A round more or less only moves weights by ~1e-9: the count is not the contract. */
  assert_true(fabs((double)rep->trim_rounds - ref[0]) <= 2);
  size_t at = 0;
  double worst = 0.0;
  compare_weights(r, 3, &at, &worst);
  printf("largest relative difference from R: %.3g (respondent %zu)\n", worst, at);
  if (worst > 1e-6) {
    fail_msg("respondent %zu: weight differs from R's trimWeights/rake by %g relative", at,
             worst);
  }
  assert_true(rep->weights.max <= 2.5 * (1 + 1e-9));
  assert_true(rep->weights.min >= 0.4 * (1 - 1e-9));
  assert_true(rep->n_at_bound > 0);
  /* Untrimmed, the largest weight is above 2.5: trimming had work to do. */
  segkit_rake *r0 = rake_ok(d->n, NULL, v, 3, NULL);
  assert_true(segkit_rake_result(r0)->weights.max > 2.6);
  assert_true(rep->weights.deff < segkit_rake_result(r0)->weights.deff);
  segkit_rake_free(r0);
  segkit_rake_free(r);
  svy_data_free(d);
}

/* The margins CSV path: rows (variable, category, share) and text answers. */
static void survey_rake_spec_maps_labels(void **state) {
  (void)state;
  svy_data *d = svy_data_load();
  /* Listed in another order than svy_age, to check levels follow the rows. */
  const segkit_margin_row rows[11] = {
      {"gender", "Male", 0.49},     {"gender", "Female", 0.51}, {"age", "55+", 0.35},
      {"age", "18-24", 0.12},       {"age", "25-34", 0.18},     {"age", "35-44", 0.17},
      {"age", "45-54", 0.18},       {"region", "North", 0.25},  {"region", "South", 0.30},
      {"region", "East", 0.20},     {"region", "West", 0.25}};
  const char *names[3] = {"age", "region", "gender"};
  const char *const *answers[3] = {d->age, d->region, d->gender};
  segkit_rake_spec *spec = NULL;
  segkit_error err;
  assert_int_equal(segkit_rake_spec_new(rows, 11, names, 3, d->n, answers, &spec, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_rake_spec_n_vars(spec), 3);
  const segkit_rake_var *v = segkit_rake_spec_vars(spec);
  assert_string_equal(v[0].name, "age");
  assert_int_equal(v[0].n_levels, 5);
  assert_string_equal(v[0].level_labels[0], "55+");
  assert_true(v[0].share[0] == 0.35);
  assert_string_equal(v[2].level_labels[0], "Male");
  for (size_t i = 0; i < d->n; i++) {
    assert_string_equal(v[0].level_labels[v[0].codes[i]], d->age[i]);
    assert_string_equal(v[1].level_labels[v[1].codes[i]], d->region[i]);
    assert_string_equal(v[2].level_labels[v[2].codes[i]], d->gender[i]);
  }
  segkit_rake *r = rake_ok(d->n, NULL, v, 3, NULL);
  segkit_rake_spec_free(spec); /* the result keeps its own copies of names and labels */
  double *ref = malloc(SVY_N * sizeof *ref);
  assert_int_equal(svy_rake_reference(1, ref), SVY_N);
  for (size_t i = 0; i < SVY_N; i++) {
    assert_true(svy_close(segkit_rake_weights(r)[i], ref[i], 1e-6, 0));
  }
  assert_string_equal(segkit_rake_margin_at(r, 2)->level_labels[1], "Female");
  free(ref);
  segkit_rake_free(r);

  /* An answer the margins do not list: named, with the respondent and variable. */
  const char *saved = d->region[7];
  d->region[7] = "Wales";
  assert_int_equal(segkit_rake_spec_new(rows, 11, names, 3, d->n, answers, &spec, &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.message, "respondent 7"));
  assert_non_null(strstr(err.message, "'Wales'"));
  assert_string_equal(err.field, "region");
  d->region[7] = NULL;
  assert_int_equal(segkit_rake_spec_new(rows, 11, names, 3, d->n, answers, &spec, &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.message, "respondent 7 has no answer"));
  d->region[7] = saved;
  /* A margin row for a variable not given, a duplicate row, a variable without rows. */
  const char *two[2] = {"age", "gender"};
  assert_int_equal(segkit_rake_spec_new(rows, 11, two, 2, d->n, answers, &spec, &err),
                   SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "'region', which is not among"));
  segkit_margin_row dup[3] = {{"gender", "Male", 0.5}, {"gender", "Female", 0.5},
                              {"gender", "Male", 0.5}};
  const char *g[1] = {"gender"};
  const char *const *ga[1] = {d->gender};
  assert_int_equal(segkit_rake_spec_new(dup, 3, g, 1, d->n, ga, &spec, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "rows 1 and 3 both give 'gender' = 'Male'"));
  const char *ag[2] = {"gender", "age"};
  const char *const *aga[2] = {d->gender, d->age};
  assert_int_equal(segkit_rake_spec_new(dup, 2, ag, 2, d->n, aga, &spec, &err),
                   SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "'age' has no margin rows"));
  svy_data_free(d);
}

/* ---- hand examples and hostile input ---------------------------------------------- */

/* Two variables on 4 respondents, solved by hand. Codes a = 0 0 1 1, b = 0 1 0 1 (a full
 * 2 x 2 with one respondent per cell); targets a 0.5/0.5, b 0.25/0.75, total 4: raking
 * converges in one cycle to w = (0.5, 1.5, 0.5, 1.5) (each cell's share is the product of
 * its margins, as the table is independent). deff = 4 (0.25 4 + 2.25 ... ) =
 * 4 * (0.25 + 2.25 + 0.25 + 2.25) / 16 = 1.25, n_eff = 3.2. */
static void survey_rake_hand_two_by_two(void **state) {
  (void)state;
  const int32_t a[4] = {0, 0, 1, 1};
  const int32_t b[4] = {0, 1, 0, 1};
  const double sa[2] = {0.5, 0.5};
  const double sb[2] = {0.25, 0.75};
  segkit_rake_var v[2] = {{"a", a, 2, sa, NULL}, {"b", b, 2, sb, NULL}};
  segkit_rake *r = rake_ok(4, NULL, v, 2, NULL);
  const double want[4] = {0.5, 1.5, 0.5, 1.5};
  for (size_t i = 0; i < 4; i++) {
    assert_true(svy_close(segkit_rake_weights(r)[i], want[i], 1e-12, 0));
  }
  const segkit_rake_report *rep = segkit_rake_result(r);
  assert_true(rep->converged);
  assert_int_equal(rep->iterations, 1);
  assert_true(svy_close(rep->weights.deff, 1.25, 1e-12, 0));
  assert_true(svy_close(rep->weights.n_eff, 3.2, 1e-12, 0));
  assert_true(rep->weights.min == 0.5 && rep->weights.max == 1.5);
  assert_null(segkit_rake_margin_at(r, 0)->level_labels);
  segkit_rake_free(r);
}

/* Contradictory margins: respondents only in cells (0,0) and (1,1), so the a and b
 * margins must be equal, but targets are 0.5/0.5 and 0.2/0.8. Not an error: the report
 * says not converged, with the achieved margins of the last cycle (b exact, a at
 * 0.2/0.8 since b was fitted last). */
static void survey_rake_contradictory_margins_do_not_converge(void **state) {
  (void)state;
  const int32_t a[4] = {0, 0, 1, 1};
  const int32_t b[4] = {0, 0, 1, 1};
  const double sa[2] = {0.5, 0.5};
  const double sb[2] = {0.2, 0.8};
  segkit_rake_var v[2] = {{"a", a, 2, sa, NULL}, {"b", b, 2, sb, NULL}};
  segkit_rake_options o = {.max_iter = 25};
  segkit_rake *r = rake_ok(4, NULL, v, 2, &o);
  const segkit_rake_report *rep = segkit_rake_result(r);
  assert_false(rep->converged);
  assert_int_equal(rep->iterations, 25);
  assert_true(svy_close(rep->margin_error, 0.3, 1e-12, 0));
  const segkit_rake_margin *ma = segkit_rake_margin_at(r, 0);
  const segkit_rake_margin *mb = segkit_rake_margin_at(r, 1);
  assert_true(svy_close(mb->achieved[0], 0.2, 0, 1e-12));
  assert_true(svy_close(ma->achieved[0], 0.2, 0, 1e-12));
  assert_true(ma->target[0] == 0.5);
  segkit_rake_free(r);
}

static void expect_error(size_t n, const double *base, const segkit_rake_var *v, size_t k,
                         const segkit_rake_options *o, segkit_status want, const char *text,
                         const char *field) {
  segkit_rake *r = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  assert_int_equal(segkit_rake_new(n, base, v, k, o, &r, &err), want);
  assert_null(r);
  if (strstr(err.message, text) == NULL) {
    fail_msg("expected '%s' in: %s", text, err.message);
  }
  if (field != NULL) {
    assert_string_equal(err.field, field);
  }
}

static void survey_rake_rejects_bad_input(void **state) {
  (void)state;
  const int32_t a[4] = {0, 1, 1, 0};
  const int32_t miss[4] = {0, 1, -1, 0};
  const int32_t b[4] = {0, 0, 0, 1};
  const double s2[2] = {0.5, 0.5};
  const double s3[3] = {0.4, 0.4, 0.2};
  const double s3z[3] = {0.5, 0.5, 0.0};
  const double bad_sum[2] = {0.5, 0.6};
  const char *const al[2] = {"young", "old"};
  const char *const bl[3] = {"x", "y", "empty"};
  segkit_rake_var ok = {"age", a, 2, s2, al};
  /* A missing answer: refused, naming the respondent and the variable. */
  segkit_rake_var vm = {"age", miss, 2, s2, al};
  expect_error(4, NULL, &vm, 1, NULL, SEGKIT_ERR_USAGE, "respondent 2 has no valid answer for "
               "raking variable 'age'", "age");
  /* NaN, negative, infinite base weights, with the index. */
  double w[4] = {1, 1, NAN, 1};
  expect_error(4, w, &ok, 1, NULL, SEGKIT_ERR_USAGE, "base weight of respondent 2 is nan", NULL);
  w[2] = -0.5;
  expect_error(4, w, &ok, 1, NULL, SEGKIT_ERR_USAGE, "base weight of respondent 2 is -0.5", NULL);
  w[2] = INFINITY;
  expect_error(4, w, &ok, 1, NULL, SEGKIT_ERR_USAGE, "respondent 2 is inf", NULL);
  /* A target for a category nobody is in. */
  segkit_rake_var ve = {"brand", b, 3, s3, bl};
  expect_error(4, NULL, &ve, 1, NULL, SEGKIT_ERR_USAGE,
               "'brand' = 'empty' has a population share of 0.2 but no respondents", "brand");
  /* ... but a zero target for it is fine, and it stays empty. */
  segkit_rake_var vz = {"brand", b, 3, s3z, bl};
  segkit_rake *r = rake_ok(4, NULL, &vz, 1, NULL);
  assert_true(segkit_rake_margin_at(r, 0)->achieved[2] == 0.0);
  assert_true(svy_close(segkit_rake_weights(r)[3], 2.0, 1e-12, 0)); /* 0.5 x 4 / 1 */
  segkit_rake_free(r);
  /* Respondents in a category with a zero target. */
  const double s2z[2] = {1.0, 0.0};
  segkit_rake_var v0 = {"age", a, 2, s2z, al};
  expect_error(4, NULL, &v0, 1, NULL, SEGKIT_ERR_USAGE,
               "'age' = 'old' has respondents but a population share of 0", "age");
  /* Respondents whose base weights are all 0 count as none. */
  double wz[4] = {1, 0, 0, 1};
  expect_error(4, wz, &ok, 1, NULL, SEGKIT_ERR_USAGE,
               "'age' = 'old' has a population share of 0.5 but no respondents", "age");
  /* Shares that do not sum to 1; levels named by number without labels. */
  segkit_rake_var vs = {"age", a, 2, bad_sum, NULL};
  expect_error(4, NULL, &vs, 1, NULL, SEGKIT_ERR_USAGE, "shares of 'age' sum to 1.1", "age");
  /* A code beyond the levels. */
  const int32_t big[4] = {0, 1, 2, 0};
  segkit_rake_var vb = {"age", big, 2, s2, al};
  expect_error(4, NULL, &vb, 1, NULL, SEGKIT_ERR_USAGE, "respondent 2 has no valid answer", NULL);
  /* Options out of range. */
  segkit_rake_options o = {.trim_upper = 0.5};
  expect_error(4, NULL, &ok, 1, &o, SEGKIT_ERR_USAGE, "upper trimming bound 0.5", NULL);
  o = (segkit_rake_options){.population_total = -1};
  expect_error(4, NULL, &ok, 1, &o, SEGKIT_ERR_USAGE, "population total -1", NULL);
  expect_error(0, NULL, &ok, 1, NULL, SEGKIT_ERR_USAGE, "needs respondents", NULL);
}

/* Shares summing to 0.999 (rounded publications) are accepted and normalised; base
 * weight 0 stays 0. */
static void survey_rake_normalises_shares_and_keeps_zero_weights(void **state) {
  (void)state;
  const int32_t a[5] = {0, 1, 1, 0, 1};
  const double s[2] = {0.333, 0.666};
  const double base[5] = {1, 1, 0, 1, 1};
  segkit_rake_var v = {"a", a, 2, s, NULL};
  segkit_rake *r = rake_ok(5, base, &v, 1, NULL);
  const double *w = segkit_rake_weights(r);
  /* Level 0: 1/3 of 5 over two respondents; level 1: 2/3 of 5 over two (one has 0). */
  assert_true(svy_close(w[0], 5.0 / 6, 1e-12, 0));
  assert_true(svy_close(w[1], 5.0 / 3, 1e-12, 0));
  assert_true(w[2] == 0.0);
  assert_true(svy_close(segkit_rake_margin_at(r, 0)->target[0], 1.0 / 3, 1e-12, 0));
  assert_true(svy_close(segkit_rake_margin_at(r, 0)->sample[0], 0.5, 1e-12, 0));
  segkit_rake_free(r);
}

/* One respondent: the only level has share 1 and the weight is the total. */
static void survey_rake_one_respondent(void **state) {
  (void)state;
  const int32_t a[1] = {1};
  const double s[2] = {0.0, 1.0};
  segkit_rake_var v = {"a", a, 2, s, NULL};
  segkit_rake_options o = {.population_total = 250.0, .trim_upper = 3.0};
  segkit_rake *r = rake_ok(1, NULL, &v, 1, &o);
  assert_true(segkit_rake_weights(r)[0] == 250.0);
  const segkit_rake_report *rep = segkit_rake_result(r);
  assert_true(rep->converged && rep->trim_converged);
  assert_true(rep->weights.deff == 1.0 && rep->weights.n_eff == 1.0);
  segkit_rake_free(r);
  segkit_rake_free(NULL);
}

/* Bounds that cannot hold: 4 respondents, one must carry 0.7 of the total (weight 2.8 x
 * mean) but the upper bound is 2: trimming cannot fit, the result is raked and says so. */
static void survey_rake_trim_impossible_is_reported(void **state) {
  (void)state;
  const int32_t a[4] = {0, 1, 1, 1};
  const double s[2] = {0.7, 0.3};
  segkit_rake_var v = {"a", a, 2, s, NULL};
  segkit_rake_options o = {.trim_upper = 2.0, .max_trim_rounds = 10};
  segkit_rake *r = rake_ok(4, NULL, &v, 1, &o);
  const segkit_rake_report *rep = segkit_rake_result(r);
  assert_false(rep->trim_converged);
  assert_true(rep->converged);
  assert_true(svy_close(segkit_rake_weights(r)[0], 2.8, 1e-12, 0));
  assert_true(rep->trim_rounds >= 1 && rep->trim_rounds <= 10);
  segkit_rake_free(r);
}

/* Weight summary by hand: w = 1 2 3 4: sum 10, deff 4 * 30 / 100 = 1.2, n_eff 10/3. */
static void survey_weight_summary_by_hand(void **state) {
  (void)state;
  const double w[4] = {1, 2, 3, 4};
  segkit_weight_summary s;
  segkit_error err;
  assert_int_equal(segkit_weight_summarise(4, w, &s, &err), SEGKIT_OK);
  assert_true(svy_close(s.deff, 1.2, 1e-15, 0));
  assert_true(svy_close(s.n_eff, 10.0 / 3, 1e-15, 0));
  assert_true(s.min == 1 && s.max == 4 && s.mean == 2.5 && s.sum == 10);
  const double z[2] = {0, 0};
  assert_int_equal(segkit_weight_summarise(2, z, &s, &err), SEGKIT_ERR_USAGE);
  const double bad[2] = {1, -1};
  assert_int_equal(segkit_weight_summarise(2, bad, &s, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "respondent 1"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(survey_rake_matches_r_rake),
      cmocka_unit_test(survey_rake_base_weights_and_total),
      cmocka_unit_test(survey_rake_trim_matches_r_trimweights),
      cmocka_unit_test(survey_rake_spec_maps_labels),
      cmocka_unit_test(survey_rake_hand_two_by_two),
      cmocka_unit_test(survey_rake_contradictory_margins_do_not_converge),
      cmocka_unit_test(survey_rake_rejects_bad_input),
      cmocka_unit_test(survey_rake_normalises_shares_and_keeps_zero_weights),
      cmocka_unit_test(survey_rake_one_respondent),
      cmocka_unit_test(survey_rake_trim_impossible_is_reported),
      cmocka_unit_test(survey_weight_summary_by_hand),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
