/* libFuzzer target for the Stripe import (segkit/billing.h): any bytes, as one file.
 *
 * The input goes through segkit_stripe_import_add_buffer (JSON in its four shapes, or a
 * dashboard CSV, detected) and, when accepted, finish. Besides the sanitizers the target
 * checks the import's promises: a failed add fills the error with its own status; finish
 * succeeds after any accepted input; the row counts match the tables; skipped objects
 * add up by kind; every reject has a message and raw bytes of the stated length; and the
 * same input gives the same digest when fed a second time to a fresh import. A broken
 * promise aborts.
 *
 * Build: CC=clang cmake -S . -B build/fuzz -DSEGKIT_FUZZ=ON && cmake --build build/fuzz
 * --target fuzz_stripe_json; run: build/fuzz/tests/fuzz_stripe_json
 * tests/fuzz/corpus/stripe_json -max_total_time=60 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/billing.h"

static uint64_t mix(uint64_t h, const void *p, size_t n) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ s[i]) * UINT64_C(1099511628211);
  }
  return h;
}

static uint64_t run_once(const uint8_t *data, size_t size) {
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  if (segkit_stripe_import_new(&imp, &err) != SEGKIT_OK) {
    abort();
  }
  uint64_t h = UINT64_C(1469598103934665603);
  segkit_status st = segkit_stripe_import_add_buffer(imp, "fuzz", (const char *)data, size, &err);
  h = mix(h, &st, sizeof st);
  if (st != SEGKIT_OK) {
    if (err.code != st) {
      abort();
    }
    segkit_stripe_import_free(imp);
    return h;
  }
  segkit_table *t[SEGKIT_STRIPE_N_TABLES] = {NULL, NULL, NULL};
  if (segkit_stripe_import_finish(imp, t, &err) != SEGKIT_OK) {
    abort();
  }
  const segkit_stripe_counts *c = segkit_stripe_import_counts(imp);
  for (int i = 0; i < SEGKIT_STRIPE_N_TABLES; i++) {
    if (c->rows[i] != (int64_t)segkit_table_n_rows(t[i])) {
      abort();
    }
    size_t n_rej = 0;
    const segkit_reject *r = segkit_stripe_import_rejects(imp, (segkit_stripe_table)i, &n_rej);
    for (size_t k = 0; k < n_rej; k++) {
      if (r[k].message == NULL || r[k].raw == NULL || strlen(r[k].raw) > r[k].raw_len) {
        abort();
      }
    }
    h = mix(h, &n_rej, sizeof n_rej);
  }
  size_t n = 0;
  const segkit_stripe_skip *s = segkit_stripe_import_skipped(imp, &n);
  int64_t by_kind = 0;
  for (int k = 0; k < SEGKIT_STRIPE_SKIP_KIND_COUNT; k++) {
    by_kind += c->skipped[k];
  }
  if (by_kind != (int64_t)n) {
    abort();
  }
  for (size_t i = 0; i < n; i++) {
    h = mix(h, s[i].reason, strlen(s[i].reason));
    h = mix(h, &s[i].line, sizeof s[i].line);
  }
  h = mix(h, c->rows, sizeof c->rows);
  for (int i = 0; i < SEGKIT_STRIPE_N_TABLES; i++) {
    segkit_table_free(t[i]);
  }
  segkit_stripe_import_free(imp);
  return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (run_once(data, size) != run_once(data, size)) {
    abort();
  }
  return 0;
}
