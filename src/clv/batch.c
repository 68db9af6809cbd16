/* batch.c: predictions for many customers at once, on every core.
 *
 * Key design choice: customers are cut into contiguous ranges, one per thread, each
 * writing only its own slice of the output arrays, so the result is the same whatever the
 * thread count. Each row is the per-customer function of predict.c and value.c: there is
 * one definition of every prediction. */
#include <math.h>

#include "clv/clv_int.h"
#include "core/core_int.h"

enum { ROWS_PER_THREAD = 4096 };

typedef struct batch_job {
  const segkit_clv_model *purchases;
  const segkit_clv_model *spend;
  const double *f, *r, *T, *m;
  const segkit_clv_predict_options *opt;
  double *p_alive, *expected, *spend_out, *value;
  size_t begin, end;
} batch_job;

static void *run_range(void *arg) {
  batch_job *j = arg;
  const segkit_clv_predict_options *o = j->opt;
  for (size_t i = j->begin; i < j->end; i++) {
    double f = j->f[i], r = j->r[i], T = j->T[i];
    if (j->p_alive != NULL) {
      j->p_alive[i] = segkit_clv_p_alive(j->purchases, f, r, T);
    }
    if (j->expected != NULL) {
      j->expected[i] = segkit_clv_expected_purchases(j->purchases, o->horizon, f, r, T);
    }
    if (j->spend == NULL) {
      continue;
    }
    double money = j->m != NULL && isfinite(j->m[i]) ? j->m[i] : 0.0;
    if (j->spend_out != NULL) {
      j->spend_out[i] = segkit_clv_expected_spend(j->spend, f, money);
    }
    if (j->value != NULL) {
      j->value[i] = segkit_clv_value(j->purchases, j->spend, f, r, T, money, o->horizon,
                                     o->step, o->discount);
    }
  }
  return NULL;
}

void segkit_clv_predict_options_init(segkit_clv_predict_options *opt) {
  opt->horizon = 52.0;
  opt->step = 4.0;
  opt->discount = 0.0;
  opt->n_threads = 0;
}

segkit_status segkit_clv_predict(const segkit_clv_model *purchases,
                                 const segkit_clv_model *spend, const double *frequency,
                                 const double *recency, const double *T,
                                 const double *monetary, size_t n,
                                 const segkit_clv_predict_options *opt, double *p_alive,
                                 double *expected_purchases, double *expected_spend,
                                 double *value, segkit_error *err) {
  segkit_clv_predict_options defaults;
  segkit_clv_predict_options_init(&defaults);
  if (opt == NULL) {
    opt = &defaults;
  }
  if (purchases == NULL ||
      (purchases->kind != SEGKIT_CLV_BGNBD && purchases->kind != SEGKIT_CLV_PARETONBD)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "predictions need a purchase model (bgnbd or paretonbd)");
  }
  if (spend != NULL && spend->kind != SEGKIT_CLV_GAMMAGAMMA) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "the spend model must be gammagamma");
  }
  if ((expected_spend != NULL || value != NULL) && spend == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "expected spend and value need a gammagamma spend model");
  }
  if (!(opt->horizon > 0) || isinf(opt->horizon) || !(opt->step > 0) || isinf(opt->step) ||
      !(opt->discount >= 0) || isinf(opt->discount) || opt->n_threads < 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "predict options: horizon and step must be > 0, discount >= 0, "
                            "n_threads >= 0 (got %g, %g, %g, %d)",
                            opt->horizon, opt->step, opt->discount, opt->n_threads);
  }
  if (n > 0 && (frequency == NULL || recency == NULL || T == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "frequency, recency and T are required");
  }
  int workers = sk__worker_count(opt->n_threads, n, ROWS_PER_THREAD);
  batch_job jobs[SK__MAX_WORKERS];
  for (int w = 0; w < workers; w++) {
    jobs[w] = (batch_job){.purchases = purchases, .spend = spend, .f = frequency,
                          .r = recency, .T = T, .m = monetary, .opt = opt,
                          .p_alive = p_alive, .expected = expected_purchases,
                          .spend_out = expected_spend, .value = value,
                          .begin = n * (size_t)w / (size_t)workers,
                          .end = n * (size_t)(w + 1) / (size_t)workers};
  }
  sk__run_workers(run_range, jobs, sizeof jobs[0], workers);
  return SEGKIT_OK;
}
