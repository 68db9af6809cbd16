/* libFuzzer target for the JSON Lines reader: every on_error mode, default and 64-byte
 * buffers; the result must not depend on the buffer size, counts must add up, and the
 * table must have rows_imported rows. A broken promise aborts.
 *
 * Build as fuzz_csv.c says; run: build/fuzz/tests/fuzz_jsonl tests/fuzz/corpus/jsonl */
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

static uint64_t summary(const segkit_read_result *r) {
  const segkit_table *t = segkit_read_result_table(r);
  const segkit_read_counts *c = segkit_read_result_counts(r);
  if (c->rows_read != c->rows_imported + c->rows_rejected ||
      (int64_t)segkit_table_n_rows(t) != c->rows_imported) {
    abort();
  }
  uint64_t h = mix(UINT64_C(1469598103934665603), c, sizeof *c);
  for (size_t j = 0; j < segkit_table_n_cols(t); j++) {
    const segkit_column *col = segkit_table_column(t, j);
    segkit_type ty = segkit_column_type(col);
    h = mix(h, &ty, sizeof ty);
    size_t nulls = segkit_column_null_count(col);
    h = mix(h, &nulls, sizeof nulls);
  }
  for (size_t i = 0; i < segkit_read_result_n_rejects(r); i++) {
    const segkit_reject *j = segkit_read_result_reject(r, i);
    h = mix(h, &j->line, sizeof j->line);
    h = mix(h, &j->reason, sizeof j->reason);
    h = mix(h, j->message, strlen(j->message));
  }
  return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const segkit_on_error modes[] = {SEGKIT_ON_ERROR_FAIL, SEGKIT_ON_ERROR_SKIP,
                                          SEGKIT_ON_ERROR_QUARANTINE};
  for (size_t m = 0; m < 3; m++) {
    uint64_t first = 0;
    segkit_status first_status = SEGKIT_OK;
    for (int b = 0; b < 2; b++) {
      segkit_read_options o;
      segkit_read_options_init(&o);
      o.on_error = modes[m];
      o.buffer_bytes = b == 0 ? 0 : 64;
      o.max_field_bytes = 256;
      o.infer_rows = 4;
      segkit_read_result *r = NULL;
      segkit_error err;
      segkit_status st = segkit_jsonl_read_buffer((const char *)data, size, &o, &r, &err);
      uint64_t d = 0;
      if (st == SEGKIT_OK) {
        d = summary(r);
        segkit_read_result_free(r);
      } else if (r != NULL || err.code != st) {
        abort();
      }
      if (b == 0) {
        first = d;
        first_status = st;
      } else if (d != first || st != first_status) {
        abort();
      }
    }
  }
  return 0;
}
