// The one error family every layer throws. Codes are a closed set of stable strings so a client (or a script)
// can tell "fix your input" from "ask the human" from "retry later" without parsing prose. The registry is the
// only place that turns these into MCP tool errors and audit outcomes.

export const ERROR_CODES = {
  /** Arguments did not validate, or named something that is not there. The caller should fix its input. */
  INVALID_ARGUMENT: 'error',
  UNKNOWN_TOOL: 'error',
  NOT_FOUND: 'error',
  /** The project (drizzle.config.ts, schema, paths) could not be loaded or is inconsistent. */
  CONFIG_ERROR: 'error',
  SCHEMA_LOAD_FAILED: 'error',
  /** A schema file changed between reading it and writing it (or since the reviewed dry run): review again. */
  SCHEMA_CHANGED: 'error',
  /** An edited schema did not load as asked, so the edit was undone. */
  SCHEMA_EDIT_UNVERIFIED: 'error',
  /** A guard said no: the statement or action is outside what the human allowed. */
  QUERY_REFUSED: 'refused',
  PROTECTED_TABLE: 'refused',
  READ_ONLY_MODE: 'refused',
  CONSENT_REQUIRED: 'refused',
  /**
   * Nothing was done yet: a person reviews the plan in a card or a page. Not a failure for the client (the card
   * renders from the result); the audit row records it as refused.
   */
  NEEDS_HUMAN: 'refused',
  LIMIT_EXCEEDED: 'refused',
  /** A statement of a pending migration may not run (it reaches beyond the file, or controls the transaction …). */
  MIGRATION_REFUSED: 'refused',
  /** SQLite said no. */
  SQL_SYNTAX: 'error',
  CONSTRAINT_VIOLATION: 'error',
  DATABASE_LOCKED: 'error',
  DATABASE_ERROR: 'error',
  DISK_FULL: 'error',
  /** Migration folder or ledger problems the human must resolve before anything is applied. */
  MIGRATION_CONFLICT: 'error',
  MIGRATION_FAILED: 'error',
  BACKUP_FAILED: 'error',
  TIMEOUT: 'error',
  CANCELLED: 'error',
  /** The audit row could not be written, so the call was not carried out (fail closed). */
  AUDIT_WRITE_FAILED: 'error',
  INTERNAL: 'error',
} as const satisfies Record<string, 'error' | 'refused'>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type Outcome = 'ok' | 'error' | 'refused';

export interface AppErrorOptions {
  /** What the caller can do instead; shown to the model after the message. */
  hint?: string;
  cause?: unknown;
  /** Structured facts a client may act on (e.g. the valid table names, the rows a write would touch). */
  details?: Record<string, unknown>;
  /**
   * The message or details quote SQLite, which quotes the database (names, a CHECK's text, a trigger's RAISE
   * message, a view's SQL): they reach the model only inside the untrusted fence (mcp/call-result.ts).
   */
  untrusted?: boolean;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly untrusted: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
    this.untrusted = options.untrusted === true;
  }

  get outcome(): Outcome {
    return ERROR_CODES[this.code];
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

interface SqliteErrorLike {
  code: string;
  message: string;
}

function isSqliteError(value: unknown): value is SqliteErrorLike {
  return (
    value instanceof Error &&
    typeof (value as { code?: unknown }).code === 'string' &&
    ((value as unknown as { code: string }).code.startsWith('SQLITE_') || value.name === 'SqliteError')
  );
}

/** SQLite's extended code when `error` says the database is busy or locked (another connection holds a lock). */
export function lockedCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    ? code
    : undefined;
}

/** The one DATABASE_LOCKED error: `message` says what could not be done; the hint and details are the same everywhere. */
export function databaseLocked(message: string, cause: unknown): AppError {
  return new AppError('DATABASE_LOCKED', message, {
    hint: 'Another process holds a write lock. Wait for it to finish (or close it) and try again.',
    cause,
    details: { sqliteCode: lockedCode(cause) ?? 'SQLITE_BUSY' },
  });
}

/** The one READ_ONLY_MODE refusal: the launch option took `tool` away, and only the human can give it back. */
export function readOnlyMode(tool: string, launch: 'mcp-client' | 'command-line' = 'mcp-client'): AppError {
  return new AppError('READ_ONLY_MODE', `${tool} is disabled: the server was started with --read-only.`, {
    hint:
      launch === 'command-line'
        ? 'Only the human can allow changes: run the command without --read-only (and without DRIZZLE_SQLITE_MCP_READ_ONLY).'
        : 'Only the human can allow changes, by restarting the server without --read-only in their client config.',
  });
}

/**
 * Wraps a better-sqlite3 error in the family, keeping SQLite's extended code in `details.sqliteCode` and
 * turning the common cases into codes and hints a model can act on.
 */
export function fromSqliteError(error: unknown, context?: string): AppError {
  if (isAppError(error)) return error;
  if (!isSqliteError(error)) {
    return new AppError('INTERNAL', 'An unexpected internal error occurred.', { cause: error });
  }
  const sqliteCode = error.code;
  const where = context ? `${context}: ` : '';
  const details = { sqliteCode };
  if (lockedCode(error))
    return databaseLocked(`${where}the database is locked by another connection or process.`, error);
  if (sqliteCode.startsWith('SQLITE_CONSTRAINT')) {
    return new AppError('CONSTRAINT_VIOLATION', `${where}${describeConstraint(sqliteCode, error.message)}`, {
      hint: 'Change the values so they satisfy the constraint, or inspect the table with inspect_schema.',
      cause: error,
      details,
      untrusted: true,
    });
  }
  if (sqliteCode === 'SQLITE_FULL') {
    return new AppError('DISK_FULL', `${where}the disk (or the database size limit) is full.`, {
      hint: 'Free disk space, then try again. Nothing was changed.',
      cause: error,
      details,
    });
  }
  if (
    sqliteCode === 'SQLITE_ERROR' &&
    /syntax error|incomplete input|unrecognized token/i.test(error.message)
  ) {
    return new AppError('SQL_SYNTAX', `${where}SQLite could not parse the statement: ${error.message}.`, {
      hint: 'Fix the SQL syntax near the token SQLite names and try again.',
      cause: error,
      details,
      untrusted: true,
    });
  }
  if (sqliteCode === 'SQLITE_NOTADB' || sqliteCode === 'SQLITE_CORRUPT') {
    return new AppError(
      'DATABASE_ERROR',
      `${where}the file is not a valid SQLite database (${error.message}).`,
      {
        hint: 'Check the --db path points at a SQLite database file.',
        cause: error,
        details,
        untrusted: true,
      },
    );
  }
  if (
    sqliteCode.startsWith('SQLITE_READONLY') ||
    sqliteCode.startsWith('SQLITE_CANTOPEN') ||
    sqliteCode.startsWith('SQLITE_IOERR')
  ) {
    return new AppError('DATABASE_ERROR', `${where}${error.message} (${sqliteCode}).`, {
      hint: 'Check that the database file and its directory exist and are writable by the server.',
      cause: error,
      details,
      untrusted: true,
    });
  }
  return new AppError('DATABASE_ERROR', `${where}${error.message} (${sqliteCode}).`, {
    cause: error,
    details,
    untrusted: true,
  });
}

function describeConstraint(sqliteCode: string, message: string): string {
  switch (sqliteCode) {
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      return `a foreign key constraint failed: the row refers to a parent row that does not exist, or other rows still refer to it (${message}).`;
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
      return `a uniqueness constraint failed: ${message.replace(/^UNIQUE constraint failed: /, 'another row already has the same value in ')}.`;
    case 'SQLITE_CONSTRAINT_NOTNULL':
      return `a NOT NULL constraint failed: ${message.replace(/^NOT NULL constraint failed: /, 'a value is required for ')}.`;
    case 'SQLITE_CONSTRAINT_CHECK':
      return `a CHECK constraint failed (${message}).`;
    default:
      return `a constraint failed (${message}).`;
  }
}

/** The JSON a script reads for a failure (one line on stderr): the stable code, the message, what to do, details. */
export function errorJson(error: AppError): Record<string, unknown> {
  return {
    code: error.code,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.details ? { details: error.details } : {}),
  };
}

/** Normalises anything thrown into the family; unknown throwables become INTERNAL with a generic message. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return fromSqliteError(error);
}

/**
 * An AppError as plain data, the one form errors take across a thread or process boundary (the kit worker, the
 * query host): structured-clone and JSON safe, rebuilt on the other side with fromWireError.
 */
export interface WireError {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
  /** For INTERNAL errors only: the original stack, for the server's stderr log (never shown to the model). */
  internalDetail?: string;
  /** See AppErrorOptions.untrusted. */
  untrusted?: true;
}

export function toWireError(error: AppError, internalDetail?: string): WireError {
  return {
    code: error.code,
    message: error.message,
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
    ...(error.details !== undefined ? { details: error.details } : {}),
    ...(internalDetail !== undefined ? { internalDetail } : {}),
    ...(error.untrusted ? { untrusted: true as const } : {}),
  };
}

/** The error again; a code this build does not know becomes INTERNAL. */
export function fromWireError(wire: WireError, message: string = wire.message): AppError {
  const code: ErrorCode = wire.code in ERROR_CODES ? wire.code : 'INTERNAL';
  return new AppError(code, message, {
    ...(wire.hint !== undefined ? { hint: wire.hint } : {}),
    ...(wire.details !== undefined ? { details: wire.details } : {}),
    ...(wire.untrusted ? { untrusted: true } : {}),
  });
}
