// The same workflow on a second, deliberately different project (test/fixtures/blog: schema split over two files,
// snake_case casing, its own migrations folder and ledger table).
import path from 'node:path';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/migrations/ledger.js';
import { startHarness, type Harness } from '../helpers/mcp.js';
import { removeDir } from '../helpers/project.js';
import {
  answeringElicitation,
  blogProject,
  columnsOf,
  count,
  drizzleKit,
  editFile,
  openDb,
  withDb,
  type Json,
} from './migration-tools-support.js';

describe('migration tools on the blog fixture', () => {
  let project: string;
  let dbFile: string;
  let h: Harness;
  const human = answeringElicitation(() => ({ action: 'accept', content: { approve: true } }));

  beforeAll(async () => {
    project = blogProject();
    dbFile = path.join(project, 'data/blog.db');
    h = await startHarness({
      argv: ['--project', project],
      capabilities: human.capabilities,
      setupClient: human.setupClient,
    });
    withDb(dbFile, (db) =>
      db.exec(`
        INSERT INTO authors (id, display_name, email) VALUES (1, 'Ada', 'ada@example.com'), (2, 'Bob', 'bob@example.com');
        INSERT INTO posts (id, author_id, title) VALUES (1, 1, 'Hello'), (2, 1, 'Again'), (3, 2, 'Mine');
        INSERT INTO comments (post_id, author_name, body) VALUES (1, 'x', 'nice'), (1, 'y', 'ok'), (3, 'z', 'hm');
      `),
    );
  });
  afterAll(async () => {
    await h.close();
    removeDir(project);
  });

  it('starts applied and in sync, recording applies in the project ledger table blog_migrations', async () => {
    const status = await h.ok<Json>('migration_status');
    expect(status).toMatchObject({ consistent: true, counts: { applied: 1 }, drift: { inSync: true } });
    withDb(dbFile, (db) => expect(readLedger(db, 'blog_migrations')).toHaveLength(1));
  });

  it('adds a table with a foreign key, a column and an index in one migration, named by casing', async () => {
    editFile(project, 'src/schema/authors.ts', '  bio: text(),', '  bio: text(),\n  website: text(),');
    editFile(
      project,
      'src/schema/posts.ts',
      "export const comments = sqliteTable('comments', {",
      `export const tags = sqliteTable(
  'tags',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    postId: integer()
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    label: text().notNull(),
  },
  (table) => [index('tags_post_idx').on(table.postId)],
);

export const comments = sqliteTable('comments', {`,
    );
    const generated = await h.ok<Json>('generate_migration', { name: 'tags and website' });
    expect(generated.status).toBe('ok');
    expect(generated.files[0]).toBe('migrations/0001_tags_and_website.sql');
    expect(generated.sql).toContain(
      'FOREIGN KEY (`post_id`) REFERENCES `posts`(`id`) ON UPDATE no action ON DELETE cascade',
    );
    expect(generated.sql).toContain('CREATE INDEX `tags_post_idx` ON `tags` (`post_id`);');
    expect(generated.sql).toContain('ALTER TABLE `authors` ADD `website` text;');
    expect(await h.ok<Json>('apply_migrations', {})).toMatchObject({
      status: 'applied',
      applied: ['0001_tags_and_website'],
    });
    withDb(dbFile, (db) => {
      expect(columnsOf(db, 'tags')).toStrictEqual(['id', 'post_id', 'label']);
      expect(readLedger(db, 'blog_migrations')).toHaveLength(2);
      expect(
        db.prepare(`SELECT name FROM sqlite_schema WHERE name = '__drizzle_migrations'`).get(),
      ).toBeUndefined();
    });
  });

  it('renames a column through a hint', async () => {
    editFile(
      project,
      'src/schema/posts.ts',
      '    title: text().notNull(),',
      '    headline: text().notNull(),',
    );
    const ambiguous = await h.ok<Json>('generate_migration', {});
    expect(ambiguous).toMatchObject({
      status: 'missing_hints',
      missingHints: [
        {
          kind: 'column',
          entity: ['public', 'posts', 'headline'],
          candidates: [['public', 'posts', 'title']],
        },
      ],
    });
    const renamed = await h.ok<Json>('generate_migration', {
      name: 'headline',
      hints: [
        {
          type: 'rename',
          kind: 'column',
          from: ['public', 'posts', 'title'],
          to: ['public', 'posts', 'headline'],
        },
      ],
    });
    expect(renamed.sql).toBe('ALTER TABLE `posts` RENAME COLUMN `title` TO `headline`;');
    await h.ok('apply_migrations', {});
    withDb(dbFile, (db) =>
      expect(db.prepare('SELECT headline FROM posts WHERE id = 1').pluck().get()).toBe('Hello'),
    );
  });

  it('changes a default on the top of a two-level cascade and keeps every child and grandchild row', async () => {
    editFile(project, 'src/schema/authors.ts', '  bio: text(),', "  bio: text().default(''),");
    const generated = await h.ok<Json>('generate_migration', { name: 'bio default' });
    expect(generated.sql).toContain('DROP TABLE `authors`;');
    expect(generated.findings.map((f: Json) => f.code)).toContain('SQ201');
    const applied = await h.ok<Json>('apply_migrations', {});
    expect(applied.status).toBe('applied');
    withDb(dbFile, (db) => {
      expect([count(db, 'authors'), count(db, 'posts'), count(db, 'comments')]).toStrictEqual([2, 3, 3]);
      expect(
        db.prepare(`SELECT dflt_value FROM pragma_table_info('authors') WHERE name = 'bio'`).pluck().get(),
      ).toBe("''");
      expect(db.prepare('PRAGMA foreign_key_check').all()).toStrictEqual([]);
    });
  });

  it('drops a column after the human accepts through elicitation', async () => {
    editFile(
      project,
      'src/schema/posts.ts',
      "    metadata: blob({ mode: 'json' }).$type<{ tags?: string[] }>(),\n",
      '',
    );
    await h.ok('generate_migration', { name: 'drop metadata' });
    const applied = await h.ok<Json>('apply_migrations', {});
    expect(applied.consent).toStrictEqual({
      required: true,
      decision: 'approved by the person via elicitation',
      planId: expect.stringMatching(/^plan_/),
    });
    expect(human.log.requests.at(-1)!.message).toMatch(/DS103/);
    withDb(dbFile, (db) => expect(columnsOf(db, 'posts')).not.toContain('metadata'));
  });

  it("leaves a folder the drizzle-kit CLI accepts and a ledger drizzle-orm's migrate() agrees with", async () => {
    expect(await drizzleKit(project, 'check')).toMatch(/Everything's fine/);
    expect(await drizzleKit(project, 'generate')).toContain('No schema changes');
    const db = openDb(dbFile);
    try {
      const ledger = readLedger(db, 'blog_migrations');
      expect(ledger).toHaveLength(5);
      migrate(drizzle(db), {
        migrationsFolder: path.join(project, 'migrations'),
        migrationsTable: 'blog_migrations',
      });
      expect(readLedger(db, 'blog_migrations')).toStrictEqual(ledger);
    } finally {
      db.close();
    }
    expect(await h.ok<Json>('migration_status')).toMatchObject({
      consistent: true,
      counts: { applied: 5, pending: 0 },
      drift: { inSync: true },
    });
  });
});
