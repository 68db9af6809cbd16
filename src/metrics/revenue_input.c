/* Revenue input: maps the transactions table's columns (customer, date, amount, optional
 * currency and kind), resolves each distinct currency and kind once, and converts every
 * row into (customer key, packed period/group/kind slot, signed cents) or a skip.
 *
 * Key design choice: pass 1 runs over contiguous row ranges on worker threads
 * (parallel.c); each row is checked and its amount converted once to integer cents of the
 * reporting currency (|amount| x 100 x rate, rounded half to even, as the MRR engine
 * does), and the three values of a counted row are compacted in row order, so skips and
 * the first error are in row order whatever the thread count. A null in a required
 * column skips the row (listed with its column); anything else wrong with a usable row
 * is an error naming the row, column and value. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics/metrics_int.h"

#define MAX_GROUP_COLS 8

static const char *const k_role[SK__REV_F_COUNT] = {"customer", "date", "amount", "currency",
                                                    "kind"};

/* ==== column mapping ===================================================================== */

void sk__rev_mapping_free(sk__rev_mapping *m) {
  free(m->rate_of_code);
  free(m->kind_of_code);
  free(m->period_of_day);
  segkit_grouping_free(m->grouping);
}

static segkit_status map_group_columns(const segkit_table *t, const segkit_revenue_columns *c,
                                       sk__rev_mapping *m, segkit_error *err) {
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

static segkit_status map_columns(const segkit_table *t, const segkit_revenue_columns *c,
                                 sk__rev_mapping *m, segkit_error *err) {
  static const sk__col_kind k_kind[SK__REV_F_COUNT] = {SK__COL_KEY, SK__COL_DAY, SK__COL_NUMBER,
                                                       SK__COL_STRING, SK__COL_STRING};
  const char *names[SK__REV_F_COUNT] = {c->customer, c->date, c->amount, c->currency, c->kind};
  for (int f = 0; f < SK__REV_F_COUNT; f++) {
    bool required = f <= SK__REV_F_AMOUNT;
    segkit_status s = sk__find_column(t, names[f], k_role[f], required, k_kind[f], &m->f[f], err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return map_group_columns(t, c, m, err);
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
static segkit_status resolve_dictionaries(sk__rev_mapping *m, const segkit_revenue_options *opt,
                                          segkit_error *err) {
  const segkit_column *kc = m->f[SK__REV_F_KIND].col;
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
  const segkit_column *cc = m->f[SK__REV_F_CURRENCY].col;
  if (cc == NULL) {
    return SEGKIT_OK;
  }
  if (opt->n_rates > 0 && opt->rates == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "%zu exchange rates but no rates array",
                            opt->n_rates);
  }
  return sk__resolve_rates(cc, opt->rates, opt->n_rates, &m->rate_of_code, err);
}

segkit_status sk__rev_map_columns(const segkit_table *t, const segkit_revenue_options *opt,
                                  sk__rev_mapping *m, segkit_error *err) {
  segkit_status s = map_columns(t, &opt->columns, m, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  return resolve_dictionaries(m, opt, err);
}

/* ==== pass 1: rows -> (key, slot, cents) ================================================= */

void sk__rev_rows_free(sk__rev_rows *r) {
  free(r->key);
  free(r->slot);
  free(r->cents);
}

/* One contiguous range of input rows (see sk__row_range). */
typedef struct part {
  sk__row_range *range;
  const sk__rev_mapping *m;
  sk__rev_rows *rows;
  char *const *field_names;    /* the result's copies, for the skips */
} part;

static int null_required(const sk__rev_mapping *m, size_t row) {
  for (int f = 0; f < SK__REV_F_COUNT; f++) {
    if (sk__is_null(&m->f[f], row)) {
      return f;
    }
  }
  return -1;
}

static segkit_status amount_error(const sk__rev_mapping *m, size_t row, double v,
                                  const char *what, segkit_error *err) {
  return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, 0, 0, m->f[SK__REV_F_AMOUNT].name,
                             "row %zu: amount %g is invalid (expected %s)", row + 1, v, what);
}

/* Direction (true = refund) and signed cents of a usable row. */
static segkit_status row_cents(const sk__rev_mapping *m, size_t row, bool *refund,
                               int64_t *cents, segkit_error *err) {
  double amount = sk__number_at(&m->f[SK__REV_F_AMOUNT], row);
  if (!isfinite(amount)) {
    return amount_error(m, row, amount, "a finite number", err);
  }
  bool is_refund = amount < 0.0;
  const sk__colref *kc = &m->f[SK__REV_F_KIND];
  if (kc->col != NULL) {
    uint32_t code = segkit_column_codes(kc->col)[row];
    int8_t k = m->kind_of_code[code];
    if (k == 0) {
      return segkit_error_set_at(
          err, SEGKIT_ERR_PARSE, NULL, 0, 0, kc->name,
          "row %zu: kind '%s' is unknown (expected charge, payment, sale, invoice, refund, "
          "credit or chargeback)",
          row + 1, segkit_column_dict_value(kc->col, code, NULL));
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
  const sk__colref *cc = &m->f[SK__REV_F_CURRENCY];
  if (cc->col != NULL) {
    uint32_t code = segkit_column_codes(cc->col)[row];
    rate = m->rate_of_code[code];
    if (!(rate > 0.0)) {
      return segkit_error_set_at(
          err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, cc->name,
          "row %zu: currency '%s' has no exchange rate (expected it in the rates table)",
          row + 1, segkit_column_dict_value(cc->col, code, NULL));
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

static segkit_status total_error(const sk__rev_mapping *m, segkit_error *err) {
  return segkit_error_set_at(err, SEGKIT_ERR_LIMIT, NULL, 0, 0, m->f[SK__REV_F_AMOUNT].name,
                             "the amounts add up to more than %lld cents (expected smaller "
                             "amounts)",
                             (long long)SK__REV_TOTAL_LIMIT);
}

static segkit_status take_row(part *p, size_t row) {
  const sk__rev_mapping *m = p->m;
  sk__row_range *rg = p->range;
  int nf = null_required(m, row);
  if (nf >= 0) {
    return sk__row_range_skip(rg, row, SEGKIT_MRR_SKIP_NULL, p->field_names[nf]);
  }
  bool refund = false;
  int64_t cents = 0;
  segkit_status s = row_cents(m, row, &refund, &cents, &rg->err);
  if (s != SEGKIT_OK) {
    return s;
  }
  int64_t d = (int64_t)sk__day_at(&m->f[SK__REV_F_DATE], row) - m->day0;
  if (d < 0 || d >= (int64_t)m->n_days) {
    return SEGKIT_OK; /* outside the range: checked, not counted */
  }
  int64_t mag = cents < 0 ? -cents : cents;
  if (mag > SK__REV_TOTAL_LIMIT - rg->total) {
    return total_error(m, &rg->err);
  }
  rg->total += mag;
  uint32_t g = m->group_of_row != NULL ? m->group_of_row[row] : 0;
  uint32_t kind = refund ? SK__REV_KIND_REFUND
                         : (cents > 0 ? SK__REV_KIND_PAYING : SK__REV_KIND_CHARGE);
  size_t k = rg->r0 + rg->n_kept++;
  sk__rev_rows *r = p->rows;
  r->key[k] = sk__customer_key_at(&m->f[SK__REV_F_CUSTOMER], row);
  r->slot[k] = g << (SK__REV_SLOT_PERIOD_BITS + 2) | (uint32_t)m->period_of_day[d] << 2 | kind;
  r->cents[k] = cents;
  return SEGKIT_OK;
}

static void *run_part(void *arg) {
  part *p = arg;
  for (size_t row = p->range->r0; row < p->range->r1; row++) {
    segkit_status s = take_row(p, row);
    if (s != SEGKIT_OK) {
      p->range->status = s;
      break;
    }
  }
  return NULL;
}

/* Join the ranges in row order; the first failing range's error is the first in row
 * order. */
static segkit_status merge_ranges(const sk__rev_mapping *m, sk__rev_rows *r, sk__row_range *rr,
                                  int np, segkit_revenue_result *res, segkit_error *err) {
  segkit_status s = sk__row_ranges_first_error(rr, np, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (!sk__row_ranges_total_fits(rr, np, SK__REV_TOTAL_LIMIT)) {
    return total_error(m, err);
  }
  size_t k = 0;
  for (int i = 0; i < np; i++) {
    size_t n = rr[i].n_kept;
    memmove(r->key + k, r->key + rr[i].r0, n * sizeof *r->key);
    memmove(r->slot + k, r->slot + rr[i].r0, n * sizeof *r->slot);
    memmove(r->cents + k, r->cents + rr[i].r0, n * sizeof *r->cents);
    k += n;
  }
  r->n = k;
  s = sk__row_ranges_join_skips(rr, np, &res->skips, &res->n_skips, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  res->rows_used = r->n_input - res->n_skips;
  res->rows_counted = k;
  return SEGKIT_OK;
}

segkit_status sk__rev_rows_build(const sk__rev_mapping *m, int n_threads, sk__rev_rows *r,
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
  sk__row_range ranges[SK__MRR_MAX_THREADS];
  part parts[SK__MRR_MAX_THREADS];
  sk__row_ranges_init(ranges, np, n);
  for (int i = 0; i < np; i++) {
    parts[i].range = &ranges[i];
    parts[i].m = m;
    parts[i].rows = r;
    parts[i].field_names = res->field_names;
  }
  sk__run_workers(run_part, parts, sizeof parts[0], np);
  segkit_status s = merge_ranges(m, r, ranges, np, res, err);
  sk__row_ranges_free(ranges, np);
  return s;
}
