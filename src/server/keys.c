/* API keys: their format, their Argon2id hashes, and their rows in the workspace.
 *
 * A key is "sk_" + id + "_" + secret: the id (8 random bytes, hex) is stored in clear so a
 * request's key finds its one row, and only the whole key's Argon2id hash is kept
 * (crypto_pwhash_str with libsodium's interactive limits: a leaked workspace does not leak
 * usable keys, and each guess costs ~0.1 s and 64 MiB). The hash is slow on purpose, so
 * the server verifies a key once per process and remembers it (auth.c).
 *
 * The rows live in the api_keys table (store migration 5), written through a SQLite
 * connection of our own on the workspace file: the public workspace handle exposes no SQL,
 * and these rows belong to the server. A key's creation and revocation are audited in the
 * same transaction as the change, in the workspace's audit table (docs/workspace.md), so
 * the log and the keys cannot disagree. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "server/server_int.h"

_Static_assert(crypto_pwhash_STRBYTES <= SK_KEY_HASH_MAX, "hash buffer too small");

static bool sodium_ready(segkit_error *err) {
  if (sodium_init() < 0) {
    segkit_error_set(err, SEGKIT_ERR_INTERNAL, "libsodium could not be initialised");
    return false;
  }
  return true;
}

/* ======================================================================================
 * Format, generation, hashing
 * ==================================================================================== */

static bool all_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) {
      return false;
    }
  }
  return true;
}

bool sk__key_split(const char *key, char *id) {
  if (key == NULL || strlen(key) != SK_KEY_LEN || strncmp(key, "sk_", 3) != 0) {
    return false;
  }
  const char *id_part = key + 3;
  const char *secret = id_part + SK_KEY_ID_HEX + 1;
  if (id_part[SK_KEY_ID_HEX] != '_' || !all_hex(id_part, SK_KEY_ID_HEX) ||
      !all_hex(secret, SK_KEY_SECRET_HEX)) {
    return false;
  }
  memcpy(id, id_part, SK_KEY_ID_HEX);
  id[SK_KEY_ID_HEX] = '\0';
  return true;
}

segkit_status sk__key_generate(char *key, char *id, segkit_error *err) {
  if (!sodium_ready(err)) {
    return SEGKIT_ERR_INTERNAL;
  }
  unsigned char id_bytes[SK_KEY_ID_HEX / 2];
  unsigned char secret[SK_KEY_SECRET_HEX / 2];
  randombytes_buf(id_bytes, sizeof id_bytes);
  randombytes_buf(secret, sizeof secret);
  char id_hex[SK_KEY_ID_HEX + 1];
  char secret_hex[SK_KEY_SECRET_HEX + 1];
  sodium_bin2hex(id_hex, sizeof id_hex, id_bytes, sizeof id_bytes);
  sodium_bin2hex(secret_hex, sizeof secret_hex, secret, sizeof secret);
  sodium_memzero(secret, sizeof secret);
  memcpy(id, id_hex, sizeof id_hex);
  memcpy(key, "sk_", 3);
  memcpy(key + 3, id_hex, SK_KEY_ID_HEX);
  key[3 + SK_KEY_ID_HEX] = '_';
  memcpy(key + 4 + SK_KEY_ID_HEX, secret_hex, sizeof secret_hex);
  sodium_memzero(secret_hex, sizeof secret_hex);
  return SEGKIT_OK;
}

segkit_status sk__key_hash(const char *key, char *hash, segkit_error *err) {
  if (!sodium_ready(err)) {
    return SEGKIT_ERR_INTERNAL;
  }
  if (crypto_pwhash_str(hash, key, strlen(key), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "hashing the key: out of memory");
  }
  return SEGKIT_OK;
}

bool sk__key_verify(const char *hash, const char *key) {
  if (sodium_init() < 0 || strlen(hash) >= crypto_pwhash_STRBYTES) {
    return false;
  }
  /* libsodium declares the hash as a crypto_pwhash_STRBYTES array: give it one. */
  char padded[crypto_pwhash_STRBYTES];
  memset(padded, 0, sizeof padded);
  memcpy(padded, hash, strlen(hash));
  return crypto_pwhash_str_verify(padded, key, strlen(key)) == 0;
}

/* ======================================================================================
 * Rows
 * ==================================================================================== */

static segkit_status db_error(sqlite3 *db, segkit_error *err, const char *what) {
  int code = sqlite3_errcode(db);
  segkit_status s = code == SQLITE_NOMEM ? SEGKIT_ERR_NOMEM : SEGKIT_ERR_STORE;
  return segkit_error_set(err, s, "%s: %s", what, sqlite3_errmsg(db));
}

segkit_status sk__keys_db_open(const char *path, sqlite3 **out, segkit_error *err) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    segkit_status s = db != NULL ? db_error(db, err, "opening the workspace for its keys")
                                 : segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 30000);
  *out = db;
  return SEGKIT_OK;
}

static segkit_status role_from_text(const char *text, segkit_server_role *role,
                                    segkit_error *err) {
  if (segkit_server_role_parse(text, role, err) != SEGKIT_OK) {
    return segkit_error_set(err, SEGKIT_ERR_STORE, "api_keys holds an unknown role '%s'",
                            text != NULL ? text : "(null)");
  }
  return SEGKIT_OK;
}

segkit_status sk__key_find(sqlite3 *db, const char *id, sk_key_row *row, bool *found,
                           segkit_error *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT role, hash, revoked_at IS NOT NULL, coalesce(last_used_at, 0) "
                         "FROM api_keys WHERE id = ?",
                         -1, &st, NULL) != SQLITE_OK) {
    return db_error(db, err, "reading the API keys");
  }
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  segkit_status s = SEGKIT_OK;
  *found = false;
  if (rc == SQLITE_ROW) {
    const char *hash = (const char *)sqlite3_column_text(st, 1);
    s = role_from_text((const char *)sqlite3_column_text(st, 0), &row->role, err);
    if (s == SEGKIT_OK && (hash == NULL || strlen(hash) >= sizeof row->hash)) {
      s = segkit_error_set(err, SEGKIT_ERR_STORE, "api_keys holds a damaged hash for %s", id);
    }
    if (s == SEGKIT_OK) {
      snprintf(row->id, sizeof row->id, "%s", id);
      snprintf(row->hash, sizeof row->hash, "%s", hash);
      row->revoked = sqlite3_column_int(st, 2) != 0;
      row->last_used_at_us = sqlite3_column_int64(st, 3);
      *found = true;
    }
  } else if (rc != SQLITE_DONE) {
    s = db_error(db, err, "reading the API keys");
  }
  sqlite3_finalize(st);
  return s;
}

segkit_status sk__key_touch(sqlite3 *db, const char *id, int64_t now_us, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", -1, &st,
                         NULL) != SQLITE_OK) {
    return db_error(db, err, "recording a key's use");
  }
  sqlite3_bind_int64(st, 1, now_us);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  segkit_status s = SEGKIT_OK;
  if (sqlite3_step(st) != SQLITE_DONE) {
    s = db_error(db, err, "recording a key's use");
  }
  sqlite3_finalize(st);
  return s;
}

/* One statement with up to four text parameters (NULL binds NULL) and an int64. */
static segkit_status exec_bound(sqlite3 *db, const char *sql, const char *const *texts,
                                size_t n, int64_t number, const char *what, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    return db_error(db, err, what);
  }
  for (size_t i = 0; i < n; i++) {
    if (texts[i] != NULL) {
      sqlite3_bind_text(st, (int)i + 1, texts[i], -1, SQLITE_STATIC);
    }
  }
  sqlite3_bind_int64(st, (int)n + 1, number);
  segkit_status s = SEGKIT_OK;
  if (sqlite3_step(st) != SQLITE_DONE) {
    s = db_error(db, err, what);
  }
  sqlite3_finalize(st);
  return s;
}

/* The audit entry of a key change, in the caller's transaction. detail: a JSON object. */
static segkit_status audit(sqlite3 *db, const char *actor, const char *action, const char *id,
                           json_t *detail, segkit_error *err) {
  char *text = detail != NULL ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  if (text == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory writing the audit entry");
  }
  const char *texts[] = {actor != NULL ? actor : "unknown", action, id, text};
  segkit_status s = exec_bound(
      db, "INSERT INTO audit(actor, action, target, detail, at) VALUES (?, ?, ?, ?, ?)", texts,
      4, segkit_now_us(), "writing the audit entry", err);
  free(text);
  return s;
}

static segkit_status begin(sqlite3 *db, segkit_error *err) {
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    return db_error(db, err, "starting a transaction");
  }
  return SEGKIT_OK;
}

static segkit_status finish(sqlite3 *db, segkit_status s, segkit_error *err) {
  if (s == SEGKIT_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
    return SEGKIT_OK;
  }
  if (s == SEGKIT_OK) {
    s = db_error(db, err, "committing");
  }
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return s;
}

/* ======================================================================================
 * Public API
 * ==================================================================================== */

static const char *const role_names[] = {NULL, "read", "write", "admin"};

const char *segkit_server_role_name(segkit_server_role role) {
  if ((int)role < SEGKIT_ROLE_READ || role > SEGKIT_ROLE_ADMIN) {
    return NULL;
  }
  return role_names[role];
}

segkit_status segkit_server_role_parse(const char *text, segkit_server_role *out,
                                       segkit_error *err) {
  for (int r = SEGKIT_ROLE_READ; text != NULL && r <= SEGKIT_ROLE_ADMIN; r++) {
    if (strcmp(text, role_names[r]) == 0) {
      *out = (segkit_server_role)r;
      return SEGKIT_OK;
    }
  }
  return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "role",
                             "unknown role '%s' (expected read, write or admin)",
                             text != NULL ? text : "");
}

segkit_status segkit_server_key_create(segkit_workspace *ws, segkit_server_role role,
                                       const char *name, const char *actor, char **key,
                                       char **id, segkit_error *err) {
  if (ws == NULL || key == NULL || id == NULL || segkit_server_role_name(role) == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_server_key_create: bad argument");
  }
  if (name != NULL && strlen(name) > 128) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "name",
                               "a key's name is at most 128 bytes");
  }
  char new_key[SK_KEY_LEN + 1];
  char new_id[SK_KEY_ID_HEX + 1];
  char hash[SK_KEY_HASH_MAX];
  segkit_status s = sk__key_generate(new_key, new_id, err);
  if (s == SEGKIT_OK) {
    s = sk__key_hash(new_key, hash, err);
  }
  sqlite3 *db = NULL;
  if (s == SEGKIT_OK) {
    s = sk__keys_db_open(segkit_workspace_path(ws), &db, err);
  }
  if (s == SEGKIT_OK) {
    s = begin(db, err);
    const char *texts[] = {new_id, name, segkit_server_role_name(role), hash};
    if (s == SEGKIT_OK) {
      s = exec_bound(db,
                     "INSERT INTO api_keys(id, name, role, hash, created_at) "
                     "VALUES (?, ?, ?, ?, ?)",
                     texts, 4, segkit_now_us(), "storing the key", err);
      json_t *detail = json_pack("{s:s, s:s?}", "role", segkit_server_role_name(role), "name",
                                 name);
      if (s == SEGKIT_OK) {
        s = audit(db, actor, "key_create", new_id, detail, err);
      }
      json_decref(detail);
      s = finish(db, s, err);
    }
  }
  sqlite3_close(db);
  char *k = s == SEGKIT_OK ? strdup(new_key) : NULL;
  char *i = s == SEGKIT_OK ? strdup(new_id) : NULL;
  sodium_memzero(new_key, sizeof new_key);
  if (s == SEGKIT_OK && (k == NULL || i == NULL)) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  if (s != SEGKIT_OK) {
    free(k);
    free(i);
    return s;
  }
  *key = k;
  *id = i;
  return SEGKIT_OK;
}

static segkit_status read_list(sqlite3 *db, segkit_server_key_list *l, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT id, name, role, created_at, coalesce(last_used_at, 0), "
                         "coalesce(revoked_at, 0) FROM api_keys ORDER BY created_at, id",
                         -1, &st, NULL) != SQLITE_OK) {
    return db_error(db, err, "listing the API keys");
  }
  size_t cap = 0;
  segkit_status s = SEGKIT_OK;
  int rc = sqlite3_step(st);
  for (; s == SEGKIT_OK && rc == SQLITE_ROW; rc = sqlite3_step(st)) {
    if (l->n == cap) {
      size_t grown_cap = cap * 2 + 8;
      segkit_server_key_info *grown = realloc(l->items, grown_cap * sizeof *grown);
      if (grown == NULL) {
        s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing keys");
        break;
      }
      l->items = grown;
      cap = grown_cap;
    }
    segkit_server_key_info *k = &l->items[l->n];
    memset(k, 0, sizeof *k);
    l->n++;
    const char *name = (const char *)sqlite3_column_text(st, 1);
    k->id = strdup((const char *)sqlite3_column_text(st, 0));
    k->name = name != NULL ? strdup(name) : NULL;
    k->created_at_us = sqlite3_column_int64(st, 3);
    k->last_used_at_us = sqlite3_column_int64(st, 4);
    k->revoked_at_us = sqlite3_column_int64(st, 5);
    s = role_from_text((const char *)sqlite3_column_text(st, 2), &k->role, err);
    if (s == SEGKIT_OK && (k->id == NULL || (name != NULL && k->name == NULL))) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing keys");
    }
  }
  if (s == SEGKIT_OK && rc != SQLITE_DONE) {
    s = db_error(db, err, "listing the API keys");
  }
  sqlite3_finalize(st);
  return s;
}

segkit_status segkit_server_keys(segkit_workspace *ws, segkit_server_key_list **out,
                                     segkit_error *err) {
  if (ws == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_server_keys: bad argument");
  }
  segkit_server_key_list *l = calloc(1, sizeof *l);
  if (l == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  sqlite3 *db = NULL;
  segkit_status s = sk__keys_db_open(segkit_workspace_path(ws), &db, err);
  if (s == SEGKIT_OK) {
    s = read_list(db, l, err);
  }
  sqlite3_close(db);
  if (s != SEGKIT_OK) {
    segkit_server_key_list_free(l);
    return s;
  }
  *out = l;
  return SEGKIT_OK;
}

void segkit_server_key_list_free(segkit_server_key_list *list) {
  if (list == NULL) {
    return;
  }
  for (size_t i = 0; i < list->n; i++) {
    free(list->items[i].id);
    free(list->items[i].name);
  }
  free(list->items);
  free(list);
}

segkit_status segkit_server_key_revoke(segkit_workspace *ws, const char *id, const char *actor,
                                       segkit_error *err) {
  if (ws == NULL || id == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_server_key_revoke: bad argument");
  }
  sqlite3 *db = NULL;
  segkit_status s = sk__keys_db_open(segkit_workspace_path(ws), &db, err);
  if (s == SEGKIT_OK) {
    s = begin(db, err);
    if (s == SEGKIT_OK) {
      sk_key_row row;
      bool found = false;
      s = sk__key_find(db, id, &row, &found, err);
      if (s == SEGKIT_OK && !found) {
        s = segkit_error_set(err, SEGKIT_ERR_NOT_FOUND, "no API key with id '%s' (see: key list)",
                             id);
      } else if (s == SEGKIT_OK && row.revoked) {
        s = segkit_error_set(err, SEGKIT_ERR_USAGE, "API key '%s' is already revoked", id);
      }
      const char *texts[] = {id};
      if (s == SEGKIT_OK) {
        s = exec_bound(db, "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1", texts, 1,
                       segkit_now_us(), "revoking the key", err);
      }
      json_t *detail = json_object();
      if (s == SEGKIT_OK) {
        s = audit(db, actor, "key_revoke", id, detail, err);
      }
      json_decref(detail);
      s = finish(db, s, err);
    }
  }
  sqlite3_close(db);
  return s;
}
