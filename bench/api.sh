#!/usr/bin/env bash
# bench/run api: a load run of the HTTP API with Debian wrk on a generated workspace.
#   bench/run api [--customers N] [--duration S] [--connections C] [--threads T]
#                 [--cache-mb "0 512"] [--segkit PATH]   (--cache-mb none: an older build)
#                 [--only REGEX]   (the endpoints whose path matches)
# Generates the data (segkit generate, default 10,000 customers, ~200 k transactions,
# ~20 k subscriptions), imports it, links the transactions, adds three segments (an
# attribute rule, an aggregate over the transactions, subscription-derived fields), starts
# `segkit serve` once per --cache-mb value (0 = no table cache: every request loads its
# datasets, as before the cache) and runs wrk on each endpoint, printing requests/s and
# latency percentiles (50/90/99%). --segkit runs another build (e.g. an older commit's).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
customers=10000
duration=8
connections=16
wrk_threads=2
server_threads=4
caches="0 512"
segkit=""
only=""
while [ $# -gt 0 ]; do
  case $1 in
    --customers) customers=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) server_threads=$2; shift 2 ;;
    --cache-mb) caches=$2; shift 2 ;;
    --segkit) segkit=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "bench/run api: unknown option $1" >&2; exit 2 ;;
  esac
done
if ! command -v wrk >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get install -y -qq wrk >&2
fi
if [ -z "$segkit" ]; then
  cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/build/release" -j"$(nproc)" --target segkit_cli >/dev/null
  segkit=$root/build/release/segkit
fi
data=$root/build/bench-data/api-$customers
export SEGKIT_WORKSPACE=$data/ws.db
if [ ! -f "$data/ready" ]; then
  rm -rf "$data"
  mkdir -p "$data"
  "$segkit" generate --customers "$customers" --respondents 10 --out "$data/g" --quiet
  for f in customers transactions subscriptions; do
    "$segkit" import "$data/g/$f.csv" --as "$f" --quiet
  done
  "$segkit" link transactions.customer_id customers.customer_id --time timestamp >/dev/null
  "$segkit" segment add de 'country == "DE"' --dataset customers >/dev/null
  "$segkit" segment add refunded 'count(transactions where kind == "refund") >= 1' \
    --dataset customers >/dev/null
  "$segkit" segment add annual-pro \
    'plan == "pro" and billing_interval == "year" and tenure_days > 180' --dataset customers \
    --subscriptions subscriptions --rates USD=1,EUR=1.08,GBP=1.27 >/dev/null
  "$segkit" key create --role read --quiet | tail -n 1 >"$data/key"
  touch "$data/ready"
fi
key=$(cat "$data/key")
rows() { "$segkit" datasets --format json 2>/dev/null | /usr/bin/python3 -c \
  'import json,sys; print(", ".join("%s %d rows" % (d["name"], d["rows"]) for d in json.load(sys.stdin)))' 2>/dev/null || true; }
echo "workspace: $(rows)"
echo "wrk -t$wrk_threads -c$connections -d${duration}s --latency, server --threads $server_threads, $(nproc) cores"
paths=(/api/v1/health /api/v1/datasets /api/v1/segments/de/count
       /api/v1/segments/refunded/count "/api/v1/segments/de/members?limit=100"
       "/api/v1/segments/refunded/members?limit=100" /api/v1/segments/annual-pro/count)
for cache in $caches; do
  cache_arg=(--cache-mb "$cache")
  if [ "$cache" = none ]; then cache_arg=(); fi   # a build from before --cache-mb
  "$segkit" serve --port 0 --threads "$server_threads" "${cache_arg[@]}" >"$data/serve.out" \
    2>"$data/serve.err" &
  spid=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$data/serve.out" 2>/dev/null || true)
    [ -n "$port" ] && curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/health" && break
    sleep 0.1
  done
  echo
  echo "--cache-mb $cache"
  printf '%-44s %10s %9s %9s %9s\n' endpoint "req/s" p50 p90 p99
  for p in "${paths[@]}"; do
    if [ -n "$only" ] && ! [[ "$p" =~ $only ]]; then continue; fi
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" \
      "http://127.0.0.1:$port$p")
    if [ "$code" != 200 ]; then
      printf '%-44s HTTP %s\n' "$p" "$code"
      continue
    fi
    wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency \
      -H "Authorization: Bearer $key" "http://127.0.0.1:$port$p" >"$data/wrk.out"
    /usr/bin/python3 - "$p" "$data/wrk.out" <<'PY'
import re, sys
path, text = sys.argv[1], open(sys.argv[2]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)", text, re.M))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{path:44s} {rps:10,.0f} {pct['50']:>9s} {pct['90']:>9s} {pct['99']:>9s}"
      + (f"  ({errors.group(1)} non-2xx)" if errors else ""))
PY
  done
  kill -TERM "$spid"
  wait "$spid" || true
done
