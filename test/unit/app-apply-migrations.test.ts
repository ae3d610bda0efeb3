// The apply pipeline without MCP: real SQLite files, a real migrations folder, a recording call context.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPendingMigrations, type MigrationServices } from '../../src/app/apply-migrations.js';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import { serverTables } from '../../src/guard/server-tables.js';
import { applyMigrations } from '../../src/migrations/apply.js';
import { listBackups } from '../../src/migrations/backup.js';
import { inProcessMigrations } from '../../src/migrations/jobs.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { readLedger } from '../../src/migrations/ledger.js';
import { openReadConnection, openWriteConnection, type SqliteDatabase } from '../../src/sqlite/connection.js';
import { recordingContext } from '../helpers/call-context.js';
import { testConsentRoom } from '../helpers/consent-room.js';
import { appendFixtureMigration, makeTempDir, writeFixtureFolder } from '../helpers/migration-fixtures.js';

const INIT = [
  'CREATE TABLE `users` (`id` integer PRIMARY KEY NOT NULL, `name` text NOT NULL);',
  'CREATE TABLE `posts` (`id` integer PRIMARY KEY NOT NULL, `user_id` integer NOT NULL REFERENCES `users`(`id`) ON DELETE cascade, `title` text);',
];

const opened: SqliteDatabase[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A project database with the first migration applied, its audit table, and one more migration pending. */
async function project(pending: string[], config: Partial<MigrationServices['config']> = {}) {
  const dir = makeTempDir('dsm-app-apply-');
  dirs.push(dir);
  const outDir = path.join(dir, 'drizzle');
  writeFixtureFolder(outDir, [{ name: 'init', statements: INIT }]);
  const file = path.join(dir, 'app.db');
  const write = openWriteConnection(file, { busyTimeoutMs: 1000, create: true });
  opened.push(write);
  ensureAuditTable(write, 'audit_log');
  const services: MigrationServices = {
    read: openReadConnection(file, { busyTimeoutMs: 1000 }),
    write,
    tables: serverTables({ auditTable: 'audit_log' }),
    audit: new AuditLog(write, 'audit_log'),
    backupDir: path.join(dir, 'backups'),
    config: { readOnly: false, allowDestructive: false, busyTimeoutMs: 1000, ...config },
    project: { outDir, migrationsTable: '__drizzle_migrations', dbFile: file, root: dir },
    auditFile: file,
    // The jobs run in this process here; the server runs them in its killable query host (migrations/jobs.ts).
    migrations: inProcessMigrations,
    consent: testConsentRoom(),
    exclusive: async (fn) => fn(),
  };
  opened.push(services.read);
  await applyMigrations(write, readMigrationFolder(outDir));
  write.exec(
    "INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'bob'); INSERT INTO posts VALUES (1, 1, 'hi');",
  );
  if (pending.length) appendFixtureMigration(outDir, { name: 'next', statements: pending });
  return { services, file };
}

describe('applyPendingMigrations', () => {
  it('answers up_to_date when nothing is pending, and says nothing changed', async () => {
    const { services } = await project([]);
    const call = recordingContext(services);
    expect(await applyPendingMigrations(call.context, { dryRun: false })).toStrictEqual({
      status: 'up_to_date',
    });
    expect(call.details).toStrictEqual({ changed: false });
    expect(call.committed).toBe(false);
  });

  it('rehearses on a copy in a dry run: the plan shows the effect, the database and ledger stay as they were', async () => {
    const { services } = await project(['ALTER TABLE `posts` ADD `body` text;', 'DELETE FROM `posts`;']);
    const call = recordingContext(services);
    const outcome = await applyPendingMigrations(call.context, { dryRun: true });
    expect(outcome.status).toBe('dry_run');
    if (outcome.status !== 'dry_run') return;
    expect(outcome.plan.report.ok).toBe(true);
    expect(outcome.plan.report.rowsLost).toStrictEqual([{ table: 'posts', before: 1, after: 0 }]);
    // Our own audit table is never listed among the app's row counts.
    expect(outcome.plan.rowCounts.map((count) => count.table)).toStrictEqual(['posts', 'users']);
    expect(outcome.plan.consent).toStrictEqual({
      required: true,
      decision: 'a person will be asked to approve the plan when applying',
    });
    expect(readLedger(services.read)).toHaveLength(1);
    expect(services.read.prepare('SELECT count(*) FROM posts').pluck().get()).toBe(1);
    expect(call.committed).toBe(false);
    expect(call.target).toStrictEqual({ type: 'migration', id: '0001_next' });
  });

  it('applies with a backup first, and commits the ok row with the migrations', async () => {
    const { services } = await project(['ALTER TABLE `users` ADD `email` text;']);
    const call = recordingContext(services);
    const outcome = await applyPendingMigrations(call.context, { dryRun: false });
    expect(outcome.status).toBe('applied');
    if (outcome.status !== 'applied') return;
    expect(outcome.applied).toStrictEqual(['0001_next']);
    expect(listBackups(services.backupDir).map((backup) => backup.id)).toStrictEqual([
      outcome.backup.info.id,
    ]);
    expect(readLedger(services.read)).toHaveLength(2);
    expect(call.committed).toBe(true);
    const [row] = services.audit.read({ limit: 1 }).rows;
    expect(JSON.parse(row!.details!)).toMatchObject({
      applied: [{ tag: '0001_next' }],
      backup: { id: outcome.backup.info.id },
    });
    expect(services.audit.verify().ok).toBe(true);
  });

  it('refuses data loss without the human: CONSENT_REQUIRED, nothing applied, nothing backed up', async () => {
    const { services } = await project(['DELETE FROM `posts`;']);
    const call = recordingContext(services);
    await expect(applyPendingMigrations(call.context, { dryRun: false })).rejects.toMatchObject({
      code: 'CONSENT_REQUIRED',
    });
    expect(readLedger(services.read)).toHaveLength(1);
    expect(listBackups(services.backupDir)).toStrictEqual([]);
    expect(call.committed).toBe(false);
  });

  it('asks the human when the client can, and applies only on an explicit tick', async () => {
    const { services } = await project(['DELETE FROM `posts`;']);
    const declined = recordingContext(services, { elicit: () => ({ action: 'accept', content: {} }) });
    await expect(applyPendingMigrations(declined.context, { dryRun: false })).rejects.toMatchObject({
      code: 'CONSENT_REQUIRED',
    });
    const ticked = recordingContext(services, {
      elicit: () => ({ action: 'accept', content: { approve: true } }),
    });
    const outcome = await applyPendingMigrations(ticked.context, { dryRun: false });
    expect(outcome.status).toBe('applied');
    expect(ticked.asked[0]?.message).toMatch(/Dry run: posts: 1 → 0 rows/);
    expect(ticked.asked[0]?.message).toMatch(/• posts: 1 → 0/);
    expect(ticked.details).toMatchObject({ consent: { channel: 'elicitation', decision: 'approve' } });
    expect(outcome.status === 'applied' && outcome.plan.consent).toMatchObject({
      required: true,
      decision: 'approved by the person via elicitation',
    });
  });

  it("refuses a migration that writes the server's own tables, dry run included", async () => {
    const { services } = await project(["UPDATE `audit_log` SET `tool` = 'x';"]);
    for (const dryRun of [true, false]) {
      await expect(
        applyPendingMigrations(recordingContext(services).context, { dryRun }),
      ).rejects.toMatchObject({
        code: 'PROTECTED_TABLE',
      });
    }
    expect(readLedger(services.read)).toHaveLength(1);
  });

  it('refuses in read-only mode before backing anything up', async () => {
    const { services } = await project(['ALTER TABLE `users` ADD `email` text;'], { readOnly: true });
    await expect(
      applyPendingMigrations(recordingContext(services).context, { dryRun: false }),
    ).rejects.toMatchObject({
      code: 'READ_ONLY_MODE',
    });
    expect(listBackups(services.backupDir)).toStrictEqual([]);
  });
});

describe('data changed is data lost (issue 11 class 2): migrations that change existing rows need the human', () => {
  const cases: Array<{
    name: string;
    sql: string;
    changes: string[];
    consent: boolean;
    /** The plan's rows per table (what the card and the review page show, and what its hash covers). */
    deltas?: unknown[];
  }> = [
    {
      name: 'an UPDATE of existing rows',
      sql: 'UPDATE `users` SET `name` = upper(`name`);',
      changes: ['users: 2 rows updated'],
      consent: true,
      deltas: [{ table: 'users', before: 2, after: 2, changed: 2 }],
    },
    {
      name: 'an upsert that overwrites a row',
      sql: "INSERT INTO `users` (`id`, `name`) VALUES (1, 'eve'), (7, 'new') ON CONFLICT(`id`) DO UPDATE SET `name` = excluded.`name`;",
      changes: ['users: 1 row updated'],
      consent: true,
      deltas: [{ table: 'users', before: 2, after: 3, changed: 1 }],
    },
    {
      name: 'a REPLACE of an existing row',
      sql: "REPLACE INTO `users` (`id`, `name`) VALUES (2, 'bo');",
      changes: ['users: 1 row updated'],
      consent: true,
      deltas: [{ table: 'users', before: 2, after: 2, changed: 1 }],
    },
    {
      name: 'a DELETE that leaves no row count behind (one deleted, one inserted)',
      sql: "DELETE FROM `posts` WHERE `id` = 1;--> statement-breakpoint\nINSERT INTO `posts` VALUES (9, 2, 'swap');",
      changes: ['posts: 1 row deleted'],
      consent: true,
      deltas: [{ table: 'posts', before: 1, after: 1 }],
    },
    {
      name: 'an insert-only seed',
      sql: "INSERT INTO `users` (`id`, `name`) VALUES (5, 'new');",
      changes: [],
      consent: false,
    },
  ];
  for (const kase of cases) {
    it(`${kase.consent ? 'asks about' : 'does not ask about'} ${kase.name}, showing how many rows of which tables`, async () => {
      const { services } = await project(kase.sql.split('--> statement-breakpoint\n'));
      const dry = await applyPendingMigrations(recordingContext(services).context, { dryRun: true });
      if (dry.status !== 'dry_run') throw new Error(dry.status);
      expect(
        dry.plan.rowChanges.map(
          (c) =>
            `${c.table}: ${c.updated ? `${c.updated} row${c.updated === 1 ? '' : 's'} updated` : `${c.deleted} row${c.deleted === 1 ? '' : 's'} deleted`}`,
        ),
      ).toEqual(kase.changes);
      expect(dry.plan.consent !== undefined).toBe(kase.consent);
      const silent = recordingContext(services);
      if (!kase.consent) {
        expect((await applyPendingMigrations(silent.context, { dryRun: false })).status).toBe('applied');
        return;
      }
      await expect(applyPendingMigrations(silent.context, { dryRun: false })).rejects.toMatchObject({
        code: 'CONSENT_REQUIRED',
      });
      expect(readLedger(services.read)).toHaveLength(1);
      const asked = recordingContext(services, {
        elicit: () => ({ action: 'accept', content: { approve: true } }),
      });
      expect((await applyPendingMigrations(asked.context, { dryRun: false })).status).toBe('applied');
      const message = asked.asked[0]!.message;
      for (const change of kase.changes) expect(message).toContain(change);
      expect(message).toContain('0001_next statement 1:');
      // The approved plan carries the per-table changes as effects (hashed with the rest), and marks the
      // statement that rewrites rows.
      const { planId } = asked.details.consent as { planId: string };
      const approved = services.consent.ledger.get(planId)!.plan;
      expect(approved.effects.rowDeltas).toStrictEqual(kase.deltas);
      expect(approved.reasons.map((r) => r.code)).toContain('data_change');
      expect(approved.steps[0]!.statements.some((st) => st.risk === 'data_change')).toBe(true);
      expect(services.audit.verify().ok).toBe(true);
    });
  }
});

describe('an approved plan is not a blank cheque (issue 11 class 2 with the consent ladder)', () => {
  it('rolls back an approved apply whose measured effects differ from the plan the person approved', async () => {
    // The first statement rewrites both users in the rehearsal (so a person must approve); the second tells
    // the copy from the real file and rewrites them again only there: more than the plan showed.
    const { services } = await project([
      'UPDATE `users` SET `name` = upper(`name`);',
      "UPDATE `users` SET `name` = 'pwned' WHERE (SELECT file FROM pragma_database_list WHERE name = 'main') <> '';",
    ]);
    const asked = recordingContext(services, {
      elicit: () => ({ action: 'accept', content: { approve: true } }),
    });
    await expect(applyPendingMigrations(asked.context, { dryRun: false })).rejects.toMatchObject({
      message: expect.stringMatching(/did something else on the real database than in the dry run/),
    });
    const { planId } = asked.details.consent as { planId: string };
    const approved = services.consent.ledger.get(planId)!.plan;
    // What the person approved: two rows rewritten once; what ran on the file was rolled back whole.
    expect(approved.effects.rowDeltas).toStrictEqual([{ table: 'users', before: 2, after: 2, changed: 2 }]);
    expect(services.read.prepare('SELECT name FROM users ORDER BY id').pluck().all()).toStrictEqual([
      'ada',
      'bob',
    ]);
    expect(readLedger(services.read)).toHaveLength(1);
    expect(services.audit.verify().ok).toBe(true);
  });
});
