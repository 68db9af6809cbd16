/* kmeans_lloyd.c: one fused Lloyd pass (Lloyd 1982) — distances, argmin, inertia and the
 * weighted per-cluster sums of the next centres in a single read of X.
 *
 * Key design choice: fusion over cache-sized chunks. A full n x k distance matrix followed
 * by separate argmin and sum passes reads and writes far more memory than X itself (the
 * measured GEMM of 1 M x 16 by 16 x 8 alone took longer than a whole scikit-learn
 * iteration); here each chunk of 256 rows gets its k distances computed into an L1-sized
 * buffer, its labels chosen and its rows added to the segment's sums while the rows are
 * still in cache, so each pass reads X once. */
#include <stdlib.h>
#include <string.h>

#include "cluster/kmeans_int.h"

typedef struct lloyd_ctx {
  const sk__km_data *kd;
  const double *centres;
  const double *ct;  /* centres in the kernel's layout */
  size_t k;
  int32_t *labels;
  sk__km_acc *acc;
  bool acc_sums;
} lloyd_ctx;

static void lloyd_segment(void *arg, size_t seg, size_t r0, size_t r1, sk__km_scratch *s) {
  lloyd_ctx *c = arg;
  const sk__km_data *kd = c->kd;
  size_t d = kd->d;
  size_t k = c->k;
  double *sums = c->acc->seg_sums + seg * k * d;
  double *wsum = c->acc->seg_wsum + seg * k;
  if (c->acc_sums) {
    memset(sums, 0, k * d * sizeof *sums);
    memset(wsum, 0, k * sizeof *wsum);
  }
  double inertia = 0;
  size_t changed = 0;
  int32_t lab[SK__KM_CHUNK];
  double best[SK__KM_CHUNK];
  for (size_t q0 = r0; q0 < r1; q0 += SK__KM_CHUNK) {
    size_t m = r1 - q0 < SK__KM_CHUNK ? r1 - q0 : SK__KM_CHUNK;
    size_t kpad = sk__km_kpad(k);
    sk__km_dist(kd->x, d, q0, m, NULL, c->ct, kpad, s->dist);
    sk__km_argmin(s->dist, m, k, kpad, lab, best, NULL);
    double chunk_inertia = 0; /* per chunk, then added: the order multi_segment uses */
    for (size_t r = 0; r < m; r++) {
      size_t i = q0 + r;
      double w = sk__km_weight(kd, i);
      chunk_inertia += w * best[r];
      changed += c->labels[i] != lab[r];
      c->labels[i] = lab[r];
      if (!c->acc_sums) {
        continue;
      }
      double *sr = sums + (size_t)lab[r] * d;
      const double *xr = kd->x + i * d;
      for (size_t j = 0; j < d; j++) {
        sr[j] += w * xr[j];
      }
      wsum[lab[r]] += w;
    }
    inertia += chunk_inertia;
  }
  c->acc->seg_inertia[seg] = inertia;
  c->acc->seg_changed[seg] = changed;
  c->acc->seg_recomputed[seg] = r1 - r0;
}

bool sk__km_lloyd_pass(const sk__km_data *kd, const double *centres, size_t k,
                       int32_t *labels, sk__km_acc *acc, bool acc_sums) {
  double *ct = malloc(sk__km_kpad(k) * kd->d * sizeof *ct);
  if (!ct) {
    return false;
  }
  sk__km_prep_centres(centres, k, kd->d, ct);
  lloyd_ctx c = {kd, centres, ct, k, labels, acc, acc_sums};
  bool ok = sk__km_for_segments(kd, k, lloyd_segment, &c);
  free(ct);
  if (!ok) {
    return false;
  }
  sk__km_acc_combine(acc, acc_sums);
  return true;
}

/* ---- several starts in one pass ---------------------------------------------------------
 * Restarts are independent, so their passes can share the read of X: each chunk of rows is
 * loaded once and, while it sits in L1/L2, meets the centres of every start still running.
 * Per start the work is exactly lloyd_segment's (same kernel, same row order, sums of its
 * own), so a start's result is bit for bit what it would be alone. */

typedef struct multi_ctx {
  const sk__km_data *kd;
  size_t k, n_starts;
  const double *ct;        /* n_starts x kpad x d, prepared centres */
  int32_t *const *labels;  /* per start */
  const uint8_t *mode;     /* per start: SK__KM_IDLE, SK__KM_UPDATE or SK__KM_ASSIGN */
  sk__km_acc *acc;         /* per start */
} multi_ctx;

static void multi_segment(void *arg, size_t seg, size_t r0, size_t r1, sk__km_scratch *s) {
  multi_ctx *c = arg;
  const sk__km_data *kd = c->kd;
  size_t d = kd->d;
  size_t k = c->k;
  size_t kpad = sk__km_kpad(k);
  for (size_t st = 0; st < c->n_starts; st++) {
    if (c->mode[st] == SK__KM_UPDATE) {
      memset(c->acc[st].seg_sums + seg * k * d, 0, k * d * sizeof(double));
      memset(c->acc[st].seg_wsum + seg * k, 0, k * sizeof(double));
    }
    c->acc[st].seg_inertia[seg] = 0;
    c->acc[st].seg_changed[seg] = 0;
    c->acc[st].seg_recomputed[seg] = r1 - r0;
  }
  int32_t lab[SK__KM_CHUNK];
  double best[SK__KM_CHUNK];
  for (size_t q0 = r0; q0 < r1; q0 += SK__KM_CHUNK) {
    size_t m = r1 - q0 < SK__KM_CHUNK ? r1 - q0 : SK__KM_CHUNK;
    for (size_t st = 0; st < c->n_starts; st++) {
      if (c->mode[st] == SK__KM_IDLE) {
        continue;
      }
      sk__km_acc *acc = &c->acc[st];
      int32_t *labels = c->labels[st];
      bool sums_on = c->mode[st] == SK__KM_UPDATE;
      double *sums = acc->seg_sums + seg * k * d;
      double *wsum = acc->seg_wsum + seg * k;
      sk__km_dist(kd->x, d, q0, m, NULL, c->ct + st * kpad * d, kpad, s->dist);
      sk__km_argmin(s->dist, m, k, kpad, lab, best, NULL);
      double inertia = 0;
      size_t changed = 0;
      for (size_t r = 0; r < m; r++) {
        size_t i = q0 + r;
        double w = sk__km_weight(kd, i);
        inertia += w * best[r];
        changed += labels[i] != lab[r];
        labels[i] = lab[r];
        if (!sums_on) {
          continue;
        }
        double *sr = sums + (size_t)lab[r] * d;
        const double *xr = kd->x + i * d;
        for (size_t j = 0; j < d; j++) {
          sr[j] += w * xr[j];
        }
        wsum[lab[r]] += w;
      }
      /* Chunk subtotals added in chunk order, as lloyd_segment does. */
      acc->seg_inertia[seg] += inertia;
      acc->seg_changed[seg] += changed;
    }
  }
}

bool sk__km_lloyd_multi_pass(const sk__km_data *kd, size_t k, size_t n_starts,
                             const double *const *centres, int32_t *const *labels,
                             const uint8_t *mode, sk__km_acc *acc) {
  size_t kpad = sk__km_kpad(k);
  double *ct = malloc(n_starts * kpad * kd->d * sizeof *ct);
  if (!ct) {
    return false;
  }
  for (size_t st = 0; st < n_starts; st++) {
    if (mode[st] != SK__KM_IDLE) {
      sk__km_prep_centres(centres[st], k, kd->d, ct + st * kpad * kd->d);
    }
  }
  multi_ctx c = {kd, k, n_starts, ct, labels, mode, acc};
  bool ok = sk__km_for_segments(kd, k, multi_segment, &c);
  free(ct);
  if (!ok) {
    return false;
  }
  for (size_t st = 0; st < n_starts; st++) {
    if (mode[st] != SK__KM_IDLE) {
      sk__km_acc_combine(&acc[st], mode[st] == SK__KM_UPDATE);
    }
  }
  return true;
}
