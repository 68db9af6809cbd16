/* Prices and discounts: what one subscription item costs, and what its coupons take off.
 *
 * A price (or a legacy plan) gives the unit amount in minor units, the interval and the
 * currency; a plan name is its nickname, else its lookup key, else its id. Coupons become
 * one discount percent per item by the rule in docs/billing.md ("Discounts"). Key design
 * choice: the percent is computed twice, with all coupons and with the forever ones only,
 * so json_objects.c can split an item where a repeating discount ends without reading the
 * coupons again. */
#include <stdio.h>
#include <string.h>

#include "billing/billing_json.h"

/* ============================ prices ============================ */

static bool read_product(sk__bill_jx *x, json_t *p, const char *path, const char **product) {
  json_t *v = json_object_get(p, "product");
  if (json_is_object(v)) {
    /* Expanded: the name is what people group by; the id when there is no name. */
    const char *name = json_string_value(json_object_get(v, "name"));
    *product = name != NULL ? name : json_string_value(json_object_get(v, "id"));
    return true;
  }
  return sk__bill_j_ref(x, p, path, "product", product);
}

/* ---- tiered prices ----
 * Stripe lists tiers only when expanded (expand[]=data.items.data.price.tiers). Each tier
 * has up_to (null = no limit), unit_amount (or unit_amount_decimal) and flat_amount (or
 * flat_amount_decimal). "volume": the tier the whole quantity falls in prices every unit;
 * "graduated": each tier prices the units within it, and each tier reached adds its flat
 * amount. The row gets the average unit amount, so unit price x quantity is the bill. */

static bool tier_amount(sk__bill_jx *x, json_t *tier, const char *path, const char *int_key,
                        const char *dec_key, double *out) {
  sk__bill_opt_i64 v;
  const char *dec = NULL;
  if (!sk__bill_j_int(x, tier, path, int_key, &v) || !sk__bill_j_str(x, tier, path, dec_key, &dec)) {
    return false;
  }
  *out = 0;
  if (v.has) {
    *out = (double)v.v;
  } else if (dec != NULL && !sk__bill_parse_decimal(dec, out)) {
    snprintf(x->msg, sizeof x->msg, "%s %s: %s.%s is \"%.40s\", expected a decimal number",
             x->type, x->id != NULL ? x->id : "(no id)", path, dec_key, dec);
    x->bad = true;
    return false;
  }
  if (*out < 0) {
    snprintf(x->msg, sizeof x->msg, "%s %s: %s.%s is negative, expected 0 or more", x->type,
             x->id != NULL ? x->id : "(no id)", path, int_key);
    x->bad = true;
    return false;
  }
  return true;
}

static bool read_tiers(sk__bill_jx *x, json_t *p, const char *path, sk__bill_price_terms *t) {
  json_t *tiers = json_object_get(p, "tiers");
  if (!json_is_array(tiers) || json_array_size(tiers) == 0) {
    snprintf(x->msg, sizeof x->msg,
             "%s %s: %s is a tiered price without its tiers (export with "
             "expand[]=data.items.data.price.tiers to import it)",
             x->type, x->id != NULL ? x->id : "(no id)", path);
    x->bad = true;
    return false;
  }
  const char *mode = json_string_value(json_object_get(p, "tiers_mode"));
  t->tiers = tiers;
  t->graduated = mode != NULL && strcmp(mode, "graduated") == 0;
  return true;
}

bool sk__bill_apply_tiers(sk__bill_jx *x, sk__bill_price_terms *t, sk__bill_opt_i64 qty) {
  if (t->tiers == NULL) {
    return true;
  }
  const char *path = t->path;
  if (!qty.has) {
    return sk__bill_fail_missing(x, path, "quantity", "a tiered price needs the quantity");
  }
  double q = (double)qty.v;
  double total = 0;
  double below = 0; /* units priced by earlier tiers (graduated) */
  for (size_t i = 0; i < json_array_size(t->tiers); i++) {
    json_t *tier = json_array_get(t->tiers, i);
    char tpath[320];
    snprintf(tpath, sizeof tpath, "%s.tiers[%zu]", path, i);
    if (!json_is_object(tier)) {
      return sk__bill_fail_type(x, path, tpath + strlen(path) + 1, tier, "a tier object");
    }
    sk__bill_opt_i64 up_to;
    double unit = 0;
    double flat = 0;
    if (!sk__bill_j_int(x, tier, tpath, "up_to", &up_to) ||
        !tier_amount(x, tier, tpath, "unit_amount", "unit_amount_decimal", &unit) ||
        !tier_amount(x, tier, tpath, "flat_amount", "flat_amount_decimal", &flat)) {
      return false;
    }
    double cap = up_to.has ? (double)up_to.v : q;
    if (!t->graduated) {
      if (q <= cap) {
        total = unit * q + flat;
        break;
      }
      continue;
    }
    double units = (q < cap ? q : cap) - below;
    if (units > 0) {
      total += unit * units + flat;
    }
    below = cap;
    if (q <= cap) {
      break;
    }
  }
  t->has_amount = true;
  t->unit_minor = q > 0 ? total / q : 0;
  return true;
}

static bool read_amount(sk__bill_jx *x, json_t *p, const char *path, const char *int_key,
                        const char *dec_key, sk__bill_price_terms *t) {
  sk__bill_opt_i64 amount;
  if (!sk__bill_j_int(x, p, path, int_key, &amount)) {
    return false;
  }
  if (amount.has && amount.v < 0) {
    snprintf(x->msg, sizeof x->msg, "%s %s: %s.%s is %lld, expected 0 or more", x->type,
             x->id != NULL ? x->id : "(no id)", path, int_key, (long long)amount.v);
    x->bad = true;
    return false;
  }
  if (amount.has) {
    t->has_amount = true;
    t->unit_minor = (double)amount.v;
    return true;
  }
  const char *dec = NULL;
  if (!sk__bill_j_str(x, p, path, dec_key, &dec)) {
    return false;
  }
  if (dec == NULL) {
    const char *scheme = json_string_value(json_object_get(p, "billing_scheme"));
    if (scheme != NULL && strcmp(scheme, "tiered") == 0) {
      return read_tiers(x, p, path, t);
    }
    return sk__bill_fail_missing(x, path, int_key,
                                 "the price has neither unit_amount nor "
                                 "unit_amount_decimal");
  }
  double d;
  if (!sk__bill_parse_decimal(dec, &d) || d < 0) {
    snprintf(x->msg, sizeof x->msg,
             "%s %s: %s.%s is \"%.40s\", expected a decimal number "
             "of minor units",
             x->type, x->id != NULL ? x->id : "(no id)", path, dec_key, dec);
    x->bad = true;
    return false;
  }
  t->has_amount = true;
  t->unit_minor = d;
  return true;
}

static bool read_interval(sk__bill_jx *x, json_t *o, const char *path, sk__bill_price_terms *t) {
  if (!sk__bill_j_str(x, o, path, "interval", &t->interval)) {
    return false;
  }
  if (t->interval == NULL) {
    return sk__bill_fail_missing(x, path, "interval", "expected day, week, month or year");
  }
  sk__bill_opt_i64 count;
  if (!sk__bill_j_int(x, o, path, "interval_count", &count)) {
    return false;
  }
  t->interval_count = count.has ? count.v : 1;
  if (t->interval_count < 1) {
    snprintf(x->msg, sizeof x->msg, "%s %s: %s.interval_count is %lld, expected at least 1",
             x->type, x->id != NULL ? x->id : "(no id)", path, (long long)t->interval_count);
    x->bad = true;
    return false;
  }
  return true;
}

/* A price object (path "...price"). */
static bool read_price(sk__bill_jx *x, json_t *p, const char *path, sk__bill_price_terms *t) {
  memset(t, 0, sizeof *t);
  const char *nickname = NULL;
  const char *lookup = NULL;
  if (!sk__bill_j_str(x, p, path, "id", &t->price_id) ||
      !sk__bill_j_str(x, p, path, "nickname", &nickname) ||
      !sk__bill_j_str(x, p, path, "lookup_key", &lookup) ||
      !read_product(x, p, path, &t->product) ||
      !sk__bill_j_str(x, p, path, "currency", &t->currency) ||
      !read_amount(x, p, path, "unit_amount", "unit_amount_decimal", t)) {
    return false;
  }
  t->plan = nickname != NULL ? nickname : lookup != NULL ? lookup : t->price_id;
  json_t *rec = NULL;
  char sub[256];
  snprintf(sub, sizeof sub, "%s.recurring", path);
  if (!sk__bill_j_obj(x, p, path, "recurring", &rec)) {
    return false;
  }
  if (rec == NULL) {
    return sk__bill_fail_missing(x, path, "recurring",
                                 "a one-time price cannot make recurring revenue");
  }
  return read_interval(x, rec, sub, t);
}

/* A legacy plan object: amount / amount_decimal, interval at the top level. */
static bool read_plan(sk__bill_jx *x, json_t *p, const char *path, sk__bill_price_terms *t) {
  memset(t, 0, sizeof *t);
  const char *nickname = NULL;
  if (!sk__bill_j_str(x, p, path, "id", &t->price_id) ||
      !sk__bill_j_str(x, p, path, "nickname", &nickname) ||
      !read_product(x, p, path, &t->product) ||
      !sk__bill_j_str(x, p, path, "currency", &t->currency) ||
      !read_amount(x, p, path, "amount", "amount_decimal", t) || !read_interval(x, p, path, t)) {
    return false;
  }
  t->plan = nickname != NULL ? nickname : t->price_id;
  return true;
}

/* The price of an item or invoice line: "price", else the legacy "plan". */
bool sk__bill_read_terms(sk__bill_jx *x, json_t *o, const char *path, sk__bill_price_terms *t) {
  json_t *price = NULL;
  json_t *plan = NULL;
  char sub[256];
  if (!sk__bill_j_obj(x, o, path, "price", &price) || !sk__bill_j_obj(x, o, path, "plan", &plan)) {
    return false;
  }
  if (price != NULL) {
    snprintf(sub, sizeof sub, "%s%sprice", path, *path != '\0' ? "." : "");
    bool ok = read_price(x, price, sub, t);
    snprintf(t->path, sizeof t->path, "%s", sub);
    return ok;
  }
  if (plan != NULL) {
    snprintf(sub, sizeof sub, "%s%splan", path, *path != '\0' ? "." : "");
    bool ok = read_plan(x, plan, sub, t);
    snprintf(t->path, sizeof t->path, "%s", sub);
    return ok;
  }
  return sk__bill_fail_missing(x, path, "price", "expected a price (or a legacy plan) object");
}

/* ============================ discounts ============================ */

/* The discount rule (docs/billing.md, "Discounts"): percent_off coupons combine
 * multiplicatively; an amount_off coupon becomes the share of list price x quantity it
 * takes off, added on; the total is capped at 100. duration "once" coupons touch one
 * invoice and are not recurring revenue, so they are ignored; "repeating" ones apply until
 * the discount's `end`, where the row is split; "forever" ones apply throughout. */

void sk__bill_discount_init(sk__bill_discount_acc *d) {
  memset(d, 0, sizeof *d);
  d->keep_all = 100.0;
  d->keep_forever = 100.0;
}

static bool add_discount(sk__bill_jx *x, json_t *disc, const char *path, const char *item_currency,
                         sk__bill_discount_acc *d) {
  json_t *coupon = NULL;
  char cpath[256];
  snprintf(cpath, sizeof cpath, "%s.coupon", path);
  if (!sk__bill_j_obj(x, disc, path, "coupon", &coupon)) {
    return false;
  }
  if (coupon == NULL) {
    /* API 2024-xx and later move the coupon under source.coupon. */
    json_t *source = json_object_get(disc, "source");
    if (json_is_object(source) && json_is_object(json_object_get(source, "coupon"))) {
      coupon = json_object_get(source, "coupon");
      snprintf(cpath, sizeof cpath, "%s.source.coupon", path);
    }
  }
  if (coupon == NULL) {
    d->n_unexpanded++;
    return true;
  }
  const char *duration = NULL;
  const char *currency = NULL;
  bool has_pct = false;
  double pct = 0;
  sk__bill_opt_i64 amount_off;
  sk__bill_opt_i64 end;
  if (!sk__bill_j_str(x, coupon, cpath, "duration", &duration) ||
      !sk__bill_j_number(x, coupon, cpath, "percent_off", &has_pct, &pct) ||
      !sk__bill_j_int(x, coupon, cpath, "amount_off", &amount_off) ||
      !sk__bill_j_str(x, coupon, cpath, "currency", &currency) ||
      !sk__bill_j_time(x, disc, path, "end", &end)) {
    return false;
  }
  if (duration != NULL && strcmp(duration, "once") == 0) {
    return true;
  }
  bool forever = duration == NULL || strcmp(duration, "forever") == 0;
  if (has_pct) {
    if (pct < 0 || pct > 100) {
      snprintf(x->msg, sizeof x->msg, "%s %s: %s.percent_off is %g, expected 0 to 100", x->type,
               x->id != NULL ? x->id : "(no id)", cpath, pct);
      x->bad = true;
      return false;
    }
    /* In percent, so one coupon of p gives exactly p: 100 x (100 - p) / 100 is exact for
     * the integer and half percentages coupons have, 1 - p / 100 is not (1 - 0.1). */
    d->keep_all = d->keep_all * (100.0 - pct) / 100.0;
    if (forever) {
      d->keep_forever = d->keep_forever * (100.0 - pct) / 100.0;
    }
  } else if (amount_off.has) {
    if (currency != NULL && item_currency != NULL &&
        sk__bill_strcasecmp_ascii(currency, item_currency) != 0) {
      d->currency_mismatch = true;
      return true;
    }
    d->off_minor_all += (double)amount_off.v;
    if (forever) {
      d->off_minor_forever += (double)amount_off.v;
    }
  }
  if (!forever && end.has && (!d->end_us.has || end.v < d->end_us.v)) {
    d->end_us = end;
  }
  return true;
}

/* A "discount" object and a "discounts" array (objects, or ids we cannot resolve). */
bool sk__bill_add_discounts(sk__bill_jx *x, json_t *o, const char *path, const char *item_currency,
                            sk__bill_discount_acc *d) {
  json_t *one = NULL;
  char sub[256];
  if (!sk__bill_j_obj(x, o, path, "discount", &one)) {
    return false;
  }
  const char *one_id = one != NULL ? json_string_value(json_object_get(one, "id")) : NULL;
  if (one != NULL) {
    snprintf(sub, sizeof sub, "%s%sdiscount", path, *path != '\0' ? "." : "");
    if (!add_discount(x, one, sub, item_currency, d)) {
      return false;
    }
  }
  json_t *many = json_object_get(o, "discounts");
  if (many == NULL || json_is_null(many)) {
    return true;
  }
  if (!json_is_array(many)) {
    return sk__bill_fail_type(x, path, "discounts", many, "an array");
  }
  for (size_t i = 0; i < json_array_size(many); i++) {
    json_t *e = json_array_get(many, i);
    if (json_is_string(e)) {
      /* The same discount as "discount" is listed here by id; others are not expanded. */
      if (one_id == NULL || strcmp(one_id, json_string_value(e)) != 0) {
        d->n_unexpanded++;
      }
      continue;
    }
    if (!json_is_object(e)) {
      snprintf(sub, sizeof sub, "discounts[%zu]", i);
      return sk__bill_fail_type(x, path, sub, e, "a discount object or its id");
    }
    const char *eid = json_string_value(json_object_get(e, "id"));
    if (one_id != NULL && eid != NULL && strcmp(one_id, eid) == 0) {
      continue;
    }
    snprintf(sub, sizeof sub, "%s%sdiscounts[%zu]", path, *path != '\0' ? "." : "", i);
    if (!add_discount(x, e, sub, item_currency, d)) {
      return false;
    }
  }
  return true;
}

/* The share, in percent, that `off` minor units take off `base`; all of it when the base
 * is 0 (a free item with a discount stays free). */
static double share_pct(double off, double base) {
  if (off <= 0) {
    return 0;
  }
  return base > 0 ? 100.0 * off / base : 100.0;
}

/* An item's discount percent from its accumulated coupons d (subscription-level ones
 * included, as `sub`): percent coupons multiplicative, then subscription-level amount_off
 * spread over the items by their share of the list total (the same percentage on every
 * item), then the item's own amount_off on its list amount; capped at 100. forever_only
 * leaves out repeating coupons (the terms after a repeating discount ends). */
double sk__bill_item_discount(const sk__bill_discount_acc *d, const sk__bill_discount_acc *sub,
                              bool forever_only, double list_total, double item_list) {
  double keep = forever_only ? d->keep_forever : d->keep_all;
  double sub_off = forever_only ? sub->off_minor_forever : sub->off_minor_all;
  double all_off = forever_only ? d->off_minor_forever : d->off_minor_all;
  double pct =
      (100.0 - keep) + share_pct(sub_off, list_total) + share_pct(all_off - sub_off, item_list);
  return pct > 100.0 ? 100.0 : pct < 0 ? 0 : pct;
}
