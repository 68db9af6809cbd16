/* Row batches between parsing and appending, and the pipe that hands them to a thread.
 *
 * Key design choice: a reader thread does not append each value to the table as it
 * parses it. It parses a batch of rows into typed, column-major arrays (strings copied
 * into the batch's arena), and the batch is then appended column by column. Two things
 * follow. A rejected row never reaches the table (its values are overwritten by the next
 * row), so nothing has to be rolled back. And parsing and appending can run on two
 * threads: parsing (tokenize, check, convert) and appending (stores, validity bits,
 * dictionary lookups) cost about the same per row, so a reader with two threads splits
 * each region between a parser and an appender instead of building two table parts; on
 * two cores the whole file is one region, one table, no join of parts (which copies the
 * whole table into fresh pages) and half the peak memory.
 *
 * The pipe is a fixed set of SK__PIPE_DEPTH batches cycling between a free list and a
 * queue of full batches, under one mutex; a hand-off happens once per SK__BATCH_ROWS rows. */
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

/* ==== batches =========================================================================== */

sk__batch *sk__batch_new(size_t n_cols) {
  sk__batch *b = calloc(1, sizeof *b);
  if (b == NULL) {
    return NULL;
  }
  size_t cells = (n_cols == 0 ? 1 : n_cols) * SK__BATCH_ROWS;
  b->n_cols = n_cols;
  b->vals = malloc(cells * sizeof *b->vals);
  b->lens = malloc(cells * sizeof *b->lens);
  b->valid = malloc(cells);
  if (b->vals == NULL || b->lens == NULL || b->valid == NULL) {
    sk__batch_free(b);
    return NULL;
  }
  return b;
}

void sk__batch_free(sk__batch *b) {
  if (b == NULL) {
    return;
  }
  free(b->vals);
  free(b->lens);
  free(b->valid);
  free(b->arena);
  free(b);
}

bool sk__batch_arena_grow(sk__batch *b, size_t extra) {
  size_t cap = b->arena_cap < 65536 ? 65536 : b->arena_cap;
  while (cap - b->arena_len < extra) {
    if (cap > SIZE_MAX / 2) {
      return false;
    }
    cap *= 2;
  }
  char *p = realloc(b->arena, cap);
  if (p == NULL) {
    return false;
  }
  b->arena = p;
  b->arena_cap = cap;
  return true;
}

/* One column of a batch: a tight loop per type, so the append path and its branches stay
 * hot for the whole column. */
static segkit_status append_column(const sk__batch *b, size_t col, segkit_column_builder *cb,
                                   segkit_type t) {
  const sk__value *v = b->vals + col * SK__BATCH_ROWS;
  const uint32_t *len = b->lens + col * SK__BATCH_ROWS;
  const uint8_t *ok = b->valid + col * SK__BATCH_ROWS;
  const size_t n = b->n_rows;
  segkit_status st = SEGKIT_OK;
  switch (t) {
    case SEGKIT_TYPE_INT64:
    case SEGKIT_TYPE_TIMESTAMP:
      for (size_t i = 0; i < n && st == SEGKIT_OK; i++) {
        st = ok[i] ? segkit_column_append_int64(cb, v[i].i) : segkit_column_append_null(cb);
      }
      break;
    case SEGKIT_TYPE_FLOAT64:
      for (size_t i = 0; i < n && st == SEGKIT_OK; i++) {
        st = ok[i] ? segkit_column_append_float64(cb, v[i].f) : segkit_column_append_null(cb);
      }
      break;
    case SEGKIT_TYPE_BOOL:
      for (size_t i = 0; i < n && st == SEGKIT_OK; i++) {
        st = ok[i] ? segkit_column_append_bool(cb, v[i].b != 0) : segkit_column_append_null(cb);
      }
      break;
    case SEGKIT_TYPE_DATE:
      for (size_t i = 0; i < n && st == SEGKIT_OK; i++) {
        st = ok[i] ? segkit_column_append_date(cb, v[i].d) : segkit_column_append_null(cb);
      }
      break;
    default:
      for (size_t i = 0; i < n && st == SEGKIT_OK; i++) {
        if (!ok[i]) {
          st = segkit_column_append_null(cb); /* its cell was never written */
          continue;
        }
        /* An empty string may have no arena behind it (NULL + 0 is undefined). */
        const char *s = len[i] > 0 ? b->arena + v[i].i : "";
        st = segkit_column_append_string(cb, s, len[i]);
      }
      break;
  }
  return st;
}

segkit_status sk__batch_append(const sk__batch *b, segkit_column_builder *const *cbs,
                               const segkit_type *types) {
  for (size_t col = 0; col < b->n_cols; col++) {
    segkit_status st = append_column(b, col, cbs[col], types[col]);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  return SEGKIT_OK;
}

/* ==== pipe ============================================================================== */

static void *appender_main(void *arg) {
  sk__pipe *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (p->n_full == 0 && !p->done && !p->abort) {
      pthread_cond_wait(&p->cv, &p->mu);
    }
    if (p->abort || (p->n_full == 0 && p->done)) {
      break;
    }
    sk__batch *b = p->full[p->full_head];
    p->full_head = (p->full_head + 1) % SK__PIPE_DEPTH;
    p->n_full--;
    pthread_mutex_unlock(&p->mu);
    segkit_status st = sk__batch_append(b, p->cbs, p->types);
    b->n_rows = 0;
    b->arena_len = 0;
    pthread_mutex_lock(&p->mu);
    if (st != SEGKIT_OK) {
      p->status = st;
      p->abort = true; /* the parser sees it at its next hand-off */
    }
    p->free_list[p->n_free++] = b;
    pthread_cond_broadcast(&p->cv);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

segkit_status sk__pipe_start(sk__pipe *p, size_t n_cols, segkit_column_builder *const *cbs,
                             const segkit_type *types) {
  memset(p, 0, sizeof *p);
  p->cbs = cbs;
  p->types = types;
  for (int i = 0; i < SK__PIPE_DEPTH; i++) {
    p->batches[i] = sk__batch_new(n_cols);
    if (p->batches[i] == NULL) {
      for (int k = 0; k < i; k++) {
        sk__batch_free(p->batches[k]);
      }
      return SEGKIT_ERR_NOMEM;
    }
    p->free_list[p->n_free++] = p->batches[i];
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  if (pthread_create(&p->thread, NULL, appender_main, p) != 0) {
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    for (int i = 0; i < SK__PIPE_DEPTH; i++) {
      sk__batch_free(p->batches[i]);
    }
    return SEGKIT_ERR_INTERNAL; /* the caller appends on its own thread instead */
  }
  p->running = true;
  return SEGKIT_OK;
}

sk__batch *sk__pipe_take_free(sk__pipe *p) {
  pthread_mutex_lock(&p->mu);
  while (p->n_free == 0 && !p->abort) {
    pthread_cond_wait(&p->cv, &p->mu);
  }
  sk__batch *b = p->abort ? NULL : p->free_list[--p->n_free];
  pthread_mutex_unlock(&p->mu);
  return b;
}

void sk__pipe_put_full(sk__pipe *p, sk__batch *b) {
  pthread_mutex_lock(&p->mu);
  p->full[(p->full_head + p->n_full) % SK__PIPE_DEPTH] = b;
  p->n_full++;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

segkit_status sk__pipe_finish(sk__pipe *p, bool abort) {
  if (!p->running) {
    return SEGKIT_OK;
  }
  pthread_mutex_lock(&p->mu);
  p->done = true;
  if (abort) {
    p->abort = true;
  }
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->thread, NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  for (int i = 0; i < SK__PIPE_DEPTH; i++) {
    sk__batch_free(p->batches[i]);
  }
  p->running = false;
  return p->status;
}
