// The ledger shapes drizzle-orm leaves behind (test/fixtures/drizzle-1/ledgers, each made by the real migrator) and
// drizzle-orm 1.0's in-place upgrade of a 0.x ledger, replayed: same matches, same statements, same end state.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readV1Folder } from '../../src/migrations/layout-v1.js';
import {
  detectLedgerShape,
  insertV1LedgerRow,
  type LedgerEntry,
  planLedgerUpgrade,
  readLedgerEntries,
  upgradeLedgerInPlace,
  v1LedgerDdl,
} from '../../src/migrations/ledger-shape.js';
import { DRIZZLE_1_FIXTURES_DIR, ledgerFixtureSql, type LedgerFixture } from '../helpers/drizzle-rc.js';

const TABLE = '__drizzle_migrations';

function ledgerDb(shape: LedgerFixture): Database.Database {
  const db = new Database(':memory:');
  db.exec(ledgerFixtureSql(shape));
  return db;
}

function ledgerText(db: Database.Database): string {
  return db.prepare(`SELECT sql FROM sqlite_schema WHERE name = ?`).pluck().get(TABLE) as string;
}

const upped = () =>
  readV1Folder(path.join(DRIZZLE_1_FIXTURES_DIR, 'v0-upped', 'drizzle')).migrations.map((m) => ({
    name: m.name,
    createdAt: m.createdAt,
    hash: m.hash,
  }));

describe('detectLedgerShape', () => {
  it.each([
    ['v0', 'v0', false, ['id', 'hash', 'created_at']],
    ['v1-upgraded', 'v1-upgraded', false, ['id', 'hash', 'created_at', 'name', 'applied_at']],
    ['v1', 'v1', true, ['id', 'hash', 'created_at', 'name', 'applied_at']],
  ] as const)('recognises the %s ledger drizzle-orm wrote', (fixture, shape, idIsRowid, columns) => {
    expect(detectLedgerShape(ledgerDb(fixture), TABLE)).toEqual({ shape, idIsRowid, columns });
  });

  it('says absent for no table and foreign for a same-named table that is not a ledger', () => {
    const db = new Database(':memory:');
    expect(detectLedgerShape(db, TABLE).shape).toBe('absent');
    db.exec(`CREATE TABLE "${TABLE}" (id INTEGER PRIMARY KEY, version TEXT)`);
    expect(detectLedgerShape(db, TABLE).shape).toBe('foreign');
    expect(() => readLedgerEntries(db, TABLE)).toThrow(/not a drizzle migrations ledger/);
  });

  it('creates, with v1LedgerDdl, the very text drizzle-orm 1.0 leaves in sqlite_schema', () => {
    const ours = new Database(':memory:');
    ours.exec(v1LedgerDdl(TABLE));
    expect(ledgerText(ours)).toBe(ledgerText(ledgerDb('v1')));
    expect(detectLedgerShape(ours, TABLE).shape).toBe('v1');
  });
});

describe('readLedgerEntries', () => {
  it('reads every shape in write order, with NULL ids where SERIAL left them', () => {
    const v0 = readLedgerEntries(ledgerDb('v0'), TABLE);
    expect(v0).toHaveLength(3);
    expect(v0.every((row) => row.id === null && row.name === null && typeof row.createdAt === 'number')).toBe(
      true,
    );
    const upgraded = readLedgerEntries(ledgerDb('v1-upgraded'), TABLE);
    expect(upgraded.map((row) => row.name)).toEqual(upped().map((m) => m.name));
    expect(upgraded.every((row) => row.id === null && row.appliedAt === null)).toBe(true);
    const v1 = readLedgerEntries(ledgerDb('v1'), TABLE);
    expect(v1.map((row) => row.id)).toEqual([1, 2, 3]);
    expect(v1.every((row) => typeof row.appliedAt === 'string')).toBe(true);
  });
});

describe('planLedgerUpgrade and upgradeLedgerInPlace', () => {
  it('turns the 0.x ledger into exactly the ledger drizzle-orm 1.0 made from it', () => {
    const db = ledgerDb('v0');
    const plan = planLedgerUpgrade(readLedgerEntries(db, TABLE), upped());
    expect(plan.unmatched).toEqual([]);
    expect(plan.matches.map((match) => match.by)).toEqual(['millis', 'millis', 'millis']);
    upgradeLedgerInPlace(db, TABLE, plan);
    const expected = ledgerDb('v1-upgraded');
    expect(ledgerText(db)).toBe(ledgerText(expected));
    expect(readLedgerEntries(db, TABLE)).toEqual(readLedgerEntries(expected, TABLE));
    expect(detectLedgerShape(db, TABLE).shape).toBe('v1-upgraded');
  });

  it('tells migrations of the same second apart by hash, and takes a lone one by its second alone', () => {
    const second = Date.UTC(2026, 0, 2, 3, 4, 5);
    const migrations = [
      { name: '20260102030405_a', createdAt: second, hash: 'hash-a' },
      { name: '20260102030405_b', createdAt: second, hash: 'hash-b' },
      { name: '20260102030406_c', createdAt: second + 1000, hash: 'hash-c' },
    ];
    const row = (rowid: number, createdAt: number, hash: string): LedgerEntry => ({
      rowid,
      id: null,
      hash,
      createdAt,
      name: null,
      appliedAt: null,
    });
    const plan = planLedgerUpgrade(
      [row(1, second + 10, 'hash-b'), row(2, second + 20, 'hash-a'), row(3, second + 1500, 'edited')],
      migrations,
    );
    expect(plan.matches).toEqual([
      { rowid: 1, name: '20260102030405_b', by: 'hash', key: 'hash-b' },
      { rowid: 2, name: '20260102030405_a', by: 'hash', key: 'hash-a' },
      // The trap: drizzle-orm adopts the only migration of that second whatever its hash.
      { rowid: 3, name: '20260102030406_c', by: 'millis', key: String(second + 1500) },
    ]);
  });

  it('refuses, changing nothing, when a row matches no migration (drizzle-orm 1.0 throws there)', () => {
    const db = ledgerDb('v0');
    db.prepare(`INSERT INTO "${TABLE}" ("hash", "created_at") VALUES ('deadbeef', 1500000000000)`).run();
    const plan = planLedgerUpgrade(readLedgerEntries(db, TABLE), upped());
    expect(plan.unmatched.map((row) => row.hash)).toEqual(['deadbeef']);
    expect(() => upgradeLedgerInPlace(db, TABLE, plan)).toThrow(/no folder in the migrations folder matches/);
    expect(detectLedgerShape(db, TABLE).shape).toBe('v0');
  });

  it('matches by id when a hand-made 0.x ledger has real ids', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE "${TABLE}" (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
    const [first] = upped();
    db.prepare(`INSERT INTO "${TABLE}" (hash, created_at) VALUES (?, ?)`).run(
      first!.hash,
      first!.createdAt + 250,
    );
    expect(detectLedgerShape(db, TABLE)).toMatchObject({ shape: 'v0', idIsRowid: true });
    const plan = planLedgerUpgrade(readLedgerEntries(db, TABLE), upped());
    expect(plan.matches).toEqual([{ rowid: 1, name: first!.name, by: 'id', key: 1 }]);
    upgradeLedgerInPlace(db, TABLE, plan);
    expect(readLedgerEntries(db, TABLE)[0]).toMatchObject({ id: 1, name: first!.name, appliedAt: null });
    expect(detectLedgerShape(db, TABLE).shape).toBe('v1');
  });
});

describe('insertV1LedgerRow', () => {
  it('writes the row drizzle-orm 1.0 writes: next id on a 1.0 ledger, NULL id on an upgraded one', () => {
    const row = {
      hash: 'h',
      createdAt: 1_800_000_000_000,
      name: '20270115080000_x',
      appliedAt: '2027-01-15T08:00:00.000Z',
    };
    const v1 = ledgerDb('v1');
    insertV1LedgerRow(v1, TABLE, row);
    expect(readLedgerEntries(v1, TABLE).at(-1)).toEqual({ rowid: 4, id: 4, ...row });
    const upgraded = ledgerDb('v1-upgraded');
    insertV1LedgerRow(upgraded, TABLE, row);
    expect(readLedgerEntries(upgraded, TABLE).at(-1)).toEqual({ rowid: 4, id: null, ...row });
  });
});
