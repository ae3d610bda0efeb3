// The typed row tools' domain: the project's Drizzle tables rebuilt in this process from their plain description
// (SchemaTable), values validated against each column's Drizzle type (zod schemas derived by drizzle-zod) before
// any SQL exists, statements built only by Drizzle's query builder (never by pasting names or values into text),
// and results decoded the way Drizzle decodes them. Invariant: every identifier in the SQL produced here comes
// from the schema description, every value is a bound parameter, and nothing here runs SQL — the query host
// does, under the same guard, budget and audit as raw SQL. No MCP, no process.
import {
  and,
  asc,
  desc,
  eq,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  like,
  lt,
  lte,
  ne,
  notInArray,
  or,
  sql,
  type SQL,
} from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/sqlite-proxy';
import {
  blob,
  customType,
  integer,
  numeric,
  real,
  sqliteTable,
  text,
  type SQLiteColumn,
  type SQLiteColumnBuilderBase,
  type SQLiteTable,
} from 'drizzle-orm/sqlite-core';
import { createInsertSchema, createSelectSchema, createUpdateSchema } from 'drizzle-zod';
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import type { SchemaColumn, SchemaTable } from '../project/types.js';
import { shortenText } from '../core/text.js';
import { describeIssues } from '../core/zod-issues.js';
import { DEFAULT_MAX_CELL_CHARS, type Cell, type EncodedRows } from './encode.js';
import type { ParamValue } from './protocol.js';
import { asciiLower } from '../sql/tokenizer.js';

// ---- Names ------------------------------------------------------------------------------------------------------

function listTables(tables: readonly SchemaTable[]): string {
  return tables.map((t) => (t.exportName === t.name ? t.name : `${t.exportName} (${t.name})`)).join(', ');
}

function listColumns(table: SchemaTable): string {
  return table.columns.map((c) => (c.property === c.name ? c.name : `${c.property} (${c.name})`)).join(', ');
}

/** A table by its Drizzle export name or its SQL name (exact first, then ASCII case-insensitive as SQLite does). */
export function resolveTable(tables: readonly SchemaTable[], name: string): SchemaTable {
  const exact = tables.find((t) => t.exportName === name || t.name === name);
  if (exact) return exact;
  const lower = asciiLower(name);
  const loose = tables.filter((t) => asciiLower(t.exportName) === lower || asciiLower(t.name) === lower);
  if (loose.length === 1) return loose[0] as SchemaTable;
  throw new AppError('NOT_FOUND', `The Drizzle schema has no table "${name}".`, {
    hint: `Tables (Drizzle name (SQL name)): ${listTables(tables) || 'none'}.`,
    details: { tables: tables.map((t) => t.exportName) },
  });
}

/** A column by its Drizzle property name or its SQL name. */
export function resolveColumn(table: SchemaTable, name: string): SchemaColumn {
  const exact = table.columns.find((c) => c.property === name || c.name === name);
  if (exact) return exact;
  const lower = asciiLower(name);
  const loose = table.columns.filter((c) => asciiLower(c.property) === lower || asciiLower(c.name) === lower);
  if (loose.length === 1) return loose[0] as SchemaColumn;
  throw new AppError('INVALID_ARGUMENT', `Table "${table.exportName}" has no column "${name}".`, {
    hint: `Columns of ${table.exportName} (Drizzle name (SQL name)): ${listColumns(table)}.`,
    details: { columns: table.columns.map((c) => c.property) },
  });
}

// ---- Rebuilding the Drizzle table --------------------------------------------------------------------------------

const passthrough = (sqlType: string) =>
  customType<{ data: unknown; driverData: unknown }>({ dataType: () => sqlType });

/** What the live database says about a column that the Drizzle description does not carry. */
export interface LiveColumn {
  /** The column's DEFAULT expression as SQLite stores it (pragma_table_xinfo.dflt_value), if any. */
  defaultSql: string | null;
  /** A generated column: never inserted or updated. */
  generated: boolean;
}

function appComputedDefault(column: SchemaColumn): never {
  throw new AppError(
    'INVALID_ARGUMENT',
    `${column.property} has no database default: its default is computed by the app's code ($defaultFn/$default), which this server does not run.`,
    {
      hint: `Give ${column.property} a value in every row.`,
    },
  );
}

function columnBuilder(
  column: SchemaColumn,
  singlePrimaryKey: boolean,
  live: LiveColumn | undefined,
): SQLiteColumnBuilderBase {
  const { name } = column;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- builders of every kind share these methods
  let builder: any;
  switch (column.columnType) {
    case 'SQLiteText':
      builder = column.enumValues?.length
        ? text(name, { enum: column.enumValues as [string, ...string[]] })
        : text(name);
      break;
    case 'SQLiteTextJson':
      builder = text(name, { mode: 'json' });
      break;
    case 'SQLiteInteger':
      builder = integer(name);
      break;
    case 'SQLiteBoolean':
      builder = integer(name, { mode: 'boolean' });
      break;
    case 'SQLiteTimestamp':
      builder = integer(name, { mode: column.mode === 'timestamp_ms' ? 'timestamp_ms' : 'timestamp' });
      break;
    case 'SQLiteReal':
      builder = real(name);
      break;
    case 'SQLiteNumeric':
      builder = numeric(name);
      break;
    case 'SQLiteNumericNumber':
      builder = numeric(name, { mode: 'number' });
      break;
    case 'SQLiteNumericBigInt':
      builder = numeric(name, { mode: 'bigint' });
      break;
    case 'SQLiteBlobJson':
      builder = blob(name, { mode: 'json' });
      break;
    case 'SQLiteBigInt':
      builder = blob(name, { mode: 'bigint' });
      break;
    case 'SQLiteBlobBuffer':
      builder = blob(name, { mode: 'buffer' });
      break;
    default:
      builder = passthrough(column.sqlType || 'blob')(name);
  }
  const rowidAlias = singlePrimaryKey && column.primaryKey && column.columnType === 'SQLiteInteger';
  if (column.primaryKey && singlePrimaryKey)
    builder = builder.primaryKey(column.autoIncrement ? { autoIncrement: true } : undefined);
  else if (column.notNull) builder = builder.notNull();
  if (live?.generated) {
    // Only its effect on queries matters: Drizzle leaves generated columns out of inserts and updates.
    builder = builder.generatedAlwaysAs(sql`null`);
  } else if (live?.defaultSql != null) {
    // Security: the expression comes from the database's own schema (not from the caller), and the whole
    // statement is still classified by the guard before it runs. Drizzle puts a column's SQL default in the
    // VALUES of a row that omits it — SQLite has no DEFAULT keyword there.
    builder = builder.default(sql.raw(`(${live.defaultSql})`));
  } else if (column.hasDefault && !rowidAlias) {
    builder = builder.$defaultFn(() => appComputedDefault(column));
  }
  return builder as SQLiteColumnBuilderBase;
}

export function rebuildTable(table: SchemaTable, live?: ReadonlyMap<string, LiveColumn>): SQLiteTable {
  const single = table.columns.filter((c) => c.primaryKey).length === 1;
  const columns: Record<string, SQLiteColumnBuilderBase> = {};
  for (const column of table.columns)
    columns[column.property] = columnBuilder(column, single, live?.get(column.name));
  return sqliteTable(table.name, columns);
}

// ---- Validation ----------------------------------------------------------------------------------------------------

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const digits = z
  .string()
  .regex(/^-?\d{1,19}$/, 'expected an integer as a decimal string')
  // zod runs refinements after a failed regex too: only parse what is digits.
  .refine(
    (v) => !/^-?\d+$/.test(v) || (BigInt(v) >= INT64_MIN && BigInt(v) <= INT64_MAX),
    'out of the 64-bit integer range',
  );

/**
 * Where drizzle-zod's schema is not what a JSON caller can send, a JSON-friendly one with the same meaning:
 * dates as ISO-8601 text, 64-bit integers also as decimal strings (JSON numbers lose precision past 2^53),
 * blobs as {"$blob": base64}.
 */
function refinements(table: SchemaTable): Record<string, (schema: z.ZodType) => z.ZodType> {
  const out: Record<string, (schema: z.ZodType) => z.ZodType> = {};
  for (const column of table.columns) {
    switch (column.columnType) {
      case 'SQLiteTimestamp':
        out[column.property] = () =>
          z
            .union([z.iso.datetime({ offset: true }), z.iso.date()], {
              error: 'expected an ISO-8601 date-time, e.g. 2025-01-31T09:00:00Z',
            })
            .transform((v) => new Date(v));
        break;
      case 'SQLiteInteger':
        // Exact 64-bit values as strings: SQLite's INTEGER affinity stores the text as the exact integer.
        out[column.property] = (schema) => z.union([schema, digits]);
        break;
      case 'SQLiteBigInt':
      case 'SQLiteNumericBigInt':
        out[column.property] = () => z.union([digits, z.int()]).transform((v) => BigInt(v));
        break;
      case 'SQLiteBlobBuffer':
        out[column.property] = () =>
          z
            .object({ $blob: z.base64() })
            .strict()
            .transform((v) => Buffer.from(v.$blob, 'base64'));
        break;
      default:
        if (!column.columnType.startsWith('SQLite') || column.columnType === 'SQLiteCustomColumn')
          out[column.property] = () => z.union([z.string(), z.number(), z.boolean(), z.null()]);
    }
  }
  return out;
}

type ObjectSchema = z.ZodObject<Record<string, z.ZodType>>;

// ---- The model: one table, its Drizzle object and its schemas -----------------------------------------------------

/** A typed table: rebuilt Drizzle columns, derived zod schemas and the SQL builders for the row tools. */
export class TableModel {
  readonly table: SchemaTable;
  readonly drizzle: SQLiteTable;
  private readonly insertSchema: ObjectSchema;
  private readonly updateSchema: ObjectSchema;
  private readonly selectSchema: ObjectSchema;

  /** `live`: the columns' defaults and generated flags as the database has them, by SQL name. */
  constructor(table: SchemaTable, live?: ReadonlyMap<string, LiveColumn>) {
    this.table = table;
    this.drizzle = rebuildTable(table, live);
    const refine = refinements(table);
    this.insertSchema = (createInsertSchema(this.drizzle, refine) as unknown as ObjectSchema).strict();
    this.updateSchema = (createUpdateSchema(this.drizzle, refine) as unknown as ObjectSchema).strict();
    this.selectSchema = createSelectSchema(this.drizzle, refine) as unknown as ObjectSchema;
  }

  column(name: string): SchemaColumn {
    return resolveColumn(this.table, name);
  }

  drizzleColumn(column: SchemaColumn, table: SQLiteTable = this.drizzle): SQLiteColumn {
    return (table as unknown as Record<string, SQLiteColumn>)[column.property] as SQLiteColumn;
  }

  /** Re-keys a row by property name (accepting SQL names), refusing unknown columns with the list. */
  private byProperty(row: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) {
      const column = this.column(key);
      if (column.property in out) {
        throw new AppError(
          'INVALID_ARGUMENT',
          `Column "${column.property}" is given twice (as "${column.property}" and "${column.name}").`,
          {
            hint: 'Name each column once, by its Drizzle or its SQL name.',
          },
        );
      }
      out[column.property] = value;
    }
    return out;
  }

  /** Validates insert rows against the Drizzle types; returns them keyed by property, values as Drizzle expects. */
  parseInsertRows(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
    return rows.map((row, index) => {
      const parsed = this.insertSchema.safeParse(this.byProperty(row));
      if (!parsed.success) throw invalidValues(describeIssues(parsed.error, `rows[${index}]`), this.table);
      return parsed.data;
    });
  }

  parseUpdateValues(values: Record<string, unknown>): Record<string, unknown> {
    const keyed = this.byProperty(values);
    if (Object.keys(keyed).length === 0) {
      throw new AppError('INVALID_ARGUMENT', 'An update needs at least one column in values.', {
        hint: `Columns of ${this.table.exportName}: ${listColumns(this.table)}.`,
      });
    }
    const parsed = this.updateSchema.safeParse(keyed);
    if (!parsed.success) throw invalidValues(describeIssues(parsed.error, 'values'), this.table);
    return parsed.data;
  }

  /** One filter value, validated (and converted, e.g. ISO text → Date) as the column's select type. */
  parseFilterValue(column: SchemaColumn, value: unknown, where: string): unknown {
    const schema = this.selectSchema.shape[column.property] as z.ZodType;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw invalidValues(describeIssues(parsed.error, where, 1), this.table);
    }
    return parsed.data;
  }
}

function invalidValues(text: string, table: SchemaTable): AppError {
  return new AppError('INVALID_ARGUMENT', `Invalid values for ${table.exportName}: ${text}.`, {
    hint: 'Values follow the Drizzle column types: booleans as true/false, JSON columns as JSON, timestamps as ISO-8601 text, enums as one of their values, 64-bit integers as decimal strings.',
  });
}

// ---- Filters --------------------------------------------------------------------------------------------------------

export type Scalar = string | number | boolean | null;
export interface FilterOperators {
  eq?: Scalar;
  ne?: Scalar;
  gt?: Scalar;
  gte?: Scalar;
  lt?: Scalar;
  lte?: Scalar;
  in?: Scalar[];
  notIn?: Scalar[];
  like?: string;
  isNull?: boolean;
}
/** { column: value } is equality (null: IS NULL); { column: { op: value, … } } ANDs the operators. */
export type Filter = Record<string, Scalar | FilterOperators>;

const MAX_IN_VALUES = 1000;

function isBlobStored(column: SchemaColumn): boolean {
  return column.columnType.startsWith('SQLiteBlob') || column.columnType === 'SQLiteBigInt';
}

function isComparable(column: SchemaColumn): boolean {
  return !(column.mode === 'json' || column.columnType === 'SQLiteBlobBuffer');
}

/** The WHERE of a filter: every condition built with Drizzle's operators on the rebuilt columns. */
export function buildWhere(model: TableModel, filter: Filter | undefined): SQL | undefined {
  if (!filter) return undefined;
  const conditions: SQL[] = [];
  for (const [key, spec] of Object.entries(filter)) {
    const column = model.column(key);
    const target = model.drizzleColumn(column);
    const where = `where.${key}`;
    if (!isComparable(column)) {
      throw new AppError(
        'INVALID_ARGUMENT',
        `${where}: ${column.property} is a ${column.mode === 'json' ? 'JSON' : 'blob'} column and cannot be filtered by value here.`,
        {
          hint: "Use run_query with json_extract(...) (e.g. WHERE json_extract(preferences, '$.theme') = ?).",
        },
      );
    }
    const value = (raw: unknown, label: string) => model.parseFilterValue(column, raw, `${where}.${label}`);
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      conditions.push(spec === null ? isNull(target) : eq(target, value(spec, 'eq')));
      continue;
    }
    const ops = spec as FilterOperators;
    if (Object.keys(ops).length === 0)
      throw new AppError('INVALID_ARGUMENT', `${where} has no operator.`, {
        hint: 'Use one of eq, ne, gt, gte, lt, lte, in, notIn, like, isNull.',
      });
    for (const [op, raw] of Object.entries(ops)) {
      switch (op) {
        case 'eq':
          conditions.push(raw === null ? isNull(target) : eq(target, value(raw, op)));
          break;
        case 'ne':
          conditions.push(raw === null ? isNotNull(target) : ne(target, value(raw, op)));
          break;
        case 'gt':
        case 'gte':
        case 'lt':
        case 'lte': {
          if (raw === null)
            throw new AppError('INVALID_ARGUMENT', `${where}.${op} cannot compare with null.`, {
              hint: 'Use isNull: true or false.',
            });
          const fn = { gt, gte, lt, lte }[op];
          conditions.push(fn(target, value(raw, op)));
          break;
        }
        case 'in':
        case 'notIn': {
          const list = raw as Scalar[];
          if (!Array.isArray(list) || list.length === 0 || list.length > MAX_IN_VALUES) {
            throw new AppError(
              'INVALID_ARGUMENT',
              `${where}.${op} needs between 1 and ${MAX_IN_VALUES} values.`,
              { hint: 'Split long lists across calls.' },
            );
          }
          const values = list.map((item, i) => value(item, `${op}[${i}]`));
          conditions.push(op === 'in' ? inArray(target, values) : notInArray(target, values));
          break;
        }
        case 'like':
          if (typeof raw !== 'string') {
            throw new AppError('INVALID_ARGUMENT', `${where}.like needs a text pattern.`, {
              hint: 'e.g. {"like": "%@example.com"}.',
            });
          }
          if (column.dataType !== 'string') {
            throw new AppError(
              'INVALID_ARGUMENT',
              `${where}.like works on text columns; ${column.property} is ${column.dataType}.`,
              { hint: 'Use eq, gt, lt or in.' },
            );
          }
          // A pattern, not a value of the column: bound as plain text (an enum column still accepts '%').
          conditions.push(like(target, raw));
          break;
        case 'isNull':
          if (typeof raw !== 'boolean') {
            throw new AppError('INVALID_ARGUMENT', `${where}.isNull must be true or false.`, {
              hint: '{"isNull": true} is IS NULL, {"isNull": false} is IS NOT NULL.',
            });
          }
          conditions.push(raw ? isNull(target) : isNotNull(target));
          break;
        default:
          throw new AppError('INVALID_ARGUMENT', `${where} has an unknown operator "${op}".`, {
            hint: 'Use one of eq, ne, gt, gte, lt, lte, in, notIn, like, isNull.',
          });
      }
    }
  }
  return conditions.length ? and(...conditions) : undefined;
}

// ---- Statements ---------------------------------------------------------------------------------------------------

/** Drizzle's SQLite dialect behind a driver that is never called: only `.toSQL()` is used. */
const builder = drizzle(async () => {
  throw new AppError('INTERNAL', 'The row tools build SQL only; the query host runs it.');
});

export interface BuiltStatement {
  sql: string;
  params: ParamValue[];
}

/** Drizzle's parameters (already through each column's mapToDriverValue) as the query host's bindable values. */
export function toParamValues(params: readonly unknown[]): ParamValue[] {
  return params.map((value) => {
    if (value === undefined || value === null) return null;
    if (typeof value === 'bigint') return value.toString();
    if (Buffer.isBuffer(value)) return { $blob: value.toString('base64') };
    if (value instanceof Uint8Array) return { $blob: Buffer.from(value).toString('base64') };
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    throw new AppError('INVALID_ARGUMENT', `A value of type ${typeof value} cannot be bound.`);
  });
}

/** How a column is selected: blob-stored JSON and bigint come back as their text, which is what they hold. */
function selectExpression(
  model: TableModel,
  column: SchemaColumn,
  table: SQLiteTable = model.drizzle,
): SQLiteColumn | SQL {
  const target = model.drizzleColumn(column, table);
  return column.columnType === 'SQLiteBlobJson' || column.columnType === 'SQLiteBigInt'
    ? sql`cast(${target} as text)`
    : target;
}

function selection(
  model: TableModel,
  columns: readonly SchemaColumn[],
  table?: SQLiteTable,
): Record<string, SQLiteColumn | SQL> {
  return Object.fromEntries(
    columns.map((column) => [column.property, selectExpression(model, column, table)]),
  );
}

export interface SortKey {
  column: SchemaColumn;
  descending: boolean;
}

export interface SelectPlan extends BuiltStatement {
  /** Columns in the select list, in order: the requested ones, then hidden sort keys needed for the cursor. */
  selected: SchemaColumn[];
  /** How many of `selected` the caller asked for (the rest are cursor keys, dropped from the answer). */
  visible: number;
  sortKeys: SortKey[];
  /** Keyset paging applies (every sort key is NOT NULL and comparable); otherwise the cursor is an offset. */
  keyset: boolean;
  /** A signature of the query shape, carried by its cursors. */
  signature: string;
  /** The OFFSET the statement uses (0 with keyset paging). */
  offset: number;
}

export interface Cursor {
  /** A signature of the query shape: a cursor only continues the query that produced it. */
  s: string;
  /** Keyset: the last row's sort key values. */
  k?: Cell[];
  /** Offset paging: rows already returned. */
  o?: number;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (typeof value.s === 'string' && (Array.isArray(value.k) || typeof value.o === 'number')) return value;
  } catch {
    // fall through
  }
  throw new AppError('INVALID_ARGUMENT', 'The cursor is not one this server produced.', {
    hint: 'Pass nextCursor from the previous select_rows answer unchanged, with the same table, where and orderBy.',
  });
}

export interface SelectInput {
  columns?: readonly string[];
  where?: Filter;
  orderBy?: readonly string[];
  limit: number;
  offset?: number;
  cursor?: string;
}

function parseOrder(model: TableModel, spec: string): SortKey {
  const match = /^\s*(\S+?)(?:\s+(asc|desc))?\s*$/i.exec(spec);
  if (!match)
    throw new AppError('INVALID_ARGUMENT', `orderBy "${spec}" is not "column" or "column desc".`, {
      hint: 'Write e.g. ["createdAt desc", "id"].',
    });
  const column = model.column(match[1] as string);
  if (!isComparable(column))
    throw new AppError(
      'INVALID_ARGUMENT',
      `Cannot order by ${column.property} (a ${column.mode === 'json' ? 'JSON' : 'blob'} column).`,
      { hint: 'Order by a scalar column.' },
    );
  return { column, descending: (match[2] ?? '').toLowerCase() === 'desc' };
}

function shapeSignature(table: SchemaTable, where: Filter | undefined, keys: readonly SortKey[]): string {
  const text = JSON.stringify([table.name, where ?? null, keys.map((k) => [k.column.name, k.descending])]);
  let hash = 2166136261;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0;
  return hash.toString(36);
}

/**
 * select_rows' statement. Rows come in a total order — the requested order, then the primary key — so pages are
 * stable; the cursor continues after the last row's keys (keyset) when every key is NOT NULL, otherwise it
 * carries an offset. The statement asks for one row more than the page, so the host can tell "more" from "done".
 */
export function planSelect(model: TableModel, input: SelectInput): SelectPlan {
  const { table } = model;
  const requested = input.columns?.length ? input.columns.map((name) => model.column(name)) : table.columns;
  const unique = [...new Map(requested.map((c) => [c.property, c])).values()];
  const sortKeys = (input.orderBy ?? []).map((spec) => parseOrder(model, spec));
  for (const column of table.columns.filter((c) => c.primaryKey)) {
    if (!sortKeys.some((k) => k.column.property === column.property))
      sortKeys.push({ column, descending: false });
  }
  // Keyset paging needs a total order on values that compare as stored: NOT NULL, and not blob-stored.
  const keyset =
    table.columns.some((c) => c.primaryKey) &&
    sortKeys.every(
      (k) => (k.column.notNull || k.column.primaryKey) && isComparable(k.column) && !isBlobStored(k.column),
    );
  const selected = [...unique];
  for (const key of sortKeys)
    if (!selected.some((c) => c.property === key.column.property)) selected.push(key.column);
  const signature = shapeSignature(table, input.where, sortKeys);

  const conditions: SQL[] = [];
  const filter = buildWhere(model, input.where);
  if (filter) conditions.push(filter);
  let offset = input.offset ?? 0;
  if (input.cursor !== undefined) {
    const cursor = decodeCursor(input.cursor);
    if (cursor.s !== signature) {
      throw new AppError(
        'INVALID_ARGUMENT',
        'This cursor belongs to a different query (table, where or orderBy changed).',
        {
          hint: 'Repeat the first call without a cursor, or keep table, where and orderBy exactly as before.',
        },
      );
    }
    if (cursor.k && keyset && cursor.k.length === sortKeys.length)
      conditions.push(after(model, sortKeys, cursor.k));
    else if (typeof cursor.o === 'number' && !keyset) offset = cursor.o;
    else
      throw new AppError('INVALID_ARGUMENT', 'This cursor does not fit this query.', {
        hint: 'Pass nextCursor from the previous answer unchanged.',
      });
  }
  let query = builder
    .select(selection(model, selected))
    .from(model.drizzle)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(...sortKeys.map((k) => (k.descending ? desc : asc)(model.drizzleColumn(k.column))))
    .limit(input.limit + 1)
    .$dynamic();
  if (offset > 0) query = query.offset(offset);
  const built = query.toSQL();
  return {
    sql: built.sql,
    params: toParamValues(built.params),
    selected,
    visible: unique.length,
    sortKeys,
    keyset,
    signature,
    offset,
  };
}

/** Rows strictly after `values` in the sort order: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR … (< for desc keys). */
function after(model: TableModel, keys: readonly SortKey[], values: readonly Cell[]): SQL {
  const branches: SQL[] = [];
  for (let i = 0; i < keys.length; i += 1) {
    const parts: SQL[] = [];
    for (let j = 0; j < i; j += 1)
      parts.push(sql`${model.drizzleColumn((keys[j] as SortKey).column)} = ${values[j] ?? null}`);
    const key = keys[i] as SortKey;
    // The stored (driver) values from the previous page, bound as they are: no mapToDriverValue on top.
    parts.push(
      key.descending
        ? sql`${model.drizzleColumn(key.column)} < ${values[i] ?? null}`
        : sql`${model.drizzleColumn(key.column)} > ${values[i] ?? null}`,
    );
    branches.push(and(...parts) as SQL);
  }
  return or(...branches) as SQL;
}

/**
 * The cursor for the page after `encoded` (undefined when it was the last page). Keyset: the last row's stored
 * sort-key values; otherwise the offset reached.
 */
export function nextCursor(plan: SelectPlan, encoded: EncodedRows): string | undefined {
  const last = encoded.rows[encoded.rows.length - 1];
  if (!encoded.truncated || !last) return undefined;
  if (plan.keyset) {
    const keys = plan.sortKeys.map(
      (key) => last[plan.selected.findIndex((c) => c.property === key.column.property)] ?? null,
    );
    return encodeCursor({ s: plan.signature, k: keys });
  }
  return encodeCursor({ s: plan.signature, o: plan.offset + encoded.rows.length });
}

export type WriteAction =
  | { action: 'insert'; rows: Record<string, unknown>[] }
  | { action: 'update'; values: Record<string, unknown>; where: Filter }
  | { action: 'delete'; where: Filter };

/**
 * write_rows' statement, with RETURNING every column so the answer shows the rows as they are now. A row that
 * omits a column gets the column's database default (or NULL when it has none).
 */
export function planWrite(model: TableModel, write: WriteAction): BuiltStatement {
  if (write.action !== 'insert' && (!write.where || Object.keys(write.where).length === 0)) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `${write.action === 'update' ? 'An update' : 'A delete'} needs a where filter.`,
      {
        hint: 'Name the rows, e.g. where: { id: "…" }. To change every row, use execute_sql (which asks the human for unbounded writes).',
      },
    );
  }
  // The whole row as it now stands (defaults and triggers applied), named by the table's own columns.
  const returningAll = selection(model, model.table.columns);
  let built: { sql: string; params: unknown[] };
  if (write.action === 'insert') {
    if (write.rows.length === 0)
      throw new AppError('INVALID_ARGUMENT', 'An insert needs at least one row.', {
        hint: 'Pass rows: [{ … }].',
      });
    const rows = model.parseInsertRows(write.rows);
    built = builder
      .insert(model.drizzle)
      .values(rows as never)
      .returning(returningAll)
      .toSQL();
  } else if (write.action === 'update') {
    const values = model.parseUpdateValues(write.values);
    built = builder
      .update(model.drizzle)
      .set(values as never)
      .where(buildWhere(model, write.where))
      .returning(returningAll)
      .toSQL();
  } else {
    built = builder
      .delete(model.drizzle)
      .where(buildWhere(model, write.where))
      .returning(returningAll)
      .toSQL();
  }
  return { sql: built.sql, params: toParamValues(built.params) };
}

// ---- Decoding -----------------------------------------------------------------------------------------------------

export type DecodedValue = string | number | boolean | null | Record<string, unknown> | unknown[];

/**
 * One stored value as Drizzle would hand it to the app (its column's mapFromDriverValue), then made JSON-safe:
 * booleans, parsed JSON, Dates as ISO-8601 text, bigints as decimal strings. A value Drizzle cannot decode
 * (invalid JSON text, an out-of-range timestamp) is returned as stored rather than hidden.
 */
export function decodeCell(model: TableModel, column: SchemaColumn, cell: Cell): DecodedValue {
  if (cell === null) return null;
  if (typeof cell === 'string' && /^<blob \d+ bytes>$/.test(cell) && column.columnType === 'SQLiteBlobBuffer')
    return cell;
  const target = model.drizzleColumn(column);
  let raw: unknown = cell;
  if (column.columnType === 'SQLiteBlobJson' || column.columnType === 'SQLiteBigInt')
    raw = Buffer.from(String(cell), 'utf8');
  let value: unknown;
  try {
    value = target.mapFromDriverValue(raw);
  } catch {
    return cell;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? cell : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' && column.mode !== 'json') return shortenText(value, DEFAULT_MAX_CELL_CHARS);
  if (value === undefined) return null;
  return value as DecodedValue;
}

/** Host rows (columns in `selected` order) decoded, keeping only the first `visible` columns. */
export function decodeRows(
  model: TableModel,
  encoded: EncodedRows,
  selected: readonly SchemaColumn[],
  visible = selected.length,
): DecodedValue[][] {
  return encoded.rows.map((row) =>
    selected.slice(0, visible).map((column, i) => decodeCell(model, column, row[i] ?? null)),
  );
}
