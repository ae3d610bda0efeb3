// A migration statement that runs too long (issue 11 class 3), dry run or real apply: it is stopped by ending the
// process that runs it, the transaction rolls back, the write lock is released, nothing is applied without its
// audit row, and the server answers other calls meanwhile.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { removeDir } from '../helpers/project.js';
import { embeddedProject, openDb, withDb, type Json } from './migration-tools-support.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** An endless recursive CTE, everywhere or only on the real file (a copy in memory has no file name). */
const endless = (onlyOnTheRealFile: boolean) =>
  `INSERT INTO spin (n) SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c${
    onlyOnTheRealFile ? " WHERE (SELECT file FROM pragma_database_list WHERE name = 'main') <> ''" : ''
  }) SELECT x FROM c);`;

async function start(statements: string[]): Promise<{ h: Harness; dbFile: string; project: string }> {
  const project = embeddedProject();
  const h = await startHarness({
    argv: ['--project', project, '--migration-timeout-ms', '1500', '--allow-destructive'],
  });
  cleanup.push(
    () => removeDir(project),
    () => h.close(),
  );
  const custom = await h.ok<Json>('generate_migration', { custom: true, name: 'spin' });
  fs.writeFileSync(
    path.join(project, custom.files[0] as string),
    statements.join('\n--> statement-breakpoint\n'),
  );
  return { h, dbFile: path.join(project, 'data/app.db'), project };
}

const ledgerSize = (dbFile: string) =>
  withDb(dbFile, (db) => db.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get() as number);

describe('a migration statement that runs too long', () => {
  for (const [where, dryRun, onlyReal] of [
    ['in the dry run', true, false],
    ['in the apply, after a dry run it fooled', false, true],
  ] as const) {
    it(`is stopped ${where}: rolled back, lock released, the server answering meanwhile`, async () => {
      const { h, dbFile } = await start(['CREATE TABLE `spin` (`n` integer);', endless(onlyReal)]);
      const started = Date.now();
      const pending = h.call('apply_migrations', { dryRun });
      // Meanwhile: the server answers a ping and lists its tools at once.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const pinged = Date.now();
      await h.client.ping();
      await h.client.listTools();
      expect(Date.now() - pinged).toBeLessThan(1000);
      const read = h.call('run_query', { sql: 'SELECT 42 AS answer' });

      const result = await pending;
      expect(result.isError).toBe(true);
      const text = errorTextOf(result);
      expect(text).toMatch(/Migration "0001_spin" statement 2 .* ran longer than 1500 ms and was stopped/);
      expect(text).toContain('(error code: TIMEOUT)');
      expect(text).toContain(dryRun ? 'nothing changed' : 'nothing was applied');
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(((await read).structuredContent as Json).rows).toEqual([[42]]);

      // Rolled back, and the write lock is free: another process writes at once.
      expect(ledgerSize(dbFile)).toBe(1);
      const other = openDb(dbFile, { timeout: 200 } as never);
      try {
        expect(other.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'spin'").pluck().get()).toBe(0);
        other.exec("INSERT INTO users (id, email, username) VALUES ('w', 'w@example.com', 'w')");
      } finally {
        other.close();
      }
      const audit = await h.ok<Json>('read_audit_log', { tool: 'apply_migrations', limit: 1, verify: true });
      expect(audit.rows[0]).toMatchObject({ outcome: 'error', errorCode: 'TIMEOUT' });
      expect(audit.chain.ok).toBe(true);
      expect((await h.ok<Json>('migration_status')).counts.pending).toBe(1);
    });
  }
});
