// The typed-row domain on column kinds the embedded schema lacks (blob JSON, blob bigint, timestamp_ms, numeric,
// generated columns, defaults from the live database, nullable sort keys), run for real through the query host's
// own executor on a temp SQLite file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAuditTable } from '../../src/audit/audit-log.js';
import type { AppError } from '../../src/core/errors.js';
import type { SchemaColumn, SchemaTable } from '../../src/project/types.js';
import {
  decodeCursor,
  decodeRows,
  nextCursor,
  planSelect,
  planWrite,
  TableModel,
  type LiveColumn,
} from '../../src/query/drizzle-rows.js';
import { QueryExecutor } from '../../src/query/executor.js';
import type { ReadResult, WriteResult } from '../../src/query/protocol.js';

const col = (
  property: string,
  name: string,
  columnType: string,
  extra: Partial<SchemaColumn> = {},
): SchemaColumn => ({
  property,
  name,
  columnType,
  dataType: 'string',
  sqlType: 'text',
  notNull: false,
  hasDefault: false,
  primaryKey: false,
  ...extra,
});

const GADGETS: SchemaTable = {
  exportName: 'gadgets',
  name: 'gadgets',
  columns: [
    col('id', 'id', 'SQLiteInteger', {
      dataType: 'number',
      sqlType: 'integer',
      primaryKey: true,
      notNull: true,
      hasDefault: true,
    }),
    col('meta', 'meta', 'SQLiteBlobJson', { dataType: 'json', sqlType: 'blob', mode: 'json' }),
    col('serial', 'serial', 'SQLiteBigInt', { dataType: 'bigint', sqlType: 'blob', mode: 'bigint' }),
    col('seenAt', 'seen_at', 'SQLiteTimestamp', {
      dataType: 'date',
      sqlType: 'integer',
      mode: 'timestamp_ms',
    }),
    col('price', 'price', 'SQLiteNumeric', { sqlType: 'numeric' }),
    col('label', 'label', 'SQLiteText', { notNull: true, hasDefault: true }),
    col('shout', 'shout', 'SQLiteText'),
    col('rank', 'rank', 'SQLiteInteger', { dataType: 'number', sqlType: 'integer' }),
    col('token', 'token', 'SQLiteText', { notNull: true, hasDefault: true }),
  ],
};

let dir: string;
let executor: QueryExecutor;
let model: TableModel;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-rows-'));
  const file = path.join(dir, 'app.db');
  const db = new Database(file);
  db.exec(`CREATE TABLE gadgets (
    id INTEGER PRIMARY KEY, meta BLOB, serial BLOB, seen_at INTEGER, price NUMERIC,
    label TEXT NOT NULL DEFAULT 'unnamed', shout TEXT GENERATED ALWAYS AS (upper(label)) VIRTUAL, rank INTEGER,
    token TEXT NOT NULL)`);
  ensureAuditTable(db, 'audit_log');
  const live = new Map<string, LiveColumn>();
  for (const fact of db
    .prepare('SELECT name, dflt_value AS d, hidden FROM pragma_table_xinfo(?)')
    .all('gadgets') as Array<{ name: string; d: string | null; hidden: number }>) {
    live.set(fact.name, { defaultSql: fact.d, generated: fact.hidden === 2 || fact.hidden === 3 });
  }
  db.close();
  executor = new QueryExecutor({ dbFile: file, busyTimeoutMs: 1000, protectedTables: ['audit_log'] });
  model = new TableModel(GADGETS, live);
});

afterAll(() => {
  executor.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(statement: { sql: string; params: unknown[] }): WriteResult {
  const response = executor.handle({
    id: 1,
    kind: 'write',
    request: {
      sql: statement.sql,
      params: statement.params as never,
      budget: 100,
      allowOverBudget: false,
      dryRun: false,
      maxCellChars: 0,
      audit: {
        table: 'audit_log',
        entry: { createdAt: new Date().toISOString(), tool: 'write_rows' },
        startedAtMs: Date.now(),
      },
    },
  });
  if (!response.ok) throw new Error(response.error.message);
  return response.result as WriteResult;
}

function read(statement: { sql: string; params: unknown[] }): ReadResult {
  const response = executor.handle({
    id: 2,
    kind: 'read',
    request: {
      sql: statement.sql,
      params: statement.params as never,
      maxRows: 3,
      maxBytes: 100_000,
      maxCellChars: 0,
    },
  });
  if (!response.ok) throw new Error(response.error.message);
  return response.result as ReadResult;
}

describe('typed rows on the less common Drizzle column kinds', () => {
  it('round-trips blob JSON, blob bigint, timestamp_ms and numeric, applying the database default and skipping generated columns', () => {
    const result = write(
      planWrite(model, {
        action: 'insert',
        rows: [
          {
            meta: { tags: ['a'], n: 1 },
            serial: '18446744073709551',
            seenAt: '2024-02-29T23:59:59.123Z',
            price: '12.50',
            token: 't1',
          },
          { label: 'lamp', serial: 42, token: 't2', rank: 7 },
        ],
      }),
    );
    expect(result.rowsAffected).toBe(2);
    const rows = decodeRows(model, result.returning!, GADGETS.columns);
    expect(rows[0]).toEqual([
      1,
      { tags: ['a'], n: 1 },
      '18446744073709551',
      '2024-02-29T23:59:59.123Z',
      '12.5',
      'unnamed',
      'UNNAMED',
      null,
      't1',
    ]);
    expect(rows[1]).toEqual([2, null, '42', null, null, 'lamp', 'LAMP', 7, 't2']);
  });

  it('refuses to invent an app-computed default the database does not have', () => {
    // token is NOT NULL with hasDefault in Drizzle ($defaultFn) but no DEFAULT in SQL.
    expect(() => planWrite(model, { action: 'insert', rows: [{ label: 'x' }] })).toThrow(
      /token has no database default: its default is computed by the app's code/,
    );
  });

  it('refuses a blob-json or bigint value of the wrong shape', () => {
    expect(() => planWrite(model, { action: 'insert', rows: [{ serial: '12abc', token: 't' }] })).toThrow(
      /rows\[0\]\.serial/,
    );
    expect(() => planWrite(model, { action: 'insert', rows: [{ seenAt: 1700000000, token: 't' }] })).toThrow(
      /seenAt: expected an ISO-8601 date-time/,
    );
  });

  it('pages with an offset cursor when a sort key is nullable, and a keyset cursor otherwise', () => {
    for (let i = 0; i < 5; i += 1)
      write(planWrite(model, { action: 'insert', rows: [{ token: `p${i}`, rank: i % 2 ? null : i }] }));
    const byRank = planSelect(model, { limit: 3, orderBy: ['rank desc'], columns: ['token'] });
    expect(byRank.keyset).toBe(false);
    const first = read(byRank);
    const cursor = nextCursor(byRank, first)!;
    expect(decodeCursor(cursor)).toMatchObject({ o: 3 });
    const second = read(planSelect(model, { limit: 3, orderBy: ['rank desc'], columns: ['token'], cursor }));
    const seen = [
      ...decodeRows(model, first, byRank.selected, byRank.visible),
      ...decodeRows(model, second, byRank.selected, byRank.visible),
    ];
    expect(new Set(seen.map((row) => row[0])).size).toBe(6);

    const byToken = planSelect(model, { limit: 3, orderBy: ['token'] });
    expect(byToken.keyset).toBe(true);
    const page = read(byToken);
    // t1 and t2 (ids 1, 2) sort after p0…p4 (ids 3…7): the page is p0, p1, p2.
    expect(decodeCursor(nextCursor(byToken, page)!).k).toEqual(['p2', 5]);
  });

  it('filters a timestamp_ms column by ISO text', () => {
    const plan = planSelect(model, {
      limit: 10,
      columns: ['id'],
      where: { seenAt: { gte: '2024-02-29T00:00:00Z', lt: '2024-03-01T00:00:00Z' } },
    });
    expect(plan.params.slice(0, 2)).toEqual([Date.UTC(2024, 1, 29), Date.UTC(2024, 2, 1)]);
    expect(read(plan).rows).toEqual([[1]]);
  });

  it('refuses to order by a JSON column', () => {
    let error: AppError | undefined;
    try {
      planSelect(model, { limit: 1, orderBy: ['meta'] });
    } catch (thrown) {
      error = thrown as AppError;
    }
    expect(error?.code).toBe('INVALID_ARGUMENT');
  });
});
