/* rates.c: which segments have a different event (churn) rate than everyone else, with
 * the multiple comparisons of many segments controlled.
 *
 * Key design choices: each level is compared with the rest of its dimension (not with the
 * total, which contains it), by the pooled two-proportion z-test whose square is R's
 * prop.test(correct = FALSE) statistic; levels too small to trust are not tested at all,
 * so they neither become findings nor dilute the correction; the Benjamini-Hochberg step
 * runs over every tested level of every dimension at once, because a reader scans all of
 * them. Intervals are Wilson's, from the survival module that metrics --churned uses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "insight/insight_int.h"
#include "segkit/insight.h"
#include "segkit/survival.h"

struct segkit_rate_findings {
  size_t n;
  segkit_rate_finding *items;
  size_t n_tests;
};

void segkit_rate_findings_free(segkit_rate_findings *f) {
  if (f != NULL) {
    free(f->items);
    free(f);
  }
}

size_t segkit_rate_findings_n(const segkit_rate_findings *f) { return f != NULL ? f->n : 0; }

const segkit_rate_finding *segkit_rate_findings_at(const segkit_rate_findings *f, size_t i) {
  return f != NULL && i < f->n ? &f->items[i] : NULL;
}

size_t segkit_rate_findings_n_tests(const segkit_rate_findings *f) {
  return f != NULL ? f->n_tests : 0;
}

static int cmp_finding(const void *a, const void *b) {
  const segkit_rate_finding *x = a;
  const segkit_rate_finding *y = b;
  int o = sk__finding_order(x->too_small, x->significant, x->p, y->too_small, y->significant, y->p);
  if (o != 0) {
    return o;
  }
  if (x->dimension != y->dimension) {
    return x->dimension < y->dimension ? -1 : 1;
  }
  return (x->level > y->level) - (x->level < y->level);
}

static void interval(uint64_t k, uint64_t n, double level, double *lo, double *hi) {
  *lo = NAN;
  *hi = NAN;
  if (n > 0) {
    segkit_wilson_interval(k, n, level, lo, hi, NULL);
  }
}

segkit_status segkit_rate_findings_new(size_t n, const uint8_t *event,
                                       const segkit_rate_dimension *dims, size_t n_dims,
                                       const segkit_rate_options *opt,
                                       segkit_rate_findings **out, segkit_error *err) {
  if (out == NULL || dims == NULL || n_dims == 0 || (n > 0 && event == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "rate findings need events and dimensions");
  }
  double alpha = opt != NULL && opt->alpha > 0 ? opt->alpha : 0.05;
  double level = opt != NULL && opt->level > 0 ? opt->level : 0.95;
  uint64_t min_n = opt != NULL && opt->min_n > 0 ? opt->min_n : 30;
  size_t total_levels = 0;
  for (size_t d = 0; d < n_dims; d++) {
    if (dims[d].n_levels == 0 || (n > 0 && dims[d].codes == NULL)) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, dims[d].name,
                                 "dimension '%s' has no levels",
                                 dims[d].name != NULL ? dims[d].name : "?");
    }
    total_levels += dims[d].n_levels;
  }
  for (size_t i = 0; i < n; i++) {
    if (event[i] > 1) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "event",
                                 "customer %zu: event %u (expected 0 or 1)", i, event[i]);
    }
    for (size_t d = 0; d < n_dims; d++) {
      if (dims[d].codes[i] < -1 || dims[d].codes[i] >= (int32_t)dims[d].n_levels) {
        return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, dims[d].name,
                                   "dimension '%s', customer %zu: code %d (expected -1..%u)",
                                   dims[d].name, i, dims[d].codes[i], dims[d].n_levels - 1);
      }
    }
  }
  segkit_rate_findings *f = calloc(1, sizeof *f);
  uint64_t *cnt = calloc(2 * (total_levels + 1), sizeof *cnt);
  if (f != NULL) {
    f->items = calloc(total_levels + 1, sizeof *f->items);
  }
  if (f == NULL || f->items == NULL || cnt == NULL) {
    segkit_rate_findings_free(f);
    free(cnt);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the rate findings");
  }
  size_t at = 0;
  for (size_t d = 0; d < n_dims; d++) {
    uint64_t *nl = cnt, *el = cnt + total_levels + 1; /* per level of this dimension */
    memset(cnt, 0, 2 * (total_levels + 1) * sizeof *cnt);
    uint64_t n_all = 0, e_all = 0;
    for (size_t i = 0; i < n; i++) {
      int32_t c = dims[d].codes[i];
      if (c >= 0) {
        nl[c]++;
        el[c] += event[i];
        n_all++;
        e_all += event[i];
      }
    }
    /* of two levels only the first: the second against the rest is the same comparison
     * mirrored, and counting it twice would loosen the correction */
    uint32_t n_compared = dims[d].n_levels == 2 ? 1 : dims[d].n_levels;
    for (uint32_t l = 0; l < n_compared; l++) {
      segkit_rate_finding *x = &f->items[at++];
      x->dimension = d;
      x->level = l;
      x->n = nl[l];
      x->events = el[l];
      x->n_rest = n_all - nl[l];
      x->events_rest = e_all - el[l];
      x->rate = x->n > 0 ? (double)x->events / (double)x->n : NAN;
      x->rate_rest = x->n_rest > 0 ? (double)x->events_rest / (double)x->n_rest : NAN;
      interval(x->events, x->n, level, &x->lower, &x->upper);
      interval(x->events_rest, x->n_rest, level, &x->lower_rest, &x->upper_rest);
      x->ratio = x->rate_rest > 0 ? x->rate / x->rate_rest : NAN;
      x->z = x->p = x->p_adjusted = NAN;
      x->too_small = x->n < min_n || x->n_rest < min_n;
      if (x->too_small) {
        continue;
      }
      sk__pooled_z((double)x->events, (double)x->n, (double)x->events_rest, (double)x->n_rest,
                   &x->z, &x->p);
    }
  }
  f->n = at;
  /* Benjamini-Hochberg over the tested levels */
  double *p = malloc((f->n + 1) * sizeof *p);
  double *adj = malloc((f->n + 1) * sizeof *adj);
  bool *sig = malloc((f->n + 1) * sizeof *sig);
  size_t m = SIZE_MAX;
  if (p != NULL && adj != NULL && sig != NULL) {
    for (size_t i = 0; i < f->n; i++) {
      p[i] = f->items[i].p;
    }
    m = sk__bh_adjust(p, f->n, alpha, adj, sig);
  }
  for (size_t i = 0; m != SIZE_MAX && i < f->n; i++) {
    f->items[i].p_adjusted = adj[i];
    f->items[i].significant = sig[i];
  }
  free(p);
  free(adj);
  free(sig);
  if (m == SIZE_MAX) {
    segkit_rate_findings_free(f);
    free(cnt);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the rate findings");
  }
  f->n_tests = m;
  qsort(f->items, f->n, sizeof *f->items, cmp_finding);
  free(cnt);
  *out = f;
  return SEGKIT_OK;
}
