#!/usr/bin/env bash
# The command's conventions: help on every verb, version, exit codes for usage errors,
# and the message for a missing workspace.
source "$(dirname "$0")/lib.sh"

run 0 "$SEGKIT" --version && contains "$OUT" "segkit 0." "--version"
run 0 "$SEGKIT" help && contains "$OUT" "import" "overview lists verbs"
run 2 "$SEGKIT" && contains "$OUT" "usage: segkit VERB" "no verb prints usage, exits 2"
run 2 "$SEGKIT" frobnicate && contains "$ERR" "no verb named 'frobnicate'" "unknown verb"
for verb in demo init import datasets describe quarantine audit drop generate; do
  run 0 "$SEGKIT" help "$verb" && contains "$OUT" "usage: segkit $verb" "help $verb"
  run 0 "$SEGKIT" "$verb" --help && contains "$OUT" "usage: segkit $verb" "$verb --help"
done
run 2 "$SEGKIT" import --bogus x.csv && contains "$ERR" "unknown option '--bogus'" "unknown option"
run 2 "$SEGKIT" import x.csv && contains "$ERR" "--as NAME is required" "missing --as"
run 2 "$SEGKIT" datasets --format yaml && contains "$ERR" "--format must be table, csv or json" "bad --format"
run 2 "$SEGKIT" import x.csv --as t --on-error maybe && contains "$ERR" "--on-error must be" "bad --on-error"
run 2 "$SEGKIT" import x.csv --as t --type amount=money && contains "$ERR" "unknown type 'money'" "bad --type"
run 3 "$SEGKIT" datasets --workspace "$WORK/none.db" && contains "$ERR" "no workspace here" "missing workspace"
run 0 "$SEGKIT" init && contains "$OUT" "ready (schema version" "init"
run 0 "$SEGKIT" init && pass "init twice is fine"
run 0 "$SEGKIT" datasets --format json && equals "$(json 'len(j)')" "0" "empty workspace lists nothing"
echo "not a database, just text" > "$WORK/foreign.db"
run 4 "$SEGKIT" datasets --workspace "$WORK/foreign.db" && contains "$ERR" "foreign.db" "foreign file refused, named"
equals "$(cat "$WORK/foreign.db")" "not a database, just text" "foreign file untouched"
finish
