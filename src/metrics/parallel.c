/* The per-range bookkeeping of a conversion pass over input rows for the MRR and revenue
 * engines (kept rows, skips, the first error) with its join in row order; the threads
 * themselves come from core (sk__run_workers).
 *
 * Key design choice: results must not depend on the number of threads. Work is cut into
 * contiguous ranges (of rows, or of customers), each thread writes only its own range and
 * its own sums, and the parts are joined in range order, so the joined rows, the skip list
 * and the error reported (the first in row order) are those of a serial pass. A thread
 * that cannot be started is not an error: its range runs on the caller's thread. */
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_int.h"

/* ==== row ranges ========================================================================= */

void sk__row_ranges_init(sk__row_range *rr, int np, size_t n_rows) {
  memset(rr, 0, (size_t)np * sizeof *rr);
  for (int i = 0; i < np; i++) {
    rr[i].r0 = n_rows * (size_t)i / (size_t)np;
    rr[i].r1 = n_rows * (size_t)(i + 1) / (size_t)np;
  }
}

segkit_status sk__row_range_skip(sk__row_range *r, size_t row, segkit_mrr_skip_reason reason,
                                 const char *field) {
  if (r->n_skips == r->skip_cap) {
    size_t nc = r->skip_cap ? r->skip_cap * 2 : 64;
    segkit_mrr_skip *q = realloc(r->skips, nc * sizeof *q);
    if (q == NULL) {
      return segkit_error_set(&r->err, SEGKIT_ERR_NOMEM, "no memory for the skipped rows");
    }
    r->skips = q;
    r->skip_cap = nc;
  }
  segkit_mrr_skip *sk = &r->skips[r->n_skips++];
  sk->row = row;
  sk->reason = reason;
  sk->field = field;
  return SEGKIT_OK;
}

segkit_status sk__row_ranges_first_error(const sk__row_range *rr, int np, segkit_error *err) {
  for (int i = 0; i < np; i++) {
    if (rr[i].status != SEGKIT_OK) {
      if (err != NULL) {
        *err = rr[i].err;
      }
      return rr[i].status;
    }
  }
  return SEGKIT_OK;
}

bool sk__row_ranges_total_fits(const sk__row_range *rr, int np, int64_t limit) {
  int64_t total = 0;
  for (int i = 0; i < np; i++) {
    if (rr[i].total > limit - total) {
      return false;
    }
    total += rr[i].total;
  }
  return true;
}

segkit_status sk__row_ranges_join_skips(const sk__row_range *rr, int np, segkit_mrr_skip **out,
                                        size_t *n_out, segkit_error *err) {
  size_t n_skips = 0;
  for (int i = 0; i < np; i++) {
    n_skips += rr[i].n_skips;
  }
  segkit_mrr_skip *skips = malloc((n_skips ? n_skips : 1) * sizeof *skips);
  if (skips == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the skipped rows");
  }
  size_t k = 0;
  for (int i = 0; i < np; i++) {
    if (rr[i].n_skips == 0) {
      continue; /* its skips pointer may be NULL, which memcpy must not get */
    }
    memcpy(skips + k, rr[i].skips, rr[i].n_skips * sizeof *skips);
    k += rr[i].n_skips;
  }
  *out = skips;
  *n_out = k;
  return SEGKIT_OK;
}

void sk__row_ranges_free(sk__row_range *rr, int np) {
  for (int i = 0; i < np; i++) {
    free(rr[i].skips);
    rr[i].skips = NULL;
  }
}
