/* segkit serve: the HTTP/JSON API (docs/api.md) over the workspace, until SIGINT or
 * SIGTERM. The signals are blocked before the server's threads start (they inherit the
 * mask) and taken with sigwait on the main thread, so no handler runs inside libmicrohttpd
 * and the stop is an ordinary call: requests in flight finish, then the process exits 0. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "segkit/server.h"

static const cli_opt serve_opts[] = {
    {"port", CLI_OPT_VALUE, "N", "TCP port (default 8080; 0 picks a free one, printed at start)"},
    {"bind", CLI_OPT_VALUE, "ADDR", "IPv4 address to listen on (default 127.0.0.1)"},
    {"max-body", CLI_OPT_VALUE, "BYTES",
     "largest request body; larger ones get 413 (default 1048576)"},
    {"max-connections", CLI_OPT_VALUE, "N", "open connections at once (default 256)"},
    {"timeout", CLI_OPT_VALUE, "SECONDS", "close a connection idle this long (default 30)"},
    {"cache-mb", CLI_OPT_VALUE, "N",
     "MiB of loaded datasets kept between requests (default 512; 0: none)"},
    {"max-upload", CLI_OPT_VALUE, "BYTES",
     "largest import upload, streamed to a temporary file (default 268435456)"},
    {"cors-origin", CLI_OPT_VALUE, "ORIGIN",
     "a web page origin allowed to call the API from a browser (e.g. https://app.example.com, or "
     "*)"},
};

static void log_line(void *ctx, const char *message) {
  (void)ctx;
  fprintf(stderr, "segkit: server: %s\n", message);
}

static int run_serve(cli_args *a) {
  if (a->n_positional > 0) {
    return cli_usage_error("serve", "unexpected argument '%s'", a->positional[0]);
  }
  int64_t port = 8080;
  int64_t max_body = 1 << 20;
  int64_t max_conn = 256;
  int64_t timeout = 30;
  int64_t cache_mb = 512;
  int64_t max_upload = (int64_t)256 << 20;
  if (!cli_get_int(a, "port", 0, 65535, &port) ||
      !cli_get_int(a, "max-body", 1, (int64_t)1 << 32, &max_body) ||
      !cli_get_int(a, "max-connections", 1, 100000, &max_conn) ||
      !cli_get_int(a, "timeout", 1, 86400, &timeout) ||
      !cli_get_int(a, "cache-mb", 0, (int64_t)1 << 20, &cache_mb) ||
      !cli_get_int(a, "max-upload", 1, (int64_t)1 << 40, &max_upload)) {
    return CLI_EXIT_USAGE;
  }
  if (a->threads > 256) {
    return cli_usage_error("serve", "--threads must be at most 256");
  }
  /* Opening through the CLI gives the usual messages for a missing or foreign file. */
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  segkit_workspace_close(ws);
  if (rc != 0) {
    return rc;
  }
  segkit_server_options opt;
  segkit_server_options_init(&opt);
  opt.workspace = cli_workspace_path(a);
  if (cli_get(a, "bind") != NULL) {
    opt.bind = cli_get(a, "bind");
  }
  opt.port = (uint16_t)port;
  opt.max_body = (size_t)max_body;
  opt.max_connections = (unsigned)max_conn;
  opt.timeout_s = (unsigned)timeout;
  opt.cache_bytes = (size_t)cache_mb << 20;
  opt.max_upload = (size_t)max_upload;
  opt.cors_origin = cli_get(a, "cors-origin");
  if (a->threads > 0) {
    opt.threads = (unsigned)a->threads;
  }
  opt.log = log_line;

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

  segkit_server *srv = NULL;
  segkit_error err;
  if (segkit_server_start(&opt, &srv, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  printf("segkit %s serving %s on http://%s:%u/ (%u threads); SIGINT or SIGTERM stops it\n",
         segkit_version(), opt.workspace, opt.bind, (unsigned)segkit_server_port(srv),
         opt.threads);
  fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  segkit_server_stop(srv);
  if (!a->quiet) {
    fprintf(stderr, "segkit: stopped on %s\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  }
  return 0;
}

const cli_verb cli_verb_serve = {
    .name = "serve",
    .summary = "serve the workspace as an HTTP/JSON API (docs/api.md)",
    .usage = "segkit serve [--workspace PATH] [--port N] [--bind ADDR] [--max-body BYTES] "
             "[--threads N] [--max-connections N] [--timeout SECONDS] [--cache-mb N] "
             "[--max-upload BYTES] [--cors-origin ORIGIN]",
    .description =
        "Serves /api/v1/ (datasets and imports, segments, counts, members and CSV exports,\n"
        "snapshots and diffs, keys) and /openapi.json. Every endpoint but /api/v1/health and\n"
        "/openapi.json needs a key from\n"
        "`segkit key create` as 'Authorization: Bearer KEY'. The first line of output names the\n"
        "address (with the port chosen when --port is 0). --threads sets the worker pool\n"
        "(default 4). Loaded datasets are kept between requests (--cache-mb) and reloaded when\n"
        "they change. Stops cleanly on SIGINT or SIGTERM.",
    .opts = serve_opts,
    .n_opts = sizeof serve_opts / sizeof serve_opts[0],
    .run = run_serve,
};
