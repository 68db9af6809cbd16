/* Private to src/billing: the JSON side of the import, shared by json_files.c (file
 * shapes), json_fields.c (typed getters), json_prices.c (prices and discounts) and
 * json_objects.c (one Stripe object at a time). Kept apart from billing_int.h so only these
 * files see jansson. */
#ifndef SEGKIT_BILLING_JSON_H
#define SEGKIT_BILLING_JSON_H

#include <jansson.h>

#include "billing/billing_int.h"

/* Read one Stripe object: dispatch on its "object" field, add its records, or record why
 * it was skipped. line (JSON Lines) or index (array element) locate it; raw is the line's
 * bytes when there is one (else the object is dumped for quarantine). Returns SEGKIT_OK or
 * SEGKIT_ERR_NOMEM: a bad object is not an error. */
segkit_status sk__bill_json_object(segkit_stripe_import *imp, const char *file, int64_t line,
                                   int64_t index, json_t *obj, const char *raw, size_t raw_len);

/* ---- typed getters (json_fields.c) ----
 * Each reads o[key] at `path` (the dotted path of o, "" at the top, for messages). Absent
 * or null is not an error: the out value says "none". A value of the wrong type fills
 * x->msg (only the first problem is kept) and returns false. */
/* The object being read: where it is and what went wrong first. */
typedef struct sk__bill_jx {
  const char *type;
  const char *id;
  char msg[700];
  bool bad;
} sk__bill_jx;

/* "a string", "an integer", ... for messages. */
const char *sk__bill_json_kind(const json_t *v);
/* Record "<type> <id>: <path>.<key> is <kind>, expected <expected>"; returns false. */
bool sk__bill_fail_type(sk__bill_jx *x, const char *path, const char *key, const json_t *v,
                        const char *expected);
/* Record "<type> <id>: <path>.<key> is missing (<what>)"; returns false. */
bool sk__bill_fail_missing(sk__bill_jx *x, const char *path, const char *key, const char *what);
bool sk__bill_j_str(sk__bill_jx *x, json_t *o, const char *path, const char *key, const char **out);
/* An integer (an integral real is accepted). */
bool sk__bill_j_int(sk__bill_jx *x, json_t *o, const char *path, const char *key,
                    sk__bill_opt_i64 *out);
bool sk__bill_j_bool(sk__bill_jx *x, json_t *o, const char *path, const char *key, bool *has,
                     bool *out);
bool sk__bill_j_number(sk__bill_jx *x, json_t *o, const char *path, const char *key, bool *has,
                       double *out);
bool sk__bill_j_obj(sk__bill_jx *x, json_t *o, const char *path, const char *key, json_t **out);
/* A reference: an id string, or an expanded object's "id". */
bool sk__bill_j_ref(sk__bill_jx *x, json_t *o, const char *path, const char *key, const char **out);
/* Unix seconds (1970..9999) -> microseconds. */
bool sk__bill_j_time(sk__bill_jx *x, json_t *o, const char *path, const char *key,
                     sk__bill_opt_i64 *out);
/* ASCII case-insensitive comparison (currency codes), no locale. */
int sk__bill_strcasecmp_ascii(const char *a, const char *b);

/* ---- prices and discounts (json_prices.c) ---- */
/* What an item's price (or legacy plan) says. Strings borrow from the JSON. */
typedef struct sk__bill_price_terms {
  const char *price_id;
  const char *plan;
  const char *product;
  const char *currency;
  const char *interval;
  int64_t interval_count;
  bool has_amount;
  double unit_minor; /* minor units per unit per interval */
  json_t *tiers;     /* a tiered price's expanded tiers (borrowed), else NULL: the unit
                        amount depends on the quantity, see sk__bill_apply_tiers */
  bool graduated;    /* tiers_mode "graduated" (else "volume") */
  char path[256];    /* where the price is ("items.data[0].price"), for messages */
} sk__bill_price_terms;

/* Coupons met so far for one item (subscription-level ones first), by duration. */
typedef struct sk__bill_discount_acc {
  double keep_all;      /* percent of the price kept by the percent coupons: 100, then
                           x (100 - p) / 100 per coupon, all durations */
  double keep_forever;  /* the same over forever coupons only */
  double off_minor_all; /* amount_off sum in minor units */
  double off_minor_forever;
  sk__bill_opt_i64 end_us; /* earliest end of a repeating discount */
  const char *off_currency;
  bool currency_mismatch;
  int n_unexpanded;
} sk__bill_discount_acc;

/* The price of an item or invoice line at `path`: "price", else the legacy "plan". */
bool sk__bill_read_terms(sk__bill_jx *x, json_t *o, const char *path, sk__bill_price_terms *t);
/* For a tiered price, the average unit amount at this quantity (total of the tiers /
 * quantity); nothing for other prices. path names the price in messages. */
bool sk__bill_apply_tiers(sk__bill_jx *x, sk__bill_price_terms *t, sk__bill_opt_i64 qty);
void sk__bill_discount_init(sk__bill_discount_acc *d);
/* Add o's "discount" object and "discounts" array (objects, or ids counted as unexpanded). */
bool sk__bill_add_discounts(sk__bill_jx *x, json_t *o, const char *path, const char *item_currency,
                            sk__bill_discount_acc *d);
/* The discount percent of one item (docs/billing.md, "Discounts"). */
double sk__bill_item_discount(const sk__bill_discount_acc *d, const sk__bill_discount_acc *sub,
                              bool forever_only, double list_total, double item_list);

#endif
