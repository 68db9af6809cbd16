/* The audit log: one entry per change to the workspace (every import, every drop), with
 * who, what, on which dataset, and the details as a JSON object.
 *
 * Key design choice: an entry is written inside the transaction of the change it
 * records, so the log and the data cannot disagree: a change that rolled back left no
 * entry, and a committed change always has one. The detail is built with jansson, so
 * escaping is right whatever the file names hold; strings that are not valid UTF-8 (a
 * file name is just bytes) have each bad byte replaced by U+FFFD, because JSON text
 * must be UTF-8. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "store/store_int.h"

static const char *const mode_names[] = {
    [SEGKIT_IMPORT_CREATE] = "create",
    [SEGKIT_IMPORT_APPEND] = "append",
    [SEGKIT_IMPORT_UPSERT] = "upsert",
    [SEGKIT_IMPORT_REPLACE] = "replace",
};

const char *sk__import_mode_name(segkit_import_mode m) {
  return (int)m >= 0 && m <= SEGKIT_IMPORT_REPLACE ? mode_names[m] : NULL;
}

/* ======================================================================================
 * JSON strings from arbitrary bytes
 * ==================================================================================== */

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), or 0 if the bytes there are not one. */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80) {
    return 1;
  }
  size_t len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len > n) {
    return 0;
  }
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  return overlong || surrogate || cp > 0x10FFFF ? 0 : len;
}

/* A JSON string of s with invalid bytes replaced by U+FFFD; NULL on OOM. */
static json_t *json_text(const char *s) {
  if (s == NULL) {
    return json_null();
  }
  size_t n = strlen(s);
  char *clean = malloc(n * 3 + 1);
  if (clean == NULL) {
    return NULL;
  }
  size_t o = 0;
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t len = utf8_sequence(p + i, n - i);
    if (len == 0) {
      memcpy(clean + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
      continue;
    }
    memcpy(clean + o, p + i, len);
    o += len;
    i += len;
  }
  json_t *j = json_stringn(clean, o);
  free(clean);
  return j;
}

/* Set obj[key] = value, taking the reference; false if value is NULL or on OOM. */
static bool put(json_t *obj, const char *key, json_t *value) {
  return value != NULL && json_object_set_new(obj, key, value) == 0;
}

/* ======================================================================================
 * Writing entries
 * ==================================================================================== */

static segkit_status insert_entry(sqlite3 *db, const char *actor, const char *action,
                                  const char *target, json_t *detail, segkit_error *err) {
  char *text = json_dumps(detail, JSON_COMPACT);
  if (text == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory writing the audit log");
  }
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(
      db, "INSERT INTO audit(at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)", &st,
      err);
  if (s == SEGKIT_OK) {
    sqlite3_bind_int64(st, 1, segkit_now_us());
    sqlite3_bind_text(st, 2, actor != NULL && actor[0] != '\0' ? actor : "unknown", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
    s = sk__step_done(db, st, "writing the audit log", err);
  }
  sqlite3_finalize(st);
  free(text);
  return s;
}

static json_t *read_counts_json(const segkit_read_counts *c) {
  json_t *o = json_object();
  json_t *by_reason = json_object();
  bool ok = o != NULL && by_reason != NULL;
  for (int r = 0; ok && r < SEGKIT_REJECT_COUNT; r++) {
    ok = put(by_reason, sk__reject_reason_id((segkit_reject_reason)r),
             json_integer(c->rejected_by_reason[r]));
  }
  ok = ok && put(o, "rows_read", json_integer(c->rows_read)) &&
       put(o, "rows_imported", json_integer(c->rows_imported)) &&
       put(o, "rows_rejected", json_integer(c->rows_rejected)) &&
       put(o, "bytes_read", json_integer(c->bytes_read));
  if (ok) {
    ok = put(o, "rejected_by_reason", by_reason);
    by_reason = NULL;
  }
  json_decref(by_reason);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

segkit_status sk__audit_import(sqlite3 *db, const sk_import_facts *f, segkit_error *err) {
  const segkit_import_request *req = f->req;
  const segkit_import_outcome *oc = f->outcome;
  json_t *d = json_object();
  bool ok = d != NULL && put(d, "mode", json_string(sk__import_mode_name(req->mode))) &&
            put(d, "source", json_text(req->source)) && put(d, "key", json_text(f->key)) &&
            put(d, "batch_id", json_integer(oc->batch_id)) &&
            put(d, "rows_in_batch", json_integer(f->rows_in_table)) &&
            put(d, "rows_added", json_integer(oc->rows_added)) &&
            put(d, "rows_replaced", json_integer(oc->rows_replaced)) &&
            put(d, "rows_quarantined", json_integer(oc->rows_quarantined)) &&
            put(d, "dataset_rows", json_integer(oc->dataset_rows));
  if (ok && req->counts != NULL) {
    ok = put(d, "read", read_counts_json(req->counts));
  }
  segkit_status s = ok ? insert_entry(db, f->actor, "import", req->dataset, d, err)
                       : segkit_error_set(err, SEGKIT_ERR_NOMEM,
                                          "out of memory writing the audit log");
  json_decref(d);
  return s;
}

segkit_status sk__audit_drop(sqlite3 *db, const char *actor, const char *dataset,
                             int64_t n_rows, int64_t n_batches, int64_t n_quarantined,
                             segkit_error *err) {
  json_t *d = json_object();
  bool ok = d != NULL && put(d, "rows", json_integer(n_rows)) &&
            put(d, "batches", json_integer(n_batches)) &&
            put(d, "quarantined", json_integer(n_quarantined));
  segkit_status s = ok ? insert_entry(db, actor, "drop", dataset, d, err)
                       : segkit_error_set(err, SEGKIT_ERR_NOMEM,
                                          "out of memory writing the audit log");
  json_decref(d);
  return s;
}

segkit_status sk__audit_fields(sqlite3 *db, const char *actor, const char *action,
                               const char *target, const char *const *keys,
                               const char *const *values, size_t n, segkit_error *err) {
  json_t *d = json_object();
  bool ok = d != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    ok = put(d, keys[i], json_text(values[i]));
  }
  segkit_status s = ok ? insert_entry(db, actor, action, target, d, err)
                       : segkit_error_set(err, SEGKIT_ERR_NOMEM,
                                          "out of memory writing the audit log");
  json_decref(d);
  return s;
}

/* ======================================================================================
 * Listing
 * ==================================================================================== */

void segkit_audit_list_free(segkit_audit_list *list) {
  if (list == NULL) {
    return;
  }
  for (size_t i = 0; i < list->n; i++) {
    free(list->items[i].actor);
    free(list->items[i].action);
    free(list->items[i].target);
    free(list->items[i].detail_json);
  }
  free(list->items);
  free(list);
}

static bool fill_entry(sqlite3_stmt *st, segkit_audit_entry *e) {
  bool failed = false;
  e->id = sqlite3_column_int64(st, 0);
  e->at_us = sqlite3_column_int64(st, 1);
  e->actor = sk__strdup((const char *)sqlite3_column_text(st, 2), &failed);
  e->action = sk__strdup((const char *)sqlite3_column_text(st, 3), &failed);
  e->target = sk__strdup((const char *)sqlite3_column_text(st, 4), &failed);
  e->detail_json = sk__strdup((const char *)sqlite3_column_text(st, 5), &failed);
  return !failed;
}

static segkit_status collect(sqlite3 *db, sqlite3_stmt *st, segkit_audit_list *list,
                             segkit_error *err) {
  size_t cap = 0;
  int rc = sqlite3_step(st);
  for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
    if (list->n == cap) {
      size_t ncap = cap == 0 ? 16 : cap * 2;
      segkit_audit_entry *ni = realloc(list->items, ncap * sizeof *ni);
      if (ni == NULL) {
        return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing the audit log");
      }
      list->items = ni;
      cap = ncap;
    }
    segkit_audit_entry *e = &list->items[list->n];
    memset(e, 0, sizeof *e);
    list->n++;
    if (!fill_entry(st, e)) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing the audit log");
    }
  }
  if (rc != SQLITE_DONE) {
    return sk__sqlite_error(err, db, rc, "listing the audit log");
  }
  return SEGKIT_OK;
}

segkit_status segkit_workspace_audit(segkit_workspace *ws, size_t limit,
                                     segkit_audit_list **out, segkit_error *err) {
  if (ws == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "workspace and out are required");
  }
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(ws->db,
                                "SELECT id, at, actor, action, target, detail FROM audit "
                                "ORDER BY id DESC LIMIT ?",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
  segkit_audit_list *list = calloc(1, sizeof *list);
  if (list == NULL) {
    sqlite3_finalize(st);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing the audit log");
  }
  s = collect(ws->db, st, list, err);
  sqlite3_finalize(st);
  if (s != SEGKIT_OK) {
    segkit_audit_list_free(list);
    return s;
  }
  *out = list;
  return SEGKIT_OK;
}
