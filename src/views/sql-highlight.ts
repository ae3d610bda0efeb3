// SQL as a person reads it in a review: keywords, names, strings and comments told apart, and the words that
// destroy or rewrite data (DROP, DELETE, UPDATE, …) marked so they cannot be missed. It reads SQL through the
// project's one tokenizer (tolerant, as for migration files), so what is highlighted is what SQLite will see; the
// text between tokens (spaces and comments) is shown as it is. Every piece of text is escaped.
import { tokenize, type Token } from '../sql/tokenizer.js';
import { html, type Html } from './html.js';

const KEYWORDS = new Set(
  (
    'ABORT ACTION ADD AFTER ALL ALTER ALWAYS AND AS ASC AUTOINCREMENT BEFORE BEGIN BETWEEN BY CASCADE CASE CAST ' +
    'CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DEFAULT ' +
    'DEFERRABLE DEFERRED DESC DISTINCT DO EACH ELSE END ESCAPE EXCEPT EXISTS EXPLAIN FAIL FOR FOREIGN FROM FULL ' +
    'GENERATED GLOB GROUP HAVING IF IGNORE IMMEDIATE IN INDEX INITIALLY INNER INTO IS ISNULL JOIN KEY LEFT LIKE ' +
    'LIMIT MATCH NATURAL NO NOT NOTHING NOTNULL NULL OF OFFSET ON OR ORDER OUTER PRAGMA PRIMARY QUERY RAISE ' +
    'RECURSIVE REFERENCES RENAME RESTRICT RETURNING RIGHT ROLLBACK ROW ROWID SAVEPOINT SELECT SET STORED STRICT ' +
    'TABLE TEMP TEMPORARY THEN TO TRANSACTION TRIGGER UNION UNIQUE USING VALUES VIEW VIRTUAL WHEN WHERE WITH WITHOUT ' +
    'INTEGER TEXT REAL BLOB NUMERIC'
  ).split(' '),
);

/** Words that remove or rewrite stored data or schema objects. */
const DANGER = new Set([
  'DROP',
  'DELETE',
  'UPDATE',
  'REPLACE',
  'TRUNCATE',
  'ALTER',
  'INSERT',
  'VACUUM',
  'ATTACH',
  'DETACH',
]);

function classOf(token: Token): string | undefined {
  switch (token.kind) {
    case 'word':
      if (DANGER.has(token.value)) return 'sql-danger';
      return KEYWORDS.has(token.value) ? 'sql-kw' : 'sql-name';
    case 'quoted':
      return 'sql-name';
    case 'string':
    case 'blob':
      return 'sql-str';
    case 'number':
      return 'sql-num';
    case 'param':
      return 'sql-param';
    default:
      return undefined;
  }
}

export function highlightSql(sql: string): Html {
  let tokens: Token[];
  try {
    tokens = tokenize(sql, { tolerant: true });
  } catch {
    return html`${sql}`;
  }
  const parts: Html[] = [];
  let at = 0;
  for (const token of tokens) {
    if (token.start > at) parts.push(gap(sql.slice(at, token.start)));
    const cls = classOf(token);
    parts.push(cls ? html`<span class="${cls}">${token.text}</span>` : html`${token.text}`);
    at = token.end;
  }
  if (at < sql.length) parts.push(gap(sql.slice(at)));
  return html`${parts}`;
}

function gap(text: string): Html {
  return text.trim() === '' ? html`${text}` : html`<span class="sql-comment">${text}</span>`;
}
