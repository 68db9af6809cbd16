/* Dataset columns as stored blobs: a table's columns are written as typed little-endian
 * chunks of at most SK_CHUNK_ROWS rows, and read back into whole-column arrays.
 *
 * Key design choice: a chunk is the column's memory image (int64/float64/timestamp as 8
 * bytes, date 4, string codes 4, bool 1 per row; validity as 64-bit words, NULL when
 * the chunk has no null). On a little-endian machine writing binds a pointer into the
 * table (SQLite copies it into its pages, no copy of ours) and loading reads each blob
 * with sqlite3_blob_read straight into its place in the column array, so a load is one
 * pass over the bytes plus segkit_table_from_arrays' copy; no per-row work except for
 * the checks below. A string column stores its dictionary once per batch (table
 * dict_pieces, split so no blob nears SQLite's 1 GB limit) and the chunks hold codes
 * into it; a dataset of several batches merges their dictionaries on load through a
 * hash map and remaps codes.
 *
 * Nothing read from the file is trusted: blob sizes, chunk row counts, codes and
 * dictionary offsets are checked here (they index memory during the load), and
 * segkit_table_from_arrays checks the rest (bool bytes, distinct dictionary entries);
 * a violation is reported as a damaged workspace (ERR_STORE), never a broken table. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SK_BIG_ENDIAN 1
#else
#define SK_BIG_ENDIAN 0
#endif

/* Names of the types as stored in dataset_columns.type. Part of the file format: they
 * must never change, whatever segkit_type_name() says. */
static const char *const stored_type_names[SEGKIT_TYPE_COUNT] = {
    [SEGKIT_TYPE_INT64] = "int64",         [SEGKIT_TYPE_FLOAT64] = "float64",
    [SEGKIT_TYPE_BOOL] = "bool",           [SEGKIT_TYPE_TIMESTAMP] = "timestamp",
    [SEGKIT_TYPE_DATE] = "date",           [SEGKIT_TYPE_STRING] = "string",
};

size_t sk__type_width(segkit_type t) {
  switch (t) {
  case SEGKIT_TYPE_INT64:
  case SEGKIT_TYPE_FLOAT64:
  case SEGKIT_TYPE_TIMESTAMP:
    return 8;
  case SEGKIT_TYPE_DATE:
  case SEGKIT_TYPE_STRING:
    return 4;
  case SEGKIT_TYPE_BOOL:
    return 1;
  default:
    return 0;
  }
}

const char *sk__type_stored_name(segkit_type t) {
  return (int)t >= 0 && t < SEGKIT_TYPE_COUNT ? stored_type_names[t] : NULL;
}

int sk__type_from_name(const char *name) {
  for (int t = 0; t < SEGKIT_TYPE_COUNT; t++) {
    if (name != NULL && strcmp(name, stored_type_names[t]) == 0) {
      return t;
    }
  }
  return -1;
}

static segkit_status damaged(segkit_error *err, int64_t batch_id, size_t position,
                             const char *what) {
  return segkit_error_set(err, SEGKIT_ERR_STORE,
                          "the workspace is damaged: batch %lld, column %zu: %s",
                          (long long)batch_id, position + 1, what);
}

/* ======================================================================================
 * Byte order
 * ==================================================================================== */

/* Swap n values of `width` bytes in place (big-endian hosts only; a no-op elsewhere). */
static void swap_in_place(void *data, size_t n, size_t width) {
  if (!SK_BIG_ENDIAN || width == 1) {
    return;
  }
  unsigned char *p = data;
  for (size_t i = 0; i < n; i++, p += width) {
    for (size_t a = 0, b = width - 1; a < b; a++, b--) {
      unsigned char t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
  }
}

/* The little-endian image of n values: src itself on little-endian hosts, else a
 * swapped copy in scratch (which holds at least n * width bytes). */
static const void *le_image(const void *src, size_t n, size_t width, void *scratch) {
  if (!SK_BIG_ENDIAN || width == 1) {
    return src;
  }
  memcpy(scratch, src, n * width);
  swap_in_place(scratch, n, width);
  return scratch;
}

/* ======================================================================================
 * Bitmaps
 * ==================================================================================== */

static size_t words_for(size_t n_bits) {
  return (n_bits + 63) / 64;
}

/* Mask of the bits of the last word that belong to an n-bit map. */
static uint64_t tail_mask(size_t n_bits) {
  size_t r = n_bits & 63;
  return r == 0 ? ~UINT64_C(0) : (UINT64_C(1) << r) - 1;
}

/* Number of set bits in an n-bit map (bits past n must be clear). */
static size_t popcount_words(const uint64_t *w, size_t n_words) {
  size_t total = 0;
  for (size_t i = 0; i < n_words; i++) {
    total += (size_t)__builtin_popcountll(w[i]);
  }
  return total;
}

/* OR the n-bit map src into dst starting at bit `at`. dst is large enough for at + n
 * bits; bits of src past n are ignored. */
static void bits_or_at(uint64_t *dst, size_t at, const uint64_t *src, size_t n) {
  size_t w = at >> 6;
  unsigned shift = (unsigned)(at & 63);
  size_t n_words = words_for(n);
  for (size_t i = 0; i < n_words; i++) {
    uint64_t v = src[i];
    if (i + 1 == n_words) {
      v &= tail_mask(n);
    }
    if (shift == 0) {
      dst[w + i] |= v;
      continue;
    }
    dst[w + i] |= v << shift;
    uint64_t carry = v >> (64 - shift);
    if (carry != 0) {
      dst[w + i + 1] |= carry;
    }
  }
}

/* Set bits [at, at + n). */
static void bits_set_range(uint64_t *dst, size_t at, size_t n) {
  size_t end = at + n;
  while (at < end && (at & 63) != 0) {
    dst[at >> 6] |= UINT64_C(1) << (at & 63);
    at++;
  }
  while (at + 64 <= end) {
    dst[at >> 6] = ~UINT64_C(0);
    at += 64;
  }
  while (at < end) {
    dst[at >> 6] |= UINT64_C(1) << (at & 63);
    at++;
  }
}

static bool bit_is_set(const uint64_t *w, size_t i) {
  return (w[i >> 6] >> (i & 63)) & 1;
}

/* ======================================================================================
 * Writing
 * ==================================================================================== */

static const void *column_values(const segkit_column *c) {
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_INT64:
    return segkit_column_int64(c);
  case SEGKIT_TYPE_TIMESTAMP:
    return segkit_column_timestamp(c);
  case SEGKIT_TYPE_FLOAT64:
    return segkit_column_float64(c);
  case SEGKIT_TYPE_BOOL:
    return segkit_column_bool(c);
  case SEGKIT_TYPE_DATE:
    return segkit_column_date(c);
  case SEGKIT_TYPE_STRING:
    return segkit_column_codes(c);
  default:
    return NULL;
  }
}

/* Scratch shared by the chunks of one batch: one chunk's validity words and, on
 * big-endian hosts, one chunk's swapped values. */
typedef struct write_scratch {
  uint64_t *validity;
  void *values;
} write_scratch;

/* Copy a chunk's validity words into scratch with the bits past the chunk cleared (so
 * the stored bytes do not depend on what the table keeps there). Returns whether the
 * chunk has a null. */
static bool chunk_validity(const uint64_t *valid, size_t start, size_t n, uint64_t *out) {
  size_t n_words = words_for(n);
  memcpy(out, valid + start / 64, n_words * sizeof *out);
  out[n_words - 1] &= tail_mask(n);
  bool has_null = popcount_words(out, n_words) != n;
  if (SK_BIG_ENDIAN) {
    swap_in_place(out, n_words, 8);
  }
  return has_null;
}

static segkit_status write_chunks(sqlite3 *db, sqlite3_stmt *ins, int64_t batch_id,
                                  size_t position, const segkit_column *c, size_t n_rows,
                                  write_scratch *scratch, segkit_error *err) {
  size_t width = sk__type_width(segkit_column_type(c));
  const unsigned char *values = column_values(c);
  const uint64_t *valid = segkit_column_validity(c);
  bool any_null = segkit_column_null_count(c) > 0;
  if (values == NULL || width == 0) {
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "column %zu has no storable data",
                            position + 1);
  }
  int64_t chunk_index = 0;
  for (size_t start = 0; start < n_rows; start += SK_CHUNK_ROWS, chunk_index++) {
    size_t n = n_rows - start < SK_CHUNK_ROWS ? n_rows - start : SK_CHUNK_ROWS;
    sqlite3_bind_int64(ins, 1, batch_id);
    sqlite3_bind_int64(ins, 2, (int64_t)position);
    sqlite3_bind_int64(ins, 3, chunk_index);
    sqlite3_bind_int64(ins, 4, (int64_t)n);
    if (any_null && chunk_validity(valid, start, n, scratch->validity)) {
      sqlite3_bind_blob64(ins, 5, scratch->validity, words_for(n) * 8, SQLITE_STATIC);
    } else {
      sqlite3_bind_null(ins, 5);
    }
    const void *image = le_image(values + start * width, n, width, scratch->values);
    sqlite3_bind_blob64(ins, 6, image, (sqlite3_uint64)(n * width), SQLITE_STATIC);
    segkit_status s = sk__step_done(db, ins, "storing a column chunk", err);
    sqlite3_reset(ins);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

/* End of the piece that starts at entry a: at most SK_DICT_PIECE_ENTRIES entries and
 * SK_DICT_PIECE_BYTES bytes, but always at least one entry. */
static size_t piece_end(const uint64_t *off, size_t dict_size, size_t a) {
  size_t b = a + 1;
  while (b < dict_size && b - a < SK_DICT_PIECE_ENTRIES &&
         off[b + 1] - off[a] <= SK_DICT_PIECE_BYTES) {
    b++;
  }
  return b;
}

static segkit_status write_dictionary(sqlite3 *db, sqlite3_stmt *ins, int64_t batch_id,
                                      size_t position, const segkit_column *c,
                                      segkit_error *err) {
  size_t dict_size = segkit_column_dict_size(c);
  const uint64_t *off = NULL;
  const char *bytes = NULL;
  segkit_column_dict_arrays(c, &off, &bytes);
  if (dict_size == 0) {
    return SEGKIT_OK;
  }
  size_t max_entries = dict_size < SK_DICT_PIECE_ENTRIES ? dict_size : SK_DICT_PIECE_ENTRIES;
  uint32_t *ends = malloc(max_entries * sizeof *ends);
  if (ends == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory storing a dictionary");
  }
  segkit_status s = SEGKIT_OK;
  int64_t piece_index = 0;
  for (size_t a = 0; a < dict_size && s == SEGKIT_OK; piece_index++) {
    size_t b = piece_end(off, dict_size, a);
    uint64_t n_bytes = off[b] - off[a];
    if (n_bytes > UINT32_MAX) {
      s = segkit_error_set(err, SEGKIT_ERR_LIMIT,
                           "column %zu: a string of %llu bytes is too long to store",
                           position + 1, (unsigned long long)n_bytes);
      break;
    }
    for (size_t j = a; j < b; j++) {
      ends[j - a] = (uint32_t)(off[j + 1] - off[a]);
    }
    swap_in_place(ends, b - a, 4);
    sqlite3_bind_int64(ins, 1, batch_id);
    sqlite3_bind_int64(ins, 2, (int64_t)position);
    sqlite3_bind_int64(ins, 3, piece_index);
    sqlite3_bind_int64(ins, 4, (int64_t)(b - a));
    sqlite3_bind_blob64(ins, 5, ends, (sqlite3_uint64)(b - a) * 4, SQLITE_STATIC);
    sqlite3_bind_blob64(ins, 6, bytes + off[a], n_bytes, SQLITE_STATIC);
    s = sk__step_done(db, ins, "storing a string dictionary", err);
    sqlite3_reset(ins);
    a = b;
  }
  free(ends);
  return s;
}

static segkit_status write_columns(sqlite3 *db, sqlite3_stmt *chunk_ins,
                                   sqlite3_stmt *piece_ins, int64_t batch_id,
                                   const segkit_table *t, write_scratch *scratch,
                                   segkit_error *err) {
  size_t n_rows = segkit_table_n_rows(t);
  size_t n_cols = segkit_table_n_cols(t);
  for (size_t i = 0; i < n_cols; i++) {
    const segkit_column *c = segkit_table_column(t, i);
    segkit_status s = write_chunks(db, chunk_ins, batch_id, i, c, n_rows, scratch, err);
    if (s == SEGKIT_OK && segkit_column_type(c) == SEGKIT_TYPE_STRING && n_rows > 0) {
      s = write_dictionary(db, piece_ins, batch_id, i, c, err);
    }
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

segkit_status sk__write_batch(sqlite3 *db, int64_t batch_id, const segkit_table *t,
                              segkit_error *err) {
  sqlite3_stmt *chunk_ins = NULL;
  sqlite3_stmt *piece_ins = NULL;
  write_scratch scratch = {0};
  segkit_status s = sk__prepare(db,
                                "INSERT INTO chunks(batch_id, column_position, chunk_index, "
                                "n_rows, validity, data) VALUES (?, ?, ?, ?, ?, ?)",
                                &chunk_ins, err);
  if (s == SEGKIT_OK) {
    s = sk__prepare(db,
                    "INSERT INTO dict_pieces(batch_id, column_position, piece_index, "
                    "n_entries, ends, bytes) VALUES (?, ?, ?, ?, ?, ?)",
                    &piece_ins, err);
  }
  if (s == SEGKIT_OK) {
    scratch.validity = malloc(words_for(SK_CHUNK_ROWS) * sizeof *scratch.validity);
    scratch.values = SK_BIG_ENDIAN ? malloc(SK_CHUNK_ROWS * 8) : NULL;
    if (scratch.validity == NULL || (SK_BIG_ENDIAN && scratch.values == NULL)) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory storing a batch");
    }
  }
  if (s == SEGKIT_OK) {
    s = write_columns(db, chunk_ins, piece_ins, batch_id, t, &scratch, err);
  }
  free(scratch.validity);
  free(scratch.values);
  sqlite3_finalize(chunk_ins);
  sqlite3_finalize(piece_ins);
  return s;
}

segkit_status sk__delete_batch_data(sqlite3 *db, int64_t batch_id, segkit_error *err) {
  static const char *const sql[] = {"DELETE FROM chunks WHERE batch_id = ?",
                                    "DELETE FROM dict_pieces WHERE batch_id = ?"};
  for (size_t i = 0; i < 2; i++) {
    sqlite3_stmt *st = NULL;
    segkit_status s = sk__prepare(db, sql[i], &st, err);
    if (s != SEGKIT_OK) {
      return s;
    }
    sqlite3_bind_int64(st, 1, batch_id);
    s = sk__step_done(db, st, "deleting stored rows", err);
    sqlite3_finalize(st);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

/* ======================================================================================
 * Column buffers
 * ==================================================================================== */

segkit_status sk__column_buf_init(sk_column_buf *cb, segkit_type type, size_t cap_rows,
                                  segkit_error *err) {
  memset(cb, 0, sizeof *cb);
  cb->type = type;
  cb->cap_rows = cap_rows;
  size_t width = sk__type_width(type);
  size_t alloc_rows = cap_rows > 0 ? cap_rows : 1;
  if (width == 0 || alloc_rows > SIZE_MAX / 8) {
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "bad column type %d", (int)type);
  }
  cb->data = malloc(alloc_rows * width);
  cb->validity = calloc(words_for(alloc_rows), sizeof *cb->validity);
  bool ok = cb->data != NULL && cb->validity != NULL;
  if (ok && type == SEGKIT_TYPE_STRING) {
    cb->dict_offsets = calloc(1, sizeof *cb->dict_offsets);
    cb->dict_offsets_cap = 1;
    cb->dict_bytes = malloc(1);
    cb->dict_bytes_cap = 1;
    ok = cb->dict_offsets != NULL && cb->dict_bytes != NULL;
  }
  if (!ok) {
    sk__column_buf_free(cb);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for %zu rows", cap_rows);
  }
  return SEGKIT_OK;
}

void sk__column_buf_free(sk_column_buf *cb) {
  if (cb == NULL) {
    return;
  }
  free(cb->data);
  free(cb->validity);
  free(cb->dict_offsets);
  free(cb->dict_bytes);
  sk__str_map_free(cb->dict_map);
  memset(cb, 0, sizeof *cb);
}

void sk__column_buf_arrays(const sk_column_buf *cb, const char *name,
                           segkit_column_arrays *out) {
  memset(out, 0, sizeof *out);
  out->name = name;
  out->type = cb->type;
  out->data = cb->data;
  out->validity = cb->any_null ? cb->validity : NULL;
  if (cb->type == SEGKIT_TYPE_STRING) {
    out->dict_size = cb->dict_size;
    out->dict_offsets = cb->dict_offsets;
    out->dict_bytes = cb->dict_bytes;
  }
}

/* ======================================================================================
 * Reading chunks
 * ==================================================================================== */

typedef struct chunk_ref {
  int64_t rowid;
  int64_t n_rows;
  int64_t validity_len; /* -1: NULL, every row valid */
  int64_t data_len;
} chunk_ref;

/* The chunks of one batch column, in order, with their blob sizes (length() of a blob
 * does not read it). */
static segkit_status list_chunks(sqlite3 *db, int64_t batch_id, size_t position,
                                 chunk_ref **out, size_t *n_out, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(db,
                                "SELECT id, chunk_index, n_rows, length(validity), "
                                "length(data) FROM chunks WHERE batch_id = ? AND "
                                "column_position = ? ORDER BY chunk_index",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, batch_id);
  sqlite3_bind_int64(st, 2, (int64_t)position);
  chunk_ref *refs = NULL;
  size_t n = 0;
  size_t cap = 0;
  int rc = sqlite3_step(st);
  for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
    if (n == cap) {
      size_t ncap = cap == 0 ? 16 : cap * 2;
      chunk_ref *nr = realloc(refs, ncap * sizeof *nr);
      if (nr == NULL) {
        s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing chunks");
        break;
      }
      refs = nr;
      cap = ncap;
    }
    if (sqlite3_column_int64(st, 1) != (int64_t)n) {
      s = damaged(err, batch_id, position, "a chunk is missing");
      break;
    }
    refs[n].rowid = sqlite3_column_int64(st, 0);
    refs[n].n_rows = sqlite3_column_int64(st, 2);
    refs[n].validity_len =
        sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
    refs[n].data_len = sqlite3_column_int64(st, 4);
    n++;
  }
  if (s == SEGKIT_OK && rc != SQLITE_DONE) {
    s = sk__sqlite_error(err, db, rc, "listing chunks");
  }
  sqlite3_finalize(st);
  if (s != SEGKIT_OK) {
    free(refs);
    return s;
  }
  *out = refs;
  *n_out = n;
  return SEGKIT_OK;
}

/* Read a whole blob of `len` bytes from table.column at rowid into dst, reusing *blob. */
static segkit_status read_blob(sqlite3 *db, sqlite3_blob **blob, const char *table,
                               const char *column, int64_t rowid, void *dst, size_t len,
                               segkit_error *err) {
  int rc;
  if (*blob == NULL) {
    rc = sqlite3_blob_open(db, "main", table, column, rowid, 0, blob);
  } else {
    rc = sqlite3_blob_reopen(*blob, rowid);
  }
  if (rc == SQLITE_OK && (size_t)sqlite3_blob_bytes(*blob) != len) {
    return segkit_error_set(err, SEGKIT_ERR_STORE,
                            "the workspace is damaged: %s.%s row %lld changed size", table,
                            column, (long long)rowid);
  }
  if (rc == SQLITE_OK && len > 0) {
    rc = sqlite3_blob_read(*blob, dst, (int)len, 0);
  }
  if (rc != SQLITE_OK) {
    return sk__sqlite_error(err, db, rc, "reading stored rows");
  }
  return SEGKIT_OK;
}

typedef struct chunk_reader {
  sqlite3 *db;
  int64_t batch_id;
  size_t position;
  sqlite3_blob *data_blob;
  sqlite3_blob *validity_blob;
  uint64_t *scratch;      /* validity words of an unaligned chunk */
  size_t scratch_words;
} chunk_reader;

/* Read one chunk's validity into cb at row `at`; NULL means every row is valid. */
static segkit_status read_validity(chunk_reader *r, const chunk_ref *ref, sk_column_buf *cb,
                                   size_t at, segkit_error *err) {
  size_t n = (size_t)ref->n_rows;
  if (ref->validity_len < 0) {
    bits_set_range(cb->validity, at, n);
    return SEGKIT_OK;
  }
  size_t n_words = words_for(n);
  if ((size_t)ref->validity_len != n_words * 8) {
    return damaged(err, r->batch_id, r->position, "validity bitmap of the wrong size");
  }
  uint64_t *words = cb->validity + at / 64;
  if (at % 64 != 0) {
    if (r->scratch_words < n_words) {
      free(r->scratch);
      r->scratch = malloc(n_words * sizeof *r->scratch);
      r->scratch_words = r->scratch == NULL ? 0 : n_words;
      if (r->scratch == NULL) {
        return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory reading a bitmap");
      }
    }
    words = r->scratch;
  }
  segkit_status s = read_blob(r->db, &r->validity_blob, "chunks", "validity", ref->rowid,
                              words, n_words * 8, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  swap_in_place(words, n_words, 8);
  words[n_words - 1] &= tail_mask(n);
  if (popcount_words(words, n_words) != n) {
    cb->any_null = true;
  }
  if (at % 64 != 0) {
    bits_or_at(cb->validity, at, words, n);
  }
  return SEGKIT_OK;
}

static segkit_status read_chunks(chunk_reader *r, const chunk_ref *refs, size_t n_refs,
                                 size_t batch_rows, sk_column_buf *cb, segkit_error *err) {
  size_t width = sk__type_width(cb->type);
  size_t total = 0;
  for (size_t i = 0; i < n_refs; i++) {
    if (refs[i].n_rows <= 0 || (uint64_t)refs[i].n_rows > batch_rows - total) {
      return damaged(err, r->batch_id, r->position, "chunk row counts do not add up");
    }
    total += (size_t)refs[i].n_rows;
  }
  if (total != batch_rows) {
    return damaged(err, r->batch_id, r->position, "chunk row counts do not add up");
  }
  size_t at = cb->n_rows;
  for (size_t i = 0; i < n_refs; i++) {
    size_t n = (size_t)refs[i].n_rows;
    if ((uint64_t)refs[i].data_len != (uint64_t)n * width) {
      return damaged(err, r->batch_id, r->position, "a chunk of the wrong size");
    }
    unsigned char *dst = (unsigned char *)cb->data + at * width;
    segkit_status s =
        read_blob(r->db, &r->data_blob, "chunks", "data", refs[i].rowid, dst, n * width, err);
    if (s == SEGKIT_OK) {
      s = read_validity(r, &refs[i], cb, at, err);
    }
    if (s != SEGKIT_OK) {
      return s;
    }
    swap_in_place(dst, n, width);
    at += n;
  }
  return SEGKIT_OK;
}

/* ======================================================================================
 * Reading dictionaries
 * ==================================================================================== */

/* A batch's dictionary as read from its pieces. */
typedef struct batch_dict {
  uint32_t size;
  uint64_t *offsets; /* size + 1 */
  char *bytes;
  size_t n_bytes;
} batch_dict;

static void batch_dict_free(batch_dict *d) {
  free(d->offsets);
  free(d->bytes);
  memset(d, 0, sizeof *d);
}

typedef struct piece_ref {
  int64_t rowid;
  int64_t n_entries;
  int64_t ends_len;
  int64_t bytes_len;
} piece_ref;

static segkit_status list_pieces(sqlite3 *db, int64_t batch_id, size_t position,
                                 piece_ref **out, size_t *n_out, segkit_error *err) {
  sqlite3_stmt *st = NULL;
  segkit_status s = sk__prepare(db,
                                "SELECT id, piece_index, n_entries, length(ends), "
                                "length(bytes) FROM dict_pieces WHERE batch_id = ? AND "
                                "column_position = ? ORDER BY piece_index",
                                &st, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  sqlite3_bind_int64(st, 1, batch_id);
  sqlite3_bind_int64(st, 2, (int64_t)position);
  piece_ref *refs = NULL;
  size_t n = 0;
  size_t cap = 0;
  int rc = sqlite3_step(st);
  for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
    if (n == cap) {
      size_t ncap = cap == 0 ? 4 : cap * 2;
      piece_ref *nr = realloc(refs, ncap * sizeof *nr);
      if (nr == NULL) {
        s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory listing dictionaries");
        break;
      }
      refs = nr;
      cap = ncap;
    }
    if (sqlite3_column_int64(st, 1) != (int64_t)n) {
      s = damaged(err, batch_id, position, "a dictionary piece is missing");
      break;
    }
    refs[n].rowid = sqlite3_column_int64(st, 0);
    refs[n].n_entries = sqlite3_column_int64(st, 2);
    refs[n].ends_len = sqlite3_column_int64(st, 3);
    refs[n].bytes_len = sqlite3_column_int64(st, 4);
    n++;
  }
  if (s == SEGKIT_OK && rc != SQLITE_DONE) {
    s = sk__sqlite_error(err, db, rc, "listing dictionaries");
  }
  sqlite3_finalize(st);
  if (s != SEGKIT_OK) {
    free(refs);
    return s;
  }
  *out = refs;
  *n_out = n;
  return SEGKIT_OK;
}

/* Turn a piece's entry ends (relative to the piece) into dictionary offsets, checking
 * each entry is non-empty (its NUL) and ends with the NUL terminator. */
static bool piece_offsets(const uint32_t *ends, size_t n, const char *piece_bytes,
                          uint64_t piece_len, uint64_t base, uint64_t *offsets_out) {
  uint64_t prev = 0;
  for (size_t j = 0; j < n; j++) {
    uint64_t e = ends[j];
    if (e <= prev || e > piece_len || piece_bytes[e - 1] != '\0') {
      return false;
    }
    offsets_out[j] = base + e;
    prev = e;
  }
  return prev == piece_len;
}

static segkit_status check_piece_sizes(chunk_reader *r, const piece_ref *refs, size_t n,
                                       uint64_t *entries, uint64_t *n_bytes,
                                       segkit_error *err) {
  *entries = 0;
  *n_bytes = 0;
  for (size_t i = 0; i < n; i++) {
    if (refs[i].n_entries <= 0 || refs[i].ends_len != refs[i].n_entries * 4 ||
        refs[i].bytes_len < refs[i].n_entries) {
      return damaged(err, r->batch_id, r->position, "a dictionary piece of the wrong size");
    }
    *entries += (uint64_t)refs[i].n_entries;
    *n_bytes += (uint64_t)refs[i].bytes_len;
  }
  if (*entries >= UINT32_MAX) {
    return damaged(err, r->batch_id, r->position, "too many dictionary entries");
  }
  return SEGKIT_OK;
}

static segkit_status read_pieces(chunk_reader *r, const piece_ref *refs, size_t n_refs,
                                 batch_dict *d, segkit_error *err) {
  sqlite3_blob *ends_blob = NULL;
  sqlite3_blob *bytes_blob = NULL;
  uint32_t *ends = NULL;
  size_t ends_cap = 0;
  segkit_status s = SEGKIT_OK;
  uint64_t base = 0;
  uint32_t entry = 0;
  for (size_t i = 0; i < n_refs && s == SEGKIT_OK; i++) {
    size_t n = (size_t)refs[i].n_entries;
    if (n > ends_cap) {
      free(ends);
      ends = malloc(n * sizeof *ends);
      ends_cap = ends == NULL ? 0 : n;
      if (ends == NULL) {
        s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory reading a dictionary");
        break;
      }
    }
    s = read_blob(r->db, &ends_blob, "dict_pieces", "ends", refs[i].rowid, ends, n * 4, err);
    if (s == SEGKIT_OK) {
      s = read_blob(r->db, &bytes_blob, "dict_pieces", "bytes", refs[i].rowid,
                    d->bytes + base, (size_t)refs[i].bytes_len, err);
    }
    if (s != SEGKIT_OK) {
      break;
    }
    swap_in_place(ends, n, 4);
    if (!piece_offsets(ends, n, d->bytes + base, (uint64_t)refs[i].bytes_len, base,
                       d->offsets + entry + 1)) {
      s = damaged(err, r->batch_id, r->position, "a dictionary piece is inconsistent");
    }
    base += (uint64_t)refs[i].bytes_len;
    entry += (uint32_t)n;
  }
  free(ends);
  sqlite3_blob_close(ends_blob);
  sqlite3_blob_close(bytes_blob);
  return s;
}

/* Read the dictionary of a batch column into d (exactly sized). */
static segkit_status read_dictionary(chunk_reader *r, batch_dict *d, segkit_error *err) {
  memset(d, 0, sizeof *d);
  piece_ref *refs = NULL;
  size_t n_refs = 0;
  segkit_status s = list_pieces(r->db, r->batch_id, r->position, &refs, &n_refs, err);
  uint64_t entries = 0;
  uint64_t n_bytes = 0;
  if (s == SEGKIT_OK) {
    s = check_piece_sizes(r, refs, n_refs, &entries, &n_bytes, err);
  }
  if (s == SEGKIT_OK) {
    d->offsets = malloc((size_t)(entries + 1) * sizeof *d->offsets);
    d->bytes = malloc(n_bytes > 0 ? (size_t)n_bytes : 1);
    if (d->offsets == NULL || d->bytes == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory reading a dictionary");
    }
  }
  if (s == SEGKIT_OK) {
    d->offsets[0] = 0;
    d->size = (uint32_t)entries;
    d->n_bytes = (size_t)n_bytes;
    s = read_pieces(r, refs, n_refs, d, err);
  }
  free(refs);
  if (s != SEGKIT_OK) {
    batch_dict_free(d);
  }
  return s;
}

/* ======================================================================================
 * Merging dictionaries
 * ==================================================================================== */

static bool grow_array(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) {
    return true;
  }
  size_t ncap = *cap > 0 ? *cap : 16;
  while (ncap < need) {
    ncap *= 2;
  }
  void *np = realloc(*p, ncap * elem);
  if (np == NULL) {
    return false;
  }
  *p = np;
  *cap = ncap;
  return true;
}

/* Index the column's current dictionary (done once, when a second batch arrives). */
static segkit_status build_dict_map(sk_column_buf *cb, segkit_error *err) {
  segkit_status s = sk__str_map_new(cb->dict_size, &cb->dict_map, err);
  for (uint32_t i = 0; s == SEGKIT_OK && i < cb->dict_size; i++) {
    size_t len = (size_t)(cb->dict_offsets[i + 1] - cb->dict_offsets[i] - 1);
    const char *str = cb->dict_bytes + cb->dict_offsets[i];
    if (sk__str_map_find(cb->dict_map, cb->dict_offsets, cb->dict_bytes, str, len) >= 0) {
      return segkit_error_set(err, SEGKIT_ERR_STORE,
                              "the workspace is damaged: a dictionary has a duplicate entry");
    }
    s = sk__str_map_add(cb->dict_map, cb->dict_offsets, cb->dict_bytes, i, err);
  }
  return s;
}

/* Global code of a string, appending it to the column's dictionary if new. */
static segkit_status intern(sk_column_buf *cb, const char *str, size_t len, uint32_t *code,
                            segkit_error *err) {
  int64_t found = sk__str_map_find(cb->dict_map, cb->dict_offsets, cb->dict_bytes, str, len);
  if (found >= 0) {
    *code = (uint32_t)found;
    return SEGKIT_OK;
  }
  uint64_t at = cb->dict_offsets[cb->dict_size];
  if (!grow_array((void **)&cb->dict_bytes, &cb->dict_bytes_cap, (size_t)at + len + 1, 1) ||
      !grow_array((void **)&cb->dict_offsets, &cb->dict_offsets_cap,
                  (size_t)cb->dict_size + 2, sizeof *cb->dict_offsets)) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory merging dictionaries");
  }
  memcpy(cb->dict_bytes + at, str, len);
  cb->dict_bytes[at + len] = '\0';
  cb->dict_offsets[cb->dict_size + 1] = at + len + 1;
  segkit_status s = sk__str_map_add(cb->dict_map, cb->dict_offsets, cb->dict_bytes,
                                    cb->dict_size, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  *code = cb->dict_size;
  cb->dict_size++;
  return SEGKIT_OK;
}

/* Map every entry of a later batch's dictionary to the column's codes. */
static segkit_status merge_dictionary(sk_column_buf *cb, const batch_dict *d, uint32_t *map,
                                      segkit_error *err) {
  if (cb->dict_map == NULL) {
    segkit_status s = build_dict_map(cb, err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  for (uint32_t i = 0; i < d->size; i++) {
    size_t len = (size_t)(d->offsets[i + 1] - d->offsets[i] - 1);
    segkit_status s = intern(cb, d->bytes + d->offsets[i], len, &map[i], err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

/* Check (and, with a map, translate) the codes of rows [at, at + n): a valid row's code
 * must index the batch dictionary; null rows get code 0. */
static bool fix_codes(sk_column_buf *cb, size_t at, size_t n, uint32_t local_size,
                      const uint32_t *map) {
  uint32_t *codes = cb->data;
  for (size_t i = at; i < at + n; i++) {
    if (!bit_is_set(cb->validity, i)) {
      codes[i] = 0;
      continue;
    }
    if (codes[i] >= local_size) {
      return false;
    }
    if (map != NULL) {
      codes[i] = map[codes[i]];
    }
  }
  return true;
}

/* The first batch's dictionary becomes the column's as it is, with no hashing. */
static void adopt_dictionary(sk_column_buf *cb, batch_dict *d) {
  free(cb->dict_offsets);
  free(cb->dict_bytes);
  cb->dict_offsets = d->offsets;
  cb->dict_offsets_cap = (size_t)d->size + 1;
  cb->dict_bytes = d->bytes;
  cb->dict_bytes_cap = d->n_bytes > 0 ? d->n_bytes : 1;
  cb->dict_size = d->size;
  memset(d, 0, sizeof *d);
}

static segkit_status finish_strings(chunk_reader *r, sk_column_buf *cb, size_t at,
                                    size_t n, bool first, batch_dict *d, segkit_error *err) {
  uint32_t local_size = d->size;
  uint32_t *map = NULL;
  segkit_status s = SEGKIT_OK;
  if (first) {
    adopt_dictionary(cb, d);
  } else {
    map = malloc((local_size > 0 ? local_size : 1) * sizeof *map);
    s = map == NULL ? segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory merging")
                    : merge_dictionary(cb, d, map, err);
  }
  if (s == SEGKIT_OK && !fix_codes(cb, at, n, local_size, map)) {
    s = damaged(err, r->batch_id, r->position, "a string code outside its dictionary");
  }
  free(map);
  return s;
}

segkit_status sk__read_batch_column(sqlite3 *db, int64_t batch_id, size_t position,
                                    size_t batch_rows, sk_column_buf *cb, segkit_error *err) {
  if (batch_rows > cb->cap_rows - cb->n_rows) {
    return damaged(err, batch_id, position, "more rows than the dataset records");
  }
  chunk_reader r = {.db = db, .batch_id = batch_id, .position = position};
  batch_dict dict = {0};
  chunk_ref *refs = NULL;
  size_t n_refs = 0;
  size_t at = cb->n_rows;
  /* First batch with rows: its dictionary is adopted as is. */
  bool first_strings = cb->type == SEGKIT_TYPE_STRING && cb->n_rows == 0;
  segkit_status s = SEGKIT_OK;
  if (cb->type == SEGKIT_TYPE_STRING) {
    s = read_dictionary(&r, &dict, err);
  }
  if (s == SEGKIT_OK) {
    s = list_chunks(db, batch_id, position, &refs, &n_refs, err);
  }
  if (s == SEGKIT_OK) {
    s = read_chunks(&r, refs, n_refs, batch_rows, cb, err);
  }
  if (s == SEGKIT_OK && cb->type == SEGKIT_TYPE_STRING) {
    s = finish_strings(&r, cb, at, batch_rows, first_strings, &dict, err);
  }
  if (s == SEGKIT_OK) {
    cb->n_rows += batch_rows;
  }
  batch_dict_free(&dict);
  free(refs);
  free(r.scratch);
  sqlite3_blob_close(r.data_blob);
  sqlite3_blob_close(r.validity_blob);
  return s;
}
