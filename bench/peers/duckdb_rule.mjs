// DuckDB counting the members of a five-predicate rule, the same rule bench/run segment
// gives segkit, on the same customers table in memory (the CSV load is not timed):
//   plan == "pro" and billing_interval == "year" and seats >= 3 and mrr > 100
//     and country in ("DE", "FR", "NL")
//   node duckdb_rule.mjs customers.csv THREADS REPEAT
import { DuckDBInstance } from '@duckdb/node-api';

const [file, threads = '2', repeat = '5'] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads });
const con = await inst.connect();
await con.run(`CREATE TABLE c AS SELECT * FROM read_csv('${file.replace(/'/g, "''")}')`);
const rows = Number((await con.runAndReadAll('SELECT count(*) FROM c')).getRows()[0][0]);
const sql = `SELECT count(*) FROM c WHERE plan = 'pro' AND billing_interval = 'year'
             AND seats >= 3 AND mrr > 100 AND country IN ('DE', 'FR', 'NL')`;
let best = Infinity;
let members = 0;
for (let i = 0; i < Number(repeat); i++) {
  const t0 = process.hrtime.bigint();
  members = Number((await con.runAndReadAll(sql)).getRows()[0][0]);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  best = Math.min(best, secs);
}
console.log(JSON.stringify({ op: 'rule', rows, seconds: best, members }));
