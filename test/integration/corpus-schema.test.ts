// What inspect_schema and drift make of real projects' schemas (test/fixtures/corpus): composite primary keys
// (issue 10 item 7), FTS5 tables with their shadow tables and triggers (L), and migrations whose SQL was edited by
// hand after drizzle-kit wrote their snapshot (M).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusSession, type Json } from '../helpers/corpus.js';
import type { Harness } from '../helpers/mcp.js';

const session = corpusSession();

async function start(name: string, argv: string[] = []): Promise<{ h: Harness; project: string }> {
  const project = session.fixture(name);
  return { h: await session.start(project, argv), project };
}

const table = (schema: Json, name: string): Json => schema.tables.find((t: Json) => t.name === name);

describe('a composite primary key', () => {
  it('is one key over both columns, whose NOT NULL shows, in JSON and in the Mermaid diagram', async () => {
    const { h } = await start('composite-pk');
    const schema = await h.ok<Json>('inspect_schema', { rowCounts: false, format: 'mermaid' });
    const itemLabels = table(schema, 'item_labels');
    expect(itemLabels.primaryKey).toBe('(item_id, label_id)');
    expect(itemLabels.columns).toEqual([
      'item_id INTEGER NOT NULL (drizzle: itemId)',
      'label_id INTEGER NOT NULL (drizzle: labelId)',
      'added_at INTEGER (drizzle: addedAt)',
    ]);
    expect(table(schema, 'items').columns[0]).toBe('id INTEGER PRIMARY KEY');
    expect(table(schema, 'items').primaryKey).toBeUndefined();
    expect(schema.mermaid).toMatch(/integer item_id PK,FK "one key \(item_id, label_id\)"/);
    expect(schema.mermaid).toMatch(/integer label_id PK,FK "one key \(item_id, label_id\)"/);
  });
});

describe('an FTS5 table with its triggers, made by a custom migration', () => {
  it('is in sync after applying: its shadow tables are SQLite’s, named on the virtual table, not drift', async () => {
    const { h } = await start('fts5-triggers');
    const status = await h.ok<Json>('migration_status');
    expect(status.counts).toMatchObject({ applied: 2, pending: 0 });
    expect(status.drift.database.inSync).toBe(true);
    expect(status.drift.inSync).toBe(true);

    const schema = await h.ok<Json>('inspect_schema', { rowCounts: false });
    const names = schema.tables.map((t: Json) => t.name);
    expect(names).toEqual(['notes', 'notes_search']);
    expect(table(schema, 'notes_search').options).toEqual([
      'VIRTUAL (fts5)',
      'shadow tables (kept by SQLite, not listed): notes_search_config, notes_search_data, notes_search_docsize, notes_search_idx',
    ]);
    expect(schema.triggers.map((t: Json) => t.name)).toEqual([
      'notes_search_after_delete',
      'notes_search_after_insert',
      'notes_search_after_update',
    ]);
    const asked = await h.ok<Json>('inspect_schema', { tables: ['notes_search_data'], rowCounts: false });
    expect(asked.tables[0].options).toEqual(['shadow table of notes_search, kept by SQLite']);
    expect((await h.ok<Json>('generate_migration', {})).status).toBe('no_changes');

    await h.ok('write_rows', {
      table: 'notes',
      action: 'insert',
      rows: [{ title: 'Groceries', body: 'buy oat milk and lemons' }],
    });
    const found = await h.ok<Json>('run_query', {
      sql: "SELECT rowid FROM notes_search WHERE notes_search MATCH 'lemons'",
    });
    expect(found.rows).toEqual([[1]]);
  });
});

describe('a migration whose SQL was edited by hand after drizzle-kit wrote its snapshot', () => {
  it('is named as the source of the difference, not an outside change; generate stays empty', async () => {
    const { h, project } = await start('edited-migration-sql');
    const status = await h.ok<Json>('migration_status');
    expect(status.counts).toMatchObject({ applied: 2, pending: 0 });
    const database = status.drift.database;
    expect(database.inSync).toBe(false);
    expect(database.tables).toEqual([
      expect.stringMatching(
        /^bookmarks \(differs\): column bookmarks\.kind: default none in the migrations, 'link' in the database \[as the migrations' own SQL builds it \(table last changed by 0001_bookmark_kind\)/,
      ),
    ]);
    expect(database.advice).toMatch(/come from the migrations' own SQL/);
    expect(database.advice).not.toMatch(/changed outside the migrations/);
    expect((await h.ok<Json>('generate_migration', {})).status).toBe('no_changes');

    // A change made outside the migrations, beside it, is still called one.
    const db = new (await import('better-sqlite3')).default(path.join(project, 'app.db'));
    db.exec('CREATE INDEX manual_idx ON bookmarks (url)');
    db.close();
    const after = (await h.ok<Json>('migration_status')).drift.database;
    expect(after.tables[0]).toMatch(
      /index manual_idx on bookmarks: \(url\) in the database, not in the migrations; column/,
    );
    expect(after.tables[0]).toMatch(/'link' in the database \[as the migrations' own SQL builds it/);
    expect(after.advice).toMatch(/changed outside the migrations/);
    expect(after.advice).toMatch(/come from the migrations' own SQL/);
  });

  it('replays the migrations as the apply runs them: a hand edit inside the transaction-control idiom is still theirs', async () => {
    // The replay once ran each chunk raw, so the idiom's first COMMIT (no transaction open) stopped it, and a
    // database our apply had just built read as "changed outside the migrations" (homarr, after applying).
    const project = session.fixture('txn-control-idiom');
    const sqlFile = path.join(project, 'drizzle/0001_team_name_required.sql');
    fs.writeFileSync(
      sqlFile,
      fs
        .readFileSync(sqlFile, 'utf8')
        .replace('`name` text NOT NULL\n);', "`name` text DEFAULT 'team' NOT NULL\n);"),
    );
    const h = await session.start(project);
    const status = await h.ok<Json>('migration_status');
    expect(status.counts).toMatchObject({ applied: 2, pending: 0 });
    expect(status.drift.database.tables).toEqual([
      expect.stringMatching(
        /^teams \(differs\): column teams\.name: default none in the migrations, 'team' in the database \[as the migrations' own SQL builds it \(table last changed by 0001_team_name_required\)/,
      ),
    ]);
    expect(status.drift.database.advice).not.toMatch(/changed outside the migrations/);
  });
});
