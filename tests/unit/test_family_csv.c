/* segkit_rfm_from_csv against the general path (segkit_csv_read + segkit_rfm_compute) on
 * the committed generated transactions.csv and on variants written to a temporary
 * directory: every variant must give exactly the general path's customers, measures,
 * scores, segments and skip counts, and must take the fast path only when the input is
 * plain. Variants: the file as generated (fast); CRLF line ends, a byte order mark, a
 * blank last line, a null amount ("NA") and amounts with one or no decimals (fast); a
 * quoted field, string customer ids, a field too many on one line (general path); an
 * unknown kind (the general path's error, naming the row). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segkit/family.h"
#include "segkit/io.h"
#include "testkit.h"

#define DATA SEGKIT_TEST_DATA "/family/"

static segkit_rfm_options options(void) {
  segkit_rfm_options o;
  segkit_rfm_options_init(&o);
  assert_true(segkit_parse_date("2026-03-31", 10, &o.as_of));
  o.n_threads = 2;
  return o;
}

static segkit_rfm_result *general(const char *path, const segkit_rfm_options *o) {
  segkit_read_options ro;
  segkit_read_options_init(&ro);
  segkit_read_result *rr = NULL;
  segkit_error err;
  if (segkit_csv_read(path, &ro, &rr, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  segkit_rfm_result *r = NULL;
  if (segkit_rfm_compute(segkit_read_result_table(rr), o, &r, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  segkit_read_result_free(rr);
  return r;
}

static void same(const segkit_rfm_result *a, const segkit_rfm_result *b) {
  size_t n = segkit_rfm_n_customers(a);
  assert_int_equal(segkit_rfm_n_customers(b), n);
  assert_true(n > 0);
  assert_memory_equal(segkit_rfm_keys(a), segkit_rfm_keys(b), n * sizeof(int64_t));
  assert_memory_equal(segkit_rfm_recency_days(a), segkit_rfm_recency_days(b), n * sizeof(int32_t));
  assert_memory_equal(segkit_rfm_frequency(a), segkit_rfm_frequency(b), n * sizeof(int64_t));
  assert_memory_equal(segkit_rfm_monetary_cents(a), segkit_rfm_monetary_cents(b), n * 8);
  assert_memory_equal(segkit_rfm_r(a), segkit_rfm_r(b), n);
  assert_memory_equal(segkit_rfm_f(a), segkit_rfm_f(b), n);
  assert_memory_equal(segkit_rfm_m(a), segkit_rfm_m(b), n);
  assert_memory_equal(segkit_rfm_segment(a), segkit_rfm_segment(b), n * sizeof(uint16_t));
  assert_int_equal(segkit_rfm_rows_skipped(a), segkit_rfm_rows_skipped(b));
  assert_int_equal(segkit_rfm_rows_counted(a), segkit_rfm_rows_counted(b));
  assert_int_equal(segkit_rfm_n_without_charge(a), segkit_rfm_n_without_charge(b));
}

/* Compare both paths on a file; returns whether the fast path was taken. */
static bool compare(const char *path) {
  segkit_rfm_options o = options();
  segkit_rfm_result *g = general(path, &o);
  segkit_rfm_result *c = NULL;
  segkit_table *t = NULL;
  bool fast = false;
  segkit_error err;
  if (segkit_rfm_from_csv(path, &o, &c, &t, &fast, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  same(g, c);
  assert_int_equal(segkit_table_n_rows(t), segkit_rfm_n_customers(c));
  segkit_table_free(t);
  segkit_rfm_result_free(c);
  segkit_rfm_result_free(g);
  return fast;
}

/* The fixture, transformed line by line: edit(line_no, line, out) writes the new line. */
typedef void (*edit_fn)(size_t line, const char *in, char *out, size_t cap);

static char *variant(const char *dir, const char *name, edit_fn edit, const char *prefix,
                     const char *eol, const char *suffix) {
  size_t size = 0;
  char *text = tu_read_file(DATA "transactions.csv", &size);
  assert_non_null(text);
  size_t cap = size * 2 + 4096;
  char *out = malloc(cap);
  assert_non_null(out);
  size_t at = (size_t)snprintf(out, cap, "%s", prefix);
  size_t line = 0;
  char *save = NULL;
  for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
    char buf[1024];
    edit(line++, l, buf, sizeof buf);
    at += (size_t)snprintf(out + at, cap - at, "%s%s", buf, eol);
  }
  at += (size_t)snprintf(out + at, cap - at, "%s", suffix);
  char *path = tu_write_file(dir, name, out, at);
  free(out);
  free(text);
  return path;
}

static void keep(size_t line, const char *in, char *out, size_t cap) {
  (void)line;
  snprintf(out, cap, "%s", in);
}

/* Line 5: amount NA; line 6: "12.5" for its amount; line 7: "12". Fields: transaction_id,
 * customer_id, subscription_id, timestamp, amount, currency, kind, refund_of. */
static void amounts(size_t line, const char *in, char *out, size_t cap) {
  char f[8][64] = {{0}};
  int k = 0;
  const char *p = in;
  for (;;) {
    const char *c = strchr(p, ',');
    size_t n = c ? (size_t)(c - p) : strlen(p);
    snprintf(f[k], sizeof f[k], "%.*s", (int)n, p);
    k++;
    if (c == NULL || k == 8) {
      break;
    }
    p = c + 1;
  }
  if (line == 5) {
    snprintf(f[4], sizeof f[4], "NA");
  } else if (line == 6) {
    snprintf(f[4], sizeof f[4], "12.5");
  } else if (line == 7) {
    snprintf(f[4], sizeof f[4], "12");
  }
  snprintf(out, cap, "%s,%s,%s,%s,%s,%s,%s,%s", f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
}

static void quote_one(size_t line, const char *in, char *out, size_t cap) {
  if (line == 9) {
    const char *c = strchr(in, ',');
    snprintf(out, cap, "\"%.*s\"%s", (int)(c - in), in, c);
    return;
  }
  snprintf(out, cap, "%s", in);
}

static void string_ids(size_t line, const char *in, char *out, size_t cap) {
  const char *c = strchr(in, ',');
  if (line == 0) {
    snprintf(out, cap, "%s", in);
    return;
  }
  const char *c2 = strchr(c + 1, ',');
  snprintf(out, cap, "%.*s,c%.*s%s", (int)(c - in), in, (int)(c2 - c - 1), c + 1, c2);
}

static void extra_field(size_t line, const char *in, char *out, size_t cap) {
  snprintf(out, cap, "%s%s", in, line == 20 ? ",x" : "");
}

/* 60 copies of the fixture's rows, customer ids shifted by 1000 per copy: 18 MB, so the
 * fast path splits it between threads and each thread reads more than one 8 MiB block,
 * carrying a cut line from one block to the next. */
static char *big_variant(const char *dir) {
  size_t size = 0;
  char *text = tu_read_file(DATA "transactions.csv", &size);
  assert_non_null(text);
  char *body = strchr(text, '\n') + 1;
  size_t cap = size * 70 + 4096;
  char *out = malloc(cap);
  assert_non_null(out);
  size_t at = (size_t)(body - text);
  memcpy(out, text, at);
  for (int copy = 0; copy < 60; copy++) {
    char *save = NULL;
    char *dup = strdup(body);
    assert_non_null(dup);
    for (char *l = strtok_r(dup, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
      char *c1 = strchr(l, ',');
      char *c2 = strchr(c1 + 1, ',');
      long long cust = strtoll(c1 + 1, NULL, 10) + copy * 1000LL;
      at += (size_t)snprintf(out + at, cap - at, "%.*s,%lld%s\n", (int)(c1 - l), l, cust, c2);
    }
    free(dup);
  }
  char *path = tu_write_file(dir, "big.csv", out, at);
  free(out);
  free(text);
  return path;
}

static void family_csv_fast_and_general_agree(void **state) {
  (void)state;
  assert_true(compare(DATA "transactions.csv"));
  char *dir = tu_mkdtemp();
  char *p = variant(dir, "crlf.csv", keep, "\xEF\xBB\xBF", "\r\n", "\r\n");
  assert_true(compare(p));
  free(p);
  p = variant(dir, "amounts.csv", amounts, "", "\n", "");
  assert_true(compare(p));
  free(p);
  p = big_variant(dir);
  assert_true(compare(p));
  free(p);
  p = variant(dir, "quoted.csv", quote_one, "", "\n", "");
  assert_false(compare(p));
  free(p);
  p = variant(dir, "strings.csv", string_ids, "", "\n", "");
  assert_false(compare(p));
  free(p);
  tu_rmtree(dir);
  free(dir);
}

static void unknown_kind(size_t line, const char *in, char *out, size_t cap) {
  if (line == 12) {
    const char *k = strstr(in, ",charge,");
    if (k != NULL) {
      snprintf(out, cap, "%.*s,gift,%s", (int)(k - in), in, k + 8);
      return;
    }
  }
  snprintf(out, cap, "%s", in);
}

static void family_csv_errors_are_the_general_paths(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  segkit_rfm_options o = options();
  segkit_rfm_result *r = NULL;
  segkit_error err;
  char *p = variant(dir, "kind.csv", unknown_kind, "", "\n", "");
  assert_int_equal(segkit_rfm_from_csv(p, &o, &r, NULL, NULL, &err), SEGKIT_ERR_PARSE);
  assert_non_null(strstr(err.message, "row 12"));
  assert_non_null(strstr(err.message, "'gift'"));
  assert_null(r);
  free(p);
  /* a line with a field too many: the reader's error, whatever it is, not a result */
  p = variant(dir, "extra.csv", extra_field, "", "\n", "");
  segkit_error e2;
  segkit_read_options ro;
  segkit_read_options_init(&ro);
  segkit_read_result *rr = NULL;
  segkit_status want = segkit_csv_read(p, &ro, &rr, &e2);
  segkit_read_result_free(rr);
  bool fast = true;
  segkit_status got = segkit_rfm_from_csv(p, &o, &r, NULL, &fast, &err);
  assert_false(fast);
  if (want != SEGKIT_OK) {
    assert_int_equal(got, want);
    assert_string_equal(err.message, e2.message);
  } else {
    segkit_rfm_result_free(r);
  }
  free(p);
  /* bad options are the general path's errors too */
  segkit_rfm_options bad = options();
  bad.columns.currency = "currency";
  bad.n_rates = 2;
  assert_int_equal(segkit_rfm_from_csv(DATA "transactions.csv", &bad, &r, NULL, NULL, &err),
                   SEGKIT_ERR_USAGE);
  bad = options();
  bad.since = bad.as_of + 1;
  assert_int_equal(segkit_rfm_from_csv(DATA "transactions.csv", &bad, &r, NULL, NULL, &err),
                   SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_rfm_from_csv(SEGKIT_TEST_DATA "/family/none.csv", &o, &r, NULL, NULL,
                                       &err),
                   SEGKIT_ERR_IO);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(family_csv_fast_and_general_agree),
      cmocka_unit_test(family_csv_errors_are_the_general_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
