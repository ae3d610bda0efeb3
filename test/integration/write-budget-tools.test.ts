// The session write budget through a real client (issue 11 class 12): deleting a table in batches the size of the
// per-call budget is stopped once the session's budget is spent, the refusal does not advise smaller batches, a
// person can approve the plan, and the server answers and audits throughout.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';
import { answeringElicitation, withDb, type Json } from './migration-tools-support.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function start(argv: string[] = [], approve?: boolean): Promise<{ h: Harness; dbFile: string }> {
  const project = copyEmbeddedProject();
  const elicitation =
    approve === undefined
      ? undefined
      : answeringElicitation(() => ({ action: 'accept', content: { approve } }));
  const h = await startHarness({
    argv: ['--project', project, '--write-budget', '10', '--session-write-budget', '25', ...argv],
    ...(elicitation ? { capabilities: elicitation.capabilities, setupClient: elicitation.setupClient } : {}),
  });
  cleanup.push(
    () => removeDir(project),
    () => h.close(),
  );
  const dbFile = path.join(project, 'data/app.db');
  withDb(dbFile, (db) =>
    db.exec(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60) INSERT INTO users (id, email, username) SELECT 'u' || x, 'u' || x || '@example.com', 'n' || x FROM c",
    ),
  );
  return { h, dbFile };
}

const users = (dbFile: string) =>
  withDb(dbFile, (db) => db.prepare('SELECT count(*) FROM users').pluck().get() as number);
const batch = (from: number) =>
  `DELETE FROM users WHERE id IN (${Array.from({ length: 10 }, (_, i) => `'u${from + i}'`).join(', ')})`;

describe('deleting a table in batches of the per-call budget', () => {
  it('is stopped when the session budget is spent, without advice to split further', async () => {
    const { h, dbFile } = await start();
    await h.ok('execute_sql', { sql: batch(1) });
    await h.ok('execute_sql', { sql: batch(11) });
    const third = await h.call('execute_sql', { sql: batch(21) });
    expect(third.isError).toBe(true);
    const text = errorTextOf(third);
    // Over the session's budget is a plan for a person; this client can ask no one, so it fails closed.
    expect(text).toMatch(/already changed 20 of the 25 rows/);
    expect(text).not.toMatch(/batch|split/i);
    expect(users(dbFile)).toBe(40);
    const audit = await h.ok<Json>('read_audit_log', { tool: 'execute_sql', verify: true, limit: 3 });
    expect(audit.rows.map((r: Json) => [r.outcome, r.errorCode ?? null])).toEqual([
      ['refused', 'CONSENT_REQUIRED'],
      ['ok', null],
      ['ok', null],
    ]);
    expect(audit.chain.ok).toBe(true);
    // Reads are not writes: the server keeps answering them.
    expect((await h.ok<Json>('run_query', { sql: 'SELECT count(*) AS n FROM users' })).rows).toEqual([[40]]);
  });

  it('goes on once the human approves, and the approval starts the count again', async () => {
    const { h, dbFile } = await start([], true);
    await h.ok('execute_sql', { sql: batch(1) });
    await h.ok('execute_sql', { sql: batch(11) });
    const approved = await h.ok<Json>('execute_sql', { sql: batch(21) });
    expect(approved.consent).toMatchObject({ decision: 'approved by the person via elicitation' });
    await h.ok('execute_sql', { sql: batch(31) });
    expect(users(dbFile)).toBe(20);
  });

  it('is left to the launch option when the human gave it', async () => {
    const { h, dbFile } = await start(['--allow-large-writes']);
    for (const from of [1, 11, 21, 31]) await h.ok('execute_sql', { sql: batch(from) });
    expect(users(dbFile)).toBe(20);
  });
});
