/* kprototypes.c: k-prototypes for mixed numeric and categorical data (Z. Huang, "Clustering
 * large data sets with mixed numeric and categorical values", PAKDD 1997; "Extensions to
 * the k-means algorithm for clustering large data sets with categorical values", Data
 * Mining and Knowledge Discovery 2(3), 1998). The dissimilarity of a row to a prototype is
 * the squared Euclidean distance over the numeric columns plus gamma times the number of
 * categorical items that differ from the prototype's modes (Huang 1997, eq. 2); a
 * prototype is the weighted mean of its rows' numeric columns and the weighted mode of each
 * item (ties to the smallest code).
 *
 * Key design choices: batch updates, as Lloyd's k-means (assign every row, then recompute
 * every prototype), rather than Huang's per-row moves, so the assignment runs on both
 * cores and the result does not depend on the thread count; the cost never increases in
 * either step, so the iteration stops when no label changes. Initial prototypes: k
 * distinct rows drawn at random (Huang 1998, section 4.1, method 1, randomised per start),
 * `restarts` starts from streams (seed, start), lowest cost kept. gamma defaults to half
 * the mean population standard deviation of the numeric columns (Huang 1997 suggests
 * 1/3 to 2/3 of it; the kmodes package uses 0.5), 1 when every numeric column is
 * constant. An empty cluster takes the row with the highest cost to its prototype. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/kmeans_int.h"

#define DEFAULT_RESTARTS 10
#define DEFAULT_MAX_ITER 300

typedef struct kp_model {
  size_t k, d, n_cat;
  double gamma;
  double *mean;    /* k x d */
  int32_t *mode;   /* k x n_cat */
} kp_model;

static double kp_cost(const kp_model *p, const double *x, const int32_t *cat, size_t c) {
  const double *mu = p->mean + c * p->d;
  double num = 0;
  for (size_t j = 0; j < p->d; j++) {
    double e = x[j] - mu[j];
    num += e * e;
  }
  const int32_t *mo = p->mode + c * p->n_cat;
  size_t mism = 0;
  for (size_t t = 0; t < p->n_cat; t++) {
    mism += cat[t] != mo[t];
  }
  return num + p->gamma * (double)mism;
}

static int32_t kp_nearest(const kp_model *p, const double *x, const int32_t *cat,
                          double *cost_out) {
  int32_t best = 0;
  double bc = kp_cost(p, x, cat, 0);
  for (size_t c = 1; c < p->k; c++) {
    double v = kp_cost(p, x, cat, c);
    if (v < bc) { /* strict: ties to the smallest label */
      bc = v;
      best = (int32_t)c;
    }
  }
  *cost_out = bc;
  return best;
}

/* ---- assignment pass (both cores) --------------------------------------------------- */

typedef struct kp_pass {
  const segkit_cluster_data *data;
  const kp_model *p;
  int32_t *labels;
  double *seg_cost;
  size_t *seg_changed;
} kp_pass;

static void kp_segment(void *arg, size_t seg, size_t r0, size_t r1, sk__km_scratch *s) {
  (void)s;
  kp_pass *c = arg;
  const segkit_cluster_data *data = c->data;
  double cost = 0;
  size_t changed = 0;
  for (size_t i = r0; i < r1; i++) {
    double v;
    int32_t lab = kp_nearest(c->p, data->x + i * data->d, data->cat + i * data->n_cat, &v);
    cost += (data->weights ? data->weights[i] : 1.0) * v;
    changed += c->labels[i] != lab;
    c->labels[i] = lab;
  }
  c->seg_cost[seg] = cost;
  c->seg_changed[seg] = changed;
}

/* Labels every row; returns false on allocation failure. */
static bool kp_assign(const sk__km_data *kd, const segkit_cluster_data *data,
                      const kp_model *p, int32_t *labels, double *cost, size_t *changed) {
  kp_pass c = {data, p, labels, NULL, NULL};
  c.seg_cost = malloc(kd->n_seg * sizeof *c.seg_cost);
  c.seg_changed = malloc(kd->n_seg * sizeof *c.seg_changed);
  bool ok = c.seg_cost && c.seg_changed && sk__km_for_segments(kd, 1, kp_segment, &c);
  if (ok) {
    *cost = 0;
    *changed = 0;
    for (size_t s = 0; s < kd->n_seg; s++) {
      *cost += c.seg_cost[s];
      *changed += c.seg_changed[s];
    }
  }
  free(c.seg_cost);
  free(c.seg_changed);
  return ok;
}

/* ---- update ---------------------------------------------------------------------------- */

typedef struct kp_work {
  double *sums;     /* k x d */
  double *wsum;     /* k */
  double *counts;   /* k x sum_levels */
  size_t *offset;   /* n_cat */
  size_t sum_levels;
  bool *taken;      /* n: rows already used to re-seed an empty cluster this update */
} kp_work;

/* The row with the highest weighted-free cost to its prototype, not yet taken. */
static size_t costliest_row(const segkit_cluster_data *data, const kp_model *p,
                            const int32_t *labels, const bool *taken) {
  size_t best = data->n;
  double bc = -1;
  for (size_t i = 0; i < data->n; i++) {
    if (taken[i] || (data->weights && !(data->weights[i] > 0))) {
      continue;
    }
    double v = kp_cost(p, data->x + i * data->d, data->cat + i * data->n_cat, (size_t)labels[i]);
    if (v > bc) {
      bc = v;
      best = i;
    }
  }
  return best;
}

static void kp_update(const segkit_cluster_data *data, const int32_t *labels, kp_model *p,
                      kp_work *w) {
  size_t k = p->k;
  size_t d = p->d;
  memset(w->counts, 0, k * w->sum_levels * sizeof *w->counts);
  memset(w->wsum, 0, k * sizeof *w->wsum);
  double *sums = w->sums;
  memset(sums, 0, k * d * sizeof *sums);
  for (size_t i = 0; i < data->n; i++) {
    double wi = data->weights ? data->weights[i] : 1.0;
    size_t c = (size_t)labels[i];
    w->wsum[c] += wi;
    for (size_t j = 0; j < d; j++) {
      sums[c * d + j] += wi * data->x[i * d + j];
    }
    for (size_t t = 0; t < p->n_cat; t++) {
      w->counts[c * w->sum_levels + w->offset[t] + (size_t)data->cat[i * p->n_cat + t]] += wi;
    }
  }
  memset(w->taken, 0, data->n * sizeof *w->taken);
  for (size_t c = 0; c < k; c++) {
    if (!(w->wsum[c] > 0)) {
      size_t i = costliest_row(data, p, labels, w->taken);
      if (i < data->n) {
        w->taken[i] = true;
        memcpy(p->mean + c * d, data->x + i * d, d * sizeof *p->mean);
        memcpy(p->mode + c * p->n_cat, data->cat + i * p->n_cat, p->n_cat * sizeof *p->mode);
      }
      continue;
    }
    for (size_t j = 0; j < d; j++) {
      p->mean[c * d + j] = sums[c * d + j] / w->wsum[c];
    }
    for (size_t t = 0; t < p->n_cat; t++) {
      const double *ct = w->counts + c * w->sum_levels + w->offset[t];
      int32_t best = 0;
      for (int32_t l = 1; l < data->levels[t]; l++) {
        if (ct[l] > ct[best]) { /* strict: ties to the smallest code */
          best = l;
        }
      }
      p->mode[c * p->n_cat + t] = best;
    }
  }
}

/* ---- initialisation ------------------------------------------------------------------ */

static bool same_row(const segkit_cluster_data *data, size_t a, size_t b) {
  return memcmp(data->x + a * data->d, data->x + b * data->d, data->d * sizeof(double)) == 0 &&
         memcmp(data->cat + a * data->n_cat, data->cat + b * data->n_cat,
                data->n_cat * sizeof(int32_t)) == 0;
}

static bool usable(const segkit_cluster_data *data, size_t i, const size_t *chosen,
                   size_t n_chosen) {
  if (data->weights && !(data->weights[i] > 0)) {
    return false;
  }
  for (size_t c = 0; c < n_chosen; c++) {
    if (same_row(data, i, chosen[c])) {
      return false;
    }
  }
  return true;
}

/* k distinct rows (with positive weight) at random; false when there are not k. */
static bool kp_init(const segkit_cluster_data *data, kp_model *p, sk__rng *rng, size_t *chosen) {
  size_t n = data->n;
  size_t got = 0;
  for (size_t tries = 0; got < p->k && tries < 20 * p->k + 100; tries++) {
    size_t i = (size_t)(sk__rng_uniform(rng) * (double)n);
    i = i < n ? i : n - 1;
    if (usable(data, i, chosen, got)) {
      chosen[got++] = i;
    }
  }
  /* Few distinct rows: take the next usable rows from a random offset, in order. */
  size_t start = (size_t)(sk__rng_uniform(rng) * (double)n) % n;
  for (size_t q = 0; q < n && got < p->k; q++) {
    size_t i = (start + q) % n;
    if (usable(data, i, chosen, got)) {
      chosen[got++] = i;
    }
  }
  if (got < p->k) {
    return false;
  }
  for (size_t c = 0; c < p->k; c++) {
    memcpy(p->mean + c * p->d, data->x + chosen[c] * p->d, p->d * sizeof *p->mean);
    memcpy(p->mode + c * p->n_cat, data->cat + chosen[c] * p->n_cat,
           p->n_cat * sizeof *p->mode);
  }
  return true;
}

static double default_gamma(const segkit_cluster_data *data) {
  double mean_sd = 0;
  for (size_t j = 0; j < data->d; j++) {
    double s = 0;
    for (size_t i = 0; i < data->n; i++) {
      s += data->x[i * data->d + j];
    }
    double mu = s / (double)data->n;
    double ss = 0;
    for (size_t i = 0; i < data->n; i++) {
      double e = data->x[i * data->d + j] - mu;
      ss += e * e;
    }
    mean_sd += sqrt(ss / (double)data->n);
  }
  mean_sd /= (double)data->d;
  return mean_sd > 0 ? 0.5 * mean_sd : 1.0;
}

/* ---- fit ------------------------------------------------------------------------------- */

typedef struct kp_fit {
  kp_model p;
  kp_work w;
  int32_t *labels;
  size_t *chosen;
} kp_fit;

static void kp_fit_free(kp_fit *f) {
  free(f->p.mean);
  free(f->p.mode);
  free(f->w.sums);
  free(f->w.wsum);
  free(f->w.counts);
  free(f->w.offset);
  free(f->w.taken);
  free(f->labels);
  free(f->chosen);
}

static bool kp_fit_alloc(kp_fit *f, const segkit_cluster_data *data, size_t k) {
  size_t d = data->d;
  size_t nc = data->n_cat;
  f->p.k = k;
  f->p.d = d;
  f->p.n_cat = nc;
  f->p.mean = malloc(k * d * sizeof *f->p.mean);
  f->p.mode = malloc(k * nc * sizeof *f->p.mode);
  f->w.offset = malloc(nc * sizeof *f->w.offset);
  f->w.wsum = malloc(k * sizeof *f->w.wsum);
  f->w.sums = malloc(k * d * sizeof *f->w.sums);
  f->w.taken = malloc(data->n * sizeof *f->w.taken);
  f->labels = malloc(data->n * sizeof *f->labels);
  f->chosen = malloc(k * sizeof *f->chosen);
  if (!f->p.mean || !f->p.mode || !f->w.offset || !f->w.wsum || !f->w.sums || !f->w.taken ||
      !f->labels || !f->chosen) {
    return false;
  }
  f->w.sum_levels = 0;
  for (size_t t = 0; t < nc; t++) {
    f->w.offset[t] = f->w.sum_levels;
    f->w.sum_levels += (size_t)data->levels[t];
  }
  f->w.counts = malloc(k * f->w.sum_levels * sizeof *f->w.counts);
  return f->w.counts != NULL;
}

typedef struct kp_result {
  double cost;
  int iterations;
  bool converged;
} kp_result;

static segkit_status kp_run(const sk__km_data *kd, const segkit_cluster_data *data, kp_fit *f,
                            int max_iter, sk__rng *rng, kp_result *res, segkit_error *err) {
  if (!kp_init(data, &f->p, rng, f->chosen)) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "k = %zu but the rows (with positive weight) have fewer distinct "
                            "values",
                            f->p.k);
  }
  for (size_t i = 0; i < data->n; i++) {
    f->labels[i] = -1;
  }
  res->converged = false;
  res->iterations = 0;
  double cost = 0;
  size_t changed = 0;
  for (int it = 0; it < max_iter; it++) {
    if (!kp_assign(kd, data, &f->p, f->labels, &cost, &changed)) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-prototypes: out of memory");
    }
    if (changed == 0) {
      res->converged = true; /* the prototypes already summarise these labels */
      break;
    }
    kp_update(data, f->labels, &f->p, &f->w);
    res->iterations = it + 1;
  }
  if (!res->converged && !kp_assign(kd, data, &f->p, f->labels, &cost, &changed)) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-prototypes: out of memory");
  }
  res->cost = cost;
  return SEGKIT_OK;
}

segkit_status sk__kprototypes_fit(const segkit_cluster_data *data,
                                  const segkit_cluster_options *opt,
                                  segkit_cluster_model **out, segkit_error *err) {
  size_t n = data->n;
  size_t d = data->d;
  size_t k = opt->k;
  size_t nc = data->n_cat;
  int restarts = opt->restarts > 0 ? opt->restarts : DEFAULT_RESTARTS;
  int max_iter = opt->max_iter > 0 ? opt->max_iter : DEFAULT_MAX_ITER;
  kp_fit f = {0};
  segkit_cluster_model *m = sk__cluster_model_new(SEGKIT_CLUSTER_KPROTOTYPES, k, d, nc);
  bool ok = m && kp_fit_alloc(&f, data, k);
  if (ok) {
    m->labels = malloc(n * sizeof *m->labels);
    m->centroids = malloc(k * d * sizeof *m->centroids);
    m->modes = malloc(k * nc * sizeof *m->modes);
    m->levels = malloc(nc * sizeof *m->levels);
    ok = m->labels && m->centroids && m->modes && m->levels;
  }
  if (!ok) {
    kp_fit_free(&f);
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-prototypes: out of memory");
  }
  memcpy(m->levels, data->levels, nc * sizeof *m->levels);
  f.p.gamma = opt->gamma > 0 ? opt->gamma : default_gamma(data);
  m->gamma = f.p.gamma;
  m->n = n;
  m->inertia = INFINITY;
  sk__km_data kd;
  sk__km_data_init(&kd, data->x, data->weights, n, d, opt->n_threads);
  for (int s = 0; s < restarts; s++) {
    sk__rng rng;
    sk__rng_init(&rng, opt->seed, SK__KM_STREAM_KPROTO, (uint64_t)s);
    kp_result res;
    segkit_status st = kp_run(&kd, data, &f, max_iter, &rng, &res, err);
    if (st != SEGKIT_OK) {
      kp_fit_free(&f);
      segkit_cluster_model_free(m);
      return st;
    }
    if (res.cost < m->inertia) {
      m->inertia = res.cost;
      m->iterations = res.iterations;
      m->converged = res.converged;
      m->best_start = s;
      memcpy(m->labels, f.labels, n * sizeof *m->labels);
      memcpy(m->centroids, f.p.mean, k * d * sizeof *m->centroids);
      memcpy(m->modes, f.p.mode, k * nc * sizeof *m->modes);
    }
  }
  kp_fit_free(&f);
  if (!sk__cluster_model_tally(m, data->weights)) {
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-prototypes: out of memory");
  }
  *out = m;
  return SEGKIT_OK;
}

segkit_status sk__kprototypes_assign(const segkit_cluster_model *m,
                                     const segkit_cluster_data *data, int32_t *labels,
                                     segkit_error *err) {
  if (!m->centroids || !m->modes || data->d != m->d || data->n_cat != m->n_cat) {
    return segkit_error_set(err, SEGKIT_ERR_SCHEMA,
                            "rows do not have the model's numeric and categorical columns");
  }
  kp_model p = {m->k, m->d, m->n_cat, m->gamma, m->centroids, m->modes};
  for (size_t i = 0; i < data->n; i++) {
    double v;
    labels[i] = kp_nearest(&p, data->x + i * data->d, data->cat + i * data->n_cat, &v);
  }
  return SEGKIT_OK;
}
