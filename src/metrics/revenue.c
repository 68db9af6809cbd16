/* Revenue from transactions, the entry point and the result: charges, refunds, net
 * revenue, paying customers and refund rate per period (months or calendar-aligned groups
 * of months) and per group, plus each customer's net revenue over the range, from a log of
 * charges and refunds. This file holds the options, the driver and the getters; the work
 * is in revenue_input.c (pass 1: columns and rows) and revenue_periods.c (pass 2: customers
 * into periods and groups).
 *
 * Key design choice: two passes over flat arrays, no per-row allocation, and a result
 * that is checked before it is returned: net = charges - refunds everywhere, the groups
 * add up to the totals, and the customers' nets add up to the total net
 * (SEGKIT_ERR_INTERNAL otherwise). A failure at any step frees everything: the caller
 * gets a result or an error, never half of one. */
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_int.h"

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

/* ==== driver ============================================================================== */

static segkit_status copy_names(const sk__rev_mapping *m, segkit_revenue_result *res,
                                segkit_error *err) {
  segkit_status s = sk__copy_column_names(m->f, SK__REV_F_COUNT, res->field_names, err);
  if (s != SEGKIT_OK) {
    return s;
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
      res->group_values[g * k + i] = sk__dup_string(segkit_grouping_value(m->grouping, g, i));
      if (res->group_values[g * k + i] == NULL) {
        return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for group names");
      }
    }
  }
  return SEGKIT_OK;
}

/* Everything but the rows: calendar, columns, dictionaries, groups, names, zeroed periods.
 * The order fixes which error a table with several problems reports. */
static segkit_status prepare(const segkit_table *t, const segkit_revenue_options *opt,
                             sk__rev_mapping *m, segkit_revenue_result *res,
                             segkit_error *err) {
  m->negative_is_refund = opt->negative_charge_is_refund;
  segkit_status s = sk__rev_build_periods(m, opt, err);
  if (s == SEGKIT_OK) {
    s = sk__rev_map_columns(t, opt, m, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__rev_build_groups(t, &opt->columns, m, err);
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
  sk__rev_mapping m;
  memset(&m, 0, sizeof m);
  sk__rev_rows r;
  memset(&r, 0, sizeof r);
  r.n_input = segkit_table_n_rows(t);
  segkit_status s = prepare(t, opt, &m, res, err);
  if (s == SEGKIT_OK) {
    s = sk__rev_rows_build(&m, opt->n_threads, &r, res, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__rev_aggregate(&r, &m, opt->n_threads, res, err);
  }
  if (s == SEGKIT_OK && sk__rev_check_invariants(res) != SEGKIT_OK) {
    s = segkit_error_set(err, SEGKIT_ERR_INTERNAL,
                         "revenue does not reconcile (groups or customers do not add up to "
                         "the totals)");
  }
  sk__rev_rows_free(&r);
  sk__rev_mapping_free(&m);
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
  for (int f = 0; f < SK__REV_F_COUNT; f++) {
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
  return sk__customer_find(r->customer_key, r->n_customers, key);
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
