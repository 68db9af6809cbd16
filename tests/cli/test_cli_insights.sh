#!/usr/bin/env bash
# segkit insights on R's lung data (shared/data/survival/lung.csv, status 2 = died, read here
# as "churned"): every segment of sex and ph.ecog against the rest, checked against R's
# prop.test (p-values and Wilson intervals) and p.adjust(method = "BH") run live.
source "$(dirname "$0")/lib.sh"
L=$SEGKIT_SHARED_DATA/survival/lung.csv
run 0 "$SEGKIT" insights "$L" --churned status=2 --by sex,ph.ecog --format json
printf '%s' "$OUT" > "$WORK/ins.json"
cat > "$WORK/ins.R" <<'RS'
d <- read.csv(commandArgs(TRUE)[1])
out <- NULL
for (col in c("sex", "ph.ecog")) {
  x <- d[!is.na(d[[col]]), ]
  lvs <- sort(unique(x[[col]]))
  if (length(lvs) == 2) lvs <- lvs[1]  # the second is the first mirrored
  for (lv in lvs) {
    ins <- x[[col]] == lv
    k <- c(sum(x$status[ins] == 2), sum(x$status[!ins] == 2))
    n <- c(sum(ins), sum(!ins))
    small <- n[1] < 30 || n[2] < 30
    p <- if (small) NA else suppressWarnings(prop.test(k, n, correct = FALSE)$p.value)
    ci <- suppressWarnings(prop.test(k[1], n[1], correct = FALSE)$conf.int)
    out <- rbind(out, data.frame(col = col, level = lv, n = n[1], k = k[1], p = p,
                                 lo = ci[1], hi = ci[2], small = small))
  }
}
out$p_adj <- NA
t <- !out$small
out$p_adj[t] <- p.adjust(out$p[t], method = "BH")
write.csv(out, commandArgs(TRUE)[2], row.names = FALSE)
RS
Rscript "$WORK/ins.R" "$L" "$WORK/ins_R.csv"
equals "$("$PY" - "$WORK/ins.json" "$WORK/ins_R.csv" <<'PY'
import json, sys
import pandas as pd
j = json.load(open(sys.argv[1]))
r = pd.read_csv(sys.argv[2])
want = {(row.col, str(int(row.level))): row for row in r.itertuples()}
bad = 0
for s in j["segments"]:
    w = want.pop((s["column"], s["segment"]))
    bad += s["customers"] != w.n or s["churned"] != w.k or s["too_small"] != bool(w.small)
    bad += abs(s["ci_low"] - w.lo) > 1e-9 or abs(s["ci_high"] - w.hi) > 1e-9
    if not w.small:
        bad += abs(s["p"] - w.p) > 1e-9 * max(w.p, 1e-300) + 1e-15
        bad += abs(s["p_adjusted"] - w.p_adj) > 1e-9 * max(w.p_adj, 1e-300) + 1e-15
        bad += s["finding"] != (w.p_adj < 0.05)
print(bad, len(want))
PY
)" "0 0" "every segment's churn, Wilson interval, p and BH-adjusted p as R's prop.test and p.adjust"
run 0 "$SEGKIT" insights "$L" --churned status=2 --by sex,ph.ecog
contains "$OUT" "customers with sex = 1 churn" "a finding in plain words"
contains "$OUT" "too small to trust" "small segments are named, not tested"
run 2 "$SEGKIT" insights "$L" --churned status --by sex
contains "$ERR" "--churned needs COL=VALUE" "the event is spelled out"
run 2 "$SEGKIT" insights "$L" --churned status=2 --by nope
contains "$ERR" "no column 'nope'" "an unknown segmentation column"
# --profile on poLCA's gss82 (1,202 real survey answers): every answer of ACCURACY,
# UNDERSTA, COOPERAT in every PURPOSE segment against the rest, as R's prop.test and
# p.adjust(BH) over the 21 cells, and the index from the shares
G=$SEGKIT_SHARED_DATA/polca/gss82.csv
run 0 "$SEGKIT" insights "$G" --by PURPOSE --profile ACCURACY,UNDERSTA,COOPERAT --format json
printf '%s' "$OUT" > "$WORK/prof.json"
cat > "$WORK/prof.R" <<'RS'
d <- read.csv(commandArgs(TRUE)[1], stringsAsFactors = FALSE)
out <- NULL
for (seg in sort(unique(d$PURPOSE))) {
  ins <- d$PURPOSE == seg
  for (col in c("ACCURACY", "UNDERSTA", "COOPERAT")) {
    for (v in sort(unique(d[[col]]))) {
      k <- c(sum(d[[col]][ins] == v), sum(d[[col]][!ins] == v))
      n <- c(sum(ins), sum(!ins))
      p <- suppressWarnings(prop.test(k, n, correct = FALSE)$p.value)
      out <- rbind(out, data.frame(segment = seg, attribute = col, value = v,
                                   seg_pct = 100 * k[1] / n[1], rest_pct = 100 * k[2] / n[2],
                                   index = 100 * (k[1] / n[1]) / (sum(k) / sum(n)), p = p))
    }
  }
}
out$p_adj <- p.adjust(out$p, method = "BH")
write.csv(out, commandArgs(TRUE)[2], row.names = FALSE)
RS
Rscript "$WORK/prof.R" "$G" "$WORK/prof_R.csv"
equals "$("$PY" - "$WORK/prof.json" "$WORK/prof_R.csv" <<'PY'
import json, sys
import pandas as pd
j = json.load(open(sys.argv[1]))
r = pd.read_csv(sys.argv[2])
want = {(w.segment, w.attribute, w.value): w for w in r.itertuples()}
bad = 0
for c in j["cells"]:
    w = want.pop((c["segment"], c["attribute"], c["value"]))
    for a, b in ((c["segment_pct"], w.seg_pct), (c["rest_pct"], w.rest_pct),
                 (c["index"], w.index)):
        bad += abs(a - b) > 1e-9
    bad += abs(c["p"] - w.p) > 1e-9 * max(w.p, 1e-300) + 1e-15
    bad += abs(c["p_adjusted"] - w.p_adj) > 1e-9 * max(w.p_adj, 1e-300) + 1e-15
    bad += c["finding"] != (w.p_adj < 0.05)
print(bad, len(want), len(j["cells"]))
PY
)" "0 0 21" "every answer's share, index, p and BH-adjusted p in every segment as R computes them"
run 0 "$SEGKIT" insights "$G" --by PURPOSE --profile ACCURACY,UNDERSTA,COOPERAT
contains "$OUT" "PURPOSE = Waste of time (179 customers, 14.9%): ACCURACY = Mostly true 17.9% vs 58.0% of the rest (index 34" \
  "the most distinctive answers of a segment, in words"
run 2 "$SEGKIT" insights "$G" --by PURPOSE --profile PURPOSE
contains "$ERR" "--profile needs a column other than the segment PURPOSE" "a segment is not its own attribute"
finish
