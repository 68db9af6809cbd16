/* Timing harness for the segment rule evaluator (not built by CMake; compile by hand):
 *
 *   cc -O3 -flto -std=c17 -D_POSIX_C_SOURCE=200809L -DSEGKIT_VERSION='"bench"' -Iinclude -Isrc \
 *      bench/micro/rule_main.c $(find src/core src/table src/segment -name '[a-z]*.c') \
 *      -o /tmp/rule_bench -lpthread -lm
 *   /tmp/rule_bench [N_CUSTOMERS] [N_EVENTS]   (defaults 10 000 000 and 0; 20000000 to
 *                                               time an aggregate over 20 M fact rows)
 *
 * The first rule is the five-predicate shape,
 *   plan == "pro" and billing_interval == "year" and tenure_days > 180
 *     and mrr >= 50 and last_seen < date("2025-05-18")
 * over columns with 10% nulls; the second has five predicates through functions
 * (matches, upper, between, arithmetic, days_since). Reported: best of 5 wall times for 1 and 2 threads,
 * members, and predicate-rows per second per core = 5 * N / (time * threads). With
 * N_EVENTS > 0 it also times linking an events table and a rule with
 * count(events where name == "login" and ts > now() - 14d) == 0. Data are generated
 * before the clock starts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segkit/datetime.h"
#include "segkit/segment.h"
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

static void die(const char *what, const segkit_error *err) {
  fprintf(stderr, "%s: %s\n", what, err != NULL ? err->message : "failed");
  exit(1);
}

/* Dictionary arrays for a STRING column of the given words. */
static void dict_of(const char *const *words, uint32_t n, uint64_t *off, char *bytes) {
  off[0] = 0;
  for (uint32_t i = 0; i < n; i++) {
    size_t len = strlen(words[i]) + 1;
    memcpy(bytes + off[i], words[i], len);
    off[i + 1] = off[i] + len;
  }
}

static uint64_t *validity(size_t n, uint64_t *rs, int null_pct) {
  uint64_t *v = calloc((n + 63) / 64, 8);
  for (size_t i = 0; i < n; i++) {
    if ((int)(next_random(rs) % 100) >= null_pct) {
      v[i / 64] |= UINT64_C(1) << (i % 64);
    }
  }
  return v;
}

static segkit_table *make_customers(size_t n) {
  uint64_t rs = 1;
  int64_t *id = malloc(n * 8);
  uint32_t *plan = malloc(n * 4);
  uint32_t *interval = malloc(n * 4);
  int64_t *tenure = malloc(n * 8);
  double *mrr = malloc(n * 8);
  int32_t *last_seen = malloc(n * 4);
  for (size_t i = 0; i < n; i++) {
    uint64_t r = next_random(&rs);
    id[i] = (int64_t)i + 1;
    plan[i] = (uint32_t)(r % 4);
    interval[i] = (uint32_t)((r >> 8) % 2);
    tenure[i] = (int64_t)((r >> 16) % 1500);
    mrr[i] = (double)((r >> 32) % 20000) / 100.0;
    last_seen[i] = 20000 + (int32_t)((r >> 48) % 300);
  }
  static const char *const plans[] = {"free", "basic", "pro", "enterprise"};
  static const char *const intervals[] = {"month", "year"};
  uint64_t poff[5], ioff[3];
  char pbytes[64], ibytes[32];
  dict_of(plans, 4, poff, pbytes);
  dict_of(intervals, 2, ioff, ibytes);
  segkit_column_arrays cols[] = {
      {"id", SEGKIT_TYPE_INT64, id, NULL, 0, NULL, NULL},
      {"plan", SEGKIT_TYPE_STRING, plan, validity(n, &rs, 10), 4, poff, pbytes},
      {"billing_interval", SEGKIT_TYPE_STRING, interval, validity(n, &rs, 10), 2, ioff, ibytes},
      {"tenure_days", SEGKIT_TYPE_INT64, tenure, validity(n, &rs, 10), 0, NULL, NULL},
      {"mrr", SEGKIT_TYPE_FLOAT64, mrr, validity(n, &rs, 10), 0, NULL, NULL},
      {"last_seen", SEGKIT_TYPE_DATE, last_seen, validity(n, &rs, 10), 0, NULL, NULL},
  };
  segkit_table *t = NULL;
  segkit_error err;
  if (segkit_table_from_arrays_take(n, 6, cols, &t, &err) != SEGKIT_OK) {
    die("customers", &err);
  }
  return t;
}

static segkit_table *make_events(size_t n, size_t n_customers) {
  uint64_t rs = 2;
  int64_t *cid = malloc(n * 8);
  uint32_t *name = malloc(n * 4);
  int64_t *ts = malloc(n * 8);
  for (size_t i = 0; i < n; i++) {
    uint64_t r = next_random(&rs);
    cid[i] = (int64_t)(r % n_customers) + 1;
    name[i] = (uint32_t)((r >> 40) % 3);
    ts[i] = (int64_t)(20000 + (int64_t)((r >> 20) % 240)) * SEGKIT_US_PER_DAY;
  }
  static const char *const names[] = {"login", "view", "export"};
  uint64_t off[4];
  char bytes[32];
  dict_of(names, 3, off, bytes);
  segkit_column_arrays cols[] = {
      {"customer_id", SEGKIT_TYPE_INT64, cid, NULL, 0, NULL, NULL},
      {"name", SEGKIT_TYPE_STRING, name, NULL, 3, off, bytes},
      {"ts", SEGKIT_TYPE_TIMESTAMP, ts, NULL, 0, NULL, NULL},
  };
  segkit_table *t = NULL;
  segkit_error err;
  if (segkit_table_from_arrays_take(n, 3, cols, &t, &err) != SEGKIT_OK) {
    die("events", &err);
  }
  return t;
}

static double time_rule(const segkit_rule *rule, const segkit_rule_env *env, int threads,
                        uint64_t *bits, size_t *count) {
  double best = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    segkit_error err;
    double t0 = now_seconds();
    if (segkit_rule_eval(rule, env, threads, bits, count, &err) != SEGKIT_OK) {
      die("eval", &err);
    }
    double dt = now_seconds() - t0;
    best = dt < best ? dt : best;
  }
  return best;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 10000000;
  size_t n_events = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 0;
  segkit_table *cust = make_customers(n);
  segkit_rule_env *env = NULL;
  segkit_error err;
  int64_t now = (int64_t)20240 * SEGKIT_US_PER_DAY; /* 2025-06-01 */
  if (segkit_rule_env_new(cust, "id", now, &env, &err) != SEGKIT_OK) {
    die("env", &err);
  }
  static const char *const texts[] = {
      "plan == \"pro\" and billing_interval == \"year\" and tenure_days > 180 "
      "and mrr >= 50 and last_seen < date(\"2025-05-18\")",
      /* string functions on category columns: folded over the dictionaries */
      "matches(plan, \"^(pro|ent)\") and upper(billing_interval) == \"YEAR\" and "
      "tenure_days between 181 and 2000 and mrr * 12 >= 600 and days_since(last_seen) > 14",
  };
  segkit_rule *rule = NULL;
  uint64_t *bits = malloc((n + 63) / 64 * 8);
  size_t count = 0;
  printf("customers: %zu\n", n);
  for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
    if (segkit_rule_compile(env, texts[k], &rule, NULL, &err) != SEGKIT_OK) {
      die("compile", &err);
    }
    printf("rule: %s\n", texts[k]);
    for (int threads = 1; threads <= 2; threads++) {
      double t = time_rule(rule, env, threads, bits, &count);
      printf("  threads %d: %.3f s, %zu members, %.0f M predicate-rows/s per core\n", threads, t,
             count, 5.0 * (double)n / t / threads / 1e6);
    }
    segkit_rule_free(rule);
  }
  if (n_events > 0) {
    segkit_table *ev = make_events(n_events, n);
    double t0 = now_seconds();
    if (segkit_rule_env_link(env, "events", ev, "customer_id", "ts", &err) != SEGKIT_OK) {
      die("link", &err);
    }
    printf("link %zu events: %.3f s\n", n_events, now_seconds() - t0);
    const char *agg = "count(events where name == \"login\" and ts > now() - 14d) == 0 and plan == \"pro\"";
    if (segkit_rule_compile(env, agg, &rule, NULL, &err) != SEGKIT_OK) {
      die("compile", &err);
    }
    for (int threads = 1; threads <= 2; threads++) {
      double t = time_rule(rule, env, threads, bits, &count);
      printf("aggregate rule, threads %d: %.3f s, %zu members (%s)\n", threads, t, count, agg);
    }
    segkit_rule_free(rule);
    segkit_rule_env_free(env);
    segkit_table_free(ev);
  } else {
    segkit_rule_env_free(env);
  }
  free(bits);
  segkit_table_free(cust);
  return 0;
}
