// What a statement does, as a person should read it in the audit log or a consent prompt: rebuilt from its tokens,
// so comments and padding are gone (they could push what matters past any cut), long literals are shortened with
// a count of what was left out, and a VALUES list with many rows shows its first rows and how many follow. Every
// keyword, name, operator and placeholder stays: nothing that decides what the statement touches is elided.
// Pure. Read tolerantly: this describes text, it never decides whether it may run.
import { shortenText } from '../core/text.js';
import { tokenize, type Token } from './tokenizer.js';

/** Longest literal kept whole (longer ones are shortened with a marker). */
const MAX_LITERAL = 60;
/** VALUES rows shown before "(+N more rows)". */
const VALUES_ROWS_SHOWN = 3;

const NO_SPACE_BEFORE = new Set<Token['kind']>(['comma', 'rparen', 'dot', 'semicolon']);
const NO_SPACE_AFTER = new Set<Token['kind']>(['lparen', 'dot']);

/** A string or blob literal, its middle replaced by a count when it is long: `'abc…[+940 chars]'`. */
function literal(token: Token): string {
  if (token.text.length <= MAX_LITERAL) return token.text;
  return `${shortenText(token.text.slice(0, -1), MAX_LITERAL)}${token.text.at(-1) ?? ''}`;
}

/** Index just past the parenthesis group opening at `open`. */
function skipGroup(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.kind === 'lparen') depth++;
    else if (tokens[i]!.kind === 'rparen' && --depth === 0) return i + 1;
  }
  return tokens.length;
}

/**
 * `sql` rebuilt from its tokens: single spaces, no comments, literals over MAX_LITERAL characters shortened, and
 * a top-level `VALUES (…), (…), …` of more than VALUES_ROWS_SHOWN rows cut to its first rows plus a count.
 */
export function effectiveStatement(sql: string): string {
  let tokens: Token[];
  try {
    tokens = tokenize(sql, { tolerant: true });
  } catch {
    return shortenText(sql.replace(/\s+/g, ' ').trim(), 2000);
  }
  const parts: string[] = [];
  let previous: Token | undefined;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'lparen') depth++;
    if (token.kind === 'rparen') depth--;
    const text = token.kind === 'string' || token.kind === 'blob' ? literal(token) : token.text;
    const space =
      previous && !NO_SPACE_BEFORE.has(token.kind) && !NO_SPACE_AFTER.has(previous.kind) ? ' ' : '';
    parts.push(space + text);
    previous = token;
    if (depth === 0 && token.kind === 'word' && token.value === 'VALUES') {
      // Row groups at the top level after VALUES: keep the first few, count the rest.
      let j = i + 1;
      let rows = 0;
      const shown: string[] = [];
      while (tokens[j]?.kind === 'lparen') {
        const end = skipGroup(tokens, j);
        rows++;
        if (rows <= VALUES_ROWS_SHOWN)
          shown.push(effectiveStatement(sql.slice(tokens[j]!.start, tokens[end - 1]!.end)));
        j = end;
        if (tokens[j]?.kind !== 'comma' || tokens[j + 1]?.kind !== 'lparen') break;
        j++;
      }
      if (rows > VALUES_ROWS_SHOWN) {
        parts.push(` ${shown.join(', ')}, … (+${rows - VALUES_ROWS_SHOWN} more rows)`);
        i = j - 1;
        previous = tokens[j - 1];
      }
    }
  }
  return parts.join('');
}
