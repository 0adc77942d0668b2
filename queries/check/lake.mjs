// Reads an aiusage Parquet lake with DuckDB's Node client, a second DuckDB client
// besides the Go one that wrote it: every file the manifest lists (and no compaction
// replaced) must hold the rows the manifest says, with the columns and types of its
// table in the schema migrations (the day of a table that has one only in the path).
// Exit status 1 on any difference.
//
//   node lake.mjs /path/to/lake
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const migrationsDir = join(here, '..', '..', 'internal', 'schema', 'migrations');
const root = process.argv[2];
if (!root) {
  console.error('usage: node lake.mjs LAKE_DIRECTORY');
  process.exit(2);
}
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

const instance = await DuckDBInstance.create(':memory:', {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
});
const conn = await instance.connect();
for (const f of readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort()) {
  const statements = await conn.extractStatements(readFileSync(join(migrationsDir, f), 'utf8'));
  for (let i = 0; i < statements.count; i++) await (await statements.prepare(i)).run();
}
const { version } = (await conn.runAndReadAll('SELECT version() AS version')).getRowObjectsJson()[0];

const manifest = (
  await conn.runAndReadAll(`SELECT table_name, file, row_count, replaces
    FROM read_parquet(${quote(join(root, '_manifest', '*', '*.parquet'))}, hive_partitioning = true, union_by_name = true)`)
).getRowObjectsJson();
const replaced = new Set(manifest.flatMap((e) => e.replaces ?? []));
const live = manifest.filter((e) => !replaced.has(e.file));

const columns = async (sql) =>
  (await conn.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE ${sql})`))
    .getRowObjectsJson()
    .map((c) => `${c.column_name} ${c.column_type}`);

let failures = 0;
let rows = 0;
const tables = new Set();
for (const e of live) {
  const path = join(root, e.file);
  const daily = e.file.split('/')[1]?.startsWith('day=');
  let want = await columns(`main.${e.table_name}`);
  if (daily) want = want.filter((c) => !c.startsWith('day '));
  const got = await columns(`SELECT * FROM read_parquet(${quote(path)}, hive_partitioning = false)`);
  const count = Number(
    (await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${quote(path)})`)).getRowObjectsJson()[0].n,
  );
  const problems = [];
  if (got.join(',') !== want.join(',')) problems.push(`columns ${got.join(', ')}; the table has ${want.join(', ')}`);
  if (count !== Number(e.row_count)) problems.push(`${count} rows, the manifest says ${e.row_count}`);
  if (problems.length) {
    failures++;
    console.log(`FAIL ${e.file}: ${problems.join('; ')}`);
  }
  rows += count;
  tables.add(e.table_name);
}
console.log(`DuckDB ${version} (@duckdb/node-api): ${live.length} files of ${tables.size} tables, ${rows} rows, ${failures} failures`);
process.exit(failures ? 1 : 0);
