/* The typing tool (golden questions) against scikit-learn: tests/data/survey/
 * typing_reference.py runs LinearDiscriminantAnalysis(solver = "lsqr") through the same
 * greedy forward selection on typing_survey.csv and writes typing_reference.txt (chosen
 * questions, CV path, held-out accuracy, confusion matrix, held-out predictions one by
 * one, the final model's predictions and posteriors, and a second configuration with 10
 * folds and 25% held out). A drift test reruns the script when /usr/bin/python3 has
 * sklearn. Plus a two-class, one-question case worked by hand, hostile input (a constant
 * or duplicated question, a one-respondent segment, k = 1, n below folds, NaN answers,
 * codes out of range, bad JSON) and a timing run at 2,000 x 60. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segkit/survey.h"
#include "testkit.h"

#define REF_N 600
#define REF_P 12
#define REF_K 4

/* ==== fixtures ========================================================================== */

typedef struct ref_data {
  double x[REF_N * REF_P];
  int32_t y[REF_N];
} ref_data;

static ref_data *load_survey(void) {
  char path[1024];
  snprintf(path, sizeof path, "%s/survey/typing_survey.csv", SEGKIT_TEST_DATA);
  size_t size = 0;
  char *text = tu_read_file(path, &size);
  assert_non_null(text);
  ref_data *d = calloc(1, sizeof *d);
  assert_non_null(d);
  char *line = strchr(text, '\n') + 1; /* header: id,q1..q12,segment */
  for (size_t i = 0; i < REF_N; i++) {
    char *end = NULL;
    strtol(line, &end, 10); /* id */
    for (size_t j = 0; j < REF_P; j++) {
      assert_int_equal(*end, ',');
      d->x[i * REF_P + j] = strtod(end + 1, &end);
    }
    assert_int_equal(*end, ',');
    d->y[i] = (int32_t)strtol(end + 1, &end, 10);
    line = end + 1;
  }
  free(text);
  return d;
}

/* Numbers on the line of typing_reference.txt starting with "key "; returns the count. */
static size_t ref_values(const char *key, double *out, size_t max) {
  char path[1024];
  snprintf(path, sizeof path, "%s/survey/typing_reference.txt", SEGKIT_TEST_DATA);
  size_t size = 0;
  char *text = tu_read_file(path, &size);
  assert_non_null(text);
  size_t klen = strlen(key);
  size_t count = 0;
  for (char *line = text; line != NULL && *line != '\0';) {
    char *next = strchr(line, '\n');
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
      char *p = line + klen;
      char *end = NULL;
      while (count < max) {
        double v = strtod(p, &end);
        if (end == p) {
          break;
        }
        out[count++] = v;
        p = end;
      }
      break;
    }
    line = next != NULL ? next + 1 : NULL;
  }
  free(text);
  return count;
}

static segkit_typing *fit_ok(const segkit_typing_input *in, const segkit_typing_options *o) {
  segkit_typing *t = NULL;
  segkit_error err;
  if (segkit_typing_new(in, o, &t, &err) != SEGKIT_OK) {
    fail_msg("segkit_typing_new: %s", err.message);
  }
  return t;
}

static segkit_status fit_fails(const segkit_typing_input *in, const segkit_typing_options *o,
                               segkit_error *err) {
  segkit_typing *t = (segkit_typing *)(uintptr_t)1; /* must stay untouched */
  segkit_status st = segkit_typing_new(in, o, &t, err);
  assert_int_not_equal(st, SEGKIT_OK);
  assert_true(t == (segkit_typing *)(uintptr_t)1);
  return st;
}

/* The selection results of t against the reference lines prefix + "chosen" etc. */
static void check_against_reference(const segkit_typing *t, const char *prefix,
                                    size_t n_train, uint32_t shift) {
  const segkit_typing_view *v = segkit_typing_get(t);
  char key[64];
  double chosen[REF_P];
  double path[REF_P];
  double acc = 0.0;
  double conf[REF_K * REF_K];
  double pred[REF_N];
  snprintf(key, sizeof key, "%schosen", prefix);
  size_t q = ref_values(key, chosen, REF_P);
  snprintf(key, sizeof key, "%scv_path", prefix);
  assert_int_equal(ref_values(key, path, REF_P), q);
  snprintf(key, sizeof key, "%sholdout_accuracy", prefix);
  assert_int_equal(ref_values(key, &acc, 1), 1);
  snprintf(key, sizeof key, "%sconfusion", prefix);
  assert_int_equal(ref_values(key, conf, REF_K * REF_K), REF_K * REF_K);
  snprintf(key, sizeof key, "%sholdout_pred", prefix);
  assert_int_equal(ref_values(key, pred, REF_N), REF_N - n_train);

  assert_int_equal(v->n_chosen, q);
  assert_int_equal(v->n_train, n_train);
  assert_int_equal(v->n_holdout, REF_N - n_train);
  for (size_t a = 0; a < q; a++) {
    assert_int_equal(v->chosen[a], (uint32_t)chosen[a] + shift);
    assert_true(fabs(v->cv_accuracy[a] - path[a]) <= 1e-12);
  }
  assert_true(fabs(v->holdout_accuracy - acc) <= 1e-12);
  for (size_t c = 0; c < REF_K; c++) {
    double row = 0.0;
    for (size_t d = 0; d < REF_K; d++) {
      assert_int_equal(v->confusion[c * REF_K + d], (uint64_t)conf[c * REF_K + d]);
      row += conf[c * REF_K + d];
    }
    assert_true(fabs(v->recall[c] - conf[c * REF_K + c] / row) <= 1e-15);
  }
  for (size_t h = 0; h < v->n_holdout; h++) {
    if (v->holdout_pred[h] != (int32_t)pred[h]) {
      fail_msg("held-out respondent %zu: segkit %d, sklearn %d", n_train + h,
               (int)v->holdout_pred[h], (int)pred[h]);
    }
  }
}

/* ==== against scikit-learn ============================================================== */

static void survey_typing_matches_sklearn(void **state) {
  (void)state;
  ref_data *d = load_survey();
  const char *names[REF_P] = {"q1", "q2", "q3", "q4", "q5", "q6",
                              "q7", "q8", "q9", "q10", "q11", "q12"};
  segkit_typing_input in = {REF_N, REF_P, d->x, names, d->y, REF_K};
  segkit_typing_options o = {.max_questions = 4};
  segkit_typing *t = fit_ok(&in, &o);
  check_against_reference(t, "", 480, 0);
  const segkit_typing_view *v = segkit_typing_get(t);
  assert_string_equal(v->chosen_names[0], "q4");
  assert_string_equal(v->chosen_names[3], "q11");
  assert_int_equal(v->folds, 5);
  segkit_typing_free(t);
  free(d);
}

/* The final model (all 600 respondents, chosen questions) types every respondent as
 * sklearn's refit does, with its predict_proba as posteriors. */
static void survey_typing_final_model_matches_sklearn(void **state) {
  (void)state;
  ref_data *d = load_survey();
  segkit_typing_input in = {REF_N, REF_P, d->x, NULL, d->y, REF_K};
  segkit_typing_options o = {.max_questions = 4};
  segkit_typing *t = fit_ok(&in, &o);
  const segkit_typing_view *v = segkit_typing_get(t);
  assert_string_equal(v->chosen_names[1], "q1"); /* generated names */
  double *answers = malloc(REF_N * 4 * sizeof *answers);
  int32_t *seg = malloc(REF_N * sizeof *seg);
  double *post = malloc(REF_N * REF_K * sizeof *post);
  for (size_t i = 0; i < REF_N; i++) {
    for (size_t a = 0; a < 4; a++) {
      answers[i * 4 + a] = d->x[i * REF_P + v->chosen[a]];
    }
  }
  segkit_error err;
  assert_int_equal(segkit_typing_classify(t, REF_N, answers, seg, post, &err), SEGKIT_OK);
  double pred[REF_N];
  double proba[20 * REF_K];
  assert_int_equal(ref_values("final_pred", pred, REF_N), REF_N);
  assert_int_equal(ref_values("final_proba", proba, 20 * REF_K), 20 * REF_K);
  for (size_t i = 0; i < REF_N; i++) {
    assert_int_equal(seg[i], (int32_t)pred[i]);
  }
  for (size_t t_ = 0; t_ < 20 * REF_K; t_++) {
    assert_true(fabs(post[t_] - proba[t_]) <= 1e-10);
  }
  size_t count[REF_K] = {0};
  for (size_t i = 0; i < REF_N; i++) {
    count[d->y[i]]++;
  }
  for (size_t c = 0; c < REF_K; c++) {
    assert_true(fabs(v->prior[c] - (double)count[c] / REF_N) <= 1e-15);
  }
  segkit_typing_free(t);
  free(answers);
  free(seg);
  free(post);
  free(d);
}

/* 10 folds, the last 25% held out, 6 steps: a path whose last step gains nothing. */
static void survey_typing_options_match_sklearn(void **state) {
  (void)state;
  ref_data *d = load_survey();
  segkit_typing_input in = {REF_N, REF_P, d->x, NULL, d->y, REF_K};
  segkit_typing_options o = {.max_questions = 6, .folds = 10, .holdout_share = 0.25};
  segkit_typing *t = fit_ok(&in, &o);
  check_against_reference(t, "b_", 450, 0);
  segkit_typing_free(t);
  free(d);
}

/* min_gain stops where sklearn's path gains less: the "b_" path gains 0.4933, +0.1378,
 * +0.0578, +0.0578, +0.0044, +0. */
static void survey_typing_min_gain_stops_early(void **state) {
  (void)state;
  ref_data *d = load_survey();
  double path[6];
  assert_int_equal(ref_values("b_cv_path", path, 6), 6);
  segkit_typing_input in = {REF_N, REF_P, d->x, NULL, d->y, REF_K};
  const double gains[3] = {0.001, 0.01, 0.1};
  const uint32_t expect[3] = {5, 4, 2};
  for (size_t g = 0; g < 3; g++) {
    segkit_typing_options o = {
        .max_questions = 6, .folds = 10, .holdout_share = 0.25, .min_gain = gains[g]};
    segkit_typing *t = fit_ok(&in, &o);
    const segkit_typing_view *v = segkit_typing_get(t);
    assert_int_equal(v->n_chosen, expect[g]);
    for (uint32_t a = 0; a < v->n_chosen; a++) {
      assert_true(fabs(v->cv_accuracy[a] - path[a]) <= 1e-12);
    }
    /* the first step not taken is exactly the one whose gain is below min_gain */
    assert_true(path[expect[g]] - path[expect[g] - 1] < gains[g]);
    segkit_typing_free(t);
  }
  free(d);
}

/* ==== worked by hand ==================================================================== */

/* One question, segment 0 answers {0, 1, 2} (mean 1), segment 1 {4, 6} (mean 5).
 * Scatter 2 + 2 = 4, S = 4 / 5 = 0.8 (divisor n, as sklearn), priors 3/5, 2/5:
 * d1 - d0 = x (5 - 1) / 0.8 - (25 - 1) / (2 x 0.8) + log(2/3) = 5x - 15 + log(2/3),
 * boundary x = 3 - log(2/3) / 5 = 3.0810930216. Leave-one-out (5 folds of 1) types all
 * five correctly (e.g. without 4: means 1 and 6, S = 0.5, d1 - d0 at 4 = 40 - 35 -
 * log 3 > 0), so the path is {1}. */
static void survey_typing_two_classes_by_hand(void **state) {
  (void)state;
  double x[5] = {0, 1, 2, 4, 6};
  int32_t y[5] = {0, 0, 0, 1, 1};
  segkit_typing_input in = {5, 1, x, NULL, y, 2};
  segkit_typing_options o = {.max_questions = 1, .folds = 5, .no_holdout = true};
  segkit_typing *t = fit_ok(&in, &o);
  const segkit_typing_view *v = segkit_typing_get(t);
  assert_int_equal(v->n_chosen, 1);
  assert_true(v->cv_accuracy[0] == 1.0);
  assert_true(isnan(v->holdout_accuracy));
  assert_true(isnan(v->recall[0]) && isnan(v->recall[1]));
  assert_null(v->holdout_pred);
  assert_true(fabs(v->prior[0] - 0.6) < 1e-15 && fabs(v->prior[1] - 0.4) < 1e-15);
  double boundary = 3.0 - log(2.0 / 3.0) / 5.0;
  double probe[5] = {boundary - 1e-9, boundary + 1e-9, 3.0, 4.0, -10.0};
  int32_t seg[5];
  double post[10];
  segkit_error err;
  assert_int_equal(segkit_typing_classify(t, 5, probe, seg, post, &err), SEGKIT_OK);
  int32_t expect[5] = {0, 1, 0, 1, 0};
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(seg[i], expect[i]);
    double p1 = 1.0 / (1.0 + exp(-(5.0 * probe[i] - 15.0 + log(2.0 / 3.0))));
    assert_true(fabs(post[2 * i + 1] - p1) <= 1e-12);
    assert_true(fabs(post[2 * i] + post[2 * i + 1] - 1.0) <= 1e-15);
  }
  assert_true(fabs(post[2 * 2 + 1] - 0.4) <= 1e-12); /* at x = 3: the prior odds */
  /* posteriors may be NULL */
  assert_int_equal(segkit_typing_classify(t, 2, probe, seg, NULL, &err), SEGKIT_OK);
  segkit_typing_free(t);
}

/* ==== hostile input ===================================================================== */

/* A constant question changes nothing: put one in front of the reference items and the
 * selection and its path are the reference's, shifted by one. */
static void survey_typing_constant_question_is_harmless(void **state) {
  (void)state;
  ref_data *d = load_survey();
  size_t p = REF_P + 1;
  double *x = malloc(REF_N * p * sizeof *x);
  for (size_t i = 0; i < REF_N; i++) {
    x[i * p] = 3.0;
    memcpy(x + i * p + 1, d->x + i * REF_P, REF_P * sizeof *x);
  }
  segkit_typing_input in = {REF_N, (uint32_t)p, x, NULL, d->y, REF_K};
  segkit_typing_options o = {.max_questions = 4};
  segkit_typing *t = fit_ok(&in, &o);
  check_against_reference(t, "", 480, 1);
  segkit_typing_free(t);
  /* A copy of q4 as the last question (exactly collinear once q4 is in: S singular)
   * loses the tie with q4 at the first step and adds nothing after. */
  for (size_t i = 0; i < REF_N; i++) {
    memcpy(x + i * p, d->x + i * REF_P, REF_P * sizeof *x);
    x[i * p + REF_P] = d->x[i * REF_P + 3];
  }
  t = fit_ok(&in, &o);
  check_against_reference(t, "", 480, 0);
  segkit_typing_free(t);
  free(x);
  free(d);
}

/* An exactly collinear pair with a variance far above the others' mean (a question
 * asked twice, in cents, among 40 scales of 1-5): the pair's second pivot after the ridge
 * r = 1e-9 x mean variance is ~2r, below 1e-10 x its variance once that variance exceeds
 * ~20 x the mean. The ridged refactorisation must accept it, so the model still types by
 * the informative question instead of falling back to the priors. */
static void survey_typing_collinear_large_scale(void **state) {
  (void)state;
  enum { N = 100, P = 42 };
  double *x = malloc(N * P * sizeof *x);
  int32_t y[N];
  uint64_t s = 7;
  for (size_t i = 0; i < N; i++) {
    y[i] = (int32_t)(i % 2);
    x[i * P] = y[i] * 2.0 + (double)(i % 5) * 0.3;
    for (size_t j = 1; j < P - 2; j++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      x[i * P + j] = (double)(1 + (s >> 33) % 5);
    }
    x[i * P + P - 2] = (double)((i * 7) % 11) * 100.0;
    x[i * P + P - 1] = x[i * P + P - 2];
  }
  segkit_typing_input in = {N, P, x, NULL, y, 2};
  segkit_typing_options o = {.max_questions = P, .folds = 2, .no_holdout = true};
  segkit_typing *t = fit_ok(&in, &o);
  const segkit_typing_view *v = segkit_typing_get(t);
  assert_int_equal(v->n_chosen, P);
  assert_int_equal(v->chosen[0], 0);
  double probe[2 * P];
  for (size_t a = 0; a < P; a++) {
    uint32_t j = v->chosen[a];
    probe[a] = j == 0 ? 0.6 : j >= P - 2 ? 500.0 : 3.0;
    probe[P + a] = j == 0 ? 2.6 : j >= P - 2 ? 500.0 : 3.0;
  }
  int32_t seg[2];
  segkit_error err;
  assert_int_equal(segkit_typing_classify(t, 2, probe, seg, NULL, &err), SEGKIT_OK);
  assert_int_equal(seg[0], 0);
  assert_int_equal(seg[1], 1);
  segkit_typing_free(t);
  free(x);
}

/* Only a constant question: the model is the priors; every fold's majority is segment 0
 * (at least 5 of 8), so 7 of 10 are typed correctly. */
static void survey_typing_only_constant_question(void **state) {
  (void)state;
  double x[10] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
  int32_t y[10] = {0, 1, 0, 0, 1, 0, 0, 1, 0, 0};
  segkit_typing_input in = {10, 1, x, NULL, y, 2};
  segkit_typing_options o = {.no_holdout = true};
  segkit_typing *t = fit_ok(&in, &o);
  const segkit_typing_view *v = segkit_typing_get(t);
  assert_true(fabs(v->cv_accuracy[0] - 0.7) <= 1e-15);
  int32_t seg[1];
  double post[2];
  double probe[1] = {5.0};
  segkit_error err;
  assert_int_equal(segkit_typing_classify(t, 1, probe, seg, post, &err), SEGKIT_OK);
  assert_int_equal(seg[0], 0);
  assert_true(fabs(post[0] - 0.7) <= 1e-12);
  segkit_typing_free(t);
}

/* A segment with one respondent: the fold that holds it cannot predict it (its
 * training part has none), nothing breaks, and the final model keeps it with prior 1/n;
 * path and posteriors as sklearn's ("tiny_" in the reference, the same data). A segment
 * with no respondents at all gets prior 0 and posterior 0. */
static void survey_typing_tiny_segments(void **state) {
  (void)state;
  double x[24];
  int32_t y[12];
  for (size_t i = 0; i < 12; i++) {
    y[i] = i == 5 ? 2 : (int32_t)(i % 2);
    x[2 * i] = (double)y[i] * 3.0 + (double)(i % 3) * 0.5;
    x[2 * i + 1] = (double)((i * 7) % 5);
  }
  segkit_typing_input in = {12, 2, x, NULL, y, 4};
  segkit_typing_options o = {.no_holdout = true, .folds = 3};
  segkit_typing *t = fit_ok(&in, &o);
  const segkit_typing_view *v = segkit_typing_get(t);
  assert_int_equal(v->n_chosen, 2);
  assert_true(fabs(v->prior[2] - 1.0 / 12.0) <= 1e-15);
  assert_true(v->prior[3] == 0.0);
  double probe[2] = {6.0, 1.0};
  int32_t seg[1];
  double post[4];
  segkit_error err;
  assert_int_equal(segkit_typing_classify(t, 1, probe, seg, post, &err), SEGKIT_OK);
  assert_true(post[3] == 0.0);
  double chosen[2];
  double path[2];
  double proba[3];
  assert_int_equal(ref_values("tiny_chosen", chosen, 2), 2);
  assert_int_equal(ref_values("tiny_cv_path", path, 2), 2);
  assert_int_equal(ref_values("tiny_proba", proba, 3), 3);
  for (size_t a = 0; a < 2; a++) {
    assert_int_equal(v->chosen[a], (uint32_t)chosen[a]);
    assert_true(fabs(v->cv_accuracy[a] - path[a]) <= 1e-12);
  }
  for (size_t c = 0; c < 3; c++) {
    assert_true(fabs(post[c] - proba[c]) <= 1e-9 * proba[c] + 1e-300);
  }
  assert_int_equal(seg[0], 2);
  segkit_typing_free(t);
}

static void survey_typing_refuses_bad_input(void **state) {
  (void)state;
  double x[12] = {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6};
  int32_t y[6] = {0, 1, 0, 1, 0, 1};
  const char *names[2] = {"like", "price"};
  segkit_typing_options none = {.no_holdout = true, .folds = 2};
  segkit_error err;
  /* k = 1 */
  segkit_typing_input in = {6, 2, x, names, y, 1};
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_USAGE);
  /* all training respondents in one segment */
  int32_t same[6] = {0, 0, 0, 0, 0, 0};
  in = (segkit_typing_input){6, 2, x, names, same, 2};
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_USAGE);
  /* n smaller than folds */
  in = (segkit_typing_input){6, 2, x, names, y, 2};
  segkit_typing_options o = {.no_holdout = true, .folds = 10};
  assert_int_equal(fit_fails(&in, &o, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "folds");
  /* the default held-out part leaves 5 of 6 for 5 folds: fine; 0.5 leaves 3 */
  o = (segkit_typing_options){.holdout_share = 0.5};
  assert_int_equal(fit_fails(&in, &o, &err), SEGKIT_ERR_USAGE);
  /* a held-out share that holds out nobody, or is out of range */
  o = (segkit_typing_options){.holdout_share = 0.1, .folds = 2};
  assert_int_equal(fit_fails(&in, &o, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "holdout_share");
  o = (segkit_typing_options){.holdout_share = NAN};
  assert_int_equal(fit_fails(&in, &o, &err), SEGKIT_ERR_USAGE);
  o = (segkit_typing_options){.min_gain = -0.1, .no_holdout = true, .folds = 2};
  assert_int_equal(fit_fails(&in, &o, &err), SEGKIT_ERR_USAGE);
  o = (segkit_typing_options){.folds = 1, .no_holdout = true};
  assert_int_equal(fit_fails(&in, &o, &err), SEGKIT_ERR_USAGE);
  o = (segkit_typing_options){.max_questions = SEGKIT_TYPING_MAX_QUESTIONS + 1};
  assert_int_equal(fit_fails(&in, &o, &err), SEGKIT_ERR_LIMIT);
  in.n_segments = 5000; /* a 5000 x 5000 confusion matrix is over the statistics bound */
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_LIMIT);
  in.n_segments = 2;
  /* NaN answer: named by respondent and question */
  x[7] = NAN;
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "price");
  assert_non_null(strstr(err.message, "respondent 3"));
  x[7] = INFINITY;
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_USAGE);
  x[7] = 2;
  /* codes out of range */
  int32_t bad[6] = {0, 1, 0, 2, 0, 1};
  in.segments = bad;
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "respondent 3"));
  bad[3] = -1;
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_USAGE);
  in.segments = y;
  /* duplicate or missing names, missing arrays */
  const char *dup[2] = {"like", "like"};
  in.question_names = dup;
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_USAGE);
  const char *missing[2] = {"like", NULL};
  in.question_names = missing;
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_USAGE);
  in.question_names = names;
  in.answers = NULL;
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(fit_fails(NULL, &none, &err), SEGKIT_ERR_USAGE);
  in.answers = x;
  in.n_questions = 0;
  assert_int_equal(fit_fails(&in, &none, &err), SEGKIT_ERR_USAGE);
  in.n_questions = 2;
  /* classify: NaN refused, nothing written */
  segkit_typing *t = fit_ok(&in, &none);
  const segkit_typing_view *v = segkit_typing_get(t);
  double probe[4] = {1, 2, 3, NAN};
  int32_t seg[2] = {-7, -7};
  assert_int_equal(segkit_typing_classify(t, 2, probe, seg, NULL, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, v->chosen_names[1]);
  assert_int_equal(seg[0], -7);
  assert_int_equal(segkit_typing_classify(NULL, 1, probe, seg, NULL, &err),
                   SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_typing_classify(t, 0, NULL, NULL, NULL, &err), SEGKIT_OK);
  char *json = NULL;
  assert_int_equal(segkit_typing_to_json(NULL, &json, &err), SEGKIT_ERR_USAGE);
  assert_null(json);
  segkit_typing_free(t);
  segkit_typing_free(NULL);
  assert_null(segkit_typing_get(NULL));
}

/* ==== JSON ============================================================================== */

static void survey_typing_json_round_trip(void **state) {
  (void)state;
  ref_data *d = load_survey();
  segkit_typing_input in = {REF_N, REF_P, d->x, NULL, d->y, REF_K};
  segkit_typing_options o = {.max_questions = 4};
  segkit_typing *t = fit_ok(&in, &o);
  segkit_error err;
  char *json = NULL;
  assert_int_equal(segkit_typing_to_json(t, &json, &err), SEGKIT_OK);
  segkit_typing *back = NULL;
  assert_int_equal(segkit_typing_from_json(json, &back, &err), SEGKIT_OK);
  const segkit_typing_view *a = segkit_typing_get(t);
  const segkit_typing_view *b = segkit_typing_get(back);
  assert_int_equal(b->n_chosen, a->n_chosen);
  assert_int_equal(b->n_questions, REF_P);
  assert_int_equal(b->folds, 5);
  assert_int_equal(b->n, REF_N);
  assert_int_equal(b->n_train, 480);
  assert_true(b->holdout_accuracy == a->holdout_accuracy);
  assert_null(b->holdout_pred);
  for (uint32_t q = 0; q < a->n_chosen; q++) {
    assert_int_equal(b->chosen[q], a->chosen[q]);
    assert_string_equal(b->chosen_names[q], a->chosen_names[q]);
    assert_true(b->cv_accuracy[q] == a->cv_accuracy[q]);
  }
  for (uint32_t c = 0; c < REF_K * REF_K; c++) {
    assert_int_equal(b->confusion[c], a->confusion[c]);
  }
  for (uint32_t c = 0; c < REF_K; c++) {
    assert_true(b->prior[c] == a->prior[c]);
    assert_true(b->recall[c] == a->recall[c]);
  }
  /* types all 600 exactly as the original, posteriors to the last bit */
  double *answers = malloc(REF_N * 4 * sizeof *answers);
  for (size_t i = 0; i < REF_N; i++) {
    for (size_t q = 0; q < 4; q++) {
      answers[i * 4 + q] = d->x[i * REF_P + a->chosen[q]];
    }
  }
  int32_t *s1 = malloc(REF_N * sizeof *s1);
  int32_t *s2 = malloc(REF_N * sizeof *s2);
  double *p1 = malloc(REF_N * REF_K * sizeof *p1);
  double *p2 = malloc(REF_N * REF_K * sizeof *p2);
  assert_int_equal(segkit_typing_classify(t, REF_N, answers, s1, p1, &err), SEGKIT_OK);
  assert_int_equal(segkit_typing_classify(back, REF_N, answers, s2, p2, &err), SEGKIT_OK);
  assert_memory_equal(s1, s2, REF_N * sizeof *s1);
  assert_memory_equal(p1, p2, REF_N * REF_K * sizeof *p1);
  /* a segment of prior 0 round-trips (constant null) */
  char *again = NULL;
  assert_int_equal(segkit_typing_to_json(back, &again, &err), SEGKIT_OK);
  assert_string_equal(again, json);
  free(again);
  free(answers);
  free(s1);
  free(s2);
  free(p1);
  free(p2);
  free(json);
  segkit_typing_free(back);
  segkit_typing_free(t);
  free(d);
}

/* Replace the first occurrence of from by to in a copy of json. */
static char *edited(const char *json, const char *from, const char *to) {
  const char *at = strstr(json, from);
  assert_non_null(at);
  size_t head = (size_t)(at - json);
  char *out = malloc(strlen(json) + strlen(to) + 1);
  assert_non_null(out);
  memcpy(out, json, head);
  strcpy(out + head, to);
  strcat(out, at + strlen(from));
  return out;
}

static void survey_typing_json_refuses_bad_documents(void **state) {
  (void)state;
  double x[5] = {0, 1, 2, 4, 6};
  int32_t y[5] = {0, 0, 0, 1, 1};
  segkit_typing_input in = {5, 1, x, NULL, y, 3}; /* segment 2 empty: prior 0 */
  segkit_typing_options o = {.folds = 5, .no_holdout = true};
  segkit_typing *t = fit_ok(&in, &o);
  char *json = NULL;
  segkit_error err;
  assert_int_equal(segkit_typing_to_json(t, &json, &err), SEGKIT_OK);
  segkit_typing *back = NULL;
  assert_int_equal(segkit_typing_from_json(json, &back, &err), SEGKIT_OK);
  double probe[1] = {3.5};
  double post[3];
  int32_t seg[1];
  assert_int_equal(segkit_typing_classify(back, 1, probe, seg, post, &err), SEGKIT_OK);
  assert_int_equal(seg[0], 1);
  assert_true(post[2] == 0.0);
  segkit_typing_free(back);

  back = (segkit_typing *)(uintptr_t)1;
  assert_int_equal(segkit_typing_from_json("{not json", &back, &err), SEGKIT_ERR_PARSE);
  assert_int_equal(segkit_typing_from_json("[]", &back, &err), SEGKIT_ERR_SCHEMA);
  assert_int_equal(segkit_typing_from_json(NULL, &back, &err), SEGKIT_ERR_USAGE);
  struct {
    const char *from;
    const char *to;
    const char *field;
  } cases[] = {
      {"\"segkit-typing\"", "\"segkit-cluster\"", "format"},
      {"\"version\": 1", "\"version\": 2", "version"},
      {"\"n_segments\": 3", "\"n_segments\": 1", "n_segments"},
      {"\"n_train\": 5", "\"n_train\": 4", "n_holdout"},
      {"\"index\": 0", "\"index\": 1", "questions[0].index"},
      {"\"prior\": 0.59999999999999998", "\"prior\": 0.7", "segments"},
      {"\"constant\": null", "\"constant\": 1.0", "segments[2].constant"},
      {"\"cv_accuracy\": 1.0", "\"cv_accuracy\": 1.5", "questions[0].cv_accuracy"},
      {"\"coef\": [", "\"coef\": [1, ", "segments[0].coef"},
      {"\"confusion\": [", "\"confusion\": [-1, ", "segments[0].confusion"},
      {"\"name\": \"q1\"", "\"name\": 7", "questions[0].name"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char *bad = edited(json, cases[c].from, cases[c].to);
    segkit_status st = segkit_typing_from_json(bad, &back, &err);
    if (st != SEGKIT_ERR_SCHEMA || strcmp(err.field, cases[c].field) != 0) {
      fail_msg("case %zu (%s): status %d field '%s' (%s)", c, cases[c].to, (int)st,
               err.field, err.message);
    }
    free(bad);
  }
  assert_true(back == (segkit_typing *)(uintptr_t)1);
  free(json);
  segkit_typing_free(t);
}

/* ==== scale and drift =================================================================== */

/* 2,000 respondents x 60 questions, 5 segments, limit 8, 10 folds (the size the brief
 * names). A fixed LCG makes the data; three questions carry the segments. */
static void survey_typing_runs_at_scale(void **state) {
  (void)state;
  size_t n = 2000;
  uint32_t p = 60;
  double *x = malloc(n * p * sizeof *x);
  int32_t *y = malloc(n * sizeof *y);
  uint64_t s = 20261126;
  for (size_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    y[i] = (int32_t)((s >> 33) % 5);
    for (uint32_t j = 0; j < p; j++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      double noise = (double)(s >> 11) / 9007199254740992.0 * 4.0;
      double signal = j == 7 ? y[i] : j == 21 ? (y[i] % 2) * 2.0 : j == 40 ? (y[i] > 2) : 0;
      x[i * p + j] = floor(1.0 + noise + signal);
    }
  }
  segkit_typing_input in = {n, p, x, NULL, y, 5};
  segkit_typing_options o = {.max_questions = 8, .folds = 10};
  struct timespec t0;
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  segkit_typing *t = fit_ok(&in, &o);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  const segkit_typing_view *v = segkit_typing_get(t);
  printf("typing 2000 x 60, limit 8, 10 folds: %.3f s, held-out accuracy %.3f\n", secs,
         v->holdout_accuracy);
  assert_int_equal(v->n_chosen, 8);
  /* the three informative questions come first, in some order */
  bool seen[60] = {false};
  for (uint32_t a = 0; a < 3; a++) {
    seen[v->chosen[a]] = true;
  }
  assert_true(seen[7] && seen[21] && seen[40]);
  for (uint32_t a = 1; a < 3; a++) {
    assert_true(v->cv_accuracy[a] > v->cv_accuracy[a - 1]);
  }
  segkit_typing_free(t);
  free(x);
  free(y);
}

static int have_sklearn(void) {
  return system("/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1") == 0;
}

static void survey_typing_reference_has_not_drifted(void **state) {
  (void)state;
  if (!have_sklearn()) {
    skip();
  }
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 '%s/survey/typing_reference.py' '%s' >/dev/null 2>&1",
           SEGKIT_TEST_DATA, dir);
  assert_int_equal(system(cmd), 0);
  const char *files[2] = {"typing_survey.csv", "typing_reference.txt"};
  for (size_t f = 0; f < 2; f++) {
    char committed[1024];
    snprintf(committed, sizeof committed, "%s/survey/%s", SEGKIT_TEST_DATA, files[f]);
    char *fresh = tu_path_join(dir, files[f]);
    char why[512] = "";
    long tokens = tu_compare_tokens(committed, fresh, 1e-9, 1e-15, why, sizeof why);
    if (tokens < 0) {
      fail_msg("%s: %s", files[f], why);
    }
    assert_true(tokens > 100);
    free(fresh);
  }
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(survey_typing_matches_sklearn),
      cmocka_unit_test(survey_typing_final_model_matches_sklearn),
      cmocka_unit_test(survey_typing_options_match_sklearn),
      cmocka_unit_test(survey_typing_min_gain_stops_early),
      cmocka_unit_test(survey_typing_two_classes_by_hand),
      cmocka_unit_test(survey_typing_constant_question_is_harmless),
      cmocka_unit_test(survey_typing_collinear_large_scale),
      cmocka_unit_test(survey_typing_only_constant_question),
      cmocka_unit_test(survey_typing_tiny_segments),
      cmocka_unit_test(survey_typing_refuses_bad_input),
      cmocka_unit_test(survey_typing_json_round_trip),
      cmocka_unit_test(survey_typing_json_refuses_bad_documents),
      cmocka_unit_test(survey_typing_runs_at_scale),
      cmocka_unit_test(survey_typing_reference_has_not_drifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
