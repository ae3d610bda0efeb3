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
//
// It also decides what our audit table is *called* (chooseAuditTable): never a name the project's migrations or
// snapshots declare for a table of their own, so the server never creates, alters or writes the project's table.
import { AppError } from '../core/errors.js';
import { asciiLower } from '../sql/tokenizer.js';

/** drizzle-orm's default ledger table (drizzle config `migrations.table`). */
export const DEFAULT_LEDGER_TABLE = '__drizzle_migrations';
/**
 * Our audit table's name in a database that does not hold it yet. Not `audit_log`: apps keep tables of that name
 * (the seed guide's pattern), and one declared by a migration written years after our table was created would
 * fail to apply for ever.
 */
export const DEFAULT_AUDIT_TABLE = 'mcp_audit_log';
/** The name earlier versions gave it: a database holding our table under it keeps it there, unless the project claims the name. */
export const LEGACY_AUDIT_TABLE = 'audit_log';

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

/** A table some source knows of, and whether it has our audit table's columns (then it is, or is meant to be, ours). */
export interface TableClaim {
  name: string;
  auditShape: boolean;
}

export interface AuditTableInput {
  /** `--audit-table`, when the human gave it: it wins, unless the project declares that name for a table of its own. */
  requested?: string;
  /**
   * The tables the project's migrations and latest snapshot declare, when the audit log lives in the project
   * database (empty with --audit-db: the project's tables are not in that file).
   */
  declared: readonly TableClaim[];
  /** The tables that exist in the database that holds (or will hold) the audit log. */
  existing: readonly TableClaim[];
  /**
   * Whether the project's own migrations will create a table it declares with our columns before anything is
   * written to the audit log (the start-up migration of a new database). Only then is that name ours to take:
   * creating it first would make the project's migration fail ("table already exists") for ever.
   */
  declaredCreatedFirst?: boolean;
}

export interface AuditTableChoice {
  table: string;
  /**
   * requested: --audit-table; existing: our table is already there; declared: the project declares our table
   * itself (the embedded default does, so its migrations own it) and they create it first; default: a name
   * nothing else claims.
   */
  reason: 'requested' | 'existing' | 'declared' | 'default';
  /**
   * Our table exists under this name, which the project now declares for a table of its own: it must be renamed
   * to `table` before anything else is written (its rows, ids and hash chain move unchanged).
   */
  moveFrom?: string;
  /** Set when the project claims a name we would otherwise use: one sentence saying what the server did about it. */
  clash?: string;
}

/**
 * Which table holds our audit log. Pure; throws CONFIG_ERROR only when --audit-table names a table the project
 * declares for itself (the human's choice wins everything except the project's own data).
 */
export function chooseAuditTable(input: AuditTableInput): AuditTableChoice {
  const find = (claims: readonly TableClaim[], name: string) =>
    claims.find((claim) => asciiLower(claim.name) === asciiLower(name));
  const projectOwns = (name: string) => {
    const claim = find(input.declared, name);
    return claim !== undefined && !claim.auditShape;
  };
  if (input.requested !== undefined) {
    if (projectOwns(input.requested)) {
      throw new AppError(
        'CONFIG_ERROR',
        `--audit-table ${input.requested} names a table the project's migrations declare for its own data; the server would write its audit rows into it.`,
        {
          hint: `Choose another --audit-table name (or leave it out: the server then uses "${DEFAULT_AUDIT_TABLE}"), or keep the audit log in another file with --audit-db.`,
        },
      );
    }
    return { table: input.requested, reason: 'requested' };
  }
  const free = () => {
    for (let n = 1; ; n++) {
      const name = n === 1 ? DEFAULT_AUDIT_TABLE : `${DEFAULT_AUDIT_TABLE}_${n}`;
      if (!find(input.declared, name) && !find(input.existing, name)) return name;
    }
  };
  // Where both exist and are ours (the log moved once, or began before the project's migration created its
  // declared copy), the default name is the one in use.
  for (const name of [DEFAULT_AUDIT_TABLE, LEGACY_AUDIT_TABLE]) {
    const existing = find(input.existing, name);
    if (!existing?.auditShape) continue;
    if (!projectOwns(name)) return { table: existing.name, reason: 'existing' };
    const table = free();
    return {
      table,
      reason: 'existing',
      moveFrom: existing.name,
      clash: `The project's migrations now declare their own table "${name}", where an earlier version of this server kept its audit log: the server moved its log (rows and hash chain unchanged) to "${table}".`,
    };
  }
  const declaredOurs = find(input.declared, LEGACY_AUDIT_TABLE) ?? find(input.declared, DEFAULT_AUDIT_TABLE);
  if (declaredOurs?.auditShape && input.declaredCreatedFirst)
    return { table: declaredOurs.name, reason: 'declared' };
  const table = free();
  const claimed = [LEGACY_AUDIT_TABLE, DEFAULT_AUDIT_TABLE].find((name) => find(input.declared, name));
  if (claimed === undefined) return { table, reason: 'default' };
  return {
    table,
    reason: 'default',
    clash: `The project declares its own table "${claimed}", so the server keeps its audit log in "${table}" and never touches "${claimed}".`,
  };
}
