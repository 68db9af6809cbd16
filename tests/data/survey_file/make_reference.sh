#!/bin/sh
# Reference output of ReadStat's own tools (Debian package `readstat`, 1.1.8) for the
# survey_file fixtures: `readstat FILE -` (values as CSV) and `extract_metadata FILE OUT`
# (variable labels, value labels, missing values as JSON). The C tests compare the
# segkit reader against these files; test_io_survey_readstat reruns this script when the
# tools are installed and checks the committed copies have not drifted.
# Usage: sh make_reference.sh OUTDIR   (fixtures are read from this script's folder)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
for f in panel.sav panel.zsav panel.dta levels.sav; do
  base=$(echo "$f" | tr . _)
  readstat "$here/$f" - > "$out/${base}_values.csv" 2>/dev/null
done
# extract_metadata reads .sav and .dta only (panel.zsav holds the same data as panel.sav).
for f in panel.sav panel.dta levels.sav; do
  base=$(echo "$f" | tr . _)
  extract_metadata "$here/$f" "$out/${base}_meta.json" > /dev/null 2>&1
done
