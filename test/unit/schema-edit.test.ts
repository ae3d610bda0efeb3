// edit_schema's engine on real schema files: every operation on the embedded default (exact lines removed and
// added, so every other byte is proven unchanged), on a multi-file barrel schema, on a casing: 'snake_case' schema
// and on one that imports from other modules. Each edited project is loaded again with drizzle-kit's
// generateSQLiteDrizzleJson and must show exactly the requested change (verifySchemaEdit, the check the tool runs).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError, type AppError } from '../../src/core/errors.js';
import { editSchema } from '../../src/schema-edit/engine.js';
import { OperationsSchema, type Operation } from '../../src/schema-edit/operations.js';
import { collectSchemaSources } from '../../src/schema-edit/sources.js';
import { unifiedDiff } from '../../src/schema-edit/unified-diff.js';
import { verifySchemaEdit } from '../../src/schema-edit/verify.js';
import { removeDir, tempDir } from '../helpers/project.js';
import {
  FIXTURE_PROJECTS,
  copyFixture,
  diffLines,
  editFixture,
  loadFixtureSchema,
  readIfExists,
  type EditFixture,
  type EditOutcome,
} from '../helpers/schema-edit.js';

const roots: string[] = [];
afterAll(() => roots.forEach(removeDir));

async function edit(fixture: EditFixture, operations: Operation[]): Promise<EditOutcome> {
  const outcome = await editFixture(fixture, OperationsSchema.parse(operations));
  roots.push(outcome.root);
  return outcome;
}

function allDiffs(outcome: EditOutcome) {
  const removed = outcome.result.changes.flatMap((c) => diffLines(c.diff).removed);
  const added = outcome.result.changes.flatMap((c) => diffLines(c.diff).added);
  return { removed, added };
}

async function editError(fixture: EditFixture, operations: Operation[]): Promise<AppError> {
  const root = copyFixture(fixture);
  roots.push(root);
  const schema = await loadFixtureSchema(root, fixture);
  const sources = collectSchemaSources(
    fixture.entries.map((e) => path.join(root, e)),
    readIfExists,
  );
  try {
    editSchema({ sources, schema, casing: fixture.casing, operations, root });
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('expected the edit to be refused');
}

type Snapshot = {
  tables: Record<
    string,
    {
      columns: Record<string, Record<string, unknown>>;
      indexes: Record<string, unknown>;
      foreignKeys: Record<string, { tableTo: string; onDelete: string }>;
    }
  >;
};
const snap = (o: EditOutcome) => o.after.snapshot as unknown as Snapshot;

describe('every operation on the embedded default schema', () => {
  const fx = FIXTURE_PROJECTS.default;
  const cases: Array<{
    name: string;
    ops: Operation[];
    removed: string[];
    added: string[];
    check?: (o: EditOutcome) => void;
  }> = [
    {
      name: 'add_table with a foreign key, a json blob, a timestamp default and an index',
      ops: [
        {
          op: 'add_table',
          table: 'posts',
          columns: [
            { name: 'id', type: 'integer', primaryKey: true, autoIncrement: true },
            {
              name: 'user_id',
              type: 'text',
              notNull: true,
              references: { table: 'users', column: 'id', onDelete: 'cascade' },
            },
            { name: 'payload', type: 'blob', mode: 'json' },
            { name: 'published_at', type: 'integer', mode: 'timestamp', default: { sql: 'unixepoch()' } },
          ],
          indexes: [{ columns: ['user_id'] }],
        },
      ],
      removed: [
        "import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';",
      ],
      added: [
        "import { blob, index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';",
        '',
        'export const posts = sqliteTable(',
        "  'posts',",
        '  {',
        "    id: integer('id').primaryKey({ autoIncrement: true }),",
        "    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),",
        "    payload: blob('payload', { mode: 'json' }),",
        "    publishedAt: integer('published_at', { mode: 'timestamp' }).default(sql`(unixepoch())`),",
        '  },',
        "  (table) => [index('posts_user_id_idx').on(table.userId)],",
        ');',
      ],
      check: (o) => {
        const posts = snap(o).tables.posts!;
        expect(posts.columns.published_at).toMatchObject({ type: 'integer', default: '(unixepoch())' });
        expect(Object.values(posts.foreignKeys)[0]).toMatchObject({ tableTo: 'users', onDelete: 'cascade' });
      },
    },
    {
      name: 'add_column (an enum with a default)',
      ops: [
        {
          op: 'add_column',
          table: 'users',
          column: { name: 'plan', type: 'text', enum: ['free', 'pro'], notNull: true, default: 'free' },
        },
      ],
      removed: [],
      added: ["  plan: text('plan', { enum: ['free', 'pro'] }).notNull().default('free'),"],
      check: (o) =>
        expect(o.after.tables.find((t) => t.name === 'users')!.columns.at(-1)).toMatchObject({
          enumValues: ['free', 'pro'],
          notNull: true,
        }),
    },
    {
      name: 'drop_column',
      ops: [{ op: 'drop_column', table: 'users', column: 'password_hash' }],
      removed: ["  passwordHash: text('password_hash'),"],
      added: [],
    },
    {
      name: 'rename_column (SQL name only: the property stays, so app code still compiles)',
      ops: [{ op: 'rename_column', table: 'users', column: 'username', to: 'display_name' }],
      removed: ["  username: text('username').notNull(),"],
      added: ["  username: text('display_name').notNull(),"],
      check: (o) =>
        expect(o.result.renames).toEqual([
          { kind: 'column', table: 'users', from: 'username', to: 'display_name' },
        ]),
    },
    {
      name: 'rename_column with the property, carried into the index that uses it',
      ops: [
        {
          op: 'rename_column',
          table: 'check_ins',
          column: 'created_at',
          to: 'recorded_at',
          property: 'recordedAt',
        },
      ],
      removed: [
        "    createdAt: text('created_at').notNull().default(sql`(CURRENT_TIMESTAMP)`),",
        "  (table) => [index('idx_check_ins_user_created').on(table.userId, table.createdAt)],",
      ],
      added: [
        "    recordedAt: text('recorded_at').notNull().default(sql`(CURRENT_TIMESTAMP)`),",
        "  (table) => [index('idx_check_ins_user_created').on(table.userId, table.recordedAt)],",
      ],
    },
    {
      name: 'rename_table',
      ops: [{ op: 'rename_table', table: 'sessions', to: 'user_sessions' }],
      removed: ["  'sessions',"],
      added: ["  'user_sessions',"],
      check: (o) =>
        expect(o.result.renames).toEqual([{ kind: 'table', from: 'sessions', to: 'user_sessions' }]),
    },
    {
      name: 'alter_column: default, nullability and type mode',
      ops: [
        { op: 'alter_column', table: 'check_ins', column: 'notes', notNull: true, default: '' },
        { op: 'alter_column', table: 'users', column: 'is_active', default: null },
        { op: 'alter_column', table: 'users', column: 'preferences', mode: null },
        { op: 'alter_column', table: 'sessions', column: 'expires_at', mode: 'timestamp_ms' },
      ],
      removed: [
        "  isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),",
        "  preferences: text('preferences', { mode: 'json' }).$type<{ theme?: 'light' | 'dark'; reminders?: boolean }>(),",
        "    notes: text('notes'),",
        "    expiresAt: integer('expires_at', { mode: 'timestamp' }).notNull(),",
      ],
      added: [
        "  isActive: integer('is_active', { mode: 'boolean' }).notNull(),",
        "  preferences: text('preferences').$type<{ theme?: 'light' | 'dark'; reminders?: boolean }>(),",
        "    notes: text('notes').notNull().default(''),",
        "    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),",
      ],
      check: (o) =>
        expect(snap(o).tables.check_ins!.columns.notes).toMatchObject({ notNull: true, default: "''" }),
    },
    {
      name: 'add_index: a one-line array that would pass printWidth is laid out one per line',
      ops: [{ op: 'add_index', table: 'check_ins', columns: ['mood'] }],
      removed: ["  (table) => [index('idx_check_ins_user_created').on(table.userId, table.createdAt)],"],
      added: [
        '  (table) => [',
        "    index('idx_check_ins_user_created').on(table.userId, table.createdAt),",
        "    index('check_ins_mood_idx').on(table.mood),",
        '  ],',
      ],
    },
    {
      name: 'add_index unique on a multi-line array',
      ops: [
        { op: 'add_index', table: 'audit_log', name: 'audit_log_hash_uq', columns: ['hash'], unique: true },
      ],
      removed: [],
      added: ["    uniqueIndex('audit_log_hash_uq').on(table.hash),"],
    },
    {
      name: "drop_index (a table index, and a column's .unique())",
      ops: [
        { op: 'drop_index', table: 'sessions', name: 'idx_sessions_token' },
        { op: 'drop_index', table: 'users', name: 'users_email_unique' },
      ],
      removed: [
        "  email: text('email').notNull().unique(),",
        "  (table) => [uniqueIndex('idx_sessions_token').on(table.token), index('idx_sessions_user_expires').on(table.userId, table.expiresAt)],",
      ],
      added: [
        "  email: text('email').notNull(),",
        "  (table) => [index('idx_sessions_user_expires').on(table.userId, table.expiresAt)],",
      ],
    },
    {
      name: 'drop_foreign_key then add_foreign_key (change ON DELETE) on a broken chain',
      ops: [
        { op: 'drop_foreign_key', table: 'journal_entries', columns: ['user_id'] },
        {
          op: 'add_foreign_key',
          table: 'journal_entries',
          columns: ['user_id'],
          references: { table: 'users', columns: ['id'] },
          onDelete: 'restrict',
        },
      ],
      removed: ["      .references(() => users.id, { onDelete: 'cascade' }),"],
      added: ["      .references(() => users.id, { onDelete: 'restrict' }),"],
      check: (o) =>
        expect(Object.values(snap(o).tables.journal_entries!.foreignKeys)[0]).toMatchObject({
          onDelete: 'restrict',
        }),
    },
    {
      name: 'add_foreign_key as a foreignKey() constraint when named',
      ops: [
        {
          op: 'add_foreign_key',
          table: 'audit_log',
          name: 'audit_client_fk',
          columns: ['client'],
          references: { table: 'users', columns: ['id'] },
        },
      ],
      removed: [
        "import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';",
      ],
      added: [
        "import { foreignKey, index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';",
        "    foreignKey({ name: 'audit_client_fk', columns: [table.client], foreignColumns: [users.id] }),",
      ],
    },
  ];

  for (const c of cases) {
    it(`${c.name}: only the requested lines change, and drizzle-kit loads exactly the change`, async () => {
      const outcome = await edit(fx, c.ops);
      expect(allDiffs(outcome)).toEqual({ removed: c.removed, added: c.added });
      expect(outcome.verify).toEqual({ ok: true });
      c.check?.(outcome);
    });
  }

  it('applies several operations together, each seeing the ones before it', async () => {
    const outcome = await edit(fx, [
      {
        op: 'add_table',
        table: 'tags',
        columns: [
          { name: 'id', type: 'integer', primaryKey: true },
          { name: 'label', type: 'text', notNull: true, unique: true },
        ],
      },
      {
        op: 'add_column',
        table: 'journal_entries',
        column: {
          name: 'tag_id',
          type: 'integer',
          references: { table: 'tags', column: 'id', onDelete: 'set null' },
        },
      },
      { op: 'add_index', table: 'journal_entries', columns: ['tag_id'] },
    ]);
    expect(outcome.verify).toEqual({ ok: true });
    expect(snap(outcome).tables.journal_entries!.indexes).toHaveProperty('journal_entries_tag_id_idx');
  });
});

describe('other project shapes', () => {
  it('multi-file barrel: writes in each file its own style, creates a new file and re-exports it', async () => {
    const outcome = await edit(FIXTURE_PROJECTS.multiFile, [
      { op: 'add_column', table: 'users', column: { name: 'bio', type: 'text', default: 'x' } },
      { op: 'add_index', table: 'posts', columns: ['title'], unique: true },
      {
        op: 'add_table',
        table: 'comments',
        file: 'schema/comments.ts',
        columns: [
          { name: 'id', type: 'integer', primaryKey: true },
          {
            name: 'post_id',
            type: 'integer',
            notNull: true,
            references: { table: 'posts', column: 'id', onDelete: 'cascade' },
          },
        ],
      },
      { op: 'rename_column', table: 'posts', column: 'author_id', to: 'writer_id', property: 'writerId' },
    ]);
    expect(outcome.verify).toEqual({ ok: true });
    const byFile = Object.fromEntries(
      outcome.result.changes.map((c) => [path.relative(outcome.root, c.path), c]),
    );
    // users.ts: double quotes, 4 spaces, no trailing comma, no semicolons, the comment stays on its line.
    expect(diffLines(byFile['schema/users.ts']!.diff)).toEqual({
      removed: ['    name: text("name")'],
      added: ['    name: text("name"),', '    bio: text("bio").default("x")'],
    });
    // posts.ts: the older object form of the third argument; the renamed property followed into it.
    expect(diffLines(byFile['schema/posts.ts']!.diff).added).toEqual([
      'import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core"',
      '        writerId: integer("writer_id")',
      '        authorIdx: index("posts_author_idx").on(t.writerId),',
      '        postsTitleUnique: uniqueIndex("posts_title_unique").on(t.title)',
    ]);
    expect(byFile['schema/comments.ts']!.before).toBeUndefined();
    expect(byFile['schema/comments.ts']!.after).toBe(
      [
        'import { integer, sqliteTable } from "drizzle-orm/sqlite-core"',
        'import { posts } from "./posts.js"',
        '',
        'export const comments = sqliteTable("comments", {',
        '    id: integer("id").primaryKey(),',
        '    postId: integer("post_id")',
        '        .notNull()',
        '        .references(() => posts.id, { onDelete: "cascade" })',
        '})',
        '',
      ].join('\n'),
    );
    expect(diffLines(byFile['schema/index.ts']!.diff)).toEqual({
      removed: [],
      added: ['export * from "./comments.js"'],
    });
  });

  it("casing: 'snake_case': no column name where drizzle derives it; an explicit one where it would not", async () => {
    const outcome = await edit(FIXTURE_PROJECTS.snakeCase, [
      {
        op: 'add_column',
        table: 'members',
        column: { name: 'last_seen_at', type: 'integer', mode: 'timestamp_ms' },
      },
      { op: 'rename_column', table: 'members', column: 'email_address', to: 'email' },
      { op: 'rename_table', table: 'teams', to: 'squads', exportName: 'squads' },
    ]);
    expect(outcome.verify).toEqual({ ok: true });
    expect(allDiffs(outcome)).toEqual({
      removed: [
        "export const teams = sqliteTable('teams', {",
        "      .references(() => teams.id, { onDelete: 'cascade' }),",
        '    emailAddress: text().notNull(),',
      ],
      added: [
        "export const squads = sqliteTable('squads', {",
        "      .references(() => squads.id, { onDelete: 'cascade' }),",
        "    emailAddress: text('email').notNull(),",
        "    lastSeenAt: integer({ mode: 'timestamp_ms' }),",
      ],
    });
    expect(outcome.result.warnings).toEqual([expect.stringContaining('The export teams is now squads')]);
  });

  it('imports from other modules: a namespace import, a spread helper, a table exported with export { }', async () => {
    const outcome = await edit(FIXTURE_PROJECTS.imports, [
      { op: 'add_column', table: 'products', column: { name: 'weight_grams', type: 'real', default: 0 } },
      { op: 'alter_column', table: 'products', column: 'status', default: 'live' },
      { op: 'add_index', table: 'prices', columns: ['product_id', 'cents'] },
      { op: 'rename_table', table: 'products', to: 'items' },
    ]);
    expect(outcome.verify).toEqual({ ok: true });
    expect(allDiffs(outcome).added).toEqual([
      "const products = s.sqliteTable('items', {",
      "  status: s.text('status', { enum: STATUSES }).notNull().default('live'),",
      "  weightGrams: s.real('weight_grams').default(0),",
      "}, (table) => [s.index('prices_product_id_cents_idx').on(table.productId, table.cents)]);",
    ]);
  });

  it('refuses to edit a column that comes from a spread helper, saying where it is', async () => {
    const error = await editError(FIXTURE_PROJECTS.imports, [
      { op: 'drop_column', table: 'products', column: 'updated_at' },
    ]);
    expect(error.details).toMatchObject({ operation: 0, reason: 'COLUMN_NOT_EDITABLE' });
  });
});

describe('validation against the live project', () => {
  const fx = FIXTURE_PROJECTS.default;
  it.each<[string, Operation[], string, Record<string, unknown>]>([
    [
      'an unknown table, listing the tables',
      [{ op: 'add_column', table: 'user', column: { name: 'x', type: 'text' } }],
      'TABLE_NOT_FOUND',
      { tables: expect.arrayContaining(['users', 'check_ins']) },
    ],
    [
      'a column that exists, listing the columns',
      [{ op: 'add_column', table: 'users', column: { name: 'email', type: 'text' } }],
      'COLUMN_EXISTS',
      { columns: expect.arrayContaining(['email', 'username']) },
    ],
    [
      'an unknown column',
      [{ op: 'drop_column', table: 'users', column: 'nope' }],
      'COLUMN_NOT_FOUND',
      { columns: expect.arrayContaining(['email']) },
    ],
    [
      'a foreign key whose types differ',
      [
        {
          op: 'add_column',
          table: 'check_ins',
          column: { name: 'coach_id', type: 'integer', references: { table: 'users', column: 'id' } },
        },
      ],
      'FK_TYPE_MISMATCH',
      {},
    ],
    [
      'a foreign key to a column that is not a key',
      [
        {
          op: 'add_foreign_key',
          table: 'check_ins',
          columns: ['notes'],
          references: { table: 'users', columns: ['username'] },
        },
      ],
      'FK_NOT_A_KEY',
      {},
    ],
    [
      'dropping a column an index uses',
      [
        { op: 'drop_column', table: 'check_ins', column: 'mood' },
        { op: 'drop_column', table: 'check_ins', column: 'created_at' },
      ],
      'COLUMN_INDEXED',
      { operation: 1 },
    ],
    [
      'dropping a primary key column',
      [{ op: 'drop_column', table: 'users', column: 'id' }],
      'PRIMARY_KEY',
      {},
    ],
    [
      'dropping a column another table references (added earlier in the same call)',
      [
        {
          op: 'add_foreign_key',
          table: 'check_ins',
          columns: ['notes'],
          references: { table: 'users', columns: ['email'] },
        },
        { op: 'drop_column', table: 'users', column: 'email' },
      ],
      'COLUMN_REFERENCED',
      { operation: 1, referencedBy: ['check_ins(notes)'] },
    ],
    [
      'an index name used by another table',
      [{ op: 'add_index', table: 'users', name: 'idx_journal_user', columns: ['email'] }],
      'INDEX_EXISTS',
      {},
    ],
    [
      'a literal default of the wrong type',
      [{ op: 'add_column', table: 'users', column: { name: 'age', type: 'integer', default: 'ten' } }],
      'BAD_DEFAULT',
      {},
    ],
    [
      'an SQL default with two statements',
      [
        {
          op: 'add_column',
          table: 'users',
          column: { name: 'x', type: 'text', default: { sql: '1); DROP TABLE users; --' } },
        },
      ],
      'BAD_DEFAULT',
      {},
    ],
    [
      'a mode the builder does not have',
      [{ op: 'add_column', table: 'users', column: { name: 'x', type: 'text', mode: 'boolean' } }],
      'BAD_MODE',
      {},
    ],
  ])('refuses %s, and nothing is written (all or nothing)', async (_name, ops, reason, details) => {
    const error = await editError(fx, OperationsSchema.parse(ops));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toMatchObject({ reason, ...details });
    expect(error.message).toMatch(/^operations\[\d\]: /);
  });

  it('a later operation sees an earlier one: drop the index, then the column', async () => {
    const outcome = await edit(fx, [
      { op: 'drop_index', table: 'check_ins', name: 'idx_check_ins_user_created' },
      { op: 'drop_column', table: 'check_ins', column: 'created_at' },
    ]);
    expect(outcome.verify).toEqual({ ok: true });
  });

  it('escapes user strings so they stay strings (quotes, backslashes, template syntax)', async () => {
    const outcome = await edit(fx, [
      { op: 'add_column', table: 'users', column: { name: 'motto', type: 'text', default: "it's \\ ${x}" } },
      {
        op: 'add_column',
        table: 'users',
        column: { name: 'stamp', type: 'text', default: { sql: "strftime('%s', 'now') || '`${x}`'" } },
      },
    ]);
    expect(outcome.verify).toEqual({ ok: true });
    expect(snap(outcome).tables.users!.columns.motto!.default).toBe("'it''s \\ ${x}'");
  });
});

describe('verification', () => {
  it('reports a reloaded schema that differs from what was asked', async () => {
    const outcome = await edit(FIXTURE_PROJECTS.default, [
      { op: 'add_column', table: 'users', column: { name: 'bio', type: 'text' } },
    ]);
    const asked = OperationsSchema.parse([
      {
        op: 'add_column',
        table: 'users',
        column: { name: 'bio', type: 'text', notNull: true, property: 'bio' },
      },
    ]);
    const result = verifySchemaEdit(outcome.before, outcome.after, asked);
    expect(result).toEqual({
      ok: false,
      differences: ['table "users": column "bio" notNull is false, expected true'],
    });
    expect(verifySchemaEdit(outcome.before, outcome.before, outcome.result.operations)).toEqual({
      ok: false,
      differences: ['table "users": column "bio" is missing'],
    });
  });
});

describe('unifiedDiff', () => {
  it('produces a patch that `patch` applies to give the new text', () => {
    const dir = tempDir('dsm-diff-');
    roots.push(dir);
    const before = fs.readFileSync(
      path.join(path.dirname(new URL(import.meta.url).pathname), '../../src/db/schema.ts'),
      'utf8',
    );
    const after = before
      .replace("  username: text('username').notNull(),\n", '')
      .replace('export const sessions', '// new\nexport const sessions')
      .concat('// tail\n');
    fs.mkdirSync(path.join(dir, 'a'));
    fs.writeFileSync(path.join(dir, 'schema.ts'), before);
    fs.writeFileSync(path.join(dir, 'p.diff'), unifiedDiff('schema.ts', before, after));
    execFileSync('patch', ['-p1', '-s', '-i', 'p.diff'], { cwd: dir });
    expect(fs.readFileSync(path.join(dir, 'schema.ts'), 'utf8')).toBe(after);
    expect(unifiedDiff('x.ts', 'a\n', 'a\n')).toBe('');
  });
});

describe('the listed input', () => {
  it('stays compact for tools/list and still names the rule a bad operation broke', async () => {
    const { z } = await import('zod');
    const { LooseOperationsSchema, parseOperations } = await import('../../src/schema-edit/operations.js');
    const listed = z.toJSONSchema(
      z.object({ operations: LooseOperationsSchema, dryRun: z.boolean().optional() }),
    );
    expect(Buffer.byteLength(JSON.stringify(listed))).toBeLessThan(1400);
    expect(() =>
      parseOperations([{ op: 'add_column', table: 'users', column: { name: 'x', type: 'string' } }]),
    ).toThrow(
      /^operations\[0\]\.column\.type: Invalid option: expected one of "text"\|"integer"\|"real"\|"blob"\|"numeric"/,
    );
  });
});
