/* The views of the report module over HTTP: GET /api/v1/views lists them (which have their
 * data, and why not), GET /api/v1/views/{name} computes one; the query string carries the
 * view's options (segment, by, metric, months, rates, dataset names; docs/report.md). The
 * JSON is segkit_view's, unchanged, so the dashboard and the HTML report read the same
 * documents.
 *
 * Key design choice: the server keeps one views handle per process and reuses it, because
 * a handle caches the datasets and MRR results it loaded, and on a large workspace loading
 * is most of a view's time (bench/run views: on 1 M customers a first call costs seconds, a
 * cached one milliseconds). The handle is current while the workspace's newest audit entry
 * is the one it was opened at: every import, drop, segment or model saved is audited, so a
 * change opens a new handle. A handle is used by one thread at a time, so view requests
 * take turns on it (the other endpoints do not wait).
 *
 * A new handle is warmed in the background: a thread computes every view with its default
 * options, one at a time (requests may take the handle between two), so that the dashboard's
 * first look at each view after a start or a change is answered from memory rather than
 * after seconds of loading (bench/run views). */
#include <pthread.h>
#include <stdint.h>
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

/* The process's views handle (the one piece of shared state of this file). */
static struct {
  pthread_mutex_t lock;
  segkit_views *views;
  char *workspace;
  int64_t version;
  uint64_t generation;       /* bumped with every new handle: a warm-up of an older one stops */
} g_views = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0, 0};

/* Compute every view of handle `generation` while it is still the current one. */
static void *warm(void *arg) {
  uint64_t generation = (uint64_t)(uintptr_t)arg;
  for (size_t i = 0; i < segkit_view_count(); i++) {
    pthread_mutex_lock(&g_views.lock);
    bool current = g_views.views != NULL && g_views.generation == generation;
    if (current) {
      char *text = NULL;
      segkit_error err;
      if (segkit_view(g_views.views, segkit_view_name(i), NULL, 0, &text, &err) == SEGKIT_OK) {
        free(text);
      }
    }
    pthread_mutex_unlock(&g_views.lock);
    if (!current) {
      break;
    }
  }
  return NULL;
}

/* The workspace's newest audit entry id: changes when anything is imported, dropped or
 * saved. -1 when it cannot be read (then no handle is trusted). */
static int64_t workspace_version(const sk_request *req, sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    return -2;
  }
  segkit_audit_list *l = NULL;
  segkit_error err;
  int64_t v = -1;
  if (segkit_workspace_audit(ws, 1, &l, &err) == SEGKIT_OK) {
    v = l->n > 0 ? l->items[0].id : 0;
  }
  segkit_audit_list_free(l);
  segkit_workspace_close(ws);
  return v;
}

/* With g_views.lock held: a handle current for the request's workspace, or NULL (out
 * filled). */
static segkit_views *current_views(const sk_request *req, sk_reply *out) {
  int64_t version = workspace_version(req, out);
  if (version == -2) {
    return NULL;
  }
  bool same = g_views.views != NULL && version >= 0 && version == g_views.version &&
              strcmp(g_views.workspace, req->workspace) == 0;
  if (same) {
    return g_views.views;
  }
  segkit_views_close(g_views.views);
  free(g_views.workspace);
  g_views.views = NULL;
  g_views.workspace = strdup(req->workspace);
  segkit_error err;
  segkit_error_clear(&err);
  if (g_views.workspace == NULL) {
    sk__reply_error(out, 500, "internal", "out of memory");
    return NULL;
  }
  if (segkit_views_open(req->workspace, NULL, 0, &g_views.views, &err) != SEGKIT_OK) {
    g_views.views = NULL;
    sk__reply_from_error(out, &err);
    return NULL;
  }
  g_views.version = version;
  g_views.generation++;
  pthread_t t;
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) == 0) {
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* without a warm-up thread the views are computed on first request, as before */
    (void)pthread_create(&t, &attr, warm, (void *)(uintptr_t)g_views.generation);
    pthread_attr_destroy(&attr);
  }
  return g_views.views;
}

/* name NULL: the list. */
static void answer(const sk_request *req, const char *name, sk_reply *out) {
  segkit_view_param params[32];
  size_t n = query_params(req, params, 32);
  pthread_mutex_lock(&g_views.lock);
  segkit_views *v = current_views(req, out);
  char *text = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  segkit_status st = SEGKIT_OK;
  if (v != NULL) {
    if (name != NULL) {
      st = segkit_view(v, name, params, n, &text, &err);
    } else if (n > 0) {
      /* the list takes the dataset options: they decide what is available */
      segkit_views *once = NULL;
      st = segkit_views_open(req->workspace, params, n, &once, &err);
      if (st == SEGKIT_OK) {
        st = segkit_views_list(once, &text, &err);
      }
      segkit_views_close(once);
    } else {
      st = segkit_views_list(v, &text, &err);
    }
  }
  pthread_mutex_unlock(&g_views.lock);
  if (v == NULL) {
    return;
  }
  if (st != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    reply_text(out, text);
  }
}

void sk__get_views(const sk_request *req, sk_reply *out) { answer(req, NULL, out); }

void sk__get_view(const sk_request *req, sk_reply *out) { answer(req, req->match->params[0], out); }
