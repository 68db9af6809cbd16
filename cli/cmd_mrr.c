/* segkit mrr: the monthly MRR movements table (new, reactivation, expansion, contraction,
 * churned; start and end MRR reconciling exactly) from a subscription history, in total
 * or split by a column. The JSON output is a contract (docs/cli.md). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

const cli_opt cli_subscription_opts[CLI_N_SUBSCRIPTION_OPTS] = {
    {"dataset", CLI_OPT_VALUE, "NAME", "dataset in the workspace: the subscription history (clv fit: or the transactions); or give a FILE instead"},
    {"from", CLI_OPT_VALUE, "YYYY-MM", "first month (default: 11 months before --to)"},
    {"to", CLI_OPT_VALUE, "YYYY-MM", "last month (default: the month of the latest start or end date)"},
    {"by", CLI_OPT_VALUE, "COL[,COL]", "split by these columns (every combination), and/or tenure_stage (onboarding < 30 days, growth < 180, mature)"},
    {"rates", CLI_OPT_VALUE, "RATES", "currency rates to the reporting currency: USD=1,EUR=1.08 or a CSV file currency,rate"},
    {"customers", CLI_OPT_VALUE, "NAME|FILE", "customer attributes (a dataset or a file, one row per customer): --by columns not in the history are looked up there"},
    {"customers-key", CLI_OPT_VALUE, "COL", "customer id column of --customers (default: the --customer-col name)"},
    {"segment", CLI_OPT_VALUE, "NAME[,NAME]", "also split by membership of these stored segments (segkit segment), evaluated now"},
    {"mapping", CLI_OPT_VALUE, "FILE", "column names from a JSON file {\"customer\": COL, \"price\": COL, ...} (roles as the -col flags; the flags win)"},
    {"customer-col", CLI_OPT_VALUE, "COL", "customer id column (default customer_id; clv fit --summary: the first column)"},
    {"price-col", CLI_OPT_VALUE, "COL", "price per unit per interval, major units (default unit_price)"},
    {"quantity-col", CLI_OPT_VALUE, "COL", "seats / quantity (default seats; 'none' = 1)"},
    {"interval-col", CLI_OPT_VALUE, "COL", "billing interval: day, week, month, year (default billing_interval)"},
    {"interval-count-col", CLI_OPT_VALUE, "COL", "intervals per billing period (default interval_count; 'none' = 1)"},
    {"currency-col", CLI_OPT_VALUE, "COL", "currency (default currency; 'none' = already the reporting currency)"},
    {"start-col", CLI_OPT_VALUE, "COL", "first day of service (default started_at)"},
    {"trial-end-col", CLI_OPT_VALUE, "COL", "first paid day (default trial_end; 'none')"},
    {"end-col", CLI_OPT_VALUE, "COL", "first day without service (default ended_at; 'none')"},
    {"discount-col", CLI_OPT_VALUE, "COL", "discount percent (default discount_percent; 'none')"},
};

/* The roles of --mapping, each with the flag that overrides it. */
static const struct {
  const char *role;
  const char *flag;
} k_roles[] = {{"customer", "customer-col"},     {"price", "price-col"},
               {"quantity", "quantity-col"},     {"interval", "interval-col"},
               {"interval_count", "interval-count-col"}, {"currency", "currency-col"},
               {"start", "start-col"},           {"trial_end", "trial-end-col"},
               {"end", "end-col"},               {"discount", "discount-col"}};
enum { N_ROLES = sizeof k_roles / sizeof k_roles[0] };

static const char **role_slot(segkit_mrr_columns *c, size_t i) {
  const char **slots[N_ROLES] = {&c->customer, &c->unit_price, &c->quantity, &c->interval,
                                 &c->interval_count, &c->currency, &c->start, &c->trial_end,
                                 &c->end, &c->discount_percent};
  return slots[i];
}

/* --mapping FILE: a JSON object {"customer": "account_id", "price": "amount", ...} naming
 * the column of each role (null or "none" for an absent optional one). The names are kept
 * in *json (the caller frees it) and borrowed by c; the -col flags override the file. */
static int read_mapping(const char *verb, const char *path, segkit_mrr_columns *c,
                        json_t **json) {
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  if (root == NULL) {
    return cli_usage_error(verb, "--mapping %s:%d:%d: %s (expected a JSON object of role: "
                           "column)", path, jerr.line, jerr.column, jerr.text);
  }
  if (!json_is_object(root)) {
    json_decref(root);
    return cli_usage_error(verb, "--mapping %s: expected a JSON object of role: column", path);
  }
  const char *key;
  json_t *value;
  json_object_foreach(root, key, value) {
    size_t i = 0;
    while (i < N_ROLES && strcmp(k_roles[i].role, key) != 0) {
      i++;
    }
    if (i == N_ROLES) {
      int rc = cli_usage_error(verb, "--mapping %s: unknown role '%s' (expected customer, "
                               "price, quantity, interval, interval_count, currency, start, "
                               "trial_end, end or discount)", path, key);
      json_decref(root);
      return rc;
    }
    if (json_is_null(value) || (json_is_string(value) &&
                                strcmp(json_string_value(value), "none") == 0)) {
      *role_slot(c, i) = NULL;
    } else if (json_is_string(value)) {
      *role_slot(c, i) = json_string_value(value);
    } else {
      json_decref(root);
      return cli_usage_error(verb, "--mapping %s: role '%s' needs a column name (a string)",
                             path, key);
    }
  }
  *json = root;
  return 0;
}

/* Latest (or earliest) day in a date or timestamp column, or INT32_MIN when there is none. */
static int32_t extreme_day(const segkit_table *t, const char *col, bool latest) {
  int32_t day = INT32_MIN;
  return cli_day_bound(t, col, latest, &day) ? day : INT32_MIN;
}


static json_t *month_json(const segkit_mrr_month *m) {
  char mt[16];
  cli_month_text(m->month, mt, sizeof mt);
  json_t *o = json_object();
  json_object_set_new(o, "month", json_string(mt));
  json_object_set_new(o, "start", json_real((double)m->start_cents / 100.0));
  json_object_set_new(o, "new", json_real((double)m->new_cents / 100.0));
  json_object_set_new(o, "expansion", json_real((double)m->expansion_cents / 100.0));
  json_object_set_new(o, "contraction", json_real((double)m->contraction_cents / 100.0));
  json_object_set_new(o, "churned", json_real((double)m->churned_cents / 100.0));
  json_object_set_new(o, "reactivation", json_real((double)m->reactivation_cents / 100.0));
  json_object_set_new(o, "end", json_real((double)m->end_cents / 100.0));
  json_object_set_new(o, "customers_start", json_integer(m->customers_start));
  json_object_set_new(o, "customers_end", json_integer(m->customers_end));
  json_object_set_new(o, "new_customers", json_integer(m->n_new));
  json_object_set_new(o, "reactivated_customers", json_integer(m->n_reactivation));
  json_object_set_new(o, "churned_customers", json_integer(m->n_churned));
  json_object_set_new(o, "arpu", isfinite(m->arpu_cents) ? json_real(m->arpu_cents / 100.0) : json_null());
  json_object_set_new(o, "logo_churn_rate", isfinite(m->logo_churn_rate) ? json_real(m->logo_churn_rate) : json_null());
  json_object_set_new(o, "gross_revenue_churn", isfinite(m->gross_revenue_churn) ? json_real(m->gross_revenue_churn) : json_null());
  json_object_set_new(o, "nrr", isfinite(m->nrr) ? json_real(m->nrr) : json_null());
  json_object_set_new(o, "grr", isfinite(m->grr) ? json_real(m->grr) : json_null());
  return o;
}

static json_t *months_json(const segkit_mrr_result *r, size_t group) {
  json_t *arr = json_array();
  const segkit_mrr_month *m = segkit_mrr_months(r, group);
  for (size_t i = 0; i < segkit_mrr_n_months(r); i++) {
    json_array_append_new(arr, month_json(&m[i]));
  }
  return arr;
}

bool cli_print_mrr_months(const segkit_mrr_result *r, size_t group, cli_format fmt) {
  static const char *const headers[] = {"month", "start", "new", "reactivation", "expansion",
                                        "contraction", "churned", "end", "customers",
                                        "logo_churn_pct", "nrr_pct"};
  cli_grid *g = cli_grid_new(11, headers);
  const segkit_mrr_month *m = segkit_mrr_months(r, group);
  for (size_t i = 0; g != NULL && i < segkit_mrr_n_months(r); i++) {
    char mt[16];
    cli_month_text(m[i].month, mt, sizeof mt);
    cli_grid_row(g);
    cli_grid_text(g, mt);
    cli_grid_real(g, (double)m[i].start_cents / 100.0, 2);
    cli_grid_real(g, (double)m[i].new_cents / 100.0, 2);
    cli_grid_real(g, (double)m[i].reactivation_cents / 100.0, 2);
    cli_grid_real(g, (double)m[i].expansion_cents / 100.0, 2);
    cli_grid_real(g, (double)m[i].contraction_cents / 100.0, 2);
    cli_grid_real(g, (double)m[i].churned_cents / 100.0, 2);
    cli_grid_real(g, (double)m[i].end_cents / 100.0, 2);
    cli_grid_int(g, m[i].customers_end);
    cli_grid_real(g, 100.0 * m[i].logo_churn_rate, 2);
    cli_grid_real(g, 100.0 * m[i].nrr, 1);
  }
  if (g != NULL) {
    cli_grid_row(g);
  }
  bool ok = cli_grid_print(g, fmt, stdout);
  cli_grid_free(g);
  return ok;
}


/* Load the subscription table and compute the MRR result the flags describe (mrr and
 * cohorts share it). Prints errors; returns 0 or the exit code. */
/* With --customers, the --by columns missing from the history are looked up in the
 * customers table by customer id; *t is replaced by the joined table. Customers absent
 * from that table get nulls, so they show as the segment "(null)" rather than vanish. */
static int attach_customers(cli_args *a, const char *verb, const char *customer_col,
                            segkit_table **t) {
  const char *spec = cli_get(a, "customers");
  if (spec == NULL) {
    return 0;
  }
  cli_by by;
  int rc = cli_parse_by(verb, cli_get(a, "by"), NULL, true, &by);
  if (rc != 0) {
    segkit_table_free(*t);
    return rc;
  }
  const char *missing[CLI_MAX_BY];
  size_t n_missing = 0;
  for (size_t k = 0; k < by.n; k++) {
    if (segkit_table_column_index(*t, by.cols[k]) < 0) {
      missing[n_missing++] = by.cols[k];
    }
  }
  segkit_table *cust = NULL;
  if (n_missing > 0) {
    struct stat st;
    bool is_file = stat(spec, &st) == 0;
    rc = cli_load_named(a, verb, is_file ? NULL : spec, is_file ? spec : NULL, &cust);
  }
  if (rc == 0 && cust != NULL) {
    const char *key = cli_get(a, "customers-key");
    segkit_table *joined = NULL;
    segkit_error err;
    if (segkit_table_lookup(*t, customer_col, cust, key != NULL ? key : customer_col, missing,
                            n_missing, &joined, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    } else {
      segkit_table_free(*t);
      *t = joined;
    }
  }
  segkit_table_free(cust);
  cli_by_free(&by);
  if (rc != 0) {
    segkit_table_free(*t);
    *t = NULL;
  }
  return rc;
}

static int compute_mapped(cli_args *a, const char *verb, const cli_mrr_request *req,
                          segkit_mrr_options *opt_in, bool from_earliest, segkit_table **t_out,
                          segkit_mrr_result **r_out);

/* With --segment, each named segment's membership ("member" / "not member") becomes a
 * column of the history, looked up by customer id; customers the segment's dataset does
 * not know get null, the segment "(null)". */
static int attach_segments(cli_args *a, const char *verb, const char *customer_col,
                           segkit_table **t, cli_by *names) {
  memset(names, 0, sizeof *names);
  const char *spec = cli_get(a, "segment");
  if (spec == NULL) {
    return 0;
  }
  int rc = cli_parse_by(verb, spec, NULL, false, names);
  segkit_workspace *ws = NULL;
  if (rc == 0) {
    rc = cli_open_workspace(a, false, &ws);
  }
  for (size_t k = 0; rc == 0 && k < names->n; k++) {
    segkit_table *m = NULL;
    rc = cli_segment_membership(a, ws, names->cols[k], &m);
    if (rc != 0) {
      break;
    }
    if (segkit_table_column_index(*t, names->cols[k]) >= 0) {
      rc = cli_usage_error(verb, "--segment %s: the history already has a column of that name",
                           names->cols[k]);
    }
    segkit_table *joined = NULL;
    segkit_error err;
    const char *col[] = {names->cols[k]};
    if (rc == 0 && segkit_table_lookup(*t, customer_col, m,
                                       segkit_column_name(segkit_table_column(m, 0)), col, 1,
                                       &joined, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
    if (rc == 0) {
      segkit_table_free(*t);
      *t = joined;
    }
    segkit_table_free(m);
  }
  segkit_workspace_close(ws);
  if (rc != 0) {
    cli_by_free(names);
    segkit_table_free(*t);
    *t = NULL;
  }
  return rc;
}

int cli_mrr_compute(cli_args *a, const char *verb, const cli_mrr_request *req,
                    segkit_table **t_out, segkit_mrr_result **r_out) {
  bool from_earliest = req->from_earliest;
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.n_threads = a->threads;
  opt.keep_customer_mrr = req->keep_customers;
  opt.period = req->period;
  opt.conf_level = req->conf_level;
  opt.min_customers = req->min_customers;
  segkit_mrr_columns *c = &opt.columns;
  json_t *mapping = NULL;
  if (cli_get(a, "mapping") != NULL) {
    int mrc = read_mapping(verb, cli_get(a, "mapping"), c, &mapping);
    if (mrc != 0) {
      return mrc;
    }
  }
  for (size_t i = 0; i < N_ROLES; i++) {
    *role_slot(c, i) = cli_mapped(a, k_roles[i].flag, *role_slot(c, i));
  }
  int rc = compute_mapped(a, verb, req, &opt, from_earliest, t_out, r_out);
  json_decref(mapping);
  return rc;
}

/* The rest of cli_mrr_compute, once the columns are named (their names may live in the
 * mapping's JSON, freed after this returns). */
static int compute_mapped(cli_args *a, const char *verb, const cli_mrr_request *req,
                          segkit_mrr_options *opt_in, bool from_earliest, segkit_table **t_out,
                          segkit_mrr_result **r_out) {
  segkit_mrr_options opt = *opt_in;
  segkit_mrr_columns *c = &opt.columns;
  segkit_mrr_rate rates[CLI_MAX_RATES];
  char rate_names[CLI_MAX_RATES][16];
  const char *rates_spec = cli_get(a, "rates");
  if (rates_spec != NULL) {
    size_t n = 0;
    if (!cli_parse_rates(rates_spec, rates, rate_names, &n)) {
      return cli_usage_error(verb, "--rates needs CUR=RATE,... or a CSV file of currency,rate (rates > 0), not '%s'", rates_spec);
    }
    opt.rates = rates;
    opt.n_rates = n;
  }
  segkit_table *t = NULL;
  int rc = cli_load_table(a, verb, &t);
  if (rc != 0) {
    return rc;
  }
  rc = attach_customers(a, verb, c->customer, &t);
  if (rc != 0) {
    return rc;
  }
  /* Name the missing column before anything else: a snapshot given to metrics without
   * --churned lands here, and "no dates" would not tell its user what to do. */
  const struct {
    const char *col;
    const char *flag;
  } required[] = {{c->customer, "customer-col"}, {c->unit_price, "price-col"},
                  {c->interval, "interval-col"}, {c->start, "start-col"}};
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
    if (required[i].col != NULL && segkit_table_column_index(t, required[i].col) < 0) {
      segkit_table_free(t);
      return cli_usage_error(verb, "the subscription history has no column '%s' (map yours with "
                             "--%s%s)", required[i].col, required[i].flag,
                             strcmp(verb, "metrics") == 0
                                 ? ", or give --churned COL=VALUE for a customer snapshot"
                                 : "");
    }
  }
  int32_t to = 0;
  int32_t from = 0;
  const char *to_s = cli_get(a, "to");
  const char *from_s = cli_get(a, "from");
  if (to_s != NULL && !cli_parse_month(to_s, &to)) {
    segkit_table_free(t);
    return cli_usage_error(verb, "--to must be a month YYYY-MM, not '%s'", to_s);
  }
  if (from_s != NULL && !cli_parse_month(from_s, &from)) {
    segkit_table_free(t);
    return cli_usage_error(verb, "--from must be a month YYYY-MM, not '%s'", from_s);
  }
  if (to_s == NULL) {
    int32_t last = extreme_day(t, c->start, true);
    int32_t last_end = extreme_day(t, c->end, true);
    if (last_end > last) {
      last = last_end;
    }
    if (last == INT32_MIN) {
      segkit_table_free(t);
      return cli_usage_error(verb, "no dates to choose the months from: give --from and --to");
    }
    to = segkit_month_of_day(last);
  }
  if (from_s == NULL) {
    int32_t first = from_earliest ? extreme_day(t, c->start, false) : INT32_MIN;
    from = first != INT32_MIN ? segkit_month_of_day(first) : to - 11;
    if (to - from > 1199) {
      from = to - 1199;
    }
  }
  cli_by segs;
  rc = attach_segments(a, verb, c->customer, &t, &segs);
  if (rc != 0) {
    return rc;
  }
  cli_by by;
  memset(&by, 0, sizeof by);
  rc = cli_get(a, "by") != NULL ? cli_parse_by(verb, cli_get(a, "by"), t, true, &by) : 0;
  for (size_t k = 0; rc == 0 && k < segs.n; k++) {
    if (by.n == CLI_MAX_BY) {
      rc = cli_usage_error(verb, "--by and --segment take at most %d columns together",
                           CLI_MAX_BY);
    } else {
      by.cols[by.n++] = segs.cols[k];
    }
  }
  if (rc != 0) {
    cli_by_free(&by);
    cli_by_free(&segs);
    segkit_table_free(t);
    return rc;
  }
  opt.by = by.cols;
  opt.n_by = by.n;
  opt.by_tenure_stage = by.tenure_stage;
  opt.from_month = from;
  opt.to_month = to;
  segkit_error err;
  if (segkit_mrr_compute(t, &opt, r_out, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
    cli_by_free(&by);
    cli_by_free(&segs);
    segkit_table_free(t);
    return rc;
  }
  cli_by_free(&by);
  cli_by_free(&segs);
  if (req->then != NULL) {
    rc = req->then(req->ctx, t, *r_out, c);
  }
  *t_out = t;
  return rc;
}

json_t *cli_mrr_group_key(const segkit_mrr_result *r, size_t group) {
  json_t *key = json_object();
  for (size_t k = 0; k < segkit_mrr_n_keys(r); k++) {
    json_object_set_new(key, segkit_mrr_key_name(r, k),
                        json_string(segkit_mrr_group_key(r, group, k)));
  }
  return key;
}

static int run_mrr(cli_args *a) {
  segkit_table *t = NULL;
  segkit_mrr_result *r = NULL;
  cli_mrr_request req = {0};
  int rc = cli_mrr_compute(a, "mrr", &req, &t, &r);
  if (rc != 0) {
    return rc;
  }
  size_t n_skipped = 0;
  segkit_mrr_skipped(r, &n_skipped);
  if (a->format == CLI_FORMAT_JSON) {
    json_t *root = json_object();
    json_object_set_new(root, "months", months_json(r, SEGKIT_MRR_ALL));
    if (segkit_mrr_n_groups(r) > 0) {
      json_t *groups = json_array();
      for (size_t gi = 0; gi < segkit_mrr_n_groups(r); gi++) {
        json_t *key = cli_mrr_group_key(r, gi);
        json_array_append_new(groups, json_pack("{s:o, s:o}", "key", key, "months", months_json(r, gi)));
      }
      json_object_set_new(root, "groups", groups);
    }
    json_object_set_new(root, "rows_used", json_integer((json_int_t)segkit_mrr_rows_used(r)));
    json_object_set_new(root, "rows_skipped", json_integer((json_int_t)n_skipped));
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
  } else {
    bool ok = true;
    if (a->format == CLI_FORMAT_TABLE) {
      printf("MRR movements (month-end MRR; start + new + reactivation + expansion - contraction "
             "- churned = end)\n\n");
    }
    ok = cli_print_mrr_months(r, SEGKIT_MRR_ALL, a->format);
    for (size_t gi = 0; ok && gi < segkit_mrr_n_groups(r); gi++) {
      if (a->format == CLI_FORMAT_TABLE) {
        printf("\n%s\n", segkit_mrr_group_name(r, gi));
        ok = cli_print_mrr_months(r, gi, a->format);
      }
    }
    if (a->format == CLI_FORMAT_TABLE && n_skipped > 0) {
      printf("\n%zu subscription row%s skipped (a required value missing, or ending before it "
             "starts)\n", n_skipped, n_skipped == 1 ? "" : "s");
    }
    rc = ok ? 0 : CLI_EXIT_ENV;
  }
  segkit_mrr_result_free(r);
  segkit_table_free(t);
  return rc;
}

const cli_verb cli_verb_mrr = {
    .name = "mrr",
    .summary = "monthly MRR movements: new, reactivation, expansion, contraction, churned",
    .usage = "segkit mrr (--dataset NAME | FILE) [--from YYYY-MM] [--to YYYY-MM] [--by COL[,COL]] [--rates R]",
    .description =
        "From a subscription history (one row per span of constant price and seats). MRR of a\n"
        "month is the sum over subscriptions running on its last day, price x seats x (1 -\n"
        "discount) per month (year / 12, week x 52 / 12, day x 365 / 12), nothing during a\n"
        "trial, converted with --rates. Movements reconcile exactly in cents every month.\n"
        "Column names default to those of `segkit generate`; map others with the -col flags.\n"
        "JSON: {\"months\": [{\"month\": \"2025-01\", \"start\", \"new\", \"expansion\", \"contraction\",\n"
        "\"churned\", \"reactivation\", \"end\", ...}]} in major units (contraction and churned\n"
        "positive), plus \"groups\" with --by. Definitions: docs/metrics.md.",
    .opts = cli_subscription_opts,
    .n_opts = CLI_N_SUBSCRIPTION_OPTS,
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_mrr,
};

/* ==== segkit cohorts ===================================================================== */

static const cli_opt cohorts_opts[] = {
    {"metric", CLI_OPT_VALUE, "M", "logo (default) or revenue retention in the table"},
    {"months", CLI_OPT_VALUE, "N", "months since start shown in the table (default 12)"},
    {"margin", CLI_OPT_VALUE, "X", "gross margin for LTV, 0..1 (default 1)"},
    {"horizon", CLI_OPT_VALUE, "N", "months summed by the survival-based LTV (default 60)"},
};

/* A cohort's name: its month, or its segment's values joined. */
static void cohort_label(const segkit_cohorts *co, const segkit_mrr_result *r, size_t i,
                         char *buf, size_t size) {
  size_t g = segkit_cohorts_group(co, i);
  if (g == SIZE_MAX) {
    cli_month_text(segkit_cohorts_month(co, i), buf, size);
  } else {
    snprintf(buf, size, "%s", segkit_mrr_group_name(r, g));
  }
}

static json_t *cohorts_json(const segkit_cohorts *co, const segkit_mrr_result *r,
                            const segkit_ltv *ltv) {
  json_t *arr = json_array();
  for (size_t i = 0; i < segkit_cohorts_n(co); i++) {
    char label[256];
    cohort_label(co, r, i, label, sizeof label);
    json_t *logo = json_array();
    json_t *rev = json_array();
    json_t *active = json_array();
    json_t *observed = json_array();
    const double *l = segkit_cohorts_logo_retention(co, i);
    const double *rv = segkit_cohorts_revenue_retention(co, i);
    const int64_t *ac = segkit_cohorts_active(co, i);
    const int64_t *ob = segkit_cohorts_observed(co, i);
    for (size_t k = 0; k < segkit_cohorts_n_cells(co, i); k++) {
      json_array_append_new(logo, isfinite(l[k]) ? json_real(l[k]) : json_null());
      json_array_append_new(rev, isfinite(rv[k]) ? json_real(rv[k]) : json_null());
      json_array_append_new(active, json_integer(ac[k]));
      json_array_append_new(observed, json_integer(ob[k]));
    }
    json_t *o = json_object();
    json_object_set_new(o, "cohort", json_string(label));
    if (segkit_cohorts_group(co, i) != SIZE_MAX) {
      json_object_set_new(o, "key", cli_mrr_group_key(r, segkit_cohorts_group(co, i)));
    }
    json_object_set_new(o, "size", json_integer((json_int_t)segkit_cohorts_size(co, i)));
    json_object_set_new(o, "active", active);
    json_object_set_new(o, "observed", observed);
    json_object_set_new(o, "logo_retention", logo);
    json_object_set_new(o, "revenue_retention", rev);
    json_array_append_new(arr, o);
  }
  size_t n = 0;
  const int64_t *at_risk = NULL;
  const int64_t *churned = NULL;
  const double *surv = NULL;
  segkit_cohorts_survival(co, &n, &at_risk, &churned, &surv);
  json_t *curve = json_array();
  for (size_t k = 0; k < n; k++) {
    json_array_append_new(curve, json_pack("{s:I, s:I, s:I, s:f}", "months_since_start", (json_int_t)k,
                                           "at_risk", (json_int_t)at_risk[k], "churned",
                                           (json_int_t)churned[k], "survival", surv[k]));
  }
  json_t *l = json_object();
  json_object_set_new(l, "gross_margin", json_real(ltv->gross_margin));
  json_object_set_new(l, "horizon_months", json_integer(ltv->horizon_months));
  json_object_set_new(l, "arpu", isfinite(ltv->arpu_cents) ? json_real(ltv->arpu_cents / 100.0) : json_null());
  json_object_set_new(l, "monthly_churn", isfinite(ltv->monthly_churn) ? json_real(ltv->monthly_churn) : json_null());
  json_object_set_new(l, "ltv_simple", isfinite(ltv->ltv_simple_cents) ? json_real(ltv->ltv_simple_cents / 100.0) : json_null());
  json_object_set_new(l, "ltv_survival", isfinite(ltv->ltv_survival_cents) ? json_real(ltv->ltv_survival_cents / 100.0) : json_null());
  json_object_set_new(l, "survival_sum", isfinite(ltv->survival_sum) ? json_real(ltv->survival_sum) : json_null());
  json_object_set_new(l, "months_observed", json_integer((json_int_t)ltv->n_observed));
  json_t *root = json_object();
  json_object_set_new(root, "cohorts", arr);
  json_object_set_new(root, "left_out", json_integer((json_int_t)segkit_cohorts_n_left_out(co)));
  json_object_set_new(root, "survival", curve);
  json_object_set_new(root, "ltv", l);
  return root;
}

static bool print_cohorts(const segkit_cohorts *co, const segkit_mrr_result *r, bool revenue,
                          size_t months, cli_format fmt) {
  const char *headers[2 + 121];
  char names[121][16];
  headers[0] = "cohort";
  headers[1] = "size";
  for (size_t k = 0; k <= months; k++) {
    snprintf(names[k], sizeof names[k], "m%zu", k);
    headers[2 + k] = names[k];
  }
  cli_grid *g = cli_grid_new(3 + months, headers);
  for (size_t i = 0; g != NULL && i < segkit_cohorts_n(co); i++) {
    char label[256];
    cohort_label(co, r, i, label, sizeof label);
    cli_grid_row(g);
    cli_grid_text(g, label);
    cli_grid_int(g, segkit_cohorts_size(co, i));
    const double *v = revenue ? segkit_cohorts_revenue_retention(co, i)
                              : segkit_cohorts_logo_retention(co, i);
    for (size_t k = 0; k <= months; k++) {
      if (k < segkit_cohorts_n_cells(co, i) && isfinite(v[k])) {
        cli_grid_real(g, 100.0 * v[k], 1);
      } else {
        cli_grid_null(g);
      }
    }
  }
  if (g != NULL) {
    cli_grid_row(g);
  }
  bool ok = cli_grid_print(g, fmt, stdout);
  cli_grid_free(g);
  return ok;
}

static int run_cohorts(cli_args *a) {
  const char *metric = cli_get(a, "metric");
  bool revenue = metric != NULL && strcmp(metric, "revenue") == 0;
  if (metric != NULL && !revenue && strcmp(metric, "logo") != 0) {
    return cli_usage_error("cohorts", "--metric must be logo or revenue, not '%s'", metric);
  }
  int64_t months = 12;
  int64_t horizon = 60;
  if (!cli_get_int(a, "months", 0, 120, &months) || !cli_get_int(a, "horizon", 1, 1200, &horizon)) {
    return CLI_EXIT_USAGE;
  }
  segkit_ltv_options lo;
  segkit_ltv_options_init(&lo);
  lo.horizon_months = (int)horizon;
  if (!cli_get_real(a, "cohorts", "margin", 0.0, 1.0, &lo.gross_margin)) {
    return CLI_EXIT_USAGE;
  }
  segkit_table *t = NULL;
  segkit_mrr_result *r = NULL;
  /* cohorts need the whole history by default: a customer's first month must be in range */
  cli_mrr_request req = {.keep_customers = true, .from_earliest = true};
  int rc = cli_mrr_compute(a, "cohorts", &req, &t, &r);
  if (rc != 0) {
    return rc;
  }
  segkit_error err;
  segkit_cohorts *co = NULL;
  segkit_ltv ltv;
  bool by_segment = segkit_mrr_n_groups(r) > 0;
  segkit_status st = by_segment ? segkit_cohorts_compute_by_segment(r, &co, &err)
                                : segkit_cohorts_compute(r, &co, &err);
  if (st != SEGKIT_OK || segkit_ltv_compute(r, SEGKIT_MRR_ALL, &lo, &ltv, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else if (a->format == CLI_FORMAT_JSON) {
    json_t *j = cohorts_json(co, r, &ltv);
    json_dumpf(j, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(j);
  } else {
    if (a->format == CLI_FORMAT_TABLE) {
      if (by_segment) {
        printf("%s retention by segment at the start, %% of the customers (or their MRR) "
               "observed that many months\nafter their own first month with MRR (m1 = one "
               "month after)\n\n", revenue ? "revenue" : "logo");
      } else {
        printf("%s retention by signup cohort, %% of month 0 (m1 = one month after the first "
               "month with MRR)\n\n", revenue ? "revenue" : "logo");
      }
    }
    rc = print_cohorts(co, r, revenue, (size_t)months, a->format) ? 0 : CLI_EXIT_ENV;
    if (a->format == CLI_FORMAT_TABLE) {
      printf("\n%zu customers active before the first month are not in any cohort\n",
             segkit_cohorts_n_left_out(co));
      printf("LTV (gross margin %.2f): ARPU %.2f / monthly churn %.4f = %.2f; from the survival "
             "curve over %d months: %.2f\n",
             ltv.gross_margin, ltv.arpu_cents / 100.0, ltv.monthly_churn,
             ltv.ltv_simple_cents / 100.0, ltv.horizon_months, ltv.ltv_survival_cents / 100.0);
    }
  }
  segkit_cohorts_free(co);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
  return rc;
}

const cli_verb cli_verb_cohorts = {
    .name = "cohorts",
    .summary = "retention by signup cohort (logo or revenue), and LTV two ways",
    .usage = "segkit cohorts (--dataset NAME | FILE) [--by COL[,COL]] [--metric logo|revenue] [--from YYYY-MM] [--rates R]",
    .description =
        "From a subscription history, as segkit mrr. A customer's cohort is its first month\n"
        "with MRR (from --from, by default the earliest start), or with --by its segment then\n"
        "(plan, country from --customers, ...); cells are the share of the cohort's customers\n"
        "(logo) or of their first-month MRR (revenue) still there k months after their start,\n"
        "among those observed that long. Then LTV = ARPU x margin / monthly churn, and the sum\n"
        "of the monthly survival curve x ARPU x margin over --horizon months. JSON:\n"
        "{\"cohorts\": [{\"cohort\", \"key\" (with --by), \"size\", \"active\", \"observed\",\n"
        "\"logo_retention\", \"revenue_retention\"}], \"survival\": [...], \"ltv\": {...}}.\n"
        "Definitions: docs/metrics.md, Cohorts and LTV.",
    .opts = cohorts_opts,
    .n_opts = sizeof cohorts_opts / sizeof cohorts_opts[0],
    .more_opts = cli_subscription_opts,
    .n_more_opts = CLI_N_SUBSCRIPTION_OPTS,
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_cohorts,
};
