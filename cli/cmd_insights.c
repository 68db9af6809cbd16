/* segkit insights: what is worth knowing about segments, in plain sentences, each with its
 * numbers, intervals, sizes and test. This first layer reads a customer snapshot (one row
 * per customer, a churned flag) and says which segments of each --by column churn more or
 * less than everyone else, with Benjamini-Hochberg over every comparison: a difference
 * that does not pass is not shown as a finding, and segments too small to trust are named
 * as such. The statistics are the insight module's (segkit_rate_findings_new). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segkit/insight.h"
#include "survey_cli.h"

enum { MAX_DIMS = 16 };

static const cli_opt insights_opts[] = {
    {"churned", CLI_OPT_VALUE, "COL=VALUE",
     "the data is a customer snapshot: a customer churned where COL equals VALUE (churned=true, "
     "Churn=Yes)"},
    {"profile", CLI_OPT_VALUE, "COL[,COL]",
     "a customer snapshot: the values of these columns over- or under-represented in each --by "
     "segment"},
    {"growth", CLI_OPT_VALUE, "all|NAME[,NAME]",
     "stored segments against their latest snapshot: members then and now, who entered and left"},
    {"since", CLI_OPT_VALUE, "YYYY-MM-DD",
     "--growth: compare with the latest snapshot taken on or before this day"},
    {"min-n", CLI_OPT_VALUE, "N",
     "segments with fewer customers are too small to trust (default 30)"},
    {"margin", CLI_OPT_VALUE, "X",
     "a subscription history: gross margin of the LTVs compared, 0..1 (default 1: revenue)"},
    {"alpha", CLI_OPT_VALUE, "A", "false-discovery rate of the findings (default 0.05)"},
    {"conf", CLI_OPT_VALUE, "LEVEL", "confidence level of the intervals (default 0.95)"},
};

/* "2.3x as often" / "3.9x less" */
static void how_much(const segkit_rate_finding *x, char *buf, size_t size) {
  if (!isfinite(x->ratio) || x->ratio <= 0) {
    snprintf(buf, size, "%s", x->rate > x->rate_rest ? "more" : "less");
  } else if (x->ratio >= 1) {
    snprintf(buf, size, "%.1fx as often", x->ratio);
  } else {
    snprintf(buf, size, "%.1fx less", 1.0 / x->ratio);
  }
}

/* Options of a subscription history that mean nothing for a snapshot. */
static const char *const k_history_only[] = {"from",    "to",        "rates",
                                             "segment", "customers", "margin"};

static int run_insights(cli_args *a) {
  const char *churned = cli_get(a, "churned");
  const char *by = cli_get(a, "by");
  segkit_rate_options o = {0};
  int64_t min_n = 30;
  double level = 0.95;
  if (!cli_get_int(a, "min-n", 1, INT64_C(1000000000), &min_n) ||
      !cli_get_level(a, "insights", &level)) {
    return CLI_EXIT_USAGE;
  }
  o.min_n = (uint64_t)min_n;
  o.level = level;
  if (!cli_get_fraction(a, "insights", "alpha", &o.alpha)) {
    return CLI_EXIT_USAGE;
  }
  const char *profile = cli_get(a, "profile");
  if (cli_get(a, "growth") != NULL) {
    if (churned != NULL || profile != NULL || by != NULL) {
      return cli_usage_error("insights", "--growth compares stored segments with their "
                                         "snapshots: give it without --churned, --profile, --by");
    }
    return cli_insights_growth(a);
  }
  if (cli_get(a, "since") != NULL) {
    return cli_usage_error("insights", "--since goes with --growth");
  }
  if (churned == NULL && profile == NULL) {
    double margin = 1.0;
    if (!cli_get_real(a, "insights", "margin", 0.0, 1.0, &margin)) {
      return CLI_EXIT_USAGE;
    }
    return cli_insights_history(a, &o, level, margin);
  }
  for (size_t i = 0; i < sizeof k_history_only / sizeof k_history_only[0]; i++) {
    if (cli_get(a, k_history_only[i]) != NULL) {
      return cli_usage_error("insights",
                             "--%s applies to a subscription history, not to a "
                             "snapshot with --churned",
                             k_history_only[i]);
    }
  }
  if (by == NULL) {
    return cli_usage_error("insights", "expected: insights (--dataset NAME | FILE) --churned "
                                       "COL=VALUE --by COL[,COL]");
  }
  if (churned != NULL && profile != NULL && a->format != CLI_FORMAT_TABLE) {
    return cli_usage_error("insights", "--churned and --profile make two reports: give one "
                                       "of them with --format %s",
                           a->format == CLI_FORMAT_JSON ? "json" : "csv");
  }
  if (churned == NULL) {
    segkit_table *pt = NULL;
    int prc = cli_load_table(a, "insights", &pt);
    if (prc == 0) {
      prc = cli_insights_profile(a, pt, by, profile, &o, NULL);
    }
    segkit_table_free(pt);
    return prc;
  }
  segkit_table *t = NULL;
  int rc = cli_load_table(a, "insights", &t);
  if (rc != 0) {
    return rc;
  }
  /* the event of every customer */
  char flag[256];
  int64_t flag_int = 0;
  const char *flag_str = NULL;
  if (!cli_event_spec("insights", "churned", t, churned, flag, sizeof flag, &flag_int,
                      &flag_str)) {
    segkit_table_free(t);
    return CLI_EXIT_USAGE;
  }
  long fi = segkit_table_column_index(t, flag);
  size_t n = segkit_table_n_rows(t);
  uint8_t *event = malloc(n + 1);
  if (fi < 0 || event == NULL) {
    free(event);
    segkit_table_free(t);
    return fi < 0 ? cli_usage_error("insights", "no column '%s'", flag) : CLI_EXIT_ENV;
  }
  const segkit_column *fc = segkit_table_column(t, (size_t)fi);
  size_t no_flag = 0;
  for (size_t i = 0; i < n; i++) {
    bool v = segkit_column_is_valid(fc, i);
    if (!v) {
      event[i] = 0;
      no_flag++;
    } else if (segkit_column_type(fc) == SEGKIT_TYPE_BOOL) {
      event[i] = segkit_column_bool(fc)[i] ? 1 : 0;
    } else if (segkit_column_type(fc) == SEGKIT_TYPE_INT64) {
      event[i] = segkit_column_int64(fc)[i] == flag_int;
    } else {
      char buf[64];
      const char *text = survey_answer_text(fc, i, buf, sizeof buf);
      event[i] = text != NULL && flag_str != NULL && strcmp(text, flag_str) == 0;
    }
  }
  /* the segmentations */
  char buf[4096];
  const char *cols[MAX_DIMS];
  size_t n_cols = 0;
  snprintf(buf, sizeof buf, "%s", by);
  if (strlen(by) >= sizeof buf || !cli_split_list(buf, cols, MAX_DIMS, &n_cols)) {
    rc = cli_usage_error("insights", "--by needs a comma-separated list of columns");
  }
  survey_question q[MAX_DIMS];
  memset(q, 0, sizeof q);
  segkit_rate_dimension dims[MAX_DIMS];
  for (size_t d = 0; rc == 0 && d < n_cols; d++) {
    rc = survey_question_from_column(t, cols[d], "insights", NULL, &q[d]);
    if (rc == 0) {
      /* a customer without the flag is left out of every comparison */
      for (size_t i = 0; i < n; i++) {
        if (!segkit_column_is_valid(fc, i)) {
          q[d].codes[i] = -1;
        }
      }
      dims[d] = (segkit_rate_dimension){.name = q[d].name, .codes = q[d].codes,
                                        .n_levels = q[d].n_levels,
                                        .level_labels = (const char *const *)q[d].labels};
    }
  }
  segkit_rate_findings *f = NULL;
  segkit_error err;
  if (rc == 0 && segkit_rate_findings_new(n, event, dims, n_cols, &o, &f, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0 && a->format == CLI_FORMAT_JSON) {
    json_t *list = json_array();
    for (size_t i = 0; i < segkit_rate_findings_n(f); i++) {
      const segkit_rate_finding *x = segkit_rate_findings_at(f, i);
      json_t *o1 = json_pack(
          "{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, "
          "s:b}",
          "column", q[x->dimension].name, "segment", q[x->dimension].labels[x->level], "customers",
          (json_int_t)x->n, "churned", (json_int_t)x->events, "churn_rate",
          cli_json_number(x->rate), "ci_low", cli_json_number(x->lower), "ci_high",
          cli_json_number(x->upper), "rest_customers", (json_int_t)x->n_rest, "rest_churned",
          (json_int_t)x->events_rest, "rest_churn_rate", cli_json_number(x->rate_rest),
          "rest_ci_low", cli_json_number(x->lower_rest), "rest_ci_high",
          cli_json_number(x->upper_rest), "ratio", cli_json_number(x->ratio), "z",
          cli_json_number(x->z), "p", cli_json_number(x->p), "p_adjusted",
          cli_json_number(x->p_adjusted), "finding", x->significant, "too_small", x->too_small);
      json_array_append_new(list, o1);
    }
    json_t *root = json_pack("{s:s, s:I, s:I, s:s, s:f, s:f, s:I, s:o}", "event", churned,
                             "customers", (json_int_t)(n - no_flag), "tests",
                             (json_int_t)segkit_rate_findings_n_tests(f), "correction",
                             "benjamini-hochberg", "alpha", o.alpha > 0 ? o.alpha : 0.05,
                             "confidence", level, "min_n", (json_int_t)o.min_n, "segments",
                             list);
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
  } else if (rc == 0) {
    size_t shown = 0, small = 0, tested = 0;
    printf("findings on %s among %zu customers (%zu comparisons of a segment with the rest, "
           "Benjamini-Hochberg at %g; %.0f%% Wilson intervals):\n",
           churned, n - no_flag, segkit_rate_findings_n_tests(f), o.alpha > 0 ? o.alpha : 0.05,
           100 * level);
    for (size_t i = 0; i < segkit_rate_findings_n(f); i++) {
      const segkit_rate_finding *x = segkit_rate_findings_at(f, i);
      tested += !x->too_small;
      small += x->too_small;
      if (!x->significant) {
        continue;
      }
      char much[64];
      how_much(x, much, sizeof much);
      printf("- customers with %s = %s churn %s: %.1f%% (%.1f-%.1f%%) vs %.1f%% (%.1f-%.1f%%), "
             "n = %llu vs %llu (z-test, adjusted p %s)\n",
             q[x->dimension].name, q[x->dimension].labels[x->level], much, 100 * x->rate,
             100 * x->lower, 100 * x->upper, 100 * x->rate_rest, 100 * x->lower_rest,
             100 * x->upper_rest, (unsigned long long)x->n, (unsigned long long)x->n_rest,
             cli_p_text(x->p_adjusted, (char[32]){0}));
      shown++;
    }
    if (shown == 0) {
      printf("- no segment's churn differs from the rest's by more than chance allows\n");
    } else if (tested > shown) {
      printf("- the other %zu segment%s differ%s by no more than chance allows\n",
             tested - shown, tested - shown == 1 ? "" : "s", tested - shown == 1 ? "s" : "");
    }
    if (small > 0) {
      printf("too small to trust (fewer than %llu customers on a side):",
             (unsigned long long)o.min_n);
      size_t k = 0;
      for (size_t i = 0; i < segkit_rate_findings_n(f); i++) {
        const segkit_rate_finding *x = segkit_rate_findings_at(f, i);
        if (x->too_small) {
          printf("%s %s = %s (n = %llu)", k++ > 0 ? "," : "", q[x->dimension].name,
                 q[x->dimension].labels[x->level], (unsigned long long)x->n);
        }
      }
      printf("\n");
    }
    if (no_flag > 0) {
      printf("left out: %zu customers without a value in %s\n", no_flag, flag);
    }
    if (shown > 0) {
      const char *ds = cli_get(a, "dataset");
      printf("each finding's numbers: segkit metrics %s%s --churned %s --by COL gives the "
             "segment's row; the rest is the column's other rows added up\n",
             ds != NULL ? "--dataset " : "", ds != NULL ? ds : a->positional[0], churned);
    }
  }
  if (rc == 0 && profile != NULL) {
    printf("\n");
    rc = cli_insights_profile(a, t, by, profile, &o, NULL);
  }
  segkit_rate_findings_free(f);
  for (size_t d = 0; d < n_cols; d++) {
    survey_question_free(&q[d]);
  }
  free(event);
  segkit_table_free(t);
  return rc;
}

const cli_verb cli_verb_insights = {
    .name = "insights",
    .summary =
        "what is worth knowing: segments whose churn, LTV or NRR differ, with intervals and tests",
    .usage = "segkit insights (--dataset NAME | FILE) [--churned COL=VALUE] [--profile COL[,COL]] "
             "--by COL[,COL] | segkit insights --growth all|NAME[,NAME] [--since DATE]",
    .description =
        "Compares every segment of every --by column with the rest of the customers on the\n"
        "churned share (a customer snapshot: one row per customer), with Wilson intervals\n"
        "and the two-proportion z-test, Benjamini-Hochberg over all the comparisons: only\n"
        "differences that pass are told, in plain sentences with their numbers; segments\n"
        "under --min-n customers are named as too small to trust. JSON: {\"segments\":\n"
        "[{\"column\", \"segment\", \"customers\", \"churn_rate\", \"ci_low\", \"ci_high\",\n"
        "\"rest_churn_rate\", \"ratio\", \"p\", \"p_adjusted\", \"finding\", \"too_small\"}]}.\n"
        "Without --churned the data is a subscription history (as segkit metrics reads it):\n"
        "every --by value and --segment is compared with the rest on churn per month\n"
        "(churns over customer-months, Wilson, z-test), on LTV = ARPU x --margin / churn\n"
        "(delta method on log LTV with customers as clusters and the covariance of customers\n"
        "on both sides, Wald test) and on NRR over --from..--to (ratio estimator with its\n"
        "delta-method standard error, Wald test), all corrected together. JSON:\n"
        "{\"findings\": [{\"measure\": \"monthly_churn\"|\"ltv\"|\"nrr\", \"column\", "
        "\"segment\",\n"
        "\"value\", \"ci_low\", \"ci_high\", \"rest_value\", ..., \"p_adjusted\", \"finding\"}]}\n"
        "(LTV in money; its log_se, rest_log_se, log_cov, gross_margin).\n"
        "--profile COL[,COL] (a snapshot): every value of those columns in every --by segment\n"
        "against the rest, with index (share / everyone's share x 100), z-test and\n"
        "Benjamini-Hochberg per --by column; the most distinctive that pass are told. JSON:\n"
        "{\"cells\": [{\"column\", \"segment\", \"attribute\", \"value\", \"segment_pct\",\n"
        "\"rest_pct\", \"index\", \"p\", \"p_adjusted\", \"finding\", \"small_base\"}]}.\n"
        "--growth: every stored segment (or those named) evaluated now against its latest\n"
        "snapshot (on or before --since): members then and now, entered, left, share of the\n"
        "customers; largest relative change first. No test: members are counted, not\n"
        "sampled. JSON: {\"segments\": [{\"segment\", \"snapshot\", \"members_then\",\n"
        "\"members_now\", \"entered\", \"left\", \"change_pct\"}]}.",
    .opts = insights_opts,
    .n_opts = sizeof insights_opts / sizeof insights_opts[0],
    .more_opts = cli_subscription_opts,
    .n_more_opts = CLI_N_SUBSCRIPTION_OPTS,
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_insights,
};
