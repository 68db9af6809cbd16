#!/usr/bin/env bash
# POST /api/v1/rules/check (the dashboard's segment builder) and GET /api/v1/whoami over
# real HTTP: counts against pandas on the generated CSV files (an attribute rule, an
# aggregate over a linked dataset, the default dataset), rules that do not compile answered
# 200 with their errors' places (line, byte column, length; multi-line and non-ASCII rules),
# bad requests answered 400, the key's role, and that a check writes nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
G=$WORK/g
run 0 "$SEGKIT" generate --customers 600 --respondents 10 --events-per-month 1 --out "$G" --quiet
for f in customers transactions; do
  run 0 "$SEGKIT" import "$G/$f.csv" --as "$f" --quiet
done
run 0 "$SEGKIT" link transactions.customer_id customers.customer_id --time timestamp
run 0 "$SEGKIT" segment add de 'country == "DE"' --dataset customers
read -r N_CUST N_DE N_REF N_DE_SMALL_REF <<<"$("$PY" - "$G" <<'PY'
import sys, pandas as pd
g = sys.argv[1]
c = pd.read_csv(f"{g}/customers.csv", keep_default_na=False)
t = pd.read_csv(f"{g}/transactions.csv", keep_default_na=False)
refunded = c.customer_id.isin(set(t.loc[t.kind == "refund", "customer_id"]))
de = c.country == "DE"
print(len(c), int(de.sum()), int(refunded.sum()),
      int((de | ((c.company_size == "1-10") & refunded)).sum()))
PY
)"
RKEY=$("$SEGKIT" key create --role read --quiet | tail -n 1)
WKEY=$("$SEGKIT" key create --role write --quiet | tail -n 1)
run 0 "$SEGKIT" audit --format json
AUDIT_N=$(json 'len(j)')

start_serve

# check KEY BODY: POST the body to rules/check; sets CODE and OUT.
check() {
  local args=(-s -o "$WORK/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json'
              --data-binary "$2")
  if [ -n "$1" ]; then args+=(-H "Authorization: Bearer $1"); fi
  CODE=$(curl "${args[@]}" "$BASE/api/v1/rules/check")
  OUT=$(cat "$WORK/body")
}
rule_body() { # rule_body RULE [DATASET]: the JSON body, escaped by Python
  "$PY" -c 'import json,sys; d={"rule": sys.argv[1]}
if len(sys.argv) > 2: d["dataset"] = sys.argv[2]
print(json.dumps(d))' "$@"
}

# ---- counts ----
check "$RKEY" "$(rule_body 'country == "DE"' customers)"
equals "$CODE $(json 'j')" "200 {'valid': True, 'dataset': 'customers', 'count': $N_DE, 'of': $N_CUST}" \
  "an attribute rule is counted (pandas)"
check "$RKEY" "$(rule_body 'country == "DE"')"
equals "$(json 'j["dataset"], j["count"]')" "('customers', $N_DE)" "without a dataset the check runs on customers"
check "$RKEY" "$(rule_body 'count(transactions where kind == "refund") >= 1')"
equals "$(json 'j["valid"], j["count"]')" "(True, $N_REF)" "an aggregate over the linked transactions (pandas)"
check "$RKEY" "$(rule_body 'in_segment("de") or
  (company_size == "1-10" and count(transactions where kind == "refund") >= 1)')"
equals "$(json 'j["valid"], j["count"]')" "(True, $N_DE_SMALL_REF)" "in_segment() and a multi-line rule (pandas)"

# ---- rules that do not compile: 200, with the place ----
check "$RKEY" "$(rule_body 'countyr == "DE"')"
equals "$CODE" 200 "a misspelt field is an answer, not a failed request"
equals "$(json 'j')" "{'valid': False, 'errors': [{'message': \"unknown field 'countyr' (did you mean 'country'?)\", 'line': 1, 'column': 1, 'length': 7}]}" \
  "a misspelt field: message, line, column, length"
check "$RKEY" "$(rule_body 'country == "DE" and
  company_size ==')"
equals "$(json '[(e["line"], e["column"]) for e in j["errors"]]')" "[(2, 18)]" "a rule that ends too soon: line 2, column 18"
# Columns count bytes: "Düsseldorf" is 11 characters and 12 bytes, so the error is at byte 27.
check "$RKEY" "$(rule_body 'city == "Düsseldorf" and countyr == "DE"')"
equals "$(json '[(e["line"], e["column"], e["length"]) for e in j["errors"]]')" "[(1, 27, 7)]" \
  "the column is in bytes after a non-ASCII string"
check "$RKEY" "$(rule_body 'country == 3')"
equals "$(json 'j["valid"], j["errors"][0]["line"] is not None')" "(False, True)" "a type mismatch has a place"
check "$RKEY" "$(rule_body 'in_segment("nope")')"
equals "$(json 'j["valid"], j["errors"][0]["line"]')" "(False, None)" "an unknown in_segment() has no place (null)"
contains "$(json 'j["errors"][0]["message"]')" "there is no segment named 'nope'" "an unknown in_segment(): message"

# ---- bad requests: 400 ----
check "$RKEY" '{"rule": "country == \"DE\"", "dataset": "nope"}'
equals "$CODE $(json 'j["error"]["code"]')" "400 invalid_field" "an unknown dataset"
contains "$(json 'j["error"]["message"]')" "field 'dataset'" "an unknown dataset: the field is named"
check "$RKEY" '{"rule": "country == \"DE\"", "colour": "red"}'
equals "$CODE $(json 'j["error"]["message"]')" "400 unknown field 'colour' (expected rule, dataset, key, subscriptions, rates, segment)" "an unknown field"
check "$RKEY" '{"dataset": "customers"}'
equals "$CODE $(json 'j["error"]["code"]')" "400 missing_field" "no rule"
check "$RKEY" '{"rule": 3}'
equals "$CODE $(json 'j["error"]["message"]')" "400 field 'rule' must be a string" "a rule that is not a string"
check "$RKEY" '{"rule": '
equals "$CODE $(json 'j["error"]["code"]')" "400 malformed_json" "malformed JSON"
check "" "$(rule_body 'country == "DE"')"
equals "$CODE" 401 "a check needs a key"

# ---- whoami ----
for k in "read:$RKEY" "write:$WKEY"; do
  role=${k%%:*}
  key=${k#*:}
  CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $key" "$BASE/api/v1/whoami")
  OUT=$(cat "$WORK/body")
  equals "$CODE $(json 'j')" "200 {'key': '${key:3:16}', 'role': '$role'}" "whoami: the $role key's id and role"
  not_contains "$OUT" "${key:20}" "whoami never shows the secret"
done
equals "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/whoami")" 401 "whoami needs a key"

# ---- a check writes nothing ----
kill -TERM "$SPID"
wait "$SPID" || true
SPID=""
run 0 "$SEGKIT" segment list --format json
equals "$(json '[s["segment"] for s in j]')" "['de']" "checks saved no segment"
run 0 "$SEGKIT" audit --format json
equals "$(json 'len(j)')" "$AUDIT_N" "checks left no audit entry"
finish
