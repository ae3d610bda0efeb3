import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import { AppError } from '../../src/core/errors.js';
import type { WriteRequest } from '../../src/query/protocol.js';
import { QueryRunner, type QueryRunnerOptions } from '../../src/query/query-runner.js';
import { createFixture, isAlive, PROTECTED_TABLES, type Fixture } from './query-fixture.js';
import { entryPoint } from '../../src/bin/entry-points.js';

const QUERY_HOST = entryPoint('query-host');

const RUNAWAY = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';
const PAGE = { maxRows: 100, maxBytes: 64 * 1024 };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(
  options: Partial<QueryRunnerOptions> = {},
  extraSql = '',
): { fixture: Fixture; runner: QueryRunner } {
  const fixture = createFixture(extraSql);
  const runner = new QueryRunner({
    entry: QUERY_HOST,
    dbFile: fixture.file,
    protectedTables: PROTECTED_TABLES,
    queryTimeoutMs: 20_000,
    busyTimeoutMs: 1_000,
    ...options,
  });
  cleanups.push(fixture.cleanup, () => runner.close());
  return { fixture, runner };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the call to fail');
}

function write(sql: string, overrides: Partial<WriteRequest> = {}): WriteRequest {
  return {
    sql,
    budget: 100,
    allowOverBudget: false,
    dryRun: false,
    audit: {
      table: 'audit_log',
      entry: { tool: 'execute_sql', createdAt: new Date().toISOString(), client: 'test/1.0', details: '{}' },
      startedAtMs: Date.now(),
    },
    ...overrides,
  };
}

function count(file: string, sql: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).pluck().get();
  } finally {
    db.close();
  }
}

describe('runaway queries', () => {
  it('stops a runaway query with TIMEOUT while a second call is answered, and kills its process', async () => {
    const { runner } = setup({ queryTimeoutMs: 3_000 });
    await runner.ready();
    const before = runner.pids;
    let runawaySettled = false;
    const runaway = runner.read({ sql: RUNAWAY, ...PAGE }).finally(() => (runawaySettled = true));
    const second = await runner.read({ sql: 'SELECT count(*) FROM users', ...PAGE });
    expect(second.rows).toEqual([[3]]);
    expect(runawaySettled).toBe(false);

    const error = await failure(runaway);
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/3000 ms/);
    const gone = before.filter((pid) => !runner.pids.includes(pid));
    expect(gone).toHaveLength(1);
    expect(isAlive(gone[0] as number)).toBe(false);

    await runner.ready();
    expect(runner.pids).toHaveLength(2);
    expect((await runner.read({ sql: 'SELECT 1', ...PAGE })).rows).toEqual([[1]]);
  });

  it('prepares a statement whose preparation explodes in the host, where the timeout stops it, while this process keeps running', async () => {
    const { runner } = setup({ queryTimeoutMs: 1_500 });
    await runner.ready();
    let cte = 'WITH c0 AS (SELECT 1 AS x)';
    for (let i = 1; i <= 30; i++) cte += `, c${i} AS (SELECT a.x FROM c${i - 1} a, c${i - 1} b)`;
    let settled = false;
    const exploding = failure(runner.read({ sql: `${cte} SELECT x FROM c30 LIMIT 1`, ...PAGE })).finally(
      () => {
        settled = true;
      },
    );
    // The other host answers a read of its own (WITH sends it there too) while the first is still preparing: a
    // prepare in this process would have frozen the event loop until it ended, so this read could only be answered
    // after it. Asserting the answer, not a count of timer ticks, keeps the test true however fast the stop comes.
    const meanwhile = await runner.read({ sql: 'WITH one AS (SELECT 1 AS x) SELECT x FROM one', ...PAGE });
    expect(meanwhile.rows).toEqual([[1]]);
    expect(settled).toBe(false);
    const error = await exploding;
    // Stopped by the time limit or by the memory watchdog, whichever it reaches first: both kill the host.
    expect(['TIMEOUT', 'LIMIT_EXCEEDED']).toContain(error.code);
    expect((await runner.read({ sql: 'SELECT 1', ...PAGE })).rows).toEqual([[1]]);
  });

  it('honours a per-call timeout', async () => {
    const { runner } = setup();
    const error = await failure(runner.read({ sql: RUNAWAY, ...PAGE }, { timeoutMs: 500 }));
    expect(error.code).toBe('TIMEOUT');
  });

  it('cancels a running query through its AbortSignal and kills its process', async () => {
    const { runner } = setup();
    await runner.ready();
    const before = runner.pids;
    const controller = new AbortController();
    const running = runner.read({ sql: RUNAWAY, ...PAGE }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const error = await failure(running);
    expect(error.code).toBe('CANCELLED');
    const gone = before.filter((pid) => !runner.pids.includes(pid));
    expect(gone).toHaveLength(1);
    expect(isAlive(gone[0] as number)).toBe(false);
  });

  it('refuses a call whose signal is already aborted, and drops a queued call when it is aborted', async () => {
    const { runner } = setup({ poolSize: 1 });
    const aborted = new AbortController();
    aborted.abort();
    expect((await failure(runner.read({ sql: 'SELECT 1', ...PAGE }, { signal: aborted.signal }))).code).toBe(
      'CANCELLED',
    );

    const blocker = runner.read({ sql: RUNAWAY, ...PAGE }, { timeoutMs: 1_500 });
    const controller = new AbortController();
    const queued = runner.read({ sql: 'SELECT count(*) FROM users', ...PAGE }, { signal: controller.signal });
    controller.abort();
    expect((await failure(queued)).code).toBe('CANCELLED');
    expect((await failure(blocker)).code).toBe('TIMEOUT');
  });

  it('answers a call whose process dies mid-query with INTERNAL, and starts a fresh process', async () => {
    const { runner } = setup({ poolSize: 1 });
    await runner.ready();
    const [pid] = runner.pids;
    const running = runner.read({ sql: RUNAWAY, ...PAGE });
    setTimeout(() => process.kill(pid as number, 'SIGKILL'), 200);
    const error = await failure(running);
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toMatch(/exited unexpectedly/);
    expect((await runner.read({ sql: 'SELECT 2', ...PAGE })).rows).toEqual([[2]]);
    expect(runner.pids).not.toContain(pid);
  });

  it.runIf(process.platform === 'linux')('stops a memory bomb with LIMIT_EXCEEDED', async () => {
    const { runner } = setup({ memoryLimitBytes: 200 * 1024 * 1024 });
    const bomb = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
      SELECT x FROM c ORDER BY randomblob(100000)`;
    const error = await failure(runner.read({ sql: bomb, ...PAGE }));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.message).toMatch(/memory/);
  });
});

describe('concurrency and start-up', () => {
  it('answers 8 concurrent calls correctly with 2 processes', async () => {
    const { runner } = setup();
    const calls = Array.from({ length: 8 }, (_, i) =>
      runner.read({
        sql: "SELECT ? AS n, count(*) FROM check_ins WHERE mood = ? AND user_id = 'u1'",
        params: [i, i],
        ...PAGE,
      }),
    );
    const results = await Promise.all(calls);
    results.forEach((result, i) => expect(result.rows).toEqual([[i, 15]]));
  });

  it('starts no process until the first call when not warm', async () => {
    const { runner } = setup({ warm: false });
    expect(runner.pids).toEqual([]);
    expect((await runner.read({ sql: 'SELECT count(*) FROM users', ...PAGE })).rows).toEqual([[3]]);
    expect(runner.pids.length).toBeGreaterThan(0);
  });

  it('fails calls with the reason when the database cannot be opened, instead of hanging', async () => {
    const { fixture } = setup();
    const runner = new QueryRunner({
      entry: QUERY_HOST,
      dbFile: path.join(fixture.dir, 'missing.db'),
      protectedTables: [],
      queryTimeoutMs: 5_000,
      busyTimeoutMs: 100,
    });
    cleanups.push(() => runner.close());
    expect((await failure(runner.ready())).code).toBe('DATABASE_ERROR');
    expect((await failure(runner.read({ sql: 'SELECT 1', ...PAGE }))).code).toBe('DATABASE_ERROR');
    expect(fs.existsSync(path.join(fixture.dir, 'missing.db'))).toBe(false);
  });

  it("pipes a child's stdout to onOutput instead of inheriting it", async () => {
    const { fixture } = setup();
    const output: Array<[string, string]> = [];
    const runner = new QueryRunner({
      dbFile: fixture.file,
      protectedTables: [],
      queryTimeoutMs: 5_000,
      busyTimeoutMs: 100,
      poolSize: 1,
      entry: { file: new URL('./fixtures/noisy-host.mjs', import.meta.url).pathname, execArgv: [] },
      onOutput: (text, stream) => output.push([stream, text]),
    });
    cleanups.push(() => runner.close());
    expect((await failure(runner.read({ sql: 'SELECT count(*) FROM users', ...PAGE }))).code).toBe(
      'INTERNAL',
    );
    expect(output).toContainEqual(['stdout', 'noise on stdout\n']);
    expect(output).toContainEqual(['stderr', 'noise on stderr\n']);
  });

  it('turns a write lock held by another process into DATABASE_LOCKED after the busy timeout', async () => {
    const { fixture, runner } = setup({ busyTimeoutMs: 200 });
    const other = new Database(fixture.file);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const error = await failure(runner.write(write("UPDATE users SET username = 'x' WHERE id = 'u2'")));
      expect(error.code).toBe('DATABASE_LOCKED');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });
});

describe('result encoding', () => {
  it('returns the first page of a 1M-row SELECT * and reports the row cap', async () => {
    const { runner } = setup(
      {},
      `CREATE TABLE big (id INTEGER PRIMARY KEY, label TEXT);
       WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) INSERT INTO big SELECT x, 'row ' || x FROM c;`,
    );
    const result = await runner.read({ sql: 'SELECT * FROM big', ...PAGE });
    expect(result.rows).toHaveLength(100);
    expect(result.rows[0]).toEqual([1, 'row 1']);
    expect(result).toMatchObject({
      truncated: true,
      truncatedBy: 'maxRows',
      columns: [
        { name: 'id', type: 'INTEGER' },
        { name: 'label', type: 'TEXT' },
      ],
    });
    // 10^12 rows: only possible to answer if rows are streamed, never materialised.
    const cross = await runner.read({ sql: 'SELECT a.id, b.id FROM big a, big b', ...PAGE });
    expect(cross.rows).toHaveLength(100);
    expect(cross.truncated).toBe(true);
  });

  it('stops at the byte cap and says so', async () => {
    const { runner } = setup();
    const result = await runner.read({
      sql: "SELECT id, printf('%.500c', 'x') FROM check_ins",
      maxRows: 1000,
      maxBytes: 10_000,
    });
    expect(result.truncatedBy).toBe('maxBytes');
    expect(result.rows.length).toBeGreaterThan(0);
    expect(Buffer.byteLength(JSON.stringify(result.rows))).toBeLessThanOrEqual(10_000);
  });

  it('does not report truncation when the result fits exactly', async () => {
    const { runner } = setup();
    const result = await runner.read({ sql: 'SELECT id FROM users', maxRows: 3, maxBytes: 1_000 });
    expect(result.rows).toHaveLength(3);
    expect(result.truncated).toBeUndefined();
    expect(result.truncatedBy).toBeUndefined();
  });

  it('returns 64-bit integers exactly', async () => {
    const { runner } = setup(
      {},
      `CREATE TABLE nums (n INTEGER); INSERT INTO nums VALUES (9007199254740993), (-9223372036854775808);`,
    );
    const literal = await runner.read({
      sql: 'SELECT 9223372036854775807, 9007199254740991, 42, 1.5, 1e999',
      ...PAGE,
    });
    expect(literal.rows).toEqual([['9223372036854775807', 9007199254740991, 42, 1.5, 'Infinity']]);
    const stored = await runner.read({ sql: 'SELECT n FROM nums ORDER BY n', ...PAGE });
    expect(stored.rows).toEqual([['-9223372036854775808'], ['9007199254740993']]);
  });

  it('replaces blobs and long text with markers, and keeps text whole on request', async () => {
    const { runner } = setup();
    const sql = "SELECT randomblob(2048) AS b, printf('%.4120c', 'a') AS t, x'' AS empty";
    const result = await runner.read({ sql, ...PAGE });
    expect(result.rows[0]?.[0]).toBe('<blob 2048 bytes>');
    expect(result.rows[0]?.[1]).toBe(`${'a'.repeat(1000)}…[+3120 chars]`);
    expect(result.rows[0]?.[2]).toBe('<blob 0 bytes>');
    const whole = await runner.read({ sql, ...PAGE, maxCellChars: 0 });
    expect(whole.rows[0]?.[1]).toBe('a'.repeat(4120));
  });
});

describe('bounded, audited writes', () => {
  it('rolls back a one-row DELETE whose cascade exceeds the budget, counting the cascaded rows', async () => {
    const { fixture, runner } = setup();
    const error = await failure(runner.write(write("DELETE FROM users WHERE id = 'u1'")));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.details).toMatchObject({ wouldAffect: 151, budget: 100 });
    expect(error.message).toMatch(/151 rows/);
    expect(error.hint).toMatch(/approve/);
    expect(count(fixture.file, 'SELECT count(*) FROM users')).toBe(3);
    expect(count(fixture.file, 'SELECT count(*) FROM check_ins')).toBe(151);
    expect(count(fixture.file, 'SELECT count(*) FROM audit_log')).toBe(0);
  });

  it('refuses an unbounded DELETE even when few rows would go, and reports why', async () => {
    const { fixture, runner } = setup();
    const error = await failure(runner.write(write('DELETE FROM sessions')));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.details).toMatchObject({ wouldAffect: 0, unbounded: true });
    expect(error.message).toMatch(/without a WHERE/);
    expect(count(fixture.file, 'SELECT count(*) FROM audit_log')).toBe(0);
  });

  it('commits an over-budget write with consent, together with its audit row', async () => {
    const { fixture, runner } = setup();
    const result = await runner.write(write("DELETE FROM users WHERE id = 'u1'", { allowOverBudget: true }));
    expect(result).toMatchObject({
      verb: 'DELETE',
      table: 'users',
      rowsAffected: 151,
      overBudget: true,
      dryRun: false,
    });
    expect(count(fixture.file, 'SELECT count(*) FROM check_ins')).toBe(1);
    const db = new Database(fixture.file, { readonly: true });
    cleanups.push(() => db.close());
    const log = new AuditLog(db, 'audit_log');
    const [row] = log.read({ limit: 10 }).rows;
    expect(row).toMatchObject({
      id: result.auditId,
      tool: 'execute_sql',
      outcome: 'ok',
      rowsAffected: 151,
      targetType: 'table',
      targetId: 'users',
      client: 'test/1.0',
    });
    expect(log.verify()).toMatchObject({ ok: true, checkedRows: 1 });
  });

  it('reports a dry run with its RETURNING rows and changes nothing', async () => {
    const { fixture, runner } = setup();
    const result = await runner.write(
      write("UPDATE users SET username = 'zed' WHERE id = 'u2' RETURNING id, username", { dryRun: true }),
    );
    expect(result).toMatchObject({ dryRun: true, rowsAffected: 1, overBudget: false });
    expect(result.returning?.rows).toEqual([['u2', 'zed']]);
    expect(result.auditId).toBeUndefined();
    expect(count(fixture.file, "SELECT count(*) FROM users WHERE username = 'zed'")).toBe(0);
    expect(count(fixture.file, 'SELECT count(*) FROM audit_log')).toBe(0);
  });

  it('reports an over-budget dry run instead of refusing it', async () => {
    const { runner } = setup();
    const result = await runner.write(write('DELETE FROM check_ins WHERE mood >= 0', { dryRun: true }));
    expect(result).toMatchObject({ dryRun: true, rowsAffected: 151, overBudget: true });
  });

  it('returns the inserted rowid and RETURNING rows of a committed INSERT', async () => {
    const { fixture, runner } = setup();
    const plain = await runner.write(
      write('INSERT INTO notes (body) VALUES (?)', { params: [{ $blob: 'AAECAw==' }] }),
    );
    expect(plain).toMatchObject({ verb: 'INSERT', rowsAffected: 1, lastInsertRowid: 1 });
    const returning = await runner.write(write("INSERT INTO notes (body) VALUES ('x') RETURNING id, body"));
    expect(returning.returning?.rows).toEqual([[2, 'x']]);
    expect(count(fixture.file, 'SELECT count(*) FROM audit_log')).toBe(2);
    expect(count(fixture.file, 'SELECT length(body) FROM notes WHERE id = 1')).toBe(4);
  });

  it('writes no audit row from the query host when a write fails or is refused', async () => {
    const { fixture, runner } = setup();
    const failures = await Promise.all([
      failure(
        runner.write(write("INSERT INTO users (id, email, username) VALUES ('u1', 'dup@example.com', 'd')")),
      ),
      failure(runner.write(write('DELETE FROM audit_log WHERE id = 1'))),
      failure(runner.write(write('UPDATE tracked SET v = 1 WHERE id = 1'))),
      failure(runner.write(write('DELETE FROM check_ins WHERE mood >= 0'))),
    ]);
    expect(failures.map((e) => e.code)).toEqual([
      'CONSTRAINT_VIOLATION',
      'PROTECTED_TABLE',
      'PROTECTED_TABLE',
      'LIMIT_EXCEEDED',
    ]);
    expect(failures[0]?.message).toMatch(/users\.id/);
    expect(count(fixture.file, 'SELECT count(*) FROM audit_log')).toBe(0);
  });

  it('fails closed when the audit table is missing: nothing changes', async () => {
    const { fixture, runner } = setup();
    const error = await failure(
      runner.write(
        write("UPDATE users SET username = 'x' WHERE id = 'u2'", {
          audit: { ...write('').audit, table: 'no_such_audit' },
        }),
      ),
    );
    expect(error.code).toBe('AUDIT_WRITE_FAILED');
    expect(count(fixture.file, "SELECT count(*) FROM users WHERE username = 'x'")).toBe(0);
  });

  it('appends the audit row to a separate audit file when one is configured', async () => {
    const { fixture, runner } = setup();
    const auditFile = path.join(fixture.dir, 'audit.db');
    const auditDb = new Database(auditFile);
    ensureAuditTable(auditDb, 'audit_log');
    auditDb.close();
    const base = write('');
    const result = await runner.write(
      write("UPDATE users SET username = 'x' WHERE id = 'u2'", {
        audit: { ...base.audit, auditDbFile: auditFile },
      }),
    );
    expect(result.rowsAffected).toBe(1);
    expect(count(auditFile, 'SELECT rows_affected FROM audit_log')).toBe(1);
    expect(count(fixture.file, 'SELECT count(*) FROM audit_log')).toBe(0);
    expect(count(fixture.file, "SELECT count(*) FROM users WHERE username = 'x'")).toBe(1);
  });

  it('rolls back a write that times out', async () => {
    const { fixture, runner } = setup();
    const sql = `UPDATE users SET username = (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c) WHERE id = 'u2'`;
    const error = await failure(runner.write(write(sql), { timeoutMs: 500 }));
    expect(error.code).toBe('TIMEOUT');
    expect(error.hint).toMatch(/rolled back/);
    expect(count(fixture.file, "SELECT username FROM users WHERE id = 'u2'")).toBe('bob');
    expect((await runner.write(write("UPDATE users SET username = 'b2' WHERE id = 'u2'"))).rowsAffected).toBe(
      1,
    );
  });
});

describe('reads that provably end at once', () => {
  const VALUES_SQL = `CREATE TABLE vals (id INTEGER PRIMARY KEY, big INTEGER, long TEXT, b BLOB);
    INSERT INTO vals VALUES (1, 9007199254740993, '${'x'.repeat(5000)}', x'00ff');`;

  it('run in this process, starting no child, while a scan starts one', async () => {
    const { runner } = setup({ warm: false });
    const lookup = await runner.read({
      sql: 'SELECT username FROM users WHERE id = ?',
      params: ['u2'],
      ...PAGE,
    });
    expect(lookup.rows).toEqual([['bob']]);
    expect(runner.pids).toEqual([]);
    const scan = await runner.read({ sql: 'SELECT count(*) FROM check_ins', ...PAGE });
    expect(scan.rows).toEqual([[151]]);
    expect(runner.pids.length).toBeGreaterThan(0);
  });

  it('answer exactly as a child would: values, caps, guard refusals and SQL errors', async () => {
    const { fixture, runner } = setup({ warm: false }, VALUES_SQL);
    const viaHost = new QueryRunner({
      entry: QUERY_HOST,
      dbFile: fixture.file,
      protectedTables: PROTECTED_TABLES,
      queryTimeoutMs: 20_000,
      busyTimeoutMs: 1_000,
      inProcessReads: false,
    });
    cleanups.push(() => viaHost.close());
    const requests = [
      { sql: 'SELECT * FROM vals WHERE id = 1', ...PAGE },
      { sql: 'SELECT big, long FROM vals WHERE id = ?', params: [1], ...PAGE, maxCellChars: 100 },
      { sql: "SELECT * FROM users WHERE email = 'u1@example.com'", ...PAGE, maxBytes: 10 },
      { sql: 'SELECT 1 AS one, NULL AS nada, 2.5 AS half', ...PAGE },
    ];
    for (const request of requests) {
      expect(await runner.read(request)).toEqual(await viaHost.read(request));
    }
    expect(runner.pids).toEqual([]);
    for (const sql of ['DELETE FROM users WHERE id = 1', 'SELECT nope FROM vals WHERE id = 1']) {
      const direct = await failure(runner.read({ sql, ...PAGE }));
      const hosted = await failure(viaHost.read({ sql, ...PAGE }));
      expect({ code: direct.code, message: direct.message }).toEqual({
        code: hosted.code,
        message: hosted.message,
      });
    }
  });

  it('never wait for a lock in this process: a locked database sends the read to a child, and it succeeds once released', async () => {
    // A busy timeout beyond the test's own: a read that waited for the lock in this thread would block the timer
    // that releases it, and the test would time out.
    const { fixture, runner } = setup({ busyTimeoutMs: 120_000 });
    await runner.ready();
    const locker = new Database(fixture.file);
    cleanups.push(() => locker.close());
    locker.exec('BEGIN EXCLUSIVE');
    // Released by a timer of this same thread: a read that waited for the lock here would never see it released.
    setTimeout(() => locker.exec('COMMIT'), 300);
    const result = await runner.read({
      sql: 'SELECT username FROM users WHERE id = ?',
      params: ['u1'],
      ...PAGE,
    });
    expect(result.rows).toEqual([['ada']]);
  });
});
