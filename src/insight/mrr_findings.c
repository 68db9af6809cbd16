/* mrr_findings.c: which segments of a subscription history churn more or less per month,
 * and keep more or less of their MRR, than the rest of the customers.
 *
 * Key design choices: the MRR engine has already summed everything per group of its split
 * (every combination of the by columns), and every period sum is a sum over customers who
 * are in one group at a time, so a value of one column and its rest are exact unions of
 * groups (segkit_mrr_period_select): one pass over the customers serves every column.
 * Churn per month is compared on customer-months (as segkit metrics reports it), NRR as a
 * ratio estimator with its delta-method standard error, LTV (ARPU / churn) on the log
 * scale with customers as clusters and the covariance of the two sides (a customer can
 * move between them in the window); all kinds go through one Benjamini-Hochberg step
 * (segkit_comparisons_test). Of a column with two values only the
 * first is compared: the second against the rest is the same comparison mirrored, and
 * counting it twice would loosen the correction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "insight/insight_int.h"
#include "segkit/insight.h"

struct segkit_segment_findings {
  size_t n;
  segkit_segment_finding *items;
  size_t n_tests;
};

static const char k_null[] = "(null)";

enum { MEASURES = 3 }; /* churn, LTV, NRR: the comparisons of one value */

void segkit_segment_findings_free(segkit_segment_findings *f) {
  if (f != NULL) {
    free(f->items);
    free(f);
  }
}

size_t segkit_segment_findings_n(const segkit_segment_findings *f) {
  return f != NULL ? f->n : 0;
}

const segkit_segment_finding *segkit_segment_findings_at(const segkit_segment_findings *f,
                                                         size_t i) {
  return f != NULL && i < f->n ? &f->items[i] : NULL;
}

size_t segkit_segment_findings_n_tests(const segkit_segment_findings *f) {
  return f != NULL ? f->n_tests : 0;
}

/* Appends the churn, LTV and NRR comparisons of key k's value v. */
static segkit_status compare_value(const segkit_mrr_result *r, size_t period, size_t k,
                                   const char *v, bool *in, bool *rest,
                                   segkit_segment_findings *f, segkit_error *err) {
  size_t ng = segkit_mrr_n_groups(r);
  for (size_t g = 0; g < ng; g++) {
    const char *gv = segkit_mrr_group_key(r, g, k);
    in[g] = strcmp(gv, v) == 0;
    rest[g] = !in[g] && strcmp(gv, k_null) != 0;
  }
  segkit_mrr_period ps, pr;
  segkit_status s = segkit_mrr_period_select(r, in, period, &ps, err);
  if (s == SEGKIT_OK) {
    s = segkit_mrr_period_select(r, rest, period, &pr, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  const char *col = segkit_mrr_key_name(r, k);
  /* customers seen on a side: active when the window starts, plus (re)starts in it */
  segkit_segment_finding *churn = &f->items[f->n++];
  *churn = (segkit_segment_finding){
      .column = col, .segment = v, .measure = "monthly_churn",
      .c = {.kind = SEGKIT_COMPARE_PROPORTION,
            .n = (uint64_t)(ps.customers_start + ps.n_new + ps.n_reactivation),
            .n_rest = (uint64_t)(pr.customers_start + pr.n_new + pr.n_reactivation),
            .events = (uint64_t)ps.n_churned, .trials = (uint64_t)ps.customer_months,
            .events_rest = (uint64_t)pr.n_churned, .trials_rest = (uint64_t)pr.customer_months}};
  double cov = NAN;
  s = segkit_mrr_ltv_covariance(r, in, rest, period, &cov, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_segment_finding *ltv = &f->items[f->n++];
  *ltv = (segkit_segment_finding){.column = col,
                                  .segment = v,
                                  .measure = "ltv",
                                  .c = {.kind = SEGKIT_COMPARE_LOG_ESTIMATE,
                                        .n = churn->c.n,
                                        .n_rest = churn->c.n_rest,
                                        .value = ps.ltv_cents,
                                        .se = ps.ltv_log_se,
                                        .value_rest = pr.ltv_cents,
                                        .se_rest = pr.ltv_log_se,
                                        .cov = cov}};
  segkit_segment_finding *nrr = &f->items[f->n++];
  *nrr = (segkit_segment_finding){
      .column = col, .segment = v, .measure = "nrr",
      .c = {.kind = SEGKIT_COMPARE_ESTIMATE, .n = (uint64_t)ps.customers_start,
            .n_rest = (uint64_t)pr.customers_start, .value = ps.nrr, .se = ps.nrr_se,
            .value_rest = pr.nrr, .se_rest = pr.nrr_se, .floor_zero = true}};
  return SEGKIT_OK;
}

static int cmp_finding(const void *a, const void *b) {
  const segkit_segment_finding *fx = a;
  const segkit_segment_finding *fy = b;
  int o = sk__finding_order(fx->c.too_small, fx->c.significant, fx->c.p, fy->c.too_small,
                            fy->c.significant, fy->c.p);
  if (o != 0) {
    return o;
  }
  return (fx->order > fy->order) - (fx->order < fy->order);
}

segkit_status segkit_mrr_findings_new(const segkit_mrr_result *r, size_t period,
                                      const segkit_rate_options *opt,
                                      segkit_segment_findings **out, segkit_error *err) {
  if (r == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_mrr_findings_new: no MRR result");
  }
  if (period >= segkit_mrr_n_periods(r)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "period %zu out of range (the result has %zu)",
                            period, segkit_mrr_n_periods(r));
  }
  size_t ng = segkit_mrr_n_groups(r);
  size_t nk = segkit_mrr_n_keys(r);
  if (ng == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "findings need segments: compute the MRR with by columns");
  }
  segkit_segment_findings *f = calloc(1, sizeof *f);
  bool *in = calloc(ng, sizeof *in);
  bool *rest = calloc(ng, sizeof *rest);
  /* at most one value per group per key, MEASURES comparisons each */
  if (f != NULL) {
    f->items = calloc(MEASURES * ng * nk + 1, sizeof *f->items);
  }
  segkit_status s = SEGKIT_OK;
  if (f == NULL || f->items == NULL || in == NULL || rest == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the segment findings");
  }
  for (size_t k = 0; s == SEGKIT_OK && k < nk; k++) {
    size_t first = f->n, values = 0;
    for (size_t g = 0; s == SEGKIT_OK && g < ng; g++) {
      const char *v = segkit_mrr_group_key(r, g, k);
      bool seen = strcmp(v, k_null) == 0;
      for (size_t h = 0; !seen && h < g; h++) {
        seen = strcmp(segkit_mrr_group_key(r, h, k), v) == 0;
      }
      if (!seen) {
        values++;
        s = compare_value(r, period, k, v, in, rest, f, err);
      }
    }
    if (values == 2) {
      f->n = first + MEASURES;
    }
  }
  free(in);
  free(rest);
  if (s == SEGKIT_OK) {
    segkit_comparison *c = malloc((f->n + 1) * sizeof *c);
    if (c == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the segment findings");
    }
    for (size_t i = 0; c != NULL && i < f->n; i++) {
      c[i] = f->items[i].c;
    }
    if (s == SEGKIT_OK) {
      s = segkit_comparisons_test(c, f->n, opt, &f->n_tests, err);
    }
    for (size_t i = 0; s == SEGKIT_OK && i < f->n; i++) {
      f->items[i].c = c[i];
      f->items[i].order = i;
    }
    free(c);
  }
  if (s != SEGKIT_OK) {
    segkit_segment_findings_free(f);
    return s;
  }
  qsort(f->items, f->n, sizeof *f->items, cmp_finding);
  *out = f;
  return SEGKIT_OK;
}
