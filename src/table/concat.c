/* Concatenating tables: rows of parts[0], then parts[1], ... in one new table.
 *
 * Key design choice: string dictionaries are merged, not the strings re-interned row
 * by row. The result starts from a copy of part 0's dictionary (so part 0's codes are
 * kept and copied with memcpy), each later part's dictionary is interned into it once,
 * giving a remap array old code -> new code, and the part's codes go through the remap
 * in one pass. The work is proportional to the dictionary sizes plus one pass over the
 * codes, whatever the number of rows per distinct string. Result codes follow the order
 * of first appearance across the parts' dictionaries: part 0's entries in its order,
 * then each later part's entries not seen before; for builder-made parts, whose
 * dictionaries are in order of first appearance in their rows, that is the order of
 * first appearance across the rows. */
#include <stdlib.h>
#include <string.h>

#include "table/table_int.h"

/* ---- schema --------------------------------------------------------------------------- */

static segkit_status check_parts(const segkit_table *const *parts, size_t n_parts,
                                 size_t *total_rows, segkit_error *err) {
  if (parts == NULL || n_parts == 0) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "concat needs at least one table");
  }
  const segkit_table *first = parts[0];
  size_t total = 0;
  for (size_t p = 0; p < n_parts; p++) {
    const segkit_table *t = parts[p];
    if (t == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "part %zu is NULL", p);
    }
    if (t->n_cols != first->n_cols) {
      return segkit_error_set(err, SEGKIT_ERR_SCHEMA,
                              "part %zu has %zu columns (expected %zu as in part 0)", p,
                              t->n_cols, first->n_cols);
    }
    for (size_t j = 0; j < t->n_cols; j++) {
      const sk__col *want = &first->cols[j].col;
      const sk__col *got = &t->cols[j].col;
      if (strcmp(want->name, got->name) != 0) {
        return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, want->name,
                                   "part %zu has column '%s' at position %zu (expected '%s' "
                                   "as in part 0)",
                                   p, got->name, j + 1, want->name);
      }
      if (want->type != got->type) {
        return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, want->name,
                                   "part %zu has type %s (expected %s as in part 0)", p,
                                   segkit_type_name(got->type), segkit_type_name(want->type));
      }
    }
    if (t->n_rows > SIZE_MAX - total) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "row count overflows");
    }
    total += t->n_rows;
  }
  *total_rows = total;
  return SEGKIT_OK;
}

/* ---- bitmaps -------------------------------------------------------------------------- */

/* OR n bits of src (from bit 0) into dst at bit offset `at`. dst is zero there, and is
 * allocated for at + n bits; src bits past n are 0 (table invariant), masked anyway. */
static void bitmap_append(uint64_t *dst, size_t at, const uint64_t *src, size_t n) {
  size_t shift = at % 64;
  uint64_t *out = dst + at / 64;
  size_t words = (n + 63) / 64;
  for (size_t w = 0; w < words; w++) {
    uint64_t word = src[w];
    if (w == words - 1 && n % 64 != 0) {
      word &= (UINT64_C(1) << (n % 64)) - 1;
    }
    out[w] |= word << shift;
    /* Bits that spill into the next word exist only if rows are there, so the write
     * stays inside dst. */
    if (shift != 0 && (word >> (64 - shift)) != 0) {
      out[w + 1] |= word >> (64 - shift);
    }
  }
}

/* ---- columns -------------------------------------------------------------------------- */

static void copy_fixed(sk__col *dst, const segkit_table *const *parts, size_t n_parts,
                       size_t j) {
  size_t elem = sk__type_size(dst->type);
  size_t at = 0;
  for (size_t p = 0; p < n_parts; p++) {
    const sk__col *src = &parts[p]->cols[j].col;
    if (src->n_rows > 0) {
      memcpy((char *)dst->data + at * elem, src->data, src->n_rows * elem);
    }
    at += src->n_rows;
  }
}

/* Intern every entry of src into dst; remap[old code] = new code. */
static segkit_status merge_dict(sk__dict *dst, const sk__dict *src, uint32_t *remap) {
  for (uint32_t code = 0; code < src->count; code++) {
    uint64_t start = src->offsets[code];
    size_t len = (size_t)(src->offsets[code + 1] - start - 1);
    const char *s = src->bytes + start;
    segkit_status st = sk__dict_intern_hashed(dst, s, len, sk__dict_hash(dst, s, len),
                                              &remap[code]);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  return SEGKIT_OK;
}

/* codes through remap; null rows (bit 0) get code 0 without a branch. */
static void remap_codes(uint32_t *out, const sk__col *src, const uint32_t *remap) {
  const uint32_t *in = src->data;
  const uint64_t *valid = src->validity;
  for (size_t i = 0; i < src->n_rows; i++) {
    uint32_t bit = (uint32_t)(valid[i / 64] >> (i % 64)) & 1;
    out[i] = remap[in[i]] & (0u - bit);
  }
}

static segkit_status merge_strings(sk__col *dst, const segkit_table *const *parts,
                                   size_t n_parts, size_t j, segkit_error *err) {
  const sk__col *first = &parts[0]->cols[j].col;
  segkit_status st = sk__dict_clone(&dst->dict, &first->dict);
  if (st != SEGKIT_OK) {
    return segkit_error_set_at(err, st, NULL, 0, 0, dst->name, "out of memory merging "
                               "dictionaries");
  }
  uint32_t *codes = dst->data;
  if (first->n_rows > 0) {
    memcpy(codes, first->data, first->n_rows * sizeof *codes);
  }
  size_t at = first->n_rows;
  for (size_t p = 1; p < n_parts; p++) {
    const sk__col *src = &parts[p]->cols[j].col;
    /* calloc: an empty dictionary still has remap[0] = 0 for its (null) rows. */
    uint32_t *remap = calloc(src->dict.count > 0 ? src->dict.count : 1, sizeof *remap);
    st = remap == NULL ? SEGKIT_ERR_NOMEM : merge_dict(&dst->dict, &src->dict, remap);
    if (st == SEGKIT_OK) {
      remap_codes(codes + at, src, remap);
    }
    free(remap);
    if (st != SEGKIT_OK) {
      return segkit_error_set_at(err, st, NULL, 0, 0, dst->name,
                                 st == SEGKIT_ERR_LIMIT ? "merged dictionary has too many "
                                                          "entries"
                                                        : "out of memory merging "
                                                          "dictionaries");
    }
    at += src->n_rows;
  }
  sk__dict_shrink(&dst->dict);
  return SEGKIT_OK;
}

static segkit_status concat_column(sk__col *dst, const segkit_table *const *parts,
                                   size_t n_parts, size_t j, size_t total, segkit_error *err) {
  const sk__col *first = &parts[0]->cols[j].col;
  segkit_status st = sk__col_alloc(dst, first->name, first->type, total, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  size_t at = 0;
  for (size_t p = 0; p < n_parts; p++) {
    const sk__col *src = &parts[p]->cols[j].col;
    bitmap_append(dst->validity, at, src->validity, src->n_rows);
    dst->null_count += src->null_count;
    at += src->n_rows;
  }
  if (first->type == SEGKIT_TYPE_STRING) {
    return merge_strings(dst, parts, n_parts, j, err);
  }
  copy_fixed(dst, parts, n_parts, j);
  return SEGKIT_OK;
}

segkit_status segkit_table_concat(const segkit_table *const *parts, size_t n_parts,
                                  segkit_table **out, segkit_error *err) {
  size_t total = 0;
  segkit_status st = check_parts(parts, n_parts, &total, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  size_t n_cols = parts[0]->n_cols;
  segkit_table *t = sk__table_alloc(n_cols, total);
  if (t == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory concatenating tables");
  }
  for (size_t j = 0; j < n_cols; j++) {
    st = concat_column(&t->cols[j].col, parts, n_parts, j, total, err);
    if (st != SEGKIT_OK) {
      segkit_table_free(t);
      return st;
    }
  }
  *out = t;
  return SEGKIT_OK;
}
