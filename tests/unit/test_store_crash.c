/* Crash safety of imports: a child process opens a workspace and imports a multi-chunk
 * table again and again; the parent kills it with SIGKILL after a random delay, then
 * checks that the workspace opens cleanly, passes SQLite's integrity check, and holds a
 * whole number of batches, every row exactly as the child wrote it.
 *
 * The delays are spread over opening plus 2.5 imports, timed at the start of the run, so the
 * kills land everywhere: before the workspace exists, while it is being created, while
 * chunks are written, during COMMIT and the checkpoint after it, between imports. Each
 * round uses a fresh workspace so the datasets stay small enough to check in full.
 * (The CLI-level version of this test, which kills `segkit import`, lives with the CLI
 * tests.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "segkit/workspace.h"
#include "testkit.h"

/* A full chunk and a partial second one (SK_CHUNK_ROWS is 2^20), in every column. */
#define CRASH_ROWS ((size_t)1500000)
#define CRASH_ROUNDS 50
#define CHILD_MAX_IMPORTS 4

static void sleep_ms(double ms) {
  struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                        .tv_nsec = (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)};
  nanosleep(&ts, NULL);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Row i: id = i, label = "k<i*31 mod 5000>", amount = i/2 or null when i % 7 == 3. */
static void label_of(size_t i, char *buf) {
  snprintf(buf, 16, "k%zu", (i * 31) % 5000);
}

static segkit_table *make_table(void) {
  const char *names[] = {"id", "label", "amount"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_FLOAT64};
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(3, names, types, &b, &err), SEGKIT_OK);
  assert_int_equal(segkit_table_builder_reserve(b, CRASH_ROWS, &err), SEGKIT_OK);
  segkit_column_builder *c0 = segkit_table_builder_column(b, 0);
  segkit_column_builder *c1 = segkit_table_builder_column(b, 1);
  segkit_column_builder *c2 = segkit_table_builder_column(b, 2);
  char label[16];
  for (size_t i = 0; i < CRASH_ROWS; i++) {
    segkit_column_append_int64(c0, (int64_t)i);
    label_of(i, label);
    segkit_column_append_string(c1, label, strlen(label));
    if (i % 7 == 3) {
      segkit_column_append_null(c2);
    } else {
      segkit_column_append_float64(c2, (double)i / 2);
    }
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  return t;
}

/* The child: open (creating), then append the table until killed. Never returns. */
static void child_run(const char *path, const segkit_table *t) {
  segkit_workspace *ws = NULL;
  segkit_error err;
  if (segkit_workspace_open(path, SEGKIT_WORKSPACE_CREATE, &ws, &err) != SEGKIT_OK) {
    _exit(2);
  }
  segkit_import_request req = {.dataset = "tx", .mode = SEGKIT_IMPORT_APPEND, .table = t,
                               .source = "crash.csv", .actor = "test:crash"};
  for (int k = 0; k < CHILD_MAX_IMPORTS; k++) {
    segkit_import_outcome oc;
    if (segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
      _exit(3);
    }
  }
  segkit_workspace_close(ws);
  _exit(0);
}

static char *integrity(const char *path) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  char *result = strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return result;
}

/* Every row of every batch is row (i mod CRASH_ROWS) of the table. Labels are checked
 * through their number: each dictionary entry is parsed once, then rows compare ints. */
static size_t count_bad_rows(const segkit_table *t) {
  const int64_t *ids = segkit_column_int64(segkit_table_column(t, 0));
  const segkit_column *labels = segkit_table_column(t, 1);
  const uint32_t *codes = segkit_column_codes(labels);
  const segkit_column *amount = segkit_table_column(t, 2);
  const double *amounts = segkit_column_float64(amount);
  uint32_t dict_size = segkit_column_dict_size(labels);
  long *label_number = malloc((dict_size + 1) * sizeof *label_number);
  assert_non_null(label_number);
  for (uint32_t c = 0; c < dict_size; c++) {
    size_t len = 0;
    const char *s = segkit_column_dict_value(labels, c, &len);
    char expected[16];
    label_number[c] = strtol(s + 1, NULL, 10);
    snprintf(expected, sizeof expected, "k%ld", label_number[c]); /* label_of's format */
    if (s[0] != 'k' || len != strlen(expected) || memcmp(s, expected, len) != 0) {
      label_number[c] = -1;
    }
  }
  size_t n = segkit_table_n_rows(t);
  size_t bad = 0;
  for (size_t r = 0; r < n; r++) {
    size_t i = r % CRASH_ROWS;
    bool ok = ids[r] == (int64_t)i && codes[r] < dict_size &&
              label_number[codes[r]] == (long)((i * 31) % 5000);
    if (i % 7 == 3) {
      ok = ok && !segkit_column_is_valid(amount, r);
    } else {
      ok = ok && segkit_column_is_valid(amount, r) && amounts[r] == (double)i / 2;
    }
    bad += !ok;
  }
  free(label_number);
  return bad;
}

/* After a kill: opens cleanly, integrity ok, whole batches only. Returns the batches. */
static size_t check_workspace(const char *path) {
  segkit_workspace *ws = NULL;
  segkit_error err;
  segkit_status s = segkit_workspace_open(path, SEGKIT_WORKSPACE_CREATE, &ws, &err);
  if (s != SEGKIT_OK) {
    fail_msg("workspace does not open after the kill: %s", err.message);
  }
  char *ic = integrity(path);
  if (strcmp(ic, "ok") != 0) {
    fail_msg("integrity_check after the kill: %s", ic);
  }
  free(ic);
  segkit_table *t = NULL;
  s = segkit_workspace_load(ws, "tx", &t, &err);
  size_t batches = 0;
  if (s == SEGKIT_ERR_NOT_FOUND) {
    batches = 0;
  } else if (s != SEGKIT_OK) {
    fail_msg("load after the kill: %s", err.message);
  } else {
    size_t n = segkit_table_n_rows(t);
    if (n % CRASH_ROWS != 0) {
      fail_msg("%zu rows after the kill: not a whole number of %zu-row batches", n, CRASH_ROWS);
    }
    batches = n / CRASH_ROWS;
    assert_int_equal(count_bad_rows(t), 0);
    segkit_table_free(t);
  }
  segkit_dataset_list *info = NULL;
  if (batches > 0) {
    assert_int_equal(segkit_workspace_dataset_info(ws, "tx", &info, &err), SEGKIT_OK);
    assert_int_equal(info->items[0].n_batches, (int64_t)batches);
    segkit_dataset_list_free(info);
  }
  segkit_audit_list *log = NULL;
  assert_int_equal(segkit_workspace_audit(ws, 0, &log, &err), SEGKIT_OK);
  assert_int_equal(log->n, batches); /* one entry per committed import, no more */
  segkit_audit_list_free(log);
  segkit_workspace_close(ws);
  return batches;
}

/* What the child does, timed: opening (creating) a workspace, and an import (ms). */
typedef struct timing {
  double open_ms;
  double import_ms;
} timing;

static timing calibrate(const char *dir, const segkit_table *t) {
  char *path = tu_path_join(dir, "calibrate.segkit");
  timing tm;
  double t0 = now_ms();
  segkit_workspace *ws = NULL;
  segkit_error err;
  assert_int_equal(segkit_workspace_open(path, SEGKIT_WORKSPACE_CREATE, &ws, &err), SEGKIT_OK);
  tm.open_ms = now_ms() - t0;
  segkit_import_request req = {.dataset = "tx", .mode = SEGKIT_IMPORT_APPEND, .table = t};
  segkit_import_outcome oc;
  assert_int_equal(segkit_workspace_import(ws, &req, &oc, &err), SEGKIT_OK);
  /* Imports alternate between fast and slow (a WAL checkpoint follows every other
   * commit): average four. */
  double t1 = now_ms();
  for (int k = 0; k < 4; k++) {
    assert_int_equal(segkit_workspace_import(ws, &req, &oc, &err), SEGKIT_OK);
  }
  tm.import_ms = (now_ms() - t1) / 4;
  segkit_workspace_close(ws);
  free(path);
  return tm;
}

static void remove_workspace(const char *path) {
  char buf[4096];
  static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < 4; i++) {
    snprintf(buf, sizeof buf, "%s%s", path, suffixes[i]);
    unlink(buf);
  }
}

static void store_crash_kill_during_import(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  segkit_table *t = make_table();
  timing tm = calibrate(dir, t);
  size_t outcomes[CHILD_MAX_IMPORTS + 1] = {0};
  uint64_t rng = 0x2545F4914F6CDD1Du;
  char *path = tu_path_join(dir, "ws.segkit");
  for (int round = 0; round < CRASH_ROUNDS; round++) {
    remove_workspace(path);
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    double delay_ms = (double)(rng % 10000) / 10000.0 * (tm.open_ms + 2.5 * tm.import_ms);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      child_run(path, t);
    }
    sleep_ms(delay_ms);
    kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      fail_msg("child failed on its own (exit %d) in round %d", WEXITSTATUS(status), round);
    }
    size_t batches = check_workspace(path);
    assert_true(batches <= CHILD_MAX_IMPORTS);
    outcomes[batches]++;
  }
  print_message("open %.0f ms, one import %.0f ms; batches found after %d kills:", tm.open_ms,
                tm.import_ms, CRASH_ROUNDS);
  for (size_t k = 0; k <= CHILD_MAX_IMPORTS; k++) {
    if (outcomes[k] > 0) {
      print_message(" %zu x%zu", k, outcomes[k]);
    }
  }
  print_message("\n");
  /* The delays must have covered kills before the first commit and after it; otherwise
   * the calibration is off and the test proves little. */
  assert_true(outcomes[0] > 0);
  assert_true(outcomes[0] < CRASH_ROUNDS);
  remove_workspace(path);
  free(path);
  segkit_table_free(t);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(store_crash_kill_during_import),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
