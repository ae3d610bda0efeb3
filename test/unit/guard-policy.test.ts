import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import {
  checkWriteTarget,
  classifyRead,
  classifyWrite,
  type SchemaObject,
} from '../../src/guard/sql-policy.js';
import { isProtectedTable } from '../../src/guard/server-tables.js';
import { GUARD_CASES } from './guard-cases.js';

const POLICY = { protectedTables: ['audit_log', '__drizzle_migrations', 'ledger'] };

function classify(mode: 'read' | 'write', sql: string): string {
  return mode === 'read' ? classifyRead(sql, POLICY).verb : classifyWrite(sql, POLICY).verb;
}

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a refusal, but the guard allowed it');
}

describe('guard case table', () => {
  it('has at least 60 cases with unique names', () => {
    expect(GUARD_CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(GUARD_CASES.map((c) => c.name)).size).toBe(GUARD_CASES.length);
  });

  for (const testCase of GUARD_CASES) {
    const sql = testCase.sql.replaceAll('{dir}', '/tmp/dsm-guard');
    if (typeof testCase.guard === 'string') {
      const verb = testCase.guard;
      it(`allows ${testCase.name} as ${verb}`, () => {
        expect(classify(testCase.mode, sql)).toBe(verb);
      });
    } else {
      const { refused, match } = testCase.guard;
      it(`refuses ${testCase.name} with ${refused}`, () => {
        const error = refusal(() => classify(testCase.mode, sql));
        expect(error.code).toBe(refused);
        if (match) expect(`${error.message} ${error.hint ?? ''}`).toMatch(match);
        expect(error.hint).toBeTruthy();
      });
    }
  }
});

describe('classifyWrite', () => {
  it('reports the target, WHERE, RETURNING and the prepared text without trailing noise', () => {
    const c = classifyWrite(
      '  /* c */ UPDATE "Users" SET a = (SELECT 1 WHERE 1) RETURNING id; -- end',
      POLICY,
    );
    expect(c).toMatchObject({
      verb: 'UPDATE',
      table: 'Users',
      hasWhere: false,
      returning: true,
      unbounded: true,
    });
    expect(c.sql).toBe('UPDATE "Users" SET a = (SELECT 1 WHERE 1) RETURNING id');
  });

  it('does not count a WHERE inside a subquery as bounding a DELETE', () => {
    const c = classifyWrite('DELETE FROM t RETURNING (SELECT x FROM y WHERE y.id = t.id)', POLICY);
    expect(c.hasWhere).toBe(false);
    expect(c.unbounded).toBe(true);
    expect(c.unboundedReason).toMatch(/without a WHERE/);
  });

  it('treats an upsert fed by a SELECT as unbounded, and one with VALUES as measurable', () => {
    const fromSelect = classifyWrite(
      'INSERT INTO t (a) SELECT a FROM s WHERE true ON CONFLICT (a) DO UPDATE SET a = excluded.a',
      POLICY,
    );
    expect(fromSelect).toMatchObject({ upsert: true, fromSelect: true, unbounded: true });
    const fromValues = classifyWrite(
      'INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = excluded.a',
      POLICY,
    );
    expect(fromValues).toMatchObject({ upsert: true, fromSelect: false, unbounded: false });
  });

  it('treats REPLACE fed by a WITH … SELECT as unbounded', () => {
    expect(classifyWrite('REPLACE INTO t (a) WITH x AS (SELECT 1) SELECT * FROM x', POLICY)).toMatchObject({
      replace: true,
      fromSelect: true,
      unbounded: true,
    });
  });

  it('reads INSERT … AS alias and DEFAULT VALUES', () => {
    expect(classifyWrite('INSERT INTO t AS x DEFAULT VALUES', POLICY)).toMatchObject({
      verb: 'INSERT',
      table: 't',
      fromSelect: false,
      unbounded: false,
    });
  });

  it('finds the main statement after several CTEs', () => {
    const c = classifyWrite(
      'WITH a AS (SELECT 1), b(x) AS NOT MATERIALIZED (SELECT 2) UPDATE t SET v = 1 WHERE id IN (SELECT * FROM a)',
      POLICY,
    );
    expect(c).toMatchObject({ verb: 'UPDATE', table: 't', hasWhere: true, unbounded: false });
  });

  it('refuses a WITH clause it cannot read instead of guessing', () => {
    expect(refusal(() => classifyWrite('WITH x DELETE FROM t', POLICY)).message).toMatch(/WITH clause/);
  });

  it('protects the configured tables case-insensitively, and every sqlite_ table', () => {
    expect(isProtectedTable('AUDIT_log', ['audit_log'])).toBe(true);
    expect(isProtectedTable('sqlite_stat1', [])).toBe(true);
    expect(isProtectedTable('audit_logs', ['audit_log'])).toBe(false);
  });

  it('uses the configured audit table name, not a hard-coded one', () => {
    const policy = { protectedTables: ['my_audit'] };
    expect(refusal(() => classifyWrite('DELETE FROM My_Audit WHERE 1', policy)).code).toBe('PROTECTED_TABLE');
    expect(classifyWrite('DELETE FROM audit_log WHERE 1', policy).table).toBe('audit_log');
  });
});

describe('checkWriteTarget', () => {
  const trigger = (name: string, tableName: string, body: string): SchemaObject => ({
    type: 'trigger',
    name,
    tableName,
    sql: `CREATE TRIGGER ${name} AFTER UPDATE ON ${tableName} BEGIN ${body}; END`,
  });

  it('refuses a write whose trigger mentions a protected table', () => {
    const error = refusal(() =>
      checkWriteTarget(
        classifyWrite('UPDATE t SET a = 1 WHERE id = 1', POLICY),
        [trigger('tr', 't', 'DELETE FROM "Audit_Log"')],
        POLICY,
      ),
    );
    expect(error.code).toBe('PROTECTED_TABLE');
    expect(error.message).toMatch(/trigger "tr"/);
  });

  it('follows triggers through the tables they write', () => {
    const objects = [
      trigger('a', 't', 'INSERT INTO u VALUES (1)'),
      trigger('b', 'u', 'DELETE FROM __drizzle_migrations'),
    ];
    const error = refusal(() =>
      checkWriteTarget(classifyWrite('UPDATE t SET a = 1 WHERE id = 1', POLICY), objects, POLICY),
    );
    expect(error.message).toMatch(/trigger "a" → trigger "b"/);
  });

  it('allows triggers that only touch app tables or call sqlite_ functions', () => {
    const objects = [
      trigger('a', 't', 'INSERT INTO u VALUES (sqlite_version())'),
      trigger('b', 'u', 'UPDATE t SET a = 2 WHERE 0'),
    ];
    expect(() =>
      checkWriteTarget(classifyWrite('UPDATE t SET a = 1 WHERE id = 1', POLICY), objects, POLICY),
    ).not.toThrow();
  });
});
