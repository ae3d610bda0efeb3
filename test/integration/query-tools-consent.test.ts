// Bounded writes: over the budget (or unbounded) a write is rolled back and goes through only with consent to
// its plan — the --allow-large-writes launch option, or a person through elicitation (accept / decline) —
// recorded in the audit row with the plan and the channel. And --read-only turns every write tool away.
import path from 'node:path';
import Database from 'better-sqlite3';
import { ElicitRequestSchema, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness, type HarnessOptions } from '../helpers/mcp.js';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BIG_UPDATE = "UPDATE check_ins SET mood = 1 WHERE user_id = 'u1'";
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A project whose u1 has 150 check-ins (over the default budget of 100) and u2 has 3; seeded straight into the file. */
async function setup(
  options: HarnessOptions = {},
): Promise<{ h: Harness; dbFile: string; query: (sql: string) => Json[] }> {
  const project = copyEmbeddedProject();
  const dbFile = path.join(project, 'data/app.db');
  const h = await startHarness({ ...options, argv: ['--project', project, ...(options.argv ?? [])] });
  cleanups.push(
    () => removeDir(project),
    () => h.close(),
  );
  const db = new Database(dbFile);
  db.exec(`
    INSERT INTO users (id, email, username) VALUES ('u1', 'ada@example.com', 'ada'), ('u2', 'bob@example.com', 'bob');
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150)
      INSERT INTO check_ins (id, user_id, mood, craving_level) SELECT 'c' || i, 'u1', 5, 2 FROM n;
    INSERT INTO check_ins (id, user_id, mood, craving_level) VALUES ('b1', 'u2', 5, 2), ('b2', 'u2', 5, 2), ('b3', 'u2', 5, 2);
  `);
  db.close();
  const query = (sql: string) => {
    const reader = new Database(dbFile, { readonly: true });
    try {
      return reader.prepare(sql).all() as Json[];
    } finally {
      reader.close();
    }
  };
  return { h, dbFile, query };
}

const lastAudit = (query: (sql: string) => Json[], tool: string) =>
  query(
    `SELECT outcome, error_code, rows_affected, details FROM audit_log WHERE tool = '${tool}' ORDER BY id DESC LIMIT 1`,
  )[0] as Json;
const moodOnes = (query: (sql: string) => Json[]) =>
  query('SELECT count(*) AS n FROM check_ins WHERE mood = 1')[0]!.n as number;

function elicitingClient(answer: (request: ElicitRequest) => Json, seen: ElicitRequest[]): HarnessOptions {
  return {
    capabilities: { elicitation: { form: {} } },
    setupClient: (client) =>
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        seen.push(request);
        return answer(request) as never;
      }),
  };
}

describe('bounded writes without a way to ask the human', () => {
  it('rolls back an over-budget write, fails closed naming the plan, the row count and what the person can do, and audits it as refused', async () => {
    const { h, query } = await setup();
    const result = await h.call('execute_sql', { sql: BIG_UPDATE });
    expect(result.isError).toBe(true);
    const text = errorTextOf(result);
    expect(text).toMatch(/Change 150 rows of check_ins needs a person's approval \(plan plan_[\w-]{12}/);
    expect(text).toMatch(/would change 150 rows/);
    expect(text).toMatch(/--allow-large-writes/);
    expect(text).not.toMatch(/batch/);
    expect(text).toMatch(/CONSENT_REQUIRED/);
    expect(moodOnes(query)).toBe(0);
    const audit = lastAudit(query, 'execute_sql');
    expect(audit).toMatchObject({ outcome: 'refused', error_code: 'CONSENT_REQUIRED' });
    expect(JSON.parse(audit.details).consent).toStrictEqual({
      planId: expect.stringMatching(/^plan_/),
      planHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      decision: 'unavailable',
    });
  });

  it('treats an UPDATE or DELETE without WHERE as unbounded, even when few rows would change', async () => {
    const { h, query } = await setup();
    const result = await h.call('execute_sql', { sql: 'DELETE FROM sessions' });
    expect(errorTextOf(result)).toMatch(/DELETE without a WHERE clause touches every row of "sessions"/);
    const cascade = await h.call('write_rows', { table: 'users', action: 'delete', where: { id: 'u1' } });
    expect(errorTextOf(cascade)).toMatch(/would change 151 rows \(cascades and triggers included\)/);
    expect(query('SELECT count(*) AS n FROM users')[0]!.n).toBe(2);
  });

  it('reports an over-budget dry run without refusing it', async () => {
    const { h, query } = await setup();
    const out = await h.ok<Json>('execute_sql', { sql: BIG_UPDATE, dryRun: true });
    expect(out).toMatchObject({ rowsAffected: 150, dryRun: true, overBudget: true });
    expect(moodOnes(query)).toBe(0);
  });
});

describe('bounded writes with elicitation', () => {
  it('asks the human with the SQL and the row count, and runs the write once they approve', async () => {
    const seen: ElicitRequest[] = [];
    const { h, query } = await setup(
      elicitingClient(() => ({ action: 'accept', content: { approve: true } }), seen),
    );
    const before = query("SELECT count(*) AS n FROM audit_log WHERE tool = 'execute_sql'")[0]!.n as number;
    const out = await h.ok<Json>('execute_sql', { sql: BIG_UPDATE });
    expect(out).toMatchObject({
      verb: 'UPDATE',
      rowsAffected: 150,
      consent: {
        decision: 'approved by the person via elicitation',
        planId: expect.stringMatching(/^plan_/),
      },
    });
    expect(seen).toHaveLength(1);
    const message = (seen[0]!.params as Json).message as string;
    expect(message).toMatch(/The assistant wants to: Change 150 rows of check_ins/);
    expect(message).toMatch(/would change 150 rows/);
    expect(message).toContain(BIG_UPDATE);
    expect(message).toMatch(new RegExp(`Plan ${out.consent.planId} · hash [0-9a-f]{12}`));
    expect(moodOnes(query)).toBe(150);
    expect(query("SELECT count(*) AS n FROM audit_log WHERE tool = 'execute_sql'")[0]!.n).toBe(before + 1);
    const audit = lastAudit(query, 'execute_sql');
    expect(audit).toMatchObject({ outcome: 'ok', rows_affected: 150 });
    expect(JSON.parse(audit.details).consent).toMatchObject({
      planId: out.consent.planId,
      planHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      channel: 'elicitation',
      decision: 'approve',
      releases: { elicitation: 1 },
    });
  });

  it('shows some of the rows a typed write would touch', async () => {
    const seen: ElicitRequest[] = [];
    const { h } = await setup(
      elicitingClient(() => ({ action: 'accept', content: { approve: true } }), seen),
    );
    const out = await h.ok<Json>('write_rows', {
      table: 'checkIns',
      action: 'update',
      values: { mood: 2 },
      where: { userId: 'u1' },
    });
    expect(out).toMatchObject({
      rowsAffected: 150,
      consent: { decision: 'approved by the person via elicitation' },
    });
    expect(out.rows).toHaveLength(100);
    expect(out.truncated).toBe(true);
    const message = (seen[0]!.params as Json).message as string;
    expect(message).toMatch(
      /Some of the 150 rows of check_ins it would write:\n\{"id":"c1","userId":"u1","mood":2/,
    );
  });

  it('changes nothing when the human declines, and records the decision', async () => {
    const { h, query } = await setup(elicitingClient(() => ({ action: 'decline' }), []));
    const result = await h.call('execute_sql', { sql: BIG_UPDATE });
    expect(result.isError).toBe(true);
    expect(errorTextOf(result)).toMatch(/The person declined \(plan plan_[\w-]{12}\): nothing was written/);
    expect(errorTextOf(result)).toMatch(/CONSENT_REQUIRED/);
    expect(moodOnes(query)).toBe(0);
    const audit = lastAudit(query, 'execute_sql');
    expect(audit).toMatchObject({ outcome: 'refused', error_code: 'CONSENT_REQUIRED' });
    expect(JSON.parse(audit.details).consent).toStrictEqual({
      planId: expect.stringMatching(/^plan_/),
      planHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      channel: 'elicitation',
      decision: 'decline',
      answer: 'decline',
    });
  });

  it('does not take an accepted form without the approval ticked as consent', async () => {
    const { h, query } = await setup(
      elicitingClient(() => ({ action: 'accept', content: { approve: false } }), []),
    );
    const result = await h.call('execute_sql', { sql: BIG_UPDATE });
    expect(errorTextOf(result)).toMatch(/The person did not tick the approval/);
    expect(moodOnes(query)).toBe(0);
  });

  it('never asks for writes within the budget', async () => {
    const seen: ElicitRequest[] = [];
    const { h, query } = await setup(elicitingClient(() => ({ action: 'decline' }), seen));
    await h.ok('execute_sql', { sql: "UPDATE check_ins SET mood = 1 WHERE user_id = 'u2'" });
    expect(seen).toHaveLength(0);
    expect(moodOnes(query)).toBe(3);
  });
});

describe('launch options', () => {
  it('runs an over-budget write with --allow-large-writes and records that consent', async () => {
    const { h, query } = await setup({ argv: ['--allow-large-writes'] });
    const out = await h.ok<Json>('execute_sql', { sql: BIG_UPDATE });
    expect(out).toMatchObject({
      rowsAffected: 150,
      consent: { decision: 'operator at launch (--allow-large-writes)' },
    });
    expect(moodOnes(query)).toBe(150);
    expect(JSON.parse(lastAudit(query, 'execute_sql').details).consent).toMatchObject({
      channel: 'launch_option',
      decision: 'approve',
      by: 'operator at launch (--allow-large-writes)',
    });
  });

  it('refuses every write tool with --read-only, and says so in their annotations', async () => {
    const project = copyEmbeddedProject();
    cleanups.push(() => removeDir(project));
    const first = await startHarness({ argv: ['--project', project] });
    await first.ok('execute_sql', {
      sql: "INSERT INTO users (id, email, username) VALUES ('u1', 'ada@example.com', 'ada')",
    });
    await first.close();
    const h = await startHarness({ argv: ['--project', project, '--read-only'] });
    cleanups.push(() => h.close());
    for (const [tool, args] of [
      ['execute_sql', { sql: "DELETE FROM users WHERE id = 'u1'" }],
      ['write_rows', { table: 'users', action: 'delete', where: { id: 'u1' } }],
    ] as const) {
      const result = await h.call(tool, args);
      expect(result.isError, tool).toBe(true);
      expect(errorTextOf(result), tool).toMatch(
        /disabled: the server was started with --read-only[\s\S]*READ_ONLY_MODE/,
      );
    }
    expect((await h.ok<Json>('run_query', { sql: 'SELECT id FROM users' })).rows).toStrictEqual([['u1']]);
    expect(
      (await h.ok<Json>('select_rows', { table: 'users', columns: ['id', 'isActive'] })).rows,
    ).toStrictEqual([['u1', true]]);
    const { tools } = await h.client.listTools();
    for (const name of ['execute_sql', 'write_rows']) {
      const tool = tools.find((t) => t.name === name)!;
      expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      expect(tool.description).toMatch(/^\[Disabled/);
    }
  });
});
