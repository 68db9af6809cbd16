/* pairwise.c: what the crosstab and the means share to mark significant differences
 * between columns: two-sided normal p-values, the multiple-comparison correction across
 * the column pairs of one row, and the column letters of the table layout.
 *
 * The correction works within a row (or within one set of means), across its
 * m = k(k-1)/2 tested pairs: that is the family SPSS Custom Tables and Q correct over.
 * Bonferroni multiplies by m (capped at 1); Holm (1979, Scand. J. Statist. 6:65-70)
 * multiplies the j-th smallest by m - j + 1 and keeps the sequence monotone, as R's
 * p.adjust(method = "holm"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "survey/survey_int.h"

segkit_status sk__survey_check_weights(size_t n, const double *w, const char *what,
                                       segkit_error *err) {
  if (w == NULL) {
    return SEGKIT_OK;
  }
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(w[i]) || w[i] < 0.0) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "%s of respondent %zu is %g (expected a finite number >= 0)",
                              what, i, w[i]);
    }
  }
  return SEGKIT_OK;
}

double sk__survey_p_two_sided(double z) {
  /* erfc keeps precision in the far tail where 2 (1 - Phi(|z|)) would round to 0. */
  return erfc(fabs(z) / sqrt(2.0));
}

typedef struct pair_p {
  double p;
  size_t at;
} pair_p;

static int pair_p_cmp(const void *x, const void *y) {
  const pair_p *a = x;
  const pair_p *b = y;
  if (a->p < b->p) {
    return -1;
  }
  if (a->p > b->p) {
    return 1;
  }
  /* Ties in index order, so the result does not depend on qsort's stability. */
  return a->at < b->at ? -1 : (a->at > b->at ? 1 : 0);
}

static void mirror(double *p, uint32_t k) {
  for (uint32_t a = 0; a < k; a++) {
    for (uint32_t b = a + 1; b < k; b++) {
      p[(size_t)b * k + a] = p[(size_t)a * k + b];
    }
  }
}

/* Holm on the tested pairs (at most 52 * 51 / 2 = 1326 with letters, more without: the
 * list is allocated; on allocation failure Bonferroni, which Holm never exceeds, is used,
 * so the answer stays conservative rather than wrong). */
static void holm(double *p, uint32_t k, size_t m) {
  pair_p *list = malloc(m * sizeof *list);
  if (list == NULL) {
    for (size_t i = 0; i < (size_t)k * k; i++) {
      p[i] = isnan(p[i]) ? p[i] : fmin(1.0, p[i] * (double)m);
    }
    return;
  }
  size_t j = 0;
  for (uint32_t a = 0; a < k; a++) {
    for (uint32_t b = a + 1; b < k; b++) {
      size_t at = (size_t)a * k + b;
      if (!isnan(p[at])) {
        list[j].p = p[at];
        list[j].at = at;
        j++;
      }
    }
  }
  qsort(list, m, sizeof *list, pair_p_cmp);
  double running = 0.0;
  for (size_t i = 0; i < m; i++) {
    double adj = fmin(1.0, (double)(m - i) * list[i].p);
    running = fmax(running, adj);
    p[list[i].at] = running;
  }
  free(list);
}

void sk__survey_adjust(double *p, uint32_t k, segkit_adjust adjust) {
  size_t m = 0;
  for (uint32_t a = 0; a < k; a++) {
    for (uint32_t b = a + 1; b < k; b++) {
      m += !isnan(p[(size_t)a * k + b]);
    }
  }
  if (m > 1 && adjust == SEGKIT_ADJUST_BONFERRONI) {
    for (uint32_t a = 0; a < k; a++) {
      for (uint32_t b = a + 1; b < k; b++) {
        double *q = &p[(size_t)a * k + b];
        *q = isnan(*q) ? *q : fmin(1.0, *q * (double)m);
      }
    }
  } else if (m > 1 && adjust == SEGKIT_ADJUST_HOLM) {
    holm(p, k, m);
  }
  mirror(p, k);
}

char sk__survey_letter(uint32_t c) {
  return c < 26 ? (char)('A' + c) : (char)('a' + (c - 26));
}

void sk__survey_letters(const double *p, const double *est, uint32_t k, double alpha,
                        char *out) {
  const size_t width = SEGKIT_SURVEY_MAX_LETTERS + 1;
  for (uint32_t a = 0; a < k; a++) {
    char *s = out + (size_t)a * width;
    size_t len = 0;
    for (uint32_t b = 0; b < k; b++) {
      double q = p[(size_t)a * k + b];
      if (b != a && !isnan(q) && q < alpha && est[a] > est[b]) {
        s[len] = sk__survey_letter(b);
        len++;
      }
    }
    s[len] = '\0';
  }
}

segkit_status sk__survey_sig_defaults(const segkit_sig_options *opt, segkit_sig_options *out,
                                      segkit_error *err) {
  segkit_sig_options o = {0};
  if (opt != NULL) {
    o = *opt;
  }
  if (o.alpha == 0.0) {
    o.alpha = 0.05;
  }
  if (o.small_base == 0.0) {
    o.small_base = 30.0;
  }
  if (!(o.alpha > 0.0 && o.alpha < 1.0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "alpha %g is not in (0, 1)", o.alpha);
  }
  if (!(o.small_base >= 0.0) || !isfinite(o.small_base)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "small base %g is not a finite number >= 0", o.small_base);
  }
  if (o.adjust != SEGKIT_ADJUST_BONFERRONI && o.adjust != SEGKIT_ADJUST_HOLM &&
      o.adjust != SEGKIT_ADJUST_NONE) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "unknown multiple-comparison correction %d "
                            "(expected bonferroni, holm or none)",
                            (int)o.adjust);
  }
  *out = o;
  return SEGKIT_OK;
}
