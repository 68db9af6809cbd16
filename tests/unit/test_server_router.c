/* The router: the API's routes matched to the right handler and role with their path
 * parameters; 404 for paths that are not there (trailing slashes, extra or empty
 * segments, over-long names), 405 for a known path with another method; a table with two
 * parameters; and replies: the error shape and segkit statuses as HTTP statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

static sk_route_result api(const char *method, const char *path, sk_match *m) {
  size_t n = 0;
  const sk_route *routes = sk__api_routes(&n);
  return sk__route(routes, n, method, path, m);
}

static void server_router_api_routes(void **state) {
  (void)state;
  sk_match m;
  assert_int_equal(api("GET", "/api/v1/health", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route->handler, sk__get_health);
  assert_int_equal(m.route->min_role, 0);
  assert_int_equal(m.n_params, 0);
  assert_int_equal(api("GET", "/openapi.json", &m), SK_ROUTE_FOUND);
  assert_int_equal(m.route->min_role, 0);
  assert_int_equal(api("GET", "/api/v1/datasets", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route->handler, sk__get_datasets);
  assert_int_equal(api("GET", "/api/v1/datasets/customers", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route->handler, sk__get_dataset);
  assert_string_equal(m.params[0], "customers");
  assert_int_equal(api("GET", "/api/v1/segments/de-mid_2/count", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route->handler, sk__get_segment_count);
  assert_int_equal(m.n_params, 1);
  assert_string_equal(m.params[0], "de-mid_2");
  assert_int_equal(m.route->min_role, SEGKIT_ROLE_READ);
  assert_int_equal(api("GET", "/api/v1/segments/x/members", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route->handler, sk__get_segment_members);
  assert_int_equal(api("GET", "/api/v1/segments/x", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route->handler, sk__get_segment);
  assert_int_equal(api("GET", "/api/v1/segments", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route->handler, sk__get_segments);
  /* Writes need the write role. */
  assert_int_equal(api("POST", "/api/v1/segments", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route->handler, sk__post_segment);
  assert_int_equal(m.route->min_role, SEGKIT_ROLE_WRITE);
  assert_int_equal(api("DELETE", "/api/v1/segments/x", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route->handler, sk__delete_segment);
  assert_int_equal(m.route->min_role, SEGKIT_ROLE_WRITE);
  assert_string_equal(m.params[0], "x");
}

static void server_router_not_found_and_not_allowed(void **state) {
  (void)state;
  sk_match m;
  assert_int_equal(api("GET", "/api/v1/segments/", &m), SK_ROUTE_NO_PATH);
  assert_int_equal(api("GET", "/api/v1/segments//count", &m), SK_ROUTE_NO_PATH);
  assert_int_equal(api("GET", "/api/v1/segments/x/count/", &m), SK_ROUTE_NO_PATH);
  assert_int_equal(api("GET", "/api/v1/segments/x/size", &m), SK_ROUTE_NO_PATH);
  assert_int_equal(api("GET", "/api/v1/segments/x/count/more", &m), SK_ROUTE_NO_PATH);
  assert_int_equal(api("GET", "/api/v2/segments", &m), SK_ROUTE_NO_PATH);
  assert_int_equal(api("GET", "/api/v1/segmentsx", &m), SK_ROUTE_NO_PATH);
  assert_int_equal(api("GET", "", &m), SK_ROUTE_NO_PATH);
  assert_int_equal(api("GET", "/", &m), SK_ROUTE_NO_PATH);
  assert_int_equal(api("GET", "api/v1/health", &m), SK_ROUTE_NO_PATH);
  assert_null(m.route);
  /* Known paths, other methods. */
  assert_int_equal(api("PUT", "/api/v1/segments", &m), SK_ROUTE_NO_METHOD);
  assert_int_equal(api("POST", "/api/v1/segments/x/count", &m), SK_ROUTE_NO_METHOD);
  assert_int_equal(api("DELETE", "/api/v1/datasets/x", &m), SK_ROUTE_NO_METHOD);
  assert_int_equal(api("get", "/api/v1/health", &m), SK_ROUTE_NO_METHOD);
  assert_null(m.route);
  /* A parameter that cannot be a name: 255 bytes fit, 256 do not. */
  char path[400];
  char name[300];
  memset(name, 'a', 255);
  name[255] = '\0';
  snprintf(path, sizeof path, "/api/v1/segments/%s/count", name);
  assert_int_equal(api("GET", path, &m), SK_ROUTE_FOUND);
  assert_int_equal(strlen(m.params[0]), 255);
  memset(name, 'a', 256);
  name[256] = '\0';
  snprintf(path, sizeof path, "/api/v1/segments/%s/count", name);
  assert_int_equal(api("GET", path, &m), SK_ROUTE_BAD_PARAM);
}

static void handler_a(const sk_request *req, sk_reply *out) {
  (void)req;
  (void)out;
}

static void handler_b(const sk_request *req, sk_reply *out) {
  (void)req;
  (void)out;
}

static void server_router_two_params_first_match(void **state) {
  (void)state;
  static const sk_route table[] = {
      {"GET", "/a/{x}/b/{y}", handler_a, SEGKIT_ROLE_READ},
      {"GET", "/a/{x}/b/fixed", handler_b, SEGKIT_ROLE_READ},  /* shadowed by the first */
      {"GET", "/a/{x}", handler_b, SEGKIT_ROLE_ADMIN},
  };
  sk_match m;
  assert_int_equal(sk__route(table, 3, "GET", "/a/one/b/two", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route, &table[0]);
  assert_int_equal(m.n_params, 2);
  assert_string_equal(m.params[0], "one");
  assert_string_equal(m.params[1], "two");
  assert_int_equal(sk__route(table, 3, "GET", "/a/one/b/fixed", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route, &table[0]);
  assert_int_equal(sk__route(table, 3, "GET", "/a/one", &m), SK_ROUTE_FOUND);
  assert_ptr_equal(m.route, &table[2]);
  assert_string_equal(m.params[0], "one");
  assert_int_equal(sk__route(table, 3, "GET", "/a/one/b", &m), SK_ROUTE_NO_PATH);
  assert_int_equal(sk__route(table, 0, "GET", "/a/one", &m), SK_ROUTE_NO_PATH);
}

static void expect_mapping(segkit_status s, unsigned status, const char *code) {
  sk_reply r = {.status = 0};
  segkit_error err;
  segkit_error_set_at(&err, s, NULL, 0, 0, "name", "what \"went\" wrong");
  sk__reply_from_error(&r, &err);
  assert_int_equal(r.status, status);
  size_t len = 0;
  char *text = sk__reply_text(&r, &len);
  char expected[300];
  snprintf(expected, sizeof expected,
           "{\"error\":{\"code\":\"%s\",\"message\":\"field 'name': what \\\"went\\\" wrong\"}}",
           code);
  assert_string_equal(text, expected);
  assert_int_equal(len, strlen(expected));
  free(text);
  sk__reply_clear(&r);
}

static void server_reply_errors(void **state) {
  (void)state;
  expect_mapping(SEGKIT_ERR_NOT_FOUND, 404, "not_found");
  expect_mapping(SEGKIT_ERR_EXISTS, 409, "conflict");
  expect_mapping(SEGKIT_ERR_USAGE, 400, "bad_request");
  expect_mapping(SEGKIT_ERR_SCHEMA, 400, "bad_request");
  expect_mapping(SEGKIT_ERR_PARSE, 400, "invalid_rule");
  expect_mapping(SEGKIT_ERR_TYPE, 400, "invalid_rule");
  expect_mapping(SEGKIT_ERR_LIMIT, 413, "too_large");
  expect_mapping(SEGKIT_ERR_STORE, 503, "workspace_unavailable");
  expect_mapping(SEGKIT_ERR_NOMEM, 500, "internal");
  sk_reply r = {.status = 0};
  sk__reply_error(&r, 400, "unknown_field", "unknown field '%s'", "a\"b");
  size_t len = 0;
  char *text = sk__reply_text(&r, &len);
  assert_string_equal(text, "{\"error\":{\"code\":\"unknown_field\",\"message\":\"unknown field "
                            "'a\\\"b'\"}}");
  free(text);
  sk__reply_clear(&r);
}

/* Request bodies: each refusal is a 400 naming the problem, and a field name that is not
 * UTF-8 still gives a JSON answer (the byte shown as '?'), found by fuzz_http_body. */
static const char *body_error(const char *body, const char **message) {
  static const sk_field fields[] = {{"role", SK_FIELD_STRING, true},
                                    {"name", SK_FIELD_STRING, false}};
  static char msg[512];
  sk_reply r = {.status = 0};
  json_t *doc = sk__body_object(body, strlen(body), fields, 2, false, &r);
  if (doc != NULL) {
    json_decref(doc);
    return "accepted";
  }
  assert_int_equal(r.status, 400);
  json_t *e = json_object_get(r.body, "error");
  static char code[64];
  snprintf(code, sizeof code, "%s", json_string_value(json_object_get(e, "code")));
  snprintf(msg, sizeof msg, "%s", json_string_value(json_object_get(e, "message")));
  *message = msg;
  sk__reply_clear(&r);
  return code;
}

static void server_body_checks(void **state) {
  (void)state;
  const char *m = NULL;
  assert_string_equal(body_error("{\"role\": \"read\", \"name\": null}", &m), "accepted");
  assert_string_equal(body_error("{\"role\": \"read\",", &m), "malformed_json");
  assert_non_null(strstr(m, "malformed JSON at line 1, column"));
  assert_string_equal(body_error("{\"role\": 1, \"role\": 2}", &m), "malformed_json");
  assert_string_equal(body_error("[\"read\"]", &m), "malformed_json");
  assert_string_equal(m, "the body must be a JSON object with the fields role, name");
  assert_string_equal(body_error("{\"role\": \"read\", \"team\": 1}", &m), "unknown_field");
  assert_string_equal(m, "unknown field 'team' (expected role, name)");
  assert_string_equal(body_error("{\"role\": [\"read\"]}", &m), "invalid_field");
  assert_string_equal(m, "field 'role' must be a string");
  assert_string_equal(body_error("{\"role\": null}", &m), "invalid_field");
  assert_string_equal(body_error("{}", &m), "missing_field");
  assert_string_equal(m, "field 'role' is required");
  /* jansson refuses the invalid UTF-8 itself, naming where; either way the answer is JSON. */
  const char *code = body_error("{\"r\xff\": 1}", &m);
  assert_true(strcmp(code, "malformed_json") == 0 || strcmp(code, "unknown_field") == 0);
  assert_true(sk__valid_name("de-small_2"));
  assert_false(sk__valid_name("no spaces"));
  assert_false(sk__valid_name(""));
}

/* The OpenAPI document describes exactly the router's routes, with their roles: public
 * routes have "security": [], the others the bearer scheme. */
static void server_openapi_matches_routes(void **state) {
  (void)state;
  json_error_t jerr;
  json_t *doc = json_loads(segkit_server_openapi(), 0, &jerr);
  assert_non_null(doc);
  assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
  json_t *paths = json_object_get(doc, "paths");
  size_t n = 0;
  const sk_route *routes = sk__api_routes(&n);
  size_t n_ops = 0;
  const char *path;
  json_t *item;
  json_object_foreach(paths, path, item) { n_ops += json_object_size(item); }
  assert_int_equal(n_ops, n);
  for (size_t i = 0; i < n; i++) {
    char method[16];
    size_t k = 0;
    for (; routes[i].method[k] != '\0' && k < sizeof method - 1; k++) {
      method[k] = (char)(routes[i].method[k] - 'A' + 'a');
    }
    method[k] = '\0';
    json_t *op = json_object_get(json_object_get(paths, routes[i].pattern), method);
    assert_non_null(op);
    json_t *security = json_object_get(op, "security");
    assert_non_null(security);
    assert_int_equal(json_array_size(security), routes[i].min_role == 0 ? 0 : 1);
    if (routes[i].min_role != 0) {
      assert_non_null(json_object_get(json_object_get(op, "responses"), "401"));
      assert_non_null(json_object_get(json_object_get(op, "responses"), "403"));
    }
  }
  json_decref(doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(server_router_api_routes),
      cmocka_unit_test(server_router_not_found_and_not_allowed),
      cmocka_unit_test(server_router_two_params_first_match),
      cmocka_unit_test(server_reply_errors),
      cmocka_unit_test(server_body_checks),
      cmocka_unit_test(server_openapi_matches_routes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
