/* segkit insights on a subscription history: which segments churn more or less per month,
 * are worth more or less (LTV = ARPU x margin / churn), and keep more or less of their MRR
 * (NRR), than the rest of the customers over the --from..--to window, every comparison corrected
 * together (Benjamini-Hochberg). The MRR engine runs once with every --by column (and --segment) as
 * a split; the statistics are the insight module's segkit_mrr_findings_new. This file words them.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segkit/insight.h"

/* Money in whole units with thousands separators ("4,310"); a lifetime value to the cent
 * would claim a precision its interval does not have. */
static void money_text(double units, char *buf, size_t size) {
  if (!isfinite(units) || units < 0 || units >= 1e18) {
    snprintf(buf, size, "%s", isinf(units) ? "unbounded" : "-");
    return;
  }
  cli_thousands((int64_t)llround(units), buf, size);
}

static void ltv_sentence(const segkit_segment_finding *f, double margin, const char *n1,
                         const char *n2) {
  const segkit_comparison *c = &f->c;
  char v[6][32];
  const double x[6] = {c->value, c->lower, c->upper, c->value_rest, c->lower_rest, c->upper_rest};
  for (int i = 0; i < 6; i++) {
    money_text(margin * x[i] / 100.0, v[i], sizeof v[i]);
  }
  char much[48];
  if (c->ratio >= 1) {
    snprintf(much, sizeof much, "%.1fx as much", c->ratio);
  } else {
    snprintf(much, sizeof much, "%.1fx less", 1.0 / c->ratio);
  }
  printf("- customers with %s = %s are worth %s: LTV %s (%s-%s) vs %s (%s-%s) at gross margin "
         "%g%% (ARPU / monthly churn), n = %s vs %s customers (Wald test on log LTV, adjusted p "
         "%s)\n",
         f->column, f->segment, much, v[0], v[1], v[2], v[3], v[4], v[5], 100 * margin, n1, n2,
         cli_p_text(c->p_adjusted, (char[32]){0}));
}

static void sentence(const segkit_segment_finding *f, const char *window, double margin) {
  const segkit_comparison *c = &f->c;
  const char *col = f->column;
  char n1[32], n2[32];
  cli_thousands((int64_t)c->n, n1, sizeof n1);
  cli_thousands((int64_t)c->n_rest, n2, sizeof n2);
  if (strcmp(f->measure, "monthly_churn") == 0) {
    char much[48];
    if (!isfinite(c->ratio) || c->ratio <= 0) {
      snprintf(much, sizeof much, "%s", c->value > c->value_rest ? "more" : "less");
    } else if (c->ratio >= 1) {
      snprintf(much, sizeof much, "%.1fx as often", c->ratio);
    } else {
      snprintf(much, sizeof much, "%.1fx less", 1.0 / c->ratio);
    }
    char t1[32], t2[32];
    cli_thousands((int64_t)c->trials, t1, sizeof t1);
    cli_thousands((int64_t)c->trials_rest, t2, sizeof t2);
    printf("- customers with %s = %s churn %s: %.2f%% (%.2f-%.2f%%) vs %.2f%% (%.2f-%.2f%%) a "
           "month, n = %s vs %s customers (z-test on %s vs %s customer-months, adjusted p "
           "%s)\n",
           col, f->segment, much, 100 * c->value, 100 * c->lower, 100 * c->upper,
           100 * c->value_rest, 100 * c->lower_rest, 100 * c->upper_rest, n1, n2, t1, t2,
           cli_p_text(c->p_adjusted, (char[32]){0}));
  } else if (strcmp(f->measure, "ltv") == 0) {
    ltv_sentence(f, margin, n1, n2);
  } else {
    printf("- customers with %s = %s keep %s of their MRR: NRR %.1f%% (%.1f-%.1f%%) vs %.1f%% "
           "(%.1f-%.1f%%) over %s, n = %s vs %s customers at the start (Wald test, adjusted p "
           "%s)\n",
           col, f->segment, c->value > c->value_rest ? "more" : "less", 100 * c->value,
           100 * c->lower, 100 * c->upper, 100 * c->value_rest, 100 * c->lower_rest,
           100 * c->upper_rest, window, n1, n2, cli_p_text(c->p_adjusted, (char[32]){0}));
  }
}

static json_t *finding_json(const segkit_segment_finding *f, double margin) {
  const segkit_comparison *c = &f->c;
  /* LTV in money (major units, at the margin); the rates as fractions */
  bool ltv = strcmp(f->measure, "ltv") == 0;
  double k = ltv ? margin / 100.0 : 1.0;
  json_t *o = json_object();
  json_object_set_new(o, "measure", json_string(f->measure));
  json_object_set_new(o, "column", json_string(f->column));
  json_object_set_new(o, "segment", json_string(f->segment));
  json_object_set_new(o, "customers", json_integer((json_int_t)c->n));
  json_object_set_new(o, "rest_customers", json_integer((json_int_t)c->n_rest));
  if (c->kind == SEGKIT_COMPARE_PROPORTION) {
    json_object_set_new(o, "churned", json_integer((json_int_t)c->events));
    json_object_set_new(o, "customer_months", json_integer((json_int_t)c->trials));
    json_object_set_new(o, "rest_churned", json_integer((json_int_t)c->events_rest));
    json_object_set_new(o, "rest_customer_months", json_integer((json_int_t)c->trials_rest));
  } else if (ltv) {
    json_object_set_new(o, "gross_margin", json_real(margin));
    json_object_set_new(o, "log_se", cli_json_number(c->se));
    json_object_set_new(o, "rest_log_se", cli_json_number(c->se_rest));
    json_object_set_new(o, "log_cov", cli_json_number(c->cov));
  } else {
    json_object_set_new(o, "se", cli_json_number(c->se));
    json_object_set_new(o, "rest_se", cli_json_number(c->se_rest));
  }
  json_object_set_new(o, "value", cli_json_number(k * c->value));
  json_object_set_new(o, "ci_low", cli_json_number(k * c->lower));
  json_object_set_new(o, "ci_high", cli_json_number(k * c->upper));
  json_object_set_new(o, "rest_value", cli_json_number(k * c->value_rest));
  json_object_set_new(o, "rest_ci_low", cli_json_number(k * c->lower_rest));
  json_object_set_new(o, "rest_ci_high", cli_json_number(k * c->upper_rest));
  json_object_set_new(o, "ratio", cli_json_number(c->ratio));
  json_object_set_new(o, "z", cli_json_number(c->z));
  json_object_set_new(o, "p", cli_json_number(c->p));
  json_object_set_new(o, "p_adjusted", cli_json_number(c->p_adjusted));
  json_object_set_new(o, "finding", json_boolean(c->significant));
  json_object_set_new(o, "too_small", json_boolean(c->too_small));
  return o;
}

/* The result's one period as "YYYY-MM" twice and "YYYY-MM..YYYY-MM". */
static void window_text(const segkit_mrr_result *r, char from[16], char to[16], char window[40]) {
  const segkit_mrr_period *all = segkit_mrr_periods(r, SEGKIT_MRR_ALL);
  cli_month_text(all[0].first_month, from, 16);
  cli_month_text(all[0].last_month, to, 16);
  snprintf(window, 40, "%s..%s", from, to);
}

/* The segkit metrics command whose rows give a finding's numbers: the segment's row, and the
 * rest as the other rows of that column added up (customers, churns, customer-months, MRR
 * at the start and end are sums). */
static void trace_query(const cli_args *a, const char *column, const char *from, const char *to,
                        char *buf, size_t size) {
  const char *ds = cli_get(a, "dataset");
  size_t o = (size_t)snprintf(
      buf, size, "segkit metrics %s%s --by %s --from %s --to %s", ds != NULL ? "--dataset " : "",
      ds != NULL ? ds : (a->n_positional > 0 ? a->positional[0] : ""), column, from, to);
  static const char *const carried[] = {"rates",   "customers", "customers-key",
                                        "mapping", "on-error",  "margin"};
  for (size_t i = 0; i < sizeof carried / sizeof carried[0] && o < size; i++) {
    if (cli_get(a, carried[i]) != NULL) {
      o += (size_t)snprintf(buf + o, size - o, " --%s %s", carried[i], cli_get(a, carried[i]));
    }
  }
}

static void print_findings(cli_args *a, const segkit_mrr_result *r,
                           const segkit_segment_findings *f, const segkit_rate_options *o,
                           double level, double margin) {
  size_t n = segkit_segment_findings_n(f);
  size_t n_tests = segkit_segment_findings_n_tests(f);
  char from[16], to[16], window[40];
  window_text(r, from, to, window);
  double alpha = o->alpha > 0 ? o->alpha : 0.05;
  if (a->format == CLI_FORMAT_JSON) {
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
      const segkit_segment_finding *x = segkit_segment_findings_at(f, i);
      json_t *fj = finding_json(x, margin);
      char q[2048];
      trace_query(a, x->column, from, to, q, sizeof q);
      json_object_set_new(fj, "query", json_string(q));
      json_array_append_new(list, fj);
    }
    json_t *root = json_object();
    json_object_set_new(root, "source", json_string("subscriptions"));
    json_object_set_new(root, "from", json_string(from));
    json_object_set_new(root, "to", json_string(to));
    json_object_set_new(root, "tests", json_integer((json_int_t)n_tests));
    json_object_set_new(root, "correction", json_string("benjamini-hochberg"));
    json_object_set_new(root, "alpha", json_real(alpha));
    json_object_set_new(root, "confidence", json_real(level));
    json_object_set_new(root, "min_n", json_integer((json_int_t)o->min_n));
    json_object_set_new(root, "findings", list);
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
    return;
  }
  cli_insights_print_findings(r, f, o, level, margin);
  if (segkit_segment_findings_n(f) > 0) {
    char q[2048];
    trace_query(a, "COL", from, to, q, sizeof q);
    printf("each finding's numbers: %s gives the segment's row; the rest is the column's other "
           "rows added up\n",
           q);
  }
}

void cli_insights_print_findings(const segkit_mrr_result *r, const segkit_segment_findings *f,
                                 const segkit_rate_options *o, double level, double margin) {
  size_t n = segkit_segment_findings_n(f);
  size_t n_tests = segkit_segment_findings_n_tests(f);
  char from[16], to[16], window[40];
  window_text(r, from, to, window);
  double alpha = o->alpha > 0 ? o->alpha : 0.05;
  uint64_t min_n = o->min_n > 0 ? o->min_n : 30;
  printf("findings on churn per month, LTV and NRR over %s (%zu comparisons of a segment with "
         "the rest, Benjamini-Hochberg at %g; %.0f%% intervals: Wilson for churn, delta method "
         "for LTV and NRR):\n",
         window, n_tests, alpha, 100 * level);
  size_t shown = 0, tested = 0, small = 0;
  for (size_t i = 0; i < n; i++) {
    const segkit_segment_finding *x = segkit_segment_findings_at(f, i);
    tested += !x->c.too_small && !isnan(x->c.p);
    small += x->c.too_small;
    if (x->c.significant) {
      sentence(x, window, margin);
      shown++;
    }
  }
  if (shown == 0) {
    printf("- no segment's churn, LTV or NRR differs from the rest's by more than chance "
           "allows\n");
  } else if (tested > shown) {
    printf("- the other %zu comparison%s differ%s by no more than chance allows\n",
           tested - shown, tested - shown == 1 ? "" : "s", tested - shown == 1 ? "s" : "");
  }
  if (small > 0) {
    printf("too small to trust (fewer than %llu customers on a side):", (unsigned long long)min_n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      const segkit_segment_finding *x = segkit_segment_findings_at(f, i);
      if (x->c.too_small && strcmp(x->measure, "nrr") == 0) {
        printf("%s %s = %s (n = %llu)", k++ > 0 ? "," : "", x->column, x->segment,
               (unsigned long long)x->c.n);
      }
    }
    printf("\n");
  }
}

int cli_insights_history(cli_args *a, const segkit_rate_options *o, double level, double margin) {
  if (cli_get(a, "by") == NULL && cli_get(a, "segment") == NULL) {
    return cli_usage_error("insights", "give the segmentations to look at: --by COL[,COL] "
                                       "and/or --segment NAME[,NAME]");
  }
  cli_mrr_request req = {.period = SEGKIT_MRR_PERIOD_RANGE, .conf_level = level,
                         .min_customers = (int64_t)o->min_n};
  segkit_table *t = NULL;
  segkit_mrr_result *r = NULL;
  int rc = cli_mrr_compute(a, "insights", &req, &t, &r);
  if (rc != 0) {
    return rc;
  }
  segkit_segment_findings *f = NULL;
  segkit_error err;
  if (segkit_mrr_findings_new(r, 0, o, &f, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else {
    print_findings(a, r, f, o, level, margin);
  }
  segkit_segment_findings_free(f);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
  return rc;
}
