// Runs every aiusage report file (queries/*.sql) in a second DuckDB client, the Node
// API, against the schema migrations plus fixture.sql: each report with the fixture's
// parameters and again with none (its defaults). A report passes when every statement
// succeeds, its columns are the ones its header declares, and with the fixture's
// parameters it returns rows. Exit status 1 if any fails.
//
//   npm ci && node check.mjs
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const queriesDir = join(here, '..');
const migrationsDir = join(here, '..', '..', 'internal', 'schema', 'migrations');

// Parameters that put each report's "now" at the fixture's last day.
const fixtureArgs = {
  daily: { from_day: '2026-11-01', to_day: '2026-11-02' },
  users: { days: '2', to_day: '2026-11-02' },
  projects: { from_day: '2026-11-01', to_day: '2026-11-02' },
  cost: { as_of: '2026-11-02' },
  cost_units: { from_day: '2026-11-01', to_day: '2026-11-02' },
  spend: { from_day: '2026-11-01', to_day: '2026-11-02' },
  quota: { as_of: '2026-11-02 12:00:00+00' },
  budgets: { as_of: '2026-11-02 12:00:00+00' },
  anomalies: { from_day: '2026-11-01', to_day: '2026-11-02', k: '3', min_usd: '0' },
  rate_limited: { as_of: '2026-11-02 12:00:00+00' },
  rates: {
    as_of: '2026-11-02 10:01:30+00',
    limits: '[{"provider":"gcp.gemini","rpm":10,"rpd":20,"tpm":250000}]',
  },
  retention: { as_of: '2026-12-15', days: '30' },
  prices: { in_force_on: '2026-11-02', checked_before: '2026-12-01' },
  rollup: { from_day: '2026-11-01', to_day: '2026-11-02' },
};

// header reads the parameters (name -> type) and column names a report's comment declares.
function header(sql) {
  const params = {};
  const columns = [];
  let section = '';
  for (const line of sql.split('\n')) {
    if (!line.startsWith('--')) break;
    const text = line.replace(/^-- ?/, '');
    if (text.startsWith('Parameters')) section = 'params';
    else if (text.startsWith('Columns')) section = 'columns';
    else if (!text.startsWith('  ')) section = '';
    else if (text.startsWith('   ')) continue; // the description goes on
    else if (section) {
      const [name, type] = text.trim().split(/\s+/);
      if (section === 'params') params[name] = type;
      else columns.push(name);
    }
  }
  return { params, columns };
}

async function freshDatabase() {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const conn = await instance.connect();
  for (const f of readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort()) {
    await runAll(conn, readFileSync(join(migrationsDir, f), 'utf8'));
  }
  await runAll(conn, readFileSync(join(here, 'fixture.sql'), 'utf8'));
  return conn;
}

// runAll runs every statement of a script and returns the last one's result.
async function runAll(conn, sql) {
  const statements = await conn.extractStatements(sql);
  let result;
  for (let i = 0; i < statements.count; i++) {
    const prepared = await statements.prepare(i);
    result = await prepared.runAndReadAll();
  }
  return result;
}

let failures = 0;
{
  const conn = await freshDatabase();
  const v = (await conn.runAndReadAll('SELECT version()')).getRows()[0][0];
  console.log(`DuckDB ${v} (@duckdb/node-api)`);
}
const files = readdirSync(queriesDir).filter((f) => f.endsWith('.sql')).sort();
for (const file of files) {
  const name = file.replace(/\.sql$/, '');
  const sql = readFileSync(join(queriesDir, file), 'utf8');
  const { params, columns } = header(sql);
  for (const [label, args] of [['fixture', fixtureArgs[name]], ['defaults', {}]]) {
    try {
      if (!args) throw new Error(`no fixture arguments for report ${name}`);
      const conn = await freshDatabase();
      for (const [p, type] of Object.entries(params)) {
        const value = p in args ? args[p] : null;
        await conn.run(`SET VARIABLE ${p} = CAST($1 AS ${type})`, [value]);
      }
      const result = await runAll(conn, sql);
      const got = result.columnNames();
      if (got.join(',') !== columns.join(',')) {
        throw new Error(`columns ${got.join(',')}, header declares ${columns.join(',')}`);
      }
      const rows = result.getRowObjectsJson();
      if (label === 'fixture' && rows.length === 0) throw new Error('no rows');
      console.log(`ok   ${name} (${label}): ${rows.length} rows`);
      if (label === 'fixture' && process.env.VERBOSE) console.log(JSON.stringify(rows));
      conn.closeSync?.();
    } catch (err) {
      failures++;
      console.log(`FAIL ${name} (${label}): ${err.message}`);
    }
  }
}
console.log(`${files.length} report files, ${failures} failures`);
process.exit(failures ? 1 : 0);
