/* Hash maps for the workspace: int64 keys (key checks of int64, timestamp and date
 * columns) and byte strings (string keys, and merging string dictionaries of several
 * batches when a dataset is loaded).
 *
 * Both are open addressing with linear probing over a power-of-two table kept at most
 * half full. The string map stores no bytes: a slot holds the string's id and 32 bits of
 * its hash, and the strings are read from the caller's (offsets, bytes) arrays, which
 * are the dictionary being built anyway. That halves the memory of a merge of a million
 * distinct customer ids and avoids copying each string once more. Hashes come from
 * sk__hash_bytes (src/core/hash.c), which is seeded and resists crafted collisions. */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "store/store_int.h"

#define SK_MAP_SEED UINT64_C(0x53474B5400000001)

/* Smallest power of two >= 2 * expected (at least 16). */
static size_t table_size_for(size_t expected) {
  size_t n = 16;
  while (n < expected * 2 && n < ((size_t)1 << 62)) {
    n <<= 1;
  }
  return n;
}

/* ======================================================================================
 * int64 -> int64
 * ==================================================================================== */

typedef struct i64_slot {
  int64_t key;
  int64_t value;
} i64_slot;

struct sk_i64_map {
  i64_slot *slots;
  uint8_t *used;
  size_t mask;
  size_t count;
};

/* splitmix64 finaliser: a bijection that spreads sequential ids over the table. */
static size_t hash_i64(int64_t key) {
  uint64_t z = (uint64_t)key + UINT64_C(0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return (size_t)(z ^ (z >> 31));
}

static bool i64_alloc(sk_i64_map *m, size_t n_slots) {
  m->slots = malloc(n_slots * sizeof *m->slots);
  m->used = calloc(n_slots, 1);
  if (m->slots == NULL || m->used == NULL) {
    free(m->slots);
    free(m->used);
    return false;
  }
  m->mask = n_slots - 1;
  return true;
}

segkit_status sk__i64_map_new(size_t expected, sk_i64_map **out, segkit_error *err) {
  sk_i64_map *m = calloc(1, sizeof *m);
  if (m == NULL || !i64_alloc(m, table_size_for(expected))) {
    free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a key index");
  }
  *out = m;
  return SEGKIT_OK;
}

void sk__i64_map_free(sk_i64_map *m) {
  if (m == NULL) {
    return;
  }
  free(m->slots);
  free(m->used);
  free(m);
}

static size_t i64_probe(const sk_i64_map *m, int64_t key) {
  size_t i = hash_i64(key) & m->mask;
  while (m->used[i] && m->slots[i].key != key) {
    i = (i + 1) & m->mask;
  }
  return i;
}

static segkit_status i64_grow(sk_i64_map *m, segkit_error *err) {
  sk_i64_map bigger = {0};
  if (!i64_alloc(&bigger, (m->mask + 1) * 2)) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a key index");
  }
  for (size_t i = 0; i <= m->mask; i++) {
    if (m->used[i]) {
      size_t j = i64_probe(&bigger, m->slots[i].key);
      bigger.used[j] = 1;
      bigger.slots[j] = m->slots[i];
    }
  }
  free(m->slots);
  free(m->used);
  m->slots = bigger.slots;
  m->used = bigger.used;
  m->mask = bigger.mask;
  return SEGKIT_OK;
}

segkit_status sk__i64_map_insert(sk_i64_map *m, int64_t key, int64_t value, bool *inserted,
                                 int64_t *existing, segkit_error *err) {
  size_t i = i64_probe(m, key);
  if (m->used[i]) {
    *inserted = false;
    *existing = m->slots[i].value;
    return SEGKIT_OK;
  }
  if ((m->count + 1) * 2 > m->mask + 1) {
    segkit_status s = i64_grow(m, err);
    if (s != SEGKIT_OK) {
      return s;
    }
    i = i64_probe(m, key);
  }
  m->used[i] = 1;
  m->slots[i].key = key;
  m->slots[i].value = value;
  m->count++;
  *inserted = true;
  return SEGKIT_OK;
}

bool sk__i64_map_find(const sk_i64_map *m, int64_t key, int64_t *value) {
  size_t i = i64_probe(m, key);
  if (!m->used[i]) {
    return false;
  }
  *value = m->slots[i].value;
  return true;
}

/* ======================================================================================
 * byte string -> id
 * ==================================================================================== */

/* id_plus1 == 0 marks an empty slot. */
typedef struct str_slot {
  uint32_t id_plus1;
  uint32_t tag;  /* high 32 bits of the hash: most mismatches end here, no memcmp */
} str_slot;

struct sk_str_map {
  str_slot *slots;
  size_t mask;
  size_t count;
};

static uint64_t hash_str(const char *s, size_t len) {
  return sk__hash_bytes(s, len, SK_MAP_SEED);
}

segkit_status sk__str_map_new(size_t expected, sk_str_map **out, segkit_error *err) {
  sk_str_map *m = calloc(1, sizeof *m);
  size_t n = table_size_for(expected);
  if (m != NULL) {
    m->slots = calloc(n, sizeof *m->slots);
  }
  if (m == NULL || m->slots == NULL) {
    free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a string index");
  }
  m->mask = n - 1;
  *out = m;
  return SEGKIT_OK;
}

void sk__str_map_free(sk_str_map *m) {
  if (m == NULL) {
    return;
  }
  free(m->slots);
  free(m);
}

/* Bytes of id i without its NUL terminator. */
static const char *entry(const uint64_t *offsets, const char *bytes, uint32_t i,
                         size_t *len) {
  *len = (size_t)(offsets[i + 1] - offsets[i] - 1);
  return bytes + offsets[i];
}

int64_t sk__str_map_find(const sk_str_map *m, const uint64_t *offsets, const char *bytes,
                         const char *s, size_t len) {
  uint64_t h = hash_str(s, len);
  uint32_t tag = (uint32_t)(h >> 32);
  size_t i = (size_t)h & m->mask;
  while (m->slots[i].id_plus1 != 0) {
    if (m->slots[i].tag == tag) {
      uint32_t id = m->slots[i].id_plus1 - 1;
      size_t elen;
      const char *e = entry(offsets, bytes, id, &elen);
      if (elen == len && memcmp(e, s, len) == 0) {
        return id;
      }
    }
    i = (i + 1) & m->mask;
  }
  return -1;
}

static void str_place(str_slot *slots, size_t mask, uint64_t h, uint32_t id) {
  size_t i = (size_t)h & mask;
  while (slots[i].id_plus1 != 0) {
    i = (i + 1) & mask;
  }
  slots[i].id_plus1 = id + 1;
  slots[i].tag = (uint32_t)(h >> 32);
}

static segkit_status str_grow(sk_str_map *m, const uint64_t *offsets, const char *bytes,
                              segkit_error *err) {
  size_t n = (m->mask + 1) * 2;
  str_slot *slots = calloc(n, sizeof *slots);
  if (slots == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a string index");
  }
  for (size_t i = 0; i <= m->mask; i++) {
    if (m->slots[i].id_plus1 != 0) {
      uint32_t id = m->slots[i].id_plus1 - 1;
      size_t len;
      const char *s = entry(offsets, bytes, id, &len);
      str_place(slots, n - 1, hash_str(s, len), id);
    }
  }
  free(m->slots);
  m->slots = slots;
  m->mask = n - 1;
  return SEGKIT_OK;
}

segkit_status sk__str_map_add(sk_str_map *m, const uint64_t *offsets, const char *bytes,
                              uint32_t id, segkit_error *err) {
  if (m->count == UINT32_MAX - 1) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "more than %u distinct strings",
                            (unsigned)(UINT32_MAX - 1));
  }
  if ((m->count + 1) * 2 > m->mask + 1) {
    segkit_status s = str_grow(m, offsets, bytes, err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  size_t len;
  const char *s = entry(offsets, bytes, id, &len);
  str_place(m->slots, m->mask, hash_str(s, len), id);
  m->count++;
  return SEGKIT_OK;
}
