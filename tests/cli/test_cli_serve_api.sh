#!/usr/bin/env bash
# The second layer of the HTTP API over real HTTP with curl against a running `segkit serve`:
# snapshots and diffs, members as streamed CSV, keys over HTTP, import uploads (bad rows
# with line and column, JSON Lines, a ~30 MB upload under the limit and one over it),
# CORS and the security headers, 400s naming the problem, the table cache seeing a
# re-import, and readers counting while a writer imports. Expected values come from pandas
# reading the generated files (tests/data/server/api_expected.py), never from segkit.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
SRC=${SEGKIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
G=$WORK/g
run 0 "$SEGKIT" generate --customers 600 --respondents 10 --events-per-month 1 --out "$G" --quiet
for f in customers transactions; do
  run 0 "$SEGKIT" import "$G/$f.csv" --as "$f" --quiet
done
run 0 "$SEGKIT" link transactions.customer_id customers.customer_id --time timestamp
run 0 "$SEGKIT" segment add de 'country == "DE"' --dataset customers
run 0 "$SEGKIT" segment add recent-refund \
  'count(transactions where kind == "refund" and timestamp > now() - 90d and timestamp <= now()) >= 1' \
  --dataset customers
run 0 "$SEGKIT" key create --role read --quiet
RKEY=$(printf '%s\n' "$OUT" | tail -n 1)
run 0 "$SEGKIT" key create --role write --quiet
WKEY=$(printf '%s\n' "$OUT" | tail -n 1)
run 0 "$SEGKIT" key create --role admin --quiet
AKEY=$(printf '%s\n' "$OUT" | tail -n 1)
AID=${AKEY:3:16}

# Files to upload, written by the expectations script: a CSV with planted bad rows, the
# same rows as JSON Lines, a ~30 MB CSV and a ~45 MB one.
"$PY" "$SRC/tests/data/server/api_expected.py" files "$G" "$WORK" >"$WORK/expected.json"
E() { "$PY" -c "import json,sys; j=json.load(open('$WORK/expected.json')); print(($1))"; }

# the server's upload bodies go to a directory of this test's own (TMPDIR), so that the
# check below that none is left cannot see another test's files
mkdir -p "$WORK/uploads"
TMPDIR="$WORK/uploads" start_serve --threads 4 --max-body 4096 --max-upload 40000000 --cors-origin https://app.example.com

# upload PATH KEY FILE [CONTENT-TYPE]
upload() {
  local meta
  meta=$(curl -s -o "$WORK/body" -w '%{http_code} %{content_type}' -X POST \
    -H "Authorization: Bearer $2" -H "Content-Type: ${4:-text/csv}" --data-binary "@$3" "$BASE$1")
  CODE=${meta%% *}
  CTYPE=${meta#* }
  OUT=$(cat "$WORK/body")
}
header() { grep -i "^$1:" "$WORK/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }

# ---- security headers and CORS ----
api GET /api/v1/datasets "$RKEY"
expect 200 "datasets"
equals "$(header X-Content-Type-Options)" "nosniff" "nosniff on an API answer"
equals "$(header Cache-Control)" "no-store" "no-store on an API answer"
equals "$(header Access-Control-Allow-Origin)" "" "no CORS header without an Origin"
api GET /api/v1/nope ""
equals "$CODE $(header X-Content-Type-Options)" "401 nosniff" "nosniff on an error"
code=$(curl -s -D "$WORK/headers" -o /dev/null -w '%{http_code}' -X OPTIONS \
  -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: POST' \
  -H 'Access-Control-Request-Headers: authorization, content-type' "$BASE/api/v1/segments")
equals "$code" "204" "preflight without a key: 204"
equals "$(header Access-Control-Allow-Origin)" "https://app.example.com" "preflight: allowed origin"
equals "$(header Access-Control-Allow-Methods)" "GET, POST, OPTIONS" "preflight: the path's methods"
equals "$(header Access-Control-Allow-Headers)" "Authorization, Content-Type, If-Match" "preflight: headers"
code=$(curl -s -D "$WORK/headers" -o /dev/null -w '%{http_code}' -X OPTIONS \
  -H 'Origin: https://evil.example.com' -H 'Access-Control-Request-Method: GET' "$BASE/api/v1/datasets")
equals "$code $(header Access-Control-Allow-Origin)" "204 " "preflight from another origin: no CORS headers"
curl -s -D "$WORK/headers" -o /dev/null -H 'Origin: https://app.example.com' \
  -H "Authorization: Bearer $RKEY" "$BASE/api/v1/segments/de/count"
equals "$(header Access-Control-Allow-Origin) / $(header Vary)" "https://app.example.com / Origin" "CORS on a real request"

# ---- snapshots and diff (pandas: refunds in the 90 days before each day) ----
api POST /api/v1/segments/recent-refund/snapshots "$RKEY" '{}'
expect_error 403 forbidden "write role" "snapshot with a read key"
api POST /api/v1/segments/recent-refund/snapshots "$WKEY" '{"as_of": "2026-03-31", "note": 1}'
expect_error 400 unknown_field "unknown field 'note' (expected as_of)" "snapshot: unknown field"
api POST /api/v1/segments/recent-refund/snapshots "$WKEY" '{"as_of": 20260331}'
expect_error 400 invalid_field "field 'as_of' must be a string" "snapshot: mistyped field"
api POST /api/v1/segments/recent-refund/snapshots "$WKEY" '{"as_of": "March"}'
expect_error 400 invalid_field "YYYY-MM-DD" "snapshot: a bad as_of"
api POST /api/v1/segments/recent-refund/snapshots "$WKEY" '{"as_of": "2026-03-31"'
expect_error 400 malformed_json "malformed JSON at line 1" "snapshot: malformed JSON"
api POST /api/v1/segments/recent-refund/snapshots "$WKEY" '{"as_of": "2026-03-31"}'
expect 201 "snapshot at 2026-03-31"
S1=$(json 'j["snapshot"]')
equals "$(json 'j["count"], j["of"], j["taken_at"]')" "($(E 'j["refund_0331"]'), 600, '2026-03-31T00:00:00Z')" "snapshot count (pandas)"
api POST /api/v1/segments/recent-refund/snapshots "$WKEY"
expect 201 "snapshot with no body (now)"
S2=$(json 'j["snapshot"]')
api GET /api/v1/segments/recent-refund/snapshots "$RKEY"
expect 200 "snapshots listed"
equals "$(json '[(s["id"], s["count"]) for s in j["snapshots"]][0]')" "($S1, $(E 'j["refund_0331"]'))" "snapshots: the first"
equals "$(json 'len(j["snapshots"])')" "2" "snapshots: both"
api GET "/api/v1/segments/recent-refund/diff?from=$S1&as_of=2026-06-30" "$RKEY"
expect 200 "diff against the members at 2026-06-30"
equals "$(json 'sorted(j["entered"]), sorted(j["left"]), j["count_from"], j["count_to"], j["to"]')" \
  "$(E 'j["entered"], j["left"], j["refund_0331"], j["refund_0630"], None')" "diff: entered and left (pandas)"
api GET "/api/v1/segments/recent-refund/diff?from=$S1&to=$S2" "$RKEY"
expect 200 "diff of two snapshots"
equals "$(json 'j["from"], j["to"], j["count_from"]')" "($S1, $S2, $(E 'j["refund_0331"]'))" "diff of two snapshots: ids"
api GET "/api/v1/segments/recent-refund/diff?from=999" "$RKEY"
expect_error 404 not_found "has no snapshot 999" "diff: unknown snapshot"
api GET "/api/v1/segments/recent-refund/diff?from=abc" "$RKEY"
expect_error 400 invalid_parameter "must be a snapshot id" "diff: malformed id"
api GET "/api/v1/segments/de/diff" "$RKEY"
expect_error 404 not_found "no snapshot to compare with" "diff without snapshots"

# ---- replacing a segment's rule (PUT) ----
api POST /api/v1/segments "$WKEY" '{"name": "fr", "rule": "country == \"FR\"", "dataset": "customers"}'
expect 201 "PUT: the segment to replace"
api POST /api/v1/segments/fr/snapshots "$WKEY" '{}'
expect 201 "PUT: a snapshot before the change"
api PUT /api/v1/segments/fr "$RKEY" '{"rule": "country == \"FR\"", "dataset": "customers"}'
expect_error 403 forbidden "" "PUT needs the write role"
api PUT /api/v1/segments/fr "$WKEY" '{"name": "de", "rule": "country == \"FR\"", "dataset": "customers"}'
expect_error 400 invalid_field "is not the segment of the path" "PUT: another name in the body"
api PUT /api/v1/segments/nope "$WKEY" '{"rule": "country == \"FR\"", "dataset": "customers"}'
expect_error 404 not_found "no segment named 'nope' to replace" "PUT: an unknown segment"
api PUT /api/v1/segments/fr "$WKEY" '{"rule": "country == ", "dataset": "customers"}'
expect_error 400 invalid_rule "" "PUT: a rule that does not compile is refused"
api PUT /api/v1/segments/fr "$WKEY" '{"rule": "country == \"FR\" and company_size == \"1-10\"", "dataset": "customers", "description": "small French"}'
expect 200 "PUT: replaced"
want=$("$PY" -c 'import sys, pandas as pd; d = pd.read_csv(sys.argv[1]); print(int(((d.country == "FR") & (d.company_size == "1-10")).sum()))' "$G/customers.csv")
equals "$(json 'j["count"]')" "$want" "PUT: the new rule's count, as pandas counts it"
api GET /api/v1/segments/fr/count "$RKEY"
equals "$(json 'j["count"]')" "$want" "PUT: later counts use the new rule"
api GET /api/v1/segments/fr "$RKEY"
equals "$(json 'j["description"]')" "small French" "PUT: the new description"
api GET /api/v1/segments/fr/snapshots "$RKEY"
equals "$(json 'len(j["snapshots"])')" "1" "PUT: the snapshots are kept"
run 0 "$SEGKIT" audit
contains "$OUT" "segment_replace" "PUT is audited as segment_replace"

# ---- members as CSV ----
curl -s -D "$WORK/headers" -o "$WORK/de.csv" -H "Authorization: Bearer $RKEY" \
  "$BASE/api/v1/segments/de/members?format=csv&columns=country,company_size,signup_date"
equals "$(header Content-Type)" "text/csv; charset=utf-8" "members CSV: content type"
equals "$(header Content-Disposition)" 'attachment; filename="de.csv"' "members CSV: file name"
if "$PY" "$SRC/tests/data/server/api_expected.py" check_csv "$G" "$WORK/de.csv"; then
  pass "members CSV: every DE customer with the chosen columns (pandas)"; else fail "members CSV differs from pandas"; fi
api GET "/api/v1/segments/de/members?format=csv&columns=country,nope" "$RKEY"
expect_error 400 invalid_parameter "has no column 'nope'" "members CSV: unknown column"
api GET "/api/v1/segments/de/members?format=xml" "$RKEY"
expect_error 400 invalid_parameter "must be json or csv" "members: unknown format"

# ---- keys over HTTP ----
api GET /api/v1/keys "$WKEY"
expect_error 403 forbidden "admin role" "keys with a write key"
api GET /api/v1/keys "$AKEY"
expect 200 "keys listed"
equals "$(json 'sorted(k["role"] for k in j["keys"])')" "['admin', 'read', 'write']" "keys: roles"
not_contains "$OUT" "${RKEY:20}" "keys: no secret listed"
api POST /api/v1/keys "$AKEY" '{"role": "root"}'
expect_error 400 invalid_field "field 'role': unknown role 'root'" "key: a bad role"
api POST /api/v1/keys "$AKEY" '{"role": "read", "colour": 1}'
expect_error 400 unknown_field "unknown field 'colour' (expected role, name)" "key: unknown field"
api POST /api/v1/keys "$AKEY" '{"name": "x"}'
expect_error 400 missing_field "field 'role' is required" "key: missing role"
api POST /api/v1/keys "$AKEY" '{"role": "read", "name": "dashboard"}'
expect 201 "key created"
NKEY=$(json 'j["key"]')
NID=$(json 'j["id"]')
equals "${NKEY:3:16}" "$NID" "the new key carries its id"
api GET /api/v1/segments/de/count "$NKEY"
expect 200 "the new key works"
api GET /api/v1/keys "$AKEY"
not_contains "$OUT" "${NKEY:20}" "the new key is not listed again"
api DELETE "/api/v1/keys/$NID" "$AKEY"
expect 200 "key revoked"
api GET /api/v1/segments/de/count "$NKEY"
expect_error 401 unauthorized "revoked" "a revoked key is refused"
api DELETE "/api/v1/keys/$NID" "$AKEY"
expect_error 409 conflict "already revoked" "revoking twice"
api DELETE "/api/v1/keys/0123456789abcdef" "$AKEY"
expect 404 "revoking an unknown key"
run 0 "$SEGKIT" audit --limit 0 --format json
equals "$(json '[(e["action"], e["target"]) for e in j if e["actor"] == "key:'"$AID"'"]')" \
  "[('key_revoke', '$NID'), ('key_create', '$NID')]" "keys over HTTP are audited with the admin key"

# ---- imports ----
upload /api/v1/datasets/leads/import "$RKEY" "$WORK/leads.csv"
expect_error 403 forbidden "write role" "import with a read key"
upload /api/v1/datasets/leads/import "" "$WORK/leads.csv"
expect 401 "import without a key"
upload /api/v1/datasets/leads/import "$WKEY" "$WORK/leads.csv"
expect_error 400 invalid_data "upload:$(E 'j["first_bad_line"]')" "a bad row fails the import by default"
equals "$(json 'j["error"]["line"], j["error"]["field"]')" "$(E 'j["first_bad_line"], j["first_bad_field"]')" "the failure says where"
contains "$(json 'j["error"]["message"]')" "on_error=skip or on_error=quarantine" "the failure says what helps"
api GET /api/v1/datasets/leads "$RKEY"
expect 404 "a failed import changed nothing"
upload "/api/v1/datasets/leads/import?on_error=quarantine&key=lead_id" "$WKEY" "$WORK/leads.csv"
expect 201 "import with quarantine"
equals "$(json 'j["rows_read"], j["rows_imported"], j["rows_rejected"], j["rows_quarantined"], j["dataset_rows"]')" \
  "$(E 'j["leads_rows"], j["leads_good"], j["leads_bad"], j["leads_bad"], j["leads_good"]')" "import summary (pandas)"
equals "$(json 'sorted([p["line"], p["reason"]] for p in j["problems"])')" "$(E 'j["bad_lines"]')" "the problems with their lines and reasons"
equals "$(json '[p["column"] > 0 for p in j["problems"] if p["reason"] == "bad_value"]')" "$(E 'j["bad_value_cols"]')" "bad values have a column"
upload "/api/v1/datasets/leads/import?mode=create&on_error=skip" "$WKEY" "$WORK/leads.csv"
expect_error 409 conflict "already exists" "mode create over an existing dataset"
upload "/api/v1/datasets/leads/import?mode=sideways" "$WKEY" "$WORK/leads.csv"
expect_error 400 invalid_parameter "mode' must be append, upsert, create or replace" "a bad mode"
upload "/api/v1/datasets/leads/import?mode=upsert" "$WKEY" "$WORK/leads.csv"
expect_error 400 invalid_parameter "upsert needs the key" "upsert without a key"
upload "/api/v1/datasets/leads-j/import?on_error=skip" "$WKEY" "$WORK/leads.jsonl" application/x-ndjson
expect 201 "JSON Lines import"
equals "$(json 'j["rows_imported"], j["rows_rejected"]')" "$(E 'j["leads_good_jsonl"], j["leads_bad_jsonl"]')" "JSON Lines summary"
: >"$WORK/empty.csv"
upload /api/v1/datasets/x/import "$WKEY" "$WORK/empty.csv"
expect_error 400 missing_body "send the CSV" "an empty upload"
upload "/api/v1/datasets/big/import" "$WKEY" "$WORK/big.csv"
expect 201 "a $(( $(stat -c %s "$WORK/big.csv") / 1000000 )) MB upload under --max-upload"
equals "$(json 'j["rows_imported"], j["dataset_rows"]')" "$(E 'j["big_rows"], j["big_rows"]')" "the large upload's rows (pandas)"
upload "/api/v1/datasets/bigger/import" "$WKEY" "$WORK/bigger.csv"
expect_error 413 payload_too_large "over the limit of 40000000 bytes for an upload" "a $(( $(stat -c %s "$WORK/bigger.csv") / 1000000 )) MB upload over --max-upload"
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $WKEY" -H 'Transfer-Encoding: chunked' \
  --data-binary "@$WORK/bigger.csv" "$BASE/api/v1/datasets/bigger/import")
equals "$code" "413" "a chunked upload over --max-upload"
api GET /api/v1/datasets/bigger "$RKEY"
expect 404 "nothing of the refused upload was stored"
equals "$(ls "$WORK/uploads" | grep -c '^segkit-upload-' || true)" "0" "no temporary upload file is left"

# ---- the cache sees a re-import; readers during a write ----
api GET /api/v1/segments/de/count "$RKEY"
equals "$(json 'j["count"]')" "$(E 'j["de"]')" "count before the re-import (pandas)"
CONC=$WORK/conc
mkdir -p "$CONC"
for r in $(seq 1 12); do
  (
    for i in $(seq 1 6); do
      curl -s -o "$CONC/r$r.$i.body" -w '%{http_code}\n' -H "Authorization: Bearer $RKEY" \
        "$BASE/api/v1/segments/de/count" >"$CONC/r$r.$i.code"
    done
  ) &
done
upload "/api/v1/datasets/customers/import?mode=replace" "$WKEY" "$WORK/customers_more_de.csv"
wait $(jobs -p | grep -v "^$SPID\$")
expect 201 "a re-import while readers count"
if "$PY" - "$CONC" "$(E 'j["de"]')" "$(E 'j["de_after"]')" <<'PY'
import glob, json, sys
conc, before, after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen = set()
for body in glob.glob(f"{conc}/*.body"):
    assert open(body[:-5] + ".code").read().strip() == "200", body
    j = json.load(open(body))
    assert j["count"] in (before, after), j     # one import or the other, never a mix
    seen.add(j["count"])
print(sorted(seen), file=sys.stderr)
PY
then pass "72 reads during a re-import: each saw one whole import"; else fail "reads during a write"; fi
api GET /api/v1/segments/de/count "$RKEY"
equals "$(json 'j["count"]')" "$(E 'j["de_after"]')" "the next request sees the re-import (pandas)"

kill -TERM "$SPID"
set +e
wait "$SPID"
rc=$?
set -e
SPID=""
equals "$rc" "0" "the server stops cleanly (and leaks nothing under ASan)"
finish
