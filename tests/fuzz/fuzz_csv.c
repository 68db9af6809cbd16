/* libFuzzer target for the CSV reader.
 *
 * Each input is read with every on_error mode, on 1, 2 and 4 threads (appending on the
 * parsing thread; one region with a parser and an appender; two such regions joined), with
 * the default buffer and with a 64-byte one (so rows straddle many blocks). Besides the sanitizers,
 * the target checks the reader's promises: a read either succeeds or fails with an error
 * code, rows_read = rows_imported + rows_rejected, the table has rows_imported rows,
 * QUARANTINE keeps one reject per rejected row, and every read of the same input in the
 * same mode gives the same result whatever the thread count and buffer size (compared by
 * a digest of every cell, count and reject). Row lines are kept and must rise strictly;
 * then the key rules run on the first column (when it can be a key) in the same mode, and
 * the same promises hold after them. A broken promise aborts.
 *
 * Build: CC=clang cmake -S . -B build/fuzz -DSEGKIT_FUZZ=ON && cmake --build build/fuzz
 * --target fuzz_csv; run: build/fuzz/tests/fuzz_csv tests/fuzz/corpus/csv -max_total_time=60 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/io.h"

static uint64_t mix(uint64_t h, const void *p, size_t n) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ s[i]) * UINT64_C(1099511628211);
  }
  return h;
}

static uint64_t digest(const segkit_read_result *r) {
  uint64_t h = UINT64_C(1469598103934665603);
  const segkit_table *t = segkit_read_result_table(r);
  const segkit_read_counts *c = segkit_read_result_counts(r);
  if (c->rows_read != c->rows_imported + c->rows_rejected) {
    abort();
  }
  if ((int64_t)segkit_table_n_rows(t) != c->rows_imported) {
    abort();
  }
  h = mix(h, c, sizeof *c);
  for (size_t j = 0; j < segkit_table_n_cols(t); j++) {
    const segkit_column *col = segkit_table_column(t, j);
    segkit_type ty = segkit_column_type(col);
    h = mix(h, segkit_column_name(col), strlen(segkit_column_name(col)));
    h = mix(h, &ty, sizeof ty);
    for (size_t i = 0; i < segkit_table_n_rows(t); i++) {
      uint8_t valid = segkit_column_is_valid(col, i);
      h = mix(h, &valid, 1);
      if (!valid) {
        continue;
      }
      switch (ty) {
        case SEGKIT_TYPE_INT64:
          h = mix(h, &segkit_column_int64(col)[i], 8);
          break;
        case SEGKIT_TYPE_TIMESTAMP:
          h = mix(h, &segkit_column_timestamp(col)[i], 8);
          break;
        case SEGKIT_TYPE_FLOAT64:
          h = mix(h, &segkit_column_float64(col)[i], 8);
          break;
        case SEGKIT_TYPE_BOOL:
          h = mix(h, &segkit_column_bool(col)[i], 1);
          break;
        case SEGKIT_TYPE_DATE:
          h = mix(h, &segkit_column_date(col)[i], 4);
          break;
        default: {
          size_t n = 0;
          const char *s = segkit_column_dict_value(col, segkit_column_codes(col)[i], &n);
          h = mix(h, s, n);
          break;
        }
      }
    }
  }
  for (size_t i = 0; i < segkit_read_result_n_rejects(r); i++) {
    const segkit_reject *j = segkit_read_result_reject(r, i);
    h = mix(h, &j->line, sizeof j->line);
    h = mix(h, &j->column, sizeof j->column);
    h = mix(h, &j->reason, sizeof j->reason);
    h = mix(h, j->raw, j->raw_len);
    h = mix(h, j->message, strlen(j->message));
  }
  int64_t prev = 0;
  for (size_t i = 0; i < segkit_table_n_rows(t); i++) {
    int64_t line = segkit_read_result_row_line(r, i);
    if (line <= prev) {
      abort();
    }
    prev = line;
    h = mix(h, &line, sizeof line);
  }
  return h;
}

/* The key rules on column 0, then the reader's promises again. */
static uint64_t keyed_digest(segkit_read_result *r, segkit_on_error mode) {
  const segkit_table *t = segkit_read_result_table(r);
  if (segkit_table_n_cols(t) == 0) {
    return 0;
  }
  const segkit_column *c = segkit_table_column(t, 0);
  segkit_type ty = segkit_column_type(c);
  if (ty == SEGKIT_TYPE_FLOAT64 || ty == SEGKIT_TYPE_BOOL) {
    return 0;
  }
  segkit_error err;
  size_t removed = 0;
  int64_t before = segkit_read_result_counts(r)->rows_imported;
  segkit_status st = segkit_read_result_check_key(r, segkit_column_name(c), mode, &removed, &err);
  if (st != SEGKIT_OK) {
    if (mode != SEGKIT_ON_ERROR_FAIL || st != SEGKIT_ERR_PARSE || err.code != st) {
      abort();
    }
    return 1;
  }
  if (segkit_read_result_counts(r)->rows_imported != before - (int64_t)removed) {
    abort();
  }
  if (mode == SEGKIT_ON_ERROR_QUARANTINE && (int64_t)segkit_read_result_n_rejects(r) !=
                                                segkit_read_result_counts(r)->rows_rejected) {
    abort();
  }
  return digest(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const segkit_on_error modes[] = {SEGKIT_ON_ERROR_FAIL, SEGKIT_ON_ERROR_SKIP,
                                          SEGKIT_ON_ERROR_QUARANTINE};
  static const size_t buffers[] = {0, 64};
  for (size_t m = 0; m < 3; m++) {
    uint64_t first = 0;
    segkit_status first_status = SEGKIT_OK;
    int64_t first_line = 0;
    bool have = false;
    for (int threads = 1; threads <= 4; threads *= 2) { /* 1, 2, 4: see csv_reader.c */
      for (size_t b = 0; b < 2; b++) {
        segkit_read_options o;
        segkit_read_options_init(&o);
        o.on_error = modes[m];
        o.n_threads = threads;
        o.buffer_bytes = buffers[b];
        o.max_field_bytes = 256;
        o.infer_rows = 8; /* small samples, so later rows meet typed columns */
        o.keep_row_lines = true;
        segkit_read_result *r = NULL;
        segkit_error err;
        segkit_status st = segkit_csv_read_buffer((const char *)data, size, &o, &r, &err);
        uint64_t d = 0;
        if (st == SEGKIT_OK) {
          if (r == NULL) {
            abort();
          }
          if (modes[m] == SEGKIT_ON_ERROR_QUARANTINE &&
              (int64_t)segkit_read_result_n_rejects(r) !=
                  segkit_read_result_counts(r)->rows_rejected) {
            abort();
          }
          d = digest(r);
          d = d * 31 + keyed_digest(r, modes[m]);
          segkit_read_result_free(r);
        } else if (r != NULL || err.code != st) {
          abort();
        }
        if (!have) {
          first = d;
          first_status = st;
          first_line = st == SEGKIT_OK ? 0 : err.line;
          have = true;
        } else if (d != first || st != first_status ||
                   (st != SEGKIT_OK && err.line != first_line)) {
          abort(); /* the result depends on threads or buffer size */
        }
      }
    }
  }
  return 0;
}
