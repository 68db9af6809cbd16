/* Request bodies: a JSON object with named fields, checked before a handler acts on it.
 *
 * Every POST endpoint declares its fields (name, kind, required) and gets either the parsed
 * object or a 400 that names the problem: malformed JSON (the line and column jansson
 * stopped at), a body that is not an object, a field it does not accept (with the list of
 * those it does), a field of the wrong kind, a required field missing. Duplicate keys are
 * malformed (JSON_REJECT_DUPLICATES), so "which one counts" never comes up. Pure: no I/O,
 * so the fuzz target (tests/fuzz/fuzz_http_body.c) drives it directly. */
#include <stdio.h>
#include <string.h>

#include "server/server_int.h"

static const char *kind_name(sk_field_kind kind) {
  switch (kind) {
  case SK_FIELD_STRING:
    return "a string";
  case SK_FIELD_BOOL:
    return "true or false";
  case SK_FIELD_INT:
    return "an integer";
  default:
    return "a JSON object";
  }
}

static bool kind_matches(sk_field_kind kind, const json_t *v) {
  switch (kind) {
  case SK_FIELD_STRING:
    return json_is_string(v);
  case SK_FIELD_BOOL:
    return json_is_boolean(v);
  case SK_FIELD_INT:
    return json_is_integer(v);
  default:
    return json_is_object(v);
  }
}

/* "a, b, c" of the accepted names, for messages. */
static void field_list(const sk_field *fields, size_t n, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < size; i++) {
    int w = snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "", fields[i].name);
    if (w < 0) {
      return;
    }
    used += (size_t)w;
  }
}

json_t *sk__body_object(const char *body, size_t len, const sk_field *fields, size_t n,
                        bool allow_empty, sk_reply *out) {
  char expected[512];
  field_list(fields, n, expected, sizeof expected);
  size_t start = 0;
  while (start < len && (body[start] == ' ' || body[start] == '\n' || body[start] == '\r' ||
                         body[start] == '\t')) {
    start++;
  }
  if (start == len && allow_empty) {
    return json_object();
  }
  json_error_t jerr;
  json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
  if (doc == NULL) {
    sk__reply_error(out, 400, "malformed_json", "malformed JSON at line %d, column %d: %s",
                    jerr.line, jerr.column, jerr.text);
    return NULL;
  }
  if (!json_is_object(doc)) {
    sk__reply_error(out, 400, "malformed_json", "the body must be a JSON object with %s%s",
                    n > 0 ? "the fields " : "no fields", expected);
    json_decref(doc);
    return NULL;
  }
  const char *name;
  json_t *value;
  json_object_foreach(doc, name, value) {
    size_t k = 0;
    while (k < n && strcmp(name, fields[k].name) != 0) {
      k++;
    }
    if (k == n) {
      sk__reply_error(out, 400, "unknown_field", "unknown field '%.200s' (expected %s)", name,
                      n > 0 ? expected : "no fields");
      json_decref(doc);
      return NULL;
    }
    if (!kind_matches(fields[k].kind, value) && !(json_is_null(value) && !fields[k].required)) {
      sk__reply_error(out, 400, "invalid_field", "field '%s' must be %s", name,
                      kind_name(fields[k].kind));
      json_decref(doc);
      return NULL;
    }
  }
  for (size_t k = 0; k < n; k++) {
    json_t *v = json_object_get(doc, fields[k].name);
    if (fields[k].required && (v == NULL || json_is_null(v))) {
      sk__reply_error(out, 400, "missing_field", "field '%s' is required", fields[k].name);
      json_decref(doc);
      return NULL;
    }
  }
  return doc;
}

bool sk__valid_name(const char *s) {
  size_t n = s != NULL ? strlen(s) : 0;
  if (n == 0 || n > 64) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}
