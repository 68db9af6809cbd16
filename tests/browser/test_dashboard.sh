#!/usr/bin/env bash
# The dashboard end to end in Debian's chromium: a demo workspace, a read and a write key,
# `segkit serve --port 0`, then tests/browser/dashboard.mjs drives the pages. Expected
# counts and member ids come from pandas on the generated customers.csv
# (tests/data/dashboard/expected_members.py). Also checks the static files' headers with
# curl: types, ETag and 304, the Content-Security-Policy, and that they need no key while
# the API still does. Screenshots go to SEGKIT_ARTIFACTS (build/test-artifacts).
source "$(dirname "$0")/../cli/lib.sh"
source "$(dirname "$0")/../cli/serve_lib.sh"
SRC=${SEGKIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ ! -x "${SEGKIT_CHROMIUM:-/usr/bin/chromium}" ] || [ ! -d "$SRC/node_modules/playwright-core" ]; then
  echo "FAIL: chromium or playwright-core missing: run scripts/install-deps.sh" >&2
  exit 1
fi

export SEGKIT_WORKSPACE="$WORK/demo/workspace.db"
"$SEGKIT" demo --customers 2000 --dir "$WORK/demo" >"$WORK/demo.out" 2>&1 || {
  cat "$WORK/demo.out" >&2; exit 1; }
read -r TOTAL DE SMALL EDITED <<<"$("$PY" "$SRC/tests/data/dashboard/expected_members.py" \
  "$WORK/demo/customers.csv" "$WORK/ids.txt" "$WORK/edited_ids.txt")"
RKEY=$("$SEGKIT" key create --role read --name browser-read --quiet | tail -n 1)
WKEY=$("$SEGKIT" key create --role write --name browser-write --quiet | tail -n 1)
RKEY2=$("$SEGKIT" key create --role read --name browser-revoked --quiet | tail -n 1)

start_serve

# ---- static files over plain HTTP ----
# header NAME: the value of header NAME in $WORK/h (curl -D).
header() { tr -d '\r' <"$WORK/h" | sed -n "s/^$1: //Ip" | head -n 1; }
for f in "/ text/html; charset=utf-8" "/assets/app.js text/javascript; charset=utf-8" \
         "/assets/app.css text/css; charset=utf-8" "/assets/icon.svg image/svg+xml" \
         "/assets/echarts.min.js text/javascript; charset=utf-8" \
         "/assets/charts.js text/javascript; charset=utf-8"; do
  path=${f%% *}
  type=${f#* }
  code=$(curl -s -D "$WORK/h" -o "$WORK/body" -w '%{http_code}' "$BASE$path")
  equals "$code" 200 "GET $path without a key: 200"
  equals "$(header content-type)" "$type" "GET $path: Content-Type"
  equals "$(header cache-control)" "no-cache" "GET $path: Cache-Control"
  equals "$(header x-content-type-options)" "nosniff" "GET $path: nosniff"
  etag=$(header etag)
  if [[ "$etag" =~ ^\"[0-9a-f]{16}\"$ ]]; then pass "GET $path: ETag $etag"; else fail "GET $path: ETag '$etag'"; fi
  : >"$WORK/body304"
  code=$(curl -s -o "$WORK/body304" -w '%{http_code}' -H "If-None-Match: $etag" "$BASE$path")
  equals "$code" 304 "GET $path with If-None-Match: 304"
  equals "$(wc -c <"$WORK/body304" | tr -d ' ')" 0 "a 304 has no body"
done
curl -s -D "$WORK/h" -o "$WORK/index.html" "$BASE/"
CSP=$(header content-security-policy)
equals "$CSP" "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" "the page's Content-Security-Policy"
if grep -Eq '<script>|<style|[[:space:]]style=|[[:space:]]on[a-z]+=' "$WORK/index.html"; then
  fail "index.html has inline script or style"
else
  pass "index.html has no inline script or style (the CSP forbids them)"
fi
if grep -Eq 'https?://' "$SRC/web/dashboard/index.html" "$SRC/web/dashboard/app.js" "$SRC/web/dashboard/app.css"; then
  fail "the dashboard names an outside URL: $(grep -Eo 'https?://[^ "]*' "$SRC"/web/dashboard/* | head -3)"
else
  pass "the dashboard's files name no outside URL"
fi
# The server's ECharts and charts.js are the bytes the report inlines (npm's ECharts,
# web/charts.js).
curl -s -o "$WORK/echarts.js" "$BASE/assets/echarts.min.js"
if cmp -s "$WORK/echarts.js" "$SRC/node_modules/echarts/dist/echarts.min.js"; then pass "echarts.min.js is npm's"; else fail "echarts.min.js differs from node_modules"; fi
curl -s -o "$WORK/charts.js" "$BASE/assets/charts.js"
if cmp -s "$WORK/charts.js" "$SRC/web/charts.js"; then pass "charts.js is web/charts.js"; else fail "charts.js differs from web/charts.js"; fi
equals "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/segments")" 401 "the API still needs a key"
equals "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/assets/nothing.js")" 401 "an unknown asset is an unknown path (401 before 404)"
equals "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/")" 401 "only GET and HEAD reach the static files"

# ---- the browser ----
if BASE=$BASE RKEY=$RKEY WKEY=$WKEY RKEY2=$RKEY2 EXPECT_TOTAL=$TOTAL EXPECT_DE=$DE EXPECT_SMALL=$SMALL \
   IDS_FILE="$WORK/ids.txt" EXPECT_EDITED=$EDITED EDITED_IDS_FILE="$WORK/edited_ids.txt" node "$SRC/tests/browser/dashboard.mjs"; then
  pass "dashboard.mjs"
else
  fail "dashboard.mjs (see above)"
fi

finish
