// The only place that decides which tables of the project database are the server's own. Every guard (raw SQL,
// typed writes, the query host's EXPLAIN backstop), the migration linter, the drift comparison and every
// inspection asks this module; none keeps a list of its own. Computed once when services open, from the launch
// options and the project's config, and never changed for the life of the server.
//
// Invariant: a table is *protected* (no tool, write or migration may touch it) exactly when it is the migrations
// ledger, our audit table living in the project database, or SQLite's own (`sqlite_*`). A table is *hidden*
// (left out of what a model is shown) when it is the ledger, or our audit table unless the project itself
// declares a table of that name. A project table that merely shares a name with our audit table while the audit
// log lives elsewhere (--audit-db) is the project's, like any other. Names compare as SQLite compares them:
// case-insensitively in ASCII only. Pure: no I/O.
import { asciiLower } from '../sql/tokenizer.js';

/** drizzle-orm's default ledger table (drizzle config `migrations.table`). */
export const DEFAULT_LEDGER_TABLE = '__drizzle_migrations';
/** Our audit table's name unless the human chose another (`--audit-table`; config.ts has the same default). */
export const DEFAULT_AUDIT_TABLE = 'audit_log';

export interface ServerTablesInput {
  /** The migrations ledger (drizzle config `migrations.table`). Default `__drizzle_migrations`. */
  ledgerTable?: string;
  /** Our audit table's name, wherever it lives. Default `audit_log`. */
  auditTable?: string;
  /** False when the audit log is kept in a separate file (--audit-db). Default true. */
  auditInProjectDb?: boolean;
  /**
   * The tables the project itself declares (schema, snapshots), when the caller knows them at start: the
   * default for `hidden()`.
   */
  declared?: readonly string[];
}

export interface ServerTables {
  readonly ledgerTable: string;
  readonly auditTable: string;
  readonly auditInProjectDb: boolean;
  /** The tables of the project database no tool, write or migration may touch (besides `sqlite_*`). */
  readonly protected: readonly string[];
  /** True for a protected table (and for SQLite's own `sqlite_*`). */
  isProtected(name: string): boolean;
  /** True when `name` is our audit table in the project database. */
  isAuditTable(name: string): boolean;
  /**
   * The tables to leave out of inspection and drift: the ledger, and our audit table in the project database
   * unless `declared` (the project's own tables, as the caller knows them) names it.
   */
  hidden(declared?: Iterable<string>): string[];
}

/** Whether `tables` names `name`, compared as SQLite compares names (ASCII case-insensitively). */
export function namesTable(tables: readonly string[], name: string): boolean {
  const lower = asciiLower(name);
  return tables.some((table) => asciiLower(table) === lower);
}

/** The name test every guard shares: SQLite's internal tables, or one of `protectedTables`. */
export function isProtectedTable(name: string, protectedTables: readonly string[]): boolean {
  return asciiLower(name).startsWith('sqlite_') || namesTable(protectedTables, name);
}

export function serverTables(input: ServerTablesInput = {}): ServerTables {
  const ledgerTable = input.ledgerTable ?? DEFAULT_LEDGER_TABLE;
  const auditTable = input.auditTable ?? DEFAULT_AUDIT_TABLE;
  const auditInProjectDb = input.auditInProjectDb ?? true;
  const protectedTables = Object.freeze(auditInProjectDb ? [ledgerTable, auditTable] : [ledgerTable]);
  const isAuditTable = (name: string) => auditInProjectDb && namesTable([auditTable], name);
  return Object.freeze({
    ledgerTable,
    auditTable,
    auditInProjectDb,
    protected: protectedTables,
    isProtected: (name: string) => isProtectedTable(name, protectedTables),
    isAuditTable,
    hidden(declared: Iterable<string> = input.declared ?? []) {
      const declaresAudit = [...declared].some(isAuditTable);
      return auditInProjectDb && !declaresAudit ? [ledgerTable, auditTable] : [ledgerTable];
    },
  });
}
