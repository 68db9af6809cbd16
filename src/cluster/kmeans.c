/* kmeans.c: the k-means driver — restarts, the iteration with its stopping rule, empty
 * clusters, the final assignment, and nearest-centroid assignment of new rows (used for
 * k-means, mini-batch and Ward models).
 *
 * Key design choice: scikit-learn's k-means semantics (sklearn.cluster.KMeans 1.2, Lloyd):
 * greedy k-means++ per start, iterate until no label changes or the sum of squared centre
 * moves is at most tol x the mean per-column variance of X, then one more assignment pass
 * so labels and inertia belong to the final centres; the start with the lowest weighted
 * inertia wins. Each start s draws from its own stream (seed, s), so starts do not depend
 * on one another and a start's result does not depend on the thread count. Lloyd's starts
 * run in lockstep (one read of X per pass serves them all, see kmeans_lloyd.c), Hamerly's
 * one after another (each has its own bounds). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/kmeans_int.h"

#define DEFAULT_RESTARTS 10
#define DEFAULT_MAX_ITER 300
#define DEFAULT_TOL 1e-4
/* AUTO: Lloyd (starts in lockstep) up to this k, else Hamerly start by start. Measured
 * (bench/run kmeans data, 1 M x 16, 2 threads, 2 starts): Lloyd 4.75 s / Hamerly 5.59 s at
 * k = 16, 10.1 / 10.3 s at k = 32, and at k = 8 (10 starts) 3.0 / 5.0 s: with the fused
 * kernel a pass costs little more than reading X, which Hamerly must do anyway for the
 * sums, so its bounds pay only when k is large. */
#define LOCKSTEP_MAX_K 64
/* AUTO with Hamerly: skip while the bounds skip at least this share of the rows. */
#define HAMERLY_MIN_SKIPPED 0.5

/* ---- column variances ------------------------------------------------------------------ */

typedef struct var_ctx {
  const sk__km_data *kd;
  double *seg;        /* n_seg x d */
  const double *mean; /* NULL on the first pass (sums), else the means (squared deviations) */
} var_ctx;

static void var_segment(void *arg, size_t seg, size_t r0, size_t r1, sk__km_scratch *s) {
  (void)s;
  var_ctx *c = arg;
  size_t d = c->kd->d;
  double *acc = c->seg + seg * d;
  memset(acc, 0, d * sizeof *acc);
  for (size_t i = r0; i < r1; i++) {
    const double *xr = c->kd->x + i * d;
    for (size_t j = 0; j < d; j++) {
      double v = c->mean ? xr[j] - c->mean[j] : xr[j];
      acc[j] += c->mean ? v * v : v;
    }
  }
}

static void var_combine(const var_ctx *c, double *out) {
  size_t d = c->kd->d;
  memset(out, 0, d * sizeof *out);
  for (size_t s = 0; s < c->kd->n_seg; s++) {
    for (size_t j = 0; j < d; j++) {
      out[j] += c->seg[s * d + j];
    }
  }
}

double sk__km_mean_variance(const sk__km_data *kd) {
  size_t d = kd->d;
  double *seg = malloc(kd->n_seg * d * sizeof *seg);
  double *mean = malloc(d * sizeof *mean);
  double *ss = malloc(d * sizeof *ss);
  double result = NAN;
  var_ctx c = {kd, seg, NULL};
  if (seg && mean && ss && sk__km_for_segments(kd, 1, var_segment, &c)) {
    var_combine(&c, mean);
    for (size_t j = 0; j < d; j++) {
      mean[j] /= (double)kd->n;
    }
    c.mean = mean;
    if (sk__km_for_segments(kd, 1, var_segment, &c)) {
      var_combine(&c, ss);
      result = 0;
      for (size_t j = 0; j < d; j++) {
        result += ss[j] / (double)kd->n;
      }
      result /= (double)d;
    }
  }
  free(seg);
  free(mean);
  free(ss);
  return result;
}

/* ---- centre update --------------------------------------------------------------------- */

/* The row with positive weight farthest from its (old) centre, not yet taken. */
static size_t farthest_row(const sk__km_data *kd, const int32_t *labels, const double *old_c,
                           const size_t *taken, size_t n_taken) {
  size_t best = kd->n;
  double best_d = -1;
  for (size_t i = 0; i < kd->n; i++) {
    if (!(sk__km_weight(kd, i) > 0)) {
      continue;
    }
    double v = sk__km_dist1(kd->x + i * kd->d, old_c + (size_t)labels[i] * kd->d, kd->d);
    if (v <= best_d) {
      continue;
    }
    bool used = false;
    for (size_t t = 0; t < n_taken; t++) {
      used = used || taken[t] == i;
    }
    if (!used) {
      best = i;
      best_d = v;
    }
  }
  return best;
}

/* scikit-learn's _relocate_empty_clusters_dense: an empty cluster takes the farthest row
 * (its weight and sum move over from the row's cluster). Labels are left as they are, as
 * there; the next pass assigns the row to its new centre. */
static void relocate_empty(const sk__km_data *kd, const int32_t *labels, const double *old_c,
                           sk__km_acc *acc) {
  size_t d = kd->d;
  size_t taken[64];
  size_t n_taken = 0;
  for (size_t c = 0; c < acc->k; c++) {
    if (acc->wsum[c] > 0) {
      continue;
    }
    size_t i = farthest_row(kd, labels, old_c, taken, n_taken);
    if (i == kd->n) {
      return; /* no row with positive weight left to give */
    }
    if (n_taken < sizeof taken / sizeof taken[0]) {
      taken[n_taken++] = i;
    }
    double w = sk__km_weight(kd, i);
    size_t from = (size_t)labels[i];
    const double *xr = kd->x + i * d;
    for (size_t j = 0; j < d; j++) {
      acc->sums[from * d + j] -= w * xr[j];
      acc->sums[c * d + j] = w * xr[j];
    }
    acc->wsum[from] -= w;
    acc->wsum[c] = w;
  }
}

double sk__km_update_centres(const sk__km_data *kd, const int32_t *labels,
                             const double *old_c, sk__km_acc *acc, double *new_c) {
  size_t d = kd->d;
  bool empty = false;
  for (size_t c = 0; c < acc->k; c++) {
    empty = empty || !(acc->wsum[c] > 0);
  }
  if (empty) {
    relocate_empty(kd, labels, old_c, acc);
  }
  double shift = 0;
  for (size_t c = 0; c < acc->k; c++) {
    for (size_t j = 0; j < d; j++) {
      size_t q = c * d + j;
      new_c[q] = acc->wsum[c] > 0 ? acc->sums[q] / acc->wsum[c] : old_c[q];
      double mv = new_c[q] - old_c[q];
      shift += mv * mv;
    }
  }
  return shift;
}

/* ---- one start --------------------------------------------------------------------------- */

typedef struct km_run {
  const sk__km_data *kd;
  size_t k;
  int max_iter;
  double tol;            /* already scaled by the mean variance */
  segkit_kmeans_algorithm algorithm; /* as asked (AUTO: adaptive) */
  segkit_kmeans_algorithm used;      /* the algorithm of the start's last pass */
  sk__km_acc acc;
  sk__km_hamerly ham;
  double *centres, *next;
  int32_t *labels;
  double inertia;
  int iterations;
  bool converged;
} km_run;

static segkit_status run_start(km_run *r, sk__rng *rng, segkit_error *err) {
  const sk__km_data *kd = r->kd;
  size_t k = r->k;
  segkit_status st = sk__km_plusplus(kd, k, rng, r->centres, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  /* AUTO keeps Hamerly's bounds throughout but, after a pass in which the bounds would
   * have skipped fewer than half the rows, does the next pass Lloyd's way (every row, in
   * order, no bound tests) while refreshing the bounds; as soon as they would skip half
   * the rows again, passes go back to skipping. Early iterations and overlapping
   * clusters run at Lloyd's speed, late iterations and separated clusters at Hamerly's;
   * all passes give the same labels, so the choice changes the time, never the result. */
  bool hamerly = r->algorithm != SEGKIT_KMEANS_LLOYD;
  bool force = r->algorithm == SEGKIT_KMEANS_AUTO;
  for (size_t i = 0; i < kd->n; i++) {
    r->labels[i] = -1;
  }
  if (hamerly) {
    for (size_t i = 0; i < kd->n; i++) {
      r->ham.upper[i] = INFINITY;
      r->ham.lower[i] = 0;
    }
  }
  r->converged = false;
  r->iterations = 0;
  for (int it = 0; it < r->max_iter; it++) {
    bool ok = hamerly ? sk__km_hamerly_pass(kd, r->centres, k, r->labels, &r->ham, &r->acc,
                                            force)
                      : sk__km_lloyd_pass(kd, r->centres, k, r->labels, &r->acc, true);
    if (!ok) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-means: out of memory");
    }
    double shift = sk__km_update_centres(kd, r->labels, r->centres, &r->acc, r->next);
    r->used = hamerly && !force ? SEGKIT_KMEANS_HAMERLY : SEGKIT_KMEANS_LLOYD;
    if (r->algorithm == SEGKIT_KMEANS_AUTO) {
      force = (double)r->acc.recomputed > (1 - HAMERLY_MIN_SKIPPED) * (double)kd->n;
    }
    if (hamerly) {
      sk__km_hamerly_moved(kd, r->centres, r->next, k, r->labels, &r->ham);
    }
    double *t = r->centres;
    r->centres = r->next;
    r->next = t;
    r->iterations = it + 1;
    if (r->acc.changed == 0 || shift <= r->tol) {
      r->converged = true;
      break;
    }
  }
  /* Labels and inertia of the final centres (scikit-learn reruns the E-step too). */
  if (!sk__km_lloyd_pass(kd, r->centres, k, r->labels, &r->acc, false)) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-means: out of memory");
  }
  r->inertia = r->acc.inertia;
  return SEGKIT_OK;
}

/* ---- starts in lockstep ------------------------------------------------------------------ */

/* Starts run together, at most this many at once, and at most d (each start's labels
 * cost 4 bytes per row, so the group's labels stay within half of X's 8 d bytes). */
#define LOCKSTEP_GROUP 10

typedef struct lock_group {
  size_t n_starts;
  double **centres, **next;
  int32_t **labels;
  sk__km_acc *acc;
  uint8_t *mode;
  int *iterations;
  bool *converged;
  double *inertia;
} lock_group;

static void lock_free(lock_group *g) {
  for (size_t s = 0; s < g->n_starts; s++) {
    if (g->centres) {
      free(g->centres[s]);
    }
    if (g->next) {
      free(g->next[s]);
    }
    if (g->labels) {
      free(g->labels[s]);
    }
    if (g->acc) {
      sk__km_acc_free(&g->acc[s]);
    }
  }
  free(g->centres);
  free(g->next);
  free(g->labels);
  free(g->acc);
  free(g->mode);
  free(g->iterations);
  free(g->converged);
  free(g->inertia);
}

static bool lock_alloc(lock_group *g, size_t n_starts, const sk__km_data *kd, size_t k) {
  memset(g, 0, sizeof *g);
  g->n_starts = n_starts;
  g->centres = calloc(n_starts, sizeof *g->centres);
  g->next = calloc(n_starts, sizeof *g->next);
  g->labels = calloc(n_starts, sizeof *g->labels);
  g->acc = calloc(n_starts, sizeof *g->acc);
  g->mode = calloc(n_starts, sizeof *g->mode);
  g->iterations = calloc(n_starts, sizeof *g->iterations);
  g->converged = calloc(n_starts, sizeof *g->converged);
  g->inertia = calloc(n_starts, sizeof *g->inertia);
  if (!g->centres || !g->next || !g->labels || !g->acc || !g->mode || !g->iterations ||
      !g->converged || !g->inertia) {
    return false;
  }
  for (size_t s = 0; s < n_starts; s++) {
    g->centres[s] = malloc(k * kd->d * sizeof(double));
    g->next[s] = malloc(k * kd->d * sizeof(double));
    g->labels[s] = malloc((kd->n ? kd->n : 1) * sizeof(int32_t));
    if (!g->centres[s] || !g->next[s] || !g->labels[s] ||
        !sk__km_acc_init(&g->acc[s], k, kd->d, kd->n_seg)) {
      return false;
    }
  }
  return true;
}

/* Starts first .. first + g->n_starts - 1, Lloyd's way, all in the same passes over X: each
 * start seeds, iterates and stops by exactly the rules (and to exactly the result) of
 * run_start with LLOYD; a start that has stopped takes its final assignment in the next
 * shared pass and then sits out. */
static segkit_status run_lockstep(const sk__km_data *kd, size_t k, int first, int max_iter,
                                  double tol, uint64_t seed, lock_group *g,
                                  segkit_error *err) {
  /* Seeding in shared passes too, in sub-groups of at most d / 2 starts: its 8 bytes per
   * row per start then stay within half of X. */
  size_t seed_group = kd->d / 2 < 1 ? 1 : kd->d / 2;
  seed_group = seed_group < SK__KM_MAX_SEED_GROUP ? seed_group : SK__KM_MAX_SEED_GROUP;
  for (size_t s0 = 0; s0 < g->n_starts; s0 += seed_group) {
    size_t ns = g->n_starts - s0 < seed_group ? g->n_starts - s0 : seed_group;
    sk__rng rngs[SK__KM_MAX_SEED_GROUP];
    for (size_t t = 0; t < ns; t++) {
      sk__rng_init(&rngs[t], seed, SK__KM_STREAM_INIT, (uint64_t)first + s0 + t);
    }
    segkit_status st = sk__km_plusplus_multi(kd, k, ns, rngs, g->centres + s0, err);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  for (size_t s = 0; s < g->n_starts; s++) {
    for (size_t i = 0; i < kd->n; i++) {
      g->labels[s][i] = -1;
    }
    g->mode[s] = SK__KM_UPDATE;
  }
  for (;;) {
    bool busy = false;
    for (size_t s = 0; s < g->n_starts; s++) {
      busy = busy || g->mode[s] != SK__KM_IDLE;
    }
    if (!busy) {
      return SEGKIT_OK;
    }
    if (!sk__km_lloyd_multi_pass(kd, k, g->n_starts, (const double *const *)g->centres,
                                 g->labels, g->mode, g->acc)) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-means: out of memory");
    }
    for (size_t s = 0; s < g->n_starts; s++) {
      if (g->mode[s] == SK__KM_ASSIGN) {
        g->inertia[s] = g->acc[s].inertia;
        g->mode[s] = SK__KM_IDLE;
        continue;
      }
      if (g->mode[s] != SK__KM_UPDATE) {
        continue;
      }
      double shift = sk__km_update_centres(kd, g->labels[s], g->centres[s], &g->acc[s],
                                           g->next[s]);
      double *t = g->centres[s];
      g->centres[s] = g->next[s];
      g->next[s] = t;
      g->iterations[s]++;
      if (g->acc[s].changed == 0 || shift <= tol) {
        g->converged[s] = true;
        g->mode[s] = SK__KM_ASSIGN;
      } else if (g->iterations[s] >= max_iter) {
        g->mode[s] = SK__KM_ASSIGN;
      }
    }
  }
}

/* All restarts in groups; the lowest inertia (earliest on ties) kept. */
static segkit_status fit_lockstep(const sk__km_data *kd, size_t k, int restarts, int max_iter,
                                  double tol, uint64_t seed, segkit_cluster_model *m,
                                  segkit_error *err) {
  int group = kd->d < LOCKSTEP_GROUP ? (int)kd->d : LOCKSTEP_GROUP;
  group = group < 1 ? 1 : group;
  for (int first = 0; first < restarts; first += group) {
    size_t n_starts = (size_t)(restarts - first < group ? restarts - first : group);
    lock_group g;
    segkit_status st = SEGKIT_OK;
    if (!lock_alloc(&g, n_starts, kd, k)) {
      st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-means: out of memory");
    } else {
      st = run_lockstep(kd, k, first, max_iter, tol, seed, &g, err);
    }
    for (size_t s = 0; st == SEGKIT_OK && s < n_starts; s++) {
      if (g.inertia[s] < m->inertia) {
        m->inertia = g.inertia[s];
        m->iterations = g.iterations[s];
        m->converged = g.converged[s];
        m->best_start = first + (int)s;
        m->algorithm = SEGKIT_KMEANS_LLOYD;
        memcpy(m->labels, g.labels[s], kd->n * sizeof *m->labels);
        memcpy(m->centroids, g.centres[s], k * kd->d * sizeof *m->centroids);
      }
    }
    lock_free(&g);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  return SEGKIT_OK;
}

static void run_free(km_run *r) {
  sk__km_acc_free(&r->acc);
  sk__km_hamerly_free(&r->ham);
  free(r->centres);
  free(r->next);
  free(r->labels);
}

segkit_status sk__kmeans_fit(const segkit_cluster_data *data, const segkit_cluster_options *opt,
                             segkit_cluster_model **out, segkit_error *err) {
  size_t n = data->n;
  size_t d = data->d;
  size_t k = opt->k;
  int restarts = opt->restarts > 0 ? opt->restarts : DEFAULT_RESTARTS;
  sk__km_data kd;
  sk__km_data_init(&kd, data->x, data->weights, n, d, opt->n_threads);
  km_run r = {.kd = &kd, .k = k};
  r.max_iter = opt->max_iter > 0 ? opt->max_iter : DEFAULT_MAX_ITER;
  r.algorithm = opt->algorithm;
  segkit_cluster_model *m = sk__cluster_model_new(SEGKIT_CLUSTER_KMEANS, k, d, 0);
  bool lockstep = r.algorithm == SEGKIT_KMEANS_LLOYD ||
                  (r.algorithm == SEGKIT_KMEANS_AUTO && k <= LOCKSTEP_MAX_K);
  bool ok = m != NULL;
  if (ok && !lockstep) { /* the start-by-start (Hamerly) state */
    r.centres = malloc(k * d * sizeof *r.centres);
    r.next = malloc(k * d * sizeof *r.next);
    r.labels = malloc(n * sizeof *r.labels);
    ok = r.centres && r.next && r.labels && sk__km_acc_init(&r.acc, k, d, kd.n_seg) &&
         sk__km_hamerly_init(&r.ham, n, k);
  }
  if (ok) {
    m->labels = malloc(n * sizeof *m->labels);
    m->centroids = malloc(k * d * sizeof *m->centroids);
    ok = m->labels && m->centroids;
  }
  double var = ok ? sk__km_mean_variance(&kd) : NAN;
  if (!ok || isnan(var)) {
    run_free(&r);
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-means: out of memory");
  }
  r.tol = (opt->tol > 0 ? opt->tol : DEFAULT_TOL) * var;
  m->n = n;
  m->inertia = INFINITY;
  if (lockstep) {
    segkit_status st = fit_lockstep(&kd, k, restarts, r.max_iter, r.tol, opt->seed, m, err);
    run_free(&r);
    if (st == SEGKIT_OK && !sk__cluster_model_tally(m, data->weights)) {
      st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-means: out of memory");
    }
    if (st != SEGKIT_OK) {
      segkit_cluster_model_free(m);
      return st;
    }
    *out = m;
    return SEGKIT_OK;
  }
  for (int s = 0; s < restarts; s++) {
    sk__rng rng;
    sk__rng_init(&rng, opt->seed, SK__KM_STREAM_INIT, (uint64_t)s);
    segkit_status st = run_start(&r, &rng, err);
    if (st != SEGKIT_OK) {
      run_free(&r);
      segkit_cluster_model_free(m);
      return st;
    }
    if (r.inertia < m->inertia) {
      m->inertia = r.inertia;
      m->iterations = r.iterations;
      m->converged = r.converged;
      m->best_start = s;
      m->algorithm = r.used;
      memcpy(m->labels, r.labels, n * sizeof *m->labels);
      memcpy(m->centroids, r.centres, k * d * sizeof *m->centroids);
    }
  }
  run_free(&r);
  if (!sk__cluster_model_tally(m, data->weights)) {
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-means: out of memory");
  }
  *out = m;
  return SEGKIT_OK;
}

/* ---- assignment ---------------------------------------------------------------------------- */

segkit_status sk__kmeans_assign(const segkit_cluster_model *m, const segkit_cluster_data *data,
                                int32_t *labels, segkit_error *err) {
  if (!m->centroids || m->d != data->d) {
    return segkit_error_set(err, SEGKIT_ERR_SCHEMA,
                            "rows have %zu columns; the model's centroids have %zu", data->d,
                            m->d);
  }
  sk__km_data kd;
  sk__km_data_init(&kd, data->x, NULL, data->n, data->d, 0);
  for (size_t i = 0; i < data->n; i++) {
    labels[i] = -1; /* the pass counts changes against what is there */
  }
  sk__km_acc acc;
  if (!sk__km_acc_init(&acc, m->k, m->d, kd.n_seg)) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "assign: out of memory");
  }
  bool ok = sk__km_lloyd_pass(&kd, m->centroids, m->k, labels, &acc, false);
  sk__km_acc_free(&acc);
  if (!ok) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "assign: out of memory");
  }
  return SEGKIT_OK;
}
