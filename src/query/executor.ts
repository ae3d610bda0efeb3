// Runs one classified statement on the project database, inside the query host child (so it can be killed).
// Invariants: nothing is prepared before sql-policy has classified the text; reads go through a connection
// that cannot write (readonly + query_only) and must also be reader && readonly to SQLite; a write runs in
// BEGIN IMMEDIATE, is measured with total_changes() (which sees cascades and trigger effects), and commits only
// within budget (or with consent) and only together with its audit row.
//
// Audit placement: with the audit table in the data database, the row is inserted inside the write's
// transaction, so the change and its row commit or vanish together. With a separate audit file (--audit-db)
// the row is committed there first, just before the data COMMIT: a crash between the two leaves an audit row
// for a change that rolled back, never a change without its row.
import Database from 'better-sqlite3';
import type { Database as DatabaseType, Statement } from 'better-sqlite3';
import { AuditLog } from '../audit/audit-log.js';
import { AppError, fromSqliteError, isAppError, toWireError } from '../core/errors.js';
import {
  checkWriteTarget,
  classifyRead,
  classifyWrite,
  type PolicyOptions,
  type SchemaObject,
} from '../guard/sql-policy.js';
import { namesTable } from '../guard/server-tables.js';
import { asciiLower } from '../sql/tokenizer.js';
import { isBoundedProgram } from './bounded-program.js';
import {
  IN_PROCESS_VALUE_BUDGET_BYTES,
  preparesCheaply,
  resultBytes,
  valueLoads,
} from './in-process-gate.js';
import { collectRows, DEFAULT_MAX_CELL_CHARS, type ResultColumn } from './encode.js';
import {
  toBindArguments,
  type AuditAppend,
  type HostOptions,
  type HostRequest,
  type HostResponse,
  type ReadRequest,
  type ReadResult,
  type WriteRequest,
  type WriteResult,
} from './protocol.js';

const DEFAULT_RETURNING_LIMITS = { maxRows: 100, maxBytes: 64 * 1024 };

/** Turns anything thrown while running a statement into the error family, with the memory and binding cases named. */
export function toQueryError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_NOMEM' || code === 'SQLITE_TOOBIG') {
    return new AppError(
      'LIMIT_EXCEEDED',
      `The statement needed a value or more memory than SQLite allows (${String((error as Error).message)}).`,
      {
        hint: 'Select fewer or smaller values (avoid huge randomblob/zeroblob/printf results and unbounded sorts).',
        cause: error,
        details: { sqliteCode: code },
      },
    );
  }
  if ((error instanceof RangeError || error instanceof TypeError) && /parameter/i.test(error.message)) {
    return new AppError(
      'INVALID_ARGUMENT',
      `The parameters do not match the statement's placeholders: ${error.message}.`,
      {
        hint: 'Pass an array for ? / ?NNN placeholders, or an object keyed by name (without the prefix) for :name, @name, $name.',
        cause: error,
      },
    );
  }
  return fromSqliteError(error);
}

function columnsOf(stmt: Statement): ResultColumn[] {
  return stmt.columns().map((column) => ({ name: column.name, type: column.type }));
}

/** The connection reads run on: SQLite itself refuses writes on it, whatever the text rules missed. */
export function openQueryReadConnection(dbFile: string, busyTimeoutMs: number): DatabaseType {
  let db: DatabaseType | undefined;
  try {
    db = new Database(dbFile, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    // Security: the backstop under the text rules. query_only makes SQLite itself refuse any write on this
    // connection; trusted_schema=OFF stops views and triggers from calling functions with side effects.
    db.pragma('query_only = ON');
    db.pragma('trusted_schema = OFF');
    // Security: sorts and temp b-trees stay in memory (bounded by the runner's memory watchdog and the
    // timeout) instead of filling the disk with temp files.
    db.pragma('temp_store = MEMORY');
    return db;
  } catch (error) {
    db?.close();
    throw toQueryError(error);
  }
}

const snapshots = new WeakMap<
  DatabaseType,
  {
    begin: Statement;
    schemaVersion: Statement;
    commit: Statement;
    views: Statement;
    pageCount: Statement;
    pageSize: Statement;
  }
>();

/** Prepared once per connection: parsing BEGIN/COMMIT on every read would cost more than the read. */
function snapshotStatements(db: DatabaseType) {
  let statements = snapshots.get(db);
  if (!statements) {
    statements = {
      begin: db.prepare('BEGIN'),
      schemaVersion: db.prepare('PRAGMA schema_version').pluck(),
      commit: db.prepare('COMMIT'),
      views: db.prepare(`SELECT name FROM main.sqlite_schema WHERE type = 'view'`).pluck(),
      pageCount: db.prepare('PRAGMA page_count').pluck(),
      pageSize: db.prepare('PRAGMA page_size').pluck(),
    };
    snapshots.set(db, statements);
  }
  return statements;
}

/** The guard's options for one host configuration (the host's executor and the runner's in-process reads). */
export function policyOf(options: HostOptions): PolicyOptions {
  return {
    protectedTables: options.protectedTables,
    ...(options.maxSqlLength !== undefined ? { maxSqlLength: options.maxSqlLength } : {}),
  };
}

/** Runs one read: the guard's classification, then SQLite's own "reads only" verdict, then the rows, capped. */
export function executeRead(db: DatabaseType, policy: PolicyOptions, request: ReadRequest): ReadResult {
  const classification = classifyRead(request.sql, policy);
  return runRead(db, classification, toBindArguments(request.params), request);
}

/**
 * executeRead, only when the statement's compiled program provably ends at once (see isBoundedProgram) and it is
 * cheap to prepare and small in memory (see in-process-gate.ts), checked and run in one read transaction so the
 * schema cannot change in between; otherwise nothing runs and the answer is undefined (the caller sends the read
 * to the killable host).
 */
export function executeReadIfBounded(
  db: DatabaseType,
  policy: PolicyOptions,
  request: ReadRequest,
): ReadResult | undefined {
  const classification = classifyRead(request.sql, policy);
  const args = toBindArguments(request.params);
  const snapshot = snapshotStatements(db);
  snapshot.begin.run();
  try {
    // Reading the schema cookie starts the read transaction: from here on the schema (and so what the gate sees,
    // the program EXPLAIN shows and the one the statement runs) is fixed. The same values are bound, since SQLite
    // may plan with them.
    snapshot.schemaVersion.get();
    // Security: preparing cannot be stopped in this process; only statements known to prepare cheaply are.
    const views = new Set((snapshot.views.all() as string[]).map(asciiLower));
    if (!preparesCheaply(classification.sql, views)) return undefined;
    // Anything unusual on the way (a syntax error, EXPLAIN EXPLAIN, wrong parameters) also goes to the host, which
    // reports it: one place words every error.
    let program: unknown[][];
    try {
      program = db
        .prepare(`EXPLAIN ${classification.sql}`)
        .raw(true)
        .all(...args) as unknown[][];
    } catch {
      return undefined;
    }
    if (!isBoundedProgram(program)) return undefined;
    // Security: bounded in memory too: a value can be no bigger than the database; past the budget, the cells'
    // real sizes decide.
    const loads = valueLoads(program);
    const databaseBytes = (snapshot.pageCount.get() as number) * (snapshot.pageSize.get() as number);
    if (loads * databaseBytes > IN_PROCESS_VALUE_BUDGET_BYTES) {
      const bytes = resultBytes(db, classification.sql, program, args);
      if (bytes === undefined || bytes > IN_PROCESS_VALUE_BUDGET_BYTES) return undefined;
    }
    return runRead(db, classification, args, request);
  } finally {
    snapshot.commit.run();
  }
}

function runRead(
  db: DatabaseType,
  classification: { sql: string; verb: string },
  args: unknown[],
  request: ReadRequest,
): ReadResult {
  let stmt: Statement;
  try {
    stmt = db.prepare(classification.sql);
  } catch (error) {
    throw toQueryError(error);
  }
  // Security: SQLite's own verdict, after ours. Both must say "reads only".
  if (!stmt.reader || !stmt.readonly) {
    throw new AppError(
      'QUERY_REFUSED',
      'SQLite reports that this statement would not only read; run_query refuses it.',
      {
        hint: 'Send a single SELECT. Use execute_sql for writes.',
      },
    );
  }
  stmt.safeIntegers(true).raw(true);
  try {
    const columns = columnsOf(stmt);
    const iterator = stmt.iterate(...args) as IterableIterator<unknown[]>;
    const rows = collectRows(columns, iterator, {
      maxRows: request.maxRows,
      maxBytes: request.maxBytes,
      maxCellChars: request.maxCellChars ?? DEFAULT_MAX_CELL_CHARS,
    });
    return { verb: classification.verb, ...rows };
  } catch (error) {
    throw toQueryError(error);
  }
}

export class QueryExecutor {
  private readonly options: HostOptions;
  private readonly policy: PolicyOptions;
  private readonly readDb: DatabaseType;
  private writeDb: DatabaseType | undefined;
  private readonly auditDbs = new Map<string, DatabaseType>();
  private readonly auditLogs = new Map<string, AuditLog>();

  constructor(options: HostOptions) {
    this.options = options;
    this.policy = policyOf(options);
    this.readDb = openQueryReadConnection(options.dbFile, options.busyTimeoutMs);
  }

  /** Runs one request; never throws. `onInternalError` sees the original of any error reported as INTERNAL. */
  handle(
    message: Extract<HostRequest, { kind: 'read' | 'write' }>,
    onInternalError?: (error: unknown) => void,
  ): HostResponse {
    try {
      const result = message.kind === 'read' ? this.read(message.request) : this.write(message.request);
      return { id: message.id, ok: true, result };
    } catch (error) {
      const appError = toQueryError(error);
      if (appError.code === 'INTERNAL') onInternalError?.(appError.cause ?? error);
      return { id: message.id, ok: false, error: toWireError(appError) };
    }
  }

  read(request: ReadRequest): ReadResult {
    return executeRead(this.readDb, this.policy, request);
  }

  write(request: WriteRequest): WriteResult {
    const classification = classifyWrite(request.sql, this.policy);
    const args = toBindArguments(request.params);
    const db = this.openWrite();
    const objects = db
      .prepare(`SELECT type, name, tbl_name AS tableName, sql FROM sqlite_master WHERE type = 'trigger'`)
      .all() as SchemaObject[];
    checkWriteTarget(classification, objects, this.policy);
    let stmt: Statement;
    try {
      stmt = db.prepare(classification.sql);
    } catch (error) {
      throw toQueryError(error);
    }
    if (stmt.readonly) {
      throw new AppError(
        'QUERY_REFUSED',
        'SQLite reports that this statement does not write; execute_sql refuses it.',
        {
          hint: 'Use run_query for reads.',
        },
      );
    }
    this.assertNoProtectedOpens(db, classification.sql, args);
    // Prepared before BEGIN so a missing or unwritable audit table fails before anything changes.
    const audit = request.dryRun ? undefined : this.auditLogFor(request.audit);
    const totalChanges = db.prepare('SELECT total_changes()').pluck();
    const startedAt = request.audit.startedAtMs;

    db.exec('BEGIN IMMEDIATE');
    try {
      const before = totalChanges.get() as number;
      let returning: WriteResult['returning'];
      let lastInsertRowid: number | string | undefined;
      if (stmt.reader) {
        stmt.safeIntegers(true).raw(true);
        returning = collectRows(columnsOf(stmt), stmt.iterate(...args) as IterableIterator<unknown[]>, {
          maxRows: request.maxRows ?? DEFAULT_RETURNING_LIMITS.maxRows,
          maxBytes: request.maxBytes ?? DEFAULT_RETURNING_LIMITS.maxBytes,
          maxCellChars: request.maxCellChars ?? DEFAULT_MAX_CELL_CHARS,
        });
      } else {
        stmt.safeIntegers(true);
        const info = stmt.run(...args);
        if ((classification.verb === 'INSERT' || classification.verb === 'REPLACE') && info.changes > 0) {
          const id = BigInt(info.lastInsertRowid);
          lastInsertRowid =
            id <= BigInt(Number.MAX_SAFE_INTEGER) && id >= BigInt(Number.MIN_SAFE_INTEGER)
              ? Number(id)
              : id.toString();
        }
      }
      const rowsAffected = (totalChanges.get() as number) - before;
      const overBudget = rowsAffected > request.budget || classification.unbounded;
      const result: WriteResult = {
        verb: classification.verb,
        table: classification.table,
        rowsAffected,
        dryRun: request.dryRun,
        overBudget,
        ...(classification.unboundedReason !== undefined
          ? { unboundedReason: classification.unboundedReason }
          : {}),
        ...(lastInsertRowid !== undefined ? { lastInsertRowid } : {}),
        ...(returning !== undefined ? { returning } : {}),
      };
      if (request.dryRun) {
        db.exec('ROLLBACK');
        return result;
      }
      if (overBudget && !request.allowOverBudget) {
        db.exec('ROLLBACK');
        throw limitExceeded(
          classification.verb,
          classification.table,
          rowsAffected,
          request.budget,
          classification.unboundedReason,
        );
      }
      const auditId = (audit as AuditLog).append({
        ...request.audit.entry,
        targetType: request.audit.entry.targetType ?? 'table',
        targetId: request.audit.entry.targetId ?? classification.table,
        outcome: 'ok',
        errorCode: null,
        rowsAffected,
        durationMs: Date.now() - startedAt,
      }).id;
      db.exec('COMMIT');
      return { ...result, auditId };
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw toQueryError(error);
    }
  }

  close(): void {
    this.readDb.close();
    this.writeDb?.close();
    for (const db of this.auditDbs.values()) db.close();
  }

  private openWrite(): DatabaseType {
    if (this.writeDb) return this.writeDb;
    try {
      const db = new Database(this.options.dbFile, { fileMustExist: true });
      db.pragma(`busy_timeout = ${Math.trunc(this.options.busyTimeoutMs)}`);
      db.pragma('foreign_keys = ON');
      this.writeDb = db;
      return db;
    } catch (error) {
      throw toQueryError(error);
    }
  }

  /**
   * Security: the backstop for triggers and foreign-key actions the text rules cannot see. EXPLAIN lists the
   * statement's program including trigger and FK sub-programs; an OpenWrite on a protected table's (or its
   * indexes') root page means the statement would write there.
   */
  private assertNoProtectedOpens(db: DatabaseType, sql: string, args: unknown[]): void {
    const roots = new Map<number, string>();
    const pages = db
      .prepare(`SELECT rootpage, tbl_name AS tableName FROM sqlite_master WHERE rootpage > 0`)
      .all() as Array<{ rootpage: number; tableName: string }>;
    for (const { rootpage, tableName } of pages) {
      // Not isProtectedTable: every AUTOINCREMENT insert writes sqlite_sequence, and that is SQLite's business.
      if (namesTable(this.options.protectedTables, tableName)) roots.set(rootpage, tableName);
    }
    if (roots.size === 0) return;
    const ops = db.prepare(`EXPLAIN ${sql}`).all(...args) as Array<{
      opcode: string;
      p2: number;
      p3: number;
    }>;
    for (const op of ops) {
      const table = op.opcode === 'OpenWrite' && op.p3 === 0 ? roots.get(op.p2) : undefined;
      if (table !== undefined) {
        throw new AppError(
          'PROTECTED_TABLE',
          `This statement would write to the server's table "${table}" (through a trigger or foreign-key action).`,
          {
            hint: 'Writes that reach the audit log or migrations ledger are refused. Ask the human to review the triggers on the target table.',
            details: { table },
          },
        );
      }
    }
  }

  private auditLogFor(audit: AuditAppend): AuditLog {
    const key = `${audit.auditDbFile ?? ''}\0${audit.table}`;
    const cached = this.auditLogs.get(key);
    if (cached) return cached;
    try {
      let db = this.openWrite();
      if (audit.auditDbFile !== undefined) {
        db = this.auditDbs.get(audit.auditDbFile) ?? new Database(audit.auditDbFile, { fileMustExist: true });
        db.pragma(`busy_timeout = ${Math.trunc(this.options.busyTimeoutMs)}`);
        this.auditDbs.set(audit.auditDbFile, db);
      }
      const log = new AuditLog(db, audit.table);
      this.auditLogs.set(key, log);
      return log;
    } catch (error) {
      throw new AppError(
        'AUDIT_WRITE_FAILED',
        `The audit log could not be opened: ${(error as Error).message}.`,
        {
          hint: 'Nothing was carried out. Check that the audit table exists and the database (or --audit-db) file is writable.',
          cause: error,
        },
      );
    }
  }
}

function limitExceeded(
  verb: string,
  table: string,
  wouldAffect: number,
  budget: number,
  unboundedReason: string | undefined,
): AppError {
  const why =
    unboundedReason !== undefined
      ? `${unboundedReason[0]?.toUpperCase() ?? ''}${unboundedReason.slice(1)}, so it needs the human's consent`
      : `The budget without the human's consent is ${budget} rows`;
  return new AppError(
    'LIMIT_EXCEEDED',
    `This ${verb} on "${table}" would change ${wouldAffect} row${wouldAffect === 1 ? '' : 's'} (cascades and triggers included). ${why}. It was rolled back: nothing changed.`,
    {
      hint:
        unboundedReason !== undefined
          ? 'Add a WHERE clause that selects only the rows you mean (check the count with run_query or dryRun), or ask the human to approve the full write.'
          : 'If fewer rows were meant, narrow the WHERE clause. To change this many, the human must approve it (the client may ask, or the server is started with --allow-large-writes); smaller calls count against the same session budget.',
      details: {
        verb,
        table,
        wouldAffect,
        budget,
        ...(unboundedReason !== undefined ? { unbounded: true, reason: unboundedReason } : {}),
      },
    },
  );
}
