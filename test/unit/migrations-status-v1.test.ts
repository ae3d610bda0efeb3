// Status and ledger writes on drizzle-kit 1.0 folders (test/fixtures/drizzle-1, written by the real rc.5 CLI) against
// each ledger shape the real migrators leave: what is applied, pending, modified or missing, decided as drizzle-orm
// 1.0 decides it, and the rows an apply writes.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { openLedgerWriter, readLedger } from '../../src/migrations/ledger.js';
import { detectLedgerShape, readLedgerEntries } from '../../src/migrations/ledger-shape.js';
import { computeMigrationStatus } from '../../src/migrations/status.js';
import {
  DRIZZLE_1_FIXTURES_DIR,
  ledgerFixtureSql,
  type LedgerFixture,
  copyFixtureOut,
  type Drizzle1Fixture,
} from '../helpers/drizzle-rc.js';
import { removeDir } from '../helpers/project.js';

const TABLE = '__drizzle_migrations';
const out = (fixture: string) => path.join(DRIZZLE_1_FIXTURES_DIR, fixture, 'drizzle');

function ledgerDb(shape?: LedgerFixture): Database.Database {
  const db = new Database(':memory:');
  if (shape) db.exec(ledgerFixtureSql(shape));
  return db;
}

const states = (fixture: string, db: Database.Database) =>
  computeMigrationStatus(readMigrationFolder(out(fixture)), readLedger(db, TABLE)).entries.map(
    (entry) => `${entry.state} ${entry.tag ?? entry.hash.slice(0, 8)}`,
  );

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) removeDir(dir);
});

function copyOut(fixture: Drizzle1Fixture): string {
  const out = copyFixtureOut(fixture);
  temps.push(path.dirname(out));
  return out;
}

describe('readMigrationFolder on the 1.0 layout', () => {
  it('reads folders as migrations named by their folder, with created_at from the name and the snapshot graph', () => {
    const folder = readMigrationFolder(out('v1-merged'));
    expect(folder.layout).toBe('folders');
    expect(folder.journal).toBeUndefined();
    expect(folder.migrations.map((m) => m.tag.replace(/^\d{14}_/, ''))).toEqual([
      'init',
      'comments',
      'posts_published',
      'tags',
      'merge',
    ]);
    for (const m of folder.migrations)
      expect(m.when).toBe(Date.UTC(2026, 11, 4, 21, 14, Number(m.tag.slice(12, 14))));
    expect(folder.leaves).toHaveLength(1);
    expect(folder.migrations.at(-1)!.parents).toHaveLength(2);
    expect(folder.latestTag).toBe(folder.migrations.at(-1)!.tag);
    expect(folder.latestSnapshot).toMatchObject({ version: '7' });
  });
});

describe('computeMigrationStatus on the 1.0 layout', () => {
  it('has everything pending on a new database', () => {
    expect(states('v1-fresh', ledgerDb())).toEqual([
      expect.stringMatching(/^pending \d{14}_init$/),
      expect.stringMatching(/^pending \d{14}_comments$/),
      expect.stringMatching(/^pending \d{14}_users_role_default$/),
    ]);
  });

  it.each([
    ['v1-fresh', 'v1'],
    ['v0-upped', 'v1-upgraded'],
    // A 0.x ledger under folders that `drizzle-kit up` wrote: the names 1.0's upgrade would give, by time.
    ['v0-upped', 'v0'],
  ] as const)('reads every migration of %s as applied from a %s ledger', (fixture, shape) => {
    const status = computeMigrationStatus(
      readMigrationFolder(out(fixture)),
      readLedger(ledgerDb(shape), TABLE),
    );
    expect(status.counts).toEqual({ applied: 3, pending: 0, modified: 0, skipped: 0, missing: 0 });
    expect(status.consistent).toBe(true);
  });

  it('runs a migration merged from another branch although a newer one was applied (never "skipped")', () => {
    const folder = readMigrationFolder(out('v1-leaves'));
    const [init, comments, published, tags] = folder.migrations;
    const db = ledgerDb();
    const writer = openLedgerWriter(db, TABLE, folder);
    for (const m of [init!, comments!, tags!]) writer.record(m);
    const status = computeMigrationStatus(folder, readLedger(db, TABLE));
    expect(status.pending.map((m) => m.tag)).toEqual([published!.tag]);
    expect(status.entries.find((e) => e.tag === published!.tag)).toMatchObject({
      state: 'pending',
      note: expect.stringContaining('drizzle-orm 1.0 applies it anyway'),
    });
    expect(status.consistent).toBe(true);
  });

  it('finds an edited applied file (1.0 never compares hashes) and a recorded folder that is gone', () => {
    const dir = copyOut('v1-fresh');
    const db = ledgerDb('v1');
    const [first, second] = readMigrationFolder(dir).migrations;
    fs.appendFileSync(first!.file, '\n-- edited');
    fs.rmSync(path.dirname(second!.file), { recursive: true });
    const status = computeMigrationStatus(readMigrationFolder(dir), readLedger(db, TABLE));
    expect(status.entries.map((e) => `${e.state} ${e.tag}`)).toEqual([
      `modified ${first!.tag}`,
      `missing ${second!.tag}`,
      expect.stringMatching(/^applied .*_users_role_default$/),
    ]);
    expect(status.consistent).toBe(false);
  });

  it('reports a 0.x row that 1.0 cannot upgrade as missing, saying 1.0 would refuse to run anything', () => {
    const db = ledgerDb('v0');
    db.prepare(`INSERT INTO ${TABLE} (hash, created_at) VALUES ('abc', 1000)`).run();
    const status = computeMigrationStatus(readMigrationFolder(out('v0-upped')), readLedger(db, TABLE));
    expect(status.counts.missing).toBe(1);
    expect(status.entries.find((e) => e.state === 'missing')?.note).toContain(
      'throws on it and runs nothing',
    );
  });

  it('reports a row without a name in a 1.0 ledger as missing: drizzle-orm 1.0 would run its migration again', () => {
    const db = ledgerDb('v1');
    db.prepare(`UPDATE ${TABLE} SET name = NULL WHERE id = 2`).run();
    const status = computeMigrationStatus(readMigrationFolder(out('v1-fresh')), readLedger(db, TABLE));
    expect(status.entries.filter((e) => e.state === 'missing')).toEqual([
      expect.objectContaining({ note: expect.stringContaining('would run its migration again') }),
    ]);
    expect(status.pending.map((m) => m.tag)).toEqual([expect.stringMatching(/_comments$/)]);
    expect(status.consistent).toBe(false);
  });

  it('marks a 0.x row adopted by time alone with another hash as modified', () => {
    const dir = copyOut('v0-upped');
    const [first] = readMigrationFolder(dir).migrations;
    fs.appendFileSync(first!.file, '\n-- edited');
    const status = computeMigrationStatus(readMigrationFolder(dir), readLedger(ledgerDb('v0'), TABLE));
    expect(status.entries[0]).toMatchObject({
      state: 'modified',
      note: expect.stringContaining('time alone'),
    });
  });
});

describe('openLedgerWriter', () => {
  it('creates 1.0’s own ledger for a 1.0 folder and writes the rows drizzle-orm 1.0 writes', () => {
    const folder = readMigrationFolder(out('v1-fresh'));
    const db = ledgerDb();
    const writer = openLedgerWriter(db, TABLE, folder, () => new Date('2026-12-04T21:14:51.954Z'));
    for (const m of folder.migrations) writer.record(m);
    expect(writer).toMatchObject({ shapeBefore: 'absent', upgraded: false });
    const theirs = ledgerDb('v1');
    const text = (d: Database.Database) =>
      d.prepare(`SELECT sql FROM sqlite_schema WHERE name = ?`).pluck().get(TABLE);
    expect(text(db)).toBe(text(theirs));
    expect(readLedgerEntries(db, TABLE)).toEqual(readLedgerEntries(theirs, TABLE));
  });

  it('upgrades a 0.x ledger in place for a 1.0 folder, as 1.0 would, before writing 1.0 rows', () => {
    const db = ledgerDb('v0');
    const writer = openLedgerWriter(db, TABLE, readMigrationFolder(out('v0-upped')));
    expect(writer).toMatchObject({ shapeBefore: 'v0', upgraded: true });
    expect(detectLedgerShape(db, TABLE).shape).toBe('v1-upgraded');
    expect(readLedgerEntries(db, TABLE)).toEqual(readLedgerEntries(ledgerDb('v1-upgraded'), TABLE));
  });

  it('refuses, changing nothing, to upgrade a 0.x ledger with a row no folder matches', () => {
    const db = ledgerDb('v0');
    db.prepare(`INSERT INTO ${TABLE} (hash, created_at) VALUES ('abc', 1000)`).run();
    expect(() => openLedgerWriter(db, TABLE, readMigrationFolder(out('v0-upped')))).toThrow(/no folder/);
    expect(detectLedgerShape(db, TABLE).shape).toBe('v0');
  });

  it('writes only hash and created_at for the journal layout, on any ledger shape (what drizzle-orm 0.x writes)', () => {
    const folder = readMigrationFolder(out('v0-kept'));
    for (const shape of [undefined, 'v0', 'v1'] as const) {
      const db = ledgerDb(shape);
      const before = readLedgerEntries(db, TABLE).length;
      openLedgerWriter(db, TABLE, folder).record(folder.migrations[0]!);
      const added = readLedgerEntries(db, TABLE).slice(before);
      expect(added).toEqual([
        expect.objectContaining({
          hash: folder.migrations[0]!.hash,
          createdAt: folder.migrations[0]!.when,
          appliedAt: null,
        }),
      ]);
      expect(detectLedgerShape(db, TABLE).shape).toBe(shape ?? 'v0');
    }
  });
});
