/* segkit metrics from a subscription history: per segment and period, customers, MRR,
 * ARPU, monthly and period logo churn with Wilson intervals, cohort NRR and GRR, and LTV
 * both ways, each row flagged when its segment is too small to conclude from. The JSON is
 * a contract (docs/cli.md). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static json_t *money(int64_t cents) {
  return json_real((double)cents / 100.0);
}

/* "2025-01", "2025-Q1", "2025", or "2025-01..2025-12" for the whole range. */
static void period_text(segkit_mrr_period_kind kind, const segkit_mrr_period *p, char *buf,
                        size_t size) {
  int64_t y;
  unsigned m;
  segkit_month_split(p->first_month, &y, &m);
  if (kind == SEGKIT_MRR_PERIOD_QUARTER) {
    snprintf(buf, size, "%04lld-Q%u", (long long)y, (m - 1) / 3 + 1);
  } else if (kind == SEGKIT_MRR_PERIOD_YEAR) {
    snprintf(buf, size, "%04lld", (long long)y);
  } else if (kind == SEGKIT_MRR_PERIOD_MONTH) {
    cli_month_text(p->first_month, buf, size);
  } else {
    char a[16];
    char b[16];
    cli_month_text(p->first_month, a, sizeof a);
    cli_month_text(p->last_month, b, sizeof b);
    snprintf(buf, size, "%s..%s", a, b);
  }
}

static json_t *period_json(segkit_mrr_period_kind kind, const segkit_mrr_period *p, double margin) {
  char pt[40];
  char a[16];
  char b[16];
  period_text(kind, p, pt, sizeof pt);
  cli_month_text(p->first_month, a, sizeof a);
  cli_month_text(p->last_month, b, sizeof b);
  json_t *o = json_object();
  json_object_set_new(o, "period", json_string(pt));
  json_object_set_new(o, "first_month", json_string(a));
  json_object_set_new(o, "last_month", json_string(b));
  json_object_set_new(o, "partial", json_boolean(p->partial));
  json_object_set_new(o, "customers_start", json_integer(p->customers_start));
  json_object_set_new(o, "customers_end", json_integer(p->customers_end));
  json_object_set_new(o, "retained", json_integer(p->retained));
  json_object_set_new(o, "lost", json_integer(p->lost));
  json_object_set_new(o, "new_customers", json_integer(p->n_new));
  json_object_set_new(o, "reactivated_customers", json_integer(p->n_reactivation));
  json_object_set_new(o, "churn_events", json_integer(p->n_churned));
  json_object_set_new(o, "mrr_start", money(p->start_cents));
  json_object_set_new(o, "mrr_end", money(p->end_cents));
  json_object_set_new(o, "arr_end", money(12 * p->end_cents));
  json_object_set_new(o, "new", money(p->new_cents));
  json_object_set_new(o, "reactivation", money(p->reactivation_cents));
  json_object_set_new(o, "expansion", money(p->expansion_cents));
  json_object_set_new(o, "contraction", money(p->contraction_cents));
  json_object_set_new(o, "churned", money(p->churned_cents));
  json_object_set_new(o, "logo_churn", cli_json_number(p->logo_churn));
  json_object_set_new(o, "logo_churn_ci_low", cli_json_number(p->logo_churn_low));
  json_object_set_new(o, "logo_churn_ci_high", cli_json_number(p->logo_churn_high));
  json_object_set_new(o, "monthly_churn", cli_json_number(p->monthly_churn));
  json_object_set_new(o, "monthly_churn_ci_low", cli_json_number(p->monthly_churn_low));
  json_object_set_new(o, "monthly_churn_ci_high", cli_json_number(p->monthly_churn_high));
  json_object_set_new(o, "customer_months", json_integer(p->customer_months));
  json_object_set_new(o, "nrr", cli_json_number(p->nrr));
  json_object_set_new(o, "nrr_ci_low", cli_json_number(p->nrr_low));
  json_object_set_new(o, "nrr_ci_high", cli_json_number(p->nrr_high));
  json_object_set_new(o, "grr", cli_json_number(p->grr));
  json_object_set_new(o, "grr_ci_low", cli_json_number(p->grr_low));
  json_object_set_new(o, "grr_ci_high", cli_json_number(p->grr_high));
  json_object_set_new(o, "revenue_churn", cli_json_number(p->revenue_churn));
  json_object_set_new(o, "arpu", cli_json_number(p->arpu_cents / 100.0));
  /* LTV over this period's months (ARPU x margin / monthly churn) and its interval */
  json_object_set_new(o, "ltv", cli_json_number(margin * p->ltv_cents / 100.0));
  json_object_set_new(o, "ltv_ci_low", cli_json_number(margin * p->ltv_low_cents / 100.0));
  json_object_set_new(o, "ltv_ci_high", cli_json_number(margin * p->ltv_high_cents / 100.0));
  json_object_set_new(o, "ltv_log_se", cli_json_number(p->ltv_log_se));
  json_object_set_new(o, "too_small", json_boolean(p->too_small));
  return o;
}

static json_t *ltv_json(const segkit_ltv *l) {
  json_t *o = json_object();
  json_object_set_new(o, "arpu", cli_json_number(l->arpu_cents / 100.0));
  json_object_set_new(o, "monthly_churn", cli_json_number(l->monthly_churn));
  json_object_set_new(o, "gross_margin", json_real(l->gross_margin));
  json_object_set_new(o, "horizon_months", json_integer(l->horizon_months));
  json_object_set_new(o, "ltv_simple", cli_json_number(l->ltv_simple_cents / 100.0));
  json_object_set_new(o, "ltv_survival", cli_json_number(l->ltv_survival_cents / 100.0));
  json_object_set_new(o, "survival_months_observed", json_integer((json_int_t)l->n_observed));
  return o;
}

static segkit_mrr_period_kind parse_period(const char *s, bool *ok) {
  *ok = true;
  if (s == NULL) {
    return SEGKIT_MRR_PERIOD_RANGE;
  }
  if (strcmp(s, "month") == 0) {
    return SEGKIT_MRR_PERIOD_MONTH;
  }
  if (strcmp(s, "quarter") == 0) {
    return SEGKIT_MRR_PERIOD_QUARTER;
  }
  if (strcmp(s, "year") == 0) {
    return SEGKIT_MRR_PERIOD_YEAR;
  }
  if (strcmp(s, "range") == 0) {
    return SEGKIT_MRR_PERIOD_RANGE;
  }
  *ok = false;
  return SEGKIT_MRR_PERIOD_RANGE;
}

typedef struct billing_view {
  const segkit_mrr_result *r;
  segkit_mrr_period_kind kind;
  segkit_ltv *ltv;            /* n_groups + 1: totals first */
  double margin;
  double level;
  int64_t min_n;
} billing_view;

static void add_cells(cli_grid *g, const billing_view *v, const segkit_mrr_period *p,
                      const segkit_ltv *l) {
  char buf[64];
  cli_grid_int(g, p->customers_start);
  cli_grid_int(g, p->customers_end);
  cli_grid_real(g, (double)p->end_cents / 100.0, 2);
  cli_grid_real(g, p->arpu_cents / 100.0, 2);
  cli_grid_real(g, 100.0 * p->monthly_churn, 2);
  if (isfinite(p->monthly_churn_low)) {
    snprintf(buf, sizeof buf, "%.2f - %.2f", 100.0 * p->monthly_churn_low,
             100.0 * p->monthly_churn_high);
    cli_grid_text(g, buf);
  } else {
    cli_grid_null(g);
  }
  cli_grid_real(g, 100.0 * p->logo_churn, 1);
  cli_grid_real(g, 100.0 * p->nrr, 1);
  if (isfinite(p->nrr_low)) {
    snprintf(buf, sizeof buf, "%.1f - %.1f", 100.0 * p->nrr_low, 100.0 * p->nrr_high);
    cli_grid_text(g, buf);
  } else {
    cli_grid_null(g);
  }
  cli_grid_real(g, 100.0 * p->grr, 1);
  if (l != NULL) {
    cli_grid_real(g, l->ltv_simple_cents / 100.0, 0);
    if (isfinite(p->ltv_low_cents)) {
      snprintf(buf, sizeof buf, "%.0f - %.0f", v->margin * p->ltv_low_cents / 100.0,
               v->margin * p->ltv_high_cents / 100.0);
      cli_grid_text(g, buf);
    } else {
      cli_grid_null(g);
    }
    cli_grid_real(g, l->ltv_survival_cents / 100.0, 0);
  }
  buf[0] = '\0';
  if (p->too_small) {
    snprintf(buf, sizeof buf, "too small to conclude (n < %lld)", (long long)v->min_n);
  } else if (p->partial) {
    snprintf(buf, sizeof buf, "partial period");
  }
  cli_grid_text(g, buf);
}

static bool print_table(const billing_view *v, cli_format fmt) {
  const segkit_mrr_result *r = v->r;
  size_t nk = segkit_mrr_n_keys(r);
  bool range = v->kind == SEGKIT_MRR_PERIOD_RANGE;
  char ci[32];
  snprintf(ci, sizeof ci, "%.0f%%_interval", v->level * 100);
  const char *headers[CLI_MAX_BY + 20];
  size_t nh = 0;
  for (size_t k = 0; k < nk; k++) {
    headers[nh++] = segkit_mrr_key_name(r, k);
  }
  if (nk == 0) {
    headers[nh++] = "segment";
  }
  headers[nh++] = "period";
  const char *rest[] = {"customers", "end_customers", "mrr", "arpu", "churn_pct_month", ci,
                        "lost_pct", "nrr_pct", ci, "grr_pct"};
  for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
    headers[nh++] = rest[i];
  }
  if (range) {
    headers[nh++] = "ltv";
    headers[nh++] = ci;
    headers[nh++] = "ltv_survival";
  }
  headers[nh++] = "note";
  cli_grid *g = cli_grid_new(nh, headers);
  size_t ng = segkit_mrr_n_groups(r);
  for (size_t b = 0; g != NULL && b <= ng; b++) {
    /* groups first, then the totals, as in the snapshot table */
    size_t gi = b < ng ? b : SEGKIT_MRR_ALL;
    const segkit_mrr_period *ps = segkit_mrr_periods(r, gi);
    for (size_t p = 0; p < segkit_mrr_n_periods(r); p++) {
      cli_grid_row(g);
      for (size_t k = 0; k < nk; k++) {
        cli_grid_text(g, b < ng ? segkit_mrr_group_key(r, b, k) : (k == 0 ? "(all)" : ""));
      }
      if (nk == 0) {
        cli_grid_text(g, "(all)");
      }
      char pt[40];
      period_text(v->kind, &ps[p], pt, sizeof pt);
      cli_grid_text(g, pt);
      add_cells(g, v, &ps[p], range ? &v->ltv[b < ng ? b + 1 : 0] : NULL);
    }
  }
  bool ok = cli_grid_print(g, fmt, stdout);
  cli_grid_free(g);
  return ok;
}

static void print_json(const billing_view *v, size_t n_skipped) {
  const segkit_mrr_result *r = v->r;
  json_t *root = json_object();
  const segkit_mrr_period *all = segkit_mrr_periods(r, SEGKIT_MRR_ALL);
  char a[16];
  char b[16];
  cli_month_text(all[0].first_month, a, sizeof a);
  cli_month_text(all[segkit_mrr_n_periods(r) - 1].last_month, b, sizeof b);
  static const char *const kinds[] = {"range", "month", "quarter", "year"};
  json_object_set_new(root, "from", json_string(a));
  json_object_set_new(root, "to", json_string(b));
  json_object_set_new(root, "period", json_string(kinds[v->kind]));
  json_object_set_new(root, "confidence", json_real(v->level));
  json_object_set_new(root, "interval", json_string("wilson"));
  json_object_set_new(root, "min_customers", json_integer(v->min_n));
  json_t *groups = json_array();
  for (size_t gi = 0; gi <= segkit_mrr_n_groups(r); gi++) {
    size_t g = gi == 0 ? SEGKIT_MRR_ALL : gi - 1;
    const segkit_mrr_period *ps = segkit_mrr_periods(r, g);
    json_t *periods = json_array();
    bool small = false;
    for (size_t p = 0; p < segkit_mrr_n_periods(r); p++) {
      json_array_append_new(periods, period_json(v->kind, &ps[p], v->margin));
      small = small || ps[p].too_small;
    }
    json_t *o = json_object();
    if (gi > 0) {
      json_object_set_new(o, "key", cli_mrr_group_key(r, g));
    }
    json_object_set_new(o, "periods", periods);
    json_object_set_new(o, "ltv", ltv_json(&v->ltv[gi]));
    json_object_set_new(o, "too_small", json_boolean(small));
    if (gi == 0) {
      json_object_set_new(root, "overall", o);
    } else {
      json_array_append_new(groups, o);
    }
  }
  json_object_set_new(root, "groups", groups);
  json_object_set_new(root, "rows_used", json_integer((json_int_t)segkit_mrr_rows_used(r)));
  json_object_set_new(root, "rows_skipped", json_integer((json_int_t)n_skipped));
  json_dumpf(root, stdout, CLI_JSON_FLAGS);
  printf("\n");
  json_decref(root);
}

int cli_metrics_billing(cli_args *a, double level, int64_t min_n) {
  bool ok = true;
  cli_mrr_request req = {.period = parse_period(cli_get(a, "period"), &ok),
                         .conf_level = level, .min_customers = min_n};
  if (!ok) {
    return cli_usage_error("metrics", "--period must be month, quarter, year or range, not '%s'",
                           cli_get(a, "period"));
  }
  segkit_ltv_options lo;
  segkit_ltv_options_init(&lo);
  double horizon = lo.horizon_months;
  if (!cli_get_real(a, "metrics", "margin", 0.0, 1.0, &lo.gross_margin) ||
      !cli_get_real(a, "metrics", "horizon", 1.0, 1200.0, &horizon)) {
    return CLI_EXIT_USAGE;
  }
  lo.horizon_months = (int)horizon;
  segkit_table *t = NULL;
  segkit_mrr_result *r = NULL;
  int rc = cli_mrr_compute(a, "metrics", &req, &t, &r);
  if (rc != 0) {
    return rc;
  }
  size_t ng = segkit_mrr_n_groups(r);
  billing_view v = {r,     req.period, calloc(ng + 1, sizeof(segkit_ltv)), lo.gross_margin,
                    level, min_n};
  segkit_error err;
  for (size_t gi = 0; v.ltv != NULL && gi <= ng && rc == 0; gi++) {
    if (segkit_ltv_compute(r, gi == 0 ? SEGKIT_MRR_ALL : gi - 1, &lo, &v.ltv[gi], &err) !=
        SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  if (v.ltv == NULL) {
    fprintf(stderr, "segkit: out of memory\n");
    rc = CLI_EXIT_ENV;
  }
  size_t n_skipped = 0;
  segkit_mrr_skipped(r, &n_skipped);
  if (rc == 0 && a->format == CLI_FORMAT_JSON) {
    print_json(&v, n_skipped);
  } else if (rc == 0) {
    if (a->format == CLI_FORMAT_TABLE) {
      printf("customer metrics by segment (a customer counts in the segment it is in when the "
             "period starts;\nchurn per month with %.0f%% Wilson intervals; lost = share of the "
             "period's starting customers\ngone at its end; NRR, GRR of their MRR (NRR with its "
             "ratio-estimator interval); LTV = ARPU x\nmargin %.2f / churn with its "
             "delta-method interval (customers as clusters; a month counts\nin the segment of "
             "its start), and over the survival curve for %d months)\n\n",
             level * 100, lo.gross_margin, lo.horizon_months);
    }
    rc = print_table(&v, a->format) ? 0 : CLI_EXIT_ENV;
    if (a->format == CLI_FORMAT_TABLE && n_skipped > 0) {
      printf("\n%zu subscription row%s skipped (a required value missing, or ending before it "
             "starts)\n", n_skipped, n_skipped == 1 ? "" : "s");
    }
  }
  free(v.ltv);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
  return rc;
}
