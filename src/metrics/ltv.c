/* Customer lifetime value two ways: the simple formula ARPU x margin / monthly logo churn,
 * and the survival-based sum over a horizon of S(t) x ARPU x margin, where S is the pooled
 * monthly logo survival of the customers starting in the range (segkit_mrr_survival), for
 * the totals or one group.
 *
 * Key design choice: both share the same ARPU, and the averages are ratios of sums over
 * the months (churned customers / customer-months at start; MRR / active customer-months)
 * rather than means of monthly ratios, so a month with few customers weighs little and
 * months with no customers need no special case. Past the months the cohorts observe, the
 * survival curve is continued with the simple formula's constant churn, which makes the
 * two estimates agree when churn does not depend on tenure (sum over t >= 0 of
 * (1 - c)^t = 1 / c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/metrics.h"

#define MAX_HORIZON 1200

void segkit_ltv_options_init(segkit_ltv_options *opt) {
  opt->gross_margin = 1.0;
  opt->horizon_months = 60;
}

static segkit_status check(const segkit_mrr_result *r, size_t group,
                           const segkit_ltv_options *opt, const segkit_ltv *out,
                           segkit_error *err) {
  if (r == NULL || opt == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_ltv_compute: NULL argument");
  }
  if (group != SEGKIT_MRR_ALL && group >= segkit_mrr_n_groups(r)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "group %zu is out of range (%zu groups)",
                            group, segkit_mrr_n_groups(r));
  }
  if (!(opt->gross_margin >= 0.0 && opt->gross_margin <= 1.0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "gross margin %g is invalid (expected 0..1)", opt->gross_margin);
  }
  if (opt->horizon_months < 1 || opt->horizon_months > MAX_HORIZON) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "horizon %d months is invalid (expected 1..%d)",
                            opt->horizon_months, MAX_HORIZON);
  }
  return SEGKIT_OK;
}

/* (a) ARPU x margin / churn, with both averaged over the result's months. */
static void simple(const segkit_mrr_result *r, size_t group, segkit_ltv *l) {
  const segkit_mrr_month *m = segkit_mrr_months(r, group);
  for (size_t i = 0; i < segkit_mrr_n_months(r); i++) {
    l->mrr_cents_sum += m[i].end_cents;
    l->customer_months += m[i].customers_end;
    l->churned += m[i].n_churned;
    l->customer_months_start += m[i].customers_start;
  }
  l->arpu_cents = l->customer_months > 0
                      ? (double)l->mrr_cents_sum / (double)l->customer_months
                      : NAN;
  l->monthly_churn = l->customer_months_start > 0
                         ? (double)l->churned / (double)l->customer_months_start
                         : NAN;
  double value = l->arpu_cents * l->gross_margin;
  if (isnan(value) || isnan(l->monthly_churn)) {
    l->ltv_simple_cents = NAN;
  } else if (l->monthly_churn == 0.0) {
    /* No churn observed: unbounded, unless there is nothing to earn. */
    l->ltv_simple_cents = value > 0.0 ? INFINITY : 0.0;
  } else {
    l->ltv_simple_cents = value / l->monthly_churn;
  }
}

/* (b) sum over t < H of S(t) x ARPU x margin. */
static void survival_based(const segkit_mrr_result *r, size_t group, segkit_ltv *l) {
  size_t n = 0;
  const double *s = NULL;
  const int64_t *at_risk = NULL;
  segkit_mrr_survival(r, group, &n, &at_risk, NULL, &s);
  size_t h = (size_t)l->horizon_months;
  if (n == 0 || at_risk[0] == 0) {
    n = 0; /* nobody started in the range: no curve */
  }
  l->n_observed = n;
  double observed = 0.0;
  for (size_t t = 0; t < n && t < h; t++) {
    observed += s[t];
  }
  l->survival_sum_observed = observed;
  double total = observed;
  if (n == 0) {
    total = NAN;
  } else if (h > n) {
    if (isnan(l->monthly_churn)) {
      total = NAN;
    } else {
      double keep = 1.0 - l->monthly_churn;
      double st = s[n - 1];
      for (size_t t = n; t < h; t++) {
        st *= keep;
        total += st;
      }
    }
  }
  l->survival_sum = total;
  l->ltv_survival_cents = total * l->arpu_cents * l->gross_margin;
}

segkit_status segkit_ltv_compute(const segkit_mrr_result *r, size_t group,
                                 const segkit_ltv_options *opt, segkit_ltv *out,
                                 segkit_error *err) {
  segkit_ltv_options defaults;
  segkit_ltv_options_init(&defaults);
  if (opt == NULL) {
    opt = &defaults;
  }
  segkit_status st = check(r, group, opt, out, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_ltv l;
  memset(&l, 0, sizeof l);
  l.gross_margin = opt->gross_margin;
  l.horizon_months = opt->horizon_months;
  simple(r, group, &l);
  survival_based(r, group, &l);
  *out = l;
  return SEGKIT_OK;
}
