// Bad input and faults around the migration tools: each ends with the database fully before (or after), the ledger
// consistent with it, a clear error naming what to do, and an audit row.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/migrations/ledger.js';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { removeDir } from '../helpers/project.js';
import {
  columnsOf,
  editSchema,
  embeddedProject,
  openDb,
  seedEmbedded,
  withDb,
  type Json,
} from './migration-tools-support.js';

let project: string;
let dbFile: string;
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  removeDir(project);
});

async function start(argv: string[] = []): Promise<Harness> {
  dbFile = path.join(project, 'data/app.db');
  h = await startHarness({ argv: ['--project', project, ...argv] });
  return h;
}

function fresh(): void {
  project = embeddedProject();
}

/** A custom migration with these statements, written through generate_migration and then filled in by hand. */
async function customMigration(harness: Harness, name: string, statements: string[]): Promise<string> {
  const custom = await harness.ok<Json>('generate_migration', { custom: true, name });
  fs.writeFileSync(path.join(project, custom.files[0]), statements.join('\n--> statement-breakpoint\n'));
  return custom.tag as string;
}

const lastAudit = async (harness: Harness, tool: string): Promise<Json> =>
  (await harness.ok<Json>('read_audit_log', { tool, limit: 1 })).rows[0];
const ledgerSize = () => withDb(dbFile, (db) => readLedger(db).length);

describe('a broken migrations folder', () => {
  it('reports a corrupt journal in status, and generate and apply refuse with what to fix', async () => {
    fresh();
    const harness = await start();
    fs.writeFileSync(path.join(project, 'drizzle/meta/_journal.json'), '{ "version": "7", "entries": [ oops');
    const status = await harness.ok<Json>('migration_status');
    expect(status.consistent).toBe(false);
    expect(status.problems.join('\n')).toMatch(/JOURNAL_UNREADABLE/);
    expect(status.next).toMatch(/Fix the problems/);

    const generated = await harness.call('generate_migration', {});
    expect(errorTextOf(generated)).toMatch(/MIGRATION_CONFLICT/);
    expect(errorTextOf(generated)).toMatch(/_journal\.json/);
    const applied = await harness.call('apply_migrations', {});
    expect(errorTextOf(applied)).toMatch(/MIGRATION_CONFLICT/);
    expect(errorTextOf(applied)).toMatch(/What to do:/);
    expect(await lastAudit(harness, 'apply_migrations')).toMatchObject({
      outcome: 'error',
      errorCode: 'MIGRATION_CONFLICT',
    });
    expect(await lastAudit(harness, 'generate_migration')).toMatchObject({
      outcome: 'error',
      errorCode: 'MIGRATION_CONFLICT',
    });
    expect(ledgerSize()).toBe(1);
  });

  it('refuses to generate on top of a missing snapshot, naming it, while applying still works', async () => {
    fresh();
    const harness = await start();
    editSchema(project, "notes: text('notes'),", "notes: text('notes'),\n    energy: integer('energy'),");
    await harness.ok('generate_migration', { name: 'energy' });
    fs.rmSync(path.join(project, 'drizzle/meta/0001_snapshot.json'));
    const status = await harness.ok<Json>('migration_status');
    expect(status.warnings.join('\n')).toMatch(/SNAPSHOT_MISSING/);

    editSchema(
      project,
      "energy: integer('energy'),",
      "energy: integer('energy'),\n    focus: integer('focus'),",
    );
    const generated = await harness.call('generate_migration', {});
    expect(errorTextOf(generated)).toMatch(/MIGRATION_CONFLICT/);
    expect(errorTextOf(generated)).toMatch(/0001_snapshot\.json/);
    expect(fs.readdirSync(path.join(project, 'drizzle')).filter((f) => f.endsWith('.sql'))).toHaveLength(2);
    expect(await harness.ok<Json>('apply_migrations', {})).toMatchObject({
      status: 'applied',
      applied: ['0001_energy'],
    });
  });

  it('refuses to apply while an applied migration was edited, saying which and how to fix it', async () => {
    fresh();
    const harness = await start();
    editSchema(project, "notes: text('notes'),", "notes: text('notes'),\n    energy: integer('energy'),");
    await harness.ok('generate_migration', { name: 'energy' });
    fs.appendFileSync(path.join(project, 'drizzle/0000_init.sql'), '\n-- edited after it was applied');
    const status = await harness.ok<Json>('migration_status');
    expect(status.migrations[0]).toMatchObject({
      tag: '0000_init',
      state: 'modified',
      note: expect.stringMatching(/version control/),
    });
    const applied = await harness.call('apply_migrations', {});
    expect(errorTextOf(applied)).toMatch(/0000_init is modified/);
    expect(errorTextOf(applied)).toMatch(/MIGRATION_CONFLICT/);
    withDb(dbFile, (db) => expect(columnsOf(db, 'check_ins')).not.toContain('energy'));
  });
});

describe('a migration that fails', () => {
  it('is stopped by the dry run before any backup when a statement fails on the copy', async () => {
    fresh();
    const harness = await start();
    const tag = await customMigration(harness, 'broken', [
      'CREATE TABLE `half_done` (`a` integer);',
      'INSERT INTO `nope` VALUES (1);',
    ]);
    const dry = await harness.ok<Json>('apply_migrations', { dryRun: true });
    expect(dry.ok).toBe(false);
    expect(dry.migrations[0].error).toMatch(/statement 2 of 2[\s\S]*no such table: nope/);
    const result = await harness.call('apply_migrations', {});
    expect(errorTextOf(result)).toMatch(/dry run on a copy of the database failed, so nothing was applied/);
    expect(errorTextOf(result)).toMatch(/MIGRATION_FAILED/);
    // No backup was taken (the folder may hold only the audit chain's anchor, audit/anchor.ts).
    const backups = path.join(project, 'data/backups');
    expect(
      fs.existsSync(backups)
        ? fs.readdirSync(backups).filter((f) => !f.endsWith('.anchor.json') && f !== '.gitignore')
        : [],
    ).toEqual([]);
    withDb(dbFile, (db) =>
      expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'half_done'`).get()).toBeUndefined(),
    );
    expect(await lastAudit(harness, 'apply_migrations')).toMatchObject({
      outcome: 'error',
      errorCode: 'MIGRATION_FAILED',
      target: `migration:${tag}`,
    });
  });

  it('rolls back a migration that fails half-way on the real database: unchanged, ledger untouched, clear error, audit row', async () => {
    fresh();
    const harness = await start();
    // Passes on the in-memory dry-run copy (whose file name is ''), fails on the real file: a failure only the real
    // apply can meet, as a full disk or a concurrent writer's data would be.
    const tag = await customMigration(harness, 'half_way', [
      'CREATE TABLE `half_done` (`a` integer NOT NULL);',
      "INSERT INTO `half_done` SELECT CASE WHEN file = '' THEN 1 END FROM pragma_database_list WHERE name = 'main';",
    ]);
    expect((await harness.ok<Json>('apply_migrations', { dryRun: true })).ok).toBe(true);
    const result = await harness.call('apply_migrations', {});
    const text = errorTextOf(result);
    expect(text).toMatch(new RegExp(`Migration "${tag}" failed at statement 2 of 2`));
    expect(text).toMatch(/NOT NULL constraint failed/);
    expect(text).toMatch(/Everything was rolled back/);
    expect(text).toMatch(/MIGRATION_FAILED/);
    withDb(dbFile, (db) =>
      expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'half_done'`).get()).toBeUndefined(),
    );
    expect(ledgerSize()).toBe(1);
    const audit = await lastAudit(harness, 'apply_migrations');
    expect(audit).toMatchObject({
      outcome: 'error',
      errorCode: 'MIGRATION_FAILED',
      target: `migration:${tag}`,
    });
    expect(audit.details.backup.id).toMatch(/^\d{8}T/);
    // The backup taken before the failed apply has no changes after it: restoring it needs nobody's consent.
    const listed = await harness.ok<Json>('restore_backup', {});
    expect(listed.backups[0]).toMatchObject({ id: audit.details.backup.id, changesAfter: 0 });
    const restored = await harness.ok<Json>('restore_backup', { backupId: audit.details.backup.id });
    expect(restored.consent).toStrictEqual({
      required: false,
      decision: 'the live content is the same as the backup’s',
    });
    expect((await harness.ok<Json>('read_audit_log', { verify: true, limit: 1 })).chain).toMatchObject({
      ok: true,
    });
  });

  it('asks consent for rows the dry run shows lost even without a lint finding', async () => {
    fresh();
    const harness = await start();
    seedEmbedded(path.join(project, 'data/app.db'));
    await customMigration(harness, 'purge', ['DELETE FROM `check_ins` WHERE `mood` < 5;']);
    const dry = await harness.ok<Json>('apply_migrations', { dryRun: true });
    expect(dry).toMatchObject({ ok: true, rowsLost: ['check_ins: 3 → 0'], consent: { required: true } });
    const refused = await harness.call('apply_migrations', {});
    expect(errorTextOf(refused)).toMatch(/Dry run: check_ins: 3 → 0 rows/);
    expect(errorTextOf(refused)).toMatch(/CONSENT_REQUIRED/);
    withDb(dbFile, (db) => expect(db.prepare('SELECT count(*) FROM check_ins').pluck().get()).toBe(3));
  });

  it("refuses a migration that writes the server's own audit table", async () => {
    fresh();
    const harness = await start(['--allow-destructive']);
    await customMigration(harness, 'scrub', ['DELETE FROM `audit_log`;']);
    const result = await harness.call('apply_migrations', {});
    expect(errorTextOf(result)).toMatch(/PROTECTED_TABLE/);
    expect((await harness.ok<Json>('read_audit_log', { verify: true, limit: 1 })).chain).toMatchObject({
      ok: true,
      checkedRows: expect.any(Number),
    });
    expect(ledgerSize()).toBe(1);
  });
});

describe('the environment', () => {
  it('fails with DATABASE_LOCKED after the bounded wait while another process holds the write lock, then applies once it is gone', async () => {
    fresh();
    const auditDb = path.join(project, 'audit.db');
    const harness = await start(['--busy-timeout-ms', '200', '--audit-db', auditDb]);
    editSchema(project, "notes: text('notes'),", "notes: text('notes'),\n    energy: integer('energy'),");
    await harness.ok('generate_migration', { name: 'energy' });
    const other = openDb(dbFile);
    other.exec('BEGIN IMMEDIATE');
    try {
      const result = await harness.call('apply_migrations', {});
      expect(errorTextOf(result)).toMatch(/DATABASE_LOCKED/);
      expect(errorTextOf(result)).toMatch(/locked by another connection or process/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    withDb(dbFile, (db) => expect(columnsOf(db, 'check_ins')).not.toContain('energy'));
    expect(await lastAudit(harness, 'apply_migrations')).toMatchObject({
      outcome: 'error',
      errorCode: 'DATABASE_LOCKED',
    });
    expect(await harness.ok<Json>('apply_migrations', {})).toMatchObject({ status: 'applied' });
  });

  it('fails with BACKUP_FAILED and applies nothing when the backup folder cannot be written', async () => {
    fresh();
    const blocker = path.join(project, 'not-a-folder');
    fs.writeFileSync(blocker, 'a file where the backups folder should be');
    const harness = await start(['--backup-dir', path.join(blocker, 'backups')]);
    editSchema(project, "notes: text('notes'),", "notes: text('notes'),\n    energy: integer('energy'),");
    await harness.ok('generate_migration', { name: 'energy' });
    const result = await harness.call('apply_migrations', {});
    expect(errorTextOf(result)).toMatch(/BACKUP_FAILED/);
    expect(errorTextOf(result)).toMatch(/--backup-dir/);
    withDb(dbFile, (db) => expect(columnsOf(db, 'check_ins')).not.toContain('energy'));
    expect(ledgerSize()).toBe(1);
    expect(await lastAudit(harness, 'apply_migrations')).toMatchObject({
      outcome: 'error',
      errorCode: 'BACKUP_FAILED',
    });
  });

  it('refuses edit_schema, generate, apply and restore in --read-only mode while status still answers', async () => {
    fresh();
    await (await start()).close();
    h = undefined;
    editSchema(project, "notes: text('notes'),", "notes: text('notes'),\n    energy: integer('energy'),");
    const harness = await start(['--read-only']);
    const { tools } = await harness.client.listTools();
    expect(tools.find((tool) => tool.name === 'apply_migrations')!.description).toMatch(/Disabled/);
    const schemaBefore = fs.readFileSync(path.join(project, 'src/db/schema.ts'), 'utf8');
    const addBio = [{ op: 'add_column', table: 'users', column: { name: 'bio', type: 'text' } }];
    for (const [tool, args] of [
      ['edit_schema', { operations: addBio }],
      ['edit_schema', { operations: addBio, dryRun: true }],
      ['generate_migration', {}],
      ['apply_migrations', { dryRun: true }],
      ['restore_backup', {}],
    ] as const) {
      const result = await harness.call(tool, args);
      expect(result.isError, tool).toBe(true);
      expect(errorTextOf(result), tool).toMatch(/READ_ONLY_MODE/);
    }
    expect(fs.readdirSync(path.join(project, 'drizzle')).filter((f) => f.endsWith('.sql'))).toHaveLength(1);
    expect(fs.readFileSync(path.join(project, 'src/db/schema.ts'), 'utf8')).toBe(schemaBefore);
    const status = await harness.ok<Json>('migration_status');
    expect(status.drift.schema.inSync).toBe(false);
    const file = new Database(dbFile, { readonly: true });
    expect(columnsOf(file, 'check_ins')).not.toContain('energy');
    file.close();
  });
});
