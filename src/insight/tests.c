/* tests.c: the z-test and the false-discovery-rate correction of every finding. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "insight/insight_int.h"

void sk__pooled_z(double x1, double n1, double x2, double n2, double *z, double *p) {
  *z = NAN;
  *p = NAN;
  if (!(n1 > 0) || !(n2 > 0)) {
    return;
  }
  double pooled = (x1 + x2) / (n1 + n2);
  double var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
  if (!(var > 0)) {
    *z = 0;
    *p = 1; /* everyone or no one had the event: no difference */
    return;
  }
  *z = (x1 / n1 - x2 / n2) / sqrt(var);
  *p = erfc(fabs(*z) / sqrt(2.0));
}

typedef struct ranked {
  double p;
  size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
  const ranked *x = a;
  const ranked *y = b;
  if (x->p != y->p) {
    return x->p < y->p ? -1 : 1;
  }
  return (x->i > y->i) - (x->i < y->i);
}

size_t sk__bh_adjust(const double *p, size_t n, double alpha, double *adjusted,
                     bool *significant) {
  ranked *rk = malloc((n + 1) * sizeof *rk);
  if (rk == NULL) {
    return SIZE_MAX;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    adjusted[i] = NAN;
    if (significant != NULL) {
      significant[i] = false;
    }
    if (!isnan(p[i])) {
      rk[m++] = (ranked){.p = p[i], .i = i};
    }
  }
  qsort(rk, m, sizeof *rk, cmp_ranked);
  double running = 1.0;
  for (size_t k = m; k-- > 0;) {
    double v = rk[k].p * (double)m / (double)(k + 1);
    running = v < running ? v : running;
    adjusted[rk[k].i] = running;
    if (significant != NULL) {
      significant[rk[k].i] = running < alpha;
    }
  }
  free(rk);
  return m;
}

int sk__finding_order(bool small_x, bool sig_x, double p_x, bool small_y, bool sig_y, double p_y) {
  if (small_x != small_y) {
    return small_x ? 1 : -1;
  }
  if (sig_x != sig_y) {
    return sig_x ? -1 : 1;
  }
  double px = isnan(p_x) ? 2.0 : p_x;
  double py = isnan(p_y) ? 2.0 : p_y;
  return (px > py) - (px < py);
}
