/* Segment snapshots over HTTP: take one (write role; audited by the store as "snapshot"),
 * list them, and diff two snapshots or a snapshot against the members now — what `segkit
 * segment snapshot|snapshots|diff` do.
 *
 * The diff is the segeval module's (segkit_member_keys_diff), the one segkit segment diff
 * and segkit insights --growth use.
 * Keys are answered as they are stored: JSON numbers for int64 keys, strings otherwise. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "server/server_int.h"

static json_t *time_json(int64_t us) {
  char buf[40];
  segkit_format_timestamp(us, buf, sizeof buf);
  return json_string(buf);
}

static json_t *snapshot_json(const segkit_snapshot_info *s) {
  return json_pack("{s:I, s:o, s:I, s:I, s:s}", "id", (json_int_t)s->id, "taken_at",
                   time_json(s->taken_at_us), "count", (json_int_t)s->n_members, "of",
                   (json_int_t)s->n_total, "rule", s->rule);
}

/* ---- POST /api/v1/segments/{name}/snapshots ---------------------------------------------- */

const sk_field sk__snapshot_fields[] = {
    {"as_of", SK_FIELD_STRING, false},
};

void sk__post_snapshot(const sk_request *req, sk_reply *out) {
  json_t *doc = sk__body_object(req->body, req->body_len, sk__snapshot_fields, 1, true, out);
  if (doc == NULL) {
    return;
  }
  segkit_segeval_options opt;
  sk__eval_options(req, &opt);
  const char *as_of = json_string_value(json_object_get(doc, "as_of"));
  int32_t days = 0;
  if (as_of != NULL && !segkit_parse_timestamp(as_of, strlen(as_of), &opt.now_us)) {
    if (!segkit_parse_date(as_of, strlen(as_of), &days)) {
      sk__reply_error(out, 400, "invalid_field",
                      "field 'as_of' must be YYYY-MM-DD or an ISO 8601 time, not '%.100s'", as_of);
      json_decref(doc);
      return;
    }
    opt.now_us = (int64_t)days * SEGKIT_US_PER_DAY;
  }
  json_decref(doc);
  segkit_workspace *ws = sk__request_workspace(req, true, out);
  if (ws == NULL) {
    return;
  }
  const char *name = req->match->params[0];
  segkit_segeval *ev = NULL;
  segkit_rule_diag diag;
  segkit_error err;
  char actor[64];
  sk__actor_of(req->who, actor, sizeof actor);
  int64_t id = 0;
  segkit_status s = segkit_segeval_segment(ws, name, &opt, &ev, &diag, &err);
  if (s == SEGKIT_OK) {
    s = segkit_workspace_set_actor(ws, actor, &err);
  }
  if (s == SEGKIT_OK) {
    s = segkit_workspace_snapshot_save(ws, name, segkit_segeval_definition(ev)->rule,
                                       segkit_segeval_key_column(ev), segkit_segeval_bits(ev),
                                       segkit_segeval_now(ev), &id, &err);
  }
  if (s != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    sk__reply_json(out, 201,
                   json_pack("{s:s, s:I, s:o, s:I, s:I}", "segment", name, "snapshot",
                             (json_int_t)id, "taken_at", time_json(segkit_segeval_now(ev)), "count",
                             (json_int_t)segkit_segeval_count(ev), "of",
                             (json_int_t)segkit_segeval_n_rows(ev)));
  }
  segkit_segeval_free(ev);
  segkit_workspace_close(ws);
}

/* ---- GET /api/v1/segments/{name}/snapshots ----------------------------------------------- */

void sk__get_snapshots(const sk_request *req, sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    return;
  }
  const char *name = req->match->params[0];
  segkit_segment_list *def = NULL;
  segkit_snapshot_list *l = NULL;
  segkit_error err;
  if (segkit_workspace_segments(ws, name, &def, &err) != SEGKIT_OK ||
      segkit_workspace_snapshots(ws, name, &l, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    json_t *items = json_array();
    for (size_t i = 0; i < l->n; i++) {
      json_array_append_new(items, snapshot_json(&l->items[i]));
    }
    sk__reply_json(out, 200, json_pack("{s:s, s:o}", "segment", name, "snapshots", items));
  }
  segkit_snapshot_list_free(l);
  segkit_segment_list_free(def);
  segkit_workspace_close(ws);
}

/* ---- GET /api/v1/segments/{name}/diff?from=ID[&to=ID] ------------------------------------ */

static json_t *key_at(const segkit_member_keys *k, size_t i) {
  return segkit_member_keys_are_ints(k) ? json_integer((json_int_t)segkit_member_keys_int(k, i))
                                        : json_string(segkit_member_keys_text(k, i));
}

/* The snapshot id of query parameter `name`, or dflt when absent; -1 with a 400 in out. */
static int64_t query_id(const sk_request *req, const char *name, int64_t dflt, sk_reply *out) {
  const char *text = req->query != NULL ? req->query(req->query_ctx, name) : NULL;
  if (text == NULL) {
    return dflt;
  }
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (text[0] < '1' || text[0] > '9' || *end != '\0' || errno != 0) {
    sk__reply_error(out, 400, "invalid_parameter",
                    "query parameter '%s' must be a snapshot id (see GET .../snapshots), not "
                    "'%.100s'",
                    name, text);
    return -1;
  }
  return v;
}

/* The members of snapshot id of segment `name` as sorted keys. */
static bool snapshot_keys(segkit_workspace *ws, const char *name, const segkit_snapshot_list *snaps,
                          int64_t id, segkit_member_keys **k, sk_reply *out) {
  bool known = false;
  for (size_t i = 0; i < snaps->n; i++) {
    known = known || snaps->items[i].id == id;
  }
  if (!known) {
    sk__reply_error(out, 404, "not_found", "segment '%s' has no snapshot %lld", name,
                    (long long)id);
    return false;
  }
  segkit_error err;
  if (segkit_member_keys_of_snapshot(ws, id, k, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
    return false;
  }
  return true;
}

void sk__get_segment_diff(const sk_request *req, sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    return;
  }
  const char *name = req->match->params[0];
  segkit_snapshot_list *snaps = NULL;
  segkit_segment_list *def = NULL;
  segkit_error err;
  segkit_segeval *ev = NULL;
  segkit_member_keys *from = NULL;
  segkit_member_keys *to = NULL;
  bool ok = segkit_workspace_segments(ws, name, &def, &err) == SEGKIT_OK &&
            segkit_workspace_snapshots(ws, name, &snaps, &err) == SEGKIT_OK;
  if (!ok) {
    sk__reply_from_error(out, &err);
  }
  int64_t latest = ok && snaps->n > 0 ? snaps->items[snaps->n - 1].id : 0;
  int64_t from_id = ok ? query_id(req, "from", latest, out) : -1;
  int64_t to_id = from_id > 0 ? query_id(req, "to", 0, out) : -1;
  if (ok && from_id == 0) {
    sk__reply_error(out, 404, "not_found",
                    "segment '%s' has no snapshot to compare with (take one: POST "
                    "/api/v1/segments/%s/snapshots)",
                    name, name);
  }
  ok = ok && from_id > 0 && to_id >= 0 && snapshot_keys(ws, name, snaps, from_id, &from, out);
  if (ok && to_id > 0) {
    ok = snapshot_keys(ws, name, snaps, to_id, &to, out);
  } else if (ok) {
    /* Against the members now (or at ?as_of). */
    segkit_segeval_options opt;
    sk__eval_options(req, &opt);
    segkit_rule_diag diag;
    ok = sk__query_as_of(req, &opt.now_us, out);
    if (ok && segkit_segeval_segment(ws, name, &opt, &ev, &diag, &err) != SEGKIT_OK) {
      sk__reply_from_error(out, &err);
      ok = false;
    }
    if (ok && segkit_member_keys_of(segkit_segeval_key_column(ev), segkit_segeval_bits(ev), &to,
                                    &err) != SEGKIT_OK) {
      sk__reply_from_error(out, &err);
      ok = false;
    }
  }
  segkit_member_diff d;
  memset(&d, 0, sizeof d);
  if (ok && segkit_member_keys_diff(from, to, &d, &err) != SEGKIT_OK) {
    if (err.code == SEGKIT_ERR_TYPE) {
      sk__reply_error(out, 409, "conflict",
                      "the snapshots' keys are of different types (the key column changed)");
    } else {
      sk__reply_from_error(out, &err);
    }
    ok = false;
  }
  if (ok) {
    json_t *entered = json_array();
    json_t *left = json_array();
    for (size_t i = 0; i < d.n_entered; i++) {
      json_array_append_new(entered, key_at(to, d.entered[i]));
    }
    for (size_t i = 0; i < d.n_left; i++) {
      json_array_append_new(left, key_at(from, d.left[i]));
    }
    sk__reply_json(out, 200,
                   json_pack("{s:s, s:I, s:o, s:I, s:I, s:I, s:I, s:o, s:o}", "segment", name,
                             "from", (json_int_t)from_id, "to",
                             to_id > 0 ? json_integer(to_id) : json_null(), "count_from",
                             (json_int_t)d.n_from, "count_to", (json_int_t)d.n_to, "n_entered",
                             (json_int_t)json_array_size(entered), "n_left",
                             (json_int_t)json_array_size(left), "entered", entered, "left", left));
  }
  segkit_member_diff_free(&d);
  segkit_member_keys_free(from);
  segkit_member_keys_free(to);
  segkit_segeval_free(ev);
  segkit_snapshot_list_free(snaps);
  segkit_segment_list_free(def);
  segkit_workspace_close(ws);
}
