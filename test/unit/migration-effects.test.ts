// Data changed is data lost, and the rehearsal must match the real thing (issue 11 classes 2 and 3): what a
// migration does to existing rows is measured the same way in the dry run and in the apply, each kind of data
// statement is counted exactly, and an apply that behaves differently from its rehearsal is rolled back whole.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import { AppError } from '../../src/core/errors.js';
import { serverTables } from '../../src/guard/server-tables.js';
import { applyMigrations } from '../../src/migrations/apply.js';
import { dryRunMigrations } from '../../src/migrations/dry-run.js';
import { existingRowChanges, type TableEffect } from '../../src/migrations/effects.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { appendFixtureMigration, makeTempDir, writeFixtureFolder } from '../helpers/migration-fixtures.js';

const INIT = [
  'CREATE TABLE `users` (`id` integer PRIMARY KEY NOT NULL, `name` text, `email` text UNIQUE);',
  'CREATE TABLE `posts` (`id` integer PRIMARY KEY NOT NULL, `user_id` integer NOT NULL REFERENCES `users`(`id`) ON DELETE cascade, `title` text);',
  'CREATE TABLE `log` (`id` integer PRIMARY KEY AUTOINCREMENT, `what` text);',
];
const SEED = `
  INSERT INTO users VALUES (1, 'ada', 'a@x'), (2, NULL, 'b@x'), (3, 'cy', 'c@x'), (4, 'dee', 'd@x');
  INSERT INTO posts VALUES (1, 1, 'p1'), (2, 1, 'p2'), (3, 2, 'p3');
`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function world(chunks: string[], setup = '') {
  const dir = makeTempDir('dsm-effects-');
  dirs.push(dir);
  const outDir = path.join(dir, 'drizzle');
  writeFixtureFolder(outDir, [{ name: 'init', statements: INIT }]);
  const db = new Database(path.join(dir, 'app.db'));
  db.pragma('journal_mode = WAL');
  await applyMigrations(db, readMigrationFolder(outDir));
  db.exec(SEED + setup);
  ensureAuditTable(db, 'audit_log');
  new AuditLog(db, 'audit_log').append({ createdAt: 'x', tool: 't', outcome: 'ok', durationMs: 0 });
  appendFixtureMigration(outDir, { name: 'change', statements: chunks });
  return { db, outDir, close: () => db.close() };
}

interface EffectCase {
  name: string;
  chunks: string[];
  setup?: string;
  tables: Array<Partial<TableEffect> & { table: string }>;
  /** Existing rows changed, per table: what the human is asked about ([] = no consent needed for data). */
  existing: Array<[string, number, number]>;
}

const CASES: EffectCase[] = [
  {
    name: 'an UPDATE of existing rows',
    chunks: ["UPDATE users SET name = 'x' WHERE id <= 3;"],
    tables: [{ table: 'users', updated: 3 }],
    existing: [['users', 3, 0]],
  },
  {
    name: 'a DELETE (cascades off during the apply: only its own rows)',
    chunks: ['DELETE FROM users WHERE id = 4;'],
    tables: [{ table: 'users', deleted: 1 }],
    existing: [['users', 0, 1]],
  },
  {
    name: 'an insert-only seed, which needs no consent',
    chunks: ["INSERT INTO users (id, name, email) VALUES (10, 'new', 'n@x'), (11, 'new2', 'n2@x');"],
    tables: [{ table: 'users', inserted: 2 }],
    existing: [],
  },
  {
    name: 'REPLACE of an existing row and a new one',
    chunks: ["REPLACE INTO users (id, name, email) VALUES (1, 'ada2', 'a2@x'), (12, 'z', 'z@x');"],
    tables: [{ table: 'users', inserted: 1, updated: 1 }],
    existing: [['users', 1, 0]],
  },
  {
    name: 'INSERT OR REPLACE colliding on two unique keys at once',
    chunks: ["INSERT OR REPLACE INTO users (id, name, email) VALUES (1, 'merged', 'd@x');"],
    tables: [{ table: 'users', updated: 1, deleted: 1 }],
    existing: [['users', 1, 1]],
  },
  {
    name: 'an upsert that updates two rows and inserts one',
    chunks: [
      "INSERT INTO users (id, name, email) VALUES (1, 'u1', 'a@x'), (2, 'u2', 'b@x'), (20, 'u20', 'u20@x') ON CONFLICT(id) DO UPDATE SET name = excluded.name;",
    ],
    tables: [{ table: 'users', inserted: 1, updated: 2 }],
    existing: [['users', 2, 0]],
  },
  {
    name: 'an UPDATE behind a WITH clause',
    chunks: ["WITH gone AS (SELECT 3 AS id) UPDATE users SET name = 'w' WHERE id IN (SELECT id FROM gone);"],
    tables: [{ table: 'users', updated: 1 }],
    existing: [['users', 1, 0]],
  },
  {
    name: 'a rebuild that copies columns as they are: nothing existing changes',
    chunks: [
      'CREATE TABLE `__new_users` (`id` integer PRIMARY KEY NOT NULL, `name` text, `email` text UNIQUE);',
      'INSERT INTO `__new_users`("id", "name", "email") SELECT "id", "name", "email" FROM `users`;',
      'DROP TABLE `users`;',
      'ALTER TABLE `__new_users` RENAME TO `users`;',
    ],
    tables: [{ table: '__new_users', inserted: 4 }],
    existing: [],
  },
  {
    name: 'a rebuild whose copy computes values: the source’s rows count as changed',
    chunks: [
      'CREATE TABLE `__new_users` (`id` integer PRIMARY KEY NOT NULL, `name` text NOT NULL, `email` text UNIQUE);',
      'INSERT INTO `__new_users`("id", "name", "email") SELECT "id", coalesce("name", \'\'), "email" FROM `users`;',
      'DROP TABLE `users`;',
      'ALTER TABLE `__new_users` RENAME TO `users`;',
    ],
    tables: [
      { table: '__new_users', inserted: 4 },
      { table: 'users', updated: 4 },
    ],
    existing: [['users', 4, 0]],
  },
  {
    name: 'a write whose trigger changes another table',
    setup:
      "CREATE TRIGGER note AFTER UPDATE ON posts BEGIN INSERT INTO log (what) VALUES ('post ' || new.id); END;",
    chunks: ['UPDATE posts SET title = upper(title) WHERE user_id = 1;'],
    tables: [{ table: 'posts', updated: 2 }],
    existing: [['posts', 2, 0]],
  },
];

describe('what a migration does to existing rows', () => {
  for (const kase of CASES) {
    it(`measures ${kase.name}, the same in the dry run and the apply`, async () => {
      const w = await world(kase.chunks, kase.setup);
      try {
        const tables = serverTables();
        const report = await dryRunMigrations(w.db, readMigrationFolder(w.outDir), { tables });
        expect(report.ok, JSON.stringify(report.migrations)).toBe(true);
        const effects = report.migrations[0]!.effects!;
        expect(effects.tables).toEqual(
          kase.tables.map((t) => ({ inserted: 0, updated: 0, deleted: 0, ...t })),
        );
        const existed = new Set(report.rowCounts.filter((c) => c.before !== null).map((c) => c.table));
        expect(
          existingRowChanges(report.migrations, (t) => existed.has(t)).map((c) => [
            c.table,
            c.updated,
            c.deleted,
          ]),
        ).toEqual(kase.existing);
        const applied = await applyMigrations(w.db, readMigrationFolder(w.outDir), {
          tables,
          expectedHashes: report.pendingHashes,
          expectedEffects: [effects],
        });
        expect(applied.applied[0]!.effects).toEqual(effects);
      } finally {
        w.close();
      }
    });
  }

  it('counts trigger effects apart from the table written', async () => {
    const w = await world(
      ["UPDATE posts SET title = 't' WHERE id = 1;"],
      "CREATE TRIGGER note AFTER UPDATE ON posts BEGIN INSERT INTO log (what) VALUES ('x'); END;",
    );
    try {
      const report = await dryRunMigrations(w.db, readMigrationFolder(w.outDir), { tables: serverTables() });
      expect(report.migrations[0]!.effects!.triggered).toBe(1);
    } finally {
      w.close();
    }
  });
});

describe('an apply that does something else than its rehearsal', () => {
  // Each statement tells the copy (an in-memory image with no file name) from the real file.
  const tells: Array<[string, string]> = [
    [
      'by the file name',
      "UPDATE users SET name = 'pwned' WHERE (SELECT file FROM pragma_database_list WHERE name = 'main') <> '';",
    ],
    [
      'by the journal mode (the copy has none, the real file is WAL)',
      "DELETE FROM posts WHERE (SELECT journal_mode FROM pragma_journal_mode) = 'wal';",
    ],
    [
      'by creating a table only on the real file',
      "INSERT INTO users (id, name, email) SELECT 99, 'x', 'x@x' WHERE (SELECT file FROM pragma_database_list WHERE name = 'main') <> '';",
    ],
  ];
  for (const [name, sql] of tells) {
    it(`is rolled back whole when it tells the copy apart ${name}`, async () => {
      const w = await world(['CREATE TABLE `marker` (`x` integer);', sql]);
      try {
        const tables = serverTables();
        const folder = readMigrationFolder(w.outDir);
        const report = await dryRunMigrations(w.db, folder, { tables });
        expect(report.ok).toBe(true);
        const before = w.db.prepare('SELECT * FROM users ORDER BY id').all();
        const error = await applyMigrations(w.db, folder, {
          tables,
          expectedHashes: report.pendingHashes,
          expectedEffects: report.migrations.map((m) => m.effects!),
        }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).message).toMatch(
          /did something else on the real database than in the dry run/,
        );
        expect(w.db.prepare('SELECT * FROM users ORDER BY id').all()).toEqual(before);
        expect(w.db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'marker'").pluck().get()).toBe(
          0,
        );
        expect(new AuditLog(w.db, 'audit_log').verify()).toMatchObject({ ok: true });
      } finally {
        w.close();
      }
    });
  }
});
