import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import { readLedger } from '../../src/migrations/ledger.js';
import { ensureDatabaseFile, migrateOnStartup } from '../../src/migrations/startup.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';

const repoDrizzle = path.resolve(import.meta.dirname, '../../drizzle');

describe('startup migration', () => {
  it('creates the database file and its folder, then applies the committed migrations once', async () => {
    const dbFile = path.join(makeTempDir(), 'data', 'nested', 'app.db');
    expect(ensureDatabaseFile(dbFile)).toEqual({ created: true });
    expect(ensureDatabaseFile(dbFile)).toEqual({ created: false });
    const db = new Database(dbFile);
    const committedWith: number[] = [];
    const first = await migrateOnStartup(db, {
      outDir: repoDrizzle,
      beforeCommit: (conn, result) => {
        committedWith.push(result.applied.length);
        expect(conn.inTransaction).toBe(true);
      },
    });
    expect(first.applied.map((m) => m.tag)).toEqual(['0000_init']);
    expect(committedWith).toEqual([1]);
    expect(
      db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'users'`).pluck().get(),
    ).toBe('users');
    const second = await migrateOnStartup(db, { outDir: repoDrizzle });
    expect(second.applied).toEqual([]);
    expect(readLedger(db)).toHaveLength(1);
  });

  it('says what is wrong when the database folder cannot be created', () => {
    const dir = makeTempDir();
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(() => ensureDatabaseFile(path.join(dir, 'file', 'app.db'))).toThrow(
      /Cannot create the database file/,
    );
  });

  it('commits the audit row with the first-start migration that creates the audit table', async () => {
    const dbFile = path.join(makeTempDir(), 'app.db');
    ensureDatabaseFile(dbFile);
    const db = new Database(dbFile);
    await migrateOnStartup(db, {
      outDir: repoDrizzle,
      beforeCommit: (conn, result) => {
        ensureAuditTable(conn, 'audit_log');
        new AuditLog(conn, 'audit_log').append({
          createdAt: new Date().toISOString(),
          tool: 'server_start',
          outcome: 'ok',
          durationMs: 0,
          targetType: 'migration',
          targetId: result.applied.map((m) => m.tag).join(','),
        });
      },
    });
    const audit = new AuditLog(db, 'audit_log');
    expect(audit.read({ limit: 5 }).rows.map((row) => [row.tool, row.targetId])).toEqual([
      ['server_start', '0000_init'],
    ]);
    expect(audit.verify().ok).toBe(true);
  });
});
