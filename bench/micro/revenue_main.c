/* Timing harness for segkit_revenue_compute (not built by CMake; compile by hand against a
 * Release static library):
 *
 *   cmake -S . -B build/rel -DCMAKE_BUILD_TYPE=Release && cmake --build build/rel --target segkit_static
 *   cc -O2 -std=c17 -D_POSIX_C_SOURCE=200809L -Iinclude bench/micro/revenue_main.c
 *      build/rel/libsegkit.a -o /tmp/revenue_main -lgsl -lgslcblas -ljansson -lsqlite3 -lpthread -lm
 *   /tmp/revenue_main [N_ROWS] [REPEATS]
 *
 * Builds a transactions table in memory (not timed): N_ROWS rows (default 20 M) for
 * N_ROWS / 20 customers, each a monthly charge over 36 months from 2023-07 at a random
 * time of day, 2% of them followed by a refund a few days later, amounts of 5.00-999.99 in
 * USD, EUR or GBP; columns customer_id (int64), timestamp, amount (float64), currency,
 * kind (string). Then times segkit_revenue_compute over 2023-07..2026-06 (best of REPEATS,
 * default 3) on 1 and 2 threads: rows in customer order (the usual export), split by
 * currency, in time order (customers interleaved: the counting sort of dense ids), and in
 * time order with sparse ids (id x 1000003: the radix sort). Prints the total net as a
 * check that every variant agrees. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segkit/datetime.h"
#include "segkit/metrics.h"
#include "segkit/table.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t next_random(void) {
  /* splitmix64 */
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

typedef struct tx {
  int64_t customer;
  int64_t ts;
  double amount;
  uint32_t currency;
  uint32_t kind;
} tx;

static int by_time(const void *a, const void *b) {
  const tx *x = a;
  const tx *y = b;
  return (x->ts > y->ts) - (x->ts < y->ts);
}

static segkit_table *make_table(const tx *rows, size_t n) {
  int64_t *cust = malloc(n * sizeof *cust);
  int64_t *ts = malloc(n * sizeof *ts);
  double *amount = malloc(n * sizeof *amount);
  uint32_t *cur = malloc(n * sizeof *cur);
  uint32_t *kind = malloc(n * sizeof *kind);
  if (cust == NULL || ts == NULL || amount == NULL || cur == NULL || kind == NULL) {
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    cust[i] = rows[i].customer;
    ts[i] = rows[i].ts;
    amount[i] = rows[i].amount;
    cur[i] = rows[i].currency;
    kind[i] = rows[i].kind;
  }
  static const uint64_t cur_off[] = {0, 4, 8, 12};
  static const char cur_bytes[] = "USD\0EUR\0GBP";
  static const uint64_t kind_off[] = {0, 7, 14};
  static const char kind_bytes[] = "charge\0refund";
  segkit_column_arrays cols[5] = {
      {"customer_id", SEGKIT_TYPE_INT64, cust, NULL, 0, NULL, NULL},
      {"timestamp", SEGKIT_TYPE_TIMESTAMP, ts, NULL, 0, NULL, NULL},
      {"amount", SEGKIT_TYPE_FLOAT64, amount, NULL, 0, NULL, NULL},
      {"currency", SEGKIT_TYPE_STRING, cur, NULL, 3, cur_off, cur_bytes},
      {"kind", SEGKIT_TYPE_STRING, kind, NULL, 2, kind_off, kind_bytes},
  };
  segkit_table *t = NULL;
  segkit_error err;
  if (segkit_table_from_arrays_take(n, 5, cols, &t, &err) != SEGKIT_OK) {
    fprintf(stderr, "table: %s\n", err.message);
    return NULL;
  }
  return t;
}

static const segkit_mrr_rate k_rates[] = {{"USD", 1.0}, {"EUR", 1.085}, {"GBP", 1.27}};

static double time_run(const segkit_table *t, int threads, bool by_currency, int repeats,
                       int64_t *net) {
  segkit_revenue_options opt;
  segkit_revenue_options_init(&opt);
  opt.rates = k_rates;
  opt.n_rates = 3;
  opt.from_month = segkit_month_index(2023, 7);
  opt.to_month = segkit_month_index(2026, 6);
  opt.n_threads = threads;
  const char *by[] = {"currency"};
  if (by_currency) {
    opt.columns.group = by;
    opt.columns.n_group = 1;
  }
  double best = 1e9;
  for (int i = 0; i < repeats; i++) {
    segkit_revenue_result *r = NULL;
    segkit_error err;
    double t0 = now_seconds();
    if (segkit_revenue_compute(t, &opt, &r, &err) != SEGKIT_OK) {
      fprintf(stderr, "revenue: %s\n", err.message);
      exit(1);
    }
    double dt = now_seconds() - t0;
    best = dt < best ? dt : best;
    *net = 0;
    const segkit_revenue_period *p = segkit_revenue_periods(r, SEGKIT_REVENUE_ALL);
    for (size_t k = 0; k < segkit_revenue_n_periods(r); k++) {
      *net += p[k].net_cents;
    }
    segkit_revenue_result_free(r);
  }
  return best;
}

int main(int argc, char **argv) {
  size_t n_target = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 20000000;
  int repeats = argc > 2 ? atoi(argv[2]) : 3;
  size_t n_customers = n_target / 20 + 1;
  tx *rows = malloc((n_target + 64) * sizeof *rows);
  if (rows == NULL) {
    return 1;
  }
  int64_t day0 = segkit_days_from_civil(2023, 7, 1);
  size_t n = 0;
  for (size_t c = 0; c < n_customers && n < n_target; c++) {
    uint32_t cur = (uint32_t)(next_random() % 3);
    double price = (double)(500 + next_random() % 99500) / 100.0;
    int64_t offset_us = (int64_t)(next_random() % (28 * SEGKIT_US_PER_DAY));
    for (int m = 0; m < 36 && n < n_target; m++) {
      int64_t y = 2023 + (6 + m) / 12;
      unsigned mo = (unsigned)((6 + m) % 12) + 1;
      int64_t ts = (int64_t)segkit_days_from_civil(y, mo, 1) * SEGKIT_US_PER_DAY + offset_us;
      rows[n++] = (tx){(int64_t)c + 1, ts, price, cur, 0};
      if (next_random() % 50 == 0 && n < n_target) {
        rows[n++] = (tx){(int64_t)c + 1, ts + 3 * SEGKIT_US_PER_DAY, price, cur, 1};
      }
    }
  }
  (void)day0;
  segkit_table *sorted = make_table(rows, n);
  qsort(rows, n, sizeof *rows, by_time);
  segkit_table *shuffled = make_table(rows, n);
  for (size_t i = 0; i < n; i++) {
    rows[i].customer *= 1000003;
  }
  segkit_table *sparse = make_table(rows, n);
  free(rows);
  if (sorted == NULL || shuffled == NULL || sparse == NULL) {
    return 1;
  }
  printf("%zu rows, %zu customers, best of %d\n", n, n_customers, repeats);
  printf("variant,threads,seconds,total_net_cents\n");
  const struct {
    const char *name;
    const segkit_table *t;
    bool by;
  } variants[] = {{"customer order", sorted, false},
                  {"customer order, by currency", sorted, true},
                  {"time order", shuffled, false},
                  {"time order, sparse ids", sparse, false}};
  for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
    for (int threads = 1; threads <= 2; threads++) {
      int64_t net = 0;
      double s = time_run(variants[v].t, threads, variants[v].by, repeats, &net);
      printf("%s,%d,%.3f,%lld\n", variants[v].name, threads, s, (long long)net);
    }
  }
  segkit_table_free(sorted);
  segkit_table_free(shuffled);
  segkit_table_free(sparse);
  return 0;
}
