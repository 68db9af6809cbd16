/* Fast non-cryptographic hashing of byte strings (dictionary interning, group-by keys).
 *
 * Design: the input is read as 64-bit words (unaligned loads through memcpy, which
 * compilers turn into single moves) and folded with a "multiply, then xor the high and
 * low halves of the 128-bit product" step. Every fold multiplies by a fixed odd
 * constant, never data by data: a data-by-data product (as in some popular fast hashes)
 * has annihilating inputs (one word equal to a constant sends the product to 0
 * whatever the other word is), which lets an input file be crafted so that every string
 * collides. Strings of up to 16 bytes, the common case for CSV fields, take two
 * independent folds plus a final one, and no loop: the first and last 8 (or 4) bytes are
 * read, overlapping when shorter, with the length mixed in so that overlaps cannot
 * collide. Longer strings run two
 * independent lanes of 8 bytes so the multiplier latency overlaps.
 *
 * The constants are the first 64 fractional bits of sqrt(2), sqrt(3), sqrt(5) and the
 * golden ratio (set odd): arbitrary, well-spread bit patterns with nothing hidden.
 * This is our own construction, tested for distribution in tests/unit/test_core_hash.c. */
#include "core/core_int.h"

#include <string.h>

__extension__ typedef unsigned __int128 sk_u128;

#define SK_K0 UINT64_C(0x6A09E667F3BCC909) /* sqrt(2) */
#define SK_K1 UINT64_C(0xBB67AE8584CAA73B) /* sqrt(3) */
#define SK_K2 UINT64_C(0x3C6EF372FE94F82B) /* sqrt(5), made odd */
#define SK_K3 UINT64_C(0x9E3779B97F4A7C15) /* golden ratio */

/* 64x64 -> 128 multiply folded to 64 bits. */
static inline uint64_t fold_mul(uint64_t v, uint64_t k) {
  sk_u128 r = (sk_u128)v * k;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline uint64_t load32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Strings longer than 16 bytes: two lanes over 16-byte blocks, then the last 16 bytes
 * (overlapping the final block when n is not a multiple of 16). */
static uint64_t hash_long(const unsigned char *p, size_t n, uint64_t state) {
  uint64_t lane_a = state;
  uint64_t lane_b = state ^ SK_K3;
  const unsigned char *end = p + n - 16;
  while (p < end) {
    lane_a = fold_mul(load64(p) ^ lane_a, SK_K1);
    lane_b = fold_mul(load64(p + 8) ^ lane_b, SK_K2);
    p += 16;
  }
  uint64_t x = fold_mul(load64(end) ^ lane_a, SK_K1);
  uint64_t z = fold_mul(load64(end + 8) ^ lane_b, SK_K2);
  return x ^ z;
}

uint64_t sk__hash_bytes(const void *data, size_t n, uint64_t seed) {
  const unsigned char *p = data;
  uint64_t state = seed ^ SK_K0 ^ ((uint64_t)n * SK_K3);
  uint64_t mixed;
  if (n > 16) {
    mixed = hash_long(p, n, state);
  } else {
    uint64_t a = 0;
    uint64_t b = 0;
    if (n >= 8) {
      a = load64(p);
      b = load64(p + n - 8);
    } else if (n >= 4) {
      a = load32(p);
      b = load32(p + n - 4);
    } else if (n > 0) {
      /* 1-3 bytes: first, middle and last byte identify the string given n. */
      a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
    }
    /* Two independent folds (their multiplies overlap in the pipeline), each keyed by
     * the seed and length, with different constants so a and b are not interchangeable. */
    mixed = fold_mul(a ^ state, SK_K1) ^ fold_mul(b ^ state ^ SK_K3, SK_K2);
  }
  /* Final fold spreads every input bit into the high bits callers like to use. */
  return fold_mul(mixed, SK_K3);
}
