// The tables a project declares for itself in its migrations folder: every table a migration creates (or renames
// something to), and every table of the latest snapshot. The server must never create, alter or write any of them
// as its own (src/guard/server-tables.ts chooseAuditTable decides our audit table's name from this). Pure reading:
// statements are classified on tokens (src/migrations/lint-sql.ts), never executed.
import { splitStatements } from '../sql/ddl.js';
import { classifyStatement } from './lint-sql.js';
import type { MigrationFolder } from './folder.js';

export interface DeclaredTable {
  name: string;
  /** Column names as declared, when known (the snapshot's, else the CREATE TABLE's). */
  columns: string[];
}

/** Tables the folder's migration SQL (`sql` of each migration, plus any other files given) and latest snapshot declare. */
export function declaredTables(folder: MigrationFolder, otherSql: readonly string[] = []): DeclaredTable[] {
  const byName = new Map<string, DeclaredTable>();
  const declare = (name: string, columns: string[], authoritative: boolean) => {
    const key = name.toLowerCase();
    const known = byName.get(key);
    if (!known || authoritative) byName.set(key, { name, columns });
  };
  for (const sql of [...folder.migrations.map((migration) => migration.sql), ...otherSql]) {
    for (const statement of splitStatements(sql)) {
      const classified = classifyStatement(statement);
      if (classified.kind === 'create_table' && !classified.parsed.temporary) {
        declare(
          classified.parsed.table,
          classified.parsed.columns.map((column) => column.name),
          false,
        );
      } else if (classified.kind === 'rename_table' && classified.to !== '') {
        declare(classified.to, byName.get(classified.table.toLowerCase())?.columns ?? [], false);
      }
    }
  }
  const tables = (folder.latestSnapshot?.tables ?? {}) as Record<
    string,
    { name?: unknown; columns?: Record<string, { name?: unknown }> }
  >;
  for (const table of Object.values(tables)) {
    if (typeof table.name !== 'string') continue;
    const columns = Object.values(table.columns ?? {})
      .map((column) => column.name)
      .filter((name): name is string => typeof name === 'string');
    declare(table.name, columns, true);
  }
  return [...byName.values()];
}
