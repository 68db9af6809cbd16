#!/usr/bin/env bash
# Exports of segments: member files with chosen attributes (CSV and JSON), checked against
# pandas computing the same rule from the raw CSV; and snapshots posted to a webhook on
# loopback (a real HTTP server, tests/cli/webhook_receiver.py): the document's members and
# its entered/left lists against pandas at two dates, headers passed on, and the errors a
# receiver can cause (a refusal with its reason, a 5xx after retries, nothing listening,
# a URL of another scheme), with the snapshot kept when the post fails.
source "$(dirname "$0")/lib.sh"
G=$WORK/g
run 0 "$SEGKIT" generate --customers 1200 --respondents 10 --events-per-month 1 --out "$G" --quiet
for f in customers transactions events subscriptions; do
  run 0 "$SEGKIT" import "$G/$f.csv" --as "$f" --quiet
done
run 0 "$SEGKIT" link transactions.customer_id customers.customer_id --time timestamp
run 0 "$SEGKIT" segment add de-mid 'country == "DE" and company_size in ("51-200", "201-1000")' --dataset customers
run 0 "$SEGKIT" segment add refunded 'count(transactions where kind == "refund" and timestamp > now() - 90d and timestamp <= now()) >= 1' --dataset customers

# ---- links inferred from column names ----
run 0 "$SEGKIT" segment check 'country == "events" or count(events where event == "login" and timestamp > now() - 30d) >= 2' --dataset customers --as-of 2026-06-30
contains "$ERR" "note: linked events.customer_id to customers.customer_id (inferred from the column name, time column timestamp)" "an inferred link is said"
not_contains "$ERR" "stored with the segment" "check does not store it"
run 0 "$SEGKIT" link --format json
equals "$(json '[l["fact"] for l in j]')" "['transactions']" "check left the links alone"
run 0 "$SEGKIT" segment add logins 'count(events where event == "login" and timestamp > now() - 30d) >= 2' --dataset customers --as-of 2026-06-30
contains "$ERR" "stored with the segment" "add stores the inferred link"
run 0 "$SEGKIT" link --format json
equals "$(json '[(l["fact"], l["column"], l["key"], l["time"]) for l in j]')" "[('events', 'customer_id', 'customer_id', 'timestamp'), ('transactions', 'customer_id', 'customer_id', 'timestamp')]" "the inferred link is listed"
run 0 "$SEGKIT" segment count logins --as-of 2026-06-30 --format json
WANT=$("$PY" -c "
import sys, pandas as pd
e = pd.read_csv(sys.argv[1] + '/events.csv', parse_dates=['timestamp'])
now = pd.Timestamp('2026-06-30', tz='UTC')
e = e[(e.event == 'login') & (e.timestamp > now - pd.Timedelta(days=30))]
n = e.groupby('customer_id').size()
print(int((n >= 2).sum()))" "$G")
equals "$(json 'j["count"]')" "$WANT" "a segment over an inferred link counts as pandas does"
not_contains "$ERR" "note: linked" "no inference once the link is stored"
run 0 "$SEGKIT" segment check 'country == "subscriptions"' --dataset customers
not_contains "$ERR" "note: linked" "a dataset named only inside a string is not linked"

# ---- member files ----
run 0 "$SEGKIT" segment members de-mid --columns country,company_size --out "$WORK/de.csv"
contains "$ERR" "members of 'de-mid' to $WORK/de.csv" "the export says where it went"
equals "$OUT" "" "nothing on stdout when exporting"
run 0 "$SEGKIT" segment members de-mid --columns country,company_size,signup_date --out "$WORK/de.json"
run 0 "$SEGKIT" segment members de-mid --columns company_size --format json --out "$WORK/de-forced.json"
if "$PY" - "$G" "$WORK" <<'PY'
import json, sys, pandas as pd
g, work = sys.argv[1:3]
c = pd.read_csv(f"{g}/customers.csv", dtype={"signup_date": str})
want = c[(c.country == "DE") & c.company_size.isin(["51-200", "201-1000"])].set_index("customer_id")
csv = pd.read_csv(f"{work}/de.csv")
assert list(csv.columns) == ["customer_id", "country", "company_size"], list(csv.columns)
assert sorted(csv.customer_id) == sorted(want.index), "CSV members"
for _, r in csv.iterrows():
    assert (r.country, r.company_size) == (want.loc[r.customer_id, "country"], want.loc[r.customer_id, "company_size"])
js = json.load(open(f"{work}/de.json"))
assert sorted(o["customer_id"] for o in js) == sorted(want.index), "JSON members"
for o in js:
    assert set(o) == {"customer_id", "country", "company_size", "signup_date"}, o
    assert o["signup_date"] == want.loc[o["customer_id"], "signup_date"], o
assert isinstance(js[0]["customer_id"], int), "ids stay numbers in JSON"
forced = json.load(open(f"{work}/de-forced.json"))
assert len(forced) == len(want) and set(forced[0]) == {"customer_id", "company_size"}
print(len(want), "members with attributes agree")
PY
then pass "member files (CSV, JSON) match pandas"; else fail "member files differ from pandas"; fi
run 4 "$SEGKIT" segment members de-mid --out "$WORK/no-such-dir/x.csv"
contains "$ERR" "no-such-dir/x.csv: cannot write" "an unwritable export path is named"

# ---- webhook on loopback ----
"$PY" "$(dirname "$0")/webhook_receiver.py" "$WORK/port" "$WORK/hook.jsonl" &
HOOK=$!
trap 'kill $HOOK 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$WORK/port")"

run 0 "$SEGKIT" segment snapshot refunded --as-of 2026-03-31 --post "$URL/audiences" --header "Authorization: Bearer s3cret"
contains "$ERR" "posted snapshot 1 of 'refunded'" "the post is reported"
contains "$ERR" "HTTP 200" "with the receiver's status"
run 0 "$SEGKIT" segment snapshot refunded --as-of 2026-06-30 --post "$URL/audiences"
if "$PY" - "$G" "$WORK/hook.jsonl" <<'PY'
import json, sys, pandas as pd
g, log = sys.argv[1:3]
t = pd.read_csv(f"{g}/transactions.csv", parse_dates=["timestamp"])
ids = set(pd.read_csv(f"{g}/customers.csv").customer_id)
def refunded(day):
    now = pd.Timestamp(day, tz="UTC")
    r = t[(t.kind == "refund") & (t.timestamp > now - pd.Timedelta(days=90)) & (t.timestamp <= now)]
    return set(r.customer_id) & ids
march, june = refunded("2026-03-31"), refunded("2026-06-30")
reqs = [json.loads(l) for l in open(log)]
assert len(reqs) == 2, len(reqs)
first, second = (json.loads(r["body"]) for r in reqs)
assert reqs[0]["path"] == "/audiences"
assert reqs[0]["headers"].get("Authorization") == "Bearer s3cret", reqs[0]["headers"]
assert reqs[0]["headers"].get("Content-Type") == "application/json"
assert "Authorization" not in reqs[1]["headers"]
assert first["segment"] == "refunded" and first["dataset"] == "customers" and first["snapshot"] == 1
assert first["of"] == len(ids) and first["count"] == len(march) == len(first["members"])
assert set(first["members"]) == march and first["previous_snapshot"] is None
assert first["taken_at"].startswith("2026-03-31"), first["taken_at"]
assert "count(transactions" in first["rule"]
assert set(second["members"]) == june and second["previous_snapshot"] == 1
assert set(second["entered"]) == june - march, "entered"
assert set(second["left"]) == march - june, "left"
assert june - march and march - june, "both lists exercised"
print(len(march), "->", len(june), "members;", len(june - march), "entered,", len(march - june), "left")
PY
then pass "posted snapshots match pandas (members, entered, left, headers)"; else fail "posted snapshots differ from pandas"; fi

run 0 "$SEGKIT" segment post refunded "$URL/again" --snapshot 1
contains "$ERR" "posted snapshot 1 of 'refunded'" "a stored snapshot can be posted again"
equals "$("$PY" -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][-1]; b=json.loads(r['body']); print(r['path'], b['snapshot'], b['previous_snapshot'])" "$WORK/hook.jsonl")" "/again 1 None" "re-post of snapshot 1"

run 4 "$SEGKIT" segment snapshot refunded --as-of 2026-06-30 --post "$URL/reject"
contains "$ERR" "answered HTTP 422: audience refused: no email column" "a refusal is shown with the receiver's reason"
contains "$ERR" "snapshot 3 of 'refunded' is stored" "the snapshot is kept when the post fails"
run 4 "$SEGKIT" segment post refunded "$URL/fail"
contains "$ERR" "answered HTTP 500" "a server error is reported"
equals "$(grep -c '"/fail"' "$WORK/hook.jsonl")" "3" "a 5xx is retried twice"
kill $HOOK; wait $HOOK 2>/dev/null || true
run 4 "$SEGKIT" segment post refunded "$URL/audiences"
contains "$ERR" "webhook $URL/audiences:" "nothing listening is reported with the URL"
run 2 "$SEGKIT" segment post refunded "ftp://example.com/x"
contains "$ERR" "expected http:// or https://" "other schemes are refused"
run 2 "$SEGKIT" segment post refunded "$URL/x" --header "no colon here"
contains "$ERR" "expected 'Name: value'" "a malformed header is refused"
run 2 "$SEGKIT" segment post de-mid "$URL/x"
contains "$ERR" "segment 'de-mid' has no snapshot to post" "nothing to post"
run 2 "$SEGKIT" segment post refunded "$URL/x" --snapshot 99
contains "$ERR" "has no snapshot 99" "an unknown snapshot is named"
finish
