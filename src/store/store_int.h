/* store_int.h: internals of the workspace (src/store), shared by its files only.
 *
 * The workspace is one SQLite file; docs/workspace.md describes its tables. The files of
 * this module split the work by concept:
 *   workspace.c      open/close, identity check, pragmas, SQLite error translation
 *   migrations.c     schema versions and the ordered migrations that build the schema
 *   column_codec.c   a table's columns <-> typed little-endian chunks and dictionaries
 *   key_index.c      hash maps (int64 keys; strings, for keys and dictionary merges)
 *   key_check.c      key column rules: unique new keys, stored rows they replace
 *   dataset_store.c  import (create/append/upsert/replace), load, list, drop
 *   quarantine.c     rejected rows, stored raw
 *   audit.c          the audit log
 * Nothing here is public: names carry the sk__ prefix and are hidden by
 * -fvisibility=hidden. Tests include this header to reach the codec constants. */
#ifndef SEGKIT_STORE_INT_H
#define SEGKIT_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/io.h"
#include "segkit/table.h"
#include "segkit/workspace.h"

/* ---- workspace.c ------------------------------------------------------------------- */

/* PRAGMA application_id of every workspace: "SGKT" in ASCII. SQLite stores it at byte
 * 68 of the file header, so `file` and the open check recognise a workspace. */
#define SK_APPLICATION_ID 0x53474B54

struct segkit_workspace {
  sqlite3 *db;
  char *path;
  char *actor;           /* for the audit log when a request names none */
  int schema_version;
  bool readonly;
};

/* Translate a SQLite failure into a segkit status: NOMEM -> ERR_NOMEM, FULL/IOERR ->
 * ERR_IO, everything else -> ERR_STORE. The message is "<what>: <sqlite message>". */
segkit_status sk__sqlite_error(segkit_error *err, sqlite3 *db, int rc, const char *what);

/* Run SQL without results (one or more statements). */
segkit_status sk__exec(sqlite3 *db, const char *sql, segkit_error *err);
/* Prepare one statement; errors name the statement's purpose. */
segkit_status sk__prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, segkit_error *err);
/* Step a statement that must finish (SQLITE_DONE). */
segkit_status sk__step_done(sqlite3 *db, sqlite3_stmt *stmt, const char *what,
                            segkit_error *err);

/* Run a one-parameter DELETE (?1 = name); a statement that removes nothing is
 * ERR_NOT_FOUND "no <kind> named '<name>'", with <kind> as the error's field. */
segkit_status sk__delete_named(sqlite3 *db, const char *sql, const char *name,
                               const char *what, const char *kind, segkit_error *err);

/* BEGIN IMMEDIATE: the write lock is taken at once, so a transaction that has started
 * never fails later with SQLITE_BUSY (busy_timeout waits for other writers). */
segkit_status sk__begin_write(segkit_workspace *ws, segkit_error *err);
/* BEGIN (deferred): a read snapshot for loads, consistent while a writer commits. */
segkit_status sk__begin_read(segkit_workspace *ws, segkit_error *err);
segkit_status sk__commit(segkit_workspace *ws, segkit_error *err);
/* ROLLBACK if a transaction is open; never fails (errors are ignored, and SQLite rolls
 * back by itself when it cannot). */
void sk__rollback(segkit_workspace *ws);
/* SEGKIT_ERR_USAGE when the workspace is open read-only. */
segkit_status sk__writable(segkit_workspace *ws, segkit_error *err);
/* End a write transaction: commit after success (s == SEGKIT_OK), roll back otherwise. */
segkit_status sk__finish_write(segkit_workspace *ws, segkit_status s, segkit_error *err);
/* Make room for item n of a growing list (capacity doubling); false when out of memory. */
bool sk__room_for_one(void **items, size_t *cap, size_t n, size_t size);
/* Column i of a row as a new string (NULL for SQL NULL; *failed on allocation failure). */
char *sk__column_text(sqlite3_stmt *st, int i, bool *failed);

/* strdup that handles NULL (returns NULL) and reports failure through *failed. */
char *sk__strdup(const char *s, bool *failed);

/* ---- migrations.c ------------------------------------------------------------------ */

/* The schema version this library writes. */
#define SK_SCHEMA_VERSION 5

/* Bring a workspace at schema version `from` (0 = empty database) to SK_SCHEMA_VERSION.
 * Must run inside a write transaction the caller commits; each step is recorded in the
 * migrations table and user_version is set last. */
segkit_status sk__migrate(sqlite3 *db, int from, segkit_error *err);

/* ---- column_codec.c ---------------------------------------------------------------- */

/* Rows per stored chunk: 2^20. A multiple of 64, so a chunk's validity bitmap is whole
 * words of the column's bitmap, and an 8-byte column's chunk is 8 MiB, far below
 * SQLite's 1 GB blob limit while large enough that per-row SQLite overhead vanishes. */
#define SK_CHUNK_ROWS ((size_t)1 << 20)
/* A string dictionary is stored in pieces of at most this many entries and bytes, so a
 * dictionary of any size fits under SQLite's blob limit. */
#define SK_DICT_PIECE_ENTRIES ((size_t)1 << 20)
#define SK_DICT_PIECE_BYTES ((size_t)256 << 20)

/* Bytes per row of a type's storage (codes for STRING). */
size_t sk__type_width(segkit_type t);
/* Stored name of a type (dataset_columns.type), NULL if out of range; and back, -1 if
 * unknown. These names are part of the file format. */
const char *sk__type_stored_name(segkit_type t);
/* Type from its stored name ("int64", ...), -1 if unknown. */
int sk__type_from_name(const char *name);

/* Store every column of t as chunks (and dictionary pieces) of batch `batch_id`. */
segkit_status sk__write_batch(sqlite3 *db, int64_t batch_id, const segkit_table *t,
                              segkit_error *err);
/* Delete the chunks and dictionary pieces of a batch. */
segkit_status sk__delete_batch_data(sqlite3 *db, int64_t batch_id, segkit_error *err);

typedef struct sk_str_map sk_str_map;

/* One column assembled from the chunks of one or more batches, in the layout
 * segkit_table_from_arrays takes. Validity starts all zero; rows are appended batch by
 * batch. A STRING column's dictionary is the first batch's as stored; later batches are
 * merged into it through a hash map, and their codes remapped. */
typedef struct sk_column_buf {
  segkit_type type;
  size_t cap_rows;          /* rows allocated */
  size_t n_rows;            /* rows filled */
  void *data;
  uint64_t *validity;       /* (cap_rows + 63) / 64 words */
  bool any_null;
  uint32_t dict_size;
  uint64_t *dict_offsets;   /* dict_size + 1 entries */
  size_t dict_offsets_cap;
  char *dict_bytes;
  size_t dict_bytes_cap;
  sk_str_map *dict_map;     /* built on the first merge */
} sk_column_buf;

segkit_status sk__column_buf_init(sk_column_buf *cb, segkit_type type, size_t cap_rows,
                                  segkit_error *err);
void sk__column_buf_free(sk_column_buf *cb);
/* Append the stored rows of column `position` of batch `batch_id` (batch_rows rows). A
 * stored value that breaks the layout (sizes, codes, dictionary offsets) is reported as
 * a damaged workspace, ERR_STORE, never trusted. */
segkit_status sk__read_batch_column(sqlite3 *db, int64_t batch_id, size_t position,
                                    size_t batch_rows, sk_column_buf *cb, segkit_error *err);
/* The column's arrays for segkit_table_from_arrays (borrowed from cb). */
void sk__column_buf_arrays(const sk_column_buf *cb, const char *name,
                           segkit_column_arrays *out);

/* ---- key_index.c ------------------------------------------------------------------- */

/* int64 -> int64 open-addressing map (keys of int64, timestamp and date columns). */
typedef struct sk_i64_map sk_i64_map;
segkit_status sk__i64_map_new(size_t expected, sk_i64_map **out, segkit_error *err);
void sk__i64_map_free(sk_i64_map *m);
/* Insert key -> value. If the key is present, nothing changes, *existing gets its value
 * and the result is false; otherwise true. Grows as needed (fails only on OOM). */
segkit_status sk__i64_map_insert(sk_i64_map *m, int64_t key, int64_t value, bool *inserted,
                                 int64_t *existing, segkit_error *err);
/* Value of key, or false if absent. */
bool sk__i64_map_find(const sk_i64_map *m, int64_t key, int64_t *value);

/* Byte string -> uint32 id interning map. The strings themselves stay with the caller
 * (the map keeps offsets into a caller-supplied, possibly moving, byte array): ids are
 * dense 0.. in insertion order, and the caller passes the same (offsets, bytes) view
 * on every call, so the map stores no string bytes of its own. */
segkit_status sk__str_map_new(size_t expected, sk_str_map **out, segkit_error *err);
void sk__str_map_free(sk_str_map *m);
/* Find s in the map; the i-th id's bytes are bytes[offsets[i] .. offsets[i+1]-1)
 * (without the NUL terminator). Returns the id or -1. */
int64_t sk__str_map_find(const sk_str_map *m, const uint64_t *offsets, const char *bytes,
                         const char *s, size_t len);
/* Record that id `id` (== number of ids so far) has the given bytes. The caller checked
 * with find first that they are absent. */
segkit_status sk__str_map_add(sk_str_map *m, const uint64_t *offsets, const char *bytes,
                              uint32_t id, segkit_error *err);

/* ---- key_check.c ------------------------------------------------------------------- */

/* Keys of the rows being imported, unique and non-null once built. */
typedef struct sk_key_index sk_key_index;

/* Stored rows whose key the new rows bring again. */
typedef struct sk_key_match {
  uint8_t *hit;              /* one byte per stored row: 1 = key is in the new rows */
  size_t n_hits;
  int64_t first_stored_row;  /* 0-based, of the first hit */
  int64_t first_new_row;     /* 0-based row of the new data with that key */
} sk_key_match;

/* Types a key column may have: int64, timestamp, date, string. */
bool sk__key_type_ok(segkit_type t);
/* Index the key column of t; a null or repeated key is an error naming the row(s). */
segkit_status sk__key_index_build(const segkit_table *t, size_t key_col, sk_key_index **out,
                                  segkit_error *err);
void sk__key_index_free(sk_key_index *ki);
/* Mark the stored rows (a key column assembled over batches) whose key is in the index;
 * m->hit is allocated here and freed by the caller, also on failure. */
segkit_status sk__key_index_match(sk_key_index *ki, const sk_column_buf *stored,
                                  sk_key_match *m, segkit_error *err);
/* The APPEND error for a match: names the first repeated key. */
segkit_status sk__key_already_stored(const sk_key_index *ki, const sk_key_match *m,
                                     const char *dataset, segkit_error *err);
/* Stored keys must be non-null and distinct before a key is recorded for a dataset that
 * had none. */
segkit_status sk__stored_keys_unique(const sk_column_buf *stored, const char *key_name,
                                     const char *dataset, segkit_error *err);

/* ---- quarantine.c ------------------------------------------------------------------ */

/* Stable id of a reject reason ("bad_value"), NULL if out of range. */
const char *sk__reject_reason_id(segkit_reject_reason r);
segkit_status sk__quarantine_insert(sqlite3 *db, int64_t dataset_id, int64_t batch_id,
                                    const segkit_reject *rejects, size_t n,
                                    segkit_error *err);

/* ---- dataset_store.c --------------------------------------------------------------- */

/* Whether a dataset name is valid: 1-64 of [A-Za-z0-9_-]. */
bool sk__dataset_name_ok(const char *name);
/* Id of a dataset by name; ERR_NOT_FOUND (or ERR_USAGE for an invalid name). */
segkit_status sk__dataset_id(sqlite3 *db, const char *name, int64_t *id, segkit_error *err);

/* ---- audit.c ----------------------------------------------------------------------- */

/* Facts of one import for its audit entry. */
typedef struct sk_import_facts {
  const segkit_import_request *req;
  const char *key;                    /* key column in force, or NULL */
  const segkit_import_outcome *outcome;
  int64_t rows_in_table;
  const char *actor;
} sk_import_facts;

/* "create", "append", "upsert", "replace"; NULL if out of range. */
const char *sk__import_mode_name(segkit_import_mode m);
segkit_status sk__audit_import(sqlite3 *db, const sk_import_facts *facts, segkit_error *err);
segkit_status sk__audit_drop(sqlite3 *db, const char *actor, const char *dataset,
                             int64_t n_rows, int64_t n_batches, int64_t n_quarantined,
                             segkit_error *err);
/* One entry with a detail object of string fields: keys[i] = values[i] (NULL -> null). */
segkit_status sk__audit_fields(sqlite3 *db, const char *actor, const char *action,
                               const char *target, const char *const *keys,
                               const char *const *values, size_t n, segkit_error *err);

#endif
