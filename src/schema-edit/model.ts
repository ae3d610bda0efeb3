// What the project's schema means, as drizzle-kit loaded it: tables, columns (SQL and TypeScript facts), indexes,
// foreign keys. The engine checks every operation against this model and changes it as it goes (so a later
// operation in the same call sees an earlier one's table or column), and verification applies the same operations
// to the model of the schema before the edit and compares the result with the model of the reloaded schema: one
// definition of "what an operation means" for both.
import type { LoadedSchema } from '../project/types.js';
import type { ColumnSpec, DefaultValue } from './operations.js';

export interface ModelColumn {
  property: string;
  name: string;
  sqlType: string;
  mode?: string;
  enumValues?: string[];
  notNull: boolean;
  /** Single-column primary key (a composite key is the table's `primaryKey`). */
  primaryKey: boolean;
  autoIncrement: boolean;
  /** The default as drizzle-kit's snapshot writes it ("'a'", 3, true, "(CURRENT_TIMESTAMP)"). */
  default?: string | number | boolean;
}

export interface ModelIndex {
  name: string;
  columns: string[];
  unique: boolean;
}

export interface ModelForeignKey {
  columns: string[];
  tableTo: string;
  columnsTo: string[];
  onDelete: string;
  onUpdate: string;
}

export interface ModelTable {
  exportName: string;
  name: string;
  columns: ModelColumn[];
  indexes: ModelIndex[];
  foreignKeys: ModelForeignKey[];
  /** Composite primary key columns, if any. */
  primaryKey?: string[];
}

export type SchemaModel = ModelTable[];

interface SnapshotColumn {
  name: string;
  type: string;
  primaryKey: boolean;
  notNull: boolean;
  autoincrement?: boolean;
  default?: string | number | boolean;
}
interface SnapshotTable {
  columns: Record<string, SnapshotColumn>;
  indexes: Record<string, { name: string; columns: string[]; isUnique: boolean }>;
  foreignKeys: Record<
    string,
    { columnsFrom: string[]; tableTo: string; columnsTo: string[]; onDelete?: string; onUpdate?: string }
  >;
  compositePrimaryKeys: Record<string, { columns: string[] }>;
}

export function modelOf(schema: LoadedSchema): SchemaModel {
  const snapshotTables = schema.snapshot.tables as Record<string, SnapshotTable | undefined>;
  return schema.tables.map((table): ModelTable => {
    const snap = snapshotTables[table.name];
    const composite = Object.values(snap?.compositePrimaryKeys ?? {})[0]?.columns;
    return {
      exportName: table.exportName,
      name: table.name,
      columns: table.columns.map((column): ModelColumn => {
        const snapColumn = snap?.columns[column.name];
        return {
          property: column.property,
          name: column.name,
          sqlType: column.sqlType,
          ...(normalMode(column.sqlType, column.mode) ? { mode: column.mode } : {}),
          ...(column.enumValues ? { enumValues: [...column.enumValues] } : {}),
          notNull: column.notNull,
          primaryKey: snapColumn?.primaryKey ?? (column.primaryKey && !composite),
          autoIncrement: column.autoIncrement ?? false,
          ...(snapColumn?.default !== undefined ? { default: snapColumn.default } : {}),
        };
      }),
      indexes: Object.values(snap?.indexes ?? {}).map((index) => ({
        name: index.name,
        columns: [...index.columns],
        unique: index.isUnique,
      })),
      foreignKeys: Object.values(snap?.foreignKeys ?? {}).map((fk) => ({
        columns: [...fk.columnsFrom],
        tableTo: fk.tableTo,
        columnsTo: [...fk.columnsTo],
        onDelete: fk.onDelete ?? 'no action',
        onUpdate: fk.onUpdate ?? 'no action',
      })),
      ...(composite ? { primaryKey: [...composite] } : {}),
    };
  });
}

/** A column spec as the model will see it once drizzle-kit loads it. */
export function modelColumnOf(spec: ColumnSpec, property: string): ModelColumn {
  const mode = spec.mode;
  return {
    property,
    name: spec.name,
    sqlType: spec.type,
    ...(normalMode(spec.type, mode) ? { mode } : {}),
    ...(spec.enum ? { enumValues: [...spec.enum] } : {}),
    notNull: Boolean(spec.notNull || spec.primaryKey),
    primaryKey: Boolean(spec.primaryKey),
    autoIncrement: Boolean(spec.autoIncrement),
    ...(spec.default !== undefined ? { default: snapshotDefault(spec.default) } : {}),
  };
}

/** A mode that only restates the builder's default (`blob()` is "buffer", `integer()` "number") is no mode. */
export function normalMode(sqlType: string, mode: string | undefined): string | undefined {
  if ((sqlType === 'blob' && mode === 'buffer') || (sqlType === 'integer' && mode === 'number'))
    return undefined;
  return mode;
}

/** drizzle-kit's serializer: strings quoted (with '' escapes), objects as quoted JSON, SQL as written. */
export function snapshotDefault(value: DefaultValue): string | number | boolean {
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (isSqlDefault(value)) return sqlDefaultText(value.sql);
  return `'${JSON.stringify(value)}'`;
}

export function isSqlDefault(value: DefaultValue): value is { sql: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { sql?: unknown }).sql === 'string' &&
    Object.keys(value).length === 1
  );
}

/** The SQL of a default expression wrapped in one pair of parentheses (SQLite requires them for expressions). */
export function sqlDefaultText(sql: string): string {
  const trimmed = sql.trim();
  return isWrapped(trimmed) ? trimmed : `(${trimmed})`;
}

function isWrapped(text: string): boolean {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    if (depth === 0 && i < text.length - 1) return false;
  }
  return true;
}

export function findTable(model: SchemaModel, name: string): ModelTable | undefined {
  return model.find((table) => table.name === name);
}

export function findColumn(table: ModelTable, name: string): ModelColumn | undefined {
  return table.columns.find((column) => column.name === name);
}

/** drizzle-orm's automatic name for a column's `.unique()`: `<table>_<column>_unique`. */
export function columnUniqueName(table: string, column: string): string {
  return `${table}_${column}_unique`;
}

export function cloneModel(model: SchemaModel): SchemaModel {
  return structuredClone(model);
}
