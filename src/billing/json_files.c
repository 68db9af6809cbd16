/* Stripe JSON files: which shape the file has, and one call per object in it.
 *
 * Four shapes are accepted: a list object {"object":"list","data":[...]} (also
 * "search_result", as the list and search endpoints return them), a JSON array of objects,
 * a single object, and JSON Lines (one such document per line: objects, or whole pages).
 * Key design choice: the first JSON value is parsed with jansson's JSON_DISABLE_EOF_CHECK;
 * if only blanks follow it the file was one document, and if it sat on line 1 and more
 * follows, the file is JSON Lines and is parsed line by line. So a pretty-printed export and a JSON
 * Lines export need no flag. A file whose first value does not parse is an error naming its line
 * and column; a later bad line of a JSON Lines file only skips that line. */
#include <jansson.h>
#include <string.h>

#include "billing/billing_json.h"

/* 1-based line and column of byte `pos`. */
static void where(const char *data, size_t pos, int64_t *line, int64_t *col) {
  *line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos; i++) {
    if (data[i] == '\n') {
      (*line)++;
      line_start = i + 1;
    }
  }
  *col = (int64_t)(pos - line_start) + 1;
}

static bool blank_from(const char *data, size_t size, size_t i) {
  for (; i < size; i++) {
    char c = data[i];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      return false;
    }
  }
  return true;
}

/* A list object's data, or NULL when o is not a list object. */
static json_t *list_data(json_t *o) {
  const char *type = json_string_value(json_object_get(o, "object"));
  if (type == NULL || (strcmp(type, "list") != 0 && strcmp(type, "search_result") != 0)) {
    return NULL;
  }
  json_t *d = json_object_get(o, "data");
  return json_is_array(d) ? d : NULL;
}

/* One JSON document: an object, a list object or an array. line is its line in a JSON
 * Lines file (0 for a whole-file document); raw its bytes when it is one object on a line. */
static segkit_status add_document(segkit_stripe_import *imp, const char *name, int64_t line,
                                  json_t *doc, const char *raw, size_t raw_len) {
  if (json_is_object(doc)) {
    json_t *data = list_data(doc);
    if (data == NULL) {
      return sk__bill_json_object(imp, name, line, -1, doc, raw, raw_len);
    }
    if (json_is_true(json_object_get(doc, "has_more")) &&
        !sk__bill_skip_add(imp, SEGKIT_STRIPE_SKIP_WARNING, name, line, -1, "list", "", -1, NULL, 0,
                           "the list has has_more=true: the export holds only its first "
                           "page, later objects are missing")) {
      return SEGKIT_ERR_NOMEM;
    }
    doc = data;
  }
  if (!json_is_array(doc)) {
    return sk__bill_skip_add(imp, SEGKIT_STRIPE_SKIP_MALFORMED, name, line, -1, "", "", -1, raw,
                             raw_len,
                             "a JSON %s, expected an object, an array of objects or "
                             "a list object",
                             json_is_string(doc)   ? "string"
                             : json_is_number(doc) ? "number"
                                                   : "value")
               ? SEGKIT_OK
               : SEGKIT_ERR_NOMEM;
  }
  for (size_t i = 0; i < json_array_size(doc); i++) {
    segkit_status st =
        sk__bill_json_object(imp, name, line, (int64_t)i, json_array_get(doc, i), NULL, 0);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  return SEGKIT_OK;
}

static segkit_status add_lines(segkit_stripe_import *imp, const char *name, const char *data,
                               size_t size) {
  size_t pos = 0;
  int64_t line = 0;
  while (pos < size) {
    line++;
    const char *nl = memchr(data + pos, '\n', size - pos);
    size_t end = nl != NULL ? (size_t)(nl - data) : size;
    size_t len = end - pos;
    const char *s = data + pos;
    pos = end + 1;
    if (blank_from(s, len, 0)) {
      continue;
    }
    if (line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
      s += 3;
      len -= 3;
    }
    size_t raw_len = len > 0 && s[len - 1] == '\r' ? len - 1 : len;
    json_error_t je;
    json_t *o = json_loadb(s, len, 0, &je);
    if (o == NULL) {
      if (!sk__bill_skip_add(imp, SEGKIT_STRIPE_SKIP_MALFORMED, name, line, -1, "", "", -1, s,
                             raw_len, "line %lld is not JSON: %s (column %d)", (long long)line,
                             je.text, je.column)) {
        return SEGKIT_ERR_NOMEM;
      }
      continue;
    }
    segkit_status st = add_document(imp, name, line, o, s, raw_len);
    json_decref(o);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  return SEGKIT_OK;
}

segkit_status sk__bill_json_add(segkit_stripe_import *imp, const char *name, const char *data,
                                size_t size, segkit_error *err) {
  size_t start = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  json_error_t je;
  /* Duplicate keys are not refused: one bad object must not make a whole file fail (jansson
   * keeps the last value). */
  json_t *first = json_loadb(data + start, size - start, JSON_DISABLE_EOF_CHECK, &je);
  if (first == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, name, je.line, je.column, NULL,
                               "not valid JSON at byte %d: %s (expected Stripe API objects: a "
                               "list object, an array, an object or JSON Lines)",
                               je.position + (int)start, je.text);
  }
  size_t used = start + (size_t)je.position;
  segkit_status st;
  if (blank_from(data, size, used)) {
    st = add_document(imp, name, 0, first, NULL, 0);
  } else if (memchr(data + start, '\n', used - start) == NULL) {
    /* The first document fits on line 1 and more follows: JSON Lines, one document
     * (object, list object or array, e.g. one API page) per line. */
    st = add_lines(imp, name, data, size);
  } else {
    while (used < size &&
           (data[used] == ' ' || data[used] == '\t' || data[used] == '\r' || data[used] == '\n')) {
      used++;
    }
    int64_t line, col;
    where(data, used, &line, &col);
    st = segkit_error_set_at(err, SEGKIT_ERR_PARSE, name, line, col, NULL,
                             "unexpected text after the JSON document at byte %zu (expected "
                             "one document, or one document per line)",
                             used);
    json_decref(first);
    return st;
  }
  json_decref(first);
  if (st == SEGKIT_ERR_NOMEM) {
    return segkit_error_set_at(err, st, name, 0, 0, NULL, "out of memory reading Stripe objects");
  }
  return st;
}
