/* Subscription history from invoices: spans of constant terms per subscription item.
 *
 * A subscription object only says what its items cost now. Its invoices' subscription
 * lines (type "subscription", one per item per billing period, with period.start/end,
 * price and quantity) say what they cost in every period billed. When both are given,
 * each item becomes a chain of spans: its lines sorted by period, consecutive periods
 * with equal terms (price id, unit price, quantity, interval, currency) merged, each span
 * running to the start of the next (or to its period end where the next period does not
 * follow on: unbilled time is time without revenue). The first span starts at the item's
 * start_date (so a trial before the first invoice stays in it); the last one takes the
 * subscription's end of service when its terms are the current ones, and otherwise ends
 * at its period end and is followed by a span of the current terms, which took effect
 * then at the latest. Earlier spans get status "replaced", as in docs/sample-data.md.
 *
 * Key design choice: only items for which the subscription object is present are
 * rebuilt, and only when the item is one row (not split by a repeating discount):
 * invoices alone do not say whether a subscription is still running, and a discount
 * split and an invoice history would have to be interleaved; both cases keep the
 * item's single current-terms row (docs/billing.md, "History from invoices"). Proration
 * lines are ignored when read (json_objects.c): they adjust money, not terms. */
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

static int cmp_str(const char *a, const char *b) {
  if (a == NULL || b == NULL) {
    return (a != NULL) - (b != NULL);
  }
  return strcmp(a, b);
}

/* The key that ties a line to an item: the subscription item id, else the price id
 * (invoices of old API versions have no subscription_item on their lines). */
static const char *line_key(const sk__bill_line *l) {
  return l->item_id != NULL ? l->item_id : l->price_id;
}

static int cmp_line(const void *a, const void *b) {
  const sk__bill_line *x = a;
  const sk__bill_line *y = b;
  int c = cmp_str(x->subscription_id, y->subscription_id);
  if (c == 0) {
    c = cmp_str(line_key(x), line_key(y));
  }
  if (c == 0 && x->start_us != y->start_us) {
    c = x->start_us < y->start_us ? -1 : 1;
  }
  return c;
}

static bool same_terms_line(const sk__bill_line *a, const sk__bill_line *b) {
  return cmp_str(a->price_id, b->price_id) == 0 && a->has_price == b->has_price &&
         a->unit_price == b->unit_price && a->seats.has == b->seats.has &&
         a->seats.v == b->seats.v && cmp_str(a->interval, b->interval) == 0 &&
         a->interval_count == b->interval_count && cmp_str(a->currency, b->currency) == 0;
}

static bool same_terms_item(const sk__bill_line *a, const sk__bill_item *it) {
  return cmp_str(a->price_id, it->price_id) == 0 && a->has_price == it->has_price &&
         a->unit_price == it->unit_price && a->seats.has == it->seats.has &&
         a->seats.v == it->seats.v && cmp_str(a->interval, it->interval) == 0 &&
         a->interval_count == it->interval_count && cmp_str(a->currency, it->currency) == 0;
}

/* A span: lines [first, last] of the sorted array merged. */
typedef struct span {
  size_t first;
  size_t last;
} span;

/* A copy of the item with the terms of a line. */
static bool item_from(const sk__bill_item *t, const sk__bill_line *l, sk__bill_item *out) {
  memset(out, 0, sizeof *out);
  *out = *t;
  out->has_price = l->has_price;
  out->unit_price = l->unit_price;
  out->seats = l->seats;
  out->interval_count = l->interval_count;
  out->subscription_id = sk__bill_strdup(t->subscription_id);
  out->item_id = sk__bill_strdup(t->item_id);
  out->customer_id = sk__bill_strdup(t->customer_id);
  out->plan = sk__bill_strdup(l->plan);
  out->product = sk__bill_strdup(l->product);
  out->interval = sk__bill_strdup(l->interval);
  out->currency = sk__bill_strdup(l->currency);
  out->status = sk__bill_strdup("replaced");
  out->price_id = sk__bill_strdup(l->price_id);
  bool ok = out->subscription_id != NULL && (t->item_id == NULL || out->item_id != NULL) &&
            out->customer_id != NULL && (l->plan == NULL || out->plan != NULL) &&
            (l->product == NULL || out->product != NULL) &&
            (l->interval == NULL || out->interval != NULL) &&
            (l->currency == NULL || out->currency != NULL) && out->status != NULL &&
            (l->price_id == NULL || out->price_id != NULL);
  if (!ok) {
    sk__bill_item_free(out);
  }
  return ok;
}

/* A copy of the item as it is (its current terms). */
static bool item_copy(const sk__bill_item *t, sk__bill_item *out) {
  sk__bill_line cur;
  memset(&cur, 0, sizeof cur);
  cur.has_price = t->has_price;
  cur.unit_price = t->unit_price;
  cur.seats = t->seats;
  cur.interval_count = t->interval_count;
  cur.plan = t->plan;
  cur.product = t->product;
  cur.interval = t->interval;
  cur.currency = t->currency;
  cur.price_id = t->price_id;
  if (!item_from(t, &cur, out)) {
    return false;
  }
  free(out->status);
  out->status = sk__bill_strdup(t->status);
  if (t->status != NULL && out->status == NULL) {
    sk__bill_item_free(out);
    return false;
  }
  return true;
}

typedef struct item_vec {
  sk__bill_item *v;
  size_t n, cap;
} item_vec;

static bool push(item_vec *out, sk__bill_item *it) {
  if (!sk__bill_grow((void **)&out->v, &out->cap, out->n, sizeof *out->v)) {
    sk__bill_item_free(it);
    return false;
  }
  out->v[out->n++] = *it;
  return true;
}

/* Spans of one item from its lines lines[a..b) (sorted by start); appended to out. */
static bool rebuild(const sk__bill_item *t, const sk__bill_line *lines, size_t a, size_t b,
                    item_vec *out) {
  span *sp = malloc((b - a) * sizeof *sp);
  if (sp == NULL) {
    return false;
  }
  size_t n = 0;
  for (size_t i = a; i < b; i++) {
    /* Two invoices for the same period (a re-issued invoice): the later line counts. */
    if (n > 0 && lines[i].start_us == lines[sp[n - 1].last].start_us) {
      sp[n - 1].last = i;
      if (sp[n - 1].first + 1 == i) {
        sp[n - 1].first = i;
      }
      continue;
    }
    const sk__bill_line *prev = n > 0 ? &lines[sp[n - 1].last] : NULL;
    if (prev != NULL && same_terms_line(prev, &lines[i]) && prev->end_us >= lines[i].start_us) {
      sp[n - 1].last = i;
      continue;
    }
    sp[n].first = i;
    sp[n].last = i;
    n++;
  }
  bool ok = true;
  for (size_t k = 0; ok && k < n; k++) {
    const sk__bill_line *first = &lines[sp[k].first];
    const sk__bill_line *last = &lines[sp[k].last];
    sk__bill_item row;
    if (!item_from(t, first, &row)) {
      ok = false;
      break;
    }
    row.started_us.has = true;
    row.started_us.v = first->start_us;
    if (k == 0 && t->started_us.has && t->started_us.v < first->start_us) {
      row.started_us = t->started_us;
    }
    if (k > 0) {
      row.trial_end_us.has = false;
    }
    bool final = k + 1 == n;
    bool current = final && same_terms_item(first, t);
    row.ended_us.has = true;
    if (!final) {
      int64_t next = lines[sp[k + 1].first].start_us;
      row.ended_us.v = last->end_us < next ? last->end_us : next;
    } else if (current) {
      row.ended_us = t->ended_us;
    } else {
      row.ended_us.v = last->end_us;
    }
    if (final && current) {
      free(row.status);
      row.status = sk__bill_strdup(t->status);
      if (t->status != NULL && row.status == NULL) {
        sk__bill_item_free(&row);
        ok = false;
        break;
      }
    } else {
      row.canceled_us.has = false;
      row.has_cancel_at_period_end = true;
      row.cancel_at_period_end = false;
    }
    ok = push(out, &row);
    if (ok && final && !current && (!t->ended_us.has || t->ended_us.v > last->end_us)) {
      /* The current terms, from the end of the last billed period with other terms. */
      sk__bill_item now;
      ok = item_copy(t, &now);
      if (ok) {
        now.started_us.has = true;
        now.started_us.v = last->end_us;
        now.trial_end_us.has = false;
        ok = push(out, &now);
      }
    }
  }
  free(sp);
  return ok;
}

segkit_status sk__bill_history_apply(segkit_stripe_import *imp, segkit_error *err) {
  if (imp->history_done || imp->n_lines == 0) {
    imp->history_done = true;
    return SEGKIT_OK;
  }
  qsort(imp->lines, imp->n_lines, sizeof *imp->lines, cmp_line);
  /* Items with exactly one row are candidates; count rows per (subscription, item). */
  item_vec out = {NULL, 0, 0};
  bool ok = true;
  for (size_t i = 0; ok && i < imp->n_items; i++) {
    sk__bill_item *t = &imp->items[i];
    bool split = t->discount_end_us.has ||
                 (i > 0 && cmp_str(imp->items[i - 1].subscription_id, t->subscription_id) == 0 &&
                  cmp_str(imp->items[i - 1].item_id, t->item_id) == 0);
    const char *key = t->item_id != NULL ? t->item_id : t->price_id;
    /* Lines of this item: binary search for the first (subscription, key) line. */
    size_t lo = 0;
    size_t hi = imp->n_lines;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      int c = cmp_str(imp->lines[mid].subscription_id, t->subscription_id);
      if (c == 0) {
        c = cmp_str(line_key(&imp->lines[mid]), key);
      }
      if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    size_t end = lo;
    while (end < imp->n_lines &&
           cmp_str(imp->lines[end].subscription_id, t->subscription_id) == 0 &&
           cmp_str(line_key(&imp->lines[end]), key) == 0) {
      end++;
    }
    if (split || key == NULL || end == lo) {
      ok = push(&out, t);
      if (ok) {
        memset(t, 0, sizeof *t); /* moved */
      }
      continue;
    }
    ok = rebuild(t, imp->lines, lo, end, &out);
    if (ok) {
      sk__bill_item_free(t);
    }
  }
  if (!ok) {
    /* Items not yet moved stay in imp->items (freed with it); rows built so far go. */
    for (size_t i = 0; i < out.n; i++) {
      sk__bill_item_free(&out.v[i]);
    }
    free(out.v);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory rebuilding subscription history");
  }
  free(imp->items);
  imp->items = out.v;
  imp->n_items = out.n;
  imp->cap_items = out.cap;
  imp->history_done = true;
  return SEGKIT_OK;
}
