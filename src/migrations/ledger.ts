// drizzle-orm's migrations ledger (`__drizzle_migrations` unless `migrations.table` says otherwise), kept
// byte-compatible with drizzle-orm's SQLite dialect: same DDL text, same columns, `id` always NULL (SERIAL is not
// INTEGER PRIMARY KEY in SQLite), `hash` = sha256 of the file, `created_at` = the journal's `when`. Invariant: the
// user's own `migrate()` and this server always agree on what has been applied.
import type { Database } from 'better-sqlite3';
import { AppError, fromSqliteError } from '../core/errors.js';
import { DEFAULT_LEDGER_TABLE } from '../guard/server-tables.js';
import { quoteIdentifier } from '../sql/identifiers.js';

export interface LedgerRow {
  /** SQLite rowid: the order rows were written in (drizzle's own `id` column is always NULL). */
  rowid: number;
  hash: string;
  /** `created_at` as a number (drizzle compares `Number(created_at)`); NaN when the cell is not numeric. */
  createdAt: number;
}

/**
 * The exact text drizzle-orm runs (whitespace included): SQLite stores it in sqlite_schema, so a table we create
 * is indistinguishable from one drizzle created.
 */
export function ledgerTableDdl(table: string): string {
  return `
			CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (
				id SERIAL PRIMARY KEY,
				hash text NOT NULL,
				created_at numeric
			)
		`;
}

export function ledgerExists(db: Database, table: string): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).pluck().get(table) !==
    undefined
  );
}

/** Refuses a table of that name with another shape: it is the app's own table, and our rows would corrupt it. */
function assertLedgerShape(db: Database, table: string): void {
  const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];
  const missing = ['hash', 'created_at'].filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new AppError(
      'MIGRATION_CONFLICT',
      `The table "${table}" exists but is not a drizzle migrations ledger (it lacks ${missing.join(', ')}).`,
      {
        hint: 'Set migrations.table in drizzle.config.ts to the ledger your project really uses, or rename the conflicting table.',
        details: { table, columns },
      },
    );
  }
}

export function ensureLedgerTable(db: Database, table: string = DEFAULT_LEDGER_TABLE): void {
  try {
    if (ledgerExists(db, table)) {
      assertLedgerShape(db, table);
      return;
    }
    db.exec(ledgerTableDdl(table));
  } catch (error) {
    throw fromSqliteError(error, `creating the migrations ledger "${table}"`);
  }
}

/** Applied rows in the order they were written; an absent table means nothing was applied (never creates it). */
export function readLedger(db: Database, table: string = DEFAULT_LEDGER_TABLE): LedgerRow[] {
  try {
    if (!ledgerExists(db, table)) return [];
    assertLedgerShape(db, table);
    const rows = db
      .prepare(`SELECT rowid AS rowid, hash, created_at FROM ${quoteIdentifier(table)} ORDER BY rowid`)
      .all() as Array<{
      rowid: number;
      hash: unknown;
      created_at: unknown;
    }>;
    return rows.map((row) => ({
      rowid: row.rowid,
      hash: String(row.hash),
      createdAt: Number(row.created_at),
    }));
  } catch (error) {
    throw fromSqliteError(error, `reading the migrations ledger "${table}"`);
  }
}

/** The same INSERT drizzle-orm runs: `created_at` bound as a JS number, so SQLite stores an integer. */
export function insertLedgerRow(db: Database, table: string, hash: string, createdAt: number): void {
  db.prepare(`INSERT INTO ${quoteIdentifier(table)} ("hash", "created_at") VALUES(?, ?)`).run(
    hash,
    createdAt,
  );
}
