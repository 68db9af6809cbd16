/* survey_int.h: internals shared by the files of the survey module.
 *
 * Input checks every entry point repeats (weights, codes), the multiple-comparison
 * correction and the column letters of the significance tests (pairwise.c), used by the
 * crosstab and the means alike. */
#ifndef SEGKIT_SURVEY_INT_H
#define SEGKIT_SURVEY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/survey.h"

/* Weights must be finite and >= 0: SEGKIT_ERR_USAGE naming the first bad index.
 * what names the array in the message ("base weight", "weight"). */
segkit_status sk__survey_check_weights(size_t n, const double *w, const char *what,
                                       segkit_error *err);

/* Two-sided normal p-value of z (NaN stays NaN). */
double sk__survey_p_two_sided(double z);

/* Correct the k x k matrix of pairwise p-values in place (p[a * k + b], symmetric;
 * NaN = pair not tested, left NaN) across the tested pairs a < b. */
void sk__survey_adjust(double *p, uint32_t k, segkit_adjust adjust);

/* Letter of column c: 'A'..'Z', then 'a'..'z'; c < SEGKIT_SURVEY_MAX_LETTERS. */
char sk__survey_letter(uint32_t c);

/* Fill letters for one row of k columns: cell a gets the letter of each b whose
 * corrected p (p[a * k + b]) is below alpha and whose estimate is lower
 * (est[a] > est[b]). out holds k strings of SEGKIT_SURVEY_MAX_LETTERS + 1 bytes. */
void sk__survey_letters(const double *p, const double *est, uint32_t k, double alpha,
                        char *out);

/* The option defaults: alpha 0.05, small base 30; adjust is checked. */
segkit_status sk__survey_sig_defaults(const segkit_sig_options *opt, segkit_sig_options *out,
                                      segkit_error *err);

/* Rao-Scott: mean eigenvalue of the design-effect matrix Delta of an nr x nc table
 * (nr, nc >= 2, every row and column non-empty) from the weighted cell proportions p and
 * a_k = sum over cell k of (w_i / W)^2, n respondents (rao_scott.c). NaN in *mean_deff
 * when the matrix is singular. Errors: SEGKIT_ERR_NOMEM. */
segkit_status sk__rao_scott_mean_deff(const double *p, const double *a, uint32_t nr,
                                      uint32_t nc, size_t n, double *mean_deff,
                                      segkit_error *err);

#endif
