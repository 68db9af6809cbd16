/* segkit/survey.h: survey weighting, crosstabs with significance, means and sizing.
 *
 * What market researchers do with a survey once it is read (the readers are in
 * survey_file.h): weight the respondents to population margins by raking, tabulate any
 * question by segment or by another question with column-proportion tests and letters,
 * compare scale means, and size segments with confidence intervals. The numbers match R's
 * survey package (rake, trimWeights, svychisq, svymean, svyby, svyciprop) and base R's
 * chisq.test / prop.test; the formulas and their sources are next to the code
 * (the files of src/survey) and in docs.
 *
 * Input is plain arrays the caller owns: category codes are int32 in 0..levels-1, and -1
 * means "no answer"; weights are doubles. Nothing is copied from the input after a call
 * returns.
 *
 * Weights in the analyses (crosstab, means, shares) are taken as fixed, as
 * svydesign(ids = ~1, weights = ~w) does: no clusters, no strata, no finite-population
 * correction, and no credit for the variance reduction of raking.
 *
 * Ownership: the caller frees what _new/_rake/_crosstab/_means/_shares return with the
 * matching _free (_free(NULL) is a no-op). Pointers from getters borrow from the object
 * and die with it. Threads: no global state; results are read-only once returned, so
 * any number of threads may read them. GSL's error handler is never invoked. */
#ifndef SEGKIT_SURVEY_H
#define SEGKIT_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- weight summaries ------------------------------------------------------------- */

/* Kish's design effect due to unequal weighting, deff = 1 + CV^2 = n sum(w^2) / sum(w)^2
 * (Kish 1965, Survey Sampling, 11.7), and the effective sample size n / deff =
 * sum(w)^2 / sum(w^2). */
typedef struct segkit_weight_summary {
  size_t n;
  double sum;
  double mean;
  double min;
  double max;
  double deff;
  double n_eff;
} segkit_weight_summary;

/* Summary of n weights (weights read from a file, or raked). Weights must be finite and
 * >= 0 with a positive sum: SEGKIT_ERR_USAGE naming the 0-based index otherwise. */
SEGKIT_API segkit_status segkit_weight_summarise(size_t n, const double *w,
                                                 segkit_weight_summary *out, segkit_error *err);

/* ---- raking ----------------------------------------------------------------------- */

/* One raking variable: n codes (0..n_levels-1) and the population share of each level.
 * Missing codes (-1, or any code outside 0..n_levels-1) are refused: SEGKIT_ERR_USAGE
 * naming the respondent (0-based index) and the variable, as R's rake() refuses NA (its
 * model.frame uses na.fail). Impute or drop those respondents first.
 * Shares: >= 0, summing to 1 within opt->share_sum_tolerance; they are then divided by
 * their sum, so published margins that add up to 0.999 work (or population counts, with
 * opt->targets_are_totals). A level with respondents
 * (of positive base weight) but share 0, or with share > 0 but no such respondents, is
 * an error naming the variable and the level (R would stop or fail to converge).
 * A level with share 0 and no respondents is allowed and stays empty.
 * level_labels (optional, n_levels entries) only name levels in messages and results. */
typedef struct segkit_rake_var {
  const char *name;
  const int32_t *codes;
  uint32_t n_levels;
  const double *share;
  const char *const *level_labels;
} segkit_rake_var;

/* Options; zero-initialise for the defaults.
 * Convergence: after each full cycle over the variables (each variable's levels scaled
 * to their targets in turn, Deming & Stephan 1940), the margin error is the largest
 * |achieved share - target share| over all variables and levels; raking has converged
 * when it is <= tolerance. The last variable of a cycle always fits exactly.
 * Trimming (trim_lower / trim_upper > 0): bounds are relative to the mean weight
 * (population_total / n), e.g. 0.3 and 3. Rake to convergence; if a weight lies outside
 * [lower, upper] x mean (with trim_slack relative slack), trim as R's
 * trimWeights(design, lower, upper, strict = TRUE) does (weights outside are set to the
 * bound, the amount cut or added is shared equally among the weights inside, repeated
 * until all lie within), then rake again; up to max_trim_rounds rounds. The result is
 * raked (margins exact), with the weights within the bounds to trim_slack when
 * trim_converged; otherwise the last raking, whose margins are exact but whose weights
 * may lie slightly outside the bounds. */
typedef struct segkit_rake_options {
  uint32_t max_iter;          /* full cycles per raking; 0 = 100 */
  double tolerance;           /* margin share error; 0 = 1e-8 */
  double trim_lower;          /* relative to the mean weight; 0 = no lower bound */
  double trim_upper;          /* relative to the mean weight; 0 = no upper bound */
  uint32_t max_trim_rounds;   /* 0 = 200 */
  double trim_slack;          /* relative; 0 = 1e-9 */
  double population_total;    /* weights sum to this; 0 = n (mean weight 1) */
  double share_sum_tolerance; /* |sum of a variable's shares - 1|; 0 = 0.005 */
  /* The variables' share arrays hold population totals (counts of people), not shares:
   * each is divided by its sum; the sums must agree across variables within
   * share_sum_tolerance relative, and population_total 0 means that sum. */
  bool targets_are_totals;
} segkit_rake_options;

typedef struct segkit_rake segkit_rake;

/* Rake n respondents to the margins of n_vars variables. base_weights may be NULL (all
 * 1); otherwise finite and >= 0 (NaN, infinite or negative: SEGKIT_ERR_USAGE naming the
 * index); respondents of base weight 0 keep weight 0. Not converging (contradictory
 * margins, e.g. structural zeros) is not an error: the result says converged = false
 * and carries the achieved margins. Errors: SEGKIT_ERR_USAGE (bad input, named),
 * SEGKIT_ERR_NOMEM. */
SEGKIT_API segkit_status segkit_rake_new(size_t n, const double *base_weights,
                                         const segkit_rake_var *vars, size_t n_vars,
                                         const segkit_rake_options *opt, segkit_rake **out,
                                         segkit_error *err);
SEGKIT_API void segkit_rake_free(segkit_rake *r);

typedef struct segkit_rake_report {
  size_t n;
  uint32_t iterations;      /* full cycles, summed over all rakings */
  bool converged;           /* the last raking met the tolerance */
  double margin_error;      /* largest |achieved - target| share at the end */
  uint32_t trim_rounds;     /* trimming rounds done (0 without bounds) */
  bool trim_converged;      /* weights within bounds (true without bounds) */
  size_t n_at_bound;        /* weights at a bound (within trim_slack) at the end */
  segkit_weight_summary weights;
} segkit_rake_report;

SEGKIT_API const segkit_rake_report *segkit_rake_result(const segkit_rake *r);
/* n weights, borrowed from r. */
SEGKIT_API const double *segkit_rake_weights(const segkit_rake *r);
SEGKIT_API size_t segkit_rake_n_vars(const segkit_rake *r);

/* Achieved-vs-target table of variable v: n_levels entries each. */
typedef struct segkit_rake_margin {
  const char *name;
  uint32_t n_levels;
  const char *const *level_labels; /* NULL when none were given */
  const double *target;            /* shares, normalised to sum 1 */
  const double *achieved;          /* weighted shares after raking */
  const double *sample;            /* base-weighted shares before raking */
  const size_t *respondents;       /* unweighted count per level */
} segkit_rake_margin;

/* Margin table of variable v (NULL if out of range), borrowed from r. */
SEGKIT_API const segkit_rake_margin *segkit_rake_margin_at(const segkit_rake *r, size_t v);

/* ---- margins given by label ------------------------------------------------------- */

/* Margins as rows (variable, category, share), as in a margins CSV
 * "variable,category,share", and each respondent's answer per variable as text. Builds
 * the codes and shares of segkit_rake_var: levels are numbered in the order the margin
 * rows list them. Errors (SEGKIT_ERR_USAGE unless said): a variable with no margin rows;
 * a margin row for a variable that is not given; a duplicate (variable, category); a
 * share that is negative or not finite; a respondent's answer missing (NULL) or not
 * among the variable's categories (SEGKIT_ERR_NOT_FOUND; the message names the
 * respondent index, the variable and the text; err->field is the variable). Comparison
 * is exact (byte-wise). */
typedef struct segkit_margin_row {
  const char *variable;
  const char *category;
  double share;
} segkit_margin_row;

typedef struct segkit_rake_spec segkit_rake_spec;

/* answers[v][i] is respondent i's text for variable_names[v]. */
SEGKIT_API segkit_status segkit_rake_spec_new(const segkit_margin_row *rows, size_t n_rows,
                                              const char *const *variable_names,
                                              size_t n_vars, size_t n,
                                              const char *const *const *answers,
                                              segkit_rake_spec **out, segkit_error *err);
SEGKIT_API void segkit_rake_spec_free(segkit_rake_spec *s);
/* The variables, ready for segkit_rake_new (n_vars entries, in the order given); borrowed
 * from s, labels and codes included. */
SEGKIT_API const segkit_rake_var *segkit_rake_spec_vars(const segkit_rake_spec *s);
SEGKIT_API size_t segkit_rake_spec_n_vars(const segkit_rake_spec *s);

/* ---- significance: shared options ------------------------------------------------- */

/* Multiple-comparison correction of the pairwise tests, applied within one row of a
 * crosstab (or within the means) across its m = k(k-1)/2 column pairs. The default (0)
 * is Bonferroni: p x m, capped at 1. Holm (1979) is the step-down version, never less
 * powerful. NONE tests each pair at alpha. */
typedef enum segkit_adjust {
  SEGKIT_ADJUST_BONFERRONI = 0,
  SEGKIT_ADJUST_HOLM,
  SEGKIT_ADJUST_NONE
} segkit_adjust;

/* Column letters: column c is 'A' + c for c < 26, then 'a' + (c - 26) up to 52 columns
 * (the layout of SPSS Custom Tables and Q). With more columns no letters are made. */
#define SEGKIT_SURVEY_MAX_LETTERS 52

typedef struct segkit_sig_options {
  double alpha;          /* 0 = 0.05 */
  segkit_adjust adjust;  /* 0 = Bonferroni */
  double small_base;     /* weighted base below this is flagged; 0 = 30 */
} segkit_sig_options;

/* ---- crosstab --------------------------------------------------------------------- */

/* Rows: a question's codes (0..n_row_levels-1), columns: another question's or the
 * segments' codes (0..n_col_levels-1); -1 (no answer) in either leaves the respondent
 * out, counted in n_missing. weights may be NULL (unweighted); otherwise finite and >= 0.
 *
 * Chi-square (rows and columns with a zero base are left out; df = (r'-1)(c'-1) over
 * the rest, NaN statistic and p when df = 0):
 *  - unweighted: Pearson's X^2, p from chi-square(df): R's chisq.test(correct = FALSE).
 *  - weighted: the Rao-Scott (1981, 1984) first-order correction, as R's
 *    svychisq(statistic = "Chisq") with a weights-only design: chi2 is Pearson's X^2 on
 *    the weighted table rescaled to the n used, and p is the upper tail of
 *    chi-square(df) at chi2 / mean(eigenvalues of the design-effect matrix Delta);
 *    chi2_adjusted is that quotient, mean_deff the mean eigenvalue.
 * Column-proportion tests, for each row and each pair of columns with positive bases:
 * the pooled two-proportion z-test, z = (p_a - p_b) / sqrt(p (1 - p) (1/n_a + 1/n_b)),
 * p pooled, two-sided p-value from the normal (z^2 is prop.test(correct = FALSE)'s
 * X-squared). n_a is the column's unweighted base, or with weights its effective base
 * (Kish, (sum w)^2 / sum w^2 over the column). The p-values are corrected across the
 * row's column pairs (opt->adjust); a cell gets the letter of each column it is
 * significantly higher than. A pair with pooled p of 0 or 1 is not different (p = 1). */
typedef struct segkit_crosstab_input {
  size_t n;
  const int32_t *row_codes;
  uint32_t n_row_levels;
  const int32_t *col_codes;
  uint32_t n_col_levels;
  const double *weights;
} segkit_crosstab_input;

typedef struct segkit_crosstab segkit_crosstab;

/* Cell (r, c) is at index r * n_cols + c in every cell array; percentages are 0..100.
 * pair_p holds, for each row r and columns a < b, the corrected p-value at
 * r * n_cols * n_cols + a * n_cols + b (and mirrored at b, a); NaN where a column has a
 * zero base. letters[r * n_cols + c] is a NUL-terminated string ("" when none). */
typedef struct segkit_crosstab_view {
  uint32_t n_rows;
  uint32_t n_cols;
  bool weighted;
  size_t n_used;
  size_t n_missing;
  double total;                 /* weighted total of the used respondents */
  const double *count;          /* weighted counts (= unweighted without weights) */
  const uint64_t *count_unweighted;
  const double *col_pct;        /* count / column base x 100; NaN for a zero base */
  const double *row_pct;        /* count / row base x 100; NaN for a zero base */
  const double *col_base;       /* weighted, n_cols */
  const uint64_t *col_base_unweighted;
  const double *col_base_effective; /* Kish effective base, n_cols */
  const double *row_base;       /* weighted, n_rows */
  const uint64_t *row_base_unweighted;
  const bool *col_small;        /* col_base < small_base, n_cols */
  double chi2;                  /* Pearson X^2 (weighted: on counts rescaled to n_used) */
  double df;
  double p;
  double chi2_adjusted;         /* weighted: chi2 / mean_deff; unweighted: chi2 */
  double mean_deff;             /* weighted: mean eigenvalue of Delta; unweighted: 1 */
  const double *pair_p;
  const char *const *letters;
  bool has_letters;             /* false when n_cols > SEGKIT_SURVEY_MAX_LETTERS */
} segkit_crosstab_view;

/* Largest df for which the weighted chi-square's Rao-Scott correction is computed (its
 * cost grows as cells x df^2); a bigger weighted table gets chi2 but NaN p. */
#define SEGKIT_SURVEY_MAX_RAO_SCOTT_DF 256

/* Errors: SEGKIT_ERR_USAGE (a code out of range, a bad weight: index named; no
 * respondents with answers, or their weights sum to 0), SEGKIT_ERR_LIMIT (more than 2^20
 * cells, or rows x columns^2 above 2^24), SEGKIT_ERR_NOMEM. When the Rao-Scott matrix is numerically singular (e.g. a
 * degenerate weighted table), mean_deff, chi2_adjusted and p are NaN, not an error. */
SEGKIT_API segkit_status segkit_crosstab_new(const segkit_crosstab_input *in,
                                             const segkit_sig_options *opt,
                                             segkit_crosstab **out, segkit_error *err);
SEGKIT_API void segkit_crosstab_free(segkit_crosstab *x);
SEGKIT_API const segkit_crosstab_view *segkit_crosstab_get(const segkit_crosstab *x);

/* ---- means of a scale by column --------------------------------------------------- */

/* values[i] is respondent i's score (NaN = no answer: left out, as svymean(na.rm = TRUE)
 * does); col_codes as in the crosstab (-1 left out). Per column: the weighted mean
 * sum(w y) / sum(w) and its linearisation standard error as R's svyby(~y, ~col,
 * svydesign(ids = ~1, weights = ~w), svymean): with n the respondents used (all columns)
 * and z_i = w_i (y_i - mean) / sum(w) for the column's respondents (0 for the others),
 * SE^2 = n / (n - 1) sum z_i^2 (Woodruff 1971; Lumley 2010, 2.3). The overall mean is
 * the same over all columns. Pairwise tests: z = (m_a - m_b) / sqrt(SE_a^2 + SE_b^2),
 * two-sided normal p-values, corrected across the column pairs (opt->adjust); letters as
 * in the crosstab. */
typedef struct segkit_means_input {
  size_t n;
  const double *values;
  const int32_t *col_codes;
  uint32_t n_col_levels;
  const double *weights;
} segkit_means_input;

typedef struct segkit_means segkit_means;

typedef struct segkit_means_view {
  uint32_t n_cols;
  size_t n_used;
  size_t n_missing;
  const double *mean;           /* n_cols; NaN for an empty column */
  const double *se;             /* NaN for an empty column */
  const double *base;           /* weighted */
  const uint64_t *base_unweighted;
  const bool *small;
  double mean_all;
  double se_all;
  const double *pair_p;         /* n_cols x n_cols, corrected; NaN when not tested */
  const char *const *letters;   /* n_cols strings */
  bool has_letters;
} segkit_means_view;

SEGKIT_API segkit_status segkit_means_new(const segkit_means_input *in,
                                          const segkit_sig_options *opt, segkit_means **out,
                                          segkit_error *err);
SEGKIT_API void segkit_means_free(segkit_means *m);
SEGKIT_API const segkit_means_view *segkit_means_get(const segkit_means *m);

/* ---- sizing ----------------------------------------------------------------------- */

/* Weighted share of each segment (codes 0..n_levels-1; -1 left out) with a confidence
 * interval, and the projected number in the market. The interval is the logit interval
 * of R's svyciprop(method = "logit") with a weights-only design: with p the share and
 * SE its linearisation standard error (as svymean of the 0/1 indicator: SE^2 =
 * n/(n-1) sum w_i^2 (y_i - p)^2 / (sum w)^2), the interval is
 * expit(logit(p) -+ t SE / (p (1 - p))), t the (1 + level)/2 quantile of Student's t with
 * n - 1 degrees of freedom. A share of 0 or 1 has the interval [p, p] (logit undefined;
 * the width is then unknown, flagged by degenerate). projected = share x population
 * total, and its interval the interval x total (population_total 0: no projection, NaN).
 * level in (0, 1), 0 = 0.95. */
typedef struct segkit_shares_input {
  size_t n;
  const int32_t *codes;
  uint32_t n_levels;
  const double *weights;
  double level;
  double population_total;
} segkit_shares_input;

typedef struct segkit_share {
  double share;
  double se;
  double lower;
  double upper;
  double projected;
  double projected_lower;
  double projected_upper;
  double base;                 /* weighted count */
  uint64_t base_unweighted;
  double n_eff_share;          /* p (1 - p) / SE^2: the effective sample size of this share */
  bool degenerate;
} segkit_share;

typedef struct segkit_shares segkit_shares;

SEGKIT_API segkit_status segkit_shares_new(const segkit_shares_input *in, segkit_shares **out,
                                           segkit_error *err);
SEGKIT_API void segkit_shares_free(segkit_shares *s);
SEGKIT_API uint32_t segkit_shares_n_levels(const segkit_shares *s);
SEGKIT_API size_t segkit_shares_n_used(const segkit_shares *s);
/* Segment k's share (NULL if out of range), borrowed from s. */
SEGKIT_API const segkit_share *segkit_shares_at(const segkit_shares *s, uint32_t k);

/* ---- typing tool: golden questions ------------------------------------------------ */

/* The typing tool of market segmentation (src/survey/typing*.c): given a segmentation
 * of a survey, find the smallest set of questions (the "golden questions", up to
 * max_questions) that classifies respondents into the segments, measure its accuracy
 * honestly, and keep a model that types new respondents who answer those questions.
 *
 * Model: linear discriminant analysis with class means, one pooled within-class
 * covariance S and priors = segment shares of the data it is fitted on; a respondent x
 * goes to the segment c with the largest d_c = x' S^-1 mu_c - mu_c' S^-1 mu_c / 2 +
 * log pi_c (Fisher 1936; Hastie, Tibshirani & Friedman 2009, 4.3, eq. 4.10), and the
 * posteriors are softmax(d). S is the within-class scatter divided by n (the
 * maximum-likelihood estimate), as scikit-learn's LinearDiscriminantAnalysis does; the
 * decisions then match LinearDiscriminantAnalysis(solver = "lsqr") respondent by
 * respondent (tests/data/survey/typing_reference.py). A segment without respondents in
 * the data a model is fitted on gets prior 0 and is never predicted.
 * Singular S (a question constant among the respondents fitted on, or questions that are
 * exact combinations of others): when the Cholesky factorisation meets a pivot at most
 * 1e-10 x its diagonal entry, or a diagonal entry (variance) at most 1e-12 x the mean
 * variance, a ridge of 1e-9 x the mean variance is added to the diagonal, which gives
 * such a question a coefficient of ~0 (it neither helps nor breaks the fit; questions on
 * wildly different scales should be standardised first); if S is still not positive
 * definite (every question constant) the model uses the priors alone. A
 * cross-validation fit whose training folds hold one segment only types everyone into
 * it (scikit-learn would refuse such a fit; it needs tiny data).
 *
 * Selection (greedy forward): the first n_train respondents in data order are the
 * training part, the last n_holdout = floor(holdout_share x n) the held-out part. In the
 * training part, respondent i is in fold i mod folds. At each step every question not
 * yet chosen is added in turn and scored by the folds-fold cross-validated accuracy
 * (respondents typed correctly / n_train); the best is kept, the lowest question index
 * winning a tie. Selection stops at max_questions (or all questions), or earlier when
 * min_gain > 0 and the best step would raise the accuracy by less than min_gain (the
 * first question is always chosen). The held-out part is never used in selection: the
 * model fitted on the training part with the chosen questions types it, giving the
 * held-out accuracy and confusion matrix. The final model (the one that classifies and
 * is saved) is then refitted on all n respondents with the chosen questions.
 * The split follows data order (reproducible, and what the reference does): when the
 * respondents are sorted (by segment, by fieldwork date) the held-out part is not a fair
 * sample, so pass them in random order (a fixed shuffle) in that case. The folds, by
 * index modulo folds, are fair either way. */

/* Upper bound on max_questions (the work grows as questions^3 per fit). */
#define SEGKIT_TYPING_MAX_QUESTIONS 64

/* Answers are an n x n_questions row-major matrix: answers[i * n_questions + j] is
 * respondent i's answer to question j (scale points or any number). A non-finite answer
 * (NaN = no answer) is refused with SEGKIT_ERR_USAGE naming the respondent (0-based) and
 * the question (err->field): impute or drop those respondents first, as the choice of
 * imputation changes which questions look informative. segments[i] is respondent i's
 * segment, 0..n_segments-1 (anything else is refused, naming the respondent).
 * question_names (n_questions distinct strings) may be NULL: the names are then "q1",
 * "q2", ... (1-based). */
typedef struct segkit_typing_input {
  size_t n;
  uint32_t n_questions;
  const double *answers;
  const char *const *question_names;
  const int32_t *segments;
  uint32_t n_segments;
} segkit_typing_input;

/* Options; zero-initialise for the defaults. */
typedef struct segkit_typing_options {
  uint32_t max_questions; /* 0 = 8; capped at n_questions; <= SEGKIT_TYPING_MAX_QUESTIONS */
  uint32_t folds;         /* cross-validation folds, >= 2; 0 = 5 */
  double holdout_share;   /* in [0, 1); 0 = 0.2 */
  bool no_holdout;        /* true: no held-out part (all n respondents select) */
  double min_gain;        /* in [0, 1); 0 = always go to max_questions */
} segkit_typing_options;

typedef struct segkit_typing segkit_typing;

/* Select the golden questions and fit the typing model. Errors: SEGKIT_ERR_USAGE (bad
 * input named: answers, codes, names; fewer than 2 segments; fewer than 2 segments with
 * respondents in the training part; fewer training respondents than folds; a held-out
 * share leaving no held-out respondent; bad options), SEGKIT_ERR_LIMIT (max_questions
 * above SEGKIT_TYPING_MAX_QUESTIONS, or folds x n_questions^2 above 2^24 statistics),
 * SEGKIT_ERR_NOMEM. */
SEGKIT_API segkit_status segkit_typing_new(const segkit_typing_input *in,
                                           const segkit_typing_options *opt,
                                           segkit_typing **out, segkit_error *err);
SEGKIT_API void segkit_typing_free(segkit_typing *t);

/* Everything the selection found; arrays borrowed from the model. Confusion cell
 * (true r, predicted c) is at r * n_segments + c. Without a held-out part (no_holdout)
 * holdout_accuracy and recall are NaN and the confusion matrix is all 0. holdout_pred
 * (n_holdout codes, for respondents n_train..n-1) is NULL in a model read from JSON. */
typedef struct segkit_typing_view {
  uint32_t n_segments;
  uint32_t n_questions;             /* questions in the input */
  uint32_t n_chosen;
  const uint32_t *chosen;           /* input question indices, in the order chosen */
  const char *const *chosen_names;  /* their names */
  const double *cv_accuracy;        /* n_chosen: CV accuracy after each step */
  uint32_t folds;
  size_t n;
  size_t n_train;
  size_t n_holdout;
  double holdout_accuracy;
  const uint64_t *confusion;        /* n_segments x n_segments, held-out part */
  const double *recall;             /* n_segments: diagonal / row total; NaN for 0 */
  const int32_t *holdout_pred;
  const double *prior;              /* n_segments: the final model's priors */
} segkit_typing_view;

SEGKIT_API const segkit_typing_view *segkit_typing_get(const segkit_typing *t);

/* Type m respondents with the final model: answers is m x n_chosen row-major, the
 * chosen questions in the order of view->chosen (chosen_names). segments_out gets m
 * codes; posteriors_out (may be NULL) m x n_segments probabilities (row sums 1, 0 for a
 * segment of prior 0). Ties go to the lowest code. A non-finite answer is refused
 * (SEGKIT_ERR_USAGE naming the respondent and question); nothing is written then. */
SEGKIT_API segkit_status segkit_typing_classify(const segkit_typing *t, size_t m,
                                                const double *answers, int32_t *segments_out,
                                                double *posteriors_out, segkit_error *err);

/* Serialise the model (selection results and final model, without holdout_pred) to a
 * JSON document (malloc'd, the caller frees; doubles with 17 significant digits, so a
 * read model classifies exactly as the written one) and back. Reading checks every
 * field (presence, type, shape, range) and names the first bad one in err->field:
 * SEGKIT_ERR_PARSE for text that is not JSON, SEGKIT_ERR_SCHEMA for a bad document. */
SEGKIT_API segkit_status segkit_typing_to_json(const segkit_typing *t, char **json_out,
                                               segkit_error *err);
SEGKIT_API segkit_status segkit_typing_from_json(const char *json, segkit_typing **out,
                                                 segkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
