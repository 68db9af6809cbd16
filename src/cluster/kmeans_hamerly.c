/* kmeans_hamerly.c: Lloyd's iteration with Hamerly's bounds (G. Hamerly, "Making k-means
 * even faster", SDM 2010): per row an upper bound on the distance to its centre and one
 * lower bound on the distance to every other centre; when the upper bound is below both
 * the lower bound and half the distance from its centre to the nearest other centre, the
 * row's label cannot change and no distance is computed.
 *
 * Key design choice: the same answer as Lloyd, bit for bit. Skips demand the bound test
 * hold with a relative margin of 1e-9 (far above the rounding of the bounds), so a skipped
 * row's centre is strictly nearest and Lloyd would pick it too; rows that are not skipped
 * go through the same kernel and argmin as Lloyd; and the cluster sums are recomputed
 * from every row in segment order each pass (not updated incrementally), so the new
 * centres are the very doubles Lloyd computes. The price is that every pass still reads X
 * for the sums: Hamerly saves arithmetic, not memory traffic, which is why AUTO picks it
 * only when k is large enough for the arithmetic to dominate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/kmeans_int.h"

#define MARGIN 1e-9

bool sk__km_hamerly_init(sk__km_hamerly *h, size_t n, size_t k) {
  h->upper = malloc((n ? n : 1) * sizeof *h->upper);
  h->lower = malloc((n ? n : 1) * sizeof *h->lower);
  h->half = malloc(k * sizeof *h->half);
  h->moved = malloc(k * sizeof *h->moved);
  if (!h->upper || !h->lower || !h->half || !h->moved) {
    sk__km_hamerly_free(h);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    h->upper[i] = INFINITY;
    h->lower[i] = 0;
  }
  return true;
}

void sk__km_hamerly_free(sk__km_hamerly *h) {
  free(h->upper);
  free(h->lower);
  free(h->half);
  free(h->moved);
  memset(h, 0, sizeof *h);
}

typedef struct ham_ctx {
  const sk__km_data *kd;
  const double *centres;
  const double *ct;
  size_t k;
  int32_t *labels;
  sk__km_hamerly *h;
  sk__km_acc *acc;
  bool force;  /* compute every row (Lloyd's work) but keep the bounds fresh */
} ham_ctx;

/* Whether the bounds alone prove row i's centre is still strictly nearest. */
static bool bounds_hold(const ham_ctx *c, size_t i) {
  int32_t a = c->labels[i];
  if (a < 0) {
    return false;
  }
  double bound = c->h->half[a] > c->h->lower[i] ? c->h->half[a] : c->h->lower[i];
  return c->h->upper[i] * (1 + MARGIN) < bound;
}

/* Whether row i must be recomputed; tightens its upper bound on the way. */
static bool needs_recompute(const ham_ctx *c, size_t i) {
  if (bounds_hold(c, i)) {
    return false;
  }
  int32_t a = c->labels[i];
  if (a < 0) {
    return true;
  }
  double *upper = c->h->upper;
  double bound = c->h->half[a] > c->h->lower[i] ? c->h->half[a] : c->h->lower[i];
  const double *xr = c->kd->x + i * c->kd->d;
  upper[i] = sqrt(sk__km_dist1(xr, c->centres + (size_t)a * c->kd->d, c->kd->d));
  return !(upper[i] * (1 + MARGIN) < bound);
}

static void ham_segment(void *arg, size_t seg, size_t r0, size_t r1, sk__km_scratch *s) {
  ham_ctx *c = arg;
  const sk__km_data *kd = c->kd;
  size_t d = kd->d;
  size_t k = c->k;
  double *sums = c->acc->seg_sums + seg * k * d;
  double *wsum = c->acc->seg_wsum + seg * k;
  memset(sums, 0, k * d * sizeof *sums);
  memset(wsum, 0, k * sizeof *wsum);
  size_t changed = 0;
  size_t recomputed = 0;
  int32_t lab[SK__KM_CHUNK];
  double best[SK__KM_CHUNK];
  double second[SK__KM_CHUNK];
  for (size_t q0 = r0; q0 < r1; q0 += SK__KM_CHUNK) {
    size_t m = r1 - q0 < SK__KM_CHUNK ? r1 - q0 : SK__KM_CHUNK;
    size_t n_list = 0;
    if (c->force) {
      /* Every row, contiguous; count the rows the bounds would not have skipped. */
      for (size_t i = q0; i < q0 + m; i++) {
        recomputed += !bounds_hold(c, i);
        s->rows[n_list++] = i;
      }
    } else {
      for (size_t i = q0; i < q0 + m; i++) {
        if (needs_recompute(c, i)) {
          s->rows[n_list++] = i;
        }
      }
      recomputed += n_list;
    }
    if (n_list > 0) {
      size_t kpad = sk__km_kpad(k);
      sk__km_dist(kd->x, d, q0, n_list, c->force ? NULL : s->rows, c->ct, kpad, s->dist);
      sk__km_argmin(s->dist, n_list, k, kpad, lab, best, second);
      for (size_t r = 0; r < n_list; r++) {
        size_t i = s->rows[r];
        changed += c->labels[i] != lab[r];
        c->labels[i] = lab[r];
        c->h->upper[i] = sqrt(best[r]);
        c->h->lower[i] = k > 1 ? sqrt(second[r]) : INFINITY;
      }
    }
    for (size_t i = q0; i < q0 + m; i++) {
      double w = sk__km_weight(kd, i);
      int32_t a = c->labels[i];
      double *sr = sums + (size_t)a * d;
      const double *xr = kd->x + i * d;
      for (size_t j = 0; j < d; j++) {
        sr[j] += w * xr[j];
      }
      wsum[a] += w;
    }
  }
  c->acc->seg_inertia[seg] = 0; /* not tracked: the driver's final Lloyd pass gives it */
  c->acc->seg_changed[seg] = changed;
  c->acc->seg_recomputed[seg] = recomputed;
}

static void half_distances(const double *centres, size_t k, size_t d, double *half) {
  for (size_t a = 0; a < k; a++) {
    double m = INFINITY;
    for (size_t b = 0; b < k; b++) {
      if (b == a) {
        continue;
      }
      double v = sk__km_dist1(centres + a * d, centres + b * d, d);
      m = v < m ? v : m;
    }
    half[a] = 0.5 * sqrt(m);
  }
}

bool sk__km_hamerly_pass(const sk__km_data *kd, const double *centres, size_t k,
                         int32_t *labels, sk__km_hamerly *h, sk__km_acc *acc, bool force) {
  half_distances(centres, k, kd->d, h->half);
  double *ct = malloc(sk__km_kpad(k) * kd->d * sizeof *ct);
  if (!ct) {
    return false;
  }
  sk__km_prep_centres(centres, k, kd->d, ct);
  ham_ctx c = {kd, centres, ct, k, labels, h, acc, force};
  bool ok = sk__km_for_segments(kd, k, ham_segment, &c);
  free(ct);
  if (!ok) {
    return false;
  }
  sk__km_acc_combine(acc, true);
  return true;
}

typedef struct moved_ctx {
  const int32_t *labels;
  sk__km_hamerly *h;
  double p1, p2;  /* largest and second-largest move */
  size_t arg1;    /* centre that moved most */
} moved_ctx;

static void moved_segment(void *arg, size_t seg, size_t r0, size_t r1, sk__km_scratch *s) {
  (void)seg;
  (void)s;
  moved_ctx *c = arg;
  for (size_t i = r0; i < r1; i++) {
    int32_t a = c->labels[i];
    c->h->upper[i] += c->h->moved[a];
    c->h->lower[i] -= (size_t)a == c->arg1 ? c->p2 : c->p1;
  }
}

void sk__km_hamerly_moved(const sk__km_data *kd, const double *old_c, const double *new_c,
                          size_t k, const int32_t *labels, sk__km_hamerly *h) {
  moved_ctx c = {labels, h, 0, 0, 0};
  for (size_t a = 0; a < k; a++) {
    double p = sqrt(sk__km_dist1(old_c + a * kd->d, new_c + a * kd->d, kd->d));
    h->moved[a] = p;
    if (p > c.p1) {
      c.p2 = c.p1;
      c.p1 = p;
      c.arg1 = a;
    } else if (p > c.p2) {
      c.p2 = p;
    }
  }
  if (!sk__km_for_segments(kd, 1, moved_segment, &c)) {
    /* Scratch allocation failed: do it on this thread (no scratch needed). */
    moved_segment(&c, 0, 0, kd->n, NULL);
  }
}
