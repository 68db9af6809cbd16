/* segkit/table.h: typed columnar tables.
 *
 * A table is a list of named columns of equal length. Each column has one type and a
 * validity bitmap (bit i set = row i has a value). Storage per type:
 *   INT64      int64_t[]
 *   FLOAT64    double[]
 *   BOOL       uint8_t[] (0 or 1, one byte per row: cheap to scan and to vectorise)
 *   TIMESTAMP  int64_t[] microseconds since 1970-01-01T00:00:00Z
 *   DATE       int32_t[] days since 1970-01-01
 *   STRING     uint32_t[] codes into the column's dictionary (a string pool, each
 *              distinct string stored once; codes are dense 0..dict_size-1)
 * Value slots of null rows hold 0 and must not be relied on.
 *
 * Build a table with a segkit_table_builder, then segkit_table_builder_finish(): from
 * then on the table is read-only and any number of threads may read it at once.
 * Ownership: the caller frees what _new/_finish/_concat/_take return with the matching
 * _free. Pointers from getters (column data, names, strings) borrow from the table and
 * are valid until the table is freed. A builder is used by one thread at a time; to
 * build in parallel, build one table per thread and segkit_table_concat() them. */
#ifndef SEGKIT_TABLE_H
#define SEGKIT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum segkit_type {
  SEGKIT_TYPE_INT64 = 0,
  SEGKIT_TYPE_FLOAT64,
  SEGKIT_TYPE_BOOL,
  SEGKIT_TYPE_TIMESTAMP,
  SEGKIT_TYPE_DATE,
  SEGKIT_TYPE_STRING,
  SEGKIT_TYPE_COUNT
} segkit_type;

/* "int64", "float64", "bool", "timestamp", "date", "string". */
SEGKIT_API const char *segkit_type_name(segkit_type t);
/* Accepts the names above and the aliases int, integer, float, double, number, boolean,
 * datetime, text, str (any case). */
SEGKIT_API segkit_status segkit_type_parse(const char *name, segkit_type *out, segkit_error *err);

typedef struct segkit_table segkit_table;
typedef struct segkit_column segkit_column;
typedef struct segkit_table_builder segkit_table_builder;
typedef struct segkit_column_builder segkit_column_builder;

/* ---- reading a table -------------------------------------------------------------- */

SEGKIT_API void segkit_table_free(segkit_table *t);
SEGKIT_API size_t segkit_table_n_rows(const segkit_table *t);
SEGKIT_API size_t segkit_table_n_cols(const segkit_table *t);
/* Column by position (0-based); NULL if out of range. */
SEGKIT_API const segkit_column *segkit_table_column(const segkit_table *t, size_t i);
/* Position of the column with this exact name, or -1. */
SEGKIT_API long segkit_table_column_index(const segkit_table *t, const char *name);

SEGKIT_API const char *segkit_column_name(const segkit_column *c);
SEGKIT_API segkit_type segkit_column_type(const segkit_column *c);
SEGKIT_API size_t segkit_column_n_rows(const segkit_column *c);
SEGKIT_API size_t segkit_column_null_count(const segkit_column *c);
/* Validity bitmap, (n_rows + 63) / 64 words, bit (i % 64) of word (i / 64). Never NULL. */
SEGKIT_API const uint64_t *segkit_column_validity(const segkit_column *c);
SEGKIT_API bool segkit_column_is_valid(const segkit_column *c, size_t row);

/* Typed data; each returns NULL when the column is not of that type. */
SEGKIT_API const int64_t *segkit_column_int64(const segkit_column *c);     /* INT64 */
SEGKIT_API const int64_t *segkit_column_timestamp(const segkit_column *c); /* TIMESTAMP */
SEGKIT_API const double *segkit_column_float64(const segkit_column *c);    /* FLOAT64 */
SEGKIT_API const uint8_t *segkit_column_bool(const segkit_column *c);      /* BOOL */
SEGKIT_API const int32_t *segkit_column_date(const segkit_column *c);      /* DATE */
SEGKIT_API const uint32_t *segkit_column_codes(const segkit_column *c);    /* STRING */

/* Dictionary of a STRING column (0 for other types). */
SEGKIT_API uint32_t segkit_column_dict_size(const segkit_column *c);
/* Bytes of dictionary entry `code` and its length (len_out may be NULL). Entries are
 * stored NUL-terminated, so the pointer is also a C string when the value has no
 * embedded NUL. NULL if code >= dict_size. */
SEGKIT_API const char *segkit_column_dict_value(const segkit_column *c, uint32_t code,
                                                size_t *len_out);
/* Code of an exact string in the dictionary, or -1 if absent. */
SEGKIT_API int64_t segkit_column_dict_find(const segkit_column *c, const char *s, size_t len);

/* Bytes the table holds (data, bitmaps, dictionaries), for memory reports. */
SEGKIT_API size_t segkit_table_memory_bytes(const segkit_table *t);

/* ---- building a table ------------------------------------------------------------- */

/* A builder for n_cols columns. names are copied and must be distinct
 * (SEGKIT_ERR_SCHEMA naming the duplicate otherwise). */
SEGKIT_API segkit_status segkit_table_builder_new(size_t n_cols, const char *const *names,
                                                  const segkit_type *types,
                                                  segkit_table_builder **out, segkit_error *err);
SEGKIT_API void segkit_table_builder_free(segkit_table_builder *b);
/* Reserve room for this many rows in every column (an optimisation, never required). */
SEGKIT_API segkit_status segkit_table_builder_reserve(segkit_table_builder *b, size_t n_rows,
                                                      segkit_error *err);
/* The builder of column i, borrowed from b. */
SEGKIT_API segkit_column_builder *segkit_table_builder_column(segkit_table_builder *b, size_t i);
SEGKIT_API size_t segkit_table_builder_n_cols(const segkit_table_builder *b);
/* Rows in column i so far. */
SEGKIT_API size_t segkit_column_builder_n_rows(const segkit_column_builder *cb);
SEGKIT_API segkit_type segkit_column_builder_type(const segkit_column_builder *cb);

/* Appends; each must match the column's type (checked, SEGKIT_ERR_TYPE otherwise; INT64
 * and TIMESTAMP use append_int64). They fail only on out-of-memory or a wrong type. */
SEGKIT_API segkit_status segkit_column_append_int64(segkit_column_builder *cb, int64_t v);
SEGKIT_API segkit_status segkit_column_append_float64(segkit_column_builder *cb, double v);
SEGKIT_API segkit_status segkit_column_append_bool(segkit_column_builder *cb, bool v);
SEGKIT_API segkit_status segkit_column_append_date(segkit_column_builder *cb, int32_t days);
SEGKIT_API segkit_status segkit_column_append_string(segkit_column_builder *cb, const char *s,
                                                     size_t len);
SEGKIT_API segkit_status segkit_column_append_null(segkit_column_builder *cb);

/* Drop rows at the end of every column so each has `n_rows` rows (used to roll back a
 * partly appended row when a later field of it turns out bad). Strings already added to
 * a dictionary stay in it. */
SEGKIT_API void segkit_table_builder_truncate(segkit_table_builder *b, size_t n_rows);

/* Finish: every column must have the same number of rows (SEGKIT_ERR_SCHEMA otherwise).
 * On success *out owns the data and the builder is consumed (freed); on failure the
 * builder is left as it was and still belongs to the caller. */
SEGKIT_API segkit_status segkit_table_builder_finish(segkit_table_builder *b, segkit_table **out,
                                                     segkit_error *err);

/* ---- whole-table operations ------------------------------------------------------- */

/* Rows of parts[0], then parts[1], ... in one new table. All parts must have the same
 * column names and types (SEGKIT_ERR_SCHEMA names the first difference). String
 * dictionaries are merged; the result's codes are in order of first appearance across the
 * parts' dictionaries (part 0's entries in its code order, then each later part's entries
 * not seen before), which for parts built by appends alone (no truncate) is first
 * appearance across the rows. Parts are only read. */
SEGKIT_API segkit_status segkit_table_concat(const segkit_table *const *parts, size_t n_parts,
                                             segkit_table **out, segkit_error *err);

/* A new table with the given rows of t, in the given order (rows may repeat). */
SEGKIT_API segkit_status segkit_table_take(const segkit_table *t, const uint32_t *rows,
                                           size_t n_rows, segkit_table **out, segkit_error *err);

/* A new table with the rows whose keep[i] is non-zero, in order. */
SEGKIT_API segkit_status segkit_table_filter(const segkit_table *t, const uint8_t *keep,
                                             segkit_table **out, segkit_error *err);

/* A new table: left's columns, then the columns `cols` of `right` looked up by key for
 * each left row (left[left_key] == right[right_key]; both int64 or both string). A left
 * row whose key is null or absent from right gets nulls there; nothing is dropped. The
 * right key must be unique (SEGKIT_ERR_SCHEMA names the first repeated value and its row);
 * a column of cols already in left is SEGKIT_ERR_SCHEMA, a missing one SEGKIT_ERR_NOT_FOUND.
 * Used to split subscription metrics by customer attributes. */
SEGKIT_API segkit_status segkit_table_lookup(const segkit_table *left, const char *left_key,
                                             const segkit_table *right, const char *right_key,
                                             const char *const *cols, size_t n_cols,
                                             segkit_table **out, segkit_error *err);

/* ---- grouping rows by the values of columns ------------------------------------- */

/* Every row's group: the combination of its values in the `by` columns (any types; a
 * null is a value of its own). Groups are numbered 0..n_groups-1 in ascending order of
 * their values, column by column: text byte-wise, numbers numerically (NaN after the
 * numbers), false before true, dates and timestamps in time order, nulls last. Only
 * combinations that occur are groups. n_by = 0 gives one group of all rows (label "all").
 * Cost: one pass per column plus a sort of each numeric column's distinct values; no
 * hashing, so the numbering is the same on every run and machine. The grouping owns its
 * arrays; the table may be freed after the call. */
typedef struct segkit_grouping segkit_grouping;

/* SEGKIT_ERR_NOT_FOUND names a missing column; SEGKIT_ERR_LIMIT for more than 2^32 - 1
 * groups; SEGKIT_ERR_NOMEM. *out written only on success. */
SEGKIT_API segkit_status segkit_grouping_new(const segkit_table *t, const char *const *by,
                                             size_t n_by, segkit_grouping **out,
                                             segkit_error *err);
SEGKIT_API void segkit_grouping_free(segkit_grouping *g);
SEGKIT_API size_t segkit_grouping_n_groups(const segkit_grouping *g);
SEGKIT_API size_t segkit_grouping_n_rows(const segkit_grouping *g);
SEGKIT_API size_t segkit_grouping_n_by(const segkit_grouping *g);
/* Name of the k-th by column (NULL when k is out of range). */
SEGKIT_API const char *segkit_grouping_column(const segkit_grouping *g, size_t k);
/* The group of every row (n_rows entries). */
SEGKIT_API const uint32_t *segkit_grouping_codes(const segkit_grouping *g);
/* Value of column k in group `group` as text ("(null)" for a null; dates YYYY-MM-DD,
 * timestamps ISO 8601 UTC, bools true/false, floats with up to 17 significant digits);
 * NULL when out of range. */
SEGKIT_API const char *segkit_grouping_value(const segkit_grouping *g, size_t group, size_t k);
SEGKIT_API bool segkit_grouping_is_null(const segkit_grouping *g, size_t group, size_t k);
/* The values joined by " / " ("all" when n_by = 0). */
SEGKIT_API const char *segkit_grouping_label(const segkit_grouping *g, size_t group);
/* Rows in the group. */
SEGKIT_API size_t segkit_grouping_size(const segkit_grouping *g, size_t group);

/* ---- building from whole arrays (readers and the workspace loader use these) -------- */

/* A table from columns given as whole arrays. For each column: data points to n_rows
 * values of the storage type above (int64_t, double, uint8_t, int32_t, or uint32_t codes
 * for STRING), validity to (n_rows+63)/64 words or NULL for "all valid"; STRING columns
 * also give dict_offsets (dict_size + 1 entries, byte offsets into dict_bytes) and
 * dict_bytes: entry i is dict_bytes[off[i] .. off[i+1]-1) and dict_bytes[off[i+1]-1] is
 * its NUL terminator, so off[0] == 0 and off[dict_size] is the total byte count. Everything is
 * copied; the caller keeps its arrays. Codes are checked against dict_size and dictionary
 * entries for duplicates (SEGKIT_ERR_SCHEMA), so a corrupt source cannot produce a
 * table that breaks its invariants. Also refused: duplicate column names, bool bytes
 * other than 0/1 and validity bits set past n_rows; value slots of null rows are set
 * to 0 in the copy whatever the source holds there. */
typedef struct segkit_column_arrays {
  const char *name;
  segkit_type type;
  const void *data;
  const uint64_t *validity;
  uint32_t dict_size;
  const uint64_t *dict_offsets;
  const char *dict_bytes;
} segkit_column_arrays;

SEGKIT_API segkit_status segkit_table_from_arrays(size_t n_rows, size_t n_cols,
                                                  const segkit_column_arrays *cols,
                                                  segkit_table **out, segkit_error *err);

/* As segkit_table_from_arrays, with the same checks, but the table takes each column's
 * data and validity arrays instead of copying them (a loader that has just filled whole
 * columns then holds them once, not twice). Requirements: data and validity (when not
 * NULL) come from malloc; data has room for max(n_rows, 1) values; validity has at least
 * (n_rows + 63) / 64 words (it may be reallocated). On SEGKIT_OK the table owns every data
 * and validity array and the caller must not touch or free them, even though the struct
 * says const; on failure they all still belong to the caller, unchanged except that null
 * rows' value slots may have been zeroed. Dictionaries are copied into the table's index. */
SEGKIT_API segkit_status segkit_table_from_arrays_take(size_t n_rows, size_t n_cols,
                                                       const segkit_column_arrays *cols,
                                                       segkit_table **out, segkit_error *err);

/* A column as the arrays segkit_table_from_arrays takes (name, type, data, validity and
 * the dictionary of a STRING column), all borrowed from the table: the way to copy some
 * columns of a table into a new one beside new columns. */
SEGKIT_API segkit_column_arrays segkit_column_as_arrays(const segkit_column *c);

/* The dictionary of a STRING column as the arrays segkit_table_from_arrays takes: offsets
 * (dict_size + 1 entries) and bytes, borrowed from the table. */
SEGKIT_API void segkit_column_dict_arrays(const segkit_column *c, const uint64_t **offsets,
                                          const char **bytes);

#ifdef __cplusplus
}
#endif
#endif
