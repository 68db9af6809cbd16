/* segkit survival: Kaplan-Meier curves by group, median lifetime and the log-rank test,
 * from any dataset (or file) with one row per customer: a duration column and an event
 * column (the "customer snapshot" shape of public churn data sets). The JSON output is a
 * contract other programs rely on (docs/cli.md): one curve point per distinct time, as R's
 * survfit reports them. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const cli_opt survival_opts[] = {
    {"dataset", CLI_OPT_VALUE, "NAME", "dataset in the workspace (or give a FILE instead)"},
    {"time", CLI_OPT_VALUE, "COL", "duration column: int64 or float64 (e.g. tenure in months)"},
    {"event", CLI_OPT_VALUE, "COL=VALUE", "the event (churn) happened where COL equals VALUE; other rows are censored"},
    {"by", CLI_OPT_VALUE, "COL[,COL]", "a curve per combination of these columns' values, and the log-rank test between them"},
    {"conf", CLI_OPT_VALUE, "LEVEL", "confidence level of the bands (default 0.95)"},
    {"at", CLI_OPT_VALUE, "T1,T2,...", "times at which the table shows survival (default: quarters of the longest time)"},
};

/* Survival at time t: S of the last curve point at or before t (1 before the first). */
static double surv_at(const segkit_km_curve *c, double t, double *lower, double *upper) {
  double s = 1.0;
  *lower = 1.0;
  *upper = 1.0;
  for (size_t i = 0; i < c->n_points && c->time[i] <= t; i++) {
    s = c->surv[i];
    *lower = c->lower[i];
    *upper = c->upper[i];
  }
  return s;
}

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *survival_json(const segkit_surv_data *d, const segkit_km *km,
                             const segkit_logrank *lr, const cli_by *by) {
  json_t *groups = json_array();
  for (uint32_t g = 0; g < segkit_km_n_groups(km); g++) {
    const segkit_km_curve *c = segkit_km_group(km, g);
    json_t *curve = json_array();
    for (size_t i = 0; i < c->n_points; i++) {
      json_t *pt = json_object();
      json_object_set_new(pt, "time", json_real(c->time[i]));
      json_object_set_new(pt, "at_risk", json_integer((json_int_t)c->n_risk[i]));
      json_object_set_new(pt, "events", json_integer((json_int_t)c->n_event[i]));
      json_object_set_new(pt, "censored", json_integer((json_int_t)c->n_censor[i]));
      json_object_set_new(pt, "survival", json_real(c->surv[i]));
      json_object_set_new(pt, "std_err", num_or_null(c->std_err[i]));
      json_object_set_new(pt, "lower", num_or_null(c->lower[i]));
      json_object_set_new(pt, "upper", num_or_null(c->upper[i]));
      json_array_append_new(curve, pt);
    }
    json_t *key = json_object();
    for (size_t k = 0; k < by->n; k++) {
      json_object_set_new(key, by->cols[k], json_string(segkit_surv_data_group_value(d, g, k)));
    }
    json_t *grp = json_object();
    json_object_set_new(grp, "key", key);
    json_object_set_new(grp, "n", json_integer((json_int_t)c->n_subjects));
    json_object_set_new(grp, "events", json_integer((json_int_t)c->n_events));
    json_object_set_new(grp, "median", num_or_null(c->median));
    json_object_set_new(grp, "too_small", json_boolean(c->n_subjects < 30));
    json_object_set_new(grp, "curve", curve);
    json_array_append_new(groups, grp);
  }
  json_t *root = json_object();
  json_object_set_new(root, "groups", groups);
  if (lr != NULL) {
    json_object_set_new(root, "logrank", json_pack("{s:o, s:I, s:o}", "chi2", num_or_null(lr->chi2),
                                                   "df", (json_int_t)lr->df, "p",
                                                   num_or_null(lr->p_value)));
  } else {
    json_object_set_new(root, "logrank", json_null());
  }
  json_object_set_new(root, "skipped_null", json_integer((json_int_t)segkit_surv_data_skipped_null(d)));
  json_object_set_new(root, "skipped_null_group",
                      json_integer((json_int_t)segkit_surv_data_skipped_null_group(d)));
  return root;
}

static bool print_curves_csv(const segkit_surv_data *d, const segkit_km *km) {
  static const char *const headers[] = {"group", "time", "at_risk", "events", "censored",
                                        "survival", "std_err", "lower", "upper"};
  cli_grid *g = cli_grid_new(9, headers);
  for (uint32_t k = 0; g != NULL && k < segkit_km_n_groups(km); k++) {
    const segkit_km_curve *c = segkit_km_group(km, k);
    for (size_t i = 0; i < c->n_points; i++) {
      cli_grid_row(g);
      cli_grid_text(g, segkit_surv_data_group_label(d, k));
      cli_grid_real(g, c->time[i], 6);
      cli_grid_int(g, (int64_t)c->n_risk[i]);
      cli_grid_int(g, (int64_t)c->n_event[i]);
      cli_grid_int(g, (int64_t)c->n_censor[i]);
      cli_grid_real(g, c->surv[i], 10);
      cli_grid_real(g, c->std_err[i], 10);
      cli_grid_real(g, c->lower[i], 10);
      cli_grid_real(g, c->upper[i], 10);
    }
  }
  if (g != NULL) {
    cli_grid_row(g);
  }
  bool ok = cli_grid_print(g, CLI_FORMAT_CSV, stdout);
  cli_grid_free(g);
  return ok;
}

/* Times for the table: --at, else a quarter, half, three quarters and all of the longest
 * time, rounded to whole units. */
static size_t table_times(const cli_args *a, const segkit_km *km, double *times, size_t cap,
                          bool *bad) {
  *bad = false;
  const char *at = cli_get(a, "at");
  size_t n = 0;
  if (at != NULL) {
    const char *p = at;
    while (*p != '\0' && n < cap) {
      char *end = NULL;
      errno = 0;
      double t = strtod(p, &end);
      if (end == p || errno != 0 || !isfinite(t) || (*end != ',' && *end != '\0')) {
        *bad = true;
        return 0;
      }
      times[n++] = t;
      p = *end == ',' ? end + 1 : end;
    }
    return n;
  }
  double max_t = 0;
  for (uint32_t g = 0; g < segkit_km_n_groups(km); g++) {
    const segkit_km_curve *c = segkit_km_group(km, g);
    if (c->n_points > 0 && c->time[c->n_points - 1] > max_t) {
      max_t = c->time[c->n_points - 1];
    }
  }
  for (int q = 1; q <= 4 && n < cap; q++) {
    double t = round(max_t * q / 4.0);
    if (n == 0 || t > times[n - 1]) {
      times[n++] = t;
    }
  }
  return n;
}

static bool print_table(const cli_args *a, const segkit_surv_data *d, const segkit_km *km,
                        const segkit_logrank *lr, const cli_by *by, double level) {
  double times[16];
  bool bad;
  size_t n_times = table_times(a, km, times, 16, &bad);
  if (bad) {
    cli_usage_error("survival", "--at must be numbers separated by commas, not '%s'", cli_get(a, "at"));
    return false;
  }
  const char *headers[4 + 16];
  char names[16][48];
  char by_names[256] = "group";
  for (size_t k = 0; k < by->n; k++) {
    size_t len = k == 0 ? 0 : strlen(by_names);
    snprintf(by_names + len, sizeof by_names - len, "%s%s", k == 0 ? "" : " / ", by->cols[k]);
  }
  headers[0] = by_names;
  headers[1] = "customers";
  headers[2] = "events";
  headers[3] = "median";
  for (size_t i = 0; i < n_times; i++) {
    snprintf(names[i], sizeof names[i], "S(%g)", times[i]);
    headers[4 + i] = names[i];
  }
  cli_grid *g = cli_grid_new(4 + n_times, headers);
  for (uint32_t k = 0; g != NULL && k < segkit_km_n_groups(km); k++) {
    const segkit_km_curve *c = segkit_km_group(km, k);
    char label[160];
    snprintf(label, sizeof label, "%s%s", segkit_surv_data_group_label(d, k),
             c->n_subjects < 30 ? " (too small: n < 30)" : "");
    cli_grid_row(g);
    cli_grid_text(g, label);
    cli_grid_int(g, (int64_t)c->n_subjects);
    cli_grid_int(g, (int64_t)c->n_events);
    if (isfinite(c->median)) {
      cli_grid_real(g, c->median, 1);
    } else {
      cli_grid_text(g, "not reached");
    }
    for (size_t i = 0; i < n_times; i++) {
      double lo;
      double hi;
      double s = surv_at(c, times[i], &lo, &hi);
      char cell[64];
      if (isfinite(lo) && isfinite(hi)) {
        snprintf(cell, sizeof cell, "%.3f [%.3f, %.3f]", s, lo, hi);
      } else {
        snprintf(cell, sizeof cell, "%.3f", s);
      }
      cli_grid_text(g, cell);
    }
  }
  if (g != NULL) {
    cli_grid_row(g);
  }
  printf("Kaplan-Meier survival, %.0f%% confidence bands (log scale)\n\n", level * 100);
  bool ok = cli_grid_print(g, CLI_FORMAT_TABLE, stdout);
  cli_grid_free(g);
  if (lr != NULL) {
    printf("\nlog-rank test: chi-square %.4f, df %u, p = %.4g%s\n", lr->chi2, lr->df, lr->p_value,
           lr->p_value < 0.05 ? " (the curves differ at the 5% level)"
                              : " (no difference shown at the 5% level)");
  }
  if (segkit_surv_data_skipped_null(d) + segkit_surv_data_skipped_null_group(d) > 0) {
    printf("rows left out: %zu with no duration or event, %zu with no %s\n",
           segkit_surv_data_skipped_null(d), segkit_surv_data_skipped_null_group(d), by_names);
  }
  return ok;
}

/* The table: the named dataset, or the FILE argument read with default options. */

/* COL=VALUE naming an event against the column's type: int64 gets a number, bool must say
 * true, anything else (string) is compared as text. */
bool cli_event_spec(const char *verb, const char *flag, const segkit_table *t, const char *spec,
                    char *name, size_t name_size, int64_t *int_value, const char **string_value) {
  *int_value = 0;
  *string_value = NULL;
  const char *eq = strchr(spec, '=');
  if (eq == NULL || eq == spec || (size_t)(eq - spec) >= name_size) {
    cli_usage_error(verb, "--%s needs COL=VALUE (e.g. --%s churned=true), not '%s'", flag, flag, spec);
    return false;
  }
  memcpy(name, spec, (size_t)(eq - spec));
  name[eq - spec] = '\0';
  const char *value = eq + 1;
  long idx = segkit_table_column_index(t, name);
  if (idx < 0) {
    return true; /* the library names the missing column */
  }
  segkit_type type = segkit_column_type(segkit_table_column(t, (size_t)idx));
  if (type == SEGKIT_TYPE_INT64) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (end == value || *end != '\0' || errno != 0) {
      cli_usage_error(verb, "column '%s' is int64: --%s needs a whole number, not '%s'", name, flag, value);
      return false;
    }
    *int_value = v;
  } else if (type == SEGKIT_TYPE_BOOL) {
    if (strcmp(value, "true") != 0) {
      cli_usage_error(verb, "column '%s' is bool: use --%s %s=true", name, flag, name);
      return false;
    }
  } else {
    *string_value = value;
  }
  return true;
}

static int run_survival(cli_args *a) {
  const char *time_col = cli_get(a, "time");
  const char *event = cli_get(a, "event");
  if (time_col == NULL || event == NULL) {
    return cli_usage_error("survival", "--time COL and --event COL=VALUE are required");
  }
  double level = 0.95;
  if (!cli_get_level(a, "survival", &level)) {
    return CLI_EXIT_USAGE;
  }
  segkit_table *t = NULL;
  int rc = cli_load_table(a, "survival", &t);
  if (rc != 0) {
    return rc;
  }
  cli_by by;
  rc = cli_parse_by("survival", cli_get(a, "by"), t, false, &by);
  if (rc != 0) {
    segkit_table_free(t);
    return rc;
  }
  segkit_surv_columns cols = {time_col, NULL, 0, by.cols, by.n, NULL};
  char event_name[256];
  cols.event = event_name;
  if (!cli_event_spec("survival", "event", t, event, event_name, sizeof event_name,
                      &cols.event_value, &cols.event_string)) {
    cli_by_free(&by);
    segkit_table_free(t);
    return CLI_EXIT_USAGE;
  }
  segkit_error err;
  segkit_surv_data *d = NULL;
  segkit_km *km = NULL;
  segkit_logrank *lr = NULL;
  if (segkit_surv_data_from_table(t, &cols, &d, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else {
    segkit_surv_input in = segkit_surv_data_input(d);
    if (segkit_km_fit(&in, level, &km, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    } else if (by.n > 0 && segkit_km_n_groups(km) >= 2 &&
               segkit_logrank_test(km, &lr, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  if (rc == 0) {
    if (a->format == CLI_FORMAT_JSON) {
      json_t *j = survival_json(d, km, lr, &by);
      json_dumpf(j, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(j);
    } else if (a->format == CLI_FORMAT_CSV) {
      rc = print_curves_csv(d, km) ? 0 : CLI_EXIT_ENV;
    } else {
      rc = print_table(a, d, km, lr, &by, level) ? 0 : CLI_EXIT_USAGE;
    }
  }
  segkit_logrank_free(lr);
  segkit_km_free(km);
  segkit_surv_data_free(d);
  cli_by_free(&by);
  segkit_table_free(t);
  return rc;
}

const cli_verb cli_verb_survival = {
    .name = "survival",
    .summary = "Kaplan-Meier survival by group, median lifetime, log-rank test",
    .usage = "segkit survival (--dataset NAME | FILE) --time COL --event COL=VALUE [--by COL[,COL]]",
    .description =
        "One row per customer: a duration (--time, e.g. tenure in months) and whether the\n"
        "event happened (--event churned=true, status=2, Churn=Yes); other rows are censored.\n"
        "Table: customers, events, median lifetime and survival with its band at chosen times\n"
        "per group; groups under 30 customers are marked too small. CSV: every curve point.\n"
        "JSON: {\"groups\": [{\"key\": {COL: VALUE}, \"n\", \"events\", \"median\", \"too_small\",\n"
        "\"curve\": [{\"time\", \"at_risk\", \"events\", \"censored\", \"survival\", \"std_err\",\n"
        "\"lower\", \"upper\"}]}], \"logrank\": {\"chi2\", \"df\", \"p\"}} with one point per distinct\n"
        "time, as R's survfit reports them. Definitions: docs/metrics.md, Survival.",
    .opts = survival_opts,
    .n_opts = sizeof survival_opts / sizeof survival_opts[0],
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_survival,
};
