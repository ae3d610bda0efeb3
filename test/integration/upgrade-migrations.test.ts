// The safe `drizzle-kit up` (generate_migration upgrade), through a real client on a 0.x project whose database the
// 0.x migrator built and which then installed drizzle-kit/drizzle-orm 1.0.0-rc.5: refused with the exact difference
// while the `.unique()` rebuild stands, converted once the schema says what the database has, or converted with the
// rebuild accepted and applied by our apply — and rc.5's own migrate() agreeing afterwards.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle as drizzle0 } from 'drizzle-orm/better-sqlite3';
import { migrate as migrate0 } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { detectLedgerShape, readLedgerEntries } from '../../src/migrations/ledger-shape.js';
import {
  copyDrizzle1Fixture,
  DRIZZLE_PACKAGES,
  rcMigrate,
  linkDrizzle,
  v1MigrationNames,
} from '../helpers/drizzle-rc.js';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/project.js';

const LEDGER = '__drizzle_migrations';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type RcSdk = { generate(options: Record<string, unknown>): Promise<{ status: string }> };

const projects: string[] = [];
afterAll(() => {
  for (const dir of projects.splice(0)) removeDir(dir);
});

/** v0-kept applied by drizzle-orm 0.45.4 with rows in every table, then drizzle 1.0.0-rc.5 installed. */
function keptProjectOn1(): { project: string; file: string } {
  const project = copyDrizzle1Fixture('v0-kept');
  projects.push(project);
  const file = path.join(project, 'data', 'app.db');
  const db = new Database(file);
  migrate0(drizzle0({ client: db }), { migrationsFolder: path.join(project, 'drizzle') });
  db.exec(`
    INSERT INTO users (id, name, email) VALUES (1, 'Ada', 'ada@example.com'), (2, 'Bob', 'bob@example.com');
    INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');
    INSERT INTO comments (id, post_id, body) VALUES (1, 1, 'x'), (2, 3, 'y');
  `);
  db.close();
  linkDrizzle(project, 'rc');
  return { project, file };
}

function state(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    return {
      rows: { users: count('users'), posts: count('posts'), comments: count('comments') },
      shape: detectLedgerShape(db, LEDGER).shape,
      ledger: readLedgerEntries(db, LEDGER).map(({ hash, name }) => ({ hash, name })),
      schema: db.prepare(`SELECT name, sql FROM sqlite_schema ORDER BY name`).all(),
    };
  } finally {
    db.close();
  }
}

const entries = (dir: string) => fs.readdirSync(dir).sort();

async function withHarness<T>(project: string, fn: (h: Harness) => Promise<T>): Promise<T> {
  const h = await startHarness({ argv: ['--project', project, '--no-migrate-on-start'] });
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

describe('generate_migration upgrade', () => {
  it('refuses with the exact SQL and the schema edit while drizzle-kit 1.0 would rebuild a table, then converts once it is made', async () => {
    const { project, file } = keptProjectOn1();
    await withHarness(project, async (h) => {
      // Taken once the server has started (it adds its audit table to the database).
      const before = {
        project: entries(project),
        out: entries(path.join(project, 'drizzle')),
        db: state(file),
      };
      const status = await h.ok<Json>('migration_status', { drift: false });
      expect(status.drizzle).toMatchObject({ kit: '1.0.0-rc.5', layout: '0.x journal', ledger: '0.x' });
      expect(status.drizzle.notes.join(' ')).toContain('upgrade: "strict"');

      const refused = await h.call('generate_migration', { upgrade: 'strict' });
      expect(refused.isError).toBe(true);
      const text = errorTextOf(refused);
      expect(text).toContain('DROP TABLE `users`;');
      expect(text).toContain('`email` text NOT NULL UNIQUE');
      expect(text).toContain("add `uniqueIndex('users_email_unique').on(t.email)`");
      expect(text).toContain('upgrade: "with_rebuild"');
      expect(text).toContain('Nothing was changed.');
      expect({
        project: entries(project),
        out: entries(path.join(project, 'drizzle')),
        db: state(file),
      }).toEqual(before);
      const audit = await h.ok<Json>('read_audit_log', { limit: 1 });
      expect(JSON.stringify(audit)).toContain('MIGRATION_CONFLICT');

      // The edit the refusal names: the unique index, under the name the database has.
      const schemaFile = path.join(project, 'src', 'db', 'schema.ts');
      const schema = fs
        .readFileSync(schemaFile, 'utf8')
        .replace(
          'import { index, integer, sqliteTable, text } from',
          'import { index, integer, sqliteTable, text, uniqueIndex } from',
        )
        .replace("email: text('email').notNull().unique(),", "email: text('email').notNull(),")
        .replace(
          "role: text('role').notNull().default('reader'),\n});",
          "role: text('role').notNull().default('reader'),\n}, (t) => [uniqueIndex('users_email_unique').on(t.email)]);",
        );
      fs.writeFileSync(schemaFile, schema);

      const converted = await h.ok<Json>('generate_migration', { upgrade: 'strict' });
      expect(converted).toMatchObject({
        status: 'ok',
        upgraded: { backup: expect.stringMatching(/^drizzle-0\.x-backup-\d{14}$/) },
      });
      expect(converted.upgraded.migrations).toEqual([
        expect.stringMatching(/^0000_init → \d{14}_init$/),
        expect.stringMatching(/^0001_comments → \d{14}_comments$/),
        expect.stringMatching(/^0002_users_role_default → \d{14}_users_role_default$/),
      ]);
      expect(fs.existsSync(path.join(project, 'drizzle', 'meta'))).toBe(false);
      expect(fs.existsSync(path.join(project, converted.upgraded.backup, 'meta', '_journal.json'))).toBe(
        true,
      );
      expect(entries(project).filter((name) => name.startsWith('.'))).toEqual([]);
      // The database is untouched: its 0.x ledger still says every migration is applied.
      expect(state(file)).toEqual(before.db);
      const after = await h.ok<Json>('migration_status', {});
      expect(after).toMatchObject({
        consistent: true,
        counts: { applied: 3, pending: 0 },
        drizzle: { layout: '1.0 folders', ledger: '0.x' },
        drift: { inSync: true },
      });
      expect(await h.ok<Json>('generate_migration', {})).toMatchObject({ status: 'no_changes' });

      // The next change goes through drizzle-kit 1.0; our apply upgrades the ledger as rc.5 would, keeps the rows.
      fs.writeFileSync(
        schemaFile,
        schema.replace(
          "body: text('body').notNull(),",
          "body: text('body').notNull(),\n    score: integer('score'),",
        ),
      );
      const generated = await h.ok<Json>('generate_migration', { name: 'score' });
      expect(generated).toMatchObject({ status: 'ok', tag: expect.stringMatching(/^\d{14}_score$/) });
      await h.ok<Json>('apply_migrations', {});
    });
    const applied = state(file);
    expect(applied).toMatchObject({ rows: { users: 2, posts: 3, comments: 2 }, shape: 'v1-upgraded' });
    expect(applied.ledger.map((row) => row.name)).toEqual(v1MigrationNames(project));
    await rcMigrate(file, path.join(project, 'drizzle'));
    expect(state(file)).toEqual(applied);
  });

  it('with the rebuild accepted: converts, writes the rebuild as the next migration, and our apply keeps every child row', async () => {
    const { project, file } = keptProjectOn1();
    await withHarness(project, async (h) => {
      const result = await h.ok<Json>('generate_migration', { upgrade: 'with_rebuild' });
      expect(result).toMatchObject({ status: 'ok', tag: expect.stringMatching(/^\d{14}_after_upgrade$/) });
      expect(result.sql).toContain('DROP TABLE `users`;');
      expect(result.findings.map((f: Json) => f.code)).toContain('SQ201');
      expect(result.upgraded.migrations).toHaveLength(3);
      const status = await h.ok<Json>('migration_status', { drift: false });
      expect(status.counts).toMatchObject({ applied: 3, pending: 1 });
      const applied = await h.ok<Json>('apply_migrations', {});
      expect(applied.applied).toEqual([result.tag]);
    });
    const after = state(file);
    expect(after).toMatchObject({ rows: { users: 2, posts: 3, comments: 2 }, shape: 'v1-upgraded' });
    await rcMigrate(file, path.join(project, 'drizzle'));
    expect(state(file)).toEqual(after);
    const sdk = (await import(path.join(DRIZZLE_PACKAGES.rc.kit, 'cli.mjs'))) as RcSdk;
    expect(
      await sdk.generate({
        dialect: 'sqlite',
        schema: [path.join(project, 'src/db/schema.ts')],
        out: path.join(project, 'drizzle'),
      }),
    ).toMatchObject({ status: 'no_changes' });
  });

  it('refuses a project that relies on drizzle.config casing, which drizzle-kit 1.0 ignores, saying so', async () => {
    const project = tempDir('dsm-blog-on-1-');
    projects.push(project);
    fs.cpSync(path.join(REPO_ROOT, 'test/fixtures/blog'), project, { recursive: true });
    fs.mkdirSync(path.join(project, 'data'));
    linkDrizzle(project, 'rc');
    await withHarness(project, async (h) => {
      const refused = await h.call('generate_migration', { upgrade: 'strict' });
      expect(refused.isError).toBe(true);
      expect(errorTextOf(refused)).toContain('would not generate without asking whether these were renamed');
      expect(errorTextOf(refused)).toContain('casing: "snake_case", which drizzle-kit 1.x ignores');
      expect(fs.existsSync(path.join(project, 'migrations', 'meta', '_journal.json'))).toBe(true);
      const status = await h.ok<Json>('migration_status', { drift: false });
      expect(status.drizzle.notes.join(' ')).toContain('casing: "snake_case"');
    });
  });

  it('says why there is nothing to convert, and that drizzle-kit 1.x must be installed first', async () => {
    const fresh = copyDrizzle1Fixture('v1-fresh');
    projects.push(fresh);
    await withHarness(fresh, async (h) => {
      const already = await h.call('generate_migration', { upgrade: 'strict' });
      expect(errorTextOf(already)).toMatch(
        /INVALID_ARGUMENT[\s\S]*already in drizzle-kit 1.0's layout|already in drizzle-kit 1.0's layout[\s\S]*INVALID_ARGUMENT/,
      );
    });
    const kept = copyDrizzle1Fixture('v0-kept');
    projects.push(kept);
    await withHarness(kept, async (h) => {
      const refused = await h.call('generate_migration', { upgrade: 'strict' });
      expect(errorTextOf(refused)).toContain(
        'needs drizzle-kit 1.x in the project; it has drizzle-kit 0.31.11',
      );
      expect(fs.existsSync(path.join(kept, 'drizzle', 'meta', '_journal.json'))).toBe(true);
    });
  });
});
