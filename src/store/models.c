/* Fitted models in the workspace: one row per model with its kind, the dataset it was
 * fitted on and its JSON document. The store does not interpret the document beyond
 * checking that it is a JSON object (with SQLite's json_valid and json_type, so a damaged
 * document never lands): each module owns its format and versions it. */
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "store/store_int.h"

static segkit_status check_model_name(const char *name, segkit_error *err) {
  if (sk__dataset_name_ok(name)) {
    return SEGKIT_OK;
  }
  return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "model",
                             "invalid model name '%.64s' (expected 1-64 letters, digits, '_' "
                             "or '-')",
                             name != NULL ? name : "");
}

static segkit_status check_document(sqlite3 *db, const char *document, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  /* json_type raises an error on malformed text, so it is asked only of valid JSON. */
  segkit_status s = sk__prepare(
      db, "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) = 'object' ELSE 0 END", &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_text(st, 1, document, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  bool ok = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) {
    return sk__sqlite_error(err, db, rc, "checking a model document");
  }
  if (!ok) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "a model document must be a JSON object");
  }
  return SEGKIT_OK;
}

segkit_status segkit_workspace_model_save(segkit_workspace *ws, const char *name,
                                          const char *kind, const char *dataset,
                                          const char *document, bool replace,
                                          segkit_error *err) {
  if (ws == NULL || kind == NULL || document == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_workspace_model_save: missing "
                                                   "argument");
  }
  segkit_status s = check_model_name(name, err);
  if (s == SEGKIT_OK) {
    s = sk__writable(ws, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__begin_write(ws, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  int64_t id = 0;
  if (dataset != NULL) {
    s = sk__dataset_id(ws->db, dataset, &id, err);
  }
  if (s == SEGKIT_OK) {
    s = check_document(ws->db, document, err);
  }
  sqlite3_stmt *st = NULL;
  if (s == SEGKIT_OK) {
    s = sk__prepare(ws->db,
                    replace ? "INSERT INTO models(name, kind, dataset, document, created_at, "
                              "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(name) DO "
                              "UPDATE SET kind = ?2, dataset = ?3, document = ?4, updated_at = ?5"
                            : "INSERT INTO models(name, kind, dataset, document, created_at, "
                              "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                    &st, err);
  }
  if (s == SEGKIT_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    if (dataset != NULL) {
      sqlite3_bind_text(st, 3, dataset, -1, SQLITE_STATIC);
    } else {
      sqlite3_bind_null(st, 3);
    }
    sqlite3_bind_text(st, 4, document, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, segkit_now_us());
    int rc = sqlite3_step(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      s = segkit_error_set_at(err, SEGKIT_ERR_EXISTS, NULL, 0, 0, "model",
                              "a model named '%s' exists (replace it, or choose another name)",
                              name);
    } else if (rc != SQLITE_DONE) {
      s = sk__sqlite_error(err, ws->db, rc, "storing a model");
    }
  }
  sqlite3_finalize(st);
  if (s == SEGKIT_OK) {
    const char *keys[] = {"kind", "dataset"};
    const char *vals[] = {kind, dataset};
    s = sk__audit_fields(ws->db, ws->actor, replace ? "model_replace" : "model_add", name, keys,
                         vals, 2, err);
  }
  return sk__finish_write(ws, s, err);
}

void segkit_model_list_free(segkit_model_list *list) {
  if (list == NULL) {
    return;
  }
  for (size_t i = 0; i < list->n; i++) {
    free(list->items[i].name);
    free(list->items[i].kind);
    free(list->items[i].dataset);
    free(list->items[i].document);
  }
  free(list->items);
  free(list);
}

segkit_status segkit_workspace_models(segkit_workspace *ws, const char *kind, const char *name,
                                      segkit_model_list **out, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(ws->db,
                                "SELECT name, kind, dataset, document, created_at, updated_at "
                                "FROM models WHERE (?1 IS NULL OR kind = ?1) AND "
                                "(?2 IS NULL OR name = ?2) ORDER BY name",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (kind != NULL) {
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  }
  if (name != NULL) {
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  }
  segkit_model_list *list = calloc(1, sizeof *list);
  size_t cap = 0;
  bool failed = list == NULL;
  int rc = SQLITE_DONE;
  while (!failed && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!sk__room_for_one((void **)&list->items, &cap, list->n, sizeof *list->items)) {
      failed = true;
      break;
    }
    segkit_model_info *m = &list->items[list->n++];
    memset(m, 0, sizeof *m);
    m->name = sk__column_text(st, 0, &failed);
    m->kind = sk__column_text(st, 1, &failed);
    m->dataset = sk__column_text(st, 2, &failed);
    m->document = sk__column_text(st, 3, &failed);
    m->created_at_us = sqlite3_column_int64(st, 4);
    m->updated_at_us = sqlite3_column_int64(st, 5);
  }
  sqlite3_finalize(st);
  if (failed) {
    segkit_model_list_free(list);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing models");
  }
  if (rc != SQLITE_DONE) {
    segkit_model_list_free(list);
    return sk__sqlite_error(err, ws->db, rc, "listing models");
  }
  if (name != NULL && list->n == 0) {
    segkit_model_list_free(list);
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, "model",
                               "no %s%smodel named '%.64s'", kind ? kind : "", kind ? " " : "",
                               name);
  }
  *out = list;
  return SEGKIT_OK;
}

segkit_status segkit_workspace_model_drop(segkit_workspace *ws, const char *name,
                                          segkit_error *err) {
  segkit_status s = check_model_name(name, err);
  if (s == SEGKIT_OK) {
    s = sk__writable(ws, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__begin_write(ws, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  s = sk__delete_named(ws->db, "DELETE FROM models WHERE name = ?", name, "removing a model",
                       "model", err);
  if (s == SEGKIT_OK) {
    s = sk__audit_fields(ws->db, ws->actor, "model_drop", name, NULL, NULL, 0, err);
  }
  return sk__finish_write(ws, s, err);
}
