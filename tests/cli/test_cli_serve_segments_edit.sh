#!/usr/bin/env bash
# Editing and deleting segments over the HTTP API, as the dashboard's Edit and Delete do, with
# curl against a running `segkit serve`: PUT keeps what the body leaves out (the CLI's
# --subscriptions/--rates context, the description, the key) and null clears it; the rule
# check takes the same context; GET gives an ETag and PUT/DELETE honour If-Match (412 naming
# the current version); DELETE refuses (409) to break segments that use the segment with
# in_segment() unless ?force=true, as `segkit segment rm` refuses without --force. Counts
# come from pandas reading the generated files (tests/data/server/annual_pro.py and inline
# below); dependents and versions are checked against the rules and answers written here.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
SRC=${SEGKIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
G=$WORK/g
run 0 "$SEGKIT" generate --customers 800 --respondents 10 --events-per-month 1 --out "$G" --quiet
for f in customers transactions subscriptions; do
  run 0 "$SEGKIT" import "$G/$f.csv" --as "$f" --quiet
done
RATES=USD=1,EUR=1.08,GBP=1.27
ASOF=2026-06-30
run 0 "$SEGKIT" segment add annual-pro 'plan == "pro" and billing_interval == "year" and tenure_days > 180' \
  --dataset customers --subscriptions subscriptions --rates $RATES --description "annual pro, half a year in"
run 0 "$SEGKIT" segment add de 'country == "DE"' --dataset customers
run 0 "$SEGKIT" segment add de-annual 'in_segment("de") and in_segment("annual-pro")' --dataset customers
run 0 "$SEGKIT" segment add de-annual-top 'in_segment("de-annual")' --dataset customers
# Names in a string or a comment are not uses.
run 0 "$SEGKIT" segment add mention 'country != "in_segment(\"de\")" # not in_segment("de")' --dataset customers
run 0 "$SEGKIT" key create --role read --quiet
RKEY=$(printf '%s\n' "$OUT" | tail -n 1)
run 0 "$SEGKIT" key create --role write --quiet
WKEY=$(printf '%s\n' "$OUT" | tail -n 1)

N_180=$("$PY" "$SRC/tests/data/server/annual_pro.py" "$G" $ASOF $RATES 180)
N_365=$("$PY" "$SRC/tests/data/server/annual_pro.py" "$G" $ASOF $RATES 365)
read -r N_FR N_FR_SMALL <<<"$("$PY" - "$G" <<'PY'
import sys, pandas as pd
c = pd.read_csv(f"{sys.argv[1]}/customers.csv", keep_default_na=False)
print(int((c.country == "FR").sum()), int(((c.country == "FR") & (c.company_size == "1-10")).sum()))
PY
)"
if [ "$N_180" -gt "$N_365" ] && [ "$N_365" -gt 0 ]; then pass "the data has annual pro customers both sides of a year"; else fail "weak data: $N_180 / $N_365"; fi

start_serve --threads 2
header() { grep -i "^$1:" "$WORK/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
# api_if METHOD PATH KEY IF-MATCH [BODY]: api with an If-Match header.
api_if() {
  local method=$1 path=$2 key=$3 tag=$4
  shift 4
  IF_MATCH=$tag api "$method" "$path" "$key" "$@"
}
RULE365='plan == \"pro\" and billing_interval == \"year\" and tenure_days > 365'

# ---- 1. the CLI's context (subscriptions, rates) is shown, kept by PUT, taken by the check ----
api GET /api/v1/segments/annual-pro "$RKEY"
expect 200 "GET a segment made with --subscriptions"
equals "$(json 'j["subscriptions"], j["rates"], j["key"]')" "('subscriptions', '$RATES', None)" \
  "GET shows the stored subscriptions and rates"
api POST "/api/v1/rules/check?as_of=$ASOF" "$RKEY" "{\"rule\": \"$RULE365\", \"dataset\": \"customers\"}"
expect 200 "check without the context"
equals "$(json 'j["valid"]')" "False" "check: derived fields need the subscriptions"
contains "$(json 'j["errors"][0]["message"]')" "unknown field 'plan'" "check: the derived field is named"
api POST "/api/v1/rules/check?as_of=$ASOF" "$RKEY" \
  "{\"rule\": \"$RULE365\", \"dataset\": \"customers\", \"subscriptions\": \"subscriptions\", \"rates\": \"$RATES\"}"
expect 200 "check with the context"
equals "$(json 'j["valid"], j["count"]')" "(True, $N_365)" "check with subscriptions and rates: the count (pandas)"
api POST /api/v1/rules/check "$RKEY" "{\"rule\": \"mrr > 0\", \"subscriptions\": \"nope\"}"
expect_error 400 invalid_field "field 'subscriptions'" "check: an unknown subscriptions dataset"
api POST /api/v1/rules/check "$RKEY" "{\"rule\": \"mrr > 0\", \"subscriptions\": \"subscriptions\", \"rates\": \"/etc/passwd\"}"
expect_error 400 invalid_field "field 'rates': expected rates written out" "check: rates from a file are refused"
api POST /api/v1/rules/check "$RKEY" "{\"rule\": \"mrr > 0\", \"subscriptions\": \"subscriptions\", \"rates\": \"USD=0\"}"
expect_error 400 invalid_field "field 'rates'" "check: a bad rate is named"

api POST "/api/v1/rules/check?as_of=$ASOF" "$RKEY" "{\"rule\": \"$RULE365\", \"segment\": \"annual-pro\"}"
equals "$(json 'j["valid"], j["count"], j["dataset"]')" "(True, $N_365, 'customers')" \
  "check with the context of a named segment (an editor's): the count (pandas)"
api POST /api/v1/rules/check "$RKEY" "{\"rule\": \"true\", \"segment\": \"nope\"}"
expect_error 400 invalid_field "field 'segment': no segment named 'nope'" "check: an unknown segment to take the context of"
# Rates in a file, as the CLI allows: a request may not name the file, but a stored segment's
# file is used through "segment".
printf 'currency,rate\nUSD,1\nEUR,1.08\nGBP,1.27\n' >"$WORK/rates.csv"
run 0 "$SEGKIT" segment add annual-file 'plan == "pro" and billing_interval == "year" and tenure_days > 180' \
  --dataset customers --subscriptions subscriptions --rates "$WORK/rates.csv"
api POST "/api/v1/rules/check?as_of=$ASOF" "$RKEY" "{\"rule\": \"$RULE365\", \"segment\": \"annual-file\"}"
equals "$(json 'j["valid"], j["count"]')" "(True, $N_365)" "check with a stored segment's rates file (pandas)"
api POST /api/v1/rules/check "$RKEY" "{\"rule\": \"true\", \"subscriptions\": \"subscriptions\", \"rates\": \"$WORK/rates.csv\"}"
expect_error 400 invalid_field "field 'rates': expected rates written out" "check: a request may not name a rates file"
api PUT /api/v1/segments/annual-file "$WKEY" '{"description": "rates from a file"}'
expect 200 "PUT keeps a stored rates file"
api GET "/api/v1/segments/annual-file/count?as_of=$ASOF" "$RKEY"
equals "$(json 'j["count"]')" "$N_180" "the segment with a rates file counts after the PUT (pandas)"
run 0 "$SEGKIT" segment rm annual-file

api PUT /api/v1/segments/annual-pro "$WKEY" "{\"rule\": \"$RULE365\"}"
expect 200 "PUT a new rule only, to a --subscriptions segment"
api GET "/api/v1/segments/annual-pro/count?as_of=$ASOF" "$RKEY"
equals "$(json 'j["count"]')" "$N_365" "PUT kept subscriptions and rates: the new rule counts (pandas)"
api GET /api/v1/segments/annual-pro "$RKEY"
equals "$(json 'j["subscriptions"], j["rates"], j["description"], j["dataset"]')" \
  "('subscriptions', '$RATES', 'annual pro, half a year in', 'customers')" "PUT kept the context and description"
api PUT /api/v1/segments/annual-pro "$WKEY" '{"subscriptions": null}'
expect_error 400 invalid_rule "unknown field 'plan'" "PUT clearing the subscriptions of a rule that needs them"
api GET /api/v1/segments/annual-pro "$RKEY"
equals "$(json 'j["subscriptions"], j["rule"]')" "('subscriptions', '$(printf '%s' "$RULE365" | sed 's/\\"/"/g')')" \
  "a refused PUT changes nothing"
api PUT /api/v1/segments/annual-pro "$WKEY" '{"rates": "USD=1,EUR=1.1,GBP=1.3"}'
expect 200 "PUT new rates only"
api GET /api/v1/segments/annual-pro "$RKEY"
equals "$(json 'j["rates"], j["subscriptions"]')" "('USD=1,EUR=1.1,GBP=1.3', 'subscriptions')" "PUT replaced the rates, kept the subscriptions"
api PUT /api/v1/segments/annual-pro "$WKEY" "{\"rates\": \"$RATES\"}"
expect 200 "PUT the rates back"
api PUT /api/v1/segments/annual-pro "$WKEY" '{"rates": "rates.csv"}'
expect_error 400 invalid_field "field 'rates'" "PUT: rates from a file are refused"
api POST /api/v1/segments "$WKEY" \
  "{\"name\": \"api-annual\", \"rule\": \"plan == \\\"pro\\\" and billing_interval == \\\"year\\\" and tenure_days > 180\", \"dataset\": \"customers\", \"subscriptions\": \"subscriptions\", \"rates\": \"$RATES\"}"
expect 201 "POST a segment over derived fields"
api GET "/api/v1/segments/api-annual/count?as_of=$ASOF" "$RKEY"
equals "$(json 'j["count"]')" "$N_180" "POST with subscriptions and rates: the count (pandas)"
run 0 "$SEGKIT" segment count api-annual --as-of $ASOF --format json
equals "$(json 'j["count"]')" "$N_180" "the CLI counts the API's segment the same"
api POST /api/v1/segments "$WKEY" '{"name": "x", "rule": "mrr > 0", "dataset": "customers", "subscriptions": "nope"}'
expect_error 400 invalid_field "field 'subscriptions'" "POST: an unknown subscriptions dataset"

# ---- 2. what a PUT leaves out keeps its stored value; null clears ----
api POST /api/v1/segments "$WKEY" '{"name": "fr", "rule": "country == \"FR\"", "dataset": "customers", "key": "customer_id", "description": "French"}'
expect 201 "the segment to edit"
api PUT /api/v1/segments/fr "$WKEY" '{"rule": "country == \"FR\" and company_size == \"1-10\""}'
expect 200 "PUT the rule only"
equals "$(json 'j["count"], j["key"]')" "($N_FR_SMALL, 'customer_id')" "PUT the rule only: the count (pandas) and the kept key"
api GET /api/v1/segments/fr "$RKEY"
equals "$(json 'j["description"], j["key"], j["dataset"]')" "('French', 'customer_id', 'customers')" \
  "PUT kept the description, key and dataset it left out"
api PUT /api/v1/segments/fr "$WKEY" '{"description": null}'
expect 200 "PUT description null"
api GET /api/v1/segments/fr "$RKEY"
equals "$(json 'j["description"], j["key"], j["rule"]')" "(None, 'customer_id', 'country == \"FR\" and company_size == \"1-10\"')" \
  "null cleared the description, the rest kept"
api PUT /api/v1/segments/fr "$WKEY" '{"key": null, "description": "back"}'
api GET /api/v1/segments/fr "$RKEY"
equals "$(json 'j["key"], j["description"]')" "(None, 'back')" "null cleared the key"
api PUT /api/v1/segments/fr "$WKEY" '{"rule": "country == \"FR\"", "dataset": "nope"}'
expect_error 400 invalid_field "field 'dataset'" "PUT: an unknown dataset is named"
api PUT /api/v1/segments/fr "$WKEY" '{"description": 3}'
expect_error 400 invalid_field "description" "PUT: a description that is not a string"

# ---- 3. ETag and If-Match ----
api GET /api/v1/segments/fr "$RKEY"
V1=$(json 'j["version"]')
equals "$(header ETag)" "\"$V1\"" "GET: the ETag is the version"
api_if PUT /api/v1/segments/fr "$WKEY" "\"$V1\"" '{"rule": "country == \"FR\""}'
expect 200 "PUT with the current If-Match"
V2=$(json 'j["version"]')
equals "$(header ETag)" "\"$V2\"" "PUT answers with the new ETag"
if [ "$V2" -gt "$V1" ]; then pass "the version moved forward"; else fail "version $V1 -> $V2"; fi
equals "$(json 'j["count"]')" "$N_FR" "PUT with If-Match: the count (pandas)"
api_if PUT /api/v1/segments/fr "$WKEY" "\"$V1\"" '{"rule": "country == \"DE\""}'
expect_error 412 precondition_failed "it is now at version $V2" "PUT with a stale If-Match"
equals "$(json 'j["error"]["version"], j["error"]["etag"]')" "($V2, '\"$V2\"')" "412: the current version"
api GET /api/v1/segments/fr "$RKEY"
equals "$(json 'j["rule"], j["version"]')" "('country == \"FR\"', $V2)" "a stale PUT changed nothing"
api_if PUT /api/v1/segments/fr "$WKEY" "W/\"$V2\"" '{"description": "weak"}'
expect 412 "a weak ETag does not match (strong comparison)"
api_if PUT /api/v1/segments/fr "$WKEY" "\"1\", \"$V2\"" '{"description": "listed"}'
expect 200 "If-Match with a list holding the current version"
api_if PUT /api/v1/segments/fr "$WKEY" "*" '{"description": "any"}'
expect 200 "If-Match: * matches any version"
# Six clients save over the same version at once: the version is checked inside each write's
# transaction, so exactly one wins and the others get 412.
api GET /api/v1/segments/fr "$RKEY"
VR=$(header ETag)
racers=()
for i in 1 2 3 4 5 6; do
  curl -s -o /dev/null -w '%{http_code}\n' -X PUT -H "Authorization: Bearer $WKEY" -H "If-Match: $VR" \
    -H 'Content-Type: application/json' --data-binary "{\"description\": \"racer $i\"}" \
    "$BASE/api/v1/segments/fr" >"$WORK/race.$i" &
  racers+=($!)
done
wait "${racers[@]}"
equals "$(cat "$WORK"/race.* | sort | uniq -c | awk '{print $1 "x" $2}' | tr '\n' ' ')" "1x200 5x412 " \
  "six concurrent saves over one version: one 200, five 412"
api_if DELETE /api/v1/segments/fr "$WKEY" "\"$V2\""
expect_error 412 precondition_failed "has changed since it was read" "DELETE with a stale If-Match"
api GET /api/v1/segments/fr "$RKEY"
expect 200 "a stale DELETE deleted nothing"
V3=$(header ETag)
api_if DELETE /api/v1/segments/fr "$WKEY" "$V3"
expect 200 "DELETE with the current If-Match"
api GET /api/v1/segments/fr "$RKEY"
expect_error 404 not_found "fr" "gone after the DELETE"
api_if PUT /api/v1/segments/fr "$WKEY" "$V3" '{"description": "x"}'
expect_error 404 not_found "fr" "If-Match on a missing segment: 404"

# ---- 4. dependents: DELETE and segment rm refuse to break in_segment() users ----
api DELETE /api/v1/segments/de "$WKEY"
expect_error 409 has_dependents "de-annual" "DELETE of a segment others use"
equals "$(json 'j["error"]["dependents"], j["error"]["indirect_dependents"]')" "(['de-annual'], ['de-annual-top'])" \
  "409 names the direct and indirect dependents (not the one naming it in a string or comment)"
api GET /api/v1/segments/de "$RKEY"
expect 200 "a refused DELETE deleted nothing"
run 3 "$SEGKIT" segment rm de
contains "$ERR" "segment 'de' is used by in_segment() in: de-annual, de-annual-top (through another)" "segment rm names the dependents"
contains "$ERR" "--force" "segment rm says how to go on"
api DELETE /api/v1/segments/annual-pro "$WKEY"
equals "$(json 'j["error"]["dependents"]')" "['de-annual']" "the dependents of a --subscriptions segment"
api DELETE "/api/v1/segments/de?force=yes" "$WKEY"
expect_error 400 invalid_parameter "'force' must be true or false" "force must be true or false"
api DELETE /api/v1/segments/de-annual-top "$WKEY"
expect 200 "DELETE of a segment nothing uses"
equals "$(json 'j["deleted"], j["broken"]')" "(True, [])" "nothing broken"
api DELETE "/api/v1/segments/de?force=true" "$WKEY"
expect 200 "DELETE ?force=true"
equals "$(json 'j["broken"]')" "['de-annual']" "the forced DELETE names what it broke"
api GET /api/v1/segments/de-annual/count "$RKEY"
expect_error 400 invalid_rule "there is no segment named 'de'" "the broken dependent no longer counts"
run 0 "$SEGKIT" segment add de 'country == "DE"' --dataset customers
run 3 "$SEGKIT" segment rm de
run 0 "$SEGKIT" segment rm de --force
contains "$ERR" "warning: segment 'de' is used by in_segment() in: de-annual" "rm --force warns"
contains "$OUT" "removed segment 'de'" "rm --force removes"
run 0 "$SEGKIT" segment rm mention
run 3 "$SEGKIT" segment rm nope
contains "$ERR" "no segment named 'nope'" "rm of a missing segment"
run 0 "$SEGKIT" audit
contains "$OUT" "segment_drop" "deletes are audited"

finish
