// Every case of the guard table, sent through the real query host against a real database file: the outcome
// is the expected one, and the database file's bytes and its directory's listing are unchanged afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import type { QueryParams } from '../../src/query/protocol.js';
import { QueryRunner } from '../../src/query/query-runner.js';
import { expectedRun, GUARD_CASES, type GuardCase } from '../unit/guard-cases.js';
import { createFixture, PROTECTED_TABLES, snapshot, type Fixture } from './query-fixture.js';
import { entryPoint } from '../../src/bin/entry-points.js';

const QUERY_HOST = entryPoint('query-host');

let fixture: Fixture;
let runner: QueryRunner;

beforeAll(() => {
  fixture = createFixture();
  runner = new QueryRunner({
    entry: QUERY_HOST,
    dbFile: fixture.file,
    protectedTables: PROTECTED_TABLES,
    queryTimeoutMs: 20_000,
    busyTimeoutMs: 1_000,
  });
});

afterAll(async () => {
  await runner.close();
  fixture.cleanup();
});

async function run(testCase: GuardCase): Promise<'ok' | AppError> {
  const sql = testCase.sql.replaceAll('{dir}', fixture.dir);
  const params = testCase.params as QueryParams | undefined;
  try {
    if (testCase.mode === 'read') {
      await runner.read({ sql, ...(params !== undefined ? { params } : {}), maxRows: 10, maxBytes: 10_000 });
    } else {
      await runner.write({
        sql,
        ...(params !== undefined ? { params } : {}),
        budget: 100,
        allowOverBudget: false,
        dryRun: testCase.dryRun ?? true,
        audit: {
          table: 'audit_log',
          entry: { tool: 'execute_sql', createdAt: new Date().toISOString() },
          startedAtMs: Date.now(),
        },
      });
    }
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
}

describe('guard cases through the query host', () => {
  for (const testCase of GUARD_CASES) {
    const expected = expectedRun(testCase);
    it(`${expected === 'ok' ? 'runs' : `answers ${expected} for`} ${testCase.name}, leaving the file and its folder unchanged`, async () => {
      const before = snapshot(fixture);
      const outcome = await run(testCase);
      expect(outcome === 'ok' ? 'ok' : `${outcome.code}: ${outcome.message}`).toMatch(
        new RegExp(`^${expected}`),
      );
      expect(snapshot(fixture)).toEqual(before);
    });
  }
});
