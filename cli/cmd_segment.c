/* segkit segment: segments as objects — a rule (docs/rules.md) over a customers dataset,
 * stored in the workspace and evaluated again on each use, with its linked fact datasets
 * (segkit link) for aggregates and other segments for in_segment(). Subcommands: add,
 * check, list, show, count, members, rm, sql, snapshot, snapshots, diff, overlap. The JSON
 * of count is a contract: {"segment": NAME, "count": N, "of": TOTAL, ...}. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segkit/export.h"
#include "segkit/segment.h"

static const cli_opt segment_opts[] = {
    {"dataset", CLI_OPT_VALUE, "NAME", "the customers dataset a new rule runs over (add, check)"},
    {"key", CLI_OPT_VALUE, "COL", "the customers' id column (default: the dataset's key, its links' key, customer_id or id)"},
    {"description", CLI_OPT_VALUE, "TEXT", "what the segment is for (add)"},
    {"replace", CLI_OPT_FLAG, NULL, "replace a segment of the same name (add)"},
    {"as-of", CLI_OPT_VALUE, "TIME", "what now() means: YYYY-MM-DD or an ISO 8601 time (default: the current time)"},
    {"columns", CLI_OPT_VALUE, "COL[,COL]", "customer columns to show with the members (members)"},
    {"since", CLI_OPT_VALUE, "ID", "the snapshot to compare with (diff; default: the latest)"},
    {"subscriptions", CLI_OPT_VALUE, "NAME", "a subscription history whose derived fields (mrr, arr, active, first_paid, tenure_days, churned_on, plan, billing_interval) rules may use (add, check)"},
    {"rates", CLI_OPT_VALUE, "RATES", "currency rates for those fields: USD=1,EUR=1.08 (add, check)"},
    {"out", CLI_OPT_VALUE, "FILE", "write the members to FILE instead of the terminal: CSV, or JSON for a .json name or --format json (members)"},
    {"post", CLI_OPT_VALUE, "URL", "post the snapshot as JSON to this webhook URL after storing it (snapshot)"},
    {"header", CLI_OPT_VALUE, "'NAME: VALUE'", "an extra HTTP header for the webhook, e.g. 'Authorization: Bearer KEY' (snapshot, post)"},
    {"snapshot", CLI_OPT_VALUE, "ID", "the snapshot to post (post; default: the latest)"},
};

enum { MAX_DEPTH = 32, MAX_INFERRED = 16 };

/* ---- the environment: customers, linked facts, referenced segments ------------------------ */

typedef struct env_ctx {
  cli_args *args;
  segkit_workspace *ws;
  char *dataset;
  char *key;
  char *context;              /* the segment's context JSON (subscriptions, rates), or NULL */
  segkit_table *customers;
  segkit_table **facts;
  size_t n_facts;
  size_t cap_facts;
  struct {
    char *dataset;
    char *time;
  } inferred[MAX_INFERRED];   /* links inferred for this rule (stored on add) */
  size_t n_inferred;
  segkit_rule_env *env;
  int64_t now_us;
  int n_threads;
  char *stack[MAX_DEPTH];     /* segments being evaluated, for cycles */
  size_t depth;
  char **added;               /* segments already added to env */
  size_t n_added;
} env_ctx;

static void env_ctx_free(env_ctx *c) {
  segkit_rule_env_free(c->env);
  for (size_t i = 0; i < c->n_facts; i++) {
    segkit_table_free(c->facts[i]);
  }
  for (size_t i = 0; i < c->n_added; i++) {
    free(c->added[i]);
  }
  free(c->added);
  free(c->facts);
  for (size_t i = 0; i < c->n_inferred; i++) {
    free(c->inferred[i].dataset);
    free(c->inferred[i].time);
  }
  segkit_table_free(c->customers);
  free(c->dataset);
  free(c->key);
  free(c->context);
  memset(c, 0, sizeof *c);
}

/* The customers' key: --key, the dataset's recorded key, its links' key, customer_id, id. */
static int choose_key(cli_args *a, env_ctx *c, const segkit_link_list *links) {
  const char *key = cli_get(a, "key");
  segkit_dataset_list *info = NULL;
  segkit_error err;
  if (key == NULL && segkit_workspace_dataset_info(c->ws, c->dataset, &info, &err) == SEGKIT_OK &&
      info->n == 1 && info->items[0].key != NULL) {
    c->key = strdup(info->items[0].key);
  }
  segkit_dataset_list_free(info);
  if (key == NULL && c->key == NULL && links->n > 0) {
    key = links->items[0].key_column;
  }
  static const char *const guesses[] = {"customer_id", "id"};
  for (size_t i = 0; key == NULL && c->key == NULL && i < 2; i++) {
    if (segkit_table_column_index(c->customers, guesses[i]) >= 0) {
      key = guesses[i];
    }
  }
  if (c->key == NULL && key != NULL) {
    c->key = strdup(key);
  }
  if (c->key == NULL) {
    return cli_usage_error("segment", "dataset '%s' has no key column: name it with --key COL",
                           c->dataset);
  }
  return 0;
}

static int parse_as_of(cli_args *a, int64_t *now_us) {
  const char *s = cli_get(a, "as-of");
  *now_us = segkit_now_us();
  if (s == NULL) {
    return 0;
  }
  int32_t days;
  if (segkit_parse_timestamp(s, strlen(s), now_us)) {
    return 0;
  }
  if (segkit_parse_date(s, strlen(s), &days)) {
    *now_us = (int64_t)days * SEGKIT_US_PER_DAY;
    return 0;
  }
  return cli_usage_error("segment", "--as-of must be YYYY-MM-DD or an ISO 8601 time, not '%s'",
                         s);
}

/* The derived fields of docs/rules.md, from the subscriptions the context names, joined
 * onto the customers by key (columns the customers table already has are left alone). */
static int add_derived_fields(env_ctx *c) {
  if (c->context == NULL) {
    return 0;
  }
  json_error_t jerr;
  json_t *ctx = json_loads(c->context, 0, &jerr);
  const char *subs = json_string_value(json_object_get(ctx, "subscriptions"));
  const char *rates_spec = json_string_value(json_object_get(ctx, "rates"));
  if (subs == NULL) {
    json_decref(ctx);
    return 0;
  }
  segkit_error err;
  segkit_table *t = NULL;
  int rc = 0;
  if (segkit_workspace_load(c->ws, subs, &t, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  segkit_mrr_rate rates[CLI_MAX_RATES];
  char names[CLI_MAX_RATES][16];
  if (rc == 0 && rates_spec != NULL) {
    size_t n = 0;
    if (!cli_parse_rates(rates_spec, rates, names, &n)) {
      rc = cli_usage_error("segment", "--rates needs CUR=RATE,..., not '%s'", rates_spec);
    }
    opt.rates = rates;
    opt.n_rates = n;
  }
  static const char *const by_all[] = {"plan", "billing_interval"};
  const char *by[2];
  size_t n_by = 0;
  for (size_t k = 0; rc == 0 && k < 2; k++) {
    if (segkit_table_column_index(t, by_all[k]) >= 0) {
      by[n_by++] = by_all[k];
    }
  }
  opt.by = by;
  opt.n_by = n_by;
  if (rc == 0 && segkit_table_column_index(t, opt.columns.currency) < 0) {
    opt.columns.currency = NULL;
  }
  segkit_table *state = NULL;
  int32_t day = segkit_day_of_us(c->now_us);
  if (rc == 0 && segkit_mrr_customer_state(t, &opt, day, &state, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  const char *cols[16];
  size_t n_cols = 0;
  for (size_t k = 1; rc == 0 && k < segkit_table_n_cols(state) && n_cols < 16; k++) {
    const char *name = segkit_column_name(segkit_table_column(state, k));
    if (segkit_table_column_index(c->customers, name) < 0) {
      cols[n_cols++] = name;
    }
  }
  segkit_table *joined = NULL;
  if (rc == 0 &&
      segkit_table_lookup(c->customers, c->key, state,
                          segkit_column_name(segkit_table_column(state, 0)), cols, n_cols,
                          &joined, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    segkit_table_free(c->customers);
    c->customers = joined;
  }
  segkit_table_free(state);
  segkit_table_free(t);
  json_decref(ctx);
  return rc;
}

/* The context of a new rule from --subscriptions and --rates, as JSON text (or NULL). */
static char *context_from_args(cli_args *a) {
  if (cli_get(a, "subscriptions") == NULL) {
    return NULL;
  }
  json_t *o = json_object();
  json_object_set_new(o, "subscriptions", json_string(cli_get(a, "subscriptions")));
  if (cli_get(a, "rates") != NULL) {
    json_object_set_new(o, "rates", json_string(cli_get(a, "rates")));
  }
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  return text;
}

/* ---- links inferred from column names ------------------------------------------------------ */

/* Whether the rule text names `word` as an identifier outside string literals. */
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

/* The time column of a fact dataset: its only date/timestamp column, or else the first of
 * the usual names among them. NULL when neither settles it. */
static const char *guess_time_column(const segkit_dataset_schema *s) {
  static const char *const usual[] = {"timestamp", "ts", "time", "occurred_at", "created_at",
                                      "date"};
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

/* Store the inferred links once the segment that needed them is saved. */
static int save_inferred_links(env_ctx *c) {
  segkit_error err;
  for (size_t i = 0; i < c->n_inferred; i++) {
    if (c->inferred[i].dataset == NULL) {
      fprintf(stderr, "segkit: out of memory\n");
      return CLI_EXIT_ENV;
    }
    if (segkit_workspace_link(c->ws, c->inferred[i].dataset, c->key, c->dataset, c->key,
                              c->inferred[i].time, &err) != SEGKIT_OK) {
      return cli_report(&err);
    }
  }
  return 0;
}

/* A dataset the rule names, with no link of its own, that has a column named like the
 * customers' key and of the same type, is linked by that column: the usual shape of
 * exported facts (transactions.customer_id next to customers.customer_id). The inference
 * is printed, so nobody is surprised by it, and stored when the segment is saved, so the
 * segment keeps meaning the same thing. */
static int infer_links(env_ctx *c, const char *rule_text, bool save) {
  segkit_error err;
  segkit_dataset_list *all = NULL;
  segkit_link_list *links = NULL;
  if (segkit_workspace_list_datasets(c->ws, &all, &err) != SEGKIT_OK ||
      segkit_workspace_links(c->ws, NULL, &links, &err) != SEGKIT_OK) {
    segkit_dataset_list_free(all);
    return cli_report(&err);
  }
  const segkit_column *key = segkit_table_column(
      c->customers, (size_t)segkit_table_column_index(c->customers, c->key));
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < all->n; i++) {
    const char *name = all->items[i].name;
    bool linked = strcmp(name, c->dataset) == 0;
    for (size_t l = 0; !linked && l < links->n; l++) {
      linked = strcmp(links->items[l].fact_dataset, name) == 0;
    }
    if (linked || !rule_mentions(rule_text, name)) {
      continue;
    }
    segkit_dataset_schema *schema = NULL;
    if (segkit_workspace_dataset_schema(c->ws, name, &schema, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
      break;
    }
    bool match = false;
    for (size_t j = 0; j < schema->n; j++) {
      match = match || (strcmp(schema->names[j], c->key) == 0 &&
                        schema->types[j] == segkit_column_type(key));
    }
    const char *time = guess_time_column(schema);
    if (match) {
      fprintf(stderr, "segkit: note: linked %s.%s to %s.%s (inferred from the column name%s%s%s); "
                      "declare links with: segkit link\n",
              name, c->key, c->dataset, c->key, time ? ", time column " : "; no time column",
              time ? time : "", save ? ", stored with the segment" : "");
      if (c->n_facts >= c->cap_facts) {
        segkit_table **grown = realloc(c->facts, (c->cap_facts * 2 + 4) * sizeof *grown);
        if (grown == NULL) {
          segkit_dataset_schema_free(schema);
          rc = CLI_EXIT_ENV;
          break;
        }
        c->facts = grown;
        c->cap_facts = c->cap_facts * 2 + 4;
      }
      if (segkit_workspace_load(c->ws, name, &c->facts[c->n_facts], &err) != SEGKIT_OK) {
        rc = cli_report(&err);
      } else {
        c->n_facts++;
        if (segkit_rule_env_link(c->env, name, c->facts[c->n_facts - 1], c->key, time, &err) !=
            SEGKIT_OK) {
          rc = cli_report(&err);
        } else if (c->n_inferred < MAX_INFERRED) {
          c->inferred[c->n_inferred].dataset = strdup(name);
          c->inferred[c->n_inferred].time = time ? strdup(time) : NULL;
          c->n_inferred++;
        }
      }
    }
    segkit_dataset_schema_free(schema);
  }
  segkit_link_list_free(links);
  segkit_dataset_list_free(all);
  return rc;
}

static int open_env(cli_args *a, segkit_workspace *ws, const char *dataset,
                    const char *context, env_ctx *c) {
  memset(c, 0, sizeof *c);
  c->args = a;
  c->ws = ws;
  c->n_threads = a->threads;
  c->dataset = strdup(dataset);
  c->context = context != NULL ? strdup(context) : NULL;
  int rc = parse_as_of(a, &c->now_us);
  if (rc != 0 || c->dataset == NULL) {
    return rc != 0 ? rc : CLI_EXIT_ENV;
  }
  segkit_error err;
  if (segkit_workspace_load(ws, dataset, &c->customers, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  segkit_link_list *links = NULL;
  if (segkit_workspace_links(ws, dataset, &links, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  rc = choose_key(a, c, links);
  if (rc == 0) {
    rc = add_derived_fields(c);
  }
  if (rc == 0 && segkit_rule_env_new(c->customers, c->key, c->now_us, &c->env, &err) !=
                     SEGKIT_OK) {
    rc = cli_report(&err);
  }
  c->cap_facts = links->n + 1;
  c->facts = calloc(c->cap_facts, sizeof *c->facts);
  for (size_t i = 0; rc == 0 && i < links->n; i++) {
    const segkit_link *l = &links->items[i];
    if (segkit_workspace_load(ws, l->fact_dataset, &c->facts[c->n_facts], &err) != SEGKIT_OK) {
      rc = cli_report(&err);
      break;
    }
    c->n_facts++;
    if (segkit_rule_env_link(c->env, l->fact_dataset, c->facts[c->n_facts - 1], l->fact_column,
                             l->time_column, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  segkit_link_list_free(links);
  return rc;
}

static void print_rule_error(const segkit_error *err, const segkit_rule_diag *diag) {
  cli_report(err);
  if (diag->line > 0 && diag->excerpt[0] != '\0') {
    fprintf(stderr, "%s\n", diag->excerpt);
  }
}

static int eval_rule(env_ctx *c, const char *name, const char *text, uint64_t **bits,
                     size_t *count);

static bool already_added(const env_ctx *c, const char *name) {
  for (size_t i = 0; i < c->n_added; i++) {
    if (strcmp(c->added[i], name) == 0) {
      return true;
    }
  }
  return false;
}

/* Evaluate the segments a rule refers to and give their members to env. */
static int add_refs(env_ctx *c, const segkit_rule *rule) {
  for (size_t i = 0; i < segkit_rule_n_segment_refs(rule); i++) {
    const char *ref = segkit_rule_segment_ref(rule, i);
    if (already_added(c, ref)) {
      continue;
    }
    for (size_t d = 0; d < c->depth; d++) {
      if (strcmp(c->stack[d], ref) == 0) {
        fprintf(stderr, "segkit: segment '%s' refers to itself through in_segment()\n", ref);
        return CLI_EXIT_DATA;
      }
    }
    segkit_segment_list *def = NULL;
    segkit_error err;
    if (segkit_workspace_segments(c->ws, ref, &def, &err) != SEGKIT_OK) {
      return cli_report(&err);
    }
    int rc = 0;
    if (strcmp(def->items[0].dataset, c->dataset) != 0) {
      fprintf(stderr, "segkit: segment '%s' is over dataset '%s', not '%s'\n", ref,
              def->items[0].dataset, c->dataset);
      rc = CLI_EXIT_DATA;
    }
    /* The referred segment runs with its own context (its derived fields), over the same
     * customers in the same row order, so its bits line up with this env's rows. */
    uint64_t *bits = NULL;
    size_t n = 0;
    env_ctx sub;
    memset(&sub, 0, sizeof sub);
    if (rc == 0) {
      rc = open_env(c->args, c->ws, def->items[0].dataset, def->items[0].context, &sub);
    }
    if (rc == 0 && segkit_table_n_rows(sub.customers) != segkit_table_n_rows(c->customers)) {
      fprintf(stderr, "segkit: segment '%s' sees a different number of customers\n", ref);
      rc = CLI_EXIT_INTERNAL;
    }
    if (rc == 0) {
      memcpy(sub.stack, c->stack, sizeof c->stack);
      sub.depth = c->depth;
      rc = eval_rule(&sub, ref, def->items[0].rule, &bits, &n);
    }
    env_ctx_free(&sub);
    if (rc == 0 && segkit_rule_env_add_segment(c->env, ref, bits, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
    if (rc == 0) {
      char **p = realloc(c->added, (c->n_added + 1) * sizeof *p);
      if (p != NULL) {
        c->added = p;
        c->added[c->n_added++] = strdup(ref);
      }
    }
    free(bits);
    segkit_segment_list_free(def);
    if (rc != 0) {
      return rc;
    }
  }
  return 0;
}

static int eval_rule(env_ctx *c, const char *name, const char *text, uint64_t **bits,
                     size_t *count) {
  if (c->depth == MAX_DEPTH) {
    fprintf(stderr, "segkit: segments nest deeper than %d through in_segment()\n", MAX_DEPTH);
    return CLI_EXIT_DATA;
  }
  c->stack[c->depth++] = (char *)name;
  segkit_rule *rule = NULL;
  segkit_rule_diag diag;
  memset(&diag, 0, sizeof diag);
  segkit_error err;
  int rc = 0;
  if (segkit_rule_compile(c->env, text, &rule, &diag, &err) != SEGKIT_OK) {
    print_rule_error(&err, &diag);
    rc = CLI_EXIT_USAGE;
  }
  if (rc == 0) {
    rc = add_refs(c, rule);
  }
  size_t n = segkit_table_n_rows(c->customers);
  *bits = calloc((n + 63) / 64 + 1, sizeof **bits);
  if (rc == 0 && *bits == NULL) {
    rc = CLI_EXIT_ENV;
  }
  if (rc == 0 && segkit_rule_eval(rule, c->env, c->n_threads, *bits, count, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_rule_free(rule);
  c->depth--;
  if (rc != 0) {
    free(*bits);
    *bits = NULL;
  }
  return rc;
}

/* A stored segment evaluated in its own environment: what every subcommand that reads a
 * segment's members starts from. */
typedef struct named_eval {
  env_ctx c;
  segkit_segment_list *def;   /* def->items[0] is the segment */
  uint64_t *bits;
  size_t count;
} named_eval;

static int eval_named(cli_args *a, segkit_workspace *ws, const char *name, named_eval *e) {
  memset(e, 0, sizeof *e);
  segkit_error err;
  if (segkit_workspace_segments(ws, name, &e->def, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  const segkit_segment_info *d = &e->def->items[0];
  int rc = open_env(a, ws, d->dataset, d->context, &e->c);
  if (rc == 0) {
    rc = eval_rule(&e->c, name, d->rule, &e->bits, &e->count);
  }
  return rc;
}

static void named_eval_free(named_eval *e) {
  free(e->bits);
  segkit_segment_list_free(e->def);
  env_ctx_free(&e->c);
}

static bool is_member(const uint64_t *bits, size_t row) {
  return (bits[row / 64] >> (row % 64)) & 1u;
}

/* The customers' key column of an environment. */
static const segkit_column *key_column(const env_ctx *c) {
  return segkit_table_column(c->customers,
                             (size_t)segkit_table_column_index(c->customers, c->key));
}

int cli_segment_membership(cli_args *a, segkit_workspace *ws, const char *name,
                           segkit_table **out) {
  named_eval e;
  int rc = eval_named(a, ws, name, &e);
  segkit_table_builder *b = NULL;
  segkit_error err;
  if (rc == 0) {
    const segkit_column *key = key_column(&e.c);
    const char *names[] = {e.c.key, name};
    segkit_type types[] = {segkit_column_type(key), SEGKIT_TYPE_STRING};
    segkit_status st = segkit_table_builder_new(2, names, types, &b, &err);
    size_t n = segkit_table_n_rows(e.c.customers);
    for (size_t i = 0; st == SEGKIT_OK && i < n; i++) {
      segkit_column_builder *kb = segkit_table_builder_column(b, 0);
      if (!segkit_column_is_valid(key, i)) {
        st = segkit_column_append_null(kb);
      } else if (types[0] == SEGKIT_TYPE_STRING) {
        size_t len;
        const char *v = segkit_column_dict_value(key, segkit_column_codes(key)[i], &len);
        st = segkit_column_append_string(kb, v, len);
      } else {
        st = segkit_column_append_int64(kb, segkit_column_int64(key)[i]);
      }
      const char *label = is_member(e.bits, i) ? "member" : "not member";
      if (st == SEGKIT_OK) {
        st = segkit_column_append_string(segkit_table_builder_column(b, 1), label,
                                         strlen(label));
      }
    }
    if (st == SEGKIT_OK) {
      st = segkit_table_builder_finish(b, out, &err);
      if (st == SEGKIT_OK) {
        b = NULL;
      }
    }
    if (st != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  segkit_table_builder_free(b);
  named_eval_free(&e);
  return rc;
}

/* ---- subcommands ---------------------------------------------------------------------------- */

static int need(cli_args *a, size_t n, const char *what) {
  if (a->n_positional != n + 1) {
    return cli_usage_error("segment", "%s", what);
  }
  return 0;
}

static int sub_add(cli_args *a, segkit_workspace *ws, bool save) {
  int rc = need(a, save ? 2 : 1, save ? "expected: segment add NAME 'RULE' --dataset CUSTOMERS"
                                      : "expected: segment check 'RULE' --dataset CUSTOMERS");
  if (rc != 0) {
    return rc;
  }
  const char *dataset = cli_get(a, "dataset");
  if (dataset == NULL) {
    return cli_usage_error("segment", "--dataset CUSTOMERS names the dataset the rule runs over");
  }
  const char *name = save ? a->positional[1] : "(check)";
  const char *text = a->positional[save ? 2 : 1];
  char *context = context_from_args(a);
  env_ctx c;
  rc = open_env(a, ws, dataset, context, &c);
  if (rc == 0) {
    rc = infer_links(&c, text, save);
  }
  uint64_t *bits = NULL;
  size_t count = 0;
  if (rc == 0) {
    rc = eval_rule(&c, name, text, &bits, &count);
  }
  segkit_error err;
  if (rc == 0 && save &&
      segkit_workspace_segment_save(ws, name, dataset, text, cli_get(a, "description"),
                                    context, cli_has(a, "replace"), &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0 && save) {
    rc = save_inferred_links(&c);
  }
  if (rc == 0) {
    size_t total = segkit_table_n_rows(c.customers);
    if (a->format == CLI_FORMAT_JSON) {
      json_t *j = json_pack("{s:s, s:I, s:I, s:b}", "segment", name, "count", (json_int_t)count,
                            "of", (json_int_t)total, "saved", save);
      json_dumpf(j, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(j);
    } else {
      printf("%s '%s': %zu of %zu customers (%.1f%%)\n", save ? "saved segment" : "rule ok,",
             name, count, total, total > 0 ? 100.0 * (double)count / (double)total : 0.0);
    }
  }
  free(bits);
  free(context);
  env_ctx_free(&c);
  return rc;
}

static int sub_list(cli_args *a, segkit_workspace *ws) {
  segkit_segment_list *l = NULL;
  segkit_error err;
  if (segkit_workspace_segments(ws, NULL, &l, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  static const char *const headers[] = {"segment", "dataset", "snapshots", "rule",
                                        "description"};
  cli_grid *g = cli_grid_new(5, headers);
  for (size_t i = 0; g != NULL && i < l->n; i++) {
    cli_grid_row(g);
    cli_grid_text(g, l->items[i].name);
    cli_grid_text(g, l->items[i].dataset);
    cli_grid_int(g, l->items[i].n_snapshots);
    cli_grid_text(g, l->items[i].rule);
    if (l->items[i].description != NULL) {
      cli_grid_text(g, l->items[i].description);
    } else {
      cli_grid_null(g);
    }
  }
  int rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  segkit_segment_list_free(l);
  return rc;
}

static int sub_count(cli_args *a, segkit_workspace *ws, bool show) {
  int rc = need(a, 1, show ? "expected: segment show NAME" : "expected: segment count NAME");
  if (rc != 0) {
    return rc;
  }
  const char *name = a->positional[1];
  named_eval e;
  rc = eval_named(a, ws, name, &e);
  const segkit_segment_info *def = e.def != NULL ? &e.def->items[0] : NULL;
  size_t count = e.count;
  if (rc == 0) {
    size_t total = segkit_table_n_rows(e.c.customers);
    char as_of[40];
    segkit_format_timestamp(e.c.now_us, as_of, sizeof as_of);
    if (a->format == CLI_FORMAT_JSON) {
      json_t *j = json_pack("{s:s, s:I, s:I, s:s, s:s}", "segment", name, "count",
                            (json_int_t)count, "of", (json_int_t)total, "dataset",
                            def->dataset, "as_of", as_of);
      if (show) {
        json_object_set_new(j, "rule", json_string(def->rule));
        json_object_set_new(j, "description", def->description != NULL
                                                  ? json_string(def->description)
                                                  : json_null());
        json_object_set_new(j, "snapshots", json_integer(def->n_snapshots));
      }
      json_dumpf(j, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(j);
    } else {
      if (show) {
        printf("segment      %s\ndataset      %s\nrule         %s\n", name,
               def->dataset, def->rule);
        if (def->description != NULL) {
          printf("description  %s\n", def->description);
        }
        printf("snapshots    %lld\n", (long long)def->n_snapshots);
      }
      printf("%s: %zu of %zu customers (%.1f%%) as of %s\n", name, count, total,
             total > 0 ? 100.0 * (double)count / (double)total : 0.0, as_of);
    }
  }
  named_eval_free(&e);
  return rc;
}

static int sub_members(cli_args *a, segkit_workspace *ws) {
  int rc = need(a, 1, "expected: segment members NAME [--columns a,b] [--out FILE]");
  if (rc != 0) {
    return rc;
  }
  named_eval e;
  rc = eval_named(a, ws, a->positional[1], &e);
  cli_by cols;
  memset(&cols, 0, sizeof cols);
  if (rc == 0 && cli_get(a, "columns") != NULL) {
    rc = cli_parse_by("segment", cli_get(a, "columns"), e.c.customers, false, &cols);
  }
  if (rc == 0) {
    const segkit_table *t = e.c.customers;
    const char *headers[CLI_MAX_BY + 1];
    const segkit_column *shown[CLI_MAX_BY + 1];
    headers[0] = e.c.key;
    shown[0] = key_column(&e.c);
    for (size_t k = 0; k < cols.n; k++) {
      headers[k + 1] = cols.cols[k];
      shown[k + 1] = segkit_table_column(t, (size_t)segkit_table_column_index(t, cols.cols[k]));
    }
    cli_grid *g = cli_grid_new(cols.n + 1, headers);
    for (size_t r = 0; g != NULL && r < segkit_table_n_rows(t); r++) {
      if (!is_member(e.bits, r)) {
        continue;
      }
      cli_grid_row(g);
      for (size_t k = 0; k <= cols.n; k++) {
        cli_grid_value(g, shown[k], r);
      }
    }
    if (cli_get(a, "out") != NULL) {
      rc = g == NULL ? CLI_EXIT_ENV : cli_grid_write_file(g, a->format, cli_get(a, "out"));
      if (rc == 0 && !a->quiet) {
        fprintf(stderr, "wrote %zu members of '%s' to %s\n", e.count, a->positional[1],
                cli_get(a, "out"));
      }
    } else {
      rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
    }
    cli_grid_free(g);
  }
  cli_by_free(&cols);
  named_eval_free(&e);
  return rc;
}

static int sub_rm(cli_args *a, segkit_workspace *ws) {
  int rc = need(a, 1, "expected: segment rm NAME");
  if (rc != 0) {
    return rc;
  }
  segkit_error err;
  if (segkit_workspace_segment_drop(ws, a->positional[1], &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  if (!a->quiet) {
    printf("removed segment '%s' and its snapshots\n", a->positional[1]);
  }
  return 0;
}

static int sub_sql(cli_args *a, segkit_workspace *ws) {
  int rc = need(a, 1, "expected: segment sql NAME");
  if (rc != 0) {
    return rc;
  }
  segkit_segment_list *def = NULL;
  segkit_error err;
  if (segkit_workspace_segments(ws, a->positional[1], &def, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  env_ctx c;
  rc = open_env(a, ws, def->items[0].dataset, def->items[0].context, &c);
  segkit_rule *rule = NULL;
  segkit_rule_diag diag;
  memset(&diag, 0, sizeof diag);
  if (rc == 0 && segkit_rule_compile(c.env, def->items[0].rule, &rule, &diag, &err) != SEGKIT_OK) {
    print_rule_error(&err, &diag);
    rc = CLI_EXIT_USAGE;
  }
  char *sql = NULL;
  if (rc == 0 && segkit_rule_to_sql(rule, c.env, def->items[0].dataset, &sql, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    printf("%s\n", sql);
  }
  free(sql);
  segkit_rule_free(rule);
  segkit_segment_list_free(def);
  env_ctx_free(&c);
  return rc;
}

/* ---- webhook posts of snapshots ---------------------------------------------------------- */

static json_t *member_json(const segkit_column *c, size_t row) {
  if (segkit_column_type(c) == SEGKIT_TYPE_INT64) {
    return json_integer((json_int_t)segkit_column_int64(c)[row]);
  }
  return json_string(segkit_column_dict_value(c, segkit_column_codes(c)[row], NULL));
}

/* Order of snapshot member tables (sorted when stored): int64 numerically, text byte-wise. */
static int member_cmp(const segkit_column *x, size_t i, const segkit_column *y, size_t j) {
  if (segkit_column_type(x) == SEGKIT_TYPE_INT64) {
    int64_t u = segkit_column_int64(x)[i];
    int64_t v = segkit_column_int64(y)[j];
    return (u > v) - (u < v);
  }
  return strcmp(segkit_column_dict_value(x, segkit_column_codes(x)[i], NULL),
                segkit_column_dict_value(y, segkit_column_codes(y)[j], NULL));
}

/* The document a webhook receives: the snapshot as stored (so what is posted is exactly
 * what diff will later compare with), and who entered and left since the one before, which
 * is what most receivers (mailing lists, ad audiences) act on. */
static json_t *snapshot_document(const char *name, const char *dataset,
                                 const segkit_snapshot_info *snap, const segkit_table *members,
                                 const segkit_snapshot_info *prev, const segkit_table *before) {
  char when[40];
  segkit_format_timestamp(snap->taken_at_us, when, sizeof when);
  const segkit_column *now = segkit_table_column(members, 0);
  size_t n_now = segkit_table_n_rows(members);
  json_t *list = json_array();
  for (size_t i = 0; i < n_now; i++) {
    json_array_append_new(list, member_json(now, i));
  }
  json_t *doc = json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:o}", "segment", name,
                          "dataset", dataset, "snapshot", (json_int_t)snap->id, "taken_at",
                          when, "rule", snap->rule, "count", (json_int_t)snap->n_members, "of",
                          (json_int_t)snap->n_total, "members", list);
  if (prev == NULL) {
    json_object_set_new(doc, "previous_snapshot", json_null());
    return doc;
  }
  const segkit_column *old = segkit_table_column(before, 0);
  size_t n_old = segkit_table_n_rows(before);
  json_t *entered = json_array();
  json_t *left = json_array();
  size_t i = 0;
  size_t j = 0;
  while (i < n_now || j < n_old) {
    int cmp = i == n_now ? 1 : j == n_old ? -1 : member_cmp(now, i, old, j);
    if (cmp < 0) {
      json_array_append_new(entered, member_json(now, i++));
    } else if (cmp > 0) {
      json_array_append_new(left, member_json(old, j++));
    } else {
      i++;
      j++;
    }
  }
  json_object_set_new(doc, "previous_snapshot", json_integer((json_int_t)prev->id));
  json_object_set_new(doc, "entered", entered);
  json_object_set_new(doc, "left", left);
  return doc;
}

static int post_snapshot(cli_args *a, segkit_workspace *ws, const char *name, int64_t id,
                         const char *url) {
  segkit_error err;
  segkit_segment_list *def = NULL;
  segkit_snapshot_list *snaps = NULL;
  if (segkit_workspace_segments(ws, name, &def, &err) != SEGKIT_OK ||
      segkit_workspace_snapshots(ws, name, &snaps, &err) != SEGKIT_OK) {
    segkit_segment_list_free(def);
    return cli_report(&err);
  }
  size_t at = snaps->n;
  for (size_t i = 0; i < snaps->n; i++) {
    if (id == 0 || snaps->items[i].id == id) {
      at = i;
    }
  }
  int rc = 0;
  if (at == snaps->n) {
    rc = id == 0 ? cli_usage_error("segment", "segment '%s' has no snapshot to post (take one "
                                              "with: segment snapshot %s --post URL)",
                                   name, name)
                 : cli_usage_error("segment", "segment '%s' has no snapshot %lld (see: segment "
                                              "snapshots %s)",
                                   name, (long long)id, name);
  }
  segkit_table *members = NULL;
  segkit_table *before = NULL;
  if (rc == 0 && segkit_workspace_snapshot_members(ws, snaps->items[at].id, &members, &err) !=
                     SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0 && at > 0 &&
      segkit_workspace_snapshot_members(ws, snaps->items[at - 1].id, &before, &err) !=
          SEGKIT_OK) {
    rc = cli_report(&err);
  }
  char *body = NULL;
  if (rc == 0) {
    json_t *doc = snapshot_document(name, def->items[0].dataset, &snaps->items[at], members,
                                    at > 0 ? &snaps->items[at - 1] : NULL, before);
    body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (body == NULL) {
      fprintf(stderr, "segkit: out of memory building the webhook document\n");
      rc = CLI_EXIT_ENV;
    }
  }
  if (rc == 0) {
    segkit_webhook_options wo;
    segkit_webhook_options_init(&wo);
    const char *header = cli_get(a, "header");
    wo.headers = &header;
    wo.n_headers = header != NULL ? 1 : 0;
    wo.retries = 2;
    long status = 0;
    if (segkit_webhook_post(url, body, strlen(body), &wo, &status, &err) != SEGKIT_OK) {
      fprintf(stderr, "segkit: snapshot %lld of '%s' is stored; posting it failed (retry with: "
                      "segkit segment post %s URL --snapshot %lld)\n",
              (long long)snaps->items[at].id, name, name, (long long)snaps->items[at].id);
      rc = cli_report(&err);
    } else if (!a->quiet) {
      fprintf(stderr, "posted snapshot %lld of '%s' (%lld members) to %s: HTTP %ld\n",
              (long long)snaps->items[at].id, name, (long long)snaps->items[at].n_members, url,
              status);
    }
  }
  free(body);
  segkit_table_free(members);
  segkit_table_free(before);
  segkit_snapshot_list_free(snaps);
  segkit_segment_list_free(def);
  return rc;
}

static int sub_post(cli_args *a, segkit_workspace *ws) {
  int rc = need(a, 2, "expected: segment post NAME URL [--snapshot ID]");
  if (rc != 0) {
    return rc;
  }
  int64_t id = 0;
  if (cli_get(a, "snapshot") != NULL && !cli_get_int(a, "snapshot", 1, INT64_MAX, &id)) {
    return CLI_EXIT_USAGE;
  }
  return post_snapshot(a, ws, a->positional[1], id, a->positional[2]);
}

static int sub_snapshot(cli_args *a, segkit_workspace *ws) {
  int rc = need(a, 1, "expected: segment snapshot NAME");
  if (rc != 0) {
    return rc;
  }
  const char *name = a->positional[1];
  named_eval e;
  rc = eval_named(a, ws, name, &e);
  size_t count = e.count;
  int64_t id = 0;
  segkit_error err;
  if (rc == 0) {
    if (segkit_workspace_snapshot_save(ws, name, e.def->items[0].rule, key_column(&e.c), e.bits,
                                       e.c.now_us, &id, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  if (rc == 0) {
    if (a->format == CLI_FORMAT_JSON) {
      json_t *j = json_pack("{s:s, s:I, s:I}", "segment", name, "snapshot", (json_int_t)id,
                            "count", (json_int_t)count);
      json_dumpf(j, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(j);
    } else {
      printf("snapshot %lld of '%s': %zu members\n", (long long)id, name, count);
    }
  }
  named_eval_free(&e);
  if (rc == 0 && cli_get(a, "post") != NULL) {
    rc = post_snapshot(a, ws, name, id, cli_get(a, "post"));
  }
  return rc;
}

static int sub_snapshots(cli_args *a, segkit_workspace *ws) {
  int rc = need(a, 1, "expected: segment snapshots NAME");
  if (rc != 0) {
    return rc;
  }
  segkit_snapshot_list *l = NULL;
  segkit_error err;
  if (segkit_workspace_snapshots(ws, a->positional[1], &l, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  static const char *const headers[] = {"snapshot", "taken_at", "members", "of", "rule"};
  cli_grid *g = cli_grid_new(5, headers);
  for (size_t i = 0; g != NULL && i < l->n; i++) {
    char when[40];
    segkit_format_timestamp(l->items[i].taken_at_us, when, sizeof when);
    cli_grid_row(g);
    cli_grid_int(g, l->items[i].id);
    cli_grid_text(g, when);
    cli_grid_int(g, l->items[i].n_members);
    cli_grid_int(g, l->items[i].n_total);
    cli_grid_text(g, l->items[i].rule);
  }
  rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  segkit_snapshot_list_free(l);
  return rc;
}

/* Keys of the current members as text, sorted the way snapshots are (int64 numerically,
 * strings byte-wise), so a diff is a merge. */
static int cmp_text_i64(const void *a, const void *b) {
  int64_t x = strtoll(*(char *const *)a, NULL, 10);
  int64_t y = strtoll(*(char *const *)b, NULL, 10);
  return (x > y) - (x < y);
}

static int cmp_text(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *key_text(const segkit_column *c, size_t row) {
  char buf[32];
  if (segkit_column_type(c) == SEGKIT_TYPE_INT64) {
    snprintf(buf, sizeof buf, "%lld", (long long)segkit_column_int64(c)[row]);
    return strdup(buf);
  }
  return strdup(segkit_column_dict_value(c, segkit_column_codes(c)[row], NULL));
}

static char **sorted_keys(const segkit_column *c, const uint64_t *bits, size_t n, size_t *m) {
  char **out = malloc((n + 1) * sizeof *out);
  *m = 0;
  for (size_t i = 0; out != NULL && i < segkit_column_n_rows(c); i++) {
    if (bits == NULL || is_member(bits, i)) {
      out[(*m)++] = key_text(c, i);
    }
  }
  if (out != NULL) {
    qsort(out, *m, sizeof *out,
          segkit_column_type(c) == SEGKIT_TYPE_INT64 ? cmp_text_i64 : cmp_text);
  }
  return out;
}

static void free_keys(char **k, size_t n) {
  for (size_t i = 0; k != NULL && i < n; i++) {
    free(k[i]);
  }
  free(k);
}

static int sub_diff(cli_args *a, segkit_workspace *ws) {
  int rc = need(a, 1, "expected: segment diff NAME [--since SNAPSHOT]");
  if (rc != 0) {
    return rc;
  }
  const char *name = a->positional[1];
  segkit_snapshot_list *snaps = NULL;
  segkit_error err;
  if (segkit_workspace_snapshots(ws, name, &snaps, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  int64_t since = snaps->n > 0 ? snaps->items[snaps->n - 1].id : -1;
  int64_t want = 0;
  if (cli_get(a, "since") != NULL) {
    if (!cli_get_int(a, "since", 1, INT64_MAX, &want)) {
      segkit_snapshot_list_free(snaps);
      return CLI_EXIT_USAGE;
    }
    since = want;
  }
  segkit_snapshot_list_free(snaps);
  if (since < 0) {
    return cli_usage_error("segment", "segment '%s' has no snapshot to compare with (take one "
                                      "with: segment snapshot %s)",
                           name, name);
  }
  segkit_table *old = NULL;
  if (segkit_workspace_snapshot_members(ws, since, &old, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  named_eval e;
  rc = eval_named(a, ws, name, &e);
  size_t count = e.count;
  size_t n_now = 0;
  size_t n_old = 0;
  char **now = NULL;
  char **before = NULL;
  if (rc == 0) {
    const segkit_column *keys = key_column(&e.c);
    now = sorted_keys(keys, e.bits, count, &n_now);
    before = sorted_keys(segkit_table_column(old, 0), NULL, segkit_table_n_rows(old), &n_old);
    bool ints = segkit_column_type(keys) == SEGKIT_TYPE_INT64;
    json_t *entered = json_array();
    json_t *left = json_array();
    size_t i = 0;
    size_t j = 0;
    while (i < n_now || j < n_old) {
      int cmp = i == n_now ? 1 : j == n_old ? -1
                : ints ? cmp_text_i64(&now[i], &before[j]) : strcmp(now[i], before[j]);
      if (cmp < 0) {
        json_array_append_new(entered, json_string(now[i++]));
      } else if (cmp > 0) {
        json_array_append_new(left, json_string(before[j++]));
      } else {
        i++;
        j++;
      }
    }
    if (a->format == CLI_FORMAT_JSON) {
      json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "segment", name, "since",
                            (json_int_t)since, "count", (json_int_t)count, "n_entered",
                            (json_int_t)json_array_size(entered), "n_left",
                            (json_int_t)json_array_size(left), "entered", entered, "left", left);
      json_dumpf(o, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(o);
    } else {
      printf("segment '%s' since snapshot %lld: %zu entered, %zu left (%zu members now, %zu "
             "then)\n",
             name, (long long)since, json_array_size(entered), json_array_size(left), n_now,
             n_old);
      size_t k;
      json_t *v;
      json_array_foreach(entered, k, v) { printf("+ %s\n", json_string_value(v)); }
      json_array_foreach(left, k, v) { printf("- %s\n", json_string_value(v)); }
      json_decref(entered);
      json_decref(left);
    }
  }
  free_keys(now, n_now);
  free_keys(before, n_old);
  segkit_table_free(old);
  named_eval_free(&e);
  return rc;
}


static int sub_overlap(cli_args *a, segkit_workspace *ws) {
  size_t k = a->n_positional - 1;
  if (k < 2 || k > 16) {
    return cli_usage_error("segment", "expected: segment overlap A B [C ...] (2 to 16 segments)");
  }
  named_eval e[16];
  memset(e, 0, sizeof e);
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < k; i++) {
    rc = eval_named(a, ws, a->positional[i + 1], &e[i]);
    if (rc == 0 && strcmp(e[i].def->items[0].dataset, e[0].def->items[0].dataset) != 0) {
      fprintf(stderr, "segkit: segments '%s' and '%s' are over different datasets\n",
              a->positional[1], a->positional[i + 1]);
      rc = CLI_EXIT_DATA;
    }
  }
  if (rc == 0) {
    size_t words = (segkit_table_n_rows(e[0].c.customers) + 63) / 64;
    const char *headers[17];
    headers[0] = "segment";
    for (size_t i = 0; i < k; i++) {
      headers[i + 1] = a->positional[i + 1];
    }
    cli_grid *g = cli_grid_new(k + 1, headers);
    for (size_t i = 0; g != NULL && i < k; i++) {
      cli_grid_row(g);
      cli_grid_text(g, a->positional[i + 1]);
      for (size_t j = 0; j < k; j++) {
        cli_grid_int(g, (int64_t)cli_popcount_and(e[i].bits, e[j].bits, words));
      }
    }
    if (a->format == CLI_FORMAT_TABLE) {
      printf("members in both (row and column); the diagonal is each segment's size\n\n");
    }
    rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
    cli_grid_free(g);
  }
  for (size_t i = 0; i < k; i++) {
    named_eval_free(&e[i]);
  }
  return rc;
}

static int run_segment(cli_args *a) {
  if (a->n_positional < 1) {
    return cli_usage_error("segment", "expected a subcommand: add, check, list, show, count, "
                                      "members, rm, sql, snapshot, snapshots, post, diff, overlap");
  }
  const char *sub = a->positional[0];
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  if (strcmp(sub, "add") == 0 || strcmp(sub, "check") == 0) {
    rc = sub_add(a, ws, strcmp(sub, "add") == 0);
  } else if (strcmp(sub, "list") == 0) {
    rc = sub_list(a, ws);
  } else if (strcmp(sub, "show") == 0 || strcmp(sub, "count") == 0) {
    rc = sub_count(a, ws, strcmp(sub, "show") == 0);
  } else if (strcmp(sub, "members") == 0) {
    rc = sub_members(a, ws);
  } else if (strcmp(sub, "rm") == 0) {
    rc = sub_rm(a, ws);
  } else if (strcmp(sub, "sql") == 0) {
    rc = sub_sql(a, ws);
  } else if (strcmp(sub, "snapshot") == 0) {
    rc = sub_snapshot(a, ws);
  } else if (strcmp(sub, "post") == 0) {
    rc = sub_post(a, ws);
  } else if (strcmp(sub, "snapshots") == 0) {
    rc = sub_snapshots(a, ws);
  } else if (strcmp(sub, "diff") == 0) {
    rc = sub_diff(a, ws);
  } else if (strcmp(sub, "overlap") == 0) {
    rc = sub_overlap(a, ws);
  } else {
    rc = cli_usage_error("segment", "unknown subcommand '%s' (add, check, list, show, count, "
                                    "members, rm, sql, snapshot, snapshots, post, diff, overlap)",
                         sub);
  }
  segkit_workspace_close(ws);
  return rc;
}

const cli_verb cli_verb_segment = {
    .name = "segment",
    .summary = "define segments by rules, count them, list members, snapshot and diff them",
    .usage = "segkit segment add NAME 'RULE' --dataset CUSTOMERS | check 'RULE' --dataset "
             "CUSTOMERS | list | show NAME | count NAME | members NAME [--columns C] [--out FILE] | "
             "rm NAME | sql NAME | snapshot NAME [--post URL] | snapshots NAME | post NAME URL "
             "[--snapshot ID] | diff NAME [--since ID] | overlap A B ...",
    .description =
        "A segment is a rule over a customers dataset (docs/rules.md), e.g.\n"
        "  plan == \"pro\" and tenure_days > 180 and count(events where name == \"login\"\n"
        "    and ts > now() - 14d) == 0\n"
        "stored in the workspace and evaluated again on each use (add checks it first and\n"
        "prints where it is wrong). Fact datasets take part through their links (segkit link);\n"
        "in_segment(\"other\") uses another segment. count's JSON: {\"segment\", \"count\", \"of\",\n"
        "\"dataset\", \"as_of\"}. snapshot stores today's members; diff lists who entered and who\n"
        "left since a snapshot; overlap prints the members two segments share. --as-of fixes\n"
        "now() for reproducible runs. members --out writes an export file (CSV or JSON) with\n"
        "the --columns chosen; snapshot --post URL (or post NAME URL for a stored snapshot)\n"
        "sends the snapshot to a webhook as JSON: {\"segment\", \"dataset\", \"snapshot\",\n"
        "\"taken_at\", \"rule\", \"count\", \"of\", \"members\", \"previous_snapshot\", \"entered\",\n"
        "\"left\"} (docs/segments.md).",
    .opts = segment_opts,
    .n_opts = sizeof segment_opts / sizeof segment_opts[0],
    .run = run_segment,
};
