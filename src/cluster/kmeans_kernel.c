/* kmeans_kernel.c: the distance kernel of the k-means family, the fixed segmentation of
 * rows, and the worker loop over segments.
 *
 * Key design choice: distances are computed as sum_j (x_j - c_j)^2 with the centres laid
 * out eight to a vector (column j of eight centres side by side), so a row read once from
 * X (row-major, no transposition) meets eight centres per instruction, four rows at a
 * time for independent accumulator chains; rather than as ||x||^2 - 2 x.c + ||c||^2
 * through a GEMM. At the sizes segmentation sees (d up to a few dozen, k up to a few
 * dozen) one start's pass is bound by reading X, and even with ten starts sharing a pass
 * the subtraction costs one instruction in three; in exchange there is no cancellation (uncentred behavioural data has
 * ||x|| >> ||x - c||), each value depends only on its row and centre, and Hamerly's
 * bounds can be trusted, so Lloyd and Hamerly return identical labels. The kernel exists
 * as AVX-512 intrinsics (eight rows at a time, fused multiply-add), and as portable vector
 * code compiled for AVX2 and baseline x86-64, picked at run time
 * (__builtin_cpu_supports; target_clones would do the same but clang 14 does not resolve
 * clones called from other files), so one binary runs anywhere. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/kmeans_int.h"
#include "core/core_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define SK__KM_DISPATCH 1
#include <immintrin.h>
#endif

/* ---- segments ------------------------------------------------------------------------ */

/* At least this many rows per segment (a thread's unit of work), and at most this many
 * segments, so per-segment partial sums stay small (n_seg x k x d doubles). */
#define SEG_MIN_ROWS 4096
#define SEG_MAX 128

void sk__km_data_init(sk__km_data *kd, const double *x, const double *w, size_t n, size_t d,
                      int asked_threads) {
  kd->x = x;
  kd->w = w;
  kd->n = n;
  kd->d = d;
  size_t rows = (n + SEG_MAX - 1) / SEG_MAX;
  if (rows < SEG_MIN_ROWS) {
    rows = SEG_MIN_ROWS;
  }
  rows = (rows + SK__KM_CHUNK - 1) / SK__KM_CHUNK * SK__KM_CHUNK;
  kd->seg_rows = rows;
  kd->n_seg = n == 0 ? 0 : (n + rows - 1) / rows;
  int t = sk__worker_count(asked_threads, n, SEG_MIN_ROWS);
  if ((size_t)t > kd->n_seg) {
    t = kd->n_seg > 0 ? (int)kd->n_seg : 1;
  }
  kd->n_threads = t < 1 ? 1 : t;
}

bool sk__km_scratch_init(sk__km_scratch *s, size_t kmax) {
  s->dist = malloc(SK__KM_CHUNK * sk__km_kpad(kmax ? kmax : 1) * sizeof *s->dist);
  s->rows = malloc(SK__KM_CHUNK * sizeof *s->rows);
  if (!s->dist || !s->rows) {
    sk__km_scratch_free(s);
    return false;
  }
  return true;
}

void sk__km_scratch_free(sk__km_scratch *s) {
  free(s->dist);
  free(s->rows);
  s->dist = NULL;
  s->rows = NULL;
}

typedef struct seg_worker {
  const sk__km_data *kd;
  sk__km_seg_fn fn;
  void *ctx;
  int index, count;
  sk__km_scratch scratch;
} seg_worker;

static void *seg_worker_run(void *arg) {
  seg_worker *w = arg;
  const sk__km_data *kd = w->kd;
  for (size_t s = (size_t)w->index; s < kd->n_seg; s += (size_t)w->count) {
    size_t r0 = s * kd->seg_rows;
    size_t r1 = r0 + kd->seg_rows < kd->n ? r0 + kd->seg_rows : kd->n;
    w->fn(w->ctx, s, r0, r1, &w->scratch);
  }
  return NULL;
}

bool sk__km_for_segments(const sk__km_data *kd, size_t kmax, sk__km_seg_fn fn, void *ctx) {
  seg_worker workers[SK__MAX_WORKERS];
  int t = kd->n_threads;
  bool ok = true;
  for (int i = 0; i < t; i++) {
    workers[i] = (seg_worker){.kd = kd, .fn = fn, .ctx = ctx, .index = i, .count = t};
    if (!sk__km_scratch_init(&workers[i].scratch, kmax)) {
      ok = false;
    }
  }
  if (ok) {
    sk__run_workers(seg_worker_run, workers, sizeof workers[0], t);
  }
  for (int i = 0; i < t; i++) {
    sk__km_scratch_free(&workers[i].scratch);
  }
  return ok;
}

/* ---- kernel -------------------------------------------------------------------------- */

void sk__km_prep_centres(const double *c, size_t k, size_t d, double *ct) {
  size_t kpad = sk__km_kpad(k);
  for (size_t q = 0; q < kpad; q++) {
    size_t b = q / SK__KM_CBLOCK;
    size_t l = q % SK__KM_CBLOCK;
    for (size_t j = 0; j < d; j++) {
      ct[(b * d + j) * SK__KM_CBLOCK + l] = q < k ? c[q * d + j] : INFINITY;
    }
  }
}

/* One block of eight centres as a GCC/clang vector: written as vectors because left to
 * itself the auto-vectoriser vectorises the column loop with shuffles instead. Lane l
 * computes exactly what the scalar loop would (same operations, same column order). */
typedef double v8d __attribute__((vector_size(SK__KM_CBLOCK * sizeof(double))));

/* Rows against the blocks of eight centres, four rows at a time (four independent
 * accumulator chains), then the remainder one row at a time. Always inlined, so each
 * target's copy below holds the whole loop nest compiled for that target. */
static inline __attribute__((always_inline)) void
dist_body(const double *x, size_t d, size_t r0, size_t m, const size_t *idx, const double *ct,
          size_t kpad, double *dist) {
  size_t nb = kpad / SK__KM_CBLOCK;
  size_t r = 0;
  for (; r + 4 <= m; r += 4) {
    const double *x0 = x + (idx ? idx[r] : r0 + r) * d;
    const double *x1 = x + (idx ? idx[r + 1] : r0 + r + 1) * d;
    const double *x2 = x + (idx ? idx[r + 2] : r0 + r + 2) * d;
    const double *x3 = x + (idx ? idx[r + 3] : r0 + r + 3) * d;
    for (size_t b = 0; b < nb; b++) {
      const double *cb = ct + b * d * SK__KM_CBLOCK;
      v8d a0 = {0};
      v8d a1 = {0};
      v8d a2 = {0};
      v8d a3 = {0};
      for (size_t j = 0; j < d; j++) {
        v8d cj;
        memcpy(&cj, cb + j * SK__KM_CBLOCK, sizeof cj);
        v8d e0 = x0[j] - cj;
        v8d e1 = x1[j] - cj;
        v8d e2 = x2[j] - cj;
        v8d e3 = x3[j] - cj;
        a0 += e0 * e0;
        a1 += e1 * e1;
        a2 += e2 * e2;
        a3 += e3 * e3;
      }
      size_t o = r * kpad + b * SK__KM_CBLOCK;
      memcpy(dist + o, &a0, sizeof a0);
      memcpy(dist + o + kpad, &a1, sizeof a1);
      memcpy(dist + o + 2 * kpad, &a2, sizeof a2);
      memcpy(dist + o + 3 * kpad, &a3, sizeof a3);
    }
  }
  for (; r < m; r++) {
    const double *x0 = x + (idx ? idx[r] : r0 + r) * d;
    for (size_t b = 0; b < nb; b++) {
      const double *cb = ct + b * d * SK__KM_CBLOCK;
      v8d a0 = {0};
      for (size_t j = 0; j < d; j++) {
        v8d cj;
        memcpy(&cj, cb + j * SK__KM_CBLOCK, sizeof cj);
        v8d e0 = x0[j] - cj;
        a0 += e0 * e0;
      }
      memcpy(dist + r * kpad + b * SK__KM_CBLOCK, &a0, sizeof a0);
    }
  }
}

#ifdef SK__KM_DISPATCH
/* AVX-512: eight rows at a time (eight accumulator chains hide the FMA latency), the
 * square-and-add fused (one rounding fewer than the portable path, so values may differ
 * from it in the last bit; on a given machine every caller uses the same path). */
__attribute__((target("avx512f"))) static void
dist_avx512(const double *x, size_t d, size_t r0, size_t m, const size_t *idx,
            const double *ct, size_t kpad, double *dist) {
  size_t nb = kpad / SK__KM_CBLOCK;
  size_t r = 0;
  for (; r + 8 <= m; r += 8) {
    const double *xr[8];
    for (int q = 0; q < 8; q++) {
      xr[q] = x + (idx ? idx[r + (size_t)q] : r0 + r + (size_t)q) * d;
    }
    for (size_t b = 0; b < nb; b++) {
      const double *cb = ct + b * d * SK__KM_CBLOCK;
      __m512d a0 = _mm512_setzero_pd();
      __m512d a1 = _mm512_setzero_pd();
      __m512d a2 = _mm512_setzero_pd();
      __m512d a3 = _mm512_setzero_pd();
      __m512d a4 = _mm512_setzero_pd();
      __m512d a5 = _mm512_setzero_pd();
      __m512d a6 = _mm512_setzero_pd();
      __m512d a7 = _mm512_setzero_pd();
      for (size_t j = 0; j < d; j++) {
        __m512d cj = _mm512_loadu_pd(cb + j * SK__KM_CBLOCK);
        __m512d e0 = _mm512_sub_pd(_mm512_set1_pd(xr[0][j]), cj);
        __m512d e1 = _mm512_sub_pd(_mm512_set1_pd(xr[1][j]), cj);
        __m512d e2 = _mm512_sub_pd(_mm512_set1_pd(xr[2][j]), cj);
        __m512d e3 = _mm512_sub_pd(_mm512_set1_pd(xr[3][j]), cj);
        __m512d e4 = _mm512_sub_pd(_mm512_set1_pd(xr[4][j]), cj);
        __m512d e5 = _mm512_sub_pd(_mm512_set1_pd(xr[5][j]), cj);
        __m512d e6 = _mm512_sub_pd(_mm512_set1_pd(xr[6][j]), cj);
        __m512d e7 = _mm512_sub_pd(_mm512_set1_pd(xr[7][j]), cj);
        a0 = _mm512_fmadd_pd(e0, e0, a0);
        a1 = _mm512_fmadd_pd(e1, e1, a1);
        a2 = _mm512_fmadd_pd(e2, e2, a2);
        a3 = _mm512_fmadd_pd(e3, e3, a3);
        a4 = _mm512_fmadd_pd(e4, e4, a4);
        a5 = _mm512_fmadd_pd(e5, e5, a5);
        a6 = _mm512_fmadd_pd(e6, e6, a6);
        a7 = _mm512_fmadd_pd(e7, e7, a7);
      }
      double *o = dist + r * kpad + b * SK__KM_CBLOCK;
      _mm512_storeu_pd(o, a0);
      _mm512_storeu_pd(o + kpad, a1);
      _mm512_storeu_pd(o + 2 * kpad, a2);
      _mm512_storeu_pd(o + 3 * kpad, a3);
      _mm512_storeu_pd(o + 4 * kpad, a4);
      _mm512_storeu_pd(o + 5 * kpad, a5);
      _mm512_storeu_pd(o + 6 * kpad, a6);
      _mm512_storeu_pd(o + 7 * kpad, a7);
    }
  }
  for (; r < m; r++) {
    const double *x0 = x + (idx ? idx[r] : r0 + r) * d;
    for (size_t b = 0; b < nb; b++) {
      const double *cb = ct + b * d * SK__KM_CBLOCK;
      __m512d a0 = _mm512_setzero_pd();
      for (size_t j = 0; j < d; j++) {
        __m512d e0 = _mm512_sub_pd(_mm512_set1_pd(x0[j]), _mm512_loadu_pd(cb + j * SK__KM_CBLOCK));
        a0 = _mm512_fmadd_pd(e0, e0, a0);
      }
      _mm512_storeu_pd(dist + r * kpad + b * SK__KM_CBLOCK, a0);
    }
  }
}

__attribute__((target("avx2"))) static void
dist_avx2(const double *x, size_t d, size_t r0, size_t m, const size_t *idx, const double *ct,
          size_t kpad, double *dist) {
  dist_body(x, d, r0, m, idx, ct, kpad, dist);
}
#endif

void sk__km_dist(const double *x, size_t d, size_t r0, size_t m, const size_t *idx,
                 const double *ct, size_t kpad, double *dist) {
#ifdef SK__KM_DISPATCH
  if (__builtin_cpu_supports("avx512f")) {
    dist_avx512(x, d, r0, m, idx, ct, kpad, dist);
    return;
  }
  if (__builtin_cpu_supports("avx2")) {
    dist_avx2(x, d, r0, m, idx, ct, kpad, dist);
    return;
  }
#endif
  dist_body(x, d, r0, m, idx, ct, kpad, dist);
}

double sk__km_dist1(const double *x, const double *c, size_t d) {
  /* The kernel's sum in the same column order, though without its fused multiply-add on
   * AVX-512 machines: used for Hamerly's bounds (which carry a margin) and to pick rows
   * for empty clusters, never for a label, so the last bit does not matter. */
  double acc = 0.0;
  for (size_t j = 0; j < d; j++) {
    double diff = x[j] - c[j];
    acc += diff * diff;
  }
  return acc;
}

void sk__km_argmin(const double *dist, size_t m, size_t k, size_t kpad, int32_t *labels,
                   double *best, double *second) {
  /* Branch-free selects: with overlapping clusters the comparisons are unpredictable.
   * Strict < keeps the smallest label on ties (centres are visited in order). */
  for (size_t r = 0; r < m; r++) {
    const double *dr = dist + r * kpad;
    double b1 = dr[0];
    double b2 = INFINITY;
    int32_t lab = 0;
    for (size_t c = 1; c < k; c++) {
      double v = dr[c];
      bool lt = v < b1;
      double lo2 = v < b2 ? v : b2;
      b2 = lt ? b1 : lo2;
      b1 = lt ? v : b1;
      lab = lt ? (int32_t)c : lab;
    }
    labels[r] = lab;
    best[r] = b1;
    if (second) {
      second[r] = b2;
    }
  }
}

/* ---- accumulators ------------------------------------------------------------------- */

bool sk__km_acc_init(sk__km_acc *a, size_t k, size_t d, size_t n_seg) {
  memset(a, 0, sizeof *a);
  a->k = k;
  a->d = d;
  a->n_seg = n_seg;
  size_t ns = n_seg ? n_seg : 1;
  a->seg_sums = malloc(ns * k * d * sizeof *a->seg_sums);
  a->seg_wsum = malloc(ns * k * sizeof *a->seg_wsum);
  a->seg_inertia = malloc(ns * sizeof *a->seg_inertia);
  a->seg_changed = malloc(ns * sizeof *a->seg_changed);
  a->seg_recomputed = calloc(ns, sizeof *a->seg_recomputed);
  a->sums = malloc(k * d * sizeof *a->sums);
  a->wsum = malloc(k * sizeof *a->wsum);
  if (!a->seg_sums || !a->seg_wsum || !a->seg_inertia || !a->seg_changed || !a->seg_recomputed || !a->sums ||
      !a->wsum) {
    sk__km_acc_free(a);
    return false;
  }
  return true;
}

void sk__km_acc_free(sk__km_acc *a) {
  free(a->seg_sums);
  free(a->seg_wsum);
  free(a->seg_inertia);
  free(a->seg_changed);
  free(a->seg_recomputed);
  free(a->sums);
  free(a->wsum);
  memset(a, 0, sizeof *a);
}

void sk__km_acc_combine(sk__km_acc *a, bool with_sums) {
  size_t kd = a->k * a->d;
  a->inertia = 0;
  a->changed = 0;
  a->recomputed = 0;
  if (with_sums) {
    memset(a->sums, 0, kd * sizeof *a->sums);
    memset(a->wsum, 0, a->k * sizeof *a->wsum);
  }
  for (size_t s = 0; s < a->n_seg; s++) {
    a->inertia += a->seg_inertia[s];
    a->changed += a->seg_changed[s];
    a->recomputed += a->seg_recomputed[s];
    if (!with_sums) {
      continue;
    }
    const double *ss = a->seg_sums + s * kd;
    const double *sw = a->seg_wsum + s * a->k;
    for (size_t i = 0; i < kd; i++) {
      a->sums[i] += ss[i];
    }
    for (size_t c = 0; c < a->k; c++) {
      a->wsum[c] += sw[c];
    }
  }
}
