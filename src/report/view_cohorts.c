/* cohorts: logo or revenue retention by signup month (segkit_cohorts_compute), a heatmap
 * of cohort x months since start; with a segment, one row for its members and one for the
 * rest, each cell over the customers observed that long (segkit_cohorts_compute_by_segment).
 *
 * The MRR behind it runs over the whole history (from the earliest start), so every
 * customer's first month is in range and no cohort is cut; customers already paying before
 * it would be "left out" and are counted (docs/metrics.md, "Cohort tables"). */
#include <math.h>
#include <string.h>

#include "report/report_int.h"

enum { MAX_COHORTS = 36 };

segkit_status sk__view_cohorts(sk_ctx *c, json_t *view, segkit_error *err) {
  const char *metric = sk__opt(c, "metric");
  bool revenue = metric != NULL && strcmp(metric, "revenue") == 0;
  if (metric != NULL && !revenue && strcmp(metric, "logo") != 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "metric",
                               "option 'metric' must be logo or revenue, not '%s'", metric);
  }
  long months = 12;
  segkit_status st = sk__opt_int(c, "months", 1, 120, 12, &months, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  const segkit_mrr_result *r = NULL;
  segkit_error e;
  /* month cohorts ignore the split; asking for the one survival and insights use shares
   * the result with them */
  char by[256];
  sk__start_split(c, by, sizeof by);
  if (sk__mrr(c, INT32_MIN, INT32_MIN, c->segment == NULL && by[0] != '\0' ? by : NULL, true, &r,
              NULL, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
    return SEGKIT_OK;
  }
  segkit_cohorts *co = NULL;
  st = c->segment != NULL ? segkit_cohorts_compute_by_segment(r, &co, &e)
                          : segkit_cohorts_compute(r, &co, &e);
  if (st != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
    return SEGKIT_OK;
  }
  size_t n = segkit_cohorts_n(co);
  size_t first = c->segment == NULL && n > MAX_COHORTS ? n - MAX_COHORTS : 0;
  json_t *rows = json_array();
  for (size_t i = first; i < n; i++) {
    json_t *cells = json_array();
    json_t *active = json_array();
    json_t *observed = json_array();
    const double *v =
        revenue ? segkit_cohorts_revenue_retention(co, i) : segkit_cohorts_logo_retention(co, i);
    const int64_t *ac = segkit_cohorts_active(co, i);
    const int64_t *ob = segkit_cohorts_observed(co, i);
    size_t cells_n = segkit_cohorts_n_cells(co, i);
    for (size_t k = 0; k < cells_n && k <= (size_t)months; k++) {
      json_array_append_new(cells, sk__num(v[k]));
      json_array_append_new(active, json_integer(ac[k]));
      json_array_append_new(observed, json_integer(ob[k]));
    }
    json_t *label = NULL;
    size_t g = segkit_cohorts_group(co, i);
    if (g == SIZE_MAX) {
      label = sk__month(segkit_cohorts_month(co, i));
    } else {
      const char *name = segkit_mrr_group_key(r, g, segkit_mrr_n_keys(r) - 1);
      label = json_string(name);
    }
    int64_t size = segkit_cohorts_size(co, i);
    json_array_append_new(rows,
                          json_pack("{s:o, s:I, s:b, s:o, s:o, s:o}", "cohort", label, "size",
                                    (json_int_t)size, "too_small", size < SK_MIN_N, "retention",
                                    cells, "active", active, "observed", observed));
  }
  size_t ns = 0;
  const double *surv = NULL;
  const int64_t *at_risk = NULL;
  segkit_cohorts_survival(co, &ns, &at_risk, NULL, &surv);
  json_t *pooled = json_array();
  for (size_t k = 0; k < ns && k <= (size_t)months; k++) {
    json_array_append_new(pooled, sk__num(surv[k]));
  }
  json_object_set_new(view, "metric", json_string(revenue ? "revenue" : "logo"));
  json_object_set_new(view, "by", json_string(c->segment != NULL ? "segment" : "month"));
  json_object_set_new(view, "months_shown", json_integer(months));
  json_object_set_new(view, "cohorts_total", json_integer((json_int_t)n));
  json_object_set_new(view, "cohorts", rows);
  json_object_set_new(view, "left_out", json_integer((json_int_t)segkit_cohorts_n_left_out(co)));
  json_object_set_new(view, "pooled_survival", pooled);
  json_object_set_new(view, "min_customers", json_integer(SK_MIN_N));
  segkit_cohorts_free(co);
  return SEGKIT_OK;
}
