/* clv_testkit.h: what the BG/NBD and Pareto/NBD tests share: the CDNOW summary (2357
 * customers, weeks), the reference values written by tests/data/clv/
 * bgnbd_paretonbd_reference.py, tolerance checks, and a model with given parameters. */
#ifndef SEGKIT_CLV_TESTKIT_H
#define SEGKIT_CLV_TESTKIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv/clv_int.h"

#define CDNOW_CSV SEGKIT_SHARED_DATA "/cdnow/cdnow_customers_summary.csv"
#define REFERENCE SEGKIT_TEST_DATA "/clv/bgnbd_paretonbd_reference.txt"
#define REFERENCE_SCRIPT SEGKIT_TEST_DATA "/clv/bgnbd_paretonbd_reference.py"

typedef struct cdnow {
  size_t n;
  double *x, *tx, *T;
} cdnow;

static inline cdnow load_cdnow(void) {
  cdnow d = {0};
  FILE *f = fopen(CDNOW_CSV, "r");
  assert_non_null(f);
  char line[256];
  assert_non_null(fgets(line, sizeof line, f)); /* header */
  size_t cap = 4096;
  d.x = malloc(cap * sizeof *d.x);
  d.tx = malloc(cap * sizeof *d.tx);
  d.T = malloc(cap * sizeof *d.T);
  assert_true(d.x != NULL && d.tx != NULL && d.T != NULL);
  while (fgets(line, sizeof line, f) != NULL) {
    long id;
    double x, tx, T;
    if (sscanf(line, "%ld,%lf,%lf,%lf", &id, &x, &tx, &T) != 4) {
      continue;
    }
    assert_true(d.n < cap);
    d.x[d.n] = x;
    d.tx[d.n] = tx;
    d.T[d.n] = T;
    d.n++;
  }
  fclose(f);
  assert_int_equal(d.n, 2357);
  return d;
}

static inline void free_cdnow(cdnow *d) {
  free(d->x);
  free(d->tx);
  free(d->T);
}

static inline double reference(const char *key) {
  FILE *f = fopen(REFERENCE, "r");
  assert_non_null(f);
  char k[128];
  double v;
  double found = NAN;
  while (fscanf(f, "%127s %lf", k, &v) == 2) {
    if (strcmp(k, key) == 0) {
      found = v;
      break;
    }
  }
  fclose(f);
  if (isnan(found)) {
    fail_msg("reference key %s missing", key);
  }
  return found;
}

static inline void assert_close(double got, double want, double tol) {
  if (!(fabs(got - want) <= tol)) {
    fail_msg("got %.12g, want %.12g (tol %g)", got, want, tol);
  }
}

static inline void assert_rel(double got, double want, double rel) {
  assert_close(got, want, rel * fabs(want));
}

static inline segkit_clv_model *model_at_kind(segkit_clv_kind kind, const double *p) {
  segkit_clv_model *m = sk__clv_model_new(kind);
  assert_non_null(m);
  for (int i = 0; i < 4; i++) {
    m->params[i] = p[i];
  }
  return m;
}

#endif
