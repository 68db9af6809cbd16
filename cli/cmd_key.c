/* segkit key: API keys of the HTTP server (segkit serve). create prints the new key alone
 * on the last line of its output, the only time it is shown (only its Argon2id hash is
 * stored); list shows ids, names, roles and times, never a key; revoke refuses a key from
 * the next request on. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segkit/server.h"

static const cli_opt key_opts[] = {
    {"role", CLI_OPT_VALUE, "read|write|admin", "what the new key may do (create)"},
    {"name", CLI_OPT_VALUE, "LABEL", "a label for the new key, e.g. who holds it (create)"},
};

static int sub_create(cli_args *a, segkit_workspace *ws) {
  if (a->n_positional != 1) {
    return cli_usage_error("key", "expected: key create --role read|write|admin [--name LABEL]");
  }
  if (cli_get(a, "role") == NULL) {
    return cli_usage_error("key", "key create needs --role read|write|admin");
  }
  segkit_error err;
  segkit_server_role role;
  if (segkit_server_role_parse(cli_get(a, "role"), &role, &err) != SEGKIT_OK) {
    return cli_usage_error("key", "%s", err.message);
  }
  char actor[128];
  cli_actor_name(actor, sizeof actor);
  char *key = NULL;
  char *id = NULL;
  if (segkit_server_key_create(ws, role, cli_get(a, "name"), actor, &key, &id, &err) !=
      SEGKIT_OK) {
    return cli_report(&err);
  }
  if (a->format == CLI_FORMAT_JSON) {
    json_t *j = json_pack("{s:s, s:s, s:s?, s:s}", "id", id, "role",
                          segkit_server_role_name(role), "name", cli_get(a, "name"), "key", key);
    json_dumpf(j, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(j);
  } else {
    if (!a->quiet) {
      printf("created %s key %s%s%s; it is shown once, store it now:\n",
             segkit_server_role_name(role), id, cli_get(a, "name") != NULL ? " named " : "",
             cli_get(a, "name") != NULL ? cli_get(a, "name") : "");
    }
    printf("%s\n", key);
  }
  free(key);
  free(id);
  return 0;
}

static int sub_list(cli_args *a, segkit_workspace *ws) {
  segkit_server_key_list *l = NULL;
  segkit_error err;
  if (segkit_server_keys(ws, &l, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  static const char *const headers[] = {"id", "name", "role", "created_at", "last_used_at",
                                        "revoked_at"};
  cli_grid *g = cli_grid_new(6, headers);
  for (size_t i = 0; g != NULL && i < l->n; i++) {
    const segkit_server_key_info *k = &l->items[i];
    char when[40];
    cli_grid_row(g);
    cli_grid_text(g, k->id);
    if (k->name != NULL) {
      cli_grid_text(g, k->name);
    } else {
      cli_grid_null(g);
    }
    cli_grid_text(g, segkit_server_role_name(k->role));
    const int64_t times[] = {k->created_at_us, k->last_used_at_us, k->revoked_at_us};
    for (size_t t = 0; t < 3; t++) {
      if (t > 0 && times[t] == 0) {
        cli_grid_null(g);
      } else {
        segkit_format_timestamp(times[t], when, sizeof when);
        cli_grid_text(g, when);
      }
    }
  }
  int rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  segkit_server_key_list_free(l);
  return rc;
}

static int sub_revoke(cli_args *a, segkit_workspace *ws) {
  if (a->n_positional != 2) {
    return cli_usage_error("key", "expected: key revoke ID");
  }
  char actor[128];
  cli_actor_name(actor, sizeof actor);
  segkit_error err;
  if (segkit_server_key_revoke(ws, a->positional[1], actor, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  if (!a->quiet) {
    printf("revoked key %s\n", a->positional[1]);
  }
  return 0;
}

static int run_key(cli_args *a) {
  if (a->n_positional < 1) {
    return cli_usage_error("key", "expected a subcommand: create, list, revoke");
  }
  const char *sub = a->positional[0];
  bool known = strcmp(sub, "create") == 0 || strcmp(sub, "list") == 0 ||
               strcmp(sub, "revoke") == 0;
  if (!known) {
    return cli_usage_error("key", "unknown subcommand '%s' (create, list, revoke)", sub);
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  if (strcmp(sub, "create") == 0) {
    rc = sub_create(a, ws);
  } else if (strcmp(sub, "list") == 0) {
    rc = sub_list(a, ws);
  } else {
    rc = sub_revoke(a, ws);
  }
  segkit_workspace_close(ws);
  return rc;
}

const cli_verb cli_verb_key = {
    .name = "key",
    .summary = "API keys of the HTTP server: create, list, revoke",
    .usage = "segkit key create --role read|write|admin [--name LABEL] | list | revoke ID",
    .description =
        "create makes a random key and prints it alone on the last line of its output: that is\n"
        "the only time it is shown, only its Argon2id hash is stored. Send it to `segkit serve`\n"
        "as 'Authorization: Bearer KEY'. Roles are ordered: read (every GET) < write (create and\n"
        "delete segments) < admin. list shows ids, names, roles and times, never a key; revoke ID\n"
        "refuses the key from the next request on. Creating and revoking are audited.",
    .opts = key_opts,
    .n_opts = sizeof key_opts / sizeof key_opts[0],
    .run = run_key,
};
