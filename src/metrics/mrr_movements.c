/* MRR movements: month-end MRR per customer and the monthly new / reactivation /
 * expansion / contraction / churned amounts, in total and per group.
 *
 * Key design choice: rows are grouped by customer with one stable radix sort of their
 * keys (skipped when the input is already in customer order, as exports usually are; the
 * sort, the customer boundaries and the threads are customer_order.c's and parallel.c's,
 * shared with the revenue engine),
 * then each customer is one pass over its rows into a small month array; customers are
 * independent, so contiguous ranges of them run on worker threads, each summing into its
 * own integer accumulators, merged at the end. Integer sums do not depend on the order of
 * addition, so the result is identical for any number of threads. The identity
 * start + new + reactivation + expansion - contraction - churned = end is checked for
 * every month and group before the result is returned (SEGKIT_ERR_INTERNAL otherwise). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_int.h"

#define MAX_MONTHS 1200


/* ==== options ========================================================================== */

segkit_mrr_columns segkit_mrr_columns_default(void) {
  segkit_mrr_columns c;
  memset(&c, 0, sizeof c);
  c.customer = "customer_id";
  c.unit_price = "unit_price";
  c.quantity = "seats";
  c.interval = "billing_interval";
  c.interval_count = "interval_count";
  c.currency = "currency";
  c.start = "started_at";
  c.trial_end = "trial_end";
  c.end = "ended_at";
  c.discount_percent = "discount_percent";
  return c;
}

void segkit_mrr_options_init(segkit_mrr_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->columns = segkit_mrr_columns_default();
}

/* ==== grouping rows by customer ======================================================== */

/* Rows in customer order, as flat arrays the per-customer pass reads sequentially. */
typedef struct sorted_rows {
  int64_t *mrr_cents;
  int32_t *first_month;
  int32_t *last_month;
  int32_t *paid_start;
  uint32_t *group;
  size_t *cust_off;            /* n_customers + 1 row offsets */
  size_t n_customers;
} sorted_rows;

static void sorted_rows_free(sorted_rows *s) {
  free(s->mrr_cents);
  free(s->first_month);
  free(s->last_month);
  free(s->paid_start);
  free(s->group);
  free(s->cust_off);
}

/* Copy the rows' columns in customer order (perm: the input row of each sorted position,
 * NULL when the rows are in order already); key is the sorted keys. */
static segkit_status gather(const sk__mrr_rows *rows, const uint64_t *key, const uint32_t *perm,
                            sorted_rows *s, int64_t **cust_key_out, segkit_error *err) {
  size_t n = rows->n;
  size_t k = n ? n : 1;
  s->mrr_cents = malloc(k * sizeof *s->mrr_cents);
  s->first_month = malloc(k * sizeof *s->first_month);
  s->last_month = malloc(k * sizeof *s->last_month);
  s->paid_start = malloc(k * sizeof *s->paid_start);
  s->group = malloc(k * sizeof *s->group);
  if (s->mrr_cents == NULL || s->first_month == NULL || s->last_month == NULL ||
      s->paid_start == NULL || s->group == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) {
    size_t r = perm ? perm[i] : i;
    s->mrr_cents[i] = rows->mrr_cents[r];
    s->first_month[i] = rows->first_month[r];
    s->last_month[i] = rows->last_month[r];
    s->paid_start[i] = rows->paid_start[r];
    s->group[i] = rows->group[r];
  }
  return sk__customer_offsets(key, n, &s->cust_off, cust_key_out, &s->n_customers, err);
}

/* ==== the per-customer pass ============================================================ */

typedef struct job {
  const sorted_rows *rows;
  size_t c0, c1;               /* customers [c0, c1) */
  int32_t first;               /* month of slot 0 = from_month - 1 */
  size_t n_slots;              /* n_months + 1 */
  size_t n_groups;
  bool tenure_stages;
  size_t n_periods;
  const int32_t *period_first;
  const int32_t *period_last;
  segkit_mrr_month *acc;       /* (n_groups + 1) x n_months, zeroed */
  sk__period_acc *period_acc;  /* (n_groups + 1) x n_periods, zeroed */
  int64_t *surv_at_risk;       /* (n_groups + 1) x n_slots, zeroed */
  int64_t *surv_churned;
  int64_t *customer_mrr;       /* shared matrix or NULL: this job writes its own rows */
  uint32_t *start_group;       /* shared per-customer start segment, or NULL */
  sk__ltv_part *ltv_parts;     /* scratch: one customer's parts of a period (n_slots) */
  sk__ltv_pairs *ltv_pairs;    /* this job's counting table */
  int failed;                  /* allocation failure in the worker */
} job;

typedef struct slot {
  int64_t mrr;                 /* month-end MRR of the customer */
  int64_t best;                /* MRR of the row deciding the group */
  int32_t best_start;
  uint32_t group;
} slot;

/* Add one row to the month slots it is paid at the end of. A customer's group at a month
 * end is the group of its row with the most MRR there; ties go to the later paid start,
 * then to the earlier row, so the choice does not depend on the input order beyond that. */
static void add_row(const job *j, size_t r, slot *sl) {
  int32_t lo = j->rows->first_month[r];
  int32_t hi = j->rows->last_month[r];
  int32_t top = j->first + (int32_t)j->n_slots - 1;
  if (lo < j->first) {
    lo = j->first;
  }
  if (hi > top) {
    hi = top;
  }
  int64_t v = j->rows->mrr_cents[r];
  int32_t ps = j->rows->paid_start[r];
  for (int32_t m = lo; m <= hi; m++) {
    slot *s = &sl[m - j->first];
    s->mrr += v;
    if (v > s->best || (v == s->best && ps > s->best_start)) {
      s->best = v;
      s->best_start = ps;
      s->group = j->rows->group[r];
    }
  }
}

static void classify(segkit_mrr_month *a, int64_t m0, int64_t m1, bool had_mrr_before) {
  a->start_cents += m0;
  a->end_cents += m1;
  a->customers_start += m0 > 0;
  a->customers_end += m1 > 0;
  if (m0 == 0 && m1 > 0) {
    if (had_mrr_before) {
      a->reactivation_cents += m1;
      a->n_reactivation++;
    } else {
      a->new_cents += m1;
      a->n_new++;
    }
  } else if (m0 > 0 && m1 == 0) {
    a->churned_cents += m0;
    a->n_churned++;
  } else if (m1 > m0 && m0 > 0) {
    a->expansion_cents += m1 - m0;
    a->n_expansion++;
  } else if (m1 < m0 && m1 > 0) {
    a->contraction_cents += m0 - m1;
    a->n_contraction++;
  }
}

/* With tenure stages, a month end's group is (by-column group) x 3 + stage. */
static void apply_stages(const job *j, slot *sl, int32_t first_paid_day) {
  for (size_t i = 0; i < j->n_slots; i++) {
    if (sl[i].mrr > 0) {
      int32_t days = segkit_month_last_day(j->first + (int32_t)i) - first_paid_day;
      sl[i].group = sl[i].group * 3 + sk__tenure_stage(days);
    }
  }
}

static void add_period(sk__period_acc *a, int64_t m_start, int64_t m_end) {
  int64_t capped = m_end < m_start ? m_end : m_start;
  a->customers_start++;
  a->start_cents += m_start;
  a->sum_xx += (sk__i128)m_start * m_start;
  a->sum_yy += (sk__i128)m_end * m_end;
  a->sum_xy += (sk__i128)m_start * m_end;
  a->sum_cc += (sk__i128)capped * capped;
  a->sum_xc += (sk__i128)m_start * capped;
  if (m_end > 0) {
    a->retained++;
    a->retained_cents += m_end;
    a->retained_capped_cents += m_end < m_start ? m_end : m_start;
  }
}

/* A customer's month in group g: its part of the period's LTV moments (at most one part
 * per group: a customer visits few groups, so a linear search). */
static size_t ltv_part_add(sk__ltv_part *parts, size_t n, uint32_t g, int64_t m0, int64_t m1) {
  size_t k = 0;
  while (k < n && parts[k].group != g) {
    k++;
  }
  if (k == n) {
    parts[n++] = (sk__ltv_part){.group = g, .v = {0, 0, 0, 0}};
  }
  parts[k].v[SK__LTV_A] += m1;
  parts[k].v[SK__LTV_B] += m1 > 0;
  parts[k].v[SK__LTV_C] += m0 > 0 && m1 == 0;
  parts[k].v[SK__LTV_D] += m0 > 0;
  return n;
}

static int ltv_flush(const job *j, size_t p, size_t n_parts) {
  size_t np = j->n_periods;
  return sk__ltv_count(&j->period_acc[p], j->n_groups > 0 ? &j->period_acc[np + p] : NULL, np,
                       (uint32_t)p, j->ltv_parts, n_parts, j->ltv_pairs);
}

/* Follow the customers active when each period starts to its end. */
static void count_periods(const job *j, const slot *sl) {
  size_t np = j->n_periods;
  for (size_t p = 0; p < np; p++) {
    size_t a = (size_t)(j->period_first[p] - 1 - j->first);
    size_t b = (size_t)(j->period_last[p] - j->first);
    int64_t m0 = sl[a].mrr;
    if (m0 == 0) {
      continue;
    }
    add_period(&j->period_acc[p], m0, sl[b].mrr);
    if (j->n_groups > 0) {
      add_period(&j->period_acc[(1 + (size_t)sl[a].group) * np + p], m0, sl[b].mrr);
    }
  }
}

/* Monthly survival from a customer's first active month end in the range, until the first
 * month end without MRR (segkit_cohorts_survival's definition, per group). */
static void count_survival(const job *j, const slot *sl) {
  if (sl[0].mrr > 0) {
    return; /* started before the range: its start is unknown */
  }
  size_t s0 = 1;
  while (s0 < j->n_slots && sl[s0].mrr == 0) {
    s0++;
  }
  if (s0 >= j->n_slots) {
    return;
  }
  size_t ns = j->n_slots;
  size_t gb = j->n_groups > 0 ? (1 + (size_t)sl[s0].group) * ns : 0;
  j->surv_at_risk[0]++; /* k = 0 counts the customers starting in the range */
  if (gb > 0) {
    j->surv_at_risk[gb]++;
  }
  for (size_t k = 1; s0 + k < ns; k++) {
    bool churned = sl[s0 + k].mrr == 0;
    j->surv_at_risk[k]++;
    j->surv_churned[k] += churned;
    if (gb > 0) {
      j->surv_at_risk[gb + k]++;
      j->surv_churned[gb + k] += churned;
    }
    if (churned) {
      break;
    }
  }
}

/* The segment at the first active month end of a customer inactive at slot 0, or
 * SEGKIT_MRR_NO_GROUP. */
static uint32_t start_group(const slot *sl, size_t n_slots) {
  if (sl[0].mrr > 0) {
    return SEGKIT_MRR_NO_GROUP;
  }
  for (size_t i = 1; i < n_slots; i++) {
    if (sl[i].mrr > 0) {
      return sl[i].group;
    }
  }
  return SEGKIT_MRR_NO_GROUP;
}

static int run_customer(const job *j, size_t c, slot *sl) {
  const sorted_rows *s = j->rows;
  memset(sl, 0, j->n_slots * sizeof *sl);
  /* First month whose end the customer was paid at, over its whole history (also before
   * the window): tells a new customer from a reactivation. Its first paid day starts its
   * tenure. */
  int32_t first_paid = INT32_MAX;
  int32_t first_paid_day = INT32_MAX;
  for (size_t r = s->cust_off[c]; r < s->cust_off[c + 1]; r++) {
    if (s->mrr_cents[r] <= 0 || s->first_month[r] > s->last_month[r]) {
      continue;
    }
    if (s->first_month[r] < first_paid) {
      first_paid = s->first_month[r];
    }
    if (s->paid_start[r] < first_paid_day) {
      first_paid_day = s->paid_start[r];
    }
    add_row(j, r, sl);
  }
  if (j->tenure_stages) {
    apply_stages(j, sl, first_paid_day);
  }
  count_periods(j, sl);
  count_survival(j, sl);
  /* Locals, not j->: classify is a call that may write any month block, so fields read
   * through j would be reloaded after every call. */
  size_t n_slots = j->n_slots;
  size_t n_months = n_slots - 1;
  segkit_mrr_month *acc = j->acc;
  bool split = j->n_groups > 0;
  int32_t first = j->first;
  const int32_t *period_last = j->period_last;
  sk__ltv_part *parts = j->ltv_parts;
  size_t p = 0, n_parts = 0;
  for (size_t i = 1; i < n_slots; i++) {
    int64_t m0 = sl[i - 1].mrr;
    int64_t m1 = sl[i].mrr;
    int32_t month = first + (int32_t)i;
    if (month > period_last[p]) { /* periods are contiguous and in month order */
      if (ltv_flush(j, p, n_parts) != 0) {
        return -1;
      }
      p++;
      n_parts = 0;
    }
    if (m0 == 0 && m1 == 0) {
      continue;
    }
    /* The month belongs to the customer's group at the end of the previous month, so
     * the whole step m0 -> m1 (an upgrade into another plan included) is one movement of
     * one group; a customer without MRR then takes its group at this month's end. */
    uint32_t g = m0 > 0 ? sl[i - 1].group : sl[i].group;
    bool before = first_paid < month;
    classify(&acc[i - 1], m0, m1, before);
    if (split) {
      classify(&acc[(1 + (size_t)g) * n_months + (i - 1)], m0, m1, before);
    }
    n_parts = ltv_part_add(parts, n_parts, split ? g : 0, m0, m1);
  }
  if (ltv_flush(j, p, n_parts) != 0) {
    return -1;
  }
  if (j->start_group != NULL) {
    j->start_group[c] = start_group(sl, j->n_slots);
  }
  if (j->customer_mrr != NULL) {
    int64_t *out = j->customer_mrr + c * j->n_slots;
    for (size_t i = 0; i < j->n_slots; i++) {
      out[i] = sl[i].mrr;
    }
  }
  return 0;
}

static void *run_job(void *arg) {
  job *j = arg;
  slot *sl = malloc(j->n_slots * sizeof *sl);
  j->ltv_parts = malloc(j->n_slots * sizeof *j->ltv_parts);
  if (sl == NULL || j->ltv_parts == NULL) {
    j->failed = 1;
  }
  for (size_t c = j->c0; !j->failed && c < j->c1; c++) {
    j->failed = run_customer(j, c, sl) != 0;
  }
  free(sl);
  free(j->ltv_parts);
  j->ltv_parts = NULL;
  return NULL;
}

/* ==== merging, derived rates, the invariant ============================================= */

static double ratio(double num, double den) {
  return den != 0.0 ? num / den : NAN;
}

static void derive(segkit_mrr_month *a, int32_t month) {
  a->month = month;
  double start = (double)a->start_cents;
  a->arpu_cents = ratio((double)a->end_cents, (double)a->customers_end);
  a->logo_churn_rate = ratio((double)a->n_churned, (double)a->customers_start);
  a->gross_revenue_churn = ratio((double)(a->contraction_cents + a->churned_cents), start);
  a->nrr = ratio((double)(a->start_cents + a->expansion_cents - a->contraction_cents -
                          a->churned_cents),
                 start);
  a->grr = ratio((double)(a->start_cents - a->contraction_cents - a->churned_cents), start);
}

static bool reconciles(const segkit_mrr_month *a) {
  return a->start_cents + a->new_cents + a->reactivation_cents + a->expansion_cents -
             a->contraction_cents - a->churned_cents ==
         a->end_cents;
}

static segkit_status check_invariants(const segkit_mrr_result *r) {
  size_t nm = r->n_months;
  for (size_t b = 0; b <= r->n_groups; b++) {
    for (size_t i = 0; i < nm; i++) {
      if (!reconciles(&r->months[b * nm + i])) {
        return SEGKIT_ERR_INTERNAL;
      }
    }
  }
  for (size_t i = 0; i + 1 < nm; i++) {
    if (r->months[i].end_cents != r->months[i + 1].start_cents) {
      return SEGKIT_ERR_INTERNAL;
    }
  }
  if (r->n_groups == 0) {
    return SEGKIT_OK;
  }
  for (size_t i = 0; i < nm; i++) {
    segkit_mrr_month sum;
    memset(&sum, 0, sizeof sum);
    for (size_t g = 0; g < r->n_groups; g++) {
      sk__mrr_month_add(&sum, &r->months[(g + 1) * nm + i]);
    }
    const segkit_mrr_month *t = &r->months[i];
    if (sum.start_cents != t->start_cents || sum.end_cents != t->end_cents ||
        sum.new_cents != t->new_cents || sum.churned_cents != t->churned_cents) {
      return SEGKIT_ERR_INTERNAL;
    }
  }
  return SEGKIT_OK;
}

/* ==== driver ============================================================================ */

/* Per-thread sums: months, periods and survival counts, one block per job. */
typedef struct job_sums {
  size_t month_block, period_block, surv_block;
  segkit_mrr_month *months;
  sk__period_acc *periods;
  int64_t *at_risk;
  int64_t *churned;
  sk__ltv_pairs pairs[SK__MRR_MAX_THREADS];
} job_sums;

static segkit_status job_sums_alloc(job_sums *js, const segkit_mrr_result *r, int nt,
                                    segkit_error *err) {
  js->month_block = (r->n_groups + 1) * r->n_months;
  js->period_block = (r->n_groups + 1) * r->n_periods;
  js->surv_block = (r->n_groups + 1) * (r->n_months + 1);
  js->months = calloc((size_t)nt * js->month_block, sizeof *js->months);
  js->periods = calloc((size_t)nt * js->period_block + 1, sizeof *js->periods);
  js->at_risk = calloc((size_t)nt * js->surv_block, sizeof *js->at_risk);
  js->churned = calloc((size_t)nt * js->surv_block, sizeof *js->churned);
  if (js->months == NULL || js->periods == NULL || js->at_risk == NULL ||
      js->churned == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the monthly totals");
  }
  return SEGKIT_OK;
}

static void job_sums_free(job_sums *js) {
  free(js->months);
  free(js->periods);
  free(js->at_risk);
  free(js->churned);
  for (int t = 0; t < SK__MRR_MAX_THREADS; t++) {
    sk__ltv_pairs_free(&js->pairs[t]);
  }
}

static segkit_status merge_sums(segkit_mrr_result *r, const job_sums *js, int nt,
                                segkit_error *err) {
  for (int t = 0; t < nt; t++) {
    if (sk__ltv_pairs_merge(&r->ltv_pairs, &js->pairs[t]) != 0) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the LTV moments");
    }
    for (size_t i = 0; i < js->month_block; i++) {
      sk__mrr_month_add(&r->months[i], &js->months[(size_t)t * js->month_block + i]);
    }
    for (size_t i = 0; i < js->period_block; i++) {
      sk__period_acc_add(&r->period_acc[i], &js->periods[(size_t)t * js->period_block + i]);
    }
    for (size_t i = 0; i < js->surv_block; i++) {
      r->surv_at_risk[i] += js->at_risk[(size_t)t * js->surv_block + i];
      r->surv_churned[i] += js->churned[(size_t)t * js->surv_block + i];
    }
  }
  if (sk__ltv_pairs_finish(&r->ltv_pairs, r->n_periods, &r->ltv_pair_off) != 0) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the LTV moments");
  }
  return SEGKIT_OK;
}

static void setup_job(job *j, const sorted_rows *s, const segkit_mrr_result *r, job_sums *js,
                      int t) {
  j->rows = s;
  j->first = r->from_month - 1;
  j->n_slots = r->n_months + 1;
  j->n_groups = r->n_groups;
  j->tenure_stages = r->tenure_stages;
  j->n_periods = r->n_periods;
  j->period_first = r->period_first;
  j->period_last = r->period_last;
  j->acc = js->months + (size_t)t * js->month_block;
  j->period_acc = js->periods + (size_t)t * js->period_block;
  j->surv_at_risk = js->at_risk + (size_t)t * js->surv_block;
  j->surv_churned = js->churned + (size_t)t * js->surv_block;
  j->customer_mrr = r->customer_mrr;
  j->start_group = r->customer_start_group;
  j->ltv_parts = NULL;
  j->ltv_pairs = &js->pairs[t];
  j->failed = 0;
}

static segkit_status run_jobs(const sorted_rows *s, segkit_mrr_result *r,
                              const segkit_mrr_options *opt, segkit_error *err) {
  int nt = sk__mrr_thread_count(opt->n_threads, s->n_customers);
  job jobs[SK__MRR_MAX_THREADS];
  size_t first[SK__MRR_MAX_THREADS + 1];
  job_sums js;
  memset(&js, 0, sizeof js);
  segkit_status st = job_sums_alloc(&js, r, nt, err);
  if (st != SEGKIT_OK) {
    job_sums_free(&js);
    return st;
  }
  sk__customer_ranges(s->cust_off, s->n_customers, nt, first);
  for (int t = 0; t < nt; t++) {
    setup_job(&jobs[t], s, r, &js, t);
    jobs[t].c0 = first[t];
    jobs[t].c1 = first[t + 1];
  }
  sk__run_workers(run_job, jobs, sizeof jobs[0], nt);
  int failed = 0;
  for (int t = 0; t < nt; t++) {
    failed |= jobs[t].failed;
  }
  if (failed) {
    job_sums_free(&js);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory in a worker");
  }
  st = merge_sums(r, &js, nt, err);
  job_sums_free(&js);
  if (st != SEGKIT_OK) {
    return st;
  }
  for (size_t b = 0; b <= r->n_groups; b++) {
    for (size_t i = 0; i < r->n_months; i++) {
      derive(&r->months[b * r->n_months + i], opt->from_month + (int32_t)i);
    }
  }
  return sk__mrr_finish_periods(r, opt, err);
}

static segkit_status check_options(const segkit_table *t, const segkit_mrr_options *opt,
                                   segkit_mrr_result **out, segkit_error *err) {
  if (t == NULL || opt == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_mrr_compute: NULL argument");
  }
  if (opt->to_month < opt->from_month ||
      (int64_t)opt->to_month - opt->from_month >= MAX_MONTHS) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "month range %d..%d is invalid (expected from <= to, at most %d "
                            "months)",
                            (int)opt->from_month, (int)opt->to_month, MAX_MONTHS);
  }
  if (segkit_table_n_rows(t) >= UINT32_MAX) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "too many subscription rows (at most %u)",
                            UINT32_MAX - 1);
  }
  return SEGKIT_OK;
}

/* Sorts rows->key into customer order (the rows' other columns stay in input order). */
static segkit_status compute(sk__mrr_rows *rows, const segkit_mrr_options *opt,
                             segkit_mrr_result *r, segkit_error *err) {
  uint32_t *perm = NULL;
  if (!sk__keys_sorted(rows->key, rows->n)) {
    segkit_status s = sk__sort_by_key(&rows->key, rows->n, &perm, err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  sorted_rows sr;
  memset(&sr, 0, sizeof sr);
  segkit_status s = gather(rows, rows->key, perm, &sr, &r->customer_key, err);
  free(perm);
  if (s == SEGKIT_OK) {
    r->n_customers = sr.n_customers;
    r->months = calloc((r->n_groups + 1) * r->n_months, sizeof *r->months);
    if (r->months == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the monthly totals");
    }
  }
  if (s == SEGKIT_OK && opt->keep_customer_mrr && sr.n_customers > 0) {
    r->customer_mrr = malloc(sr.n_customers * (r->n_months + 1) * sizeof *r->customer_mrr);
    if (r->n_groups > 0) {
      r->customer_start_group = malloc(sr.n_customers * sizeof *r->customer_start_group);
    }
    if (r->customer_mrr == NULL || (r->n_groups > 0 && r->customer_start_group == NULL)) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the per-customer MRR");
    }
  }
  if (s == SEGKIT_OK) {
    s = run_jobs(&sr, r, opt, err);
  }
  sorted_rows_free(&sr);
  if (s == SEGKIT_OK && check_invariants(r) != SEGKIT_OK) {
    s = segkit_error_set(err, SEGKIT_ERR_INTERNAL,
                         "MRR movements do not reconcile (start + movements != end)");
  }
  return s;
}

segkit_status segkit_mrr_compute(const segkit_table *subscriptions,
                                 const segkit_mrr_options *opt, segkit_mrr_result **out,
                                 segkit_error *err) {
  segkit_status s = check_options(subscriptions, opt, out, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sk__mrr_rows rows;
  s = sk__mrr_rows_build(subscriptions, opt, &rows, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_mrr_result *r = calloc(1, sizeof *r);
  if (r == NULL) {
    sk__mrr_rows_free(&rows);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the MRR result");
  }
  /* Take what the result keeps from the rows. */
  r->from_month = opt->from_month;
  r->n_months = (size_t)(opt->to_month - opt->from_month) + 1;
  r->tenure_stages = opt->by_tenure_stage;
  s = sk__mrr_layout(r, rows.grouping, opt, err);
  if (s != SEGKIT_OK) {
    sk__mrr_rows_free(&rows);
    segkit_mrr_result_free(r);
    return s;
  }
  r->skips = rows.skips;
  r->n_skips = rows.n_skips;
  rows.skips = NULL;
  r->rows_used = rows.n;
  memcpy(r->field_names, rows.field_names, sizeof r->field_names);
  memset(rows.field_names, 0, sizeof rows.field_names);
  s = compute(&rows, opt, r, err);
  sk__mrr_rows_free(&rows);
  if (s != SEGKIT_OK) {
    segkit_mrr_result_free(r);
    return s;
  }
  *out = r;
  return SEGKIT_OK;
}

/* ==== getters ============================================================================ */

void segkit_mrr_result_free(segkit_mrr_result *r) {
  if (r == NULL) {
    return;
  }
  for (size_t g = 0; r->group_names != NULL && g < r->n_groups; g++) {
    free(r->group_names[g]);
  }
  for (size_t i = 0; r->group_keys != NULL && i < r->n_groups * r->n_keys; i++) {
    free(r->group_keys[i]);
  }
  for (size_t k = 0; r->key_names != NULL && k < r->n_keys; k++) {
    free(r->key_names[k]);
  }
  free(r->group_names);
  free(r->group_keys);
  free(r->key_names);
  free(r->period_first);
  free(r->period_last);
  free(r->period_acc);
  sk__ltv_pairs_free(&r->ltv_pairs);
  free(r->ltv_pair_off);
  free(r->periods);
  free(r->surv_at_risk);
  free(r->surv_churned);
  free(r->surv_curve);
  free(r->surv_n);
  free(r->months);
  free(r->customer_key);
  free(r->customer_mrr);
  free(r->customer_start_group);
  free(r->skips);
  for (int f = 0; f < SK__MRR_F_COUNT; f++) {
    free(r->field_names[f]);
  }
  free(r);
}

size_t segkit_mrr_n_months(const segkit_mrr_result *r) {
  return r->n_months;
}

size_t segkit_mrr_n_groups(const segkit_mrr_result *r) {
  return r->n_groups;
}

const char *segkit_mrr_group_name(const segkit_mrr_result *r, size_t group) {
  return group < r->n_groups ? r->group_names[group] : NULL;
}

const segkit_mrr_month *segkit_mrr_months(const segkit_mrr_result *r, size_t group) {
  if (group == SEGKIT_MRR_ALL) {
    return r->months;
  }
  if (group >= r->n_groups) {
    return NULL;
  }
  return r->months + (group + 1) * r->n_months;
}

size_t segkit_mrr_n_customers(const segkit_mrr_result *r) {
  return r->n_customers;
}

int64_t segkit_mrr_customer_key(const segkit_mrr_result *r, size_t customer) {
  return customer < r->n_customers ? r->customer_key[customer] : 0;
}

long segkit_mrr_customer_find(const segkit_mrr_result *r, int64_t key) {
  return sk__customer_find(r->customer_key, r->n_customers, key);
}

uint32_t segkit_mrr_customer_start_group(const segkit_mrr_result *r, size_t customer) {
  if (r->customer_start_group == NULL || customer >= r->n_customers) {
    return SEGKIT_MRR_NO_GROUP;
  }
  return r->customer_start_group[customer];
}

const int64_t *segkit_mrr_customer_mrr(const segkit_mrr_result *r, size_t customer) {
  if (r->customer_mrr == NULL || customer >= r->n_customers) {
    return NULL;
  }
  return r->customer_mrr + customer * (r->n_months + 1);
}

const segkit_mrr_skip *segkit_mrr_skipped(const segkit_mrr_result *r, size_t *n) {
  *n = r->n_skips;
  return r->skips;
}

size_t segkit_mrr_rows_used(const segkit_mrr_result *r) {
  return r->rows_used;
}
