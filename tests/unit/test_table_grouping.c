/* Grouping rows by several columns: group order and labels worked out by hand on a small
 * table of every type, and, on random tables, the codes against a plain reference (rows
 * compared value by value, sorted, runs numbered). */
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

static const char *const names[] = {"plan", "seats", "annual", "price", "since"};
static const segkit_type types[] = {SEGKIT_TYPE_STRING, SEGKIT_TYPE_INT64, SEGKIT_TYPE_BOOL,
                                    SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_DATE};

typedef struct row {
  const char *plan;  /* NULL = null */
  int64_t seats;     /* -99 = null */
  int annual;        /* -1 = null */
  double price;
  int32_t since;
} row;

static segkit_table *make(const row *rows, size_t n) {
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(5, names, types, &b, NULL), SEGKIT_OK);
  for (size_t i = 0; i < n; i++) {
    segkit_column_builder *c0 = segkit_table_builder_column(b, 0);
    segkit_column_builder *c1 = segkit_table_builder_column(b, 1);
    segkit_column_builder *c2 = segkit_table_builder_column(b, 2);
    if (rows[i].plan == NULL) {
      assert_int_equal(segkit_column_append_null(c0), SEGKIT_OK);
    } else {
      assert_int_equal(segkit_column_append_string(c0, rows[i].plan, strlen(rows[i].plan)),
                       SEGKIT_OK);
    }
    if (rows[i].seats == -99) {
      assert_int_equal(segkit_column_append_null(c1), SEGKIT_OK);
    } else {
      assert_int_equal(segkit_column_append_int64(c1, rows[i].seats), SEGKIT_OK);
    }
    if (rows[i].annual < 0) {
      assert_int_equal(segkit_column_append_null(c2), SEGKIT_OK);
    } else {
      assert_int_equal(segkit_column_append_bool(c2, rows[i].annual != 0), SEGKIT_OK);
    }
    assert_int_equal(segkit_column_append_float64(segkit_table_builder_column(b, 3),
                                                  rows[i].price),
                     SEGKIT_OK);
    assert_int_equal(segkit_column_append_date(segkit_table_builder_column(b, 4),
                                               rows[i].since),
                     SEGKIT_OK);
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  return t;
}

static void grouping_orders_values_nulls_last(void **state) {
  (void)state;
  /* Dictionary order is first appearance (pro, basic, Team), sorted order is byte-wise:
   * "Team" < "basic" < "pro" (uppercase first), then null. */
  const row rows[] = {
      {"pro", 10, 1, 2.5, 0},   {"basic", 2, 0, -0.0, 1}, {"Team", -99, -1, NAN, 2},
      {"pro", 2, 1, -3.0, 3},   {NULL, 10, 0, 0.0, 4},    {"pro", 10, 1, INFINITY, 5},
      {"basic", 2, 0, -1e300, 6}, {"pro", -5, 0, 1e-300, 7},
  };
  segkit_table *t = make(rows, 8);
  const char *by[] = {"plan", "seats"};
  segkit_grouping *g = NULL;
  assert_int_equal(segkit_grouping_new(t, by, 2, &g, NULL), SEGKIT_OK);
  /* (Team,null) (basic,2) (pro,-5) (pro,2) (pro,10) (null,10) */
  assert_int_equal(segkit_grouping_n_groups(g), 6);
  const uint32_t expect[] = {4, 1, 0, 3, 5, 4, 1, 2};
  const uint32_t *codes = segkit_grouping_codes(g);
  for (size_t i = 0; i < 8; i++) {
    assert_int_equal(codes[i], expect[i]);
  }
  assert_string_equal(segkit_grouping_label(g, 0), "Team / (null)");
  assert_true(segkit_grouping_is_null(g, 0, 1));
  assert_false(segkit_grouping_is_null(g, 0, 0));
  assert_string_equal(segkit_grouping_label(g, 2), "pro / -5");
  assert_string_equal(segkit_grouping_value(g, 5, 0), "(null)");
  assert_string_equal(segkit_grouping_value(g, 5, 1), "10");
  assert_int_equal(segkit_grouping_size(g, 4), 2);
  assert_int_equal(segkit_grouping_size(g, 1), 2);
  assert_string_equal(segkit_grouping_column(g, 1), "seats");
  assert_null(segkit_grouping_column(g, 2));
  assert_null(segkit_grouping_label(g, 6));
  segkit_grouping_free(g);

  /* floats: -1e300 < -3 < -0 = 0 < 1e-300 < 2.5 < inf < NaN */
  const char *byf[] = {"price"};
  assert_int_equal(segkit_grouping_new(t, byf, 1, &g, NULL), SEGKIT_OK);
  assert_int_equal(segkit_grouping_n_groups(g), 7);
  const uint32_t expect_f[] = {4, 2, 6, 1, 2, 5, 0, 3};
  for (size_t i = 0; i < 8; i++) {
    assert_int_equal(segkit_grouping_codes(g)[i], expect_f[i]);
  }
  assert_string_equal(segkit_grouping_value(g, 0, 0), "-1e+300");
  assert_string_equal(segkit_grouping_value(g, 4, 0), "2.5");
  assert_string_equal(segkit_grouping_value(g, 5, 0), "inf");
  segkit_grouping_free(g);

  /* bool then date: false < true < null; dates print as ISO */
  const char *byb[] = {"annual", "since"};
  assert_int_equal(segkit_grouping_new(t, byb, 2, &g, NULL), SEGKIT_OK);
  assert_int_equal(segkit_grouping_n_groups(g), 8);
  assert_string_equal(segkit_grouping_label(g, 0), "false / 1970-01-02");
  assert_string_equal(segkit_grouping_label(g, 7), "(null) / 1970-01-03");
  segkit_grouping_free(g);

  /* no columns: one group */
  assert_int_equal(segkit_grouping_new(t, NULL, 0, &g, NULL), SEGKIT_OK);
  assert_int_equal(segkit_grouping_n_groups(g), 1);
  assert_string_equal(segkit_grouping_label(g, 0), "all");
  assert_int_equal(segkit_grouping_size(g, 0), 8);
  segkit_grouping_free(g);

  segkit_error err;
  const char *bad[] = {"plan", "palnn"};
  assert_int_equal(segkit_grouping_new(t, bad, 2, &g, &err), SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.message, "palnn"));
  segkit_table_free(t);
}

/* ---- random tables against a reference ---------------------------------------------- */

static uint64_t next_random(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

enum { NR = 5000 };
static row rand_rows[NR];
static const char *const plans[] = {"a", "b", "ab", "", "zz", "B"};

static int cmp_row(const row *x, const row *y) {
  /* plan: byte order, null last */
  if ((x->plan == NULL) != (y->plan == NULL)) {
    return x->plan == NULL ? 1 : -1;
  }
  if (x->plan != NULL) {
    int r = strcmp(x->plan, y->plan);
    if (r != 0) {
      return r;
    }
  }
  if ((x->seats == -99) != (y->seats == -99)) {
    return x->seats == -99 ? 1 : -1;
  }
  if (x->seats != y->seats) {
    return x->seats < y->seats ? -1 : 1;
  }
  if (x->annual != y->annual) {
    if (x->annual < 0 || y->annual < 0) {
      return x->annual < 0 ? 1 : -1;
    }
    return x->annual < y->annual ? -1 : 1;
  }
  return 0;
}

static int cmp_index(const void *a, const void *b) {
  return cmp_row(&rand_rows[*(const size_t *)a], &rand_rows[*(const size_t *)b]);
}

static void grouping_matches_reference_on_random_tables(void **state) {
  (void)state;
  uint64_t seed = 42;
  for (int round = 0; round < 5; round++) {
    int64_t span = round == 4 ? 1000000000 : 7 + round * 40; /* the last: sparse keys */
    for (size_t i = 0; i < NR; i++) {
      uint64_t r = next_random(&seed);
      rand_rows[i].plan = r % 11 == 0 ? NULL : plans[(r >> 8) % 6];
      rand_rows[i].seats = (r >> 16) % 13 == 0 ? -99 : (int64_t)((r >> 24) % (uint64_t)span) - 3;
      rand_rows[i].annual = (int)((r >> 48) % 3) - 1;
      rand_rows[i].price = 1.0;
      rand_rows[i].since = 0;
    }
    segkit_table *t = make(rand_rows, NR);
    const char *by[] = {"plan", "seats", "annual"};
    segkit_grouping *g = NULL;
    assert_int_equal(segkit_grouping_new(t, by, 3, &g, NULL), SEGKIT_OK);
    size_t idx[NR];
    for (size_t i = 0; i < NR; i++) {
      idx[i] = i;
    }
    qsort(idx, NR, sizeof idx[0], cmp_index);
    uint32_t expect_code = 0;
    for (size_t i = 0; i < NR; i++) {
      if (i > 0 && cmp_row(&rand_rows[idx[i - 1]], &rand_rows[idx[i]]) != 0) {
        expect_code++;
      }
      assert_int_equal(segkit_grouping_codes(g)[idx[i]], expect_code);
    }
    assert_int_equal(segkit_grouping_n_groups(g), expect_code + 1);
    segkit_grouping_free(g);
    segkit_table_free(t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(grouping_orders_values_nulls_last),
      cmocka_unit_test(grouping_matches_reference_on_random_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
