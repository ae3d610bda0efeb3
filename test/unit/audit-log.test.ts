import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, auditTableDdl, buildAuditDetails, ensureAuditTable } from '../../src/audit/audit-log.js';
import type { AuditEntry } from '../../src/audit/entry.js';

let dir: string;
let db: Database.Database;

const entry = (tool: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  createdAt: new Date().toISOString(),
  tool,
  outcome: 'ok',
  durationMs: 3,
  client: 'test/1.0',
  details: buildAuditDetails({ n: tool }),
  ...extra,
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-audit-'));
  db = new Database(path.join(dir, 'a.db'));
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function seeded(count: number): AuditLog {
  ensureAuditTable(db, 'audit_log');
  const log = new AuditLog(db, 'audit_log');
  for (let i = 0; i < count; i++) log.append(entry(`tool_${i}`));
  return log;
}

describe('audit log', () => {
  it('creates the table with the same DDL drizzle-kit generates for the declared audit_log', () => {
    const generated = fs.readFileSync(new URL('../../drizzle/0000_init.sql', import.meta.url), 'utf8');
    for (const statement of auditTableDdl('audit_log')) expect(generated).toContain(statement);
  });

  it('refuses a table of the same name with another shape, naming the option to use instead', () => {
    db.exec('CREATE TABLE audit_log (id text primary key, user_id text, action text)');
    expect(() => ensureAuditTable(db, 'audit_log')).toThrow(
      expect.objectContaining({ code: 'CONFIG_ERROR', hint: expect.stringMatching(/--audit-table/) }),
    );
  });

  it('chains rows and verifies an untouched chain', () => {
    const log = seeded(5);
    expect(log.verify()).toEqual({ ok: true, checkedRows: 5 });
    const rows = log.read({ limit: 10 }).rows;
    expect(rows.map((r) => r.id)).toEqual([5, 4, 3, 2, 1]);
    expect(rows[4]!.prevHash).toBe('');
    expect(rows[3]!.prevHash).toBe(rows[4]!.hash);
  });

  it('catches an out-of-band UPDATE of a row', () => {
    const log = seeded(5);
    db.prepare('UPDATE audit_log SET outcome = ? WHERE id = 3').run('error');
    expect(log.verify()).toMatchObject({
      ok: false,
      firstBroken: { id: 3, reason: expect.stringMatching(/edited/) },
    });
  });

  it('catches an out-of-band DELETE in the middle and at the end of the chain', () => {
    const log = seeded(5);
    db.prepare('DELETE FROM audit_log WHERE id = 2').run();
    expect(log.verify()).toMatchObject({ ok: false, firstBroken: { id: 3 } });
    const tail = seeded(0);
    db.prepare('DELETE FROM audit_log').run();
    const fresh = new AuditLog(db, 'audit_log');
    expect(fresh.verify().ok).toBe(false);
    void tail;
  });

  it('catches a DELETE of the newest row through the AUTOINCREMENT high-water mark', () => {
    const log = seeded(4);
    db.prepare('DELETE FROM audit_log WHERE id = 4').run();
    expect(log.verify()).toMatchObject({
      ok: false,
      firstBroken: { id: 4, reason: expect.stringMatching(/deleted/) },
    });
  });

  it('catches an out-of-band INSERT, even one that copies a plausible prev_hash', () => {
    const log = seeded(3);
    const last = log.read({ limit: 1 }).rows[0]!;
    db.prepare(
      `INSERT INTO audit_log (created_at, tool, outcome, duration_ms, prev_hash, hash) VALUES (?, 'forged', 'ok', 1, ?, ?)`,
    ).run(new Date().toISOString(), last.hash, 'f'.repeat(64));
    expect(log.verify()).toMatchObject({ ok: false, firstBroken: { id: 4 } });
  });

  it('filters and pages newest first', () => {
    const log = seeded(0);
    for (let i = 0; i < 7; i++)
      log.append(entry(i % 2 ? 'run_query' : 'inspect_schema', i === 6 ? { outcome: 'refused' } : {}));
    const first = log.read({ tool: 'inspect_schema', limit: 2 });
    expect(first.rows.map((r) => r.id)).toEqual([7, 5]);
    const second = log.read({ tool: 'inspect_schema', limit: 2, beforeId: first.nextBeforeId! });
    expect(second.rows.map((r) => r.id)).toEqual([3, 1]);
    expect(second.nextBeforeId).toBeUndefined();
    expect(log.read({ outcome: 'refused', limit: 5 }).rows.map((r) => r.id)).toEqual([7]);
  });

  it('rolls the audit row back with the caller transaction', () => {
    const log = seeded(1);
    expect(() =>
      db.transaction(() => {
        log.append(entry('execute_sql'));
        throw new Error('change failed');
      })(),
    ).toThrow('change failed');
    expect(log.count()).toBe(1);
    expect(log.verify().ok).toBe(true);
  });

  it('fails closed with AUDIT_WRITE_FAILED when the row cannot be written', () => {
    const log = seeded(1);
    const readonly = new Database(path.join(dir, 'a.db'), { readonly: true });
    const roLog = new AuditLog(readonly, 'audit_log');
    expect(() => roLog.append(entry('x'))).toThrow(expect.objectContaining({ code: 'AUDIT_WRITE_FAILED' }));
    readonly.close();
    expect(log.count()).toBe(1);
  });
});

describe('audit details', () => {
  it('redacts values under secret-looking keys at any depth', () => {
    const details = JSON.parse(
      buildAuditDetails({
        sql: 'select 1',
        params: { password: 'hunter2', nested: { apiKey: 'k', API_TOKEN: 't' } },
      })!,
    );
    expect(details).toEqual({
      sql: 'select 1',
      params: { password: '[redacted]', nested: { apiKey: '[redacted]', API_TOKEN: '[redacted]' } },
    });
  });

  it('shortens long values and keeps the sha256 of the full arguments, never of a secret', () => {
    const long = 'x'.repeat(5000);
    const details = JSON.parse(buildAuditDetails({ sql: long, token: 'secret-value' })!);
    expect(details.value.sql).toMatch(/…\[\+3976 chars\]$/);
    expect(details.sha256).toMatch(/^[0-9a-f]{64}$/);
    const withOtherSecret = JSON.parse(buildAuditDetails({ sql: long, token: 'another' })!);
    expect(withOtherSecret.sha256).toBe(details.sha256);
  });

  it('bounds the whole details text', () => {
    const many = Array.from({ length: 200 }, (_, i) => 'v'.repeat(900) + i);
    const text = buildAuditDetails({ rows: many })!;
    expect(text.length).toBeLessThan(9 * 1024);
    expect(JSON.parse(text)).toHaveProperty('truncated');
  });
});
