/* The public endpoints (health, the OpenAPI document) and what every handler shares: the
 * request's own workspace connection and the audit actor of its key.
 *
 * Each request opens the workspace itself rather than borrowing a shared handle: a handle
 * is used by one thread at a time (workspace.h), and SQLite in WAL mode gives every
 * connection a consistent snapshot, so a reader never sees a segment half-written by a
 * concurrent POST. Opening costs a few hundred microseconds, small next to loading a
 * dataset. */
#include <stdio.h>
#include <string.h>

#include "segkit/datetime.h"

#include "segkit/version.h"
#include "server/server_int.h"

segkit_workspace *sk__request_workspace(const sk_request *req, bool write, sk_reply *out) {
  segkit_workspace *ws = NULL;
  segkit_error err;
  unsigned flags = write ? 0u : (unsigned)SEGKIT_WORKSPACE_READONLY;
  if (segkit_workspace_open(req->workspace, flags, &ws, &err) != SEGKIT_OK) {
    sk__reply_error(out, 503, "workspace_unavailable", "cannot open the workspace: %s",
                    err.message);
    return NULL;
  }
  return ws;
}

void sk__eval_options(const sk_request *req, segkit_segeval_options *opt) {
  segkit_segeval_options_init(opt);
  opt->n_threads = 1;
  opt->loader = req->loader;
  opt->indexer = req->indexer;
}

bool sk__query_as_of(const sk_request *req, int64_t *now_us, sk_reply *out) {
  const char *text = req->query != NULL ? req->query(req->query_ctx, "as_of") : NULL;
  if (text == NULL) {
    return true;
  }
  int32_t days = 0;
  if (segkit_parse_timestamp(text, strlen(text), now_us)) {
    return true;
  }
  if (segkit_parse_date(text, strlen(text), &days)) {
    *now_us = (int64_t)days * SEGKIT_US_PER_DAY;
    return true;
  }
  sk__reply_error(out, 400, "invalid_parameter",
                  "query parameter 'as_of' must be YYYY-MM-DD or an ISO 8601 time, not '%s'", text);
  return false;
}

void sk__actor_of(const sk_principal *who, char *buf, size_t size) {
  snprintf(buf, size, "key:%s", who != NULL ? who->id : "anonymous");
}

void sk__get_health(const sk_request *req, sk_reply *out) {
  (void)req;
  /* views_warm: every view has been computed in the background since the server's views
   * handle was opened (at the start, and at the first view request after a change);
   * segments_warm: the stored segments were evaluated once after the start's views. */
  bool segments = false;
  bool views = sk__views_warm(&segments);
  sk__reply_json(out, 200,
                 json_pack("{s:s, s:s, s:b, s:b}", "status", "ok", "version", segkit_version(),
                           "views_warm", views, "segments_warm", segments));
}

void sk__get_openapi(const sk_request *req, sk_reply *out) {
  (void)req;
  json_error_t jerr;
  json_t *doc = json_loads(segkit_server_openapi(), 0, &jerr);
  if (doc == NULL) {
    sk__reply_error(out, 500, "internal", "the built-in OpenAPI document is malformed: %s",
                    jerr.text);
    return;
  }
  sk__reply_json(out, 200, doc);
}
