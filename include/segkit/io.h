/* segkit/io.h: readers that turn CSV and JSON Lines files into typed tables.
 *
 * A read validates every row against the column types (given, or inferred from a sample
 * of rows) and returns a segkit_read_result: the table of accepted rows, the rejected
 * rows (each with its line, column, field, reason and the raw bytes of the row), and
 * counts. What happens to a bad row is the caller's choice (segkit_on_error): stop at
 * the first one with an error that points at it, skip it, or keep it for quarantine.
 * Rows are never dropped without being counted.
 *
 * Readers stream: the file is read through a fixed-size buffer, so memory is the
 * resulting table plus that buffer (plus the rejected rows kept), whatever the file size.
 * CSV parsing uses several threads (options.n_threads); results do not depend on the
 * thread count. Options and results are owned by the caller; a result is freed with
 * segkit_read_result_free. Functions here are safe to call from several threads on
 * different arguments. */
#ifndef SEGKIT_IO_H
#define SEGKIT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum segkit_on_error {
  SEGKIT_ON_ERROR_FAIL = 0,   /* the first bad row ends the read with its error */
  SEGKIT_ON_ERROR_SKIP,       /* bad rows are counted by reason and dropped */
  SEGKIT_ON_ERROR_QUARANTINE  /* bad rows are counted and kept, raw, in the result */
} segkit_on_error;

/* Why a row was rejected. */
#define SEGKIT_REJECT_MAP(X)                                                   \
  X(BAD_VALUE, "bad_value", "a value does not fit its column type")           \
  X(TOO_FEW_FIELDS, "too_few_fields", "fewer fields than the header")          \
  X(TOO_MANY_FIELDS, "too_many_fields", "more fields than the header")         \
  X(BAD_UTF8, "bad_utf8", "bytes that are not valid UTF-8")                    \
  X(BAD_QUOTE, "bad_quote", "a quote in the wrong place or never closed")      \
  X(FIELD_TOO_LONG, "field_too_long", "a field longer than the limit")         \
  X(BAD_JSON, "bad_json", "a line that is not one JSON object")                \
  X(UNKNOWN_FIELD, "unknown_field", "a JSON key not in the schema")                     \
  X(DUPLICATE_KEY, "duplicate_key", "a key value an earlier row already has")             \
  X(NULL_KEY, "null_key", "no value in the key column")

typedef enum segkit_reject_reason {
#define SEGKIT_REJECT_ENUM(name, id, desc) SEGKIT_REJECT_##name,
  SEGKIT_REJECT_MAP(SEGKIT_REJECT_ENUM)
#undef SEGKIT_REJECT_ENUM
  SEGKIT_REJECT_COUNT
} segkit_reject_reason;

/* Stable identifier ("bad_value", ...) and a description of a reason. */
SEGKIT_API const char *segkit_reject_reason_id(segkit_reject_reason r);
SEGKIT_API const char *segkit_reject_reason_description(segkit_reject_reason r);

/* A column type fixed by the caller instead of inferred. */
typedef struct segkit_type_override {
  const char *column;
  segkit_type type;
} segkit_type_override;

typedef struct segkit_read_options {
  char delimiter;            /* CSV: 0 = detect among ',' ';' '\t' '|' (default 0) */
  size_t infer_rows;         /* rows sampled to infer types (default 10000; 0 = all rows,
                                which reads the file twice) */
  const segkit_type_override *types; /* caller-fixed types, by column name */
  size_t n_types;
  const char *date_format;   /* strptime-like pattern (segkit/datetime.h) tried for
                                date/timestamp columns; NULL = automatic formats only */
  const char *const *null_values; /* unquoted values read as null, matched exactly; NULL =
                                     the defaults "NA", "N/A", "NULL", "null". An unquoted
                                     empty field is always null; a quoted empty field ("")
                                     is an empty string in a string column, null elsewhere
                                     (PostgreSQL COPY's convention). */
  size_t n_null_values;
  segkit_on_error on_error;  /* default FAIL */
  int n_threads;             /* 0 = one per online CPU */
  size_t max_field_bytes;    /* a longer field rejects its row (default 16 MiB, at most
                                1 GiB) */
  size_t buffer_bytes;       /* streaming buffer budget (default 64 MiB), shared by the
                                threads; a row longer than buffer_bytes + 2 x
                                max_field_bytes is rejected as FIELD_TOO_LONG */
  const char *source_name;   /* name used in errors for buffer reads (default "<input>") */
  /* File reads only: called now and then (about every 16 MiB read) with the bytes read so
   * far and the file size, from whichever reader thread is reading, never by two threads
   * at once. bytes_done may pass bytes_total a little (the inference sample is read
   * twice). NULL (default) = no calls. It must not call back into the reader. */
  void (*progress)(void *ctx, uint64_t bytes_done, uint64_t bytes_total);
  void *progress_ctx;
  bool keep_row_lines;       /* remember the physical line of every accepted row (8 bytes
                                a row), for segkit_read_result_row_line and the key checks
                                of segkit_read_result_check_key; default false */
} segkit_read_options;

/* Defaults as documented above. */
SEGKIT_API void segkit_read_options_init(segkit_read_options *opt);

typedef struct segkit_reject {
  int64_t line;              /* 1-based physical line where the row starts */
  int64_t column;            /* 1-based byte column of the bad field, 0 if whole row
                                (counted in the physical line the field starts on) */
  const char *field;         /* column name of the bad field, or NULL */
  segkit_reject_reason reason;
  const char *message;       /* what is wrong (what was expected) */
  const char *raw;           /* the row's bytes as they were in the file, without its
                                line terminator (a row over the limit: its first 64 KiB) */
  size_t raw_len;
} segkit_reject;

typedef struct segkit_read_result segkit_read_result;

/* Counts of a read. rows_read = rows_imported + rows_rejected. */
typedef struct segkit_read_counts {
  int64_t rows_read;
  int64_t rows_imported;
  int64_t rows_rejected;
  int64_t rejected_by_reason[SEGKIT_REJECT_COUNT];
  int64_t bytes_read;
} segkit_read_counts;

/* Read a CSV file (RFC 4180: quoted fields, doubled quotes, newlines inside quotes,
 * CRLF or LF, optional UTF-8 byte order mark; the first row is the header). */
SEGKIT_API segkit_status segkit_csv_read(const char *path, const segkit_read_options *opt,
                                         segkit_read_result **out, segkit_error *err);
/* The same on bytes in memory (tests, fuzzing, uploads). */
SEGKIT_API segkit_status segkit_csv_read_buffer(const char *data, size_t size,
                                                const segkit_read_options *opt,
                                                segkit_read_result **out, segkit_error *err);

/* Read JSON Lines: one JSON object per line; keys are columns. Nested objects and arrays
 * are kept as their JSON text in a string column. Blank lines are skipped. */
SEGKIT_API segkit_status segkit_jsonl_read(const char *path, const segkit_read_options *opt,
                                           segkit_read_result **out, segkit_error *err);
SEGKIT_API segkit_status segkit_jsonl_read_buffer(const char *data, size_t size,
                                                  const segkit_read_options *opt,
                                                  segkit_read_result **out, segkit_error *err);

/* 1-based physical line where accepted row i of the table starts; 0 when the read did not
 * keep row lines or i is out of range. */
SEGKIT_API int64_t segkit_read_result_row_line(const segkit_read_result *r, size_t i);

/* Key rules of a read, applied after it: every row has a key (no null in column `key`) and
 * no two rows share one. The first row with a key is kept; a later row with the same key,
 * and a row without a key, are handled as `how` says, as the reader handles bad rows:
 * FAIL stops with SEGKIT_ERR_PARSE at the offending row ("file:LINE: field 'id': key 42
 * repeats line 17's (expected a unique key)"); SKIP drops it; QUARANTINE drops it and adds
 * a reject (DUPLICATE_KEY or NULL_KEY) whose raw text is the row rendered again from its
 * values as a CSV line (RFC 4180 quoting, the file's delimiter or ','; the file's own
 * bytes are at the line named). Counts are updated (rows_imported, rows_rejected, by
 * reason). Lines are named when the read kept them (keep_row_lines), else the 1-based
 * row of the table is named. *n_out (may be NULL) gets the rows removed. Errors: no such
 * column (SEGKIT_ERR_SCHEMA), a key column that is not int64, string, date or timestamp
 * (SEGKIT_ERR_TYPE), NOMEM. */
SEGKIT_API segkit_status segkit_read_result_check_key(segkit_read_result *r, const char *key,
                                                      segkit_on_error how, size_t *n_out,
                                                      segkit_error *err);
SEGKIT_API void segkit_read_result_free(segkit_read_result *r);
/* The table of accepted rows, borrowed from the result. */
SEGKIT_API const segkit_table *segkit_read_result_table(const segkit_read_result *r);
/* The table, now owned by the caller; the result no longer has it. */
SEGKIT_API segkit_table *segkit_read_result_take_table(segkit_read_result *r);
SEGKIT_API const segkit_read_counts *segkit_read_result_counts(const segkit_read_result *r);
/* Rejected rows kept (QUARANTINE), in file order; borrowed from the result. */
SEGKIT_API size_t segkit_read_result_n_rejects(const segkit_read_result *r);
SEGKIT_API const segkit_reject *segkit_read_result_reject(const segkit_read_result *r, size_t i);
/* All kept rejects as one array of segkit_read_result_n_rejects() entries (NULL if none). */
SEGKIT_API const segkit_reject *segkit_read_result_rejects(const segkit_read_result *r);
/* The delimiter used (detected or given); 0 for JSON Lines. */
SEGKIT_API char segkit_read_result_delimiter(const segkit_read_result *r);
/* Whether column i's type was inferred (true) or fixed by the caller (false). */
SEGKIT_API bool segkit_read_result_type_inferred(const segkit_read_result *r, size_t col);

#ifdef __cplusplus
}
#endif
#endif
