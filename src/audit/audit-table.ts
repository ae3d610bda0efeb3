// Where our audit table lives in a database file: which of its tables are shaped like ours, and moving ours out of
// the way when the project claims its name. The choice of name itself is src/guard/server-tables.ts's
// (chooseAuditTable); this module only reads and renames. Security: a move renames only a table that has every one
// of our columns, inside one IMMEDIATE transaction, so a crash leaves the table under one name or the other.
import type { Database } from 'better-sqlite3';
import type { TableClaim } from '../guard/server-tables.js';
import { quoteIdentifier } from '../sql/identifiers.js';
import { auditTableDdl, hasAuditColumns } from './audit-log.js';

/** Every table of `db` (SQLite's own left out), and whether each has our audit columns. */
export function existingTableClaims(db: Database): TableClaim[] {
  const names = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .pluck()
    .all() as string[];
  return names.map((name) => ({
    name,
    auditShape: hasAuditColumns(
      db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(name) as string[],
    ),
  }));
}

/**
 * Renames our audit table `from` → `to`, and its indexes with it (their names embed the table's, and the project
 * that now owns `from` may create indexes of those very names). Rows, ids, hashes and the AUTOINCREMENT high-water
 * mark (SQLite renames its sqlite_sequence row too) are unchanged, so the chain still verifies.
 */
export function moveAuditTable(db: Database, from: string, to: string): void {
  const [, ...newIndexes] = auditTableDdl(to);
  const oldIndexes = auditTableDdl(from)
    .slice(1)
    .map((statement) => /^CREATE INDEX `((?:[^`]|``)+)`/.exec(statement)?.[1]?.replaceAll('``', '`'))
    .filter((name): name is string => name !== undefined);
  db.transaction(() => {
    db.exec(`ALTER TABLE ${quoteIdentifier(from)} RENAME TO ${quoteIdentifier(to)}`);
    const onOurTable = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?")
      .pluck()
      .all(to) as string[];
    for (const name of oldIndexes.filter((index) => onOurTable.includes(index)))
      db.exec(`DROP INDEX ${quoteIdentifier(name)}`);
    for (const statement of newIndexes) db.exec(statement);
  }).immediate();
}
