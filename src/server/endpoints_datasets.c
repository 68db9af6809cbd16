/* GET /api/v1/datasets and GET /api/v1/datasets/{name}: the catalogue, read without loading
 * any rows (segkit_workspace_list_datasets, _dataset_info, _dataset_schema), so listing is
 * cheap whatever the datasets' sizes. */
#include "segkit/datetime.h"
#include "segkit/table.h"
#include "server/server_int.h"

static json_t *time_json(int64_t us) {
  char buf[40];
  segkit_format_timestamp(us, buf, sizeof buf);
  return json_string(buf);
}

static json_t *text_or_null(const char *s) {
  return s != NULL ? json_string(s) : json_null();
}

static json_t *dataset_json(const segkit_dataset_info *d) {
  json_t *o = json_object();
  json_object_set_new(o, "name", json_string(d->name));
  json_object_set_new(o, "rows", json_integer(d->n_rows));
  json_object_set_new(o, "columns", json_integer(d->n_cols));
  json_object_set_new(o, "imported_at", time_json(d->imported_at_us));
  json_object_set_new(o, "created_at", time_json(d->created_at_us));
  json_object_set_new(o, "source", text_or_null(d->source));
  json_object_set_new(o, "key", text_or_null(d->key));
  json_object_set_new(o, "batches", json_integer(d->n_batches));
  json_object_set_new(o, "quarantined", json_integer(d->n_quarantined));
  return o;
}

void sk__get_datasets(const sk_request *req, sk_reply *out) {
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    return;
  }
  segkit_dataset_list *list = NULL;
  segkit_error err;
  if (segkit_workspace_list_datasets(ws, &list, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    json_t *items = json_array();
    for (size_t i = 0; i < list->n; i++) {
      json_array_append_new(items, dataset_json(&list->items[i]));
    }
    sk__reply_json(out, 200, json_pack("{s:o}", "datasets", items));
  }
  segkit_dataset_list_free(list);
  segkit_workspace_close(ws);
}

void sk__get_dataset(const sk_request *req, sk_reply *out) {
  const char *name = req->match->params[0];
  segkit_workspace *ws = sk__request_workspace(req, false, out);
  if (ws == NULL) {
    return;
  }
  segkit_dataset_list *info = NULL;
  segkit_dataset_schema *schema = NULL;
  segkit_error err;
  if (segkit_workspace_dataset_info(ws, name, &info, &err) != SEGKIT_OK ||
      segkit_workspace_dataset_schema(ws, name, &schema, &err) != SEGKIT_OK) {
    sk__reply_from_error(out, &err);
  } else {
    json_t *o = dataset_json(&info->items[0]);
    json_t *cols = json_array();
    for (size_t i = 0; i < schema->n; i++) {
      json_array_append_new(cols, json_pack("{s:s, s:s}", "name", schema->names[i], "type",
                                            segkit_type_name(schema->types[i])));
    }
    json_object_set_new(o, "schema", cols);
    sk__reply_json(out, 200, o);
  }
  segkit_dataset_schema_free(schema);
  segkit_dataset_list_free(info);
  segkit_workspace_close(ws);
}
