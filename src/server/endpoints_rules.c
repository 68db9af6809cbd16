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

static const sk_field check_fields[] = {
    {"rule", SK_FIELD_STRING, true},
    {"dataset", SK_FIELD_STRING, false},
};

void sk__post_rule_check(const sk_request *req, sk_reply *out) {
  json_t *doc = sk__body_object(req->body, req->body_len, check_fields, 2, false, out);
  if (doc == NULL) {
    return;
  }
  const char *rule = json_string_value(json_object_get(doc, "rule"));
  const char *dataset = json_string_value(json_object_get(doc, "dataset"));
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
