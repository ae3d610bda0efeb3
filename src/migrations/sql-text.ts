// Where the statements of a migration chunk end and what keyword each starts with, read with the shared tokenizer
// (comments and all four quote styles skipped, `CREATE TRIGGER … BEGIN … END` kept in one piece).
// Invariant: it never decides what SQL *means* beyond its first keyword; SQLite itself parses what runs.
import { splitStatements, statementText } from '../sql/statements.js';
import { tokenize } from '../sql/tokenizer.js';

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
