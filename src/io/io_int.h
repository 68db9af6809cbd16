/* io_int.h: private interfaces of the readers (src/io).
 *
 * The CSV pipeline, file by file:
 *   source.c        bytes of a file (pread) or of a caller's buffer, at any offset
 *   csv_tokenize.c  one row at a time: field spans, quote-aware, SIMD scan for specials
 *   csv_split.c     rowreader (streams a byte range through a growing buffer, carries the
 *                   partial last row into the next read) and the region runner (splits the
 *                   input among threads at row boundaries, validates the speculative splits)
 *   utf8.c          UTF-8 validation with an ASCII fast path
 *   value_parse.c   int64 / float64 / bool parsing without locale or strtod in the hot path
 *   infer.c         type inference rules (which types a value fits)
 *   column_plan.c   column names and types, value parsing and appending, bad-value messages
 *   batch.c         typed row batches and the pipe from a parser to an appender thread
 *   reject.c        per-region reject lists and the messages of rejects and errors
 *   csv_reader.c    header, delimiter detection, inference and build passes, public entry
 *   read_result.c   the result object
 *   jsonl_reader.c  JSON Lines through jansson
 *
 * Offsets inside a buffer are size_t; offsets in a source are uint64_t. Nothing here is
 * exported (the library is built with -fvisibility=hidden). */
#ifndef SEGKIT_IO_INT_H
#define SEGKIT_IO_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "segkit/datetime.h"
#include "segkit/error.h"
#include "segkit/io.h"
#include "segkit/table.h"

/* Bytes readable past the end of every scan buffer, so the 64-byte SIMD windows never
 * read outside the allocation. */
#define SK__SCAN_PAD 64

/* Raw bytes kept for a row longer than the buffer ceiling (the rest is not held). */
#define SK__LONG_ROW_RAW_KEEP ((size_t)64 * 1024)

/* ==== source.c ========================================================================= */

/* Progress reporting shared by the reader threads: a byte counter, and a flag so only one
 * thread at a time calls the caller's function. */
typedef struct sk__progress {
  void (*fn)(void *ctx, uint64_t done, uint64_t total);
  void *ctx;
  uint64_t total;
  _Atomic uint64_t done;
  _Atomic uint64_t next_report;
  atomic_flag busy;
} sk__progress;

void sk__progress_init(sk__progress *p, const segkit_read_options *opt, uint64_t total);
void sk__progress_add(sk__progress *p, uint64_t bytes);

typedef struct sk__source {
  sk__progress *progress; /* NULL, or where reads are counted */
  const char *name;       /* for errors: the path or options.source_name */
  int fd;                 /* -1 for a memory source */
  const uint8_t *mem;     /* memory source bytes */
  uint64_t size;
} sk__source;

/* Open a regular file. Errors name the file: cannot open, is a directory, not a regular
 * file. */
segkit_status sk__source_open_file(sk__source *s, const char *path, segkit_error *err);
void sk__source_open_memory(sk__source *s, const void *data, size_t size, const char *name);
void sk__source_close(sk__source *s);
/* Read up to n bytes at off into dst; *got is short only at the end of the source. Safe to
 * call from several threads at once (pread). */
segkit_status sk__source_read(const sk__source *s, uint64_t off, void *dst, size_t n,
                              size_t *got, segkit_error *err);

/* ==== utf8.c =========================================================================== */

/* Offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
 * surrogates, code points above U+10FFFF and truncated sequences are invalid), or n when
 * all n bytes are valid. */
size_t sk__utf8_find_invalid(const uint8_t *s, size_t n);
static inline bool sk__utf8_valid(const uint8_t *s, size_t n) {
  return sk__utf8_find_invalid(s, n) == n;
}

/* ==== value_parse.c ==================================================================== */

typedef enum sk__num_status {
  SK__NUM_OK = 0,
  SK__NUM_SYNTAX,    /* not a number of that kind */
  SK__NUM_RANGE      /* a number, but out of range (int64 overflow, float64 overflow) */
} sk__num_status;

/* [+-]digits, no spaces; overflow detected. */
sk__num_status sk__parse_int64(const char *s, size_t n, int64_t *out);
/* [+-](digits[.digits]|.digits)([eE][+-]digits)?, finite only (inf, nan and overflow are
 * refused); correctly rounded. Fast exact path for <= 19 significant digits and a small
 * exponent; strtod in the "C" locale otherwise. */
sk__num_status sk__parse_float64(const char *s, size_t n, double *out);
/* true/false, t/f, yes/no in any case; with allow_digits also 1/0. */
bool sk__parse_bool(const char *s, size_t n, bool allow_digits, bool *out);
/* Strip ASCII spaces and tabs at both ends. */
void sk__trim(const char **s, size_t *n);
/* Whether an integer spelling has a redundant leading zero ("007", "-01"): such codes are
 * not inferred as numbers, so ZIP codes and ids keep their zeros. */
bool sk__has_leading_zero(const char *s, size_t n);

/* ==== csv_tokenize.c =================================================================== */

enum {
  SK__FIELD_QUOTED = 1u << 0,   /* the field was in quotes (span excludes them) */
  SK__FIELD_ESCAPED = 1u << 1   /* and contains doubled quotes to unescape */
};

enum {
  SK__QUOTE_OK = 0,
  SK__QUOTE_UNCLOSED,     /* a quoted field never closed: the row runs to the end */
  SK__QUOTE_STRAY,        /* a quote inside an unquoted field */
  SK__QUOTE_AFTER_CLOSE   /* text after a closing quote */
};

typedef struct sk__field {
  size_t off;      /* offset of the value in the row's raw bytes (after an opening quote) */
  size_t len;
  size_t raw_off;  /* offset of the field's first byte (its opening quote, if quoted) */
  unsigned flags;
} sk__field;

typedef struct sk__row {
  const uint8_t *raw;     /* the row's bytes, without its line terminator */
  size_t raw_len;
  int64_t line;           /* newlines before the row, counted from the region start */
  int64_t n_newlines;     /* newlines in the row including its terminator */
  size_t n_fields;        /* fields found (may exceed the capacity of `fields`) */
  sk__field *fields;      /* the first min(n_fields, capacity) fields */
  int problem;            /* -1, or a structural reject: BAD_QUOTE or FIELD_TOO_LONG */
  int quote_problem;      /* for BAD_QUOTE: an SK__QUOTE_* kind */
  size_t problem_off;     /* offset in raw of that problem */
  bool truncated_raw;     /* raw holds only the start of an overlong row */
  bool maybe_non_ascii;   /* a byte >= 0x80 may be in the row: validate UTF-8 */
} sk__row;

/* Scanner over a buffer: yields the offsets of "special" bytes (delimiter, quote, LF)
 * 64 at a time from SIMD compares. The buffer must have SK__SCAN_PAD readable bytes
 * after len. */
typedef struct sk__scanner {
  const uint8_t *buf;
  size_t len;
  size_t base;          /* offset of the current 64-byte window */
  uint64_t mask;        /* specials of the window not yet consumed */
  size_t hi_end;        /* end of the last window that held a byte >= 0x80 */
  uint8_t delim;
  uint8_t quote;
} sk__scanner;

void sk__scanner_init(sk__scanner *sc, uint8_t delim, uint8_t quote);
/* Point the scanner at buf[0..len) and position it at `at`. */
void sk__scanner_reset(sk__scanner *sc, const uint8_t *buf, size_t len, size_t at);

typedef enum sk__tok_result { SK__TOK_ROW = 0, SK__TOK_NEED_MORE } sk__tok_result;

/* Tokenize the row starting at `start` (the scanner must be positioned there). On
 * SK__TOK_ROW, *row describes it (line is left to the caller) and *next is the offset
 * after its terminator. SK__TOK_NEED_MORE: the row does not end inside buf and !eof.
 * A LF ends the row unless it is inside a quoted field (one opened by a quote at the
 * start of the field); stray quotes elsewhere are literal but flag BAD_QUOTE. */
sk__tok_result sk__tokenize_row(sk__scanner *sc, size_t start, bool eof, size_t max_field,
                                sk__field *fields, size_t field_cap, sk__row *row,
                                size_t *next);

/* The tokenizer's row-boundary rule on raw bytes, for skipping overlong rows without
 * holding them. *state starts at 0 (row start) and carries over between calls. Returns
 * the offset after the LF that ends the row, or SIZE_MAX if it does not end in s[0..n);
 * *newlines counts the LFs consumed. quote < 0: no quoting (JSON Lines). */
size_t sk__skip_row_bytes(const uint8_t *s, size_t n, int delim, int quote, int *state,
                          int64_t *newlines);

/* ==== csv_split.c: rowreader =========================================================== */

typedef struct sk__dialect {
  uint8_t delim;           /* 0 for JSON Lines (rows are lines, quotes mean nothing) */
  uint8_t quote;
  size_t max_field;        /* field longer than this: FIELD_TOO_LONG */
} sk__dialect;

typedef struct sk__rowreader {
  const sk__source *src;
  sk__dialect d;
  uint64_t buf_abs;        /* source offset of buf[0] */
  uint64_t read_abs;       /* next source offset to read */
  uint64_t bound_abs;      /* rows starting at or after this belong to the next region */
  uint8_t *buf;
  size_t cap;              /* allocated bytes, excluding SK__SCAN_PAD */
  size_t cap_limit;        /* ceiling: a row longer than this is overlong */
  size_t len;              /* valid bytes in buf */
  size_t start;            /* offset in buf of the next row */
  size_t read_chunk;       /* largest single read */
  bool eof;
  sk__scanner sc;
  bool scanner_stale;      /* buf changed: reset the scanner before tokenizing */
  sk__field *fields;
  size_t field_cap;
  bool grow_fields;        /* grow `fields` and retokenize when a row has more */
  int64_t lines;           /* newlines consumed so far */
  uint8_t *long_raw;       /* start of an overlong row (SK__LONG_ROW_RAW_KEEP bytes) */
  uint64_t row_abs;        /* source offset of the row last returned */
} sk__rowreader;

typedef struct sk__rowreader_config {
  size_t buffer_bytes;     /* initial capacity */
  size_t cap_limit;        /* ceiling for rows longer than the buffer */
  size_t read_chunk;       /* largest single read (cache-friendly) */
  size_t field_cap;        /* fields kept per row */
  bool grow_fields;
} sk__rowreader_config;

segkit_status sk__rowreader_init(sk__rowreader *rr, const sk__source *src, const sk__dialect *d,
                                 const sk__rowreader_config *cfg, uint64_t start_abs,
                                 uint64_t bound_abs, segkit_error *err);
void sk__rowreader_free(sk__rowreader *rr);
/* Next non-blank row: SEGKIT_OK with *got = true, or *got = false at the bound / end.
 * The row borrows from the reader until the next call. */
segkit_status sk__rowreader_next(sk__rowreader *rr, sk__row *row, bool *got, segkit_error *err);
/* Source offset of the next row (after the last one returned or skipped). */
uint64_t sk__rowreader_position(const sk__rowreader *rr);

/* Next line for JSON Lines: the bytes up to the next LF (without it, nor a CR before
 * it), blank lines included; SEGKIT_OK with *got = false at the end. Lines longer than
 * cap_limit come back with truncated_raw set. */
segkit_status sk__rowreader_next_line(sk__rowreader *rr, sk__row *row, bool *got,
                                      segkit_error *err);

/* ==== csv_split.c: region runner ======================================================= */

/* A region is a byte range of the input that one thread reads: rows that start in
 * [start, bound). */
typedef struct sk__region {
  int index;
  uint64_t start;          /* source offset of its first row */
  uint64_t bound;
  uint64_t stop;           /* out: source offset after the last row consumed */
  int64_t lines;           /* out: newlines consumed */
  bool complete;           /* out: ran to its bound (or the end of the source) */
  bool failed;             /* out: stopped at a bad row (on_error FAIL); err says which */
  segkit_status status;    /* out: a hard failure (I/O, memory) */
  segkit_error err;        /* out: error of failed / status; line relative to region */
} sk__region;

typedef struct sk__region_ops {
  /* Read the rows of region r with rr (already positioned at r->start); fill r's outs. */
  segkit_status (*run)(void *ctx, sk__region *r, sk__rowreader *rr);
  /* Forget what run stored for region r (before it is run again). */
  void (*reset)(void *ctx, sk__region *r);
  void *ctx;
} sk__region_ops;

typedef struct sk__split_config {
  const sk__source *src;
  sk__dialect d;
  uint64_t data_start;     /* first data row */
  int n_regions;
  sk__rowreader_config rr;
  atomic_int *first_failed; /* lowest index of a region that failed (FAIL mode) */
} sk__split_config;

/* Run ops.run over n_regions regions in parallel (one thread each), then check that each
 * region started where the previous one stopped; a region whose speculative start was
 * wrong (inside a quoted field) is reset and run again from the right place. On return
 * regions[] describe a partition of the data rows in order; if a region failed (FAIL
 * mode), *first_failed_out is its index (else -1) and later regions are not valid. */
segkit_status sk__split_run(const sk__split_config *cfg, sk__region *regions,
                            const sk__region_ops *ops, int *first_failed_out,
                            segkit_error *err);

/* Threads to use: n_threads option (0 = online CPUs), limited by the data size. */
int sk__regions_for(int n_threads, uint64_t data_bytes, size_t buffer_bytes);

/* ==== infer.c ========================================================================== */

/* Candidate types of a column as a bit set, bit = 1 << segkit_type. STRING is implied. */
#define SK__INFER_ALL                                                                      \
  ((1u << SEGKIT_TYPE_BOOL) | (1u << SEGKIT_TYPE_INT64) | (1u << SEGKIT_TYPE_FLOAT64) |    \
   (1u << SEGKIT_TYPE_DATE) | (1u << SEGKIT_TYPE_TIMESTAMP))
/* The date and timestamp candidate bits. */
#define SK__INFER_DATE_BITS ((1u << SEGKIT_TYPE_DATE) | (1u << SEGKIT_TYPE_TIMESTAMP))
/* The tolerant rule for a column no type fits entirely: date (else timestamp) when at least
 * 99% of at least 100 sampled values are dates (timestamps); else string. */
segkit_type sk__infer_pick_tolerant(uint64_t n_values, uint64_t n_dates, uint64_t n_timestamps);

typedef struct sk__infer_formats {
  const segkit_time_format *fmt;  /* options.date_format, or NULL */
  bool fmt_has_time;
} sk__infer_formats;

/* Which of the `candidates` the (trimmed, non-null) value fits. */
unsigned sk__infer_value(const char *s, size_t n, unsigned candidates,
                         const sk__infer_formats *f);
/* The narrowest type left in a candidate set, in the order bool, int64, float64, date,
 * timestamp; string if none (or if no value was seen). */
segkit_type sk__infer_pick(unsigned candidates, bool seen_value);

/* ==== reject.c ========================================================================= */

typedef struct sk__reject_rec {
  int64_t line;            /* row start, relative to the region until fixed up */
  int64_t column;          /* 1-based byte column in the field's physical line, 0 = row */
  int64_t field_line;      /* the physical line of that column (relative likewise) */
  int32_t col;             /* column index of the field, -1 = none */
  segkit_reject_reason reason;
  size_t msg_off, msg_len;
  size_t raw_off, raw_len;
} sk__reject_rec;

typedef struct sk__reject_list {
  sk__reject_rec *v;
  size_t n, cap;
  char *pool;
  size_t pool_len, pool_cap;
} sk__reject_list;

void sk__reject_list_free(sk__reject_list *l);
void sk__reject_list_clear(sk__reject_list *l);
segkit_status sk__reject_list_add(sk__reject_list *l, const sk__reject_rec *rec,
                                  const char *msg, size_t msg_len, const void *raw,
                                  size_t raw_len);

/* Status of an error carrying a reject reason in FAIL mode. */
segkit_status sk__reject_status(segkit_reject_reason r);
/* Print a value for a message: at most max_bytes, control bytes escaped, quotes doubled
 * as \"; "..." when cut. Returns the length written (always NUL-terminated). */
size_t sk__quote_value(char *dst, size_t size, const char *s, size_t n, size_t max_bytes);
/* Where byte `off` of a row is: 1-based column in its physical line and the number of
 * newlines before it in the row. */
void sk__row_position(const uint8_t *raw, size_t off, int64_t *column, int64_t *line_delta);

/* ==== read_result.c ==================================================================== */

/* Everything a reader hands to the result (the result takes ownership of table). */
/* Lines of accepted rows (newlines before each, counted from its region's start), when the
 * caller asked for them (segkit_read_options.keep_row_lines). */
typedef struct sk__line_vec {
  int64_t *v;
  size_t n, cap;
} sk__line_vec;

/* false on allocation failure. */
bool sk__line_vec_push(sk__line_vec *l, int64_t line);

typedef struct sk__result_parts {
  segkit_table *table;
  segkit_read_counts counts;
  char delimiter;
  size_t n_cols;
  const char *const *col_names;  /* copied */
  const bool *inferred;          /* copied */
  sk__reject_list *lists;        /* region reject lists, in order; records copied */
  const int64_t *line_base;      /* per list: absolute line of its region's first line - 1 */
  size_t n_lists;
  const sk__line_vec *row_lines; /* per list, or NULL when lines were not kept */
} sk__result_parts;

segkit_status sk__result_new(const sk__result_parts *p, segkit_read_result **out,
                             segkit_error *err);

/* The result object (read_result.c builds it, key_rules.c edits it after a read). */
struct segkit_read_result {
  segkit_table *table;
  segkit_read_counts counts;
  segkit_reject *rejects;
  size_t n_rejects;
  char *pool;                /* the reader's rejects' strings */
  char **extra;              /* strings of rejects added after the read, one block each */
  size_t n_extra;
  char delimiter;
  size_t n_cols;
  bool *inferred;
  int64_t *row_lines;        /* 1-based line of each table row, when kept */
  size_t n_row_lines;
};

/* Options with defaults filled in for fields left 0, and checked. */
segkit_status sk__options_resolve(const segkit_read_options *in, segkit_read_options *out,
                                  segkit_error *err);

/* ==== fixed options and helpers shared by the readers ================================== */

/* The null spellings in effect (options.null_values or the defaults) in a form cheap to
 * test on every field. */
typedef struct sk__nulls {
  const char *const *values;
  size_t n;
  uint64_t len_mask;    /* bit L set if some null value has length L (< 64) */
  uint64_t first[4];    /* bit b set if some null value starts with byte b */
  bool long_values;     /* some value is 64 bytes or longer */
} sk__nulls;

void sk__nulls_init(sk__nulls *nl, const segkit_read_options *opt);
bool sk__nulls_match_slow(const sk__nulls *nl, const char *s, size_t n);
/* Whether s[0..n) (n > 0) is a null spelling; two bit tests reject almost every value. */
static inline bool sk__nulls_match(const sk__nulls *nl, const char *s, size_t n) {
  unsigned char b = (unsigned char)s[0];
  if (((nl->first[b >> 6] >> (b & 63)) & 1u) == 0) {
    return false;
  }
  if (n < 64 ? ((nl->len_mask >> n) & 1u) == 0 : !nl->long_values) {
    return false;
  }
  return sk__nulls_match_slow(nl, s, n);
}

/* ==== column_plan.c: how each column's values are read ================================= */

typedef struct sk__colplan {
  size_t n_cols;
  char **names;              /* owned */
  segkit_type *types;        /* owned */
  bool *fixed;               /* owned: type set by the caller, not inferred */
  segkit_time_format *fmt;   /* owned: options.date_format compiled, or NULL */
  bool fmt_has_time;
  const char *fmt_pattern;
  sk__nulls nulls;
  size_t infer_rows;         /* for messages: 0 = all rows */
  size_t *order;             /* owned: append order, non-string columns first (only they
                                can reject a value, so a rejected row has added nothing,
                                not even a dictionary entry), then string columns */
} sk__colplan;

void sk__colplan_free(sk__colplan *p);
/* Allocate names/types/fixed for n columns (names NULL, types STRING). */
segkit_status sk__colplan_alloc(sk__colplan *p, size_t n, segkit_error *err);
/* Apply options.types: each must name an existing column (SEGKIT_ERR_SCHEMA naming it,
 * unless add_missing, which appends it as a new column: JSON Lines). */
segkit_status sk__colplan_apply_overrides(sk__colplan *p, const segkit_read_options *opt,
                                          bool add_missing, const char *source,
                                          segkit_error *err);
/* Compile options.date_format and the null spellings. */
segkit_status sk__colplan_set_formats(sk__colplan *p, const segkit_read_options *opt,
                                      segkit_error *err);
/* Fix the types: compute the append order. Call after the last type change. */
segkit_status sk__colplan_finalize(sk__colplan *p, segkit_error *err);
/* Builder for the plan's columns. */
segkit_status sk__colplan_builder(const sk__colplan *p, segkit_table_builder **out,
                                  segkit_error *err);

typedef enum sk__append_result {
  SK__APPEND_OK = 0,
  SK__APPEND_BAD,     /* not a value of the column's type */
  SK__APPEND_RANGE,   /* a number out of the type's range */
  SK__APPEND_NOMEM
} sk__append_result;

/* A parsed non-string value, in the storage of its column type. */
typedef union sk__value {
  int64_t i;     /* INT64, TIMESTAMP (microseconds) */
  double f;      /* FLOAT64 */
  int32_t d;     /* DATE (days) */
  uint8_t b;     /* BOOL */
} sk__value;

/* Parse a non-null, trimmed value of non-string column col. */
sk__append_result sk__parse_typed(const sk__colplan *p, size_t col, const char *s, size_t n,
                                  sk__value *out);
/* Append a parsed value to a builder column of type t. */
segkit_status sk__append_value(segkit_column_builder *cb, segkit_type t, sk__value v);
/* Parse a non-null, trimmed value of a non-string column and append it. */
sk__append_result sk__append_typed(const sk__colplan *p, size_t col, segkit_column_builder *cb,
                                   const char *s, size_t n);

/* Append one field's text to column col. quoted: the text came in quotes (CSV) or as a
 * JSON string, so null spellings do not apply and "" is an empty string in a string
 * column (null elsewhere). Unquoted empty text and null spellings are null. Non-string
 * values are trimmed of spaces and tabs first; blank means null. */
static inline sk__append_result sk__append_text(const sk__colplan *p, size_t col,
                                                segkit_column_builder *cb, const char *s,
                                                size_t n, bool quoted) {
  segkit_type t = p->types[col];
  if (!quoted && (n == 0 || sk__nulls_match(&p->nulls, s, n))) {
    return segkit_column_append_null(cb) == SEGKIT_OK ? SK__APPEND_OK : SK__APPEND_NOMEM;
  }
  if (t == SEGKIT_TYPE_STRING) {
    return segkit_column_append_string(cb, s, n) == SEGKIT_OK ? SK__APPEND_OK
                                                              : SK__APPEND_NOMEM;
  }
  sk__trim(&s, &n);
  if (n == 0) {
    return segkit_column_append_null(cb) == SEGKIT_OK ? SK__APPEND_OK : SK__APPEND_NOMEM;
  }
  return sk__append_typed(p, col, cb, s, n);
}

/* "... is not a valid float64 (expected ...; column type inferred from ...)" for a value
 * that did not fit column col. Returns the length written into buf. */
size_t sk__bad_value_message(const sk__colplan *p, size_t col, const char *s, size_t n,
                             sk__append_result why, char *buf, size_t size);

/* ==== batch.c: typed row batches and the parser -> appender pipe ======================= */

#define SK__BATCH_ROWS 4096
#define SK__PIPE_DEPTH 4
/* A batch is handed on early once its string arena passes this, bounding its memory. */
#define SK__BATCH_ARENA_FLUSH ((size_t)16 << 20)

typedef struct sk__batch {
  size_t n_rows;
  size_t n_cols;
  sk__value *vals;     /* column-major, [col * SK__BATCH_ROWS + row]; STRING: .i = arena offset */
  uint32_t *lens;      /* STRING cells: byte length (fields are < 2^31 bytes) */
  uint8_t *valid;      /* 0 = null */
  char *arena;         /* bytes of the string cells */
  size_t arena_len, arena_cap;
} sk__batch;

sk__batch *sk__batch_new(size_t n_cols);
void sk__batch_free(sk__batch *b);
bool sk__batch_arena_grow(sk__batch *b, size_t extra);
/* Copy a string into cell k (= col * SK__BATCH_ROWS + row). False on out-of-memory. */
static inline bool sk__batch_put_string(sk__batch *b, size_t k, const char *s, size_t n) {
  if (b->arena_cap - b->arena_len < n && !sk__batch_arena_grow(b, n)) {
    return false;
  }
  if (n > 0) {
    memcpy(b->arena + b->arena_len, s, n);
  }
  b->vals[k].i = (int64_t)b->arena_len;
  b->lens[k] = (uint32_t)n;
  b->arena_len += n;
  return true;
}
/* Append every row of the batch to the builder columns, column by column. */
segkit_status sk__batch_append(const sk__batch *b, segkit_column_builder *const *cbs,
                               const segkit_type *types);

typedef struct sk__pipe {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread;
  bool running;
  sk__batch *batches[SK__PIPE_DEPTH];
  sk__batch *free_list[SK__PIPE_DEPTH];
  int n_free;
  sk__batch *full[SK__PIPE_DEPTH];
  int full_head, n_full;
  bool done;                           /* the parser has put its last batch */
  bool abort;                          /* stop now (a failure on either side) */
  segkit_status status;                /* the appender's failure */
  segkit_column_builder *const *cbs;
  const segkit_type *types;
} sk__pipe;

/* Start an appender thread for these builder columns. SEGKIT_ERR_INTERNAL if no thread
 * could be made (append on the calling thread instead), SEGKIT_ERR_NOMEM. */
segkit_status sk__pipe_start(sk__pipe *p, size_t n_cols, segkit_column_builder *const *cbs,
                             const segkit_type *types);
/* An empty batch to fill; NULL once the appender has failed. */
sk__batch *sk__pipe_take_free(sk__pipe *p);
void sk__pipe_put_full(sk__pipe *p, sk__batch *b);
/* Append what is queued (unless abort), stop the thread, free the batches; the
 * appender's status. */
segkit_status sk__pipe_finish(sk__pipe *p, bool abort);

#endif
