/* Step 7 of segkit demo: segments as a user would define them. The customers file of the
 * demo is deliberately dirty (repeated ids), and a rule needs one row per customer, so the
 * rules run over the lifecycle table (one row per paying customer, from the MRR engine),
 * with RFM and the events log linked to it — the families and the rule language working
 * together, stored in the workspace so the "Try:" commands can show, diff and export them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segkit/family.h"
#include "segkit/segment.h"

typedef struct demo_rule {
  const char *name;
  const char *rule;
  const char *description;
} demo_rule;

static const demo_rule demo_rules[] = {
    {"quiet-mature", "stage == \"mature\" and count(events where event == \"login\", last 30d) == 0",
     "long-standing customers who stopped logging in"},
    {"big-and-quiet", "in_segment(\"quiet-mature\") and mrr_cents >= 100000",
     "the quiet ones paying $1,000 a month or more: call them this week"},
    {"champions", "exists(rfm where segment == \"Champions\")", "RFM Champions"},
    {"automators", "used(\"invoice_automation\", within 60d of first_paid)",
     "adopted invoice automation in their first 60 paid days"},
};
enum { N_RULES = sizeof demo_rules / sizeof demo_rules[0] };

static segkit_status store_table(segkit_workspace *ws, const char *name, const segkit_table *t,
                                 segkit_error *err) {
  segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE, .table = t,
                               .key = "customer_id", .source = "segkit demo", .actor = "cli:demo"};
  segkit_import_outcome oc;
  return segkit_workspace_import(ws, &req, &oc, err);
}


typedef struct demo_state {
  segkit_table *stages;
  segkit_table *rfm;
  segkit_table *events;
  segkit_rule_env *env;
  uint64_t *bits[N_RULES];
  size_t count[N_RULES];
} demo_state;

static void demo_state_free(demo_state *s) {
  segkit_rule_env_free(s->env);
  segkit_table_free(s->stages);
  segkit_table_free(s->rfm);
  segkit_table_free(s->events);
  for (size_t i = 0; i < N_RULES; i++) {
    free(s->bits[i]);
  }
}

/* The per-customer tables: lifecycle stages at the MRR result's last month, RFM as of the
 * last day; both stored and linked. */
static segkit_status build_tables(segkit_workspace *ws, const segkit_table *subs,
                                  const segkit_mrr_result *r, int32_t as_of,
                                  const segkit_mrr_rate *rates, size_t n_rates, int n_threads,
                                  demo_state *s, segkit_error *err) {
  segkit_status st = segkit_lifecycle_compute(r, subs, NULL, NULL, &s->stages, NULL, err);
  segkit_table *tx = NULL;
  if (st == SEGKIT_OK) {
    st = segkit_workspace_load(ws, "transactions", &tx, err);
  }
  segkit_rfm_result *rfm = NULL;
  if (st == SEGKIT_OK) {
    segkit_rfm_options ro;
    segkit_rfm_options_init(&ro);
    ro.as_of = as_of;
    ro.columns.currency = "currency";
    ro.rates = rates;
    ro.n_rates = n_rates;
    ro.n_threads = n_threads;
    /* The dirty sample plants negative amounts on charge rows (as a refund booked the
     * wrong way round); the demo counts them as refunds, as `--negative-charges refund`. */
    ro.negative_charge_is_refund = true;
    st = segkit_rfm_compute(tx, &ro, &rfm, err);
  }
  if (st == SEGKIT_OK) {
    st = segkit_rfm_table(rfm, tx, &s->rfm, err);
  }
  segkit_rfm_result_free(rfm);
  segkit_table_free(tx);
  if (st == SEGKIT_OK) {
    st = store_table(ws, "stages", s->stages, err);
  }
  if (st == SEGKIT_OK) {
    st = store_table(ws, "rfm", s->rfm, err);
  }
  if (st == SEGKIT_OK) {
    st = segkit_workspace_load(ws, "events", &s->events, err);
  }
  if (st == SEGKIT_OK) {
    st = segkit_workspace_link(ws, "events", "customer_id", "stages", "customer_id", "timestamp",
                               err);
  }
  if (st == SEGKIT_OK) {
    st = segkit_workspace_link(ws, "rfm", "customer_id", "stages", "customer_id", NULL, err);
  }
  return st;
}

static segkit_status run_rules(segkit_workspace *ws, int64_t now_us, int n_threads,
                               demo_state *s, segkit_error *err) {
  segkit_status st = segkit_rule_env_new(s->stages, "customer_id", now_us, &s->env, err);
  if (st == SEGKIT_OK) {
    st = segkit_rule_env_link(s->env, "events", s->events, "customer_id", "timestamp", err);
  }
  if (st == SEGKIT_OK) {
    st = segkit_rule_env_link(s->env, "rfm", s->rfm, "customer_id", NULL, err);
  }
  size_t words = (segkit_table_n_rows(s->stages) + 63) / 64;
  for (size_t i = 0; st == SEGKIT_OK && i < N_RULES; i++) {
    segkit_rule *rule = NULL;
    s->bits[i] = calloc(words + 1, sizeof *s->bits[i]);
    if (s->bits[i] == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory evaluating segments");
    }
    st = segkit_rule_compile(s->env, demo_rules[i].rule, &rule, NULL, err);
    if (st == SEGKIT_OK) {
      st = segkit_rule_eval(rule, s->env, n_threads, s->bits[i], &s->count[i], err);
    }
    if (st == SEGKIT_OK) {
      st = segkit_rule_env_add_segment(s->env, demo_rules[i].name, s->bits[i], err);
    }
    if (st == SEGKIT_OK) {
      st = segkit_workspace_segment_save(ws, demo_rules[i].name, "stages", demo_rules[i].rule,
                                         demo_rules[i].description, NULL, true, err);
    }
    segkit_rule_free(rule);
  }
  return st;
}

/* Whether a stored dataset's column has one of two types: a tiny dirty sample can leave a
 * column inferred as text (a few typos among a handful of rows), and then the step has
 * nothing sound to show. */
static bool column_is(segkit_workspace *ws, const char *dataset, const char *column,
                      segkit_type a, segkit_type b) {
  segkit_dataset_schema *schema = NULL;
  segkit_error err;
  bool ok = false;
  if (segkit_workspace_dataset_schema(ws, dataset, &schema, &err) == SEGKIT_OK) {
    for (size_t i = 0; i < schema->n; i++) {
      ok = ok || (strcmp(schema->names[i], column) == 0 &&
                  (schema->types[i] == a || schema->types[i] == b));
    }
  }
  segkit_dataset_schema_free(schema);
  return ok;
}

int cli_demo_segments(segkit_workspace *ws, const segkit_table *subs, const segkit_mrr_result *r,
                      int32_t as_of, const segkit_mrr_rate *rates, size_t n_rates,
                      int n_threads) {
  if (!column_is(ws, "events", "timestamp", SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_DATE) ||
      !column_is(ws, "transactions", "timestamp", SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_DATE) ||
      !column_is(ws, "transactions", "amount", SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_INT64)) {
    printf("\n== 7. segments by rules: skipped, the sample is too small for its events and "
           "transactions to read as times and amounts (try --customers 20000)\n");
    return 0;
  }
  demo_state s;
  memset(&s, 0, sizeof s);
  segkit_error err;
  /* now() is midnight after the sample's last day, so "last 30d" means its last 30 days and
   * --as-of of the day after gives the same members. */
  int64_t now_us = ((int64_t)as_of + 1) * SEGKIT_US_PER_DAY;
  segkit_status st = build_tables(ws, subs, r, as_of, rates, n_rates, n_threads, &s, &err);
  if (st == SEGKIT_OK) {
    st = run_rules(ws, now_us, n_threads, &s, &err);
  }
  int64_t snapshot = 0;
  if (st == SEGKIT_OK) {
    const segkit_column *key = segkit_table_column(
        s.stages, (size_t)segkit_table_column_index(s.stages, "customer_id"));
    st = segkit_workspace_snapshot_save(ws, demo_rules[1].name, demo_rules[1].rule, key,
                                        s.bits[1], now_us, &snapshot, &err);
  }
  if (st != SEGKIT_OK) {
    demo_state_free(&s);
    return cli_report(&err);
  }
  size_t total = segkit_table_n_rows(s.stages);
  printf("\n== 7. segments by rules, over the %zu customers with a lifecycle stage (segkit "
         "segment, docs/rules.md)\n",
         total);
  static const char *const headers[] = {"segment", "members", "share", "rule"};
  cli_grid *g = cli_grid_new(4, headers);
  for (size_t i = 0; g != NULL && i < N_RULES; i++) {
    cli_grid_row(g);
    cli_grid_text(g, demo_rules[i].name);
    cli_grid_int(g, (int64_t)s.count[i]);
    char share[32];
    snprintf(share, sizeof share, "%.1f%%",
             total > 0 ? 100.0 * (double)s.count[i] / (double)total : 0.0);
    cli_grid_text(g, share);
    cli_grid_text(g, demo_rules[i].rule);
  }
  int rc = cli_grid_print(g, CLI_FORMAT_TABLE, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  size_t words = (total + 63) / 64;
  size_t quiet_champions = cli_popcount_and(s.bits[0], s.bits[2], words);
  printf("%zu of the %zu RFM Champions have gone quiet (no login in 30 days); big-and-quiet "
         "is stored as snapshot %lld, so `segment diff big-and-quiet` shows who enters and "
         "leaves it.\n",
         quiet_champions, s.count[2], (long long)snapshot);
  demo_state_free(&s);
  return rc;
}
