/* rake.c: weights to population margins by raking (iterative proportional fitting),
 * with optional trimming.
 *
 * Raking (Deming & Stephan 1940, Ann. Math. Statist. 11:427-444) scales the weights of
 * each level of one variable so that variable's weighted margin hits its target, then
 * the next variable, and so on in cycles; when the margins are consistent the cycles
 * converge to the weights closest to the base weights in the raking (multiplicative)
 * distance that meet every margin. R's survey::rake() does the same cycles with
 * postStratify(), so at a tight tolerance both reach the same fixed point and agree to
 * rounding (tests/data/survey/make_reference.R).
 *
 * Convergence is judged on what a user asked for, the margins: after each full cycle the
 * largest |achieved share - target share| must be <= tolerance (R instead stops when a
 * cycle changes the joint table by less than epsilon). Trimming follows R's
 * trimWeights(strict = TRUE) and then rakes again, in rounds (see survey.h). One pass
 * over the respondents per variable per cycle: sums per level, then one multiply. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "survey/survey_int.h"

struct segkit_rake {
  size_t n;
  double *w;
  segkit_rake_report report;
  size_t n_vars;
  segkit_rake_margin *margins;
  void **blocks; /* per variable: one allocation behind its margin table */
};

/* What one raking run needs, borrowed from the caller for the length of the call. */
typedef struct rake_ctx {
  size_t n;
  const segkit_rake_var *vars;
  size_t n_vars;
  double total;
  bool total_defaulted; /* population_total was 0 */
  double **target; /* per variable, normalised shares */
  double *sums;    /* scratch, max levels */
  double *factor;  /* scratch, max levels */
  uint32_t max_iter;
  double tolerance;
} rake_ctx;

static const char *level_name(const segkit_rake_var *v, uint32_t l, char *buf, size_t size) {
  if (v->level_labels != NULL && v->level_labels[l] != NULL) {
    return v->level_labels[l];
  }
  snprintf(buf, size, "%u", l);
  return buf;
}

/* ==== checks ======================================================================== */

static segkit_status check_options(const segkit_rake_options *in, size_t n,
                                   segkit_rake_options *o, segkit_error *err) {
  *o = in != NULL ? *in : (segkit_rake_options){0};
  o->max_iter = o->max_iter == 0 ? 100 : o->max_iter;
  o->tolerance = o->tolerance == 0.0 ? 1e-8 : o->tolerance;
  o->max_trim_rounds = o->max_trim_rounds == 0 ? 200 : o->max_trim_rounds;
  o->trim_slack = o->trim_slack == 0.0 ? 1e-9 : o->trim_slack;
  o->population_total = o->population_total == 0.0 ? (double)n : o->population_total;
  o->share_sum_tolerance = o->share_sum_tolerance == 0.0 ? 0.005 : o->share_sum_tolerance;
  if (!(o->tolerance > 0.0) || !(o->trim_slack >= 0.0) || !(o->share_sum_tolerance > 0.0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "raking tolerances must be positive numbers");
  }
  if (!(o->population_total > 0.0) || !isfinite(o->population_total)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "population total %g is not a positive number",
                            o->population_total);
  }
  if (!(o->trim_lower >= 0.0 && o->trim_lower <= 1.0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "lower trimming bound %g is not in [0, 1] (it is relative to the "
                            "mean weight, e.g. 0.3)",
                            o->trim_lower);
  }
  if (!(o->trim_upper == 0.0 || (o->trim_upper >= 1.0 && isfinite(o->trim_upper)))) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "upper trimming bound %g is not >= 1 (it is relative to the mean "
                            "weight, e.g. 3)",
                            o->trim_upper);
  }
  return SEGKIT_OK;
}

static segkit_status check_codes(size_t n, const segkit_rake_var *v, segkit_error *err) {
  if (v->codes == NULL || v->share == NULL || v->n_levels == 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, v->name,
                               "raking variable '%s' has no codes, shares or levels",
                               v->name);
  }
  for (size_t i = 0; i < n; i++) {
    int32_t c = v->codes[i];
    if (c < 0 || (uint32_t)c >= v->n_levels) {
      return segkit_error_set_at(
          err, SEGKIT_ERR_USAGE, NULL, 0, 0, v->name,
          "respondent %zu has no valid answer for raking variable '%s' (code %d; expected "
          "0..%u): raking needs every respondent's category, impute or drop them first",
          i, v->name, (int)c, v->n_levels - 1);
    }
  }
  return SEGKIT_OK;
}

/* Shares valid, normalised into target; each level's base weight checked against its
 * share. */
static segkit_status check_shares(size_t n, const double *w, const segkit_rake_var *v,
                                  double tol, bool totals, double *target, double *sums,
                                  segkit_error *err) {
  char buf[32];
  double total = 0.0;
  for (uint32_t l = 0; l < v->n_levels; l++) {
    double s = v->share[l];
    if (!isfinite(s) || s < 0.0) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, v->name,
                                 "share of '%s' in '%s' is %g (expected a number >= 0)",
                                 level_name(v, l, buf, sizeof buf), v->name, s);
    }
    total += s;
  }
  if (!totals && !(fabs(total - 1.0) <= tol)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, v->name,
                               "shares of '%s' sum to %.6g (expected 1, within %g)", v->name,
                               total, tol);
  }
  memset(sums, 0, v->n_levels * sizeof *sums);
  for (size_t i = 0; i < n; i++) {
    sums[v->codes[i]] += w != NULL ? w[i] : 1.0;
  }
  for (uint32_t l = 0; l < v->n_levels; l++) {
    target[l] = v->share[l] / total;
    if (sums[l] > 0.0 && target[l] == 0.0) {
      return segkit_error_set_at(
          err, SEGKIT_ERR_USAGE, NULL, 0, 0, v->name,
          "'%s' = '%s' has respondents but a population share of 0 (expected a share > 0, "
          "or drop those respondents)",
          v->name, level_name(v, l, buf, sizeof buf));
    }
    if (sums[l] == 0.0 && target[l] > 0.0) {
      return segkit_error_set_at(
          err, SEGKIT_ERR_USAGE, NULL, 0, 0, v->name,
          "'%s' = '%s' has a population share of %g but no respondents with a positive "
          "weight (expected to merge it with a neighbouring category)",
          v->name, level_name(v, l, buf, sizeof buf), v->share[l]);
    }
  }
  return SEGKIT_OK;
}

/* ==== raking ======================================================================== */

static void level_sums(size_t n, const int32_t *codes, const double *w, uint32_t levels,
                       double *sums) {
  memset(sums, 0, levels * sizeof *sums);
  for (size_t i = 0; i < n; i++) {
    sums[codes[i]] += w[i];
  }
}

/* Largest |achieved - target| share over all variables. */
static double margin_error(const rake_ctx *c, const double *w) {
  double worst = 0.0;
  for (size_t v = 0; v < c->n_vars; v++) {
    const segkit_rake_var *var = &c->vars[v];
    level_sums(c->n, var->codes, w, var->n_levels, c->sums);
    double sum = 0.0;
    for (uint32_t l = 0; l < var->n_levels; l++) {
      sum += c->sums[l];
    }
    for (uint32_t l = 0; l < var->n_levels; l++) {
      worst = fmax(worst, fabs(c->sums[l] / sum - c->target[v][l]));
    }
  }
  return worst;
}

static void rake_one(const rake_ctx *c, size_t v, double *w) {
  const segkit_rake_var *var = &c->vars[v];
  level_sums(c->n, var->codes, w, var->n_levels, c->sums);
  for (uint32_t l = 0; l < var->n_levels; l++) {
    /* Empty levels have a zero target (checked), so their factor is never used. */
    c->factor[l] = c->sums[l] > 0.0 ? c->target[v][l] * c->total / c->sums[l] : 1.0;
  }
  for (size_t i = 0; i < c->n; i++) {
    w[i] *= c->factor[var->codes[i]];
  }
}

/* Cycles until the margin error is within tolerance or max_iter cycles; returns whether
 * it converged, with the cycles done and the final error. */
static bool rake_cycles(const rake_ctx *c, double *w, uint32_t *iterations, double *error) {
  for (uint32_t it = 1; it <= c->max_iter; it++) {
    for (size_t v = 0; v < c->n_vars; v++) {
      rake_one(c, v, w);
    }
    *iterations += 1;
    *error = margin_error(c, w);
    if (*error <= c->tolerance) {
      return true;
    }
  }
  return false;
}

/* ==== trimming ====================================================================== */

static bool within_bounds(size_t n, const double *w, double lo, double hi, double slack) {
  for (size_t i = 0; i < n; i++) {
    if (w[i] < lo * (1.0 - slack) || w[i] > hi * (1.0 + slack)) {
      return false;
    }
  }
  return true;
}

/* R's trimWeights(strict = TRUE): clip to [lo, hi]; the amount clipped is added in equal
 * parts to the weights that were inside; repeat until none is outside. Returns false
 * when no weight is inside to take the excess (the bounds cannot hold the total) or the
 * passes run out. Zero weights are left alone (they are respondents weighting removed). */
static bool trim_strict(size_t n, double *w, double lo, double hi) {
  for (int pass = 0; pass < 1000; pass++) {
    double cut = 0.0;
    size_t inside = 0;
    size_t outside = 0;
    for (size_t i = 0; i < n; i++) {
      if (w[i] == 0.0) {
        continue;
      }
      double clipped = fmax(lo, fmin(w[i], hi));
      if (clipped != w[i]) {
        cut += w[i] - clipped;
        w[i] = -clipped; /* marked: outside this pass (clipped > 0: lo > 0 or hi > 0) */
        outside++;
      } else {
        inside++;
      }
    }
    if (outside == 0) {
      return true;
    }
    if (inside == 0) {
      for (size_t i = 0; i < n; i++) {
        w[i] = fabs(w[i]);
      }
      return false;
    }
    double share = cut / (double)inside;
    for (size_t i = 0; i < n; i++) {
      if (w[i] < 0.0) {
        w[i] = -w[i];
      } else if (w[i] > 0.0) {
        w[i] += share;
      }
    }
  }
  return false;
}

/* ==== result ======================================================================== */

static void result_free_blocks(segkit_rake *r) {
  if (r->blocks != NULL) {
    for (size_t v = 0; v < r->n_vars; v++) {
      free(r->blocks[v]);
    }
  }
  free(r->blocks);
  free(r->margins);
  free(r->w);
}

void segkit_rake_free(segkit_rake *r) {
  if (r == NULL) {
    return;
  }
  result_free_blocks(r);
  free(r);
}

/* One block per variable: name, labels (pointers then text), four arrays. */
static segkit_status margin_alloc(const segkit_rake_var *v, segkit_rake_margin *m, void **block,
                                  segkit_error *err) {
  size_t k = v->n_levels;
  size_t text = strlen(v->name) + 1;
  if (v->level_labels != NULL) {
    for (size_t l = 0; l < k; l++) {
      text += strlen(v->level_labels[l] != NULL ? v->level_labels[l] : "") + 1;
    }
  }
  size_t size = 3 * k * sizeof(double) + k * sizeof(size_t) + k * sizeof(char *) + text;
  char *p = malloc(size);
  if (p == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the margin table");
  }
  *block = p;
  m->n_levels = v->n_levels;
  m->target = (double *)p;
  m->achieved = (double *)p + k;
  m->sample = (double *)p + 2 * k;
  m->respondents = (size_t *)(p + 3 * k * sizeof(double));
  char **labels = (char **)(p + 3 * k * sizeof(double) + k * sizeof(size_t));
  char *t = (char *)(labels + k);
  size_t len = strlen(v->name) + 1;
  memcpy(t, v->name, len);
  m->name = t;
  t += len;
  m->level_labels = NULL;
  if (v->level_labels != NULL) {
    for (size_t l = 0; l < k; l++) {
      const char *s = v->level_labels[l] != NULL ? v->level_labels[l] : "";
      len = strlen(s) + 1;
      memcpy(t, s, len);
      labels[l] = t;
      t += len;
    }
    m->level_labels = (const char *const *)labels;
  }
  return SEGKIT_OK;
}

static void margin_fill(const rake_ctx *c, size_t v, const double *base, const double *w,
                        segkit_rake_margin *m) {
  const segkit_rake_var *var = &c->vars[v];
  double *target = (double *)m->target;
  double *achieved = (double *)m->achieved;
  double *sample = (double *)m->sample;
  size_t *resp = (size_t *)m->respondents;
  memset(sample, 0, var->n_levels * sizeof *sample);
  memset(achieved, 0, var->n_levels * sizeof *achieved);
  memset(resp, 0, var->n_levels * sizeof *resp);
  double base_sum = 0.0;
  double w_sum = 0.0;
  for (size_t i = 0; i < c->n; i++) {
    int32_t l = var->codes[i];
    double b = base != NULL ? base[i] : 1.0;
    sample[l] += b;
    achieved[l] += w[i];
    resp[l]++;
    base_sum += b;
    w_sum += w[i];
  }
  for (uint32_t l = 0; l < var->n_levels; l++) {
    target[l] = c->target[v][l];
    sample[l] /= base_sum;
    achieved[l] /= w_sum;
  }
}

/* ==== entry point =================================================================== */

/* Totals given: every variable must describe the same population; its size is the
 * total unless the caller set one. */
static segkit_status check_totals(const segkit_rake_var *vars, size_t n_vars,
                                  const segkit_rake_options *o, rake_ctx *c,
                                  segkit_error *err) {
  double first = 0.0;
  for (size_t v = 0; v < n_vars; v++) {
    double sum = 0.0;
    for (uint32_t l = 0; l < vars[v].n_levels; l++) {
      sum += vars[v].share[l];
    }
    if (!(sum > 0.0)) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, vars[v].name,
                                 "population totals of '%s' sum to 0", vars[v].name);
    }
    if (v == 0) {
      first = sum;
    } else if (!(fabs(sum - first) <= o->share_sum_tolerance * first)) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, vars[v].name,
                                 "population totals of '%s' sum to %.10g but those of '%s' to "
                                 "%.10g (expected the same population)",
                                 vars[v].name, sum, vars[0].name, first);
    }
  }
  if (c->total_defaulted) {
    c->total = first;
  }
  return SEGKIT_OK;
}

static segkit_status check_all(size_t n, const double *base, const segkit_rake_var *vars,
                               size_t n_vars, const segkit_rake_options *o, rake_ctx *c,
                               segkit_error *err) {
  segkit_status s = sk__survey_check_weights(n, base, "base weight", err);
  if (s != SEGKIT_OK) {
    return s;
  }
  for (size_t v = 0; v < n_vars; v++) {
    if (vars[v].name == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "raking variable %zu has no name", v);
    }
    s = check_codes(n, &vars[v], err);
    if (s != SEGKIT_OK) {
      return s;
    }
    s = check_shares(n, base, &vars[v], o->share_sum_tolerance, o->targets_are_totals,
                     c->target[v], c->sums, err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return o->targets_are_totals ? check_totals(vars, n_vars, o, c, err) : SEGKIT_OK;
}

static segkit_status ctx_alloc(rake_ctx *c, const segkit_rake_var *vars, size_t n_vars,
                               segkit_error *err) {
  uint32_t max_levels = 1;
  size_t all_levels = 0;
  for (size_t v = 0; v < n_vars; v++) {
    max_levels = vars[v].n_levels > max_levels ? vars[v].n_levels : max_levels;
    all_levels += vars[v].n_levels;
  }
  c->target = calloc(n_vars, sizeof *c->target);
  double *store = malloc((all_levels + 2 * (size_t)max_levels) * sizeof *store);
  if (c->target == NULL || store == NULL) {
    free(c->target);
    free(store);
    c->target = NULL;
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for raking");
  }
  c->sums = store;
  c->factor = store + max_levels;
  double *t = store + 2 * (size_t)max_levels;
  for (size_t v = 0; v < n_vars; v++) {
    c->target[v] = t;
    t += vars[v].n_levels;
  }
  return SEGKIT_OK;
}

static void ctx_free(rake_ctx *c) {
  free(c->sums); /* the block that also holds factor and the targets */
  free(c->target);
}

/* Rake, then trim and rake again in rounds while a bound is broken. */
static void rake_and_trim(const rake_ctx *c, const segkit_rake_options *o, double *w,
                          segkit_rake_report *rep) {
  rep->converged = rake_cycles(c, w, &rep->iterations, &rep->margin_error);
  rep->trim_converged = true;
  if (o->trim_lower == 0.0 && o->trim_upper == 0.0) {
    return;
  }
  double mean = c->total / (double)c->n;
  double lo = o->trim_lower * mean;
  double hi = o->trim_upper > 0.0 ? o->trim_upper * mean : INFINITY;
  rep->trim_converged = within_bounds(c->n, w, lo, hi, o->trim_slack);
  while (!rep->trim_converged && rep->trim_rounds < o->max_trim_rounds) {
    /* A failed trim (the bounds cannot hold the total) has still moved weights: rake
     * once more so the margins hold, and stop. */
    bool trimmed = trim_strict(c->n, w, lo, hi);
    rep->trim_rounds++;
    rep->converged = rake_cycles(c, w, &rep->iterations, &rep->margin_error);
    rep->trim_converged = within_bounds(c->n, w, lo, hi, o->trim_slack);
    if (!trimmed) {
      break;
    }
  }
  for (size_t i = 0; i < c->n; i++) {
    rep->n_at_bound += w[i] > 0.0 && (w[i] <= lo * (1.0 + o->trim_slack) ||
                                      w[i] >= hi * (1.0 - o->trim_slack));
  }
}

static segkit_status build_result(const rake_ctx *c, const double *base, double *w,
                                  segkit_rake_report *rep, segkit_rake **out,
                                  segkit_error *err) {
  segkit_rake *r = calloc(1, sizeof *r);
  if (r == NULL) {
    free(w);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the raking result");
  }
  r->n = c->n;
  r->w = w;
  r->n_vars = c->n_vars;
  r->margins = calloc(c->n_vars, sizeof *r->margins);
  r->blocks = calloc(c->n_vars, sizeof *r->blocks);
  if (r->margins == NULL || r->blocks == NULL) {
    segkit_rake_free(r);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the raking result");
  }
  for (size_t v = 0; v < c->n_vars; v++) {
    segkit_status s = margin_alloc(&c->vars[v], &r->margins[v], &r->blocks[v], err);
    if (s != SEGKIT_OK) {
      segkit_rake_free(r);
      return s;
    }
    margin_fill(c, v, base, w, &r->margins[v]);
  }
  segkit_status s = segkit_weight_summarise(c->n, w, &rep->weights, err);
  if (s != SEGKIT_OK) {
    segkit_rake_free(r);
    return s;
  }
  rep->n = c->n;
  r->report = *rep;
  *out = r;
  return SEGKIT_OK;
}

segkit_status segkit_rake_new(size_t n, const double *base_weights,
                              const segkit_rake_var *vars, size_t n_vars,
                              const segkit_rake_options *opt, segkit_rake **out,
                              segkit_error *err) {
  if (out == NULL || n == 0 || vars == NULL || n_vars == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "raking needs respondents and at least one variable");
  }
  segkit_rake_options o;
  segkit_status s = check_options(opt, n, &o, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  rake_ctx c = {.n = n, .vars = vars, .n_vars = n_vars, .total = o.population_total,
                .total_defaulted = opt == NULL || opt->population_total == 0.0,
                .max_iter = o.max_iter, .tolerance = o.tolerance};
  s = ctx_alloc(&c, vars, n_vars, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  s = check_all(n, base_weights, vars, n_vars, &o, &c, err);
  double *w = s == SEGKIT_OK ? malloc(n * sizeof *w) : NULL;
  if (s == SEGKIT_OK && w == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for %zu weights", n);
  }
  if (s != SEGKIT_OK) {
    ctx_free(&c);
    return s;
  }
  for (size_t i = 0; i < n; i++) {
    w[i] = base_weights != NULL ? base_weights[i] : 1.0;
  }
  segkit_rake_report rep = {0};
  rake_and_trim(&c, &o, w, &rep);
  s = build_result(&c, base_weights, w, &rep, out, err);
  ctx_free(&c);
  return s;
}

const segkit_rake_report *segkit_rake_result(const segkit_rake *r) {
  return r != NULL ? &r->report : NULL;
}

const double *segkit_rake_weights(const segkit_rake *r) {
  return r != NULL ? r->w : NULL;
}

size_t segkit_rake_n_vars(const segkit_rake *r) {
  return r != NULL ? r->n_vars : 0;
}

const segkit_rake_margin *segkit_rake_margin_at(const segkit_rake *r, size_t v) {
  return r != NULL && v < r->n_vars ? &r->margins[v] : NULL;
}
