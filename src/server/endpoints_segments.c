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

/* The key a segment's context pins ({"key": "..."}), or NULL. */
static char *context_key(const char *context) {
  if (context == NULL) {
    return NULL;
  }
  json_t *ctx = json_loads(context, 0, NULL);
  const char *key = json_string_value(json_object_get(ctx, "key"));
  char *copy = key != NULL ? strdup(key) : NULL;
  json_decref(ctx);
  return copy;
}

static json_t *segment_json(const segkit_segment_info *d) {
  json_t *o = json_object();
  char *key = context_key(d->context);
  json_object_set_new(o, "name", json_string(d->name));
  json_object_set_new(o, "dataset", json_string(d->dataset));
  json_object_set_new(o, "rule", json_string(d->rule));
  json_object_set_new(o, "key", text_or_null(key));
  json_object_set_new(o, "description", text_or_null(d->description));
  json_object_set_new(o, "created_at", time_json(d->created_at_us));
  json_object_set_new(o, "updated_at", time_json(d->updated_at_us));
  json_object_set_new(o, "snapshots", json_integer(d->n_snapshots));
  free(key);
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

/* ---- POST --------------------------------------------------------------------------------- */

typedef struct new_segment {
  const char *name;
  const char *rule;
  const char *dataset;
  const char *key;
  const char *description;
} new_segment;

const sk_field sk__segment_fields[] = {
    {"name", SK_FIELD_STRING, true},         {"rule", SK_FIELD_STRING, true},
    {"dataset", SK_FIELD_STRING, true},      {"key", SK_FIELD_STRING, false},
    {"description", SK_FIELD_STRING, false},
};

/* PUT's body: the name is the path's, so it may be left out (or must agree). */
const sk_field sk__segment_put_fields[] = {
    {"name", SK_FIELD_STRING, false},        {"rule", SK_FIELD_STRING, true},
    {"dataset", SK_FIELD_STRING, true},      {"key", SK_FIELD_STRING, false},
    {"description", SK_FIELD_STRING, false},
};

/* The body as a new_segment (strings borrowed from doc); on failure the reply is filled. */
static bool parse_body(const sk_request *req, const sk_field *fields, json_t **doc, new_segment *ns,
                       sk_reply *out) {
  *doc = sk__body_object(req->body, req->body_len, fields, 5, false, out);
  if (*doc == NULL) {
    return false;
  }
  const char **slots[] = {&ns->name, &ns->rule, &ns->dataset, &ns->key, &ns->description};
  for (size_t k = 0; k < 5; k++) {
    *slots[k] = json_string_value(json_object_get(*doc, fields[k].name));
  }
  if (fields == sk__segment_put_fields) {
    const char *path = req->match->params[0];
    if (ns->name != NULL && strcmp(ns->name, path) != 0) {
      sk__reply_error(out, 400, "invalid_field",
                      "field 'name': '%.100s' is not the segment of the path, '%.100s' (rename "
                      "by deleting and creating)",
                      ns->name, path);
      return false;
    }
    ns->name = path;
  }
  if (!sk__valid_name(ns->name)) {
    sk__reply_error(out, 400, "invalid_field",
                    "field 'name': '%.100s' is not a segment name (1-64 letters, digits, '_', "
                    "'-')",
                    ns->name);
    return false;
  }
  return true;
}

static bool segment_exists(segkit_workspace *ws, const char *name) {
  segkit_segment_list *l = NULL;
  bool exists = segkit_workspace_segments(ws, name, &l, NULL) == SEGKIT_OK;
  segkit_segment_list_free(l);
  return exists;
}

/* Create (replace false: 409 if the name exists) or replace (404 if it does not; its
 * snapshots are kept) a segment after evaluating its rule. */
static void save_segment(const sk_request *req, segkit_workspace *ws, const new_segment *ns,
                         bool replace, sk_reply *out) {
  bool exists = segment_exists(ws, ns->name);
  if (exists && !replace) {
    sk__reply_error(out, 409, "conflict", "a segment named '%s' exists", ns->name);
    return;
  }
  if (!exists && replace) {
    sk__reply_error(out, 404, "not_found",
                    "no segment named '%s' to replace (create it: POST /api/v1/segments)",
                    ns->name);
    return;
  }
  segkit_error err;
  char *context = NULL;
  if (segkit_segeval_context(NULL, NULL, ns->key, &context, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
    return;
  }
  segkit_segeval_options opt;
  sk__eval_options(req, &opt);
  opt.context = context;
  segkit_segeval *ev = NULL;
  segkit_rule_diag diag;
  memset(&diag, 0, sizeof diag);
  segkit_status s = segkit_segeval_open(ws, ns->dataset, ns->rule, &opt, &ev, &err);
  if (s == SEGKIT_ERR_NOT_FOUND) {
    sk__reply_error(out, 400, "invalid_field", "field 'dataset': %s", err.message);
    free(context);
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
  if (s == SEGKIT_OK) {
    s = segkit_workspace_segment_save(ws, ns->name, ns->dataset, ns->rule, ns->description, context,
                                      replace, &err);
    /* Another request may have created it since the check above. */
    if (!replace && s == SEGKIT_ERR_USAGE && segment_exists(ws, ns->name)) {
      sk__reply_error(out, 409, "conflict", "a segment named '%s' exists", ns->name);
      free(context);
      segkit_segeval_free(ev);
      return;
    }
  }
  if (s != SEGKIT_OK) {
    reply_rule_error(out, &err, &diag);
  } else {
    sk__reply_json(out, replace ? 200 : 201,
                   json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "segment", ns->name, "dataset",
                             ns->dataset, "rule", ns->rule, "key", segkit_segeval_key(ev), "count",
                             (json_int_t)segkit_segeval_count(ev), "of",
                             (json_int_t)segkit_segeval_n_rows(ev)));
  }
  free(context);
  segkit_segeval_free(ev);
}

void sk__post_segment(const sk_request *req, sk_reply *out) {
  json_t *doc = NULL;
  new_segment ns;
  memset(&ns, 0, sizeof ns);
  if (!parse_body(req, sk__segment_fields, &doc, &ns, out)) {
    json_decref(doc);
    return;
  }
  segkit_workspace *ws = sk__request_workspace(req, true, out);
  if (ws != NULL) {
    save_segment(req, ws, &ns, false, out);
    segkit_workspace_close(ws);
  }
  json_decref(doc);
}

/* ---- PUT: a new rule, dataset, key or description for an existing segment ---------------- */

void sk__put_segment(const sk_request *req, sk_reply *out) {
  json_t *doc = NULL;
  new_segment ns;
  memset(&ns, 0, sizeof ns);
  if (!parse_body(req, sk__segment_put_fields, &doc, &ns, out)) {
    json_decref(doc);
    return;
  }
  segkit_workspace *ws = sk__request_workspace(req, true, out);
  if (ws != NULL) {
    save_segment(req, ws, &ns, true, out);
    segkit_workspace_close(ws);
  }
  json_decref(doc);
}

/* ---- DELETE ------------------------------------------------------------------------------- */

void sk__delete_segment(const sk_request *req, sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, true, out);
  if (ws == NULL) {
    return;
  }
  char actor[64];
  sk__actor_of(req->who, actor, sizeof actor);
  segkit_error err;
  const char *name = req->match->params[0];
  if (segkit_workspace_set_actor(ws, actor, &err) != SEGKIT_OK ||
      segkit_workspace_segment_drop(ws, name, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    sk__reply_json(out, 200, json_pack("{s:s, s:b}", "segment", name, "deleted", 1));
  }
  segkit_workspace_close(ws);
}
