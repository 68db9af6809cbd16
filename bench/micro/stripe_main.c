/* Timing harness for the Stripe import (not built by CMake; compile by hand):
 *
 *   cc -O2 -flto -std=c17 -D_POSIX_C_SOURCE=200809L -DSEGKIT_VERSION=\"bench\" -Iinclude
 *      -Isrc bench/micro/stripe_main.c src/billing/[a-z]*.c src/io/[a-z]*.c
 *      src/table/[a-z]*.c src/core/[a-z]*.c
 *      -o /tmp/stripe_main -ljansson -lpthread -lm
 *   /usr/bin/python3 bench/micro/stripe_export.py DIR 50000
 *   /tmp/stripe_main DIR/customers.json DIR/subscriptions.json DIR/charges.jsonl
 *
 * Times add_file per file and finish (one run: the import is dominated by jansson's
 * parse, which a warm cache does not change much), and prints the row counts. */
#include <stdio.h>
#include <time.h>

#include "segkit/billing.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  if (segkit_stripe_import_new(&imp, &err) != SEGKIT_OK) {
    return 1;
  }
  double t0 = now();
  for (int i = 1; i < argc; i++) {
    double a = now();
    if (segkit_stripe_import_add_file(imp, argv[i], &err) != SEGKIT_OK) {
      fprintf(stderr, "%s: %s\n", argv[i], err.message);
      return 1;
    }
    printf("add %-40s %.3f s\n", argv[i], now() - a);
  }
  segkit_table *t[SEGKIT_STRIPE_N_TABLES];
  double a = now();
  if (segkit_stripe_import_finish(imp, t, &err) != SEGKIT_OK) {
    fprintf(stderr, "finish: %s\n", err.message);
    return 1;
  }
  printf("finish %.3f s; total %.3f s\n", now() - a, now() - t0);
  for (int i = 0; i < SEGKIT_STRIPE_N_TABLES; i++) {
    printf("%-14s %zu rows\n", segkit_stripe_table_name((segkit_stripe_table)i),
           segkit_table_n_rows(t[i]));
    segkit_table_free(t[i]);
  }
  segkit_stripe_import_free(imp);
  return 0;
}
