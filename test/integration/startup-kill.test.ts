import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { hashMigrationSql } from '../../src/migrations/folder.js';
import {
  killMidOperation,
  landedMidOperation,
  reopenAfterKill,
  runAndKill,
} from '../helpers/kill-harness.js';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';

// A second committed migration that takes long enough to be killed in the middle of: it fills a table with
// 200k rows and indexes it, all inside the startup transaction that also creates audit_log.
const BIG_MIGRATION = [
  'CREATE TABLE `big` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`label` text NOT NULL\n);',
  "INSERT INTO `big` (`id`, `label`) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT x, 'row ' || x FROM c;",
  'CREATE INDEX `big_label_idx` ON `big` (`label`);',
].join('\n--> statement-breakpoint\n');

function addBigMigration(project: string): void {
  const out = path.join(project, 'drizzle');
  fs.writeFileSync(path.join(out, '0001_big.sql'), BIG_MIGRATION);
  const journalFile = path.join(out, 'meta/_journal.json');
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8'));
  journal.entries.push({
    idx: 1,
    version: '6',
    when: journal.entries[0].when + 1000,
    tag: '0001_big',
    breakpoints: true,
  });
  fs.writeFileSync(journalFile, JSON.stringify(journal, null, 2));
  const snapshot = JSON.parse(fs.readFileSync(path.join(out, 'meta/0000_snapshot.json'), 'utf8'));
  fs.writeFileSync(
    path.join(out, 'meta/0001_snapshot.json'),
    JSON.stringify({ ...snapshot, id: '11111111-1111-4111-8111-111111111111', prevId: snapshot.id }, null, 2),
  );
}

type State = 'before' | 'after';

// The child prints these around the start-up migration (test/helpers/kill-startup-child.ts).
const MIGRATING = 'MIGRATING';
const MIGRATED = 'MIGRATED';

function stateOf(dbFile: string): State {
  if (!fs.existsSync(dbFile)) return 'before';
  const { db, integrity } = reopenAfterKill(dbFile);
  try {
    expect(integrity).toEqual(['ok']);
    const tables = db
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
      )
      .pluck()
      .all();
    if (tables.length === 0) return 'before';
    expect(tables).toEqual([
      '__drizzle_migrations',
      'audit_log',
      'big',
      'check_ins',
      'journal_entries',
      'sessions',
      'users',
    ]);
    expect(db.prepare('select count(*) from big').pluck().get()).toBe(200_000);
    expect(db.prepare('select hash from __drizzle_migrations order by created_at').pluck().all()).toEqual([
      hashMigrationSql(
        fs.readFileSync(path.join(path.dirname(path.dirname(dbFile)), 'drizzle/0000_init.sql'), 'utf8'),
      ),
      hashMigrationSql(BIG_MIGRATION),
    ]);
    // The change never commits without its audit row, and the row names what it applied.
    const audit = db
      .prepare('select tool, outcome, client, target_id, details from audit_log')
      .all() as Array<Record<string, string>>;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      tool: 'apply_migrations',
      outcome: 'ok',
      client: 'server',
      target_id: '0001_big',
    });
    expect(JSON.parse(audit[0]!.details!).applied).toEqual(['0000_init', '0001_big']);
    expect(new AuditLog(db, 'audit_log').verify().ok).toBe(true);
    return 'after';
  } finally {
    db.close();
  }
}

describe('first start under kill -9', () => {
  let project: string;
  let durationMs = 0;

  beforeAll(async () => {
    project = copyEmbeddedProject();
    addBigMigration(project);
    // One uninterrupted run on a throwaway copy tells how long the startup migration takes.
    const probe = copyEmbeddedProject();
    addBigMigration(probe);
    const run = await runAndKill({
      script: 'test/helpers/kill-startup-child.ts',
      args: [probe],
      readyLine: MIGRATING,
    });
    expect(run.stdout).toMatch(/DONE/);
    expect(stateOf(path.join(probe, 'data/app.db'))).toBe('after');
    durationMs = run.operationMs!;
    removeDir(probe);
  });
  afterAll(() => removeDir(project));

  it('leaves the database fully before or fully after, with its audit row, whenever it is killed', async () => {
    const dbFile = path.join(project, 'data/app.db');
    const seen: State[] = [];
    for (let kill = 0; kill < 6; kill++) {
      // Spread the kills over the start-up migration; each one must strike inside it (after MIGRATING, before
      // MIGRATED), not while the project is still loading or after the migration is over.
      const run = await killMidOperation(
        async (killAfter) => {
          for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(dbFile + suffix, { force: true });
          return runAndKill({
            script: 'test/helpers/kill-startup-child.ts',
            args: [project],
            readyLine: MIGRATING,
            killAfter,
          });
        },
        { minMs: (durationMs * kill) / 6, maxMs: Math.max(50, (durationMs * (kill + 1)) / 6) },
        { doneLine: MIGRATED },
      );
      expect(landedMidOperation(run, MIGRATED)).toBe(true);
      seen.push(stateOf(dbFile));
      // A restart after the kill finishes the job: the server never stays half-migrated.
      const restart = await runAndKill({ script: 'test/helpers/kill-startup-child.ts', args: [project] });
      expect(restart.stdout, restart.stderr).toMatch(/DONE/);
      expect(stateOf(dbFile)).toBe('after');
    }
    // Killed inside the migration, the database was left as it was before it (at least once; a kill between the
    // commit and MIGRATED leaves it after).
    expect(seen).toContain('before');
  });
});
