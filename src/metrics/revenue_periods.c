/* Revenue by period and group: the calendar of periods (months or calendar-aligned groups
 * of months), the groups of the rows, and pass 2, which sums each customer's counted rows
 * into (groups + 1) x periods cells (charges, refunds, their counts, distinct paying
 * customers) and into the customer's net over the range.
 *
 * Key design choice: pass 2 needs the rows grouped by customer (to count distinct paying
 * customers and sum each customer's net). When the keys are already in order, as exports
 * by customer are, it reads the arrays as they are; otherwise (a log in time order) it
 * first puts them in customer order, with a counting sort here when the keys are dense
 * (dictionary codes, ids 1..n) or the shared radix sort and a permutation
 * (customer_order.c) when they are not. Contiguous ranges of customers run on threads
 * (parallel.c) into their own integer accumulators; integer sums do not depend on the
 * order of addition, so the result is identical for any number of threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_int.h"

#define MAX_MONTHS 1200
/* Group x period cells. Each worker holds (groups + 1) x periods accumulators of 44 bytes
 * (sums and a stamp), so this keeps them below ~200 MB a worker. */
#define MAX_CELLS (UINT32_C(1) << 22)

/* ==== periods ============================================================================ */

/* Widen from..to to whole periods and tabulate the period of every day in the range, so a
 * row's period is one array lookup rather than a civil-date conversion. */
segkit_status sk__rev_build_periods(sk__rev_mapping *m, const segkit_revenue_options *opt,
                                    segkit_error *err) {
  int p = opt->period_months;
  if (p != 1 && p != 2 && p != 3 && p != 4 && p != 6 && p != 12) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "a period of %d months is not supported (expected 1, 2, 3, 4, 6 "
                            "or 12, dividing the year)",
                            p);
  }
  /* Years 0..9999 keep every day number of the range well inside int32. */
  bool in_calendar = opt->from_month >= 0 && opt->to_month < 10000 * 12;
  int32_t from = in_calendar ? sk__floor_div(opt->from_month, p) * p : 0;
  int32_t to = in_calendar ? sk__floor_div(opt->to_month, p) * p + p - 1 : 0;
  if (!in_calendar || opt->to_month < opt->from_month || (int64_t)to - from >= MAX_MONTHS) {
    int64_t y0;
    int64_t y1;
    unsigned m0;
    unsigned m1;
    segkit_month_split(opt->from_month, &y0, &m0);
    segkit_month_split(opt->to_month, &y1, &m1);
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "month range %04lld-%02u..%04lld-%02u is invalid (expected from <= "
                            "to, at most %d months once widened to whole periods, years 0-9999)",
                            (long long)y0, m0, (long long)y1, m1, MAX_MONTHS);
  }
  m->period_months = p;
  m->from_month = from;
  m->n_periods = (size_t)((to - from + 1) / p);
  m->day0 = segkit_month_last_day(from - 1) + 1;
  int32_t last = segkit_month_last_day(to);
  m->n_days = (size_t)(last - m->day0 + 1);
  m->period_of_day = malloc(m->n_days * sizeof *m->period_of_day);
  if (m->period_of_day == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the calendar");
  }
  for (int32_t month = from; month <= to; month++) {
    size_t a = (size_t)(segkit_month_last_day(month - 1) + 1 - m->day0);
    size_t b = (size_t)(segkit_month_last_day(month) - m->day0);
    uint16_t period = (uint16_t)((month - from) / p);
    for (size_t d = a; d <= b; d++) {
      m->period_of_day[d] = period;
    }
  }
  return SEGKIT_OK;
}

/* ==== groups ============================================================================= */

static segkit_status check_cells(const sk__rev_mapping *m, segkit_error *err) {
  uint64_t cells = ((uint64_t)m->n_groups + 1) * m->n_periods;
  /* The slot packs the group in 19 bits. */
  if (cells > MAX_CELLS || m->n_groups >= (UINT32_C(1) << (32 - SK__REV_SLOT_PERIOD_BITS - 2))) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "%zu groups x %zu periods is more than %u cells (expected fewer "
                            "groups or periods)",
                            m->n_groups, m->n_periods, (unsigned)MAX_CELLS);
  }
  return SEGKIT_OK;
}

/* Groups are segkit_grouping's (table.h): the combinations of the group columns' values
 * that occur, in value order, a null a value of its own; the same grouping the MRR split
 * uses, so a segment has the same number in both. */
segkit_status sk__rev_build_groups(const segkit_table *t, const segkit_revenue_columns *c,
                                   sk__rev_mapping *m, segkit_error *err) {
  if (c->n_group > 0) {
    segkit_status s = segkit_grouping_new(t, c->group, c->n_group, &m->grouping, err);
    if (s != SEGKIT_OK) {
      return s;
    }
    m->group_of_row = segkit_grouping_codes(m->grouping);
    m->n_groups = segkit_grouping_n_groups(m->grouping);
  }
  return check_cells(m, err);
}

/* ==== grouping by customer =============================================================== */

/* Counting sort for dense keys (dictionary codes, ids 1..n: the usual case): one pass
 * counts the rows of each key, one moves every row's slot and cents to its customer's
 * place (stable), then the keys are written in order. About three times faster than the
 * radix sort and its gather on 20 M rows, and the second pass then reads sequentially. */
static segkit_status counting_sort(sk__rev_rows *r, uint64_t lo, size_t span,
                                   segkit_error *err) {
  size_t n = r->n;
  size_t *pos = calloc(span + 1, sizeof *pos);
  uint32_t *slot = malloc((n ? n : 1) * sizeof *slot);
  int64_t *cents = malloc((n ? n : 1) * sizeof *cents);
  if (pos == NULL || slot == NULL || cents == NULL) {
    free(pos);
    free(slot);
    free(cents);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to group %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) {
    pos[r->key[i] - lo + 1]++;
  }
  for (size_t k = 1; k <= span; k++) {
    pos[k] += pos[k - 1];
  }
  for (size_t i = 0; i < n; i++) {
    size_t to = pos[r->key[i] - lo]++;
    slot[to] = r->slot[i];
    cents[to] = r->cents[i];
  }
  /* pos[k] is now the end of key lo + k's rows. */
  size_t i = 0;
  for (size_t k = 0; k < span; k++) {
    for (; i < pos[k]; i++) {
      r->key[i] = lo + k;
    }
  }
  free(pos);
  free(r->slot);
  free(r->cents);
  r->slot = slot;
  r->cents = cents;
  return SEGKIT_OK;
}

/* Put the rows in key order: a counting sort when the keys span at most about twice the
 * rows (or 2^20), otherwise the radix sort and a permutation. */
static segkit_status group_by_key(sk__rev_rows *r, uint32_t **perm, segkit_error *err) {
  uint64_t lo = UINT64_MAX;
  uint64_t hi = 0;
  for (size_t i = 0; i < r->n; i++) {
    lo = r->key[i] < lo ? r->key[i] : lo;
    hi = r->key[i] > hi ? r->key[i] : hi;
  }
  uint64_t limit = 2 * (uint64_t)r->n > (UINT64_C(1) << 20) ? 2 * (uint64_t)r->n
                                                            : (UINT64_C(1) << 20);
  if (r->n > 0 && hi - lo < limit) {
    return counting_sort(r, lo, (size_t)(hi - lo) + 1, err);
  }
  return sk__sort_by_key(&r->key, r->n, perm, err);
}

/* ==== pass 2: customers -> cells ========================================================= */

typedef struct cell {
  int64_t charges;
  int64_t refunds;
  int64_t n_charges;
  int64_t n_refunds;
  int64_t paying;
} cell;

typedef struct job {
  const sk__rev_rows *rows;
  const uint32_t *perm;        /* NULL = rows already in key order */
  const size_t *cust_off;      /* n_customers + 1 */
  size_t c0, c1;
  size_t n_periods;
  size_t n_groups;
  cell *acc;                   /* (n_groups + 1) x n_periods, zeroed */
  uint32_t *stamp;             /* per cell: 1 + the last customer counted as paying there */
  int64_t *customer_net;       /* shared; this job writes c0..c1 */
  int failed;
} job;

static void add_to_cell(cell *c, uint32_t *stamp, uint32_t kind, int64_t cents,
                        uint32_t customer) {
  if (kind == SK__REV_KIND_REFUND) {
    c->refunds -= cents;
    c->n_refunds++;
    return;
  }
  c->charges += cents;
  c->n_charges++;
  /* A customer's rows are contiguous, so "stamp differs" means "first paying charge of
   * this customer in this cell". */
  if (kind == SK__REV_KIND_PAYING && *stamp != customer) {
    *stamp = customer;
    c->paying++;
  }
}

static void run_customer(const job *j, size_t c) {
  int64_t net = 0;
  uint32_t stamp_id = (uint32_t)(c + 1);
  for (size_t i = j->cust_off[c]; i < j->cust_off[c + 1]; i++) {
    size_t r = j->perm != NULL ? j->perm[i] : i;
    uint32_t slot = j->rows->slot[r];
    int64_t cents = j->rows->cents[r];
    uint32_t kind = slot & 3u;
    size_t period = (slot >> 2) & ((1u << SK__REV_SLOT_PERIOD_BITS) - 1);
    size_t g = slot >> (SK__REV_SLOT_PERIOD_BITS + 2);
    net += cents;
    add_to_cell(&j->acc[period], &j->stamp[period], kind, cents, stamp_id);
    if (j->n_groups > 0) {
      size_t x = (g + 1) * j->n_periods + period;
      add_to_cell(&j->acc[x], &j->stamp[x], kind, cents, stamp_id);
    }
  }
  j->customer_net[c] = net;
}

static void *run_job(void *arg) {
  job *j = arg;
  size_t n_cells = (j->n_groups + 1) * j->n_periods;
  j->acc = calloc(n_cells, sizeof *j->acc);
  j->stamp = calloc(n_cells, sizeof *j->stamp);
  if (j->acc == NULL || j->stamp == NULL) {
    j->failed = 1;
    return NULL;
  }
  for (size_t c = j->c0; c < j->c1; c++) {
    run_customer(j, c);
  }
  return NULL;
}

static void derive(segkit_revenue_period *p, int32_t first_month) {
  p->first_month = first_month;
  p->net_cents = p->charges_cents - p->refunds_cents;
  p->net_per_paying_cents =
      p->paying_customers > 0 ? (double)p->net_cents / (double)p->paying_customers : NAN;
  p->refund_rate =
      p->charges_cents != 0 ? (double)p->refunds_cents / (double)p->charges_cents : NAN;
}

static void add_cell(segkit_revenue_period *p, const cell *c) {
  p->charges_cents += c->charges;
  p->refunds_cents += c->refunds;
  p->n_charges += c->n_charges;
  p->n_refunds += c->n_refunds;
  p->paying_customers += c->paying;
}

static segkit_status run_jobs(const sk__rev_rows *r, const uint32_t *perm, const size_t *off,
                              const sk__rev_mapping *m, int n_threads,
                              segkit_revenue_result *res, segkit_error *err) {
  int nt = sk__mrr_thread_count(n_threads, res->n_customers);
  job jobs[SK__MRR_MAX_THREADS];
  size_t first[SK__MRR_MAX_THREADS + 1];
  memset(jobs, 0, sizeof jobs);
  sk__customer_ranges(off, res->n_customers, nt, first);
  for (int t = 0; t < nt; t++) {
    jobs[t].c0 = first[t];
    jobs[t].c1 = first[t + 1];
    jobs[t].rows = r;
    jobs[t].perm = perm;
    jobs[t].cust_off = off;
    jobs[t].n_periods = m->n_periods;
    jobs[t].n_groups = m->n_groups;
    jobs[t].customer_net = res->customer_net;
  }
  sk__run_workers(run_job, jobs, sizeof jobs[0], nt);
  int failed = 0;
  for (int t = 0; t < nt; t++) {
    failed |= jobs[t].failed;
  }
  size_t n_cells = (m->n_groups + 1) * m->n_periods;
  for (int t = 0; t < nt && !failed; t++) {
    for (size_t i = 0; i < n_cells; i++) {
      add_cell(&res->periods[i], &jobs[t].acc[i]);
    }
  }
  for (int t = 0; t < nt; t++) {
    free(jobs[t].acc);
    free(jobs[t].stamp);
  }
  if (failed) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory in a worker");
  }
  for (size_t i = 0; i < n_cells; i++) {
    size_t period = i % m->n_periods;
    derive(&res->periods[i], m->from_month + (int32_t)(period * (size_t)m->period_months));
  }
  return SEGKIT_OK;
}

segkit_status sk__rev_aggregate(sk__rev_rows *r, const sk__rev_mapping *m, int n_threads,
                                segkit_revenue_result *res, segkit_error *err) {
  uint32_t *perm = NULL;
  size_t *off = NULL;
  segkit_status s = SEGKIT_OK;
  if (!sk__keys_sorted(r->key, r->n)) {
    s = group_by_key(r, &perm, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__customer_offsets(r->key, r->n, &off, &res->customer_key, &res->n_customers, err);
  }
  if (s == SEGKIT_OK) {
    res->customer_net = malloc((res->n_customers ? res->n_customers : 1) *
                               sizeof *res->customer_net);
    if (res->customer_net == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers",
                           res->n_customers);
    }
  }
  if (s == SEGKIT_OK) {
    s = run_jobs(r, perm, off, m, n_threads, res, err);
  }
  free(off);
  free(perm);
  return s;
}

/* ==== the invariants ====================================================================== */

segkit_status sk__rev_check_invariants(const segkit_revenue_result *r) {
  size_t np = r->n_periods;
  int64_t total_net = 0;
  for (size_t i = 0; i < np; i++) {
    const segkit_revenue_period *t = &r->periods[i];
    total_net += t->net_cents;
    if (r->n_groups == 0) {
      continue;
    }
    segkit_revenue_period sum;
    memset(&sum, 0, sizeof sum);
    for (size_t g = 0; g < r->n_groups; g++) {
      const segkit_revenue_period *p = &r->periods[(g + 1) * np + i];
      sum.charges_cents += p->charges_cents;
      sum.refunds_cents += p->refunds_cents;
      sum.net_cents += p->net_cents;
      sum.n_charges += p->n_charges;
      sum.n_refunds += p->n_refunds;
    }
    if (sum.charges_cents != t->charges_cents || sum.refunds_cents != t->refunds_cents ||
        sum.net_cents != t->net_cents || sum.n_charges != t->n_charges ||
        sum.n_refunds != t->n_refunds) {
      return SEGKIT_ERR_INTERNAL;
    }
  }
  int64_t customers_net = 0;
  for (size_t c = 0; c < r->n_customers; c++) {
    customers_net += r->customer_net[c];
  }
  return customers_net == total_net ? SEGKIT_OK : SEGKIT_ERR_INTERNAL;
}
