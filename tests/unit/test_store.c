/* Workspace: opening and identity checks, migrations, import modes, load round trips,
 * quarantine, audit, drop, read-only handles.
 *
 * Expected values come from the test's own inputs (each row's value is a formula of its
 * index, or written out by hand), from hand calculation (upsert counts), or from the
 * on-disk format written out byte by byte (the version-1 fixture), never from segkit's
 * output. The file itself is inspected through the plain SQLite API, as a user with the
 * sqlite3 shell would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "segkit/workspace.h"
#include "store/store_int.h"
#include "testkit.h"

/* ======================================================================================
 * Helpers
 * ==================================================================================== */

typedef struct fixture {
  char *dir;
  char *path;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->dir = tu_mkdtemp();
  assert_non_null(f->dir);
  f->path = tu_path_join(f->dir, "ws.segkit");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  tu_rmtree(f->dir);
  free(f->dir);
  free(f->path);
  free(f);
  return 0;
}

static segkit_workspace *open_ws(const char *path, unsigned flags) {
  segkit_workspace *ws = NULL;
  segkit_error err;
  segkit_status s = segkit_workspace_open(path, flags, &ws, &err);
  if (s != SEGKIT_OK) {
    fail_msg("open %s: %s", path, err.message);
  }
  return ws;
}

/* One integer from SQL run on the file through a separate plain SQLite connection. */
static int64_t sql_int(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  }
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* One text value from SQL (malloc'd), through a separate plain connection. */
static char *sql_text(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  }
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  const unsigned char *v = sqlite3_column_text(st, 0);
  char *copy = strdup(v != NULL ? (const char *)v : "NULL");
  sqlite3_finalize(st);
  sqlite3_close(db);
  return copy;
}

static void assert_sql_text(const char *path, const char *sql, const char *expected) {
  char *got = sql_text(path, sql);
  if (strcmp(got, expected) != 0) {
    fail_msg("%s: got %s, expected %s", sql, got, expected);
  }
  free(got);
}

static void sql_exec(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    fail_msg("%s: %s", sql, msg);
  }
  sqlite3_close(db);
}

static segkit_table_builder *builder(size_t n, const char *const *names,
                                     const segkit_type *types) {
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(n, names, types, &b, &err), SEGKIT_OK);
  return b;
}

static segkit_table *finish(segkit_table_builder *b) {
  segkit_table *t = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  return t;
}

static void add_i64(segkit_table_builder *b, size_t col, int64_t v) {
  assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, col), v), SEGKIT_OK);
}

static void add_str(segkit_table_builder *b, size_t col, const char *s) {
  assert_int_equal(segkit_column_append_string(segkit_table_builder_column(b, col), s, strlen(s)),
                   SEGKIT_OK);
}

static void add_null(segkit_table_builder *b, size_t col) {
  assert_int_equal(segkit_column_append_null(segkit_table_builder_column(b, col)), SEGKIT_OK);
}

/* A table (id int64, name string) from parallel arrays; name NULL = null. */
static segkit_table *id_name_table(size_t n, const int64_t *ids, const char *const *names) {
  const char *cols[] = {"id", "name"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};
  segkit_table_builder *b = builder(2, cols, types);
  for (size_t i = 0; i < n; i++) {
    add_i64(b, 0, ids[i]);
    if (names[i] != NULL) {
      add_str(b, 1, names[i]);
    } else {
      add_null(b, 1);
    }
  }
  return finish(b);
}

static segkit_status import(segkit_workspace *ws, const char *name, segkit_import_mode mode,
                            const char *key, const segkit_table *t, segkit_import_outcome *oc,
                            segkit_error *err) {
  segkit_import_request req = {.dataset = name,
                               .mode = mode,
                               .key = key,
                               .source = "test.csv",
                               .table = t,
                               .actor = "test:unit"};
  return segkit_workspace_import(ws, &req, oc, err);
}

static void import_ok(segkit_workspace *ws, const char *name, segkit_import_mode mode,
                      const char *key, const segkit_table *t, segkit_import_outcome *oc) {
  segkit_error err;
  segkit_import_outcome local;
  segkit_status s = import(ws, name, mode, key, t, oc != NULL ? oc : &local, &err);
  if (s != SEGKIT_OK) {
    fail_msg("import %s: %s", name, err.message);
  }
}

static segkit_table *load_ok(segkit_workspace *ws, const char *name) {
  segkit_table *t = NULL;
  segkit_error err;
  if (segkit_workspace_load(ws, name, &t, &err) != SEGKIT_OK) {
    fail_msg("load %s: %s", name, err.message);
  }
  return t;
}

/* Row i of a string column as (bytes, len), or NULL for null. */
static const char *str_at(const segkit_column *c, size_t i, size_t *len) {
  if (!segkit_column_is_valid(c, i)) {
    return NULL;
  }
  return segkit_column_dict_value(c, segkit_column_codes(c)[i], len);
}

static void assert_str_at(const segkit_column *c, size_t i, const char *expected) {
  size_t len = 0;
  const char *s = str_at(c, i, &len);
  if (expected == NULL) {
    assert_null(s);
    return;
  }
  assert_non_null(s);
  assert_int_equal(len, strlen(expected));
  assert_memory_equal(s, expected, len);
}

/* The (id, name) rows of a loaded table against expected arrays. */
static void assert_id_name(const segkit_table *t, size_t n, const int64_t *ids,
                           const char *const *names) {
  assert_int_equal(segkit_table_n_rows(t), n);
  const segkit_column *id = segkit_table_column(t, 0);
  const segkit_column *name = segkit_table_column(t, 1);
  for (size_t i = 0; i < n; i++) {
    assert_true(segkit_column_is_valid(id, i));
    assert_int_equal(segkit_column_int64(id)[i], ids[i]);
    assert_str_at(name, i, names[i]);
  }
}

/* ======================================================================================
 * Opening
 * ==================================================================================== */

static void store_open_creates_workspace(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  assert_int_equal(segkit_workspace_schema_version(ws), 5);
  assert_int_equal(segkit_workspace_current_schema_version(), 5);
  assert_string_equal(segkit_workspace_path(ws), f->path);
  segkit_dataset_list *list = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_list_datasets(ws, &list, &err), SEGKIT_OK);
  assert_int_equal(list->n, 0);
  segkit_dataset_list_free(list);
  segkit_workspace_close(ws);

  /* The header says what the file is; the schema history is recorded. */
  assert_int_equal(sql_int(f->path, "PRAGMA application_id"), 0x53474B54);
  assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 5);
  assert_int_equal(sql_int(f->path, "PRAGMA page_size"), 65536);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM migrations"), 5);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM meta WHERE key = 'format' AND "
                                    "value = 'segkit workspace'"),
                   1);
  assert_int_equal(sql_int(f->path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
  assert_int_equal(sql_int(f->path, "SELECT value LIKE 'segkit %.%.%' FROM meta WHERE key = "
                                    "'created_by'"),
                   1);
  assert_int_equal(sql_int(f->path, "SELECT CAST(value AS INTEGER) > 1600000000000000 FROM "
                                    "meta WHERE key = 'created_at'"),
                   1);

  /* Only its owner may read it: it holds customer data. */
  struct stat sb;
  assert_int_equal(stat(f->path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);

  /* Opening again (no CREATE) works and changes nothing. */
  ws = open_ws(f->path, 0);
  assert_int_equal(segkit_workspace_schema_version(ws), 5);
  segkit_workspace_close(ws);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM migrations"), 5);
  segkit_workspace_close(NULL);
}

static void store_open_missing_without_create(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_open(f->path, 0, &ws, &err), SEGKIT_ERR_NOT_FOUND);
  assert_null(ws);
  assert_string_equal(err.file, f->path);
  assert_int_equal(segkit_workspace_open(f->path, SEGKIT_WORKSPACE_READONLY, &ws, &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_int_equal(segkit_workspace_open("", SEGKIT_WORKSPACE_CREATE, &ws, &err),
                   SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_workspace_open(f->dir, SEGKIT_WORKSPACE_CREATE, &ws, &err),
                   SEGKIT_ERR_STORE);
}

/* Bytes of a file, for "unchanged" checks. */
static char *snapshot(const char *path, size_t *n) {
  char *bytes = tu_read_file(path, n);
  assert_non_null(bytes);
  return bytes;
}

static void assert_unchanged(const char *path, const char *before, size_t n_before) {
  size_t n = 0;
  char *now = snapshot(path, &n);
  assert_int_equal(n, n_before);
  assert_memory_equal(now, before, n);
  free(now);
}

static void store_refuses_foreign_sqlite(void **state) {
  fixture *f = *state;
  sql_exec(f->path, "CREATE TABLE customers(id INTEGER, name TEXT);"
                    "INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace');");
  size_t n = 0;
  char *before = snapshot(f->path, &n);
  segkit_workspace *ws = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_open(f->path, SEGKIT_WORKSPACE_CREATE, &ws, &err),
                   SEGKIT_ERR_STORE);
  assert_null(ws);
  assert_non_null(strstr(err.message, "not a segkit workspace"));
  assert_unchanged(f->path, before, n);
  assert_int_equal(segkit_workspace_open(f->path, SEGKIT_WORKSPACE_READONLY, &ws, &err),
                   SEGKIT_ERR_STORE);
  assert_unchanged(f->path, before, n);
  free(before);
  /* The user's data is still there. */
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM customers"), 2);
}

/* A foreign database in WAL mode whose last writer left committed frames in the -wal
 * file: refusing it must not checkpoint them into the main file. */
static void store_refuses_foreign_wal_untouched(void **state) {
  fixture *f = *state;
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x);"
                                    "INSERT INTO t VALUES (1), (2), (3);",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  char *wal = malloc(strlen(f->path) + 5);
  sprintf(wal, "%s-wal", f->path);
  size_t n_main = 0;
  size_t n_wal = 0;
  char *main_before = snapshot(f->path, &n_main);
  char *wal_before = snapshot(wal, &n_wal);
  assert_true(n_wal > 0);
  segkit_workspace *ws = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_open(f->path, 0, &ws, &err), SEGKIT_ERR_STORE);
  assert_unchanged(f->path, main_before, n_main);
  assert_unchanged(wal, wal_before, n_wal);
  free(main_before);
  free(wal_before);
  free(wal);
}

static void store_refuses_non_sqlite_file(void **state) {
  fixture *f = *state;
  char bytes[5000];
  uint64_t x = 88172645463325252u;
  for (size_t i = 0; i < sizeof bytes; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    bytes[i] = (char)(x >> 56);
  }
  memcpy(bytes, "customer_id,amount\n", 19);
  char *path = tu_write_file(f->dir, "data.csv", bytes, sizeof bytes);
  segkit_workspace *ws = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_open(path, SEGKIT_WORKSPACE_CREATE, &ws, &err),
                   SEGKIT_ERR_STORE);
  assert_null(ws);
  assert_non_null(strstr(err.message, "not a SQLite database"));
  assert_unchanged(path, bytes, sizeof bytes);
  free(path);
}

/* An empty file is an empty SQLite database: created with CREATE, refused without. */
static void store_empty_file(void **state) {
  fixture *f = *state;
  char *path = tu_write_file(f->dir, "empty.segkit", "", 0);
  segkit_workspace *ws = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_open(path, 0, &ws, &err), SEGKIT_ERR_STORE);
  assert_non_null(strstr(err.message, "empty"));
  ws = open_ws(path, SEGKIT_WORKSPACE_CREATE);
  segkit_workspace_close(ws);
  assert_int_equal(sql_int(path, "PRAGMA user_version"), 5);
  free(path);
}

static void store_refuses_newer_schema(void **state) {
  fixture *f = *state;
  segkit_workspace_close(open_ws(f->path, SEGKIT_WORKSPACE_CREATE));
  sql_exec(f->path, "PRAGMA user_version=6");
  size_t n = 0;
  char *before = snapshot(f->path, &n);
  segkit_workspace *ws = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_open(f->path, 0, &ws, &err), SEGKIT_ERR_STORE);
  assert_non_null(strstr(err.message, "schema version 6 is newer"));
  assert_unchanged(f->path, before, n);
  free(before);
}

/* Version 1 of the schema as shipped, frozen here on purpose (it must not follow the
 * code), with a dataset whose blobs are written out byte by byte from the format in
 * docs/workspace.md: 3 rows of (id int64, name string, score float64):
 *   (1, 'a', 0.5), (2, NULL, 1.5), (3, 'ccc', NULL). */
static const char v1_fixture[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE migrations(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL,"
    "  description TEXT NOT NULL);"
    "CREATE TABLE datasets(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, key_column TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, source TEXT,"
    "  n_rows INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE dataset_columns(dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON "
    "  DELETE CASCADE, position INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,"
    "  PRIMARY KEY(dataset_id, position), UNIQUE(dataset_id, name)) WITHOUT ROWID;"
    "CREATE TABLE batches(id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES "
    "  datasets(id) ON DELETE CASCADE, seq INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, source TEXT, n_imported INTEGER NOT NULL,"
    "  n_rows INTEGER NOT NULL, UNIQUE(dataset_id, seq));"
    "CREATE TABLE chunks(id INTEGER PRIMARY KEY, batch_id INTEGER NOT NULL REFERENCES "
    "  batches(id) ON DELETE CASCADE, column_position INTEGER NOT NULL,"
    "  chunk_index INTEGER NOT NULL, n_rows INTEGER NOT NULL, validity BLOB,"
    "  data BLOB NOT NULL, UNIQUE(batch_id, column_position, chunk_index));"
    "CREATE TABLE dict_pieces(id INTEGER PRIMARY KEY, batch_id INTEGER NOT NULL REFERENCES "
    "  batches(id) ON DELETE CASCADE, column_position INTEGER NOT NULL,"
    "  piece_index INTEGER NOT NULL, n_entries INTEGER NOT NULL, ends BLOB NOT NULL,"
    "  bytes BLOB NOT NULL, UNIQUE(batch_id, column_position, piece_index));"
    "CREATE TABLE quarantine(id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES "
    "  datasets(id) ON DELETE CASCADE, batch_id INTEGER NOT NULL REFERENCES batches(id) ON "
    "  DELETE CASCADE, line INTEGER NOT NULL, col INTEGER NOT NULL, field TEXT,"
    "  reason TEXT NOT NULL, message TEXT NOT NULL, raw BLOB NOT NULL);"
    "CREATE INDEX quarantine_by_dataset ON quarantine(dataset_id, id);"
    "CREATE INDEX quarantine_by_batch ON quarantine(batch_id);"
    "CREATE TABLE audit(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    "  action TEXT NOT NULL, target TEXT, detail TEXT NOT NULL);"
    "INSERT INTO meta VALUES ('format', 'segkit workspace');"
    "INSERT INTO migrations VALUES (1, 1700000000000000, 'storage tables');"
    "INSERT INTO datasets VALUES (1, 'legacy', 'id', 1700000000000000, 1700000000000000,"
    "  'old.csv', 3);"
    "INSERT INTO dataset_columns VALUES (1, 0, 'id', 'int64'), (1, 1, 'name', 'string'),"
    "  (1, 2, 'score', 'float64');"
    "INSERT INTO batches VALUES (7, 1, 1, 'create', 1700000000000000, 'old.csv', 3, 3);"
    "INSERT INTO chunks VALUES (1, 7, 0, 0, 3, NULL,"
    "  x'010000000000000002000000000000000300000000000000');"
    "INSERT INTO chunks VALUES (2, 7, 1, 0, 3, x'0500000000000000', x'000000000000000001000000');"
    "INSERT INTO dict_pieces VALUES (1, 7, 1, 0, 2, x'0200000006000000', x'610063636300');"
    "INSERT INTO chunks VALUES (3, 7, 2, 0, 3, x'0300000000000000',"
    "  x'000000000000E03F000000000000F83F0000000000000000');"
    "INSERT INTO audit VALUES (1, 1700000000000000, 'cli:old', 'import', 'legacy', '{}');"
    "PRAGMA application_id=1397181268;"
    "PRAGMA user_version=1;";

static void store_migrates_version_1(void **state) {
  fixture *f = *state;
  sql_exec(f->path, v1_fixture);
  assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 1);

  segkit_workspace *ws = open_ws(f->path, 0);
  assert_int_equal(segkit_workspace_schema_version(ws), 5);
  segkit_table *t = load_ok(ws, "legacy");
  assert_int_equal(segkit_table_n_rows(t), 3);
  const segkit_column *id = segkit_table_column(t, 0);
  const segkit_column *name = segkit_table_column(t, 1);
  const segkit_column *score = segkit_table_column(t, 2);
  assert_string_equal(segkit_column_name(score), "score");
  assert_int_equal(segkit_column_int64(id)[0], 1);
  assert_int_equal(segkit_column_int64(id)[2], 3);
  assert_str_at(name, 0, "a");
  assert_str_at(name, 1, NULL);
  assert_str_at(name, 2, "ccc");
  assert_true(segkit_column_float64(score)[0] == 0.5);
  assert_true(segkit_column_float64(score)[1] == 1.5);
  assert_false(segkit_column_is_valid(score, 2));
  segkit_table_free(t);

  /* A version-1 workspace takes new batches after the migration; "a" is merged into
   * the stored dictionary, "zz" added. */
  const char *cols[] = {"id", "name", "score"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_FLOAT64};
  segkit_table_builder *b = builder(3, cols, types);
  add_i64(b, 0, 4);
  add_str(b, 1, "zz");
  segkit_column_append_float64(segkit_table_builder_column(b, 2), -2.0);
  add_i64(b, 0, 5);
  add_str(b, 1, "a");
  add_null(b, 2);
  t = finish(b);
  segkit_import_outcome oc;
  import_ok(ws, "legacy", SEGKIT_IMPORT_APPEND, NULL, t, &oc);
  assert_int_equal(oc.dataset_rows, 5);
  segkit_table_free(t);
  t = load_ok(ws, "legacy");
  name = segkit_table_column(t, 1);
  assert_int_equal(segkit_column_dict_size(name), 3);
  assert_str_at(name, 0, "a");
  assert_str_at(name, 2, "ccc");
  assert_str_at(name, 3, "zz");
  assert_str_at(name, 4, "a");
  assert_int_equal(segkit_column_int64(segkit_table_column(t, 0))[4], 5);
  assert_true(segkit_column_float64(segkit_table_column(t, 2))[3] == -2.0);
  segkit_table_free(t);
  segkit_workspace_close(ws);

  assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 5);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM migrations"), 5);
  assert_int_equal(sql_int(f->path, "SELECT n_rows FROM dataset_summary WHERE name='legacy'"),
                   5);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log"), 2);
}

/* ======================================================================================
 * Round trips
 * ==================================================================================== */

#define N_ALL 8

static void store_round_trip_all_types(void **state) {
  fixture *f = *state;
  const char *names[] = {"i", "f", "b", "ts", "d", "s"};
  segkit_type types[] = {SEGKIT_TYPE_INT64,     SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_BOOL,
                         SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_DATE,    SEGKIT_TYPE_STRING};
  /* valid[c][row]; values by row. */
  static const int valid[6][N_ALL] = {
      {1, 1, 1, 1, 0, 1, 1, 1}, {1, 1, 1, 1, 1, 0, 1, 1}, {1, 1, 0, 1, 1, 1, 1, 1},
      {0, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 0, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 0, 1}};
  const int64_t ints[N_ALL] = {0, -1, INT64_MIN, INT64_MAX, 0, 42, 7, -9};
  uint64_t nan_bits = UINT64_C(0x7FF8000000000123); /* a NaN with a payload */
  double nan_v;
  memcpy(&nan_v, &nan_bits, sizeof nan_v);
  const double floats[N_ALL] = {0.0, -0.0, nan_v, INFINITY, -INFINITY, 0, 4.9e-324, 1e308};
  const bool bools[N_ALL] = {true, false, false, true, false, true, true, false};
  const int64_t stamps[N_ALL] = {0, -1, 1700000000123456, INT64_C(253402300799999999),
                                 INT64_C(-62135596800000000), 1, 2, 3};
  const int32_t dates[N_ALL] = {0, -719162, 2932896, 0, 19000, -1, 1, 20000};
  static const char long_str[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy";
  const char *strs[N_ALL] = {"", "a\0b", "\xff\xfe not utf-8", "\xe6\x97\xa5\xe6\x9c\xac",
                             long_str, "", NULL, "a"};
  const size_t str_lens[N_ALL] = {0, 3, 12, 6, sizeof long_str - 1, 0, 0, 1};

  segkit_table_builder *b = builder(6, names, types);
  for (size_t r = 0; r < N_ALL; r++) {
    for (size_t c = 0; c < 6; c++) {
      segkit_column_builder *cb = segkit_table_builder_column(b, c);
      if (!valid[c][r]) {
        assert_int_equal(segkit_column_append_null(cb), SEGKIT_OK);
        continue;
      }
      segkit_status s = SEGKIT_OK;
      switch (c) {
      case 0: s = segkit_column_append_int64(cb, ints[r]); break;
      case 1: s = segkit_column_append_float64(cb, floats[r]); break;
      case 2: s = segkit_column_append_bool(cb, bools[r]); break;
      case 3: s = segkit_column_append_int64(cb, stamps[r]); break;
      case 4: s = segkit_column_append_date(cb, dates[r]); break;
      default: s = segkit_column_append_string(cb, strs[r], str_lens[r]); break;
      }
      assert_int_equal(s, SEGKIT_OK);
    }
  }
  segkit_table *t = finish(b);
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  segkit_import_outcome oc;
  import_ok(ws, "all_types", SEGKIT_IMPORT_CREATE, NULL, t, &oc);
  assert_int_equal(oc.rows_added, N_ALL);
  assert_int_equal(oc.dataset_rows, N_ALL);
  segkit_table_free(t);
  segkit_workspace_close(ws);

  ws = open_ws(f->path, SEGKIT_WORKSPACE_READONLY);
  /* The schema alone, from the catalogue: the same names and types, in order. */
  segkit_dataset_schema *schema = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_dataset_schema(ws, "all_types", &schema, &err), SEGKIT_OK);
  assert_int_equal(schema->n, 6);
  for (size_t c = 0; c < 6; c++) {
    assert_string_equal(schema->names[c], names[c]);
    assert_int_equal(schema->types[c], types[c]);
  }
  segkit_dataset_schema_free(schema);
  assert_int_equal(segkit_workspace_dataset_schema(ws, "nope", &schema, &err), SEGKIT_ERR_NOT_FOUND);
  assert_null(schema);
  t = load_ok(ws, "all_types");
  assert_int_equal(segkit_table_n_rows(t), N_ALL);
  assert_int_equal(segkit_table_n_cols(t), 6);
  for (size_t c = 0; c < 6; c++) {
    const segkit_column *col = segkit_table_column(t, c);
    assert_string_equal(segkit_column_name(col), names[c]);
    assert_int_equal(segkit_column_type(col), types[c]);
    for (size_t r = 0; r < N_ALL; r++) {
      assert_int_equal(segkit_column_is_valid(col, r), valid[c][r]);
      if (!valid[c][r]) {
        continue;
      }
      switch (c) {
      case 0: assert_int_equal(segkit_column_int64(col)[r], ints[r]); break;
      case 1: {
        uint64_t got;
        uint64_t want;
        memcpy(&got, &segkit_column_float64(col)[r], 8);
        memcpy(&want, &floats[r], 8);
        assert_int_equal(got, want); /* bit for bit: NaN payload, -0.0 */
        break;
      }
      case 2: assert_int_equal(segkit_column_bool(col)[r], bools[r]); break;
      case 3: assert_int_equal(segkit_column_timestamp(col)[r], stamps[r]); break;
      case 4: assert_int_equal(segkit_column_date(col)[r], dates[r]); break;
      default: {
        size_t len = 0;
        const char *s = str_at(col, r, &len);
        assert_int_equal(len, str_lens[r]);
        assert_memory_equal(s, strs[r], len);
      }
      }
    }
  }
  segkit_table_free(t);
  segkit_workspace_close(ws);
}

/* The writer produces exactly the layout docs/workspace.md describes, byte for byte
 * (expected blobs written out from that description; the numeric ones checked with
 * Python's struct.pack('<q'/'<d'/'<i')). */
static void store_writes_documented_layout(void **state) {
  fixture *f = *state;
  const char *cols[] = {"id", "name", "score", "flag", "day"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_FLOAT64,
                         SEGKIT_TYPE_BOOL, SEGKIT_TYPE_DATE};
  segkit_table_builder *b = builder(5, cols, types);
  add_i64(b, 0, 1);
  add_str(b, 1, "a");
  segkit_column_append_float64(segkit_table_builder_column(b, 2), 0.5);
  segkit_column_append_bool(segkit_table_builder_column(b, 3), true);
  segkit_column_append_date(segkit_table_builder_column(b, 4), 19000);
  add_i64(b, 0, -2);
  add_null(b, 1);
  segkit_column_append_float64(segkit_table_builder_column(b, 2), 1.5);
  segkit_column_append_bool(segkit_table_builder_column(b, 3), false);
  segkit_column_append_date(segkit_table_builder_column(b, 4), -1);
  add_i64(b, 0, 3);
  add_str(b, 1, "ccc");
  add_null(b, 2);
  add_null(b, 3);
  segkit_column_append_date(segkit_table_builder_column(b, 4), 0);
  segkit_table *t = finish(b);
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  import_ok(ws, "layout", SEGKIT_IMPORT_CREATE, NULL, t, NULL);
  segkit_table_free(t);
  segkit_workspace_close(ws);

  const char *q = "SELECT hex(data) || '/' || iif(validity IS NULL, 'NULL', hex(validity)) || "
                  "'/' || n_rows FROM chunks WHERE column_position = %d";
  char sql[256];
  const char *expected[] = {
      "0100000000000000FEFFFFFFFFFFFFFF0300000000000000/NULL/3",
      "000000000000000001000000/0500000000000000/3",
      "000000000000E03F000000000000F83F0000000000000000/0300000000000000/3",
      "010000/0300000000000000/3",
      "384A0000FFFFFFFF00000000/NULL/3",
  };
  for (int c = 0; c < 5; c++) {
    snprintf(sql, sizeof sql, q, c);
    assert_sql_text(f->path, sql, expected[c]);
  }
  assert_sql_text(f->path,
                  "SELECT n_entries || '/' || hex(ends) || '/' || hex(bytes) FROM dict_pieces",
                  "2/0200000006000000/610063636300");
  assert_sql_text(f->path,
                  "SELECT group_concat(name || ':' || type, ',') FROM (SELECT name, type FROM "
                  "dataset_columns ORDER BY position)",
                  "id:int64,name:string,score:float64,flag:bool,day:date");
}

/* 2.5 M rows: three chunks per column, nulls on both sides of each chunk boundary, a
 * row count that is not a multiple of 64. Every value is a formula of its row. */
#define BIG_ROWS ((size_t)2500013)

static bool big_null(size_t i) {
  return i == 0 || i == 63 || i == 64 || i == 1048575 || i == 1048576 || i == 1048577 ||
         i == 2097151 || i == 2097152 || i == BIG_ROWS - 1 || i % 101 == 7;
}

static void big_label(size_t i, char *buf) {
  snprintf(buf, 16, "c%05zu", (i * 7919) % 20000);
}

static void store_round_trip_multi_chunk(void **state) {
  fixture *f = *state;
  const char *names[] = {"id", "amount", "label", "flag", "day"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING,
                         SEGKIT_TYPE_BOOL, SEGKIT_TYPE_DATE};
  segkit_table_builder *b = builder(5, names, types);
  segkit_column_builder *c[5];
  for (size_t k = 0; k < 5; k++) {
    c[k] = segkit_table_builder_column(b, k);
  }
  char label[16];
  for (size_t i = 0; i < BIG_ROWS; i++) {
    segkit_column_append_int64(c[0], (int64_t)i * 3 - 7);
    if (big_null(i)) {
      segkit_column_append_null(c[1]);
      segkit_column_append_null(c[2]);
    } else {
      segkit_column_append_float64(c[1], (double)i * 0.25);
      big_label(i, label);
      segkit_column_append_string(c[2], label, strlen(label));
    }
    segkit_column_append_bool(c[3], i % 3 == 0);
    segkit_column_append_date(c[4], (int32_t)(i % 40000) - 20000);
  }
  segkit_table *t = finish(b);
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  import_ok(ws, "big", SEGKIT_IMPORT_CREATE, "id", t, NULL);
  segkit_table_free(t);
  t = load_ok(ws, "big");
  segkit_workspace_close(ws);

  assert_int_equal(segkit_table_n_rows(t), BIG_ROWS);
  const int64_t *ids = segkit_column_int64(segkit_table_column(t, 0));
  const segkit_column *amount = segkit_table_column(t, 1);
  const double *amounts = segkit_column_float64(amount);
  const segkit_column *labels = segkit_table_column(t, 2);
  const uint8_t *flags = segkit_column_bool(segkit_table_column(t, 3));
  const int32_t *days = segkit_column_date(segkit_table_column(t, 4));
  size_t mismatches = 0;
  for (size_t i = 0; i < BIG_ROWS; i++) {
    bool ok = ids[i] == (int64_t)i * 3 - 7 && flags[i] == (i % 3 == 0) &&
              days[i] == (int32_t)(i % 40000) - 20000 &&
              segkit_column_is_valid(amount, i) == !big_null(i) &&
              segkit_column_is_valid(labels, i) == !big_null(i);
    if (ok && !big_null(i)) {
      size_t len = 0;
      const char *s = str_at(labels, i, &len);
      big_label(i, label);
      ok = amounts[i] == (double)i * 0.25 && len == strlen(label) && memcmp(s, label, len) == 0;
    }
    mismatches += !ok;
  }
  assert_int_equal(mismatches, 0);
  assert_int_equal(segkit_column_dict_size(labels), 20000);
  segkit_table_free(t);

  /* Three chunks per column, the last one partial; the string dictionary stored once. */
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chunks WHERE column_position = 0"), 3);
  assert_int_equal(sql_int(f->path, "SELECT n_rows FROM chunks WHERE column_position = 0 AND "
                                    "chunk_index = 2"),
                   (int64_t)(BIG_ROWS - 2 * 1048576));
  assert_int_equal(sql_int(f->path, "SELECT length(data) FROM chunks WHERE column_position = 0 "
                                    "AND chunk_index = 0"),
                   8 * 1048576);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chunks WHERE column_position = 0 AND "
                                    "validity IS NOT NULL"),
                   0);
  assert_int_equal(sql_int(f->path, "SELECT sum(n_entries) FROM dict_pieces"), 20000);
  assert_int_equal(sql_int(f->path, "SELECT length(bytes) FROM dict_pieces"), 20000 * 7);
}

/* ======================================================================================
 * Import modes
 * ==================================================================================== */

static void store_append_merges_batches(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids1[] = {1, 2, 3};
  const char *names1[] = {"ann", NULL, "bob"};
  int64_t ids2[] = {4, 5, 6, 7};
  const char *names2[] = {"cy", "bob", NULL, "ann"};
  segkit_table *t1 = id_name_table(3, ids1, names1);
  segkit_table *t2 = id_name_table(4, ids2, names2);
  segkit_import_outcome oc;
  import_ok(ws, "people", SEGKIT_IMPORT_APPEND, NULL, t1, &oc); /* creates it */
  assert_int_equal(oc.dataset_rows, 3);
  int64_t first_batch = oc.batch_id;
  import_ok(ws, "people", SEGKIT_IMPORT_APPEND, NULL, t2, &oc);
  assert_int_equal(oc.rows_added, 4);
  assert_int_equal(oc.rows_replaced, 0);
  assert_int_equal(oc.dataset_rows, 7);
  assert_true(oc.batch_id > first_batch);

  segkit_table *t = load_ok(ws, "people");
  int64_t ids[] = {1, 2, 3, 4, 5, 6, 7};
  const char *names[] = {"ann", NULL, "bob", "cy", "bob", NULL, "ann"};
  assert_id_name(t, 7, ids, names);
  /* The merged dictionary holds each distinct string once. */
  assert_int_equal(segkit_column_dict_size(segkit_table_column(t, 1)), 3);
  segkit_table_free(t);

  segkit_dataset_list *info = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_dataset_info(ws, "people", &info, &err), SEGKIT_OK);
  assert_int_equal(info->n, 1);
  assert_string_equal(info->items[0].name, "people");
  assert_int_equal(info->items[0].n_rows, 7);
  assert_int_equal(info->items[0].n_cols, 2);
  assert_int_equal(info->items[0].n_batches, 2);
  assert_int_equal(info->items[0].n_quarantined, 0);
  assert_string_equal(info->items[0].source, "test.csv");
  assert_null(info->items[0].key);
  assert_true(info->items[0].imported_at_us >= info->items[0].created_at_us);
  assert_true(info->items[0].created_at_us > INT64_C(1600000000000000));
  segkit_dataset_list_free(info);
  assert_int_equal(segkit_workspace_dataset_info(ws, "nobody", &info, &err),
                   SEGKIT_ERR_NOT_FOUND);
  segkit_table_free(t1);
  segkit_table_free(t2);
  segkit_workspace_close(ws);
}

static void store_append_schema_mismatch(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids[] = {1};
  const char *names[] = {"x"};
  segkit_table *t = id_name_table(1, ids, names);
  import_ok(ws, "people", SEGKIT_IMPORT_CREATE, NULL, t, NULL);

  /* Same names, second column int64 instead of string. */
  const char *cols[] = {"id", "name"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64};
  segkit_table_builder *b = builder(2, cols, types);
  add_i64(b, 0, 2);
  add_i64(b, 1, 3);
  segkit_table *wrong_type = finish(b);
  segkit_error err;
  segkit_import_outcome oc = {.batch_id = -5};
  assert_int_equal(import(ws, "people", SEGKIT_IMPORT_APPEND, NULL, wrong_type, &oc, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.message,
                      "column 2 'name' is string in dataset 'people' but int64 in the "
                      "imported data");
  assert_string_equal(err.field, "name");
  assert_int_equal(oc.batch_id, -5); /* outcome untouched on failure */

  /* A renamed column. */
  const char *cols2[] = {"id", "full_name"};
  segkit_type types2[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};
  b = builder(2, cols2, types2);
  add_i64(b, 0, 2);
  add_str(b, 1, "y");
  segkit_table *renamed = finish(b);
  assert_int_equal(import(ws, "people", SEGKIT_IMPORT_UPSERT, "id", renamed, &oc, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.message,
                      "column 2 is 'name' in dataset 'people' but 'full_name' in the imported "
                      "data");

  /* One column fewer. */
  const char *cols3[] = {"id"};
  b = builder(1, cols3, types);
  add_i64(b, 0, 2);
  segkit_table *fewer = finish(b);
  assert_int_equal(import(ws, "people", SEGKIT_IMPORT_APPEND, NULL, fewer, &oc, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_non_null(strstr(err.message, "column 2 'name' (string) is missing"));

  /* Nothing changed. */
  segkit_table *back = load_ok(ws, "people");
  assert_id_name(back, 1, ids, names);
  segkit_table_free(back);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM batches"), 1);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit"), 1);
  segkit_table_free(t);
  segkit_table_free(wrong_type);
  segkit_table_free(renamed);
  segkit_table_free(fewer);
  segkit_workspace_close(ws);
}

static void store_create_refuses_existing(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids[] = {1};
  const char *names[] = {"x"};
  segkit_table *t = id_name_table(1, ids, names);
  import_ok(ws, "people", SEGKIT_IMPORT_CREATE, NULL, t, NULL);
  segkit_error err;
  segkit_import_outcome oc;
  assert_int_equal(import(ws, "people", SEGKIT_IMPORT_CREATE, NULL, t, &oc, &err),
                   SEGKIT_ERR_EXISTS);
  assert_non_null(strstr(err.message, "dataset 'people' already exists"));
  segkit_table_free(t);
  segkit_workspace_close(ws);
}

/* Upsert counted by hand:
 *   stored  (1 ann) (2 bob) (3 cy) (4 dee) (5 eve)
 *   new     (4 DEE) (6 fay) (2 BOB) (7 gus)
 *   -> replaced 2 (keys 2 and 4), added 2 (6 and 7), 7 rows:
 *      (1 ann) (3 cy) (5 eve) (4 DEE) (6 fay) (2 BOB) (7 gus). */
static void store_upsert_counts(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids1[] = {1, 2, 3, 4, 5};
  const char *names1[] = {"ann", "bob", "cy", "dee", "eve"};
  int64_t ids2[] = {4, 6, 2, 7};
  const char *names2[] = {"DEE", "fay", "BOB", "gus"};
  segkit_table *t1 = id_name_table(5, ids1, names1);
  segkit_table *t2 = id_name_table(4, ids2, names2);
  segkit_import_outcome oc;
  import_ok(ws, "people", SEGKIT_IMPORT_CREATE, "id", t1, &oc);
  import_ok(ws, "people", SEGKIT_IMPORT_UPSERT, "id", t2, &oc);
  assert_int_equal(oc.rows_replaced, 2);
  assert_int_equal(oc.rows_added, 2);
  assert_int_equal(oc.dataset_rows, 7);
  segkit_table *t = load_ok(ws, "people");
  int64_t ids[] = {1, 3, 5, 4, 6, 2, 7};
  const char *names[] = {"ann", "cy", "eve", "DEE", "fay", "BOB", "gus"};
  assert_id_name(t, 7, ids, names);
  segkit_table_free(t);

  /* A second upsert touching both batches, key taken from the dataset (none given):
   *   new (1 ANN) (7 GUS) (8 hal) -> replaced 2, added 1, 8 rows. */
  int64_t ids3[] = {1, 7, 8};
  const char *names3[] = {"ANN", "GUS", "hal"};
  segkit_table *t3 = id_name_table(3, ids3, names3);
  import_ok(ws, "people", SEGKIT_IMPORT_UPSERT, NULL, t3, &oc);
  assert_int_equal(oc.rows_replaced, 2);
  assert_int_equal(oc.rows_added, 1);
  assert_int_equal(oc.dataset_rows, 8);
  t = load_ok(ws, "people");
  int64_t ids_b[] = {3, 5, 4, 6, 2, 1, 7, 8};
  const char *names_b[] = {"cy", "eve", "DEE", "fay", "BOB", "ANN", "GUS", "hal"};
  assert_id_name(t, 8, ids_b, names_b);
  segkit_table_free(t);
  /* Each batch keeps its identity; live rows per batch: (3 5), (4 6 2), (1 7 8). */
  assert_int_equal(sql_int(f->path, "SELECT group_concat(n_rows, ',') = '2,3,3' FROM "
                                    "(SELECT n_rows FROM batches ORDER BY seq)"),
                   1);
  assert_int_equal(sql_int(f->path, "SELECT group_concat(n_imported, ',') = '5,4,3' FROM "
                                    "(SELECT n_imported FROM batches ORDER BY seq)"),
                   1);
  segkit_table_free(t1);
  segkit_table_free(t2);
  segkit_table_free(t3);
  segkit_workspace_close(ws);
}

/* String keys, and an upsert that replaces every stored row of a batch. */
static void store_upsert_string_keys(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  const char *cols[] = {"customer", "plan"};
  segkit_type types[] = {SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING};
  const char *rows1[][2] = {{"c-1", "free"}, {"c-2", "pro"}, {"c-3", "free"}};
  const char *rows2[][2] = {{"c-2", "team"}, {"c-4", "pro"}};
  const char *rows3[][2] = {{"c-2", "free"}, {"c-4", "free"}, {"c-1", "pro"}, {"c-3", "pro"}};
  segkit_table *ts[3];
  const char *(*rows[3])[2] = {rows1, rows2, rows3};
  size_t counts[3] = {3, 2, 4};
  for (size_t k = 0; k < 3; k++) {
    segkit_table_builder *b = builder(2, cols, types);
    for (size_t i = 0; i < counts[k]; i++) {
      add_str(b, 0, rows[k][i][0]);
      add_str(b, 1, rows[k][i][1]);
    }
    ts[k] = finish(b);
  }
  segkit_import_outcome oc;
  import_ok(ws, "subs", SEGKIT_IMPORT_UPSERT, "customer", ts[0], &oc); /* creates, keyed */
  assert_int_equal(oc.rows_added, 3);
  import_ok(ws, "subs", SEGKIT_IMPORT_UPSERT, "customer", ts[1], &oc);
  assert_int_equal(oc.rows_replaced, 1);
  assert_int_equal(oc.rows_added, 1);
  import_ok(ws, "subs", SEGKIT_IMPORT_UPSERT, "customer", ts[2], &oc);
  assert_int_equal(oc.rows_replaced, 4);
  assert_int_equal(oc.rows_added, 0);
  assert_int_equal(oc.dataset_rows, 4);
  segkit_table *t = load_ok(ws, "subs");
  assert_int_equal(segkit_table_n_rows(t), 4);
  for (size_t i = 0; i < 4; i++) {
    assert_str_at(segkit_table_column(t, 0), i, rows3[i][0]);
    assert_str_at(segkit_table_column(t, 1), i, rows3[i][1]);
  }
  segkit_table_free(t);
  /* The emptied batches stay in the history with no rows and no chunks. */
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM batches WHERE n_rows = 0"), 2);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chunks c JOIN batches b ON "
                                    "b.id = c.batch_id WHERE b.n_rows = 0"),
                   0);
  for (size_t k = 0; k < 3; k++) {
    segkit_table_free(ts[k]);
  }
  segkit_workspace_close(ws);
}

static void store_key_errors(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  segkit_error err;
  segkit_import_outcome oc;

  /* Duplicate key inside the new rows: both rows named (1-based). */
  int64_t dup_ids[] = {10, 11, 12, 11};
  const char *dup_names[] = {"a", "b", "c", "d"};
  segkit_table *dup = id_name_table(4, dup_ids, dup_names);
  assert_int_equal(import(ws, "p", SEGKIT_IMPORT_UPSERT, "id", dup, &oc, &err),
                   SEGKIT_ERR_EXISTS);
  assert_string_equal(err.message, "duplicate key 11 in rows 2 and 4 of the imported data (key "
                                   "column 'id')");
  assert_int_equal(import(ws, "p", SEGKIT_IMPORT_CREATE, "id", dup, &oc, &err),
                   SEGKIT_ERR_EXISTS);
  /* ... and by string key. */
  int64_t ids[] = {1, 2, 3};
  const char *names[] = {"x", "y", "x"};
  segkit_table *dup_s = id_name_table(3, ids, names);
  assert_int_equal(import(ws, "p", SEGKIT_IMPORT_CREATE, "name", dup_s, &oc, &err),
                   SEGKIT_ERR_EXISTS);
  assert_string_equal(err.message, "duplicate key 'x' in rows 1 and 3 of the imported data "
                                   "(key column 'name')");
  /* A null key. */
  const char *null_names[] = {"x", NULL, "z"};
  segkit_table *nulls = id_name_table(3, ids, null_names);
  assert_int_equal(import(ws, "p", SEGKIT_IMPORT_CREATE, "name", nulls, &oc, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_non_null(strstr(err.message, "empty in row 2"));
  /* Missing key column, and upsert without any key. */
  assert_int_equal(import(ws, "p", SEGKIT_IMPORT_CREATE, "nope", dup, &oc, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_int_equal(import(ws, "p", SEGKIT_IMPORT_UPSERT, NULL, dup, &oc, &err),
                   SEGKIT_ERR_USAGE);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM datasets"), 0);

  /* APPEND with a key refuses keys that are stored already. */
  import_ok(ws, "p", SEGKIT_IMPORT_CREATE, "id", dup_s, &oc);
  int64_t more_ids[] = {4, 3};
  const char *more_names[] = {"q", "r"};
  segkit_table *more = id_name_table(2, more_ids, more_names);
  assert_int_equal(import(ws, "p", SEGKIT_IMPORT_APPEND, NULL, more, &oc, &err),
                   SEGKIT_ERR_EXISTS);
  assert_non_null(strstr(err.message, "key 3 in row 2 of the imported data is already in "
                                      "dataset 'p'"));
  /* A different key than the recorded one. */
  assert_int_equal(import(ws, "p", SEGKIT_IMPORT_UPSERT, "name", more, &oc, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.message, "dataset 'p' is keyed by 'id', not 'name'");

  /* Keying a dataset that had no key checks its stored rows too. */
  import_ok(ws, "q", SEGKIT_IMPORT_CREATE, NULL, dup_s, &oc);
  int64_t new_ids[] = {9};
  const char *new_names[] = {"w"};
  segkit_table *one = id_name_table(1, new_ids, new_names);
  assert_int_equal(import(ws, "q", SEGKIT_IMPORT_APPEND, "name", one, &oc, &err),
                   SEGKIT_ERR_EXISTS);
  assert_string_equal(err.message, "cannot key dataset 'q' by 'name': stored rows 1 and 3 "
                                   "share the key 'x'");
  import_ok(ws, "q", SEGKIT_IMPORT_APPEND, "id", one, &oc);
  segkit_dataset_list *info = NULL;
  assert_int_equal(segkit_workspace_dataset_info(ws, "q", &info, &err), SEGKIT_OK);
  assert_string_equal(info->items[0].key, "id");
  segkit_dataset_list_free(info);

  /* A float key is refused. */
  const char *fcols[] = {"f"};
  segkit_type ftypes[] = {SEGKIT_TYPE_FLOAT64};
  segkit_table_builder *b = builder(1, fcols, ftypes);
  segkit_column_append_float64(segkit_table_builder_column(b, 0), 1.5);
  segkit_table *ft = finish(b);
  assert_int_equal(import(ws, "r", SEGKIT_IMPORT_CREATE, "f", ft, &oc, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_non_null(strstr(err.message, "is float64"));

  segkit_table_free(dup);
  segkit_table_free(dup_s);
  segkit_table_free(nulls);
  segkit_table_free(more);
  segkit_table_free(one);
  segkit_table_free(ft);
  segkit_workspace_close(ws);
}

/* Integer keys that are not increasing take the sorting path: spread 64-bit values,
 * negative ones, the extremes; the repeated key reported is the smallest one. */
static uint64_t spread(uint64_t z) {
  z += UINT64_C(0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static segkit_table *int_key_table(segkit_type type, size_t n, const int64_t *keys) {
  const char *cols[] = {"k"};
  segkit_table_builder *b = builder(1, cols, &type);
  for (size_t i = 0; i < n; i++) {
    segkit_column_builder *cb = segkit_table_builder_column(b, 0);
    if (type == SEGKIT_TYPE_DATE) {
      assert_int_equal(segkit_column_append_date(cb, (int32_t)keys[i]), SEGKIT_OK);
    } else {
      assert_int_equal(segkit_column_append_int64(cb, keys[i]), SEGKIT_OK);
    }
  }
  return finish(b);
}

static void store_key_sorting_paths(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  segkit_error err;
  segkit_import_outcome oc;
  size_t n = 100000;
  int64_t *keys = malloc(n * sizeof *keys);
  for (size_t i = 0; i < n; i++) {
    keys[i] = (int64_t)spread(i); /* distinct: spread() is a bijection */
  }
  keys[10] = INT64_MIN;
  keys[20] = INT64_MAX;
  keys[30] = -1;
  keys[40] = 0;
  segkit_table *t = int_key_table(SEGKIT_TYPE_INT64, n, keys);
  import_ok(ws, "spread", SEGKIT_IMPORT_CREATE, "k", t, NULL);
  segkit_table_free(t);

  /* Two repeats: -5 (rows 778 and 54322) and 7 (rows 3 and 99999); -5 is reported. */
  keys[2] = 7;
  keys[99998] = 7;
  keys[777] = -5;
  keys[54321] = -5;
  t = int_key_table(SEGKIT_TYPE_INT64, n, keys);
  assert_int_equal(import(ws, "spread2", SEGKIT_IMPORT_CREATE, "k", t, &oc, &err),
                   SEGKIT_ERR_EXISTS);
  assert_string_equal(err.message, "duplicate key -5 in rows 778 and 54322 of the imported "
                                   "data (key column 'k')");
  segkit_table_free(t);

  /* Timestamp and date keys name their value as a time (checked with Python datetime). */
  int64_t stamps[] = {1700000000000000, 1600000000000000, 1700000000000000};
  t = int_key_table(SEGKIT_TYPE_TIMESTAMP, 3, stamps);
  assert_int_equal(import(ws, "ts", SEGKIT_IMPORT_CREATE, "k", t, &oc, &err), SEGKIT_ERR_EXISTS);
  assert_string_equal(err.message, "duplicate key 2023-11-14T22:13:20Z in rows 1 and 3 of the "
                                   "imported data (key column 'k')");
  segkit_table_free(t);
  int64_t days[] = {19000, 19001, 18999, 19001};
  t = int_key_table(SEGKIT_TYPE_DATE, 4, days);
  assert_int_equal(import(ws, "d", SEGKIT_IMPORT_CREATE, "k", t, &oc, &err), SEGKIT_ERR_EXISTS);
  assert_string_equal(err.message, "duplicate key 2022-01-09 in rows 2 and 4 of the imported "
                                   "data (key column 'k')");
  segkit_table_free(t);

  /* Upsert of out-of-order keys into the spread dataset: 3 stored keys (one of them
   * INT64_MIN) replaced, 2 new. */
  int64_t up[] = {keys[500], 42424242, INT64_MIN, keys[99990], 17};
  t = int_key_table(SEGKIT_TYPE_INT64, 5, up);
  import_ok(ws, "spread", SEGKIT_IMPORT_UPSERT, NULL, t, &oc);
  assert_int_equal(oc.rows_replaced, 3);
  assert_int_equal(oc.rows_added, 2);
  assert_int_equal(oc.dataset_rows, (int64_t)n + 2);
  segkit_table_free(t);
  t = load_ok(ws, "spread");
  const int64_t *got = segkit_column_int64(segkit_table_column(t, 0));
  assert_int_equal(got[0], keys[0]);
  assert_int_equal(got[9], keys[9]);
  assert_int_equal(got[10], keys[11]); /* INT64_MIN moved to the new rows */
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(got[n - 3 + i], up[i]);
  }
  segkit_table_free(t);
  free(keys);
  segkit_workspace_close(ws);
}

static void store_replace(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids[] = {1, 2, 3};
  const char *names[] = {"a", "b", "c"};
  segkit_table *t1 = id_name_table(3, ids, names);
  segkit_reject rej = {.line = 4, .column = 1, .reason = SEGKIT_REJECT_BAD_VALUE,
                       .message = "bad", .raw = "x,y", .raw_len = 3};
  segkit_import_request req = {.dataset = "p", .mode = SEGKIT_IMPORT_CREATE, .key = "id",
                               .table = t1, .rejects = &rej, .n_rejects = 1};
  segkit_import_outcome oc;
  segkit_error err;
  assert_int_equal(segkit_workspace_import(ws, &req, &oc, &err), SEGKIT_OK);
  int64_t created = 0;
  {
    segkit_dataset_list *info = NULL;
    assert_int_equal(segkit_workspace_dataset_info(ws, "p", &info, &err), SEGKIT_OK);
    created = info->items[0].created_at_us;
    segkit_dataset_list_free(info);
  }
  /* A different schema is fine with REPLACE. */
  const char *cols[] = {"when", "score"};
  segkit_type types[] = {SEGKIT_TYPE_DATE, SEGKIT_TYPE_FLOAT64};
  segkit_table_builder *b = builder(2, cols, types);
  segkit_column_append_date(segkit_table_builder_column(b, 0), 19000);
  segkit_column_append_float64(segkit_table_builder_column(b, 1), 2.5);
  segkit_table *t2 = finish(b);
  import_ok(ws, "p", SEGKIT_IMPORT_REPLACE, NULL, t2, &oc);
  assert_int_equal(oc.rows_added, 1);
  assert_int_equal(oc.rows_replaced, 3);
  assert_int_equal(oc.dataset_rows, 1);
  segkit_table *t = load_ok(ws, "p");
  assert_int_equal(segkit_table_n_rows(t), 1);
  assert_int_equal(segkit_table_n_cols(t), 2);
  assert_string_equal(segkit_column_name(segkit_table_column(t, 0)), "when");
  assert_int_equal(segkit_column_date(segkit_table_column(t, 0))[0], 19000);
  assert_true(segkit_column_float64(segkit_table_column(t, 1))[0] == 2.5);
  segkit_table_free(t);
  segkit_dataset_list *info = NULL;
  assert_int_equal(segkit_workspace_dataset_info(ws, "p", &info, &err), SEGKIT_OK);
  assert_int_equal(info->items[0].n_batches, 1);
  assert_int_equal(info->items[0].n_quarantined, 0);
  assert_null(info->items[0].key);
  assert_int_equal(info->items[0].created_at_us, created);
  segkit_dataset_list_free(info);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chunks"), 2);
  segkit_table_free(t1);
  segkit_table_free(t2);
  segkit_workspace_close(ws);
}

/* A failure after rows were written (an invalid reject at the end) leaves nothing. */
static void store_import_rolls_back(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids[] = {1, 2};
  const char *names[] = {"a", "b"};
  segkit_table *t = id_name_table(2, ids, names);
  import_ok(ws, "p", SEGKIT_IMPORT_CREATE, NULL, t, NULL);
  segkit_reject rej[2] = {
      {.line = 2, .reason = SEGKIT_REJECT_BAD_QUOTE, .message = "m", .raw = "r", .raw_len = 1},
      {.line = 3, .reason = (segkit_reject_reason)99, .message = "m", .raw = "r", .raw_len = 1}};
  segkit_import_request req = {.dataset = "p", .mode = SEGKIT_IMPORT_APPEND, .table = t,
                               .rejects = rej, .n_rejects = 2};
  segkit_import_outcome oc = {0};
  segkit_error err;
  assert_int_equal(segkit_workspace_import(ws, &req, &oc, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "rejected row 2 has an unknown reason"));
  req.mode = SEGKIT_IMPORT_CREATE;
  req.dataset = "fresh";
  assert_int_equal(segkit_workspace_import(ws, &req, &oc, &err), SEGKIT_ERR_USAGE);
  /* The workspace is as after the first import, and usable. */
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM batches"), 1);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chunks"), 2);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM quarantine"), 0);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM datasets"), 1);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit"), 1);
  import_ok(ws, "p", SEGKIT_IMPORT_APPEND, NULL, t, &oc);
  assert_int_equal(oc.dataset_rows, 4);
  segkit_table_free(t);
  segkit_workspace_close(ws);
}

static void store_dataset_names(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids[] = {1};
  const char *names[] = {"a"};
  segkit_table *t = id_name_table(1, ids, names);
  const char *bad[] = {"", "a b", "x;drop", "caf\xc3\xa9", "a/b", "a.b",
                       "12345678901234567890123456789012345678901234567890123456789012345"};
  segkit_error err;
  segkit_import_outcome oc;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(import(ws, bad[i], SEGKIT_IMPORT_CREATE, NULL, t, &oc, &err),
                     SEGKIT_ERR_USAGE);
    assert_string_equal(err.field, "dataset");
  }
  assert_int_equal(import(ws, NULL, SEGKIT_IMPORT_CREATE, NULL, t, &oc, &err), SEGKIT_ERR_USAGE);
  import_ok(ws, "1234567890123456789012345678901234567890123456789012345678901234",
            SEGKIT_IMPORT_CREATE, NULL, t, NULL);
  import_ok(ws, "Tx_2024-01", SEGKIT_IMPORT_CREATE, NULL, t, NULL);
  segkit_table *out = NULL;
  assert_int_equal(segkit_workspace_load(ws, "a b", &out, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_workspace_load(ws, "missing", &out, &err), SEGKIT_ERR_NOT_FOUND);
  assert_string_equal(err.message, "no dataset named 'missing' in the workspace");
  segkit_table_free(t);
  segkit_workspace_close(ws);
}

/* A zero-row import (every row rejected) still creates the dataset with its schema. */
static void store_empty_import(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  segkit_table *t = id_name_table(0, NULL, NULL);
  import_ok(ws, "empty", SEGKIT_IMPORT_CREATE, "id", t, NULL);
  segkit_table *back = load_ok(ws, "empty");
  assert_int_equal(segkit_table_n_rows(back), 0);
  assert_int_equal(segkit_table_n_cols(back), 2);
  assert_int_equal(segkit_column_type(segkit_table_column(back, 1)), SEGKIT_TYPE_STRING);
  segkit_table_free(back);
  /* Appending to it works, and the first batch with rows sets the dictionary. */
  int64_t ids[] = {5};
  const char *names[] = {"five"};
  segkit_table *one = id_name_table(1, ids, names);
  import_ok(ws, "empty", SEGKIT_IMPORT_APPEND, NULL, one, NULL);
  back = load_ok(ws, "empty");
  assert_id_name(back, 1, ids, names);
  segkit_table_free(back);
  segkit_table_free(one);
  segkit_table_free(t);
  segkit_workspace_close(ws);
}

/* ======================================================================================
 * Quarantine, audit, drop
 * ==================================================================================== */

static void store_quarantine_raw_bytes(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids[] = {1};
  const char *names[] = {"a"};
  segkit_table *t = id_name_table(1, ids, names);
  static const char raw0[] = "7,\xff\xfe\xc3(,\"unterminated\r\n";
  static const char raw1[] = "nul\0inside,\xe2\x82"; /* embedded NUL, truncated UTF-8 */
  segkit_reject rej[3] = {
      {.line = 3, .column = 3, .field = "name", .reason = SEGKIT_REJECT_BAD_UTF8,
       .message = "bytes that are not UTF-8", .raw = raw0, .raw_len = sizeof raw0 - 1},
      {.line = 9, .column = 0, .field = NULL, .reason = SEGKIT_REJECT_TOO_MANY_FIELDS,
       .message = "3 fields (expected 2)", .raw = raw1, .raw_len = sizeof raw1 - 1},
      {.line = 12, .column = 1, .field = "id", .reason = SEGKIT_REJECT_BAD_VALUE,
       .message = "empty row", .raw = NULL, .raw_len = 0}};
  segkit_read_counts counts = {.rows_read = 4, .rows_imported = 1, .rows_rejected = 3};
  counts.rejected_by_reason[SEGKIT_REJECT_BAD_UTF8] = 1;
  counts.rejected_by_reason[SEGKIT_REJECT_TOO_MANY_FIELDS] = 1;
  counts.rejected_by_reason[SEGKIT_REJECT_BAD_VALUE] = 1;
  segkit_import_request req = {.dataset = "p", .mode = SEGKIT_IMPORT_CREATE, .table = t,
                               .rejects = rej, .n_rejects = 3, .counts = &counts,
                               .source = "in.csv"};
  segkit_import_outcome oc;
  segkit_error err;
  assert_int_equal(segkit_workspace_import(ws, &req, &oc, &err), SEGKIT_OK);
  assert_int_equal(oc.rows_quarantined, 3);

  segkit_quarantine_list *q = NULL;
  assert_int_equal(segkit_workspace_quarantine(ws, "p", 0, &q, &err), SEGKIT_OK);
  assert_int_equal(q->n, 3);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(q->items[i].batch_id, oc.batch_id);
    assert_int_equal(q->items[i].line, rej[i].line);
    assert_int_equal(q->items[i].column, rej[i].column);
    assert_string_equal(q->items[i].message, rej[i].message);
    assert_int_equal(q->items[i].raw_len, rej[i].raw_len);
    assert_memory_equal(q->items[i].raw, rej[i].raw != NULL ? rej[i].raw : "", rej[i].raw_len);
    assert_int_equal(q->items[i].raw[q->items[i].raw_len], '\0');
  }
  assert_string_equal(q->items[0].field, "name");
  assert_null(q->items[1].field);
  assert_string_equal(q->items[0].reason, "bad_utf8");
  assert_string_equal(q->items[1].reason, "too_many_fields");
  assert_string_equal(q->items[2].reason, "bad_value");
  segkit_quarantine_list_free(q);
  assert_int_equal(segkit_workspace_quarantine(ws, "p", 2, &q, &err), SEGKIT_OK);
  assert_int_equal(q->n, 2);
  assert_int_equal(q->items[1].line, 9);
  segkit_quarantine_list_free(q);
  assert_int_equal(segkit_workspace_quarantine(ws, "nope", 0, &q, &err), SEGKIT_ERR_NOT_FOUND);
  /* The bytes in the file are a BLOB, exactly the raw row. */
  assert_int_equal(sql_int(f->path, "SELECT typeof(raw) = 'blob' AND raw = "
                                    "x'372CFFFEC3282C22756E7465726D696E617465640D0A' FROM "
                                    "quarantine WHERE line = 3"),
                   1);
  segkit_table_free(t);
  segkit_workspace_close(ws);
}

static json_t *parse_json(const char *text) {
  json_error_t jerr;
  json_t *j = json_loads(text, 0, &jerr);
  if (j == NULL) {
    fail_msg("bad JSON %s: %s", text, jerr.text);
  }
  return j;
}

static int64_t json_int_at(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  assert_true(json_is_integer(v));
  return json_integer_value(v);
}

static void store_audit_entries(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids[] = {1, 2};
  const char *names[] = {"a", "b"};
  segkit_table *t = id_name_table(2, ids, names);
  segkit_read_counts counts = {.rows_read = 5, .rows_imported = 2, .rows_rejected = 3,
                               .bytes_read = 120};
  counts.rejected_by_reason[SEGKIT_REJECT_BAD_VALUE] = 2;
  counts.rejected_by_reason[SEGKIT_REJECT_TOO_FEW_FIELDS] = 1;
  segkit_import_request req = {.dataset = "tx", .mode = SEGKIT_IMPORT_APPEND, .key = "id",
                               .table = t, .counts = &counts, .actor = "cli:alice",
                               .source = "bad\xffname.csv"};
  segkit_import_outcome oc;
  segkit_error err;
  assert_int_equal(segkit_workspace_import(ws, &req, &oc, &err), SEGKIT_OK);
  int64_t ids2[] = {2, 3};
  segkit_table *t2 = id_name_table(2, ids2, names);
  req.mode = SEGKIT_IMPORT_UPSERT;
  req.counts = NULL;
  req.actor = NULL;
  req.table = t2;
  req.source = "more.csv";
  assert_int_equal(segkit_workspace_set_actor(ws, "cli:bob", &err), SEGKIT_OK);
  assert_int_equal(segkit_workspace_import(ws, &req, &oc, &err), SEGKIT_OK);
  assert_int_equal(segkit_workspace_drop(ws, "tx", &err), SEGKIT_OK);

  segkit_audit_list *log = NULL;
  assert_int_equal(segkit_workspace_audit(ws, 0, &log, &err), SEGKIT_OK);
  assert_int_equal(log->n, 3);
  /* Newest first: drop, upsert, append. */
  assert_string_equal(log->items[0].action, "drop");
  assert_string_equal(log->items[0].actor, "cli:bob");
  assert_string_equal(log->items[0].target, "tx");
  json_t *d = parse_json(log->items[0].detail_json);
  assert_int_equal(json_int_at(d, "rows"), 3);
  assert_int_equal(json_int_at(d, "batches"), 2);
  assert_int_equal(json_int_at(d, "quarantined"), 0);
  json_decref(d);

  assert_string_equal(log->items[1].action, "import");
  assert_string_equal(log->items[1].actor, "cli:bob");
  d = parse_json(log->items[1].detail_json);
  assert_string_equal(json_string_value(json_object_get(d, "mode")), "upsert");
  assert_string_equal(json_string_value(json_object_get(d, "key")), "id");
  assert_int_equal(json_int_at(d, "rows_added"), 1);
  assert_int_equal(json_int_at(d, "rows_replaced"), 1);
  assert_int_equal(json_int_at(d, "dataset_rows"), 3);
  assert_int_equal(json_int_at(d, "batch_id"), oc.batch_id);
  assert_null(json_object_get(d, "read"));
  json_decref(d);

  assert_string_equal(log->items[2].actor, "cli:alice");
  d = parse_json(log->items[2].detail_json);
  assert_string_equal(json_string_value(json_object_get(d, "mode")), "append");
  /* The invalid byte of the file name became U+FFFD. */
  assert_string_equal(json_string_value(json_object_get(d, "source")), "bad\xef\xbf\xbdname.csv");
  json_t *read = json_object_get(d, "read");
  assert_int_equal(json_int_at(read, "rows_read"), 5);
  assert_int_equal(json_int_at(read, "rows_imported"), 2);
  assert_int_equal(json_int_at(read, "rows_rejected"), 3);
  assert_int_equal(json_int_at(read, "bytes_read"), 120);
  json_t *by = json_object_get(read, "rejected_by_reason");
  assert_int_equal(json_int_at(by, "bad_value"), 2);
  assert_int_equal(json_int_at(by, "too_few_fields"), 1);
  assert_int_equal(json_int_at(by, "bad_json"), 0);
  json_decref(d);
  assert_true(log->items[0].at_us >= log->items[2].at_us);
  segkit_audit_list_free(log);

  assert_int_equal(segkit_workspace_audit(ws, 1, &log, &err), SEGKIT_OK);
  assert_int_equal(log->n, 1);
  assert_string_equal(log->items[0].action, "drop");
  segkit_audit_list_free(log);
  segkit_table_free(t);
  segkit_table_free(t2);
  segkit_workspace_close(ws);
}

static void store_drop(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids[] = {1, 2};
  const char *names[] = {"a", "b"};
  segkit_table *t = id_name_table(2, ids, names);
  segkit_reject rej = {.line = 2, .reason = SEGKIT_REJECT_BAD_VALUE, .message = "m",
                       .raw = "r", .raw_len = 1};
  segkit_import_request req = {.dataset = "gone", .mode = SEGKIT_IMPORT_APPEND, .table = t,
                               .rejects = &rej, .n_rejects = 1};
  segkit_import_outcome oc;
  segkit_error err;
  assert_int_equal(segkit_workspace_import(ws, &req, &oc, &err), SEGKIT_OK);
  assert_int_equal(segkit_workspace_import(ws, &req, &oc, &err), SEGKIT_OK);
  import_ok(ws, "kept", SEGKIT_IMPORT_CREATE, NULL, t, NULL);
  assert_int_equal(segkit_workspace_drop(ws, "gone", &err), SEGKIT_OK);
  assert_int_equal(segkit_workspace_drop(ws, "gone", &err), SEGKIT_ERR_NOT_FOUND);
  segkit_table *out = NULL;
  assert_int_equal(segkit_workspace_load(ws, "gone", &out, &err), SEGKIT_ERR_NOT_FOUND);
  segkit_dataset_list *list = NULL;
  assert_int_equal(segkit_workspace_list_datasets(ws, &list, &err), SEGKIT_OK);
  assert_int_equal(list->n, 1);
  assert_string_equal(list->items[0].name, "kept");
  segkit_dataset_list_free(list);
  segkit_workspace_close(ws);
  /* Everything of it went: batches, chunks, dictionaries, quarantine, schema. */
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM batches"), 1);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chunks"), 2);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM dict_pieces"), 1);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM quarantine"), 0);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM dataset_columns"), 2);
  /* What the sqlite3 shell user sees. */
  assert_int_equal(sql_int(f->path, "SELECT n_rows FROM datasets WHERE name = 'kept'"), 2);
  segkit_table_free(t);
}

/* Two handles on one file (as two processes would have): each sees what the other
 * committed. */
static void store_two_handles(void **state) {
  fixture *f = *state;
  segkit_workspace *a = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  segkit_workspace *b = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  segkit_workspace *r = open_ws(f->path, SEGKIT_WORKSPACE_READONLY);
  int64_t ids[] = {1, 2};
  const char *names[] = {"a", "b"};
  segkit_table *t = id_name_table(2, ids, names);
  import_ok(a, "one", SEGKIT_IMPORT_CREATE, NULL, t, NULL);
  segkit_table *back = load_ok(b, "one");
  assert_id_name(back, 2, ids, names);
  segkit_table_free(back);
  import_ok(b, "one", SEGKIT_IMPORT_APPEND, NULL, t, NULL);
  import_ok(b, "two", SEGKIT_IMPORT_CREATE, NULL, t, NULL);
  segkit_dataset_list *list = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_list_datasets(r, &list, &err), SEGKIT_OK);
  assert_int_equal(list->n, 2);
  assert_string_equal(list->items[0].name, "one");
  assert_int_equal(list->items[0].n_rows, 4);
  assert_string_equal(list->items[1].name, "two");
  segkit_dataset_list_free(list);
  assert_int_equal(segkit_workspace_drop(a, "two", &err), SEGKIT_OK);
  assert_int_equal(segkit_workspace_load(b, "two", &back, &err), SEGKIT_ERR_NOT_FOUND);
  segkit_table_free(t);
  segkit_workspace_close(r);
  segkit_workspace_close(b);
  segkit_workspace_close(a);
}

/* ======================================================================================
 * Read-only handles, damage
 * ==================================================================================== */

static void store_readonly_cannot_write(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids[] = {1};
  const char *names[] = {"a"};
  segkit_table *t = id_name_table(1, ids, names);
  import_ok(ws, "p", SEGKIT_IMPORT_CREATE, NULL, t, NULL);
  segkit_workspace_close(ws);

  ws = open_ws(f->path, SEGKIT_WORKSPACE_READONLY | SEGKIT_WORKSPACE_CREATE);
  segkit_error err;
  segkit_import_outcome oc;
  assert_int_equal(import(ws, "p", SEGKIT_IMPORT_APPEND, NULL, t, &oc, &err), SEGKIT_ERR_STORE);
  assert_non_null(strstr(err.message, "read-only"));
  assert_int_equal(segkit_workspace_drop(ws, "p", &err), SEGKIT_ERR_STORE);
  segkit_table *back = load_ok(ws, "p");
  assert_id_name(back, 1, ids, names);
  segkit_table_free(back);
  segkit_workspace_close(ws);
  assert_int_equal(sql_int(f->path, "SELECT count(*) FROM batches"), 1);
  segkit_table_free(t);
}

static void expect_damaged(const char *path, const char *name) {
  segkit_workspace *ws = open_ws(path, 0);
  segkit_table *t = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_load(ws, name, &t, &err), SEGKIT_ERR_STORE);
  assert_null(t);
  assert_non_null(strstr(err.message, "damaged"));
  segkit_workspace_close(ws);
}

static void store_damaged_chunks_are_reported(void **state) {
  fixture *f = *state;
  segkit_workspace *ws = open_ws(f->path, SEGKIT_WORKSPACE_CREATE);
  int64_t ids[] = {1, 2, 3};
  const char *names[] = {"a", "b", NULL};
  segkit_table *t = id_name_table(3, ids, names);
  import_ok(ws, "p", SEGKIT_IMPORT_CREATE, NULL, t, NULL);
  segkit_table_free(t);
  segkit_workspace_close(ws);

  /* A data blob one byte short. */
  sql_exec(f->path, "UPDATE chunks SET data = substr(data, 1, 23) WHERE column_position = 0");
  expect_damaged(f->path, "p");
  sql_exec(f->path, "UPDATE chunks SET data = x'010000000000000002000000000000000300000000000000'"
                    " WHERE column_position = 0");
  /* A string code past the dictionary (2 entries). */
  sql_exec(f->path, "UPDATE chunks SET data = x'000000000500000000000000' WHERE "
                    "column_position = 1");
  expect_damaged(f->path, "p");
  sql_exec(f->path, "UPDATE chunks SET data = x'000000000100000000000000' WHERE "
                    "column_position = 1");
  /* A dictionary entry without its NUL. */
  sql_exec(f->path, "UPDATE dict_pieces SET bytes = x'61006263'");
  expect_damaged(f->path, "p");
  /* Duplicate dictionary entries. */
  sql_exec(f->path, "UPDATE dict_pieces SET bytes = x'61006100'");
  expect_damaged(f->path, "p");
  sql_exec(f->path, "UPDATE dict_pieces SET bytes = x'61006200'");
  /* The recorded row count disagrees with the batches. */
  sql_exec(f->path, "UPDATE datasets SET n_rows = 4");
  expect_damaged(f->path, "p");
  sql_exec(f->path, "UPDATE datasets SET n_rows = 3");
  /* Repaired, it loads again. */
  ws = open_ws(f->path, 0);
  t = load_ok(ws, "p");
  assert_id_name(t, 3, ids, names);
  segkit_table_free(t);
  segkit_workspace_close(ws);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(store_open_creates_workspace, setup, teardown),
      cmocka_unit_test_setup_teardown(store_open_missing_without_create, setup, teardown),
      cmocka_unit_test_setup_teardown(store_refuses_foreign_sqlite, setup, teardown),
      cmocka_unit_test_setup_teardown(store_refuses_foreign_wal_untouched, setup, teardown),
      cmocka_unit_test_setup_teardown(store_refuses_non_sqlite_file, setup, teardown),
      cmocka_unit_test_setup_teardown(store_empty_file, setup, teardown),
      cmocka_unit_test_setup_teardown(store_refuses_newer_schema, setup, teardown),
      cmocka_unit_test_setup_teardown(store_migrates_version_1, setup, teardown),
      cmocka_unit_test_setup_teardown(store_round_trip_all_types, setup, teardown),
      cmocka_unit_test_setup_teardown(store_writes_documented_layout, setup, teardown),
      cmocka_unit_test_setup_teardown(store_round_trip_multi_chunk, setup, teardown),
      cmocka_unit_test_setup_teardown(store_append_merges_batches, setup, teardown),
      cmocka_unit_test_setup_teardown(store_append_schema_mismatch, setup, teardown),
      cmocka_unit_test_setup_teardown(store_create_refuses_existing, setup, teardown),
      cmocka_unit_test_setup_teardown(store_upsert_counts, setup, teardown),
      cmocka_unit_test_setup_teardown(store_upsert_string_keys, setup, teardown),
      cmocka_unit_test_setup_teardown(store_key_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(store_key_sorting_paths, setup, teardown),
      cmocka_unit_test_setup_teardown(store_replace, setup, teardown),
      cmocka_unit_test_setup_teardown(store_import_rolls_back, setup, teardown),
      cmocka_unit_test_setup_teardown(store_dataset_names, setup, teardown),
      cmocka_unit_test_setup_teardown(store_empty_import, setup, teardown),
      cmocka_unit_test_setup_teardown(store_quarantine_raw_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(store_audit_entries, setup, teardown),
      cmocka_unit_test_setup_teardown(store_drop, setup, teardown),
      cmocka_unit_test_setup_teardown(store_two_handles, setup, teardown),
      cmocka_unit_test_setup_teardown(store_readonly_cannot_write, setup, teardown),
      cmocka_unit_test_setup_teardown(store_damaged_chunks_are_reported, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
