// The seed's everyday schema changes on the embedded default, end to end through a real MCP client: edit
// schema.ts, migration_status, generate_migration, apply_migrations (dry run, apply), restore_backup — and the real
// drizzle tooling agreeing with every folder and ledger the server wrote.
import fs from 'node:fs';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { readLedger } from '../../src/migrations/ledger.js';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { removeDir } from '../helpers/project.js';
import {
  columnsOf,
  count,
  drizzleKit,
  editSchema,
  embeddedProject,
  openDb,
  seedEmbedded,
  withDb,
  type Json,
} from './migration-tools-support.js';

describe('migration tools on the embedded default', () => {
  let project: string;
  let dbFile: string;
  let h: Harness;

  beforeAll(async () => {
    project = embeddedProject();
    dbFile = path.join(project, 'data/app.db');
    h = await startHarness({ argv: ['--project', project] });
    seedEmbedded(dbFile);
  });
  afterAll(async () => {
    await h.close();
    removeDir(project);
  });

  const generate = async (args: Json): Promise<Json> => {
    const result = await h.ok<Json>('generate_migration', args);
    expect(result.status, JSON.stringify(result)).toBe('ok');
    return result;
  };

  it('reports the freshly started default as applied and in sync, with nothing to do', async () => {
    const status = await h.ok<Json>('migration_status');
    expect(status).toMatchObject({
      consistent: true,
      counts: { applied: 1, pending: 0, modified: 0, skipped: 0, missing: 0 },
      migrations: [{ tag: '0000_init', state: 'applied' }],
      drift: { inSync: true, database: { inSync: true }, schema: { inSync: true } },
    });
    expect(status.next).toMatch(/in sync/);
    expect(await h.ok<Json>('generate_migration', {})).toMatchObject({ status: 'no_changes' });
    expect(await h.ok<Json>('apply_migrations', {})).toMatchObject({ status: 'up_to_date' });
  });

  it('adds a column: status names the drift, generate writes it, the dry run and the apply report per migration with progress', async () => {
    editSchema(project, "notes: text('notes'),", "notes: text('notes'),\n    energy: integer('energy'),");
    const before = await h.ok<Json>('migration_status');
    expect(before.drift.schema.inSync).toBe(false);
    expect(before.drift.schema.tables).toStrictEqual([expect.stringMatching(/^check_ins .*energy/)]);
    expect(before.next).toMatch(/generate_migration/);

    const generated = await generate({ name: 'add energy' });
    expect(generated.tag).toBe('0001_add_energy');
    expect(generated.files).toStrictEqual([
      'drizzle/0001_add_energy.sql',
      'drizzle/meta/0001_snapshot.json',
      'drizzle/meta/_journal.json',
    ]);
    expect(generated.sql).toBe('ALTER TABLE `check_ins` ADD `energy` integer;');
    expect(fs.readFileSync(path.join(project, 'drizzle/0001_add_energy.sql'), 'utf8')).toBe(generated.sql);

    const pending = await h.ok<Json>('migration_status');
    expect(pending.migrations.at(-1)).toStrictEqual({ tag: '0001_add_energy', state: 'pending' });
    expect(pending.drift.schema.inSync).toBe(true);
    expect(pending.drift.database.advice).toMatch(/not applied yet/);

    const dry = await h.ok<Json>('apply_migrations', { dryRun: true });
    expect(dry).toMatchObject({
      status: 'dry_run',
      ok: true,
      migrations: [{ tag: '0001_add_energy', statements: [generated.sql] }],
    });
    expect(dry.rowCounts).toStrictEqual([
      'check_ins: 3 → 3',
      'journal_entries: 2 → 2',
      'sessions: 1 → 1',
      'users: 2 → 2',
    ]);
    expect(dry.checks).toStrictEqual({ foreignKeys: 'ok', integrity: 'ok' });
    expect(dry.backup).toBeUndefined();
    expect(columnsOf(openDb(dbFile, { readonly: true }), 'check_ins')).not.toContain('energy');

    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    const result = await h.client.callTool({ name: 'apply_migrations', arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    const applied = result.structuredContent as Json;
    expect(applied).toMatchObject({ status: 'applied', ok: true, applied: ['0001_add_energy'] });
    expect(applied.backup.id).toMatch(/^\d{8}T/);
    expect(fs.statSync(applied.backup.path).size).toBe(applied.backup.sizeBytes);
    expect(progress.map((p) => p.message)).toStrictEqual([
      'Dry run on a copy of the database',
      'Backing up the database',
      'Applying 0001_add_energy (1/1)',
    ]);
    expect(progress.every((p) => p.total !== undefined && p.progress < p.total)).toBe(true);
    withDb(dbFile, (db) => expect(columnsOf(db, 'check_ins')).toContain('energy'));

    const after = await h.ok<Json>('migration_status');
    expect(after).toMatchObject({
      consistent: true,
      counts: { applied: 2, pending: 0 },
      drift: { inSync: true },
    });

    const audit = await h.ok<Json>('read_audit_log', { tool: 'apply_migrations', limit: 1 });
    expect(audit.rows[0]).toMatchObject({
      outcome: 'ok',
      target: 'migration:0001_add_energy',
      client: 'vitest/1.0.0',
    });
    expect(audit.rows[0].details).toMatchObject({
      consent: { required: false },
      backup: { id: applied.backup.id },
      applied: [{ tag: '0001_add_energy' }],
    });
  });

  it('adds a table with a foreign key and an index, then an index on an existing table', async () => {
    editSchema(
      project,
      "// The server's audit trail",
      `export const goals = sqliteTable(
  'goals',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    done: integer('done', { mode: 'boolean' }).notNull().default(false),
  },
  (table) => [index('idx_goals_user').on(table.userId)],
);

// The server's audit trail`,
    );
    const table = await generate({ name: 'add goals' });
    expect(table.sql).toMatch(
      /CREATE TABLE `goals`[\s\S]*FOREIGN KEY \(`user_id`\) REFERENCES `users`\(`id`\) ON UPDATE no action ON DELETE cascade/,
    );
    expect(table.sql).toContain('CREATE INDEX `idx_goals_user` ON `goals` (`user_id`);');
    expect(await h.ok<Json>('apply_migrations', {})).toMatchObject({
      status: 'applied',
      applied: ['0002_add_goals'],
    });
    const inspected = await h.ok<Json>('inspect_schema', { tables: ['goals'] });
    expect(inspected.tables[0]).toMatchObject({
      foreignKeys: ['(user_id) → users(id) ON DELETE CASCADE'],
      indexes: ['idx_goals_user (user_id)'],
    });

    editSchema(
      project,
      "(table) => [index('idx_journal_user').on(table.userId)],",
      "(table) => [index('idx_journal_user').on(table.userId), index('idx_journal_created').on(table.createdAt)],",
    );
    const idx = await generate({ name: 'journal created index' });
    expect(idx.sql).toBe('CREATE INDEX `idx_journal_created` ON `journal_entries` (`created_at`);');
    expect(await h.ok<Json>('apply_migrations', {})).toMatchObject({
      status: 'applied',
      applied: ['0003_journal_created_index'],
    });
    withDb(dbFile, (db) =>
      expect(db.prepare(`SELECT name FROM pragma_index_list('journal_entries')`).pluck().all()).toContain(
        'idx_journal_created',
      ),
    );
  });

  it('renames a column through a hint after missing_hints, keeping its values', async () => {
    editSchema(project, "notes: text('notes'),", "note: text('note'),");
    const ambiguous = await h.ok<Json>('generate_migration', { name: 'rename notes' });
    expect(ambiguous.status).toBe('missing_hints');
    expect(ambiguous.missingHints).toStrictEqual([
      {
        type: 'rename_or_create',
        kind: 'column',
        entity: ['public', 'check_ins', 'note'],
        candidates: [['public', 'check_ins', 'notes']],
      },
    ]);
    expect(ambiguous.next).toMatch(/hints/);
    expect(readMigrationFolder(path.join(project, 'drizzle')).migrations).toHaveLength(4);

    const renamed = await generate({
      name: 'rename notes',
      hints: [
        {
          type: 'rename',
          kind: 'column',
          from: ['public', 'check_ins', 'notes'],
          to: ['public', 'check_ins', 'note'],
        },
      ],
    });
    expect(renamed.sql).toBe('ALTER TABLE `check_ins` RENAME COLUMN `notes` TO `note`;');
    expect(renamed.renames).toStrictEqual(['column check_ins.notes → note']);
    expect(renamed.findings).toStrictEqual([
      expect.objectContaining({ code: 'BC102', table: 'check_ins', column: 'notes', statement: 1 }),
    ]);
    expect(await h.ok<Json>('apply_migrations', {})).toMatchObject({ status: 'applied' });
    withDb(dbFile, (db) =>
      expect(db.prepare(`SELECT note FROM check_ins WHERE id = 'c1'`).pluck().get()).toBe('slept well'),
    );
  });

  it("changes a default on a parent with cascading children and keeps the child rows, where drizzle's migrate() deletes them", async () => {
    editSchema(
      project,
      "role: text('role', { enum: ['member', 'coach', 'admin'] }).notNull().default('member'),",
      "role: text('role', { enum: ['member', 'coach', 'admin'] }).notNull().default('coach'),",
    );
    const generated = await generate({ name: 'role default coach' });
    expect(generated.sql).toContain('DROP TABLE `users`;');
    expect(generated.sql).toContain('`__new_users`');
    expect(generated.findings.map((f: Json) => f.code)).toContain('SQ201');

    // The stock migrator on a copy of the same database, same folder.
    const stockFile = path.join(project, 'data/stock.db');
    const live = openDb(dbFile);
    await live.backup(stockFile);
    live.close();
    const stock = openDb(stockFile);
    migrate(drizzle(stock), { migrationsFolder: path.join(project, 'drizzle') });
    expect(count(stock, 'users')).toBe(2);
    expect([
      count(stock, 'check_ins'),
      count(stock, 'journal_entries'),
      count(stock, 'sessions'),
      count(stock, 'goals'),
    ]).toStrictEqual([0, 0, 0, 0]);
    stock.close();

    const dry = await h.ok<Json>('apply_migrations', { dryRun: true });
    expect(dry.ok).toBe(true);
    expect(dry.rowsLost).toBeUndefined();
    expect(dry.rowCounts).toStrictEqual(
      expect.arrayContaining(['check_ins: 3 → 3', 'goals: 0 → 0', 'users: 2 → 2']),
    );
    expect(dry.checks).toStrictEqual({ foreignKeys: 'ok', integrity: 'ok' });
    expect(dry.consent).toBeUndefined();
    const applied = await h.ok<Json>('apply_migrations', {});
    expect(applied).toMatchObject({ status: 'applied', applied: ['0005_role_default_coach'] });
    withDb(dbFile, (db) => {
      expect([
        count(db, 'users'),
        count(db, 'check_ins'),
        count(db, 'journal_entries'),
        count(db, 'sessions'),
      ]).toStrictEqual([2, 3, 2, 1]);
      expect(
        db.prepare(`SELECT dflt_value FROM pragma_table_info('users') WHERE name = 'role'`).pluck().get(),
      ).toBe("'coach'");
      expect(db.prepare('PRAGMA foreign_key_check').all()).toStrictEqual([]);
    });
  });

  it("leaves nothing for drizzle-orm's own migrate() to do after our applies", async () => {
    const db = openDb(dbFile);
    try {
      const ledger = readLedger(db);
      expect(ledger).toHaveLength(6);
      const schema = db.prepare('SELECT sql FROM sqlite_schema ORDER BY name').pluck().all();
      migrate(drizzle(db), { migrationsFolder: path.join(project, 'drizzle') });
      expect(readLedger(db)).toStrictEqual(ledger);
      expect(db.prepare('SELECT sql FROM sqlite_schema ORDER BY name').pluck().all()).toStrictEqual(schema);
    } finally {
      db.close();
    }
  });

  it('refuses to drop a column without the human: no elicitation, no launch option → CONSENT_REQUIRED, nothing applied', async () => {
    editSchema(project, "sleepHours: real('sleep_hours'),\n", '');
    const generated = await generate({ name: 'drop sleep hours' });
    expect(generated.sql).toBe('ALTER TABLE `check_ins` DROP COLUMN `sleep_hours`;');
    expect(generated.findings).toStrictEqual([
      expect.objectContaining({ code: 'DS103', dataLoss: true, column: 'sleep_hours' }),
    ]);

    const dry = await h.ok<Json>('apply_migrations', { dryRun: true });
    expect(dry).toMatchObject({ ok: true, consent: { required: true } });
    expect(dry.migrations[0].findings[0]).toMatchObject({ code: 'DS103', dataLoss: true });

    const refused = await h.call('apply_migrations', {});
    expect(refused.isError).toBe(true);
    const text = errorTextOf(refused);
    expect(text).toMatch(/DS103/);
    expect(text).toMatch(/--allow-destructive/);
    expect(text).toMatch(/client config/);
    expect(text).toMatch(/CONSENT_REQUIRED/);
    withDb(dbFile, (db) => expect(columnsOf(db, 'check_ins')).toContain('sleep_hours'));
    expect(fs.readdirSync(path.join(project, 'data/backups')).filter((f) => f.endsWith('.db'))).toHaveLength(
      5,
    );

    const audit = await h.ok<Json>('read_audit_log', { tool: 'apply_migrations', limit: 1 });
    expect(audit.rows[0]).toMatchObject({
      outcome: 'refused',
      errorCode: 'CONSENT_REQUIRED',
      target: 'migration:0006_drop_sleep_hours',
    });
    expect(audit.rows[0].details.consent).toMatchObject({
      planId: expect.stringMatching(/^plan_/),
      decision: 'unavailable',
    });
  });

  it('serialises concurrent generate calls: distinct migrations and a valid journal', async () => {
    const [a, b] = await Promise.all([
      h.ok<Json>('generate_migration', { custom: true, name: 'backfill a' }),
      h.ok<Json>('generate_migration', { custom: true, name: 'backfill b' }),
    ]);
    expect([a.tag.slice(5), b.tag.slice(5)]).toStrictEqual(['backfill_a', 'backfill_b']);
    expect(new Set([a.tag.slice(0, 4), b.tag.slice(0, 4)])).toStrictEqual(new Set(['0007', '0008']));
    const folder = readMigrationFolder(path.join(project, 'drizzle'));
    expect(folder.findings).toStrictEqual([]);
    expect(folder.migrations.map((m) => m.idx)).toStrictEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);

    editSchema(
      project,
      "title: text('title').notNull(),\n    done",
      "title: text('title').notNull(),\n    dueOn: text('due_on'),\n    done",
    );
    const [c, d] = await Promise.all([
      h.ok<Json>('generate_migration', { name: 'due a' }),
      h.ok<Json>('generate_migration', { name: 'due b' }),
    ]);
    expect([c.status, d.status].sort()).toStrictEqual(['no_changes', 'ok']);
    expect(readMigrationFolder(path.join(project, 'drizzle')).findings).toStrictEqual([]);
  });

  it('writes folders the real drizzle-kit CLI accepts: check passes and generate finds no changes', async () => {
    expect(await drizzleKit(project, 'check')).toMatch(/Everything's fine/);
    expect(await drizzleKit(project, 'generate')).toContain('No schema changes');
  });

  it('answers a schema that does not load with status error (a result), and invalid input with a tool error', async () => {
    const file = path.join(project, 'src/db/schema.ts');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, `${good}\nexport const broken = ;\n`);
    const result = await h.ok<Json>('generate_migration', {});
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/schema/i);
    // Answered as a result the model can act on, and audited as the failure it is.
    const [row] = (await h.ok<Json>('read_audit_log', { tool: 'generate_migration', limit: 1 })).rows;
    expect(row).toMatchObject({
      outcome: 'error',
      errorCode: 'SCHEMA_LOAD_FAILED',
      details: { status: 'error' },
    });
    const status = await h.ok<Json>('migration_status');
    expect(status.drift.schemaError).toMatch(/could not be loaded/);
    expect(status.counts.pending).toBe(4);
    // User code that throws at import time (and one that exits the process) is contained and reported.
    fs.writeFileSync(file, `${good}\nthrow new Error('schema exploded');\n`);
    const thrown = await h.ok<Json>('generate_migration', {});
    expect(thrown).toMatchObject({ status: 'error', message: expect.stringMatching(/schema exploded/) });
    fs.writeFileSync(file, `${good}\nprocess.exit(1);\n`);
    expect((await h.ok<Json>('generate_migration', {})).status).toBe('error');
    fs.writeFileSync(file, good);
    expect((await h.ok<Json>('migration_status')).drift.schemaError).toBeUndefined();

    const invalid = await h.call('generate_migration', {
      hints: [{ type: 'rename', kind: 'column', from: ['x'] }],
    });
    expect(invalid.isError).toBe(true);
    expect(errorTextOf(invalid)).toMatch(/INVALID_ARGUMENT/);
  });

  it('lists backups with the changes made after each, and will not undo them without the human', async () => {
    const listed = await h.ok<Json>('restore_backup', {});
    expect(listed.backups).toHaveLength(5);
    expect(listed.backups[0].reason).toBe('before applying 0005_role_default_coach');
    expect(listed.backups[0].changesAfter).toBe(1);
    expect(listed.backups.at(-1)).toMatchObject({
      reason: 'before applying 0001_add_energy',
      changesAfter: 5,
    });

    const refused = await h.call('restore_backup', { backupId: listed.backups[0].id });
    expect(refused.isError).toBe(true);
    expect(errorTextOf(refused)).toMatch(/1 change recorded after the backup would be undone/);
    expect(errorTextOf(refused)).toMatch(/apply_migrations \(migration:0005_role_default_coach\)/);
    expect(errorTextOf(refused)).toMatch(/--allow-destructive/);
    withDb(dbFile, (db) =>
      expect(
        db.prepare(`SELECT dflt_value FROM pragma_table_info('users') WHERE name = 'role'`).pluck().get(),
      ).toBe("'coach'"),
    );

    const unknown = await h.call('restore_backup', { backupId: 'nope' });
    expect(errorTextOf(unknown)).toMatch(/NOT_FOUND/);
    expect(errorTextOf(unknown)).toContain(listed.backups[0].id);
  });
});
