/* Codebook files and the codebook object: a hand-written codebook read back field by
 * field, every validation error with the line, column and field worked out by hand from
 * the text in the test (lines from 1, columns are 1-based bytes), CRLF and a byte order
 * mark, and the JSON form (a small codebook against JSON written by hand, and a round
 * trip of the fixture codebook). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survey_file.h"
#include "testkit.h"

#define HEADER "variable,question,type,code,label,missing\n"

static segkit_codebook *read_ok(const char *text) {
  segkit_codebook *cb = NULL;
  segkit_error err;
  segkit_status st = segkit_codebook_read_buffer(text, strlen(text), "cb.csv", &cb, &err);
  if (st != SEGKIT_OK) {
    char buf[1200];
    segkit_error_format(&err, buf, sizeof buf);
    fail_msg("codebook read failed: %s", buf);
  }
  return cb;
}

/* Expect a parse failure at line:column in field, with `needle` in the message. */
static void expect_error(const char *text, segkit_status code, int64_t line, int64_t column,
                         const char *field, const char *needle) {
  segkit_codebook *cb = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  segkit_status st = segkit_codebook_read_buffer(text, strlen(text), "cb.csv", &cb, &err);
  assert_int_equal(st, code);
  assert_int_equal(err.code, code);
  assert_null(cb);
  assert_string_equal(err.file, "cb.csv");
  assert_int_equal(err.line, line);
  assert_int_equal(err.column, column);
  assert_string_equal(err.field, field);
  if (strstr(err.message, needle) == NULL) {
    fail_msg("message '%s' lacks '%s'", err.message, needle);
  }
  assert_non_null(strstr(err.message, "(expected"));
}

/* ==== the fixture codebook ============================================================== */

static void io_survey_codebook_fixture_fields(void **state) {
  (void)state;
  segkit_codebook *cb = NULL;
  segkit_error err;
  assert_int_equal(segkit_codebook_read(SEGKIT_TEST_DATA "/survey_file/codebook.csv", &cb, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_codebook_n_variables(cb), 6);
  const char *names[6] = {"id", "q1", "q2", "region", "age", "comment"};
  segkit_survey_type types[6] = {SEGKIT_SURVEY_TEXT,   SEGKIT_SURVEY_LIKERT,
                                 SEGKIT_SURVEY_MULTI,  SEGKIT_SURVEY_SINGLE,
                                 SEGKIT_SURVEY_NUMERIC, SEGKIT_SURVEY_TEXT};
  int64_t lines[6] = {3, 4, 9, 13, 17, 19};
  for (size_t i = 0; i < 6; i++) {
    assert_string_equal(segkit_codebook_name(cb, i), names[i]);
    assert_int_equal(segkit_codebook_type(cb, i), types[i]);
    assert_int_equal(segkit_codebook_line(cb, i), lines[i]);
    assert_int_equal(segkit_codebook_find(cb, names[i]), (long)i);
  }
  assert_int_equal(segkit_codebook_find(cb, "nope"), -1);
  assert_string_equal(segkit_codebook_question(cb, 1), "How satisfied are you with the service?");
  assert_string_equal(segkit_codebook_question(cb, 5), "Anything else? (\"open\")");
  /* q1: labels sorted by code; 99 has no label of its own, so its reason labels it. */
  assert_int_equal(segkit_codebook_n_labels(cb, 1), 4);
  assert_string_equal(segkit_codebook_label(cb, 1, 1), "Very dissatisfied");
  assert_string_equal(segkit_codebook_label(cb, 1, 5), "Very satisfied");
  assert_string_equal(segkit_codebook_label(cb, 1, 98), "Don't know");
  assert_string_equal(segkit_codebook_label(cb, 1, 99), "refused");
  assert_null(segkit_codebook_label(cb, 1, 3));
  assert_int_equal(segkit_codebook_label_at(cb, 1, 2)->code, 98);
  assert_int_equal(segkit_codebook_n_missing(cb, 1), 2);
  assert_string_equal(segkit_codebook_missing_at(cb, 1, 0)->reason, "don't know");
  assert_true(segkit_codebook_missing_at(cb, 1, 0)->lo == 98.0);
  assert_string_equal(segkit_codebook_missing_at(cb, 1, 1)->reason, "refused");
  assert_int_equal(segkit_codebook_missing_find(cb, 1, 99.0), 1);
  assert_int_equal(segkit_codebook_missing_find(cb, 1, 5.0), -1);
  /* Likert range from the lowest to the highest labelled non-missing code. */
  assert_true(segkit_codebook_range_lo(cb, 1) == 1.0);
  assert_true(segkit_codebook_range_hi(cb, 1) == 5.0);
  assert_false(segkit_codebook_exhaustive(cb, 1));
  /* q2: quoted label with a comma. */
  assert_string_equal(segkit_codebook_label(cb, 2, 3), "Initech, Inc.");
  assert_true(segkit_codebook_exhaustive(cb, 2));
  assert_true(segkit_codebook_exhaustive(cb, 3));
  /* age: explicit range, a missing code. */
  assert_true(segkit_codebook_range_lo(cb, 4) == 18.0);
  assert_true(segkit_codebook_range_hi(cb, 4) == 99.0);
  assert_int_equal(segkit_codebook_missing_find(cb, 4, 999.0), 0);
  assert_true(isnan(segkit_codebook_range_lo(cb, 3)));
  /* Out of range getters. */
  assert_null(segkit_codebook_name(cb, 6));
  assert_null(segkit_codebook_label_at(cb, 1, 4));
  assert_null(segkit_codebook_missing_at(cb, 1, 2));
  segkit_codebook_free(cb);
  segkit_codebook_free(NULL);
}

static void io_survey_codebook_crlf_bom_comments(void **state) {
  (void)state;
  const char *text = "\xEF\xBB\xBFvariable,question,type,code,label,missing\r\n"
                     "# comment line\r\n"
                     "\r\n"
                     "s,Single,single,,,\r\n"
                     "s,,,  2 ,Two,\r\n"
                     "n,Num,numeric,,0..,\r\n";
  segkit_codebook *cb = read_ok(text);
  assert_int_equal(segkit_codebook_n_variables(cb), 2);
  assert_string_equal(segkit_codebook_label(cb, 0, 2), "Two");
  assert_int_equal(segkit_codebook_line(cb, 0), 4);
  assert_true(segkit_codebook_range_lo(cb, 1) == 0.0);
  assert_true(isnan(segkit_codebook_range_hi(cb, 1)));
  segkit_codebook_free(cb);
  /* Errors after a BOM count columns from the first character after it. */
  expect_error("\xEF\xBB\xBFvariable,question,tpe,code,label,missing\n", SEGKIT_ERR_PARSE, 1,
               19, "type", "should be 'type'");
}

/* ==== errors ============================================================================ */

static void io_survey_codebook_errors(void **state) {
  (void)state;
  expect_error("", SEGKIT_ERR_PARSE, 1, 1, "", "empty codebook");
  expect_error("var,question,type,code,label,missing\n", SEGKIT_ERR_PARSE, 1, 1, "variable",
               "should be 'variable'");
  expect_error(HEADER "q1,Q,likret,,,\n", SEGKIT_ERR_PARSE, 2, 6, "type",
               "unknown question type \"likret\"");
  expect_error(HEADER "q1,Q,single,,,\nq1,,,x1,A,\n", SEGKIT_ERR_PARSE, 3, 6, "code",
               "\"x1\" is not an integer code");
  expect_error(HEADER "q1,Q,single,,,\nq1,,,1.5,A,\n", SEGKIT_ERR_PARSE, 3, 6, "code",
               "not an integer code");
  expect_error(HEADER "q1,Q,single,,,\nq1,,,1,A,\nq1,,,1,B,\n", SEGKIT_ERR_PARSE, 4, 6, "code",
               "code 1 of q1 is given twice");
  expect_error(HEADER "q1,Q,likert,,,\nq1,,,98,DK,don't know\n", SEGKIT_ERR_PARSE, 2, 6, "type",
               "likert question 'q1' has no labelled codes");
  expect_error(HEADER "q1,Q,single\n", SEGKIT_ERR_PARSE, 2, 12, "code", "only 3 field(s)");
  expect_error(HEADER "q1,Q,single,,,,\n", SEGKIT_ERR_PARSE, 2, 16, "",
               "more than 6 fields");
  expect_error(HEADER "q1,\"Q,single,,,\n", SEGKIT_ERR_PARSE, 2, 4, "", "never closed");
  expect_error(HEADER "q1,\"Q\"x,single,,,\n", SEGKIT_ERR_PARSE, 2, 7, "",
               "text after a closing quote");
  expect_error(HEADER "q1,Q\"x,single,,,\n", SEGKIT_ERR_PARSE, 2, 5, "",
               "a quote inside an unquoted field");
  expect_error(HEADER "q9,,,1,A,\n", SEGKIT_ERR_PARSE, 2, 1, "variable",
               "no variable row above it");
  expect_error(HEADER "c,C,text,,,\nc,,,1,A,\n", SEGKIT_ERR_PARSE, 3, 5, "code",
               "a code for the text question");
  expect_error(HEADER "age,Age,numeric,,9..1,\n", SEGKIT_ERR_PARSE, 2, 18, "label",
               "min above its max");
  expect_error(HEADER "age,Age,numeric,,1-9,\n", SEGKIT_ERR_PARSE, 2, 18, "label",
               "\"1-9\" is not a range");
  expect_error(HEADER "s,S,single,,1..2,\n", SEGKIT_ERR_PARSE, 2, 13, "label",
               "a label on the variable row of a single question");
  expect_error(HEADER "s,S,single,1,A,\n", SEGKIT_ERR_PARSE, 2, 12, "code",
               "both a type and a code");
  expect_error(HEADER "s,S,,,,\n", SEGKIT_ERR_PARSE, 2, 5, "type", "neither a type nor a code");
  expect_error(HEADER ",S,single,,,\n", SEGKIT_ERR_PARSE, 2, 1, "variable", "no variable name");
  expect_error(HEADER "s,S,single,,,\ns,,,1,A,\ns,T,text,,,\n", SEGKIT_ERR_PARSE, 4, 1,
               "variable", "already defined at line 2");
  expect_error(HEADER "s,S,single,,,\ns,,,1,,\n", SEGKIT_ERR_PARSE, 3, 7, "label",
               "code 1 has no label");
  expect_error(HEADER "m,M,multi,,,\nm,,,-1,A,\n", SEGKIT_ERR_PARSE, 3, 5, "code",
               "is negative");
  expect_error(HEADER "s,S,single,,,dk\n", SEGKIT_ERR_PARSE, 2, 14, "missing",
               "a variable row with a missing reason");
  expect_error(HEADER "s,S,single,,,\ns,Q,,1,A,\n", SEGKIT_ERR_PARSE, 3, 3, "question",
               "a code row with a question");
  expect_error(HEADER "s,S\xff,single,,,\n", SEGKIT_ERR_PARSE, 2, 3, "", "not UTF-8");
  /* The multi-line quoted question moves the line count on. */
  expect_error(HEADER "s,\"two\nlines\",single,,,\nt,T,nope,,,\n", SEGKIT_ERR_PARSE, 4, 5,
               "type", "unknown question type");
}

static void io_survey_codebook_file_errors(void **state) {
  (void)state;
  segkit_codebook *cb = NULL;
  segkit_error err;
  assert_int_equal(segkit_codebook_read("/nonexistent/cb.csv", &cb, &err), SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.file, "/nonexistent/cb.csv"));
  assert_null(cb);
}

/* ==== the object and JSON =============================================================== */

static void io_survey_codebook_building_rules(void **state) {
  (void)state;
  segkit_codebook *cb = NULL;
  segkit_error err;
  assert_int_equal(segkit_codebook_new(&cb, &err), SEGKIT_OK);
  size_t k = 9;
  assert_int_equal(segkit_codebook_add_variable(cb, "v", "Q", SEGKIT_SURVEY_SINGLE, &k, &err),
                   SEGKIT_OK);
  assert_int_equal(k, 0);
  assert_int_equal(segkit_codebook_add_variable(cb, "v", "Q", SEGKIT_SURVEY_SINGLE, NULL, &err),
                   SEGKIT_ERR_EXISTS);
  assert_int_equal(segkit_codebook_add_label(cb, 0, 3, "c", &err), SEGKIT_OK);
  assert_int_equal(segkit_codebook_add_label(cb, 0, 1, "a", &err), SEGKIT_OK);
  assert_int_equal(segkit_codebook_add_label(cb, 0, 2, "b", &err), SEGKIT_OK);
  assert_int_equal(segkit_codebook_add_label(cb, 0, 2, "b", &err), SEGKIT_ERR_EXISTS);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(segkit_codebook_label_at(cb, 0, i)->code, (int64_t)i + 1);
  }
  segkit_missing_code range = {-9, -1, 0, "refused"};
  segkit_missing_code bad = {5, 1, 0, "x"};
  segkit_missing_code tag = {0, 0, 'a', "don't know"};
  assert_int_equal(segkit_codebook_add_missing(cb, 0, &range, &err), SEGKIT_OK);
  assert_int_equal(segkit_codebook_add_missing(cb, 0, &range, &err), SEGKIT_ERR_EXISTS);
  assert_int_equal(segkit_codebook_add_missing(cb, 0, &bad, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_codebook_add_missing(cb, 0, &tag, &err), SEGKIT_OK);
  assert_true(isnan(segkit_codebook_missing_at(cb, 0, 1)->lo));
  assert_int_equal(segkit_codebook_missing_find(cb, 0, -3.0), 0);
  assert_int_equal(segkit_codebook_missing_find(cb, 0, 0.0), -1);
  assert_int_equal(segkit_codebook_set_range(cb, 0, 5, 1, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_codebook_add_label(cb, 1, 1, "x", &err), SEGKIT_ERR_USAGE);
  segkit_codebook_free(cb);
}

static void io_survey_codebook_json_by_hand(void **state) {
  (void)state;
  segkit_codebook *cb = read_ok(HEADER "s,\"Pick \"\"one\"\"\",single,,,\ns,,,1,Yes,\ns,,,9,DK,don't know\n"
                                       "n,Num,numeric,,..10,\n");
  segkit_missing_code lo_inf = {-INFINITY, -1, 0, "user missing"};
  segkit_missing_code tag = {0, 0, 'b', "refused"};
  segkit_error err;
  assert_int_equal(segkit_codebook_add_missing(cb, 1, &lo_inf, &err), SEGKIT_OK);
  assert_int_equal(segkit_codebook_add_missing(cb, 1, &tag, &err), SEGKIT_OK);
  char *json = NULL;
  assert_int_equal(segkit_codebook_to_json(cb, &json, &err), SEGKIT_OK);
  const char *expected =
      "{\"version\":1,\"variables\":["
      "{\"name\":\"s\",\"question\":\"Pick \\\"one\\\"\",\"type\":\"single\","
      "\"labels\":[{\"code\":1,\"label\":\"Yes\"},{\"code\":9,\"label\":\"DK\"}],"
      "\"missing\":[{\"lo\":9.0,\"hi\":9.0,\"reason\":\"don't know\"}],"
      "\"range\":[null,null],\"exhaustive\":true},"
      "{\"name\":\"n\",\"question\":\"Num\",\"type\":\"numeric\",\"labels\":[],"
      "\"missing\":[{\"lo\":\"-inf\",\"hi\":-1.0,\"reason\":\"user missing\"},"
      "{\"tag\":\"b\",\"reason\":\"refused\"}],"
      "\"range\":[null,10.0],\"exhaustive\":false}]}";
  assert_string_equal(json, expected);
  segkit_codebook *back = NULL;
  assert_int_equal(segkit_codebook_from_json(json, strlen(json), &back, &err), SEGKIT_OK);
  assert_true(isinf(segkit_codebook_missing_at(back, 1, 0)->lo));
  assert_int_equal(segkit_codebook_missing_at(back, 1, 1)->tag, 'b');
  assert_true(segkit_codebook_range_hi(back, 1) == 10.0);
  assert_true(segkit_codebook_exhaustive(back, 0));
  char *again = NULL;
  assert_int_equal(segkit_codebook_to_json(back, &again, &err), SEGKIT_OK);
  assert_string_equal(again, json);
  free(again);
  free(json);
  segkit_codebook_free(back);
  segkit_codebook_free(cb);
}

static void io_survey_codebook_json_round_trip_fixture(void **state) {
  (void)state;
  segkit_codebook *cb = NULL;
  segkit_error err;
  assert_int_equal(segkit_codebook_read(SEGKIT_TEST_DATA "/survey_file/codebook.csv", &cb, &err),
                   SEGKIT_OK);
  char *json = NULL;
  assert_int_equal(segkit_codebook_to_json(cb, &json, &err), SEGKIT_OK);
  segkit_codebook *back = NULL;
  assert_int_equal(segkit_codebook_from_json(json, strlen(json), &back, &err), SEGKIT_OK);
  assert_int_equal(segkit_codebook_n_variables(back), segkit_codebook_n_variables(cb));
  for (size_t v = 0; v < segkit_codebook_n_variables(cb); v++) {
    assert_int_equal(segkit_codebook_n_labels(back, v), segkit_codebook_n_labels(cb, v));
    for (size_t i = 0; i < segkit_codebook_n_labels(cb, v); i++) {
      assert_int_equal(segkit_codebook_label_at(back, v, i)->code,
                       segkit_codebook_label_at(cb, v, i)->code);
      assert_string_equal(segkit_codebook_label_at(back, v, i)->label,
                          segkit_codebook_label_at(cb, v, i)->label);
    }
    assert_int_equal(segkit_codebook_n_missing(back, v), segkit_codebook_n_missing(cb, v));
  }
  free(json);
  segkit_codebook_free(back);
  segkit_codebook_free(cb);
}

static void io_survey_codebook_json_errors(void **state) {
  (void)state;
  const char *bad[] = {
      "not json",
      "{\"version\":2,\"variables\":[]}",
      "{\"version\":1,\"variables\":[{\"name\":\"a\",\"question\":\"\",\"type\":\"nope\"}]}",
      ("{\"version\":1,\"variables\":[{\"name\":\"a\",\"question\":\"\",\"type\":\"single\","
       "\"labels\":[{\"code\":1.5,\"label\":\"x\"}],\"missing\":[],\"range\":[null,null],"
       "\"exhaustive\":true}]}"),
      ("{\"version\":1,\"variables\":[{\"name\":\"a\",\"question\":\"\",\"type\":\"single\","
       "\"labels\":[],\"missing\":[{\"lo\":3,\"hi\":1,\"reason\":\"x\"}],\"range\":[null,null],"
       "\"exhaustive\":true}]}"),
      ("{\"version\":1,\"variables\":[{\"name\":\"a\",\"question\":\"\",\"type\":\"single\","
       "\"labels\":[],\"missing\":[],\"range\":[2,1],\"exhaustive\":true}]}"),
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    segkit_codebook *cb = NULL;
    segkit_error err;
    assert_int_equal(segkit_codebook_from_json(bad[i], strlen(bad[i]), &cb, &err),
                     SEGKIT_ERR_PARSE);
    assert_null(cb);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(io_survey_codebook_fixture_fields),
      cmocka_unit_test(io_survey_codebook_crlf_bom_comments),
      cmocka_unit_test(io_survey_codebook_errors),
      cmocka_unit_test(io_survey_codebook_file_errors),
      cmocka_unit_test(io_survey_codebook_building_rules),
      cmocka_unit_test(io_survey_codebook_json_by_hand),
      cmocka_unit_test(io_survey_codebook_json_round_trip_fixture),
      cmocka_unit_test(io_survey_codebook_json_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
