// A small real project for the review desk, its views and the browser tests: a SQLite file with a blog's tables
// and rows, a migrations folder whose last migration is pending and destroys data, a plan built from the real dry
// run and the real linter (a sketch of what the apply pipeline will do in the wiring phase), and an audit log
// written through the real AuditLog. Everything the views show comes from the modules that will feed them.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AuditLog, buildAuditDetails, ensureAuditTable } from '../../src/audit/audit-log.js';
import { ConsentLedger } from '../../src/consent/ledger.js';
import type { PlanContent, PlanStatement } from '../../src/consent/plan.js';
import { introspectDatabase } from '../../src/sqlite/introspect.js';
import { dryRunMigrations } from '../../src/migrations/dry-run.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { DEFAULT_LEDGER_TABLE } from '../../src/guard/server-tables.js';
import { ensureLedgerTable, insertLedgerRow, readLedger } from '../../src/migrations/ledger.js';
import { lintMigration } from '../../src/migrations/lint.js';
import { computeMigrationStatus } from '../../src/migrations/status.js';
import { ReviewDesk, type DeskSources } from '../../src/review/desk.js';
import { makeTempDir, writeFixtureFolder } from './migration-fixtures.js';

const MIGRATIONS = [
  {
    name: 'init',
    statements: [
      'CREATE TABLE `users` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`email` text NOT NULL,\n\t`display_name` text,\n\t`legacy_email` text,\n\t`created_at` text DEFAULT (CURRENT_TIMESTAMP) NOT NULL\n);\n',
      'CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);\n',
      'CREATE TABLE `posts` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`author_id` integer NOT NULL,\n\t`title` text NOT NULL,\n\t`body` text,\n\t`published_at` integer,\n\tFOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade\n);\n',
      'CREATE TABLE `comments` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`post_id` integer NOT NULL,\n\t`author_id` integer,\n\t`body` text NOT NULL,\n\tFOREIGN KEY (`post_id`) REFERENCES `posts`(`id`) ON DELETE cascade,\n\tFOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON DELETE set null\n);\n',
    ],
  },
  {
    name: 'tags_and_sessions',
    statements: [
      'CREATE TABLE `tags` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`label` text NOT NULL\n);\n',
      'CREATE TABLE `post_tags` (\n\t`post_id` integer NOT NULL,\n\t`tag_id` integer NOT NULL,\n\tPRIMARY KEY(`post_id`, `tag_id`),\n\tFOREIGN KEY (`post_id`) REFERENCES `posts`(`id`) ON DELETE cascade,\n\tFOREIGN KEY (`tag_id`) REFERENCES `tags`(`id`) ON DELETE cascade\n);\n',
      'CREATE TABLE `sessions` (\n\t`token` text PRIMARY KEY NOT NULL,\n\t`user_id` integer NOT NULL,\n\t`expires_at` integer NOT NULL,\n\tFOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade\n);\n',
    ],
  },
  {
    name: 'drop_legacy_email',
    statements: [
      'ALTER TABLE `users` DROP COLUMN `legacy_email`;\n',
      'DELETE FROM `sessions` WHERE `expires_at` < 1700000000;\n',
      'CREATE INDEX `posts_author_idx` ON `posts` (`author_id`);\n',
    ],
  },
];

export interface ReviewWorld {
  dir: string;
  dbPath: string;
  ledger: ConsentLedger;
  desk: ReviewDesk;
  sources: DeskSources;
  clock: { t: number };
  /** Proposes the pending migration's plan, as apply_migrations will. */
  proposePlan(): Promise<ReturnType<ConsentLedger['propose']>>;
  dispose(): void;
}

export async function createReviewWorld(): Promise<ReviewWorld> {
  const dir = makeTempDir('dsm-review-');
  const outDir = path.join(dir, 'drizzle');
  writeFixtureFolder(outDir, MIGRATIONS);
  const folder = readMigrationFolder(outDir);
  const dbPath = path.join(dir, 'app.db');
  const db = new Database(dbPath);
  ensureLedgerTable(db);
  for (const migration of folder.migrations.slice(0, 2)) {
    for (const chunk of migration.chunks) db.exec(chunk);
    insertLedgerRow(db, DEFAULT_LEDGER_TABLE, migration.hash, migration.when);
  }
  db.exec(`
    INSERT INTO users (email, display_name, legacy_email) VALUES
      ('ada@example.com', 'Ada', 'ada@old.example'), ('grace@example.com', 'Grace', 'grace@old.example'),
      ('linus@example.com', NULL, NULL), ('<script>alert(1)</script>@x.example', 'Mallory <b>', 'm@old.example');
    INSERT INTO posts (author_id, title, body) VALUES (1, 'Hello', 'First'), (1, 'Drizzle tips', 'Use migrations'), (2, 'Bugs', NULL);
    INSERT INTO comments (post_id, author_id, body) VALUES (1, 2, 'Nice'), (2, 3, 'Thanks'), (2, NULL, 'anon');
    INSERT INTO tags (id, label) VALUES (1, 'sqlite'), (2, 'orm');
    INSERT INTO post_tags VALUES (1, 1), (2, 1), (2, 2);
    INSERT INTO sessions VALUES ('s1', 1, 1600000000), ('s2', 2, 1650000000), ('s3', 3, 1800000000);
  `);

  ensureAuditTable(db, 'audit_log');
  const audit = new AuditLog(db, 'audit_log');
  const calls: Array<[string, 'ok' | 'error' | 'refused', string | null, object | undefined, number | null]> =
    [
      ['inspect_schema', 'ok', null, { rowCounts: true }, null],
      ['run_query', 'ok', null, { sql: 'SELECT * FROM posts WHERE author_id = ?', params: [1] }, 2],
      ['write_rows', 'ok', null, { table: 'posts', insert: [{ title: 'Bugs' }] }, 1],
      ['execute_sql', 'refused', 'QUERY_REFUSED', { sql: 'DELETE FROM users' }, null],
      [
        'apply_migrations',
        'refused',
        'CONSENT_REQUIRED',
        { consent: { decision: 'decline', channel: 'review_page', planId: 'plan_AAAA' } },
        null,
      ],
      ['migration_status', 'ok', null, {}, null],
      [
        'apply_migrations',
        'ok',
        null,
        { consent: { decision: 'approve', channel: 'app_card', planId: 'plan_BBBB' } },
        3,
      ],
      ['select_rows', 'error', 'NOT_FOUND', { table: 'userz' }, null],
    ];
  calls.forEach(([tool, outcome, errorCode, details, rowsAffected], i) =>
    audit.append({
      createdAt: new Date(Date.UTC(2026, 10, 1, 9, i * 7)).toISOString(),
      tool,
      outcome,
      errorCode,
      durationMs: 3 + i * 11,
      client: 'claude-ai/0.1.0',
      targetType: tool.includes('migration') ? 'migrations' : 'table',
      targetId: tool.includes('migration') ? null : 'posts',
      details: buildAuditDetails(details),
      rowsAffected,
    }),
  );
  db.close();

  const clock = { t: Date.UTC(2026, 10, 1, 10) };
  const ledger = new ConsentLedger({ now: () => clock.t, randomBytes: (n) => randomBytes(n) });
  /** Each source reads through its own read-only connection, as the server's read paths do. */
  const readOnly = <T>(read: (live: Database.Database) => T): T => {
    const live = new Database(dbPath, { readonly: true });
    try {
      return read(live);
    } finally {
      live.close();
    }
  };
  const sources: DeskSources = {
    async schema() {
      return readOnly((live) => {
        const schema = introspectDatabase(live, { exclude: [DEFAULT_LEDGER_TABLE] });
        return {
          tables: schema.tables,
          drizzle: [
            {
              name: 'users',
              exportName: 'users',
              columns: [
                { name: 'display_name', property: 'displayName' },
                { name: 'created_at', property: 'createdAt' },
                { name: 'legacy_email', property: 'legacyEmail' },
              ],
            },
            {
              name: 'posts',
              exportName: 'posts',
              columns: [
                { name: 'author_id', property: 'authorId' },
                { name: 'published_at', property: 'publishedAt' },
              ],
            },
            {
              name: 'comments',
              exportName: 'comments',
              columns: [
                { name: 'post_id', property: 'postId' },
                { name: 'author_id', property: 'authorId' },
              ],
            },
            { name: 'tags', exportName: 'tags', columns: [] },
            {
              name: 'post_tags',
              exportName: 'postTags',
              columns: [
                { name: 'post_id', property: 'postId' },
                { name: 'tag_id', property: 'tagId' },
              ],
            },
            {
              name: 'sessions',
              exportName: 'sessions',
              columns: [
                { name: 'user_id', property: 'userId' },
                { name: 'expires_at', property: 'expiresAt' },
              ],
            },
          ],
        };
      });
    },
    async migrations() {
      return readOnly((live) => {
        const now = readMigrationFolder(outDir);
        const status = computeMigrationStatus(now, readLedger(live));
        const byTag = new Map(now.migrations.map((m) => [m.tag, m]));
        return {
          folder: 'drizzle/',
          problems: status.problems,
          entries: status.entries.map((entry) => ({
            ...entry,
            ...(entry.tag && byTag.has(entry.tag)
              ? { statements: byTag.get(entry.tag)!.chunks.map((c) => c.trim()) }
              : {}),
          })),
        };
      });
    },
    async audit(input) {
      return readOnly((live) => {
        const log = new AuditLog(live, 'audit_log');
        const { rows, nextBeforeId } = log.read({
          limit: 50,
          ...(typeof input.tool === 'string' ? { tool: input.tool } : {}),
        });
        return {
          rows,
          verification: log.verify(),
          source: 'audit_log in app.db',
          truncated: nextBeforeId !== undefined,
        };
      });
    },
  };

  return {
    dir,
    dbPath,
    ledger,
    sources,
    clock,
    desk: new ReviewDesk(ledger, sources),
    async proposePlan() {
      const report = await dryRunMigrations(dbPath, readMigrationFolder(outDir));
      const live = new Database(dbPath, { readonly: true });
      let content: PlanContent;
      try {
        content = planForMigrations(report, (statements) => lintMigration(statements, { db: live }), dbPath);
      } finally {
        live.close();
      }
      return ledger.propose(content, ['app_card', 'review_page']);
    },
    dispose() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Report = Awaited<ReturnType<typeof dryRunMigrations>>;

/** What the apply pipeline will do in the wiring phase: the rehearsal and the linter become a plan. */
function planForMigrations(
  report: Report,
  lint: (statements: string[]) => ReturnType<typeof lintMigration>,
  dbPath: string,
): PlanContent {
  const findings: PlanContent['effects']['findings'] = [];
  const steps = report.migrations.map((migration, stepIndex) => {
    const found = lint(migration.statements);
    const statements: PlanStatement[] = migration.statements.map((sql, i) => {
      const mine = found.filter((f) => f.statementIndex === i);
      const loss = mine.find((f) => f.dataLoss);
      return { sql, ...(loss ? { risk: 'data_loss' as const, note: loss.message } : {}) };
    });
    for (const f of found) {
      findings.push({
        severity: f.severity,
        code: f.code,
        message: f.message,
        fix: f.fix,
        step: stepIndex,
        statement: f.statementIndex,
      });
    }
    return { label: migration.tag, statements };
  });
  const lost = report.rowsLost.map((r) => `${r.table} (${(r.before ?? 0) - (r.after ?? 0)} rows)`);
  const deletes = steps.flatMap((s) => s.statements).filter((s) => /^\s*DELETE\b/i.test(s.sql));
  for (const statement of deletes)
    Object.assign(statement, { risk: 'data_loss', note: statement.note ?? 'deletes rows' });
  return {
    kind: 'apply_migrations',
    title: `Apply ${report.migrations.length} migration${report.migrations.length === 1 ? '' : 's'} to app.db`,
    reasons: [
      {
        code: 'data_loss',
        message: 'Drops column users.legacy_email: its values in 3 of the 4 users are lost.',
      },
      ...(lost.length > 0
        ? [{ code: 'data_loss' as const, message: `Deletes rows: ${lost.join(', ')}.` }]
        : []),
    ],
    steps,
    effects: {
      rowDeltas: report.rowCounts.filter((r) => r.before !== r.after || r.table === 'users'),
      findings,
      schemaChanges: [
        { action: 'drop', object: 'column', name: 'users.legacy_email', detail: 'text' },
        { action: 'create', object: 'index', name: 'posts_author_idx', detail: 'posts(author_id)' },
      ],
      rowChanges: [],
    },
    binding: { database: dbPath, pendingMigrations: report.pendingHashes, arguments: {} },
  };
}
