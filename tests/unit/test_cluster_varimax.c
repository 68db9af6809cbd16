/* Varimax rotation against R's stats::varimax on the principal-component loadings of R's
 * attitude survey (tests/data/cluster/varimax_reference.R -> varimax_reference.txt: k 2
 * and 3, with and without Kaiser normalisation); a drift test reruns the script when
 * Rscript is present. Also: k = 1 is returned as it is, and the rotation is orthogonal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/cluster.h"
#include "testkit.h"

#define REFERENCE SEGKIT_TEST_DATA "/cluster/varimax_reference.txt"
#define SCRIPT SEGKIT_TEST_DATA "/cluster/varimax_reference.R"

enum { MAX_CELLS = 64, N_CASES = 4 };

typedef struct ref_case {
  int k, normalize;
  size_t p;
  double loadings[MAX_CELLS], rotated[MAX_CELLS], rotmat[MAX_CELLS];
} ref_case;

static void read_matrix(FILE *f, const char *name, size_t *rows, size_t *cols, double *out) {
  char got[32];
  assert_int_equal(fscanf(f, "%31s %zu %zu", got, rows, cols), 3);
  assert_string_equal(got, name);
  assert_true(*rows * *cols <= MAX_CELLS);
  for (size_t i = 0; i < *rows * *cols; i++) {
    assert_int_equal(fscanf(f, "%lf", &out[i]), 1);
  }
}

static void read_reference(const char *path, ref_case *cases) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  for (int c = 0; c < N_CASES; c++) {
    char norm[8];
    assert_int_equal(fscanf(f, " case k=%d normalize=%7s", &cases[c].k, norm), 2);
    cases[c].normalize = strcmp(norm, "TRUE") == 0;
    size_t r = 0, k = 0;
    read_matrix(f, "loadings", &cases[c].p, &k, cases[c].loadings);
    read_matrix(f, "rotated", &r, &k, cases[c].rotated);
    read_matrix(f, "rotmat", &r, &k, cases[c].rotmat);
  }
  fclose(f);
}

static void check_cases(const ref_case *cases) {
  for (int c = 0; c < N_CASES; c++) {
    size_t p = cases[c].p, k = (size_t)cases[c].k;
    double rotated[MAX_CELLS], rotmat[MAX_CELLS];
    segkit_error err;
    assert_int_equal(segkit_varimax(cases[c].loadings, p, k, cases[c].normalize, 1e-5, rotated,
                                    rotmat, &err),
                     SEGKIT_OK);
    for (size_t i = 0; i < p * k; i++) {
      if (!(fabs(rotated[i] - cases[c].rotated[i]) <= 1e-9)) {
        fail_msg("case %d cell %zu: segkit %.12g, R %.12g", c, i, rotated[i], cases[c].rotated[i]);
      }
    }
    for (size_t i = 0; i < k * k; i++) {
      assert_true(fabs(rotmat[i] - cases[c].rotmat[i]) <= 1e-9);
    }
    /* orthogonal: rotmat' rotmat = I */
    for (size_t a = 0; a < k; a++) {
      for (size_t b = 0; b < k; b++) {
        double v = 0;
        for (size_t l = 0; l < k; l++) {
          v += rotmat[l * k + a] * rotmat[l * k + b];
        }
        assert_true(fabs(v - (a == b ? 1.0 : 0.0)) <= 1e-12);
      }
    }
  }
}

static void matches_r(void **state) {
  (void)state;
  ref_case *cases = calloc(N_CASES, sizeof *cases);
  assert_non_null(cases);
  read_reference(REFERENCE, cases);
  check_cases(cases);
  free(cases);
}

static void one_factor_and_errors(void **state) {
  (void)state;
  double l[3] = {0.5, -0.7, 0.2}, out[3], rot[1];
  segkit_error err;
  assert_int_equal(segkit_varimax(l, 3, 1, true, 1e-5, out, rot, &err), SEGKIT_OK);
  for (int i = 0; i < 3; i++) {
    assert_true(out[i] == l[i]);
  }
  assert_true(rot[0] == 1.0);
  l[1] = NAN;
  assert_int_equal(segkit_varimax(l, 3, 1, true, 1e-5, out, NULL, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_varimax(l, 0, 1, true, 1e-5, out, NULL, &err), SEGKIT_ERR_USAGE);
}

static void reference_has_not_drifted(void **state) {
  (void)state;
  if (system("Rscript -e 'invisible(varimax)' >/dev/null 2>&1") != 0) {
    skip();
    return;
  }
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char *fresh = tu_path_join(dir, "varimax.txt");
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "Rscript '%s' '%s' >/dev/null 2>&1", SCRIPT, fresh);
  assert_int_equal(system(cmd), 0);
  char why[256];
  if (tu_compare_tokens(REFERENCE, fresh, 1e-9, 1e-12, why, sizeof why) < 0) {
    fail_msg("varimax_reference.txt drifted from its script: %s", why);
  }
  free(fresh);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(matches_r),
      cmocka_unit_test(one_factor_and_errors),
      cmocka_unit_test(reference_has_not_drifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
