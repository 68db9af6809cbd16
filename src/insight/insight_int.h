/* Internals shared by the insight module's files: the tests and the correction every kind
 * of finding uses, so that a profile cell, a churn finding and an NRR finding are tested
 * and corrected the same way. */
#ifndef SEGKIT_INSIGHT_INT_H
#define SEGKIT_INSIGHT_INT_H

#include <stdbool.h>
#include <stddef.h>

/* Two-sided pooled two-proportion z-test of x1/n1 against x2/n2 (n may be an effective
 * base); z = 0, p = 1 when the pooled share is 0 or 1; NaN when a base is not positive. */
void sk__pooled_z(double x1, double n1, double x2, double n2, double *z, double *p);

/* Benjamini-Hochberg over the n p-values (NaN ones are not tests: their adjusted value is
 * NaN): adjusted[i] = min over j >= rank(i) of m p_(j) / j, capped at 1, m the number of
 * tests; significant[i] = adjusted[i] < alpha (may be NULL). Ties keep index order.
 * Returns m, or (size_t)-1 when out of memory. p and adjusted may not alias. */
size_t sk__bh_adjust(const double *p, size_t n, double alpha, double *adjusted,
                     bool *significant);

/* The order findings are read in: the significant first, then the other tested ones, each
 * by p (untested, NaN p after), the too-small last; 0 when these do not decide. */
int sk__finding_order(bool small_x, bool sig_x, double p_x, bool small_y, bool sig_y, double p_y);

#endif
