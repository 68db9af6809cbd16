#!/usr/bin/env bash
# After `cmake --install --prefix PREFIX`: a program that includes <segkit/segkit.h> builds
# against the installed headers with the flags pkg-config gives, links the shared library,
# and runs; and the installed segkit command answers --version.
set -euo pipefail
prefix=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/use.c" <<'C'
#include <segkit/segkit.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  segkit_error err;
  segkit_read_options opt;
  segkit_read_options_init(&opt);
  segkit_read_result *res = NULL;
  const char csv[] = "id,amount\n1,2.5\n2,x\n";
  opt.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  segkit_type_override amount = {"amount", SEGKIT_TYPE_FLOAT64};
  opt.types = &amount;
  opt.n_types = 1;
  if (segkit_csv_read_buffer(csv, strlen(csv), &opt, &res, &err) != SEGKIT_OK) return 1;
  const segkit_read_counts *c = segkit_read_result_counts(res);
  int ok = c->rows_read == 2 && c->rows_imported == 1 && c->rows_rejected == 1;
  segkit_read_result_free(res);
  printf("%s\n", ok ? "ok" : "wrong counts");
  return ok ? 0 : 1;
}
C
flags=$(pkg-config --cflags --libs segkit)
cc -std=c17 -Wall -Werror "$work/use.c" -o "$work/use" $flags -Wl,-rpath,"$(pkg-config --variable=libdir segkit)"
"$work/use"
"$prefix/bin/segkit" --version
