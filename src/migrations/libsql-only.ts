// SQL that libSQL runs and SQLite does not. drizzle-kit writes it for `dialect: "turso"` (a changed column becomes
// `ALTER TABLE t ALTER COLUMN c TO c <definition>`), so a Turso project's history can hold statements that are
// right where they run — on libSQL — and that this server, which rehearses and applies with SQLite, cannot run.
// Invariant: decided on tokens before anything runs, so such a migration is refused naming the file and the
// statement, never reported as SQLite's "syntax error".
import { isWord, qualifiedName, splitStatements } from '../sql/ddl.js';
import type { FolderMigration } from './folder.js';

export interface LibsqlOnlyStatement {
  /** 1-based chunk (statement-breakpoint section) of the migration file. */
  chunk: number;
  /** The statement, shortened. */
  text: string;
  table: string;
  column: string;
}

/** libSQL's `ALTER TABLE t ALTER COLUMN c TO …` statements of one migration. */
export function libsqlOnlyStatements(migration: Pick<FolderMigration, 'chunks'>): LibsqlOnlyStatement[] {
  const found: LibsqlOnlyStatement[] = [];
  migration.chunks.forEach((chunk, index) => {
    for (const statement of splitStatements(chunk)) {
      const t = statement.tokens;
      if (!isWord(t[0], 'ALTER') || !isWord(t[1], 'TABLE')) continue;
      const { name, next } = qualifiedName(t, 2);
      if (!isWord(t[next], 'ALTER')) continue;
      const columnAt = isWord(t[next + 1], 'COLUMN') ? next + 2 : next + 1;
      const column = t[columnAt];
      found.push({
        chunk: index + 1,
        text: statement.text.length > 200 ? `${statement.text.slice(0, 200)}…` : statement.text,
        table: name ?? '?',
        column: column?.kind === 'word' ? column.text : (column?.value ?? '?'),
      });
    }
  });
  return found;
}
