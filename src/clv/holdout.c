/* holdout.c: the calibration/holdout check of a purchase model (Fader, Hardie & Lee 2005,
 * figure 5): customers grouped by their calibration repeat purchases, each group's mean
 * actual purchases in the holdout period against the model's mean conditional expectation
 * for the same customers.
 *
 * Key design choice: the expectation is taken per customer over that customer's own
 * holdout duration and then averaged, not evaluated once at a group's mean history, because
 * the conditional expectation is not linear in recency and T; this is what the paper plots
 * and what lifetimes' plot_calibration_purchases_vs_holdout_purchases computes. */
#include <math.h>
#include <string.h>

#include "clv/clv_int.h"

static segkit_status check_row(size_t i, double f, double r, double T, double fh, double dh,
                               segkit_error *err) {
  if (!(isfinite(f) && f >= 0 && isfinite(r) && r >= 0 && isfinite(T) && r <= T)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, (int64_t)i + 1, 0, "frequency",
                               "customer %zu: frequency %g, recency %g, T %g is not a "
                               "history (expected counts and ages with recency <= T)",
                               i + 1, f, r, T);
  }
  if (!(isfinite(fh) && fh >= 0)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, (int64_t)i + 1, 0,
                               "frequency_holdout",
                               "customer %zu: holdout purchases %g (expected a count >= 0)",
                               i + 1, fh);
  }
  if (!(isfinite(dh) && dh > 0)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, (int64_t)i + 1, 0,
                               "duration_holdout",
                               "customer %zu: holdout duration %g (expected a length > 0)",
                               i + 1, dh);
  }
  return SEGKIT_OK;
}

segkit_status segkit_clv_holdout_table(const segkit_clv_model *m, const double *frequency,
                                       const double *recency, const double *T,
                                       const double *frequency_holdout,
                                       const double *duration_holdout, size_t n, int max_group,
                                       segkit_clv_holdout_row *rows,
                                       segkit_clv_holdout_row *total_out, segkit_error *err) {
  if (m == NULL || (m->kind != SEGKIT_CLV_BGNBD && m->kind != SEGKIT_CLV_PARETONBD)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the holdout check needs a purchase model (bgnbd or paretonbd)");
  }
  if (max_group < 0 || rows == NULL ||
      (n > 0 && (frequency == NULL || recency == NULL || T == NULL ||
                 frequency_holdout == NULL || duration_holdout == NULL))) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "holdout table: rows and all five columns are required, "
                            "max_group >= 0");
  }
  for (size_t i = 0; i < n; i++) {
    segkit_status s = check_row(i, frequency[i], recency[i], T[i], frequency_holdout[i],
                                duration_holdout[i], err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  segkit_clv_holdout_row total = {.frequency = 0, .customers = 0, .actual = 0, .expected = 0};
  for (int g = 0; g <= max_group; g++) {
    rows[g] = (segkit_clv_holdout_row){.frequency = g};
  }
  for (size_t i = 0; i < n; i++) {
    double e = segkit_clv_expected_purchases(m, duration_holdout[i], frequency[i], recency[i],
                                             T[i]);
    if (!isfinite(e)) {
      return segkit_error_set_at(err, SEGKIT_ERR_INTERNAL, NULL, (int64_t)i + 1, 0, NULL,
                                 "customer %zu: the model's expectation is not finite at "
                                 "frequency %g, recency %g, T %g",
                                 i + 1, frequency[i], recency[i], T[i]);
    }
    int g = frequency[i] >= (double)max_group ? max_group : (int)frequency[i];
    rows[g].customers += 1;
    rows[g].actual += frequency_holdout[i];
    rows[g].expected += e;
    total.customers += 1;
    total.actual += frequency_holdout[i];
    total.expected += e;
  }
  for (int g = 0; g <= max_group; g++) {
    double c = rows[g].customers;
    rows[g].actual = c > 0 ? rows[g].actual / c : NAN;
    rows[g].expected = c > 0 ? rows[g].expected / c : NAN;
  }
  if (total_out != NULL) {
    *total_out = total;
  }
  return SEGKIT_OK;
}
