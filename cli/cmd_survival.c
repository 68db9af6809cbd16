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
    {"strata", CLI_OPT_VALUE, "COL[,COL]", "compare the --by groups within strata of these columns (e.g. plan): stratified log-rank, and the Cox hazard ratio for two groups"},
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

/* The --by groups and the --strata strata of the rows kept. The data is grouped by the by
 * columns then the strata columns together (segkit_surv_data_from_table drops rows with a
 * null in any of them, as R does); each combined group maps to its by part and its strata
 * part. Combined groups come sorted by the by values first, so by groups keep their order. */
typedef struct split {
  uint32_t n_groups;
  char **labels;            /* n_groups, owned */
  const char **values;      /* n_groups x n_by, borrowed from the data */
  size_t n_by;
  uint32_t *group;          /* per kept row */
  uint32_t *stratum;        /* per kept row, or NULL without strata */
  uint32_t n_strata;
} split;

static void split_free(split *sp) {
  for (uint32_t g = 0; sp->labels != NULL && g < sp->n_groups; g++) {
    free(sp->labels[g]);
  }
  free(sp->labels);
  free((void *)sp->values);
  free(sp->group);
  free(sp->stratum);
}

/* Joined values k0 .. k1 - 1 of combined group g. */
static char *joined(const segkit_surv_data *d, uint32_t g, size_t k0, size_t k1) {
  size_t len = 1;
  for (size_t k = k0; k < k1; k++) {
    len += strlen(segkit_surv_data_group_value(d, g, k)) + 3;
  }
  char *out = malloc(len);
  if (out == NULL) {
    return NULL;
  }
  out[0] = '\0';
  for (size_t k = k0; k < k1; k++) {
    if (k > k0) {
      strcat(out, " / ");
    }
    strcat(out, segkit_surv_data_group_value(d, g, k));
  }
  return out;
}

/* Index of s in names[0..*n), appended when absent (s is then taken, else freed). */
static uint32_t intern(char **names, uint32_t *n, char *s) {
  for (uint32_t i = 0; i < *n; i++) {
    if (strcmp(names[i], s) == 0) {
      free(s);
      return i;
    }
  }
  names[*n] = s;
  return (*n)++;
}

static bool build_split(const segkit_surv_data *d, size_t n_by, size_t n_strata_cols,
                        split *sp) {
  memset(sp, 0, sizeof *sp);
  segkit_surv_input in = segkit_surv_data_input(d);
  uint32_t nc = in.n_groups;
  size_t nk = n_by + n_strata_cols;
  uint32_t *by_of = malloc((nc + 1) * sizeof *by_of);
  uint32_t *st_of = malloc((nc + 1) * sizeof *st_of);
  char **st_names = calloc(nc + 1, sizeof *st_names);
  sp->labels = calloc(nc + 1, sizeof *sp->labels);
  sp->values = calloc((size_t)(nc + 1) * (n_by + 1), sizeof *sp->values);
  sp->group = malloc((in.n + 1) * sizeof *sp->group);
  sp->stratum = n_strata_cols > 0 ? malloc((in.n + 1) * sizeof *sp->stratum) : NULL;
  sp->n_by = n_by;
  bool ok = by_of != NULL && st_of != NULL && st_names != NULL && sp->labels != NULL &&
            sp->values != NULL && sp->group != NULL && (n_strata_cols == 0 || sp->stratum != NULL);
  for (uint32_t g = 0; ok && g < nc; g++) {
    char *label = n_by == 0 ? strdup("all") : joined(d, g, 0, n_by);
    char *st = n_strata_cols > 0 ? joined(d, g, n_by, nk) : strdup("");
    ok = label != NULL && st != NULL;
    if (!ok) {
      free(label);
      free(st);
      break;
    }
    uint32_t before = sp->n_groups;
    by_of[g] = intern(sp->labels, &sp->n_groups, label);
    if (sp->n_groups > before) {
      for (size_t k = 0; k < n_by; k++) {
        sp->values[(size_t)by_of[g] * n_by + k] = segkit_surv_data_group_value(d, g, k);
      }
    }
    st_of[g] = intern(st_names, &sp->n_strata, st);
  }
  for (size_t i = 0; ok && i < in.n; i++) {
    sp->group[i] = by_of[in.group[i]];
    if (sp->stratum != NULL) {
      sp->stratum[i] = st_of[in.group[i]];
    }
  }
  for (uint32_t i = 0; st_names != NULL && i < sp->n_strata; i++) {
    free(st_names[i]);
  }
  free(st_names);
  free(by_of);
  free(st_of);
  return ok;
}

static json_t *cox_json(const segkit_cox *c, const split *sp, bool stratified) {
  json_t *o = json_object();
  json_object_set_new(o, "group", json_string(sp->labels[1]));
  json_object_set_new(o, "reference", json_string(sp->labels[0]));
  json_object_set_new(o, "stratified", json_boolean(stratified));
  json_object_set_new(o, "hazard_ratio", cli_json_number(c->infinite ? NAN : c->hazard_ratio));
  json_object_set_new(o, "ci_low", cli_json_number(c->hr_low));
  json_object_set_new(o, "ci_high", cli_json_number(c->hr_high));
  json_object_set_new(o, "p", cli_json_number(c->p_value));
  json_object_set_new(o, "beta", cli_json_number(c->infinite ? NAN : c->beta));
  json_object_set_new(o, "se", cli_json_number(c->se));
  json_object_set_new(o, "infinite", json_boolean(c->infinite));
  return o;
}

static json_t *survival_json(const segkit_surv_data *d, const split *sp, const segkit_km *km,
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
      json_object_set_new(pt, "std_err", cli_json_number(c->std_err[i]));
      json_object_set_new(pt, "lower", cli_json_number(c->lower[i]));
      json_object_set_new(pt, "upper", cli_json_number(c->upper[i]));
      json_array_append_new(curve, pt);
    }
    json_t *key = json_object();
    for (size_t k = 0; k < by->n; k++) {
      json_object_set_new(key, by->cols[k], json_string(sp->values[(size_t)g * sp->n_by + k]));
    }
    json_t *grp = json_object();
    json_object_set_new(grp, "key", key);
    json_object_set_new(grp, "n", json_integer((json_int_t)c->n_subjects));
    json_object_set_new(grp, "events", json_integer((json_int_t)c->n_events));
    json_object_set_new(grp, "median", cli_json_number(c->median));
    json_object_set_new(grp, "too_small", json_boolean(c->n_subjects < 30));
    json_object_set_new(grp, "curve", curve);
    json_array_append_new(groups, grp);
  }
  json_t *root = json_object();
  json_object_set_new(root, "groups", groups);
  if (lr != NULL) {
    json_object_set_new(root, "logrank",
                        json_pack("{s:o, s:I, s:o}", "chi2", cli_json_number(lr->chi2), "df",
                                  (json_int_t)lr->df, "p", cli_json_number(lr->p_value)));
  } else {
    json_object_set_new(root, "logrank", json_null());
  }
  json_object_set_new(root, "skipped_null", json_integer((json_int_t)segkit_surv_data_skipped_null(d)));
  json_object_set_new(root, "skipped_null_group",
                      json_integer((json_int_t)segkit_surv_data_skipped_null_group(d)));
  return root;
}

static bool print_curves_csv(const split *sp, const segkit_km *km) {
  static const char *const headers[] = {"group", "time", "at_risk", "events", "censored",
                                        "survival", "std_err", "lower", "upper"};
  cli_grid *g = cli_grid_new(9, headers);
  for (uint32_t k = 0; g != NULL && k < segkit_km_n_groups(km); k++) {
    const segkit_km_curve *c = segkit_km_group(km, k);
    for (size_t i = 0; i < c->n_points; i++) {
      cli_grid_row(g);
      cli_grid_text(g, sp->labels[k]);
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

static bool print_table(const cli_args *a, const segkit_surv_data *d, const split *sp,
                        const segkit_km *km, const segkit_logrank *lr, const segkit_cox *cox,
                        const cli_by *by, const cli_by *strata, double level) {
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
    snprintf(label, sizeof label, "%s%s", sp->labels[k],
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
    printf("\n%slog-rank test: chi-square %.4f, df %u, p = %.4g%s\n",
           strata->n > 0 ? "stratified " : "", lr->chi2, lr->df, lr->p_value,
           lr->p_value < 0.05 ? " (the curves differ at the 5% level)"
                              : " (no difference shown at the 5% level)");
  }
  if (strata->n > 0) {
    printf("(groups compared within strata of %s%s: %u strata)\n", strata->cols[0],
           strata->n > 1 ? " and more" : "", sp->n_strata);
  }
  if (cox != NULL && cox->infinite) {
    printf("Cox model: no finite hazard ratio (a group has no events)\n");
  } else if (cox != NULL) {
    printf("Cox hazard ratio%s, %s vs %s: %.3f (%.0f%% CI %.3f - %.3f), p = %.4g\n",
           strata->n > 0 ? " at equal strata" : "", sp->labels[1], sp->labels[0],
           cox->hazard_ratio, level * 100, cox->hr_low, cox->hr_high, cox->p_value);
  }
  if (segkit_surv_data_skipped_null(d) + segkit_surv_data_skipped_null_group(d) > 0) {
    char cols[512];
    snprintf(cols, sizeof cols, "%s", by_names);
    for (size_t k = 0; k < strata->n; k++) {
      size_t len = strlen(cols);
      snprintf(cols + len, sizeof cols - len, " / %s", strata->cols[k]);
    }
    printf("rows left out: %zu with no duration or event, %zu with no %s\n",
           segkit_surv_data_skipped_null(d), segkit_surv_data_skipped_null_group(d), cols);
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
  cli_by strata;
  memset(&strata, 0, sizeof strata);
  rc = cli_parse_by("survival", cli_get(a, "by"), t, false, &by);
  if (rc == 0 && cli_get(a, "strata") != NULL) {
    rc = cli_parse_by("survival", cli_get(a, "strata"), t, false, &strata);
    if (rc == 0 && by.n + strata.n > CLI_MAX_BY) {
      rc = cli_usage_error("survival", "--by and --strata take at most %d columns together",
                           CLI_MAX_BY);
    }
    if (rc != 0) {
      cli_by_free(&by);
    }
  }
  if (rc != 0) {
    segkit_table_free(t);
    return rc;
  }
  const char *cols_all[2 * CLI_MAX_BY];
  for (size_t k = 0; k < by.n; k++) {
    cols_all[k] = by.cols[k];
  }
  for (size_t k = 0; k < strata.n; k++) {
    cols_all[by.n + k] = strata.cols[k];
  }
  segkit_surv_columns cols = {time_col, NULL, 0, cols_all, by.n + strata.n, NULL};
  char event_name[256];
  cols.event = event_name;
  if (!cli_event_spec("survival", "event", t, event, event_name, sizeof event_name,
                      &cols.event_value, &cols.event_string)) {
    cli_by_free(&by);
    cli_by_free(&strata);
    segkit_table_free(t);
    return CLI_EXIT_USAGE;
  }
  segkit_error err;
  segkit_surv_data *d = NULL;
  segkit_km *km = NULL;
  segkit_logrank *lr = NULL;
  segkit_cox cox;
  bool have_cox = false;
  split sp;
  memset(&sp, 0, sizeof sp);
  if (segkit_surv_data_from_table(t, &cols, &d, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else if (!build_split(d, by.n, strata.n, &sp)) {
    fprintf(stderr, "segkit: out of memory\n");
    rc = CLI_EXIT_ENV;
  } else {
    segkit_surv_input in = segkit_surv_data_input(d);
    in.group = sp.group;
    in.n_groups = sp.n_groups;
    if (segkit_km_fit(&in, level, &km, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
    uint32_t with_subjects = 0;
    for (uint32_t g = 0; rc == 0 && g < segkit_km_n_groups(km); g++) {
      with_subjects += segkit_km_group(km, g)->n_subjects > 0;
    }
    if (rc == 0 && by.n > 0 && with_subjects >= 2 &&
        segkit_logrank_stratified(&in, sp.stratum, sp.n_strata, &lr, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
    if (rc == 0 && by.n > 0 && sp.n_groups == 2 && with_subjects == 2) {
      if (segkit_cox_two_groups(&in, sp.stratum, sp.n_strata, level, &cox, &err) != SEGKIT_OK) {
        rc = cli_report(&err);
      } else {
        have_cox = true;
      }
    }
  }
  if (rc == 0) {
    if (a->format == CLI_FORMAT_JSON) {
      json_t *j = survival_json(d, &sp, km, lr, &by);
      json_t *st = json_array();
      for (size_t k = 0; k < strata.n; k++) {
        json_array_append_new(st, json_string(strata.cols[k]));
      }
      json_object_set_new(j, "strata", st);
      json_object_set_new(j, "cox", have_cox ? cox_json(&cox, &sp, strata.n > 0) : json_null());
      json_dumpf(j, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(j);
    } else if (a->format == CLI_FORMAT_CSV) {
      rc = print_curves_csv(&sp, km) ? 0 : CLI_EXIT_ENV;
    } else {
      rc = print_table(a, d, &sp, km, lr, have_cox ? &cox : NULL, &by, &strata, level)
               ? 0
               : CLI_EXIT_USAGE;
    }
  }
  segkit_logrank_free(lr);
  segkit_km_free(km);
  split_free(&sp);
  segkit_surv_data_free(d);
  cli_by_free(&by);
  cli_by_free(&strata);
  segkit_table_free(t);
  return rc;
}

const cli_verb cli_verb_survival = {
    .name = "survival",
    .summary = "Kaplan-Meier survival by group, median lifetime, log-rank test",
    .usage = "segkit survival (--dataset NAME | FILE) --time COL --event COL=VALUE [--by COL[,COL]] [--strata COL[,COL]]",
    .description =
        "One row per customer: a duration (--time, e.g. tenure in months) and whether the\n"
        "event happened (--event churned=true, status=2, Churn=Yes); other rows are censored.\n"
        "Table: customers, events, median lifetime and survival with its band at chosen times\n"
        "per group; groups under 30 customers are marked too small. CSV: every curve point.\n"
        "JSON: {\"groups\": [{\"key\": {COL: VALUE}, \"n\", \"events\", \"median\", \"too_small\",\n"
        "\"curve\": [{\"time\", \"at_risk\", \"events\", \"censored\", \"survival\", \"std_err\",\n"
        "\"lower\", \"upper\"}]}], \"logrank\": {\"chi2\", \"df\", \"p\"}, \"strata\": [COL],\n"
        "\"cox\": {\"group\", \"reference\", \"hazard_ratio\", \"ci_low\", \"ci_high\", \"p\", ...}}\n"
        "with one point per distinct time, as R's survfit reports them. With --strata the\n"
        "groups are compared at equal strata (R: survdiff and coxph with strata()); the Cox\n"
        "hazard ratio (two groups) is of the second group against the first. Definitions:\n"
        "docs/metrics.md, Survival.",
    .opts = survival_opts,
    .n_opts = sizeof survival_opts / sizeof survival_opts[0],
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_survival,
};
