// What the migrations' own SQL builds: the applied migrations run, in order, on an empty in-memory database,
// then introspected. Drift compares the live database with it to tell a migration edited by hand after drizzle-kit
// wrote its snapshot (the database is as the migrations built it) from a change made outside the migrations.
// The statements run as the apply runs them: the statement policy's plan, so the transaction-control idiom and
// `PRAGMA foreign_keys` that the apply neutralises are skipped here too (raw, a `COMMIT` with no transaction open
// would stop the replay, and a history built by our apply would read as changed outside the migrations).
// Invariant: touches nothing but its own in-memory database; any SQL that does not run here gives no answer
// (undefined) rather than a wrong one.
import Database from 'better-sqlite3';
import { splitStatements } from '../sql/ddl.js';
import { introspectDatabase, type DatabaseSchema } from '../sqlite/introspect.js';
import type { FolderMigration } from './folder.js';
import { classifyStatement, type ClassifiedStatement } from './lint-sql.js';
import { planMigrations } from './statement-policy.js';

export function replayMigrations(migrations: readonly FolderMigration[]): DatabaseSchema | undefined {
  const db = new Database(':memory:');
  try {
    db.pragma('foreign_keys = OFF');
    // Nothing is the server's in this private database; a refused statement throws, and gives no answer.
    const plans = planMigrations(migrations, { tables: { isProtected: () => false }, existingTables: [] });
    for (const plan of plans)
      for (const statement of plan.statements) if (statement.action === 'run') db.exec(statement.text);
    return introspectDatabase(db, { rowCounts: false });
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

/** The tags of the migrations whose statements create, alter, rename, index or drop `table`, in order. */
export function migrationsTouching(migrations: readonly FolderMigration[], table: string): string[] {
  const wanted = table.toLowerCase();
  return migrations
    .filter((migration) =>
      splitStatements(migration.sql).some((statement) =>
        tablesOf(classifyStatement(statement)).some((name) => name.toLowerCase() === wanted),
      ),
    )
    .map((migration) => migration.tag);
}

function tablesOf(statement: ClassifiedStatement): string[] {
  switch (statement.kind) {
    case 'create_table':
    case 'create_index':
      return [statement.parsed.table];
    case 'rename_table':
      return [statement.table, statement.to];
    case 'rename_column':
    case 'add_column':
    case 'drop_column':
      return [statement.table];
    case 'drop':
      return statement.object === 'TABLE' ? [statement.name] : [];
    default:
      return [];
  }
}
