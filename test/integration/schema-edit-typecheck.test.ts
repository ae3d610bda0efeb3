// The edited schema files still compile: every kind of operation applied to each fixture, then one `tsc --noEmit`
// over all of them with this repo's drizzle-orm and its strict compiler options (NodeNext, verbatimModuleSyntax,
// noUncheckedIndexedAccess). In the integration tier: it runs the TypeScript compiler as a child process (~8 s).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { OperationsSchema, type Operation } from '../../src/schema-edit/operations.js';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/project.js';
import { FIXTURE_PROJECTS, copyFixture, editFixture, type EditFixture } from '../helpers/schema-edit.js';

const root = tempDir('dsm-edit-tsc-');
afterAll(() => removeDir(root));

const edits: Array<[EditFixture, Operation[]]> = [
  [
    FIXTURE_PROJECTS.default,
    [
      {
        op: 'add_table',
        table: 'categories',
        columns: [
          { name: 'id', type: 'integer', primaryKey: true, autoIncrement: true },
          {
            name: 'parent_id',
            type: 'integer',
            references: { table: 'categories', column: 'id', onDelete: 'set null' },
          },
          { name: 'owner_id', type: 'text', notNull: true, references: { table: 'users', column: 'id' } },
          { name: 'meta', type: 'text', mode: 'json', default: { tags: [] } },
          { name: 'is_hidden', type: 'integer', mode: 'boolean', notNull: true, default: false },
          { name: 'amount', type: 'numeric' },
          { name: 'created_at', type: 'text', notNull: true, default: { sql: 'CURRENT_TIMESTAMP' } },
        ],
        indexes: [{ columns: ['owner_id', 'created_at'], unique: true }],
      },
      {
        op: 'add_table',
        table: 'pairs',
        columns: [
          { name: 'a', type: 'text' },
          { name: 'b', type: 'text' },
        ],
        primaryKey: ['a', 'b'],
      },
      { op: 'add_column', table: 'users', column: { name: 'avatar', type: 'blob' } },
      { op: 'drop_column', table: 'users', column: 'password_hash' },
      { op: 'rename_column', table: 'check_ins', column: 'user_id', to: 'member_id', property: 'memberId' },
      { op: 'rename_table', table: 'journal_entries', to: 'journal', exportName: 'journal' },
      {
        op: 'alter_column',
        table: 'users',
        column: 'role',
        enum: ['member', 'coach', 'admin', 'owner'],
        default: 'owner',
      },
      { op: 'alter_column', table: 'sessions', column: 'token', type: 'blob', mode: null },
      { op: 'add_index', table: 'users', columns: ['username'] },
      { op: 'drop_index', table: 'sessions', name: 'idx_sessions_token' },
      { op: 'drop_foreign_key', table: 'sessions', columns: ['user_id'] },
      {
        op: 'add_foreign_key',
        table: 'pairs',
        columns: ['a'],
        references: { table: 'users', columns: ['id'] },
        onUpdate: 'cascade',
      },
    ],
  ],
  [
    FIXTURE_PROJECTS.multiFile,
    [
      {
        op: 'add_table',
        table: 'likes',
        file: 'schema/likes.ts',
        columns: [
          { name: 'user_id', type: 'integer', notNull: true },
          { name: 'post_id', type: 'integer', notNull: true },
        ],
        primaryKey: ['user_id', 'post_id'],
        foreignKeys: [
          { columns: ['user_id'], references: { table: 'users', columns: ['id'] } },
          { columns: ['post_id'], references: { table: 'posts', columns: ['id'] }, onDelete: 'cascade' },
        ],
      },
      { op: 'rename_table', table: 'users', to: 'accounts', exportName: 'accounts' },
      { op: 'add_index', table: 'posts', columns: ['title'] },
      { op: 'drop_index', table: 'posts', name: 'posts_author_idx' },
    ],
  ],
  [
    FIXTURE_PROJECTS.snakeCase,
    [
      {
        op: 'add_column',
        table: 'members',
        column: {
          name: 'joined_at',
          type: 'integer',
          mode: 'timestamp',
          notNull: true,
          default: { sql: 'unixepoch()' },
        },
      },
      { op: 'rename_column', table: 'teams', column: 'display_name', to: 'title', property: 'title' },
      { op: 'alter_column', table: 'teams', column: 'is_archived', notNull: false },
    ],
  ],
  [
    FIXTURE_PROJECTS.imports,
    [
      {
        op: 'add_column',
        table: 'prices',
        column: { name: 'currency', type: 'text', enum: ['EUR', 'USD'], notNull: true, default: 'EUR' },
      },
      {
        op: 'add_table',
        table: 'stock',
        columns: [
          {
            name: 'product_id',
            type: 'integer',
            primaryKey: true,
            references: { table: 'products', column: 'id' },
          },
          { name: 'count', type: 'integer', notNull: true, default: 0 },
        ],
      },
      { op: 'drop_foreign_key', table: 'prices', columns: ['product_id'] },
    ],
  ],
];

it('every kind of edit leaves each fixture compiling under tsc --noEmit', { timeout: 180_000 }, async () => {
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
  const repoConfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: Record<string, unknown>;
  };
  fs.writeFileSync(
    path.join(root, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { ...repoConfig.compilerOptions, types: [] },
      include: ['**/*.ts'],
      exclude: ['node_modules'],
    }),
  );
  for (const [fixture, ops] of edits) {
    const dir = path.join(root, fixture.root);
    fs.mkdirSync(dir);
    copyFixture(fixture, dir);
    const outcome = await editFixture(fixture, OperationsSchema.parse(ops), dir);
    expect(outcome.verify, fixture.name).toEqual({ ok: true });
  }
  let output = '';
  try {
    execFileSync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root],
      { encoding: 'utf8' },
    );
  } catch (error) {
    output = String((error as { stdout?: string }).stdout);
  }
  expect(output).toBe('');
});
