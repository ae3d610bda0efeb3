// The audited write without MCP and without a child process: the write runs through the query host's own
// executor (QueryExecutor.handle, exactly what the host runs per message) in this process, on a real file.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runAuditedWrite, type WriteServices } from '../../src/app/audited-write.js';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import { serverTables } from '../../src/guard/server-tables.js';
import { QueryExecutor } from '../../src/query/executor.js';
import type { WriteRequest } from '../../src/query/protocol.js';
import { recordingContext } from '../helpers/call-context.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';
import { fromWireError } from '../../src/core/errors.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function world(config: Partial<WriteServices['config']> = {}) {
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
  const services: WriteServices = {
    config: { writeBudget: 3, allowLargeWrites: false, ...config },
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
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const changed = () => db.prepare('SELECT count(*) FROM items WHERE n = 1').pluck().get();
  const auditRows = () => new AuditLog(db, 'audit_log').read({ limit: 10 }).rows;
  return { services, sent, changed, auditRows };
}

const statement = (sql: string) => ({ sql, dryRun: false });
const prompt = (sql: string) => ({ tool: 'execute_sql', sql });

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
    expect(auditRows().map((row) => [row.tool, row.rowsAffected])).toEqual([['unit', 2]]);
  });

  it('over the budget and without a way to ask, rolls back and refuses: nothing changed, nothing committed', async () => {
    const { services, changed, auditRows } = world();
    const call = recordingContext(services);
    const sql = 'UPDATE items SET n = 1 WHERE id <= 5';
    await expect(runAuditedWrite(call.context, statement(sql), prompt(sql))).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
    });
    expect(changed()).toBe(0);
    expect(auditRows()).toEqual([]);
    expect(call.committed).toBe(false);
    expect(call.details).toMatchObject({
      consent: { by: 'none (the client cannot ask the human)', wouldAffect: 5 },
    });
  });

  it('with the human’s tick, runs again with a budget of exactly the rows they were shown', async () => {
    const { services, sent, changed } = world();
    const call = recordingContext(services, {
      elicit: () => ({ action: 'accept', content: { approve: true } }),
    });
    const sql = 'UPDATE items SET n = 1 WHERE id <= 5';
    const { result, consent } = await runAuditedWrite(call.context, statement(sql), prompt(sql));
    expect(consent).toBe('elicitation');
    expect(result.rowsAffected).toBe(5);
    expect(changed()).toBe(5);
    expect(sent.map((request) => [request.budget, request.allowOverBudget])).toEqual([
      [3, false],
      [5, false],
    ]);
    expect(call.asked[0]?.message).toMatch(/change 5 rows/);
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
    expect(auditRows()).toEqual([]);
    expect(call.committed).toBe(false);
  });
});
