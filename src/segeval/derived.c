/* The fields derived from a subscription history (docs/rules.md: mrr, arr, active,
 * first_paid, tenure_days, churned_on, plan, billing_interval), for segments whose context
 * names a subscriptions dataset (`segkit segment add --subscriptions NAME [--rates R]`).
 *
 * Each customer's state on the evaluation's day comes from the metrics module
 * (segkit_mrr_customer_state) and is joined onto the customers by key; columns the customers
 * table already has are left alone, so a dataset's own `plan` wins over the derived one.
 * This was the CLI's alone; here, the API evaluates those segments too. */
#include <jansson.h>
#include <string.h>

#include "segeval/segeval_int.h"
#include "segkit/datetime.h"
#include "segkit/metrics.h"

enum { MAX_RATES = 64, MAX_DERIVED = 16 };

/* Options of segkit_mrr_customer_state for history t: the split columns it has, the
 * currency column only when present, the rates of the spec. */
static segkit_status state_options(const segkit_table *t, const char *rates_spec,
                                   segkit_mrr_options *opt, segkit_mrr_rate *rates,
                                   char (*names)[16], const char **by, segkit_error *err) {
  segkit_mrr_options_init(opt);
  if (rates_spec != NULL) {
    size_t n = 0;
    segkit_status s = segkit_mrr_rates_parse(rates_spec, rates, names, MAX_RATES, &n, err);
    if (s != SEGKIT_OK) {
      return s;
    }
    opt->rates = rates;
    opt->n_rates = n;
  }
  static const char *const by_all[] = {"plan", "billing_interval"};
  size_t n_by = 0;
  for (size_t k = 0; k < 2; k++) {
    if (segkit_table_column_index(t, by_all[k]) >= 0) {
      by[n_by++] = by_all[k];
    }
  }
  opt->by = by;
  opt->n_by = n_by;
  if (segkit_table_column_index(t, opt->columns.currency) < 0) {
    opt->columns.currency = NULL;
  }
  return SEGKIT_OK;
}

static segkit_status join_state(segkit_segeval *ev, const segkit_table *state, segkit_error *err) {
  const char *cols[MAX_DERIVED];
  size_t n_cols = 0;
  for (size_t k = 1; k < segkit_table_n_cols(state) && n_cols < MAX_DERIVED; k++) {
    const char *name = segkit_column_name(segkit_table_column(state, k));
    if (segkit_table_column_index(ev->base, name) < 0) {
      cols[n_cols++] = name;
    }
  }
  const char *state_key = segkit_column_name(segkit_table_column(state, 0));
  return segkit_table_lookup(ev->base, ev->key, state, state_key, cols, n_cols, &ev->joined, err);
}

segkit_status sk__eval_derive(segkit_segeval *ev, segkit_error *err) {
  if (ev->context == NULL) {
    return SEGKIT_OK;
  }
  json_error_t jerr;
  json_t *ctx = json_loads(ev->context, 0, &jerr);
  if (ctx == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_STORE, "the segment's context is not JSON: %s",
                            jerr.text);
  }
  const char *subs = json_string_value(json_object_get(ctx, "subscriptions"));
  const char *rates_spec = json_string_value(json_object_get(ctx, "rates"));
  segkit_status s = SEGKIT_OK;
  const segkit_table *t = NULL;
  if (subs != NULL) {
    s = sk__eval_acquire(ev, subs, &t, err);
  }
  segkit_mrr_options opt;
  segkit_mrr_rate rates[MAX_RATES];
  char names[MAX_RATES][16];
  const char *by[2];
  if (s == SEGKIT_OK && t != NULL) {
    s = state_options(t, rates_spec, &opt, rates, names, by, err);
  }
  segkit_table *state = NULL;
  if (s == SEGKIT_OK && t != NULL) {
    s = segkit_mrr_customer_state(t, &opt, segkit_day_of_us(ev->opt.now_us), &state, err);
  }
  if (s == SEGKIT_OK && state != NULL) {
    s = join_state(ev, state, err);
  }
  segkit_table_free(state);
  json_decref(ctx);
  return s;
}
