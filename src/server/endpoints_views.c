/* The views of the report module over HTTP: GET /api/v1/views lists them (which have their
 * data, and why not), GET /api/v1/views/{name} computes one; the query string carries the
 * view's options (segment, by, metric, months, rates, dataset names; docs/report.md). The
 * JSON is segkit_view's, unchanged, so the dashboard and the HTML report read the same
 * documents.
 *
 * Each request opens its own views handle on the workspace (read-only), as every handler
 * opens its own workspace connection (endpoints_meta.c): concurrent requests share
 * nothing, and each sees one committed state of the workspace. */
#include <stdlib.h>
#include <string.h>

#include "segkit/report.h"
#include "server/server_int.h"

/* The request's query arguments that are view options. */
static size_t query_params(const sk_request *req, segkit_view_param *params, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < segkit_view_option_count() && n < cap; i++) {
    const char *name = segkit_view_option_name(i);
    const char *value = req->query != NULL ? req->query(req->query_ctx, name) : NULL;
    if (value != NULL) {
      params[n++] = (segkit_view_param){name, value};
    }
  }
  return n;
}

static void reply_text(sk_reply *out, char *text) {
  json_error_t jerr;
  json_t *body = json_loads(text, 0, &jerr);
  free(text);
  if (body == NULL) {
    sk__reply_error(out, 500, "internal", "a view wrote malformed JSON: %s", jerr.text);
    return;
  }
  sk__reply_json(out, 200, body);
}

static segkit_views *open_views(const sk_request *req, sk_reply *out) {
  segkit_view_param params[32];
  size_t n = query_params(req, params, 32);
  segkit_views *v = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  if (segkit_views_open(req->workspace, params, n, &v, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
    return NULL;
  }
  return v;
}

void sk__get_views(const sk_request *req, sk_reply *out) {
  segkit_views *v = open_views(req, out);
  if (v == NULL) {
    return;
  }
  char *text = NULL;
  segkit_error err;
  if (segkit_views_list(v, &text, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    reply_text(out, text);
  }
  segkit_views_close(v);
}

void sk__get_view(const sk_request *req, sk_reply *out) {
  segkit_views *v = open_views(req, out);
  if (v == NULL) {
    return;
  }
  char *text = NULL;
  segkit_error err;
  if (segkit_view(v, req->match->params[0], NULL, 0, &text, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    reply_text(out, text);
  }
  segkit_views_close(v);
}
