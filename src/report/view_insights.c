/* insights: what the insight module finds. "findings": segkit_rate_findings_new, segments
 * whose share of churned customers (over their whole lifetime) differs from everyone else's, each
 * with both rates, their Wilson intervals, the ratio, the z-test and the Benjamini-Hochberg
 * adjusted p over every comparison made; only those that pass are findings, and segments too small
 * to test are listed as such.
 *
 * Customers are the subscription history's (segkit_mrr_lifetimes over the whole history:
 * churned = no MRR at the last month end). The dimensions compared are the plan and billing
 * interval a customer started on, when the history has them, and every text column of the
 * customers dataset with 2 to 30 values (country, industry, company size, ...). Findings
 * of other kinds join this list as the insight module grows ("kind" says which).
 * "segment_findings": segkit_mrr_findings_new over the last 12 months, churn per month, LTV
 * (kind "ltv": money in major units at gross margin 1) and NRR of each value of the same
 * dimensions against the rest (what segkit insights says on a subscription history),
 * corrected together as one family. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "segkit/datetime.h"
#include "segkit/insight.h"
#include "segkit/segeval.h"

enum { MAX_DIMS = 24, MAX_LEVELS = 30 };

typedef struct dim {
  char name[128];
  int32_t *codes;
  char **labels;
  uint32_t n_levels;
} dim;

static void dim_free(dim *d) {
  for (uint32_t i = 0; i < d->n_levels; i++) {
    free(d->labels[i]);
  }
  free(d->labels);
  free(d->codes);
}

/* A dimension from per-customer text values (NULL = none), levels in first-seen order. */
static bool dim_from_texts(dim *d, const char *name, const char *const *texts, size_t n) {
  memset(d, 0, sizeof *d);
  snprintf(d->name, sizeof d->name, "%s", name);
  d->codes = malloc((n + 1) * sizeof *d->codes);
  d->labels = calloc(MAX_LEVELS + 1, sizeof *d->labels);
  if (d->codes == NULL || d->labels == NULL) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    d->codes[i] = -1;
    if (texts[i] == NULL) {
      continue;
    }
    uint32_t k = 0;
    while (k < d->n_levels && strcmp(d->labels[k], texts[i]) != 0) {
      k++;
    }
    if (k == d->n_levels) {
      if (d->n_levels == MAX_LEVELS) {
        return false;
      }
      d->labels[d->n_levels++] = strdup(texts[i]);
    }
    d->codes[i] = (int32_t)k;
  }
  return d->n_levels >= 2;
}

/* The MRR split multiplies the levels of its columns; the history findings add customer
 * columns while the product stays under this (the plan x billing interval split first). */
enum { MAX_SPLIT = 2048 };

/* The text columns of the customers dataset with 2..MAX_LEVELS values, comma-separated
 * after `by` (for the MRR split), while the product of the levels (times `levels`, the
 * product of the columns already in `by`) stays at most MAX_SPLIT. */
static void customer_dims(sk_ctx *c, char *by, size_t size, size_t levels) {
  const char *name = sk__dataset(c, "customers");
  const segkit_table *cust = NULL;
  segkit_error e;
  const char *key = segkit_mrr_columns_default().customer;
  if (name == NULL || sk__table(c->v, name, &cust, &e) != SEGKIT_OK ||
      segkit_table_column_index(cust, key) < 0) {
    return;
  }
  for (size_t j = 0; j < segkit_table_n_cols(cust); j++) {
    const segkit_column *cc = segkit_table_column(cust, j);
    size_t k = segkit_column_dict_size(cc) + 1; /* a null is a value of its own */
    if (segkit_column_type(cc) == SEGKIT_TYPE_STRING && k >= 3 && k <= MAX_LEVELS + 1 &&
        strcmp(segkit_column_name(cc), key) != 0 && levels * k <= MAX_SPLIT) {
      size_t len = strlen(by);
      snprintf(by + len, size - len, "%s%s", len > 0 ? "," : "", segkit_column_name(cc));
      levels *= k;
    }
  }
}

/* Churn per month and NRR of every segment against the rest over the last 12 months
 * (segkit_mrr_findings_new, what segkit insights says on a history): "segment_findings". */
/* "= 0.0038", or "< 1e-300" for a p that underflows to 0 (it is not 0). */
static const char *p_text(double p, char buf[32]) {
  if (p < 1e-300) {
    snprintf(buf, 32, "< 1e-300");
  } else {
    snprintf(buf, 32, "= %.2g", p);
  }
  return buf;
}

/* Whole money units with thousands separators ("4,310"). */
static void whole_money(double units, char buf[32]) {
  if (!(units >= 0 && units < 1e18)) {
    snprintf(buf, 32, "-");
    return;
  }
  char raw[32];
  snprintf(raw, sizeof raw, "%.0f", units);
  size_t len = strlen(raw), o = 0;
  for (size_t i = 0; i < len && o + 2 < 32; i++) {
    if (i > 0 && (len - i) % 3 == 0) {
      buf[o++] = ',';
    }
    buf[o++] = raw[i];
  }
  buf[o] = '\0';
}

static void history_findings(sk_ctx *c, json_t *view, const char *start_by, size_t start_levels) {
  char by[1024];
  snprintf(by, sizeof by, "%s", start_by);
  customer_dims(c, by, sizeof by, start_levels);
  int32_t to = sk__last_month(c);
  const segkit_mrr_result *r = NULL;
  segkit_error e;
  segkit_segment_findings *f = NULL;
  segkit_rate_options o = {.alpha = 0.05, .level = 0.95, .min_n = SK_MIN_N};
  if (by[0] == '\0' || to == INT32_MIN ||
      sk__mrr(c, to - 11, to, by, false, &r, NULL, &e) != SEGKIT_OK ||
      segkit_mrr_findings_new(r, 0, &o, &f, &e) != SEGKIT_OK) {
    json_object_set_new(view, "segment_findings", json_null());
    return;
  }
  json_t *list = json_array();
  size_t tests = 0;
  for (size_t i = 0; i < segkit_segment_findings_n(f); i++) {
    const segkit_segment_finding *x = segkit_segment_findings_at(f, i);
    const segkit_comparison *k = &x->c;
    tests += !k->too_small && k->p == k->p;
    if (!k->significant) {
      continue;
    }
    char text[512];
    char pb[32];
    bool churn = strcmp(x->measure, "monthly_churn") == 0;
    /* LTV in money (major units, gross margin 1), the rates as fractions */
    double unit = strcmp(x->measure, "ltv") == 0 ? 0.01 : 1.0;
    if (unit != 1.0) {
      char m[6][32];
      const double v[6] = {k->value, k->lower, k->upper, k->value_rest, k->lower_rest,
                           k->upper_rest};
      for (int w = 0; w < 6; w++) {
        whole_money(unit * v[w], m[w]);
      }
      snprintf(text, sizeof text,
               "customers with %s = %s are worth %.1fx %s: revenue LTV %s (%s-%s) vs %s (%s-%s) "
               "(ARPU / monthly churn), n = %llu vs %llu (Wald test on log LTV, adjusted p %s)",
               x->column, x->segment, k->ratio >= 1 ? k->ratio : 1.0 / k->ratio,
               k->ratio >= 1 ? "as much" : "less", m[0], m[1], m[2], m[3], m[4], m[5],
               (unsigned long long)k->n, (unsigned long long)k->n_rest, p_text(k->p_adjusted, pb));
    } else if (churn) {
      char much[48];
      sk__how_much(k->value, k->value_rest, k->ratio, much, sizeof much);
      snprintf(text, sizeof text,
               "customers with %s = %s churn %s: %.2f%% (%.2f-%.2f%%) vs %.2f%% (%.2f-%.2f%%) a "
               "month, n = %llu vs %llu (z-test, adjusted p %s)",
               x->column, x->segment, much, 100 * k->value, 100 * k->lower, 100 * k->upper,
               100 * k->value_rest, 100 * k->lower_rest, 100 * k->upper_rest,
               (unsigned long long)k->n, (unsigned long long)k->n_rest, p_text(k->p_adjusted, pb));
    } else {
      snprintf(text, sizeof text,
               "customers with %s = %s keep %s of their MRR: NRR %.1f%% (%.1f-%.1f%%) vs %.1f%% "
               "(%.1f-%.1f%%) over 12 months, n = %llu vs %llu (Wald test, adjusted p %s)",
               x->column, x->segment, k->value > k->value_rest ? "more" : "less", 100 * k->value,
               100 * k->lower, 100 * k->upper, 100 * k->value_rest, 100 * k->lower_rest,
               100 * k->upper_rest, (unsigned long long)k->n, (unsigned long long)k->n_rest,
               p_text(k->p_adjusted, pb));
    }
    json_array_append_new(
        list,
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:[o, o], s:o, s:[o, o], s:o, s:o, "
                  "s:o}",
                  "kind", x->measure, "text", text, "dimension", x->column, "segment", x->segment,
                  "customers", (json_int_t)k->n, "rest_customers", (json_int_t)k->n_rest, "rate",
                  sk__num(unit * k->value), "ci", sk__num(unit * k->lower),
                  sk__num(unit * k->upper), "rest_rate", sk__num(unit * k->value_rest), "rest_ci",
                  sk__num(unit * k->lower_rest), sk__num(unit * k->upper_rest), "ratio",
                  sk__num(k->ratio), "p", sk__num(k->p), "p_adjusted", sk__num(k->p_adjusted)));
  }
  json_object_set_new(view, "segment_findings",
                      json_pack("{s:o, s:o, s:s, s:I, s:s, s:o}", "from", sk__month(to - 11), "to",
                                sk__month(to), "by", by, "tests", (json_int_t)tests, "correction",
                                "benjamini-hochberg", "findings", list));
  segkit_segment_findings_free(f);
}

/* Every stored segment against its latest snapshot (what segkit insights --growth says):
 * members then and now, entered, left; "segment_changes". No test: members are counted. */
static void segment_changes(sk_ctx *c, json_t *view) {
  segkit_segment_list *segs = NULL;
  segkit_error e;
  if (segkit_workspace_segments(c->v->ws, NULL, &segs, &e) != SEGKIT_OK) {
    json_object_set_new(view, "segment_changes", json_null());
    return;
  }
  json_t *list = json_array();
  json_t *none = json_array();
  for (size_t i = 0; i < segs->n; i++) {
    const char *name = segs->items[i].name;
    segkit_snapshot_list *l = NULL;
    if (segkit_workspace_snapshots(c->v->ws, name, &l, &e) != SEGKIT_OK || l->n == 0) {
      json_array_append_new(none, json_string(name));
      segkit_snapshot_list_free(l);
      continue;
    }
    const segkit_snapshot_info *snap = &l->items[l->n - 1];
    segkit_segeval *ev = NULL;
    segkit_member_keys *then = NULL, *now = NULL;
    segkit_member_diff d;
    memset(&d, 0, sizeof d);
    bool ok = sk__segment_evaluate(c, name, &ev, &e) == SEGKIT_OK &&
              segkit_member_keys_of(segkit_segeval_key_column(ev), segkit_segeval_bits(ev), &now,
                                    &e) == SEGKIT_OK &&
              segkit_member_keys_of_snapshot(c->v->ws, snap->id, &then, &e) == SEGKIT_OK &&
              segkit_member_keys_diff(then, now, &d, &e) == SEGKIT_OK;
    if (ok) {
      char when[40];
      segkit_format_timestamp(snap->taken_at_us, when, sizeof when);
      double pct = d.n_from > 0 ? ((double)d.n_to - (double)d.n_from) / (double)d.n_from : NAN;
      json_array_append_new(
          list, json_pack("{s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:I, s:I}", "segment", name,
                          "snapshot", (json_int_t)snap->id, "taken_at", when, "members_then",
                          (json_int_t)d.n_from, "members_now", (json_int_t)d.n_to, "entered",
                          (json_int_t)d.n_entered, "left", (json_int_t)d.n_left, "change",
                          sk__num(pct), "customers_then", (json_int_t)snap->n_total,
                          "customers_now", (json_int_t)segkit_segeval_n_rows(ev)));
    }
    segkit_member_diff_free(&d);
    segkit_member_keys_free(then);
    segkit_member_keys_free(now);
    segkit_segeval_free(ev);
    segkit_snapshot_list_free(l);
  }
  segkit_segment_list_free(segs);
  json_object_set_new(view, "segment_changes",
                      json_pack("{s:o, s:o}", "segments", list, "without_snapshot", none));
}

segkit_status sk__view_insights(sk_ctx *c, json_t *view, segkit_error *err) {
  segment_changes(c, view);
  const char *subs_name = sk__dataset(c, "subscriptions");
  const segkit_table *subs = NULL;
  segkit_error e;
  if (sk__table(c->v, subs_name, &subs, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
    return SEGKIT_OK;
  }
  char by[256];
  sk__start_split(c, by, sizeof by);
  const segkit_mrr_result *r = NULL;
  const segkit_table *t = NULL;
  if (sk__mrr(c, INT32_MIN, INT32_MIN, by[0] != '\0' ? by : NULL, true, &r, &t, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
    return SEGKIT_OK;
  }
  const char *key = segkit_mrr_columns_default().customer;
  segkit_table *lt = NULL;
  if (segkit_mrr_lifetimes(r, t, key, &lt, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
    return SEGKIT_OK;
  }
  size_t n = segkit_table_n_rows(lt);
  size_t n_months = segkit_mrr_n_months(r);
  uint8_t *event = malloc(n + 1);
  const char **texts = malloc((n + 1) * sizeof *texts);
  uint32_t *start_group = malloc((n + 1) * sizeof *start_group);
  dim dims[MAX_DIMS];
  size_t nd = 0;
  segkit_status st = SEGKIT_OK;
  if (event == NULL || texts == NULL || start_group == NULL) {
    st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  const uint8_t *churned = segkit_column_bool(segkit_table_column(lt, 3));
  /* the lifetimes rows are the customers with MRR at some month end, in customer order */
  size_t row = 0;
  for (size_t i = 0; st == SEGKIT_OK && i < segkit_mrr_n_customers(r) && row < n; i++) {
    const int64_t *mrr = segkit_mrr_customer_mrr(r, i);
    bool paid = false;
    for (size_t k = 0; k <= n_months && !paid; k++) {
      paid = mrr[k] > 0;
    }
    if (paid) {
      event[row] = churned[row];
      start_group[row] =
          segkit_mrr_n_groups(r) > 0 ? segkit_mrr_customer_start_group(r, i) : SEGKIT_MRR_NO_GROUP;
      row++;
    }
  }
  /* dimensions of the start: plan, billing interval */
  for (size_t k = 0;
       st == SEGKIT_OK && segkit_mrr_n_groups(r) > 0 && k < segkit_mrr_n_keys(r) && nd < MAX_DIMS;
       k++) {
    for (size_t i = 0; i < n; i++) {
      texts[i] =
          start_group[i] != SEGKIT_MRR_NO_GROUP ? segkit_mrr_group_key(r, start_group[i], k) : NULL;
    }
    char name[160];
    snprintf(name, sizeof name, "%s at start", segkit_mrr_key_name(r, k));
    if (dim_from_texts(&dims[nd], name, texts, n)) {
      nd++;
    } else {
      dim_free(&dims[nd]);
    }
  }
  /* dimensions of the customers dataset: its text columns of 2..30 values */
  const char *cust_name = sk__dataset(c, "customers");
  const segkit_table *cust = NULL;
  if (st == SEGKIT_OK && cust_name != NULL && sk__table(c->v, cust_name, &cust, &e) == SEGKIT_OK &&
      segkit_table_column_index(cust, key) >= 0) {
    const char *cols[MAX_DIMS];
    size_t nc = 0;
    for (size_t j = 0; j < segkit_table_n_cols(cust) && nc < MAX_DIMS - nd; j++) {
      const segkit_column *cc = segkit_table_column(cust, j);
      if (segkit_column_type(cc) == SEGKIT_TYPE_STRING && segkit_column_dict_size(cc) >= 2 &&
          segkit_column_dict_size(cc) <= MAX_LEVELS && strcmp(segkit_column_name(cc), key) != 0) {
        cols[nc++] = segkit_column_name(cc);
      }
    }
    segkit_table *joined = NULL;
    if (nc > 0 && segkit_table_lookup(lt, key, cust, key, cols, nc, &joined, &e) == SEGKIT_OK) {
      for (size_t j = 0; j < nc && nd < MAX_DIMS; j++) {
        const segkit_column *jc =
            segkit_table_column(joined, (size_t)segkit_table_column_index(joined, cols[j]));
        for (size_t i = 0; i < n; i++) {
          texts[i] = segkit_column_is_valid(jc, i)
                         ? segkit_column_dict_value(jc, segkit_column_codes(jc)[i], NULL)
                         : NULL;
        }
        if (dim_from_texts(&dims[nd], cols[j], texts, n)) {
          nd++;
        } else {
          dim_free(&dims[nd]);
        }
      }
    }
    segkit_table_free(joined);
  }
  segkit_rate_dimension rd[MAX_DIMS];
  for (size_t d = 0; d < nd; d++) {
    rd[d] = (segkit_rate_dimension){.name = dims[d].name,
                                    .codes = dims[d].codes,
                                    .n_levels = dims[d].n_levels,
                                    .level_labels = (const char *const *)dims[d].labels};
  }
  segkit_rate_options o = {.alpha = 0.05, .level = 0.95, .min_n = SK_MIN_N};
  segkit_rate_findings *f = NULL;
  if (st == SEGKIT_OK && nd == 0) {
    sk__unavailable(view, "nothing to compare: the history has no plan or billing interval "
                          "and there is no customers dataset with text columns of 2 to 30 "
                          "values (option customers=NAME)");
  } else if (st == SEGKIT_OK &&
             segkit_rate_findings_new(n, event, rd, nd, &o, &f, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
  } else if (st == SEGKIT_OK) {
    json_t *findings = json_array();
    json_t *small = json_array();
    size_t shown = 0;
    for (size_t i = 0; i < segkit_rate_findings_n(f); i++) {
      const segkit_rate_finding *x = segkit_rate_findings_at(f, i);
      const char *dn = dims[x->dimension].name;
      const char *level = dims[x->dimension].labels[x->level];
      if (x->too_small) {
        json_array_append_new(small, json_pack("{s:s, s:s, s:I}", "dimension", dn, "segment", level,
                                               "customers", (json_int_t)x->n));
        continue;
      }
      if (!x->significant) {
        continue;
      }
      char text[512];
      char much[64];
      sk__how_much(x->rate, x->rate_rest, x->ratio, much, sizeof much);
      snprintf(text, sizeof text,
               "customers with %s = %s churn %s: %.1f%% (%.1f-%.1f%%) vs %.1f%% (%.1f-%.1f%%), "
               "n = %llu vs %llu (z-test, adjusted p %s)",
               dn, level, much, 100 * x->rate, 100 * x->lower, 100 * x->upper, 100 * x->rate_rest,
               100 * x->lower_rest, 100 * x->upper_rest, (unsigned long long)x->n,
               (unsigned long long)x->n_rest, p_text(x->p_adjusted, (char[32]){0}));
      json_t *o1 = json_pack(
          "{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:[o, o], s:I, s:I, s:o, s:[o, o], s:o, s:o, s:o, "
          "s:o}",
          "kind", "churn_rate", "text", text, "dimension", dn, "segment", level, "customers",
          (json_int_t)x->n, "events", (json_int_t)x->events, "rate", sk__num(x->rate), "ci",
          sk__num(x->lower), sk__num(x->upper), "rest_customers", (json_int_t)x->n_rest,
          "rest_events", (json_int_t)x->events_rest, "rest_rate", sk__num(x->rate_rest), "rest_ci",
          sk__num(x->lower_rest), sk__num(x->upper_rest), "ratio", sk__num(x->ratio), "z",
          sk__num(x->z), "p", sk__num(x->p), "p_adjusted", sk__num(x->p_adjusted));
      json_array_append_new(findings, o1);
      shown++;
    }
    json_t *dnames = json_array();
    for (size_t d = 0; d < nd; d++) {
      json_array_append_new(dnames, json_string(dims[d].name));
    }
    json_object_set_new(view, "event", json_string("churned (no MRR at the last month end)"));
    json_object_set_new(view, "customers", json_integer((json_int_t)n));
    json_object_set_new(view, "dimensions", dnames);
    json_object_set_new(view, "tests", json_integer((json_int_t)segkit_rate_findings_n_tests(f)));
    json_object_set_new(view, "correction", json_string("benjamini-hochberg"));
    json_object_set_new(view, "alpha", json_real(o.alpha));
    json_object_set_new(view, "confidence", json_real(o.level));
    json_object_set_new(view, "min_customers", json_integer(SK_MIN_N));
    json_object_set_new(view, "findings", findings);
    json_object_set_new(view, "too_small", small);
    json_object_set_new(view, "not_findings",
                        json_integer((json_int_t)(segkit_rate_findings_n_tests(f) - shown)));
    size_t start_levels = 1;
    for (size_t d = 0; d < nd && d < 2 && segkit_mrr_n_groups(r) > 0; d++) {
      start_levels *= dims[d].n_levels + 1;
    }
    history_findings(c, view, by, start_levels);
  }
  segkit_rate_findings_free(f);
  for (size_t d = 0; d < nd; d++) {
    dim_free(&dims[d]);
  }
  free(event);
  free(texts);
  free(start_group);
  segkit_table_free(lt);
  return st;
}
