/* segkit import: read a CSV or JSON Lines file, validate every row, and store it in the
 * workspace as one transaction, with rejected rows counted (and kept, with
 * --on-error=quarantine). Ends with a summary: rows read, imported, rejected by reason. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const cli_opt import_opts[] = {
    {"as", CLI_OPT_VALUE, "NAME", "dataset name (letters, digits, _ and -)"},
    {"key", CLI_OPT_VALUE, "COL", "key column: must be unique; with it, rows replace stored rows with the same key, and a row repeating an earlier row's key (or without one) is a bad row, handled as --on-error says (quarantine keeps the first)"},
    {"mode", CLI_OPT_VALUE, "MODE", "append (default), upsert (default with --key), create, or replace"},
};

static double seconds_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *mode_name(segkit_import_mode m) {
  switch (m) {
  case SEGKIT_IMPORT_CREATE:
    return "create";
  case SEGKIT_IMPORT_UPSERT:
    return "upsert";
  case SEGKIT_IMPORT_REPLACE:
    return "replace";
  default:
    return "append";
  }
}

static bool parse_mode(const cli_args *a, segkit_import_mode *mode) {
  const char *m = cli_get(a, "mode");
  *mode = cli_get(a, "key") != NULL ? SEGKIT_IMPORT_UPSERT : SEGKIT_IMPORT_APPEND;
  if (m == NULL) {
    return true;
  }
  static const struct {
    const char *name;
    segkit_import_mode mode;
  } modes[] = {{"append", SEGKIT_IMPORT_APPEND},
               {"upsert", SEGKIT_IMPORT_UPSERT},
               {"create", SEGKIT_IMPORT_CREATE},
               {"replace", SEGKIT_IMPORT_REPLACE}};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    if (strcmp(m, modes[i].name) == 0) {
      *mode = modes[i].mode;
      return true;
    }
  }
  cli_usage_error("import", "--mode must be append, upsert, create or replace, not '%s'", m);
  return false;
}

static json_t *summary_json(const char *path, const char *dataset, segkit_import_mode mode,
                            const segkit_read_result *res, const segkit_table *t,
                            const segkit_import_outcome *out, double secs) {
  const segkit_read_counts *c = segkit_read_result_counts(res);
  json_t *reasons = json_object();
  for (int r = 0; r < SEGKIT_REJECT_COUNT; r++) {
    if (c->rejected_by_reason[r] > 0) {
      json_object_set_new(reasons, segkit_reject_reason_id((segkit_reject_reason)r),
                          json_integer(c->rejected_by_reason[r]));
    }
  }
  json_t *cols = json_array();
  for (size_t i = 0; i < segkit_table_n_cols(t); i++) {
    const segkit_column *col = segkit_table_column(t, i);
    json_array_append_new(cols, json_pack("{s:s, s:s, s:b}", "name", segkit_column_name(col),
                                          "type", segkit_type_name(segkit_column_type(col)),
                                          "inferred", segkit_read_result_type_inferred(res, i)));
  }
  return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:o, s:f, s:I}",
                   "dataset", dataset, "source", path, "mode", mode_name(mode), "batch",
                   (json_int_t)out->batch_id, "rows_read", (json_int_t)c->rows_read,
                   "rows_imported", (json_int_t)c->rows_imported, "rows_rejected",
                   (json_int_t)c->rows_rejected, "rejected_by_reason", reasons, "rows_added",
                   (json_int_t)out->rows_added, "rows_replaced", (json_int_t)out->rows_replaced,
                   "rows_quarantined", (json_int_t)out->rows_quarantined, "dataset_rows",
                   (json_int_t)out->dataset_rows, "columns", cols, "seconds", secs, "bytes",
                   (json_int_t)c->bytes_read);
}

static void print_summary(const char *path, const char *dataset, segkit_import_mode mode,
                          const segkit_read_result *res, const segkit_table *t,
                          const segkit_import_outcome *out, double secs) {
  const segkit_read_counts *c = segkit_read_result_counts(res);
  char b1[32];
  printf("imported %s into '%s' (%s, batch %lld)\n", path, dataset, mode_name(mode),
         (long long)out->batch_id);
  printf("  rows read        %15s\n", cli_thousands(c->rows_read, b1, sizeof b1));
  printf("  imported         %15s\n", cli_thousands(c->rows_imported, b1, sizeof b1));
  printf("  rejected         %15s", cli_thousands(c->rows_rejected, b1, sizeof b1));
  if (c->rows_rejected > 0) {
    printf("   (%s)", out->rows_quarantined > 0 ? "kept in quarantine: segkit quarantine NAME"
                                                  : "skipped");
  }
  printf("\n");
  for (int r = 0; r < SEGKIT_REJECT_COUNT; r++) {
    if (c->rejected_by_reason[r] > 0) {
      printf("    %-14s %15s   %s\n", segkit_reject_reason_id((segkit_reject_reason)r),
             cli_thousands(c->rejected_by_reason[r], b1, sizeof b1),
             segkit_reject_reason_description((segkit_reject_reason)r));
    }
  }
  if (out->rows_replaced > 0) {
    printf("  replaced by key  %15s\n", cli_thousands(out->rows_replaced, b1, sizeof b1));
  }
  printf("  dataset rows     %15s\n", cli_thousands(out->dataset_rows, b1, sizeof b1));
  printf("  columns         ");
  for (size_t i = 0; i < segkit_table_n_cols(t); i++) {
    const segkit_column *col = segkit_table_column(t, i);
    printf(" %s:%s%s", segkit_column_name(col), segkit_type_name(segkit_column_type(col)),
           i + 1 < segkit_table_n_cols(t) ? "," : "\n");
  }
  double mb = (double)c->bytes_read / 1e6;
  printf("  took %.2f s (%.0f MB/s)\n", secs, secs > 0 ? mb / secs : 0.0);
}

static int run_import(cli_args *a) {
  if (a->n_positional != 1) {
    return cli_usage_error("import", "expected one FILE to import");
  }
  const char *path = a->positional[0];
  const char *dataset = cli_get(a, "as");
  if (dataset == NULL) {
    return cli_usage_error("import", "--as NAME is required (the dataset to import into)");
  }
  segkit_import_mode mode;
  if (!parse_mode(a, &mode)) {
    return CLI_EXIT_USAGE;
  }
  if (mode == SEGKIT_IMPORT_UPSERT && cli_get(a, "key") == NULL) {
    return cli_usage_error("import", "--mode upsert needs --key COL");
  }
  cli_read_setup setup;
  if (!cli_read_setup_from_args(a, "import", path, &setup)) {
    cli_read_setup_free(&setup);
    return CLI_EXIT_USAGE;
  }
  const char *key = cli_get(a, "key");
  /* With a key, the key rules name the lines of both rows of a repeated key. */
  setup.opt.keep_row_lines = key != NULL;
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, true, &ws);
  if (rc != 0) {
    cli_read_setup_free(&setup);
    return rc;
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  segkit_error err;
  segkit_error_clear(&err);
  segkit_read_result *res = NULL;
  if (cli_read_file(a, path, &setup, &res, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
    if (err.line > 1) { /* a data row, not the header or the file: skipping can help */
      fprintf(stderr, "segkit: nothing was imported; --on-error=skip or --on-error=quarantine "
                      "imports the valid rows and counts (or keeps) the others\n");
    }
    segkit_workspace_close(ws);
    cli_read_setup_free(&setup);
    return rc;
  }
  if (key != NULL &&
      segkit_read_result_check_key(res, key, setup.opt.on_error, NULL, &err) != SEGKIT_OK) {
    if (err.file[0] == '\0') {
      snprintf(err.file, sizeof err.file, "%s", path);
    }
    rc = cli_report(&err);
    if (err.code == SEGKIT_ERR_PARSE) {
      fprintf(stderr, "segkit: nothing was imported; --on-error=quarantine keeps the first row "
                      "of each key and the others in the quarantine (--on-error=skip drops "
                      "them)\n");
    }
    segkit_read_result_free(res);
    segkit_workspace_close(ws);
    cli_read_setup_free(&setup);
    return rc;
  }
  const segkit_table *t = segkit_read_result_table(res);
  char actor[128];
  cli_actor_name(actor, sizeof actor);
  segkit_import_request req = {
      .dataset = dataset,
      .mode = mode,
      .key = cli_get(a, "key"),
      .source = path,
      .table = t,
      .rejects = segkit_read_result_rejects(res),
      .n_rejects = segkit_read_result_n_rejects(res),
      .counts = segkit_read_result_counts(res),
      .actor = actor,
  };
  segkit_import_outcome outcome;
  if (segkit_workspace_import(ws, &req, &outcome, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
    fprintf(stderr, "segkit: nothing was imported (the workspace is unchanged)\n");
  } else {
    double secs = seconds_since(&t0);
    if (a->format == CLI_FORMAT_JSON) {
      json_t *j = summary_json(path, dataset, mode, res, t, &outcome, secs);
      json_dumpf(j, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(j);
    } else if (!a->quiet) {
      print_summary(path, dataset, mode, res, t, &outcome, secs);
    }
    /* A few rejected rows on stderr so the user sees what kind of problem it was. */
    size_t n_rej = segkit_read_result_n_rejects(res);
    for (size_t i = 0; i < n_rej && i < 5 && !a->quiet; i++) {
      const segkit_reject *r = segkit_read_result_reject(res, i);
      segkit_error e;
      segkit_error_set_at(&e, SEGKIT_ERR_PARSE, path, r->line, r->column, r->field, "%s",
                          r->message);
      char buf[1200];
      segkit_error_format(&e, buf, sizeof buf);
      fprintf(stderr, "  rejected: %s\n", buf);
    }
  }
  segkit_read_result_free(res);
  segkit_workspace_close(ws);
  cli_read_setup_free(&setup);
  return rc;
}

const cli_verb cli_verb_import = {
    .name = "import",
    .summary = "import a CSV or JSON Lines file into a dataset, validated, as one transaction",
    .usage = "segkit import FILE --as NAME [--key COL] [--mode MODE] [--on-error MODE] [--type COL=TYPE ...]",
    .description =
        "Column types are inferred from the first rows (--infer-rows) unless fixed with --type\n"
        "or --schema. Every bad row is reported as file:line:column with what was expected.\n"
        "With --on-error=fail (default) the first bad row stops the import and nothing is\n"
        "stored; skip imports the good rows and counts the bad ones by reason; quarantine also\n"
        "keeps each bad row, raw, in the workspace (see `segkit quarantine NAME`). The import\n"
        "is one transaction: interrupted at any point, the workspace holds all of it or none.",
    .opts = import_opts,
    .n_opts = sizeof import_opts / sizeof import_opts[0],
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_import,
};
