/* segkit clv fit --model sbg on a subscription history: the shifted-beta-geometric model
 * fitted per segment on customers' paying months, with projected retention and expected
 * lifetime per segment.
 *
 * Key design choice: the periods are the months of the MRR engine (the same month-end MRR
 * that mrr, cohorts and metrics use), read through segkit_mrr_lifetimes, so a customer's
 * lifetime here is the one every other verb reports. A customer who paid t months and then
 * had no MRR churned at the end of period t (P(T = t)); one still paying at the end of the
 * range after t months has renewed t - 1 times with the next renewal unknown (S(t - 1)).
 * Customers whose MRR starts before the range are left out (their first months are not
 * seen), and the range starts at the earliest subscription by default, so that only
 * happens when --from is given. A segment is the customer's segment at its first paying
 * month end (--by), as cohorts uses. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clv_cli.h"
#include "segkit/clv.h"

/* The months ahead the retention table projects. */
static const int k_horizons[] = {1, 3, 6, 12, 24, 36};
enum { N_HORIZONS = sizeof k_horizons / sizeof k_horizons[0], LIFETIME_CAP = 120 };

typedef struct group_counts {
  double *churned;    /* [0..n_months] */
  double *censored;   /* [0..n_months] */
  double customers;
  double n_churned;
} group_counts;

typedef struct history_fit {
  const segkit_clv_fit_options *o;
  cli_format format;
} history_fit;

/* Count churn and censoring per segment (index n_groups = all customers). */
static int count(const segkit_table *lt, const segkit_mrr_result *r, size_t n_groups,
                 size_t n_months, group_counts *g, size_t *left_out) {
  const int64_t *tenure = segkit_column_int64(segkit_table_column(lt, 2));
  const uint8_t *churned = segkit_column_bool(segkit_table_column(lt, 3));
  const uint8_t *before = segkit_column_bool(segkit_table_column(lt, 4));
  size_t row = 0;
  size_t n_rows = segkit_table_n_rows(lt);
  /* lifetimes lists, in customer order, the customers with MRR somewhere in the range */
  for (size_t c = 0; c < segkit_mrr_n_customers(r) && row < n_rows; c++) {
    const int64_t *mrr = segkit_mrr_customer_mrr(r, c);
    bool active = false;
    for (size_t k = 0; k <= n_months && !active; k++) {
      active = mrr[k] > 0;
    }
    if (!active) {
      continue;
    }
    size_t i = row++;
    if (before[i]) {
      (*left_out)++;
      continue;
    }
    int64_t t = tenure[i];
    if (t < 1 || (size_t)t > n_months) {
      fprintf(stderr, "segkit clv: internal: tenure %lld outside 1..%zu\n", (long long)t, n_months);
      return CLI_EXIT_ENV;
    }
    uint32_t sg = segkit_mrr_customer_start_group(r, c);
    size_t targets[2] = {n_groups, sg != SEGKIT_MRR_NO_GROUP ? sg : SIZE_MAX};
    for (size_t k = 0; k < 2; k++) {
      if (targets[k] == SIZE_MAX || (k == 1 && n_groups == 0)) {
        continue;
      }
      group_counts *gc = &g[targets[k]];
      gc->customers += 1;
      if (churned[i]) {
        gc->churned[t] += 1;
        gc->n_churned += 1;
      } else {
        gc->censored[t - 1] += 1;
      }
    }
  }
  return 0;
}

/* Fader & Hardie's polarisation index of the churn-rate distribution. */
static double polarisation(const segkit_clv_model *m) {
  return 1.0 / (1.0 + segkit_clv_model_param(m, 0) + segkit_clv_model_param(m, 1));
}

static json_t *fit_json(const segkit_clv_model *m, const group_counts *gc) {
  json_t *o = json_object();
  json_object_set_new(o, "customers", json_real(gc->customers));
  json_object_set_new(o, "churned", json_real(gc->n_churned));
  if (m == NULL) {
    return o;
  }
  json_t *params = json_object();
  json_t *ses = json_object();
  for (size_t i = 0; i < segkit_clv_model_n_params(m); i++) {
    json_object_set_new(params, segkit_clv_model_param_name(m, i),
                        json_real(segkit_clv_model_param(m, i)));
    json_object_set_new(ses, segkit_clv_model_param_name(m, i),
                        cli_json_number(segkit_clv_model_std_error(m, i)));
  }
  json_object_set_new(o, "params", params);
  json_object_set_new(o, "std_errors", ses);
  json_object_set_new(o, "log_likelihood", json_real(segkit_clv_model_log_likelihood(m)));
  json_object_set_new(o, "polarisation", json_real(polarisation(m)));
  json_t *ret = json_object();
  for (size_t h = 0; h < N_HORIZONS; h++) {
    char key[16];
    snprintf(key, sizeof key, "%d", k_horizons[h]);
    json_object_set_new(ret, key, json_real(segkit_clv_survival(m, k_horizons[h])));
  }
  json_object_set_new(o, "retention", ret);
  json_object_set_new(o, "expected_lifetime", cli_json_number(segkit_clv_expected_lifetime(m, 0)));
  json_object_set_new(o, "expected_lifetime_10y",
                      json_real(segkit_clv_expected_lifetime(m, LIFETIME_CAP)));
  return o;
}

static int report(cli_format format, const segkit_mrr_result *r, size_t n_groups,
                  group_counts *g, segkit_clv_model **models, const char **why,
                  size_t left_out) {
  if (format == CLI_FORMAT_JSON) {
    json_t *groups = json_array();
    for (size_t k = 0; k < n_groups; k++) {
      json_t *o = fit_json(models[k], &g[k]);
      json_object_set_new(o, "key", cli_mrr_group_key(r, k));
      json_object_set_new(o, "error", why[k] != NULL ? json_string(why[k]) : json_null());
      json_array_append_new(groups, o);
    }
    json_t *all = fit_json(models[n_groups], &g[n_groups]);
    json_object_set_new(all, "error",
                        why[n_groups] != NULL ? json_string(why[n_groups]) : json_null());
    json_t *root = json_pack("{s:s, s:s, s:o, s:o, s:I}", "model", "sbg", "period", "month",
                             "overall", all, "groups", groups, "left_out_started_before",
                             (json_int_t)left_out);
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
    return 0;
  }
  static const char *const headers[] = {"segment", "customers", "churned", "alpha", "beta",
                                        "polarisation", "retained_1m", "retained_12m",
                                        "retained_24m", "expected_months", "months_in_10y"};
  cli_grid *grid = cli_grid_new(11, headers);
  for (size_t k = 0; grid != NULL && k <= n_groups; k++) {
    size_t idx = k < n_groups ? k : n_groups;
    const segkit_clv_model *m = models[idx];
    cli_grid_row(grid);
    cli_grid_text(grid, k < n_groups ? segkit_mrr_group_name(r, k) : "all");
    cli_grid_int(grid, (int64_t)g[idx].customers);
    cli_grid_int(grid, (int64_t)g[idx].n_churned);
    if (m == NULL) {
      for (int c = 0; c < 8; c++) {
        cli_grid_null(grid);
      }
      continue;
    }
    char num[32];
    for (size_t p = 0; p < 2; p++) {
      snprintf(num, sizeof num, "%.4g", segkit_clv_model_param(m, p));
      cli_grid_text(grid, num);
    }
    snprintf(num, sizeof num, "%.3g", polarisation(m));
    cli_grid_text(grid, num);
    cli_grid_real(grid, segkit_clv_survival(m, 1), 3);
    cli_grid_real(grid, segkit_clv_survival(m, 12), 3);
    cli_grid_real(grid, segkit_clv_survival(m, 24), 3);
    double life = segkit_clv_expected_lifetime(m, 0);
    if (isfinite(life)) {
      cli_grid_real(grid, life, 1);
    } else {
      cli_grid_text(grid, "unbounded");
    }
    cli_grid_real(grid, segkit_clv_expected_lifetime(m, LIFETIME_CAP), 1);
  }
  int rc = cli_grid_print(grid, format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(grid);
  if (rc == 0 && format == CLI_FORMAT_TABLE) {
    for (size_t k = 0; k <= n_groups; k++) {
      if (why[k] != NULL) {
        printf("%s: not fitted: %s\n", k < n_groups ? segkit_mrr_group_name(r, k) : "all",
               why[k]);
      }
    }
    printf("retained_Nm: share of a new cohort still paying after N months; polarisation "
           "1/(1+alpha+beta): 0 = one churn rate for all, 1 = customers either stay or leave "
           "at once; expected_months: mean lifetime (unbounded when alpha <= 1); "
           "months_in_10y: expected paying months of the next 120.\n");
    if (left_out > 0) {
      printf("left out: %zu customers already paying before the range (their first months "
             "are not seen)\n", left_out);
    }
  }
  return rc;
}

int cli_clv_sbg_segments(const segkit_table *subscriptions, const segkit_mrr_result *r,
                         const char *customer_column, const segkit_clv_fit_options *o,
                         bool overall_required, cli_format format) {
  segkit_error err;
  segkit_table *lt = NULL;
  if (segkit_mrr_lifetimes(r, subscriptions, customer_column, &lt, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  size_t n_months = segkit_mrr_n_months(r);
  size_t n_groups = segkit_mrr_n_groups(r);
  group_counts *g = calloc(n_groups + 1, sizeof *g);
  double *cells = calloc(2 * (n_groups + 1) * (n_months + 1), sizeof *cells);
  segkit_clv_model **models = calloc(n_groups + 1, sizeof *models);
  const char **why = calloc(n_groups + 1, sizeof *why);
  char (*messages)[sizeof err.message] = calloc(n_groups + 1, sizeof *messages);
  int rc = g == NULL || cells == NULL || models == NULL || why == NULL || messages == NULL
               ? CLI_EXIT_ENV
               : 0;
  for (size_t k = 0; rc == 0 && k <= n_groups; k++) {
    g[k].churned = cells + 2 * k * (n_months + 1);
    g[k].censored = g[k].churned + n_months + 1;
  }
  size_t left_out = 0;
  if (rc == 0) {
    rc = count(lt, r, n_groups, n_months, g, &left_out);
  }
  for (size_t k = 0; rc == 0 && k <= n_groups; k++) {
    if (segkit_clv_fit_retention_counts(g[k].churned, g[k].censored, n_months, o,
                                        &models[k], &err) != SEGKIT_OK) {
      if (k == n_groups && overall_required) {
        rc = cli_report(&err);
      } else {
        snprintf(messages[k], sizeof messages[k], "%s", err.message);
        why[k] = messages[k];
      }
    }
  }
  if (rc == 0) {
    rc = report(format, r, n_groups, g, models, why, left_out);
  }
  for (size_t k = 0; models != NULL && k <= n_groups; k++) {
    segkit_clv_model_free(models[k]);
  }
  free(messages);
  free((void *)why);
  free(models);
  free(cells);
  free(g);
  segkit_table_free(lt);
  return rc;
}

static int fit_groups(void *ctx, const segkit_table *t, const segkit_mrr_result *r,
                      const segkit_mrr_columns *columns) {
  const history_fit *h = ctx;
  if (h->format == CLI_FORMAT_TABLE) {
    printf("sbg by month of a subscription history: retention projected from each segment's "
           "churn\n");
  }
  return cli_clv_sbg_segments(t, r, columns->customer, h->o, true, h->format);
}

int cli_clv_fit_history(cli_args *a, const segkit_clv_fit_options *o) {
  if (cli_get(a, "save") != NULL) {
    return cli_usage_error("clv", "--save keeps one model: sbg from a subscription history "
                                  "prints its fits (use --survivors for a model to save)");
  }
  /* the verb's first argument is the subcommand: the history FILE, if any, is the second */
  cli_args shifted = *a;
  shifted.n_positional = a->n_positional > 0 ? a->n_positional - 1 : 0;
  for (size_t i = 0; i < shifted.n_positional; i++) {
    shifted.positional[i] = a->positional[i + 1];
  }
  history_fit h = {.o = o, .format = a->format};
  cli_mrr_request req = {.keep_customers = true, .from_earliest = true,
                         .period = SEGKIT_MRR_PERIOD_MONTH, .conf_level = 0.95,
                         .min_customers = 0, .then = fit_groups, .ctx = &h};
  segkit_table *t = NULL;
  segkit_mrr_result *r = NULL;
  int rc = cli_mrr_compute(&shifted, "clv", &req, &t, &r);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
  return rc;
}
