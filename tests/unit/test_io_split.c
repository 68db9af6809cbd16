/* Streaming internals: the rowreader (rows through a small buffer, blank lines, line
 * counts, overlong rows), the byte-level row-boundary rule used to skip overlong rows,
 * and the region runner (speculative thread splits, including a split that lands inside
 * a quoted field and must be redone). Expected values are worked out from the inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

typedef struct collected {
  size_t n;
  int64_t lines[64];
  size_t fields[64];
  char raw[64][64];
} collected;

static void read_rows(const char *text, size_t buffer, collected *out) {
  sk__source src;
  sk__source_open_memory(&src, text, strlen(text), "t");
  sk__dialect d = {',', '"', 1000};
  sk__rowreader_config cfg = {buffer, buffer + 2000, 8, 8, false};
  sk__rowreader rr;
  segkit_error err;
  assert_int_equal(sk__rowreader_init(&rr, &src, &d, &cfg, 0, UINT64_MAX, &err), SEGKIT_OK);
  memset(out, 0, sizeof *out);
  for (;;) {
    sk__row row;
    bool got = false;
    assert_int_equal(sk__rowreader_next(&rr, &row, &got, &err), SEGKIT_OK);
    if (!got) {
      break;
    }
    out->lines[out->n] = row.line;
    out->fields[out->n] = row.n_fields;
    snprintf(out->raw[out->n], sizeof out->raw[0], "%.*s", (int)row.raw_len, row.raw);
    out->n++;
  }
  assert_int_equal(sk__rowreader_position(&rr), strlen(text));
  sk__rowreader_free(&rr);
}

static void io_split_rowreader_rows_and_lines(void **state) {
  (void)state;
  const char *text = "a,b\n\n\"x\ny\",2\r\n3,\"\"\"\"\n\r\nlast,row";
  for (size_t buffer = 16; buffer < 80; buffer += 7) {
    collected c;
    read_rows(text, buffer, &c);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.lines[0], 0);
    assert_int_equal(c.lines[1], 2); /* after a blank line */
    assert_int_equal(c.lines[2], 4); /* the quoted field spans lines 3-4 */
    assert_int_equal(c.lines[3], 6);
    assert_string_equal(c.raw[1], "\"x\ny\",2");
    assert_string_equal(c.raw[2], "3,\"\"\"\"");
    assert_string_equal(c.raw[3], "last,row");
    for (size_t i = 0; i < 4; i++) {
      assert_int_equal(c.fields[i], 2);
    }
  }
}

static void io_split_overlong_row_is_skipped(void **state) {
  (void)state;
  /* Ceiling 40 bytes: the second row (a quoted field of 120 bytes with newlines) is
   * returned as FIELD_TOO_LONG with its first bytes, then reading resumes. */
  char text[400];
  size_t n = (size_t)snprintf(text, sizeof text, "a,b\n\"");
  for (int i = 0; i < 12; i++) {
    n += (size_t)snprintf(text + n, sizeof text - n, "123456789\n");
  }
  snprintf(text + n, sizeof text - n, "\",x\nc,d\n");
  sk__source src;
  sk__source_open_memory(&src, text, strlen(text), "t");
  sk__dialect d = {',', '"', 1000};
  sk__rowreader_config cfg = {16, 40, 16, 4, false};
  sk__rowreader rr;
  segkit_error err;
  assert_int_equal(sk__rowreader_init(&rr, &src, &d, &cfg, 0, UINT64_MAX, &err), SEGKIT_OK);
  sk__row row;
  bool got = false;
  assert_int_equal(sk__rowreader_next(&rr, &row, &got, &err), SEGKIT_OK);
  assert_true(got);
  assert_int_equal(row.problem, -1);
  assert_int_equal(sk__rowreader_next(&rr, &row, &got, &err), SEGKIT_OK);
  assert_true(got);
  assert_int_equal(row.problem, SEGKIT_REJECT_FIELD_TOO_LONG);
  assert_true(row.truncated_raw);
  assert_int_equal(row.raw_len, 40);
  assert_memory_equal(row.raw, "\"123456789\n", 11);
  assert_int_equal(row.line, 1);
  assert_int_equal(row.n_newlines, 13);
  assert_int_equal(sk__rowreader_next(&rr, &row, &got, &err), SEGKIT_OK);
  assert_true(got);
  assert_int_equal(row.line, 14);
  assert_int_equal(row.raw_len, 3);
  assert_memory_equal(row.raw, "c,d", 3);
  assert_int_equal(sk__rowreader_next(&rr, &row, &got, &err), SEGKIT_OK);
  assert_false(got);
  sk__rowreader_free(&rr);
}

static void io_split_skip_row_bytes_state_machine(void **state) {
  (void)state;
  /* One row cut into every pair of chunks: the end is found at the same place. */
  const char *row = "1,\"a\"\"\nb\",c\"d,\"e\nf\"\nnext\n";
  size_t len = strlen(row);
  size_t want = 20; /* after the LF that follows "e\nf\"" */
  assert_int_equal(row[want - 1], '\n');
  for (size_t cut = 0; cut <= len; cut++) {
    int st = 0;
    int64_t nl = 0;
    size_t end = sk__skip_row_bytes((const uint8_t *)row, cut, ',', '"', &st, &nl);
    if (end == SIZE_MAX) {
      end = sk__skip_row_bytes((const uint8_t *)row + cut, len - cut, ',', '"', &st, &nl);
      assert_true(end != SIZE_MAX);
      end += cut;
    }
    assert_int_equal(end, want);
    assert_int_equal(nl, 3);
  }
  /* No quoting (JSON Lines): the first LF ends the line. */
  int st = 0;
  int64_t nl = 0;
  assert_int_equal(sk__skip_row_bytes((const uint8_t *)"\"a\nb", 4, 0, -1, &st, &nl), 3);
}

/* ---- region runner ------------------------------------------------------------------- */

typedef struct count_ctx {
  int64_t rows[8];
  int resets[8];
} count_ctx;

static segkit_status count_run(void *vctx, sk__region *r, sk__rowreader *rr) {
  count_ctx *c = vctx;
  for (;;) {
    sk__row row;
    bool got = false;
    segkit_status st = sk__rowreader_next(rr, &row, &got, &r->err);
    if (st != SEGKIT_OK) {
      return st;
    }
    if (!got) {
      break;
    }
    c->rows[r->index]++;
  }
  r->complete = true;
  return SEGKIT_OK;
}

static void count_reset(void *vctx, sk__region *r) {
  count_ctx *c = vctx;
  c->rows[r->index] = 0;
  c->resets[r->index]++;
}

static void run_split(const char *text, int n_regions, sk__region *regions, count_ctx *c) {
  sk__source src;
  sk__source_open_memory(&src, text, strlen(text), "t");
  atomic_int first_failed;
  atomic_init(&first_failed, n_regions);
  sk__split_config cfg = {&src, {',', '"', 1000}, 0, n_regions, {32, 4096, 32, 4, false},
                          &first_failed};
  sk__region_ops ops = {count_run, count_reset, c};
  memset(c, 0, sizeof *c);
  int failed = 0;
  segkit_error err;
  assert_int_equal(sk__split_run(&cfg, regions, &ops, &failed, &err), SEGKIT_OK);
  assert_int_equal(failed, -1);
}

static void io_split_regions_partition_rows(void **state) {
  (void)state;
  char text[2000];
  size_t n = 0;
  for (int i = 0; i < 100; i++) {
    n += (size_t)snprintf(text + n, sizeof text - n, "%d,x\n", i);
  }
  for (int k = 1; k <= 4; k++) {
    sk__region regions[8];
    count_ctx c;
    run_split(text, k, regions, &c);
    int64_t total = 0;
    int64_t lines = 0;
    uint64_t expect_start = 0;
    for (int t = 0; t < k; t++) {
      assert_int_equal(regions[t].start, expect_start);
      expect_start = regions[t].stop;
      total += c.rows[t];
      lines += regions[t].lines;
      assert_int_equal(c.resets[t], 0); /* no quotes: every guess was right */
    }
    assert_int_equal(expect_start, n);
    assert_int_equal(total, 100);
    assert_int_equal(lines, 100);
  }
}

static void io_split_wrong_guess_is_redone(void **state) {
  (void)state;
  /* Row 2 is one quoted field of 40 lines around the middle of the text, so the second
   * region's guess (after the first LF past the midpoint) is inside quotes. */
  char text[4000];
  size_t n = (size_t)snprintf(text, sizeof text, "0,a\n1,\"");
  for (int i = 0; i < 40; i++) {
    n += (size_t)snprintf(text + n, sizeof text - n, "line %02d,\n", i);
  }
  n += (size_t)snprintf(text + n, sizeof text - n, "\"\n2,b\n3,c\n");
  uint64_t mid = n / 2;
  const char *lf = strchr(text + mid - 1, '\n');
  uint64_t guess = (uint64_t)(lf - text) + 1;
  sk__region regions[2];
  count_ctx c;
  run_split(text, 2, regions, &c);
  assert_int_equal(c.resets[1], 1);                 /* region 1 was read again */
  assert_true(regions[1].start != guess);           /* from the true boundary */
  assert_int_equal(regions[1].start, regions[0].stop);
  assert_int_equal(c.rows[0] + c.rows[1], 4);
  assert_int_equal(regions[0].lines + regions[1].lines, 44);
  assert_int_equal(regions[1].stop, n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(io_split_rowreader_rows_and_lines),
      cmocka_unit_test(io_split_overlong_row_is_skipped),
      cmocka_unit_test(io_split_skip_row_bytes_state_machine),
      cmocka_unit_test(io_split_regions_partition_rows),
      cmocka_unit_test(io_split_wrong_guess_is_redone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
