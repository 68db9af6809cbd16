/* segkit audit: the workspace's audit log, newest first. */
#include "cli.h"

static const cli_opt audit_opts[] = {
    {"limit", CLI_OPT_VALUE, "N", "show at most N entries (default 20; 0 = all)"},
};

static int run_audit(cli_args *a) {
  int64_t limit = 20;
  if (!cli_get_int(a, "limit", 0, INT64_MAX, &limit)) {
    return CLI_EXIT_USAGE;
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  segkit_error err;
  segkit_audit_list *list = NULL;
  if (segkit_workspace_audit(ws, (size_t)limit, &list, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
    segkit_workspace_close(ws);
    return rc;
  }
  static const char *const headers[] = {"id", "at", "actor", "action", "target", "detail"};
  cli_grid *g = cli_grid_new(6, headers);
  for (size_t i = 0; g != NULL && i < list->n; i++) {
    const segkit_audit_entry *e = &list->items[i];
    char when[40];
    cli_grid_row(g);
    cli_grid_int(g, e->id);
    if (a->format == CLI_FORMAT_TABLE) {
      cli_grid_text(g, cli_time_text(e->at_us, when, sizeof when));
    } else {
      segkit_format_timestamp(e->at_us, when, sizeof when);
      cli_grid_text(g, when);
    }
    cli_grid_text(g, e->actor);
    cli_grid_text(g, e->action);
    cli_grid_text(g, e->target);
    cli_grid_text(g, e->detail_json);
  }
  if (g != NULL) {
    cli_grid_row(g);
  }
  if (!cli_grid_print(g, a->format, stdout)) {
    rc = CLI_EXIT_ENV;
  }
  cli_grid_free(g);
  segkit_audit_list_free(list);
  segkit_workspace_close(ws);
  return rc;
}

const cli_verb cli_verb_audit = {
    .name = "audit",
    .summary = "show the audit log: every import and drop, who, when, with counts",
    .usage = "segkit audit [--limit N] [--format table|csv|json]",
    .opts = audit_opts,
    .n_opts = sizeof audit_opts / sizeof audit_opts[0],
    .run = run_audit,
};
