/* typing_int.h: internals shared by the files of the typing tool (typing.c: selection
 * and classification; typing_lda.c: the discriminant fit from sufficient statistics;
 * typing_json.c: the model to JSON and back).
 *
 * A linear discriminant model is kept in the form it is used in: for segment c,
 * d_c(x) = coef_c . (x - center) + constant_c, so typing a respondent is one dot product
 * per segment. A segment of prior 0 has constant -INFINITY and is never predicted. */
#ifndef SEGKIT_TYPING_INT_H
#define SEGKIT_TYPING_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/survey.h"

/* Sufficient statistics of the respondents a model is fitted on, over q questions,
 * relative to an origin g (the caller subtracts g from every answer first, so the sums
 * stay small and the scatter does not cancel): count[c], sum[c * q + a] = sum of
 * (x_a - g_a) over segment c, cross[a * q + b] = sum of (x_a - g_a)(x_b - g_b) over all
 * respondents. */
typedef struct sk__typing_sums {
  uint32_t q;
  uint32_t k;
  double *count;
  double *sum;
  double *cross;
} sk__typing_sums;

/* Doubles of scratch sk__typing_lda_fit needs for q questions. */
size_t sk__typing_lda_scratch(uint32_t q);

/* Fit the discriminants from s: coef (k x q) and constant (k) such that
 * d_c = coef_c . (x - g) + constant_c, g the origin of the sums. Needs at least one
 * respondent; a singular S is ridged or falls back to the priors (typing_lda.c). */
void sk__typing_lda_fit(const sk__typing_sums *s, double *scratch, double *coef,
                        double *constant);

/* Index of the largest d_c for one respondent z = x - g (q values); ties go to the lowest
 * index. scores (k values) gets the d_c. */
uint32_t sk__typing_lda_predict(uint32_t q, uint32_t k, const double *coef,
                                const double *constant, const double *z, double *scores);

/* The fitted object (segkit_typing in survey.h). */
struct segkit_typing {
  segkit_typing_view view;
  /* storage behind the view */
  uint32_t *chosen;
  char **chosen_names;
  double *cv_accuracy;
  uint64_t *confusion;
  double *recall;
  int32_t *holdout_pred;
  double *prior;
  /* final model over the n_chosen questions */
  double *center;   /* n_chosen */
  double *coef;     /* n_segments x n_chosen */
  double *constant; /* n_segments; -INFINITY where prior is 0 */
};

/* Allocate a model's arrays for k segments and q chosen questions (n_holdout predictions
 * when with_pred); names are left NULL. NULL when out of memory. */
segkit_typing *sk__typing_alloc(uint32_t k, uint32_t q, size_t n_holdout, bool with_pred);

#endif
