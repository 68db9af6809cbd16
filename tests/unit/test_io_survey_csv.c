/* CSV survey responses read with a codebook: the typed table, why each null is null, the
 * value a missing code had, and the bad values per respondent and question. The fixture
 * (tests/data/survey_file/responses.csv + codebook.csv) was written by hand, and every
 * expected cell, reason, line and bad value below was worked out by hand from it (lines
 * count from the header = 1; R8's comment spans lines 9-10). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_testkit.h"
#include "segkit/survey_file.h"
#include "testkit.h"

#define DATA SEGKIT_TEST_DATA "/survey_file/"
#define HEADER "variable,question,type,code,label,missing\n"

static segkit_codebook *fixture_codebook(void) {
  segkit_codebook *cb = NULL;
  segkit_error err;
  assert_int_equal(segkit_codebook_read(DATA "codebook.csv", &cb, &err), SEGKIT_OK);
  return cb;
}

static segkit_codebook *codebook_of(const char *text) {
  segkit_codebook *cb = NULL;
  segkit_error err;
  assert_int_equal(segkit_codebook_read_buffer(text, strlen(text), "cb.csv", &cb, &err),
                   SEGKIT_OK);
  return cb;
}

static segkit_survey_data *read_fixture(const segkit_survey_options *opt) {
  segkit_codebook *cb = fixture_codebook();
  segkit_survey_data *d = NULL;
  segkit_error err;
  segkit_status st = segkit_survey_read_csv(DATA "responses.csv", cb, opt, &d, &err);
  if (st != SEGKIT_OK) {
    char buf[1200];
    segkit_error_format(&err, buf, sizeof buf);
    fail_msg("survey read failed: %s", buf);
  }
  segkit_codebook_free(cb);
  return d;
}

static void io_survey_csv_table(void **state) {
  (void)state;
  segkit_survey_options opt;
  segkit_survey_options_init(&opt);
  opt.id_column = "id";
  segkit_survey_data *d = read_fixture(&opt);
  const segkit_table *t = segkit_survey_data_table(d);
  assert_string_equal(iot_schema(t),
                      "id:string,q1:int64,q2_1:int64,q2_2:int64,q2_3:int64,region:int64,"
                      "age:float64,comment:string,wave:int64");
  char *dump = iot_dump(t);
  assert_string_equal(dump,
                      "R1|5|1|0|1|1|34|great|1\n"
                      "R2|<null>|0|1|0|2|51.5|<null>|1\n"
                      "R3|<null>|1|1|0|<null>|<null>|too slow, really|1\n"
                      "R4|3|0|0|<null>|<null>|<null>|ok|2\n"
                      "R5|<null>|1|0|0|1|<null>|<null>|2\n"
                      "R6|<null>|<null>|<null>|<null>|<null>|<null>|<null>|2\n"
                      "R7|<null>|1|1|1|2|99|fine|2\n"
                      "R8|<null>|0|0|1|1|18|multi\nline|2\n");
  free(dump);
  segkit_survey_data_free(d);
}

static void io_survey_csv_reasons(void **state) {
  (void)state;
  segkit_survey_options opt;
  segkit_survey_options_init(&opt);
  opt.id_column = "id";
  segkit_survey_data *d = read_fixture(&opt);
  const uint16_t B = SEGKIT_SURVEY_BLANK;
  const uint16_t X = SEGKIT_SURVEY_BAD;
  /* q1 (column 1): missing codes 98 = 1 (don't know), 99 = 2 (refused). */
  const uint16_t q1[8] = {0, 1, X, 0, X, B, X, 2};
  /* region (column 5): 9 = 1 (refused). */
  const uint16_t region[8] = {0, 0, X, 1, 0, B, 0, 0};
  /* age (column 6): 999 = 1 (refused). */
  const uint16_t age[8] = {0, 0, X, 1, X, B, 0, 0};
  const uint16_t comment[8] = {0, B, 0, 0, B, B, 0, 0};
  const uint16_t *r = segkit_survey_data_reasons(d, 1);
  assert_non_null(r);
  assert_memory_equal(r, q1, sizeof q1);
  assert_memory_equal(segkit_survey_data_reasons(d, 5), region, sizeof region);
  assert_memory_equal(segkit_survey_data_reasons(d, 6), age, sizeof age);
  assert_memory_equal(segkit_survey_data_reasons(d, 7), comment, sizeof comment);
  assert_null(segkit_survey_data_reasons(d, 8)); /* wave: not in the codebook */
  assert_int_equal(segkit_survey_data_reason_count(d, 1, 1), 1);
  assert_int_equal(segkit_survey_data_reason_count(d, 1, 2), 1);
  assert_int_equal(segkit_survey_data_reason_count(d, 1, X), 3);
  /* Values the missing codes had. */
  assert_true(segkit_survey_data_missing_value(d, 1, 1) == 98.0);
  assert_true(segkit_survey_data_missing_value(d, 1, 7) == 99.0);
  assert_true(isnan(segkit_survey_data_missing_value(d, 1, 0)));
  assert_true(segkit_survey_data_missing_value(d, 6, 3) == 999.0);
  /* Column -> variable. */
  int64_t option = -1;
  const segkit_codebook *cb = segkit_survey_data_codebook(d);
  assert_int_equal(segkit_survey_data_variable_of(d, 3, &option),
                   segkit_codebook_find(cb, "q2"));
  assert_int_equal(option, 2);
  assert_int_equal(segkit_survey_data_variable_of(d, 0, NULL), segkit_codebook_find(cb, "id"));
  assert_int_equal(segkit_survey_data_variable_of(d, 8, NULL), -1);
  assert_string_equal(segkit_codebook_missing_at(cb, 1, q1[1] - 1)->reason, "don't know");
  segkit_survey_data_free(d);
}

typedef struct expect_bad {
  int64_t row, line;
  const char *respondent, *variable, *value;
  segkit_survey_bad_reason reason;
  const char *needle;
} expect_bad;

static void io_survey_csv_bad_values(void **state) {
  (void)state;
  segkit_survey_options opt;
  segkit_survey_options_init(&opt);
  opt.id_column = "id";
  segkit_survey_data *d = read_fixture(&opt);
  const expect_bad want[] = {
      {2, 4, "R3", "q1", "7", SEGKIT_SURVEY_BAD_OUT_OF_RANGE, "outside the scale 1..5"},
      {2, 4, "R3", "region", "3", SEGKIT_SURVEY_BAD_UNKNOWN_CODE, "not a code of the codebook"},
      {2, 4, "R3", "age", "17", SEGKIT_SURVEY_BAD_OUT_OF_RANGE, "outside the valid range 18..99"},
      {3, 5, "R4", "q2_3", "2", SEGKIT_SURVEY_BAD_NOT_BINARY, "not 0 or 1"},
      {4, 6, "R5", "q1", "abc", SEGKIT_SURVEY_BAD_NOT_A_NUMBER, "not a code"},
      {4, 6, "R5", "age", "x", SEGKIT_SURVEY_BAD_NOT_A_NUMBER, "not a number"},
      {6, 8, "R7", "q1", "2.5", SEGKIT_SURVEY_BAD_NOT_INTEGER, "not an integer code"},
  };
  size_t n = sizeof want / sizeof want[0];
  assert_int_equal(segkit_survey_data_n_bad(d), n);
  assert_int_equal(segkit_survey_data_n_bad_listed(d), n);
  for (size_t i = 0; i < n; i++) {
    const segkit_survey_bad_value *b = segkit_survey_data_bad_at(d, i);
    assert_non_null(b);
    assert_int_equal(b->row, want[i].row);
    assert_int_equal(b->line, want[i].line);
    assert_string_equal(b->respondent, want[i].respondent);
    assert_string_equal(b->variable, want[i].variable);
    assert_string_equal(b->value, want[i].value);
    assert_int_equal(b->reason, want[i].reason);
    if (strstr(b->message, want[i].needle) == NULL) {
      fail_msg("bad value %zu: '%s' lacks '%s'", i, b->message, want[i].needle);
    }
    assert_non_null(strstr(b->message, want[i].respondent));
  }
  assert_null(segkit_survey_data_bad_at(d, n));
  assert_int_equal(segkit_survey_data_n_bad_by_reason(d, SEGKIT_SURVEY_BAD_OUT_OF_RANGE), 2);
  assert_int_equal(segkit_survey_data_n_bad_by_reason(d, SEGKIT_SURVEY_BAD_NOT_A_NUMBER), 2);
  assert_int_equal(segkit_survey_data_n_bad_by_reason(d, SEGKIT_SURVEY_BAD_ROW), 0);
  assert_string_equal(segkit_survey_bad_reason_id(SEGKIT_SURVEY_BAD_UNKNOWN_CODE),
                      "unknown_code");
  segkit_survey_data_free(d);
}

static void io_survey_csv_fail_mode(void **state) {
  (void)state;
  segkit_codebook *cb = fixture_codebook();
  segkit_survey_options opt;
  segkit_survey_options_init(&opt);
  opt.id_column = "id";
  opt.on_error = SEGKIT_ON_ERROR_FAIL;
  segkit_survey_data *d = NULL;
  segkit_error err;
  assert_int_equal(segkit_survey_read_csv(DATA "responses.csv", cb, &opt, &d, &err),
                   SEGKIT_ERR_PARSE);
  assert_null(d);
  assert_non_null(strstr(err.file, "responses.csv"));
  assert_int_equal(err.line, 4);
  assert_string_equal(err.field, "q1");
  assert_non_null(strstr(err.message, "respondent R3, q1: \"7\" is outside the scale 1..5"));
  segkit_codebook_free(cb);
}

static void io_survey_csv_bad_rows_and_limits(void **state) {
  (void)state;
  segkit_codebook *cb = codebook_of(HEADER "s,S,single,,,\ns,,,1,A,\ns,,,2,B,\n");
  const char *text = "who,s\nA,1\nB,2,extra\nC,3\nD,1\n";
  segkit_survey_options opt;
  segkit_survey_options_init(&opt);
  opt.id_column = "who";
  opt.max_bad_listed = 1;
  segkit_survey_data *d = NULL;
  segkit_error err;
  assert_int_equal(segkit_survey_read_csv_buffer(text, strlen(text), "r.csv", cb, &opt, &d, &err),
                   SEGKIT_OK);
  char *dump = iot_dump(segkit_survey_data_table(d));
  assert_string_equal(dump, "A|1\nC|<null>\nD|1\n");
  free(dump);
  /* Two bad things (the row with 3 fields, the code 3), one listed. The rejected row is
   * listed first (the reader's structural rejects come before the cell checks). */
  assert_int_equal(segkit_survey_data_n_bad(d), 2);
  assert_int_equal(segkit_survey_data_n_bad_listed(d), 1);
  const segkit_survey_bad_value *b = segkit_survey_data_bad_at(d, 0);
  assert_int_equal(b->reason, SEGKIT_SURVEY_BAD_ROW);
  assert_int_equal(b->row, -1);
  assert_int_equal(b->line, 3);
  assert_string_equal(b->value, "B,2,extra");
  assert_int_equal(segkit_survey_data_n_bad_by_reason(d, SEGKIT_SURVEY_BAD_UNKNOWN_CODE), 1);
  segkit_survey_data_free(d);
  segkit_codebook_free(cb);
}

static void io_survey_csv_schema_errors(void **state) {
  (void)state;
  segkit_codebook *cb = codebook_of(HEADER "s,S,single,,,\ns,,,1,A,\n"
                                           "m,M,multi,,,\nm,,,1,X,\nm,,,2,Y,\n");
  segkit_survey_data *d = NULL;
  segkit_error err;
  const char *no_s = "id,m_1,m_2\n1,1,0\n";
  assert_int_equal(segkit_survey_read_csv_buffer(no_s, strlen(no_s), "r.csv", cb, NULL, &d, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.file, "r.csv");
  assert_string_equal(err.field, "s");
  assert_non_null(strstr(err.message, "codebook line 2"));
  const char *no_opt = "s,m_1\n1,1\n";
  assert_int_equal(
      segkit_survey_read_csv_buffer(no_opt, strlen(no_opt), "r.csv", cb, NULL, &d, &err),
      SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "m_2");
  assert_non_null(strstr(err.message, "codebook line 4"));
  segkit_survey_options opt;
  segkit_survey_options_init(&opt);
  opt.id_column = "resp";
  const char *ok = "s,m_1,m_2\n1,1,0\n";
  assert_int_equal(segkit_survey_read_csv_buffer(ok, strlen(ok), "r.csv", cb, &opt, &d, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "resp");
  assert_null(d);
  assert_int_equal(segkit_survey_read_csv("/nonexistent/r.csv", cb, NULL, &d, &err),
                   SEGKIT_ERR_NOT_FOUND);
  /* Empty input: no header at all. */
  assert_int_not_equal(segkit_survey_read_csv_buffer("", 0, "r.csv", cb, NULL, &d, &err),
                       SEGKIT_OK);
  assert_null(d);
  segkit_codebook_free(cb);
}

/* Semicolons, a BOM and CRLF come through the CSV reader; null spellings are blank. */
static void io_survey_csv_dialects(void **state) {
  (void)state;
  segkit_codebook *cb = codebook_of(HEADER "n,N,numeric,,,\nn,,,-1,DK,don't know\n");
  const char *text = "\xEF\xBB\xBFn;other\r\n1,5;x\r\n-1;y\r\nNA;z\r\n";
  segkit_survey_data *d = NULL;
  segkit_error err;
  assert_int_equal(segkit_survey_read_csv_buffer(text, strlen(text), "r.csv", cb, NULL, &d, &err),
                   SEGKIT_OK);
  /* "1,5" is not a number (the delimiter is ';'): bad, listed without a respondent. */
  char *dump = iot_dump(segkit_survey_data_table(d));
  assert_string_equal(dump, "<null>|x\n<null>|y\n<null>|z\n");
  free(dump);
  const uint16_t want[3] = {SEGKIT_SURVEY_BAD, 1, SEGKIT_SURVEY_BLANK};
  assert_memory_equal(segkit_survey_data_reasons(d, 0), want, sizeof want);
  assert_null(segkit_survey_data_bad_at(d, 0)->respondent);
  assert_int_equal(segkit_survey_data_bad_at(d, 0)->line, 2);
  segkit_survey_data_free(d);
  segkit_codebook_free(cb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(io_survey_csv_table),
      cmocka_unit_test(io_survey_csv_reasons),
      cmocka_unit_test(io_survey_csv_bad_values),
      cmocka_unit_test(io_survey_csv_fail_mode),
      cmocka_unit_test(io_survey_csv_bad_rows_and_limits),
      cmocka_unit_test(io_survey_csv_schema_errors),
      cmocka_unit_test(io_survey_csv_dialects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
