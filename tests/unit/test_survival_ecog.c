/* Survival against R with three groups and with double durations: lung by ph.ecog 0/1/2
 * (k = 3 log-rank, a 2 x 2 variance matrix to invert) and the pooled curve in months
 * (time / 30.4375). Expected values: km_lung_ecog_R.csv, km_lung_months_R.csv and
 * logrank_lung_ecog_R.txt in tests/data/survival, written by make_reference.R there with
 * R's survival package; compared to 1e-6 relative. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/survival.h"
#include "survival_testkit.h"

static sv_rows *read_ref(const char *name, const char *sep) {
  sv_rows *rows = malloc(sizeof *rows);
  assert_non_null(rows);
  char path[512];
  snprintf(path, sizeof path, "%s/survival/%s", SEGKIT_TEST_DATA, name);
  assert_true(sv_rows_read(path, sep, rows));
  return rows;
}

static void free_ref(sv_rows *rows) {
  free(rows->text);
  free(rows);
}

/* The line of logrank_lung_ecog_R.txt that starts with `key`. */
static char **ref_line(sv_rows *lr, const char *key, size_t *n_values) {
  for (size_t r = 0; r < lr->n_rows; r++) {
    if (strcmp(lr->cell[r][0], key) == 0) {
      *n_values = lr->n_cols[r] - 1;
      return &lr->cell[r][1];
    }
  }
  fail_msg("no line '%s' in the log-rank reference", key);
  return NULL;
}

/* lung rows with ph.ecog in 0..2 as arrays (int64 time, event = status 2, group ecog). */
typedef struct ecog_input {
  int64_t time[228];
  double months[228];
  uint8_t event[228];
  uint32_t group[228];
  size_t n;
  size_t n_all;
  double months_all[228];
  uint8_t event_all[228];
} ecog_input;

static void load_ecog(ecog_input *e) {
  segkit_table *t = sv_load_lung();
  assert_non_null(t);
  const segkit_column *time = segkit_table_column(t, (size_t)segkit_table_column_index(t, "time"));
  const segkit_column *status =
      segkit_table_column(t, (size_t)segkit_table_column_index(t, "status"));
  const segkit_column *ecog =
      segkit_table_column(t, (size_t)segkit_table_column_index(t, "ph.ecog"));
  e->n = 0;
  e->n_all = segkit_table_n_rows(t);
  for (size_t r = 0; r < e->n_all; r++) {
    int64_t tv = segkit_column_int64(time)[r];
    uint8_t ev = segkit_column_int64(status)[r] == 2;
    e->months_all[r] = (double)tv / 30.4375;
    e->event_all[r] = ev;
    int64_t g = segkit_column_int64(ecog)[r];
    if (!segkit_column_is_valid(ecog, r) || g > 2) {
      continue;
    }
    e->time[e->n] = tv;
    e->event[e->n] = ev;
    e->group[e->n] = (uint32_t)g;
    e->n++;
  }
  segkit_table_free(t);
}

static void survival_km_three_groups_match_r(void **state) {
  (void)state;
  ecog_input *e = malloc(sizeof *e);
  assert_non_null(e);
  load_ecog(e);
  assert_int_equal(e->n, 226);
  segkit_surv_input in = {.n = e->n, .time_i64 = e->time, .event = e->event,
                          .group = e->group, .n_groups = 3};
  segkit_km *km = NULL;
  segkit_error err;
  assert_int_equal(segkit_km_fit(&in, 0.95, &km, &err), SEGKIT_OK);
  sv_rows *ref = read_ref("km_lung_ecog_R.csv", ",");
  const char *strata[3] = {"ph.ecog=0", "ph.ecog=1", "ph.ecog=2"};
  for (uint32_t g = 0; g < 3; g++) {
    assert_int_equal(sv_compare_curve(segkit_km_group(km, g), ref, strata[g]), 0);
  }
  free_ref(ref);

  sv_rows *lr_ref = read_ref("logrank_lung_ecog_R.txt", " ");
  size_t nv = 0;
  char **median = ref_line(lr_ref, "median", &nv);
  assert_int_equal(nv, 3);
  for (uint32_t g = 0; g < 3; g++) {
    assert_true(sv_close(segkit_km_group(km, g)->median, sv_num(median[g])));
  }
  segkit_logrank *lr = NULL;
  assert_int_equal(segkit_logrank_test(km, &lr, &err), SEGKIT_OK);
  char **n = ref_line(lr_ref, "n", &nv);
  char **obs = ref_line(lr_ref, "observed", &nv);
  char **expct = ref_line(lr_ref, "expected", &nv);
  for (uint32_t g = 0; g < 3; g++) {
    assert_int_equal(lr->n_subjects[g], strtoull(n[g], NULL, 10));
    assert_true(sv_close(lr->observed[g], sv_num(obs[g])));
    assert_true(sv_close(lr->expected[g], sv_num(expct[g])));
  }
  assert_true(sv_close(lr->chi2, sv_num(ref_line(lr_ref, "chisq", &nv)[0])));
  assert_int_equal(lr->df, strtoul(ref_line(lr_ref, "df", &nv)[0], NULL, 10));
  assert_true(sv_close(lr->p_value, sv_num(ref_line(lr_ref, "p", &nv)[0])));
  segkit_logrank_free(lr);
  segkit_km_free(km);
  free_ref(lr_ref);
  free(e);
}

static void survival_km_double_durations_match_r(void **state) {
  (void)state;
  ecog_input *e = malloc(sizeof *e);
  assert_non_null(e);
  load_ecog(e);
  segkit_surv_input in = {.n = e->n_all, .time_f64 = e->months_all, .event = e->event_all};
  segkit_km *km = NULL;
  segkit_error err;
  assert_int_equal(segkit_km_fit(&in, 0.0, &km, &err), SEGKIT_OK);
  sv_rows *ref = read_ref("km_lung_months_R.csv", ",");
  const segkit_km_curve *c = segkit_km_group(km, 0);
  assert_int_equal(sv_compare_curve(c, ref, NULL), 0);
  free_ref(ref);
  sv_rows *lr_ref = read_ref("logrank_lung_ecog_R.txt", " ");
  size_t nv = 0;
  assert_true(sv_close(c->median, sv_num(ref_line(lr_ref, "median_months_all", &nv)[0])));
  free_ref(lr_ref);
  segkit_km_free(km);
  free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(survival_km_three_groups_match_r),
      cmocka_unit_test(survival_km_double_durations_match_r),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
