/* survival_int.h: internals shared by the files of the survival module.
 *
 * A fitted segkit_km keeps, per group, its public curve plus the storage behind it (one
 * block per group). logrank.c reads the curves' (time, n_risk, n_event) columns, so the
 * log-rank test needs no second sort of the subjects. */
#ifndef SEGKIT_SURVIVAL_INT_H
#define SEGKIT_SURVIVAL_INT_H

/* At most this many group columns (segkit_surv_columns.by). */
#define SK__SURV_MAX_BY 64

#include <stddef.h>
#include <stdint.h>

#include "segkit/survival.h"

struct segkit_km {
  uint32_t n_groups;
  segkit_km_curve *curves;  /* n_groups entries */
  void **blocks;            /* storage of each curve's arrays, one malloc per group */
};

/* Sort keys[0..n) ascending with an LSD radix sort (8-bit digits); tmp has room for n.
 * Byte positions where every key has the same byte are skipped, so small integer
 * durations cost two or three passes. */
void sk__surv_radix_sort_u64(uint64_t *keys, uint64_t *tmp, size_t n);

/* The log-rank pieces logrank.c and stratified.c share: a result for k groups; one pooled
 * event time (nr at risk and dv events per group) added to O, E and V (k x k); and the
 * chi-square over the groups with E > 0 but the first. */
segkit_logrank *sk__logrank_alloc(uint32_t k);
void sk__logrank_accumulate(uint32_t k, const double *nr, const double *dv, segkit_logrank *lr,
                            double *var);
segkit_status sk__logrank_finish(uint32_t k, segkit_logrank *lr, const double *var,
                                 segkit_error *err);

#endif
