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
finish
