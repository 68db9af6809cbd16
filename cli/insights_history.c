/* segkit insights on a subscription history: which segments churn more or less per month,
 * and which keep more or less of their MRR (NRR), than the rest of the customers over the
 * --from..--to window, every comparison corrected together (Benjamini-Hochberg).
 *
 * The MRR engine is run once with every --by column (and --segment) as a split; a value of
 * one column is then the union of the groups with that value, and its rest the union of
 * the groups with another (non-null) value, both summed exactly by segkit_mrr_period_select.
 * Churn per month is churns over customer-months at risk, as segkit metrics reports it
 * (Wilson intervals, the pooled z-test on customer-months); NRR is the ratio estimator of
 * the customers active when the window starts, with its delta-method standard error, and
 * the two sides are compared by the Wald test of their difference (disjoint customers). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segkit/insight.h"

/* What one comparison is about. */
typedef struct subject {
  size_t key;        /* by column (segkit_mrr_key_name) */
  const char *value; /* its value: borrowed from the MRR result */
  const char *measure;
} subject;

static const char k_null[] = "(null)";

/* Appends the churn and NRR comparisons of column k's value v; false when out of memory. */
static bool compare_value(const segkit_mrr_result *r, size_t k, const char *v, bool *in,
                          bool *rest, segkit_comparison *c, subject *s, size_t *n,
                          segkit_error *err, int *rc) {
  size_t ng = segkit_mrr_n_groups(r);
  for (size_t g = 0; g < ng; g++) {
    const char *gv = segkit_mrr_group_key(r, g, k);
    in[g] = strcmp(gv, v) == 0;
    rest[g] = !in[g] && strcmp(gv, k_null) != 0;
  }
  segkit_mrr_period ps, pr;
  if (segkit_mrr_period_select(r, in, 0, &ps, err) != SEGKIT_OK ||
      segkit_mrr_period_select(r, rest, 0, &pr, err) != SEGKIT_OK) {
    *rc = cli_report(err);
    return false;
  }
  c[*n] = (segkit_comparison){.kind = SEGKIT_COMPARE_PROPORTION,
                              .n = (uint64_t)(ps.customers_start + ps.n_new +
                                              ps.n_reactivation),
                              .n_rest = (uint64_t)(pr.customers_start + pr.n_new +
                                                   pr.n_reactivation),
                              .events = (uint64_t)ps.n_churned,
                              .trials = (uint64_t)ps.customer_months,
                              .events_rest = (uint64_t)pr.n_churned,
                              .trials_rest = (uint64_t)pr.customer_months};
  s[(*n)++] = (subject){k, v, "monthly_churn"};
  c[*n] = (segkit_comparison){.kind = SEGKIT_COMPARE_ESTIMATE,
                              .n = (uint64_t)ps.customers_start,
                              .n_rest = (uint64_t)pr.customers_start,
                              .value = ps.nrr, .se = ps.nrr_se,
                              .value_rest = pr.nrr, .se_rest = pr.nrr_se,
                              .floor_zero = true};
  s[(*n)++] = (subject){k, v, "nrr"};
  return true;
}

typedef struct ranked_finding {
  const segkit_comparison *c;
  const subject *s;
} ranked_finding;

static int cmp_finding(const void *a, const void *b) {
  const segkit_comparison *x = ((const ranked_finding *)a)->c;
  const segkit_comparison *y = ((const ranked_finding *)b)->c;
  if (x->too_small != y->too_small) {
    return x->too_small ? 1 : -1;
  }
  if (x->significant != y->significant) {
    return x->significant ? -1 : 1;
  }
  double px = isnan(x->p) ? 2.0 : x->p;
  double py = isnan(y->p) ? 2.0 : y->p;
  if (px != py) {
    return px < py ? -1 : 1;
  }
  return (x > y) - (x < y); /* the order they were made in */
}

static void thousands(uint64_t v, char *buf, size_t size) {
  char raw[32];
  snprintf(raw, sizeof raw, "%llu", (unsigned long long)v);
  size_t len = strlen(raw), o = 0;
  for (size_t i = 0; i < len && o + 2 < size; i++) {
    if (i > 0 && (len - i) % 3 == 0) {
      buf[o++] = ',';
    }
    buf[o++] = raw[i];
  }
  buf[o] = '\0';
}

static void sentence(const segkit_mrr_result *r, const ranked_finding *f, const char *window) {
  const segkit_comparison *c = f->c;
  const char *col = segkit_mrr_key_name(r, f->s->key);
  char n1[32], n2[32];
  thousands(c->n, n1, sizeof n1);
  thousands(c->n_rest, n2, sizeof n2);
  if (strcmp(f->s->measure, "monthly_churn") == 0) {
    char much[48];
    if (!isfinite(c->ratio) || c->ratio <= 0) {
      snprintf(much, sizeof much, "%s", c->value > c->value_rest ? "more" : "less");
    } else if (c->ratio >= 1) {
      snprintf(much, sizeof much, "%.1fx as often", c->ratio);
    } else {
      snprintf(much, sizeof much, "%.1fx less", 1.0 / c->ratio);
    }
    char t1[32], t2[32];
    thousands(c->trials, t1, sizeof t1);
    thousands(c->trials_rest, t2, sizeof t2);
    printf("- customers with %s = %s churn %s: %.2f%% (%.2f-%.2f%%) vs %.2f%% (%.2f-%.2f%%) a "
           "month, n = %s vs %s customers (z-test on %s vs %s customer-months, adjusted p = "
           "%.2g)\n",
           col, f->s->value, much, 100 * c->value, 100 * c->lower, 100 * c->upper,
           100 * c->value_rest, 100 * c->lower_rest, 100 * c->upper_rest, n1, n2, t1, t2,
           c->p_adjusted);
  } else {
    printf("- customers with %s = %s keep %s of their MRR: NRR %.1f%% (%.1f-%.1f%%) vs %.1f%% "
           "(%.1f-%.1f%%) over %s, n = %s vs %s customers at the start (Wald test, adjusted p "
           "= %.2g)\n",
           col, f->s->value, c->value > c->value_rest ? "more" : "less", 100 * c->value,
           100 * c->lower, 100 * c->upper, 100 * c->value_rest, 100 * c->lower_rest,
           100 * c->upper_rest, window, n1, n2, c->p_adjusted);
  }
}

static json_t *finding_json(const segkit_mrr_result *r, const ranked_finding *f) {
  const segkit_comparison *c = f->c;
  json_t *o = json_object();
  json_object_set_new(o, "measure", json_string(f->s->measure));
  json_object_set_new(o, "column", json_string(segkit_mrr_key_name(r, f->s->key)));
  json_object_set_new(o, "segment", json_string(f->s->value));
  json_object_set_new(o, "customers", json_integer((json_int_t)c->n));
  json_object_set_new(o, "rest_customers", json_integer((json_int_t)c->n_rest));
  if (c->kind == SEGKIT_COMPARE_PROPORTION) {
    json_object_set_new(o, "churned", json_integer((json_int_t)c->events));
    json_object_set_new(o, "customer_months", json_integer((json_int_t)c->trials));
    json_object_set_new(o, "rest_churned", json_integer((json_int_t)c->events_rest));
    json_object_set_new(o, "rest_customer_months", json_integer((json_int_t)c->trials_rest));
  } else {
    json_object_set_new(o, "se", cli_json_number(c->se));
    json_object_set_new(o, "rest_se", cli_json_number(c->se_rest));
  }
  json_object_set_new(o, "value", cli_json_number(c->value));
  json_object_set_new(o, "ci_low", cli_json_number(c->lower));
  json_object_set_new(o, "ci_high", cli_json_number(c->upper));
  json_object_set_new(o, "rest_value", cli_json_number(c->value_rest));
  json_object_set_new(o, "rest_ci_low", cli_json_number(c->lower_rest));
  json_object_set_new(o, "rest_ci_high", cli_json_number(c->upper_rest));
  json_object_set_new(o, "ratio", cli_json_number(c->ratio));
  json_object_set_new(o, "z", cli_json_number(c->z));
  json_object_set_new(o, "p", cli_json_number(c->p));
  json_object_set_new(o, "p_adjusted", cli_json_number(c->p_adjusted));
  json_object_set_new(o, "finding", json_boolean(c->significant));
  json_object_set_new(o, "too_small", json_boolean(c->too_small));
  return o;
}

static void print_findings(cli_args *a, const segkit_mrr_result *r, ranked_finding *rk, size_t n,
                           size_t n_tests, const segkit_rate_options *o, double level) {
  const segkit_mrr_period *all = segkit_mrr_periods(r, SEGKIT_MRR_ALL);
  char from[16], to[16], window[40];
  cli_month_text(all[0].first_month, from, sizeof from);
  cli_month_text(all[0].last_month, to, sizeof to);
  snprintf(window, sizeof window, "%s..%s", from, to);
  double alpha = o->alpha > 0 ? o->alpha : 0.05;
  if (a->format == CLI_FORMAT_JSON) {
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
      json_array_append_new(list, finding_json(r, &rk[i]));
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
  printf("findings on churn per month and NRR over %s (%zu comparisons of a segment with the "
         "rest, Benjamini-Hochberg at %g; %.0f%% intervals: Wilson for churn, delta method "
         "for NRR):\n",
         window, n_tests, alpha, 100 * level);
  size_t shown = 0, tested = 0, small = 0;
  for (size_t i = 0; i < n; i++) {
    tested += !rk[i].c->too_small && !isnan(rk[i].c->p);
    small += rk[i].c->too_small;
    if (rk[i].c->significant) {
      sentence(r, &rk[i], window);
      shown++;
    }
  }
  if (shown == 0) {
    printf("- no segment's churn or NRR differs from the rest's by more than chance allows\n");
  } else if (tested > shown) {
    printf("- the other %zu comparison%s differ%s by no more than chance allows\n",
           tested - shown, tested - shown == 1 ? "" : "s", tested - shown == 1 ? "s" : "");
  }
  if (small > 0) {
    printf("too small to trust (fewer than %llu customers on a side):",
           (unsigned long long)o->min_n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      const segkit_comparison *c = rk[i].c;
      if (c->too_small && strcmp(rk[i].s->measure, "nrr") == 0) {
        printf("%s %s = %s (n = %llu)", k++ > 0 ? "," : "", segkit_mrr_key_name(r, rk[i].s->key),
               rk[i].s->value, (unsigned long long)c->n);
      }
    }
    printf("\n");
  }
}

int cli_insights_history(cli_args *a, const segkit_rate_options *o, double level) {
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
  size_t ng = segkit_mrr_n_groups(r);
  size_t nk = segkit_mrr_n_keys(r);
  bool *in = calloc(ng + 1, sizeof *in);
  bool *rest = calloc(ng + 1, sizeof *rest);
  segkit_comparison *c = calloc(2 * ng + 1, sizeof *c);
  subject *s = calloc(2 * ng + 1, sizeof *s);
  ranked_finding *rk = calloc(2 * ng + 1, sizeof *rk);
  if (in == NULL || rest == NULL || c == NULL || s == NULL || rk == NULL) {
    fprintf(stderr, "segkit: out of memory\n");
    rc = CLI_EXIT_ENV;
  }
  size_t n = 0;
  segkit_error err;
  /* every distinct non-null value of every key, once, in group order; of a column with
   * two values only the first, since the second against the rest is the same comparison
   * mirrored and would count twice in the correction */
  for (size_t k = 0; rc == 0 && k < nk; k++) {
    size_t first = n, values = 0;
    for (size_t g = 0; rc == 0 && g < ng; g++) {
      const char *v = segkit_mrr_group_key(r, g, k);
      bool seen = strcmp(v, k_null) == 0;
      for (size_t h = 0; !seen && h < g; h++) {
        seen = strcmp(segkit_mrr_group_key(r, h, k), v) == 0;
      }
      if (!seen) {
        values++;
        if (!compare_value(r, k, v, in, rest, c, s, &n, &err, &rc) && rc == 0) {
          rc = CLI_EXIT_ENV;
        }
      }
    }
    if (values == 2) {
      n = first + 2;
    }
  }
  size_t n_tests = 0;
  if (rc == 0 && segkit_comparisons_test(c, n, o, &n_tests, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    for (size_t i = 0; i < n; i++) {
      rk[i] = (ranked_finding){&c[i], &s[i]};
    }
    qsort(rk, n, sizeof *rk, cmp_finding);
    print_findings(a, r, rk, n, n_tests, o, level);
  }
  free(in);
  free(rest);
  free(c);
  free(s);
  free(rk);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
  return rc;
}
