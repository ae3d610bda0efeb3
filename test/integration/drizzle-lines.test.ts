// Each kind of Drizzle project, end to end through a real MCP client, against the real migrator of its own line:
// a fresh drizzle-kit 1.0.0-rc.5 project, a 0.x project converted by rc.5's `up` (on a 0.x ledger, and on the ledger
// rc.5's migrate() upgraded), a 1.0 project whose branches were joined by a merge migration, and a 0.x project kept
// on 0.x. For each: status, dry run, apply with rows in the child tables, the real migrate() finding nothing left,
// restore, then a rename generated with hints, applied, and again agreed on by the real migrate() and drizzle-kit.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle as drizzle0 } from 'drizzle-orm/better-sqlite3';
import { migrate as migrate0 } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { readLedgerEntries, detectLedgerShape } from '../../src/migrations/ledger-shape.js';
import {
  copyDrizzle1Fixture,
  type Drizzle1Fixture,
  DRIZZLE_PACKAGES,
  rcMigrate,
  v1MigrationNames,
  writePreSdkKit,
} from '../helpers/drizzle-rc.js';
import { startHarness } from '../helpers/mcp.js';
import { removeDir } from '../helpers/project.js';

const LEDGER = '__drizzle_migrations';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

type RcSdk = { generate(options: Record<string, unknown>): Promise<{ status: string }> };

function migrate0x(file: string, folder: string): void {
  const db = new Database(file);
  try {
    migrate0(drizzle0({ client: db }), { migrationsFolder: folder });
  } finally {
    db.close();
  }
}

/** The first `keep` migrations of a project's folder, in either layout, as a folder of their own. */
function partialFolder(project: string, keep: number, names?: string[]): string {
  const out = path.join(project, 'drizzle');
  const partial = path.join(project, `partial-${keep}`);
  if (fs.existsSync(path.join(out, 'meta', '_journal.json'))) {
    fs.cpSync(out, partial, { recursive: true });
    const journalFile = path.join(partial, 'meta', '_journal.json');
    const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: unknown[] };
    journal.entries = journal.entries.slice(0, keep);
    fs.writeFileSync(journalFile, JSON.stringify(journal));
    return partial;
  }
  for (const name of names ?? v1MigrationNames(project).slice(0, keep))
    fs.cpSync(path.join(out, name), path.join(partial, name), { recursive: true });
  return partial;
}

/** The first two migrations as 0.x wrote them: the 0.x migrator on the journal v0-upped was converted from. */
function keptFirstTwoBy0x(file: string): void {
  const kept = copyDrizzle1Fixture('v0-kept');
  try {
    migrate0x(file, partialFolder(kept, 2));
  } finally {
    removeDir(kept);
  }
}

function seed(file: string): void {
  const db = new Database(file);
  db.exec(`
    INSERT INTO users (id, name, email) VALUES (1, 'Ada', 'ada@example.com'), (2, 'Bob', 'bob@example.com');
    INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');
    INSERT INTO comments (id, post_id, body) VALUES (1, 1, 'x'), (2, 3, 'y');
  `);
  db.close();
}

function snapshotOf(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    return {
      rows: { users: count('users'), posts: count('posts'), comments: count('comments') },
      ledgerShape: detectLedgerShape(db, LEDGER).shape,
      ledger: readLedgerEntries(db, LEDGER).map(({ hash, createdAt, name }) => ({ hash, createdAt, name })),
      schema: db
        .prepare(
          `SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name`,
        )
        .all(LEDGER),
    };
  } finally {
    db.close();
  }
}

interface Scenario {
  title: string;
  fixture: Drizzle1Fixture;
  line: '0.x' | 'rc';
  /** Builds data/app.db with the real migrators, as the user's own app would have; rows are seeded after. */
  build(project: string, file: string): Promise<void>;
  applied: number;
  pending: number;
  layout: string;
  ledgerBefore: string;
  ledgerAfter: string;
}

const SCENARIOS: Scenario[] = [
  {
    title: 'a fresh drizzle-kit 1.0.0-rc.5 project',
    fixture: 'v1-fresh',
    line: 'rc',
    build: (project, file) => rcMigrate(file, partialFolder(project, 2)),
    applied: 2,
    pending: 1,
    layout: '1.0 folders',
    ledgerBefore: '1.0',
    ledgerAfter: '1.0',
  },
  {
    title: 'a 0.x project converted by rc.5 `up`, its 0.x ledger not upgraded yet',
    fixture: 'v0-upped',
    line: 'rc',
    build: async (_project, file) => keptFirstTwoBy0x(file),
    applied: 2,
    pending: 1,
    layout: '1.0 folders',
    ledgerBefore: '0.x',
    ledgerAfter: '1.0 (upgraded from 0.x)',
  },
  {
    title: 'a 0.x project converted by rc.5 `up`, its ledger upgraded by rc.5 migrate()',
    fixture: 'v0-upped',
    line: 'rc',
    async build(project, file) {
      keptFirstTwoBy0x(file);
      await rcMigrate(file, partialFolder(project, 2));
    },
    applied: 2,
    pending: 1,
    layout: '1.0 folders',
    ledgerBefore: '1.0 (upgraded from 0.x)',
    ledgerAfter: '1.0 (upgraded from 0.x)',
  },
  {
    title: 'a 1.0 project with a merge migration, one branch applied before the other',
    fixture: 'v1-merged',
    line: 'rc',
    build(project, file) {
      const [init, comments, , tags] = v1MigrationNames(project);
      return rcMigrate(file, partialFolder(project, 3, [init!, comments!, tags!]));
    },
    applied: 3,
    pending: 2,
    layout: '1.0 folders',
    ledgerBefore: '1.0',
    ledgerAfter: '1.0',
  },
  {
    title: 'a 0.x project kept on 0.x',
    fixture: 'v0-kept',
    line: '0.x',
    async build(project, file) {
      migrate0x(file, partialFolder(project, 2));
    },
    applied: 2,
    pending: 1,
    layout: '0.x journal',
    ledgerBefore: '0.x',
    ledgerAfter: '0.x',
  },
];

const projects: string[] = [];
afterAll(() => {
  for (const dir of projects.splice(0)) removeDir(dir);
});

/** The real migrate() of the project's own line, on the real folder. */
async function theirMigrate(scenario: Scenario, project: string, file: string): Promise<void> {
  const out = path.join(project, 'drizzle');
  if (scenario.line === 'rc') await rcMigrate(file, out);
  else migrate0x(file, out);
}

describe.each(SCENARIOS)('$title', (scenario) => {
  it('status, dry run, apply with child rows, the real migrate() agreeing, restore, and a hinted rename generated and applied', async () => {
    const project = copyDrizzle1Fixture(scenario.fixture);
    projects.push(project);
    const file = path.join(project, 'data', 'app.db');
    await scenario.build(project, file);
    seed(file);
    const h = await startHarness({
      argv: ['--project', project, '--no-migrate-on-start', '--allow-destructive'],
    });
    try {
      const status = await h.ok<Json>('migration_status', {});
      expect(status).toMatchObject({
        consistent: true,
        counts: { applied: scenario.applied, pending: scenario.pending, modified: 0, skipped: 0, missing: 0 },
        drizzle: {
          kit: scenario.line === 'rc' ? '1.0.0-rc.5' : '0.31.11',
          layout: scenario.layout,
          ledger: scenario.ledgerBefore,
          generatesWith: expect.stringMatching(/^the project's drizzle-kit/),
        },
      });
      expect(status.drift.schema.inSync).toBe(scenario.fixture !== 'v0-upped');

      const dryRun = await h.ok<Json>('apply_migrations', { dryRun: true });
      expect(dryRun).toMatchObject({ status: 'dry_run', ok: true });
      expect(dryRun.rowsLost).toBeUndefined();
      const before = snapshotOf(file);

      const applied = await h.ok<Json>('apply_migrations', {});
      expect(applied.status).toBe('applied');
      expect(applied.applied).toHaveLength(scenario.pending);
      // No data lost, so nobody had to be asked: the parent rebuild kept every child row.
      expect(applied.consent).toBeUndefined();
      const after = snapshotOf(file);
      expect(after.rows).toEqual({ users: 2, posts: 3, comments: 2 });
      expect((await h.ok<Json>('migration_status', { drift: false })).drizzle.ledger).toBe(
        scenario.ledgerAfter,
      );

      // The project's own migrator finds nothing left to do.
      await theirMigrate(scenario, project, file);
      expect(snapshotOf(file)).toEqual(after);

      // Restore undoes the apply: schema, rows and the ledger in the shape it had.
      const restored = await h.ok<Json>('restore_backup', { backupId: applied.backup.id });
      expect(restored.restored.id).toBe(applied.backup.id);
      expect(snapshotOf(file)).toEqual(before);
      await h.ok<Json>('apply_migrations', {});

      // A rename needs a hint, on either line; with it the data is kept.
      const schemaFile = path.join(project, 'src', 'db', 'schema.ts');
      fs.writeFileSync(
        schemaFile,
        fs.readFileSync(schemaFile, 'utf8').replace("title: text('title')", "headline: text('headline')"),
      );
      const asked = await h.ok<Json>('generate_migration', { name: 'headline' });
      expect(asked).toMatchObject({
        status: 'missing_hints',
        missingHints: [
          {
            kind: 'column',
            entity: ['public', 'posts', 'headline'],
            candidates: [['public', 'posts', 'title']],
          },
        ],
      });
      const generated = await h.ok<Json>('generate_migration', {
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
      expect(generated.status).toBe('ok');
      expect(generated.sql).toContain('RENAME COLUMN `title` TO `headline`');
      expect(generated.renames).toEqual(['column posts.title → headline']);
      if (scenario.line === 'rc') {
        expect(generated.tag).toMatch(/^\d{14}_headline$/);
        expect(generated.files).toEqual([
          `drizzle/${generated.tag}/migration.sql`,
          `drizzle/${generated.tag}/snapshot.json`,
        ]);
        expect(fs.existsSync(path.join(project, 'drizzle', 'meta'))).toBe(false);
      } else {
        expect(generated.tag).toBe('0003_headline');
      }
      const second = await h.ok<Json>('apply_migrations', {});
      expect(second.applied).toEqual([generated.tag]);
      const final = snapshotOf(file);
      expect(final.rows).toEqual({ users: 2, posts: 3, comments: 2 });
      await theirMigrate(scenario, project, file);
      expect(snapshotOf(file)).toEqual(final);
      const settled = await h.ok<Json>('migration_status', {});
      expect(settled).toMatchObject({ consistent: true, counts: { pending: 0 }, drift: { inSync: true } });
      expect(await h.ok<Json>('generate_migration', {})).toMatchObject({ status: 'no_changes' });
    } finally {
      await h.close();
    }
    if (scenario.line === 'rc') {
      // drizzle-kit 1.0 itself, on the folder as we left it, has nothing to generate.
      const sdk = (await import(path.join(DRIZZLE_PACKAGES.rc.kit, 'cli.mjs'))) as RcSdk;
      const check = await sdk.generate({
        dialect: 'sqlite',
        schema: [path.join(project, 'src/db/schema.ts')],
        out: path.join(project, 'drizzle'),
      });
      expect(check).toMatchObject({ status: 'no_changes' });
    }
  });
});

describe('branches in a 1.0 folder', () => {
  it('reports two leaves that do not conflict, and what happens next', async () => {
    const project = copyDrizzle1Fixture('v1-leaves');
    projects.push(project);
    const h = await startHarness({ argv: ['--project', project, '--no-migrate-on-start'] });
    try {
      const status = await h.ok<Json>('migration_status', { drift: false });
      expect(status.branches).toMatchObject({
        leaves: [expect.stringMatching(/_posts_published$/), expect.stringMatching(/_tags$/)],
        advice: expect.stringContaining('merge migration the next time the schema changes'),
      });
      expect(status.branches.conflicts).toBeUndefined();
      expect(status.warnings ?? []).not.toContainEqual(expect.stringContaining('SEVERAL_LEAVES'));
      expect(await h.ok<Json>('generate_migration', {})).toMatchObject({ status: 'no_changes' });
      // A hand-written migration joins both branches: its snapshot names both leaves.
      const custom = await h.ok<Json>('generate_migration', { custom: true, name: 'backfill' });
      expect(custom).toMatchObject({ status: 'ok', tag: expect.stringMatching(/^\d{14}_backfill$/) });
      const snapshot = JSON.parse(
        fs.readFileSync(path.join(project, 'drizzle', custom.tag, 'snapshot.json'), 'utf8'),
      ) as { prevIds: string[] };
      expect(snapshot.prevIds).toHaveLength(2);
      const joined = await h.ok<Json>('migration_status', { drift: false });
      expect(joined.branches).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  it('reports conflicting branches with what both change, and generate refuses saying which to remove', async () => {
    const project = copyDrizzle1Fixture('v1-conflict');
    projects.push(project);
    const h = await startHarness({ argv: ['--project', project, '--no-migrate-on-start'] });
    try {
      const status = await h.ok<Json>('migration_status', { drift: false });
      expect(status.branches.conflicts).toEqual([
        expect.stringMatching(
          /_posts_published \(add_column: published on posts table\) vs \d{14}_posts_published_true/,
        ),
      ]);
      expect(status.branches.advice).toContain('delete its folder');
      const refused = await h.ok<Json>('generate_migration', {});
      expect(refused).toMatchObject({
        status: 'error',
        message: expect.stringContaining('change the same thing'),
      });
      expect(v1MigrationNames(project)).toHaveLength(4);
    } finally {
      await h.close();
    }
  });
});

describe('schema edits on a 1.0 folder', () => {
  it('edits, generates with a custom backfill after it, and reverts both migration folders with the edit', async () => {
    const project = copyDrizzle1Fixture('v1-fresh');
    projects.push(project);
    const schemaFile = path.join(project, 'src', 'db', 'schema.ts');
    const schemaBefore = fs.readFileSync(schemaFile, 'utf8');
    const out = path.join(project, 'drizzle');
    const folderBefore = fs.readdirSync(out).sort();
    const h = await startHarness({ argv: ['--project', project] });
    try {
      const operations = [{ op: 'add_column', table: 'users', column: { name: 'nickname', type: 'text' } }];
      const dry = await h.ok<Json>('edit_schema', { operations, dryRun: true });
      const edit = await h.ok<Json>('edit_schema', { operations, diffHash: dry.diffHash });
      expect(edit.status).toBe('written');
      const generated = await h.ok<Json>('generate_migration', { name: 'add_nickname' });
      expect(generated).toMatchObject({ status: 'ok', tag: expect.stringMatching(/^\d{14}_add_nickname$/) });
      const backfill = await h.ok<Json>('generate_migration', {
        custom: true,
        name: 'backfill_nickname',
        sql: 'UPDATE `users` SET `nickname` = `name` WHERE `nickname` IS NULL;',
      });
      expect(backfill).toMatchObject({
        status: 'ok',
        tag: expect.stringMatching(/^\d{14}_backfill_nickname$/),
      });
      expect(fs.readFileSync(path.join(out, backfill.tag, 'migration.sql'), 'utf8')).toContain(
        'UPDATE `users`',
      );

      const preview = await h.ok<Json>('edit_schema', { revert: edit.editId, dryRun: true });
      expect(preview.migrationsRemoved).toEqual([generated.tag, backfill.tag]);
      const reverted = await h.ok<Json>('edit_schema', { revert: edit.editId });
      expect(reverted).toMatchObject({
        status: 'reverted',
        migrationsRemoved: [generated.tag, backfill.tag],
      });
      expect(fs.readFileSync(schemaFile, 'utf8')).toBe(schemaBefore);
      expect(fs.readdirSync(out).sort()).toEqual(folderBefore);
      const status = await h.ok<Json>('migration_status', {});
      expect(status).toMatchObject({ consistent: true, counts: { pending: 0 }, drift: { inSync: true } });
      expect(await h.ok<Json>('generate_migration', {})).toMatchObject({ status: 'no_changes' });
    } finally {
      await h.close();
    }
  });
});

describe('consent on a 1.0 folder', () => {
  it('binds an approved plan to the pending migration.sql: changed after approval, nothing runs and the person is asked again', async () => {
    const project = copyDrizzle1Fixture('v1-fresh');
    projects.push(project);
    const file = path.join(project, 'data', 'app.db');
    const h = await startHarness({
      argv: ['--project', project, '--consent-wait-ms', '200'],
      capabilities: {
        extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
      },
    });
    try {
      seed(file);
      const drop = await h.ok<Json>('generate_migration', {
        custom: true,
        name: 'drop_titles',
        sql: 'ALTER TABLE `posts` DROP COLUMN `title`;',
      });
      const sqlFile = path.join(project, 'drizzle', drop.tag, 'migration.sql');
      const pending = await h.call('apply_migrations', {});
      const { planId } = pending.structuredContent as Json;
      expect(pending.structuredContent).toMatchObject({ status: 'needs_human', channel: 'app_card' });
      const card = await h.call('serve_view', { action: 'render', view: 'plan', planId });
      const html = (card.structuredContent as Json).html as string;
      expect(html).toContain('DROP COLUMN');
      const approved = await h.call('serve_view', {
        action: 'decide',
        view: 'plan',
        planId,
        planHash: /data-plan-hash="([0-9a-f]{64})"/.exec(html)![1],
        decision: 'approve',
        nonce: card._meta?.['dsm/nonce'],
      });
      expect(approved.isError).toBeFalsy();

      // After the approval, the pending folder's SQL changes: the approval does not cover it.
      fs.writeFileSync(
        sqlFile,
        'ALTER TABLE `posts` DROP COLUMN `title`;\nALTER TABLE `comments` DROP COLUMN `body`;',
      );
      const again = await h.call('apply_migrations', { planId });
      expect(again.structuredContent, JSON.stringify(again.content)).toMatchObject({ status: 'needs_human' });
      expect((again.structuredContent as Json).planId).not.toBe(planId);
      const row = (await h.ok<Json>('read_audit_log', { tool: 'apply_migrations', limit: 1 })).rows[0];
      expect(row.details.consent).toMatchObject({ previous: { planId, reason: 'hash_mismatch' } });
      expect(snapshotOf(file).ledger.map((entry) => entry.name)).not.toContain(drop.tag);
    } finally {
      await h.close();
    }
  });
});

describe('which drizzle-kit runs', () => {
  it('refuses to generate 0.x files into a 1.0 folder when the project has no drizzle-kit 1.x', async () => {
    const project = copyDrizzle1Fixture('v1-fresh');
    projects.push(project);
    fs.rmSync(path.join(project, 'node_modules'), { recursive: true });
    const h = await startHarness({ argv: ['--project', project, '--no-migrate-on-start'] });
    try {
      const status = await h.ok<Json>('migration_status', { drift: false });
      expect(status.drizzle).toMatchObject({ kit: 'none', layout: '1.0 folders' });
      expect(status.drizzle.notes.join(' ')).toContain('only drizzle-kit 1.x writes that layout');
      // Reading and applying need no drizzle-kit.
      expect(status.counts.pending).toBe(3);
      const refused = await h.ok<Json>('generate_migration', { custom: true });
      expect(refused).toMatchObject({
        status: 'error',
        hint: expect.stringContaining('drizzle-kit@1.0.0-rc.5'),
      });
      expect(fs.existsSync(path.join(project, 'drizzle', 'meta'))).toBe(false);
      expect((await h.ok<Json>('apply_migrations', {})).status).toBe('applied');
    } finally {
      await h.close();
    }
  });

  it('refuses a drizzle-kit 1.0 pre-release without the SDK precisely, and still reads, rehearses and applies', async () => {
    // A public bun app pins drizzle-kit 1.0.0-beta.9, whose package exports neither "./cli" nor "./payload/sqlite".
    const project = copyDrizzle1Fixture('v1-fresh');
    projects.push(project);
    const kitDir = path.join(project, 'node_modules', 'drizzle-kit');
    fs.rmSync(kitDir, { recursive: true });
    writePreSdkKit(kitDir);
    const h = await startHarness({ argv: ['--project', project, '--no-migrate-on-start'] });
    try {
      const status = await h.ok<Json>('migration_status', {});
      expect(status.drizzle).toMatchObject({ kit: '1.0.0-beta.9-e89174b', layout: '1.0 folders' });
      expect(status.drizzle.notes.join(' ')).toContain('"drizzle-kit/cli", added in 1.0.0-rc.4');
      expect(status.drift.schemaError).toMatch(
        /^schema\.ts was not compared: The project's drizzle-kit 1\.0\.0-beta\.9-e89174b is a Drizzle 1\.0 pre-release.*npx drizzle-kit generate/,
      );
      expect(status.counts.pending).toBe(3);
      const refused = await h.ok<Json>('generate_migration', { name: 'next' });
      expect(refused).toMatchObject({
        status: 'error',
        message: expect.stringContaining('added in 1.0.0-rc.4'),
        hint: expect.stringContaining('drizzle-kit@1.0.0-rc.5'),
      });
      expect(v1MigrationNames(project)).toHaveLength(3);
      expect((await h.ok<Json>('apply_migrations', { dryRun: true })).ok).toBe(true);
      expect((await h.ok<Json>('apply_migrations', {})).status).toBe('applied');
      expect((await h.ok<Json>('inspect_schema', { rowCounts: false })).tables.length).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });

  it('reports a schema drizzle-kit 1.0 exits on without a word as an error, and keeps answering', async () => {
    const project = copyDrizzle1Fixture('v1-fresh');
    projects.push(project);
    const schemaFile = path.join(project, 'src', 'db', 'schema.ts');
    const h = await startHarness({ argv: ['--project', project] });
    try {
      fs.writeFileSync(
        schemaFile,
        fs
          .readFileSync(schemaFile, 'utf8')
          .replace(
            "(t) => [index('comments_post_id_idx').on(t.postId)]",
            "(t) => [index('comments_post_id_idx').on(t.postId), index('comments_post_id_idx').on(t.body)]",
          ),
      );
      const failed = await h.ok<Json>('generate_migration', { name: 'dup' });
      expect(failed).toMatchObject({
        status: 'error',
        message: expect.stringContaining('drizzle-kit stopped while reading the schema'),
        hint: expect.stringContaining('duplicate'),
      });
      expect(v1MigrationNames(project)).toHaveLength(3);
      expect((await h.ok<Json>('migration_status', { drift: false })).consistent).toBe(true);
    } finally {
      await h.close();
    }
  });
});
