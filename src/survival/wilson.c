/* wilson.c: the Wilson (1927) score interval for a binomial proportion.
 *
 * Chosen over the Wald interval p +- z sqrt(p(1-p)/n) because its coverage stays near
 * the nominal level for small segments and rates near 0 or 1 (Brown, Cai & DasGupta
 * 2001), which is where churn rates of small segments live. No continuity correction:
 * this is R's prop.test(correct = FALSE) interval and statsmodels' method="wilson".
 * With p = x/n and z the (1 + level)/2 normal quantile (gsl_cdf_ugaussian_Pinv):
 *   centre = (p + z^2 / (2n)) / (1 + z^2 / n)
 *   half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2)) */
#include <math.h>

#include <gsl/gsl_cdf.h>

#include "segkit/survival.h"

segkit_status segkit_wilson_interval(uint64_t successes, uint64_t trials, double level,
                                     double *lower, double *upper, segkit_error *err) {
  if (trials == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "a proportion of 0 trials has no interval (expected trials > 0)");
  }
  if (successes > trials) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "%llu successes out of %llu trials (expected successes <= trials)",
                            (unsigned long long)successes, (unsigned long long)trials);
  }
  if (!(level == 0.0 || (level > 0.0 && level < 1.0))) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "confidence level %g is not in (0, 1)",
                            level);
  }
  double lv = level == 0.0 ? 0.95 : level;
  double z = gsl_cdf_ugaussian_Pinv(1.0 - (1.0 - lv) / 2.0);
  double n = (double)trials;
  double p = (double)successes / n;
  double z2n = z * z / n;
  double centre = (p + z2n / 2.0) / (1.0 + z2n);
  double half = z / (1.0 + z2n) * sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n));
  /* Clamp rounding only: mathematically the interval lies in [0, 1] and touches 0 (1)
   * exactly when successes = 0 (= trials). */
  *lower = successes == 0 ? 0.0 : fmax(0.0, centre - half);
  *upper = successes == trials ? 1.0 : fmin(1.0, centre + half);
  return SEGKIT_OK;
}
