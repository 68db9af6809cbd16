/* MRR input: checks a subscription table against its column mapping and turns each row
 * into (customer key, monthly amount in integer cents, span of month-ends it is paid on,
 * group).
 *
 * Key design choice: the monthly amount is computed once per row, in double, as
 * unit_price x quantity x (100 - discount) x rate x num / den (cents, with num/den the
 * interval's month factor) and rounded half to even to integer cents right there; from then
 * on all arithmetic is on int64 cents, so the movements reconcile exactly. Problems with the
 * data as a whole (a missing column, a wrong type, an unknown interval or currency, an
 * impossible value) are errors naming the column and row; a null in a required column or an
 * end before the start only skips that row, and every skipped row is listed with its reason
 * (nothing is dropped silently). Contiguous ranges of rows are converted on worker threads
 * and joined in row order, so the rows, the skip list and the error reported (the first in
 * row order) do not depend on the number of threads (parallel.c, shared with the revenue
 * engine). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics/metrics_int.h"
#include "segkit/datetime.h"

/* ==== column access =================================================================== */

static const char *const k_field_role[SK__MRR_F_COUNT] = {
    "customer", "unit_price", "quantity", "interval", "interval_count", "currency",
    "start", "trial_end", "end", "discount_percent"};

/* ==== intervals, rates, rounding ======================================================= */

/* Month factor num/den of one interval (before interval_count). Conventions of Stripe and
 * ChartMogul: a year is 12 months, a week 52/12 of a month (not 52.1775/12), a day
 * 365/12 (not 365.25/12: a daily plan is billed 365 times in a normal year). */
typedef struct interval_factor {
  double num;
  double den;
} interval_factor;

static bool parse_interval(const char *s, interval_factor *out) {
  static const struct {
    const char *name;
    double num;
    double den;
  } k_names[] = {{"day", 365, 12},   {"daily", 365, 12},   {"week", 52, 12},
                 {"weekly", 52, 12}, {"month", 1, 1},      {"monthly", 1, 1},
                 {"year", 1, 12},    {"yearly", 1, 12},    {"annual", 1, 12},
                 {"annually", 1, 12}};
  for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++) {
    if (strcasecmp(s, k_names[i].name) == 0) {
      out->num = k_names[i].num;
      out->den = k_names[i].den;
      return true;
    }
  }
  return false;
}

int sk__round_half_even_cents(double v, int64_t *out) {
  if (!(v >= 0.0) || v > 9007199254740992.0) {
    return -1;
  }
  double f = floor(v);
  double frac = v - f;
  /* An intended tie (82.5 cents) may come out of the double product a few ulps off; a
   * fraction within this relative tolerance of one half is treated as the tie. */
  double tol = 1e-11 * (v > 1.0 ? v : 1.0);
  int64_t r = (int64_t)f;
  if (frac > 0.5 + tol) {
    r += 1;
  } else if (frac >= 0.5 - tol && (r & 1) != 0) {
    r += 1;
  }
  *out = r;
  return 0;
}

/* ==== building the rows ================================================================ */

void sk__mrr_rows_free(sk__mrr_rows *rows) {
  free(rows->key);
  free(rows->mrr_cents);
  free(rows->first_month);
  free(rows->last_month);
  free(rows->paid_start);
  free(rows->end_day);
  free(rows->group);
  segkit_grouping_free(rows->grouping);
  free(rows->skips);
  for (int f = 0; f < SK__MRR_F_COUNT; f++) {
    free(rows->field_names[f]);
  }
  memset(rows, 0, sizeof *rows);
}

typedef struct mapping {
  sk__colref f[SK__MRR_F_COUNT];
  interval_factor *interval_of_code; /* per interval dictionary code */
  int8_t *interval_known;            /* 1 known, 0 unknown */
  double *rate_of_code;              /* per currency dictionary code, <= 0 = not in rates */
} mapping;

static void mapping_free(mapping *m) {
  free(m->interval_of_code);
  free(m->interval_known);
  free(m->rate_of_code);
}

static segkit_status map_columns(const segkit_table *t, const segkit_mrr_columns *c, mapping *m,
                                 segkit_error *err) {
  struct {
    const char *name;
    bool required;
    sk__col_kind kind;
  } spec[SK__MRR_F_COUNT] = {
      {c->customer, true, SK__COL_KEY},            {c->unit_price, true, SK__COL_NUMBER},
      {c->quantity, false, SK__COL_NUMBER},        {c->interval, true, SK__COL_STRING},
      {c->interval_count, false, SK__COL_NUMBER},  {c->currency, false, SK__COL_STRING},
      {c->start, true, SK__COL_DAY},               {c->trial_end, false, SK__COL_DAY},
      {c->end, false, SK__COL_DAY},                {c->discount_percent, false, SK__COL_NUMBER}};
  for (int f = 0; f < SK__MRR_F_COUNT; f++) {
    segkit_status s = sk__find_column(t, spec[f].name, k_field_role[f], spec[f].required,
                                      spec[f].kind, &m->f[f], err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

/* Intervals and currencies are dictionary strings: resolve each distinct value once. An
 * unknown value is an error only when a usable row uses it (checked per row). */
static segkit_status resolve_dictionaries(mapping *m, const segkit_mrr_options *opt,
                                          segkit_error *err) {
  const segkit_column *ic = m->f[SK__MRR_F_INTERVAL].col;
  uint32_t ni = segkit_column_dict_size(ic);
  m->interval_of_code = calloc(ni + 1, sizeof *m->interval_of_code);
  m->interval_known = calloc(ni + 1, 1);
  if (m->interval_of_code == NULL || m->interval_known == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the interval names");
  }
  for (uint32_t code = 0; code < ni; code++) {
    const char *s = segkit_column_dict_value(ic, code, NULL);
    m->interval_known[code] = parse_interval(s, &m->interval_of_code[code]) ? 1 : 0;
  }
  const segkit_column *cc = m->f[SK__MRR_F_CURRENCY].col;
  if (cc == NULL) {
    return SEGKIT_OK;
  }
  return sk__resolve_rates(cc, opt->rates, opt->n_rates, &m->rate_of_code, err);
}

static segkit_status alloc_rows(sk__mrr_rows *rows, size_t n, segkit_error *err) {
  size_t k = n > 0 ? n : 1;
  rows->key = malloc(k * sizeof *rows->key);
  rows->mrr_cents = malloc(k * sizeof *rows->mrr_cents);
  rows->first_month = malloc(k * sizeof *rows->first_month);
  rows->last_month = malloc(k * sizeof *rows->last_month);
  rows->paid_start = malloc(k * sizeof *rows->paid_start);
  rows->end_day = malloc(k * sizeof *rows->end_day);
  rows->group = malloc(k * sizeof *rows->group);
  if (rows->key == NULL || rows->mrr_cents == NULL || rows->first_month == NULL ||
      rows->last_month == NULL || rows->paid_start == NULL || rows->end_day == NULL ||
      rows->group == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu subscription rows", n);
  }
  return SEGKIT_OK;
}

/* One contiguous range of input rows, converted by one thread (see sk__row_range). */
typedef struct part {
  sk__row_range *range;
  const mapping *m;
  const uint32_t *group_codes; /* by-column group of each input row, or NULL */
  sk__mrr_rows *rows;
} part;

static segkit_status add_skip(part *p, size_t row, segkit_mrr_skip_reason reason, int field) {
  return sk__row_range_skip(p->range, row, reason, p->rows->field_names[field]);
}

static segkit_status row_error(const mapping *m, int field, size_t row, double v,
                               const char *what, segkit_error *err) {
  return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, 0, 0, m->f[field].name,
                             "row %zu: %s %g is invalid (expected %s)", row + 1,
                             k_field_role[field], v, what);
}

/* The first required column that is null in this row, or -1. */
static int null_required(const mapping *m, size_t row) {
  static const int k_required[] = {SK__MRR_F_CUSTOMER, SK__MRR_F_UNIT_PRICE,
                                   SK__MRR_F_QUANTITY, SK__MRR_F_INTERVAL,
                                   SK__MRR_F_INTERVAL_COUNT, SK__MRR_F_CURRENCY,
                                   SK__MRR_F_START};
  for (size_t i = 0; i < sizeof k_required / sizeof k_required[0]; i++) {
    if (sk__is_null(&m->f[k_required[i]], row)) {
      return k_required[i];
    }
  }
  return -1;
}

/* Monthly cents of one (non-skipped) row. */
static segkit_status row_cents(const mapping *m, size_t row, int64_t *cents, segkit_error *err) {
  double price = sk__number_at(&m->f[SK__MRR_F_UNIT_PRICE], row);
  if (!(price >= 0.0) || !isfinite(price)) {
    return row_error(m, SK__MRR_F_UNIT_PRICE, row, price, "a finite number >= 0", err);
  }
  double qty = m->f[SK__MRR_F_QUANTITY].col ? sk__number_at(&m->f[SK__MRR_F_QUANTITY], row) : 1.0;
  if (!(qty >= 0.0) || !isfinite(qty)) {
    return row_error(m, SK__MRR_F_QUANTITY, row, qty, "a finite number >= 0", err);
  }
  double count = 1.0;
  if (m->f[SK__MRR_F_INTERVAL_COUNT].col != NULL) {
    count = sk__number_at(&m->f[SK__MRR_F_INTERVAL_COUNT], row);
    if (!(count >= 1.0) || count != floor(count) || count > 1e6) {
      return row_error(m, SK__MRR_F_INTERVAL_COUNT, row, count, "an integer >= 1", err);
    }
  }
  double disc = 0.0;
  const sk__colref *dc = &m->f[SK__MRR_F_DISCOUNT];
  if (dc->col != NULL && !sk__is_null(dc, row)) {
    disc = sk__number_at(dc, row);
    if (!(disc >= 0.0 && disc <= 100.0)) {
      return row_error(m, SK__MRR_F_DISCOUNT, row, disc, "a percentage 0..100", err);
    }
  }
  uint32_t icode = segkit_column_codes(m->f[SK__MRR_F_INTERVAL].col)[row];
  if (!m->interval_known[icode]) {
    return segkit_error_set_at(
        err, SEGKIT_ERR_PARSE, NULL, 0, 0, m->f[SK__MRR_F_INTERVAL].name,
        "row %zu: interval '%s' is unknown (expected day, week, month or year)", row + 1,
        segkit_column_dict_value(m->f[SK__MRR_F_INTERVAL].col, icode, NULL));
  }
  double rate = 1.0;
  if (m->f[SK__MRR_F_CURRENCY].col != NULL) {
    uint32_t ccode = segkit_column_codes(m->f[SK__MRR_F_CURRENCY].col)[row];
    rate = m->rate_of_code[ccode];
    if (!(rate > 0.0)) {
      return segkit_error_set_at(
          err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, m->f[SK__MRR_F_CURRENCY].name,
          "row %zu: currency '%s' has no exchange rate (expected it in the rates table)",
          row + 1, segkit_column_dict_value(m->f[SK__MRR_F_CURRENCY].col, ccode, NULL));
    }
  }
  const interval_factor *fac = &m->interval_of_code[icode];
  /* price x (100 - discount) is cents after the discount. */
  double v = price * qty * (100.0 - disc) * rate * fac->num / (fac->den * count);
  if (sk__round_half_even_cents(v, cents) != 0) {
    return row_error(m, SK__MRR_F_UNIT_PRICE, row, price,
                     "a monthly amount below 2^53 cents", err);
  }
  return SEGKIT_OK;
}

static segkit_status copy_names(const mapping *m, sk__mrr_rows *rows, segkit_error *err) {
  return sk__copy_column_names(m->f, SK__MRR_F_COUNT, rows->field_names, err);
}

/* Every monthly sum (start, end, each movement) is at most twice the sum of all rows'
 * amounts, so bounding that sum keeps all later int64 arithmetic free of overflow. */
#define TOTAL_LIMIT (INT64_MAX / 4)

static segkit_status total_error(const mapping *m, segkit_error *err) {
  return segkit_error_set_at(err, SEGKIT_ERR_LIMIT, NULL, 0, 0, m->f[SK__MRR_F_UNIT_PRICE].name,
                             "the monthly amounts add up to more than %lld cents (expected "
                             "smaller prices)",
                             (long long)TOTAL_LIMIT);
}

/* Convert one row; a skip or an error is recorded in the part. */
static segkit_status build_row(part *p, size_t row) {
  const mapping *m = p->m;
  int nf = null_required(m, row);
  if (nf >= 0) {
    return add_skip(p, row, SEGKIT_MRR_SKIP_NULL, nf);
  }
  int32_t start = sk__day_at(&m->f[SK__MRR_F_START], row);
  int32_t end = INT32_MAX;
  if (m->f[SK__MRR_F_END].col != NULL && !sk__is_null(&m->f[SK__MRR_F_END], row)) {
    end = sk__day_at(&m->f[SK__MRR_F_END], row);
  }
  if (end < start) {
    return add_skip(p, row, SEGKIT_MRR_SKIP_END_BEFORE_START, SK__MRR_F_END);
  }
  int64_t cents = 0;
  segkit_status s = row_cents(m, row, &cents, &p->range->err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sk__row_range *rg = p->range;
  if (cents > TOTAL_LIMIT - rg->total) {
    return total_error(m, &rg->err);
  }
  rg->total += cents;
  int32_t paid = start;
  if (m->f[SK__MRR_F_TRIAL_END].col != NULL && !sk__is_null(&m->f[SK__MRR_F_TRIAL_END], row)) {
    int32_t te = sk__day_at(&m->f[SK__MRR_F_TRIAL_END], row);
    paid = te > start ? te : start;
  }
  sk__mrr_rows *rows = p->rows;
  size_t k = rg->r0 + rg->n_kept++;
  rows->key[k] = sk__customer_key_at(&m->f[SK__MRR_F_CUSTOMER], row);
  rows->mrr_cents[k] = cents;
  rows->paid_start[k] = paid;
  rows->end_day[k] = end;
  /* Paid on the last day of month M iff paid <= last_day(M) < end: M runs from the month
   * of `paid` to the month before the month of `end`. */
  rows->first_month[k] = segkit_month_of_day(paid);
  rows->last_month[k] = end == INT32_MAX ? INT32_MAX : segkit_month_of_day(end) - 1;
  rows->group[k] = p->group_codes != NULL ? p->group_codes[row] : 0;
  return SEGKIT_OK;
}

static void *build_part(void *arg) {
  part *p = arg;
  for (size_t row = p->range->r0; row < p->range->r1; row++) {
    segkit_status s = build_row(p, row);
    if (s != SEGKIT_OK) {
      p->range->status = s;
      break;
    }
  }
  return NULL;
}

static void move_range(sk__mrr_rows *rows, const sk__row_range *p, size_t k) {
  size_t n = p->n_kept;
  memmove(rows->key + k, rows->key + p->r0, n * sizeof *rows->key);
  memmove(rows->mrr_cents + k, rows->mrr_cents + p->r0, n * sizeof *rows->mrr_cents);
  memmove(rows->first_month + k, rows->first_month + p->r0, n * sizeof *rows->first_month);
  memmove(rows->last_month + k, rows->last_month + p->r0, n * sizeof *rows->last_month);
  memmove(rows->paid_start + k, rows->paid_start + p->r0, n * sizeof *rows->paid_start);
  memmove(rows->end_day + k, rows->end_day + p->r0, n * sizeof *rows->end_day);
  memmove(rows->group + k, rows->group + p->r0, n * sizeof *rows->group);
}

/* Join the ranges in row order: the first failing range's error wins, as it would in a
 * serial pass (every earlier range converted without error). */
static segkit_status merge_ranges(const mapping *m, sk__mrr_rows *rows, sk__row_range *rr,
                                  int np, segkit_error *err) {
  segkit_status s = sk__row_ranges_first_error(rr, np, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (!sk__row_ranges_total_fits(rr, np, TOTAL_LIMIT)) {
    return total_error(m, err);
  }
  size_t k = 0;
  for (int i = 0; i < np; i++) {
    move_range(rows, &rr[i], k);
    k += rr[i].n_kept;
  }
  rows->n = k;
  return sk__row_ranges_join_skips(rr, np, &rows->skips, &rows->n_skips, err);
}

static segkit_status build_rows(const segkit_table *t, const mapping *m, int n_threads,
                                sk__mrr_rows *rows, segkit_error *err) {
  size_t n = segkit_table_n_rows(t);
  rows->n_input = n;
  segkit_status s = alloc_rows(rows, n, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  int np = sk__mrr_thread_count(n_threads, n);
  sk__row_range ranges[SK__MRR_MAX_THREADS];
  part parts[SK__MRR_MAX_THREADS];
  sk__row_ranges_init(ranges, np, n);
  for (int i = 0; i < np; i++) {
    parts[i].range = &ranges[i];
    parts[i].m = m;
    parts[i].group_codes = rows->grouping ? segkit_grouping_codes(rows->grouping) : NULL;
    parts[i].rows = rows;
  }
  sk__run_workers(build_part, parts, sizeof parts[0], np);
  s = merge_ranges(m, rows, ranges, np, err);
  sk__row_ranges_free(ranges, np);
  return s;
}

segkit_status sk__mrr_rows_build(const segkit_table *t, const segkit_mrr_options *opt,
                                 sk__mrr_rows *rows, segkit_error *err) {
  memset(rows, 0, sizeof *rows);
  mapping m;
  memset(&m, 0, sizeof m);
  segkit_status s = map_columns(t, &opt->columns, &m, err);
  if (s == SEGKIT_OK) {
    s = resolve_dictionaries(&m, opt, err);
  }
  if (s == SEGKIT_OK) {
    s = copy_names(&m, rows, err);
  }
  if (s == SEGKIT_OK && opt->n_by > 0) {
    s = segkit_grouping_new(t, opt->by, opt->n_by, &rows->grouping, err);
  }
  if (s == SEGKIT_OK) {
    s = build_rows(t, &m, opt->n_threads, rows, err);
  }
  mapping_free(&m);
  if (s != SEGKIT_OK) {
    sk__mrr_rows_free(rows);
  }
  return s;
}
