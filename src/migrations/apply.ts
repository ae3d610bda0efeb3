// Applies pending migrations: the only code that changes a database's schema. Invariants:
// - all or nothing: one IMMEDIATE transaction for the batch, ledger rows (byte-compatible with the drizzle-orm line of
//   the folder's layout, see ledger.ts) inside it;
// - foreign keys are switched off *before* BEGIN (inside a transaction SQLite ignores the pragma, which is how the
//   stock migrator's table rebuilds cascade-delete child rows) and checked with `foreign_key_check` before COMMIT;
// - it refuses to run on a folder/ledger that is not consistent (modified, skipped, missing, broken journal);
// - every statement of the batch is judged by the statement policy before the first runs, and checked with EXPLAIN
//   just before it runs (statement-policy.ts); each runs on its own, its effects measured (effects.ts), and the
//   batch rolls back when they differ from what the dry run measured (`expectedEffects`);
// - nothing commits after the caller cancelled, and the caller's `beforeCommit` (the audit row) commits with it.
//
// Connection contract: the returned promise yields to the event loop between migrations (so progress notifications
// flow and cancellation is seen) while the transaction is open. The caller must not use this connection for
// anything else until the promise settles.
import type { Database } from 'better-sqlite3';
import { AppError, fromSqliteError } from '../core/errors.js';
import { assertFolderReady, type MigrationFolder } from './folder.js';
import { DEFAULT_LEDGER_TABLE, serverTables, type ServerTables } from '../guard/server-tables.js';
import { openLedgerWriter, readLedger } from './ledger.js';
import { computeMigrationStatus, type MigrationStatus } from './status.js';
import { compareEffects, EffectMeter, type MigrationEffects } from './effects.js';
import {
  checkNoTempObjectLeft,
  checkWhatStatementTouches,
  tempObjects,
  planMigrations,
  type PlannedMigration,
  type PlannedStatement,
} from './statement-policy.js';

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
  /** Statements executed (comment-only chunks are skipped and counted separately). */
  statements: number;
  skippedEmptyChunks: number;
  /** Statements the statement policy neutralised (recognised as redundant inside our apply) and did not run. */
  neutralised: NeutralisedStatement[];
  /** What it did to the data and the schema (effects.ts), measured inside the transaction. */
  effects: MigrationEffects;
}

export interface NeutralisedStatement {
  /** 1-based chunk of the file. */
  statement: number;
  text: string;
  reason: string;
}

export interface ApplyResult {
  applied: AppliedMigration[];
  migrationsTable: string;
  /** The status seen inside the transaction, before anything ran. */
  statusBefore: MigrationStatus;
}

export interface ApplyOptions {
  migrationsTable?: string;
  /**
   * The server's tables, which no migration statement may touch (default: the ledger and the default audit table).
   */
  tables?: ServerTables;
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
  /**
   * What the dry run measured, per pending migration. When given, the apply measures its own effects inside its
   * transaction and rolls everything back if they differ: SQL can tell the copy from the real file.
   */
  expectedEffects?: readonly MigrationEffects[];
  /** Told before each statement runs (the host resets its per-statement time limit on it). */
  onStatement?: (migration: string, statement: PlannedStatement) => void;
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
      const tables = options.tables ?? serverTables({ ledgerTable: migrationsTable });
      const result = await runInTransaction(db, folder, migrationsTable, tables, options);
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
  tables: ServerTables,
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
  // Every statement of the batch is judged before the first one runs.
  const plans = planMigrations(pending, { tables, existingTables: tableNames(db) });

  const result: ApplyResult = { applied: [], migrationsTable, statusBefore: status };
  const createdInBatch = new Set<string>();
  for (const [position, migration] of pending.entries()) {
    reportProgress(options, {
      index: position + 1,
      total: pending.length,
      tag: migration.tag,
      phase: 'migration',
    });
    const plan = plans[position]!;
    const { statements, effects } = runPlannedMigration(db, plan, tables, {
      createdInBatch,
      onStatement: (statement) => options.onStatement?.(migration.tag, statement),
    });
    ledger.record(migration);
    result.applied.push({
      tag: migration.tag,
      idx: migration.idx,
      when: migration.when,
      hash: migration.hash,
      statements,
      skippedEmptyChunks: plan.emptyChunks,
      neutralised: neutralisedIn(plan),
      effects,
    });
    await yieldToEventLoop();
    throwIfCancelled(options.signal, `after "${migration.tag}"`);
  }
  if (pending.length === 0) return result;
  if (options.expectedEffects) assertSameEffects(result, options.expectedEffects);

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

/** The names of the tables in `db`'s main schema. */
export function tableNames(db: Database): string[] {
  return db.prepare(`SELECT name FROM main.sqlite_schema WHERE type = 'table'`).pluck().all() as string[];
}

export function neutralisedIn(plan: PlannedMigration): NeutralisedStatement[] {
  return plan.statements
    .filter((statement) => statement.action === 'neutralised')
    .map((statement) => ({
      statement: statement.chunk,
      text: statement.text,
      reason: statement.reason ?? '',
    }));
}

/**
 * Runs one planned migration on `db` (in whatever transaction the caller holds), statement by statement: each is
 * first checked for what SQLite will touch, then prepared on its own (so SQLite itself refuses text that holds
 * more statements than the policy read) and run. A failing statement becomes an AppError naming the migration,
 * its statement number, its text and SQLite's message.
 */
export function runPlannedMigration(
  db: Database,
  plan: PlannedMigration,
  tables: ServerTables,
  options: {
    /** Told before each statement runs (progress, and the host's per-statement time limit). */
    onStatement?: (statement: PlannedStatement) => void;
    /** Lower-cased names of the tables created earlier in this batch (see EffectMeter). */
    createdInBatch?: Set<string>;
  } = {},
): { statements: number; effects: MigrationEffects } {
  const meter = new EffectMeter(db, options.createdInBatch ?? new Set());
  const tempBefore = tempObjects(db);
  let statements = 0;
  for (const statement of plan.statements) {
    if (statement.action !== 'run') continue;
    const ref = { tag: plan.tag, file: plan.file, chunk: statement.chunk, text: statement.text };
    checkWhatStatementTouches(db, ref, tables);
    options.onStatement?.(statement);
    try {
      meter.measure(statement.classified, statement, () => {
        const prepared = db.prepare(statement.text);
        if (prepared.reader) for (const _row of prepared.iterate()) void _row;
        else prepared.run();
      });
      statements += 1;
    } catch (error) {
      throw statementError(plan, statement.chunk, statement.text, error);
    }
  }
  checkNoTempObjectLeft(db, plan, tempBefore);
  return { statements, effects: meter.result() };
}

export function statementError(
  migration: Pick<PlannedMigration, 'tag' | 'chunkCount'>,
  chunk: number,
  text: string,
  error: unknown,
): AppError {
  const wrapped = fromSqliteError(error);
  const statement = trimStatement(text);
  const sqliteMessage = error instanceof Error ? error.message : String(error);
  const code =
    wrapped.code === 'DISK_FULL' || wrapped.code === 'DATABASE_LOCKED' ? wrapped.code : 'MIGRATION_FAILED';
  return new AppError(
    code,
    `Migration "${migration.tag}" failed at statement ${chunk} of ${migration.chunkCount}: ${statement}\nSQLite said: ${sqliteMessage}. Everything was rolled back.`,
    {
      hint:
        wrapped.hint ??
        'Fix the statement in the migration file (if it was never applied anywhere) or add a new migration that prepares the data, then apply again.',
      cause: error,
      untrusted: true,
      details: {
        tag: migration.tag,
        statementIndex: chunk,
        statement,
        sqliteMessage,
        ...(wrapped.details ?? {}),
      },
    },
  );
}

/** Rolls back (by throwing) when the real apply did not do what the rehearsal showed (and the human approved). */
function assertSameEffects(result: ApplyResult, expected: readonly MigrationEffects[]): void {
  const differences = compareEffects(
    result.applied.map((m) => m.tag),
    expected,
    result.applied.map((m) => m.effects),
  );
  if (differences.length === 0) return;
  throw new AppError(
    'MIGRATION_FAILED',
    `The migrations did something else on the real database than in the dry run on its copy, so everything was rolled back:\n- ${differences.join('\n- ')}`,
    {
      hint: 'Either the data changed since the dry run (run it again and apply what it shows), or a statement behaves differently on the real file than on a copy (its name, size or the time): review the migration before applying it.',
      details: { differences },
    },
  );
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
