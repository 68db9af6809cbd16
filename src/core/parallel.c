/* Worker threads for every module: how many to use, and running one function over an
 * array of per-thread arguments.
 *
 * Key design choice: plain pthreads started per call (a handful per computation, each
 * running for milliseconds at least), so no pool outlives a call and nothing is global;
 * a thread that cannot be started is not an error: its share runs on the calling thread,
 * so results never depend on how many threads actually ran. */
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "core/core_int.h"

int sk__worker_count(int asked, size_t n_items, size_t items_per_thread) {
  if (asked > 0) {
    return asked < SK__MAX_WORKERS ? asked : SK__MAX_WORKERS;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) {
    n = 1;
  }
  if (n > SK__MAX_WORKERS) {
    n = SK__MAX_WORKERS;
  }
  long useful = (long)(n_items / (items_per_thread > 0 ? items_per_thread : 1)) + 1;
  return (int)(n < useful ? n : useful);
}

void sk__run_workers(void *(*fn)(void *), void *args, size_t size, int n) {
  pthread_t tids[SK__MAX_WORKERS];
  bool started[SK__MAX_WORKERS] = {false};
  char *base = args;
  if (n > SK__MAX_WORKERS) {
    n = SK__MAX_WORKERS;
  }
  for (int i = 1; i < n; i++) {
    started[i] = pthread_create(&tids[i], NULL, fn, base + (size_t)i * size) == 0;
  }
  fn(base);
  for (int i = 1; i < n; i++) {
    if (started[i]) {
      pthread_join(tids[i], NULL);
    } else {
      fn(base + (size_t)i * size);
    }
  }
}
