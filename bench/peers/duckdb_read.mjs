// DuckDB's CSV reader on the same file: materialise the whole file as a table in memory
// (type detection, parsing, building columns), timed inside the process.
import { DuckDBInstance } from '@duckdb/node-api';
const file = process.argv[2];
const threads = process.argv[3] || '2';
const inst = await DuckDBInstance.create(':memory:', { threads });
const con = await inst.connect();
const t0 = process.hrtime.bigint();
await con.run(`CREATE TABLE t AS SELECT * FROM read_csv('${file.replace(/'/g, "''")}')`);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const rows = (await con.runAndReadAll('SELECT count(*) FROM t')).getRows()[0][0];
console.log(JSON.stringify({ op: 'read', rows: Number(rows), seconds: secs }));
