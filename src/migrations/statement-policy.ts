// The one place that decides what each statement of a pending migration may do. Every statement of every pending
// migration is judged here BEFORE any of them runs (the dry run included): it runs, it is neutralised (skipped,
// with the reason said in the report) or the whole batch is refused, naming the file, the statement and what to do.
// Then, just before a statement runs, SQLite is asked what it will really touch (EXPLAIN: the root pages it opens
// for writing, clears or destroys, including trigger sub-programs; the functions it calls), on the database as the
// statements before it left it — the text is the first line, SQLite the backstop, as in guard/sql-policy.ts.
//
// Invariants:
// - nothing reaches beyond the database file: ATTACH/DETACH, VACUUM (INTO), load_extension() and every PRAGMA that
//   is not known to be harmless are refused; TEMP objects (which outlive the apply on the server's connection, where
//   a TEMP view or trigger can shadow or watch the real tables) are refused, except a TEMP table that the same
//   migration drops again (drizzle-kit users write one to keep rows across a table rebuild); apply.ts checks after
//   each migration that it left no TEMP object behind;
// - the server's tables (guard/server-tables.ts decides which) are never written, altered, dropped, renamed,
//   indexed or given triggers; a migration may only create them while they do not exist yet (the embedded default
//   declares the audit table in its own first migration);
// - transaction control is refused, except the hand-written `COMMIT; PRAGMA foreign_keys=OFF; BEGIN; … COMMIT;
//   PRAGMA foreign_keys=ON; BEGIN;` idiom, which is redundant inside our apply (foreign keys are switched off before
//   its one transaction and checked before it commits) and is neutralised, so the whole batch stays atomic;
// - `PRAGMA foreign_keys` anywhere is neutralised for the same reason (inside a transaction SQLite ignores it).
// Pure apart from the EXPLAIN check, which reads the connection it is given and never runs the statement.
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { AppError } from '../core/errors.js';
import type { ServerTables } from '../guard/server-tables.js';
import {
  afterCreateHeader,
  isPunct,
  isWord,
  nameOf,
  qualifiedName,
  splitStatements,
  type SqlStatement,
  type Token,
} from '../sql/ddl.js';
import { asciiLower } from '../sql/tokenizer.js';
import type { FolderMigration } from './folder.js';
import { classifyStatement, type ClassifiedStatement } from './lint-sql.js';

/** What becomes of one statement. */
export type StatementAction = 'run' | 'neutralised';

export interface PlannedStatement {
  /** 1-based drizzle chunk (the text between `--> statement-breakpoint`s) the statement sits in. */
  chunk: number;
  /** 1-based position among all statements of the file. */
  position: number;
  /** The statement as written (comments inside it kept), without its semicolon. */
  text: string;
  action: StatementAction;
  /** For a neutralised statement: what was recognised and why skipping it changes nothing. */
  reason?: string;
  /** What the statement is, as the policy read it (for effect accounting). */
  classified: ClassifiedStatement;
}

export interface PlannedMigration {
  tag: string;
  /** The migration file, relative to the migrations folder's parent (e.g. `drizzle/0001_x.sql`). */
  file: string;
  statements: PlannedStatement[];
  /** Chunks holding only comments or blanks (drizzle's own migrator fails on them; we skip them). */
  emptyChunks: number;
  chunkCount: number;
}

export interface StatementPolicyOptions {
  tables: Pick<ServerTables, 'isProtected'>;
  /** The tables of the database before the first pending migration runs. */
  existingTables: Iterable<string>;
}

/** The file as a person finds it: relative to the folder that holds the migrations folder. */
export function migrationFileLabel(migration: Pick<FolderMigration, 'file'>): string {
  const outDir = path.dirname(migration.file);
  return path.relative(path.dirname(outDir), migration.file) || migration.file;
}

// ---- Refusals -------------------------------------------------------------------------------------------------------

const MAX_TEXT_IN_MESSAGE = 300;

function shortText(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_TEXT_IN_MESSAGE ? `${flat.slice(0, MAX_TEXT_IN_MESSAGE)}…` : flat;
}

export interface StatementRef {
  tag: string;
  file: string;
  chunk: number;
  text: string;
}

/** A refusal naming the file, the statement and what to do. Nothing has run when it is thrown. */
export function refuseStatement(ref: StatementRef, refusal: Refusal): AppError {
  return new AppError(
    refusal.table === undefined ? 'MIGRATION_REFUSED' : 'PROTECTED_TABLE',
    `Refusing to run migration "${ref.tag}" (${ref.file}), statement ${ref.chunk}: "${shortText(ref.text)}" — ${refusal.why} Nothing was run.`,
    {
      hint: refusal.hint,
      details: {
        tag: ref.tag,
        file: ref.file,
        statementIndex: ref.chunk,
        statement: shortText(ref.text),
        rule: refusal.rule,
        ...(refusal.table !== undefined ? { table: refusal.table } : {}),
      },
    },
  );
}

/** "the server's table" or, for `sqlite_*`, "SQLite's internal table". */
function whose(name: string): string {
  return asciiLower(name).startsWith('sqlite_') ? "SQLite's internal table" : "the server's table";
}

/** Why a statement may not run, as data: `refuseStatement` turns it into the error, the linter into a finding. */
export interface Refusal {
  /** Why, as the end of a sentence about the statement. */
  why: string;
  /** What to do instead. */
  hint: string;
  /** The rule that refused it: outside-file, server-table, pragma, transaction-control, temp-object, explain, control-character. */
  rule: string;
  /** The server table it would touch. */
  table?: string;
}

function refuse(why: string, hint: string, rule: string, table?: string): Refusal {
  return { why, hint, rule, ...(table !== undefined ? { table } : {}) };
}

const SERVER_TABLE_HINT =
  "Remove the statement from the migration. The audit log and the migrations ledger are the server's own: only the server writes them, and their shape is the server's.";

// ---- PRAGMA ---------------------------------------------------------------------------------------------------------

const FOREIGN_KEYS_REASON =
  'the apply switches foreign keys off before its one transaction and runs PRAGMA foreign_key_check before it commits (inside a transaction SQLite ignores this pragma anyway), so it is skipped';

/** Pragmas that only read (they return rows and change nothing). */
const READING_PRAGMAS = new Set([
  'foreign_key_check',
  'foreign_key_list',
  'integrity_check',
  'quick_check',
  'table_info',
  'table_xinfo',
  'index_info',
  'index_xinfo',
  'index_list',
]);
/** Pragmas whose value lives in the database file's header and changes inside the transaction like data. */
const FILE_PRAGMAS = new Set(['user_version', 'application_id']);

const PRAGMA_DANGER: Record<string, string> = {
  locking_mode:
    'it would keep the server holding the database lock after the apply, locking the application out of its own database',
  journal_mode: "it rewrites the database file's header and changes how every other connection writes",
  query_only: "it would switch the server's connection to read-only (or back) behind the server's back",
  writable_schema: 'it allows editing the schema table directly, which can corrupt the database',
  legacy_alter_table: "it changes how ALTER TABLE rewrites the schema for the rest of the server's session",
  schema_version: 'it edits the schema cookie directly, which can corrupt the database',
  temp_store_directory: 'it makes SQLite write temporary files in another folder',
  data_store_directory: 'it makes SQLite write files in another folder',
};

function pragmaValue(value: string | undefined): string | undefined {
  return value === undefined ? undefined : asciiLower(value.replace(/^['"`[]|['"`\]]$/g, '').trim());
}

function isForeignKeysPragma(c: ClassifiedStatement | undefined, on: boolean): boolean {
  if (c?.kind !== 'pragma' || c.name !== 'foreign_keys') return false;
  const value = pragmaValue(c.value);
  return on
    ? ['on', '1', 'true', 'yes'].includes(value ?? '')
    : ['off', '0', 'false', 'no'].includes(value ?? '');
}

// ---- Transaction control ----------------------------------------------------------------------------------------

interface ReadStatement {
  chunk: number;
  statement: SqlStatement;
  classified: ClassifiedStatement;
}

/** `COMMIT|END [TRANSACTION]` and nothing else. */
function isCommit(s: ReadStatement | undefined): boolean {
  const t = s?.statement.tokens;
  if (!t || !isWord(t[0], 'COMMIT', 'END')) return false;
  return t.length === 1 || (t.length === 2 && isWord(t[1], 'TRANSACTION'));
}

/** `BEGIN [DEFERRED|IMMEDIATE|EXCLUSIVE] [TRANSACTION]` and nothing else. */
function isBegin(s: ReadStatement | undefined): boolean {
  const t = s?.statement.tokens;
  if (!t || !isWord(t[0], 'BEGIN')) return false;
  let i = 1;
  if (isWord(t[i], 'DEFERRED', 'IMMEDIATE', 'EXCLUSIVE')) i++;
  if (isWord(t[i], 'TRANSACTION')) i++;
  return i === t.length;
}

const IDIOM_REASON =
  "the hand-written `COMMIT; PRAGMA foreign_keys=OFF; BEGIN; … COMMIT; PRAGMA foreign_keys=ON; BEGIN;` idiom leaves drizzle's migrator transaction to get foreign keys off around a table rebuild; the apply already switches them off before its one transaction and checks them before commit, so these statements are skipped and the whole batch stays one transaction";

/**
 * The positions (in `statements`) of the transaction-control idiom's statements. Transaction control outside a
 * complete idiom is left to the judge, which refuses it.
 */
function findIdiom(statements: readonly ReadStatement[]): { skip: Set<number> } {
  const skip = new Set<number>();
  let i = 0;
  while (i < statements.length) {
    if (statements[i]!.classified.kind !== 'transaction') {
      i++;
      continue;
    }
    const opens =
      isCommit(statements[i]) &&
      isForeignKeysPragma(statements[i + 1]?.classified, false) &&
      isBegin(statements[i + 2]);
    if (!opens) {
      i++;
      continue;
    }
    let j = i + 3;
    while (j < statements.length && statements[j]!.classified.kind !== 'transaction') j++;
    const closes =
      isCommit(statements[j]) &&
      isForeignKeysPragma(statements[j + 1]?.classified, true) &&
      isBegin(statements[j + 2]);
    if (!closes) {
      i++;
      continue;
    }
    for (const k of [i, i + 1, i + 2, j, j + 1, j + 2]) skip.add(k);
    i = j + 3;
  }
  return { skip };
}

// ---- Per-statement rules ----------------------------------------------------------------------------------------

/** Characters SQLite reads differently from us (NUL ends the text) or that no migration needs. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

function mentionsLoadExtension(tokens: readonly Token[]): boolean {
  return tokens.some(
    (token, i) => token.kind === 'word' && token.value === 'LOAD_EXTENSION' && isPunct(tokens[i + 1], '('),
  );
}

/** A protected table named anywhere in a trigger's WHEN clause or body (conservative: any mention counts). */
function protectedNameIn(
  tokens: readonly Token[],
  tables: Pick<ServerTables, 'isProtected'>,
): string | undefined {
  for (const [i, token] of tokens.entries()) {
    const name = nameOf(token);
    if (name === undefined || !tables.isProtected(name)) continue;
    // sqlite_version(), sqlite_source_id() … are functions, not tables.
    if (token.kind === 'word' && isPunct(tokens[i + 1], '(') && asciiLower(name).startsWith('sqlite_'))
      continue;
    return name;
  }
  return undefined;
}

/** `CREATE TEMP …` or `CREATE … temp.name`: an object in the connection's TEMP schema. */
function createsTempObject(t: readonly Token[]): boolean {
  if (!isWord(t[0], 'CREATE')) return false;
  if (isWord(t[1], 'TEMP', 'TEMPORARY')) return true;
  const at = afterCreateHeader([...t]);
  const schema = isPunct(t[at + 1], '.') ? nameOf(t[at]) : undefined;
  return schema !== undefined && asciiLower(schema) === 'temp';
}

class Judge {
  /** Lower-cased names of the tables that exist at the current statement. */
  private readonly present = new Set<string>();
  /** Protected tables created by this batch (they may get their indexes in it). */
  private readonly createdHere = new Set<string>();
  /** TEMP tables created by the current migration and not dropped yet. */
  private readonly tempHere = new Set<string>();

  constructor(private readonly options: StatementPolicyOptions) {
    for (const table of options.existingTables) this.present.add(asciiLower(table));
  }

  private isProtected(name: string | undefined): name is string {
    return name !== undefined && this.options.tables.isProtected(name);
  }

  /** Why `s` may not run, or undefined when it may (the judge then follows what it does to the schema). */
  judge(s: ReadStatement, droppedLater = false): Refusal | undefined {
    const c = s.classified;
    const t = s.statement.tokens;

    if (CONTROL_CHARACTERS.test(s.statement.text))
      return refuse(
        'it contains a control character (such as NUL, where SQLite stops reading), so what runs could differ from what was reviewed.',
        'Remove the control characters from the migration file.',
        'control-character',
      );
    if (mentionsLoadExtension(t))
      return refuse(
        'load_extension() loads native code from a file outside the database.',
        'Remove it: extensions are loaded by the application where it opens the database, never by a migration.',
        'outside-file',
      );
    if (isWord(t[0], 'EXPLAIN'))
      return refuse(
        'EXPLAIN in a migration changes no schema and data, and EXPLAIN PRAGMA applies the pragma while it is prepared.',
        'Remove the statement from the migration.',
        'explain',
      );
    if (createsTempObject(t)) return this.tempObject(s, droppedLater);

    switch (c.kind) {
      case 'transaction':
        return refuse(
          `${c.keyword} controls the transaction, but the apply runs every pending migration in one transaction (all or nothing); the only transaction control recognised is the \`COMMIT; PRAGMA foreign_keys=OFF; BEGIN; … COMMIT; PRAGMA foreign_keys=ON; BEGIN;\` idiom around a table rebuild.`,
          `Remove ${c.keyword} (and the statements that pair with it) from the migration: the apply is already atomic, switches foreign keys off around the batch and checks them before commit.`,
          'transaction-control',
        );
      case 'outside_transaction':
        return refuse(
          c.keyword === 'VACUUM'
            ? 'VACUUM rewrites the whole database file (VACUUM INTO writes a copy of it to any path), even in a dry run.'
            : `${c.keyword} reaches beyond the database file (ATTACH creates any file it names and can copy tables out), even in a dry run.`,
          c.keyword === 'VACUUM'
            ? 'Remove VACUUM from the migration; run maintenance outside migrations.'
            : 'Remove it: a migration may only change the project database.',
          'outside-file',
        );
      case 'pragma':
        return this.pragma(s);
      case 'create_table':
        return this.createTable(c.parsed.table);
      case 'create_index':
        if (this.isProtected(c.parsed.name))
          return refuse(
            `the index would take the name of ${whose(c.parsed.name)} "${c.parsed.name}".`,
            'Give the index another name.',
            'server-table',
            c.parsed.name,
          );
        if (this.isProtected(c.parsed.table) && !this.createdHere.has(asciiLower(c.parsed.table)))
          return refuse(
            `it indexes ${whose(c.parsed.table)} "${c.parsed.table}" (a UNIQUE or expression index there can make every later audit row fail).`,
            SERVER_TABLE_HINT,
            'server-table',
            c.parsed.table,
          );
        return undefined;
      case 'create_trigger': {
        if (this.isProtected(c.table))
          return refuse(
            `it creates a trigger on ${whose(c.table)} "${c.table}", which would run on every audit row or ledger write.`,
            SERVER_TABLE_HINT,
            'server-table',
            c.table,
          );
        const named = protectedNameIn(c.body, this.options.tables);
        if (named !== undefined)
          return refuse(
            `the trigger's body touches ${whose(named)} "${named}"; it would write there with the privileges of whatever fires it.`,
            'Remove the reference to the server table from the trigger.',
            'server-table',
            named,
          );
        if (this.isProtected(c.name))
          return refuse(
            `it takes the name of ${whose(c.name)} "${c.name}".`,
            'Choose another name.',
            'server-table',
            c.name,
          );
        return undefined;
      }
      case 'create_other':
        if (this.isProtected(c.name))
          return refuse(
            `it would create a ${c.object.toLowerCase() || 'schema object'} named like ${whose(c.name)} "${c.name}".`,
            'Choose another name.',
            'server-table',
            c.name,
          );
        return undefined;
      case 'drop':
        if (c.object === 'TABLE' && this.isProtected(c.name))
          return refuse(`it drops ${whose(c.name)} "${c.name}".`, SERVER_TABLE_HINT, 'server-table', c.name);
        // An unqualified DROP finds the TEMP table first, as SQLite does.
        if (c.object === 'TABLE' && !this.tempHere.delete(asciiLower(c.name)))
          this.present.delete(asciiLower(c.name));
        return undefined;
      case 'rename_table':
        if (this.isProtected(c.table))
          return refuse(
            `it renames ${whose(c.table)} "${c.table}".`,
            SERVER_TABLE_HINT,
            'server-table',
            c.table,
          );
        if (this.isProtected(c.to))
          return refuse(
            `it renames a table to "${c.to}", the name of one of the server's tables.`,
            'Choose another name.',
            'server-table',
            c.to,
          );
        this.present.delete(asciiLower(c.table));
        this.present.add(asciiLower(c.to));
        return undefined;
      case 'rename_column':
      case 'add_column':
      case 'drop_column':
        if (this.isProtected(c.table))
          return refuse(
            `it alters ${whose(c.table)} "${c.table}".`,
            SERVER_TABLE_HINT,
            'server-table',
            c.table,
          );
        return undefined;
      case 'insert_select':
      case 'write': {
        const table = c.table;
        if (this.isProtected(table))
          return refuse(
            `it writes to ${whose(table)} "${table}"${c.kind === 'write' && c.withClause ? ' (behind a WITH clause)' : ''}.`,
            SERVER_TABLE_HINT,
            'server-table',
            table,
          );
        return undefined;
      }
      case 'other': {
        const altered = isWord(t[0], 'ALTER') ? qualifiedName([...t], 2).name : undefined;
        if (this.isProtected(altered))
          return refuse(
            `it alters ${whose(altered)} "${altered}".`,
            SERVER_TABLE_HINT,
            'server-table',
            altered,
          );
        return undefined;
      }
    }
  }

  /** A TEMP table may run when this migration drops it again; TEMP views, triggers and indexes never. */
  private tempObject(s: ReadStatement, droppedLater: boolean): Refusal | undefined {
    const c = s.classified;
    const outlives =
      "TEMP objects live on the connection that ran the migration, i.e. the server's own, after the apply ends, where a TEMP view or trigger can shadow or watch the real tables.";
    if (c.kind !== 'create_table' || c.parsed.virtual)
      return refuse(
        outlives,
        'Use a regular view or trigger, or a subquery; a TEMP table is accepted when the same migration drops it again.',
        'temp-object',
      );
    if (this.isProtected(c.parsed.table))
      return refuse(
        `the TEMP table would shadow ${whose(c.parsed.table)} "${c.parsed.table}" on the server's connection.`,
        'Give the TEMP table another name.',
        'server-table',
        c.parsed.table,
      );
    if (!droppedLater)
      return refuse(
        `the TEMP table "${c.parsed.table}" is not dropped later in the same migration, so it would outlive the apply on the server's connection.`,
        `Add DROP TABLE "${c.parsed.table}"; at the end of the migration (or use a regular table and drop it there).`,
        'temp-object',
      );
    this.tempHere.add(asciiLower(c.parsed.table));
    return undefined;
  }

  private createTable(table: string): Refusal | undefined {
    const key = asciiLower(table);
    if (this.isProtected(table)) {
      if (this.present.has(key))
        return refuse(
          `"${table}" is one of the server's tables and already exists.`,
          SERVER_TABLE_HINT,
          'server-table',
          table,
        );
      this.createdHere.add(key);
    }
    this.present.add(key);
    return undefined;
  }

  private pragma(s: ReadStatement): Refusal | undefined {
    const c = s.classified;
    if (c.kind !== 'pragma') return;
    const t = s.statement.tokens;
    const schema = isPunct(t[2], '.') ? nameOf(t[1]) : undefined;
    if (schema !== undefined && asciiLower(schema) !== 'main')
      return refuse(
        `PRAGMA ${schema}.${c.name} reaches beyond the project database.`,
        'Remove the statement from the migration.',
        'pragma',
      );
    if (READING_PRAGMAS.has(c.name) || FILE_PRAGMAS.has(c.name)) return;
    const danger = PRAGMA_DANGER[c.name];
    return refuse(
      `PRAGMA ${c.name} changes the server's connection or the database file beyond this migration${danger ? `: ${danger}` : ''}; only foreign_keys (handled by the apply), user_version, application_id and read-only checks are accepted.`,
      `Remove PRAGMA ${c.name} from the migration; connection settings belong where the application opens the database.`,
      'pragma',
    );
  }
}

/** One statement of a migration, as the policy judged it. */
export interface ReviewedStatement {
  chunk: number;
  position: number;
  text: string;
  classified: ClassifiedStatement;
  verdict:
    { action: 'run' } | { action: 'neutralised'; reason: string } | { action: 'refused'; refusal: Refusal };
}

/**
 * Judges the statements of one migration's chunks, in order, as the next part of `judge`'s batch. Pure data: the
 * plan refuses on the first refusal, the linter turns every verdict into a finding.
 */
function reviewWith(
  judge: Judge,
  chunks: readonly string[],
): { statements: ReviewedStatement[]; emptyChunks: number } {
  let emptyChunks = 0;
  const read: ReadStatement[] = [];
  chunks.forEach((chunk, index) => {
    const statements = splitStatements(chunk);
    if (statements.length === 0) emptyChunks++;
    for (const statement of statements)
      read.push({ chunk: index + 1, statement, classified: classifyStatement(statement) });
  });
  const idiom = findIdiom(read);
  const dropsTable = (s: ReadStatement, key: string): boolean =>
    s.classified.kind === 'drop' && s.classified.object === 'TABLE' && asciiLower(s.classified.name) === key;
  const droppedLater = (position: number): boolean => {
    const c = read[position]!.classified;
    if (c.kind !== 'create_table') return false;
    const key = asciiLower(c.parsed.table);
    return read.slice(position + 1).some((later) => dropsTable(later, key));
  };
  const statements = read.map((s, position): ReviewedStatement => {
    const base = { chunk: s.chunk, position: position + 1, text: s.statement.text, classified: s.classified };
    if (idiom.skip.has(position))
      return { ...base, verdict: { action: 'neutralised', reason: IDIOM_REASON } };
    if (isForeignKeysPragmaAnyValue(s.classified))
      return { ...base, verdict: { action: 'neutralised', reason: FOREIGN_KEYS_REASON } };
    const refusal = judge.judge(s, droppedLater(position));
    return { ...base, verdict: refusal ? { action: 'refused', refusal } : { action: 'run' } };
  });
  return { statements, emptyChunks };
}

/** Every statement of `chunks` (one migration, or several run as one sequence) with the policy's verdict. */
export function reviewStatements(
  chunks: readonly string[],
  options: StatementPolicyOptions,
): ReviewedStatement[] {
  return reviewWith(new Judge(options), chunks).statements;
}

/**
 * Reads and judges every statement of `migrations` (in order, as one batch) without running anything. Returns
 * what will run and what is neutralised; throws MIGRATION_REFUSED or PROTECTED_TABLE naming the first statement
 * that may not run.
 */
export function planMigrations(
  migrations: readonly FolderMigration[],
  options: StatementPolicyOptions,
): PlannedMigration[] {
  const judge = new Judge(options);
  return migrations.map((migration) => {
    const file = migrationFileLabel(migration);
    const { statements, emptyChunks } = reviewWith(judge, migration.chunks);
    const planned = statements.map(({ verdict, ...statement }): PlannedStatement => {
      if (verdict.action === 'refused')
        throw refuseStatement(
          { tag: migration.tag, file, chunk: statement.chunk, text: statement.text },
          verdict.refusal,
        );
      return verdict.action === 'neutralised'
        ? { ...statement, action: 'neutralised', reason: verdict.reason }
        : { ...statement, action: 'run' };
    });
    return {
      tag: migration.tag,
      file,
      statements: planned,
      emptyChunks,
      chunkCount: migration.chunks.length,
    };
  });
}

function isForeignKeysPragmaAnyValue(c: ClassifiedStatement): boolean {
  return c.kind === 'pragma' && (c.name === 'foreign_keys' || c.name === 'defer_foreign_keys');
}

// ---- What SQLite will touch ---------------------------------------------------------------------------------------

/** Functions whose call reaches beyond the database file. */
const OUTSIDE_FUNCTIONS = /^(load_extension|sqlite_attach|sqlite_detach)\(/i;

interface ExplainOp {
  opcode: string;
  p1: number;
  p2: number;
  p3: number;
  p4: unknown;
}

/**
 * Asks SQLite, on `db` as the statements before this one left it, what the statement will touch — without running
 * it. Refuses when its program (trigger and foreign-key sub-programs included) opens a root page of a server table
 * or one of its indexes for writing, clears or destroys one, calls a function that reaches beyond the file, or
 * vacuums. A statement SQLite cannot even prepare is left to run, so that SQLite's own error names it.
 */
export function checkWhatStatementTouches(db: Database, ref: StatementRef, tables: ServerTables): void {
  let ops: ExplainOp[];
  try {
    ops = db.prepare(`EXPLAIN ${ref.text}`).all() as ExplainOp[];
  } catch {
    return;
  }
  const roots = new Map<number, string>();
  const objects = db
    .prepare(`SELECT rootpage, tbl_name AS tableName FROM main.sqlite_schema WHERE rootpage > 0`)
    .all() as Array<{ rootpage: number; tableName: string }>;
  for (const { rootpage, tableName } of objects) {
    // sqlite_sequence and sqlite_schema are SQLite's bookkeeping for every AUTOINCREMENT insert and every DDL; the
    // text rules above refuse naming them, and their writes here are SQLite's own.
    if (tables.isProtected(tableName) && !asciiLower(tableName).startsWith('sqlite_'))
      roots.set(rootpage, tableName);
  }
  for (const op of ops) {
    let table: string | undefined;
    if (op.opcode === 'OpenWrite' && op.p3 === 0) table = roots.get(op.p2);
    else if (op.opcode === 'Clear' && op.p2 === 0) table = roots.get(op.p1);
    else if (op.opcode === 'Destroy' && op.p3 === 0) table = roots.get(op.p1);
    if (table !== undefined)
      throw refuseStatement(
        ref,
        refuse(
          `SQLite reports that it would write to ${whose(table)} "${table}" (directly, through a view, or through a trigger).`,
          SERVER_TABLE_HINT,
          'server-table',
          table,
        ),
      );
    if (
      (op.opcode === 'Function' || op.opcode === 'PureFunc') &&
      typeof op.p4 === 'string' &&
      OUTSIDE_FUNCTIONS.test(op.p4)
    )
      throw refuseStatement(
        ref,
        refuse(
          `SQLite reports that it would call ${op.p4.replace(/\(.*$/, '')}(), which reaches beyond the database file.`,
          'Remove it from the migration.',
          'outside-file',
        ),
      );
    if (op.opcode === 'Vacuum')
      throw refuseStatement(
        ref,
        refuse('SQLite reports that it would vacuum the database file.', 'Remove it.', 'outside-file'),
      );
  }
}

/** The objects in `db`'s TEMP schema, as `type name`. */
export function tempObjects(db: Database): Set<string> {
  const rows = db.prepare(`SELECT type, name FROM temp.sqlite_schema`).all() as Array<{
    type: string;
    name: string;
  }>;
  return new Set(rows.map((row) => `${row.type} ${row.name}`));
}

/**
 * The backstop for the TEMP rule: after a migration ran, its TEMP tables must be gone again. Whatever the text
 * rules missed (a DROP that named another schema, say) is refused here, inside the transaction that is rolled back.
 */
export function checkNoTempObjectLeft(
  db: Database,
  migration: Pick<PlannedMigration, 'tag' | 'file'>,
  before: ReadonlySet<string>,
): void {
  const left = [...tempObjects(db)].filter((object) => !before.has(object));
  if (left.length === 0) return;
  throw new AppError(
    'MIGRATION_REFUSED',
    `Migration "${migration.tag}" (${migration.file}) left TEMP objects on the server's connection: ${left.join(', ')}. They would outlive the apply, where they can shadow or watch the real tables. Everything was rolled back.`,
    {
      hint: 'Drop each TEMP table at the end of the migration that creates it (DROP TABLE name), or use a regular table and drop it there.',
      details: { tag: migration.tag, file: migration.file, left },
    },
  );
}
