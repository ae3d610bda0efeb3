import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import {
  DEFAULT_AUDIT_TABLE,
  DEFAULT_LEDGER_TABLE,
  isProtectedTable,
  namesTable,
  serverTables,
} from '../../src/guard/server-tables.js';

describe('serverTables', () => {
  it('protects the ledger and the audit table when the audit log lives in the project database', () => {
    const tables = serverTables({ ledgerTable: 'my_ledger', auditTable: 'my_audit', auditInProjectDb: true });
    expect(tables.protected).toEqual(['my_ledger', 'my_audit']);
    expect(tables.isProtected('my_audit')).toBe(true);
    expect(tables.isProtected('MY_LEDGER')).toBe(true);
    expect(tables.isAuditTable('My_Audit')).toBe(true);
  });

  it('with --audit-db, protects only the ledger: a project table named like our audit table is the project’s', () => {
    const tables = serverTables({ auditInProjectDb: false });
    expect(tables.protected).toEqual([DEFAULT_LEDGER_TABLE]);
    expect(tables.isProtected(DEFAULT_AUDIT_TABLE)).toBe(false);
    expect(tables.isAuditTable(DEFAULT_AUDIT_TABLE)).toBe(false);
    expect(tables.hidden()).toEqual([DEFAULT_LEDGER_TABLE]);
  });

  it('hides our audit table unless the project declares a table of that name', () => {
    const tables = serverTables();
    expect(tables.hidden()).toEqual([DEFAULT_LEDGER_TABLE, DEFAULT_AUDIT_TABLE]);
    expect(tables.hidden(['users', 'audit_log'])).toEqual([DEFAULT_LEDGER_TABLE]);
    expect(serverTables({ declared: ['audit_log'] }).hidden()).toEqual([DEFAULT_LEDGER_TABLE]);
    // The ledger is hidden even when a snapshot names it.
    expect(tables.hidden([DEFAULT_LEDGER_TABLE])).toContain(DEFAULT_LEDGER_TABLE);
  });

  it('always protects SQLite’s own tables, and folds case in ASCII only, as SQLite does', () => {
    const tables = serverTables();
    expect(tables.isProtected('sqlite_sequence')).toBe(true);
    expect(tables.isProtected('SQLITE_stat1')).toBe(true);
    expect(tables.isProtected('audit_logs')).toBe(false);
    expect(isProtectedTable('AUDIT_log', ['audit_log'])).toBe(true);
    expect(namesTable(['ledger'], 'LEDGER')).toBe(true);
    // SQLite folds only A-Z: "Ä" and "ä" name two different tables to it, so they do to us.
    expect(namesTable(['bäume'], 'BÄUME')).toBe(false);
    expect(namesTable(['bäume'], 'BäUME')).toBe(true);
  });

  it('is frozen: no caller can add or remove a table', () => {
    const tables = serverTables();
    expect(Object.isFrozen(tables)).toBe(true);
    expect(Object.isFrozen(tables.protected)).toBe(true);
  });

  it('has the same audit table default as the launch options', () => {
    const { config } = loadConfig({ argv: [], env: {}, cwd: '/', defaultProjectDir: '/p' });
    expect(config.auditTable).toBe(DEFAULT_AUDIT_TABLE);
  });
});
