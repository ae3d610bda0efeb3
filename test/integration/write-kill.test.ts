// kill -9 during an audited write: the process running the write (the query host's executor) is killed at random
// moments; after reopening, the database holds either the whole change with its audit row, or neither — never a
// change without its audit row, never half the rows.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { AppError } from '../../src/core/errors.js';
import { QueryRunner } from '../../src/query/query-runner.js';
import { reopenAfterKill, runAndKill } from '../helpers/kill-harness.js';
import { removeDir, tempDir } from '../helpers/project.js';
import { entryPoint } from '../../src/bin/entry-points.js';

const QUERY_HOST = entryPoint('query-host');

const ROWS = 200_000;
const INIT_SQL = fs.readFileSync(new URL('../../drizzle/0000_init.sql', import.meta.url), 'utf8');
const WRITE = "UPDATE check_ins SET mood = 9, notes = 'rewritten ' || id WHERE user_id = 'u1'";

let dir: string;
let template: string;

beforeAll(() => {
  dir = tempDir('dsm-kill-write-');
  template = path.join(dir, 'template.db');
  const db = new Database(template);
  db.pragma('journal_mode = WAL');
  for (const statement of INIT_SQL.split('--> statement-breakpoint')) db.exec(statement);
  db.exec("INSERT INTO users (id, email, username) VALUES ('u1', 'ada@example.com', 'ada')");
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
    INSERT INTO check_ins (id, user_id, mood, craving_level) SELECT 'c' || i, 'u1', i % 9, i % 5 FROM n`);
  db.close(); // checkpoints: the file alone is the database
}, 60_000);

afterAll(() => removeDir(dir));

type Observed = 'before' | 'after';

/** Whole change with exactly one audit row (and an intact chain), or no change and no audit row. */
function observe(file: string): Observed {
  const { db, integrity } = reopenAfterKill(file);
  try {
    expect(integrity).toEqual(['ok']);
    const changed = db
      .prepare("SELECT count(*) FROM check_ins WHERE mood = 9 AND notes = 'rewritten ' || id")
      .pluck()
      .get() as number;
    const audits = db
      .prepare("SELECT rows_affected FROM audit_log WHERE tool = 'execute_sql'")
      .pluck()
      .all() as number[];
    expect([0, ROWS]).toContain(changed);
    if (changed === 0) {
      expect(audits).toEqual([]);
      return 'before';
    }
    expect(audits).toEqual([ROWS]);
    expect(new AuditLog(db, 'audit_log').verify()).toMatchObject({ ok: true });
    return 'after';
  } finally {
    db.close();
  }
}

function freshCopy(name: string): string {
  const file = path.join(dir, `${name}.db`);
  fs.copyFileSync(template, file);
  return file;
}

describe('kill -9 during an audited write', () => {
  it('leaves the change with its audit row, or neither, wherever the kill lands', async () => {
    const baseline = await runAndKill({
      script: 'test/helpers/kill-write-child.ts',
      args: [freshCopy('baseline'), WRITE],
    });
    expect(baseline.stdout).toMatch(/"ok":true[\s\S]*DONE/);
    expect(observe(path.join(dir, 'baseline.db'))).toBe('after');
    const operationMs = Math.max(baseline.operationMs ?? 0, 50);

    const seen: Record<Observed, number> = { before: 0, after: 0 };
    for (let run = 0; run < 8; run += 1) {
      const file = freshCopy(`run-${run}`);
      // Spread the kills over the whole write, from its first statement to just past its commit.
      const result = await runAndKill({
        script: 'test/helpers/kill-write-child.ts',
        args: [file, WRITE],
        killAfter: { minMs: (operationMs * run) / 8, maxMs: (operationMs * (run + 1)) / 8 },
      });
      const observed = observe(file);
      seen[observed] += 1;
      if (!result.killed) expect(observed).toBe('after');
      fs.rmSync(file, { force: true });
      fs.rmSync(`${file}-wal`, { force: true });
      fs.rmSync(`${file}-shm`, { force: true });
    }
    // The kills landed inside the write at least once (otherwise the test proved nothing).
    expect(seen.before).toBeGreaterThan(0);
  }, 120_000);

  it('answers a write whose query host is killed mid-statement with an error, and keeps the file whole', async () => {
    const file = freshCopy('runner');
    const runner = new QueryRunner({
      entry: QUERY_HOST,
      dbFile: file,
      protectedTables: ['audit_log', '__drizzle_migrations'],
      queryTimeoutMs: 60_000,
      busyTimeoutMs: 1_000,
      poolSize: 1,
    });
    try {
      await runner.ready();
      const [pid] = runner.pids;
      const write = runner.write({
        sql: WRITE,
        budget: 100,
        allowOverBudget: true,
        dryRun: false,
        audit: {
          table: 'audit_log',
          entry: { createdAt: new Date().toISOString(), tool: 'execute_sql' },
          startedAtMs: Date.now(),
        },
      });
      setTimeout(() => process.kill(pid!, 'SIGKILL'), 20);
      const outcome = await write.then(
        (result) => result,
        (error: unknown) => error,
      );
      const observed = observe(file);
      if (outcome instanceof AppError) {
        expect(outcome.code).toBe('INTERNAL');
        expect(outcome.message).toMatch(/exited unexpectedly/);
        expect(observed).toBe('before');
      } else {
        expect(observed).toBe('after');
      }
      // A fresh host takes the next call.
      expect(
        (await runner.read({ sql: 'SELECT count(*) FROM users', maxRows: 1, maxBytes: 1000 })).rows,
      ).toEqual([[1]]);
    } finally {
      await runner.close();
    }
  }, 60_000);
});
