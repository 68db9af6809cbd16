/* segkit drop: remove a dataset with its batches and quarantined rows. */
#include "cli.h"

static int run_drop(cli_args *a) {
  if (a->n_positional != 1) {
    return cli_usage_error("drop", "expected one dataset name");
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  segkit_error err;
  if (segkit_workspace_drop(ws, a->positional[0], &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else if (!a->quiet) {
    printf("dropped dataset '%s'\n", a->positional[0]);
  }
  segkit_workspace_close(ws);
  return rc;
}

const cli_verb cli_verb_drop = {
    .name = "drop",
    .summary = "remove a dataset, its batches and its quarantined rows",
    .usage = "segkit drop NAME [--workspace PATH]",
    .description = "The removal is recorded in the audit log.",
    .run = run_drop,
};
