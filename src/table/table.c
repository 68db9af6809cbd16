/* Reading a finished table: accessors, memory accounting, freeing; and the column
 * allocation every table-producing operation (finish, concat, take, from_arrays) uses.
 *
 * Key design choice: a finished table is plain arrays with no lazily built state, so
 * every getter is a read of immutable memory and any number of threads may call them
 * at once without locks. Getters check the column type and return NULL (or 0, -1) on a
 * mismatch, so a caller that guessed the type wrong gets a clean failure, not garbage. */
#include <stdlib.h>
#include <string.h>

#include "table/table_int.h"

/* ---- allocation shared by the module -------------------------------------------------- */

segkit_status sk__col_alloc(sk__col *c, const char *name, segkit_type type, size_t n_rows,
                            segkit_error *err) {
  size_t elem = sk__type_size(type);
  size_t slots = n_rows > 0 ? n_rows : 1;
  size_t words = n_rows / 64 + 1; /* >= (n_rows + 63) / 64 and >= 1 */
  size_t bytes;
  if (!sk__mul_size(slots, elem, &bytes)) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOMEM, NULL, 0, 0, name,
                               "%zu rows of %zu bytes exceed the address space", n_rows, elem);
  }
  sk__col col;
  memset(&col, 0, sizeof col);
  col.name = strdup(name);
  col.data = calloc(slots, elem);
  col.validity = calloc(words, sizeof *col.validity);
  if (col.name == NULL || col.data == NULL || col.validity == NULL) {
    sk__col_free(&col);
    return segkit_error_set_at(err, SEGKIT_ERR_NOMEM, NULL, 0, 0, name,
                               "out of memory for %zu rows (%zu bytes of data)", n_rows, bytes);
  }
  col.type = type;
  col.n_rows = n_rows;
  col.cap_rows = slots;
  col.validity_words = words;
  *c = col;
  return SEGKIT_OK;
}

void sk__col_free(sk__col *c) {
  free(c->name);
  free(c->data);
  free(c->validity);
  sk__dict_free(&c->dict);
  memset(c, 0, sizeof *c);
}

size_t sk__count_nulls(const uint64_t *validity, size_t n_rows) {
  size_t full = n_rows / 64;
  size_t valid = 0;
  for (size_t w = 0; w < full; w++) {
    valid += (size_t)__builtin_popcountll(validity[w]);
  }
  if (n_rows % 64 != 0) {
    uint64_t mask = (UINT64_C(1) << (n_rows % 64)) - 1;
    valid += (size_t)__builtin_popcountll(validity[full] & mask);
  }
  return n_rows - valid;
}

segkit_table *sk__table_alloc(size_t n_cols, size_t n_rows) {
  segkit_table *t = calloc(1, sizeof *t);
  if (t == NULL) {
    return NULL;
  }
  t->cols = calloc(n_cols > 0 ? n_cols : 1, sizeof *t->cols);
  if (t->cols == NULL) {
    free(t);
    return NULL;
  }
  t->n_cols = n_cols;
  t->n_rows = n_rows;
  return t;
}

void segkit_table_free(segkit_table *t) {
  if (t == NULL) {
    return;
  }
  for (size_t i = 0; i < t->n_cols; i++) {
    sk__col_free(&t->cols[i].col);
  }
  free(t->cols);
  free(t);
}

/* ---- table ---------------------------------------------------------------------------- */

size_t segkit_table_n_rows(const segkit_table *t) {
  return t->n_rows;
}

size_t segkit_table_n_cols(const segkit_table *t) {
  return t->n_cols;
}

const segkit_column *segkit_table_column(const segkit_table *t, size_t i) {
  return i < t->n_cols ? &t->cols[i] : NULL;
}

long segkit_table_column_index(const segkit_table *t, const char *name) {
  for (size_t i = 0; i < t->n_cols; i++) {
    if (strcmp(t->cols[i].col.name, name) == 0) {
      return (long)i;
    }
  }
  return -1;
}

size_t segkit_table_memory_bytes(const segkit_table *t) {
  size_t total = sizeof *t + t->n_cols * sizeof *t->cols;
  for (size_t i = 0; i < t->n_cols; i++) {
    const sk__col *c = &t->cols[i].col;
    total += c->cap_rows * sk__type_size(c->type);
    total += c->validity_words * sizeof *c->validity;
    total += strlen(c->name) + 1;
    if (c->type == SEGKIT_TYPE_STRING) {
      total += sk__dict_memory(&c->dict);
    }
  }
  return total;
}

/* ---- column --------------------------------------------------------------------------- */

const char *segkit_column_name(const segkit_column *c) {
  return c->col.name;
}

segkit_type segkit_column_type(const segkit_column *c) {
  return c->col.type;
}

size_t segkit_column_n_rows(const segkit_column *c) {
  return c->col.n_rows;
}

size_t segkit_column_null_count(const segkit_column *c) {
  return c->col.null_count;
}

const uint64_t *segkit_column_validity(const segkit_column *c) {
  return c->col.validity;
}

bool segkit_column_is_valid(const segkit_column *c, size_t row) {
  if (row >= c->col.n_rows) {
    return false;
  }
  return (c->col.validity[row / 64] >> (row % 64)) & 1;
}

static const void *typed_data(const segkit_column *c, segkit_type want) {
  return c->col.type == want ? c->col.data : NULL;
}

const int64_t *segkit_column_int64(const segkit_column *c) {
  return typed_data(c, SEGKIT_TYPE_INT64);
}

const int64_t *segkit_column_timestamp(const segkit_column *c) {
  return typed_data(c, SEGKIT_TYPE_TIMESTAMP);
}

const double *segkit_column_float64(const segkit_column *c) {
  return typed_data(c, SEGKIT_TYPE_FLOAT64);
}

const uint8_t *segkit_column_bool(const segkit_column *c) {
  return typed_data(c, SEGKIT_TYPE_BOOL);
}

const int32_t *segkit_column_date(const segkit_column *c) {
  return typed_data(c, SEGKIT_TYPE_DATE);
}

const uint32_t *segkit_column_codes(const segkit_column *c) {
  return typed_data(c, SEGKIT_TYPE_STRING);
}

uint32_t segkit_column_dict_size(const segkit_column *c) {
  return c->col.type == SEGKIT_TYPE_STRING ? c->col.dict.count : 0;
}

const char *segkit_column_dict_value(const segkit_column *c, uint32_t code, size_t *len_out) {
  const sk__dict *d = &c->col.dict;
  if (c->col.type != SEGKIT_TYPE_STRING || code >= d->count) {
    return NULL;
  }
  uint64_t start = d->offsets[code];
  if (len_out != NULL) {
    *len_out = (size_t)(d->offsets[code + 1] - start - 1);
  }
  return d->bytes + start;
}

int64_t segkit_column_dict_find(const segkit_column *c, const char *s, size_t len) {
  if (c->col.type != SEGKIT_TYPE_STRING) {
    return -1;
  }
  return sk__dict_find(&c->col.dict, s, len);
}

segkit_column_arrays segkit_column_as_arrays(const segkit_column *c) {
  segkit_column_arrays a;
  memset(&a, 0, sizeof a);
  a.name = c->col.name;
  a.type = c->col.type;
  a.data = c->col.data; /* the storage array, whatever the type */
  a.validity = segkit_column_validity(c);
  if (a.type == SEGKIT_TYPE_STRING) {
    a.dict_size = segkit_column_dict_size(c);
    segkit_column_dict_arrays(c, &a.dict_offsets, &a.dict_bytes);
  }
  return a;
}

void segkit_column_dict_arrays(const segkit_column *c, const uint64_t **offsets,
                               const char **bytes) {
  if (c->col.type != SEGKIT_TYPE_STRING) {
    *offsets = NULL;
    *bytes = NULL;
    return;
  }
  *offsets = c->col.dict.offsets;
  /* An empty dictionary has no pool; "" keeps the pointer usable for zero-byte copies. */
  *bytes = c->col.dict.bytes != NULL ? c->col.dict.bytes : "";
}
