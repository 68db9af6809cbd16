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
#include "segkit/segeval.h"
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
    {"force", CLI_OPT_FLAG, NULL, "remove a segment even when other segments use it with in_segment() (rm)"},
};

/* ---- evaluating: segkit/segeval.h, the library call the API uses too ------------------------ */

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

/* The evaluation options of the arguments: --key, --as-of, --threads. */
static int eval_options(cli_args *a, segkit_segeval_options *opt) {
  segkit_segeval_options_init(opt);
  opt->key = cli_get(a, "key");
  opt->n_threads = a->threads;
  return parse_as_of(a, &opt->now_us);
}

/* An evaluation's error, with the rule's line and a caret under the fault when it has one.
 * A rule that does not compile is a usage error (exit 2), as it always was; a segment it
 * names that is missing or wrong is the data's (exit 3). */
static int report_eval(const segkit_error *err, const segkit_rule_diag *diag) {
  int rc = cli_report(err);
  if (diag->line > 0 && diag->excerpt[0] != '\0') {
    fprintf(stderr, "%s\n", diag->excerpt);
  }
  return diag->line > 0 ? CLI_EXIT_USAGE : rc;
}

/* The stored segment `name` evaluated now (or --as-of): what every subcommand that reads a
 * segment's members starts from. */
static int eval_named(cli_args *a, segkit_workspace *ws, const char *name, segkit_segeval **out) {
  *out = NULL;
  segkit_segeval_options opt;
  int rc = eval_options(a, &opt);
  if (rc != 0) {
    return rc;
  }
  segkit_rule_diag diag;
  segkit_error err;
  if (segkit_segeval_segment(ws, name, &opt, out, &diag, &err) != SEGKIT_OK) {
    return report_eval(&err, &diag);
  }
  return 0;
}

/* The links a new rule's evaluation inferred are said, so nobody is surprised by them, and
 * stored with the segment when it is saved (save_inferred), so it keeps meaning the same. */
static void say_inferred(const segkit_segeval *ev, bool save) {
  for (size_t i = 0; i < segkit_segeval_n_inferred(ev); i++) {
    const segkit_link *l = segkit_segeval_inferred(ev, i);
    const char *time = l->time_column;
    fprintf(stderr,
            "segkit: note: linked %s.%s to %s.%s (inferred from the column name%s%s%s); "
            "declare links with: segkit link\n",
            l->fact_dataset, l->fact_column, l->customers_dataset, l->key_column,
            time ? ", time column " : "; no time column", time ? time : "",
            save ? ", stored with the segment" : "");
  }
}

static int save_inferred(segkit_workspace *ws, const segkit_segeval *ev) {
  segkit_error err;
  for (size_t i = 0; i < segkit_segeval_n_inferred(ev); i++) {
    const segkit_link *l = segkit_segeval_inferred(ev, i);
    if (segkit_workspace_link(ws, l->fact_dataset, l->fact_column, l->customers_dataset,
                              l->key_column, l->time_column, &err) != SEGKIT_OK) {
      return cli_report(&err);
    }
  }
  return 0;
}

int cli_segment_membership(cli_args *a, segkit_workspace *ws, const char *name,
                           segkit_table **out) {
  segkit_segeval *ev = NULL;
  int rc = eval_named(a, ws, name, &ev);
  segkit_table_builder *b = NULL;
  segkit_error err;
  if (rc == 0) {
    const segkit_column *key = segkit_segeval_key_column(ev);
    const char *names[] = {segkit_segeval_key(ev), name};
    segkit_type types[] = {segkit_column_type(key), SEGKIT_TYPE_STRING};
    segkit_status st = segkit_table_builder_new(2, names, types, &b, &err);
    size_t n = segkit_segeval_n_rows(ev);
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
      const char *label = segkit_segeval_is_member(ev, i) ? "member" : "not member";
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
  segkit_segeval_free(ev);
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
  const char *name = save ? a->positional[1] : NULL;
  const char *text = a->positional[save ? 2 : 1];
  segkit_segeval_options opt;
  rc = eval_options(a, &opt);
  segkit_error err;
  char *context = NULL;
  if (rc == 0 && segkit_segeval_context(cli_get(a, "subscriptions"), cli_get(a, "rates"), NULL,
                                        &context, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  opt.context = context;
  opt.infer_links = true;
  segkit_segeval *ev = NULL;
  segkit_rule_diag diag;
  memset(&diag, 0, sizeof diag);
  if (rc == 0 && segkit_segeval_open(ws, dataset, text, &opt, &ev, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    say_inferred(ev, save);
    if (segkit_segeval_run(ev, name, text, &diag, &err) != SEGKIT_OK) {
      rc = report_eval(&err, &diag);
    }
  }
  if (rc == 0 && save &&
      segkit_workspace_segment_save(ws, name, dataset, text, cli_get(a, "description"),
                                    context, cli_has(a, "replace"), &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0 && save) {
    rc = save_inferred(ws, ev);
  }
  if (rc == 0) {
    size_t count = segkit_segeval_count(ev);
    size_t total = segkit_segeval_n_rows(ev);
    const char *shown = save ? name : "(check)";
    if (a->format == CLI_FORMAT_JSON) {
      json_t *j = json_pack("{s:s, s:I, s:I, s:b}", "segment", shown, "count", (json_int_t)count,
                            "of", (json_int_t)total, "saved", save);
      json_dumpf(j, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(j);
    } else {
      printf("%s '%s': %zu of %zu customers (%.1f%%)\n", save ? "saved segment" : "rule ok,", shown,
             count, total, total > 0 ? 100.0 * (double)count / (double)total : 0.0);
    }
  }
  free(context);
  segkit_segeval_free(ev);
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
  segkit_segeval *ev = NULL;
  rc = eval_named(a, ws, name, &ev);
  if (rc == 0) {
    const segkit_segment_info *def = segkit_segeval_definition(ev);
    size_t count = segkit_segeval_count(ev);
    size_t total = segkit_segeval_n_rows(ev);
    char as_of[40];
    segkit_format_timestamp(segkit_segeval_now(ev), as_of, sizeof as_of);
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
  segkit_segeval_free(ev);
  return rc;
}

static int sub_members(cli_args *a, segkit_workspace *ws) {
  int rc = need(a, 1, "expected: segment members NAME [--columns a,b] [--out FILE]");
  if (rc != 0) {
    return rc;
  }
  segkit_segeval *ev = NULL;
  rc = eval_named(a, ws, a->positional[1], &ev);
  cli_by cols;
  memset(&cols, 0, sizeof cols);
  if (rc == 0 && cli_get(a, "columns") != NULL) {
    rc = cli_parse_by("segment", cli_get(a, "columns"), segkit_segeval_customers(ev), false, &cols);
  }
  if (rc == 0) {
    const segkit_table *t = segkit_segeval_customers(ev);
    const char *headers[CLI_MAX_BY + 1];
    const segkit_column *shown[CLI_MAX_BY + 1];
    headers[0] = segkit_segeval_key(ev);
    shown[0] = segkit_segeval_key_column(ev);
    for (size_t k = 0; k < cols.n; k++) {
      headers[k + 1] = cols.cols[k];
      shown[k + 1] = segkit_table_column(t, (size_t)segkit_table_column_index(t, cols.cols[k]));
    }
    cli_grid *g = cli_grid_new(cols.n + 1, headers);
    for (size_t r = 0; g != NULL && r < segkit_table_n_rows(t); r++) {
      if (!segkit_segeval_is_member(ev, r)) {
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
        fprintf(stderr, "wrote %zu members of '%s' to %s\n", segkit_segeval_count(ev),
                a->positional[1], cli_get(a, "out"));
      }
    } else {
      rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
    }
    cli_grid_free(g);
  }
  cli_by_free(&cols);
  segkit_segeval_free(ev);
  return rc;
}

static int sub_rm(cli_args *a, segkit_workspace *ws) {
  int rc = need(a, 1, "expected: segment rm NAME");
  if (rc != 0) {
    return rc;
  }
  const char *name = a->positional[1];
  segkit_error err;
  segkit_segment_list *deps = NULL;
  size_t n_direct = 0;
  segkit_segment_list *self = NULL;
  /* Dependents are looked for only for a segment that exists, so a wrong name is still
   * "no segment named ...". */
  if (segkit_workspace_segments(ws, name, &self, &err) != SEGKIT_OK ||
      segkit_segeval_dependents(ws, name, &deps, &n_direct, &err) != SEGKIT_OK) {
    segkit_segment_list_free(self);
    return cli_report(&err);
  }
  segkit_segment_list_free(self);
  bool force = cli_has(a, "force");
  if (deps->n > 0) {
    fprintf(stderr, "segkit: %ssegment '%s' is used by in_segment() in:", force ? "warning: " : "",
            name);
    for (size_t i = 0; i < deps->n; i++) {
      fprintf(stderr, " %s%s%s", deps->items[i].name, i < n_direct ? "" : " (through another)",
              i + 1 < deps->n ? "," : "");
    }
    fprintf(stderr, force ? "\nsegkit: those segments no longer count until their rules change\n"
                          : "\nsegkit: change their rules first, or remove it anyway with --force\n");
  }
  if (deps->n > 0 && !force) {
    segkit_segment_list_free(deps);
    return CLI_EXIT_DATA;
  }
  segkit_segment_list_free(deps);
  if (segkit_workspace_segment_drop(ws, name, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  if (!a->quiet) {
    printf("removed segment '%s' and its snapshots\n", name);
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
  /* Compiled, not run: the SQL needs the environment (fields, linked tables, now), not the
   * members, and segments named by in_segment() become subqueries. */
  const segkit_segment_info *d = &def->items[0];
  segkit_segeval_options opt;
  rc = eval_options(a, &opt);
  segkit_segeval *ev = NULL;
  if (rc == 0) {
    opt.context = d->context;
    if (segkit_segeval_open(ws, d->dataset, d->rule, &opt, &ev, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  segkit_rule *rule = NULL;
  segkit_rule_diag diag;
  memset(&diag, 0, sizeof diag);
  if (rc == 0 &&
      segkit_rule_compile(segkit_segeval_env(ev), d->rule, &rule, &diag, &err) != SEGKIT_OK) {
    report_eval(&err, &diag);
    rc = CLI_EXIT_USAGE;
  }
  char *sql = NULL;
  if (rc == 0 &&
      segkit_rule_to_sql(rule, segkit_segeval_env(ev), d->dataset, &sql, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    printf("%s\n", sql);
  }
  free(sql);
  segkit_rule_free(rule);
  segkit_segeval_free(ev);
  segkit_segment_list_free(def);
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
  segkit_segeval *ev = NULL;
  rc = eval_named(a, ws, name, &ev);
  size_t count = ev != NULL ? segkit_segeval_count(ev) : 0;
  int64_t id = 0;
  segkit_error err;
  if (rc == 0) {
    if (segkit_workspace_snapshot_save(ws, name, segkit_segeval_definition(ev)->rule,
                                       segkit_segeval_key_column(ev), segkit_segeval_bits(ev),
                                       segkit_segeval_now(ev), &id, &err) != SEGKIT_OK) {
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
  segkit_segeval_free(ev);
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

/* Key i of k as text (the CLI's diff prints and writes every key as a string). */
static json_t *key_json(const segkit_member_keys *k, size_t i) {
  if (!segkit_member_keys_are_ints(k)) {
    return json_string(segkit_member_keys_text(k, i));
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)segkit_member_keys_int(k, i));
  return json_string(buf);
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
  segkit_member_keys *before = NULL;
  if (segkit_member_keys_of_snapshot(ws, since, &before, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  segkit_segeval *ev = NULL;
  rc = eval_named(a, ws, name, &ev);
  size_t count = ev != NULL ? segkit_segeval_count(ev) : 0;
  segkit_member_keys *now = NULL;
  segkit_member_diff d;
  memset(&d, 0, sizeof d);
  if (rc == 0 && (segkit_member_keys_of(segkit_segeval_key_column(ev), segkit_segeval_bits(ev),
                                        &now, &err) != SEGKIT_OK ||
                  segkit_member_keys_diff(before, now, &d, &err) != SEGKIT_OK)) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    json_t *entered = json_array();
    json_t *left = json_array();
    for (size_t i = 0; i < d.n_entered; i++) {
      json_array_append_new(entered, key_json(now, d.entered[i]));
    }
    for (size_t i = 0; i < d.n_left; i++) {
      json_array_append_new(left, key_json(before, d.left[i]));
    }
    if (a->format == CLI_FORMAT_JSON) {
      json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "segment", name, "since",
                            (json_int_t)since, "count", (json_int_t)count, "n_entered",
                            (json_int_t)d.n_entered, "n_left", (json_int_t)d.n_left, "entered",
                            entered, "left", left);
      json_dumpf(o, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(o);
    } else {
      printf("segment '%s' since snapshot %lld: %zu entered, %zu left (%zu members now, %zu "
             "then)\n",
             name, (long long)since, d.n_entered, d.n_left, d.n_to, d.n_from);
      size_t k;
      json_t *v;
      json_array_foreach(entered, k, v) { printf("+ %s\n", json_string_value(v)); }
      json_array_foreach(left, k, v) { printf("- %s\n", json_string_value(v)); }
      json_decref(entered);
      json_decref(left);
    }
  }
  segkit_member_diff_free(&d);
  segkit_member_keys_free(now);
  segkit_member_keys_free(before);
  segkit_segeval_free(ev);
  return rc;
}

static int sub_overlap(cli_args *a, segkit_workspace *ws) {
  size_t k = a->n_positional - 1;
  if (k < 2 || k > 16) {
    return cli_usage_error("segment", "expected: segment overlap A B [C ...] (2 to 16 segments)");
  }
  segkit_segeval *e[16];
  memset(e, 0, sizeof e);
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < k; i++) {
    rc = eval_named(a, ws, a->positional[i + 1], &e[i]);
    if (rc == 0 && strcmp(segkit_segeval_dataset(e[i]), segkit_segeval_dataset(e[0])) != 0) {
      fprintf(stderr, "segkit: segments '%s' and '%s' are over different datasets\n",
              a->positional[1], a->positional[i + 1]);
      rc = CLI_EXIT_DATA;
    }
  }
  if (rc == 0) {
    size_t words = (segkit_segeval_n_rows(e[0]) + 63) / 64;
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
        cli_grid_int(g, (int64_t)cli_popcount_and(segkit_segeval_bits(e[i]),
                                                  segkit_segeval_bits(e[j]), words));
      }
    }
    if (a->format == CLI_FORMAT_TABLE) {
      printf("members in both (row and column); the diagonal is each segment's size\n\n");
    }
    rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
    cli_grid_free(g);
  }
  for (size_t i = 0; i < k; i++) {
    segkit_segeval_free(e[i]);
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
             "rm NAME [--force] | sql NAME | snapshot NAME [--post URL] | snapshots NAME | post NAME URL "
             "[--snapshot ID] | diff NAME [--since ID] | overlap A B ...",
    .description =
        "A segment is a rule over a customers dataset (docs/rules.md), e.g.\n"
        "  plan == \"pro\" and tenure_days > 180 and count(events where name == \"login\"\n"
        "    and ts > now() - 14d) == 0\n"
        "stored in the workspace and evaluated again on each use (add checks it first and\n"
        "prints where it is wrong). Fact datasets take part through their links (segkit link);\n"
        "in_segment(\"other\") uses another segment. count's JSON: {\"segment\", \"count\", \"of\",\n"
        "\"dataset\", \"as_of\"}. snapshot stores today's members; diff lists who entered and who\n"
        "left since a snapshot; overlap prints the members two segments share; rm refuses to\n"
        "remove a segment other segments use with in_segment() (naming them) unless --force.\n"
        "--as-of fixes now() for reproducible runs. members --out writes an export file (CSV\n"
        "or JSON) with the --columns chosen; snapshot --post URL (or post NAME URL for a stored\n"
        "snapshot) sends the snapshot to a webhook as JSON: {\"segment\", \"dataset\", \"snapshot\",\n"
        "\"taken_at\", \"rule\", \"count\", \"of\", \"members\", \"previous_snapshot\", \"entered\",\n"
        "\"left\"} (docs/segments.md).",
    .opts = segment_opts,
    .n_opts = sizeof segment_opts / sizeof segment_opts[0],
    .run = run_segment,
};
