// drizzle-orm's migrations ledger (`__drizzle_migrations` unless `migrations.table` says otherwise), kept
// byte-compatible with the drizzle-orm line whose folder layout the project uses: 0.x's table (`id SERIAL PRIMARY
// KEY, hash, created_at`; `id` always NULL, since SERIAL is not INTEGER PRIMARY KEY in SQLite; `created_at` = the
// journal's `when`) for the journal layout, and 1.0's (`+ name, applied_at`; a 0.x ledger upgraded in place exactly
// as drizzle-orm 1.0 does it, see ledger-shape.ts) for the folder layout. Invariant: the user's own `migrate()` and
// this server always agree on what has been applied, and the apply and its dry run write the ledger only through
// `openLedgerWriter`.
import type { Database } from 'better-sqlite3';
import { AppError, fromSqliteError } from '../core/errors.js';
import { DEFAULT_LEDGER_TABLE } from '../guard/server-tables.js';
import { quoteIdentifier } from '../sql/identifiers.js';
import { type FolderMigration, isFolderLayout, type MigrationFolder } from './folder.js';
import {
  detectLedgerShape,
  insertV1LedgerRow,
  type LedgerShape,
  planLedgerUpgrade,
  readLedgerEntries,
  upgradeLedgerInPlace,
  v1LedgerDdl,
} from './ledger-shape.js';

export interface LedgerRow {
  /** SQLite rowid: the order rows were written in (drizzle's own `id` column is NULL but on 1.0's own table). */
  rowid: number;
  /** The `id` column: a number only on drizzle-orm 1.0's own table (or one written by hand). */
  id?: number | null;
  hash: string;
  /** `created_at` as a number (drizzle compares `Number(created_at)`); NaN when the cell is not numeric. */
  createdAt: number;
  /**
   * drizzle-orm 1.0's `name` (the migration folder): undefined when the ledger has no such column (0.x's shape),
   * null when it has one but this row holds none.
   */
  name?: string | null;
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

/** Applied rows in the order they were written; an absent table means nothing was applied (never creates it). */
export function readLedger(db: Database, table: string = DEFAULT_LEDGER_TABLE): LedgerRow[] {
  try {
    if (!ledgerExists(db, table)) return [];
    assertLedgerShape(db, table);
    const named = detectLedgerShape(db, table).shape !== 'v0';
    return readLedgerEntries(db, table).map((entry) => ({
      rowid: entry.rowid,
      id: entry.id,
      hash: entry.hash,
      createdAt: Number(entry.createdAt),
      ...(named ? { name: entry.name } : {}),
    }));
  } catch (error) {
    throw fromSqliteError(error, `reading the migrations ledger "${table}"`);
  }
}

/** How an apply (or its dry run) records the migrations it runs, inside its own transaction. */
export interface LedgerWriter {
  /** The ledger's shape before the apply touched it. */
  shapeBefore: LedgerShape;
  /** True when a 0.x ledger was upgraded to drizzle-orm 1.0's columns, as 1.0's own migrate() would have. */
  upgraded: boolean;
  /** Writes the row the matching drizzle-orm migrator writes for `migration`. */
  record(migration: FolderMigration): void;
}

/**
 * Makes the ledger ready for the apply's rows and returns how to write them, by the folder's layout and the ledger's
 * shape. Journal layout: 0.x's table and `INSERT ("hash", "created_at")` — what drizzle-orm 0.x writes on any shape.
 * Folder layout: 1.0's table, or a 0.x ledger upgraded in place by drizzle-orm 1.0's own rules (refused, changing
 * nothing, when a row matches no folder), then 1.0's row (`name`, `applied_at`). Call it inside the transaction that
 * runs the migrations, so an upgrade commits or rolls back with them.
 */
export function openLedgerWriter(
  db: Database,
  table: string,
  folder: Pick<MigrationFolder, 'layout' | 'migrations'>,
  now: () => Date = () => new Date(),
): LedgerWriter {
  try {
    const { shape } = detectLedgerShape(db, table);
    if (shape === 'foreign') assertLedgerShape(db, table);
    if (!isFolderLayout(folder)) {
      if (shape === 'absent') db.exec(ledgerTableDdl(table));
      return {
        shapeBefore: shape,
        upgraded: false,
        record: (migration) => insertLedgerRow(db, table, migration.hash, migration.when),
      };
    }
    if (shape === 'absent') db.exec(v1LedgerDdl(table));
    if (shape === 'v0') {
      const candidates = folder.migrations.map((m) => ({ name: m.tag, createdAt: m.when, hash: m.hash }));
      upgradeLedgerInPlace(db, table, planLedgerUpgrade(readLedgerEntries(db, table), candidates));
    }
    return {
      shapeBefore: shape,
      upgraded: shape === 'v0',
      record: (migration) =>
        insertV1LedgerRow(db, table, {
          hash: migration.hash,
          createdAt: migration.when,
          name: migration.tag,
          appliedAt: now().toISOString(),
        }),
    };
  } catch (error) {
    throw fromSqliteError(error, `preparing the migrations ledger "${table}"`);
  }
}

/** The same INSERT drizzle-orm runs: `created_at` bound as a JS number, so SQLite stores an integer. */
export function insertLedgerRow(db: Database, table: string, hash: string, createdAt: number): void {
  db.prepare(`INSERT INTO ${quoteIdentifier(table)} ("hash", "created_at") VALUES(?, ?)`).run(
    hash,
    createdAt,
  );
}
