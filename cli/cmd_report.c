/* segkit report --out report.html: one self-contained HTML file (charts, tables, styles and
 * data inline; no network needed to open it) with every view of the workspace — overview,
 * segments, MRR movements, cohorts, survival, RFM, clusters, customer value, survey
 * segments, insights — and, with --segment, sections comparing segments with the rest.
 * All of it is the report module's (include/segkit/report.h); this file maps flags to
 * options and writes the file atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const cli_opt report_opts[] = {
    {"out", CLI_OPT_VALUE, "FILE", "where the HTML goes (required unless --view or --list)"},
    {"view", CLI_OPT_VALUE, "NAME",
     "print one view's JSON instead (overview, segments, mrr_movements, cohorts, survival, rfm, "
     "clusters, clv, survey, insights)"},
    {"list", CLI_OPT_FLAG, NULL, "print the views and whether each has its data, as JSON"},
    {"option", CLI_OPT_MULTI, "NAME=VALUE",
     "a view option (by, metric, model, sample, to, ...: docs/report.md; repeatable)"},
    {"subscriptions", CLI_OPT_VALUE, "NAME",
     "the subscription history (default: detected, docs/report.md)"},
    {"customers", CLI_OPT_VALUE, "NAME",
     "the customers dataset (default: the dataset named customers)"},
    {"transactions", CLI_OPT_VALUE, "NAME", "the transactions log (default: detected)"},
    {"survey", CLI_OPT_VALUE, "NAME", "the survey (default: a dataset with a codebook)"},
    {"rates", CLI_OPT_VALUE, "RATES",
     "currency rates to the reporting currency: USD=1,EUR=1.08 or a CSV file currency,rate"},
    {"months", CLI_OPT_VALUE, "N",
     "months the overview, movements and segments cover (default 12)"},
    {"segment", CLI_OPT_MULTI, "NAME",
     "also compare this stored segment with the rest (repeatable)"},
    {"title", CLI_OPT_VALUE, "TEXT", "the report's title (default \"segkit report\")"},
    {"save-settings", CLI_OPT_FLAG, NULL,
     "keep the dataset names and rates in the workspace for later reports and the dashboard"},
};

int cli_write_report(const char *workspace, const segkit_view_param *params, size_t n_params,
                     const char *const *segments, size_t n_segments, const char *title,
                     const char *out) {
  segkit_views *v = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  if (segkit_views_open(workspace, params, n_params, &v, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  segkit_report_options ro = {.title = title, .segments = segments, .n_segments = n_segments};
  char *html = NULL;
  size_t len = 0;
  segkit_status st = segkit_report_html(v, &ro, &html, &len, &err);
  segkit_views_close(v);
  if (st != SEGKIT_OK) {
    return cli_report(&err);
  }
  /* beside the destination, then renamed: a reader never sees half a report */
  size_t n = strlen(out) + 16;
  char *tmp = malloc(n);
  if (tmp == NULL) {
    free(html);
    return CLI_EXIT_ENV;
  }
  snprintf(tmp, n, "%s.tmp%ld", out, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  bool ok = f != NULL && fwrite(html, 1, len, f) == len;
  ok = f != NULL && fclose(f) == 0 && ok;
  if (ok && rename(tmp, out) != 0) {
    ok = false;
  }
  if (!ok) {
    fprintf(stderr, "segkit report: %s: cannot write the report\n", out);
    remove(tmp);
  }
  free(tmp);
  free(html);
  return ok ? 0 : CLI_EXIT_ENV;
}

/* --view NAME / --list: one view's JSON (or the list) on stdout, for programs and tests. */
static int print_view(cli_args *a, const segkit_view_param *params, size_t n) {
  segkit_views *v = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  if (segkit_views_open(cli_workspace_path(a), NULL, 0, &v, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  char *text = NULL;
  segkit_status st = cli_get(a, "view") != NULL
                         ? segkit_view(v, cli_get(a, "view"), params, n, &text, &err)
                         : segkit_views_list(v, &text, &err);
  segkit_views_close(v);
  if (st != SEGKIT_OK) {
    return cli_report(&err);
  }
  json_t *j = json_loads(text, 0, NULL);
  free(text);
  json_dumpf(j, stdout, CLI_JSON_FLAGS);
  printf("\n");
  json_decref(j);
  return 0;
}

static int run_report(cli_args *a) {
  const char *out = cli_get(a, "out");
  bool printing = cli_get(a, "view") != NULL || cli_has(a, "list");
  if (out == NULL && !printing) {
    return cli_usage_error("report", "--out FILE is required (e.g. --out report.html)");
  }
  segkit_view_param params[8 + CLI_MAX_VALUES];
  size_t n = 0;
  static const char *const passed[] = {"subscriptions", "customers", "transactions", "survey",
                                       "months"};
  for (size_t i = 0; i < sizeof passed / sizeof passed[0]; i++) {
    if (cli_get(a, passed[i]) != NULL) {
      params[n++] = (segkit_view_param){passed[i], cli_get(a, passed[i])};
    }
  }
  /* --rates as the CLI takes it everywhere (a list or a file), handed on as a list */
  char rates_text[CLI_MAX_RATES * 48] = "";
  const char *rates = cli_get(a, "rates");
  if (rates != NULL) {
    segkit_mrr_rate r[CLI_MAX_RATES];
    char names[CLI_MAX_RATES][16];
    size_t nr = 0;
    if (!cli_parse_rates(rates, r, names, &nr)) {
      return cli_usage_error("report",
                             "--rates needs CUR=RATE,... or a CSV file of "
                             "currency,rate (rates > 0), not '%s'",
                             rates);
    }
    for (size_t i = 0; i < nr; i++) {
      size_t len = strlen(rates_text);
      snprintf(rates_text + len, sizeof rates_text - len, "%s%s=%.17g", i > 0 ? "," : "",
               r[i].currency, r[i].rate);
    }
    params[n++] = (segkit_view_param){"rates", rates_text};
  }
  const char *const *options = NULL;
  size_t n_options = cli_get_multi(a, "option", &options);
  char option_buf[CLI_MAX_VALUES][256];
  for (size_t i = 0; i < n_options; i++) {
    const char *eq = strchr(options[i], '=');
    if (eq == NULL || eq == options[i] || strlen(options[i]) >= sizeof option_buf[0]) {
      return cli_usage_error("report", "--option needs NAME=VALUE, not '%s'", options[i]);
    }
    snprintf(option_buf[i], sizeof option_buf[i], "%s", options[i]);
    option_buf[i][eq - options[i]] = '\0';
    params[n++] = (segkit_view_param){option_buf[i], option_buf[i] + (eq - options[i]) + 1};
  }
  const char *const *segs = NULL;
  if (printing && cli_get_multi(a, "segment", &segs) > 0) {
    params[n++] = (segkit_view_param){"segment", segs[0]};
  }
  if (printing) {
    return print_view(a, params, n);
  }
  if (cli_has(a, "save-settings")) {
    segkit_error err;
    segkit_error_clear(&err);
    if (segkit_views_save_settings(cli_workspace_path(a), params, n, &err) != SEGKIT_OK) {
      return cli_report(&err);
    }
  }
  const char *const *segments = NULL;
  size_t n_segments = cli_get_multi(a, "segment", &segments);
  int rc = cli_write_report(cli_workspace_path(a), params, n, segments, n_segments,
                            cli_get(a, "title"), out);
  if (rc == 0 && !a->quiet) {
    printf("wrote %s: open it in a browser (it needs no network)\n", out);
  }
  return rc;
}

const cli_verb cli_verb_report = {
    .name = "report",
    .summary = "one self-contained HTML report: overview, segments, cohorts, survival, RFM, "
               "clusters, value, survey, insights",
    .usage = "segkit report --out FILE [--workspace PATH] [--rates R] [--segment NAME ...]",
    .description =
        "Writes one HTML file with everything inline (charts by Apache ECharts, the numbers as\n"
        "tables beside them, styles, data): it opens offline and prints. Sections: overview\n"
        "(customers, MRR, monthly churn with its 95% interval, NRR), stored segments, MRR\n"
        "movements, cohort retention heatmap, survival curves with bands, the RFM grid, the\n"
        "cluster map, the distribution of customer value, survey segments and the bridge to\n"
        "customers, and the insights; a section whose data is missing says so and which command\n"
        "makes it. Datasets are found by their columns (docs/report.md) unless named. Each\n"
        "--segment adds the segment against the rest of the customers: MRR, churn, movements,\n"
        "cohorts and survival.",
    .opts = report_opts,
    .n_opts = sizeof report_opts / sizeof report_opts[0],
    .run = run_report,
};
