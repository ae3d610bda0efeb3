// Live schema introspection: what the database file really contains, read through SQLite's own pragma table
// functions (never by parsing alone), with the stored CREATE text consulted only for what no pragma reports
// (AUTOINCREMENT, generated expressions, CHECKs, partial-index WHERE). Invariant: read-only and bounded — it runs
// only SELECTs, identifiers are bound as parameters or quoted, and no row count scans more than `rowCountBound + 1`
// rows, so a 10M-row table costs the same as a small one. SQLite's internal `sqlite_%` tables are never shown.
import type { Database } from 'better-sqlite3';
import { AppError, fromSqliteError } from '../core/errors.js';
import {
  parseCreateIndex,
  parseCreateTable,
  quoteIdentifier,
  type ParsedCreateTable,
  type ReferentialAction,
} from '../sql/ddl.js';
import { asciiLower } from '../sql/tokenizer.js';

export const DEFAULT_ROW_COUNT_BOUND = 100_000;

export interface ColumnInfo {
  name: string;
  /** Declared type as written ("" when the column has none). */
  type: string;
  notNull: boolean;
  /** The default as raw SQL text, e.g. "(CURRENT_TIMESTAMP)", "'member'", "true". */
  default?: string;
  /** 1-based position in the primary key. */
  primaryKey?: number;
  autoincrement?: true;
  generated?: { kind: 'virtual' | 'stored'; expression?: string };
}

export interface IndexInfo {
  name: string;
  unique: boolean;
  /** How the index came to be: PRIMARY KEY, UNIQUE constraint, or CREATE INDEX. */
  origin: 'pk' | 'unique' | 'index';
  /** Column names; an expression column appears as its SQL text. */
  columns: string[];
  /** Partial-index condition (SQL text after WHERE). */
  where?: string;
}

export interface ForeignKeyInfo {
  columns: string[];
  table: string;
  /** Target columns (the parent's primary key when the clause names none). */
  to: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

export interface CheckInfo {
  name?: string;
  expression: string;
}

/** Exact when `exact`; otherwise an estimate from sqlite_stat1, or a lower bound ("more than `count`"). */
export type RowCount =
  { count: number; exact: true } | { count: number; exact: false; basis: 'sqlite_stat1' | 'more_than' };

export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  indexes: IndexInfo[];
  foreignKeys: ForeignKeyInfo[];
  checks: CheckInfo[];
  /** Absent when row counts were not requested. */
  rowCount?: RowCount;
  withoutRowid?: true;
  strict?: true;
  virtual?: true;
}

export interface ViewInfo {
  name: string;
  sql: string;
}

export interface TriggerInfo {
  name: string;
  table: string;
  sql: string;
}

export interface DatabaseSchema {
  tables: TableInfo[];
  views: ViewInfo[];
  triggers: TriggerInfo[];
}

export interface IntrospectOptions {
  /** Only these tables or views (exact names). Unknown names fail with NOT_FOUND. Default: all. */
  tables?: string[];
  /** Leave these out (exact names, or a predicate), e.g. the migrations ledger or the audit table. */
  exclude?: readonly string[] | ((name: string) => boolean);
  /** Count rows exactly up to this many; beyond it the count is an estimate. Default 100,000. */
  rowCountBound?: number;
  /** Skip row counting (drift analysis does not need it). Default true. */
  rowCounts?: boolean;
}

interface SchemaRow {
  type: 'table' | 'view' | 'trigger' | 'index';
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** One column as SQLite itself describes it (pragma_table_xinfo). */
export interface LiveColumnRow {
  cid: number;
  name: string;
  /** The declared type, as written. */
  type: string;
  notNull: boolean;
  /** The DEFAULT expression as SQLite stores it, if any. */
  defaultSql: string | null;
  /** Position in the primary key (1-based), 0 when not part of it. */
  pk: number;
  /** 0 a normal column, 1 a virtual table's hidden column, 2 generated virtual, 3 generated stored. */
  hidden: number;
}

/** The columns of a live table (or view), every one, in order; empty when there is no such table. */
export function liveColumns(db: Database, table: string): LiveColumnRow[] {
  return (
    db
      .prepare('SELECT cid, name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)')
      .all(table) as Array<{
      cid: number;
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
      hidden: number;
    }>
  ).map((row) => ({
    cid: row.cid,
    name: row.name,
    type: row.type,
    notNull: row.notnull === 1,
    defaultSql: row.dflt_value,
    pk: row.pk,
    hidden: row.hidden,
  }));
}

interface IndexListRow {
  name: string;
  unique: number;
  origin: 'c' | 'u' | 'pk';
  partial: number;
}

interface IndexInfoRow {
  seqno: number;
  cid: number;
  name: string | null;
}

interface ForeignKeyRow {
  id: number;
  seq: number;
  table: string;
  from: string;
  to: string | null;
  on_update: string;
  on_delete: string;
}

/** Reads tables (columns, indexes, foreign keys, checks, row counts), views and triggers of the main database. */
export function introspectDatabase(db: Database, options: IntrospectOptions = {}): DatabaseSchema {
  try {
    return introspect(db, options);
  } catch (error) {
    throw fromSqliteError(error, 'Reading the database schema');
  }
}

function introspect(db: Database, options: IntrospectOptions): DatabaseSchema {
  const bound = options.rowCountBound ?? DEFAULT_ROW_COUNT_BOUND;
  const excluded = toPredicate(options.exclude);
  const rows = (
    db
      .prepare(
        `SELECT type, name, tbl_name, sql FROM sqlite_schema
         WHERE type IN ('table', 'view', 'trigger') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         ORDER BY name`,
      )
      .all() as SchemaRow[]
  ).filter((row) => !excluded(row.name));

  const wanted = options.tables === undefined ? undefined : new Set(options.tables);
  if (wanted) {
    const known = new Set(rows.filter((r) => r.type !== 'trigger').map((r) => r.name));
    const unknown = [...wanted].filter((name) => !known.has(name));
    if (unknown.length > 0) {
      const tables = rows.filter((r) => r.type === 'table').map((r) => r.name);
      throw new AppError(
        'NOT_FOUND',
        `No table or view named ${unknown.map((n) => `"${n}"`).join(', ')} in the database.`,
        {
          hint:
            tables.length > 0 ? `Existing tables: ${tables.join(', ')}.` : 'The database has no tables yet.',
          details: { unknown, tables },
        },
      );
    }
  }
  const selected = (name: string) => wanted === undefined || wanted.has(name);
  const stat1 = hasStat1(db);

  const tables = rows
    .filter((r) => r.type === 'table' && selected(r.name))
    .map((r) => readTable(db, r, options.rowCounts === false ? undefined : { bound, stat1 }));
  const tableNames = new Set(tables.map((t) => t.name));
  const views = rows
    .filter((r) => r.type === 'view' && selected(r.name))
    .map((r) => ({ name: r.name, sql: r.sql ?? '' }));
  const triggers = rows
    .filter(
      (r) =>
        r.type === 'trigger' &&
        (wanted === undefined || tableNames.has(r.tbl_name) || wanted.has(r.tbl_name)),
    )
    .map((r) => ({ name: r.name, table: r.tbl_name, sql: r.sql ?? '' }));
  return { tables, views, triggers };
}

function toPredicate(exclude: IntrospectOptions['exclude']): (name: string) => boolean {
  if (exclude === undefined) return () => false;
  if (typeof exclude === 'function') return exclude;
  const names = new Set(exclude);
  return (name) => names.has(name);
}

function hasStat1(db: Database): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'`).get() !==
    undefined
  );
}

function readTable(
  db: Database,
  row: SchemaRow,
  counting: { bound: number; stat1: boolean } | undefined,
): TableInfo {
  const name = row.name;
  const parsed: ParsedCreateTable | undefined = row.sql ? parseCreateTable(row.sql) : undefined;
  const xinfo = liveColumns(db, name);
  const pkColumns = xinfo.filter((c) => c.pk > 0);
  const columns = xinfo
    .filter((c) => c.hidden !== 1) // 1 = a virtual table's hidden column
    .map((c): ColumnInfo => {
      const column: ColumnInfo = { name: c.name, type: c.type, notNull: c.notNull };
      if (c.defaultSql !== null) column.default = c.defaultSql;
      if (c.pk > 0) column.primaryKey = c.pk;
      const declared = parsed?.columns.find((p) => asciiLower(p.name) === asciiLower(c.name));
      if (declared?.autoincrement && pkColumns.length === 1) column.autoincrement = true;
      if (c.hidden === 2 || c.hidden === 3) {
        const expression = declared?.generated?.expression;
        column.generated = {
          kind: c.hidden === 2 ? 'virtual' : 'stored',
          ...(expression === undefined ? {} : { expression }),
        };
      }
      return column;
    });

  const indexSql = new Map(
    (
      db
        .prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?`)
        .all(name) as Array<{ name: string; sql: string | null }>
    ).map((r) => [r.name, r.sql]),
  );
  const indexes = (
    db.prepare('SELECT name, "unique", origin, partial FROM pragma_index_list(?)').all(name) as IndexListRow[]
  )
    .map((ix): IndexInfo => {
      const sql = indexSql.get(ix.name) ?? null;
      const parsedIndex = sql ? parseCreateIndex(sql) : undefined;
      const parts = db
        .prepare('SELECT seqno, cid, name FROM pragma_index_info(?) ORDER BY seqno')
        .all(ix.name) as IndexInfoRow[];
      const columnNames = parts.map(
        (p, i) => p.name ?? parsedIndex?.columns[i] ?? (p.cid === -1 ? 'rowid' : '<expression>'),
      );
      const info: IndexInfo = {
        name: ix.name,
        unique: ix.unique === 1,
        origin: ix.origin === 'pk' ? 'pk' : ix.origin === 'u' ? 'unique' : 'index',
        columns: columnNames,
      };
      if (ix.partial === 1 && parsedIndex?.where !== undefined) info.where = parsedIndex.where;
      return info;
    })
    .sort((a, b) => a.name.localeCompare(b.name));

  const table: TableInfo = {
    name,
    columns,
    indexes,
    foreignKeys: readForeignKeys(db, name),
    checks: readChecks(parsed),
  };
  if (counting) table.rowCount = countRows(db, name, counting.bound, counting.stat1);
  if (parsed?.withoutRowid) table.withoutRowid = true;
  if (parsed?.strict) table.strict = true;
  if (parsed?.virtual) table.virtual = true;
  return table;
}

function readForeignKeys(db: Database, table: string): ForeignKeyInfo[] {
  const rows = db
    .prepare(
      'SELECT id, seq, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq',
    )
    .all(table) as ForeignKeyRow[];
  const byId = new Map<number, ForeignKeyRow[]>();
  for (const row of rows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
  return [...byId.values()]
    .map((parts): ForeignKeyInfo => {
      const first = parts[0]!;
      let to = parts.map((p) => p.to);
      if (to.some((c) => c === null)) to = primaryKeyOf(db, first.table) ?? to;
      return {
        columns: parts.map((p) => p.from),
        table: first.table,
        to: to.map((c) => c ?? ''),
        onDelete: toAction(first.on_delete),
        onUpdate: toAction(first.on_update),
      };
    })
    .reverse(); // pragma lists foreign keys last-declared first
}

function primaryKeyOf(db: Database, table: string): string[] | undefined {
  const rows = db
    .prepare('SELECT name, pk FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk')
    .all(table) as Array<{ name: string }>;
  return rows.length > 0 ? rows.map((r) => r.name) : undefined;
}

export function toAction(text: string | undefined): ReferentialAction {
  const normalized = (text ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  switch (normalized) {
    case 'cascade':
    case 'restrict':
    case 'set null':
    case 'set default':
      return normalized;
    default:
      return 'no action';
  }
}

function readChecks(parsed: ParsedCreateTable | undefined): CheckInfo[] {
  if (!parsed) return [];
  const checks: CheckInfo[] = [];
  for (const constraint of parsed.constraints) {
    if (constraint.kind !== 'check' || constraint.expression === undefined) continue;
    checks.push(
      constraint.name === undefined
        ? { expression: constraint.expression }
        : { name: constraint.name, expression: constraint.expression },
    );
  }
  for (const column of parsed.columns) for (const expression of column.checks) checks.push({ expression });
  return checks;
}

/**
 * Counts at most `bound + 1` rows: exact when the table is within the bound, otherwise sqlite_stat1's estimate
 * (when ANALYZE has run and it is plausible) or "more than bound".
 */
export function countRows(
  db: Database,
  table: string,
  bound: number = DEFAULT_ROW_COUNT_BOUND,
  stat1 = hasStat1(db),
): RowCount {
  const { n } = db
    .prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM ${quoteIdentifier(table)} LIMIT ?)`)
    .get(bound + 1) as { n: number };
  if (n <= bound) return { count: n, exact: true };
  if (stat1) {
    const row = db
      .prepare('SELECT stat FROM sqlite_stat1 WHERE tbl = ? ORDER BY idx IS NULL DESC LIMIT 1')
      .get(table) as { stat: string } | undefined;
    const estimate = Number.parseInt(row?.stat.split(' ')[0] ?? '', 10);
    if (Number.isFinite(estimate) && estimate > bound)
      return { count: estimate, exact: false, basis: 'sqlite_stat1' };
  }
  return { count: bound, exact: false, basis: 'more_than' };
}
