// The only place that decides whether a piece of SQL may run, and as what. Every raw statement is classified
// here from its text, with the tokenizer, BEFORE anything prepares it: preparing already applies some PRAGMAs
// (query_only, foreign_keys, locking_mode, hard_heap_limit), and SQLite's own `readonly` flag is true for
// ATTACH, BEGIN and PRAGMA setters. The query host then re-checks with SQLite (stmt.reader/readonly, EXPLAIN)
// as a backstop, never as the first line. Pure: no I/O; schema facts are passed in.
import { AppError } from '../core/errors.js';
import { splitStatements } from '../sql/statements.js';
import { isProtectedTable } from './server-tables.js';
import { asciiLower, tokenize, type Token } from '../sql/tokenizer.js';

export type WriteVerb = 'INSERT' | 'UPDATE' | 'DELETE' | 'REPLACE';
export type ReadVerb = 'SELECT' | 'WITH' | 'VALUES' | 'EXPLAIN';

export interface ReadClassification {
  kind: 'read';
  verb: ReadVerb;
  /** The one statement, without leading/trailing comments and semicolons: the exact text to prepare. */
  sql: string;
}

export interface WriteClassification {
  kind: 'write';
  verb: WriteVerb;
  /** The one statement, without leading/trailing comments and semicolons: the exact text to prepare. */
  sql: string;
  /** Target table as written (quotes removed), without schema. */
  table: string;
  /** UPDATE/DELETE with a top-level WHERE. Always false for INSERT/REPLACE (they have no WHERE of their own). */
  hasWhere: boolean;
  /** UPDATE/DELETE … LIMIT n (this SQLite build has SQLITE_ENABLE_UPDATE_DELETE_LIMIT): an explicit bound. */
  hasLimit: boolean;
  returning: boolean;
  /** INSERT … ON CONFLICT … DO UPDATE. */
  upsert: boolean;
  /** REPLACE, INSERT OR REPLACE, UPDATE OR REPLACE: conflict deletions that no change counter sees. */
  replace: boolean;
  /** Rows come from a SELECT (INSERT … SELECT), so their number is not visible in the text. */
  fromSelect: boolean;
  /**
   * The effect cannot be bounded by measuring it: UPDATE/DELETE without WHERE, an upsert or REPLACE fed by a
   * SELECT (its conflict deletions escape total_changes()), or UPDATE OR REPLACE. Needs the human's consent.
   */
  unbounded: boolean;
  /** Why it is unbounded, in words, when it is. */
  unboundedReason?: string;
}

export interface PolicyOptions {
  /**
   * Tables no tool may write through SQL: `ServerTables.protected` (server-tables.ts decides which). `sqlite_*`
   * is always protected. Compared case-insensitively (ASCII), as SQLite compares names.
   */
  protectedTables: readonly string[];
  /** Longest SQL text accepted, in characters. */
  maxSqlLength?: number;
}

export const DEFAULT_MAX_SQL_LENGTH = 100_000;

const READ_VERBS = new Set<string>(['SELECT', 'WITH', 'VALUES']);
const WRITE_VERBS = new Set<string>(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);
const DDL_VERBS = new Set<string>(['CREATE', 'DROP', 'ALTER']);
const TRANSACTION_VERBS = new Set<string>(['BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE']);
const MIGRATIONS_HINT =
  'Schema changes go through migrations: edit the Drizzle schema, then use generate_migration and apply_migrations.';

function refused(message: string, hint: string, details?: Record<string, unknown>): AppError {
  return new AppError('QUERY_REFUSED', message, details ? { hint, details } : { hint });
}

/** The reason a first keyword is never allowed, whichever tool is asking. */
function forbiddenVerbReason(verb: string, mode: 'read' | 'write'): AppError | undefined {
  if (DDL_VERBS.has(verb)) {
    return refused(
      `${verb} statements change the schema, and schema changes go through migrations (generate_migration, then apply_migrations), never raw SQL.`,
      MIGRATIONS_HINT,
    );
  }
  if (TRANSACTION_VERBS.has(verb)) {
    return refused(
      `Transaction control (${verb}) is not allowed: each call runs as exactly one statement in a transaction the server manages.`,
      'Send the single statement on its own; the server wraps writes in a transaction and rolls back on error.',
    );
  }
  switch (verb) {
    case 'PRAGMA':
      return refused(
        'PRAGMA statements are not allowed: several change connection or file settings even when they look like reads.',
        mode === 'read'
          ? "Use inspect_schema for schema facts, or a side-effect-free table-valued function inside a SELECT, e.g. SELECT * FROM pragma_table_info('users')."
          : 'Connection and file settings are managed by the server. Use inspect_schema for schema facts.',
      );
    case 'ATTACH':
    case 'DETACH':
      return refused(
        `${verb} is not allowed: queries may only touch the project's database, never other files.`,
        'Query the project database directly; to use another database, start a server for it with --db.',
      );
    case 'VACUUM':
      return refused(
        'VACUUM is not allowed: it rewrites the database file (and VACUUM INTO writes a copy to any path).',
        "Ask the human to run maintenance outside the assistant; backups go through the server's backup tooling.",
      );
    case 'REINDEX':
    case 'ANALYZE':
      return refused(
        `${verb} is maintenance the server does not run on request.`,
        'Ask the human to run it outside the assistant.',
      );
    default:
      return undefined;
  }
}

interface Prepared {
  tokens: Token[];
  sql: string;
}

/** Everything both modes share: length, control characters, tokens, exactly one statement. */
function prepareText(sql: string, mode: 'read' | 'write', options: PolicyOptions): Prepared {
  const max = options.maxSqlLength ?? DEFAULT_MAX_SQL_LENGTH;
  if (sql.length > max) {
    throw refused(
      `The SQL is ${sql.length} characters long; the limit is ${max}.`,
      'Send a shorter statement; pass large values as bound parameters.',
    );
  }
  const statements = splitStatements(tokenize(sql));
  const first = statements[0];
  if (!first)
    throw refused(
      'The SQL is empty (only whitespace, comments or semicolons).',
      'Send exactly one SQL statement.',
    );
  const head = first[0] as Token;
  const verbError = head.kind === 'word' ? forbiddenVerbReason(head.value, mode) : undefined;
  if (verbError) throw verbError;
  if (statements.length > 1) {
    throw refused(
      `The SQL contains ${statements.length} statements; exactly one is allowed per call.`,
      'Send one statement per call (a trailing semicolon or comment is fine).',
    );
  }
  const last = first[first.length - 1] as Token;
  return { tokens: first, sql: sql.slice(head.start, last.end) };
}

/** Index just past the balanced parenthesis group opening at `open`. */
function skipGroup(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i += 1) {
    const kind = (tokens[i] as Token).kind;
    if (kind === 'lparen') depth += 1;
    else if (kind === 'rparen') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  throw refused('The SQL has an unbalanced parenthesis.', 'Check that every ( has its ).');
}

const isWord = (token: Token | undefined, ...words: string[]) =>
  token?.kind === 'word' && words.includes(token.value);
const isName = (token: Token | undefined) =>
  token?.kind === 'word' || token?.kind === 'quoted' || token?.kind === 'string';

/**
 * Index of the main statement's first keyword after a WITH clause. SQLite's CTE bodies can only be SELECTs, so
 * the main statement is what decides read or write: `WITH x AS (…) DELETE FROM t` is a DELETE. Parsed
 * structurally (name [(cols)] AS [NOT] [MATERIALIZED] (…), …) rather than by searching for a keyword, because
 * REPLACE is also a legal CTE name.
 */
function skipWithClause(tokens: readonly Token[]): number {
  let i = 1;
  if (isWord(tokens[i], 'RECURSIVE')) i += 1;
  for (;;) {
    if (!isName(tokens[i])) break;
    i += 1;
    if (tokens[i]?.kind === 'lparen') i = skipGroup(tokens, i);
    if (!isWord(tokens[i], 'AS')) break;
    i += 1;
    if (isWord(tokens[i], 'NOT')) i += 1;
    if (isWord(tokens[i], 'MATERIALIZED')) i += 1;
    if (tokens[i]?.kind !== 'lparen') break;
    i = skipGroup(tokens, i);
    if (tokens[i]?.kind === 'comma') {
      i += 1;
      continue;
    }
    return i;
  }
  throw refused(
    'The WITH clause could not be read (expected: WITH name AS (SELECT …) followed by the main statement).',
    'Check the WITH clause syntax.',
  );
}

function mainVerbIndex(tokens: readonly Token[]): number {
  return isWord(tokens[0], 'WITH') ? skipWithClause(tokens) : 0;
}

/**
 * run_query's rule: exactly one SELECT, WITH … SELECT, VALUES, or EXPLAIN [QUERY PLAN] of one of those.
 * Throws QUERY_REFUSED otherwise, with a reason a model can act on.
 */
export function classifyRead(sql: string, options: PolicyOptions): ReadClassification {
  const { tokens, sql: text } = prepareText(sql, 'read', options);
  let start = 0;
  const head = tokens[0] as Token;
  if (isWord(head, 'EXPLAIN')) {
    start = isWord(tokens[1], 'QUERY') && isWord(tokens[2], 'PLAN') ? 3 : 1;
    const inner = tokens[start];
    if (!inner) throw refused('EXPLAIN needs a statement to explain.', 'Write EXPLAIN QUERY PLAN SELECT …');
    if (inner.kind === 'word') {
      const error = forbiddenVerbReason(inner.value, 'read');
      if (error) throw error;
    }
  }
  const rest = tokens.slice(start);
  const verbIndex = mainVerbIndex(rest);
  const verbToken = rest[verbIndex];
  const verb = verbToken?.kind === 'word' ? verbToken.value : undefined;
  if (verb === undefined || !READ_VERBS.has(verb) || verb === 'WITH') {
    if (verb !== undefined && WRITE_VERBS.has(verb)) {
      throw refused(
        `run_query only reads, and this statement is ${/^[AEIOU]/.test(verb) ? 'an' : 'a'} ${verb}${verbIndex > 0 ? ' (wrapped in a WITH clause)' : ''}.`,
        'Use execute_sql for INSERT, UPDATE, DELETE or REPLACE (it is bounded, audited and can be dry-run).',
      );
    }
    throw refused(
      `run_query accepts only SELECT, WITH … SELECT, VALUES or EXPLAIN of those; this statement starts with ${verbToken ? `"${verbToken.text}"` : 'nothing readable'}.`,
      'Rewrite it as a single SELECT. Use inspect_schema for schema facts.',
    );
  }
  return { kind: 'read', verb: isWord(head, 'EXPLAIN') ? 'EXPLAIN' : (head.value as ReadVerb), sql: text };
}

interface QualifiedName {
  schema?: string;
  name: string;
  /** Index just past the name. */
  next: number;
}

function nameValue(token: Token): string {
  return token.kind === 'word' ? token.text : token.value;
}

function readQualifiedName(tokens: readonly Token[], i: number, what: string): QualifiedName {
  const first = tokens[i];
  if (!first || !isName(first))
    throw refused(`Could not find the table name after ${what}.`, `Write ${what} <table> …`);
  if (tokens[i + 1]?.kind === 'dot') {
    const second = tokens[i + 2];
    if (!second || !isName(second))
      throw refused(`Could not read the table name after ${what}.`, `Write ${what} <table> …`);
    return { schema: nameValue(first), name: nameValue(second), next: i + 3 };
  }
  return { name: nameValue(first), next: i + 1 };
}

function protectedError(table: string, how: string): AppError {
  return new AppError(
    'PROTECTED_TABLE',
    `"${table}" belongs to the server (${how}) and cannot be written through SQL.`,
    {
      hint: "The audit log, the migrations ledger and SQLite's own sqlite_* tables are maintained by the server only. Read them with run_query or read_audit_log.",
      details: { table },
    },
  );
}

/** Top-level (depth 0) word positions from `from`, so subqueries' WHERE/RETURNING do not count. */
function topLevelWords(tokens: readonly Token[], from: number): Map<string, number> {
  const found = new Map<string, number>();
  let depth = 0;
  for (let i = from; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    if (token.kind === 'lparen') depth += 1;
    else if (token.kind === 'rparen') depth -= 1;
    else if (depth === 0 && token.kind === 'word' && !found.has(token.value)) found.set(token.value, i);
  }
  return found;
}

/**
 * execute_sql's rule: exactly one INSERT, UPDATE, DELETE or REPLACE (optionally WITH-prefixed, with RETURNING,
 * or an upsert), into a table of the main database that the server does not own.
 * Throws QUERY_REFUSED or PROTECTED_TABLE otherwise.
 */
export function classifyWrite(sql: string, options: PolicyOptions): WriteClassification {
  const { tokens, sql: text } = prepareText(sql, 'write', options);
  const verbIndex = mainVerbIndex(tokens);
  const verbToken = tokens[verbIndex];
  const verb = verbToken?.kind === 'word' ? verbToken.value : '';
  if (!WRITE_VERBS.has(verb)) {
    if (READ_VERBS.has(verb) || verb === 'EXPLAIN') {
      throw refused(
        'execute_sql runs writes; this statement only reads.',
        'Use run_query for SELECT, VALUES and EXPLAIN.',
      );
    }
    throw refused(
      `execute_sql accepts one INSERT, UPDATE, DELETE or REPLACE; this statement starts with "${verbToken?.text ?? ''}".`,
      MIGRATIONS_HINT,
    );
  }
  let i = verbIndex + 1;
  let replace = verb === 'REPLACE';
  if ((verb === 'INSERT' || verb === 'UPDATE') && isWord(tokens[i], 'OR')) {
    const action = tokens[i + 1];
    if (!isWord(action, 'ROLLBACK', 'ABORT', 'REPLACE', 'FAIL', 'IGNORE')) {
      throw refused(
        `Unknown conflict clause "OR ${action?.text ?? ''}".`,
        'Use OR ABORT, OR FAIL, OR IGNORE, OR REPLACE or OR ROLLBACK.',
      );
    }
    if (isWord(action, 'REPLACE')) replace = true;
    i += 2;
  }
  if (verb === 'INSERT' || verb === 'REPLACE') {
    if (!isWord(tokens[i], 'INTO'))
      throw refused(`Expected INTO after ${verb}.`, `Write ${verb} INTO <table> …`);
    i += 1;
  } else if (verb === 'DELETE') {
    if (!isWord(tokens[i], 'FROM'))
      throw refused('Expected FROM after DELETE.', 'Write DELETE FROM <table> WHERE …');
    i += 1;
  }
  const target = readQualifiedName(
    tokens,
    i,
    verb === 'UPDATE' ? 'UPDATE' : verb === 'DELETE' ? 'DELETE FROM' : `${verb} INTO`,
  );
  if (target.schema !== undefined && asciiLower(target.schema) !== 'main') {
    if (isProtectedTable(target.name, options.protectedTables))
      throw protectedError(target.name, 'protected');
    throw refused(
      `Writes may only target the main database; "${target.schema}.${target.name}" is in schema "${target.schema}".`,
      `Write to the table without a schema prefix (or as main.${target.name}).`,
    );
  }
  if (isProtectedTable(target.name, options.protectedTables)) {
    throw protectedError(
      target.name,
      asciiLower(target.name).startsWith('sqlite_')
        ? "SQLite's internal table"
        : 'audit log or migrations ledger',
    );
  }

  const words = topLevelWords(tokens, target.next);
  const hasWhere = (verb === 'UPDATE' || verb === 'DELETE') && words.has('WHERE');
  const hasLimit = (verb === 'UPDATE' || verb === 'DELETE') && words.has('LIMIT');
  const returning = words.has('RETURNING');
  const upsert =
    (verb === 'INSERT' || verb === 'REPLACE') &&
    words.has('CONFLICT') &&
    words.has('DO') &&
    words.has('UPDATE');
  // INSERT's row source is the first top-level keyword after the target (and its column list): VALUES,
  // SELECT, WITH … SELECT, or DEFAULT VALUES.
  let fromSelect = false;
  if (verb === 'INSERT' || verb === 'REPLACE') {
    let j = target.next;
    if (isWord(tokens[j], 'AS')) j += 2;
    if (tokens[j]?.kind === 'lparen') j = skipGroup(tokens, j);
    fromSelect =
      isWord(tokens[j], 'SELECT', 'WITH') ||
      (tokens[j]?.kind === 'lparen' && isWord(tokens[j + 1], 'SELECT', 'WITH'));
  }
  let unboundedReason: string | undefined;
  if ((verb === 'UPDATE' || verb === 'DELETE') && !hasWhere && !hasLimit)
    unboundedReason = `${verb} without a WHERE clause touches every row of "${target.name}"`;
  else if (verb === 'UPDATE' && replace)
    unboundedReason = 'UPDATE OR REPLACE may delete conflicting rows that no change counter reports';
  else if ((upsert || replace) && fromSelect)
    unboundedReason = `${replace ? 'REPLACE' : 'an upsert'} fed by a SELECT may replace or update any number of rows, and its conflict deletions are not counted`;

  return {
    kind: 'write',
    verb: verb as WriteVerb,
    sql: text,
    table: target.name,
    hasWhere,
    hasLimit,
    returning,
    upsert,
    replace,
    fromSelect,
    unbounded: unboundedReason !== undefined,
    ...(unboundedReason !== undefined ? { unboundedReason } : {}),
  };
}

/** What the policy needs to know about the database's schema objects (from sqlite_master). */
export interface SchemaObject {
  type: 'table' | 'view' | 'trigger' | 'index';
  name: string;
  /** For triggers and indexes: the table (or view) they belong to. */
  tableName: string;
  sql: string | null;
}

/**
 * Refuses a write whose target's triggers (directly, or through the tables those triggers touch) reference a
 * protected table: a trigger is SQL the server did not read, and it runs with the write's privileges.
 * Conservative on purpose: any mention of a protected name in a reachable trigger body counts.
 * The query host backs this up with EXPLAIN (which lists trigger and foreign-key sub-programs).
 */
export function checkWriteTarget(
  write: WriteClassification,
  objects: readonly SchemaObject[],
  options: PolicyOptions,
): void {
  const byName = new Map<string, SchemaObject[]>();
  for (const object of objects) {
    if (object.type !== 'trigger') continue;
    const key = asciiLower(object.tableName);
    byName.set(key, [...(byName.get(key) ?? []), object]);
  }
  const seen = new Set<string>();
  const queue: Array<{ table: string; path: string[] }> = [{ table: asciiLower(write.table), path: [] }];
  while (queue.length > 0) {
    const { table, path } = queue.shift() as { table: string; path: string[] };
    if (seen.has(table)) continue;
    seen.add(table);
    for (const trigger of byName.get(table) ?? []) {
      let tokens: Token[];
      try {
        tokens = tokenize(trigger.sql ?? '');
      } catch {
        throw refused(
          `The trigger "${trigger.name}" on "${trigger.tableName}" could not be read, so the write cannot be checked.`,
          'Ask the human to review the trigger.',
        );
      }
      for (const [index, token] of tokens.entries()) {
        if (token.kind !== 'word' && token.kind !== 'quoted' && token.kind !== 'string') continue;
        const name = nameValue(token);
        // sqlite_version(), sqlite_source_id() … are functions, not tables.
        const isFunctionCall =
          token.kind === 'word' &&
          tokens[index + 1]?.kind === 'lparen' &&
          asciiLower(name).startsWith('sqlite_');
        if (isProtectedTable(name, options.protectedTables) && !isFunctionCall) {
          const via = [...path, `trigger "${trigger.name}"`].join(' → ');
          throw new AppError(
            'PROTECTED_TABLE',
            `Writing to "${write.table}" fires ${via}, which touches the server's table "${name}"; such writes are refused.`,
            {
              hint: 'Tables with triggers that reach the audit log or migrations ledger cannot be written through SQL. Ask the human to change the trigger.',
              details: { table: write.table, trigger: trigger.name, protectedTable: name },
            },
          );
        }
        queue.push({ table: asciiLower(name), path: [...path, `trigger "${trigger.name}"`] });
      }
    }
  }
}
