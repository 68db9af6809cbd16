#!/usr/bin/env bash
# segkit insights --growth: stored segments evaluated now against their snapshots. Two
# versions of a customer table (the second moves customers between countries and plans,
# drops some and adds new ones); the members then and now, who entered and who left, are
# counted independently with pandas from the two CSV files.
source "$(dirname "$0")/lib.sh"
export SEGKIT_WORKSPACE=$WORK/ws.db
"$PY" - "$WORK" <<'PY'
import sys
import numpy as np
import pandas as pd
rng = np.random.default_rng(7)
n = 600
v1 = pd.DataFrame({"customer_id": np.arange(1, n + 1),
                   "country": rng.choice(["DE", "FR", "US"], n, p=[0.3, 0.3, 0.4]),
                   "plan": rng.choice(["starter", "pro"], n)})
v2 = v1.copy()
move = rng.choice(n, 150, replace=False)
v2.loc[move, "country"] = rng.choice(["DE", "FR", "US"], 150)
up = rng.choice(n, 80, replace=False)
v2.loc[up, "plan"] = "pro"
v2 = v2.drop(index=rng.choice(n, 40, replace=False))
new = pd.DataFrame({"customer_id": np.arange(n + 1, n + 101),
                    "country": rng.choice(["DE", "FR", "US"], 100),
                    "plan": rng.choice(["starter", "pro"], 100)})
v2 = pd.concat([v2, new])
v1.to_csv(sys.argv[1] + "/v1.csv", index=False)
v2.to_csv(sys.argv[1] + "/v2.csv", index=False)
PY
run 0 "$SEGKIT" import "$WORK/v1.csv" --as customers --quiet
run 0 "$SEGKIT" segment add de 'country == "DE"' --dataset customers
run 0 "$SEGKIT" segment add pro 'plan == "pro"' --dataset customers
run 0 "$SEGKIT" segment add fr 'country == "FR"' --dataset customers
run 0 "$SEGKIT" segment snapshot de
run 0 "$SEGKIT" segment snapshot pro
run 0 "$SEGKIT" insights --growth all
contains "$OUT" "- de is unchanged" "an unchanged segment is said to be"
run 0 "$SEGKIT" import "$WORK/v2.csv" --as customers --mode replace --quiet
run 0 "$SEGKIT" insights --growth all --format json
printf '%s' "$OUT" > "$WORK/growth.json"
equals "$("$PY" - "$WORK" <<'PY'
import json, sys
import pandas as pd
w = sys.argv[1]
v1, v2 = pd.read_csv(w + "/v1.csv"), pd.read_csv(w + "/v2.csv")
j = {s["segment"]: s for s in json.load(open(w + "/growth.json"))["segments"]}
bad = []
for name, col, val in (("de", "country", "DE"), ("pro", "plan", "pro")):
    a = set(v1.customer_id[v1[col] == val])
    b = set(v2.customer_id[v2[col] == val])
    got = j[name]
    want = dict(members_then=len(a), members_now=len(b), entered=len(b - a), left=len(a - b),
                customers_then=len(v1), customers_now=len(v2))
    for k, v in want.items():
        if got[k] != v:
            bad.append((name, k, got[k], v))
    if abs(got["change_pct"] - 100 * (len(b) - len(a)) / len(a)) > 1e-9:
        bad.append((name, "change_pct"))
if j["fr"]["snapshot"] is not None:
    bad.append(("fr", "has no snapshot"))
print(len(bad), bad)
PY
)" "0 []" "members then and now, entered and left, as pandas counts them from the two files"
# the report's and dashboard's insights view says the same (the view needs a history)
run 0 "$SEGKIT" import "$SEGKIT_SOURCE_DIR/tests/data/metrics/subscriptions.csv" --as subscriptions --on-error skip --quiet
run 0 "$SEGKIT" report --view insights --option rates=USD=1,EUR=1.085,GBP=1.27
printf '%s' "$OUT" > "$WORK/view.json"
equals "$("$PY" - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
g = {s["segment"]: s for s in json.load(open(w + "/growth.json"))["segments"]}
v = json.load(open(w + "/view.json"))["segment_changes"]
bad = [s["segment"] for s in v["segments"]
       if any(s[k] != g[s["segment"]][k] for k in ("members_then", "members_now", "entered", "left"))]
print(len(v["segments"]), bad, v["without_snapshot"])
PY
)" "2 [] ['fr']" "the insights view's segment changes equal insights --growth"
run 0 "$SEGKIT" insights --growth all
contains "$OUT" "no snapshot to compare with (segkit segment snapshot NAME): fr" "segments without a snapshot named"
if grep -Eq '^- (de|pro) (grew|shrank) [0-9.]+%: [0-9]+ members at snapshot' <<<"$OUT"; then pass "a change in words"; else fail "no change sentence: $OUT"; fi
run 0 "$SEGKIT" insights --growth pro --since 2000-01-01
not_contains "$OUT" "- pro " "--since before every snapshot leaves nothing to compare with"
contains "$OUT" "no snapshot to compare with (segkit segment snapshot NAME): pro" "...and says so"
run 2 "$SEGKIT" insights --growth nope
contains "$ERR" "--growth: no segment 'nope'" "an unknown segment is an error"
run 2 "$SEGKIT" insights --growth all --since 2026-13-01
contains "$ERR" "--since must be a date YYYY-MM-DD" "a bad day is named"
finish
