// The audit trail: one row per tool call, chained by sha256 so an edit, deletion or insertion made out of band
// is detectable. This module is the only place that writes or reads the audit table. Appends happen inside an
// IMMEDIATE transaction (the caller's, when a change and its audit row must commit together), so two server
// processes on one file still build a single chain.
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { AppError, databaseLocked, lockedCode, type Outcome } from '../core/errors.js';
import { shortenText } from '../core/text.js';
import { quoteIdentifier } from '../sql/identifiers.js';
import type { AuditAnchor, AnchorRecord } from './anchor.js';
import { isSecretName } from './secrets.js';
import { auditHashAt, auditRowsAfter, auditTail, changesAfter } from './audit-rows.js';
import { fromRawAuditRow, type AuditEntry, type AuditRow, type RawAuditRow } from './entry.js';

const COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['id', 'integer PRIMARY KEY AUTOINCREMENT NOT NULL'],
  ['created_at', 'text NOT NULL'],
  ['tool', 'text NOT NULL'],
  ['outcome', 'text NOT NULL'],
  ['error_code', 'text'],
  ['duration_ms', 'integer NOT NULL'],
  ['client', 'text'],
  ['target_type', 'text'],
  ['target_id', 'text'],
  ['details', 'text'],
  ['rows_affected', 'integer'],
  ['prev_hash', 'text NOT NULL'],
  ['hash', 'text NOT NULL'],
];

/** Our columns by name: a table that has them all is (or was made to be) our audit table. */
export const AUDIT_COLUMN_NAMES: readonly string[] = COLUMNS.map(([name]) => name);

/** Whether a table with these columns is shaped like our audit table (extra columns allowed, as ensureAuditTable allows). */
export function hasAuditColumns(columns: readonly string[]): boolean {
  const have = new Set(columns.map((name) => name.toLowerCase()));
  return AUDIT_COLUMN_NAMES.every((name) => have.has(name));
}

/** DDL in drizzle-kit's own formatting, so a table we create matches one generated from a Drizzle declaration. */
export function auditTableDdl(table: string): string[] {
  const q = (name: string) => '`' + name.replaceAll('`', '``') + '`';
  const body = COLUMNS.map(([name, type]) => `\t${q(name)} ${type}`).join(',\n');
  return [
    `CREATE TABLE ${q(table)} (\n${body}\n);`,
    `CREATE INDEX ${q(`${table}_created_at_idx`)} ON ${q(table)} (${q('created_at')});`,
    `CREATE INDEX ${q(`${table}_tool_idx`)} ON ${q(table)} (${q('tool')});`,
    `CREATE INDEX ${q(`${table}_outcome_idx`)} ON ${q(table)} (${q('outcome')});`,
    `CREATE INDEX ${q(`${table}_target_idx`)} ON ${q(table)} (${q('target_type')},${q('target_id')});`,
  ];
}

/**
 * Creates the audit table when it is missing; refuses to start on a table of that name with another shape
 * (it belongs to the user's app, and writing our rows into it would corrupt their data).
 */
export function ensureAuditTable(db: Database, table: string): { created: boolean } {
  const existing = db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];
  if (existing.length === 0) {
    const create = () => {
      for (const statement of auditTableDdl(table)) db.exec(statement);
    };
    // Inside a caller's transaction (the startup migration) the table commits with the caller's change.
    if (db.inTransaction) create();
    else db.transaction(create).immediate();
    return { created: true };
  }
  const missing = COLUMNS.map(([name]) => name).filter((name) => !existing.includes(name));
  if (missing.length > 0) {
    throw new AppError(
      'CONFIG_ERROR',
      `The database already has a table named "${table}" that is not this server's audit log (it lacks ${missing.join(', ')}).`,
      {
        hint: `Start the server with --audit-table <another name> (or --audit-db <file>) so the audit log does not touch your table.`,
      },
    );
  }
  return { created: false };
}

function canonical(row: Omit<AuditRow, 'hash'>): string {
  // A fixed field order, not JSON of the object: the hash must not depend on property order.
  return JSON.stringify([
    row.id,
    row.createdAt,
    row.tool,
    row.outcome,
    row.errorCode,
    row.durationMs,
    row.client,
    row.targetType,
    row.targetId,
    row.details,
    row.rowsAffected,
    row.prevHash,
  ]);
}

export function hashAuditRow(row: Omit<AuditRow, 'hash'>): string {
  return createHash('sha256').update(canonical(row)).digest('hex');
}

export interface AuditFilter {
  tool?: string;
  outcome?: Outcome;
  /** ISO timestamp (inclusive). */
  since?: string;
  targetType?: string;
  targetId?: string;
  /** Return rows with id lower than this (pagination cursor; rows come newest first). */
  beforeId?: number;
  limit: number;
}

export interface ChainVerification {
  ok: boolean;
  checkedRows: number;
  firstBroken?: { id: number; reason: string };
}

/** Lone UTF-16 surrogates: SQLite stores them as U+FFFD, so a hash over the JS string would not match the row. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Longest text kept per column; the details are bounded before (buildAuditDetails), this is the backstop. */
const FIELD_LIMITS = {
  createdAt: 64,
  tool: 128,
  outcome: 16,
  errorCode: 64,
  client: 256,
  targetType: 64,
  targetId: 512,
  details: 64 * 1024,
} as const;

/**
 * Security: the text exactly as SQLite will store it and hand it back — well-formed UTF-16 (a lone surrogate
 * would come back as U+FFFD and make an honest row's hash look forged) and bounded (a 10 MB tool name from a
 * client must not bloat the table).
 */
function storedText<T extends string | null>(value: T, max: number): T {
  if (value === null) return value;
  return shortenText(value.replace(LONE_SURROGATE, '\ufffd'), max) as T;
}

/**
 * Prepared statements for one audit table on one connection. Construct once per connection: preparing on every
 * call would put SQLite's parser on the hot path of every tool call.
 */
export class AuditLog {
  readonly table: string;
  private readonly db: Database;
  private readonly anchor: AuditAnchor | undefined;
  private readonly triggersStmt;
  private readonly lastHashStmt;
  private readonly insertStmt;
  private readonly updateHashStmt;
  private readonly beginStmt;
  private readonly commitStmt;
  private readonly rollbackStmt;

  constructor(db: Database, table: string, options: { anchor?: AuditAnchor } = {}) {
    this.db = db;
    this.table = table;
    this.anchor = options.anchor;
    // Security: schema-qualified, so a TEMP table of the same name on this connection cannot take our rows.
    const t = `main.${quoteIdentifier(table)}`;
    this.triggersStmt = db
      .prepare(
        `SELECT name FROM main.sqlite_schema WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE
         UNION ALL SELECT name FROM temp.sqlite_schema WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE`,
      )
      .pluck();
    this.lastHashStmt = db.prepare(`SELECT hash FROM ${t} ORDER BY id DESC LIMIT 1`).pluck();
    this.insertStmt = db.prepare(
      `INSERT INTO ${t} (created_at, tool, outcome, error_code, duration_ms, client, target_type, target_id, details, rows_affected, prev_hash, hash)
       VALUES (@createdAt, @tool, @outcome, @errorCode, @durationMs, @client, @targetType, @targetId, @details, @rowsAffected, @prevHash, '')`,
    );
    this.updateHashStmt = db.prepare(`UPDATE ${t} SET hash = ? WHERE id = ?`);
    // Prepared, not db.transaction(): a fresh transaction wrapper per append showed up in every call's profile.
    this.beginStmt = db.prepare('BEGIN IMMEDIATE');
    this.commitStmt = db.prepare('COMMIT');
    this.rollbackStmt = db.prepare('ROLLBACK');
  }

  get connection(): Database {
    return this.db;
  }

  /** Triggers on the audit table. The server creates none, so every one found was put there by someone else. */
  foreignTriggers(): string[] {
    return this.triggersStmt.all(this.table, this.table) as string[];
  }

  /**
   * Moves the anchor outside the database to the committed tail, once it has checked that the row the anchor
   * names is still there unchanged; otherwise freezes it with what it found (see anchor.ts). Call after rows were
   * committed (never inside an open transaction: an uncommitted row may still roll back).
   */
  syncAnchor(): void {
    if (!this.anchor || this.db.inTransaction) return;
    const anchored = this.anchor.read();
    const tail = this.tail();
    const at = new Date().toISOString();
    if (anchored && anchored.table === this.table) {
      if (anchored.mismatch) return;
      if (tail.id < anchored.id || this.hashAt(anchored.id) !== anchored.hash) {
        this.anchor.write({ ...anchored, mismatch: { foundId: tail.id, foundHash: tail.hash, at } });
        return;
      }
      if (tail.id === anchored.id) return;
    }
    if (tail.id > 0) this.anchor.write({ table: this.table, id: tail.id, hash: tail.hash, at });
  }

  /** The highest id and its hash (0 and '' while the log is empty). */
  tail(): { id: number; hash: string } {
    return auditTail(this.db, this.table);
  }

  /** The hash of the row with this id, if there is one. */
  hashAt(id: number): string | undefined {
    return auditHashAt(this.db, this.table, id);
  }

  /** Every row after `afterId`, oldest first, verbatim. */
  rowsAfter(afterId: number): AuditRow[] {
    return auditRowsAfter(this.db, this.table, afterId);
  }

  /** Successful changes by `changingTools` after `afterId` (see audit-rows.ts changesAfter). */
  changesAfter(afterId: number, changingTools: readonly string[]): AuditRow[] {
    return changesAfter(this.db, this.table, afterId, changingTools);
  }

  /**
   * Appends one row. Inside a caller's transaction the row commits (or rolls back) with the caller's change;
   * outside one it runs in its own IMMEDIATE transaction so the chain's tail cannot move under us.
   */
  append(entry: AuditEntry): { id: number; hash: string } {
    const run = () => {
      // Security: a trigger on the audit table runs with every append and could rewrite or remove the row.
      const triggers = this.foreignTriggers();
      if (triggers.length > 0) throw triggerError(this.table, triggers);
      const prevHash = (this.lastHashStmt.get() as string | undefined) ?? '';
      const base = {
        createdAt: storedText(entry.createdAt, FIELD_LIMITS.createdAt),
        tool: storedText(entry.tool, FIELD_LIMITS.tool),
        outcome: entry.outcome,
        errorCode: storedText(entry.errorCode ?? null, FIELD_LIMITS.errorCode),
        durationMs: Math.max(0, Math.round(entry.durationMs)),
        client: storedText(entry.client ?? null, FIELD_LIMITS.client),
        targetType: storedText(entry.targetType ?? null, FIELD_LIMITS.targetType),
        targetId: storedText(entry.targetId ?? null, FIELD_LIMITS.targetId),
        details: storedText(entry.details ?? null, FIELD_LIMITS.details),
        rowsAffected: entry.rowsAffected ?? null,
        prevHash,
      };
      // The id is part of the hashed content (so rows cannot be reordered); it is known only after the insert.
      const id = Number(this.insertStmt.run(base).lastInsertRowid);
      const hash = hashAuditRow({ id, ...base });
      this.updateHashStmt.run(hash, id);
      return { id, hash };
    };
    try {
      if (this.db.inTransaction) return run();
      this.beginStmt.run();
      try {
        const appended = run();
        this.commitStmt.run();
        return appended;
      } catch (error) {
        if (this.db.inTransaction) this.rollbackStmt.run();
        throw error;
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (lockedCode(error)) {
        throw databaseLocked(
          'The database is locked by another process, so the audit row (and the call) could not be written.',
          error,
        );
      }
      const sqliteCode = (error as { code?: unknown }).code;
      throw new AppError(
        'AUDIT_WRITE_FAILED',
        `The audit log could not be written: ${(error as Error).message}.`,
        {
          hint: 'Nothing was carried out or returned. Check that the database (or --audit-db) file is writable and the disk has space.',
          cause: error,
          ...(typeof sqliteCode === 'string' ? { details: { sqliteCode } } : {}),
        },
      );
    }
  }

  read(filter: AuditFilter): { rows: AuditRow[]; nextBeforeId?: number } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    const conditions = [
      ['tool', 'tool = @tool'],
      ['outcome', 'outcome = @outcome'],
      ['since', 'created_at >= @since'],
      ['targetType', 'target_type = @targetType'],
      ['targetId', 'target_id = @targetId'],
      ['beforeId', 'id < @beforeId'],
    ] as const;
    for (const [key, condition] of conditions) {
      if (filter[key] === undefined) continue;
      where.push(condition);
      params[key] = filter[key];
    }
    const sql = `SELECT * FROM main.${quoteIdentifier(this.table)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${filter.limit + 1}`;
    const raw = this.db.prepare(sql).all(params) as RawAuditRow[];
    const rows = raw.slice(0, filter.limit).map(fromRawAuditRow);
    const last = rows.at(-1);
    return raw.length > filter.limit && last ? { rows, nextBeforeId: last.id } : { rows };
  }

  /**
   * Walks the whole chain in id order: each row's hash and link, ids contiguous from 1 (AUTOINCREMENT never reuses
   * or skips an id in an honest log), the highest id against AUTOINCREMENT's high-water mark and against the anchor
   * kept outside the database (the only trace left when the tail was cut and sqlite_sequence rewound), and no
   * trigger on the table.
   */
  verify(): ChainVerification {
    let prevHash = '';
    let checkedRows = 0;
    let lastId = 0;
    const broken = (id: number, reason: string): ChainVerification => ({
      ok: false,
      checkedRows,
      firstBroken: { id, reason },
    });
    const triggers = this.foreignTriggers();
    if (triggers.length > 0)
      return broken(
        0,
        `the audit table carries ${describeTriggers(triggers)}, which the server did not create`,
      );
    const iter = this.db
      .prepare(`SELECT * FROM main.${quoteIdentifier(this.table)} ORDER BY id`)
      .iterate() as IterableIterator<RawAuditRow>;
    for (const raw of iter) {
      const row = fromRawAuditRow(raw);
      checkedRows += 1;
      if (row.id !== lastId + 1) {
        return broken(
          row.id,
          lastId === 0
            ? `the first row has id ${row.id}: rows before it were deleted`
            : `ids jump from ${lastId} to ${row.id}: rows between them were deleted`,
        );
      }
      if (row.prevHash !== prevHash)
        return broken(
          row.id,
          'prev_hash does not match the previous row: a row before it was deleted or inserted',
        );
      const { hash, ...rest } = row;
      if (hashAuditRow(rest) !== hash)
        return broken(row.id, 'the row content does not match its hash: the row was edited');
      prevHash = hash;
      lastId = row.id;
    }
    const seq = this.db
      .prepare(`SELECT seq FROM main.sqlite_sequence WHERE name = ?`)
      .pluck()
      .get(this.table) as number | undefined;
    if (seq !== undefined && seq > lastId)
      return broken(lastId + 1, `rows after id ${lastId} were deleted (ids up to ${seq} were issued)`);
    const anchored = this.anchor?.read();
    if (anchored && anchored.table === this.table) {
      const problem = anchorProblem(anchored, lastId, (id) => this.hashAt(id));
      if (problem) return broken(problem.id, problem.reason);
    }
    return { ok: true, checkedRows };
  }

  count(): number {
    return this.db
      .prepare(`SELECT count(*) FROM main.${quoteIdentifier(this.table)}`)
      .pluck()
      .get() as number;
  }
}

/** What the anchor outside the database says against the chain inside it, or undefined when they agree. */
function anchorProblem(
  anchored: AnchorRecord,
  lastId: number,
  hashAt: (id: number) => string | undefined,
): { id: number; reason: string } | undefined {
  const where = `the chain head recorded outside the database (row ${anchored.id}, at ${anchored.at})`;
  if (anchored.mismatch)
    return {
      id: anchored.id,
      reason: `${where} was missing or changed when the server next wrote (it found row ${anchored.mismatch.foundId} as the last, at ${anchored.mismatch.at}): rows were deleted, and perhaps replaced, out of band`,
    };
  if (lastId < anchored.id)
    return { id: lastId + 1, reason: `rows after id ${lastId} were deleted: ${where} is missing` };
  if (hashAt(anchored.id) !== anchored.hash)
    return { id: anchored.id, reason: `row ${anchored.id} differs from ${where}: the chain was rewritten` };
  return undefined;
}

function describeTriggers(triggers: readonly string[]): string {
  return `${triggers.length === 1 ? 'the trigger' : 'the triggers'} ${triggers.map((t) => `"${t}"`).join(', ')}`;
}

function triggerError(table: string, triggers: readonly string[]): AppError {
  return new AppError(
    'AUDIT_WRITE_FAILED',
    `The audit table "${table}" carries ${describeTriggers(triggers)}, which the server did not create and which would run on every audit row; nothing is carried out until it is removed.`,
    {
      hint: `Ask the human to inspect and drop it (DROP TRIGGER …) outside the assistant; read_audit_log with verify: true reports it too.`,
      details: { table, triggers },
    },
  );
}

const MAX_STRING = 1024;
const MAX_DETAILS = 8 * 1024;

/**
 * Arguments as audit details: values under keys that name a secret (isSecretName) redacted, long strings shortened, and the whole
 * thing bounded; when anything was cut, the sha256 of the full (redacted) JSON is kept so a person can still
 * match it against what they sent. Secrets are never hashed: a hash of a short password is as good as the password.
 */
export function buildAuditDetails(value: unknown): string | null {
  if (value === undefined) return null;
  let shortened = false;
  const walk = (v: unknown, depth: number, shorten: boolean): unknown => {
    if (typeof v === 'string') {
      if (!shorten || v.length <= MAX_STRING) return v;
      shortened = true;
      return shortenText(v, MAX_STRING);
    }
    if (typeof v === 'bigint') return v.toString();
    if (v === null || typeof v !== 'object') return v;
    if (depth > 8) return '[nested too deep]';
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1, shorten));
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(v)) {
      out[key] =
        isSecretName(key) && inner !== null && inner !== undefined
          ? '[redacted]'
          : walk(inner, depth + 1, shorten);
    }
    return out;
  };
  const full = JSON.stringify(walk(value, 0, false)) ?? 'null';
  const compact = JSON.stringify(walk(value, 0, true)) ?? 'null';
  const sha256 = () => createHash('sha256').update(full).digest('hex');
  if (compact.length > MAX_DETAILS) {
    return JSON.stringify({
      truncated: compact.slice(0, MAX_DETAILS),
      sha256: sha256(),
      length: full.length,
    });
  }
  if (shortened)
    return JSON.stringify({ value: JSON.parse(compact) as unknown, sha256: sha256(), length: full.length });
  return compact;
}
