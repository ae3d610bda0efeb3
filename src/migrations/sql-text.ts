// Where the statements of a migration chunk end and what keyword each starts with, read with the shared tokenizer
// (comments and all four quote styles skipped, `CREATE TRIGGER … BEGIN … END` kept in one piece).
// Invariant: it never decides what SQL *means* beyond its first keyword; SQLite itself parses what runs.
import { splitStatements, statementText } from '../sql/statements.js';
import { tokenize } from '../sql/tokenizer.js';
import { STATEMENT_BREAKPOINT } from './folder.js';

export interface ScannedStatement {
  /** The statement text, trimmed, without its terminating semicolon. */
  text: string;
  /** First keyword, upper-cased (e.g. "CREATE", "COMMIT"); "" when the statement does not start with a word. */
  keyword: string;
}

/** Keywords that would end, nest or split the one transaction all pending migrations run in. */
export const TRANSACTION_KEYWORDS = new Set(['BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE']);

export function scanStatements(sql: string): ScannedStatement[] {
  // Tolerant: SQLite, not this scan, judges the migration's text when it runs it.
  return splitStatements(tokenize(sql, { tolerant: true }), { triggerBodies: true }).map((tokens) => {
    const head = tokens[0];
    return { text: statementText(sql, tokens).trim(), keyword: head?.kind === 'word' ? head.value : '' };
  });
}

/** True when a chunk holds nothing but whitespace and comments (drizzle-orm throws on those; we skip them). */
export function isEmptyChunk(sql: string): boolean {
  return scanStatements(sql).length === 0;
}

/**
 * SQL written as one text (with or without drizzle-kit's `--> statement-breakpoint` markers) as the statements of
 * a migration file: one statement each — the stock migrator prepares each chunk alone, and a second statement in a
 * chunk makes it throw — with the comments before a statement kept with it, comments after the last one kept with
 * that, and its terminating `;` kept. Comment-only text gives no statements.
 */
export function splitMigrationStatements(sql: string): string[] {
  const text = sql.split(STATEMENT_BREAKPOINT).join('\n');
  const tokens = tokenize(text, { tolerant: true });
  const semicolons = tokens.filter((token) => token.kind === 'semicolon');
  const chunks: string[] = [];
  let cursor = 0;
  for (const statement of splitStatements(tokens, { triggerBodies: true })) {
    const last = statement[statement.length - 1]!;
    let end = semicolons.find((token) => token.start >= last.end)?.end ?? last.end;
    // A `-- comment` after the `;` on the same line is about this statement.
    const lineEnd = text.indexOf('\n', end) === -1 ? text.length : text.indexOf('\n', end);
    if (text.slice(end, lineEnd).trim().startsWith('--')) end = lineEnd;
    chunks.push(text.slice(cursor, end).trim());
    cursor = end;
  }
  const trailing = text.slice(cursor).trimEnd();
  if (trailing.trim() && chunks.length > 0) chunks[chunks.length - 1] += trailing;
  return chunks;
}
