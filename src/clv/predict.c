/* predict.c: predictions of the purchase models (BG/NBD, Pareto/NBD) for one customer,
 * and the Gauss hypergeometric series they and the Pareto/NBD likelihood need.
 *
 * Formulas: BG/NBD P(alive) from Fader, Hardie & Lee's note 021, conditional expectation
 * eq. (10) and E[X(t)] eq. (9) of "Counting your customers the easy way" (2005);
 * Pareto/NBD from Fader & Hardie's note 009 (eqs. 27, 37-41): the conditional expectation
 * is P(alive) times the expectation of an alive customer, which avoids re-deriving the
 * likelihood ratio.
 *
 * Key design choice: 2F1 is our own power series rather than gsl_sf_hyperg_2F1, because
 * GSL reports its failures through the process-wide GSL error handler (abort by default)
 * and the library never aborts. Every argument we need has 0 <= z < 1 with positive a, b
 * (c may be small), where the series converges; the sum stops once the geometric bound
 * on the tail is below the rounding of the sum, and gives NaN rather than a wrong value
 * when the term budget runs out (z extremely close to 1). Predictions of invalid
 * histories, and of models that are not purchase models, are NaN. */
/* lgamma_r (glibc, BSD): lgamma itself writes the global signgam, a data race when
 * predictions run on several threads (batch.c). */
#define _DEFAULT_SOURCE 1
#include <float.h>
#include <math.h>

#include "clv/purchases_int.h"

enum { HYP2F1_MAX_TERMS = 2000000 };

double sk__clv_hyp2f1(double a, double b, double c, double z) {
  if (!(z >= 0.0 && z < 1.0) || !isfinite(a) || !isfinite(b) || !isfinite(c)) {
    return NAN;
  }
  if (c <= 0.0 && c == floor(c)) {
    return NAN;
  }
  if (z == 0.0) {
    return 1.0;
  }
  double term = 1.0;
  double sum = 1.0;
  for (long n = 0; n < HYP2F1_MAX_TERMS; n++) {
    double dn = (double)n;
    double ratio = (a + dn) * (b + dn) / ((c + dn) * (dn + 1.0)) * z;
    term *= ratio;
    sum += term;
    if (!isfinite(sum)) {
      return NAN;
    }
    /* Once the ratio is below 1 and falling towards z, the tail after this term is at
     * most term * ratio / (1 - ratio). */
    if (fabs(ratio) < 1.0 && fabs(term) * fabs(ratio) / (1.0 - fabs(ratio)) <=
                                 0.25 * DBL_EPSILON * fabs(sum)) {
      return sum;
    }
  }
  return NAN;
}

/* Sign of Gamma(y): NaN at the poles. */
static double gamma_sign(double y) {
  if (y > 0.0) {
    return 1.0;
  }
  if (y == floor(y)) {
    return NAN;
  }
  return fmod(floor(-y), 2.0) == 0.0 ? -1.0 : 1.0;
}

/* log 2F1(a, b; a+1; z) near z = 1 through the 1 - z connection formula (Abramowitz &
 * Stegun 15.3.6), which for c = a + 1 simplifies, with 2F1(a, b; b; 1-z) = z^-a, to
 *   G(a+1) G(1-b) / G(a+1-b) z^-a + a/(b-1) (1-z)^(1-b) 2F1(1, a+1-b; 2-b; 1-z).
 * Both terms are taken in logs with their signs, since (1-z)^(1-b) overflows quickly. */
static double log_hyp2f1_a1_near_one(double a, double b, double z) {
  double w = 1.0 - z;
  double s1 = gamma_sign(1.0 - b) * gamma_sign(a + 1.0 - b);
  int sign = 0; /* the signs come from gamma_sign */
  double l1 = lgamma_r(a + 1.0, &sign) + lgamma_r(1.0 - b, &sign) -
              lgamma_r(a + 1.0 - b, &sign) - a * log(z);
  double series = sk__clv_hyp2f1(1.0, a + 1.0 - b, 2.0 - b, w);
  if (isnan(s1) || !isfinite(series) || series == 0.0) {
    return NAN;
  }
  double s2 = (b - 1.0) * series > 0.0 ? 1.0 : -1.0;
  double l2 = log(a) - log(fabs(b - 1.0)) + (1.0 - b) * log(w) + log(fabs(series));
  double top = fmax(l1, l2);
  double v = s1 * exp(l1 - top) + s2 * exp(l2 - top);
  return v > 0.0 ? top + log(v) : NAN;
}

double sk__clv_log_hyp2f1_a1(double a, double b, double z) {
  /* Near an integer b the connection formula's two terms have cancelling poles. */
  double off_integer = fabs(b - nearbyint(b));
  if (z > 0.9 && z < 1.0 && off_integer > 0.05 && a > 0.0) {
    return log_hyp2f1_a1_near_one(a, b, z);
  }
  return log(sk__clv_hyp2f1(a, b, a + 1.0, z));
}

static bool valid_history(double x, double tx, double T) {
  return isfinite(x) && isfinite(tx) && isfinite(T) && x >= 0.0 && tx >= 0.0 && tx <= T &&
         !(x == 0.0 && tx > 0.0);
}

static bool purchase_model(const segkit_clv_model *m) {
  return m != NULL && (m->kind == SEGKIT_CLV_BGNBD || m->kind == SEGKIT_CLV_PARETONBD);
}

/* 1 / (1 + exp(u)) without overflow. */
static double logistic_neg(double u) {
  if (u > 0.0) {
    double e = exp(-u);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + exp(u));
}

static double bgnbd_p_alive(const double *p, double x, double tx, double T) {
  double r = p[0], alpha = p[1], a = p[2], b = p[3];
  if (x == 0.0) {
    return 1.0;
  }
  double u = log(a / (b + x - 1.0)) + (r + x) * log((alpha + T) / (alpha + tx));
  return logistic_neg(u);
}

static double paretonbd_p_alive(const double *p, double x, double tx, double T) {
  double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  double log_a0 = sk__clv_paretonbd_log_a0(p, x, tx, T);
  if (isnan(log_a0)) {
    return NAN;
  }
  double u = log(s) - log(r + s + x) + (r + x) * log(alpha + T) + s * log(beta + T) + log_a0;
  return logistic_neg(u);
}

double segkit_clv_p_alive(const segkit_clv_model *m, double frequency, double recency,
                          double T) {
  if (!purchase_model(m) || !valid_history(frequency, recency, T)) {
    return NAN;
  }
  if (m->kind == SEGKIT_CLV_BGNBD) {
    return bgnbd_p_alive(m->params, frequency, recency, T);
  }
  return paretonbd_p_alive(m->params, frequency, recency, T);
}

/* BG/NBD eq. (10). */
static double bgnbd_conditional(const double *p, double t, double x, double tx, double T) {
  double r = p[0], alpha = p[1], a = p[2], b = p[3];
  double c = a + b + x - 1.0;
  double z = t / (alpha + T + t);
  double hyp = sk__clv_hyp2f1(r + x, b + x, c, z);
  double inner = 1.0 - hyp * pow((alpha + T) / (alpha + T + t), r + x);
  double numerator = c / (a - 1.0) * inner;
  double denominator = 1.0;
  if (x > 0.0) {
    denominator += a / (b + x - 1.0) * pow((alpha + T) / (alpha + tx), r + x);
  }
  return numerator / denominator;
}

/* (1 - q^k) / k, with its limit -log q at k = 0. */
static double one_minus_power_over(double q, double k) {
  if (k == 0.0) {
    return -log(q);
  }
  return -expm1(k * log(q)) / k;
}

/* Pareto/NBD eq. (41) as P(alive) x E[purchases in t | alive at T]. */
static double paretonbd_conditional(const double *p, double t, double x, double tx, double T) {
  double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  double alive = paretonbd_p_alive(p, x, tx, T);
  double rate = (r + x) * (beta + T) / (alpha + T);
  return alive * rate * one_minus_power_over((beta + T) / (beta + T + t), s - 1.0);
}

double segkit_clv_expected_purchases(const segkit_clv_model *m, double t, double frequency,
                                     double recency, double T) {
  if (!purchase_model(m) || !valid_history(frequency, recency, T) || !(t >= 0.0) ||
      !isfinite(t)) {
    return NAN;
  }
  if (t == 0.0) {
    return 0.0;
  }
  if (m->kind == SEGKIT_CLV_BGNBD) {
    return bgnbd_conditional(m->params, t, frequency, recency, T);
  }
  return paretonbd_conditional(m->params, t, frequency, recency, T);
}

double segkit_clv_expected_purchases_new(const segkit_clv_model *m, double t) {
  if (!purchase_model(m) || !(t >= 0.0) || !isfinite(t)) {
    return NAN;
  }
  if (t == 0.0) {
    return 0.0;
  }
  const double *p = m->params;
  if (m->kind == SEGKIT_CLV_BGNBD) {
    double r = p[0], alpha = p[1], a = p[2], b = p[3];
    double hyp = sk__clv_hyp2f1(r, b, a + b - 1.0, t / (alpha + t));
    return (a + b - 1.0) / (a - 1.0) * (1.0 - hyp * pow(alpha / (alpha + t), r));
  }
  double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  return r * beta / alpha * one_minus_power_over(beta / (beta + t), s - 1.0);
}
