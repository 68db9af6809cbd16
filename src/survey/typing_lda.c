/* typing_lda.c: linear discriminant analysis from sufficient statistics, for the typing
 * tool.
 *
 * Key design choice: a fit takes only counts, sums and cross-products (sk__typing_sums),
 * never the respondents. The selection in typing.c scores hundreds of question sets, each
 * over every cross-validation fold; it keeps each fold's sums once and forms any fit set
 * as "all training folds minus one" over the few questions in play, so a fit costs
 * O(k q^2 + q^3) whatever the number of respondents.
 *
 * The model (Fisher 1936; Hastie, Tibshirani & Friedman 2009, The Elements of Statistical
 * Learning, 4.3, eq. 4.10): class means mu_c, pooled within-class covariance
 * S = sum_c sum_{i in c} (x_i - mu_c)(x_i - mu_c)' / n, priors pi_c = n_c / n, and
 * d_c(x) = x' S^-1 mu_c - mu_c' S^-1 mu_c / 2 + log pi_c. ESL divides the scatter by
 * n - K; scikit-learn's LinearDiscriminantAnalysis (the independent check,
 * tests/data/survey/typing_reference.py) weights each class's biased covariance by its
 * prior, which is the scatter divided by n, and the divisor changes decisions (it scales
 * the quadratic terms against log pi_c), so we divide by n like the reference.
 * d_c differences are invariant to shifting x and the means together, so we work in
 * coordinates centred on the fit set's mean: a constant question then has mean 0 in every
 * class and, with the ridge below, a coefficient of 0 rather than const / ridge.
 *
 * S is factorised by a plain Cholesky (q <= SEGKIT_TYPING_MAX_QUESTIONS, so no library
 * and no error handler). A pivot that is not clearly positive (<= 1e-10 x its diagonal
 * entry, or a diagonal entry <= 1e-12 x the mean variance: a constant question or an
 * exact linear combination) means S is singular: we refactorise S + 1e-9 x mean variance
 * x I, positive definite in exact arithmetic, accepting any positive pivot (an exactly
 * collinear pair's pivot is then ~2 x ridge, which the first test would refuse for a
 * question whose variance is 20 x the mean); if that fails too (every question
 * constant: the mean variance is 0) the model is the priors alone. */
#include <math.h>
#include <string.h>

#include "survey/typing_int.h"

size_t sk__typing_lda_scratch(uint32_t q) {
  return (size_t)q * q + 2 * (size_t)q;
}

/* Lower triangle of S = within-class scatter / n (+ ridge on the diagonal); returns the
 * mean variance trace(S) / q before the ridge. */
static double build_covariance(const sk__typing_sums *s, double n, double ridge, double *S) {
  uint32_t q = s->q;
  double trace = 0.0;
  for (uint32_t a = 0; a < q; a++) {
    for (uint32_t b = 0; b <= a; b++) {
      double w = s->cross[(size_t)a * q + b];
      for (uint32_t c = 0; c < s->k; c++) {
        if (s->count[c] > 0.0) {
          w -= s->sum[(size_t)c * q + a] * s->sum[(size_t)c * q + b] / s->count[c];
        }
      }
      S[(size_t)a * q + b] = w / n;
    }
    trace += S[(size_t)a * q + a];
    S[(size_t)a * q + a] += ridge;
  }
  return trace / q;
}

/* In-place Cholesky S = L L' of the lower triangle; false on a pivot that is not clearly
 * positive (see the file comment), or with strict false (S already ridged, so positive
 * definite in exact arithmetic) on a pivot that is not positive. */
static bool cholesky(double *S, uint32_t q, double mean_var, bool strict) {
  for (uint32_t j = 0; j < q; j++) {
    double diag = S[(size_t)j * q + j];
    double d = diag;
    for (uint32_t t = 0; t < j; t++) {
      d -= S[(size_t)j * q + t] * S[(size_t)j * q + t];
    }
    bool clear = diag > 1e-12 * mean_var && d > 1e-10 * diag;
    if (strict ? !clear : !(d > 0.0 && isfinite(d))) {
      return false;
    }
    double l = sqrt(d);
    S[(size_t)j * q + j] = l;
    for (uint32_t i = j + 1; i < q; i++) {
      double v = S[(size_t)i * q + j];
      for (uint32_t t = 0; t < j; t++) {
        v -= S[(size_t)i * q + t] * S[(size_t)j * q + t];
      }
      S[(size_t)i * q + j] = v / l;
    }
  }
  return true;
}

/* x = S^-1 b from the factor L (forward, then back substitution); b is overwritten. */
static void cholesky_solve(const double *L, uint32_t q, double *b, double *x) {
  for (uint32_t i = 0; i < q; i++) {
    double v = b[i];
    for (uint32_t t = 0; t < i; t++) {
      v -= L[(size_t)i * q + t] * b[t];
    }
    b[i] = v / L[(size_t)i * q + i];
  }
  for (uint32_t r = 0; r < q; r++) {
    uint32_t i = q - 1 - r;
    double v = b[i];
    for (uint32_t t = i + 1; t < q; t++) {
      v -= L[(size_t)t * q + i] * x[t];
    }
    x[i] = v / L[(size_t)i * q + i];
  }
}

void sk__typing_lda_fit(const sk__typing_sums *s, double *scratch, double *coef,
                        double *constant) {
  uint32_t q = s->q;
  uint32_t k = s->k;
  double *S = scratch;
  double *m = S + (size_t)q * q;
  double *mu = m + q;
  double n = 0.0;
  for (uint32_t c = 0; c < k; c++) {
    n += s->count[c];
  }
  for (uint32_t a = 0; a < q; a++) {
    double t = 0.0;
    for (uint32_t c = 0; c < k; c++) {
      t += s->sum[(size_t)c * q + a];
    }
    m[a] = t / n;
  }
  double mean_var = build_covariance(s, n, 0.0, S);
  bool ok = cholesky(S, q, mean_var, true);
  if (!ok && mean_var > 0.0 && isfinite(mean_var)) {
    build_covariance(s, n, 1e-9 * mean_var, S);
    ok = cholesky(S, q, mean_var, false);
  }
  for (uint32_t c = 0; c < k; c++) {
    double *a_c = coef + (size_t)c * q;
    memset(a_c, 0, (size_t)q * sizeof *a_c);
    if (!(s->count[c] > 0.0)) {
      constant[c] = -INFINITY;
      continue;
    }
    constant[c] = log(s->count[c] / n);
    if (!ok) {
      continue; /* priors alone */
    }
    for (uint32_t a = 0; a < q; a++) {
      mu[a] = s->sum[(size_t)c * q + a] / s->count[c] - m[a];
    }
    /* The solve overwrites mu, so the constant recomputes it. */
    cholesky_solve(S, q, mu, a_c);
    for (uint32_t a = 0; a < q; a++) {
      double mu_a = s->sum[(size_t)c * q + a] / s->count[c] - m[a];
      /* d_c = a_c . (x - g - m) - a_c . mu_c / 2 + log pi_c, x - g the caller's z. */
      constant[c] -= a_c[a] * (m[a] + mu_a / 2.0);
    }
  }
}

uint32_t sk__typing_lda_predict(uint32_t q, uint32_t k, const double *coef,
                                const double *constant, const double *z, double *scores) {
  uint32_t best = 0;
  for (uint32_t c = 0; c < k; c++) {
    const double *a_c = coef + (size_t)c * q;
    double d = constant[c];
    for (uint32_t a = 0; a < q; a++) {
      d += a_c[a] * z[a];
    }
    scores[c] = d;
    if (d > scores[best]) {
      best = c;
    }
  }
  return best;
}
