/* Evaluating a segment from a workspace: the customers dataset and its key, the linked fact
 * datasets the rule names, the segments it names with in_segment(), then the rule.
 *
 * The CLI (`segkit segment`) and the HTTP API each had their own copy of this; this is the
 * one both use now. Choices carried over from them, with their reasons:
 * - only the linked datasets the rule names are loaded (a linked dataset the rule does not
 *   name cannot take part in it, and loading is most of an evaluation's time);
 * - a segment named by in_segment() is evaluated in its own environment (its own context:
 *   derived fields, key) over the same customer rows, so its bits line up with ours; it
 *   borrows our customers table rather than loading it again, which also means it cannot
 *   see a different number of customers when the dataset changes meanwhile;
 * - cycles and nesting deeper than max_depth are refused before anything runs;
 * - every table comes from the caller's loader, so the server can share loaded tables. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "segeval/segeval_int.h"
#include "segkit/datetime.h"

void segkit_segeval_options_init(segkit_segeval_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->now_us = segkit_now_us();
  opt->max_depth = 32;
}

/* ---- the default loader: read from the workspace, free at the end ------------------------ */

static segkit_status default_acquire(void *ctx, segkit_workspace *ws, const char *name,
                                     const segkit_table **out, segkit_error *err) {
  (void)ctx;
  segkit_table *t = NULL;
  segkit_status s = segkit_workspace_load(ws, name, &t, err);
  if (s == SEGKIT_OK) {
    *out = t;
  }
  return s;
}

static void default_release(void *ctx, const segkit_table *table) {
  (void)ctx;
  segkit_table_free((segkit_table *)table);
}

static const segkit_segeval_loader default_loader = {default_acquire, default_release, NULL};

/* ---- the evaluation object ------------------------------------------------------------------- */

void segkit_segeval_free(segkit_segeval *ev) {
  if (ev == NULL) {
    return;
  }
  segkit_rule_env_free(ev->env);
  segkit_table_free(ev->joined);
  for (size_t i = 0; i < ev->n_held; i++) {
    ev->loader.release(ev->loader.ctx, ev->held[i]);
  }
  free(ev->held);
  for (size_t i = 0; i < ev->n_inferred; i++) {
    free(ev->inferred[i].fact_dataset);
    free(ev->inferred[i].fact_column);
    free(ev->inferred[i].customers_dataset);
    free(ev->inferred[i].key_column);
    free(ev->inferred[i].time_column);
  }
  free(ev->inferred);
  for (size_t i = 0; i < ev->n_added; i++) {
    free(ev->added[i]);
  }
  free(ev->added);
  segkit_segment_list_free(ev->def);
  free(ev->dataset);
  free(ev->key);
  free(ev->context);
  free(ev->bits);
  free(ev);
}

segkit_status sk__eval_acquire(segkit_segeval *ev, const char *name, const segkit_table **out,
                               segkit_error *err) {
  if (ev->n_held == ev->cap_held) {
    size_t cap = ev->cap_held * 2 + 4;
    const segkit_table **grown = realloc(ev->held, cap * sizeof *grown);
    if (grown == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
    ev->held = grown;
    ev->cap_held = cap;
  }
  const segkit_table *t = NULL;
  segkit_status s = ev->loader.acquire(ev->loader.ctx, ev->ws, name, &t, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  ev->held[ev->n_held++] = t;
  *out = t;
  return SEGKIT_OK;
}

const segkit_table *sk__eval_customers(const segkit_segeval *ev) {
  return ev->joined != NULL ? ev->joined : ev->base;
}

static char *dup_or_null(const char *s) { return s != NULL ? strdup(s) : NULL; }

/* The key a context pins ({"key": "..."}), or NULL. */
static char *context_key(const char *context) {
  if (context == NULL) {
    return NULL;
  }
  json_t *ctx = json_loads(context, 0, NULL);
  char *key = dup_or_null(json_string_value(json_object_get(ctx, "key")));
  json_decref(ctx);
  return key;
}

/* The key column: the option's, the context's, the dataset's recorded key, its links' key,
 * customer_id, id. */
static segkit_status choose_key(segkit_segeval *ev, const segkit_link_list *links,
                                segkit_error *err) {
  char *pinned = ev->opt.key != NULL ? strdup(ev->opt.key) : context_key(ev->context);
  const char *key = pinned;
  segkit_dataset_list *info = NULL;
  if (key == NULL && segkit_workspace_dataset_info(ev->ws, ev->dataset, &info, NULL) == SEGKIT_OK &&
      info->n == 1 && info->items[0].key != NULL) {
    key = info->items[0].key;
  }
  if (key == NULL && links->n > 0) {
    key = links->items[0].key_column;
  }
  static const char *const guesses[] = {"customer_id", "id"};
  for (size_t i = 0; key == NULL && i < 2; i++) {
    if (segkit_table_column_index(ev->base, guesses[i]) >= 0) {
      key = guesses[i];
    }
  }
  segkit_status s = SEGKIT_OK;
  if (key == NULL) {
    s = segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, "key",
                            "dataset '%s' has no key column (customer_id or id); name the "
                            "key column",
                            ev->dataset);
  } else if (segkit_table_column_index(ev->base, key) < 0) {
    s = segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, "key",
                            "dataset '%s' has no column '%s'", ev->dataset, key);
  } else {
    ev->key = strdup(key);
    if (ev->key == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  }
  segkit_dataset_list_free(info);
  free(pinned);
  return s;
}

/* Open over `dataset`; base: the customers table to borrow (a referenced segment shares its
 * parent's), or NULL to acquire it. */
static segkit_status open_env(segkit_workspace *ws, const char *dataset, const char *rule,
                              const segkit_segeval_options *opt, const char *context,
                              const segkit_table *base, segkit_segeval **out, segkit_error *err) {
  segkit_segeval *ev = calloc(1, sizeof *ev);
  if (ev == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  ev->ws = ws;
  ev->opt = *opt;
  ev->opt.key = NULL;
  ev->opt.context = NULL;
  ev->loader = opt->loader != NULL ? *opt->loader : default_loader;
  if (opt->indexer != NULL) {
    ev->indexer = *opt->indexer;
    ev->opt.indexer = &ev->indexer;
  }
  if (ev->opt.max_depth < 1 || ev->opt.max_depth > SK_EVAL_MAX_DEPTH) {
    ev->opt.max_depth = ev->opt.max_depth < 1 ? 1 : SK_EVAL_MAX_DEPTH;
  }
  ev->dataset = strdup(dataset);
  ev->context = dup_or_null(context);
  segkit_status s = SEGKIT_OK;
  if (ev->dataset == NULL || (context != NULL && ev->context == NULL)) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  if (s == SEGKIT_OK && base != NULL) {
    ev->base = base;
  } else if (s == SEGKIT_OK) {
    s = sk__eval_acquire(ev, dataset, &ev->base, err);
  }
  segkit_link_list *links = NULL;
  if (s == SEGKIT_OK) {
    s = segkit_workspace_links(ws, dataset, &links, err);
  }
  if (s == SEGKIT_OK) {
    /* choose_key reads opt->key through ev->opt: set it for the call only. */
    ev->opt.key = opt->key;
    s = choose_key(ev, links, err);
    ev->opt.key = NULL;
  }
  if (s == SEGKIT_OK) {
    s = sk__eval_derive(ev, err);
  }
  if (s == SEGKIT_OK) {
    s = segkit_rule_env_new(sk__eval_customers(ev), ev->key, ev->opt.now_us, &ev->env, err);
  }
  if (s == SEGKIT_OK && rule != NULL) {
    s = sk__eval_link_facts(ev, links, rule, err);
  }
  if (s == SEGKIT_OK && rule != NULL && opt->infer_links) {
    s = sk__eval_infer_links(ev, rule, err);
  }
  segkit_link_list_free(links);
  if (s != SEGKIT_OK) {
    segkit_segeval_free(ev);
    return s;
  }
  *out = ev;
  return SEGKIT_OK;
}

segkit_status segkit_segeval_open(segkit_workspace *ws, const char *dataset, const char *rule,
                                  const segkit_segeval_options *opt, segkit_segeval **out,
                                  segkit_error *err) {
  segkit_segeval_options dflt;
  if (opt == NULL) {
    segkit_segeval_options_init(&dflt);
    opt = &dflt;
  }
  return open_env(ws, dataset, rule, opt, opt->context, NULL, out, err);
}

/* ---- running, with the segments a rule names ------------------------------------------------ */

typedef struct eval_stack {
  const char *names[SK_EVAL_MAX_DEPTH];
  int depth;
} eval_stack;

static segkit_status run_in(segkit_segeval *ev, const char *name, const char *text,
                            eval_stack *stack, segkit_rule_diag *diag, segkit_error *err);

static bool already_added(const segkit_segeval *ev, const char *name) {
  for (size_t i = 0; i < ev->n_added; i++) {
    if (strcmp(ev->added[i], name) == 0) {
      return true;
    }
  }
  return false;
}

static segkit_status note_added(segkit_segeval *ev, const char *ref, segkit_error *err) {
  char **grown = realloc(ev->added, (ev->n_added + 1) * sizeof *grown);
  if (grown == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  ev->added = grown;
  ev->added[ev->n_added] = strdup(ref);
  if (ev->added[ev->n_added] == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  ev->n_added++;
  return SEGKIT_OK;
}

/* The members of segment `ref`, evaluated in its own environment over our customers, given
 * to ev's env. */
static segkit_status add_ref(segkit_segeval *ev, const char *ref, eval_stack *stack,
                             segkit_error *err) {
  for (int d = 0; d < stack->depth; d++) {
    if (stack->names[d] != NULL && strcmp(stack->names[d], ref) == 0) {
      return segkit_error_set(err, SEGKIT_ERR_TYPE,
                              "segment '%s' refers to itself through in_segment()", ref);
    }
  }
  segkit_segment_list *def = NULL;
  segkit_status s = segkit_workspace_segments(ev->ws, ref, &def, err);
  if (s == SEGKIT_ERR_NOT_FOUND) {
    /* A fault of the rule, not of whoever asked for it. */
    return segkit_error_set(err, SEGKIT_ERR_TYPE,
                            "in_segment(\"%s\"): there is no segment named '%s'", ref, ref);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  const segkit_segment_info *d = &def->items[0];
  if (strcmp(d->dataset, ev->dataset) != 0) {
    s = segkit_error_set(err, SEGKIT_ERR_TYPE,
                         "in_segment(\"%s\"): segment '%s' is over dataset '%s', not '%s'", ref,
                         ref, d->dataset, ev->dataset);
  }
  /* Its own key when its context pins one, else ours: the rows are the same. */
  char *key = s == SEGKIT_OK ? context_key(d->context) : NULL;
  segkit_segeval_options sub_opt = ev->opt;
  sub_opt.key = key != NULL ? key : ev->key;
  sub_opt.infer_links = false;
  sub_opt.loader = &ev->loader;
  segkit_segeval *sub = NULL;
  if (s == SEGKIT_OK) {
    s = open_env(ev->ws, d->dataset, d->rule, &sub_opt, d->context, ev->base, &sub, err);
  }
  segkit_rule_diag scratch;
  if (s == SEGKIT_OK) {
    s = run_in(sub, ref, d->rule, stack, &scratch, err);
  }
  if (s == SEGKIT_OK) {
    s = segkit_rule_env_add_segment(ev->env, ref, sub->bits, err);
  }
  if (s == SEGKIT_OK) {
    s = note_added(ev, ref, err);
  }
  segkit_segeval_free(sub);
  free(key);
  segkit_segment_list_free(def);
  return s;
}

static segkit_status run_in(segkit_segeval *ev, const char *name, const char *text,
                            eval_stack *stack, segkit_rule_diag *diag, segkit_error *err) {
  if (stack->depth >= ev->opt.max_depth) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "segments nest deeper than %d through in_segment()", ev->opt.max_depth);
  }
  stack->names[stack->depth++] = name;
  segkit_rule *rule = NULL;
  memset(diag, 0, sizeof *diag);
  segkit_status s = segkit_rule_compile(ev->env, text, &rule, diag, err);
  for (size_t i = 0; s == SEGKIT_OK && i < segkit_rule_n_segment_refs(rule); i++) {
    const char *ref = segkit_rule_segment_ref(rule, i);
    if (!already_added(ev, ref)) {
      s = add_ref(ev, ref, stack, err);
    }
  }
  size_t n = segkit_table_n_rows(sk__eval_customers(ev));
  if (s == SEGKIT_OK) {
    free(ev->bits);
    ev->bits = calloc((n + 63) / 64 + 1, sizeof *ev->bits);
    if (ev->bits == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for %zu customers", n);
    }
  }
  if (s == SEGKIT_OK) {
    s = segkit_rule_eval(rule, ev->env, ev->opt.n_threads, ev->bits, &ev->count, err);
  }
  ev->ran = s == SEGKIT_OK;
  segkit_rule_free(rule);
  stack->depth--;
  return s;
}

segkit_status segkit_segeval_run(segkit_segeval *ev, const char *name, const char *rule,
                                 segkit_rule_diag *diag, segkit_error *err) {
  eval_stack *stack = calloc(1, sizeof *stack);
  if (stack == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  segkit_rule_diag scratch;
  segkit_status s = run_in(ev, name, rule, stack, diag != NULL ? diag : &scratch, err);
  free(stack);
  return s;
}

segkit_status segkit_segeval_segment(segkit_workspace *ws, const char *name,
                                     const segkit_segeval_options *opt, segkit_segeval **out,
                                     segkit_rule_diag *diag, segkit_error *err) {
  segkit_segeval_options dflt;
  if (opt == NULL) {
    segkit_segeval_options_init(&dflt);
    opt = &dflt;
  }
  if (diag != NULL) {
    memset(diag, 0, sizeof *diag);
  }
  segkit_segment_list *def = NULL;
  segkit_status s = segkit_workspace_segments(ws, name, &def, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  const segkit_segment_info *d = &def->items[0];
  segkit_segeval_options o = *opt;
  o.infer_links = false;
  segkit_segeval *ev = NULL;
  s = open_env(ws, d->dataset, d->rule, &o, d->context, NULL, &ev, err);
  if (s == SEGKIT_OK) {
    s = segkit_segeval_run(ev, name, d->rule, diag, err);
  }
  if (s != SEGKIT_OK) {
    segkit_segeval_free(ev);
    segkit_segment_list_free(def);
    return s;
  }
  ev->def = def;
  *out = ev;
  return SEGKIT_OK;
}

/* ---- what an evaluation shows --------------------------------------------------------------- */

const segkit_table *segkit_segeval_customers(const segkit_segeval *ev) {
  return sk__eval_customers(ev);
}

const char *segkit_segeval_key(const segkit_segeval *ev) { return ev->key; }

const segkit_column *segkit_segeval_key_column(const segkit_segeval *ev) {
  const segkit_table *t = sk__eval_customers(ev);
  return segkit_table_column(t, (size_t)segkit_table_column_index(t, ev->key));
}

const char *segkit_segeval_dataset(const segkit_segeval *ev) { return ev->dataset; }

int64_t segkit_segeval_now(const segkit_segeval *ev) { return ev->opt.now_us; }

const segkit_rule_env *segkit_segeval_env(const segkit_segeval *ev) { return ev->env; }

const segkit_segment_info *segkit_segeval_definition(const segkit_segeval *ev) {
  return ev->def != NULL ? &ev->def->items[0] : NULL;
}

const uint64_t *segkit_segeval_bits(const segkit_segeval *ev) { return ev->ran ? ev->bits : NULL; }

size_t segkit_segeval_count(const segkit_segeval *ev) { return ev->ran ? ev->count : 0; }

size_t segkit_segeval_n_rows(const segkit_segeval *ev) {
  return segkit_table_n_rows(sk__eval_customers(ev));
}

bool segkit_segeval_is_member(const segkit_segeval *ev, size_t row) {
  return ev->ran && row < segkit_segeval_n_rows(ev) && ((ev->bits[row / 64] >> (row % 64)) & 1u);
}

size_t segkit_segeval_n_inferred(const segkit_segeval *ev) { return ev->n_inferred; }

const segkit_link *segkit_segeval_inferred(const segkit_segeval *ev, size_t i) {
  return i < ev->n_inferred ? &ev->inferred[i] : NULL;
}

segkit_status segkit_segeval_context(const char *subscriptions, const char *rates, const char *key,
                                     char **out, segkit_error *err) {
  *out = NULL;
  if (subscriptions == NULL && rates == NULL && key == NULL) {
    return SEGKIT_OK;
  }
  json_t *o = json_object();
  const char *names[] = {"subscriptions", "rates", "key"};
  const char *values[] = {subscriptions, rates, key};
  for (size_t i = 0; o != NULL && i < 3; i++) {
    if (values[i] != NULL && json_object_set_new(o, names[i], json_string(values[i])) != 0) {
      json_decref(o);
      o = NULL;
    }
  }
  char *text = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(o);
  if (text == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  *out = text;
  return SEGKIT_OK;
}
