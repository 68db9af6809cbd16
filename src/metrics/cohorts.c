/* Cohort tables (logo and revenue retention by months since start) and the pooled monthly
 * logo survival of the cohorts, from the per-customer month-end MRR of an MRR result.
 *
 * Key design choice: everything is read from the public per-customer series
 * (segkit_mrr_customer_mrr), one pass over the customers into integer counts and cent sums
 * per (cohort, k) cell; ratios are formed once at the end, so the table is exact and does
 * not depend on the order of the customers. Cells live in one flat array, cohort after
 * cohort, each cohort running to the last month of the result. A cohort is a start month,
 * or a segment (the customer's segment when it starts); in a segment cohort customers start
 * in different months, so each cell also counts the customers observed that many months
 * after their start, and its ratios are over those alone. For month cohorts every customer
 * is observed in every cell and the two definitions coincide. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/metrics.h"

struct segkit_cohorts {
  size_t n_cohorts;
  size_t n_left_out;
  bool by_segment;
  int32_t *month;        /* n_cohorts (month cohorts) */
  size_t *group;         /* n_cohorts (segment cohorts) */
  int64_t *size;         /* n_cohorts */
  size_t *cell_off;      /* n_cohorts + 1 offsets into the cell arrays */
  int64_t *active;       /* cells */
  int64_t *observed;     /* cells: customers observed k months after their start */
  int64_t *mrr_cents;    /* cells */
  int64_t *base_cents;   /* cells: the observed customers' MRR at their start */
  double *logo;          /* cells */
  double *revenue;       /* cells */
  size_t n_surv;         /* survival points, k = 0 .. n_surv - 1 */
  int64_t *at_risk;      /* n_months + 1 (only n_surv used) */
  int64_t *churned;
  double *survival;
};

/* ==== lifecycle ========================================================================== */

void segkit_cohorts_free(segkit_cohorts *c) {
  if (c == NULL) {
    return;
  }
  free(c->month);
  free(c->group);
  free(c->observed);
  free(c->base_cents);
  free(c->size);
  free(c->cell_off);
  free(c->active);
  free(c->mrr_cents);
  free(c->logo);
  free(c->revenue);
  free(c->at_risk);
  free(c->churned);
  free(c->survival);
  free(c);
}

/* ==== the pass over customers ============================================================ */

/* Slot of the first month end (1 .. n_months) with MRR > 0; 0 when active at slot 0 (start
 * before the range); n_months + 1 when never active. */
static size_t start_slot(const int64_t *m, size_t n_months) {
  if (m[0] > 0) {
    return 0;
  }
  for (size_t i = 1; i <= n_months; i++) {
    if (m[i] > 0) {
      return i;
    }
  }
  return n_months + 1;
}

/* Lay out the cohorts: keys 0 .. n_keys - 1 (start slots, or segments) with at least one
 * starter; a cohort whose earliest start is slot s has n_months - s + 1 cells (k = 0 ..
 * to_month - its first start month). */
static segkit_status layout(segkit_cohorts *c, const size_t *starters, const size_t *first_slot,
                            size_t n_keys, size_t n_months, int32_t first_month,
                            size_t *cohort_of_key, segkit_error *err) {
  size_t n = 0;
  for (size_t key = 0; key < n_keys; key++) {
    n += starters[key] > 0;
  }
  c->n_cohorts = n;
  c->month = calloc(n ? n : 1, sizeof *c->month);
  c->group = calloc(n ? n : 1, sizeof *c->group);
  c->size = calloc(n ? n : 1, sizeof *c->size);
  c->cell_off = calloc(n + 1, sizeof *c->cell_off);
  if (c->month == NULL || c->group == NULL || c->size == NULL || c->cell_off == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu cohorts", n);
  }
  size_t k = 0;
  for (size_t key = 0; key < n_keys; key++) {
    if (starters[key] == 0) {
      continue;
    }
    cohort_of_key[key] = k;
    c->month[k] = c->by_segment ? 0 : first_month + (int32_t)key - 1;
    c->group[k] = c->by_segment ? key : SIZE_MAX;
    c->size[k] = (int64_t)starters[key];
    c->cell_off[k + 1] = c->cell_off[k] + (n_months - first_slot[key] + 1);
    k++;
  }
  size_t cells = c->cell_off[n] ? c->cell_off[n] : 1;
  c->active = calloc(cells, sizeof *c->active);
  c->observed = calloc(cells, sizeof *c->observed);
  c->mrr_cents = calloc(cells, sizeof *c->mrr_cents);
  c->base_cents = calloc(cells, sizeof *c->base_cents);
  c->logo = calloc(cells, sizeof *c->logo);
  c->revenue = calloc(cells, sizeof *c->revenue);
  if (c->active == NULL || c->observed == NULL || c->mrr_cents == NULL ||
      c->base_cents == NULL || c->logo == NULL || c->revenue == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu cohort cells", cells);
  }
  return SEGKIT_OK;
}

/* Add one customer starting at slot s to its cohort's cells and to the survival counts:
 * it is at risk at k while active at the ends of s .. s + k - 1; its first month end with
 * MRR 0 is the event (a later return does not put it back at risk). */
static void add_customer(segkit_cohorts *c, const int64_t *m, size_t s, size_t n_months,
                         size_t cohort) {
  int64_t *active = c->active + c->cell_off[cohort];
  int64_t *observed = c->observed + c->cell_off[cohort];
  int64_t *mrr = c->mrr_cents + c->cell_off[cohort];
  int64_t *base = c->base_cents + c->cell_off[cohort];
  bool alive = true;
  for (size_t k = 0; s + k <= n_months; k++) {
    int64_t v = m[s + k];
    active[k] += v > 0;
    observed[k]++;
    mrr[k] += v;
    base[k] += m[s];
    if (k == 0 || !alive) {
      continue;
    }
    c->at_risk[k]++;
    if (v == 0) {
      c->churned[k]++;
      alive = false;
    }
  }
}

static void finish(segkit_cohorts *c, size_t n_months) {
  for (size_t i = 0; i < c->n_cohorts; i++) {
    size_t off = c->cell_off[i];
    size_t n = c->cell_off[i + 1] - off;
    for (size_t k = 0; k < n; k++) {
      double obs = (double)c->observed[off + k];
      double base = (double)c->base_cents[off + k];
      c->logo[off + k] = obs > 0.0 ? (double)c->active[off + k] / obs : NAN;
      c->revenue[off + k] = base > 0.0 ? (double)c->mrr_cents[off + k] / base : NAN;
    }
  }
  /* Product-limit estimate (Kaplan & Meier 1958, eq. 2) on the monthly grid. */
  c->survival[0] = 1.0;
  c->n_surv = 1;
  for (size_t k = 1; k < n_months + 1; k++) {
    if (c->at_risk[k] == 0) {
      break;
    }
    c->survival[k] =
        c->survival[k - 1] * (1.0 - (double)c->churned[k] / (double)c->at_risk[k]);
    c->n_surv = k + 1;
  }
}

/* The cohort key of a customer starting at slot s (1 .. n_months). */
static size_t key_of(const segkit_cohorts *c, const segkit_mrr_result *r, size_t customer,
                     size_t s) {
  return c->by_segment ? (size_t)segkit_mrr_customer_start_group(r, customer) : s;
}

static segkit_status build(segkit_cohorts *c, const segkit_mrr_result *r, segkit_error *err) {
  size_t n_months = segkit_mrr_n_months(r);
  size_t n_cust = segkit_mrr_n_customers(r);
  int32_t first_month = segkit_mrr_months(r, SEGKIT_MRR_ALL)[0].month;
  size_t n_keys = c->by_segment ? segkit_mrr_n_groups(r) : n_months + 1;
  size_t *starters = calloc(n_keys + 1, sizeof *starters);
  size_t *first_slot = calloc(n_keys + 1, sizeof *first_slot);
  size_t *cohort_of_key = calloc(n_keys + 1, sizeof *cohort_of_key);
  c->at_risk = calloc(n_months + 1, sizeof *c->at_risk);
  c->churned = calloc(n_months + 1, sizeof *c->churned);
  c->survival = calloc(n_months + 1, sizeof *c->survival);
  if (starters == NULL || first_slot == NULL || cohort_of_key == NULL || c->at_risk == NULL ||
      c->churned == NULL || c->survival == NULL) {
    free(starters);
    free(first_slot);
    free(cohort_of_key);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the cohorts");
  }
  for (size_t key = 0; key < n_keys; key++) {
    first_slot[key] = n_months;
  }
  for (size_t i = 0; i < n_cust; i++) {
    size_t slot = start_slot(segkit_mrr_customer_mrr(r, i), n_months);
    if (slot == 0) {
      c->n_left_out++;
    } else if (slot <= n_months) {
      size_t key = key_of(c, r, i, slot);
      if (key >= n_keys) {
        continue; /* cannot happen: a starter always has a segment */
      }
      starters[key]++;
      first_slot[key] = slot < first_slot[key] ? slot : first_slot[key];
    }
  }
  segkit_status s = layout(c, starters, first_slot, n_keys, n_months, first_month,
                           cohort_of_key, err);
  if (s == SEGKIT_OK) {
    for (size_t i = 0; i < n_cust; i++) {
      const int64_t *m = segkit_mrr_customer_mrr(r, i);
      size_t slot = start_slot(m, n_months);
      if (slot >= 1 && slot <= n_months && key_of(c, r, i, slot) < n_keys) {
        add_customer(c, m, slot, n_months, cohort_of_key[key_of(c, r, i, slot)]);
      }
    }
    finish(c, n_months);
  }
  free(starters);
  free(first_slot);
  free(cohort_of_key);
  return s;
}

static segkit_status compute(const segkit_mrr_result *r, bool by_segment,
                             segkit_cohorts **out, segkit_error *err) {
  if (r == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_cohorts_compute: NULL argument");
  }
  if (by_segment && segkit_mrr_n_groups(r) == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segment cohorts need an MRR result split by segment (by columns "
                            "or tenure stages)");
  }
  if (segkit_mrr_n_customers(r) > 0 && segkit_mrr_customer_mrr(r, 0) == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "cohorts need the per-customer MRR: compute the MRR result with "
                            "keep_customer_mrr = true");
  }
  segkit_cohorts *c = calloc(1, sizeof *c);
  if (c == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the cohorts");
  }
  c->by_segment = by_segment;
  segkit_status s = build(c, r, err);
  if (s != SEGKIT_OK) {
    segkit_cohorts_free(c);
    return s;
  }
  *out = c;
  return SEGKIT_OK;
}

segkit_status segkit_cohorts_compute(const segkit_mrr_result *r, segkit_cohorts **out,
                                     segkit_error *err) {
  return compute(r, false, out, err);
}

segkit_status segkit_cohorts_compute_by_segment(const segkit_mrr_result *r,
                                                segkit_cohorts **out, segkit_error *err) {
  return compute(r, true, out, err);
}

/* ==== getters ============================================================================ */

size_t segkit_cohorts_group(const segkit_cohorts *c, size_t cohort) {
  return cohort < c->n_cohorts ? c->group[cohort] : SIZE_MAX;
}

const int64_t *segkit_cohorts_observed(const segkit_cohorts *c, size_t cohort) {
  return cohort < c->n_cohorts ? c->observed + c->cell_off[cohort] : NULL;
}

size_t segkit_cohorts_n(const segkit_cohorts *c) {
  return c->n_cohorts;
}

size_t segkit_cohorts_n_left_out(const segkit_cohorts *c) {
  return c->n_left_out;
}

int32_t segkit_cohorts_month(const segkit_cohorts *c, size_t cohort) {
  return cohort < c->n_cohorts ? c->month[cohort] : 0;
}

int64_t segkit_cohorts_size(const segkit_cohorts *c, size_t cohort) {
  return cohort < c->n_cohorts ? c->size[cohort] : 0;
}

size_t segkit_cohorts_n_cells(const segkit_cohorts *c, size_t cohort) {
  return cohort < c->n_cohorts ? c->cell_off[cohort + 1] - c->cell_off[cohort] : 0;
}

const int64_t *segkit_cohorts_active(const segkit_cohorts *c, size_t cohort) {
  return cohort < c->n_cohorts ? c->active + c->cell_off[cohort] : NULL;
}

const int64_t *segkit_cohorts_mrr_cents(const segkit_cohorts *c, size_t cohort) {
  return cohort < c->n_cohorts ? c->mrr_cents + c->cell_off[cohort] : NULL;
}

const double *segkit_cohorts_logo_retention(const segkit_cohorts *c, size_t cohort) {
  return cohort < c->n_cohorts ? c->logo + c->cell_off[cohort] : NULL;
}

const double *segkit_cohorts_revenue_retention(const segkit_cohorts *c, size_t cohort) {
  return cohort < c->n_cohorts ? c->revenue + c->cell_off[cohort] : NULL;
}

void segkit_cohorts_survival(const segkit_cohorts *c, size_t *n, const int64_t **at_risk,
                             const int64_t **churned, const double **survival) {
  if (n != NULL) {
    *n = c->n_surv;
  }
  if (at_risk != NULL) {
    *at_risk = c->at_risk;
  }
  if (churned != NULL) {
    *churned = c->churned;
  }
  if (survival != NULL) {
    *survival = c->survival;
  }
}
