/* segkit/segeval.h: evaluating segments as stored in a workspace — the one place where a
 * rule (segment.h) meets the workspace's datasets (workspace.h).
 *
 * A rule needs more than its text: the customers dataset it runs over and its key column,
 * the fact datasets linked to it that the rule names (count(transactions where ...)), the
 * memberships of the stored segments it names with in_segment() (each evaluated in turn,
 * with its own context, to a depth limit), the fields derived from a subscription history
 * (mrr, plan, tenure_days, ...; `segkit segment add --subscriptions`), and the time now()
 * stands for. This module assembles all of that from a workspace, so the CLI (`segkit
 * segment`) and the HTTP API evaluate a segment the same way.
 *
 * Datasets are obtained through a loader the caller may supply (segkit_segeval_loader): the
 * default reads each from the workspace (segkit_workspace_load) and frees it at the end; the
 * server passes its table cache, so requests share loaded tables, and an indexer
 * (segkit_segeval_indexer) over the same cache, so they share the facts' indexes by
 * customer too.
 *
 * The key column of the customers is, in order: the option's key, the segment's context key
 * ({"key": ...}, written by the API), the dataset's recorded key, the key of its links,
 * `customer_id`, `id`.
 *
 * Ownership: a segkit_segeval is the caller's, freed with segkit_segeval_free; everything
 * its accessors return borrows from it. One evaluation is used by one thread at a time;
 * separate evaluations may run at once on separate workspace handles (the loader must then
 * be thread-safe). Nothing prints; errors come back as a status and a segkit_error. */
#ifndef SEGKIT_SEGEVAL_H
#define SEGKIT_SEGEVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/segment.h"
#include "segkit/table.h"
#include "segkit/workspace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How an evaluation gets a dataset's rows. acquire lends the table of dataset `name` (read
 * through ws when it must be loaded); the table must stay valid and unchanged until the
 * evaluation hands it back with release. Both are called on the evaluating thread. */
typedef struct segkit_segeval_loader {
  segkit_status (*acquire)(void *ctx, segkit_workspace *ws, const char *name,
                           const segkit_table **out, segkit_error *err);
  void (*release)(void *ctx, const segkit_table *table);
  void *ctx;
} segkit_segeval_loader;

/* Where an evaluation gets the index of a linked fact table by customer
 * (segkit_link_index, segment.h), for a loader that keeps tables between evaluations and
 * can keep their indexes too. acquire lends the index of `facts` (a table the loader lent)
 * by `fact_column` over the rows of `customers` (the table the loader lent for the
 * customers dataset) and its column `key`; env is the rule's environment over those rows
 * (the customers, or they with derived fields joined), to build the index with
 * (segkit_link_index_new). The index must stay valid until facts is released. *out NULL:
 * none is kept (say, for a table the loader does not cache); the evaluation then indexes
 * the facts itself, as it does without an indexer. Called on the evaluating thread. */
typedef struct segkit_segeval_indexer {
  segkit_status (*acquire)(void *ctx, const segkit_rule_env *env, const segkit_table *customers,
                           const char *key, const segkit_table *facts, const char *fact_column,
                           const segkit_link_index **out, segkit_error *err);
  void *ctx;
} segkit_segeval_indexer;

typedef struct segkit_segeval_options {
  const char *key; /* the customers' key column; NULL: chosen as above */
  int64_t now_us;  /* what now() means (UTC microseconds); _init: the current time */
  int n_threads;   /* threads of the rule's evaluation (0: all cores); _init: 0 */
  /* A new rule's context (segkit_segeval_open): JSON {"subscriptions": DATASET, "rates":
   * "USD=1,EUR=1.08" or a file of such lines, "key": COL}, as segkit_segeval_context
   * writes it and segments store it; NULL: none. Stored segments bring their own. */
  const char *context;
  /* A dataset the rule names that is not linked but has a column named like the key, of the
   * key's type, is linked by that column (the CLI's convenience; see
   * segkit_segeval_n_inferred). The API declares links explicitly and leaves this off. */
  bool infer_links;
  const segkit_segeval_loader *loader; /* NULL: segkit_workspace_load, freed at the end */
  int max_depth;                       /* in_segment() nesting allowed; _init: 32 */
  const segkit_segeval_indexer *indexer; /* NULL: every evaluation indexes its facts */
} segkit_segeval_options;

SEGKIT_API void segkit_segeval_options_init(segkit_segeval_options *opt);

typedef struct segkit_segeval segkit_segeval;

/* The environment of a rule over `dataset`: its customers (with the context's derived
 * fields), the key column, the linked datasets `rule` names. Nothing is compiled yet; run
 * it with segkit_segeval_run. Errors: SEGKIT_ERR_NOT_FOUND (no such dataset, or the
 * subscriptions dataset), SEGKIT_ERR_SCHEMA (no key column, field "key"), the context's
 * (SEGKIT_ERR_USAGE for bad rates), the store's. */
SEGKIT_API segkit_status segkit_segeval_open(segkit_workspace *ws, const char *dataset,
                                             const char *rule, const segkit_segeval_options *opt,
                                             segkit_segeval **out, segkit_error *err);
/* Compile `rule` (named `name` for cycle checks and messages; NULL for an unnamed rule) in
 * ev's environment, evaluate the stored segments it names, and run it: the members are then
 * segkit_segeval_bits / _count. A rule that does not compile: SEGKIT_ERR_PARSE / _TYPE /
 * _LIMIT with *diag filled (when diag is not NULL). A segment named by in_segment() that
 * does not exist, is over another dataset, or refers back to itself: SEGKIT_ERR_TYPE; nesting
 * deeper than max_depth: SEGKIT_ERR_LIMIT. */
SEGKIT_API segkit_status segkit_segeval_run(segkit_segeval *ev, const char *name, const char *rule,
                                            segkit_rule_diag *diag, segkit_error *err);
/* Both, for the stored segment `name` (its dataset, rule and context):
 * SEGKIT_ERR_NOT_FOUND when there is no such segment. */
SEGKIT_API segkit_status segkit_segeval_segment(segkit_workspace *ws, const char *name,
                                                const segkit_segeval_options *opt,
                                                segkit_segeval **out, segkit_rule_diag *diag,
                                                segkit_error *err);
SEGKIT_API void segkit_segeval_free(segkit_segeval *ev);

/* The customers the rule ran over (the dataset, plus derived fields), their key column's
 * name and column, the dataset's name, the time now() meant, the rule environment. */
SEGKIT_API const segkit_table *segkit_segeval_customers(const segkit_segeval *ev);
SEGKIT_API const char *segkit_segeval_key(const segkit_segeval *ev);
SEGKIT_API const segkit_column *segkit_segeval_key_column(const segkit_segeval *ev);
SEGKIT_API const char *segkit_segeval_dataset(const segkit_segeval *ev);
SEGKIT_API int64_t segkit_segeval_now(const segkit_segeval *ev);
SEGKIT_API const segkit_rule_env *segkit_segeval_env(const segkit_segeval *ev);
/* The stored segment evaluated (segkit_segeval_segment), or NULL. */
SEGKIT_API const segkit_segment_info *segkit_segeval_definition(const segkit_segeval *ev);
/* After a successful run: the members as a bitset over the customers' rows ((n + 63) / 64
 * words), their number, and the number of customers. NULL / 0 before. */
SEGKIT_API const uint64_t *segkit_segeval_bits(const segkit_segeval *ev);
SEGKIT_API size_t segkit_segeval_count(const segkit_segeval *ev);
SEGKIT_API size_t segkit_segeval_n_rows(const segkit_segeval *ev);
/* Whether row i is a member (after a run). */
SEGKIT_API bool segkit_segeval_is_member(const segkit_segeval *ev, size_t row);

/* Links inferred by infer_links (fact_dataset, fact_column = customers' key,
 * customers_dataset, key_column, time_column or NULL), for the caller to tell about and to
 * store with segkit_workspace_link when it saves the segment. */
SEGKIT_API size_t segkit_segeval_n_inferred(const segkit_segeval *ev);
SEGKIT_API const segkit_link *segkit_segeval_inferred(const segkit_segeval *ev, size_t i);

/* A context as JSON text (see the options' context) from its parts, any of them NULL;
 * NULL is returned in *out when all are NULL. The caller frees *out. */
SEGKIT_API segkit_status segkit_segeval_context(const char *subscriptions, const char *rates,
                                                const char *key, char **out, segkit_error *err);

/* ---- what depends on a segment (src/segeval/dependents.c) -------------------------------- */

/* The stored segments that would stop counting without segment `name`: those whose rule
 * calls in_segment("name") (the first *n_direct items, by name), then those that call one
 * of them, and so on (each further level by name). References are read from the rules' text,
 * so nothing is loaded. `name` need not exist (a rule may name a segment not made yet). The
 * one check behind `segkit segment rm` and DELETE /api/v1/segments/NAME, which refuse to
 * break dependents unless forced. *out is the caller's (segkit_segment_list_free); n_direct
 * may be NULL. */
SEGKIT_API segkit_status segkit_segeval_dependents(segkit_workspace *ws, const char *name,
                                                   segkit_segment_list **out, size_t *n_direct,
                                                   segkit_error *err);

/* ---- checking a rule as it is typed ----------------------------------------------------- */

typedef struct segkit_rule_problem {
  char *message; /* what is wrong, without the "rule:LINE:COL: " prefix */
  int line;      /* 1-based; 0 when the problem has no position in the text */
  int column;
  int length; /* of the offending token (at least 1 when line > 0) */
} segkit_rule_problem;

typedef struct segkit_rule_check {
  bool valid;
  char *dataset;     /* the dataset the rule was checked against */
  int64_t count;     /* valid: members now */
  int64_t of;        /* valid: customers */
  size_t n_problems; /* not valid: at least 1 */
  segkit_rule_problem *problems;
} segkit_rule_check;

/* Compile and, when it compiles, run `rule` over `dataset` (NULL: the dataset named
 * "customers", else the one customers dataset of the links, else the only dataset), as
 * segkit_segeval_open + _run do, for a rule builder that checks as the user types. A rule
 * that is wrong is not an error: the status is SEGKIT_OK with (*out)->valid false and its
 * problems. Errors are for what is not the rule's fault: SEGKIT_ERR_NOT_FOUND (no such
 * dataset), SEGKIT_ERR_USAGE (dataset NULL and no default), SEGKIT_ERR_SCHEMA (no key),
 * the store's. The compiler stops at its first error, so a wrong rule has one problem
 * today; callers should show them all. Free with segkit_rule_check_free. */
SEGKIT_API segkit_status segkit_segeval_check(segkit_workspace *ws, const char *dataset,
                                              const char *rule, const segkit_segeval_options *opt,
                                              segkit_rule_check **out, segkit_error *err);
SEGKIT_API void segkit_rule_check_free(segkit_rule_check *check);

/* ---- members as keys, and how they changed (src/segeval/member_keys.c) ------------------ *
 *
 * A segment's members as a sorted list of keys (int64 numerically, strings byte-wise, the
 * order snapshots store them in; copied, so the list outlives where it came from), and the
 * diff of two lists: who entered (in `to`, not in `from`) and who left. The one diff behind
 * `segkit segment diff`, the API's .../diff and `segkit insights --growth`. */
typedef struct segkit_member_keys segkit_member_keys;

/* The keys of column c at the rows set in bits ((n + 63) / 64 words; NULL: every row);
 * null keys are skipped. SEGKIT_ERR_TYPE for a column that is not int64 or string. */
SEGKIT_API segkit_status segkit_member_keys_of(const segkit_column *c, const uint64_t *bits,
                                               segkit_member_keys **out, segkit_error *err);
/* The members of stored snapshot `id` (SEGKIT_ERR_NOT_FOUND for an unknown id). */
SEGKIT_API segkit_status segkit_member_keys_of_snapshot(segkit_workspace *ws, int64_t id,
                                                        segkit_member_keys **out,
                                                        segkit_error *err);
SEGKIT_API void segkit_member_keys_free(segkit_member_keys *k);
SEGKIT_API size_t segkit_member_keys_n(const segkit_member_keys *k);
SEGKIT_API bool segkit_member_keys_are_ints(const segkit_member_keys *k);
/* Key i: as int64 (0 for string keys or i out of range) or as text (NULL for int keys). */
SEGKIT_API int64_t segkit_member_keys_int(const segkit_member_keys *k, size_t i);
SEGKIT_API const char *segkit_member_keys_text(const segkit_member_keys *k, size_t i);

typedef struct segkit_member_diff {
  size_t n_from, n_to; /* members then and now */
  size_t n_entered, n_left;
  size_t *entered; /* indexes into `to`, ascending key order */
  size_t *left;    /* indexes into `from` */
} segkit_member_diff;

/* The diff of two lists (*out is the caller's: segkit_member_diff_free). SEGKIT_ERR_TYPE when
 * both are non-empty and their keys are of different types (the key column changed). */
SEGKIT_API segkit_status segkit_member_keys_diff(const segkit_member_keys *from,
                                                 const segkit_member_keys *to,
                                                 segkit_member_diff *out, segkit_error *err);
SEGKIT_API void segkit_member_diff_free(segkit_member_diff *d);

#ifdef __cplusplus
}
#endif
#endif
