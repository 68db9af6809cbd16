/* Records -> the three canonical tables (customers, subscriptions, transactions).
 *
 * Cross-references are resolved here, once every file is in: a charge's subscription
 * comes from its invoice, a refund's customer and subscription from the charge it
 * refunds, and a charge with amount_refunded > 0 but no refund object gets one implied
 * refund row. Key design choice: the tables are built with the table builder, column by
 * column from a small schema table, so the column names live in one place each
 * (docs/billing.md lists them) and a change of schema is a change of one array. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

/* ============================ appending ============================ */

static segkit_status put_str(segkit_table_builder *b, size_t col, const char *s) {
  segkit_column_builder *cb = segkit_table_builder_column(b, col);
  return s == NULL ? segkit_column_append_null(cb) : segkit_column_append_string(cb, s, strlen(s));
}

static segkit_status put_i64(segkit_table_builder *b, size_t col, sk__bill_opt_i64 v) {
  segkit_column_builder *cb = segkit_table_builder_column(b, col);
  return v.has ? segkit_column_append_int64(cb, v.v) : segkit_column_append_null(cb);
}

static segkit_status put_f64(segkit_table_builder *b, size_t col, bool has, double v) {
  segkit_column_builder *cb = segkit_table_builder_column(b, col);
  return has ? segkit_column_append_float64(cb, v) : segkit_column_append_null(cb);
}

static segkit_status put_bool(segkit_table_builder *b, size_t col, bool has, bool v) {
  segkit_column_builder *cb = segkit_table_builder_column(b, col);
  return has ? segkit_column_append_bool(cb, v) : segkit_column_append_null(cb);
}

static segkit_status finish(segkit_table_builder *b, segkit_status st, segkit_table **out,
                            segkit_error *err) {
  if (st != SEGKIT_OK) {
    segkit_table_builder_free(b);
    return segkit_error_set(err, st, "building a Stripe table: %s", segkit_status_message(st));
  }
  st = segkit_table_builder_finish(b, out, err);
  if (st != SEGKIT_OK) {
    segkit_table_builder_free(b);
  }
  return st;
}

/* ============================ customers ============================ */

enum { C_ID, C_CREATED, C_EMAIL, C_NAME, C_COUNTRY, C_CURRENCY, C_FIXED };

static segkit_status build_customers(segkit_stripe_import *imp, segkit_table **out,
                                     segkit_error *err) {
  /* Metadata columns: every key met, in order of first appearance. */
  const char **names = NULL;
  size_t n_meta = 0;
  size_t cap = 0;
  for (size_t i = 0; i < imp->n_customers; i++) {
    for (size_t k = 0; k < imp->customers[i].n_meta; k++) {
      const char *key = imp->customers[i].meta[k].key;
      size_t j = 0;
      while (j < n_meta && strcmp(names[C_FIXED + j], key) != 0) {
        j++;
      }
      if (j < n_meta) {
        continue;
      }
      if (!sk__bill_grow((void **)&names, &cap, C_FIXED + n_meta, sizeof *names)) {
        free(names);
        return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for metadata columns");
      }
      names[C_FIXED + n_meta++] = key;
    }
  }
  size_t n_cols = C_FIXED + n_meta;
  if (!sk__bill_grow((void **)&names, &cap, n_cols, sizeof *names)) {
    free(names);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for metadata columns");
  }
  static const char *const fixed[C_FIXED] = {"customer_id", "created_at", "email",
                                             "name",        "country",    "currency"};
  segkit_type *types = malloc(n_cols * sizeof *types);
  if (types == NULL) {
    free(names);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for metadata columns");
  }
  for (size_t c = 0; c < n_cols; c++) {
    types[c] = c == C_CREATED ? SEGKIT_TYPE_TIMESTAMP : SEGKIT_TYPE_STRING;
    if (c < C_FIXED) {
      names[c] = fixed[c];
    }
  }
  segkit_table_builder *b = NULL;
  segkit_status st = segkit_table_builder_new(n_cols, names, types, &b, err);
  free(types);
  if (st != SEGKIT_OK) {
    free(names);
    return st;
  }
  for (size_t i = 0; st == SEGKIT_OK && i < imp->n_customers; i++) {
    const sk__bill_customer *c = &imp->customers[i];
    st = put_str(b, C_ID, c->id);
    st = st == SEGKIT_OK ? put_i64(b, C_CREATED, c->created_us) : st;
    st = st == SEGKIT_OK ? put_str(b, C_EMAIL, c->email) : st;
    st = st == SEGKIT_OK ? put_str(b, C_NAME, c->name) : st;
    st = st == SEGKIT_OK ? put_str(b, C_COUNTRY, c->country) : st;
    st = st == SEGKIT_OK ? put_str(b, C_CURRENCY, c->currency) : st;
    for (size_t m = 0; st == SEGKIT_OK && m < n_meta; m++) {
      /* The first key of this customer that sanitises to the column's name wins. */
      const char *value = NULL;
      for (size_t k = 0; k < c->n_meta; k++) {
        if (strcmp(c->meta[k].key, names[C_FIXED + m]) == 0) {
          value = c->meta[k].value;
          break;
        }
      }
      st = put_str(b, C_FIXED + m, value);
    }
  }
  free(names);
  return finish(b, st, out, err);
}

/* ============================ subscriptions ============================ */

enum {
  S_SUB,
  S_ITEM,
  S_CUSTOMER,
  S_PLAN,
  S_PRODUCT,
  S_PRICE,
  S_SEATS,
  S_INTERVAL,
  S_COUNT,
  S_CURRENCY,
  S_STATUS,
  S_STARTED,
  S_TRIAL_END,
  S_ENDED,
  S_CANCELED,
  S_CAPE,
  S_DISCOUNT,
  S_N
};

static segkit_status build_subscriptions(segkit_stripe_import *imp, segkit_table **out,
                                         segkit_error *err) {
  static const char *const names[S_N] = {
      "subscription_id", "item_id",    "customer_id", "plan",
      "product",         "unit_price", "seats",       "billing_interval",
      "interval_count",  "currency",   "status",      "started_at",
      "trial_end",       "ended_at",   "canceled_at", "cancel_at_period_end",
      "discount_percent"};
  static const segkit_type types[S_N] = {
      SEGKIT_TYPE_STRING,    SEGKIT_TYPE_STRING,    SEGKIT_TYPE_STRING,    SEGKIT_TYPE_STRING,
      SEGKIT_TYPE_STRING,    SEGKIT_TYPE_FLOAT64,   SEGKIT_TYPE_INT64,     SEGKIT_TYPE_STRING,
      SEGKIT_TYPE_INT64,     SEGKIT_TYPE_STRING,    SEGKIT_TYPE_STRING,    SEGKIT_TYPE_TIMESTAMP,
      SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_BOOL,
      SEGKIT_TYPE_FLOAT64};
  segkit_table_builder *b = NULL;
  segkit_status st = segkit_table_builder_new(S_N, names, types, &b, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  for (size_t i = 0; st == SEGKIT_OK && i < imp->n_items; i++) {
    const sk__bill_item *it = &imp->items[i];
    sk__bill_opt_i64 count = {true, it->interval_count};
    st = put_str(b, S_SUB, it->subscription_id);
    st = st == SEGKIT_OK ? put_str(b, S_ITEM, it->item_id) : st;
    st = st == SEGKIT_OK ? put_str(b, S_CUSTOMER, it->customer_id) : st;
    st = st == SEGKIT_OK ? put_str(b, S_PLAN, it->plan) : st;
    st = st == SEGKIT_OK ? put_str(b, S_PRODUCT, it->product) : st;
    st = st == SEGKIT_OK ? put_f64(b, S_PRICE, it->has_price, it->unit_price) : st;
    st = st == SEGKIT_OK ? put_i64(b, S_SEATS, it->seats) : st;
    st = st == SEGKIT_OK ? put_str(b, S_INTERVAL, it->interval) : st;
    st = st == SEGKIT_OK ? put_i64(b, S_COUNT, count) : st;
    st = st == SEGKIT_OK ? put_str(b, S_CURRENCY, it->currency) : st;
    st = st == SEGKIT_OK ? put_str(b, S_STATUS, it->status) : st;
    st = st == SEGKIT_OK ? put_i64(b, S_STARTED, it->started_us) : st;
    st = st == SEGKIT_OK ? put_i64(b, S_TRIAL_END, it->trial_end_us) : st;
    st = st == SEGKIT_OK ? put_i64(b, S_ENDED, it->ended_us) : st;
    st = st == SEGKIT_OK ? put_i64(b, S_CANCELED, it->canceled_us) : st;
    st = st == SEGKIT_OK
             ? put_bool(b, S_CAPE, it->has_cancel_at_period_end, it->cancel_at_period_end)
             : st;
    st = st == SEGKIT_OK ? put_f64(b, S_DISCOUNT, it->has_discount, it->discount_percent) : st;
  }
  return finish(b, st, out, err);
}

/* ============================ transactions ============================ */

typedef struct id_index {
  const char *id;
  size_t pos;
} id_index;

static int cmp_id_index(const void *a, const void *b) {
  return strcmp(((const id_index *)a)->id, ((const id_index *)b)->id);
}

static const id_index *find_id(const id_index *v, size_t n, const char *id) {
  if (id == NULL || n == 0) {
    return NULL;
  }
  id_index key = {id, 0};
  return bsearch(&key, v, n, sizeof *v, cmp_id_index);
}

/* Charge subscription from the invoice; refund customer/subscription from the charge;
 * implied refunds for amount_refunded without refund objects. */
static segkit_status resolve_transactions(segkit_stripe_import *imp) {
  id_index *inv = imp->n_invoices > 0 ? malloc(imp->n_invoices * sizeof *inv) : NULL;
  id_index *chg = imp->n_txns > 0 ? malloc(imp->n_txns * sizeof *chg) : NULL;
  if ((imp->n_invoices > 0 && inv == NULL) || (imp->n_txns > 0 && chg == NULL)) {
    free(inv);
    free(chg);
    return SEGKIT_ERR_NOMEM;
  }
  for (size_t i = 0; i < imp->n_invoices; i++) {
    inv[i] = (id_index){imp->invoices[i].invoice_id, i};
  }
  if (imp->n_invoices > 1) {
    qsort(inv, imp->n_invoices, sizeof *inv, cmp_id_index);
  }
  size_t n_chg = 0;
  for (size_t i = 0; i < imp->n_txns; i++) {
    sk__bill_txn *t = &imp->txns[i];
    if (t->is_refund) {
      continue;
    }
    const id_index *f = find_id(inv, imp->n_invoices, t->invoice_id);
    if (f != NULL && t->subscription_id == NULL) {
      t->subscription_id = sk__bill_strdup(imp->invoices[f->pos].subscription_id);
      if (t->subscription_id == NULL) {
        free(inv);
        free(chg);
        return SEGKIT_ERR_NOMEM;
      }
    }
    chg[n_chg++] = (id_index){t->id, i};
  }
  if (n_chg > 1) {
    qsort(chg, n_chg, sizeof *chg, cmp_id_index);
  }
  /* Which charges have a refund object. */
  unsigned char *has_refund = n_chg > 0 ? calloc(n_chg, 1) : NULL;
  segkit_status st = n_chg > 0 && has_refund == NULL ? SEGKIT_ERR_NOMEM : SEGKIT_OK;
  for (size_t i = 0; st == SEGKIT_OK && i < imp->n_txns; i++) {
    sk__bill_txn *t = &imp->txns[i];
    if (!t->is_refund) {
      continue;
    }
    const id_index *f = find_id(chg, n_chg, t->refund_of);
    if (f == NULL) {
      continue;
    }
    has_refund[f - chg] = 1;
    const sk__bill_txn *c = &imp->txns[f->pos];
    if (t->customer_id == NULL && c->customer_id != NULL) {
      t->customer_id = sk__bill_strdup(c->customer_id);
      st = t->customer_id == NULL ? SEGKIT_ERR_NOMEM : st;
    }
    if (t->subscription_id == NULL && c->subscription_id != NULL) {
      t->subscription_id = sk__bill_strdup(c->subscription_id);
      st = t->subscription_id == NULL ? SEGKIT_ERR_NOMEM : st;
    }
  }
  /* Implied refunds; appended after the loop over chg, whose positions they would move. */
  for (size_t k = 0; st == SEGKIT_OK && k < n_chg; k++) {
    size_t pos = chg[k].pos;
    if (has_refund[k] || imp->txns[pos].amount_refunded_minor <= 0) {
      continue;
    }
    if (!sk__bill_grow((void **)&imp->txns, &imp->cap_txns, imp->n_txns, sizeof *imp->txns)) {
      st = SEGKIT_ERR_NOMEM;
      break;
    }
    const sk__bill_txn *c = &imp->txns[pos];
    sk__bill_txn r;
    memset(&r, 0, sizeof r);
    r.is_refund = true;
    r.ts_us = c->ts_us;
    r.amount = sk__bill_minor_to_major((double)c->amount_refunded_minor, c->currency);
    size_t n = strlen(c->id) + 8;
    r.id = malloc(n);
    if (r.id != NULL) {
      snprintf(r.id, n, "%s-refund", c->id);
    }
    r.refund_of = sk__bill_strdup(c->id);
    r.customer_id = sk__bill_strdup(c->customer_id);
    r.subscription_id = sk__bill_strdup(c->subscription_id);
    r.currency = sk__bill_strdup(c->currency);
    if (r.id == NULL || r.refund_of == NULL || r.currency == NULL ||
        (c->customer_id != NULL && r.customer_id == NULL) ||
        (c->subscription_id != NULL && r.subscription_id == NULL)) {
      sk__bill_txn_free(&r);
      st = SEGKIT_ERR_NOMEM;
      break;
    }
    /* chg[] points into imp->txns by position, not address, so growing is safe. */
    imp->txns[imp->n_txns++] = r;
    imp->counts.refunds_implied++;
  }
  free(has_refund);
  free(inv);
  free(chg);
  return st;
}

static int cmp_txn(const void *a, const void *b) {
  const sk__bill_txn *x = a;
  const sk__bill_txn *y = b;
  if (x->ts_us != y->ts_us) {
    return x->ts_us < y->ts_us ? -1 : 1;
  }
  /* A charge before its refunds at the same second; then by id, for a stable order. */
  if (x->is_refund != y->is_refund) {
    return x->is_refund ? 1 : -1;
  }
  return strcmp(x->id, y->id);
}

enum { T_ID, T_CUSTOMER, T_SUB, T_TS, T_AMOUNT, T_CURRENCY, T_KIND, T_REFUND_OF, T_N };

static segkit_status build_transactions(segkit_stripe_import *imp, segkit_table **out,
                                        segkit_error *err) {
  segkit_status st = SEGKIT_OK;
  if (!imp->resolved) {
    /* Once: a failed finish may be retried and must not add implied refunds twice. */
    st = resolve_transactions(imp);
    if (st != SEGKIT_OK) {
      return segkit_error_set(err, st, "out of memory resolving Stripe transactions");
    }
    imp->resolved = true;
  }
  if (imp->n_txns > 1) {
    qsort(imp->txns, imp->n_txns, sizeof *imp->txns, cmp_txn);
  }
  static const char *const names[T_N] = {"transaction_id", "customer_id", "subscription_id",
                                         "timestamp",      "amount",      "currency",
                                         "kind",           "refund_of"};
  static const segkit_type types[T_N] = {
      SEGKIT_TYPE_STRING,  SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING, SEGKIT_TYPE_TIMESTAMP,
      SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING};
  segkit_table_builder *b = NULL;
  st = segkit_table_builder_new(T_N, names, types, &b, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  for (size_t i = 0; st == SEGKIT_OK && i < imp->n_txns; i++) {
    const sk__bill_txn *t = &imp->txns[i];
    sk__bill_opt_i64 ts = {true, t->ts_us};
    st = put_str(b, T_ID, t->id);
    st = st == SEGKIT_OK ? put_str(b, T_CUSTOMER, t->customer_id) : st;
    st = st == SEGKIT_OK ? put_str(b, T_SUB, t->subscription_id) : st;
    st = st == SEGKIT_OK ? put_i64(b, T_TS, ts) : st;
    st = st == SEGKIT_OK ? put_f64(b, T_AMOUNT, true, t->amount) : st;
    st = st == SEGKIT_OK ? put_str(b, T_CURRENCY, t->currency) : st;
    st = st == SEGKIT_OK ? put_str(b, T_KIND, t->is_refund ? "refund" : "charge") : st;
    st = st == SEGKIT_OK ? put_str(b, T_REFUND_OF, t->refund_of) : st;
  }
  return finish(b, st, out, err);
}

/* ============================ all three ============================ */

segkit_status sk__bill_build_tables(segkit_stripe_import *imp,
                                    segkit_table *out[SEGKIT_STRIPE_N_TABLES], segkit_error *err) {
  segkit_table *t[SEGKIT_STRIPE_N_TABLES] = {NULL, NULL, NULL};
  segkit_status st = build_customers(imp, &t[SEGKIT_STRIPE_CUSTOMERS], err);
  if (st == SEGKIT_OK) {
    st = build_subscriptions(imp, &t[SEGKIT_STRIPE_SUBSCRIPTIONS], err);
  }
  if (st == SEGKIT_OK) {
    st = build_transactions(imp, &t[SEGKIT_STRIPE_TRANSACTIONS], err);
  }
  if (st != SEGKIT_OK) {
    for (int i = 0; i < SEGKIT_STRIPE_N_TABLES; i++) {
      segkit_table_free(t[i]);
    }
    return st;
  }
  for (int i = 0; i < SEGKIT_STRIPE_N_TABLES; i++) {
    out[i] = t[i];
  }
  return SEGKIT_OK;
}
