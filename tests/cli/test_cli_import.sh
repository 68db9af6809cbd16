#!/usr/bin/env bash
# Import end to end on small hand-made files whose expected results are worked out by
# hand (comments give the arithmetic): types, quoting, bad rows under each --on-error
# mode, quarantine, upsert by key, schema mismatch, JSON Lines, and describe.
source "$(dirname "$0")/lib.sh"
D=$SEGKIT_TEST_DATA/cli

run 0 "$SEGKIT" init

# customers.csv: 5 rows; a quoted comma, doubled quotes, a newline inside quotes, a null seat.
run 0 "$SEGKIT" import "$D/customers.csv" --as customers --key id --format json
equals "$(json 'j["rows_read"], j["rows_imported"], j["rows_rejected"]')" "(5, 5, 0)" "customers counts"
equals "$(json '",".join(c["name"]+":"+c["type"] for c in j["columns"])')" \
  "id:int64,name:string,signup:date,plan:string,seats:int64,mrr:float64,active:bool" "inferred types"

run 0 "$SEGKIT" datasets --format json
equals "$(json '[(d["name"], d["rows"], d["key"]) for d in j]')" "[('customers', 5, 'id')]" "datasets json"

# describe: mrr mean = (49.5 + 9 + 118.8 + 250 + 18) / 5 = 89.06; seats: 1 null, mean (5+1+12+2)/4 = 5.
run 0 "$SEGKIT" describe customers --format json
equals "$(json '[c for c in j["columns"] if c["name"]=="mrr"][0]["mean"]')" "89.06" "describe mrr mean"
equals "$(json '[(c["nulls"], c["mean"], c["min"], c["max"]) for c in j["columns"] if c["name"]=="seats"][0]')" \
  "(1, 5.0, '1', '12')" "describe seats"
equals "$(json '[c["top"][0] for c in j["columns"] if c["name"]=="plan"][0]')" \
  "{'value': 'pro', 'count': 2}" "describe top value (pro 2 beats starter 2 on value order)"
equals "$(json '[c["max"] for c in j["columns"] if c["name"]=="name"][0]')" "None" "no min/max for strings"
equals "$(json 'j["key"]["duplicate_keys"]')" "0" "key unique"

# Upsert by key: id 2 replaced, id 6 added -> 6 rows.
run 0 "$SEGKIT" import "$D/customers_update.csv" --as customers --key id --format json
equals "$(json 'j["mode"], j["rows_replaced"], j["rows_added"], j["dataset_rows"]')" "('upsert', 1, 1, 6)" "upsert counts"
run 0 "$SEGKIT" describe customers --format json
equals "$(json '[c["max"] for c in j["columns"] if c["name"]=="id"][0]')" "6" "upserted row present"

# Schema mismatch on append: bad.csv has other columns.
run 3 "$SEGKIT" import "$D/bad.csv" --as customers --mode append --on-error skip
contains "$ERR" "nothing was imported" "schema mismatch refused"

# bad.csv (CRLF): line 3 amount "abc"; line 4 too few fields; line 5 2024-02-30; line 6 too many.
T="--type amount=float64,day=date"
run 3 "$SEGKIT" import "$D/bad.csv" --as bad $T
contains "$ERR" "bad.csv:3:3: field 'amount'" "fail mode points at line 3 column 3"
contains "$ERR" "nothing was imported" "fail mode imports nothing"
run 3 "$SEGKIT" describe bad && pass "no dataset after failed import"

run 0 "$SEGKIT" import "$D/bad.csv" --as bad $T --on-error skip --format json
equals "$(json 'j["rows_read"], j["rows_imported"], j["rows_rejected"]')" "(6, 2, 4)" "skip counts"
equals "$(json 'sorted(j["rejected_by_reason"].items())')" \
  "[('bad_value', 2), ('too_few_fields', 1), ('too_many_fields', 1)]" "skip reasons"
equals "$(json 'j["rows_quarantined"]')" "0" "skip keeps nothing"

run 0 "$SEGKIT" import "$D/bad.csv" --as badq $T --on-error quarantine --format json
equals "$(json 'j["rows_quarantined"]')" "4" "quarantine keeps 4"
run 0 "$SEGKIT" quarantine badq --format json
equals "$(json '[(r["line"], r["reason"], r["raw"]) for r in j]')" \
  "[(3, 'bad_value', '2,abc,2024-01-02'), (4, 'too_few_fields', '3,7.25'), (5, 'bad_value', '4,1.0,2024-02-30'), (6, 'too_many_fields', '5,2.0,2024-01-05,extra')]" \
  "quarantined rows raw with line and reason"
equals "$(json '[r["field"] for r in j][:1]')" "['amount']" "quarantine names the field"

# Semicolon-delimited with decimal commas stays text unless told; offsets go to UTC.
run 0 "$SEGKIT" import "$D/semicolon.csv" --as semi --format json
equals "$(json '[c["type"] for c in j["columns"]]')" "['int64', 'string', 'timestamp']" "semicolon file types"
run 0 "$SEGKIT" describe semi --format json
equals "$(json '[c["min"] for c in j["columns"] if c["name"]=="ts"][0]')" "2024-01-01T08:00:00Z" "offset converted to UTC"

# JSON Lines: arrays kept as JSON text, null is null.
run 0 "$SEGKIT" import "$D/customers.jsonl" --as cj --format json
equals "$(json '[(c["name"], c["type"]) for c in j["columns"]]')" \
  "[('id', 'int64'), ('plan', 'string'), ('mrr', 'float64'), ('tags', 'string'), ('signup', 'date')]" "jsonl types"

# --date-format for day-first dates, --null for a custom null marker, ';' detected.
run 0 "$SEGKIT" import "$D/dmy.csv" --as dmy --date-format '%d/%m/%Y' --null - --format json
equals "$(json '[(c["name"], c["type"]) for c in j["columns"]]')" \
  "[('id', 'int64'), ('when', 'date'), ('score', 'int64')]" "date format and null marker"
run 0 "$SEGKIT" describe dmy --format json
equals "$(json '[(c["min"], c["max"]) for c in j["columns"] if c["name"]=="when"][0]')" \
  "('2023-12-31', '2024-03-05')" "day-first dates read as dates"
equals "$(json '[c["nulls"] for c in j["columns"] if c["name"]=="score"][0]')" "1" "'-' read as null"
# Types from a schema file, JSON or lines; --type wins over the file.
for schema in types.json types.txt; do
  run 0 "$SEGKIT" import "$D/dmy.csv" --as "dmy_$RANDOM" --schema "$D/$schema" --null - \
    --date-format '%d/%m/%Y' --format json
  equals "$(json '[(c["type"], c["inferred"]) for c in j["columns"]]')" \
    "[('string', False), ('date', True), ('float64', False)]" "schema file $schema"
done
run 0 "$SEGKIT" import "$D/dmy.csv" --as dmy_t --schema "$D/types.json" --type score=string --null - --format json
equals "$(json '[c["type"] for c in j["columns"]][2]')" "string" "--type overrides the schema file"
run 2 "$SEGKIT" import "$D/dmy.csv" --as x --schema "$D/dmy.csv"
contains "$ERR" "dmy.csv:1: expected col=type" "bad schema file named with its line"
run 3 "$SEGKIT" import "$D/dmy.csv" --as x --type nosuch=int64
contains "$ERR" "nosuch" "override of a missing column named"
run 0 "$SEGKIT" drop dmy_t && run 0 "$SEGKIT" datasets --format json
for d in $(json '" ".join(d["name"] for d in j if d["name"].startswith("dmy_"))'); do run 0 "$SEGKIT" drop "$d"; done

run 0 "$SEGKIT" audit --format json
equals "$(json 'sorted(set(e["action"] for e in j))')" "['drop', 'import']" "audit has imports and drops"
equals "$(json 'len([e for e in j if e["action"] == "import"])')" "10" "ten successful imports audited"

run 0 "$SEGKIT" drop cj
run 0 "$SEGKIT" datasets --format json
not_contains "$(json '[d["name"] for d in j]')" "cj" "dropped"

# Keys: a repeated or missing key is a bad row (lines counted by hand: a blank line 5, a
# quoted newline in lines 6-7).
printf 'id,name,plan\n1,Acme,pro\n2,"Bolt, Inc",starter\n1,Acme again,pro\n\n3,Cyan,"multi\nline"\n,No id,pro\n2,"Bolt ""B""",business\n4,Delta,pro\n' > "$WORK/dupkeys.csv"
run 3 "$SEGKIT" import "$WORK/dupkeys.csv" --as keyed --key id
contains "$ERR" "dupkeys.csv:4: field 'id': key id = 1 repeats line 2's (expected a unique key)" "a repeated key names both lines"
contains "$ERR" "nothing was imported" "and nothing is stored"
run 0 "$SEGKIT" import "$WORK/dupkeys.csv" --as keyed --key id --on-error quarantine --format json
equals "$(json '(j["rows_imported"], j["rows_rejected"], j["rejected_by_reason"])')" "(4, 3, {'duplicate_key': 2, 'null_key': 1})" "first row of each key kept, the others quarantined"
run 0 "$SEGKIT" quarantine keyed --format json
equals "$(json '[(q["line"], q["reason"], q["raw"]) for q in j]')" "[(4, 'duplicate_key', '1,Acme again,pro'), (8, 'null_key', ',No id,pro'), (9, 'duplicate_key', '2,\"Bolt \"\"B\"\"\",business')]" "quarantined rows with their lines and re-rendered rows"
run 0 "$SEGKIT" import "$WORK/dupkeys.csv" --as keyed2 --key id --on-error skip --format json
equals "$(json '(j["rows_imported"], j["rows_rejected"])')" "(4, 3)" "skip drops them"

# The workspace is a plain SQLite file.
equals "$(sqlite3 "$SEGKIT_WORKSPACE" 'pragma integrity_check')" "ok" "sqlite integrity"
finish
