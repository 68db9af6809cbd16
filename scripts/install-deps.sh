#!/usr/bin/env bash
# Install the Debian packages segkit needs to build, test and run its demo.
# Idempotent: packages already present are not touched, and apt is not called at all
# when nothing is missing. Runs apt through sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config       # toolchain
  clang libclang-rt-14-dev               # libFuzzer targets, sanitizer runtimes
  libsqlite3-dev sqlite3                 # workspace store (and the shell, used by tests)
  libjansson-dev                         # JSON
  libgsl-dev                            # special functions, distributions, optimisers
  libopenblas-dev liblapacke-dev        # GEMM distances, eigen-decompositions (clustering)
  libcurl4-openssl-dev                  # webhook posts of segment snapshots
  libreadstat-dev readstat              # SPSS and Stata survey files; readstat checks them in tests
  libmicrohttpd-dev libsodium-dev       # the HTTP API (segkit serve) and its Argon2id key hashes
  curl python3-argon2                   # API tests: a real HTTP client, an independent Argon2id
  r-cran-mclust r-cran-cluster          # reference mixtures and silhouettes in tests
  postgresql-15                          # a throwaway server runs segment SQL in tests
  r-base-core r-cran-survival r-cran-survey   # reference values from R in tests
  libcmocka-dev                          # unit tests
  python3 python3-pandas python3-numpy   # independent reference values in tests
  python3-sklearn python3-scipy          # reference clustering and statistics in tests
  python3-mpmath                         # high-precision 2F1 in the CLV reference script
  time                                   # /usr/bin/time for peak-memory checks
  chromium fonts-dejavu-core             # browser tests of the report and dashboard
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm only when the machine has none: a newer Node.js already there is kept.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The npm packages of package-lock.json: ECharts, which the build embeds in the binary, and
# playwright-core for the browser tests. Skipped when node_modules already matches the lock.
root=$(cd "$(dirname "$0")/.." && pwd)
if ! cmp -s "$root/package-lock.json" "$root/node_modules/.segkit-lock" 2>/dev/null; then
  echo "install-deps: npm ci (echarts, playwright-core)" >&2
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$root/package-lock.json" "$root/node_modules/.segkit-lock"
fi
