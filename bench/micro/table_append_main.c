/* Timing harness for column appends (not built by CMake; compile by hand, with LTO so
 * the appends can be inlined across files as in the library's Release build):
 *
 *   cc -O3 -flto -std=c17 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc \
 *      bench/micro/table_append_main.c src/table/[a-z]*.c src/core/error.c src/core/hash.c \
 *      -o /tmp/table_append -lpthread -lm
 *   /tmp/table_append [N_ROWS [ROUNDS]]   (default 20 000 000 rows, 1 round)
 *
 * Appends N values one call at a time, as a reader does, into a fresh single-column
 * builder (no reserve), and prints ns per append for: int64; float64; int64 with 1 null
 * in 16; strings from 4 values of 3 bytes (like currency); strings from a small
 * dictionary (100 values of 3-13 bytes, like plan or country); strings from a large one
 * (1 M customer ids in random order: every dictionary probe misses the caches); then
 * finish() time and table memory. Inputs are generated before the clock starts; the values of each
 * row are drawn at random, the hard case for branch prediction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segkit/table.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t next_random(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static segkit_table_builder *one_column(segkit_type type) {
  const char *names[] = {"c"};
  segkit_table_builder *b = NULL;
  if (segkit_table_builder_new(1, names, &type, &b, NULL) != SEGKIT_OK) {
    fprintf(stderr, "builder_new failed\n");
    exit(1);
  }
  return b;
}

static void report(const char *what, size_t n, double seconds, segkit_table_builder *b) {
  double t0 = now_seconds();
  segkit_table *t = NULL;
  if (segkit_table_builder_finish(b, &t, NULL) != SEGKIT_OK) {
    fprintf(stderr, "finish failed\n");
    exit(1);
  }
  double fin = now_seconds() - t0;
  const segkit_column *c = segkit_table_column(t, 0);
  printf("%-28s %6.2f ns/append  (%.3f s; finish %.1f ms; %zu rows, %u dict, %.1f MB)\n", what,
         seconds * 1e9 / (double)n, seconds, fin * 1e3, segkit_table_n_rows(t),
         segkit_column_dict_size(c), (double)segkit_table_memory_bytes(t) / 1e6);
  segkit_table_free(t);
}

static int run_all(size_t n) {
  uint64_t seed = 1;
  int64_t *ints = malloc(n * sizeof *ints);
  uint32_t *picks = malloc(n * sizeof *picks);
  if (ints == NULL || picks == NULL) {
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    uint64_t r = next_random(&seed);
    ints[i] = (int64_t)r;
    picks[i] = (uint32_t)(r >> 32);
  }

  segkit_table_builder *b = one_column(SEGKIT_TYPE_INT64);
  segkit_column_builder *c = segkit_table_builder_column(b, 0);
  double t0 = now_seconds();
  for (size_t i = 0; i < n; i++) {
    if (segkit_column_append_int64(c, ints[i]) != SEGKIT_OK) {
      return 1;
    }
  }
  report("int64", n, now_seconds() - t0, b);

  b = one_column(SEGKIT_TYPE_FLOAT64);
  c = segkit_table_builder_column(b, 0);
  t0 = now_seconds();
  for (size_t i = 0; i < n; i++) {
    if (segkit_column_append_float64(c, (double)ints[i]) != SEGKIT_OK) {
      return 1;
    }
  }
  report("float64", n, now_seconds() - t0, b);

  b = one_column(SEGKIT_TYPE_INT64);
  c = segkit_table_builder_column(b, 0);
  t0 = now_seconds();
  for (size_t i = 0; i < n; i++) {
    segkit_status st = (ints[i] & 15) == 0 ? segkit_column_append_null(c)
                                           : segkit_column_append_int64(c, ints[i]);
    if (st != SEGKIT_OK) {
      return 1;
    }
  }
  report("int64, 1/16 null", n, now_seconds() - t0, b);

  /* Currency-like: 4 values of 3 bytes, one chosen at random per row. */
  static const char *const cur[4] = {"EUR", "USD", "GBP", "CHF"};
  b = one_column(SEGKIT_TYPE_STRING);
  c = segkit_table_builder_column(b, 0);
  t0 = now_seconds();
  for (size_t i = 0; i < n; i++) {
    if (segkit_column_append_string(c, cur[picks[i] & 3], 3) != SEGKIT_OK) {
      return 1;
    }
  }
  report("string, 4 distinct (len 3)", n, now_seconds() - t0, b);

  /* Small dictionary: 100 strings of 3-13 bytes. */
  enum { SMALL = 100 };
  char small[SMALL][16];
  size_t small_len[SMALL];
  for (int k = 0; k < SMALL; k++) {
    small_len[k] = (size_t)snprintf(small[k], sizeof small[k], "%.*s-%d", 1 + k % 8,
                                    "segments", k);
  }
  b = one_column(SEGKIT_TYPE_STRING);
  c = segkit_table_builder_column(b, 0);
  t0 = now_seconds();
  for (size_t i = 0; i < n; i++) {
    uint32_t k = picks[i] % SMALL;
    if (segkit_column_append_string(c, small[k], small_len[k]) != SEGKIT_OK) {
      return 1;
    }
  }
  report("string, 100 distinct", n, now_seconds() - t0, b);

  /* Large dictionary: 1 M customer ids "cus_0000000123", picked at random and laid out
   * one after another as fields in a read buffer would be (so reading the input is a
   * sequential stream and the misses measured are the dictionary's). */
  enum { LARGE = 1000000, ID_LEN = 14 };
  char *ids = malloc(n * ID_LEN + 1);
  if (ids == NULL) {
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    snprintf(ids + i * ID_LEN, ID_LEN + 1, "cus_%010u", picks[i] % LARGE);
  }
  b = one_column(SEGKIT_TYPE_STRING);
  c = segkit_table_builder_column(b, 0);
  t0 = now_seconds();
  for (size_t i = 0; i < n; i++) {
    if (segkit_column_append_string(c, ids + i * ID_LEN, ID_LEN) != SEGKIT_OK) {
      return 1;
    }
  }
  report("string, 1 M distinct", n, now_seconds() - t0, b);

  free(ids);
  free(ints);
  free(picks);
  printf("\n");
  return 0;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atoll(argv[1]) : 20000000;
  int rounds = argc > 2 ? atoi(argv[2]) : 1;
  for (int round = 0; round < rounds; round++) {
    if (run_all(n) != 0) {
      return 1;
    }
  }
  return 0;
}
