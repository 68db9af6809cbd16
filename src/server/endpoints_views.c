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
 * change opens a new handle. A handle is used by one thread at a time, so computations
 * take turns on it; an answer already computed is kept by the server too and served
 * without the handle, so it never waits behind another view being computed, and neither
 * does the views list (kept per workspace version); the other endpoints do not wait.
 *
 * A handle is warmed in the background: from the server's start (once it listens, so
 * neither the start nor /api/v1/health waits), and on each new handle, a thread computes
 * every view that has its data with the default options, then each stored segment's page
 * views, one at a time (requests may take the handle between two), so that the
 * dashboard's first look at each view is answered from memory rather than after seconds of
 * loading (bench/run dashboard). A request that brings new dataset options (a user's
 * rates) starts a warm-up with them. Warm-up threads are joined when the last server
 * stops; health's views_warm says whether the newest handle is warm. */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
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

/* The process's views handle. Its lock is held while a view is computed (up to seconds),
 * so nothing that must answer at once takes it: the list and the warm-up's bookkeeping
 * have their own lock (g_state), taken after this one when both are needed. */
static struct {
  pthread_mutex_t lock;
  segkit_views *views;
  char *workspace;
  int64_t version;
  uint64_t generation; /* bumped with every new handle: a warm-up of an older one stops */
} g_views = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0, 0};

/* A warm-up thread, joined at the last server's stop (or once done, at the next start). */
typedef struct warmer {
  struct warmer *next;
  pthread_t thread;
  bool done;
  uint64_t generation; /* the handle it warms; 0: the start's, which opens one first */
  /* Dataset options every view is computed with (as a request gave them), owned. */
  segkit_view_param options[8];
  size_t n_options;
  /* The start's: the server's table cache, through which it evaluates every stored
   * segment once (tables loaded, facts indexed) after the views; NULL for the others. */
  const segkit_segeval_loader *loader;
  const segkit_segeval_indexer *indexer;
  bool quit; /* its server is stopping (g_state.lock) */
} warmer;

static void warmer_free(warmer *w) {
  for (size_t i = 0; i < w->n_options; i++) {
    free((char *)w->options[i].name);
    free((char *)w->options[i].value);
  }
  free(w);
}

/* The options of a request that choose the data (docs/report.md's dataset options): a
 * dashboard sends the same ones (its rates) with every view, so the warm-up uses them. */
static bool is_dataset_option(const char *name) {
  static const char *const names[] = {"subscriptions", "customers", "transactions", "survey",
                                      "rates"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(name, names[i]) == 0) {
      return true;
    }
  }
  return false;
}

/* The warm-up's call of a view: `options` and the segment (or none) into out, in the
 * order of segkit_view_option_name, which is the order a request's options come in
 * (query_params), so that the answer is kept under the key the request will ask with. */
static size_t call_params(const warmer *w, const char *segment, segkit_view_param *out,
                          size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < segkit_view_option_count() && n < cap; i++) {
    const char *name = segkit_view_option_name(i);
    if (segment != NULL && strcmp(name, "segment") == 0) {
      out[n++] = (segkit_view_param){name, segment};
    }
    for (size_t k = 0; k < w->n_options && n < cap; k++) {
      if (strcmp(w->options[k].name, name) == 0) {
        out[n++] = w->options[k];
      }
    }
  }
  return n;
}

/* An answer computed on the views handle, kept by the server too so that a request for it
 * does not wait behind a view being computed (the handle is used by one thread at a time,
 * and a warm-up computing insights holds it for a second). */
typedef struct kept_answer {
  struct kept_answer *next;
  char *key; /* name|option=value|..., the request's options in their order */
  char *json;
} kept_answer;

static struct {
  pthread_mutex_t lock;
  int servers;   /* started and not stopped: the state is torn down when none is left */
  bool stopping; /* the last server is stopping: warm-ups quit, none is started */
  warmer *warmers;
  uint64_t current; /* generation of the newest handle */
  uint64_t warmed;  /* generation whose warm-up completed */
  bool segments_warm; /* the start's evaluation of the stored segments completed */
  /* The dataset options the last warm-up with a request's options used, and its handle. */
  char *options_key;
  uint64_t options_generation;
  /* Answers of the handle of (answers_path, answers_version). */
  kept_answer *answers;
  char *answers_path;
  int64_t answers_version;
  void (*log)(void *ctx, const char *message);
  void *log_ctx;
  char *workspace; /* the served one (the first server's): the start's warm-up opens it */
  /* GET /api/v1/views without options: the list of workspace at list_version. */
  int64_t list_version;
  char *list_text;
} g_state = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* "name|opt=value|..." of a call into buf; false when it does not fit (then not kept). */
static bool answer_key(const char *name, const segkit_view_param *params, size_t n, char *buf,
                       size_t size) {
  size_t used = (size_t)snprintf(buf, size, "%s", name);
  for (size_t i = 0; i < n && used < size; i++) {
    used += (size_t)snprintf(buf + used, size - used, "|%s=%s", params[i].name, params[i].value);
  }
  return used < size;
}

/* With g_state.lock held: drop the kept answers. */
static void forget_answers(void) {
  for (kept_answer *a = g_state.answers; a != NULL;) {
    kept_answer *next = a->next;
    free(a->key);
    free(a->json);
    free(a);
    a = next;
  }
  g_state.answers = NULL;
  free(g_state.answers_path);
  g_state.answers_path = NULL;
}

/* Keep the answer `json` of a call on the handle of (path, version); an answer of an
 * older handle's replaces the older ones. */
static void keep_answer(const char *path, int64_t version, const char *name,
                        const segkit_view_param *params, size_t n, const char *json) {
  char key[2048];
  if (version < 0 || !answer_key(name, params, n, key, sizeof key)) {
    return;
  }
  pthread_mutex_lock(&g_state.lock);
  if (g_state.answers_path == NULL || strcmp(g_state.answers_path, path) != 0 ||
      g_state.answers_version != version) {
    forget_answers();
    g_state.answers_path = strdup(path);
    g_state.answers_version = version;
  }
  bool have = false;
  for (kept_answer *a = g_state.answers; a != NULL && !have; a = a->next) {
    have = strcmp(a->key, key) == 0;
  }
  kept_answer *a = have || g_state.answers_path == NULL ? NULL : calloc(1, sizeof *a);
  if (a != NULL) {
    a->key = strdup(key);
    a->json = strdup(json);
    if (a->key == NULL || a->json == NULL) {
      free(a->key);
      free(a->json);
      free(a);
    } else {
      a->next = g_state.answers;
      g_state.answers = a;
    }
  }
  pthread_mutex_unlock(&g_state.lock);
}

/* A copy of the kept answer of a call on the handle of (path, version), or NULL. */
static char *kept_answer_of(const char *path, int64_t version, const char *name,
                            const segkit_view_param *params, size_t n) {
  char key[2048];
  if (version < 0 || !answer_key(name, params, n, key, sizeof key)) {
    return NULL;
  }
  char *json = NULL;
  pthread_mutex_lock(&g_state.lock);
  if (g_state.answers_path != NULL && strcmp(g_state.answers_path, path) == 0 &&
      g_state.answers_version == version) {
    for (kept_answer *a = g_state.answers; a != NULL && json == NULL; a = a->next) {
      if (strcmp(a->key, key) == 0) {
        json = strdup(a->json);
      }
    }
  }
  pthread_mutex_unlock(&g_state.lock);
  return json;
}

static bool stopping(void) {
  pthread_mutex_lock(&g_state.lock);
  bool s = g_state.stopping;
  pthread_mutex_unlock(&g_state.lock);
  return s;
}

/* Whether warm-up w is to stop: the last server is stopping, or w's own. */
static bool quitting(const warmer *w) {
  pthread_mutex_lock(&g_state.lock);
  bool q = g_state.stopping || w->quit;
  pthread_mutex_unlock(&g_state.lock);
  return q;
}

static void log_line(const char *fmt, ...) SEGKIT_PRINTF(1, 2);
static void log_line(const char *fmt, ...) {
  char message[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&g_state.lock);
  if (g_state.log != NULL) {
    g_state.log(g_state.log_ctx, message);
  }
  pthread_mutex_unlock(&g_state.lock);
}

/* With g_views.lock held: compute view `name` (params: n of them) on handle `generation`
 * if it is still the current one, so that its answer is kept; false once it is not (or
 * the server is stopping). */
static bool warm_one(const warmer *w, uint64_t generation, const char *name,
                     const segkit_view_param *params, size_t n) {
  pthread_mutex_lock(&g_views.lock);
  bool current = g_views.views != NULL && g_views.generation == generation && !quitting(w);
  if (current) {
    char *text = NULL;
    segkit_error err;
    if (segkit_view(g_views.views, name, params, n, &text, &err) == SEGKIT_OK) {
      keep_answer(g_views.workspace, g_views.version, name, params, n, text);
      free(text);
    }
  }
  pthread_mutex_unlock(&g_views.lock);
  return current;
}

/* The views list ({"views": [{"name", "available", ...}]}) of the workspace at path with
 * w's dataset options, on a handle of its own (cheap: nothing is computed), or NULL. */
static json_t *available_views(const char *path, const warmer *w) {
  segkit_views *once = NULL;
  char *text = NULL;
  segkit_error err;
  json_t *list = NULL;
  if (segkit_views_open(path, w->options, w->n_options, &once, &err) == SEGKIT_OK &&
      segkit_views_list(once, &text, &err) == SEGKIT_OK) {
    list = json_loads(text, 0, NULL);
  }
  free(text);
  segkit_views_close(once);
  return list;
}

/* Whether the list says view `name` has its data (true when there is no list). */
static bool is_available(const json_t *list, const char *name) {
  if (list == NULL) {
    return true;
  }
  size_t i;
  const json_t *v;
  json_array_foreach(json_object_get(list, "views"), i, v) {
    const char *n = json_string_value(json_object_get(v, "name"));
    if (n != NULL && strcmp(n, name) == 0) {
      return json_is_true(json_object_get(v, "available"));
    }
  }
  return true;
}

static segkit_status list_views(const char *path, int64_t version, char **text, segkit_error *err);

/* Compute every view of handle `generation` while it is still the current one, then the
 * views a segment's page shows (the dashboard's segment page: overview, movements,
 * survival, cohorts against the rest) for every stored segment, so that a first visit to
 * a segment is answered from memory too (bench/run dashboard: 0.4-1 s cold on 1 M
 * customers, about 1 ms kept). */
static void warm_generation(uint64_t generation, const warmer *w) {
  int64_t t0 = segkit_now_us();
  bool current = true;
  pthread_mutex_lock(&g_views.lock);
  char *path = g_views.workspace != NULL ? strdup(g_views.workspace) : NULL;
  int64_t version = g_views.version;
  pthread_mutex_unlock(&g_views.lock);
  json_t *list = NULL;
  if (path != NULL && w->n_options == 0) {
    /* the list GET /api/v1/views answers: computed (and kept) now, not at the first ask */
    char *text = NULL;
    segkit_error err;
    if (list_views(path, version, &text, &err) == SEGKIT_OK) {
      list = json_loads(text, 0, NULL);
    }
    free(text);
  } else if (path != NULL) {
    list = available_views(path, w);
  }
  segkit_view_param params[16];
  size_t n = call_params(w, NULL, params, 16);
  /* Without a subscription history (overview unavailable) the segments view is only the
   * segments' sizes, cheap on request; and computing it then overflows in the report's
   * month_range (view_billing.c: the last month of no history is INT32_MIN), which would
   * stop a server built with UBSan: left to the request until the report mends it. */
  bool history = is_available(list, "overview");
  /* The views without their data first: they answer at once, and once kept a request for
   * one never waits behind the others being computed. */
  for (int with_data = 0; with_data < 2; with_data++) {
    for (size_t i = 0; current && i < segkit_view_count(); i++) {
      const char *name = segkit_view_name(i);
      if (is_available(list, name) == (with_data == 1) &&
          (history || strcmp(name, "segments") != 0)) {
        current = warm_one(w, generation, name, params, n);
      }
    }
  }
  segkit_workspace *ws = NULL;
  segkit_segment_list *segs = NULL;
  segkit_error err;
  if (path == NULL || !current ||
      segkit_workspace_open(path, SEGKIT_WORKSPACE_READONLY, &ws, &err) != SEGKIT_OK ||
      segkit_workspace_segments(ws, NULL, &segs, &err) != SEGKIT_OK) {
    segs = NULL;
  }
  segkit_workspace_close(ws);
  free(path);
  static const char *const page[] = {"overview", "mrr_movements", "survival", "cohorts"};
  for (size_t s = 0; current && segs != NULL && s < segs->n; s++) {
    n = call_params(w, segs->items[s].name, params, 16);
    for (size_t v = 0; current && v < sizeof page / sizeof page[0]; v++) {
      if (is_available(list, page[v])) {
        current = warm_one(w, generation, page[v], params, n);
      }
    }
  }
  size_t n_segs = segs != NULL ? segs->n : 0;
  segkit_segment_list_free(segs);
  json_decref(list);
  if (current) {
    pthread_mutex_lock(&g_state.lock);
    if (g_state.current == generation) {
      g_state.warmed = generation;
    }
    pthread_mutex_unlock(&g_state.lock);
    log_line("views warmed in %.1f s (every view, %zu segments' pages%s)",
             (double)(segkit_now_us() - t0) / 1e6, n_segs,
             w->n_options > 0 ? ", with the options of a request" : "");
  }
}

/* The workspace's newest audit entry id: changes when anything is imported, dropped or
 * saved. -1 when it cannot be read (then no handle is trusted), -2 when the workspace
 * cannot be opened (err filled). */
static int64_t workspace_version(const char *path, segkit_error *err) {
  segkit_workspace *ws = NULL;
  if (segkit_workspace_open(path, SEGKIT_WORKSPACE_READONLY, &ws, err) != SEGKIT_OK) {
    return -2;
  }
  segkit_audit_list *l = NULL;
  segkit_error aerr;
  int64_t v = -1;
  if (segkit_workspace_audit(ws, 1, &l, &aerr) == SEGKIT_OK) {
    v = l->n > 0 ? l->items[0].id : 0;
  }
  segkit_audit_list_free(l);
  segkit_workspace_close(ws);
  return v;
}

static void *warm_main(void *arg);

/* With g_state.lock held: start a warm-up of handle `generation` (0: open one first) with
 * dataset options `options` (copied), kept to be joined. Without a thread the views are
 * computed on first request, as before. */
static warmer *spawn_warmer(uint64_t generation, const segkit_view_param *options, size_t n) {
  for (warmer **p = &g_state.warmers; *p != NULL;) {
    warmer *w = *p;
    if (w->done) { /* it has returned (or is returning): joining does not wait */
      *p = w->next;
      pthread_join(w->thread, NULL);
      warmer_free(w);
    } else {
      p = &w->next;
    }
  }
  warmer *w = calloc(1, sizeof *w);
  if (w == NULL) {
    return NULL;
  }
  w->generation = generation;
  for (size_t i = 0; i < n && i < sizeof w->options / sizeof w->options[0]; i++) {
    char *name = strdup(options[i].name);
    char *value = strdup(options[i].value);
    w->options[w->n_options++] = (segkit_view_param){name, value};
    if (name == NULL || value == NULL) {
      warmer_free(w);
      return NULL;
    }
  }
  w->next = g_state.warmers;
  g_state.warmers = w;
  return w;
}

/* With g_state.lock held: run warmer w (spawn_warmer's), or drop it when no thread starts.
 * Split from spawn_warmer so that the caller can fill w before its thread reads it. */
static void run_warmer(warmer *w) {
  if (w != NULL && pthread_create(&w->thread, NULL, warm_main, w) != 0) {
    g_state.warmers = w->next; /* it is the head: spawn_warmer put it there */
    warmer_free(w);
  }
}

/* With g_views.lock held: a handle current for workspace `path` at `version`, opened (and
 * its warm-up started unless `warm_here`, whose caller warms it itself) when the one kept
 * is not; NULL with err filled when it cannot be opened. *generation: the handle's. */
static segkit_views *ensure_current(const char *path, int64_t version, bool warm_here,
                                    uint64_t *generation, segkit_error *err) {
  bool same = g_views.views != NULL && version >= 0 && version == g_views.version &&
              strcmp(g_views.workspace, path) == 0;
  if (same) {
    *generation = g_views.generation;
    return g_views.views;
  }
  segkit_views_close(g_views.views);
  free(g_views.workspace);
  g_views.views = NULL;
  g_views.workspace = strdup(path);
  if (g_views.workspace == NULL) {
    segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    return NULL;
  }
  if (segkit_views_open(path, NULL, 0, &g_views.views, err) != SEGKIT_OK) {
    g_views.views = NULL;
    return NULL;
  }
  g_views.version = version;
  g_views.generation++;
  *generation = g_views.generation;
  pthread_mutex_lock(&g_state.lock);
  g_state.current = g_views.generation;
  if (!warm_here && !g_state.stopping) {
    run_warmer(spawn_warmer(g_views.generation, NULL, 0));
  }
  pthread_mutex_unlock(&g_state.lock);
  return g_views.views;
}

/* The start's warm-up, after the views: evaluate every stored segment once through the
 * server's cache, so that the first count of a rule over the transactions finds them
 * loaded and indexed by customer (bench/run dashboard: 0.8-2 s cold on 19.8 M rows, about
 * 40-80 ms then). */
static void warm_segments(const warmer *w) {
  if (w->loader == NULL || quitting(w)) {
    return;
  }
  int64_t t0 = segkit_now_us();
  pthread_mutex_lock(&g_state.lock);
  char *path = g_state.workspace != NULL ? strdup(g_state.workspace) : NULL;
  pthread_mutex_unlock(&g_state.lock);
  segkit_workspace *ws = NULL;
  segkit_segment_list *segs = NULL;
  segkit_error err;
  if (path == NULL ||
      segkit_workspace_open(path, SEGKIT_WORKSPACE_READONLY, &ws, &err) != SEGKIT_OK ||
      segkit_workspace_segments(ws, NULL, &segs, &err) != SEGKIT_OK) {
    segs = NULL;
  }
  free(path);
  size_t n_ok = 0;
  for (size_t i = 0; segs != NULL && i < segs->n && !quitting(w); i++) {
    segkit_segeval_options opt;
    segkit_segeval_options_init(&opt);
    opt.n_threads = 1; /* beside the requests, as a request evaluates */
    opt.loader = w->loader;
    opt.indexer = w->indexer;
    segkit_segeval *ev = NULL;
    n_ok += segkit_segeval_segment(ws, segs->items[i].name, &opt, &ev, NULL, &err) == SEGKIT_OK;
    segkit_segeval_free(ev);
  }
  if (!quitting(w)) {
    pthread_mutex_lock(&g_state.lock);
    g_state.segments_warm = true;
    pthread_mutex_unlock(&g_state.lock);
  }
  if (segs != NULL && segs->n > 0) {
    log_line("segments evaluated in %.1f s (%zu of %zu; their tables kept)",
             (double)(segkit_now_us() - t0) / 1e6, n_ok, segs->n);
  }
  segkit_segment_list_free(segs);
  segkit_workspace_close(ws);
}

/* A warm-up thread: the start's opens the handle (the workspace as it is at the start),
 * then every warm-up computes its handle's views. */
static void *warm_main(void *arg) {
  warmer *w = arg;
  uint64_t generation = w->generation;
  if (generation == 0) {
    pthread_mutex_lock(&g_state.lock);
    char *path = g_state.workspace != NULL ? strdup(g_state.workspace) : NULL;
    pthread_mutex_unlock(&g_state.lock);
    segkit_error err;
    segkit_error_clear(&err);
    int64_t version = path != NULL ? workspace_version(path, &err) : -2;
    if (version >= 0 && !stopping()) {
      pthread_mutex_lock(&g_views.lock);
      if (ensure_current(path, version, true, &generation, &err) == NULL) {
        generation = 0;
      }
      pthread_mutex_unlock(&g_views.lock);
    }
    if (generation == 0) {
      log_line("views not warmed: %s", err.message[0] != '\0' ? err.message : "no workspace");
    }
    free(path);
  }
  if (generation != 0) {
    warm_generation(generation, w);
  }
  warm_segments(w);
  pthread_mutex_lock(&g_state.lock);
  w->done = true;
  pthread_mutex_unlock(&g_state.lock);
  return NULL;
}

void sk__views_start(const char *workspace, void (*log)(void *ctx, const char *message),
                     void *log_ctx, const segkit_segeval_loader *loader,
                     const segkit_segeval_indexer *indexer) {
  pthread_mutex_lock(&g_state.lock);
  g_state.stopping = false;
  if (g_state.servers++ == 0) {
    g_state.log = log;
    g_state.log_ctx = log_ctx;
  }
  if (g_state.workspace == NULL) {
    g_state.workspace = strdup(workspace);
    g_state.list_version = -1;
  }
  warmer *w = spawn_warmer(0, NULL, 0);
  if (w != NULL) {
    w->loader = loader;
    w->indexer = indexer;
  }
  run_warmer(w);
  pthread_mutex_unlock(&g_state.lock);
}

void sk__views_stop(const segkit_segeval_loader *loader) {
  pthread_mutex_lock(&g_state.lock);
  if (g_state.servers == 0) {
    pthread_mutex_unlock(&g_state.lock);
    return;
  }
  bool last = --g_state.servers == 0;
  if (last) {
    g_state.stopping = true;
    g_state.log = NULL;
    g_state.log_ctx = NULL;
  }
  /* Warm-ups quit at their next step (one in progress finishes first): join them, all of
   * them at the last stop, else those using this server's cache (freed after this). */
  for (;;) {
    warmer **p = &g_state.warmers;
    while (*p != NULL && !last && (loader == NULL || (*p)->loader != loader)) {
      p = &(*p)->next;
    }
    warmer *w = *p;
    if (w == NULL) {
      break;
    }
    *p = w->next;
    w->quit = true;
    pthread_mutex_unlock(&g_state.lock);
    pthread_join(w->thread, NULL);
    warmer_free(w);
    pthread_mutex_lock(&g_state.lock);
  }
  if (!last) {
    pthread_mutex_unlock(&g_state.lock);
    return;
  }
  free(g_state.workspace);
  free(g_state.list_text);
  free(g_state.options_key);
  g_state.options_key = NULL;
  forget_answers();
  g_state.options_generation = 0;
  g_state.workspace = NULL;
  g_state.list_text = NULL;
  g_state.current = 0;
  g_state.warmed = 0;
  g_state.segments_warm = false;
  pthread_mutex_unlock(&g_state.lock);
  pthread_mutex_lock(&g_views.lock);
  segkit_views_close(g_views.views);
  free(g_views.workspace);
  g_views.views = NULL;
  g_views.workspace = NULL;
  g_views.version = 0;
  pthread_mutex_unlock(&g_views.lock);
}

bool sk__views_warm(bool *segments) {
  pthread_mutex_lock(&g_state.lock);
  bool warm = g_state.current != 0 && g_state.warmed == g_state.current;
  *segments = g_state.segments_warm;
  pthread_mutex_unlock(&g_state.lock);
  return warm;
}

/* With g_views.lock held, after a view request on handle `generation`: when the request
 * chose its data with options (the dashboard's rates) that no warm-up of this handle has
 * used, warm every view with them too, so the dashboard's next views are answered from
 * memory even when the workspace keeps no settings. */
static void warm_like(uint64_t generation, const segkit_view_param *params, size_t n) {
  segkit_view_param options[8];
  size_t k = 0;
  char key[1024];
  size_t used = 0;
  key[0] = '\0';
  for (size_t i = 0; i < n && k < 8; i++) {
    if (is_dataset_option(params[i].name)) {
      options[k++] = params[i];
      used += (size_t)snprintf(key + used, used < sizeof key ? sizeof key - used : 0, "%s=%s|",
                               params[i].name, params[i].value);
    }
  }
  if (k == 0 || used >= sizeof key) {
    return; /* none, or too long to remember: computed on request */
  }
  pthread_mutex_lock(&g_state.lock);
  bool known = g_state.options_generation == generation && g_state.options_key != NULL &&
               strcmp(g_state.options_key, key) == 0;
  char *copy = known ? NULL : strdup(key);
  if (copy != NULL && !g_state.stopping) {
    free(g_state.options_key);
    g_state.options_key = copy;
    g_state.options_generation = generation;
    run_warmer(spawn_warmer(generation, options, k));
  } else {
    free(copy);
  }
  pthread_mutex_unlock(&g_state.lock);
}

/* The list without options: which views have their data depends only on the datasets and
 * models present, so it is kept per workspace version, computed on a handle of its own and
 * never behind a view being computed (it once waited 2.5 s for the warm-up). */
static segkit_status list_views(const char *path, int64_t version, char **text, segkit_error *err) {
  pthread_mutex_lock(&g_state.lock);
  bool kept = g_state.list_text != NULL && version >= 0 && g_state.list_version == version &&
              g_state.workspace != NULL && strcmp(g_state.workspace, path) == 0;
  *text = kept ? strdup(g_state.list_text) : NULL;
  pthread_mutex_unlock(&g_state.lock);
  if (kept) {
    return *text != NULL ? SEGKIT_OK : segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  segkit_views *once = NULL;
  segkit_status st = segkit_views_open(path, NULL, 0, &once, err);
  if (st == SEGKIT_OK) {
    st = segkit_views_list(once, text, err);
  }
  segkit_views_close(once);
  pthread_mutex_lock(&g_state.lock);
  /* Kept only for the workspace the server serves (the list's slot is one per process). */
  if (st == SEGKIT_OK && version >= 0 && g_state.workspace != NULL &&
      strcmp(g_state.workspace, path) == 0) {
    char *copy = strdup(*text);
    if (copy != NULL) {
      free(g_state.list_text);
      g_state.list_text = copy;
      g_state.list_version = version;
    }
  }
  pthread_mutex_unlock(&g_state.lock);
  return st;
}

/* name NULL: the list. */
static void answer(const sk_request *req, const char *name, sk_reply *out) {
  segkit_view_param params[32];
  size_t n = query_params(req, params, 32);
  segkit_error err;
  segkit_error_clear(&err);
  int64_t version = workspace_version(req->workspace, &err);
  if (version == -2) {
    sk__reply_error(out, 503, "workspace_unavailable", "cannot open the workspace: %s",
                    err.message);
    return;
  }
  char *text = NULL;
  segkit_status st = SEGKIT_OK;
  if (name == NULL && n > 0) {
    /* the list takes the dataset options: they decide what is available */
    segkit_views *once = NULL;
    st = segkit_views_open(req->workspace, params, n, &once, &err);
    if (st == SEGKIT_OK) {
      st = segkit_views_list(once, &text, &err);
    }
    segkit_views_close(once);
  } else if (name == NULL) {
    st = list_views(req->workspace, version, &text, &err);
  } else if ((text = kept_answer_of(req->workspace, version, name, params, n)) == NULL) {
    pthread_mutex_lock(&g_views.lock);
    uint64_t generation = 0;
    segkit_views *v = ensure_current(req->workspace, version, false, &generation, &err);
    st = v != NULL ? segkit_view(v, name, params, n, &text, &err) : err.code;
    if (st == SEGKIT_OK) {
      keep_answer(req->workspace, version, name, params, n, text);
      warm_like(generation, params, n);
    }
    pthread_mutex_unlock(&g_views.lock);
  }
  if (st != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    reply_text(out, text);
  }
}

void sk__get_views(const sk_request *req, sk_reply *out) { answer(req, NULL, out); }

void sk__get_view(const sk_request *req, sk_reply *out) { answer(req, req->match->params[0], out); }
