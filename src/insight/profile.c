/* profile.c: segment profiles — every segment's answer shares against the rest, with
 * z-tests corrected for the number made (Benjamini-Hochberg).
 *
 * Key design choice: each segment is tested against the rest, not against the total (the
 * total contains the segment, so the two are not independent samples), with the pooled
 * two-proportion z-test; with weights each side's n is its Kish effective base
 * (sum w)^2 / sum w^2, as the survey module's column tests do. One pass over the
 * respondents per question accumulates, per segment and level, the weighted count, and
 * per segment the answered base and sum of squared weights; everything else is
 * arithmetic on those sums. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "insight/insight_int.h"
#include "segkit/insight.h"

struct segkit_profile {
  size_t n_cells;
  segkit_profile_cell *cells;
  size_t n_tests;
  uint32_t n_segments;
  double *size;      /* n_segments, weighted */
  double total;
};

void segkit_profile_free(segkit_profile *p) {
  if (p == NULL) {
    return;
  }
  free(p->cells);
  free(p->size);
  free(p);
}

size_t segkit_profile_n_cells(const segkit_profile *p) { return p != NULL ? p->n_cells : 0; }

const segkit_profile_cell *segkit_profile_cell_at(const segkit_profile *p, size_t i) {
  return p != NULL && i < p->n_cells ? &p->cells[i] : NULL;
}

size_t segkit_profile_n_tests(const segkit_profile *p) { return p != NULL ? p->n_tests : 0; }

double segkit_profile_segment_size(const segkit_profile *p, uint32_t s) {
  return p != NULL && s < p->n_segments ? p->size[s] : NAN;
}

double segkit_profile_segment_share(const segkit_profile *p, uint32_t s) {
  return p != NULL && s < p->n_segments && p->total > 0 ? p->size[s] / p->total : NAN;
}

static segkit_status check(const segkit_profile_input *in, segkit_error *err) {
  if (in == NULL || in->n_segments == 0 || in->n_questions == 0 || in->questions == NULL ||
      (in->n > 0 && in->segment == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "a profile needs segments and at least one question");
  }
  for (size_t i = 0; i < in->n; i++) {
    if (in->segment[i] < -1 || in->segment[i] >= (int32_t)in->n_segments) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "segment",
                                 "respondent %zu: segment code %d (expected -1..%u)", i,
                                 in->segment[i], in->n_segments - 1);
    }
    if (in->weights != NULL && !(in->weights[i] >= 0 && isfinite(in->weights[i]))) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "weight",
                                 "respondent %zu: weight %g (expected a finite number >= 0)",
                                 i, in->weights[i]);
    }
  }
  for (size_t q = 0; q < in->n_questions; q++) {
    const segkit_profile_question *qu = &in->questions[q];
    if (qu->n_levels == 0 || (in->n > 0 && qu->codes == NULL)) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, qu->name,
                                 "question '%s' has no answers to profile",
                                 qu->name != NULL ? qu->name : "?");
    }
    for (size_t i = 0; i < in->n; i++) {
      if (qu->codes[i] < -1 || qu->codes[i] >= (int32_t)qu->n_levels) {
        return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, qu->name,
                                   "question '%s', respondent %zu: code %d (expected -1..%u)",
                                   qu->name != NULL ? qu->name : "?", i, qu->codes[i],
                                   qu->n_levels - 1);
      }
    }
  }
  return SEGKIT_OK;
}

static segkit_status adjust(segkit_profile *pr, double alpha, segkit_error *err) {
  double *p = malloc((pr->n_cells + 1) * sizeof *p);
  double *adj = malloc((pr->n_cells + 1) * sizeof *adj);
  bool *sig = malloc((pr->n_cells + 1) * sizeof *sig);
  size_t m = SIZE_MAX;
  if (p != NULL && adj != NULL && sig != NULL) {
    for (size_t i = 0; i < pr->n_cells; i++) {
      p[i] = pr->cells[i].p;
    }
    m = sk__bh_adjust(p, pr->n_cells, alpha, adj, sig);
  }
  if (m != SIZE_MAX) {
    for (size_t i = 0; i < pr->n_cells; i++) {
      pr->cells[i].p_adjusted = adj[i];
      pr->cells[i].significant = sig[i];
    }
    pr->n_tests = m;
  }
  free(p);
  free(adj);
  free(sig);
  return m == SIZE_MAX
             ? segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the profile's tests")
             : SEGKIT_OK;
}

segkit_status segkit_profile_new(const segkit_profile_input *in,
                                 const segkit_profile_options *opt, segkit_profile **out,
                                 segkit_error *err) {
  if (out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "out is required");
  }
  segkit_status st = check(in, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  double alpha = opt != NULL && opt->alpha > 0 ? opt->alpha : 0.05;
  double min_base = opt != NULL && opt->min_base > 0 ? opt->min_base : 30.0;
  uint32_t ns = in->n_segments;
  size_t n_cells = 0;
  uint32_t max_levels = 0;
  for (size_t q = 0; q < in->n_questions; q++) {
    n_cells += (size_t)in->questions[q].n_levels * ns;
    max_levels = in->questions[q].n_levels > max_levels ? in->questions[q].n_levels : max_levels;
  }
  segkit_profile *pr = calloc(1, sizeof *pr);
  double *count = calloc((size_t)max_levels * ns + 1, sizeof *count);
  double *base = calloc(2 * (size_t)ns + 2, sizeof *base); /* sum w, sum w^2 per segment */
  if (pr != NULL) {
    pr->cells = calloc(n_cells + 1, sizeof *pr->cells);
    pr->size = calloc(ns, sizeof *pr->size);
  }
  if (pr == NULL || pr->cells == NULL || pr->size == NULL || count == NULL || base == NULL) {
    segkit_profile_free(pr);
    free(count);
    free(base);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the profile");
  }
  pr->n_cells = n_cells;
  pr->n_segments = ns;
  for (size_t i = 0; i < in->n; i++) {
    if (in->segment[i] >= 0) {
      double w = in->weights != NULL ? in->weights[i] : 1.0;
      pr->size[in->segment[i]] += w;
      pr->total += w;
    }
  }
  size_t at = 0;
  for (size_t q = 0; q < in->n_questions; q++) {
    const segkit_profile_question *qu = &in->questions[q];
    uint32_t nl = qu->n_levels;
    memset(count, 0, (size_t)nl * ns * sizeof *count);
    memset(base, 0, 2 * (size_t)ns * sizeof *base);
    for (size_t i = 0; i < in->n; i++) {
      int32_t s = in->segment[i];
      int32_t c = qu->codes[i];
      if (s < 0 || c < 0) {
        continue;
      }
      double w = in->weights != NULL ? in->weights[i] : 1.0;
      count[(size_t)c * ns + (size_t)s] += w;
      base[2 * (size_t)s] += w;
      base[2 * (size_t)s + 1] += w * w;
    }
    double all_w = 0, all_w2 = 0;
    for (uint32_t s = 0; s < ns; s++) {
      all_w += base[2 * (size_t)s];
      all_w2 += base[2 * (size_t)s + 1];
    }
    for (uint32_t l = 0; l < nl; l++) {
      double level_total = 0;
      for (uint32_t s = 0; s < ns; s++) {
        level_total += count[(size_t)l * ns + s];
      }
      for (uint32_t s = 0; s < ns; s++) {
        segkit_profile_cell *c = &pr->cells[at++];
        double sw = base[2 * (size_t)s], sw2 = base[2 * (size_t)s + 1];
        double rw = all_w - sw, rw2 = all_w2 - sw2;
        double xs = count[(size_t)l * ns + s];
        double xr = level_total - xs;
        c->segment = s;
        c->question = q;
        c->level = l;
        c->segment_base = sw;
        c->rest_base = rw;
        c->segment_pct = sw > 0 ? 100.0 * xs / sw : NAN;
        c->rest_pct = rw > 0 ? 100.0 * xr / rw : NAN;
        c->total_pct = all_w > 0 ? 100.0 * level_total / all_w : NAN;
        c->index = c->total_pct > 0 ? 100.0 * c->segment_pct / c->total_pct : NAN;
        c->small_base = sw < min_base;
        /* effective bases: (sum w)^2 / sum w^2 (= the count without weights); the
         * answer's count scales with them so the shares stay the weighted ones */
        double ns_eff = sw2 > 0 ? sw * sw / sw2 : 0;
        double nr_eff = rw2 > 0 ? rw * rw / rw2 : 0;
        sk__pooled_z(sw > 0 ? xs / sw * ns_eff : 0, ns_eff, rw > 0 ? xr / rw * nr_eff : 0, nr_eff,
                     &c->z, &c->p);
      }
    }
  }
  free(count);
  free(base);
  st = adjust(pr, alpha, err);
  if (st != SEGKIT_OK) {
    segkit_profile_free(pr);
    return st;
  }
  *out = pr;
  return SEGKIT_OK;
}

typedef struct by_z {
  double z;
  size_t cell;
} by_z;

static int cmp_z(const void *a, const void *b) {
  const by_z *x = a;
  const by_z *y = b;
  if (x->z != y->z) {
    return x->z > y->z ? -1 : 1;
  }
  return (x->cell > y->cell) - (x->cell < y->cell);
}

size_t segkit_profile_top(const segkit_profile *p, uint32_t s, size_t max, size_t *cells_out) {
  if (p == NULL || s >= p->n_segments || max == 0 || cells_out == NULL) {
    return 0;
  }
  by_z *list = malloc((p->n_cells + 1) * sizeof *list);
  if (list == NULL) {
    return 0;
  }
  size_t n = 0;
  for (size_t i = 0; i < p->n_cells; i++) {
    if (p->cells[i].segment == s && p->cells[i].significant) {
      list[n++] = (by_z){.z = fabs(p->cells[i].z), .cell = i};
    }
  }
  qsort(list, n, sizeof *list, cmp_z);
  size_t k = n < max ? n : max;
  for (size_t i = 0; i < k; i++) {
    cells_out[i] = list[i].cell;
  }
  free(list);
  return k;
}
