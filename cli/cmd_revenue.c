/* segkit revenue: cash revenue from a transactions log (charges and refunds) per month,
 * quarter or year, in total and split by columns: charges, refunds, net, paying customers,
 * net per paying customer, refund rate. The JSON output is a contract (docs/cli.md);
 * definitions are in docs/metrics.md, "Revenue from transactions". */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { MAX_BY = 8 };

static const cli_opt revenue_opts[] = {
    {"dataset", CLI_OPT_VALUE, "NAME", "transactions in the workspace (or give a FILE instead)"},
    {"from", CLI_OPT_VALUE, "YYYY-MM", "first month (default: the month of the earliest date)"},
    {"to", CLI_OPT_VALUE, "YYYY-MM", "last month (default: the month of the latest date)"},
    {"period", CLI_OPT_VALUE, "P", "month (default), quarter or year; ranges widen to whole periods"},
    {"by", CLI_OPT_VALUE, "COL[,COL]", "split by these columns (every combination of values)"},
    {"rates", CLI_OPT_VALUE, "RATES", "currency rates to the reporting currency: USD=1,EUR=1.08 or a CSV file currency,rate"},
    {"negative-charges", CLI_OPT_VALUE, "HOW", "a negative amount on a charge row: error (default) or refund"},
    {"customer-col", CLI_OPT_VALUE, "COL", "customer id column (default customer_id)"},
    {"date-col", CLI_OPT_VALUE, "COL", "date or timestamp of the movement (default timestamp)"},
    {"amount-col", CLI_OPT_VALUE, "COL", "amount in major units (default amount)"},
    {"currency-col", CLI_OPT_VALUE, "COL", "currency (default currency; 'none' = already the reporting currency)"},
    {"kind-col", CLI_OPT_VALUE, "COL", "charge/refund column (default kind; 'none' = the sign of the amount decides)"},
};


/* "2025-01", "2025-Q1" or "2025" for a period starting at month m. */
static void period_text(int32_t m, int period_months, char *buf, size_t size) {
  int64_t y;
  unsigned mo;
  segkit_month_split(m, &y, &mo);
  if (period_months == 3) {
    snprintf(buf, size, "%04lld-Q%u", (long long)y, (mo - 1) / 3 + 1);
  } else if (period_months == 12) {
    snprintf(buf, size, "%04lld", (long long)y);
  } else {
    cli_month_text(m, buf, size);
  }
}

static json_t *periods_json(const segkit_revenue_result *r, size_t group) {
  json_t *arr = json_array();
  const segkit_revenue_period *p = segkit_revenue_periods(r, group);
  for (size_t i = 0; i < segkit_revenue_n_periods(r); i++) {
    char pt[16];
    period_text(p[i].first_month, segkit_revenue_period_months(r), pt, sizeof pt);
    json_t *o = json_object();
    json_object_set_new(o, "period", json_string(pt));
    json_object_set_new(o, "charges", json_real((double)p[i].charges_cents / 100.0));
    json_object_set_new(o, "charge_count", json_integer(p[i].n_charges));
    json_object_set_new(o, "refunds", json_real((double)p[i].refunds_cents / 100.0));
    json_object_set_new(o, "refund_count", json_integer(p[i].n_refunds));
    json_object_set_new(o, "net", json_real((double)p[i].net_cents / 100.0));
    json_object_set_new(o, "paying_customers", json_integer(p[i].paying_customers));
    json_object_set_new(o, "net_per_paying_customer",
                        cli_json_number(p[i].net_per_paying_cents / 100.0));
    json_object_set_new(o, "refund_rate", cli_json_number(p[i].refund_rate));
    json_array_append_new(arr, o);
  }
  return arr;
}

static void print_json(const segkit_revenue_result *r, const char *const *by, size_t n_by) {
  json_t *root = json_object();
  json_object_set_new(root, "periods", periods_json(r, SEGKIT_REVENUE_ALL));
  if (n_by > 0) {
    json_t *groups = json_array();
    for (size_t g = 0; g < segkit_revenue_n_groups(r); g++) {
      json_t *key = json_object();
      for (size_t k = 0; k < n_by; k++) {
        json_object_set_new(key, by[k], json_string(segkit_revenue_group_value(r, g, k)));
      }
      json_array_append_new(groups,
                            json_pack("{s:o, s:o}", "key", key, "periods", periods_json(r, g)));
    }
    json_object_set_new(root, "groups", groups);
  }
  size_t n_skipped = 0;
  segkit_revenue_skipped(r, &n_skipped);
  json_object_set_new(root, "skipped", json_integer((json_int_t)n_skipped));
  json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  printf("\n");
  json_decref(root);
}

/* The periods of one group (or the totals) as grid rows; with group columns (CSV), the
 * group's values lead each row (null for the totals). */
static void grid_periods(cli_grid *g, const segkit_revenue_result *r, size_t group,
                         size_t n_lead) {
  const segkit_revenue_period *p = segkit_revenue_periods(r, group);
  for (size_t i = 0; i < segkit_revenue_n_periods(r); i++) {
    char pt[16];
    period_text(p[i].first_month, segkit_revenue_period_months(r), pt, sizeof pt);
    cli_grid_row(g);
    for (size_t k = 0; k < n_lead; k++) {
      if (group == SEGKIT_REVENUE_ALL) {
        cli_grid_null(g);
      } else {
        cli_grid_text(g, segkit_revenue_group_value(r, group, k));
      }
    }
    cli_grid_text(g, pt);
    cli_grid_real(g, (double)p[i].charges_cents / 100.0, 2);
    cli_grid_int(g, p[i].n_charges);
    cli_grid_real(g, (double)p[i].refunds_cents / 100.0, 2);
    cli_grid_int(g, p[i].n_refunds);
    cli_grid_real(g, (double)p[i].net_cents / 100.0, 2);
    cli_grid_int(g, p[i].paying_customers);
    cli_grid_real(g, p[i].net_per_paying_cents / 100.0, 2);
    cli_grid_real(g, 100.0 * p[i].refund_rate, 2);
  }
}

static const char *const k_headers[] = {"period", "charges", "charge_count", "refunds",
                                        "refund_count", "net", "paying_customers",
                                        "net_per_paying", "refund_rate_pct"};
enum { N_METRIC_COLS = sizeof k_headers / sizeof k_headers[0] };

static bool print_grid(const segkit_revenue_result *r, size_t group, const char *const *by,
                       size_t n_lead, cli_format fmt) {
  const char *headers[MAX_BY + N_METRIC_COLS];
  for (size_t k = 0; k < n_lead; k++) {
    headers[k] = by[k];
  }
  for (size_t k = 0; k < N_METRIC_COLS; k++) {
    headers[n_lead + k] = k_headers[k];
  }
  cli_grid *g = cli_grid_new(n_lead + N_METRIC_COLS, headers);
  if (g == NULL) {
    return false;
  }
  grid_periods(g, r, group, n_lead);
  /* CSV: one table, every group after the totals. */
  for (size_t gi = 0; n_lead > 0 && gi < segkit_revenue_n_groups(r); gi++) {
    grid_periods(g, r, gi, n_lead);
  }
  cli_grid_row(g);
  bool ok = cli_grid_print(g, fmt, stdout);
  cli_grid_free(g);
  return ok;
}

static bool print_table(const segkit_revenue_result *r, const char *const *by, size_t n_by) {
  printf("Revenue (cash basis: refunds count when paid out; net = charges - refunds)\n\n");
  bool ok = print_grid(r, SEGKIT_REVENUE_ALL, by, 0, CLI_FORMAT_TABLE);
  for (size_t g = 0; ok && n_by > 0 && g < segkit_revenue_n_groups(r); g++) {
    printf("\n");
    for (size_t k = 0; k < n_by; k++) {
      printf("%s%s = %s", k > 0 ? ", " : "", by[k], segkit_revenue_group_value(r, g, k));
    }
    printf("\n");
    ok = print_grid(r, g, by, 0, CLI_FORMAT_TABLE);
  }
  size_t n_skipped = 0;
  const segkit_mrr_skip *sk = segkit_revenue_skipped(r, &n_skipped);
  if (n_skipped > 0) {
    printf("\n%zu transaction row%s skipped (a required value missing), e.g. row %zu (%s is "
           "empty)\n",
           n_skipped, n_skipped == 1 ? "" : "s", sk[0].row + 1, sk[0].field);
  }
  return ok;
}

/* The options; *by owns its column names (the caller frees it with cli_by_free). */
static int parse_options(cli_args *a, segkit_revenue_options *opt, cli_by *by) {
  segkit_revenue_options_init(opt);
  opt->n_threads = a->threads;
  segkit_revenue_columns *c = &opt->columns;
  c->customer = cli_mapped(a, "customer-col", c->customer);
  c->date = cli_mapped(a, "date-col", c->date);
  c->amount = cli_mapped(a, "amount-col", c->amount);
  c->currency = cli_mapped(a, "currency-col", c->currency);
  c->kind = cli_mapped(a, "kind-col", c->kind);
  const char *period = cli_get(a, "period");
  if (period == NULL || strcmp(period, "month") == 0) {
    opt->period_months = 1;
  } else if (strcmp(period, "quarter") == 0) {
    opt->period_months = 3;
  } else if (strcmp(period, "year") == 0) {
    opt->period_months = 12;
  } else {
    return cli_usage_error("revenue", "--period must be month, quarter or year, not '%s'", period);
  }
  const char *neg = cli_get(a, "negative-charges");
  if (neg != NULL && strcmp(neg, "refund") != 0 && strcmp(neg, "error") != 0) {
    return cli_usage_error("revenue", "--negative-charges must be error or refund, not '%s'", neg);
  }
  opt->negative_charge_is_refund = neg != NULL && strcmp(neg, "refund") == 0;
  /* No table yet: an unknown column is the library's error, which names it (exit 3). */
  const char *by_spec = cli_get(a, "by");
  int rc = cli_parse_by("revenue", by_spec, NULL, false, by);
  if (rc != 0) {
    return rc;
  }
  if (by->n > MAX_BY) {
    cli_by_free(by);
    return cli_usage_error("revenue", "--by needs 1 to %d column names separated by commas, not '%s'",
                           MAX_BY, by_spec);
  }
  c->group = by->cols;
  c->n_group = by->n;
  return 0;
}

/* --from / --to, defaulting to the months of the earliest and latest dates. */
static int resolve_months(cli_args *a, const segkit_table *t, segkit_revenue_options *opt) {
  const char *from_s = cli_get(a, "from");
  const char *to_s = cli_get(a, "to");
  if (to_s != NULL && !cli_parse_month(to_s, &opt->to_month)) {
    return cli_usage_error("revenue", "--to must be a month YYYY-MM, not '%s'", to_s);
  }
  if (from_s != NULL && !cli_parse_month(from_s, &opt->from_month)) {
    return cli_usage_error("revenue", "--from must be a month YYYY-MM, not '%s'", from_s);
  }
  int32_t day = 0;
  if (to_s == NULL) {
    if (!cli_day_bound(t, opt->columns.date, true, &day)) {
      return cli_usage_error("revenue", "no dates to choose the months from: give --from and --to");
    }
    opt->to_month = segkit_month_of_day(day);
  }
  if (from_s == NULL) {
    opt->from_month = cli_day_bound(t, opt->columns.date, false, &day) ? segkit_month_of_day(day)
                                                                 : opt->to_month;
    if (opt->from_month > opt->to_month) {
      opt->from_month = opt->to_month; /* --to before the first date: just that month */
    }
    if (opt->to_month - opt->from_month > 1175) {
      opt->from_month = opt->to_month - 1175; /* within 1200 months once widened to years */
    }
  }
  return 0;
}

static int run_revenue(cli_args *a) {
  segkit_revenue_options opt;
  cli_by by;
  memset(&by, 0, sizeof by);
  int rc = parse_options(a, &opt, &by);
  if (rc != 0) {
    return rc;
  }
  segkit_mrr_rate rates[CLI_MAX_RATES];
  char rate_names[CLI_MAX_RATES][16];
  const char *rates_spec = cli_get(a, "rates");
  if (rates_spec != NULL) {
    size_t n = 0;
    if (!cli_parse_rates(rates_spec, rates, rate_names, &n)) {
      cli_by_free(&by);
      return cli_usage_error("revenue", "--rates needs CUR=RATE,... or a CSV file of currency,rate (rates > 0), not '%s'", rates_spec);
    }
    opt.rates = rates;
    opt.n_rates = n;
  }
  segkit_table *t = NULL;
  rc = cli_load_table(a, "revenue", &t);
  if (rc != 0) {
    cli_by_free(&by);
    return rc;
  }
  rc = resolve_months(a, t, &opt);
  segkit_revenue_result *r = NULL;
  segkit_error err;
  if (rc == 0 && segkit_revenue_compute(t, &opt, &r, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    bool ok = true;
    if (a->format == CLI_FORMAT_JSON) {
      print_json(r, by.cols, by.n);
    } else if (a->format == CLI_FORMAT_CSV) {
      ok = print_grid(r, SEGKIT_REVENUE_ALL, by.cols, by.n, CLI_FORMAT_CSV);
    } else {
      ok = print_table(r, by.cols, by.n);
    }
    rc = ok ? 0 : CLI_EXIT_ENV;
  }
  segkit_revenue_result_free(r);
  segkit_table_free(t);
  cli_by_free(&by);
  return rc;
}

const cli_verb cli_verb_revenue = {
    .name = "revenue",
    .summary = "cash revenue from transactions: charges, refunds, net, paying customers",
    .usage = "segkit revenue (--dataset NAME | FILE) [--from YYYY-MM] [--to YYYY-MM] [--period month|quarter|year] [--by COL[,COL]] [--rates R]",
    .description =
        "From a transactions log (one row per charge or refund). Per period: charges and\n"
        "refunds (count, amount), net = charges - refunds, paying customers (distinct, with a\n"
        "charge above 0), net per paying customer, refund rate = refunds / charges. Cash\n"
        "basis: a refund counts in the period it was paid out. Direction from --kind-col\n"
        "(charge/payment/sale/invoice, refund/credit/chargeback) or, with --kind-col none,\n"
        "the sign of the amount. Amounts convert with --rates, rounded half to even per row.\n"
        "Column names default to those of `segkit generate` (transactions.csv).\n"
        "JSON: {\"periods\": [{\"period\": \"2025-01\" or \"2025-Q1\", \"charges\", \"charge_count\",\n"
        "\"refunds\", \"refund_count\", \"net\", \"paying_customers\", \"net_per_paying_customer\",\n"
        "\"refund_rate\"}], \"groups\": [{\"key\": {COL: VALUE}, \"periods\": [...]}] (with --by),\n"
        "\"skipped\": N} in major units. Definitions: docs/metrics.md.",
    .opts = revenue_opts,
    .n_opts = sizeof revenue_opts / sizeof revenue_opts[0],
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_revenue,
};
