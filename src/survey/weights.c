/* weights.c: summary of a weight vector: range, mean, Kish's design effect due to
 * weighting and the effective sample size.
 *
 * deff = n sum(w^2) / sum(w)^2 = 1 + CV^2 (Kish 1965, Survey Sampling, section 11.7;
 * Kish 1992, J. Official Statistics 8:183-200, eq. 3), n_eff = sum(w)^2 / sum(w^2). It
 * is the variance inflation of a mean when the weights are unrelated to the variable:
 * a rule of thumb for the precision weighting costs, not a variance estimator. Sums are
 * compensated (Neumaier) so a million weights of mixed size add up exactly enough. */
#include <math.h>

#include "survey/survey_int.h"

segkit_status segkit_weight_summarise(size_t n, const double *w, segkit_weight_summary *out,
                                      segkit_error *err) {
  if (n == 0 || w == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no weights to summarise");
  }
  segkit_status s = sk__survey_check_weights(n, w, "weight", err);
  if (s != SEGKIT_OK) {
    return s;
  }
  double sum = 0.0;
  double sum_c = 0.0;
  double sq = 0.0;
  double sq_c = 0.0;
  double lo = w[0];
  double hi = w[0];
  for (size_t i = 0; i < n; i++) {
    double x = w[i];
    double t = sum + x;
    sum_c += fabs(sum) >= fabs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
    double x2 = x * x;
    double t2 = sq + x2;
    sq_c += fabs(sq) >= fabs(x2) ? (sq - t2) + x2 : (x2 - t2) + sq;
    sq = t2;
    lo = fmin(lo, x);
    hi = fmax(hi, x);
  }
  sum += sum_c;
  sq += sq_c;
  if (!(sum > 0.0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the weights sum to 0 (expected at least one positive weight)");
  }
  out->n = n;
  out->sum = sum;
  out->mean = sum / (double)n;
  out->min = lo;
  out->max = hi;
  out->deff = (double)n * sq / (sum * sum);
  out->n_eff = sum * sum / sq;
  return SEGKIT_OK;
}
