/* libFuzzer target for segkit_rfm_from_csv's fast path (src/family/rfm_csv.c), by
 * difference with the general path: each input is written to a file and scored both ways,
 * segkit_csv_read + segkit_rfm_compute and segkit_rfm_from_csv (on 1 and 2 threads). The
 * promise checked: whenever the general path succeeds, segkit_rfm_from_csv succeeds too
 * with exactly the same customers, measures, scores, segments and counts. (When the general
 * path fails, the fast path may still succeed: it never reads the columns RFM does not use,
 * so a defect there does not stop it.) A broken promise aborts.
 *
 * Build: CC=clang cmake -S . -B build/fuzz -DSEGKIT_FUZZ=ON && cmake --build build/fuzz
 * --target fuzz_rfm_csv; run: build/fuzz/tests/fuzz_rfm_csv tests/fuzz/corpus/rfm_csv
 * -max_total_time=60 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segkit/family.h"
#include "segkit/io.h"

static segkit_rfm_options options(int threads) {
  segkit_rfm_options o;
  segkit_rfm_options_init(&o);
  o.as_of = 20000;
  o.n_threads = threads;
  return o;
}

static bool equal(const segkit_rfm_result *a, const segkit_rfm_result *b) {
  size_t n = segkit_rfm_n_customers(a);
  if (segkit_rfm_n_customers(b) != n || segkit_rfm_rows_skipped(a) != segkit_rfm_rows_skipped(b) ||
      segkit_rfm_rows_counted(a) != segkit_rfm_rows_counted(b) ||
      segkit_rfm_n_without_charge(a) != segkit_rfm_n_without_charge(b)) {
    return false;
  }
  size_t w = n * sizeof(int64_t);
  return n == 0 ||
         (memcmp(segkit_rfm_keys(a), segkit_rfm_keys(b), w) == 0 &&
          memcmp(segkit_rfm_recency_days(a), segkit_rfm_recency_days(b), n * 4) == 0 &&
          memcmp(segkit_rfm_frequency(a), segkit_rfm_frequency(b), w) == 0 &&
          memcmp(segkit_rfm_monetary_cents(a), segkit_rfm_monetary_cents(b), w) == 0 &&
          memcmp(segkit_rfm_r(a), segkit_rfm_r(b), n) == 0 &&
          memcmp(segkit_rfm_f(a), segkit_rfm_f(b), n) == 0 &&
          memcmp(segkit_rfm_m(a), segkit_rfm_m(b), n) == 0 &&
          memcmp(segkit_rfm_segment(a), segkit_rfm_segment(b), n * sizeof(uint16_t)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[] = "/tmp/fuzz_rfm_csv_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    return 0;
  }
  if (size > 0 && write(fd, data, size) != (ssize_t)size) {
    close(fd);
    unlink(path);
    return 0;
  }
  close(fd);
  segkit_read_options ro;
  segkit_read_options_init(&ro);
  segkit_read_result *rr = NULL;
  segkit_rfm_result *general = NULL;
  segkit_rfm_options o = options(1);
  if (segkit_csv_read(path, &ro, &rr, NULL) == SEGKIT_OK &&
      segkit_rfm_compute(segkit_read_result_table(rr), &o, &general, NULL) != SEGKIT_OK) {
    general = NULL;
  }
  for (int threads = 1; threads <= 2; threads++) {
    segkit_rfm_options ot = options(threads);
    segkit_rfm_result *fast = NULL;
    segkit_status s = segkit_rfm_from_csv(path, &ot, &fast, NULL, NULL, NULL);
    if (general != NULL && (s != SEGKIT_OK || !equal(general, fast))) {
      abort();
    }
    segkit_rfm_result_free(fast);
  }
  segkit_rfm_result_free(general);
  segkit_read_result_free(rr);
  unlink(path);
  return 0;
}
