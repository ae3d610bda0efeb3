// Measures what running migrations in the killable query host costs against running them in this process, and how
// soon a statement over --migration-timeout-ms is stopped (and the write lock free again). Not a test: numbers vary
// with the machine and its load. Run: npm run build && node --import tsx bench/migration-host.ts [rows] [rounds]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { serverTables } from '../src/guard/server-tables.js';
import { applyMigrations } from '../src/migrations/apply.js';
import { readMigrationFolder } from '../src/migrations/folder.js';
import { applyJob, rehearseJob, type MigrationJobBase } from '../src/migrations/jobs.js';
import { QueryRunner } from '../src/query/query-runner.js';
import { ensureAuditTable } from '../src/audit/audit-log.js';
import { appendFixtureMigration, writeFixtureFolder } from '../test/helpers/migration-fixtures.js';

const rows = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const host = { file: path.resolve('dist/query-host.js'), execArgv: [] };
const tables = { ledgerTable: '__drizzle_migrations', auditTable: 'mcp_audit_log', auditInProjectDb: true };

async function world(pending: string[]): Promise<MigrationJobBase & { dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-bench-mig-'));
  const outDir = path.join(dir, 'drizzle');
  writeFixtureFolder(outDir, [
    { name: 'init', statements: ['CREATE TABLE `t` (`id` integer PRIMARY KEY, `n` integer);'] },
  ]);
  const dbFile = path.join(dir, 'app.db');
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  ensureAuditTable(db, tables.auditTable);
  await applyMigrations(db, readMigrationFolder(outDir), { tables: serverTables(tables) });
  db.prepare(
    `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) INSERT INTO t SELECT x, x FROM c`,
  ).run(rows);
  db.close();
  appendFixtureMigration(outDir, { name: 'next', statements: pending });
  return { dir, dbFile, outDir, tables, busyTimeoutMs: 1000 };
}

const entry = () => ({
  entry: {
    tool: 'apply_migrations',
    outcome: 'ok' as const,
    createdAt: new Date().toISOString(),
    client: 'bench',
  },
  startedAtMs: Date.now(),
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const MIGRATION = ['UPDATE `t` SET `n` = `n` + 1;', 'CREATE INDEX `t_n` ON `t` (`n`);'];

async function runOnce(where: 'in-process' | 'host'): Promise<{ rehearse: number; apply: number }> {
  const base = await world(MIGRATION);
  let runner: QueryRunner | undefined;
  try {
    if (where === 'host') {
      runner = new QueryRunner({
        entry: host,
        dbFile: base.dbFile,
        protectedTables: [],
        queryTimeoutMs: 60_000,
        busyTimeoutMs: 1000,
      });
      await runner.ready();
    }
    const t0 = performance.now();
    const report =
      where === 'host'
        ? ((await runner!.migrate(
            { kind: 'rehearse', request: base },
            { statementTimeoutMs: 120_000 },
          )) as Awaited<ReturnType<typeof rehearseJob>>)
        : await rehearseJob(base, () => {});
    const t1 = performance.now();
    const request = {
      ...base,
      expectedHashes: report.pendingHashes,
      expectedEffects: report.migrations.map((m) => m.effects!),
      audit: entry(),
    };
    if (where === 'host') await runner!.migrate({ kind: 'apply', request }, { statementTimeoutMs: 120_000 });
    else await applyJob(request, () => {});
    const t2 = performance.now();
    return { rehearse: t1 - t0, apply: t2 - t1 };
  } finally {
    await runner?.close();
    fs.rmSync(base.dir, { recursive: true, force: true });
  }
}

async function stopLatency(timeoutMs: number): Promise<{ stopped: number; lockFree: number }> {
  const base = await world([
    'CREATE TABLE `spin` (`n` integer);',
    'INSERT INTO `spin` (`n`) SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c);',
  ]);
  const runner = new QueryRunner({
    entry: host,
    dbFile: base.dbFile,
    protectedTables: [],
    queryTimeoutMs: 60_000,
    busyTimeoutMs: 1000,
  });
  try {
    await runner.ready();
    const t0 = performance.now();
    await runner
      .migrate(
        {
          kind: 'apply',
          request: {
            ...base,
            expectedHashes: [readMigrationFolder(base.outDir).migrations.at(-1)!.hash],
            expectedEffects: [],
            audit: entry(),
          },
        },
        { statementTimeoutMs: timeoutMs },
      )
      .then(
        () => {
          throw new Error('the endless statement finished');
        },
        (error: { code?: string }) => {
          if (error.code !== 'TIMEOUT' && error.code !== 'QUERY_TIMEOUT')
            console.error('stopped with', error.code);
        },
      );
    const stopped = performance.now() - t0 - timeoutMs;
    const db = new Database(base.dbFile, { timeout: 0 });
    db.exec('BEGIN IMMEDIATE; ROLLBACK;');
    db.close();
    return { stopped, lockFree: performance.now() - t0 - timeoutMs };
  } finally {
    await runner.close();
    fs.rmSync(base.dir, { recursive: true, force: true });
  }
}

const results: Record<string, { rehearse: number[]; apply: number[] }> = {
  'in-process': { rehearse: [], apply: [] },
  host: { rehearse: [], apply: [] },
};
for (let i = 0; i < rounds; i++) {
  for (const where of ['in-process', 'host'] as const) {
    const r = await runOnce(where);
    results[where]!.rehearse.push(r.rehearse);
    results[where]!.apply.push(r.apply);
  }
}
console.log(
  `load average: ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; ${rows} rows; ${rounds} rounds (medians, ms)`,
);
for (const [where, r] of Object.entries(results))
  console.log(
    `${where.padEnd(11)} dry run ${median(r.rehearse).toFixed(1)}  apply ${median(r.apply).toFixed(1)}`,
  );
const stops: Array<{ stopped: number; lockFree: number }> = [];
for (let i = 0; i < rounds; i++) stops.push(await stopLatency(500));
console.log(
  `timeout 500 ms: stopped ${median(stops.map((s) => s.stopped)).toFixed(1)} ms after the deadline (max ${Math.max(...stops.map((s) => s.stopped)).toFixed(1)}), write lock free ${median(stops.map((s) => s.lockFree)).toFixed(1)} ms after it`,
);
