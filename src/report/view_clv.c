/* clv: how predicted customer value and the probability of being alive are spread over the
 * customers — histograms, quantiles and totals.
 *
 * From stored predictions (a dataset with a p_alive column: segkit clv predict --as NAME),
 * else fitted here: BG/NBD on the transactions summarised by week as of their last day,
 * Gamma-Gamma on the repeat buyers' spend when the log has amounts, predictions over the
 * next 52 weeks (segkit_clv_summarise, _fit_purchases, _fit_spend, _predict: the clv
 * module's, checked against the Python library lifetimes there). The view says which. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "segkit/clv.h"

enum { N_BINS = 20 };

/* Above this many transactions the view does not fit models while a reader waits (on 20 M
 * rows a fit takes minutes): it asks for stored predictions instead. */
#define MAX_FIT_ROWS 2000000

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Quantile by linear interpolation (type 7) of sorted values. */
static double quantile(const double *s, size_t n, double p) {
  double h = (double)(n - 1) * p;
  size_t lo = (size_t)floor(h);
  size_t hi = lo + 1 < n ? lo + 1 : lo;
  return s[lo] + (h - (double)lo) * (s[hi] - s[lo]);
}

/* Finite values: count, sum, quantiles and a histogram of N_BINS equal bins from lo to hi
 * (hi = the 99th percentile when open_top, values above it in the last bin). */
static json_t *distribution(const double *v, size_t n, double lo, double hi, bool open_top) {
  double *s = malloc((n + 1) * sizeof *s);
  size_t m = 0;
  double sum = 0;
  for (size_t i = 0; s != NULL && i < n; i++) {
    if (isfinite(v[i])) {
      s[m++] = v[i];
      sum += v[i];
    }
  }
  if (s == NULL || m == 0) {
    free(s);
    return json_pack("{s:i}", "n", 0);
  }
  qsort(s, m, sizeof *s, cmp_double);
  if (open_top) {
    hi = quantile(s, m, 0.99);
  }
  if (!(hi > lo)) {
    hi = lo + 1;
  }
  size_t bins[N_BINS] = {0};
  double width = (hi - lo) / N_BINS;
  for (size_t i = 0; i < m; i++) {
    long b = (long)floor((s[i] - lo) / width);
    b = b < 0 ? 0 : b >= N_BINS ? N_BINS - 1 : b;
    bins[b]++;
  }
  json_t *hist = json_array();
  for (int b = 0; b < N_BINS; b++) {
    json_array_append_new(hist, json_pack("{s:f, s:f, s:I}", "from", lo + b * width, "to",
                                          lo + (b + 1) * width, "count", (json_int_t)bins[b]));
  }
  json_t *o = json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:b, s:o}", "n", (json_int_t)m,
                        "sum", sum, "mean", sum / (double)m, "p10", quantile(s, m, 0.1), "median",
                        quantile(s, m, 0.5), "p90", quantile(s, m, 0.9), "max", s[m - 1], "p99",
                        quantile(s, m, 0.99), "last_bin_open", open_top, "histogram", hist);
  free(s);
  return o;
}

static const segkit_column *col(const segkit_table *t, const char *name) {
  long i = segkit_table_column_index(t, name);
  return i >= 0 ? segkit_table_column(t, (size_t)i) : NULL;
}

static double *as_doubles(const segkit_column *c, size_t n) {
  double *v = malloc((n + 1) * sizeof *v);
  for (size_t i = 0; v != NULL && i < n; i++) {
    if (c == NULL || !segkit_column_is_valid(c, i)) {
      v[i] = NAN;
    } else if (segkit_column_type(c) == SEGKIT_TYPE_FLOAT64) {
      v[i] = segkit_column_float64(c)[i];
    } else if (segkit_column_type(c) == SEGKIT_TYPE_INT64) {
      v[i] = (double)segkit_column_int64(c)[i];
    } else {
      v[i] = NAN;
    }
  }
  return v;
}

/* p_alive bands as segkit clv predict cuts them by default: [0, 0.3), [0.3, 0.7), [0.7, 1]. */
static json_t *bands(const double *p, size_t n) {
  size_t k[3] = {0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    if (isfinite(p[i])) {
      k[p[i] < 0.3 ? 0 : p[i] < 0.7 ? 1 : 2]++;
    }
  }
  return json_pack("[{s:s, s:I}, {s:s, s:I}, {s:s, s:I}]", "band", "below 0.3", "customers",
                   (json_int_t)k[0], "band", "0.3 to 0.7", "customers", (json_int_t)k[1], "band",
                   "0.7 and above", "customers", (json_int_t)k[2]);
}

static void fill(json_t *view, const double *p_alive, const double *value, const double *purchases,
                 size_t n) {
  json_object_set_new(view, "customers", json_integer((json_int_t)n));
  json_object_set_new(view, "p_alive", distribution(p_alive, n, 0, 1, false));
  json_object_set_new(view, "p_alive_bands", bands(p_alive, n));
  json_object_set_new(view, "value",
                      value != NULL ? distribution(value, n, 0, 0, true) : json_null());
  json_object_set_new(view, "expected_purchases",
                      purchases != NULL ? distribution(purchases, n, 0, 0, true) : json_null());
}

static const char *stored_predictions(sk_ctx *c) {
  const char *named = sk__opt(c, "model");
  for (size_t i = 0; i < c->v->datasets->n; i++) {
    const char *name = c->v->datasets->items[i].name;
    if (named != NULL && strcmp(named, name) != 0) {
      continue;
    }
    segkit_dataset_schema *s = NULL;
    segkit_error e;
    bool ok = false;
    if (segkit_workspace_dataset_schema(c->v->ws, name, &s, &e) == SEGKIT_OK) {
      for (size_t j = 0; j < s->n; j++) {
        ok = ok || strcmp(s->names[j], "p_alive") == 0;
      }
    }
    segkit_dataset_schema_free(s);
    if (ok) {
      return name;
    }
  }
  return NULL;
}

static void from_stored(sk_ctx *c, json_t *view, const char *name) {
  const segkit_table *t = NULL;
  segkit_error e;
  if (sk__table(c->v, name, &t, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
    return;
  }
  size_t n = segkit_table_n_rows(t);
  double *p = as_doubles(col(t, "p_alive"), n);
  double *v = col(t, "clv") != NULL ? as_doubles(col(t, "clv"), n) : NULL;
  double *x =
      col(t, "expected_purchases") != NULL ? as_doubles(col(t, "expected_purchases"), n) : NULL;
  json_object_set_new(view, "source", json_string("stored predictions"));
  json_object_set_new(view, "predictions", json_string(name));
  if (p != NULL) {
    fill(view, p, v, x, n);
  }
  free(p);
  free(v);
  free(x);
}

static void fitted(sk_ctx *c, json_t *view, const char *name) {
  const segkit_table *tx = NULL;
  segkit_error e;
  if (sk__table(c->v, name, &tx, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
    return;
  }
  if (segkit_table_n_rows(tx) > MAX_FIT_ROWS) {
    sk__unavailable(view,
                    "%zu transactions are too many to fit a model while the page waits: run "
                    "segkit clv fit --model bgnbd --dataset %s --time-unit week --save M, then "
                    "segkit clv predict M --as M_pred (this view then reads the predictions)",
                    segkit_table_n_rows(tx), name);
    return;
  }
  segkit_clv_summary_options so;
  segkit_clv_summary_options_init(&so);
  so.customer = "customer_id";
  so.date = "timestamp";
  so.amount = col(tx, "amount") != NULL ? "amount" : NULL;
  so.days_per_unit = 7;
  bool any = sk__day_bound(tx, so.date, true, &so.calibration_end);
  if (!any) {
    sk__unavailable(view, "transactions '%s' have no purchase dates to summarise", name);
    return;
  }
  so.observation_end = so.calibration_end;
  segkit_table *s = NULL;
  size_t skipped = 0;
  segkit_clv_model *m = NULL;
  segkit_clv_model *spend = NULL;
  segkit_clv_fit_options fo;
  segkit_clv_fit_options_init(&fo);
  if (segkit_clv_summarise(tx, &so, &s, &skipped, &e) != SEGKIT_OK) {
    sk__unavailable(view, "%s", e.message);
    return;
  }
  size_t n = segkit_table_n_rows(s);
  double *f = as_doubles(col(s, "frequency"), n);
  double *r = as_doubles(col(s, "recency"), n);
  double *T = as_doubles(col(s, "T"), n);
  double *mon = so.amount != NULL ? as_doubles(col(s, "monetary"), n) : NULL;
  double *p = malloc((n + 1) * sizeof *p);
  double *x = malloc((n + 1) * sizeof *x);
  double *v = mon != NULL ? malloc((n + 1) * sizeof *v) : NULL;
  segkit_clv_predict_options po;
  segkit_clv_predict_options_init(&po);
  if (f == NULL || r == NULL || T == NULL || p == NULL || x == NULL) {
    sk__unavailable(view, "out of memory");
  } else if (segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, f, r, T, NULL, n, &fo, &m, &e) !=
             SEGKIT_OK) {
    sk__unavailable(view, "BG/NBD could not be fitted to '%s': %s", name, e.message);
  } else {
    if (mon != NULL && segkit_clv_fit_spend(f, mon, n, &fo, &spend, &e) != SEGKIT_OK) {
      spend = NULL; /* value is left out; P(alive) and purchases still stand */
    }
    if (segkit_clv_predict(m, spend, f, r, T, mon, n, &po, p, x, NULL, spend != NULL ? v : NULL,
                           &e) != SEGKIT_OK) {
      sk__unavailable(view, "%s", e.message);
    } else {
      json_object_set_new(view, "source",
                          json_string(spend != NULL ? "fitted: BG/NBD and Gamma-Gamma by week"
                                                    : "fitted: BG/NBD by week"));
      json_object_set_new(view, "transactions", json_string(name));
      json_object_set_new(view, "horizon_weeks", json_real(po.horizon));
      json_t *params = json_object();
      for (size_t i = 0; i < segkit_clv_model_n_params(m); i++) {
        json_object_set_new(params, segkit_clv_model_param_name(m, i),
                            sk__num(segkit_clv_model_param(m, i)));
      }
      json_object_set_new(view, "params", params);
      size_t finite = 0;
      for (size_t i = 0; spend != NULL && i < n; i++) {
        finite += isfinite(v[i]);
      }
      fill(view, p, finite > 0 ? v : NULL, x, n);
      if (finite == 0) {
        /* Gamma-Gamma's mean spend is p gamma / (q - 1): with q <= 1 (spend heavier-tailed
         * than the model allows) it does not exist, and no value is honest */
        json_object_set_new(view, "value_reason",
                            json_string(spend != NULL
                                            ? "no predicted value: the Gamma-Gamma fit of spend "
                                              "has q <= 1, so mean spend is not finite"
                                            : "no predicted value: spend could not be fitted"));
      }
    }
  }
  segkit_clv_model_free(m);
  segkit_clv_model_free(spend);
  segkit_table_free(s);
  free(f);
  free(r);
  free(T);
  free(mon);
  free(p);
  free(x);
  free(v);
}

segkit_status sk__view_clv(sk_ctx *c, json_t *view, segkit_error *err) {
  (void)err;
  const char *stored = stored_predictions(c);
  if (stored != NULL) {
    from_stored(c, view, stored);
    return SEGKIT_OK;
  }
  const char *tx = sk__dataset(c, "transactions");
  if (tx == NULL) {
    sk__unavailable(view, "no CLV predictions and no transactions to fit them on: run segkit "
                          "clv fit --model bgnbd --dataset NAME --save M, then segkit clv "
                          "predict M --as M_pred");
    return SEGKIT_OK;
  }
  fitted(c, view, tx);
  return SEGKIT_OK;
}
