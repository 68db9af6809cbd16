/* Streaming rows through a bounded buffer, and splitting the input among threads.
 *
 * rowreader: reads a byte range of a source in chunks into a buffer, tokenizes complete
 * rows, and when a row runs past the data in the buffer, moves that partial row to the
 * front and reads more behind it. Reads are at most `read_chunk` bytes (1 MiB by
 * default), so the bytes just read are still in L2 when they are tokenized. A row that
 * does not fit grows the buffer, doubling, up to a ceiling; a row beyond the ceiling is
 * skipped (by the tokenizer's row-boundary rule) without being held, and comes back as one FIELD_TOO_LONG row
 * with the first SK__LONG_ROW_RAW_KEEP bytes as its raw text. Memory is therefore the
 * ceiling at most, whatever the input.
 *
 * Region runner: the data rows are cut into contiguous regions, one per thread of the
 * runner, so each region builds one table part and parts are joined once (string
 * dictionaries are merged once, not once per block). The CSV reader gives each region a
 * second thread for appending (batch.c), so two cores make one region and no join. A region's true start is the first row boundary
 * after its nominal offset, which depends on the quoting of everything before it.
 * Instead of a first pass over the whole input to find it, each thread speculates that
 * its nominal offset is outside quotes and starts after the next LF; the thread before it reads rows
 * up to the first row that starts at or after that nominal offset, and the speculation
 * was right iff that is exactly where the next thread started (from a true row boundary
 * the tokenizer's state is known, so everything after it is parsed as a single thread
 * would). A wrong guess (the LF was inside a quoted field) is found after the join and
 * that region is read again, sequentially, from the right place. Results are thus
 * identical for any number of threads; line numbers are counted per region and rebased
 * at the end. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io_int.h"

/* ==== rowreader ========================================================================= */

segkit_status sk__rowreader_init(sk__rowreader *rr, const sk__source *src, const sk__dialect *d,
                                 const sk__rowreader_config *cfg, uint64_t start_abs,
                                 uint64_t bound_abs, segkit_error *err) {
  memset(rr, 0, sizeof *rr);
  rr->src = src;
  rr->d = *d;
  size_t buffer = cfg->buffer_bytes < 16 ? 16 : cfg->buffer_bytes;
  rr->read_chunk = cfg->read_chunk == 0 || cfg->read_chunk > buffer ? buffer : cfg->read_chunk;
  /* Start at two chunks (a chunk plus a partial row); only a row longer than that grows
   * the buffer, doubling, up to the ceiling. */
  rr->cap = buffer / 2 > rr->read_chunk ? 2 * rr->read_chunk : buffer;
  rr->cap_limit = cfg->cap_limit < buffer ? buffer : cfg->cap_limit;
  rr->field_cap = cfg->field_cap == 0 ? 1 : cfg->field_cap;
  rr->grow_fields = cfg->grow_fields;
  rr->buf_abs = start_abs;
  rr->read_abs = start_abs;
  rr->bound_abs = bound_abs;
  rr->eof = start_abs >= src->size;
  rr->scanner_stale = true;
  sk__scanner_init(&rr->sc, d->delim, d->quote);
  rr->buf = malloc(rr->cap + SK__SCAN_PAD);
  rr->fields = malloc(rr->field_cap * sizeof *rr->fields);
  if (rr->buf == NULL || rr->fields == NULL) {
    sk__rowreader_free(rr);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for a %zu-byte read buffer",
                            rr->cap);
  }
  return SEGKIT_OK;
}

void sk__rowreader_free(sk__rowreader *rr) {
  free(rr->buf);
  free(rr->fields);
  free(rr->long_raw);
  rr->buf = NULL;
  rr->fields = NULL;
  rr->long_raw = NULL;
}

uint64_t sk__rowreader_position(const sk__rowreader *rr) {
  return rr->buf_abs + rr->start;
}

/* Status of refill beyond segkit_status: the row at buf[0] fills the ceiling. */
#define ROW_OVERLONG (-1)

/* Make room after the partial row at `start` and read more behind it. Returns 0,
 * ROW_OVERLONG, or a segkit_status. */
static int refill(sk__rowreader *rr, segkit_error *err) {
  if (rr->start > 0) {
    memmove(rr->buf, rr->buf + rr->start, rr->len - rr->start);
    rr->buf_abs += rr->start;
    rr->len -= rr->start;
    rr->start = 0;
  }
  if (rr->len == rr->cap) {
    if (rr->cap >= rr->cap_limit) {
      return ROW_OVERLONG;
    }
    size_t cap = rr->cap > rr->cap_limit / 2 ? rr->cap_limit : rr->cap * 2;
    uint8_t *grown = realloc(rr->buf, cap + SK__SCAN_PAD);
    if (grown == NULL) {
      return (int)segkit_error_set(err, SEGKIT_ERR_NOMEM,
                                   "no memory to grow the read buffer to %zu bytes for a long row",
                                   cap);
    }
    rr->buf = grown;
    rr->cap = cap;
  }
  size_t want = rr->cap - rr->len;
  /* A row longer than a chunk reads in growing steps, so retokenizing it from its start
   * after each read costs O(its length) overall. */
  size_t chunk = rr->len > rr->read_chunk ? rr->len : rr->read_chunk;
  if (want > chunk) {
    want = chunk;
  }
  size_t got = 0;
  segkit_status st = sk__source_read(rr->src, rr->read_abs, rr->buf + rr->len, want, &got, err);
  if (st != SEGKIT_OK) {
    return (int)st;
  }
  rr->len += got;
  rr->read_abs += got;
  if (got < want || rr->read_abs >= rr->src->size) {
    rr->eof = true;
  }
  rr->scanner_stale = true;
  return 0;
}

/* The row at buf[0] is longer than the ceiling: keep its start, skip the rest with the
 * tokenizer's row-boundary rule, and return it as one FIELD_TOO_LONG row. */
static segkit_status skip_overlong(sk__rowreader *rr, sk__row *row, segkit_error *err) {
  size_t keep = rr->len < SK__LONG_ROW_RAW_KEEP ? rr->len : SK__LONG_ROW_RAW_KEEP;
  if (rr->long_raw == NULL) {
    rr->long_raw = malloc(SK__LONG_ROW_RAW_KEEP);
    if (rr->long_raw == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for an overlong row");
    }
  }
  memcpy(rr->long_raw, rr->buf, keep);
  int state = 0;
  int64_t newlines = 0;
  size_t used = 0;
  int quote = rr->d.delim == 0 ? -1 : rr->d.quote; /* JSON Lines: quotes mean nothing */
  for (;;) {
    used = sk__skip_row_bytes(rr->buf, rr->len, rr->d.delim, quote, &state, &newlines);
    if (used != SIZE_MAX) {
      break;
    }
    used = rr->len;
    if (rr->eof) {
      break;
    }
    /* Drop what was scanned and read the next stretch into the same buffer. */
    rr->buf_abs += rr->len;
    rr->len = 0;
    size_t got = 0;
    size_t want = rr->cap;
    segkit_status st = sk__source_read(rr->src, rr->read_abs, rr->buf, want, &got, err);
    if (st != SEGKIT_OK) {
      return st;
    }
    rr->len = got;
    rr->read_abs += got;
    if (got < want || rr->read_abs >= rr->src->size) {
      rr->eof = true;
    }
  }
  rr->start = used;
  rr->scanner_stale = true;
  memset(row, 0, sizeof *row);
  row->raw = rr->long_raw;
  row->raw_len = keep;
  row->truncated_raw = true;
  row->problem = SEGKIT_REJECT_FIELD_TOO_LONG;
  row->problem_off = 0;
  row->n_newlines = newlines;
  row->fields = rr->fields;
  row->maybe_non_ascii = true;
  return SEGKIT_OK;
}

segkit_status sk__rowreader_next(sk__rowreader *rr, sk__row *row, bool *got, segkit_error *err) {
  *got = false;
  for (;;) {
    uint64_t row_abs = rr->buf_abs + rr->start;
    if (row_abs >= rr->bound_abs) {
      return SEGKIT_OK;
    }
    if (rr->start >= rr->len) {
      if (rr->eof) {
        return SEGKIT_OK;
      }
      int r = refill(rr, err);
      if (r != 0) {
        return (segkit_status)r; /* the buffer is empty, so it cannot be overlong */
      }
      continue;
    }
    if (rr->scanner_stale) {
      sk__scanner_reset(&rr->sc, rr->buf, rr->len, rr->start);
      rr->scanner_stale = false;
    }
    size_t next = 0;
    sk__tok_result tr = sk__tokenize_row(&rr->sc, rr->start, rr->eof, rr->d.max_field,
                                         rr->fields, rr->field_cap, row, &next);
    if (tr == SK__TOK_NEED_MORE) {
      int r = refill(rr, err);
      if (r == ROW_OVERLONG) {
        segkit_status st = skip_overlong(rr, row, err);
        if (st != SEGKIT_OK) {
          return st;
        }
        row->line = rr->lines;
        rr->lines += row->n_newlines;
        rr->row_abs = row_abs;
        *got = true;
        return SEGKIT_OK;
      }
      if (r != 0) {
        return (segkit_status)r;
      }
      continue;
    }
    if (rr->grow_fields && row->n_fields > rr->field_cap) {
      sk__field *grown = realloc(rr->fields, row->n_fields * sizeof *grown);
      if (grown == NULL) {
        return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for a row of %zu fields",
                                row->n_fields);
      }
      rr->fields = grown;
      rr->field_cap = row->n_fields;
      rr->scanner_stale = true;
      continue;
    }
    row->line = rr->lines;
    rr->lines += row->n_newlines;
    rr->start = next;
    rr->row_abs = row_abs;
    if (row->raw_len == 0 && row->problem < 0) {
      continue; /* a blank line is not a row */
    }
    *got = true;
    return SEGKIT_OK;
  }
}

segkit_status sk__rowreader_next_line(sk__rowreader *rr, sk__row *row, bool *got,
                                      segkit_error *err) {
  *got = false;
  for (;;) {
    if (rr->start >= rr->len && rr->eof) {
      return SEGKIT_OK;
    }
    const uint8_t *s = rr->buf + rr->start;
    size_t avail = rr->len - rr->start;
    const uint8_t *nl = avail > 0 ? memchr(s, '\n', avail) : NULL;
    if (nl == NULL && !rr->eof) {
      int r = refill(rr, err);
      if (r == ROW_OVERLONG) {
        /* Keep the start of the line and skip to its LF (quotes mean nothing here). */
        segkit_status st = skip_overlong(rr, row, err);
        if (st != SEGKIT_OK) {
          return st;
        }
        row->line = rr->lines;
        rr->lines += row->n_newlines;
        *got = true;
        return SEGKIT_OK;
      }
      if (r != 0) {
        return (segkit_status)r;
      }
      continue;
    }
    size_t line_len = nl != NULL ? (size_t)(nl - s) : avail;
    memset(row, 0, sizeof *row);
    row->raw = s;
    row->raw_len = line_len;
    if (line_len > 0 && s[line_len - 1] == '\r') {
      row->raw_len--;
    }
    row->line = rr->lines;
    row->n_newlines = nl != NULL ? 1 : 0;
    row->problem = -1;
    row->maybe_non_ascii = true;
    rr->lines += row->n_newlines;
    rr->row_abs = rr->buf_abs + rr->start;
    rr->start += line_len + (nl != NULL ? 1 : 0);
    *got = true;
    return SEGKIT_OK;
  }
}

/* ==== region runner ===================================================================== */

int sk__regions_for(int n_threads, uint64_t data_bytes, size_t buffer_bytes) {
  long n = n_threads;
  if (n <= 0) {
    n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0) {
      n = 1;
    }
  }
  if (n > 64) {
    n = 64;
  }
  /* Small inputs are not worth a thread each; small buffers (tests) split small inputs, so
   * the multi-threaded path is exercised on test-sized data too. */
  uint64_t region_min = buffer_bytes < ((size_t)1 << 20) ? buffer_bytes : ((size_t)1 << 20);
  if (region_min < 16) {
    region_min = 16;
  }
  uint64_t by_size = data_bytes / region_min;
  if (by_size < 1) {
    by_size = 1;
  }
  if ((uint64_t)n > by_size) {
    n = (long)by_size;
  }
  return (int)n;
}

/* Offset after the first LF at or after `from`, or the source size. */
static segkit_status find_line_start(const sk__source *src, uint64_t from, uint64_t *out,
                                     segkit_error *err) {
  uint8_t chunk[16384];
  uint64_t off = from;
  while (off < src->size) {
    size_t got = 0;
    segkit_status st = sk__source_read(src, off, chunk, sizeof chunk, &got, err);
    if (st != SEGKIT_OK) {
      return st;
    }
    if (got == 0) {
      break;
    }
    const uint8_t *nl = memchr(chunk, '\n', got);
    if (nl != NULL) {
      *out = off + (uint64_t)(nl - chunk) + 1;
      return SEGKIT_OK;
    }
    off += got;
  }
  *out = src->size;
  return SEGKIT_OK;
}

typedef struct worker {
  const sk__split_config *cfg;
  const sk__region_ops *ops;
  sk__region *r;
  uint64_t nominal;
  bool speculate;      /* find the start after the nominal offset (regions > 0) */
  pthread_t thread;
  bool started;
} worker;

static void region_clear_outs(sk__region *r) {
  r->stop = r->start;
  r->lines = 0;
  r->complete = false;
  r->failed = false;
  r->status = SEGKIT_OK;
  segkit_error_clear(&r->err);
}

static void run_one(worker *w) {
  sk__region *r = w->r;
  const sk__split_config *cfg = w->cfg;
  if (w->speculate) {
    /* A row starts right after the LF before or at the nominal offset... if that LF is
     * outside quotes, which the join checks. */
    segkit_status st = find_line_start(cfg->src, w->nominal - 1, &r->start, &r->err);
    if (st != SEGKIT_OK) {
      r->status = st;
      return;
    }
  }
  region_clear_outs(r);
  sk__rowreader rr;
  segkit_status st = sk__rowreader_init(&rr, cfg->src, &cfg->d, &cfg->rr, r->start, r->bound,
                                        &r->err);
  if (st != SEGKIT_OK) {
    r->status = st;
    return;
  }
  st = w->ops->run(w->ops->ctx, r, &rr);
  r->stop = sk__rowreader_position(&rr);
  r->lines = rr.lines;
  r->status = st;
  sk__rowreader_free(&rr);
}

static segkit_status copy_error(segkit_error *err, const sk__region *r) {
  if (err != NULL) {
    *err = r->err;
  }
  return r->status;
}


static void *worker_main(void *arg) {
  run_one(arg);
  return NULL;
}

segkit_status sk__split_run(const sk__split_config *cfg, sk__region *regions,
                            const sk__region_ops *ops, int *first_failed_out,
                            segkit_error *err) {
  int n = cfg->n_regions < 1 ? 1 : cfg->n_regions;
  uint64_t data_bytes = cfg->src->size > cfg->data_start ? cfg->src->size - cfg->data_start : 0;
  worker *ws = calloc((size_t)n, sizeof *ws);
  if (ws == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %d reader threads", n);
  }
  for (int t = 0; t < n; t++) {
    uint64_t nominal = cfg->data_start + data_bytes / (uint64_t)n * (uint64_t)t;
    uint64_t next = cfg->data_start + data_bytes / (uint64_t)n * (uint64_t)(t + 1);
    regions[t].index = t;
    regions[t].start = nominal;
    regions[t].bound = t + 1 == n ? UINT64_MAX : next;
    region_clear_outs(&regions[t]);
    ws[t] = (worker){cfg, ops, &regions[t], nominal, t > 0, 0, false};
  }
  for (int t = 1; t < n; t++) {
    ws[t].started = pthread_create(&ws[t].thread, NULL, worker_main, &ws[t]) == 0;
  }
  run_one(&ws[0]);
  for (int t = 1; t < n; t++) {
    if (ws[t].started) {
      pthread_join(ws[t].thread, NULL);
    }
  }
  /* Check the speculative starts in order; redo a region that began in the wrong place
   * (or did not run, or stopped early because an earlier region failed). */
  segkit_status result = SEGKIT_OK;
  *first_failed_out = -1;
  uint64_t prev_stop = cfg->data_start;
  for (int t = 0; t < n; t++) {
    sk__region *r = &regions[t];
    bool ran = t == 0 || ws[t].started;
    bool valid = ran && r->status == SEGKIT_OK && r->start == prev_stop &&
                 (r->complete || r->failed);
    if (!valid && ran && r->status != SEGKIT_OK && r->start == prev_stop) {
      /* A hard failure (I/O, memory) in a region that started at the right place. */
      result = copy_error(err, r);
      break;
    }
    if (!valid) {
      if (cfg->first_failed != NULL) {
        atomic_store(cfg->first_failed, n); /* stale marks of discarded regions */
      }
      ops->reset(ops->ctx, r);
      r->start = prev_stop;
      ws[t].speculate = false;
      run_one(&ws[t]);
      if (r->status != SEGKIT_OK) {
        result = copy_error(err, r);
        break;
      }
    }
    if (r->failed) {
      *first_failed_out = t;
      break;
    }
    prev_stop = r->stop;
  }
  free(ws);
  return result;
}
