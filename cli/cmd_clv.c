/* segkit clv: customer lifetime value models. fit estimates BG/NBD, Pareto/NBD,
 * Gamma-Gamma (from a transaction log summarised as lifetimes does, or from a summary
 * file) or the shifted-beta-geometric (from survivor counts); --save keeps the model and
 * the per-customer summary it was fitted on; predict gives each customer the probability
 * of being alive, expected purchases and, with a spend model, expected value, which --as
 * stores as a dataset for rules and metrics --by. docs/clv.md has the definitions. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clv_cli.h"
#include "segkit/clv.h"

static const cli_opt clv_opts[] = {
    {"model", CLI_OPT_VALUE, "M", "bgnbd, paretonbd, gammagamma or sbg (fit)"},
    {"summary", CLI_OPT_VALUE, "FILE", "per-customer frequency, recency, T[, monetary_value] instead of transactions (lifetimes' names; see the -col flags)"},
    {"date-col", CLI_OPT_VALUE, "COL", "purchase date or timestamp (default timestamp)"},
    {"amount-col", CLI_OPT_VALUE, "COL", "purchase amount (default amount; 'none')"},
    {"frequency-col", CLI_OPT_VALUE, "COL", "summary: repeat purchases (default frequency)"},
    {"recency-col", CLI_OPT_VALUE, "COL", "summary: age at the last repeat purchase (default recency)"},
    {"T-col", CLI_OPT_VALUE, "COL", "summary: age at the end of calibration (default T)"},
    {"monetary-col", CLI_OPT_VALUE, "COL", "summary: mean repeat spend (default monetary_value)"},
    {"calibration-end", CLI_OPT_VALUE, "DATE", "last day of the calibration period (default: the last purchase day)"},
    {"observation-end", CLI_OPT_VALUE, "DATE", "last day of a holdout period after it (default: none)"},
    {"time-unit", CLI_OPT_VALUE, "U", "day (default) or week"},
    {"survivors", CLI_OPT_VALUE, "N0,N1,...", "sbg: customers still active at the start of each period, the first being the cohort"},
    {"holdout-groups", CLI_OPT_VALUE, "N", "fit with a holdout: compare customers with 0, 1, ..., N or more calibration purchases (default 7)"},
    {"starts", CLI_OPT_VALUE, "N", "optimiser starts, the best kept (default 5)"},
    {"penalizer", CLI_OPT_VALUE, "X", "L2 penalty on the parameters, as lifetimes' penalizer_coef (default 0)"},
    {"seed", CLI_OPT_VALUE, "S", "seed of the extra starts (default 0)"},
    {"save", CLI_OPT_VALUE, "NAME", "keep the model (and the per-customer summary as dataset NAME)"},
    {"horizon", CLI_OPT_VALUE, "T", "predict: time units ahead (default 52 for weeks, 365 for days; sbg: periods)"},
    {"discount-rate", CLI_OPT_VALUE, "R", "predict: discount rate per month (steps of 30 days, or of 4 weeks with --time-unit week), as lifetimes' discount_rate (default 0)"},
    {"bands", CLI_OPT_VALUE, "X,Y", "predict: p_alive_band cuts (default 0.3,0.7: bands [0,0.3) [0.3,0.7) [0.7,1])"},
    {"spend", CLI_OPT_VALUE, "NAME", "predict: a saved gammagamma model, for expected spend and value"},
    {"as", CLI_OPT_VALUE, "NAME", "predict: store the predictions as this dataset (for rules and --by)"},
    {"out", CLI_OPT_VALUE, "FILE", "predict: write the predictions to FILE"},
};

enum { DOC_VERSION = 1, MAX_SURVIVORS = 1000 };

static bool parse_real(const char *s, double *out) {
  char *end = NULL;
  *out = s != NULL ? strtod(s, &end) : NAN;
  return s != NULL && end != s && *end == '\0' && isfinite(*out);
}

static int parse_day(const char *flag, const char *s, int32_t *day) {
  if (!segkit_parse_date(s, strlen(s), day)) {
    return cli_usage_error("clv", "--%s must be a date YYYY-MM-DD, not '%s'", flag, s);
  }
  return 0;
}

static int fit_options(cli_args *a, segkit_clv_fit_options *o) {
  segkit_clv_fit_options_init(o);
  int64_t v = o->starts;
  if (!cli_get_int(a, "starts", 1, 1000, &v)) {
    return CLI_EXIT_USAGE;
  }
  o->starts = (int)v;
  v = 0;
  if (!cli_get_int(a, "seed", 0, INT64_MAX, &v)) {
    return CLI_EXIT_USAGE;
  }
  o->seed = (uint64_t)v;
  if (cli_get(a, "penalizer") != NULL &&
      (!parse_real(cli_get(a, "penalizer"), &o->penalizer) || o->penalizer < 0)) {
    return cli_usage_error("clv", "--penalizer must be a number >= 0");
  }
  return 0;
}

/* ---- the per-customer summary ---------------------------------------------------------- */

typedef struct summary {
  segkit_table *t;            /* owned */
  const segkit_column *customer;
  double *f, *r, *T, *m;      /* n values each (m: NaN without amounts) */
  double *fh, *dh;            /* holdout purchases and length, or NULL without a holdout */
  size_t n;
  double days_per_unit;
  int32_t calibration_end;
} summary;

static void summary_free(summary *s) {
  segkit_table_free(s->t);
  free(s->f);
  free(s->r);
  free(s->T);
  free(s->m);
  free(s->fh);
  free(s->dh);
  memset(s, 0, sizeof s[0]);
}

/* A numeric column as doubles (NaN for nulls). */
static double *as_doubles(const segkit_table *t, const char *name, bool required, int *rc) {
  long i = name != NULL ? segkit_table_column_index(t, name) : -1;
  size_t n = segkit_table_n_rows(t);
  double *v = malloc((n + 1) * sizeof *v);
  if (v == NULL) {
    *rc = CLI_EXIT_ENV;
    return NULL;
  }
  if (i < 0) {
    if (required) {
      *rc = cli_usage_error("clv", "no column '%s' (map yours with the -col flags)",
                            name != NULL ? name : "?");
      free(v);
      return NULL;
    }
    for (size_t r = 0; r < n; r++) {
      v[r] = NAN;
    }
    return v;
  }
  const segkit_column *c = segkit_table_column(t, (size_t)i);
  for (size_t r = 0; r < n; r++) {
    bool ok = segkit_column_is_valid(c, r);
    if (segkit_column_type(c) == SEGKIT_TYPE_INT64) {
      v[r] = ok ? (double)segkit_column_int64(c)[r] : NAN;
    } else if (segkit_column_type(c) == SEGKIT_TYPE_FLOAT64) {
      v[r] = ok ? segkit_column_float64(c)[r] : NAN;
    } else {
      *rc = cli_usage_error("clv", "column '%s' is not numeric", name);
      free(v);
      return NULL;
    }
  }
  return v;
}

static int summary_arrays(summary *s, const char *f, const char *r, const char *T,
                          const char *m) {
  int rc = 0;
  s->n = segkit_table_n_rows(s->t);
  s->f = as_doubles(s->t, f, true, &rc);
  if (rc == 0) {
    s->r = as_doubles(s->t, r, true, &rc);
  }
  if (rc == 0) {
    s->T = as_doubles(s->t, T, true, &rc);
  }
  if (rc == 0) {
    s->m = as_doubles(s->t, m, false, &rc);
  }
  /* lifetimes' calibration_and_holdout_data names; both or neither */
  if (rc == 0 && segkit_table_column_index(s->t, "frequency_holdout") >= 0 &&
      segkit_table_column_index(s->t, "duration_holdout") >= 0) {
    s->fh = as_doubles(s->t, "frequency_holdout", true, &rc);
    if (rc == 0) {
      s->dh = as_doubles(s->t, "duration_holdout", true, &rc);
    }
    if (rc == 0 && s->n > 0 && !(s->dh[0] > 0)) {
      free(s->fh);
      free(s->dh);
      s->fh = s->dh = NULL;   /* a summary without a holdout period */
    }
  }
  return rc;
}

/* The summary as the table --save stores and predict reads: the customer column under its
 * own name, then frequency, recency, T, monetary and (with a holdout) frequency_holdout,
 * duration_holdout, whatever the summary file called them. */
static int normalise_summary(summary *s) {
  segkit_type kt = segkit_column_type(s->customer);
  if (kt != SEGKIT_TYPE_INT64 && kt != SEGKIT_TYPE_STRING) {
    return cli_usage_error("clv", "the customer column '%s' must hold integers or text",
                           segkit_column_name(s->customer));
  }
  size_t words = (s->n + 63) / 64 + 1;
  uint64_t *m_valid = calloc(words, sizeof *m_valid);
  if (m_valid == NULL) {
    return CLI_EXIT_ENV;
  }
  for (size_t i = 0; i < s->n; i++) {
    if (isfinite(s->m[i])) {
      m_valid[i / 64] |= UINT64_C(1) << (i % 64);
    }
  }
  segkit_column_arrays cols[7] = {
      segkit_column_as_arrays(s->customer),
      {.name = "frequency", .type = SEGKIT_TYPE_FLOAT64, .data = s->f},
      {.name = "recency", .type = SEGKIT_TYPE_FLOAT64, .data = s->r},
      {.name = "T", .type = SEGKIT_TYPE_FLOAT64, .data = s->T},
      {.name = "monetary", .type = SEGKIT_TYPE_FLOAT64, .data = s->m, .validity = m_valid},
      {.name = "frequency_holdout", .type = SEGKIT_TYPE_FLOAT64, .data = s->fh},
      {.name = "duration_holdout", .type = SEGKIT_TYPE_FLOAT64, .data = s->dh},
  };
  segkit_table *t = NULL;
  segkit_error err;
  int rc = 0;
  if (segkit_table_from_arrays(s->n, s->fh != NULL ? 7 : 5, cols, &t, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else {
    segkit_table_free(s->t);
    s->t = t;
    s->customer = segkit_table_column(t, 0);
  }
  free(m_valid);
  return rc;
}

/* From --summary FILE, or from transactions (--dataset NAME or FILE) summarised. */
static int load_summary(cli_args *a, summary *s) {
  memset(s, 0, sizeof *s);
  const char *unit = cli_get(a, "time-unit");
  if (unit != NULL && strcmp(unit, "day") != 0 && strcmp(unit, "week") != 0) {
    return cli_usage_error("clv", "--time-unit must be day or week, not '%s'", unit);
  }
  s->days_per_unit = unit != NULL && strcmp(unit, "week") == 0 ? 7.0 : 1.0;
  int rc = 0;
  if (cli_get(a, "summary") != NULL) {
    rc = cli_load_named(a, "clv", NULL, cli_get(a, "summary"), &s->t);
    if (rc == 0) {
      const char *cust = cli_get(a, "customer-col");
      long ci = cust != NULL ? segkit_table_column_index(s->t, cust) : 0;
      if (ci < 0) {
        return cli_usage_error("clv", "no customer column '%s' in the summary", cust);
      }
      s->customer = segkit_table_column(s->t, (size_t)ci);
      rc = summary_arrays(s, cli_mapped(a, "frequency-col", "frequency"),
                          cli_mapped(a, "recency-col", "recency"), cli_mapped(a, "T-col", "T"),
                          cli_mapped(a, "monetary-col", "monetary_value"));
    }
    return rc == 0 ? normalise_summary(s) : rc;
  }
  const char *dataset = cli_get(a, "dataset");
  if ((dataset == NULL) == (a->n_positional != 2)) {
    return cli_usage_error("clv", "give --dataset NAME or one transactions FILE (or --summary FILE)");
  }
  segkit_table *tx = NULL;
  rc = cli_load_named(a, "clv", dataset, dataset == NULL ? a->positional[1] : NULL, &tx);
  segkit_clv_summary_options o;
  segkit_clv_summary_options_init(&o);
  o.customer = cli_mapped(a, "customer-col", "customer_id");
  o.date = cli_mapped(a, "date-col", "timestamp");
  o.amount = cli_mapped(a, "amount-col", "amount");
  if (o.amount != NULL && tx != NULL && segkit_table_column_index(tx, o.amount) < 0) {
    o.amount = NULL;
  }
  o.days_per_unit = s->days_per_unit;
  o.calibration_end = INT32_MIN;
  if (rc == 0 && cli_get(a, "calibration-end") != NULL) {
    rc = parse_day("calibration-end", cli_get(a, "calibration-end"), &o.calibration_end);
  }
  if (rc == 0 && o.calibration_end == INT32_MIN &&
      !cli_day_bound(tx, o.date, true, &o.calibration_end)) {
    rc = cli_usage_error("clv", "no purchase dates in column '%s' to end the calibration at: give "
                                "--calibration-end", o.date);
  }
  o.observation_end = o.calibration_end;
  if (rc == 0 && cli_get(a, "observation-end") != NULL) {
    rc = parse_day("observation-end", cli_get(a, "observation-end"), &o.observation_end);
  }
  s->calibration_end = o.calibration_end;
  size_t skipped = 0;
  segkit_error err;
  if (rc == 0 && segkit_clv_summarise(tx, &o, &s->t, &skipped, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_table_free(tx);
  if (rc == 0) {
    s->customer = segkit_table_column(s->t, 0);
    rc = summary_arrays(s, "frequency", "recency", "T", o.amount != NULL ? "monetary" : NULL);
  }
  return rc;
}

/* ---- output ---------------------------------------------------------------------------------- */

static json_t *model_json(const segkit_clv_model *m) {
  json_t *params = json_object();
  json_t *ses = json_object();
  for (size_t i = 0; i < segkit_clv_model_n_params(m); i++) {
    double se = segkit_clv_model_std_error(m, i);
    json_object_set_new(params, segkit_clv_model_param_name(m, i),
                        json_real(segkit_clv_model_param(m, i)));
    json_object_set_new(ses, segkit_clv_model_param_name(m, i),
                        isfinite(se) ? json_real(se) : json_null());
  }
  return json_pack("{s:s, s:o, s:o, s:f, s:f, s:i}", "model",
                   segkit_clv_kind_name(segkit_clv_model_kind(m)), "params", params,
                   "std_errors", ses, "log_likelihood", segkit_clv_model_log_likelihood(m),
                   "customers", segkit_clv_model_n(m), "iterations",
                   segkit_clv_model_iterations(m));
}

static void print_model(const segkit_clv_model *m) {
  printf("%s, fitted on %.0f %s; log-likelihood %.4f\n",
         segkit_clv_kind_name(segkit_clv_model_kind(m)), segkit_clv_model_n(m),
         segkit_clv_model_kind(m) == SEGKIT_CLV_SBG ? "customers of the cohort" : "customers",
         segkit_clv_model_log_likelihood(m));
  static const char *const headers[] = {"parameter", "estimate", "std_error"};
  cli_grid *g = cli_grid_new(3, headers);
  for (size_t i = 0; g != NULL && i < segkit_clv_model_n_params(m); i++) {
    cli_grid_row(g);
    cli_grid_text(g, segkit_clv_model_param_name(m, i));
    cli_grid_real(g, segkit_clv_model_param(m, i), 4);
    double se = segkit_clv_model_std_error(m, i);
    if (isfinite(se)) {
      cli_grid_real(g, se, 4);
    } else {
      cli_grid_null(g);
    }
  }
  cli_grid_print(g, CLI_FORMAT_TABLE, stdout);
  cli_grid_free(g);
}

/* ---- the calibration/holdout check ------------------------------------------------------------ */

enum { MAX_HOLDOUT_GROUPS = 100 };

/* Mean actual against mean expected holdout purchases per calibration frequency group;
 * into *json_out (JSON) or printed (table, csv). */
static int holdout_check(cli_args *a, const segkit_clv_model *m, const summary *s,
                         json_t **json_out) {
  int64_t groups = 7;
  if (!cli_get_int(a, "holdout-groups", 0, MAX_HOLDOUT_GROUPS, &groups)) {
    return CLI_EXIT_USAGE;
  }
  segkit_clv_holdout_row rows[MAX_HOLDOUT_GROUPS + 1];
  segkit_clv_holdout_row total;
  segkit_error err;
  if (segkit_clv_holdout_table(m, s->f, s->r, s->T, s->fh, s->dh, s->n, (int)groups, rows,
                               &total, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  if (json_out != NULL) {
    json_t *list = json_array();
    for (int64_t g = 0; g <= groups; g++) {
      json_array_append_new(
          list, json_pack("{s:I, s:b, s:f, s:o, s:o}", "frequency", (json_int_t)g, "or_more",
                          g == groups, "customers", rows[g].customers, "actual",
                          isfinite(rows[g].actual) ? json_real(rows[g].actual) : json_null(),
                          "expected",
                          isfinite(rows[g].expected) ? json_real(rows[g].expected) : json_null()));
    }
    *json_out = json_pack("{s:o, s:{s:f, s:f, s:f}}", "groups", list, "total", "customers",
                          total.customers, "actual", total.actual, "expected", total.expected);
    return *json_out != NULL ? 0 : CLI_EXIT_ENV;
  }
  static const char *const headers[] = {"calibration_purchases", "customers", "actual_mean",
                                        "expected_mean"};
  cli_grid *g = cli_grid_new(4, headers);
  char label[32];
  for (int64_t k = 0; g != NULL && k <= groups; k++) {
    cli_grid_row(g);
    snprintf(label, sizeof label, "%lld%s", (long long)k, k == groups ? "+" : "");
    cli_grid_text(g, label);
    cli_grid_int(g, (int64_t)rows[k].customers);
    if (rows[k].customers > 0) {
      cli_grid_real(g, rows[k].actual, 3);
      cli_grid_real(g, rows[k].expected, 3);
    } else {
      cli_grid_null(g);
      cli_grid_null(g);
    }
  }
  if (a->format == CLI_FORMAT_TABLE) {
    printf("\nholdout: mean purchases per customer, actual against the model's expectation\n");
  }
  int rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  if (rc == 0 && a->format == CLI_FORMAT_TABLE) {
    printf("all %.0f customers: %.0f purchases in the holdout, %.1f expected (%+.1f%%)\n",
           total.customers, total.actual, total.expected,
           total.actual > 0 ? 100.0 * (total.expected - total.actual) / total.actual : 0.0);
  }
  return rc;
}

/* ---- fit ------------------------------------------------------------------------------------ */

static int parse_survivors(cli_args *a, double *alive, size_t *n_periods) {
  const char *spec = cli_get(a, "survivors");
  if (spec == NULL) {
    return cli_usage_error("clv", "sbg needs --survivors N0,N1,... (customers still active at "
                                  "the start of each period)");
  }
  char buf[8192];
  const char *parts[MAX_SURVIVORS];
  size_t k = 0;
  bool ok = strlen(spec) < sizeof buf;
  if (ok) {
    snprintf(buf, sizeof buf, "%s", spec);
    ok = cli_split_list(buf, parts, MAX_SURVIVORS, &k) && k >= 2;
  }
  for (size_t i = 0; ok && i < k; i++) {
    ok = parse_real(parts[i], &alive[i]) && alive[i] >= 0 && (i == 0 || alive[i] <= alive[i - 1]);
  }
  if (!ok) {
    return cli_usage_error("clv", "--survivors needs 2 or more non-increasing counts, not '%s'", spec);
  }
  *n_periods = k - 1;
  return 0;
}

static int save(cli_args *a, const char *name, const segkit_clv_model *m, const summary *s) {
  segkit_error err;
  char *text = NULL;
  if (segkit_clv_model_to_json(m, &text, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  json_error_t je;
  json_t *doc = json_pack("{s:s, s:i, s:o, s:f, s:b}", "format", "segkit-clv", "version",
                          DOC_VERSION, "model", json_loads(text, 0, &je), "days_per_unit",
                          s != NULL ? s->days_per_unit : 1.0, "has_summary", s != NULL);
  free(text);
  char *doc_text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  segkit_workspace *ws = NULL;
  int rc = doc_text == NULL ? CLI_EXIT_ENV : cli_open_workspace(a, true, &ws);
  if (rc == 0 && s != NULL) {
    segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE, .table = s->t,
                                 .source = "segkit clv fit", .actor = "cli:clv"};
    segkit_import_outcome oc;
    if (segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  if (rc == 0 && segkit_workspace_model_save(ws, name, "clv", s != NULL ? name : NULL, doc_text,
                                             true, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0 && !a->quiet && a->format == CLI_FORMAT_TABLE) {
    printf("\nsaved model '%s'%s\n", name,
           s != NULL ? " and the per-customer summary as its dataset (segkit clv predict NAME)" : "");
  }
  segkit_workspace_close(ws);
  free(doc_text);
  return rc;
}

static int sub_fit(cli_args *a) {
  const char *kind_s = cli_get(a, "model");
  int kind = kind_s != NULL ? segkit_clv_kind_parse(kind_s) : -1;
  if (kind < 0) {
    return cli_usage_error("clv", "--model must be bgnbd, paretonbd, gammagamma or sbg");
  }
  segkit_clv_fit_options o;
  int rc = fit_options(a, &o);
  if (rc != 0) {
    return rc;
  }
  segkit_clv_model *m = NULL;
  segkit_error err;
  summary s;
  memset(&s, 0, sizeof s);
  if (kind == SEGKIT_CLV_SBG && cli_get(a, "survivors") == NULL) {
    return cli_clv_fit_history(a, &o);
  }
  if (kind == SEGKIT_CLV_SBG) {
    double alive[MAX_SURVIVORS];
    size_t periods = 0;
    rc = parse_survivors(a, alive, &periods);
    if (rc == 0 && segkit_clv_fit_retention(alive, periods, &o, &m, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  } else {
    rc = load_summary(a, &s);
    if (rc == 0 && kind == SEGKIT_CLV_GAMMAGAMMA) {
      bool any = false;
      for (size_t i = 0; i < s.n && !any; i++) {
        any = isfinite(s.m[i]);
      }
      if (!any) {
        rc = cli_usage_error("clv", "gammagamma needs amounts (--amount-col, or a monetary "
                                    "column in the summary)");
      } else if (segkit_clv_fit_spend(s.f, s.m, s.n, &o, &m, &err) != SEGKIT_OK) {
        rc = cli_report(&err);
      }
    } else if (rc == 0 && segkit_clv_fit_purchases((segkit_clv_kind)kind, s.f, s.r, s.T, NULL,
                                                   s.n, &o, &m, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  bool holdout = rc == 0 && s.fh != NULL &&
                 (kind == SEGKIT_CLV_BGNBD || kind == SEGKIT_CLV_PARETONBD);
  if (rc == 0) {
    if (a->format == CLI_FORMAT_JSON) {
      json_t *j = model_json(m);
      json_t *h = NULL;
      if (holdout) {
        rc = holdout_check(a, m, &s, &h);
        json_object_set_new(j, "holdout", h);
      }
      if (rc == 0) {
        json_dumpf(j, stdout, CLI_JSON_FLAGS);
        printf("\n");
      }
      json_decref(j);
    } else {
      print_model(m);
      if (kind == SEGKIT_CLV_SBG) {
        printf("expected lifetime: %.2f periods (over 1,000 periods)\n",
               segkit_clv_expected_lifetime(m, 1000));
      }
      if (holdout) {
        rc = holdout_check(a, m, &s, NULL);
      }
    }
  }
  if (rc == 0 && cli_get(a, "save") != NULL) {
    rc = save(a, cli_get(a, "save"), m, kind == SEGKIT_CLV_SBG ? NULL : &s);
  }
  segkit_clv_model_free(m);
  summary_free(&s);
  return rc;
}

/* ---- predict -------------------------------------------------------------------------------- */

enum { MAX_BANDS = 16 };

typedef struct predictions {
  double *p_alive, *expected, *spend, *value;   /* n each; spend, value NULL without --spend */
  uint32_t *band;                               /* p_alive band per customer */
  uint64_t *band_valid;                         /* NULL: all valid */
  double cuts[MAX_BANDS];
  size_t n_cuts;
  char labels[MAX_BANDS + 1][48];
} predictions;

static void predictions_free(predictions *p) {
  free(p->p_alive);
  free(p->expected);
  free(p->spend);
  free(p->value);
  free(p->band);
  free(p->band_valid);
}

/* --bands 0.3,0.7: increasing cuts inside (0, 1); labels "[0,0.3)", "[0.3,0.7)", "[0.7,1]". */
static int parse_bands(cli_args *a, predictions *p) {
  const char *spec = cli_get(a, "bands");
  char buf[512];
  snprintf(buf, sizeof buf, "%s", spec != NULL ? spec : "0.3,0.7");
  const char *parts[MAX_BANDS];
  size_t k = 0;
  bool ok = strlen(spec != NULL ? spec : "") < sizeof buf && cli_split_list(buf, parts, MAX_BANDS, &k);
  for (size_t i = 0; ok && i < k; i++) {
    ok = parse_real(parts[i], &p->cuts[i]) && p->cuts[i] > 0 && p->cuts[i] < 1 &&
         (i == 0 || p->cuts[i] > p->cuts[i - 1]);
  }
  if (!ok || k == 0) {
    return cli_usage_error("clv", "--bands needs increasing cuts between 0 and 1, e.g. 0.3,0.7 "
                                  "(at most %d), not '%s'", MAX_BANDS, spec != NULL ? spec : "");
  }
  p->n_cuts = k;
  for (size_t i = 0; i <= k; i++) {
    double lo = i == 0 ? 0.0 : p->cuts[i - 1];
    double hi = i == k ? 1.0 : p->cuts[i];
    snprintf(p->labels[i], sizeof p->labels[i], "[%g,%g%s", lo, hi, i == k ? "]" : ")");
  }
  return 0;
}

/* Validity words for a column of doubles with NaN for "no value"; NULL when all are
 * values (or on out-of-memory, reported through *oom). */
static uint64_t *finite_mask(const double *v, size_t n, bool *oom) {
  bool all = true;
  for (size_t i = 0; i < n && all; i++) {
    all = isfinite(v[i]);
  }
  if (all) {
    return NULL;
  }
  uint64_t *w = calloc((n + 63) / 64 + 1, sizeof *w);
  if (w == NULL) {
    *oom = true;
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    if (isfinite(v[i])) {
      w[i / 64] |= UINT64_C(1) << (i % 64);
    }
  }
  return w;
}

/* The values as int64 when every value is a whole number (NaN rows become 0 under a null
 * mask): *out is malloc'd. false when some value is fractional, or on out-of-memory. */
static bool as_counts(const double *v, size_t n, int64_t **out, bool *oom) {
  for (size_t i = 0; i < n; i++) {
    if (isfinite(v[i]) && (v[i] != floor(v[i]) || fabs(v[i]) > 9e15)) {
      return false;
    }
  }
  int64_t *c = malloc((n > 0 ? n : 1) * sizeof *c);
  if (c == NULL) {
    *oom = true;
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    c[i] = isfinite(v[i]) ? (int64_t)v[i] : 0;
  }
  *out = c;
  return true;
}

static int predict_all(predictions *p, const segkit_clv_model *m, const segkit_clv_model *spend,
                       const summary *s, const segkit_clv_predict_options *po) {
  size_t n = s->n > 0 ? s->n : 1;
  p->p_alive = malloc(n * sizeof *p->p_alive);
  p->expected = malloc(n * sizeof *p->expected);
  p->band = malloc(n * sizeof *p->band);
  if (spend != NULL) {
    p->spend = malloc(n * sizeof *p->spend);
    p->value = malloc(n * sizeof *p->value);
  }
  if (p->p_alive == NULL || p->expected == NULL || p->band == NULL ||
      (spend != NULL && (p->spend == NULL || p->value == NULL))) {
    fprintf(stderr, "segkit: out of memory for the predictions of %zu customers\n", s->n);
    return CLI_EXIT_ENV;
  }
  segkit_error err;
  if (segkit_clv_predict(m, spend, s->f, s->r, s->T, s->m, s->n, po, p->p_alive, p->expected,
                         p->spend, p->value, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  bool oom = false;
  p->band_valid = finite_mask(p->p_alive, s->n, &oom);
  for (size_t i = 0; i < s->n; i++) {
    uint32_t b = 0;
    while (b < p->n_cuts && p->p_alive[i] >= p->cuts[b]) {
      b++;
    }
    p->band[i] = isfinite(p->p_alive[i]) ? b : 0;
  }
  return oom ? CLI_EXIT_ENV : 0;
}

/* The dataset --as stores: the customer, the predictions and the history they came from
 * (so a rule or metrics --churned can compare them with what happened in a holdout). */
static int store_predictions(segkit_workspace *ws, const char *name, const predictions *p,
                             const summary *s) {
  char dict[(MAX_BANDS + 1) * 48];
  uint64_t off[MAX_BANDS + 2];
  off[0] = 0;
  for (size_t i = 0; i <= p->n_cuts; i++) {
    size_t len = strlen(p->labels[i]) + 1;
    memcpy(dict + off[i], p->labels[i], len);
    off[i + 1] = off[i] + len;
  }
  enum { MAX_COLS = 12 };
  segkit_column_arrays cols[MAX_COLS];
  uint64_t *masks[MAX_COLS] = {0};
  int64_t *counts[2] = {NULL, NULL};
  size_t n_counts = 0;
  size_t nc = 0;
  bool oom = false;
  cols[nc++] = segkit_column_as_arrays(s->customer);
  const struct {
    const char *name;
    const double *v;
  } reals[] = {{"p_alive", p->p_alive},     {"expected_purchases", p->expected},
               {"expected_spend", p->spend}, {"clv", p->value},
               {"frequency", s->f},          {"recency", s->r},
               {"T", s->T},                  {"monetary", s->m},
               {"frequency_holdout", s->fh}, {"duration_holdout", s->dh}};
  for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
    if (reals[i].v == NULL) {
      continue;
    }
    masks[nc] = finite_mask(reals[i].v, s->n, &oom);
    cols[nc] = (segkit_column_arrays){.name = reals[i].name, .type = SEGKIT_TYPE_FLOAT64,
                                      .data = reals[i].v, .validity = masks[nc]};
    /* purchase counts stay counts, so rules and metrics --churned frequency_holdout=0 can
     * compare them with integers */
    if ((strcmp(reals[i].name, "frequency") == 0 ||
         strcmp(reals[i].name, "frequency_holdout") == 0) &&
        as_counts(reals[i].v, s->n, &counts[n_counts], &oom)) {
      cols[nc].type = SEGKIT_TYPE_INT64;
      cols[nc].data = counts[n_counts++];
    }
    nc++;
    if (i == 0) {
      cols[nc++] = (segkit_column_arrays){.name = "p_alive_band", .type = SEGKIT_TYPE_STRING,
                                          .data = p->band, .validity = p->band_valid,
                                          .dict_size = (uint32_t)(p->n_cuts + 1),
                                          .dict_offsets = off, .dict_bytes = dict};
    }
  }
  segkit_table *t = NULL;
  segkit_error err;
  int rc = oom ? CLI_EXIT_ENV : 0;
  if (rc == 0 && segkit_table_from_arrays(s->n, nc, cols, &t, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE, .table = t,
                               .source = "segkit clv predict", .actor = "cli:clv"};
  segkit_import_outcome oc;
  if (rc == 0 && segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_table_free(t);
  for (size_t i = 0; i < MAX_COLS; i++) {
    free(masks[i]);
  }
  free(counts[0]);
  free(counts[1]);
  return rc;
}

static int print_predictions(cli_args *a, const predictions *p, const summary *s) {
  const char *headers[] = {segkit_column_name(s->customer), "p_alive", "p_alive_band",
                           "expected_purchases", "expected_spend", "clv"};
  size_t nc = p->spend != NULL ? 6 : 4;
  cli_grid *g = cli_grid_new(nc, headers);
  for (size_t i = 0; g != NULL && i < s->n; i++) {
    cli_grid_row(g);
    cli_grid_value(g, s->customer, i);
    const double vals[] = {p->p_alive[i], NAN, p->expected[i],
                           p->spend != NULL ? p->spend[i] : NAN,
                           p->value != NULL ? p->value[i] : NAN};
    for (size_t k = 0; k + 1 < nc; k++) {
      if (k == 1) {
        if (isfinite(p->p_alive[i])) {
          cli_grid_text(g, p->labels[p->band[i]]);
        } else {
          cli_grid_null(g);
        }
      } else if (isfinite(vals[k])) {
        cli_grid_real(g, vals[k], 6);
      } else {
        cli_grid_null(g);
      }
    }
  }
  int rc = g == NULL ? CLI_EXIT_ENV : 0;
  if (rc == 0 && cli_get(a, "out") != NULL) {
    rc = cli_grid_write_file(g, a->format, cli_get(a, "out"));
  } else if (rc == 0) {
    rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  }
  cli_grid_free(g);
  return rc;
}


static int load_model(segkit_workspace *ws, const char *name, segkit_clv_model **m,
                      double *days_per_unit) {
  segkit_model_list *l = NULL;
  segkit_error err;
  if (segkit_workspace_models(ws, "clv", name, &l, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  json_error_t je;
  json_t *doc = json_loads(l->items[0].document, 0, &je);
  segkit_model_list_free(l);
  int rc = 0;
  if (doc == NULL || json_integer_value(json_object_get(doc, "version")) != DOC_VERSION) {
    fprintf(stderr, "segkit: model '%s' was saved in a format this segkit does not read\n", name);
    rc = CLI_EXIT_DATA;
  }
  char *text = rc == 0 ? json_dumps(json_object_get(doc, "model"), JSON_COMPACT) : NULL;
  if (rc == 0 && (text == NULL || segkit_clv_model_from_json(text, m, &err) != SEGKIT_OK)) {
    rc = text == NULL ? CLI_EXIT_ENV : cli_report(&err);
  }
  if (days_per_unit != NULL) {
    *days_per_unit = json_number_value(json_object_get(doc, "days_per_unit"));
  }
  free(text);
  json_decref(doc);
  return rc;
}

static int predict_sbg(cli_args *a, const segkit_clv_model *m) {
  int64_t horizon = 10;
  if (!cli_get_int(a, "horizon", 1, 10000, &horizon)) {
    return CLI_EXIT_USAGE;
  }
  static const char *const headers[] = {"period", "survival"};
  cli_grid *g = cli_grid_new(2, headers);
  for (int64_t t = 0; g != NULL && t <= horizon; t++) {
    cli_grid_row(g);
    cli_grid_int(g, t);
    cli_grid_real(g, segkit_clv_survival(m, (double)t), 4);
  }
  int rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  if (rc == 0 && a->format == CLI_FORMAT_TABLE) {
    printf("expected lifetime: %.2f periods\n", segkit_clv_expected_lifetime(m, 1000));
  }
  return rc;
}

static int sub_predict(cli_args *a) {
  if (a->n_positional != 2) {
    return cli_usage_error("clv", "expected: clv predict NAME [--horizon T] [--spend NAME]");
  }
  const char *name = a->positional[1];
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  segkit_clv_model *m = NULL;
  segkit_clv_model *spend = NULL;
  double dpu = 1;
  rc = load_model(ws, name, &m, &dpu);
  if (rc == 0 && cli_get(a, "spend") != NULL) {
    rc = load_model(ws, cli_get(a, "spend"), &spend, NULL);
    if (rc == 0 && segkit_clv_model_kind(spend) != SEGKIT_CLV_GAMMAGAMMA) {
      rc = cli_usage_error("clv", "--spend must name a gammagamma model");
    }
  }
  if (rc == 0 && segkit_clv_model_kind(m) == SEGKIT_CLV_SBG) {
    rc = predict_sbg(a, m);
    segkit_clv_model_free(m);
    segkit_workspace_close(ws);
    return rc;
  }
  if (rc == 0 && segkit_clv_model_kind(m) == SEGKIT_CLV_GAMMAGAMMA) {
    rc = cli_usage_error("clv", "predict takes a purchase model (bgnbd, paretonbd); give this "
                                "gammagamma model as --spend");
  }
  summary s;
  memset(&s, 0, sizeof s);
  segkit_error err;
  if (rc == 0 && segkit_workspace_load(ws, name, &s.t, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    s.customer = segkit_table_column(s.t, 0);
    rc = summary_arrays(&s, "frequency", "recency", "T", "monetary");
  }
  double horizon = dpu >= 7 ? 52 : 365;
  double discount = 0;
  if (rc == 0 && cli_get(a, "horizon") != NULL &&
      (!parse_real(cli_get(a, "horizon"), &horizon) || horizon <= 0)) {
    rc = cli_usage_error("clv", "--horizon must be a number of time units > 0");
  }
  if (rc == 0 && cli_get(a, "discount-rate") != NULL &&
      (!parse_real(cli_get(a, "discount-rate"), &discount) || discount < 0)) {
    rc = cli_usage_error("clv", "--discount-rate must be a number >= 0");
  }
  predictions pr;
  memset(&pr, 0, sizeof pr);
  if (rc == 0) {
    rc = parse_bands(a, &pr);
  }
  if (rc == 0) {
    segkit_clv_predict_options po;
    segkit_clv_predict_options_init(&po);
    po.horizon = horizon;
    po.step = dpu >= 7 ? 4.0 : 30.0;   /* lifetimes: months of 30 days, or four weeks */
    po.discount = discount;
    po.n_threads = a->threads;
    rc = predict_all(&pr, m, spend, &s, &po);
  }
  if (rc == 0 && cli_get(a, "as") != NULL) {
    rc = store_predictions(ws, cli_get(a, "as"), &pr, &s);
  }
  if (rc == 0 && (cli_get(a, "out") != NULL || cli_get(a, "as") == NULL ||
                  a->format != CLI_FORMAT_TABLE)) {
    rc = print_predictions(a, &pr, &s);
  }
  if (rc == 0 && !a->quiet && (cli_get(a, "as") != NULL || cli_get(a, "out") != NULL)) {
    fprintf(stderr, "predicted %zu customers over %g time units%s%s\n", s.n, horizon,
            cli_get(a, "as") != NULL ? "; stored as dataset " : "",
            cli_get(a, "as") != NULL ? cli_get(a, "as") : "");
  }
  predictions_free(&pr);
  summary_free(&s);
  segkit_clv_model_free(spend);
  segkit_clv_model_free(m);
  segkit_workspace_close(ws);
  return rc;
}

static int sub_show(cli_args *a) {
  if (a->n_positional != 2) {
    return cli_usage_error("clv", "expected: clv show NAME");
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  segkit_clv_model *m = NULL;
  if (rc == 0) {
    rc = load_model(ws, a->positional[1], &m, NULL);
  }
  if (rc == 0) {
    if (a->format == CLI_FORMAT_JSON) {
      json_t *j = model_json(m);
      json_dumpf(j, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(j);
    } else {
      print_model(m);
    }
  }
  segkit_clv_model_free(m);
  segkit_workspace_close(ws);
  return rc;
}

static int run_clv(cli_args *a) {
  const char *sub = a->n_positional > 0 ? a->positional[0] : "";
  if (strcmp(sub, "fit") == 0) {
    return sub_fit(a);
  }
  if (strcmp(sub, "predict") == 0) {
    return sub_predict(a);
  }
  if (strcmp(sub, "show") == 0) {
    return sub_show(a);
  }
  return cli_usage_error("clv", "expected a subcommand: fit, predict, show");
}

const cli_verb cli_verb_clv = {
    .name = "clv",
    .summary = "customer lifetime value: BG/NBD, Pareto/NBD, Gamma-Gamma, shifted-beta-geometric",
    .usage = "segkit clv fit --model M (--dataset NAME | FILE | --summary FILE | --survivors N0,N1,...) "
             "[--calibration-end DATE] [--time-unit week] [--save NAME] | predict NAME "
             "[--horizon T] [--spend NAME] [--as NAME] | show NAME",
    .description =
        "fit estimates a model by maximum likelihood: bgnbd and paretonbd (who is still a\n"
        "customer, how many purchases to expect) and gammagamma (spend per purchase) from a\n"
        "transaction log summarised as lifetimes does (frequency = repeat purchase days,\n"
        "recency and T as ages in --time-unit) or from a --summary file; sbg (contractual\n"
        "retention) from --survivors. JSON: {\"model\", \"params\", \"std_errors\",\n"
        "\"log_likelihood\", \"customers\"} with the papers' parameter names. predict gives each\n"
        "customer of a saved purchase model p_alive and expected purchases over --horizon, and\n"
        "with --spend a gammagamma model expected spend and discounted value; --as stores them\n"
        "as a dataset for rules (p_alive < 0.3) and metrics --by. Definitions: docs/clv.md.",
    .opts = clv_opts,
    .n_opts = sizeof clv_opts / sizeof clv_opts[0],
    .more_opts = cli_subscription_opts,
    .n_more_opts = CLI_N_SUBSCRIPTION_OPTS,
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_clv,
};
