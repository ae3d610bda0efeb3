// Issue 10 item 1: a project with its own `audit_log` (test/fixtures/corpus/audit-log-table, the seed guide's
// pattern). The server never creates, alters or writes a table the project declares: its own audit log takes a
// name nothing claims, decided before anything is written, and a database an earlier version gave our `audit_log`
// has it moved (rows and chain intact) when the project's migrations claim that name.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import { corpusSession, type Json } from '../helpers/corpus.js';
import { errorTextOf } from '../helpers/mcp.js';
import { copyEmbeddedProject } from '../helpers/project.js';
import { blogProject } from './migration-tools-support.js';

const { track, fixture: copy, start, closeAll } = corpusSession();

function fixture(): string {
  const dir = copy('audit-log-table');
  fs.mkdirSync(path.join(dir, 'data'));
  return dir;
}

function columnsOf(dbFile: string, table: string): string[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];
  } finally {
    db.close();
  }
}

function count(dbFile: string, table: string): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;
  } finally {
    db.close();
  }
}

const PROJECT_AUDIT_COLUMNS = [
  'id',
  'user_id',
  'action',
  'target_type',
  'target_id',
  'details',
  'created_at',
];

describe('a project with its own audit_log table', () => {
  it('starts with no flags on a new database: the project migration creates its audit_log, ours goes elsewhere and says where', async () => {
    const project = fixture();
    const dbFile = path.join(project, 'data/app.db');
    const h = await start(project);

    expect(h.services.tables.auditTable).toBe('mcp_audit_log');
    expect(columnsOf(dbFile, 'audit_log')).toEqual(PROJECT_AUDIT_COLUMNS);
    const status = await h.ok<Json>('migration_status', { drift: false });
    expect(status.counts).toMatchObject({ applied: 1, pending: 0 });
    // The first result says the file was just created (item 8) and where our audit log went.
    expect(status.notices.join('\n')).toMatch(
      /did not exist: it was created now and the project's 1 migration/,
    );
    expect(status.notices.join('\n')).toMatch(/declares its own table "audit_log".*"mcp_audit_log"/);
    const second = await h.ok<Json>('migration_status', { drift: false });
    expect(second.notices).toBeUndefined();

    const schema = await h.ok<Json>('inspect_schema', { rowCounts: false });
    const auditLog = (schema.tables as Json[]).find((table) => table.name === 'audit_log')!;
    expect(auditLog.drizzle).toBe('activityLog');
    expect(auditLog.columns.join('\n')).toMatch(/user_id/);
    expect((schema.tables as Json[]).map((table) => table.name)).not.toContain('mcp_audit_log');
    expect(schema.serverTables).toMatch(/audit log "mcp_audit_log"/);

    const audit = await h.ok<Json>('read_audit_log', { verify: true });
    expect(audit.table).toBe('mcp_audit_log');
    expect(audit.chain.ok).toBe(true);
    expect(audit.rows.length).toBeGreaterThan(0);
    expect(count(dbFile, 'audit_log')).toBe(0);
    // The project's table is the project's: a typed write reaches it (no PROTECTED_TABLE).
    await h.ok('write_rows', {
      table: 'members',
      action: 'insert',
      rows: [{ handle: 'ada' }],
    });
    await h.ok('write_rows', {
      table: 'activityLog',
      action: 'insert',
      rows: [{ action: 'login', targetType: 'member', userId: 1 }],
    });
    expect(count(dbFile, 'audit_log')).toBe(1);

    // The chain's anchor sits in the backup folder inside the project before any backup was taken: that folder
    // keeps itself out of the user's version control from the anchor's first write.
    const backups = path.join(project, 'data/backups');
    expect(fs.readdirSync(backups).sort()).toEqual(['.gitignore', 'mcp_audit_log.anchor.json']);
    execFileSync('git', ['init', '-q'], { cwd: project });
    const untracked = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(untracked).toMatch(/data\/app\.db/);
    expect(untracked).not.toMatch(/backups/);
  });

  it('restarts on that database without touching the project’s audit_log, and generate finds nothing to do', async () => {
    const project = fixture();
    const dbFile = path.join(project, 'data/app.db');
    await start(project);
    await closeAll();
    const h = await start(project);
    expect(h.services.tables.auditTable).toBe('mcp_audit_log');
    expect(count(dbFile, 'audit_log')).toBe(0);
    const generated = await h.ok<Json>('generate_migration', {});
    expect(generated.status).toBe('no_changes');
  });

  it('lets --audit-table win, and refuses one that names the project’s table before anything is written', async () => {
    const project = fixture();
    const dbFile = path.join(project, 'data/app.db');
    const h = await start(project, ['--audit-table', 'x_audit']);
    expect(h.services.tables.auditTable).toBe('x_audit');
    await h.ok('read_audit_log');
    expect(count(dbFile, 'x_audit')).toBeGreaterThan(0);

    const other = fixture();
    await expect(start(other, ['--audit-table', 'audit_log'])).rejects.toMatchObject({
      code: 'CONFIG_ERROR',
      message: expect.stringMatching(
        /--audit-table audit_log names a table the project's migrations declare/,
      ),
    });
    expect(fs.existsSync(path.join(other, 'data/app.db'))).toBe(false);
  });

  it('moves our audit_log of an earlier version out of the way, chain intact, so the project’s migration applies', async () => {
    const project = fixture();
    const dbFile = path.join(project, 'data/app.db');
    // What an earlier version left: our audit table under audit_log, with rows, and nothing else.
    const old = new Database(dbFile);
    ensureAuditTable(old, 'audit_log');
    const log = new AuditLog(old, 'audit_log');
    for (let i = 0; i < 3; i++)
      log.append({
        createdAt: `2026-01-0${i + 1}T00:00:00.000Z`,
        tool: 'inspect_schema',
        outcome: 'ok',
        durationMs: 1,
      });
    const tail = log.tail();
    old.close();
    // The earlier log's chain head, kept outside the database, moves with it.
    const backups = path.join(project, 'data/backups');
    fs.mkdirSync(backups, { recursive: true });
    const oldAnchor = path.join(backups, 'audit_log.anchor.json');
    fs.writeFileSync(
      oldAnchor,
      JSON.stringify({ table: 'audit_log', ...tail, at: '2026-01-03T00:00:00.000Z' }),
    );

    const h = await start(project);
    expect(h.services.tables.auditTable).toBe('mcp_audit_log');
    expect(fs.existsSync(oldAnchor)).toBe(false);
    const moved = JSON.parse(
      fs.readFileSync(path.join(backups, 'mcp_audit_log.anchor.json'), 'utf8'),
    ) as Json;
    expect(moved).toMatchObject({ table: 'mcp_audit_log' });
    expect(moved.mismatch).toBeUndefined();
    expect(moved.id).toBeGreaterThanOrEqual(tail.id);
    // Nothing else in the file, so the start-up migration ran and created the project's audit_log.
    expect(columnsOf(dbFile, 'audit_log')).toEqual(PROJECT_AUDIT_COLUMNS);
    const audit = await h.ok<Json>('read_audit_log', { verify: true, limit: 200 });
    expect(audit.chain).toMatchObject({ ok: true });
    expect(audit.rows.filter((row: Json) => row.tool === 'inspect_schema')).toHaveLength(3);
    expect(audit.notices.join('\n')).toMatch(
      /moved its log \(rows and hash chain unchanged\) to "mcp_audit_log"/,
    );
    const raw = new Database(dbFile, { readonly: true });
    const indexes = raw
      .prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND name LIKE '%target_idx'")
      .all();
    raw.close();
    expect(indexes).toEqual(
      expect.arrayContaining([
        { name: 'audit_log_target_idx', tbl_name: 'audit_log' },
        { name: 'mcp_audit_log_target_idx', tbl_name: 'mcp_audit_log' },
      ]),
    );
  });

  it('refuses a pulled migration that creates audit_log while our log holds the name, and a restart moves it', async () => {
    const project = fixture();
    const dbFile = path.join(project, 'data/app.db');
    const pulled = path.join(project, 'pulled');
    fs.renameSync(path.join(project, 'drizzle'), pulled);
    const old = new Database(dbFile);
    ensureAuditTable(old, 'audit_log');
    old.close();
    const before = await start(project, ['--no-migrate-on-start']);
    expect(before.services.tables.auditTable).toBe('audit_log');
    fs.renameSync(pulled, path.join(project, 'drizzle'));
    const refused = await before.call('apply_migrations', { dryRun: true });
    expect(errorTextOf(refused)).toMatch(/PROTECTED_TABLE/);
    expect(errorTextOf(refused)).toMatch(/restart the server: on start it moves its audit log/);
    await closeAll();

    const after = await start(project, ['--no-migrate-on-start']);
    expect(after.services.tables.auditTable).toBe('mcp_audit_log');
    expect((await after.ok<Json>('apply_migrations', {})).applied).toEqual(['0000_init']);
    expect(columnsOf(dbFile, 'audit_log')).toEqual(PROJECT_AUDIT_COLUMNS);
    expect((await after.ok<Json>('read_audit_log', { verify: true })).chain.ok).toBe(true);
  });

  it('never creates a table the project declares with our columns before its migration does (embedded default, --no-migrate-on-start)', async () => {
    const project = track(copyEmbeddedProject());
    const dbFile = path.join(project, 'data/app.db');
    const h = await start(project, ['--no-migrate-on-start']);
    expect(h.services.tables.auditTable).toBe('mcp_audit_log');
    expect((await h.ok<Json>('apply_migrations', {})).applied).toEqual(['0000_init']);
    expect(count(dbFile, 'audit_log')).toBe(0);
    await closeAll();
    const again = await start(project);
    expect(again.services.tables.auditTable).toBe('mcp_audit_log');
    const log = await again.ok<Json>('read_audit_log', { verify: true });
    expect(log.chain.ok).toBe(true);
    expect(log.rows.map((row: Json) => row.tool)).toContain('apply_migrations');
    // The normal first start keeps the embedded default's own design: its migration creates audit_log, ours.
    const fresh = track(copyEmbeddedProject());
    const normal = await start(fresh);
    expect(normal.services.tables.auditTable).toBe('audit_log');
    expect(count(path.join(fresh, 'data/app.db'), 'audit_log')).toBeGreaterThan(0);
  });

  it('keeps our audit_log of an earlier version where the project does not claim the name (project db and --audit-db)', async () => {
    const project = track(blogProject());
    const dbFile = path.join(project, 'data/blog.db');
    const auditFile = path.join(project, 'audit.db');
    for (const file of [dbFile, auditFile]) {
      const old = new Database(file);
      ensureAuditTable(old, 'audit_log');
      new AuditLog(old, 'audit_log').append({
        createdAt: '2026-01-01T00:00:00.000Z',
        tool: 'inspect_schema',
        outcome: 'ok',
        durationMs: 1,
      });
      old.close();
    }
    const inProject = await start(project);
    expect(inProject.services.tables.auditTable).toBe('audit_log');
    expect((await inProject.ok<Json>('read_audit_log', { verify: true })).chain.ok).toBe(true);
    await closeAll();
    const separate = await start(project, ['--audit-db', auditFile]);
    expect(separate.services.tables.auditTable).toBe('audit_log');
    const result = await separate.call('read_audit_log', { verify: true });
    expect(result.isError, errorTextOf(result)).toBeFalsy();
    expect((result.structuredContent as Json).table).toBe(`audit_log in ${auditFile}`);
  });
});
