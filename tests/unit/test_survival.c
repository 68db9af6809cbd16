/* Survival against R: Kaplan-Meier by sex and pooled, the log-rank test and the medians
 * on survival::lung, every number of the reference files in shared/data/survival (made
 * by R 4.2.2 with survival 3.5.3, see PROVENANCE.md there) to 1e-6 relative. The input
 * goes through segkit_surv_data_from_table, as the CLI will use it. */
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

typedef struct fit {
  segkit_table *t;
  segkit_surv_data *data;
  segkit_km *km;
} fit;

static void fit_lung(fit *f, const char *group) {
  f->t = sv_load_lung();
  assert_non_null(f->t);
  assert_int_equal(segkit_table_n_rows(f->t), 228);
  const char *by[1] = {group};
  segkit_surv_columns cols = {.time = "time", .event = "status", .event_value = 2,
                              .by = by, .n_by = group != NULL ? 1 : 0};
  segkit_error err;
  segkit_status st = segkit_surv_data_from_table(f->t, &cols, &f->data, &err);
  if (st != SEGKIT_OK) {
    printf("%s\n", err.message);
  }
  assert_int_equal(st, SEGKIT_OK);
  segkit_surv_input in = segkit_surv_data_input(f->data);
  assert_int_equal(segkit_km_fit(&in, 0.0, &f->km, &err), SEGKIT_OK);
}

static void fit_free(fit *f) {
  segkit_km_free(f->km);
  segkit_surv_data_free(f->data);
  segkit_table_free(f->t);
}

static sv_rows *read_ref(const char *name) {
  sv_rows *rows = malloc(sizeof *rows);
  assert_non_null(rows);
  char path[512];
  snprintf(path, sizeof path, "%s/survival/%s", SEGKIT_SHARED_DATA, name);
  assert_true(sv_rows_read(path, ",", rows));
  return rows;
}

static void free_ref(sv_rows *rows) {
  free(rows->text);
  free(rows);
}

static void survival_km_lung_by_sex_matches_r(void **state) {
  (void)state;
  fit f;
  fit_lung(&f, "sex");
  assert_int_equal(segkit_km_n_groups(f.km), 2);
  assert_string_equal(segkit_surv_data_group_label(f.data, 0), "1");
  assert_string_equal(segkit_surv_data_group_label(f.data, 1), "2");
  assert_int_equal(segkit_surv_data_skipped_null(f.data), 0);
  sv_rows *ref = read_ref("km_lung_by_sex_R.csv");
  const segkit_km_curve *male = segkit_km_group(f.km, 0);
  const segkit_km_curve *female = segkit_km_group(f.km, 1);
  assert_int_equal(sv_compare_curve(male, ref, "sex=1"), 0);
  assert_int_equal(sv_compare_curve(female, ref, "sex=2"), 0);
  /* 206 rows in R's table = both curves' points. */
  assert_int_equal(male->n_points + female->n_points, ref->n_rows - 1);
  /* print.survfit: n 138 / 90, events 112 / 53, median 270 / 426. */
  assert_int_equal(male->n_subjects, 138);
  assert_int_equal(female->n_subjects, 90);
  assert_int_equal(male->n_events, 112);
  assert_int_equal(female->n_events, 53);
  assert_true(male->median == 270.0);
  assert_true(female->median == 426.0);
  free_ref(ref);
  fit_free(&f);
}

static void survival_km_lung_all_matches_r(void **state) {
  (void)state;
  fit f;
  fit_lung(&f, NULL);
  assert_int_equal(segkit_km_n_groups(f.km), 1);
  assert_string_equal(segkit_surv_data_group_label(f.data, 0), "all");
  sv_rows *ref = read_ref("km_lung_all_R.csv");
  const segkit_km_curve *c = segkit_km_group(f.km, 0);
  assert_int_equal(sv_compare_curve(c, ref, NULL), 0);
  assert_int_equal(c->n_points, 186);
  /* se_log is survfit()$std.err: std.err / surv wherever S > 0. */
  for (size_t j = 0; j < c->n_points; j++) {
    assert_true(sv_close(c->se_log[j] * c->surv[j], c->std_err[j]));
  }
  /* print(survfit(Surv(time, status) ~ 1, lung)) reports median 310. */
  assert_true(c->median == 310.0);
  free_ref(ref);
  fit_free(&f);
}

static void survival_logrank_lung_by_sex_matches_r(void **state) {
  (void)state;
  fit f;
  fit_lung(&f, "sex");
  segkit_logrank *lr = NULL;
  segkit_error err;
  assert_int_equal(segkit_logrank_test(f.km, &lr, &err), SEGKIT_OK);
  /* logrank_R.txt: chisq 10.3267419549, df 1, p 0.00131116452, observed 112 / 53,
   * expected 91.5817390296 / 73.4182609704. */
  assert_int_equal(lr->df, 1);
  assert_true(sv_close(lr->chi2, 10.3267419549));
  assert_true(sv_close(lr->p_value, 0.00131116452));
  assert_true(lr->observed[0] == 112.0);
  assert_true(lr->observed[1] == 53.0);
  assert_true(sv_close(lr->expected[0], 91.5817390296));
  assert_true(sv_close(lr->expected[1], 73.4182609704));
  assert_int_equal(lr->n_subjects[0], 138);
  assert_int_equal(lr->n_subjects[1], 90);
  segkit_logrank_free(lr);
  fit_free(&f);
}

/* ph.ecog has one null (row 14 of lung.csv): skipped and counted, never silently. */
static void survival_from_table_counts_null_groups(void **state) {
  (void)state;
  fit f;
  fit_lung(&f, "ph.ecog");
  assert_int_equal(segkit_surv_data_skipped_null(f.data), 0);
  assert_int_equal(segkit_surv_data_skipped_null_group(f.data), 1);
  assert_int_equal(segkit_surv_data_input(f.data).n, 227);
  assert_int_equal(segkit_km_n_groups(f.km), 4);
  assert_string_equal(segkit_surv_data_group_label(f.data, 3), "3");
  assert_int_equal(segkit_km_group(f.km, 3)->n_subjects, 1);
  fit_free(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(survival_km_lung_by_sex_matches_r),
      cmocka_unit_test(survival_km_lung_all_matches_r),
      cmocka_unit_test(survival_logrank_lung_by_sex_matches_r),
      cmocka_unit_test(survival_from_table_counts_null_groups),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
