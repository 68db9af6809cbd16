/* Segments as objects in the workspace: links between datasets, segment definitions
 * (rule text, re-evaluated on each use) and snapshots of their membership.
 *
 * Key design choice: a snapshot is one row with its members as one blob of sorted keys
 * (int64 little endian, or NUL-terminated strings in byte order), not a row per member: a
 * 10 M-member snapshot is one INSERT of 80 MB rather than 10 M, and a diff is a merge of
 * two sorted lists. Every change is audited in the same transaction as the change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "store/store_int.h"

static segkit_status check_segment_name(const char *name, segkit_error *err) {
  if (sk__dataset_name_ok(name)) {
    return SEGKIT_OK;
  }
  return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "segment",
                             "invalid segment name '%.64s' (expected 1-64 letters, digits, "
                             "'_' or '-')",
                             name != NULL ? name : "");
}

segkit_status sk__writable(segkit_workspace *ws, segkit_error *err) {
  if (ws->readonly) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "the workspace is open read-only");
  }
  return SEGKIT_OK;
}

/* Whether dataset `name` has a column `column` (SEGKIT_ERR_NOT_FOUND names what is missing). */
static segkit_status column_exists(sqlite3 *db, const char *dataset, const char *column,
                                   segkit_error *err) {
  int64_t id = 0;
  segkit_status s = sk__dataset_id(db, dataset, &id, err);
  if (s != SEGKIT_OK || column == NULL) {
    return s;
  }
  sqlite3_stmt *st = NULL;
  s = sk__prepare(db, "SELECT 1 FROM dataset_columns WHERE dataset_id = ? AND name = ?", &st,
                  err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW) {
    return SEGKIT_OK;
  }
  if (rc != SQLITE_DONE) {
    return sk__sqlite_error(err, db, rc, "looking up a column");
  }
  return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, column,
                             "dataset '%s' has no column '%s'", dataset, column);
}

/* End a write transaction: commit after success, roll back after a failure. */
segkit_status sk__finish_write(segkit_workspace *ws, segkit_status s, segkit_error *err) {
  if (s != SEGKIT_OK) {
    sk__rollback(ws);
    return s;
  }
  return sk__commit(ws, err);
}

/* ==== links ============================================================================== */

segkit_status segkit_workspace_link(segkit_workspace *ws, const char *fact_dataset,
                                    const char *fact_column, const char *customers_dataset,
                                    const char *key_column, const char *time_column,
                                    segkit_error *err) {
  if (ws == NULL || fact_dataset == NULL || fact_column == NULL || customers_dataset == NULL ||
      key_column == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_workspace_link: missing argument");
  }
  segkit_status s = sk__writable(ws, err);
  if (s == SEGKIT_OK) {
    s = sk__begin_write(ws, err);
    if (s != SEGKIT_OK) {
      return s;
    }
    s = column_exists(ws->db, fact_dataset, fact_column, err);
    if (s == SEGKIT_OK && time_column != NULL) {
      s = column_exists(ws->db, fact_dataset, time_column, err);
    }
    if (s == SEGKIT_OK) {
      s = column_exists(ws->db, customers_dataset, key_column, err);
    }
    sqlite3_stmt *st = NULL;
    if (s == SEGKIT_OK) {
      s = sk__prepare(ws->db,
                      "INSERT OR REPLACE INTO links(fact_dataset, fact_column, "
                      "customers_dataset, key_column, time_column, created_at) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      &st, err);
    }
    if (s == SEGKIT_OK) {
      sqlite3_bind_text(st, 1, fact_dataset, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, fact_column, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 3, customers_dataset, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 4, key_column, -1, SQLITE_STATIC);
      if (time_column != NULL) {
        sqlite3_bind_text(st, 5, time_column, -1, SQLITE_STATIC);
      } else {
        sqlite3_bind_null(st, 5);
      }
      sqlite3_bind_int64(st, 6, segkit_now_us());
      s = sk__step_done(ws->db, st, "storing a link", err);
    }
    sqlite3_finalize(st);
    if (s == SEGKIT_OK) {
      const char *keys[] = {"fact_column", "customers", "key_column", "time_column"};
      const char *vals[] = {fact_column, customers_dataset, key_column, time_column};
      s = sk__audit_fields(ws->db, ws->actor, "link", fact_dataset, keys, vals, 4, err);
    }
    s = sk__finish_write(ws, s, err);
  }
  return s;
}

void segkit_link_list_free(segkit_link_list *list) {
  if (list == NULL) {
    return;
  }
  for (size_t i = 0; i < list->n; i++) {
    segkit_link *l = &list->items[i];
    free(l->fact_dataset);
    free(l->fact_column);
    free(l->customers_dataset);
    free(l->key_column);
    free(l->time_column);
  }
  free(list->items);
  free(list);
}

/* Make room for item n of a growing list (capacity doubling); false when out of memory. */
bool sk__room_for_one(void **items, size_t *cap, size_t n, size_t size) {
  if (n < *cap) {
    return true;
  }
  size_t nc = *cap ? *cap * 2 : 8;
  void *p = realloc(*items, nc * size);
  if (p == NULL) {
    return false;
  }
  *items = p;
  *cap = nc;
  return true;
}

char *sk__column_text(sqlite3_stmt *st, int i, bool *failed) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t != NULL ? sk__strdup((const char *)t, failed) : NULL;
}

segkit_status segkit_workspace_links(segkit_workspace *ws, const char *customers_dataset,
                                     segkit_link_list **out, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(ws->db,
                                "SELECT fact_dataset, fact_column, customers_dataset, "
                                "key_column, time_column FROM links "
                                "WHERE ?1 IS NULL OR customers_dataset = ?1 "
                                "ORDER BY fact_dataset",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (customers_dataset != NULL) {
    sqlite3_bind_text(st, 1, customers_dataset, -1, SQLITE_STATIC);
  }
  segkit_link_list *list = calloc(1, sizeof *list);
  size_t cap = 0;
  bool failed = list == NULL;
  int rc;
  while (!failed && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!sk__room_for_one((void **)&list->items, &cap, list->n, sizeof *list->items)) {
      failed = true;
      break;
    }
    segkit_link *l = &list->items[list->n++];
    l->fact_dataset = sk__column_text(st, 0, &failed);
    l->fact_column = sk__column_text(st, 1, &failed);
    l->customers_dataset = sk__column_text(st, 2, &failed);
    l->key_column = sk__column_text(st, 3, &failed);
    l->time_column = sk__column_text(st, 4, &failed);
  }
  sqlite3_finalize(st);
  if (failed) {
    segkit_link_list_free(list);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing links");
  }
  *out = list;
  return SEGKIT_OK;
}

/* ==== segments =========================================================================== */

/* Inside a write transaction: whether segment `name` is still at *version (NULL: no
 * check). When it has moved on: SEGKIT_ERR_EXISTS, field "version", *current its version. */
static segkit_status check_version(segkit_workspace *ws, const char *name, const int64_t *version,
                                   int64_t *current, segkit_error *err) {
  if (version == NULL) {
    return SEGKIT_OK;
  }
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(ws->db, "SELECT updated_at FROM segments WHERE name = ?", &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  int64_t at = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, "segment",
                               "no segment named '%.64s' (see segkit segment list)", name);
  }
  if (rc != SQLITE_ROW) {
    return sk__sqlite_error(err, ws->db, rc, "reading a segment's version");
  }
  if (current != NULL) {
    *current = at;
  }
  if (at != *version) {
    return segkit_error_set_at(err, SEGKIT_ERR_EXISTS, NULL, 0, 0, "version",
                               "segment '%.64s' has changed: it is at version %lld, not %lld", name,
                               (long long)at, (long long)*version);
  }
  return SEGKIT_OK;
}

static segkit_status save_segment(segkit_workspace *ws, const char *name, const char *dataset,
                                  const char *rule, const char *description, const char *context,
                                  bool replace, const int64_t *version, int64_t *current,
                                  segkit_error *err) {
  if (ws == NULL || dataset == NULL || rule == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_workspace_segment_save: missing "
                                                   "argument");
  }
  segkit_status s = check_segment_name(name, err);
  if (s == SEGKIT_OK) {
    s = sk__writable(ws, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  s = sk__begin_write(ws, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  s = check_version(ws, name, version, current, err);
  int64_t id = 0;
  if (s == SEGKIT_OK) {
    s = sk__dataset_id(ws->db, dataset, &id, err);
  }
  sqlite3_stmt *st = NULL;
  if (s == SEGKIT_OK) {
    /* updated_at is the segment's version (the API's ETag): a replace moves it forward by at
     * least a microsecond, so two saves in the same microsecond still differ. */
    s = sk__prepare(ws->db,
                    replace ? "INSERT INTO segments(name, dataset, rule, description, "
                              "created_at, updated_at, context) VALUES (?1, ?2, ?3, ?4, ?5, ?5, "
                              "?6) ON CONFLICT(name) DO UPDATE SET dataset = ?2, rule = ?3, "
                              "description = ?4, updated_at = max(?5, updated_at + 1), context = ?6"
                            : "INSERT INTO segments(name, dataset, rule, description, "
                              "created_at, updated_at, context) VALUES (?1, ?2, ?3, ?4, ?5, ?5, "
                              "?6)",
                    &st, err);
  }
  if (s == SEGKIT_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, dataset, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, rule, -1, SQLITE_STATIC);
    if (description != NULL) {
      sqlite3_bind_text(st, 4, description, -1, SQLITE_STATIC);
    } else {
      sqlite3_bind_null(st, 4);
    }
    sqlite3_bind_int64(st, 5, segkit_now_us());
    if (context != NULL) {
      sqlite3_bind_text(st, 6, context, -1, SQLITE_STATIC);
    } else {
      sqlite3_bind_null(st, 6);
    }
    int rc = sqlite3_step(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      s = segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "segment",
                              "a segment named '%s' exists (replace it, or choose another "
                              "name)",
                              name);
    } else if (rc != SQLITE_DONE) {
      s = sk__sqlite_error(err, ws->db, rc, "storing a segment");
    }
  }
  sqlite3_finalize(st);
  if (s == SEGKIT_OK) {
    const char *keys[] = {"dataset", "rule", "description", "context"};
    const char *vals[] = {dataset, rule, description, context};
    s = sk__audit_fields(ws->db, ws->actor, replace ? "segment_replace" : "segment_add", name,
                         keys, vals, 4, err);
  }
  return sk__finish_write(ws, s, err);
}

segkit_status segkit_workspace_segment_save(segkit_workspace *ws, const char *name,
                                            const char *dataset, const char *rule,
                                            const char *description, const char *context,
                                            bool replace, segkit_error *err) {
  return save_segment(ws, name, dataset, rule, description, context, replace, NULL, NULL, err);
}

segkit_status segkit_workspace_segment_replace_at(segkit_workspace *ws, const char *name,
                                                  const char *dataset, const char *rule,
                                                  const char *description, const char *context,
                                                  int64_t version, int64_t *current,
                                                  segkit_error *err) {
  return save_segment(ws, name, dataset, rule, description, context, true, &version, current, err);
}

void segkit_segment_list_free(segkit_segment_list *list) {
  if (list == NULL) {
    return;
  }
  for (size_t i = 0; i < list->n; i++) {
    free(list->items[i].name);
    free(list->items[i].dataset);
    free(list->items[i].rule);
    free(list->items[i].description);
    free(list->items[i].context);
  }
  free(list->items);
  free(list);
}

segkit_status segkit_workspace_segments(segkit_workspace *ws, const char *name,
                                        segkit_segment_list **out, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(ws->db,
                                "SELECT s.name, s.dataset, s.rule, s.description, s.created_at, "
                                "s.updated_at, s.context, (SELECT count(*) FROM segment_snapshots p "
                                "WHERE p.segment = s.name) FROM segments s "
                                "WHERE ?1 IS NULL OR s.name = ?1 ORDER BY s.name",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (name != NULL) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  }
  segkit_segment_list *list = calloc(1, sizeof *list);
  size_t cap = 0;
  bool failed = list == NULL;
  int rc = SQLITE_DONE;
  while (!failed && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!sk__room_for_one((void **)&list->items, &cap, list->n, sizeof *list->items)) {
      failed = true;
      break;
    }
    segkit_segment_info *g = &list->items[list->n++];
    g->name = sk__column_text(st, 0, &failed);
    g->dataset = sk__column_text(st, 1, &failed);
    g->rule = sk__column_text(st, 2, &failed);
    g->description = sk__column_text(st, 3, &failed);
    g->created_at_us = sqlite3_column_int64(st, 4);
    g->updated_at_us = sqlite3_column_int64(st, 5);
    g->context = sk__column_text(st, 6, &failed);
    g->n_snapshots = sqlite3_column_int64(st, 7);
  }
  sqlite3_finalize(st);
  if (failed) {
    segkit_segment_list_free(list);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing segments");
  }
  if (rc != SQLITE_DONE) {
    segkit_segment_list_free(list);
    return sk__sqlite_error(err, ws->db, rc, "listing segments");
  }
  if (name != NULL && list->n == 0) {
    segkit_segment_list_free(list);
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, "segment",
                               "no segment named '%.64s' (see segkit segment list)", name);
  }
  *out = list;
  return SEGKIT_OK;
}

static segkit_status drop_segment(segkit_workspace *ws, const char *name, const int64_t *version,
                                  int64_t *current, segkit_error *err) {
  segkit_status s = check_segment_name(name, err);
  if (s == SEGKIT_OK) {
    s = sk__writable(ws, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  s = sk__begin_write(ws, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  s = check_version(ws, name, version, current, err);
  if (s == SEGKIT_OK) {
    s = sk__delete_named(ws->db, "DELETE FROM segments WHERE name = ?", name, "removing a segment",
                         "segment", err);
  }
  if (s == SEGKIT_OK) {
    sqlite3_stmt *st = NULL;
    s = sk__prepare(ws->db, "DELETE FROM segment_snapshots WHERE segment = ?", &st, err);
    if (s == SEGKIT_OK) {
      sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
      s = sk__step_done(ws->db, st, "removing a segment's snapshots", err);
    }
    sqlite3_finalize(st);
  }
  if (s == SEGKIT_OK) {
    s = sk__audit_fields(ws->db, ws->actor, "segment_drop", name, NULL, NULL, 0, err);
  }
  return sk__finish_write(ws, s, err);
}

segkit_status segkit_workspace_segment_drop(segkit_workspace *ws, const char *name,
                                            segkit_error *err) {
  return drop_segment(ws, name, NULL, NULL, err);
}

segkit_status segkit_workspace_segment_drop_at(segkit_workspace *ws, const char *name,
                                               int64_t version, int64_t *current,
                                               segkit_error *err) {
  return drop_segment(ws, name, &version, current, err);
}

/* ==== snapshots ========================================================================== */

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a;
  int64_t y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* qsort has no context argument; string member sorting reads the column from here. */
static _Thread_local const segkit_column *g_keys;

static int cmp_code(const void *a, const void *b) {
  size_t la;
  size_t lb;
  const char *sa = segkit_column_dict_value(g_keys, *(const uint32_t *)a, &la);
  const char *sb = segkit_column_dict_value(g_keys, *(const uint32_t *)b, &lb);
  int r = memcmp(sa, sb, la < lb ? la : lb);
  return r != 0 ? r : (la > lb) - (la < lb);
}

static bool bit(const uint64_t *bits, size_t i) {
  return (bits[i / 64] >> (i % 64)) & 1u;
}

/* The sorted members of keys as a blob; *n_members their number. */
static segkit_status member_blob(const segkit_column *keys, const uint64_t *bits,
                                 unsigned char **blob, size_t *size, int64_t *n_members,
                                 segkit_error *err) {
  size_t n = segkit_column_n_rows(keys);
  bool ints = segkit_column_type(keys) == SEGKIT_TYPE_INT64;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (bit(bits, i)) {
      if (!segkit_column_is_valid(keys, i)) {
        return segkit_error_set(err, SEGKIT_ERR_USAGE,
                                "member row %zu has a null key: it cannot be stored", i + 1);
      }
      m++;
    }
  }
  *n_members = (int64_t)m;
  if (ints) {
    int64_t *v = malloc((m ? m : 1) * sizeof *v);
    if (v == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu members", m);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      if (bit(bits, i)) {
        v[k++] = segkit_column_int64(keys)[i];
      }
    }
    qsort(v, m, sizeof *v, cmp_i64);
    unsigned char *b = malloc((m ? m : 1) * 8);
    if (b == NULL) {
      free(v);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu members", m);
    }
    for (size_t i = 0; i < m; i++) {
      uint64_t u = (uint64_t)v[i];
      for (int j = 0; j < 8; j++) {
        b[i * 8 + (size_t)j] = (unsigned char)(u >> (8 * j));
      }
    }
    free(v);
    *blob = b;
    *size = m * 8;
    return SEGKIT_OK;
  }
  uint32_t *codes = malloc((m ? m : 1) * sizeof *codes);
  if (codes == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu members", m);
  }
  size_t k = 0;
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    if (bit(bits, i)) {
      codes[k] = segkit_column_codes(keys)[i];
      size_t len;
      segkit_column_dict_value(keys, codes[k], &len);
      total += len + 1;
      k++;
    }
  }
  g_keys = keys;
  qsort(codes, m, sizeof *codes, cmp_code);
  g_keys = NULL;
  unsigned char *b = malloc(total ? total : 1);
  if (b == NULL) {
    free(codes);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu members", m);
  }
  size_t o = 0;
  for (size_t i = 0; i < m; i++) {
    size_t len;
    const char *s = segkit_column_dict_value(keys, codes[i], &len);
    memcpy(b + o, s, len);
    b[o + len] = '\0';
    o += len + 1;
  }
  free(codes);
  *blob = b;
  *size = total;
  return SEGKIT_OK;
}

segkit_status segkit_workspace_snapshot_save(segkit_workspace *ws, const char *segment,
                                             const char *rule, const segkit_column *keys,
                                             const uint64_t *bits, int64_t taken_at_us,
                                             int64_t *id, segkit_error *err) {
  if (ws == NULL || rule == NULL || keys == NULL || bits == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_workspace_snapshot_save: missing "
                                                   "argument");
  }
  segkit_type kt = segkit_column_type(keys);
  if (kt != SEGKIT_TYPE_INT64 && kt != SEGKIT_TYPE_STRING) {
    return segkit_error_set(err, SEGKIT_ERR_TYPE,
                            "snapshot keys must be int64 or string, not %s",
                            segkit_type_name(kt));
  }
  segkit_status s = check_segment_name(segment, err);
  if (s == SEGKIT_OK) {
    s = sk__writable(ws, err);
  }
  unsigned char *blob = NULL;
  size_t size = 0;
  int64_t n_members = 0;
  if (s == SEGKIT_OK) {
    s = member_blob(keys, bits, &blob, &size, &n_members, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  s = sk__begin_write(ws, err);
  if (s != SEGKIT_OK) {
    free(blob);
    return s;
  }
  sqlite3_stmt *st = NULL;
  s = sk__prepare(ws->db,
                  "INSERT INTO segment_snapshots(segment, taken_at, rule, n_members, n_total, "
                  "key_type, members) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  &st, err);
  if (s == SEGKIT_OK) {
    sqlite3_bind_text(st, 1, segment, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, taken_at_us);
    sqlite3_bind_text(st, 3, rule, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, n_members);
    sqlite3_bind_int64(st, 5, (int64_t)segkit_column_n_rows(keys));
    sqlite3_bind_text(st, 6, kt == SEGKIT_TYPE_INT64 ? "int64" : "string", -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 7, blob, size, SQLITE_STATIC);
    s = sk__step_done(ws->db, st, "storing a snapshot", err);
  }
  sqlite3_finalize(st);
  int64_t new_id = sqlite3_last_insert_rowid(ws->db);
  if (s == SEGKIT_OK) {
    char members[32];
    snprintf(members, sizeof members, "%lld", (long long)n_members);
    const char *k[] = {"members"};
    const char *v[] = {members};
    s = sk__audit_fields(ws->db, ws->actor, "snapshot", segment, k, v, 1, err);
  }
  free(blob);
  s = sk__finish_write(ws, s, err);
  if (s == SEGKIT_OK && id != NULL) {
    *id = new_id;
  }
  return s;
}

void segkit_snapshot_list_free(segkit_snapshot_list *list) {
  if (list == NULL) {
    return;
  }
  for (size_t i = 0; i < list->n; i++) {
    free(list->items[i].segment);
    free(list->items[i].rule);
  }
  free(list->items);
  free(list);
}

segkit_status segkit_workspace_snapshots(segkit_workspace *ws, const char *segment,
                                         segkit_snapshot_list **out, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(ws->db,
                                "SELECT id, segment, taken_at, rule, n_members, n_total "
                                "FROM segment_snapshots WHERE segment = ? "
                                "ORDER BY taken_at, id",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_text(st, 1, segment != NULL ? segment : "", -1, SQLITE_STATIC);
  segkit_snapshot_list *list = calloc(1, sizeof *list);
  size_t cap = 0;
  bool failed = list == NULL;
  while (!failed && sqlite3_step(st) == SQLITE_ROW) {
    if (!sk__room_for_one((void **)&list->items, &cap, list->n, sizeof *list->items)) {
      failed = true;
      break;
    }
    segkit_snapshot_info *x = &list->items[list->n++];
    x->id = sqlite3_column_int64(st, 0);
    x->segment = sk__column_text(st, 1, &failed);
    x->taken_at_us = sqlite3_column_int64(st, 2);
    x->rule = sk__column_text(st, 3, &failed);
    x->n_members = sqlite3_column_int64(st, 4);
    x->n_total = sqlite3_column_int64(st, 5);
  }
  sqlite3_finalize(st);
  if (failed) {
    segkit_snapshot_list_free(list);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing snapshots");
  }
  *out = list;
  return SEGKIT_OK;
}

static segkit_status damaged(int64_t id, const char *what, segkit_error *err) {
  return segkit_error_set(err, SEGKIT_ERR_STORE, "snapshot %lld is damaged: %s",
                          (long long)id, what);
}

/* Members back from a blob, as a one-column table. */
static segkit_status blob_table(int64_t id, bool ints, const unsigned char *b, size_t size,
                                int64_t n_members, segkit_table **out, segkit_error *err) {
  const char *names[] = {"member"};
  segkit_type types[] = {ints ? SEGKIT_TYPE_INT64 : SEGKIT_TYPE_STRING};
  segkit_table_builder *tb = NULL;
  segkit_status s = segkit_table_builder_new(1, names, types, &tb, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_column_builder *cb = segkit_table_builder_column(tb, 0);
  int64_t got = 0;
  if (ints) {
    if (size % 8 != 0 || (int64_t)(size / 8) != n_members) {
      segkit_table_builder_free(tb);
      return damaged(id, "its size does not match its member count", err);
    }
    for (size_t i = 0; s == SEGKIT_OK && i < size / 8; i++) {
      uint64_t u = 0;
      for (int j = 0; j < 8; j++) {
        u |= (uint64_t)b[i * 8 + (size_t)j] << (8 * j);
      }
      s = segkit_column_append_int64(cb, (int64_t)u);
      got++;
    }
  } else {
    size_t o = 0;
    while (s == SEGKIT_OK && o < size) {
      const unsigned char *end = memchr(b + o, '\0', size - o);
      if (end == NULL) {
        segkit_table_builder_free(tb);
        return damaged(id, "a member is not terminated", err);
      }
      size_t len = (size_t)(end - (b + o));
      s = segkit_column_append_string(cb, (const char *)b + o, len);
      o += len + 1;
      got++;
    }
  }
  if (s == SEGKIT_OK && got != n_members) {
    segkit_table_builder_free(tb);
    return damaged(id, "its member count does not match", err);
  }
  if (s == SEGKIT_OK) {
    s = segkit_table_builder_finish(tb, out, err);
  } else {
    segkit_table_builder_free(tb);
  }
  return s;
}

segkit_status segkit_workspace_snapshot_members(segkit_workspace *ws, int64_t id,
                                                segkit_table **out, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(ws->db,
                                "SELECT key_type, n_members, members FROM segment_snapshots "
                                "WHERE id = ?",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char *type = sqlite3_column_text(st, 0);
    bool ints = type != NULL && strcmp((const char *)type, "int64") == 0;
    bool strs = type != NULL && strcmp((const char *)type, "string") == 0;
    int64_t n_members = sqlite3_column_int64(st, 1);
    const unsigned char *b = sqlite3_column_blob(st, 2);
    size_t size = (size_t)sqlite3_column_bytes(st, 2);
    if (!ints && !strs) {
      s = damaged(id, "unknown key type", err);
    } else {
      s = blob_table(id, ints, b != NULL ? b : (const unsigned char *)"", size, n_members, out,
                     err);
    }
  } else if (rc == SQLITE_DONE) {
    s = segkit_error_set(err, SEGKIT_ERR_NOT_FOUND, "no snapshot %lld", (long long)id);
  } else {
    s = sk__sqlite_error(err, ws->db, rc, "reading a snapshot");
  }
  sqlite3_finalize(st);
  return s;
}
