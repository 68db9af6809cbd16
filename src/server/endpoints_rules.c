/* POST /api/v1/rules/check: compile and count a rule without saving it, for the dashboard's
 * segment builder, which asks again as the user types.
 *
 * A rule that does not compile is an answer, not a failed request: 200 with
 * {"valid": false, "errors": [{"message", "line", "column", "length"}]}, so a client can
 * tell "your rule is wrong here" (mark the text) from "your request is wrong" (400: bad
 * JSON, an unknown field, an unknown dataset). The rule runs exactly as a saved segment
 * would (segment_eval.c: the dataset's key, the linked datasets it names, in_segment()
 * references), so the count shown is the count a save would report. Read role: nothing is
 * written. */
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

/* The dataset a check runs on when the body names none: the one the CLI's segments
 * default to. */
static const char DEFAULT_DATASET[] = "customers";

/* The message without its "rule:LINE:COL: " prefix: line and column are fields of their
 * own in the answer. */
static const char *bare_message(const char *message) {
  if (strncmp(message, "rule:", 5) != 0) {
    return message;
  }
  const char *p = message + 5;
  for (int colons = 0; *p != '\0' && colons < 2; p++) {
    if (*p == ':') {
      colons++;
    } else if (*p < '0' || *p > '9') {
      return message;
    }
  }
  while (*p == ' ') {
    p++;
  }
  return p;
}

/* {"valid": false, "errors": [...]}; line, column and length are null for an error that
 * has no place in the text (a cycle of in_segment() references, say). */
static void reply_invalid(sk_reply *out, const segkit_error *err, const segkit_rule_diag *diag) {
  json_t *e = json_pack("{s:s}", "message", bare_message(err->message));
  bool placed = diag->line > 0;
  json_object_set_new(e, "line", placed ? json_integer(diag->line) : json_null());
  json_object_set_new(e, "column", placed ? json_integer(diag->column) : json_null());
  json_object_set_new(e, "length", placed ? json_integer(diag->length) : json_null());
  sk__reply_json(out, 200, json_pack("{s:b, s:[o]}", "valid", 0, "errors", e));
}

/* The body's dataset (or NULL) and rule; on failure the reply is filled. */
static bool parse_check(const sk_request *req, json_t **doc, const char **dataset,
                        const char **rule, sk_reply *out) {
  json_error_t jerr;
  *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
  if (*doc == NULL) {
    sk__reply_error(out, 400, "malformed_json", "malformed JSON at line %d, column %d: %s",
                    jerr.line, jerr.column, jerr.text);
    return false;
  }
  if (!json_is_object(*doc)) {
    sk__reply_error(out, 400, "malformed_json",
                    "the body must be a JSON object with rule (and optionally dataset)");
    return false;
  }
  const char *field;
  json_t *value;
  json_object_foreach(*doc, field, value) {
    bool is_rule = strcmp(field, "rule") == 0;
    if (!is_rule && strcmp(field, "dataset") != 0) {
      sk__reply_error(out, 400, "unknown_field", "unknown field '%s' (expected rule, dataset)",
                      field);
      return false;
    }
    if (!json_is_string(value) && !(json_is_null(value) && !is_rule)) {
      sk__reply_error(out, 400, "invalid_field", "field '%s' must be a string", field);
      return false;
    }
  }
  *rule = json_string_value(json_object_get(*doc, "rule"));
  *dataset = json_string_value(json_object_get(*doc, "dataset"));
  if (*rule == NULL) {
    sk__reply_error(out, 400, "missing_field", "field 'rule' is required");
    return false;
  }
  return true;
}

void sk__post_rule_check(const sk_request *req, sk_reply *out) {
  json_t *doc = NULL;
  const char *dataset = NULL;
  const char *rule = NULL;
  if (!parse_check(req, &doc, &dataset, &rule, out)) {
    json_decref(doc);
    return;
  }
  if (dataset == NULL) {
    dataset = DEFAULT_DATASET;
  }
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    json_decref(doc);
    return;
  }
  sk_eval e;
  segkit_error err;
  segkit_status s = sk__eval_open(ws, dataset, NULL, rule, &e, &err);
  if (s == SEGKIT_ERR_NOT_FOUND) {
    sk__reply_error(out, 400, "invalid_field", "field 'dataset': %s", err.message);
  } else if (s == SEGKIT_OK && (s = sk__eval_rule(ws, &e, "(check)", rule, &err)) == SEGKIT_OK) {
    sk__reply_json(out, 200,
                   json_pack("{s:b, s:s, s:I, s:I}", "valid", 1, "dataset", dataset, "count",
                             (json_int_t)e.count, "of",
                             (json_int_t)segkit_table_n_rows(e.customers)));
  } else if (s == SEGKIT_ERR_PARSE || s == SEGKIT_ERR_TYPE || s == SEGKIT_ERR_LIMIT ||
             (s == SEGKIT_ERR_USAGE && e.env != NULL)) {
    /* The rule's own faults (syntax, names, types, size, in_segment() cycles or segments
     * over another dataset): the user fixes the text. */
    reply_invalid(out, &err, &e.diag);
  } else {
    sk__reply_from_error(out, &err);
  }
  sk__eval_free(&e);
  segkit_workspace_close(ws);
  json_decref(doc);
}
