// Applies pending migrations: the only code that changes a database's schema. Invariants:
// - all or nothing: one IMMEDIATE transaction for the batch, ledger rows (byte-compatible with the drizzle-orm line of
//   the folder's layout, see ledger.ts) inside it;
// - foreign keys are switched off *before* BEGIN (inside a transaction SQLite ignores the pragma, which is how the
//   stock migrator's table rebuilds cascade-delete child rows) and checked with `foreign_key_check` before COMMIT;
// - it refuses to run on a folder/ledger that is not consistent (modified, skipped, missing, broken journal);
// - nothing commits after the caller cancelled, and the caller's `beforeCommit` (the audit row) commits with it.
//
// Connection contract: the returned promise yields to the event loop between migrations (so progress notifications
// flow and cancellation is seen) while the transaction is open. The caller must not use this connection for
// anything else until the promise settles.
import type { Database } from 'better-sqlite3';
import { AppError, fromSqliteError } from '../core/errors.js';
import { assertFolderReady, type FolderMigration, type MigrationFolder } from './folder.js';
import { DEFAULT_LEDGER_TABLE } from '../guard/server-tables.js';
import { openLedgerWriter, readLedger } from './ledger.js';
import { computeMigrationStatus, type MigrationStatus } from './status.js';
import { isEmptyChunk, scanStatements, TRANSACTION_KEYWORDS } from './sql-text.js';

export interface ApplyProgress {
  /** 1-based position of the migration being applied, `total` when checking/committing. */
  index: number;
  total: number;
  tag: string | undefined;
  phase: 'migration' | 'checking' | 'committing';
}

export interface AppliedMigration {
  tag: string;
  idx: number;
  when: number;
  hash: string;
  /** Chunks executed (comment-only chunks are skipped and counted separately). */
  statements: number;
  skippedEmptyChunks: number;
}

export interface ApplyResult {
  applied: AppliedMigration[];
  migrationsTable: string;
  /** The status seen inside the transaction, before anything ran. */
  statusBefore: MigrationStatus;
}

export interface ApplyOptions {
  migrationsTable?: string;
  onProgress?: (progress: ApplyProgress) => void;
  signal?: AbortSignal;
  /** Runs inside the transaction after every migration and check succeeded; throwing rolls everything back. */
  beforeCommit?: (db: Database, result: ApplyResult) => void;
  /**
   * The hashes of the pending migrations the caller dry-ran or got consent for, in order. When given, the batch is
   * refused unless the pending set found inside the transaction is exactly this: approving one set never applies
   * another (e.g. a file edited or added between the dry run and the apply).
   */
  expectedHashes?: readonly string[];
}

export interface ForeignKeyViolation {
  table: string;
  rowid: number | null;
  parent: string;
  fkid: number;
}

const MAX_STATEMENT_IN_MESSAGE = 1000;
const MAX_VIOLATIONS_IN_MESSAGE = 20;

export async function applyMigrations(
  db: Database,
  folder: MigrationFolder,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const migrationsTable = options.migrationsTable ?? DEFAULT_LEDGER_TABLE;
  assertFolderReady(folder, 'apply');
  if (db.inTransaction) {
    throw new AppError(
      'MIGRATION_FAILED',
      'Migrations cannot be applied on a connection that already has an open transaction.',
      {
        hint: 'Finish (commit or roll back) the open transaction first.',
      },
    );
  }
  throwIfCancelled(options.signal, 'before anything was applied');

  const foreignKeysBefore = Number(db.pragma('foreign_keys', { simple: true })) === 1;
  // Must happen outside the transaction: inside one, SQLite ignores it (the stock migrator's cascade data loss).
  db.pragma('foreign_keys = OFF');
  try {
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw fromSqliteError(error, 'starting the migration transaction');
    }
    try {
      const result = await runInTransaction(db, folder, migrationsTable, options);
      if (result.applied.length === 0) {
        db.exec('ROLLBACK');
        return result;
      }
      reportProgress(options, {
        index: result.applied.length,
        total: result.applied.length,
        tag: undefined,
        phase: 'committing',
      });
      db.exec('COMMIT');
      return result;
    } catch (error) {
      // Some errors (e.g. SQLITE_FULL) make SQLite roll back by itself.
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  } finally {
    db.pragma(`foreign_keys = ${foreignKeysBefore ? 'ON' : 'OFF'}`);
  }
}

async function runInTransaction(
  db: Database,
  folder: MigrationFolder,
  migrationsTable: string,
  options: ApplyOptions,
): Promise<ApplyResult> {
  // Created (or a 0.x ledger upgraded for a 1.0 folder) inside the transaction: rolled back with everything else.
  const ledger = openLedgerWriter(db, migrationsTable, folder);
  // Read inside the write transaction: another process cannot apply between our check and our writes.
  const status = computeMigrationStatus(folder, readLedger(db, migrationsTable));
  if (!status.consistent) {
    throw new AppError(
      'MIGRATION_CONFLICT',
      `Refusing to apply; fix these first (nothing was run):\n- ${status.problems.join('\n- ')}`,
      {
        hint: 'Resolve each problem (the migration_status entries say how for each migration), then try again. Nothing was changed.',
        details: {
          counts: status.counts,
          entries: status.entries.filter((entry) => entry.state !== 'applied' && entry.state !== 'pending'),
        },
      },
    );
  }
  const pending = status.pending;
  if (options.expectedHashes) {
    const actual = pending.map((migration) => migration.hash);
    const expected = [...options.expectedHashes];
    if (actual.length !== expected.length || actual.some((hash, i) => hash !== expected[i])) {
      throw new AppError(
        'MIGRATION_CONFLICT',
        'The pending migrations changed since they were checked (a file was added, edited or applied elsewhere); nothing was applied.',
        {
          hint: 'Run the dry run again and approve the migrations it shows.',
          details: {
            expected,
            actual: pending.map((migration) => ({ tag: migration.tag, hash: migration.hash })),
          },
        },
      );
    }
  }
  for (const migration of pending) assertNoTransactionControl(migration);

  const result: ApplyResult = { applied: [], migrationsTable, statusBefore: status };
  for (const [position, migration] of pending.entries()) {
    reportProgress(options, {
      index: position + 1,
      total: pending.length,
      tag: migration.tag,
      phase: 'migration',
    });
    const { statements, skippedEmptyChunks } = runMigrationChunks(db, migration);
    ledger.record(migration);
    result.applied.push({
      tag: migration.tag,
      idx: migration.idx,
      when: migration.when,
      hash: migration.hash,
      statements,
      skippedEmptyChunks,
    });
    await yieldToEventLoop();
    throwIfCancelled(options.signal, `after "${migration.tag}"`);
  }
  if (pending.length === 0) return result;

  reportProgress(options, {
    index: pending.length,
    total: pending.length,
    tag: undefined,
    phase: 'checking',
  });
  const violations = foreignKeyViolations(db);
  if (violations.length > 0) {
    throw new AppError(
      'MIGRATION_FAILED',
      `The migrations would leave ${violations.length} row(s) whose foreign key points at nothing:\n${describeViolations(violations)}\nEverything was rolled back.`,
      {
        hint: 'Add a step to the migration that deletes or fixes those rows (or makes the foreign key nullable) before the constraint applies, then apply again.',
        details: { violations: violations.slice(0, 100), total: violations.length },
      },
    );
  }
  await yieldToEventLoop();
  throwIfCancelled(options.signal, 'before commit');
  options.beforeCommit?.(db, result);
  return result;
}

/**
 * Runs one migration's chunks on `db` (in whatever transaction the caller holds). A failing chunk becomes an
 * AppError naming the migration, the 1-based statement number, the statement and SQLite's message.
 */
export function runMigrationChunks(
  db: Database,
  migration: FolderMigration,
): { statements: number; skippedEmptyChunks: number } {
  let statements = 0;
  let skippedEmptyChunks = 0;
  for (const [index, chunk] of migration.chunks.entries()) {
    if (isEmptyChunk(chunk)) {
      skippedEmptyChunks += 1;
      continue;
    }
    try {
      db.exec(chunk);
      statements += 1;
    } catch (error) {
      throw statementError(migration, index, chunk, error);
    }
  }
  return { statements, skippedEmptyChunks };
}

export function statementError(
  migration: FolderMigration,
  index: number,
  chunk: string,
  error: unknown,
): AppError {
  const wrapped = fromSqliteError(error);
  const statement = trimStatement(chunk);
  const sqliteMessage = error instanceof Error ? error.message : String(error);
  const code =
    wrapped.code === 'DISK_FULL' || wrapped.code === 'DATABASE_LOCKED' ? wrapped.code : 'MIGRATION_FAILED';
  return new AppError(
    code,
    `Migration "${migration.tag}" failed at statement ${index + 1} of ${migration.chunks.length}: ${statement}\nSQLite said: ${sqliteMessage}. Everything was rolled back.`,
    {
      hint:
        wrapped.hint ??
        'Fix the statement in the migration file (if it was never applied anywhere) or add a new migration that prepares the data, then apply again.',
      cause: error,
      details: {
        tag: migration.tag,
        statementIndex: index + 1,
        statement,
        sqliteMessage,
        ...(wrapped.details ?? {}),
      },
    },
  );
}

function assertNoTransactionControl(migration: FolderMigration): void {
  for (const [index, chunk] of migration.chunks.entries()) {
    const offending = scanStatements(chunk).find((statement) => TRANSACTION_KEYWORDS.has(statement.keyword));
    if (!offending) continue;
    throw new AppError(
      'MIGRATION_FAILED',
      `Migration "${migration.tag}" statement ${index + 1} is "${trimStatement(offending.text)}": transaction control inside a migration would break the all-or-nothing batch. Nothing was applied.`,
      {
        hint: 'Remove BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE from the migration file: the server already runs all pending migrations in one transaction.',
        details: { tag: migration.tag, statementIndex: index + 1, statement: offending.text },
      },
    );
  }
}

export function foreignKeyViolations(db: Database): ForeignKeyViolation[] {
  return db.prepare('PRAGMA foreign_key_check').all() as ForeignKeyViolation[];
}

export function describeViolations(violations: readonly ForeignKeyViolation[]): string {
  const lines = violations
    .slice(0, MAX_VIOLATIONS_IN_MESSAGE)
    .map(
      (v) =>
        `- ${v.table} rowid ${v.rowid ?? '?'} references a missing row in ${v.parent} (foreign key #${v.fkid})`,
    );
  if (violations.length > MAX_VIOLATIONS_IN_MESSAGE)
    lines.push(`- … and ${violations.length - MAX_VIOLATIONS_IN_MESSAGE} more`);
  return lines.join('\n');
}

function trimStatement(chunk: string): string {
  const text = chunk.trim();
  return text.length > MAX_STATEMENT_IN_MESSAGE ? `${text.slice(0, MAX_STATEMENT_IN_MESSAGE)}…` : text;
}

/** Progress is informational: a failing listener (e.g. a closed transport) must not abort the migration. */
function reportProgress(options: ApplyOptions, progress: ApplyProgress): void {
  try {
    options.onProgress?.(progress);
  } catch {
    // Ignored on purpose.
  }
}

function throwIfCancelled(signal: AbortSignal | undefined, when: string): void {
  if (!signal?.aborted) return;
  throw new AppError('CANCELLED', `Applying migrations was cancelled ${when}; nothing was changed.`, {
    hint: 'Apply again when ready.',
    cause: signal.reason,
  });
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
