/* report_int.h: internals of the report module (src/report), shared by its files only.
 *
 *   views.c          the handle: options, which dataset is which, caches, the view table
 *   view_billing.c   overview, segments, mrr_movements (subscription history)
 *   view_cohorts.c   cohorts (retention heatmap)
 *   view_survival.c  survival (Kaplan-Meier of customer lifetimes by a grouping)
 *   view_rfm.c       rfm (the recency x frequency grid)
 *   view_models.c    clusters and survey (stored clusterings, typing models)
 *   view_clv.c       clv (predicted value, P(alive))
 *   view_insights.c  insights (segkit_rate_findings_new on customer lifetimes)
 *   html.c           the self-contained report; assets.c the embedded web files
 * A view function gets the context and the JSON object already holding view, title,
 * available (true), reason (null) and segment; it adds its fields, or calls sk__unavailable
 * and returns SEGKIT_OK. It returns an error only for what the caller asked wrongly (a bad
 * option: SEGKIT_ERR_USAGE) or could not do at all (NOMEM). */
#ifndef SEGKIT_REPORT_INT_H
#define SEGKIT_REPORT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "segkit/metrics.h"
#include "segkit/report.h"
#include "segkit/table.h"
#include "segkit/workspace.h"

enum {
  SK_MAX_PARAMS = 32,
  SK_MAX_RATES = 32,
  SK_MAX_TABLES = 16,
  SK_MAX_MRR = 8,
  SK_MAX_ANSWERS = 64
};

/* Segments (and groups) with fewer customers than this are flagged too small, as the CLI
 * flags them (segkit metrics --min-n). */
#define SK_MIN_N 30

typedef struct sk_mrr_entry {
  char key[512];
  segkit_mrr_result *r;
  const segkit_table *t; /* the history it was computed from: a cached dataset, or */
  segkit_table *owned;   /* this copy with customer columns or membership joined */
} sk_mrr_entry;

typedef struct sk_table_entry {
  char name[128];
  segkit_table *t;
} sk_table_entry;

/* A view's JSON already computed by this handle, for the same options. */
typedef struct sk_answer {
  char *key; /* view name and the call's options */
  char *json;
} sk_answer;

struct segkit_views {
  char *path;
  segkit_workspace *ws;
  char *names[SK_MAX_PARAMS]; /* default options, owned */
  char *values[SK_MAX_PARAMS];
  size_t n_params;
  segkit_dataset_list *datasets;
  sk_table_entry tables[SK_MAX_TABLES];
  size_t n_tables;
  sk_mrr_entry mrr[SK_MAX_MRR];
  size_t n_mrr;
  sk_answer answers[SK_MAX_ANSWERS];
  size_t n_answers;
};

/* One call's options: the handle's defaults overridden by the call's. */
typedef struct sk_ctx {
  segkit_views *v;
  const segkit_view_param *params;
  size_t n_params;
  segkit_mrr_rate rates[SK_MAX_RATES];
  char rate_names[SK_MAX_RATES][16];
  size_t n_rates;
  const char *segment; /* the segment option, or NULL */
} sk_ctx;

/* The option `name` of this call, or NULL. */
const char *sk__opt(const sk_ctx *c, const char *name);
/* An integer option within lo..hi (dflt when absent); SEGKIT_ERR_USAGE otherwise. */
segkit_status sk__opt_int(const sk_ctx *c, const char *name, long lo, long hi, long dflt, long *out,
                          segkit_error *err);

/* Which dataset plays a role ("subscriptions", "customers", "transactions", "survey"): the
 * option of that name, else the detection rule of docs/report.md; NULL when none. */
const char *sk__dataset(sk_ctx *c, const char *role);
/* Whether the workspace has a dataset of that name. */
bool sk__has_dataset(segkit_views *v, const char *name);
/* A dataset, loaded once per handle (borrowed from it). */
segkit_status sk__table(segkit_views *v, const char *name, const segkit_table **out,
                        segkit_error *err);

/* The MRR of the subscription history: months from..to (from = INT32_MIN: the earliest
 * start; to = INT32_MIN: the latest start or end), split by `by` (comma-separated columns
 * of the history or of the customers dataset, or NULL) and, with the segment option, by
 * membership of the segment (the last key, values "member" / "rest"); keep: per-customer
 * MRR. Cached per handle. *t_out (may be NULL) gets the history it was computed from. */
segkit_status sk__mrr(sk_ctx *c, int32_t from, int32_t to, const char *by, bool keep,
                      const segkit_mrr_result **out, const segkit_table **t_out, segkit_error *err);
/* The last month of the history (the latest start or end), or INT32_MIN when none. */
int32_t sk__last_month(sk_ctx *c);
/* The latest (or earliest) UTC day of a date or timestamp column; false when the column is
 * missing, of another type, or has no value. */
bool sk__day_bound(const segkit_table *t, const char *col, bool latest, int32_t *out);
/* The columns of what a customer started on that the history has, of "plan" and
 * "billing_interval", comma-separated into by ("" when none). Cohorts, survival and
 * insights split the whole history's MRR by it, so a report computes that once. */
void sk__start_split(sk_ctx *c, char *by, size_t size);
/* "2.3x as often" / "3.9x less" / "more" of a rate against the rest's. */
void sk__how_much(double value, double rest, double ratio, char *buf, size_t size);

/* Mark the view unavailable with a reason (printf-style). */
void sk__unavailable(json_t *view, const char *fmt, ...) SEGKIT_PRINTF(2, 3);
/* A JSON number, or null for NaN and infinities. */
json_t *sk__num(double v);
/* "2025-01" */
json_t *sk__month(int32_t month);
/* Money in major units from cents. */
json_t *sk__money(int64_t cents);

/* The views. */
segkit_status sk__view_overview(sk_ctx *c, json_t *view, segkit_error *err);
segkit_status sk__view_segments(sk_ctx *c, json_t *view, segkit_error *err);
segkit_status sk__view_movements(sk_ctx *c, json_t *view, segkit_error *err);
segkit_status sk__view_cohorts(sk_ctx *c, json_t *view, segkit_error *err);
segkit_status sk__view_survival(sk_ctx *c, json_t *view, segkit_error *err);
segkit_status sk__view_rfm(sk_ctx *c, json_t *view, segkit_error *err);
segkit_status sk__view_clusters(sk_ctx *c, json_t *view, segkit_error *err);
segkit_status sk__view_clv(sk_ctx *c, json_t *view, segkit_error *err);
segkit_status sk__view_survey(sk_ctx *c, json_t *view, segkit_error *err);
segkit_status sk__view_insights(sk_ctx *c, json_t *view, segkit_error *err);

/* The segment option's members: a table of the customer key (column named `key`) and a
 * string column `member` ("member" / "rest"), evaluated now. SEGKIT_ERR_NOT_FOUND for an
 * unknown segment; other failures as the segment module reports them. */
segkit_status sk__segment_membership(sk_ctx *c, const char *segment, segkit_table **out,
                                     segkit_error *err);
/* Stored segment `segment` evaluated through the handle's tables, now() being the as_of
 * option (default the clock); *out is the caller's (segkit_segeval_free). */
struct segkit_segeval;
segkit_status sk__segment_evaluate(sk_ctx *c, const char *segment, struct segkit_segeval **out,
                                   segkit_error *err);

/* The model of `kind` to show: the `model` option if it is one, else the first of that kind
 * whose dataset satisfies want_survey (the dataset has a codebook) — borrowed from the list
 * *list (the caller frees it); NULL when there is none. */
const segkit_model_info *sk__pick_model(sk_ctx *c, const char *kind, int want_survey,
                                        segkit_model_list **list, segkit_error *err);

#endif
