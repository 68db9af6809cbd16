/* The standard error of a segment's lifetime value, LTV = ARPU / monthly churn =
 * (A / B) / (C / D) over a period's months (A: month-end MRR summed, B: active month ends,
 * C: churns, D: customer-months at risk), and the covariance of two segments' LTVs.
 *
 * Key design choices:
 * - The unit of sampling is the customer: its months are not independent draws, so the
 *   variance is that of a ratio of four totals with customers as clusters (the delta
 *   method on log LTV, as R's survey package linearises svyratio/svycontrast). With
 *   z_i = a_i / A - b_i / B - c_i / C + d_i / D for customer i (zero outside the segment),
 *   Var(log LTV) = N / (N - 1) x sum of z_i^2, N the customers with a month in the period:
 *   a segment is a domain of that one sample, so segment and rest share N, and their
 *   covariance (one customer can be on both sides over a window) is the same sum of
 *   z_i(segment) z_i(rest).
 * - Everything is a sum over customers of products of integers, kept exactly (i128) per
 *   group and, for customers seen in two groups, per pair of groups; so any union of
 *   groups (a value of one column against the rest) is exact without a second pass, and
 *   the result does not depend on the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_int.h"

#define FREE_SLOT UINT32_MAX

static void add_moments(sk__i128 *m, const int64_t *v) {
  for (size_t x = 0; x < 4; x++) {
    for (size_t y = x; y < 4; y++) {
      m[sk__ltv_index(x, y)] += (sk__i128)v[x] * v[y];
    }
  }
}

static size_t slot_of(uint32_t period, uint32_t g, uint32_t h, size_t cap) {
  uint64_t k = ((uint64_t)period * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)g << 32 | h);
  k ^= k >> 29;
  k *= 0xBF58476D1CE4E5B9ull;
  k ^= k >> 32;
  return (size_t)k & (cap - 1);
}

static sk__ltv_pair *find_or_insert(sk__ltv_pairs *p, uint32_t period, uint32_t g, uint32_t h);

static int grow(sk__ltv_pairs *p) {
  size_t cap = p->cap ? p->cap * 2 : 64;
  sk__ltv_pair *e = malloc(cap * sizeof *e);
  if (e == NULL) {
    return -1;
  }
  for (size_t i = 0; i < cap; i++) {
    e[i].g = FREE_SLOT;
  }
  sk__ltv_pairs old = *p;
  p->e = e;
  p->cap = cap;
  p->n = 0;
  for (size_t i = 0; i < old.cap; i++) {
    if (old.e[i].g != FREE_SLOT) {
      sk__ltv_pair *d = find_or_insert(p, old.e[i].period, old.e[i].g, old.e[i].h);
      memcpy(d->s, old.e[i].s, sizeof d->s);
    }
  }
  free(old.e);
  return 0;
}

/* The entry of (period, g, h), zeroed when new; the table has room (load <= 1/2). */
static sk__ltv_pair *find_or_insert(sk__ltv_pairs *p, uint32_t period, uint32_t g, uint32_t h) {
  size_t i = slot_of(period, g, h, p->cap);
  while (p->e[i].g != FREE_SLOT) {
    if (p->e[i].period == period && p->e[i].g == g && p->e[i].h == h) {
      return &p->e[i];
    }
    i = (i + 1) & (p->cap - 1);
  }
  sk__ltv_pair *d = &p->e[i];
  d->period = period;
  d->g = g;
  d->h = h;
  memset(d->s, 0, sizeof d->s);
  p->n++;
  return d;
}

static sk__ltv_pair *entry(sk__ltv_pairs *p, uint32_t period, uint32_t g, uint32_t h) {
  if ((p->n + 1) * 2 > p->cap && grow(p) != 0) {
    return NULL;
  }
  return find_or_insert(p, period, g, h);
}

int sk__ltv_count(sk__period_acc *total, sk__period_acc *groups, size_t n_periods, uint32_t period,
                  const sk__ltv_part *parts, size_t n_parts, sk__ltv_pairs *pairs) {
  if (n_parts == 0) {
    return 0;
  }
  int64_t sum[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < n_parts; i++) {
    for (size_t x = 0; x < 4; x++) {
      sum[x] += parts[i].v[x];
    }
  }
  total->ltv_customers++;
  add_moments(total->ltv_m, sum);
  if (groups == NULL) {
    return 0;
  }
  for (size_t i = 0; i < n_parts; i++) {
    add_moments(groups[(size_t)parts[i].group * n_periods].ltv_m, parts[i].v);
  }
  for (size_t i = 0; i < n_parts; i++) {
    for (size_t j = i + 1; j < n_parts; j++) {
      const sk__ltv_part *lo = parts[i].group < parts[j].group ? &parts[i] : &parts[j];
      const sk__ltv_part *hi = lo == &parts[i] ? &parts[j] : &parts[i];
      sk__ltv_pair *e = entry(pairs, period, lo->group, hi->group);
      if (e == NULL) {
        return -1;
      }
      for (size_t x = 0; x < 4; x++) {
        for (size_t y = 0; y < 4; y++) {
          e->s[x][y] += (sk__i128)lo->v[x] * hi->v[y];
        }
      }
    }
  }
  return 0;
}

int sk__ltv_pairs_merge(sk__ltv_pairs *into, const sk__ltv_pairs *from) {
  for (size_t i = 0; i < from->cap; i++) {
    const sk__ltv_pair *f = &from->e[i];
    if (f->g == FREE_SLOT) {
      continue;
    }
    sk__ltv_pair *d = entry(into, f->period, f->g, f->h);
    if (d == NULL) {
      return -1;
    }
    for (size_t x = 0; x < 4; x++) {
      for (size_t y = 0; y < 4; y++) {
        d->s[x][y] += f->s[x][y];
      }
    }
  }
  return 0;
}

static int cmp_pair(const void *a, const void *b) {
  const sk__ltv_pair *x = a;
  const sk__ltv_pair *y = b;
  if (x->period != y->period) {
    return x->period < y->period ? -1 : 1;
  }
  if (x->g != y->g) {
    return x->g < y->g ? -1 : 1;
  }
  return (x->h > y->h) - (x->h < y->h);
}

int sk__ltv_pairs_finish(sk__ltv_pairs *p, size_t n_periods, size_t **off_out) {
  size_t *off = calloc(n_periods + 1, sizeof *off);
  if (off == NULL) {
    return -1;
  }
  size_t n = 0;
  for (size_t i = 0; i < p->cap; i++) {
    if (p->e[i].g != FREE_SLOT) {
      p->e[n++] = p->e[i];
    }
  }
  p->n = n;
  p->cap = n;
  if (n > 0) {
    qsort(p->e, n, sizeof *p->e, cmp_pair);
  }
  for (size_t i = 0; i < n; i++) {
    off[p->e[i].period + 1]++;
  }
  for (size_t q = 0; q < n_periods; q++) {
    off[q + 1] += off[q];
  }
  *off_out = off;
  return 0;
}

void sk__ltv_pairs_free(sk__ltv_pairs *p) {
  free(p->e);
  memset(p, 0, sizeof *p);
}

void sk__ltv_union_moments(const segkit_mrr_result *r, size_t period, const bool *selected,
                           sk__period_acc *acc) {
  if (r->ltv_pair_off == NULL) {
    return;
  }
  for (size_t i = r->ltv_pair_off[period]; i < r->ltv_pair_off[period + 1]; i++) {
    const sk__ltv_pair *e = &r->ltv_pairs.e[i];
    if (!selected[e->g] || !selected[e->h]) {
      continue;
    }
    /* (x_g + x_h)(y_g + y_h) adds x_g y_h + x_h y_g to the groups' own products */
    for (size_t x = 0; x < 4; x++) {
      for (size_t y = x; y < 4; y++) {
        acc->ltv_m[sk__ltv_index(x, y)] += e->s[x][y] + e->s[y][x];
      }
    }
  }
}

/* The weights of z_i: d log LTV / d (A, B, C, D); false when LTV has no finite log. */
static bool weights(const int64_t *t, long double *w) {
  if (t[SK__LTV_A] <= 0 || t[SK__LTV_B] <= 0 || t[SK__LTV_C] <= 0 || t[SK__LTV_D] <= 0) {
    return false;
  }
  w[SK__LTV_A] = 1.0L / (long double)t[SK__LTV_A];
  w[SK__LTV_B] = -1.0L / (long double)t[SK__LTV_B];
  w[SK__LTV_C] = -1.0L / (long double)t[SK__LTV_C];
  w[SK__LTV_D] = 1.0L / (long double)t[SK__LTV_D];
  return true;
}

static void period_totals(const segkit_mrr_period *p, int64_t *t) {
  t[SK__LTV_A] = p->mrr_month_sum_cents;
  t[SK__LTV_B] = p->active_months;
  t[SK__LTV_C] = p->n_churned;
  t[SK__LTV_D] = p->customer_months;
}

void sk__ltv_derive(segkit_mrr_period *p, const sk__period_acc *a, int64_t n_design, double z) {
  p->ltv_cents = NAN;
  p->ltv_log_se = NAN;
  p->ltv_low_cents = NAN;
  p->ltv_high_cents = NAN;
  if (p->active_months > 0 && p->customer_months > 0) {
    p->ltv_cents = p->n_churned > 0 ? p->arpu_cents / p->monthly_churn
                                    : (p->mrr_month_sum_cents > 0 ? INFINITY : 0.0);
  }
  int64_t t[4];
  long double w[4];
  period_totals(p, t);
  if (n_design < 2 || !weights(t, w)) {
    return;
  }
  long double ss = 0.0L;
  for (size_t x = 0; x < 4; x++) {
    for (size_t y = x; y < 4; y++) {
      long double m = (long double)a->ltv_m[sk__ltv_index(x, y)];
      ss += (x == y ? 1.0L : 2.0L) * w[x] * w[y] * m;
    }
  }
  if (ss < 0.0L) {
    ss = 0.0L; /* rounding of an exact zero */
  }
  long double nd = (long double)n_design;
  double se = (double)sqrtl(nd / (nd - 1.0L) * ss);
  p->ltv_log_se = se;
  p->ltv_low_cents = p->ltv_cents * exp(-z * se);
  p->ltv_high_cents = p->ltv_cents * exp(z * se);
}

/* A, B, C, D of a union of groups over period p: its groups' months summed, the sums
 * segkit_mrr_period_select makes its LTV from (without its rates and intervals). */
static void union_totals(const segkit_mrr_result *r, const bool *selected, size_t p, int64_t *t) {
  memset(t, 0, 4 * sizeof *t);
  size_t i0 = (size_t)(r->period_first[p] - r->from_month);
  size_t i1 = (size_t)(r->period_last[p] - r->from_month);
  for (size_t g = 0; g < r->n_groups; g++) {
    const segkit_mrr_month *m = r->months + (g + 1) * r->n_months;
    for (size_t i = i0; selected[g] && i <= i1; i++) {
      t[SK__LTV_A] += m[i].end_cents;
      t[SK__LTV_B] += m[i].customers_end;
      t[SK__LTV_C] += m[i].n_churned;
      t[SK__LTV_D] += m[i].customers_start;
    }
  }
}

/* Sum over customers of X in a group of sa times Y in a group of sb (sa, sb disjoint). */
static void cross_sums(const segkit_mrr_result *r, size_t period, const bool *sa, const bool *sb,
                       sk__i128 q[4][4]) {
  memset(q, 0, 16 * sizeof q[0][0]);
  if (r->ltv_pair_off == NULL) {
    return;
  }
  for (size_t i = r->ltv_pair_off[period]; i < r->ltv_pair_off[period + 1]; i++) {
    const sk__ltv_pair *e = &r->ltv_pairs.e[i];
    bool forward = sa[e->g] && sb[e->h];
    if (!forward && !(sa[e->h] && sb[e->g])) {
      continue;
    }
    for (size_t x = 0; x < 4; x++) {
      for (size_t y = 0; y < 4; y++) {
        q[x][y] += forward ? e->s[x][y] : e->s[y][x];
      }
    }
  }
}

segkit_status segkit_mrr_ltv_covariance(const segkit_mrr_result *r, const bool *a, const bool *b,
                                        size_t period, double *cov, segkit_error *err) {
  if (r == NULL || a == NULL || b == NULL || cov == NULL || period >= r->n_periods) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segkit_mrr_ltv_covariance: needs a result, two selections and a "
                            "period below %zu",
                            r != NULL ? r->n_periods : 0);
  }
  for (size_t g = 0; g < r->n_groups; g++) {
    if (a[g] && b[g]) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "segkit_mrr_ltv_covariance: group %zu is on both sides", g);
    }
  }
  *cov = NAN;
  int64_t ta[4], tb[4];
  long double wa[4], wb[4];
  union_totals(r, a, period, ta);
  union_totals(r, b, period, tb);
  int64_t nd = r->period_acc[period].ltv_customers;
  if (nd < 2 || !weights(ta, wa) || !weights(tb, wb)) {
    return SEGKIT_OK;
  }
  sk__i128 q[4][4];
  cross_sums(r, period, a, b, q);
  long double c = 0.0L;
  for (size_t x = 0; x < 4; x++) {
    for (size_t y = 0; y < 4; y++) {
      c += wa[x] * wb[y] * (long double)q[x][y];
    }
  }
  *cov = (double)((long double)nd / (long double)(nd - 1) * c);
  return SEGKIT_OK;
}
