/* The views of a subscription history: overview (customers, MRR, monthly churn with its
 * Wilson interval, NRR with its ratio-estimator interval, over the last months), segments
 * (every stored segment against the rest) and mrr_movements (new, expansion, contraction,
 * churned, reactivation per month, reconciling exactly).
 *
 * Every number is the metrics module's (segkit_mrr_compute, its periods and months): the
 * views only choose the months and put the numbers in JSON, so the report says exactly
 * what `segkit metrics` and `segkit mrr` say for the same months (docs/metrics.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

/* The months shown: the months option (default 12) ending at the to option or the last
 * month of the history. */
static segkit_status month_range(sk_ctx *c, int32_t *from, int32_t *to, segkit_error *err) {
  long months = 12;
  segkit_status st = sk__opt_int(c, "months", 1, 1200, 12, &months, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  *to = sk__last_month(c);
  const char *to_s = sk__opt(c, "to");
  if (to_s != NULL) {
    unsigned y = 0, m = 0;
    char tail = 0;
    if (sscanf(to_s, "%4u-%2u%c", &y, &m, &tail) != 2 || m < 1 || m > 12) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "to",
                                 "option 'to' must be a month YYYY-MM, not '%s'", to_s);
    }
    *to = segkit_month_index(y, m);
  }
  /* no history (INT32_MIN): left for sk__mrr to report, not subtracted from */
  *from = *to == INT32_MIN ? INT32_MIN : *to - (int32_t)months + 1;
  return SEGKIT_OK;
}

/* The headline numbers of a period (the whole range) and its last month. */
static json_t *kpis(const segkit_mrr_period *p, const segkit_mrr_month *last) {
  json_t *o = json_object();
  json_object_set_new(o, "customers", json_integer(p->customers_end));
  json_object_set_new(o, "customers_start", json_integer(p->customers_start));
  json_object_set_new(o, "mrr", sk__money(p->end_cents));
  json_object_set_new(o, "arr", sk__money(12 * p->end_cents));
  json_object_set_new(o, "arpu", sk__num(last->arpu_cents / 100.0));
  json_object_set_new(o, "new_customers", json_integer(p->n_new));
  json_object_set_new(o, "churned_customers", json_integer(p->n_churned));
  json_object_set_new(o, "customer_months", json_integer(p->customer_months));
  json_object_set_new(o, "monthly_churn", sk__num(p->monthly_churn));
  json_object_set_new(
      o, "monthly_churn_ci",
      json_pack("[o, o]", sk__num(p->monthly_churn_low), sk__num(p->monthly_churn_high)));
  json_object_set_new(o, "nrr", sk__num(p->nrr));
  json_object_set_new(o, "nrr_ci", json_pack("[o, o]", sk__num(p->nrr_low), sk__num(p->nrr_high)));
  json_object_set_new(o, "grr", sk__num(p->grr));
  json_object_set_new(o, "mrr_growth",
                      sk__num(p->start_cents > 0
                                  ? (double)(p->end_cents - p->start_cents) / (double)p->start_cents
                                  : NAN));
  json_object_set_new(o, "too_small", json_boolean(p->too_small));
  return o;
}

static json_t *series(const segkit_mrr_result *r, size_t group) {
  json_t *arr = json_array();
  const segkit_mrr_month *m = segkit_mrr_months(r, group);
  for (size_t i = 0; m != NULL && i < segkit_mrr_n_months(r); i++) {
    json_array_append_new(arr, json_pack("{s:o, s:o, s:I, s:o, s:o, s:o}", "month",
                                         sk__month(m[i].month), "mrr", sk__money(m[i].end_cents),
                                         "customers", (json_int_t)m[i].customers_end, "logo_churn",
                                         sk__num(m[i].logo_churn_rate), "nrr", sk__num(m[i].nrr),
                                         "arpu", sk__num(m[i].arpu_cents / 100.0)));
  }
  return arr;
}

/* Group index of the segment option's members ("member") and of the rest. */
static void member_groups(const segkit_mrr_result *r, size_t *member, size_t *rest) {
  *member = *rest = SIZE_MAX;
  size_t k = segkit_mrr_n_keys(r) - 1;
  for (size_t g = 0; g < segkit_mrr_n_groups(r); g++) {
    const char *v = segkit_mrr_group_key(r, g, k);
    if (strcmp(v, "member") == 0) {
      *member = g;
    } else if (strcmp(v, "rest") == 0) {
      *rest = g;
    }
  }
}

static json_t *group_block(const segkit_mrr_result *r, size_t g, const char *name) {
  const segkit_mrr_period *p = segkit_mrr_periods(r, g);
  const segkit_mrr_month *m = segkit_mrr_months(r, g);
  if (p == NULL || m == NULL) {
    return json_pack("{s:s, s:n}", "name", name, "kpis");
  }
  return json_pack("{s:s, s:o, s:o}", "name", name, "kpis", kpis(p, &m[segkit_mrr_n_months(r) - 1]),
                   "series", series(r, g));
}

/* Unavailable with the analysis's own message when the history cannot be computed. */
static bool computed(segkit_status st, json_t *view, const segkit_error *e) {
  if (st == SEGKIT_OK) {
    return true;
  }
  sk__unavailable(view, "%s%s", e->message,
                  st == SEGKIT_ERR_NOT_FOUND && strstr(e->message, "currenc") != NULL
                      ? " (give the exchange rates: option rates=USD=1,EUR=1.08)"
                      : "");
  return false;
}

/* The months shown and their MRR: false (with *st) when the view cannot go on, either
 * for a bad option (*st the error) or because the history cannot be computed (the view
 * is then unavailable and *st SEGKIT_OK). */
static bool history(sk_ctx *c, json_t *view, int32_t *from, int32_t *to,
                    const segkit_mrr_result **r, segkit_status *st, segkit_error *err) {
  *st = month_range(c, from, to, err);
  if (*st != SEGKIT_OK) {
    return false;
  }
  segkit_error e;
  return computed(sk__mrr(c, *from, *to, NULL, false, r, NULL, &e), view, &e);
}

segkit_status sk__view_overview(sk_ctx *c, json_t *view, segkit_error *err) {
  int32_t from, to;
  const segkit_mrr_result *r = NULL;
  segkit_status st;
  if (!history(c, view, &from, &to, &r, &st, err)) {
    return st;
  }
  segkit_error e;
  size_t nm = segkit_mrr_n_months(r);
  const segkit_mrr_month *m = segkit_mrr_months(r, SEGKIT_MRR_ALL);
  json_object_set_new(view, "from", sk__month(from));
  json_object_set_new(view, "to", sk__month(to));
  json_object_set_new(view, "months", json_integer((json_int_t)nm));
  json_object_set_new(view, "confidence", json_real(0.95));
  json_object_set_new(view, "min_customers", json_integer(SK_MIN_N));
  json_object_set_new(view, "kpis", kpis(segkit_mrr_periods(r, SEGKIT_MRR_ALL), &m[nm - 1]));
  json_object_set_new(view, "series", series(r, SEGKIT_MRR_ALL));
  const char *cust = sk__dataset(c, "customers");
  const segkit_table *ct = NULL;
  if (cust != NULL && sk__table(c->v, cust, &ct, &e) == SEGKIT_OK) {
    json_object_set_new(view, "customers_dataset", json_string(cust));
    json_object_set_new(view, "customers_total", json_integer((json_int_t)segkit_table_n_rows(ct)));
  }
  size_t n_skipped = 0;
  segkit_mrr_skipped(r, &n_skipped);
  json_object_set_new(view, "rows_skipped", json_integer((json_int_t)n_skipped));
  if (c->segment != NULL) {
    /* with a segment the result above is already split by membership (sk__mrr adds it) */
    size_t member, rest;
    member_groups(r, &member, &rest);
    json_object_set_new(
        view, "groups",
        json_pack("[o, o]", group_block(r, member, "member"), group_block(r, rest, "rest")));
  }
  return SEGKIT_OK;
}

segkit_status sk__view_movements(sk_ctx *c, json_t *view, segkit_error *err) {
  int32_t from, to;
  const segkit_mrr_result *r = NULL;
  segkit_status st;
  if (!history(c, view, &from, &to, &r, &st, err)) {
    return st;
  }
  size_t ng = c->segment != NULL ? 2 : 0;
  size_t member = SIZE_MAX, rest = SIZE_MAX;
  if (ng > 0) {
    member_groups(r, &member, &rest);
  }
  json_t *blocks = json_array();
  for (size_t b = 0; b <= ng; b++) {
    size_t g = b == 0 ? SEGKIT_MRR_ALL : b == 1 ? member : rest;
    const segkit_mrr_month *m = segkit_mrr_months(r, g);
    json_t *months = json_array();
    bool reconciles = true;
    for (size_t i = 0; m != NULL && i < segkit_mrr_n_months(r); i++) {
      reconciles = reconciles && m[i].start_cents + m[i].new_cents + m[i].reactivation_cents +
                                         m[i].expansion_cents - m[i].contraction_cents -
                                         m[i].churned_cents ==
                                     m[i].end_cents;
      json_array_append_new(
          months,
          json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I}",
                    "month", sk__month(m[i].month), "start", sk__money(m[i].start_cents), "new",
                    sk__money(m[i].new_cents), "expansion", sk__money(m[i].expansion_cents),
                    "reactivation", sk__money(m[i].reactivation_cents), "contraction",
                    sk__money(m[i].contraction_cents), "churned", sk__money(m[i].churned_cents),
                    "end", sk__money(m[i].end_cents), "customers_start",
                    (json_int_t)m[i].customers_start, "customers_end",
                    (json_int_t)m[i].customers_end, "new_customers", (json_int_t)m[i].n_new,
                    "reactivated_customers", (json_int_t)m[i].n_reactivation, "expanded_customers",
                    (json_int_t)m[i].n_expansion, "churned_customers", (json_int_t)m[i].n_churned));
    }
    if (b == 0) {
      json_object_set_new(view, "months", months);
      json_object_set_new(view, "reconciles", json_boolean(reconciles));
    } else {
      json_array_append_new(blocks, json_pack("{s:s, s:o, s:b}", "name", b == 1 ? "member" : "rest",
                                              "months", months, "reconciles", reconciles));
    }
  }
  json_object_set_new(view, "from", sk__month(from));
  json_object_set_new(view, "to", sk__month(to));
  json_object_set_new(view, "currency_note",
                      json_string("major units of the reporting currency; contraction and "
                                  "churned as positive amounts"));
  if (ng > 0) {
    json_object_set_new(view, "groups", blocks);
  } else {
    json_decref(blocks);
  }
  return SEGKIT_OK;
}

/* ---- segments ------------------------------------------------------------------------- */

/* Members of one stored segment against everyone its rule ran over. */
static json_t *segment_row(sk_ctx *c, const segkit_segment_info *s, int32_t from, int32_t to) {
  json_t *o = json_pack("{s:s, s:s, s:s, s:s?}", "name", s->name, "dataset", s->dataset, "rule",
                        s->rule, "description", s->description);
  segkit_table *m = NULL;
  segkit_error e;
  if (sk__segment_membership(c, s->name, &m, &e) != SEGKIT_OK) {
    json_object_set_new(o, "count", json_null());
    json_object_set_new(o, "error", json_string(e.message));
    return o;
  }
  const segkit_column *mc = segkit_table_column(m, 1);
  int64_t member_code = segkit_column_dict_find(mc, "member", strlen("member"));
  size_t count = 0;
  size_t total = segkit_table_n_rows(m);
  for (size_t i = 0; member_code >= 0 && i < total; i++) {
    count += segkit_column_codes(mc)[i] == (uint32_t)member_code;
  }
  segkit_table_free(m);
  json_object_set_new(o, "count", json_integer((json_int_t)count));
  json_object_set_new(o, "total", json_integer((json_int_t)total));
  json_object_set_new(o, "share", sk__num(total > 0 ? (double)count / (double)total : NAN));
  json_object_set_new(o, "too_small", json_boolean(count < SK_MIN_N));
  if (sk__dataset(c, "subscriptions") == NULL) {
    return o;
  }
  sk_ctx sc = *c;
  sc.segment = s->name;
  const segkit_mrr_result *r = NULL;
  if (sk__mrr(&sc, from, to, NULL, false, &r, NULL, &e) != SEGKIT_OK) {
    json_object_set_new(o, "billing_error", json_string(e.message));
    return o;
  }
  size_t member, rest;
  member_groups(r, &member, &rest);
  const segkit_mrr_period *p = member != SIZE_MAX ? segkit_mrr_periods(r, member) : NULL;
  const segkit_mrr_period *q = rest != SIZE_MAX ? segkit_mrr_periods(r, rest) : NULL;
  if (p != NULL) {
    json_object_set_new(o, "paying", json_integer(p->customers_end));
    json_object_set_new(o, "mrr", sk__money(p->end_cents));
    json_object_set_new(o, "mrr_share",
                        sk__num(segkit_mrr_periods(r, SEGKIT_MRR_ALL)->end_cents > 0
                                    ? (double)p->end_cents /
                                          (double)segkit_mrr_periods(r, SEGKIT_MRR_ALL)->end_cents
                                    : NAN));
    json_object_set_new(o, "monthly_churn", sk__num(p->monthly_churn));
    json_object_set_new(
        o, "monthly_churn_ci",
        json_pack("[o, o]", sk__num(p->monthly_churn_low), sk__num(p->monthly_churn_high)));
    json_object_set_new(o, "nrr", sk__num(p->nrr));
    json_object_set_new(o, "churn_too_small", json_boolean(p->too_small));
  }
  if (q != NULL) {
    json_object_set_new(o, "rest_monthly_churn", sk__num(q->monthly_churn));
    json_object_set_new(
        o, "rest_monthly_churn_ci",
        json_pack("[o, o]", sk__num(q->monthly_churn_low), sk__num(q->monthly_churn_high)));
  }
  return o;
}

segkit_status sk__view_segments(sk_ctx *c, json_t *view, segkit_error *err) {
  int32_t from, to;
  segkit_status st = month_range(c, &from, &to, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_segment_list *l = NULL;
  st = segkit_workspace_segments(c->v->ws, c->segment, &l, err);
  if (st == SEGKIT_ERR_NOT_FOUND) {
    sk__unavailable(view, "no stored segment '%s'", c->segment);
    return SEGKIT_OK;
  }
  if (st != SEGKIT_OK) {
    return st;
  }
  json_t *rows = json_array();
  for (size_t i = 0; i < l->n; i++) {
    json_array_append_new(rows, segment_row(c, &l->items[i], from, to));
  }
  segkit_segment_list_free(l);
  json_object_set_new(view, "from", sk__month(from));
  json_object_set_new(view, "to", sk__month(to));
  json_object_set_new(view, "min_customers", json_integer(SK_MIN_N));
  json_object_set_new(view, "as_of",
                      sk__opt(c, "as_of") != NULL ? json_string(sk__opt(c, "as_of")) : json_null());
  json_object_set_new(view, "segments", rows);
  return SEGKIT_OK;
}
