/* Datasets in the workspace: import (create, append, upsert, replace), load, list, drop.
 *
 * Key design choice: an import is one write transaction (BEGIN IMMEDIATE ... COMMIT)
 * that stores the new rows as a new batch, the rejected rows, the dataset record and the
 * audit entry; any failure rolls all of it back and the outcome is written only after
 * COMMIT succeeded. A dataset's rows are its batches' rows in import order. An upsert
 * does not rewrite the dataset: it probes the stored keys against the new rows' keys
 * (only the key column is read), rewrites in place just the batches that hold a replaced
 * row, and appends the new rows as a batch, so the result is "stored rows minus the
 * replaced ones, in their order, then the new rows". A batch keeps its identity when
 * rewritten, so the import history stays readable in the batches table.
 *
 * Loading reads every column of every batch straight into whole-column arrays
 * (column_codec.c) and builds the table with one segkit_table_from_arrays call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "store/store_int.h"

/* ======================================================================================
 * Names
 * ==================================================================================== */

#define SK_NAME_MAX 64

bool sk__dataset_name_ok(const char *name) {
  if (name == NULL) {
    return false;
  }
  size_t n = 0;
  for (const char *p = name; *p != '\0'; p++, n++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok || n >= SK_NAME_MAX) {
      return false;
    }
  }
  return n > 0;
}

/* The name, printable and cut, for an error message. */
static void printable_name(const char *name, char *buf, size_t size) {
  size_t o = 0;
  for (const char *p = name; *p != '\0' && o + 4 < size; p++) {
    unsigned char c = (unsigned char)*p;
    buf[o++] = c >= 0x20 && c < 0x7F ? (char)c : '?';
  }
  if (name[0] != '\0' && o + 4 >= size) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o] = '\0';
}

static segkit_status check_name(const char *name, segkit_error *err) {
  if (sk__dataset_name_ok(name)) {
    return SEGKIT_OK;
  }
  char shown[80];
  printable_name(name != NULL ? name : "", shown, sizeof shown);
  return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "dataset",
                             "invalid dataset name '%s' (expected 1-%d letters, digits, '_' "
                             "or '-')",
                             shown, SK_NAME_MAX);
}

static segkit_status no_such_dataset(const char *name, segkit_error *err) {
  return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, "dataset",
                             "no dataset named '%s' in the workspace", name);
}

/* ======================================================================================
 * Stored dataset records
 * ==================================================================================== */

typedef struct stored_dataset {
  int64_t id;
  char *key;              /* recorded key column or NULL */
  int64_t n_rows;
  size_t n_cols;
  char **col_names;
  segkit_type *col_types;
} stored_dataset;

static void stored_dataset_free(stored_dataset *d) {
  for (size_t i = 0; i < d->n_cols; i++) {
    free(d->col_names[i]);
  }
  free(d->col_names);
  free(d->col_types);
  free(d->key);
  memset(d, 0, sizeof *d);
}

static segkit_status add_column(stored_dataset *d, sqlite3_stmt *st, size_t *cap,
                                segkit_error *err) {
  if (d->n_cols == *cap) {
    size_t ncap = *cap == 0 ? 8 : *cap * 2;
    char **nn = realloc(d->col_names, ncap * sizeof *nn);
    if (nn != NULL) {
      d->col_names = nn;
    }
    segkit_type *nt = nn != NULL ? realloc(d->col_types, ncap * sizeof *nt) : NULL;
    if (nt == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory reading a schema");
    }
    d->col_types = nt;
    *cap = ncap;
  }
  int type = sk__type_from_name((const char *)sqlite3_column_text(st, 2));
  if (sqlite3_column_int64(st, 0) != (int64_t)d->n_cols || type < 0) {
    return segkit_error_set(err, SEGKIT_ERR_STORE,
                            "the workspace is damaged: dataset columns are inconsistent");
  }
  bool failed = false;
  char *name = sk__strdup((const char *)sqlite3_column_text(st, 1), &failed);
  if (failed || name == NULL) {
    free(name);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory reading a schema");
  }
  d->col_names[d->n_cols] = name;
  d->col_types[d->n_cols] = (segkit_type)type;
  d->n_cols++;
  return SEGKIT_OK;
}

static segkit_status read_columns(sqlite3 *db, stored_dataset *d, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(db,
                                "SELECT position, name, type FROM dataset_columns WHERE "
                                "dataset_id = ? ORDER BY position",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, d->id);
  size_t cap = 0;
  int rc = sqlite3_step(st);
  for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
    s = add_column(d, st, &cap, err);
    if (s != SEGKIT_OK) {
      break;
    }
  }
  if (s == SEGKIT_OK && rc != SQLITE_DONE) {
    s = sk__sqlite_error(err, db, rc, "reading a dataset schema");
  }
  sqlite3_finalize(st);
  return s;
}

/* Look a dataset up; *found says whether it exists (then d is filled). */
static segkit_status find_dataset(sqlite3 *db, const char *name, stored_dataset *d,
                                  bool *found, segkit_error *err) {
  memset(d, 0, sizeof *d);
  *found = false;
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(db, "SELECT id, key_column, n_rows FROM datasets WHERE name = ?",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  bool failed = false;
  if (rc == SQLITE_ROW) {
    *found = true;
    d->id = sqlite3_column_int64(st, 0);
    d->key = sk__strdup((const char *)sqlite3_column_text(st, 1), &failed);
    d->n_rows = sqlite3_column_int64(st, 2);
  } else if (rc != SQLITE_DONE) {
    s = sk__sqlite_error(err, db, rc, "looking up a dataset");
  }
  sqlite3_finalize(st);
  if (s == SEGKIT_OK && failed) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory looking up a dataset");
  }
  if (s == SEGKIT_OK && *found) {
    s = read_columns(db, d, err);
  }
  if (s != SEGKIT_OK) {
    stored_dataset_free(d);
    *found = false;
  }
  return s;
}

segkit_status sk__dataset_id(sqlite3 *db, const char *name, int64_t *id, segkit_error *err) {
  segkit_status s = check_name(name, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_stmt *st = NULL;
  s = sk__prepare(db, "SELECT id FROM datasets WHERE name = ?", &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
  } else if (rc == SQLITE_DONE) {
    s = no_such_dataset(name, err);
  } else {
    s = sk__sqlite_error(err, db, rc, "looking up a dataset");
  }
  sqlite3_finalize(st);
  return s;
}

/* ======================================================================================
 * Batches and loading
 * ==================================================================================== */

typedef struct batch_ref {
  int64_t id;
  size_t n_rows;
} batch_ref;

/* The batches of a dataset that hold rows, in import order, and their total. */
static segkit_status list_batches(sqlite3 *db, int64_t dataset_id, batch_ref **out,
                                  size_t *n_out, size_t *total, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(db,
                                "SELECT id, n_rows FROM batches WHERE dataset_id = ? AND "
                                "n_rows > 0 ORDER BY seq",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, dataset_id);
  batch_ref *refs = NULL;
  size_t n = 0;
  size_t cap = 0;
  *total = 0;
  int rc = sqlite3_step(st);
  for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
    if (n == cap) {
      size_t ncap = cap == 0 ? 8 : cap * 2;
      batch_ref *nr = realloc(refs, ncap * sizeof *nr);
      if (nr == NULL) {
        s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing batches");
        break;
      }
      refs = nr;
      cap = ncap;
    }
    refs[n].id = sqlite3_column_int64(st, 0);
    refs[n].n_rows = (size_t)sqlite3_column_int64(st, 1);
    *total += refs[n].n_rows;
    n++;
  }
  if (s == SEGKIT_OK && rc != SQLITE_DONE) {
    s = sk__sqlite_error(err, db, rc, "listing batches");
  }
  sqlite3_finalize(st);
  if (s != SEGKIT_OK) {
    free(refs);
    return s;
  }
  *out = refs;
  *n_out = n;
  return SEGKIT_OK;
}

/* Column `position` of the given batches, assembled into cb. */
static segkit_status load_column(sqlite3 *db, const batch_ref *batches, size_t n_batches,
                                 size_t total, size_t position, segkit_type type,
                                 sk_column_buf *cb, segkit_error *err) {
  segkit_status s = sk__column_buf_init(cb, type, total, err);
  for (size_t b = 0; s == SEGKIT_OK && b < n_batches; b++) {
    s = sk__read_batch_column(db, batches[b].id, position, batches[b].n_rows, cb, err);
  }
  return s;
}

static segkit_status build_table(const stored_dataset *d, sk_column_buf *cbs,
                                 size_t total, const char *name, segkit_table **out,
                                 segkit_error *err) {
  segkit_column_arrays *arrays = calloc(d->n_cols, sizeof *arrays);
  if (arrays == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory loading '%s'", name);
  }
  for (size_t i = 0; i < d->n_cols; i++) {
    sk__column_buf_arrays(&cbs[i], d->col_names[i], &arrays[i]);
  }
  segkit_error inner;
  segkit_error_clear(&inner);
  /* The table takes the assembled columns rather than copying them: a load then holds
   * each column once (peak memory was twice the table with a copy). */
  segkit_status s = segkit_table_from_arrays_take(total, d->n_cols, arrays, out, &inner);
  if (s == SEGKIT_OK) {
    for (size_t i = 0; i < d->n_cols; i++) {
      cbs[i].data = NULL;
      if (arrays[i].validity != NULL) {
        cbs[i].validity = NULL;
      }
    }
  }
  free(arrays);
  if (s == SEGKIT_ERR_NOMEM) {
    return segkit_error_set(err, s, "out of memory loading '%s'", name);
  }
  if (s != SEGKIT_OK) {
    return segkit_error_set(err, SEGKIT_ERR_STORE,
                            "the workspace is damaged: dataset '%s': %s", name, inner.message);
  }
  return SEGKIT_OK;
}

/* The rows of the given batches as one table. */
static segkit_status load_table(sqlite3 *db, const stored_dataset *d, const char *name,
                                const batch_ref *batches, size_t n_batches, size_t total,
                                segkit_table **out, segkit_error *err) {
  sk_column_buf *cbs = calloc(d->n_cols > 0 ? d->n_cols : 1, sizeof *cbs);
  if (cbs == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory loading '%s'", name);
  }
  segkit_status s = SEGKIT_OK;
  for (size_t i = 0; s == SEGKIT_OK && i < d->n_cols; i++) {
    s = load_column(db, batches, n_batches, total, i, d->col_types[i], &cbs[i], err);
  }
  if (s == SEGKIT_OK) {
    s = build_table(d, cbs, total, name, out, err);
  }
  for (size_t i = 0; i < d->n_cols; i++) {
    sk__column_buf_free(&cbs[i]);
  }
  free(cbs);
  return s;
}

static segkit_status load_locked(segkit_workspace *ws, const char *name, segkit_table **out,
                                 segkit_error *err) {
  stored_dataset d;
  bool found = false;
  segkit_status s = find_dataset(ws->db, name, &d, &found, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (!found) {
    return no_such_dataset(name, err);
  }
  batch_ref *batches = NULL;
  size_t n_batches = 0;
  size_t total = 0;
  s = list_batches(ws->db, d.id, &batches, &n_batches, &total, err);
  if (s == SEGKIT_OK && (int64_t)total != d.n_rows) {
    s = segkit_error_set(err, SEGKIT_ERR_STORE,
                         "the workspace is damaged: dataset '%s' records %lld rows, its "
                         "batches hold %zu",
                         name, (long long)d.n_rows, total);
  }
  if (s == SEGKIT_OK) {
    s = load_table(ws->db, &d, name, batches, n_batches, total, out, err);
  }
  free(batches);
  stored_dataset_free(&d);
  return s;
}

segkit_status segkit_workspace_load(segkit_workspace *ws, const char *name, segkit_table **out,
                                    segkit_error *err) {
  if (ws == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "workspace and out are required");
  }
  segkit_status s = check_name(name, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  s = sk__begin_read(ws, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_table *t = NULL;
  s = load_locked(ws, name, &t, err);
  sk__rollback(ws); /* ends the read snapshot; nothing was written */
  if (s == SEGKIT_OK) {
    *out = t;
  }
  return s;
}

/* ======================================================================================
 * Import: checks
 * ==================================================================================== */

typedef struct import_ctx {
  segkit_workspace *ws;
  sqlite3 *db;
  const segkit_import_request *req;
  const segkit_table *t;
  size_t n_rows;            /* rows being imported */
  stored_dataset d;         /* the dataset as stored, when found */
  bool found;
  const char *key;          /* key column in force, or NULL */
  long key_col;             /* its position in t, or -1 */
  bool key_is_new;          /* recorded now for a dataset that already has rows */
  int64_t dataset_id;
  int64_t prior_rows;
  int64_t replaced;         /* UPSERT: stored rows replaced; REPLACE: rows dropped */
  int64_t batch_id;
  int64_t now;
} import_ctx;

static segkit_status check_table(const segkit_table *t, segkit_error *err) {
  size_t n_cols = segkit_table_n_cols(t);
  if (n_cols == 0) {
    return segkit_error_set(err, SEGKIT_ERR_SCHEMA, "the imported data has no columns");
  }
  for (size_t i = 0; i < n_cols; i++) {
    const segkit_column *c = segkit_table_column(t, i);
    const char *name = segkit_column_name(c);
    if (sk__type_stored_name(segkit_column_type(c)) == NULL || name == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_SCHEMA, "column %zu has no name or type", i + 1);
    }
    for (size_t j = 0; j < i; j++) {
      if (strcmp(name, segkit_column_name(segkit_table_column(t, j))) == 0) {
        return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                                   "columns %zu and %zu are both named '%s' (column names "
                                   "must be distinct)",
                                   j + 1, i + 1, name);
      }
    }
  }
  return SEGKIT_OK;
}

static segkit_status check_request(const segkit_workspace *ws, const segkit_import_request *req,
                                   segkit_error *err) {
  if (ws == NULL || req == NULL || req->table == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "workspace, request and table are required");
  }
  if (sk__import_mode_name(req->mode) == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "unknown import mode %d", (int)req->mode);
  }
  if (req->n_rejects > 0 && req->rejects == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "n_rejects is %zu but rejects is NULL",
                            req->n_rejects);
  }
  segkit_status s = check_name(req->dataset, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  return check_table(req->table, err);
}

/* APPEND and UPSERT need the stored schema exactly: same columns, order, names, types. */
static segkit_status check_schema(const stored_dataset *d, const segkit_table *t,
                                  const char *name, segkit_error *err) {
  size_t n_new = segkit_table_n_cols(t);
  size_t n = d->n_cols > n_new ? d->n_cols : n_new;
  for (size_t i = 0; i < n; i++) {
    if (i >= n_new) {
      return segkit_error_set_at(
          err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, d->col_names[i],
          "the imported data has %zu columns but dataset '%s' has %zu: column %zu '%s' (%s) "
          "is missing",
          n_new, name, d->n_cols, i + 1, d->col_names[i], sk__type_stored_name(d->col_types[i]));
    }
    const segkit_column *c = segkit_table_column(t, i);
    const char *cname = segkit_column_name(c);
    segkit_type ctype = segkit_column_type(c);
    if (i >= d->n_cols) {
      return segkit_error_set_at(
          err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, cname,
          "the imported data has %zu columns but dataset '%s' has %zu: column %zu '%s' (%s) "
          "is extra",
          n_new, name, d->n_cols, i + 1, cname, sk__type_stored_name(ctype));
    }
    if (strcmp(cname, d->col_names[i]) != 0) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, cname,
                                 "column %zu is '%s' in dataset '%s' but '%s' in the imported "
                                 "data",
                                 i + 1, d->col_names[i], name, cname);
    }
    if (ctype != d->col_types[i]) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, cname,
                                 "column %zu '%s' is %s in dataset '%s' but %s in the imported "
                                 "data",
                                 i + 1, cname, sk__type_stored_name(d->col_types[i]), name,
                                 sk__type_stored_name(ctype));
    }
  }
  return SEGKIT_OK;
}

/* The key in force: the one given, or the dataset's recorded one for APPEND/UPSERT. */
static segkit_status resolve_key(import_ctx *c, segkit_error *err) {
  const segkit_import_request *req = c->req;
  bool keeps_rows = c->found && (req->mode == SEGKIT_IMPORT_APPEND ||
                                 req->mode == SEGKIT_IMPORT_UPSERT);
  c->key = req->key;
  c->key_col = -1;
  if (keeps_rows) {
    const char *recorded = c->d.key;
    if (req->key != NULL && recorded != NULL && strcmp(req->key, recorded) != 0) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, req->key,
                                 "dataset '%s' is keyed by '%s', not '%s'", req->dataset,
                                 recorded, req->key);
    }
    c->key = req->key != NULL ? req->key : recorded;
    c->key_is_new = recorded == NULL && c->key != NULL && c->d.n_rows > 0;
  }
  if (c->key == NULL) {
    if (req->mode == SEGKIT_IMPORT_UPSERT) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "key",
                                 "an upsert into '%s' needs a key column", req->dataset);
    }
    return SEGKIT_OK;
  }
  c->key_col = segkit_table_column_index(c->t, c->key);
  if (c->key_col < 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, c->key,
                               "key column '%s' is not a column of the imported data", c->key);
  }
  segkit_type kt = segkit_column_type(segkit_table_column(c->t, (size_t)c->key_col));
  if (!sk__key_type_ok(kt)) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, c->key,
                               "key column '%s' is %s (expected int64, string, timestamp or "
                               "date)",
                               c->key, sk__type_stored_name(kt));
  }
  return SEGKIT_OK;
}

/* ======================================================================================
 * Import: writing
 * ==================================================================================== */

static segkit_status exec_id(sqlite3 *db, const char *sql, int64_t id, const char *what,
                             segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(db, sql, &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, id);
  s = sk__step_done(db, st, what, err);
  sqlite3_finalize(st);
  return s;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s) {
  if (s != NULL) {
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  } else {
    sqlite3_bind_null(st, i);
  }
}

static segkit_status insert_columns(sqlite3 *db, int64_t dataset_id, const segkit_table *t,
                                    segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(
      db, "INSERT INTO dataset_columns(dataset_id, position, name, type) VALUES (?, ?, ?, ?)",
      &st, err);
  size_t n_cols = segkit_table_n_cols(t);
  for (size_t i = 0; s == SEGKIT_OK && i < n_cols; i++) {
    const segkit_column *c = segkit_table_column(t, i);
    sqlite3_bind_int64(st, 1, dataset_id);
    sqlite3_bind_int64(st, 2, (int64_t)i);
    sqlite3_bind_text(st, 3, segkit_column_name(c), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, sk__type_stored_name(segkit_column_type(c)), -1, SQLITE_STATIC);
    s = sk__step_done(db, st, "storing a dataset schema", err);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  return s;
}

static segkit_status create_dataset(import_ctx *c, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(c->db,
                                "INSERT INTO datasets(name, key_column, created_at, "
                                "updated_at, source, n_rows) VALUES (?, ?, ?, ?, ?, 0)",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_text(st, 1, c->req->dataset, -1, SQLITE_STATIC);
  bind_text_or_null(st, 2, c->key);
  sqlite3_bind_int64(st, 3, c->now);
  sqlite3_bind_int64(st, 4, c->now);
  bind_text_or_null(st, 5, c->req->source);
  s = sk__step_done(c->db, st, "creating a dataset", err);
  sqlite3_finalize(st);
  if (s != SEGKIT_OK) {
    return s;
  }
  c->dataset_id = sqlite3_last_insert_rowid(c->db);
  return insert_columns(c->db, c->dataset_id, c->t, err);
}

/* REPLACE: the old batches (their chunks, dictionaries and quarantined rows cascade)
 * and the old schema go; the dataset record and its creation time stay. */
static segkit_status reset_for_replace(import_ctx *c, segkit_error *err) {
  c->dataset_id = c->d.id;
  c->replaced = c->d.n_rows;
  segkit_status s = exec_id(c->db, "DELETE FROM batches WHERE dataset_id = ?", c->d.id,
                            "replacing a dataset", err);
  if (s == SEGKIT_OK) {
    s = exec_id(c->db, "DELETE FROM quarantine WHERE dataset_id = ?", c->d.id,
                "replacing a dataset", err);
  }
  if (s == SEGKIT_OK) {
    s = exec_id(c->db, "DELETE FROM dataset_columns WHERE dataset_id = ?", c->d.id,
                "replacing a dataset", err);
  }
  if (s == SEGKIT_OK) {
    s = insert_columns(c->db, c->d.id, c->t, err);
  }
  return s;
}

static size_t count_hits(const uint8_t *hit, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    k += hit[i];
  }
  return k;
}

/* Rewrite one batch without the rows marked in hit (its n_rows bytes). */
static segkit_status rewrite_batch(import_ctx *c, const batch_ref *b, const uint8_t *hit,
                                   segkit_error *err) {
  segkit_table *old = NULL;
  segkit_table *kept = NULL;
  uint8_t *keep = malloc(b->n_rows);
  if (keep == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory rewriting a batch");
  }
  for (size_t i = 0; i < b->n_rows; i++) {
    keep[i] = (uint8_t)!hit[i];
  }
  segkit_status s = load_table(c->db, &c->d, c->req->dataset, b, 1, b->n_rows, &old, err);
  if (s == SEGKIT_OK) {
    s = segkit_table_filter(old, keep, &kept, err);
  }
  free(keep);
  segkit_table_free(old);
  if (s == SEGKIT_OK) {
    s = sk__delete_batch_data(c->db, b->id, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__write_batch(c->db, b->id, kept, err);
  }
  if (s == SEGKIT_OK) {
    sqlite3_stmt *st = NULL;
    s = sk__prepare(c->db, "UPDATE batches SET n_rows = ? WHERE id = ?", &st, err);
    if (s == SEGKIT_OK) {
      sqlite3_bind_int64(st, 1, (int64_t)segkit_table_n_rows(kept));
      sqlite3_bind_int64(st, 2, b->id);
      s = sk__step_done(c->db, st, "updating a batch", err);
    }
    sqlite3_finalize(st);
  }
  segkit_table_free(kept);
  return s;
}

static segkit_status rewrite_batches(import_ctx *c, const batch_ref *batches, size_t n,
                                     const uint8_t *hit, segkit_error *err) {
  size_t at = 0;
  for (size_t b = 0; b < n; b++) {
    if (count_hits(hit + at, batches[b].n_rows) > 0) {
      segkit_status s = rewrite_batch(c, &batches[b], hit + at, err);
      if (s != SEGKIT_OK) {
        return s;
      }
    }
    at += batches[b].n_rows;
  }
  return SEGKIT_OK;
}

/* Stored rows against the new keys: APPEND refuses a repeated key, UPSERT replaces the
 * stored row. Only the key column of the stored batches is read. */
static segkit_status match_stored(import_ctx *c, sk_key_index *ki, segkit_error *err) {
  batch_ref *batches = NULL;
  size_t n_batches = 0;
  size_t total = 0;
  sk_column_buf keys = {0};
  sk_key_match m = {0};
  segkit_status s = list_batches(c->db, c->d.id, &batches, &n_batches, &total, err);
  if (s == SEGKIT_OK) {
    s = load_column(c->db, batches, n_batches, total, (size_t)c->key_col,
                    c->d.col_types[c->key_col], &keys, err);
  }
  if (s == SEGKIT_OK && c->key_is_new) {
    s = sk__stored_keys_unique(&keys, c->key, c->req->dataset, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__key_index_match(ki, &keys, &m, err);
  }
  sk__column_buf_free(&keys);
  if (s == SEGKIT_OK && m.n_hits > 0) {
    if (c->req->mode == SEGKIT_IMPORT_APPEND) {
      s = sk__key_already_stored(ki, &m, c->req->dataset, err);
    } else {
      s = rewrite_batches(c, batches, n_batches, m.hit, err);
      c->replaced = (int64_t)m.n_hits;
    }
  }
  free(m.hit);
  free(batches);
  return s;
}

static segkit_status apply_keys(import_ctx *c, segkit_error *err) {
  if (c->key_col < 0) {
    return SEGKIT_OK;
  }
  sk_key_index *ki = NULL;
  segkit_status s = sk__key_index_build(c->t, (size_t)c->key_col, &ki, err);
  bool keeps_rows = c->found && c->prior_rows > 0 &&
                    (c->req->mode == SEGKIT_IMPORT_APPEND || c->req->mode == SEGKIT_IMPORT_UPSERT);
  if (s == SEGKIT_OK && keeps_rows) {
    s = match_stored(c, ki, err);
  }
  sk__key_index_free(ki);
  return s;
}

static segkit_status insert_batch(import_ctx *c, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(c->db,
                                "INSERT INTO batches(dataset_id, seq, kind, created_at, source, "
                                "n_imported, n_rows) VALUES (?1, (SELECT coalesce(max(seq), 0) "
                                "+ 1 FROM batches WHERE dataset_id = ?1), ?2, ?3, ?4, ?5, ?5)",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, c->dataset_id);
  sqlite3_bind_text(st, 2, sk__import_mode_name(c->req->mode), -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, c->now);
  bind_text_or_null(st, 4, c->req->source);
  sqlite3_bind_int64(st, 5, (int64_t)c->n_rows);
  s = sk__step_done(c->db, st, "recording a batch", err);
  sqlite3_finalize(st);
  c->batch_id = sqlite3_last_insert_rowid(c->db);
  return s;
}

static segkit_status update_dataset(import_ctx *c, int64_t dataset_rows, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(c->db,
                                "UPDATE datasets SET n_rows = ?, updated_at = ?, source = ?, "
                                "key_column = ? WHERE id = ?",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, dataset_rows);
  sqlite3_bind_int64(st, 2, c->now);
  bind_text_or_null(st, 3, c->req->source);
  bind_text_or_null(st, 4, c->key);
  sqlite3_bind_int64(st, 5, c->dataset_id);
  s = sk__step_done(c->db, st, "updating a dataset", err);
  sqlite3_finalize(st);
  return s;
}

/* Everything of one import; the caller holds the write transaction. */
static segkit_status import_locked(import_ctx *c, segkit_import_outcome *oc,
                                   segkit_error *err) {
  const segkit_import_request *req = c->req;
  segkit_status s = find_dataset(c->db, req->dataset, &c->d, &c->found, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (c->found && req->mode == SEGKIT_IMPORT_CREATE) {
    return segkit_error_set_at(err, SEGKIT_ERR_EXISTS, NULL, 0, 0, "dataset",
                               "dataset '%s' already exists (append, upsert or replace it)",
                               req->dataset);
  }
  bool keeps_rows = c->found && req->mode != SEGKIT_IMPORT_REPLACE;
  if (keeps_rows) {
    s = check_schema(&c->d, c->t, req->dataset, err);
  }
  if (s == SEGKIT_OK) {
    s = resolve_key(c, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  c->prior_rows = c->found ? c->d.n_rows : 0;
  c->dataset_id = c->d.id;
  if (!c->found) {
    s = create_dataset(c, err);
  } else if (req->mode == SEGKIT_IMPORT_REPLACE) {
    s = reset_for_replace(c, err);
  }
  if (s == SEGKIT_OK) {
    s = apply_keys(c, err);
  }
  if (s == SEGKIT_OK) {
    s = insert_batch(c, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__write_batch(c->db, c->batch_id, c->t, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__quarantine_insert(c->db, c->dataset_id, c->batch_id, req->rejects, req->n_rejects,
                              err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  int64_t kept = keeps_rows ? c->prior_rows - c->replaced : 0;
  oc->batch_id = c->batch_id;
  oc->rows_added = (int64_t)c->n_rows - (req->mode == SEGKIT_IMPORT_UPSERT ? c->replaced : 0);
  oc->rows_replaced = c->replaced;
  oc->rows_quarantined = (int64_t)req->n_rejects;
  oc->dataset_rows = kept + (int64_t)c->n_rows;
  s = update_dataset(c, oc->dataset_rows, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sk_import_facts facts = {
      .req = req, .key = c->key, .outcome = oc, .rows_in_table = (int64_t)c->n_rows,
      .actor = req->actor != NULL ? req->actor : c->ws->actor};
  return sk__audit_import(c->db, &facts, err);
}

segkit_status segkit_workspace_import(segkit_workspace *ws, const segkit_import_request *req,
                                      segkit_import_outcome *outcome, segkit_error *err) {
  segkit_status s = check_request(ws, req, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  s = sk__begin_write(ws, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  import_ctx c = {.ws = ws,
                  .db = ws->db,
                  .req = req,
                  .t = req->table,
                  .n_rows = segkit_table_n_rows(req->table),
                  .key_col = -1,
                  .now = segkit_now_us()};
  segkit_import_outcome oc = {0};
  s = import_locked(&c, &oc, err);
  stored_dataset_free(&c.d);
  if (s != SEGKIT_OK) {
    sk__rollback(ws);
    return s;
  }
  s = sk__commit(ws, err);
  if (s == SEGKIT_OK && outcome != NULL) {
    *outcome = oc;
  }
  return s;
}

/* ======================================================================================
 * Listing
 * ==================================================================================== */

void segkit_dataset_list_free(segkit_dataset_list *list) {
  if (list == NULL) {
    return;
  }
  for (size_t i = 0; i < list->n; i++) {
    free(list->items[i].name);
    free(list->items[i].source);
    free(list->items[i].key);
  }
  free(list->items);
  free(list);
}

static bool fill_info(sqlite3_stmt *st, segkit_dataset_info *d) {
  bool failed = false;
  d->name = sk__strdup((const char *)sqlite3_column_text(st, 0), &failed);
  d->n_rows = sqlite3_column_int64(st, 1);
  d->n_cols = sqlite3_column_int64(st, 2);
  d->imported_at_us = sqlite3_column_int64(st, 3);
  d->created_at_us = sqlite3_column_int64(st, 4);
  d->source = sk__strdup((const char *)sqlite3_column_text(st, 5), &failed);
  d->key = sk__strdup((const char *)sqlite3_column_text(st, 6), &failed);
  d->n_batches = sqlite3_column_int64(st, 7);
  d->n_quarantined = sqlite3_column_int64(st, 8);
  return !failed;
}

static segkit_status collect_infos(sqlite3 *db, sqlite3_stmt *st, segkit_dataset_list *list,
                                   segkit_error *err) {
  size_t cap = 0;
  int rc = sqlite3_step(st);
  for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
    if (list->n == cap) {
      size_t ncap = cap == 0 ? 8 : cap * 2;
      segkit_dataset_info *ni = realloc(list->items, ncap * sizeof *ni);
      if (ni == NULL) {
        return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing datasets");
      }
      list->items = ni;
      cap = ncap;
    }
    segkit_dataset_info *d = &list->items[list->n];
    memset(d, 0, sizeof *d);
    list->n++;
    if (!fill_info(st, d)) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing datasets");
    }
  }
  if (rc != SQLITE_DONE) {
    return sk__sqlite_error(err, db, rc, "listing datasets");
  }
  return SEGKIT_OK;
}

/* Datasets named `name`, or all of them when name is NULL, by name. */
static segkit_status list_infos(segkit_workspace *ws, const char *name,
                                segkit_dataset_list **out, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(
      ws->db,
      "SELECT d.name, d.n_rows,"
      " (SELECT count(*) FROM dataset_columns c WHERE c.dataset_id = d.id),"
      " d.updated_at, d.created_at, d.source, d.key_column,"
      " (SELECT count(*) FROM batches b WHERE b.dataset_id = d.id AND b.n_imported > 0),"
      " (SELECT count(*) FROM quarantine q WHERE q.dataset_id = d.id)"
      " FROM datasets d WHERE ?1 IS NULL OR d.name = ?1 ORDER BY d.name",
      &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  bind_text_or_null(st, 1, name);
  segkit_dataset_list *list = calloc(1, sizeof *list);
  if (list == NULL) {
    sqlite3_finalize(st);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing datasets");
  }
  s = collect_infos(ws->db, st, list, err);
  sqlite3_finalize(st);
  if (s != SEGKIT_OK) {
    segkit_dataset_list_free(list);
    return s;
  }
  *out = list;
  return SEGKIT_OK;
}

segkit_status segkit_workspace_list_datasets(segkit_workspace *ws, segkit_dataset_list **out,
                                             segkit_error *err) {
  if (ws == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "workspace and out are required");
  }
  return list_infos(ws, NULL, out, err);
}

segkit_status segkit_workspace_dataset_info(segkit_workspace *ws, const char *name,
                                            segkit_dataset_list **out, segkit_error *err) {
  if (ws == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "workspace and out are required");
  }
  segkit_status s = check_name(name, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_dataset_list *list = NULL;
  s = list_infos(ws, name, &list, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (list->n == 0) {
    segkit_dataset_list_free(list);
    return no_such_dataset(name, err);
  }
  *out = list;
  return SEGKIT_OK;
}

segkit_status segkit_workspace_dataset_schema(segkit_workspace *ws, const char *name,
                                              segkit_dataset_schema **out, segkit_error *err) {
  if (ws == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "workspace and out are required");
  }
  *out = NULL;
  segkit_status s = check_name(name, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  stored_dataset d;
  bool found = false;
  s = find_dataset(ws->db, name, &d, &found, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (!found) {
    return no_such_dataset(name, err);
  }
  segkit_dataset_schema *schema = malloc(sizeof *schema);
  if (schema == NULL) {
    stored_dataset_free(&d);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory reading a schema");
  }
  /* The stored arrays change hands, so nothing is copied. */
  schema->n = d.n_cols;
  schema->names = d.col_names;
  schema->types = d.col_types;
  free(d.key);
  *out = schema;
  return SEGKIT_OK;
}

void segkit_dataset_schema_free(segkit_dataset_schema *schema) {
  if (schema == NULL) {
    return;
  }
  for (size_t i = 0; i < schema->n; i++) {
    free(schema->names[i]);
  }
  free(schema->names);
  free(schema->types);
  free(schema);
}

/* ======================================================================================
 * Drop
 * ==================================================================================== */

static segkit_status drop_locked(segkit_workspace *ws, const char *name, segkit_error *err) {
  int64_t id = 0;
  segkit_status s = sk__dataset_id(ws->db, name, &id, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_stmt *st = NULL;
  s = sk__prepare(ws->db,
                  "SELECT n_rows,"
                  " (SELECT count(*) FROM batches WHERE dataset_id = ?1 AND n_imported > 0),"
                  " (SELECT count(*) FROM quarantine WHERE dataset_id = ?1)"
                  " FROM datasets WHERE id = ?1",
                  &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    s = sk__sqlite_error(err, ws->db, rc, "dropping a dataset");
    sqlite3_finalize(st);
    return s;
  }
  int64_t n_rows = sqlite3_column_int64(st, 0);
  int64_t n_batches = sqlite3_column_int64(st, 1);
  int64_t n_quarantined = sqlite3_column_int64(st, 2);
  sqlite3_finalize(st);
  /* Foreign keys cascade to columns, batches, chunks, dictionaries and quarantine. */
  s = exec_id(ws->db, "DELETE FROM datasets WHERE id = ?", id, "dropping a dataset", err);
  if (s != SEGKIT_OK) {
    return s;
  }
  return sk__audit_drop(ws->db, ws->actor, name, n_rows, n_batches, n_quarantined, err);
}

segkit_status segkit_workspace_drop(segkit_workspace *ws, const char *name, segkit_error *err) {
  if (ws == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "workspace is required");
  }
  segkit_status s = check_name(name, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  s = sk__begin_write(ws, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  s = drop_locked(ws, name, err);
  if (s != SEGKIT_OK) {
    sk__rollback(ws);
    return s;
  }
  return sk__commit(ws, err);
}
