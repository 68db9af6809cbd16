/* Timing harness for Kaplan-Meier by group, segkit against R's survfit on the same data
 * (not built by CMake; compile by hand, from the repository root):
 *
 *   cc -O2 -flto -std=c17 -D_POSIX_C_SOURCE=200809L -DSEGKIT_VERSION=\"bench\" -Iinclude -Isrc
 *      bench/micro/survival_main.c src/survival/[a-z]*.c src/table/[a-z]*.c
 *      src/core/[a-z]*.c -o /tmp/survival_main $(pkg-config --libs gsl) -lpthread -lm
 *   /tmp/survival_main [N] [REPEATS]          (defaults 1000000 and 5)
 *
 * Generates N customers in 4 plans (seeded xorshift, so every run sees the same data):
 * tenure in whole days, exponential with a plan-specific monthly churn, censored at a
 * uniform 0..1095-day end of observation. Times segkit_km_fit on int64 days and on
 * double months (best of REPEATS), and the log-rank test on the fit; then writes the
 * data to /tmp/survival_bench.csv and times R's survfit(Surv(days, churned) ~ plan) with
 * system.time (the read is not timed; best of REPEATS), printing both medians per plan
 * as a check that the two computed the same thing. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "segkit/survival.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static double uniform01(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double time_fit(const segkit_surv_input *in, int repeats, segkit_km **keep) {
  double best = 1e30;
  for (int r = 0; r < repeats; r++) {
    segkit_km *km = NULL;
    segkit_error err;
    double t0 = now_s();
    if (segkit_km_fit(in, 0.0, &km, &err) != SEGKIT_OK) {
      fprintf(stderr, "fit: %s\n", err.message);
      exit(1);
    }
    double dt = now_s() - t0;
    best = dt < best ? dt : best;
    if (r == repeats - 1 && keep != NULL) {
      *keep = km;
    } else {
      segkit_km_free(km);
    }
  }
  return best;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
  int repeats = argc > 2 ? atoi(argv[2]) : 5;
  const double monthly_churn[4] = {0.08, 0.05, 0.03, 0.015};
  const char *plans[4] = {"starter", "growth", "pro", "enterprise"};
  int64_t *days = malloc(n * sizeof *days);
  double *months = malloc(n * sizeof *months);
  uint8_t *churned = malloc(n);
  uint32_t *plan = malloc(n * sizeof *plan);
  if (days == NULL || months == NULL || churned == NULL || plan == NULL) {
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    uint32_t g = (uint32_t)(uniform01() * 4.0);
    double life = -log(uniform01()) / monthly_churn[g] * 30.4375;
    double end = uniform01() * 1095.0;
    plan[i] = g;
    churned[i] = life <= end;
    days[i] = (int64_t)floor(life <= end ? life : end);
    months[i] = (double)days[i] / 30.4375;
  }
  segkit_surv_input in = {.n = n, .time_i64 = days, .event = churned, .group = plan,
                          .n_groups = 4};
  segkit_km *km = NULL;
  double t_int = time_fit(&in, repeats, &km);
  segkit_surv_input in_f = in;
  in_f.time_i64 = NULL;
  in_f.time_f64 = months;
  double t_dbl = time_fit(&in_f, repeats, NULL);
  segkit_logrank *lr = NULL;
  segkit_error err;
  double t0 = now_s();
  if (segkit_logrank_test(km, &lr, &err) != SEGKIT_OK) {
    fprintf(stderr, "logrank: %s\n", err.message);
    return 1;
  }
  double t_lr = now_s() - t0;
  printf("segkit: %zu customers, 4 plans, best of %d\n", n, repeats);
  printf("  km_fit int64 days     %8.4f s\n", t_int);
  printf("  km_fit double months  %8.4f s\n", t_dbl);
  printf("  logrank on the fit    %8.4f s (chi2 %.1f, df %u)\n", t_lr, lr->chi2, lr->df);
  for (uint32_t g = 0; g < 4; g++) {
    const segkit_km_curve *c = segkit_km_group(km, g);
    printf("  %-10s n %zu events %zu points %zu median %g\n", plans[g], c->n_subjects,
           c->n_events, c->n_points, c->median);
  }
  FILE *f = fopen("/tmp/survival_bench.csv", "w");
  if (f == NULL) {
    return 1;
  }
  fprintf(f, "days,churned,plan\n");
  for (size_t i = 0; i < n; i++) {
    fprintf(f, "%lld,%u,%s\n", (long long)days[i], churned[i], plans[plan[i]]);
  }
  fclose(f);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "Rscript -e 'suppressPackageStartupMessages(library(survival)); "
           "d <- read.csv(\"/tmp/survival_bench.csv\"); best <- Inf; "
           "for (i in 1:%d) { t <- system.time(fit <- survfit(Surv(days, churned) ~ plan, "
           "data = d))[[\"elapsed\"]]; best <- min(best, t) }; "
           "cat(sprintf(\"R survfit (%%s, survival %%s): best %%.4f s\\n\", R.version.string, "
           "packageVersion(\"survival\"), best)); print(summary(fit)$table[, \"median\"])'",
           repeats);
  fflush(stdout);
  int rc = system(cmd);
  segkit_logrank_free(lr);
  segkit_km_free(km);
  free(days);
  free(months);
  free(churned);
  free(plan);
  return rc == 0 ? 0 : 1;
}
