/* POST /api/v1/rules/check: compile and count a rule without saving it, for the dashboard's
 * segment builder, which asks again as the user types.
 *
 * A rule that does not compile is an answer, not a failed request: 200 with
 * {"valid": false, "errors": [{"message", "line", "column", "length"}]}, so a client can
 * tell "your rule is wrong here" (mark the text) from "your request is wrong" (400: bad
 * JSON, an unknown field, an unknown dataset). The check is segkit_segeval_check, the
 * evaluation every saved segment gets (the dataset's key, the linked datasets the rule
 * names, in_segment(), the server's table cache), so the count shown is the count a save
 * would report. Read role: nothing is written. */
#include <string.h>

#include "server/server_int.h"

/* The problems of a wrong rule; line, column and length are null for a problem that has no
 * place in the text (an in_segment() naming no segment, say). */
static json_t *errors_json(const segkit_rule_check *c) {
  json_t *errors = json_array();
  for (size_t i = 0; i < c->n_problems; i++) {
    const segkit_rule_problem *p = &c->problems[i];
    bool placed = p->line > 0;
    json_t *e = json_pack("{s:s}", "message", p->message);
    json_object_set_new(e, "line", placed ? json_integer(p->line) : json_null());
    json_object_set_new(e, "column", placed ? json_integer(p->column) : json_null());
    json_object_set_new(e, "length", placed ? json_integer(p->length) : json_null());
    json_array_append_new(errors, e);
  }
  return errors;
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
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    json_decref(doc);
    return;
  }
  segkit_segeval_options opt;
  sk__eval_options(req, &opt);
  segkit_rule_check *c = NULL;
  segkit_error err;
  segkit_status s = segkit_segeval_check(ws, dataset, rule, &opt, &c, &err);
  if (s == SEGKIT_ERR_NOT_FOUND || (s == SEGKIT_ERR_USAGE && dataset == NULL)) {
    sk__reply_error(out, 400, "invalid_field", "field 'dataset': %s", err.message);
  } else if (s != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else if (c->valid) {
    sk__reply_json(out, 200,
                   json_pack("{s:b, s:s, s:I, s:I}", "valid", 1, "dataset", c->dataset, "count",
                             (json_int_t)c->count, "of", (json_int_t)c->of));
  } else {
    sk__reply_json(out, 200, json_pack("{s:b, s:o}", "valid", 0, "errors", errors_json(c)));
  }
  segkit_rule_check_free(c);
  segkit_workspace_close(ws);
  json_decref(doc);
}
