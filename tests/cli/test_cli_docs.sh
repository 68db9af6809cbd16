#!/usr/bin/env bash
# docs/cli.md is what the binary says about itself (regenerate with scripts/gen-cli-docs).
source "$(dirname "$0")/lib.sh"
bash "$SEGKIT_SOURCE_DIR/scripts/gen-cli-docs" "$SEGKIT" > "$WORK/cli.md"
if diff -u "$SEGKIT_SOURCE_DIR/docs/cli.md" "$WORK/cli.md" > "$WORK/diff"; then
  pass "docs/cli.md is current"
else
  cat "$WORK/diff" >&2
  fail "docs/cli.md is stale: run scripts/gen-cli-docs build/release/segkit > docs/cli.md"
fi
finish
