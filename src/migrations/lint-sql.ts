// What the migration linter needs to know about one statement of a migration file, read on the tokens of the
// shared DDL reader (src/sql/ddl.ts). Invariant: nothing here executes SQL; a statement it does not recognise is
// classified as `other` rather than guessed at.
import {
  afterCreateHeader,
  isPunct,
  isWord,
  matchParen,
  nameOf,
  parseColumnDefinition,
  parseCreateIndex,
  parseCreateTable,
  qualifiedName,
  sliceText,
  splitTopLevel,
  tokenize,
  type ParsedColumn,
  type ParsedCreateIndex,
  type ParsedCreateTable,
  type SqlStatement,
  type Token,
} from '../sql/ddl.js';
import { asciiLower } from '../sql/tokenizer.js';

export interface InsertSelect {
  kind: 'insert_select';
  table: string;
  /** The INSERT's column list. */
  columns: Token[][];
  /** The SELECT's result columns, index-aligned with `columns` in a rebuild. */
  selectItems: Token[][];
  /** The single source table of `SELECT … FROM t` (undefined for joins, subqueries, or no FROM). */
  from: string | undefined;
}

export type ClassifiedStatement =
  | { kind: 'create_table'; parsed: ParsedCreateTable }
  | { kind: 'create_index'; parsed: ParsedCreateIndex }
  | {
      kind: 'create_trigger';
      name: string | undefined;
      /** The table (or view) the trigger fires on. */
      table: string | undefined;
      temp: boolean;
      /** Every token after the ON clause's table: the WHEN condition and the BEGIN … END body. */
      body: Token[];
    }
  | { kind: 'create_other'; object: string; name: string | undefined; temp: boolean }
  | { kind: 'drop'; object: 'TABLE' | 'INDEX' | 'VIEW' | 'TRIGGER'; name: string }
  | { kind: 'rename_table'; table: string; to: string }
  | { kind: 'rename_column'; table: string; from: string; to: string }
  | { kind: 'add_column'; table: string; column: ParsedColumn; columnTokens: Token[] }
  | { kind: 'drop_column'; table: string; column: string }
  | InsertSelect
  | {
      kind: 'write';
      verb: string;
      table: string | undefined;
      /** Behind a WITH clause (`WITH x AS (…) DELETE FROM t …`). */
      withClause?: boolean;
      /** INSERT … ON CONFLICT … DO UPDATE (an upsert that may change existing rows). */
      upsert?: boolean;
      /** REPLACE, INSERT OR REPLACE, UPDATE OR REPLACE: conflict deletions. */
      replace?: boolean;
    }
  | { kind: 'transaction'; keyword: string }
  | { kind: 'pragma'; name: string; value: string | undefined }
  | { kind: 'outside_transaction'; keyword: string }
  | { kind: 'other'; keyword: string };

export function classifyStatement(statement: SqlStatement): ClassifiedStatement {
  const { tokens, text } = statement;
  // Token offsets are relative to the original text; re-tokenise the statement's own text for slicing.
  const t = tokens[0]!.start === 0 ? tokens : tokenize(text);
  const keyword = t[0]?.kind === 'word' ? t[0].value : (t[0]?.text ?? '');
  if (keyword === 'WITH') {
    // A CTE body can only be a SELECT, so the statement after the WITH clause decides what it does.
    const main = afterWithClause(t);
    const inner = main === undefined ? undefined : classifyDml(t.slice(main));
    if (inner?.kind === 'write') return { ...inner, withClause: true };
    return inner ?? { kind: 'other', keyword };
  }
  const dml = classifyDml(t);
  if (dml) return dml;
  switch (keyword) {
    case 'BEGIN':
    case 'COMMIT':
    case 'END':
    case 'ROLLBACK':
    case 'SAVEPOINT':
    case 'RELEASE':
      return { kind: 'transaction', keyword };
    case 'VACUUM':
    case 'ATTACH':
    case 'DETACH':
      return { kind: 'outside_transaction', keyword };
    case 'PRAGMA': {
      const { name, next } = qualifiedName(t, 1);
      const valueTokens = isPunct(t[next], '=')
        ? t.slice(next + 1)
        : isPunct(t[next], '(')
          ? t.slice(next + 1, -1)
          : [];
      return {
        kind: 'pragma',
        name: asciiLower(name ?? ''),
        value: valueTokens.length ? sliceText(text, valueTokens) : undefined,
      };
    }
    case 'CREATE': {
      const table = parseCreateTable(text, t);
      if (table) return { kind: 'create_table', parsed: table };
      const index = parseCreateIndex(text, t);
      if (index) return { kind: 'create_index', parsed: index };
      const objectAt = t.findIndex((tok, i) => i > 0 && isWord(tok, 'VIEW', 'TRIGGER', 'INDEX', 'TABLE'));
      const temp = isWord(t[1], 'TEMP', 'TEMPORARY');
      const { name, next } = qualifiedName(t, afterCreateHeader(t));
      if (t[objectAt]?.value === 'TRIGGER') {
        // CREATE … TRIGGER name [BEFORE|AFTER|INSTEAD OF] event [OF cols] ON table …: the first ON names the table.
        const onAt = t.findIndex((tok, i) => i >= next && isWord(tok, 'ON'));
        const target = onAt === -1 ? { name: undefined, next: t.length } : qualifiedName(t, onAt + 1);
        return { kind: 'create_trigger', name, table: target.name, temp, body: t.slice(target.next) };
      }
      return { kind: 'create_other', object: t[objectAt]?.value ?? '', name, temp };
    }
    case 'DROP': {
      const object = t[1]?.value;
      if (object !== 'TABLE' && object !== 'INDEX' && object !== 'VIEW' && object !== 'TRIGGER') break;
      let i = 2;
      if (isWord(t[i], 'IF') && isWord(t[i + 1], 'EXISTS')) i += 2;
      const { name } = qualifiedName(t, i);
      if (name === undefined) break;
      return { kind: 'drop', object, name };
    }
    case 'ALTER': {
      if (!isWord(t[1], 'TABLE')) break;
      const { name: table, next } = qualifiedName(t, 2);
      if (table === undefined) break;
      const action = t[next];
      if (isWord(action, 'RENAME')) {
        if (isWord(t[next + 1], 'TO')) return { kind: 'rename_table', table, to: nameOf(t[next + 2]) ?? '' };
        const at = isWord(t[next + 1], 'COLUMN') ? next + 2 : next + 1;
        return { kind: 'rename_column', table, from: nameOf(t[at]) ?? '', to: nameOf(t[at + 2]) ?? '' };
      }
      if (isWord(action, 'ADD')) {
        const columnTokens = t.slice(isWord(t[next + 1], 'COLUMN') ? next + 2 : next + 1);
        return { kind: 'add_column', table, column: parseColumnDefinition(text, columnTokens), columnTokens };
      }
      if (isWord(action, 'DROP')) {
        const at = isWord(t[next + 1], 'COLUMN') ? next + 2 : next + 1;
        return { kind: 'drop_column', table, column: nameOf(t[at]) ?? '' };
      }
      break;
    }
    default:
      break;
  }
  return { kind: 'other', keyword };
}

/** INSERT, REPLACE, UPDATE or DELETE, read from their first keyword; undefined for anything else. */
function classifyDml(t: Token[]): ClassifiedStatement | undefined {
  const keyword = t[0]?.kind === 'word' ? t[0].value : '';
  switch (keyword) {
    case 'INSERT':
    case 'REPLACE': {
      const insert = parseInsertSelect(t);
      if (insert) return insert;
      const intoAt = t.findIndex((tok) => isWord(tok, 'INTO'));
      return {
        kind: 'write',
        verb: keyword,
        table: intoAt === -1 ? undefined : qualifiedName(t, intoAt + 1).name,
        ...(hasTopLevelWords(t, 'CONFLICT', 'DO', 'UPDATE') ? { upsert: true } : {}),
        ...(keyword === 'REPLACE' || isWord(t[2], 'REPLACE') ? { replace: true } : {}),
      };
    }
    case 'UPDATE': {
      let i = 1;
      const replace = isWord(t[i], 'OR') && isWord(t[i + 1], 'REPLACE');
      if (isWord(t[i], 'OR')) i += 2;
      return {
        kind: 'write',
        verb: keyword,
        table: qualifiedName(t, i).name,
        ...(replace ? { replace } : {}),
      };
    }
    case 'DELETE':
      return {
        kind: 'write',
        verb: keyword,
        table: isWord(t[1], 'FROM') ? qualifiedName(t, 2).name : undefined,
      };
    default:
      return undefined;
  }
}

/** Whether every word appears at the top level (outside parentheses). */
function hasTopLevelWords(t: Token[], ...words: string[]): boolean {
  const seen = new Set<string>();
  let depth = 0;
  for (const token of t) {
    if (isPunct(token, '(')) depth++;
    else if (isPunct(token, ')')) depth--;
    else if (depth === 0 && token.kind === 'word') seen.add(token.value);
  }
  return words.every((word) => seen.has(word));
}

/**
 * Index of the main statement after `WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (…), …`, read
 * structurally (REPLACE is a legal CTE name); undefined when the clause cannot be read.
 */
function afterWithClause(t: Token[]): number | undefined {
  let i = isWord(t[1], 'RECURSIVE') ? 2 : 1;
  for (;;) {
    if (nameOf(t[i]) === undefined) return undefined;
    i++;
    if (isPunct(t[i], '(')) i = matchParen(t, i) + 1;
    if (!isWord(t[i], 'AS')) return undefined;
    i++;
    if (isWord(t[i], 'NOT')) i++;
    if (isWord(t[i], 'MATERIALIZED')) i++;
    if (!isPunct(t[i], '(')) return undefined;
    i = matchParen(t, i) + 1;
    if (!isPunct(t[i], ',')) return i < t.length ? i : undefined;
    i++;
  }
}

function parseInsertSelect(t: Token[]): InsertSelect | undefined {
  const intoAt = t.findIndex((tok) => isWord(tok, 'INTO'));
  if (intoAt === -1) return undefined;
  const { name: table, next } = qualifiedName(t, intoAt + 1);
  if (table === undefined || !isPunct(t[next], '(')) return undefined;
  const close = matchParen(t, next);
  if (!isWord(t[close + 1], 'SELECT')) return undefined;
  // The select list ends at the top-level FROM.
  let depth = 0;
  let fromAt = -1;
  for (let i = close + 2; i < t.length; i++) {
    if (isPunct(t[i], '(')) depth++;
    else if (isPunct(t[i], ')')) depth--;
    else if (depth === 0 && isWord(t[i], 'FROM')) {
      fromAt = i;
      break;
    }
  }
  const selectEnd = fromAt === -1 ? t.length : fromAt;
  let from: string | undefined;
  if (fromAt !== -1) {
    const source = qualifiedName(t, fromAt + 1);
    const rest = t.slice(source.next);
    const simple = rest.every((tok) => !isPunct(tok, ',') && !isWord(tok, 'JOIN'));
    if (simple) from = source.name;
  }
  return {
    kind: 'insert_select',
    table,
    columns: splitTopLevel(t.slice(next + 1, close)),
    selectItems: splitTopLevel(t.slice(close + 2, selectEnd)),
    from,
  };
}
