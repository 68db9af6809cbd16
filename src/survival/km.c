/* km.c: Kaplan-Meier product-limit curves per group, R survfit's numbers.
 *
 * Data flow, chosen for 10^6+ subjects: each subject becomes one uint64 key,
 * (duration bits << 1) | event, so sorting the keys sorts by time and carries the event
 * flag along with no index array. Non-negative doubles order like their bit patterns,
 * and int64 durations >= 0 are their own key, so one radix sort serves both types. A
 * counting pass by group puts each group's keys in a contiguous slice; each slice is
 * radix-sorted and then read twice, once to count distinct times and once to fill the
 * curve. Formulas (docs/metrics.md, "Survival"):
 *   S(t)      = prod_{t_j <= t} (1 - d_j / n_j)                 Kaplan & Meier (1958)
 *   Var(log S)= sum_{t_j <= t} d_j / (n_j (n_j - d_j))           Greenwood (1926)
 *   band      = S exp(-+ z sqrt(Var(log S))), upper capped at 1  R's conf.type = "log"
 *   median    = print.survfit's rule (see km_median below). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "survival/survival_int.h"

/* R's tolerance for "S(t) equals 0.5" in print.survfit (survmean's minmin). */
#define SK_MEDIAN_TOL 1.4901161193847656e-08 /* sqrt(DBL_EPSILON) */

/* Bytes per curve point: six double columns and three count columns. */
#define SK_KM_POINT_BYTES (6 * sizeof(double) + 3 * sizeof(size_t))

/* ---- keys ------------------------------------------------------------------------- */

static segkit_status check_input(const segkit_surv_input *in, double conf_level,
                                 segkit_error *err) {
  if (in == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no survival input given");
  }
  if ((in->time_f64 == NULL) == (in->time_i64 == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "give exactly one of time_f64 and time_i64");
  }
  if (in->n > 0 && in->event == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "event flags missing");
  }
  if (in->group != NULL && in->n_groups == 0 && in->n > 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "group codes given but n_groups is 0");
  }
  if (!(conf_level == 0.0 || (conf_level > 0.0 && conf_level < 1.0))) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "confidence level %g is not in (0, 1)", conf_level);
  }
  return SEGKIT_OK;
}

static segkit_status key_of_row(const segkit_surv_input *in, size_t i, uint64_t *key,
                                segkit_error *err) {
  uint64_t ev = in->event[i] != 0;
  if (in->time_i64 != NULL) {
    int64_t v = in->time_i64[i];
    if (v < 0) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "time_i64[%zu] = %lld is negative (expected >= 0)", i,
                              (long long)v);
    }
    *key = ((uint64_t)v << 1) | ev;
    return SEGKIT_OK;
  }
  double v = in->time_f64[i];
  if (!isfinite(v) || v < 0.0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "time_f64[%zu] = %g is not a finite number >= 0", i, v);
  }
  v = v + 0.0; /* -0.0 becomes +0.0, so it sorts and ties with 0 */
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  /* bits < 0x7FF0... for finite v >= 0, so the shift loses nothing. */
  *key = (bits << 1) | ev;
  return SEGKIT_OK;
}

static double time_of_key(uint64_t key, int is_int) {
  uint64_t bits = key >> 1;
  if (is_int) {
    return (double)(int64_t)bits;
  }
  double v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

/* Keys grouped: keys[start[g] .. start[g+1]) belong to group g, in input order. */
static segkit_status group_keys(const segkit_surv_input *in, uint32_t n_groups,
                                uint64_t *keys, size_t *start, segkit_error *err) {
  size_t n_slots = (size_t)n_groups + 1;
  memset(start, 0, n_slots * sizeof *start);
  for (size_t i = 0; i < in->n; i++) {
    uint32_t g = in->group ? in->group[i] : 0;
    if (g >= n_groups) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "group[%zu] = %u is not below n_groups %u", i, g,
                              n_groups);
    }
    start[g + 1]++;
  }
  for (uint32_t g = 0; g < n_groups; g++) {
    start[g + 1] += start[g];
  }
  size_t *fill = malloc(n_slots * sizeof *fill);
  if (fill == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %u groups", n_groups);
  }
  memcpy(fill, start, n_slots * sizeof *fill);
  for (size_t i = 0; i < in->n; i++) {
    uint32_t g = in->group ? in->group[i] : 0;
    uint64_t key = 0;
    segkit_status s = key_of_row(in, i, &key, err);
    if (s != SEGKIT_OK) {
      free(fill);
      return s;
    }
    keys[fill[g]++] = key;
  }
  free(fill);
  return SEGKIT_OK;
}

/* ---- one curve -------------------------------------------------------------------- */

static size_t count_distinct_times(const uint64_t *keys, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || (keys[i] >> 1) != (keys[i - 1] >> 1)) {
      count++;
    }
  }
  return count;
}

/* print.survfit's median (survival 3.5, survmean's minmin): the first time with
 * S < 0.5 + tol; if S there equals 0.5 (within tol) and the curve drops later, the mean
 * of that time and the time of the next drop; a curve that stays at 0.5 to its end
 * gives the first time. (quantile.survfit differs in that last case: it averages with
 * the last follow-up time.) */
static double km_median(const segkit_km_curve *c) {
  size_t first = c->n_points;
  for (size_t j = 0; j < c->n_points; j++) {
    if (c->surv[j] < 0.5 + SK_MEDIAN_TOL) {
      first = j;
      break;
    }
  }
  if (first == c->n_points) {
    return NAN;
  }
  double s1 = c->surv[first];
  if (fabs(s1 - 0.5) >= SK_MEDIAN_TOL) {
    return c->time[first];
  }
  for (size_t j = first + 1; j < c->n_points; j++) {
    if (c->surv[j] < s1) {
      return (c->time[first] + c->time[j]) / 2.0;
    }
  }
  return c->time[first];
}

static void fill_curve(segkit_km_curve *c, void *block, const uint64_t *keys, size_t n,
                       size_t n_points, int is_int, double z) {
  /* Doubles first, counts after, so every array is aligned whatever sizeof(size_t). */
  double *time = block;
  double *surv = time + n_points;
  double *std_err = surv + n_points;
  double *se_log = std_err + n_points;
  double *lower = se_log + n_points;
  double *upper = lower + n_points;
  size_t *n_risk = (size_t *)(upper + n_points);
  size_t *n_event = n_risk + n_points;
  size_t *n_censor = n_event + n_points;

  double s = 1.0;
  double var_log = 0.0; /* Greenwood: sum d / (n (n - d)) */
  size_t at_risk = n;
  size_t events_total = 0;
  size_t i = 0;
  for (size_t j = 0; j < n_points; j++) {
    uint64_t t = keys[i] >> 1;
    size_t d = 0;
    size_t m = 0;
    while (i < n && (keys[i] >> 1) == t) {
      d += keys[i] & 1;
      m++;
      i++;
    }
    time[j] = time_of_key(keys[i - 1], is_int);
    n_risk[j] = at_risk;
    n_event[j] = d;
    n_censor[j] = m - d;
    if (d > 0) {
      s *= (double)(at_risk - d) / (double)at_risk;
      var_log = d < at_risk ? var_log + (double)d / ((double)at_risk * (double)(at_risk - d))
                            : INFINITY;
    }
    surv[j] = s;
    se_log[j] = sqrt(var_log);
    if (s > 0.0) {
      std_err[j] = s * se_log[j];
      lower[j] = s * exp(-z * se_log[j]);
      upper[j] = fmin(1.0, s * exp(z * se_log[j]));
    } else {
      /* R: std.err = Inf * 0 = NaN, and the log band is NA where S = 0. */
      std_err[j] = NAN;
      lower[j] = NAN;
      upper[j] = NAN;
    }
    events_total += d;
    at_risk -= m;
  }
  c->n_subjects = n;
  c->n_events = events_total;
  c->n_points = n_points;
  c->time = time;
  c->n_risk = n_risk;
  c->n_event = n_event;
  c->n_censor = n_censor;
  c->surv = surv;
  c->std_err = std_err;
  c->se_log = se_log;
  c->lower = lower;
  c->upper = upper;
  c->median = km_median(c);
}

/* ---- public ----------------------------------------------------------------------- */

void segkit_km_free(segkit_km *km) {
  if (km == NULL) {
    return;
  }
  if (km->blocks != NULL) {
    for (uint32_t g = 0; g < km->n_groups; g++) {
      free(km->blocks[g]);
    }
  }
  free(km->blocks);
  free(km->curves);
  free(km);
}

static segkit_km *km_alloc(uint32_t n_groups) {
  segkit_km *km = calloc(1, sizeof *km);
  if (km == NULL) {
    return NULL;
  }
  km->n_groups = n_groups;
  size_t slots = n_groups > 0 ? n_groups : 1; /* calloc(0) may return NULL */
  km->curves = calloc(slots, sizeof *km->curves);
  km->blocks = calloc(slots, sizeof *km->blocks);
  if (km->curves == NULL || km->blocks == NULL) {
    segkit_km_free(km);
    return NULL;
  }
  for (uint32_t g = 0; g < n_groups; g++) {
    km->curves[g].median = NAN;
  }
  return km;
}

static segkit_status fit_groups(segkit_km *km, uint64_t *keys, uint64_t *tmp,
                                const size_t *start, int is_int, double z,
                                segkit_error *err) {
  for (uint32_t g = 0; g < km->n_groups; g++) {
    size_t n = start[g + 1] - start[g];
    if (n == 0) {
      continue;
    }
    uint64_t *slice = keys + start[g];
    sk__surv_radix_sort_u64(slice, tmp, n);
    size_t n_points = count_distinct_times(slice, n);
    km->blocks[g] = malloc(n_points * SK_KM_POINT_BYTES);
    if (km->blocks[g] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu curve points",
                              n_points);
    }
    fill_curve(&km->curves[g], km->blocks[g], slice, n, n_points, is_int, z);
  }
  return SEGKIT_OK;
}

segkit_status segkit_km_fit(const segkit_surv_input *in, double conf_level, segkit_km **out,
                            segkit_error *err) {
  segkit_status s = check_input(in, conf_level, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  double level = conf_level == 0.0 ? 0.95 : conf_level;
  double z = gsl_cdf_ugaussian_Pinv(1.0 - (1.0 - level) / 2.0);
  uint32_t n_groups = in->group != NULL ? in->n_groups : 1;
  segkit_km *km = km_alloc(n_groups);
  size_t *start = malloc(((size_t)n_groups + 1) * sizeof *start);
  size_t n_alloc = in->n > 0 ? in->n : 1;
  uint64_t *keys = malloc(n_alloc * sizeof *keys);
  uint64_t *tmp = malloc(n_alloc * sizeof *tmp);
  if (km == NULL || start == NULL || keys == NULL || tmp == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu subjects", in->n);
  } else {
    s = group_keys(in, n_groups, keys, start, err);
  }
  if (s == SEGKIT_OK) {
    s = fit_groups(km, keys, tmp, start, in->time_i64 != NULL, z, err);
  }
  free(start);
  free(keys);
  free(tmp);
  if (s != SEGKIT_OK) {
    segkit_km_free(km);
    return s;
  }
  *out = km;
  return SEGKIT_OK;
}

uint32_t segkit_km_n_groups(const segkit_km *km) {
  return km != NULL ? km->n_groups : 0;
}

const segkit_km_curve *segkit_km_group(const segkit_km *km, uint32_t g) {
  if (km == NULL || g >= km->n_groups) {
    return NULL;
  }
  return &km->curves[g];
}
