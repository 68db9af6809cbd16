#!/usr/bin/env bash
# The report opens in chromium with every network request blocked and its charts draw: a
# demo workspace's report (the demo writes it; then again with survey segments, the bridge
# and a segment section added), each echarts instance with data and a
# non-blank SVG, no console errors, no sideways scrolling on a 390 px phone; screenshots
# (desktop, phone) and a printed PDF go to the test artefacts.
set -euo pipefail
: "${SEGKIT:?}" "${SEGKIT_SOURCE_DIR:?}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segkit-browser-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$SEGKIT" demo --customers 3000 --dir "$WORK/demo" > "$WORK/demo.log"
test -s "$WORK/demo/report.html"
# the demo's own report, then one with a survey segmentation and the bridge added
export SEGKIT_WORKSPACE="$WORK/demo/workspace.db"
ITEMS=att_01,att_02,att_03,att_04,att_05,att_06,att_07,att_08,att_09,att_10,att_11,att_12,att_13,att_14,att_15
"$SEGKIT" survey segment --dataset prospects --items "$ITEMS" --k 5 --save market --quiet > /dev/null
"$SEGKIT" survey typing market --questions "$ITEMS" --max-questions 6 --save typer > /dev/null
"$SEGKIT" import "$WORK/demo/customer_survey.csv" --as customer_survey --quiet
"$SEGKIT" report --out "$WORK/full.html" --segment automators > /dev/null
cd "$SEGKIT_SOURCE_DIR/tests/browser"
SEGKIT_REPORT_EXPECT=overview,segments,mrr_movements,cohorts,survival,rfm,clusters,clv,insights \
  node report_check.mjs "$WORK/demo/report.html" report-demo
SEGKIT_REPORT_EXPECT=overview,segments,mrr_movements,cohorts,survival,rfm,clusters,clv,survey,insights \
  node report_check.mjs "$WORK/full.html" report-full
# A bare workspace: every section says what is missing, and nothing breaks.
"$SEGKIT" init --workspace "$WORK/empty.db" > /dev/null
"$SEGKIT" report --workspace "$WORK/empty.db" --out "$WORK/empty.html" > /dev/null
node report_check.mjs "$WORK/empty.html" report-empty
