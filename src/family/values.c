/* Value sources for tiers: per-customer MRR or ARPU from an MRR result, lifetime net
 * revenue from a revenue result, each as a (customer, value) table for
 * segkit_tiers_compute. Key design choice: the values are read through the metrics
 * module's public getters only (month-end MRR matrix, revenue customer nets), so the
 * money definitions stay the engine's (docs/metrics.md). */
#include <stdlib.h>
#include <string.h>

#include "family/family_int.h"

static segkit_status customer_of(const segkit_table *t, const char *name,
                                 const segkit_column **out, segkit_error *err) {
  sk__fam_col c;
  segkit_status s = sk__fam_find(t, name ? name : "customer_id", "customer", SK__FAM_KEY_TYPES,
                                 true, &c, err);
  *out = c.col;
  return s;
}

static segkit_status two_columns(const segkit_column *cust, int64_t *keys, size_t n,
                                 segkit_column_arrays *value, segkit_table **out,
                                 segkit_error *err) {
  segkit_column_arrays cols[2];
  cols[1] = *value;
  segkit_status s = sk__fam_customer_column(cust, keys, n, &cols[0], err);
  if (s != SEGKIT_OK) {
    free((void *)value->data);
    return s;
  }
  return sk__fam_table_take(n, 2, cols, out, err);
}

segkit_status segkit_value_from_mrr(const segkit_mrr_result *r, const segkit_table *subscriptions,
                                    const char *customer_column, segkit_value_measure measure,
                                    int32_t month, segkit_table **out, segkit_error *err) {
  if (r == NULL || subscriptions == NULL || out == NULL || measure > SEGKIT_VALUE_ARPU) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_value_from_mrr: bad argument");
  }
  size_t n_months = segkit_mrr_n_months(r);
  size_t n = segkit_mrr_n_customers(r);
  if (n_months == 0 || (n > 0 && segkit_mrr_customer_mrr(r, 0) == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the MRR result has no per-customer MRR (expected it computed "
                            "with keep_customer_mrr)");
  }
  int32_t from = segkit_mrr_months(r, SEGKIT_MRR_ALL)[0].month;
  int32_t m = month == 0 ? from + (int32_t)n_months - 1 : month;
  if (m < from || m >= from + (int32_t)n_months) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "month %d is outside the MRR result's range", (int)m);
  }
  const segkit_column *cust = NULL;
  segkit_status s = customer_of(subscriptions, customer_column, &cust, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  size_t slot = (size_t)(m - from) + 1;
  int64_t *keys = malloc((n ? n : 1) * sizeof *keys);
  int64_t *mrr = malloc((n ? n : 1) * sizeof *mrr);
  double *arpu = malloc((n ? n : 1) * sizeof *arpu);
  if (keys == NULL || mrr == NULL || arpu == NULL) {
    free(keys);
    free(mrr);
    free(arpu);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const int64_t *v = segkit_mrr_customer_mrr(r, i);
    int64_t sum = 0;
    int64_t active = 0;
    for (size_t j = 1; j <= slot; j++) {
      sum += v[j] > 0 ? v[j] : 0;
      active += v[j] > 0;
    }
    bool keep = measure == SEGKIT_VALUE_MRR ? v[slot] > 0 : active > 0;
    if (!keep) {
      continue;
    }
    keys[k] = segkit_mrr_customer_key(r, i);
    mrr[k] = v[slot];
    arpu[k] = (double)sum / (double)active;
    k++;
  }
  segkit_column_arrays value;
  if (measure == SEGKIT_VALUE_MRR) {
    value = (segkit_column_arrays){.name = "mrr_cents", .type = SEGKIT_TYPE_INT64, .data = mrr};
    free(arpu);
  } else {
    value = (segkit_column_arrays){.name = "arpu_cents", .type = SEGKIT_TYPE_FLOAT64, .data = arpu};
    free(mrr);
  }
  s = two_columns(cust, keys, k, &value, out, err);
  free(keys);
  return s;
}

segkit_status segkit_value_from_revenue(const segkit_revenue_result *r,
                                        const segkit_table *transactions,
                                        const char *customer_column, segkit_table **out,
                                        segkit_error *err) {
  if (r == NULL || transactions == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_value_from_revenue: NULL argument");
  }
  const segkit_column *cust = NULL;
  segkit_status s = customer_of(transactions, customer_column, &cust, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  size_t n = segkit_revenue_n_customers(r);
  int64_t *keys = malloc((n ? n : 1) * sizeof *keys);
  int64_t *net = malloc((n ? n : 1) * sizeof *net);
  if (keys == NULL || net == NULL) {
    free(keys);
    free(net);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  for (size_t i = 0; i < n; i++) {
    keys[i] = segkit_revenue_customer_key(r, i);
  }
  if (n > 0) {
    memcpy(net, segkit_revenue_customer_net(r), n * sizeof *net);
  }
  segkit_column_arrays value = {.name = "revenue_cents", .type = SEGKIT_TYPE_INT64, .data = net};
  s = two_columns(cust, keys, n, &value, out, err);
  free(keys);
  return s;
}
