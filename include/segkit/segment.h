/* segkit/segment.h: the segment rule language — rules such as
 *   plan == "pro" and billing_interval == "year" and tenure_days > 180
 *     and count(events where name == "login" and ts > now() - 14d) == 0
 * parsed, type-checked against the data before anything runs, compiled to a bytecode that
 * is evaluated over column batches into a bitset of members, and compiled to PostgreSQL SQL.
 * The language itself (types, operators, functions, null semantics) is in docs/rules.md.
 *
 * A rule runs in an environment: one table of customers (one row per customer, with a key
 * column), the fact tables linked to it by customer key (transactions, events), the time
 * "now" stands for, and the memberships of other segments a rule may refer to
 * (in_segment("name")). The environment borrows its tables: they must outlive it and stay
 * unchanged. A compiled rule is tied to the environment it was compiled in (the same
 * tables) and is read-only: several threads may evaluate it at once.
 *
 * Ownership: every _new / _compile result is freed by its _free; strings from _to_sql are
 * the caller's (free()). Functions return a status and fill a segkit_error; nothing prints. */
#ifndef SEGKIT_SEGMENT_H
#define SEGKIT_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- environment -------------------------------------------------------------------- */

typedef struct segkit_rule_env segkit_rule_env;

/* customers: the rows rules select from; key: its customer id column (int64 or string,
 * unique: SEGKIT_ERR_SCHEMA names a repeated value); now_us: what now() means (UTC
 * microseconds since 1970-01-01; segkit_now_us() for the current time, a fixed value for
 * reproducible runs). Every column of customers is a field of the language. */
SEGKIT_API segkit_status segkit_rule_env_new(const segkit_table *customers, const char *key,
                                             int64_t now_us, segkit_rule_env **out,
                                             segkit_error *err);
SEGKIT_API void segkit_rule_env_free(segkit_rule_env *env);

/* Link a fact table under `name` (how rules call it: count(events where ...)): its rows
 * belong to the customer whose key equals customer_column (same type as the key; rows
 * whose customer is unknown or null belong to nobody). time_column (date or timestamp, or
 * NULL) is the column time windows (`last 90d`), last() and first() use. */
SEGKIT_API segkit_status segkit_rule_env_link(segkit_rule_env *env, const char *name,
                                              const segkit_table *facts,
                                              const char *customer_column,
                                              const char *time_column, segkit_error *err);

/* The grouping segkit_rule_env_link builds (the fact rows of each customer row: one key
 * lookup per fact row and a counting sort, about 0.2 s for 20 M rows), built once and lent
 * to many environments, for a caller that keeps fact tables between evaluations (the HTTP
 * server keeps it beside the table in its cache). segkit_link_index_new builds it for the
 * rows of `facts` by `customer_column` over env's customers; it borrows facts (which must
 * outlive it, unchanged) and is valid for every environment over the same customers: the
 * same key column with the same values in the same rows (env's table or one made from it
 * by adding columns, as segkit_table_lookup does). Errors: those of segkit_rule_env_link.
 * The index is the caller's (segkit_link_index_free); _memory_bytes: what it holds. */
typedef struct segkit_link_index segkit_link_index;
SEGKIT_API segkit_status segkit_link_index_new(const segkit_rule_env *env,
                                               const segkit_table *facts,
                                               const char *customer_column, segkit_link_index **out,
                                               segkit_error *err);
SEGKIT_API void segkit_link_index_free(segkit_link_index *ix);
SEGKIT_API size_t segkit_link_index_memory_bytes(const segkit_link_index *ix);
/* segkit_rule_env_link with a prebuilt index, which env borrows: it must outlive env.
 * SEGKIT_ERR_USAGE when ix was built for another table, column or number of customers. */
SEGKIT_API segkit_status segkit_rule_env_link_indexed(
    segkit_rule_env *env, const char *name, const segkit_table *facts, const char *customer_column,
    const char *time_column, const segkit_link_index *ix, segkit_error *err);

/* The membership of another segment, for in_segment("name"): a bitset over the customer
 * rows ((n_rows + 63) / 64 words, bit i % 64 of word i / 64 = row i). Copied. */
SEGKIT_API segkit_status segkit_rule_env_add_segment(segkit_rule_env *env, const char *name,
                                                     const uint64_t *bits, segkit_error *err);

/* ---- compiling ---------------------------------------------------------------------- */

typedef struct segkit_rule segkit_rule;

/* Where a rule is wrong, for people: line and column (1-based) of the first offending
 * character, the length of the offending token, and the rule's line with a caret line
 * under it ("plan == \"pro\" and palnn == 1\n                  ^^^^^"). */
typedef struct segkit_rule_diag {
  int line;
  int column;
  int length;
  char excerpt[1024];
} segkit_rule_diag;

/* Parse and type-check `text` against env (fields, linked tables and their columns,
 * function signatures, segments known to env or to be provided later by name). Errors:
 * SEGKIT_ERR_PARSE (syntax) or SEGKIT_ERR_TYPE (an unknown name, a type mismatch), with
 * err->message "rule:LINE:COL: what is wrong (what was expected)" — e.g.
 * "rule:1:5: unknown field 'palnn' (did you mean 'plan'?)" — and *diag filled when diag is
 * not NULL; SEGKIT_ERR_LIMIT for a rule over 64 KiB or nested deeper than 256; NOMEM. *out
 * is written only on success. */
SEGKIT_API segkit_status segkit_rule_compile(const segkit_rule_env *env, const char *text,
                                             segkit_rule **out, segkit_rule_diag *diag,
                                             segkit_error *err);
SEGKIT_API void segkit_rule_free(segkit_rule *rule);

/* The segments the rule refers to with in_segment(), in order of first use. */
SEGKIT_API size_t segkit_rule_n_segment_refs(const segkit_rule *rule);
SEGKIT_API const char *segkit_rule_segment_ref(const segkit_rule *rule, size_t i);
/* Whether rule `text` calls in_segment("segment"), read from its tokens alone (no
 * environment: it answers for a stored rule whose fields no longer exist, and costs no
 * dataset load). Strings and comments are not mistaken for calls. A text that does not
 * lex is SEGKIT_ERR_PARSE (*uses false). */
SEGKIT_API segkit_status segkit_rule_text_uses_segment(const char *text, const char *segment,
                                                       bool *uses, segkit_error *err);

/* ---- running ------------------------------------------------------------------------ */

/* Evaluate over every customer row: bit i of bits ((n_rows + 63) / 64 words, caller's) is
 * set when the rule is true for row i (null, as in SQL, is not true); *count gets the
 * number of members. A segment referred to but not added to env is SEGKIT_ERR_NOT_FOUND.
 * n_threads 0 = all cores; the result does not depend on it. */
SEGKIT_API segkit_status segkit_rule_eval(const segkit_rule *rule, const segkit_rule_env *env,
                                          int n_threads, uint64_t *bits, size_t *count,
                                          segkit_error *err);

/* PostgreSQL: SELECT <key> FROM <customers_table> c WHERE <the rule>, with aggregates over
 * linked tables as correlated subqueries on tables named as linked, now() as the env's
 * fixed time literal, in_segment("x") as c.<key> IN (SELECT ... FROM segment_members ...)
 * per docs/rules.md. The caller frees *sql. */
SEGKIT_API segkit_status segkit_rule_to_sql(const segkit_rule *rule, const segkit_rule_env *env,
                                            const char *customers_table, char **sql,
                                            segkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
