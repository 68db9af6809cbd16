/* The string dictionary of a STRING column: distinct byte strings, interned.
 *
 * Key design choice: entries live NUL-terminated in one growing byte pool with a uint64
 * offsets array (two allocations however many strings, and the layout the workspace
 * stores and segkit_table_from_arrays takes back), and an open-addressing index with
 * linear probing maps strings to codes. Each index slot packs the entry's code with a
 * 32-bit tag taken from its hash, so a probe compares a tag in the slot array and
 * touches the pool only on a tag match (a probable hit); a lookup of a known string is
 * one hash, usually one slot read and one inline compare. Because the tag is kept,
 * growing the index never rehashes strings. The home slot is the top bits of tag * an
 * odd constant, so entries that share a home slot do not share tag bits and the tag
 * filter stays sharp at any table size.
 *
 * The index grows at 70% load (linear probing stays short below that) and doubles; the
 * pool and offsets double too, so interning is amortised O(length). Every allocation
 * happens before anything is written, so a failed intern leaves the dictionary as it
 * was. Each dictionary hashes with its own seed, derived from heap addresses, so an
 * input crafted to collide in one process does not collide in another (nothing
 * observable depends on the seed: codes are in insertion order). */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "table/table_int.h"

#define SK_DICT_MIN_SLOTS 16
#define SK_DICT_MIN_OFFSETS 16
#define SK_DICT_MIN_BYTES 256
#define SK_TAG_MIX UINT32_C(0x9E3779B1)

/* ---- index ---------------------------------------------------------------------------- */

static inline size_t home_slot(const sk__dict *d, uint32_t tag) {
  uint32_t mixed = tag * SK_TAG_MIX;
  /* slot_shift is 32 - log2(n_slots); a 64-bit shift keeps 2^32 slots defined. */
  return (size_t)((uint64_t)mixed >> d->slot_shift);
}

static inline uint64_t make_slot(uint32_t code, uint32_t tag) {
  return ((uint64_t)code + 1) << 32 | tag;
}

static inline bool entry_equals(const sk__dict *d, uint32_t code, const char *s, size_t len) {
  uint64_t start = d->offsets[code];
  uint64_t entry_len = d->offsets[code + 1] - start - 1;
  return entry_len == len && sk__bytes_equal(d->bytes + start, s, len);
}

/* Code of s or -1, given its hash. */
static inline int64_t probe(const sk__dict *d, const char *s, size_t len, uint64_t hash) {
  if (d->n_slots == 0) {
    return -1;
  }
  uint32_t tag = (uint32_t)(hash >> 32);
  size_t mask = d->n_slots - 1;
  size_t i = home_slot(d, tag);
  for (;;) {
    uint64_t slot = d->slots[i];
    if (slot == 0) {
      return -1;
    }
    if ((uint32_t)slot == tag) {
      uint32_t code = (uint32_t)(slot >> 32) - 1;
      if (entry_equals(d, code, s, len)) {
        return code;
      }
    }
    i = (i + 1) & mask;
  }
}

static void place_slot(uint64_t *slots, size_t n_slots, unsigned shift, uint64_t slot) {
  size_t mask = n_slots - 1;
  uint32_t mixed = (uint32_t)slot * SK_TAG_MIX;
  size_t i = (size_t)((uint64_t)mixed >> shift);
  while (slots[i] != 0) {
    i = (i + 1) & mask;
  }
  slots[i] = slot;
}

static unsigned log2_pow2(size_t n) {
  unsigned bits = 0;
  while (((size_t)1 << bits) < n) {
    bits++;
  }
  return bits;
}

/* Rebuild the index with n_slots slots (a power of two); from tags, no rehashing. */
static segkit_status rebuild_index(sk__dict *d, size_t n_slots) {
  uint64_t *slots = calloc(n_slots, sizeof *slots);
  if (slots == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  unsigned shift = 32 - log2_pow2(n_slots);
  for (size_t i = 0; i < d->n_slots; i++) {
    if (d->slots[i] != 0) {
      place_slot(slots, n_slots, shift, d->slots[i]);
    }
  }
  free(d->slots);
  d->slots = slots;
  d->n_slots = n_slots;
  d->slot_shift = shift;
  return SEGKIT_OK;
}

/* Smallest power-of-two slot count that holds `entries` at <= 70% load. */
static size_t slots_for(uint64_t entries) {
  size_t n = SK_DICT_MIN_SLOTS;
  while ((uint64_t)n * 7 < entries * 10) {
    n *= 2;
  }
  return n;
}

/* ---- storage growth ------------------------------------------------------------------- */

static segkit_status reserve_offsets(sk__dict *d, size_t entries) {
  if (entries + 1 <= d->cap_offsets) {
    return SEGKIT_OK;
  }
  size_t cap = d->cap_offsets * 2;
  if (cap < entries + 1) {
    cap = entries + 1;
  }
  uint64_t *offsets = realloc(d->offsets, cap * sizeof *offsets);
  if (offsets == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  d->offsets = offsets;
  d->cap_offsets = cap;
  return SEGKIT_OK;
}

static segkit_status reserve_bytes(sk__dict *d, uint64_t n_bytes) {
  if (n_bytes <= d->cap_bytes) {
    return SEGKIT_OK;
  }
  uint64_t cap = d->cap_bytes < SK_DICT_MIN_BYTES ? SK_DICT_MIN_BYTES : d->cap_bytes * 2;
  if (cap < n_bytes) {
    cap = n_bytes;
  }
  if (cap > SIZE_MAX) {
    return SEGKIT_ERR_NOMEM;
  }
  char *bytes = realloc(d->bytes, (size_t)cap);
  if (bytes == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  d->bytes = bytes;
  d->cap_bytes = cap;
  return SEGKIT_OK;
}

static segkit_status reserve_slots(sk__dict *d, uint64_t entries) {
  if (d->n_slots != 0 && entries * 10 <= (uint64_t)d->n_slots * 7) {
    return SEGKIT_OK; /* the common case of an insert: room already */
  }
  size_t want = slots_for(entries);
  if (want <= d->n_slots) {
    return SEGKIT_OK;
  }
  return rebuild_index(d, want);
}

/* ---- public-to-the-module operations -------------------------------------------------- */

segkit_status sk__dict_init(sk__dict *d) {
  memset(d, 0, sizeof *d);
  d->offsets = malloc(SK_DICT_MIN_OFFSETS * sizeof *d->offsets);
  if (d->offsets == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  d->offsets[0] = 0;
  d->cap_offsets = SK_DICT_MIN_OFFSETS;
  /* ASLR makes heap addresses differ from run to run; mixing two of them gives a seed
   * without a global or a system call. */
  uint64_t a = (uint64_t)(uintptr_t)d;
  uint64_t b = (uint64_t)(uintptr_t)d->offsets;
  d->seed = sk__hash_bytes(&b, sizeof b, a);
  return SEGKIT_OK;
}

void sk__dict_free(sk__dict *d) {
  free(d->bytes);
  free(d->offsets);
  free(d->slots);
  memset(d, 0, sizeof *d);
}

uint64_t sk__dict_hash(const sk__dict *d, const char *s, size_t len) {
  return sk__hash_bytes(len == 0 ? "" : s, len, d->seed);
}

segkit_status sk__dict_reserve_more(sk__dict *d, uint64_t extra_entries, uint64_t extra_bytes) {
  if (extra_entries > SK_DICT_MAX_ENTRIES - d->count) {
    return SEGKIT_ERR_LIMIT;
  }
  if (extra_bytes > UINT64_MAX - d->n_bytes) {
    return SEGKIT_ERR_NOMEM;
  }
  uint64_t entries = (uint64_t)d->count + extra_entries;
  segkit_status st = reserve_slots(d, entries);
  if (st == SEGKIT_OK) {
    st = reserve_offsets(d, (size_t)entries);
  }
  if (st == SEGKIT_OK) {
    st = reserve_bytes(d, d->n_bytes + extra_bytes);
  }
  return st;
}

/* Append an entry and index it; the caller reserved room for it. */
static uint32_t commit_new(sk__dict *d, const char *s, size_t len, uint64_t hash) {
  uint64_t end = d->n_bytes + len + 1;
  if (len > 0) {
    memcpy(d->bytes + d->n_bytes, s, len);
  }
  d->bytes[end - 1] = '\0';
  uint32_t code = d->count;
  d->offsets[code + 1] = end;
  d->n_bytes = end;
  place_slot(d->slots, d->n_slots, d->slot_shift, make_slot(code, (uint32_t)(hash >> 32)));
  d->count = code + 1;
  return code;
}

segkit_status sk__dict_intern_hashed(sk__dict *d, const char *s, size_t len, uint64_t hash,
                                     uint32_t *code_out) {
  int64_t found = probe(d, s, len, hash);
  if (found >= 0) {
    *code_out = (uint32_t)found;
    return SEGKIT_OK;
  }
  /* A new entry: all allocation first, so a failure leaves the dictionary as it was. */
  if (len >= UINT64_MAX - 1) {
    return SEGKIT_ERR_NOMEM;
  }
  segkit_status st = sk__dict_reserve_more(d, 1, (uint64_t)len + 1);
  if (st != SEGKIT_OK) {
    return st;
  }
  *code_out = commit_new(d, s, len, hash);
  return SEGKIT_OK;
}

uint32_t sk__dict_intern_reserved(sk__dict *d, const char *s, size_t len, uint64_t hash) {
  int64_t found = probe(d, s, len, hash);
  if (found >= 0) {
    return (uint32_t)found;
  }
  return commit_new(d, s, len, hash);
}

void sk__dict_prefetch_slot(const sk__dict *d, uint64_t hash) {
  if (d->n_slots != 0) {
    __builtin_prefetch(&d->slots[home_slot(d, (uint32_t)(hash >> 32))]);
  }
}

/* Two rounds over the batch, each touching only what the previous step brought into
 * cache and starting the next level's loads for all strings at once: the offsets of the
 * candidate entries (first tag match in the slots, prefetched when the strings were
 * staged), then their bytes. The misses of a round overlap instead of forming one
 * dependent chain per string. Only hints: a wrong guess (a later slot holds the match)
 * costs a miss, never a result. */
void sk__dict_prefetch_entries(const sk__dict *d, const uint64_t *hashes, size_t n) {
  enum { SK_MAX_PREFETCH = 64 };
  uint32_t candidate[SK_MAX_PREFETCH];
  if (d->n_slots == 0 || n > SK_MAX_PREFETCH) {
    return;
  }
  size_t mask = d->n_slots - 1;
  for (size_t i = 0; i < n; i++) {
    uint32_t tag = (uint32_t)(hashes[i] >> 32);
    size_t at = home_slot(d, tag);
    candidate[i] = UINT32_MAX;
    for (uint64_t slot = d->slots[at]; slot != 0; slot = d->slots[at]) {
      if ((uint32_t)slot == tag) {
        candidate[i] = (uint32_t)(slot >> 32) - 1;
        __builtin_prefetch(&d->offsets[candidate[i]]);
        break;
      }
      at = (at + 1) & mask;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (candidate[i] != UINT32_MAX) {
      __builtin_prefetch(d->bytes + d->offsets[candidate[i]]);
    }
  }
}

int64_t sk__dict_find(const sk__dict *d, const char *s, size_t len) {
  return probe(d, s, len, sk__dict_hash(d, s, len));
}

segkit_status sk__dict_clone(sk__dict *dst, const sk__dict *src) {
  sk__dict d = *src;
  d.bytes = NULL;
  d.slots = NULL;
  d.cap_bytes = src->n_bytes;
  d.cap_offsets = (size_t)src->count + 1;
  d.offsets = malloc(d.cap_offsets * sizeof *d.offsets);
  if (src->n_bytes > 0) {
    d.bytes = malloc((size_t)src->n_bytes);
  }
  if (src->n_slots > 0) {
    d.slots = malloc(src->n_slots * sizeof *d.slots);
  }
  if (d.offsets == NULL || (src->n_bytes > 0 && d.bytes == NULL) ||
      (src->n_slots > 0 && d.slots == NULL)) {
    sk__dict_free(&d);
    return SEGKIT_ERR_NOMEM;
  }
  memcpy(d.offsets, src->offsets, d.cap_offsets * sizeof *d.offsets);
  if (src->n_bytes > 0) {
    memcpy(d.bytes, src->bytes, (size_t)src->n_bytes);
  }
  if (src->n_slots > 0) {
    memcpy(d.slots, src->slots, src->n_slots * sizeof *d.slots);
  }
  *dst = d;
  return SEGKIT_OK;
}

/* Slack worth a realloc: a page or more. */
#define SK_SHRINK_SLACK 4096

void sk__dict_shrink(sk__dict *d) {
  if (d->cap_bytes - d->n_bytes >= SK_SHRINK_SLACK && d->n_bytes > 0) {
    char *bytes = realloc(d->bytes, (size_t)d->n_bytes);
    if (bytes != NULL) { /* on failure the larger block is still valid */
      d->bytes = bytes;
      d->cap_bytes = d->n_bytes;
    }
  }
  size_t used = (size_t)d->count + 1;
  if ((d->cap_offsets - used) * sizeof *d->offsets >= SK_SHRINK_SLACK) {
    uint64_t *offsets = realloc(d->offsets, used * sizeof *offsets);
    if (offsets != NULL) {
      d->offsets = offsets;
      d->cap_offsets = used;
    }
  }
  size_t want = slots_for(d->count);
  if (d->count > 0 && want < d->n_slots) {
    (void)rebuild_index(d, want); /* on failure the larger index stays correct */
  }
}

size_t sk__dict_memory(const sk__dict *d) {
  return (size_t)d->cap_bytes + d->cap_offsets * sizeof *d->offsets +
         d->n_slots * sizeof *d->slots;
}
