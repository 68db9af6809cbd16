/* The views handle: options, which dataset plays which role, the caches, and the table of
 * views the report and the dashboard walk.
 *
 * Key design choice: a handle caches what it loads and computes (datasets, MRR results),
 * because the views overlap — overview, movements, cohorts, survival and insights all
 * stand on the MRR of the same subscription history — and loading a dataset is most of a
 * view's time on a large workspace. The report asks every view of one handle; a server
 * keeps a handle per workspace. Nothing is computed to list the views: availability is
 * decided from the datasets and models present. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "segkit/datetime.h"

/* ---- options ------------------------------------------------------------------------- */

static const char *const k_known[] = {
    "subscriptions", "customers", "transactions", "survey", "rates", "segment", "by",
    "metric",        "months",    "model",        "sample", "from",  "to",      "as_of",
};
enum { N_KNOWN = sizeof k_known / sizeof k_known[0] };

size_t segkit_view_option_count(void) { return N_KNOWN; }

const char *segkit_view_option_name(size_t i) { return i < N_KNOWN ? k_known[i] : NULL; }

static segkit_status check_param(const char *name, const char *value, segkit_error *err) {
  for (size_t i = 0; i < N_KNOWN; i++) {
    if (strcmp(k_known[i], name) == 0) {
      if (value == NULL) {
        return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, name,
                                   "option '%s' needs a value", name);
      }
      return SEGKIT_OK;
    }
  }
  return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, name,
                             "unknown option '%s' (expected subscriptions, customers, "
                             "transactions, survey, rates, segment, by, metric, months, model, "
                             "sample, from, to or as_of)",
                             name);
}

const char *sk__opt(const sk_ctx *c, const char *name) {
  /* the call's options win over the handle's; the last of a name wins */
  for (size_t i = c->n_params; i-- > 0;) {
    if (strcmp(c->params[i].name, name) == 0) {
      return c->params[i].value[0] != '\0' ? c->params[i].value : NULL;
    }
  }
  for (size_t i = c->v->n_params; i-- > 0;) {
    if (strcmp(c->v->names[i], name) == 0) {
      return c->v->values[i][0] != '\0' ? c->v->values[i] : NULL;
    }
  }
  return NULL;
}

segkit_status sk__opt_int(const sk_ctx *c, const char *name, long lo, long hi, long dflt, long *out,
                          segkit_error *err) {
  const char *s = sk__opt(c, name);
  if (s == NULL) {
    *out = dflt;
    return SEGKIT_OK;
  }
  char *end = NULL;
  long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, name,
                               "option '%s' must be a whole number from %ld to %ld, not '%s'", name,
                               lo, hi, s);
  }
  *out = v;
  return SEGKIT_OK;
}

/* "USD=1,EUR=1.08", read by the metrics module's parser. Only the inline form: the
 * parser also takes a file's path, and a view's options come from HTTP requests, which
 * must not make the server read its files (the CLI reads a rates file itself). */
static segkit_status parse_rates(sk_ctx *c, segkit_error *err) {
  const char *spec = sk__opt(c, "rates");
  c->n_rates = 0;
  if (spec == NULL) {
    return SEGKIT_OK;
  }
  if (strchr(spec, '/') != NULL || strchr(spec, '=') == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "rates",
                               "option 'rates' needs CUR=RATE,... with rates > 0 (e.g. "
                               "USD=1,EUR=1.08), not '%s'",
                               spec);
  }
  segkit_status st =
      segkit_mrr_rates_parse(spec, c->rates, c->rate_names, SK_MAX_RATES, &c->n_rates, err);
  if (st != SEGKIT_OK) {
    snprintf(err->field, sizeof err->field, "rates");
  }
  return st;
}

/* ---- the handle ------------------------------------------------------------------------ */

enum { SK_MAX_SETTINGS = 16 };

/* The saved settings go before the given options, so the given ones win (sk__opt reads
 * the last of a name). */
static segkit_status load_settings(segkit_views *v, segkit_error *err) {
  segkit_model_list *l = NULL;
  segkit_error e;
  if (segkit_workspace_models(v->ws, "settings", "report-settings", &l, &e) != SEGKIT_OK ||
      l->n == 0) {
    segkit_model_list_free(l);
    return SEGKIT_OK; /* none saved */
  }
  json_t *doc = json_loads(l->items[0].document, 0, NULL);
  segkit_model_list_free(l);
  json_t *opts = json_object_get(doc, "options");
  const char *name;
  json_t *value;
  size_t n = 0;
  char *names[SK_MAX_SETTINGS];
  char *values[SK_MAX_SETTINGS];
  json_object_foreach(opts, name, value) {
    if (n < SK_MAX_SETTINGS && json_is_string(value) &&
        check_param(name, json_string_value(value), &e) == SEGKIT_OK &&
        v->n_params + n < SK_MAX_PARAMS) {
      names[n] = strdup(name);
      values[n] = strdup(json_string_value(value));
      n++;
    }
  }
  json_decref(doc);
  memmove(v->names + n, v->names, v->n_params * sizeof *v->names);
  memmove(v->values + n, v->values, v->n_params * sizeof *v->values);
  memcpy(v->names, names, n * sizeof *names);
  memcpy(v->values, values, n * sizeof *values);
  v->n_params += n;
  for (size_t i = 0; i < n; i++) {
    if (v->names[i] == NULL || v->values[i] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  }
  return SEGKIT_OK;
}

segkit_status segkit_views_save_settings(const char *workspace, const segkit_view_param *params,
                                         size_t n_params, segkit_error *err) {
  json_t *opts = json_object();
  for (size_t i = 0; i < n_params; i++) {
    segkit_status st = check_param(params[i].name, params[i].value, err);
    if (st != SEGKIT_OK) {
      json_decref(opts);
      return st;
    }
    json_object_set_new(opts, params[i].name, json_string(params[i].value));
  }
  json_t *doc = json_pack("{s:s, s:i, s:o}", "format", "segkit-report-settings", "version", 1,
                          "options", opts);
  char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  if (text == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  segkit_workspace *ws = NULL;
  segkit_status st = segkit_workspace_open(workspace, 0, &ws, err);
  if (st == SEGKIT_OK) {
    st = segkit_workspace_model_save(ws, "report-settings", "settings", NULL, text, true, err);
  }
  segkit_workspace_close(ws);
  free(text);
  return st;
}

segkit_status segkit_views_open(const char *workspace, const segkit_view_param *params,
                                size_t n_params, segkit_views **out, segkit_error *err) {
  if (n_params > SK_MAX_PARAMS) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "at most %d options", SK_MAX_PARAMS);
  }
  for (size_t i = 0; i < n_params; i++) {
    segkit_status st = check_param(params[i].name, params[i].value, err);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  segkit_views *v = calloc(1, sizeof *v);
  if (v == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  v->path = strdup(workspace);
  for (size_t i = 0; i < n_params; i++) {
    v->names[i] = strdup(params[i].name);
    v->values[i] = strdup(params[i].value);
    v->n_params++;
    if (v->names[i] == NULL || v->values[i] == NULL) {
      segkit_views_close(v);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  }
  segkit_status st = v->path != NULL
                         ? segkit_workspace_open(workspace, SEGKIT_WORKSPACE_READONLY, &v->ws, err)
                         : segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  if (st == SEGKIT_OK) {
    st = segkit_workspace_list_datasets(v->ws, &v->datasets, err);
  }
  if (st == SEGKIT_OK) {
    st = load_settings(v, err);
  }
  if (st != SEGKIT_OK) {
    segkit_views_close(v);
    return st;
  }
  /* the defaults are checked once here, so a bad rate fails at open, not in every view */
  sk_ctx c = {.v = v};
  st = parse_rates(&c, err);
  if (st != SEGKIT_OK) {
    segkit_views_close(v);
    return st;
  }
  *out = v;
  return SEGKIT_OK;
}

void segkit_views_close(segkit_views *v) {
  if (v == NULL) {
    return;
  }
  for (size_t i = 0; i < v->n_mrr; i++) {
    segkit_mrr_result_free(v->mrr[i].r);
    segkit_table_free(v->mrr[i].owned);
  }
  for (size_t i = 0; i < v->n_tables; i++) {
    segkit_table_free(v->tables[i].t);
  }
  for (size_t i = 0; i < v->n_params; i++) {
    free(v->names[i]);
    free(v->values[i]);
  }
  for (size_t i = 0; i < v->n_answers; i++) {
    free(v->answers[i].key);
    free(v->answers[i].json);
  }
  segkit_dataset_list_free(v->datasets);
  segkit_workspace_close(v->ws);
  free(v->path);
  free(v);
}

bool sk__has_dataset(segkit_views *v, const char *name) {
  for (size_t i = 0; name != NULL && i < v->datasets->n; i++) {
    if (strcmp(v->datasets->items[i].name, name) == 0) {
      return true;
    }
  }
  return false;
}

segkit_status sk__table(segkit_views *v, const char *name, const segkit_table **out,
                        segkit_error *err) {
  for (size_t i = 0; i < v->n_tables; i++) {
    if (strcmp(v->tables[i].name, name) == 0) {
      *out = v->tables[i].t;
      return SEGKIT_OK;
    }
  }
  if (v->n_tables == SK_MAX_TABLES || strlen(name) >= sizeof v->tables[0].name) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "too many datasets in one report");
  }
  segkit_table *t = NULL;
  segkit_status st = segkit_workspace_load(v->ws, name, &t, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  snprintf(v->tables[v->n_tables].name, sizeof v->tables[0].name, "%s", name);
  v->tables[v->n_tables++].t = t;
  *out = t;
  return SEGKIT_OK;
}

/* ---- which dataset is which ------------------------------------------------------------- */

static bool schema_has(const segkit_dataset_schema *s, const char *const *cols, size_t n) {
  for (size_t k = 0; k < n; k++) {
    bool found = false;
    for (size_t i = 0; i < s->n && !found; i++) {
      found = strcmp(s->names[i], cols[k]) == 0;
    }
    if (!found) {
      return false;
    }
  }
  return true;
}

static bool dataset_has(segkit_views *v, const char *name, const char *const *cols, size_t n) {
  segkit_dataset_schema *s = NULL;
  segkit_error err;
  bool ok =
      segkit_workspace_dataset_schema(v->ws, name, &s, &err) == SEGKIT_OK && schema_has(s, cols, n);
  segkit_dataset_schema_free(s);
  return ok;
}

/* A survey: a dataset stored with its codebook (model codebook-NAME, segkit survey
 * import). */
static bool has_codebook(segkit_views *v, const char *dataset) {
  char name[192];
  snprintf(name, sizeof name, "codebook-%s", dataset);
  segkit_model_list *l = NULL;
  segkit_error err;
  bool ok = segkit_workspace_models(v->ws, "codebook", name, &l, &err) == SEGKIT_OK && l->n > 0;
  segkit_model_list_free(l);
  return ok;
}

const char *sk__dataset(sk_ctx *c, const char *role) {
  const char *named = sk__opt(c, role);
  if (named != NULL) {
    return sk__has_dataset(c->v, named) ? named : NULL;
  }
  static const char *const subs[] = {"customer_id", "unit_price", "billing_interval", "started_at"};
  static const char *const tx[] = {"customer_id", "timestamp", "amount"};
  static const char *const cust[] = {"customer_id"};
  segkit_views *v = c->v;
  /* A dataset named after the role wins when it fits, so a workspace with two candidates
   * picks the obvious one; else the first fitting dataset by name. */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < v->datasets->n; i++) {
      const char *name = v->datasets->items[i].name;
      if (pass == 0 && strcmp(name, role) != 0) {
        continue;
      }
      bool fits = false;
      if (strcmp(role, "subscriptions") == 0) {
        fits = dataset_has(v, name, subs, 4);
      } else if (strcmp(role, "transactions") == 0) {
        fits = dataset_has(v, name, tx, 3) && !dataset_has(v, name, subs, 4);
      } else if (strcmp(role, "customers") == 0) {
        /* by name only: too many per-customer tables (rfm, stages, clusterings) would fit
         * a schema rule */
        fits = pass == 0 && dataset_has(v, name, cust, 1);
      } else if (strcmp(role, "survey") == 0) {
        fits = has_codebook(v, name);
      }
      if (fits) {
        return name;
      }
    }
  }
  return NULL;
}

const segkit_model_info *sk__pick_model(sk_ctx *c, const char *kind, int want_survey,
                                        segkit_model_list **list, segkit_error *err) {
  *list = NULL;
  if (segkit_workspace_models(c->v->ws, kind, NULL, list, err) != SEGKIT_OK) {
    return NULL;
  }
  const char *named = sk__opt(c, "model");
  for (size_t i = 0; i < (*list)->n; i++) {
    const segkit_model_info *m = &(*list)->items[i];
    if (named != NULL) {
      if (strcmp(m->name, named) == 0) {
        return m;
      }
      continue;
    }
    /* the clustering's own dataset is its labels; the data it was fitted on is in the
     * document */
    json_t *doc = json_loads(m->document, 0, NULL);
    const char *fitted = json_string_value(json_object_get(doc, "dataset"));
    int is_survey = fitted != NULL && has_codebook(c->v, fitted);
    json_decref(doc);
    if (want_survey < 0 || is_survey == want_survey) {
      return m;
    }
  }
  return NULL;
}

/* ---- MRR, cached --------------------------------------------------------------------------- */

bool sk__day_bound(const segkit_table *t, const char *col, bool latest, int32_t *out) {
  long ci = segkit_table_column_index(t, col);
  if (ci < 0) {
    return false;
  }
  const segkit_column *c = segkit_table_column(t, (size_t)ci);
  const int32_t *d = segkit_column_date(c);
  const int64_t *ts = segkit_column_timestamp(c);
  bool any = false;
  for (size_t i = 0; (d != NULL || ts != NULL) && i < segkit_table_n_rows(t); i++) {
    if (!segkit_column_is_valid(c, i)) {
      continue;
    }
    /* a timestamp counts from its UTC day (floor division for times before 1970) */
    int32_t day =
        d != NULL
            ? d[i]
            : (int32_t)((ts[i] >= 0 ? ts[i] : ts[i] - (SEGKIT_US_PER_DAY - 1)) / SEGKIT_US_PER_DAY);
    if (!any || (latest ? day > *out : day < *out)) {
      *out = day;
    }
    any = true;
  }
  return any;
}

void sk__start_split(sk_ctx *c, char *by, size_t size) {
  by[0] = '\0';
  const char *name = sk__dataset(c, "subscriptions");
  const segkit_table *t = NULL;
  segkit_error e;
  if (name == NULL || sk__table(c->v, name, &t, &e) != SEGKIT_OK) {
    return;
  }
  static const char *const cols[] = {"plan", "billing_interval"};
  for (size_t k = 0; k < 2; k++) {
    if (segkit_table_column_index(t, cols[k]) >= 0) {
      size_t len = strlen(by);
      snprintf(by + len, size - len, "%s%s", len > 0 ? "," : "", cols[k]);
    }
  }
}

void sk__how_much(double value, double rest, double ratio, char *buf, size_t size) {
  if (!(ratio > 0) || ratio - ratio != 0) {
    snprintf(buf, size, "%s", value > rest ? "more" : "less");
  } else if (ratio >= 1) {
    snprintf(buf, size, "%.1fx as often", ratio);
  } else {
    snprintf(buf, size, "%.1fx less", 1.0 / ratio);
  }
}

int32_t sk__last_month(sk_ctx *c) {
  const char *name = sk__dataset(c, "subscriptions");
  const segkit_table *t = NULL;
  segkit_error err;
  if (name == NULL || sk__table(c->v, name, &t, &err) != SEGKIT_OK) {
    return INT32_MIN;
  }
  segkit_mrr_columns cols = segkit_mrr_columns_default();
  int32_t start = INT32_MIN;
  int32_t end = INT32_MIN;
  bool has_start = sk__day_bound(t, cols.start, true, &start);
  bool has_end = sk__day_bound(t, cols.end, true, &end);
  if (!has_start && !has_end) {
    return INT32_MIN;
  }
  return segkit_month_of_day(has_end && end > start ? end : start);
}

static int32_t first_month(const segkit_table *t) {
  int32_t day = 0;
  return sk__day_bound(t, segkit_mrr_columns_default().start, false, &day)
             ? segkit_month_of_day(day)
             : INT32_MIN;
}

/* The history with the by columns it lacks looked up in the customers dataset, and the
 * segment's membership as a column "segment": a new table the caller frees, or *out = NULL
 * when there is nothing to add (use the history as it is). */
static segkit_status prepared_history(sk_ctx *c, const segkit_table *subs, const char *const *by,
                                      size_t n_by, segkit_table **out, segkit_error *err) {
  const char *missing[16];
  size_t n_missing = 0;
  for (size_t k = 0; k < n_by; k++) {
    if (segkit_table_column_index(subs, by[k]) < 0) {
      missing[n_missing++] = by[k];
    }
  }
  const char *key = segkit_mrr_columns_default().customer;
  segkit_table *t = NULL;
  segkit_status st = SEGKIT_OK;
  if (n_missing > 0) {
    const char *cust_name = sk__dataset(c, "customers");
    const segkit_table *cust = NULL;
    if (cust_name == NULL) {
      return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, "by",
                                 "no column '%s' in the subscription history, and no customers "
                                 "dataset to look it up in (option customers=NAME)",
                                 missing[0]);
    }
    st = sk__table(c->v, cust_name, &cust, err);
    if (st == SEGKIT_OK) {
      st = segkit_table_lookup(subs, key, cust, key, missing, n_missing, &t, err);
    }
  }
  if (st == SEGKIT_OK && c->segment != NULL) {
    segkit_table *m = NULL;
    st = sk__segment_membership(c, c->segment, &m, err);
    segkit_table *joined = NULL;
    const char *col[] = {"segment"};
    if (st == SEGKIT_OK) {
      st = segkit_table_lookup(t != NULL ? t : subs, key, m,
                               segkit_column_name(segkit_table_column(m, 0)), col, 1, &joined, err);
    }
    segkit_table_free(m);
    if (st == SEGKIT_OK) {
      segkit_table_free(t);
      t = joined;
    }
  }
  if (st != SEGKIT_OK) {
    segkit_table_free(t);
    return st;
  }
  *out = t;
  return SEGKIT_OK;
}

segkit_status sk__mrr(sk_ctx *c, int32_t from, int32_t to, const char *by, bool keep,
                      const segkit_mrr_result **out, const segkit_table **t_out,
                      segkit_error *err) {
  segkit_views *v = c->v;
  char key[512];
  char rates[256] = "";
  const char *rs = sk__opt(c, "rates");
  snprintf(rates, sizeof rates, "%s", rs != NULL ? rs : "");
  snprintf(key, sizeof key, "%s|%ld|%ld|%s|%d|%s|%s", sk__dataset(c, "subscriptions"), (long)from,
           (long)to, by != NULL ? by : "", keep, c->segment != NULL ? c->segment : "", rates);
  for (size_t i = 0; i < v->n_mrr; i++) {
    if (strcmp(v->mrr[i].key, key) == 0) {
      *out = v->mrr[i].r;
      if (t_out != NULL) {
        *t_out = v->mrr[i].t;
      }
      return SEGKIT_OK;
    }
  }
  const char *name = sk__dataset(c, "subscriptions");
  const segkit_table *subs = NULL;
  if (name == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOT_FOUND, "no subscription history");
  }
  segkit_status st = sk__table(v, name, &subs, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  char by_buf[512];
  const char *by_cols[17];
  size_t n_by = 0;
  snprintf(by_buf, sizeof by_buf, "%s", by != NULL ? by : "");
  for (char *p = by_buf, *save = NULL, *tok = strtok_r(p, ",", &save); tok != NULL && n_by < 15;
       tok = strtok_r(NULL, ",", &save)) {
    by_cols[n_by++] = tok;
  }
  segkit_table *owned = NULL;
  st = prepared_history(c, subs, by_cols, n_by, &owned, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  const segkit_table *t = owned != NULL ? owned : subs;
  if (c->segment != NULL) {
    by_cols[n_by++] = "segment";
  }
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.rates = c->n_rates > 0 ? c->rates : NULL;
  opt.n_rates = c->n_rates;
  opt.by = n_by > 0 ? by_cols : NULL;
  opt.n_by = n_by;
  opt.keep_customer_mrr = keep;
  opt.min_customers = SK_MIN_N;
  opt.to_month = to != INT32_MIN ? to : sk__last_month(c);
  opt.from_month = from != INT32_MIN ? from : first_month(t);
  if (opt.to_month - opt.from_month > 1199) {
    opt.from_month = opt.to_month - 1199;
  }
  if (segkit_table_column_index(t, opt.columns.currency) >= 0 && c->n_rates == 0) {
    opt.rates = NULL;
  }
  segkit_mrr_result *r = NULL;
  st = segkit_mrr_compute(t, &opt, &r, err);
  if (st != SEGKIT_OK) {
    segkit_table_free(owned);
    return st;
  }
  if (v->n_mrr == SK_MAX_MRR) {
    /* the oldest goes: a report asks a handful of shapes, a server may ask many */
    segkit_mrr_result_free(v->mrr[0].r);
    segkit_table_free(v->mrr[0].owned);
    memmove(&v->mrr[0], &v->mrr[1], (SK_MAX_MRR - 1) * sizeof v->mrr[0]);
    v->n_mrr--;
  }
  sk_mrr_entry *e = &v->mrr[v->n_mrr++];
  snprintf(e->key, sizeof e->key, "%s", key);
  e->r = r;
  e->t = t;
  e->owned = owned;
  *out = r;
  if (t_out != NULL) {
    *t_out = t;
  }
  return SEGKIT_OK;
}

/* ---- JSON helpers ---------------------------------------------------------------------- */

void sk__unavailable(json_t *view, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  json_object_set_new(view, "available", json_false());
  json_object_set_new(view, "reason", json_string(buf));
}

json_t *sk__num(double v) { return v == v && v - v == 0 ? json_real(v) : json_null(); }

json_t *sk__month(int32_t month) {
  int64_t y;
  unsigned m;
  segkit_month_split(month, &y, &m);
  char buf[16];
  snprintf(buf, sizeof buf, "%04lld-%02u", (long long)y, m);
  return json_string(buf);
}

json_t *sk__money(int64_t cents) { return json_real((double)cents / 100.0); }

/* ---- the table of views ------------------------------------------------------------------ */

typedef struct view_def {
  const char *name;
  const char *title;
  segkit_status (*fn)(sk_ctx *c, json_t *view, segkit_error *err);
  /* what the view needs, for the list: a dataset role or a model kind */
  const char *needs;
  const char *missing;
} view_def;

/* Every billing view needs the history; they say so alike. */
#define NO_HISTORY                                                                                 \
  "no subscription history in this workspace: import one (segkit import subscriptions.csv "        \
  "--as subscriptions) or name it with subscriptions=NAME"

static const view_def k_views[] = {
    {"overview", "Overview", sk__view_overview, "subscriptions", NO_HISTORY},
    {"segments", "Segments", sk__view_segments, "segments",
     "no stored segments: save one with segkit segment add NAME 'RULE' --dataset customers"},
    {"mrr_movements", "MRR movements", sk__view_movements, "subscriptions", NO_HISTORY},
    {"cohorts", "Cohort retention", sk__view_cohorts, "subscriptions", NO_HISTORY},
    {"survival", "Survival curves", sk__view_survival, "subscriptions", NO_HISTORY},
    {"rfm", "RFM grid", sk__view_rfm, "rfm",
     "no transactions and no RFM table in this workspace: import a transactions log "
     "(customer_id, timestamp, amount) or run segkit family rfm --dataset NAME --as rfm"},
    {"clusters", "Cluster map", sk__view_clusters, "cluster",
     "no cluster model in this workspace: run segkit cluster fit --dataset NAME --features "
     "A,B,C --k 4 --save NAME"},
    {"clv", "Customer value", sk__view_clv, "clv",
     "no CLV predictions and no transactions to fit them on: run segkit clv fit --model "
     "bgnbd --dataset transactions --save NAME, then segkit clv predict NAME --as NAME_pred"},
    {"survey", "Survey segments", sk__view_survey, "survey",
     "no survey segmentation in this workspace: import a survey with segkit survey import, "
     "then segkit survey segment --dataset NAME --items 'att_*' --k 5 --save NAME"},
    {"insights", "Insights", sk__view_insights, "subscriptions", NO_HISTORY},
};
enum { N_VIEWS = sizeof k_views / sizeof k_views[0] };

size_t segkit_view_count(void) { return N_VIEWS; }

const char *segkit_view_name(size_t i) { return i < N_VIEWS ? k_views[i].name : NULL; }

static bool models_of(sk_ctx *c, const char *kind, int want_survey) {
  segkit_model_list *l = NULL;
  segkit_error err;
  const segkit_model_info *m = sk__pick_model(c, kind, want_survey, &l, &err);
  bool ok = m != NULL;
  segkit_model_list_free(l);
  return ok;
}

static bool rfm_table_present(sk_ctx *c) {
  static const char *const cols[] = {"r", "f", "segment"};
  for (size_t i = 0; i < c->v->datasets->n; i++) {
    if (dataset_has(c->v, c->v->datasets->items[i].name, cols, 3)) {
      return true;
    }
  }
  return false;
}

static bool clv_predictions_present(sk_ctx *c) {
  static const char *const cols[] = {"p_alive"};
  for (size_t i = 0; i < c->v->datasets->n; i++) {
    if (dataset_has(c->v, c->v->datasets->items[i].name, cols, 1)) {
      return true;
    }
  }
  return false;
}

static bool view_ready(sk_ctx *c, const view_def *d) {
  if (strcmp(d->needs, "subscriptions") == 0) {
    return sk__dataset(c, "subscriptions") != NULL;
  }
  if (strcmp(d->needs, "segments") == 0) {
    segkit_segment_list *l = NULL;
    segkit_error err;
    bool ok = segkit_workspace_segments(c->v->ws, NULL, &l, &err) == SEGKIT_OK && l->n > 0;
    segkit_segment_list_free(l);
    return ok;
  }
  if (strcmp(d->needs, "rfm") == 0) {
    return rfm_table_present(c) || sk__dataset(c, "transactions") != NULL;
  }
  if (strcmp(d->needs, "cluster") == 0) {
    return models_of(c, "cluster", 0);
  }
  if (strcmp(d->needs, "clv") == 0) {
    return clv_predictions_present(c) || sk__dataset(c, "transactions") != NULL;
  }
  if (strcmp(d->needs, "survey") == 0) {
    return models_of(c, "cluster", 1);
  }
  return false;
}

static segkit_status make_ctx(segkit_views *v, const segkit_view_param *params, size_t n, sk_ctx *c,
                              segkit_error *err) {
  memset(c, 0, sizeof *c);
  c->v = v;
  c->params = params;
  c->n_params = n;
  for (size_t i = 0; i < n; i++) {
    segkit_status st = check_param(params[i].name, params[i].value, err);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  c->segment = sk__opt(c, "segment");
  return parse_rates(c, err);
}

segkit_status segkit_views_list(segkit_views *v, char **json_out, segkit_error *err) {
  sk_ctx c;
  segkit_status st = make_ctx(v, NULL, 0, &c, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  json_t *list = json_array();
  for (size_t i = 0; i < N_VIEWS; i++) {
    bool ready = view_ready(&c, &k_views[i]);
    json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:s?}", "name", k_views[i].name, "title",
                                          k_views[i].title, "available", ready, "reason",
                                          ready ? NULL : k_views[i].missing));
  }
  json_t *root = json_pack("{s:o}", "views", list);
  *json_out = root != NULL ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
  json_decref(root);
  return *json_out != NULL ? SEGKIT_OK : segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
}

/* "name|opt=value|..." of a call, or NULL when out of memory. */
static char *answer_key(const char *name, const segkit_view_param *params, size_t n) {
  size_t len = strlen(name) + 1;
  for (size_t i = 0; i < n; i++) {
    len += strlen(params[i].name) + strlen(params[i].value) + 3;
  }
  char *key = malloc(len);
  if (key == NULL) {
    return NULL;
  }
  size_t at = (size_t)snprintf(key, len, "%s", name);
  for (size_t i = 0; i < n; i++) {
    at += (size_t)snprintf(key + at, len - at, "|%s=%s", params[i].name, params[i].value);
  }
  return key;
}

static segkit_status compute_view(segkit_views *v, const char *name,
                                  const segkit_view_param *params, size_t n_params, char **json_out,
                                  segkit_error *err);

/* A view is computed once per handle and options: the handle's data do not change under it
 * (a server opens a new handle when the workspace changes), and some views fit models. */
segkit_status segkit_view(segkit_views *v, const char *name, const segkit_view_param *params,
                          size_t n_params, char **json_out, segkit_error *err) {
  segkit_error_clear(err);
  char *key = answer_key(name, params, n_params);
  if (key == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < v->n_answers; i++) {
    if (strcmp(v->answers[i].key, key) == 0) {
      free(key);
      *json_out = strdup(v->answers[i].json);
      return *json_out != NULL ? SEGKIT_OK
                               : segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  }
  segkit_status st = compute_view(v, name, params, n_params, json_out, err);
  char *copy = st == SEGKIT_OK ? strdup(*json_out) : NULL;
  if (copy == NULL) {
    free(key);
    return st;
  }
  if (v->n_answers == SK_MAX_ANSWERS) {
    free(v->answers[0].key);
    free(v->answers[0].json);
    memmove(&v->answers[0], &v->answers[1], (SK_MAX_ANSWERS - 1) * sizeof v->answers[0]);
    v->n_answers--;
  }
  v->answers[v->n_answers++] = (sk_answer){key, copy};
  return st;
}

static segkit_status compute_view(segkit_views *v, const char *name,
                                  const segkit_view_param *params, size_t n_params, char **json_out,
                                  segkit_error *err) {
  const view_def *d = NULL;
  for (size_t i = 0; i < N_VIEWS && d == NULL; i++) {
    d = strcmp(k_views[i].name, name) == 0 ? &k_views[i] : NULL;
  }
  if (d == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, "view",
                               "no view '%s' (expected overview, segments, mrr_movements, "
                               "cohorts, survival, rfm, clusters, clv, survey or insights)",
                               name);
  }
  sk_ctx c;
  segkit_status st = make_ctx(v, params, n_params, &c, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  /* the segment option shapes the billing views only; the others show everyone and say so
   * with "segment": null */
  static const char *const by_segment[] = {"overview", "segments", "mrr_movements", "cohorts",
                                           "survival"};
  bool takes_segment = false;
  for (size_t i = 0; i < sizeof by_segment / sizeof by_segment[0]; i++) {
    takes_segment = takes_segment || strcmp(by_segment[i], d->name) == 0;
  }
  if (!takes_segment) {
    c.segment = NULL;
  }
  json_t *view = json_pack("{s:s, s:s, s:b, s:n, s:s?}", "view", d->name, "title", d->title,
                           "available", 1, "reason", "segment", c.segment);
  if (view == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  if (!view_ready(&c, d)) {
    sk__unavailable(view, "%s", d->missing);
  } else {
    st = d->fn(&c, view, err);
  }
  if (st == SEGKIT_OK) {
    *json_out = json_dumps(view, JSON_COMPACT | JSON_REAL_PRECISION(12));
    if (*json_out == NULL) {
      st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  }
  json_decref(view);
  return st;
}
