// The migration statement policy seen through apply_migrations by a real client (issue 11 classes 0, 1, 4; issue
// 10 item 4): each hostile migration is refused by the dry run and by the apply, naming file and statement; the
// database and the audit chain are untouched; and the server answers (and audits) the next call.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/project.js';
import { embeddedProject, withDb, type Json } from './migration-tools-support.js';

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

function fixture(name: string): string {
  const dir = tempDir(`dsm-${name}-`);
  dirs.push(dir);
  fs.cpSync(path.join(REPO_ROOT, 'test/fixtures/corpus', name), dir, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function dump(file: string): string {
  return withDb(file, (db) => {
    const objects = db
      .prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY type, name')
      .all() as Array<{
      type: string;
      name: string;
    }>;
    const rows = objects
      .filter((o) => o.type === 'table' && o.name !== 'audit_log' && o.name !== 'sqlite_sequence')
      .map((o) => db.prepare(`SELECT * FROM "${o.name}"`).all());
    return createHash('sha256').update(JSON.stringify({ objects, rows })).digest('hex');
  });
}

/**
 * A fixture whose 0001 rebuilds `teams` under `players`, as a project that pulled 0001: started with only 0000
 * listed, rows seeded in both tables, then 0001 put back. The rebuild's copy turns a NULL name into '' (coalesce),
 * which changes existing rows, so the server starts with --allow-destructive.
 */
async function pulledRebuild(name: string): Promise<{ h: Harness; dbFile: string; project: string }> {
  const project = fixture(name);
  const journalFile = path.join(project, 'drizzle/meta/_journal.json');
  const journal = fs.readFileSync(journalFile, 'utf8');
  const parsed = JSON.parse(journal) as { entries: unknown[] };
  fs.writeFileSync(journalFile, JSON.stringify({ ...parsed, entries: parsed.entries.slice(0, 1) }));
  const h = await start(['--project', project, '--allow-destructive']);
  const dbFile = path.join(project, 'app.db');
  withDb(dbFile, (db) =>
    db.exec(
      "INSERT INTO teams VALUES (1, 'reds'), (2, NULL); INSERT INTO players VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 2, 'c');",
    ),
  );
  fs.writeFileSync(journalFile, journal);
  return { h, dbFile, project };
}

async function expectAnsweredAndIntact(h: Harness): Promise<void> {
  const status = await h.ok<Json>('migration_status');
  expect(status).toBeDefined();
  const audit = await h.ok<Json>('read_audit_log', { verify: true, limit: 3 });
  expect(audit.chain).toMatchObject({ ok: true });
  // The call before this one was recorded.
  expect(audit.rows[0]).toMatchObject({ tool: 'migration_status', outcome: 'ok' });
}

interface HostileCase {
  name: string;
  chunks: string[];
  /** Out-of-band SQL on the database first (what the app or an earlier hole left there). */
  setup?: string;
  code: 'MIGRATION_REFUSED' | 'PROTECTED_TABLE';
  statement: number;
  mentions: string;
}

const HOSTILE: HostileCase[] = [
  {
    name: 'ATTACH that would create a file and copy the users out',
    chunks: ["ATTACH DATABASE '$DIR/stolen.db' AS s;", 'CREATE TABLE s.users AS SELECT * FROM main.users;'],
    code: 'MIGRATION_REFUSED',
    statement: 1,
    mentions: 'reaches beyond the database file',
  },
  {
    name: 'VACUUM INTO a copy',
    chunks: ["VACUUM INTO '$DIR/copy.db';"],
    code: 'MIGRATION_REFUSED',
    statement: 1,
    mentions: 'VACUUM',
  },
  {
    name: 'a trigger that deletes each new audit row',
    chunks: [
      'CREATE TRIGGER hide AFTER INSERT ON audit_log BEGIN DELETE FROM audit_log WHERE id = new.id; END;',
    ],
    code: 'PROTECTED_TABLE',
    statement: 1,
    mentions: 'audit_log',
  },
  {
    name: 'an UPDATE of users that fires an out-of-band trigger wiping the audit log',
    setup: 'CREATE TRIGGER wipe AFTER UPDATE ON users BEGIN DELETE FROM audit_log; END;',
    chunks: ["UPDATE users SET username = username || '';"],
    code: 'PROTECTED_TABLE',
    statement: 1,
    mentions: 'SQLite reports',
  },
  {
    name: 'PRAGMA locking_mode = EXCLUSIVE, which would lock the app out after the apply',
    chunks: ['PRAGMA locking_mode = EXCLUSIVE;'],
    code: 'MIGRATION_REFUSED',
    statement: 1,
    mentions: 'locking the application out',
  },
  {
    name: 'PRAGMA query_only = ON on the server’s connection',
    chunks: ['CREATE TABLE harmless (x integer);', 'PRAGMA query_only = ON;'],
    code: 'MIGRATION_REFUSED',
    statement: 2,
    mentions: 'PRAGMA query_only',
  },
];

describe('apply_migrations against hostile migrations', () => {
  for (const kase of HOSTILE) {
    it(`refuses ${kase.name}, dry run included, and keeps answering`, async () => {
      const project = embeddedProject();
      dirs.push(project);
      const h = await start(['--project', project]);
      const dbFile = path.join(project, 'data/app.db');
      if (kase.setup) withDb(dbFile, (db) => db.exec(kase.setup!));
      const custom = await h.ok<Json>('generate_migration', { custom: true, name: 'hostile' });
      const sqlFile = custom.files[0] as string;
      fs.writeFileSync(
        path.join(project, sqlFile),
        kase.chunks.map((c) => c.replaceAll('$DIR', project)).join('\n--> statement-breakpoint\n'),
      );
      const before = dump(dbFile);
      const filesBefore = fs.readdirSync(project).sort();

      for (const dryRun of [true, false]) {
        const result = await h.call('apply_migrations', { dryRun });
        expect(result.isError).toBe(true);
        const text = errorTextOf(result);
        expect(text).toContain(`(error code: ${kase.code})`);
        expect(text).toContain(sqlFile);
        expect(text).toContain(`statement ${kase.statement}`);
        expect(text).toContain(kase.mentions);
        expect(text).toContain('Nothing was run.');
      }
      expect(dump(dbFile)).toBe(before);
      expect(fs.readdirSync(project).sort()).toEqual(filesBefore);
      const refusals = await h.ok<Json>('read_audit_log', { tool: 'apply_migrations', limit: 2 });
      expect(refusals.rows.map((r: Json) => [r.outcome, r.errorCode])).toEqual([
        ['refused', kase.code],
        ['refused', kase.code],
      ]);
      await expectAnsweredAndIntact(h);
    });
  }
});

describe('migrations that manage the transaction themselves (issue 10 item 4)', () => {
  it('applies the COMMIT / foreign_keys=OFF / BEGIN idiom on start as one batch that drizzle’s migrate() agrees with', async () => {
    const project = fixture('txn-control-idiom');
    const h = await start(['--project', project]);
    const status = await h.ok<Json>('migration_status');
    expect(status.counts).toMatchObject({ applied: 2, pending: 0 });
    // drizzle's own migrator, on another connection, finds nothing left to do.
    const db = new Database(path.join(project, 'app.db'));
    try {
      migrate(drizzle(db), { migrationsFolder: path.join(project, 'drizzle') });
      expect(db.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get()).toBe(2);
    } finally {
      db.close();
    }
    await expectAnsweredAndIntact(h);
  });

  it('dry-runs and applies the idiom over real rows: neutralised, reported, every child row kept', async () => {
    const { h, dbFile } = await pulledRebuild('txn-control-idiom');

    const dry = await h.ok<Json>('apply_migrations', { dryRun: true });
    expect(dry).toMatchObject({ status: 'dry_run', ok: true, rowsChanged: ['teams: 2 rows updated'] });
    const report = dry.migrations[0] as Json;
    expect(report.tag).toBe('0001_team_name_required');
    expect(report.neutralised).toHaveLength(6);
    expect(report.neutralised[0]).toMatch(/^statement 1: .*COMMIT TRANSACTION$/);
    // Said once for the four statements it covers (app/history-summary.ts groupRepeats).
    const sq205 = report.findings.filter((f: Json) => f.code === 'SQ205');
    expect(sq205).toHaveLength(1);
    expect(sq205[0]).toMatchObject({ severity: 'info', statement: 1 });
    expect(sq205[0].message).toMatch(/\(Also statements 3, 8, 10\.\)$/);

    const applied = await h.ok<Json>('apply_migrations');
    expect(applied.applied).toEqual(['0001_team_name_required']);
    withDb(dbFile, (db) => {
      expect(db.prepare('SELECT count(*) FROM players').pluck().get()).toBe(3);
      expect(db.prepare('SELECT name FROM teams ORDER BY id').pluck().all()).toEqual(['reds', '']);
      expect(db.pragma('foreign_key_check')).toEqual([]);
    });
    await expectAnsweredAndIntact(h);
  });

  it('dry-runs and applies a TEMP table that keeps child rows across a rebuild and is dropped again', async () => {
    const { h, dbFile, project } = await pulledRebuild('temp-table-rebuild');

    const dry = await h.ok<Json>('apply_migrations', { dryRun: true });
    expect(dry).toMatchObject({ status: 'dry_run', ok: true });
    expect(dry.migrations[0].neutralised).toEqual([
      'statement 1: PRAGMA foreign_keys=OFF',
      'statement 10: PRAGMA foreign_keys=ON',
    ]);
    const applied = await h.ok<Json>('apply_migrations');
    expect(applied.applied).toEqual(['0001_team_name_required']);
    withDb(dbFile, (db) => {
      expect(db.prepare('SELECT * FROM players ORDER BY id').all()).toEqual([
        { id: 1, team_id: 1, name: 'a' },
        { id: 2, team_id: 2, name: 'b' },
        { id: 3, team_id: 2, name: 'c' },
      ]);
      expect(db.prepare('SELECT name FROM teams ORDER BY id').pluck().all()).toEqual(['reds', '']);
      // drizzle's own migrator, on another connection, finds nothing left to do.
      migrate(drizzle(db), { migrationsFolder: path.join(project, 'drizzle') });
      expect(db.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get()).toBe(2);
    });
    // The server's own connection holds no TEMP object afterwards: the next write lands in the real tables.
    await h.ok('write_rows', { table: 'players', action: 'insert', rows: [{ teamId: 1, name: 'd' }] });
    expect(withDb(dbFile, (db) => db.prepare('SELECT count(*) FROM players').pluck().get())).toBe(4);
    await expectAnsweredAndIntact(h);
  });

  it('refuses a script-style BEGIN … COMMIT before anything runs, naming the file and statement', async () => {
    const project = fixture('txn-control-other');
    const h = await start(['--project', project]);
    const dbFile = path.join(project, 'app.db');
    // The start-up apply was refused as a whole: not even 0000 ran.
    expect(
      withDb(dbFile, (db) =>
        db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'plans'").pluck().get(),
      ),
    ).toBe(0);
    for (const dryRun of [true, false]) {
      const result = await h.call('apply_migrations', { dryRun });
      const text = errorTextOf(result);
      expect(text).toContain('(error code: MIGRATION_REFUSED)');
      expect(text).toContain(`drizzle${path.sep}0001_seed_plans.sql`);
      expect(text).toContain('statement 1: "BEGIN TRANSACTION"');
    }
    expect(
      withDb(dbFile, (db) =>
        db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'plans'").pluck().get(),
      ),
    ).toBe(0);
    await expectAnsweredAndIntact(h);
  });
});
