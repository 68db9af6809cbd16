/* judge_int.h: helpers shared by the judging, Ward, PCA and serialisation files of the
 * cluster module (scores, stability, sweep, ward, prep, model JSON). Kept apart from
 * cluster_int.h, which is the model object every method file shares. */
#ifndef SEGKIT_JUDGE_INT_H
#define SEGKIT_JUDGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "segkit/cluster.h"
#include "segkit/error.h"

/* Stable merge sort of idx[0..n) by cmp(ctx, a, b) (< 0 when a goes first). Stable, so
 * ties keep their input order whatever the C library's qsort does; returns false on
 * allocation failure (idx is then unchanged). */
typedef int (*sk__index_cmp)(const void *ctx, size_t a, size_t b);
bool sk__sort_index(size_t *idx, size_t n, sk__index_cmp cmp, const void *ctx);

/* Quantile p (0..1) of sorted[0..n), n >= 1, by linear interpolation between order
 * statistics: numpy's default ("linear", Hyndman & Fan type 7). */
double sk__quantile_sorted(const double *sorted, size_t n, double p);

/* JSON helpers: a number that may be NaN (written as null), and an array of n doubles. */
json_t *sk__json_real_or_null(double v);
json_t *sk__json_real_array(const double *v, size_t n);

/* Read a finite number (integer or real) from JSON; false when v is not one. */
bool sk__json_number(const json_t *v, double *out);

/* ---- preprocessing internals (prep.c, prep_json.c) ------------------------------------ */

typedef struct sk__prep_feature {
  char *column;
  bool categorical;
  segkit_type type;         /* the column's type at fitting */
  bool log1p;
  double winsor_lower, winsor_upper;
  double clip_lo, clip_hi;  /* fitted bounds (after log1p); -inf / +inf = none */
  double center, scale;     /* output = (v - center) / scale */
  double fill;              /* value for a null, after log1p and clipping (non-drop) */
  size_t n_levels;
  char **levels;            /* string levels (NUL-terminated copies) ... */
  size_t *level_len;        /* ... and their byte lengths */
  int64_t *int_levels;      /* int64 categorical levels */
  size_t fill_level;        /* level given to a null (non-drop policies) */
  size_t offset;            /* first output column */
} sk__prep_feature;

struct segkit_prep {
  segkit_scale scale;
  segkit_missing missing;
  char *weight_column;      /* NULL = none */
  size_t max_levels;
  size_t n_features;
  sk__prep_feature *f;
  size_t dims;
  char **dim_names;
};

/* Offsets and output column names from the features; false on allocation failure. */
bool sk__prep_finish(segkit_prep *p);

#endif
