// Which renames made through edit_schema generate_migration applies without asking: net over the waiting edits, only
// from names the previous snapshot has, never over the caller's own answer.
import { describe, expect, it } from 'vitest';
import { OperationsSchema, type Operation } from '../../src/schema-edit/operations.js';
import { rememberedRenameHints } from '../../src/schema-edit/renames.js';
import type { SqliteSnapshot } from '../../src/project/types.js';

const previous = {
  id: 'p',
  prevId: '',
  version: '6',
  dialect: 'sqlite',
  tables: {
    users: { columns: { id: {}, username: {}, email: {} } },
    posts: { columns: { id: {}, user_id: {} } },
  },
} as unknown as SqliteSnapshot;

const ops = (raw: unknown[]): Operation[] => OperationsSchema.parse(raw);
const col = { name: 'x', type: 'text' };

describe('rememberedRenameHints', () => {
  it.each<[string, unknown[], unknown[]]>([
    [
      'a column rename',
      [{ op: 'rename_column', table: 'users', column: 'username', to: 'handle' }],
      [
        {
          type: 'rename',
          kind: 'column',
          from: ['public', 'users', 'username'],
          to: ['public', 'users', 'handle'],
        },
      ],
    ],
    [
      'a chain collapses: a→b then b→c is a→c',
      [
        { op: 'rename_column', table: 'users', column: 'username', to: 'handle' },
        { op: 'rename_column', table: 'users', column: 'handle', to: 'nick' },
      ],
      [
        {
          type: 'rename',
          kind: 'column',
          from: ['public', 'users', 'username'],
          to: ['public', 'users', 'nick'],
        },
      ],
    ],
    [
      'renamed back: no rename',
      [
        { op: 'rename_column', table: 'users', column: 'username', to: 'handle' },
        { op: 'rename_column', table: 'users', column: 'handle', to: 'username' },
      ],
      [],
    ],
    [
      'a column added, then renamed: no rename (it is new)',
      [
        { op: 'add_column', table: 'users', column: { ...col, name: 'bio' } },
        { op: 'rename_column', table: 'users', column: 'bio', to: 'about' },
      ],
      [],
    ],
    [
      'renamed, then dropped: no rename (it is gone)',
      [
        { op: 'rename_column', table: 'users', column: 'email', to: 'mail' },
        { op: 'drop_column', table: 'users', column: 'mail' },
      ],
      [],
    ],
    [
      'dropped, added again under the same name, renamed: no rename (the data was dropped)',
      [
        { op: 'drop_column', table: 'users', column: 'email' },
        { op: 'add_column', table: 'users', column: { ...col, name: 'email' } },
        { op: 'rename_column', table: 'users', column: 'email', to: 'mail' },
      ],
      [],
    ],
    [
      'a table renamed and a column of it renamed: the column hint names the new table',
      [
        { op: 'rename_table', table: 'users', to: 'members' },
        { op: 'rename_column', table: 'members', column: 'username', to: 'handle' },
      ],
      [
        { type: 'rename', kind: 'table', from: ['public', 'users'], to: ['public', 'members'] },
        {
          type: 'rename',
          kind: 'column',
          from: ['public', 'users', 'username'],
          to: ['public', 'members', 'handle'],
        },
      ],
    ],
    [
      'a table added, then renamed: no rename',
      [
        { op: 'add_table', table: 'tags', columns: [{ name: 'id', type: 'integer', primaryKey: true }] },
        { op: 'rename_table', table: 'tags', to: 'labels' },
      ],
      [],
    ],
  ])('%s', (_name, operations, expected) => {
    expect(rememberedRenameHints(ops(operations), previous)).toEqual(expected);
  });

  it('leaves out renames from a name the previous snapshot lacks (a migration was generated since)', () => {
    const renamed = ops([{ op: 'rename_column', table: 'posts', column: 'body', to: 'text' }]);
    expect(rememberedRenameHints(renamed, previous)).toEqual([]);
  });

  it("never overrides the caller's own answer for the same entity", () => {
    const renamed = ops([{ op: 'rename_column', table: 'users', column: 'username', to: 'handle' }]);
    const answered = [{ type: 'create', kind: 'column', entity: ['public', 'users', 'handle'] } as const];
    expect(rememberedRenameHints(renamed, previous, answered)).toEqual([]);
  });
});
