/* Lifecycle stage per customer at a month end (segkit_lifecycle_compute): onboarding,
 * growth, mature, churned, reactivated, from an MRR result's month-end matrix.
 *
 * Key design choice: no second definition of tenure. The stages are the MRR engine's
 * tenure stages (docs/metrics.md, "Tenure stage"; SEGKIT_MRR_ONBOARDING_DAYS and
 * SEGKIT_MRR_GROWTH_DAYS) and the reactivation is its movement (no MRR at the previous
 * month end, MRR at an earlier one). The one input the engine does not expose, a
 * customer's first paid day, is recomputed here from the subscription rows by the engine's
 * own rule (src/metrics/mrr_input.c and mrr_movements.c: the earliest paid start,
 * max(start, trial_end), of the rows with MRR that are running on some month end), and
 * the unit test checks the stages against the engine's by_tenure_stage split. If metrics
 * grows a getter for it (segkit_mrr_customer_first_paid_day), this file should use it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "family/family_int.h"

#define N_COLS 5

static const char *const k_stage_names[SEGKIT_LIFECYCLE_COUNT] = {
    "onboarding", "growth", "mature", "churned", "reactivated"};

const char *segkit_lifecycle_stage_name(segkit_lifecycle_stage s) {
  return (unsigned)s < SEGKIT_LIFECYCLE_COUNT ? k_stage_names[s] : NULL;
}

void segkit_lifecycle_options_init(segkit_lifecycle_options *opt) {
  memset(opt, 0, sizeof *opt);
}

/* ==== first paid day per customer ======================================================== */

typedef struct sub_cols {
  sk__fam_col cust, price, qty, start, trial, end, discount;
} sub_cols;

static segkit_status map_subs(const segkit_table *t, const segkit_mrr_columns *c, sub_cols *s,
                              segkit_error *err) {
  segkit_status st =
      sk__fam_find(t, c->customer, "customer", SK__FAM_KEY_TYPES, true, &s->cust, err);
  if (st == SEGKIT_OK) {
    st = sk__fam_find(t, c->unit_price, "unit price", SK__FAM_NUM_TYPES, true, &s->price, err);
  }
  if (st == SEGKIT_OK) {
    st = sk__fam_find(t, c->quantity, "quantity", SK__FAM_NUM_TYPES, false, &s->qty, err);
  }
  if (st == SEGKIT_OK) {
    st = sk__fam_find(t, c->start, "start", SK__FAM_DAY_TYPES, true, &s->start, err);
  }
  if (st == SEGKIT_OK) {
    st = sk__fam_find(t, c->trial_end, "trial end", SK__FAM_DAY_TYPES, false, &s->trial, err);
  }
  if (st == SEGKIT_OK) {
    st = sk__fam_find(t, c->end, "end", SK__FAM_DAY_TYPES, false, &s->end, err);
  }
  if (st == SEGKIT_OK) {
    st = sk__fam_find(t, c->discount_percent, "discount", SK__FAM_NUM_TYPES, false,
                      &s->discount, err);
  }
  return st;
}

/* Does the row carry MRR? price x quantity x (100 - discount) > 0; the engine's rounding
 * to cents could still make a price below half a cent 0, which is ignored here. */
static bool row_has_mrr(const sub_cols *s, size_t row) {
  if (sk__fam_is_null(&s->price, row) || !(sk__fam_number(&s->price, row) > 0.0)) {
    return false;
  }
  if (s->qty.col != NULL && !sk__fam_is_null(&s->qty, row) &&
      !(sk__fam_number(&s->qty, row) > 0.0)) {
    return false;
  }
  if (s->discount.col != NULL && !sk__fam_is_null(&s->discount, row) &&
      !(sk__fam_number(&s->discount, row) < 100.0)) {
    return false;
  }
  return true;
}

/* First paid day of every customer of r (INT32_MAX: never paid at a month end). */
static void first_paid_days(const segkit_mrr_result *r, const sub_cols *s, size_t n_rows,
                            int32_t *first) {
  size_t n = segkit_mrr_n_customers(r);
  for (size_t i = 0; i < n; i++) {
    first[i] = INT32_MAX;
  }
  for (size_t row = 0; row < n_rows; row++) {
    if (sk__fam_is_null(&s->cust, row) || sk__fam_is_null(&s->start, row) ||
        !row_has_mrr(s, row)) {
      continue;
    }
    int32_t start = sk__fam_day(&s->start, row);
    int32_t paid = start;
    if (s->trial.col != NULL && !sk__fam_is_null(&s->trial, row)) {
      int32_t te = sk__fam_day(&s->trial, row);
      paid = te > start ? te : start;
    }
    /* Running on a month end: paid <= last_day(month of paid) < end. */
    if (s->end.col != NULL && !sk__fam_is_null(&s->end, row)) {
      int32_t end = sk__fam_day(&s->end, row);
      if (end < start || end <= segkit_month_last_day(segkit_month_of_day(paid))) {
        continue;
      }
    }
    long c = segkit_mrr_customer_find(r, sk__fam_key(&s->cust, row));
    if (c >= 0 && paid < first[c]) {
      first[c] = paid;
    }
  }
}

/* ==== stages ============================================================================ */

typedef struct out_cols {
  int64_t *keys;
  uint32_t *stage;
  int64_t *tenure;
  int64_t *mrr;
  int32_t *first;
  size_t n;
} out_cols;

static void out_free(out_cols *o) {
  free(o->keys);
  free(o->stage);
  free(o->tenure);
  free(o->mrr);
  free(o->first);
}

static segkit_status out_alloc(out_cols *o, size_t n, segkit_error *err) {
  size_t k = n ? n : 1;
  o->keys = malloc(k * sizeof *o->keys);
  o->stage = malloc(k * sizeof *o->stage);
  o->tenure = malloc(k * sizeof *o->tenure);
  o->mrr = malloc(k * sizeof *o->mrr);
  o->first = malloc(k * sizeof *o->first);
  if (!o->keys || !o->stage || !o->tenure || !o->mrr || !o->first) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  return SEGKIT_OK;
}

/* Stage of one customer at slot s (month end of from_month + s - 1); -1 = not yet a
 * customer. */
static int stage_of(const int64_t *mrr, size_t s, int32_t from_month, int32_t first_paid,
                    int reactivated_months, int32_t last_day) {
  int32_t month = from_month + (int32_t)s - 1;
  if (first_paid == INT32_MAX || segkit_month_of_day(first_paid) > month) {
    return -1;
  }
  if (mrr[s] <= 0) {
    return segkit_month_of_day(first_paid) < month ? SEGKIT_LIFECYCLE_CHURNED : -1;
  }
  size_t j = s;
  while (j > 0 && mrr[j - 1] > 0) {
    j--;
  }
  /* The run of active month ends began at slot j; a reactivation if the customer had been
   * paid at a month end before (its first paid month is earlier). A run reaching back to
   * slot 0 began before the range: not known to be a reactivation. */
  int32_t run_month = from_month + (int32_t)j - 1;
  if (j > 0 && segkit_month_of_day(first_paid) < run_month &&
      s - j < (size_t)reactivated_months) {
    return SEGKIT_LIFECYCLE_REACTIVATED;
  }
  int64_t tenure = (int64_t)last_day - first_paid;
  if (tenure < SEGKIT_MRR_ONBOARDING_DAYS) {
    return SEGKIT_LIFECYCLE_ONBOARDING;
  }
  return tenure < SEGKIT_MRR_GROWTH_DAYS ? SEGKIT_LIFECYCLE_GROWTH : SEGKIT_LIFECYCLE_MATURE;
}

static segkit_status classify(const segkit_mrr_result *r, const int32_t *first, size_t s,
                              int32_t from_month, int reactivated_months, out_cols *o,
                              size_t counts[SEGKIT_LIFECYCLE_COUNT], segkit_error *err) {
  size_t n = segkit_mrr_n_customers(r);
  segkit_status st = out_alloc(o, n, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  int32_t last_day = segkit_month_last_day(from_month + (int32_t)s - 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const int64_t *mrr = segkit_mrr_customer_mrr(r, i);
    int stage = stage_of(mrr, s, from_month, first[i], reactivated_months, last_day);
    if (stage < 0) {
      continue;
    }
    o->keys[k] = segkit_mrr_customer_key(r, i);
    o->stage[k] = (uint32_t)stage;
    o->tenure[k] = (int64_t)last_day - first[i];
    o->mrr[k] = mrr[s];
    o->first[k] = first[i];
    if (counts != NULL) {
      counts[stage]++;
    }
    k++;
  }
  o->n = k;
  return SEGKIT_OK;
}

static segkit_status make_table(const segkit_column *cust, out_cols *o, segkit_table **out,
                                segkit_error *err) {
  segkit_column_arrays cols[N_COLS];
  memset(cols, 0, sizeof cols);
  uint64_t *off = NULL;
  char *bytes = NULL;
  segkit_status s = sk__fam_customer_column(cust, o->keys, o->n, &cols[0], err);
  if (s == SEGKIT_OK) {
    s = sk__fam_label_column("stage", k_stage_names, SEGKIT_LIFECYCLE_COUNT, o->stage, &cols[1],
                             &off, &bytes, err);
  }
  if (s != SEGKIT_OK) {
    free((void *)cols[0].data);
    return s;
  }
  o->stage = NULL;
  cols[2] = (segkit_column_arrays){
      .name = "tenure_days", .type = SEGKIT_TYPE_INT64, .data = o->tenure};
  cols[3] = (segkit_column_arrays){.name = "mrr_cents", .type = SEGKIT_TYPE_INT64, .data = o->mrr};
  cols[4] = (segkit_column_arrays){
      .name = "first_paid", .type = SEGKIT_TYPE_DATE, .data = o->first};
  o->tenure = NULL;
  o->mrr = NULL;
  o->first = NULL;
  s = sk__fam_table_take(o->n, N_COLS, cols, out, err);
  free(off);
  free(bytes);
  return s;
}

segkit_status segkit_lifecycle_compute(const segkit_mrr_result *r,
                                       const segkit_table *subscriptions,
                                       const segkit_mrr_columns *columns,
                                       const segkit_lifecycle_options *opt, segkit_table **out,
                                       size_t counts[SEGKIT_LIFECYCLE_COUNT],
                                       segkit_error *err) {
  if (r == NULL || subscriptions == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_lifecycle_compute: NULL argument");
  }
  segkit_lifecycle_options def;
  segkit_lifecycle_options_init(&def);
  if (opt == NULL) {
    opt = &def;
  }
  size_t n_months = segkit_mrr_n_months(r);
  if (n_months == 0 || (segkit_mrr_n_customers(r) > 0 && segkit_mrr_customer_mrr(r, 0) == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the MRR result has no per-customer MRR (expected it computed "
                            "with keep_customer_mrr)");
  }
  int32_t from_month = segkit_mrr_months(r, SEGKIT_MRR_ALL)[0].month;
  int32_t to_month = from_month + (int32_t)n_months - 1;
  int32_t month = opt->month == 0 ? to_month : opt->month;
  if (month < from_month || month > to_month || opt->reactivated_months < 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "lifecycle month %d or reactivated_months %d is out of range "
                            "(expected a month of the MRR result's range and months >= 0)",
                            (int)month, opt->reactivated_months);
  }
  segkit_mrr_columns dc = segkit_mrr_columns_default();
  sub_cols sc;
  segkit_status s = map_subs(subscriptions, columns ? columns : &dc, &sc, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  size_t n = segkit_mrr_n_customers(r);
  int32_t *first = malloc((n ? n : 1) * sizeof *first);
  if (first == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  first_paid_days(r, &sc, segkit_table_n_rows(subscriptions), first);
  if (counts != NULL) {
    memset(counts, 0, SEGKIT_LIFECYCLE_COUNT * sizeof *counts);
  }
  out_cols o;
  memset(&o, 0, sizeof o);
  int react = opt->reactivated_months == 0 ? 1 : opt->reactivated_months;
  s = classify(r, first, (size_t)(month - from_month + 1), from_month, react, &o, counts, err);
  free(first);
  if (s == SEGKIT_OK) {
    s = make_table(sc.cust.col, &o, out, err);
  }
  out_free(&o);
  return s;
}
