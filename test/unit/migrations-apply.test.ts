import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { applyMigrations } from '../../src/migrations/apply.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { ledgerTableDdl, readLedger } from '../../src/migrations/ledger.js';
import { appendFixtureMigration, makeTempDir, writeFixtureFolder } from '../helpers/migration-fixtures.js';

function setup(migrations: Parameters<typeof writeFixtureFolder>[1]) {
  const dir = makeTempDir();
  const outDir = path.join(dir, 'drizzle');
  writeFixtureFolder(outDir, migrations);
  const db = new Database(path.join(dir, 'app.db'));
  return { dir, outDir, db };
}

async function applyError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const parentChild = [
  'CREATE TABLE `users` (`id` integer PRIMARY KEY NOT NULL, `name` text);',
  'CREATE TABLE `posts` (`id` integer PRIMARY KEY NOT NULL, `user_id` integer NOT NULL REFERENCES `users`(`id`) ON DELETE cascade);',
];

describe('applyMigrations', () => {
  it('applies pending migrations and writes the ledger exactly as drizzle-orm does', async () => {
    const { dir, outDir, db } = setup([{ name: 'init', statements: parentChild }]);
    const result = await applyMigrations(db, readMigrationFolder(outDir));
    expect(result.applied.map((m) => m.tag)).toEqual(['0000_init']);

    // The same folder through drizzle-orm's own migrator, on another file: identical ledger table and rows.
    const theirs = new Database(path.join(dir, 'theirs.db'));
    migrate(drizzle(theirs), { migrationsFolder: outDir });
    const ddl = (d: Database.Database) =>
      d.prepare(`SELECT sql FROM sqlite_schema WHERE name = '__drizzle_migrations'`).pluck().get();
    const rows = (d: Database.Database) =>
      d.prepare('SELECT id, hash, created_at, typeof(created_at) AS t FROM __drizzle_migrations').all();
    expect(ddl(db)).toBe(ddl(theirs));
    expect(rows(db)).toEqual(rows(theirs));
    expect(ledgerTableDdl('__drizzle_migrations')).toContain(
      'CREATE TABLE IF NOT EXISTS "__drizzle_migrations"',
    );
  });

  it('honours a configured ledger table name', async () => {
    const { db, outDir } = setup([{ name: 'init', statements: parentChild }]);
    await applyMigrations(db, readMigrationFolder(outDir), { migrationsTable: 'my_migrations' });
    expect(readLedger(db, 'my_migrations')).toHaveLength(1);
    expect(readLedger(db, '__drizzle_migrations')).toHaveLength(0);
  });

  it('applies only what is pending and nothing when all is applied', async () => {
    const { db, outDir } = setup([{ name: 'init', statements: parentChild }]);
    await applyMigrations(db, readMigrationFolder(outDir));
    appendFixtureMigration(outDir, { name: 'more', statements: ['ALTER TABLE `users` ADD `email` text;'] });
    const second = await applyMigrations(db, readMigrationFolder(outDir));
    expect(second.applied.map((m) => m.tag)).toEqual(['0001_more']);
    const third = await applyMigrations(db, readMigrationFolder(outDir));
    expect(third.applied).toEqual([]);
    expect(readLedger(db)).toHaveLength(2);
  });

  it('rolls everything back when a statement fails, naming the migration, statement and SQLite message', async () => {
    const { db, outDir } = setup([
      { name: 'init', statements: parentChild },
      {
        name: 'broken',
        statements: ['CREATE TABLE `tags` (`id` integer);', 'INSERT INTO `nope` VALUES (1);'],
      },
    ]);
    const error = await applyError(applyMigrations(db, readMigrationFolder(outDir)));
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.message).toContain(
      'Migration "0001_broken" failed at statement 2 of 2: INSERT INTO `nope` VALUES (1)\n',
    );
    expect(error.message).toContain('no such table: nope');
    expect(error.details).toMatchObject({ tag: '0001_broken', statementIndex: 2 });
    const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all();
    expect(tables).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it('refuses a modified migration and a skipped one without touching the database', async () => {
    const { db, outDir } = setup([{ name: 'init', statements: parentChild }]);
    await applyMigrations(db, readMigrationFolder(outDir));
    fs.appendFileSync(path.join(outDir, '0000_init.sql'), '\n-- edited');
    const modified = await applyError(applyMigrations(db, readMigrationFolder(outDir)));
    expect(modified.code).toBe('MIGRATION_CONFLICT');
    expect(modified.message).toContain('"0000_init" is modified');

    const { db: db2, outDir: out2 } = setup([
      { name: 'a', statements: ['CREATE TABLE a (x);'], when: 1000 },
      { name: 'b', statements: ['CREATE TABLE b (x);'], when: 2000 },
    ]);
    db2.exec(ledgerTableDdl('__drizzle_migrations'));
    const folder = readMigrationFolder(out2);
    db2.exec('CREATE TABLE b (x)');
    db2
      .prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)')
      .run(folder.migrations[1]?.hash, 2000);
    const skipped = await applyError(applyMigrations(db2, folder));
    expect(skipped.message).toContain('"0000_a" is skipped');
    expect(db2.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'a'`).pluck().get()).toBe(0);
  });

  it('refuses a folder whose journal is broken', async () => {
    const { db, outDir } = setup([{ name: 'init', statements: parentChild }]);
    fs.writeFileSync(path.join(outDir, 'meta/_journal.json'), '{');
    const error = await applyError(applyMigrations(db, readMigrationFolder(outDir)));
    expect(error.message).toContain('JOURNAL_UNREADABLE');
  });

  it('switches foreign keys off around the batch, so a parent rebuild keeps child rows, and restores the setting', async () => {
    const { db, outDir } = setup([{ name: 'init', statements: parentChild }]);
    await applyMigrations(db, readMigrationFolder(outDir));
    db.exec("INSERT INTO users VALUES (1, 'a'); INSERT INTO posts VALUES (1, 1), (2, 1)");
    appendFixtureMigration(outDir, {
      name: 'rebuild',
      statements: [
        'PRAGMA foreign_keys=OFF;',
        "CREATE TABLE `__new_users` (`id` integer PRIMARY KEY NOT NULL, `name` text DEFAULT 'x');",
        'INSERT INTO `__new_users`("id", "name") SELECT "id", "name" FROM `users`;',
        'DROP TABLE `users`;',
        'ALTER TABLE `__new_users` RENAME TO `users`;',
        'PRAGMA foreign_keys=ON;',
      ],
    });
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    await applyMigrations(db, readMigrationFolder(outDir));
    expect(db.prepare('SELECT count(*) FROM posts').pluck().get()).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.pragma('foreign_keys = OFF');
    await applyMigrations(db, readMigrationFolder(outDir));
    expect(db.pragma('foreign_keys', { simple: true })).toBe(0);
  });

  it('rolls back when the result would break a foreign key, listing the rows', async () => {
    const { db, outDir } = setup([{ name: 'init', statements: parentChild }]);
    await applyMigrations(db, readMigrationFolder(outDir));
    db.exec("INSERT INTO users VALUES (1, 'a'); INSERT INTO posts VALUES (7, 1)");
    appendFixtureMigration(outDir, { name: 'orphan', statements: ['DELETE FROM `users`;'] });
    const error = await applyError(applyMigrations(db, readMigrationFolder(outDir)));
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.message).toContain('posts rowid 7 references a missing row in users');
    expect(db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(1);
    expect(readLedger(db)).toHaveLength(1);
  });

  it('skips comment-only and empty chunks instead of failing like drizzle-orm', async () => {
    const { db, outDir } = setup([
      {
        name: 'custom',
        statements: ['-- Custom SQL migration file, put your code below! --', 'CREATE TABLE a (x);', ''],
      },
    ]);
    const result = await applyMigrations(db, readMigrationFolder(outDir));
    expect(result.applied[0]).toMatchObject({ statements: 1, skippedEmptyChunks: 2 });
  });

  it('accepts a trigger body but refuses transaction control in a migration', async () => {
    const trigger =
      'CREATE TABLE a (x);--> statement-breakpoint\nCREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 1 WHERE x IS NULL; END;';
    const ok = setup([{ name: 'trigger', statements: [trigger] }]);
    await applyMigrations(ok.db, readMigrationFolder(ok.outDir));
    expect(ok.db.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'`).pluck().get()).toBe(1);

    const bad = setup([
      { name: 'commit', statements: ['CREATE TABLE a (x);', 'COMMIT;', 'CREATE TABLE b (x);'] },
    ]);
    const error = await applyError(applyMigrations(bad.db, readMigrationFolder(bad.outDir)));
    expect(error.code).toBe('MIGRATION_REFUSED');
    expect(error.message).toContain('statement 2: "COMMIT"');
    expect(bad.db.prepare(`SELECT count(*) FROM sqlite_schema`).pluck().get()).toBe(0);
  });

  it('calls beforeCommit inside the transaction, and its failure rolls everything back', async () => {
    const { db, outDir } = setup([{ name: 'init', statements: parentChild }]);
    db.exec('CREATE TABLE audit (what text)');
    let sawTransaction = false;
    await expect(
      applyMigrations(db, readMigrationFolder(outDir), {
        beforeCommit: (conn) => {
          sawTransaction = conn.inTransaction;
          conn.prepare('INSERT INTO audit VALUES (?)').run('applied');
          throw new Error('audit failed');
        },
      }),
    ).rejects.toThrow('audit failed');
    expect(sawTransaction).toBe(true);
    expect(db.prepare('SELECT count(*) FROM audit').pluck().get()).toBe(0);
    expect(readLedger(db)).toEqual([]);

    await applyMigrations(db, readMigrationFolder(outDir), {
      beforeCommit: (conn) => void conn.prepare('INSERT INTO audit VALUES (?)').run('applied'),
    });
    expect(db.prepare('SELECT what FROM audit').pluck().all()).toEqual(['applied']);
  });

  it('commits nothing when cancelled, and reports progress per migration', async () => {
    const { db, outDir } = setup([
      { name: 'a', statements: ['CREATE TABLE a (x);'] },
      { name: 'b', statements: ['CREATE TABLE b (x);'] },
    ]);
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await applyError(
      applyMigrations(db, readMigrationFolder(outDir), {
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(`${p.phase}:${p.tag ?? ''}:${p.index}/${p.total}`);
          if (p.tag === '0001_b') controller.abort();
        },
      }),
    );
    expect(error.code).toBe('CANCELLED');
    expect(seen).toEqual(['migration:0000_a:1/2', 'migration:0001_b:2/2']);
    expect(db.prepare(`SELECT count(*) FROM sqlite_schema`).pluck().get()).toBe(0);

    const progress: string[] = [];
    await applyMigrations(db, readMigrationFolder(outDir), { onProgress: (p) => progress.push(p.phase) });
    expect(progress).toEqual(['migration', 'migration', 'checking', 'committing']);
  });

  it('refuses when the pending set differs from the one the caller approved', async () => {
    const { db, outDir } = setup([{ name: 'a', statements: ['CREATE TABLE a (x);'] }]);
    const approved = readMigrationFolder(outDir).migrations.map((m) => m.hash);
    appendFixtureMigration(outDir, { name: 'sneaky', statements: ['DROP TABLE a;'] });
    const error = await applyError(
      applyMigrations(db, readMigrationFolder(outDir), { expectedHashes: approved }),
    );
    expect(error.code).toBe('MIGRATION_CONFLICT');
    expect(db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'a'`).pluck().get()).toBe(0);
  });

  it('says the database is locked when another connection holds the write lock', async () => {
    const { dir, db, outDir } = setup([{ name: 'a', statements: ['CREATE TABLE a (x);'] }]);
    const other = new Database(path.join(dir, 'app.db'));
    other.exec('BEGIN IMMEDIATE');
    db.pragma('busy_timeout = 50');
    const error = await applyError(applyMigrations(db, readMigrationFolder(outDir)));
    expect(error.code).toBe('DATABASE_LOCKED');
    other.exec('ROLLBACK');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('reports a full disk and leaves the database as it was', async () => {
    const { db, outDir } = setup([{ name: 'init', statements: parentChild }]);
    await applyMigrations(db, readMigrationFolder(outDir));
    appendFixtureMigration(outDir, {
      name: 'big',
      statements: [
        'CREATE TABLE `blobs` (`b` blob);',
        'INSERT INTO `blobs` WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT randomblob(4096) FROM n;',
      ],
    });
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 20}`);
    const error = await applyError(applyMigrations(db, readMigrationFolder(outDir)));
    expect(error.code).toBe('DISK_FULL');
    expect(error.message).toContain('Migration "0001_big" failed at statement 2 of 2');
    expect(db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'blobs'`).pluck().get()).toBe(0);
    expect(readLedger(db)).toHaveLength(1);
    expect(db.inTransaction).toBe(false);
  });
});
