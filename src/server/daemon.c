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
#include <unistd.h>

#include "server/server_int.h"

struct segkit_server {
  struct MHD_Daemon *daemon;
  sk_auth *auth;
  sk_table_cache *cache;
  segkit_segeval_loader loader; /* over cache */
  segkit_segeval_indexer indexer; /* over cache */
  char *cors_origin;            /* allowed cross-origin caller, or NULL */
  size_t max_upload;
  char *workspace;
  size_t max_body;
  uint16_t port;
  void (*log)(void *ctx, const char *message);
  void *log_ctx;
  bool views_started; /* sk__views_start was called: sk__views_stop at the stop */
};

/* A request in progress (libmicrohttpd's per-request pointer). */
typedef struct conn_state {
  char *body;
  size_t len;
  size_t cap;
  bool too_large;
  /* An import upload: the body goes to a temporary file, up to max_upload. */
  bool upload;
  FILE *file;
  char path[256];
} conn_state;

void segkit_server_options_init(segkit_server_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->bind = "127.0.0.1";
  opt->max_body = (size_t)1 << 20;
  opt->threads = 4;
  opt->max_connections = 256;
  opt->timeout_s = 30;
  opt->cache_bytes = (size_t)512 << 20;
  opt->max_upload = (size_t)256 << 20;
}

/* ---- replies ---------------------------------------------------------------------------- */

/* Headers every response carries: no MIME sniffing of what we send; and, when the server
 * allows a cross-origin caller (--cors-origin) and this request comes from it, the CORS
 * headers (Vary: Origin, since the answer depends on it). */
static void common_headers(const segkit_server *srv, struct MHD_Connection *c,
                           struct MHD_Response *resp) {
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  if (srv->cors_origin == NULL) {
    return;
  }
  const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
  bool any = strcmp(srv->cors_origin, "*") == 0;
  if (origin != NULL && (any || strcmp(origin, srv->cors_origin) == 0)) {
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", any ? "*" : origin);
    MHD_add_response_header(resp, "Access-Control-Expose-Headers", "Content-Disposition, ETag");
    MHD_add_response_header(resp, "Vary", "Origin");
  }
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  sk_reply *r = cls;
  long n = r->stream(r->stream_ctx, pos, buf, max);
  return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void stream_done(void *cls) {
  sk_reply *r = cls;
  sk__reply_clear(r);
  free(r);
}

/* A streamed reply: the reply moves to the heap and libmicrohttpd owns it from here. */
static struct MHD_Response *stream_response(sk_reply *r) {
  sk_reply *owned = malloc(sizeof *owned);
  if (owned == NULL) {
    return NULL;
  }
  *owned = *r;
  memset(r, 0, sizeof *r);
  struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                                stream_reader, owned, stream_done);
  if (resp == NULL) {
    stream_done(owned);
    return NULL;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, owned->content_type);
  if (owned->disposition[0] != '\0') {
    MHD_add_response_header(resp, "Content-Disposition", owned->disposition);
  }
  return resp;
}

static struct MHD_Response *json_response(sk_reply *r, unsigned *status) {
  size_t len = 0;
  char *text = sk__reply_text(r, &len);
  if (text == NULL) {
    static const char oom[] =
        "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
    text = strdup(oom);
    len = text != NULL ? strlen(text) : 0;
    *status = 500;
  }
  if (text == NULL) {
    return NULL;
  }
  struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
  if (resp == NULL) {
    free(text);
    return NULL;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  if (r->etag[0] != '\0') {
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
  }
  return resp;
}

static enum MHD_Result send_reply(const segkit_server *srv, struct MHD_Connection *c, sk_reply *r) {
  unsigned status = r->status;
  struct MHD_Response *resp = r->stream != NULL ? stream_response(r) : json_response(r, &status);
  if (resp == NULL) {
    return MHD_NO;
  }
  /* API answers are per key and per moment: never stored by a cache. */
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  common_headers(srv, c, resp);
  enum MHD_Result ret = MHD_queue_response(c, status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result send_error(const segkit_server *srv, struct MHD_Connection *c,
                                  unsigned status, const char *code, const char *message) {
  sk_reply r = {.status = 0};
  sk__reply_error(&r, status, code, "%s", message);
  enum MHD_Result ret = send_reply(srv, c, &r);
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
    *ret = send_error(srv, c, 401, "unauthorized",
                      "this endpoint needs an API key: send 'Authorization: Bearer KEY'");
    return false;
  }
  if (a == SK_AUTH_INVALID) {
    *ret = send_error(srv, c, 401, "unauthorized", "the API key is unknown, revoked or wrong");
    return false;
  }
  if (a == SK_AUTH_ERROR) {
    sk_reply r = {.status = 0};
    sk__reply_from_error(&r, &err);
    *ret = send_reply(srv, c, &r);
    sk__reply_clear(&r);
    return false;
  }
  if (route != NULL && who->role < route->min_role) {
    char message[160];
    snprintf(message, sizeof message, "this needs a key with the %s role; key %s has %s",
             segkit_server_role_name(route->min_role), who->id,
             segkit_server_role_name(who->role));
    *ret = send_error(srv, c, 403, "forbidden", message);
    return false;
  }
  return true;
}

/* The methods a path has ("GET, POST, OPTIONS"); false when it has none. */
static bool allowed_methods(const sk_route *routes, size_t n, const char *path, char *buf,
                            size_t size) {
  static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
    sk_match m;
    if (sk__route(routes, n, methods[i], path, &m) == SK_ROUTE_FOUND) {
      used += (size_t)snprintf(buf + used, size - used, "%s, ", methods[i]);
    }
  }
  if (used == 0) {
    return false;
  }
  snprintf(buf + used, size - used, "OPTIONS");
  return true;
}

/* OPTIONS on a path that exists: 204 with Allow, and for a CORS preflight from the allowed
 * origin what it may send. Preflights carry no key, so this needs none. */
static enum MHD_Result preflight(const segkit_server *srv, struct MHD_Connection *c,
                                 const char *allow) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  if (resp == NULL) {
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Allow", allow);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  common_headers(srv, c, resp);
  const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
  if (srv->cors_origin != NULL && origin != NULL &&
      (strcmp(srv->cors_origin, "*") == 0 || strcmp(origin, srv->cors_origin) == 0)) {
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", allow);
    MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                            "Authorization, Content-Type, If-Match");
    MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
  }
  enum MHD_Result ret = MHD_queue_response(c, 204, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result dispatch(segkit_server *srv, struct MHD_Connection *c, const char *url,
                                const char *method, conn_state *cs) {
  int queued = MHD_NO;
  if (sk__static_serve(c, method, url, &queued)) {
    return (enum MHD_Result)queued;
  }
  size_t n_routes = 0;
  const sk_route *routes = sk__api_routes(&n_routes);
  char allow[64];
  if (strcmp(method, "OPTIONS") == 0 &&
      allowed_methods(routes, n_routes, url, allow, sizeof allow)) {
    return preflight(srv, c, allow);
  }
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
    return send_error(srv, c, 405, "method_not_allowed", message);
  }
  if (rr != SK_ROUTE_FOUND) {
    char message[600];
    snprintf(message, sizeof message, "no endpoint at %.500s (see /openapi.json)", url);
    return send_error(srv, c, 404, "not_found", message);
  }
  if (cs->file != NULL && fflush(cs->file) != 0) {
    return send_error(srv, c, 503, "workspace_unavailable",
                      "the upload could not be written to a temporary file (disk full?)");
  }
  sk_request req = {
      .workspace = srv->workspace,
      .match = &m,
      .body = cs->body != NULL ? cs->body : "",
      .body_len = cs->len,
      .body_path = cs->upload ? cs->path : NULL,
      .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
      .if_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MATCH),
      .who = public_route ? NULL : &who,
      .query = query_arg,
      .query_ctx = c,
      .loader = &srv->loader,
      .indexer = &srv->indexer,
  };
  sk_reply r = {.status = 500};
  m.route->handler(&req, &r);
  ret = send_reply(srv, c, &r);
  sk__reply_clear(&r);
  return ret;
}

/* ---- libmicrohttpd callbacks ------------------------------------------------------------- */

static enum MHD_Result too_large(segkit_server *srv, struct MHD_Connection *c,
                                 const conn_state *cs) {
  char message[160];
  snprintf(message, sizeof message, "the request body is over the limit of %zu bytes%s",
           cs->upload ? srv->max_upload : srv->max_body,
           cs->upload ? " for an upload (--max-upload)" : "");
  return send_error(srv, c, 413, "payload_too_large", message);
}

/* Whether the request is an import upload, whose body is streamed to a file. */
static bool is_upload(const char *method, const char *url) {
  size_t n_routes = 0;
  const sk_route *routes = sk__api_routes(&n_routes);
  sk_match m;
  return sk__route(routes, n_routes, method, url, &m) == SK_ROUTE_FOUND &&
         m.route->handler == sk__post_dataset_import;
}

/* An upload's headers: the key is checked before any of the body is taken (a stranger
 * cannot make the server write hundreds of MB), the declared length against max_upload,
 * then a temporary file (TMPDIR, else /tmp) is opened for the body. */
static enum MHD_Result start_upload(segkit_server *srv, struct MHD_Connection *c, const char *url,
                                    conn_state *cs) {
  size_t n_routes = 0;
  const sk_route *routes = sk__api_routes(&n_routes);
  sk_match m;
  sk__route(routes, n_routes, "POST", url, &m);
  sk_principal who;
  enum MHD_Result ret = MHD_NO;
  cs->upload = true;
  if (!authorise(srv, c, m.route, &who, &ret)) {
    return ret;
  }
  const char *length =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (length != NULL && strtoull(length, NULL, 10) > srv->max_upload) {
    return too_large(srv, c, cs);
  }
  const char *dir = getenv("TMPDIR");
  snprintf(cs->path, sizeof cs->path, "%s/segkit-upload-XXXXXX",
           dir != NULL && dir[0] != '\0' ? dir : "/tmp");
  int fd = mkstemp(cs->path);
  cs->file = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (cs->file == NULL) {
    if (fd >= 0) {
      close(fd);
      unlink(cs->path);
    }
    return send_error(srv, c, 503, "workspace_unavailable",
                      "cannot create a temporary file for the upload (TMPDIR)");
  }
  return MHD_YES;
}

/* Append a piece of body, or mark the request too large (the rest is then dropped). An
 * upload is written to its file and counted, never held. */
static void take_body(segkit_server *srv, conn_state *cs, const char *data, size_t size) {
  size_t limit = cs->upload ? srv->max_upload : srv->max_body;
  if (cs->too_large || size > limit - cs->len) {
    cs->too_large = true;
    return;
  }
  if (cs->upload) {
    if (fwrite(data, 1, size, cs->file) != size) {
      cs->too_large = true; /* answered 413: the server cannot hold it */
    }
    cs->len += size;
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
    if (is_upload(method, url)) {
      return start_upload(srv, c, url, cs);
    }
    const char *length =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != NULL && strtoull(length, NULL, 10) > srv->max_body) {
      return too_large(srv, c, cs);
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    take_body(srv, cs, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (cs->too_large) {
    return too_large(srv, c, cs);
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
    if (cs->file != NULL) {
      fclose(cs->file);
      unlink(cs->path);
    }
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
  srv->max_upload = opt->max_upload;
  if (opt->cors_origin != NULL) {
    srv->cors_origin = strdup(opt->cors_origin);
    if (srv->cors_origin == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  }
  srv->log = opt->log;
  srv->log_ctx = opt->log_ctx;
  if (srv->workspace == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  if (s == SEGKIT_OK) {
    s = sk__auth_new(&srv->auth, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__cache_new(opt->cache_bytes, &srv->cache, err);
    srv->loader.acquire = sk__cache_acquire;
    srv->loader.release = sk__cache_release;
    srv->loader.ctx = srv->cache;
    srv->indexer.acquire = sk__cache_index;
    srv->indexer.ctx = srv->cache;
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
  /* Warm the views now, in the background, so the dashboard's first look after a start is
   * answered from memory; the start and /api/v1/health do not wait for it. */
  sk__views_start(srv->workspace, srv->log, srv->log_ctx, &srv->loader, &srv->indexer);
  srv->views_started = true;
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
  if (server->views_started) {
    /* no request is running any more: only the warm-ups are left, joined before the cache
     * they may use is freed */
    sk__views_stop(&server->loader);
  }
  sk__auth_free(server->auth);
  sk__cache_free(server->cache);
  free(server->cors_origin);
  free(server->workspace);
  free(server);
}
