import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countRows, introspectDatabase } from '../../src/sqlite/introspect.js';
import { isAppError } from '../../src/core/errors.js';
import { createDefaultDatabase, type Fixture } from './lint-fixtures.js';

describe('introspectDatabase', () => {
  let fixture: Fixture;
  beforeEach(() => {
    fixture = createDefaultDatabase();
  });
  afterEach(() => fixture.close());

  it('reads the default schema: columns, defaults, keys, indexes, foreign keys and exact row counts', () => {
    const schema = introspectDatabase(fixture.db);
    expect(schema.tables.map((t) => t.name)).toEqual([
      'audit_log',
      'check_ins',
      'journal_entries',
      'sessions',
      'users',
    ]);
    const checkIns = schema.tables.find((t) => t.name === 'check_ins')!;
    expect(checkIns.columns.find((c) => c.name === 'id')).toEqual({
      name: 'id',
      type: 'TEXT',
      notNull: true,
      primaryKey: 1,
    });
    expect(checkIns.columns.find((c) => c.name === 'sleep_hours')).toEqual({
      name: 'sleep_hours',
      type: 'REAL',
      notNull: false,
    });
    expect(checkIns.columns.find((c) => c.name === 'created_at')?.default).toMatch(
      /^\(?CURRENT_TIMESTAMP\)?$/,
    );
    expect(checkIns.indexes).toContainEqual({
      name: 'idx_check_ins_user_created',
      unique: false,
      origin: 'index',
      columns: ['user_id', 'created_at'],
    });
    expect(checkIns.foreignKeys).toEqual([
      { columns: ['user_id'], table: 'users', to: ['id'], onDelete: 'cascade', onUpdate: 'no action' },
    ]);
    expect(checkIns.rowCount).toEqual({ count: 3, exact: true });
    const audit = schema.tables.find((t) => t.name === 'audit_log')!;
    expect(audit.columns[0]).toEqual({
      name: 'id',
      type: 'INTEGER',
      notNull: true,
      primaryKey: 1,
      autoincrement: true,
    });
    const users = schema.tables.find((t) => t.name === 'users')!;
    expect(users.columns.find((c) => c.name === 'role')?.default).toBe("'member'");
    expect(users.indexes.find((i) => i.name === 'users_email_unique')).toMatchObject({
      unique: true,
      origin: 'index',
    });
    expect(schema.views).toEqual([]);
    expect(schema.triggers).toEqual([]);
  });

  it('reads generated columns, composite keys, partial and expression indexes, checks, views and triggers', () => {
    fixture.db.exec(`
      CREATE TABLE "odd ""name""" (
        a INTEGER, b TEXT,
        c TEXT GENERATED ALWAYS AS (upper(b)) VIRTUAL,
        d INT AS (a * 2) STORED,
        CONSTRAINT chk_a CHECK (a > 0), CHECK (length(b) < 10),
        UNIQUE (a, b), PRIMARY KEY (b, a),
        FOREIGN KEY (a) REFERENCES users ON DELETE SET NULL ON UPDATE CASCADE
      ) STRICT;
      CREATE INDEX p ON "odd ""name""" (lower(b) DESC, a) WHERE a > 5;
      CREATE VIEW active_users AS SELECT * FROM users WHERE is_active;
      CREATE TRIGGER tr AFTER INSERT ON users BEGIN SELECT CASE WHEN 1 THEN 2 END; END;
    `);
    const schema = introspectDatabase(fixture.db, {
      tables: ['odd "name"', 'users', 'active_users'],
      rowCounts: false,
    });
    const odd = schema.tables.find((t) => t.name === 'odd "name"')!;
    expect(odd.strict).toBe(true);
    expect(odd.rowCount).toBeUndefined();
    expect(odd.columns).toEqual([
      // STRICT tables enforce NOT NULL on primary-key columns.
      { name: 'a', type: 'INTEGER', notNull: true, primaryKey: 2 },
      { name: 'b', type: 'TEXT', notNull: true, primaryKey: 1 },
      { name: 'c', type: 'TEXT', notNull: false, generated: { kind: 'virtual', expression: 'upper(b)' } },
      { name: 'd', type: 'INT', notNull: false, generated: { kind: 'stored', expression: 'a * 2' } },
    ]);
    expect(odd.indexes).toEqual([
      { name: 'p', unique: false, origin: 'index', columns: ['lower(b)', 'a'], where: 'a > 5' },
      { name: 'sqlite_autoindex_odd "name"_1', unique: true, origin: 'unique', columns: ['a', 'b'] },
      { name: 'sqlite_autoindex_odd "name"_2', unique: true, origin: 'pk', columns: ['b', 'a'] },
    ]);
    expect(odd.foreignKeys).toEqual([
      { columns: ['a'], table: 'users', to: ['id'], onDelete: 'set null', onUpdate: 'cascade' },
    ]);
    expect(odd.checks).toEqual([{ name: 'chk_a', expression: 'a > 0' }, { expression: 'length(b) < 10' }]);
    expect(schema.views).toEqual([
      { name: 'active_users', sql: 'CREATE VIEW active_users AS SELECT * FROM users WHERE is_active' },
    ]);
    expect(schema.triggers).toEqual([
      { name: 'tr', table: 'users', sql: expect.stringContaining('CASE WHEN 1 THEN 2 END; END') },
    ]);
  });

  it('rejects an unknown table name with the existing tables in the hint', () => {
    let error: unknown;
    try {
      introspectDatabase(fixture.db, { tables: ['users', 'nope'] });
    } catch (e) {
      error = e;
    }
    expect(isAppError(error) && error.code).toBe('NOT_FOUND');
    expect(isAppError(error) && error.message).toContain('"nope"');
    expect(isAppError(error) && error.hint).toBe(
      'Existing tables: audit_log, check_ins, journal_entries, sessions, users.',
    );
  });

  it('leaves out excluded tables and SQLite internals', () => {
    fixture.db.exec(
      'CREATE TABLE __drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric); ANALYZE;',
    );
    const byList = introspectDatabase(fixture.db, { exclude: ['__drizzle_migrations', 'audit_log'] });
    expect(byList.tables.map((t) => t.name)).toEqual(['check_ins', 'journal_entries', 'sessions', 'users']);
    const byPredicate = introspectDatabase(fixture.db, { exclude: (name) => name.startsWith('__') });
    expect(byPredicate.tables.map((t) => t.name)).not.toContain('__drizzle_migrations');
    expect(byPredicate.tables.map((t) => t.name)).not.toContain('sqlite_stat1');
  });

  it('bounds row counts: a lower bound beyond the limit, sqlite_stat1 when ANALYZE has run', () => {
    fixture.db.exec(`
      CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000) INSERT INTO big (v) SELECT 'x' FROM s;
    `);
    expect(countRows(fixture.db, 'big', 10_000)).toEqual({ count: 5000, exact: true });
    expect(countRows(fixture.db, 'big', 100)).toEqual({ count: 100, exact: false, basis: 'more_than' });
    fixture.db.exec('CREATE INDEX big_v ON big (v); ANALYZE;');
    expect(countRows(fixture.db, 'big', 100)).toEqual({ count: 5000, exact: false, basis: 'sqlite_stat1' });
    const [big] = introspectDatabase(fixture.db, { tables: ['big'], rowCountBound: 100 }).tables;
    expect(big!.rowCount).toEqual({ count: 5000, exact: false, basis: 'sqlite_stat1' });
  });

  it('works on a read-only connection', async () => {
    const { default: Database } = await import('better-sqlite3');
    const readOnly = new Database(fixture.file, { readonly: true, fileMustExist: true });
    try {
      readOnly.pragma('query_only = ON');
      expect(introspectDatabase(readOnly).tables).toHaveLength(5);
    } finally {
      readOnly.close();
    }
  });
});
