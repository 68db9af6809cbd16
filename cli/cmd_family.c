/* segkit family: the predefined segment families as per-customer tables — RFM from a
 * transactions log, engagement from an events log (docs/segments.md) — printed as counts per
 * label (or every customer's row with --rows) and, with --as NAME, stored as a dataset that
 * segment rules can use once linked (exists(rfm where segment == "Champions")). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt family_opts[] = {
    {"dataset", CLI_OPT_VALUE, "NAME", "the transactions (rfm) or events (engagement) dataset (or give a FILE instead)"},
    {"as-of", CLI_OPT_VALUE, "DATE", "the day the scores are as of, YYYY-MM-DD (required)"},
    {"as", CLI_OPT_VALUE, "NAME", "store the per-customer table as this dataset (replacing it)"},
    {"rows", CLI_OPT_FLAG, NULL, "print every customer's row instead of the counts"},
    {"since", CLI_OPT_VALUE, "DATE", "rfm: first day counted (default: all history)"},
    {"customer-col", CLI_OPT_VALUE, "COL", "customer id column (default customer_id)"},
    {"date-col", CLI_OPT_VALUE, "COL", "rfm: date or timestamp column (default timestamp); engagement: timestamp column"},
    {"amount-col", CLI_OPT_VALUE, "COL", "rfm: amount column, major units (default amount)"},
    {"kind-col", CLI_OPT_VALUE, "COL", "rfm: charge/refund column (default kind; 'none' = the sign decides)"},
    {"currency-col", CLI_OPT_VALUE, "COL", "rfm: currency column (default: none; needs --rates)"},
    {"rates", CLI_OPT_VALUE, "RATES", "rfm: currency rates to the reporting currency: USD=1,EUR=1.08"},
    {"window-days", CLI_OPT_VALUE, "N", "engagement: days of events counted (default 30)"},
    {"active-days", CLI_OPT_VALUE, "N", "engagement: active if the last event is at most this many days old (default 7)"},
    {"active-min-events", CLI_OPT_VALUE, "N", "engagement: and at least this many events in the window (default 2)"},
    {"dormant-days", CLI_OPT_VALUE, "N", "engagement: dormant after this many days without events (default 30)"},
};

static int day_arg(const char *flag, const char *s, int32_t *day) {
  if (s == NULL || !segkit_parse_date(s, strlen(s), day)) {
    return cli_usage_error("family", "--%s must be a date YYYY-MM-DD, not '%s'", flag,
                           s != NULL ? s : "");
  }
  return 0;
}

static int store(cli_args *a, const char *name, const segkit_table *t) {
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE, .table = t,
                               .source = "segkit family"};
  segkit_import_outcome oc;
  segkit_error err;
  if (segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_workspace_close(ws);
  return rc;
}

/* Counts per label of a table's `label` column, in first-seen order of the given names. */
static int print_counts(cli_args *a, const char *family, const char *const *names,
                        const size_t *counts, size_t n, size_t total, const char *stored,
                        json_t *extra, const char *note) {
  if (a->format == CLI_FORMAT_JSON) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
      json_array_append_new(arr, json_pack("{s:s, s:I}", "label", names[i], "customers",
                                           (json_int_t)counts[i]));
    }
    json_t *o = json_pack("{s:s, s:I, s:o}", "family", family, "customers", (json_int_t)total,
                          "labels", arr);
    json_object_set_new(o, "dataset", stored != NULL ? json_string(stored) : json_null());
    if (extra != NULL) {
      json_object_update(o, extra);
    }
    json_dumpf(o, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(o);
    return 0;
  }
  static const char *const headers[] = {"label", "customers", "share_pct"};
  cli_grid *g = cli_grid_new(3, headers);
  for (size_t i = 0; g != NULL && i < n; i++) {
    cli_grid_row(g);
    cli_grid_text(g, names[i]);
    cli_grid_int(g, (int64_t)counts[i]);
    cli_grid_real(g, total > 0 ? 100.0 * (double)counts[i] / (double)total : 0.0, 1);
  }
  int rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  if (rc == 0 && note != NULL && a->format == CLI_FORMAT_TABLE) {
    printf("\n%s\n", note);
  }
  if (rc == 0 && stored != NULL && a->format == CLI_FORMAT_TABLE) {
    printf("\nstored as dataset '%s' (link it to use it in rules: segkit link %s.<customer "
           "column> customers.<key>)\n",
           stored, stored);
  }
  return rc;
}

static int print_rows(cli_args *a, const segkit_table *t) {
  const char *headers[32];
  size_t nc = segkit_table_n_cols(t) < 32 ? segkit_table_n_cols(t) : 32;
  for (size_t k = 0; k < nc; k++) {
    headers[k] = segkit_column_name(segkit_table_column(t, k));
  }
  cli_grid *g = cli_grid_new(nc, headers);
  for (size_t r = 0; g != NULL && r < segkit_table_n_rows(t); r++) {
    cli_grid_row(g);
    for (size_t k = 0; k < nc; k++) {
      cli_grid_value(g, segkit_table_column(t, k), r);
    }
  }
  int rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  return rc;
}

int cli_family_finish(cli_args *a, const char *family, const segkit_table *t,
                      const char *const *names, const size_t *counts, size_t n, json_t *extra,
                      const char *note) {
  const char *as = cli_get(a, "as");
  int rc = as != NULL ? store(a, as, t) : 0;
  if (rc == 0) {
    rc = cli_has(a, "rows") ? print_rows(a, t)
                            : print_counts(a, family, names, counts, n, segkit_table_n_rows(t),
                                           as, extra, note);
  }
  json_decref(extra);
  return rc;
}

static int run_rfm(cli_args *a, const segkit_table *tx) {
  segkit_rfm_options opt;
  segkit_rfm_options_init(&opt);
  opt.n_threads = a->threads;
  int rc = day_arg("as-of", cli_get(a, "as-of"), &opt.as_of);
  if (rc == 0 && cli_get(a, "since") != NULL) {
    rc = day_arg("since", cli_get(a, "since"), &opt.since);
  }
  if (rc != 0) {
    return rc;
  }
  segkit_rfm_columns *c = &opt.columns;
  c->customer = cli_mapped(a, "customer-col", c->customer);
  c->date = cli_mapped(a, "date-col", c->date);
  c->amount = cli_mapped(a, "amount-col", c->amount);
  c->kind = cli_mapped(a, "kind-col", c->kind);
  c->currency = cli_mapped(a, "currency-col", c->currency);
  segkit_mrr_rate rates[CLI_MAX_RATES];
  char names[CLI_MAX_RATES][16];
  if (cli_get(a, "rates") != NULL) {
    size_t n = 0;
    if (!cli_parse_rates(cli_get(a, "rates"), rates, names, &n)) {
      return cli_usage_error("family", "--rates needs CUR=RATE,..., not '%s'", cli_get(a, "rates"));
    }
    opt.rates = rates;
    opt.n_rates = n;
  }
  segkit_rfm_result *r = NULL;
  segkit_table *t = NULL;
  segkit_error err;
  if (segkit_rfm_compute(tx, &opt, &r, &err) != SEGKIT_OK ||
      segkit_rfm_table(r, tx, &t, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    size_t ns = segkit_rfm_n_segments(r);
    const char *labels[80];
    size_t counts[80];
    size_t k = 0;
    for (size_t i = 0; i < ns && k < 80; i++) {
      labels[k] = segkit_rfm_segment_name(r, i);
      counts[k++] = segkit_rfm_segment_count(r, i);
    }
    rc = cli_family_finish(a, "rfm", t, labels, counts, k, NULL, NULL);
  }
  segkit_table_free(t);
  segkit_rfm_result_free(r);
  return rc;
}

static int run_engagement(cli_args *a, const segkit_table *events) {
  segkit_engagement_options opt;
  segkit_engagement_options_init(&opt);
  opt.n_threads = a->threads;
  int rc = day_arg("as-of", cli_get(a, "as-of"), &opt.as_of);
  if (rc != 0) {
    return rc;
  }
  opt.customer = cli_mapped(a, "customer-col", opt.customer);
  opt.timestamp = cli_mapped(a, "date-col", opt.timestamp);
  int64_t v;
  struct {
    const char *flag;
    int32_t *out;
  } ints[] = {{"window-days", &opt.window_days}, {"active-days", &opt.active_days},
              {"dormant-days", &opt.dormant_days}};
  for (size_t i = 0; i < 3; i++) {
    v = *ints[i].out;
    if (!cli_get_int(a, ints[i].flag, 1, 36500, &v)) {
      return CLI_EXIT_USAGE;
    }
    *ints[i].out = (int32_t)v;
  }
  if (!cli_get_int(a, "active-min-events", 1, INT64_MAX, &opt.active_min_events)) {
    return CLI_EXIT_USAGE;
  }
  segkit_table *t = NULL;
  size_t counts[SEGKIT_ENGAGEMENT_COUNT] = {0};
  segkit_error err;
  if (segkit_engagement_compute(events, &opt, &t, counts, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  const char *labels[SEGKIT_ENGAGEMENT_COUNT];
  for (int s = 0; s < SEGKIT_ENGAGEMENT_COUNT; s++) {
    labels[s] = segkit_engagement_state_name((segkit_engagement_state)s);
  }
  rc = cli_family_finish(a, "engagement", t, labels, counts, SEGKIT_ENGAGEMENT_COUNT, NULL,
                         NULL);
  segkit_table_free(t);
  return rc;
}

static int run_family(cli_args *a) {
  if (a->n_positional < 1 || a->n_positional > 2) {
    return cli_usage_error("family", "expected a family (rfm or engagement) and --dataset NAME or "
                                     "a FILE");
  }
  const char *family = a->positional[0];
  bool rfm = strcmp(family, "rfm") == 0;
  if (!rfm && strcmp(family, "engagement") != 0) {
    return cli_usage_error("family", "unknown family '%s' (expected rfm or engagement; "
                                     "lifecycle and value tiers have verbs of their own: segkit lifecycle, segkit tiers)",
                           family);
  }
  if (cli_get(a, "as-of") == NULL) {
    return cli_usage_error("family", "--as-of YYYY-MM-DD is required (scores are as of a day)");
  }
  const char *dataset = cli_get(a, "dataset");
  if ((dataset == NULL) == (a->n_positional != 2)) {
    return cli_usage_error("family", "give --dataset NAME or one FILE");
  }
  segkit_table *t = NULL;
  int rc = cli_load_named(a, "family", dataset, dataset == NULL ? a->positional[1] : NULL, &t);
  if (rc == 0) {
    rc = rfm ? run_rfm(a, t) : run_engagement(a, t);
  }
  segkit_table_free(t);
  return rc;
}

const cli_verb cli_verb_family = {
    .name = "family",
    .summary = "predefined segment families: RFM scores and segments, engagement states",
    .usage = "segkit family rfm|engagement (--dataset NAME | FILE) --as-of DATE [--as NAME] [--rows]",
    .description =
        "rfm: recency, frequency and monetary quintile scores 1-5 of a transactions log as of\n"
        "a day, and the named RFM segments (Champions, Loyal, ..., Lost); engagement: active,\n"
        "at-risk or dormant from an events log. Definitions and the segment rule table:\n"
        "docs/segments.md. Prints the customers per label (--rows: every customer's row);\n"
        "--as NAME stores the per-customer table as a dataset, which rules can use once linked:\n"
        "  segkit link rfm.customer_id customers.customer_id\n"
        "  segkit segment add champions 'exists(rfm where segment == \"Champions\")' ...\n"
        "JSON: {\"family\", \"customers\", \"labels\": [{\"label\", \"customers\"}], \"dataset\"}.",
    .opts = family_opts,
    .n_opts = sizeof family_opts / sizeof family_opts[0],
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_family,
};
