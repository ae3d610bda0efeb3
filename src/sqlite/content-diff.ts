// Which tables of two copies of a database hold different content: their definition, or any row (read in rowid or
// key order and hashed as it is stored). Used before a restore, which replaces the live content with the
// backup's: any difference — rows the application wrote itself included, which no audit row records — is
// something the restore would undo. Reads both copies, writes neither; O(size of the database).
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { quoteIdentifier } from '../sql/identifiers.js';

export interface TableDifference {
  table: string;
  /** Row count in the live database (null: the table is not there). */
  liveRows: number | null;
  /** Row count in the backup (null: the table is not there). */
  backupRows: number | null;
  /** Same rows count but different definition or content. */
  reason: 'only live' | 'only in backup' | 'definition' | 'rows';
}

interface TableState {
  sql: string | null;
  rows: number;
  digest: string;
}

function tables(db: Database, skip: (table: string) => boolean): Map<string, TableState> {
  const found = db
    .prepare(
      `SELECT name, sql FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name`,
    )
    .all() as Array<{ name: string; sql: string | null }>;
  const states = new Map<string, TableState>();
  for (const { name, sql } of found) {
    if (skip(name)) continue;
    const hash = createHash('sha256');
    let rows = 0;
    const stmt = db
      .prepare(`SELECT * FROM main.${quoteIdentifier(name)}`)
      .raw(true)
      .safeIntegers(true);
    for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
      rows += 1;
      hash.update(
        JSON.stringify(row, (_key, value: unknown) =>
          typeof value === 'bigint'
            ? `i:${value}`
            : Buffer.isBuffer(value)
              ? `b:${value.toString('base64')}`
              : value,
        ),
      );
      hash.update('\n');
    }
    states.set(name, { sql, rows, digest: hash.digest('hex') });
  }
  return states;
}

/** Every table whose definition or rows differ between `live` and `backup` (tables `skip` names left out). */
export function contentDifferences(
  live: Database,
  backup: Database,
  skip: (table: string) => boolean = () => false,
): TableDifference[] {
  const a = tables(live, skip);
  const b = tables(backup, skip);
  const differences: TableDifference[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const mine = a.get(name);
    const theirs = b.get(name);
    const reason: TableDifference['reason'] | undefined = !theirs
      ? 'only live'
      : !mine
        ? 'only in backup'
        : mine.sql !== theirs.sql
          ? 'definition'
          : mine.digest !== theirs.digest
            ? 'rows'
            : undefined;
    if (reason)
      differences.push({
        table: name,
        liveRows: mine?.rows ?? null,
        backupRows: theirs?.rows ?? null,
        reason,
      });
  }
  return differences;
}
