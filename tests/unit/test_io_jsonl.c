/* JSON Lines reader: schema from the sample (union of keys, first-seen order), types from
 * JSON values, nested values kept as JSON text, rejects (bad JSON, non-objects, unknown
 * keys, bad values, bad UTF-8) with line and byte column, overrides, streaming through a
 * tiny buffer. Expected values are worked out by hand from the inputs. */
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

static segkit_read_options opts(void) {
  segkit_read_options o;
  segkit_read_options_init(&o);
  return o;
}

static segkit_read_result *jread_ok(const char *text, const segkit_read_options *o) {
  segkit_read_result *r = NULL;
  segkit_error err;
  if (segkit_jsonl_read_buffer(text, strlen(text), o, &r, &err) != SEGKIT_OK) {
    char buf[1200];
    segkit_error_format(&err, buf, sizeof buf);
    fail_msg("read failed: %s", buf);
  }
  return r;
}

static segkit_error jread_fail(const char *text, const segkit_read_options *o) {
  segkit_read_result *r = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  assert_int_not_equal(segkit_jsonl_read_buffer(text, strlen(text), o, &r, &err), SEGKIT_OK);
  assert_null(r);
  return err;
}

static void expect(const segkit_read_result *r, const char *schema, const char *rows) {
  const segkit_table *t = segkit_read_result_table(r);
  assert_string_equal(iot_schema(t), schema);
  char *dump = iot_dump(t);
  assert_string_equal(dump, rows);
  free(dump);
}

static void expect_reject(const segkit_read_result *r, size_t i, segkit_reject_reason reason,
                          int64_t line, int64_t column, const char *field, const char *raw) {
  const segkit_reject *j = segkit_read_result_reject(r, i);
  assert_non_null(j);
  if (j->reason != reason || j->line != line || j->column != column) {
    fail_msg("reject %zu: %s %lld:%lld (%s), expected %s %lld:%lld", i,
             segkit_reject_reason_id(j->reason), (long long)j->line, (long long)j->column,
             j->message, segkit_reject_reason_id(reason), (long long)line, (long long)column);
  }
  if (field == NULL) {
    assert_null(j->field);
  } else {
    assert_string_equal(j->field, field);
  }
  assert_int_equal(j->raw_len, strlen(raw));
  assert_memory_equal(j->raw, raw, j->raw_len);
}

static void io_jsonl_schema_and_types(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_read_result *r = jread_ok(
      "{\"id\": 1, \"name\": \"Ann\", \"amount\": 12.5, \"ok\": true, \"day\": \"2024-01-31\"}\n"
      "{\"id\": 2, \"amount\": 3, \"ok\": false, \"at\": \"2024-01-31T09:30:00+01:00\", "
      "\"tags\": [1, \"a\"], \"meta\": {\"k\": null}}\n"
      "{\"name\": null, \"id\": 3, \"day\": null, \"at\": \"2024-02-01T00:00:00Z\"}\n",
      &o);
  expect(r,
         "id:int64,name:string,amount:float64,ok:bool,day:date,at:timestamp,tags:string,"
         "meta:string",
         "1|Ann|12.5|true|2024-01-31|<null>|<null>|<null>\n"
         "2|<null>|3|false|<null>|2024-01-31T08:30:00Z|[1,\"a\"]|{\"k\":null}\n"
         "3|<null>|<null>|<null>|<null>|2024-02-01T00:00:00Z|<null>|<null>\n");
  assert_int_equal(segkit_read_result_delimiter(r), 0);
  assert_int_equal(segkit_read_result_counts(r)->rows_read, 3);
  segkit_read_result_free(r);
}

static void io_jsonl_mixed_values_widen_to_string(void **state) {
  (void)state;
  segkit_read_options o = opts();
  /* A column mixing numbers and strings is a string column: numbers keep their text. */
  segkit_read_result *r = jread_ok("{\"v\": 1}\n{\"v\": \"x\"}\n{\"v\": 2.5}\n{\"v\": true}\n"
                                   "{\"v\": \"2024-01-01\", \"w\": \"\"}\n",
                                   &o);
  expect(r, "v:string,w:string", "1|<null>\nx|<null>\n2.5|<null>\ntrue|<null>\n2024-01-01|\n");
  segkit_read_result_free(r);
}

static void io_jsonl_blank_lines_crlf_bom(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  segkit_read_result *r =
      jread_ok("\xEF\xBB\xBF{\"a\": 1}\r\n\r\n   \n{\"a\": 2}\r\n{\"a\": \"x\"}\n", &o);
  /* Sampled: 1, 2, "x" -> string. */
  expect(r, "a:string", "1\n2\nx\n");
  segkit_read_result_free(r);
  o.infer_rows = 1;
  r = jread_ok("\xEF\xBB\xBF{\"a\": 1}\r\n\r\n   \n{\"a\": 2}\r\n{\"a\": \"x\"}\n", &o);
  expect(r, "a:int64", "1\n2\n");
  expect_reject(r, 0, SEGKIT_REJECT_BAD_VALUE, 5, 7, "a", "{\"a\": \"x\"}");
  assert_non_null(strstr(segkit_read_result_reject(r, 0)->message,
                         "\"x\" is not a valid int64 (expected a whole number like 42; column "
                         "type inferred from the first 1 rows, override with --type a=string)"));
  segkit_read_result_free(r);
}

static void io_jsonl_rejects(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  o.infer_rows = 2;
  const char *text = "{\"id\": 1, \"v\": 1.5}\n"    /* 1 */
                     "{\"id\": 2, \"v\": 2}\n"      /* 2 */
                     "{\"id\": 3, \"v\": 2,, }\n"   /* 3: syntax error at column 18 */
                     "[1, 2]\n"                     /* 4: not an object */
                     "{\"id\": 4, \"id\": 5}\n"     /* 5: duplicate key */
                     "{\"id\": 6, \"extra\": 1}\n"  /* 6: unknown key at column 11 */
                     "{\"id\": \"z\", \"v\": 1}\n"  /* 7: bad value at column 8 */
                     "{\"id\": 8, \"v\": \"caf\xC3\"}\n" /* 8: bad UTF-8 at column 20 */
                     "{\"id\": 9, \"v\": {\"a\": 1}}\n"  /* 9: an object in a float column */
                     "{\"id\": 10.0, \"v\": null}\n";    /* 10: 10.0 is an exact integer */
  segkit_read_result *r = jread_ok(text, &o);
  expect(r, "id:int64,v:float64", "1|1.5\n2|2\n10|<null>\n");
  const segkit_read_counts *c = segkit_read_result_counts(r);
  assert_int_equal(c->rows_read, 10);
  assert_int_equal(c->rows_rejected, 7);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_BAD_JSON], 3);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_UNKNOWN_FIELD], 1);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_BAD_VALUE], 2);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_BAD_UTF8], 1);
  expect_reject(r, 0, SEGKIT_REJECT_BAD_JSON, 3, 18, NULL, "{\"id\": 3, \"v\": 2,, }");
  expect_reject(r, 1, SEGKIT_REJECT_BAD_JSON, 4, 1, NULL, "[1, 2]");
  expect_reject(r, 2, SEGKIT_REJECT_BAD_JSON, 5, 14, NULL, "{\"id\": 4, \"id\": 5}");
  expect_reject(r, 3, SEGKIT_REJECT_UNKNOWN_FIELD, 6, 11, NULL, "{\"id\": 6, \"extra\": 1}");
  expect_reject(r, 4, SEGKIT_REJECT_BAD_VALUE, 7, 8, "id", "{\"id\": \"z\", \"v\": 1}");
  expect_reject(r, 5, SEGKIT_REJECT_BAD_UTF8, 8, 20, NULL, "{\"id\": 8, \"v\": \"caf\xC3\"}");
  expect_reject(r, 6, SEGKIT_REJECT_BAD_VALUE, 9, 16, "v", "{\"id\": 9, \"v\": {\"a\": 1}}");
  const char *m = segkit_read_result_reject(r, 3)->message;
  assert_non_null(strstr(m, "key \"extra\" is not in the schema"));
  assert_non_null(strstr(m, "--infer-rows"));
  assert_non_null(strstr(segkit_read_result_reject(r, 1)->message, "an array, not an object"));
  assert_non_null(strstr(segkit_read_result_reject(r, 2)->message, "duplicate"));
  segkit_read_result_free(r);
  /* FAIL: the first bad line, with file:line:column. */
  o.on_error = SEGKIT_ON_ERROR_FAIL;
  o.source_name = "events.jsonl";
  segkit_error err = jread_fail(text, &o);
  assert_int_equal(err.code, SEGKIT_ERR_PARSE);
  char buf[1200];
  segkit_error_format(&err, buf, sizeof buf);
  assert_non_null(strstr(buf, "events.jsonl:3:18: not valid JSON"));
  /* SKIP: counted, not kept. */
  o.on_error = SEGKIT_ON_ERROR_SKIP;
  r = jread_ok(text, &o);
  assert_int_equal(segkit_read_result_counts(r)->rows_rejected, 7);
  assert_int_equal(segkit_read_result_n_rejects(r), 0);
  segkit_read_result_free(r);
}

static void io_jsonl_rejected_line_leaves_nothing(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.infer_rows = 1;
  o.on_error = SEGKIT_ON_ERROR_SKIP;
  /* The string comes first in the line, the bad value after it. */
  segkit_read_result *r = jread_ok("{\"s\": \"keep\", \"n\": 1}\n"
                                   "{\"s\": \"unique_to_bad_line\", \"n\": \"x\"}\n"
                                   "{\"s\": \"keep2\", \"n\": 3}\n",
                                   &o);
  expect(r, "s:string,n:int64", "keep|1\nkeep2|3\n");
  const segkit_column *s = segkit_table_column(segkit_read_result_table(r), 0);
  assert_int_equal(segkit_column_dict_size(s), 2);
  assert_int_equal(segkit_column_dict_find(s, "unique_to_bad_line", 18), -1);
  segkit_read_result_free(r);
}

static void io_jsonl_overrides(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_type_override t[] = {{"at", SEGKIT_TYPE_TIMESTAMP},
                              {"n", SEGKIT_TYPE_STRING},
                              {"later", SEGKIT_TYPE_INT64},
                              {"flag", SEGKIT_TYPE_BOOL}};
  o.types = t;
  o.n_types = 4;
  o.infer_rows = 1;
  segkit_read_result *r =
      jread_ok("{\"at\": 1700000000, \"n\": 1.25, \"flag\": \"yes\"}\n"
               "{\"at\": \"2024-01-31T00:00:00Z\", \"n\": 42, \"later\": 7, \"flag\": 0}\n",
               &o);
  /* "later" was not in the sample: the override adds it. */
  expect(r, "at:timestamp,n:string,flag:bool,later:int64",
         "2023-11-14T22:13:20Z|1.25|true|<null>\n2024-01-31T00:00:00Z|42|false|7\n");
  assert_false(segkit_read_result_type_inferred(r, 0));
  segkit_read_result_free(r);
}

static void io_jsonl_empty_and_limits(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_error err = jread_fail("", &o);
  assert_int_equal(err.code, SEGKIT_ERR_PARSE);
  assert_non_null(strstr(err.message, "empty"));
  err = jread_fail("\n  \n\r\n", &o);
  assert_non_null(strstr(err.message, "empty"));
  /* Objects without keys give no column to put rows in. */
  o.on_error = SEGKIT_ON_ERROR_SKIP;
  err = jread_fail("{}\n[1]\n{}\n", &o);
  assert_int_equal(err.code, SEGKIT_ERR_SCHEMA);
  assert_non_null(strstr(err.message, "no keys"));
  o.on_error = SEGKIT_ON_ERROR_FAIL;
  /* A value longer than max_field_bytes, and a line beyond the buffer ceiling. */
  o.max_field_bytes = 20;
  o.buffer_bytes = 32;
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  char text[400];
  snprintf(text, sizeof text,
           "{\"s\": \"short\"}\n{\"s\": \"%s\"}\n{\"s\": \"%s\"}\n{\"s\": \"end\"}\n",
           "123456789012345678901", /* 21 bytes */
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  segkit_read_result *r = jread_ok(text, &o);
  expect(r, "s:string", "short\nend\n");
  assert_int_equal(segkit_read_result_counts(r)->rejected_by_reason[SEGKIT_REJECT_FIELD_TOO_LONG],
                   2);
  expect_reject(r, 0, SEGKIT_REJECT_FIELD_TOO_LONG, 2, 7, "s",
                "{\"s\": \"123456789012345678901\"}");
  const segkit_reject *j = segkit_read_result_reject(r, 1);
  assert_int_equal(j->line, 3);
  assert_true(j->raw_len >= 72 && j->raw_len < 86); /* only the start of the line */
  segkit_read_result_free(r);
}

static void io_jsonl_buffer_size_does_not_matter(void **state) {
  (void)state;
  size_t cap = 100000;
  char *text = malloc(cap);
  size_t n = 0;
  for (int i = 0; i < 500; i++) {
    if (i % 7 == 3) {
      n += (size_t)snprintf(text + n, cap - n, "{\"id\": %d, \"v\": \"bad\"}\n", i);
    } else if (i % 11 == 5) {
      n += (size_t)snprintf(text + n, cap - n, "\n{\"id\": %d, \"v\": %d.5, \"s\": \"x%d\"}\r\n",
                            i, i, i % 13);
    } else {
      n += (size_t)snprintf(text + n, cap - n, "{\"v\": %d, \"id\": %d}\n", i, i);
    }
  }
  segkit_read_options o = opts();
  o.infer_rows = 3;
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  segkit_read_result *r = jread_ok(text, &o);
  char *want = iot_dump(segkit_read_result_table(r));
  size_t want_rejects = segkit_read_result_n_rejects(r);
  /* 71 lines with i % 7 == 3 (bad value), 39 more with i % 11 == 5 (key "s", not in the
   * 3-line sample): 110. */
  assert_int_equal(want_rejects, 110);
  segkit_read_result_free(r);
  for (size_t b = 16; b < 300; b += 37) {
    o.buffer_bytes = b;
    r = jread_ok(text, &o);
    char *got = iot_dump(segkit_read_result_table(r));
    assert_string_equal(got, want);
    assert_int_equal(segkit_read_result_n_rejects(r), want_rejects);
    free(got);
    segkit_read_result_free(r);
  }
  free(want);
  free(text);
}

static void io_jsonl_file_read(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  const char *text = "{\"a\": 1}\n{\"a\": 2}\n";
  char *path = tu_write_file(dir, "x.jsonl", text, strlen(text));
  segkit_read_options o = opts();
  segkit_read_result *r = NULL;
  segkit_error err;
  assert_int_equal(segkit_jsonl_read(path, &o, &r, &err), SEGKIT_OK);
  expect(r, "a:int64", "1\n2\n");
  segkit_read_result_free(r);
  assert_int_equal(segkit_jsonl_read(dir, &o, &r, &err), SEGKIT_ERR_IO);
  assert_string_equal(err.file, dir);
  free(path);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(io_jsonl_schema_and_types),
      cmocka_unit_test(io_jsonl_mixed_values_widen_to_string),
      cmocka_unit_test(io_jsonl_blank_lines_crlf_bom),
      cmocka_unit_test(io_jsonl_rejects),
      cmocka_unit_test(io_jsonl_rejected_line_leaves_nothing),
      cmocka_unit_test(io_jsonl_overrides),
      cmocka_unit_test(io_jsonl_empty_and_limits),
      cmocka_unit_test(io_jsonl_buffer_size_does_not_matter),
      cmocka_unit_test(io_jsonl_file_read),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
