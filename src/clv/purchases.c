/* purchases.c: segkit_clv_fit_purchases — checks the customers' (frequency, recency, T)
 * rows, collapses them into distinct triples with summed weights and hands those to the
 * BG/NBD or Pareto/NBD fit.
 *
 * Key design choice: the likelihood is evaluated once per distinct triple, never per
 * customer, so a fit costs what its distinct triples cost (lifetimes leaves that to the
 * caller with its `weights`). Collapsing is one pass over the rows through an
 * open-addressing hash table keyed by the triple's bits, which grows with the distinct
 * count: the memory beyond the caller's arrays is O(distinct triples), not O(customers)
 * (10 million customers of a typical log have a few hundred thousand triples). The
 * distinct triples are then sorted, so the fit does not depend on the row order, and rows
 * of weight 0 are dropped. Errors name the offending row by its 0-based index in the
 * caller's arrays. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

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

/* ==== special functions without global state ============================================== */

double sk__clv_lngamma(double y) {
  if (!(y > 0.0)) {
    return NAN;
  }
  if (y > 1e300) {
    /* Stirling's leading terms: GSL would overflow-check and call its error handler. */
    return y * (log(y) - 1.0);
  }
  return gsl_sf_lngamma(y);
}

double sk__clv_digamma(double y) {
  /* GSL handles every finite y > 0 whose 1/y does not overflow; below that digamma is
   * -1/y to double precision. */
  if (!(y > 0.0) || !isfinite(y)) {
    return NAN;
  }
  if (y < 1e-300) {
    return -1.0 / y;
  }
  return gsl_sf_psi(y);
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

/* ==== collapsing into distinct triples ==================================================== */

/* The hash table: slots hold 1 + the index of a distinct row (0 = empty), linear probing,
 * at most half full. */
typedef struct triple_set {
  row *rows;
  size_t n;
  size_t cap;
  uint32_t *slots;
  size_t mask;  /* slot count - 1 (a power of two) */
} triple_set;

enum { INITIAL_SLOTS = 1024 };

static uint64_t bits_of(double v) {
  uint64_t u;
  v += 0.0; /* -0.0 and 0.0 compare equal: give them one key */
  memcpy(&u, &v, sizeof u);
  return u;
}

static uint64_t hash_triple(double x, double tx, double T) {
  uint64_t h = bits_of(x) * UINT64_C(0x9E3779B97F4A7C15);
  h ^= bits_of(tx) + UINT64_C(0xBF58476D1CE4E5B9) + (h << 6) + (h >> 2);
  h ^= bits_of(T) * UINT64_C(0x94D049BB133111EB);
  h ^= h >> 31;
  h *= UINT64_C(0xD6E8FEB86659FD93);
  return h ^ (h >> 32);
}

static bool set_rehash(triple_set *ts, size_t n_slots) {
  uint32_t *slots = calloc(n_slots, sizeof *slots);
  if (slots == NULL) {
    return false;
  }
  size_t mask = n_slots - 1;
  for (size_t i = 0; i < ts->n; i++) {
    size_t s = (size_t)hash_triple(ts->rows[i].x, ts->rows[i].tx, ts->rows[i].T) & mask;
    while (slots[s] != 0) {
      s = (s + 1) & mask;
    }
    slots[s] = (uint32_t)(i + 1);
  }
  free(ts->slots);
  ts->slots = slots;
  ts->mask = mask;
  return true;
}

/* Add weight w to the triple's row, creating it; false when out of memory or past the
 * uint32 index limit. */
static bool set_add(triple_set *ts, double x, double tx, double T, double w) {
  size_t s = (size_t)hash_triple(x, tx, T) & ts->mask;
  for (;;) {
    uint32_t v = ts->slots[s];
    if (v == 0) {
      break;
    }
    row *r = &ts->rows[v - 1];
    if (r->x == x && r->tx == tx && r->T == T) {
      r->w += w;
      return true;
    }
    s = (s + 1) & ts->mask;
  }
  if (ts->n == ts->cap) {
    size_t cap = ts->cap * 2;
    row *rows = cap <= SIZE_MAX / sizeof *rows ? realloc(ts->rows, cap * sizeof *rows) : NULL;
    if (rows == NULL || ts->n >= UINT32_MAX - 1) {
      if (rows != NULL) {
        ts->rows = rows;
      }
      return false;
    }
    ts->rows = rows;
    ts->cap = cap;
  }
  ts->rows[ts->n] = (row){.x = x + 0.0, .tx = tx + 0.0, .T = T + 0.0, .w = w};
  ts->slots[s] = (uint32_t)(ts->n + 1);
  ts->n++;
  if (2 * ts->n > ts->mask + 1) {
    return set_rehash(ts, 2 * (ts->mask + 1));
  }
  return true;
}

static void set_free(triple_set *ts) {
  free(ts->rows);
  free(ts->slots);
}

/* The sorted distinct rows as the columns of d (one block). */
static segkit_status to_triples(triple_set *ts, sk__clv_triples *d, segkit_error *err) {
  size_t n = ts->n;
  qsort(ts->rows, n, sizeof *ts->rows, compare_rows);
  double *cols = malloc(4 * n * sizeof *cols);
  if (cols == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu distinct customers", n);
  }
  *d = (sk__clv_triples){
      .n = n, .x = cols, .tx = cols + n, .T = cols + 2 * n, .w = cols + 3 * n, .block = cols};
  for (size_t i = 0; i < n; i++) {
    cols[i] = ts->rows[i].x;
    cols[n + i] = ts->rows[i].tx;
    cols[2 * n + i] = ts->rows[i].T;
    cols[3 * n + i] = ts->rows[i].w;
    d->total_w += ts->rows[i].w;
    d->max_T = fmax(d->max_T, ts->rows[i].T);
  }
  return SEGKIT_OK;
}

segkit_status sk__clv_collapse(const double *frequency, const double *recency, const double *T,
                               const double *weights, size_t n, sk__clv_triples *out,
                               segkit_error *err) {
  triple_set ts = {0};
  ts.cap = 256;
  ts.rows = malloc(ts.cap * sizeof *ts.rows);
  ts.slots = calloc(INITIAL_SLOTS, sizeof *ts.slots);
  ts.mask = INITIAL_SLOTS - 1;
  if (ts.rows == NULL || ts.slots == NULL) {
    set_free(&ts);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to collapse the customers");
  }
  for (size_t i = 0; i < n; i++) {
    double w = weights != NULL ? weights[i] : 1.0;
    segkit_status st = check_row(i, frequency[i], recency[i], T[i], w, err);
    if (st != SEGKIT_OK) {
      set_free(&ts);
      return st;
    }
    if (w > 0.0 && !set_add(&ts, frequency[i], recency[i], T[i], w)) {
      set_free(&ts);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM,
                              "no memory for the distinct customers (%zu so far)", ts.n);
    }
  }
  if (ts.n == 0) {
    set_free(&ts);
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "every customer has weight 0");
  }
  segkit_status st = to_triples(&ts, out, err);
  set_free(&ts);
  return st;
}

void sk__clv_triples_free(sk__clv_triples *d) {
  if (d != NULL) {
    free(d->block);
    d->block = NULL;
  }
}

/* ==== the fit ============================================================================== */

static segkit_status fit_triples(segkit_clv_kind kind, const sk__clv_triples *d,
                                 const segkit_clv_fit_options *opt, segkit_clv_model **out,
                                 segkit_error *err) {
  if (!(d->max_T > 0.0)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "T",
                               "every T is 0 (expected some customer observed for a while)");
  }
  segkit_clv_model *m = sk__clv_model_new(kind);
  if (m == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the model");
  }
  m->n = d->total_w;
  segkit_status st = kind == SEGKIT_CLV_BGNBD ? sk__clv_fit_bgnbd(d, opt, m, err)
                                              : sk__clv_fit_paretonbd(d, opt, m, err);
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
  sk__clv_triples d;
  segkit_status st = sk__clv_collapse(frequency, recency, T, weights, n, &d, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  st = fit_triples(kind, &d, opt, out, err);
  sk__clv_triples_free(&d);
  return st;
}

segkit_status sk__clv_fit_four(const sk__clv_triples *d, sk__clv_objective objective,
                               sk__clv_objective_grad objective_grad, void *ctx,
                               const segkit_clv_fit_options *opt, const int *scaled,
                               size_t n_scaled,
                               double (*loglik)(const double *p, double x, double tx, double T),
                               segkit_clv_model *m, segkit_error *err) {
  const double start[4] = {0.0, 0.0, 0.0, 0.0};
  double logp[4];
  double value;
  double se[4];
  int iterations = 0;
  segkit_status st = sk__clv_minimise_grad(4, objective, objective_grad, ctx, start, opt, logp,
                                           &value, &iterations, se, err);
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
