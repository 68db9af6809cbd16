/* segkit/sample.h: deterministic, realistic sample data for demos, tests and benchmarks.
 *
 * segkit_sample_generate() writes a fictional B2B SaaS company's data into a directory:
 *   customers.csv          one row per customer: id, company, signup date, country, city,
 *                          company size, industry, acquisition channel
 *   subscriptions.csv      subscription history: one row per span with constant plan,
 *                          interval, seats and price; a plan or seat change ends a row and
 *                          starts the next on the same day
 *   transactions.csv       charges (one per paid billing period) and refunds
 *   events.csv             product events: logins and feature_used (with the feature)
 *   survey.csv             a survey of prospects (not customers): demographics,
 *                          firmographics, a 15-item attitude battery, an open comment
 *   survey_codebook.json   question text, type, value labels and missing codes
 *   survey_truth.csv       the planted segment of each respondent (never in survey.csv)
 * docs/sample-data.md describes every column. The data window is `months` months ending at
 * `end_date` (default 36 months ending 2026-06-30), never "today", so files do not change
 * with the calendar.
 *
 * Planted effects (each measured from the files by tests/data/sample/check_planted.py):
 *  - Churn: a constant monthly hazard of 3.0% (starter), 2.0% (pro), 1.5% (business),
 *    1.0% (enterprise) for a monthly-billed, 11-50 employee customer, multiplied by 0.5 for
 *    annual billing (cancellable only at renewal, with probability 1 - (1 - h)^12), by
 *    1.25 / 1.0 / 0.9 / 0.8 / 0.7 for company sizes 1-10 / 11-50 / 51-200 / 201-1000 /
 *    1000+, and by 0.25 for adopters of the invoice_automation feature: adopters churn 4x
 *    less than non-adopters at every plan, interval and size. No tenure effect, so the
 *    churn-rate ratio stratified by plan, interval and size estimates the hazard ratio.
 *  - Adoption is decided at signup (20% of starter, 35% pro, 45% business, 50% enterprise
 *    customers, 10 points more in accounting). An adopter has an invoice_automation
 *    feature_used event in its first active 30 days in the window (when events are
 *    written); a non-adopter never has one.
 *  - 74% of customers signed up before the window (up to four years before) and are active
 *    at its start; the rest sign up during it, at a rate doubling every three years, and
 *    start with a 14-day trial that 30% never convert. Customer ids follow signup order.
 *  - Billing: monthly for most (annual: 8% starter, 12% pro, 18% business, 30% enterprise);
 *    annual price = 10 monthly prices; USD, EUR or GBP by country; seats by company size;
 *    15% of customers have a 10% or 20% discount. A charge on every period start; 1.5% of
 *    charges refunded in full and 0.5% half, 1-20 days later. About 20 transactions per
 *    customer over 36 months.
 *  - Changes at renewal (no proration): seat increases three times as common as decreases,
 *    upgrades twice as common as downgrades, switches between monthly and annual; 15% of
 *    churned paying customers (5% of unconverted trials) come back 1-12 months later.
 *  - Logins and feature use fall linearly to 15% over the 90 days before a cancellation.
 *  - Survey: five needs-based segments (shares 26/24/18/17/15%) with distinct profiles on
 *    the 15 attitude items, recoverable by k-means (adjusted Rand index about 0.96);
 *    company size, industry, role, region, tools, budget and purchase intent depend on the
 *    segment. About 1% of attitude answers are 98 = "don't know"; 2% of ages are 99 =
 *    refused; revenue has 98 / 99, budget 9998: see the codebook.
 *
 * Determinism: the output depends only on the options (seed, sizes, dates, knobs), never
 * on n_threads or the clock (libm's exp/log enter a few draws, so another libm could in
 * principle change a rare value; gcc and clang builds agree). Every customer i draws from its own random
 * streams, xoshiro256** generators whose state is filled by splitmix64 from a key mixing
 * (seed, stream, i); ids are assigned in customer order. Changing events_per_month changes
 * only events.csv; dirty adds or corrupts rows without changing the clean ones.
 *
 * Threads and ownership: the call uses n_threads threads internally and blocks until the
 * files are complete. Options and summary are caller-owned plain structs. Files are
 * written to NAME.tmp and renamed when complete, so a failed call leaves no half-written
 * file under a final name. The function is safe to call from several threads at once for
 * different output directories. It never prints. */
#ifndef SEGKIT_SAMPLE_H
#define SEGKIT_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The files written, in this order; index into segkit_sample_summary arrays. */
typedef enum segkit_sample_file {
  SEGKIT_SAMPLE_CUSTOMERS = 0,
  SEGKIT_SAMPLE_SUBSCRIPTIONS,
  SEGKIT_SAMPLE_TRANSACTIONS,
  SEGKIT_SAMPLE_EVENTS,
  SEGKIT_SAMPLE_SURVEY,
  SEGKIT_SAMPLE_SURVEY_CODEBOOK,
  SEGKIT_SAMPLE_SURVEY_TRUTH,
  SEGKIT_SAMPLE_CUSTOMER_SURVEY,
  SEGKIT_SAMPLE_SURVEY_MARGINS,
  SEGKIT_SAMPLE_FILE_COUNT
} segkit_sample_file;

/* "customers.csv", ...; NULL for an out-of-range value. */
SEGKIT_API const char *segkit_sample_file_name(segkit_sample_file f);

typedef struct segkit_sample_options {
  int64_t n_customers;     /* customers (default 10000; 0 writes headers only; max 1e9).
                              Each yields about 20 transactions on average. */
  uint64_t seed;           /* default 42 */
  int32_t end_date;        /* last day of the data window, days since 1970-01-01
                              (default 2026-06-30) */
  int months;              /* window length in months, 1..120 (default 36); the window
                              starts on end_date + 1 day - months */
  double events_per_month; /* mean product events (logins and feature uses) per active
                              customer-month for a customer not about to churn (default 1.0,
                              about 24 events per customer); 0 writes no events, which also
                              hides feature adoption; max 1000 */
  int64_t n_respondents;   /* survey respondents (default 2000; 0 = header only; max 1e8) */
  bool dirty;              /* add deliberately bad rows for data-quality demos (default
                              false): duplicate ids, malformed dates, negative amounts, an
                              end before a start; see docs/sample-data.md */
  double dirty_share;      /* probability per row of each kind of defect when dirty
                              (default 0.002; 0..0.1) */
  int n_threads;           /* worker threads, 0 = one per online CPU (default 0) */
} segkit_sample_options;

/* Defaults as documented above. */
SEGKIT_API void segkit_sample_options_init(segkit_sample_options *opt);

typedef struct segkit_sample_summary {
  /* Data rows written per file (header excluded; the codebook counts its questions). */
  int64_t rows[SEGKIT_SAMPLE_FILE_COUNT];
  /* Bytes written per file. */
  int64_t bytes[SEGKIT_SAMPLE_FILE_COUNT];
  /* Of rows[], how many are deliberately bad (0 unless options.dirty). */
  int64_t dirty_rows[SEGKIT_SAMPLE_FILE_COUNT];
  int32_t window_start;    /* first day of the window, days since 1970-01-01 */
  int32_t window_end;      /* last day of the window (options.end_date) */
} segkit_sample_summary;

/* Write the sample files into out_dir (created if missing; its parent must exist).
 * Existing files of the same names are replaced. On success fills *summary (if non-NULL).
 * Errors: SEGKIT_ERR_USAGE for an option out of range (err->field names it), SEGKIT_ERR_IO
 * naming the file that could not be written (err->file), SEGKIT_ERR_NOMEM. */
SEGKIT_API segkit_status segkit_sample_generate(const char *out_dir,
                                                const segkit_sample_options *opt,
                                                segkit_sample_summary *summary,
                                                segkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
