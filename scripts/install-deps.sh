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
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
