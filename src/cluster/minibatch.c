/* minibatch.c: mini-batch k-means (D. Sculley, "Web-scale k-means clustering", WWW 2010),
 * with scikit-learn's choices (sklearn.cluster.MiniBatchKMeans 1.2): each step draws
 * batch_size rows uniformly with replacement, assigns them to the nearest centre and moves
 * each centre to the weighted mean of everything it has absorbed so far (a per-centre
 * learning rate of w / total weight seen, Sculley's 1/count); k-means++ seeding on a
 * sample of 3 x batch_size rows, the best of `restarts` seedings judged on a separate
 * validation sample; early stop when the exponentially smoothed batch inertia has not
 * improved for 10 steps (and, when tol > 0, when the squared centre moves fall below
 * tol x the mean column variance); a final full pass gives labels and the inertia.
 *
 * Key design choice: the steps run serially (a batch is small; the data are touched only
 * through it), the seeding and the final pass use the shared kernel and worker loop, and
 * every draw comes from one seeded stream in a fixed order, so the result does not depend
 * on the thread count. Not done: scikit-learn's random reassignment of centres with few
 * rows (reassignment_ratio); empty clusters keep their centre. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/kmeans_int.h"

#define DEFAULT_RESTARTS 10
#define DEFAULT_PASSES 100
#define MAX_NO_IMPROVEMENT 10

static size_t draw_index(sk__rng *rng, size_t n) {
  size_t i = (size_t)(sk__rng_uniform(rng) * (double)n);
  return i < n ? i : n - 1;
}

/* Gather rows idx into a dense matrix (and weights), for seeding on a sample. */
static void gather(const segkit_cluster_data *data, const size_t *idx, size_t m, double *x,
                   double *w) {
  for (size_t r = 0; r < m; r++) {
    memcpy(x + r * data->d, data->x + idx[r] * data->d, data->d * sizeof *x);
    w[r] = data->weights ? data->weights[idx[r]] : 1.0;
  }
}

typedef struct mb_state {
  const segkit_cluster_data *data;
  size_t k, d, kpad;
  double *ct;       /* prepared centres */
  double *dist;     /* SK__KM_CHUNK x kpad */
  int32_t *lab;     /* SK__KM_CHUNK */
  double *best;     /* SK__KM_CHUNK */
  double *bsum;     /* k x d batch sums */
  double *bw;       /* k batch weights */
} mb_state;

/* Nearest centres of the rows idx[0..m); returns their weighted inertia and, when
 * update, moves the centres (Sculley's per-centre rate) with their counts. */
static double batch_step(mb_state *s, const size_t *idx, size_t m, double *centres,
                         double *counts, bool update) {
  size_t d = s->d;
  const double *x = s->data->x;
  const double *w = s->data->weights;
  sk__km_prep_centres(centres, s->k, d, s->ct);
  if (update) {
    memset(s->bsum, 0, s->k * d * sizeof *s->bsum);
    memset(s->bw, 0, s->k * sizeof *s->bw);
  }
  double inertia = 0;
  for (size_t q0 = 0; q0 < m; q0 += SK__KM_CHUNK) {
    size_t mm = m - q0 < SK__KM_CHUNK ? m - q0 : SK__KM_CHUNK;
    sk__km_dist(x, d, 0, mm, idx + q0, s->ct, s->kpad, s->dist);
    sk__km_argmin(s->dist, mm, s->k, s->kpad, s->lab, s->best, NULL);
    for (size_t r = 0; r < mm; r++) {
      size_t i = idx[q0 + r];
      double wi = w ? w[i] : 1.0;
      inertia += wi * s->best[r];
      if (!update) {
        continue;
      }
      double *bs = s->bsum + (size_t)s->lab[r] * d;
      for (size_t j = 0; j < d; j++) {
        bs[j] += wi * x[i * d + j];
      }
      s->bw[s->lab[r]] += wi;
    }
  }
  if (update) {
    for (size_t c = 0; c < s->k; c++) {
      if (!(s->bw[c] > 0)) {
        continue;
      }
      double total = counts[c] + s->bw[c];
      for (size_t j = 0; j < d; j++) {
        centres[c * d + j] = (centres[c * d + j] * counts[c] + s->bsum[c * d + j]) / total;
      }
      counts[c] = total;
    }
  }
  return inertia;
}

/* The best of `restarts` k-means++ seedings on samples of init_size rows, judged by the
 * inertia on a validation sample (scikit-learn's n_init for MiniBatchKMeans). */
static segkit_status seed_centres(mb_state *s, const segkit_cluster_options *opt,
                                  size_t init_size, int restarts, sk__rng *rng,
                                  double *centres, segkit_error *err) {
  const segkit_cluster_data *data = s->data;
  size_t d = s->d;
  size_t k = s->k;
  size_t *valid = malloc(init_size * sizeof *valid);
  size_t *idx = malloc(init_size * sizeof *idx);
  double *xs = malloc(init_size * d * sizeof *xs);
  double *ws = malloc(init_size * sizeof *ws);
  double *cand = malloc(k * d * sizeof *cand);
  segkit_status st = SEGKIT_OK;
  if (!valid || !idx || !xs || !ws || !cand) {
    st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "minibatch: out of memory");
    goto done;
  }
  for (size_t r = 0; r < init_size; r++) {
    valid[r] = draw_index(rng, data->n);
  }
  double best = INFINITY;
  for (int t = 0; t < restarts; t++) {
    for (size_t r = 0; r < init_size; r++) {
      idx[r] = draw_index(rng, data->n);
    }
    gather(data, idx, init_size, xs, ws);
    sk__km_data kd;
    sk__km_data_init(&kd, xs, data->weights ? ws : NULL, init_size, d, opt->n_threads);
    sk__rng r2;
    sk__rng_init(&r2, opt->seed, SK__KM_STREAM_INIT, (uint64_t)t);
    segkit_error e2;
    st = sk__km_plusplus(&kd, k, &r2, cand, &e2);
    if (st == SEGKIT_ERR_LIMIT) {
      /* The sample lacks k distinct rows: seed on all the data instead. */
      sk__km_data_init(&kd, data->x, data->weights, data->n, d, opt->n_threads);
      st = sk__km_plusplus(&kd, k, &r2, cand, err);
    } else if (st != SEGKIT_OK) {
      *err = e2;
    }
    if (st != SEGKIT_OK) {
      goto done;
    }
    double v = batch_step(s, valid, init_size, cand, NULL, false);
    if (v < best) {
      best = v;
      memcpy(centres, cand, k * d * sizeof *centres);
    }
  }
done:
  free(valid);
  free(idx);
  free(xs);
  free(ws);
  free(cand);
  return st;
}

/* scikit-learn's _mini_batch_convergence: the smoothed batch inertia per row. */
typedef struct mb_stop {
  double alpha, ewa, ewa_min;
  bool have_ewa, have_min;
  int no_improvement;
} mb_stop;

static bool should_stop(mb_stop *c, int step, double batch_inertia, size_t batch,
                        double shift, double tol) {
  double v = batch_inertia / (double)batch;
  if (step == 0) {
    return false; /* the first batch measures the seeding, not the iteration */
  }
  c->ewa = c->have_ewa ? c->ewa * (1 - c->alpha) + v * c->alpha : v;
  c->have_ewa = true;
  if (tol > 0 && shift <= tol) {
    return true;
  }
  if (!c->have_min || c->ewa < c->ewa_min) {
    c->no_improvement = 0;
    c->ewa_min = c->ewa;
    c->have_min = true;
  } else {
    c->no_improvement++;
  }
  return c->no_improvement >= MAX_NO_IMPROVEMENT;
}

static void mb_free(mb_state *s) {
  free(s->ct);
  free(s->dist);
  free(s->lab);
  free(s->best);
  free(s->bsum);
  free(s->bw);
}

static segkit_status run_steps(mb_state *s, const segkit_cluster_options *opt, size_t batch,
                               double tol, sk__rng *rng, double *centres,
                               segkit_cluster_model *m, segkit_error *err) {
  size_t n = s->data->n;
  size_t kd = s->k * s->d;
  int passes = opt->max_iter > 0 ? opt->max_iter : DEFAULT_PASSES;
  double steps_d = (double)passes * (double)n / (double)batch;
  long n_steps = steps_d < 1 ? 1 : steps_d > 1e12 ? (long)1e12 : (long)steps_d;
  double *counts = calloc(s->k, sizeof *counts);
  size_t *idx = malloc(batch * sizeof *idx);
  double *prev = malloc(kd * sizeof *prev);
  if (!counts || !idx || !prev) {
    free(counts);
    free(idx);
    free(prev);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "minibatch: out of memory");
  }
  mb_stop stop = {.alpha = fmin(1.0, (double)batch * 2.0 / ((double)n + 1))};
  m->converged = false;
  m->iterations = (int)(n_steps < 2147483647L ? n_steps : 2147483647L);
  for (long step = 0; step < n_steps; step++) {
    for (size_t r = 0; r < batch; r++) {
      idx[r] = draw_index(rng, n);
    }
    memcpy(prev, centres, kd * sizeof *prev);
    double inertia = batch_step(s, idx, batch, centres, counts, true);
    double shift = 0;
    for (size_t q = 0; q < kd; q++) {
      shift += (centres[q] - prev[q]) * (centres[q] - prev[q]);
    }
    if (should_stop(&stop, (int)(step < 1 ? step : 1), inertia, batch, shift, tol)) {
      m->converged = true;
      m->iterations = (int)(step + 1 < 2147483647L ? step + 1 : 2147483647L);
      break;
    }
  }
  free(counts);
  free(idx);
  free(prev);
  return SEGKIT_OK;
}

segkit_status sk__minibatch_fit(const segkit_cluster_data *data,
                                const segkit_cluster_options *opt, segkit_cluster_model **out,
                                segkit_error *err) {
  size_t n = data->n;
  size_t d = data->d;
  size_t k = opt->k;
  size_t batch = opt->batch_size > 0 ? opt->batch_size : 1024;
  batch = batch < n ? batch : n;
  size_t init_size = 3 * batch < k ? 3 * k : 3 * batch;
  init_size = init_size < n ? init_size : n;
  int restarts = opt->restarts > 0 ? opt->restarts : DEFAULT_RESTARTS;
  mb_state s = {.data = data, .k = k, .d = d, .kpad = sk__km_kpad(k)};
  s.ct = malloc(s.kpad * d * sizeof *s.ct);
  s.dist = malloc(SK__KM_CHUNK * s.kpad * sizeof *s.dist);
  s.lab = malloc(SK__KM_CHUNK * sizeof *s.lab);
  s.best = malloc(SK__KM_CHUNK * sizeof *s.best);
  s.bsum = malloc(k * d * sizeof *s.bsum);
  s.bw = malloc(k * sizeof *s.bw);
  segkit_cluster_model *m = sk__cluster_model_new(SEGKIT_CLUSTER_MINIBATCH, k, d, 0);
  bool ok = m && s.ct && s.dist && s.lab && s.best && s.bsum && s.bw;
  if (ok) {
    m->centroids = malloc(k * d * sizeof *m->centroids);
    m->labels = malloc(n * sizeof *m->labels);
    ok = m->centroids && m->labels;
  }
  if (!ok) {
    mb_free(&s);
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "minibatch: out of memory");
  }
  sk__km_data kd;
  sk__km_data_init(&kd, data->x, data->weights, n, d, opt->n_threads);
  double tol = 0;
  if (opt->tol > 0) {
    tol = opt->tol * sk__km_mean_variance(&kd);
  }
  sk__rng rng;
  sk__rng_init(&rng, opt->seed, SK__KM_STREAM_MINIBATCH, 0);
  segkit_status st = seed_centres(&s, opt, init_size, restarts, &rng, m->centroids, err);
  if (st == SEGKIT_OK) {
    st = run_steps(&s, opt, batch, tol, &rng, m->centroids, m, err);
  }
  mb_free(&s);
  if (st != SEGKIT_OK) {
    segkit_cluster_model_free(m);
    return st;
  }
  /* Final full pass: labels and inertia of the final centres, on every row. */
  sk__km_acc acc;
  ok = sk__km_acc_init(&acc, k, d, kd.n_seg);
  if (ok) {
    for (size_t i = 0; i < n; i++) {
      m->labels[i] = -1;
    }
    ok = sk__km_lloyd_pass(&kd, m->centroids, k, m->labels, &acc, false);
    m->inertia = acc.inertia;
    sk__km_acc_free(&acc);
  }
  m->n = n;
  m->algorithm = SEGKIT_KMEANS_AUTO;
  m->best_start = 0;
  if (!ok || !sk__cluster_model_tally(m, data->weights)) {
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "minibatch: out of memory");
  }
  *out = m;
  return SEGKIT_OK;
}
