// A small SQLite-aware scanner for migration chunks: where statements end and what keyword each starts with,
// skipping comments and all four quote styles, and keeping `CREATE TRIGGER … BEGIN … END` in one piece.
// Invariant: it never decides what SQL *means* beyond its first keyword; SQLite itself parses what runs.

export interface ScannedStatement {
  /** The statement text, trimmed, without its terminating semicolon. */
  text: string;
  /** First keyword, upper-cased (e.g. "CREATE", "COMMIT"); "" when the statement does not start with a word. */
  keyword: string;
}

/** Keywords that would end, nest or split the one transaction all pending migrations run in. */
export const TRANSACTION_KEYWORDS = new Set(['BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE']);

export function scanStatements(sql: string): ScannedStatement[] {
  const statements: ScannedStatement[] = [];
  let start = 0;
  let words: string[] = [];
  let depth = 0;
  let hasContent = false;
  const isTrigger = () => {
    const head = words.slice(0, 3);
    return (
      head[0] === 'CREATE' &&
      (head[1] === 'TRIGGER' || ((head[1] === 'TEMP' || head[1] === 'TEMPORARY') && head[2] === 'TRIGGER'))
    );
  };
  const finish = (end: number) => {
    if (hasContent)
      statements.push({ text: stripComments(sql.slice(start, end)).trim(), keyword: words[0] ?? '' });
    start = end + 1;
    words = [];
    depth = 0;
    hasContent = false;
  };
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const close = ch === '[' ? ']' : ch;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === close) {
          if (close !== ']' && sql[j + 1] === close) {
            j += 2;
            continue;
          }
          break;
        }
        j += 1;
      }
      hasContent = true;
      if (words.length === 0) words.push('');
      i = j + 1;
      continue;
    }
    if (ch === ';') {
      if (depth === 0) finish(i);
      i += 1;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j] as string)) j += 1;
      const word = sql.slice(i, j).toUpperCase();
      hasContent = true;
      words.push(word);
      if (isTrigger()) {
        if (word === 'BEGIN' || word === 'CASE') depth += 1;
        else if (word === 'END' && depth > 0) depth -= 1;
      }
      i = j;
      continue;
    }
    if (!/\s/.test(ch)) {
      hasContent = true;
      if (words.length === 0) words.push('');
    }
    i += 1;
  }
  finish(sql.length);
  return statements;
}

/** True when a chunk holds nothing but whitespace and comments (drizzle-orm throws on those; we skip them). */
export function isEmptyChunk(sql: string): boolean {
  return scanStatements(sql).length === 0;
}

function stripComments(text: string): string {
  // Only used for display; leading comments are the common case (`-- why` above a statement).
  return text.replace(/^(\s*(--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/))+/, '');
}
