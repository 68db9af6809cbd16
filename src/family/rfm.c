/* RFM: recency, frequency and monetary per customer from a transactions log, their
 * quintile scores and the named segments (segkit/family.h; definitions in
 * docs/segments.md).
 *
 * Key design choice: one pass over the rows, no sort and no hash in the common case. The
 * customer key maps to a dense slot (keymap.c: key - min for compact integer ids, the
 * dictionary code for strings), and each thread folds its contiguous row range into its
 * own flat per-slot arrays (last charge day, charges, net cents), merged slot by slot
 * after. Scores need only the four NTILE cut-points of each measure, found by selection
 * (quantiles.c) rather than by sorting, then one comparison pass. Rows are checked exactly
 * as the revenue engine checks them (src/metrics/revenue_input.c), so the same log gives
 * the same cents: |amount| x 100 x rate rounded half to even. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "family/family_int.h"

#define N_SCORES 5
#define MAX_RULES 64
/* Largest magnitude of one row in cents: below 2^52 the rounding below is exact. */
#define ROW_CENTS_LIMIT 0x1p52

struct segkit_rfm_result {
  size_t n;
  int64_t *keys;
  int32_t *recency;
  int64_t *freq;
  int64_t *net;
  uint8_t *r, *f, *m;
  uint16_t *seg;
  int64_t edges[3][N_SCORES - 1];
  size_t n_edges;
  size_t n_rules;
  char **names;              /* n_rules + 1: the rules' names, then "Others" */
  size_t *seg_count;
  size_t rows_skipped, rows_counted, n_without_charge;
  char *customer_column;     /* name of the customer column, for segkit_rfm_table */
  segkit_type customer_type;
};

/* ==== options and mapping ================================================================ */

segkit_rfm_columns segkit_rfm_columns_default(void) {
  segkit_rfm_columns c = {"customer_id", "timestamp", "amount", "kind", NULL};
  return c;
}

void segkit_rfm_options_init(segkit_rfm_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->columns = segkit_rfm_columns_default();
  opt->since = INT32_MIN;
}

typedef struct mapping {
  sk__fam_col cust, date, amount, kind, cur;
  int8_t *kind_of_code;     /* 1 charge, -1 refund, 0 unknown */
  double *rate_of_code;     /* 0 = no rate */
  bool negative_is_refund;
  int32_t since, as_of;
  sk__keymap km;
} mapping;

static void mapping_free(mapping *m) {
  free(m->kind_of_code);
  free(m->rate_of_code);
  sk__keymap_free(&m->km);
}

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

static segkit_status map_kinds(mapping *m, segkit_error *err) {
  if (m->kind.col == NULL) {
    return SEGKIT_OK;
  }
  uint32_t nk = segkit_column_dict_size(m->kind.col);
  m->kind_of_code = calloc((size_t)nk + 1, 1);
  if (m->kind_of_code == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the kinds");
  }
  for (uint32_t code = 0; code < nk; code++) {
    m->kind_of_code[code] = parse_kind(segkit_column_dict_value(m->kind.col, code, NULL));
  }
  return SEGKIT_OK;
}

static segkit_status map_rates(mapping *m, const segkit_rfm_options *opt, segkit_error *err) {
  if (m->cur.col == NULL) {
    return SEGKIT_OK;
  }
  if (opt->n_rates > 0 && opt->rates == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "%zu exchange rates but no rates array",
                            opt->n_rates);
  }
  for (size_t i = 0; i < opt->n_rates; i++) {
    if (opt->rates[i].currency == NULL || !(opt->rates[i].rate > 0.0) ||
        !isfinite(opt->rates[i].rate)) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "exchange rate %zu is invalid (expected a currency and a "
                              "finite rate > 0)",
                              i + 1);
    }
  }
  uint32_t nc = segkit_column_dict_size(m->cur.col);
  m->rate_of_code = calloc((size_t)nc + 1, sizeof *m->rate_of_code);
  if (m->rate_of_code == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the currencies");
  }
  for (uint32_t code = 0; code < nc; code++) {
    const char *name = segkit_column_dict_value(m->cur.col, code, NULL);
    for (size_t i = 0; i < opt->n_rates; i++) {
      if (strcasecmp(name, opt->rates[i].currency) == 0) {
        m->rate_of_code[code] = opt->rates[i].rate;
        break;
      }
    }
  }
  return SEGKIT_OK;
}

static segkit_status map_columns(const segkit_table *t, const segkit_rfm_options *opt,
                                 mapping *m, segkit_error *err) {
  const segkit_rfm_columns *c = &opt->columns;
  segkit_status s =
      sk__fam_find(t, c->customer, "customer", SK__FAM_KEY_TYPES, true, &m->cust, err);
  if (s == SEGKIT_OK) {
    s = sk__fam_find(t, c->date, "date", SK__FAM_DAY_TYPES, true, &m->date, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__fam_find(t, c->amount, "amount", SK__FAM_NUM_TYPES, true, &m->amount, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__fam_find(t, c->kind, "kind", SK__FAM_STR_TYPES, false, &m->kind, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__fam_find(t, c->currency, "currency", SK__FAM_STR_TYPES, false, &m->cur, err);
  }
  if (s == SEGKIT_OK) {
    s = map_kinds(m, err);
  }
  if (s == SEGKIT_OK) {
    s = map_rates(m, opt, err);
  }
  return s;
}

static segkit_status check_rules(const segkit_rfm_rule *rules, size_t n, segkit_error *err) {
  if (n < 1 || n > MAX_RULES) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "%zu RFM rules (expected 1 to %d)", n,
                            MAX_RULES);
  }
  for (size_t i = 0; i < n; i++) {
    const segkit_rfm_rule *r = &rules[i];
    bool ok = r->name != NULL && r->r_lo >= 1 && r->r_lo <= r->r_hi && r->r_hi <= N_SCORES &&
              r->f_lo >= 1 && r->f_lo <= r->f_hi && r->f_hi <= N_SCORES && r->m_lo >= 1 &&
              r->m_lo <= r->m_hi && r->m_hi <= N_SCORES;
    if (!ok) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "RFM rule %zu is invalid (expected a name and score ranges "
                              "lo..hi within 1..5)",
                              i + 1);
    }
  }
  return SEGKIT_OK;
}

/* ==== the pass over the rows ============================================================= */

typedef struct part {
  const mapping *m;
  size_t r0, r1;
  uint32_t *last;            /* biased day of the last charge: day ^ 0x80000000, 0 = none */
  int64_t *freq;
  int64_t *net;
  uint8_t *seen;             /* had a counted row */
  size_t skipped, counted;
  segkit_status status;
  segkit_error err;
} part;

static segkit_status row_error(part *p, segkit_status code, const char *field, size_t row,
                               const char *fmt, double v) {
  char what[256];
  snprintf(what, sizeof what, fmt, v);
  return segkit_error_set_at(&p->err, code, NULL, 0, 0, field, "row %zu: %s", row + 1, what);
}

static bool row_has_null(const mapping *m, size_t row) {
  return sk__fam_is_null(&m->cust, row) || sk__fam_is_null(&m->date, row) ||
         sk__fam_is_null(&m->amount, row) || (m->kind.col && sk__fam_is_null(&m->kind, row)) ||
         (m->cur.col && sk__fam_is_null(&m->cur, row));
}

/* Signed cents of a usable row (negative = a refund), or an error. */
static segkit_status row_cents(part *p, size_t row, int64_t *cents) {
  const mapping *m = p->m;
  double amount = sk__fam_number(&m->amount, row);
  if (!isfinite(amount)) {
    return row_error(p, SEGKIT_ERR_PARSE, m->amount.name, row,
                     "amount %g is invalid (expected a finite number)", amount);
  }
  bool refund = amount < 0.0;
  if (m->kind.col != NULL) {
    uint32_t code = ((const uint32_t *)m->kind.data)[row];
    int8_t k = m->kind_of_code[code];
    if (k == 0) {
      return segkit_error_set_at(&p->err, SEGKIT_ERR_PARSE, NULL, 0, 0, m->kind.name,
                                 "row %zu: kind '%s' is unknown (expected charge, payment, "
                                 "sale, invoice, refund, credit or chargeback)",
                                 row + 1, segkit_column_dict_value(m->kind.col, code, NULL));
    }
    if (k > 0 && refund && !m->negative_is_refund) {
      return row_error(p, SEGKIT_ERR_PARSE, m->amount.name, row,
                       "amount %g is invalid (expected >= 0 on a charge row; negative "
                       "charges are refused unless they are to count as refunds)",
                       amount);
    }
    refund = refund || k < 0;
  }
  double rate = 1.0;
  if (m->cur.col != NULL) {
    uint32_t code = ((const uint32_t *)m->cur.data)[row];
    rate = m->rate_of_code[code];
    if (!(rate > 0.0)) {
      return segkit_error_set_at(&p->err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, m->cur.name,
                                 "row %zu: currency '%s' has no exchange rate (expected it "
                                 "in the rates table)",
                                 row + 1, segkit_column_dict_value(m->cur.col, code, NULL));
    }
  }
  double v = fabs(amount) * 100.0 * rate;
  if (!(v < ROW_CENTS_LIMIT)) {
    return row_error(p, SEGKIT_ERR_PARSE, m->amount.name, row,
                     "amount %g is invalid (expected less than 2^52 cents)", amount);
  }
  /* Round half to even: adding 2^52 leaves no fraction bits, and the FPU's default
   * rounding (to nearest, ties to even) does the rest; no libm call on the hot path. */
  int64_t c = (int64_t)((v + 0x1p52) - 0x1p52);
  *cents = refund ? -c : c;
  return SEGKIT_OK;
}

static segkit_status take_row(part *p, size_t row) {
  const mapping *m = p->m;
  if (row_has_null(m, row)) {
    p->skipped++;
    return SEGKIT_OK;
  }
  int64_t cents = 0;
  segkit_status s = row_cents(p, row, &cents);
  if (s != SEGKIT_OK) {
    return s;
  }
  int32_t day = sk__fam_day(&m->date, row);
  if (day < m->since || day > m->as_of) {
    return SEGKIT_OK; /* checked, not counted */
  }
  uint32_t slot = sk__keymap_slot(&m->km, sk__fam_key(&m->cust, row));
  p->counted++;
  p->seen[slot] = 1;
  if (__builtin_add_overflow(p->net[slot], cents, &p->net[slot])) {
    return segkit_error_set_at(&p->err, SEGKIT_ERR_LIMIT, NULL, 0, 0, m->amount.name,
                               "row %zu: a customer's net amount overflows 64-bit cents",
                               row + 1);
  }
  if (cents > 0) {
    p->freq[slot]++;
    uint32_t biased = (uint32_t)day ^ 0x80000000u;
    if (biased > p->last[slot]) {
      p->last[slot] = biased;
    }
  }
  return SEGKIT_OK;
}

static void *run_part(void *arg) {
  part *p = arg;
  for (size_t row = p->r0; row < p->r1; row++) {
    segkit_status s = take_row(p, row);
    if (s != SEGKIT_OK) {
      p->status = s;
      p->err.code = s;
      break;
    }
  }
  return NULL;
}

static void parts_free(part *parts, int np) {
  for (int i = 0; i < np; i++) {
    free(parts[i].last);
    free(parts[i].freq);
    free(parts[i].net);
    free(parts[i].seen);
  }
}

static segkit_status parts_alloc(part *parts, int np, size_t n_slots, segkit_error *err) {
  size_t k = n_slots ? n_slots : 1;
  for (int i = 0; i < np; i++) {
    parts[i].last = calloc(k, sizeof *parts[i].last);
    parts[i].freq = calloc(k, sizeof *parts[i].freq);
    parts[i].net = calloc(k, sizeof *parts[i].net);
    parts[i].seen = calloc(k, 1);
    if (!parts[i].last || !parts[i].freq || !parts[i].net || !parts[i].seen) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n_slots);
    }
  }
  return SEGKIT_OK;
}

/* Fold parts 1.. into part 0, slot by slot. */
static segkit_status merge_parts(part *parts, int np, size_t n_slots, segkit_error *err) {
  part *a = &parts[0];
  for (int i = 1; i < np; i++) {
    const part *b = &parts[i];
    for (size_t s = 0; s < n_slots; s++) {
      if (!b->seen[s]) {
        continue;
      }
      a->seen[s] = 1;
      a->freq[s] += b->freq[s];
      a->last[s] = b->last[s] > a->last[s] ? b->last[s] : a->last[s];
      if (__builtin_add_overflow(a->net[s], b->net[s], &a->net[s])) {
        return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                                "a customer's net amount overflows 64-bit cents");
      }
    }
    a->skipped += b->skipped;
    a->counted += b->counted;
  }
  return SEGKIT_OK;
}

static segkit_status run_rows(const segkit_table *t, const mapping *m, int n_threads,
                              part *parts, int *np_out, segkit_error *err) {
  size_t n_rows = segkit_table_n_rows(t);
  int np = sk__fam_threads(n_threads, n_rows);
  *np_out = np;
  memset(parts, 0, sizeof *parts * (size_t)np);
  segkit_status s = parts_alloc(parts, np, m->km.n_slots, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  for (int i = 0; i < np; i++) {
    parts[i].m = m;
    parts[i].r0 = n_rows * (size_t)i / (size_t)np;
    parts[i].r1 = n_rows * (size_t)(i + 1) / (size_t)np;
  }
  sk__run_workers(run_part, parts, sizeof parts[0], np);
  /* The parts cover the rows in order: the first failing part has the first error. */
  for (int i = 0; i < np; i++) {
    if (parts[i].status != SEGKIT_OK) {
      if (err != NULL) {
        *err = parts[i].err;
      }
      return parts[i].status;
    }
  }
  return merge_parts(parts, np, m->km.n_slots, err);
}

/* ==== scores and segments ================================================================ */

static void result_free_arrays(segkit_rfm_result *r) {
  free(r->keys);
  free(r->recency);
  free(r->freq);
  free(r->net);
  free(r->r);
  free(r->f);
  free(r->m);
  free(r->seg);
  free(r->seg_count);
}

void segkit_rfm_result_free(segkit_rfm_result *r) {
  if (r == NULL) {
    return;
  }
  result_free_arrays(r);
  if (r->names != NULL) {
    for (size_t i = 0; i <= r->n_rules; i++) {
      free(r->names[i]);
    }
  }
  free(r->names);
  free(r->customer_column);
  free(r);
}

static segkit_status alloc_customers(segkit_rfm_result *r, size_t n, segkit_error *err) {
  size_t k = n ? n : 1;
  r->keys = malloc(k * sizeof *r->keys);
  r->recency = malloc(k * sizeof *r->recency);
  r->freq = malloc(k * sizeof *r->freq);
  r->net = malloc(k * sizeof *r->net);
  r->r = malloc(k);
  r->f = malloc(k);
  r->m = malloc(k);
  r->seg = malloc(k * sizeof *r->seg);
  if (!r->keys || !r->recency || !r->freq || !r->net || !r->r || !r->f || !r->m || !r->seg) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  r->n = n;
  return SEGKIT_OK;
}

/* Customers with a charge, in slot (= key) order; last charge days go to `last`. */
static segkit_status compact(segkit_rfm_result *r, const part *a, const mapping *m,
                             int64_t **last_out, segkit_error *err) {
  size_t n = 0;
  size_t without = 0;
  for (size_t s = 0; s < m->km.n_slots; s++) {
    n += a->freq[s] > 0;
    without += a->seen[s] && a->freq[s] == 0;
  }
  segkit_status st = alloc_customers(r, n, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  int64_t *last = malloc((n ? n : 1) * sizeof *last);
  if (last == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  size_t i = 0;
  for (size_t s = 0; s < m->km.n_slots; s++) {
    if (a->freq[s] == 0) {
      continue;
    }
    int32_t day = (int32_t)(a->last[s] ^ 0x80000000u);
    r->keys[i] = sk__keymap_key(&m->km, s);
    last[i] = day;
    r->recency[i] = (int32_t)((int64_t)m->as_of - day);
    r->freq[i] = a->freq[s];
    r->net[i] = a->net[s];
    i++;
  }
  r->n_without_charge = without;
  r->rows_skipped = a->skipped;
  r->rows_counted = a->counted;
  *last_out = last;
  return SEGKIT_OK;
}

static void build_lut(const segkit_rfm_rule *rules, size_t n_rules, uint16_t *lut) {
  for (unsigned rs = 1; rs <= N_SCORES; rs++) {
    for (unsigned fs = 1; fs <= N_SCORES; fs++) {
      for (unsigned ms = 1; ms <= N_SCORES; ms++) {
        uint16_t seg = (uint16_t)n_rules;
        for (size_t i = 0; i < n_rules; i++) {
          const segkit_rfm_rule *u = &rules[i];
          if (rs >= u->r_lo && rs <= u->r_hi && fs >= u->f_lo && fs <= u->f_hi &&
              ms >= u->m_lo && ms <= u->m_hi) {
            seg = (uint16_t)i;
            break;
          }
        }
        lut[((rs - 1) * N_SCORES + fs - 1) * N_SCORES + ms - 1] = seg;
      }
    }
  }
}

/* One measure's cut-points, on a thread of its own (the three are independent). */
typedef struct edge_job {
  const int64_t *values;
  size_t n;
  int64_t *edges;
  int64_t *scratch;
  size_t n_edges;
} edge_job;

static void *run_edges(void *arg) {
  edge_job *j = arg;
  j->n_edges = sk__ntile_edges_i64(j->values, j->n, N_SCORES, j->edges, j->scratch);
  return NULL;
}

/* Scores and segments of customers [i0, i1), with the part's own segment counts. */
typedef struct score_job {
  segkit_rfm_result *r;
  const int64_t *last;
  const uint16_t *lut;
  size_t i0, i1;
  size_t counts[MAX_RULES + 1];
} score_job;

static void *run_scores(void *arg) {
  score_job *j = arg;
  segkit_rfm_result *r = j->r;
  for (size_t i = j->i0; i < j->i1; i++) {
    unsigned rs = sk__score_i64(j->last[i], r->edges[0], r->n_edges);
    unsigned fs = sk__score_i64(r->freq[i], r->edges[1], r->n_edges);
    unsigned ms = sk__score_i64(r->net[i], r->edges[2], r->n_edges);
    r->r[i] = (uint8_t)rs;
    r->f[i] = (uint8_t)fs;
    r->m[i] = (uint8_t)ms;
    uint16_t seg = j->lut[((rs - 1) * N_SCORES + fs - 1) * N_SCORES + ms - 1];
    r->seg[i] = seg;
    j->counts[seg]++;
  }
  return NULL;
}

static segkit_status score(segkit_rfm_result *r, const int64_t *last, const uint16_t *lut,
                           int n_threads, segkit_error *err) {
  size_t n = r->n;
  size_t k = n ? n : 1;
  int64_t *scratch = malloc(3 * k * sizeof *scratch);
  r->seg_count = calloc(r->n_rules + 1, sizeof *r->seg_count);
  if (scratch == NULL || r->seg_count == NULL) {
    free(scratch);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  edge_job ej[3] = {
      {last, n, r->edges[SEGKIT_RFM_RECENCY], scratch, 0},
      {r->freq, n, r->edges[SEGKIT_RFM_FREQUENCY], scratch + k, 0},
      {r->net, n, r->edges[SEGKIT_RFM_MONETARY], scratch + 2 * k, 0},
  };
  int np = sk__fam_threads(n_threads, n);
  int n_jobs = np > 1 ? 3 : 1;
  sk__run_workers(run_edges, ej, sizeof ej[0], n_jobs);
  for (int i = n_jobs; i < 3; i++) {
    run_edges(&ej[i]);
  }
  free(scratch);
  r->n_edges = ej[0].n_edges;
  score_job *sj = calloc((size_t)np, sizeof *sj);
  if (sj == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  for (int i = 0; i < np; i++) {
    sj[i].r = r;
    sj[i].last = last;
    sj[i].lut = lut;
    sj[i].i0 = n * (size_t)i / (size_t)np;
    sj[i].i1 = n * (size_t)(i + 1) / (size_t)np;
  }
  sk__run_workers(run_scores, sj, sizeof sj[0], np);
  for (int i = 0; i < np; i++) {
    for (size_t g = 0; g <= r->n_rules; g++) {
      r->seg_count[g] += sj[i].counts[g];
    }
  }
  free(sj);
  return SEGKIT_OK;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d != NULL) {
    memcpy(d, s, n);
  }
  return d;
}

static segkit_status copy_names(segkit_rfm_result *r, const segkit_rfm_rule *rules,
                                size_t n_rules, const char *customer, segkit_error *err) {
  r->n_rules = n_rules;
  r->names = calloc(n_rules + 1, sizeof *r->names);
  if (r->names == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the segment names");
  }
  for (size_t i = 0; i <= n_rules; i++) {
    r->names[i] = dup_str(i < n_rules ? rules[i].name : "Others");
    if (r->names[i] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the segment names");
    }
  }
  r->customer_column = dup_str(customer);
  if (r->customer_column == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the segment names");
  }
  return SEGKIT_OK;
}

/* ==== entry point ======================================================================== */

static segkit_status compute(const segkit_table *t, const segkit_rfm_options *opt,
                             const segkit_rfm_rule *rules, size_t n_rules, mapping *m,
                             segkit_rfm_result *r, segkit_error *err) {
  segkit_status s = map_columns(t, opt, m, err);
  if (s == SEGKIT_OK) {
    s = copy_names(r, rules, n_rules, opt->columns.customer, err);
  }
  if (s == SEGKIT_OK) {
    r->customer_type = m->cust.type;
    s = sk__keymap_build(&m->cust, segkit_table_n_rows(t), &m->km, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  part parts[SK__FAM_MAX_THREADS];
  int np = 0;
  s = run_rows(t, m, opt->n_threads, parts, &np, err);
  int64_t *last = NULL;
  if (s == SEGKIT_OK) {
    s = compact(r, &parts[0], m, &last, err);
  }
  parts_free(parts, np);
  if (s == SEGKIT_OK) {
    uint16_t lut[N_SCORES * N_SCORES * N_SCORES];
    build_lut(rules, n_rules, lut);
    s = score(r, last, lut, opt->n_threads, err);
  }
  free(last);
  return s;
}

segkit_status segkit_rfm_compute(const segkit_table *transactions, const segkit_rfm_options *opt,
                                 segkit_rfm_result **out, segkit_error *err) {
  if (transactions == NULL || opt == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_rfm_compute: NULL argument");
  }
  if (opt->since > opt->as_of) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the window starts after the as-of day (expected since <= as_of)");
  }
  const segkit_rfm_rule *rules = opt->rules;
  size_t n_rules = opt->n_rules;
  if (rules == NULL) {
    rules = segkit_rfm_rules_default(&n_rules);
  }
  segkit_status s = check_rules(rules, n_rules, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_rfm_result *r = calloc(1, sizeof *r);
  if (r == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for an RFM result");
  }
  mapping m;
  memset(&m, 0, sizeof m);
  m.negative_is_refund = opt->negative_charge_is_refund;
  m.since = opt->since;
  m.as_of = opt->as_of;
  s = compute(transactions, opt, rules, n_rules, &m, r, err);
  mapping_free(&m);
  if (s != SEGKIT_OK) {
    segkit_rfm_result_free(r);
    return s;
  }
  *out = r;
  return SEGKIT_OK;
}

/* ==== getters ============================================================================ */

size_t segkit_rfm_n_customers(const segkit_rfm_result *r) { return r->n; }
const int64_t *segkit_rfm_keys(const segkit_rfm_result *r) { return r->keys; }
const int32_t *segkit_rfm_recency_days(const segkit_rfm_result *r) { return r->recency; }
const int64_t *segkit_rfm_frequency(const segkit_rfm_result *r) { return r->freq; }
const int64_t *segkit_rfm_monetary_cents(const segkit_rfm_result *r) { return r->net; }
const uint8_t *segkit_rfm_r(const segkit_rfm_result *r) { return r->r; }
const uint8_t *segkit_rfm_f(const segkit_rfm_result *r) { return r->f; }
const uint8_t *segkit_rfm_m(const segkit_rfm_result *r) { return r->m; }
const uint16_t *segkit_rfm_segment(const segkit_rfm_result *r) { return r->seg; }
size_t segkit_rfm_n_segments(const segkit_rfm_result *r) { return r->n_rules + 1; }
size_t segkit_rfm_rows_skipped(const segkit_rfm_result *r) { return r->rows_skipped; }
size_t segkit_rfm_rows_counted(const segkit_rfm_result *r) { return r->rows_counted; }
size_t segkit_rfm_n_without_charge(const segkit_rfm_result *r) { return r->n_without_charge; }

const char *segkit_rfm_segment_name(const segkit_rfm_result *r, size_t segment) {
  return segment <= r->n_rules ? r->names[segment] : NULL;
}

size_t segkit_rfm_segment_count(const segkit_rfm_result *r, size_t segment) {
  return segment <= r->n_rules ? r->seg_count[segment] : 0;
}

long segkit_rfm_customer_find(const segkit_rfm_result *r, int64_t key) {
  size_t lo = 0;
  size_t hi = r->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->keys[mid] < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < r->n && r->keys[lo] == key ? (long)lo : -1;
}

size_t segkit_rfm_edges(const segkit_rfm_result *r, segkit_rfm_measure m, int64_t edges[4]) {
  if ((unsigned)m > SEGKIT_RFM_MONETARY) {
    return 0;
  }
  for (size_t i = 0; i < r->n_edges; i++) {
    edges[i] = r->edges[m][i];
  }
  return r->n_edges;
}

void sk__rfm_customer_column(const segkit_rfm_result *r, const char **name, segkit_type *type) {
  *name = r->customer_column;
  *type = r->customer_type;
}

void sk__rfm_add_skipped(segkit_rfm_result *r, size_t n) {
  r->rows_skipped += n;
}
