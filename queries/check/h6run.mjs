import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, readdirSync } from 'node:fs';
const [,, file, argsJSON, extra] = process.argv;
const inst = await DuckDBInstance.create(':memory:', {autoinstall_known_extensions:'false', autoload_known_extensions:'false'});
const conn = await inst.connect();
async function runAll(sql){const st=await conn.extractStatements(sql);let r;for(let i=0;i<st.count;i++){r=await (await st.prepare(i)).runAndReadAll();}return r;}
const mig='/work/wt/issue13-forecast/internal/schema/migrations';
for (const f of readdirSync(mig).filter(f=>f.endsWith('.sql')).sort()) await runAll(readFileSync(mig+'/'+f,'utf8'));
await runAll(readFileSync('/work/wt/issue13-forecast/queries/check/fixture.sql','utf8'));
if (extra) await runAll(readFileSync(extra,'utf8'));
const args = JSON.parse(argsJSON||'{}');
for (const [k,v] of Object.entries(args)) await conn.run(`SET VARIABLE ${k} = ${v}`);
const r = await runAll(readFileSync(file,'utf8'));
console.log(r.columnNames().join('\t'));
for (const row of r.getRowsJson()) console.log(row.join('\t'));
