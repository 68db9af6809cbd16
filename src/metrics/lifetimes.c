/* Customer lifetimes from the month-end MRR series of an MRR result (segkit_mrr_lifetimes):
 * the bridge from a billing history to the customer-snapshot analyses (churn rates by
 * segment, Kaplan-Meier). Built on the public getters only, one pass over each customer's
 * series. */
#include <stdlib.h>
#include <string.h>

#include "segkit/metrics.h"

static segkit_status lifetimes_builder(const segkit_column *cust, segkit_table_builder **b,
                                       segkit_error *err) {
  const char *names[] = {"customer", "first_month", "tenure_months", "churned",
                         "started_before_range"};
  segkit_type types[] = {segkit_column_type(cust), SEGKIT_TYPE_DATE, SEGKIT_TYPE_INT64,
                         SEGKIT_TYPE_BOOL, SEGKIT_TYPE_BOOL};
  return segkit_table_builder_new(5, names, types, b, err);
}

segkit_status segkit_mrr_lifetimes(const segkit_mrr_result *r, const segkit_table *subscriptions,
                                   const char *customer_column, segkit_table **out,
                                   segkit_error *err) {
  if (r == NULL || subscriptions == NULL || customer_column == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "result, table, customer column and out are required");
  }
  long ci = segkit_table_column_index(subscriptions, customer_column);
  if (ci < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, customer_column,
                               "no column named '%s'", customer_column);
  }
  const segkit_column *cust = segkit_table_column(subscriptions, (size_t)ci);
  segkit_type ct = segkit_column_type(cust);
  if (ct != SEGKIT_TYPE_INT64 && ct != SEGKIT_TYPE_STRING) {
    return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, customer_column,
                               "column '%s' is %s (expected int64 or string customer ids)",
                               customer_column, segkit_type_name(ct));
  }
  size_t n_customers = segkit_mrr_n_customers(r);
  size_t n_months = segkit_mrr_n_months(r);
  if (n_customers > 0 && segkit_mrr_customer_mrr(r, 0) == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the MRR result has no per-customer MRR (compute it with "
                            "keep_customer_mrr = true)");
  }
  const segkit_mrr_month *months = segkit_mrr_months(r, SEGKIT_MRR_ALL);
  int32_t from_month = n_months > 0 ? months[0].month : 0;
  segkit_table_builder *b = NULL;
  segkit_status st = lifetimes_builder(cust, &b, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_column_builder *c_id = segkit_table_builder_column(b, 0);
  segkit_column_builder *c_first = segkit_table_builder_column(b, 1);
  segkit_column_builder *c_tenure = segkit_table_builder_column(b, 2);
  segkit_column_builder *c_churned = segkit_table_builder_column(b, 3);
  segkit_column_builder *c_before = segkit_table_builder_column(b, 4);
  for (size_t i = 0; i < n_customers && st == SEGKIT_OK; i++) {
    /* n_months + 1 month ends: index 0 is the end of from_month - 1. */
    const int64_t *mrr = segkit_mrr_customer_mrr(r, i);
    long first = -1;
    long last = -1;
    for (size_t k = 0; k <= n_months; k++) {
      if (mrr[k] > 0) {
        if (first < 0) {
          first = (long)k;
        }
        last = (long)k;
      }
    }
    if (first < 0) {
      continue;
    }
    bool churned = last < (long)n_months;
    int64_t tenure = churned ? last - first + 1 : (long)n_months - first + 1;
    int64_t key = segkit_mrr_customer_key(r, i);
    if (ct == SEGKIT_TYPE_STRING) {
      size_t len = 0;
      const char *s = segkit_column_dict_value(cust, (uint32_t)key, &len);
      if (s == NULL) {
        st = segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, customer_column,
                                 "customer code %lld is not in column '%s': is this the table "
                                 "the MRR result was computed from?",
                                 (long long)key, customer_column);
        break;
      }
      st = segkit_column_append_string(c_id, s, len);
    } else {
      st = segkit_column_append_int64(c_id, key);
    }
    int32_t first_month = from_month - 1 + (int32_t)first;
    int32_t first_day = segkit_month_last_day(first_month - 1) + 1;
    if (st == SEGKIT_OK) {
      st = segkit_column_append_date(c_first, first_day);
    }
    if (st == SEGKIT_OK) {
      st = segkit_column_append_int64(c_tenure, tenure);
    }
    if (st == SEGKIT_OK) {
      st = segkit_column_append_bool(c_churned, churned);
    }
    if (st == SEGKIT_OK) {
      st = segkit_column_append_bool(c_before, first == 0);
    }
    if (st != SEGKIT_OK) {
      segkit_error_set(err, st, "out of memory building customer lifetimes");
    }
  }
  if (st == SEGKIT_OK) {
    st = segkit_table_builder_finish(b, out, err);
    if (st == SEGKIT_OK) {
      return SEGKIT_OK;
    }
  }
  segkit_table_builder_free(b);
  return st;
}
