/* The segment endpoints: list, show, count, members (read role); create and delete (write
 * role, audited with the key's id as the actor).
 *
 * A POST body is checked field by field before anything runs: malformed JSON names the
 * line and column jansson stopped at, an unknown or mistyped field is named, a missing one
 * is named; then the rule is compiled and evaluated against the dataset exactly as a
 * stored segment is (segkit/segeval.h), so a segment that was accepted can be counted. The
 * save itself is one workspace transaction with its audit entry (segments.c in the
 * store), which is what keeps concurrent readers from seeing it half-written. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "server/server_int.h"

enum { MEMBERS_DEFAULT_LIMIT = 100, MEMBERS_MAX_LIMIT = 10000 };

static json_t *time_json(int64_t us) {
  char buf[40];
  segkit_format_timestamp(us, buf, sizeof buf);
  return json_string(buf);
}

static json_t *text_or_null(const char *s) {
  return s != NULL ? json_string(s) : json_null();
}

/* The parts of a segment's context (segkit_segeval_context: {"key", "subscriptions",
 * "rates"}) the API shows and takes; a context that is not a JSON object counts as none. */
static const char *const context_fields[] = {"key", "subscriptions", "rates"};

static json_t *context_object(const char *context) {
  json_t *ctx = context != NULL ? json_loads(context, 0, NULL) : NULL;
  if (!json_is_object(ctx)) {
    json_decref(ctx);
    ctx = json_object();
  }
  return ctx;
}

/* A segment's version for If-Match: its updated_at in microseconds, which every save moves
 * forward (segkit_workspace_segment_replace_at). */
static void etag_of(const segkit_segment_info *d, char *buf, size_t size) {
  snprintf(buf, size, "\"%lld\"", (long long)d->updated_at_us);
}

static json_t *segment_json(const segkit_segment_info *d) {
  json_t *o = json_object();
  json_t *ctx = context_object(d->context);
  json_object_set_new(o, "name", json_string(d->name));
  json_object_set_new(o, "dataset", json_string(d->dataset));
  json_object_set_new(o, "rule", json_string(d->rule));
  for (size_t k = 0; k < 3; k++) {
    json_object_set_new(o, context_fields[k],
                        text_or_null(json_string_value(json_object_get(ctx, context_fields[k]))));
  }
  json_object_set_new(o, "description", text_or_null(d->description));
  json_object_set_new(o, "created_at", time_json(d->created_at_us));
  json_object_set_new(o, "updated_at", time_json(d->updated_at_us));
  json_object_set_new(o, "version", json_integer((json_int_t)d->updated_at_us));
  json_object_set_new(o, "snapshots", json_integer(d->n_snapshots));
  json_decref(ctx);
  return o;
}

/* A rule error with where it is: {"error": {"code", "message", "line", "column", "length",
 * "excerpt"}}. */
static void reply_rule_error(sk_reply *out, const segkit_error *err,
                             const segkit_rule_diag *diag) {
  if (err->code == SEGKIT_ERR_LIMIT || err->code == SEGKIT_ERR_TYPE) {
    /* Nesting too deep through in_segment() is the rule's fault, not a size limit. */
    char message[1200];
    segkit_error_format(err, message, sizeof message);
    sk__reply_error(out, 400, "invalid_rule", "%s", message);
  } else {
    sk__reply_from_error(out, err);
  }
  json_t *e = json_object_get(out->body, "error");
  if ((err->code == SEGKIT_ERR_PARSE || err->code == SEGKIT_ERR_TYPE) && diag->line > 0 &&
      e != NULL) {
    json_object_set_new(e, "line", json_integer(diag->line));
    json_object_set_new(e, "column", json_integer(diag->column));
    json_object_set_new(e, "length", json_integer(diag->length));
    json_object_set_new(e, "excerpt", json_string(diag->excerpt));
  }
}

/* ---- GET -------------------------------------------------------------------------------- */

void sk__get_segments(const sk_request *req, sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    return;
  }
  segkit_segment_list *list = NULL;
  segkit_error err;
  if (segkit_workspace_segments(ws, NULL, &list, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    json_t *items = json_array();
    for (size_t i = 0; i < list->n; i++) {
      json_array_append_new(items, segment_json(&list->items[i]));
    }
    sk__reply_json(out, 200, json_pack("{s:o}", "segments", items));
  }
  segkit_segment_list_free(list);
  segkit_workspace_close(ws);
}

void sk__get_segment(const sk_request *req, sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    return;
  }
  segkit_segment_list *list = NULL;
  segkit_error err;
  if (segkit_workspace_segments(ws, req->match->params[0], &list, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    sk__reply_json(out, 200, segment_json(&list->items[0]));
    etag_of(&list->items[0], out->etag, sizeof out->etag);
  }
  segkit_segment_list_free(list);
  segkit_workspace_close(ws);
}

/* Evaluate the segment of the request's path; on failure the reply is filled. */
static segkit_segeval *eval_path_segment(const sk_request *req, segkit_workspace *ws,
                                         sk_reply *out) {
  segkit_segeval_options opt;
  sk__eval_options(req, &opt);
  if (!sk__query_as_of(req, &opt.now_us, out)) {
    return NULL;
  }
  segkit_segeval *ev = NULL;
  segkit_rule_diag diag;
  segkit_error err;
  if (segkit_segeval_segment(ws, req->match->params[0], &opt, &ev, &diag, &err) != SEGKIT_OK) {
    reply_rule_error(out, &err, &diag);
    return NULL;
  }
  return ev;
}

void sk__get_segment_count(const sk_request *req, sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    return;
  }
  segkit_segeval *ev = eval_path_segment(req, ws, out);
  if (ev != NULL) {
    const segkit_segment_info *def = segkit_segeval_definition(ev);
    char as_of[40];
    segkit_format_timestamp(segkit_segeval_now(ev), as_of, sizeof as_of);
    sk__reply_json(out, 200,
                   json_pack("{s:s, s:s, s:I, s:I, s:s}", "segment", def->name, "dataset",
                             def->dataset, "count", (json_int_t)segkit_segeval_count(ev), "of",
                             (json_int_t)segkit_segeval_n_rows(ev), "as_of", as_of));
  }
  segkit_segeval_free(ev);
  segkit_workspace_close(ws);
}

/* A non-negative integer query argument within [lo, hi]; dflt when absent. */
static bool query_int(const sk_request *req, const char *name, long long dflt, long long lo,
                      long long hi, long long *value, sk_reply *out) {
  const char *text = req->query != NULL ? req->query(req->query_ctx, name) : NULL;
  *value = dflt;
  if (text == NULL) {
    return true;
  }
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (text[0] == '\0' || !isdigit((unsigned char)text[0]) || *end != '\0' || errno != 0 ||
      v < lo || v > hi) {
    sk__reply_error(out, 400, "invalid_parameter",
                    "query parameter '%s' must be an integer from %lld to %lld, not '%s'", name,
                    lo, hi, text);
    return false;
  }
  *value = v;
  return true;
}

static json_t *key_json(const segkit_column *c, size_t row) {
  if (!segkit_column_is_valid(c, row)) {
    return json_null();
  }
  if (segkit_column_type(c) == SEGKIT_TYPE_INT64) {
    return json_integer((json_int_t)segkit_column_int64(c)[row]);
  }
  return json_string(segkit_column_dict_value(c, segkit_column_codes(c)[row], NULL));
}

void sk__get_segment_members(const sk_request *req, sk_reply *out) {
  const char *format = req->query != NULL ? req->query(req->query_ctx, "format") : NULL;
  if (format != NULL && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
    sk__reply_error(out, 400, "invalid_parameter",
                    "query parameter 'format' must be json or csv, not '%.100s'", format);
    return;
  }
  if (format != NULL && strcmp(format, "csv") == 0) {
    segkit_workspace *ws = sk__request_workspace(req, false, out);
    segkit_segeval *ev = ws != NULL ? eval_path_segment(req, ws, out) : NULL;
    if (ev != NULL) {
      sk__members_csv(req, ws, ev, out); /* takes ws and ev */
    } else {
      segkit_workspace_close(ws);
    }
    return;
  }
  long long limit = 0;
  long long offset = 0;
  if (!query_int(req, "limit", MEMBERS_DEFAULT_LIMIT, 1, MEMBERS_MAX_LIMIT, &limit, out) ||
      !query_int(req, "offset", 0, 0, INT64_MAX, &offset, out)) {
    return;
  }
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    return;
  }
  segkit_segeval *ev = eval_path_segment(req, ws, out);
  if (ev != NULL) {
    const segkit_segment_info *def = segkit_segeval_definition(ev);
    const segkit_column *key = segkit_segeval_key_column(ev);
    json_t *members = json_array();
    size_t n = segkit_segeval_n_rows(ev);
    long long seen = 0;
    /* Members in the dataset's row order, the order `segkit segment members` prints. */
    for (size_t r = 0; r < n && (long long)json_array_size(members) < limit; r++) {
      if (!segkit_segeval_is_member(ev, r)) {
        continue;
      }
      if (seen++ >= offset) {
        json_array_append_new(members, key_json(key, r));
      }
    }
    sk__reply_json(out, 200,
                   json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o}", "segment", def->name, "dataset",
                             def->dataset, "key", segkit_segeval_key(ev), "count",
                             (json_int_t)segkit_segeval_count(ev), "offset", (json_int_t)offset,
                             "limit", (json_int_t)limit, "members", members));
  }
  segkit_segeval_free(ev);
  segkit_workspace_close(ws);
}

static bool segment_exists(segkit_workspace *ws, const char *name) {
  segkit_segment_list *l = NULL;
  bool exists = segkit_workspace_segments(ws, name, &l, NULL) == SEGKIT_OK;
  segkit_segment_list_free(l);
  return exists;
}

/* ---- POST and PUT ------------------------------------------------------------------------- */

/* The body's fields, in this order in both field lists (the fuzz target relies on it). */
enum { F_NAME, F_RULE, F_DATASET, F_KEY, F_DESCRIPTION, F_SUBSCRIPTIONS, F_RATES };

const sk_field sk__segment_fields[SK_SEGMENT_N_FIELDS] = {
    {"name", SK_FIELD_STRING, true},         {"rule", SK_FIELD_STRING, true},
    {"dataset", SK_FIELD_STRING, true},      {"key", SK_FIELD_STRING, false},
    {"description", SK_FIELD_STRING, false}, {"subscriptions", SK_FIELD_STRING, false},
    {"rates", SK_FIELD_STRING, false},
};

/* PUT's body: the name is the path's, so it may be left out (or must agree); every other
 * field left out keeps its stored value, and null clears an optional one. */
const sk_field sk__segment_put_fields[SK_SEGMENT_N_FIELDS] = {
    {"name", SK_FIELD_STRING, false},        {"rule", SK_FIELD_STRING, false},
    {"dataset", SK_FIELD_STRING, false},     {"key", SK_FIELD_STRING, false},
    {"description", SK_FIELD_STRING, false}, {"subscriptions", SK_FIELD_STRING, false},
    {"rates", SK_FIELD_STRING, false},
};

/* Rates from a client must be written out (USD=1,EUR=1.08): segkit_mrr_rates_parse would
 * read a file of rates from a path, and the server reads no file a request names. */
bool sk__inline_rates_ok(const char *rates, sk_reply *out) {
  if (rates == NULL || (strchr(rates, '=') != NULL && strchr(rates, '/') == NULL)) {
    return true;
  }
  sk__reply_error(out, 400, "invalid_field",
                  "field 'rates': expected rates written out, as USD=1,EUR=1.08, not '%.100s'",
                  rates);
  return false;
}

char *sk__segment_context(const char *base, const json_t *doc, sk_reply *out) {
  json_t *ctx = context_object(base);
  for (size_t k = 0; k < 3; k++) {
    json_t *v = json_object_get(doc, context_fields[k]);
    if (json_is_string(v)) {
      json_object_set(ctx, context_fields[k], v);
    } else if (json_is_null(v)) {
      json_object_del(ctx, context_fields[k]);
    }
  }
  char *text = json_object_size(ctx) > 0 ? json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  bool failed = json_object_size(ctx) > 0 && text == NULL;
  json_decref(ctx);
  if (failed) {
    sk__reply_error(out, 500, "internal", "out of memory");
  }
  return text;
}

/* A segment to save: strings borrowed from the body or the stored segment. */
typedef struct new_segment {
  const char *name;
  const char *rule;
  const char *dataset;
  const char *description;
  char *context; /* owned */
} new_segment;

/* The body checked field by field; on failure the reply is filled. */
static json_t *parse_body(const sk_request *req, const sk_field *fields, sk_reply *out) {
  json_t *doc = sk__body_object(req->body, req->body_len, fields, SK_SEGMENT_N_FIELDS, false, out);
  if (doc == NULL) {
    return NULL;
  }
  const char *name = json_string_value(json_object_get(doc, "name"));
  if (fields == sk__segment_put_fields && name != NULL &&
      strcmp(name, req->match->params[0]) != 0) {
    sk__reply_error(out, 400, "invalid_field",
                    "field 'name': '%.100s' is not the segment of the path, '%.100s' (rename "
                    "by deleting and creating)",
                    name, req->match->params[0]);
  } else if (fields == sk__segment_fields && !sk__valid_name(name)) {
    sk__reply_error(out, 400, "invalid_field",
                    "field 'name': '%.100s' is not a segment name (1-64 letters, digits, '_', "
                    "'-')",
                    name);
  } else if (sk__inline_rates_ok(json_string_value(json_object_get(doc, "rates")), out)) {
    return doc;
  }
  json_decref(doc);
  return NULL;
}

/* 412 for an If-Match that names another version than the segment's `current`. */
static void reply_stale(sk_reply *out, const char *name, int64_t current) {
  char at[40];
  segkit_format_timestamp(current, at, sizeof at);
  sk__reply_error(out, 412, "precondition_failed",
                  "segment '%s' has changed since it was read: it is now at version %lld "
                  "(updated %s); read it again and redo the change",
                  name, (long long)current, at);
  json_t *e = json_object_get(out->body, "error");
  if (e != NULL) {
    char etag[48];
    snprintf(etag, sizeof etag, "\"%lld\"", (long long)current);
    json_object_set_new(e, "version", json_integer((json_int_t)current));
    json_object_set_new(e, "etag", json_string(etag));
    json_object_set_new(e, "updated_at", json_string(at));
  }
}

/* The If-Match of the request against the stored segment d: true when the write may go on,
 * with *guard set when it must be made only at d's version (checked again in the write's
 * transaction); false with a 412 in out. No If-Match, or "*": no check. */
static bool if_match(const sk_request *req, const segkit_segment_info *d, bool *guard,
                     sk_reply *out) {
  *guard = false;
  const char *h = req->if_match;
  if (h == NULL) {
    return true;
  }
  while (*h == ' ' || *h == '\t') {
    h++;
  }
  if (strcmp(h, "*") == 0) {
    return true;
  }
  /* A list of entity tags ("V", "W"); a weak one (W/"V") never matches (RFC 9110 13.1.1). */
  char want[48];
  etag_of(d, want, sizeof want);
  size_t n = strlen(want);
  for (const char *p = h; *p != '\0';) {
    while (*p == ' ' || *p == '\t' || *p == ',') {
      p++;
    }
    const char *end = strchr(p, ',');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
      len--;
    }
    if (len == n && memcmp(p, want, n) == 0) {
      *guard = true;
      return true;
    }
    p = end != NULL ? end : p + len;
    if (end == NULL) {
      break;
    }
  }
  reply_stale(out, d->name, d->updated_at_us);
  return false;
}

/* The stored segment `name`, or NULL with a 404 in out. */
static segkit_segment_list *stored(segkit_workspace *ws, const char *name, sk_reply *out) {
  segkit_segment_list *l = NULL;
  segkit_error err;
  segkit_status s = segkit_workspace_segments(ws, name, &l, &err);
  if (s == SEGKIT_ERR_NOT_FOUND) {
    sk__reply_error(out, 404, "not_found", "no segment named '%s'", name);
  } else if (s != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  }
  return s == SEGKIT_OK ? l : NULL;
}

/* Evaluate ns's rule as a stored segment would be, then store it: created (old NULL; 409 if
 * the name exists), or replacing old (at its version when guard). */
static void save_segment(const sk_request *req, segkit_workspace *ws, const new_segment *ns,
                         const segkit_segment_info *old, bool guard, sk_reply *out) {
  segkit_error err;
  segkit_segeval_options opt;
  sk__eval_options(req, &opt);
  opt.context = ns->context;
  segkit_segeval *ev = NULL;
  segkit_rule_diag diag;
  memset(&diag, 0, sizeof diag);
  segkit_status s = segkit_segeval_open(ws, ns->dataset, ns->rule, &opt, &ev, &err);
  if (s == SEGKIT_ERR_NOT_FOUND) {
    /* The dataset, or the subscriptions dataset of the context. */
    segkit_dataset_list *info = NULL;
    bool main_one = segkit_workspace_dataset_info(ws, ns->dataset, &info, NULL) == SEGKIT_OK;
    segkit_dataset_list_free(info);
    sk__reply_error(out, 400, "invalid_field", "field '%s': %s",
                    main_one ? "subscriptions" : "dataset", err.message);
    return;
  }
  if (s == SEGKIT_ERR_USAGE && ns->context != NULL && strstr(ns->context, "\"rates\"") != NULL &&
      strstr(err.message, "rate") != NULL) {
    sk__reply_error(out, 400, "invalid_field", "field 'rates': %s", err.message);
    return;
  }
  if (s == SEGKIT_OK) {
    s = segkit_segeval_run(ev, ns->name, ns->rule, &diag, &err);
  }
  char actor[64];
  sk__actor_of(req->who, actor, sizeof actor);
  if (s == SEGKIT_OK) {
    s = segkit_workspace_set_actor(ws, actor, &err);
  }
  int64_t current = 0;
  if (s == SEGKIT_OK && old != NULL && guard) {
    s = segkit_workspace_segment_replace_at(ws, ns->name, ns->dataset, ns->rule, ns->description,
                                            ns->context, old->updated_at_us, &current, &err);
    if (s == SEGKIT_ERR_EXISTS && strcmp(err.field, "version") == 0) {
      reply_stale(out, ns->name, current); /* changed between our read and our write */
      segkit_segeval_free(ev);
      return;
    }
  } else if (s == SEGKIT_OK) {
    s = segkit_workspace_segment_save(ws, ns->name, ns->dataset, ns->rule, ns->description,
                                      ns->context, old != NULL, &err);
    if (old == NULL && s == SEGKIT_ERR_USAGE && segment_exists(ws, ns->name)) {
      /* Another request created it since our check. */
      sk__reply_error(out, 409, "conflict", "a segment named '%s' exists", ns->name);
      segkit_segeval_free(ev);
      return;
    }
  }
  if (s != SEGKIT_OK) {
    reply_rule_error(out, &err, &diag);
    segkit_segeval_free(ev);
    return;
  }
  json_t *body =
      json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "segment", ns->name, "dataset", ns->dataset,
                "rule", ns->rule, "key", segkit_segeval_key(ev), "count",
                (json_int_t)segkit_segeval_count(ev), "of", (json_int_t)segkit_segeval_n_rows(ev));
  sk__reply_json(out, old != NULL ? 200 : 201, body);
  segkit_segment_list *now = NULL;
  if (segkit_workspace_segments(ws, ns->name, &now, NULL) == SEGKIT_OK && body != NULL) {
    json_object_set_new(body, "version", json_integer((json_int_t)now->items[0].updated_at_us));
    etag_of(&now->items[0], out->etag, sizeof out->etag);
  }
  segkit_segment_list_free(now);
  segkit_segeval_free(ev);
}

void sk__post_segment(const sk_request *req, sk_reply *out) {
  json_t *doc = parse_body(req, sk__segment_fields, out);
  if (doc == NULL) {
    return;
  }
  new_segment ns = {
      .name = json_string_value(json_object_get(doc, "name")),
      .rule = json_string_value(json_object_get(doc, "rule")),
      .dataset = json_string_value(json_object_get(doc, "dataset")),
      .description = json_string_value(json_object_get(doc, "description")),
  };
  ns.context = sk__segment_context(NULL, doc, out);
  segkit_workspace *ws = out->body != NULL ? NULL : sk__request_workspace(req, true, out);
  if (ws != NULL && segment_exists(ws, ns.name)) {
    sk__reply_error(out, 409, "conflict", "a segment named '%s' exists", ns.name);
  } else if (ws != NULL) {
    save_segment(req, ws, &ns, NULL, false, out);
  }
  segkit_workspace_close(ws);
  free(ns.context);
  json_decref(doc);
}

/* PUT: a new rule, dataset, key, context or description for an existing segment; what the
 * body leaves out keeps its stored value (null clears description, key, subscriptions and
 * rates), so a client that changes the rule does not lose what it did not show. */
void sk__put_segment(const sk_request *req, sk_reply *out) {
  json_t *doc = parse_body(req, sk__segment_put_fields, out);
  if (doc == NULL) {
    return;
  }
  segkit_workspace *ws = sk__request_workspace(req, true, out);
  segkit_segment_list *old = ws != NULL ? stored(ws, req->match->params[0], out) : NULL;
  if (ws != NULL && old == NULL && out->status == 404) {
    sk__reply_error(out, 404, "not_found",
                    "no segment named '%s' to replace (create it: POST /api/v1/segments)",
                    req->match->params[0]);
  }
  bool guard = false;
  if (old != NULL && if_match(req, &old->items[0], &guard, out)) {
    const segkit_segment_info *d = &old->items[0];
    json_t *desc = json_object_get(doc, "description");
    const char *rule = json_string_value(json_object_get(doc, "rule"));
    const char *dataset = json_string_value(json_object_get(doc, "dataset"));
    new_segment ns = {
        .name = d->name,
        .rule = rule != NULL ? rule : d->rule,
        .dataset = dataset != NULL ? dataset : d->dataset,
        .description = desc == NULL ? d->description : json_string_value(desc),
    };
    ns.context = sk__segment_context(d->context, doc, out);
    if (out->body == NULL) {
      save_segment(req, ws, &ns, d, guard, out);
    }
    free(ns.context);
  }
  segkit_segment_list_free(old);
  segkit_workspace_close(ws);
  json_decref(doc);
}

/* ---- DELETE ------------------------------------------------------------------------------- */

/* 409 naming the segments whose rules use `name` (the first n_direct) and those that use
 * them in turn. */
static void reply_dependents(sk_reply *out, const char *name, const segkit_segment_list *deps,
                             size_t n_direct) {
  char list[700] = "";
  size_t used = 0;
  for (size_t i = 0; i < n_direct && used < sizeof list; i++) {
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i > 0 ? ", " : "",
                             deps->items[i].name);
  }
  sk__reply_error(out, 409, "has_dependents",
                  "segment '%s' is used by in_segment() in %zu other segment%s (%s)%s; change "
                  "their rules first, or delete it anyway with ?force=true",
                  name, n_direct, n_direct == 1 ? "" : "s", list,
                  deps->n > n_direct ? ", and more depend on those" : "");
  json_t *e = json_object_get(out->body, "error");
  if (e != NULL) {
    json_t *direct = json_array();
    json_t *through = json_array();
    for (size_t i = 0; i < deps->n; i++) {
      json_array_append_new(i < n_direct ? direct : through, json_string(deps->items[i].name));
    }
    json_object_set_new(e, "dependents", direct);
    json_object_set_new(e, "indirect_dependents", through);
  }
}

/* The dependents are listed before the drop's transaction, so a segment naming this one that
 * is saved in between is not seen; the If-Match version, by contrast, is checked inside it. */
void sk__delete_segment(const sk_request *req, sk_reply *out) {
  const char *force = req->query != NULL ? req->query(req->query_ctx, "force") : NULL;
  if (force != NULL && strcmp(force, "true") != 0 && strcmp(force, "false") != 0) {
    sk__reply_error(out, 400, "invalid_parameter",
                    "query parameter 'force' must be true or false, not '%.100s'", force);
    return;
  }
  segkit_workspace *ws = sk__request_workspace(req, true, out);
  if (ws == NULL) {
    return;
  }
  const char *name = req->match->params[0];
  segkit_segment_list *old = stored(ws, name, out);
  bool guard = false;
  segkit_segment_list *deps = NULL;
  size_t n_direct = 0;
  segkit_error err;
  bool go = old != NULL && if_match(req, &old->items[0], &guard, out);
  if (go && segkit_segeval_dependents(ws, name, &deps, &n_direct, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
    go = false;
  }
  bool forced = force != NULL && strcmp(force, "true") == 0;
  if (go && deps->n > 0 && !forced) {
    reply_dependents(out, name, deps, n_direct);
    go = false;
  }
  char actor[64];
  sk__actor_of(req->who, actor, sizeof actor);
  int64_t current = 0;
  segkit_status s = go ? segkit_workspace_set_actor(ws, actor, &err) : SEGKIT_OK;
  if (go && s == SEGKIT_OK) {
    s = guard ? segkit_workspace_segment_drop_at(ws, name, old->items[0].updated_at_us, &current,
                                                 &err)
              : segkit_workspace_segment_drop(ws, name, &err);
  }
  if (go && s == SEGKIT_ERR_EXISTS && strcmp(err.field, "version") == 0) {
    reply_stale(out, name, current);
  } else if (go && s != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else if (go) {
    json_t *broken = json_array();
    for (size_t i = 0; i < deps->n; i++) {
      json_array_append_new(broken, json_string(deps->items[i].name));
    }
    /* Forced past dependents: they are named, since they no longer count. */
    sk__reply_json(out, 200,
                   json_pack("{s:s, s:b, s:o}", "segment", name, "deleted", 1, "broken", broken));
  }
  segkit_segment_list_free(deps);
  segkit_segment_list_free(old);
  segkit_workspace_close(ws);
}
