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
  | { kind: 'create_other'; object: string; name: string | undefined }
  | { kind: 'drop'; object: 'TABLE' | 'INDEX' | 'VIEW' | 'TRIGGER'; name: string }
  | { kind: 'rename_table'; table: string; to: string }
  | { kind: 'rename_column'; table: string; from: string; to: string }
  | { kind: 'add_column'; table: string; column: ParsedColumn; columnTokens: Token[] }
  | { kind: 'drop_column'; table: string; column: string }
  | InsertSelect
  | { kind: 'write'; verb: string; table: string | undefined }
  | { kind: 'transaction'; keyword: string }
  | { kind: 'pragma'; name: string; value: string | undefined }
  | { kind: 'outside_transaction'; keyword: string }
  | { kind: 'other'; keyword: string };

export function classifyStatement(statement: SqlStatement): ClassifiedStatement {
  const { tokens, text } = statement;
  // Token offsets are relative to the original text; re-tokenise the statement's own text for slicing.
  const t = tokens[0]!.start === 0 ? tokens : tokenize(text);
  const keyword = t[0]?.kind === 'word' ? t[0].value : (t[0]?.text ?? '');
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
      return {
        kind: 'create_other',
        object: t[objectAt]?.value ?? '',
        name: qualifiedName(t, afterCreateHeader(t)).name,
      };
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
    case 'INSERT':
    case 'REPLACE': {
      const insert = parseInsertSelect(t);
      if (insert) return insert;
      const intoAt = t.findIndex((tok) => isWord(tok, 'INTO'));
      return {
        kind: 'write',
        verb: keyword,
        table: intoAt === -1 ? undefined : qualifiedName(t, intoAt + 1).name,
      };
    }
    case 'UPDATE': {
      let i = 1;
      if (isWord(t[i], 'OR')) i += 2;
      return { kind: 'write', verb: keyword, table: qualifiedName(t, i).name };
    }
    case 'DELETE':
      return {
        kind: 'write',
        verb: keyword,
        table: isWord(t[1], 'FROM') ? qualifiedName(t, 2).name : undefined,
      };
    default:
      break;
  }
  return { kind: 'other', keyword };
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
