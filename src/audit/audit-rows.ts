// The audit trail by id range, as a restore needs it: reading another copy of the database (a backup) and carrying
// rows over verbatim. Security: nothing here writes the live table except through a caller's transaction on a
// copy; the chain stays valid because rows are carried with their ids and hashes unchanged.
import type { Database } from 'better-sqlite3';
import { fromRawAuditRow as fromRaw, type AuditRow, type RawAuditRow as RawRow } from './entry.js';
import { quoteIdentifier as quote } from '../sql/identifiers.js';

export function auditTableExists(db: Database, table: string): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).pluck().get(table) !==
    undefined
  );
}

/** The highest audit id and its hash (0 and '' for an empty or absent table). */
export function auditTail(db: Database, table: string): { id: number; hash: string } {
  if (!auditTableExists(db, table)) return { id: 0, hash: '' };
  const row = db.prepare(`SELECT id, hash FROM ${quote(table)} ORDER BY id DESC LIMIT 1`).get() as
    { id: number; hash: string } | undefined;
  return row ?? { id: 0, hash: '' };
}

/** The hash of the row with this id, if there is one. */
export function auditHashAt(db: Database, table: string, id: number): string | undefined {
  if (!auditTableExists(db, table)) return undefined;
  return db
    .prepare(`SELECT hash FROM ${quote(table)} WHERE id = ?`)
    .pluck()
    .get(id) as string | undefined;
}

/** Every audit row after `afterId`, oldest first, verbatim. */
export function auditRowsAfter(db: Database, table: string, afterId: number): AuditRow[] {
  return (db.prepare(`SELECT * FROM ${quote(table)} WHERE id > ? ORDER BY id`).all(afterId) as RawRow[]).map(
    fromRaw,
  );
}

/** Audit detail a changing tool adds when a successful call changed nothing (a dry run, a listing). */
export const UNCHANGED_DETAIL = { changed: false } as const;

/**
 * Successful calls of tools that change the database, after `afterId`, oldest first — leaving out the ones known
 * to have changed nothing: `rows_affected = 0`, or `changed: false` in the details (UNCHANGED_DETAIL).
 */
export function changesAfter(
  db: Database,
  table: string,
  afterId: number,
  changingTools: readonly string[],
): AuditRow[] {
  if (changingTools.length === 0) return [];
  const marks = changingTools.map(() => '?').join(', ');
  const rows = db
    .prepare(
      `SELECT * FROM ${quote(table)}
       WHERE id > ? AND outcome = 'ok' AND tool IN (${marks})
         AND coalesce(rows_affected, -1) <> 0
         AND coalesce(CASE WHEN json_valid(details) THEN json_extract(details, '$.changed') END, 1) <> 0
       ORDER BY id`,
    )
    .all(afterId, ...changingTools) as RawRow[];
  return rows.map(fromRaw);
}

/**
 * Writes audit rows verbatim (same ids, hashes, prev_hash) into another copy of the database, inside the caller's
 * transaction. The chain stays valid only when the copy's rows up to the first carried row are the same rows.
 */
export function insertAuditRowsVerbatim(db: Database, table: string, rows: readonly AuditRow[]): void {
  const insert = db.prepare(
    `INSERT INTO ${quote(table)} (id, created_at, tool, outcome, error_code, duration_ms, client, target_type, target_id, details, rows_affected, prev_hash, hash)
     VALUES (@id, @createdAt, @tool, @outcome, @errorCode, @durationMs, @client, @targetType, @targetId, @details, @rowsAffected, @prevHash, @hash)`,
  );
  for (const row of rows) insert.run(row);
}
