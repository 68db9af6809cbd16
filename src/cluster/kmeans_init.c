/* kmeans_init.c: greedy k-means++ seeding (Arthur & Vassilvitskii, "k-means++: the
 * advantages of careful seeding", SODA 2007), in the greedy form scikit-learn uses
 * (sklearn.cluster._kmeans._kmeans_plusplus): the first centre is a row drawn with
 * probability proportional to its weight; each further centre is the best of
 * 2 + floor(ln k) rows drawn with probability proportional to w_i D(x_i)^2, "best" being
 * the one that leaves the lowest weighted potential sum_i w_i min(D(x_i)^2, |x_i - cand|^2).
 *
 * Key design choice: one pass over X per centre. A pass computes, per row, the distance to
 * the centre chosen last (folding it into D^2) and to every candidate of the next centre,
 * and sums the candidates' potentials per segment. The potential of the winner per segment
 * is then exactly the segment's total of w D^2 for the next draw, so no second pass is
 * needed; only the (one to a few) segments a draw lands in fold the last centre in early
 * to find the row, by the same kernel, which makes the later fold a no-op. Several starts
 * can seed in the same passes (sk__km_plusplus_multi): each chunk of X, once loaded, serves
 * every start; each start's draws and sums are exactly those of seeding alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/kmeans_int.h"

typedef struct pp_state {
  const sk__km_data *kd;
  double *closest;   /* n: squared distance to the nearest chosen centre */
  double *seg_pot;   /* n_seg: sum of w * closest per segment */
  size_t *seg_upto;  /* n_seg: centres folded into closest */
  double *cand_pot;  /* n_seg x n_cand */
  const double *block; /* the last chosen centre, then the candidates, in the kernel's
                          layout (sk__km_prep_centres of 1 + n_cand centres) */
  const double *last;  /* the last chosen centre alone, in the kernel's layout */
  size_t n_cand;
  size_t upto;       /* centres folded in once a segment has seen block[0] */
} pp_state;

/* One start's share of a chunk: fold the last centre, sum the candidates' potentials. */
static void pp_chunk(pp_state *p, size_t seg, size_t q0, size_t m, sk__km_scratch *s,
                     double *total) {
  const sk__km_data *kd = p->kd;
  size_t kpad = sk__km_kpad(1 + p->n_cand);
  double *pot = p->cand_pot + seg * (p->n_cand ? p->n_cand : 1);
  sk__km_dist(kd->x, kd->d, q0, m, NULL, p->block, kpad, s->dist);
  for (size_t r = 0; r < m; r++) {
    size_t i = q0 + r;
    const double *dr = s->dist + r * kpad;
    double w = sk__km_weight(kd, i);
    double cl = p->closest[i];
    double dp = dr[0];
    cl = dp < cl ? dp : cl;
    p->closest[i] = cl;
    *total += w * cl;
    for (size_t l = 0; l < p->n_cand; l++) {
      double dl = dr[1 + l];
      pot[l] += w * (dl < cl ? dl : cl);
    }
  }
}

typedef struct pp_pass {
  pp_state *st;
  size_t n_st;
} pp_pass;

static void pp_segment(void *arg, size_t seg, size_t r0, size_t r1, sk__km_scratch *s) {
  pp_pass *pp = arg;
  double total[SK__KM_MAX_SEED_GROUP];
  for (size_t t = 0; t < pp->n_st; t++) {
    pp_state *p = &pp->st[t];
    total[t] = 0;
    for (size_t l = 0; l < p->n_cand; l++) {
      p->cand_pot[seg * p->n_cand + l] = 0;
    }
  }
  for (size_t q0 = r0; q0 < r1; q0 += SK__KM_CHUNK) {
    size_t m = r1 - q0 < SK__KM_CHUNK ? r1 - q0 : SK__KM_CHUNK;
    for (size_t t = 0; t < pp->n_st; t++) {
      pp_chunk(&pp->st[t], seg, q0, m, s, &total[t]);
    }
  }
  for (size_t t = 0; t < pp->n_st; t++) {
    pp_state *p = &pp->st[t];
    p->seg_upto[seg] = p->upto;
    if (p->n_cand == 0) {
      p->seg_pot[seg] = total[t];
    }
  }
}

/* Fold block[0] (the last chosen centre) into one segment's closest, as a pass would. */
static void fold_segment(pp_state *p, size_t seg, sk__km_scratch *s) {
  if (p->seg_upto[seg] == p->upto) {
    return;
  }
  const sk__km_data *kd = p->kd;
  size_t r0 = seg * kd->seg_rows;
  size_t r1 = r0 + kd->seg_rows < kd->n ? r0 + kd->seg_rows : kd->n;
  for (size_t q0 = r0; q0 < r1; q0 += SK__KM_CHUNK) {
    size_t m = r1 - q0 < SK__KM_CHUNK ? r1 - q0 : SK__KM_CHUNK;
    sk__km_dist(kd->x, kd->d, q0, m, NULL, p->last, SK__KM_CBLOCK, s->dist);
    for (size_t r = 0; r < m; r++) {
      double dp = s->dist[r * SK__KM_CBLOCK];
      if (dp < p->closest[q0 + r]) {
        p->closest[q0 + r] = dp;
      }
    }
  }
  p->seg_upto[seg] = p->upto;
}

/* A row drawn with probability proportional to w_i closest_i (numpy's searchsorted on the
 * cumulative sum, as scikit-learn draws); the potential is positive. */
static size_t draw_row(pp_state *p, double u, sk__km_scratch *s) {
  const sk__km_data *kd = p->kd;
  double cum = 0;
  size_t seg = kd->n_seg;
  for (size_t t = 0; t < kd->n_seg; t++) {
    if (p->seg_pot[t] > 0) {
      seg = t;
      if (cum + p->seg_pot[t] >= u) {
        break;
      }
      cum += p->seg_pot[t];
    }
  }
  fold_segment(p, seg, s);
  size_t r0 = seg * kd->seg_rows;
  size_t r1 = r0 + kd->seg_rows < kd->n ? r0 + kd->seg_rows : kd->n;
  size_t last = r0;
  for (size_t i = r0; i < r1; i++) {
    double v = sk__km_weight(kd, i) * p->closest[i];
    if (v > 0) {
      last = i;
      cum += v;
      if (cum >= u) {
        return i;
      }
    }
  }
  return last; /* rounding left u just above the segment's running sum */
}

static size_t draw_first(const sk__km_data *kd, sk__rng *rng) {
  if (!kd->w) {
    size_t i = (size_t)(sk__rng_uniform(rng) * (double)kd->n);
    return i < kd->n ? i : kd->n - 1;
  }
  double total = 0;
  for (size_t i = 0; i < kd->n; i++) {
    total += kd->w[i];
  }
  double u = sk__rng_uniform(rng) * total;
  double cum = 0;
  size_t last = 0;
  for (size_t i = 0; i < kd->n; i++) {
    if (kd->w[i] > 0) {
      last = i;
      cum += kd->w[i];
      if (cum >= u) {
        return i;
      }
    }
  }
  return last;
}

static double total_pot(const pp_state *p) {
  double t = 0;
  for (size_t s = 0; s < p->kd->n_seg; s++) {
    t += p->seg_pot[s];
  }
  return t;
}

typedef struct pp_buffers {
  double *raw;      /* (1 + n_local) x d */
  double *block;    /* kpad(1 + n_local) x d */
  double *last;     /* SK__KM_CBLOCK x d */
  size_t *cand;     /* n_local */
} pp_buffers;

static void pp_free(pp_state *p, pp_buffers *b) {
  free(p->closest);
  free(p->seg_pot);
  free(p->seg_upto);
  free(p->cand_pot);
  free(b->raw);
  free(b->block);
  free(b->last);
  free(b->cand);
}

static bool pp_alloc(const sk__km_data *kd, size_t n_local, pp_state *p, pp_buffers *b) {
  size_t d = kd->d;
  memset(p, 0, sizeof *p);
  memset(b, 0, sizeof *b);
  p->kd = kd;
  p->closest = malloc(kd->n * sizeof *p->closest);
  p->seg_pot = malloc(kd->n_seg * sizeof *p->seg_pot);
  p->seg_upto = malloc(kd->n_seg * sizeof *p->seg_upto);
  p->cand_pot = malloc(kd->n_seg * n_local * sizeof *p->cand_pot);
  b->raw = malloc((1 + n_local) * d * sizeof *b->raw);
  b->block = malloc(sk__km_kpad(1 + n_local) * d * sizeof *b->block);
  b->last = malloc(SK__KM_CBLOCK * d * sizeof *b->last);
  b->cand = malloc(n_local * sizeof *b->cand);
  if (!p->closest || !p->seg_pot || !p->seg_upto || !p->cand_pot || !b->raw || !b->block ||
      !b->last || !b->cand) {
    return false;
  }
  for (size_t i = 0; i < kd->n; i++) {
    p->closest[i] = INFINITY;
  }
  p->block = b->block;
  p->last = b->last;
  return true;
}

/* Draw start t's candidates for centre c (its generator, its potential). */
static segkit_status pp_draw(pp_state *p, pp_buffers *b, size_t c, size_t k, size_t n_local,
                             sk__rng *rng, const double *centres, sk__km_scratch *s,
                             segkit_error *err) {
  const sk__km_data *kd = p->kd;
  size_t d = kd->d;
  double pot = total_pot(p);
  if (!(pot > 0)) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "k = %zu but the rows (with positive weight) have only %zu "
                            "distinct values",
                            k, c);
  }
  memcpy(b->raw, centres + (c - 1) * d, d * sizeof *b->raw);
  for (size_t l = 0; l < n_local; l++) {
    b->cand[l] = draw_row(p, sk__rng_uniform(rng) * pot, s);
    memcpy(b->raw + (1 + l) * d, kd->x + b->cand[l] * d, d * sizeof *b->raw);
  }
  sk__km_prep_centres(b->raw, 1 + n_local, d, b->block);
  p->n_cand = n_local;
  return SEGKIT_OK;
}

/* The candidate with the lowest potential becomes centre c (ties: the first drawn). */
static void pp_choose(pp_state *p, pp_buffers *b, size_t c, size_t n_local, double *centres) {
  const sk__km_data *kd = p->kd;
  size_t d = kd->d;
  size_t best = 0;
  double best_pot = INFINITY;
  for (size_t l = 0; l < n_local; l++) {
    double t = 0;
    for (size_t sg = 0; sg < kd->n_seg; sg++) {
      t += p->cand_pot[sg * n_local + l];
    }
    if (t < best_pot) {
      best_pot = t;
      best = l;
    }
  }
  memcpy(centres + c * d, kd->x + b->cand[best] * d, d * sizeof *centres);
  for (size_t sg = 0; sg < kd->n_seg; sg++) {
    p->seg_pot[sg] = p->cand_pot[sg * n_local + best];
  }
  sk__km_prep_centres(centres + c * d, 1, d, b->last);
  p->upto = c + 1;
}

segkit_status sk__km_plusplus_multi(const sk__km_data *kd, size_t k, size_t n_starts,
                                    sk__rng *rngs, double *const *centres, segkit_error *err) {
  size_t d = kd->d;
  size_t n_local = 2 + (size_t)floor(log((double)k));
  pp_state st[SK__KM_MAX_SEED_GROUP];
  pp_buffers buf[SK__KM_MAX_SEED_GROUP];
  sk__km_scratch s = {0};
  segkit_status status = SEGKIT_OK;
  size_t n_alloc = 0;
  bool ok = n_starts <= SK__KM_MAX_SEED_GROUP && sk__km_scratch_init(&s, 1 + n_local);
  for (; ok && n_alloc < n_starts; n_alloc++) {
    ok = pp_alloc(kd, n_local, &st[n_alloc], &buf[n_alloc]);
  }
  pp_pass pass = {st, n_starts};
  if (!ok) {
    status = segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-means++: out of memory");
    goto done;
  }
  for (size_t t = 0; t < n_starts; t++) {
    memcpy(centres[t], kd->x + draw_first(kd, &rngs[t]) * d, d * sizeof(double));
    sk__km_prep_centres(centres[t], 1, d, buf[t].block);
    sk__km_prep_centres(centres[t], 1, d, buf[t].last);
    st[t].upto = 1;
    st[t].n_cand = 0;
  }
  if (!sk__km_for_segments(kd, 1 + n_local, pp_segment, &pass)) {
    status = segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-means++: out of memory");
    goto done;
  }
  for (size_t c = 1; c < k; c++) {
    for (size_t t = 0; t < n_starts && status == SEGKIT_OK; t++) {
      status = pp_draw(&st[t], &buf[t], c, k, n_local, &rngs[t], centres[t], &s, err);
    }
    if (status != SEGKIT_OK) {
      goto done;
    }
    if (!sk__km_for_segments(kd, 1 + n_local, pp_segment, &pass)) {
      status = segkit_error_set(err, SEGKIT_ERR_NOMEM, "k-means++: out of memory");
      goto done;
    }
    for (size_t t = 0; t < n_starts; t++) {
      pp_choose(&st[t], &buf[t], c, n_local, centres[t]);
    }
  }
done:
  sk__km_scratch_free(&s);
  for (size_t t = 0; t < n_alloc; t++) {
    pp_free(&st[t], &buf[t]);
  }
  return status;
}

segkit_status sk__km_plusplus(const sk__km_data *kd, size_t k, sk__rng *rng, double *centres,
                              segkit_error *err) {
  double *c[1] = {centres};
  return sk__km_plusplus_multi(kd, k, 1, rng, c, err);
}
