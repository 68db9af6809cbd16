/* Cohort tables (logo and revenue retention by months since start) and the pooled monthly
 * logo survival of the cohorts, from the per-customer month-end MRR of an MRR result.
 *
 * Key design choice: everything is read from the public per-customer series
 * (segkit_mrr_customer_mrr), one pass over the customers into integer counts and cent sums
 * per (cohort, k) cell; ratios are formed once at the end, so the table is exact and does
 * not depend on the order of the customers. Cells live in one flat array, cohort after
 * cohort, each cohort running to the last month of the result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/metrics.h"

struct segkit_cohorts {
  size_t n_cohorts;
  size_t n_left_out;
  int32_t *month;        /* n_cohorts */
  int64_t *size;         /* n_cohorts */
  size_t *cell_off;      /* n_cohorts + 1 offsets into the cell arrays */
  int64_t *active;       /* cells */
  int64_t *mrr_cents;    /* cells */
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

/* Count the cohorts (slots with at least one starter) and lay out their cells. A cohort
 * starting at slot s has n_months - s + 1 cells (k = 0 .. to_month - month). */
static segkit_status layout(segkit_cohorts *c, const size_t *starters, size_t n_months,
                            int32_t first_month, size_t *cohort_of_slot, segkit_error *err) {
  size_t n = 0;
  for (size_t s = 1; s <= n_months; s++) {
    n += starters[s] > 0;
  }
  c->n_cohorts = n;
  c->month = calloc(n ? n : 1, sizeof *c->month);
  c->size = calloc(n ? n : 1, sizeof *c->size);
  c->cell_off = calloc(n + 1, sizeof *c->cell_off);
  if (c->month == NULL || c->size == NULL || c->cell_off == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu cohorts", n);
  }
  size_t k = 0;
  for (size_t s = 1; s <= n_months; s++) {
    if (starters[s] == 0) {
      continue;
    }
    cohort_of_slot[s] = k;
    c->month[k] = first_month + (int32_t)s - 1;
    c->size[k] = (int64_t)starters[s];
    c->cell_off[k + 1] = c->cell_off[k] + (n_months - s + 1);
    k++;
  }
  size_t cells = c->cell_off[n];
  c->active = calloc(cells ? cells : 1, sizeof *c->active);
  c->mrr_cents = calloc(cells ? cells : 1, sizeof *c->mrr_cents);
  c->logo = calloc(cells ? cells : 1, sizeof *c->logo);
  c->revenue = calloc(cells ? cells : 1, sizeof *c->revenue);
  if (c->active == NULL || c->mrr_cents == NULL || c->logo == NULL || c->revenue == NULL) {
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
  int64_t *mrr = c->mrr_cents + c->cell_off[cohort];
  bool alive = true;
  for (size_t k = 0; s + k <= n_months; k++) {
    int64_t v = m[s + k];
    active[k] += v > 0;
    mrr[k] += v;
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
    double base = (double)c->mrr_cents[off];
    for (size_t k = 0; k < n; k++) {
      c->logo[off + k] = (double)c->active[off + k] / (double)c->size[i];
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

static segkit_status build(segkit_cohorts *c, const segkit_mrr_result *r, segkit_error *err) {
  size_t n_months = segkit_mrr_n_months(r);
  size_t n_cust = segkit_mrr_n_customers(r);
  int32_t first_month = segkit_mrr_months(r, SEGKIT_MRR_ALL)[0].month;
  size_t *starters = calloc(n_months + 2, sizeof *starters);
  size_t *cohort_of_slot = calloc(n_months + 2, sizeof *cohort_of_slot);
  c->at_risk = calloc(n_months + 1, sizeof *c->at_risk);
  c->churned = calloc(n_months + 1, sizeof *c->churned);
  c->survival = calloc(n_months + 1, sizeof *c->survival);
  if (starters == NULL || cohort_of_slot == NULL || c->at_risk == NULL ||
      c->churned == NULL || c->survival == NULL) {
    free(starters);
    free(cohort_of_slot);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the cohorts");
  }
  for (size_t i = 0; i < n_cust; i++) {
    starters[start_slot(segkit_mrr_customer_mrr(r, i), n_months)]++;
  }
  c->n_left_out = starters[0];
  segkit_status s = layout(c, starters, n_months, first_month, cohort_of_slot, err);
  if (s == SEGKIT_OK) {
    for (size_t i = 0; i < n_cust; i++) {
      const int64_t *m = segkit_mrr_customer_mrr(r, i);
      size_t slot = start_slot(m, n_months);
      if (slot >= 1 && slot <= n_months) {
        add_customer(c, m, slot, n_months, cohort_of_slot[slot]);
      }
    }
    finish(c, n_months);
  }
  free(starters);
  free(cohort_of_slot);
  return s;
}

segkit_status segkit_cohorts_compute(const segkit_mrr_result *r, segkit_cohorts **out,
                                     segkit_error *err) {
  if (r == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_cohorts_compute: NULL argument");
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
  segkit_status s = build(c, r, err);
  if (s != SEGKIT_OK) {
    segkit_cohorts_free(c);
    return s;
  }
  *out = c;
  return SEGKIT_OK;
}

/* ==== getters ============================================================================ */

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
