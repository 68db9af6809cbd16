/* Key rules after a read (segkit_read_result_check_key): the first row of a key is kept,
 * later rows with the same key and rows without one are failed on, skipped or quarantined
 * with both lines named; counts follow; row lines survive multi-line rows, blank lines
 * and rejected rows, with one and two threads. Expected lines, messages and tables are
 * worked out by hand from the inputs written in each test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_testkit.h"
#include "testkit.h"

/* Lines: 1 header, 2 id 1, 3 id 2, 4 id 1 again, 5 blank, 6-7 id 3 (quoted newline),
 * 8 no id, 9 id 2 again, 10 id x (bad value, rejected by the reader), 11 id 4. */
static const char k_ids[] = "id,name,plan\n"
                            "1,Acme,pro\n"
                            "2,\"Bolt, Inc\",starter\n"
                            "1,Acme again,pro\n"
                            "\n"
                            "3,Cyan,\"multi\nline\"\n"
                            ",No id,pro\n"
                            "2,\"Bolt \"\"B\"\"\",business\n"
                            "x,Bad,pro\n"
                            "4,Delta,pro\n";

static segkit_read_result *read_keyed(const char *text, int threads, segkit_on_error how) {
  segkit_read_options o;
  segkit_read_options_init(&o);
  o.keep_row_lines = true;
  o.on_error = how == SEGKIT_ON_ERROR_FAIL ? SEGKIT_ON_ERROR_QUARANTINE : how;
  o.n_threads = threads;
  o.buffer_bytes = 64; /* several regions even for a tiny file */
  o.max_field_bytes = 64;
  o.types = (segkit_type_override[]){{"id", SEGKIT_TYPE_INT64}};
  o.n_types = 1;
  segkit_read_result *r = NULL;
  segkit_error err;
  assert_int_equal(iot_read(text, &o, &r, &err), SEGKIT_OK);
  return r;
}

static void keys_quarantined_with_lines(void **state) {
  (void)state;
  for (int threads = 1; threads <= 2; threads++) {
    segkit_read_result *r = read_keyed(k_ids, threads, SEGKIT_ON_ERROR_QUARANTINE);
    /* Before the key rules: 8 rows accepted, at lines 2,3,4,6,8,9,11 (+ the bad x row
     * rejected at line 10). */
    assert_int_equal(segkit_table_n_rows(segkit_read_result_table(r)), 7);
    const int64_t lines[] = {2, 3, 4, 6, 8, 9, 11};
    for (size_t i = 0; i < 7; i++) {
      assert_int_equal(segkit_read_result_row_line(r, i), lines[i]);
    }
    assert_int_equal(segkit_read_result_row_line(r, 7), 0);
    size_t removed = 0;
    segkit_error err;
    assert_int_equal(segkit_read_result_check_key(r, "id", SEGKIT_ON_ERROR_QUARANTINE, &removed,
                                                  &err),
                     SEGKIT_OK);
    assert_int_equal(removed, 3);
    char *dump = iot_dump(segkit_read_result_table(r));
    assert_string_equal(dump, "1|Acme|pro\n2|Bolt, Inc|starter\n3|Cyan|multi\nline\n4|Delta|pro\n");
    free(dump);
    const int64_t kept[] = {2, 3, 6, 11};
    for (size_t i = 0; i < 4; i++) {
      assert_int_equal(segkit_read_result_row_line(r, i), kept[i]);
    }
    const segkit_read_counts *c = segkit_read_result_counts(r);
    assert_int_equal(c->rows_read, 8);
    assert_int_equal(c->rows_imported, 4);
    assert_int_equal(c->rows_rejected, 4);
    assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_BAD_VALUE], 1);
    assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_DUPLICATE_KEY], 2);
    assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_NULL_KEY], 1);
    /* Rejects in file order: 4 (dup of 2), 8 (no key), 9 (dup of 3), 10 (bad value). */
    assert_int_equal(segkit_read_result_n_rejects(r), 4);
    const segkit_reject *j = segkit_read_result_rejects(r);
    assert_int_equal(j[0].line, 4);
    assert_int_equal(j[0].reason, SEGKIT_REJECT_DUPLICATE_KEY);
    assert_string_equal(j[0].field, "id");
    assert_string_equal(j[0].message,
                        "key id = 1 repeats line 2's (expected a unique key; the first row is kept)");
    assert_int_equal(j[0].raw_len, strlen("1,Acme again,pro"));
    assert_memory_equal(j[0].raw, "1,Acme again,pro", j[0].raw_len);
    assert_int_equal(j[1].line, 8);
    assert_int_equal(j[1].reason, SEGKIT_REJECT_NULL_KEY);
    assert_memory_equal(j[1].raw, ",No id,pro", j[1].raw_len);
    assert_int_equal(j[2].line, 9);
    assert_string_equal(j[2].message,
                        "key id = 2 repeats line 3's (expected a unique key; the first row is kept)");
    /* Re-rendered with RFC 4180 quoting. */
    const char *raw2 = "2,\"Bolt \"\"B\"\"\",business";
    assert_int_equal(j[2].raw_len, strlen(raw2));
    assert_memory_equal(j[2].raw, raw2, j[2].raw_len);
    assert_int_equal(j[3].line, 10);
    assert_int_equal(j[3].reason, SEGKIT_REJECT_BAD_VALUE);
    segkit_read_result_free(r);
  }
}

static void keys_fail_names_both_lines(void **state) {
  (void)state;
  segkit_read_result *r = read_keyed(k_ids, 1, SEGKIT_ON_ERROR_FAIL);
  segkit_error err;
  segkit_error_clear(&err);
  assert_int_equal(segkit_read_result_check_key(r, "id", SEGKIT_ON_ERROR_FAIL, NULL, &err),
                   SEGKIT_ERR_PARSE);
  assert_int_equal(err.line, 4);
  assert_string_equal(err.field, "id");
  assert_string_equal(err.message, "key id = 1 repeats line 2's (expected a unique key)");
  /* Nothing changed. */
  assert_int_equal(segkit_table_n_rows(segkit_read_result_table(r)), 7);
  segkit_read_result_free(r);
}

static void keys_skip_counts_only(void **state) {
  (void)state;
  segkit_read_result *r = read_keyed(k_ids, 2, SEGKIT_ON_ERROR_SKIP);
  size_t removed = 0;
  segkit_error err;
  assert_int_equal(segkit_read_result_check_key(r, "id", SEGKIT_ON_ERROR_SKIP, &removed, &err),
                   SEGKIT_OK);
  assert_int_equal(removed, 3);
  assert_int_equal(segkit_table_n_rows(segkit_read_result_table(r)), 4);
  assert_int_equal(segkit_read_result_n_rejects(r), 0);
  assert_int_equal(segkit_read_result_counts(r)->rows_rejected, 4);
  segkit_read_result_free(r);
}

/* String keys (by dictionary code), unsorted integers (the sorting path), dates; without
 * kept lines the table row is named. */
static void keys_of_every_type(void **state) {
  (void)state;
  segkit_read_options o;
  segkit_read_options_init(&o);
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  segkit_read_result *r = NULL;
  segkit_error err;
  assert_int_equal(iot_read("email,n\nb@x.io,1\na@x.io,2\nb@x.io,3\n\"a@x.io\",4\nc@x.io,5\n",
                            &o, &r, &err),
                   SEGKIT_OK);
  size_t removed = 0;
  assert_int_equal(segkit_read_result_check_key(r, "email", SEGKIT_ON_ERROR_QUARANTINE, &removed,
                                                &err),
                   SEGKIT_OK);
  assert_int_equal(removed, 2);
  char *dump = iot_dump(segkit_read_result_table(r));
  assert_string_equal(dump, "b@x.io|1\na@x.io|2\nc@x.io|5\n");
  free(dump);
  const segkit_reject *j = segkit_read_result_rejects(r);
  assert_int_equal(j[0].line, 0);
  assert_string_equal(j[0].message, "key email = \"b@x.io\" repeats row 1's (expected a unique "
                                    "key; the first row is kept)");
  assert_string_equal(j[1].message, "key email = \"a@x.io\" repeats row 2's (expected a unique "
                                    "key; the first row is kept)");
  segkit_read_result_free(r);

  r = NULL;
  assert_int_equal(iot_read("id\n30\n10\n20\n10\n30\n5\n", &o, &r, &err), SEGKIT_OK);
  assert_int_equal(segkit_read_result_check_key(r, "id", SEGKIT_ON_ERROR_QUARANTINE, &removed,
                                                &err),
                   SEGKIT_OK);
  assert_int_equal(removed, 2);
  dump = iot_dump(segkit_read_result_table(r));
  assert_string_equal(dump, "30\n10\n20\n5\n");
  free(dump);
  j = segkit_read_result_rejects(r);
  assert_string_equal(j[0].message, "key id = 10 repeats row 2's (expected a unique key; the "
                                    "first row is kept)");
  assert_string_equal(j[1].message, "key id = 30 repeats row 1's (expected a unique key; the "
                                    "first row is kept)");
  segkit_read_result_free(r);

  r = NULL;
  assert_int_equal(iot_read("day,v\n2026-01-02,1\n2026-01-01,2\n2026-01-02,3\n", &o, &r, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_read_result_check_key(r, "day", SEGKIT_ON_ERROR_QUARANTINE, &removed,
                                                &err),
                   SEGKIT_OK);
  assert_int_equal(removed, 1);
  j = segkit_read_result_rejects(r);
  assert_string_equal(j[0].message, "key day = 2026-01-02 repeats row 1's (expected a unique "
                                    "key; the first row is kept)");
  assert_memory_equal(j[0].raw, "2026-01-02,3", j[0].raw_len);
  segkit_read_result_free(r);
}

static void keys_bad_column(void **state) {
  (void)state;
  segkit_read_options o;
  segkit_read_options_init(&o);
  segkit_read_result *r = NULL;
  segkit_error err;
  assert_int_equal(iot_read("a,b\n1.5,x\n", &o, &r, &err), SEGKIT_OK);
  assert_int_equal(segkit_read_result_check_key(r, "nope", SEGKIT_ON_ERROR_SKIP, NULL, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_int_equal(segkit_read_result_check_key(r, "a", SEGKIT_ON_ERROR_SKIP, NULL, &err),
                   SEGKIT_ERR_TYPE);
  assert_non_null(strstr(err.message, "float64"));
  segkit_read_result_free(r);
}

/* JSON Lines keep their lines too (blank lines counted). */
static void keys_jsonl_lines(void **state) {
  (void)state;
  const char *text = "{\"id\": 7}\n\n{\"id\": 8}\n{\"id\": 7}\n";
  segkit_read_options o;
  segkit_read_options_init(&o);
  o.keep_row_lines = true;
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  segkit_read_result *r = NULL;
  segkit_error err;
  assert_int_equal(segkit_jsonl_read_buffer(text, strlen(text), &o, &r, &err), SEGKIT_OK);
  assert_int_equal(segkit_read_result_row_line(r, 0), 1);
  assert_int_equal(segkit_read_result_row_line(r, 1), 3);
  assert_int_equal(segkit_read_result_row_line(r, 2), 4);
  assert_int_equal(segkit_read_result_check_key(r, "id", SEGKIT_ON_ERROR_QUARANTINE, NULL, &err),
                   SEGKIT_OK);
  const segkit_reject *j = segkit_read_result_rejects(r);
  assert_int_equal(j[0].line, 4);
  assert_string_equal(j[0].message, "key id = 7 repeats line 1's (expected a unique key; the "
                                    "first row is kept)");
  segkit_read_result_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keys_quarantined_with_lines), cmocka_unit_test(keys_fail_names_both_lines),
      cmocka_unit_test(keys_skip_counts_only),       cmocka_unit_test(keys_of_every_type),
      cmocka_unit_test(keys_bad_column),             cmocka_unit_test(keys_jsonl_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
