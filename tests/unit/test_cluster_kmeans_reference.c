/* Drift check of the committed k-means family reference files: when /usr/bin/python3 with
 * scikit-learn is installed, rerun tests/data/cluster/kmeans_reference.py into a temporary
 * folder and compare its output with the committed files (numbers to 1e-9 relative, text
 * exactly). A changed scikit-learn answer, or an edited script whose output was not
 * recommitted, fails here. Without scikit-learn the test is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"

static int have_sklearn(void) {
  return system("/usr/bin/python3 -c 'import sklearn, pandas' >/dev/null 2>&1") == 0;
}

/* 0 when the two texts have the same tokens: equal text or numbers within 1e-9. */
static int texts_differ(const char *a, const char *b) {
  while (*a || *b) {
    while (*a == ' ' || *a == '\n' || *a == ',') {
      a++;
    }
    while (*b == ' ' || *b == '\n' || *b == ',') {
      b++;
    }
    if (!*a || !*b) {
      return *a != *b;
    }
    char *ea = NULL;
    char *eb = NULL;
    double x = strtod(a, &ea);
    double y = strtod(b, &eb);
    if (ea != a && eb != b) {
      if (!(fabs(x - y) <= 1e-9 * fabs(y) + 1e-15)) {
        return 1;
      }
      a = ea;
      b = eb;
      continue;
    }
    if (*a != *b) {
      return 1;
    }
    a++;
    b++;
  }
  return 0;
}

static void kmeans_reference_has_not_drifted(void **state) {
  (void)state;
  if (!have_sklearn()) {
    skip();
  }
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/cluster/kmeans_reference.py' '%s' >/dev/null",
           SEGKIT_TEST_DATA, dir);
  assert_int_equal(system(cmd), 0);
  const char *files[3] = {"kmeans_iris_sklearn.txt", "kmeans_kproto_small.csv",
                          "kmeans_kproto_small.txt"};
  for (int i = 0; i < 3; i++) {
    char committed[1024];
    snprintf(committed, sizeof committed, "%s/cluster/%s", SEGKIT_TEST_DATA, files[i]);
    char *fresh = tu_path_join(dir, files[i]);
    size_t na = 0;
    size_t nb = 0;
    char *a = tu_read_file(committed, &na);
    char *b = tu_read_file(fresh, &nb);
    assert_non_null(a);
    assert_non_null(b);
    if (texts_differ(a, b)) {
      printf("%s differs from a fresh run of kmeans_reference.py\n", files[i]);
      fail();
    }
    free(a);
    free(b);
    free(fresh);
  }
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kmeans_reference_has_not_drifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
