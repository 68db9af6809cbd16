/* segkit_sample_generate: options, the world derived from them, and the thread pipeline
 * that turns customers into files. Key design choice: customers are cut into fixed chunks
 * handed out in order; a worker simulates its chunk into records, takes its id bases in
 * chunk order (turn 1), formats the text, then writes it in chunk order (turn 2). Since
 * every customer draws from its own random streams and ids are assigned in chunk order, the
 * bytes do not depend on the number of threads; with two threads one formats while the
 * other writes. Memory is a chunk per thread, not the data set. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sample/sample_int.h"

#define CHUNK_CUSTOMERS 1024
#define MAX_THREADS 64
#define N_CUSTOMER_FILES 4

static const char *const file_names[SEGKIT_SAMPLE_FILE_COUNT] = {
    "customers.csv", "subscriptions.csv",    "transactions.csv", "events.csv",
    "survey.csv",    "survey_codebook.json", "survey_truth.csv", "customer_survey.csv",
    "survey_margins.csv"};

const char *segkit_sample_file_name(segkit_sample_file f) {
  if ((int)f < 0 || f >= SEGKIT_SAMPLE_FILE_COUNT) {
    return NULL;
  }
  return file_names[f];
}

void segkit_sample_options_init(segkit_sample_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->n_customers = 10000;
  opt->seed = 42;
  opt->end_date = sk__days_from_civil(2026, 6, 30);
  opt->months = 36;
  opt->events_per_month = 1.0;
  opt->n_respondents = 2000;
  opt->dirty = false;
  opt->dirty_share = 0.002;
  opt->n_threads = 0;
}

/* ==== options and world ================================================================== */

static segkit_status check_options(const segkit_sample_options *o, segkit_error *err) {
  if (o->n_customers < 0 || o->n_customers > INT64_C(1000000000)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "n_customers",
                               "%lld customers is out of range (expected 0 to 1000000000)",
                               (long long)o->n_customers);
  }
  if (o->months < 1 || o->months > 120) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "months",
                               "a window of %d months is out of range (expected 1 to 120)",
                               o->months);
  }
  int32_t lo = sk__days_from_civil(1900, 1, 1);
  int32_t hi = sk__days_from_civil(9000, 12, 31);
  if (o->end_date < lo || o->end_date > hi) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "end_date",
                               "end date %ld is out of range (expected a day in 1900-9000)",
                               (long)o->end_date);
  }
  if (!(o->events_per_month >= 0.0 && o->events_per_month <= 1000.0)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "events_per_month",
                               "%g events per month is out of range (expected 0 to 1000)",
                               o->events_per_month);
  }
  if (o->n_respondents < 0 || o->n_respondents > INT64_C(100000000)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "n_respondents",
                               "%lld respondents is out of range (expected 0 to 100000000)",
                               (long long)o->n_respondents);
  }
  if (!(o->dirty_share >= 0.0 && o->dirty_share <= 0.1)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "dirty_share",
                               "a dirty share of %g is out of range (expected 0 to 0.1)",
                               o->dirty_share);
  }
  if (o->n_threads < 0 || o->n_threads > 1024) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "n_threads",
                               "%d threads is out of range (expected 0 to 1024)", o->n_threads);
  }
  return SEGKIT_OK;
}

static segkit_status world_init(sk__world *w, const segkit_sample_options *o, segkit_error *err) {
  memset(w, 0, sizeof *w);
  w->opt = *o;
  w->window_end = o->end_date;
  w->window_start = sk__add_months(o->end_date + 1, -o->months);
  w->history_start = sk__add_months(w->window_start, -48);
  /* Every date the simulation writes lies in [history_start, window_end]. */
  int32_t lo = w->history_start - 1;
  int32_t n = w->window_end + 2 - lo;
  w->date_text = malloc((size_t)n * sizeof *w->date_text);
  if (w->date_text == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the date table");
  }
  /* While n_dates is 0, sk__put_date formats the slow way; fill the table with it. */
  for (int32_t i = 0; i < n; i++) {
    char tmp[16];
    sk__put_date(w, tmp, lo + i);
    memcpy(w->date_text[i], tmp, 10);
  }
  w->date_lo = lo;
  w->n_dates = n;
  return SEGKIT_OK;
}

/* ==== the pipeline ======================================================================= */

typedef struct pipeline {
  const sk__world *w;
  sk__outfile *files;      /* the four customer files */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int64_t n_chunks;
  int64_t next_chunk;      /* next chunk to hand out */
  int64_t ids_turn;        /* chunk whose id bases are assigned next */
  int64_t write_turn;      /* chunk written next */
  int64_t sub_ids, tx_ids, event_ids; /* ids used so far */
  int64_t rows[N_CUSTOMER_FILES];
  int64_t dirty_rows[N_CUSTOMER_FILES];
  bool failed;
  segkit_status status;
  segkit_error err;
} pipeline;

/* Record the first failure and wake every waiting worker so it can leave. */
static void pipeline_fail(pipeline *pl, segkit_status st, const segkit_error *e) {
  pthread_mutex_lock(&pl->mu);
  if (!pl->failed) {
    pl->failed = true;
    pl->status = st;
    pl->err = *e;
  }
  pthread_cond_broadcast(&pl->cv);
  pthread_mutex_unlock(&pl->mu);
}

/* Wait, holding the lock on return, until *turn == k; false if the run failed meanwhile. */
static bool wait_turn(pipeline *pl, const int64_t *turn, int64_t k) {
  pthread_mutex_lock(&pl->mu);
  while (*turn != k && !pl->failed) {
    pthread_cond_wait(&pl->cv, &pl->mu);
  }
  if (pl->failed) {
    pthread_mutex_unlock(&pl->mu);
    return false;
  }
  return true;
}

static segkit_status nomem(segkit_error *err, int64_t first) {
  return segkit_error_set(err, SEGKIT_ERR_NOMEM,
                          "no memory while generating customers from number %lld",
                          (long long)first + 1);
}

static segkit_status simulate_chunk(pipeline *pl, sk__chunk *c, int64_t k, segkit_error *err) {
  int64_t first = k * CHUNK_CUSTOMERS;
  int64_t left = pl->w->opt.n_customers - first;
  int64_t n = left < CHUNK_CUSTOMERS ? left : CHUNK_CUSTOMERS;
  sk__chunk_reset(c, first, n);
  if (sk__grow((void **)&c->cust, &c->cust_cap, (size_t)n, sizeof *c->cust) != SEGKIT_OK) {
    return nomem(err, first);
  }
  for (int64_t i = first; i < first + n; i++) {
    if (sk__simulate_customer(pl->w, i, c) != SEGKIT_OK) {
      return nomem(err, first);
    }
  }
  return SEGKIT_OK;
}

static segkit_status run_chunk(pipeline *pl, sk__chunk *c, int64_t k, segkit_error *err) {
  segkit_status st = simulate_chunk(pl, c, k, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  if (!wait_turn(pl, &pl->ids_turn, k)) {
    return SEGKIT_OK; /* another worker failed; its error is the one reported */
  }
  c->sub_base = pl->sub_ids;
  c->tx_base = pl->tx_ids;
  c->event_base = pl->event_ids;
  pl->sub_ids += (int64_t)c->n_subs;
  pl->tx_ids += (int64_t)c->n_txs;
  pl->event_ids += (int64_t)c->n_events;
  pl->ids_turn++;
  pthread_cond_broadcast(&pl->cv);
  pthread_mutex_unlock(&pl->mu);

  if (sk__format_chunk(pl->w, c) != SEGKIT_OK) {
    return nomem(err, c->first);
  }
  if (!wait_turn(pl, &pl->write_turn, k)) {
    return SEGKIT_OK;
  }
  pthread_mutex_unlock(&pl->mu);
  /* Only the worker whose turn it is touches the files, so no lock is held while writing. */
  for (int f = 0; f < N_CUSTOMER_FILES && st == SEGKIT_OK; f++) {
    st = sk__outfile_write(&pl->files[f], c->text[f].data, c->text[f].len, err);
  }
  if (st != SEGKIT_OK) {
    return st;
  }
  pthread_mutex_lock(&pl->mu);
  for (int f = 0; f < N_CUSTOMER_FILES; f++) {
    pl->rows[f] += c->rows[f];
    pl->dirty_rows[f] += c->dirty_rows[f];
  }
  pl->write_turn++;
  pthread_cond_broadcast(&pl->cv);
  pthread_mutex_unlock(&pl->mu);
  return SEGKIT_OK;
}

static void *worker(void *arg) {
  pipeline *pl = arg;
  sk__chunk c;
  memset(&c, 0, sizeof c);
  for (;;) {
    pthread_mutex_lock(&pl->mu);
    bool done = pl->failed || pl->next_chunk >= pl->n_chunks;
    int64_t k = pl->next_chunk++;
    pthread_mutex_unlock(&pl->mu);
    if (done) {
      break;
    }
    segkit_error err;
    segkit_error_clear(&err);
    segkit_status st = run_chunk(pl, &c, k, &err);
    if (st != SEGKIT_OK) {
      pipeline_fail(pl, st, &err);
      break;
    }
  }
  sk__chunk_free(&c);
  return NULL;
}

static int thread_count(const segkit_sample_options *o, int64_t n_chunks) {
  long n = o->n_threads;
  if (n <= 0) {
    n = sysconf(_SC_NPROCESSORS_ONLN);
  }
  if (n < 1) {
    n = 1;
  }
  if (n > MAX_THREADS) {
    n = MAX_THREADS;
  }
  if (n > n_chunks) {
    n = n_chunks < 1 ? 1 : (long)n_chunks;
  }
  return (int)n;
}

static segkit_status run_customers(const sk__world *w, sk__outfile *files, segkit_sample_summary *sum,
                                   segkit_error *err) {
  pipeline pl;
  memset(&pl, 0, sizeof pl);
  pl.w = w;
  pl.files = files;
  pl.n_chunks = (w->opt.n_customers + CHUNK_CUSTOMERS - 1) / CHUNK_CUSTOMERS;
  if (pthread_mutex_init(&pl.mu, NULL) != 0) {
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "cannot create a mutex");
  }
  if (pthread_cond_init(&pl.cv, NULL) != 0) {
    pthread_mutex_destroy(&pl.mu);
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "cannot create a condition variable");
  }
  int n_threads = thread_count(&w->opt, pl.n_chunks);
  pthread_t threads[MAX_THREADS];
  int started = 0;
  /* The calling thread is worker 0. A thread that cannot be started only costs speed:
   * any number of workers produces the same bytes. */
  for (int i = 1; i < n_threads; i++) {
    if (pthread_create(&threads[started], NULL, worker, &pl) != 0) {
      break;
    }
    started++;
  }
  worker(&pl);
  for (int i = 0; i < started; i++) {
    pthread_join(threads[i], NULL);
  }
  pthread_cond_destroy(&pl.cv);
  pthread_mutex_destroy(&pl.mu);
  if (pl.failed) {
    if (err != NULL) {
      *err = pl.err;
    }
    return pl.status;
  }
  for (int f = 0; f < N_CUSTOMER_FILES; f++) {
    sum->rows[f] = pl.rows[f];
    sum->dirty_rows[f] = pl.dirty_rows[f];
  }
  return SEGKIT_OK;
}

/* ==== files ============================================================================== */

static segkit_status make_dir(const char *dir, segkit_error *err) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    int e = errno;
    return segkit_error_set_at(err, SEGKIT_ERR_IO, dir, 0, 0, NULL,
                               "cannot create the output directory: %s", strerror(e));
  }
  struct stat sb;
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    return segkit_error_set_at(err, SEGKIT_ERR_IO, dir, 0, 0, NULL,
                               "the output path exists and is not a directory");
  }
  return SEGKIT_OK;
}

static segkit_status open_all(const char *dir, sk__outfile *files, segkit_error *err) {
  for (int f = 0; f < SEGKIT_SAMPLE_FILE_COUNT; f++) {
    segkit_status st = sk__outfile_open(&files[f], dir, file_names[f], err);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  static const char *const headers[N_CUSTOMER_FILES] = {
      sk__header_customers, sk__header_subscriptions, sk__header_transactions,
      sk__header_events};
  for (int f = 0; f < N_CUSTOMER_FILES; f++) {
    segkit_status st = sk__outfile_write(&files[f], headers[f], strlen(headers[f]), err);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  return SEGKIT_OK;
}

static segkit_status generate(const char *out_dir, const sk__world *w, sk__outfile *files,
                              segkit_sample_summary *sum, segkit_error *err) {
  segkit_status st = open_all(out_dir, files, err);
  if (st == SEGKIT_OK) {
    st = run_customers(w, files, sum, err);
  }
  if (st == SEGKIT_OK) {
    st = sk__survey_write(w, &files[SEGKIT_SAMPLE_SURVEY], &files[SEGKIT_SAMPLE_SURVEY_CODEBOOK],
                          &files[SEGKIT_SAMPLE_SURVEY_TRUTH], sum, err);
  }
  if (st == SEGKIT_OK) {
    st = sk__customer_survey_write(w, &files[SEGKIT_SAMPLE_CUSTOMER_SURVEY], sum, err);
  }
  if (st == SEGKIT_OK) {
    st = sk__survey_margins_write(&files[SEGKIT_SAMPLE_SURVEY_MARGINS], sum, err);
  }
  for (int f = 0; f < SEGKIT_SAMPLE_FILE_COUNT && st == SEGKIT_OK; f++) {
    st = sk__outfile_close(&files[f], err);
    sum->bytes[f] = files[f].bytes;
  }
  /* Rename only once every file is complete: a failure before this point leaves no file
   * under a final name (and earlier files of the same names untouched). */
  for (int f = 0; f < SEGKIT_SAMPLE_FILE_COUNT && st == SEGKIT_OK; f++) {
    st = sk__outfile_commit(&files[f], err);
  }
  return st;
}

segkit_status segkit_sample_generate(const char *out_dir, const segkit_sample_options *opt,
                                     segkit_sample_summary *summary, segkit_error *err) {
  segkit_sample_options defaults;
  if (opt == NULL) {
    segkit_sample_options_init(&defaults);
    opt = &defaults;
  }
  if (out_dir == NULL || out_dir[0] == '\0') {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "out_dir",
                               "no output directory given");
  }
  segkit_status st = check_options(opt, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  st = make_dir(out_dir, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  sk__world w;
  st = world_init(&w, opt, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_sample_summary sum;
  memset(&sum, 0, sizeof sum);
  sum.window_start = w.window_start;
  sum.window_end = w.window_end;
  sk__outfile files[SEGKIT_SAMPLE_FILE_COUNT];
  memset(files, 0, sizeof files);
  st = generate(out_dir, &w, files, &sum, err);
  for (int f = 0; f < SEGKIT_SAMPLE_FILE_COUNT; f++) {
    sk__outfile_discard(&files[f]); /* no-op for committed files */
  }
  free(w.date_text);
  if (st == SEGKIT_OK && summary != NULL) {
    *summary = sum;
  }
  return st;
}
