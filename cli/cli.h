/* Shared pieces of the segkit command: verbs, option parsing, output formats, progress.
 *
 * Each verb lives in its own cmd_<verb>.c and is listed in main.c's verb table. A verb
 * parses its options with cli_parse (global options --workspace, --format, --threads,
 * --quiet and --help are understood everywhere), does its work through libsegkit, and
 * returns an exit code (see docs/cli.md): 0 success, 2 usage error, 3 data error (bad
 * input, unknown dataset, rows rejected with --on-error=fail), 4 environment error (I/O,
 * memory, workspace), 5 internal error. */
#ifndef SEGKIT_CLI_H
#define SEGKIT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

/* Every JSON document the CLI writes: indented, keys in insertion order, reals with 15
 * significant digits (0.95, not 0.94999999999999996): more than any value we print
 * carries. */
#define CLI_JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

#include "segkit/segkit.h"

enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_USAGE = 2,
  CLI_EXIT_DATA = 3,
  CLI_EXIT_ENV = 4,
  CLI_EXIT_INTERNAL = 5
};

typedef enum cli_format { CLI_FORMAT_TABLE = 0, CLI_FORMAT_CSV, CLI_FORMAT_JSON } cli_format;

/* ---- options ------------------------------------------------------------------------ */

typedef enum cli_opt_kind {
  CLI_OPT_FLAG,  /* --name */
  CLI_OPT_VALUE, /* --name VALUE or --name=VALUE; last one wins */
  CLI_OPT_MULTI  /* repeatable, values kept in order */
} cli_opt_kind;

typedef struct cli_opt {
  const char *name; /* without the dashes */
  cli_opt_kind kind;
  const char *metavar;
  const char *help;
} cli_opt;

enum { CLI_MAX_OPTS = 64, CLI_MAX_VALUES = 64, CLI_MAX_POSITIONAL = 16 };

typedef struct cli_args {
  cli_opt spec[CLI_MAX_OPTS]; /* the verb's options, then its shared ones */
  size_t n_spec;
  int seen[CLI_MAX_OPTS];
  const char *value[CLI_MAX_OPTS];
  const char *multi[CLI_MAX_OPTS][CLI_MAX_VALUES];
  size_t n_multi[CLI_MAX_OPTS];
  const char *positional[CLI_MAX_POSITIONAL];
  size_t n_positional;
  /* Global options. */
  const char *workspace;
  cli_format format;
  int threads;
  bool quiet;
  bool help;
} cli_args;

/* A verb: name, one-line summary, usage line, longer description, its options. */
typedef struct cli_verb {
  const char *name;
  const char *summary;
  const char *usage;
  const char *description;
  const cli_opt *opts;
  size_t n_opts;
  const cli_opt *more_opts;   /* options shared with a related verb (cohorts: mrr's) */
  size_t n_more_opts;
  const cli_opt *shared_opts; /* e.g. cli_read_opts */
  size_t n_shared_opts;
  int (*run)(cli_args *args);
} cli_verb;

/* Parse argv (after the verb) against the verb's options. On a usage error prints it
 * (with a hint to `segkit help VERB`) and returns CLI_EXIT_USAGE; 0 otherwise. */
int cli_parse(const cli_verb *verb, int argc, char **argv, cli_args *out);
bool cli_has(const cli_args *a, const char *name);
const char *cli_get(const cli_args *a, const char *name);
size_t cli_get_multi(const cli_args *a, const char *name, const char *const **values);
/* --conf LEVEL, a number strictly between 0 and 1, into *level (left as is when absent);
 * prints a usage error and returns false on bad input. */
bool cli_get_level(const cli_args *a, const char *verb, double *level);
/* --FLAG X with 0 < X < 1 (a level, a false-discovery rate) into *out (left as is when
 * absent); prints a usage error and returns false on bad input. */
bool cli_get_fraction(const cli_args *a, const char *verb, const char *flag, double *out);
/* "= 0.0038", or "< 1e-300" for a p-value that underflows to 0 (it is not 0). */
const char *cli_p_text(double p, char buf[32]);
/* --FLAG X with lo <= X <= hi (a gross margin, a horizon) into *out, the same way. */
bool cli_get_real(const cli_args *a, const char *verb, const char *flag, double lo, double hi,
                  double *out);
/* Parse an integer option within [lo, hi]; prints a usage error and returns false on bad input. */
bool cli_get_int(const cli_args *a, const char *name, int64_t lo, int64_t hi, int64_t *out);
/* Members two bitsets of `words` 64-bit words share. */
size_t cli_popcount_and(const uint64_t *x, const uint64_t *y, size_t words);
/* Split "a,b,c" in place into at most max pieces (pointers into buf); false when there are
 * more or one is empty. */
bool cli_split_list(char *buf, const char **out, size_t max, size_t *n);

void cli_print_verb_help(const cli_verb *verb, FILE *f);
const cli_verb *cli_find_verb(const char *name);
void cli_print_overview(FILE *f);

/* Workspace path: --workspace, else $SEGKIT_WORKSPACE, else ./segkit.db. */
const char *cli_workspace_path(const cli_args *a);

/* ---- errors ------------------------------------------------------------------------ */

/* Print "segkit: file:line:col: message" to stderr and return the exit code for st. */
int cli_report(const segkit_error *err);
int cli_usage_error(const char *verb, const char *fmt, ...) SEGKIT_PRINTF(2, 3);
int cli_exit_code(segkit_status st);

/* ---- output ------------------------------------------------------------------------ */

/* A grid of cells rendered as an aligned text table, CSV, or a JSON array of objects.
 * Cells are typed so JSON keeps numbers as numbers and nulls as null. */
typedef enum cli_cell_kind { CLI_CELL_NULL, CLI_CELL_TEXT, CLI_CELL_INT, CLI_CELL_REAL } cli_cell_kind;

typedef struct cli_cell {
  cli_cell_kind kind;
  char *text;  /* owned; for INT/REAL the formatted number */
  int64_t i;
  double r;
} cli_cell;

typedef struct cli_grid cli_grid;

cli_grid *cli_grid_new(size_t n_cols, const char *const *headers);
void cli_grid_free(cli_grid *g);
/* Start a new row; cells are then added left to right. */
void cli_grid_row(cli_grid *g);
void cli_grid_text(cli_grid *g, const char *s);
void cli_grid_int(cli_grid *g, int64_t v);
/* digits: decimals in table/CSV output (JSON gets full precision). */
void cli_grid_real(cli_grid *g, double v, int digits);
void cli_grid_null(cli_grid *g);
/* A table cell as a cell of its type (null as null). */
void cli_grid_value(cli_grid *g, const segkit_column *col, size_t row);
/* Render; false on an out-of-memory during building (reported). */
bool cli_grid_print(const cli_grid *g, cli_format fmt, FILE *f);
/* Render into the file at path, atomically (a temporary file renamed into place). A table
 * format becomes JSON for a path ending .json, CSV otherwise. 0 or an exit code (reported). */
int cli_grid_write_file(const cli_grid *g, cli_format fmt, const char *path);

/* Thousands separators for people: 1234567 -> "1,234,567". buf >= 32 bytes. */
const char *cli_thousands(int64_t v, char *buf, size_t size);
/* A JSON number, or null for NaN and infinities (which JSON cannot hold): how every
 * verb writes an estimate that may be undefined. */
json_t *cli_json_number(double v);

/* ---- progress ------------------------------------------------------------------------ */

/* Progress on stderr, only when stderr is a terminal and not --quiet: a line redrawn in
 * place with percent, rate and time left. */
typedef struct cli_progress cli_progress;
cli_progress *cli_progress_new(const cli_args *a, const char *what, int64_t total_bytes);
void cli_progress_update(cli_progress *p, int64_t done_bytes);
void cli_progress_done(cli_progress *p);

/* ---- verbs ------------------------------------------------------------------------- */

extern const cli_verb cli_verb_init;
extern const cli_verb cli_verb_import;
extern const cli_verb cli_verb_import_stripe;
extern const cli_verb cli_verb_datasets;
extern const cli_verb cli_verb_describe;
extern const cli_verb cli_verb_quarantine;
extern const cli_verb cli_verb_audit;
extern const cli_verb cli_verb_drop;
extern const cli_verb cli_verb_generate;
extern const cli_verb cli_verb_demo;
extern const cli_verb cli_verb_survival;
extern const cli_verb cli_verb_mrr;
extern const cli_verb cli_verb_metrics;
extern const cli_verb cli_verb_cohorts;
extern const cli_verb cli_verb_revenue;
extern const cli_verb cli_verb_link;
extern const cli_verb cli_verb_segment;
extern const cli_verb cli_verb_family;
extern const cli_verb cli_verb_lifecycle;
extern const cli_verb cli_verb_tiers;
extern const cli_verb cli_verb_cluster;
extern const cli_verb cli_verb_clv;
extern const cli_verb cli_verb_survey;
extern const cli_verb cli_verb_insights;
extern const cli_verb cli_verb_serve;
extern const cli_verb cli_verb_report;
extern const cli_verb cli_verb_key;

/* Shared by import, describe and demo: read a CSV or JSON Lines file with the reader
 * options the verb's flags describe (--type, --schema, --date-format, --delimiter,
 * --on-error, --infer-rows, --null, --jsonl). */
#define CLI_N_READ_OPTS 8
extern const cli_opt cli_read_opts[CLI_N_READ_OPTS];
typedef struct cli_read_setup {
  segkit_read_options opt;
  segkit_type_override types[256];
  char *type_names[256];
  const char *nulls[64];
  bool jsonl;
} cli_read_setup;
/* Fill setup from the flags; prints a usage error and returns false on bad flags. */
bool cli_read_setup_from_args(const cli_args *a, const char *verb, const char *path,
                              cli_read_setup *setup);
void cli_read_setup_free(cli_read_setup *setup);
/* Read the file per setup. */
/* The table a verb works on: --dataset NAME from the workspace, else the one FILE argument
 * read with the reading options. Prints errors; returns 0 or the exit code. */
int cli_load_table(cli_args *a, const char *verb, segkit_table **out);
/* Load a dataset of the workspace (dataset != NULL) or read a file with the reading flags. */
int cli_load_named(cli_args *a, const char *verb, const char *dataset, const char *file,
                   segkit_table **out);

/* Read the file per setup, with progress on stderr when it is a terminal. */
segkit_status cli_read_file(const cli_args *a, const char *path, cli_read_setup *setup,
                            segkit_read_result **out, segkit_error *err);



/* Open the workspace the flags name; prints the error and returns its exit code, or 0.
 * `create`: create it when missing (import, init); otherwise a missing file is an error
 * that suggests `segkit init`. */
int cli_open_workspace(const cli_args *a, bool create, segkit_workspace **out);

/* How the user invoked segkit (argv[0]), for commands the output suggests. */
const char *cli_program_name(void);

/* The MRR movements table of one group (SEGKIT_MRR_ALL for the totals); mrr and demo. */
bool cli_print_mrr_months(const segkit_mrr_result *r, size_t group, cli_format fmt);

/* ---- billing arguments (billing_args.c) ---- */
enum { CLI_MAX_RATES = 64 };
/* "2025-01" -> month index (segkit_month_index). */
bool cli_parse_month(const char *s, int32_t *out);
/* Earliest or latest UTC day of a date or timestamp column (nulls skipped); false when the
 * column is missing, of another type, or has no value. */
bool cli_day_bound(const segkit_table *t, const char *col, bool latest, int32_t *out);
/* Month index -> "2025-01". */
void cli_month_text(int32_t m, char *buf, size_t size);
/* "USD=1,EUR=1.08" or a file of "currency,rate" lines (a header line is skipped) into
 * rates[] (names[] holds their strings); false on a malformed spec. */
bool cli_parse_rates(const char *spec, segkit_mrr_rate *rates, char names[][16], size_t *n);

/* Options of a subscription history (dataset, months, --by, rates, column mapping): the
 * mrr verb's options, shared by cohorts and metrics. */
#define CLI_N_SUBSCRIPTION_OPTS 19
extern const cli_opt cli_subscription_opts[CLI_N_SUBSCRIPTION_OPTS];

typedef struct cli_mrr_request {
  bool keep_customers;          /* per-customer MRR (cohorts) */
  bool from_earliest;           /* default --from: the earliest start, not 11 months back */
  segkit_mrr_period_kind period;
  double conf_level;
  int64_t min_customers;
  /* Called with the loaded history, the result and the columns they were read with (alive
   * only during the call: --mapping names live in its JSON), before cli_mrr_compute
   * returns; its nonzero return becomes cli_mrr_compute's. NULL: not called. */
  int (*then)(void *ctx, const segkit_table *t, const segkit_mrr_result *r,
              const segkit_mrr_columns *columns);
  void *ctx;
} cli_mrr_request;

/* Load the subscription history named by the arguments and compute its MRR; 0 or an exit
 * code after printing the error. The caller frees *t_out and *r_out. */
int cli_mrr_compute(cli_args *a, const char *verb, const cli_mrr_request *req,
                    segkit_table **t_out, segkit_mrr_result **r_out);
/* The membership of a stored segment, evaluated now: a table of the customers' key column
 * and a string column named after the segment ("member" / "not member"); 0 or an exit code
 * after printing the error. */
int cli_segment_membership(cli_args *a, segkit_workspace *ws, const char *name,
                           segkit_table **out);

/* The end of every family verb (family, lifecycle, tiers): --as NAME stores the per-customer
 * table t as a dataset; then the customers per label (names/counts, n labels) are printed,
 * or every row of t with --rows. extra (may be NULL; its reference is taken) adds keys to
 * the JSON; note (may be NULL) is a line printed under the table. 0 or an exit code. */
int cli_family_finish(cli_args *a, const char *family, const segkit_table *t,
                      const char *const *names, const size_t *counts, size_t n, json_t *extra,
                      const char *note);

/* Step 7 of the demo (demo_segments.c): lifecycle and RFM tables stored, linked, and rules
 * over them saved as segments; r has keep_customer_mrr. 0 or an exit code (reported). */
int cli_demo_segments(segkit_workspace *ws, const segkit_table *subs, const segkit_mrr_result *r,
                      int32_t as_of, const segkit_mrr_rate *rates, size_t n_rates,
                      int n_threads);

/* Step 8 of the demo (demo_clusters.c): k-means on the RFM table step 7 stored, kept as
 * model "behaviour", with each cluster's churned share. 0 or an exit code (reported). */
int cli_demo_clusters(segkit_workspace *ws, int n_threads);

/* Step 10 (demo_market.c): the prospect survey in DIR read with its codebook into dataset
 * prospects, k-means on its attitude items against the planted segments, profile, sizes
 * and golden questions. 0 or an exit code (reported). */
int cli_demo_market(segkit_workspace *ws, const char *dir, int n_threads);

/* segkit report's work (cmd_report.c), also the demo's last step: the views of the
 * workspace with these options, written as one HTML file at out (atomically). 0 or an exit
 * code (reported). */
int cli_write_report(const char *workspace, const segkit_view_param *params, size_t n_params,
                     const char *const *segments, size_t n_segments, const char *title,
                     const char *out);

/* segkit metrics without --churned: the metrics of a subscription history. */
int cli_metrics_billing(cli_args *a, double level, int64_t min_n);
/* segkit insights on a subscription history (insights_history.c): churn per month, LTV
 * (at gross margin `margin`) and NRR of every --by value and --segment against the rest;
 * 0 or an exit code. */
struct segkit_rate_options;
int cli_insights_history(cli_args *a, const struct segkit_rate_options *o, double level,
                         double margin);
/* The findings of segkit_mrr_findings_new on r as plain sentences (what passed), what did
 * not, and the segments too small to trust. */
/* segkit insights --growth (insights_growth.c): stored segments against their latest
 * snapshot; 0 or an exit code. */
int cli_insights_growth(cli_args *a);
struct segkit_segment_findings;
void cli_insights_print_findings(const segkit_mrr_result *r,
                                 const struct segkit_segment_findings *f,
                                 const struct segkit_rate_options *o, double level, double margin);
/* segkit insights --profile (insights_profile.c): the attributes over- or under-represented
 * in each segment of each --by column of t; keep (may be NULL): rows with keep[i] < 0 are
 * left out. 0 or an exit code. */
int cli_insights_profile(cli_args *a, const segkit_table *t, const char *by,
                         const char *profile, const struct segkit_rate_options *o,
                         const int32_t *keep);
/* {"plan": "pro", "tenure_stage": "growth"} of a group. */
json_t *cli_mrr_group_key(const segkit_mrr_result *r, size_t group);

/* The column a -col flag names: dflt when the flag is absent, NULL for "none" (an optional
 * column the data does not have). */
const char *cli_mapped(const cli_args *a, const char *flag, const char *dflt);

/* --by COL[,COL]: column names (borrowed from buf) and, for the billing verbs, the
 * tenure_stage pseudo-column. */
enum { CLI_MAX_BY = 16 };
typedef struct cli_by {
  char *buf;
  const char *cols[CLI_MAX_BY];
  size_t n;
  bool tenure_stage;
} cli_by;
/* 0, or a usage exit code after printing the error (an unknown column when t is given). */
int cli_parse_by(const char *verb, const char *spec, const segkit_table *t, bool allow_stage,
                 cli_by *out);
void cli_by_free(cli_by *b);

/* Parse --FLAG COL=VALUE (an event: churned=true, status=2, Churn=Yes) against the type of
 * COL in t; prints a usage error and returns false when VALUE does not fit. */
bool cli_event_spec(const char *verb, const char *flag, const segkit_table *t, const char *spec,
                    char *name, size_t name_size, int64_t *int_value, const char **string_value);

/* "cli:USER", who the audit log says made a change. */
void cli_actor_name(char *buf, size_t size);

/* Print what segkit_sample_generate wrote (generate and demo). */
void cli_print_sample_summary(const char *dir, const segkit_sample_summary *s, double secs);

/* Format a UTC timestamp in microseconds as "YYYY-MM-DD HH:MM:SS" for tables. */
const char *cli_time_text(int64_t us, char *buf, size_t size);
#endif
