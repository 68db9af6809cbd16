/* value.c: customer lifetime value from a purchase model (BG/NBD or Pareto/NBD) and the
 * Gamma-Gamma spend model, as lifetimes' _customer_lifetime_value (lifetimes/utils.py) with
 * GammaGammaFitter.customer_lifetime_value:
 *   CLV = sum_{k=1..K} E[M | x, mbar] (E[X(k step)] - E[X((k-1) step)]) / (1 + d)^k,
 * where E[X(t)] is the expected number of purchases in the next t units given the history
 * (segkit_clv_expected_purchases), E[M | x, mbar] the Gamma-Gamma expected spend, and d the
 * discount rate per step (lifetimes: time months of 30 days each, a monthly rate).
 *
 * Key design choice: the horizon need not be a whole number of steps; the last step then
 * ends at the horizon and is discounted at the fractional exponent horizon / step, which
 * is lifetimes' exponent i / factor carried to a partial step. With step = 1 unit, the
 * rate is per unit. Invalid input gives NaN, as every prediction does. */
#include <math.h>

#include "clv/clv_int.h"

/* Whole steps closer than this (relative) to the horizon count as reaching it. */
#define STEP_TOLERANCE 1e-9
/* A bound on the work of one call (each step costs a prediction); more is a usage error. */
#define MAX_STEPS 1e6

static bool is_purchase_model(const segkit_clv_model *m) {
  return m && (m->kind == SEGKIT_CLV_BGNBD || m->kind == SEGKIT_CLV_PARETONBD);
}

double sk__clv_discounted_purchases(const segkit_clv_model *purchases, double frequency,
                                    double recency, double T, double horizon, double step,
                                    double discount) {
  if (!is_purchase_model(purchases)) {
    return NAN;
  }
  if (!(horizon >= 0) || isinf(horizon) || !(step > 0) || isinf(step) || !(discount > -1.0) ||
      isinf(discount)) {
    return NAN;
  }
  double n_steps = horizon / step;
  double whole = floor(n_steps + STEP_TOLERANCE);
  if (whole > MAX_STEPS) {
    return NAN;
  }
  double sum = 0.0;
  double previous = 0.0; /* E[X(0)] = 0 */
  for (double k = 1; k <= whole; k += 1.0) {
    double cumulative = segkit_clv_expected_purchases(purchases, k * step, frequency, recency, T);
    sum += (cumulative - previous) / pow(1.0 + discount, k);
    previous = cumulative;
  }
  if (n_steps - whole > STEP_TOLERANCE) {
    double cumulative = segkit_clv_expected_purchases(purchases, horizon, frequency, recency, T);
    sum += (cumulative - previous) / pow(1.0 + discount, n_steps);
  }
  return sum;
}

double segkit_clv_value(const segkit_clv_model *purchases, const segkit_clv_model *spend,
                        double frequency, double recency, double T, double monetary,
                        double horizon, double step, double discount) {
  if (!is_purchase_model(purchases) || !spend || spend->kind != SEGKIT_CLV_GAMMAGAMMA)
    return NAN;
  double m = segkit_clv_expected_spend(spend, frequency, monetary);
  if (isnan(m))
    return NAN;
  /* the spend is the same every step, so it multiplies the discounted purchases once */
  return m * sk__clv_discounted_purchases(purchases, frequency, recency, T, horizon, step,
                                          discount);
}
