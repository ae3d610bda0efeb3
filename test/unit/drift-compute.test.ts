import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, unique } from 'drizzle-orm/sqlite-core';
import { generateSQLiteDrizzleJson, generateSQLiteMigration } from 'drizzle-kit/api';
import { introspectDatabase } from '../../src/sqlite/introspect.js';
import { serverTables } from '../../src/guard/server-tables.js';
import { computeDrift, type DriftInput } from '../../src/migrations/drift.js';
import type { SqliteSnapshot } from '../../src/project/types.js';
import * as defaultSchema from '../../src/db/schema.js';
import { cloneSnapshot, createDefaultDatabase, INIT_SNAPSHOT, type Fixture } from './lint-fixtures.js';

type Tables = Record<
  string,
  {
    columns: Record<string, Record<string, unknown>>;
    indexes: Record<string, unknown>;
    foreignKeys: Record<string, Record<string, unknown>>;
    checkConstraints: Record<string, unknown>;
  }
>;
const tablesOf = (s: SqliteSnapshot) => s.tables as Tables;

describe('computeDrift: the live database vs the last migration snapshot', () => {
  let fixture: Fixture;
  beforeEach(() => {
    fixture = createDefaultDatabase();
  });
  afterEach(() => fixture.close());

  const live = () => introspectDatabase(fixture.db, { rowCounts: false });

  it('finds no drift between a database built by the first migration and its snapshot', () => {
    const drift = computeDrift({ database: live(), lastSnapshot: INIT_SNAPSHOT });
    expect(drift).toEqual({
      inSync: true,
      database: { inSync: true, compared: 'the database vs the last migration snapshot', tables: [] },
    });
  });

  it('normalises the known false positives of a hand-written equivalent schema', () => {
    const db = new Database(':memory:');
    db.exec(`
      CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL, username TEXT NOT NULL, password_hash TEXT,
        is_active INTEGER NOT NULL DEFAULT 1, preferences TEXT, role TEXT NOT NULL DEFAULT ('member'),
        created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at TEXT);
      CREATE UNIQUE INDEX users_email_unique ON users ("email");
      CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at text NOT NULL, tool text NOT NULL, outcome text NOT NULL,
        error_code text, duration_ms integer NOT NULL, client text, target_type text, target_id text, details text,
        rows_affected integer, prev_hash text NOT NULL, hash text NOT NULL);
      CREATE INDEX audit_log_created_at_idx ON audit_log (created_at); CREATE INDEX audit_log_tool_idx ON audit_log (tool);
      CREATE INDEX audit_log_outcome_idx ON audit_log (outcome); CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id);
    `);
    const snapshot = cloneSnapshot();
    for (const name of ['check_ins', 'journal_entries', 'sessions']) delete tablesOf(snapshot)[name];
    const drift = computeDrift({
      database: introspectDatabase(db, { rowCounts: false }),
      lastSnapshot: snapshot,
    });
    db.close();
    expect(drift.database?.tables).toEqual([]);
    expect(drift.inSync).toBe(true);
  });

  it.each([
    {
      name: 'a column made nullable by hand',
      edit: (s: SqliteSnapshot) => (tablesOf(s).check_ins!.columns.mood!.notNull = true),
      prepare: (db: Database.Database) =>
        db.exec(`PRAGMA foreign_keys=OFF; CREATE TABLE __c AS SELECT * FROM check_ins; DROP TABLE check_ins;
          CREATE TABLE check_ins (id text PRIMARY KEY NOT NULL, user_id text NOT NULL REFERENCES users(id) ON DELETE cascade, mood integer,
            craving_level integer NOT NULL, sleep_hours real, notes text, created_at text DEFAULT (CURRENT_TIMESTAMP) NOT NULL);
          INSERT INTO check_ins SELECT * FROM __c; DROP TABLE __c; CREATE INDEX idx_check_ins_user_created ON check_ins (user_id, created_at);
          PRAGMA foreign_keys=ON;`),
      expected: [
        {
          table: 'check_ins',
          status: 'differs',
          differences: ['column check_ins.mood: NOT NULL in the migrations, nullable in the database'],
        },
      ],
    },
    {
      name: 'an extra column, an extra index and an extra table',
      prepare: (db: Database.Database) =>
        db.exec(
          'ALTER TABLE users ADD COLUMN bio text; CREATE INDEX users_bio ON users (bio); CREATE TABLE notes (id integer PRIMARY KEY);',
        ),
      expected: [
        {
          table: 'users',
          status: 'differs',
          differences: [
            'column users.bio: in the database, not in the migrations',
            'index users_bio on users: (bio) in the database, not in the migrations',
          ],
        },
        {
          table: 'notes',
          status: 'extra_in_db',
          differences: ['table notes: in the database, not in the migrations'],
        },
      ],
    },
    {
      name: 'a dropped table, a dropped index and a changed default',
      prepare: (db: Database.Database) => db.exec(`DROP TABLE sessions; DROP INDEX idx_journal_user;`),
      edit: (s: SqliteSnapshot) => (tablesOf(s).users!.columns.role!.default = "'coach'"),
      expected: [
        {
          table: 'journal_entries',
          status: 'differs',
          differences: [
            'index idx_journal_user on journal_entries: (user_id) in the migrations, missing in the database',
          ],
        },
        {
          table: 'sessions',
          status: 'missing_in_db',
          differences: ['table sessions: in the migrations, missing in the database'],
        },
        {
          table: 'users',
          status: 'differs',
          differences: ["column users.role: default 'coach' in the migrations, 'member' in the database"],
        },
      ],
    },
    {
      name: 'a foreign key action that differs (drizzle #5619 applied as generated)',
      prepare: (db: Database.Database) =>
        db.exec('ALTER TABLE journal_entries ADD mood_ref text REFERENCES check_ins(id);'),
      edit: (s: SqliteSnapshot) => {
        const journal = tablesOf(s).journal_entries!;
        journal.columns.mood_ref = {
          name: 'mood_ref',
          type: 'text',
          primaryKey: false,
          notNull: false,
          autoincrement: false,
        };
        journal.foreignKeys.j_fk = {
          name: 'j_fk',
          tableFrom: 'journal_entries',
          tableTo: 'check_ins',
          columnsFrom: ['mood_ref'],
          columnsTo: ['id'],
          onDelete: 'cascade',
          onUpdate: 'no action',
        };
      },
      expected: [
        {
          table: 'journal_entries',
          status: 'differs',
          differences: [
            'foreign key journal_entries(mood_ref) → check_ins(id): ON DELETE cascade in the migrations, no action in the database',
          ],
        },
      ],
    },
  ])('describes $name in actionable sentences', ({ prepare, edit, expected }) => {
    prepare(fixture.db);
    const snapshot = cloneSnapshot();
    edit?.(snapshot);
    const drift = computeDrift({ database: live(), lastSnapshot: snapshot, lastMigrationTag: '0000_init' });
    expect(drift.inSync).toBe(false);
    expect(drift.database?.compared).toBe('the database vs the last migration snapshot (0000_init)');
    expect(drift.database?.tables).toEqual(expected);
    expect(drift.database?.advice).toMatch(/changed outside the migrations/);
  });

  it('explains drift by pending migrations first', () => {
    fixture.db.exec('DROP TABLE sessions;');
    const drift = computeDrift({ database: live(), lastSnapshot: INIT_SNAPSHOT, pendingMigrations: 2 });
    expect(drift.database?.advice).toMatch(/^2 migrations are not applied yet/);
  });

  it('ignores the migrations ledger, SQLite internals and the undeclared audit table', () => {
    fixture.db.exec(
      'CREATE TABLE my_ledger (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric); ANALYZE;',
    );
    const snapshot = cloneSnapshot();
    delete tablesOf(snapshot).audit_log;
    const input: DriftInput = {
      database: live(),
      lastSnapshot: snapshot,
      serverTables: serverTables({ ledgerTable: 'my_ledger' }),
    };
    expect(computeDrift(input).inSync).toBe(true);
    // …but a declared audit table is compared like any other.
    fixture.db.exec('DROP INDEX audit_log_tool_idx;');
    const declared = computeDrift({ ...input, database: live(), lastSnapshot: INIT_SNAPSHOT });
    expect(declared.database?.tables.map((t) => t.table)).toEqual(['audit_log']);
  });

  it('honours the tablesFilter of drizzle.config.ts', () => {
    fixture.db.exec('CREATE TABLE legacy_orders (id integer PRIMARY KEY);');
    expect(
      computeDrift({ database: live(), lastSnapshot: INIT_SNAPSHOT, tablesFilter: ['!legacy_*'] }).inSync,
    ).toBe(true);
    expect(computeDrift({ database: live(), lastSnapshot: INIT_SNAPSHOT }).inSync).toBe(false);
  });

  it('reports every table as extra when the project has no migrations yet', () => {
    const drift = computeDrift({ database: live() });
    expect(drift.database?.tables.map((t) => t.status)).toEqual([
      'extra_in_db',
      'extra_in_db',
      'extra_in_db',
      'extra_in_db',
    ]);
    expect(drift.database?.advice).toMatch(/no migrations yet/);
  });
});

describe('computeDrift: the last migration snapshot vs schema.ts', () => {
  it('finds the embedded schema.ts in sync with its committed first migration', async () => {
    const current = (await generateSQLiteDrizzleJson(
      defaultSchema as Record<string, unknown>,
    )) as unknown as SqliteSnapshot;
    expect(computeDrift({ lastSnapshot: INIT_SNAPSHOT, currentSnapshot: current })).toEqual({
      inSync: true,
      schema: { inSync: true, compared: 'schema.ts vs the last migration snapshot', tables: [] },
    });
  });

  it('says which tables need a migration', () => {
    const current = cloneSnapshot();
    tablesOf(current).check_ins!.columns.mood!.notNull = false;
    tablesOf(current).tags = { ...structuredClone(tablesOf(current).sessions!), name: 'tags' } as never;
    delete tablesOf(current).sessions;
    const drift = computeDrift({
      lastSnapshot: INIT_SNAPSHOT,
      currentSnapshot: current,
      lastMigrationTag: '0000_init',
    });
    expect(drift.schema?.tables).toEqual([
      {
        table: 'check_ins',
        status: 'differs',
        differences: ['column check_ins.mood: nullable in schema.ts, NOT NULL in the migrations'],
      },
      expect.objectContaining({ table: 'tags', status: 'missing_in_migrations' }),
      {
        table: 'sessions',
        status: 'extra_in_migrations',
        differences: ['table sessions: in the migrations, not in schema.ts'],
      },
    ]);
    expect(drift.schema?.advice).toMatch(/generate_migration/);
  });
});

describe('computeDrift against the real drizzle-kit generator', () => {
  const parents = sqliteTable('parents', { id: integer('id').primaryKey({ autoIncrement: true }) });
  const children = sqliteTable(
    'children',
    {
      tenant: text('tenant').notNull(),
      code: text('code').notNull(),
      parentId: integer('parent_id').references(() => parents.id, {
        onDelete: 'set null',
        onUpdate: 'cascade',
      }),
      label: text('label').default('none'),
      upper: text('upper').generatedAlwaysAs(sql`upper(label)`, { mode: 'virtual' }),
      size: integer('size').generatedAlwaysAs(sql`length(code) * 2`, { mode: 'stored' }),
      createdAt: text('created_at').default(sql`CURRENT_TIMESTAMP`),
      score: integer('score').notNull().default(0),
    },
    (t) => [
      primaryKey({ columns: [t.tenant, t.code] }),
      unique('children_label_score').on(t.label, t.score),
      check('score_range', sql`${t.score} >= 0 and (${t.score} <= 100)`),
      index('children_partial')
        .on(t.label)
        .where(sql`${t.score} > 10`),
    ],
  );

  it('finds a database created from generated SQL in sync with the snapshot it came from', async () => {
    const empty = {
      version: '6',
      dialect: 'sqlite',
      id: '00000000-0000-0000-0000-000000000000',
      prevId: '',
      tables: {},
      views: {},
      enums: {},
      _meta: { tables: {}, columns: {} },
    };
    const snapshot = await generateSQLiteDrizzleJson({ parents, children });
    const statements = await generateSQLiteMigration(empty as never, snapshot);
    const db = new Database(':memory:');
    for (const statement of statements) db.exec(statement);
    const drift = computeDrift({
      database: introspectDatabase(db, { rowCounts: false }),
      lastSnapshot: snapshot as unknown as SqliteSnapshot,
    });
    db.close();
    expect(drift.database?.tables).toEqual([]);
  });

  it('tolerates a CHECK truncated and copied to another table by drizzle-kit introspection (#4574)', async () => {
    const snapshot = (await generateSQLiteDrizzleJson({ parents, children })) as unknown as SqliteSnapshot;
    const statements = await generateSQLiteMigration(
      {
        version: '6',
        dialect: 'sqlite',
        id: '0',
        prevId: '',
        tables: {},
        views: {},
        enums: {},
        _meta: { tables: {}, columns: {} },
      } as never,
      snapshot as never,
    );
    const db = new Database(':memory:');
    for (const statement of statements) db.exec(statement);
    const pulled = structuredClone(snapshot);
    const truncated = {
      name: 'score_range',
      value: '"children"."score" >= 0 and ("children"."score" <= 100',
    };
    tablesOf(pulled).children!.checkConstraints = { score_range: truncated };
    tablesOf(pulled).parents!.checkConstraints = { score_range: truncated };
    const drift = computeDrift({
      database: introspectDatabase(db, { rowCounts: false }),
      lastSnapshot: pulled,
    });
    db.close();
    expect(drift.database?.tables).toEqual([]);
  });
});
