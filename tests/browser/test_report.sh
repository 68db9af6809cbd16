#!/usr/bin/env bash
# The report opens in chromium with every network request blocked and its charts draw: a
# demo workspace's report (the demo writes it), each echarts instance with data and a
# non-blank SVG, no console errors, no sideways scrolling on a 390 px phone; screenshots
# (desktop, phone) and a printed PDF go to the test artefacts.
set -euo pipefail
: "${SEGKIT:?}" "${SEGKIT_SOURCE_DIR:?}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segkit-browser-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$SEGKIT" demo --customers 3000 --dir "$WORK/demo" > "$WORK/demo.log"
test -s "$WORK/demo/report.html"
cd "$SEGKIT_SOURCE_DIR/tests/browser"
SEGKIT_REPORT_EXPECT=overview,segments,mrr_movements,cohorts,survival,rfm,clusters,clv,insights \
  node report_check.mjs "$WORK/demo/report.html" report-demo
# A bare workspace: every section says what is missing, and nothing breaks.
"$SEGKIT" init --workspace "$WORK/empty.db" > /dev/null
"$SEGKIT" report --workspace "$WORK/empty.db" --out "$WORK/empty.html" > /dev/null
node report_check.mjs "$WORK/empty.html" report-empty
