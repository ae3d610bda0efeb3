// What Drizzle 1.0.0-rc.5 itself does, pinned with the real packages (test/drizzle-rc) on the fixtures its own CLI
// wrote, next to what we do instead. When a later rc changes one of these behaviours, this file says which.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/migrations/apply.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { readV1Folder } from '../../src/migrations/layout-v1.js';
import {
  detectLedgerShape,
  planLedgerUpgrade,
  readLedgerEntries,
  upgradeLedgerInPlace,
} from '../../src/migrations/ledger-shape.js';
import {
  copyDrizzle1Fixture,
  DRIZZLE_PACKAGES,
  rcMigrate,
  ledgerFixtureSql,
  v1MigrationNames,
} from '../helpers/drizzle-rc.js';
import { removeDir } from '../helpers/project.js';

const run = promisify(execFile);
const TABLE = '__drizzle_migrations';

const projects: string[] = [];
afterEach(() => {
  for (const dir of projects.splice(0)) removeDir(dir);
});

function fixture(name: Parameters<typeof copyDrizzle1Fixture>[0]): string {
  const dir = copyDrizzle1Fixture(name);
  projects.push(dir);
  return dir;
}

function seed(db: Database.Database): void {
  db.exec(`
    INSERT INTO users (id, name, email) VALUES (1, 'Ada', 'ada@example.com'), (2, 'Bob', 'bob@example.com');
    INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');
    INSERT INTO comments (id, post_id, body) VALUES (1, 1, 'x'), (2, 3, 'y');
  `);
}

function counts(db: Database.Database): Record<string, number> {
  const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  return { users: count('users'), posts: count('posts'), comments: count('comments') };
}

/** v1-fresh with its first two migrations applied by rc.5 and rows in every table; the third rebuilds `users`. */
async function beforeParentRebuild(project: string, file: string): Promise<Database.Database> {
  const names = v1MigrationNames(project);
  expect(names).toHaveLength(3);
  const partial = path.join(project, 'partial');
  for (const name of names.slice(0, 2)) {
    fs.cpSync(path.join(project, 'drizzle', name), path.join(partial, name), { recursive: true });
  }
  const db = new Database(file);
  await rcMigrate(db, partial);
  seed(db);
  expect(counts(db)).toEqual({ users: 2, posts: 3, comments: 2 });
  return db;
}

describe('drizzle-orm 1.0.0-rc.5 migrator on a parent-table rebuild', () => {
  it("loses every child row, where our apply keeps them — and rc.5's migrate() then agrees nothing is left to do", async () => {
    const project = fixture('v1-fresh');
    const out = path.join(project, 'drizzle');
    const rebuild = readV1Folder(out).migrations[2]!;
    expect(rebuild.chunks.some((chunk) => chunk.includes('DROP TABLE `users`'))).toBe(true);

    const stock = await beforeParentRebuild(project, path.join(project, 'data', 'stock.db'));
    await rcMigrate(stock, out);
    expect(counts(stock)).toEqual({ users: 2, posts: 0, comments: 0 });

    const ours = await beforeParentRebuild(project, path.join(project, 'data', 'ours.db'));
    const result = await applyMigrations(ours, readMigrationFolder(out));
    expect(result.applied.map((m) => m.tag)).toEqual([rebuild.name]);
    expect(counts(ours)).toEqual({ users: 2, posts: 3, comments: 2 });
    expect(ours.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'users'`).pluck().get()).toContain(
      "DEFAULT 'reader'",
    );

    const ledgerBefore = readLedgerEntries(ours, TABLE);
    expect(ledgerBefore.at(-1)).toMatchObject({
      name: rebuild.name,
      hash: rebuild.hash,
      createdAt: rebuild.createdAt,
    });
    await rcMigrate(ours, out);
    expect(readLedgerEntries(ours, TABLE)).toEqual(ledgerBefore);
    expect(counts(ours)).toEqual({ users: 2, posts: 3, comments: 2 });
  });
});

describe('drizzle-orm 1.0.0-rc.5 and a 1.0 ledger we write', () => {
  it('finds nothing to do after our apply creates 1.0’s ledger and applies every migration, and we read what it writes', async () => {
    const project = fixture('v1-merged');
    const out = path.join(project, 'drizzle');
    const migrations = readV1Folder(out).migrations;
    const ours = new Database(path.join(project, 'data', 'ours.db'));
    await applyMigrations(ours, readMigrationFolder(out));
    expect(detectLedgerShape(ours, TABLE).shape).toBe('v1');
    const schemaOf = (db: Database.Database) =>
      db.prepare(`SELECT type, name, sql FROM sqlite_schema ORDER BY name`).all();
    const before = { ledger: readLedgerEntries(ours, TABLE), schema: schemaOf(ours) };
    await rcMigrate(ours, out);
    expect({ ledger: readLedgerEntries(ours, TABLE), schema: schemaOf(ours) }).toEqual(before);

    const theirs = new Database(path.join(project, 'data', 'theirs.db'));
    await rcMigrate(theirs, out);
    expect(detectLedgerShape(theirs, TABLE).shape).toBe('v1');
    const written = readLedgerEntries(theirs, TABLE);
    expect(written.map(({ name, hash, createdAt }) => ({ name, hash, createdAt }))).toEqual(
      migrations.map(({ name, hash, createdAt }) => ({ name, hash, createdAt })),
    );
    expect(schemaOf(theirs)).toEqual(schemaOf(ours));
  });
});

describe('drizzle-orm 1.0.0-rc.5 ledger upgrade', () => {
  it('upgrades a 0.x ledger exactly as our replay does, on the folder `drizzle-kit up` wrote', async () => {
    const project = fixture('v0-upped');
    const theirs = new Database(':memory:');
    theirs.exec(ledgerFixtureSql('v0'));
    // ledgers/v0.sql was made from v0-kept in the same run that converted it to v0-upped: its rows match those folders.
    await rcMigrate(theirs, path.join(project, 'drizzle'));

    const ours = new Database(':memory:');
    ours.exec(ledgerFixtureSql('v0'));
    const migrations = readV1Folder(path.join(project, 'drizzle')).migrations;
    upgradeLedgerInPlace(ours, TABLE, planLedgerUpgrade(readLedgerEntries(ours, TABLE), migrations));

    const text = (db: Database.Database) =>
      db.prepare(`SELECT sql FROM sqlite_schema WHERE name = ?`).pluck().get(TABLE);
    expect(text(ours)).toBe(text(theirs));
    expect(readLedgerEntries(ours, TABLE)).toEqual(readLedgerEntries(theirs, TABLE));
    expect(readLedgerEntries(ours, TABLE).map((row) => row.name)).toEqual(migrations.map((m) => m.name));
  });
});

describe('drizzle-kit 1.0.0-rc.5 after `up`', () => {
  it('generates a rebuild of users on an unchanged schema (a 0.x unique index becomes an inline UNIQUE)', async () => {
    const project = fixture('v0-upped');
    const { stdout } = await run(
      process.execPath,
      [path.join(DRIZZLE_PACKAGES.rc.kit, 'bin.cjs'), 'generate', '--name', 'after_up', '--output', 'json'],
      { cwd: project },
    );
    expect(JSON.parse(stdout)).toMatchObject({ status: 'ok' });
    const added = v1MigrationNames(project).at(-1)!;
    expect(added).toMatch(/_after_up$/);
    const sql = fs.readFileSync(path.join(project, 'drizzle', added, 'migration.sql'), 'utf8');
    expect(sql).toContain('DROP TABLE `users`;');
    expect(sql).toContain('`email` text NOT NULL UNIQUE');
    expect(sql).toContain('DROP INDEX IF EXISTS `users_email_unique`;');
  });
});
