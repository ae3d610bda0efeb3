// edit_schema through a real MCP client on project shapes other than the embedded default: a multi-file schema
// behind a barrel (a new table gets its own file, re-exported), a `casing: 'snake_case'` config (no explicit column
// names), and a schema that imports from other modules (namespace import, a spread helper, an enum constant).
// Each: first migration generated and applied, then edit → generate (no hints) → apply, and the real drizzle-kit
// CLI finds the folder in step with the edited schema.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/mcp.js';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/project.js';
import { drizzleKit, type Json } from './migration-tools-support.js';

let harness: Harness | undefined;
let project: string | undefined;
afterEach(async () => {
  await harness?.close();
  if (project) removeDir(project);
  harness = undefined;
  project = undefined;
});

interface Case {
  name: string;
  fixture: string;
  schema: string;
  casing?: string;
  operations: Json[];
  /** Files the edit changes, relative to the project. */
  files: string[];
  /** The generated SQL, statement by statement. */
  sql: RegExp[];
}

const CASES: Case[] = [
  {
    name: 'a multi-file schema behind a barrel',
    fixture: 'multi-file',
    schema: './schema/index.ts',
    operations: [
      {
        op: 'add_table',
        table: 'likes',
        file: 'schema/likes.ts',
        columns: [
          { name: 'user_id', type: 'integer', notNull: true, references: { table: 'users', column: 'id' } },
          { name: 'post_id', type: 'integer', notNull: true, references: { table: 'posts', column: 'id' } },
        ],
        primaryKey: ['user_id', 'post_id'],
      },
      { op: 'rename_column', table: 'users', column: 'name', to: 'display_name' },
    ],
    files: ['schema/index.ts', 'schema/likes.ts', 'schema/users.ts'],
    sql: [/^ALTER TABLE `users` RENAME COLUMN `name` TO `display_name`;$/, /^CREATE TABLE `likes`/],
  },
  {
    name: "a casing: 'snake_case' project",
    fixture: 'snake-case',
    schema: './schema.ts',
    casing: 'snake_case',
    operations: [
      {
        op: 'add_column',
        table: 'members',
        column: { name: 'joined_at', type: 'integer', mode: 'timestamp' },
      },
      { op: 'rename_column', table: 'teams', column: 'display_name', to: 'title', property: 'title' },
    ],
    files: ['schema.ts'],
    sql: [
      /^ALTER TABLE `teams` RENAME COLUMN `display_name` TO `title`;$/,
      /^ALTER TABLE `members` ADD `joined_at` integer;$/,
    ],
  },
  {
    name: 'a schema that imports from other modules',
    fixture: 'imports',
    schema: './schema.ts',
    operations: [
      {
        op: 'add_column',
        table: 'prices',
        column: { name: 'currency', type: 'text', enum: ['EUR', 'USD'], notNull: true, default: 'EUR' },
      },
      { op: 'rename_table', table: 'prices', to: 'product_prices' },
    ],
    files: ['schema.ts'],
    sql: [
      /^ALTER TABLE `prices` RENAME TO `product_prices`;$/,
      /^ALTER TABLE `product_prices` ADD `currency` text DEFAULT 'EUR' NOT NULL;$/,
    ],
  },
];

function fixtureProject(c: Case): string {
  const dir = tempDir('dsm-edit-project-');
  fs.cpSync(path.join(REPO_ROOT, 'test/fixtures/schema-edit', c.fixture), dir, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(
    path.join(dir, 'drizzle.config.ts'),
    `export default {\n  dialect: 'sqlite',\n  schema: '${c.schema}',\n  out: './drizzle',\n  dbCredentials: { url: './data/app.db' },${c.casing ? `\n  casing: '${c.casing}',` : ''}\n};\n`,
  );
  return dir;
}

describe('edit_schema on other project shapes', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    project = fixtureProject(c);
    harness = await startHarness({ argv: ['--project', project] });
    const h = harness;
    expect((await h.ok<Json>('generate_migration', { name: 'init' })).status).toBe('ok');
    expect((await h.ok<Json>('apply_migrations')).status).toBe('applied');

    const dry = await h.ok<Json>('edit_schema', { operations: c.operations, dryRun: true });
    expect((dry.files as Json[]).map((file) => file.path).sort()).toEqual(c.files);
    const edit = await h.ok<Json>('edit_schema', { operations: c.operations, diffHash: dry.diffHash });
    expect(edit.status).toBe('written');
    const generated = await h.ok<Json>('generate_migration', { name: 'edit' });
    expect(generated.status, JSON.stringify(generated)).toBe('ok');
    const statements = (generated.sql as string).split('--> statement-breakpoint\n');
    expect(statements).toHaveLength(c.sql.length);
    c.sql.forEach((pattern, i) => expect(statements[i]).toMatch(pattern));
    expect((await h.ok<Json>('apply_migrations')).status).toBe('applied');
    expect((await h.ok<Json>('migration_status')).drift).toMatchObject({ inSync: true });
    expect(await drizzleKit(project, 'generate')).toContain('No schema changes');
  });
});
