/* Tables: types, builders and appends of every type, nulls and the validity bitmap,
 * string dictionaries, truncate, finish, memory, and a 1 M-row build checked value by
 * value against a straightforward re-computation from the same generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/table.h"
#include "table/table_int.h"

/* splitmix64: a tiny deterministic generator. */
static uint64_t next_random(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static segkit_table_builder *new_builder(size_t n, const char *const *names,
                                         const segkit_type *types) {
  segkit_table_builder *b = NULL;
  segkit_error err;
  segkit_status st = segkit_table_builder_new(n, names, types, &b, &err);
  if (st != SEGKIT_OK) {
    fail_msg("builder_new: %s", err.message);
  }
  return b;
}

static segkit_table *finish(segkit_table_builder *b) {
  segkit_table *t = NULL;
  segkit_error err;
  if (segkit_table_builder_finish(b, &t, &err) != SEGKIT_OK) {
    fail_msg("finish: %s", err.message);
  }
  return t;
}

/* ---- types ---------------------------------------------------------------------------- */

static void table_type_names_and_parse(void **state) {
  (void)state;
  const char *names[] = {"int64", "float64", "bool", "timestamp", "date", "string"};
  for (int t = 0; t < SEGKIT_TYPE_COUNT; t++) {
    assert_string_equal(segkit_type_name((segkit_type)t), names[t]);
    segkit_type parsed;
    assert_int_equal(segkit_type_parse(names[t], &parsed, NULL), SEGKIT_OK);
    assert_int_equal(parsed, t);
  }
  assert_string_equal(segkit_type_name(SEGKIT_TYPE_COUNT), "unknown");
  const struct {
    const char *alias;
    segkit_type type;
  } aliases[] = {{"INT", SEGKIT_TYPE_INT64},         {"Integer", SEGKIT_TYPE_INT64},
                 {"float", SEGKIT_TYPE_FLOAT64},     {"DOUBLE", SEGKIT_TYPE_FLOAT64},
                 {"number", SEGKIT_TYPE_FLOAT64},    {"Boolean", SEGKIT_TYPE_BOOL},
                 {"DateTime", SEGKIT_TYPE_TIMESTAMP}, {"TEXT", SEGKIT_TYPE_STRING},
                 {"str", SEGKIT_TYPE_STRING},        {"Date", SEGKIT_TYPE_DATE}};
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
    segkit_type parsed;
    assert_int_equal(segkit_type_parse(aliases[i].alias, &parsed, NULL), SEGKIT_OK);
    assert_int_equal(parsed, aliases[i].type);
  }
  segkit_error err;
  segkit_type parsed = SEGKIT_TYPE_DATE;
  assert_int_equal(segkit_type_parse("int 64", &parsed, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "int 64"));
  assert_int_equal(parsed, SEGKIT_TYPE_DATE);
  assert_int_equal(segkit_type_parse("", &parsed, NULL), SEGKIT_ERR_USAGE);
}

/* ---- round trips ---------------------------------------------------------------------- */

static const char *const all_names[] = {"i", "f", "b", "ts", "d", "s"};
static const segkit_type all_types[] = {SEGKIT_TYPE_INT64,     SEGKIT_TYPE_FLOAT64,
                                        SEGKIT_TYPE_BOOL,      SEGKIT_TYPE_TIMESTAMP,
                                        SEGKIT_TYPE_DATE,      SEGKIT_TYPE_STRING};

static void table_round_trip_every_type(void **state) {
  (void)state;
  segkit_table_builder *b = new_builder(6, all_names, all_types);
  assert_int_equal(segkit_table_builder_n_cols(b), 6);
  const int64_t ints[] = {0, -1, INT64_MIN, INT64_MAX, 42};
  const double floats[] = {0.0, -0.0, 1.5, INFINITY, -1e300};
  const bool bools[] = {true, false, true, true, false};
  const int64_t stamps[] = {0, -1, INT64_C(1709626272000000), INT64_MIN, INT64_MAX};
  const int32_t dates[] = {0, -719162, 2932896, INT32_MIN, INT32_MAX};
  const char *strs[] = {"alpha", "beta", "alpha", "", "gamma"};
  segkit_column_builder *col[6];
  for (size_t j = 0; j < 6; j++) {
    col[j] = segkit_table_builder_column(b, j);
  }
  for (size_t r = 0; r < 5; r++) {
    assert_int_equal(segkit_column_append_int64(col[0], ints[r]), 0);
    assert_int_equal(segkit_column_append_float64(col[1], floats[r]), 0);
    assert_int_equal(segkit_column_append_bool(col[2], bools[r]), 0);
    assert_int_equal(segkit_column_append_int64(col[3], stamps[r]), 0);
    assert_int_equal(segkit_column_append_date(col[4], dates[r]), 0);
    assert_int_equal(segkit_column_append_string(col[5], strs[r], strlen(strs[r])), 0);
  }
  assert_null(segkit_table_builder_column(b, 6));
  assert_int_equal(segkit_column_builder_n_rows(segkit_table_builder_column(b, 5)), 5);
  assert_int_equal(segkit_column_builder_type(segkit_table_builder_column(b, 3)),
                   SEGKIT_TYPE_TIMESTAMP);
  segkit_table *t = finish(b);
  assert_int_equal(segkit_table_n_rows(t), 5);
  assert_int_equal(segkit_table_n_cols(t), 6);
  for (size_t j = 0; j < 6; j++) {
    const segkit_column *c = segkit_table_column(t, j);
    assert_string_equal(segkit_column_name(c), all_names[j]);
    assert_int_equal(segkit_column_type(c), all_types[j]);
    assert_int_equal(segkit_column_n_rows(c), 5);
    assert_int_equal(segkit_column_null_count(c), 0);
    assert_int_equal(segkit_column_validity(c)[0], 0x1f);
    assert_int_equal(segkit_table_column_index(t, all_names[j]), (long)j);
  }
  assert_null(segkit_table_column(t, 6));
  assert_int_equal(segkit_table_column_index(t, "nope"), -1);
  assert_int_equal(segkit_table_column_index(t, "I"), -1); /* exact, case-sensitive */

  const segkit_column *ci = segkit_table_column(t, 0);
  const segkit_column *cf = segkit_table_column(t, 1);
  const segkit_column *cb = segkit_table_column(t, 2);
  const segkit_column *ct = segkit_table_column(t, 3);
  const segkit_column *cd = segkit_table_column(t, 4);
  const segkit_column *cs = segkit_table_column(t, 5);
  for (size_t r = 0; r < 5; r++) {
    assert_true(segkit_column_int64(ci)[r] == ints[r]);
    assert_memory_equal(&segkit_column_float64(cf)[r], &floats[r], sizeof(double));
    assert_int_equal(segkit_column_bool(cb)[r], bools[r] ? 1 : 0);
    assert_true(segkit_column_timestamp(ct)[r] == stamps[r]);
    assert_int_equal(segkit_column_date(cd)[r], dates[r]);
    size_t len;
    const char *v = segkit_column_dict_value(cs, segkit_column_codes(cs)[r], &len);
    assert_int_equal(len, strlen(strs[r]));
    assert_memory_equal(v, strs[r], len);
  }
  /* Typed getters refuse other types. */
  assert_null(segkit_column_float64(ci));
  assert_null(segkit_column_timestamp(ci));
  assert_null(segkit_column_int64(ct));
  assert_null(segkit_column_codes(cd));
  assert_null(segkit_column_bool(cs));
  assert_null(segkit_column_date(cb));
  assert_int_equal(segkit_column_dict_size(ci), 0);
  assert_null(segkit_column_dict_value(ci, 0, NULL));
  assert_int_equal(segkit_column_dict_find(ci, "alpha", 5), -1);
  segkit_table_free(t);
}

static void table_append_wrong_type(void **state) {
  (void)state;
  segkit_table_builder *b = new_builder(6, all_names, all_types);
  segkit_column_builder *ci = segkit_table_builder_column(b, 0);
  segkit_column_builder *cf = segkit_table_builder_column(b, 1);
  segkit_column_builder *cb = segkit_table_builder_column(b, 2);
  segkit_column_builder *ct = segkit_table_builder_column(b, 3);
  segkit_column_builder *cd = segkit_table_builder_column(b, 4);
  segkit_column_builder *cs = segkit_table_builder_column(b, 5);
  assert_int_equal(segkit_column_append_float64(ci, 1.0), SEGKIT_ERR_TYPE);
  assert_int_equal(segkit_column_append_string(ci, "1", 1), SEGKIT_ERR_TYPE);
  assert_int_equal(segkit_column_append_int64(cf, 1), SEGKIT_ERR_TYPE);
  assert_int_equal(segkit_column_append_date(cb, 1), SEGKIT_ERR_TYPE);
  assert_int_equal(segkit_column_append_float64(ct, 1.0), SEGKIT_ERR_TYPE);
  assert_int_equal(segkit_column_append_int64(cd, 1), SEGKIT_ERR_TYPE);
  assert_int_equal(segkit_column_append_bool(cs, true), SEGKIT_ERR_TYPE);
  for (size_t j = 0; j < 6; j++) {
    assert_int_equal(segkit_column_builder_n_rows(segkit_table_builder_column(b, j)), 0);
  }
  /* The builder is unaffected: a normal row still goes in. */
  assert_int_equal(segkit_column_append_int64(ct, 5), SEGKIT_OK);
  assert_int_equal(segkit_column_builder_n_rows(ct), 1);
  segkit_table_builder_free(b);
}

/* ---- nulls ---------------------------------------------------------------------------- */

static void table_nulls_every_type(void **state) {
  (void)state;
  segkit_table_builder *b = new_builder(6, all_names, all_types);
  /* Rows: value, null, value, null, null. */
  for (size_t j = 0; j < 6; j++) {
    segkit_column_builder *c = segkit_table_builder_column(b, j);
    for (size_t r = 0; r < 5; r++) {
      segkit_status st;
      if (r == 1 || r >= 3) {
        st = segkit_column_append_null(c);
      } else {
        switch (all_types[j]) {
        case SEGKIT_TYPE_INT64:
        case SEGKIT_TYPE_TIMESTAMP:
          st = segkit_column_append_int64(c, 7);
          break;
        case SEGKIT_TYPE_FLOAT64:
          st = segkit_column_append_float64(c, 7.5);
          break;
        case SEGKIT_TYPE_BOOL:
          st = segkit_column_append_bool(c, true);
          break;
        case SEGKIT_TYPE_DATE:
          st = segkit_column_append_date(c, 7);
          break;
        default:
          st = segkit_column_append_string(c, "seven", 5);
          break;
        }
      }
      assert_int_equal(st, SEGKIT_OK);
    }
  }
  segkit_table *t = finish(b);
  for (size_t j = 0; j < 6; j++) {
    const segkit_column *c = segkit_table_column(t, j);
    assert_int_equal(segkit_column_null_count(c), 3);
    assert_int_equal(segkit_column_validity(c)[0], 0x5); /* rows 0 and 2 */
    assert_true(segkit_column_is_valid(c, 0));
    assert_false(segkit_column_is_valid(c, 1));
    assert_true(segkit_column_is_valid(c, 2));
    assert_false(segkit_column_is_valid(c, 4));
    assert_false(segkit_column_is_valid(c, 5));   /* past the end */
    assert_false(segkit_column_is_valid(c, 999)); /* far past the end */
  }
  /* Null slots hold 0. */
  for (size_t r = 1; r < 5; r += (r == 1 ? 2 : 1)) {
    assert_true(segkit_column_int64(segkit_table_column(t, 0))[r] == 0);
    assert_true(segkit_column_float64(segkit_table_column(t, 1))[r] == 0.0);
    assert_int_equal(segkit_column_bool(segkit_table_column(t, 2))[r], 0);
    assert_true(segkit_column_timestamp(segkit_table_column(t, 3))[r] == 0);
    assert_int_equal(segkit_column_date(segkit_table_column(t, 4))[r], 0);
    assert_int_equal(segkit_column_codes(segkit_table_column(t, 5))[r], 0);
  }
  assert_int_equal(segkit_column_dict_size(segkit_table_column(t, 5)), 1);
  segkit_table_free(t);
}

/* Rows 0..n-1 valid unless i % 3 == 1; bitmap words compared with ones built bit by bit,
 * including that bits past n are 0, for sizes around the 64-bit word boundaries. */
static void table_validity_word_boundaries(void **state) {
  (void)state;
  const size_t sizes[] = {1, 63, 64, 65, 127, 128, 129, 200};
  const char *names[] = {"x"};
  const segkit_type types[] = {SEGKIT_TYPE_INT64};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t n = sizes[k];
    segkit_table_builder *b = new_builder(1, names, types);
    segkit_column_builder *c = segkit_table_builder_column(b, 0);
    uint64_t expect[4] = {0, 0, 0, 0};
    size_t nulls = 0;
    for (size_t i = 0; i < n; i++) {
      if (i % 3 == 1) {
        assert_int_equal(segkit_column_append_null(c), SEGKIT_OK);
        nulls++;
      } else {
        assert_int_equal(segkit_column_append_int64(c, (int64_t)i), SEGKIT_OK);
        expect[i / 64] |= UINT64_C(1) << (i % 64);
      }
    }
    segkit_table *t = finish(b);
    const segkit_column *col = segkit_table_column(t, 0);
    const uint64_t *v = segkit_column_validity(col);
    for (size_t w = 0; w < (n + 63) / 64; w++) {
      if (v[w] != expect[w]) {
        fail_msg("n=%zu word %zu: %llx != %llx", n, w, (unsigned long long)v[w],
                 (unsigned long long)expect[w]);
      }
    }
    assert_int_equal(segkit_column_null_count(col), nulls);
    for (size_t i = 0; i < n; i++) {
      assert_int_equal(segkit_column_is_valid(col, i), i % 3 != 1);
      assert_true(segkit_column_int64(col)[i] == (i % 3 == 1 ? 0 : (int64_t)i));
    }
    segkit_table_free(t);
  }
}

/* ---- dictionaries --------------------------------------------------------------------- */

static void table_dict_dedupe_and_lookup(void **state) {
  (void)state;
  const char *names[] = {"s"};
  const segkit_type types[] = {SEGKIT_TYPE_STRING};
  segkit_table_builder *b = new_builder(1, names, types);
  segkit_column_builder *c = segkit_table_builder_column(b, 0);
  const char *in[] = {"ab", "cd", "ab", "", "e", "cd", ""};
  for (size_t i = 0; i < 7; i++) {
    assert_int_equal(segkit_column_append_string(c, in[i], strlen(in[i])), SEGKIT_OK);
  }
  segkit_table *t = finish(b);
  const segkit_column *col = segkit_table_column(t, 0);
  const uint32_t want_codes[] = {0, 1, 0, 2, 3, 1, 2}; /* order of first appearance */
  assert_memory_equal(segkit_column_codes(col), want_codes, sizeof want_codes);
  assert_int_equal(segkit_column_dict_size(col), 4);
  const char *entries[] = {"ab", "cd", "", "e"};
  for (uint32_t k = 0; k < 4; k++) {
    size_t len = 99;
    const char *v = segkit_column_dict_value(col, k, &len);
    assert_int_equal(len, strlen(entries[k]));
    assert_string_equal(v, entries[k]); /* NUL-terminated */
    assert_int_equal(segkit_column_dict_find(col, entries[k], strlen(entries[k])), k);
  }
  assert_null(segkit_column_dict_value(col, 4, NULL));
  assert_int_equal(segkit_column_dict_find(col, "abc", 3), -1);
  assert_int_equal(segkit_column_dict_find(col, "a", 1), -1);
  assert_int_equal(segkit_column_dict_find(col, NULL, 0), 2); /* the empty string */
  /* The arrays form: offsets 0, 3, 6, 7, 9 over "ab\0cd\0\0e\0". */
  const uint64_t *off;
  const char *bytes;
  segkit_column_dict_arrays(col, &off, &bytes);
  const uint64_t want_off[] = {0, 3, 6, 7, 9};
  assert_memory_equal(off, want_off, sizeof want_off);
  assert_memory_equal(bytes, "ab\0cd\0\0e\0", 9);
  segkit_table_free(t);
}

static void table_dict_embedded_nul(void **state) {
  (void)state;
  const char *names[] = {"s"};
  const segkit_type types[] = {SEGKIT_TYPE_STRING};
  segkit_table_builder *b = new_builder(1, names, types);
  segkit_column_builder *c = segkit_table_builder_column(b, 0);
  assert_int_equal(segkit_column_append_string(c, "a\0b", 3), SEGKIT_OK);
  assert_int_equal(segkit_column_append_string(c, "a", 1), SEGKIT_OK);
  assert_int_equal(segkit_column_append_string(c, "a\0c", 3), SEGKIT_OK);
  assert_int_equal(segkit_column_append_string(c, "a\0b", 3), SEGKIT_OK);
  assert_int_equal(segkit_column_append_string(c, "\0", 1), SEGKIT_OK);
  assert_int_equal(segkit_column_append_string(c, "", 0), SEGKIT_OK);
  segkit_table *t = finish(b);
  const segkit_column *col = segkit_table_column(t, 0);
  const uint32_t want[] = {0, 1, 2, 0, 3, 4};
  assert_memory_equal(segkit_column_codes(col), want, sizeof want);
  assert_int_equal(segkit_column_dict_size(col), 5);
  size_t len;
  const char *v = segkit_column_dict_value(col, 2, &len);
  assert_int_equal(len, 3);
  assert_memory_equal(v, "a\0c", 4); /* value and its terminator */
  assert_int_equal(segkit_column_dict_find(col, "a\0b", 3), 0);
  assert_int_equal(segkit_column_dict_find(col, "a\0c", 3), 2);
  assert_int_equal(segkit_column_dict_find(col, "\0", 1), 3);
  assert_int_equal(segkit_column_dict_find(col, "", 0), 4);
  assert_int_equal(segkit_column_dict_find(col, "a\0", 2), -1);
  segkit_table_free(t);
}

static void table_empty_string_is_not_null(void **state) {
  (void)state;
  const char *names[] = {"s"};
  const segkit_type types[] = {SEGKIT_TYPE_STRING};
  segkit_table_builder *b = new_builder(1, names, types);
  segkit_column_builder *c = segkit_table_builder_column(b, 0);
  assert_int_equal(segkit_column_append_null(c), SEGKIT_OK);
  assert_int_equal(segkit_column_append_string(c, "", 0), SEGKIT_OK);
  assert_int_equal(segkit_column_append_null(c), SEGKIT_OK);
  segkit_table *t = finish(b);
  const segkit_column *col = segkit_table_column(t, 0);
  assert_int_equal(segkit_column_null_count(col), 2);
  assert_false(segkit_column_is_valid(col, 0));
  assert_true(segkit_column_is_valid(col, 1));
  assert_int_equal(segkit_column_dict_size(col), 1);
  size_t len = 9;
  assert_string_equal(segkit_column_dict_value(col, segkit_column_codes(col)[1], &len), "");
  assert_int_equal(len, 0);
  segkit_table_free(t);
}

/* 300 000 distinct strings: the index grows many times; every string is found with the
 * code of its first appearance, and repeats get the same code. */
static void table_dict_many_distinct(void **state) {
  (void)state;
  enum { N = 300000 };
  const char *names[] = {"s"};
  const segkit_type types[] = {SEGKIT_TYPE_STRING};
  segkit_table_builder *b = new_builder(1, names, types);
  segkit_column_builder *c = segkit_table_builder_column(b, 0);
  char buf[32];
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t i = 0; i < N; i++) {
      int len = snprintf(buf, sizeof buf, "customer-%07u", i * 7919u % N);
      assert_int_equal(segkit_column_append_string(c, buf, (size_t)len), SEGKIT_OK);
    }
  }
  segkit_table *t = finish(b);
  const segkit_column *col = segkit_table_column(t, 0);
  assert_int_equal(segkit_column_dict_size(col), N);
  const uint32_t *codes = segkit_column_codes(col);
  for (uint32_t i = 0; i < N; i++) {
    assert_int_equal(codes[i], i);
    assert_int_equal(codes[N + i], i);
    int len = snprintf(buf, sizeof buf, "customer-%07u", i * 7919u % N);
    assert_int_equal(segkit_column_dict_find(col, buf, (size_t)len), i);
    assert_string_equal(segkit_column_dict_value(col, i, NULL), buf);
  }
  assert_int_equal(segkit_column_dict_find(col, "customer-0300000", 16), -1);
  segkit_table_free(t);
}

/* Past ~11 500 entries the builder interns strings in batches (builder.c); codes must be
 * exactly those of one-at-a-time interning, also across truncates that cut a pending
 * batch and a finish that fails while strings are pending. The expected codes come from
 * a plain first-appearance table indexed by the key's number. */
static void table_dict_batched_interning(void **state) {
  (void)state;
  enum { N = 120000, KEYS = 40000 };
  const char *names[] = {"s", "n"};
  const segkit_type types[] = {SEGKIT_TYPE_STRING, SEGKIT_TYPE_INT64};
  segkit_table_builder *b = new_builder(2, names, types);
  segkit_column_builder *cs = segkit_table_builder_column(b, 0);
  segkit_column_builder *cn = segkit_table_builder_column(b, 1);
  int64_t *first = malloc(KEYS * sizeof *first);
  int32_t *key_of_row = malloc(N * sizeof *key_of_row); /* -1 = null */
  for (size_t k = 0; k < KEYS; k++) {
    first[k] = -1;
  }
  int64_t next_code = 0;
  uint64_t seed = 77;
  char buf[32];
  size_t rows = 0;
  while (rows < N) {
    uint64_t r = next_random(&seed);
    int32_t key = (r & 7) == 0 ? -1 : (int32_t)((r >> 8) % KEYS);
    if (key < 0) {
      assert_int_equal(segkit_column_append_null(cs), SEGKIT_OK);
    } else {
      int len = snprintf(buf, sizeof buf, "id-%d", key);
      assert_int_equal(segkit_column_append_string(cs, buf, (size_t)len), SEGKIT_OK);
      if (first[key] < 0) {
        first[key] = next_code++;
      }
    }
    if ((r >> 40) % 997 == 0) {
      /* A bad row: its string went in, the int field failed; roll back. The string
       * stays in the dictionary (documented), so it keeps its first-appearance code. */
      segkit_table_builder_truncate(b, rows);
      continue;
    }
    assert_int_equal(segkit_column_append_int64(cn, (int64_t)rows), SEGKIT_OK);
    key_of_row[rows++] = key;
  }
  /* A finish that fails with strings pending, then a fix and a finish that works. */
  assert_int_equal(segkit_column_append_string(cs, "id-extra", 8), SEGKIT_OK);
  segkit_table *t = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_ERR_SCHEMA);
  segkit_table_builder_truncate(b, rows);
  t = finish(b);
  const segkit_column *col = segkit_table_column(t, 0);
  assert_int_equal(segkit_column_dict_size(col), next_code + 1); /* + "id-extra" */
  assert_int_equal(segkit_column_dict_find(col, "id-extra", 8), next_code);
  const uint32_t *codes = segkit_column_codes(col);
  for (size_t i = 0; i < N; i++) {
    int32_t key = key_of_row[i];
    if (key < 0) {
      assert_false(segkit_column_is_valid(col, i));
      assert_int_equal(codes[i], 0);
      continue;
    }
    if (codes[i] != (uint32_t)first[key]) {
      fail_msg("row %zu key %d: code %u, expected %lld", i, key, codes[i],
               (long long)first[key]);
    }
    snprintf(buf, sizeof buf, "id-%d", key);
    assert_string_equal(segkit_column_dict_value(col, codes[i], NULL), buf);
  }
  free(first);
  free(key_of_row);
  segkit_table_free(t);
}

/* The dictionary's inline compare, exhaustively for lengths 0-40: equal strings, and a
 * one-byte difference at every position (it must see every byte), from exact-size heap
 * copies so ASan catches a load outside either string. */
static void table_bytes_equal_every_position(void **state) {
  (void)state;
  for (size_t n = 0; n <= 40; n++) {
    char *a = malloc(n > 0 ? n : 1);
    char *b = malloc(n > 0 ? n : 1);
    for (size_t i = 0; i < n; i++) {
      a[i] = (char)('a' + i % 26);
    }
    memcpy(b, a, n);
    assert_true(sk__bytes_equal(a, b, n));
    for (size_t pos = 0; pos < n; pos++) {
      b[pos] ^= 0x20;
      if (sk__bytes_equal(a, b, n)) {
        fail_msg("length %zu: difference at %zu not seen", n, pos);
      }
      b[pos] ^= 0x20;
    }
    free(a);
    free(b);
  }
}

/* ---- builder errors, truncate, finish ------------------------------------------------- */

static void table_builder_new_rejects(void **state) {
  (void)state;
  segkit_table_builder *b = NULL;
  segkit_error err;
  const char *dup[] = {"a", "b", "a"};
  const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64};
  assert_int_equal(segkit_table_builder_new(3, dup, types, &b, &err), SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "a");
  assert_null(b);
  const char *ok[] = {"a", "b", "c"};
  const segkit_type bad_type[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_COUNT, SEGKIT_TYPE_INT64};
  assert_int_equal(segkit_table_builder_new(3, ok, bad_type, &b, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "b");
  const char *null_name[] = {"a", NULL, "c"};
  assert_int_equal(segkit_table_builder_new(3, null_name, types, &b, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_table_builder_new(3, NULL, types, &b, &err), SEGKIT_ERR_USAGE);
  assert_null(b);
}

static void table_finish_uneven_rows(void **state) {
  (void)state;
  const char *names[] = {"id", "amount"};
  const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64};
  segkit_table_builder *b = new_builder(2, names, types);
  assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, 0), 1), 0);
  assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, 0), 2), 0);
  assert_int_equal(segkit_column_append_float64(segkit_table_builder_column(b, 1), 1.5), 0);
  segkit_table *t = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_ERR_SCHEMA);
  assert_null(t);
  assert_string_equal(err.field, "amount");
  assert_non_null(strstr(err.message, "1 rows"));
  /* The builder is still the caller's and still works. */
  assert_int_equal(segkit_column_append_float64(segkit_table_builder_column(b, 1), 2.5), 0);
  t = finish(b);
  assert_int_equal(segkit_table_n_rows(t), 2);
  assert_true(segkit_column_float64(segkit_table_column(t, 1))[1] == 2.5);
  segkit_table_free(t);
}

static void table_empty_tables(void **state) {
  (void)state;
  segkit_table *t = finish(new_builder(6, all_names, all_types));
  assert_int_equal(segkit_table_n_rows(t), 0);
  for (size_t j = 0; j < 6; j++) {
    const segkit_column *c = segkit_table_column(t, j);
    assert_non_null(segkit_column_validity(c));
    assert_int_equal(segkit_column_null_count(c), 0);
    assert_false(segkit_column_is_valid(c, 0));
  }
  assert_non_null(segkit_column_int64(segkit_table_column(t, 0)));
  assert_non_null(segkit_column_codes(segkit_table_column(t, 5)));
  assert_int_equal(segkit_column_dict_size(segkit_table_column(t, 5)), 0);
  const uint64_t *off;
  const char *bytes;
  segkit_column_dict_arrays(segkit_table_column(t, 5), &off, &bytes);
  assert_int_equal(off[0], 0);
  assert_non_null(bytes);
  assert_int_equal(segkit_column_dict_find(segkit_table_column(t, 5), "x", 1), -1);
  segkit_table_free(t);

  t = finish(new_builder(0, NULL, NULL));
  assert_int_equal(segkit_table_n_cols(t), 0);
  assert_int_equal(segkit_table_n_rows(t), 0);
  segkit_table_free(t);
  segkit_table_free(NULL);
  segkit_table_builder_free(NULL);
}

static void table_truncate(void **state) {
  (void)state;
  const char *names[] = {"i", "s"};
  const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};
  segkit_table_builder *b = new_builder(2, names, types);
  segkit_column_builder *ci = segkit_table_builder_column(b, 0);
  segkit_column_builder *cs = segkit_table_builder_column(b, 1);
  char buf[16];
  for (int i = 0; i < 130; i++) {
    if (i % 5 == 0) {
      assert_int_equal(segkit_column_append_null(ci), 0);
      assert_int_equal(segkit_column_append_null(cs), 0);
    } else {
      assert_int_equal(segkit_column_append_int64(ci, i), 0);
      int len = snprintf(buf, sizeof buf, "v%d", i % 7);
      assert_int_equal(segkit_column_append_string(cs, buf, (size_t)len), 0);
    }
  }
  /* A partial row: one more field in the first column only, then roll back. */
  assert_int_equal(segkit_column_append_int64(ci, 999), 0);
  assert_int_equal(segkit_column_append_string(cs, "partial", 7), 0);
  segkit_table_builder_truncate(b, 130);
  assert_int_equal(segkit_column_builder_n_rows(ci), 130);
  /* Cut across a word boundary, then append different values over the dropped rows. */
  segkit_table_builder_truncate(b, 63);
  assert_int_equal(segkit_column_builder_n_rows(ci), 63);
  assert_int_equal(segkit_column_builder_n_rows(cs), 63);
  segkit_table_builder_truncate(b, 100); /* growing is not what truncate does */
  assert_int_equal(segkit_column_builder_n_rows(ci), 63);
  for (int i = 63; i < 70; i++) {
    if (i % 2 == 0) {
      assert_int_equal(segkit_column_append_null(ci), 0);
      assert_int_equal(segkit_column_append_null(cs), 0);
    } else {
      assert_int_equal(segkit_column_append_int64(ci, -i), 0);
      assert_int_equal(segkit_column_append_string(cs, "new", 3), 0);
    }
  }
  segkit_table *t = finish(b);
  assert_int_equal(segkit_table_n_rows(t), 70);
  const segkit_column *c0 = segkit_table_column(t, 0);
  const segkit_column *c1 = segkit_table_column(t, 1);
  size_t nulls = 0;
  for (int i = 0; i < 70; i++) {
    bool valid = i < 63 ? i % 5 != 0 : i % 2 != 0;
    nulls += !valid;
    assert_int_equal(segkit_column_is_valid(c0, (size_t)i), valid);
    assert_int_equal(segkit_column_is_valid(c1, (size_t)i), valid);
    int64_t want = !valid ? 0 : (i < 63 ? i : -i);
    assert_true(segkit_column_int64(c0)[i] == want);
    if (valid) {
      const char *s = segkit_column_dict_value(c1, segkit_column_codes(c1)[i], NULL);
      if (i < 63) {
        snprintf(buf, sizeof buf, "v%d", i % 7);
        assert_string_equal(s, buf);
      } else {
        assert_string_equal(s, "new");
      }
    }
  }
  assert_int_equal(segkit_column_null_count(c0), nulls);
  assert_int_equal(segkit_column_null_count(c1), nulls);
  /* Bits past row 70 are 0 although rows up to 130 were once valid there. */
  assert_int_equal(segkit_column_validity(c0)[1] >> (70 - 64), 0);
  /* Strings dropped by truncate stay in the dictionary (documented). */
  assert_true(segkit_column_dict_find(c1, "partial", 7) >= 0);
  segkit_table_free(t);
}

/* Reserving more rows than the address space can hold is an error with a message and
 * leaves the builder usable. */
static void table_reserve_overflow(void **state) {
  (void)state;
  const char *names[] = {"i"};
  const segkit_type types[] = {SEGKIT_TYPE_INT64};
  segkit_table_builder *b = new_builder(1, names, types);
  segkit_error err;
  assert_int_equal(segkit_table_builder_reserve(b, SIZE_MAX / 4, &err), SEGKIT_ERR_NOMEM);
  assert_string_equal(err.field, "i");
  assert_true(strlen(err.message) > 0);
  assert_int_equal(segkit_table_builder_reserve(b, 1000, &err), SEGKIT_OK);
  for (int i = 0; i < 1000; i++) {
    assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, 0), i), 0);
  }
  segkit_table *t = finish(b);
  assert_true(segkit_column_int64(segkit_table_column(t, 0))[999] == 999);
  segkit_table_free(t);
}

/* finish() gives back doubling slack: 300 000 int64 rows grew to a 524 288-row block;
 * the table must hold about 300 000 * 8 bytes of data plus the bitmap. */
static void table_finish_shrinks(void **state) {
  (void)state;
  enum { N = 300000 };
  const char *names[] = {"i", "s"};
  const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};
  segkit_table_builder *b = new_builder(2, names, types);
  char buf[32];
  for (int i = 0; i < N; i++) {
    assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, 0), i), 0);
    int len = snprintf(buf, sizeof buf, "%d", i % 1000);
    assert_int_equal(segkit_column_append_string(segkit_table_builder_column(b, 1), buf,
                                                 (size_t)len),
                     0);
  }
  segkit_table *t = finish(b);
  size_t data = (size_t)N * 8 + (size_t)N * 4; /* int64 + codes */
  size_t bitmaps = 2 * ((size_t)N / 64 + 1) * 8;
  size_t dict = 3890 + 1001 * 8 + 2048 * 8; /* bytes of "0".."999" + offsets + index */
  size_t mem = segkit_table_memory_bytes(t);
  assert_true(mem >= data + bitmaps);
  if (mem > data + bitmaps + dict + 4096) {
    fail_msg("memory %zu, expected at most %zu", mem, data + bitmaps + dict + 4096);
  }
  segkit_table_free(t);
}

/* ---- a large build -------------------------------------------------------------------- */

/* The value generator: row r of column j from one splitmix step; a null when the low 4
 * bits are 0 (1 row in 16). */
typedef struct gen_row {
  uint64_t raw[6];
} gen_row;

static void gen(uint64_t *seed, gen_row *row) {
  for (int j = 0; j < 6; j++) {
    row->raw[j] = next_random(seed);
  }
}

static bool gen_null(uint64_t raw) {
  return (raw & 15) == 0;
}

static void table_million_rows(void **state) {
  (void)state;
  enum { N = 1000000, KEYS = 5000 };
  segkit_table_builder *b = new_builder(6, all_names, all_types);
  segkit_column_builder *c[6];
  for (size_t j = 0; j < 6; j++) {
    c[j] = segkit_table_builder_column(b, j);
  }
  uint64_t seed = 12345;
  char buf[32];
  for (size_t r = 0; r < N; r++) {
    gen_row g;
    gen(&seed, &g);
    for (size_t j = 0; j < 6; j++) {
      segkit_status st;
      uint64_t v = g.raw[j];
      if (gen_null(v)) {
        st = segkit_column_append_null(c[j]);
      } else if (j == 0 || j == 3) {
        st = segkit_column_append_int64(c[j], (int64_t)v);
      } else if (j == 1) {
        st = segkit_column_append_float64(c[j], (double)(v >> 11) / 1024.0);
      } else if (j == 2) {
        st = segkit_column_append_bool(c[j], (v >> 8) & 1);
      } else if (j == 4) {
        st = segkit_column_append_date(c[j], (int32_t)(v >> 40));
      } else {
        int len = snprintf(buf, sizeof buf, "k%u", (unsigned)(v >> 32) % KEYS);
        st = segkit_column_append_string(c[j], buf, (size_t)len);
      }
      if (st != SEGKIT_OK) {
        fail_msg("append row %zu col %zu: %d", r, j, (int)st);
      }
    }
  }
  segkit_table *t = finish(b);
  assert_int_equal(segkit_table_n_rows(t), N);

  /* Re-run the generator and check every slot and bit; count nulls and distinct keys
   * the plain way. */
  const segkit_column *col[6];
  for (size_t j = 0; j < 6; j++) {
    col[j] = segkit_table_column(t, j);
  }
  size_t nulls[6] = {0};
  uint8_t *seen = calloc(KEYS, 1);
  int64_t *first_code = malloc(KEYS * sizeof *first_code);
  for (size_t k = 0; k < KEYS; k++) {
    first_code[k] = -1;
  }
  uint32_t next_code = 0;
  seed = 12345;
  for (size_t r = 0; r < N; r++) {
    gen_row g;
    gen(&seed, &g);
    for (size_t j = 0; j < 6; j++) {
      uint64_t v = g.raw[j];
      bool is_null = gen_null(v);
      nulls[j] += is_null;
      if (segkit_column_is_valid(col[j], r) == is_null) {
        fail_msg("row %zu col %zu validity", r, j);
      }
      bool ok = true;
      switch (j) {
      case 0:
        ok = segkit_column_int64(col[0])[r] == (is_null ? 0 : (int64_t)v);
        break;
      case 1:
        ok = segkit_column_float64(col[1])[r] == (is_null ? 0.0 : (double)(v >> 11) / 1024.0);
        break;
      case 2:
        ok = segkit_column_bool(col[2])[r] == (is_null ? 0 : (v >> 8) & 1);
        break;
      case 3:
        ok = segkit_column_timestamp(col[3])[r] == (is_null ? 0 : (int64_t)v);
        break;
      case 4:
        ok = segkit_column_date(col[4])[r] == (is_null ? 0 : (int32_t)(v >> 40));
        break;
      default: {
        uint32_t code = segkit_column_codes(col[5])[r];
        if (is_null) {
          ok = code == 0;
          break;
        }
        unsigned key = (unsigned)(v >> 32) % KEYS;
        if (first_code[key] < 0) { /* codes follow first appearance */
          first_code[key] = next_code++;
          seen[key] = 1;
        }
        snprintf(buf, sizeof buf, "k%u", key);
        ok = code == (uint32_t)first_code[key] &&
             strcmp(segkit_column_dict_value(col[5], code, NULL), buf) == 0;
        break;
      }
      }
      if (!ok) {
        fail_msg("row %zu col %zu value", r, j);
      }
    }
  }
  for (size_t j = 0; j < 6; j++) {
    assert_int_equal(segkit_column_null_count(col[j]), nulls[j]);
    assert_true(nulls[j] > N / 20 && nulls[j] < N / 12); /* ~1/16, a sanity bound */
  }
  size_t distinct = 0;
  for (size_t k = 0; k < KEYS; k++) {
    distinct += seen[k];
  }
  assert_int_equal(segkit_column_dict_size(col[5]), distinct);
  free(seen);
  free(first_code);
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(table_type_names_and_parse),
      cmocka_unit_test(table_round_trip_every_type),
      cmocka_unit_test(table_append_wrong_type),
      cmocka_unit_test(table_nulls_every_type),
      cmocka_unit_test(table_validity_word_boundaries),
      cmocka_unit_test(table_dict_dedupe_and_lookup),
      cmocka_unit_test(table_dict_embedded_nul),
      cmocka_unit_test(table_empty_string_is_not_null),
      cmocka_unit_test(table_bytes_equal_every_position),
      cmocka_unit_test(table_dict_many_distinct),
      cmocka_unit_test(table_dict_batched_interning),
      cmocka_unit_test(table_builder_new_rejects),
      cmocka_unit_test(table_finish_uneven_rows),
      cmocka_unit_test(table_empty_tables),
      cmocka_unit_test(table_truncate),
      cmocka_unit_test(table_reserve_overflow),
      cmocka_unit_test(table_finish_shrinks),
      cmocka_unit_test(table_million_rows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
