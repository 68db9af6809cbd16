/* Opening and closing a workspace: the identity check, the pragmas, and the SQLite
 * helpers the other files of the module share.
 *
 * Key design choice: nothing is written to a file until it is known to be a segkit
 * workspace (application_id SK_APPLICATION_ID) or an empty database we were asked to
 * create. The check is three reads (application_id, user_version, the number of schema
 * objects) made before any pragma that writes (journal_mode=WAL rewrites header bytes),
 * so a foreign SQLite file, or a file that is not SQLite at all, is refused untouched.
 * A new workspace is built in one transaction in rollback-journal mode and switched to
 * WAL only afterwards: a crash during creation leaves an empty file (created again on
 * the next open), never a half-made schema.
 *
 * Durability: WAL with synchronous=NORMAL. A commit is atomic against a crash of the
 * process at any point; after a power loss the last commits may be missing, but the file
 * is never corrupt (https://www.sqlite.org/pragma.html#pragma_synchronous). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"

/* Page size of new workspaces. Dataset chunks are multi-megabyte blobs spread over
 * overflow pages; 64 KiB pages cut the pages per chunk by 16 against the 4 KiB default.
 * Measured on a 20 M-row import: 1.5-1.7 s against 4.9 s with 4 KiB pages; loads take
 * about the same time either way (docs/workspace.md). The small tables waste some space
 * per page; they are small. */
#define SK_PAGE_SIZE 65536
/* Waiting for another process's write transaction, in milliseconds. */
#define SK_BUSY_TIMEOUT_MS 30000

/* ======================================================================================
 * SQLite helpers
 * ==================================================================================== */

segkit_status sk__sqlite_error(segkit_error *err, sqlite3 *db, int rc, const char *what) {
  int primary = rc & 0xff;
  const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (db != NULL && (sqlite3_errcode(db) & 0xff) != primary) {
    msg = sqlite3_errstr(rc); /* the handle's message belongs to another call */
  }
  switch (primary) {
  case SQLITE_NOMEM:
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "%s: out of memory", what);
  case SQLITE_FULL:
    return segkit_error_set(err, SEGKIT_ERR_IO, "%s: disk full (%s)", what, msg);
  case SQLITE_IOERR:
    return segkit_error_set(err, SEGKIT_ERR_IO, "%s: I/O error (%s)", what, msg);
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return segkit_error_set(err, SEGKIT_ERR_STORE,
                            "%s: the workspace is locked by another process (waited %d s)",
                            what, SK_BUSY_TIMEOUT_MS / 1000);
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return segkit_error_set(err, SEGKIT_ERR_STORE, "%s: the workspace file is damaged (%s)",
                            what, msg);
  default:
    return segkit_error_set(err, SEGKIT_ERR_STORE, "%s: %s", what, msg);
  }
}

segkit_status sk__exec(sqlite3 *db, const char *sql, segkit_error *err) {
  int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    return sk__sqlite_error(err, db, rc, "workspace");
  }
  return SEGKIT_OK;
}

segkit_status sk__prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, segkit_error *err) {
  int rc = sqlite3_prepare_v2(db, sql, -1, out, NULL);
  if (rc != SQLITE_OK) {
    *out = NULL;
    return sk__sqlite_error(err, db, rc, "preparing a workspace query");
  }
  return SEGKIT_OK;
}

segkit_status sk__step_done(sqlite3 *db, sqlite3_stmt *stmt, const char *what,
                            segkit_error *err) {
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    return sk__sqlite_error(err, db, rc, what);
  }
  return SEGKIT_OK;
}

segkit_status sk__delete_named(sqlite3 *db, const char *sql, const char *name,
                               const char *what, const char *kind, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(db, sql, &st, err);
  if (s == SEGKIT_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    s = sk__step_done(db, st, what, err);
  }
  sqlite3_finalize(st);
  if (s == SEGKIT_OK && sqlite3_changes(db) == 0) {
    s = segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, kind, "no %s named '%.64s'",
                            kind, name);
  }
  return s;
}

segkit_status sk__begin_write(segkit_workspace *ws, segkit_error *err) {
  if (ws->readonly) {
    return segkit_error_set(err, SEGKIT_ERR_STORE, "workspace %s is open read-only",
                            ws->path);
  }
  int rc = sqlite3_exec(ws->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    return sk__sqlite_error(err, ws->db, rc, "starting a write transaction");
  }
  return SEGKIT_OK;
}

segkit_status sk__begin_read(segkit_workspace *ws, segkit_error *err) {
  int rc = sqlite3_exec(ws->db, "BEGIN", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    return sk__sqlite_error(err, ws->db, rc, "starting a read transaction");
  }
  return SEGKIT_OK;
}

segkit_status sk__commit(segkit_workspace *ws, segkit_error *err) {
  int rc = sqlite3_exec(ws->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    segkit_status s = sk__sqlite_error(err, ws->db, rc, "committing");
    sk__rollback(ws);
    return s;
  }
  return SEGKIT_OK;
}

void sk__rollback(segkit_workspace *ws) {
  if (!sqlite3_get_autocommit(ws->db)) {
    (void)sqlite3_exec(ws->db, "ROLLBACK", NULL, NULL, NULL);
  }
}

char *sk__strdup(const char *s, bool *failed) {
  if (s == NULL) {
    return NULL;
  }
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p == NULL) {
    *failed = true;
    return NULL;
  }
  memcpy(p, s, n);
  return p;
}

/* ======================================================================================
 * Identity check
 * ==================================================================================== */

/* One integer from a single-row query; *rc_out gets the SQLite code on failure. */
static bool query_int(sqlite3 *db, const char *sql, int64_t *out, int *rc_out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *out = sqlite3_column_int64(st, 0);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  *rc_out = rc;
  return rc == SQLITE_OK;
}

typedef struct db_identity {
  int64_t application_id;
  int64_t user_version;
  int64_t n_objects;
} db_identity;

static segkit_status read_identity(sqlite3 *db, const char *path, db_identity *id,
                                   segkit_error *err) {
  int rc = SQLITE_OK;
  bool ok = query_int(db, "PRAGMA application_id", &id->application_id, &rc) &&
            query_int(db, "PRAGMA user_version", &id->user_version, &rc) &&
            query_int(db, "SELECT count(*) FROM sqlite_master", &id->n_objects, &rc);
  if (ok) {
    return SEGKIT_OK;
  }
  if ((rc & 0xff) == SQLITE_NOTADB) {
    return segkit_error_set_at(err, SEGKIT_ERR_STORE, path, 0, 0, NULL,
                               "not a segkit workspace (not a SQLite database)");
  }
  return sk__sqlite_error(err, db, rc, "reading the workspace header");
}

/* What the identity says the file is. */
typedef enum db_kind { DB_EMPTY, DB_WORKSPACE, DB_FOREIGN } db_kind;

static db_kind classify(const db_identity *id) {
  if (id->application_id == SK_APPLICATION_ID) {
    return DB_WORKSPACE;
  }
  if (id->application_id == 0 && id->user_version == 0 && id->n_objects == 0) {
    return DB_EMPTY;
  }
  return DB_FOREIGN;
}

static segkit_status refuse_foreign(const db_identity *id, const char *path,
                                    segkit_error *err) {
  return segkit_error_set_at(err, SEGKIT_ERR_STORE, path, 0, 0, NULL,
                             "not a segkit workspace (a SQLite database with application_id "
                             "%lld and %lld schema objects; expected application_id %d); "
                             "it was not modified",
                             (long long)id->application_id, (long long)id->n_objects,
                             SK_APPLICATION_ID);
}

/* ======================================================================================
 * Open
 * ==================================================================================== */

/* Pragmas of every connection. Set before any transaction (foreign_keys is a no-op
 * inside one). journal_size_limit truncates the WAL after a checkpoint, so one large
 * import does not leave a gigabyte -wal file behind. */
static segkit_status set_connection_pragmas(segkit_workspace *ws, segkit_error *err) {
  const char *common = "PRAGMA foreign_keys=ON;"
                       "PRAGMA synchronous=NORMAL;"
                       "PRAGMA cache_size=-65536;"
                       "PRAGMA mmap_size=0;";
  segkit_status s = sk__exec(ws->db, common, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  if (ws->readonly) {
    return sk__exec(ws->db, "PRAGMA query_only=ON", err);
  }
  return sk__exec(ws->db, "PRAGMA journal_size_limit=67108864", err);
}

/* Switch a writable workspace to WAL (a no-op when it already is). */
static segkit_status set_wal(segkit_workspace *ws, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(ws->db, "PRAGMA journal_mode=WAL", &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  int rc = sqlite3_step(st);
  bool wal = rc == SQLITE_ROW &&
             strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) {
    return sk__sqlite_error(err, ws->db, rc, "switching the workspace to WAL mode");
  }
  if (!wal) {
    return segkit_error_set_at(err, SEGKIT_ERR_STORE, ws->path, 0, 0, NULL,
                               "cannot use WAL journaling here (a network or read-only file "
                               "system?)");
  }
  return SEGKIT_OK;
}

/* Build the schema in an empty database. The emptiness is checked again inside the
 * write transaction: another process may have created the workspace meanwhile. */
static segkit_status create_schema(segkit_workspace *ws, segkit_error *err) {
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA page_size=%d", SK_PAGE_SIZE);
  segkit_status s = sk__exec(ws->db, sql, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  s = sk__begin_write(ws, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  db_identity id;
  s = read_identity(ws->db, ws->path, &id, err);
  if (s == SEGKIT_OK && classify(&id) == DB_EMPTY) {
    s = sk__migrate(ws->db, 0, err);
  }
  if (s != SEGKIT_OK) {
    sk__rollback(ws);
    return s;
  }
  return sk__commit(ws, err);
}

/* Migrate an older workspace to the current schema, in one write transaction. The
 * version is read again inside it: another process may have migrated first. */
static segkit_status upgrade_schema(segkit_workspace *ws, segkit_error *err) {
  segkit_status s = sk__begin_write(ws, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  db_identity id;
  s = read_identity(ws->db, ws->path, &id, err);
  if (s == SEGKIT_OK && id.user_version < SK_SCHEMA_VERSION) {
    s = sk__migrate(ws->db, (int)id.user_version, err);
  }
  if (s != SEGKIT_OK) {
    sk__rollback(ws);
    return s;
  }
  return sk__commit(ws, err);
}

/* Check the identity and bring the schema to the current version. */
static segkit_status prepare_schema(segkit_workspace *ws, unsigned flags, segkit_error *err) {
  db_identity id;
  segkit_status s = read_identity(ws->db, ws->path, &id, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  db_kind kind = classify(&id);
  if (kind == DB_FOREIGN) {
    return refuse_foreign(&id, ws->path, err);
  }
  if (kind == DB_EMPTY) {
    if (!(flags & SEGKIT_WORKSPACE_CREATE) || ws->readonly) {
      return segkit_error_set_at(err, SEGKIT_ERR_STORE, ws->path, 0, 0, NULL,
                                 "not a segkit workspace (an empty file); create it first");
    }
    return create_schema(ws, err);
  }
  if (id.user_version > SK_SCHEMA_VERSION) {
    return segkit_error_set_at(err, SEGKIT_ERR_STORE, ws->path, 0, 0, NULL,
                               "workspace schema version %lld is newer than this segkit "
                               "supports (%d); upgrade segkit",
                               (long long)id.user_version, SK_SCHEMA_VERSION);
  }
  if (id.user_version < 1) {
    return segkit_error_set_at(err, SEGKIT_ERR_STORE, ws->path, 0, 0, NULL,
                               "the workspace file is damaged (schema version %lld)",
                               (long long)id.user_version);
  }
  if (id.user_version < SK_SCHEMA_VERSION) {
    if (ws->readonly) {
      return segkit_error_set_at(err, SEGKIT_ERR_STORE, ws->path, 0, 0, NULL,
                                 "workspace schema version %lld needs migrating to %d; open "
                                 "it once with write access",
                                 (long long)id.user_version, SK_SCHEMA_VERSION);
    }
    return upgrade_schema(ws, err);
  }
  return SEGKIT_OK;
}

/* A new workspace file readable and writable by its owner only: it holds customer data.
 * SQLite gives the -wal and -shm files the permissions of the database file. Another
 * process creating it first (EEXIST) is fine. */
static segkit_status create_private_file(const char *path, segkit_error *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) {
    return segkit_error_set_at(err, SEGKIT_ERR_IO, path, 0, 0, NULL,
                               "cannot create the workspace: %s", strerror(errno));
  }
  if (fd >= 0) {
    close(fd);
  }
  return SEGKIT_OK;
}

static segkit_status check_exists(const char *path, unsigned flags, segkit_error *err) {
  struct stat sb;
  if (stat(path, &sb) == 0) {
    if (!S_ISREG(sb.st_mode)) {
      return segkit_error_set_at(err, SEGKIT_ERR_STORE, path, 0, 0, NULL,
                                 "not a segkit workspace (not a regular file)");
    }
    return SEGKIT_OK;
  }
  if (errno == ENOENT && (flags & SEGKIT_WORKSPACE_CREATE) &&
      !(flags & SEGKIT_WORKSPACE_READONLY)) {
    return create_private_file(path, err);
  }
  if (errno == ENOENT) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, path, 0, 0, NULL,
                               "no workspace here (create one first)");
  }
  return segkit_error_set_at(err, SEGKIT_ERR_IO, path, 0, 0, NULL, "cannot open: %s",
                             strerror(errno));
}

/* Close the connection without the checkpoint SQLite runs when the last connection to a
 * WAL database closes: a refused foreign file must keep its bytes. */
static void close_untouched(sqlite3 *db) {
  if (db == NULL) {
    return;
  }
  (void)sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
  sqlite3_close_v2(db);
}

segkit_status segkit_workspace_open(const char *path, unsigned flags, segkit_workspace **out,
                                    segkit_error *err) {
  if (path == NULL || path[0] == '\0' || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "workspace path is empty");
  }
  segkit_status s = check_exists(path, flags, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_workspace *ws = calloc(1, sizeof *ws);
  bool failed = false;
  if (ws != NULL) {
    ws->path = sk__strdup(path, &failed);
  }
  if (ws == NULL || failed) {
    free(ws);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory opening %s", path);
  }
  ws->readonly = (flags & SEGKIT_WORKSPACE_READONLY) != 0;
  int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (ws->readonly) {
    oflags |= SQLITE_OPEN_READONLY;
  } else {
    oflags |= SQLITE_OPEN_READWRITE;
    if (flags & SEGKIT_WORKSPACE_CREATE) {
      oflags |= SQLITE_OPEN_CREATE;
    }
  }
  int rc = sqlite3_open_v2(path, &ws->db, oflags, NULL);
  if (rc != SQLITE_OK) {
    s = segkit_error_set_at(err, rc == SQLITE_NOMEM ? SEGKIT_ERR_NOMEM : SEGKIT_ERR_STORE,
                            path, 0, 0, NULL, "cannot open workspace: %s",
                            ws->db != NULL ? sqlite3_errmsg(ws->db) : sqlite3_errstr(rc));
    close_untouched(ws->db);
    free(ws->path);
    free(ws);
    return s;
  }
  /* The identity check comes first: some pragmas read the file header, and a file that
   * is not a workspace must be refused with the reason, untouched. */
  rc = sqlite3_busy_timeout(ws->db, SK_BUSY_TIMEOUT_MS);
  s = rc == SQLITE_OK ? prepare_schema(ws, flags, err)
                      : sk__sqlite_error(err, ws->db, rc, "setting the busy timeout");
  if (s == SEGKIT_OK) {
    s = set_connection_pragmas(ws, err);
  }
  if (s == SEGKIT_OK && !ws->readonly) {
    s = set_wal(ws, err);
  }
  if (s != SEGKIT_OK) {
    close_untouched(ws->db);
    free(ws->path);
    free(ws);
    return s;
  }
  ws->schema_version = SK_SCHEMA_VERSION;
  *out = ws;
  return SEGKIT_OK;
}

void segkit_workspace_close(segkit_workspace *ws) {
  if (ws == NULL) {
    return;
  }
  sk__rollback(ws);
  sqlite3_close_v2(ws->db);
  free(ws->path);
  free(ws->actor);
  free(ws);
}

segkit_status segkit_workspace_set_actor(segkit_workspace *ws, const char *actor,
                                         segkit_error *err) {
  if (ws == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "workspace is required");
  }
  bool failed = false;
  char *copy = sk__strdup(actor, &failed);
  if (failed) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  free(ws->actor);
  ws->actor = copy;
  return SEGKIT_OK;
}

int segkit_workspace_schema_version(const segkit_workspace *ws) {
  return ws->schema_version;
}

int segkit_workspace_current_schema_version(void) {
  return SK_SCHEMA_VERSION;
}

const char *segkit_workspace_path(const segkit_workspace *ws) {
  return ws->path;
}
