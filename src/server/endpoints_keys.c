/* Keys over HTTP (admin role): list, create, revoke — what `segkit key` does, audited with
 * the calling key as the actor.
 *
 * A new key is in the 201 answer and nowhere else, ever (only its Argon2id hash is kept);
 * listing shows ids, names, roles and times, never a key. A key may revoke itself: the
 * revocation counts from the next request, as for the CLI. Creating costs one Argon2id hash
 * (~0.1 s, 64 MiB), which is also what bounds how fast keys can be minted. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "server/server_int.h"

static json_t *time_or_null(int64_t us) {
  if (us == 0) {
    return json_null();
  }
  char buf[40];
  segkit_format_timestamp(us, buf, sizeof buf);
  return json_string(buf);
}

static json_t *key_json(const segkit_server_key_info *k) {
  return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}", "id", k->id, "name",
                   k->name != NULL ? json_string(k->name) : json_null(), "role",
                   segkit_server_role_name(k->role), "created_at", time_or_null(k->created_at_us),
                   "last_used_at", time_or_null(k->last_used_at_us), "revoked_at",
                   time_or_null(k->revoked_at_us));
}

void sk__get_keys(const sk_request *req, sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    return;
  }
  segkit_server_key_list *l = NULL;
  segkit_error err;
  if (segkit_server_keys(ws, &l, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    json_t *items = json_array();
    for (size_t i = 0; i < l->n; i++) {
      json_array_append_new(items, key_json(&l->items[i]));
    }
    sk__reply_json(out, 200, json_pack("{s:o}", "keys", items));
  }
  segkit_server_key_list_free(l);
  segkit_workspace_close(ws);
}

const sk_field sk__key_fields[] = {
    {"role", SK_FIELD_STRING, true},
    {"name", SK_FIELD_STRING, false},
};

void sk__post_key(const sk_request *req, sk_reply *out) {
  json_t *doc = sk__body_object(req->body, req->body_len, sk__key_fields, 2, false, out);
  if (doc == NULL) {
    return;
  }
  const char *role_text = json_string_value(json_object_get(doc, "role"));
  const char *name = json_string_value(json_object_get(doc, "name"));
  segkit_server_role role;
  segkit_error err;
  if (segkit_server_role_parse(role_text, &role, &err) != SEGKIT_OK) {
    sk__reply_error(out, 400, "invalid_field", "field 'role': %s", err.message);
    json_decref(doc);
    return;
  }
  if (name != NULL && strlen(name) > 128) {
    sk__reply_error(out, 400, "invalid_field", "field 'name' must be at most 128 bytes");
    json_decref(doc);
    return;
  }
  segkit_workspace *ws = sk__request_workspace(req, true, out);
  if (ws == NULL) {
    json_decref(doc);
    return;
  }
  char actor[64];
  sk__actor_of(req->who, actor, sizeof actor);
  char *key = NULL;
  char *id = NULL;
  if (segkit_server_key_create(ws, role, name, actor, &key, &id, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    sk__reply_json(out, 201,
                   json_pack("{s:s, s:s, s:o, s:s}", "id", id, "role",
                             segkit_server_role_name(role), "name",
                             name != NULL ? json_string(name) : json_null(), "key", key));
  }
  if (key != NULL) {
    sodium_memzero(key, strlen(key)); /* the reply's text is the only copy left */
  }
  free(key);
  free(id);
  segkit_workspace_close(ws);
  json_decref(doc);
}

void sk__delete_key(const sk_request *req, sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, true, out);
  if (ws == NULL) {
    return;
  }
  char actor[64];
  sk__actor_of(req->who, actor, sizeof actor);
  const char *id = req->match->params[0];
  segkit_error err;
  segkit_status s = segkit_server_key_revoke(ws, id, actor, &err);
  if (s == SEGKIT_ERR_USAGE) {
    sk__reply_error(out, 409, "conflict", "%s", err.message);
  } else if (s != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    sk__reply_json(out, 200, json_pack("{s:s, s:b}", "id", id, "revoked", 1));
  }
  segkit_workspace_close(ws);
}
