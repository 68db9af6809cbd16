/* The split of an MRR result (groups from by columns and tenure stages), its periods
 * (months, quarters, years or the whole range) with their rates and intervals, and the
 * per-group monthly survival curves the LTV uses.
 *
 * Key design choice: everything here is laid out before the per-customer pass and derived
 * after it from integer sums the pass adds up (mrr_movements.c), so periods, survival and
 * the split cost one extra look at each customer's month array and nothing per row; and
 * the period sums are cross-checked against the monthly movements (start of the first
 * month, customers at it) before any rate is derived from them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "metrics/metrics_int.h"
#include "segkit/survival.h"

/* Cells of (groups + 1) x months kept per thread: beyond this a split is almost surely a
 * mistake (an id column as a segment) and would cost gigabytes. */
#define MAX_GROUP_CELLS ((size_t)1 << 21)

static const char *const k_stage_names[3] = {"onboarding", "growth", "mature"};

uint32_t sk__tenure_stage(int32_t days) {
  if (days < SEGKIT_MRR_ONBOARDING_DAYS) {
    return 0;
  }
  return days < SEGKIT_MRR_GROWTH_DAYS ? 1 : 2;
}

static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p != NULL) {
    memcpy(p, s, n);
  }
  return p;
}

/* ---- groups ------------------------------------------------------------------------------ */

static segkit_status nomem(segkit_error *err) {
  return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the MRR groups");
}

static segkit_status layout_groups(segkit_mrr_result *r, const segkit_grouping *gr,
                                   segkit_error *err) {
  size_t n_by = gr != NULL ? segkit_grouping_n_by(gr) : 0;
  size_t n_base = gr != NULL ? segkit_grouping_n_groups(gr) : 1;
  size_t stages = r->tenure_stages ? 3 : 1;
  r->n_keys = n_by + (r->tenure_stages ? 1 : 0);
  r->n_groups = r->n_keys == 0 ? 0 : n_base * stages;
  if ((r->n_groups + 1) * (r->n_months + 1) > MAX_GROUP_CELLS) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "%zu groups over %zu months is too fine a split (at most %zu "
                            "group-months; is an id column among the by columns?)",
                            r->n_groups, r->n_months, MAX_GROUP_CELLS);
  }
  r->key_names = calloc(r->n_keys + 1, sizeof *r->key_names);
  r->group_keys = calloc(r->n_groups * r->n_keys + 1, sizeof *r->group_keys);
  r->group_names = calloc(r->n_groups + 1, sizeof *r->group_names);
  if (r->key_names == NULL || r->group_keys == NULL || r->group_names == NULL) {
    return nomem(err);
  }
  for (size_t k = 0; k < r->n_keys; k++) {
    r->key_names[k] = dup_text(k < n_by ? segkit_grouping_column(gr, k) : "tenure_stage");
    if (r->key_names[k] == NULL) {
      return nomem(err);
    }
  }
  for (size_t g = 0; g < r->n_groups; g++) {
    size_t base = g / stages;
    size_t len = 1;
    for (size_t k = 0; k < r->n_keys; k++) {
      const char *v = k < n_by ? segkit_grouping_value(gr, base, k) : k_stage_names[g % 3];
      r->group_keys[g * r->n_keys + k] = dup_text(v);
      if (r->group_keys[g * r->n_keys + k] == NULL) {
        return nomem(err);
      }
      len += strlen(v) + 3;
    }
    r->group_names[g] = malloc(len);
    if (r->group_names[g] == NULL) {
      return nomem(err);
    }
    r->group_names[g][0] = '\0';
    for (size_t k = 0; k < r->n_keys; k++) {
      if (k > 0) {
        strcat(r->group_names[g], " / ");
      }
      strcat(r->group_names[g], r->group_keys[g * r->n_keys + k]);
    }
  }
  return SEGKIT_OK;
}

/* ---- periods ------------------------------------------------------------------------------ */

static int period_length(segkit_mrr_period_kind kind) {
  switch (kind) {
  case SEGKIT_MRR_PERIOD_MONTH:
    return 1;
  case SEGKIT_MRR_PERIOD_QUARTER:
    return 3;
  case SEGKIT_MRR_PERIOD_YEAR:
    return 12;
  default:
    return 0;
  }
}

static segkit_status layout_periods(segkit_mrr_result *r, const segkit_mrr_options *opt,
                                    segkit_error *err) {
  int len = period_length(opt->period);
  if (opt->period != SEGKIT_MRR_PERIOD_RANGE && len == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "unknown period kind %d",
                            (int)opt->period);
  }
  int32_t from = r->from_month;
  int32_t to = from + (int32_t)r->n_months - 1;
  size_t n = 1;
  if (len > 0) {
    n = (size_t)(sk__floor_div(to, len) - sk__floor_div(from, len)) + 1;
  }
  r->n_periods = n;
  r->period_first = malloc(n * sizeof *r->period_first);
  r->period_last = malloc(n * sizeof *r->period_last);
  if (r->period_first == NULL || r->period_last == NULL) {
    return nomem(err);
  }
  if (len == 0) {
    r->period_first[0] = from;
    r->period_last[0] = to;
    return SEGKIT_OK;
  }
  int32_t aligned = sk__floor_div(from, len) * len;
  for (size_t p = 0; p < n; p++) {
    int32_t a = aligned + (int32_t)p * len;
    int32_t b = a + len - 1;
    r->period_first[p] = a < from ? from : a;
    r->period_last[p] = b > to ? to : b;
  }
  return SEGKIT_OK;
}

segkit_status sk__mrr_layout(segkit_mrr_result *r, const segkit_grouping *grouping,
                             const segkit_mrr_options *opt, segkit_error *err) {
  segkit_status s = layout_groups(r, grouping, err);
  if (s == SEGKIT_OK) {
    s = layout_periods(r, opt, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  size_t blocks = r->n_groups + 1;
  r->period_acc = calloc(blocks * r->n_periods, sizeof *r->period_acc);
  r->periods = calloc(blocks * r->n_periods, sizeof *r->periods);
  r->surv_at_risk = calloc(blocks * (r->n_months + 1), sizeof *r->surv_at_risk);
  r->surv_churned = calloc(blocks * (r->n_months + 1), sizeof *r->surv_churned);
  r->surv_curve = calloc(blocks * (r->n_months + 1), sizeof *r->surv_curve);
  r->surv_n = calloc(blocks, sizeof *r->surv_n);
  if (r->period_acc == NULL || r->periods == NULL || r->surv_at_risk == NULL ||
      r->surv_churned == NULL || r->surv_curve == NULL || r->surv_n == NULL) {
    return nomem(err);
  }
  return SEGKIT_OK;
}

/* ---- derived rates --------------------------------------------------------------------------- */

static double ratio(double num, double den) {
  return den != 0.0 ? num / den : NAN;
}

static segkit_status wilson(int64_t x, int64_t n, double level, double *lo, double *hi,
                            segkit_error *err) {
  if (n <= 0) {
    *lo = NAN;
    *hi = NAN;
    return SEGKIT_OK;
  }
  return segkit_wilson_interval((uint64_t)x, (uint64_t)n, level, lo, hi, err);
}

/* Interval of a ratio estimator R = Σy / Σx over n customers (NRR, GRR), by the delta
 * method (Cochran 1977, 6.3): Var(R) ≈ Σ(y - R x)² / (n (n - 1) x̄²), with
 * Σ(y - R x)² = Σy² - 2R Σxy + R² Σx² from exact integer sums. Normal interval R -/+ z se,
 * the lower end at least 0. NaN when n < 2 or Σx = 0. */
static void ratio_interval(double r, int64_t n, int64_t sum_x, sk__i128 sxx, sk__i128 syy,
                           sk__i128 sxy, double z, double *se_out, double *lo, double *hi) {
  *se_out = NAN;
  *lo = NAN;
  *hi = NAN;
  if (n < 2 || sum_x <= 0 || !isfinite(r)) {
    return;
  }
  long double xbar = (long double)sum_x / (long double)n;
  long double ss = (long double)syy - 2.0L * r * (long double)sxy + (long double)r * r *
                   (long double)sxx;
  if (ss < 0.0L) {
    ss = 0.0L; /* rounding of an exact zero */
  }
  double se = (double)sqrtl(ss / ((long double)n * (long double)(n - 1) * xbar * xbar));
  *se_out = se;
  *lo = fmax(0.0, r - z * se);
  *hi = r + z * se;
}

static void sum_months(segkit_mrr_period *p, const segkit_mrr_month *m, size_t i0, size_t i1) {
  p->start_cents = m[i0].start_cents;
  p->end_cents = m[i1].end_cents;
  p->customers_start = m[i0].customers_start;
  p->customers_end = m[i1].customers_end;
  for (size_t i = i0; i <= i1; i++) {
    p->new_cents += m[i].new_cents;
    p->reactivation_cents += m[i].reactivation_cents;
    p->expansion_cents += m[i].expansion_cents;
    p->contraction_cents += m[i].contraction_cents;
    p->churned_cents += m[i].churned_cents;
    p->n_new += m[i].n_new;
    p->n_reactivation += m[i].n_reactivation;
    p->n_churned += m[i].n_churned;
    p->customer_months += m[i].customers_start;
    p->active_months += m[i].customers_end;
    p->mrr_month_sum_cents += m[i].end_cents;
  }
}

/* The rates of period p from its sums: m is its block's month array (indexed from
 * from_month), a its accumulator. */
static segkit_status derive_from(segkit_mrr_period *p, const sk__period_acc *a,
                                 const segkit_mrr_month *m, int32_t from_month, double level,
                                 int64_t min_n, int64_t n_design, segkit_error *err) {
  size_t i0 = (size_t)(p->first_month - from_month);
  size_t i1 = (size_t)(p->last_month - from_month);
  sum_months(p, m, i0, i1);
  if (a->customers_start != p->customers_start || a->start_cents != p->start_cents) {
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL,
                            "period sums disagree with the monthly movements");
  }
  p->retained = a->retained;
  p->lost = a->customers_start - a->retained;
  p->retained_cents = a->retained_cents;
  p->retained_capped_cents = a->retained_capped_cents;
  p->logo_churn = ratio((double)p->lost, (double)p->customers_start);
  segkit_status s = wilson(p->lost, p->customers_start, level, &p->logo_churn_low,
                           &p->logo_churn_high, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  p->nrr = ratio((double)p->retained_cents, (double)p->start_cents);
  p->grr = ratio((double)p->retained_capped_cents, (double)p->start_cents);
  double z = gsl_cdf_ugaussian_Qinv((1.0 - level) / 2.0);
  ratio_interval(p->nrr, a->customers_start, a->start_cents, a->sum_xx, a->sum_yy, a->sum_xy, z,
                 &p->nrr_se, &p->nrr_low, &p->nrr_high);
  ratio_interval(p->grr, a->customers_start, a->start_cents, a->sum_xx, a->sum_cc, a->sum_xc, z,
                 &p->grr_se, &p->grr_low, &p->grr_high);
  p->grr_high = fmin(p->grr_high, 1.0); /* GRR cannot exceed 1 */
  p->revenue_churn = 1.0 - p->grr;
  p->monthly_churn = ratio((double)p->n_churned, (double)p->customer_months);
  s = wilson(p->n_churned, p->customer_months, level, &p->monthly_churn_low,
             &p->monthly_churn_high, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  p->arpu_cents = ratio((double)p->mrr_month_sum_cents, (double)p->active_months);
  sk__ltv_derive(p, a, n_design, z);
  p->too_small = p->customers_start < min_n;
  return SEGKIT_OK;
}

static segkit_status derive_period(segkit_mrr_result *r, size_t block, size_t pi,
                                   segkit_error *err) {
  segkit_mrr_period *p = &r->periods[block * r->n_periods + pi];
  memset(p, 0, sizeof *p);
  p->first_month = r->period_first[pi];
  p->last_month = r->period_last[pi];
  return derive_from(p, &r->period_acc[block * r->n_periods + pi], r->months + block * r->n_months,
                     r->from_month, r->conf_level, r->min_customers,
                     r->period_acc[pi].ltv_customers, err);
}

static void derive_survival(segkit_mrr_result *r, size_t block) {
  size_t ns = r->n_months + 1;
  const int64_t *at = r->surv_at_risk + block * ns;
  const int64_t *ch = r->surv_churned + block * ns;
  double *s = r->surv_curve + block * ns;
  size_t n = 1;
  for (size_t k = 1; k < ns; k++) {
    if (at[k] > 0) {
      n = k + 1;
    }
  }
  s[0] = 1.0;
  for (size_t k = 1; k < n; k++) {
    s[k] = s[k - 1] * (at[k] > 0 ? 1.0 - (double)ch[k] / (double)at[k] : 1.0);
  }
  r->surv_n[block] = n;
}

segkit_status sk__mrr_finish_periods(segkit_mrr_result *r, const segkit_mrr_options *opt,
                                     segkit_error *err) {
  double level = opt->conf_level > 0.0 ? opt->conf_level : 0.95;
  int64_t min_n = opt->min_customers > 0 ? opt->min_customers : 30;
  if (!(level < 1.0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "confidence level %g is invalid (expected 0 < level < 1)", level);
  }
  r->conf_level = level;
  r->min_customers = min_n;
  for (size_t b = 0; b <= r->n_groups; b++) {
    for (size_t p = 0; p < r->n_periods; p++) {
      segkit_status s = derive_period(r, b, p, err);
      if (s != SEGKIT_OK) {
        return s;
      }
    }
    derive_survival(r, b);
  }
  for (size_t p = 0; p < r->n_periods; p++) {
    segkit_mrr_period *x = &r->periods[p];
    int len = period_length(opt->period);
    x->partial = len > 0 && (x->last_month - x->first_month + 1) < len;
    for (size_t g = 0; g < r->n_groups; g++) {
      r->periods[(g + 1) * r->n_periods + p].partial = x->partial;
    }
  }
  return SEGKIT_OK;
}

/* ---- getters ------------------------------------------------------------------------------- */

size_t segkit_mrr_n_keys(const segkit_mrr_result *r) {
  return r->n_keys;
}

const char *segkit_mrr_key_name(const segkit_mrr_result *r, size_t k) {
  return k < r->n_keys ? r->key_names[k] : NULL;
}

const char *segkit_mrr_group_key(const segkit_mrr_result *r, size_t group, size_t k) {
  if (group >= r->n_groups || k >= r->n_keys) {
    return NULL;
  }
  return r->group_keys[group * r->n_keys + k];
}

size_t segkit_mrr_n_periods(const segkit_mrr_result *r) {
  return r->n_periods;
}

const segkit_mrr_period *segkit_mrr_periods(const segkit_mrr_result *r, size_t group) {
  if (group == SEGKIT_MRR_ALL) {
    return r->periods;
  }
  return group < r->n_groups ? r->periods + (group + 1) * r->n_periods : NULL;
}

void sk__period_acc_add(sk__period_acc *o, const sk__period_acc *a) {
  o->customers_start += a->customers_start;
  o->start_cents += a->start_cents;
  o->retained += a->retained;
  o->retained_cents += a->retained_cents;
  o->retained_capped_cents += a->retained_capped_cents;
  o->sum_xx += a->sum_xx;
  o->sum_yy += a->sum_yy;
  o->sum_xy += a->sum_xy;
  o->sum_cc += a->sum_cc;
  o->sum_xc += a->sum_xc;
  o->ltv_customers += a->ltv_customers;
  for (size_t i = 0; i < 10; i++) {
    o->ltv_m[i] += a->ltv_m[i];
  }
}

void sk__mrr_month_add(segkit_mrr_month *a, const segkit_mrr_month *b) {
  a->start_cents += b->start_cents;
  a->new_cents += b->new_cents;
  a->reactivation_cents += b->reactivation_cents;
  a->expansion_cents += b->expansion_cents;
  a->contraction_cents += b->contraction_cents;
  a->churned_cents += b->churned_cents;
  a->end_cents += b->end_cents;
  a->customers_start += b->customers_start;
  a->customers_end += b->customers_end;
  a->n_new += b->n_new;
  a->n_reactivation += b->n_reactivation;
  a->n_expansion += b->n_expansion;
  a->n_contraction += b->n_contraction;
  a->n_churned += b->n_churned;
}

/* Every sum the period rates come from is a sum over customers, and each customer is in
 * one group at a time, so the period of a union of groups is the period of the summed
 * blocks: exact, with no second pass over the customers. */
segkit_status segkit_mrr_period_select(const segkit_mrr_result *r, const bool *selected,
                                       size_t period, segkit_mrr_period *out, segkit_error *err) {
  if (r == NULL || selected == NULL || out == NULL || period >= r->n_periods) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segkit_mrr_period_select: needs a result, a selection and a "
                            "period below %zu",
                            r != NULL ? r->n_periods : 0);
  }
  segkit_mrr_month *m = calloc(r->n_months, sizeof *m);
  if (m == NULL) {
    return nomem(err);
  }
  sk__period_acc acc;
  memset(&acc, 0, sizeof acc);
  for (size_t g = 0; g < r->n_groups; g++) {
    if (!selected[g]) {
      continue;
    }
    const segkit_mrr_month *gm = r->months + (g + 1) * r->n_months;
    for (size_t i = 0; i < r->n_months; i++) {
      sk__mrr_month_add(&m[i], &gm[i]);
    }
    sk__period_acc_add(&acc, &r->period_acc[(g + 1) * r->n_periods + period]);
  }
  sk__ltv_union_moments(r, period, selected, &acc);
  segkit_mrr_period p;
  memset(&p, 0, sizeof p);
  p.first_month = r->period_first[period];
  p.last_month = r->period_last[period];
  p.partial = r->periods[period].partial;
  segkit_status s = derive_from(&p, &acc, m, r->from_month, r->conf_level, r->min_customers,
                                r->period_acc[period].ltv_customers, err);
  free(m);
  if (s == SEGKIT_OK) {
    *out = p;
  }
  return s;
}

void segkit_mrr_survival(const segkit_mrr_result *r, size_t group, size_t *n,
                         const int64_t **at_risk, const int64_t **churned,
                         const double **survival) {
  size_t b = group == SEGKIT_MRR_ALL ? 0 : group + 1;
  bool ok = group == SEGKIT_MRR_ALL || group < r->n_groups;
  size_t ns = r->n_months + 1;
  if (n != NULL) {
    *n = ok ? r->surv_n[b] : 0;
  }
  if (at_risk != NULL) {
    *at_risk = ok ? r->surv_at_risk + b * ns : NULL;
  }
  if (churned != NULL) {
    *churned = ok ? r->surv_churned + b * ns : NULL;
  }
  if (survival != NULL) {
    *survival = ok ? r->surv_curve + b * ns : NULL;
  }
}
