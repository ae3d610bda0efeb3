import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import {
  chooseAuditTable,
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
    expect(tables.hidden(['users', DEFAULT_AUDIT_TABLE])).toEqual([DEFAULT_LEDGER_TABLE]);
    expect(serverTables({ declared: [DEFAULT_AUDIT_TABLE] }).hidden()).toEqual([DEFAULT_LEDGER_TABLE]);
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

  it('leaves the audit table unset in the launch options unless --audit-table names one', () => {
    const input = { env: {}, cwd: '/', defaultProjectDir: '/p' };
    expect(loadConfig({ ...input, argv: [] }).config.auditTable).toBeUndefined();
    expect(loadConfig({ ...input, argv: ['--audit-table', 'x'] }).config.auditTable).toBe('x');
  });
});

const ours = (name: string) => ({ name, auditShape: true });
const theirs = (name: string) => ({ name, auditShape: false });

describe('chooseAuditTable: our audit table never takes a name the project declares', () => {
  const cases: Array<{
    name: string;
    input: Parameters<typeof chooseAuditTable>[0];
    table: string;
    reason: string;
    moveFrom?: string;
    clash?: RegExp;
  }> = [
    {
      name: 'a new database of a project without audit tables',
      input: { declared: [theirs('users')], existing: [] },
      table: 'mcp_audit_log',
      reason: 'default',
    },
    {
      name: 'a new database of a project with its own audit_log',
      input: { declared: [theirs('audit_log')], existing: [] },
      table: 'mcp_audit_log',
      reason: 'default',
      clash: /declares its own table "audit_log"/,
    },
    {
      name: 'a project that declares our audit table itself (the embedded default), its migration creating it first',
      input: { declared: [ours('audit_log')], existing: [], declaredCreatedFirst: true },
      table: 'audit_log',
      reason: 'declared',
    },
    {
      name: 'the same, when no migration creates it first (--no-migrate-on-start): never create the declared table',
      input: { declared: [ours('audit_log')], existing: [] },
      table: 'mcp_audit_log',
      reason: 'default',
      clash: /declares its own table "audit_log"/,
    },
    {
      name: 'both ours: the default name is the one in use',
      input: { declared: [ours('audit_log')], existing: [ours('audit_log'), ours('mcp_audit_log')] },
      table: 'mcp_audit_log',
      reason: 'existing',
    },
    {
      name: 'our audit_log of an earlier version, name unclaimed',
      input: { declared: [theirs('users')], existing: [ours('audit_log'), theirs('users')] },
      table: 'audit_log',
      reason: 'existing',
    },
    {
      name: 'our audit_log of an earlier version, name now claimed by a migration',
      input: { declared: [theirs('audit_log')], existing: [ours('audit_log')] },
      table: 'mcp_audit_log',
      reason: 'existing',
      moveFrom: 'audit_log',
      clash: /moved its log/,
    },
    {
      name: 'our table under the new name already',
      input: { declared: [theirs('audit_log')], existing: [ours('mcp_audit_log'), theirs('audit_log')] },
      table: 'mcp_audit_log',
      reason: 'existing',
    },
    {
      name: 'an app table of another shape under audit_log, undeclared',
      input: { declared: [], existing: [theirs('audit_log')] },
      table: 'mcp_audit_log',
      reason: 'default',
    },
    {
      name: 'the project declares even the default name',
      input: { declared: [theirs('mcp_audit_log')], existing: [theirs('mcp_audit_log_2')] },
      table: 'mcp_audit_log_3',
      reason: 'default',
      clash: /"mcp_audit_log".*"mcp_audit_log_3"/,
    },
    {
      name: 'names compare as SQLite compares them',
      input: { declared: [theirs('AUDIT_LOG')], existing: [ours('Audit_Log')] },
      table: 'mcp_audit_log',
      reason: 'existing',
      moveFrom: 'Audit_Log',
      clash: /moved its log/,
    },
    {
      name: '--audit-table wins',
      input: { requested: 'x_audit', declared: [theirs('audit_log')], existing: [] },
      table: 'x_audit',
      reason: 'requested',
    },
    {
      name: '--audit-table naming a table declared with our shape',
      input: { requested: 'audit_log', declared: [ours('audit_log')], existing: [] },
      table: 'audit_log',
      reason: 'requested',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const choice = chooseAuditTable(c.input);
      expect(choice).toMatchObject({ table: c.table, reason: c.reason });
      expect(choice.moveFrom).toBe(c.moveFrom);
      if (c.clash) expect(choice.clash).toMatch(c.clash);
      else expect(choice.clash).toBeUndefined();
    });
  }

  it('refuses --audit-table naming a table the project declares for its own data', () => {
    expect(() =>
      chooseAuditTable({ requested: 'audit_log', declared: [theirs('audit_log')], existing: [] }),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG_ERROR',
        message: expect.stringMatching(/--audit-table audit_log/),
      }),
    );
  });
});
