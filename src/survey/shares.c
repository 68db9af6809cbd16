/* shares.c: segment sizing: the weighted share of each segment with a confidence
 * interval, and the projected number in the market.
 *
 * The interval is the logit interval of R's svyciprop(method = "logit") for a
 * weights-only design (Korn & Graubard 1998, Survey Methodology 24:193-201 discuss the
 * family; Lumley 2010, 2.4): the share p is the mean of the segment's 0/1 indicator, its
 * linearisation variance V = n/(n-1) sum_i (w_i / W)^2 (y_i - p)^2, and on the logit
 * scale SE = sqrt(V) / (p (1 - p)) (delta method; svyglm's sandwich variance of the
 * intercept of a quasibinomial fit equals this). The interval expit(logit p -+ t SE) with
 * t from Student's t on n - 1 degrees of freedom (svyciprop's df = degf(design)) stays
 * in (0, 1) and is asymmetric near the edges, where small segments live; a Wald
 * interval would cross 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "survey/survey_int.h"

struct segkit_shares {
  uint32_t n_levels;
  size_t n_used;
  segkit_share *at;
};

void segkit_shares_free(segkit_shares *s) {
  if (s == NULL) {
    return;
  }
  free(s->at);
  free(s);
}

uint32_t segkit_shares_n_levels(const segkit_shares *s) {
  return s != NULL ? s->n_levels : 0;
}

size_t segkit_shares_n_used(const segkit_shares *s) {
  return s != NULL ? s->n_used : 0;
}

const segkit_share *segkit_shares_at(const segkit_shares *s, uint32_t k) {
  return s != NULL && k < s->n_levels ? &s->at[k] : NULL;
}

static segkit_status check_input(const segkit_shares_input *in, segkit_error *err) {
  if (in == NULL || in->codes == NULL || in->n_levels == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "shares need codes and at least one level");
  }
  if (!(in->level == 0.0 || (in->level > 0.0 && in->level < 1.0))) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "confidence level %g is not in (0, 1)",
                            in->level);
  }
  if (!(in->population_total >= 0.0) || !isfinite(in->population_total)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "population total %g is not a finite number >= 0",
                            in->population_total);
  }
  for (size_t i = 0; i < in->n; i++) {
    int32_t c = in->codes[i];
    if (c < -1 || c >= (int64_t)in->n_levels) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "respondent %zu has segment code %d (expected -1 or 0..%u)", i,
                              (int)c, in->n_levels - 1);
    }
  }
  return sk__survey_check_weights(in->n, in->weights, "weight", err);
}

/* sum_i (w_i / W)^2 (y_i - p)^2 = sum over the segment of (w/W)^2 (1 - p)^2 + over the
 * rest of (w/W)^2 p^2 = a_k (1 - p)^2 + (A - a_k) p^2, with a_k the segment's and A the
 * total sum of (w/W)^2: one pass gives every segment's variance. */
static void interval(segkit_share *s, double a_k, double A, double n, double t,
                     double total) {
  double p = s->share;
  double var = n / (n - 1.0) * (a_k * (1.0 - p) * (1.0 - p) + (A - a_k) * p * p);
  s->se = sqrt(var);
  s->degenerate = !(p > 0.0 && p < 1.0) || !(var > 0.0);
  if (s->degenerate) {
    s->lower = p;
    s->upper = p;
    s->n_eff_share = NAN;
  } else {
    double lg = log(p / (1.0 - p));
    double half = t * s->se / (p * (1.0 - p));
    s->lower = 1.0 / (1.0 + exp(-(lg - half)));
    s->upper = 1.0 / (1.0 + exp(-(lg + half)));
    s->n_eff_share = p * (1.0 - p) / var;
  }
  s->projected = total > 0.0 ? p * total : NAN;
  s->projected_lower = total > 0.0 ? s->lower * total : NAN;
  s->projected_upper = total > 0.0 ? s->upper * total : NAN;
}

segkit_status segkit_shares_new(const segkit_shares_input *in, segkit_shares **out,
                                segkit_error *err) {
  segkit_status st = check_input(in, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_shares *r = calloc(1, sizeof *r);
  double *a = calloc(in->n_levels, sizeof *a);
  segkit_share *at = calloc(in->n_levels, sizeof *at);
  if (r == NULL || a == NULL || at == NULL) {
    free(r);
    free(a);
    free(at);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for %u shares",
                            in->n_levels);
  }
  r->n_levels = in->n_levels;
  r->at = at;
  double W = 0.0;
  for (size_t i = 0; i < in->n; i++) {
    if (in->codes[i] < 0) {
      continue;
    }
    double w = in->weights != NULL ? in->weights[i] : 1.0;
    at[in->codes[i]].base += w;
    at[in->codes[i]].base_unweighted++;
    a[in->codes[i]] += w * w;
    W += w;
    r->n_used++;
  }
  if (r->n_used < 2 || !(W > 0.0)) {
    size_t used_n = r->n_used;
    free(a);
    segkit_shares_free(r);
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "shares need at least 2 respondents with a segment and a positive "
                            "total weight (%zu used)",
                            used_n);
  }
  double A = 0.0;
  for (uint32_t k = 0; k < in->n_levels; k++) {
    a[k] /= W * W;
    A += a[k];
  }
  double n = (double)r->n_used;
  double level = in->level == 0.0 ? 0.95 : in->level;
  double t = gsl_cdf_tdist_Pinv(1.0 - (1.0 - level) / 2.0, n - 1.0);
  for (uint32_t k = 0; k < in->n_levels; k++) {
    at[k].share = at[k].base / W;
    interval(&at[k], a[k], A, n, t, in->population_total);
  }
  free(a);
  *out = r;
  return SEGKIT_OK;
}
