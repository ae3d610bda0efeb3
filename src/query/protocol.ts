// The contract between the main process (QueryRunner) and the query host child: plain JSON messages over the
// IPC channel, errors carried as their AppError fields and rebuilt on the other side, and bound parameters
// restricted to JSON scalars so nothing but a value can ever reach SQLite through them.
import type { AuditEntry } from '../audit/entry.js';
import { AppError, type WireError } from '../core/errors.js';
import type { EncodedRows } from './encode.js';
import type { DryRunReport } from '../migrations/dry-run.js';
import type { ApplyJobResult, ApplyRequest, JobProgress, RehearseRequest } from '../migrations/jobs.js';

/** A bound value as a client may send it: a JSON scalar, or a blob as base64. */
export type ParamValue = string | number | boolean | null | { $blob: string };
/** Positional (for ?, ?NNN) or named (for :name, @name, $name; keys without the prefix). */
export type QueryParams = ParamValue[] | Record<string, ParamValue>;

export interface ResultLimits {
  /** Row cap; one more row is read to tell whether the result was cut. */
  maxRows: number;
  /** Cap on the UTF-8 size of the JSON rows. */
  maxBytes: number;
  /** Longer text cells are shortened with a marker; 0 keeps text whole (typed tools decode JSON text). */
  maxCellChars?: number;
}

export interface ReadRequest extends ResultLimits {
  sql: string;
  params?: QueryParams;
}

export interface ReadResult extends EncodedRows {
  /** The statement's kind as classified (SELECT, WITH, VALUES, EXPLAIN). */
  verb: string;
}

/** Where and what to audit when a write commits. The host fills outcome, rowsAffected and durationMs. */
export interface AuditAppend {
  /** The audit table's name (in the data database, or in auditDbFile when set). */
  table: string;
  /** A separate SQLite file holding the audit table (--audit-db). */
  auditDbFile?: string;
  entry: Omit<AuditEntry, 'outcome' | 'rowsAffected' | 'durationMs' | 'errorCode'>;
  /** Date.now() when the tool call started, so duration_ms covers the whole call up to the commit. */
  startedAtMs: number;
}

export interface WriteRequest extends Partial<ResultLimits> {
  sql: string;
  params?: QueryParams;
  /** Rows the statement may change (total_changes(), cascades included) without the human's consent. */
  budget: number;
  /** The human consented (elicitation or a launch option): run even when over budget or unbounded. */
  allowOverBudget: boolean;
  /** Run, measure, report, roll back. */
  dryRun: boolean;
  audit: AuditAppend;
}

export interface WriteResult {
  verb: string;
  table: string;
  /** Rows changed, cascades and trigger effects included (total_changes() after − before). */
  rowsAffected: number;
  /** True when the change was rolled back because the call was a dry run. */
  dryRun: boolean;
  /** The statement's last inserted rowid (string beyond Number's safe range); absent for UPDATE/DELETE. */
  lastInsertRowid?: number | string;
  /** RETURNING rows, encoded like reads. */
  returning?: EncodedRows;
  /** Whether the effect was over budget or unbounded (only possible with consent, or in a dry run). */
  overBudget: boolean;
  unboundedReason?: string;
  /** The audit row written with the change (absent for dry runs: nothing committed, the caller audits). */
  auditId?: number;
}

export type HostRequest =
  | { id: number; kind: 'read'; request: ReadRequest }
  | { id: number; kind: 'write'; request: WriteRequest }
  /** Migrations run where they can be stopped too (migrations/jobs.ts). */
  | { id: number; kind: 'rehearse'; request: RehearseRequest }
  | { id: number; kind: 'apply'; request: ApplyRequest };

export type HostResult = ReadResult | WriteResult | DryRunReport | ApplyJobResult;

export type HostResponse =
  { id: number; ok: true; result: HostResult } | { id: number; ok: false; error: WireError };

export type HostEvent =
  | { type: 'ready' }
  | { type: 'fatal'; error: WireError }
  /** A migration job is about to run a statement (the runner restarts its per-statement time limit). */
  | { type: 'progress'; id: number; progress: JobProgress };

/** How the host opens its connections; passed as the child's single argv argument (JSON). */
export interface HostOptions {
  dbFile: string;
  busyTimeoutMs: number;
  protectedTables: string[];
  maxSqlLength?: number;
}

const MAX_PARAMS = 32_766; // SQLITE_MAX_VARIABLE_NUMBER's default
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalidParam(where: string, why: string): AppError {
  return new AppError('INVALID_ARGUMENT', `Parameter ${where} ${why}.`, {
    hint: 'Parameters are strings, numbers, booleans, null, or {"$blob": "<base64>"}; they are bound, never pasted into the SQL.',
  });
}

function toBindValue(value: unknown, where: string): string | number | bigint | null | Buffer {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 1 : 0;
    case 'number':
      if (!Number.isFinite(value)) throw invalidParam(where, 'is not a finite number');
      return value;
    case 'object': {
      const keys = Object.keys(value);
      const blob = (value as { $blob?: unknown }).$blob;
      if (keys.length === 1 && typeof blob === 'string') {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(blob) || blob.length % 4 !== 0)
          throw invalidParam(where, 'has a $blob that is not valid base64');
        return Buffer.from(blob, 'base64');
      }
      throw invalidParam(where, 'is an object or array; only scalar values can be bound');
    }
    default:
      throw invalidParam(where, `has type ${typeof value}, which cannot be bound`);
  }
}

/** Validates client-supplied parameters into what better-sqlite3 binds. Returns the arguments for run/iterate. */
export function toBindArguments(params: unknown): unknown[] {
  if (params === undefined || params === null) return [];
  if (Array.isArray(params)) {
    if (params.length > MAX_PARAMS)
      throw invalidParam('list', `has ${params.length} values; at most ${MAX_PARAMS} are allowed`);
    return params.map((value, index) => toBindValue(value, `#${index + 1}`));
  }
  if (typeof params === 'object') {
    const entries = Object.entries(params as Record<string, unknown>);
    if (entries.length > MAX_PARAMS)
      throw invalidParam('set', `has ${entries.length} names; at most ${MAX_PARAMS} are allowed`);
    const named: Record<string, unknown> = {};
    for (const [key, value] of entries) {
      if (!PARAM_NAME.test(key))
        throw invalidParam(
          `"${key}"`,
          'has a name that is not a plain identifier (write it without the :, @ or $ prefix)',
        );
      named[key] = toBindValue(value, `"${key}"`);
    }
    return entries.length > 0 ? [named] : [];
  }
  throw invalidParam('set', 'must be an array (for ? placeholders) or an object (for :name placeholders)');
}
