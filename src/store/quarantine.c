/* Quarantine: the rows an import rejected, kept with their reason so nothing the user
 * gave is lost silently.
 *
 * Key design choice: the raw row is a BLOB, never TEXT, so its bytes come back exactly
 * as they were in the file, including invalid UTF-8 and embedded NULs (SQLite would be
 * entitled to treat TEXT as UTF-8). The reason is stored as its stable id ("bad_value"),
 * taken from SEGKIT_REJECT_MAP in segkit/io.h, so the store needs no link to the
 * readers. Rows are written inside the import's transaction. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static const char *const reason_ids[SEGKIT_REJECT_COUNT] = {
#define SK_REASON_ID(name, id, desc) id,
    SEGKIT_REJECT_MAP(SK_REASON_ID)
#undef SK_REASON_ID
};

const char *sk__reject_reason_id(segkit_reject_reason r) {
  return (int)r >= 0 && r < SEGKIT_REJECT_COUNT ? reason_ids[r] : NULL;
}

/* Bind a possibly empty byte range as a non-NULL blob. */
static void bind_bytes(sqlite3_stmt *st, int i, const char *p, size_t n) {
  if (n == 0 || p == NULL) {
    sqlite3_bind_zeroblob(st, i, 0);
    return;
  }
  sqlite3_bind_blob64(st, i, p, (sqlite3_uint64)n, SQLITE_STATIC);
}

static segkit_status insert_one(sqlite3 *db, sqlite3_stmt *st, int64_t dataset_id,
                                int64_t batch_id, const segkit_reject *r, size_t index,
                                segkit_error *err) {
  const char *reason = sk__reject_reason_id(r->reason);
  if (reason == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "rejected row %zu has an unknown reason (%d)", index + 1,
                            (int)r->reason);
  }
  sqlite3_bind_int64(st, 1, dataset_id);
  sqlite3_bind_int64(st, 2, batch_id);
  sqlite3_bind_int64(st, 3, r->line);
  sqlite3_bind_int64(st, 4, r->column);
  if (r->field != NULL) {
    sqlite3_bind_text(st, 5, r->field, -1, SQLITE_STATIC);
  } else {
    sqlite3_bind_null(st, 5);
  }
  sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, r->message != NULL ? r->message : "", -1, SQLITE_STATIC);
  bind_bytes(st, 8, r->raw, r->raw_len);
  segkit_status s = sk__step_done(db, st, "storing a quarantined row", err);
  sqlite3_reset(st);
  return s;
}

segkit_status sk__quarantine_insert(sqlite3 *db, int64_t dataset_id, int64_t batch_id,
                                    const segkit_reject *rejects, size_t n,
                                    segkit_error *err) {
  if (n == 0) {
    return SEGKIT_OK;
  }
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(db,
                                "INSERT INTO quarantine(dataset_id, batch_id, line, col, "
                                "field, reason, message, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                &st, err);
  for (size_t i = 0; s == SEGKIT_OK && i < n; i++) {
    s = insert_one(db, st, dataset_id, batch_id, &rejects[i], i, err);
  }
  sqlite3_finalize(st);
  return s;
}

/* ======================================================================================
 * Listing
 * ==================================================================================== */

void segkit_quarantine_list_free(segkit_quarantine_list *list) {
  if (list == NULL) {
    return;
  }
  for (size_t i = 0; i < list->n; i++) {
    free(list->items[i].field);
    free(list->items[i].reason);
    free(list->items[i].message);
    free(list->items[i].raw);
  }
  free(list->items);
  free(list);
}

/* Copy of column i as text (NULL stays NULL). */
static char *column_text(sqlite3_stmt *st, int i, bool *failed) {
  return sk__strdup((const char *)sqlite3_column_text(st, i), failed);
}

static bool fill_row(sqlite3_stmt *st, segkit_quarantined_row *q) {
  bool failed = false;
  q->id = sqlite3_column_int64(st, 0);
  q->batch_id = sqlite3_column_int64(st, 1);
  q->line = sqlite3_column_int64(st, 2);
  q->column = sqlite3_column_int64(st, 3);
  q->field = column_text(st, 4, &failed);
  q->reason = column_text(st, 5, &failed);
  q->message = column_text(st, 6, &failed);
  const void *raw = sqlite3_column_blob(st, 7);
  size_t n = (size_t)sqlite3_column_bytes(st, 7);
  q->raw = malloc(n + 1);
  if (q->raw == NULL) {
    return false;
  }
  if (n > 0) {
    memcpy(q->raw, raw, n);
  }
  q->raw[n] = '\0';
  q->raw_len = n;
  return !failed;
}

static segkit_status collect(sqlite3 *db, sqlite3_stmt *st, segkit_quarantine_list *list,
                             segkit_error *err) {
  size_t cap = 0;
  int rc = sqlite3_step(st);
  for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
    if (list->n == cap) {
      size_t ncap = cap == 0 ? 16 : cap * 2;
      segkit_quarantined_row *ni = realloc(list->items, ncap * sizeof *ni);
      if (ni == NULL) {
        return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing quarantine");
      }
      list->items = ni;
      cap = ncap;
    }
    segkit_quarantined_row *q = &list->items[list->n];
    memset(q, 0, sizeof *q);
    list->n++;
    if (!fill_row(st, q)) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing quarantine");
    }
  }
  if (rc != SQLITE_DONE) {
    return sk__sqlite_error(err, db, rc, "listing quarantined rows");
  }
  return SEGKIT_OK;
}

segkit_status segkit_workspace_quarantine(segkit_workspace *ws, const char *dataset,
                                          size_t limit, segkit_quarantine_list **out,
                                          segkit_error *err) {
  if (ws == NULL || dataset == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "workspace, dataset and out are required");
  }
  int64_t dataset_id = 0;
  segkit_status s = sk__dataset_id(ws->db, dataset, &dataset_id, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_stmt *st = NULL;
  s = sk__prepare(ws->db,
                  "SELECT id, batch_id, line, col, field, reason, message, raw FROM quarantine "
                  "WHERE dataset_id = ? ORDER BY id LIMIT ?",
                  &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, dataset_id);
  sqlite3_bind_int64(st, 2, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
  segkit_quarantine_list *list = calloc(1, sizeof *list);
  if (list == NULL) {
    sqlite3_finalize(st);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing quarantine");
  }
  s = collect(ws->db, st, list, err);
  sqlite3_finalize(st);
  if (s != SEGKIT_OK) {
    segkit_quarantine_list_free(list);
    return s;
  }
  *out = list;
  return SEGKIT_OK;
}
