/* Tables from whole arrays (the workspace loader and readers that build columns
 * themselves): copy, then check every invariant of table_int.h on the copy.
 *
 * Key design choice: the input is untrusted (a stored blob may be corrupt or hostile),
 * so nothing is assumed: the dictionary layout (offsets start at 0, strictly increase,
 * each entry ends in its NUL), distinct entries, codes below the dictionary size, bool
 * bytes 0 or 1, no validity bits past the last row. Checks run on our own copy, after
 * null slots are zeroed, so what is checked is exactly what the table will hold (no
 * time-of-check/time-of-use gap with a caller's buffer). Every rejection is
 * SEGKIT_ERR_SCHEMA naming the column, the row or entry, and what was expected. The
 * dictionary index is built by interning the entries in order, which also finds
 * duplicates: an entry whose intern returns an earlier code is one. */
#include <stdlib.h>
#include <string.h>

#include "table/table_int.h"

static segkit_status check_input(size_t n_rows, size_t n_cols, const segkit_column_arrays *cols,
                                 segkit_error *err) {
  if (n_cols > 0 && cols == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no column arrays given");
  }
  for (size_t j = 0; j < n_cols; j++) {
    const segkit_column_arrays *c = &cols[j];
    if (c->name == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "column %zu has no name", j + 1);
    }
    if (!sk__type_valid(c->type)) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, c->name,
                                 "invalid column type %d", (int)c->type);
    }
    if (c->data == NULL && n_rows > 0) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, c->name,
                                 "no data for %zu rows", n_rows);
    }
    for (size_t k = 0; k < j; k++) {
      if (strcmp(c->name, cols[k].name) == 0) {
        return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, c->name,
                                   "duplicate column name (columns %zu and %zu)", k + 1, j + 1);
      }
    }
  }
  return SEGKIT_OK;
}

/* ---- validity ------------------------------------------------------------------------- */

static segkit_status copy_validity(sk__col *dst, const segkit_column_arrays *src,
                                   segkit_error *err) {
  size_t n = dst->n_rows;
  size_t words = (n + 63) / 64;
  if (src->validity == NULL) {
    memset(dst->validity, 0xff, (n / 64) * sizeof *dst->validity);
    if (n % 64 != 0) {
      dst->validity[n / 64] = (UINT64_C(1) << (n % 64)) - 1;
    }
    return SEGKIT_OK;
  }
  if (words > 0) {
    memcpy(dst->validity, src->validity, words * sizeof *dst->validity);
  }
  if (n % 64 != 0 && (dst->validity[n / 64] >> (n % 64)) != 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, dst->name,
                               "validity bitmap has bits set past the last row (%zu rows)", n);
  }
  dst->null_count = sk__count_nulls(dst->validity, n);
  return SEGKIT_OK;
}

/* Null rows' slots become 0, whatever the source held there. */
static void zero_null_slots(sk__col *c) {
  size_t elem = sk__type_size(c->type);
  for (size_t w = 0; w * 64 < c->n_rows; w++) {
    uint64_t nulls = ~c->validity[w];
    size_t limit = c->n_rows - w * 64;
    if (limit < 64) {
      nulls &= (UINT64_C(1) << limit) - 1;
    }
    while (nulls != 0) {
      size_t row = w * 64 + (size_t)__builtin_ctzll(nulls);
      memset((char *)c->data + row * elem, 0, elem);
      nulls &= nulls - 1;
    }
  }
}

/* ---- value checks --------------------------------------------------------------------- */

static segkit_status check_bools(const sk__col *c, segkit_error *err) {
  const uint8_t *v = c->data;
  for (size_t i = 0; i < c->n_rows; i++) {
    if (v[i] > 1) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, c->name,
                                 "row %zu: bool byte is %u (expected 0 or 1)", i, v[i]);
    }
  }
  return SEGKIT_OK;
}

static segkit_status check_codes(const sk__col *c, segkit_error *err) {
  const uint32_t *codes = c->data;
  uint32_t size = c->dict.count;
  for (size_t i = 0; i < c->n_rows; i++) {
    bool valid = (c->validity[i / 64] >> (i % 64)) & 1;
    if (valid && codes[i] >= size) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, c->name,
                                 "row %zu: code %u is not below the dictionary size %u", i,
                                 codes[i], size);
    }
  }
  return SEGKIT_OK;
}

/* The dictionary's layout, before any byte is read through it. */
static segkit_status check_dict_layout(const char *name, const segkit_column_arrays *src,
                                       segkit_error *err) {
  uint32_t n = src->dict_size;
  const uint64_t *off = src->dict_offsets;
  if (n > SK_DICT_MAX_ENTRIES) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                               "dictionary has %u entries (at most %u)", n,
                               (unsigned)SK_DICT_MAX_ENTRIES);
  }
  if (off == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                               "string column without dictionary offsets");
  }
  if (off[0] != 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                               "dictionary offsets start at %llu (expected 0)",
                               (unsigned long long)off[0]);
  }
  if (off[n] > 0 && src->dict_bytes == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                               "dictionary of %llu bytes without its bytes",
                               (unsigned long long)off[n]);
  }
  for (uint32_t i = 0; i < n; i++) {
    if (off[i + 1] <= off[i] || off[i + 1] > off[n]) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                                 "dictionary entry %u: offsets %llu..%llu are not increasing "
                                 "within %llu bytes",
                                 i, (unsigned long long)off[i], (unsigned long long)off[i + 1],
                                 (unsigned long long)off[n]);
    }
    if (src->dict_bytes[off[i + 1] - 1] != '\0') {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                                 "dictionary entry %u has no NUL terminator", i);
    }
  }
  if (off[n] > SIZE_MAX) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOMEM, NULL, 0, 0, name,
                               "dictionary too large");
  }
  return SEGKIT_OK;
}

static segkit_status build_dict(sk__col *dst, const segkit_column_arrays *src,
                                segkit_error *err) {
  segkit_status st = check_dict_layout(dst->name, src, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  const uint64_t *off = src->dict_offsets;
  st = sk__dict_init(&dst->dict);
  if (st == SEGKIT_OK) {
    st = sk__dict_reserve_more(&dst->dict, src->dict_size, off[src->dict_size]);
  }
  if (st != SEGKIT_OK) {
    return segkit_error_set_at(err, st, NULL, 0, 0, dst->name,
                               "out of memory for a dictionary of %u entries", src->dict_size);
  }
  for (uint32_t i = 0; i < src->dict_size; i++) {
    const char *s = src->dict_bytes + off[i];
    size_t len = (size_t)(off[i + 1] - off[i] - 1);
    uint32_t code;
    st = sk__dict_intern_hashed(&dst->dict, s, len, sk__dict_hash(&dst->dict, s, len), &code);
    if (st != SEGKIT_OK) {
      return segkit_error_set_at(err, st, NULL, 0, 0, dst->name, "out of memory");
    }
    if (code != i) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, dst->name,
                                 "dictionary entries %u and %u are equal (\"%.*s\"); entries "
                                 "must be distinct",
                                 code, i, (int)(len < 64 ? len : 64), s);
    }
  }
  return SEGKIT_OK;
}

/* ---- columns -------------------------------------------------------------------------- */

static segkit_status load_column(sk__col *dst, size_t n_rows, const segkit_column_arrays *src,
                                 segkit_error *err) {
  segkit_status st = sk__col_alloc(dst, src->name, src->type, n_rows, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  if (n_rows > 0) {
    memcpy(dst->data, src->data, n_rows * sk__type_size(src->type));
  }
  st = copy_validity(dst, src, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  zero_null_slots(dst);
  if (src->type == SEGKIT_TYPE_BOOL) {
    return check_bools(dst, err);
  }
  if (src->type == SEGKIT_TYPE_STRING) {
    st = build_dict(dst, src, err);
    if (st != SEGKIT_OK) {
      return st;
    }
    return check_codes(dst, err);
  }
  return SEGKIT_OK;
}

segkit_status segkit_table_from_arrays(size_t n_rows, size_t n_cols,
                                       const segkit_column_arrays *cols, segkit_table **out,
                                       segkit_error *err) {
  segkit_status st = check_input(n_rows, n_cols, cols, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  segkit_table *t = sk__table_alloc(n_cols, n_rows);
  if (t == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a table");
  }
  for (size_t j = 0; j < n_cols; j++) {
    st = load_column(&t->cols[j].col, n_rows, &cols[j], err);
    if (st != SEGKIT_OK) {
      segkit_table_free(t);
      return st;
    }
  }
  *out = t;
  return SEGKIT_OK;
}

/* ---- adopting the caller's arrays ------------------------------------------------------ */

/* Column dst with the caller's arrays in place. Every table column has n_rows / 64 + 1
 * validity words (see sk__col_alloc); a caller's bitmap of (n_rows + 63) / 64 words has
 * one word fewer when n_rows is a multiple of 64, and is then copied into a table-owned
 * bitmap (n_rows / 8 bytes, small next to the data) rather than reallocated, so that on
 * failure the caller's pointer is still valid. *copied says which happened. */
static segkit_status adopt_column(sk__col *dst, size_t n_rows, const segkit_column_arrays *src,
                                  bool *copied, segkit_error *err) {
  memset(dst, 0, sizeof *dst);
  *copied = false;
  size_t words = n_rows / 64 + 1;
  dst->name = strdup(src->name);
  if (dst->name == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_NOMEM, NULL, 0, 0, src->name, "out of memory");
  }
  dst->type = src->type;
  dst->n_rows = n_rows;
  dst->cap_rows = n_rows > 0 ? n_rows : 1;
  dst->data = (void *)src->data;
  size_t given = (n_rows + 63) / 64;
  if (src->validity != NULL && given == words) {
    dst->validity = (uint64_t *)src->validity;
  } else {
    dst->validity = calloc(words, sizeof *dst->validity);
    if (dst->validity == NULL) {
      return segkit_error_set_at(err, SEGKIT_ERR_NOMEM, NULL, 0, 0, src->name,
                                 "out of memory for a validity bitmap");
    }
    *copied = src->validity != NULL;
    if (src->validity != NULL) {
      memcpy(dst->validity, src->validity, given * sizeof *dst->validity);
    } else {
      memset(dst->validity, 0xff, (n_rows / 64) * sizeof *dst->validity);
      if (n_rows % 64 != 0) {
        dst->validity[n_rows / 64] = (UINT64_C(1) << (n_rows % 64)) - 1;
      }
    }
  }
  dst->validity_words = words;
  if (n_rows % 64 != 0 && (dst->validity[n_rows / 64] >> (n_rows % 64)) != 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, dst->name,
                               "validity bitmap has bits set past the last row (%zu rows)",
                               n_rows);
  }
  dst->null_count = sk__count_nulls(dst->validity, n_rows);
  zero_null_slots(dst);
  segkit_status st = SEGKIT_OK;
  if (src->type == SEGKIT_TYPE_BOOL) {
    st = check_bools(dst, err);
  } else if (src->type == SEGKIT_TYPE_STRING) {
    st = build_dict(dst, src, err);
    if (st == SEGKIT_OK) {
      st = check_codes(dst, err);
    }
  }
  return st;
}

segkit_status segkit_table_from_arrays_take(size_t n_rows, size_t n_cols,
                                            const segkit_column_arrays *cols,
                                            segkit_table **out, segkit_error *err) {
  segkit_status st = check_input(n_rows, n_cols, cols, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  for (size_t j = 0; j < n_cols; j++) {
    if (cols[j].data == NULL) {
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, cols[j].name,
                                 "no data array to take");
    }
  }
  segkit_table *t = sk__table_alloc(n_cols, n_rows);
  bool *copied = calloc(n_cols > 0 ? n_cols : 1, sizeof *copied);
  if (t == NULL || copied == NULL) {
    segkit_table_free(t);
    free(copied);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a table");
  }
  size_t done = 0;
  for (; done < n_cols && st == SEGKIT_OK; done++) {
    st = adopt_column(&t->cols[done].col, n_rows, &cols[done], &copied[done], err);
  }
  if (st != SEGKIT_OK) {
    /* Hand the caller's arrays back: detach them before the table is freed. */
    for (size_t j = 0; j < done; j++) {
      sk__col *c = &t->cols[j].col;
      c->data = NULL;
      if (!copied[j] && c->validity == cols[j].validity) {
        c->validity = NULL;
      }
    }
    segkit_table_free(t);
    free(copied);
    return st;
  }
  for (size_t j = 0; j < n_cols; j++) {
    if (copied[j]) {
      free((void *)cols[j].validity);
    }
  }
  free(copied);
  *out = t;
  return SEGKIT_OK;
}
