/* Progress on stderr for long operations, shown only when stderr is a terminal (so logs
 * and pipes stay clean) and not --quiet. Redraws one line at most 5 times a second. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct cli_progress {
  const char *what;
  int64_t total;
  double started;
  double last_draw;
  bool shown;
};

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

cli_progress *cli_progress_new(const cli_args *a, const char *what, int64_t total_bytes) {
  if (a->quiet || !isatty(STDERR_FILENO)) {
    return NULL;
  }
  cli_progress *p = calloc(1, sizeof *p);
  if (p == NULL) {
    return NULL;
  }
  p->what = what;
  p->total = total_bytes;
  p->started = now_seconds();
  return p;
}

void cli_progress_update(cli_progress *p, int64_t done) {
  if (p == NULL) {
    return;
  }
  double t = now_seconds();
  if (t - p->last_draw < 0.2) {
    return;
  }
  p->last_draw = t;
  double elapsed = t - p->started;
  double rate = elapsed > 0 ? (double)done / elapsed : 0;
  double left = rate > 0 && p->total > done ? (double)(p->total - done) / rate : 0;
  double pct = p->total > 0 ? 100.0 * (double)done / (double)p->total : 0;
  fprintf(stderr, "\r%s: %5.1f%%  %7.1f MB/s  %4.0fs left ", p->what, pct, rate / 1e6, left);
  p->shown = true;
}

void cli_progress_done(cli_progress *p) {
  if (p == NULL) {
    return;
  }
  if (p->shown) {
    fprintf(stderr, "\r\033[K");
  }
  free(p);
}
