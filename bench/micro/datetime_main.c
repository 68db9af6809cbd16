/* Timing harness for the date/time parsers (not built by CMake; compile by hand):
 *
 *   cc -O3 -flto -std=c17 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc \
 *      bench/micro/datetime_main.c src/core/error.c src/core/hash.c src/core/datetime.c \
 *      src/core/time_format.c -o /tmp/datetime_bench -lpthread -lm
 *   /tmp/datetime_bench [N_VALUES]      (default 1 000 000, each parsed 20 times)
 *
 * Values are formatted before the clock starts, spread over 1970-2069 so branch
 * predictors see realistic variety, and stored back to back like fields in a buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segkit/datetime.h"

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

enum { REPEAT = 20 };

typedef bool (*parse_fn)(const char *s, size_t n, int64_t *out, const void *ctx);

static bool parse_ts(const char *s, size_t n, int64_t *out, const void *ctx) {
  (void)ctx;
  return segkit_parse_timestamp(s, n, out);
}

static bool parse_dt(const char *s, size_t n, int64_t *out, const void *ctx) {
  (void)ctx;
  int32_t d = 0;
  bool ok = segkit_parse_date(s, n, &d);
  *out = d;
  return ok;
}

static bool parse_fmt(const char *s, size_t n, int64_t *out, const void *ctx) {
  return segkit_time_format_parse(ctx, s, n, out);
}

/* Format n random instants with `render` into one buffer of fixed-width fields. */
static char *make_inputs(size_t n, size_t width, void (*render)(int64_t us, char *out)) {
  char *buf = malloc(n * width + 64);
  uint64_t seed = 9;
  for (size_t i = 0; i < n; i++) {
    int64_t us = (int64_t)(next_random(&seed) % (UINT64_C(3155760000) * 1000000));
    render(us - us % 1000000, buf + i * width);
  }
  return buf;
}

static void render_z(int64_t us, char *out) {
  char tmp[40];
  segkit_format_timestamp(us, tmp, sizeof tmp); /* "YYYY-MM-DDTHH:MM:SSZ", 20 bytes */
  memcpy(out, tmp, 20);
}

static void render_offset(int64_t us, char *out) {
  char tmp[40];
  segkit_format_timestamp(us + 123000, tmp, sizeof tmp); /* ...SS.123000Z */
  memcpy(out, tmp, 26);
  memcpy(out + 26, "+05:30", 6); /* "YYYY-MM-DDTHH:MM:SS.123000+05:30", 32 bytes */
}

static void render_date(int64_t us, char *out) {
  char tmp[40];
  segkit_format_date((int32_t)(us / SEGKIT_US_PER_DAY), tmp, sizeof tmp);
  memcpy(out, tmp, 10);
}

static void render_us(int64_t us, char *out) {
  int64_t y;
  unsigned m;
  unsigned d;
  segkit_civil_from_days((int32_t)(us / SEGKIT_US_PER_DAY), &y, &m, &d);
  unsigned secs = (unsigned)(us / 1000000 % 86400);
  char tmp[40];
  snprintf(tmp, sizeof tmp, "%02u/%02u/%04d %02u:%02u", m, d, (int)y, secs / 3600,
           secs / 60 % 60);
  memcpy(out, tmp, 16); /* "MM/DD/YYYY HH:MM" */
}

static void run(const char *what, size_t n, size_t width, void (*render)(int64_t, char *),
                parse_fn fn, const void *ctx) {
  char *buf = make_inputs(n, width, render);
  int64_t sum = 0;
  size_t bad = 0;
  double t0 = now_seconds();
  for (int r = 0; r < REPEAT; r++) {
    for (size_t i = 0; i < n; i++) {
      int64_t v;
      if (fn(buf + i * width, width, &v, ctx)) {
        sum += v;
      } else {
        bad++;
      }
    }
  }
  double secs = now_seconds() - t0;
  printf("%-42s %6.2f ns/value  (%zu rejected, checksum %lld)\n", what,
         secs * 1e9 / ((double)n * REPEAT), bad, (long long)sum);
  free(buf);
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atoll(argv[1]) : 1000000;
  run("parse_timestamp \"2024-03-05T10:11:12Z\"", n, 20, render_z, parse_ts, NULL);
  run("parse_timestamp with .ffffff+05:30", n, 32, render_offset, parse_ts, NULL);
  run("parse_date \"2024-03-05\"", n, 10, render_date, parse_dt, NULL);
  segkit_time_format *fmt = NULL;
  if (segkit_time_format_new("%m/%d/%Y %H:%M", &fmt, NULL) != SEGKIT_OK) {
    return 1;
  }
  run("time_format \"%m/%d/%Y %H:%M\"", n, 16, render_us, parse_fmt, fmt);
  segkit_time_format_free(fmt);
  return 0;
}
