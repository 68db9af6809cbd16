/* Internals of the family module (src/family): column access, the customer key map, quantile
 * edges, threads and output columns shared by the families. Nothing here is public API:
 * names carry the sk__ prefix and are hidden by -fvisibility=hidden. */
#ifndef SEGKIT_FAMILY_INT_H
#define SEGKIT_FAMILY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_int.h"
#include "segkit/error.h"
#include "segkit/family.h"
#include "segkit/table.h"

#define SK__FAM_MAX_THREADS SK__MAX_WORKERS

/* ==== columns (columns.c) =============================================================== */

/* Allowed types as a bit mask of (1u << segkit_type). */
#define SK__FAM_KEY_TYPES ((1u << SEGKIT_TYPE_INT64) | (1u << SEGKIT_TYPE_STRING))
#define SK__FAM_DAY_TYPES ((1u << SEGKIT_TYPE_DATE) | (1u << SEGKIT_TYPE_TIMESTAMP))
#define SK__FAM_NUM_TYPES ((1u << SEGKIT_TYPE_INT64) | (1u << SEGKIT_TYPE_FLOAT64))
#define SK__FAM_STR_TYPES (1u << SEGKIT_TYPE_STRING)

/* A mapped input column; col NULL when an optional column is absent. */
typedef struct sk__fam_col {
  const segkit_column *col;
  const char *name;
  segkit_type type;
  const uint64_t *valid;   /* validity bitmap, or NULL when the column has no null */
  const void *data;        /* the typed data array */
} sk__fam_col;

/* Find `name` (role: what it is for, for the message). A NULL name is an absent optional
 * column, or SEGKIT_ERR_USAGE when required; a missing column SEGKIT_ERR_SCHEMA; a type
 * outside `types` SEGKIT_ERR_TYPE. */
segkit_status sk__fam_find(const segkit_table *t, const char *name, const char *role,
                           unsigned types, bool required, sk__fam_col *out, segkit_error *err);

static inline bool sk__fam_is_null(const sk__fam_col *c, size_t row) {
  return c->valid != NULL && ((c->valid[row >> 6] >> (row & 63)) & 1u) == 0;
}

/* Floor division of microseconds to days (timestamps before 1970 round down). */
static inline int32_t sk__fam_us_to_day(int64_t us) {
  int64_t d = us / 86400000000LL;
  if (us % 86400000000LL < 0) {
    d--;
  }
  return (int32_t)d;
}

static inline int32_t sk__fam_day(const sk__fam_col *c, size_t row) {
  if (c->type == SEGKIT_TYPE_DATE) {
    return ((const int32_t *)c->data)[row];
  }
  return sk__fam_us_to_day(((const int64_t *)c->data)[row]);
}

static inline int64_t sk__fam_key(const sk__fam_col *c, size_t row) {
  if (c->type == SEGKIT_TYPE_STRING) {
    return ((const uint32_t *)c->data)[row];
  }
  return ((const int64_t *)c->data)[row];
}

static inline double sk__fam_number(const sk__fam_col *c, size_t row) {
  if (c->type == SEGKIT_TYPE_FLOAT64) {
    return ((const double *)c->data)[row];
  }
  return (double)((const int64_t *)c->data)[row];
}

/* ==== customer key map (keymap.c) ========================================================
 *
 * Customer key -> dense slot 0..n_slots-1 with slots in ascending key order, so walking
 * the slots walks the customers in key order. Dense when the keys span a range no wider
 * than the rows (+1024): slot = key - base, a subtraction per row (string codes are always
 * dense). Otherwise an open-addressing hash of the distinct keys whose values are the
 * keys' ranks. Read-only after build: threads share it. */
typedef struct sk__keymap {
  bool dense;
  int64_t base;            /* dense: key of slot 0 */
  size_t n_slots;          /* dense: the key range; hash: the distinct keys */
  int64_t *sorted;         /* hash: the distinct keys ascending (slot -> key) */
  int64_t *hkeys;          /* hash: table of keys */
  uint32_t *hslot;         /* hash: slot of hkeys[i], UINT32_MAX = empty */
  size_t hmask;
} sk__keymap;

/* From the keys of the rows of `c` that are not null. */
segkit_status sk__keymap_build(const sk__fam_col *c, size_t n_rows, sk__keymap *m,
                               segkit_error *err);
void sk__keymap_free(sk__keymap *m);

static inline uint64_t sk__fam_mix(int64_t key) {
  uint64_t x = (uint64_t)key;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

/* Slot of a key that was in the build rows. */
static inline uint32_t sk__keymap_slot(const sk__keymap *m, int64_t key) {
  if (m->dense) {
    return (uint32_t)(key - m->base);
  }
  size_t i = (size_t)sk__fam_mix(key) & m->hmask;
  while (m->hkeys[i] != key || m->hslot[i] == UINT32_MAX) {
    i = (i + 1) & m->hmask;
  }
  return m->hslot[i];
}

static inline int64_t sk__keymap_key(const sk__keymap *m, size_t slot) {
  return m->dense ? m->base + (int64_t)slot : m->sorted[slot];
}

/* ==== quantile scores (quantiles.c) ======================================================
 *
 * NTILE(k) edges with ties to the lowest tile (segkit/family.h): the k - 1 sorted values
 * at the last position of NTILE's tiles 1..k-1. Returns how many were written (0 when n = 0).
 * scratch holds n values; v is only read. */
size_t sk__ntile_edges_i64(const int64_t *v, size_t n, unsigned k, int64_t *edges,
                           int64_t *scratch);
size_t sk__ntile_edges_f64(const double *v, size_t n, unsigned k, double *edges,
                           int64_t *scratch);

/* 1 + the number of edges strictly below v. */
static inline unsigned sk__score_i64(int64_t v, const int64_t *edges, size_t n_edges) {
  unsigned s = 1;
  for (size_t i = 0; i < n_edges; i++) {
    s += edges[i] < v;
  }
  return s;
}

/* ==== threads (core: sk__worker_count, sk__run_workers) ================================= */

/* Threads for a pass over n_rows rows: asked (0 = online CPUs), at most SK__MAX_WORKERS,
 * and with "all CPUs" at most one per 64 Ki rows. */
static inline int sk__fam_threads(int asked, size_t n_rows) {
  return sk__worker_count(asked, n_rows, 65536);
}

/* ==== RFM (rfm.c) ====================================================================== */

/* Name and type of the customer column an RFM result was computed from. */
void sk__rfm_customer_column(const segkit_rfm_result *r, const char **name, segkit_type *type);
/* Add rows skipped before the result's own pass (the CSV fast path's null rows). */
void sk__rfm_add_skipped(segkit_rfm_result *r, size_t n);

/* ==== output columns (output.c) ========================================================= */

/* The customer column of an output table: the keys (ascending) in the type of `src`
 * (int64 values, or codes of src's dictionary). data is malloc'd into *col (the table takes
 * it); the dictionary is borrowed from src. */
segkit_status sk__fam_customer_column(const segkit_column *src, const int64_t *keys, size_t n,
                                      segkit_column_arrays *col, segkit_error *err);

/* A string column of n codes into `labels` (n_labels entries); dict arrays malloc'd into
 * *offsets / *bytes (free them after the table is made), codes into col->data. */
segkit_status sk__fam_label_column(const char *name, const char *const *labels,
                                   size_t n_labels, uint32_t *codes, segkit_column_arrays *col,
                                   uint64_t **offsets, char **bytes, segkit_error *err);

/* Make a table taking the data arrays; on failure frees every data array of cols. */
segkit_status sk__fam_table_take(size_t n_rows, size_t n_cols, segkit_column_arrays *cols,
                                 segkit_table **out, segkit_error *err);

#endif
