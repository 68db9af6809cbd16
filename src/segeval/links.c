/* Which fact datasets take part in a rule: the linked ones the rule names, and (for the
 * CLI's convenience) unlinked ones it names that look linkable.
 *
 * A linked dataset the rule does not name cannot take part in it, so it is not loaded:
 * loading is most of an evaluation's time (a 200 k-row fact table costs more than the
 * rule). Inference: a dataset the rule names, with no link of its own, that has a column
 * named like the customers' key and of the same type, is linked by that column — the usual
 * shape of exported facts (transactions.customer_id next to customers.customer_id). The
 * caller is told (segkit_segeval_inferred) so it can say so and store the link with the
 * segment, which then keeps meaning the same thing. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "segeval/segeval_int.h"

bool sk__rule_mentions(const char *text, const char *word) {
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

static segkit_status link_one(segkit_segeval *ev, const char *name, const char *column,
                              const char *time, segkit_error *err) {
  const segkit_table *facts = NULL;
  segkit_status s = sk__eval_acquire(ev, name, &facts, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  /* An index the caller keeps (the server's cache): lent, not rebuilt per evaluation. */
  const segkit_segeval_indexer *ixr = ev->opt.indexer;
  const segkit_link_index *ix = NULL;
  if (ixr != NULL && ixr->acquire != NULL) {
    s = ixr->acquire(ixr->ctx, ev->env, ev->base, ev->key, facts, column, &ix, err);
  }
  if (s == SEGKIT_OK && ix != NULL) {
    return segkit_rule_env_link_indexed(ev->env, name, facts, column, time, ix, err);
  }
  return s == SEGKIT_OK ? segkit_rule_env_link(ev->env, name, facts, column, time, err) : s;
}

/* Whether the rule may use linked dataset `name`: it names it, or (for "events") it calls
 * used(), which is sugar for exists(events where feature == ...) (docs/rules.md). */
static bool rule_uses(const char *rule, const char *name) {
  return sk__rule_mentions(rule, name) ||
         (strcmp(name, "events") == 0 && sk__rule_mentions(rule, "used"));
}

segkit_status sk__eval_link_facts(segkit_segeval *ev, const segkit_link_list *links,
                                  const char *rule, segkit_error *err) {
  for (size_t i = 0; i < links->n; i++) {
    const segkit_link *l = &links->items[i];
    if (!rule_uses(rule, l->fact_dataset)) {
      continue;
    }
    segkit_status s = link_one(ev, l->fact_dataset, l->fact_column, l->time_column, err);
    if (s != SEGKIT_OK) {
      return s;
    }
  }
  return SEGKIT_OK;
}

/* The time column of a fact dataset: its only date/timestamp column, or else the first of
 * the usual names among them. NULL when neither settles it. */
static const char *guess_time_column(const segkit_dataset_schema *s) {
  static const char *const usual[] = {"timestamp",   "ts",         "time",
                                      "occurred_at", "created_at", "date"};
  const char *only = NULL;
  size_t n_time = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (s->types[i] == SEGKIT_TYPE_TIMESTAMP || s->types[i] == SEGKIT_TYPE_DATE) {
      only = s->names[i];
      n_time++;
    }
  }
  if (n_time == 1) {
    return only;
  }
  for (size_t u = 0; u < sizeof usual / sizeof usual[0]; u++) {
    for (size_t i = 0; i < s->n; i++) {
      bool is_time = s->types[i] == SEGKIT_TYPE_TIMESTAMP || s->types[i] == SEGKIT_TYPE_DATE;
      if (is_time && strcmp(s->names[i], usual[u]) == 0) {
        return s->names[i];
      }
    }
  }
  return NULL;
}

static bool is_linked(const segkit_segeval *ev, const segkit_link_list *links, const char *name) {
  if (strcmp(name, ev->dataset) == 0) {
    return true;
  }
  for (size_t l = 0; l < links->n; l++) {
    if (strcmp(links->items[l].fact_dataset, name) == 0) {
      return true;
    }
  }
  return false;
}

static segkit_status remember(segkit_segeval *ev, const char *name, const char *time,
                              segkit_error *err) {
  segkit_link *grown = realloc(ev->inferred, (ev->n_inferred + 1) * sizeof *grown);
  if (grown == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  ev->inferred = grown;
  segkit_link *l = &ev->inferred[ev->n_inferred++];
  memset(l, 0, sizeof *l);
  l->fact_dataset = strdup(name);
  l->fact_column = strdup(ev->key);
  l->customers_dataset = strdup(ev->dataset);
  l->key_column = strdup(ev->key);
  l->time_column = time != NULL ? strdup(time) : NULL;
  if (l->fact_dataset == NULL || l->fact_column == NULL || l->customers_dataset == NULL ||
      l->key_column == NULL || (time != NULL && l->time_column == NULL)) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  return SEGKIT_OK;
}

/* Infer the link of dataset `name` if its schema has the key column with the key's type. */
static segkit_status infer_one(segkit_segeval *ev, const char *name, segkit_type key_type,
                               segkit_error *err) {
  segkit_dataset_schema *schema = NULL;
  segkit_status s = segkit_workspace_dataset_schema(ev->ws, name, &schema, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  bool match = false;
  for (size_t j = 0; j < schema->n; j++) {
    match = match || (strcmp(schema->names[j], ev->key) == 0 && schema->types[j] == key_type);
  }
  const char *time = guess_time_column(schema);
  if (match) {
    s = link_one(ev, name, ev->key, time, err);
  }
  if (match && s == SEGKIT_OK) {
    s = remember(ev, name, time, err);
  }
  segkit_dataset_schema_free(schema);
  return s;
}

segkit_status sk__eval_infer_links(segkit_segeval *ev, const char *rule, segkit_error *err) {
  segkit_dataset_list *all = NULL;
  segkit_link_list *links = NULL;
  segkit_status s = segkit_workspace_list_datasets(ev->ws, &all, err);
  if (s == SEGKIT_OK) {
    s = segkit_workspace_links(ev->ws, NULL, &links, err);
  }
  segkit_type key_type = segkit_column_type(segkit_segeval_key_column(ev));
  for (size_t i = 0; s == SEGKIT_OK && i < all->n; i++) {
    const char *name = all->items[i].name;
    if (!is_linked(ev, links, name) && rule_uses(rule, name)) {
      s = infer_one(ev, name, key_type, err);
    }
  }
  segkit_link_list_free(links);
  segkit_dataset_list_free(all);
  return s;
}
