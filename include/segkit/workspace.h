/* segkit/workspace.h: the workspace, segkit's embedded store in one SQLite file.
 *
 * A workspace holds imported datasets (tables), the rows an import rejected (quarantine),
 * the schema version with its migrations, and an audit log of every import. It is a plain
 * SQLite database, so it can be inspected with the sqlite3 shell; dataset columns are kept
 * as typed binary chunks (not SQL rows) so a 20 M-row dataset loads in seconds, see
 * docs/workspace.md.
 *
 * Every import is one SQLite transaction: if the process dies at any point the workspace
 * holds the whole batch or none of it. Several processes may open the same workspace;
 * SQLite serialises writers (a busy writer is waited for up to 30 s).
 *
 * Ownership: segkit_workspace_open returns a handle the caller closes with
 * segkit_workspace_close. A handle is used by one thread at a time; open one per thread.
 * Lists returned by the workspace are freed with their _free function. */
#ifndef SEGKIT_WORKSPACE_H
#define SEGKIT_WORKSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/io.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct segkit_workspace segkit_workspace;

enum {
  SEGKIT_WORKSPACE_CREATE = 1u << 0,   /* create the file if it does not exist */
  SEGKIT_WORKSPACE_READONLY = 1u << 1  /* open without write access */
};

/* Open (and, with CREATE, create) a workspace, migrating an older schema to the current
 * one inside a transaction. A file that is not a segkit workspace is refused with
 * SEGKIT_ERR_STORE and is not modified. */
SEGKIT_API segkit_status segkit_workspace_open(const char *path, unsigned flags,
                                               segkit_workspace **out, segkit_error *err);
/* Close; NULL is a no-op. */
SEGKIT_API void segkit_workspace_close(segkit_workspace *ws);
/* Schema version of the open workspace, and the version this library writes. */
SEGKIT_API int segkit_workspace_schema_version(const segkit_workspace *ws);
SEGKIT_API int segkit_workspace_current_schema_version(void);
SEGKIT_API const char *segkit_workspace_path(const segkit_workspace *ws);
/* Who changes made through this handle are attributed to in the audit log when the call
 * does not say (segkit_workspace_drop; imports whose request has actor NULL), e.g.
 * "cli:alice". Copied. Default "unknown". */
SEGKIT_API segkit_status segkit_workspace_set_actor(segkit_workspace *ws, const char *actor,
                                                    segkit_error *err);

/* ---- datasets -------------------------------------------------------------------- */

typedef struct segkit_dataset_info {
  char *name;
  int64_t n_rows;
  int64_t n_cols;
  int64_t imported_at_us;   /* time of the last import into it (UTC microseconds) */
  int64_t created_at_us;
  char *source;             /* file of the last import */
  char *key;                /* key column, or NULL */
  int64_t n_batches;        /* imports that added data */
  int64_t n_quarantined;    /* rejected rows kept for it */
} segkit_dataset_info;

typedef struct segkit_dataset_list {
  size_t n;
  segkit_dataset_info *items;
} segkit_dataset_list;

SEGKIT_API segkit_status segkit_workspace_list_datasets(segkit_workspace *ws,
                                                        segkit_dataset_list **out,
                                                        segkit_error *err);
SEGKIT_API void segkit_dataset_list_free(segkit_dataset_list *list);
/* One dataset's info; SEGKIT_ERR_NOT_FOUND if there is none of that name. Free with
 * segkit_dataset_list_free (a list of one). */
SEGKIT_API segkit_status segkit_workspace_dataset_info(segkit_workspace *ws, const char *name,
                                                       segkit_dataset_list **out,
                                                       segkit_error *err);

/* A dataset's columns without its rows (cheap: read from the catalogue), in order. */
typedef struct segkit_dataset_schema {
  size_t n;
  char **names;
  segkit_type *types;
} segkit_dataset_schema;

/* SEGKIT_ERR_NOT_FOUND if there is no dataset of that name. */
SEGKIT_API segkit_status segkit_workspace_dataset_schema(segkit_workspace *ws, const char *name,
                                                         segkit_dataset_schema **out,
                                                         segkit_error *err);
SEGKIT_API void segkit_dataset_schema_free(segkit_dataset_schema *schema);

/* Load a dataset as one table (all batches, in import order; upserts already applied). */
SEGKIT_API segkit_status segkit_workspace_load(segkit_workspace *ws, const char *name,
                                               segkit_table **out, segkit_error *err);

/* Remove a dataset, its batches and its quarantined rows (audited). */
SEGKIT_API segkit_status segkit_workspace_drop(segkit_workspace *ws, const char *name,
                                               segkit_error *err);

/* ---- importing ------------------------------------------------------------------- */

typedef enum segkit_import_mode {
  SEGKIT_IMPORT_CREATE = 0, /* the dataset must not exist yet */
  SEGKIT_IMPORT_APPEND,     /* add rows (creates the dataset if absent) */
  SEGKIT_IMPORT_UPSERT,     /* by key: new rows replace stored rows with the same key */
  SEGKIT_IMPORT_REPLACE     /* drop what was there, store the new rows */
} segkit_import_mode;

typedef struct segkit_import_request {
  const char *dataset;        /* name: letters, digits, '_' and '-', 1-64 chars */
  segkit_import_mode mode;
  const char *key;            /* key column (required for UPSERT; with the others it is
                                 recorded, and duplicate keys in the batch are refused) */
  const char *source;         /* file name recorded in the dataset and the audit log */
  const segkit_table *table;  /* accepted rows */
  const segkit_reject *rejects;      /* rows to quarantine (may be NULL when n_rejects 0) */
  size_t n_rejects;
  const segkit_read_counts *counts;  /* read summary for the audit log, or NULL */
  const char *actor;          /* who ran it, for the audit log (e.g. "cli:alice") */
} segkit_import_request;

typedef struct segkit_import_outcome {
  int64_t batch_id;
  int64_t rows_added;         /* new rows (UPSERT: those whose key was not stored) */
  int64_t rows_replaced;      /* UPSERT: stored rows replaced by new ones; REPLACE: stored
                                 rows dropped */
  int64_t rows_quarantined;
  int64_t dataset_rows;       /* rows in the dataset after the import */
} segkit_import_outcome;

/* Store one import as one transaction: the rows, the quarantined rows, the dataset
 * record and the audit entry, all or nothing. The schema of an existing dataset must
 * match (same column names and types, SEGKIT_ERR_SCHEMA otherwise) unless mode is
 * REPLACE. */
SEGKIT_API segkit_status segkit_workspace_import(segkit_workspace *ws,
                                                 const segkit_import_request *req,
                                                 segkit_import_outcome *outcome,
                                                 segkit_error *err);

/* ---- links, segments, snapshots ---------------------------------------------------- */

/* A link: which column of a fact dataset (transactions, events) holds the key of a
 * customers dataset, and the fact dataset's time column (for time windows), or NULL. */
typedef struct segkit_link {
  char *fact_dataset;
  char *fact_column;
  char *customers_dataset;
  char *key_column;
  char *time_column;
} segkit_link;

typedef struct segkit_link_list {
  size_t n;
  segkit_link *items;
} segkit_link_list;

/* Declare (or replace) the link of a fact dataset. Both datasets and the named columns
 * must exist (SEGKIT_ERR_NOT_FOUND names the missing one); audited. */
SEGKIT_API segkit_status segkit_workspace_link(segkit_workspace *ws, const char *fact_dataset,
                                               const char *fact_column,
                                               const char *customers_dataset,
                                               const char *key_column, const char *time_column,
                                               segkit_error *err);
/* Links to customers_dataset (NULL: all links), by fact dataset name. */
SEGKIT_API segkit_status segkit_workspace_links(segkit_workspace *ws,
                                                const char *customers_dataset,
                                                segkit_link_list **out, segkit_error *err);
SEGKIT_API void segkit_link_list_free(segkit_link_list *list);

/* A segment: a rule (segment.h) over a customers dataset, stored as text and evaluated
 * again on each use. Names: 1-64 of [A-Za-z0-9_-]. */
typedef struct segkit_segment_info {
  char *name;
  char *dataset;
  char *rule;
  char *description;        /* or NULL */
  char *context;            /* what else evaluating the rule needs, as the caller wrote it
                               (the CLI: a JSON object with the subscriptions dataset and
                               rates of the derived fields), or NULL */
  int64_t created_at_us;
  int64_t updated_at_us;
  int64_t n_snapshots;
} segkit_segment_info;

typedef struct segkit_segment_list {
  size_t n;
  segkit_segment_info *items;
} segkit_segment_list;

/* Store a segment; an existing one of that name is SEGKIT_ERR_USAGE unless replace. The
 * rule is not checked here (compile it first); audited. */
SEGKIT_API segkit_status segkit_workspace_segment_save(segkit_workspace *ws, const char *name,
                                                       const char *dataset, const char *rule,
                                                       const char *description,
                                                       const char *context, bool replace,
                                                       segkit_error *err);
/* All segments by name, or (name != NULL) that one: SEGKIT_ERR_NOT_FOUND when absent. */
SEGKIT_API segkit_status segkit_workspace_segments(segkit_workspace *ws, const char *name,
                                                   segkit_segment_list **out,
                                                   segkit_error *err);
SEGKIT_API void segkit_segment_list_free(segkit_segment_list *list);
/* Remove a segment and its snapshots (audited); SEGKIT_ERR_NOT_FOUND when absent. */
SEGKIT_API segkit_status segkit_workspace_segment_drop(segkit_workspace *ws, const char *name,
                                                       segkit_error *err);
/* Optimistic concurrency for editors (the API's ETag / If-Match): a segment's version is
 * its updated_at_us, which every replace moves forward (by at least a microsecond, so no
 * two versions are equal). These replace (as _save with replace) or drop a segment only
 * while it is still at `version`, checked in the same transaction as the write. When it
 * has moved on nothing changes: SEGKIT_ERR_EXISTS (a newer version exists) with field
 * "version", and *current (may be NULL) gets the version it is at. SEGKIT_ERR_NOT_FOUND
 * when there is no such segment. */
SEGKIT_API segkit_status segkit_workspace_segment_replace_at(segkit_workspace *ws, const char *name,
                                                             const char *dataset, const char *rule,
                                                             const char *description,
                                                             const char *context, int64_t version,
                                                             int64_t *current, segkit_error *err);
SEGKIT_API segkit_status segkit_workspace_segment_drop_at(segkit_workspace *ws, const char *name,
                                                          int64_t version, int64_t *current,
                                                          segkit_error *err);

/* A snapshot: a segment's members at a time. */
typedef struct segkit_snapshot_info {
  int64_t id;
  char *segment;
  int64_t taken_at_us;
  char *rule;               /* the rule as it was */
  int64_t n_members;
  int64_t n_total;          /* customers the rule ran over */
} segkit_snapshot_info;

typedef struct segkit_snapshot_list {
  size_t n;
  segkit_snapshot_info *items;
} segkit_snapshot_list;

/* Store the members of a segment: the rows of `keys` (the customers' key column: int64 or
 * string, no nulls among members) whose bit is set in `bits` ((n + 63) / 64 words). *id
 * gets the snapshot's id. Audited. */
SEGKIT_API segkit_status segkit_workspace_snapshot_save(segkit_workspace *ws,
                                                        const char *segment, const char *rule,
                                                        const segkit_column *keys,
                                                        const uint64_t *bits,
                                                        int64_t taken_at_us, int64_t *id,
                                                        segkit_error *err);
/* Snapshots of a segment, oldest first. */
SEGKIT_API segkit_status segkit_workspace_snapshots(segkit_workspace *ws, const char *segment,
                                                    segkit_snapshot_list **out,
                                                    segkit_error *err);
SEGKIT_API void segkit_snapshot_list_free(segkit_snapshot_list *list);
/* The members of snapshot `id` as a one-column table "member" (int64 or string), sorted.
 * SEGKIT_ERR_NOT_FOUND for an unknown id; SEGKIT_ERR_STORE for a damaged blob. */
SEGKIT_API segkit_status segkit_workspace_snapshot_members(segkit_workspace *ws, int64_t id,
                                                           segkit_table **out,
                                                           segkit_error *err);

/* ---- fitted models ------------------------------------------------------------------ */

/* A fitted model kept in the workspace: its kind ("cluster"; later "clv"), the dataset it
 * was fitted on (or NULL), and a JSON document that the module that made it reads back.
 * Names: 1-64 of [A-Za-z0-9_-]. */
typedef struct segkit_model_info {
  char *name;
  char *kind;
  char *dataset;
  char *document;
  int64_t created_at_us;
  int64_t updated_at_us;
} segkit_model_info;

typedef struct segkit_model_list {
  size_t n;
  segkit_model_info *items;
} segkit_model_list;

/* Store a model (audited). replace = false: SEGKIT_ERR_EXISTS when the name is taken. A
 * dataset that does not exist is SEGKIT_ERR_NOT_FOUND; a document that is not a JSON
 * object, SEGKIT_ERR_USAGE. */
SEGKIT_API segkit_status segkit_workspace_model_save(segkit_workspace *ws, const char *name,
                                                     const char *kind, const char *dataset,
                                                     const char *document, bool replace,
                                                     segkit_error *err);
/* Models by name order; kind and name (may be NULL: all) filter. A name given and not
 * found (of that kind) is SEGKIT_ERR_NOT_FOUND. */
SEGKIT_API segkit_status segkit_workspace_models(segkit_workspace *ws, const char *kind,
                                                 const char *name, segkit_model_list **out,
                                                 segkit_error *err);
SEGKIT_API void segkit_model_list_free(segkit_model_list *list);
SEGKIT_API segkit_status segkit_workspace_model_drop(segkit_workspace *ws, const char *name,
                                                     segkit_error *err);

/* ---- quarantine and audit -------------------------------------------------------- */

typedef struct segkit_quarantined_row {
  int64_t id;
  int64_t batch_id;
  int64_t line;
  int64_t column;
  char *field;                /* may be NULL */
  char *reason;               /* reason id, e.g. "bad_value" */
  char *message;
  char *raw;                  /* raw bytes, NUL-terminated for convenience */
  size_t raw_len;
} segkit_quarantined_row;

typedef struct segkit_quarantine_list {
  size_t n;
  segkit_quarantined_row *items;
} segkit_quarantine_list;

/* Quarantined rows of a dataset, oldest first, at most `limit` (0 = all). */
SEGKIT_API segkit_status segkit_workspace_quarantine(segkit_workspace *ws, const char *dataset,
                                                     size_t limit, segkit_quarantine_list **out,
                                                     segkit_error *err);
SEGKIT_API void segkit_quarantine_list_free(segkit_quarantine_list *list);

typedef struct segkit_audit_entry {
  int64_t id;
  int64_t at_us;
  char *actor;
  char *action;               /* "import", "drop", ... */
  char *target;               /* dataset name */
  char *detail_json;          /* counts and options as a JSON object */
} segkit_audit_entry;

typedef struct segkit_audit_list {
  size_t n;
  segkit_audit_entry *items;
} segkit_audit_list;

/* Audit entries, newest first, at most `limit` (0 = all). */
SEGKIT_API segkit_status segkit_workspace_audit(segkit_workspace *ws, size_t limit,
                                                segkit_audit_list **out, segkit_error *err);
SEGKIT_API void segkit_audit_list_free(segkit_audit_list *list);

#ifdef __cplusplus
}
#endif
#endif
