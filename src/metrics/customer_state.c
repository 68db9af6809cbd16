/* A customer's state on one day from a subscription history (segkit_mrr_customer_state):
 * MRR, whether active, first paid day, tenure, when it churned, and its plan (the by
 * columns of its biggest row) — the derived fields segment rules use ("annual pro
 * customers past their first six months").
 *
 * Key design choice: the rows are prepared exactly as for the MRR engine (the same
 * validation, normalisation, currency conversion and rounding, sk__mrr_rows_build) and
 * grouped by customer the same way, so "mrr" here is the MRR engine's amount on that day,
 * and a customer's plan follows the engine's rule for a customer's group (the row with the
 * most MRR; ties to the later paid start, then the earlier row). */
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_int.h"

typedef struct state {
  int64_t cents;
  int32_t first_paid;  /* INT32_MAX: none */
  int32_t churned_on;  /* INT32_MIN: none */
  size_t best;         /* row of the biggest running row, SIZE_MAX: none */
} state;

static size_t row_at(const uint32_t *perm, size_t r) {
  return perm != NULL ? perm[r] : r;
}

static state customer_state(const sk__mrr_rows *rows, const uint32_t *perm, size_t r0,
                            size_t r1, int32_t day) {
  state st = {0, INT32_MAX, INT32_MIN, SIZE_MAX};
  int64_t best_cents = -1;
  int32_t best_start = 0;
  for (size_t r = r0; r < r1; r++) {
    size_t i = row_at(perm, r);
    int64_t v = rows->mrr_cents[i];
    int32_t ps = rows->paid_start[i];
    int32_t end = rows->end_day[i];
    if (v <= 0 || ps >= end || ps > day) {
      continue; /* never paid, or not yet */
    }
    if (ps < st.first_paid) {
      st.first_paid = ps;
    }
    if (day < end) {
      st.cents += v;
      /* rows arrive in input order within a customer (the sort is stable), so a tie
       * keeps the earlier row */
      if (v > best_cents || (v == best_cents && ps > best_start)) {
        best_cents = v;
        best_start = ps;
        st.best = i;
      }
    } else if (end > st.churned_on) {
      st.churned_on = end;
    }
  }
  if (st.cents > 0) {
    st.churned_on = INT32_MIN;
  }
  return st;
}

typedef struct out_cols {
  segkit_table_builder *b;
  size_t n_by;
} out_cols;

static segkit_status new_builder(const segkit_column *cust, const segkit_mrr_options *opt,
                                 out_cols *oc, segkit_error *err) {
  enum { FIXED = 7 };
  oc->n_by = opt->n_by;
  const char *names[FIXED + 64];
  segkit_type types[FIXED + 64];
  if (opt->n_by > 64) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "at most 64 by columns");
  }
  static const char *const fixed[FIXED] = {"", "mrr", "arr", "active", "first_paid",
                                           "tenure_days", "churned_on"};
  static const segkit_type fixed_types[FIXED] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64,
                                                 SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_BOOL,
                                                 SEGKIT_TYPE_DATE, SEGKIT_TYPE_INT64,
                                                 SEGKIT_TYPE_DATE};
  for (size_t k = 0; k < FIXED; k++) {
    names[k] = fixed[k];
    types[k] = fixed_types[k];
  }
  names[0] = segkit_column_name(cust);
  types[0] = segkit_column_type(cust);
  for (size_t k = 0; k < opt->n_by; k++) {
    names[FIXED + k] = opt->by[k];
    types[FIXED + k] = SEGKIT_TYPE_STRING;
  }
  return segkit_table_builder_new(FIXED + opt->n_by, names, types, &oc->b, err);
}

static segkit_status append_customer(out_cols *oc, const segkit_column *cust, int64_t key,
                                     const sk__mrr_rows *rows, const state *st, int32_t day) {
  segkit_table_builder *b = oc->b;
  segkit_status s;
  if (segkit_column_type(cust) == SEGKIT_TYPE_STRING) {
    size_t len;
    const char *v = segkit_column_dict_value(cust, (uint32_t)key, &len);
    s = segkit_column_append_string(segkit_table_builder_column(b, 0), v, len);
  } else {
    s = segkit_column_append_int64(segkit_table_builder_column(b, 0), key);
  }
  double mrr = (double)st->cents / 100.0;
  if (s == SEGKIT_OK) {
    s = segkit_column_append_float64(segkit_table_builder_column(b, 1), mrr);
  }
  if (s == SEGKIT_OK) {
    s = segkit_column_append_float64(segkit_table_builder_column(b, 2), 12.0 * mrr);
  }
  if (s == SEGKIT_OK) {
    s = segkit_column_append_bool(segkit_table_builder_column(b, 3), st->cents > 0);
  }
  bool paid = st->first_paid != INT32_MAX;
  if (s == SEGKIT_OK) {
    s = paid ? segkit_column_append_date(segkit_table_builder_column(b, 4), st->first_paid)
             : segkit_column_append_null(segkit_table_builder_column(b, 4));
  }
  if (s == SEGKIT_OK) {
    s = paid ? segkit_column_append_int64(segkit_table_builder_column(b, 5),
                                          (int64_t)day - st->first_paid)
             : segkit_column_append_null(segkit_table_builder_column(b, 5));
  }
  if (s == SEGKIT_OK) {
    s = st->churned_on != INT32_MIN
            ? segkit_column_append_date(segkit_table_builder_column(b, 6), st->churned_on)
            : segkit_column_append_null(segkit_table_builder_column(b, 6));
  }
  for (size_t k = 0; s == SEGKIT_OK && k < oc->n_by; k++) {
    segkit_column_builder *cb = segkit_table_builder_column(b, 7 + k);
    if (st->best == SIZE_MAX || rows->grouping == NULL) {
      s = segkit_column_append_null(cb);
      continue;
    }
    uint32_t g = rows->group[st->best];
    if (segkit_grouping_is_null(rows->grouping, g, k)) {
      s = segkit_column_append_null(cb);
    } else {
      const char *v = segkit_grouping_value(rows->grouping, g, k);
      s = segkit_column_append_string(cb, v, strlen(v));
    }
  }
  return s;
}

segkit_status segkit_mrr_customer_state(const segkit_table *subscriptions,
                                        const segkit_mrr_options *opt, int32_t as_of_day,
                                        segkit_table **out, segkit_error *err) {
  if (subscriptions == NULL || opt == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_mrr_customer_state: NULL argument");
  }
  sk__mrr_rows rows;
  segkit_status s = sk__mrr_rows_build(subscriptions, opt, &rows, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  uint32_t *perm = NULL;
  size_t *off = NULL;
  int64_t *keys = NULL;
  size_t nc = 0;
  if (!sk__keys_sorted(rows.key, rows.n)) {
    s = sk__sort_by_key(&rows.key, rows.n, &perm, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__customer_offsets(rows.key, rows.n, &off, &keys, &nc, err);
  }
  const segkit_column *cust = segkit_table_column(
      subscriptions, (size_t)segkit_table_column_index(subscriptions, opt->columns.customer));
  out_cols oc = {NULL, 0};
  if (s == SEGKIT_OK) {
    s = new_builder(cust, opt, &oc, err);
  }
  if (s == SEGKIT_OK) {
    s = segkit_table_builder_reserve(oc.b, nc, err);
  }
  for (size_t c = 0; s == SEGKIT_OK && c < nc; c++) {
    state st = customer_state(&rows, perm, off[c], off[c + 1], as_of_day);
    s = append_customer(&oc, cust, keys[c], &rows, &st, as_of_day);
  }
  if (s == SEGKIT_OK) {
    s = segkit_table_builder_finish(oc.b, out, err);
    if (s == SEGKIT_OK) {
      oc.b = NULL; /* consumed */
    }
  }
  segkit_table_builder_free(oc.b);
  free(perm);
  free(off);
  free(keys);
  sk__mrr_rows_free(&rows);
  return s;
}
