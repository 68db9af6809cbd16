/* segkit datasets: list the datasets in the workspace. */
#include "cli.h"

static int run_datasets(cli_args *a) {
  if (a->n_positional > 0) {
    return cli_usage_error("datasets", "unexpected argument '%s'", a->positional[0]);
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  segkit_error err;
  segkit_dataset_list *list = NULL;
  if (segkit_workspace_list_datasets(ws, &list, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
    segkit_workspace_close(ws);
    return rc;
  }
  static const char *const headers[] = {"name", "rows", "columns", "imported_at", "source",
                                        "key", "batches", "quarantined"};
  cli_grid *g = cli_grid_new(8, headers);
  for (size_t i = 0; g != NULL && i < list->n; i++) {
    const segkit_dataset_info *d = &list->items[i];
    char when[40];
    cli_grid_row(g);
    cli_grid_text(g, d->name);
    cli_grid_int(g, d->n_rows);
    cli_grid_int(g, d->n_cols);
    if (a->format == CLI_FORMAT_TABLE) {
      cli_grid_text(g, cli_time_text(d->imported_at_us, when, sizeof when));
    } else {
      segkit_format_timestamp(d->imported_at_us, when, sizeof when);
      cli_grid_text(g, when);
    }
    cli_grid_text(g, d->source);
    cli_grid_text(g, d->key);
    cli_grid_int(g, d->n_batches);
    cli_grid_int(g, d->n_quarantined);
  }
  if (g != NULL) {
    cli_grid_row(g);
  }
  if (list->n == 0 && a->format == CLI_FORMAT_TABLE) {
    printf("no datasets yet (import one with `segkit import FILE --as NAME`)\n");
  } else if (!cli_grid_print(g, a->format, stdout)) {
    rc = CLI_EXIT_ENV;
  }
  cli_grid_free(g);
  segkit_dataset_list_free(list);
  segkit_workspace_close(ws);
  return rc;
}

const cli_verb cli_verb_datasets = {
    .name = "datasets",
    .summary = "list datasets: name, rows, columns, imported at, source",
    .usage = "segkit datasets [--workspace PATH] [--format table|csv|json]",
    .description = "--format json gives a list of objects with name, rows, columns, imported_at\n"
                   "(ISO 8601, UTC), source, key, batches and quarantined.",
    .run = run_datasets,
};
