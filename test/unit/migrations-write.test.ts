import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { ORIGIN_SNAPSHOT_ID, readMigrationFolder } from '../../src/migrations/folder.js';
import {
  CUSTOM_MIGRATION_SQL,
  LOCK_FILE_NAME,
  removeLastMigrations,
  sanitizeMigrationName,
  writeMigration,
  writeMigrationFrom,
} from '../../src/migrations/write.js';
import { serialiseSnapshot } from '../../src/project/snapshot-text.js';
import type { SqliteSnapshot } from '../../src/project/types.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';

function snapshot(prevId: string, tables: Record<string, unknown> = {}): SqliteSnapshot {
  return {
    version: '6',
    dialect: 'sqlite',
    tables,
    views: {},
    enums: {},
    _meta: { tables: {}, columns: {} },
    internal: { indexes: {} },
    id: randomUUID(),
    prevId,
  };
}

describe('writeMigration', () => {
  it('writes a snapshot serialised beforehand byte for byte as the object itself, and checks its ids the same', async () => {
    const [viaObject, viaText] = [path.join(makeTempDir(), 'drizzle'), path.join(makeTempDir(), 'drizzle')];
    const first = snapshot(ORIGIN_SNAPSHOT_ID, { a: { name: 'a', columns: {} } });
    const { version: _version, ...withoutVersion } = first;
    const statements = ['CREATE TABLE a (x);'];
    await writeMigration(viaObject, { name: 'a', statements, snapshot: withoutVersion as SqliteSnapshot });
    await writeMigration(viaText, {
      name: 'a',
      statements,
      snapshot: serialiseSnapshot(withoutVersion as SqliteSnapshot),
    });
    for (const file of ['meta/0000_snapshot.json', '0000_a.sql']) {
      expect(fs.readFileSync(path.join(viaText, file), 'utf8')).toBe(
        fs.readFileSync(path.join(viaObject, file), 'utf8'),
      );
    }
    const journal = (dir: string) =>
      JSON.parse(fs.readFileSync(path.join(dir, 'meta/_journal.json'), 'utf8')).entries.map(
        (entry: { version: string }) => entry.version,
      );
    expect(journal(viaText)).toEqual(journal(viaObject));
    expect(journal(viaText)).toEqual(['6']);
    const stale = serialiseSnapshot(snapshot(ORIGIN_SNAPSHOT_ID));
    const error = await writeMigration(viaText, { statements, snapshot: stale }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('MIGRATION_CONFLICT');
  });

  it('writes the first migration in drizzle-kit format into a folder that does not exist yet', async () => {
    const outDir = path.join(makeTempDir(), 'drizzle');
    const written = await writeMigration(
      outDir,
      {
        name: 'Add users!',
        statements: ['CREATE TABLE a (x);\n', 'CREATE INDEX i ON a (x);'],
        snapshot: snapshot(ORIGIN_SNAPSHOT_ID),
      },
      { now: () => 1234 },
    );
    expect(written).toMatchObject({ idx: 0, tag: '0000_add_users', when: 1234 });
    expect(fs.readFileSync(path.join(outDir, '0000_add_users.sql'), 'utf8')).toBe(
      'CREATE TABLE a (x);\n--> statement-breakpoint\nCREATE INDEX i ON a (x);',
    );
    const journal = JSON.parse(fs.readFileSync(path.join(outDir, 'meta/_journal.json'), 'utf8'));
    expect(journal).toEqual({
      version: '7',
      dialect: 'sqlite',
      entries: [{ idx: 0, version: '6', when: 1234, tag: '0000_add_users', breakpoints: true }],
    });
    const saved = JSON.parse(fs.readFileSync(path.join(outDir, 'meta/0000_snapshot.json'), 'utf8'));
    expect(Object.keys(saved).slice(0, 4)).toEqual(['version', 'dialect', 'id', 'prevId']);
    expect(fs.readdirSync(path.join(outDir, 'meta')).sort()).toEqual(['0000_snapshot.json', '_journal.json']);
    const folder = readMigrationFolder(outDir);
    expect(folder.findings).toEqual([]);
    expect(folder.migrations[0]?.hash).toBe(written.hash);
  });

  it('numbers the next migration after the last idx and keeps when strictly increasing', async () => {
    const outDir = makeTempDir();
    const first = await writeMigration(
      outDir,
      { name: 'a', statements: ['CREATE TABLE a (x);'], snapshot: snapshot(ORIGIN_SNAPSHOT_ID) },
      { now: () => 5000 },
    );
    const second = await writeMigration(
      outDir,
      {
        name: 'b',
        statements: ['CREATE TABLE b (x);'],
        snapshot: snapshot(first.snapshotId),
        breakpoints: false,
      },
      { now: () => 10 },
    );
    expect(second).toMatchObject({ idx: 1, tag: '0001_b', when: 5001, breakpoints: false });
    expect(readMigrationFolder(outDir).findings).toEqual([]);
  });

  it('refuses a snapshot computed against a stale parent', async () => {
    const outDir = makeTempDir();
    await writeMigration(outDir, {
      name: 'a',
      statements: ['CREATE TABLE a (x);'],
      snapshot: snapshot(ORIGIN_SNAPSHOT_ID),
    });
    const error = await writeMigration(outDir, {
      name: 'b',
      statements: ['CREATE TABLE b (x);'],
      snapshot: snapshot(ORIGIN_SNAPSHOT_ID),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('MIGRATION_CONFLICT');
    expect(readMigrationFolder(outDir).migrations).toHaveLength(1);
  });

  it('writes a custom migration whose snapshot is the previous one with a new id', async () => {
    const outDir = makeTempDir();
    const first = await writeMigration(outDir, {
      name: 'a',
      statements: ['CREATE TABLE a (x);'],
      snapshot: snapshot(ORIGIN_SNAPSHOT_ID, { a: { name: 'a' } }),
    });
    const custom = await writeMigration(outDir, { custom: true, name: 'seed' });
    expect(custom.sql).toBe(CUSTOM_MIGRATION_SQL);
    const saved = JSON.parse(fs.readFileSync(custom.snapshotFile, 'utf8'));
    expect(saved.prevId).toBe(first.snapshotId);
    expect(saved.id).not.toBe(first.snapshotId);
    expect(saved.tables).toEqual({ a: { name: 'a' } });
    expect(readMigrationFolder(outDir).findings).toEqual([]);
  });

  it('serialises concurrent writers so the journal and the snapshot chain stay intact', async () => {
    const outDir = makeTempDir();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        writeMigrationFrom(outDir, async (previous) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return {
            name: `m${i}`,
            statements: [`CREATE TABLE t${i} (x);`],
            snapshot: snapshot(previous.prevId),
          };
        }),
      ),
    );
    expect(results.map((r) => r?.idx).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const folder = readMigrationFolder(outDir);
    expect(folder.findings).toEqual([]);
    expect(folder.migrations).toHaveLength(6);
    expect(fs.existsSync(path.join(outDir, LOCK_FILE_NAME))).toBe(false);
  });

  it('waits for a lock held by another process and takes over a stale one', async () => {
    const outDir = makeTempDir();
    const lock = path.join(outDir, LOCK_FILE_NAME);
    fs.writeFileSync(lock, '{}');
    const blocked = await writeMigration(
      outDir,
      { custom: true },
      { lock: { timeoutMs: 200, staleAfterMs: 60_000 } },
    ).catch((e: unknown) => e);
    expect((blocked as AppError).code).toBe('MIGRATION_CONFLICT');
    expect((blocked as AppError).message).toContain('Another process is writing a migration');

    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(lock, old, old);
    const written = await writeMigration(
      outDir,
      { custom: true, name: 'after_stale' },
      { lock: { timeoutMs: 200, staleAfterMs: 60_000 } },
    );
    expect(written.tag).toBe('0000_after_stale');
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('refuses to write into a folder with a broken journal', async () => {
    const outDir = makeTempDir();
    fs.mkdirSync(path.join(outDir, 'meta'));
    fs.writeFileSync(path.join(outDir, 'meta/_journal.json'), 'not json');
    await expect(writeMigration(outDir, { custom: true })).rejects.toThrow('JOURNAL_UNREADABLE');
    expect(fs.readFileSync(path.join(outDir, 'meta/_journal.json'), 'utf8')).toBe('not json');
  });

  it('does not overwrite a stray file with the same name', async () => {
    const outDir = makeTempDir();
    await writeMigration(outDir, { custom: true, name: 'a' });
    fs.writeFileSync(path.join(outDir, '0001_b.sql'), 'keep me');
    await expect(writeMigration(outDir, { custom: true, name: 'b' })).rejects.toThrow(
      'refusing to overwrite',
    );
    expect(fs.readFileSync(path.join(outDir, '0001_b.sql'), 'utf8')).toBe('keep me');
  });

  it("offers drizzle-kit's empty snapshot (origin id) as the parent in an empty folder", async () => {
    const outDir = makeTempDir();
    const written = await writeMigrationFrom(outDir, (previous) => {
      expect(previous).toMatchObject({ hasSnapshot: false, prevId: ORIGIN_SNAPSHOT_ID, nextIdx: 0 });
      expect(previous.snapshot).toMatchObject({ id: ORIGIN_SNAPSHOT_ID, tables: {} });
      return { name: 'a', statements: ['CREATE TABLE a (x);'], snapshot: snapshot(previous.snapshot.id) };
    });
    expect(written?.tag).toBe('0000_a');
    expect(await writeMigrationFrom(outDir, () => null)).toBeNull();
    expect(readMigrationFolder(outDir).migrations).toHaveLength(1);
  });

  it('gives a random word pair when no name is given', async () => {
    const written = await writeMigration(makeTempDir(), { custom: true });
    expect(written.tag).toMatch(/^0000_[a-z]+_[a-z]+$/);
  });
});

describe('removeLastMigrations', () => {
  it('removes the last migrations (journal entries, SQL, snapshots), refuses any other, and undoes on request', async () => {
    const outDir = path.join(makeTempDir(), 'drizzle');
    const first = await writeMigration(outDir, { custom: true, name: 'a', statements: ['SELECT 1;'] });
    const second = await writeMigration(outDir, { custom: true, name: 'b', statements: ['SELECT 2;'] });
    const journal = fs.readFileSync(path.join(outDir, 'meta/_journal.json'), 'utf8');
    expect(() => removeLastMigrations(outDir, [first.tag])).toThrow(/Only the last migrations/);
    const removed = removeLastMigrations(outDir, [second.tag]);
    expect(removed.files.sort()).toEqual([second.snapshotFile, second.sqlFile].sort());
    expect(readMigrationFolder(outDir)).toMatchObject({ findings: [], migrations: [{ tag: first.tag }] });
    removed.undo();
    expect(fs.readFileSync(path.join(outDir, 'meta/_journal.json'), 'utf8')).toBe(journal);
    expect(readMigrationFolder(outDir).migrations.map((m) => m.sql)).toEqual(['SELECT 1;', 'SELECT 2;']);
  });
});

describe('sanitizeMigrationName', () => {
  it.each([
    ['add users', 'add_users'],
    ['../../etc', 'etc'],
    ['Crème brûlée!', 'creme_brulee'],
    ['', ''],
  ])('%j → %j', (input, output) => expect(sanitizeMigrationName(input)).toBe(output));
});
