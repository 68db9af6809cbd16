/* CSV reader: header, delimiter detection, type inference, and the build pass.
 *
 * A read goes: open the source; skip a UTF-8 BOM; detect the delimiter on the header and
 * the first rows; take the header; infer column types from the first infer_rows rows
 * (one sequential pass over the start of the file, or a parallel pass over all of it when
 * infer_rows is 0); then build the table in regions (csv_split.c), each region with a
 * parser thread and, given a second thread, an appender thread (batch.c); parts of
 * several regions are joined with segkit_table_concat.
 *
 * The parse loop is the hot path. Per row: the tokenizer's field spans; a row-level check
 * (structural problem, UTF-8 only if the scanner saw a high byte, field count); then per
 * column one switch on the type, writing the value into the current batch, with no
 * allocation (quoted fields with doubled quotes are unescaped into a per-thread scratch
 * buffer, strings copied into the batch's arena). A bad value rejects the row before any
 * of it reaches the table: the row is just not counted into the batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

/* Bytes per read: small enough that a chunk is still in L2 when it is tokenized. */
#define READ_CHUNK ((size_t)1 << 20)
/* Rows looked at to detect the delimiter, and the most bytes read to do it. */
#define DETECT_ROWS 20
#define DETECT_BYTES ((uint64_t)1 << 20)

typedef struct build_state {
  segkit_table_builder *b;
  segkit_column_builder **cbs;
  segkit_table *part;
  sk__reject_list rejects;
  segkit_read_counts counts;
  char *scratch;             /* unescaped quoted fields */
  size_t scratch_cap;
  sk__batch *batch;          /* when appending on the parsing thread */
  sk__pipe pipe;             /* when an appender thread takes the batches */
  sk__line_vec row_lines;    /* accepted rows' lines, when kept */
} build_state;

typedef struct infer_state {
  unsigned *cand;
  bool *seen;
  /* Per column: sampled non-null values, and how many of them are dates / timestamps
   * (a date counts as both), for the tolerant date rule in pick_column_type. */
  uint64_t *n_values;
  uint64_t *n_dates;
  uint64_t *n_timestamps;
  char *scratch;
  size_t scratch_cap;
} infer_state;

typedef struct csv_ctx {
  segkit_read_options opt;   /* resolved */
  sk__source src;
  const char *name;
  sk__dialect d;
  uint64_t bom;              /* 3 if the file starts with a UTF-8 BOM */
  uint64_t data_start;
  int64_t header_lines;      /* newlines up to the first data row */
  sk__colplan plan;
  sk__infer_formats inf;
  double bytes_per_row;      /* from the inference sample, for reserving */
  int n_threads;              /* threads worth using for this input */
  int n_regions;             /* build regions: n_threads / 2 when pipelined */
  bool pipelined;            /* each region has a parser and an appender thread */
  atomic_int first_failed;
  build_state *build;
  infer_state *infer;
  size_t infer_limit;        /* rows for a sequential inference pass (0 = all, parallel) */
} csv_ctx;

/* ==== small helpers ===================================================================== */

/* Copy of a quoted field's value with each "" turned into one quote, in *scratch. */
static bool unescape_field(const char *v, size_t len, uint8_t quote, char **scratch,
                           size_t *scratch_cap, size_t *out_len) {
  if (*scratch_cap < len + 1) {
    size_t cap = len + 1 < 256 ? 256 : len + 1;
    char *p = realloc(*scratch, cap);
    if (p == NULL) {
      return false;
    }
    *scratch = p;
    *scratch_cap = cap;
  }
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    (*scratch)[o++] = v[i];
    if ((uint8_t)v[i] == quote && i + 1 < len && (uint8_t)v[i + 1] == quote) {
      i++; /* "" is one quote */
    }
  }
  *out_len = o;
  return true;
}

/* Value bytes of field f, unescaped into *scratch when it holds doubled quotes. Returns
 * false only when scratch cannot grow. */
static inline bool field_text(const sk__row *row, const sk__field *f, uint8_t quote,
                              char **scratch, size_t *scratch_cap, const char **s, size_t *n) {
  const char *v = (const char *)row->raw + f->off;
  if ((f->flags & SK__FIELD_ESCAPED) == 0) {
    *s = v;
    *n = f->len;
    return true;
  }
  if (!unescape_field(v, f->len, quote, scratch, scratch_cap, n)) {
    return false;
  }
  *s = *scratch;
  return true;
}

/* Index of the field that contains byte `off` of the row, or -1. */
static int field_at(const sk__row *row, size_t field_cap, size_t off) {
  size_t kept = row->n_fields < field_cap ? row->n_fields : field_cap;
  int idx = -1;
  for (size_t i = 0; i < kept; i++) {
    if (row->fields[i].raw_off <= off) {
      idx = (int)i;
    } else {
      break;
    }
  }
  return idx;
}

/* What is wrong with a row the tokenizer flagged, in words. */
static void structural_message(const csv_ctx *c, const sk__row *row, char *buf, size_t size) {
  if (row->problem == SEGKIT_REJECT_FIELD_TOO_LONG) {
    if (row->truncated_raw) {
      snprintf(buf, size,
               "row longer than the reader's limit of %zu bytes; only its first %zu bytes are "
               "kept (expected rows shorter than buffer_bytes + 2 x max_field_bytes; a quote "
               "that is never closed also makes the rest of the file one row)",
               c->opt.buffer_bytes + 2 * c->opt.max_field_bytes, row->raw_len);
    } else {
      snprintf(buf, size, "field longer than the limit of %zu bytes (expected at most "
                          "max_field_bytes = %zu bytes per field)",
               c->opt.max_field_bytes, c->opt.max_field_bytes);
    }
    return;
  }
  switch (row->quote_problem) {
    case SK__QUOTE_UNCLOSED:
      snprintf(buf, size, "a quoted field that is never closed (expected a closing quote; "
                          "the field runs to the end of the file)");
      break;
    case SK__QUOTE_STRAY:
      snprintf(buf, size, "a quote inside an unquoted field (expected the whole field in "
                          "quotes, with quotes inside it doubled)");
      break;
    default:
      snprintf(buf, size, "text after the closing quote of a field (expected a delimiter or "
                          "the end of the line)");
      break;
  }
}

/* ==== rejects =========================================================================== */

/* Count a rejected row and act on it as options.on_error says. off: byte of the problem
 * in the row (SIZE_MAX: the row as a whole); col: column index or -1. */
static segkit_status reject_row(csv_ctx *c, build_state *bs, sk__region *r, const sk__row *row,
                                segkit_reject_reason reason, size_t off, int col,
                                const char *msg) {
  bs->counts.rows_rejected++;
  bs->counts.rejected_by_reason[reason]++;
  int64_t column = 0;
  int64_t delta = 0;
  if (off != SIZE_MAX && !row->truncated_raw) {
    sk__row_position(row->raw, off, &column, &delta);
  }
  const char *field = col >= 0 && (size_t)col < c->plan.n_cols ? c->plan.names[col] : NULL;
  switch (c->opt.on_error) {
    case SEGKIT_ON_ERROR_FAIL: {
      r->failed = true;
      segkit_error_set_at(&r->err, sk__reject_status(reason), c->name, row->line + delta, column,
                          field, "%s", msg);
      int cur = atomic_load(&c->first_failed);
      while (r->index < cur && !atomic_compare_exchange_weak(&c->first_failed, &cur, r->index)) {
      }
      return SEGKIT_OK;
    }
    case SEGKIT_ON_ERROR_SKIP:
      return SEGKIT_OK;
    case SEGKIT_ON_ERROR_QUARANTINE:
    default: {
      sk__reject_rec rec = {row->line, column, row->line + delta, col, reason, 0, 0, 0, 0};
      if (sk__reject_list_add(&bs->rejects, &rec, msg, strlen(msg), row->raw, row->raw_len) !=
          SEGKIT_OK) {
        return segkit_error_set(&r->err, SEGKIT_ERR_NOMEM, "no memory to keep rejected rows");
      }
      return SEGKIT_OK;
    }
  }
}

/* Reject for anything but a bad value; returns true when the row was bad. */
static bool check_row(csv_ctx *c, build_state *bs, sk__region *r, const sk__row *row,
                      size_t field_cap, segkit_status *st) {
  char msg[512];
  size_t n_cols = c->plan.n_cols;
  if (row->problem >= 0) {
    structural_message(c, row, msg, sizeof msg);
    size_t off = row->truncated_raw ? SIZE_MAX : row->problem_off;
    int col = row->truncated_raw ? -1 : field_at(row, field_cap, row->problem_off);
    *st = reject_row(c, bs, r, row, (segkit_reject_reason)row->problem, off, col, msg);
    return true;
  }
  if (row->maybe_non_ascii) {
    size_t bad = sk__utf8_find_invalid(row->raw, row->raw_len);
    if (bad < row->raw_len) {
      char shown[64];
      size_t k = row->raw_len - bad < 4 ? row->raw_len - bad : 4;
      sk__quote_value(shown, sizeof shown, (const char *)row->raw + bad, k, 4);
      snprintf(msg, sizeof msg,
               "bytes that are not valid UTF-8 (\"%s\"; expected UTF-8 text: convert the file, "
               "for example with iconv -f latin1 -t utf-8)",
               shown);
      *st = reject_row(c, bs, r, row, SEGKIT_REJECT_BAD_UTF8, bad, field_at(row, field_cap, bad),
                       msg);
      return true;
    }
  }
  if (row->n_fields < n_cols) {
    snprintf(msg, sizeof msg,
             "%zu field%s where the header has %zu (expected a value for every column; "
             "the first missing is \"%s\")",
             row->n_fields, row->n_fields == 1 ? "" : "s", n_cols, c->plan.names[row->n_fields]);
    *st = reject_row(c, bs, r, row, SEGKIT_REJECT_TOO_FEW_FIELDS, SIZE_MAX, -1, msg);
    return true;
  }
  if (row->n_fields > n_cols) {
    char delim[3] = {(char)c->d.delim, '\0', '\0'};
    if (c->d.delim == '\t') {
      memcpy(delim, "\\t", 3);
    }
    snprintf(msg, sizeof msg,
             "%zu fields where the header has %zu (expected %zu; a value containing the "
             "delimiter '%s' must be quoted)",
             row->n_fields, n_cols, n_cols, delim);
    *st = reject_row(c, bs, r, row, SEGKIT_REJECT_TOO_MANY_FIELDS, row->fields[n_cols].raw_off, -1,
                     msg);
    return true;
  }
  return false;
}

/* ==== build pass ======================================================================== */

static void build_reset(void *vctx, sk__region *r) {
  csv_ctx *c = vctx;
  build_state *bs = &c->build[r->index];
  segkit_table_builder_free(bs->b);
  bs->b = NULL;
  segkit_table_free(bs->part);
  bs->part = NULL;
  sk__reject_list_clear(&bs->rejects);
  memset(&bs->counts, 0, sizeof bs->counts);
  bs->row_lines.n = 0;
}

static segkit_status build_start(csv_ctx *c, build_state *bs, const sk__region *r,
                                 segkit_error *err) {
  segkit_status st = sk__colplan_builder(&c->plan, &bs->b, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  if (bs->cbs == NULL) {
    bs->cbs = calloc(c->plan.n_cols + 1, sizeof *bs->cbs);
    if (bs->cbs == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for column builders");
    }
  }
  for (size_t i = 0; i < c->plan.n_cols; i++) {
    bs->cbs[i] = segkit_table_builder_column(bs->b, i);
  }
  /* Reserve what the sample suggests this region holds (an estimate; growth still works). */
  if (c->bytes_per_row > 0) {
    uint64_t end = r->bound < c->src.size ? r->bound : c->src.size;
    uint64_t bytes = end > r->start ? end - r->start : 0;
    double rows = (double)bytes / c->bytes_per_row * 1.02 + 16;
    if (rows < 1e9) {
      st = segkit_table_builder_reserve(bs->b, (size_t)rows, err);
      if (st != SEGKIT_OK) {
        return st;
      }
    }
  }
  return SEGKIT_OK;
}

/* Parse a row's values into the next row of batch b; a bad value rejects the row, and
 * the row is simply not counted into the batch (nothing reached the table). */
static segkit_status parse_row(csv_ctx *c, build_state *bs, sk__region *r, const sk__row *row,
                               sk__batch *b) {
  const size_t n_cols = c->plan.n_cols;
  const segkit_type *types = c->plan.types;
  const uint8_t quote = c->d.quote;
  const size_t at = b->n_rows;
  const size_t mark = b->arena_len;
  for (size_t i = 0; i < n_cols; i++) {
    const sk__field *f = &row->fields[i];
    const size_t k = i * SK__BATCH_ROWS + at;
    const char *s;
    size_t n;
    if (!field_text(row, f, quote, &bs->scratch, &bs->scratch_cap, &s, &n)) {
      return segkit_error_set(&r->err, SEGKIT_ERR_NOMEM, "no memory for a %zu-byte field",
                              f->len);
    }
    if ((f->flags & SK__FIELD_QUOTED) == 0 && (n == 0 || sk__nulls_match(&c->plan.nulls, s, n))) {
      b->valid[k] = 0;
      continue;
    }
    if (types[i] == SEGKIT_TYPE_STRING) {
      if (!sk__batch_put_string(b, k, s, n)) {
        return segkit_error_set(&r->err, SEGKIT_ERR_NOMEM, "no memory for a %zu-byte field", n);
      }
      b->valid[k] = 1;
      continue;
    }
    sk__trim(&s, &n);
    if (n == 0) {
      b->valid[k] = 0; /* blank is null outside string columns */
      continue;
    }
    sk__append_result ar = sk__parse_typed(&c->plan, i, s, n, &b->vals[k]);
    if (ar != SK__APPEND_OK) {
      b->arena_len = mark;
      char msg[768];
      sk__bad_value_message(&c->plan, i, s, n, ar, msg, sizeof msg);
      return reject_row(c, bs, r, row, SEGKIT_REJECT_BAD_VALUE, f->raw_off, (int)i, msg);
    }
    b->valid[k] = 1;
  }
  if (c->opt.keep_row_lines && !sk__line_vec_push(&bs->row_lines, row->line)) {
    b->arena_len = mark;
    return segkit_error_set(&r->err, SEGKIT_ERR_NOMEM, "no memory for row lines");
  }
  b->n_rows++;
  bs->counts.rows_imported++;
  return SEGKIT_OK;
}

/* Hand a full batch on: to the appender thread (returning the next empty batch, or NULL
 * if the appender failed), or append it here and reuse it. */
static sk__batch *hand_on(csv_ctx *c, build_state *bs, sk__batch *b, bool piped,
                          segkit_status *st) {
  if (piped) {
    sk__pipe_put_full(&bs->pipe, b);
    return sk__pipe_take_free(&bs->pipe);
  }
  *st = sk__batch_append(b, bs->cbs, c->plan.types);
  b->n_rows = 0;
  b->arena_len = 0;
  return b;
}

/* Rows of region r into its table part: parse into batches on this thread; append them
 * on a second thread when the read is pipelined, else here. */
static segkit_status build_run(void *vctx, sk__region *r, sk__rowreader *rr) {
  csv_ctx *c = vctx;
  build_state *bs = &c->build[r->index];
  segkit_status st = build_start(c, bs, r, &r->err);
  if (st != SEGKIT_OK) {
    return st;
  }
  bool piped = false;
  if (c->pipelined) {
    st = sk__pipe_start(&bs->pipe, c->plan.n_cols, bs->cbs, c->plan.types);
    if (st == SEGKIT_ERR_NOMEM) {
      return segkit_error_set(&r->err, st, "no memory for row batches");
    }
    piped = st == SEGKIT_OK; /* no thread: append on this one */
  }
  sk__batch *b = NULL;
  if (piped) {
    b = sk__pipe_take_free(&bs->pipe);
  } else {
    if (bs->batch == NULL) {
      bs->batch = sk__batch_new(c->plan.n_cols);
    }
    b = bs->batch;
    if (b != NULL) {
      b->n_rows = 0;
      b->arena_len = 0;
    }
  }
  segkit_status result = b == NULL ? SEGKIT_ERR_NOMEM : SEGKIT_OK;
  bool complete = false;
  unsigned tick = 0;
  while (result == SEGKIT_OK) {
    sk__row row;
    bool got = false;
    result = sk__rowreader_next(rr, &row, &got, &r->err);
    if (result != SEGKIT_OK) {
      break;
    }
    if (!got) {
      complete = true;
      break;
    }
    bs->counts.rows_read++;
    if (!check_row(c, bs, r, &row, rr->field_cap, &result)) {
      result = parse_row(c, bs, r, &row, b);
    }
    if (result != SEGKIT_OK || r->failed) {
      break;
    }
    if (b->n_rows == SK__BATCH_ROWS || b->arena_len >= SK__BATCH_ARENA_FLUSH) {
      b = hand_on(c, bs, b, piped, &result);
      if (b == NULL) {
        break; /* the appender failed; its status comes from sk__pipe_finish */
      }
    }
    /* In FAIL mode, stop once an earlier region has failed: its error wins. */
    if ((++tick & 1023u) == 0 && atomic_load_explicit(&c->first_failed, memory_order_relaxed) <
                                     r->index) {
      break;
    }
  }
  bool ok = complete && result == SEGKIT_OK && b != NULL;
  if (ok && b->n_rows > 0) {
    if (piped) {
      sk__pipe_put_full(&bs->pipe, b);
    } else {
      result = sk__batch_append(b, bs->cbs, c->plan.types);
    }
  }
  if (piped) {
    segkit_status pst = sk__pipe_finish(&bs->pipe, !ok);
    if (pst != SEGKIT_OK && result == SEGKIT_OK) {
      result = segkit_error_set(&r->err, pst, "no memory for the table");
      ok = false;
    }
  }
  if (result == SEGKIT_ERR_NOMEM && r->err.code != SEGKIT_ERR_NOMEM) {
    segkit_error_set(&r->err, result, "no memory for the table");
  }
  if (!ok || result != SEGKIT_OK) {
    return result;
  }
  r->complete = true;
  st = segkit_table_builder_finish(bs->b, &bs->part, &r->err);
  if (st != SEGKIT_OK) {
    return st;
  }
  bs->b = NULL;
  return SEGKIT_OK;
}

/* ==== inference pass ==================================================================== */

static void infer_reset(void *vctx, sk__region *r) {
  csv_ctx *c = vctx;
  infer_state *is = &c->infer[r->index];
  for (size_t i = 0; i < c->plan.n_cols; i++) {
    is->cand[i] = SK__INFER_ALL;
    is->seen[i] = false;
    is->n_values[i] = 0;
    is->n_dates[i] = 0;
    is->n_timestamps[i] = 0;
  }
}

static segkit_status infer_row(csv_ctx *c, infer_state *is, const sk__row *row) {
  if (row->problem >= 0 || row->n_fields != c->plan.n_cols ||
      (row->maybe_non_ascii && !sk__utf8_valid(row->raw, row->raw_len))) {
    return SEGKIT_OK; /* a row that will be rejected says nothing about types */
  }
  for (size_t i = 0; i < c->plan.n_cols; i++) {
    if (c->plan.fixed[i]) {
      continue;
    }
    const sk__field *f = &row->fields[i];
    bool quoted = (f->flags & SK__FIELD_QUOTED) != 0;
    const char *s;
    size_t n;
    if (!field_text(row, f, c->d.quote, &is->scratch, &is->scratch_cap, &s, &n)) {
      return SEGKIT_ERR_NOMEM;
    }
    if (!quoted && (n == 0 || sk__nulls_match(&c->plan.nulls, s, n))) {
      continue;
    }
    sk__trim(&s, &n);
    if (n == 0) {
      continue; /* blank (or "") is null in any non-string column */
    }
    is->seen[i] = true;
    /* Dates and timestamps are always tried, even once the column has lost them, to
     * count how many values are dates for the tolerant rule. */
    unsigned when = is->cand[i] | SK__INFER_DATE_BITS;
    unsigned fits = sk__infer_value(s, n, when, &c->inf);
    is->cand[i] &= fits;
    is->n_values[i]++;
    is->n_dates[i] += (fits & (1u << SEGKIT_TYPE_DATE)) != 0;
    is->n_timestamps[i] += (fits & (1u << SEGKIT_TYPE_TIMESTAMP)) != 0;
  }
  return SEGKIT_OK;
}

static segkit_status infer_run(void *vctx, sk__region *r, sk__rowreader *rr) {
  csv_ctx *c = vctx;
  infer_state *is = &c->infer[r->index];
  size_t rows = 0;
  for (;;) {
    if (c->infer_limit > 0 && rows >= c->infer_limit) {
      break;
    }
    sk__row row;
    bool got = false;
    segkit_status st = sk__rowreader_next(rr, &row, &got, &r->err);
    if (st != SEGKIT_OK) {
      return st;
    }
    if (!got) {
      break;
    }
    rows++;
    if (infer_row(c, is, &row) != SEGKIT_OK) {
      return segkit_error_set(&r->err, SEGKIT_ERR_NOMEM, "no memory for type inference");
    }
  }
  r->complete = true;
  if (rows > 0 && c->infer_limit > 0) { /* the sequential pass only: one writer */
    uint64_t used = sk__rowreader_position(rr) - r->start;
    c->bytes_per_row = (double)used / (double)rows;
  }
  return SEGKIT_OK;
}

static void infer_states_free(csv_ctx *c, int n) {
  if (c->infer == NULL) {
    return;
  }
  for (int t = 0; t < n; t++) {
    free(c->infer[t].cand);
    free(c->infer[t].seen);
    free(c->infer[t].n_values);
    free(c->infer[t].n_dates);
    free(c->infer[t].n_timestamps);
    free(c->infer[t].scratch);
  }
  free(c->infer);
  c->infer = NULL;
}

static sk__rowreader_config reader_config(const csv_ctx *c, int n_regions, size_t field_cap,
                                          bool grow) {
  sk__rowreader_config cfg;
  cfg.buffer_bytes = c->opt.buffer_bytes / (size_t)(n_regions < 1 ? 1 : n_regions);
  cfg.cap_limit = c->opt.buffer_bytes + 2 * c->opt.max_field_bytes;
  cfg.read_chunk = READ_CHUNK;
  cfg.field_cap = field_cap;
  cfg.grow_fields = grow;
  return cfg;
}

static segkit_status infer_types(csv_ctx *c, segkit_error *err) {
  bool any = false;
  for (size_t i = 0; i < c->plan.n_cols; i++) {
    any = any || !c->plan.fixed[i];
  }
  if (!any && c->opt.infer_rows != 0) {
    return SEGKIT_OK; /* every type fixed; no sample needed (still estimate row size) */
  }
  int n = c->opt.infer_rows == 0 ? c->n_threads : 1;
  c->infer = calloc((size_t)n, sizeof *c->infer);
  if (c->infer == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for type inference");
  }
  for (int t = 0; t < n; t++) {
    c->infer[t].cand = malloc((c->plan.n_cols + 1) * sizeof(unsigned));
    c->infer[t].seen = malloc((c->plan.n_cols + 1) * sizeof(bool));
    c->infer[t].n_values = malloc((c->plan.n_cols + 1) * sizeof(uint64_t));
    c->infer[t].n_dates = malloc((c->plan.n_cols + 1) * sizeof(uint64_t));
    c->infer[t].n_timestamps = malloc((c->plan.n_cols + 1) * sizeof(uint64_t));
    if (c->infer[t].cand == NULL || c->infer[t].seen == NULL || c->infer[t].n_values == NULL ||
        c->infer[t].n_dates == NULL || c->infer[t].n_timestamps == NULL) {
      infer_states_free(c, n);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for type inference");
    }
    sk__region r = {.index = t};
    infer_reset(c, &r);
  }
  sk__region_ops ops = {infer_run, infer_reset, c};
  segkit_status st;
  sk__region *regions = calloc((size_t)n, sizeof *regions);
  if (regions == NULL) {
    infer_states_free(c, n);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for type inference");
  }
  if (c->opt.infer_rows == 0) {
    c->infer_limit = 0;
    sk__split_config sc = {&c->src, c->d, c->data_start, n,
                           reader_config(c, n, c->plan.n_cols + 1, false), &c->first_failed};
    int failed = -1;
    st = sk__split_run(&sc, regions, &ops, &failed, err);
  } else {
    c->infer_limit = c->opt.infer_rows;
    sk__rowreader rr;
    sk__rowreader_config cfg = reader_config(c, 1, c->plan.n_cols + 1, false);
    st = sk__rowreader_init(&rr, &c->src, &c->d, &cfg, c->data_start, UINT64_MAX, err);
    if (st == SEGKIT_OK) {
      regions[0].start = c->data_start;
      st = infer_run(c, &regions[0], &rr);
      if (st != SEGKIT_OK && err != NULL) {
        *err = regions[0].err;
      }
      sk__rowreader_free(&rr);
    }
  }
  free(regions);
  if (st == SEGKIT_OK) {
    for (size_t i = 0; i < c->plan.n_cols; i++) {
      if (c->plan.fixed[i]) {
        continue;
      }
      unsigned cand = SK__INFER_ALL;
      bool seen = false;
      uint64_t n_values = 0;
      uint64_t n_dates = 0;
      uint64_t n_timestamps = 0;
      for (int t = 0; t < n; t++) {
        cand &= c->infer[t].cand[i];
        seen = seen || c->infer[t].seen[i];
        n_values += c->infer[t].n_values[i];
        n_dates += c->infer[t].n_dates[i];
        n_timestamps += c->infer[t].n_timestamps[i];
      }
      c->plan.types[i] = sk__infer_pick(cand, seen);
      if (c->plan.types[i] == SEGKIT_TYPE_STRING) {
        c->plan.types[i] = sk__infer_pick_tolerant(n_values, n_dates, n_timestamps);
      }
    }
  }
  infer_states_free(c, n);
  return st;
}

/* ==== header and delimiter ============================================================== */

/* Fields per row over the first rows with delimiter d: the header's count and whether
 * every following row has the same. */
static segkit_status probe_delimiter(csv_ctx *c, uint8_t d, size_t *header_fields,
                                     bool *consistent, segkit_error *err) {
  sk__dialect dl = c->d;
  dl.delim = d;
  sk__rowreader_config cfg = {64 * 1024, c->opt.buffer_bytes + 2 * c->opt.max_field_bytes,
                              64 * 1024, 64, true};
  sk__rowreader rr;
  segkit_status st = sk__rowreader_init(&rr, &c->src, &dl, &cfg, c->bom, UINT64_MAX, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  *header_fields = 0;
  *consistent = true;
  for (int k = 0; k <= DETECT_ROWS; k++) {
    if (k > 1 && sk__rowreader_position(&rr) - c->bom > DETECT_BYTES) {
      break;
    }
    sk__row row;
    bool got = false;
    st = sk__rowreader_next(&rr, &row, &got, err);
    if (st != SEGKIT_OK || !got) {
      break;
    }
    if (k == 0) {
      *header_fields = row.n_fields;
    } else if (row.n_fields != *header_fields || row.problem >= 0) {
      *consistent = false;
    }
  }
  sk__rowreader_free(&rr);
  return st;
}

static segkit_status detect_delimiter(csv_ctx *c, segkit_error *err) {
  static const uint8_t candidates[] = {',', ';', '\t', '|'};
  int best = -1;
  size_t best_fields = 1;
  for (size_t k = 0; k < sizeof candidates; k++) {
    size_t nf = 0;
    bool consistent = false;
    segkit_status st = probe_delimiter(c, candidates[k], &nf, &consistent, err);
    if (st != SEGKIT_OK) {
      return st;
    }
    if (consistent && nf > 1) {
      c->d.delim = candidates[k]; /* the first consistent one, in the documented order */
      return SEGKIT_OK;
    }
    if (nf > best_fields) {
      best = (int)k;
      best_fields = nf;
    }
  }
  /* None consistent (ragged rows): the one splitting the header the most, else ','. */
  c->d.delim = best >= 0 ? candidates[best] : ',';
  return SEGKIT_OK;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Header names: unescaped, trimmed of spaces, non-empty and unique. */
static segkit_status take_header(csv_ctx *c, const sk__row *row, segkit_error *err) {
  segkit_status st = sk__colplan_alloc(&c->plan, row->n_fields, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  char *scratch = NULL;
  size_t scratch_cap = 0;
  int64_t header_line = row->line + 1;
  for (size_t i = 0; i < row->n_fields; i++) {
    const char *s;
    size_t n;
    if (!field_text(row, &row->fields[i], c->d.quote, &scratch, &scratch_cap, &s, &n)) {
      free(scratch);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the header");
    }
    sk__trim(&s, &n);
    int64_t col = 0;
    int64_t delta = 0;
    sk__row_position(row->raw, row->fields[i].raw_off, &col, &delta);
    if (n == 0) {
      free(scratch);
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, c->name, header_line + delta, col, NULL,
                                 "column %zu has an empty name in the header (expected a name "
                                 "for every column; a delimiter at the end of the header line "
                                 "also makes an empty last column)",
                                 i + 1);
    }
    if (memchr(s, '\0', n) != NULL) {
      free(scratch);
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, c->name, header_line + delta, col, NULL,
                                 "column %zu's name contains a NUL byte (expected text)", i + 1);
    }
    c->plan.names[i] = malloc(n + 1);
    if (c->plan.names[i] == NULL) {
      free(scratch);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the header");
    }
    memcpy(c->plan.names[i], s, n);
    c->plan.names[i][n] = '\0';
  }
  free(scratch);
  /* Duplicates: sort pointers to the names, then report the earliest repeated column. */
  size_t nc = c->plan.n_cols;
  char **sorted = malloc(nc * sizeof *sorted);
  if (sorted == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the header");
  }
  memcpy(sorted, c->plan.names, nc * sizeof *sorted);
  qsort(sorted, nc, sizeof *sorted, compare_names);
  const char *dup = NULL;
  for (size_t i = 1; i < nc; i++) {
    if (strcmp(sorted[i - 1], sorted[i]) == 0) {
      dup = sorted[i];
      break;
    }
  }
  free(sorted);
  if (dup == NULL) {
    return SEGKIT_OK;
  }
  size_t first = nc;
  size_t second = nc;
  for (size_t i = 0; i < nc; i++) {
    for (size_t j = i + 1; j < nc && first == nc; j++) {
      if (strcmp(c->plan.names[i], c->plan.names[j]) == 0) {
        first = i;
        second = j;
      }
    }
    if (first != nc) {
      break;
    }
  }
  int64_t col = 0;
  int64_t delta = 0;
  sk__row_position(row->raw, row->fields[second].raw_off, &col, &delta);
  return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, c->name, header_line + delta, col,
                             c->plan.names[second],
                             "duplicate column name \"%s\" (columns %zu and %zu; expected "
                             "unique names in the header)",
                             c->plan.names[second], first + 1, second + 1);
}

static segkit_status read_header(csv_ctx *c, segkit_error *err) {
  sk__rowreader_config cfg = {64 * 1024, c->opt.buffer_bytes + 2 * c->opt.max_field_bytes,
                              64 * 1024, 64, true};
  sk__rowreader rr;
  segkit_status st = sk__rowreader_init(&rr, &c->src, &c->d, &cfg, c->bom, UINT64_MAX, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  sk__row row;
  bool got = false;
  st = sk__rowreader_next(&rr, &row, &got, err);
  if (st == SEGKIT_OK && !got) {
    st = segkit_error_set_at(err, SEGKIT_ERR_PARSE, c->name, 0, 0, NULL,
                             "the file is empty (expected a header row naming the columns)");
  }
  if (st == SEGKIT_OK && row.problem >= 0) {
    char msg[512];
    structural_message(c, &row, msg, sizeof msg);
    int64_t col = 0;
    int64_t delta = 0;
    if (!row.truncated_raw) {
      sk__row_position(row.raw, row.problem_off, &col, &delta);
    }
    st = segkit_error_set_at(err, row.problem == SEGKIT_REJECT_FIELD_TOO_LONG ? SEGKIT_ERR_LIMIT
                                                                               : SEGKIT_ERR_PARSE,
                             c->name, row.line + 1 + delta, col, NULL, "header: %s", msg);
  }
  if (st == SEGKIT_OK) {
    size_t bad = sk__utf8_find_invalid(row.raw, row.raw_len);
    if (bad < row.raw_len) {
      int64_t col = 0;
      int64_t delta = 0;
      sk__row_position(row.raw, bad, &col, &delta);
      st = segkit_error_set_at(err, SEGKIT_ERR_PARSE, c->name, row.line + 1 + delta, col, NULL,
                               "header: bytes that are not valid UTF-8 (expected UTF-8 text)");
    }
  }
  if (st == SEGKIT_OK) {
    /* A carriage return inside the header row: the file ends its lines with CR alone
     * (classic Mac OS), so the whole file would read as one header and no rows. */
    const uint8_t *cr = memchr(row.raw, '\r', row.raw_len);
    if (cr != NULL) {
      int64_t col = 0;
      int64_t delta = 0;
      sk__row_position(row.raw, (size_t)(cr - row.raw), &col, &delta);
      st = segkit_error_set_at(err, SEGKIT_ERR_PARSE, c->name, row.line + 1 + delta, col, NULL,
                               "header: a carriage return inside the header row; the file seems "
                               "to end its lines with CR alone (classic Mac OS) (expected LF or "
                               "CRLF line ends: convert with tr '\\r' '\\n')");
    }
  }
  if (st == SEGKIT_OK) {
    st = take_header(c, &row, err);
  }
  if (st == SEGKIT_OK) {
    c->data_start = sk__rowreader_position(&rr);
    c->header_lines = rr.lines;
  }
  sk__rowreader_free(&rr);
  return st;
}

/* ==== the read ========================================================================== */

static void ctx_free(csv_ctx *c) {
  if (c->build != NULL) {
    for (int t = 0; t < c->n_regions; t++) {
      build_state *bs = &c->build[t];
      segkit_table_builder_free(bs->b);
      segkit_table_free(bs->part);
      sk__reject_list_free(&bs->rejects);
      free(bs->scratch);
      free(bs->cbs);
      sk__batch_free(bs->batch);
      free(bs->row_lines.v);
    }
    free(c->build);
  }
  sk__colplan_free(&c->plan);
  sk__source_close(&c->src);
}

/* Line numbers: absolute line of region t's first line, minus one. */
static void line_bases(const csv_ctx *c, const sk__region *regions, int n, int64_t *base) {
  int64_t b = c->header_lines;
  for (int t = 0; t < n; t++) {
    base[t] = b;
    b += regions[t].lines;
  }
}

static segkit_status assemble(csv_ctx *c, sk__region *regions, int n,
                              segkit_read_result **out, segkit_error *err) {
  segkit_table *table = NULL;
  segkit_status st = SEGKIT_OK;
  if (n == 1) {
    table = c->build[0].part;
    c->build[0].part = NULL;
  } else {
    const segkit_table **parts = malloc((size_t)n * sizeof *parts);
    if (parts == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to join the table parts");
    }
    for (int t = 0; t < n; t++) {
      parts[t] = c->build[t].part;
    }
    st = segkit_table_concat(parts, (size_t)n, &table, err);

    free(parts);
    if (st != SEGKIT_OK) {
      return st;
    }
    for (int t = 0; t < n; t++) {
      segkit_table_free(c->build[t].part);
      c->build[t].part = NULL;
    }
  }
  sk__result_parts p;
  memset(&p, 0, sizeof p);
  p.table = table;
  for (int t = 0; t < n; t++) {
    const segkit_read_counts *k = &c->build[t].counts;
    p.counts.rows_read += k->rows_read;
    p.counts.rows_imported += k->rows_imported;
    p.counts.rows_rejected += k->rows_rejected;
    for (int r = 0; r < SEGKIT_REJECT_COUNT; r++) {
      p.counts.rejected_by_reason[r] += k->rejected_by_reason[r];
    }
  }
  p.counts.bytes_read = (int64_t)c->src.size;
  p.delimiter = (char)c->d.delim;
  p.n_cols = c->plan.n_cols;
  p.col_names = (const char *const *)c->plan.names;
  bool *inferred = malloc((c->plan.n_cols + 1) * sizeof *inferred);
  int64_t *base = malloc((size_t)n * sizeof *base);
  sk__reject_list *lists = malloc((size_t)n * sizeof *lists);
  sk__line_vec *lines = malloc((size_t)n * sizeof *lines);
  if (inferred == NULL || base == NULL || lists == NULL || lines == NULL) {
    free(inferred);
    free(base);
    free(lists);
    free(lines);
    segkit_table_free(table);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the read result");
  }
  for (size_t i = 0; i < c->plan.n_cols; i++) {
    inferred[i] = !c->plan.fixed[i];
  }
  line_bases(c, regions, n, base);
  for (int t = 0; t < n; t++) {
    lists[t] = c->build[t].rejects;
    lines[t] = c->build[t].row_lines;
  }
  p.inferred = inferred;
  p.lists = lists;
  p.line_base = base;
  p.n_lists = (size_t)n;
  p.row_lines = c->opt.keep_row_lines ? lines : NULL;
  st = sk__result_new(&p, out, err);
  free(inferred);
  free(base);
  free(lists);
  free(lines);
  return st;
}

static segkit_status build_table(csv_ctx *c, segkit_read_result **out, segkit_error *err) {
  int n = c->n_regions;
  c->build = calloc((size_t)n, sizeof *c->build);
  sk__region *regions = calloc((size_t)n, sizeof *regions);
  if (c->build == NULL || regions == NULL) {
    free(regions);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %d reader threads", n);
  }
  atomic_store(&c->first_failed, n);
  sk__region_ops ops = {build_run, build_reset, c};
  sk__split_config sc = {&c->src, c->d, c->data_start, n,
                         reader_config(c, n, c->plan.n_cols + 1, false), &c->first_failed};
  int failed = -1;
  segkit_status st = sk__split_run(&sc, regions, &ops, &failed, err);
  if (st == SEGKIT_OK && failed >= 0) {
    int64_t *base = malloc((size_t)n * sizeof *base);
    if (base == NULL) {
      free(regions);
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory");
    }
    line_bases(c, regions, failed + 1, base);
    segkit_error e = regions[failed].err;
    e.line += base[failed] + 1;
    free(base);
    free(regions);
    if (err != NULL) {
      *err = e;
    }
    return e.code;
  }
  if (st == SEGKIT_OK) {
    st = assemble(c, regions, n, out, err);
  }
  free(regions);
  return st;
}

static segkit_status csv_read(csv_ctx *c, const segkit_read_options *opt,
                              segkit_read_result **out, segkit_error *err) {
  segkit_status st = sk__options_resolve(opt, &c->opt, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  c->d.delim = (uint8_t)c->opt.delimiter;
  c->d.quote = '"';
  c->d.max_field = c->opt.max_field_bytes;
  uint8_t head[3] = {0, 0, 0};
  size_t got = 0;
  st = sk__source_read(&c->src, 0, head, 3, &got, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  c->bom = got == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF ? 3 : 0;
  if (got >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF))) {
    /* Spreadsheet exports ("Unicode text") are often UTF-16; say so rather than report
     * the first invalid UTF-8 byte. */
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, c->name, 1, 1, NULL,
                               "the file is UTF-16 (byte order mark %02X %02X); segkit reads "
                               "UTF-8 (expected UTF-8 text: convert with iconv -f UTF-16 -t "
                               "UTF-8)",
                               head[0], head[1]);
  }
  if (c->d.delim == 0) {
    st = detect_delimiter(c, err);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  st = read_header(c, err);
  if (st == SEGKIT_OK) {
    st = sk__colplan_apply_overrides(&c->plan, &c->opt, false, c->name, err);
  }
  if (st == SEGKIT_OK) {
    st = sk__colplan_set_formats(&c->plan, &c->opt, err);
  }
  if (st != SEGKIT_OK) {
    return st;
  }
  c->inf.fmt = c->plan.fmt;
  c->inf.fmt_has_time = c->plan.fmt_has_time;
  uint64_t data_bytes = c->src.size - c->data_start;
  c->n_threads = sk__regions_for(c->opt.n_threads, data_bytes, c->opt.buffer_bytes);
  /* Two threads per region (parser, appender): on two cores one region, one table. */
  c->pipelined = c->n_threads >= 2;
  c->n_regions = c->pipelined ? c->n_threads / 2 : 1;
  atomic_store(&c->first_failed, c->n_regions);
  st = infer_types(c, err);
  if (st == SEGKIT_OK) {
    st = sk__colplan_finalize(&c->plan, err);
  }
  if (st != SEGKIT_OK) {
    return st;
  }
  return build_table(c, out, err);
}

segkit_status segkit_csv_read(const char *path, const segkit_read_options *opt,
                              segkit_read_result **out, segkit_error *err) {
  if (path == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_csv_read: path and out are required");
  }
  csv_ctx c;
  memset(&c, 0, sizeof c);
  segkit_status st = sk__source_open_file(&c.src, path, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  c.name = path;
  sk__progress progress;
  if (opt != NULL && opt->progress != NULL) {
    sk__progress_init(&progress, opt, c.src.size);
    c.src.progress = &progress;
  }
  st = csv_read(&c, opt, out, err);
  ctx_free(&c);
  return st;
}

segkit_status segkit_csv_read_buffer(const char *data, size_t size, const segkit_read_options *opt,
                                     segkit_read_result **out, segkit_error *err) {
  if (out == NULL || (data == NULL && size > 0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segkit_csv_read_buffer: data (when size > 0) and out are required");
  }
  segkit_read_options defaults;
  if (opt == NULL) {
    segkit_read_options_init(&defaults);
    opt = &defaults;
  }
  csv_ctx c;
  memset(&c, 0, sizeof c);
  const char *name = opt->source_name != NULL ? opt->source_name : "<input>";
  sk__source_open_memory(&c.src, data, size, name);
  c.name = name;
  segkit_status st = csv_read(&c, opt, out, err);
  ctx_free(&c);
  return st;
}
