/* POST /api/v1/datasets/{name}/import: a CSV or JSON Lines file as the request body,
 * imported as `segkit import` imports a file (write role; audited with the key as actor).
 *
 * The body never sits in memory: the daemon streams it to a temporary file as it arrives
 * (up to --max-upload, 413 beyond) after checking the key on the headers alone, so a
 * stranger cannot make the server store hundreds of megabytes. Then the same library calls
 * as the CLI run on that file: the reader with its type inference and per-row validation
 * (on_error fail, skip or quarantine), the key checks, and one workspace transaction for the
 * batch, its quarantined rows and its audit entry. The answer is the CLI's JSON summary plus
 * the rejected rows with line, column, field and reason; a failed import is a 400 that says
 * where (line, column, field) and changes nothing. The table cache notices the new batch on
 * the next request (its stamp changed). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/server_int.h"

enum { MAX_PROBLEMS = 1000 };

static const char *mode_name(segkit_import_mode m) {
  switch (m) {
  case SEGKIT_IMPORT_CREATE:
    return "create";
  case SEGKIT_IMPORT_UPSERT:
    return "upsert";
  case SEGKIT_IMPORT_REPLACE:
    return "replace";
  default:
    return "append";
  }
}

static const char *query(const sk_request *req, const char *name) {
  return req->query != NULL ? req->query(req->query_ctx, name) : NULL;
}

typedef struct import_args {
  segkit_import_mode mode;
  const char *key;
  segkit_on_error on_error;
  bool jsonl;
} import_args;

/* The query's mode, key, on_error and format; false with a 400 in out. */
static bool parse_args(const sk_request *req, import_args *a, sk_reply *out) {
  a->key = query(req, "key");
  a->mode = a->key != NULL ? SEGKIT_IMPORT_UPSERT : SEGKIT_IMPORT_APPEND;
  const char *m = query(req, "mode");
  if (m != NULL) {
    static const char *const names[] = {"append", "upsert", "create", "replace"};
    static const segkit_import_mode modes[] = {SEGKIT_IMPORT_APPEND, SEGKIT_IMPORT_UPSERT,
                                               SEGKIT_IMPORT_CREATE, SEGKIT_IMPORT_REPLACE};
    size_t k = 0;
    while (k < 4 && strcmp(m, names[k]) != 0) {
      k++;
    }
    if (k == 4) {
      sk__reply_error(out, 400, "invalid_parameter",
                      "query parameter 'mode' must be append, upsert, create or replace, not "
                      "'%.100s'",
                      m);
      return false;
    }
    a->mode = modes[k];
  }
  if (a->mode == SEGKIT_IMPORT_UPSERT && a->key == NULL) {
    sk__reply_error(out, 400, "invalid_parameter", "mode upsert needs the key parameter");
    return false;
  }
  const char *e = query(req, "on_error");
  a->on_error = SEGKIT_ON_ERROR_FAIL;
  if (e != NULL && strcmp(e, "skip") == 0) {
    a->on_error = SEGKIT_ON_ERROR_SKIP;
  } else if (e != NULL && strcmp(e, "quarantine") == 0) {
    a->on_error = SEGKIT_ON_ERROR_QUARANTINE;
  } else if (e != NULL && strcmp(e, "fail") != 0) {
    sk__reply_error(out, 400, "invalid_parameter",
                    "query parameter 'on_error' must be fail, skip or quarantine, not '%.100s'", e);
    return false;
  }
  const char *f = query(req, "format");
  const char *ct = req->content_type != NULL ? req->content_type : "";
  a->jsonl = strncasecmp(ct, "application/x-ndjson", 20) == 0 ||
             strncasecmp(ct, "application/jsonl", 17) == 0 ||
             strncasecmp(ct, "application/x-jsonlines", 23) == 0;
  if (f != NULL && strcmp(f, "jsonl") == 0) {
    a->jsonl = true;
  } else if (f != NULL && strcmp(f, "csv") == 0) {
    a->jsonl = false;
  } else if (f != NULL) {
    sk__reply_error(out, 400, "invalid_parameter",
                    "query parameter 'format' must be csv or jsonl, not '%.100s'", f);
    return false;
  }
  return true;
}

/* A reader or key error as a 400 that says where, with the CLI's hint. */
static void reply_data_error(sk_reply *out, segkit_error *err, const char *hint) {
  snprintf(err->file, sizeof err->file, "upload");
  if (err->code != SEGKIT_ERR_PARSE && err->code != SEGKIT_ERR_TYPE &&
      err->code != SEGKIT_ERR_SCHEMA && err->code != SEGKIT_ERR_LIMIT) {
    sk__reply_from_error(out, err);
    return;
  }
  char message[1200];
  segkit_error_format(err, message, sizeof message);
  sk__reply_error(out, 400, "invalid_data", "%s; nothing was imported%s", message,
                  hint != NULL ? hint : "");
  json_t *e = json_object_get(out->body, "error");
  json_object_set_new(e, "line", json_integer(err->line));
  json_object_set_new(e, "column", json_integer(err->column));
  json_object_set_new(e, "field", err->field[0] != '\0' ? json_string(err->field) : json_null());
}

static json_t *summary_json(const char *dataset, segkit_import_mode mode,
                            const segkit_read_result *res, const segkit_import_outcome *oc) {
  const segkit_read_counts *c = segkit_read_result_counts(res);
  const segkit_table *t = segkit_read_result_table(res);
  json_t *reasons = json_object();
  for (int r = 0; r < SEGKIT_REJECT_COUNT; r++) {
    if (c->rejected_by_reason[r] > 0) {
      json_object_set_new(reasons, segkit_reject_reason_id((segkit_reject_reason)r),
                          json_integer(c->rejected_by_reason[r]));
    }
  }
  json_t *cols = json_array();
  for (size_t i = 0; i < segkit_table_n_cols(t); i++) {
    const segkit_column *col = segkit_table_column(t, i);
    json_array_append_new(cols, json_pack("{s:s, s:s, s:b}", "name", segkit_column_name(col),
                                          "type", segkit_type_name(segkit_column_type(col)),
                                          "inferred", segkit_read_result_type_inferred(res, i)));
  }
  json_t *problems = json_array();
  size_t n_rej = segkit_read_result_n_rejects(res);
  for (size_t i = 0; i < n_rej && i < MAX_PROBLEMS; i++) {
    const segkit_reject *r = segkit_read_result_reject(res, i);
    json_array_append_new(problems,
                          json_pack("{s:I, s:I, s:o, s:s, s:s}", "line", (json_int_t)r->line,
                                    "column", (json_int_t)r->column, "field",
                                    r->field != NULL ? json_string(r->field) : json_null(),
                                    "reason", segkit_reject_reason_id(r->reason), "message",
                                    r->message != NULL ? r->message : ""));
  }
  return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:o, s:I, s:o, s:b}",
                   "dataset", dataset, "mode", mode_name(mode), "batch", (json_int_t)oc->batch_id,
                   "rows_read", (json_int_t)c->rows_read, "rows_imported",
                   (json_int_t)c->rows_imported, "rows_rejected", (json_int_t)c->rows_rejected,
                   "rejected_by_reason", reasons, "rows_added", (json_int_t)oc->rows_added,
                   "rows_replaced", (json_int_t)oc->rows_replaced, "rows_quarantined",
                   (json_int_t)oc->rows_quarantined, "dataset_rows", (json_int_t)oc->dataset_rows,
                   "columns", cols, "bytes", (json_int_t)c->bytes_read, "problems", problems,
                   "problems_truncated", n_rej > MAX_PROBLEMS);
}

static void store(const sk_request *req, const import_args *a, segkit_read_result *res,
                  sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, true, out);
  if (ws == NULL) {
    return;
  }
  char actor[64];
  sk__actor_of(req->who, actor, sizeof actor);
  const char *dataset = req->match->params[0];
  segkit_import_request ir = {
      .dataset = dataset,
      .mode = a->mode,
      .key = a->key,
      .source = "api upload",
      .table = segkit_read_result_table(res),
      .rejects = segkit_read_result_rejects(res),
      .n_rejects = segkit_read_result_n_rejects(res),
      .counts = segkit_read_result_counts(res),
      .actor = actor,
  };
  segkit_import_outcome oc;
  segkit_error err;
  if (segkit_workspace_import(ws, &ir, &oc, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    sk__reply_json(out, 201, summary_json(dataset, a->mode, res, &oc));
  }
  segkit_workspace_close(ws);
}

void sk__post_dataset_import(const sk_request *req, sk_reply *out) {
  const char *dataset = req->match->params[0];
  if (!sk__valid_name(dataset)) {
    sk__reply_error(out, 400, "invalid_parameter",
                    "'%.100s' is not a dataset name (1-64 letters, digits, '_', '-')", dataset);
    return;
  }
  import_args a;
  if (!parse_args(req, &a, out)) {
    return;
  }
  if (req->body_path == NULL || req->body_len == 0) {
    sk__reply_error(out, 400, "missing_body",
                    "send the CSV or JSON Lines file as the request body");
    return;
  }
  segkit_read_options opt;
  segkit_read_options_init(&opt);
  opt.on_error = a.on_error;
  opt.n_threads = 1; /* the server's parallelism is its request threads */
  opt.keep_row_lines = a.key != NULL;
  segkit_read_result *res = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  segkit_status s = a.jsonl ? segkit_jsonl_read(req->body_path, &opt, &res, &err)
                            : segkit_csv_read(req->body_path, &opt, &res, &err);
  if (s != SEGKIT_OK) {
    reply_data_error(out, &err,
                     err.line > 1 ? " (on_error=skip or on_error=quarantine imports the valid "
                                    "rows and counts or keeps the others)"
                                  : NULL);
    return;
  }
  if (a.key != NULL &&
      segkit_read_result_check_key(res, a.key, opt.on_error, NULL, &err) != SEGKIT_OK) {
    reply_data_error(out, &err,
                     err.code == SEGKIT_ERR_PARSE
                         ? " (on_error=quarantine keeps the first row of each key and the "
                           "others in the quarantine)"
                         : NULL);
    segkit_read_result_free(res);
    return;
  }
  store(req, &a, res, out);
  segkit_read_result_free(res);
}
