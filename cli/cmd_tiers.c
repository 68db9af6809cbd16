/* segkit tiers: value tiers of customers — quantile tiers (quartiles by default) or tiers
 * from cut-points the user gives — of a per-customer value: month-end MRR or ARPU from a
 * subscription history, lifetime net revenue from transactions, or any numeric column of a
 * per-customer dataset (docs/segments.md, "Value tiers"). Money is tiered in cents (exact)
 * and shown in major units: --cuts are major units too. Output as the other families:
 * customers per tier, the cut-points used, every row with --rows, stored with --as. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segkit/family.h"

enum { MAX_TIERS = 100 };

static const cli_opt tiers_opts[] = {
    {"value", CLI_OPT_VALUE, "WHAT", "mrr, arpu (from a subscription history), revenue (lifetime net, from transactions) or a numeric COLUMN of a per-customer dataset (required)"},
    {"tiers", CLI_OPT_VALUE, "N", "quantile tiers, 2-100 (default 4: quartiles)"},
    {"cuts", CLI_OPT_VALUE, "X,Y,...", "ascending cut-points instead of quantiles (money in major units); a value equal to a cut is in the upper tier"},
    {"labels", CLI_OPT_VALUE, "A,B,...", "tier names, lowest first (default T1, T2, ...)"},
    {"as-of", CLI_OPT_VALUE, "DATE", "revenue: count transactions up to this day (default: all)"},
    {"date-col", CLI_OPT_VALUE, "COL", "revenue: date or timestamp column (default timestamp)"},
    {"amount-col", CLI_OPT_VALUE, "COL", "revenue: amount column, major units (default amount)"},
    {"kind-col", CLI_OPT_VALUE, "COL", "revenue: charge/refund column (default kind; 'none' = the sign decides)"},
    {"as", CLI_OPT_VALUE, "NAME", "store the per-customer table as this dataset (replacing it)"},
    {"rows", CLI_OPT_FLAG, NULL, "print every customer's row instead of the counts"},
};

typedef struct tiers_run {
  cli_args *args;
  segkit_tiers_options opt;
  double cuts[MAX_TIERS];
  char *labels_buf;
  const char *labels[MAX_TIERS];
  double scale;               /* value units per shown unit: 100 for cents, else 1 */
  const char *unit;           /* how the cut-points are shown */
  const char *what;
} tiers_run;

static int parse_tier_options(cli_args *a, tiers_run *run) {
  segkit_tiers_options_init(&run->opt);
  int64_t n = 4;
  if (!cli_get_int(a, "tiers", 2, MAX_TIERS, &n)) {
    return CLI_EXIT_USAGE;
  }
  run->opt.n_tiers = (size_t)n;
  const char *cuts = cli_get(a, "cuts");
  if (cuts != NULL) {
    if (cli_get(a, "tiers") != NULL) {
      return cli_usage_error("tiers", "give --tiers N (quantiles) or --cuts X,Y,... (fixed), not both");
    }
    char *buf = strdup(cuts);
    const char *parts[MAX_TIERS];
    size_t k = 0;
    bool ok = buf != NULL && cli_split_list(buf, parts, MAX_TIERS - 1, &k);
    for (size_t i = 0; ok && i < k; i++) {
      char *end = NULL;
      run->cuts[i] = strtod(parts[i], &end) * run->scale;
      ok = end != parts[i] && *end == '\0' && isfinite(run->cuts[i]);
    }
    free(buf);
    if (!ok) {
      return cli_usage_error("tiers", "--cuts needs 1 to %d numbers separated by commas, not '%s'",
                             MAX_TIERS - 1, cuts);
    }
    run->opt.cuts = run->cuts;
    run->opt.n_cuts = k;
    run->opt.n_tiers = k + 1;
  }
  const char *labels = cli_get(a, "labels");
  if (labels != NULL) {
    run->labels_buf = strdup(labels);
    size_t k = 0;
    if (run->labels_buf == NULL ||
        !cli_split_list(run->labels_buf, run->labels, MAX_TIERS, &k) || k != run->opt.n_tiers) {
      return cli_usage_error("tiers", "--labels needs %zu names separated by commas (one per "
                                      "tier), not '%s'",
                             run->opt.n_tiers, labels);
    }
    run->opt.labels = run->labels;
  }
  return 0;
}

/* Tier the value column of a per-customer table and print. */
static int tier_and_print(tiers_run *run, const segkit_table *values, const char *customer,
                          const char *value) {
  segkit_table *out = NULL;
  double edges[MAX_TIERS];
  segkit_error err;
  if (segkit_tiers_compute(values, customer, value, &run->opt, &out, edges, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  size_t k = run->opt.n_tiers;
  size_t counts[MAX_TIERS] = {0};
  const char *names[MAX_TIERS];
  char defaults[MAX_TIERS][24];
  for (size_t i = 0; i < k; i++) {
    snprintf(defaults[i], sizeof defaults[i], "T%zu", i + 1);
    names[i] = run->opt.labels != NULL ? run->opt.labels[i] : defaults[i];
  }
  const segkit_column *tier = segkit_table_column(out, (size_t)segkit_table_column_index(out, "tier"));
  for (size_t r = 0; r < segkit_table_n_rows(out); r++) {
    int64_t t = segkit_column_is_valid(tier, r) ? segkit_column_int64(tier)[r] : 0;
    if (t >= 1 && (size_t)t <= k) {
      counts[t - 1]++;
    }
  }
  json_t *cuts = json_array();
  char note[1024];
  int len = snprintf(note, sizeof note, "%s of %s (%s): ",
                     run->opt.cuts != NULL ? "cut-points given" : "quantile cut-points",
                     run->what, run->unit);
  for (size_t i = 0; i + 1 < k; i++) {
    double shown = edges[i] / run->scale;
    json_array_append_new(cuts, json_real(shown));
    if (len > 0 && (size_t)len < sizeof note) {
      len += snprintf(note + len, sizeof note - (size_t)len, "%s%.2f", i ? ", " : "", shown);
    }
  }
  json_t *extra = json_pack("{s:s, s:o, s:s}", "value", run->what, "cuts", cuts, "method",
                            run->opt.cuts != NULL ? "given" : "quantile");
  int rc = cli_family_finish(run->args, "tiers", out, names, counts, k, extra, note);
  segkit_table_free(out);
  return rc;
}

static int from_mrr(void *ctx, const segkit_table *t, const segkit_mrr_result *r,
                    const segkit_mrr_columns *columns) {
  tiers_run *run = ctx;
  bool arpu = strcmp(run->what, "arpu") == 0;
  segkit_table *values = NULL;
  segkit_error err;
  if (segkit_value_from_mrr(r, t, columns->customer, arpu ? SEGKIT_VALUE_ARPU : SEGKIT_VALUE_MRR,
                            0, &values, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  int rc = tier_and_print(run, values, columns->customer, arpu ? "arpu_cents" : "mrr_cents");
  segkit_table_free(values);
  return rc;
}

/* Lifetime net revenue per customer: the RFM engine's monetary value over all history up
 * to --as-of (charges less refunds, read by the revenue rules of docs/metrics.md; exact
 * cents shown as major units), for customers with at least one charge. */
static int from_revenue(cli_args *a, tiers_run *run) {
  segkit_rfm_options opt;
  segkit_rfm_options_init(&opt);
  opt.n_threads = a->threads;
  opt.as_of = INT32_MAX - 1;
  const char *as_of = cli_get(a, "as-of");
  if (as_of != NULL && !segkit_parse_date(as_of, strlen(as_of), &opt.as_of)) {
    return cli_usage_error("tiers", "--as-of must be a date YYYY-MM-DD, not '%s'", as_of);
  }
  segkit_rfm_columns *c = &opt.columns;
  c->customer = cli_mapped(a, "customer-col", c->customer);
  c->date = cli_mapped(a, "date-col", c->date);
  c->amount = cli_mapped(a, "amount-col", c->amount);
  c->kind = cli_mapped(a, "kind-col", c->kind);
  c->currency = cli_get(a, "currency-col") != NULL ? cli_mapped(a, "currency-col", NULL) : NULL;
  segkit_mrr_rate rates[CLI_MAX_RATES];
  char names[CLI_MAX_RATES][16];
  if (cli_get(a, "rates") != NULL) {
    size_t n = 0;
    if (!cli_parse_rates(cli_get(a, "rates"), rates, names, &n)) {
      return cli_usage_error("tiers", "--rates needs CUR=RATE,..., not '%s'", cli_get(a, "rates"));
    }
    opt.rates = rates;
    opt.n_rates = n;
    if (c->currency == NULL) {
      c->currency = "currency";
    }
  }
  const char *dataset = cli_get(a, "dataset");
  segkit_table *tx = NULL;
  int rc = cli_load_named(a, "tiers", dataset, dataset == NULL ? a->positional[0] : NULL, &tx);
  segkit_rfm_result *r = NULL;
  segkit_error err;
  if (rc == 0 && segkit_rfm_compute(tx, &opt, &r, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_table *values = NULL;
  if (rc == 0 && segkit_rfm_table(r, tx, &values, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    rc = tier_and_print(run, values, c->customer, "monetary");
  }
  segkit_table_free(values);
  segkit_rfm_result_free(r);
  segkit_table_free(tx);
  return rc;
}

static int run_tiers(cli_args *a) {
  const char *what = cli_get(a, "value");
  if (what == NULL) {
    return cli_usage_error("tiers", "--value mrr|arpu|revenue|COLUMN says what to tier");
  }
  if (a->n_positional > 1) {
    return cli_usage_error("tiers", "expected at most one FILE (or --dataset NAME)");
  }
  bool billing = strcmp(what, "mrr") == 0 || strcmp(what, "arpu") == 0;
  bool revenue = strcmp(what, "revenue") == 0;
  tiers_run run = {.args = a, .what = what, .scale = billing ? 100.0 : 1.0,
                   .unit = billing || revenue ? "major units" : "as stored"};
  int rc = parse_tier_options(a, &run);
  if (rc == 0 && billing) {
    if (cli_get(a, "by") != NULL || cli_get(a, "segment") != NULL) {
      rc = cli_usage_error("tiers", "tiers do not split by --by or --segment; store them with --as "
                                    "and use them in rules or as a --customers attribute");
    } else {
      cli_mrr_request req = {.keep_customers = true, .then = from_mrr, .ctx = &run};
      segkit_table *t = NULL;
      segkit_mrr_result *r = NULL;
      rc = cli_mrr_compute(a, "tiers", &req, &t, &r);
      segkit_mrr_result_free(r);
      segkit_table_free(t);
    }
  } else if (rc == 0 && revenue) {
    rc = from_revenue(a, &run);
  } else if (rc == 0) {
    const char *dataset = cli_get(a, "dataset");
    segkit_table *t = NULL;
    rc = cli_load_named(a, "tiers", dataset, dataset == NULL ? a->positional[0] : NULL, &t);
    if (rc == 0) {
      rc = tier_and_print(&run, t, cli_mapped(a, "customer-col", "customer_id"), what);
    }
    segkit_table_free(t);
  }
  free(run.labels_buf);
  return rc;
}

const cli_verb cli_verb_tiers = {
    .name = "tiers",
    .summary = "value tiers of customers: quantiles or given cut-points of MRR, ARPU, revenue or any value",
    .usage = "segkit tiers --value mrr|arpu|revenue|COLUMN (--dataset NAME | FILE) [--tiers N | --cuts X,Y] [--labels A,B] [--as NAME] [--rows]",
    .description =
        "--value mrr: month-end MRR at --to (default the latest month) of a subscription history;\n"
        "arpu: mean month-end MRR over the active months --from..--to; revenue: lifetime net\n"
        "revenue (charges less refunds, up to --as-of) from transactions; any other name: that\n"
        "numeric column of a per-customer dataset (--customer-col names its id). --dataset is\n"
        "then the history, the transactions or that dataset. Quantile tiers (--tiers N, ties\n"
        "share a tier) or fixed --cuts (major units for money). Customers without a value\n"
        "are left out (mrr: no MRR at the month end; revenue: no charge). Definitions:\n"
        "docs/segments.md. JSON: {\"family\": \"tiers\", \"customers\", \"labels\": [{\"label\",\n"
        "\"customers\"}], \"dataset\", \"value\", \"method\", \"cuts\"}.",
    .opts = tiers_opts,
    .n_opts = sizeof tiers_opts / sizeof tiers_opts[0],
    .more_opts = cli_subscription_opts,
    .n_more_opts = CLI_N_SUBSCRIPTION_OPTS,
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_tiers,
};
