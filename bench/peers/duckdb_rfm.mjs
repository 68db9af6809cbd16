// DuckDB doing what segkit_rfm_compute + segkit_rfm_table do: per customer the day of the
// last charge, the number of charges and the net amount in cents up to the as-of day, then
// NTILE(5) scores (recency by last charge day ascending, so 5 = most recent), the score
// triple and the named segment from the same rule table (docs/segments.md), materialised
// as a table. Written the way an analyst would: GROUP BY, then NTILE(5) windows. Days are
// epoch_us(timestamp) // 86400000000 (UTC days as integers): casting the TIMESTAMPTZ column
// to DATE goes through ICU and makes DuckDB's GROUP BY about 7x slower here.
//   node duckdb_rfm.mjs FILE ASOF THREADS MODE SOURCE
// MODE ntile: plain NTILE(5) (ties split by position, the query the issue names);
//      ties:  NTILE(5), then every tie gets the lowest tile of its value (segkit's scores:
//             a MIN window over each value), so the answers can be compared exactly.
// SOURCE memory: the CSV is loaded into a table first, untimed, and the query is timed;
//        csv: the query reads read_csv(FILE) itself, timed end to end.
import { DuckDBInstance } from '@duckdb/node-api';

const [file, asOf, threads = '2', mode = 'ntile', source = 'memory'] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads });
const con = await inst.connect();
await con.run("SET TimeZone = 'UTC'");
const csv = `read_csv('${file.replace(/'/g, "''")}')`;
let from = csv;
let rows = null;
if (source === 'memory') {
  await con.run(`CREATE TABLE tx AS SELECT * FROM ${csv}`);
  rows = Number((await con.runAndReadAll('SELECT count(*) FROM tx')).getRows()[0][0]);
  from = 'tx';
}

// The default rule table of segkit (src/family/rfm_rules.c), first match wins.
const rules = [
  ['Champions', 4, 5, 4, 5, 4, 5], ['Loyal', 2, 5, 3, 5, 3, 5], ['New', 4, 5, 1, 1, 1, 1],
  ['Promising', 3, 4, 1, 1, 1, 1], ['Potential Loyalist', 3, 5, 1, 3, 1, 3],
  ['Need Attention', 2, 3, 2, 3, 2, 3], ['About to Sleep', 2, 3, 1, 2, 1, 2],
  ['Cannot Lose Them', 1, 1, 4, 5, 4, 5], ['At Risk', 1, 2, 2, 5, 2, 5], ['Lost', 1, 1, 1, 1, 1, 1],
  ['Hibernating', 1, 2, 1, 2, 1, 2]];
const segCase = 'CASE ' + rules.map(([n, rl, rh, fl, fh, ml, mh]) =>
  `WHEN r BETWEEN ${rl} AND ${rh} AND f BETWEEN ${fl} AND ${fh} AND m BETWEEN ${ml} AND ${mh} THEN '${n}'`)
  .join(' ') + " ELSE 'Others' END";
const scores = mode === 'ties'
  ? `min(r0) OVER (PARTITION BY last_day) AS r, min(f0) OVER (PARTITION BY frequency) AS f,
     min(m0) OVER (PARTITION BY monetary) AS m`
  : 'r0 AS r, f0 AS f, m0 AS m';

const [y, mo, dd] = asOf.split('-').map(Number);
const asOfDay = Date.UTC(y, mo - 1, dd) / 86400000;
const t0 = process.hrtime.bigint();
await con.run(`
CREATE TEMP TABLE rfm AS
WITH t AS (
  SELECT customer_id AS c, epoch_us(timestamp) // 86400000000 AS d,
         CAST(round(amount * 100) AS BIGINT) * CASE WHEN kind = 'refund' THEN -1 ELSE 1 END AS cents
  FROM ${from}),
agg AS (
  SELECT c, max(d) FILTER (cents > 0) AS last_day, count(*) FILTER (cents > 0) AS frequency,
         sum(cents) AS monetary
  FROM t WHERE d <= ${asOfDay} GROUP BY c HAVING count(*) FILTER (cents > 0) > 0),
nt AS (
  SELECT *, ntile(5) OVER (ORDER BY last_day) AS r0, ntile(5) OVER (ORDER BY frequency) AS f0,
         ntile(5) OVER (ORDER BY monetary) AS m0
  FROM agg),
sc AS (
  SELECT c, ${asOfDay} - last_day AS recency_days, frequency, monetary / 100.0 AS monetary,
         ${scores}
  FROM nt)
SELECT *, CAST(r AS VARCHAR) || CAST(f AS VARCHAR) || CAST(m AS VARCHAR) AS rfm, ${segCase} AS segment
FROM sc`);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;

const s = (await con.runAndReadAll(`
SELECT count(*) AS customers, sum(r) AS sum_r, sum(f) AS sum_f, sum(m) AS sum_m,
       sum(c * (r * 100 + f * 10 + m)) AS chk FROM rfm`)).getRowObjects()[0];
const segs = (await con.runAndReadAll('SELECT segment, count(*) AS n FROM rfm GROUP BY segment'))
  .getRowObjects();
const segments = {};
for (const g of segs) segments[g.segment] = Number(g.n);
console.log(JSON.stringify({
  op: 'rfm', mode, source, rows, seconds: secs, customers: Number(s.customers),
  sum_r: Number(s.sum_r), sum_f: Number(s.sum_f), sum_m: Number(s.sum_m), check: Number(s.chk),
  segments,
}));
