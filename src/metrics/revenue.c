/* Revenue from transactions: charges, refunds, net revenue, paying customers and refund
 * rate per period (months or calendar-aligned groups of months) and per group, plus each
 * customer's net revenue over the range, from a log of charges and refunds.
 *
 * Key design choice: two passes over flat arrays, no per-row allocation. Pass 1 runs over
 * contiguous row ranges on worker threads: it checks each row, converts its amount once to
 * integer cents of the reporting currency (|amount| x 100 x rate, rounded half to even, as
 * the MRR engine does) and writes three values per counted row (customer key, a packed
 * period/group/kind slot, signed cents), compacted in row order; skips and the first error
 * are therefore in row order whatever the thread count. Pass 2 needs the rows grouped by
 * customer (to count distinct paying customers and sum each customer's net): when the keys
 * are already in order, as exports by customer are, it reads the arrays as they are;
 * otherwise (a log in time order) it first puts them in customer order, with a counting
 * sort when the keys are dense (dictionary codes, ids 1..n) or a radix sort and a
 * permutation when they are not. Contiguous ranges of customers run on threads into
 * their own integer accumulators; integer sums do not depend on the order of addition,
 * so the result is identical for any number of threads. Before returning, the
 * result is checked: net = charges - refunds everywhere, the groups add up to the totals,
 * and the customers' nets add up to the total net (SEGKIT_ERR_INTERNAL otherwise). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics/metrics_int.h"
#include "segkit/datetime.h"

#define MAX_MONTHS 1200
#define MAX_GROUP_COLS 8
/* Group x period cells. Each worker holds (groups + 1) x periods accumulators of 44 bytes
 * (sums and a stamp), so this keeps them below ~200 MB a worker. */
#define MAX_CELLS (UINT32_C(1) << 22)
/* Every sum is at most the sum of all counted rows' magnitudes; bounding that keeps all
 * int64 arithmetic (net = charges - refunds included) free of overflow. */
#define TOTAL_LIMIT (INT64_MAX / 4)

/* Slot of a counted row: group << 13 | period << 2 | kind (periods < 2048). */
#define SLOT_PERIOD_BITS 11
#define KIND_CHARGE 0u        /* a charge of 0 cents: counted, but not a paying charge */
#define KIND_PAYING 1u        /* a charge of more than 0 cents */
#define KIND_REFUND 2u

enum { F_CUSTOMER = 0, F_DATE, F_AMOUNT, F_CURRENCY, F_KIND, F_COUNT };

static const char *const k_role[F_COUNT] = {"customer", "date", "amount", "currency", "kind"};

struct segkit_revenue_result {
  int32_t from_month;          /* widened */
  int period_months;
  size_t n_periods;
  size_t n_groups;
  size_t n_group_cols;
  char **group_values;         /* n_groups x n_group_cols malloc'd strings */
  segkit_revenue_period *periods; /* (n_groups + 1) blocks of n_periods: totals, groups */
  size_t n_customers;
  int64_t *customer_key;
  int64_t *customer_net;
  segkit_mrr_skip *skips;
  size_t n_skips;
  size_t rows_used;
  size_t rows_counted;
  char *field_names[F_COUNT];
};

/* ==== options ============================================================================ */

segkit_revenue_columns segkit_revenue_columns_default(void) {
  segkit_revenue_columns c;
  memset(&c, 0, sizeof c);
  c.customer = "customer_id";
  c.date = "timestamp";
  c.amount = "amount";
  c.currency = "currency";
  c.kind = "kind";
  return c;
}

void segkit_revenue_options_init(segkit_revenue_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->columns = segkit_revenue_columns_default();
  opt->period_months = 1;
}

/* ==== column mapping ===================================================================== */

typedef struct colref {
  const segkit_column *col;    /* NULL when an optional column is not mapped */
  segkit_type type;
  const char *name;
} colref;

typedef struct mapping {
  colref f[F_COUNT];
  size_t n_group_cols;
  double *rate_of_code;        /* per currency dictionary code; <= 0 = not in the rates */
  int8_t *kind_of_code;        /* per kind dictionary code: 1 charge, -1 refund, 0 unknown */
  bool negative_is_refund;
  /* periods */
  int32_t from_month;          /* widened */
  size_t n_periods;
  int period_months;
  int32_t day0;                /* first day of the range */
  size_t n_days;
  uint16_t *period_of_day;     /* n_days entries */
  /* groups */
  segkit_grouping *grouping;   /* NULL without group columns */
  const uint32_t *group_of_row;
  size_t n_groups;
} mapping;

static void mapping_free(mapping *m) {
  free(m->rate_of_code);
  free(m->kind_of_code);
  free(m->period_of_day);
  segkit_grouping_free(m->grouping);
}

static bool type_ok(int field, segkit_type t) {
  switch (field) {
  case F_CUSTOMER:
    return t == SEGKIT_TYPE_INT64 || t == SEGKIT_TYPE_STRING;
  case F_DATE:
    return t == SEGKIT_TYPE_DATE || t == SEGKIT_TYPE_TIMESTAMP;
  case F_AMOUNT:
    return t == SEGKIT_TYPE_INT64 || t == SEGKIT_TYPE_FLOAT64;
  default:
    return t == SEGKIT_TYPE_STRING;
  }
}

static const char *type_expected(int field) {
  static const char *const k_expected[F_COUNT] = {"int64 or string", "date or timestamp",
                                                  "int64 or float64", "string", "string"};
  return k_expected[field];
}

static segkit_status find_column(const segkit_table *t, int field, const char *name,
                                 colref *out, segkit_error *err) {
  const char *role = k_role[field];
  out->col = NULL;
  out->name = name;
  if (name == NULL) {
    if (field <= F_AMOUNT) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "no column mapped for the %s (expected a column name)", role);
    }
    return SEGKIT_OK;
  }
  long i = segkit_table_column_index(t, name);
  if (i < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                               "column '%s' (the %s) is not in the table", name, role);
  }
  const segkit_column *c = segkit_table_column(t, (size_t)i);
  segkit_type ty = segkit_column_type(c);
  if (!type_ok(field, ty)) {
    return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, name,
                               "column '%s' (the %s) is %s (expected %s)", name, role,
                               segkit_type_name(ty), type_expected(field));
  }
  out->col = c;
  out->type = ty;
  return SEGKIT_OK;
}

static segkit_status map_columns(const segkit_table *t, const segkit_revenue_columns *c,
                                 mapping *m, segkit_error *err) {
  const char *names[F_COUNT] = {c->customer, c->date, c->amount, c->currency, c->kind};
  for (int f = 0; f < F_COUNT; f++) {
    segkit_status s = find_column(t, f, names[f], &m->f[f], err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  if (c->n_group > MAX_GROUP_COLS || (c->n_group > 0 && c->group == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "%zu group columns given (expected at most %d)", c->n_group,
                            MAX_GROUP_COLS);
  }
  for (size_t i = 0; i < c->n_group; i++) {
    if (c->group[i] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "group column %zu has no name", i + 1);
    }
    if (segkit_table_column_index(t, c->group[i]) < 0) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, c->group[i],
                                 "column '%s' (a group column) is not in the table",
                                 c->group[i]);
    }
  }
  m->n_group_cols = c->n_group;
  return SEGKIT_OK;
}

/* ==== dictionaries: currencies and kinds ================================================= */

static int8_t parse_kind(const char *s) {
  static const char *const k_charge[] = {"charge", "payment", "sale", "invoice"};
  static const char *const k_refund[] = {"refund", "credit", "chargeback"};
  for (size_t i = 0; i < sizeof k_charge / sizeof k_charge[0]; i++) {
    if (strcasecmp(s, k_charge[i]) == 0) {
      return 1;
    }
  }
  for (size_t i = 0; i < sizeof k_refund / sizeof k_refund[0]; i++) {
    if (strcasecmp(s, k_refund[i]) == 0) {
      return -1;
    }
  }
  return 0;
}

/* Resolve each distinct currency and kind once; an unknown value is an error only when a
 * usable row uses it (checked per row, so the error names the first such row). */
static segkit_status resolve_dictionaries(mapping *m, const segkit_revenue_options *opt,
                                          segkit_error *err) {
  const segkit_column *kc = m->f[F_KIND].col;
  if (kc != NULL) {
    uint32_t nk = segkit_column_dict_size(kc);
    m->kind_of_code = calloc((size_t)nk + 1, 1);
    if (m->kind_of_code == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the kinds");
    }
    for (uint32_t code = 0; code < nk; code++) {
      m->kind_of_code[code] = parse_kind(segkit_column_dict_value(kc, code, NULL));
    }
  }
  const segkit_column *cc = m->f[F_CURRENCY].col;
  if (cc == NULL) {
    return SEGKIT_OK;
  }
  if (opt->n_rates > 0 && opt->rates == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "%zu exchange rates but no rates array",
                            opt->n_rates);
  }
  for (size_t i = 0; i < opt->n_rates; i++) {
    double r = opt->rates[i].rate;
    if (opt->rates[i].currency == NULL || !(r > 0.0) || !isfinite(r)) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "exchange rate %zu is invalid (expected a currency and a "
                              "finite rate > 0)",
                              i + 1);
    }
  }
  uint32_t nc = segkit_column_dict_size(cc);
  m->rate_of_code = calloc((size_t)nc + 1, sizeof *m->rate_of_code);
  if (m->rate_of_code == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the currencies");
  }
  for (uint32_t code = 0; code < nc; code++) {
    const char *s = segkit_column_dict_value(cc, code, NULL);
    for (size_t i = 0; i < opt->n_rates; i++) {
      if (strcasecmp(s, opt->rates[i].currency) == 0) {
        m->rate_of_code[code] = opt->rates[i].rate;
        break;
      }
    }
  }
  return SEGKIT_OK;
}

/* ==== periods ============================================================================ */

static int32_t floor_div(int32_t a, int32_t b) {
  int32_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Widen from..to to whole periods and tabulate the period of every day in the range, so a
 * row's period is one array lookup rather than a civil-date conversion. */
static segkit_status build_periods(mapping *m, const segkit_revenue_options *opt,
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
  int32_t from = in_calendar ? floor_div(opt->from_month, p) * p : 0;
  int32_t to = in_calendar ? floor_div(opt->to_month, p) * p + p - 1 : 0;
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

/* Groups are segkit_grouping's (table.h): the combinations of the group columns' values
 * that occur, in value order, a null a value of its own; the same grouping the MRR split
 * uses, so a segment has the same number in both. */
static segkit_status build_groups(const segkit_table *t, const segkit_revenue_columns *c,
                                  mapping *m, segkit_error *err) {
  if (c->n_group == 0) {
    return SEGKIT_OK;
  }
  segkit_status s = segkit_grouping_new(t, c->group, c->n_group, &m->grouping, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  m->group_of_row = segkit_grouping_codes(m->grouping);
  m->n_groups = segkit_grouping_n_groups(m->grouping);
  return SEGKIT_OK;
}

static segkit_status check_cells(const mapping *m, segkit_error *err) {
  uint64_t cells = ((uint64_t)m->n_groups + 1) * m->n_periods;
  /* The slot packs the group in 19 bits. */
  if (cells > MAX_CELLS || m->n_groups >= (UINT32_C(1) << (32 - SLOT_PERIOD_BITS - 2))) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "%zu groups x %zu periods is more than %u cells (expected fewer "
                            "groups or periods)",
                            m->n_groups, m->n_periods, (unsigned)MAX_CELLS);
  }
  return SEGKIT_OK;
}

/* ==== pass 1: rows -> (key, slot, cents) ================================================= */

typedef struct rows {
  size_t n_input;
  uint64_t *key;               /* customer key in unsigned order (int64 ^ sign bit, or code) */
  uint32_t *slot;              /* group << 13 | period << 2 | kind */
  int64_t *cents;              /* + charge, - refund */
  size_t n;                    /* counted rows, after compaction */
} rows;

static void rows_free(rows *r) {
  free(r->key);
  free(r->slot);
  free(r->cents);
}

/* One contiguous range of input rows. Counted rows are written from index r0 on, then
 * moved into place in range order. */
typedef struct part {
  const mapping *m;
  rows *rows;
  size_t r0, r1;
  size_t n_counted;
  segkit_mrr_skip *skips;
  size_t n_skips, skip_cap;
  char *const *field_names;    /* the result's copies, for the skips */
  int64_t total;               /* sum of |cents| of counted rows */
  segkit_status status;
  segkit_error err;
} part;

static bool is_null(const colref *c, size_t row) {
  return c->col != NULL && !segkit_column_is_valid(c->col, row);
}

static int null_required(const mapping *m, size_t row) {
  for (int f = 0; f < F_COUNT; f++) {
    if (is_null(&m->f[f], row)) {
      return f;
    }
  }
  return -1;
}

static segkit_status add_skip(part *p, size_t row, int field) {
  if (p->n_skips == p->skip_cap) {
    size_t nc = p->skip_cap ? p->skip_cap * 2 : 64;
    segkit_mrr_skip *q = realloc(p->skips, nc * sizeof *q);
    if (q == NULL) {
      return segkit_error_set(&p->err, SEGKIT_ERR_NOMEM, "no memory for the skipped rows");
    }
    p->skips = q;
    p->skip_cap = nc;
  }
  segkit_mrr_skip *sk = &p->skips[p->n_skips++];
  sk->row = row;
  sk->reason = SEGKIT_MRR_SKIP_NULL;
  sk->field = p->field_names[field];
  return SEGKIT_OK;
}

/* A timestamp counts from its UTC day (floor division: instants before 1970 too). */
static int64_t day_at(const colref *c, size_t row) {
  if (c->type == SEGKIT_TYPE_DATE) {
    return segkit_column_date(c->col)[row];
  }
  int64_t us = segkit_column_timestamp(c->col)[row];
  int64_t d = us / SEGKIT_US_PER_DAY;
  return us % SEGKIT_US_PER_DAY < 0 ? d - 1 : d;
}

static double amount_at(const colref *c, size_t row) {
  if (c->type == SEGKIT_TYPE_INT64) {
    return (double)segkit_column_int64(c->col)[row];
  }
  return segkit_column_float64(c->col)[row];
}

static segkit_status amount_error(const mapping *m, size_t row, double v, const char *what,
                                  segkit_error *err) {
  return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, 0, 0, m->f[F_AMOUNT].name,
                             "row %zu: amount %g is invalid (expected %s)", row + 1, v, what);
}

/* Direction (true = refund) and signed cents of a usable row. */
static segkit_status row_cents(const mapping *m, size_t row, bool *refund, int64_t *cents,
                               segkit_error *err) {
  double amount = amount_at(&m->f[F_AMOUNT], row);
  if (!isfinite(amount)) {
    return amount_error(m, row, amount, "a finite number", err);
  }
  bool is_refund = amount < 0.0;
  if (m->f[F_KIND].col != NULL) {
    uint32_t code = segkit_column_codes(m->f[F_KIND].col)[row];
    int8_t k = m->kind_of_code[code];
    if (k == 0) {
      return segkit_error_set_at(
          err, SEGKIT_ERR_PARSE, NULL, 0, 0, m->f[F_KIND].name,
          "row %zu: kind '%s' is unknown (expected charge, payment, sale, invoice, refund, "
          "credit or chargeback)",
          row + 1, segkit_column_dict_value(m->f[F_KIND].col, code, NULL));
    }
    if (k > 0 && amount < 0.0 && !m->negative_is_refund) {
      return amount_error(m, row, amount,
                          ">= 0 on a charge row; negative charges are refused unless they "
                          "are to count as refunds",
                          err);
    }
    is_refund = k < 0 || amount < 0.0;
  }
  double rate = 1.0;
  if (m->f[F_CURRENCY].col != NULL) {
    uint32_t code = segkit_column_codes(m->f[F_CURRENCY].col)[row];
    rate = m->rate_of_code[code];
    if (!(rate > 0.0)) {
      return segkit_error_set_at(
          err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, m->f[F_CURRENCY].name,
          "row %zu: currency '%s' has no exchange rate (expected it in the rates table)",
          row + 1, segkit_column_dict_value(m->f[F_CURRENCY].col, code, NULL));
    }
  }
  /* The magnitude in cents, in the MRR engine's order of operations (x 100, then x rate),
   * rounded once; the direction is applied after, so a refund rounds like its charge. */
  int64_t c = 0;
  if (sk__round_half_even_cents(fabs(amount) * 100.0 * rate, &c) != 0) {
    return amount_error(m, row, amount, "an amount below 2^53 cents", err);
  }
  *refund = is_refund;
  *cents = is_refund ? -c : c;
  return SEGKIT_OK;
}

static uint64_t customer_key(const mapping *m, size_t row) {
  const colref *c = &m->f[F_CUSTOMER];
  if (c->type == SEGKIT_TYPE_STRING) {
    return segkit_column_codes(c->col)[row];
  }
  return (uint64_t)segkit_column_int64(c->col)[row] ^ (UINT64_C(1) << 63);
}

static segkit_status total_error(const mapping *m, segkit_error *err) {
  return segkit_error_set_at(err, SEGKIT_ERR_LIMIT, NULL, 0, 0, m->f[F_AMOUNT].name,
                             "the amounts add up to more than %lld cents (expected smaller "
                             "amounts)",
                             (long long)TOTAL_LIMIT);
}

static segkit_status take_row(part *p, size_t row) {
  const mapping *m = p->m;
  int nf = null_required(m, row);
  if (nf >= 0) {
    return add_skip(p, row, nf);
  }
  bool refund = false;
  int64_t cents = 0;
  segkit_status s = row_cents(m, row, &refund, &cents, &p->err);
  if (s != SEGKIT_OK) {
    return s;
  }
  int64_t d = day_at(&m->f[F_DATE], row) - m->day0;
  if (d < 0 || d >= (int64_t)m->n_days) {
    return SEGKIT_OK; /* outside the range: checked, not counted */
  }
  int64_t mag = cents < 0 ? -cents : cents;
  if (mag > TOTAL_LIMIT - p->total) {
    return total_error(m, &p->err);
  }
  p->total += mag;
  uint32_t g = m->group_of_row != NULL ? m->group_of_row[row] : 0;
  uint32_t kind = refund ? KIND_REFUND : (cents > 0 ? KIND_PAYING : KIND_CHARGE);
  size_t k = p->r0 + p->n_counted++;
  rows *r = p->rows;
  r->key[k] = customer_key(m, row);
  r->slot[k] = g << (SLOT_PERIOD_BITS + 2) | (uint32_t)m->period_of_day[d] << 2 | kind;
  r->cents[k] = cents;
  return SEGKIT_OK;
}

static void *run_part(void *arg) {
  part *p = arg;
  for (size_t row = p->r0; row < p->r1; row++) {
    segkit_status s = take_row(p, row);
    if (s != SEGKIT_OK) {
      p->status = s;
      break;
    }
  }
  return NULL;
}

/* Run fn on args[0..n) (each of size `size`), n - 1 of them on new threads; a thread that
 * cannot be started runs on the caller's thread instead. */
static void run_parallel(void *(*fn)(void *), void *args, size_t size, int n) {
  pthread_t tids[SK__MRR_MAX_THREADS];
  bool started[SK__MRR_MAX_THREADS] = {false};
  char *base = args;
  for (int i = 1; i < n; i++) {
    started[i] = pthread_create(&tids[i], NULL, fn, base + (size_t)i * size) == 0;
  }
  fn(base);
  for (int i = 1; i < n; i++) {
    if (started[i]) {
      pthread_join(tids[i], NULL);
    } else {
      fn(base + (size_t)i * size);
    }
  }
}

/* Join the parts in row order; the first failing range's error is the first in row order. */
static segkit_status merge_parts(const mapping *m, rows *r, part *parts, int np,
                                 segkit_revenue_result *res, segkit_error *err) {
  size_t n_skips = 0;
  for (int i = 0; i < np; i++) {
    if (parts[i].status != SEGKIT_OK) {
      if (err != NULL) {
        *err = parts[i].err;
      }
      return parts[i].status;
    }
    n_skips += parts[i].n_skips;
  }
  int64_t total = 0;
  size_t k = 0;
  for (int i = 0; i < np; i++) {
    if (parts[i].total > TOTAL_LIMIT - total) {
      return total_error(m, err);
    }
    total += parts[i].total;
    size_t n = parts[i].n_counted;
    memmove(r->key + k, r->key + parts[i].r0, n * sizeof *r->key);
    memmove(r->slot + k, r->slot + parts[i].r0, n * sizeof *r->slot);
    memmove(r->cents + k, r->cents + parts[i].r0, n * sizeof *r->cents);
    k += n;
  }
  r->n = k;
  res->skips = malloc((n_skips ? n_skips : 1) * sizeof *res->skips);
  if (res->skips == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the skipped rows");
  }
  for (int i = 0; i < np; i++) {
    if (parts[i].n_skips > 0) {
      memcpy(res->skips + res->n_skips, parts[i].skips,
             parts[i].n_skips * sizeof *res->skips);
      res->n_skips += parts[i].n_skips;
    }
  }
  res->rows_used = r->n_input - res->n_skips;
  res->rows_counted = k;
  return SEGKIT_OK;
}

static segkit_status pass_rows(const mapping *m, int n_threads, rows *r,
                               segkit_revenue_result *res, segkit_error *err) {
  size_t n = r->n_input;
  size_t k = n ? n : 1;
  r->key = malloc(k * sizeof *r->key);
  r->slot = malloc(k * sizeof *r->slot);
  r->cents = malloc(k * sizeof *r->cents);
  if (r->key == NULL || r->slot == NULL || r->cents == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu transactions", n);
  }
  int np = sk__mrr_thread_count(n_threads, n);
  part parts[SK__MRR_MAX_THREADS];
  memset(parts, 0, sizeof parts);
  for (int i = 0; i < np; i++) {
    parts[i].m = m;
    parts[i].rows = r;
    parts[i].r0 = n * (size_t)i / (size_t)np;
    parts[i].r1 = n * (size_t)(i + 1) / (size_t)np;
    parts[i].field_names = res->field_names;
  }
  run_parallel(run_part, parts, sizeof parts[0], np);
  segkit_status s = merge_parts(m, r, parts, np, res, err);
  for (int i = 0; i < np; i++) {
    free(parts[i].skips);
  }
  return s;
}

/* ==== grouping by customer =============================================================== */

static bool keys_sorted(const uint64_t *key, size_t n) {
  for (size_t i = 1; i < n; i++) {
    if (key[i] < key[i - 1]) {
      return false;
    }
  }
  return true;
}

/* Stable LSD radix sort of (key, index) pairs, 8 bits a pass; a byte equal in every key is
 * skipped (ids below 2^24 take 3 passes). On success *keys is the sorted key array (the
 * old one freed) and *perm_out the row of each sorted position. */
static segkit_status sort_by_key(uint64_t **keys, size_t n, uint32_t **perm_out,
                                 segkit_error *err) {
  uint64_t *ka = *keys;
  uint64_t *kb = malloc((n ? n : 1) * sizeof *kb);
  uint32_t *a = malloc((n ? n : 1) * sizeof *a);
  uint32_t *b = malloc((n ? n : 1) * sizeof *b);
  size_t(*hist)[256] = calloc(8, sizeof *hist);
  if (kb == NULL || a == NULL || b == NULL || hist == NULL) {
    free(kb);
    free(a);
    free(b);
    free(hist);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to sort %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) {
    a[i] = (uint32_t)i;
    for (int p = 0; p < 8; p++) {
      hist[p][(ka[i] >> (8 * p)) & 0xff]++;
    }
  }
  for (int p = 0; p < 8; p++) {
    if (n == 0 || hist[p][(ka[0] >> (8 * p)) & 0xff] == n) {
      continue;
    }
    size_t pos = 0;
    for (int d = 0; d < 256; d++) {
      size_t c = hist[p][d];
      hist[p][d] = pos;
      pos += c;
    }
    for (size_t i = 0; i < n; i++) {
      size_t to = hist[p][(ka[i] >> (8 * p)) & 0xff]++;
      kb[to] = ka[i];
      b[to] = a[i];
    }
    uint64_t *kt = ka;
    ka = kb;
    kb = kt;
    uint32_t *t = a;
    a = b;
    b = t;
  }
  free(kb);
  free(b);
  free(hist);
  *keys = ka;
  *perm_out = a;
  return SEGKIT_OK;
}

/* Counting sort for dense keys (dictionary codes, ids 1..n: the usual case): one pass
 * counts the rows of each key, one moves every row's slot and cents to its customer's
 * place (stable), then the keys are written in order. About three times faster than the
 * radix sort and its gather on 20 M rows, and the second pass then reads sequentially. */
static segkit_status counting_sort(rows *r, uint64_t lo, size_t span, segkit_error *err) {
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
static segkit_status group_by_key(rows *r, uint32_t **perm, segkit_error *err) {
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
  return sort_by_key(&r->key, r->n, perm, err);
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
  const rows *rows;
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
  if (kind == KIND_REFUND) {
    c->refunds -= cents;
    c->n_refunds++;
    return;
  }
  c->charges += cents;
  c->n_charges++;
  /* A customer's rows are contiguous, so "stamp differs" means "first paying charge of
   * this customer in this cell". */
  if (kind == KIND_PAYING && *stamp != customer) {
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
    size_t period = (slot >> 2) & ((1u << SLOT_PERIOD_BITS) - 1);
    size_t g = slot >> (SLOT_PERIOD_BITS + 2);
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

/* Customer boundaries in key order, and the customers' keys. */
static segkit_status find_customers(const uint64_t *key, size_t n, bool string_keys,
                                    size_t **off_out, segkit_revenue_result *res,
                                    segkit_error *err) {
  size_t nc = 0;
  for (size_t i = 0; i < n; i++) {
    nc += i == 0 || key[i] != key[i - 1];
  }
  size_t *off = malloc((nc + 1) * sizeof *off);
  res->customer_key = malloc((nc ? nc : 1) * sizeof *res->customer_key);
  res->customer_net = malloc((nc ? nc : 1) * sizeof *res->customer_net);
  if (off == NULL || res->customer_key == NULL || res->customer_net == NULL) {
    free(off);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", nc);
  }
  size_t c = 0;
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || key[i] != key[i - 1]) {
      off[c] = i;
      res->customer_key[c] =
          string_keys ? (int64_t)key[i] : (int64_t)(key[i] ^ (UINT64_C(1) << 63));
      c++;
    }
  }
  off[nc] = n;
  res->n_customers = nc;
  *off_out = off;
  return SEGKIT_OK;
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

static segkit_status run_jobs(const rows *r, const uint32_t *perm, const size_t *off,
                              const mapping *m, int n_threads, segkit_revenue_result *res,
                              segkit_error *err) {
  int nt = sk__mrr_thread_count(n_threads, res->n_customers);
  job jobs[SK__MRR_MAX_THREADS];
  memset(jobs, 0, sizeof jobs);
  size_t c = 0;
  for (int t = 0; t < nt; t++) {
    /* Split by rows rather than customers, so heavy customers spread evenly. */
    size_t want = r->n * (size_t)(t + 1) / (size_t)nt;
    jobs[t].c0 = c;
    while (c < res->n_customers && off[c] < want) {
      c++;
    }
    jobs[t].c1 = t == nt - 1 ? res->n_customers : c;
    jobs[t].rows = r;
    jobs[t].perm = perm;
    jobs[t].cust_off = off;
    jobs[t].n_periods = m->n_periods;
    jobs[t].n_groups = m->n_groups;
    jobs[t].customer_net = res->customer_net;
  }
  run_parallel(run_job, jobs, sizeof jobs[0], nt);
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

/* ==== the invariants ====================================================================== */

static segkit_status check_invariants(const segkit_revenue_result *r) {
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

/* ==== driver ============================================================================== */

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p != NULL) {
    memcpy(p, s, n);
  }
  return p;
}

static segkit_status copy_names(const mapping *m, segkit_revenue_result *res,
                                segkit_error *err) {
  for (int f = 0; f < F_COUNT; f++) {
    if (m->f[f].name == NULL) {
      continue;
    }
    res->field_names[f] = dup_string(m->f[f].name);
    if (res->field_names[f] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for column names");
    }
  }
  size_t k = m->n_group_cols;
  if (k == 0) {
    return SEGKIT_OK;
  }
  res->group_values = calloc(m->n_groups * k + 1, sizeof *res->group_values);
  if (res->group_values == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for group names");
  }
  res->n_groups = m->n_groups;
  res->n_group_cols = k;
  for (size_t g = 0; g < m->n_groups; g++) {
    for (size_t i = 0; i < k; i++) {
      res->group_values[g * k + i] = dup_string(segkit_grouping_value(m->grouping, g, i));
      if (res->group_values[g * k + i] == NULL) {
        return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for group names");
      }
    }
  }
  return SEGKIT_OK;
}

static segkit_status prepare(const segkit_table *t, const segkit_revenue_options *opt,
                             mapping *m, segkit_revenue_result *res, segkit_error *err) {
  m->negative_is_refund = opt->negative_charge_is_refund;
  segkit_status s = build_periods(m, opt, err);
  if (s == SEGKIT_OK) {
    s = map_columns(t, &opt->columns, m, err);
  }
  if (s == SEGKIT_OK) {
    s = resolve_dictionaries(m, opt, err);
  }
  if (s == SEGKIT_OK) {
    s = build_groups(t, &opt->columns, m, err);
  }
  if (s == SEGKIT_OK) {
    s = check_cells(m, err);
  }
  if (s == SEGKIT_OK) {
    s = copy_names(m, res, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  res->from_month = m->from_month;
  res->period_months = m->period_months;
  res->n_periods = m->n_periods;
  res->periods = calloc((m->n_groups + 1) * m->n_periods, sizeof *res->periods);
  if (res->periods == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the periods");
  }
  return SEGKIT_OK;
}

static segkit_status compute(const segkit_table *t, const segkit_revenue_options *opt,
                             segkit_revenue_result *res, segkit_error *err) {
  mapping m;
  memset(&m, 0, sizeof m);
  rows r;
  memset(&r, 0, sizeof r);
  r.n_input = segkit_table_n_rows(t);
  uint32_t *perm = NULL;
  size_t *off = NULL;
  segkit_status s = prepare(t, opt, &m, res, err);
  if (s == SEGKIT_OK) {
    s = pass_rows(&m, opt->n_threads, &r, res, err);
  }
  if (s == SEGKIT_OK && !keys_sorted(r.key, r.n)) {
    s = group_by_key(&r, &perm, err);
  }
  if (s == SEGKIT_OK) {
    s = find_customers(r.key, r.n, m.f[F_CUSTOMER].type == SEGKIT_TYPE_STRING, &off, res, err);
  }
  if (s == SEGKIT_OK) {
    s = run_jobs(&r, perm, off, &m, opt->n_threads, res, err);
  }
  if (s == SEGKIT_OK && check_invariants(res) != SEGKIT_OK) {
    s = segkit_error_set(err, SEGKIT_ERR_INTERNAL,
                         "revenue does not reconcile (groups or customers do not add up to "
                         "the totals)");
  }
  free(off);
  free(perm);
  rows_free(&r);
  mapping_free(&m);
  return s;
}

segkit_status segkit_revenue_compute(const segkit_table *transactions,
                                     const segkit_revenue_options *opt,
                                     segkit_revenue_result **out, segkit_error *err) {
  if (transactions == NULL || opt == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_revenue_compute: NULL argument");
  }
  if (segkit_table_n_rows(transactions) >= UINT32_MAX) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "too many transactions (at most %u)",
                            UINT32_MAX - 1);
  }
  segkit_revenue_result *res = calloc(1, sizeof *res);
  if (res == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the revenue result");
  }
  segkit_status s = compute(transactions, opt, res, err);
  if (s != SEGKIT_OK) {
    segkit_revenue_result_free(res);
    return s;
  }
  *out = res;
  return SEGKIT_OK;
}

/* ==== getters ============================================================================= */

void segkit_revenue_result_free(segkit_revenue_result *r) {
  if (r == NULL) {
    return;
  }
  if (r->group_values != NULL) {
    for (size_t i = 0; i < r->n_groups * r->n_group_cols; i++) {
      free(r->group_values[i]);
    }
  }
  free(r->group_values);
  free(r->periods);
  free(r->customer_key);
  free(r->customer_net);
  free(r->skips);
  for (int f = 0; f < F_COUNT; f++) {
    free(r->field_names[f]);
  }
  free(r);
}

size_t segkit_revenue_n_periods(const segkit_revenue_result *r) {
  return r->n_periods;
}

int segkit_revenue_period_months(const segkit_revenue_result *r) {
  return r->period_months;
}

int32_t segkit_revenue_from_month(const segkit_revenue_result *r) {
  return r->from_month;
}

int32_t segkit_revenue_to_month(const segkit_revenue_result *r) {
  return r->from_month + (int32_t)(r->n_periods * (size_t)r->period_months) - 1;
}

size_t segkit_revenue_n_groups(const segkit_revenue_result *r) {
  return r->n_groups;
}

const char *segkit_revenue_group_value(const segkit_revenue_result *r, size_t group,
                                       size_t col) {
  if (group >= r->n_groups || col >= r->n_group_cols) {
    return NULL;
  }
  return r->group_values[group * r->n_group_cols + col];
}

const segkit_revenue_period *segkit_revenue_periods(const segkit_revenue_result *r,
                                                    size_t group) {
  if (group == SEGKIT_REVENUE_ALL) {
    return r->periods;
  }
  if (group >= r->n_groups) {
    return NULL;
  }
  return r->periods + (group + 1) * r->n_periods;
}

size_t segkit_revenue_n_customers(const segkit_revenue_result *r) {
  return r->n_customers;
}

int64_t segkit_revenue_customer_key(const segkit_revenue_result *r, size_t customer) {
  return customer < r->n_customers ? r->customer_key[customer] : 0;
}

long segkit_revenue_customer_find(const segkit_revenue_result *r, int64_t key) {
  size_t lo = 0;
  size_t hi = r->n_customers;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->customer_key[mid] < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < r->n_customers && r->customer_key[lo] == key ? (long)lo : -1;
}

const int64_t *segkit_revenue_customer_net(const segkit_revenue_result *r) {
  return r->customer_net;
}

const segkit_mrr_skip *segkit_revenue_skipped(const segkit_revenue_result *r, size_t *n) {
  *n = r->n_skips;
  return r->skips;
}

size_t segkit_revenue_rows_used(const segkit_revenue_result *r) {
  return r->rows_used;
}

size_t segkit_revenue_rows_counted(const segkit_revenue_result *r) {
  return r->rows_counted;
}
