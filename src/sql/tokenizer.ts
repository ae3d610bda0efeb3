// A tokenizer that reads SQL the way SQLite's own tokenizer (tokenize.c) does, so the policy sees the same
// statement boundaries, keywords and names that SQLite will: `--` comments end only at LF, block comments do
// not nest, strings double their quote to escape it, `[…]` has no escape, bytes >= 0x80 are identifier
// characters, and `$`, `:`, `@`, `?` start parameters. It is the only lexer in the project: the query guard, the
// migration linter, the migration runner and introspection all read SQL through it. By default it never guesses:
// text it cannot read is refused. `tolerant` exists for migration files and stored schema text, which SQLite itself
// will parse (and reject) — there an unreadable character becomes a one-character `op` token and an unterminated
// quote or comment runs to the end; the query guard never passes it.
import { AppError } from '../core/errors.js';

export type TokenKind =
  /** A bare word: a keyword or an unquoted identifier (SQLite decides which by context). */
  | 'word'
  /** "…", `…` or […]: always an identifier. */
  | 'quoted'
  /** '…' */
  | 'string'
  /** x'…' */
  | 'blob'
  | 'number'
  /** ?, ?NNN, :name, @name, $name */
  | 'param'
  | 'semicolon'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'dot'
  /** Any other operator or punctuation (=, <>, ||, ->>, *, …). */
  | 'op';

export interface Token {
  kind: TokenKind;
  /** The exact source text. */
  text: string;
  /** Offset of the first character in the input. */
  start: number;
  /** Offset just past the last character. */
  end: number;
  /** For words: the ASCII-uppercased text. For quoted identifiers: the name with quotes removed and unescaped. */
  value: string;
}

/** SQLite folds case for ASCII letters only; "İ" is not "i" to SQLite, so it must not be to us either. */
export function asciiUpper(text: string): string {
  return text.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isIdentStart = (c: number) =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
const isIdentChar = (c: number) => isIdentStart(c) || isDigit(c) || c === 0x24; /* $ */
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
/** Vertical tab and form feed: whitespace to SQLite, but refused outright unless tolerant (see below). */
const isOtherSpace = (c: number) => c === 0x0b || c === 0x0c;

const PUNCTUATION: Partial<Record<string, TokenKind>> = {
  ';': 'semicolon',
  '(': 'lparen',
  ')': 'rparen',
  ',': 'comma',
  '.': 'dot',
};

export interface TokenizeOptions {
  /**
   * Read text that SQLite, not this tokenizer, will judge (migration files, CREATE text from sqlite_schema):
   * control characters are not refused, unterminated quotes and comments run to the end of the input, and a
   * character no token can start with becomes a one-character `op`. Never for SQL the guard decides on.
   */
  tolerant?: boolean;
}

function refuse(message: string, hint: string): never {
  throw new AppError('QUERY_REFUSED', message, { hint });
}

/**
 * Security: SQLite stops reading at the first NUL, so `DELETE FROM t\0 WHERE id = 1` would delete every row
 * while a text check saw the WHERE. Every control character except tab, CR and LF is refused for the same
 * reason (form feed and friends are whitespace to SQLite but invisible to a person reviewing the call).
 */
export function assertNoControlCharacters(sql: string): void {
  for (let i = 0; i < sql.length; i += 1) {
    const c = sql.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) {
      refuse(
        `The SQL contains a control character (U+${c.toString(16).toUpperCase().padStart(4, '0')}) at offset ${i}; ${c === 0 ? 'SQLite would silently ignore everything after a NUL byte' : 'only tab, CR and LF are accepted'}.`,
        'Remove the control character; pass binary or unusual values as bound parameters instead of inside the SQL text.',
      );
    }
  }
}

/** Splits SQL into tokens, dropping whitespace and comments. Throws QUERY_REFUSED on text SQLite could not read either. */
export function tokenize(sql: string, options: TokenizeOptions = {}): Token[] {
  const tolerant = options.tolerant === true;
  if (!tolerant) assertNoControlCharacters(sql);
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, value?: string) => {
    const text = sql.slice(start, end);
    tokens.push({ kind, text, start, end, value: value ?? text });
  };
  const readQuoted = (
    start: number,
    close: string,
    doubled: boolean,
    what: string,
  ): { end: number; inner: string } => {
    let j = start + 1;
    let inner = '';
    for (;;) {
      const k = sql.indexOf(close, j);
      if (k < 0) {
        if (tolerant) return { end: n, inner: inner + sql.slice(j) };
        refuse(
          `The SQL has an unterminated ${what} starting at offset ${start}.`,
          `Close the ${what} with ${close}.`,
        );
      }
      inner += sql.slice(j, k);
      if (doubled && sql[k + 1] === close) {
        inner += close;
        j = k + 2;
        continue;
      }
      return { end: k + 1, inner };
    }
  };

  while (i < n) {
    const c = sql.charCodeAt(i);
    const ch = sql[i] as string;
    if (isSpace(c) || (tolerant && isOtherSpace(c))) {
      i += 1;
      continue;
    }
    if (ch === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i + 2);
      i = nl < 0 ? n : nl + 1;
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0 && tolerant) {
        i = n;
        continue;
      }
      if (close < 0)
        refuse(
          `The SQL has an unterminated /* comment starting at offset ${i}.`,
          'Close the comment with */.',
        );
      i = close + 2;
      continue;
    }
    const start = i;
    if ((ch === 'x' || ch === 'X') && sql[i + 1] === "'") {
      const { end, inner } = readQuoted(i + 1, "'", false, 'blob literal');
      push('blob', start, end, inner);
      i = end;
      continue;
    }
    if (isIdentStart(c)) {
      i += 1;
      while (i < n && isIdentChar(sql.charCodeAt(i))) i += 1;
      push('word', start, i, asciiUpper(sql.slice(start, i)));
      continue;
    }
    if (isDigit(c) || (ch === '.' && isDigit(sql.charCodeAt(i + 1)))) {
      // Loose on purpose: SQLite itself rejects malformed numbers; we only need to know where the token ends.
      i += 1;
      while (i < n) {
        const d = sql.charCodeAt(i);
        if (isDigit(d) || isIdentStart(d) || d === 0x2e /* . */) i += 1;
        else if (
          (d === 0x2b || d === 0x2d) &&
          /[eE]/.test(sql[i - 1] ?? '') &&
          !/^0[xX]/.test(sql.slice(start, i))
        )
          i += 1;
        else break;
      }
      push('number', start, i);
      continue;
    }
    switch (ch) {
      case "'": {
        const { end, inner } = readQuoted(i, "'", true, 'string literal');
        push('string', start, end, inner);
        i = end;
        continue;
      }
      case '"':
      case '`': {
        const { end, inner } = readQuoted(i, ch, true, 'quoted identifier');
        push('quoted', start, end, inner);
        i = end;
        continue;
      }
      case '[': {
        const { end, inner } = readQuoted(i, ']', false, '[bracketed] identifier');
        push('quoted', start, end, inner);
        i = end;
        continue;
      }
      case '?': {
        i += 1;
        while (i < n && isDigit(sql.charCodeAt(i))) i += 1;
        push('param', start, i);
        continue;
      }
      case ':':
      case '@':
      case '$': {
        i += 1;
        while (i < n && isIdentChar(sql.charCodeAt(i))) i += 1;
        if (i === start + 1 && tolerant) {
          push('op', start, i);
          continue;
        }
        if (i === start + 1)
          refuse(
            `The SQL has a stray "${ch}" at offset ${start}.`,
            'Parameters are written :name, @name or $name.',
          );
        push('param', start, i);
        continue;
      }
      default: {
        const punctuation = PUNCTUATION[ch];
        if (punctuation) {
          push(punctuation, start, i + 1);
          i += 1;
          continue;
        }
        const op = /^(->>|->|<<|>>|<=|>=|==|!=|<>|\|\||[-+*/%<>=~&|!])/.exec(sql.slice(i, i + 3));
        if (!op && tolerant) {
          push('op', start, i + 1);
          i += 1;
          continue;
        }
        if (!op)
          refuse(
            `The SQL has a character SQLite does not accept ("${ch}") at offset ${i}.`,
            'Remove it or quote it.',
          );
        push('op', start, i + op[0].length);
        i += op[0].length;
      }
    }
  }
  return tokens;
}
