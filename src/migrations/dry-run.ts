// Rehearses pending migrations on a throw-away copy of the real database and reports what they would do to the
// data. Invariant: the real file is only ever read (serialised, or copied with the online backup API); every
// statement runs against the copy, which is discarded (temp files deleted) whatever happens.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as DatabaseHandle } from 'better-sqlite3';
import { AppError, fromSqliteError, isAppError } from '../core/errors.js';
import { assertFolderReady, type MigrationFolder } from './folder.js';
import {
  foreignKeyViolations,
  neutralisedIn,
  runPlannedMigration,
  tableNames,
  type ForeignKeyViolation,
  type NeutralisedStatement,
} from './apply.js';
import { DEFAULT_LEDGER_TABLE, serverTables, type ServerTables } from '../guard/server-tables.js';
import { planMigrations, type PlannedMigration, type PlannedStatement } from './statement-policy.js';
import type { MigrationEffects } from './effects.js';
import { openLedgerWriter, readLedger } from './ledger.js';
import { computeMigrationStatus, type MigrationStatus } from './status.js';
import { diffCatalogues, readCatalogue, type SchemaChange } from './schema-changes.js';
import { isEmptyChunk } from './sql-text.js';
import { quoteIdentifier } from '../sql/identifiers.js';

/** Above this size the copy goes to a temp file instead of memory (see the module's report for the measurements). */
export const IN_MEMORY_COPY_LIMIT_BYTES = 256 * 1024 * 1024;

export interface DryRunOptions {
  migrationsTable?: string;
  /** The server's tables, which no migration statement may touch (default: the ledger and the default audit table). */
  tables?: ServerTables;
  /** Databases larger than this are copied to a temp file (default 256 MiB). */
  inMemoryLimitBytes?: number;
  /** Where the temp-file copy goes (default: the OS temp folder). */
  tempDir?: string;
  /** Told before each statement runs (the host resets its per-statement time limit on it). */
  onStatement?: (migration: string, statement: PlannedStatement) => void;
}

export interface TableRowCount {
  table: string;
  /** null: the table does not exist at that point (created or dropped by the migration). */
  before: number | null;
  after: number | null;
}

export interface DryRunError {
  code: string;
  message: string;
  statementIndex?: number;
  statement?: string;
}

export interface DryRunMigration {
  tag: string;
  hash: string;
  when: number;
  /** The statements that would run (comment-only chunks left out), trimmed. */
  statements: string[];
  skippedEmptyChunks: number;
  /** Statements recognised as redundant inside our apply and not run (the apply skips them too). */
  neutralised: NeutralisedStatement[];
  ok: boolean;
  error?: DryRunError;
  /** Every table whose existence or row count changed in this migration. */
  rowCountChanges: TableRowCount[];
  /** What it did to the data and the schema (effects.ts); absent when it failed. */
  effects?: MigrationEffects;
}

export interface DryRunReport {
  /** How the copy was made. */
  copy: 'memory' | 'file';
  sizeBytes: number;
  status: MigrationStatus;
  /** Hashes of the pending migrations, in order: pass them to applyMigrations' `expectedHashes`. */
  pendingHashes: string[];
  migrations: DryRunMigration[];
  /** Tags not attempted because an earlier migration failed. */
  notRun: string[];
  /** Per table, before the first and after the last migration that ran. */
  rowCounts: TableRowCount[];
  /** Tables that lost rows or were dropped with rows in them. */
  rowsLost: TableRowCount[];
  /** Tables, columns, indexes, views and triggers the migrations that ran created, dropped or altered. */
  schemaChanges: SchemaChange[];
  foreignKeyViolations: ForeignKeyViolation[];
  /** `PRAGMA integrity_check` lines; ["ok"] when healthy. */
  integrityCheck: string[];
  /** Every migration ran, and both checks passed. */
  ok: boolean;
}

export async function dryRunMigrations(
  source: DatabaseHandle | string,
  folder: MigrationFolder,
  options: DryRunOptions = {},
): Promise<DryRunReport> {
  const migrationsTable = options.migrationsTable ?? DEFAULT_LEDGER_TABLE;
  assertFolderReady(folder, 'apply');
  const opened = typeof source === 'string' ? openSource(source) : undefined;
  const real = typeof source === 'string' ? opened : source;
  let copy: Awaited<ReturnType<typeof makeCopy>> | undefined;
  try {
    const status = computeMigrationStatus(folder, real ? readLedger(real, migrationsTable) : []);
    if (!status.consistent) {
      throw new AppError(
        'MIGRATION_CONFLICT',
        `Refusing to apply; fix these first (nothing was run):\n- ${status.problems.join('\n- ')}`,
        {
          hint: 'Resolve each problem (the migration_status entries say how for each migration), then try again.',
          details: { counts: status.counts },
        },
      );
    }
    const tables = options.tables ?? serverTables({ ledgerTable: migrationsTable });
    // Every statement is judged before anything runs, even on the copy: ATTACH or VACUUM INTO would reach files.
    const plans = planMigrations(status.pending, {
      tables,
      existingTables: real ? tableNames(real) : [],
    });
    copy = await makeCopy(real, options);
    return rehearse(copy.db, copy.kind, copy.sizeBytes, status, plans, {
      migrationsTable,
      folder,
      tables,
      ...(options.onStatement ? { onStatement: options.onStatement } : {}),
    });
  } finally {
    copy?.dispose();
    opened?.close();
  }
}

function rehearse(
  db: DatabaseHandle,
  kind: 'memory' | 'file',
  sizeBytes: number,
  status: MigrationStatus,
  plans: readonly PlannedMigration[],
  {
    migrationsTable,
    folder,
    tables,
    onStatement,
  }: {
    migrationsTable: string;
    folder: MigrationFolder;
    tables: ServerTables;
    onStatement?: (migration: string, statement: PlannedStatement) => void;
  },
): DryRunReport {
  db.pragma('foreign_keys = OFF');
  const ledger = openLedgerWriter(db, migrationsTable, folder);
  const initial = countRows(db, migrationsTable);
  const catalogue = readCatalogue(db, [migrationsTable]);
  let previous = initial;
  const migrations: DryRunMigration[] = [];
  const notRun: string[] = [];
  const createdInBatch = new Set<string>();
  let failed = false;
  for (const [position, migration] of status.pending.entries()) {
    const plan = plans[position]!;
    if (failed) {
      notRun.push(migration.tag);
      continue;
    }
    const report: DryRunMigration = {
      tag: migration.tag,
      hash: migration.hash,
      when: migration.when,
      statements: migration.chunks.filter((chunk) => !isEmptyChunk(chunk)).map((chunk) => chunk.trim()),
      skippedEmptyChunks: plan.emptyChunks,
      neutralised: neutralisedIn(plan),
      ok: true,
      rowCountChanges: [],
    };
    // A savepoint per migration so a failure leaves the copy as it was before it (row counts stay meaningful).
    db.exec('SAVEPOINT dry_run_migration');
    try {
      report.effects = runPlannedMigration(db, plan, tables, {
        createdInBatch,
        onStatement: (statement) => onStatement?.(migration.tag, statement),
      }).effects;
      ledger.record(migration);
      db.exec('RELEASE dry_run_migration');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK TO dry_run_migration; RELEASE dry_run_migration');
      // What SQLite would touch is a refusal of the whole batch, not a failure to report: nothing is applied.
      if (isAppError(error) && (error.code === 'MIGRATION_REFUSED' || error.code === 'PROTECTED_TABLE'))
        throw error;
      const wrapped = isAppError(error) ? error : fromSqliteError(error);
      const details = wrapped.details ?? {};
      report.ok = false;
      report.error = {
        code: wrapped.code,
        message: wrapped.message,
        ...(typeof details.statementIndex === 'number' ? { statementIndex: details.statementIndex } : {}),
        ...(typeof details.statement === 'string' ? { statement: details.statement } : {}),
      };
      failed = true;
    }
    const after = countRows(db, migrationsTable);
    report.rowCountChanges = diffCounts(previous, after).filter((change) => change.before !== change.after);
    previous = after;
    migrations.push(report);
  }
  const rowCounts = diffCounts(initial, previous);
  const violations = foreignKeyViolations(db);
  const integrityCheck = (db.prepare('PRAGMA integrity_check').pluck().all() as string[]).slice(0, 100);
  return {
    copy: kind,
    sizeBytes,
    status,
    pendingHashes: status.pending.map((migration) => migration.hash),
    migrations,
    notRun,
    rowCounts,
    rowsLost: rowCounts.filter(
      (count) =>
        count.before !== null && count.before > 0 && (count.after === null || count.after < count.before),
    ),
    schemaChanges: diffCatalogues(catalogue, readCatalogue(db, [migrationsTable])),
    foreignKeyViolations: violations.slice(0, 100),
    integrityCheck,
    ok: !failed && violations.length === 0 && integrityCheck.length === 1 && integrityCheck[0] === 'ok',
  };
}

function openSource(file: string): DatabaseHandle | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw fromSqliteError(error, `opening ${file} for the dry run`);
  }
}

async function makeCopy(
  real: DatabaseHandle | undefined,
  options: DryRunOptions,
): Promise<{ db: DatabaseHandle; kind: 'memory' | 'file'; sizeBytes: number; dispose: () => void }> {
  if (!real) {
    const db = new Database(':memory:');
    return { db, kind: 'memory', sizeBytes: 0, dispose: () => db.close() };
  }
  const pageCount = Number(real.pragma('page_count', { simple: true }));
  const pageSize = Number(real.pragma('page_size', { simple: true }));
  const sizeBytes = pageCount * pageSize;
  if (sizeBytes <= (options.inMemoryLimitBytes ?? IN_MEMORY_COPY_LIMIT_BYTES)) {
    const image = real.serialize();
    // A WAL database's header (bytes 18-19 = 2) makes the in-memory copy unwritable ("unable to open database
    // file"); the copy needs no WAL, so mark it as a rollback-journal database.
    if (image[18] === 2) image[18] = 1;
    if (image[19] === 2) image[19] = 1;
    const db = new Database(image);
    return { db, kind: 'memory', sizeBytes, dispose: () => db.close() };
  }
  const dir = fs.mkdtempSync(path.join(options.tempDir ?? os.tmpdir(), 'dsm-dry-run-'));
  const dispose = (db?: DatabaseHandle) => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const file = path.join(dir, 'copy.db');
    await real.backup(file);
    const db = new Database(file);
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    return { db, kind: 'file', sizeBytes, dispose: () => dispose(db) };
  } catch (error) {
    dispose();
    throw new AppError(
      'DATABASE_ERROR',
      `Could not copy the database for the dry run into ${dir}: ${(error as Error).message}.`,
      {
        hint: 'The dry run needs free space for a full copy of the database in the temp folder.',
        cause: error,
      },
    );
  }
}

function countRows(db: DatabaseHandle, migrationsTable: string): Map<string, number> {
  const tables = db
    .prepare(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ? ORDER BY name`,
    )
    .pluck()
    .all(migrationsTable) as string[];
  const counts = new Map<string, number>();
  for (const table of tables) {
    counts.set(
      table,
      db
        .prepare(`SELECT count(*) FROM ${quoteIdentifier(table)}`)
        .pluck()
        .get() as number,
    );
  }
  return counts;
}

function diffCounts(before: Map<string, number>, after: Map<string, number>): TableRowCount[] {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  return names.map((table) => ({
    table,
    before: before.get(table) ?? null,
    after: after.get(table) ?? null,
  }));
}
