/* Stripe API objects -> records: customer, subscription, invoice, charge, refund.
 *
 * Each object is dispatched on its "object" field and read field by field with the typed
 * getters of json_fields.c, which know the path they are at, so a bad object is reported
 * as precisely as "subscription sub_1: items.data[0].price.unit_amount is a string,
 * expected an integer"; prices and coupons are read by json_prices.c.
 * Key design choice: an object is all or nothing. Its records are built aside and added
 * only when every field read cleanly, so a half-read subscription never feeds the MRR.
 * Field names and meanings are Stripe's (docs/billing.md maps each one). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_json.h"
#include "segkit/datetime.h"

/* ============================ helpers ============================ */

static segkit_status skip(segkit_stripe_import *imp, segkit_stripe_skip_kind kind, const char *file,
                          int64_t line, int64_t index, const char *type, const char *id, int table,
                          json_t *obj, const char *raw, size_t raw_len, const char *reason) {
  char *dump = NULL;
  if (raw == NULL && obj != NULL) {
    dump = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (dump == NULL) {
      return SEGKIT_ERR_NOMEM;
    }
    raw = dump;
    raw_len = strlen(dump);
  }
  bool ok =
      sk__bill_skip_add(imp, kind, file, line, index, type, id, table, raw, raw_len, "%s", reason);
  free(dump);
  return ok ? SEGKIT_OK : SEGKIT_ERR_NOMEM;
}

/* A copy that tells OOM from NULL input. */
static bool dup_to(char **dst, const char *src) {
  *dst = sk__bill_strdup(src);
  return src == NULL || *dst != NULL;
}

static bool dup_upper(char **dst, const char *src) {
  *dst = sk__bill_currency_upper(src);
  return src == NULL || *dst != NULL;
}

/* ============================ customers ============================ */

/* Metadata keys become column names meta_<key>: letters, digits and '_' kept, anything
 * else '_' (so "company size" and "company-size" both become meta_company_size; the first
 * one met wins, see tables.c). */
static char *meta_column(const char *key) {
  size_t n = strlen(key);
  char *s = malloc(n + 6);
  if (s == NULL) {
    return NULL;
  }
  memcpy(s, "meta_", 5);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)key[i];
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    s[5 + i] = keep ? (char)c : '_';
  }
  s[5 + n] = '\0';
  return s;
}

static bool read_metadata(sk__bill_jx *x, json_t *o, sk__bill_customer *c) {
  json_t *meta = NULL;
  if (!sk__bill_j_obj(x, o, "", "metadata", &meta) || meta == NULL) {
    return !x->bad;
  }
  size_t n = json_object_size(meta);
  if (n == 0) {
    return true;
  }
  c->meta = calloc(n, sizeof *c->meta);
  if (c->meta == NULL) {
    return false;
  }
  const char *key;
  json_t *v;
  json_object_foreach(meta, key, v) {
    char text[64];
    const char *value = NULL;
    if (json_is_string(v)) {
      value = json_string_value(v);
    } else if (json_is_integer(v)) {
      snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
      value = text;
    } else if (json_is_boolean(v)) {
      value = json_is_true(v) ? "true" : "false";
    } else if (!json_is_null(v)) {
      return sk__bill_fail_type(x, "metadata", key, v,
                                "a string (Stripe metadata values are strings)");
    }
    sk__bill_kv *kv = &c->meta[c->n_meta];
    kv->key = meta_column(key);
    if (kv->key == NULL || !dup_to(&kv->value, value)) {
      free(kv->key);
      kv->key = NULL;
      return false;
    }
    c->n_meta++;
  }
  return true;
}

static segkit_status read_customer(segkit_stripe_import *imp, sk__bill_jx *x, json_t *o,
                                   const char *file, int64_t line, int64_t index, const char *raw,
                                   size_t raw_len) {
  sk__bill_customer c;
  memset(&c, 0, sizeof c);
  const char *email = NULL;
  const char *name = NULL;
  const char *currency = NULL;
  const char *country = NULL;
  json_t *address = NULL;
  sk__bill_opt_i64 created;
  bool ok = sk__bill_j_time(x, o, "", "created", &created) &&
            sk__bill_j_str(x, o, "", "email", &email) && sk__bill_j_str(x, o, "", "name", &name) &&
            sk__bill_j_str(x, o, "", "currency", &currency) &&
            sk__bill_j_obj(x, o, "", "address", &address) &&
            (address == NULL || sk__bill_j_str(x, address, "address", "country", &country));
  bool mem = true;
  if (ok) {
    c.created_us = created;
    mem = dup_to(&c.id, x->id) && dup_to(&c.email, email) && dup_to(&c.name, name) &&
          dup_to(&c.country, country) && dup_upper(&c.currency, currency) &&
          read_metadata(x, o, &c);
    ok = mem && !x->bad;
  }
  if (!ok) {
    sk__bill_customer_free(&c);
    if (!mem && !x->bad) {
      return SEGKIT_ERR_NOMEM;
    }
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, x->type, x->id,
                SEGKIT_STRIPE_CUSTOMERS, o, raw, raw_len, x->msg);
  }
  bool added = false;
  if (!sk__bill_idset_add(&imp->customer_ids, c.id, &added) ||
      !sk__bill_grow((void **)&imp->customers, &imp->cap_customers, imp->n_customers,
                     sizeof *imp->customers)) {
    sk__bill_customer_free(&c);
    return SEGKIT_ERR_NOMEM;
  }
  imp->customers[imp->n_customers++] = c;
  return SEGKIT_OK;
}

/* ============================ subscriptions ============================ */

/* Subscription-wide fields every item row repeats. */
typedef struct sub_common {
  const char *customer;
  const char *status;
  const char *currency;
  sk__bill_opt_i64 start, trial_end, canceled_at, cancel_at, ended_at, period_end, created;
  bool has_cape, cape;
} sub_common;

/* ended_at: the first day without service (docs/billing.md, "End of service"). */
static sk__bill_opt_i64 end_of_service(const sub_common *s, sk__bill_opt_i64 item_period_end) {
  if (s->ended_at.has) {
    return s->ended_at;
  }
  if (s->cancel_at.has) {
    return s->cancel_at;
  }
  if (s->has_cape && s->cape) {
    return s->period_end.has ? s->period_end : item_period_end;
  }
  if (s->status != NULL && strcmp(s->status, "canceled") == 0) {
    /* Stripe sets ended_at on every canceled subscription; an export without it still
     * must not show a canceled subscription as running: it ended when it was canceled. */
    return s->canceled_at.has ? s->canceled_at : s->start;
  }
  if (s->status != NULL &&
      (strcmp(s->status, "incomplete") == 0 || strcmp(s->status, "incomplete_expired") == 0)) {
    /* The first payment never went through: no service was paid for. */
    return s->start;
  }
  sk__bill_opt_i64 none = {false, 0};
  return none;
}

static bool fill_item(sk__bill_item *it, const char *sub_id, const char *item_id,
                      const sub_common *s, const sk__bill_price_terms *t, sk__bill_opt_i64 qty,
                      sk__bill_opt_i64 ended) {
  const char *cur = t->currency != NULL ? t->currency : s->currency;
  it->has_price = t->has_amount;
  it->unit_price = sk__bill_minor_to_major(t->unit_minor, cur);
  it->seats = qty;
  it->interval_count = t->interval_count;
  it->started_us = s->start;
  it->trial_end_us = s->trial_end;
  it->ended_us = ended;
  it->canceled_us = s->canceled_at;
  it->has_cancel_at_period_end = s->has_cape;
  it->cancel_at_period_end = s->cape;
  return dup_to(&it->subscription_id, sub_id) && dup_to(&it->item_id, item_id) &&
         dup_to(&it->customer_id, s->customer) && dup_to(&it->plan, t->plan) &&
         dup_to(&it->product, t->product) && dup_to(&it->interval, t->interval) &&
         dup_upper(&it->currency, cur) && dup_to(&it->status, s->status) &&
         dup_to(&it->price_id, t->price_id);
}

typedef struct item_buf {
  sk__bill_item *v;
  size_t n, cap;
} item_buf;

static void item_buf_free(item_buf *b) {
  for (size_t i = 0; i < b->n; i++) {
    sk__bill_item_free(&b->v[i]);
  }
  free(b->v);
}

static sk__bill_item *item_buf_add(item_buf *b) {
  if (!sk__bill_grow((void **)&b->v, &b->cap, b->n, sizeof *b->v)) {
    return NULL;
  }
  sk__bill_item *it = &b->v[b->n++];
  memset(it, 0, sizeof *it);
  return it;
}

static bool read_sub_common(sk__bill_jx *x, json_t *o, sub_common *s) {
  memset(s, 0, sizeof *s);
  if (!sk__bill_j_ref(x, o, "", "customer", &s->customer) ||
      !sk__bill_j_str(x, o, "", "status", &s->status) ||
      !sk__bill_j_str(x, o, "", "currency", &s->currency) ||
      !sk__bill_j_time(x, o, "", "start_date", &s->start) ||
      !sk__bill_j_time(x, o, "", "created", &s->created) ||
      !sk__bill_j_time(x, o, "", "trial_end", &s->trial_end) ||
      !sk__bill_j_time(x, o, "", "canceled_at", &s->canceled_at) ||
      !sk__bill_j_time(x, o, "", "cancel_at", &s->cancel_at) ||
      !sk__bill_j_time(x, o, "", "ended_at", &s->ended_at) ||
      !sk__bill_j_time(x, o, "", "current_period_end", &s->period_end) ||
      !sk__bill_j_bool(x, o, "", "cancel_at_period_end", &s->has_cape, &s->cape)) {
    return false;
  }
  if (s->customer == NULL) {
    return sk__bill_fail_missing(x, "", "customer", "every subscription belongs to a customer");
  }
  if (!s->start.has) {
    /* Old API versions call it "start"; created is the last resort. */
    if (!sk__bill_j_time(x, o, "", "start", &s->start)) {
      return false;
    }
    if (!s->start.has) {
      s->start = s->created;
    }
  }
  if (!s->start.has) {
    return sk__bill_fail_missing(x, "", "start_date", "expected Unix seconds");
  }
  return true;
}

/* The items of a subscription: items.data[], or the pre-2018 single "plan" + "quantity". */
static bool read_items(sk__bill_jx *x, json_t *o, const sub_common *s, item_buf *out, bool *oom,
                       int *n_unexpanded, bool *mismatch) {
  json_t *items = NULL;
  if (!sk__bill_j_obj(x, o, "", "items", &items)) {
    return false;
  }
  json_t *data = items != NULL ? json_object_get(items, "data") : NULL;
  if (items != NULL && !json_is_array(data)) {
    return data == NULL ? sk__bill_fail_missing(x, "items", "data", "expected an array of items")
                        : sk__bill_fail_type(x, "items", "data", data, "an array");
  }
  bool legacy = items == NULL;
  if (legacy && json_object_get(o, "plan") == NULL) {
    return sk__bill_fail_missing(x, "", "items", "a subscription needs items (or a legacy plan)");
  }
  size_t n = legacy ? 1 : json_array_size(data);
  /* First pass: terms of every item and the list total, for amount_off coupons that
   * apply to the whole subscription. */
  sk__bill_price_terms *terms = calloc(n + 1, sizeof *terms);
  sk__bill_opt_i64 *qty = calloc(n + 1, sizeof *qty);
  sk__bill_opt_i64 *pend = calloc(n + 1, sizeof *pend);
  if (terms == NULL || qty == NULL || pend == NULL) {
    free(terms);
    free(qty);
    free(pend);
    *oom = true;
    return false;
  }
  double list_total = 0;
  bool ok = true;
  for (size_t i = 0; ok && i < n; i++) {
    json_t *it = legacy ? o : json_array_get(data, i);
    char path[64] = "";
    if (!legacy) {
      snprintf(path, sizeof path, "items.data[%zu]", i);
    }
    if (!json_is_object(it)) {
      ok = sk__bill_fail_type(x, "items", path + 6, it, "an item object");
      break;
    }
    ok = sk__bill_read_terms(x, it, path, &terms[i]) &&
         sk__bill_j_int(x, it, path, "quantity", &qty[i]) &&
         sk__bill_j_time(x, it, path, "current_period_end", &pend[i]) &&
         sk__bill_apply_tiers(x, &terms[i], qty[i]);
    if (ok && qty[i].has && qty[i].v < 0) {
      snprintf(x->msg, sizeof x->msg, "%s %s: %s.quantity is %lld, expected 0 or more", x->type,
               x->id, path, (long long)qty[i].v);
      x->bad = true;
      ok = false;
    }
    list_total += terms[i].unit_minor * (double)(qty[i].has ? qty[i].v : 1);
  }
  sk__bill_discount_acc sub_disc;
  sk__bill_discount_init(&sub_disc);
  const char *sub_currency = n > 0 && terms[0].currency != NULL ? terms[0].currency : s->currency;
  ok = ok && sk__bill_add_discounts(x, o, "", sub_currency, &sub_disc);
  for (size_t i = 0; ok && i < n; i++) {
    json_t *it = legacy ? o : json_array_get(data, i);
    char path[64];
    snprintf(path, sizeof path, "items.data[%zu]", i);
    sk__bill_discount_acc d = sub_disc;
    if (!legacy && !sk__bill_add_discounts(x, it, path, terms[i].currency, &d)) {
      ok = false;
      break;
    }
    *n_unexpanded += d.n_unexpanded;
    *mismatch = *mismatch || d.currency_mismatch;
    double item_list = terms[i].unit_minor * (double)(qty[i].has ? qty[i].v : 1);
    double pct_all = sk__bill_item_discount(&d, &sub_disc, false, list_total, item_list);
    double pct_forever = sk__bill_item_discount(&d, &sub_disc, true, list_total, item_list);
    const char *item_id = NULL;
    if (!legacy && !sk__bill_j_str(x, it, path, "id", &item_id)) {
      ok = false;
      break;
    }
    sk__bill_opt_i64 ended = end_of_service(s, pend[i]);
    sk__bill_item *row = item_buf_add(out);
    if (row == NULL || !fill_item(row, x->id, item_id, s, &terms[i], qty[i], ended)) {
      *oom = true;
      ok = false;
      break;
    }
    row->has_discount = true;
    row->discount_percent = pct_all;
    /* A repeating discount that ends while the row runs: two rows, split at its end. */
    if (d.end_us.has && pct_forever != pct_all && d.end_us.v > row->started_us.v &&
        (!ended.has || d.end_us.v < ended.v)) {
      row->discount_end_us = d.end_us;
      sk__bill_item *after = item_buf_add(out);
      if (after == NULL) {
        *oom = true;
        ok = false;
        break;
      }
      row = &out->v[out->n - 2]; /* the add may have moved the buffer */
      if (!fill_item(after, x->id, item_id, s, &terms[i], qty[i], ended)) {
        *oom = true;
        ok = false;
        break;
      }
      after->started_us = d.end_us;
      after->has_discount = true;
      after->discount_percent = pct_forever;
      row->ended_us = d.end_us;
      /* The trial belongs to the first span; the second starts paid. */
      if (after->trial_end_us.has && after->trial_end_us.v <= d.end_us.v) {
        after->trial_end_us.has = false;
      }
    }
  }
  free(terms);
  free(qty);
  free(pend);
  return ok;
}

static segkit_status read_subscription(segkit_stripe_import *imp, sk__bill_jx *x, json_t *o,
                                       const char *file, int64_t line, int64_t index,
                                       const char *raw, size_t raw_len) {
  sub_common s;
  item_buf items = {0};
  bool oom = false;
  int n_unexpanded = 0;
  bool mismatch = false;
  bool ok =
      read_sub_common(x, o, &s) && read_items(x, o, &s, &items, &oom, &n_unexpanded, &mismatch);
  if (oom) {
    item_buf_free(&items);
    return SEGKIT_ERR_NOMEM;
  }
  if (!ok) {
    item_buf_free(&items);
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, x->type, x->id,
                SEGKIT_STRIPE_SUBSCRIPTIONS, o, raw, raw_len, x->msg);
  }
  bool added = false;
  if (!sk__bill_idset_add(&imp->subscription_ids, x->id, &added)) {
    item_buf_free(&items);
    return SEGKIT_ERR_NOMEM;
  }
  if (!added) {
    item_buf_free(&items);
    char msg[400];
    snprintf(msg, sizeof msg, "subscription %s: already imported (the first one is kept)", x->id);
    return skip(imp, SEGKIT_STRIPE_SKIP_DUPLICATE, file, line, index, x->type, x->id, -1, o, raw,
                raw_len, msg);
  }
  for (size_t i = 0; i < items.n; i++) {
    if (!sk__bill_grow((void **)&imp->items, &imp->cap_items, imp->n_items, sizeof *imp->items)) {
      /* Items already moved belong to imp now; free only the rest. */
      for (size_t j = i; j < items.n; j++) {
        sk__bill_item_free(&items.v[j]);
      }
      free(items.v);
      return SEGKIT_ERR_NOMEM;
    }
    imp->items[imp->n_items++] = items.v[i];
  }
  free(items.v);
  segkit_status st = SEGKIT_OK;
  if (n_unexpanded > 0) {
    char msg[400];
    snprintf(msg, sizeof msg,
             "subscription %s: %d discount(s) given only by id, not expanded: "
             "ignored (export with expand[]=data.discounts to include them)",
             x->id, n_unexpanded);
    st = skip(imp, SEGKIT_STRIPE_SKIP_WARNING, file, line, index, x->type, x->id, -1, NULL, NULL, 0,
              msg);
  }
  if (st == SEGKIT_OK && mismatch) {
    char msg[400];
    snprintf(msg, sizeof msg,
             "subscription %s: an amount_off coupon in another currency than "
             "the price: ignored",
             x->id);
    st = skip(imp, SEGKIT_STRIPE_SKIP_WARNING, file, line, index, x->type, x->id, -1, NULL, NULL, 0,
              msg);
  }
  return st;
}

/* ============================ invoices ============================ */

/* The subscription of an invoice: "subscription" (API before 2025-03), else
 * parent.subscription_details.subscription. */
static bool invoice_subscription(sk__bill_jx *x, json_t *o, const char **sub) {
  if (!sk__bill_j_ref(x, o, "", "subscription", sub)) {
    return false;
  }
  if (*sub == NULL) {
    json_t *parent = json_object_get(o, "parent");
    json_t *det = json_is_object(parent) ? json_object_get(parent, "subscription_details") : NULL;
    if (json_is_object(det)) {
      return sk__bill_j_ref(x, det, "parent.subscription_details", "subscription", sub);
    }
  }
  return true;
}

static bool read_invoice_line(sk__bill_jx *x, json_t *l, size_t i, const char *inv_sub,
                              const char *inv_currency, sk__bill_line *out, bool *use, bool *oom) {
  char path[64];
  snprintf(path, sizeof path, "lines.data[%zu]", i);
  *use = false;
  if (!json_is_object(l)) {
    return sk__bill_fail_type(x, "lines", path + 6, l, "a line item object");
  }
  const char *type = NULL;
  bool has_pr = false;
  bool proration = false;
  if (!sk__bill_j_str(x, l, path, "type", &type) ||
      !sk__bill_j_bool(x, l, path, "proration", &has_pr, &proration)) {
    return false;
  }
  /* Only whole-period subscription lines describe terms; prorations are adjustments. */
  if (type == NULL || strcmp(type, "subscription") != 0 || proration) {
    return true;
  }
  const char *sub = NULL;
  const char *item = NULL;
  json_t *period = NULL;
  sk__bill_opt_i64 qty, ps, pe;
  sk__bill_price_terms t;
  json_t *price = json_object_get(l, "price");
  json_t *plan = json_object_get(l, "plan");
  if ((price == NULL || json_is_null(price)) && (plan == NULL || json_is_null(plan))) {
    /* API 2025-03-31 and later give only pricing.price_details.price (an id): no interval
     * to read, so the line cannot describe terms; the invoice is still used for its
     * subscription. */
    return true;
  }
  if (!sk__bill_j_ref(x, l, path, "subscription", &sub) ||
      !sk__bill_j_ref(x, l, path, "subscription_item", &item) ||
      !sk__bill_j_obj(x, l, path, "period", &period) ||
      !sk__bill_j_int(x, l, path, "quantity", &qty) || !sk__bill_read_terms(x, l, path, &t) ||
      !sk__bill_apply_tiers(x, &t, qty)) {
    return false;
  }
  char ppath[80];
  snprintf(ppath, sizeof ppath, "%s.period", path);
  if (period == NULL) {
    return sk__bill_fail_missing(x, path, "period", "expected start and end");
  }
  if (!sk__bill_j_time(x, period, ppath, "start", &ps) ||
      !sk__bill_j_time(x, period, ppath, "end", &pe)) {
    return false;
  }
  if (!ps.has || !pe.has) {
    return sk__bill_fail_missing(x, ppath, ps.has ? "end" : "start", "expected Unix seconds");
  }
  if (item == NULL) {
    json_t *parent = json_object_get(l, "parent");
    json_t *det =
        json_is_object(parent) ? json_object_get(parent, "subscription_item_details") : NULL;
    if (json_is_object(det)) {
      item = json_string_value(json_object_get(det, "subscription_item"));
      if (sub == NULL) {
        sub = json_string_value(json_object_get(det, "subscription"));
      }
    }
  }
  if (sub == NULL) {
    sub = inv_sub;
  }
  if (sub == NULL) {
    return true;
  }
  const char *cur = t.currency != NULL ? t.currency : inv_currency;
  memset(out, 0, sizeof *out);
  out->has_price = t.has_amount;
  out->unit_price = sk__bill_minor_to_major(t.unit_minor, cur);
  out->seats = qty;
  out->interval_count = t.interval_count;
  out->start_us = ps.v;
  out->end_us = pe.v;
  if (!dup_to(&out->subscription_id, sub) || !dup_to(&out->item_id, item) ||
      !dup_to(&out->price_id, t.price_id) || !dup_to(&out->plan, t.plan) ||
      !dup_to(&out->product, t.product) || !dup_to(&out->interval, t.interval) ||
      !dup_upper(&out->currency, cur)) {
    sk__bill_line_free(out);
    *oom = true;
    return false;
  }
  *use = true;
  return true;
}

static segkit_status read_invoice(segkit_stripe_import *imp, sk__bill_jx *x, json_t *o,
                                  const char *file, int64_t line, int64_t index, const char *raw,
                                  size_t raw_len) {
  const char *sub = NULL;
  const char *currency = NULL;
  json_t *lines = NULL;
  if (!invoice_subscription(x, o, &sub) || !sk__bill_j_str(x, o, "", "currency", &currency) ||
      !sk__bill_j_obj(x, o, "", "lines", &lines)) {
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, x->type, x->id,
                SEGKIT_STRIPE_TRANSACTIONS, o, raw, raw_len, x->msg);
  }
  json_t *data = lines != NULL ? json_object_get(lines, "data") : NULL;
  if (lines != NULL && data != NULL && !json_is_array(data)) {
    sk__bill_fail_type(x, "lines", "data", data, "an array");
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, x->type, x->id,
                SEGKIT_STRIPE_TRANSACTIONS, o, raw, raw_len, x->msg);
  }
  /* Lines are read aside and added only if all are good. */
  size_t n = json_array_size(data);
  sk__bill_line *got = n > 0 ? calloc(n, sizeof *got) : NULL;
  if (n > 0 && got == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  size_t n_got = 0;
  bool oom = false;
  bool ok = true;
  for (size_t i = 0; ok && i < n; i++) {
    bool use = false;
    ok = read_invoice_line(x, json_array_get(data, i), i, sub, currency, &got[n_got], &use, &oom);
    n_got += use ? 1 : 0;
  }
  if (!ok || oom) {
    for (size_t i = 0; i < n_got; i++) {
      sk__bill_line_free(&got[i]);
    }
    free(got);
    if (oom) {
      return SEGKIT_ERR_NOMEM;
    }
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, x->type, x->id,
                SEGKIT_STRIPE_TRANSACTIONS, o, raw, raw_len, x->msg);
  }
  segkit_status st = SEGKIT_OK;
  for (size_t i = 0; i < n_got; i++) {
    if (st == SEGKIT_OK &&
        sk__bill_grow((void **)&imp->lines, &imp->cap_lines, imp->n_lines, sizeof *imp->lines)) {
      imp->lines[imp->n_lines++] = got[i];
    } else {
      sk__bill_line_free(&got[i]);
      st = SEGKIT_ERR_NOMEM;
    }
  }
  free(got);
  if (st == SEGKIT_OK && sub != NULL) {
    if (!sk__bill_grow((void **)&imp->invoices, &imp->cap_invoices, imp->n_invoices,
                       sizeof *imp->invoices)) {
      return SEGKIT_ERR_NOMEM;
    }
    sk__bill_invoice_sub *is = &imp->invoices[imp->n_invoices];
    is->invoice_id = sk__bill_strdup(x->id);
    is->subscription_id = sk__bill_strdup(sub);
    if (is->invoice_id == NULL || is->subscription_id == NULL) {
      free(is->invoice_id);
      free(is->subscription_id);
      return SEGKIT_ERR_NOMEM;
    }
    imp->n_invoices++;
  }
  return st;
}

/* ============================ charges and refunds ============================ */

static segkit_status add_txn(segkit_stripe_import *imp, sk__bill_txn *t, const char *file,
                             int64_t line, int64_t index, const char *type) {
  bool added = false;
  if (!sk__bill_idset_add(&imp->txn_ids, t->id, &added)) {
    sk__bill_txn_free(t);
    return SEGKIT_ERR_NOMEM;
  }
  if (!added) {
    /* A refund is listed inside its charge and exported on its own too: same id, same
     * money, one row. */
    bool ok = sk__bill_skip_add(imp, SEGKIT_STRIPE_SKIP_DUPLICATE, file, line, index, type, t->id,
                                -1, NULL, 0,
                                "%s %s: already imported (the first one "
                                "is kept)",
                                type, t->id);
    sk__bill_txn_free(t);
    return ok ? SEGKIT_OK : SEGKIT_ERR_NOMEM;
  }
  if (!sk__bill_grow((void **)&imp->txns, &imp->cap_txns, imp->n_txns, sizeof *imp->txns)) {
    sk__bill_txn_free(t);
    return SEGKIT_ERR_NOMEM;
  }
  imp->txns[imp->n_txns++] = *t;
  return SEGKIT_OK;
}

/* A refund object (standalone or in charge.refunds.data[]); fills *t or says why not. */
static bool read_refund_fields(sk__bill_jx *x, json_t *r, const char *path, const char *charge_id,
                               const char *charge_currency, sk__bill_txn *t, bool *counted,
                               bool *oom) {
  const char *id = NULL;
  const char *charge = NULL;
  const char *currency = NULL;
  const char *status = NULL;
  sk__bill_opt_i64 amount, created;
  memset(t, 0, sizeof *t);
  *counted = false;
  if (!sk__bill_j_str(x, r, path, "id", &id) || !sk__bill_j_ref(x, r, path, "charge", &charge) ||
      !sk__bill_j_str(x, r, path, "currency", &currency) ||
      !sk__bill_j_str(x, r, path, "status", &status) ||
      !sk__bill_j_int(x, r, path, "amount", &amount) ||
      !sk__bill_j_time(x, r, path, "created", &created)) {
    return false;
  }
  if (id == NULL) {
    return sk__bill_fail_missing(x, path, "id", "expected the refund's id");
  }
  if (!amount.has) {
    return sk__bill_fail_missing(x, path, "amount", "expected an integer in minor units");
  }
  if (!created.has) {
    return sk__bill_fail_missing(x, path, "created", "expected Unix seconds");
  }
  if (charge == NULL) {
    charge = charge_id;
  }
  if (currency == NULL) {
    currency = charge_currency;
  }
  /* failed and canceled refunds gave no money back. */
  if (status != NULL && (strcmp(status, "failed") == 0 || strcmp(status, "canceled") == 0)) {
    return true;
  }
  *counted = true;
  t->is_refund = true;
  t->ts_us = created.v;
  t->amount = sk__bill_minor_to_major(fabs((double)amount.v), currency);
  if (!dup_to(&t->id, id) || !dup_to(&t->refund_of, charge) || !dup_upper(&t->currency, currency)) {
    sk__bill_txn_free(t);
    *oom = true;
    return false;
  }
  return true;
}

static segkit_status read_refund(segkit_stripe_import *imp, sk__bill_jx *x, json_t *o,
                                 const char *file, int64_t line, int64_t index, const char *raw,
                                 size_t raw_len) {
  sk__bill_txn t;
  bool counted = false;
  bool oom = false;
  if (!read_refund_fields(x, o, "", NULL, NULL, &t, &counted, &oom)) {
    if (oom) {
      return SEGKIT_ERR_NOMEM;
    }
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, x->type, x->id,
                SEGKIT_STRIPE_TRANSACTIONS, o, raw, raw_len, x->msg);
  }
  if (!counted) {
    char msg[300];
    snprintf(msg, sizeof msg, "refund %s: status %s, no money returned: no transaction", x->id,
             json_string_value(json_object_get(o, "status")));
    return skip(imp, SEGKIT_STRIPE_SKIP_NOT_PAID, file, line, index, x->type, x->id, -1, o, raw,
                raw_len, msg);
  }
  return add_txn(imp, &t, file, line, index, "refund");
}

static segkit_status read_charge(segkit_stripe_import *imp, sk__bill_jx *x, json_t *o,
                                 const char *file, int64_t line, int64_t index, const char *raw,
                                 size_t raw_len) {
  const char *customer = NULL;
  const char *currency = NULL;
  const char *status = NULL;
  const char *invoice = NULL;
  sk__bill_opt_i64 amount, created, refunded;
  bool has_paid = false;
  bool paid = false;
  json_t *refunds = NULL;
  bool ok = sk__bill_j_ref(x, o, "", "customer", &customer) &&
            sk__bill_j_str(x, o, "", "currency", &currency) &&
            sk__bill_j_str(x, o, "", "status", &status) &&
            sk__bill_j_ref(x, o, "", "invoice", &invoice) &&
            sk__bill_j_int(x, o, "", "amount", &amount) &&
            sk__bill_j_time(x, o, "", "created", &created) &&
            sk__bill_j_int(x, o, "", "amount_refunded", &refunded) &&
            sk__bill_j_bool(x, o, "", "paid", &has_paid, &paid) &&
            sk__bill_j_obj(x, o, "", "refunds", &refunds);
  if (ok && !amount.has) {
    ok = sk__bill_fail_missing(x, "", "amount", "expected an integer in minor units");
  }
  if (ok && (amount.v < 0 || (refunded.has && refunded.v < 0))) {
    snprintf(x->msg, sizeof x->msg,
             "charge %s: a negative amount or amount_refunded, expected "
             "0 or more",
             x->id);
    x->bad = true;
    ok = false;
  }
  if (ok && !created.has) {
    ok = sk__bill_fail_missing(x, "", "created", "expected Unix seconds");
  }
  if (ok && currency == NULL) {
    ok = sk__bill_fail_missing(x, "", "currency", "expected a three-letter ISO code");
  }
  json_t *rdata = refunds != NULL ? json_object_get(refunds, "data") : NULL;
  if (ok && rdata != NULL && !json_is_array(rdata)) {
    ok = sk__bill_fail_type(x, "refunds", "data", rdata, "an array");
  }
  if (!ok) {
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, x->type, x->id,
                SEGKIT_STRIPE_TRANSACTIONS, o, raw, raw_len, x->msg);
  }
  bool has_captured = false;
  bool captured = true;
  if (!sk__bill_j_bool(x, o, "", "captured", &has_captured, &captured)) {
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, x->type, x->id,
                SEGKIT_STRIPE_TRANSACTIONS, o, raw, raw_len, x->msg);
  }
  /* paid is also true for a card authorised but not captured: no money moved yet. */
  bool succeeded = ((has_paid && paid) || (status != NULL && strcmp(status, "succeeded") == 0)) &&
                   (!has_captured || captured);
  if (!succeeded) {
    imp->counts.charges_not_paid++;
    char msg[300];
    snprintf(msg, sizeof msg, "charge %s: status %s, paid %s%s: not money received, no transaction",
             x->id, status != NULL ? status : "(none)",
             has_paid ? (paid ? "true" : "false") : "(absent)",
             has_captured && !captured ? ", captured false" : "");
    return skip(imp, SEGKIT_STRIPE_SKIP_NOT_PAID, file, line, index, x->type, x->id, -1, o, raw,
                raw_len, msg);
  }
  /* Refund objects first, all read before anything is added (all or nothing). */
  size_t n_ref = json_array_size(rdata);
  sk__bill_txn *refs = n_ref > 0 ? calloc(n_ref, sizeof *refs) : NULL;
  if (n_ref > 0 && refs == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  size_t n_got = 0;
  bool oom = false;
  for (size_t i = 0; ok && i < n_ref; i++) {
    char path[64];
    snprintf(path, sizeof path, "refunds.data[%zu]", i);
    json_t *r = json_array_get(rdata, i);
    bool counted = false;
    if (!json_is_object(r)) {
      ok = sk__bill_fail_type(x, "refunds", path + 8, r, "a refund object");
      break;
    }
    ok = read_refund_fields(x, r, path, x->id, currency, &refs[n_got], &counted, &oom);
    n_got += ok && counted ? 1 : 0;
  }
  sk__bill_txn t;
  memset(&t, 0, sizeof t);
  if (ok) {
    t.ts_us = created.v;
    t.amount = sk__bill_minor_to_major((double)amount.v, currency);
    t.amount_refunded_minor = refunded.has ? refunded.v : 0;
    if (!dup_to(&t.id, x->id) || !dup_to(&t.customer_id, customer) ||
        !dup_to(&t.invoice_id, invoice) || !dup_upper(&t.currency, currency)) {
      oom = true;
      ok = false;
    }
  }
  if (!ok) {
    sk__bill_txn_free(&t);
    for (size_t i = 0; i < n_got; i++) {
      sk__bill_txn_free(&refs[i]);
    }
    free(refs);
    if (oom) {
      return SEGKIT_ERR_NOMEM;
    }
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, x->type, x->id,
                SEGKIT_STRIPE_TRANSACTIONS, o, raw, raw_len, x->msg);
  }
  imp->counts.charges_paid++;
  segkit_status st = add_txn(imp, &t, file, line, index, "charge");
  for (size_t i = 0; i < n_got; i++) {
    if (st == SEGKIT_OK) {
      st = add_txn(imp, &refs[i], file, line, index, "refund");
    } else {
      sk__bill_txn_free(&refs[i]);
    }
  }
  free(refs);
  return st;
}

/* ============================ dispatch ============================ */

segkit_status sk__bill_json_object(segkit_stripe_import *imp, const char *file, int64_t line,
                                   int64_t index, json_t *obj, const char *raw, size_t raw_len) {
  if (!json_is_object(obj)) {
    imp->counts.objects[SEGKIT_STRIPE_OBJ_OTHER]++;
    char msg[200];
    snprintf(msg, sizeof msg, "%s, expected a Stripe object", sk__bill_json_kind(obj));
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, "", "", -1, obj, raw, raw_len,
                msg);
  }
  sk__bill_jx x;
  memset(&x, 0, sizeof x);
  x.type = json_string_value(json_object_get(obj, "object"));
  x.id = json_string_value(json_object_get(obj, "id"));
  static const struct {
    const char *name;
    segkit_stripe_object kind;
    int table;
  } types[] = {{"customer", SEGKIT_STRIPE_OBJ_CUSTOMER, SEGKIT_STRIPE_CUSTOMERS},
               {"subscription", SEGKIT_STRIPE_OBJ_SUBSCRIPTION, SEGKIT_STRIPE_SUBSCRIPTIONS},
               {"invoice", SEGKIT_STRIPE_OBJ_INVOICE, SEGKIT_STRIPE_TRANSACTIONS},
               {"charge", SEGKIT_STRIPE_OBJ_CHARGE, SEGKIT_STRIPE_TRANSACTIONS},
               {"refund", SEGKIT_STRIPE_OBJ_REFUND, SEGKIT_STRIPE_TRANSACTIONS}};
  size_t k = 0;
  while (k < sizeof types / sizeof types[0] &&
         (x.type == NULL || strcmp(x.type, types[k].name) != 0)) {
    k++;
  }
  if (k == sizeof types / sizeof types[0]) {
    imp->counts.objects[SEGKIT_STRIPE_OBJ_OTHER]++;
    char msg[300];
    if (x.type == NULL) {
      snprintf(msg, sizeof msg, "object %.100s has no \"object\" field naming its type",
               x.id != NULL ? x.id : "(no id)");
    } else {
      snprintf(msg, sizeof msg,
               "%.60s %.100s: object type not imported (customer, subscription, "
               "invoice, charge and refund are)",
               x.type, x.id != NULL ? x.id : "(no id)");
    }
    return skip(imp, SEGKIT_STRIPE_SKIP_UNSUPPORTED, file, line, index, x.type, x.id, -1, obj, raw,
                raw_len, msg);
  }
  imp->counts.objects[types[k].kind]++;
  json_t *idv = json_object_get(obj, "id");
  if (!json_is_string(idv)) {
    x.id = NULL;
    if (idv == NULL || json_is_null(idv)) {
      sk__bill_fail_missing(&x, "", "id", "every Stripe object has an id");
    } else {
      sk__bill_fail_type(&x, "", "id", idv, "a string");
    }
    return skip(imp, SEGKIT_STRIPE_SKIP_MALFORMED, file, line, index, x.type, NULL, types[k].table,
                obj, raw, raw_len, x.msg);
  }
  switch (types[k].kind) {
  case SEGKIT_STRIPE_OBJ_CUSTOMER: {
    if (sk__bill_idset_has(&imp->customer_ids, x.id)) {
      char msg[300];
      snprintf(msg, sizeof msg, "customer %.100s: already imported (the first one is kept)", x.id);
      return skip(imp, SEGKIT_STRIPE_SKIP_DUPLICATE, file, line, index, x.type, x.id, -1, obj, raw,
                  raw_len, msg);
    }
    return read_customer(imp, &x, obj, file, line, index, raw, raw_len);
  }
  case SEGKIT_STRIPE_OBJ_SUBSCRIPTION:
    return read_subscription(imp, &x, obj, file, line, index, raw, raw_len);
  case SEGKIT_STRIPE_OBJ_INVOICE:
    return read_invoice(imp, &x, obj, file, line, index, raw, raw_len);
  case SEGKIT_STRIPE_OBJ_CHARGE:
    return read_charge(imp, &x, obj, file, line, index, raw, raw_len);
  default:
    return read_refund(imp, &x, obj, file, line, index, raw, raw_len);
  }
}
