/* means.c: means of a scale question by column, with linearisation standard errors and
 * pairwise tests with letters.
 *
 * The mean of column c is the ratio sum(w y) / sum(w) over its respondents. Its standard
 * error is the Taylor-linearisation (Woodruff 1971, JASA 66:411-414) SE of a ratio mean
 * under a weights-only design, as R's svyby(~y, ~col, svydesign(ids = ~1, weights = ~w),
 * svymean) gives it: the column is a domain of the whole sample, its influence values
 * z_i = w_i (y_i - mean_c) / W_c are 0 outside the domain, and
 *   SE^2 = n / (n - 1) sum_i z_i^2,   n = all respondents used
 * (Lumley 2010, Complex Surveys, 2.2-2.3). Unweighted, SE^2 = n/(n-1) (n_c - 1)/n_c^2
 * s_c^2: close to the textbook s_c^2 / n_c, but the domain's size counts as random, and
 * n (not n_c) enters the finite-sample factor, exactly as svyby does.
 * Pairwise tests: z = (m_a - m_b) / sqrt(SE_a^2 + SE_b^2), treating the columns' means
 * as independent (they are, to first order, when the columns are disjoint groups of a
 * with-replacement sample). Two passes: sums, then
 * squared deviations (a one-pass formula loses digits on 1..5 scales with big weights). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "survey/survey_int.h"

struct segkit_means {
  segkit_means_view view;
  void *block;
};

void segkit_means_free(segkit_means *m) {
  if (m == NULL) {
    return;
  }
  free(m->block);
  free(m);
}

const segkit_means_view *segkit_means_get(const segkit_means *m) {
  return m != NULL ? &m->view : NULL;
}

static bool used(const segkit_means_input *in, size_t i) {
  return in->col_codes[i] >= 0 && !isnan(in->values[i]);
}

static segkit_status check_input(const segkit_means_input *in, segkit_error *err) {
  if (in == NULL || in->values == NULL || in->col_codes == NULL || in->n_col_levels == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "means need values, column codes and at least one column");
  }
  for (size_t i = 0; i < in->n; i++) {
    int32_t c = in->col_codes[i];
    if (c < -1 || c >= (int64_t)in->n_col_levels) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "respondent %zu has column code %d (expected -1 or 0..%u)", i,
                              (int)c, in->n_col_levels - 1);
    }
    if (isinf(in->values[i])) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "respondent %zu has an infinite value (expected a number or "
                              "NaN for no answer)",
                              i);
    }
  }
  return sk__survey_check_weights(in->n, in->weights, "weight", err);
}

static segkit_status view_alloc(segkit_means *m, uint32_t k, segkit_error *err) {
  size_t width = SEGKIT_SURVEY_MAX_LETTERS + 1;
  bool letters = k <= SEGKIT_SURVEY_MAX_LETTERS;
  size_t doubles = 4 * (size_t)k + (size_t)k * k;
  size_t size = doubles * sizeof(double) + k * sizeof(uint64_t) +
                (letters ? k * (sizeof(char *) + width) : 0) + k * sizeof(bool);
  char *p = calloc(1, size);
  if (p == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for %u means", k);
  }
  m->block = p;
  segkit_means_view *v = &m->view;
  double *d = (double *)p;
  v->mean = d;
  v->se = d + k;
  v->base = d + 2 * (size_t)k;
  /* d + 3k: scratch for sum(w y) per column */
  v->pair_p = d + 4 * (size_t)k;
  v->base_unweighted = (uint64_t *)(d + doubles);
  char *rest = (char *)(v->base_unweighted + k);
  v->letters = NULL;
  if (letters) {
    char **ptrs = (char **)rest;
    char *text = rest + k * sizeof(char *);
    for (size_t c = 0; c < k; c++) {
      ptrs[c] = text + c * width;
    }
    v->letters = (const char *const *)ptrs;
    rest = text + k * width;
  }
  v->small = (const bool *)rest;
  v->has_letters = letters;
  v->n_cols = k;
  return SEGKIT_OK;
}

/* Means per column and overall, then the SEs from the squared influence values. */
static void estimate(const segkit_means_input *in, segkit_means_view *v, double *wy) {
  uint32_t k = v->n_cols;
  double *mean = (double *)v->mean;
  double *se = (double *)v->se;
  double *base = (double *)v->base;
  uint64_t *bu = (uint64_t *)v->base_unweighted;
  double W = 0.0;
  double WY = 0.0;
  for (size_t i = 0; i < in->n; i++) {
    if (!used(in, i)) {
      v->n_missing++;
      continue;
    }
    double w = in->weights != NULL ? in->weights[i] : 1.0;
    int32_t c = in->col_codes[i];
    base[c] += w;
    bu[c]++;
    wy[c] += w * in->values[i];
    W += w;
    WY += w * in->values[i];
    v->n_used++;
  }
  for (uint32_t c = 0; c < k; c++) {
    mean[c] = base[c] > 0.0 ? wy[c] / base[c] : NAN;
  }
  v->mean_all = WY / W;
  double all = 0.0;
  for (size_t i = 0; i < in->n; i++) {
    if (!used(in, i)) {
      continue;
    }
    double w = in->weights != NULL ? in->weights[i] : 1.0;
    int32_t c = in->col_codes[i];
    double zc = w * (in->values[i] - mean[c]) / base[c];
    double za = w * (in->values[i] - v->mean_all) / W;
    se[c] += base[c] > 0.0 ? zc * zc : 0.0;
    all += za * za;
  }
  double n = (double)v->n_used;
  double f = n > 1.0 ? n / (n - 1.0) : NAN;
  for (uint32_t c = 0; c < k; c++) {
    se[c] = base[c] > 0.0 ? sqrt(f * se[c]) : NAN;
  }
  v->se_all = sqrt(f * all);
}

static void pairwise(segkit_means_view *v, const segkit_sig_options *o) {
  uint32_t k = v->n_cols;
  double *p = (double *)v->pair_p;
  for (uint32_t a = 0; a < k; a++) {
    p[(size_t)a * k + a] = NAN;
    for (uint32_t b = a + 1; b < k; b++) {
      double s2 = v->se[a] * v->se[a] + v->se[b] * v->se[b];
      double pv = NAN;
      if (s2 > 0.0 && isfinite(s2)) {
        pv = sk__survey_p_two_sided((v->mean[a] - v->mean[b]) / sqrt(s2));
      } else if (s2 == 0.0) {
        pv = v->mean[a] == v->mean[b] ? 1.0 : 0.0;
      }
      p[(size_t)a * k + b] = pv;
    }
  }
  sk__survey_adjust(p, k, o->adjust);
  if (v->has_letters) {
    sk__survey_letters(p, v->mean, k, o->alpha, (char *)v->letters[0]);
  }
}

segkit_status segkit_means_new(const segkit_means_input *in, const segkit_sig_options *opt,
                               segkit_means **out, segkit_error *err) {
  segkit_sig_options o;
  segkit_status st = sk__survey_sig_defaults(opt, &o, err);
  if (st == SEGKIT_OK) {
    st = check_input(in, err);
  }
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_means *m = calloc(1, sizeof *m);
  if (m == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for means");
  }
  st = view_alloc(m, in->n_col_levels, err);
  if (st != SEGKIT_OK) {
    free(m);
    return st;
  }
  segkit_means_view *v = &m->view;
  estimate(in, v, (double *)v->base + in->n_col_levels);
  if (v->n_used < 2 || !(v->mean_all == v->mean_all)) {
    size_t used_n = v->n_used;
    segkit_means_free(m);
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "means need at least 2 respondents with an answer and a positive "
                            "total weight (%zu used)",
                            used_n);
  }
  bool *small = (bool *)v->small;
  for (uint32_t c = 0; c < v->n_cols; c++) {
    small[c] = v->base[c] < o.small_base;
  }
  pairwise(v, &o);
  *out = m;
  return SEGKIT_OK;
}
