// DuckDB doing what `segkit metrics --by plan,billing_interval` does, from the table in
// memory (the CSV load is not timed, as segkit's read is not): month-end MRR per customer
// (a row counts at the end of every month from the month of its paid start to the month
// before its end; the customer's segment is its row with the most MRR there), monthly
// movements by segment (a customer counts in the segment it had at the previous month end),
// the range's retention of the customers there at its start, and LTV per segment both ways
// (ARPU / monthly churn; the monthly survival of the customers starting in the range summed
// over 60 months, continued with the constant churn). Written as set-based SQL the way an
// analyst would, with the per-row month span expanded by range() rather than a range join,
// and month-to-month steps from window functions rather than a self join (faster here).
//   node duckdb_metrics.mjs subscriptions.csv FROM TO THREADS   (months as YYYY-MM)
import { DuckDBInstance } from '@duckdb/node-api';

const [file, from, to, threads = '2'] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads });
const con = await inst.connect();
await con.run(`CREATE TABLE subs AS SELECT * FROM read_csv('${file.replace(/'/g, "''")}')`);
const rows = Number((await con.runAndReadAll('SELECT count(*) FROM subs')).getRows()[0][0]);

const mi = (ym) => { const [y, m] = ym.split('-').map(Number); return y * 12 + m - 1; };
const k0 = mi(from) - 1; // month index of slot 0 (the end of the month before FROM)
const K = mi(to) - k0;   // slots 0..K
const H = 60;

const t0 = process.hrtime.bigint();
await con.run(`
CREATE TEMP TABLE r AS
SELECT row_number() OVER () AS rid, customer_id AS c, plan || ' / ' || billing_interval AS seg,
       round(unit_price * seats * (100 - coalesce(discount_percent, 0))
             * CASE currency WHEN 'EUR' THEN 1.08 WHEN 'GBP' THEN 1.27 ELSE 1 END
             * CASE billing_interval WHEN 'year' THEN 1.0 / 12 WHEN 'week' THEN 52.0 / 12
                                     WHEN 'day' THEN 365.0 / 12 ELSE 1 END
             / interval_count)::BIGINT AS cents,
       greatest(started_at, coalesce(trial_end, started_at)) AS paid, ended_at AS e
FROM subs WHERE ended_at IS NULL OR ended_at >= started_at;

CREATE TEMP TABLE snap AS
WITH span AS (
  SELECT c, seg, cents, paid, rid,
         year(paid) * 12 + month(paid) - 1 - ${k0} AS lo,
         CASE WHEN e IS NULL THEN ${K} ELSE year(e) * 12 + month(e) - 2 - ${k0} END AS hi
  FROM r WHERE cents > 0)
SELECT c, k, sum(cents) AS mrr,
       arg_max(seg, cents::HUGEINT * 4398046511104 + (epoch(paid)::BIGINT // 86400) * 4194304
                    + (4194304 - rid)) AS seg
FROM (SELECT c, seg, cents, paid, rid,
             unnest(range(greatest(lo, 0), least(hi, ${K}) + 1)) AS k
      FROM span WHERE hi >= 0 AND lo <= ${K})
GROUP BY c, k;

CREATE TEMP TABLE w AS
SELECT c, k, mrr, seg,
       lag(k) OVER o AS pk, lag(mrr) OVER o AS pm, lag(seg) OVER o AS ps, lead(k) OVER o AS nk
FROM snap WINDOW o AS (PARTITION BY c ORDER BY k);

-- one row per customer and month with MRR at either end: (m0, m1, segment of the month);
-- a churn is the month after the last of a run of active month ends
CREATE TEMP TABLE step AS
SELECT c, k, CASE WHEN pk = k - 1 THEN pm ELSE 0 END AS m0, mrr AS m1,
       CASE WHEN pk = k - 1 THEN ps ELSE seg END AS seg
FROM w WHERE k >= 1
UNION ALL
SELECT c, k + 1, mrr, 0, seg FROM w WHERE k < ${K} AND (nk IS NULL OR nk > k + 1);
`);
const monthly = (await con.runAndReadAll(`
SELECT coalesce(seg, 'ALL') AS g, sum(m1) AS mrr_sum, count(*) FILTER (m1 > 0) AS active,
       count(*) FILTER (m0 > 0 AND m1 = 0) AS churned, count(*) FILTER (m0 > 0) AS at_start
FROM step GROUP BY GROUPING SETS ((seg), ())`)).getRowObjects();
const period = (await con.runAndReadAll(`
SELECT coalesce(s.seg, 'ALL') AS g, count(*) AS customers_start, sum(s.mrr) AS start_cents,
       count(e.mrr) AS retained, coalesce(sum(e.mrr), 0) AS retained_cents,
       coalesce(sum(least(s.mrr, e.mrr)), 0) AS capped_cents
FROM (SELECT * FROM snap WHERE k = 0) s
LEFT JOIN (SELECT * FROM snap WHERE k = ${K}) e ON s.c = e.c
GROUP BY GROUPING SETS ((s.seg), ())`)).getRowObjects();
// Customers starting in the range: the run of consecutive active month ends from their
// first one gives the months they survived (L) and how long they were observed.
const life = (await con.runAndReadAll(`
WITH starters AS (
  SELECT c, min(k) AS k0 FROM snap GROUP BY c HAVING min(k) >= 1),
runs AS (
  SELECT s.c, st.k0, s.k, s.seg, s.k - row_number() OVER (PARTITION BY s.c ORDER BY s.k) AS run
  FROM snap s JOIN starters st USING (c)),
first_run AS (
  SELECT c, k0, count(*) AS l, arg_min(seg, k) AS seg FROM runs WHERE run = k0 - 1 GROUP BY c, k0)
SELECT coalesce(seg, 'ALL') AS g, l, ${K} - k0 AS obs, count(*) AS n
FROM first_run GROUP BY GROUPING SETS ((seg, l, obs), (l, obs))`)).getRowObjects();
const out = {};
for (const m of monthly) {
  const arpu = Number(m.mrr_sum) / Number(m.active);
  const churn = Number(m.churned) / Number(m.at_start);
  out[m.g] = { arpu, churn, simple: arpu / churn, atRisk: new Array(K + 1).fill(0), ch: new Array(K + 1).fill(0) };
}
for (const x of life) {
  const o = out[x.g];
  const l = Number(x.l), obs = Number(x.obs), n = Number(x.n);
  for (let j = 1; j <= Math.min(l, obs); j++) o.atRisk[j] += n;
  if (l <= obs) o.ch[l] += n; // the month end after the run is observed: a churn
}
let ltvSum = 0;
for (const [g, o] of Object.entries(out)) {
  let n = 1;
  for (let k = 1; k <= K; k++) if (o.atRisk[k] > 0) n = k + 1;
  const S = [1];
  for (let k = 1; k < n; k++) S.push(S[k - 1] * (o.atRisk[k] ? 1 - o.ch[k] / o.atRisk[k] : 1));
  let sum = 0;
  for (let t = 0; t < Math.min(H, n); t++) sum += S[t];
  let st = S[n - 1];
  for (let t = n; t < H; t++) { st *= 1 - o.churn; sum += st; }
  o.survival = sum * o.arpu;
  if (g !== 'ALL') ltvSum += o.survival;
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const all = period.find((p) => p.g === 'ALL');
const allMonthly = monthly.find((m) => m.g === 'ALL');
const last = (await con.runAndReadAll(`SELECT sum(mrr) FROM snap WHERE k = ${K}`)).getRows()[0][0];
console.log(JSON.stringify({
  op: 'metrics', rows, seconds: secs, groups: monthly.length - 1,
  customers_start: Number(all.customers_start), retained: Number(all.retained),
  churn_events: Number(allMonthly.churned), mrr_end: Number(last) / 100,
  ltv_survival_sum: ltvSum / 100,
}));
