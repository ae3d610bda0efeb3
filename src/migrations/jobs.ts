// The dry run and the apply as jobs a killable process runs (the query host, src/bin/query-host.ts): a migration
// statement can run for ever (an endless CTE) and nothing inside a process can stop SQLite, so the server runs
// them where it can kill them, and keeps answering meanwhile. A killed apply leaves a hot journal (or
// uncommitted WAL frames) that SQLite rolls back on the next open: nothing is half-applied, and the audit row,
// appended inside the same transaction (or, with --audit-db, just before its commit), never outlives it.
// Plain JSON in and out; the statements are read from the folder here, exactly as the dry run saw them.
import Database from 'better-sqlite3';
import type { Database as DatabaseHandle } from 'better-sqlite3';
import { AuditLog } from '../audit/audit-log.js';
import type { AuditEntry } from '../audit/entry.js';
import { AppError, fromSqliteError } from '../core/errors.js';
import { serverTables, type ServerTablesInput } from '../guard/server-tables.js';
import { applyMigrations, type ApplyResult } from './apply.js';
import { dryRunMigrations, type DryRunReport } from './dry-run.js';
import type { MigrationEffects } from './effects.js';
import { readMigrationFolder } from './folder.js';

export interface MigrationJobBase {
  dbFile: string;
  /** The migrations folder: the job reads it itself. */
  outDir: string;
  /** Which tables are the server's (see guard/server-tables.ts). */
  tables: ServerTablesInput & { ledgerTable: string; auditTable: string };
  busyTimeoutMs: number;
}

export type RehearseRequest = MigrationJobBase;

export interface ApplyRequest extends MigrationJobBase {
  /** The pending set the dry run rehearsed (and the human approved): anything else is refused. */
  expectedHashes: string[];
  /** What the dry run measured: the apply rolls back when it does something else. */
  expectedEffects: MigrationEffects[];
  /** The call's ok row, appended inside the apply's transaction (its duration measured up to that moment). */
  audit: {
    entry: Omit<AuditEntry, 'durationMs'>;
    startedAtMs: number;
    /** A separate audit database (--audit-db); the row is committed there just before the data commits. */
    auditDbFile?: string;
  };
}

export interface ApplyJobResult extends Omit<ApplyResult, 'statusBefore'> {
  auditId?: number;
}

/** Where a job is: told before each statement runs. */
export interface JobProgress {
  migration: string;
  statement: number;
  text: string;
}

export interface JobOptions {
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
}

/** Where the server runs migration jobs: the killable query host in production, this process in unit tests. */
export interface MigrationRunner {
  rehearse(request: RehearseRequest, options: JobOptions): Promise<DryRunReport>;
  apply(request: ApplyRequest, options: JobOptions): Promise<ApplyJobResult>;
}

/** The jobs run right here: for tests of the procedures around them, which need no child process. */
export const inProcessMigrations: MigrationRunner = {
  rehearse: (request, options) => rehearseJob(request, (progress) => options.onProgress?.(progress)),
  apply: (request, options) => applyJob(request, (progress) => options.onProgress?.(progress)),
};

export async function rehearseJob(
  request: RehearseRequest,
  onStatement: (progress: JobProgress) => void,
): Promise<DryRunReport> {
  return dryRunMigrations(request.dbFile, readMigrationFolder(request.outDir), {
    migrationsTable: request.tables.ledgerTable,
    tables: serverTables(request.tables),
    onStatement: (migration, statement) =>
      onStatement({ migration, statement: statement.chunk, text: statement.text }),
  });
}

function open(file: string, busyTimeoutMs: number): DatabaseHandle {
  try {
    const db = new Database(file, { fileMustExist: true, timeout: busyTimeoutMs });
    db.pragma('foreign_keys = ON');
    return db;
  } catch (error) {
    throw fromSqliteError(error, `opening ${file}`);
  }
}

export async function applyJob(
  request: ApplyRequest,
  onStatement: (progress: JobProgress) => void,
): Promise<ApplyJobResult> {
  const db = open(request.dbFile, request.busyTimeoutMs);
  const auditDb = request.audit.auditDbFile
    ? open(request.audit.auditDbFile, request.busyTimeoutMs)
    : undefined;
  try {
    let auditId: number | undefined;
    const result = await applyMigrations(db, readMigrationFolder(request.outDir), {
      migrationsTable: request.tables.ledgerTable,
      tables: serverTables(request.tables),
      expectedHashes: request.expectedHashes,
      expectedEffects: request.expectedEffects,
      onStatement: (migration, statement) =>
        onStatement({ migration, statement: statement.chunk, text: statement.text }),
      beforeCommit(tx) {
        const log = new AuditLog(auditDb ?? tx, request.tables.auditTable);
        auditId = log.append({
          ...request.audit.entry,
          durationMs: Date.now() - request.audit.startedAtMs,
        }).id;
      },
    });
    const { statusBefore: _status, ...rest } = result;
    return { ...rest, ...(auditId !== undefined ? { auditId } : {}) };
  } catch (error) {
    throw error instanceof AppError ? error : fromSqliteError(error, 'applying migrations');
  } finally {
    auditDb?.close();
    db.close();
  }
}
