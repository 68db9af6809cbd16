#!/usr/bin/env bash
# segkit serve and segkit key end to end, over real HTTP with curl against a running server:
# every endpoint, auth (401 without / with a wrong key, 403 for a role too low), bad input
# (400 naming the problem, 404, 405, 409, 413), members paging against the CLI's output,
# the audit entries of writes, 20 concurrent readers while a writer creates and deletes
# segments, revocation, and a clean stop on SIGTERM. Expected counts come from pandas
# reading the generated CSV files (an independent implementation of the rules used).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
SRC=${SEGKIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
G=$WORK/g
run 0 "$SEGKIT" generate --customers 800 --respondents 10 --events-per-month 1 --out "$G" --quiet
for f in customers transactions subscriptions; do
  run 0 "$SEGKIT" import "$G/$f.csv" --as "$f" --quiet
done
run 0 "$SEGKIT" link transactions.customer_id customers.customer_id --time timestamp
run 0 "$SEGKIT" segment add de 'country == "DE"' --dataset customers
run 0 "$SEGKIT" segment add refunded 'count(transactions where kind == "refund") >= 1' --dataset customers
RATES=USD=1,EUR=1.08,GBP=1.27
run 0 "$SEGKIT" segment add annual-pro 'plan == "pro" and billing_interval == "year" and tenure_days > 180' \
  --dataset customers --subscriptions subscriptions --rates $RATES
N_ANNUAL=$("$PY" "$SRC/tests/data/server/annual_pro.py" "$G" 2026-06-30 $RATES)

# ---- expected values from pandas ----
read -r N_CUST N_TX N_SUBS N_DE N_REF N_SMALL N_DE_REF <<<"$("$PY" - "$G" <<'PY'
import sys, pandas as pd
g = sys.argv[1]
c = pd.read_csv(f"{g}/customers.csv", keep_default_na=False)
t = pd.read_csv(f"{g}/transactions.csv", keep_default_na=False)
s = pd.read_csv(f"{g}/subscriptions.csv", keep_default_na=False)
refunded = set(t.loc[t.kind == "refund", "customer_id"])
print(len(c), len(t), len(s), int((c.country == "DE").sum()), int(c.customer_id.isin(refunded).sum()),
      int((c.company_size == "1-10").sum()),
      int(((c.country == "DE") & c.customer_id.isin(refunded)).sum()))
PY
)"
"$PY" -c "import pandas as pd; print(','.join(pd.read_csv('$G/customers.csv', nrows=0).columns))" >"$WORK/cust_cols"

# ---- keys ----
run 0 "$SEGKIT" key create --role read --name reader
RKEY=$(printf '%s\n' "$OUT" | tail -n 1)
if [[ "$RKEY" =~ ^sk_[0-9a-f]{16}_[0-9a-f]{64}$ ]]; then pass "the key is alone on the last line"; else fail "key line: '$RKEY'"; fi
RID=${RKEY:3:16}
run 0 "$SEGKIT" key create --role write --name writer
WKEY=$(printf '%s\n' "$OUT" | tail -n 1)
WID=${WKEY:3:16}
run 0 "$SEGKIT" key create --role admin --quiet
AKEY=$(printf '%s\n' "$OUT" | tail -n 1)
run 0 "$SEGKIT" key create --role read --quiet
R2KEY=$(printf '%s\n' "$OUT" | tail -n 1)
run 2 "$SEGKIT" key create --role root
contains "$ERR" "unknown role 'root' (expected read, write or admin)" "a bad role is refused"
run 0 "$SEGKIT" key list --format json
equals "$(json '[(k["name"], k["role"], k["revoked_at"]) for k in j]')" \
  "[('reader', 'read', None), ('writer', 'write', None), (None, 'admin', None), (None, 'read', None)]" "key list"
not_contains "$OUT" "${RKEY:20}" "key list never shows a key's secret"
HASH=$(sqlite3 "$SEGKIT_WORKSPACE" "SELECT hash FROM api_keys WHERE id = '$RID'")
contains "$HASH" '$argon2id$' "only an Argon2id hash is stored"
not_contains "$(sqlite3 "$SEGKIT_WORKSPACE" .dump)" "${RKEY:20}" "the secret is nowhere in the workspace"
# An independent Argon2id implementation (Debian python3-argon2, argon2-cffi) accepts the
# stored hash for the key and refuses it for another key.
if "$PY" -c 'import argon2' 2>/dev/null; then
  if "$PY" - "$HASH" "$RKEY" <<'PY'
import sys, argon2
h, key = sys.argv[1], sys.argv[2]
ph = argon2.PasswordHasher()
assert ph.verify(h, key)
p = argon2.extract_parameters(h)
assert (p.type, p.time_cost, p.memory_cost, p.parallelism) == (argon2.Type.ID, 2, 65536, 1), p
try:
    ph.verify(h, key[:-1] + ("0" if key[-1] != "0" else "1"))
    raise SystemExit("a wrong key verified")
except argon2.exceptions.VerifyMismatchError:
    pass
PY
  then pass "argon2-cffi verifies the stored hash (Argon2id, t=2, m=64 MiB, p=1)"; else fail "argon2-cffi check"; fi
else
  echo "skip: python3-argon2 not installed"
fi

# ---- start ----
start_serve --max-body 4096 --threads 4

# ---- public endpoints ----
api GET /api/v1/health ""
expect 200 "health without a key"
equals "$(json 'j["status"], j["version"]')" "('ok', '$("$SEGKIT" version | cut -d' ' -f2)')" "health body"
api GET /openapi.json ""
expect 200 "openapi without a key"
printf '%s' "$OUT" >"$WORK/served.json"
if "$PY" - "$WORK/served.json" "$SRC/docs/openapi.json" <<'PY'
import json, sys
served, committed = (json.load(open(p)) for p in sys.argv[1:])
assert served == committed, "served OpenAPI differs from docs/openapi.json"
ops = sorted((m.upper(), p) for p, item in served["paths"].items() for m in item)
# The endpoints of this layer are all described (the unit test test_server_router checks the
# document against the whole route table, endpoints of other layers included).
assert set(ops) >= set([("GET", "/api/v1/health"), ("GET", "/openapi.json"),
    ("GET", "/api/v1/datasets"), ("GET", "/api/v1/datasets/{name}"),
    ("GET", "/api/v1/segments"), ("POST", "/api/v1/segments"),
    ("GET", "/api/v1/segments/{name}"), ("DELETE", "/api/v1/segments/{name}"),
    ("GET", "/api/v1/segments/{name}/count"), ("GET", "/api/v1/segments/{name}/members"),
    ("POST", "/api/v1/segments/{name}/snapshots"), ("GET", "/api/v1/segments/{name}/snapshots"),
    ("GET", "/api/v1/segments/{name}/diff"), ("POST", "/api/v1/datasets/{name}/import"),
    ("GET", "/api/v1/keys"), ("POST", "/api/v1/keys"), ("DELETE", "/api/v1/keys/{id}"),
    ("GET", "/api/v1/views"), ("GET", "/api/v1/views/{name}")]), ops
PY
then pass "served OpenAPI equals docs/openapi.json and lists the endpoints"; else fail "OpenAPI document"; fi

# ---- authentication ----
api GET /api/v1/datasets ""
expect_error 401 unauthorized "Authorization: Bearer KEY" "no key"
api GET /api/v1/datasets "sk_not_a_key"
expect_error 401 unauthorized "unknown, revoked or wrong" "a malformed key"
WRONG="sk_${RID}_$(printf '0%.0s' $(seq 1 64))"
api GET /api/v1/datasets "$WRONG"
expect_error 401 unauthorized "unknown, revoked or wrong" "a known id with a wrong secret"
api GET /api/v1/datasets "sk_0123456789abcdef_${RKEY:20}"
expect_error 401 unauthorized "unknown, revoked or wrong" "an unknown id"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $RKEY" "$BASE/api/v1/datasets")
equals "$code" "401" "another auth scheme is refused"
api GET /api/v1/nope ""
expect 401 "an unknown path without a key"

# ---- datasets ----
api GET /api/v1/datasets "$RKEY"
expect 200 "datasets"
equals "$(json 'sorted((d["name"], d["rows"]) for d in j["datasets"])')" \
  "[('customers', $N_CUST), ('subscriptions', $N_SUBS), ('transactions', $N_TX)]" "datasets: names and rows (pandas)"
equals "$(json '[d["columns"] for d in j["datasets"] if d["name"] == "customers"][0]')" \
  "$(tr ',' '\n' <"$WORK/cust_cols" | wc -l)" "datasets: columns"
equals "$(json 'all(d["imported_at"].endswith("Z") for d in j["datasets"])')" "True" "datasets: imported_at"
api GET /api/v1/datasets/customers "$RKEY"
expect 200 "one dataset"
equals "$(json '",".join(c["name"] for c in j["schema"])')" "$(cat "$WORK/cust_cols")" "dataset schema: columns in order"
equals "$(json '[c["type"] for c in j["schema"] if c["name"] in ("customer_id", "signup_date")]')" \
  "['int64', 'date']" "dataset schema: types"
api GET /api/v1/datasets/nope "$RKEY"
expect_error 404 not_found "nope" "an unknown dataset"

# ---- segments: read ----
api GET /api/v1/segments "$RKEY"
expect 200 "segments"
equals "$(json 'sorted((s["name"], s["dataset"], s["rule"]) for s in j["segments"] if s["name"] != "annual-pro")')" \
  "[('de', 'customers', 'country == \"DE\"'), ('refunded', 'customers', 'count(transactions where kind == \"refund\") >= 1')]" \
  "segments listed"
api GET /api/v1/segments/de "$RKEY"
expect 200 "one segment"
equals "$(json 'j["name"], j["dataset"], j["rule"], j["created_at"][:2]')" \
  "('de', 'customers', 'country == \"DE\"', '20')" "segment definition"
api GET /api/v1/segments/nope "$RKEY"
expect_error 404 not_found "nope" "an unknown segment"
api GET /api/v1/segments/de/count "$RKEY"
expect 200 "count"
equals "$(json 'j["segment"], j["count"], j["of"]')" "('de', $N_DE, $N_CUST)" "count of an attribute rule (pandas)"
api GET /api/v1/segments/refunded/count "$RKEY"
expect 200 "count over a linked dataset"
equals "$(json 'j["count"], j["of"]')" "($N_REF, $N_CUST)" "count of an aggregate rule (pandas)"
api GET "/api/v1/segments/annual-pro/count?as_of=2026-06-30" "$RKEY"
expect 200 "count of a segment over subscription-derived fields"
equals "$(json 'j["count"], j["as_of"]')" "($N_ANNUAL, '2026-06-30T00:00:00Z')" "derived fields (plan, interval, tenure) on a day (pandas)"
curl -s -o "$WORK/annual.csv" -H "Authorization: Bearer $RKEY" \
  "$BASE/api/v1/segments/annual-pro/members?format=csv&columns=plan,billing_interval,tenure_days&as_of=2026-06-30"
equals "$(head -n 1 "$WORK/annual.csv" | tr -d '\r')" "customer_id,plan,billing_interval,tenure_days" "CSV export of derived fields: header"
equals "$("$PY" -c "import pandas as pd; d = pd.read_csv('$WORK/annual.csv'); print(len(d), set(d.plan), set(d.billing_interval), bool((d.tenure_days > 180).all()))")" \
  "$N_ANNUAL {'pro'} {'year'} True" "CSV export of derived fields: the members and their fields (pandas)"
api GET "/api/v1/segments/annual-pro/count?as_of=yesterday" "$RKEY"
expect_error 400 invalid_parameter "'as_of' must be YYYY-MM-DD" "a malformed as_of"
api GET /api/v1/segments/nope/count "$RKEY"
expect_error 404 not_found "nope" "count of an unknown segment"

# members, page by page, against the CLI's list (same order) and pandas (same set)
run 0 "$SEGKIT" segment members de --format csv
printf '%s\n' "$OUT" | tail -n +2 >"$WORK/de.cli"
: >"$WORK/de.api"
for off in $(seq 0 7 $((N_DE + 7))); do
  api GET "/api/v1/segments/de/members?limit=7&offset=$off" "$RKEY"
  if [ "$CODE" != 200 ]; then fail "members page at $off: HTTP $CODE $OUT"; break; fi
  json '"\n".join(str(m) for m in j["members"])' | sed '/^$/d' >>"$WORK/de.api"
done
equals "$(wc -l <"$WORK/de.api")" "$N_DE" "members: pages add up to the count"
if cmp -s "$WORK/de.api" "$WORK/de.cli"; then pass "members: pages equal the CLI's list, in order"; else fail "members differ from the CLI's"; fi
if "$PY" - "$G" "$WORK/de.api" <<'PY'
import sys, pandas as pd
c = pd.read_csv(f"{sys.argv[1]}/customers.csv", keep_default_na=False)
got = [int(x) for x in open(sys.argv[2]).read().split()]
assert sorted(got) == sorted(c.loc[c.country == "DE", "customer_id"].tolist())
PY
then pass "members: the set pandas selects"; else fail "members: set differs from pandas"; fi
api GET "/api/v1/segments/de/members" "$RKEY"
equals "$(json 'j["limit"], j["offset"], j["key"], j["count"], len(j["members"]) == min(100, j["count"])')" \
  "(100, 0, 'customer_id', $N_DE, True)" "members: defaults"
api GET "/api/v1/segments/de/members?offset=$((N_DE + 5))" "$RKEY"
equals "$(json 'j["members"]')" "[]" "members: past the end is an empty page"
api GET "/api/v1/segments/de/members?limit=0" "$RKEY"
expect_error 400 invalid_parameter "'limit' must be an integer from 1 to 10000, not '0'" "limit 0"
api GET "/api/v1/segments/de/members?offset=-1" "$RKEY"
expect_error 400 invalid_parameter "'offset'" "negative offset"
api GET "/api/v1/segments/de/members?limit=abc" "$RKEY"
expect_error 400 invalid_parameter "not 'abc'" "non-numeric limit"

# ---- segments: write ----
SMALL='{"name": "small", "rule": "company_size == \"1-10\"", "dataset": "customers", "key": "customer_id", "description": "tiny firms"}'
api POST /api/v1/segments "" "$SMALL"
expect_error 401 unauthorized "API key" "POST without a key"
api POST /api/v1/segments "$RKEY" "$SMALL"
expect_error 403 forbidden "needs a key with the write role" "POST with a read key"
api POST /api/v1/segments "$WKEY" "$SMALL"
expect 201 "POST with a write key"
equals "$(json 'j["segment"], j["count"], j["of"], j["key"]')" "('small', $N_SMALL, $N_CUST, 'customer_id')" "created segment's count (pandas)"
api GET /api/v1/segments/small/count "$RKEY"
equals "$(json 'j["count"]')" "$N_SMALL" "the new segment counts the same"
api GET /api/v1/segments/small "$RKEY"
equals "$(json 'j["key"], j["description"]')" "('customer_id', 'tiny firms')" "the new segment's key and description"
run 0 "$SEGKIT" segment count small --format json
equals "$(json 'j["count"]')" "$N_SMALL" "the CLI counts the API's segment the same"
api POST /api/v1/segments "$WKEY" '{"name": "de-refunded", "rule": "in_segment(\"de\") and in_segment(\"refunded\")", "dataset": "customers"}'
expect 201 "POST of a rule over other segments"
equals "$(json 'j["count"]')" "$N_DE_REF" "in_segment() of two stored segments (pandas)"
api GET /api/v1/segments/de-refunded/count "$RKEY"
equals "$(json 'j["count"], j["of"]')" "($N_DE_REF, $N_CUST)" "count of a segment over segments (pandas)"
api DELETE /api/v1/segments/de-refunded "$WKEY"
expect 200 "DELETE de-refunded"
api POST /api/v1/segments "$WKEY" '{"name": "x", "rule": "in_segment(\"nope\")", "dataset": "customers"}'
expect_error 400 invalid_rule "in_segment(\"nope\"): there is no segment named 'nope'" "in_segment() of a missing segment"
api POST /api/v1/segments "$AKEY" "$SMALL"
expect_error 409 conflict "a segment named 'small' exists" "an existing name"
api POST /api/v1/segments "$WKEY" '{"name": "x", "rule": "country == \"DE\"",'
expect_error 400 malformed_json "malformed JSON at line 1" "malformed JSON"
api POST /api/v1/segments "$WKEY" '[1, 2]'
expect_error 400 malformed_json "must be a JSON object" "a JSON array"
api POST /api/v1/segments "$WKEY" '{"name": "x", "rule": "country == \"DE\"", "dataset": "customers", "colour": "red"}'
expect_error 400 unknown_field "unknown field 'colour'" "an unknown field"
api POST /api/v1/segments "$WKEY" '{"name": "x", "rule": "country == \"DE\""}'
expect_error 400 missing_field "field 'dataset' is required" "a missing field"
api POST /api/v1/segments "$WKEY" '{"name": "x", "rule": 5, "dataset": "customers"}'
expect_error 400 invalid_field "field 'rule' must be a string" "a mistyped field"
api POST /api/v1/segments "$WKEY" '{"name": "no spaces", "rule": "true", "dataset": "customers"}'
expect_error 400 invalid_field "is not a segment name" "a bad name"
api POST /api/v1/segments "$WKEY" '{"name": "x", "rule": "countyr == \"DE\"", "dataset": "customers"}'
expect_error 400 invalid_rule "rule:1:1: unknown field 'countyr' (did you mean 'country'?)" "a bad rule"
equals "$(json 'j["error"]["line"], j["error"]["column"], j["error"]["length"]')" "(1, 1, 7)" "a bad rule: its position"
api POST /api/v1/segments "$WKEY" '{"name": "x", "rule": "country == ", "dataset": "customers"}'
expect_error 400 invalid_rule "rule:1:" "a rule that does not parse"
api POST /api/v1/segments "$WKEY" '{"name": "x", "rule": "true", "dataset": "nope"}'
expect_error 400 invalid_field "field 'dataset'" "an unknown dataset"
api POST /api/v1/segments "$WKEY" '{"name": "x", "rule": "true", "dataset": "customers", "key": "nokey"}'
expect_error 400 bad_request "no column 'nokey'" "an unknown key column"
BIG=$("$PY" -c 'import json; print(json.dumps({"name": "x", "dataset": "customers", "rule": "country == \"DE\" or " * 300 + "true"}))')
api POST /api/v1/segments "$WKEY" "$BIG"
expect_error 413 payload_too_large "over the limit of 4096 bytes" "a body over --max-body"
code=$(printf '%s' "$BIG" | curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $WKEY" \
  -H 'Transfer-Encoding: chunked' --data-binary @- "$BASE/api/v1/segments")
equals "$code" "413" "a chunked body over the limit"
api PUT /api/v1/segments "$WKEY" '{}'
expect_error 405 method_not_allowed "PUT is not allowed" "an unsupported method"
api GET /api/v1/nope "$RKEY"
expect_error 404 not_found "no endpoint at /api/v1/nope" "an unknown path"
api DELETE /api/v1/segments/small "$RKEY"
expect_error 403 forbidden "write role" "DELETE with a read key"
api DELETE /api/v1/segments/small "$WKEY"
expect 200 "DELETE with a write key"
equals "$(json 'j["segment"], j["deleted"]')" "('small', True)" "deleted"
api DELETE /api/v1/segments/small "$WKEY"
expect_error 404 not_found "small" "DELETE of a missing segment"
api GET /api/v1/segments/small "$RKEY"
expect 404 "a deleted segment is gone"

# the audit log has both writes, with the key's id as the actor
run 0 "$SEGKIT" audit --limit 0 --format json
equals "$(json '[(e["action"], e["target"]) for e in j if e["actor"] == "key:'"$WID"'"]')" \
  "[('segment_drop', 'small'), ('segment_drop', 'de-refunded'), ('segment_add', 'de-refunded'), ('segment_add', 'small')]" \
  "audit: the API's writes, by key id"
equals "$(json 'len([e for e in j if e["action"] == "key_create"])')" "4" "audit: each key's creation"

# ---- concurrency: 20 readers while a writer creates and deletes segments ----
CONC=$WORK/conc
mkdir -p "$CONC"
for r in $(seq 1 20); do
  (
    for i in $(seq 1 8); do
      seg=de
      if [ $((i % 2)) -eq 0 ]; then seg=churn-tmp; fi
      curl -s -o "$CONC/r$r.$i.body" -w '%{http_code}\n' -H "Authorization: Bearer $R2KEY" \
        "$BASE/api/v1/segments/$seg/count" >"$CONC/r$r.$i.code"
    done
  ) &
done
(
  for i in $(seq 1 6); do
    curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $WKEY" -X POST \
      --data-binary '{"name": "churn-tmp", "rule": "country == \"DE\"", "dataset": "customers"}' \
      "$BASE/api/v1/segments" >>"$CONC/writer.codes"
    curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $WKEY" -X DELETE \
      "$BASE/api/v1/segments/churn-tmp" >>"$CONC/writer.codes"
  done
) &
wait $(jobs -p | grep -v "^$SPID\$")
equals "$(sort "$CONC/writer.codes" | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')" "200x6 201x6 " \
  "concurrent writer: every create and delete succeeded"
if "$PY" - "$CONC" "$N_DE" "$N_CUST" <<'PY'
import glob, json, os, sys
conc, n_de, n_cust = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen = {"200": 0, "404": 0}
for body in sorted(glob.glob(f"{conc}/r*.body")):
    code = open(body[:-5] + ".code").read().strip()
    j = json.load(open(body))                  # every answer is whole, valid JSON
    if code == "200":
        assert (j["count"], j["of"]) == (n_de, n_cust), (body, j)
    elif code == "404":                        # churn-tmp between a delete and a create
        assert j["error"]["code"] == "not_found" and os.path.basename(body).split(".")[1] in "2468", (body, j)
    else:
        raise AssertionError((body, code, j))
    seen[code] += 1
assert seen["200"] + seen["404"] == 160, seen
print(seen, file=sys.stderr)
PY
then pass "160 concurrent reads: all valid JSON, every count consistent"; else fail "concurrent reads"; fi

# ---- revocation ----
run 0 "$SEGKIT" key revoke "$RID"
contains "$OUT" "revoked key $RID" "revoke"
api GET /api/v1/datasets "$RKEY"
expect_error 401 unauthorized "revoked" "a revoked key is refused from the next request"
run 3 "$SEGKIT" key revoke 0123456789abcdef
contains "$ERR" "no API key with id '0123456789abcdef'" "revoking an unknown id"
run 2 "$SEGKIT" key revoke "$RID"
contains "$ERR" "already revoked" "revoking twice"
run 0 "$SEGKIT" key list --format json
equals "$(json '[(k["id"] == "'"$RID"'", k["revoked_at"] is not None, k["last_used_at"] is not None) for k in j][:2]')" \
  "[(True, True, True), (False, False, True)]" "key list: revoked and last used"

# ---- connection limit and idle timeout (a second server, one thread) ----
"$SEGKIT" serve --port 0 --threads 1 --max-connections 2 --timeout 2 >"$WORK/serve2.out" 2>"$WORK/serve2.err" &
SPID2=$!
PORT2=""
for _ in $(seq 1 100); do
  PORT2=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$WORK/serve2.out" 2>/dev/null || true)
  if [ -n "$PORT2" ] && curl -s -o /dev/null "http://127.0.0.1:$PORT2/api/v1/health"; then break; fi
  sleep 0.1
done
sleep 2.5   # let the probe connections above time out
if "$PY" - "$PORT2" <<'PY'
import socket, sys, time, urllib.request
port = int(sys.argv[1])
def health(wait):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=wait).status
    except Exception:
        return None
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
time.sleep(0.3)
# At the limit libmicrohttpd stops accepting: a third connection waits in the listen queue.
assert health(1.0) is None, "a third connection was served over --max-connections 2"
time.sleep(2.7)     # --timeout 2: the idle ones are closed by the server
for s in idle:
    s.settimeout(2)
    assert s.recv(1) == b"", "an idle connection was not closed"
assert health(3) == 200, "the server did not recover after the idle connections closed"
PY
then pass "a third connection waits over --max-connections 2; idle connections time out"; else fail "connection limit / timeout"; fi
kill -TERM "$SPID2"
wait "$SPID2" || fail "the second server did not stop cleanly"

# ---- stop ----
kill -TERM "$SPID"
set +e
wait "$SPID"
rc=$?
set -e
SPID=""
equals "$rc" "0" "the server stops cleanly on SIGTERM (and leaks nothing under ASan)"
contains "$(cat "$WORK/serve.err")" "stopped on SIGTERM" "the stop is reported"
finish
