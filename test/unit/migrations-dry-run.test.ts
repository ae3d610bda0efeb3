import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/migrations/apply.js';
import { dryRunMigrations } from '../../src/migrations/dry-run.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { readLedger } from '../../src/migrations/ledger.js';
import { appendFixtureMigration, makeTempDir, writeFixtureFolder } from '../helpers/migration-fixtures.js';

async function seeded(journalMode: 'wal' | 'delete' = 'delete') {
  const dir = makeTempDir();
  const outDir = path.join(dir, 'drizzle');
  writeFixtureFolder(outDir, [
    {
      name: 'init',
      statements: [
        'CREATE TABLE `users` (`id` integer PRIMARY KEY NOT NULL, `name` text);',
        'CREATE TABLE `posts` (`id` integer PRIMARY KEY NOT NULL, `user_id` integer NOT NULL REFERENCES `users`(`id`) ON DELETE cascade);',
      ],
    },
  ]);
  const dbFile = path.join(dir, 'app.db');
  const db = new Database(dbFile);
  db.pragma(`journal_mode = ${journalMode}`);
  await applyMigrations(db, readMigrationFolder(outDir));
  db.exec("INSERT INTO users VALUES (1, 'a'), (2, 'b'); INSERT INTO posts VALUES (1, 1), (2, 1), (3, 2)");
  return { dir, outDir, dbFile, db };
}

describe('dryRunMigrations', () => {
  it('reports statements and row counts without touching the real database', async () => {
    const { outDir, dbFile, db } = await seeded();
    appendFixtureMigration(outDir, {
      name: 'add_email',
      statements: ['ALTER TABLE `users` ADD `email` text;', '-- just a note'],
    });
    appendFixtureMigration(outDir, {
      name: 'drop_posts',
      statements: ['DROP TABLE `posts`;', 'CREATE TABLE `tags` (`id` integer);'],
    });
    const before = fs.readFileSync(dbFile);
    const report = await dryRunMigrations(db, readMigrationFolder(outDir));
    expect(report.ok).toBe(true);
    expect(report.copy).toBe('memory');
    expect(report.migrations.map((m) => [m.tag, m.statements, m.skippedEmptyChunks])).toEqual([
      ['0001_add_email', ['ALTER TABLE `users` ADD `email` text;'], 1],
      ['0002_drop_posts', ['DROP TABLE `posts`;', 'CREATE TABLE `tags` (`id` integer);'], 0],
    ]);
    expect(report.migrations[1]?.rowCountChanges).toEqual([
      { table: 'posts', before: 3, after: null },
      { table: 'tags', before: null, after: 0 },
    ]);
    expect(report.rowsLost).toEqual([{ table: 'posts', before: 3, after: null }]);
    expect(report.integrityCheck).toEqual(['ok']);
    expect(report.pendingHashes).toHaveLength(2);
    expect(fs.readFileSync(dbFile).equals(before)).toBe(true);
    expect(readLedger(db)).toHaveLength(1);
  });

  it('shows the rows a cascade would delete and a NOT NULL column that fails on existing rows', async () => {
    const { outDir, db } = await seeded('wal');
    appendFixtureMigration(outDir, {
      name: 'purge',
      statements: ['PRAGMA foreign_keys=ON;', 'DELETE FROM `users` WHERE id = 2;'],
    });
    appendFixtureMigration(outDir, {
      name: 'required',
      statements: ['ALTER TABLE `users` ADD `age` integer NOT NULL;'],
    });
    appendFixtureMigration(outDir, { name: 'later', statements: ['CREATE TABLE `x` (`id` integer);'] });
    const report = await dryRunMigrations(db, readMigrationFolder(outDir));
    expect(report.ok).toBe(false);
    // foreign_keys is off during the batch (as in apply), so the delete leaves an orphan instead of cascading.
    expect(report.migrations[0]?.rowCountChanges).toEqual([{ table: 'users', before: 2, after: 1 }]);
    expect(report.foreignKeyViolations).toEqual([{ table: 'posts', rowid: 3, parent: 'users', fkid: 0 }]);
    expect(report.migrations[1]?.error).toMatchObject({ code: 'MIGRATION_FAILED', statementIndex: 1 });
    expect(report.migrations[1]?.error?.message).toContain(
      'Cannot add a NOT NULL column with default value NULL',
    );
    expect(report.notRun).toEqual(['0003_later']);
    expect(db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(2);
  });

  it('copies large databases to a temp file and deletes it afterwards', async () => {
    const { outDir, dbFile, dir } = await seeded();
    appendFixtureMigration(outDir, {
      name: 'add_email',
      statements: ['ALTER TABLE `users` ADD `email` text;'],
    });
    const tempDir = path.join(dir, 'tmp');
    fs.mkdirSync(tempDir);
    const report = await dryRunMigrations(dbFile, readMigrationFolder(outDir), {
      inMemoryLimitBytes: 0,
      tempDir,
    });
    expect(report).toMatchObject({ copy: 'file', ok: true });
    expect(fs.readdirSync(tempDir)).toEqual([]);
    const columns = new Database(dbFile, { readonly: true })
      .prepare(`SELECT name FROM pragma_table_info('users')`)
      .pluck()
      .all();
    expect(columns).toEqual(['id', 'name']);
  });

  it('rehearses on an empty database when the file does not exist yet', async () => {
    const dir = makeTempDir();
    writeFixtureFolder(path.join(dir, 'drizzle'), [{ name: 'init', statements: ['CREATE TABLE a (x);'] }]);
    const report = await dryRunMigrations(
      path.join(dir, 'missing.db'),
      readMigrationFolder(path.join(dir, 'drizzle')),
    );
    expect(report.ok).toBe(true);
    expect(report.rowCounts).toEqual([{ table: 'a', before: null, after: 0 }]);
    expect(fs.existsSync(path.join(dir, 'missing.db'))).toBe(false);
  });
});
