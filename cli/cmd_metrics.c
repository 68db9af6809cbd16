/* segkit metrics: churn rate by segment of a customer snapshot (one row per customer with
 * a churned flag), each with its Wilson interval and a too-small flag beside the number;
 * without --churned, the metrics of a subscription history (metrics_billing.c). The JSON
 * output is a contract (docs/cli.md). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt metrics_opts[] = {
    {"churned", CLI_OPT_VALUE, "COL=VALUE", "the data is a customer snapshot: a customer churned where COL equals VALUE (churned=true, Churn=Yes)"},
    {"period", CLI_OPT_VALUE, "P", "subscription history: month, quarter, year, or range (default: the whole --from..--to range)"},
    {"margin", CLI_OPT_VALUE, "X", "gross margin for LTV, 0..1 (default 1)"},
    {"horizon", CLI_OPT_VALUE, "N", "months summed by the survival-based LTV (default 60)"},
    {"conf", CLI_OPT_VALUE, "LEVEL", "confidence level of the intervals (default 0.95)"},
    {"min-n", CLI_OPT_VALUE, "N", "segments with fewer customers are flagged too small (default 30)"},
};

enum { MAX_BY = CLI_MAX_BY };

static json_t *rate_json(const segkit_group_rate *g, const char *const *by, size_t n_by) {
  json_t *key = json_object();
  for (size_t k = 0; k < n_by; k++) {
    json_object_set_new(key, by[k], json_string(g->key[k]));
  }
  json_t *o = json_object();
  json_object_set_new(o, "key", key);
  json_object_set_new(o, "customers", json_integer(g->n));
  json_object_set_new(o, "churned", json_integer(g->events));
  json_object_set_new(o, "churn_rate", json_real(g->rate));
  json_object_set_new(o, "ci_low", json_real(g->ci_low));
  json_object_set_new(o, "ci_high", json_real(g->ci_high));
  json_object_set_new(o, "too_small", json_boolean(g->too_small));
  return o;
}

static bool print_rates(const segkit_group_rates *r, const char *const *by, size_t n_by,
                        double level, int64_t min_n, cli_format fmt) {
  const char *headers[MAX_BY + 6];
  size_t nh = 0;
  for (size_t k = 0; k < n_by; k++) {
    headers[nh++] = by[k];
  }
  if (n_by == 0) {
    headers[nh++] = "segment";
  }
  char ci_name[32];
  snprintf(ci_name, sizeof ci_name, "%.0f%%_interval", level * 100);
  headers[nh++] = "customers";
  headers[nh++] = "churned";
  headers[nh++] = "churn_pct";
  headers[nh++] = ci_name;
  headers[nh++] = "note";
  cli_grid *g = cli_grid_new(nh, headers);
  size_t n = segkit_group_rates_n(r);
  for (size_t i = 0; g != NULL && i <= n; i++) {
    const segkit_group_rate *x = i < n ? segkit_group_rates_get(r, i) : segkit_group_rates_overall(r);
    cli_grid_row(g);
    for (size_t k = 0; k < n_by; k++) {
      cli_grid_text(g, i < n ? x->key[k] : (k == 0 ? "(all)" : ""));
    }
    if (n_by == 0) {
      cli_grid_text(g, "(all)");
    }
    cli_grid_int(g, x->n);
    cli_grid_int(g, x->events);
    cli_grid_real(g, 100.0 * x->rate, 2);
    char ci[64];
    snprintf(ci, sizeof ci, "%.2f - %.2f", 100.0 * x->ci_low, 100.0 * x->ci_high);
    cli_grid_text(g, ci);
    char note[64] = "";
    if (x->too_small) {
      snprintf(note, sizeof note, "too small to conclude (n < %lld)", (long long)min_n);
    }
    cli_grid_text(g, note);
  }
  if (g != NULL) {
    cli_grid_row(g);
  }
  bool ok = cli_grid_print(g, fmt, stdout);
  cli_grid_free(g);
  return ok;
}

/* Options of a subscription history that mean nothing for a snapshot. */
static const char *const k_history_only[] = {"period", "margin", "horizon", "from", "to", "rates"};

static int run_metrics(cli_args *a) {
  double level = 0.95;
  if (!cli_get_level(a, "metrics", &level)) {
    return CLI_EXIT_USAGE;
  }
  int64_t min_n = 30;
  if (!cli_get_int(a, "min-n", 1, INT64_MAX, &min_n)) {
    return CLI_EXIT_USAGE;
  }
  const char *churned = cli_get(a, "churned");
  if (churned == NULL) {
    return cli_metrics_billing(a, level, min_n);
  }
  for (size_t i = 0; i < sizeof k_history_only / sizeof k_history_only[0]; i++) {
    if (cli_get(a, k_history_only[i]) != NULL) {
      return cli_usage_error("metrics", "--%s applies to a subscription history, not to a "
                             "snapshot with --churned", k_history_only[i]);
    }
  }
  segkit_table *t = NULL;
  int rc = cli_load_table(a, "metrics", &t);
  if (rc != 0) {
    return rc;
  }
  cli_by parsed;
  rc = cli_parse_by("metrics", cli_get(a, "by"), t, false, &parsed);
  if (rc != 0) {
    segkit_table_free(t);
    return rc;
  }
  const char *const *by = parsed.cols;
  size_t n_by = parsed.n;
  char flag_name[256];
  segkit_rate_columns cols = {by, n_by, flag_name, 0, NULL};
  if (!cli_event_spec("metrics", "churned", t, churned, flag_name, sizeof flag_name,
                      &cols.flag_value, &cols.flag_string)) {
    cli_by_free(&parsed);
    segkit_table_free(t);
    return CLI_EXIT_USAGE;
  }
  segkit_group_rates *r = NULL;
  segkit_error err;
  if (segkit_rates_by_group(t, &cols, level, min_n, &r, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else if (a->format == CLI_FORMAT_JSON) {
    json_t *groups = json_array();
    for (size_t i = 0; i < segkit_group_rates_n(r); i++) {
      json_array_append_new(groups, rate_json(segkit_group_rates_get(r, i), by, n_by));
    }
    json_t *root = json_object();
    json_object_set_new(root, "groups", groups);
    json_t *overall = rate_json(segkit_group_rates_overall(r), by, 0);
    json_object_set_new(root, "overall", overall);
    json_object_set_new(root, "confidence", json_real(level));
    json_object_set_new(root, "interval", json_string("wilson"));
    json_object_set_new(root, "skipped_null",
                        json_integer((json_int_t)segkit_group_rates_skipped_null(r)));
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
  } else {
    if (a->format == CLI_FORMAT_TABLE) {
      printf("churn rate by segment, %.0f%% Wilson intervals\n\n", level * 100);
    }
    rc = print_rates(r, by, n_by, level, min_n, a->format) ? 0 : CLI_EXIT_ENV;
    if (a->format == CLI_FORMAT_TABLE && segkit_group_rates_skipped_null(r) > 0) {
      printf("\n%zu row%s without a churned value left out\n", segkit_group_rates_skipped_null(r),
             segkit_group_rates_skipped_null(r) == 1 ? "" : "s");
    }
  }
  segkit_group_rates_free(r);
  cli_by_free(&parsed);
  segkit_table_free(t);
  return rc;
}

const cli_verb cli_verb_metrics = {
    .name = "metrics",
    .summary = "churn, retention, NRR, ARPU and LTV by segment, with intervals and small-segment flags",
    .usage = "segkit metrics (--dataset NAME | FILE) [--by COL[,COL]] [--period month|quarter|year] [--churned COL=VALUE]",
    .description =
        "From a subscription history (as segkit mrr reads it), per segment (each combination\n"
        "of --by values; tenure_stage splits by onboarding / growth / mature) and period:\n"
        "customers, MRR, ARPU, monthly logo churn with its Wilson interval, the share of the\n"
        "period's starting customers lost by its end, their NRR and GRR, and LTV two ways\n"
        "(ARPU x margin / churn; the survival curve summed over --horizon months). JSON:\n"
        "{\"overall\": {\"periods\": [...], \"ltv\": {...}}, \"groups\": [{\"key\": {COL: VALUE},\n"
        "\"periods\": [{\"period\", \"customers_start\", \"monthly_churn\", \"monthly_churn_ci_low\",\n"
        "\"nrr\", \"grr\", \"arpu\", \"too_small\", ...}], \"ltv\": {...}}]}.\n"
        "With --churned, the data is a customer snapshot (one row per customer with a churned\n"
        "flag, the shape of public churn data sets): customers, churned and the churn rate of\n"
        "every segment with its Wilson interval. JSON: {\"groups\": [{\"key\": {COL: VALUE},\n"
        "\"customers\", \"churned\", \"churn_rate\", \"ci_low\", \"ci_high\", \"too_small\"}],\n"
        "\"overall\": {...}}. Segments under --min-n customers are marked too small to conclude\n"
        "from. Definitions: docs/metrics.md.",
    .opts = metrics_opts,
    .n_opts = sizeof metrics_opts / sizeof metrics_opts[0],
    .more_opts = cli_subscription_opts,
    .n_more_opts = CLI_N_SUBSCRIPTION_OPTS,
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_metrics,
};
