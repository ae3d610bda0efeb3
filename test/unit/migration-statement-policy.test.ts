// Hostile migrations against the statement policy (issue 11 classes 0, 1 and 4; issue 10 item 4): a model that
// controls the migration files and the database's contents. Every case runs the dry run AND the apply on a real
// file that already holds an audit chain, and checks the exact verdict, that nothing outside the file was created,
// that the database and the chain are as before (for refusals), and that the connection is left as it was.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import { AppError } from '../../src/core/errors.js';
import { serverTables } from '../../src/guard/server-tables.js';
import { applyMigrations } from '../../src/migrations/apply.js';
import { dryRunMigrations } from '../../src/migrations/dry-run.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { appendFixtureMigration, makeTempDir, writeFixtureFolder } from '../helpers/migration-fixtures.js';

const INIT = [
  'CREATE TABLE `users` (`id` integer PRIMARY KEY NOT NULL, `name` text);',
  'CREATE TABLE `posts` (`id` integer PRIMARY KEY NOT NULL, `user_id` integer NOT NULL REFERENCES `users`(`id`) ON DELETE cascade, `title` text);',
];

interface Refused {
  code: 'MIGRATION_REFUSED' | 'PROTECTED_TABLE';
  rule: string;
  /** 1-based chunk named in the refusal. */
  statement: number;
  table?: string;
}

interface PolicyCase {
  name: string;
  /** Chunks of the pending migration; `$DIR` is the test's folder. */
  chunks: string[];
  /** Out-of-band SQL run on the database before (what a hostile app or earlier tool call left there). */
  setup?: string;
  refused?: Refused;
  /** When applied: the chunks the policy neutralised. */
  neutralised?: number[];
  /** When applied: extra checks on the database afterwards. */
  after?: (db: Database.Database) => void;
}

const outside = (statement: number): Refused => ({
  code: 'MIGRATION_REFUSED',
  rule: 'outside-file',
  statement,
});
const server = (statement: number, table = 'audit_log'): Refused => ({
  code: 'PROTECTED_TABLE',
  rule: 'server-table',
  statement,
  table,
});
const refusedBy = (rule: string, statement: number): Refused => ({
  code: 'MIGRATION_REFUSED',
  rule,
  statement,
});

const CASES: PolicyCase[] = [
  // Class 0: nothing reaches beyond the database file, dry run included.
  {
    name: 'ATTACH creating a file',
    chunks: ["ATTACH DATABASE '$DIR/leak.db' AS leak;"],
    refused: outside(1),
  },
  {
    name: 'ATTACH after a comment, lower case, as the second chunk',
    chunks: ['CREATE TABLE a (x);', "/* looks harmless */ attach '$DIR/leak2.db' as l2;"],
    refused: outside(2),
  },
  {
    name: 'ATTACH hidden in a chunk after a legitimate statement',
    chunks: ["CREATE TABLE b (x); ATTACH '$DIR/leak3.db' AS l3;"],
    refused: outside(1),
  },
  { name: 'VACUUM INTO a copy', chunks: ["VACUUM INTO '$DIR/copy.db';"], refused: outside(1) },
  { name: 'plain VACUUM', chunks: ['VACUUM;'], refused: outside(1) },
  { name: 'DETACH', chunks: ['DETACH DATABASE main;'], refused: outside(1) },
  {
    name: 'load_extension in a SELECT',
    chunks: ["SELECT load_extension('$DIR/evil.so');"],
    refused: outside(1),
  },
  {
    name: 'load_extension inside CREATE TABLE AS',
    chunks: ["CREATE TABLE c AS SELECT LOAD_EXTENSION ('x') AS y;"],
    refused: outside(1),
  },
  {
    name: 'a NUL byte that hides an ATTACH from SQLite-vs-us readers',
    chunks: ["CREATE TABLE d (x);\u0000ATTACH '$DIR/nul.db' AS n;"],
    refused: refusedBy('control-character', 1),
  },
  {
    name: 'EXPLAIN PRAGMA (prepare alone applies the pragma)',
    chunks: ['EXPLAIN PRAGMA locking_mode = EXCLUSIVE;'],
    refused: refusedBy('explain', 1),
  },
  {
    name: 'a TEMP trigger watching the audit table from the server’s connection',
    chunks: ['CREATE TEMP TRIGGER spy AFTER INSERT ON main.audit_log BEGIN SELECT 1; END;'],
    refused: refusedBy('temp-object', 1),
  },
  {
    name: 'a TEMP table shadowing the audit table, even one dropped again',
    chunks: ['CREATE TEMPORARY TABLE audit_log (id integer);', 'DROP TABLE audit_log;'],
    refused: server(1),
  },
  {
    name: 'a TEMP table the migration does not drop again',
    chunks: ['CREATE TEMP TABLE keep AS SELECT * FROM posts;', 'DROP TABLE posts;'],
    refused: refusedBy('temp-object', 1),
  },
  {
    name: 'a view put in the TEMP schema by its qualified name',
    chunks: ['CREATE VIEW "temp".v AS SELECT * FROM users;', 'DROP VIEW v;'],
    refused: refusedBy('temp-object', 1),
  },
  {
    name: 'a trigger put in the TEMP schema by its qualified name, watching a real table',
    chunks: ['CREATE TRIGGER temp.spy AFTER INSERT ON main.users BEGIN SELECT 1; END;'],
    refused: refusedBy('temp-object', 1),
  },
  {
    name: 'a TEMP table created after its DROP (the DROP must come later)',
    chunks: ['CREATE TABLE scratch (x);', 'DROP TABLE scratch;', 'CREATE TEMP TABLE scratch (x);'],
    refused: refusedBy('temp-object', 3),
  },
  {
    name: 'a pragma on another schema',
    chunks: ['PRAGMA temp.cache_size = 1;'],
    refused: refusedBy('pragma', 1),
  },

  // Class 1: the server's tables are out of reach, in every form.
  {
    name: 'INSERT into the audit table',
    chunks: [
      "INSERT INTO audit_log (created_at, tool, outcome, duration_ms, prev_hash, hash) VALUES ('x','x','ok',1,'','');",
    ],
    refused: server(1),
  },
  {
    name: 'DELETE from the audit table behind a WITH clause',
    chunks: ['WITH doomed AS (SELECT 1) DELETE FROM audit_log WHERE id IN (SELECT * FROM doomed);'],
    refused: server(1),
  },
  {
    name: 'UPDATE of main."audit_log", quoted and schema-qualified',
    chunks: ['UPDATE main."audit_log" SET details = NULL;'],
    refused: server(1),
  },
  {
    name: 'a trigger on the audit table',
    chunks: ['CREATE TRIGGER eat AFTER INSERT ON `audit_log` BEGIN DELETE FROM users; END;'],
    refused: server(1),
  },
  {
    name: 'a trigger on a user table whose body deletes audit rows',
    chunks: ['CREATE TRIGGER wipe AFTER UPDATE ON users BEGIN DELETE FROM [audit_log]; END;'],
    refused: server(1),
  },
  {
    name: 'a view plus an INSTEAD OF trigger that writes the audit table',
    chunks: [
      'CREATE VIEW v AS SELECT id, name FROM users;',
      "CREATE TRIGGER vt INSTEAD OF INSERT ON v BEGIN INSERT INTO audit_log (tool) VALUES ('forged'); END;",
    ],
    refused: server(2),
  },
  {
    name: 'ALTER TABLE audit_log ADD COLUMN',
    chunks: ['ALTER TABLE audit_log ADD COLUMN evil text;'],
    refused: server(1),
  },
  {
    name: 'renaming the audit table away',
    chunks: ['ALTER TABLE audit_log RENAME TO old_audit;'],
    refused: server(1),
  },
  {
    name: 'renaming a table onto the ledger’s name',
    chunks: ['ALTER TABLE posts RENAME TO __drizzle_migrations;'],
    refused: server(1, '__drizzle_migrations'),
  },
  { name: 'DROP TABLE audit_log', chunks: ['DROP TABLE IF EXISTS audit_log;'], refused: server(1) },
  {
    name: 'a UNIQUE index that would make every later audit row fail',
    chunks: ['CREATE UNIQUE INDEX one_per_tool ON audit_log (tool);'],
    refused: server(1),
  },
  {
    name: 'dropping one of the audit table’s indexes (only SQLite knows whose it is)',
    chunks: ['DROP INDEX audit_log_tool_idx;'],
    refused: server(1),
  },
  { name: 'REINDEX of the audit table', chunks: ['REINDEX audit_log;'], refused: server(1) },
  {
    name: 'emptying the ledger',
    chunks: ['DELETE FROM "__drizzle_migrations";'],
    refused: server(1, '__drizzle_migrations'),
  },
  {
    name: 'rewinding sqlite_sequence for the audit table',
    chunks: ["UPDATE sqlite_sequence SET seq = 0 WHERE name = 'audit_log';"],
    refused: server(1, 'sqlite_sequence'),
  },
  {
    name: 'an innocent UPDATE that fires an out-of-band trigger deleting audit rows',
    setup: 'CREATE TRIGGER oob AFTER UPDATE ON users BEGIN DELETE FROM audit_log WHERE id > 0; END;',
    chunks: ['UPDATE users SET name = upper(name);'],
    refused: server(1),
  },
  {
    name: 'an INSERT into an out-of-band view whose INSTEAD OF trigger writes audit rows',
    setup:
      "CREATE VIEW vv AS SELECT id, name FROM users; CREATE TRIGGER vvt INSTEAD OF INSERT ON vv BEGIN INSERT INTO audit_log (created_at, tool, outcome, duration_ms, prev_hash, hash) VALUES ('x', new.name, 'ok', 1, '', ''); END;",
    chunks: ["INSERT INTO vv (id, name) VALUES (9, 'forged');"],
    refused: server(1),
  },
  {
    name: 'a chain of out-of-band triggers reaching the audit table two hops away',
    setup:
      'CREATE TABLE hop (x); CREATE TRIGGER h1 AFTER INSERT ON posts BEGIN INSERT INTO hop VALUES (1); END; CREATE TRIGGER h2 AFTER INSERT ON hop BEGIN UPDATE audit_log SET hash = NULL; END;',
    chunks: ["INSERT INTO posts (id, user_id, title) VALUES (99, 1, 'hi');"],
    refused: server(1),
  },
  {
    name: 'creating the audit table again',
    chunks: ['CREATE TABLE audit_log (id integer);'],
    refused: server(1),
  },
  {
    name: 'an index squatting on the audit table’s name',
    chunks: ['CREATE INDEX audit_log ON users (name);'],
    refused: server(1),
  },

  // Class 4: a migration cannot change the server's connection.
  {
    name: 'PRAGMA locking_mode = EXCLUSIVE',
    chunks: ['CREATE TABLE e (x);', 'PRAGMA locking_mode = EXCLUSIVE;'],
    refused: refusedBy('pragma', 2),
  },
  {
    name: 'PRAGMA journal_mode = DELETE',
    chunks: ['PRAGMA journal_mode = DELETE;'],
    refused: refusedBy('pragma', 1),
  },
  { name: 'PRAGMA query_only = 1', chunks: ['PRAGMA query_only=1;'], refused: refusedBy('pragma', 1) },
  {
    name: 'PRAGMA writable_schema',
    chunks: ['PRAGMA writable_schema = ON;'],
    refused: refusedBy('pragma', 1),
  },
  {
    name: 'PRAGMA legacy_alter_table',
    chunks: ['PRAGMA legacy_alter_table=ON;'],
    refused: refusedBy('pragma', 1),
  },
  {
    name: 'PRAGMA foreign_keys on its own is neutralised, and the apply’s own handling stands',
    chunks: ['PRAGMA foreign_keys=OFF;', 'CREATE TABLE f (x);', 'PRAGMA foreign_keys=ON;'],
    neutralised: [1, 3],
  },
  {
    name: 'PRAGMA user_version is file data and applies with the batch',
    chunks: ['PRAGMA main.user_version = 7;'],
    neutralised: [],
    after: (db) => expect(db.pragma('user_version', { simple: true })).toBe(7),
  },
  { name: 'PRAGMA integrity_check only reads', chunks: ['PRAGMA integrity_check;'], neutralised: [] },

  // Issue 10 item 4: transaction control.
  {
    name: 'the COMMIT / foreign_keys=OFF / BEGIN idiom around a parent rebuild keeps every child row',
    chunks: [
      '-- leave the migrator transaction\nCOMMIT TRANSACTION;',
      'PRAGMA foreign_keys = OFF;',
      'BEGIN TRANSACTION;',
      "CREATE TABLE `__new_users` (`id` integer PRIMARY KEY NOT NULL, `name` text NOT NULL DEFAULT '');",
      'INSERT INTO `__new_users`("id", "name") SELECT "id", coalesce("name", \'\') FROM `users`;',
      'DROP TABLE `users`;',
      'ALTER TABLE `__new_users` RENAME TO `users`;',
      'COMMIT TRANSACTION;',
      'PRAGMA foreign_keys = ON;',
      'BEGIN TRANSACTION;',
    ],
    neutralised: [1, 2, 3, 8, 9, 10],
    after: (db) => expect(db.prepare('SELECT count(*) FROM posts').pluck().get()).toBe(3),
  },
  {
    name: 'the idiom in one chunk, with END and BEGIN IMMEDIATE and quoted pragma values',
    chunks: [
      "END; PRAGMA foreign_keys='off'; BEGIN IMMEDIATE; CREATE TABLE g (x); END TRANSACTION; PRAGMA foreign_keys = 1; BEGIN;",
    ],
    neutralised: [1, 1, 1, 1, 1, 1],
  },
  {
    name: 'an idiom that never hands the transaction back',
    chunks: ['COMMIT;', 'PRAGMA foreign_keys=OFF;', 'BEGIN;', 'CREATE TABLE h (x);', 'COMMIT;'],
    refused: refusedBy('transaction-control', 1),
  },
  {
    name: 'a script-style BEGIN … COMMIT',
    chunks: ['BEGIN TRANSACTION;', "INSERT INTO users (id, name) VALUES (50, 'x');", 'COMMIT;'],
    refused: refusedBy('transaction-control', 1),
  },
  {
    name: 'SAVEPOINT / RELEASE',
    chunks: ['SAVEPOINT s;', 'CREATE TABLE i (x);', 'RELEASE s;'],
    refused: refusedBy('transaction-control', 1),
  },
  {
    name: 'a ROLLBACK that would undo the earlier migrations of the batch',
    chunks: ['CREATE TABLE j (x);', 'ROLLBACK;'],
    refused: refusedBy('transaction-control', 2),
  },
  {
    // A hand-written rebuild that keeps a child table's rows in a TEMP table across it (seen in a public app).
    name: 'a TEMP table that keeps rows across a table rebuild and is dropped in the same migration',
    chunks: [
      'PRAGMA foreign_keys=OFF;',
      'CREATE TEMPORARY TABLE `_backup_posts` AS SELECT * FROM `posts`;',
      "CREATE TABLE `__new_users` (`id` integer PRIMARY KEY NOT NULL, `name` text NOT NULL DEFAULT '');",
      "INSERT INTO `__new_users` SELECT `id`, coalesce(`name`, '') FROM `users`;",
      'DROP TABLE `users`;',
      'ALTER TABLE `__new_users` RENAME TO `users`;',
      'DELETE FROM `posts`;',
      'INSERT INTO `posts` SELECT * FROM `_backup_posts`;',
      'DROP TABLE `_backup_posts`;',
      'PRAGMA foreign_keys=ON;',
    ],
    neutralised: [1, 10],
    after: (db) => {
      expect(db.prepare('SELECT count(*) FROM posts').pluck().get()).toBe(3);
      expect(db.prepare('SELECT name FROM users ORDER BY id').pluck().all()).toEqual(['ada', '']);
      expect(db.prepare('SELECT name FROM temp.sqlite_schema').all()).toEqual([]);
    },
  },
  {
    name: 'a trigger body with BEGIN … END and CASE … END is not transaction control',
    chunks: [
      "CREATE TRIGGER stamp AFTER INSERT ON posts BEGIN UPDATE posts SET title = CASE WHEN new.title IS NULL THEN 'untitled' ELSE new.title END WHERE id = new.id; END;",
    ],
    neutralised: [],
  },
];

const CHAIN_ROWS = 3;

interface World {
  dir: string;
  dbFile: string;
  outDir: string;
  db: Database.Database;
}

async function world(kase: PolicyCase): Promise<World> {
  const dir = makeTempDir('dsm-policy-');
  const outDir = path.join(dir, 'drizzle');
  writeFixtureFolder(outDir, [{ name: 'init', statements: INIT }]);
  const dbFile = path.join(dir, 'app.db');
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  await applyMigrations(db, readMigrationFolder(outDir));
  db.exec(
    `INSERT INTO users VALUES (1, 'ada'), (2, NULL); INSERT INTO posts VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');`,
  );
  ensureAuditTable(db, 'audit_log');
  const audit = new AuditLog(db, 'audit_log');
  for (let i = 0; i < CHAIN_ROWS; i++)
    audit.append({ createdAt: new Date().toISOString(), tool: `t${i}`, outcome: 'ok', durationMs: 1 });
  if (kase.setup) db.exec(kase.setup);
  appendFixtureMigration(outDir, {
    name: 'case',
    statements: kase.chunks.map((chunk) => chunk.replaceAll('$DIR', dir)),
  });
  return { dir, dbFile, outDir, db };
}

/** Everything a person would call the database's content: its schema and every row of every table. */
function dump(db: Database.Database): string {
  const objects = db
    .prepare(`SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name`)
    .all() as Array<{ type: string; name: string }>;
  const rows = objects
    .filter((o) => o.type === 'table')
    .map((o) => [o.name, db.prepare(`SELECT * FROM "${o.name}" ORDER BY rowid`).all()]);
  return createHash('sha256')
    .update(JSON.stringify({ objects, rows, userVersion: db.pragma('user_version', { simple: true }) }))
    .digest('hex');
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a refusal').toBeInstanceOf(AppError);
  return error as AppError;
}

function expectRefusal(error: AppError, expected: Refused): void {
  expect(error.code, error.message).toBe(expected.code);
  expect(error.message).toContain('0001_case');
  expect(error.message).toContain(`drizzle${path.sep}0001_case.sql`);
  expect(error.details).toMatchObject({
    tag: '0001_case',
    rule: expected.rule,
    statementIndex: expected.statement,
    ...(expected.table ? { table: expected.table } : {}),
  });
}

describe('the migration statement policy, against hostile migrations', () => {
  const tables = serverTables({ auditTable: 'audit_log' });
  for (const kase of CASES) {
    it(kase.refused ? `refuses ${kase.name}` : `runs ${kase.name}`, async () => {
      const w = await world(kase);
      try {
        const filesBefore = fs.readdirSync(w.dir).sort();
        const before = dump(w.db);
        const folder = readMigrationFolder(w.outDir);

        if (kase.refused) {
          expectRefusal(await refusal(dryRunMigrations(w.db, folder, { tables })), kase.refused);
          expectRefusal(await refusal(applyMigrations(w.db, folder, { tables })), kase.refused);
          expect(dump(w.db)).toBe(before);
        } else {
          const report = await dryRunMigrations(w.db, folder, { tables });
          expect(report.ok, JSON.stringify(report.migrations)).toBe(true);
          expect(report.migrations[0]!.neutralised.map((n) => n.statement)).toEqual(kase.neutralised);
          expect(dump(w.db)).toBe(before); // the dry run touched a copy only
          const result = await applyMigrations(w.db, folder, { tables });
          expect(result.applied.map((m) => m.tag)).toEqual(['0001_case']);
          expect(result.applied[0]!.neutralised.map((n) => n.statement)).toEqual(kase.neutralised);
          kase.after?.(w.db);
        }

        // Nothing was created beside the database (ATTACH / VACUUM INTO targets); WAL files may come and go.
        const filesAfter = fs.readdirSync(w.dir).filter((f) => !/-(wal|shm|journal)$/.test(f));
        expect(filesAfter.sort()).toEqual(filesBefore.filter((f) => !/-(wal|shm|journal)$/.test(f)));
        // The chain is intact, the connection is as the apply found it, and another process can still write.
        expect(new AuditLog(w.db, 'audit_log').verify()).toMatchObject({ ok: true, checkedRows: CHAIN_ROWS });
        expect(w.db.pragma('foreign_keys', { simple: true })).toBe(1);
        expect(w.db.pragma('query_only', { simple: true })).toBe(0);
        expect(w.db.pragma('locking_mode', { simple: true })).toBe('normal');
        expect(w.db.pragma('journal_mode', { simple: true })).toBe('wal');
        const other = new Database(w.dbFile, { timeout: 1000 });
        try {
          other.exec('CREATE TABLE IF NOT EXISTS other_writer (x); INSERT INTO other_writer VALUES (1);');
        } finally {
          other.close();
        }
      } finally {
        w.db.close();
        fs.rmSync(w.dir, { recursive: true, force: true });
      }
    });
  }

  it('applies a batch that neutralises an idiom as one transaction: a failure after it leaves nothing', async () => {
    const w = await world({
      name: 'idiom then failure',
      chunks: [
        'COMMIT;',
        'PRAGMA foreign_keys=OFF;',
        'BEGIN;',
        'CREATE TABLE k (x);',
        'COMMIT;',
        'PRAGMA foreign_keys=ON;',
        'BEGIN;',
        'INSERT INTO missing_table VALUES (1);',
      ],
    });
    try {
      const before = dump(w.db);
      const error = await refusal(applyMigrations(w.db, readMigrationFolder(w.outDir), { tables }));
      expect(error.code).toBe('MIGRATION_FAILED');
      expect(error.message).toContain('failed at statement 8 of 8');
      expect(dump(w.db)).toBe(before);
    } finally {
      w.db.close();
      fs.rmSync(w.dir, { recursive: true, force: true });
    }
  });

  it('rolls back a migration that leaves a TEMP table behind although its text drops one by that name', async () => {
    // The DROP names the main table, so the TEMP one survives: only the check after the migration can see it.
    const w = await world({
      name: 'temp left',
      chunks: ['CREATE TABLE t2 (x);', 'CREATE TEMP TABLE t2 (x);', 'DROP TABLE main.t2;'],
    });
    try {
      const before = dump(w.db);
      const folder = readMigrationFolder(w.outDir);
      for (const run of [dryRunMigrations, applyMigrations]) {
        const error = await refusal(run(w.db, folder, { tables }));
        expect(error.code, error.message).toBe('MIGRATION_REFUSED');
        expect(error.message).toContain('left TEMP objects');
        expect(error.details).toMatchObject({ tag: '0001_case', left: ['table t2'] });
      }
      expect(dump(w.db)).toBe(before);
      expect(w.db.prepare('SELECT name FROM temp.sqlite_schema').all()).toEqual([]);
    } finally {
      w.db.close();
      fs.rmSync(w.dir, { recursive: true, force: true });
    }
  });

  it('lets the embedded default create the audit table and its indexes while it does not exist yet', async () => {
    const dir = makeTempDir('dsm-policy-');
    try {
      const outDir = path.join(dir, 'drizzle');
      writeFixtureFolder(outDir, [
        {
          name: 'init',
          statements: [
            'CREATE TABLE `audit_log` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `tool` text);',
            'CREATE INDEX `audit_log_tool_idx` ON `audit_log` (`tool`);',
          ],
        },
      ]);
      const db = new Database(path.join(dir, 'app.db'));
      const result = await applyMigrations(db, readMigrationFolder(outDir), { tables });
      expect(result.applied).toHaveLength(1);
      db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
