// run_query and execute_sql through a real MCP client, on a copy of the embedded default project: happy paths,
// the fault list (locks, constraints, syntax, tricks, cancellation, runaways, concurrency), caps and exactness.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { copyEmbeddedProject, removeDir, tempDir } from '../helpers/project.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RUNAWAY = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';

function auditRows(file: string, tool: string, limit = 1): Json[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare(
        'SELECT outcome, error_code, rows_affected, target_type, target_id, details FROM audit_log WHERE tool = ? ORDER BY id DESC LIMIT ?',
      )
      .all(tool, limit) as Json[];
  } finally {
    db.close();
  }
}

async function waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i += 1) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The data folder's state: file names, and the bytes of the database and its WAL (the -shm index changes on reads). */
function folderState(dir: string): { listing: string[]; hashes: Record<string, string> } {
  const listing = fs.readdirSync(dir).sort();
  const hashes: Record<string, string> = {};
  for (const name of listing.filter((n) => !n.endsWith('-shm'))) {
    hashes[name] = createHash('sha256')
      .update(fs.readFileSync(path.join(dir, name)))
      .digest('hex');
  }
  return { listing, hashes };
}

describe('run_query and execute_sql on the embedded default', () => {
  let project: string;
  let dbFile: string;
  let h: Harness;

  beforeAll(async () => {
    project = copyEmbeddedProject();
    dbFile = path.join(project, 'data/app.db');
    h = await startHarness({ argv: ['--project', project] });
    await h.ok('execute_sql', {
      sql: "INSERT INTO users (id, email, username, preferences) VALUES ('u1', 'ada@example.com', 'ada', '{\"theme\":\"dark\"}'), ('u2', 'bob@example.com', 'bob', NULL)",
    });
    await h.ok('execute_sql', {
      sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO check_ins (id, user_id, mood, craving_level, sleep_hours, notes) SELECT 'c' || i, 'u1', i % 10, i % 5, 7.5, 'note ' || i FROM n",
    });
  });
  afterAll(async () => {
    await h.close();
    removeDir(project);
  });

  it('reads with bound parameters into compact columns and rows, fenced as untrusted data', async () => {
    const out = await h.ok<Json>('run_query', {
      sql: 'SELECT id, mood, sleep_hours, notes FROM check_ins WHERE user_id = :user AND mood >= :mood ORDER BY id LIMIT 3',
      params: { user: 'u1', mood: 8 },
    });
    expect(out.columns).toStrictEqual([
      { name: 'id', type: 'TEXT' },
      { name: 'mood', type: 'INTEGER' },
      { name: 'sleep_hours', type: 'REAL' },
      { name: 'notes', type: 'TEXT' },
    ]);
    expect(out.rows).toStrictEqual([
      ['c18', 8, 7.5, 'note 18'],
      ['c19', 9, 7.5, 'note 19'],
      ['c28', 8, 7.5, 'note 28'],
    ]);
    expect(out.truncated).toBeUndefined();
    expect(out.untrusted.notice).toMatch(/never follow/);
    expect(out.untrusted.boundary).toMatch(/^[0-9a-f]{16}$/);
    const again = await h.ok<Json>('run_query', { sql: 'SELECT 1 AS one' });
    expect(again.untrusted.boundary).not.toBe(out.untrusted.boundary);
    expect(again.columns).toStrictEqual([{ name: 'one' }]);
  });

  it('accepts positional parameters and refuses a parameter that is not a value', async () => {
    const out = await h.ok<Json>('run_query', {
      sql: 'SELECT username FROM users WHERE id = ?',
      params: ['u2'],
    });
    expect(out.rows).toStrictEqual([['bob']]);
    const bad = await h.call('run_query', { sql: 'SELECT ?', params: [{ nested: 1 }] });
    expect(bad.isError).toBe(true);
    expect(errorTextOf(bad)).toMatch(/INVALID_ARGUMENT/);
  });

  it('caps rows at maxRows, says it truncated, and tells how to page', async () => {
    const out = await h.ok<Json>('run_query', { sql: 'SELECT id FROM check_ins ORDER BY id', maxRows: 10 });
    expect(out.rows).toHaveLength(10);
    expect(out.truncated).toBe(true);
    expect(out.hint).toMatch(/LIMIT\/OFFSET/);
  });

  it('returns 64-bit integers exactly, as strings beyond 2^53', async () => {
    const out = await h.ok<Json>('run_query', {
      sql: 'SELECT 9223372036854775807 AS max, -9223372036854775808 AS min, 9007199254740993 AS over, 9007199254740991 AS safe',
    });
    expect(out.rows).toStrictEqual([
      ['9223372036854775807', '-9223372036854775808', '9007199254740993', 9007199254740991],
    ]);
  });

  it('annotates run_query as read-only and execute_sql as destructive', async () => {
    const { tools } = await h.client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get('run_query')?.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
    });
    expect(byName.get('execute_sql')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
    });
  });

  it('writes one row and commits its audit row with it (one row, rows_affected, target)', async () => {
    const db = new Database(dbFile, { readonly: true });
    const count = () =>
      db.prepare("SELECT count(*) FROM audit_log WHERE tool = 'execute_sql'").pluck().get() as number;
    const before = count();
    const out = await h.ok<Json>('execute_sql', {
      sql: 'INSERT INTO check_ins (id, user_id, mood, craving_level) VALUES (?, ?, ?, ?) RETURNING id, mood',
      params: ['x1', 'u2', 4, 2],
    });
    expect(out).toMatchObject({
      verb: 'INSERT',
      table: 'check_ins',
      rowsAffected: 1,
      returning: { rows: [['x1', 4]] },
    });
    expect(out.untrusted.boundary).toBeDefined();
    expect(count()).toBe(before + 1);
    db.close();
    expect(auditRows(dbFile, 'execute_sql')[0]).toMatchObject({
      outcome: 'ok',
      rows_affected: 1,
      target_type: 'table',
      target_id: 'check_ins',
    });
  });

  it('dry-runs a write: reports the rows it would change and keeps nothing', async () => {
    const out = await h.ok<Json>('execute_sql', {
      sql: "UPDATE check_ins SET mood = 0 WHERE user_id = 'u1' AND mood > 5",
      dryRun: true,
    });
    expect(out).toMatchObject({ verb: 'UPDATE', rowsAffected: 20, dryRun: true });
    const still = await h.ok<Json>('run_query', {
      sql: "SELECT count(*) FROM check_ins WHERE user_id = 'u1' AND mood > 5",
    });
    expect(still.rows).toStrictEqual([[20]]);
    const [row] = auditRows(dbFile, 'execute_sql');
    expect(row).toMatchObject({ outcome: 'ok', rows_affected: null });
    expect(JSON.parse(row!.details).dryRun).toStrictEqual({ wouldAffect: 20 });
  });

  it('names a violated constraint in words', async () => {
    const duplicate = await h.call('execute_sql', {
      sql: "INSERT INTO users (id, email, username) VALUES ('u9', 'ada@example.com', 'eve')",
    });
    expect(duplicate.isError).toBe(true);
    expect(errorTextOf(duplicate)).toMatch(
      /uniqueness constraint failed: another row already has the same value in users\.email/,
    );
    expect(errorTextOf(duplicate)).toMatch(/CONSTRAINT_VIOLATION/);
    const orphan = await h.call('execute_sql', {
      sql: "INSERT INTO check_ins (id, user_id, mood, craving_level) VALUES ('o1', 'nobody', 1, 1)",
    });
    expect(errorTextOf(orphan)).toMatch(/foreign key constraint failed/);
    expect(auditRows(dbFile, 'execute_sql')[0]).toMatchObject({
      outcome: 'error',
      error_code: 'CONSTRAINT_VIOLATION',
      target_id: 'check_ins',
    });
  });

  it("reports a statement that does not parse with SQLite's own message", async () => {
    const result = await h.call('run_query', { sql: 'SELECT id FROM users WHERE id = = 1' });
    expect(result.isError).toBe(true);
    expect(errorTextOf(result)).toMatch(/SQLite could not parse the statement: near "=": syntax error/);
    expect(errorTextOf(result)).toMatch(/SQL_SYNTAX/);
  });

  it('refuses syntax tricks with the reason, and audits them as refused', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['run_query', 'SELECT 1; DELETE FROM users', /2 statements; exactly one is allowed/],
      [
        'run_query',
        'WITH x AS (SELECT 1) DELETE FROM users',
        /this statement is a DELETE \(wrapped in a WITH clause\)/,
      ],
      ['run_query', "ATTACH DATABASE '/tmp/x.db' AS x", /ATTACH is not allowed/],
      ['run_query', 'PRAGMA query_only = OFF', /PRAGMA statements are not allowed/],
      ['run_query', "VACUUM INTO '/tmp/copy.db'", /VACUUM is not allowed/],
      ['execute_sql', 'DROP TABLE users', /schema changes go through migrations/],
      ['execute_sql', 'BEGIN', /Transaction control \(BEGIN\) is not allowed/],
      ['execute_sql', 'DELETE FROM audit_log', /"audit_log" belongs to the server/],
      [
        'execute_sql',
        'UPDATE __drizzle_migrations SET hash = 1',
        /"__drizzle_migrations" belongs to the server/,
      ],
      [
        'execute_sql',
        "DELETE FROM users\u0000 WHERE id = 'u1'",
        /control character \(U\+0000\)[\s\S]*SQLite would silently ignore everything after a NUL byte/,
      ],
    ];
    for (const [tool, sql, reason] of cases) {
      const result = await h.call(tool, { sql });
      expect(result.isError, sql).toBe(true);
      expect(errorTextOf(result), sql).toMatch(reason);
      expect(errorTextOf(result), sql).toMatch(/QUERY_REFUSED|PROTECTED_TABLE/);
      expect(auditRows(dbFile, tool)[0]?.outcome, sql).toBe('refused');
    }
    const users = await h.ok<Json>('run_query', { sql: 'SELECT count(*) FROM users' });
    expect(users.rows).toStrictEqual([[2]]);
  });

  it('answers 8 concurrent calls, each with its own correct result', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        h.ok<Json>('run_query', {
          sql: "SELECT ? * 2 AS twice, (SELECT count(*) FROM check_ins WHERE user_id = 'u1' AND mood = ?) AS n",
          params: [i, i % 10],
        }),
      ),
    );
    results.forEach((out, i) => expect(out.rows).toStrictEqual([[i * 2, 5]]));
  });

  it('stops a cancelled query and audits the call as CANCELLED', async () => {
    const controller = new AbortController();
    const call = h.client.callTool({ name: 'run_query', arguments: { sql: RUNAWAY } }, undefined, {
      signal: controller.signal,
      timeout: 60_000,
    });
    setTimeout(() => controller.abort('changed my mind'), 300);
    await expect(call).rejects.toThrow();
    const row = await waitFor(() => {
      const [last] = auditRows(dbFile, 'run_query');
      return last?.error_code === 'CANCELLED' ? last : undefined;
    }, 'the CANCELLED audit row');
    expect(row.outcome).toBe('error');
    const after = await h.ok<Json>('run_query', { sql: 'SELECT 42' });
    expect(after.rows).toStrictEqual([[42]]);
  });
});

describe('runaway queries and large tables', () => {
  let project: string;
  let dbFile: string;
  let h: Harness;

  beforeAll(async () => {
    project = copyEmbeddedProject();
    dbFile = path.join(project, 'data/app.db');
    h = await startHarness({ argv: ['--project', project, '--query-timeout-ms', '1500'] });
    // 1M rows written straight into the file: the server only reads them.
    const db = new Database(dbFile);
    db.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, label TEXT NOT NULL)');
    db.exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) INSERT INTO big SELECT i, 'row ' || i FROM n",
    );
    db.close();
  }, 60_000);
  afterAll(async () => {
    await h.close();
    removeDir(project);
  });

  it('stops a runaway query with TIMEOUT while answering another call, and audits it as TIMEOUT', async () => {
    const runaway = h.call('run_query', { sql: RUNAWAY });
    const quick = await h.ok<Json>('run_query', { sql: 'SELECT 7' });
    expect(quick.rows).toStrictEqual([[7]]);
    const result = await runaway;
    expect(result.isError).toBe(true);
    expect(errorTextOf(result)).toMatch(/ran longer than 1500 ms and was stopped/);
    expect(auditRows(dbFile, 'run_query')[0]).toMatchObject({ outcome: 'error', error_code: 'TIMEOUT' });
    const afterwards = await h.ok<Json>('run_query', { sql: 'SELECT 8' });
    expect(afterwards.rows).toStrictEqual([[8]]);
  });

  it('answers SELECT * on a 1M-row table with its first page, marked truncated', async () => {
    const out = await h.ok<Json>('run_query', { sql: 'SELECT * FROM big' });
    expect(out.rows).toHaveLength(h.config.maxRows);
    expect(out.rows[0]).toStrictEqual([1, 'row 1']);
    expect(out.truncated).toBe(true);
    expect(out.hint).toMatch(/Showing the first 100 rows/);
  });

  it('keeps the structured 1000-row answer under 0.6x the bytes of a naive array-of-objects encoding', async () => {
    const out = await h.ok<Json>('run_query', {
      sql: 'SELECT id, label, id * 3 AS tripled FROM big ORDER BY id LIMIT 1000',
      maxRows: 1000,
    });
    expect(out.rows).toHaveLength(1000);
    const naive = JSON.stringify(out.rows.map(([id, label, tripled]: unknown[]) => ({ id, label, tripled })));
    const compact = JSON.stringify(out);
    expect(compact.length / naive.length).toBeLessThan(0.6);
  });
});

describe('faults around the database file', () => {
  it('turns another process holding the write lock into a clear DATABASE_LOCKED after a bounded wait, audited', async () => {
    const project = copyEmbeddedProject();
    const auditDir = tempDir('dsm-audit-');
    const auditFile = path.join(auditDir, 'audit.db');
    const h = await startHarness({
      argv: ['--project', project, '--audit-db', auditFile, '--busy-timeout-ms', '300'],
    });
    const holder = new Database(path.join(project, 'data/app.db'));
    try {
      holder.exec('BEGIN IMMEDIATE');
      const result = await h.call('execute_sql', {
        sql: "INSERT INTO users (id, email, username) VALUES ('l1', 'l@example.com', 'lock')",
      });
      expect(result.isError).toBe(true);
      expect(errorTextOf(result)).toMatch(/the database is locked by another connection or process/);
      expect(errorTextOf(result)).toMatch(/DATABASE_LOCKED/);
      // Readers are not blocked by a writer (WAL).
      expect((await h.ok<Json>('run_query', { sql: 'SELECT count(*) FROM users' })).rows).toStrictEqual([
        [0],
      ]);
      holder.exec('ROLLBACK');
      expect(auditRows(auditFile, 'execute_sql')[0]).toMatchObject({
        outcome: 'error',
        error_code: 'DATABASE_LOCKED',
      });
      await h.ok('execute_sql', {
        sql: "INSERT INTO users (id, email, username) VALUES ('l1', 'l@example.com', 'lock')",
      });
    } finally {
      holder.close();
      await h.close();
      removeDir(project);
      removeDir(auditDir);
    }
  });

  it('leaves the database file and its folder unchanged after refused calls (audit kept in a separate file)', async () => {
    const project = copyEmbeddedProject();
    const auditDir = tempDir('dsm-audit-');
    const dataDir = path.join(project, 'data');
    const h = await startHarness({
      argv: ['--project', project, '--audit-db', path.join(auditDir, 'audit.db')],
    });
    try {
      await h.ok('execute_sql', {
        sql: "INSERT INTO users (id, email, username) VALUES ('u1', 'a@example.com', 'ada')",
      });
      await h.ok('run_query', { sql: 'SELECT 1' });
      const refused: Array<[string, Json]> = [
        ['run_query', { sql: `ATTACH DATABASE '${path.join(dataDir, 'evil.db')}' AS evil` }],
        ['run_query', { sql: `VACUUM INTO '${path.join(dataDir, 'copy.db')}'` }],
        ['run_query', { sql: 'PRAGMA journal_mode = DELETE' }],
        ['run_query', { sql: 'WITH x AS (SELECT 1) DELETE FROM users' }],
        ['execute_sql', { sql: 'CREATE TABLE t (x)' }],
        ['execute_sql', { sql: 'DELETE FROM users' }],
        // With --audit-db the project's own audit_log is the project's (test/integration/server-tables.test.ts);
        // the ledger stays protected wherever the audit log lives.
        ['execute_sql', { sql: "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('x', 0)" }],
        ['write_rows', { table: 'users', action: 'delete', where: {} }],
        ['write_rows', { table: 'auditLog', action: 'delete', where: {} }],
        [
          'write_rows',
          {
            table: 'users',
            action: 'insert',
            rows: [{ id: 'u2', email: 'b@example.com', username: 'bob', role: 'owner' }],
          },
        ],
      ];
      for (const [tool, args] of refused) {
        const before = folderState(dataDir);
        const result = await h.call(tool, args);
        expect(result.isError, JSON.stringify(args)).toBe(true);
        expect(folderState(dataDir), JSON.stringify(args)).toStrictEqual(before);
      }
    } finally {
      await h.close();
      removeDir(project);
      removeDir(auditDir);
    }
  });
});
