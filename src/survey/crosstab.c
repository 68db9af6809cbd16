/* crosstab.c: a question by segment (or by another question): weighted and unweighted
 * counts, column and row percentages, bases, the chi-square test and column-proportion
 * tests with letters.
 *
 * One pass over the respondents fills the per-cell sums (count, unweighted count, sum of
 * w^2 for the Rao-Scott correction and the effective bases); everything else is computed
 * from the r x c cell sums. Rows or columns with a zero base are left out of the
 * chi-square (R's chisq.test would return NaN; a question's unused code or an empty
 * segment should not void the test), so df counts only the non-empty ones.
 * Unweighted: Pearson X^2 (Pearson 1900), R's chisq.test(correct = FALSE). Weighted: the
 * Rao-Scott first-order correction (rao_scott.c). Column-proportion tests: the pooled
 * two-proportion z-test (e.g. Agresti 2013, Categorical Data Analysis, 3.1.2; prop.test's
 * X-squared is z^2) on effective bases with weights (Kish 1965, 11.7; the practice of
 * SPSS Custom Tables with effective-base weighting and of Q), corrected within the row
 * (pairwise.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "survey/survey_int.h"

struct segkit_crosstab {
  segkit_crosstab_view view;
  void *block; /* every array of the view */
};

void segkit_crosstab_free(segkit_crosstab *x) {
  if (x == NULL) {
    return;
  }
  free(x->block);
  free(x);
}

const segkit_crosstab_view *segkit_crosstab_get(const segkit_crosstab *x) {
  return x != NULL ? &x->view : NULL;
}

static segkit_status check_input(const segkit_crosstab_input *in, segkit_error *err) {
  if (in == NULL || in->row_codes == NULL || in->col_codes == NULL || in->n_row_levels == 0 ||
      in->n_col_levels == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "a crosstab needs row and column codes and at least one level each");
  }
  /* Growth ceiling: the pairwise p-values take rows x columns^2 doubles. */
  uint64_t cells = (uint64_t)in->n_row_levels * in->n_col_levels;
  if (cells > (1u << 20) || cells * in->n_col_levels > (1u << 24)) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "a %u x %u crosstab is too large (at most 2^20 cells and 2^24 "
                            "rows x columns^2)",
                            in->n_row_levels, in->n_col_levels);
  }
  for (size_t i = 0; i < in->n; i++) {
    int32_t r = in->row_codes[i];
    int32_t c = in->col_codes[i];
    if (r < -1 || r >= (int64_t)in->n_row_levels || c < -1 || c >= (int64_t)in->n_col_levels) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "respondent %zu has row code %d and column code %d (expected "
                              "-1 or 0..%u and 0..%u)",
                              i, (int)r, (int)c, in->n_row_levels - 1, in->n_col_levels - 1);
    }
  }
  return sk__survey_check_weights(in->n, in->weights, "weight", err);
}

/* ==== layout ======================================================================== */

/* All arrays of the view in one allocation; letters get 53 bytes per cell. */
static segkit_status view_alloc(segkit_crosstab *x, uint32_t nr, uint32_t nc,
                                segkit_error *err) {
  size_t K = (size_t)nr * nc;
  size_t width = SEGKIT_SURVEY_MAX_LETTERS + 1;
  bool letters = nc <= SEGKIT_SURVEY_MAX_LETTERS;
  size_t n_pair = (size_t)nr * nc * nc;
  size_t doubles = 3 * K + 2 * nc + nr + n_pair;
  size_t words = K + nc + nr;
  size_t size = doubles * sizeof(double) + words * sizeof(uint64_t) +
                (letters ? K * (sizeof(char *) + width) : 0) + nc * sizeof(bool);
  char *p = calloc(1, size);
  if (p == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a %u x %u crosstab", nr,
                            nc);
  }
  x->block = p;
  segkit_crosstab_view *v = &x->view;
  double *d = (double *)p;
  v->count = d;
  v->col_pct = d + K;
  v->row_pct = d + 2 * K;
  v->col_base = d + 3 * K;
  v->col_base_effective = d + 3 * K + nc;
  v->row_base = d + 3 * K + 2 * nc;
  v->pair_p = d + 3 * K + 2 * nc + nr;
  uint64_t *u = (uint64_t *)(d + doubles);
  v->count_unweighted = u;
  v->col_base_unweighted = u + K;
  v->row_base_unweighted = u + K + nc;
  char *rest = (char *)(u + words);
  v->letters = NULL;
  if (letters) {
    char **ptrs = (char **)rest;
    char *text = rest + K * sizeof(char *);
    for (size_t k = 0; k < K; k++) {
      ptrs[k] = text + k * width;
    }
    v->letters = (const char *const *)ptrs;
    rest = text + K * width;
  }
  v->col_small = (const bool *)rest;
  v->has_letters = letters;
  v->n_rows = nr;
  v->n_cols = nc;
  return SEGKIT_OK;
}

/* ==== counts ======================================================================== */

static void tally(const segkit_crosstab_input *in, segkit_crosstab_view *v, double *w2) {
  uint32_t nc = v->n_cols;
  double *count = (double *)v->count;
  uint64_t *u = (uint64_t *)v->count_unweighted;
  for (size_t i = 0; i < in->n; i++) {
    int32_t r = in->row_codes[i];
    int32_t c = in->col_codes[i];
    if (r < 0 || c < 0) {
      v->n_missing++;
      continue;
    }
    size_t k = (size_t)r * nc + (size_t)c;
    double w = in->weights != NULL ? in->weights[i] : 1.0;
    count[k] += w;
    w2[k] += w * w;
    u[k]++;
    v->n_used++;
  }
}

static void margins_and_percentages(segkit_crosstab_view *v, const double *w2) {
  uint32_t nr = v->n_rows;
  uint32_t nc = v->n_cols;
  double *cb = (double *)v->col_base;
  double *ce = (double *)v->col_base_effective;
  double *rb = (double *)v->row_base;
  uint64_t *cbu = (uint64_t *)v->col_base_unweighted;
  uint64_t *rbu = (uint64_t *)v->row_base_unweighted;
  double *col_w2 = ce; /* sum of w^2 per column first, then the effective base */
  for (uint32_t r = 0; r < nr; r++) {
    for (uint32_t c = 0; c < nc; c++) {
      size_t k = (size_t)r * nc + c;
      cb[c] += v->count[k];
      col_w2[c] += w2[k];
      rb[r] += v->count[k];
      cbu[c] += v->count_unweighted[k];
      rbu[r] += v->count_unweighted[k];
      v->total += v->count[k];
    }
  }
  for (uint32_t c = 0; c < nc; c++) {
    ce[c] = col_w2[c] > 0.0 ? cb[c] * cb[c] / col_w2[c] : 0.0;
  }
  double *cp = (double *)v->col_pct;
  double *rp = (double *)v->row_pct;
  for (uint32_t r = 0; r < nr; r++) {
    for (uint32_t c = 0; c < nc; c++) {
      size_t k = (size_t)r * nc + c;
      cp[k] = cb[c] > 0.0 ? 100.0 * v->count[k] / cb[c] : NAN;
      rp[k] = rb[r] > 0.0 ? 100.0 * v->count[k] / rb[r] : NAN;
    }
  }
}

/* ==== chi-square ==================================================================== */

/* Indices of the non-empty rows and columns. */
static void nonempty(const double *base, uint32_t k, uint32_t *idx, uint32_t *m) {
  *m = 0;
  for (uint32_t i = 0; i < k; i++) {
    if (base[i] > 0.0) {
      idx[*m] = i;
      *m += 1;
    }
  }
}

/* Pearson X^2 of the reduced table, counts scaled by `scale` (n / W when weighted, as
 * svytable(Ntotal = n) does). */
static double pearson(const segkit_crosstab_view *v, const uint32_t *ri, uint32_t mr,
                      const uint32_t *ci, uint32_t mc, double scale) {
  double total = v->total * scale;
  double x2 = 0.0;
  for (uint32_t a = 0; a < mr; a++) {
    for (uint32_t b = 0; b < mc; b++) {
      double o = v->count[(size_t)ri[a] * v->n_cols + ci[b]] * scale;
      double e = v->row_base[ri[a]] * scale * v->col_base[ci[b]] * scale / total;
      x2 += (o - e) * (o - e) / e;
    }
  }
  return x2;
}

/* The Rao-Scott correction on the reduced (non-empty) table. */
static segkit_status rao_scott(segkit_crosstab_view *v, const double *w2, const uint32_t *ri,
                               uint32_t mr, const uint32_t *ci, uint32_t mc,
                               segkit_error *err) {
  size_t K = (size_t)mr * mc;
  double *p = malloc(2 * K * sizeof *p);
  if (p == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the chi-square");
  }
  double *a = p + K;
  double W = v->total;
  for (uint32_t x = 0; x < mr; x++) {
    for (uint32_t y = 0; y < mc; y++) {
      size_t k = (size_t)ri[x] * v->n_cols + ci[y];
      p[(size_t)x * mc + y] = v->count[k] / W;
      a[(size_t)x * mc + y] = w2[k] / (W * W);
    }
  }
  segkit_status st = sk__rao_scott_mean_deff(p, a, mr, mc, v->n_used, &v->mean_deff, err);
  free(p);
  return st;
}

static segkit_status chi_square(segkit_crosstab_view *v, const double *w2, segkit_error *err) {
  uint32_t nr = v->n_rows;
  uint32_t nc = v->n_cols;
  uint32_t *ri = malloc(((size_t)nr + nc) * sizeof *ri);
  if (ri == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the chi-square");
  }
  uint32_t *ci = ri + nr;
  uint32_t mr = 0;
  uint32_t mc = 0;
  nonempty(v->row_base, nr, ri, &mr);
  nonempty(v->col_base, nc, ci, &mc);
  v->df = (double)(mr > 0 ? mr - 1 : 0) * (double)(mc > 0 ? mc - 1 : 0);
  v->chi2 = NAN;
  v->p = NAN;
  v->chi2_adjusted = NAN;
  v->mean_deff = NAN;
  segkit_status st = SEGKIT_OK;
  if (v->df > 0) {
    double scale = v->weighted ? (double)v->n_used / v->total : 1.0;
    v->chi2 = pearson(v, ri, mr, ci, mc, scale);
    v->mean_deff = 1.0;
    /* The correction costs O(K df^2) time and K df memory; past the cap (e.g. 17 x 17)
     * the p-value is left NaN rather than spend minutes on a table nobody tests. */
    if (v->weighted && v->df <= SEGKIT_SURVEY_MAX_RAO_SCOTT_DF) {
      st = rao_scott(v, w2, ri, mr, ci, mc, err);
    } else if (v->weighted) {
      v->mean_deff = NAN;
    }
    v->chi2_adjusted = v->chi2 / v->mean_deff;
    v->p = isnan(v->chi2_adjusted) ? NAN : gsl_cdf_chisq_Q(v->chi2_adjusted, v->df);
  }
  free(ri);
  return st;
}

/* ==== column-proportion tests ======================================================= */

static void column_tests(segkit_crosstab_view *v, const segkit_sig_options *o) {
  uint32_t nr = v->n_rows;
  uint32_t nc = v->n_cols;
  /* The test's base per column: unweighted count, or the effective base with weights. */
  const double *nb = v->col_base_effective;
  for (uint32_t r = 0; r < nr; r++) {
    double *p = (double *)v->pair_p + (size_t)r * nc * nc;
    for (uint32_t a = 0; a < nc; a++) {
      p[(size_t)a * nc + a] = NAN;
      for (uint32_t b = a + 1; b < nc; b++) {
        size_t at = (size_t)a * nc + b;
        if (!(v->col_base[a] > 0.0 && v->col_base[b] > 0.0)) {
          p[at] = NAN;
          continue;
        }
        double pa = v->count[(size_t)r * nc + a] / v->col_base[a];
        double pb = v->count[(size_t)r * nc + b] / v->col_base[b];
        double pooled = (pa * nb[a] + pb * nb[b]) / (nb[a] + nb[b]);
        if (!(pooled > 0.0 && pooled < 1.0)) {
          p[at] = 1.0;
          continue;
        }
        double z = (pa - pb) / sqrt(pooled * (1.0 - pooled) * (1.0 / nb[a] + 1.0 / nb[b]));
        p[at] = sk__survey_p_two_sided(z);
      }
    }
    sk__survey_adjust(p, nc, o->adjust);
    if (v->has_letters) {
      char *text = (char *)v->letters[(size_t)r * nc];
      sk__survey_letters(p, v->col_pct + (size_t)r * nc, nc, o->alpha, text);
    }
  }
}

segkit_status segkit_crosstab_new(const segkit_crosstab_input *in,
                                  const segkit_sig_options *opt, segkit_crosstab **out,
                                  segkit_error *err) {
  segkit_sig_options o;
  segkit_status st = sk__survey_sig_defaults(opt, &o, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  st = check_input(in, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_crosstab *x = calloc(1, sizeof *x);
  double *w2 = calloc((size_t)in->n_row_levels * in->n_col_levels, sizeof *w2);
  if (x == NULL || w2 == NULL) {
    free(x);
    free(w2);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a crosstab");
  }
  st = view_alloc(x, in->n_row_levels, in->n_col_levels, err);
  if (st == SEGKIT_OK) {
    segkit_crosstab_view *v = &x->view;
    v->weighted = in->weights != NULL;
    tally(in, v, w2);
    if (!(v->n_used > 0)) {
      st = segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "no respondent answered both questions (%zu left out)",
                            v->n_missing);
    }
  }
  if (st == SEGKIT_OK) {
    segkit_crosstab_view *v = &x->view;
    margins_and_percentages(v, w2);
    if (!(v->total > 0.0)) {
      st = segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the weights of the %zu respondents used sum to 0", v->n_used);
    }
  }
  if (st == SEGKIT_OK) {
    segkit_crosstab_view *v = &x->view;
    bool *small = (bool *)v->col_small;
    for (uint32_t c = 0; c < v->n_cols; c++) {
      small[c] = v->col_base[c] < o.small_base;
    }
    st = chi_square(v, w2, err);
  }
  if (st == SEGKIT_OK) {
    column_tests(&x->view, &o);
  }
  free(w2);
  if (st != SEGKIT_OK) {
    segkit_crosstab_free(x);
    return st;
  }
  *out = x;
  return SEGKIT_OK;
}
