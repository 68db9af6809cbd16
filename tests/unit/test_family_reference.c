/* RFM and engagement on generated data against an independent implementation: pandas
 * (tests/data/family/family_reference.py, none of segkit's code) computed
 * expected_rfm.csv and expected_engagement.csv from the committed transactions.csv and
 * events.csv (segkit generate --customers 300 --seed 5 --respondents 0), as of 2026-03-31.
 * The reference scores each customer from its min-rank position under NTILE(5)'s tile
 * sizes, segkit from four cut-points: the two must agree on every customer. The CSV files
 * have no quoted fields, so a split on commas reads them (this test links only the family
 * module chain, not io). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family_testkit.h"
#include "metrics_testkit.h"
#include "segkit/family.h"
#include "testkit.h"

#define DATA SEGKIT_TEST_DATA "/family/"

typedef struct csv {
  char *text;
  const char **f;
  size_t n_rows, n_cols;
} csv;

static csv read_csv(const char *name) {
  csv c;
  size_t size = 0;
  c.text = tu_read_file(name, &size);
  assert_non_null(c.text);
  c.f = mt_split_csv(c.text, &c.n_rows, &c.n_cols);
  return c;
}

static void csv_free(csv *c) {
  free(c->f);
  free(c->text);
}

/* The columns `pick` of a CSV as a table. */
static segkit_table *table_of(const csv *c, size_t n_pick, const size_t *pick,
                              const char *const *names, const segkit_type *types) {
  const char **fields = malloc((c->n_rows * n_pick + 1) * sizeof *fields);
  assert_non_null(fields);
  for (size_t r = 0; r < c->n_rows; r++) {
    for (size_t k = 0; k < n_pick; k++) {
      fields[r * n_pick + k] = c->f[r * c->n_cols + pick[k]];
    }
  }
  segkit_table *t = ft_table(n_pick, names, types, fields, c->n_rows);
  free(fields);
  assert_non_null(t);
  return t;
}

static int32_t as_of_day(void) {
  int32_t d = 0;
  assert_true(segkit_parse_date("2026-03-31", 10, &d));
  return d;
}

static void check_rfm(int n_threads) {
  csv tx = read_csv(DATA "transactions.csv");
  /* transaction_id,customer_id,subscription_id,timestamp,amount,currency,kind,refund_of */
  static const size_t pick[] = {1, 3, 4, 6};
  static const char *const names[] = {"customer_id", "timestamp", "amount", "kind"};
  static const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_TIMESTAMP,
                                      SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING};
  segkit_table *t = table_of(&tx, 4, pick, names, types);
  segkit_rfm_options o;
  segkit_rfm_options_init(&o);
  o.as_of = as_of_day();
  o.n_threads = n_threads;
  segkit_rfm_result *r = NULL;
  segkit_error err;
  if (segkit_rfm_compute(t, &o, &r, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  segkit_table *out = NULL;
  assert_int_equal(segkit_rfm_table(r, t, &out, &err), SEGKIT_OK);
  csv ex = read_csv(DATA "expected_rfm.csv");
  /* customer_id,recency_days,frequency,monetary_cents,r,f,m,rfm,segment */
  assert_int_equal(segkit_rfm_n_customers(r), ex.n_rows);
  assert_true(ex.n_rows > 200);
  for (size_t i = 0; i < ex.n_rows; i++) {
    const char *const *e = ex.f + i * ex.n_cols;
    assert_int_equal(segkit_rfm_keys(r)[i], strtoll(e[0], NULL, 10));
    assert_int_equal(segkit_rfm_recency_days(r)[i], strtoll(e[1], NULL, 10));
    assert_int_equal(segkit_rfm_frequency(r)[i], strtoll(e[2], NULL, 10));
    assert_int_equal(segkit_rfm_monetary_cents(r)[i], strtoll(e[3], NULL, 10));
    assert_int_equal(segkit_rfm_r(r)[i], strtol(e[4], NULL, 10));
    assert_int_equal(segkit_rfm_f(r)[i], strtol(e[5], NULL, 10));
    assert_int_equal(segkit_rfm_m(r)[i], strtol(e[6], NULL, 10));
    assert_string_equal(ft_str(out, "rfm", i), e[7]);
    assert_string_equal(ft_str(out, "segment", i), e[8]);
  }
  csv_free(&ex);
  segkit_table_free(out);
  segkit_rfm_result_free(r);
  segkit_table_free(t);
  csv_free(&tx);
}

static void family_reference_rfm(void **state) {
  (void)state;
  check_rfm(1);
  check_rfm(2);
}

static void family_reference_engagement(void **state) {
  (void)state;
  csv ev = read_csv(DATA "events.csv");
  /* event_id,customer_id,timestamp,event,feature */
  static const size_t pick[] = {1, 2};
  static const char *const names[] = {"customer_id", "timestamp"};
  static const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_TIMESTAMP};
  segkit_table *t = table_of(&ev, 2, pick, names, types);
  segkit_engagement_options o;
  segkit_engagement_options_init(&o);
  o.as_of = as_of_day();
  segkit_table *out = NULL;
  size_t counts[SEGKIT_ENGAGEMENT_COUNT];
  segkit_error err;
  if (segkit_engagement_compute(t, &o, &out, counts, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  csv ex = read_csv(DATA "expected_engagement.csv");
  /* customer_id,days_since_last,events_in_window,state */
  assert_int_equal(segkit_table_n_rows(out), ex.n_rows);
  size_t seen[SEGKIT_ENGAGEMENT_COUNT] = {0};
  for (size_t i = 0; i < ex.n_rows; i++) {
    const char *const *e = ex.f + i * ex.n_cols;
    assert_int_equal(segkit_column_int64(ft_col(out, "customer_id"))[i], strtoll(e[0], NULL, 10));
    assert_int_equal(segkit_column_int64(ft_col(out, "days_since_last"))[i],
                     strtoll(e[1], NULL, 10));
    assert_int_equal(segkit_column_int64(ft_col(out, "events_in_window"))[i],
                     strtoll(e[2], NULL, 10));
    assert_string_equal(ft_str(out, "state", i), e[3]);
    for (int s = 0; s < SEGKIT_ENGAGEMENT_COUNT; s++) {
      seen[s] += strcmp(e[3], segkit_engagement_state_name((segkit_engagement_state)s)) == 0;
    }
  }
  for (int s = 0; s < SEGKIT_ENGAGEMENT_COUNT; s++) {
    assert_int_equal(counts[s], seen[s]);
    assert_true(seen[s] > 0);
  }
  csv_free(&ex);
  segkit_table_free(out);
  segkit_table_free(t);
  csv_free(&ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(family_reference_rfm),
      cmocka_unit_test(family_reference_engagement),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
