import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBoundedProgram } from '../../src/query/bounded-program.js';

let db: Database.Database;
beforeAll(() => {
  db = new Database(':memory:');
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, team INTEGER);
    CREATE INDEX users_team ON users (team);
    CREATE TABLE tags (key TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
    CREATE VIEW names AS SELECT name FROM users;
  `);
});
afterAll(() => db.close());

const program = (sql: string, ...args: unknown[]) =>
  db
    .prepare(`EXPLAIN ${sql}`)
    .raw(true)
    .all(...args) as unknown[][];

describe('isBoundedProgram', () => {
  it.each([
    ['a primary-key lookup', 'SELECT * FROM users WHERE id = 5'],
    ['a bound primary-key lookup', 'SELECT name, email FROM users WHERE id = ?', 7],
    ['a unique-index lookup', 'SELECT * FROM users WHERE email = ?', 'a@example.com'],
    ['a WITHOUT ROWID key lookup', "SELECT v FROM tags WHERE key = 'x'"],
    ['a lookup with a further filter', 'SELECT * FROM users WHERE id = 5 AND team = 2'],
    ['a constant', 'SELECT 1, NULL, 2.5'],
    ['VALUES', "VALUES (1, 'a')"],
  ])('passes %s', (_what, sql, ...args) => {
    expect(isBoundedProgram(program(sql, ...args))).toBe(true);
  });

  it.each([
    ['a table scan', 'SELECT * FROM users'],
    ['a non-unique index range', 'SELECT * FROM users WHERE team = 2'],
    ['a key range', 'SELECT * FROM users WHERE id > 5'],
    ['an IN list', 'SELECT * FROM users WHERE id IN (1, 2)'],
    ['a function call', 'SELECT upper(name) FROM users WHERE id = 1'],
    ['a blob generator', 'SELECT zeroblob(1000000000)'],
    ['an aggregate', 'SELECT count(*) FROM users'],
    ['a sort', 'SELECT * FROM users ORDER BY name'],
    [
      'a recursive CTE',
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c LIMIT 5',
    ],
    ['a subquery', 'SELECT (SELECT count(*) FROM users) FROM users WHERE id = 1'],
    ['a view that scans', 'SELECT * FROM names'],
    ['a table-valued function', "SELECT * FROM json_each('[1,2,3]')"],
    ['a join', 'SELECT * FROM users a JOIN users b ON a.team = b.team WHERE a.id = 1'],
  ])('refuses %s', (_what, sql) => {
    expect(isBoundedProgram(program(sql))).toBe(false);
  });

  it('refuses an opcode it does not know, a backward jump, and an empty program', () => {
    const base = program('SELECT * FROM users WHERE id = 1');
    expect(isBoundedProgram(base)).toBe(true);
    const unknown = base.map((row) => (row[1] === 'Column' ? [row[0], 'Frobnicate', ...row.slice(2)] : row));
    expect(isBoundedProgram(unknown)).toBe(false);
    const seekIndex = base.findIndex((row) => row[1] === 'SeekRowid');
    const backward = base.map((row, i) =>
      i === seekIndex ? [row[0], row[1], row[2], 0, ...row.slice(4)] : row,
    );
    expect(isBoundedProgram(backward)).toBe(false);
    expect(isBoundedProgram([])).toBe(false);
  });
});
