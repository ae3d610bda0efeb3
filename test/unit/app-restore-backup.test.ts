// Restoring a backup without MCP: real SQLite files, real backups, a recording call context.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listBackupsWithChanges,
  restoreFromBackup,
  type RestoreServices,
} from '../../src/app/restore-backup.js';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import { serverTables } from '../../src/guard/server-tables.js';
import { createBackup, listBackups } from '../../src/migrations/backup.js';
import { openWriteConnection, type SqliteDatabase } from '../../src/sqlite/connection.js';
import { recordingContext } from '../helpers/call-context.js';
import { testConsentRoom } from '../helpers/consent-room.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';

const CHANGING = ['execute_sql', 'apply_migrations', 'restore_backup'];
const opened: SqliteDatabase[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const change = (tool: string, rowsAffected: number): AuditEntry => ({
  createdAt: new Date().toISOString(),
  tool,
  outcome: 'ok',
  durationMs: 1,
  rowsAffected,
});

/** notes(body) with 'one', a backup of that, then 'two' added by a recorded change. */
async function world(options: { separateAudit?: boolean; allowDestructive?: boolean } = {}) {
  const dir = makeTempDir('dsm-app-restore-');
  dirs.push(dir);
  const dbFile = path.join(dir, 'app.db');
  const write = openWriteConnection(dbFile, { busyTimeoutMs: 1000, create: true });
  opened.push(write);
  write.exec("CREATE TABLE notes (body text); INSERT INTO notes VALUES ('one');");
  const auditDb = options.separateAudit
    ? openWriteConnection(path.join(dir, 'audit.db'), { busyTimeoutMs: 1000, create: true })
    : write;
  if (auditDb !== write) opened.push(auditDb);
  ensureAuditTable(auditDb, 'audit_log');
  const audit = new AuditLog(auditDb, 'audit_log');
  audit.append(change('apply_migrations', 1));
  const services: RestoreServices = {
    write,
    tables: serverTables({ auditInProjectDb: !options.separateAudit }),
    audit,
    backupDir: path.join(dir, 'backups'),
    config: { readOnly: false, allowDestructive: options.allowDestructive ?? false },
    project: { dbFile, root: dir },
    consent: testConsentRoom(),
    exclusive: async (fn) => fn(),
  };
  const backup = await createBackup(write, services.backupDir, {
    reason: 'checkpoint',
    auditHighWater: audit.tail().id,
  });
  write.exec("INSERT INTO notes VALUES ('two')");
  audit.append(change('execute_sql', 1));
  audit.append(change('execute_sql', 0)); // changed nothing: a restore does not undo it
  const bodies = () => write.prepare('SELECT body FROM notes ORDER BY rowid').pluck().all();
  return { services, backup, bodies, write };
}

describe('listBackupsWithChanges', () => {
  it('lists each backup with the recorded changes a restore would undo', async () => {
    const { services, backup } = await world();
    const { backups, total } = listBackupsWithChanges(services, CHANGING, 20);
    expect(total).toBe(1);
    expect(backups.map((b) => [b.backup.id, b.changes?.map((row) => row.tool)])).toStrictEqual([
      [backup.id, ['execute_sql']],
    ]);
  });
});

describe('restoreFromBackup', () => {
  it('refuses to undo recorded changes without the human, and changes nothing', async () => {
    const { services, backup, bodies } = await world();
    const call = recordingContext(services);
    await expect(restoreFromBackup(call.context, { backupId: backup.id }, CHANGING)).rejects.toMatchObject({
      code: 'CONSENT_REQUIRED',
    });
    expect(bodies()).toStrictEqual(['one', 'two']);
    expect(listBackups(services.backupDir)).toHaveLength(1);
    expect(call.committed).toBe(false);
    expect(call.details).toMatchObject({ consent: { decision: 'unavailable' } });
  });

  it('restores with the audit trail carried over and its own row in the same page copy', async () => {
    const { services, backup, bodies } = await world({ allowDestructive: true });
    const before = services.audit.tail().id;
    const call = recordingContext(services);
    const outcome = await restoreFromBackup(call.context, { backupId: backup.id }, CHANGING);
    expect(bodies()).toStrictEqual(['one']);
    expect(outcome.auditRowsCarriedOver).toBe(2);
    expect(outcome.changes?.map((row) => row.tool)).toStrictEqual(['execute_sql']);
    expect(outcome.consent).toStrictEqual({
      required: true,
      decision: 'operator at launch (--allow-destructive)',
      planId: expect.stringMatching(/^plan_/),
    });
    expect(call.committed).toBe(true);
    // Every row the live log had is still there, then this call's own, and the chain holds.
    expect(services.audit.tail().id).toBe(before + 1);
    expect(services.audit.verify()).toStrictEqual({ ok: true, checkedRows: before + 1 });
    expect(JSON.parse(services.audit.read({ limit: 1 }).rows[0]!.details!)).toMatchObject({
      restored: backup.id,
      safetyBackup: outcome.safetyBackup.id,
    });
    // The safety backup holds what was replaced.
    expect(listBackups(services.backupDir).map((b) => b.id)).toContain(outcome.safetyBackup.id);
  });

  it('with the audit log in its own file, restores the data and leaves the audit file to the registry', async () => {
    const { services, backup, bodies } = await world({ separateAudit: true, allowDestructive: true });
    const before = services.audit.tail().id;
    const call = recordingContext(services);
    const outcome = await restoreFromBackup(call.context, { backupId: backup.id }, CHANGING);
    expect(bodies()).toStrictEqual(['one']);
    expect(outcome.auditRowsCarriedOver).toBeUndefined();
    expect(services.audit.tail().id).toBe(before);
    expect(call.committed).toBe(false);
  });

  it('refuses a damaged backup before anything is backed up or changed', async () => {
    const { services, backup, bodies } = await world({ allowDestructive: true });
    fs.appendFileSync(backup.path, 'garbage');
    await expect(
      restoreFromBackup(recordingContext(services).context, { backupId: backup.id }, CHANGING),
    ).rejects.toMatchObject({
      code: 'BACKUP_FAILED',
    });
    expect(bodies()).toStrictEqual(['one', 'two']);
    expect(listBackups(services.backupDir)).toHaveLength(1);
  });
});

describe('restore asks whenever it would undo anything (issue 11 class 5)', () => {
  /** A backup of notes('one') with the audit log at that point, then `after` run on the live database. */
  async function quiet(after: string) {
    const dir = makeTempDir('dsm-app-restore-');
    dirs.push(dir);
    const dbFile = path.join(dir, 'app.db');
    const write = openWriteConnection(dbFile, { busyTimeoutMs: 1000, create: true });
    opened.push(write);
    write.exec(
      "CREATE TABLE notes (id integer PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'one');",
    );
    ensureAuditTable(write, 'audit_log');
    const audit = new AuditLog(write, 'audit_log');
    audit.append(change('apply_migrations', 1));
    const services: RestoreServices = {
      write,
      tables: serverTables({ auditTable: 'audit_log' }),
      audit,
      backupDir: path.join(dir, 'backups'),
      config: { readOnly: false, allowDestructive: false },
      project: { dbFile, root: dir },
      consent: testConsentRoom(),
      exclusive: async (fn) => fn(),
    };
    const backup = await createBackup(write, services.backupDir, {
      reason: 'checkpoint',
      auditHighWater: audit.tail().id,
    });
    // Calls that changed nothing still append audit rows: they are not content the restore would undo.
    audit.append(change('run_query', 0));
    if (after) write.exec(after);
    const content = () => write.prepare('SELECT * FROM notes ORDER BY id').all();
    return { services, backup, content };
  }

  const cases: Array<{ name: string; after: string; replaced: string[] }> = [
    {
      name: 'rows the application inserted itself',
      after: "INSERT INTO notes VALUES (2, 'app')",
      replaced: ['notes: 2 rows now, 1 row in the backup'],
    },
    {
      name: 'a row the application edited (same count)',
      after: "UPDATE notes SET body = 'edited'",
      replaced: ['notes: 1 row now, 1 row in the backup (same count, different content)'],
    },
    {
      name: 'a row the application deleted',
      after: 'DELETE FROM notes',
      replaced: ['notes: 0 rows now, 1 row in the backup'],
    },
    {
      name: 'a table created out of band',
      after: 'CREATE TABLE extra (x)',
      replaced: ['extra: 0 rows now, no table in the backup'],
    },
    {
      name: 'a column added out of band',
      after: 'ALTER TABLE notes ADD COLUMN tag text',
      replaced: ['notes: 1 row now, 1 row in the backup (its definition differs)'],
    },
  ];
  for (const kase of cases) {
    it(`asks before undoing ${kase.name}, which no audit row records`, async () => {
      const { services, backup, content } = await quiet(kase.after);
      const before = content();
      const call = recordingContext(services);
      const refused = await restoreFromBackup(call.context, { backupId: backup.id }, CHANGING).then(
        () => undefined,
        (error: unknown) => error,
      );
      // Failing closed names what would be replaced; nothing changed.
      expect(refused).toMatchObject({
        code: 'CONSENT_REQUIRED',
        message: expect.stringContaining(kase.replaced[0]!),
      });
      expect(content()).toEqual(before);
      const asked = recordingContext(services, {
        elicit: () => ({ action: 'accept', content: { approve: true } }),
      });
      const outcome = await restoreFromBackup(asked.context, { backupId: backup.id }, CHANGING);
      expect(outcome.consent.required).toBe(true);
      // The plan the person approved lists the table and its rows (the card and the review page show the same plan).
      expect(asked.asked[0]!.message).toContain(kase.replaced[0]);
      expect(asked.details).toMatchObject({ tablesReplaced: [kase.replaced[0]!.split(':')[0]] });
      expect(services.audit.verify().ok).toBe(true);
    });
  }

  it('restores without asking when nothing would be undone (only audit rows came after)', async () => {
    const { services, backup } = await quiet('');
    const outcome = await restoreFromBackup(
      recordingContext(services).context,
      { backupId: backup.id },
      CHANGING,
    );
    expect(outcome.consent).toEqual({
      required: false,
      decision: 'the live content is the same as the backup’s',
    });
    expect(outcome.differences).toEqual([]);
  });
});
