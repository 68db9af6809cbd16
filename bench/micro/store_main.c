/* Timing harness for the workspace (not built by CMake; compile by hand with the
 * library's Release flags, LTO included):
 *
 *   cc -O3 -flto -std=c17 -D_POSIX_C_SOURCE=200809L -DNDEBUG -Iinclude -Isrc \
 *      bench/micro/store_main.c src/store/[a-z]*.c src/table/[a-z]*.c src/core/[a-z]*.c \
 *      -o /tmp/store_bench -lsqlite3 -ljansson -lpthread -lm
 *   /tmp/store_bench DIR [N_ROWS]      (default 20 000 000 rows)
 *   /tmp/store_bench DIR N_ROWS load   (only load DIR/bench.segkit, 3 times)
 *
 * Builds a transactions-like table in memory (transaction_id int64, customer_id string
 * with 1 M distinct values, ts timestamp, amount float64, currency string of 4 values,
 * kind string of 3 values, subscription_id int64 with 1 null in 8), then times, in a
 * fresh workspace DIR/bench.segkit:
 *   1. the import (CREATE, one transaction, commit and checkpoint included),
 *   2. the load of the whole dataset by a fresh handle (one batch),
 *   3. an APPEND of 1 M more rows, and the load of the two-batch dataset (dictionary
 *      merge path),
 *   4. an UPSERT of 100 000 rows by transaction_id (half new keys, half replacing rows
 *      spread over the dataset, so every chunk of the first batch is rewritten).
 * and prints the file size after each step. The table is generated before any clock
 * starts; loaded values are spot-checked against the generator. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "segkit/workspace.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t mix(uint64_t z) {
  z += UINT64_C(0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static void die(const char *what, const segkit_error *err) {
  fprintf(stderr, "%s: %s\n", what, err != NULL ? err->message : "failed");
  exit(1);
}

static const char *const currencies[] = {"USD", "EUR", "GBP", "JPY"};
static const char *const kinds[] = {"invoice", "refund", "adjustment"};

/* Rows [first, first + n) of the generated transactions. */
static segkit_table *make_table(size_t first, size_t n) {
  const char *names[] = {"transaction_id", "customer_id", "ts", "amount",
                         "currency", "kind", "subscription_id"};
  segkit_type types[] = {SEGKIT_TYPE_INT64,  SEGKIT_TYPE_STRING, SEGKIT_TYPE_TIMESTAMP,
                         SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING,
                         SEGKIT_TYPE_INT64};
  segkit_table_builder *b = NULL;
  segkit_error err;
  if (segkit_table_builder_new(7, names, types, &b, &err) != SEGKIT_OK ||
      segkit_table_builder_reserve(b, n, &err) != SEGKIT_OK) {
    die("builder", &err);
  }
  segkit_column_builder *c[7];
  for (size_t k = 0; k < 7; k++) {
    c[k] = segkit_table_builder_column(b, k);
  }
  char cust[32];
  for (size_t r = first; r < first + n; r++) {
    uint64_t h = mix(r);
    segkit_column_append_int64(c[0], (int64_t)r + 1);
    int len = snprintf(cust, sizeof cust, "cus_%08" PRIu64, h % 1000000);
    segkit_column_append_string(c[1], cust, (size_t)len);
    segkit_column_append_int64(c[2], INT64_C(1600000000000000) + (int64_t)r * 4000000);
    segkit_column_append_float64(c[3], (double)(h >> 40) / 100.0);
    const char *cur = currencies[(h >> 8) % 4];
    segkit_column_append_string(c[4], cur, strlen(cur));
    const char *kind = kinds[(h >> 16) % 3];
    segkit_column_append_string(c[5], kind, strlen(kind));
    if ((h >> 24) % 8 == 0) {
      segkit_column_append_null(c[6]);
    } else {
      segkit_column_append_int64(c[6], (int64_t)((h >> 32) % 2000000));
    }
  }
  segkit_table *t = NULL;
  if (segkit_table_builder_finish(b, &t, &err) != SEGKIT_OK) {
    die("finish", &err);
  }
  return t;
}

static double file_mb(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (double)sb.st_size / 1e6 : 0;
}

static void check_rows(const segkit_table *t, size_t n_expected) {
  if (segkit_table_n_rows(t) != n_expected) {
    fprintf(stderr, "loaded %zu rows, expected %zu\n", segkit_table_n_rows(t), n_expected);
    exit(1);
  }
  const int64_t *ids = segkit_column_int64(segkit_table_column(t, 0));
  const segkit_column *cust = segkit_table_column(t, 1);
  for (size_t r = 0; r < n_expected; r += 999983) {
    char want[32];
    snprintf(want, sizeof want, "cus_%08" PRIu64, mix(r) % 1000000);
    size_t len = 0;
    const char *s = segkit_column_dict_value(cust, segkit_column_codes(cust)[r], &len);
    if (ids[r] != (int64_t)r + 1 || s == NULL || strcmp(s, want) != 0) {
      fprintf(stderr, "row %zu differs after load\n", r);
      exit(1);
    }
  }
}

static segkit_table *timed_load(const char *path, double *seconds) {
  segkit_workspace *ws = NULL;
  segkit_error err;
  double t0 = now_seconds();
  if (segkit_workspace_open(path, SEGKIT_WORKSPACE_READONLY, &ws, &err) != SEGKIT_OK) {
    die("open", &err);
  }
  segkit_table *t = NULL;
  if (segkit_workspace_load(ws, "transactions", &t, &err) != SEGKIT_OK) {
    die("load", &err);
  }
  *seconds = now_seconds() - t0;
  segkit_workspace_close(ws);
  return t;
}

static void timed_import(const char *path, segkit_import_mode mode, const char *key,
                         const segkit_table *t, const char *label) {
  segkit_workspace *ws = NULL;
  segkit_error err;
  double t0 = now_seconds();
  if (segkit_workspace_open(path, SEGKIT_WORKSPACE_CREATE, &ws, &err) != SEGKIT_OK) {
    die("open", &err);
  }
  segkit_import_request req = {.dataset = "transactions", .mode = mode, .key = key,
                               .table = t, .source = "bench"};
  segkit_import_outcome oc;
  if (segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
    die(label, &err);
  }
  double t1 = now_seconds();
  segkit_workspace_close(ws); /* the final checkpoint */
  double t2 = now_seconds();
  printf("%-28s %8.2f s (+ close %.2f s)  added %" PRId64 " replaced %" PRId64
         "  dataset %" PRId64 " rows  file %.0f MB\n",
         label, t1 - t0, t2 - t1, oc.rows_added, oc.rows_replaced, oc.dataset_rows,
         file_mb(path));
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR [N_ROWS]\n", argv[0]);
    return 2;
  }
  size_t n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 20000000;
  size_t path_len = strlen(argv[1]) + 32;
  char *path = malloc(path_len);
  snprintf(path, path_len, "%s/bench.segkit", argv[1]);
  double secs = 0;
  if (argc > 3 && strcmp(argv[3], "load") == 0) {
    for (int k = 0; k < 3; k++) {
      segkit_table *t = timed_load(path, &secs);
      printf("load: %.2f s (%zu rows)\n", secs, segkit_table_n_rows(t));
      segkit_table_free(t);
    }
    free(path);
    return 0;
  }
  unlink(path);

  double t0 = now_seconds();
  segkit_table *t = make_table(0, n);
  printf("generated %zu rows in %.2f s (table %.0f MB in memory)\n", n, now_seconds() - t0,
         (double)segkit_table_memory_bytes(t) / 1e6);
  timed_import(path, SEGKIT_IMPORT_CREATE, getenv("NOKEY") ? NULL : "transaction_id", t, "import (create)");
  segkit_table_free(t);

  t = timed_load(path, &secs);
  printf("%-28s %8.2f s  (%zu rows, %.0f MB/s of table)\n", "load (1 batch)", secs,
         segkit_table_n_rows(t), (double)segkit_table_memory_bytes(t) / 1e6 / secs);
  check_rows(t, n);
  segkit_table_free(t);

  size_t extra = 1000000;
  segkit_table *more = make_table(n, extra);
  timed_import(path, SEGKIT_IMPORT_APPEND, NULL, more, "append 1 M");
  segkit_table_free(more);
  t = timed_load(path, &secs);
  printf("%-28s %8.2f s  (%zu rows)\n", "load (2 batches)", secs, segkit_table_n_rows(t));
  check_rows(t, n + extra);
  segkit_table_free(t);

  /* 50 000 new keys after the end, 50 000 replacing rows spread over the dataset. */
  segkit_table *head = make_table(n + extra, 50000);
  segkit_table *spread = make_table(0, n);
  uint32_t *rows = malloc(50000 * sizeof *rows);
  for (size_t i = 0; i < 50000; i++) {
    rows[i] = (uint32_t)(i * (n / 50000));
  }
  segkit_table *picked = NULL;
  segkit_error err;
  if (segkit_table_take(spread, rows, 50000, &picked, &err) != SEGKIT_OK) {
    die("take", &err);
  }
  const segkit_table *parts[] = {head, picked};
  segkit_table *up = NULL;
  if (segkit_table_concat(parts, 2, &up, &err) != SEGKIT_OK) {
    die("concat", &err);
  }
  segkit_table_free(head);
  segkit_table_free(spread);
  segkit_table_free(picked);
  free(rows);
  timed_import(path, SEGKIT_IMPORT_UPSERT, "transaction_id", up, "upsert 100 k by key");
  segkit_table_free(up);
  t = timed_load(path, &secs);
  printf("%-28s %8.2f s  (%zu rows)\n", "load (after upsert)", secs, segkit_table_n_rows(t));
  segkit_table_free(t);
  free(path);
  return 0;
}
