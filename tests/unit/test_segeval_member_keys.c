/* Members as sorted keys and their diff (segkit_member_keys_*), on lists worked by hand:
 * then {1, 2, 3, 5} and now {2, 3, 4, 6} give entered {4, 6} and left {1, 5}; string keys
 * sort byte-wise ("B" < "a"); a null key is skipped; keys of different types are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "segkit/segeval.h"

static segkit_table *int_table(const int64_t *v, size_t n, const uint64_t *validity) {
  segkit_column_arrays c = {.name = "id", .type = SEGKIT_TYPE_INT64, .data = v,
                            .validity = validity};
  segkit_table *t = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_from_arrays(n, 1, &c, &t, &err), SEGKIT_OK);
  return t;
}

static void member_keys_int_diff(void **state) {
  (void)state;
  /* rows 0..6; members are the rows with bits set: keys 5, 1, 3, 2 (row 6's 9 is null) */
  static const int64_t then_v[] = {5, 7, 1, 3, 8, 2, 9};
  uint64_t then_bits = 0x2D | 0x40; /* rows 0, 2, 3, 5, 6 */
  uint64_t then_valid = 0x3F;       /* row 6 null */
  static const int64_t now_v[] = {6, 2, 4, 3};
  segkit_table *a = int_table(then_v, 7, &then_valid);
  segkit_table *b = int_table(now_v, 4, NULL);
  segkit_member_keys *then = NULL, *now = NULL;
  segkit_error err;
  assert_int_equal(segkit_member_keys_of(segkit_table_column(a, 0), &then_bits, &then, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_member_keys_of(segkit_table_column(b, 0), NULL, &now, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_member_keys_n(then), 4);
  assert_true(segkit_member_keys_are_ints(then));
  assert_int_equal(segkit_member_keys_int(then, 0), 1);
  assert_int_equal(segkit_member_keys_int(then, 3), 5);
  segkit_member_diff d;
  assert_int_equal(segkit_member_keys_diff(then, now, &d, &err), SEGKIT_OK);
  assert_int_equal(d.n_from, 4);
  assert_int_equal(d.n_to, 4);
  assert_int_equal(d.n_entered, 2);
  assert_int_equal(d.n_left, 2);
  assert_int_equal(segkit_member_keys_int(now, d.entered[0]), 4);
  assert_int_equal(segkit_member_keys_int(now, d.entered[1]), 6);
  assert_int_equal(segkit_member_keys_int(then, d.left[0]), 1);
  assert_int_equal(segkit_member_keys_int(then, d.left[1]), 5);
  segkit_member_diff_free(&d);
  segkit_member_keys_free(then);
  segkit_member_keys_free(now);
  segkit_table_free(a);
  segkit_table_free(b);
}

static void member_keys_strings_and_types(void **state) {
  (void)state;
  static const char bytes[] = "a\0B\0c"; /* entries NUL-terminated, as the table keeps them */
  static const uint64_t offsets[] = {0, 2, 4, 6};
  static const uint32_t codes[] = {0, 1, 2, 1};
  segkit_column_arrays c = {.name = "key", .type = SEGKIT_TYPE_STRING, .data = codes,
                            .dict_size = 3, .dict_offsets = offsets, .dict_bytes = bytes};
  segkit_table *t = NULL;
  segkit_error err;
  segkit_status st = segkit_table_from_arrays(4, 1, &c, &t, &err);
  if (st != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  uint64_t bits = 0x7; /* rows 0..2: a, B, c */
  segkit_member_keys *s = NULL;
  assert_int_equal(segkit_member_keys_of(segkit_table_column(t, 0), &bits, &s, &err), SEGKIT_OK);
  assert_int_equal(segkit_member_keys_n(s), 3);
  assert_string_equal(segkit_member_keys_text(s, 0), "B");
  assert_string_equal(segkit_member_keys_text(s, 1), "a");
  assert_null(segkit_member_keys_text(s, 3));
  static const int64_t one[] = {1};
  segkit_table *it = int_table(one, 1, NULL);
  segkit_member_keys *k = NULL;
  assert_int_equal(segkit_member_keys_of(segkit_table_column(it, 0), NULL, &k, &err), SEGKIT_OK);
  segkit_member_diff d;
  assert_int_equal(segkit_member_keys_diff(s, k, &d, &err), SEGKIT_ERR_TYPE);
  assert_non_null(strstr(err.message, "key column changed"));
  segkit_member_keys_free(s);
  segkit_member_keys_free(k);
  segkit_table_free(t);
  segkit_table_free(it);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(member_keys_int_diff),
      cmocka_unit_test(member_keys_strings_and_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
