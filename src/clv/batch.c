/* batch.c: predictions for many customers at once, on every core.
 *
 * Key design choices:
 *   - predictions depend on a customer's (frequency, recency, T) only — value too, as the
 *     expected spend times the discounted expected purchases of the history — so each
 *     distinct triple is predicted once (10 M customers of a day-based summary are some
 *     200,000 triples) and the results are copied to the customers; the triples are found
 *     with a hash table that grows with their number;
 *   - work is cut into contiguous ranges, one per thread, each writing only its own slice,
 *     so the result is the same whatever the thread count; and every value is computed by
 *     the per-customer functions of predict.c and value.c: one definition of each
 *     prediction, and rows equal to them bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clv/clv_int.h"
#include "core/core_int.h"

enum { ROWS_PER_THREAD = 4096, MIN_DEDUP_ROWS = 1024 };

/* ---- distinct triples ------------------------------------------------------------------ */

typedef struct triples {
  size_t n, cap;            /* distinct triples, capacity of the arrays */
  double *f, *r, *T;        /* the distinct triples */
  uint32_t *slot;           /* hash table of triple index + 1 (0 = empty), 2^bits slots */
  size_t bits;
  uint32_t *of_row;         /* each row's triple */
} triples;

static void triples_free(triples *t) {
  free(t->f);
  free(t->r);
  free(t->T);
  free(t->slot);
  free(t->of_row);
}

static uint64_t bits_of(double v) {
  uint64_t u;
  v = v == 0.0 ? 0.0 : v; /* -0.0 and 0.0 are one value */
  memcpy(&u, &v, sizeof u);
  return u;
}

/* core's byte hash over the three canonical bit patterns: small whole numbers as doubles
 * have all-zero low bits, which a plain multiplicative mix leaves in the slot index */
static uint64_t hash_triple(double f, double r, double T) {
  uint64_t key[3] = {bits_of(f), bits_of(r), bits_of(T)};
  return sk__hash_bytes(key, sizeof key, 0);
}

static bool same_triple(const triples *t, size_t k, double f, double r, double T) {
  return bits_of(t->f[k]) == bits_of(f) && bits_of(t->r[k]) == bits_of(r) &&
         bits_of(t->T[k]) == bits_of(T);
}

static bool grow_table(triples *t) {
  size_t bits = t->bits + 1;
  uint32_t *slot = calloc((size_t)1 << bits, sizeof *slot);
  if (slot == NULL) {
    return false;
  }
  size_t mask = ((size_t)1 << bits) - 1;
  for (size_t k = 0; k < t->n; k++) {
    size_t i = (size_t)hash_triple(t->f[k], t->r[k], t->T[k]) & mask;
    while (slot[i] != 0) {
      i = (i + 1) & mask;
    }
    slot[i] = (uint32_t)(k + 1);
  }
  free(t->slot);
  t->slot = slot;
  t->bits = bits;
  return true;
}

static bool grow_arrays(triples *t) {
  size_t cap = t->cap * 2;
  double *f = realloc(t->f, cap * sizeof *f);
  if (f != NULL) {
    t->f = f;
  }
  double *r = f != NULL ? realloc(t->r, cap * sizeof *r) : NULL;
  if (r != NULL) {
    t->r = r;
  }
  double *T = r != NULL ? realloc(t->T, cap * sizeof *T) : NULL;
  if (T != NULL) {
    t->T = T;
    t->cap = cap;
  }
  return T != NULL;
}

/* Distinct triples of n rows (n < 2^32) and each row's triple. */
static bool collect(const double *f, const double *r, const double *T, size_t n, triples *t) {
  memset(t, 0, sizeof *t);
  t->cap = 1024;
  t->bits = 11;
  t->f = malloc(t->cap * sizeof *t->f);
  t->r = malloc(t->cap * sizeof *t->r);
  t->T = malloc(t->cap * sizeof *t->T);
  t->slot = calloc((size_t)1 << t->bits, sizeof *t->slot);
  t->of_row = malloc(n * sizeof *t->of_row);
  if (!t->f || !t->r || !t->T || !t->slot || !t->of_row) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    size_t mask = ((size_t)1 << t->bits) - 1;
    size_t s = (size_t)hash_triple(f[i], r[i], T[i]) & mask;
    while (t->slot[s] != 0 && !same_triple(t, t->slot[s] - 1, f[i], r[i], T[i])) {
      s = (s + 1) & mask;
    }
    if (t->slot[s] != 0) {
      t->of_row[i] = t->slot[s] - 1;
      continue;
    }
    if (t->n == t->cap && !grow_arrays(t)) {
      return false;
    }
    size_t k = t->n++;
    t->f[k] = f[i];
    t->r[k] = r[i];
    t->T[k] = T[i];
    t->of_row[i] = (uint32_t)k;
    t->slot[s] = (uint32_t)(k + 1);
    if (2 * t->n > ((size_t)1 << t->bits) && !grow_table(t)) {
      return false;
    }
  }
  return true;
}

/* ---- the work --------------------------------------------------------------------------- */

typedef struct batch_job {
  const segkit_clv_model *purchases;
  const segkit_clv_model *spend;
  const double *f, *r, *T, *m;
  const segkit_clv_predict_options *opt;
  double *p_alive, *expected, *spend_out, *value;  /* per row (the caller's) */
  const triples *tr;                               /* NULL: rows one by one */
  double *t_alive, *t_expected, *t_discounted;     /* per distinct triple */
  size_t begin, end;
  int phase;                                       /* 0: triples, 1: rows */
} batch_job;

static void *run_range(void *arg) {
  batch_job *j = arg;
  const segkit_clv_predict_options *o = j->opt;
  if (j->phase == 0) {
    const triples *t = j->tr;
    for (size_t k = j->begin; k < j->end; k++) {
      if (j->t_alive != NULL) {
        j->t_alive[k] = segkit_clv_p_alive(j->purchases, t->f[k], t->r[k], t->T[k]);
      }
      if (j->t_expected != NULL) {
        j->t_expected[k] =
            segkit_clv_expected_purchases(j->purchases, o->horizon, t->f[k], t->r[k], t->T[k]);
      }
      if (j->t_discounted != NULL) {
        j->t_discounted[k] = sk__clv_discounted_purchases(j->purchases, t->f[k], t->r[k],
                                                          t->T[k], o->horizon, o->step,
                                                          o->discount);
      }
    }
    return NULL;
  }
  for (size_t i = j->begin; i < j->end; i++) {
    double f = j->f[i], r = j->r[i], T = j->T[i];
    size_t k = j->tr != NULL ? j->tr->of_row[i] : 0;
    if (j->p_alive != NULL) {
      j->p_alive[i] = j->tr != NULL ? j->t_alive[k] : segkit_clv_p_alive(j->purchases, f, r, T);
    }
    if (j->expected != NULL) {
      j->expected[i] = j->tr != NULL
                           ? j->t_expected[k]
                           : segkit_clv_expected_purchases(j->purchases, o->horizon, f, r, T);
    }
    if (j->spend == NULL) {
      continue;
    }
    double money = j->m != NULL && isfinite(j->m[i]) ? j->m[i] : 0.0;
    double es = segkit_clv_expected_spend(j->spend, f, money);
    if (j->spend_out != NULL) {
      j->spend_out[i] = es;
    }
    if (j->value != NULL) {
      if (j->tr == NULL) {
        j->value[i] = segkit_clv_value(j->purchases, j->spend, f, r, T, money, o->horizon,
                                       o->step, o->discount);
      } else {
        /* segkit_clv_value is exactly this product (value.c) */
        j->value[i] = isnan(es) ? NAN : es * j->t_discounted[k];
      }
    }
  }
  return NULL;
}

static void run_phase(batch_job *proto, int phase, size_t n, int threads_asked) {
  int workers = sk__worker_count(threads_asked, n, ROWS_PER_THREAD);
  batch_job jobs[SK__MAX_WORKERS];
  for (int w = 0; w < workers; w++) {
    jobs[w] = *proto;
    jobs[w].phase = phase;
    jobs[w].begin = n * (size_t)w / (size_t)workers;
    jobs[w].end = n * (size_t)(w + 1) / (size_t)workers;
  }
  sk__run_workers(run_range, jobs, sizeof jobs[0], workers);
}

void segkit_clv_predict_options_init(segkit_clv_predict_options *opt) {
  opt->horizon = 52.0;
  opt->step = 4.0;
  opt->discount = 0.0;
  opt->n_threads = 0;
}

segkit_status segkit_clv_predict(const segkit_clv_model *purchases,
                                 const segkit_clv_model *spend, const double *frequency,
                                 const double *recency, const double *T,
                                 const double *monetary, size_t n,
                                 const segkit_clv_predict_options *opt, double *p_alive,
                                 double *expected_purchases, double *expected_spend,
                                 double *value, segkit_error *err) {
  segkit_clv_predict_options defaults;
  segkit_clv_predict_options_init(&defaults);
  if (opt == NULL) {
    opt = &defaults;
  }
  if (purchases == NULL ||
      (purchases->kind != SEGKIT_CLV_BGNBD && purchases->kind != SEGKIT_CLV_PARETONBD)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "predictions need a purchase model (bgnbd or paretonbd)");
  }
  if (spend != NULL && spend->kind != SEGKIT_CLV_GAMMAGAMMA) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "the spend model must be gammagamma");
  }
  if ((expected_spend != NULL || value != NULL) && spend == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "expected spend and value need a gammagamma spend model");
  }
  if (!(opt->horizon > 0) || isinf(opt->horizon) || !(opt->step > 0) || isinf(opt->step) ||
      !(opt->discount >= 0) || isinf(opt->discount) || opt->n_threads < 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "predict options: horizon and step must be > 0, discount >= 0, "
                            "n_threads >= 0 (got %g, %g, %g, %d)",
                            opt->horizon, opt->step, opt->discount, opt->n_threads);
  }
  if (n > 0 && (frequency == NULL || recency == NULL || T == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "frequency, recency and T are required");
  }
  batch_job proto = {.purchases = purchases, .spend = spend, .f = frequency, .r = recency,
                     .T = T, .m = monetary, .opt = opt, .p_alive = p_alive,
                     .expected = expected_purchases, .spend_out = expected_spend,
                     .value = value};
  triples tr;
  memset(&tr, 0, sizeof tr);
  double *per_triple = NULL;
  /* small inputs, and more than 2^32 rows, go row by row */
  if (n >= MIN_DEDUP_ROWS && n < UINT32_MAX && collect(frequency, recency, T, n, &tr) &&
      2 * tr.n < n) {
    per_triple = malloc(3 * tr.n * sizeof *per_triple);
  }
  if (per_triple != NULL) {
    proto.tr = &tr;
    proto.t_alive = p_alive != NULL ? per_triple : NULL;
    proto.t_expected = expected_purchases != NULL ? per_triple + tr.n : NULL;
    proto.t_discounted = value != NULL ? per_triple + 2 * tr.n : NULL;
    run_phase(&proto, 0, tr.n, opt->n_threads);
  }
  run_phase(&proto, 1, n, opt->n_threads);
  free(per_triple);
  triples_free(&tr);
  return SEGKIT_OK;
}
