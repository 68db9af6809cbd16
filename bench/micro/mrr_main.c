/* Timing harness for the MRR engine (not built by CMake; compile by hand):
 *
 *   cc -O2 -flto -std=c17 -D_POSIX_C_SOURCE=200809L -DSEGKIT_VERSION=\"bench\" -Iinclude
 *      -Isrc bench/micro/mrr_main.c src/metrics/[a-z]*.c src/io/[a-z]*.c
 *      src/table/[a-z]*.c src/core/[a-z]*.c
 *      -o /tmp/mrr_main -ljansson -lpthread -lm
 *   segkit generate --customers 1000000 --events-per-month 0 --respondents 0 --out DIR
 *   /tmp/mrr_main DIR/subscriptions.csv [REPEATS] [--print]
 *
 * Reads the subscriptions once (not timed), then times segkit_mrr_compute over the 36
 * months 2023-07..2026-06 (best of REPEATS, default 5): on 1 and 2 threads, with and
 * without the split by plan, and on the rows shuffled (so the radix sort runs instead of
 * the already-sorted shortcut). Prints the last month's movements as a check; with --print
 * also every month's totals as CSV (month,start,end,customers_end,new,reactivation,
 * expansion,contraction,churned) for comparison with another implementation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segkit/io.h"
#include "segkit/metrics.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const segkit_mrr_rate k_rates[] = {{"USD", 1.0}, {"EUR", 1.085}, {"GBP", 1.27}};

static double time_run(const segkit_table *t, int threads, const char *group, int repeats,
                       segkit_mrr_month *last) {
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.rates = k_rates;
  opt.n_rates = 3;
  opt.from_month = segkit_month_index(2023, 7);
  opt.to_month = segkit_month_index(2026, 6);
  opt.n_threads = threads;
  const char *by[1] = {group};
  opt.by = group != NULL ? by : NULL;
  opt.n_by = group != NULL ? 1 : 0;
  double best = 1e30;
  for (int i = 0; i < repeats; i++) {
    segkit_mrr_result *r = NULL;
    segkit_error err;
    double t0 = now_seconds();
    if (segkit_mrr_compute(t, &opt, &r, &err) != SEGKIT_OK) {
      fprintf(stderr, "mrr: %s\n", err.message);
      exit(1);
    }
    double dt = now_seconds() - t0;
    best = dt < best ? dt : best;
    *last = segkit_mrr_months(r, SEGKIT_MRR_ALL)[segkit_mrr_n_months(r) - 1];
    segkit_mrr_result_free(r);
  }
  return best;
}

static void report(const char *what, double s, const segkit_mrr_month *m) {
  printf("%-34s %8.1f ms   end MRR %lld cents, %lld active, new %lld, churned %lld\n", what,
         s * 1e3, (long long)m->end_cents, (long long)m->customers_end, (long long)m->new_cents,
         (long long)m->churned_cents);
}

static void print_months(const segkit_table *t) {
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.rates = k_rates;
  opt.n_rates = 3;
  opt.from_month = segkit_month_index(2023, 7);
  opt.to_month = segkit_month_index(2026, 6);
  segkit_mrr_result *r = NULL;
  segkit_error err;
  if (segkit_mrr_compute(t, &opt, &r, &err) != SEGKIT_OK) {
    fprintf(stderr, "mrr: %s\n", err.message);
    exit(1);
  }
  const segkit_mrr_month *m = segkit_mrr_months(r, SEGKIT_MRR_ALL);
  printf("month,start,end,customers_end,new,reactivation,expansion,contraction,churned\n");
  for (size_t i = 0; i < segkit_mrr_n_months(r); i++) {
    int64_t y;
    unsigned mo;
    segkit_month_split(m[i].month, &y, &mo);
    printf("%04lld-%02u,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld\n", (long long)y, mo,
           (long long)m[i].start_cents, (long long)m[i].end_cents,
           (long long)m[i].customers_end, (long long)m[i].new_cents,
           (long long)m[i].reactivation_cents, (long long)m[i].expansion_cents,
           (long long)m[i].contraction_cents, (long long)m[i].churned_cents);
  }
  segkit_mrr_result_free(r);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SUBSCRIPTIONS_CSV [REPEATS]\n", argv[0]);
    return 2;
  }
  int repeats = argc > 2 ? atoi(argv[2]) : 5;
  segkit_read_options ro;
  segkit_read_options_init(&ro);
  segkit_read_result *rr = NULL;
  segkit_error err;
  double t0 = now_seconds();
  if (segkit_csv_read(argv[1], &ro, &rr, &err) != SEGKIT_OK) {
    fprintf(stderr, "read: %s\n", err.message);
    return 1;
  }
  const segkit_table *t = segkit_read_result_table(rr);
  size_t n = segkit_table_n_rows(t);
  printf("read %zu rows in %.2f s (not part of the timings below)\n", n, now_seconds() - t0);

  segkit_mrr_month m;
  report("1 thread", time_run(t, 1, NULL, repeats, &m), &m);
  report("2 threads", time_run(t, 2, NULL, repeats, &m), &m);
  report("2 threads, by plan", time_run(t, 2, "plan", repeats, &m), &m);
  report("2 threads, by billing_interval", time_run(t, 2, "billing_interval", repeats, &m), &m);

  /* Shuffled rows: Fisher-Yates with a fixed xorshift seed. */
  uint32_t *perm = malloc(n * sizeof *perm);
  uint64_t x = 88172645463325252u;
  for (size_t i = 0; i < n; i++) {
    perm[i] = (uint32_t)i;
  }
  for (size_t i = n; i > 1; i--) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    size_t j = (size_t)(x % i);
    uint32_t tmp = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = tmp;
  }
  segkit_table *shuffled = NULL;
  if (segkit_table_take(t, perm, n, &shuffled, &err) != SEGKIT_OK) {
    fprintf(stderr, "take: %s\n", err.message);
    return 1;
  }
  free(perm);
  report("shuffled rows, 1 thread", time_run(shuffled, 1, NULL, repeats, &m), &m);
  report("shuffled rows, 2 threads", time_run(shuffled, 2, NULL, repeats, &m), &m);
  segkit_table_free(shuffled);
  if (argc > 3 && strcmp(argv[3], "--print") == 0) {
    print_months(t);
  }
  segkit_read_result_free(rr);
  return 0;
}
