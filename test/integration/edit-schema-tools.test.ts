// edit_schema through a real MCP client, one test per operation on the embedded default with data in its tables:
// dry run (nothing written) → edit with the reviewed diffHash → the diff applied to the old file gives the new one
// byte for byte, and changes exactly the expected lines → generate_migration (renames without hints) →
// apply_migrations → the result read back through inspect_schema and select_rows, the old rows still there.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/mcp.js';
import { removeDir } from '../helpers/project.js';
import { applyUnifiedDiff, diffLines } from '../helpers/schema-edit.js';
import { embeddedProject, seedEmbedded, type Json } from './migration-tools-support.js';

let harness: Harness | undefined;
let project: string | undefined;
afterEach(async () => {
  await harness?.close();
  if (project) removeDir(project);
  harness = undefined;
  project = undefined;
});

const SCHEMA = 'src/db/schema.ts';

async function start(): Promise<Harness> {
  project = embeddedProject();
  harness = await startHarness({ argv: ['--project', project, '--allow-destructive'] });
  seedEmbedded(path.join(project, 'data/app.db'));
  return harness;
}

interface RoundTrip {
  edit: Json;
  generate: Json;
  applied: Json;
}

/**
 * One reviewed change end to end. `removed`/`added` are the exact lines the diff changes in schema.ts; applying the
 * diff to the old text must give the new text exactly, which proves every other byte untouched.
 */
async function roundTrip(
  h: Harness,
  operations: Json[],
  expected: { removed: string[]; added: string[] },
): Promise<RoundTrip> {
  const file = path.join(project!, SCHEMA);
  const before = fs.readFileSync(file, 'utf8');
  const dry = await h.ok<Json>('edit_schema', { operations, dryRun: true });
  expect(dry.status).toBe('dry_run');
  expect(fs.readFileSync(file, 'utf8')).toBe(before);
  const edit = await h.ok<Json>('edit_schema', { operations, diffHash: dry.diffHash });
  expect(edit).toMatchObject({ status: 'written', diffHash: dry.diffHash });
  const after = fs.readFileSync(file, 'utf8');
  const [diff] = edit.files as Array<{ path: string; diff: string }>;
  expect(edit.files).toHaveLength(1);
  expect(diff!.path).toBe(SCHEMA);
  expect(applyUnifiedDiff(before, diff!.diff)).toBe(after);
  expect(diffLines(diff!.diff)).toEqual(expected);

  const generate = await h.ok<Json>('generate_migration', { name: operations[0]!.op });
  expect(generate.status, JSON.stringify(generate)).toBe('ok');
  const dryApply = await h.ok<Json>('apply_migrations', { dryRun: true });
  expect(dryApply.ok, JSON.stringify(dryApply)).toBe(true);
  const applied = await h.ok<Json>('apply_migrations');
  expect(applied.status, JSON.stringify(applied)).toBe('applied');
  return { edit, generate, applied };
}

async function table(h: Harness, name: string): Promise<Json> {
  const inspected = await h.ok<Json>('inspect_schema', { tables: [name] });
  return (inspected.tables as Json[])[0]!;
}

async function rows(
  h: Harness,
  name: string,
  args: Json = {},
): Promise<{ columns: string[]; rows: unknown[][] }> {
  const result = await h.ok<Json>('select_rows', { table: name, ...args });
  return { columns: result.columns as string[], rows: result.rows as unknown[][] };
}

const column = (t: Json, name: string) => (t.columns as string[]).find((c) => c.split(' ')[0] === name);

describe('edit_schema → generate_migration → apply_migrations, one operation at a time, on data', () => {
  it('add_table with a foreign key, a SQL default and an index', async () => {
    const h = await start();
    const { generate } = await roundTrip(
      h,
      [
        {
          op: 'add_table',
          table: 'mood_tags',
          columns: [
            { name: 'id', type: 'integer', primaryKey: true, autoIncrement: true },
            {
              name: 'user_id',
              type: 'text',
              notNull: true,
              references: { table: 'users', column: 'id', onDelete: 'cascade' },
            },
            { name: 'label', type: 'text', notNull: true },
            { name: 'created_at', type: 'text', notNull: true, default: { sql: 'CURRENT_TIMESTAMP' } },
          ],
          indexes: [{ columns: ['user_id'] }],
        },
      ],
      {
        removed: [],
        added: [
          '',
          'export const moodTags = sqliteTable(',
          "  'mood_tags',",
          '  {',
          "    id: integer('id').primaryKey({ autoIncrement: true }),",
          "    userId: text('user_id')",
          '      .notNull()',
          "      .references(() => users.id, { onDelete: 'cascade' }),",
          "    label: text('label').notNull(),",
          "    createdAt: text('created_at').notNull().default(sql`(CURRENT_TIMESTAMP)`),",
          '  },',
          "  (table) => [index('mood_tags_user_id_idx').on(table.userId)],",
          ');',
        ],
      },
    );
    expect(generate.sql).toMatch(/^CREATE TABLE `mood_tags`/);
    const created = await table(h, 'mood_tags');
    expect(created.foreignKeys).toEqual(['(user_id) → users(id) ON DELETE CASCADE']);
    expect(created.indexes).toEqual(['mood_tags_user_id_idx (user_id)']);
    await h.ok('write_rows', {
      table: 'moodTags',
      action: 'insert',
      rows: [{ userId: 'u1', label: 'calm' }],
    });
    const read = await rows(h, 'mood_tags', { columns: ['userId', 'label'] });
    expect(read.rows).toEqual([['u1', 'calm']]);
    expect((await rows(h, 'users')).rows).toHaveLength(2);
  });

  it('add_column: a nullable column, the existing rows get NULL', async () => {
    const h = await start();
    const { generate } = await roundTrip(
      h,
      [{ op: 'add_column', table: 'users', column: { name: 'nickname', type: 'text' } }],
      { removed: [], added: ["  nickname: text('nickname'),"] },
    );
    expect(generate.sql).toBe('ALTER TABLE `users` ADD `nickname` text;');
    expect(column(await table(h, 'users'), 'nickname')).toBe('nickname TEXT');
    const read = await rows(h, 'users', { columns: ['id', 'nickname'], orderBy: ['id'] });
    expect(read.rows).toEqual([
      ['u1', null],
      ['u2', null],
    ]);
  });

  it('drop_column: the column is gone, the rows stay (the loss was consented to)', async () => {
    const h = await start();
    const { applied } = await roundTrip(h, [{ op: 'drop_column', table: 'check_ins', column: 'notes' }], {
      removed: ["    notes: text('notes'),"],
      added: [],
    });
    expect(applied.consent).toMatchObject({ required: true });
    expect(column(await table(h, 'check_ins'), 'notes')).toBeUndefined();
    expect((await rows(h, 'check_ins')).rows).toHaveLength(3);
  });

  it('rename_column: generate needs no hint, and the data moves with the name', async () => {
    const h = await start();
    const { edit, generate } = await roundTrip(
      h,
      [{ op: 'rename_column', table: 'users', column: 'username', to: 'display_name' }],
      {
        removed: ["  username: text('username').notNull(),"],
        added: ["  username: text('display_name').notNull(),"],
      },
    );
    expect(edit.renames).toEqual(['column users.username → display_name']);
    expect(generate.renames).toEqual(['column users.username → display_name']);
    expect(generate.sql).toBe('ALTER TABLE `users` RENAME COLUMN `username` TO `display_name`;');
    expect(column(await table(h, 'users'), 'display_name')).toBe(
      'display_name TEXT NOT NULL (drizzle: username)',
    );
    const read = await rows(h, 'users', { columns: ['username'], orderBy: ['id'] });
    expect(read.rows).toEqual([['ada'], ['bob']]);
  });

  it('rename_table: generate needs no hint, and the rows and their foreign keys move with it', async () => {
    const h = await start();
    const { generate } = await roundTrip(
      h,
      [{ op: 'rename_table', table: 'journal_entries', to: 'journals' }],
      {
        removed: ["  'journal_entries',"],
        added: ["  'journals',"],
      },
    );
    expect(generate.sql).toBe('ALTER TABLE `journal_entries` RENAME TO `journals`;');
    expect((await table(h, 'journals')).foreignKeys).toEqual(['(user_id) → users(id) ON DELETE CASCADE']);
    expect((await rows(h, 'journals')).rows).toHaveLength(2);
  });

  it("alter_column: a new default rebuilds users, and its cascading children's rows are kept", async () => {
    const h = await start();
    const { generate } = await roundTrip(
      h,
      [{ op: 'alter_column', table: 'users', column: 'role', default: 'coach' }],
      {
        removed: [
          "  role: text('role', { enum: ['member', 'coach', 'admin'] }).notNull().default('member'),",
        ],
        added: ["  role: text('role', { enum: ['member', 'coach', 'admin'] }).notNull().default('coach'),"],
      },
    );
    expect(generate.sql).toMatch(/CREATE TABLE `__new_users`/);
    expect(column(await table(h, 'users'), 'role')).toBe("role TEXT NOT NULL DEFAULT 'coach'");
    expect((await rows(h, 'users')).rows).toHaveLength(2);
    expect((await rows(h, 'check_ins')).rows).toHaveLength(3);
    expect((await rows(h, 'sessions')).rows).toHaveLength(1);
  });

  it('add_index', async () => {
    const h = await start();
    const { generate } = await roundTrip(h, [{ op: 'add_index', table: 'check_ins', columns: ['mood'] }], {
      removed: ["  (table) => [index('idx_check_ins_user_created').on(table.userId, table.createdAt)],"],
      added: [
        '  (table) => [',
        "    index('idx_check_ins_user_created').on(table.userId, table.createdAt),",
        "    index('check_ins_mood_idx').on(table.mood),",
        '  ],',
      ],
    });
    expect(generate.sql).toBe('CREATE INDEX `check_ins_mood_idx` ON `check_ins` (`mood`);');
    expect((await table(h, 'check_ins')).indexes).toContain('check_ins_mood_idx (mood)');
    expect((await rows(h, 'check_ins')).rows).toHaveLength(3);
  });

  it('drop_index', async () => {
    const h = await start();
    const { generate } = await roundTrip(
      h,
      [{ op: 'drop_index', table: 'journal_entries', name: 'idx_journal_user' }],
      {
        removed: ["  (table) => [index('idx_journal_user').on(table.userId)],"],
        added: ['  (table) => [],'],
      },
    );
    expect(generate.sql).toBe('DROP INDEX `idx_journal_user`;');
    expect((await table(h, 'journal_entries')).indexes).toBeUndefined();
    expect((await rows(h, 'journal_entries')).rows).toHaveLength(2);
  });

  it('add_index unique, then drop_index of it: a unique constraint added and removed', async () => {
    const h = await start();
    await roundTrip(h, [{ op: 'add_index', table: 'users', columns: ['username'], unique: true }], {
      removed: ['});'],
      added: ["}, (table) => [uniqueIndex('users_username_unique').on(table.username)]);"],
    });
    expect((await table(h, 'users')).indexes).toContain('UNIQUE users_username_unique (username)');
    const duplicate = await h.call('write_rows', {
      table: 'users',
      action: 'insert',
      rows: [{ id: 'u3', email: 'eve@example.com', username: 'ada' }],
    });
    expect(duplicate.isError).toBe(true);
    await roundTrip(h, [{ op: 'drop_index', table: 'users', name: 'users_username_unique' }], {
      removed: ["}, (table) => [uniqueIndex('users_username_unique').on(table.username)]);"],
      added: ['}, (table) => []);'],
    });
    await h.ok('write_rows', {
      table: 'users',
      action: 'insert',
      rows: [{ id: 'u3', email: 'eve@example.com', username: 'ada' }],
    });
    expect((await rows(h, 'users')).rows).toHaveLength(3);
  });

  it('add_foreign_key on an existing column rebuilds the table with its rows', async () => {
    const h = await start();
    await roundTrip(
      h,
      [{ op: 'add_column', table: 'check_ins', column: { name: 'coach_id', type: 'text' } }],
      {
        removed: [],
        added: ["    coachId: text('coach_id'),"],
      },
    );
    const { generate } = await roundTrip(
      h,
      [
        {
          op: 'add_foreign_key',
          table: 'check_ins',
          columns: ['coach_id'],
          references: { table: 'users', columns: ['id'] },
          onDelete: 'set null',
        },
      ],
      {
        removed: ["    coachId: text('coach_id'),"],
        added: ["    coachId: text('coach_id').references(() => users.id, { onDelete: 'set null' }),"],
      },
    );
    expect(generate.sql).toMatch(/CREATE TABLE `__new_check_ins`/);
    expect((await table(h, 'check_ins')).foreignKeys).toContain('(coach_id) → users(id) ON DELETE SET NULL');
    expect((await rows(h, 'check_ins')).rows).toHaveLength(3);
  });

  it('drop_foreign_key rebuilds the table without it, rows kept', async () => {
    const h = await start();
    await roundTrip(h, [{ op: 'drop_foreign_key', table: 'sessions', columns: ['user_id'] }], {
      removed: ['      .notNull()', "      .references(() => users.id, { onDelete: 'cascade' }),"],
      added: ['      .notNull(),'],
    });
    expect((await table(h, 'sessions')).foreignKeys).toBeUndefined();
    expect((await rows(h, 'sessions')).rows).toHaveLength(1);
  });
});

describe('renames made through edit_schema', () => {
  it('need no hint even after a custom migration was written in between, which is told it runs first', async () => {
    const h = await start();
    const operations = [{ op: 'rename_column', table: 'check_ins', column: 'notes', to: 'remarks' }];
    await h.ok('edit_schema', { operations });
    const custom = await h.ok<Json>('generate_migration', {
      custom: true,
      name: 'touch',
      sql: 'UPDATE `check_ins` SET `mood` = `mood`;',
    });
    expect(custom.next).toMatch(/have no migration yet, so this SQL runs before theirs/);
    const generated = await h.ok<Json>('generate_migration', { name: 'rename_notes' });
    expect(generated).toMatchObject({
      status: 'ok',
      renames: ['column check_ins.notes → remarks'],
      sql: 'ALTER TABLE `check_ins` RENAME COLUMN `notes` TO `remarks`;',
    });
    expect((await h.ok<Json>('apply_migrations')).applied).toEqual([custom.tag, generated.tag]);
    const read = await rows(h, 'check_ins', { columns: ['notes'], orderBy: ['id'] });
    expect(read.rows).toEqual([['slept well'], ['rough day'], [null]]);
  });

  it('are asked about when made by hand', async () => {
    const h = await start();
    const file = path.join(project!, SCHEMA);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace("text('notes')", "text('remarks')"));
    const generated = await h.ok<Json>('generate_migration', { name: 'rename_notes' });
    expect(generated).toMatchObject({ status: 'missing_hints' });
  });
});
