import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planDiff } from '../../src/project/diff-plan.js';
import type { MigrationHint, SqliteSnapshot } from '../../src/project/types.js';

const blogSnapshot = JSON.parse(
  fs.readFileSync(
    path.join(import.meta.dirname, '../fixtures/blog/migrations/meta/0000_snapshot.json'),
    'utf8',
  ),
) as SqliteSnapshot;

type Tables = Record<
  string,
  { name: string; columns: Record<string, { name: string }>; [key: string]: unknown }
>;

function edited(edit: (tables: Tables) => void): SqliteSnapshot {
  const copy = structuredClone(blogSnapshot);
  edit(copy.tables as Tables);
  return copy;
}

function renameColumnIn(tables: Tables, table: string, from: string, to: string): void {
  const t = tables[table]!;
  t.columns = Object.fromEntries(
    Object.entries(t.columns).map(([k, v]) => (k === from ? [to, { ...v, name: to }] : [k, v])),
  );
}

describe('planDiff', () => {
  it('plans a single phase when nothing is ambiguous', () => {
    const cur = edited((t) => {
      t.posts!.columns.subtitle = {
        name: 'subtitle',
        type: 'text',
        primaryKey: false,
        notNull: false,
        autoincrement: false,
      } as never;
    });
    const plan = planDiff(blogSnapshot, cur);
    expect(plan.kind).toBe('plan');
    if (plan.kind !== 'plan') return;
    expect(plan.phases).toHaveLength(1);
    expect(plan.renameStatements).toEqual([]);
  });

  it('asks for a hint when a table both gains and loses a column, naming the candidates', () => {
    const cur = edited((t) => renameColumnIn(t, 'authors', 'bio', 'about'));
    expect(planDiff(blogSnapshot, cur)).toEqual({
      kind: 'missing_hints',
      missingHints: [
        {
          type: 'rename_or_create',
          kind: 'column',
          entity: ['public', 'authors', 'about'],
          candidates: [['public', 'authors', 'bio']],
        },
      ],
    });
  });

  it('asks for a hint when tables are both added and removed', () => {
    const cur = edited((t) => {
      t.writers = { ...t.authors!, name: 'writers' };
      delete t.authors;
    });
    const plan = planDiff(blogSnapshot, cur);
    expect(plan).toEqual({
      kind: 'missing_hints',
      missingHints: [
        {
          type: 'rename_or_create',
          kind: 'table',
          entity: ['public', 'writers'],
          candidates: [['public', 'authors']],
        },
      ],
    });
  });

  it('turns a column rename hint into a RENAME COLUMN and a previous snapshot that already has the new name', () => {
    const cur = edited((t) => renameColumnIn(t, 'posts', 'author_id', 'writer_id'));
    const hints: MigrationHint[] = [
      {
        type: 'rename',
        kind: 'column',
        from: ['public', 'posts', 'author_id'],
        to: ['public', 'posts', 'writer_id'],
      },
    ];
    const plan = planDiff(blogSnapshot, cur, hints);
    expect(plan.kind).toBe('plan');
    if (plan.kind !== 'plan') return;
    expect(plan.renameStatements).toEqual(['ALTER TABLE `posts` RENAME COLUMN `author_id` TO `writer_id`;']);
    expect(plan.meta.columns).toEqual({ '"posts"."author_id"': '"posts"."writer_id"' });
    const prevPosts = (plan.phases[0]!.prev.tables as Tables).posts!;
    expect(Object.keys(prevPosts.columns)).toContain('writer_id');
    // The index and the foreign key follow the column, as they do in SQLite.
    expect(JSON.stringify(prevPosts.indexes)).toContain('writer_id');
    expect(JSON.stringify(prevPosts.foreignKeys)).toContain('writer_id');
  });

  it('accepts hints written for drizzle-kit 1.0 whatever the schema slot says', () => {
    const cur = edited((t) => renameColumnIn(t, 'authors', 'bio', 'about'));
    const plan = planDiff(blogSnapshot, cur, [
      { type: 'rename', kind: 'column', from: ['main', 'authors', 'bio'], to: ['main', 'authors', 'about'] },
    ]);
    expect(plan.kind).toBe('plan');
  });

  it('splits a create answer into a drop phase and an add phase so drizzle-kit never sees the ambiguity', () => {
    const cur = edited((t) => renameColumnIn(t, 'authors', 'bio', 'about'));
    const plan = planDiff(blogSnapshot, cur, [
      { type: 'create', kind: 'column', entity: ['public', 'authors', 'about'] },
    ]);
    expect(plan.kind).toBe('plan');
    if (plan.kind !== 'plan') return;
    expect(plan.phases).toHaveLength(2);
    const mid = plan.phases[0]!.cur.tables as Tables;
    expect(Object.keys(mid.authors!.columns)).not.toContain('about');
    expect(Object.keys(mid.authors!.columns)).not.toContain('bio');
  });

  it('renames a table and the foreign keys that point at it', () => {
    const cur = edited((t) => {
      t.writers = { ...t.authors!, name: 'writers' };
      delete t.authors;
      const fk = Object.values(
        (t.posts as unknown as { foreignKeys: Record<string, { tableTo: string }> }).foreignKeys,
      )[0]!;
      fk.tableTo = 'writers';
    });
    const plan = planDiff(blogSnapshot, cur, [
      { type: 'rename', kind: 'table', from: ['public', 'authors'], to: ['public', 'writers'] },
    ]);
    expect(plan.kind).toBe('plan');
    if (plan.kind !== 'plan') return;
    expect(plan.renameStatements).toEqual(['ALTER TABLE `authors` RENAME TO `writers`;']);
    expect(JSON.stringify((plan.phases[0]!.prev.tables as Tables).posts)).toContain('"tableTo":"writers"');
  });

  it('refuses a rename hint whose old name was not removed', () => {
    const cur = edited((t) => renameColumnIn(t, 'authors', 'bio', 'about'));
    const plan = planDiff(blogSnapshot, cur, [
      {
        type: 'rename',
        kind: 'column',
        from: ['public', 'authors', 'email'],
        to: ['public', 'authors', 'about'],
      },
    ]);
    expect(plan.kind).toBe('invalid_hints');
    if (plan.kind === 'invalid_hints') expect(plan.message).toContain('Removed: bio');
  });

  it('ignores hints that match nothing in the diff', () => {
    const plan = planDiff(blogSnapshot, blogSnapshot, [
      { type: 'create', kind: 'table', entity: ['public', 'ghost'] },
    ]);
    expect(plan.kind).toBe('plan');
  });
});
