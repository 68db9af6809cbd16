/* Opening the workspace for a verb, with the messages a user needs when it is missing. */
#include <stdlib.h>
#include <sys/stat.h>

#include "cli.h"

int cli_open_workspace(const cli_args *a, bool create, segkit_workspace **out) {
  const char *path = cli_workspace_path(a);
  struct stat st;
  if (!create && stat(path, &st) != 0) {
    fprintf(stderr,
            "segkit: %s: no workspace here (create one with `segkit init --workspace %s`, or "
            "point --workspace / SEGKIT_WORKSPACE at an existing one)\n",
            path, path);
    return CLI_EXIT_DATA;
  }
  segkit_error err;
  segkit_error_clear(&err);
  unsigned flags = create ? SEGKIT_WORKSPACE_CREATE : 0;
  if (segkit_workspace_open(path, flags, out, &err) != SEGKIT_OK) {
    if (err.file[0] == '\0') {
      segkit_error e2 = err;
      segkit_error_set_at(&err, e2.code, path, 0, 0, NULL, "%s", e2.message);
    }
    return cli_report(&err);
  }
  char actor[128];
  cli_actor_name(actor, sizeof actor);
  if (segkit_workspace_set_actor(*out, actor, &err) != SEGKIT_OK) {
    segkit_workspace_close(*out);
    *out = NULL;
    return cli_report(&err);
  }
  return 0;
}

void cli_actor_name(char *buf, size_t size) {
  const char *user = getenv("USER");
  if (user == NULL || user[0] == '\0') {
    user = getenv("LOGNAME");
  }
  snprintf(buf, size, "cli:%s", user != NULL && user[0] != '\0' ? user : "unknown");
}

const char *cli_time_text(int64_t us, char *buf, size_t size) {
  char iso[40];
  segkit_format_timestamp(us - us % SEGKIT_US_PER_SEC, iso, sizeof iso);
  /* "YYYY-MM-DDTHH:MM:SSZ" -> "YYYY-MM-DD HH:MM:SS" */
  snprintf(buf, size, "%.10s %.8s", iso, iso + 11);
  return buf;
}
