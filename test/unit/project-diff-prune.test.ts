import fs from 'node:fs';
import path from 'node:path';
import { generateSQLiteMigration } from 'drizzle-kit/api';
import { describe, expect, it } from 'vitest';
import { diffSnapshots, withoutUnchangedTables } from '../../src/project/diff.js';
import type { SqliteSnapshot } from '../../src/project/types.js';

const embedded = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, '../../drizzle/meta/0000_snapshot.json'), 'utf8'),
) as SqliteSnapshot;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
type KitSnapshot = Parameters<typeof generateSQLiteMigration>[0];

function tablesOf(snapshot: SqliteSnapshot): Record<string, Loose> {
  return snapshot.tables as Record<string, Loose>;
}

/** Each edit changes one table (or a view) of a copy of the embedded snapshot the way a schema edit would. */
const edits: Record<string, (snapshot: SqliteSnapshot) => void> = {
  'add a column': (s) => {
    tablesOf(s).users.columns.bio = {
      name: 'bio',
      type: 'text',
      primaryKey: false,
      notNull: false,
      autoincrement: false,
    };
  },
  'drop a column': (s) => {
    delete tablesOf(s).check_ins.columns.notes;
  },
  'make a column NOT NULL (rebuild)': (s) => {
    tablesOf(s).check_ins.columns.notes.notNull = true;
  },
  'change a default (rebuild)': (s) => {
    tablesOf(s).check_ins.columns.mood.default = 3;
  },
  'drop every index of a table': (s) => {
    tablesOf(s).check_ins.indexes = {};
  },
  'drop a table': (s) => {
    delete tablesOf(s).check_ins;
  },
  'add a table': (s) => {
    const copy = structuredClone(tablesOf(s).users);
    copy.name = 'users_archive';
    copy.indexes = {};
    tablesOf(s).users_archive = copy;
  },
  'add a check constraint (rebuild)': (s) => {
    tablesOf(s).check_ins.checkConstraints.mood_range = {
      name: 'mood_range',
      value: '"mood" between 1 and 5',
    };
  },
  'add a view': (s) => {
    (s.views as Record<string, unknown>).recent = {
      name: 'recent',
      columns: {},
      definition: 'select 1',
      isExisting: false,
    };
  },
};

describe('withoutUnchangedTables', () => {
  it('drops exactly the tables equal on both sides, and keeps views and the rest', () => {
    const cur = structuredClone(embedded);
    edits['add a column']!(cur);
    edits['drop a table']!(cur);
    edits['add a table']!(cur);
    edits['add a view']!(cur);
    const [prev, next] = withoutUnchangedTables(embedded, cur);
    expect(Object.keys(prev.tables).sort()).toEqual(['check_ins', 'users']);
    expect(Object.keys(next.tables).sort()).toEqual(['users', 'users_archive']);
    expect(next.views).toEqual(cur.views);
    expect(next.internal).toEqual(cur.internal);
    expect(Object.keys(tablesOf(embedded)).length).toBeGreaterThan(2); // inputs untouched
  });

  it.each(Object.keys(edits))('gives the same drizzle-kit SQL as the whole snapshots: %s', async (name) => {
    const cur = structuredClone(embedded);
    edits[name]!(cur);
    const whole = await generateSQLiteMigration(
      embedded as unknown as KitSnapshot,
      cur as unknown as KitSnapshot,
    );
    const [prev, next] = withoutUnchangedTables(embedded, cur);
    const pruned = await generateSQLiteMigration(
      prev as unknown as KitSnapshot,
      next as unknown as KitSnapshot,
    );
    expect(whole.length).toBeGreaterThan(0);
    expect(pruned).toEqual(whole);
  });

  it.each(Object.keys(edits))(
    'leaves diffSnapshots answering what drizzle-kit answers on the whole snapshots: %s',
    async (name) => {
      const cur = structuredClone(embedded);
      edits[name]!(cur);
      const whole = await generateSQLiteMigration(
        embedded as unknown as KitSnapshot,
        cur as unknown as KitSnapshot,
      );
      const result = await diffSnapshots({ prev: embedded, cur });
      expect(result.status).toBe('ok');
      if (result.status !== 'ok') return;
      expect(result.statements).toEqual(whole);
      const { prevId: _prevId, _meta: _meta, ...written } = result.snapshot;
      const { prevId: _p, _meta: _m, ...expected } = cur;
      expect(written).toEqual(expected);
    },
  );
});
