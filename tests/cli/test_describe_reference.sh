#!/usr/bin/env bash
# segkit describe against pandas on generated data (every file, every column), and the
# suspicious-value rules on a hand-made file.
source "$(dirname "$0")/lib.sh"

run 0 "$SEGKIT" generate --customers 3000 --respondents 500 --out "$WORK/data" --quiet
for f in customers subscriptions transactions events survey; do
  run 0 "$SEGKIT" describe "$WORK/data/$f.csv" --format json --top 5
  printf '%s' "$OUT" > "$WORK/$f.json"
  if "$PY" "$SEGKIT_SOURCE_DIR/tests/cli/describe_reference.py" "$WORK/data/$f.csv" "$WORK/$f.json"; then
    pass "describe $f.csv matches pandas"
  else
    fail "describe $f.csv differs from pandas"
  fi
done

# Suspicious values, counted by hand: amount has 1 negative (-5) in an amount column;
# fences Q1 - 3 IQR, Q3 + 3 IQR over amounts 10,12,11,13,-5,12,11,500,10,12:
# sorted -5,10,10,11,11,12,12,12,13,500 -> Q1 = 10.25, Q3 = 12 (type 7), IQR 1.75,
# fences 5.0 and 17.25: -5 is low, 500 is high. Dates: 2031-01-01 is in the future,
# 1975-06-01 before 1990. Key id: 7 appears twice.
cat > "$WORK/sus.csv" <<'CSV'
id,amount,day
1,10,2024-01-01
2,12,2024-01-02
3,11,2031-01-01
4,13,1975-06-01
5,-5,2024-01-05
6,12,2024-01-06
7,11,2024-01-07
7,500,2024-01-08
9,10,2024-01-09
10,12,2024-01-10
CSV
run 0 "$SEGKIT" describe "$WORK/sus.csv" --key id --format json
equals "$(json 'sorted((f["column"], f["kind"], f["count"]) for f in j["findings"])')" \
  "[('amount', 'negative_values', 1), ('amount', 'outliers_high', 1), ('amount', 'outliers_low', 1), ('day', 'dates_before_1990', 1), ('day', 'future_dates', 1), ('id', 'duplicate_keys', 1)]" \
  "suspicious values found"
equals "$(json '[(c["q1"], c["q3"]) for c in j["columns"] if c["name"]=="amount"][0]')" "(10.25, 12.0)" "quartiles type 7"
run 0 "$SEGKIT" describe "$WORK/sus.csv" --key id
contains "$OUT" "amount: 1 negative value" "table output lists findings"
contains "$OUT" "e.g. '7' x2" "duplicate key example"
finish
