/* compare.c: one segment against the rest on measures that are not a yes/no per customer
 * (churn per customer-month, NRR, LTV), tested and corrected together.
 *
 * Key design choice: the caller brings each side's numbers (counts, or an estimate with a
 * standard error from the module that knows how the measure is sampled: the metrics
 * module's ratio-estimator variance for NRR), and this file only tests and corrects; so
 * every kind of finding goes through the same Benjamini-Hochberg step, over all of them. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "insight/insight_int.h"
#include "segkit/insight.h"
#include "segkit/survival.h"

static void wilson(uint64_t k, uint64_t n, double level, double *lo, double *hi) {
  *lo = NAN;
  *hi = NAN;
  if (n > 0) {
    segkit_wilson_interval(k, n, level, lo, hi, NULL);
  }
}

static void normal_interval(double v, double se, double zq, bool floor_zero, double *lo,
                            double *hi) {
  *lo = NAN;
  *hi = NAN;
  if (isfinite(v) && isfinite(se)) {
    *lo = v - zq * se;
    *hi = v + zq * se;
    if (floor_zero && *lo < 0) {
      *lo = 0;
    }
  }
}

static void log_interval(double v, double se, double zq, double *lo, double *hi) {
  *lo = NAN;
  *hi = NAN;
  if (v > 0 && isfinite(v) && isfinite(se)) {
    *lo = v * exp(-zq * se);
    *hi = v * exp(zq * se);
  }
}

static segkit_status check(const segkit_comparison *x, size_t i, segkit_error *err) {
  if (x->kind == SEGKIT_COMPARE_PROPORTION) {
    if (x->events > x->trials || x->events_rest > x->trials_rest) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "comparison %zu: more events than trials", i);
    }
  } else if (x->kind == SEGKIT_COMPARE_ESTIMATE || x->kind == SEGKIT_COMPARE_LOG_ESTIMATE) {
    if ((!isnan(x->se) && !(x->se >= 0 && isfinite(x->se))) ||
        (!isnan(x->se_rest) && !(x->se_rest >= 0 && isfinite(x->se_rest)))) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "comparison %zu: a standard error that is negative or not finite",
                              i);
    }
    if (!isnan(x->cov) && !isfinite(x->cov)) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "comparison %zu: a covariance that is not "
                              "finite",
                              i);
    }
  } else {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "comparison %zu: unknown kind %d", i,
                            (int)x->kind);
  }
  return SEGKIT_OK;
}

static void test_one(segkit_comparison *x, double level, double zq, uint64_t min_n) {
  x->z = x->p = x->p_adjusted = NAN;
  x->significant = false;
  if (x->kind == SEGKIT_COMPARE_PROPORTION) {
    x->value = x->trials > 0 ? (double)x->events / (double)x->trials : NAN;
    x->value_rest = x->trials_rest > 0 ? (double)x->events_rest / (double)x->trials_rest : NAN;
    x->se = x->trials > 0 ? sqrt(x->value * (1 - x->value) / (double)x->trials) : NAN;
    x->se_rest = x->trials_rest > 0
                     ? sqrt(x->value_rest * (1 - x->value_rest) / (double)x->trials_rest)
                     : NAN;
    wilson(x->events, x->trials, level, &x->lower, &x->upper);
    wilson(x->events_rest, x->trials_rest, level, &x->lower_rest, &x->upper_rest);
  } else if (x->kind == SEGKIT_COMPARE_LOG_ESTIMATE) {
    log_interval(x->value, x->se, zq, &x->lower, &x->upper);
    log_interval(x->value_rest, x->se_rest, zq, &x->lower_rest, &x->upper_rest);
  } else {
    normal_interval(x->value, x->se, zq, x->floor_zero, &x->lower, &x->upper);
    normal_interval(x->value_rest, x->se_rest, zq, x->floor_zero, &x->lower_rest,
                    &x->upper_rest);
  }
  x->ratio = x->value_rest != 0 && isfinite(x->value_rest) ? x->value / x->value_rest : NAN;
  x->too_small = x->n < min_n || x->n_rest < min_n;
  if (x->too_small) {
    return;
  }
  if (x->kind == SEGKIT_COMPARE_PROPORTION) {
    sk__pooled_z((double)x->events, (double)x->trials, (double)x->events_rest,
                 (double)x->trials_rest, &x->z, &x->p);
    return;
  }
  double cov = isnan(x->cov) ? 0.0 : x->cov;
  double var = x->se * x->se + x->se_rest * x->se_rest - 2.0 * cov;
  double v = x->value, vr = x->value_rest;
  if (x->kind == SEGKIT_COMPARE_LOG_ESTIMATE) {
    v = v > 0 ? log(v) : NAN;
    vr = vr > 0 ? log(vr) : NAN;
  }
  if (!isfinite(v) || !isfinite(vr) || !isfinite(var)) {
    return; /* no estimate on a side: not a test */
  }
  if (var > 0) {
    x->z = (v - vr) / sqrt(var);
    x->p = erfc(fabs(x->z) / sqrt(2.0));
  } else {
    x->z = 0;
    x->p = v == vr ? 1.0 : NAN; /* no spread: nothing to test against */
  }
}

segkit_status segkit_comparisons_test(segkit_comparison *c, size_t n,
                                      const segkit_rate_options *opt, size_t *n_tests,
                                      segkit_error *err) {
  if (c == NULL && n > 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_comparisons_test: no comparisons");
  }
  double alpha = opt != NULL && opt->alpha > 0 ? opt->alpha : 0.05;
  double level = opt != NULL && opt->level > 0 ? opt->level : 0.95;
  uint64_t min_n = opt != NULL && opt->min_n > 0 ? opt->min_n : 30;
  if (!(alpha < 1) || !(level < 1)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "alpha and the interval level must be between 0 and 1");
  }
  for (size_t i = 0; i < n; i++) {
    segkit_status s = check(&c[i], i, err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  double zq = gsl_cdf_ugaussian_Qinv((1.0 - level) / 2.0);
  for (size_t i = 0; i < n; i++) {
    test_one(&c[i], level, zq, min_n);
  }
  double *p = malloc((n + 1) * sizeof *p);
  double *adj = malloc((n + 1) * sizeof *adj);
  bool *sig = malloc((n + 1) * sizeof *sig);
  size_t m = SIZE_MAX;
  if (p != NULL && adj != NULL && sig != NULL) {
    for (size_t i = 0; i < n; i++) {
      p[i] = c[i].p;
    }
    m = sk__bh_adjust(p, n, alpha, adj, sig);
  }
  for (size_t i = 0; m != SIZE_MAX && i < n; i++) {
    c[i].p_adjusted = adj[i];
    c[i].significant = sig[i];
  }
  free(p);
  free(adj);
  free(sig);
  if (m == SIZE_MAX) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the comparisons");
  }
  if (n_tests != NULL) {
    *n_tests = m;
  }
  return SEGKIT_OK;
}
