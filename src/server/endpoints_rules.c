/* POST /api/v1/rules/check: compile and count a rule without saving it, for the dashboard's
 * segment builder, which asks again as the user types.
 *
 * A rule that does not compile is an answer, not a failed request: 200 with
 * {"valid": false, "errors": [{"message", "line", "column", "length"}]}, so a client can
 * tell "your rule is wrong here" (mark the text) from "your request is wrong" (400: bad
 * JSON, an unknown field, an unknown dataset). The check is segkit_segeval_check, the
 * evaluation every saved segment gets (the dataset's key, the linked datasets the rule
 * names, in_segment(), the server's table cache), so the count shown is the count a save
 * would report. A rule over fields derived from a subscription history (mrr, plan, ...)
 * checks with a segment's context: the body's key, subscriptions and rates, over those of the
 * stored segment it names with "segment" (an editor's: the context its PUT keeps, including
 * rates the CLI stored as a file path, which a request may not name). Read role: nothing is
 * written. */
#include <stdlib.h>
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

/* The context fields are a segment's (POST/PUT /api/v1/segments). */
const sk_field sk__rule_check_fields[SK_RULE_CHECK_N_FIELDS] = {
    {"rule", SK_FIELD_STRING, true},   {"dataset", SK_FIELD_STRING, false},
    {"key", SK_FIELD_STRING, false},   {"subscriptions", SK_FIELD_STRING, false},
    {"rates", SK_FIELD_STRING, false}, {"segment", SK_FIELD_STRING, false},
};

/* The dataset named in a NOT_FOUND: whether it is the subscriptions one. */
static bool subscriptions_missing(segkit_workspace *ws, const char *dataset, const char *subs) {
  if (subs == NULL) {
    return false;
  }
  segkit_dataset_list *info = NULL;
  bool missing = segkit_workspace_dataset_info(ws, subs, &info, NULL) != SEGKIT_OK;
  segkit_dataset_list_free(info);
  return missing && (dataset == NULL || strcmp(dataset, subs) != 0);
}

void sk__post_rule_check(const sk_request *req, sk_reply *out) {
  json_t *doc = sk__body_object(req->body, req->body_len, sk__rule_check_fields,
                                SK_RULE_CHECK_N_FIELDS, false, out);
  if (doc == NULL) {
    return;
  }
  const char *rule = json_string_value(json_object_get(doc, "rule"));
  const char *dataset = json_string_value(json_object_get(doc, "dataset"));
  const char *subs = json_string_value(json_object_get(doc, "subscriptions"));
  const char *rates = json_string_value(json_object_get(doc, "rates"));
  segkit_segeval_options opt;
  sk__eval_options(req, &opt);
  if (!sk__inline_rates_ok(rates, out) || !sk__query_as_of(req, &opt.now_us, out)) {
    json_decref(doc);
    return;
  }
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    json_decref(doc);
    return;
  }
  segkit_rule_check *c = NULL;
  segkit_error err;
  const char *segment = json_string_value(json_object_get(doc, "segment"));
  segkit_segment_list *base = NULL;
  if (segment != NULL && segkit_workspace_segments(ws, segment, &base, &err) != SEGKIT_OK) {
    sk__reply_error(out, 400, "invalid_field", "field 'segment': no segment named '%.100s'",
                    segment);
    segkit_workspace_close(ws);
    json_decref(doc);
    return;
  }
  char *context = sk__segment_context(base != NULL ? base->items[0].context : NULL, doc, out);
  segkit_segment_list_free(base);
  if (out->body != NULL) {
    segkit_workspace_close(ws);
    json_decref(doc);
    return;
  }
  opt.context = context;
  segkit_status s = segkit_segeval_check(ws, dataset, rule, &opt, &c, &err);
  if (s == SEGKIT_ERR_USAGE && rates != NULL && strstr(err.message, "rates") != NULL) {
    sk__reply_error(out, 400, "invalid_field", "field 'rates': %s", err.message);
  } else if (s == SEGKIT_ERR_NOT_FOUND && subscriptions_missing(ws, dataset, subs)) {
    sk__reply_error(out, 400, "invalid_field", "field 'subscriptions': %s", err.message);
  } else if (s == SEGKIT_ERR_NOT_FOUND || (s == SEGKIT_ERR_USAGE && dataset == NULL)) {
    sk__reply_error(out, 400, "invalid_field", "field 'dataset': %s", err.message);
  } else if (s == SEGKIT_ERR_SCHEMA && strcmp(err.field, "key") == 0) {
    sk__reply_error(out, 400, "invalid_field", "field 'key': %s", err.message);
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
  free(context);
  segkit_workspace_close(ws);
  json_decref(doc);
}
