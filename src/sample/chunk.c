/* Growable arrays and text buffers, and the chunk that holds one batch of customers'
 * records and formatted text. Key design choice: a worker thread keeps its chunk across
 * batches (reset, not freed), so after the first few batches the generator allocates
 * nothing; capacities double, so a chunk's growth costs O(log n) reallocations. */
#include <stdlib.h>
#include <string.h>

#include "sample/sample_int.h"

segkit_status sk__grow(void **items, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) {
    return SEGKIT_OK;
  }
  size_t n = *cap < 16 ? 16 : *cap;
  while (n < need) {
    if (n > SIZE_MAX / 2 / elem) {
      return SEGKIT_ERR_NOMEM;
    }
    n *= 2;
  }
  void *p = realloc(*items, n * elem);
  if (p == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  *items = p;
  *cap = n;
  return SEGKIT_OK;
}

segkit_status sk__buf_reserve(sk__buf *b, size_t extra) {
  if (b->cap - b->len >= extra) {
    return SEGKIT_OK;
  }
  void *data = b->data;
  segkit_status st = sk__grow(&data, &b->cap, b->len + extra, 1);
  b->data = data;
  return st;
}

void sk__buf_free(sk__buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void sk__chunk_reset(sk__chunk *c, int64_t first, int64_t n) {
  c->first = first;
  c->n = n;
  c->n_subs = 0;
  c->n_txs = 0;
  c->n_events = 0;
  c->sub_base = 0;
  c->tx_base = 0;
  c->event_base = 0;
  for (int i = 0; i < 4; i++) {
    c->text[i].len = 0;
    c->rows[i] = 0;
    c->dirty_rows[i] = 0;
  }
}

void sk__chunk_free(sk__chunk *c) {
  free(c->cust);
  free(c->subs);
  free(c->txs);
  free(c->events);
  free(c->scratch_ts);
  free(c->scratch_kind);
  for (int i = 0; i < 4; i++) {
    sk__buf_free(&c->text[i]);
  }
  memset(c, 0, sizeof *c);
}
