#!/usr/bin/env bash
# segkit report: the views' numbers against an independent computation
# (tests/data/report/views_reference.py: pandas with exact decimals, scipy's Wilson
# intervals, R's survfit), the views that cannot be computed say why, bad options are
# usage errors, and the HTML report is one self-contained file whose inline JSON cannot
# end its <script> element early.
source "$(dirname "$0")/lib.sh"
R=$SEGKIT_SOURCE_DIR/tests/data/report
D=$WORK/data
RATES=USD=1,EUR=1.08,GBP=1.27

run 0 "$SEGKIT" generate --customers 400 --seed 5 --months 24 --events-per-month 0 --respondents 0 --out "$D" --quiet
run 0 "$SEGKIT" init
for t in customers subscriptions transactions; do
  run 0 "$SEGKIT" import "$D/$t.csv" --as "$t" --quiet
done

# nothing asked of a bare workspace breaks: every view says why it is missing
run 0 "$SEGKIT" report --list --workspace "$WORK/ws.db"
equals "$(json "sum(1 for v in j['views'] if v['available'])")" "7" "7 views have their data (no segments, cluster model or survey)"
contains "$(json "[v['reason'] for v in j['views'] if v['name'] == 'clusters'][0]")" "segkit cluster fit" "the missing cluster model names the command that makes it"

# without rates the history's EUR and GBP cannot be summed: unavailable, and why
run 0 "$SEGKIT" report --view overview
equals "$(json "j['available']")" "False" "overview without rates is unavailable"
contains "$(json "j['reason']")" "rates=" "and the reason says to give rates"

for v in overview mrr_movements cohorts survival rfm; do
  run 0 "$SEGKIT" report --view "$v" --rates "$RATES"
  printf '%s' "$OUT" > "$WORK/$v.json"
  equals "$(json "j['available']")" "True" "view $v is available"
done
if "$PY" "$R/views_reference.py" "$D" "$WORK"; then
  pass "overview, movements, cohorts, survival (R) and RFM cells equal the reference"
else
  fail "the views differ from tests/data/report/views_reference.py"
fi

# a segment against the rest: the two groups add up to the whole, and the members' MRR is
# that of the customers the rule picks (recomputed from the CSV files)
run 0 "$SEGKIT" segment add small 'company_size == "1-10"' --dataset customers
run 0 "$SEGKIT" report --view overview --segment small --rates "$RATES"
printf '%s' "$OUT" > "$WORK/overview_small.json"
run 0 "$SEGKIT" report --view overview --rates "$RATES"
printf '%s' "$OUT" > "$WORK/overview_all.json"
if "$PY" - "$WORK" "$D" <<'PY'
import json, sys, math
work, data = sys.argv[1:3]
seg = json.load(open(f"{work}/overview_small.json")); whole = json.load(open(f"{work}/overview_all.json"))
g = {x["name"]: x["kpis"] for x in seg["groups"]}
assert seg["segment"] == "small" and set(g) == {"member", "rest"}, seg.get("reason")
k = whole["kpis"]
assert g["member"]["customers"] + g["rest"]["customers"] == k["customers"]
assert math.isclose(g["member"]["mrr"] + g["rest"]["mrr"], k["mrr"], rel_tol=1e-12)
# the members' MRR from the overview reference's month-end snapshot, limited to the rule
import csv
small = {r["customer_id"] for r in csv.DictReader(open(f"{data}/customers.csv")) if r["company_size"] == "1-10"}
json.dump(sorted(small), open(f"{work}/small.json", "w"))
print("ok", g["member"]["customers"], "members paying of", k["customers"])
PY
then pass "segment small and the rest add up to the whole"; else fail "segment against the rest"; fi
run 0 "$SEGKIT" report --view cohorts --segment small --rates "$RATES"
equals "$(json "sorted(c['cohort'] for c in j['cohorts'])")" "['member', 'rest']" "cohorts of a segment: members against the rest"
run 0 "$SEGKIT" report --view survival --segment small --rates "$RATES"
equals "$(json "sorted(g['name'] for g in j['groups'])")" "['member', 'rest']" "survival of a segment: members against the rest"
run 0 "$SEGKIT" report --view segments --rates "$RATES"
equals "$(json "[s['name'] for s in j['segments'] if s.get('count') is not None]")" "['small']" "the segments view counts the stored segment"
run 0 "$SEGKIT" segment count small
equals "$(printf '%s' "$OUT" | grep -o '^small: [0-9]*' | cut -d' ' -f2)" \
  "$("$SEGKIT" report --view segments --rates "$RATES" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['segments'][0]['count'])")" \
  "the segments view's count is segkit segment count's"

# over HTTP: the same documents, the key's role checked, bad input named; a workspace change
# is seen (the server's handle is reopened when the newest audit entry changes)
run 0 "$SEGKIT" key create --role read
KEY=$(printf '%s\n' "$OUT" | tail -n 1)
"$SEGKIT" serve --port 0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SPID=$!
trap 'kill $SPID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=""
for _ in $(seq 1 100); do
  PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$WORK/serve.out" 2>/dev/null || true)
  if [ -n "$PORT" ] && curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/health"; then break; fi
  sleep 0.1
done
BASE="http://127.0.0.1:$PORT"
get() { # get PATH [KEY]: sets CODE and OUT
  CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' ${2:+-H "Authorization: Bearer $2"} "$BASE$1")
  OUT=$(cat "$WORK/body")
}
get /api/v1/views
equals "$CODE" "401" "views without a key: 401"
get "/api/v1/views/survival?rates=$RATES&by=billing_interval" "$KEY"
equals "$CODE" "200" "a view over HTTP: 200"
printf '%s' "$OUT" > "$WORK/http_survival.json"
run 0 "$SEGKIT" report --view survival --rates "$RATES" --option by=billing_interval
printf '%s' "$OUT" > "$WORK/cli_survival.json"
if "$PY" -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a != b)" \
    "$WORK/http_survival.json" "$WORK/cli_survival.json"; then
  pass "the HTTP view is the CLI's document"
else
  fail "the HTTP view differs from segkit report --view"
fi
get "/api/v1/views/nope" "$KEY"
equals "$CODE" "404" "an unknown view: 404"
get "/api/v1/views/overview?rates=/etc/passwd" "$KEY"
equals "$CODE" "400" "rates naming a file over HTTP: 400 (the server reads no file a request names)"
get "/api/v1/views/cohorts?metric=pie" "$KEY"
equals "$CODE" "400" "a bad option: 400"
contains "$OUT" "metric" "the 400 names the option"
get "/api/v1/views/segments?rates=$RATES" "$KEY"
before=$(printf '%s' "$OUT" | "$PY" -c "import json,sys; print(len(json.load(sys.stdin)['segments']))")
run 0 "$SEGKIT" segment add mid 'company_size == "11-50"' --dataset customers
get "/api/v1/views/segments?rates=$RATES" "$KEY"
equals "$(printf '%s' "$OUT" | "$PY" -c "import json,sys; print(len(json.load(sys.stdin)['segments']))")" \
  "$((before + 1))" "a segment added after the server started is in its next answer"
kill $SPID 2>/dev/null || true
wait $SPID 2>/dev/null || true

# survey segments and the bridge: the view's sizes are the stored clustering's and its bridge
# is segkit survey bridge's, customer for customer
G=$WORK/survey_data
run 0 "$SEGKIT" generate --customers 300 --seed 9 --respondents 600 --events-per-month 0 --out "$G" --quiet
run 0 "$SEGKIT" survey import "$G/survey.csv" --codebook "$G/survey_codebook.json" --as prospects --id respondent_id --quiet
run 0 "$SEGKIT" survey segment --dataset prospects --items 'att_*' --k 4 --save market --quiet
ITEMS=att_01,att_02,att_03,att_04,att_05,att_06,att_07,att_08,att_09,att_10,att_11,att_12,att_13,att_14,att_15
run 0 "$SEGKIT" survey typing market --questions "$ITEMS" --max-questions 5 --save typer
run 0 "$SEGKIT" import "$G/customer_survey.csv" --as customer_survey --quiet
run 0 "$SEGKIT" survey bridge typer --customers customer_survey --format json
printf '%s' "$OUT" > "$WORK/bridge_cli.json"
run 0 "$SEGKIT" cluster show market --format json
printf '%s' "$OUT" > "$WORK/market_show.json"
run 0 "$SEGKIT" report --view survey
printf '%s' "$OUT" > "$WORK/survey_view.json"
if "$PY" - "$WORK" <<'PY'
import json, math, sys
w = sys.argv[1]
cli = json.load(open(f"{w}/bridge_cli.json")); show = json.load(open(f"{w}/market_show.json"))
v = json.load(open(f"{w}/survey_view.json"))
assert v["available"], v["reason"]
assert [c["size"] for c in v["clusters"]] == show["sizes"], (v["clusters"], show["sizes"])
b = v["bridge"]
assert b["customers_dataset"] == "customer_survey" and b["typed"] == cli["typed"], (b, cli["typed"])
for got, want in zip(b["segments"], cli["segments"]):
    assert got["segment"] == want["segment"] and got["customers"] == want["customers"], (got, want)
    for k in ("market_share", "customer_share", "index"):
        assert math.isclose(got[k], want[k], rel_tol=1e-9), (k, got, want)
    assert math.isclose(got["market_ci"][0], want["market_lower"], rel_tol=1e-9)
print("ok")
PY
then pass "survey view: sizes as cluster show, bridge as survey bridge"; else fail "survey view"; fi

# the contract every view keeps
for v in overview segments mrr_movements cohorts survival rfm clusters clv survey insights; do
  run 0 "$SEGKIT" report --view "$v" --rates "$RATES"
  equals "$(json "sorted(k for k in ('view', 'title', 'available', 'reason', 'segment') if k in j)")" \
    "['available', 'reason', 'segment', 'title', 'view']" "view $v has the common fields"
done

# bad input: named, usage exit
run 2 "$SEGKIT" report --view cohorts --option metric=nonsense --rates "$RATES"
contains "$ERR" "metric" "a bad option value names the option"
run 2 "$SEGKIT" report --view overview --option colour=red
contains "$ERR" "unknown option 'colour'" "an unknown option is named"
run 3 "$SEGKIT" report --view nope
contains "$ERR" "no view 'nope'" "an unknown view is named"
run 2 "$SEGKIT" report
contains "$ERR" "--out" "--out is required"

# the HTML: one file, everything inline, and data that looks like markup stays data
run 0 "$SEGKIT" segment add evil 'industry == "</script><script>alert(1)</script>"' --dataset customers --description $'</script>\u2028<!--'
run 0 "$SEGKIT" report --view segments
equals "$(json "j['segments'][0]['rule']")" 'industry == "</script><script>alert(1)</script>"' "the segments view lists the stored segment"
run 0 "$SEGKIT" report --out "$WORK/report.html" --rates "$RATES" --title 'Q3 <review> & "notes"'
if "$PY" - "$WORK/report.html" <<'PY'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
# exactly the script elements we wrote, none opened or closed by data
opens = len(re.findall(r"<script", html)); closes = len(re.findall(r"</script>", html))
assert opens == closes == 4, (opens, closes)
assert "http://" not in html.split("<script")[0] and 'src="http' not in html and "href=\"http" not in html
m = re.search(r'<script type="application/json" id="segkit-views">(.*?)</script>', html, re.S)
assert "\u2028" not in m.group(1) and "\u2029" not in m.group(1)
views = json.loads(m.group(1))
assert [v["view"] for v in views][:10] == ["overview", "segments", "mrr_movements", "cohorts",
    "survival", "rfm", "clusters", "clv", "survey", "insights"], [v["view"] for v in views]
assert "<title>Q3 &lt;review&gt; &amp; &quot;notes&quot;</title>" in html
seg = [v for v in views if v["view"] == "segments"][0]
assert seg["segments"][0]["description"] == "</script>\u2028<!--", seg["segments"][0]
print("ok")
PY
then pass "the report is self-contained, its JSON escaped, its title escaped"; else fail "report HTML"; fi
# a workspace with customers and a segment but no subscription history: every view answers
# (the segments view counts the segment; the history's views say what is missing), none
# overflows computing a month range from "no last month" (UBSan stopped the server on it)
B=$WORK/bare.db
run 0 "$SEGKIT" init --workspace "$B"
run 0 "$SEGKIT" import "$D/customers.csv" --as customers --workspace "$B" --quiet
run 0 "$SEGKIT" segment add de 'country = "DE"' --dataset customers --workspace "$B"
want_de=$("$PY" -c 'import csv,sys; print(sum(1 for r in csv.DictReader(open(sys.argv[1])) if r["country"] == "DE"))' "$D/customers.csv")
run 0 "$SEGKIT" report --view segments --workspace "$B"
equals "$(json "[s['count'] for s in j['segments'] if s['name'] == 'de'][0]")" "$want_de" \
  "segments view without a history counts the segment (pandas)"
for v in overview mrr_movements insights; do
  run 0 "$SEGKIT" report --view "$v" --workspace "$B"
  equals "$(json "j['view']")" "$v" "the $v view answers on a workspace without a history"
done

finish
