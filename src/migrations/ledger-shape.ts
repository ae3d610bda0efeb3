// The shapes drizzle-orm leaves its migrations ledger in, and drizzle-orm 1.0's own upgrade of a 0.x ledger, replayed
// exactly. Shapes: `v0` — `id SERIAL PRIMARY KEY, hash, created_at` (every 0.x SQLite migrator; SERIAL is no rowid
// alias, so ids are NULL); `v1-upgraded` — that table after 1.0's `ALTER TABLE … ADD "name", ADD "applied_at"` (ids stay
// NULL); `v1` — 1.0's own `id INTEGER PRIMARY KEY, hash, created_at, name, applied_at`. Invariants: detecting and
// reading never write; `planLedgerUpgrade` matches rows to migrations by drizzle-orm 1.0.0-rc.5's rules and
// `upgradeLedgerInPlace` runs the statements it runs (orm/up-migrations/sqlite.js:25-75), in the caller's transaction,
// so that afterwards drizzle-orm 1.0 sees a ledger it would have made itself. References are into the npm tarball of
// drizzle-orm 1.0.0-rc.5 (under package/).
import type { Database } from 'better-sqlite3';
import { AppError } from '../core/errors.js';
import { quoteIdentifier } from '../sql/identifiers.js';

export type LedgerShape = 'absent' | 'v0' | 'v1-upgraded' | 'v1' | 'foreign';

export interface LedgerShapeInfo {
  shape: LedgerShape;
  /** Column names in table order (empty when absent). */
  columns: string[];
  /** `id` is an INTEGER PRIMARY KEY (a rowid alias): ids are real numbers, not NULL. */
  idIsRowid: boolean;
}

/** One ledger row on any shape; `name`/`appliedAt` are null on a v0 ledger. */
export interface LedgerEntry {
  rowid: number;
  id: number | null;
  hash: string;
  /** `created_at` as stored (a number on every ledger drizzle wrote; kept as is so the upgrade sees what drizzle sees). */
  createdAt: number | string | null;
  name: string | null;
  appliedAt: string | null;
}

/** What the upgrade needs to know of a local migration (a 1.0 folder). */
export interface UpgradeCandidate {
  /** Folder name. */
  name: string;
  /** `Date.UTC` of the folder name's time (drizzle-orm's `folderMillis`). */
  createdAt: number;
  hash: string;
}

export interface LedgerUpgradeMatch {
  rowid: number;
  name: string;
  /** How drizzle-orm's backfill `UPDATE` finds the row: by id when it has one, else by what matched. */
  by: 'id' | 'millis' | 'hash';
  /** The value the `UPDATE … WHERE` binds (drizzle binds `created_at` as its string form). */
  key: number | string;
}

export interface LedgerUpgradePlan {
  matches: LedgerUpgradeMatch[];
  /** Rows drizzle-orm 1.0 cannot match to any local migration: its migrate() throws and changes nothing. */
  unmatched: LedgerEntry[];
}

/**
 * drizzle-orm 1.0's ledger DDL (orm/sqlite-core/async/session.js:194-201), whitespace included: SQLite keeps the text
 * in sqlite_schema, so a ledger we create is indistinguishable from one drizzle created.
 */
export function v1LedgerDdl(table: string): string {
  return `
			CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (
				id INTEGER PRIMARY KEY,
				hash text NOT NULL,
				created_at numeric,
				name text,
				applied_at TEXT
			)`;
}

export function detectLedgerShape(db: Database, table: string): LedgerShapeInfo {
  const exists =
    db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).pluck().get(table) !==
    undefined;
  if (!exists) return { shape: 'absent', columns: [], idIsRowid: false };
  const info = db.prepare(`SELECT name, type, pk FROM pragma_table_info(?)`).all(table) as Array<{
    name: string;
    type: string;
    pk: number;
  }>;
  const columns = info.map((column) => column.name);
  const id = info.find((column) => column.name === 'id');
  const primaryKeyColumns = info.filter((column) => column.pk > 0).length;
  // SQLite makes a column a rowid alias only when its declared type is exactly INTEGER and it is the sole key.
  const idIsRowid =
    id !== undefined && id.pk === 1 && primaryKeyColumns === 1 && id.type.toUpperCase() === 'INTEGER';
  let shape: LedgerShape;
  if (!columns.includes('hash') || !columns.includes('created_at')) shape = 'foreign';
  // drizzle-orm 1.0 itself asks only this question (orm/up-migrations/utils.js).
  else if (!columns.includes('name')) shape = 'v0';
  else shape = idIsRowid ? 'v1' : 'v1-upgraded';
  return { shape, columns, idIsRowid };
}

/** Rows in the order they were written (rowid); empty when the table is absent. Refuses a foreign table. */
export function readLedgerEntries(db: Database, table: string): LedgerEntry[] {
  const { shape, columns } = detectLedgerShape(db, table);
  if (shape === 'absent') return [];
  if (shape === 'foreign') {
    throw new AppError('MIGRATION_CONFLICT', `The table "${table}" is not a drizzle migrations ledger.`, {
      hint: 'Set migrations.table in drizzle.config.ts to the ledger your project really uses, or rename the conflicting table.',
      details: { table, columns },
    });
  }
  const hasV1Columns = shape !== 'v0';
  const rows = db
    .prepare(
      `SELECT rowid AS "rowid", ${columns.includes('id') ? '"id"' : 'NULL'} AS "id", "hash", "created_at",
        ${hasV1Columns ? '"name", "applied_at"' : 'NULL AS "name", NULL AS "applied_at"'}
       FROM ${quoteIdentifier(table)} ORDER BY rowid`,
    )
    .all() as Array<{
    rowid: number;
    id: unknown;
    hash: unknown;
    created_at: unknown;
    name: unknown;
    applied_at: unknown;
  }>;
  return rows.map((row) => ({
    rowid: row.rowid,
    id: typeof row.id === 'number' || typeof row.id === 'bigint' ? Number(row.id) : null,
    hash: String(row.hash),
    createdAt:
      typeof row.created_at === 'number' || typeof row.created_at === 'string' ? row.created_at : null,
    name: row.name === null || row.name === undefined ? null : String(row.name),
    appliedAt: row.applied_at === null || row.applied_at === undefined ? null : String(row.applied_at),
  }));
}

/**
 * drizzle-orm 1.0's matching of 0.x rows to 1.0 folders (`upToV1Sync`): a row's `created_at` truncated to the second
 * picks the folders of that second; exactly one is taken without comparing hashes, several are told apart by hash,
 * none falls back to any folder with the same hash. Pure: status uses it to predict, the apply to execute.
 */
export function planLedgerUpgrade(
  rows: readonly LedgerEntry[],
  migrations: readonly UpgradeCandidate[],
): LedgerUpgradePlan {
  const sorted = [...migrations].sort((a, b) =>
    a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : a.name.localeCompare(b.name),
  );
  const byMillis = new Map<number, UpgradeCandidate[]>();
  const byHash = new Map<string, UpgradeCandidate>();
  for (const migration of sorted) {
    byMillis.set(migration.createdAt, [...(byMillis.get(migration.createdAt) ?? []), migration]);
    byHash.set(migration.hash, migration);
  }
  const plan: LedgerUpgradePlan = { matches: [], unmatched: [] };
  // drizzle reads `ORDER BY id`; with 0.x's NULL ids that is write order, and each row is matched on its own.
  const ordered = [...rows].sort((a, b) => (a.id ?? -Infinity) - (b.id ?? -Infinity) || a.rowid - b.rowid);
  for (const row of ordered) {
    const stringified = String(row.createdAt);
    const millis = Number(`${stringified.substring(0, stringified.length - 3)}000`);
    const candidates = byMillis.get(millis);
    let matched: UpgradeCandidate | undefined;
    let by: 'millis' | 'hash' | undefined;
    if (candidates?.length === 1) {
      matched = candidates[0];
      by = 'millis';
    } else if (candidates && candidates.length > 1) {
      matched = candidates.find((candidate) => candidate.hash && row.hash && candidate.hash === row.hash);
      if (matched) by = 'hash';
    } else {
      matched = byHash.get(row.hash);
      if (matched) by = 'hash';
    }
    if (!matched || !by) {
      plan.unmatched.push(row);
      continue;
    }
    if (row.id) plan.matches.push({ rowid: row.rowid, name: matched.name, by: 'id', key: row.id });
    else if (by === 'millis')
      plan.matches.push({ rowid: row.rowid, name: matched.name, by, key: stringified });
    else plan.matches.push({ rowid: row.rowid, name: matched.name, by, key: row.hash });
  }
  return plan;
}

/**
 * Upgrades a v0 ledger to drizzle-orm 1.0's columns with the statements drizzle-orm runs, inside the caller's
 * transaction. Refuses (changing nothing) when a row matches no migration — drizzle-orm would throw there too.
 */
export function upgradeLedgerInPlace(db: Database, table: string, plan: LedgerUpgradePlan): void {
  if (plan.unmatched.length > 0) {
    const rows = plan.unmatched.map(
      (row) => `created_at=${String(row.createdAt)} hash ${row.hash.slice(0, 12)}`,
    );
    throw new AppError(
      'MIGRATION_CONFLICT',
      `The migrations ledger "${table}" records ${plan.unmatched.length} migration(s) that no folder in the migrations folder matches (${rows.join('; ')}); drizzle-orm 1.0 cannot upgrade this ledger.`,
      {
        hint: 'Restore the missing migration folders from version control (the ones applied to this database), then try again. Nothing was changed.',
        details: { table, unmatched: plan.unmatched },
      },
    );
  }
  const quoted = quoteIdentifier(table);
  db.prepare(`ALTER TABLE ${quoted} ADD COLUMN "name" text`).run();
  db.prepare(`ALTER TABLE ${quoted} ADD COLUMN "applied_at" TEXT`).run();
  const where = { id: '"id"', millis: '"created_at"', hash: '"hash"' } as const;
  for (const match of plan.matches) {
    db.prepare(`UPDATE ${quoted} SET "name" = ?, "applied_at" = NULL WHERE ${where[match.by]} = ?`).run(
      match.name,
      match.key,
    );
  }
}

/** The row drizzle-orm 1.0's migrator writes for an applied migration (id left to SQLite, as drizzle does). */
export function insertV1LedgerRow(
  db: Database,
  table: string,
  row: { hash: string; createdAt: number; name: string; appliedAt: string },
): void {
  db.prepare(
    `INSERT INTO ${quoteIdentifier(table)} ("hash", "created_at", "name", "applied_at") VALUES (?, ?, ?, ?)`,
  ).run(row.hash, row.createdAt, row.name, row.appliedAt);
}
