/* kmeans_int.h: the pieces the k-means family shares (k-means, mini-batch k-means, and the
 * nearest-centroid assignment used by k-means, mini-batch and Ward models).
 *
 * Rows are processed in fixed segments (contiguous row ranges whose size depends on n
 * only, never on the thread count); every per-row result is computed by the same kernel
 * whichever thread runs it, and every sum is accumulated per segment in row order and then
 * combined in segment order. That is what makes a fit bit-for-bit the same with 1 or 16
 * threads. Within a segment, rows go through the distance kernel in chunks of
 * SK__KM_CHUNK rows, transposed into a small column-major buffer that stays in L1/L2, so
 * X is read once per pass. */
#ifndef SEGKIT_KMEANS_INT_H
#define SEGKIT_KMEANS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/cluster_int.h"
#include "sample/sample_int.h"

/* Rows per chunk (the distance buffer is SK__KM_CHUNK x k doubles). */
#define SK__KM_CHUNK 256
/* Centres per kernel block: one AVX-512 vector of doubles; k is padded to a multiple. */
#define SK__KM_CBLOCK 8

/* Random streams of the family (the generator is the sample module's xoshiro256**). */
enum {
  SK__KM_STREAM_INIT = 0x6b6d01,      /* k-means++ of start s: index s */
  SK__KM_STREAM_MINIBATCH = 0x6b6d02, /* batches of mini-batch k-means */
  SK__KM_STREAM_KPROTO = 0x6b6d03     /* k-prototypes starts */
};

/* A read-only view of the data with its fixed segmentation. */
typedef struct sk__km_data {
  const double *x;       /* n x d, row-major */
  const double *w;       /* n weights or NULL (all 1) */
  size_t n, d;
  size_t seg_rows;       /* rows per segment (the last may be shorter) */
  size_t n_seg;
  int n_threads;         /* workers actually used for passes (>= 1) */
} sk__km_data;

void sk__km_data_init(sk__km_data *kd, const double *x, const double *w, size_t n, size_t d,
                      int asked_threads);

static inline double sk__km_weight(const sk__km_data *kd, size_t i) {
  return kd->w ? kd->w[i] : 1.0;
}

/* Per-thread scratch for the kernel: distances of a chunk and a list of rows. */
typedef struct sk__km_scratch {
  double *dist;   /* SK__KM_CHUNK x kpad */
  size_t *rows;   /* SK__KM_CHUNK row indices (Hamerly's list of rows to recompute) */
} sk__km_scratch;

bool sk__km_scratch_init(sk__km_scratch *s, size_t kmax);
void sk__km_scratch_free(sk__km_scratch *s);

/* Run fn(ctx, segment, first row, end row, scratch) over every segment, worker t taking
 * segments t, t + T, ... Scratch is one per worker (sized for kmax centres); a pass needs
 * no other allocation. */
typedef void (*sk__km_seg_fn)(void *ctx, size_t seg, size_t r0, size_t r1,
                              sk__km_scratch *scratch);
bool sk__km_for_segments(const sk__km_data *kd, size_t kmax, sk__km_seg_fn fn, void *ctx);

/* ---- the distance kernel (kmeans_kernel.c) ----------------------------------------- */

/* k rounded up to whole blocks of SK__KM_CBLOCK centres. */
static inline size_t sk__km_kpad(size_t k) {
  return (k + SK__KM_CBLOCK - 1) / SK__KM_CBLOCK * SK__KM_CBLOCK;
}
/* Centres (k x d) in the kernel's layout: block b, column j, lane l at
 * ct[(b * d + j) * SK__KM_CBLOCK + l]; padding lanes get +infinity so their distances are
 * infinite and never chosen. ct holds kpad x d doubles. */
void sk__km_prep_centres(const double *c, size_t k, size_t d, double *ct);
/* Squared Euclidean distances of m rows (r0 .. r0 + m of x, or the rows listed in idx when
 * idx != NULL) to all kpad prepared centres: dist[r * kpad + c] = sum_j (x_j - c_j)^2,
 * accumulated in column order. A value depends only on the row and the centre, never on
 * where the row sat in the chunk, so Lloyd, Hamerly and assignment agree exactly. */
void sk__km_dist(const double *x, size_t d, size_t r0, size_t m, const size_t *idx,
                 const double *ct, size_t kpad, double *dist);
/* Nearest of k centres (ties to the smallest label) from a distance buffer of m rows:
 * labels[r], best[r] (squared distance) and, when second != NULL, the second smallest. */
void sk__km_argmin(const double *dist, size_t m, size_t k, size_t kpad, int32_t *labels,
                   double *best, double *second);
/* Squared distance of one row to one centre, summed in the kernel's column order (for
 * bounds and empty clusters; labels always come from the kernel). */
double sk__km_dist1(const double *x, const double *c, size_t d);

/* ---- initialisation (kmeans_init.c) ---------------------------------------------- */

/* Greedy k-means++ (Arthur & Vassilvitskii 2007; the greedy variant of scikit-learn's
 * _kmeans_plusplus: 2 + floor(ln k) candidates per centre, the one lowering the weighted
 * potential most kept). Fills centres (k x d). SEGKIT_ERR_LIMIT when the rows with
 * positive weight have fewer than k distinct values. */
segkit_status sk__km_plusplus(const sk__km_data *kd, size_t k, sk__rng *rng, double *centres,
                              segkit_error *err);

/* Seed n_starts starts (n_starts <= SK__KM_MAX_SEED_GROUP) in the same passes over X:
 * start t draws from rngs[t] into centres[t], exactly as sk__km_plusplus would alone. Needs
 * 8 bytes per row per start. */
#define SK__KM_MAX_SEED_GROUP 16
segkit_status sk__km_plusplus_multi(const sk__km_data *kd, size_t k, size_t n_starts,
                                    sk__rng *rngs, double *const *centres, segkit_error *err);

/* ---- Lloyd and Hamerly passes (kmeans_lloyd.c, kmeans_hamerly.c) ------------------ */

/* Sums of one pass, per segment then combined in segment order. */
typedef struct sk__km_acc {
  size_t k, d, n_seg;
  double *seg_sums;   /* n_seg x k x d */
  double *seg_wsum;   /* n_seg x k */
  double *seg_inertia;/* n_seg */
  size_t *seg_changed;/* n_seg */
  size_t *seg_recomputed; /* n_seg: rows whose distances a Hamerly pass computed */
  double *sums;       /* k x d, combined */
  double *wsum;       /* k */
  double inertia;
  size_t changed;
  size_t recomputed;  /* Hamerly passes: rows not skipped */
} sk__km_acc;

bool sk__km_acc_init(sk__km_acc *a, size_t k, size_t d, size_t n_seg);
void sk__km_acc_free(sk__km_acc *a);
/* Combine the per-segment parts in segment order. */
void sk__km_acc_combine(sk__km_acc *a, bool with_sums);

/* One Lloyd pass: label every row with its nearest centre (labels updated in place,
 * changes counted), weighted inertia to those centres, and when acc_sums the weighted
 * per-cluster sums for the next centres. */
bool sk__km_lloyd_pass(const sk__km_data *kd, const double *centres, size_t k,
                       int32_t *labels, sk__km_acc *acc, bool acc_sums);

/* Several starts in one pass (each chunk of X read once for all of them): per start,
 * mode SK__KM_UPDATE is sk__km_lloyd_pass(acc_sums = true), SK__KM_ASSIGN is
 * sk__km_lloyd_pass(acc_sums = false), SK__KM_IDLE skips the start; results are those of
 * the single-start pass, bit for bit. */
enum { SK__KM_IDLE = 0, SK__KM_UPDATE = 1, SK__KM_ASSIGN = 2 };
bool sk__km_lloyd_multi_pass(const sk__km_data *kd, size_t k, size_t n_starts,
                             const double *const *centres, int32_t *const *labels,
                             const uint8_t *mode, sk__km_acc *acc);

/* Hamerly (2010) bounds state: an upper bound on each row's distance to its centre and a
 * lower bound on its distance to any other centre (Euclidean, not squared). */
typedef struct sk__km_hamerly {
  double *upper;  /* n */
  double *lower;  /* n */
  double *half;   /* k: half the distance to the nearest other centre */
  double *moved;  /* k: distance each centre moved in the last update */
} sk__km_hamerly;

bool sk__km_hamerly_init(sk__km_hamerly *h, size_t n, size_t k);
void sk__km_hamerly_free(sk__km_hamerly *h);
/* One Hamerly pass with the same result as sk__km_lloyd_pass(acc_sums = true): rows whose
 * bounds prove their centre is still strictly nearest skip the distance computations. On
 * the first pass (labels all -1) every row is computed. With force, every row is computed
 * (Lloyd's work) and its bounds refreshed; acc->recomputed still counts the rows the
 * bounds would not have skipped, so a caller can tell when skipping pays again. */
bool sk__km_hamerly_pass(const sk__km_data *kd, const double *centres, size_t k,
                         int32_t *labels, sk__km_hamerly *h, sk__km_acc *acc, bool force);
/* After the centres moved from old to new: shift the bounds (Hamerly 2010, Algorithm 4). */
void sk__km_hamerly_moved(const sk__km_data *kd, const double *old_c, const double *new_c,
                          size_t k, const int32_t *labels, sk__km_hamerly *h);

/* ---- shared by the fitters (kmeans.c) ---------------------------------------------- */

/* scikit-learn's tolerance scale: the mean over columns of the (unweighted, ddof 0)
 * variance. */
double sk__km_mean_variance(const sk__km_data *kd);

/* New centres from the sums of a pass; an empty cluster is re-seeded with the row farthest
 * from its (old) centre, as scikit-learn does (_relocate_empty_clusters_dense). Returns
 * the sum of squared centre moves. */
double sk__km_update_centres(const sk__km_data *kd, const int32_t *labels,
                             const double *old_c, sk__km_acc *acc, double *new_c);

#endif
