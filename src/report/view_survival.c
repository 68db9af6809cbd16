/* survival: Kaplan-Meier curves of customer lifetimes in months, by a grouping (the by
 * option, default the plan a customer started on when the history has a plan column; with
 * a segment, its members against the rest), with Greenwood log-scale 95% bands, the median
 * lifetime and the log-rank test.
 *
 * Lifetimes are segkit_mrr_lifetimes' over the whole history (months from the first month
 * end with MRR to the last, censored when still paying at the last month), and the curves
 * segkit_km_fit's, which match R's survfit (docs/metrics.md, "Survival"). A customer's
 * group is its segment at its first paid month end (segkit_mrr_customer_start_group), the
 * way the MRR engine attributes a start. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "segkit/survival.h"

static json_t *curve_json(const segkit_km_curve *k, const char *name) {
  json_t *pts = json_array();
  for (size_t i = 0; i < k->n_points; i++) {
    json_array_append_new(
        pts, json_pack("{s:f, s:I, s:I, s:I, s:f, s:o, s:o}", "time", k->time[i], "at_risk",
                       (json_int_t)k->n_risk[i], "events", (json_int_t)k->n_event[i], "censored",
                       (json_int_t)k->n_censor[i], "survival", k->surv[i], "lower",
                       sk__num(k->lower[i]), "upper", sk__num(k->upper[i])));
  }
  return json_pack("{s:s, s:I, s:I, s:o, s:b, s:o}", "name", name, "n", (json_int_t)k->n_subjects,
                   "events", (json_int_t)k->n_events, "median", sk__num(k->median), "too_small",
                   k->n_subjects < SK_MIN_N, "curve", pts);
}

/* The grouping: the by option, else "plan" when the history has it. */
static const char *grouping(sk_ctx *c) {
  if (c->segment != NULL) {
    return NULL;
  }
  const char *by = sk__opt(c, "by");
  if (by != NULL) {
    return by;
  }
  const char *name = sk__dataset(c, "subscriptions");
  const segkit_table *t = NULL;
  segkit_error e;
  if (name != NULL && sk__table(c->v, name, &t, &e) == SEGKIT_OK &&
      segkit_table_column_index(t, "plan") >= 0) {
    return "plan";
  }
  return NULL;
}

segkit_status sk__view_survival(sk_ctx *c, json_t *view, segkit_error *err) {
  (void)err;
  const char *by = grouping(c);
  /* The default grouping (plan) is read off the split by plan and billing interval that
   * cohorts and insights use: the same MRR result, its groups merged by their first key. */
  char split[256];
  sk__start_split(c, split, sizeof split);
  bool merge = by != NULL && sk__opt(c, "by") == NULL && strncmp(split, "plan,", 5) == 0;
  const segkit_mrr_result *r = NULL;
  const segkit_table *t = NULL;
  segkit_error e;
  if (sk__mrr(c, INT32_MIN, INT32_MIN, merge ? split : by, true, &r, &t, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
    return SEGKIT_OK;
  }
  segkit_table *lt = NULL;
  if (segkit_mrr_lifetimes(r, t, segkit_mrr_columns_default().customer, &lt, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
    return SEGKIT_OK;
  }
  size_t n = segkit_table_n_rows(lt);
  size_t n_months = segkit_mrr_n_months(r);
  size_t ng = segkit_mrr_n_groups(r);
  /* group -> curve: the identity, or merged by the first key (groups come in value order,
   * so equal first keys are neighbours) */
  uint32_t *curve_of = malloc((ng + 1) * sizeof *curve_of);
  const char **curve_name = malloc((ng + 1) * sizeof *curve_name);
  uint32_t n_curves = 0;
  for (size_t g = 0; curve_of != NULL && curve_name != NULL && g < ng; g++) {
    const char *name = merge                ? segkit_mrr_group_key(r, g, 0)
                       : c->segment != NULL ? segkit_mrr_group_key(r, g, segkit_mrr_n_keys(r) - 1)
                                            : segkit_mrr_group_name(r, g);
    if (!merge || n_curves == 0 || strcmp(curve_name[n_curves - 1], name) != 0) {
      curve_name[n_curves++] = name;
    }
    curve_of[g] = n_curves - 1;
  }
  uint32_t n_groups = ng > 0 ? n_curves : 1;
  int64_t *time = malloc((n + 1) * sizeof *time);
  uint8_t *event = malloc(n + 1);
  uint32_t *group = malloc((n + 1) * sizeof *group);
  if (time == NULL || event == NULL || group == NULL || curve_of == NULL || curve_name == NULL) {
    free(curve_of);
    free(curve_name);
    free(time);
    free(event);
    free(group);
    segkit_table_free(lt);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  const int64_t *tenure = segkit_column_int64(segkit_table_column(lt, 2));
  const uint8_t *churned = segkit_column_bool(segkit_table_column(lt, 3));
  size_t m = 0;
  size_t row = 0;
  size_t no_group = 0;
  /* the lifetimes table lists the customers with MRR at some month end, in customer order */
  for (size_t i = 0; i < segkit_mrr_n_customers(r) && row < n; i++) {
    const int64_t *mrr = segkit_mrr_customer_mrr(r, i);
    bool paid = false;
    for (size_t k = 0; k <= n_months && !paid; k++) {
      paid = mrr[k] > 0;
    }
    if (!paid) {
      continue;
    }
    uint32_t g = ng > 0 ? segkit_mrr_customer_start_group(r, i) : 0;
    if (g == SEGKIT_MRR_NO_GROUP) {
      no_group++;
    } else {
      time[m] = tenure[row];
      event[m] = churned[row];
      group[m] = ng > 0 ? curve_of[g] : 0;
      m++;
    }
    row++;
  }
  segkit_surv_input in = {
      .n = m, .time_i64 = time, .event = event, .group = group, .n_groups = n_groups};
  segkit_km *km = NULL;
  segkit_logrank *lr = NULL;
  segkit_status st = segkit_km_fit(&in, 0.95, &km, &e);
  uint32_t with_subjects = 0;
  for (uint32_t g = 0; st == SEGKIT_OK && g < segkit_km_n_groups(km); g++) {
    with_subjects += segkit_km_group(km, g)->n_subjects > 0;
  }
  if (st == SEGKIT_OK && with_subjects >= 2 && segkit_logrank_test(km, &lr, &e) != SEGKIT_OK) {
    lr = NULL;
  }
  if (st != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
  } else {
    json_t *groups = json_array();
    for (uint32_t g = 0; g < segkit_km_n_groups(km); g++) {
      const segkit_km_curve *k = segkit_km_group(km, g);
      if (k->n_subjects == 0) {
        continue;
      }
      const char *name = ng == 0 ? "all customers" : curve_name[g];
      json_array_append_new(groups, curve_json(k, name));
    }
    json_object_set_new(view, "by",
                        by != NULL           ? json_string(by)
                        : c->segment != NULL ? json_string("segment")
                                             : json_null());
    json_object_set_new(view, "time_unit", json_string("months"));
    json_object_set_new(view, "confidence", json_real(0.95));
    json_object_set_new(view, "band", json_string("log"));
    json_object_set_new(view, "groups", groups);
    json_object_set_new(view, "logrank",
                        lr != NULL ? json_pack("{s:o, s:I, s:o}", "chi2", sk__num(lr->chi2), "df",
                                               (json_int_t)lr->df, "p", sk__num(lr->p_value))
                                   : json_null());
    json_object_set_new(view, "customers", json_integer((json_int_t)m));
    json_object_set_new(view, "left_out_no_group", json_integer((json_int_t)no_group));
    json_object_set_new(view, "min_customers", json_integer(SK_MIN_N));
  }
  segkit_logrank_free(lr);
  segkit_km_free(km);
  free(curve_of);
  free(curve_name);
  free(time);
  free(event);
  free(group);
  segkit_table_free(lt);
  return SEGKIT_OK;
}
