/* The calibration/holdout table (Fader, Hardie & Lee 2005, fig. 5) of a BG/NBD model.
 *
 * Expected values: tests/data/clv/holdout_reference.py, an independent pandas + scipy
 * computation (FHL eq. 10 with scipy.special.hyp2f1) at lifetimes' published CDNOW
 * parameters, over the pandas-made summary summary_cdnow_holdout.csv (26-week holdout);
 * a drift test reruns the script when Debian's Python has pandas and scipy. Error cases
 * are checked by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/clv.h"
#include "testkit.h"

#define CLV_DATA SEGKIT_TEST_DATA "/clv/"
enum { MAX_CUSTOMERS = 4000, GROUPS = 8 };

static segkit_clv_model *published_bgnbd(void) {
  const char *json =
      "{\"format\": \"segkit-clv-model\", \"version\": 1, \"kind\": \"bgnbd\","
      " \"params\": {\"r\": 0.242593, \"alpha\": 4.413532, \"a\": 0.792886, \"b\": 2.425752},"
      " \"std_errors\": {\"r\": null, \"alpha\": null, \"a\": null, \"b\": null},"
      " \"log_likelihood\": null, \"n\": 2357, \"iterations\": 0}";
  segkit_clv_model *m = NULL;
  segkit_error err;
  if (segkit_clv_model_from_json(json, &m, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  return m;
}

typedef struct cdnow {
  double f[MAX_CUSTOMERS], r[MAX_CUSTOMERS], T[MAX_CUSTOMERS];
  double fh[MAX_CUSTOMERS], dh[MAX_CUSTOMERS];
  size_t n;
} cdnow;

static void read_summary(cdnow *c) {
  FILE *fp = fopen(CLV_DATA "summary_cdnow_holdout.csv", "r");
  assert_non_null(fp);
  char line[512];
  assert_non_null(fgets(line, sizeof line, fp)); /* header */
  c->n = 0;
  double id = 0, money = 0;
  while (c->n < MAX_CUSTOMERS &&
         fscanf(fp, "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &id, &c->f[c->n], &c->r[c->n], &c->T[c->n],
                &money, &c->fh[c->n], &c->dh[c->n]) == 7) {
    c->n++;
  }
  fclose(fp);
  assert_int_equal(c->n, 2357);
}

typedef struct ref_row {
  double customers, actual, expected;
} ref_row;

/* Reads GROUPS group lines and the total line of a reference file. */
static void read_reference(const char *path, ref_row *rows, ref_row *total) {
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  char line[512];
  assert_non_null(fgets(line, sizeof line, fp));
  for (int g = 0; g < GROUPS; g++) {
    int k = -1;
    assert_int_equal(fscanf(fp, "%d,%lf,%lf,%lf", &k, &rows[g].customers, &rows[g].actual,
                            &rows[g].expected),
                     4);
    assert_int_equal(k, g);
  }
  assert_int_equal(fscanf(fp, " total,%lf,%lf,%lf", &total->customers, &total->actual,
                          &total->expected),
                   3);
  fclose(fp);
}

static void check_against(const char *path) {
  cdnow *c = malloc(sizeof *c);
  assert_non_null(c);
  read_summary(c);
  segkit_clv_model *m = published_bgnbd();
  segkit_clv_holdout_row rows[GROUPS], total;
  segkit_error err;
  assert_int_equal(segkit_clv_holdout_table(m, c->f, c->r, c->T, c->fh, c->dh, c->n, GROUPS - 1,
                                            rows, &total, &err),
                   SEGKIT_OK);
  ref_row want[GROUPS], want_total;
  read_reference(path, want, &want_total);
  for (int g = 0; g < GROUPS; g++) {
    assert_int_equal(rows[g].frequency, g);
    assert_true(rows[g].customers == want[g].customers);
    assert_true(fabs(rows[g].actual - want[g].actual) <= 1e-12);
    if (!(fabs(rows[g].expected - want[g].expected) <= 1e-9 * want[g].expected)) {
      fail_msg("group %d: expected %.12g, reference %.12g", g, rows[g].expected,
               want[g].expected);
    }
  }
  assert_true(total.customers == want_total.customers);
  assert_true(total.actual == want_total.actual);
  assert_true(fabs(total.expected - want_total.expected) <= 1e-9 * want_total.expected);
  segkit_clv_model_free(m);
  free(c);
}

static void cdnow_matches_scipy(void **state) {
  (void)state;
  check_against(CLV_DATA "holdout_cdnow_26w_reference.csv");
}

static void reference_script_has_not_drifted(void **state) {
  (void)state;
  if (system("/usr/bin/python3 -c 'import pandas, scipy' >/dev/null 2>&1") != 0) {
    skip();
    return;
  }
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' >/dev/null",
           CLV_DATA "holdout_reference.py", dir);
  assert_int_equal(system(cmd), 0);
  char *fresh = tu_path_join(dir, "holdout_cdnow_26w_reference.csv");
  check_against(fresh);
  for (int which = 0; which < 2; which++) {
    const char *name = which == 0 ? "holdout_cdnow_reference.csv" : "holdout_cdnow_26w_reference.csv";
    char committed[1024];
    snprintf(committed, sizeof committed, "%s%s", CLV_DATA, name);
    char *now = tu_path_join(dir, name);
    ref_row a[GROUPS], b[GROUPS], ta, tb;
    read_reference(committed, a, &ta);
    read_reference(now, b, &tb);
    for (int g = 0; g <= GROUPS; g++) {
      const ref_row *x = g < GROUPS ? &a[g] : &ta;
      const ref_row *y = g < GROUPS ? &b[g] : &tb;
      if (x->customers != y->customers || fabs(x->actual - y->actual) > 1e-12 * fabs(x->actual) ||
          fabs(x->expected - y->expected) > 1e-9 * fabs(x->expected)) {
        fail_msg("%s row %d drifted from its script", name, g);
      }
    }
    free(now);
  }
  free(fresh);
  tu_rmtree(dir);
  free(dir);
}

static void groups_cap_and_empty(void **state) {
  (void)state;
  segkit_clv_model *m = published_bgnbd();
  /* three customers: frequency 0, 3, 9; max group 2 -> groups 0, 1 (empty), 2+ (two) */
  double f[] = {0, 3, 9}, r[] = {0, 10, 30}, T[] = {20, 20, 35}, fh[] = {1, 2, 4},
         dh[] = {10, 10, 10};
  segkit_clv_holdout_row rows[3], total;
  segkit_error err;
  assert_int_equal(segkit_clv_holdout_table(m, f, r, T, fh, dh, 3, 2, rows, &total, &err),
                   SEGKIT_OK);
  assert_true(rows[0].customers == 1 && rows[0].actual == 1);
  assert_true(rows[1].customers == 0 && isnan(rows[1].actual) && isnan(rows[1].expected));
  assert_true(rows[2].customers == 2 && rows[2].actual == 3);
  double e1 = segkit_clv_expected_purchases(m, 10, 3, 10, 20);
  double e2 = segkit_clv_expected_purchases(m, 10, 9, 30, 35);
  assert_true(fabs(rows[2].expected - (e1 + e2) / 2) <= 1e-15 * rows[2].expected);
  assert_true(total.customers == 3 && total.actual == 7);
  segkit_clv_model_free(m);
}

static void bad_input_is_named(void **state) {
  (void)state;
  segkit_clv_model *m = published_bgnbd();
  double f[] = {1, 2}, r[] = {5, 50}, T[] = {10, 20}, fh[] = {0, 1}, dh[] = {5, 5};
  segkit_clv_holdout_row rows[2];
  segkit_error err;
  assert_int_equal(segkit_clv_holdout_table(m, f, r, T, fh, dh, 2, 1, rows, NULL, &err),
                   SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "customer 2"));
  r[1] = 10;
  dh[0] = 0;
  assert_int_equal(segkit_clv_holdout_table(m, f, r, T, fh, dh, 2, 1, rows, NULL, &err),
                   SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "duration_holdout");
  dh[0] = 5;
  fh[1] = -1;
  assert_int_equal(segkit_clv_holdout_table(m, f, r, T, fh, dh, 2, 1, rows, NULL, &err),
                   SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "frequency_holdout");
  segkit_clv_model_free(m);
  double alive[] = {100, 60, 40};
  segkit_clv_model *sbg = NULL;
  assert_int_equal(segkit_clv_fit_retention(alive, 2, NULL, &sbg, &err), SEGKIT_OK);
  fh[1] = 1;
  assert_int_equal(segkit_clv_holdout_table(sbg, f, r, T, fh, dh, 2, 1, rows, NULL, &err),
                   SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "purchase model"));
  segkit_clv_model_free(sbg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cdnow_matches_scipy),
      cmocka_unit_test(reference_script_has_not_drifted),
      cmocka_unit_test(groups_cap_and_empty),
      cmocka_unit_test(bad_input_is_named),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
