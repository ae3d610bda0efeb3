// Consent that the model cannot forge: a migration that drops data is applied only when a person approves its plan
// through elicitation or the operator launched the server with --allow-destructive; the approval is bound to the
// plan's hash (the rehearsed set among it) and recorded in the audit row with its channel. And restore_backup,
// which undoes changes only with the same consent and keeps the audit trail whole. (The App card, the review page
// and failing closed: consent-ladder.test.ts.)
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness, type HarnessOptions } from '../helpers/mcp.js';
import { removeDir } from '../helpers/project.js';
import {
  answeringElicitation,
  columnsOf,
  count,
  editSchema,
  embeddedProject,
  seedEmbedded,
  withDb,
  type Json,
} from './migration-tools-support.js';

let project: string;
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  removeDir(project);
});

/** A fresh default with data and a generated (pending) migration dropping check_ins.sleep_hours. */
async function withPendingDrop(
  options: HarnessOptions = {},
  argv: string[] = [],
): Promise<{ h: Harness; dbFile: string }> {
  project = embeddedProject();
  const dbFile = path.join(project, 'data/app.db');
  h = await startHarness({ ...options, argv: ['--project', project, ...argv] });
  seedEmbedded(dbFile);
  editSchema(project, "sleepHours: real('sleep_hours'),\n", '');
  const generated = await h.ok<Json>('generate_migration', { name: 'drop sleep hours' });
  expect(generated.findings).toStrictEqual([expect.objectContaining({ code: 'DS103', dataLoss: true })]);
  return { h, dbFile };
}

const lastAudit = async (harness: Harness, tool: string): Promise<Json> =>
  (await harness.ok<Json>('read_audit_log', { tool, limit: 1 })).rows[0];

describe('data-loss consent for apply_migrations', () => {
  it('asks the human through elicitation, showing the finding and the row counts, and applies on accept', async () => {
    const human = answeringElicitation(() => ({ action: 'accept', content: { approve: true } }));
    const { h, dbFile } = await withPendingDrop(human);
    const applied = await h.ok<Json>('apply_migrations', {});
    expect(applied).toMatchObject({
      status: 'applied',
      applied: ['0001_drop_sleep_hours'],
      consent: {
        required: true,
        decision: 'approved by the person via elicitation',
        planId: expect.stringMatching(/^plan_/),
      },
    });
    expect(human.log.requests).toHaveLength(1);
    const question = human.log.requests[0] as Json;
    expect(question.message).toMatch(/0001_drop_sleep_hours: DS103/);
    expect(question.message).toMatch(/⚠ ALTER TABLE `check_ins` DROP COLUMN `sleep_hours`/);
    expect(question.message).toMatch(/drop column check_ins\.sleep_hours/);
    expect(question.requestedSchema.properties.approve.type).toBe('boolean');
    withDb(dbFile, (db) => {
      expect(columnsOf(db, 'check_ins')).not.toContain('sleep_hours');
      expect(count(db, 'check_ins')).toBe(3);
    });
    const audit = await lastAudit(h, 'apply_migrations');
    expect(audit).toMatchObject({ outcome: 'ok', target: 'migration:0001_drop_sleep_hours' });
    expect(audit.details.consent).toMatchObject({
      planId: applied.consent.planId,
      planHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      channel: 'elicitation',
      decision: 'approve',
    });
  });

  it('applies nothing when the human declines, or accepts without ticking confirm', async () => {
    let answer: Json = { action: 'decline' };
    const human = answeringElicitation(() => answer as never);
    const { h, dbFile } = await withPendingDrop(human);
    const declined = await h.call('apply_migrations', {});
    expect(declined.isError).toBe(true);
    expect(errorTextOf(declined)).toMatch(/The person declined \(plan plan_[\w-]{12}\): nothing was applied/);
    expect(errorTextOf(declined)).toMatch(/CONSENT_REQUIRED/);
    answer = { action: 'accept', content: { approve: false } };
    const unconfirmed = await h.call('apply_migrations', {});
    expect(errorTextOf(unconfirmed)).toMatch(/did not tick the approval/);
    withDb(dbFile, (db) => expect(columnsOf(db, 'check_ins')).toContain('sleep_hours'));
    expect((await h.ok<Json>('migration_status')).counts.pending).toBe(1);
    const audit = await lastAudit(h, 'apply_migrations');
    expect(audit).toMatchObject({ outcome: 'refused', errorCode: 'CONSENT_REQUIRED' });
    expect(audit.details.consent).toMatchObject({
      channel: 'elicitation',
      decision: 'decline',
      answer: 'not_ticked',
    });
    // No backup was taken (the folder may hold only the audit chain's anchor, audit/anchor.ts, and its .gitignore).
    const backups = path.join(project, 'data/backups');
    expect(
      fs.existsSync(backups)
        ? fs.readdirSync(backups).filter((f) => !f.endsWith('.anchor.json') && f !== '.gitignore')
        : [],
    ).toEqual([]);
  });

  it('applies without asking when the human launched the server with --allow-destructive, and says so in the audit row', async () => {
    const human = answeringElicitation(() => ({ action: 'decline' }));
    const { h, dbFile } = await withPendingDrop(human, ['--allow-destructive']);
    const applied = await h.ok<Json>('apply_migrations', {});
    expect(applied.consent).toStrictEqual({
      required: true,
      decision: 'operator at launch (--allow-destructive)',
      planId: expect.stringMatching(/^plan_/),
    });
    expect(human.log.requests).toHaveLength(0);
    withDb(dbFile, (db) => expect(columnsOf(db, 'check_ins')).not.toContain('sleep_hours'));
    expect((await lastAudit(h, 'apply_migrations')).details.consent).toMatchObject({
      channel: 'launch_option',
      decision: 'approve',
      by: 'operator at launch (--allow-destructive)',
    });
  });

  it('binds consent to the rehearsed migrations: a migration added while the human was asked is not applied', async () => {
    const meanwhile: { sneak?: () => void } = {};
    const human = answeringElicitation(() => {
      meanwhile.sneak?.();
      return { action: 'accept', content: { approve: true } };
    });
    const { h, dbFile } = await withPendingDrop(human);
    meanwhile.sneak = () => {
      // Another migration appears between the dry run and the apply (a teammate's branch, another session).
      const outDir = path.join(project, 'drizzle');
      const journal = JSON.parse(fs.readFileSync(path.join(outDir, 'meta/_journal.json'), 'utf8'));
      const last = journal.entries.at(-1);
      journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1, tag: '0002_sneaky' });
      fs.writeFileSync(path.join(outDir, '0002_sneaky.sql'), 'DROP TABLE `sessions`;');
      fs.copyFileSync(
        path.join(outDir, 'meta/0001_snapshot.json'),
        path.join(outDir, 'meta/0002_snapshot.json'),
      );
      fs.writeFileSync(path.join(outDir, 'meta/_journal.json'), JSON.stringify(journal, null, 2));
    };
    const result = await h.call('apply_migrations', {});
    expect(result.isError).toBe(true);
    expect(errorTextOf(result)).toMatch(/MIGRATION_CONFLICT/);
    expect(errorTextOf(result)).toMatch(/pending migrations changed/);
    withDb(dbFile, (db) => {
      expect(columnsOf(db, 'check_ins')).toContain('sleep_hours');
      expect(count(db, 'sessions')).toBe(1);
    });
  });
});

describe('restore_backup', () => {
  it('restores a backup with the human’s consent, keeping every audit row and a valid chain', async () => {
    const human = answeringElicitation(() => ({ action: 'accept', content: { approve: true } }));
    const { h, dbFile } = await withPendingDrop(human);
    const applied = await h.ok<Json>('apply_migrations', {});
    withDb(dbFile, (db) =>
      db.exec(`INSERT INTO users (id, email, username) VALUES ('u3', 'cy@example.com', 'cy')`),
    );
    await h.ok('inspect_schema', { tables: ['users'] });
    const before = await h.ok<Json>('read_audit_log', { limit: 200 });

    const restored = await h.ok<Json>('restore_backup', { backupId: applied.backup.id });
    expect(restored).toMatchObject({
      restored: { id: applied.backup.id, reason: 'before applying 0001_drop_sleep_hours' },
      consent: { required: true, decision: 'approved by the person via elicitation' },
      changesUndone: [expect.stringMatching(/apply_migrations \(migration:0001_drop_sleep_hours\)/)],
    });
    expect(restored.auditRowsCarriedOver).toBeGreaterThanOrEqual(3);
    const question = human.log.requests.at(-1)!.message;
    expect(question).toMatch(/1 change recorded after the backup would be undone/);
    expect(question).toMatch(/users: 3 → 2/);
    withDb(dbFile, (db) => {
      expect(columnsOf(db, 'check_ins')).toContain('sleep_hours');
      expect(count(db, 'users')).toBe(2);
    });

    const after = await h.ok<Json>('read_audit_log', { limit: 200, verify: true });
    expect(after.chain).toMatchObject({ ok: true });
    const ids = (rows: Json[]) => rows.map((row) => row.id);
    expect(ids(after.rows)).toStrictEqual(expect.arrayContaining(ids(before.rows)));
    const restoreRow = after.rows.find((row: Json) => row.tool === 'restore_backup' && row.outcome === 'ok');
    expect(restoreRow).toMatchObject({ target: `backup:${applied.backup.id}` });
    expect(restoreRow.details).toMatchObject({
      restored: applied.backup.id,
      safetyBackup: restored.safetyBackup.id,
    });
    // Exactly one row for the restore call (the registry did not add a second one).
    expect(after.rows.filter((row: Json) => row.tool === 'restore_backup')).toHaveLength(1);

    const status = await h.ok<Json>('migration_status');
    expect(status.counts).toMatchObject({ applied: 1, pending: 1 });

    // The restore is itself undoable, from the safety backup, which already knows the restore came after it.
    const listed = await h.ok<Json>('restore_backup', {});
    const safety = listed.backups.find((backup: Json) => backup.id === restored.safetyBackup.id);
    expect(safety).toMatchObject({
      changesAfter: 1,
      lastChangeAfter: expect.stringMatching(/restore_backup/),
    });
    await h.ok('restore_backup', { backupId: restored.safetyBackup.id });
    withDb(dbFile, (db) => {
      expect(columnsOf(db, 'check_ins')).not.toContain('sleep_hours');
      expect(count(db, 'users')).toBe(3);
    });
    expect((await h.ok<Json>('read_audit_log', { verify: true, limit: 1 })).chain).toMatchObject({
      ok: true,
    });
  });

  it('restores without asking under --allow-destructive, and counts the restore as a change after earlier backups', async () => {
    const { h: first } = await withPendingDrop({}, ['--allow-destructive']);
    const applied = await first.ok<Json>('apply_migrations', {});
    const restored = await first.ok<Json>('restore_backup', { backupId: applied.backup.id });
    expect(restored.consent).toStrictEqual({
      required: true,
      decision: 'operator at launch (--allow-destructive)',
      planId: expect.stringMatching(/^plan_/),
    });
    const listed = await first.ok<Json>('restore_backup', {});
    expect(listed.backups.find((backup: Json) => backup.id === restored.safetyBackup.id).changesAfter).toBe(
      1,
    );
    // The apply (carried over verbatim) and the restore both came after the apply's backup.
    expect(listed.backups.find((backup: Json) => backup.id === applied.backup.id).changesAfter).toBe(2);
    expect((await first.ok<Json>('read_audit_log', { verify: true, limit: 1 })).chain).toMatchObject({
      ok: true,
    });
  });

  it('keeps the audit log whole with --audit-db too (the restore does not touch it)', async () => {
    project = embeddedProject();
    const auditDb = path.join(project, 'audit.db');
    h = await startHarness({ argv: ['--project', project, '--audit-db', auditDb, '--allow-destructive'] });
    seedEmbedded(path.join(project, 'data/app.db'));
    editSchema(project, "notes: text('notes'),", "notes: text('notes'),\n    energy: integer('energy'),");
    await h.ok('generate_migration', { name: 'energy' });
    const applied = await h.ok<Json>('apply_migrations', {});
    const restored = await h.ok<Json>('restore_backup', { backupId: applied.backup.id });
    expect(restored.auditRowsCarriedOver).toBeUndefined();
    expect(restored.changesUndone).toHaveLength(1);
    withDb(path.join(project, 'data/app.db'), (db) =>
      expect(columnsOf(db, 'check_ins')).not.toContain('energy'),
    );
    const log = await h.ok<Json>('read_audit_log', { verify: true, limit: 3 });
    expect(log.chain).toMatchObject({ ok: true });
    expect(log.rows.map((row: Json) => row.tool)).toStrictEqual([
      'restore_backup',
      'apply_migrations',
      'generate_migration',
    ]);
  });

  it('refuses a damaged backup and changes nothing', async () => {
    const { h, dbFile } = await withPendingDrop({}, ['--allow-destructive']);
    const applied = await h.ok<Json>('apply_migrations', {});
    fs.appendFileSync(applied.backup.path, 'garbage');
    const result = await h.call('restore_backup', { backupId: applied.backup.id });
    expect(errorTextOf(result)).toMatch(/damaged/);
    expect(errorTextOf(result)).toMatch(/BACKUP_FAILED/);
    withDb(dbFile, (db) => expect(columnsOf(db, 'check_ins')).not.toContain('sleep_hours'));
  });
});
