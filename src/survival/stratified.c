/* Comparing groups at equal strata: the stratified log-rank test (R's survdiff with
 * strata()) and the two-group Cox model (R's coxph, Efron ties, optional strata()).
 *
 * Key design choice: both reduce the subjects, once, to the risk sets at the distinct
 * event times of each stratum: per (stratum, event time), the number at risk and the
 * events of every group. The rows are sorted by (stratum, time) and walked from the
 * longest time down, so each risk set is the running count of what has been passed.
 * The log-rank test adds each record to O, E and V like the plain test does
 * (logrank.c); the Cox fit runs its Newton iterations over the records alone, so an
 * iteration costs the number of event times, not the number of customers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "survival/survival_int.h"

typedef struct sort_ctx {
  const segkit_surv_input *in;
  const uint32_t *stratum;
} sort_ctx;

/* qsort has no context argument; the comparison reads it from here. */
static _Thread_local const sort_ctx *g_sort;

static double time_of(const segkit_surv_input *in, size_t i) {
  return in->time_f64 != NULL ? in->time_f64[i] : (double)in->time_i64[i];
}

/* stratum ascending, then time descending */
static int cmp_rows(const void *pa, const void *pb) {
  size_t a = *(const size_t *)pa;
  size_t b = *(const size_t *)pb;
  uint32_t sa = g_sort->stratum != NULL ? g_sort->stratum[a] : 0;
  uint32_t sb = g_sort->stratum != NULL ? g_sort->stratum[b] : 0;
  if (sa != sb) {
    return sa < sb ? -1 : 1;
  }
  double ta = time_of(g_sort->in, a);
  double tb = time_of(g_sort->in, b);
  if (ta != tb) {
    return ta > tb ? -1 : 1;
  }
  return (a > b) - (a < b);
}

/* The risk sets: per record, k numbers at risk then k event counts. */
typedef struct risk_sets {
  uint32_t k;
  size_t n_records;
  double *data;              /* n_records x 2k */
  size_t *n_subjects;        /* k */
  size_t events;
} risk_sets;

static void risk_sets_free(risk_sets *rs) {
  free(rs->data);
  free(rs->n_subjects);
}

static segkit_status check_input(const segkit_surv_input *in, const uint32_t *stratum,
                                 uint32_t n_strata, segkit_error *err) {
  if (in == NULL || (in->time_f64 == NULL && in->time_i64 == NULL) || in->event == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no survival input given");
  }
  uint32_t k = in->group != NULL ? in->n_groups : 1;
  for (size_t i = 0; i < in->n; i++) {
    if (in->group != NULL && in->group[i] >= k) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "row %zu: group %u out of range (%u groups)",
                              i, in->group[i], k);
    }
    if (stratum != NULL && stratum[i] >= n_strata) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "row %zu: stratum %u out of range (%u strata)", i, stratum[i],
                              n_strata);
    }
    double t = time_of(in, i);
    if (!(t >= 0.0) || !isfinite(t)) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "row %zu: duration %g is not a finite number >= 0", i, t);
    }
  }
  return SEGKIT_OK;
}

static segkit_status build_risk_sets(const segkit_surv_input *in, const uint32_t *stratum,
                                     uint32_t n_strata, risk_sets *rs, segkit_error *err) {
  memset(rs, 0, sizeof *rs);
  segkit_status s = check_input(in, stratum, n_strata, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  uint32_t k = in->group != NULL ? in->n_groups : 1;
  rs->k = k;
  size_t n = in->n;
  size_t *order = malloc((n > 0 ? n : 1) * sizeof *order);
  double *run = calloc(2 * (size_t)k, sizeof *run); /* at risk, events at this time */
  rs->n_subjects = calloc(k, sizeof *rs->n_subjects);
  rs->data = malloc((n > 0 ? n : 1) * 2 * (size_t)k * sizeof *rs->data);
  if (order == NULL || run == NULL || rs->n_subjects == NULL || rs->data == NULL) {
    free(order);
    free(run);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu subjects", n);
  }
  for (size_t i = 0; i < n; i++) {
    order[i] = i;
  }
  sort_ctx ctx = {in, stratum};
  g_sort = &ctx;
  qsort(order, n, sizeof *order, cmp_rows);
  g_sort = NULL;
  size_t i = 0;
  while (i < n) {
    size_t row = order[i];
    uint32_t st = stratum != NULL ? stratum[row] : 0;
    double t = time_of(in, row);
    /* a new stratum starts with an empty risk set */
    if (i == 0 || (stratum != NULL && stratum[order[i - 1]] != st)) {
      memset(run, 0, (size_t)k * sizeof *run);
    }
    memset(run + k, 0, (size_t)k * sizeof *run);
    bool any_event = false;
    for (; i < n && time_of(in, order[i]) == t &&
           (stratum == NULL || stratum[order[i]] == st);
         i++) {
      size_t r = order[i];
      uint32_t g = in->group != NULL ? in->group[r] : 0;
      run[g] += 1.0;
      rs->n_subjects[g]++;
      if (in->event[r]) {
        run[k + g] += 1.0;
        any_event = true;
        rs->events++;
      }
    }
    if (any_event) {
      memcpy(rs->data + rs->n_records * 2 * k, run, 2 * (size_t)k * sizeof *run);
      rs->n_records++;
    }
  }
  free(order);
  free(run);
  return SEGKIT_OK;
}

/* ---- stratified log-rank ------------------------------------------------------------- */

segkit_status segkit_logrank_stratified(const segkit_surv_input *in, const uint32_t *stratum,
                                        uint32_t n_strata, segkit_logrank **out,
                                        segkit_error *err) {
  risk_sets rs;
  segkit_status s = build_risk_sets(in, stratum, n_strata, &rs, err);
  if (s != SEGKIT_OK) {
    risk_sets_free(&rs);
    return s;
  }
  uint32_t k = rs.k;
  uint32_t non_empty = 0;
  for (uint32_t g = 0; g < k; g++) {
    non_empty += rs.n_subjects[g] > 0;
  }
  if (non_empty < 2) {
    risk_sets_free(&rs);
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the log-rank test needs at least 2 groups with subjects, got %u",
                            non_empty);
  }
  segkit_logrank *lr = sk__logrank_alloc(k);
  double *var = calloc((size_t)k * k, sizeof *var);
  if (lr == NULL || var == NULL) {
    segkit_logrank_free(lr);
    free(var);
    risk_sets_free(&rs);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the log-rank test");
  }
  for (uint32_t g = 0; g < k; g++) {
    lr->n_subjects[g] = rs.n_subjects[g];
  }
  for (size_t r = 0; r < rs.n_records; r++) {
    const double *rec = rs.data + r * 2 * k;
    sk__logrank_accumulate(k, rec, rec + k, lr, var);
  }
  s = sk__logrank_finish(k, lr, var, err);
  free(var);
  risk_sets_free(&rs);
  if (s != SEGKIT_OK) {
    segkit_logrank_free(lr);
    return s;
  }
  *out = lr;
  return SEGKIT_OK;
}

/* ---- Cox model, one binary covariate ------------------------------------------------- */

/* Partial log-likelihood, score and information at beta, Efron's approximation for ties:
 * at an event time with n0, n1 at risk and d0, d1 events (d = d0 + d1), r = exp(beta),
 * S0 = n0 + n1 r, S1 = n1 r, D0 = d0 + d1 r, D1 = d1 r, and for l = 0 .. d - 1,
 * f = l / d, A0 = S0 - f D0, A1 = S1 - f D1:
 *   loglik += d1 beta - sum log A0,  U += d1 - sum A1 / A0,
 *   I += sum (A1 / A0 - (A1 / A0)^2)          (x = x^2 for a 0/1 covariate). */
static void cox_terms(const risk_sets *rs, double beta, double *ll, double *u, double *info) {
  double r = exp(beta);
  *ll = 0.0;
  *u = 0.0;
  *info = 0.0;
  for (size_t i = 0; i < rs->n_records; i++) {
    const double *rec = rs->data + i * 4;
    double n0 = rec[0];
    double n1 = rec[1];
    double d0 = rec[2];
    double d1 = rec[3];
    double d = d0 + d1;
    double s0 = n0 + n1 * r;
    double s1 = n1 * r;
    double e0 = d0 + d1 * r;
    double e1 = d1 * r;
    *ll += d1 * beta;
    *u += d1;
    for (double l = 0.0; l < d; l += 1.0) {
      double f = l / d;
      double a0 = s0 - f * e0;
      double a1 = s1 - f * e1;
      double m = a1 / a0;
      *ll -= log(a0);
      *u -= m;
      *info += m - m * m;
    }
  }
}

static void cox_fit(const risk_sets *rs, double level, segkit_cox *c) {
  double beta = 0.0;
  double ll = 0.0;
  double u = 0.0;
  double info = 0.0;
  cox_terms(rs, 0.0, &ll, &u, &info);
  c->loglik_null = ll;
  int it = 0;
  /* Newton-Raphson with step halving, as coxph: stop when the log-likelihood changes by
   * less than 1e-9 relative (coxph's default eps) or after 30 iterations. */
  for (; it < 30; it++) {
    if (!(info > 0.0)) {
      break;
    }
    double step = u / info;
    double nb = beta + step;
    double nll;
    double nu;
    double ninfo;
    cox_terms(rs, nb, &nll, &nu, &ninfo);
    for (int h = 0; h < 20 && !(nll >= ll); h++) {
      step /= 2.0;
      nb = beta + step;
      cox_terms(rs, nb, &nll, &nu, &ninfo);
    }
    bool done = fabs(1.0 - nll / ll) < 1e-12 || fabs(nb - beta) < 1e-12;
    beta = nb;
    ll = nll;
    u = nu;
    info = ninfo;
    if (done) {
      it++;
      break;
    }
  }
  double z = gsl_cdf_ugaussian_Qinv((1.0 - level) / 2.0);
  c->iterations = it;
  c->loglik = ll;
  c->beta = beta;
  c->infinite = !(info > 1e-10) || fabs(beta) > 15.0;
  c->se = info > 0.0 ? 1.0 / sqrt(info) : INFINITY;
  c->hazard_ratio = exp(beta);
  c->hr_low = exp(beta - z * c->se);
  c->hr_high = exp(beta + z * c->se);
  c->z = beta / c->se;
  c->p_value = 2.0 * gsl_cdf_ugaussian_Q(fabs(c->z));
  if (c->infinite) {
    c->se = NAN;
    c->hr_low = NAN;
    c->hr_high = NAN;
    c->z = NAN;
    c->p_value = NAN;
  }
}

segkit_status segkit_cox_two_groups(const segkit_surv_input *in, const uint32_t *stratum,
                                    uint32_t n_strata, double conf_level, segkit_cox *out,
                                    segkit_error *err) {
  if (in == NULL || out == NULL || in->group == NULL || in->n_groups != 2) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the two-group Cox model needs an input with exactly 2 groups");
  }
  double level = conf_level > 0.0 ? conf_level : 0.95;
  if (!(level < 1.0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "confidence level %g is invalid (expected 0 < level < 1)", level);
  }
  risk_sets rs;
  segkit_status s = build_risk_sets(in, stratum, n_strata, &rs, err);
  if (s != SEGKIT_OK) {
    risk_sets_free(&rs);
    return s;
  }
  segkit_cox c;
  memset(&c, 0, sizeof c);
  c.n = in->n;
  c.events = rs.events;
  if (rs.n_subjects[0] == 0 || rs.n_subjects[1] == 0) {
    risk_sets_free(&rs);
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the Cox model needs subjects in both groups (%zu and %zu)",
                            rs.n_subjects[0], rs.n_subjects[1]);
  }
  cox_fit(&rs, level, &c);
  risk_sets_free(&rs);
  *out = c;
  return SEGKIT_OK;
}
