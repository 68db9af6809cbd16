/* The daemon: libmicrohttpd on a pool of threads, limits, bodies in, JSON replies out.
 *
 * libmicrohttpd calls the access handler several times per request: once with the
 * headers, once per piece of body, and once more with no data when the body is complete.
 * The body is gathered into a buffer whose ceiling is max_body: a Content-Length above it
 * is answered 413 before any of the body is read, and a chunked body that grows past it is
 * dropped as it arrives and answered 413 at the end, so memory per connection stays
 * bounded. Then the request is routed, authenticated (auth.c), checked against the
 * route's role, and handed to the route's handler, which never sees libmicrohttpd.
 *
 * Limits come from libmicrohttpd itself: a connection limit, an idle timeout, a fixed
 * pool of threads (MHD_OPTION_THREAD_POOL_SIZE, each with its own poll loop). The library
 * prints nothing: libmicrohttpd's messages go to the caller's log callback. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/server_int.h"

struct segkit_server {
  struct MHD_Daemon *daemon;
  sk_auth *auth;
  char *workspace;
  size_t max_body;
  uint16_t port;
  void (*log)(void *ctx, const char *message);
  void *log_ctx;
};

/* A request in progress (libmicrohttpd's per-request pointer). */
typedef struct conn_state {
  char *body;
  size_t len;
  size_t cap;
  bool too_large;
} conn_state;

void segkit_server_options_init(segkit_server_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->bind = "127.0.0.1";
  opt->max_body = (size_t)1 << 20;
  opt->threads = 4;
  opt->max_connections = 256;
  opt->timeout_s = 30;
}

/* ---- replies ---------------------------------------------------------------------------- */

static enum MHD_Result send_reply(struct MHD_Connection *c, sk_reply *r) {
  size_t len = 0;
  char *text = sk__reply_text(r, &len);
  unsigned status = r->status;
  if (text == NULL) {
    static const char oom[] =
        "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
    text = strdup(oom);
    len = text != NULL ? strlen(text) : 0;
    status = 500;
  }
  if (text == NULL) {
    return MHD_NO;
  }
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
  if (resp == NULL) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  enum MHD_Result ret = MHD_queue_response(c, status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code,
                                  const char *message) {
  sk_reply r = {0, NULL};
  sk__reply_error(&r, status, code, "%s", message);
  enum MHD_Result ret = send_reply(c, &r);
  sk__reply_clear(&r);
  return ret;
}

/* ---- dispatch ------------------------------------------------------------------------- */

static const char *query_arg(void *ctx, const char *name) {
  return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* Authenticate for a route that needs a role (route NULL: an unknown path, which still
 * needs a key, so the API's shape is not shown to strangers). false: reply sent in *ret. */
static bool authorise(segkit_server *srv, struct MHD_Connection *c, const sk_route *route,
                      sk_principal *who, enum MHD_Result *ret) {
  const char *header =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  segkit_error err;
  sk_auth_result a = sk__auth_check(srv->auth, srv->workspace, header, who, &err);
  if (a == SK_AUTH_MISSING) {
    *ret = send_error(c, 401, "unauthorized",
                      "this endpoint needs an API key: send 'Authorization: Bearer KEY'");
    return false;
  }
  if (a == SK_AUTH_INVALID) {
    *ret = send_error(c, 401, "unauthorized", "the API key is unknown, revoked or wrong");
    return false;
  }
  if (a == SK_AUTH_ERROR) {
    sk_reply r = {0, NULL};
    sk__reply_from_error(&r, &err);
    *ret = send_reply(c, &r);
    sk__reply_clear(&r);
    return false;
  }
  if (route != NULL && who->role < route->min_role) {
    char message[160];
    snprintf(message, sizeof message, "this needs a key with the %s role; key %s has %s",
             segkit_server_role_name(route->min_role), who->id,
             segkit_server_role_name(who->role));
    *ret = send_error(c, 403, "forbidden", message);
    return false;
  }
  return true;
}

static enum MHD_Result dispatch(segkit_server *srv, struct MHD_Connection *c, const char *url,
                                const char *method, conn_state *cs) {
  int queued = MHD_NO;
  if (sk__static_serve(c, method, url, &queued)) {
    return (enum MHD_Result)queued;
  }
  size_t n_routes = 0;
  const sk_route *routes = sk__api_routes(&n_routes);
  sk_match m;
  sk_route_result rr = sk__route(routes, n_routes, method, url, &m);
  bool public_route = rr == SK_ROUTE_FOUND && m.route->min_role == 0;
  sk_principal who;
  memset(&who, 0, sizeof who);
  enum MHD_Result ret = MHD_NO;
  if (!public_route && !authorise(srv, c, rr == SK_ROUTE_FOUND ? m.route : NULL, &who, &ret)) {
    return ret;
  }
  if (rr == SK_ROUTE_NO_METHOD) {
    char message[600];
    snprintf(message, sizeof message, "%s is not allowed on %.500s", method, url);
    return send_error(c, 405, "method_not_allowed", message);
  }
  if (rr != SK_ROUTE_FOUND) {
    char message[600];
    snprintf(message, sizeof message, "no endpoint at %.500s (see /openapi.json)", url);
    return send_error(c, 404, "not_found", message);
  }
  sk_request req = {
      .workspace = srv->workspace,
      .match = &m,
      .body = cs->body != NULL ? cs->body : "",
      .body_len = cs->len,
      .who = public_route ? NULL : &who,
      .query = query_arg,
      .query_ctx = c,
  };
  sk_reply r = {500, NULL};
  m.route->handler(&req, &r);
  ret = send_reply(c, &r);
  sk__reply_clear(&r);
  return ret;
}

/* ---- libmicrohttpd callbacks ------------------------------------------------------------- */

static enum MHD_Result too_large(segkit_server *srv, struct MHD_Connection *c) {
  char message[128];
  snprintf(message, sizeof message, "the request body is over the limit of %zu bytes",
           srv->max_body);
  return send_error(c, 413, "payload_too_large", message);
}

/* Append a piece of body, or mark the request too large (the rest is then dropped). */
static void take_body(segkit_server *srv, conn_state *cs, const char *data, size_t size) {
  if (cs->too_large || size > srv->max_body - cs->len) {
    cs->too_large = true;
    return;
  }
  if (cs->len + size + 1 > cs->cap) {
    size_t cap = cs->cap * 2 > cs->len + size + 1 ? cs->cap * 2 : cs->len + size + 1;
    char *grown = realloc(cs->body, cap);
    if (grown == NULL) {
      cs->too_large = true;  /* answered 413: the server cannot hold it */
      return;
    }
    cs->body = grown;
    cs->cap = cap;
  }
  memcpy(cs->body + cs->len, data, size);
  cs->len += size;
  cs->body[cs->len] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
  (void)version;
  segkit_server *srv = cls;
  conn_state *cs = *req_cls;
  if (cs == NULL) {
    cs = calloc(1, sizeof *cs);
    if (cs == NULL) {
      return MHD_NO;
    }
    *req_cls = cs;
    const char *length =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != NULL && strtoull(length, NULL, 10) > srv->max_body) {
      return too_large(srv, c);
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    take_body(srv, cs, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (cs->too_large) {
    return too_large(srv, c);
  }
  return dispatch(srv, c, url, method, cs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  conn_state *cs = *req_cls;
  if (cs != NULL) {
    free(cs->body);
    free(cs);
    *req_cls = NULL;
  }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  segkit_server *srv = cls;
  if (srv->log == NULL) {
    return;
  }
  char message[1024];
  vsnprintf(message, sizeof message, fmt, ap);
  size_t n = strlen(message);
  while (n > 0 && message[n - 1] == '\n') {
    message[--n] = '\0';
  }
  srv->log(srv->log_ctx, message);
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static segkit_status check_options(const segkit_server_options *opt, struct sockaddr_in *addr,
                                   segkit_error *err) {
  if (opt->workspace == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "the server needs a workspace");
  }
  if (opt->threads < 1 || opt->threads > 256) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "threads",
                               "threads must be from 1 to 256, not %u", opt->threads);
  }
  if (opt->max_body < 1 || opt->max_connections < 1 || opt->timeout_s < 1) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "max_body, max_connections and timeout_s must be positive");
  }
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons(opt->port);
  const char *bind = opt->bind != NULL ? opt->bind : "127.0.0.1";
  if (inet_pton(AF_INET, bind, &addr->sin_addr) != 1) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "bind",
                               "'%s' is not an IPv4 address", bind);
  }
  return SEGKIT_OK;
}

segkit_status segkit_server_start(const segkit_server_options *opt, segkit_server **out,
                                  segkit_error *err) {
  struct sockaddr_in addr;
  segkit_status s = check_options(opt, &addr, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  /* Open once here: a missing or foreign file is reported now rather than per request, and
   * an older workspace is migrated (the api_keys table) before requests read it. */
  segkit_workspace *ws = NULL;
  s = segkit_workspace_open(opt->workspace, 0, &ws, err);
  segkit_workspace_close(ws);
  if (s != SEGKIT_OK) {
    return s;
  }
  segkit_server *srv = calloc(1, sizeof *srv);
  if (srv == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  srv->workspace = strdup(opt->workspace);
  srv->max_body = opt->max_body;
  srv->log = opt->log;
  srv->log_ctx = opt->log_ctx;
  if (srv->workspace == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  if (s == SEGKIT_OK) {
    s = sk__auth_new(&srv->auth, err);
  }
  if (s != SEGKIT_OK) {
    segkit_server_stop(srv);
    return s;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
  srv->daemon = MHD_start_daemon(
      flags, opt->port, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
      srv, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
      opt->threads, MHD_OPTION_CONNECTION_LIMIT, opt->max_connections,
      MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
      srv, MHD_OPTION_END);
  if (srv->daemon == NULL) {
    segkit_server_stop(srv);
    return segkit_error_set(err, SEGKIT_ERR_IO,
                            "cannot listen on %s:%u (is the port in use?)",
                            opt->bind != NULL ? opt->bind : "127.0.0.1", (unsigned)opt->port);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
  srv->port = info != NULL ? info->port : opt->port;
  *out = srv;
  return SEGKIT_OK;
}

uint16_t segkit_server_port(const segkit_server *server) {
  return server != NULL ? server->port : 0;
}

void segkit_server_stop(segkit_server *server) {
  if (server == NULL) {
    return;
  }
  if (server->daemon != NULL) {
    MHD_stop_daemon(server->daemon);
  }
  sk__auth_free(server->auth);
  free(server->workspace);
  free(server);
}
