/* sk__hash_bytes: determinism, seeding, bounds (exact-size buffers under ASan), spread
 * of the bits callers use, avalanche, and no collisions on structured keys, including
 * the key shapes that defeat hashes multiplying data by data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a;
  uint64_t y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static size_t count_duplicates(uint64_t *h, size_t n) {
  qsort(h, n, sizeof *h, cmp_u64);
  size_t dups = 0;
  for (size_t i = 1; i < n; i++) {
    dups += h[i] == h[i - 1];
  }
  return dups;
}

static void core_hash_deterministic_and_seeded(void **state) {
  (void)state;
  const char *s = "customer-000123";
  assert_true(sk__hash_bytes(s, strlen(s), 1) == sk__hash_bytes(s, strlen(s), 1));
  assert_true(sk__hash_bytes(s, strlen(s), 1) != sk__hash_bytes(s, strlen(s), 2));
  /* The length takes part: a prefix differs from the whole, "" from "\0". */
  assert_true(sk__hash_bytes(s, 8, 0) != sk__hash_bytes(s, 9, 0));
  assert_true(sk__hash_bytes("", 0, 0) != sk__hash_bytes("\0", 1, 0));
  assert_true(sk__hash_bytes("\0", 1, 0) != sk__hash_bytes("\0\0", 2, 0));
}

/* Every length 0..200 from an exact-size heap block: ASan flags any read past it. */
static void core_hash_stays_in_bounds(void **state) {
  (void)state;
  for (size_t n = 0; n <= 200; n++) {
    unsigned char *p = malloc(n > 0 ? n : 1);
    for (size_t i = 0; i < n; i++) {
      p[i] = (unsigned char)(i * 7 + 1);
    }
    (void)sk__hash_bytes(p, n, 0);
    free(p);
  }
}

static void core_hash_no_collisions_on_structured_keys(void **state) {
  (void)state;
  enum { N = 400000 };
  uint64_t *h = malloc(N * sizeof *h);
  char buf[64];
  /* Decimal keys of every short length class. */
  for (size_t i = 0; i < N; i++) {
    int len = snprintf(buf, sizeof buf, "%zu", i * 2654435761u % 1000000007u);
    h[i] = sk__hash_bytes(buf, (size_t)len, 0);
  }
  assert_int_equal(count_duplicates(h, N), 0);
  /* 16-byte keys whose first word is fixed and last word varies: a data-by-data
   * multiply would collapse these whenever the fixed word meets its constant. */
  for (size_t i = 0; i < N; i++) {
    uint64_t words[2] = {0, (uint64_t)i * 0x9E3779B97F4A7C15u};
    h[i] = sk__hash_bytes(words, 16, 0);
  }
  assert_int_equal(count_duplicates(h, N), 0);
  /* Long keys: k = 20..69 'x' bytes then the decimal i, so the key gives back k and i
   * (digits are not 'x'): all distinct, lengths 21..76 cross the 16/32-byte blocks. */
  char big[96];
  for (size_t i = 0; i < N; i++) {
    size_t k = 20 + i % 50;
    memset(big, 'x', k);
    int len = snprintf(big + k, sizeof big - k, "%zu", i);
    h[i] = sk__hash_bytes(big, k + (size_t)len, 0);
  }
  assert_int_equal(count_duplicates(h, N), 0);
  free(h);
}

/* The top 16 bits of hashes of sequential keys fill 65536 buckets evenly: chi-square
 * with 65535 degrees of freedom has mean 65535 and sd ~362; allow 5 sd. */
static void core_hash_top_bits_spread(void **state) {
  (void)state;
  enum { BUCKETS = 65536, N = 65536 * 16 };
  uint32_t *count = calloc(BUCKETS, sizeof *count);
  char buf[32];
  for (uint32_t i = 0; i < N; i++) {
    int len = snprintf(buf, sizeof buf, "key%u", i);
    count[sk__hash_bytes(buf, (size_t)len, 42) >> 48]++;
  }
  double chi2 = 0;
  for (size_t b = 0; b < BUCKETS; b++) {
    double d = (double)count[b] - 16.0;
    chi2 += d * d / 16.0;
  }
  free(count);
  assert_true(chi2 > 65535 - 5 * 362 && chi2 < 65535 + 5 * 362);
}

/* Flipping one input bit flips about half the output bits, for every bit position of
 * short and long inputs. */
static void core_hash_avalanche(void **state) {
  (void)state;
  const size_t lengths[] = {1, 3, 4, 7, 8, 12, 16, 17, 40};
  for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
    size_t n = lengths[li];
    unsigned char in[40];
    double total = 0;
    size_t trials = 0;
    for (unsigned base = 0; base < 64; base++) {
      for (size_t i = 0; i < n; i++) {
        in[i] = (unsigned char)(base * 31 + i * 17);
      }
      uint64_t h0 = sk__hash_bytes(in, n, 0);
      for (size_t bit = 0; bit < n * 8; bit++) {
        in[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        total += __builtin_popcountll(h0 ^ sk__hash_bytes(in, n, 0));
        in[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        trials++;
      }
    }
    double mean = total / (double)trials;
    if (mean < 30.0 || mean > 34.0) {
      fail_msg("length %zu: mean flipped bits %.2f", n, mean);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(core_hash_deterministic_and_seeded),
      cmocka_unit_test(core_hash_stays_in_bounds),
      cmocka_unit_test(core_hash_no_collisions_on_structured_keys),
      cmocka_unit_test(core_hash_top_bits_spread),
      cmocka_unit_test(core_hash_avalanche),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
