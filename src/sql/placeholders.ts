// Which column each bound parameter of a statement feeds, read from its tokens: `col = ?` / `? = col` (SET and
// WHERE; also <, <=, LIKE and the other comparisons), and the VALUES rows of `INSERT INTO t (a, b) VALUES (?, ?)`. Used to decide which bound values are
// secrets by the column they go to, never by the name a caller gave the placeholder. A placeholder whose column
// cannot be read is reported without one. Pure; read tolerantly (it describes, never decides what runs).
import { tokenize, type Token } from './tokenizer.js';

export interface Placeholder {
  /** How the caller binds it: its position among the anonymous `?` (0-based), or its name without the prefix. */
  key: number | string;
  /** The placeholder as written (`?`, `?3`, `:token`). */
  text: string;
  /** The column it feeds, when the statement says. */
  column?: string;
}

const nameOf = (token: Token | undefined): string | undefined =>
  token?.kind === 'word' ? token.text : token?.kind === 'quoted' ? token.value : undefined;

const COMPARISONS = new Set(['=', '==', '<', '<=', '>', '>=', '<>', '!=']);
const COMPARISON_WORDS = new Set(['LIKE', 'GLOB', 'IS', 'MATCH', 'REGEXP']);

/** `col = ?`, `col <= ?`, `col LIKE ?` …: the operator that ties a placeholder to the column beside it. */
function isComparison(token: Token | undefined): boolean {
  return (
    (token?.kind === 'op' && COMPARISONS.has(token.text)) ||
    (token?.kind === 'word' && COMPARISON_WORDS.has(token.value))
  );
}

function keyOf(token: Token, anonymous: { next: number }): number | string {
  if (token.text === '?') return anonymous.next++;
  if (token.text.startsWith('?')) {
    const index = Number(token.text.slice(1)) - 1;
    anonymous.next = Math.max(anonymous.next, index + 1);
    return index;
  }
  return token.text.slice(1);
}

/** The columns of `INSERT … INTO t (a, b, …)`, by position, or undefined. */
function insertColumns(tokens: readonly Token[]): string[] | undefined {
  const into = tokens.findIndex((t) => t.kind === 'word' && t.value === 'INTO');
  if (into === -1) return undefined;
  let i = into + 2;
  if (tokens[i]?.kind === 'dot') i += 2;
  if (tokens[i]?.kind === 'word' && tokens[i]!.value === 'AS') i += 2;
  if (tokens[i]?.kind !== 'lparen') return undefined;
  const columns: string[] = [];
  for (i += 1; i < tokens.length && tokens[i]!.kind !== 'rparen'; i++) {
    const name = nameOf(tokens[i]);
    if (name !== undefined && tokens[i + 1]?.kind !== 'dot') columns.push(name);
  }
  return columns;
}

export function placeholders(sql: string): Placeholder[] {
  let tokens: Token[];
  try {
    tokens = tokenize(sql, { tolerant: true });
  } catch {
    return [];
  }
  const columns = insertColumns(tokens);
  const anonymous = { next: 0 };
  const found: Placeholder[] = [];
  // Position of each token within the VALUES row (depth-1 group) it sits in, for INSERT column mapping.
  let depth = 0;
  let afterValues = false;
  let position = 0;
  for (const [i, token] of tokens.entries()) {
    if (token.kind === 'word' && token.value === 'VALUES' && depth === 0) afterValues = true;
    if (token.kind === 'lparen') {
      depth++;
      if (depth === 1) position = 0;
    } else if (token.kind === 'rparen') depth--;
    else if (token.kind === 'comma' && depth === 1) position++;
    if (token.kind !== 'param') continue;
    let column: string | undefined;
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    const isRowValue =
      afterValues &&
      depth === 1 &&
      before !== undefined &&
      (before.kind === 'lparen' || before.kind === 'comma');
    if (isRowValue && (after?.kind === 'comma' || after?.kind === 'rparen')) column = columns?.[position];
    else if (isComparison(before)) column = nameOf(tokens[i - 2]);
    else if (isComparison(after)) column = nameOf(tokens[i + 2]);
    found.push({
      key: keyOf(token, anonymous),
      text: token.text,
      ...(column !== undefined ? { column } : {}),
    });
  }
  return found;
}
