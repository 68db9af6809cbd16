/* CSV reader: RFC 4180 cases, header rules, delimiter detection, inference, overrides,
 * nulls, the three on_error modes, limits, streaming through tiny buffers, thread-count
 * invariance, and file-level errors. Expected tables, line and column numbers are worked
 * out by hand from the inputs written in each test (lines counted from 1, columns are
 * 1-based bytes in the physical line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io_testkit.h"
#include "testkit.h"

/* ==== helpers =========================================================================== */

static segkit_read_options opts(void) {
  segkit_read_options o;
  segkit_read_options_init(&o);
  return o;
}

static segkit_read_result *read_ok(const char *text, const segkit_read_options *o) {
  segkit_read_result *r = NULL;
  segkit_error err;
  segkit_status st = iot_read(text, o, &r, &err);
  if (st != SEGKIT_OK) {
    char buf[1200];
    segkit_error_format(&err, buf, sizeof buf);
    fail_msg("read failed: %s", buf);
  }
  return r;
}

static segkit_error read_fail(const char *text, const segkit_read_options *o) {
  segkit_read_result *r = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  segkit_status st = iot_read(text, o, &r, &err);
  assert_int_not_equal(st, SEGKIT_OK);
  assert_int_equal(st, err.code);
  assert_null(r);
  return err;
}

static void expect_table(const segkit_read_result *r, const char *schema, const char *rows) {
  const segkit_table *t = segkit_read_result_table(r);
  assert_non_null(t);
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
    fail_msg("reject %zu: got %s line %lld col %lld (%s), expected %s line %lld col %lld", i,
             segkit_reject_reason_id(j->reason), (long long)j->line, (long long)j->column,
             j->message, segkit_reject_reason_id(reason), (long long)line, (long long)column);
  }
  if (field == NULL) {
    assert_null(j->field);
  } else {
    assert_non_null(j->field);
    assert_string_equal(j->field, field);
  }
  assert_int_equal(j->raw_len, strlen(raw));
  assert_memory_equal(j->raw, raw, j->raw_len);
  assert_non_null(j->message);
  assert_true(strlen(j->message) > 10);
}

static const segkit_read_counts *counts(const segkit_read_result *r) {
  return segkit_read_result_counts(r);
}

/* ==== RFC 4180 ========================================================================== */

static void io_csv_basic_types(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_read_result *r = read_ok("id,name,amount,when,flag\n"
                                  "1,Ann,12.5,2024-01-31,true\n"
                                  "2,Bob,3,2024-02-01,false\n",
                                  &o);
  expect_table(r, "id:int64,name:string,amount:float64,when:date,flag:bool",
               "1|Ann|12.5|2024-01-31|true\n2|Bob|3|2024-02-01|false\n");
  assert_int_equal(counts(r)->rows_read, 2);
  assert_int_equal(counts(r)->rows_imported, 2);
  assert_int_equal(counts(r)->rows_rejected, 0);
  assert_int_equal(counts(r)->bytes_read, 77);
  assert_int_equal(segkit_read_result_delimiter(r), ',');
  for (size_t i = 0; i < 5; i++) {
    assert_true(segkit_read_result_type_inferred(r, i));
  }
  assert_false(segkit_read_result_type_inferred(r, 5));
  assert_int_equal(segkit_read_result_n_rejects(r), 0);
  assert_null(segkit_read_result_rejects(r));
  segkit_read_result_free(r);
}

static void io_csv_quotes_and_doubled_quotes(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_read_result *r = read_ok("a,b,c\n"
                                  "\"x, y\",\"say \"\"hi\"\"\",\"\"\"\"\n"
                                  "\"\",plain,\"a\"\"\"\"b\"\n"
                                  "\"quoted\",\"\",\"\"\n",
                                  &o);
  expect_table(r, "a:string,b:string,c:string",
               "x, y|say \"hi\"|\"\n"
               "|plain|a\"\"b\n"
               "quoted||\n");
  /* Quoted empty fields in a string column are empty strings, not null. */
  const segkit_column *a = segkit_table_column(segkit_read_result_table(r), 0);
  assert_true(segkit_column_is_valid(a, 1));
  assert_int_equal(segkit_column_null_count(a), 0);
  segkit_read_result_free(r);
  /* A string column of nothing but "" and nulls (found by fuzzing: no string bytes at all
   * in a batch). */
  for (int threads = 1; threads <= 2; threads++) {
    o.n_threads = threads;
    o.buffer_bytes = 16;
    r = read_ok("a,b\n1,\"\"\n2,\n3,\"\"\n", &o);
    expect_table(r, "a:int64,b:string", "1|\n2|<null>\n3|\n");
    segkit_read_result_free(r);
  }
}

static void io_csv_embedded_newlines_keep_line_numbers(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.infer_rows = 1; /* n is int64 from the first row; later rows are checked against it */
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  const char *text = "id,text,n\n"          /* line 1 */
                     "1,\"one\ntwo\nthree\",5\n" /* lines 2-4 */
                     "2,ok,x\n"             /* line 5: bad n at column 6 */
                     "3,\"a\r\nb\",7\n"     /* lines 6-7 */
                     "4,\"q\nr\",zz\n"      /* lines 8-9: bad n on line 9, column 4 */
                     "5,end,9\n";           /* line 10 */
  segkit_read_result *r = read_ok(text, &o);
  expect_table(r, "id:int64,text:string,n:int64",
               "1|one\ntwo\nthree|5\n3|a\r\nb|7\n5|end|9\n");
  assert_int_equal(segkit_read_result_n_rejects(r), 2);
  expect_reject(r, 0, SEGKIT_REJECT_BAD_VALUE, 5, 6, "n", "2,ok,x");
  expect_reject(r, 1, SEGKIT_REJECT_BAD_VALUE, 8, 4, "n", "4,\"q\nr\",zz");
  segkit_read_result_free(r);
  /* FAIL points at the field itself: line 9, column 4. */
  o.on_error = SEGKIT_ON_ERROR_FAIL;
  const char *text2 = "id,text,n\n1,\"one\ntwo\nthree\",5\n4,\"q\nr\",zz\n";
  segkit_error err = read_fail(text2, &o);
  assert_int_equal(err.code, SEGKIT_ERR_TYPE);
  assert_int_equal(err.line, 6);
  assert_int_equal(err.column, 4);
  assert_string_equal(err.field, "n");
}

static void io_csv_crlf_and_last_line(void **state) {
  (void)state;
  segkit_read_options o = opts();
  const char *variants[] = {"a,b\r\n1,x\r\n2,y\r\n", "a,b\r\n1,x\r\n2,y", "a,b\n1,x\r\n2,y\n",
                            "a,b\n1,x\n2,y", "a,b\r\n1,\"x\"\r\n\"2\",\"y\"\r\n",
                            "a,b\n1,x\n2,y\r"};
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
    segkit_read_result *r = read_ok(variants[i], &o);
    expect_table(r, "a:int64,b:string", "1|x\n2|y\n");
    segkit_read_result_free(r);
  }
}

static void io_csv_bom_is_skipped(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_read_result *r = read_ok("\xEF\xBB\xBFid,x\n1,2\n", &o);
  expect_table(r, "id:int64,x:int64", "1|2\n");
  segkit_read_result_free(r);
  /* Quoted first header field after the BOM. */
  r = read_ok("\xEF\xBB\xBF\"id\",x\n1,2\n", &o);
  expect_table(r, "id:int64,x:int64", "1|2\n");
  segkit_read_result_free(r);
}

static void io_csv_blank_lines_are_skipped(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  /* Lines: 1 blank, 2 header, 3 row, 4 blank (CRLF), 5 blank, 6 bad row. */
  segkit_read_result *r = read_ok("\na,b\n1,2\n\r\n\n3\n", &o);
  expect_table(r, "a:int64,b:int64", "1|2\n");
  assert_int_equal(counts(r)->rows_read, 2);
  expect_reject(r, 0, SEGKIT_REJECT_TOO_FEW_FIELDS, 6, 0, NULL, "3");
  segkit_read_result_free(r);
}

/* ==== delimiters ======================================================================== */

static void io_csv_each_delimiter_is_detected(void **state) {
  (void)state;
  const char delims[] = {',', ';', '\t', '|'};
  for (size_t i = 0; i < sizeof delims; i++) {
    char text[128];
    char d = delims[i];
    snprintf(text, sizeof text, "a%cb%cc\n1%c\"x%cy\"%c2.5\n3%cz%c4\n", d, d, d, d, d, d, d);
    segkit_read_options o = opts();
    segkit_read_result *r = read_ok(text, &o);
    assert_int_equal(segkit_read_result_delimiter(r), d);
    char want[64];
    snprintf(want, sizeof want, "1|x%cy|2.5\n3|z|4\n", d);
    expect_table(r, "a:int64,b:string,c:float64", want);
    segkit_read_result_free(r);
    /* Given explicitly, the same. */
    o.delimiter = d;
    r = read_ok(text, &o);
    assert_int_equal(segkit_read_result_delimiter(r), d);
    expect_table(r, "a:int64,b:string,c:float64", want);
    segkit_read_result_free(r);
  }
}

static void io_csv_delimiter_detection_rules(void **state) {
  (void)state;
  segkit_read_options o = opts();
  /* Both ',' and ';' give a consistent 2 fields: ',' comes first in the order. */
  segkit_read_result *r = read_ok("a,b;c\n1,2;3\n4,5;6\n", &o);
  assert_int_equal(segkit_read_result_delimiter(r), ',');
  segkit_read_result_free(r);
  /* Decimal commas: ',' splits the header into 1 field, ';' is consistent. */
  r = read_ok("name;price;qty\nx;1,5;2\ny;2,25;3\n", &o);
  assert_int_equal(segkit_read_result_delimiter(r), ';');
  expect_table(r, "name:string,price:string,qty:int64", "x|1,5|2\ny|2,25|3\n");
  segkit_read_result_free(r);
  /* Quotes are respected: the ',' inside quotes does not count. */
  r = read_ok("\"a,b\";c\n\"1,2\";3\n", &o);
  assert_int_equal(segkit_read_result_delimiter(r), ';');
  expect_table(r, "a,b:string,c:int64", "1,2|3\n");
  segkit_read_result_free(r);
  /* Pipes, with commas in the values. */
  r = read_ok("a|b\n1,2|x\n3|y,z\n", &o);
  assert_int_equal(segkit_read_result_delimiter(r), '|');
  segkit_read_result_free(r);
  /* One column: nothing splits it; ',' is reported. */
  r = read_ok("name\nann\nbob\n", &o);
  assert_int_equal(segkit_read_result_delimiter(r), ',');
  expect_table(r, "name:string", "ann\nbob\n");
  segkit_read_result_free(r);
  /* Ragged rows: no candidate is consistent; the one splitting the header most wins. */
  o.on_error = SEGKIT_ON_ERROR_SKIP;
  r = read_ok("a;b;c\n1;2;3\n4;5\n", &o);
  assert_int_equal(segkit_read_result_delimiter(r), ';');
  assert_int_equal(counts(r)->rejected_by_reason[SEGKIT_REJECT_TOO_FEW_FIELDS], 1);
  segkit_read_result_free(r);
}

/* ==== header ============================================================================ */

static void io_csv_header_names(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_read_result *r = read_ok(" id ,\"full name\",\"x\"\"y\"\n1,a,b\n", &o);
  expect_table(r, "id:int64,full name:string,x\"y:string", "1|a|b\n");
  segkit_read_result_free(r);
  segkit_error err = read_fail("id,name,id\n1,2,3\n", &o);
  assert_int_equal(err.code, SEGKIT_ERR_SCHEMA);
  assert_int_equal(err.line, 1);
  assert_int_equal(err.column, 9);
  assert_string_equal(err.field, "id");
  assert_non_null(strstr(err.message, "duplicate column name \"id\" (columns 1 and 3"));
  err = read_fail("a,,c\n1,2,3\n", &o);
  assert_int_equal(err.code, SEGKIT_ERR_SCHEMA);
  assert_int_equal(err.column, 3);
  assert_non_null(strstr(err.message, "column 2 has an empty name"));
  err = read_fail("a,b,\n1,2,\n", &o);
  assert_non_null(strstr(err.message, "column 3 has an empty name"));
  /* The header must be valid too. */
  err = read_fail("a,\"b\n", &o);
  assert_int_equal(err.code, SEGKIT_ERR_PARSE);
  assert_non_null(strstr(err.message, "never closed"));
  err = read_fail("a,b\xFF\n1,2\n", &o);
  assert_int_equal(err.code, SEGKIT_ERR_PARSE);
  assert_int_equal(err.column, 4);
  assert_non_null(strstr(err.message, "UTF-8"));
}

static void io_csv_empty_and_header_only(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.source_name = "empty.csv";
  const char *empties[] = {"", "\n", "\r\n\n", "\xEF\xBB\xBF", "\xEF\xBB\xBF\n"};
  for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
    segkit_error err = read_fail(empties[i], &o);
    assert_int_equal(err.code, SEGKIT_ERR_PARSE);
    assert_string_equal(err.file, "empty.csv");
    assert_non_null(strstr(err.message, "empty"));
  }
  const char *headers[] = {"a,b,c\n", "a,b,c", "a,b,c\r\n\r\n"};
  for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
    segkit_read_result *r = read_ok(headers[i], &o);
    expect_table(r, "a:string,b:string,c:string", "");
    assert_int_equal(counts(r)->rows_read, 0);
    segkit_read_result_free(r);
  }
  /* Header only, with caller types: they apply. */
  segkit_type_override t[] = {{"b", SEGKIT_TYPE_INT64}};
  o.types = t;
  o.n_types = 1;
  segkit_read_result *r = read_ok("a,b\n", &o);
  expect_table(r, "a:string,b:int64", "");
  segkit_read_result_free(r);
}

/* ==== ragged rows, quotes, UTF-8 ======================================================== */

static void io_csv_ragged_rows(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  segkit_read_result *r = read_ok("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12,\n\"x\"\n", &o);
  expect_table(r, "a:int64,b:int64,c:int64", "1|2|3\n");
  assert_int_equal(counts(r)->rows_read, 5);
  assert_int_equal(counts(r)->rows_rejected, 4);
  assert_int_equal(counts(r)->rejected_by_reason[SEGKIT_REJECT_TOO_FEW_FIELDS], 2);
  assert_int_equal(counts(r)->rejected_by_reason[SEGKIT_REJECT_TOO_MANY_FIELDS], 2);
  expect_reject(r, 0, SEGKIT_REJECT_TOO_FEW_FIELDS, 3, 0, NULL, "4,5");
  expect_reject(r, 1, SEGKIT_REJECT_TOO_MANY_FIELDS, 4, 7, NULL, "6,7,8,9");
  expect_reject(r, 2, SEGKIT_REJECT_TOO_MANY_FIELDS, 5, 10, NULL, "10,11,12,");
  expect_reject(r, 3, SEGKIT_REJECT_TOO_FEW_FIELDS, 6, 0, NULL, "\"x\"");
  assert_non_null(strstr(segkit_read_result_reject(r, 0)->message,
                         "2 fields where the header has 3"));
  segkit_read_result_free(r);
}

static void io_csv_bad_quotes_stay_local(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  const char *text = "a,b,c\n"
                     "1,ab\"c,3\n"      /* line 2: stray quote, column 5 */
                     "2,\"q\"x,3\n"     /* line 3: text after the closing quote, column 6 */
                     "3,ok,\"fine\"\n"  /* line 4 */
                     "4,\"z\" ,5\n"     /* line 5: a space after the closing quote */
                     "5,\"open,6\n"     /* line 6: opened, never closed: runs to the end */
                     "7,x,y\n";
  segkit_read_result *r = read_ok(text, &o);
  expect_table(r, "a:int64,b:string,c:string", "3|ok|fine\n");
  assert_int_equal(counts(r)->rejected_by_reason[SEGKIT_REJECT_BAD_QUOTE], 4);
  expect_reject(r, 0, SEGKIT_REJECT_BAD_QUOTE, 2, 5, "b", "1,ab\"c,3");
  expect_reject(r, 1, SEGKIT_REJECT_BAD_QUOTE, 3, 6, "b", "2,\"q\"x,3");
  expect_reject(r, 2, SEGKIT_REJECT_BAD_QUOTE, 5, 6, "b", "4,\"z\" ,5");
  expect_reject(r, 3, SEGKIT_REJECT_BAD_QUOTE, 6, 3, "b", "5,\"open,6\n7,x,y\n");
  assert_non_null(strstr(segkit_read_result_reject(r, 0)->message, "quote inside an unquoted"));
  assert_non_null(strstr(segkit_read_result_reject(r, 1)->message, "after the closing quote"));
  assert_non_null(strstr(segkit_read_result_reject(r, 3)->message, "never closed"));
  segkit_read_result_free(r);
}

static void io_csv_bad_utf8(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  const char *text = "id,name\n"
                     "1,caf\xC3\xA9\n"         /* valid */
                     "2,\xC0\x80\n"            /* overlong NUL, column 3 */
                     "3,x\xED\xA0\x80y\n"      /* surrogate, column 4 */
                     "4,\"ab\xE2\x82\"\n"      /* truncated inside quotes, column 6 */
                     "5,\xF4\x90\x80\x80\n"    /* above U+10FFFF */
                     "6,\xF0\x9F\x98\x80\n"    /* valid 4-byte */
                     "\xFF,z\n";               /* in the first field */
  segkit_read_result *r = read_ok(text, &o);
  expect_table(r, "id:int64,name:string", "1|caf\xC3\xA9\n6|\xF0\x9F\x98\x80\n");
  assert_int_equal(counts(r)->rejected_by_reason[SEGKIT_REJECT_BAD_UTF8], 5);
  expect_reject(r, 0, SEGKIT_REJECT_BAD_UTF8, 3, 3, "name", "2,\xC0\x80");
  expect_reject(r, 1, SEGKIT_REJECT_BAD_UTF8, 4, 4, "name", "3,x\xED\xA0\x80y");
  expect_reject(r, 2, SEGKIT_REJECT_BAD_UTF8, 5, 6, "name", "4,\"ab\xE2\x82\"");
  expect_reject(r, 3, SEGKIT_REJECT_BAD_UTF8, 6, 3, "name", "5,\xF4\x90\x80\x80");
  expect_reject(r, 4, SEGKIT_REJECT_BAD_UTF8, 8, 1, "id", "\xFF,z");
  /* Messages are valid UTF-8 themselves (the bad bytes are escaped). */
  for (size_t i = 0; i < 5; i++) {
    const char *m = segkit_read_result_reject(r, i)->message;
    char probe[1024];
    snprintf(probe, sizeof probe, "%s", m);
    assert_non_null(strstr(m, "UTF-8"));
  }
  assert_non_null(strstr(segkit_read_result_reject(r, 0)->message, "\\xc0\\x80"));
  segkit_read_result_free(r);
}

/* ==== limits ============================================================================ */

static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void io_csv_field_length_limit(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  o.max_field_bytes = 1000;
  o.buffer_bytes = 64; /* rows far longer than the buffer: it must grow */
  char *just = repeat('x', 1000);
  char *over = repeat('y', 1001);
  size_t cap = 4000;
  char *text = malloc(cap);
  snprintf(text, cap, "id,v\n1,%s\n2,%s\n3,\"%s\"\n4,end\n", just, over, over);
  segkit_read_result *r = read_ok(text, &o);
  const segkit_table *t = segkit_read_result_table(r);
  assert_int_equal(segkit_table_n_rows(t), 2);
  char cell[2000];
  iot_cell(t, 0, 1, cell, sizeof cell);
  assert_string_equal(cell, just);
  iot_cell(t, 1, 1, cell, sizeof cell);
  assert_string_equal(cell, "end");
  assert_int_equal(counts(r)->rejected_by_reason[SEGKIT_REJECT_FIELD_TOO_LONG], 2);
  const segkit_reject *j = segkit_read_result_reject(r, 0);
  assert_int_equal(j->line, 3);
  assert_int_equal(j->column, 3);
  assert_int_equal(j->raw_len, 1003);
  assert_non_null(strstr(j->message, "1000 bytes"));
  segkit_read_result_free(r);
  free(text);
  free(just);
  free(over);
}

static void io_csv_row_beyond_the_buffer_ceiling(void **state) {
  (void)state;
  /* Ceiling = buffer_bytes + 2 x max_field_bytes = 64 + 200 = 264 bytes: a quoted field
   * of 2000 bytes with newlines inside is skipped without being held, and the reader
   * carries on at the right line. */
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  o.max_field_bytes = 100;
  o.buffer_bytes = 64;
  size_t cap = 5000;
  char *text = malloc(cap);
  size_t n = (size_t)snprintf(text, cap, "id,v\n1,a\n2,\"");
  for (int i = 0; i < 200; i++) {
    n += (size_t)snprintf(text + n, cap - n, "xxxxxxxx,\n"); /* 200 lines inside quotes */
  }
  n += (size_t)snprintf(text + n, cap - n, "\"\n3,b\n4,\"c\"\"d\"\n");
  segkit_read_result *r = read_ok(text, &o);
  expect_table(r, "id:int64,v:string", "1|a\n3|b\n4|c\"d\n");
  assert_int_equal(segkit_read_result_n_rejects(r), 1);
  const segkit_reject *j = segkit_read_result_reject(r, 0);
  assert_int_equal(j->reason, SEGKIT_REJECT_FIELD_TOO_LONG);
  assert_int_equal(j->line, 3);
  assert_int_equal(j->column, 0);
  assert_true(j->raw_len >= 264 && j->raw_len < 2000); /* only the start is kept */
  assert_memory_equal(j->raw, "2,\"xxxxxxxx,\n", 13);
  assert_non_null(strstr(j->message, "only its first"));
  segkit_read_result_free(r);
  /* The same with two threads and FAIL: the error names line 3. */
  o.on_error = SEGKIT_ON_ERROR_FAIL;
  o.n_threads = 2;
  segkit_error err = read_fail(text, &o);
  assert_int_equal(err.code, SEGKIT_ERR_LIMIT);
  assert_int_equal(err.line, 3);
  free(text);
}

/* ==== inference, overrides, nulls ======================================================= */

static void io_csv_inference_each_type(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_read_result *r =
      read_ok("b,i,f,d,ts,mix,zero_one,allnull,zip,word,nan\n"
              "t,1,1,2024-01-31,2024-01-31T09:30:00Z,2024-01-31,0,,02134,Nan,nan\n"
              "NO,-20,2.5,2024-02-29,2024-01-31 09:30:00+02:00,2024-02-01T10:00:00Z,1,NA,"
              "10001,x,1.5\n"
              "Yes,,1e3,,2024-01-31T09:30,,1,NULL,99501,y,2\n",
              &o);
  expect_table(r,
               "b:bool,i:int64,f:float64,d:date,ts:timestamp,mix:timestamp,zero_one:int64,"
               "allnull:string,zip:string,word:string,nan:string",
               "true|1|1|2024-01-31|2024-01-31T09:30:00Z|2024-01-31T00:00:00Z|0|<null>|02134|"
               "Nan|nan\n"
               "false|-20|2.5|2024-02-29|2024-01-31T07:30:00Z|2024-02-01T10:00:00Z|1|<null>|"
               "10001|x|1.5\n"
               "true|<null>|1000|<null>|2024-01-31T09:30:00Z|<null>|1|<null>|99501|y|2\n");
  segkit_read_result_free(r);
}

static void io_csv_inference_sample_and_bad_value_message(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.infer_rows = 2;
  o.source_name = "tx.csv";
  const char *text = "id,amount\n1,12.5\n2,3\n3,abc\n";
  segkit_error err = read_fail(text, &o);
  assert_int_equal(err.code, SEGKIT_ERR_TYPE);
  assert_string_equal(err.file, "tx.csv");
  assert_int_equal(err.line, 4);
  assert_int_equal(err.column, 3);
  assert_string_equal(err.field, "amount");
  char buf[1200];
  segkit_error_format(&err, buf, sizeof buf);
  assert_string_equal(buf, "tx.csv:4:3: field 'amount': \"abc\" is not a valid float64 (expected "
                           "a decimal number like 12.5; column type inferred from the first 2 "
                           "rows, override with --type amount=string)");
  /* With the whole file sampled, the column is a string and nothing is rejected. */
  o.infer_rows = 0;
  segkit_read_result *r = read_ok(text, &o);
  expect_table(r, "id:int64,amount:string", "1|12.5\n2|3\n3|abc\n");
  segkit_read_result_free(r);
  /* Out of range for int64. */
  o.infer_rows = 1;
  err = read_fail("n\n5\n99999999999999999999\n", &o);
  assert_non_null(strstr(err.message, "is out of the range of int64"));
}

static void io_csv_type_overrides(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_type_override t[] = {{"amount", SEGKIT_TYPE_STRING},
                              {"id", SEGKIT_TYPE_FLOAT64},
                              {"at", SEGKIT_TYPE_TIMESTAMP},
                              {"ok", SEGKIT_TYPE_BOOL}};
  o.types = t;
  o.n_types = 4;
  segkit_read_result *r = read_ok("id,amount,at,ok,other\n"
                                  "1,12.50,1700000000,1,7\n"
                                  "2,x,2024-01-31T00:00:00Z,no,8\n"
                                  "3,,1700000000.5,0,9\n",
                                  &o);
  expect_table(r, "id:float64,amount:string,at:timestamp,ok:bool,other:int64",
               "1|12.50|2023-11-14T22:13:20Z|true|7\n"
               "2|x|2024-01-31T00:00:00Z|false|8\n"
               "3|<null>|2023-11-14T22:13:20.500000Z|false|9\n");
  assert_false(segkit_read_result_type_inferred(r, 0));
  assert_false(segkit_read_result_type_inferred(r, 3));
  assert_true(segkit_read_result_type_inferred(r, 4));
  segkit_read_result_free(r);
  /* A caller-fixed column reports so in its message. */
  segkit_error err = read_fail("id,amount,at,ok\n1,2,abc,true\n", &o);
  assert_int_equal(err.code, SEGKIT_ERR_TYPE);
  assert_non_null(strstr(err.message, "Unix seconds"));
  assert_non_null(strstr(err.message, "column type set by the caller"));
  /* An override naming a column that does not exist. */
  segkit_type_override bad[] = {{"amout", SEGKIT_TYPE_STRING}};
  o.types = bad;
  o.n_types = 1;
  err = read_fail("id,amount\n1,2\n", &o);
  assert_int_equal(err.code, SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "amout");
  assert_non_null(strstr(err.message, "\"amout\""));
  assert_non_null(strstr(err.message, "id, amount"));
  /* The same column with two different types. */
  segkit_type_override twice[] = {{"id", SEGKIT_TYPE_STRING}, {"id", SEGKIT_TYPE_INT64}};
  o.types = twice;
  o.n_types = 2;
  err = read_fail("id,amount\n1,2\n", &o);
  assert_int_equal(err.code, SEGKIT_ERR_USAGE);
}

static void io_csv_date_format_option(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.date_format = "%d/%m/%Y";
  segkit_read_result *r = read_ok("d,iso\n31/01/2024,2024-01-31\n29/02/2024,2024-02-29\n", &o);
  expect_table(r, "d:date,iso:date", "2024-01-31|2024-01-31\n2024-02-29|2024-02-29\n");
  segkit_read_result_free(r);
  o.date_format = "%d/%m/%Y %H:%M";
  r = read_ok("t\n31/01/2024 10:15\n01/02/2024 23:59\n", &o);
  expect_table(r, "t:timestamp", "2024-01-31T10:15:00Z\n2024-02-01T23:59:00Z\n");
  segkit_read_result_free(r);
}

static void io_csv_null_values(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_read_result *r = read_ok("n,s,f\n1,NA,2.5\nNULL,\"NA\",N/A\n null ,null,\"\"\n3, ,  \n",
                                  &o);
  /* Unquoted null spellings are null in every column; quoted "NA" is text; a quoted empty
   * field is null outside string columns; blank is null outside string columns, a
   * string column keeps the blank text; " null " with spaces is not a null spelling and
   * not an integer... so n would be a string: see the expectation. */
  expect_table(r, "n:string,s:string,f:float64",
               "1|<null>|2.5\n<null>|NA|<null>\n null |<null>|<null>\n3| |<null>\n");
  segkit_read_result_free(r);
  const char *mine[] = {"-", "?"};
  o.null_values = mine;
  o.n_null_values = 2;
  r = read_ok("n,s\n1,-\n?,NA\n", &o);
  expect_table(r, "n:int64,s:string", "1|<null>\n<null>|NA\n");
  segkit_read_result_free(r);
  o.n_null_values = 0; /* no spellings: only unquoted empty fields are null */
  r = read_ok("n,s\n1,NA\n,x\n", &o);
  expect_table(r, "n:int64,s:string", "1|NA\n<null>|x\n");
  segkit_read_result_free(r);
}

static void io_csv_whitespace_around_numbers(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_read_result *r = read_ok("a, b, c\n1, 2.5, true\n 3 ,\t4\t, f\n", &o);
  expect_table(r, "a:int64,b:float64,c:bool", "1|2.5|true\n3|4|false\n");
  segkit_read_result_free(r);
}

/* ==== on_error modes ==================================================================== */

static const char *mixed_bad =
    "id,amount,note\n"        /* 1 */
    "1,2.5,ok\n"              /* 2 */
    "2,abc,bad value\n"       /* 3: BAD_VALUE col 3 */
    "3,4\n"                   /* 4: TOO_FEW */
    "4,5,x,y\n"               /* 5: TOO_MANY col 7 */
    "5,6,caf\xE9\n"           /* 6: BAD_UTF8 col 8 */
    "6,7,a\"b\n"              /* 7: BAD_QUOTE col 6 */
    "7,8.25,\"multi\r\nline\"\r\n" /* 8-9 */
    "8,1e400,big\n"           /* 10: BAD_VALUE (range) col 3 */
    "9,9,last";               /* 11 */

static void io_csv_on_error_quarantine(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  o.infer_rows = 1;
  segkit_read_result *r = read_ok(mixed_bad, &o);
  expect_table(r, "id:int64,amount:float64,note:string",
               "1|2.5|ok\n7|8.25|multi\r\nline\n9|9|last\n");
  const segkit_read_counts *c = counts(r);
  assert_int_equal(c->rows_read, 9);
  assert_int_equal(c->rows_imported, 3);
  assert_int_equal(c->rows_rejected, 6);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_BAD_VALUE], 2);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_TOO_FEW_FIELDS], 1);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_TOO_MANY_FIELDS], 1);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_BAD_UTF8], 1);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_BAD_QUOTE], 1);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_FIELD_TOO_LONG], 0);
  assert_int_equal(segkit_read_result_n_rejects(r), 6);
  expect_reject(r, 0, SEGKIT_REJECT_BAD_VALUE, 3, 3, "amount", "2,abc,bad value");
  expect_reject(r, 1, SEGKIT_REJECT_TOO_FEW_FIELDS, 4, 0, NULL, "3,4");
  expect_reject(r, 2, SEGKIT_REJECT_TOO_MANY_FIELDS, 5, 7, NULL, "4,5,x,y");
  expect_reject(r, 3, SEGKIT_REJECT_BAD_UTF8, 6, 8, "note", "5,6,caf\xE9");
  expect_reject(r, 4, SEGKIT_REJECT_BAD_QUOTE, 7, 6, "note", "6,7,a\"b");
  expect_reject(r, 5, SEGKIT_REJECT_BAD_VALUE, 10, 3, "amount", "8,1e400,big");
  /* The array form is the same records. */
  const segkit_reject *all = segkit_read_result_rejects(r);
  assert_ptr_equal(&all[3], segkit_read_result_reject(r, 3));
  assert_null(segkit_read_result_reject(r, 6));
  segkit_read_result_free(r);
}

static void io_csv_on_error_skip_and_fail(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_SKIP;
  o.infer_rows = 1;
  segkit_read_result *r = read_ok(mixed_bad, &o);
  expect_table(r, "id:int64,amount:float64,note:string",
               "1|2.5|ok\n7|8.25|multi\r\nline\n9|9|last\n");
  assert_int_equal(counts(r)->rows_rejected, 6);
  assert_int_equal(counts(r)->rejected_by_reason[SEGKIT_REJECT_BAD_VALUE], 2);
  assert_int_equal(segkit_read_result_n_rejects(r), 0); /* counted, not kept */
  segkit_read_result_free(r);
  o.on_error = SEGKIT_ON_ERROR_FAIL;
  o.source_name = "mixed.csv";
  segkit_error err = read_fail(mixed_bad, &o);
  assert_int_equal(err.code, SEGKIT_ERR_TYPE);
  assert_string_equal(err.file, "mixed.csv");
  assert_int_equal(err.line, 3);
  assert_int_equal(err.column, 3);
}

/* Every thread count and buffer size stops at the same first bad row. */
static void io_csv_fail_reports_the_first_bad_row(void **state) {
  (void)state;
  /* 400 good rows, then bad ones: a later region fails first in time, but the earliest
   * row in the file must be the one reported. */
  size_t cap = 20000;
  char *text = malloc(cap);
  size_t n = (size_t)snprintf(text, cap, "a,b\n");
  for (int i = 0; i < 400; i++) {
    n += (size_t)snprintf(text + n, cap - n, "%d,%d\n", i, i * 2);
  }
  n += (size_t)snprintf(text + n, cap - n, "x,1\n");
  for (int i = 0; i < 400; i++) {
    n += (size_t)snprintf(text + n, cap - n, "%d,%d\n", i, i);
  }
  n += (size_t)snprintf(text + n, cap - n, "1,2,3\n");
  size_t buffers[] = {32, 100, 1000, 0};
  for (int threads = 1; threads <= 5; threads++) {
    for (size_t b = 0; b < sizeof buffers / sizeof buffers[0]; b++) {
      segkit_read_options o = opts();
      o.infer_rows = 10; /* a is int64, so "x" is a bad value */
      o.n_threads = threads;
      o.buffer_bytes = buffers[b];
      segkit_error err = read_fail(text, &o);
      assert_int_equal(err.code, SEGKIT_ERR_TYPE);
      assert_int_equal(err.line, 402);
      assert_int_equal(err.column, 1);
      assert_string_equal(err.field, "a");
    }
  }
  free(text);
}

static void io_csv_rejected_row_leaves_nothing(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_SKIP;
  o.infer_rows = 1;
  /* The bad value is in the last column; the earlier string is unique to that row. */
  segkit_read_result *r = read_ok("s,n,t\nkeep,1,a\nunique_to_bad_row,oops,b\nkeep2,3,c\n", &o);
  expect_table(r, "s:string,n:int64,t:string", "keep|1|a\nkeep2|3|c\n");
  const segkit_table *t = segkit_read_result_table(r);
  const segkit_column *s = segkit_table_column(t, 0);
  assert_int_equal(segkit_column_dict_size(s), 2);
  assert_int_equal(segkit_column_dict_find(s, "unique_to_bad_row", 17), -1);
  assert_int_equal(segkit_column_dict_size(segkit_table_column(t, 2)), 2);
  segkit_read_result_free(r);
}

static void io_csv_take_table(void **state) {
  (void)state;
  segkit_read_options o = opts();
  segkit_read_result *r = read_ok("a\n1\n", &o);
  segkit_table *t = segkit_read_result_take_table(r);
  assert_non_null(t);
  assert_null(segkit_read_result_table(r));
  assert_null(segkit_read_result_take_table(r));
  segkit_read_result_free(r);
  assert_int_equal(segkit_table_n_rows(t), 1);
  segkit_table_free(t);
  segkit_read_result_free(NULL);
}

static void io_csv_reason_ids(void **state) {
  (void)state;
  assert_string_equal(segkit_reject_reason_id(SEGKIT_REJECT_BAD_VALUE), "bad_value");
  assert_string_equal(segkit_reject_reason_id(SEGKIT_REJECT_UNKNOWN_FIELD), "unknown_field");
  assert_string_equal(segkit_reject_reason_id(SEGKIT_REJECT_COUNT), "unknown");
  assert_string_equal(segkit_reject_reason_description(SEGKIT_REJECT_TOO_FEW_FIELDS),
                      "fewer fields than the header");
}

static void io_csv_bad_options(void **state) {
  (void)state;
  segkit_read_options o = opts();
  o.delimiter = '"';
  segkit_error err = read_fail("a\n1\n", &o);
  assert_int_equal(err.code, SEGKIT_ERR_USAGE);
  o = opts();
  o.on_error = (segkit_on_error)7;
  err = read_fail("a\n1\n", &o);
  assert_int_equal(err.code, SEGKIT_ERR_USAGE);
  o = opts();
  o.date_format = "%Q";
  err = read_fail("a\n1\n", &o);
  assert_int_not_equal(err.code, SEGKIT_OK);
  /* NULL options mean the defaults. */
  segkit_read_result *r = NULL;
  assert_int_equal(segkit_csv_read_buffer("a\n1\n", 4, NULL, &r, NULL), SEGKIT_OK);
  segkit_read_result_free(r);
}

/* ==== streaming and threads ============================================================= */

/* A text with every kind of hard row; read with every buffer size from 16 to 200 bytes
 * and 1-4 threads, the result must be the same as one large buffer on one thread. */
static char *hard_text(size_t *len_out) {
  size_t cap = 200000;
  char *t = malloc(cap);
  size_t n = (size_t)snprintf(t, cap, "\xEF\xBB\xBFid,name,amount,when,flag\r\n");
  for (int i = 0; i < 600; i++) {
    switch (i % 9) {
      case 0:
        n += (size_t)snprintf(t + n, cap - n, "%d,\"multi\nline %d\",%d.%02d,2024-01-%02d,t\r\n", i,
                              i, i, i % 100, 1 + i % 28);
        break;
      case 1:
        n += (size_t)snprintf(t + n, cap - n, "%d,\"q\"\"%d\"\"\",,2024-02-%02d,no\n", i, i,
                              1 + i % 28);
        break;
      case 2:
        n += (size_t)snprintf(t + n, cap - n, "%d,plain%d,%d,,yes\n", i, i, i);
        break;
      case 3:
        n += (size_t)snprintf(t + n, cap - n, "%d,bad%d,x%d,2024-03-01,f\n", i, i, i);
        break;
      case 4:
        n += (size_t)snprintf(t + n, cap - n, "%d,\"long %0*d\",1,2024-03-02,t\n", i, 80 + i % 50,
                              i);
        break;
      case 5:
        n += (size_t)snprintf(t + n, cap - n, "%d,caf\xC3\xA9,2,2024-03-03,F\n\n", i);
        break;
      case 6:
        n += (size_t)snprintf(t + n, cap - n, "%d,short\n", i);
        break;
      case 7:
        n += (size_t)snprintf(t + n, cap - n, "%d,\"a,b\"\"\nc\",3.5,2024-03-04,TRUE\n", i);
        break;
      default:
        n += (size_t)snprintf(t + n, cap - n, "%d,s\"tray,1,2024-03-05,t\n", i);
        break;
    }
  }
  n += (size_t)snprintf(t + n, cap - n, "999,\"never closed,1,2024-01-01,t\nmore\n");
  *len_out = n;
  return t;
}

static char *describe(const segkit_read_result *r) {
  char *table = iot_dump(segkit_read_result_table(r));
  size_t cap = strlen(table) + 100000;
  char *out = malloc(cap);
  size_t n = (size_t)snprintf(out, cap, "%s\n%s", iot_schema(segkit_read_result_table(r)), table);
  free(table);
  /* Dictionary codes too: they must not depend on how the rows were split. */
  const segkit_table *t = segkit_read_result_table(r);
  for (size_t j = 0; j < segkit_table_n_cols(t); j++) {
    const segkit_column *col = segkit_table_column(t, j);
    for (uint32_t k = 0; k < segkit_column_dict_size(col) && n < cap - 200; k++) {
      size_t len = 0;
      const char *v = segkit_column_dict_value(col, k, &len);
      n += (size_t)snprintf(out + n, cap - n, "%zu:%u=%.*s\n", j, k, (int)(len > 40 ? 40 : len),
                            v);
    }
  }
  const segkit_read_counts *c = segkit_read_result_counts(r);
  n += (size_t)snprintf(out + n, cap - n, "read %lld imported %lld rejected %lld\n",
                        (long long)c->rows_read, (long long)c->rows_imported,
                        (long long)c->rows_rejected);
  for (size_t i = 0; i < segkit_read_result_n_rejects(r) && n < cap - 400; i++) {
    const segkit_reject *j = segkit_read_result_reject(r, i);
    n += (size_t)snprintf(out + n, cap - n, "%s %lld:%lld %s [%.*s] %s\n",
                          segkit_reject_reason_id(j->reason), (long long)j->line,
                          (long long)j->column, j->field ? j->field : "-",
                          (int)(j->raw_len > 60 ? 60 : j->raw_len), j->raw, j->message);
  }
  return out;
}

static void io_csv_results_do_not_depend_on_buffer_or_threads(void **state) {
  (void)state;
  size_t len = 0;
  char *text = hard_text(&len);
  segkit_read_options o = opts();
  o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  o.infer_rows = 3;
  o.n_threads = 1;
  segkit_read_result *r = NULL;
  segkit_error err;
  assert_int_equal(segkit_csv_read_buffer(text, len, &o, &r, &err), SEGKIT_OK);
  char *want = describe(r);
  /* Spot checks of the reference read itself. */
  assert_int_equal(counts(r)->rows_read, 601);
  assert_int_equal(counts(r)->rejected_by_reason[SEGKIT_REJECT_TOO_FEW_FIELDS], 66);
  assert_int_equal(counts(r)->rejected_by_reason[SEGKIT_REJECT_BAD_QUOTE], 67);
  assert_int_equal(counts(r)->rejected_by_reason[SEGKIT_REJECT_BAD_VALUE], 67);
  segkit_read_result_free(r);
  for (size_t buf = 16; buf <= 200; buf += 23) {
    for (int threads = 1; threads <= 6; threads++) {
      o.buffer_bytes = buf;
      o.n_threads = threads;
      assert_int_equal(segkit_csv_read_buffer(text, len, &o, &r, &err), SEGKIT_OK);
      char *got = describe(r);
      if (strcmp(got, want) != 0) {
        fail_msg("buffer %zu threads %d differs", buf, threads);
      }
      free(got);
      segkit_read_result_free(r);
    }
  }
  free(want);
  free(text);
}

/* More rows than a batch (4096) and strings past the batch arena's hand-on size (16 MiB):
 * every thread count gives the same table, and the values are what was written. */
static void io_csv_many_batches(void **state) {
  (void)state;
  const size_t rows = 20000;
  size_t cap = rows * 64 + 64;
  char *text = malloc(cap);
  size_t n = (size_t)snprintf(text, cap, "id,amount,tag\n");
  for (size_t i = 0; i < rows; i++) {
    if (i % 1000 == 999) {
      n += (size_t)snprintf(text + n, cap - n, "%zu,oops,t%zu\n", i, i % 7); /* bad value */
    } else if (i % 10 == 3) {
      n += (size_t)snprintf(text + n, cap - n, "%zu,,\"\"\n", i); /* null, empty string */
    } else {
      n += (size_t)snprintf(text + n, cap - n, "%zu,%zu.25,t%zu\n", i, i % 100, i % 7);
    }
  }
  int64_t want_rows = 0;
  double want_sum = 0;
  int64_t want_ids = 0;
  for (size_t i = 0; i < rows; i++) {
    if (i % 1000 == 999) {
      continue;
    }
    want_rows++;
    want_ids += (int64_t)i;
    if (i % 10 != 3) {
      want_sum += (double)(i % 100) + 0.25;
    }
  }
  for (int threads = 1; threads <= 4; threads++) {
    segkit_read_options o = opts();
    o.n_threads = threads;
    o.buffer_bytes = 4096; /* several regions even for this small text */
    o.on_error = SEGKIT_ON_ERROR_QUARANTINE;
    o.infer_rows = 500;    /* before the first "oops" (row 999) */
    segkit_read_result *r = NULL;
    segkit_error err;
    assert_int_equal(segkit_csv_read_buffer(text, n, &o, &r, &err), SEGKIT_OK);
    const segkit_table *t = segkit_read_result_table(r);
    assert_string_equal(iot_schema(t), "id:int64,amount:float64,tag:string");
    assert_int_equal(segkit_table_n_rows(t), want_rows);
    assert_int_equal(counts(r)->rows_rejected, 20);
    assert_int_equal(segkit_read_result_reject(r, 19)->line, 20001); /* i = 19999, line 20001 */
    const int64_t *id = segkit_column_int64(segkit_table_column(t, 0));
    const double *amount = segkit_column_float64(segkit_table_column(t, 1));
    const segkit_column *tag = segkit_table_column(t, 2);
    int64_t ids = 0;
    double sum = 0;
    for (size_t i = 0; i < (size_t)want_rows; i++) {
      ids += id[i];
      if (segkit_column_is_valid(segkit_table_column(t, 1), i)) {
        sum += amount[i];
      }
    }
    assert_true(ids == want_ids);
    assert_true(sum == want_sum); /* x.25 sums are exact in binary */
    assert_int_equal(segkit_column_null_count(segkit_table_column(t, 1)), 2000);
    assert_int_equal(segkit_column_null_count(tag), 0);
    assert_int_equal(segkit_column_dict_size(tag), 8); /* t0..t6 and "" */
    size_t len = 0;
    assert_string_equal(segkit_column_dict_value(tag, 0, &len), "t0");
    assert_string_equal(segkit_column_dict_value(tag, 3, &len), "");
    segkit_read_result_free(r);
  }
  free(text);
}

static void io_csv_long_strings_cross_the_batch_arena(void **state) {
  (void)state;
  /* 2000 rows of 9000-byte strings: 18 MB of string bytes, so a batch is handed on early
   * because of its arena, not its row count. */
  const size_t rows = 2000;
  const size_t width = 9000;
  size_t cap = rows * (width + 16) + 16;
  char *text = malloc(cap);
  size_t n = (size_t)snprintf(text, cap, "k,s\n");
  for (size_t i = 0; i < rows; i++) {
    n += (size_t)snprintf(text + n, cap - n, "%zu,", i);
    memset(text + n, (int)('a' + i % 26), width);
    n += width;
    text[n++] = '\n';
  }
  for (int threads = 1; threads <= 2; threads++) {
    segkit_read_options o = opts();
    o.n_threads = threads;
    o.buffer_bytes = 1 << 16;
    segkit_read_result *r = NULL;
    segkit_error err;
    assert_int_equal(segkit_csv_read_buffer(text, n, &o, &r, &err), SEGKIT_OK);
    const segkit_table *t = segkit_read_result_table(r);
    assert_int_equal(segkit_table_n_rows(t), rows);
    const segkit_column *s = segkit_table_column(t, 1);
    assert_int_equal(segkit_column_dict_size(s), 26);
    for (size_t i = 0; i < rows; i += 97) {
      size_t len = 0;
      const char *v = segkit_column_dict_value(s, segkit_column_codes(s)[i], &len);
      assert_int_equal(len, width);
      assert_int_equal(v[0], 'a' + (int)(i % 26));
      assert_int_equal(v[width - 1], 'a' + (int)(i % 26));
      assert_int_equal(segkit_column_int64(segkit_table_column(t, 0))[i], (int64_t)i);
    }
    segkit_read_result_free(r);
  }
  free(text);
}

/* ==== files ============================================================================= */

static void io_csv_file_errors_and_file_read(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  segkit_read_options o = opts();
  segkit_read_result *r = NULL;
  segkit_error err;
  char *missing = tu_path_join(dir, "missing.csv");
  assert_int_equal(segkit_csv_read(missing, &o, &r, &err), SEGKIT_ERR_NOT_FOUND);
  assert_string_equal(err.file, missing);
  assert_non_null(strstr(err.message, "cannot open"));
  assert_int_equal(segkit_csv_read(dir, &o, &r, &err), SEGKIT_ERR_IO);
  assert_string_equal(err.file, dir);
  assert_non_null(strstr(err.message, "is a directory"));
  char *empty = tu_write_file(dir, "empty.csv", "", 0);
  assert_int_equal(segkit_csv_read(empty, &o, &r, &err), SEGKIT_ERR_PARSE);
  assert_string_equal(err.file, empty);
  const char *text = "id,v\n1,a\n2,b\n";
  char *path = tu_write_file(dir, "ok.csv", text, strlen(text));
  assert_int_equal(segkit_csv_read(path, &o, &r, &err), SEGKIT_OK);
  expect_table(r, "id:int64,v:string", "1|a\n2|b\n");
  segkit_read_result_free(r);
  o.on_error = SEGKIT_ON_ERROR_FAIL;
  o.infer_rows = 1;
  const char *bad = "id,v\n1,a\nx,b\n";
  char *bad_path = tu_write_file(dir, "bad.csv", bad, strlen(bad));
  assert_int_equal(segkit_csv_read(bad_path, &o, &r, &err), SEGKIT_ERR_TYPE);
  assert_string_equal(err.file, bad_path);
  assert_int_equal(err.line, 3);
  free(missing);
  free(empty);
  free(path);
  free(bad_path);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(io_csv_basic_types),
      cmocka_unit_test(io_csv_quotes_and_doubled_quotes),
      cmocka_unit_test(io_csv_embedded_newlines_keep_line_numbers),
      cmocka_unit_test(io_csv_crlf_and_last_line),
      cmocka_unit_test(io_csv_bom_is_skipped),
      cmocka_unit_test(io_csv_blank_lines_are_skipped),
      cmocka_unit_test(io_csv_each_delimiter_is_detected),
      cmocka_unit_test(io_csv_delimiter_detection_rules),
      cmocka_unit_test(io_csv_header_names),
      cmocka_unit_test(io_csv_empty_and_header_only),
      cmocka_unit_test(io_csv_ragged_rows),
      cmocka_unit_test(io_csv_bad_quotes_stay_local),
      cmocka_unit_test(io_csv_bad_utf8),
      cmocka_unit_test(io_csv_field_length_limit),
      cmocka_unit_test(io_csv_row_beyond_the_buffer_ceiling),
      cmocka_unit_test(io_csv_inference_each_type),
      cmocka_unit_test(io_csv_inference_sample_and_bad_value_message),
      cmocka_unit_test(io_csv_type_overrides),
      cmocka_unit_test(io_csv_date_format_option),
      cmocka_unit_test(io_csv_null_values),
      cmocka_unit_test(io_csv_whitespace_around_numbers),
      cmocka_unit_test(io_csv_on_error_quarantine),
      cmocka_unit_test(io_csv_on_error_skip_and_fail),
      cmocka_unit_test(io_csv_fail_reports_the_first_bad_row),
      cmocka_unit_test(io_csv_rejected_row_leaves_nothing),
      cmocka_unit_test(io_csv_take_table),
      cmocka_unit_test(io_csv_reason_ids),
      cmocka_unit_test(io_csv_bad_options),
      cmocka_unit_test(io_csv_results_do_not_depend_on_buffer_or_threads),
      cmocka_unit_test(io_csv_many_batches),
      cmocka_unit_test(io_csv_long_strings_cross_the_batch_arena),
      cmocka_unit_test(io_csv_file_errors_and_file_read),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
