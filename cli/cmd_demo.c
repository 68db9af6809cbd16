/* segkit demo: the main job end to end on generated data. Generates the sample SaaS data
 * (with a few deliberately bad rows), imports every file into a fresh workspace with
 * validation and quarantine, and prints the data-quality summary. Later capabilities
 * (segments, metrics, clusters, customer value) add their steps here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clv_cli.h"
#include "segkit/insight.h"

static const cli_opt demo_opts[] = {
    {"customers", CLI_OPT_VALUE, "N", "customers to generate (default 20000)"},
    {"seed", CLI_OPT_VALUE, "S", "random seed (default 42)"},
    {"dir", CLI_OPT_VALUE, "DIR", "where the data and the workspace go (default ./segkit-demo)"},
};

/* Which generated file becomes which dataset, and its key: the deliberately dirty data
 * repeats some ids, and the import keeps the first row of each and quarantines the others
 * (segkit import --key COL --on-error quarantine). */
static const struct {
  segkit_sample_file file;
  const char *dataset;
  const char *key;
} demo_imports[] = {
    {SEGKIT_SAMPLE_CUSTOMERS, "customers", "customer_id"},
    {SEGKIT_SAMPLE_SUBSCRIPTIONS, "subscriptions", "subscription_id"},
    {SEGKIT_SAMPLE_TRANSACTIONS, "transactions", "transaction_id"},
    {SEGKIT_SAMPLE_EVENTS, "events", "event_id"},
    {SEGKIT_SAMPLE_SURVEY, "survey", "respondent_id"},
};
enum { N_DEMO_IMPORTS = sizeof demo_imports / sizeof demo_imports[0] };

static double elapsed(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static char *join(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *p = malloc(n);
  if (p != NULL) {
    snprintf(p, n, "%s/%s", a, b);
  }
  return p;
}

typedef struct import_row {
  const char *dataset;
  int64_t read;
  int64_t imported;
  int64_t rejected;
  int64_t quarantined;
  size_t n_cols;
  double secs;
  char reasons[256];
} import_row;

static int import_one(segkit_workspace *ws, const cli_args *a, const char *dir, size_t i,
                      import_row *row) {
  char *path = join(dir, segkit_sample_file_name(demo_imports[i].file));
  if (path == NULL) {
    fprintf(stderr, "segkit demo: out of memory\n");
    return CLI_EXIT_ENV;
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  segkit_read_options opt;
  segkit_read_options_init(&opt);
  opt.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  opt.keep_row_lines = true;
  opt.n_threads = a->threads;
  opt.source_name = path;
  segkit_read_result *res = NULL;
  segkit_error err;
  int rc = 0;
  if (segkit_csv_read(path, &opt, &res, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
    free(path);
    return rc;
  }
  if (segkit_read_result_check_key(res, demo_imports[i].key, SEGKIT_ON_ERROR_QUARANTINE, NULL,
                                   &err) != SEGKIT_OK) {
    rc = cli_report(&err);
    segkit_read_result_free(res);
    free(path);
    return rc;
  }
  const segkit_read_counts *c = segkit_read_result_counts(res);
  segkit_import_request req = {
      .dataset = demo_imports[i].dataset,
      .key = demo_imports[i].key,
      .mode = SEGKIT_IMPORT_REPLACE,
      .source = path,
      .table = segkit_read_result_table(res),
      .rejects = segkit_read_result_rejects(res),
      .n_rejects = segkit_read_result_n_rejects(res),
      .counts = c,
      .actor = "cli:demo",
  };
  segkit_import_outcome out;
  if (segkit_workspace_import(ws, &req, &out, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else {
    row->dataset = demo_imports[i].dataset;
    row->read = c->rows_read;
    row->imported = c->rows_imported;
    row->rejected = c->rows_rejected;
    row->quarantined = out.rows_quarantined;
    row->n_cols = segkit_table_n_cols(req.table);
    row->secs = elapsed(&t0);
    size_t used = 0;
    row->reasons[0] = '\0';
    for (int r = 0; r < SEGKIT_REJECT_COUNT && used < sizeof row->reasons; r++) {
      if (c->rejected_by_reason[r] > 0) {
        int w = snprintf(row->reasons + used, sizeof row->reasons - used, "%s%s %lld",
                         used > 0 ? ", " : "", segkit_reject_reason_id((segkit_reject_reason)r),
                         (long long)c->rejected_by_reason[r]);
        used += w > 0 ? (size_t)w : 0;
      }
    }
  }
  segkit_read_result_free(res);
  free(path);
  return rc;
}

static int quality_one(segkit_workspace *ws, size_t i) {
  segkit_table *t = NULL;
  segkit_error err;
  if (segkit_workspace_load(ws, demo_imports[i].dataset, &t, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  segkit_describe_options opt;
  segkit_describe_options_init(&opt);
  opt.key = demo_imports[i].key;
  segkit_table_profile *p = NULL;
  if (segkit_describe(t, &opt, &p, &err) != SEGKIT_OK) {
    segkit_table_free(t);
    return cli_report(&err);
  }
  char b[32];
  printf("\n%s: %s rows, %zu columns\n", demo_imports[i].dataset,
         cli_thousands(p->n_rows, b, sizeof b), p->n_cols);
  /* One line per finding, the first few only: the full list is `segkit describe`. */
  enum { MAX_LINES = 6 };
  char lines[64][160];
  size_t n = 0;
  for (size_t c = 0; c < p->n_cols && n < 64; c++) {
    const segkit_column_profile *cp = &p->columns[c];
    if (cp->negative_suspicious && n < 64) {
      snprintf(lines[n++], sizeof lines[0], "%-20s %lld negative values", cp->name,
               (long long)cp->n_negative);
    }
    if ((cp->n_future > 0 || cp->n_before_min_date > 0) && n < 64) {
      snprintf(lines[n++], sizeof lines[0], "%-20s %lld dates in the future, %lld before 1990",
               cp->name, (long long)cp->n_future, (long long)cp->n_before_min_date);
    }
    if (cp->n_outliers_low + cp->n_outliers_high > 0 && n < 64) {
      snprintf(lines[n++], sizeof lines[0], "%-20s %lld outliers beyond %.6g .. %.6g (3 IQR%s)",
               cp->name, (long long)(cp->n_outliers_low + cp->n_outliers_high), cp->fence_low,
               cp->fence_high, cp->fences_log_scale ? " of log values" : "");
    }
  }
  for (size_t c = 0; c < p->n_order_checks && n < 64; c++) {
    const segkit_order_check *oc = &p->order_checks[c];
    if (oc->n_end_before_start > 0) {
      snprintf(lines[n++], sizeof lines[0], "%-20s %lld rows where it is before %s", oc->end_column,
               (long long)oc->n_end_before_start, oc->start_column);
    }
  }
  if (p->key != NULL && p->n_duplicate_keys > 0 && n < 64) {
    snprintf(lines[n++], sizeof lines[0], "%-20s %lld duplicated key values, e.g. '%s' x%lld",
             p->key, (long long)p->n_duplicate_keys,
             p->n_duplicate_examples > 0 ? p->duplicate_examples[0].value : "?",
             p->n_duplicate_examples > 0 ? (long long)p->duplicate_examples[0].count : 0LL);
  }
  for (size_t j = 0; j < n && j < MAX_LINES; j++) {
    printf("  %s\n", lines[j]);
  }
  if (n > MAX_LINES) {
    printf("  ... and %zu more findings\n", n - MAX_LINES);
  }
  if (n == 0) {
    printf("  no suspicious values%s\n", p->key != NULL ? "; key unique" : "");
  }
  segkit_table_profile_free(p);
  segkit_table_free(t);
  return 0;
}

/* Exchange rates the demo converts the sample's EUR and GBP subscriptions with (fixed
 * values, so the demo's numbers do not move; real use passes --rates). */
static const segkit_mrr_rate demo_rates[] = {{"USD", 1.0}, {"EUR", 1.08}, {"GBP", 1.27}};

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a;
  int64_t y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Customer ids with a feature_used event of the invoice-automation feature, sorted. (When
 * the rule language lands this becomes a segment: used("invoice_automation").) */
static int64_t *adopters(segkit_workspace *ws, size_t *n_out, segkit_error *err) {
  segkit_table *ev = NULL;
  *n_out = 0;
  if (segkit_workspace_load(ws, "events", &ev, err) != SEGKIT_OK) {
    return NULL;
  }
  long fi = segkit_table_column_index(ev, "feature");
  long ci = segkit_table_column_index(ev, "customer_id");
  const segkit_column *feature = fi >= 0 ? segkit_table_column(ev, (size_t)fi) : NULL;
  const segkit_column *cust = ci >= 0 ? segkit_table_column(ev, (size_t)ci) : NULL;
  int64_t *ids = malloc((segkit_table_n_rows(ev) + 1) * sizeof *ids);
  if (ids == NULL || feature == NULL || cust == NULL || segkit_column_codes(feature) == NULL ||
      segkit_column_int64(cust) == NULL) {
    segkit_error_set(err, ids == NULL ? SEGKIT_ERR_NOMEM : SEGKIT_ERR_SCHEMA,
                     "events: expected customer_id (int64) and feature (string) columns");
    free(ids);
    segkit_table_free(ev);
    return NULL;
  }
  int64_t code = segkit_column_dict_find(feature, "invoice_automation", strlen("invoice_automation"));
  size_t n = 0;
  for (size_t i = 0; code >= 0 && i < segkit_table_n_rows(ev); i++) {
    if (segkit_column_is_valid(feature, i) && segkit_column_is_valid(cust, i) &&
        segkit_column_codes(feature)[i] == (uint32_t)code) {
      ids[n++] = segkit_column_int64(cust)[i];
    }
  }
  qsort(ids, n, sizeof *ids, cmp_i64);
  size_t u = 0;
  for (size_t i = 0; i < n; i++) {
    if (u == 0 || ids[u - 1] != ids[i]) {
      ids[u++] = ids[i];
    }
  }
  segkit_table_free(ev);
  *n_out = u;
  return ids;
}

/* The lifetimes of customers who started in the window, with an adopter label and the
 * plan and billing interval they started on (r's segment at their first paid month end). */
static segkit_table *adoption_table(const segkit_table *lifetimes, const segkit_mrr_result *r,
                                    const int64_t *ids, size_t n_ids, segkit_error *err) {
  const char *names[] = {"invoice_automation", "tenure_months", "churned", "segment"};
  segkit_type types[] = {SEGKIT_TYPE_STRING, SEGKIT_TYPE_INT64, SEGKIT_TYPE_BOOL,
                         SEGKIT_TYPE_STRING};
  segkit_table_builder *b = NULL;
  if (segkit_table_builder_new(4, names, types, &b, err) != SEGKIT_OK) {
    return NULL;
  }
  const int64_t *cust = segkit_column_int64(segkit_table_column(lifetimes, 0));
  const int64_t *tenure = segkit_column_int64(segkit_table_column(lifetimes, 2));
  const uint8_t *churned = segkit_column_bool(segkit_table_column(lifetimes, 3));
  const uint8_t *before = segkit_column_bool(segkit_table_column(lifetimes, 4));
  segkit_status st = cust != NULL ? SEGKIT_OK : SEGKIT_ERR_TYPE;
  for (size_t i = 0; st == SEGKIT_OK && i < segkit_table_n_rows(lifetimes); i++) {
    if (before[i]) {
      continue; /* left-truncated: its real start is before the window */
    }
    bool adopter = bsearch(&cust[i], ids, n_ids, sizeof *ids, cmp_i64) != NULL;
    const char *label = adopter ? "adopter" : "non-adopter";
    st = segkit_column_append_string(segkit_table_builder_column(b, 0), label, strlen(label));
    if (st == SEGKIT_OK) {
      st = segkit_column_append_int64(segkit_table_builder_column(b, 1), tenure[i]);
    }
    if (st == SEGKIT_OK) {
      st = segkit_column_append_bool(segkit_table_builder_column(b, 2), churned[i] != 0);
    }
    long c = segkit_mrr_customer_find(r, cust[i]);
    uint32_t g = c >= 0 ? segkit_mrr_customer_start_group(r, (size_t)c) : SEGKIT_MRR_NO_GROUP;
    const char *seg = g != SEGKIT_MRR_NO_GROUP ? segkit_mrr_group_name(r, g) : NULL;
    if (st == SEGKIT_OK) {
      st = seg != NULL ? segkit_column_append_string(segkit_table_builder_column(b, 3), seg,
                                                     strlen(seg))
                       : segkit_column_append_null(segkit_table_builder_column(b, 3));
    }
  }
  segkit_table *t = NULL;
  if (st != SEGKIT_OK || segkit_table_builder_finish(b, &t, err) != SEGKIT_OK) {
    segkit_error_set(err, st != SEGKIT_OK ? st : err->code, "building the adoption table");
    segkit_table_builder_free(b);
    return NULL;
  }
  return t;
}

/* Paying months observed in group g: the sum of its tenures. */
static double group_months(const segkit_surv_data *d, uint32_t g) {
  segkit_surv_input in = segkit_surv_data_input(d);
  double sum = 0;
  for (size_t i = 0; i < in.n; i++) {
    if (in.group == NULL || in.group[i] == g) {
      sum += in.time_i64 != NULL ? (double)in.time_i64[i] : in.time_f64[i];
    }
  }
  return sum;
}

/* The adopters' hazard against the rest at equal plan and billing interval: the Cox model
 * stratified by the segment a customer started in, and the stratified log-rank test.
 * Returns false when there is nothing to compare. */
static bool adjusted(const segkit_table *t, segkit_cox *cox, segkit_logrank **lr,
                     segkit_error *err) {
  const segkit_column *label = segkit_table_column(t, 0);
  const segkit_column *seg = segkit_table_column(t, 3);
  size_t n = segkit_table_n_rows(t);
  uint32_t *group = malloc((n + 1) * sizeof *group);
  uint32_t *stratum = malloc((n + 1) * sizeof *stratum);
  uint8_t *event = malloc(n + 1);
  int64_t *time = malloc((n + 1) * sizeof *time);
  int64_t adopter = segkit_column_dict_find(label, "adopter", strlen("adopter"));
  uint32_t n_strata = segkit_column_dict_size(seg) + 1;
  size_t k = 0;
  bool ok = group != NULL && stratum != NULL && event != NULL && time != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    group[k] = (int64_t)segkit_column_codes(label)[i] == adopter;
    stratum[k] = segkit_column_is_valid(seg, i) ? segkit_column_codes(seg)[i] : n_strata - 1;
    event[k] = segkit_column_bool(segkit_table_column(t, 2))[i];
    time[k] = segkit_column_int64(segkit_table_column(t, 1))[i];
    k++;
  }
  segkit_surv_input in = {.n = k, .time_i64 = time, .event = event, .group = group,
                          .n_groups = 2};
  ok = ok && segkit_cox_two_groups(&in, stratum, n_strata, 0.95, cox, err) == SEGKIT_OK &&
       !cox->infinite &&
       segkit_logrank_stratified(&in, stratum, n_strata, lr, err) == SEGKIT_OK;
  free(group);
  free(stratum);
  free(event);
  free(time);
  return ok;
}

/* Step 6: do invoice-automation adopters churn less? Churn per customer-month, the
 * Kaplan-Meier median and the log-rank test, for customers who started in the window; then
 * the same at equal plan and billing interval. */
static int adoption_step(segkit_workspace *ws, const segkit_table *subs, const segkit_mrr_result *r) {
  segkit_error err;
  segkit_table *lt = NULL;
  if (segkit_mrr_lifetimes(r, subs, "customer_id", &lt, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  size_t n_ids = 0;
  int64_t *ids = adopters(ws, &n_ids, &err);
  segkit_table *t = ids != NULL ? adoption_table(lt, r, ids, n_ids, &err) : NULL;
  free(ids);
  segkit_table_free(lt);
  if (t == NULL) {
    return cli_report(&err);
  }
  static const char *const by[] = {"invoice_automation"};
  segkit_surv_columns cols = {"tenure_months", "churned", 0, by, 1, NULL};
  segkit_surv_data *d = NULL;
  segkit_km *km = NULL;
  segkit_logrank *lr = NULL;
  int rc = 0;
  segkit_error_clear(&err);
  if (segkit_surv_data_from_table(t, &cols, &d, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else {
    segkit_surv_input in = segkit_surv_data_input(d);
    if (segkit_km_fit(&in, 0.95, &km, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  /* A tiny demo (--customers 5) may have no adopter, or no customer who started in the
   * window: nothing to compare, which is not an error. */
  bool comparable = rc == 0 && segkit_km_n_groups(km) == 2 &&
                    segkit_km_group(km, 0)->n_subjects > 0 && segkit_km_group(km, 1)->n_subjects > 0;
  if (comparable && segkit_logrank_test(km, &lr, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0 && !comparable) {
    printf("\n== 6. invoice-automation adopters: too few customers who started in the window "
           "to compare (try --customers 20000)\n");
  }
  if (rc == 0 && comparable) {
    printf("\n== 6. do invoice-automation adopters churn less? (customers who started in the "
           "window; segkit survival)\n");
    double rate[2] = {0, 0};
    for (uint32_t g = 0; g < segkit_km_n_groups(km) && g < 2; g++) {
      const segkit_km_curve *c = segkit_km_group(km, g);
      /* churn per customer-month: churned customers / paying months observed */
      double months = group_months(d, g);
      rate[g] = months > 0 ? (double)c->n_events / months : 0;
      char median[32];
      if (c->median == c->median) {
        snprintf(median, sizeof median, "%.0f months", c->median);
      } else {
        snprintf(median, sizeof median, "not reached");
      }
      printf("  %-12s %6zu customers, %5zu churned, %.2f%% a month, median lifetime %s\n",
             segkit_surv_data_group_label(d, g), c->n_subjects, c->n_events, 100.0 * rate[g],
             median);
    }
    if (rate[0] > 0) {
      printf("  adopters churn %.1fx less (log-rank chi-square %.1f, p = %.2g)\n",
             rate[1] / rate[0], lr->chi2, lr->p_value);
    }
    segkit_cox cox;
    segkit_logrank *slr = NULL;
    if (adjusted(t, &cox, &slr, &err)) {
      printf("  at equal plan and billing interval (Cox model stratified by the segment each\n"
             "  customer started in): adopters' churn hazard is %.2f times the rest's (95%% CI\n"
             "  %.2f - %.2f, p = %.2g; stratified log-rank chi-square %.1f). Adopters are more\n"
             "  often on larger plans, which churn less too: the crude ratio overstates it.\n",
             cox.hazard_ratio, cox.hr_low, cox.hr_high, cox.p_value, slr->chi2);
    }
    segkit_logrank_free(slr);
  }
  segkit_logrank_free(lr);
  segkit_km_free(km);
  segkit_surv_data_free(d);
  segkit_table_free(t);
  return rc;
}

/* Step 5: which segments retain best and what each is worth, over the last 12 months. */
static int segment_step(const segkit_table *subs, const segkit_mrr_options *base) {
  static const char *const by[] = {"plan", "billing_interval"};
  segkit_mrr_options opt = *base;
  opt.by = by;
  opt.n_by = 2;
  opt.from_month = opt.to_month - 11;
  opt.keep_customer_mrr = false;
  segkit_mrr_result *r = NULL;
  segkit_error err;
  if (segkit_mrr_compute(subs, &opt, &r, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  static const char *const headers[] = {"plan", "billing", "customers", "churn/month",
                                        "95% interval", "NRR", "ARPU", "LTV", "note"};
  cli_grid *g = cli_grid_new(9, headers);
  int rc = 0;
  for (size_t b = 0; g != NULL && b <= segkit_mrr_n_groups(r) && rc == 0; b++) {
    size_t gi = b < segkit_mrr_n_groups(r) ? b : SEGKIT_MRR_ALL;
    const segkit_mrr_period *p = segkit_mrr_periods(r, gi);
    segkit_ltv l;
    if (segkit_ltv_compute(r, gi, NULL, &l, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
      break;
    }
    char buf[64];
    cli_grid_row(g);
    cli_grid_text(g, gi == SEGKIT_MRR_ALL ? "(all)" : segkit_mrr_group_key(r, gi, 0));
    cli_grid_text(g, gi == SEGKIT_MRR_ALL ? "" : segkit_mrr_group_key(r, gi, 1));
    cli_grid_int(g, p->customers_start);
    snprintf(buf, sizeof buf, "%.2f%%", 100.0 * p->monthly_churn);
    cli_grid_text(g, p->customer_months > 0 ? buf : "");
    snprintf(buf, sizeof buf, "%.2f - %.2f", 100.0 * p->monthly_churn_low,
             100.0 * p->monthly_churn_high);
    cli_grid_text(g, p->customer_months > 0 ? buf : "");
    snprintf(buf, sizeof buf, "%.1f%%", 100.0 * p->nrr);
    cli_grid_text(g, p->start_cents > 0 ? buf : "");
    cli_grid_real(g, p->arpu_cents / 100.0, 0);
    cli_grid_real(g, l.ltv_simple_cents / 100.0, 0);
    cli_grid_text(g, p->too_small ? "too small to conclude (n < 30)" : "");
  }
  if (rc == 0) {
    printf("\n== 5. metrics by plan and billing interval, last 12 months (segkit metrics "
           "--by plan,billing_interval)\n");
    if (!cli_grid_print(g, CLI_FORMAT_TABLE, stdout)) {
      rc = CLI_EXIT_ENV;
    }
    printf("(churn: customers lost per customer-month; NRR: MRR a year later of the customers "
           "there a year ago;\nLTV = ARPU / monthly churn; segkit metrics adds GRR, the "
           "survival-based LTV and --by tenure_stage)\n");
  }
  segkit_segment_findings *f = NULL;
  segkit_rate_options ro = {0};
  if (rc == 0 && segkit_mrr_findings_new(r, 0, &ro, &f, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    printf("\nwhich of them differ from the rest (segkit insights --by "
           "plan,billing_interval):\n");
    cli_insights_print_findings(r, f, &ro, 0.95, 1.0);
  }
  segkit_segment_findings_free(f);
  cli_grid_free(g);
  segkit_mrr_result_free(r);
  return rc;
}

static int mrr_step(segkit_workspace *ws, const segkit_sample_summary *summary) {
  segkit_table *t = NULL;
  segkit_error err;
  if (segkit_workspace_load(ws, "subscriptions", &t, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.rates = demo_rates;
  opt.n_rates = sizeof demo_rates / sizeof demo_rates[0];
  opt.to_month = segkit_month_of_day(summary->window_end);
  opt.from_month = opt.to_month - 5;
  segkit_mrr_result *r = NULL;
  int rc = 0;
  if (segkit_mrr_compute(t, &opt, &r, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else {
    size_t n_skipped = 0;
    segkit_mrr_skipped(r, &n_skipped);
    printf("\n== 4. MRR movements, last 6 months (USD; EUR x 1.08, GBP x 1.27; segkit mrr)\n");
    if (!cli_print_mrr_months(r, SEGKIT_MRR_ALL, CLI_FORMAT_TABLE)) {
      rc = CLI_EXIT_ENV;
    }
    printf("(%zu subscription row%s left out: a required value missing, or ending before it "
           "starts)\n",
           n_skipped, n_skipped == 1 ? "" : "s");
  }
  segkit_mrr_result_free(r);
  r = NULL;
  if (rc == 0) {
    rc = segment_step(t, &opt);
  }
  /* The whole window, with each customer's month-end series and the plan and billing
   * interval it started on, for step 6. */
  static const char *const by[] = {"plan", "billing_interval"};
  opt.from_month = segkit_month_of_day(summary->window_start);
  opt.keep_customer_mrr = true;
  opt.by = by;
  opt.n_by = 2;
  if (rc == 0 && segkit_mrr_compute(t, &opt, &r, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    rc = adoption_step(ws, t, r);
  }
  if (rc == 0) {
    rc = cli_demo_segments(ws, t, r, summary->window_end, demo_rates,
                           sizeof demo_rates / sizeof demo_rates[0], 0);
  }
  if (rc == 0) {
    rc = cli_demo_clusters(ws, 0);
  }
  if (rc == 0) {
    printf("\n== 9. how long will customers stay? shifted-beta-geometric retention by plan "
           "and billing interval, customers who started in the window (segkit clv fit "
           "--model sbg)\n");
    segkit_clv_fit_options fo;
    segkit_clv_fit_options_init(&fo);
    rc = cli_clv_sbg_segments(t, r, opt.columns.customer, &fo, false, CLI_FORMAT_TABLE);
  }
  segkit_mrr_result_free(r);
  segkit_table_free(t);
  return rc;
}

/* Step 11: the whole workspace as one HTML report, with the demo's exchange rates kept in
 * the workspace so the dashboard and later reports convert the same way. */
static int demo_report(const char *ws_path, const char *out, int32_t window_end) {
  char rates[256] = "";
  for (size_t i = 0; i < sizeof demo_rates / sizeof demo_rates[0]; i++) {
    size_t len = strlen(rates);
    snprintf(rates + len, sizeof rates - len, "%s%s=%g", i > 0 ? "," : "", demo_rates[i].currency,
             demo_rates[i].rate);
  }
  /* segments' now() is the day after the data, as the demo's own segment steps take it */
  char as_of[16];
  segkit_format_date(window_end + 1, as_of, sizeof as_of);
  segkit_view_param params[] = {{"rates", rates}, {"as_of", as_of}};
  segkit_error err;
  segkit_error_clear(&err);
  if (segkit_views_save_settings(ws_path, params, 2, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  /* the adopters of step 7's automators segment against the rest, as step 6 asked */
  static const char *const segments[] = {"automators"};
  int rc = cli_write_report(ws_path, NULL, 0, segments, 1, "segkit demo report", out);
  if (rc == 0) {
    printf("\n== 11. the report: %s (segkit report; one HTML file, opens without a network)\n",
           out);
  }
  return rc;
}

static int run_demo(cli_args *a) {
  segkit_sample_options gen;
  segkit_sample_options_init(&gen);
  gen.n_customers = 20000;
  gen.dirty = true;
  gen.n_threads = a->threads;
  int64_t seed = 42;
  if (!cli_get_int(a, "customers", 1, INT64_C(100000000), &gen.n_customers) ||
      !cli_get_int(a, "seed", 0, INT64_MAX, &seed)) {
    return CLI_EXIT_USAGE;
  }
  gen.seed = (uint64_t)seed;
  const char *dir = cli_get(a, "dir") != NULL ? cli_get(a, "dir") : "segkit-demo";
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);

  printf("== 1. sample data: %lld customers of a fictional B2B SaaS company (seed %lld)\n",
         (long long)gen.n_customers, (long long)seed);
  segkit_sample_summary summary;
  segkit_error err;
  if (segkit_sample_generate(dir, &gen, &summary, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  cli_print_sample_summary(dir, &summary, elapsed(&t0));

  char *ws_path = join(dir, "workspace.db");
  if (ws_path == NULL) {
    return CLI_EXIT_ENV;
  }
  printf("\n== 2. import into the workspace %s (validated; bad rows quarantined)\n", ws_path);
  segkit_workspace *ws = NULL;
  if (segkit_workspace_open(ws_path, SEGKIT_WORKSPACE_CREATE, &ws, &err) != SEGKIT_OK) {
    free(ws_path);
    return cli_report(&err);
  }
  static const char *const headers[] = {"dataset", "rows_read", "imported", "rejected",
                                        "columns", "seconds", "rejected_by_reason"};
  cli_grid *g = cli_grid_new(7, headers);
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < N_DEMO_IMPORTS; i++) {
    import_row row;
    memset(&row, 0, sizeof row);
    rc = import_one(ws, a, dir, i, &row);
    if (rc == 0 && g != NULL) {
      cli_grid_row(g);
      cli_grid_text(g, row.dataset);
      cli_grid_int(g, row.read);
      cli_grid_int(g, row.imported);
      cli_grid_int(g, row.rejected);
      cli_grid_int(g, (int64_t)row.n_cols);
      cli_grid_real(g, row.secs, 2);
      cli_grid_text(g, row.reasons);
    }
  }
  if (g != NULL) {
    cli_grid_row(g);
  }
  if (rc == 0 && !cli_grid_print(g, CLI_FORMAT_TABLE, stdout)) {
    rc = CLI_EXIT_ENV;
  }
  cli_grid_free(g);

  if (rc == 0) {
    printf("\n== 3. data quality (segkit describe NAME for the full profile)\n");
    for (size_t i = 0; rc == 0 && i < N_DEMO_IMPORTS; i++) {
      rc = quality_one(ws, i);
    }
  }
  if (rc == 0) {
    rc = mrr_step(ws, &summary);
  }
  if (rc == 0) {
    rc = cli_demo_market(ws, dir, a->threads);
  }
  segkit_workspace_close(ws);
  char *report_path = join(dir, "report.html");
  if (rc == 0 && report_path != NULL) {
    rc = demo_report(ws_path, report_path, summary.window_end);
  }
  if (rc == 0) {
    const char *me = cli_program_name();
    printf("\ndone in %.1f s. Try:\n", elapsed(&t0));
    printf("  %s datasets --workspace %s\n", me, ws_path);
    printf("  %s describe transactions --workspace %s\n", me, ws_path);
    printf("  %s quarantine transactions --workspace %s\n", me, ws_path);
    printf("  %s audit --workspace %s\n", me, ws_path);
    printf("  %s mrr --dataset subscriptions --rates USD=1,EUR=1.08,GBP=1.27 --by plan "
           "--workspace %s\n",
           me, ws_path);
    printf("  %s metrics --dataset subscriptions --rates USD=1,EUR=1.08,GBP=1.27 --by "
           "plan,tenure_stage --period quarter --workspace %s\n",
           me, ws_path);
    char as_of[16];
    segkit_format_date(summary.window_end + 1, as_of, sizeof as_of);
    printf("  %s segment members big-and-quiet --columns stage,mrr_cents,tenure_days "
           "--as-of %s --workspace %s\n",
           me, as_of, ws_path);
    printf("  %s segment overlap quiet-mature champions automators --as-of %s --workspace %s\n",
           me, as_of, ws_path);
    printf("  %s cluster show behaviour --workspace %s\n", me, ws_path);
    printf("  %s metrics --dataset subscriptions --rates USD=1,EUR=1.08,GBP=1.27 --customers "
           "behaviour --by cluster --workspace %s\n",
           me, ws_path);
    char from[16];
    cli_month_text(segkit_month_of_day(summary.window_start), from, sizeof from);
    printf("  %s clv fit --model sbg --dataset subscriptions --rates USD=1,EUR=1.08,GBP=1.27 "
           "--from %s --by plan --format json --workspace %s\n",
           me, from, ws_path);
    printf("  %s survey crosstab purchase_intent --by region --dataset prospects --workspace "
           "%s\n",
           me, ws_path);
    printf("  open %s in a browser: the report of all of it, offline (segkit report)\n",
           report_path);
  }
  free(report_path);
  free(ws_path);
  return rc;
}

const cli_verb cli_verb_demo = {
    .name = "demo",
    .summary = "generate sample data, import it into a workspace, show its data quality",
    .usage = "segkit demo [--customers N] [--seed S] [--dir DIR]",
    .description =
        "Runs the main job end to end on generated data: writes the sample SaaS data set\n"
        "(with a few deliberately bad rows), imports every file into DIR/workspace.db with\n"
        "validation (bad rows are quarantined, not lost), and prints the import summary and\n"
        "the data-quality findings, the last six months of MRR movements, churn, NRR and LTV\n"
        "by plan and billing interval, whether invoice-automation adopters churn less\n"
        "(churn per month, Kaplan-Meier, log-rank), segments by rules, behaviour clusters,\n"
        "retention projected per plan by the shifted-beta-geometric model, and market\n"
        "segments found in the prospect survey (checked against the planted ones), profiled,\n"
        "sized, with the golden questions that type a new respondent.\n"
        "Running it again replaces the datasets.",
    .opts = demo_opts,
    .n_opts = sizeof demo_opts / sizeof demo_opts[0],
    .run = run_demo,
};
