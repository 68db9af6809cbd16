/* Private to src/billing: the records an import collects before the tables are built.
 *
 * Readers (JSON objects, dashboard CSV) turn each Stripe object into flat records with
 * owned strings; tables.c turns the records into segkit tables at finish. Keeping the
 * records flat and owned means the JSON trees can be freed file by file, and references
 * between objects (a charge's invoice, an invoice's subscription) are resolved only at
 * finish, whatever order the files came in. */
#ifndef SEGKIT_BILLING_INT_H
#define SEGKIT_BILLING_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/billing.h"

/* An optional 64-bit value: Stripe fields are often null or absent. */
typedef struct sk__bill_opt_i64 {
  bool has;
  int64_t v;
} sk__bill_opt_i64;

typedef struct sk__bill_kv {
  char *key;
  char *value;
} sk__bill_kv;

typedef struct sk__bill_customer {
  char *id;
  sk__bill_opt_i64 created_us;
  char *email;
  char *name;
  char *country;
  char *currency;
  sk__bill_kv *meta;
  size_t n_meta;
} sk__bill_customer;

/* One subscription item (or one span of it). Times in microseconds. */
typedef struct sk__bill_item {
  char *subscription_id;
  char *item_id;
  char *customer_id;
  char *plan;
  char *product;
  bool has_price;
  double unit_price; /* major units */
  sk__bill_opt_i64 seats;
  char *interval;
  int64_t interval_count;
  char *currency; /* upper case */
  char *status;
  sk__bill_opt_i64 started_us;
  sk__bill_opt_i64 trial_end_us;
  sk__bill_opt_i64 ended_us;
  sk__bill_opt_i64 canceled_us;
  bool has_cancel_at_period_end;
  bool cancel_at_period_end;
  bool has_discount;
  double discount_percent;
  sk__bill_opt_i64 discount_end_us; /* a repeating coupon's end: the row is split there */
  char *price_id;                   /* for matching invoice lines */
} sk__bill_item;

typedef struct sk__bill_txn {
  char *id;
  char *customer_id;
  char *invoice_id; /* resolved to a subscription at finish */
  char *subscription_id;
  int64_t ts_us;
  double amount; /* major units, positive */
  char *currency;
  bool is_refund;
  char *refund_of;
  int64_t amount_refunded_minor; /* a charge's amount_refunded, for implied refunds */
} sk__bill_txn;

/* A subscription line of an invoice: one period of one item's terms. */
typedef struct sk__bill_line {
  char *subscription_id;
  char *item_id; /* subscription_item, may be NULL */
  char *price_id;
  char *plan;
  char *product;
  bool has_price;
  double unit_price;
  sk__bill_opt_i64 seats;
  char *interval;
  int64_t interval_count;
  char *currency;
  int64_t start_us;
  int64_t end_us;
} sk__bill_line;

typedef struct sk__bill_invoice_sub {
  char *invoice_id;
  char *subscription_id;
} sk__bill_invoice_sub;

/* A set of strings (ids), open addressing; owns its copies. */
typedef struct sk__bill_idset {
  char **slots;
  size_t cap;
  size_t n;
} sk__bill_idset;

/* Insert id; *added tells whether it was new. false on OOM. */
bool sk__bill_idset_add(sk__bill_idset *s, const char *id, bool *added);
bool sk__bill_idset_has(const sk__bill_idset *s, const char *id);
void sk__bill_idset_free(sk__bill_idset *s);

struct segkit_stripe_import {
  sk__bill_customer *customers;
  size_t n_customers, cap_customers;
  sk__bill_item *items;
  size_t n_items, cap_items;
  sk__bill_txn *txns;
  size_t n_txns, cap_txns;
  sk__bill_line *lines;
  size_t n_lines, cap_lines;
  sk__bill_invoice_sub *invoices;
  size_t n_invoices, cap_invoices;
  sk__bill_idset customer_ids; /* ids seen, for duplicates */
  sk__bill_idset subscription_ids;
  sk__bill_idset txn_ids;

  segkit_stripe_skip *skips;
  size_t n_skips, cap_skips;
  segkit_reject *rejects[SEGKIT_STRIPE_N_TABLES];
  size_t n_rejects[SEGKIT_STRIPE_N_TABLES];
  bool rejects_stale;

  segkit_stripe_counts counts;
  bool resolved; /* transactions cross-referenced (tables.c), done once */
  bool history_done;
  bool finished;
};

/* ---- memory helpers (import.c) ---- */
char *sk__bill_strdup(const char *s);
char *sk__bill_strndup(const char *s, size_t n);
/* Grow *v (elements of `size` bytes) so it has room for one more; false on OOM. */
bool sk__bill_grow(void **v, size_t *cap, size_t n, size_t size);
void sk__bill_customer_free(sk__bill_customer *c);
void sk__bill_item_free(sk__bill_item *it);
void sk__bill_txn_free(sk__bill_txn *t);
void sk__bill_line_free(sk__bill_line *l);

/* Record a skipped object; copies every string. false on OOM. */
bool sk__bill_skip_add(segkit_stripe_import *imp, segkit_stripe_skip_kind kind, const char *file,
                       int64_t line, int64_t index, const char *type, const char *id, int table,
                       const char *raw, size_t raw_len, const char *fmt, ...) SEGKIT_PRINTF(11, 12);

/* ---- amounts (amounts.c) ---- */
/* Upper-case copy of a currency code (NULL in, NULL out); NULL on OOM too, so callers that
 * need to tell the two apart check the input. */
char *sk__bill_currency_upper(const char *code);
/* Minor units of `amount` (an integer or decimal string) -> major units. */
double sk__bill_minor_to_major(double minor, const char *currency);
/* Strict decimal text ("1234", "12.5", "-3") to double; false if not such a number. */
bool sk__bill_parse_decimal(const char *s, double *out);

/* ---- JSON (json_objects.c, json_files.c) ---- */
segkit_status sk__bill_json_add(segkit_stripe_import *imp, const char *name, const char *data,
                                size_t size, segkit_error *err);

/* ---- dashboard CSV (dashboard_csv.c) ---- */
/* True when the bytes look like a CSV whose header has Stripe's dashboard columns. */
segkit_status sk__bill_csv_add(segkit_stripe_import *imp, const char *name, const char *data,
                               size_t size, segkit_error *err);

/* ---- history (history.c) ---- */
/* Replace the items of subscriptions that have invoice lines with spans rebuilt from them. */
segkit_status sk__bill_history_apply(segkit_stripe_import *imp, segkit_error *err);

/* ---- tables (tables.c) ---- */
segkit_status sk__bill_build_tables(segkit_stripe_import *imp,
                                    segkit_table *out[SEGKIT_STRIPE_N_TABLES], segkit_error *err);

#endif
