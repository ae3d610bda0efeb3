// The DDL reader: a coarse token view of SQL (lexed and split by the shared tokenizer beside it) and parsers for
// CREATE TABLE / CREATE INDEX, used by the migration linter, drift and live introspection alike. Invariant: nothing
// here executes SQL, and every decision is made on tokens, never on raw text, so a keyword inside a string, a
// quoted identifier or a comment never counts (`CREATE TRIGGER … BEGIN … END` is one statement; `'BEGIN'` is a
// string). Text it does not recognise is left unparsed (undefined) rather than guessed at.
import { splitStatements as splitTokens, statementText } from './statements.js';
import { asciiLower, tokenize as tokenizeSql, type Token as SqlToken } from './tokenizer.js';

/** A coarser view of the shared tokenizer's tokens for DDL reading: every quoted name is `ident`, every operator `punct`. */
export type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'blob' | 'param' | 'punct';

export interface Token {
  kind: TokenKind;
  /** The exact source text. */
  text: string;
  /** For `word`: ASCII upper-cased; for `ident`: the unquoted name; for `string`: the unescaped value. */
  value: string;
  start: number;
  end: number;
}

export interface SqlStatement {
  /** The statement's source text, comments inside it kept, without the terminating semicolon. */
  text: string;
  tokens: Token[];
  start: number;
  end: number;
}

function toDdlToken(token: SqlToken): Token {
  const { text, value, start, end } = token;
  switch (token.kind) {
    case 'word':
    case 'string':
    case 'number':
    case 'blob':
    case 'param':
      return { kind: token.kind, text, value, start, end };
    case 'quoted':
      return { kind: 'ident', text, value, start, end };
    default:
      return { kind: 'punct', text, value: text, start, end };
  }
}

/**
 * Tokens of `sql`, comments and whitespace skipped, read tolerantly (SQLite judges migration text when it runs it):
 * unterminated quotes and comments run to the end.
 */
export function tokenize(sql: string): Token[] {
  return tokenizeSql(sql, { tolerant: true }).map(toDdlToken);
}

/**
 * Splits SQL text into statements at top-level semicolons. A `CREATE TRIGGER` body (`BEGIN … END`, with `CASE …
 * END` inside it) is kept whole. Statements with no tokens (only comments or blanks) are dropped.
 */
export function splitStatements(sql: string): SqlStatement[] {
  return splitTokens(tokenizeSql(sql, { tolerant: true }), { triggerBodies: true }).map((tokens) => {
    const text = statementText(sql, tokens);
    const start = tokens[0]!.start;
    return { text: text.trim(), tokens: tokens.map(toDdlToken), start, end: start + text.length };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Token helpers

export function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token !== undefined && token.kind === 'word' && words.includes(token.value);
}

export function isPunct(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'punct' && token.text === text;
}

/** An identifier-like token's name: a bare word, a quoted identifier, or (as SQLite tolerates) a string. */
export function nameOf(token: Token | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (token.kind === 'word' || token.kind === 'ident' || token.kind === 'string')
    return token.kind === 'word' ? token.text : token.value;
  return undefined;
}

/** Index of the token closing the parenthesis opened at `open`, or the last index when unbalanced. */
export function matchParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (isPunct(tokens[i], '(')) depth++;
    else if (isPunct(tokens[i], ')') && --depth === 0) return i;
  }
  return tokens.length - 1;
}

/** Splits tokens at top-level commas. */
export function splitTopLevel(tokens: Token[]): Token[][] {
  const parts: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const token of tokens) {
    if (isPunct(token, '(')) depth++;
    else if (isPunct(token, ')')) depth--;
    if (depth === 0 && isPunct(token, ',')) {
      parts.push(current);
      current = [];
    } else current.push(token);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/** The source text spanned by `tokens` (comments between them included). */
export function sliceText(sql: string, tokens: Token[]): string {
  if (tokens.length === 0) return '';
  return sql.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end);
}

/**
 * A canonical form of an SQL expression for comparisons: identifiers unquoted, keywords upper-cased, whitespace and
 * comments gone, and redundant outer parentheses removed — so `(CURRENT_TIMESTAMP)` equals `current_timestamp` and
 * `"users"."x" = 1` equals `users.x=1`. Booleans become 1/0, as SQLite stores them.
 */
export function normalizeExpression(expression: string): string {
  let tokens = tokenize(expression);
  while (tokens.length >= 2 && isPunct(tokens[0], '(') && matchParen(tokens, 0) === tokens.length - 1) {
    tokens = tokens.slice(1, -1);
  }
  return tokens
    .map((t) => {
      if (t.kind === 'ident')
        return /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.value) ? asciiLower(t.value) : JSON.stringify(t.value);
      if (t.kind === 'word')
        return t.value === 'TRUE' ? '1' : t.value === 'FALSE' ? '0' : asciiLower(t.value);
      return t.text;
    })
    .join(' ');
}

// ---------------------------------------------------------------------------------------------------------------
// DDL reading

export type ReferentialAction = 'no action' | 'restrict' | 'set null' | 'set default' | 'cascade';

export interface ParsedReference {
  table: string;
  /** Empty when the clause names no columns (the parent's primary key is meant). */
  columns: string[];
  onDelete?: ReferentialAction;
  onUpdate?: ReferentialAction;
  /** Token index just after the clause's last token (where an ON DELETE could be inserted). */
  endToken: number;
}

export interface ParsedColumn {
  name: string;
  /** Declared type as written (e.g. "text", "VARCHAR(20)"), or "" when none. */
  type: string;
  notNull: boolean;
  primaryKey: boolean;
  autoincrement: boolean;
  unique: boolean;
  /** Default expression text as written, e.g. "(CURRENT_TIMESTAMP)", "'member'", "true". */
  default?: string;
  generated?: { expression: string; stored: boolean };
  references?: ParsedReference;
  checks: string[];
}

export interface ParsedTableConstraint {
  name?: string;
  kind: 'primaryKey' | 'unique' | 'check' | 'foreignKey';
  columns: string[];
  /** CHECK expression text (without its parentheses). */
  expression?: string;
  references?: ParsedReference;
}

export interface ParsedCreateTable {
  table: string;
  temporary: boolean;
  virtual: boolean;
  withoutRowid: boolean;
  strict: boolean;
  columns: ParsedColumn[];
  constraints: ParsedTableConstraint[];
  /** True for `CREATE TABLE … AS SELECT`. */
  asSelect: boolean;
}

const COLUMN_CONSTRAINT_START = new Set([
  'CONSTRAINT',
  'PRIMARY',
  'NOT',
  'NULL',
  'UNIQUE',
  'CHECK',
  'DEFAULT',
  'COLLATE',
  'REFERENCES',
  'GENERATED',
  'AS',
]);
const ACTIONS: Record<string, ReferentialAction> = {
  'NO ACTION': 'no action',
  RESTRICT: 'restrict',
  'SET NULL': 'set null',
  'SET DEFAULT': 'set default',
  CASCADE: 'cascade',
};

/** Skips `CREATE [TEMP|TEMPORARY] [VIRTUAL|UNIQUE] <kind> [IF NOT EXISTS]`, returning the index of the name. */
export function afterCreateHeader(tokens: Token[]): number {
  let i = 1;
  while (isWord(tokens[i], 'TEMP', 'TEMPORARY', 'VIRTUAL', 'UNIQUE')) i++;
  i++; // TABLE / INDEX / VIEW / TRIGGER
  if (isWord(tokens[i], 'IF') && isWord(tokens[i + 1], 'NOT') && isWord(tokens[i + 2], 'EXISTS')) i += 3;
  return i;
}

/** Reads `name` or `schema.name` at `i`; returns the name (schema dropped) and the index after it. */
export function qualifiedName(tokens: Token[], i: number): { name: string | undefined; next: number } {
  if (isPunct(tokens[i + 1], '.')) return { name: nameOf(tokens[i + 2]), next: i + 3 };
  return { name: nameOf(tokens[i]), next: i + 1 };
}

function identList(tokens: Token[]): string[] {
  return splitTopLevel(tokens)
    .map((part) => nameOf(part[0]))
    .filter((name): name is string => name !== undefined);
}

export function parseCreateTable(
  sql: string,
  tokens: Token[] = tokenize(sql),
): ParsedCreateTable | undefined {
  if (!isWord(tokens[0], 'CREATE')) return undefined;
  const header = tokens.slice(1, 3).map((t) => (t.kind === 'word' ? t.value : ''));
  const virtual = header.includes('VIRTUAL');
  if (!header.includes('TABLE')) return undefined;
  const { name, next } = qualifiedName(tokens, afterCreateHeader(tokens));
  if (name === undefined) return undefined;
  const result: ParsedCreateTable = {
    table: name,
    temporary: isWord(tokens[1], 'TEMP', 'TEMPORARY'),
    virtual,
    withoutRowid: false,
    strict: false,
    columns: [],
    constraints: [],
    asSelect: isWord(tokens[next], 'AS'),
  };
  if (virtual || !isPunct(tokens[next], '(')) return result;
  const close = matchParen(tokens, next);
  for (const part of splitTopLevel(tokens.slice(next + 1, close))) {
    const first = part[0];
    if (first === undefined) continue;
    if (isWord(first, 'CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN')) {
      const constraint = parseTableConstraint(sql, part);
      if (constraint) result.constraints.push(constraint);
    } else {
      result.columns.push(parseColumnDefinition(sql, part));
    }
  }
  const options = tokens
    .slice(close + 1)
    .filter((t) => t.kind === 'word')
    .map((t) => t.value);
  result.withoutRowid = options.includes('ROWID');
  result.strict = options.includes('STRICT');
  return result;
}

/** Parses `name [type] [constraints…]` — a column definition in CREATE TABLE or ALTER TABLE … ADD. */
export function parseColumnDefinition(sql: string, tokens: Token[]): ParsedColumn {
  const column: ParsedColumn = {
    name: nameOf(tokens[0]) ?? '',
    type: '',
    notNull: false,
    primaryKey: false,
    autoincrement: false,
    unique: false,
    checks: [],
  };
  let i = 1;
  const typeStart = i;
  while (
    i < tokens.length &&
    !(tokens[i]!.kind === 'word' && COLUMN_CONSTRAINT_START.has(tokens[i]!.value))
  ) {
    if (isPunct(tokens[i], '(')) i = matchParen(tokens, i);
    i++;
  }
  column.type = sliceText(sql, tokens.slice(typeStart, i));
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (isWord(t, 'CONSTRAINT')) {
      i += 2;
    } else if (isWord(t, 'PRIMARY')) {
      column.primaryKey = true;
      i += 2;
      while (
        isWord(tokens[i], 'ASC', 'DESC', 'ON', 'CONFLICT', 'ROLLBACK', 'ABORT', 'FAIL', 'IGNORE', 'REPLACE')
      )
        i++;
      if (isWord(tokens[i], 'AUTOINCREMENT')) {
        column.autoincrement = true;
        i++;
      }
    } else if (isWord(t, 'NOT') && isWord(tokens[i + 1], 'NULL')) {
      column.notNull = true;
      i += 2;
    } else if (isWord(t, 'UNIQUE')) {
      column.unique = true;
      i++;
    } else if (isWord(t, 'CHECK') && isPunct(tokens[i + 1], '(')) {
      const close = matchParen(tokens, i + 1);
      column.checks.push(sliceText(sql, tokens.slice(i + 2, close)));
      i = close + 1;
    } else if (isWord(t, 'DEFAULT')) {
      let end = i + 2;
      if (isPunct(tokens[i + 1], '(')) end = matchParen(tokens, i + 1) + 1;
      else if (isPunct(tokens[i + 1], '-') || isPunct(tokens[i + 1], '+')) end = i + 3;
      column.default = sliceText(sql, tokens.slice(i + 1, end));
      i = end;
    } else if (isWord(t, 'REFERENCES')) {
      column.references = parseReference(tokens, i);
      i = column.references.endToken;
    } else if (isWord(t, 'GENERATED', 'AS')) {
      while (!isPunct(tokens[i], '(') && i < tokens.length) i++;
      const close = matchParen(tokens, i);
      const stored = isWord(tokens[close + 1], 'STORED');
      column.generated = { expression: sliceText(sql, tokens.slice(i + 1, close)), stored };
      i = close + 1;
    } else {
      i++; // NULL, COLLATE x, ON CONFLICT …, VIRTUAL/STORED: not needed
    }
  }
  return column;
}

function parseTableConstraint(sql: string, tokens: Token[]): ParsedTableConstraint | undefined {
  let i = 0;
  let name: string | undefined;
  if (isWord(tokens[0], 'CONSTRAINT')) {
    name = nameOf(tokens[1]);
    i = 2;
  }
  const keyword = tokens[i];
  const open = tokens.findIndex((t, at) => at > i && isPunct(t, '('));
  if (open === -1) return undefined;
  const close = matchParen(tokens, open);
  const inner = tokens.slice(open + 1, close);
  const base = name === undefined ? {} : { name };
  if (isWord(keyword, 'PRIMARY')) return { ...base, kind: 'primaryKey', columns: identList(inner) };
  if (isWord(keyword, 'UNIQUE')) return { ...base, kind: 'unique', columns: identList(inner) };
  if (isWord(keyword, 'CHECK'))
    return { ...base, kind: 'check', columns: [], expression: sliceText(sql, inner) };
  if (isWord(keyword, 'FOREIGN')) {
    const refAt = tokens.findIndex((t, at) => at > close && isWord(t, 'REFERENCES'));
    return {
      ...base,
      kind: 'foreignKey',
      columns: identList(inner),
      ...(refAt === -1 ? {} : { references: parseReference(tokens, refAt) }),
    };
  }
  return undefined;
}

/** Parses `REFERENCES t [(cols)] [ON DELETE x] [ON UPDATE y] [MATCH m] [DEFERRABLE …]` starting at `at`. */
export function parseReference(tokens: Token[], at: number): ParsedReference {
  const reference: ParsedReference = { table: nameOf(tokens[at + 1]) ?? '', columns: [], endToken: at + 2 };
  let i = at + 2;
  if (isPunct(tokens[i], '(')) {
    const close = matchParen(tokens, i);
    reference.columns = identList(tokens.slice(i + 1, close));
    i = close + 1;
  }
  for (;;) {
    if (isWord(tokens[i], 'ON') && isWord(tokens[i + 1], 'DELETE', 'UPDATE')) {
      const which = tokens[i + 1]!.value;
      const two = `${tokens[i + 2]?.value ?? ''} ${tokens[i + 3]?.value ?? ''}`;
      const action = ACTIONS[two] ?? ACTIONS[tokens[i + 2]?.value ?? ''];
      const width = ACTIONS[two] ? 4 : 3;
      if (action) reference[which === 'DELETE' ? 'onDelete' : 'onUpdate'] = action;
      i += width;
    } else if (isWord(tokens[i], 'MATCH')) {
      i += 2;
    } else if (isWord(tokens[i], 'NOT') && isWord(tokens[i + 1], 'DEFERRABLE')) {
      i += 2;
    } else if (isWord(tokens[i], 'DEFERRABLE', 'INITIALLY', 'DEFERRED', 'IMMEDIATE')) {
      i++;
    } else break;
  }
  reference.endToken = i;
  return reference;
}

export interface ParsedCreateIndex {
  name: string;
  table: string;
  unique: boolean;
  /** Column names, or the expression text for an expression column (COLLATE/ASC/DESC dropped). */
  columns: string[];
  /** Whether each entry of `columns` is a plain column name. */
  plain: boolean[];
  where?: string;
}

export function parseCreateIndex(
  sql: string,
  tokens: Token[] = tokenize(sql),
): ParsedCreateIndex | undefined {
  if (!isWord(tokens[0], 'CREATE')) return undefined;
  const unique = isWord(tokens[1], 'UNIQUE');
  if (!isWord(tokens[unique ? 2 : 1], 'INDEX')) return undefined;
  const { name, next } = qualifiedName(tokens, afterCreateHeader(tokens));
  if (name === undefined || !isWord(tokens[next], 'ON')) return undefined;
  const table = nameOf(tokens[next + 1]);
  const open = next + 2;
  if (table === undefined || !isPunct(tokens[open], '(')) return undefined;
  const close = matchParen(tokens, open);
  const columns: string[] = [];
  const plain: boolean[] = [];
  for (const part of splitTopLevel(tokens.slice(open + 1, close))) {
    let end = part.length;
    while (end > 0 && isWord(part[end - 1], 'ASC', 'DESC')) end--;
    const collateAt = part.findIndex((t) => isWord(t, 'COLLATE'));
    if (collateAt > 0) end = Math.min(end, collateAt);
    const core = part.slice(0, end);
    const isPlain = core.length === 1 && nameOf(core[0]) !== undefined && core[0]!.kind !== 'string';
    columns.push(isPlain ? nameOf(core[0])! : sliceText(sql, core));
    plain.push(isPlain);
  }
  const result: ParsedCreateIndex = { name, table, unique, columns, plain };
  if (isWord(tokens[close + 1], 'WHERE')) result.where = sliceText(sql, tokens.slice(close + 2));
  return result;
}

export { quoteIdentifier } from './identifiers.js';
