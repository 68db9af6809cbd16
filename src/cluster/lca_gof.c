/* lca_gof.c: poLCA's goodness-of-fit statistics of a fitted latent class model — the
 * likelihood-ratio G^2 and Pearson X^2 of the observed response patterns against the
 * counts the model expects (formulas in mixture_int.h, from poLCA.R).
 *
 * Key design choice: patterns are found by sorting pointers to the fully observed rows
 * (lexicographic on the codes) and counting runs, O(N log N) and no table of all
 * prod(levels) cells, which would be astronomically large for a long questionnaire. Rows
 * with a missing answer are left out, as poLCA does (its Nobs). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "cluster/mixture_int.h"

typedef struct pattern_row {
  const int32_t *codes;
  size_t n_cat;
  double w;
} pattern_row;

static int compare_rows(const void *pa, const void *pb) {
  const pattern_row *a = pa;
  const pattern_row *b = pb;
  for (size_t j = 0; j < a->n_cat; j++) {
    if (a->codes[j] != b->codes[j])
      return a->codes[j] < b->codes[j] ? -1 : 1;
  }
  return 0;
}

/* P(pattern) = sum_c pi_c prod_j theta_c,j,y_j under the model. */
static double pattern_probability(const segkit_cluster_model *m, const size_t *offset,
                                  const int32_t *codes) {
  double p = 0;
  for (size_t c = 0; c < m->k; c++) {
    const double *t = m->item_probs + c * m->sum_levels;
    double q = m->shares[c];
    for (size_t j = 0; j < m->n_cat && q > 0; j++)
      q *= t[offset[j] + (size_t)codes[j]];
    p += q;
  }
  return p;
}

static bool is_complete(const int32_t *codes, size_t n_cat) {
  for (size_t j = 0; j < n_cat; j++)
    if (codes[j] < 0)
      return false;
  return true;
}

segkit_status sk__lca_goodness_of_fit(const segkit_cluster_model *m,
                                      const segkit_cluster_data *data, sk__lca_gof *out,
                                      segkit_error *err) {
  if (m->method != SEGKIT_CLUSTER_LCA || !m->item_probs || !m->levels)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "goodness of fit needs an lca model");
  if (!data || data->n_cat != m->n_cat || !data->cat)
    return segkit_error_set(err, SEGKIT_ERR_SCHEMA,
                            "goodness of fit: the data must have the model's %zu items",
                            m->n_cat);
  size_t n_cat = m->n_cat;
  for (size_t i = 0; i < data->n * n_cat; i++) {
    int32_t code = data->cat[i];
    if (code < -1 || code >= m->levels[i % n_cat])
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "row %zu, item %zu: code %d out of range",
                              i / n_cat + 1, i % n_cat + 1, (int)code);
  }
  size_t *offset = malloc((n_cat ? n_cat : 1) * sizeof *offset);
  pattern_row *rows = malloc((data->n ? data->n : 1) * sizeof *rows);
  if (!offset || !rows) {
    free(offset);
    free(rows);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "goodness of fit: no memory");
  }
  size_t sum_levels = 0;
  double cells = 1; /* prod levels_j, in double: it can exceed any integer type */
  for (size_t j = 0; j < n_cat; j++) {
    offset[j] = sum_levels;
    sum_levels += (size_t)m->levels[j];
    cells *= (double)m->levels[j];
  }
  size_t nc = 0;
  double n_obs = 0;
  for (size_t i = 0; i < data->n; i++) {
    const int32_t *codes = data->cat + i * n_cat;
    double w = data->weights ? data->weights[i] : 1.0;
    if (!is_complete(codes, n_cat) || !(w > 0))
      continue;
    rows[nc].codes = codes;
    rows[nc].n_cat = n_cat;
    rows[nc].w = w;
    n_obs += w;
    nc++;
  }
  qsort(rows, nc, sizeof *rows, compare_rows);
  sk__lca_gof g = {0, 0, n_obs, 0, 0};
  double sum_expected = 0;
  for (size_t a = 0; a < nc;) {
    double f = 0;
    size_t b = a;
    while (b < nc && compare_rows(&rows[a], &rows[b]) == 0) {
      f += rows[b].w;
      b++;
    }
    double e = n_obs * pattern_probability(m, offset, rows[a].codes);
    g.g2 += 2.0 * f * log(f / e);
    g.x2 += (f - e) * (f - e) / e;
    sum_expected += e;
    g.n_patterns++;
    a = b;
  }
  g.x2 += n_obs - sum_expected;
  double n_rows = (double)data->n;
  g.resid_df = (n_rows < cells - 1 ? n_rows : cells - 1) - (double)m->n_params;
  free(offset);
  free(rows);
  *out = g;
  return SEGKIT_OK;
}
