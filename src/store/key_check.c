/* Key column rules of an import: the new rows' keys are present and unique, and which
 * stored rows have a key that the new rows bring again (UPSERT replaces them, APPEND
 * refuses them).
 *
 * Key design choice: nothing is hashed per row unless it has to be. Integer keys are
 * checked for uniqueness by one pass when they are strictly increasing (ids usually
 * are), else by a radix sort of a copy: for 20 M keys that is a fraction of a second,
 * where a hash map of 20 M entries costs seconds of cache misses. A string key column
 * is dictionary-encoded with distinct entries, so two rows share a key exactly when they
 * share a code: uniqueness is an array indexed by code. Stored keys are matched against
 * the new batch only (memory follows the import, not the dataset): integers first by
 * the new keys' range, which settles the common append of increasing ids with no
 * lookup, then through a hash map of the new keys; strings per distinct stored string
 * (one lookup per dictionary entry), then per row through an array. Error messages name
 * the key value and both row numbers, so a user can find the offending rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "store/store_int.h"

struct sk_key_index {
  const segkit_column *col;   /* the new batch's key column (borrowed) */
  segkit_type type;
  const char *key_name;
  sk_i64_map *ints;           /* int-like: key -> row, built when stored keys are probed */
  int64_t min;                /* int-like: range of the new keys */
  int64_t max;
  int64_t *first_row;         /* STRING: code -> first row with it, -1 if none */
  sk_str_map *strings;        /* STRING: the new dictionary, built when first probed */
};

bool sk__key_type_ok(segkit_type t) {
  return t == SEGKIT_TYPE_INT64 || t == SEGKIT_TYPE_STRING || t == SEGKIT_TYPE_TIMESTAMP ||
         t == SEGKIT_TYPE_DATE;
}

/* Integer value of row i of an int-like column (int64, timestamp, date). */
static int64_t int_key(const void *values, segkit_type t, size_t i) {
  if (t == SEGKIT_TYPE_DATE) {
    return ((const int32_t *)values)[i];
  }
  return ((const int64_t *)values)[i];
}

static const void *int_values(const segkit_column *c) {
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_INT64:
    return segkit_column_int64(c);
  case SEGKIT_TYPE_TIMESTAMP:
    return segkit_column_timestamp(c);
  case SEGKIT_TYPE_DATE:
    return segkit_column_date(c);
  default:
    return NULL;
  }
}

/* A key value for messages: numbers as numbers, times in ISO 8601, strings quoted with
 * unprintable bytes escaped and long ones cut. */
static void describe_int(segkit_type t, int64_t v, char *buf, size_t size) {
  if (t == SEGKIT_TYPE_TIMESTAMP) {
    segkit_format_timestamp(v, buf, size);
  } else if (t == SEGKIT_TYPE_DATE) {
    segkit_format_date((int32_t)v, buf, size);
  } else {
    snprintf(buf, size, "%lld", (long long)v);
  }
}

static void describe_bytes(const char *s, size_t len, char *buf, size_t size) {
  size_t o = 0;
  buf[o++] = '\'';
  for (size_t i = 0; i < len && o + 8 < size; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (o + 12 >= size || i >= 60) {
      memcpy(buf + o, "...", 3);
      o += 3;
      break;
    }
    if (ch < 0x20 || ch == 0x7F || ch == '\'' || ch == '\\') {
      o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
    } else {
      buf[o++] = (char)ch;
    }
  }
  buf[o++] = '\'';
  buf[o] = '\0';
}

static void describe_new_key(const sk_key_index *ki, size_t row, char *buf, size_t size) {
  if (ki->type == SEGKIT_TYPE_STRING) {
    size_t len = 0;
    const char *s = segkit_column_dict_value(ki->col, segkit_column_codes(ki->col)[row], &len);
    describe_bytes(s != NULL ? s : "", s != NULL ? len : 0, buf, size);
    return;
  }
  describe_int(ki->type, int_key(int_values(ki->col), ki->type, row), buf, size);
}

/* ======================================================================================
 * The new batch
 * ==================================================================================== */

static segkit_status null_key(const char *key_name, size_t row, segkit_error *err) {
  return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, key_name,
                             "key column '%s' is empty in row %zu of the imported data "
                             "(every row needs a key)",
                             key_name, row + 1);
}

static segkit_status duplicate_key(const sk_key_index *ki, size_t first, size_t second,
                                   segkit_error *err) {
  char value[160];
  describe_new_key(ki, second, value, sizeof value);
  return segkit_error_set_at(err, SEGKIT_ERR_EXISTS, NULL, 0, 0, ki->key_name,
                             "duplicate key %s in rows %zu and %zu of the imported data "
                             "(key column '%s')",
                             value, first + 1, second + 1, ki->key_name);
}

/* ---- integer uniqueness ---------------------------------------------------------- */

/* Sort n values ascending with an LSD radix sort on bytes, skipping the bytes in which
 * every value agrees (ids below 2^32 need four passes, not eight). Values are unsigned
 * here; callers flip the sign bit so signed order is kept. Returns whichever of a and
 * tmp holds the result. */
static uint64_t *radix_sort(uint64_t *a, uint64_t *tmp, size_t n) {
  size_t counts[8][256]; /* 16 KiB; on the stack, so imports on several threads are safe */
  memset(counts, 0, sizeof counts);
  for (size_t i = 0; i < n; i++) {
    uint64_t v = a[i];
    for (unsigned d = 0; d < 8; d++) {
      counts[d][(v >> (8 * d)) & 0xFF]++;
    }
  }
  for (unsigned d = 0; d < 8; d++) {
    if (counts[d][(a[0] >> (8 * d)) & 0xFF] == n) {
      continue;
    }
    size_t offset = 0;
    for (unsigned b = 0; b < 256; b++) {
      size_t c = counts[d][b];
      counts[d][b] = offset;
      offset += c;
    }
    for (size_t i = 0; i < n; i++) {
      tmp[counts[d][(a[i] >> (8 * d)) & 0xFF]++] = a[i];
    }
    uint64_t *swap = a;
    a = tmp;
    tmp = swap;
  }
  return a;
}

static uint64_t sortable(int64_t v) {
  return (uint64_t)v ^ (UINT64_C(1) << 63);
}

/* Whether n integer keys hold a repeated value; if so *dup is the smallest such value.
 * Also their range. Keys are all valid (nulls were refused before). */
static segkit_status int_keys_repeat(const void *values, segkit_type t, size_t n, bool *repeat,
                                     int64_t *dup, int64_t *min, int64_t *max,
                                     segkit_error *err) {
  *repeat = false;
  *min = INT64_MAX;
  *max = INT64_MIN;
  if (n == 0) {
    return SEGKIT_OK;
  }
  bool increasing = true;
  for (size_t i = 0; i < n; i++) {
    int64_t v = int_key(values, t, i);
    increasing = increasing && (i == 0 || v > int_key(values, t, i - 1));
    *min = v < *min ? v : *min;
    *max = v > *max ? v : *max;
  }
  if (increasing) {
    return SEGKIT_OK;
  }
  uint64_t *a = malloc(n * sizeof *a);
  uint64_t *tmp = malloc(n * sizeof *tmp);
  if (a == NULL || tmp == NULL) {
    free(a);
    free(tmp);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory checking %zu keys", n);
  }
  for (size_t i = 0; i < n; i++) {
    a[i] = sortable(int_key(values, t, i));
  }
  const uint64_t *sorted = radix_sort(a, tmp, n);
  for (size_t i = 1; i < n; i++) {
    if (sorted[i] == sorted[i - 1]) {
      *repeat = true;
      *dup = (int64_t)(sorted[i] ^ (UINT64_C(1) << 63));
      break;
    }
  }
  free(a);
  free(tmp);
  return SEGKIT_OK;
}

/* The first two rows holding key v (the caller knows there are two). */
static void rows_of_int(const void *values, segkit_type t, size_t n, int64_t v, size_t *first,
                        size_t *second) {
  bool seen = false;
  for (size_t i = 0; i < n; i++) {
    if (int_key(values, t, i) != v) {
      continue;
    }
    if (seen) {
      *second = i;
      return;
    }
    *first = i;
    seen = true;
  }
}

/* First null row of a column, or SIZE_MAX. */
static size_t first_null(const segkit_column *c) {
  if (segkit_column_null_count(c) == 0) {
    return SIZE_MAX;
  }
  size_t n = segkit_column_n_rows(c);
  for (size_t i = 0; i < n; i++) {
    if (!segkit_column_is_valid(c, i)) {
      return i;
    }
  }
  return SIZE_MAX;
}

static segkit_status build_int(sk_key_index *ki, segkit_error *err) {
  size_t n = segkit_column_n_rows(ki->col);
  const void *values = int_values(ki->col);
  size_t null_row = first_null(ki->col);
  if (null_row != SIZE_MAX) {
    return null_key(ki->key_name, null_row, err);
  }
  bool repeat = false;
  int64_t dup = 0;
  segkit_status s = int_keys_repeat(values, ki->type, n, &repeat, &dup, &ki->min, &ki->max, err);
  if (s != SEGKIT_OK || !repeat) {
    return s;
  }
  size_t first = 0;
  size_t second = 0;
  rows_of_int(values, ki->type, n, dup, &first, &second);
  return duplicate_key(ki, first, second, err);
}

/* The hash map of the new keys, for probing stored keys that fall in their range. */
static segkit_status index_new_ints(sk_key_index *ki, segkit_error *err) {
  if (ki->ints != NULL) {
    return SEGKIT_OK;
  }
  size_t n = segkit_column_n_rows(ki->col);
  const void *values = int_values(ki->col);
  segkit_status s = sk__i64_map_new(n, &ki->ints, err);
  for (size_t i = 0; s == SEGKIT_OK && i < n; i++) {
    bool inserted = false;
    int64_t prev = 0;
    s = sk__i64_map_insert(ki->ints, int_key(values, ki->type, i), (int64_t)i, &inserted, &prev,
                           err);
  }
  return s;
}

static segkit_status build_string(sk_key_index *ki, segkit_error *err) {
  size_t n = segkit_column_n_rows(ki->col);
  uint32_t dict_size = segkit_column_dict_size(ki->col);
  const uint32_t *codes = segkit_column_codes(ki->col);
  ki->first_row = malloc((dict_size > 0 ? dict_size : 1) * sizeof *ki->first_row);
  if (ki->first_row == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a key index");
  }
  for (uint32_t c = 0; c < dict_size; c++) {
    ki->first_row[c] = -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (!segkit_column_is_valid(ki->col, i)) {
      return null_key(ki->key_name, i, err);
    }
    uint32_t c = codes[i];
    if (ki->first_row[c] >= 0) {
      return duplicate_key(ki, (size_t)ki->first_row[c], i, err);
    }
    ki->first_row[c] = (int64_t)i;
  }
  return SEGKIT_OK;
}

segkit_status sk__key_index_build(const segkit_table *t, size_t key_col, sk_key_index **out,
                                  segkit_error *err) {
  sk_key_index *ki = calloc(1, sizeof *ki);
  if (ki == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a key index");
  }
  ki->col = segkit_table_column(t, key_col);
  ki->type = segkit_column_type(ki->col);
  ki->key_name = segkit_column_name(ki->col);
  segkit_status s = ki->type == SEGKIT_TYPE_STRING ? build_string(ki, err) : build_int(ki, err);
  if (s != SEGKIT_OK) {
    sk__key_index_free(ki);
    return s;
  }
  *out = ki;
  return SEGKIT_OK;
}

void sk__key_index_free(sk_key_index *ki) {
  if (ki == NULL) {
    return;
  }
  sk__i64_map_free(ki->ints);
  sk__str_map_free(ki->strings);
  free(ki->first_row);
  free(ki);
}

/* ======================================================================================
 * Stored rows
 * ==================================================================================== */

static bool stored_valid(const sk_column_buf *stored, size_t i) {
  return (stored->validity[i >> 6] >> (i & 63)) & 1;
}

/* New-batch row of a stored string, or -1. */
static int64_t new_row_of_string(sk_key_index *ki, const char *s, size_t len) {
  const uint64_t *off = NULL;
  const char *bytes = NULL;
  segkit_column_dict_arrays(ki->col, &off, &bytes);
  int64_t code = sk__str_map_find(ki->strings, off, bytes, s, len);
  return code < 0 ? -1 : ki->first_row[code];
}

static segkit_status index_new_dictionary(sk_key_index *ki, segkit_error *err) {
  if (ki->strings != NULL) {
    return SEGKIT_OK;
  }
  uint32_t dict_size = segkit_column_dict_size(ki->col);
  const uint64_t *off = NULL;
  const char *bytes = NULL;
  segkit_column_dict_arrays(ki->col, &off, &bytes);
  segkit_status s = sk__str_map_new(dict_size, &ki->strings, err);
  for (uint32_t c = 0; s == SEGKIT_OK && c < dict_size; c++) {
    s = sk__str_map_add(ki->strings, off, bytes, c, err);
  }
  return s;
}

static segkit_status match_strings(sk_key_index *ki, const sk_column_buf *stored,
                                   sk_key_match *m, segkit_error *err) {
  segkit_status s = index_new_dictionary(ki, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  int64_t *row_of = malloc((stored->dict_size > 0 ? stored->dict_size : 1) * sizeof *row_of);
  if (row_of == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory matching keys");
  }
  for (uint32_t g = 0; g < stored->dict_size; g++) {
    uint64_t a = stored->dict_offsets[g];
    size_t len = (size_t)(stored->dict_offsets[g + 1] - a - 1);
    row_of[g] = new_row_of_string(ki, stored->dict_bytes + a, len);
  }
  const uint32_t *codes = stored->data;
  for (size_t i = 0; i < stored->n_rows; i++) {
    if (!stored_valid(stored, i)) {
      continue;
    }
    int64_t r = row_of[codes[i]];
    if (r >= 0) {
      m->hit[i] = 1;
      if (m->n_hits == 0) {
        m->first_stored_row = (int64_t)i;
        m->first_new_row = r;
      }
      m->n_hits++;
    }
  }
  free(row_of);
  return SEGKIT_OK;
}

static segkit_status match_ints(sk_key_index *ki, const sk_column_buf *stored, sk_key_match *m,
                                segkit_error *err) {
  bool any_in_range = false;
  for (size_t i = 0; i < stored->n_rows && !any_in_range; i++) {
    int64_t v = int_key(stored->data, stored->type, i);
    any_in_range = stored_valid(stored, i) && v >= ki->min && v <= ki->max;
  }
  if (!any_in_range) {
    return SEGKIT_OK;
  }
  segkit_status s = index_new_ints(ki, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  for (size_t i = 0; i < stored->n_rows; i++) {
    int64_t v = int_key(stored->data, stored->type, i);
    int64_t r = 0;
    if (!stored_valid(stored, i) || v < ki->min || v > ki->max ||
        !sk__i64_map_find(ki->ints, v, &r)) {
      continue;
    }
    m->hit[i] = 1;
    if (m->n_hits == 0) {
      m->first_stored_row = (int64_t)i;
      m->first_new_row = r;
    }
    m->n_hits++;
  }
  return SEGKIT_OK;
}

segkit_status sk__key_index_match(sk_key_index *ki, const sk_column_buf *stored,
                                  sk_key_match *m, segkit_error *err) {
  memset(m, 0, sizeof *m);
  m->hit = calloc(stored->n_rows > 0 ? stored->n_rows : 1, 1);
  if (m->hit == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory matching keys");
  }
  if (stored->type != ki->type) {
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "key types differ");
  }
  if (ki->type == SEGKIT_TYPE_STRING) {
    return match_strings(ki, stored, m, err);
  }
  return match_ints(ki, stored, m, err);
}

segkit_status sk__key_already_stored(const sk_key_index *ki, const sk_key_match *m,
                                     const char *dataset, segkit_error *err) {
  char value[160];
  describe_new_key(ki, (size_t)m->first_new_row, value, sizeof value);
  return segkit_error_set_at(err, SEGKIT_ERR_EXISTS, NULL, 0, 0, ki->key_name,
                             "key %s in row %lld of the imported data is already in dataset "
                             "'%s' (%lld keys are; append only new keys, or upsert)",
                             value, (long long)m->first_new_row + 1, dataset,
                             (long long)m->n_hits);
}

/* ======================================================================================
 * Stored keys on their own (a key given for the first time to a dataset with rows)
 * ==================================================================================== */

static segkit_status stored_duplicate(const sk_column_buf *stored, const char *key_name,
                                      const char *dataset, size_t first, size_t second,
                                      segkit_error *err) {
  char value[160];
  if (stored->type == SEGKIT_TYPE_STRING) {
    uint32_t c = ((const uint32_t *)stored->data)[second];
    uint64_t a = stored->dict_offsets[c];
    describe_bytes(stored->dict_bytes + a, (size_t)(stored->dict_offsets[c + 1] - a - 1),
                   value, sizeof value);
  } else {
    describe_int(stored->type, int_key(stored->data, stored->type, second), value,
                 sizeof value);
  }
  return segkit_error_set_at(err, SEGKIT_ERR_EXISTS, NULL, 0, 0, key_name,
                             "cannot key dataset '%s' by '%s': stored rows %zu and %zu share "
                             "the key %s",
                             dataset, key_name, first + 1, second + 1, value);
}

segkit_status sk__stored_keys_unique(const sk_column_buf *stored, const char *key_name,
                                     const char *dataset, segkit_error *err) {
  for (size_t i = 0; i < stored->n_rows; i++) {
    if (!stored_valid(stored, i)) {
      return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, key_name,
                                 "cannot key dataset '%s' by '%s': stored row %zu has no key",
                                 dataset, key_name, i + 1);
    }
  }
  if (stored->type == SEGKIT_TYPE_STRING) {
    int64_t *first = malloc((stored->dict_size > 0 ? stored->dict_size : 1) * sizeof *first);
    if (first == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory checking keys");
    }
    for (uint32_t c = 0; c < stored->dict_size; c++) {
      first[c] = -1;
    }
    const uint32_t *codes = stored->data;
    segkit_status s = SEGKIT_OK;
    for (size_t i = 0; i < stored->n_rows && s == SEGKIT_OK; i++) {
      if (first[codes[i]] >= 0) {
        s = stored_duplicate(stored, key_name, dataset, (size_t)first[codes[i]], i, err);
      }
      first[codes[i]] = (int64_t)i;
    }
    free(first);
    return s;
  }
  bool repeat = false;
  int64_t dup = 0;
  int64_t min = 0;
  int64_t max = 0;
  segkit_status s = int_keys_repeat(stored->data, stored->type, stored->n_rows, &repeat, &dup,
                                    &min, &max, err);
  if (s != SEGKIT_OK || !repeat) {
    return s;
  }
  size_t first = 0;
  size_t second = 0;
  rows_of_int(stored->data, stored->type, stored->n_rows, dup, &first, &second);
  return stored_duplicate(stored, key_name, dataset, first, second, err);
}
