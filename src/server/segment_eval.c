/* Evaluating a stored segment for the API: its customers dataset, the fact datasets linked
 * to it, the segments its rule names with in_segment(), then the rule, all from one
 * request's workspace connection.
 *
 * This is the library path `segkit segment count` takes (segkit_workspace_load,
 * segkit_workspace_links, segkit_rule_env_new/_link/_add_segment, segkit_rule_compile,
 * segkit_rule_eval), without the CLI's printing, and loading only the linked datasets the
 * rule names (the CLI loads every link; loading is most of a request's time). The key column
 * is chosen as the CLI
 * chooses it (the dataset's key, its links' key, customer_id, id), unless the segment's
 * context pins one ({"key": "..."}, written by POST /api/v1/segments). Segments whose
 * context asks for the subscription-derived fields (segkit segment add --subscriptions)
 * are refused by the endpoints for now: computing those fields needs the metrics module. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "server/server_int.h"

enum { MAX_DEPTH = 32 };

void sk__eval_free(sk_eval *e) {
  segkit_rule_env_free(e->env);
  for (size_t i = 0; i < e->n_facts; i++) {
    segkit_table_free(e->facts[i]);
  }
  free(e->facts);
  segkit_table_free(e->customers);
  free(e->dataset);
  free(e->key);
  free(e->bits);
  memset(e, 0, sizeof *e);
}

char *sk__context_key(const char *context) {
  if (context == NULL) {
    return NULL;
  }
  json_t *ctx = json_loads(context, 0, NULL);
  const char *key = json_string_value(json_object_get(ctx, "key"));
  char *copy = key != NULL ? strdup(key) : NULL;
  json_decref(ctx);
  return copy;
}

bool sk__context_needs_subscriptions(const char *context) {
  if (context == NULL) {
    return false;
  }
  json_t *ctx = json_loads(context, 0, NULL);
  bool needs = json_object_get(ctx, "subscriptions") != NULL;
  json_decref(ctx);
  return needs;
}

/* The key column: key_hint, the dataset's recorded key, its links' key, customer_id, id. */
static segkit_status choose_key(segkit_workspace *ws, sk_eval *e, const char *key_hint,
                                const segkit_link_list *links, segkit_error *err) {
  const char *key = key_hint;
  segkit_dataset_list *info = NULL;
  if (key == NULL && segkit_workspace_dataset_info(ws, e->dataset, &info, NULL) == SEGKIT_OK &&
      info->n == 1 && info->items[0].key != NULL) {
    key = info->items[0].key;
  }
  if (key == NULL && links->n > 0) {
    key = links->items[0].key_column;
  }
  static const char *const guesses[] = {"customer_id", "id"};
  for (size_t i = 0; key == NULL && i < 2; i++) {
    if (segkit_table_column_index(e->customers, guesses[i]) >= 0) {
      key = guesses[i];
    }
  }
  segkit_status s = SEGKIT_OK;
  if (key == NULL) {
    s = segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, "key",
                            "dataset '%s' has no key column (name one with \"key\")",
                            e->dataset);
  } else if (segkit_table_column_index(e->customers, key) < 0) {
    s = segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, "key",
                            "dataset '%s' has no column '%s'", e->dataset, key);
  } else {
    e->key = strdup(key);
    if (e->key == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  }
  segkit_dataset_list_free(info);
  return s;
}

/* Whether the rule text names `word` as an identifier outside string literals. A linked
 * dataset the rule does not name cannot take part in it, so it is not loaded: loading is
 * most of a request's time (a 200 k-row fact table costs more than the rule). */
static bool rule_mentions(const char *text, const char *word) {
  size_t n = strlen(word);
  bool quoted = false;
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '"' && (p == text || p[-1] != '\\')) {
      quoted = !quoted;
      continue;
    }
    bool starts = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
    if (!quoted && starts && strncmp(p, word, n) == 0 &&
        !(isalnum((unsigned char)p[n]) || p[n] == '_')) {
      return true;
    }
  }
  return false;
}

static segkit_status link_facts(segkit_workspace *ws, sk_eval *e, const segkit_link_list *links,
                                const char *rule, segkit_error *err) {
  e->facts = calloc(links->n + 1, sizeof *e->facts);
  if (e->facts == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < links->n; i++) {
    const segkit_link *l = &links->items[i];
    if (!rule_mentions(rule, l->fact_dataset)) {
      continue;
    }
    segkit_status s = segkit_workspace_load(ws, l->fact_dataset, &e->facts[e->n_facts], err);
    if (s != SEGKIT_OK) {
      return s;
    }
    e->n_facts++;
    s = segkit_rule_env_link(e->env, l->fact_dataset, e->facts[e->n_facts - 1], l->fact_column,
                             l->time_column, err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

segkit_status sk__eval_open(segkit_workspace *ws, const char *dataset, const char *key_hint,
                            const char *rule, sk_eval *e, segkit_error *err) {
  memset(e, 0, sizeof *e);
  e->now_us = segkit_now_us();
  e->dataset = strdup(dataset);
  if (e->dataset == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  segkit_status s = segkit_workspace_load(ws, dataset, &e->customers, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_link_list *links = NULL;
  s = segkit_workspace_links(ws, dataset, &links, err);
  if (s == SEGKIT_OK) {
    s = choose_key(ws, e, key_hint, links, err);
  }
  if (s == SEGKIT_OK) {
    s = segkit_rule_env_new(e->customers, e->key, e->now_us, &e->env, err);
  }
  if (s == SEGKIT_OK) {
    s = link_facts(ws, e, links, rule, err);
  }
  segkit_link_list_free(links);
  return s;
}

typedef struct eval_stack {
  const char *names[MAX_DEPTH];
  size_t depth;
} eval_stack;

static segkit_status eval_in(segkit_workspace *ws, sk_eval *e, const char *name,
                             const char *text, eval_stack *stack, segkit_error *err);

/* The members of segment `ref`, evaluated in its own environment over the same customers
 * (same rows in the same order, so its bits line up with e's), given to e's env. */
static segkit_status add_ref(segkit_workspace *ws, sk_eval *e, const char *ref,
                             eval_stack *stack, segkit_error *err) {
  for (size_t d = 0; d < stack->depth; d++) {
    if (strcmp(stack->names[d], ref) == 0) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "segment '%s' refers to itself through in_segment()", ref);
    }
  }
  segkit_segment_list *def = NULL;
  segkit_status s = segkit_workspace_segments(ws, ref, &def, err);
  if (s == SEGKIT_ERR_NOT_FOUND) {
    /* A fault of the rule, not of the request's path: not a 404. */
    return segkit_error_set(err, SEGKIT_ERR_TYPE, "in_segment(\"%s\"): there is no segment "
                                                  "of that name", ref);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  const segkit_segment_info *d = &def->items[0];
  if (strcmp(d->dataset, e->dataset) != 0) {
    s = segkit_error_set(err, SEGKIT_ERR_USAGE, "segment '%s' is over dataset '%s', not '%s'",
                         ref, d->dataset, e->dataset);
  } else if (sk__context_needs_subscriptions(d->context)) {
    s = segkit_error_set(err, SEGKIT_ERR_USAGE,
                         "segment '%s' uses subscription-derived fields, which the API does "
                         "not evaluate yet",
                         ref);
  }
  sk_eval sub;
  memset(&sub, 0, sizeof sub);
  char *key = s == SEGKIT_OK ? sk__context_key(d->context) : NULL;
  if (s == SEGKIT_OK) {
    s = sk__eval_open(ws, d->dataset, key != NULL ? key : e->key, d->rule, &sub, err);
  }
  if (s == SEGKIT_OK &&
      segkit_table_n_rows(sub.customers) != segkit_table_n_rows(e->customers)) {
    s = segkit_error_set(err, SEGKIT_ERR_STORE,
                         "segment '%s' sees a different number of customers (the dataset "
                         "changed during the request)",
                         ref);
  }
  if (s == SEGKIT_OK) {
    s = eval_in(ws, &sub, ref, d->rule, stack, err);
  }
  if (s == SEGKIT_OK) {
    s = segkit_rule_env_add_segment(e->env, ref, sub.bits, err);
  }
  free(key);
  sk__eval_free(&sub);
  segkit_segment_list_free(def);
  return s;
}

static segkit_status eval_in(segkit_workspace *ws, sk_eval *e, const char *name,
                             const char *text, eval_stack *stack, segkit_error *err) {
  if (stack->depth == MAX_DEPTH) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "segments nest deeper than %d through in_segment()", MAX_DEPTH);
  }
  stack->names[stack->depth++] = name;
  segkit_rule *rule = NULL;
  memset(&e->diag, 0, sizeof e->diag);
  segkit_status s = segkit_rule_compile(e->env, text, &rule, &e->diag, err);
  for (size_t i = 0; s == SEGKIT_OK && i < segkit_rule_n_segment_refs(rule); i++) {
    s = add_ref(ws, e, segkit_rule_segment_ref(rule, i), stack, err);
  }
  size_t n = segkit_table_n_rows(e->customers);
  if (s == SEGKIT_OK) {
    free(e->bits);
    e->bits = calloc((n + 63) / 64 + 1, sizeof *e->bits);
    if (e->bits == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for %zu customers", n);
    }
  }
  /* One thread per request: the server's parallelism is its pool of request threads. */
  if (s == SEGKIT_OK) {
    s = segkit_rule_eval(rule, e->env, 1, e->bits, &e->count, err);
  }
  segkit_rule_free(rule);
  stack->depth--;
  return s;
}

segkit_status sk__eval_rule(segkit_workspace *ws, sk_eval *e, const char *name,
                            const char *rule, segkit_error *err) {
  eval_stack stack;
  memset(&stack, 0, sizeof stack);
  return eval_in(ws, e, name, rule, &stack, err);
}

segkit_status sk__eval_named(segkit_workspace *ws, const char *name, sk_eval *e,
                             segkit_segment_list **def, segkit_error *err) {
  memset(e, 0, sizeof *e);
  segkit_segment_list *d = NULL;
  segkit_status s = segkit_workspace_segments(ws, name, &d, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  const segkit_segment_info *info = &d->items[0];
  if (sk__context_needs_subscriptions(info->context)) {
    segkit_segment_list_free(d);
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "segment '%s' uses subscription-derived fields (mrr, plan, "
                            "tenure_days, ...), which the API does not evaluate yet; use "
                            "`segkit segment count %s`",
                            name, name);
  }
  char *key = sk__context_key(info->context);
  s = sk__eval_open(ws, info->dataset, key, info->rule, e, err);
  free(key);
  if (s == SEGKIT_OK) {
    s = sk__eval_rule(ws, e, name, info->rule, err);
  }
  if (s != SEGKIT_OK) {
    segkit_segment_list_free(d);
    return s;
  }
  *def = d;
  return SEGKIT_OK;
}
