// The audited write without MCP and without a child process: the write runs through the query host's own
// executor (QueryExecutor.handle, exactly what the host runs per message) in this process, on a real file.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runAuditedWrite, type WriteServices } from '../../src/app/audited-write.js';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import { serverTables } from '../../src/guard/server-tables.js';
import { SessionWriteBudget } from '../../src/guard/write-budget.js';
import { QueryExecutor } from '../../src/query/executor.js';
import type { WriteRequest } from '../../src/query/protocol.js';
import { recordingContext } from '../helpers/call-context.js';
import { testConsentRoom } from '../helpers/consent-room.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';
import { fromWireError } from '../../src/core/errors.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function world(config: Partial<WriteServices['config']> = {}, sessionBudget = 1000) {
  const dir = makeTempDir('dsm-app-write-');
  const file = path.join(dir, 'app.db');
  const db = new Database(file);
  db.exec('CREATE TABLE items (id integer PRIMARY KEY, n integer);');
  db.exec(
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) INSERT INTO items SELECT x, 0 FROM c;',
  );
  ensureAuditTable(db, 'audit_log');
  const tables = serverTables();
  const executor = new QueryExecutor({
    dbFile: file,
    busyTimeoutMs: 1000,
    protectedTables: [...tables.protected],
  });
  const sent: WriteRequest[] = [];
  const read = new Database(file, { readonly: true });
  const services: WriteServices = {
    read,
    project: { dbFile: file },
    consent: testConsentRoom(),
    config: { writeBudget: 3, allowLargeWrites: false, ...config },
    writes: new SessionWriteBudget(config.writeBudget ?? 3, sessionBudget),
    audit: { table: 'audit_log' },
    tables,
    auditFile: file,
    queries: () => ({
      async write(request) {
        sent.push(request);
        const response = executor.handle({ id: sent.length, kind: 'write', request });
        if (!response.ok) throw fromWireError(response.error);
        return response.result as Awaited<ReturnType<ReturnType<WriteServices['queries']>['write']>>;
      },
    }),
  };
  cleanups.push(() => {
    executor.close();
    read.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const changed = () => db.prepare('SELECT count(*) FROM items WHERE n = 1').pluck().get();
  const auditRows = () => new AuditLog(db, 'audit_log').read({ limit: 10 }).rows;
  return { services, sent, changed, auditRows };
}

const statement = (sql: string) => ({ sql, dryRun: false });
const prompt = (sql: string) => ({ tool: 'execute_sql', sql, args: { sql }, planId: undefined });

describe('runAuditedWrite', () => {
  it('commits a write within the budget together with its ok row', async () => {
    const { services, changed, auditRows } = world();
    const call = recordingContext(services);
    const sql = 'UPDATE items SET n = 1 WHERE id <= 2';
    const { result, consent } = await runAuditedWrite(call.context, statement(sql), prompt(sql));
    expect(result.rowsAffected).toBe(2);
    expect(consent).toBeUndefined();
    expect(changed()).toBe(2);
    expect(call.committed).toBe(true);
    expect(auditRows().map((row) => [row.tool, row.rowsAffected])).toStrictEqual([['unit', 2]]);
  });

  it('over the budget and without a way to ask, rolls back and fails closed: nothing changed, nothing committed', async () => {
    const { services, changed, auditRows } = world();
    const call = recordingContext(services);
    const sql = 'UPDATE items SET n = 1 WHERE id <= 5';
    await expect(runAuditedWrite(call.context, statement(sql), prompt(sql))).rejects.toMatchObject({
      code: 'CONSENT_REQUIRED',
    });
    expect(changed()).toBe(0);
    expect(auditRows()).toStrictEqual([]);
    expect(call.committed).toBe(false);
    expect(call.details).toMatchObject({ consent: { decision: 'unavailable' } });
  });

  it('with the human’s tick, runs again with a budget of exactly the rows they were shown', async () => {
    const { services, sent, changed } = world();
    const call = recordingContext(services, {
      elicit: () => ({ action: 'accept', content: { approve: true } }),
    });
    const sql = 'UPDATE items SET n = 1 WHERE id <= 5';
    const { result, consent } = await runAuditedWrite(call.context, statement(sql), prompt(sql));
    expect(consent).toMatchObject({ decision: 'approved by the person via elicitation' });
    expect(result.rowsAffected).toBe(5);
    expect(changed()).toBe(5);
    expect(sent.map((request) => [request.budget, request.allowOverBudget])).toStrictEqual([
      [3, false],
      [5, false],
    ]);
    expect(call.asked[0]?.message).toMatch(/Change 5 rows of items/);
    expect(call.details).toMatchObject({ consent: { channel: 'elicitation', decision: 'approve' } });
    expect(call.committed).toBe(true);
  });

  it('a declined question changes nothing', async () => {
    const { services, changed } = world();
    const call = recordingContext(services, { elicit: () => ({ action: 'decline' }) });
    const sql = 'UPDATE items SET n = 1 WHERE id <= 5';
    await expect(runAuditedWrite(call.context, statement(sql), prompt(sql))).rejects.toMatchObject({
      code: 'CONSENT_REQUIRED',
    });
    expect(changed()).toBe(0);
    expect(call.committed).toBe(false);
  });

  it('a dry run reports the effect and commits nothing, over the budget included', async () => {
    const { services, changed, auditRows } = world();
    const call = recordingContext(services);
    const sql = 'UPDATE items SET n = 1';
    const { result } = await runAuditedWrite(call.context, { sql, dryRun: true }, prompt(sql));
    expect(result).toMatchObject({ dryRun: true, rowsAffected: 10, overBudget: true });
    expect(changed()).toBe(0);
    expect(auditRows()).toStrictEqual([]);
    expect(call.committed).toBe(false);
  });
});

describe('the session write budget (issue 11 class 12): many small writes add up', () => {
  interface BatchCase {
    name: string;
    /** Session budget (the per-call budget is 3 rows). */
    session: number;
    /** Each write's ids (UPDATE items SET n = 1 WHERE id IN (…)). */
    batches: number[][];
    /** The 1-based write that is refused (undefined: all run). */
    refusedAt?: number;
    changed: number;
  }
  const cases: BatchCase[] = [
    {
      name: 'batches of the per-call budget stop at the session budget',
      session: 5,
      batches: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      refusedAt: 2,
      changed: 3,
    },
    {
      name: 'a batch that would cross the session budget is refused whole',
      session: 5,
      batches: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      refusedAt: 3,
      changed: 4,
    },
    {
      name: 'single-row batches up to exactly the session budget all run',
      session: 4,
      batches: [[1], [2], [3], [4]],
      changed: 4,
    },
    {
      name: 'one row past an exhausted session budget is refused',
      session: 4,
      batches: [[1], [2], [3], [4], [5]],
      refusedAt: 5,
      changed: 4,
    },
    {
      name: 'deleting a table in small batches is stopped',
      session: 6,
      batches: [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]],
      refusedAt: 3,
      changed: 6,
    },
  ];
  for (const kase of cases) {
    it(kase.name, async () => {
      const { services, changed } = world({}, kase.session);
      let refused: unknown;
      for (const [index, ids] of kase.batches.entries()) {
        const call = recordingContext(services);
        const sql = `UPDATE items SET n = 1 WHERE id IN (${ids.join(', ')})`;
        try {
          await runAuditedWrite(call.context, statement(sql), prompt(sql));
        } catch (error) {
          refused = error;
          expect(index + 1).toBe(kase.refusedAt);
          break;
        }
      }
      if (kase.refusedAt === undefined) expect(refused).toBeUndefined();
      else {
        // Over the session's budget is a plan for a person like any over-budget write; no client here can ask,
        // so it fails closed, saying it was the session's budget that ran out.
        expect(refused).toMatchObject({
          code: 'CONSENT_REQUIRED',
          message: expect.stringMatching(
            new RegExp(`this session's writes have already changed \\d+ of the ${kase.session} rows`),
          ),
        });
        expect((refused as { hint: string }).hint).not.toMatch(/batch|split/i);
      }
      expect(changed()).toBe(kase.changed);
    });
  }

  it('an approved write starts the count again', async () => {
    const { services, changed } = world({}, 4);
    const approve = { elicit: () => ({ action: 'accept' as const, content: { approve: true } }) };
    for (const sql of [
      'UPDATE items SET n = 1 WHERE id IN (1, 2, 3)',
      'UPDATE items SET n = 1 WHERE id IN (4, 5)',
    ]) {
      const call = recordingContext(services, approve);
      await runAuditedWrite(call.context, statement(sql), prompt(sql));
    }
    expect(services.writes.usedRows).toBe(0);
    const call = recordingContext(services);
    const sql = 'UPDATE items SET n = 1 WHERE id IN (6, 7, 8)';
    await runAuditedWrite(call.context, statement(sql), prompt(sql));
    expect(changed()).toBe(8);
  });
});

describe('the plan shows the whole effective statement (issue 11 class 9)', () => {
  const elicit = () => ({ action: 'decline' as const });
  const cases: Array<{ name: string; sql: string; params?: unknown[]; shows: RegExp[]; hides?: RegExp[] }> = [
    {
      name: 'a leading comment cannot fill the prompt with something harmless',
      sql: `/* ${'routine cleanup of a few rows, nothing to worry about '.repeat(60)} */ UPDATE items SET n = 1 WHERE id > 0`,
      shows: [/^⚠ UPDATE items SET n = 1 WHERE id > 0$/m],
      hides: [/routine cleanup/],
    },
    {
      name: 'a long literal before the WHERE does not push the WHERE out of sight',
      sql: `UPDATE items SET n = length('${'z'.repeat(3000)}') WHERE id >= 1`,
      shows: [/WHERE id >= 1/, /…\[\+\d+ chars\]/],
    },
    {
      name: 'bound values are shown with the placeholder and column they go to',
      sql: 'UPDATE items SET n = ? WHERE id <= ?',
      params: [1, 10],
      shows: [/\? → n = 1/, /\? → id = 10/],
    },
  ];
  for (const kase of cases) {
    it(kase.name, async () => {
      const { services } = world();
      const call = recordingContext(services, { elicit });
      await expect(
        runAuditedWrite(
          call.context,
          { sql: kase.sql, dryRun: false, ...(kase.params ? { params: kase.params as never } : {}) },
          {
            ...prompt(kase.sql),
            ...(kase.params ? { params: kase.params as never } : {}),
          },
        ),
      ).rejects.toMatchObject({ code: 'CONSENT_REQUIRED' });
      const message = call.asked[0]!.message;
      for (const pattern of kase.shows) expect(message).toMatch(pattern);
      for (const pattern of kase.hides ?? []) expect(message).not.toMatch(pattern);
    });
  }

  it('never puts a statement too long for a dialog to the person in part: no dialog, and without a card or page it fails closed', async () => {
    const { services, changed } = world();
    const call = recordingContext(services, {
      elicit: () => ({ action: 'accept', content: { approve: true } }),
    });
    const ids = Array.from({ length: 2000 }, (_, i) => i + 1).join(', ');
    const sql = `UPDATE items SET n = 1 WHERE id IN (${ids})`;
    await expect(runAuditedWrite(call.context, statement(sql), prompt(sql))).rejects.toMatchObject({
      code: 'CONSENT_REQUIRED',
      message: expect.stringMatching(/none could be asked here/),
    });
    expect(call.asked).toHaveLength(0);
    expect(changed()).toBe(0);
  });
});
