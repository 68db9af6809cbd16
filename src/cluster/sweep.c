/* sweep.c: the k sweep — fit a method for every k in a range, score each fit, and
 * recommend one k with a stated reason.
 *
 * Recommendation rule (documented in docs/clustering.md, "The k sweep"):
 *   1. gmm, lca (likelihood methods): the lowest BIC; ties to the smaller k.
 *   2. otherwise the highest silhouette among the k whose bootstrap stability (mean
 *      adjusted Rand) is >= 0.8 and that have no cluster under min_share;
 *   3. if none: the highest silhouette among the k with no cluster under min_share;
 *   4. if none: the highest silhouette;
 *   5. if no k has a silhouette (k-prototypes, which has no numeric-only distance): the
 *      most stable k, or else k_min; the reason says which step decided.
 * Key design choices: silhouette first because it is scale-free and comparable across k
 * (inertia always falls with k; Calinski-Harabasz and Davies-Bouldin are reported but
 * favour k = 2 on weakly separated data); stability and minimum size as filters because a
 * segmentation nobody can reproduce or that has a 1% segment is not usable whatever its
 * score. Every k is scored on the same silhouette sample (same seed) and the same
 * bootstrap resamples, so differences between k are not sampling noise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"

#define SWEEP_STABLE 0.8
#define SWEEP_MAX_K_SPAN 1000

struct segkit_sweep {
  size_t n;
  segkit_sweep_row *rows;
  segkit_cluster_model **models;
  size_t recommended;
  char reason[320];
};

void segkit_sweep_options_init(segkit_sweep_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->k_min = 2;
  opt->k_max = 8;
  opt->silhouette_sample = 20000;
  opt->stability_boot = 10;
  opt->min_share = 0.05;
}

void segkit_sweep_free(segkit_sweep *s) {
  if (!s)
    return;
  for (size_t i = 0; s->models && i < s->n; i++)
    segkit_cluster_model_free(s->models[i]);
  free(s->models);
  free(s->rows);
  free(s);
}

size_t segkit_sweep_n(const segkit_sweep *s) { return s->n; }
const segkit_sweep_row *segkit_sweep_row_at(const segkit_sweep *s, size_t i) {
  return i < s->n ? &s->rows[i] : NULL;
}
const segkit_cluster_model *segkit_sweep_model(const segkit_sweep *s, size_t i) {
  return i < s->n ? s->models[i] : NULL;
}
size_t segkit_sweep_recommended_k(const segkit_sweep *s) { return s->recommended; }
const char *segkit_sweep_reason(const segkit_sweep *s) { return s->reason; }

static bool is_likelihood(segkit_cluster_method m) {
  return m == SEGKIT_CLUSTER_GMM || m == SEGKIT_CLUSTER_LCA;
}

/* A score that cannot be computed for this labeling (one cluster present, k = n) is NaN;
 * only running out of memory stops the sweep. */
static segkit_status soft(segkit_status st, double *v) {
  if (st == SEGKIT_ERR_NOMEM)
    return st;
  if (st != SEGKIT_OK)
    *v = NAN;
  return SEGKIT_OK;
}

static segkit_status score_fit(const segkit_cluster_data *data, const segkit_cluster_options *opt,
                               const segkit_sweep_options *sopt, const segkit_cluster_model *m,
                               segkit_sweep_row *row, segkit_error *err) {
  size_t k = m->k;
  row->k = k;
  row->inertia = m->inertia;
  row->silhouette = row->calinski_harabasz = row->davies_bouldin = NAN;
  row->silhouette_rows = 0;
  row->log_likelihood = segkit_cluster_model_log_likelihood(m);
  row->bic = segkit_cluster_model_bic(m);
  row->aic = segkit_cluster_model_aic(m);
  row->stability_mean = row->stability_sd = NAN;
  row->n_small = 0;
  for (size_t c = 0; c < k; c++)
    row->n_small += m->shares[c] < sopt->min_share;
  segkit_status st = SEGKIT_OK;
  /* distance scores on the numeric matrix; k-prototypes' mixed distance has no silhouette
   * here, lca has no numeric data */
  if (data->d > 0 && m->method != SEGKIT_CLUSTER_KPROTOTYPES) {
    segkit_error ignored;
    st = soft(segkit_silhouette(data->x, data->n, data->d, m->labels, k,
                                sopt->silhouette_sample, opt->seed, opt->n_threads,
                                &row->silhouette, &row->silhouette_rows, &ignored),
              &row->silhouette);
    if (st == SEGKIT_OK)
      st = soft(segkit_calinski_harabasz(data->x, data->n, data->d, m->labels, k,
                                         &row->calinski_harabasz, &ignored),
                &row->calinski_harabasz);
    if (st == SEGKIT_OK)
      st = soft(segkit_davies_bouldin(data->x, data->n, data->d, m->labels, k,
                                      &row->davies_bouldin, &ignored),
                &row->davies_bouldin);
    if (st != SEGKIT_OK)
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "sweep: no memory to score k = %zu", k);
    if (isnan(row->silhouette))
      row->silhouette_rows = 0;
  }
  if (sopt->stability_boot > 0) {
    segkit_cluster_options ok = *opt;
    ok.k = k;
    st = segkit_cluster_stability(data, &ok, sopt->stability_boot, opt->seed,
                                  &row->stability_mean, &row->stability_sd, err);
  }
  return st;
}

/* ---- the recommendation -------------------------------------------------------------- */

typedef bool (*eligible_fn)(const segkit_sweep_row *r, double stable);

static bool stable_and_sized(const segkit_sweep_row *r, double stable) {
  return !isnan(r->silhouette) && r->n_small == 0 &&
         (isnan(r->stability_mean) || r->stability_mean >= stable);
}
static bool sized(const segkit_sweep_row *r, double stable) {
  (void)stable;
  return !isnan(r->silhouette) && r->n_small == 0;
}
static bool scored(const segkit_sweep_row *r, double stable) {
  (void)stable;
  return !isnan(r->silhouette);
}

/* Index of the highest silhouette among eligible rows (ties: smaller k), or -1. */
static long best_silhouette(const segkit_sweep *s, eligible_fn ok) {
  long best = -1;
  for (size_t i = 0; i < s->n; i++)
    if (ok(&s->rows[i], SWEEP_STABLE) &&
        (best < 0 || s->rows[i].silhouette > s->rows[best].silhouette))
      best = (long)i;
  return best;
}

static void recommend_bic(segkit_sweep *s, const segkit_sweep_options *sopt) {
  size_t best = 0;
  for (size_t i = 1; i < s->n; i++)
    if (s->rows[i].bic < s->rows[best].bic || isnan(s->rows[best].bic))
      best = i;
  const segkit_sweep_row *r = &s->rows[best];
  s->recommended = r->k;
  int len = snprintf(s->reason, sizeof s->reason, "k = %zu: lowest BIC (%.6g)", r->k, r->bic);
  if (r->n_small > 0 && len > 0 && (size_t)len < sizeof s->reason)
    snprintf(s->reason + len, sizeof s->reason - (size_t)len,
             "; %zu cluster%s under %g%%", r->n_small, r->n_small == 1 ? "" : "s",
             sopt->min_share * 100);
}

static void recommend_silhouette(segkit_sweep *s, const segkit_sweep_options *sopt) {
  bool have_stability = sopt->stability_boot > 0;
  double pct = sopt->min_share * 100;
  long i = best_silhouette(s, stable_and_sized);
  if (i >= 0) {
    const segkit_sweep_row *r = &s->rows[i];
    s->recommended = r->k;
    if (have_stability)
      snprintf(s->reason, sizeof s->reason,
               "k = %zu: highest silhouette (%.2f) among k with stability >= %.1f and no "
               "cluster under %g%%",
               r->k, r->silhouette, SWEEP_STABLE, pct);
    else
      snprintf(s->reason, sizeof s->reason,
               "k = %zu: highest silhouette (%.2f) among k with no cluster under %g%% "
               "(stability not computed)",
               r->k, r->silhouette, pct);
    return;
  }
  i = best_silhouette(s, sized);
  if (i >= 0) {
    s->recommended = s->rows[i].k;
    snprintf(s->reason, sizeof s->reason,
             "k = %zu: highest silhouette (%.2f) among k with no cluster under %g%%; no such k "
             "reached stability %.1f",
             s->rows[i].k, s->rows[i].silhouette, pct, SWEEP_STABLE);
    return;
  }
  i = best_silhouette(s, scored);
  if (i >= 0) {
    s->recommended = s->rows[i].k;
    snprintf(s->reason, sizeof s->reason,
             "k = %zu: highest silhouette (%.2f); every k had a cluster under %g%%",
             s->rows[i].k, s->rows[i].silhouette, pct);
    return;
  }
  long most = -1;
  for (size_t j = 0; j < s->n; j++)
    if (!isnan(s->rows[j].stability_mean) &&
        (most < 0 || s->rows[j].stability_mean > s->rows[most].stability_mean))
      most = (long)j;
  if (most >= 0) {
    s->recommended = s->rows[most].k;
    snprintf(s->reason, sizeof s->reason,
             "k = %zu: the most stable (%.2f); no silhouette for this method", s->rows[most].k,
             s->rows[most].stability_mean);
    return;
  }
  s->recommended = s->rows[0].k;
  snprintf(s->reason, sizeof s->reason, "k = %zu: no score could be computed; the smallest k",
           s->rows[0].k);
}

/* ---- the sweep ----------------------------------------------------------------------- */

static segkit_status check_sweep(const segkit_cluster_data *data,
                                 const segkit_cluster_options *opt,
                                 const segkit_sweep_options *sopt, segkit_error *err) {
  if (!data || !opt || !sopt)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "sweep: missing argument");
  if (sopt->k_min < 2 || sopt->k_max < sopt->k_min || sopt->k_max - sopt->k_min >= SWEEP_MAX_K_SPAN)
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "sweep: k from %zu to %zu (expected 2 <= k_min <= k_max, at most "
                            "%d values)",
                            sopt->k_min, sopt->k_max, SWEEP_MAX_K_SPAN);
  if (sopt->stability_boot < 0 || sopt->stability_boot == 1 || sopt->stability_boot > 1000)
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "sweep: %d stability resamples (expected 0 to skip, or 2..1000)",
                            sopt->stability_boot);
  if (!(sopt->min_share >= 0 && sopt->min_share < 1))
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "sweep: min_share %g (expected 0 <= x < 1)",
                            sopt->min_share);
  return SEGKIT_OK;
}

segkit_status segkit_cluster_sweep(const segkit_cluster_data *data,
                                   const segkit_cluster_options *opt,
                                   const segkit_sweep_options *sopt, segkit_sweep **out,
                                   segkit_error *err) {
  segkit_status st = check_sweep(data, opt, sopt, err);
  if (st != SEGKIT_OK)
    return st;
  size_t n_k = sopt->k_max - sopt->k_min + 1;
  segkit_sweep *s = calloc(1, sizeof *s);
  if (s) {
    s->rows = calloc(n_k, sizeof *s->rows);
    s->models = calloc(n_k, sizeof *s->models);
  }
  if (!s || !s->rows || !s->models) {
    segkit_sweep_free(s);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "sweep: no memory");
  }
  for (size_t i = 0; i < n_k && st == SEGKIT_OK; i++) {
    segkit_cluster_options ok = *opt;
    ok.k = sopt->k_min + i;
    st = segkit_cluster_fit(data, &ok, &s->models[i], err);
    s->n = i + 1;
    if (st == SEGKIT_OK)
      st = score_fit(data, opt, sopt, s->models[i], &s->rows[i], err);
  }
  if (st != SEGKIT_OK) {
    segkit_sweep_free(s);
    return st;
  }
  if (is_likelihood(opt->method))
    recommend_bic(s, sopt);
  else
    recommend_silhouette(s, sopt);
  *out = s;
  return SEGKIT_OK;
}
