/* segkit init: create a workspace file (or check and migrate an existing one). */
#include "cli.h"

static int run_init(cli_args *a) {
  if (a->n_positional > 0) {
    return cli_usage_error("init", "unexpected argument '%s'", a->positional[0]);
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, true, &ws);
  if (rc != 0) {
    return rc;
  }
  if (!a->quiet) {
    printf("workspace %s ready (schema version %d)\n", segkit_workspace_path(ws),
           segkit_workspace_schema_version(ws));
  }
  segkit_workspace_close(ws);
  return CLI_EXIT_OK;
}

const cli_verb cli_verb_init = {
    .name = "init",
    .summary = "create a workspace (one SQLite file), or upgrade an existing one",
    .usage = "segkit init [--workspace PATH]",
    .description = "Creates the workspace file if it does not exist. On an existing workspace it\n"
                   "checks the file and applies pending schema migrations. Safe to run twice.",
    .run = run_init,
};
