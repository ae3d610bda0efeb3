// What the product promises against the real drizzle tooling: folders we write are accepted by the drizzle-kit
// CLI, our ledger agrees with drizzle-orm's migrate(), and our apply keeps the child rows the stock migrator loses.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { generateSQLiteDrizzleJson, generateSQLiteMigration } from 'drizzle-kit/api';
import { describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/migrations/apply.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { readLedger } from '../../src/migrations/ledger.js';
import { writeMigrationFrom } from '../../src/migrations/write.js';
import type { SqliteSnapshot } from '../../src/project/types.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const KIT = path.join(REPO, 'node_modules/.bin/drizzle-kit');

const schemaSource = (statusDefault: string, extra = '') => `
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
export const users = sqliteTable('users', {
  id: integer('id').primaryKey(),
  name: text('name').notNull(),
  status: text('status').notNull().default('${statusDefault}'),${extra}
});
export const posts = sqliteTable('posts', {
  id: integer('id').primaryKey(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
});
`;

function makeProject() {
  const root = makeTempDir('dsm-kit-');
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  fs.writeFileSync(
    path.join(root, 'drizzle.config.ts'),
    `import { defineConfig } from 'drizzle-kit';\nexport default defineConfig({ schema: './schema.ts', out: './drizzle', dialect: 'sqlite', dbCredentials: { url: './app.db' } });\n`,
  );
  let version = 0;
  const outDir = path.join(root, 'drizzle');
  return {
    root,
    outDir,
    /** Sets schema.ts (for the CLI) and generates + writes the migration with our writer (as the kit worker would). */
    async generate(source: string, name: string) {
      fs.writeFileSync(path.join(root, 'schema.ts'), source);
      const versioned = path.join(root, `schema-v${++version}.ts`);
      fs.writeFileSync(versioned, source);
      const module = (await import(versioned)) as Record<string, unknown>;
      return writeMigrationFrom(outDir, async (previous) => {
        const current = (await generateSQLiteDrizzleJson(
          module,
          previous.prevId,
        )) as unknown as SqliteSnapshot;
        const before = previous.snapshot as never;
        const statements = await generateSQLiteMigration(before, current as never);
        return statements.length === 0 ? null : { name, statements, snapshot: current };
      });
    },
    async kit(command: 'check' | 'generate', ...args: string[]) {
      const { stdout, stderr } = await run(KIT, [command, '--config', 'drizzle.config.ts', ...args], {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1' },
      });
      return `${stdout}\n${stderr}`;
    },
  };
}

function seed(db: Database.Database) {
  db.exec(`INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'bob');
           INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');`);
}
const count = (db: Database.Database, table: string) =>
  db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();

describe('drizzle compatibility', () => {
  it('writes folders the drizzle-kit CLI accepts (check passes, generate finds no changes), custom migrations included', async () => {
    const project = makeProject();
    await project.generate(schemaSource('active'), 'init');
    expect(await project.kit('check')).toMatch(/Everything's fine/);
    expect(await project.kit('generate')).toContain('No schema changes');

    await project.generate(schemaSource('active', "\n  email: text('email'),"), 'add_email');
    const custom = await writeMigrationFrom(project.outDir, () => ({ custom: true, name: 'backfill' }));
    expect(custom?.tag).toBe('0002_backfill');
    expect(await project.kit('check')).toMatch(/Everything's fine/);
    expect(await project.kit('generate')).toContain('No schema changes');
    expect(readMigrationFolder(project.outDir).findings).toEqual([]);

    // And the CLI's own next migration lands cleanly on top of ours.
    fs.writeFileSync(
      path.join(project.root, 'schema.ts'),
      schemaSource('active', "\n  email: text('email'),\n  bio: text('bio'),"),
    );
    await project.kit('generate', '--name', 'cli_bio');
    const folder = readMigrationFolder(project.outDir);
    expect(folder.findings).toEqual([]);
    expect(folder.migrations.map((m) => m.tag)).toEqual([
      '0000_init',
      '0001_add_email',
      '0002_backfill',
      '0003_cli_bio',
    ]);
  });

  it("keeps child rows where drizzle-orm's migrate() cascade-deletes them, and migrate() after our apply does nothing", async () => {
    const project = makeProject();
    await project.generate(schemaSource('active'), 'init');
    const stock = new Database(path.join(project.root, 'stock.db'));
    const ours = new Database(path.join(project.root, 'ours.db'));
    migrate(drizzle(stock), { migrationsFolder: project.outDir });
    await applyMigrations(ours, readMigrationFolder(project.outDir));
    seed(stock);
    seed(ours);

    // Changing a default on the parent table makes drizzle-kit rebuild it (DROP TABLE users inside the batch).
    const written = await project.generate(schemaSource('inactive'), 'status_default');
    expect(written?.sql).toContain('DROP TABLE `users`');

    migrate(drizzle(stock), { migrationsFolder: project.outDir });
    expect(count(stock, 'users')).toBe(2);
    expect(count(stock, 'posts')).toBe(0); // the stock migrator's silent data loss

    const result = await applyMigrations(ours, readMigrationFolder(project.outDir));
    expect(result.applied.map((m) => m.tag)).toEqual(['0001_status_default']);
    expect(count(ours, 'posts')).toBe(3);
    expect(
      ours.prepare(`SELECT dflt_value FROM pragma_table_info('users') WHERE name = 'status'`).pluck().get(),
    ).toBe("'inactive'");

    // Both ledgers agree, and drizzle-orm sees nothing left to do after our apply.
    const ledger = readLedger(ours);
    expect(ledger.map((row) => [row.hash, row.createdAt])).toEqual(
      readLedger(stock).map((row) => [row.hash, row.createdAt]),
    );
    const schemaBefore = ours.prepare('SELECT sql FROM sqlite_schema ORDER BY name').pluck().all();
    migrate(drizzle(ours), { migrationsFolder: project.outDir });
    expect(readLedger(ours)).toEqual(ledger);
    expect(ours.prepare('SELECT sql FROM sqlite_schema ORDER BY name').pluck().all()).toEqual(schemaBefore);
    expect(count(ours, 'posts')).toBe(3);
  });
});
