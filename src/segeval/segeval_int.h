/* segeval_int.h: internals of the segment evaluator (src/segeval), shared by its files:
 *   segeval.c   the evaluation: key, customers, linked facts, in_segment() refs, the run
 *   derived.c   the fields derived from a subscription history (the context's)
 *   links.c     which linked datasets a rule names, and links inferred from column names
 *   check.c     checking a rule as it is typed: every problem with its position
 *   dependents.c  the stored segments that name a segment through in_segment() */
#ifndef SEGKIT_SEGEVAL_INT_H
#define SEGKIT_SEGEVAL_INT_H

#include "segkit/segeval.h"

enum { SK_EVAL_MAX_DEPTH = 256 };

struct segkit_segeval {
  segkit_workspace *ws;
  segkit_segeval_options opt; /* the caller's strings are not kept past the call */
  segkit_segeval_loader loader;
  segkit_segeval_indexer indexer; /* the caller's, copied; opt.indexer points here or is NULL */
  char *dataset;
  char *key;
  char *context;             /* JSON, or NULL */
  const segkit_table *base;  /* the dataset's rows, from the loader or the parent */
  segkit_table *joined;      /* base + derived fields (owned), or NULL */
  const segkit_table **held; /* tables acquired from the loader, to release */
  size_t n_held;
  size_t cap_held;
  segkit_rule_env *env;
  segkit_link *inferred;
  size_t n_inferred;
  segkit_segment_list *def; /* the stored segment (segkit_segeval_segment), or NULL */
  char **added;             /* segments already given to env */
  size_t n_added;
  uint64_t *bits;
  size_t count;
  bool ran;
};

/* The customers table rules see: joined when there are derived fields, else base. */
const segkit_table *sk__eval_customers(const segkit_segeval *ev);
/* Acquire a dataset through ev's loader and remember to release it. */
segkit_status sk__eval_acquire(segkit_segeval *ev, const char *name, const segkit_table **out,
                               segkit_error *err);

/* derived.c: join the subscription-derived fields the context asks for onto the customers
 * (ev->joined); nothing when the context names no subscriptions. */
segkit_status sk__eval_derive(segkit_segeval *ev, segkit_error *err);

/* links.c: whether the rule text names `word` as an identifier outside string literals. */
bool sk__rule_mentions(const char *text, const char *word);
/* Link the fact datasets linked to ev's dataset that the rule names. */
segkit_status sk__eval_link_facts(segkit_segeval *ev, const segkit_link_list *links,
                                  const char *rule, segkit_error *err);
/* Link (and record in ev->inferred) the unlinked datasets the rule names that have the key
 * column. */
segkit_status sk__eval_infer_links(segkit_segeval *ev, const char *rule, segkit_error *err);

#endif
