#!/usr/bin/python3
"""Writes docs/openapi.json (the API's OpenAPI 3.0 document) and src/server/openapi.c (the
same text as a C string, served at /openapi.json). Run from the repository root after
changing the API; tests/cli/test_cli_serve.sh checks the served document equals the file.
"""
import json, sys

def err_ref(desc):
    return {"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

def ok(desc, schema):
    return {"description": desc, "content": {"application/json": {"schema": schema}}}

ref = lambda n: {"$ref": "#/components/schemas/" + n}
name_param = {"name": "name", "in": "path", "required": True,
              "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}
auth_errors = {"401": err_ref("no API key, or an unknown, revoked or wrong one"),
               "403": err_ref("the key's role is too low")}
read = [{"bearerAuth": []}]

doc = {
  "openapi": "3.0.3",
  "info": {"title": "segkit API", "version": "0.1.0",
           "description": "Segments and datasets of one segkit workspace (docs/api.md). "
                          "Every response is JSON; errors are {\"error\": {\"code\", \"message\"}}."},
  "servers": [{"url": "/"}],
  "paths": {
    "/api/v1/health": {"get": {"summary": "Liveness; no key needed", "operationId": "health", "security": [],
        "responses": {"200": ok("the server is up", ref("Health"))}}},
    "/openapi.json": {"get": {"summary": "This document; no key needed", "operationId": "openapi", "security": [],
        "responses": {"200": ok("the OpenAPI document", {"type": "object"})}}},
    "/api/v1/datasets": {"get": {"summary": "List datasets (read role)", "operationId": "listDatasets", "security": read,
        "responses": {"200": ok("the datasets", {"type": "object", "required": ["datasets"], "properties": {"datasets": {"type": "array", "items": ref("Dataset")}}}), **auth_errors}}},
    "/api/v1/datasets/{name}": {"get": {"summary": "A dataset and its schema (read role)", "operationId": "getDataset", "security": read,
        "parameters": [name_param],
        "responses": {"200": ok("the dataset", ref("DatasetDetail")), **auth_errors, "404": err_ref("no such dataset")}}},
    "/api/v1/segments": {
      "get": {"summary": "List segments (read role)", "operationId": "listSegments", "security": read,
        "responses": {"200": ok("the segments", {"type": "object", "required": ["segments"], "properties": {"segments": {"type": "array", "items": ref("Segment")}}}), **auth_errors}},
      "post": {"summary": "Create a segment (write role; audited)", "operationId": "createSegment", "security": read,
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("NewSegment")}}},
        "responses": {"201": ok("created; the rule was evaluated once", ref("Created")),
                      "400": err_ref("malformed JSON, an unknown, missing or mistyped field, an unknown dataset or key column, or a rule that does not compile (code invalid_rule, with line, column, length, excerpt)"),
                      **auth_errors, "409": err_ref("a segment of that name exists"),
                      "413": err_ref("the body is over the server's limit")}}},
    "/api/v1/segments/{name}": {
      "get": {"summary": "A segment's definition (read role)", "operationId": "getSegment", "security": read,
        "parameters": [name_param],
        "responses": {"200": ok("the segment", ref("Segment")), **auth_errors, "404": err_ref("no such segment")}},
      "put": {"summary": "Replace a segment's rule, dataset, key or description; its snapshots are kept (write role; audited as segment_replace)", "operationId": "replaceSegment", "security": read,
        "parameters": [name_param],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": False, "required": ["rule", "dataset"], "properties": {
            "name": {"type": "string", "description": "optional; must be the path's name"}, "rule": {"type": "string", "description": "a rule of docs/rules.md"},
            "dataset": {"type": "string"}, "key": {"type": "string", "nullable": True}, "description": {"type": "string", "nullable": True}}}}}},
        "responses": {"200": ok("replaced; the rule was evaluated once", ref("Created")),
                      "400": err_ref("malformed JSON, an unknown, missing or mistyped field, a name other than the path's, an unknown dataset or key column, or a rule that does not compile (code invalid_rule)"),
                      **auth_errors, "404": err_ref("no such segment"),
                      "413": err_ref("the body is over the server's limit")}},
      "delete": {"summary": "Delete a segment and its snapshots (write role; audited)", "operationId": "deleteSegment", "security": read,
        "parameters": [name_param],
        "responses": {"200": ok("deleted", {"type": "object", "required": ["segment", "deleted"], "properties": {"segment": {"type": "string"}, "deleted": {"type": "boolean"}}}), **auth_errors, "404": err_ref("no such segment")}}},
    "/api/v1/segments/{name}/count": {"get": {"summary": "Evaluate the stored rule now: members and customers (read role)", "operationId": "countSegment", "security": read,
        "parameters": [name_param],
        "responses": {"200": ok("the count", ref("Count")), "400": err_ref("the stored rule no longer compiles, or uses what the API cannot evaluate yet"), **auth_errors, "404": err_ref("no such segment")}}},
    "/api/v1/segments/{name}/members": {"get": {"summary": "Members' keys, a page at a time, in the dataset's row order (read role)", "operationId": "segmentMembers", "security": read,
        "parameters": [name_param,
          {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}},
          {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0, "default": 0}}],
        "responses": {"200": ok("a page of members", ref("Members")), "400": err_ref("a bad limit or offset, or a rule that no longer compiles"), **auth_errors, "404": err_ref("no such segment")}}},
  },
  "components": {
    "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "a key from `segkit key create --role read|write|admin`"}},
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
          "code": {"type": "string", "enum": ["unauthorized", "forbidden", "not_found", "method_not_allowed", "malformed_json", "unknown_field", "missing_field", "invalid_field", "invalid_parameter", "invalid_rule", "bad_request", "conflict", "payload_too_large", "too_large", "workspace_unavailable", "internal"]},
          "message": {"type": "string"}, "line": {"type": "integer"}, "column": {"type": "integer"}, "length": {"type": "integer"}, "excerpt": {"type": "string"}}}}},
      "Health": {"type": "object", "required": ["status", "version"], "properties": {"status": {"type": "string", "enum": ["ok"]}, "version": {"type": "string"}, "views_warm": {"type": "boolean", "description": "every view has been computed in the background since the views handle was opened"}, "segments_warm": {"type": "boolean", "description": "the stored segments were evaluated once since the start (their tables loaded and indexed)"}}},
      "Dataset": {"type": "object", "required": ["name", "rows", "columns", "imported_at"], "properties": {
          "name": {"type": "string"}, "rows": {"type": "integer"}, "columns": {"type": "integer"},
          "imported_at": {"type": "string", "format": "date-time"}, "created_at": {"type": "string", "format": "date-time"},
          "source": {"type": "string", "nullable": True}, "key": {"type": "string", "nullable": True},
          "batches": {"type": "integer"}, "quarantined": {"type": "integer"}}},
      "DatasetDetail": {"allOf": [ref("Dataset"), {"type": "object", "required": ["schema"], "properties": {"schema": {"type": "array", "items": {"type": "object", "required": ["name", "type"], "properties": {"name": {"type": "string"}, "type": {"type": "string", "enum": ["int64", "float64", "bool", "timestamp", "date", "string"]}}}}}}]},
      "Segment": {"type": "object", "required": ["name", "dataset", "rule", "created_at"], "properties": {
          "name": {"type": "string"}, "dataset": {"type": "string"}, "rule": {"type": "string"},
          "key": {"type": "string", "nullable": True, "description": "the key column the segment was created with, if one was named"},
          "description": {"type": "string", "nullable": True},
          "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
          "snapshots": {"type": "integer"}}},
      "NewSegment": {"type": "object", "additionalProperties": False, "required": ["name", "rule", "dataset"], "properties": {
          "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}, "rule": {"type": "string", "description": "a rule of docs/rules.md"},
          "dataset": {"type": "string"}, "key": {"type": "string", "nullable": True, "description": "the customers' key column (default: the dataset's key, its links' key, customer_id, id)"},
          "description": {"type": "string", "nullable": True}}},
      "Created": {"type": "object", "required": ["segment", "dataset", "rule", "key", "count", "of"], "properties": {
          "segment": {"type": "string"}, "dataset": {"type": "string"}, "rule": {"type": "string"}, "key": {"type": "string"},
          "count": {"type": "integer"}, "of": {"type": "integer"}}},
      "Count": {"type": "object", "required": ["segment", "dataset", "count", "of", "as_of"], "properties": {
          "segment": {"type": "string"}, "dataset": {"type": "string"}, "count": {"type": "integer"}, "of": {"type": "integer"},
          "as_of": {"type": "string", "format": "date-time"}}},
      "Members": {"type": "object", "required": ["segment", "dataset", "key", "count", "offset", "limit", "members"], "properties": {
          "segment": {"type": "string"}, "dataset": {"type": "string"}, "key": {"type": "string"},
          "count": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
          "members": {"type": "array", "items": {"oneOf": [{"type": "integer"}, {"type": "string"}]}}}},
    }},
}

# ---- snapshots, diff, members as CSV, imports, keys, as_of (src/server/endpoints_*.c) ----
admin_errors = {**auth_errors, "403": err_ref("the key's role is too low (admin needed)")}
as_of_param = {"name": "as_of", "in": "query", "required": False,
               "description": "what now() means: YYYY-MM-DD or an ISO 8601 time (default: the current time)",
               "schema": {"type": "string"}}
for p in ("/api/v1/segments/{name}/count", "/api/v1/segments/{name}/members"):
    doc["paths"][p]["get"]["parameters"].append(as_of_param)
doc["paths"]["/api/v1/segments/{name}/count"]["get"]["responses"]["400"] = err_ref(
    "the stored rule no longer compiles, a segment it names is missing, or a malformed as_of")
doc["paths"]["/api/v1/segments/{name}/members"]["get"]["parameters"] += [
    {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
     "description": "csv: every member (limit and offset ignored), streamed, the key column then the chosen columns"},
    {"name": "columns", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "with format=csv: customer columns after the key, comma-separated (derived fields included)"}]
doc["paths"]["/api/v1/segments/{name}/members"]["get"]["responses"]["200"] = {
    "description": "a page of members (JSON), or every member (CSV, streamed)",
    "content": {"application/json": {"schema": ref("Members")}, "text/csv": {"schema": {"type": "string"}}}}
snap_id = lambda n, d: {"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "integer", "minimum": 1}}
doc["paths"].update({
    "/api/v1/segments/{name}/snapshots": {
      "get": {"summary": "A segment's snapshots, oldest first (read role)", "operationId": "listSnapshots", "security": read,
        "parameters": [name_param],
        "responses": {"200": ok("the snapshots", {"type": "object", "required": ["segment", "snapshots"], "properties": {"segment": {"type": "string"}, "snapshots": {"type": "array", "items": ref("Snapshot")}}}), **auth_errors, "404": err_ref("no such segment")}},
      "post": {"summary": "Store the members now (or at as_of) as a snapshot (write role; audited)", "operationId": "createSnapshot", "security": read,
        "parameters": [name_param],
        "requestBody": {"required": False, "content": {"application/json": {"schema": ref("NewSnapshot")}}},
        "responses": {"201": ok("stored", ref("SnapshotCreated")), "400": err_ref("malformed JSON, an unknown or mistyped field, a bad as_of, or a rule that no longer compiles"), **auth_errors, "404": err_ref("no such segment")}}},
    "/api/v1/segments/{name}/diff": {"get": {"summary": "Who entered and who left: two snapshots, or a snapshot against now (read role)", "operationId": "diffSegment", "security": read,
        "parameters": [name_param, snap_id("from", "the earlier snapshot (default: the latest)"),
                       snap_id("to", "the later snapshot (default: the members now, or at as_of)"), as_of_param],
        "responses": {"200": ok("the difference", ref("Diff")), "400": err_ref("a malformed snapshot id or as_of"), **auth_errors,
                      "404": err_ref("no such segment or snapshot, or no snapshot to compare with")}}},
    "/api/v1/datasets/{name}/import": {"post": {"summary": "Import a CSV or JSON Lines file sent as the body, as `segkit import` does (write role; audited)", "operationId": "importDataset", "security": read,
        "parameters": [name_param,
          {"name": "mode", "in": "query", "required": False, "schema": {"type": "string", "enum": ["append", "upsert", "create", "replace"]}, "description": "default: upsert with a key, else append"},
          {"name": "key", "in": "query", "required": False, "schema": {"type": "string"}, "description": "the key column (unique; needed by upsert)"},
          {"name": "on_error", "in": "query", "required": False, "schema": {"type": "string", "enum": ["fail", "skip", "quarantine"], "default": "fail"}},
          {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["csv", "jsonl"]}, "description": "default: jsonl for Content-Type application/x-ndjson, else csv"}],
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}, "application/x-ndjson": {"schema": {"type": "string"}}}},
        "responses": {"201": ok("imported: the summary and the rejected rows", ref("ImportSummary")),
                      "400": err_ref("a bad parameter, an empty body, or a bad row with on_error=fail (code invalid_data, with line, column, field); nothing was imported"),
                      **auth_errors, "409": err_ref("mode create and the dataset exists"),
                      "413": err_ref("the body is over the server's --max-upload")}}},
    "/api/v1/keys": {
      "get": {"summary": "API keys: ids, names, roles, times, never a key (admin role)", "operationId": "listKeys", "security": read,
        "responses": {"200": ok("the keys", {"type": "object", "required": ["keys"], "properties": {"keys": {"type": "array", "items": ref("Key")}}}), **admin_errors}},
      "post": {"summary": "Create a key; the key is in this answer only (admin role; audited)", "operationId": "createKey", "security": read,
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("NewKey")}}},
        "responses": {"201": ok("created", ref("KeyCreated")), "400": err_ref("malformed JSON, an unknown, missing or mistyped field, an unknown role"), **admin_errors}}},
    "/api/v1/keys/{id}": {"delete": {"summary": "Revoke a key, from the next request on (admin role; audited)", "operationId": "revokeKey", "security": read,
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}],
        "responses": {"200": ok("revoked", {"type": "object", "required": ["id", "revoked"], "properties": {"id": {"type": "string"}, "revoked": {"type": "boolean"}}}), **admin_errors,
                      "404": err_ref("no key with that id"), "409": err_ref("the key is already revoked")}}},
})
doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"] += ["invalid_data", "missing_body"]
doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["field"] = {"type": "string", "nullable": True}
keys_schema = {"oneOf": [{"type": "integer"}, {"type": "string"}]}
doc["components"]["schemas"].update({
    "Snapshot": {"type": "object", "required": ["id", "taken_at", "count", "of", "rule"], "properties": {
        "id": {"type": "integer"}, "taken_at": {"type": "string", "format": "date-time"}, "count": {"type": "integer"},
        "of": {"type": "integer"}, "rule": {"type": "string"}}},
    "NewSnapshot": {"type": "object", "additionalProperties": False, "properties": {
        "as_of": {"type": "string", "nullable": True, "description": "YYYY-MM-DD or an ISO 8601 time (default: now)"}}},
    "SnapshotCreated": {"type": "object", "required": ["segment", "snapshot", "taken_at", "count", "of"], "properties": {
        "segment": {"type": "string"}, "snapshot": {"type": "integer"}, "taken_at": {"type": "string", "format": "date-time"},
        "count": {"type": "integer"}, "of": {"type": "integer"}}},
    "Diff": {"type": "object", "required": ["segment", "from", "to", "count_from", "count_to", "n_entered", "n_left", "entered", "left"], "properties": {
        "segment": {"type": "string"}, "from": {"type": "integer"}, "to": {"type": "integer", "nullable": True, "description": "null: the members now"},
        "count_from": {"type": "integer"}, "count_to": {"type": "integer"}, "n_entered": {"type": "integer"}, "n_left": {"type": "integer"},
        "entered": {"type": "array", "items": keys_schema}, "left": {"type": "array", "items": keys_schema}}},
    "ImportSummary": {"type": "object", "required": ["dataset", "mode", "batch", "rows_read", "rows_imported", "rows_rejected", "dataset_rows", "problems"], "properties": {
        "dataset": {"type": "string"}, "mode": {"type": "string"}, "batch": {"type": "integer"},
        "rows_read": {"type": "integer"}, "rows_imported": {"type": "integer"}, "rows_rejected": {"type": "integer"},
        "rejected_by_reason": {"type": "object", "additionalProperties": {"type": "integer"}},
        "rows_added": {"type": "integer"}, "rows_replaced": {"type": "integer"}, "rows_quarantined": {"type": "integer"},
        "dataset_rows": {"type": "integer"}, "bytes": {"type": "integer"},
        "columns": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "type": {"type": "string"}, "inferred": {"type": "boolean"}}}},
        "problems": {"type": "array", "items": {"type": "object", "required": ["line", "column", "reason", "message"], "properties": {
            "line": {"type": "integer"}, "column": {"type": "integer"}, "field": {"type": "string", "nullable": True},
            "reason": {"type": "string"}, "message": {"type": "string"}}}},
        "problems_truncated": {"type": "boolean", "description": "more than 1000 rows were rejected; the first 1000 are listed"}}},
    "Key": {"type": "object", "required": ["id", "role", "created_at"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string", "nullable": True}, "role": {"type": "string", "enum": ["read", "write", "admin"]},
        "created_at": {"type": "string", "format": "date-time"}, "last_used_at": {"type": "string", "format": "date-time", "nullable": True},
        "revoked_at": {"type": "string", "format": "date-time", "nullable": True}}},
    "NewKey": {"type": "object", "additionalProperties": False, "required": ["role"], "properties": {
        "role": {"type": "string", "enum": ["read", "write", "admin"]}, "name": {"type": "string", "nullable": True, "maxLength": 128}}},
    "KeyCreated": {"type": "object", "required": ["id", "role", "key"], "properties": {
        "id": {"type": "string"}, "role": {"type": "string"}, "name": {"type": "string", "nullable": True},
        "key": {"type": "string", "description": "the key, shown this once"}}},
})
# The report module's views (src/server/endpoints_views.c, docs/report.md): the same JSON
# the HTML report embeds; query parameters are the views' options.
view_opts = [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d}
             for n, d in [("subscriptions", "the subscription history dataset (default: detected)"),
                          ("customers", "the customers dataset (default: the one named customers)"),
                          ("transactions", "the transactions dataset (default: detected)"),
                          ("survey", "the survey dataset (default: one with a codebook)"),
                          ("rates", "currency rates, e.g. USD=1,EUR=1.08"),
                          ("segment", "a stored segment to show against the rest"),
                          ("by", "survival: the grouping column(s)"),
                          ("metric", "cohorts: logo or revenue"),
                          ("months", "months shown (overview, movements, segments: default 12; cohorts: cells)"),
                          ("model", "clusters, survey: the model; clv: the predictions dataset"),
                          ("sample", "clusters, survey: points on the map (default 2000)"),
                          ("from", "reserved"), ("to", "the last month YYYY-MM (default: the latest)"),
                          ("as_of", "segments: what now() means in segment rules, YYYY-MM-DD (default: the clock)")]]
doc["paths"].update({
    "/api/v1/views": {"get": {"summary": "The report's views and which have their data (read role)", "operationId": "listViews", "security": read,
        "parameters": view_opts,
        "responses": {"200": ok("the views", ref("ViewList")), "400": err_ref("an unknown option or a bad value"), **auth_errors}}},
    "/api/v1/views/{name}": {"get": {"summary": "One view: overview, segments, mrr_movements, cohorts, survival, rfm, clusters, clv, survey or insights (read role)", "operationId": "getView", "security": read,
        "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}] + view_opts,
        "responses": {"200": ok("the view; available false with a reason when its data is missing", ref("View")),
                      "400": err_ref("an unknown option or a bad value"), **auth_errors, "404": err_ref("no such view")}}},
})
doc["components"]["schemas"].update({
    "ViewList": {"type": "object", "required": ["views"], "properties": {"views": {"type": "array", "items": {
        "type": "object", "required": ["name", "title", "available", "reason"], "properties": {
            "name": {"type": "string"}, "title": {"type": "string"}, "available": {"type": "boolean"},
            "reason": {"type": "string", "nullable": True}}}}}},
    "View": {"type": "object", "required": ["view", "title", "available", "reason", "segment"], "additionalProperties": True,
             "description": "the fields of each view are in docs/report.md", "properties": {
        "view": {"type": "string"}, "title": {"type": "string"}, "available": {"type": "boolean"},
        "reason": {"type": "string", "nullable": True}, "segment": {"type": "string", "nullable": True}}},
})
# The dashboard's endpoints: checking a rule as it is typed, and who a key is.
doc["paths"]["/api/v1/rules/check"] = {"post": {
    "summary": "Compile and count a rule without saving it (read role)", "operationId": "checkRule", "security": read,
    "requestBody": {"required": True, "content": {"application/json": {"schema": ref("RuleCheck")}}},
    "responses": {"200": ok("the count, or the rule's errors with their places (a rule that does not compile is not a failed request)", ref("RuleCheckResult")),
                  "400": err_ref("malformed JSON, an unknown, missing or mistyped field, an unknown dataset"),
                  **auth_errors, "413": err_ref("the body is over the server's limit")}}}
doc["paths"]["/api/v1/whoami"] = {"get": {
    "summary": "The request's key: its public id and role (read role)", "operationId": "whoami", "security": read,
    "responses": {"200": ok("the key", ref("Whoami")), **auth_errors}}}
doc["components"]["schemas"].update({
    "RuleCheck": {"type": "object", "additionalProperties": False, "required": ["rule"], "properties": {
        "rule": {"type": "string", "description": "a rule of docs/rules.md"},
        "dataset": {"type": "string", "nullable": True, "description": "default: the dataset named customers, else the one customers dataset of the links, else the only dataset"}}},
    "RuleCheckResult": {"oneOf": [
        {"type": "object", "required": ["valid", "dataset", "count", "of"], "properties": {
            "valid": {"type": "boolean", "enum": [True]}, "dataset": {"type": "string"},
            "count": {"type": "integer"}, "of": {"type": "integer"}}},
        {"type": "object", "required": ["valid", "errors"], "properties": {
            "valid": {"type": "boolean", "enum": [False]},
            "errors": {"type": "array", "items": {"type": "object", "required": ["message", "line", "column", "length"], "properties": {
                "message": {"type": "string"},
                "line": {"type": "integer", "nullable": True, "description": "1-based; null when the error has no place in the text"},
                "column": {"type": "integer", "nullable": True, "description": "1-based, in bytes"},
                "length": {"type": "integer", "nullable": True, "description": "bytes"}}}}}}]},
    "Whoami": {"type": "object", "required": ["key", "role"], "properties": {
        "key": {"type": "string", "description": "the key's public id"},
        "role": {"type": "string", "enum": ["read", "write", "admin"]}}},
})

# Editing segments: the context fields (subscriptions, rates, key), PUT keeping what it is not
# sent, versions (ETag / If-Match, 412) and dependents (409, ?force=true). Patched here rather
# than above so the segment paths' first definitions stay as they were.
schemas = doc["components"]["schemas"]
context_props = {
    "subscriptions": {"type": "string", "nullable": True, "description": "a subscription history whose derived fields (mrr, plan, tenure_days, ...) the rule may use"},
    "rates": {"type": "string", "nullable": True, "description": "currency rates of those fields, written out: USD=1,EUR=1.08"},
}
schemas["Segment"]["properties"].update(context_props)
schemas["Segment"]["properties"]["version"] = {"type": "integer", "description": "the segment's version (its ETag without quotes); every change moves it forward"}
schemas["NewSegment"]["properties"].update(context_props)
schemas["Created"]["properties"]["version"] = {"type": "integer", "description": "the segment's new version (also the ETag header)"}
schemas["RuleCheck"]["properties"].update(context_props)
schemas["RuleCheck"]["properties"]["key"] = {"type": "string", "nullable": True, "description": "the customers' key column"}
schemas["RuleCheck"]["properties"]["segment"] = {"type": "string", "nullable": True, "description": "a stored segment whose context (key, subscriptions, rates) the check starts from; the body's context fields override it"}
etag = {"ETag": {"description": "the segment's version, for If-Match", "schema": {"type": "string"}}}
if_match = {"name": "If-Match", "in": "header", "required": False,
            "description": "the ETag the change is based on: 412 when the segment is at another version (* matches any)",
            "schema": {"type": "string"}}
seg = doc["paths"]["/api/v1/segments/{name}"]
seg["get"]["responses"]["200"]["headers"] = etag
doc["paths"]["/api/v1/segments"]["post"]["responses"]["201"]["headers"] = etag
put = seg["put"]
put["summary"] = ("Change a segment's rule, dataset, key, description, subscriptions or rates; a field left out keeps its "
                  "stored value, null clears it; its snapshots are kept (write role; audited as segment_replace)")
body = put["requestBody"]["content"]["application/json"]["schema"]
body["required"] = []
body["properties"]["rule"]["description"] = "a rule of docs/rules.md (left out: kept)"
body["properties"]["dataset"]["description"] = "left out: kept"
body["properties"].update(context_props)
put["parameters"] = [name_param, if_match]
put["responses"]["200"]["headers"] = etag
put["responses"]["412"] = err_ref("If-Match names another version than the segment's; the error's version, etag and updated_at are the current one's")
delete = seg["delete"]
delete["summary"] = "Delete a segment and its snapshots; refused (409) while other segments use it with in_segment(), unless force (write role; audited)"
delete["parameters"] = [name_param, if_match,
                        {"name": "force", "in": "query", "required": False, "schema": {"type": "string", "enum": ["true", "false"]},
                         "description": "true: delete even when other segments use it with in_segment() (they then fail to count)"}]
delete["responses"]["200"] = ok("deleted", {"type": "object", "required": ["segment", "deleted", "broken"], "properties": {
    "segment": {"type": "string"}, "deleted": {"type": "boolean"},
    "broken": {"type": "array", "items": {"type": "string"}, "description": "segments whose rules used it (force=true), which now fail to count"}}})
delete["responses"]["400"] = err_ref("force other than true or false")
doc["paths"]["/api/v1/rules/check"]["post"]["responses"]["400"] = err_ref(
    "malformed JSON, an unknown, missing or mistyped field, an unknown dataset, subscriptions dataset or segment, rates that are not written out")
delete["responses"]["409"] = err_ref("other segments use it with in_segment() (code has_dependents): the error's dependents and indirect_dependents name them")
delete["responses"]["412"] = err_ref("If-Match names another version than the segment's")
doc["paths"]["/api/v1/rules/check"]["post"]["parameters"] = [
    {"name": "as_of", "in": "query", "required": False, "schema": {"type": "string"}, "description": "what now() means: YYYY-MM-DD or ISO 8601 (default: the clock)"}]

# POST and DELETE need the write role; the scheme is the same bearer key.
text = json.dumps(doc, indent=2) + "\n"
open("docs/openapi.json", "w").write(text)
lines = ['/* The OpenAPI document served at /openapi.json. GENERATED by',
         ' * tests/data/server/make_openapi.py from the same source as docs/openapi.json (a test',
         ' * checks the served document equals the file): edit the script, not this file.',
         ' * The text is kept as lines joined once at first use, because one string literal',
         ' * this long is beyond what ISO C requires compilers to accept. */',
         '#include <pthread.h>',
         '#include <string.h>', '',
         '#include "server/server_int.h"', '',
         'enum { OPENAPI_LEN = %d };' % len(text), '',
         'static const char *const openapi_lines[] = {']
for line in text.splitlines(True):
    lines.append('    ' + json.dumps(line) + ',')
lines += ['};', '',
          'static char openapi_text[OPENAPI_LEN + 1];',
          'static pthread_once_t openapi_once = PTHREAD_ONCE_INIT;', '',
          'static void join_lines(void) {',
          '  size_t at = 0;',
          '  for (size_t i = 0; i < sizeof openapi_lines / sizeof openapi_lines[0]; i++) {',
          '    size_t n = strlen(openapi_lines[i]);',
          '    if (at + n > OPENAPI_LEN) {',
          '      break;',
          '    }',
          '    memcpy(openapi_text + at, openapi_lines[i], n);',
          '    at += n;',
          '  }',
          "  openapi_text[at] = '\\0';",
          '}', '',
          'const char *segkit_server_openapi(void) {',
          '  pthread_once(&openapi_once, join_lines);',
          '  return openapi_text;',
          '}', '']
open("src/server/openapi.c", "w").write("\n".join(lines))
