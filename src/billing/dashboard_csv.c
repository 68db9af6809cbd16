/* Stripe dashboard CSV exports (customers, subscriptions) -> records.
 *
 * The dashboard's "Export" writes one row per object with human column names: "id",
 * "Customer ID", "Plan", "Quantity", "Interval", "Amount", "Currency", "Status",
 * "Created (UTC)", "Start Date (UTC)" (older exports: "Start (UTC)"), "Current Period End
 * (UTC)", "Trial End (UTC)", "Canceled At (UTC)", "Ended At (UTC)", "Cancel At Period
 * End", and metadata as "KEY (metadata)". Which export a file is comes from its header.
 * Key design choice: the file is read with segkit's own CSV reader (segkit/io.h) with
 * every column forced to string, then each value is converted here with Stripe's
 * meaning; so quoting, encodings and bad rows are handled once, by the reader, and a bad
 * row comes back with its line and raw bytes for the skipped list. Unlike the API, the
 * dashboard writes amounts in major units ("29.00") and times as "YYYY-MM-DD HH:MM" UTC
 * (docs/billing.md, "Dashboard CSV", says what was verified and what is assumed). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"
#include "segkit/datetime.h"

/* ============================ columns ============================ */

typedef struct csv_view {
  const segkit_table *t;
  const char *file;
} csv_view;

static bool name_eq(const char *a, const char *b) {
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) {
      return false;
    }
  }
  return *a == *b;
}

/* Index of the first column whose name matches one of the candidates (any case), or -1. */
static long col_of(const segkit_table *t, const char *const *names) {
  for (size_t k = 0; names[k] != NULL; k++) {
    for (size_t c = 0; c < segkit_table_n_cols(t); c++) {
      if (name_eq(segkit_column_name(segkit_table_column(t, c)), names[k])) {
        return (long)c;
      }
    }
  }
  return -1;
}

/* Value of column c at row r, NULL when null or when the column is absent (c < 0). */
static const char *cell(const segkit_table *t, long c, size_t r) {
  if (c < 0) {
    return NULL;
  }
  const segkit_column *col = segkit_table_column(t, (size_t)c);
  if (!segkit_column_is_valid(col, r)) {
    return NULL;
  }
  const char *s = segkit_column_dict_value(col, segkit_column_codes(col)[r], NULL);
  return s != NULL && *s != '\0' ? s : NULL;
}

/* ============================ values ============================ */

typedef struct row_ctx {
  const char *type;
  const char *id;
  char msg[600];
  bool bad;
} row_ctx;

static bool bad_value(row_ctx *x, const segkit_table *t, long c, const char *v,
                      const char *expected) {
  if (!x->bad) {
    snprintf(x->msg, sizeof x->msg, "%s %s: column '%s' is \"%.60s\", expected %s", x->type,
             x->id != NULL ? x->id : "(no id)",
             segkit_column_name(segkit_table_column(t, (size_t)c)), v, expected);
    x->bad = true;
  }
  return false;
}

static bool time_cell(row_ctx *x, const segkit_table *t, long c, size_t r, sk__bill_opt_i64 *out) {
  const char *v = cell(t, c, r);
  out->has = false;
  if (v == NULL) {
    return true;
  }
  if (!segkit_parse_timestamp(v, strlen(v), &out->v)) {
    return bad_value(x, t, c, v, "a UTC date and time like 2024-03-05 14:03");
  }
  out->has = true;
  return true;
}

static bool int_cell(row_ctx *x, const segkit_table *t, long c, size_t r, sk__bill_opt_i64 *out) {
  const char *v = cell(t, c, r);
  out->has = false;
  if (v == NULL) {
    return true;
  }
  double d;
  /* Range first: converting a double outside int64 is undefined behaviour. */
  if (!sk__bill_parse_decimal(v, &d) || d < 0 || d > 9e15 || d != floor(d)) {
    return bad_value(x, t, c, v, "a whole number of 0 or more");
  }
  out->has = true;
  out->v = (int64_t)d;
  return true;
}

static bool bool_cell(row_ctx *x, const segkit_table *t, long c, size_t r, bool *has, bool *out) {
  const char *v = cell(t, c, r);
  *has = false;
  *out = false;
  if (v == NULL) {
    return true;
  }
  if (name_eq(v, "true") || name_eq(v, "yes") || strcmp(v, "1") == 0) {
    *has = true;
    *out = true;
    return true;
  }
  if (name_eq(v, "false") || name_eq(v, "no") || strcmp(v, "0") == 0) {
    *has = true;
    return true;
  }
  return bad_value(x, t, c, v, "true or false");
}

static bool dup_to(char **dst, const char *src) {
  *dst = sk__bill_strdup(src);
  return src == NULL || *dst != NULL;
}

/* ============================ subscriptions ============================ */

static const char *const k_id[] = {"id", NULL};
static const char *const k_customer[] = {"Customer ID", "Customer", NULL};
static const char *const k_plan[] = {"Plan", "Plan ID", "Price ID", NULL};
static const char *const k_product[] = {"Product", "Product ID", NULL};
static const char *const k_quantity[] = {"Quantity", NULL};
static const char *const k_interval[] = {"Interval", NULL};
static const char *const k_interval_count[] = {"Interval Count", NULL};
static const char *const k_amount[] = {"Amount", NULL};
static const char *const k_currency[] = {"Currency", NULL};
static const char *const k_status[] = {"Status", NULL};
static const char *const k_created[] = {"Created (UTC)", NULL};
static const char *const k_start[] = {"Start Date (UTC)", "Start (UTC)", NULL};
static const char *const k_period_end[] = {"Current Period End (UTC)", NULL};
static const char *const k_trial_end[] = {"Trial End (UTC)", NULL};
static const char *const k_canceled[] = {"Canceled At (UTC)", NULL};
static const char *const k_cancel_at[] = {"Cancel At (UTC)", NULL};
static const char *const k_ended[] = {"Ended At (UTC)", NULL};
static const char *const k_cape[] = {"Cancel At Period End", NULL};
static const char *const k_email[] = {"Email", NULL};
static const char *const k_name[] = {"Name", NULL};
static const char *const k_country[] = {"Address Country", NULL};

typedef struct sub_cols {
  long id, customer, plan, product, quantity, interval, interval_count, amount, currency, status,
      created, start, period_end, trial_end, canceled, cancel_at, ended, cape;
} sub_cols;

static void find_sub_cols(const segkit_table *t, sub_cols *c) {
  c->id = col_of(t, k_id);
  c->customer = col_of(t, k_customer);
  c->plan = col_of(t, k_plan);
  c->product = col_of(t, k_product);
  c->quantity = col_of(t, k_quantity);
  c->interval = col_of(t, k_interval);
  c->interval_count = col_of(t, k_interval_count);
  c->amount = col_of(t, k_amount);
  c->currency = col_of(t, k_currency);
  c->status = col_of(t, k_status);
  c->created = col_of(t, k_created);
  c->start = col_of(t, k_start);
  c->period_end = col_of(t, k_period_end);
  c->trial_end = col_of(t, k_trial_end);
  c->canceled = col_of(t, k_canceled);
  c->cancel_at = col_of(t, k_cancel_at);
  c->ended = col_of(t, k_ended);
  c->cape = col_of(t, k_cape);
}

/* One row -> one item; false with x->msg on a bad value. *oom on out-of-memory. */
static bool sub_row(row_ctx *x, const segkit_table *t, const sub_cols *c, size_t r,
                    sk__bill_item *it, bool *oom) {
  memset(it, 0, sizeof *it);
  sk__bill_opt_i64 created, period_end, cancel_at, count;
  const char *amount = cell(t, c->amount, r);
  bool ok =
      int_cell(x, t, c->quantity, r, &it->seats) && int_cell(x, t, c->interval_count, r, &count) &&
      time_cell(x, t, c->created, r, &created) && time_cell(x, t, c->start, r, &it->started_us) &&
      time_cell(x, t, c->period_end, r, &period_end) &&
      time_cell(x, t, c->trial_end, r, &it->trial_end_us) &&
      time_cell(x, t, c->canceled, r, &it->canceled_us) &&
      time_cell(x, t, c->cancel_at, r, &cancel_at) && time_cell(x, t, c->ended, r, &it->ended_us) &&
      bool_cell(x, t, c->cape, r, &it->has_cancel_at_period_end, &it->cancel_at_period_end);
  if (ok && amount != NULL) {
    if (!sk__bill_parse_decimal(amount, &it->unit_price) || it->unit_price < 0) {
      ok = bad_value(x, t, c->amount, amount, "a decimal amount in major units like 29.00");
    }
    it->has_price = ok;
  }
  if (!ok) {
    return false;
  }
  if (!it->started_us.has) {
    it->started_us = created;
  }
  if (!it->started_us.has) {
    snprintf(x->msg, sizeof x->msg, "%s %s: no start date (Start Date (UTC) or Created (UTC))",
             x->type, x->id);
    x->bad = true;
    return false;
  }
  it->interval_count = count.has ? count.v : 1;
  if (it->interval_count < 1) {
    snprintf(x->msg, sizeof x->msg, "%s %s: Interval Count is %lld, expected at least 1", x->type,
             x->id, (long long)it->interval_count);
    x->bad = true;
    return false;
  }
  /* The end of service, by the same rule as for API objects (docs/billing.md). */
  const char *status = cell(t, c->status, r);
  if (!it->ended_us.has) {
    if (cancel_at.has) {
      it->ended_us = cancel_at;
    } else if (it->has_cancel_at_period_end && it->cancel_at_period_end) {
      it->ended_us = period_end;
    } else if (status != NULL && name_eq(status, "canceled")) {
      it->ended_us = it->canceled_us.has ? it->canceled_us : it->started_us;
    } else if (status != NULL &&
               (name_eq(status, "incomplete") || name_eq(status, "incomplete_expired"))) {
      it->ended_us = it->started_us;
    }
  }
  const char *customer = cell(t, c->customer, r);
  if (customer == NULL) {
    snprintf(x->msg, sizeof x->msg, "%s %s: Customer ID is empty", x->type, x->id);
    x->bad = true;
    return false;
  }
  const char *interval = cell(t, c->interval, r);
  char *lower = sk__bill_strdup(interval);
  for (size_t i = 0; lower != NULL && lower[i] != '\0'; i++) {
    lower[i] = (char)tolower((unsigned char)lower[i]);
  }
  it->interval = lower;
  it->currency = sk__bill_currency_upper(cell(t, c->currency, r));
  /* Stripe's default: a subscription discount is not in this export, so none (null). */
  if (!dup_to(&it->subscription_id, x->id) || !dup_to(&it->customer_id, customer) ||
      !dup_to(&it->plan, cell(t, c->plan, r)) || !dup_to(&it->product, cell(t, c->product, r)) ||
      !dup_to(&it->status, cell(t, c->status, r)) || (interval != NULL && lower == NULL) ||
      (cell(t, c->currency, r) != NULL && it->currency == NULL)) {
    *oom = true;
    return false;
  }
  return true;
}

/* ============================ customers ============================ */

/* "KEY (metadata)" -> "meta_KEY" sanitised, or NULL when the name is not a metadata one. */
static char *meta_name(const char *col) {
  static const char suffix[] = " (metadata)";
  size_t n = strlen(col);
  size_t s = sizeof suffix - 1;
  if (n <= s || !name_eq(col + n - s, suffix)) {
    return NULL;
  }
  char *out = malloc(n - s + 6);
  if (out == NULL) {
    return NULL;
  }
  memcpy(out, "meta_", 5);
  for (size_t i = 0; i < n - s; i++) {
    unsigned char ch = (unsigned char)col[i];
    out[5 + i] = isalnum(ch) && ch < 128 ? (char)ch : '_';
  }
  out[5 + n - s] = '\0';
  return out;
}

static bool customer_row(row_ctx *x, const segkit_table *t, size_t r, sk__bill_customer *c,
                         bool *oom) {
  memset(c, 0, sizeof *c);
  if (!time_cell(x, t, col_of(t, k_created), r, &c->created_us)) {
    return false;
  }
  const char *cur = cell(t, col_of(t, k_currency), r);
  c->currency = sk__bill_currency_upper(cur);
  if (!dup_to(&c->id, x->id) || !dup_to(&c->email, cell(t, col_of(t, k_email), r)) ||
      !dup_to(&c->name, cell(t, col_of(t, k_name), r)) ||
      !dup_to(&c->country, cell(t, col_of(t, k_country), r)) ||
      (cur != NULL && c->currency == NULL)) {
    *oom = true;
    return false;
  }
  size_t n_cols = segkit_table_n_cols(t);
  c->meta = calloc(n_cols, sizeof *c->meta);
  if (c->meta == NULL) {
    *oom = true;
    return false;
  }
  for (size_t k = 0; k < n_cols; k++) {
    const char *name = segkit_column_name(segkit_table_column(t, k));
    char *key = meta_name(name);
    if (key == NULL) {
      continue;
    }
    sk__bill_kv *kv = &c->meta[c->n_meta];
    kv->key = key;
    if (!dup_to(&kv->value, cell(t, (long)k, r))) {
      free(key);
      kv->key = NULL;
      *oom = true;
      return false;
    }
    c->n_meta++;
  }
  return true;
}

/* ============================ the file ============================ */

typedef enum csv_kind { CSV_UNKNOWN, CSV_CUSTOMERS, CSV_SUBSCRIPTIONS } csv_kind;

static csv_kind kind_of(const segkit_table *header) {
  static const char *const sub_marks[] = {"Plan", "Interval", "Current Period End (UTC)", NULL};
  static const char *const cus_marks[] = {"Email", "Created (UTC)", NULL};
  if (col_of(header, k_id) < 0) {
    return CSV_UNKNOWN;
  }
  if (col_of(header, k_customer) >= 0 && col_of(header, sub_marks) >= 0) {
    return CSV_SUBSCRIPTIONS;
  }
  /* A payments export also has "Customer ID"; a customers export does not. */
  if (col_of(header, k_customer) < 0 && col_of(header, cus_marks) >= 0) {
    return CSV_CUSTOMERS;
  }
  return CSV_UNKNOWN;
}

/* Read the header row alone (the first line) with segkit's reader: its column names. */
static segkit_status read_header(const char *name, const char *data, size_t size,
                                 segkit_table **out, segkit_error *err) {
  const char *nl = memchr(data, '\n', size);
  size_t len = nl != NULL ? (size_t)(nl - data) + 1 : size;
  segkit_read_options o;
  segkit_read_options_init(&o);
  o.n_threads = 1;
  o.source_name = name;
  segkit_read_result *res = NULL;
  segkit_status st = segkit_csv_read_buffer(data, len, &o, &res, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  *out = segkit_read_result_take_table(res);
  segkit_read_result_free(res);
  return *out != NULL ? SEGKIT_OK : segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
}

static segkit_status read_all(const char *name, const char *data, size_t size,
                              const segkit_table *header, segkit_read_result **out,
                              segkit_error *err) {
  size_t n = segkit_table_n_cols(header);
  segkit_type_override *types = calloc(n > 0 ? n : 1, sizeof *types);
  if (types == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  for (size_t c = 0; c < n; c++) {
    types[c].column = segkit_column_name(segkit_table_column(header, c));
    types[c].type = SEGKIT_TYPE_STRING;
  }
  segkit_read_options o;
  segkit_read_options_init(&o);
  o.types = types;
  o.n_types = n;
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  o.n_threads = 1;
  o.source_name = name;
  segkit_status st = segkit_csv_read_buffer(data, size, &o, out, err);
  free(types);
  return st;
}

/* ============================ row positions ============================ */

/* Where each accepted row is in the file, for the skipped list: the reader keeps line
 * numbers only for the rows it rejects, so accepted row r is taken to be on the r-th
 * physical line after the header that is neither blank nor one of those rejected lines.
 * Exact when no field holds a line break (true of Stripe's exports as far as we have
 * seen; a Description with a line break shifts the later line numbers). */
typedef struct row_lines {
  int64_t *line; /* line of accepted row r */
  size_t *start; /* byte offsets of every physical line, n_lines + 1 entries */
  size_t n_lines;
} row_lines;

static bool map_rows(const char *data, size_t size, const segkit_read_result *res, size_t n_rows,
                     row_lines *m) {
  memset(m, 0, sizeof m[0]);
  size_t n_lines = 1;
  for (size_t i = 0; i < size; i++) {
    n_lines += data[i] == '\n' && i + 1 < size;
  }
  m->start = malloc((n_lines + 1) * sizeof *m->start);
  m->line = malloc((n_rows > 0 ? n_rows : 1) * sizeof *m->line);
  if (m->start == NULL || m->line == NULL) {
    free(m->start);
    free(m->line);
    return false;
  }
  m->n_lines = 0;
  m->start[m->n_lines++] = 0;
  for (size_t i = 0; i < size; i++) {
    if (data[i] == '\n' && i + 1 < size) {
      m->start[m->n_lines++] = i + 1;
    }
  }
  m->start[m->n_lines] = size;
  size_t n_rej = segkit_read_result_n_rejects(res);
  size_t k = 0;
  int64_t line = 1;
  for (size_t r = 0; r < n_rows; r++) {
    for (;;) {
      line++;
      bool rejected = false;
      while (k < n_rej && segkit_read_result_reject(res, k)->line < line) {
        k++;
      }
      rejected = k < n_rej && segkit_read_result_reject(res, k)->line == line;
      size_t a = line - 1 < (int64_t)m->n_lines ? m->start[line - 1] : size;
      size_t b = line < (int64_t)m->n_lines ? m->start[line] : size;
      bool blank = true;
      for (size_t i = a; i < b && blank; i++) {
        blank = data[i] == '\n' || data[i] == '\r';
      }
      if ((!rejected && !blank) || line > (int64_t)m->n_lines) {
        break;
      }
    }
    m->line[r] = line;
  }
  return true;
}

/* The bytes of a physical line without its terminator. */
static const char *line_text(const char *data, const row_lines *m, int64_t line, size_t *len) {
  if (line < 1 || line > (int64_t)m->n_lines) {
    *len = 0;
    return "";
  }
  size_t a = m->start[line - 1];
  size_t b = m->start[line];
  while (b > a && (data[b - 1] == '\n' || data[b - 1] == '\r')) {
    b--;
  }
  *len = b - a;
  return data + a;
}

static segkit_status add_rows(segkit_stripe_import *imp, const char *name, const segkit_table *t,
                              csv_kind kind, const char *data, const row_lines *lines) {
  sub_cols sc;
  find_sub_cols(t, &sc);
  long idc = col_of(t, k_id);
  for (size_t r = 0; r < segkit_table_n_rows(t); r++) {
    row_ctx x;
    memset(&x, 0, sizeof x);
    x.type = kind == CSV_SUBSCRIPTIONS ? "csv_subscription" : "csv_customer";
    x.id = cell(t, idc, r);
    int table = kind == CSV_SUBSCRIPTIONS ? SEGKIT_STRIPE_SUBSCRIPTIONS : SEGKIT_STRIPE_CUSTOMERS;
    imp->counts.objects[kind == CSV_SUBSCRIPTIONS ? SEGKIT_STRIPE_OBJ_CSV_SUBSCRIPTION
                                                  : SEGKIT_STRIPE_OBJ_CSV_CUSTOMER]++;
    int64_t line = lines->line[r];
    size_t raw_len = 0;
    const char *raw = line_text(data, lines, line, &raw_len);
    bool oom = false;
    bool ok = x.id != NULL;
    if (!ok) {
      snprintf(x.msg, sizeof x.msg, "%s on line %lld: id is empty", x.type, (long long)line);
    }
    bool dup = false;
    if (ok) {
      dup = sk__bill_idset_has(
          kind == CSV_SUBSCRIPTIONS ? &imp->subscription_ids : &imp->customer_ids, x.id);
    }
    if (dup) {
      if (!sk__bill_skip_add(imp, SEGKIT_STRIPE_SKIP_DUPLICATE, name, line, -1, x.type, x.id, -1,
                             NULL, 0, "%s %s: already imported (the first one is kept)", x.type,
                             x.id)) {
        return SEGKIT_ERR_NOMEM;
      }
      continue;
    }
    if (kind == CSV_SUBSCRIPTIONS) {
      sk__bill_item it;
      ok = ok && sub_row(&x, t, &sc, r, &it, &oom);
      bool added = false;
      if (ok && (!sk__bill_idset_add(&imp->subscription_ids, x.id, &added) ||
                 !sk__bill_grow((void **)&imp->items, &imp->cap_items, imp->n_items, sizeof it))) {
        oom = true;
        ok = false;
      }
      if (ok) {
        imp->items[imp->n_items++] = it;
      } else if (x.id != NULL) {
        sk__bill_item_free(&it);
      }
    } else {
      sk__bill_customer c;
      ok = ok && customer_row(&x, t, r, &c, &oom);
      bool added = false;
      if (ok && (!sk__bill_idset_add(&imp->customer_ids, x.id, &added) ||
                 !sk__bill_grow((void **)&imp->customers, &imp->cap_customers, imp->n_customers,
                                sizeof c))) {
        oom = true;
        ok = false;
      }
      if (ok) {
        imp->customers[imp->n_customers++] = c;
      } else if (x.id != NULL) {
        sk__bill_customer_free(&c);
      }
    }
    if (oom) {
      return SEGKIT_ERR_NOMEM;
    }
    if (!ok && !sk__bill_skip_add(imp, SEGKIT_STRIPE_SKIP_MALFORMED, name, line, -1, x.type, x.id,
                                  table, raw, raw_len, "%s", x.msg)) {
      return SEGKIT_ERR_NOMEM;
    }
  }
  return SEGKIT_OK;
}

segkit_status sk__bill_csv_add(segkit_stripe_import *imp, const char *name, const char *data,
                               size_t size, segkit_error *err) {
  segkit_table *header = NULL;
  segkit_error herr;
  if (read_header(name, data, size, &header, &herr) != SEGKIT_OK) {
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, name, 1, 1, NULL,
                               "neither JSON (no '{' or '[' first) nor a CSV with a header: %s",
                               herr.message);
  }
  csv_kind kind = kind_of(header);
  if (kind == CSV_UNKNOWN) {
    segkit_table_free(header);
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, name, 1, 1, NULL,
                               "not Stripe JSON, and not a Stripe dashboard export of customers "
                               "(columns id, Email, Created (UTC), ...) or of subscriptions "
                               "(id, Customer ID, Plan, Interval, ...)");
  }
  segkit_read_result *res = NULL;
  segkit_status st = read_all(name, data, size, header, &res, err);
  segkit_table_free(header);
  if (st != SEGKIT_OK) {
    return st;
  }
  /* Rows the reader rejected (ragged, bad quoting, bad UTF-8) are skipped objects too. */
  int table = kind == CSV_SUBSCRIPTIONS ? SEGKIT_STRIPE_SUBSCRIPTIONS : SEGKIT_STRIPE_CUSTOMERS;
  const char *type = kind == CSV_SUBSCRIPTIONS ? "csv_subscription" : "csv_customer";
  for (size_t i = 0; i < segkit_read_result_n_rejects(res); i++) {
    const segkit_reject *rj = segkit_read_result_reject(res, i);
    imp->counts.objects[kind == CSV_SUBSCRIPTIONS ? SEGKIT_STRIPE_OBJ_CSV_SUBSCRIPTION
                                                  : SEGKIT_STRIPE_OBJ_CSV_CUSTOMER]++;
    if (!sk__bill_skip_add(imp, SEGKIT_STRIPE_SKIP_MALFORMED, name, rj->line, -1, type, "", table,
                           rj->raw, rj->raw_len, "%s line %lld: %s", type, (long long)rj->line,
                           rj->message)) {
      segkit_read_result_free(res);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  }
  const segkit_table *rows = segkit_read_result_table(res);
  row_lines lines;
  if (!map_rows(data, size, res, segkit_table_n_rows(rows), &lines)) {
    segkit_read_result_free(res);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  st = add_rows(imp, name, rows, kind, data, &lines);
  free(lines.start);
  free(lines.line);
  segkit_read_result_free(res);
  if (st != SEGKIT_OK) {
    return segkit_error_set_at(err, st, name, 0, 0, NULL, "out of memory reading the CSV rows");
  }
  return SEGKIT_OK;
}
