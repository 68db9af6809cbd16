/* The Stripe import handle: files in, records kept, skipped objects listed, tables out.
 *
 * A file is read whole into memory (at most 1 GiB: Stripe exports are paged API dumps
 * of a few hundred MB at most, and a JSON tree needs the whole document anyway), then
 * sniffed: a first non-blank byte '{' or '[' is JSON, anything else is tried as a
 * dashboard CSV. The records from every file are kept until finish, so cross-references
 * (charge -> invoice -> subscription) resolve whatever the order of the files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

#define SK_MAX_FILE_BYTES ((size_t)1 << 30)

/* ============================ names ============================ */

const char *segkit_stripe_table_name(segkit_stripe_table t) {
  static const char *const names[] = {"customers", "subscriptions", "transactions"};
  return (unsigned)t < SEGKIT_STRIPE_N_TABLES ? names[t] : NULL;
}

const char *segkit_stripe_object_name(segkit_stripe_object o) {
  static const char *const names[] = {"customer", "subscription", "invoice",          "charge",
                                      "refund",   "csv_customer", "csv_subscription", "other"};
  return (unsigned)o < SEGKIT_STRIPE_N_OBJECTS ? names[o] : NULL;
}

const char *segkit_stripe_skip_kind_name(segkit_stripe_skip_kind k) {
  static const char *const names[] = {"malformed", "unsupported", "duplicate", "not_paid",
                                      "warning"};
  return (unsigned)k < SEGKIT_STRIPE_SKIP_KIND_COUNT ? names[k] : NULL;
}

/* ============================ memory helpers ============================ */

char *sk__bill_strndup(const char *s, size_t n) {
  if (s == NULL) {
    return NULL;
  }
  char *p = malloc(n + 1);
  if (p == NULL) {
    return NULL;
  }
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *sk__bill_strdup(const char *s) { return s == NULL ? NULL : sk__bill_strndup(s, strlen(s)); }

bool sk__bill_grow(void **v, size_t *cap, size_t n, size_t size) {
  if (n < *cap) {
    return true;
  }
  size_t ncap = *cap == 0 ? 16 : *cap * 2;
  if (ncap > SIZE_MAX / size) {
    return false;
  }
  void *p = realloc(*v, ncap * size);
  if (p == NULL) {
    return false;
  }
  *v = p;
  *cap = ncap;
  return true;
}

void sk__bill_customer_free(sk__bill_customer *c) {
  free(c->id);
  free(c->email);
  free(c->name);
  free(c->country);
  free(c->currency);
  for (size_t i = 0; i < c->n_meta; i++) {
    free(c->meta[i].key);
    free(c->meta[i].value);
  }
  free(c->meta);
  memset(c, 0, sizeof *c);
}

void sk__bill_item_free(sk__bill_item *it) {
  free(it->subscription_id);
  free(it->item_id);
  free(it->customer_id);
  free(it->plan);
  free(it->product);
  free(it->interval);
  free(it->currency);
  free(it->status);
  free(it->price_id);
  memset(it, 0, sizeof *it);
}

void sk__bill_txn_free(sk__bill_txn *t) {
  free(t->id);
  free(t->customer_id);
  free(t->invoice_id);
  free(t->subscription_id);
  free(t->currency);
  free(t->refund_of);
  memset(t, 0, sizeof *t);
}

void sk__bill_line_free(sk__bill_line *l) {
  free(l->subscription_id);
  free(l->item_id);
  free(l->price_id);
  free(l->plan);
  free(l->product);
  free(l->interval);
  free(l->currency);
  memset(l, 0, sizeof *l);
}

/* FNV-1a: ids are short ASCII strings; any decent hash does. */
static uint64_t hash_str(const char *s) {
  uint64_t h = UINT64_C(1469598103934665603);
  for (; *s != '\0'; s++) {
    h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
  }
  return h;
}

static size_t idset_slot(char *const *slots, size_t cap, const char *id) {
  size_t i = (size_t)hash_str(id) & (cap - 1);
  while (slots[i] != NULL && strcmp(slots[i], id) != 0) {
    i = (i + 1) & (cap - 1);
  }
  return i;
}

bool sk__bill_idset_has(const sk__bill_idset *s, const char *id) {
  return s->cap > 0 && s->slots[idset_slot(s->slots, s->cap, id)] != NULL;
}

static bool idset_rehash(sk__bill_idset *s) {
  size_t ncap = s->cap == 0 ? 64 : s->cap * 2;
  char **slots = calloc(ncap, sizeof *slots);
  if (slots == NULL) {
    return false;
  }
  for (size_t i = 0; i < s->cap; i++) {
    if (s->slots[i] != NULL) {
      slots[idset_slot(slots, ncap, s->slots[i])] = s->slots[i];
    }
  }
  free(s->slots);
  s->slots = slots;
  s->cap = ncap;
  return true;
}

bool sk__bill_idset_add(sk__bill_idset *s, const char *id, bool *added) {
  *added = false;
  /* Load factor at most 1/2 keeps probe runs short. */
  if ((s->n + 1) * 2 > s->cap && !idset_rehash(s)) {
    return false;
  }
  size_t i = idset_slot(s->slots, s->cap, id);
  if (s->slots[i] != NULL) {
    return true;
  }
  s->slots[i] = sk__bill_strdup(id);
  if (s->slots[i] == NULL) {
    return false;
  }
  s->n++;
  *added = true;
  return true;
}

void sk__bill_idset_free(sk__bill_idset *s) {
  for (size_t i = 0; i < s->cap; i++) {
    free(s->slots[i]);
  }
  free(s->slots);
  memset(s, 0, sizeof *s);
}

/* ============================ skipped objects ============================ */

bool sk__bill_skip_add(segkit_stripe_import *imp, segkit_stripe_skip_kind kind, const char *file,
                       int64_t line, int64_t index, const char *type, const char *id, int table,
                       const char *raw, size_t raw_len, const char *fmt, ...) {
  if (!sk__bill_grow((void **)&imp->skips, &imp->cap_skips, imp->n_skips, sizeof *imp->skips)) {
    return false;
  }
  char reason[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  segkit_stripe_skip *s = &imp->skips[imp->n_skips];
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->line = line;
  s->index = index;
  s->table = table;
  s->file = sk__bill_strdup(file != NULL ? file : "");
  s->object_type = sk__bill_strdup(type != NULL ? type : "");
  s->object_id = sk__bill_strdup(id != NULL ? id : "");
  s->reason = sk__bill_strdup(reason);
  s->raw = sk__bill_strndup(raw != NULL ? raw : "", raw != NULL ? raw_len : 0);
  s->raw_len = raw != NULL ? raw_len : 0;
  if (s->file == NULL || s->object_type == NULL || s->object_id == NULL || s->reason == NULL ||
      s->raw == NULL) {
    free((char *)s->file);
    free((char *)s->object_type);
    free((char *)s->object_id);
    free((char *)s->reason);
    free((char *)s->raw);
    return false;
  }
  imp->n_skips++;
  imp->counts.skipped[kind]++;
  imp->rejects_stale = true;
  return true;
}

/* ============================ lifecycle ============================ */

segkit_status segkit_stripe_import_new(segkit_stripe_import **out, segkit_error *err) {
  if (out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_stripe_import_new: out is NULL");
  }
  segkit_stripe_import *imp = calloc(1, sizeof *imp);
  if (imp == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a Stripe import");
  }
  *out = imp;
  return SEGKIT_OK;
}

static void free_rejects(segkit_stripe_import *imp) {
  for (int t = 0; t < SEGKIT_STRIPE_N_TABLES; t++) {
    free(imp->rejects[t]);
    imp->rejects[t] = NULL;
    imp->n_rejects[t] = 0;
  }
}

void segkit_stripe_import_free(segkit_stripe_import *imp) {
  if (imp == NULL) {
    return;
  }
  for (size_t i = 0; i < imp->n_customers; i++) {
    sk__bill_customer_free(&imp->customers[i]);
  }
  for (size_t i = 0; i < imp->n_items; i++) {
    sk__bill_item_free(&imp->items[i]);
  }
  for (size_t i = 0; i < imp->n_txns; i++) {
    sk__bill_txn_free(&imp->txns[i]);
  }
  for (size_t i = 0; i < imp->n_lines; i++) {
    sk__bill_line_free(&imp->lines[i]);
  }
  for (size_t i = 0; i < imp->n_invoices; i++) {
    free(imp->invoices[i].invoice_id);
    free(imp->invoices[i].subscription_id);
  }
  sk__bill_idset_free(&imp->customer_ids);
  sk__bill_idset_free(&imp->subscription_ids);
  sk__bill_idset_free(&imp->txn_ids);
  for (size_t i = 0; i < imp->n_skips; i++) {
    segkit_stripe_skip *s = &imp->skips[i];
    free((char *)s->file);
    free((char *)s->object_type);
    free((char *)s->object_id);
    free((char *)s->reason);
    free((char *)s->raw);
  }
  free_rejects(imp);
  free(imp->customers);
  free(imp->items);
  free(imp->txns);
  free(imp->lines);
  free(imp->invoices);
  free(imp->skips);
  free(imp);
}

/* ============================ adding files ============================ */

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

segkit_status segkit_stripe_import_add_buffer(segkit_stripe_import *imp, const char *name,
                                              const char *data, size_t size, segkit_error *err) {
  if (imp == NULL || (data == NULL && size > 0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segkit_stripe_import_add_buffer: NULL argument");
  }
  if (imp->finished) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "the Stripe import is already finished");
  }
  if (name == NULL) {
    name = "<input>";
  }
  if (size > SK_MAX_FILE_BYTES) {
    return segkit_error_set_at(err, SEGKIT_ERR_LIMIT, name, 0, 0, NULL,
                               "%zu bytes is over the 1 GiB limit of a Stripe file (split the "
                               "export into several files)",
                               size);
  }
  imp->counts.files++;
  size_t i = 0;
  if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
    i = 3;
  }
  while (i < size && is_blank(data[i])) {
    i++;
  }
  if (i == size) {
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, name, 1, 1, NULL,
                               "the file is empty (expected Stripe JSON objects or a dashboard "
                               "CSV export)");
  }
  if (data[i] == '{' || data[i] == '[') {
    return sk__bill_json_add(imp, name, data, size, err);
  }
  return sk__bill_csv_add(imp, name, data, size, err);
}

segkit_status segkit_stripe_import_add_file(segkit_stripe_import *imp, const char *path,
                                            segkit_error *err) {
  if (imp == NULL || path == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_stripe_import_add_file: NULL argument");
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_IO, path, 0, 0, NULL, "cannot open: %s",
                               strerror(errno));
  }
  char *buf = NULL;
  size_t len = 0;
  size_t cap = 0;
  segkit_status st = SEGKIT_OK;
  for (;;) {
    if (cap - len < 65536) {
      size_t ncap = cap == 0 ? 1 << 20 : cap * 2;
      if (ncap > SK_MAX_FILE_BYTES + 65536) {
        st = segkit_error_set_at(err, SEGKIT_ERR_LIMIT, path, 0, 0, NULL,
                                 "the file is over the 1 GiB limit of a Stripe file (split the "
                                 "export into several files)");
        break;
      }
      char *p = realloc(buf, ncap);
      if (p == NULL) {
        st = segkit_error_set_at(err, SEGKIT_ERR_NOMEM, path, 0, 0, NULL,
                                 "out of memory reading the file");
        break;
      }
      buf = p;
      cap = ncap;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) {
        st = segkit_error_set_at(err, SEGKIT_ERR_IO, path, 0, 0, NULL, "read error");
      }
      break;
    }
  }
  fclose(f);
  if (st == SEGKIT_OK) {
    st = segkit_stripe_import_add_buffer(imp, path, buf, len, err);
  }
  free(buf);
  return st;
}

/* ============================ results ============================ */

segkit_status segkit_stripe_import_finish(segkit_stripe_import *imp,
                                          segkit_table *out[SEGKIT_STRIPE_N_TABLES],
                                          segkit_error *err) {
  if (imp == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_stripe_import_finish: NULL argument");
  }
  if (imp->finished) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "the Stripe import is already finished");
  }
  segkit_status st = sk__bill_history_apply(imp, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  st = sk__bill_build_tables(imp, out, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  imp->finished = true;
  for (int t = 0; t < SEGKIT_STRIPE_N_TABLES; t++) {
    imp->counts.rows[t] = (int64_t)segkit_table_n_rows(out[t]);
  }
  return SEGKIT_OK;
}

const segkit_stripe_counts *segkit_stripe_import_counts(const segkit_stripe_import *imp) {
  return imp != NULL ? &imp->counts : NULL;
}

const segkit_stripe_skip *segkit_stripe_import_skipped(const segkit_stripe_import *imp, size_t *n) {
  if (n != NULL) {
    *n = imp != NULL ? imp->n_skips : 0;
  }
  return imp != NULL && imp->n_skips > 0 ? imp->skips : NULL;
}

static bool build_rejects(segkit_stripe_import *imp) {
  free_rejects(imp);
  for (size_t i = 0; i < imp->n_skips; i++) {
    const segkit_stripe_skip *s = &imp->skips[i];
    if (s->kind != SEGKIT_STRIPE_SKIP_MALFORMED || s->table < 0 ||
        s->table >= SEGKIT_STRIPE_N_TABLES) {
      continue;
    }
    size_t *n = &imp->n_rejects[s->table];
    segkit_reject *v = realloc(imp->rejects[s->table], (*n + 1) * sizeof *v);
    if (v == NULL) {
      free_rejects(imp);
      return false;
    }
    imp->rejects[s->table] = v;
    bool csv = strncmp(s->object_type, "csv_", 4) == 0;
    v[*n] = (segkit_reject){.line = s->line, /* 0 for array elements: no line known */
                            .column = 0,
                            .field = NULL,
                            .reason = csv ? SEGKIT_REJECT_BAD_VALUE : SEGKIT_REJECT_BAD_JSON,
                            .message = s->reason,
                            .raw = s->raw,
                            .raw_len = s->raw_len};
    (*n)++;
  }
  imp->rejects_stale = false;
  return true;
}

const segkit_reject *segkit_stripe_import_rejects(segkit_stripe_import *imp,
                                                  segkit_stripe_table table, size_t *n) {
  if (n != NULL) {
    *n = 0;
  }
  if (imp == NULL || (unsigned)table >= SEGKIT_STRIPE_N_TABLES) {
    return NULL;
  }
  if (imp->rejects_stale && !build_rejects(imp)) {
    return NULL;
  }
  if (n != NULL) {
    *n = imp->n_rejects[table];
  }
  return imp->rejects[table];
}
