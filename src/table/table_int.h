/* table_int.h: private layout of tables, columns, builders and string dictionaries.
 *
 * One struct, sk__col, describes a column both while it is built and once it is
 * finished: a segkit_column_builder wraps one with its append state, and finishing a
 * table moves the sk__col into the table without copying data. Invariants every function of
 * the module keeps (and segkit_table_from_arrays checks on foreign input):
 *   - data holds n_rows slots of the storage type, at least one slot allocated, so the
 *     typed getters never return NULL for a column of their type;
 *   - validity holds at least (n_rows + 63) / 64 words (at least one), bits at or past
 *     n_rows are 0, and null_count equals the number of 0 bits below n_rows;
 *   - the value slot of every null row is 0;
 *   - STRING: every valid row's code is < dict.count, and dictionary entries are
 *     distinct. */
#ifndef SEGKIT_TABLE_INT_H
#define SEGKIT_TABLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "segkit/table.h"

/* Dictionaries stop growing at 2^31 entries: the interning index then has 2^32 slots,
 * the most a 32-bit slot tag can address. */
#define SK_DICT_MAX_ENTRIES (UINT32_C(1) << 31)

/* ---- string dictionary (dict_strings.c) ------------------------------------------- */

/* Distinct byte strings, each stored once, NUL-terminated, in one byte pool; entry i is
 * bytes[offsets[i] .. offsets[i+1]-1) and bytes[offsets[i+1]-1] == '\0'. An open-
 * addressing index (linear probing) maps a string to its code: a slot is 64 bits,
 * (code + 1) << 32 | tag, 0 when empty, where tag is the high 32 bits of the string's
 * hash. The tag filters probes without touching the pool and lets the index be rebuilt
 * without rehashing strings. */
typedef struct sk__dict {
  char *bytes;          /* pool; NULL until the first entry */
  uint64_t n_bytes;     /* bytes used == offsets[count] */
  uint64_t cap_bytes;
  uint64_t *offsets;    /* count + 1 entries, offsets[0] == 0; never NULL once inited */
  uint32_t count;
  size_t cap_offsets;   /* entries allocated in offsets */
  uint64_t *slots;      /* index; NULL until first needed */
  size_t n_slots;       /* power of two, or 0 */
  unsigned slot_shift;  /* 32 - log2(n_slots) */
  uint64_t seed;        /* hash seed, fixed for the dictionary's lifetime */
} sk__dict;

segkit_status sk__dict_init(sk__dict *d);
void sk__dict_free(sk__dict *d);
/* Hash of a string as this dictionary computes it (for sk__dict_intern_hashed). */
uint64_t sk__dict_hash(const sk__dict *d, const char *s, size_t len);
/* Code of s, adding it if absent. On failure (NOMEM, LIMIT) the dictionary is unchanged
 * apart from spare capacity. */
segkit_status sk__dict_intern_hashed(sk__dict *d, const char *s, size_t len, uint64_t hash,
                                     uint32_t *code_out);
/* Room for extra_entries more entries with extra_bytes more pool bytes (NULs included)
 * beyond what the dictionary holds now, so that many sk__dict_intern_reserved calls
 * cannot fail. */
segkit_status sk__dict_reserve_more(sk__dict *d, uint64_t extra_entries, uint64_t extra_bytes);
/* sk__dict_intern_hashed for a caller that reserved room (sk__dict_reserve_more): never
 * allocates, never fails. Returns the code. */
uint32_t sk__dict_intern_reserved(sk__dict *d, const char *s, size_t len, uint64_t hash);
/* Start the cache misses that interning will take, as hints with no effect on results:
 * the index slot of one hash (when a string is staged), then the candidate entries'
 * offsets and bytes for a batch of at most 64 hashes (before interning the batch). */
void sk__dict_prefetch_slot(const sk__dict *d, uint64_t hash);
void sk__dict_prefetch_entries(const sk__dict *d, const uint64_t *hashes, size_t n);
/* Code of s or -1. */
int64_t sk__dict_find(const sk__dict *d, const char *s, size_t len);
/* A deep copy (same codes, same seed). */
segkit_status sk__dict_clone(sk__dict *dst, const sk__dict *src);
/* Release spare capacity (after building); never fails. */
void sk__dict_shrink(sk__dict *d);
size_t sk__dict_memory(const sk__dict *d);

/* ---- columns ---------------------------------------------------------------------- */

typedef struct sk__col {
  char *name;
  segkit_type type;
  size_t n_rows;
  size_t null_count;
  void *data;
  uint64_t *validity;
  size_t cap_rows;      /* slots allocated in data; validity has cap_rows / 64 words
                           while building (cap_rows a multiple of 64) */
  size_t validity_words; /* words allocated in validity */
  sk__dict dict;        /* STRING only; zeroed otherwise */
} sk__col;

struct segkit_column {
  sk__col col;
};

struct segkit_table {
  size_t n_rows;
  size_t n_cols;
  struct segkit_column *cols;
};

/* What the append functions store: INT64 and TIMESTAMP share int64 slots. */
typedef enum sk__storage {
  SK_STORE_I64,
  SK_STORE_F64,
  SK_STORE_U8,
  SK_STORE_I32,
  SK_STORE_CODE
} sk__storage;

/* Strings of a STRING column waiting to be interned as one batch (builder.c, "batched
 * interning"): copies of their bytes, their hashes and their rows. */
#define SK_INTERN_BATCH 64
typedef struct sk__pending_strings {
  size_t n;
  uint64_t hashes[SK_INTERN_BATCH];
  size_t rows[SK_INTERN_BATCH];
  size_t starts[SK_INTERN_BATCH]; /* into bytes */
  size_t lens[SK_INTERN_BATCH];
  char *bytes;
  size_t n_bytes;
  size_t cap_bytes;
  uint64_t dict_bytes; /* pool bytes the batch may add: sum of len + 1 */
} sk__pending_strings;

struct segkit_column_builder {
  sk__col col;
  sk__storage storage;
  sk__pending_strings *pending; /* STRING columns once the dictionary is large */
};

struct segkit_table_builder {
  size_t n_cols;
  struct segkit_column_builder *cols;
};

/* Bytes per slot of a type (8, 8, 1, 8, 4, 4). */
size_t sk__type_size(segkit_type t);
/* Storage class of a type. */
sk__storage sk__type_storage(segkit_type t);
/* Whether t is one of the SEGKIT_TYPE_* values. */
bool sk__type_valid(segkit_type t);

/* a[0..n) == b[0..n). Up to 16 bytes without a call: two loads from each side, first and
 * last 8 (or 4) bytes, overlapping for shorter strings, never outside either string.
 * This is most of a dictionary hit, and memcmp's call and dispatch cost more than the
 * compare itself at CSV field lengths. */
static inline bool sk__bytes_equal(const char *a, const char *b, size_t n) {
  if (n > 16) {
    return memcmp(a, b, n) == 0;
  }
  if (n >= 8) {
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a, 8);
    memcpy(&a1, a + n - 8, 8);
    memcpy(&b0, b, 8);
    memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4) {
    uint32_t a0, a1, b0, b1;
    memcpy(&a0, a, 4);
    memcpy(&a1, a + n - 4, 4);
    memcpy(&b0, b, 4);
    memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n == 0) {
    return true;
  }
  /* 1-3 bytes: first, middle and last cover them all. */
  return a[0] == b[0] && a[n >> 1] == b[n >> 1] && a[n - 1] == b[n - 1];
}

/* a * b into *out, false on size_t overflow. */
static inline bool sk__mul_size(size_t a, size_t b, size_t *out) {
  if (b != 0 && a > SIZE_MAX / b) {
    return false;
  }
  *out = a * b;
  return true;
}

/* Allocate a finished column's buffers for n_rows rows: data zero-filled (so unwritten
 * null slots hold 0), validity zero-filled. Fills err naming the column on failure and
 * leaves c unchanged. name is copied. */
segkit_status sk__col_alloc(sk__col *c, const char *name, segkit_type type, size_t n_rows,
                            segkit_error *err);
/* Free a column's buffers (not the struct). */
void sk__col_free(sk__col *c);
/* Null count from the validity bitmap (bits below n_rows). */
size_t sk__count_nulls(const uint64_t *validity, size_t n_rows);
/* An empty table of n_cols zeroed columns, or NULL. */
segkit_table *sk__table_alloc(size_t n_cols, size_t n_rows);

#endif
