#!/usr/bin/env bash
# The SQL a segment compiles to (segkit segment sql) run in a real PostgreSQL 15 server
# started by this test (initdb into a temporary folder, its own port and socket, stopped at
# the end): for a battery of rules covering what SQLite cannot run (dates, timestamps,
# windows, days_since, year, matches, first/last, used(), in_segment()), the members
# PostgreSQL returns must equal segkit's own evaluation of the rule on the same data.
source "$(dirname "$0")/lib.sh"
PGBIN=${SEGKIT_PGBIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PGBIN/initdb" ]; then
  fail "PostgreSQL 15 is not installed ($PGBIN/initdb missing; scripts/install-deps.sh installs postgresql-15)"
  finish
fi
# The server refuses to run as root: as root it runs as the postgres user, in a folder that
# user can reach.
PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/segkit-pg-XXXXXX")
AS=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$PGDIR"
  AS=(runuser -u postgres --)
fi
PORT=$((20000 + RANDOM % 20000))
stop_pg() {
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR" "$WORK"
}
trap stop_pg EXIT
"${AS[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; fail "initdb"; finish; }
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-p $PORT -k $PGDIR -c listen_addresses='' -c fsync=off -c TimeZone=UTC" start >/dev/null \
  || { cat "$PGDIR/log" >&2; fail "the PostgreSQL server did not start"; finish; }
PSQL=("$PGBIN/psql" -h "$PGDIR" -p "$PORT" -U postgres -X -q -A -t -v ON_ERROR_STOP=1 -d postgres)
pass "a throwaway PostgreSQL server runs on port $PORT"

G=$WORK/g
run 0 "$SEGKIT" generate --customers 800 --respondents 10 --events-per-month 3 --out "$G" --quiet
for f in customers transactions events; do
  run 0 "$SEGKIT" import "$G/$f.csv" --as "$f" --quiet
done
run 0 "$SEGKIT" link transactions.customer_id customers.customer_id --time timestamp
run 0 "$SEGKIT" link events.customer_id customers.customer_id --time timestamp
# The same files, in tables of the types segkit inferred (timestamps as UTC values in
# timestamp without time zone, as docs/rules.md says the SQL expects).
"${PSQL[@]}" >/dev/null <<SQL || fail "loading the CSV files into PostgreSQL"
CREATE TABLE customers(customer_id bigint, company_name text, signup_date date, country text,
  city text, company_size text, industry text, acquisition_channel text);
CREATE TABLE transactions(transaction_id bigint, customer_id bigint, subscription_id bigint,
  "timestamp" timestamp, amount double precision, currency text, kind text, refund_of bigint);
CREATE TABLE events(event_id bigint, customer_id bigint, "timestamp" timestamp, event text,
  feature text);
CREATE TABLE segment_members(segment text, customer_key bigint);
\copy customers FROM '$G/customers.csv' CSV HEADER
\copy transactions FROM '$G/transactions.csv' CSV HEADER
\copy events FROM '$G/events.csv' CSV HEADER
SQL

ASOF=2026-06-15T12:00:00Z
rules=(
  'country == "DE" and company_size in ("51-200", "201-1000")'
  'starts_with(company_name, "D") or contains(lower(industry), "retail") or ends_with(city, "burg")'
  'matches(city, "^[A-M]") and not (acquisition_channel is null)'
  'signup_date >= date("2024-01-01") and signup_date < date("2025-01-01") + 3mo'
  'count(events where event == "login", last 30d) == 0'
  'coalesce(sum(transactions.amount where kind == "charge", last 90d), 0) > 500'
  'days_since(last(events.timestamp)) > 45 or not exists(events)'
  'exists(events where feature == "invoice_automation") and not exists(transactions where kind == "refund")'
  'avg(transactions.amount where kind == "charge") between 100 and 1000'
  'used("invoice_automation", within 60d of signup_date)'
  'year(signup_date) == 2023 and month(signup_date) >= 6'
  'first(transactions.amount) > 100 and last(transactions.timestamp) > now() - 60d'
  'round(max(transactions.amount) / 3, 1) >= 400 or length(company_name) > 24'
  'in_segment("r5") and in_segment("r8")'
  'max(events.timestamp where event == "login") < date("2026-05-01")'
)
i=0
bad=0
for rule in "${rules[@]}"; do
  i=$((i + 1))
  run 0 "$SEGKIT" segment add "r$i" "$rule" --dataset customers --as-of "$ASOF" || { bad=$((bad + 1)); continue; }
  run 0 "$SEGKIT" segment members "r$i" --as-of "$ASOF" --format csv
  printf '%s\n' "$OUT" | tail -n +2 | sort -n > "$WORK/segkit.ids"
  run 0 "$SEGKIT" segment sql "r$i" --as-of "$ASOF"
  sql=$OUT
  if ! "${PSQL[@]}" -c "$sql" 2>"$WORK/pg.err" | sort -n > "$WORK/pg.ids"; then
    fail "r$i: PostgreSQL refused the SQL of '$rule': $(cat "$WORK/pg.err"); SQL: $sql"
    bad=$((bad + 1))
    continue
  fi
  # later rules may use this one through in_segment(): its members as PostgreSQL found them
  "${PSQL[@]}" -c "INSERT INTO segment_members SELECT 'r$i', customer_id FROM ($sql) s" || bad=$((bad + 1))
  if cmp -s "$WORK/segkit.ids" "$WORK/pg.ids"; then
    pass "r$i: PostgreSQL and segkit agree ($(wc -l < "$WORK/pg.ids") members): $rule"
  else
    fail "r$i: members differ for '$rule': segkit $(wc -l < "$WORK/segkit.ids"), PostgreSQL $(wc -l < "$WORK/pg.ids"); first differences: $(diff "$WORK/segkit.ids" "$WORK/pg.ids" | head -5 | tr '\n' ' ')"
    bad=$((bad + 1))
  fi
done
equals "$bad" "0" "every rule's SQL gives segkit's members in PostgreSQL"
finish
