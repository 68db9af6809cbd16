/* libFuzzer target for what the HTTP API does with a request before any workspace is
 * touched: the JSON body checks of the POST endpoints (src/server/body.c over the bodies of
 * segment create, snapshot, key create and the rules check shape) and the router's path
 * parsing (src/server/router.c), without sockets.
 *
 * The first byte picks the shape, the rest is the body (or the path). Besides the sanitizers,
 * the target checks the promises: a body is accepted exactly when the reply stays empty, and
 * refused with a 400 whose code is one of the documented four and whose message is set; an
 * accepted body is an object holding only the declared fields, each of its kind or null
 * (optional ones), the required ones present; names, roles and times found in it go through
 * the checks the handlers run next. A path is routed for every method: a match has as many
 * NUL-terminated parameters as its pattern has {braces}, each non-empty, without '/', shorter
 * than SK_PARAM_MAX; NO_METHOD means some other method matches. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "server/server_int.h"

/* The body of POST /api/v1/rules/check (the dashboard's rule builder). */
static void check_body(const char *data, size_t size, const sk_field *fields, size_t n,
                       bool allow_empty) {
  sk_reply r = {.status = 0};
  json_t *doc = sk__body_object(data, size, fields, n, allow_empty, &r);
  if (doc == NULL) {
    const char *code = json_string_value(json_object_get(json_object_get(r.body, "error"), "code"));
    const char *msg =
        json_string_value(json_object_get(json_object_get(r.body, "error"), "message"));
    if (r.status != 400 || code == NULL || msg == NULL || msg[0] == '\0') {
      abort();
    }
    if (strcmp(code, "malformed_json") != 0 && strcmp(code, "unknown_field") != 0 &&
        strcmp(code, "invalid_field") != 0 && strcmp(code, "missing_field") != 0) {
      abort();
    }
    sk__reply_clear(&r);
    return;
  }
  if (r.body != NULL || !json_is_object(doc)) {
    abort();
  }
  const char *key;
  json_t *value;
  json_object_foreach(doc, key, value) {
    size_t k = 0;
    while (k < n && strcmp(key, fields[k].name) != 0) {
      k++;
    }
    if (k == n) {
      abort();
    }
    bool kind_ok = fields[k].kind == SK_FIELD_STRING ? json_is_string(value)
                   : fields[k].kind == SK_FIELD_BOOL ? json_is_boolean(value)
                   : fields[k].kind == SK_FIELD_INT  ? json_is_integer(value)
                                                     : json_is_object(value);
    if (!kind_ok && !(json_is_null(value) && !fields[k].required)) {
      abort();
    }
  }
  for (size_t k = 0; k < n; k++) {
    json_t *v = json_object_get(doc, fields[k].name);
    if (fields[k].required && !json_is_string(v) && !json_is_boolean(v) && !json_is_integer(v) &&
        !json_is_object(v)) {
      abort();
    }
  }
  /* What the handlers check next, on whatever got through. */
  const char *name = json_string_value(json_object_get(doc, "name"));
  if (name != NULL) {
    (void)sk__valid_name(name);
  }
  const char *role = json_string_value(json_object_get(doc, "role"));
  segkit_server_role parsed;
  if (role != NULL && segkit_server_role_parse(role, &parsed, NULL) == SEGKIT_OK &&
      segkit_server_role_name(parsed) == NULL) {
    abort();
  }
  const char *as_of = json_string_value(json_object_get(doc, "as_of"));
  int64_t us;
  int32_t days;
  if (as_of != NULL && !segkit_parse_timestamp(as_of, strlen(as_of), &us)) {
    (void)segkit_parse_date(as_of, strlen(as_of), &days);
  }
  json_decref(doc);
}

static size_t braces(const char *pattern) {
  size_t n = 0;
  for (const char *p = pattern; *p != '\0'; p++) {
    n += *p == '{';
  }
  return n;
}

static void check_route(const char *path) {
  static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  size_t n_routes = 0;
  const sk_route *routes = sk__api_routes(&n_routes);
  bool some_found = false;
  bool no_method = false;
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
    sk_match m;
    sk_route_result rr = sk__route(routes, n_routes, methods[i], path, &m);
    no_method = no_method || rr == SK_ROUTE_NO_METHOD;
    if (rr != SK_ROUTE_FOUND) {
      continue;
    }
    some_found = true;
    if (m.route == NULL || strcmp(m.route->method, methods[i]) != 0 ||
        m.n_params != braces(m.route->pattern)) {
      abort();
    }
    for (size_t p = 0; p < m.n_params; p++) {
      size_t len = strnlen(m.params[p], SK_PARAM_MAX);
      if (len == 0 || len == SK_PARAM_MAX || strchr(m.params[p], '/') != NULL) {
        abort();
      }
    }
  }
  if (no_method && !some_found) {
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const char *body = (const char *)data + 1;
  size_t len = size - 1;
  switch (data[0] % 5) {
  case 0:
    check_body(body, len, (data[0] / 5) % 2 == 0 ? sk__segment_fields : sk__segment_put_fields,
               SK_SEGMENT_N_FIELDS, false);
    break;
  case 1:
    check_body(body, len, sk__rule_check_fields, SK_RULE_CHECK_N_FIELDS, false);
    break;
  case 2:
    check_body(body, len, sk__snapshot_fields, 1, true);
    break;
  case 3:
    check_body(body, len, sk__key_fields, 2, false);
    break;
  default: {
    char *path = malloc(len + 1);
    if (path == NULL) {
      return 0;
    }
    memcpy(path, body, len);
    path[len] = '\0';
    check_route(path);
    free(path);
    break;
  }
  }
  return 0;
}
