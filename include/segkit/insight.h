/* segkit/insight.h: what sets a segment apart — profiles of segments against everyone
 * else, with honest significance.
 *
 * A profile takes respondents (or customers) in segments and any number of categorical
 * questions (attributes), and for every segment, question and answer gives the share of
 * the segment that gave that answer, the share of everyone, the index (segment share /
 * total share x 100, the researchers' convention: 150 = half as common again), and a test
 * of the segment against the rest: the pooled two-proportion z-test (R's
 * prop.test(correct = FALSE) has X-squared = z^2), on effective bases (Kish) when the
 * respondents are weighted. Because a profile makes many comparisons, the p-values are
 * corrected over all of them with Benjamini & Hochberg's (1995) false-discovery rate; a
 * cell is significant when its corrected p is below alpha. Cells of segments or answers
 * with a base under min_base are tested but flagged.
 *
 * Input arrays are the caller's and only read during the call; the profile is the
 * caller's (segkit_profile_free) and read-only once made. No global state. */
#ifndef SEGKIT_INSIGHT_H
#define SEGKIT_INSIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A categorical question: n codes 0..n_levels-1, -1 = no answer (left out of that
 * question's shares). level_labels may be NULL. */
typedef struct segkit_profile_question {
  const char *name;
  const int32_t *codes;
  uint32_t n_levels;
  const char *const *level_labels;
} segkit_profile_question;

typedef struct segkit_profile_input {
  size_t n;
  const int32_t *segment;          /* 0..n_segments-1; -1 = in no segment (left out) */
  uint32_t n_segments;
  const char *const *segment_labels; /* may be NULL */
  const segkit_profile_question *questions;
  size_t n_questions;
  const double *weights;           /* NULL = unweighted; else finite and >= 0 */
} segkit_profile_input;

typedef struct segkit_profile_options {
  double alpha;      /* false-discovery rate for "significant"; 0 = 0.05 */
  double min_base;   /* flag a segment's answered base (weighted) below this; 0 = 30 */
} segkit_profile_options;

typedef struct segkit_profile_cell {
  uint32_t segment;
  size_t question;
  uint32_t level;
  double segment_pct;    /* share of the segment's answers, 0..100 */
  double total_pct;      /* share of all answers (every segment) */
  double rest_pct;       /* share of the other segments' answers */
  double index;          /* segment_pct / total_pct x 100; NaN when total_pct is 0 */
  double z;              /* segment against the rest; NaN when untestable */
  double p;              /* two-sided */
  double p_adjusted;     /* Benjamini-Hochberg over every testable cell */
  double segment_base;   /* weighted answered base of the segment for this question */
  double rest_base;
  bool significant;      /* p_adjusted < alpha */
  bool small_base;       /* segment_base < min_base */
} segkit_profile_cell;

typedef struct segkit_profile segkit_profile;

/* Errors (SEGKIT_ERR_USAGE, naming the respondent or question): a code out of range, a
 * weight that is negative or not finite, no segments or questions. */
SEGKIT_API segkit_status segkit_profile_new(const segkit_profile_input *in,
                                            const segkit_profile_options *opt,
                                            segkit_profile **out, segkit_error *err);
SEGKIT_API void segkit_profile_free(segkit_profile *p);

/* Cells in order question, level, segment. */
SEGKIT_API size_t segkit_profile_n_cells(const segkit_profile *p);
SEGKIT_API const segkit_profile_cell *segkit_profile_cell_at(const segkit_profile *p, size_t i);
/* Tests made (the m of the correction). */
SEGKIT_API size_t segkit_profile_n_tests(const segkit_profile *p);
/* Respondents in segment s (weighted) and the segment's share of everyone in a segment. */
SEGKIT_API double segkit_profile_segment_size(const segkit_profile *p, uint32_t s);
SEGKIT_API double segkit_profile_segment_share(const segkit_profile *p, uint32_t s);

/* What most sets segment s apart: indexes (into the cells) of its significant cells, the
 * most significant first (largest |z|, then question and level order), at most max;
 * returns how many were written. Over- and under-represented answers both count (index
 * above or below 100). */
SEGKIT_API size_t segkit_profile_top(const segkit_profile *p, uint32_t s, size_t max,
                                     size_t *cells_out);

/* ---- findings on rates: which segments churn differently (src/insight/rates.c) ------ *
 *
 * For every level of every dimension (a column's values: plan = starter, plan = pro, ...;
 * region = DACH, ...), the share of its customers with the event (churned) against the
 * share among all other customers: both with Wilson intervals, their ratio, and the pooled
 * two-proportion z-test (R's prop.test(correct = FALSE)). The p-values of every level of
 * every dimension are corrected together by Benjamini & Hochberg; a finding is
 * significant when its corrected p is below alpha and both sides have at least min_n
 * customers. Levels with fewer than min_n customers are never findings: they are listed
 * as too small to trust. Of a dimension with two levels only the first is compared (the
 * second against the rest is the same comparison mirrored). */
typedef struct segkit_rate_dimension {
  const char *name;
  const int32_t *codes;            /* n codes 0..n_levels-1; -1 = no value (left out) */
  uint32_t n_levels;
  const char *const *level_labels; /* may be NULL */
} segkit_rate_dimension;

typedef struct segkit_rate_finding {
  size_t dimension;
  uint32_t level;
  uint64_t n, events;              /* the level's customers and events */
  uint64_t n_rest, events_rest;    /* everyone else with a value in this dimension */
  double rate, lower, upper;       /* Wilson interval at the options' level */
  double rate_rest, lower_rest, upper_rest;
  double ratio;                    /* rate / rate_rest; NaN when rate_rest is 0 */
  double z, p, p_adjusted;
  bool significant;
  bool too_small;                  /* n < min_n or n_rest < min_n: not tested */
} segkit_rate_finding;

typedef struct segkit_rate_findings segkit_rate_findings;

typedef struct segkit_rate_options {
  double alpha;     /* false-discovery rate; 0 = 0.05 */
  double level;     /* interval level; 0 = 0.95 */
  uint64_t min_n;   /* 0 = 30 */
} segkit_rate_options;

/* n customers with event[i] (0/1) and n_dims dimensions. Errors (SEGKIT_ERR_USAGE, named):
 * an event not 0/1, a code out of range, no dimensions. */
SEGKIT_API segkit_status segkit_rate_findings_new(size_t n, const uint8_t *event,
                                                  const segkit_rate_dimension *dims,
                                                  size_t n_dims, const segkit_rate_options *opt,
                                                  segkit_rate_findings **out, segkit_error *err);
SEGKIT_API void segkit_rate_findings_free(segkit_rate_findings *f);
/* Every level, significant ones first by p, then the others by p, the too-small last. */
SEGKIT_API size_t segkit_rate_findings_n(const segkit_rate_findings *f);
SEGKIT_API const segkit_rate_finding *segkit_rate_findings_at(const segkit_rate_findings *f,
                                                             size_t i);
SEGKIT_API size_t segkit_rate_findings_n_tests(const segkit_rate_findings *f);

/* ---- segment-against-rest comparisons of any measure (src/insight/compare.c) -------- *
 *
 * For measures that are not one yes/no per customer: churn per customer-month, NRR, any
 * estimate with a standard error. Each comparison is one segment against the rest of the
 * customers on one measure; segkit_comparisons_test tests every one and corrects them all
 * together with Benjamini & Hochberg, so a reader can scan churn and NRR findings of every
 * segment at once with the false-discovery rate held at alpha.
 *   PROPORTION: events out of trials on each side (churns out of customer-months):
 *     Wilson intervals, the pooled two-proportion z-test (prop.test(correct = FALSE));
 *   ESTIMATE: a value and its standard error on each side (NRR as a ratio estimator):
 *     normal intervals value -/+ z se (lower end at least 0 when floor_zero), and the Wald
 *     test of the difference, z = (v - v_rest) / sqrt(se^2 + se_rest^2), the two sides
 *     being disjoint sets of customers.
 * A comparison with fewer than min_n units (customers) on a side, or no estimate, is not
 * tested (too_small, or p NaN) and so is never a finding. */
typedef enum segkit_comparison_kind {
  SEGKIT_COMPARE_PROPORTION = 0,
  SEGKIT_COMPARE_ESTIMATE = 1,
  /* a positive estimate compared on the log scale (a ratio of ratios, such as LTV): se,
   * se_rest and cov are of the logs; intervals exp(log value -/+ z se); z tests the log
   * of value / value_rest */
  SEGKIT_COMPARE_LOG_ESTIMATE = 2
} segkit_comparison_kind;

typedef struct segkit_comparison {
  segkit_comparison_kind kind;
  uint64_t n, n_rest;      /* units (customers) on each side; min_n applies */
  uint64_t events, trials; /* PROPORTION inputs */
  uint64_t events_rest, trials_rest;
  double value, se, value_rest, se_rest; /* ESTIMATE inputs; PROPORTION: set by the test */
  double cov; /* (LOG_)ESTIMATE: covariance of the two sides' estimates, 0 when the
                 sides share no unit; the test's variance is se^2 + se_rest^2 - 2 cov */
  bool floor_zero;                       /* ESTIMATE: the measure cannot be negative */
  /* outputs */
  double lower, upper, lower_rest, upper_rest;
  double ratio; /* value / value_rest; NaN when value_rest is 0 */
  double z, p, p_adjusted;
  bool significant;
  bool too_small;
} segkit_comparison;

/* Test the n comparisons in place and correct them together; *n_tests (may be NULL) gets
 * the number tested. opt: alpha, interval level and min_n as for rate findings (NULL:
 * defaults). SEGKIT_ERR_USAGE for events above trials or a negative or non-finite standard
 * error (naming the comparison's index). */
SEGKIT_API segkit_status segkit_comparisons_test(segkit_comparison *c, size_t n,
                                                 const segkit_rate_options *opt, size_t *n_tests,
                                                 segkit_error *err);

/* ---- findings on a subscription history (src/insight/mrr_findings.c) ----------------- *
 *
 * Every value of every by column of an MRR result (segkit_mrr_compute with by columns;
 * tenure stages count as a column), against the customers with another, non-null value of
 * that column, over period `period` of the result: churn per month (PROPORTION: churns
 * over customer-months at risk; n = customers active at the period's start plus those who
 * start or come back in it), LTV (LOG_ESTIMATE: ARPU / monthly churn at gross margin 1,
 * segkit_mrr_period.ltv_cents, with its standard error and the two sides' covariance from
 * segkit_mrr_ltv_covariance; n as for churn) and NRR (ESTIMATE: the ratio estimator and
 * its delta-method standard error, n = customers active at the start), all tested and
 * corrected together
 * (segkit_comparisons_test). A column with two values is compared once (its first value).
 * Formulas: docs/insights.md. The findings borrow their column and segment names from r,
 * which must outlive them. Order: significant first by p, then the rest by p, the
 * too-small last. */
typedef struct segkit_segment_finding {
  const char *column;  /* the by column (segkit_mrr_key_name) */
  const char *segment; /* its value */
  const char *measure; /* "monthly_churn", "ltv" or "nrr" */
  segkit_comparison c;
  size_t order; /* position before sorting: column order, then value order */
} segkit_segment_finding;

typedef struct segkit_segment_findings segkit_segment_findings;

SEGKIT_API segkit_status segkit_mrr_findings_new(const segkit_mrr_result *r, size_t period,
                                                 const segkit_rate_options *opt,
                                                 segkit_segment_findings **out, segkit_error *err);
SEGKIT_API void segkit_segment_findings_free(segkit_segment_findings *f);
SEGKIT_API size_t segkit_segment_findings_n(const segkit_segment_findings *f);
SEGKIT_API const segkit_segment_finding *
segkit_segment_findings_at(const segkit_segment_findings *f, size_t i);
SEGKIT_API size_t segkit_segment_findings_n_tests(const segkit_segment_findings *f);

#ifdef __cplusplus
}
#endif
#endif
