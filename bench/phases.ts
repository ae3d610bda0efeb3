// `node --import tsx bench/phases.ts [--calls N]`: where a point query's time goes inside the server, without the
// protocol: the same run_query call through the registry (guard, bounded in-process read, audit row), with the
// read and the audit append timed apart, against the same SQL in-process with better-sqlite3. The audit log is
// a fresh WAL file (--audit-db) and, second, the shop database itself (rollback journal, as drizzle-kit leaves it;
// the rows stay, as after any bench run of ours). Timing only; the tests check behaviour.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { createToolRegistry } from '../src/tools/registry.js';
import { openServices, type Services } from '../src/app/services.js';
import { ALL_TOOLS } from '../src/tools/index.js';
import { BENCH_ROOT, ensureShop, mulberry32 } from './dataset.js';
import { entryPoints } from '../src/bin/entry-points.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '3000' } } });
const calls = Number(values.calls);
const shop = await ensureShop(() => {});
const random = mulberry32(7);
const ids = Array.from({ length: calls }, () => 1 + Math.floor(random() * 100_000));
const sqlFor = (id: number) => `SELECT * FROM users WHERE id = ${id}`;

function perCall(total: number): string {
  return `${((total / calls) * 1000).toFixed(0).padStart(5)} µs`;
}

{
  const db = new Database(shop.dbFile, { readonly: true });
  for (const id of ids.slice(0, 300)) db.prepare(sqlFor(id)).all();
  const started = performance.now();
  for (const id of ids) db.prepare(sqlFor(id)).all();
  console.log(`better-sqlite3 in-process (prepare + all)      ${perCall(performance.now() - started)}`);
  db.close();
}

async function measure(label: string, extraArgs: string[]): Promise<void> {
  const { config } = loadConfig({
    argv: ['--project', shop.dir, '--log-level', 'silent', ...extraArgs],
    env: {},
    cwd: process.cwd(),
    defaultProjectDir: shop.dir,
  });
  const services: Services = await openServices(config, createLogger('silent'), { entries: entryPoints() });
  const runner = services.queries();
  await runner.ready();
  const spent = { read: 0, audit: 0 };
  const read = runner.read.bind(runner);
  runner.read = async (...args: Parameters<typeof read>) => {
    const started = performance.now();
    try {
      return await read(...args);
    } finally {
      spent.read += performance.now() - started;
    }
  };
  const append = services.audit.append.bind(services.audit);
  services.audit.append = (entry) => {
    const started = performance.now();
    try {
      return append(entry);
    } finally {
      spent.audit += performance.now() - started;
    }
  };
  const registry = createToolRegistry({
    tools: ALL_TOOLS,
    services: async () => services,
    readOnly: false,
    logger: createLogger('silent'),
  });
  for (const id of ids.slice(0, 300))
    await registry.call('run_query', { sql: sqlFor(id) }, { client: 'bench' });
  spent.read = spent.audit = 0;
  const started = performance.now();
  for (const id of ids) {
    const outcome = await registry.call('run_query', { sql: sqlFor(id) }, { client: 'bench' });
    if (!outcome.ok) throw outcome.error;
  }
  const total = performance.now() - started;
  console.log(`${label.padEnd(46)} ${perCall(total)}`);
  console.log(`  read (guard, EXPLAIN check, rows)            ${perCall(spent.read)}`);
  console.log(`  audit row (hash chain, commit)               ${perCall(spent.audit)}`);
  console.log(`  the rest (arguments, result, audit details)  ${perCall(total - spent.read - spent.audit)}`);
  await services.close();
}

const auditDb = path.join(BENCH_ROOT, 'phases-audit.db');
for (const suffix of ['', '-wal', '-shm']) fs.rmSync(auditDb + suffix, { force: true });
await measure('run_query via the registry, audit in WAL file', ['--audit-db', auditDb]);
await measure('run_query via the registry, audit in shop.db', []);
