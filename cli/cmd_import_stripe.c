/* segkit import-stripe: Stripe API JSON exports and dashboard CSV exports into three
 * datasets, <prefix>_customers, <prefix>_subscriptions and <prefix>_transactions, ready
 * for `segkit mrr --dataset <prefix>_subscriptions`. Every file is read before anything is
 * stored, so a file that is not Stripe data stores nothing; then each table is one import
 * (one transaction each), with the malformed objects that fed it kept in its quarantine.
 * Ends with counts per object type and per table and every skipped object with its
 * reason. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt stripe_opts[] = {
    {"prefix", CLI_OPT_VALUE, "NAME",
     "dataset name prefix (default stripe): NAME_customers, NAME_subscriptions, NAME_transactions"},
    {"mode", CLI_OPT_VALUE, "MODE", "replace (default: the datasets become this export) or append"},
};

enum { SHOW_SKIPS = 50 };

static bool parse_mode(const cli_args *a, segkit_import_mode *mode) {
  const char *m = cli_get(a, "mode");
  *mode = SEGKIT_IMPORT_REPLACE;
  if (m == NULL || strcmp(m, "replace") == 0) {
    return true;
  }
  if (strcmp(m, "append") == 0) {
    *mode = SEGKIT_IMPORT_APPEND;
    return true;
  }
  cli_usage_error("import-stripe", "--mode must be replace or append, not '%s'", m);
  return false;
}

static bool valid_prefix(const char *p) {
  size_t n = strlen(p);
  if (n == 0 || n > 50) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

static json_t *skip_json(const segkit_stripe_skip *s) {
  json_t *o = json_object();
  json_object_set_new(o, "kind", json_string(segkit_stripe_skip_kind_name(s->kind)));
  json_object_set_new(o, "file", json_string(s->file));
  json_object_set_new(o, "line", s->line > 0 ? json_integer(s->line) : json_null());
  json_object_set_new(o, "index", s->index >= 0 ? json_integer(s->index) : json_null());
  json_object_set_new(o, "object", json_string(s->object_type));
  json_object_set_new(o, "id", *s->object_id != '\0' ? json_string(s->object_id) : json_null());
  json_object_set_new(o, "reason", json_string(s->reason));
  return o;
}

static void print_json(const segkit_stripe_import *imp, char names[][80],
                       const segkit_import_outcome *out, const bool *stored,
                       segkit_import_mode mode) {
  const segkit_stripe_counts *c = segkit_stripe_import_counts(imp);
  json_t *root = json_object();
  json_object_set_new(root, "mode",
                      json_string(mode == SEGKIT_IMPORT_APPEND ? "append" : "replace"));
  json_object_set_new(root, "files", json_integer(c->files));
  json_t *objs = json_object();
  for (int k = 0; k < SEGKIT_STRIPE_N_OBJECTS; k++) {
    json_object_set_new(objs, segkit_stripe_object_name((segkit_stripe_object)k),
                        json_integer(c->objects[k]));
  }
  json_object_set_new(root, "objects", objs);
  json_t *tables = json_object();
  for (int t = 0; t < SEGKIT_STRIPE_N_TABLES; t++) {
    json_object_set_new(tables, segkit_stripe_table_name((segkit_stripe_table)t),
                        json_pack("{s:s, s:b, s:I, s:I, s:o}", "dataset", names[t], "stored",
                                  stored[t], "rows", (json_int_t)c->rows[t], "quarantined",
                                  (json_int_t)out[t].rows_quarantined, "dataset_rows",
                                  stored[t] ? json_integer(out[t].dataset_rows) : json_null()));
  }
  json_object_set_new(root, "tables", tables);
  json_object_set_new(root, "charges_paid", json_integer(c->charges_paid));
  json_object_set_new(root, "charges_not_paid", json_integer(c->charges_not_paid));
  json_object_set_new(root, "refunds_implied", json_integer(c->refunds_implied));
  json_t *kinds = json_object();
  for (int k = 0; k < SEGKIT_STRIPE_SKIP_KIND_COUNT; k++) {
    json_object_set_new(kinds, segkit_stripe_skip_kind_name((segkit_stripe_skip_kind)k),
                        json_integer(c->skipped[k]));
  }
  json_object_set_new(root, "skipped_by_kind", kinds);
  size_t n = 0;
  const segkit_stripe_skip *s = segkit_stripe_import_skipped(imp, &n);
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    json_array_append_new(arr, skip_json(&s[i]));
  }
  json_object_set_new(root, "skipped", arr);
  json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  printf("\n");
  json_decref(root);
}

static void print_skip(const segkit_stripe_skip *s) {
  const char *kind = segkit_stripe_skip_kind_name(s->kind);
  if (s->line > 0 && s->index >= 0) {
    printf("    %s:%lld [%lld]: %s: %s\n", s->file, (long long)s->line, (long long)s->index, kind,
           s->reason);
  } else if (s->line > 0) {
    printf("    %s:%lld: %s: %s\n", s->file, (long long)s->line, kind, s->reason);
  } else if (s->index >= 0) {
    printf("    %s [%lld]: %s: %s\n", s->file, (long long)s->index, kind, s->reason);
  } else {
    printf("    %s: %s: %s\n", s->file, kind, s->reason);
  }
}

static void print_text(const segkit_stripe_import *imp, char names[][80],
                       const segkit_import_outcome *out, const bool *stored) {
  const segkit_stripe_counts *c = segkit_stripe_import_counts(imp);
  char b[32];
  printf("imported %lld Stripe file(s)\n  objects read\n", (long long)c->files);
  for (int k = 0; k < SEGKIT_STRIPE_N_OBJECTS; k++) {
    if (c->objects[k] > 0) {
      printf("    %-18s %12s\n", segkit_stripe_object_name((segkit_stripe_object)k),
             cli_thousands(c->objects[k], b, sizeof b));
    }
  }
  printf("  charges: %lld paid, %lld not paid (no row); %lld refund row(s) implied by "
         "amount_refunded\n",
         (long long)c->charges_paid, (long long)c->charges_not_paid, (long long)c->refunds_implied);
  printf("  datasets\n");
  for (int t = 0; t < SEGKIT_STRIPE_N_TABLES; t++) {
    if (!stored[t]) {
      printf("    %-28s  not touched (nothing of it in these files)\n", names[t]);
      continue;
    }
    printf("    %-28s %12s rows", names[t], cli_thousands(c->rows[t], b, sizeof b));
    if (out[t].rows_quarantined > 0) {
      printf(", %lld quarantined (segkit quarantine %s)", (long long)out[t].rows_quarantined,
             names[t]);
    }
    printf("\n");
  }
  size_t n = 0;
  const segkit_stripe_skip *s = segkit_stripe_import_skipped(imp, &n);
  if (n == 0) {
    return;
  }
  printf("  skipped or partly ignored: %zu (", n);
  bool first = true;
  for (int k = 0; k < SEGKIT_STRIPE_SKIP_KIND_COUNT; k++) {
    if (c->skipped[k] > 0) {
      printf("%s%lld %s", first ? "" : ", ", (long long)c->skipped[k],
             segkit_stripe_skip_kind_name((segkit_stripe_skip_kind)k));
      first = false;
    }
  }
  printf(")\n");
  /* What needs the user's attention first (malformed, unsupported, warnings), then the
   * expected ones (duplicates, unpaid charges); at most SHOW_SKIPS lines in all. */
  static const segkit_stripe_skip_kind order[] = {
      SEGKIT_STRIPE_SKIP_MALFORMED, SEGKIT_STRIPE_SKIP_UNSUPPORTED, SEGKIT_STRIPE_SKIP_WARNING,
      SEGKIT_STRIPE_SKIP_DUPLICATE, SEGKIT_STRIPE_SKIP_NOT_PAID};
  size_t shown = 0;
  for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
    for (size_t i = 0; i < n && shown < SHOW_SKIPS; i++) {
      if (s[i].kind == order[o]) {
        print_skip(&s[i]);
        shown++;
      }
    }
  }
  if (n > shown) {
    printf("    ... and %zu more (--format json lists them all)\n", n - shown);
  }
}

/* Whether any object of the kinds that feed table t was read: a table nothing was given
 * for is left as it is in the workspace, so importing charges.json alone does not replace
 * the customers with an empty table. */
static bool table_fed(const segkit_stripe_counts *c, int t) {
  switch (t) {
  case SEGKIT_STRIPE_CUSTOMERS:
    return c->objects[SEGKIT_STRIPE_OBJ_CUSTOMER] + c->objects[SEGKIT_STRIPE_OBJ_CSV_CUSTOMER] > 0;
  case SEGKIT_STRIPE_SUBSCRIPTIONS:
    return c->objects[SEGKIT_STRIPE_OBJ_SUBSCRIPTION] +
               c->objects[SEGKIT_STRIPE_OBJ_CSV_SUBSCRIPTION] >
           0;
  default:
    return c->objects[SEGKIT_STRIPE_OBJ_CHARGE] + c->objects[SEGKIT_STRIPE_OBJ_REFUND] +
               c->objects[SEGKIT_STRIPE_OBJ_INVOICE] >
           0;
  }
}

static int store(cli_args *a, segkit_stripe_import *imp, segkit_table *tables[], char names[][80],
                 segkit_import_mode mode, segkit_import_outcome *out, bool *stored) {
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, true, &ws);
  if (rc != 0) {
    return rc;
  }
  char actor[128];
  cli_actor_name(actor, sizeof actor);
  static const char *const keys[SEGKIT_STRIPE_N_TABLES] = {"customer_id", NULL, "transaction_id"};
  char source[512];
  snprintf(source, sizeof source, "%s", a->positional[0]);
  if (a->n_positional > 1) {
    size_t len = strlen(source);
    snprintf(source + len, sizeof source - len, " (+%zu more)", a->n_positional - 1);
  }
  for (int t = 0; t < SEGKIT_STRIPE_N_TABLES; t++) {
    stored[t] = false;
    if (!table_fed(segkit_stripe_import_counts(imp), t)) {
      continue;
    }
    size_t n_rej = 0;
    const segkit_reject *rej = segkit_stripe_import_rejects(imp, (segkit_stripe_table)t, &n_rej);
    /* The audit log's read summary: rows made, and the objects quarantined by reason. */
    segkit_read_counts counts;
    memset(&counts, 0, sizeof counts);
    counts.rows_imported = (int64_t)segkit_table_n_rows(tables[t]);
    counts.rows_rejected = (int64_t)n_rej;
    counts.rows_read = counts.rows_imported + counts.rows_rejected;
    for (size_t i = 0; i < n_rej; i++) {
      counts.rejected_by_reason[rej[i].reason]++;
    }
    segkit_import_request req = {
        .dataset = names[t],
        .mode = mode,
        .key = keys[t],
        .source = source,
        .table = tables[t],
        .rejects = rej,
        .n_rejects = n_rej,
        .counts = &counts,
        .actor = actor,
    };
    segkit_error err;
    segkit_error_clear(&err);
    if (segkit_workspace_import(ws, &req, &out[t], &err) != SEGKIT_OK) {
      rc = cli_report(&err);
      fprintf(stderr, "segkit: '%s' was not imported%s\n", names[t],
              t > 0 ? " (the datasets before it were)" : "");
      break;
    }
    stored[t] = true;
  }
  segkit_workspace_close(ws);
  return rc;
}

static int run_import_stripe(cli_args *a) {
  if (a->n_positional == 0) {
    return cli_usage_error("import-stripe", "expected one or more Stripe export FILEs");
  }
  const char *prefix = cli_get(a, "prefix");
  if (prefix == NULL) {
    prefix = "stripe";
  }
  if (!valid_prefix(prefix)) {
    return cli_usage_error("import-stripe",
                           "--prefix must be 1-50 letters, digits, '_' or '-', not '%s'", prefix);
  }
  segkit_import_mode mode;
  if (!parse_mode(a, &mode)) {
    return CLI_EXIT_USAGE;
  }
  char names[SEGKIT_STRIPE_N_TABLES][80];
  for (int t = 0; t < SEGKIT_STRIPE_N_TABLES; t++) {
    snprintf(names[t], sizeof names[t], "%s_%s", prefix,
             segkit_stripe_table_name((segkit_stripe_table)t));
  }
  segkit_error err;
  segkit_error_clear(&err);
  segkit_stripe_import *imp = NULL;
  if (segkit_stripe_import_new(&imp, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  for (size_t i = 0; i < a->n_positional; i++) {
    if (segkit_stripe_import_add_file(imp, a->positional[i], &err) != SEGKIT_OK) {
      int rc = cli_report(&err);
      fprintf(stderr, "segkit: nothing was imported\n");
      segkit_stripe_import_free(imp);
      return rc;
    }
  }
  segkit_table *tables[SEGKIT_STRIPE_N_TABLES] = {NULL, NULL, NULL};
  if (segkit_stripe_import_finish(imp, tables, &err) != SEGKIT_OK) {
    int rc = cli_report(&err);
    segkit_stripe_import_free(imp);
    return rc;
  }
  segkit_import_outcome out[SEGKIT_STRIPE_N_TABLES];
  memset(out, 0, sizeof out);
  bool stored[SEGKIT_STRIPE_N_TABLES];
  int rc = store(a, imp, tables, names, mode, out, stored);
  if (rc == 0) {
    if (a->format == CLI_FORMAT_JSON) {
      print_json(imp, names, out, stored, mode);
    } else if (!a->quiet) {
      print_text(imp, names, out, stored);
    }
  }
  for (int t = 0; t < SEGKIT_STRIPE_N_TABLES; t++) {
    segkit_table_free(tables[t]);
  }
  segkit_stripe_import_free(imp);
  return rc;
}

const cli_verb cli_verb_import_stripe = {
    .name = "import-stripe",
    .summary =
        "import Stripe exports (API JSON, dashboard CSV) as customers, subscriptions, transactions",
    .usage = "segkit import-stripe FILE... [--prefix stripe] [--mode replace|append]",
    .description =
        "Reads Stripe API objects (customer, subscription, invoice, charge, refund) as a list\n"
        "object, a JSON array, one object or JSON Lines, and the dashboard's CSV exports of\n"
        "customers and subscriptions (detected from the header). Amounts become major units\n"
        "(zero- and three-decimal currencies respected), times UTC timestamps. Stores\n"
        "PREFIX_customers, PREFIX_subscriptions (the columns `segkit mrr` reads by default)\n"
        "and PREFIX_transactions. Malformed or unsupported objects do not stop the import:\n"
        "each is listed with file, line or index, id and reason, and malformed ones are kept\n"
        "in the quarantine of the dataset they would have fed. A dataset none of the files\n"
        "feeds (e.g. customers when only charges are given) is left untouched. See\n"
        "docs/billing.md.",
    .opts = stripe_opts,
    .n_opts = sizeof stripe_opts / sizeof stripe_opts[0],
    .run = run_import_stripe,
};
