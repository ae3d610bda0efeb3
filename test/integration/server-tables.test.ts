// Which tables are the server's is decided in one place (src/guard/server-tables.ts), and every tool agrees with
// it. The case that used to split them: --audit-db keeps our audit log in another file, so a project table named
// `audit_log` is the project's — once refused by execute_sql and write_rows, yet shown, compared and migratable
// everywhere else. Each surface is asked the same question in both placements of the audit log.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { removeDir, tempDir } from '../helpers/project.js';
import { blogProject, embeddedProject, withDb, type Json } from './migration-tools-support.js';

let dirs: string[] = [];
let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.close();
  for (const d of dirs) removeDir(d);
  harnesses = [];
  dirs = [];
});

async function start(argv: string[]): Promise<Harness> {
  const h = await startHarness({ argv });
  harnesses.push(h);
  return h;
}

function track(dir: string): string {
  dirs.push(dir);
  return dir;
}

async function customMigration(h: Harness, project: string, statements: string[]): Promise<void> {
  const custom = await h.ok<Json>('generate_migration', { custom: true, name: 'touch_audit' });
  fs.writeFileSync(path.join(project, custom.files[0]), statements.join('\n--> statement-breakpoint\n'));
}

const AUDIT_ROW = {
  createdAt: '2026-01-01T00:00:00.000Z',
  tool: 'app',
  outcome: 'ok',
  durationMs: 1,
  prevHash: '',
  hash: 'app-row',
};
const INSERT_SQL =
  "INSERT INTO audit_log (created_at, tool, outcome, duration_ms, prev_hash, hash) VALUES ('2026-01-01', 'app', 'ok', 1, '', 'sql-row')";

describe('the server’s own tables, asked of every tool', () => {
  it('with --audit-db, a project table named audit_log is the project’s everywhere: written, typed-written, migrated', async () => {
    const project = track(embeddedProject());
    const auditDb = path.join(track(tempDir()), 'audit.db');
    // --allow-destructive: the migration below changes existing rows of the project's table, which needs consent.
    const h = await start(['--project', project, '--audit-db', auditDb, '--allow-destructive']);
    const dbFile = path.join(project, 'data/app.db');

    const sqlWrite = await h.ok<Json>('execute_sql', { sql: INSERT_SQL });
    expect(sqlWrite).toMatchObject({ table: 'audit_log', rowsAffected: 1 });
    const typedWrite = await h.ok<Json>('write_rows', {
      table: 'auditLog',
      action: 'insert',
      rows: [AUDIT_ROW],
    });
    expect(typedWrite).toMatchObject({ table: 'auditLog', rowsAffected: 1 });
    const schema = await h.ok<Json>('inspect_schema', { rowCounts: false });
    expect(schema.tables.map((table: Json) => table.name)).toContain('audit_log');

    await customMigration(h, project, ["UPDATE `audit_log` SET `tool` = 'app2' WHERE `tool` = 'app';"]);
    const dry = await h.ok<Json>('apply_migrations', { dryRun: true });
    const codes = (dry.migrations as Json[]).flatMap((m) => (m.findings ?? []).map((f: Json) => f.code));
    expect(codes).not.toContain('SQ209');
    await h.ok('apply_migrations', {});

    withDb(dbFile, (db) =>
      expect(db.prepare('SELECT hash, tool FROM audit_log ORDER BY id').all()).toStrictEqual([
        { hash: 'sql-row', tool: 'app2' },
        { hash: 'app-row', tool: 'app2' },
      ]),
    );
    // Our own rows went to the audit file, and its chain is whole.
    expect((await h.ok<Json>('read_audit_log', { verify: true, limit: 1 })).chain).toMatchObject({
      ok: true,
    });
    withDb(auditDb, (db) =>
      expect(db.prepare("SELECT count(*) FROM mcp_audit_log WHERE tool = 'execute_sql'").pluck().get()).toBe(
        1,
      ),
    );
  });

  it('with the audit log in the project database, every door refuses it alike: SQL, typed write and migration', async () => {
    const project = track(embeddedProject());
    const h = await start(['--project', project, '--allow-destructive']);

    const sqlWrite = await h.call('execute_sql', { sql: INSERT_SQL });
    expect(errorTextOf(sqlWrite)).toMatch(/PROTECTED_TABLE/);
    const typedWrite = await h.call('write_rows', { table: 'auditLog', action: 'insert', rows: [AUDIT_ROW] });
    expect(errorTextOf(typedWrite)).toMatch(/PROTECTED_TABLE/);

    await customMigration(h, project, ["UPDATE `audit_log` SET `tool` = 'x';"]);
    const dry = await h.ok<Json>('apply_migrations', { dryRun: true }).catch((error: Error) => error);
    const applied = await h.call('apply_migrations', {});
    expect(errorTextOf(applied)).toMatch(/PROTECTED_TABLE/);
    expect(dry).toBeInstanceOf(Error);
    expect((dry as Error).message).toMatch(/PROTECTED_TABLE/);
  });

  it('with --audit-db, an undeclared project table named audit_log is shown and compared like any other', async () => {
    const project = track(blogProject());
    const auditDb = path.join(track(tempDir()), 'audit.db');
    const dbFile = path.join(project, 'data/blog.db');
    await (await start(['--project', project])).close();
    harnesses = [];
    // The app keeps a table of its own named audit_log, which its migrations do not declare (and our audit table
    // of that first start is gone, as if it had always been kept in the audit file).
    withDb(dbFile, (db) =>
      db.exec(
        'DROP TABLE mcp_audit_log; CREATE TABLE audit_log (id text PRIMARY KEY, user_id text NOT NULL, action text NOT NULL);',
      ),
    );
    const h = await start(['--project', project, '--audit-db', auditDb]);

    const schema = await h.ok<Json>('inspect_schema', { rowCounts: false });
    expect(schema.tables.map((table: Json) => table.name)).toContain('audit_log');
    const status = await h.ok<Json>('migration_status');
    expect(status.drift.database.tables).toStrictEqual([
      expect.stringMatching(/^audit_log \(only in the database\)/),
    ]);

    // The same project with the audit log in its own file hides our table from both.
    harnesses = [];
    await h.close();
    withDb(dbFile, (db) => db.exec('DROP TABLE audit_log;'));
    const own = await start(['--project', project]);
    const ownSchema = await own.ok<Json>('inspect_schema', { rowCounts: false });
    expect(ownSchema.tables.map((table: Json) => table.name)).not.toContain(own.services.tables.auditTable);
    expect((await own.ok<Json>('migration_status')).drift.database.inSync).toBe(true);
  });
});
