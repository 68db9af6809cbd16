/* Schema versions of the workspace and the ordered migrations between them.
 *
 * The version lives in SQLite's user_version (header bytes 60-63), next to
 * application_id, so both are read before any table is touched; the migrations table
 * keeps the history (which step ran when). Each step is plain SQL, listed in order; a
 * new workspace runs them all from version 0, so the path an old workspace takes and the
 * path a new one takes are the same code. The caller runs sk__migrate inside one write
 * transaction: a migration is applied completely or not at all.
 *
 * Rules for adding a version: append a step, bump SK_SCHEMA_VERSION, never edit a step
 * that has shipped (old workspaces have run it as written), and add a test that opens a
 * workspace of the previous version made by raw SQL (tests/unit/test_store.c). */
#include <stdio.h>

#include "segkit/datetime.h"
#include "segkit/version.h"
#include "store/store_int.h"

typedef struct migration {
  int version;
  const char *description;
  const char *sql;
} migration;

/* Version 1: the storage tables. docs/workspace.md explains each one. Times are UTC
 * microseconds since 1970. */
static const char schema_v1[] =
    "CREATE TABLE meta("
    "  key   TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "CREATE TABLE migrations("
    "  version     INTEGER PRIMARY KEY,"
    "  applied_at  INTEGER NOT NULL,"
    "  description TEXT NOT NULL);"
    "CREATE TABLE datasets("
    "  id          INTEGER PRIMARY KEY,"
    "  name        TEXT NOT NULL UNIQUE,"
    "  key_column  TEXT,"
    "  created_at  INTEGER NOT NULL,"
    "  updated_at  INTEGER NOT NULL,"
    "  source      TEXT,"
    "  n_rows      INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE dataset_columns("
    "  dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
    "  position    INTEGER NOT NULL,"
    "  name        TEXT NOT NULL,"
    "  type        TEXT NOT NULL,"
    "  PRIMARY KEY(dataset_id, position),"
    "  UNIQUE(dataset_id, name)) WITHOUT ROWID;"
    "CREATE TABLE batches("
    "  id          INTEGER PRIMARY KEY,"
    "  dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
    "  seq         INTEGER NOT NULL,"
    "  kind        TEXT NOT NULL,"
    "  created_at  INTEGER NOT NULL,"
    "  source      TEXT,"
    "  n_imported  INTEGER NOT NULL,"
    "  n_rows      INTEGER NOT NULL,"
    "  UNIQUE(dataset_id, seq));"
    "CREATE TABLE chunks("
    "  id              INTEGER PRIMARY KEY,"
    "  batch_id        INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,"
    "  column_position INTEGER NOT NULL,"
    "  chunk_index     INTEGER NOT NULL,"
    "  n_rows          INTEGER NOT NULL,"
    "  validity        BLOB,"
    "  data            BLOB NOT NULL,"
    "  UNIQUE(batch_id, column_position, chunk_index));"
    "CREATE TABLE dict_pieces("
    "  id              INTEGER PRIMARY KEY,"
    "  batch_id        INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,"
    "  column_position INTEGER NOT NULL,"
    "  piece_index     INTEGER NOT NULL,"
    "  n_entries       INTEGER NOT NULL,"
    "  ends            BLOB NOT NULL,"
    "  bytes           BLOB NOT NULL,"
    "  UNIQUE(batch_id, column_position, piece_index));"
    "CREATE TABLE quarantine("
    "  id          INTEGER PRIMARY KEY,"
    "  dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
    "  batch_id    INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,"
    "  line        INTEGER NOT NULL,"
    "  col         INTEGER NOT NULL,"
    "  field       TEXT,"
    "  reason      TEXT NOT NULL,"
    "  message     TEXT NOT NULL,"
    "  raw         BLOB NOT NULL);"
    "CREATE INDEX quarantine_by_dataset ON quarantine(dataset_id, id);"
    "CREATE INDEX quarantine_by_batch ON quarantine(batch_id);"
    "CREATE TABLE audit("
    "  id      INTEGER PRIMARY KEY,"
    "  at      INTEGER NOT NULL,"
    "  actor   TEXT NOT NULL,"
    "  action  TEXT NOT NULL,"
    "  target  TEXT,"
    "  detail  TEXT NOT NULL);"
    "INSERT INTO meta(key, value) VALUES ('format', 'segkit workspace');";

/* Version 2: read-only views for people who open the workspace with the sqlite3 shell
 * (times as ISO 8601, quarantined rows as text), and an index for "what happened to
 * this dataset" queries on the audit log. */
static const char schema_v2[] =
    "CREATE INDEX audit_by_target ON audit(target, id);"
    "CREATE VIEW dataset_summary AS"
    "  SELECT d.name, d.n_rows,"
    "         (SELECT count(*) FROM dataset_columns c WHERE c.dataset_id = d.id) AS n_cols,"
    "         d.key_column,"
    "         strftime('%Y-%m-%dT%H:%M:%fZ', d.updated_at / 1e6, 'unixepoch') AS imported_at,"
    "         d.source"
    "  FROM datasets d;"
    "CREATE VIEW quarantine_text AS"
    "  SELECT d.name AS dataset, q.batch_id, q.line, q.col, q.field, q.reason, q.message,"
    "         CAST(q.raw AS TEXT) AS raw"
    "  FROM quarantine q JOIN datasets d ON d.id = q.dataset_id;"
    "CREATE VIEW audit_log AS"
    "  SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', at / 1e6, 'unixepoch') AS at, actor,"
    "         action, target, detail"
    "  FROM audit;";

/* Version 3: segments as objects. Links say which column of a fact dataset holds the
 * customer key of a customers dataset (and which column is its time), so rules can
 * aggregate over the facts; segments keep their rule text (re-evaluated on each run) and
 * the context it needs (a JSON object, e.g. the subscriptions and rates of the derived
 * fields), so a later run sees the same fields;
 * snapshots keep a membership as it was, as one blob of sorted member keys (int64 little
 * endian, or NUL-terminated strings), because a 10 M-member snapshot as rows would cost
 * seconds and hundreds of MB. */
static const char schema_v3[] =
    "CREATE TABLE links("
    "  fact_dataset      TEXT PRIMARY KEY,"
    "  fact_column       TEXT NOT NULL,"
    "  customers_dataset TEXT NOT NULL,"
    "  key_column        TEXT NOT NULL,"
    "  time_column       TEXT,"
    "  created_at        INTEGER NOT NULL);"
    "CREATE TABLE segments("
    "  name        TEXT PRIMARY KEY,"
    "  dataset     TEXT NOT NULL,"
    "  rule        TEXT NOT NULL,"
    "  description TEXT,"
    "  context     TEXT,"
    "  created_at  INTEGER NOT NULL,"
    "  updated_at  INTEGER NOT NULL);"
    "CREATE TABLE segment_snapshots("
    "  id        INTEGER PRIMARY KEY,"
    "  segment   TEXT NOT NULL,"
    "  taken_at  INTEGER NOT NULL,"
    "  rule      TEXT NOT NULL,"
    "  n_members INTEGER NOT NULL,"
    "  n_total   INTEGER NOT NULL,"
    "  key_type  TEXT NOT NULL,"
    "  members   BLOB NOT NULL);"
    "CREATE INDEX snapshots_by_segment ON segment_snapshots(segment, taken_at);";

/* Version 4: fitted models (clusterings now, customer-value models later), each a JSON
 * document the module that made it reads back, with the dataset it was fitted on; kept as
 * text so the sqlite3 shell (json_extract) can look inside. */
static const char schema_v4[] =
    "CREATE TABLE models("
    "  name        TEXT PRIMARY KEY,"
    "  kind        TEXT NOT NULL,"
    "  dataset     TEXT,"
    "  document    TEXT NOT NULL,"
    "  created_at  INTEGER NOT NULL,"
    "  updated_at  INTEGER NOT NULL);";

/* Version 5: API keys of the HTTP server (src/server/keys.c owns the rows). Only an
 * Argon2id hash of a key is kept (crypto_pwhash_str output, self-describing), never the
 * key; the id is the key's public part, in clear, so a request's key finds its row without
 * trying every hash. Revoked keys stay (revoked_at set) so the audit log's actors keep
 * meaning something. */
static const char schema_v5[] =
    "CREATE TABLE api_keys("
    "  id           TEXT PRIMARY KEY,"
    "  name         TEXT,"
    "  role         TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),"
    "  hash         TEXT NOT NULL,"
    "  created_at   INTEGER NOT NULL,"
    "  last_used_at INTEGER,"
    "  revoked_at   INTEGER);";

static const migration migrations[] = {
    {1, "storage tables: datasets, batches, chunks, quarantine, audit", schema_v1},
    {2, "views for the sqlite3 shell, audit index", schema_v2},
    {3, "segments, links between datasets, segment snapshots", schema_v3},
    {4, "fitted models", schema_v4},
    {5, "API keys of the HTTP server", schema_v5},
};

_Static_assert(sizeof migrations / sizeof migrations[0] == SK_SCHEMA_VERSION,
               "one migration per schema version");

static segkit_status record_step(sqlite3 *db, const migration *m, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(
      db, "INSERT INTO migrations(version, applied_at, description) VALUES (?, ?, ?)", &st,
      err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int(st, 1, m->version);
  sqlite3_bind_int64(st, 2, segkit_now_us());
  sqlite3_bind_text(st, 3, m->description, -1, SQLITE_STATIC);
  s = sk__step_done(db, st, "recording a migration", err);
  sqlite3_finalize(st);
  return s;
}

static segkit_status apply_step(sqlite3 *db, const migration *m, segkit_error *err) {
  int rc = sqlite3_exec(db, m->sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    char what[96];
    snprintf(what, sizeof what, "migrating the workspace to schema version %d", m->version);
    return sk__sqlite_error(err, db, rc, what);
  }
  return record_step(db, m, err);
}

/* A new workspace: its identity, and when and by which segkit it was made. */
static segkit_status stamp_new_workspace(sqlite3 *db, segkit_error *err) {
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA application_id=%d", SK_APPLICATION_ID);
  segkit_status s = sk__exec(db, sql, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_stmt *st = NULL;
  s = sk__prepare(db,
                  "INSERT INTO meta(key, value) VALUES ('created_at', ?), ('created_by', "
                  "'segkit ' || ?)",
                  &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, segkit_now_us());
  sqlite3_bind_text(st, 2, segkit_version(), -1, SQLITE_STATIC);
  s = sk__step_done(db, st, "creating the workspace", err);
  sqlite3_finalize(st);
  return s;
}

segkit_status sk__migrate(sqlite3 *db, int from, segkit_error *err) {
  for (size_t i = 0; i < sizeof migrations / sizeof migrations[0]; i++) {
    if (migrations[i].version <= from) {
      continue;
    }
    segkit_status s = apply_step(db, &migrations[i], err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  if (from == 0) {
    segkit_status s = stamp_new_workspace(db, err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA user_version=%d", SK_SCHEMA_VERSION);
  return sk__exec(db, sql, err);
}
