// Reads that may run in the server process (issue 11 class 10): a statement whose preparation explodes, or whose
// values are huge, never does; an ordinary point query still does. Each case times the decision itself, which must
// be quick because nothing in this process can stop it.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeReadIfBounded, openQueryReadConnection } from '../../src/query/executor.js';
import { IN_PROCESS_VALUE_BUDGET_BYTES, preparesCheaply } from '../../src/query/in-process-gate.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';
import { doublingCte } from '../helpers/hostile-sql.js';

const PAGE = { maxRows: 100, maxBytes: 64 * 1024 };
const policy = { protectedTables: ['audit_log', '__drizzle_migrations'] };

let dir: string;
let db: Database.Database;
const BIG = IN_PROCESS_VALUE_BUDGET_BYTES + 8 * 1024 * 1024;

beforeAll(() => {
  dir = makeTempDir('dsm-gate-');
  const file = path.join(dir, 'app.db');
  const setup = new Database(file);
  setup.exec(`
    CREATE TABLE t (id integer PRIMARY KEY, name text, b blob);
    INSERT INTO t VALUES (1, 'small', x'00'), (2, 'big', zeroblob(${BIG})), (3, 'text', NULL);
    CREATE VIEW v0 AS SELECT id AS x FROM t;
  `);
  for (let i = 1; i <= 16; i++) setup.exec(`CREATE VIEW v${i} AS SELECT a.x FROM v${i - 1} a, v${i - 1} b`);
  setup.close();
  db = openQueryReadConnection(file, 0);
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Case {
  name: string;
  sql: string;
  params?: unknown[];
  /** true: runs in this process; false: left to the host. */
  inProcess: boolean;
}

const CASES: Case[] = [
  {
    name: 'a point query on a database over the budget, small cells',
    sql: 'SELECT id, name, b FROM t WHERE id = 1',
    inProcess: true,
  },
  {
    name: 'a point query with a bound key',
    sql: 'SELECT * FROM t WHERE id = ?',
    params: [3],
    inProcess: true,
  },
  { name: 'a constant', sql: "SELECT 1 AS one, 'x' AS two", inProcess: true },
  {
    name: 'a point query whose cell is bigger than the budget',
    sql: 'SELECT b FROM t WHERE id = 2',
    inProcess: false,
  },
  {
    name: 'the same cell through SELECT *',
    sql: 'SELECT * FROM t WHERE id = ?',
    params: [2],
    inProcess: false,
  },
  {
    name: 'a point query that compares a huge cell (SQLite loads it to compare)',
    sql: "SELECT id FROM t WHERE id = 2 AND b = x'01'",
    inProcess: false,
  },
  {
    name: 'a CTE chain that doubles 14 times (8 s to prepare, measured)',
    sql: doublingCte(14),
    inProcess: false,
  },
  { name: 'a CTE chain that doubles 40 times', sql: doublingCte(40), inProcess: false },
  {
    name: 'a view chain that doubles 16 times, named plainly',
    sql: 'SELECT x FROM v16 WHERE x = 1',
    inProcess: false,
  },
  { name: 'the same view, quoted and in another case', sql: 'SELECT x FROM "V16" LIMIT 1', inProcess: false },
  {
    name: 'deeply nested parentheses',
    sql: `SELECT ${'('.repeat(200)}1${')'.repeat(200)} AS deep`,
    inProcess: false,
  },
  {
    name: 'a long list of scalar subqueries',
    sql: `SELECT ${Array.from({ length: 300 }, (_, i) => `(SELECT ${i})`).join(', ')}`,
    inProcess: false,
  },
];

describe('which reads run in the server process', () => {
  for (const kase of CASES) {
    it(`${kase.inProcess ? 'runs' : 'leaves to the host'} ${kase.name}`, () => {
      const started = performance.now();
      const result = executeReadIfBounded(db, policy, {
        sql: kase.sql,
        ...PAGE,
        ...(kase.params ? { params: kase.params as never } : {}),
      });
      const ms = performance.now() - started;
      expect(result !== undefined).toBe(kase.inProcess);
      // The decision (and a read that runs here) takes no time worth speaking of, whatever the statement.
      expect(ms).toBeLessThan(1000);
      expect(db.inTransaction).toBe(false);
    });
  }

  it('reads the gate’s words as SQLite does: a view name inside a string is not a view', () => {
    expect(preparesCheaply("SELECT 'v16' AS name", new Set(['v16']))).toBe(true);
    expect(preparesCheaply('SELECT * FROM [v16]', new Set(['v16']))).toBe(false);
  });
});
