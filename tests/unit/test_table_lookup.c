/* Looking up customer attributes for subscription rows: integer and string keys, rows
 * without a match or with a null key kept with nulls, nulls in the looked-up column,
 * and the errors (a repeated right key, a clashing column, mismatched key types). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/table.h"

/* subs: sub (int64), cust (int64, -1 = null), cust_s (string, NULL = null) */
static segkit_table *subs(void) {
  const char *names[] = {"sub", "cust", "cust_s"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};
  const int64_t cust[] = {7, 3, 7, -1, 99, 3};
  const char *cs[] = {"c7", "c3", "c7", NULL, "c99", "c3"};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(3, names, types, &b, NULL), SEGKIT_OK);
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, 0), (int64_t)i + 1),
                     SEGKIT_OK);
    segkit_column_builder *c1 = segkit_table_builder_column(b, 1);
    segkit_column_builder *c2 = segkit_table_builder_column(b, 2);
    assert_int_equal(cust[i] < 0 ? segkit_column_append_null(c1)
                                 : segkit_column_append_int64(c1, cust[i]),
                     SEGKIT_OK);
    assert_int_equal(cs[i] == NULL ? segkit_column_append_null(c2)
                                   : segkit_column_append_string(c2, cs[i], strlen(cs[i])),
                     SEGKIT_OK);
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  return t;
}

/* customers: id (int64), id_s (string), country (string; NULL = null), seats (int64),
 * in the order 3, 5, 7 (and a repeated 7 when dup is set). */
static segkit_table *customers(bool dup) {
  const char *names[] = {"id", "id_s", "country", "seats"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING,
                         SEGKIT_TYPE_INT64};
  const int64_t id[] = {3, 5, 7, 7};
  const char *ids[] = {"c3", "c5", "c7", "c7"};
  const char *country[] = {"DE", "FR", NULL, "US"};
  const int64_t seats[] = {10, 20, 30, 40};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(4, names, types, &b, NULL), SEGKIT_OK);
  for (size_t i = 0; i < (dup ? 4u : 3u); i++) {
    assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, 0), id[i]),
                     SEGKIT_OK);
    assert_int_equal(segkit_column_append_string(segkit_table_builder_column(b, 1), ids[i],
                                                 strlen(ids[i])),
                     SEGKIT_OK);
    segkit_column_builder *c = segkit_table_builder_column(b, 2);
    assert_int_equal(country[i] == NULL ? segkit_column_append_null(c)
                                        : segkit_column_append_string(c, country[i],
                                                                      strlen(country[i])),
                     SEGKIT_OK);
    assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, 3), seats[i]),
                     SEGKIT_OK);
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  return t;
}

static const char *text(const segkit_table *t, const char *col, size_t row) {
  const segkit_column *c = segkit_table_column(t, (size_t)segkit_table_column_index(t, col));
  if (!segkit_column_is_valid(c, row)) {
    return NULL;
  }
  return segkit_column_dict_value(c, segkit_column_codes(c)[row], NULL);
}

static void check_looked_up(const segkit_table *out) {
  assert_int_equal(segkit_table_n_rows(out), 6);
  assert_int_equal(segkit_table_n_cols(out), 5);
  /* rows: cust 7 (country null in customers), 3 (DE), 7, null key, 99 (no such
   * customer), 3 */
  const char *want_country[] = {NULL, "DE", NULL, NULL, NULL, "DE"};
  const int64_t want_seats[] = {30, 10, 30, -1, -1, 10};
  const segkit_column *seats = segkit_table_column(out, 4);
  assert_string_equal(segkit_column_name(seats), "seats");
  for (size_t i = 0; i < 6; i++) {
    const char *c = text(out, "country", i);
    if (want_country[i] == NULL) {
      assert_null(c);
    } else {
      assert_string_equal(c, want_country[i]);
    }
    if (want_seats[i] < 0) {
      assert_false(segkit_column_is_valid(seats, i));
    } else {
      assert_true(segkit_column_is_valid(seats, i));
      assert_int_equal(segkit_column_int64(seats)[i], want_seats[i]);
    }
  }
  /* the left columns are unchanged */
  assert_int_equal(segkit_column_int64(segkit_table_column(out, 0))[4], 5);
  assert_string_equal(text(out, "cust_s", 4), "c99");
}

static void lookup_by_int_and_string_keys(void **state) {
  (void)state;
  segkit_table *l = subs();
  segkit_table *r = customers(false);
  const char *cols[] = {"country", "seats"};
  segkit_table *out = NULL;
  assert_int_equal(segkit_table_lookup(l, "cust", r, "id", cols, 2, &out, NULL), SEGKIT_OK);
  check_looked_up(out);
  segkit_table_free(out);
  assert_int_equal(segkit_table_lookup(l, "cust_s", r, "id_s", cols, 2, &out, NULL), SEGKIT_OK);
  check_looked_up(out);
  segkit_table_free(out);
  segkit_table_free(r);
  segkit_table_free(l);
}

static void lookup_errors_name_the_problem(void **state) {
  (void)state;
  segkit_table *l = subs();
  segkit_table *dup = customers(true);
  const char *cols[] = {"country"};
  segkit_table *out = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_lookup(l, "cust", dup, "id", cols, 1, &out, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_non_null(strstr(err.message, "key 7 occurs more than once"));
  assert_int_equal(segkit_table_lookup(l, "cust_s", dup, "id_s", cols, 1, &out, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_non_null(strstr(err.message, "key 'c7' occurs more than once"));
  segkit_table *r = customers(false);
  assert_int_equal(segkit_table_lookup(l, "cust", r, "id_s", cols, 1, &out, &err),
                   SEGKIT_ERR_TYPE);
  const char *clash[] = {"sub"};
  const char *names[] = {"sub", "id"};
  segkit_table *r2 = NULL;
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(2, names, types, &b, NULL), SEGKIT_OK);
  assert_int_equal(segkit_table_builder_finish(b, &r2, NULL), SEGKIT_OK);
  assert_int_equal(segkit_table_lookup(l, "cust", r2, "id", clash, 1, &out, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_non_null(strstr(err.message, "in both tables"));
  const char *missing[] = {"region"};
  assert_int_equal(segkit_table_lookup(l, "cust", r, "id", missing, 1, &out, &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_string_equal(err.field, "region");
  assert_null(out);
  segkit_table_free(r2);
  segkit_table_free(r);
  segkit_table_free(dup);
  segkit_table_free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lookup_by_int_and_string_keys),
      cmocka_unit_test(lookup_errors_name_the_problem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
