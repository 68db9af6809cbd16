/* segkit/report.h: views — what the HTML report and the web dashboard show — and the
 * self-contained HTML report built from them.
 *
 * A view is one thing a reader looks at (the overview, the MRR movements, a cohort
 * heatmap, survival curves, the RFM grid, a cluster map, ...), computed from a workspace
 * with the analysis modules and returned as a JSON document. Every view is an object
 *   {"view": NAME, "title": TEXT, "available": BOOL, "reason": TEXT|null,
 *    "segment": NAME|null, ...fields of the view}
 * and a view whose data is missing says so in "reason", with the command that makes the
 * data. The fields of each view are documented in docs/report.md; the dashboard
 * (web/dashboard/) and the report's charts (web/charts.js) read exactly these.
 *
 * Which datasets are the subscription history, the customers, the transactions and the
 * survey is detected from their columns (docs/report.md, "Which datasets"), unless the
 * options name them. Options are name/value text pairs (the HTTP API's query parameters):
 * dataset options (subscriptions, customers, transactions, survey, rates) and view options
 * (segment, by, metric, model, ...); an unknown option is SEGKIT_ERR_USAGE naming it.
 *
 * Ownership: segkit_views_open returns a handle the caller closes with segkit_views_close;
 * it keeps its own workspace connection and caches what it loaded and computed (tables,
 * MRR results), so asking for several views of one handle loads each dataset once. JSON
 * and HTML strings returned are the caller's (free()). A handle is used by one thread at a
 * time; the functions without a handle are thread-safe. */
#ifndef SEGKIT_REPORT_H
#define SEGKIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "segkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An option: name and value, both text (borrowed for the duration of the call). */
typedef struct segkit_view_param {
  const char *name;
  const char *value;
} segkit_view_param;

typedef struct segkit_views segkit_views;

/* Open the workspace at `workspace` (read-only) with default options `params` (dataset
 * options and view options every view takes unless a call overrides them; copied).
 * Errors: the workspace's own (missing file, not a workspace), an unknown option or a bad
 * value (SEGKIT_ERR_USAGE naming it). */
SEGKIT_API segkit_status segkit_views_open(const char *workspace, const segkit_view_param *params,
                                           size_t n_params, segkit_views **out, segkit_error *err);
/* Close; NULL is a no-op. */
SEGKIT_API void segkit_views_close(segkit_views *v);

/* Keep options in the workspace (model "report-settings", kind "settings"; replaced), so
 * every later handle on it — the dashboard's server, a report — starts from them: which
 * dataset is which and the exchange rates are facts about the data, not about one
 * request. Options given to segkit_views_open and to each view still win. The options are
 * checked as segkit_views_open checks them; the workspace is opened for writing. */
SEGKIT_API segkit_status segkit_views_save_settings(const char *workspace,
                                                    const segkit_view_param *params,
                                                    size_t n_params, segkit_error *err);

/* The views, in report order: overview, segments, mrr_movements, cohorts, survival, rfm,
 * clusters, clv, survey, insights. */
SEGKIT_API size_t segkit_view_count(void);
/* Name of view i (NULL when out of range). */
SEGKIT_API const char *segkit_view_name(size_t i);

/* The options views take (dataset and view options, docs/report.md): i < count; NULL when
 * out of range. A server reads exactly these from a query string. */
SEGKIT_API size_t segkit_view_option_count(void);
SEGKIT_API const char *segkit_view_option_name(size_t i);

/* {"views": [{"name", "title", "available", "reason"}]}: which views have their data, from
 * the datasets and models present (cheap: nothing is computed). *json_out is the caller's. */
SEGKIT_API segkit_status segkit_views_list(segkit_views *v, char **json_out, segkit_error *err);

/* View `name` with the handle's options overridden by params. An unknown view is
 * SEGKIT_ERR_NOT_FOUND, a bad option SEGKIT_ERR_USAGE; data that is missing or that the
 * analysis refuses (a currency without a rate, too few customers) is not an error: the
 * view comes back with "available": false and the reason. */
SEGKIT_API segkit_status segkit_view(segkit_views *v, const char *name,
                                     const segkit_view_param *params, size_t n_params,
                                     char **json_out, segkit_error *err);

/* ---- the HTML report (src/report/html.c) ----------------------------------------------- */

typedef struct segkit_report_options {
  const char *title;           /* NULL = "segkit report" */
  const char *const *segments; /* stored segments to show against the rest, each a
                                  section of its own (may be NULL) */
  size_t n_segments;
} segkit_report_options;

/* The whole report as one self-contained HTML document (ECharts, charts.js, the views'
 * JSON and the CSS inline; nothing is fetched when it is opened): every view of
 * segkit_view_count() in order, then the segment sections. *html_out (NUL-terminated) and
 * its length are the caller's. */
SEGKIT_API segkit_status segkit_report_html(segkit_views *v, const segkit_report_options *opt,
                                            char **html_out, size_t *len_out, segkit_error *err);

/* Text safe inside an HTML <script> element: "<" written as \u003c (so neither
 * "</script>" nor "<!--" can occur), U+2028 and U+2029 as \u2028 and \u2029 (line
 * terminators in older JavaScript). The input must be JSON text; the result (malloc'd,
 * the caller frees) is JSON text with the same value. NULL when out of memory. */
SEGKIT_API char *segkit_report_script_escape(const char *json);

/* Web assets compiled into the library, so the report and the server use the same bytes:
 * "echarts.min.js" (Apache ECharts, from npm), "charts.js" (web/charts.js) and "report.css"
 * (web/report.css, the report's styles, print stylesheet included). NULL for
 * another name. The bytes are static and NUL-terminated; *len gets their number. */
SEGKIT_API const unsigned char *segkit_report_asset(const char *name, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
