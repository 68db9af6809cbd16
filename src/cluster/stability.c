/* stability.c: bootstrap stability of a clustering method at a given k (in the spirit of
 * Lange, Roth, Braun & Buhmann, "Stability-based validation of clustering solutions",
 * Neural Computation 16, 2004, and Hennig's clusterboot): fit on n_boot bootstrap
 * resamples, label every original row with each fitted model, and compare the labelings
 * pairwise by the adjusted Rand index.
 *
 * Key design choices: each resample comes from its own random stream (seed, stream, index
 * b), so resample b is the same whatever else is asked, and a sweep that calls this for
 * every k compares every k on the same resamples (common random numbers). Comparing full
 * labelings of the original rows (not the overlaps of resamples) makes every pair of fits
 * comparable on the same n rows. The fit itself keeps the caller's seed and threads. The
 * standard deviation is that of the n_boot (n_boot - 1) / 2 pair values (ddof 0; the pairs
 * are not independent, so it describes spread, not a standard error). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "sample/sample_int.h"

#define STABILITY_STREAM 0x57ab1e

typedef struct resample {
  double *x;
  int32_t *cat;
  double *w;
  segkit_cluster_data data;
} resample;

static bool resample_alloc(resample *r, const segkit_cluster_data *src) {
  size_t n = src->n;
  memset(r, 0, sizeof *r);
  r->data = *src;
  if (src->d > 0) {
    r->x = malloc(n * src->d * sizeof *r->x);
    r->data.x = r->x;
  }
  if (src->n_cat > 0) {
    r->cat = malloc(n * src->n_cat * sizeof *r->cat);
    r->data.cat = r->cat;
  }
  if (src->weights) {
    r->w = malloc(n * sizeof *r->w);
    r->data.weights = r->w;
  }
  return (src->d == 0 || r->x) && (src->n_cat == 0 || r->cat) && (!src->weights || r->w);
}

static void resample_free(resample *r) {
  free(r->x);
  free(r->cat);
  free(r->w);
}

/* Draw n rows with replacement from stream b. */
static void resample_draw(resample *r, const segkit_cluster_data *src, uint64_t seed,
                          uint64_t b) {
  sk__rng rng;
  sk__rng_init(&rng, seed, STABILITY_STREAM, b);
  size_t n = src->n;
  for (size_t i = 0; i < n; i++) {
    size_t j = (size_t)(sk__rng_next(&rng) % (uint64_t)n);
    if (src->d > 0)
      memcpy(r->x + i * src->d, src->x + j * src->d, src->d * sizeof *r->x);
    if (src->n_cat > 0)
      memcpy(r->cat + i * src->n_cat, src->cat + j * src->n_cat, src->n_cat * sizeof *r->cat);
    if (src->weights)
      r->w[i] = src->weights[j];
  }
}

static segkit_status fit_and_label(const segkit_cluster_data *data,
                                   const segkit_cluster_options *opt, resample *r, uint64_t seed,
                                   int b, int32_t *labels, segkit_error *err) {
  resample_draw(r, data, seed, (uint64_t)b);
  segkit_cluster_model *m = NULL;
  segkit_status st = segkit_cluster_fit(&r->data, opt, &m, err);
  if (st == SEGKIT_OK)
    st = segkit_cluster_assign(m, data, labels, err);
  segkit_cluster_model_free(m);
  return st;
}

static segkit_status pair_statistics(const int32_t *labels, size_t n, int n_boot,
                                     double *mean_out, double *sd_out, segkit_error *err) {
  size_t n_pairs = (size_t)n_boot * (size_t)(n_boot - 1) / 2;
  double *ari = malloc(n_pairs * sizeof *ari);
  if (!ari)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "stability: no memory");
  size_t p = 0;
  for (int a = 0; a < n_boot; a++)
    for (int b = a + 1; b < n_boot; b++) {
      segkit_status st = segkit_adjusted_rand(labels + (size_t)a * n, labels + (size_t)b * n, n,
                                              &ari[p++], err);
      if (st != SEGKIT_OK) {
        free(ari);
        return st;
      }
    }
  double sum = 0;
  for (size_t i = 0; i < n_pairs; i++)
    sum += ari[i];
  double mean = sum / (double)n_pairs;
  double ss = 0;
  for (size_t i = 0; i < n_pairs; i++)
    ss += (ari[i] - mean) * (ari[i] - mean);
  free(ari);
  *mean_out = mean;
  *sd_out = sqrt(ss / (double)n_pairs);
  return SEGKIT_OK;
}

segkit_status segkit_cluster_stability(const segkit_cluster_data *data,
                                       const segkit_cluster_options *opt, int n_boot,
                                       uint64_t seed, double *mean_out, double *sd_out,
                                       segkit_error *err) {
  if (!data || !opt || data->n == 0)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "stability: no data");
  if (n_boot < 2 || n_boot > 1000)
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "stability: %d resamples (expected 2..1000)", n_boot);
  size_t n = data->n;
  int32_t *labels = malloc((size_t)n_boot * n * sizeof *labels);
  resample r;
  bool ok = resample_alloc(&r, data) && labels;
  segkit_status st = ok ? SEGKIT_OK
                        : segkit_error_set(err, SEGKIT_ERR_NOMEM,
                                           "stability: no memory for %d resamples of %zu rows",
                                           n_boot, n);
  for (int b = 0; st == SEGKIT_OK && b < n_boot; b++)
    st = fit_and_label(data, opt, &r, seed, b, labels + (size_t)b * n, err);
  resample_free(&r);
  double mean = NAN;
  double sd = NAN;
  if (st == SEGKIT_OK)
    st = pair_statistics(labels, n, n_boot, &mean, &sd, err);
  free(labels);
  if (st != SEGKIT_OK)
    return st;
  *mean_out = mean;
  if (sd_out)
    *sd_out = sd;
  return SEGKIT_OK;
}
