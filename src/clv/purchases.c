/* purchases.c: segkit_clv_fit_purchases — checks the customers' (frequency, recency, T)
 * rows, collapses them into distinct triples with summed weights and hands those to the
 * BG/NBD or Pareto/NBD fit.
 *
 * Key design choice: the likelihood is evaluated once per distinct triple, never per
 * customer, so a fit costs what its distinct triples cost (lifetimes leaves that to the
 * caller with its `weights`). Collapsing sorts a copy of the rows by (frequency, recency,
 * T) and merges exact duplicates; rows of weight 0 are dropped. Errors name the offending
 * row by its 0-based index in the caller's arrays. */
#include <math.h>
#include <stdlib.h>

#include "clv/purchases_int.h"

typedef struct row {
  double x, tx, T, w;
} row;

static int compare_rows(const void *pa, const void *pb) {
  const row *a = pa;
  const row *b = pb;
  if (a->x != b->x) {
    return a->x < b->x ? -1 : 1;
  }
  if (a->tx != b->tx) {
    return a->tx < b->tx ? -1 : 1;
  }
  if (a->T != b->T) {
    return a->T < b->T ? -1 : 1;
  }
  return 0;
}

static segkit_status check_row(size_t i, double x, double tx, double T, double w,
                               segkit_error *err) {
  if (!isfinite(x) || !isfinite(tx) || !isfinite(T) || !isfinite(w)) {
    const char *field = !isfinite(x)    ? "frequency"
                        : !isfinite(tx) ? "recency"
                        : !isfinite(T)  ? "T"
                                        : "weights";
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, field,
                               "row %zu: %s is not a finite number", i, field);
  }
  if (x < 0.0) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "frequency",
                               "row %zu: frequency %g is negative", i, x);
  }
  if (tx < 0.0) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "recency",
                               "row %zu: recency %g is negative", i, tx);
  }
  if (tx > T) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "recency",
                               "row %zu: recency %g is greater than T %g (expected recency "
                               "<= T)",
                               i, tx, T);
  }
  if (x == 0.0 && tx > 0.0) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "recency",
                               "row %zu: recency %g with frequency 0 (expected recency 0 "
                               "without repeat purchases)",
                               i, tx);
  }
  if (w < 0.0) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "weights",
                               "row %zu: weight %g is negative", i, w);
  }
  return SEGKIT_OK;
}

/* Checked, weighted rows sorted and merged in place; returns the distinct count. */
static size_t collapse(row *rows, size_t n) {
  qsort(rows, n, sizeof *rows, compare_rows);
  size_t out = 0;
  for (size_t i = 0; i < n; i++) {
    if (out > 0 && compare_rows(&rows[out - 1], &rows[i]) == 0) {
      rows[out - 1].w += rows[i].w;
    } else {
      rows[out++] = rows[i];
    }
  }
  return out;
}

static segkit_status fit_triples(segkit_clv_kind kind, const row *rows, size_t n,
                                 const segkit_clv_fit_options *opt, segkit_clv_model **out,
                                 segkit_error *err) {
  double *cols = malloc(4 * n * sizeof *cols);
  if (cols == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu distinct customers", n);
  }
  sk__clv_triples d = {.n = n, .x = cols, .tx = cols + n, .T = cols + 2 * n, .w = cols + 3 * n};
  for (size_t i = 0; i < n; i++) {
    cols[i] = rows[i].x;
    cols[n + i] = rows[i].tx;
    cols[2 * n + i] = rows[i].T;
    cols[3 * n + i] = rows[i].w;
    d.total_w += rows[i].w;
    d.max_T = fmax(d.max_T, rows[i].T);
  }
  if (!(d.max_T > 0.0)) {
    free(cols);
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "T",
                               "every T is 0 (expected some customer observed for a while)");
  }
  segkit_clv_model *m = sk__clv_model_new(kind);
  if (m == NULL) {
    free(cols);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the model");
  }
  m->n = d.total_w;
  segkit_status st = kind == SEGKIT_CLV_BGNBD ? sk__clv_fit_bgnbd(&d, opt, m, err)
                                              : sk__clv_fit_paretonbd(&d, opt, m, err);
  free(cols);
  if (st != SEGKIT_OK) {
    segkit_clv_model_free(m);
    return st;
  }
  *out = m;
  return SEGKIT_OK;
}

segkit_status segkit_clv_fit_purchases(segkit_clv_kind kind, const double *frequency,
                                       const double *recency, const double *T,
                                       const double *weights, size_t n,
                                       const segkit_clv_fit_options *opt,
                                       segkit_clv_model **out, segkit_error *err) {
  if (kind != SEGKIT_CLV_BGNBD && kind != SEGKIT_CLV_PARETONBD) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "model kind %d is not a purchase model (expected bgnbd or "
                            "paretonbd)",
                            (int)kind);
  }
  if (out == NULL || (n > 0 && (frequency == NULL || recency == NULL || T == NULL))) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "missing frequency, recency, T or out");
  }
  if (opt != NULL && !(opt->penalizer >= 0.0 && isfinite(opt->penalizer))) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "penalizer",
                               "penalizer %g (expected a finite number >= 0)", opt->penalizer);
  }
  if (n == 0) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "no customers to fit");
  }
  if (n > SIZE_MAX / sizeof(row)) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "too many customers (%zu)", n);
  }
  row *rows = malloc(n * sizeof *rows);
  if (rows == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    double w = weights != NULL ? weights[i] : 1.0;
    segkit_status st = check_row(i, frequency[i], recency[i], T[i], w, err);
    if (st != SEGKIT_OK) {
      free(rows);
      return st;
    }
    if (w > 0.0) {
      rows[kept++] = (row){.x = frequency[i], .tx = recency[i], .T = T[i], .w = w};
    }
  }
  if (kept == 0) {
    free(rows);
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "every customer has weight 0");
  }
  size_t distinct = collapse(rows, kept);
  segkit_status st = fit_triples(kind, rows, distinct, opt, out, err);
  free(rows);
  return st;
}

segkit_status sk__clv_fit_four(const sk__clv_triples *d, sk__clv_objective objective, void *ctx,
                               const segkit_clv_fit_options *opt, const int *scaled,
                               size_t n_scaled,
                               double (*loglik)(const double *p, double x, double tx, double T),
                               segkit_clv_model *m, segkit_error *err) {
  const double start[4] = {0.0, 0.0, 0.0, 0.0};
  double logp[4];
  double value;
  double se[4];
  int iterations = 0;
  segkit_status st = sk__clv_minimise(4, objective, ctx, start, opt, logp, &value, &iterations,
                                      se, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  for (int i = 0; i < 4; i++) {
    m->params[i] = exp(logp[i]);
    m->se[i] = se[i];
  }
  for (size_t k = 0; k < n_scaled; k++) {
    m->params[scaled[k]] *= d->max_T;
    m->se[scaled[k]] *= d->max_T;
  }
  double ll = 0.0;
  for (size_t i = 0; i < d->n; i++) {
    ll += d->w[i] * loglik(m->params, d->x[i], d->tx[i], d->T[i]);
  }
  m->log_likelihood = ll;
  m->iterations = iterations;
  return SEGKIT_OK;
}
