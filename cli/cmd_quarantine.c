/* segkit quarantine: show the rows an import rejected and kept, with their reasons. */
#include "cli.h"

static const cli_opt quarantine_opts[] = {
    {"limit", CLI_OPT_VALUE, "N", "show at most N rows (default 50; 0 = all)"},
};

static int run_quarantine(cli_args *a) {
  if (a->n_positional != 1) {
    return cli_usage_error("quarantine", "expected one dataset name");
  }
  int64_t limit = 50;
  if (!cli_get_int(a, "limit", 0, INT64_MAX, &limit)) {
    return CLI_EXIT_USAGE;
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  segkit_error err;
  segkit_quarantine_list *list = NULL;
  if (segkit_workspace_quarantine(ws, a->positional[0], (size_t)limit, &list, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
    segkit_workspace_close(ws);
    return rc;
  }
  static const char *const headers[] = {"batch", "line", "column", "field", "reason", "message", "raw"};
  cli_grid *g = cli_grid_new(7, headers);
  for (size_t i = 0; g != NULL && i < list->n; i++) {
    const segkit_quarantined_row *q = &list->items[i];
    cli_grid_row(g);
    cli_grid_int(g, q->batch_id);
    cli_grid_int(g, q->line);
    cli_grid_int(g, q->column);
    cli_grid_text(g, q->field);
    cli_grid_text(g, q->reason);
    cli_grid_text(g, q->message);
    cli_grid_text(g, q->raw);
  }
  if (g != NULL) {
    cli_grid_row(g);
  }
  if (!cli_grid_print(g, a->format, stdout)) {
    rc = CLI_EXIT_ENV;
  }
  cli_grid_free(g);
  segkit_quarantine_list_free(list);
  segkit_workspace_close(ws);
  return rc;
}

const cli_verb cli_verb_quarantine = {
    .name = "quarantine",
    .summary = "show rows an import rejected and kept (--on-error=quarantine)",
    .usage = "segkit quarantine NAME [--limit N] [--format table|csv|json]",
    .description = "Each row is shown raw, as it was in the file, with the line and column of the\n"
                   "problem and the reason. In table output control characters are escaped.",
    .opts = quarantine_opts,
    .n_opts = sizeof quarantine_opts / sizeof quarantine_opts[0],
    .run = run_quarantine,
};
