/* typing.c: the typing tool: golden-question selection by greedy forward search on
 * cross-validated discriminant accuracy, an honest held-out evaluation, and the final
 * model that types new respondents.
 *
 * Key design choice: the data are read once. The training part's answers are centred on
 * their means and accumulated per fold into counts, per-segment sums and the full
 * cross-product matrix (typing_lda.c fits from those alone); a cross-validation fit on
 * "every fold but f" over the questions in play is then totals minus fold f, O(k q^2)
 * to assemble, and only the typing of the left-out respondents touches the raw answers.
 * 2,000 respondents x 60 questions, 8 questions, 10 folds is ~450 candidate sets x 10
 * fits plus ~16M multiply-adds of typing: 0.02-0.04 s in Release (2026-11-26, shared
 * 2-core machine; test survey_typing_runs_at_scale prints it).
 *
 * The procedure (segkit/survey.h, "typing tool") is the one
 * tests/data/survey/typing_reference.py runs with scikit-learn: folds by index
 * (respondent i of the training part in fold i mod folds, no shuffling, so results are
 * reproducible and the reference can copy them), ties to the lowest question index
 * (accuracies are compared as counts of respondents typed correctly, so a tie is exact).
 * Forward selection's accuracy estimates are optimistic, since the same folds pick the
 * questions and score them (Ambroise & McLachlan 2002, PNAS 99:6562); the held-out part,
 * which never enters the selection, is the honest figure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "survey/typing_int.h"

#define DEFAULT_MAX_QUESTIONS 8
#define DEFAULT_FOLDS 5
#define DEFAULT_HOLDOUT 0.2
/* Bound on the statistics kept per fold (doubles), ~128 MB. */
#define MAX_FOLD_STATS 16777216.0

/* ==== the object ======================================================================== */

void segkit_typing_free(segkit_typing *t) {
  if (t == NULL) {
    return;
  }
  if (t->chosen_names != NULL) {
    for (uint32_t i = 0; i < t->view.n_chosen; i++) {
      free(t->chosen_names[i]);
    }
  }
  free(t->chosen);
  free(t->chosen_names);
  free(t->cv_accuracy);
  free(t->confusion);
  free(t->recall);
  free(t->holdout_pred);
  free(t->prior);
  free(t->center);
  free(t->coef);
  free(t->constant);
  free(t);
}

segkit_typing *sk__typing_alloc(uint32_t k, uint32_t q, size_t n_holdout, bool with_pred) {
  segkit_typing *t = calloc(1, sizeof *t);
  if (t == NULL) {
    return NULL;
  }
  t->view.n_segments = k;
  t->view.n_chosen = q;
  t->chosen = calloc(q, sizeof *t->chosen);
  t->chosen_names = calloc(q, sizeof *t->chosen_names);
  t->cv_accuracy = calloc(q, sizeof *t->cv_accuracy);
  t->confusion = calloc((size_t)k * k, sizeof *t->confusion);
  t->recall = calloc(k, sizeof *t->recall);
  t->prior = calloc(k, sizeof *t->prior);
  t->center = calloc(q, sizeof *t->center);
  t->coef = calloc((size_t)k * q, sizeof *t->coef);
  t->constant = calloc(k, sizeof *t->constant);
  bool need_pred = with_pred && n_holdout > 0;
  if (need_pred) {
    t->holdout_pred = calloc(n_holdout, sizeof *t->holdout_pred);
  }
  if (t->chosen == NULL || t->chosen_names == NULL || t->cv_accuracy == NULL ||
      t->confusion == NULL || t->recall == NULL || t->prior == NULL || t->center == NULL ||
      t->coef == NULL || t->constant == NULL || (need_pred && t->holdout_pred == NULL)) {
    segkit_typing_free(t);
    return NULL;
  }
  t->view.chosen = t->chosen;
  t->view.chosen_names = (const char *const *)t->chosen_names;
  t->view.cv_accuracy = t->cv_accuracy;
  t->view.confusion = t->confusion;
  t->view.recall = t->recall;
  t->view.holdout_pred = t->holdout_pred;
  t->view.prior = t->prior;
  return t;
}

const segkit_typing_view *segkit_typing_get(const segkit_typing *t) {
  return t != NULL ? &t->view : NULL;
}

/* ==== input checks ====================================================================== */

typedef struct plan {
  uint32_t max_questions;
  uint32_t folds;
  size_t n_train;
  size_t n_holdout;
  double min_gain;
} plan;

static const char *question_name(const segkit_typing_input *in, uint32_t j, char *buf,
                                 size_t size) {
  if (in->question_names != NULL) {
    return in->question_names[j];
  }
  snprintf(buf, size, "q%u", j + 1);
  return buf;
}

static segkit_status check_names(const segkit_typing_input *in, segkit_error *err) {
  if (in->question_names == NULL) {
    return SEGKIT_OK;
  }
  for (uint32_t j = 0; j < in->n_questions; j++) {
    if (in->question_names[j] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "question %u has no name", j);
    }
    for (uint32_t i = 0; i < j; i++) {
      if (strcmp(in->question_names[i], in->question_names[j]) == 0) {
        return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, in->question_names[j],
                                   "questions %u and %u are both named '%s' (expected "
                                   "distinct names)",
                                   i, j, in->question_names[j]);
      }
    }
  }
  return SEGKIT_OK;
}

static segkit_status check_data(const segkit_typing_input *in, segkit_error *err) {
  for (size_t i = 0; i < in->n; i++) {
    int32_t c = in->segments[i];
    if (c < 0 || (uint32_t)c >= in->n_segments) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "respondent %zu has segment code %d (expected 0..%u)", i,
                              (int)c, in->n_segments - 1);
    }
    const double *row = in->answers + i * in->n_questions;
    for (uint32_t j = 0; j < in->n_questions; j++) {
      if (!isfinite(row[j])) {
        char buf[32];
        const char *name = question_name(in, j, buf, sizeof buf);
        return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, name,
                                   "respondent %zu has no valid answer to question '%s' "
                                   "(%g; expected a finite number: impute or drop "
                                   "unanswered respondents first)",
                                   i, name, row[j]);
      }
    }
  }
  return SEGKIT_OK;
}

static segkit_status check_input(const segkit_typing_input *in, segkit_error *err) {
  if (in == NULL || in->answers == NULL || in->segments == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "typing needs answers and segment codes");
  }
  if (in->n_segments < 2) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "typing needs at least 2 segments (got %u)", in->n_segments);
  }
  if (in->n_questions == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "typing needs at least 1 question");
  }
  segkit_status st = check_names(in, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  return check_data(in, err);
}

static segkit_status make_plan(const segkit_typing_input *in, const segkit_typing_options *o,
                               plan *out, segkit_error *err) {
  segkit_typing_options none = {0};
  if (o == NULL) {
    o = &none;
  }
  if (o->max_questions > SEGKIT_TYPING_MAX_QUESTIONS) {
    return segkit_error_set_at(err, SEGKIT_ERR_LIMIT, NULL, 0, 0, "max_questions",
                               "max_questions %u is above the limit of %d", o->max_questions,
                               SEGKIT_TYPING_MAX_QUESTIONS);
  }
  if (o->folds == 1) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "folds",
                               "1 fold cannot cross-validate (expected 2 or more)");
  }
  if (!(o->holdout_share >= 0.0 && o->holdout_share < 1.0)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "holdout_share",
                               "held-out share %g is not in [0, 1)", o->holdout_share);
  }
  if (!(o->min_gain >= 0.0 && o->min_gain < 1.0)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "min_gain",
                               "min_gain %g is not in [0, 1)", o->min_gain);
  }
  out->max_questions = o->max_questions != 0 ? o->max_questions : DEFAULT_MAX_QUESTIONS;
  if (out->max_questions > in->n_questions) {
    out->max_questions = in->n_questions;
  }
  out->folds = o->folds != 0 ? o->folds : DEFAULT_FOLDS;
  out->min_gain = o->min_gain;
  double share = o->holdout_share != 0.0 ? o->holdout_share : DEFAULT_HOLDOUT;
  /* floor, with a hair of slack so that 0.2 x 600 is 120 whatever the rounding. */
  out->n_holdout = o->no_holdout ? 0 : (size_t)floor(share * (double)in->n + 1e-9);
  out->n_train = in->n - out->n_holdout;
  if (!o->no_holdout && out->n_holdout == 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "holdout_share",
                               "a held-out share of %g of %zu respondents holds out nobody "
                               "(expected a larger share, or no_holdout)",
                               share, in->n);
  }
  if (out->n_train < out->folds) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "folds",
                               "%zu training respondents cannot fill %u folds (expected at "
                               "least one respondent per fold)",
                               out->n_train, out->folds);
  }
  double stats = (double)out->folds * ((double)in->n_segments * (in->n_questions + 1.0) +
                                       (double)in->n_questions * in->n_questions);
  if (stats > MAX_FOLD_STATS || (double)in->n_segments * in->n_segments > MAX_FOLD_STATS) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "%u folds x %u questions x %u segments need %.0f statistics "
                            "(limit %.0f)",
                            out->folds, in->n_questions, in->n_segments, stats,
                            MAX_FOLD_STATS);
  }
  return SEGKIT_OK;
}

/* At least 2 segments must have respondents in the training part, or there is nothing to
 * tell apart. */
static segkit_status check_training_segments(const segkit_typing_input *in, size_t n_train,
                                             segkit_error *err) {
  int32_t first = in->segments[0];
  for (size_t i = 1; i < n_train; i++) {
    if (in->segments[i] != first) {
      return SEGKIT_OK;
    }
  }
  return segkit_error_set(err, SEGKIT_ERR_USAGE,
                          "all %zu training respondents are in segment %d (expected at "
                          "least 2 segments with respondents)",
                          n_train, (int)first);
}

/* ==== per-fold statistics =============================================================== */

typedef struct selection {
  const double *x;
  const int32_t *y;
  size_t p;
  uint32_t k;
  size_t n_train;
  uint32_t folds;
  double *g;          /* p: training means, the origin of every sum */
  double *fold_count; /* folds x k */
  double *fold_sum;   /* folds x k x p */
  double *fold_cross; /* folds x p x p, lower triangle */
  double *tot_count;  /* k */
  double *tot_sum;    /* k x p */
  double *tot_cross;  /* p x p, lower triangle */
  /* one fit over up to q_max questions */
  sk__typing_sums sums;
  double *scratch;
  double *coef;
  double *constant;
  double *z;
  double *scores;
} selection;

static void selection_free(selection *s) {
  free(s->g);
  free(s->fold_count);
  free(s->fold_sum);
  free(s->fold_cross);
  free(s->tot_count);
  free(s->tot_sum);
  free(s->tot_cross);
  free(s->sums.count);
  free(s->sums.sum);
  free(s->sums.cross);
  free(s->scratch);
  free(s->coef);
  free(s->constant);
  free(s->z);
  free(s->scores);
}

static bool selection_alloc(selection *s, uint32_t q_max) {
  size_t p = s->p;
  size_t k = s->k;
  size_t f = s->folds;
  s->g = calloc(p, sizeof *s->g);
  s->fold_count = calloc(f * k, sizeof *s->fold_count);
  s->fold_sum = calloc(f * k * p, sizeof *s->fold_sum);
  s->fold_cross = calloc(f * p * p, sizeof *s->fold_cross);
  s->tot_count = calloc(k, sizeof *s->tot_count);
  s->tot_sum = calloc(k * p, sizeof *s->tot_sum);
  s->tot_cross = calloc(p * p, sizeof *s->tot_cross);
  s->sums.k = s->k;
  s->sums.count = calloc(k, sizeof *s->sums.count);
  s->sums.sum = calloc(k * q_max, sizeof *s->sums.sum);
  s->sums.cross = calloc((size_t)q_max * q_max, sizeof *s->sums.cross);
  s->scratch = calloc(sk__typing_lda_scratch(q_max), sizeof *s->scratch);
  s->coef = calloc(k * q_max, sizeof *s->coef);
  s->constant = calloc(k, sizeof *s->constant);
  s->z = calloc(q_max, sizeof *s->z);
  s->scores = calloc(k, sizeof *s->scores);
  return s->g != NULL && s->fold_count != NULL && s->fold_sum != NULL &&
         s->fold_cross != NULL && s->tot_count != NULL && s->tot_sum != NULL &&
         s->tot_cross != NULL && s->sums.count != NULL && s->sums.sum != NULL &&
         s->sums.cross != NULL && s->scratch != NULL && s->coef != NULL &&
         s->constant != NULL && s->z != NULL && s->scores != NULL;
}

/* Centre on the training means, then accumulate each fold's statistics and their totals
 * (totals as sums of the folds, so "totals minus fold f" is every other fold). */
static void selection_accumulate(selection *s) {
  size_t p = s->p;
  uint32_t k = s->k;
  for (size_t i = 0; i < s->n_train; i++) {
    for (size_t j = 0; j < p; j++) {
      s->g[j] += s->x[i * p + j];
    }
  }
  for (size_t j = 0; j < p; j++) {
    s->g[j] /= (double)s->n_train;
  }
  for (size_t i = 0; i < s->n_train; i++) {
    size_t f = i % s->folds;
    uint32_t c = (uint32_t)s->y[i];
    const double *row = s->x + i * p;
    double *sum = s->fold_sum + (f * k + c) * p;
    double *cross = s->fold_cross + f * p * p;
    s->fold_count[f * k + c] += 1.0;
    for (size_t a = 0; a < p; a++) {
      double za = row[a] - s->g[a];
      sum[a] += za;
      for (size_t b = 0; b <= a; b++) {
        cross[a * p + b] += za * (row[b] - s->g[b]);
      }
    }
  }
  for (size_t f = 0; f < s->folds; f++) {
    for (size_t t = 0; t < k; t++) {
      s->tot_count[t] += s->fold_count[f * k + t];
    }
    for (size_t t = 0; t < k * p; t++) {
      s->tot_sum[t] += s->fold_sum[f * k * p + t];
    }
    for (size_t t = 0; t < p * p; t++) {
      s->tot_cross[t] += s->fold_cross[f * p * p + t];
    }
  }
}

/* Statistics of the training part without fold f (f == folds: the whole training part),
 * over questions cols[0..q-1]. */
static void selection_sums(selection *s, const uint32_t *cols, uint32_t q, size_t f) {
  size_t p = s->p;
  uint32_t k = s->k;
  bool drop = f < s->folds;
  s->sums.q = q;
  for (uint32_t c = 0; c < k; c++) {
    s->sums.count[c] = s->tot_count[c] - (drop ? s->fold_count[f * k + c] : 0.0);
    const double *tot = s->tot_sum + (size_t)c * p;
    const double *fold = s->fold_sum + (f * k + c) * p;
    for (uint32_t a = 0; a < q; a++) {
      s->sums.sum[(size_t)c * q + a] = tot[cols[a]] - (drop ? fold[cols[a]] : 0.0);
    }
  }
  const double *fold = s->fold_cross + f * p * p;
  for (uint32_t a = 0; a < q; a++) {
    for (uint32_t b = 0; b <= a; b++) {
      size_t hi = cols[a] > cols[b] ? cols[a] : cols[b];
      size_t lo = cols[a] > cols[b] ? cols[b] : cols[a];
      double v = s->tot_cross[hi * p + lo] - (drop ? fold[hi * p + lo] : 0.0);
      s->sums.cross[(size_t)a * q + b] = v;
    }
  }
}

/* Segment predicted for respondent i (any row of x) by the current fit. */
static uint32_t selection_type(selection *s, const uint32_t *cols, uint32_t q, size_t i) {
  const double *row = s->x + i * s->p;
  for (uint32_t a = 0; a < q; a++) {
    s->z[a] = row[cols[a]] - s->g[cols[a]];
  }
  return sk__typing_lda_predict(q, s->k, s->coef, s->constant, s->z, s->scores);
}

/* Respondents of the training part typed correctly by cross-validation. */
static size_t cv_correct(selection *s, const uint32_t *cols, uint32_t q) {
  size_t right = 0;
  for (size_t f = 0; f < s->folds; f++) {
    selection_sums(s, cols, q, f);
    sk__typing_lda_fit(&s->sums, s->scratch, s->coef, s->constant);
    for (size_t i = f; i < s->n_train; i += s->folds) {
      right += selection_type(s, cols, q, i) == (uint32_t)s->y[i];
    }
  }
  return right;
}

/* ==== selection ========================================================================= */

/* Greedy forward selection into cols (at most pl->max_questions) and path; returns the
 * number chosen. used has p entries, all false on entry. */
static uint32_t forward_select(selection *s, const plan *pl, bool *used, uint32_t *cols,
                               double *path) {
  uint32_t q = 0;
  size_t prev_right = 0;
  while (q < pl->max_questions) {
    uint32_t best = UINT32_MAX;
    size_t best_right = 0;
    for (uint32_t j = 0; j < s->p; j++) {
      if (used[j]) {
        continue;
      }
      cols[q] = j;
      size_t right = cv_correct(s, cols, q + 1);
      if (best == UINT32_MAX || right > best_right) {
        best = j;
        best_right = right;
      }
    }
    double gain = ((double)best_right - (double)prev_right) / (double)s->n_train;
    if (q > 0 && pl->min_gain > 0.0 && gain < pl->min_gain) {
      break;
    }
    cols[q] = best;
    used[best] = true;
    path[q] = (double)best_right / (double)s->n_train;
    prev_right = best_right;
    q++;
  }
  return q;
}

/* Type the held-out part with the model of the whole training part. */
static void evaluate_holdout(selection *s, const segkit_typing_input *in, const plan *pl,
                             segkit_typing *t) {
  uint32_t q = t->view.n_chosen;
  uint32_t k = in->n_segments;
  t->view.holdout_accuracy = NAN;
  for (uint32_t c = 0; c < k; c++) {
    t->recall[c] = NAN;
  }
  if (pl->n_holdout == 0) {
    return;
  }
  selection_sums(s, t->chosen, q, s->folds);
  sk__typing_lda_fit(&s->sums, s->scratch, s->coef, s->constant);
  size_t right = 0;
  for (size_t h = 0; h < pl->n_holdout; h++) {
    size_t i = pl->n_train + h;
    uint32_t pred = selection_type(s, t->chosen, q, i);
    uint32_t truth = (uint32_t)in->segments[i];
    t->holdout_pred[h] = (int32_t)pred;
    t->confusion[(size_t)truth * k + pred]++;
    right += pred == truth;
  }
  t->view.holdout_accuracy = (double)right / (double)pl->n_holdout;
  for (uint32_t c = 0; c < k; c++) {
    uint64_t row = 0;
    for (uint32_t d = 0; d < k; d++) {
      row += t->confusion[(size_t)c * k + d];
    }
    if (row > 0) {
      t->recall[c] = (double)t->confusion[(size_t)c * k + c] / (double)row;
    }
  }
}

/* The final model: every respondent, the chosen questions, centred on their means. The
 * selection's sums buffers (sized for max_questions >= q) hold the statistics. */
static void fit_final(selection *s, const segkit_typing_input *in, segkit_typing *t) {
  uint32_t q = t->view.n_chosen;
  uint32_t k = in->n_segments;
  size_t p = in->n_questions;
  sk__typing_sums *sums = &s->sums;
  sums->q = q;
  memset(sums->count, 0, k * sizeof *sums->count);
  memset(sums->sum, 0, (size_t)k * q * sizeof *sums->sum);
  memset(sums->cross, 0, (size_t)q * q * sizeof *sums->cross);
  for (uint32_t a = 0; a < q; a++) {
    double m = 0.0;
    for (size_t i = 0; i < in->n; i++) {
      m += in->answers[i * p + t->chosen[a]];
    }
    t->center[a] = m / (double)in->n;
  }
  for (size_t i = 0; i < in->n; i++) {
    uint32_t c = (uint32_t)in->segments[i];
    const double *row = in->answers + i * p;
    for (uint32_t a = 0; a < q; a++) {
      s->z[a] = row[t->chosen[a]] - t->center[a];
    }
    sums->count[c] += 1.0;
    for (uint32_t a = 0; a < q; a++) {
      sums->sum[(size_t)c * q + a] += s->z[a];
      for (uint32_t b = 0; b <= a; b++) {
        sums->cross[(size_t)a * q + b] += s->z[a] * s->z[b];
      }
    }
  }
  for (uint32_t c = 0; c < k; c++) {
    t->prior[c] = sums->count[c] / (double)in->n;
  }
  sk__typing_lda_fit(sums, s->scratch, t->coef, t->constant);
}

static segkit_status name_chosen(const segkit_typing_input *in, segkit_typing *t,
                                 segkit_error *err) {
  for (uint32_t a = 0; a < t->view.n_chosen; a++) {
    char buf[32];
    t->chosen_names[a] = strdup(question_name(in, t->chosen[a], buf, sizeof buf));
    if (t->chosen_names[a] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for question names");
    }
  }
  return SEGKIT_OK;
}

/* Everything after the checks; s is allocated and freed by the caller. */
static segkit_status run(selection *s, const segkit_typing_input *in, const plan *pl,
                         segkit_typing **out, segkit_error *err) {
  bool *used = calloc(in->n_questions, sizeof *used);
  uint32_t *cols = calloc(pl->max_questions, sizeof *cols);
  double *path = calloc(pl->max_questions, sizeof *path);
  if (used == NULL || cols == NULL || path == NULL) {
    free(used);
    free(cols);
    free(path);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the selection");
  }
  selection_accumulate(s);
  uint32_t q = forward_select(s, pl, used, cols, path);
  free(used);
  segkit_typing *t = sk__typing_alloc(in->n_segments, q, pl->n_holdout, true);
  if (t == NULL) {
    free(cols);
    free(path);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the typing model");
  }
  memcpy(t->chosen, cols, q * sizeof *cols);
  memcpy(t->cv_accuracy, path, q * sizeof *path);
  free(cols);
  free(path);
  t->view.n_questions = in->n_questions;
  t->view.folds = pl->folds;
  t->view.n = in->n;
  t->view.n_train = pl->n_train;
  t->view.n_holdout = pl->n_holdout;
  segkit_status st = name_chosen(in, t, err);
  if (st != SEGKIT_OK) {
    segkit_typing_free(t);
    return st;
  }
  evaluate_holdout(s, in, pl, t);
  fit_final(s, in, t);
  *out = t;
  return SEGKIT_OK;
}

segkit_status segkit_typing_new(const segkit_typing_input *in, const segkit_typing_options *opt,
                                segkit_typing **out, segkit_error *err) {
  segkit_status st = check_input(in, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  plan pl;
  st = make_plan(in, opt, &pl, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  st = check_training_segments(in, pl.n_train, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  selection s = {.x = in->answers,
                 .y = in->segments,
                 .p = in->n_questions,
                 .k = in->n_segments,
                 .n_train = pl.n_train,
                 .folds = pl.folds};
  if (!selection_alloc(&s, pl.max_questions)) {
    selection_free(&s);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM,
                            "out of memory for the fold statistics (%u folds, %u questions)",
                            pl.folds, in->n_questions);
  }
  st = run(&s, in, &pl, out, err);
  selection_free(&s);
  return st;
}

/* ==== typing new respondents ============================================================ */

segkit_status segkit_typing_classify(const segkit_typing *t, size_t m, const double *answers,
                                     int32_t *segments_out, double *posteriors_out,
                                     segkit_error *err) {
  if (t == NULL || (m > 0 && (answers == NULL || segments_out == NULL))) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "typing needs a model, answers and an output array");
  }
  uint32_t q = t->view.n_chosen;
  uint32_t k = t->view.n_segments;
  for (size_t i = 0; i < m; i++) {
    for (uint32_t a = 0; a < q; a++) {
      double v = answers[i * q + a];
      if (!isfinite(v)) {
        const char *name = t->chosen_names[a];
        return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, name,
                                   "respondent %zu has no valid answer to question '%s' "
                                   "(%g; expected a finite number)",
                                   i, name, v);
      }
    }
  }
  double *z = calloc(q, sizeof *z);
  double *scores = calloc(k, sizeof *scores);
  if (z == NULL || scores == NULL) {
    free(z);
    free(scores);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for typing");
  }
  for (size_t i = 0; i < m; i++) {
    for (uint32_t a = 0; a < q; a++) {
      z[a] = answers[i * q + a] - t->center[a];
    }
    uint32_t best = sk__typing_lda_predict(q, k, t->coef, t->constant, z, scores);
    segments_out[i] = (int32_t)best;
    if (posteriors_out == NULL) {
      continue;
    }
    /* softmax, shifted by the largest score so exp never overflows */
    double *post = posteriors_out + i * k;
    double total = 0.0;
    for (uint32_t c = 0; c < k; c++) {
      post[c] = exp(scores[c] - scores[best]);
      total += post[c];
    }
    for (uint32_t c = 0; c < k; c++) {
      post[c] /= total;
    }
  }
  free(z);
  free(scores);
  return SEGKIT_OK;
}
