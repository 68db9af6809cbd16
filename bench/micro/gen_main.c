/* Timing harness for the sample generator (not built by CMake; compile by hand):
 *
 *   cc -O2 -flto -std=c17 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc
 *      bench/micro/gen_main.c src/sample/[a-z]*.c src/core/error.c -o /tmp/gen_main -lpthread -lm
 *   /tmp/gen_main OUT_DIR N_CUSTOMERS [THREADS] [SEED] [EVENTS_PER_MONTH]
 *
 * Prints rows and bytes per file, wall time, CPU time and peak resident memory. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "segkit/sample.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s OUT_DIR N_CUSTOMERS [THREADS] [SEED] [EVENTS_PER_MONTH]\n",
            argv[0]);
    return 2;
  }
  segkit_sample_options opt;
  segkit_sample_options_init(&opt);
  opt.n_customers = atoll(argv[2]);
  if (argc > 3) {
    opt.n_threads = atoi(argv[3]);
  }
  if (argc > 4) {
    opt.seed = strtoull(argv[4], NULL, 10);
  }
  if (argc > 5) {
    opt.events_per_month = atof(argv[5]);
  }
  segkit_sample_summary sum;
  segkit_error err;
  double t0 = now_seconds();
  segkit_status st = segkit_sample_generate(argv[1], &opt, &sum, &err);
  double t1 = now_seconds();
  if (st != SEGKIT_OK) {
    char buf[1200];
    segkit_error_format(&err, buf, sizeof buf);
    fprintf(stderr, "error: %s\n", buf);
    return 1;
  }
  int64_t total = 0;
  for (int f = 0; f < SEGKIT_SAMPLE_FILE_COUNT; f++) {
    printf("%-22s %12lld rows %14lld bytes\n", segkit_sample_file_name((segkit_sample_file)f),
           (long long)sum.rows[f], (long long)sum.bytes[f]);
    total += sum.bytes[f];
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
  printf("customers %lld: %.2f s wall, %.2f s CPU, %.1f MB written (%.0f MB/s), peak RSS %.1f MB\n",
         (long long)opt.n_customers, t1 - t0, cpu, (double)total / 1e6,
         (double)total / 1e6 / (t1 - t0), (double)ru.ru_maxrss / 1024.0);
  printf("transactions per customer: %.2f, events per customer: %.2f\n",
         opt.n_customers ? (double)sum.rows[2] / (double)opt.n_customers : 0.0,
         opt.n_customers ? (double)sum.rows[3] / (double)opt.n_customers : 0.0);
  return 0;
}
