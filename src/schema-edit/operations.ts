// The typed operations edit_schema accepts. One vocabulary for the tool's input, the engine, the verification after
// a reload and the audit row. Names are SQL names (what the database and generate_migration talk about); the
// TypeScript names (property, export) are derived from the file's own convention unless given.
import { z } from 'zod';
import { AppError } from '../core/errors.js';

const SQL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TS_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const SqlName = z
  .string()
  .regex(SQL_NAME, 'use letters, digits and underscores, starting with a letter or underscore');
const TsName = z.string().regex(TS_NAME, 'must be a JavaScript identifier');
/** Existing objects may carry any name the project already uses. */
const ExistingName = z.string().min(1).max(128);

export const COLUMN_TYPES = ['text', 'integer', 'real', 'blob', 'numeric'] as const;
export const COLUMN_MODES = [
  'boolean',
  'timestamp',
  'timestamp_ms',
  'json',
  'number',
  'bigint',
  'buffer',
] as const;
export const FK_ACTIONS = ['cascade', 'restrict', 'no action', 'set null', 'set default'] as const;

/** Which modes each builder takes (drizzle-orm/sqlite-core). */
export const MODES_BY_TYPE: Record<(typeof COLUMN_TYPES)[number], readonly string[]> = {
  text: ['json'],
  integer: ['number', 'boolean', 'timestamp', 'timestamp_ms'],
  real: [],
  blob: ['json', 'bigint', 'buffer'],
  numeric: ['number', 'bigint'],
};

/**
 * A column default: a literal (string, number, boolean, or for json columns an object/array), or an SQL expression
 * `{ sql: "CURRENT_TIMESTAMP" }`, written as sql`(…)` (SQLite needs the parentheses for any expression).
 */
export const DefaultSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.unknown()),
  z.object({ sql: z.string().min(1).max(200) }).strict(),
  z.record(z.string(), z.unknown()),
]);
export type DefaultValue = z.infer<typeof DefaultSchema>;

export const ReferenceSchema = z
  .object({
    table: ExistingName.describe('Referenced table (SQL name).'),
    column: ExistingName.describe('Referenced column: its primary key or a unique column.'),
    onDelete: z.enum(FK_ACTIONS).optional(),
    onUpdate: z.enum(FK_ACTIONS).optional(),
  })
  .strict();

export const ColumnSchema = z
  .object({
    name: SqlName.describe('SQL column name.'),
    type: z.enum(COLUMN_TYPES),
    mode: z
      .enum(COLUMN_MODES)
      .optional()
      .describe('integer: boolean|timestamp|timestamp_ms; text/blob: json'),
    enum: z.array(z.string()).min(1).optional().describe('text only: allowed values'),
    notNull: z.boolean().optional(),
    primaryKey: z.boolean().optional(),
    autoIncrement: z.boolean().optional().describe('integer primary key only'),
    unique: z.boolean().optional(),
    default: DefaultSchema.optional().describe('literal, or {"sql":"CURRENT_TIMESTAMP"}'),
    references: ReferenceSchema.optional(),
    property: TsName.optional().describe('TS property; default from the file convention'),
  })
  .strict();
export type ColumnSpec = z.infer<typeof ColumnSchema>;

const Columns = z.array(ExistingName).min(1);

export const IndexSchema = z
  .object({
    name: SqlName.optional().describe('default <table>_<columns>_idx (_unique)'),
    columns: Columns,
    unique: z.boolean().optional(),
  })
  .strict();

export const ForeignKeySchema = z
  .object({
    columns: Columns,
    references: z.object({ table: ExistingName, columns: Columns }).strict(),
    onDelete: z.enum(FK_ACTIONS).optional(),
    onUpdate: z.enum(FK_ACTIONS).optional(),
    name: SqlName.optional(),
  })
  .strict();

export const OperationSchema = z.discriminatedUnion('op', [
  z
    .object({
      op: z.literal('add_table'),
      table: SqlName,
      columns: z.array(ColumnSchema).min(1),
      primaryKey: Columns.optional().describe('composite primary key'),
      indexes: z.array(IndexSchema).optional(),
      foreignKeys: z.array(ForeignKeySchema).optional(),
      exportName: TsName.optional(),
      file: z.string().optional().describe('schema file (relative to the project) to put it in'),
    })
    .strict(),
  z.object({ op: z.literal('add_column'), table: ExistingName, column: ColumnSchema }).strict(),
  z.object({ op: z.literal('drop_column'), table: ExistingName, column: ExistingName }).strict(),
  z
    .object({
      op: z.literal('rename_column'),
      table: ExistingName,
      column: ExistingName,
      to: SqlName,
      property: TsName.optional().describe('also rename the TS property'),
    })
    .strict(),
  z
    .object({
      op: z.literal('rename_table'),
      table: ExistingName,
      to: SqlName,
      exportName: TsName.optional().describe('also rename the export'),
    })
    .strict(),
  z
    .object({
      op: z.literal('alter_column'),
      table: ExistingName,
      column: ExistingName,
      type: z.enum(COLUMN_TYPES).optional(),
      mode: z.enum(COLUMN_MODES).nullable().optional(),
      enum: z.array(z.string()).min(1).nullable().optional(),
      notNull: z.boolean().optional(),
      default: DefaultSchema.nullable().optional().describe('null removes it'),
    })
    .strict(),
  z.object({ op: z.literal('add_index'), table: ExistingName, ...IndexSchema.shape }).strict(),
  z.object({ op: z.literal('drop_index'), table: ExistingName, name: ExistingName }).strict(),
  z.object({ op: z.literal('add_foreign_key'), table: ExistingName, ...ForeignKeySchema.shape }).strict(),
  z.object({ op: z.literal('drop_foreign_key'), table: ExistingName, columns: Columns }).strict(),
]);
export type Operation = z.infer<typeof OperationSchema>;
export type OperationOf<K extends Operation['op']> = Extract<Operation, { op: K }>;

export const OperationsSchema = z.array(OperationSchema).min(1).max(50);

// ---- What the tool lists --------------------------------------------------------------------------------------------
// tools/list is sent to the model every turn and has a byte budget (test/e2e/budgets.test.ts). The full JSON Schema
// of OperationSchema is ~7.5 KB even with shared definitions, so the tool lists a loose shape plus this grammar, and
// the handler validates with OperationsSchema (parseOperations), whose errors name the operation and the field.

export const OPERATIONS_GRAMMAR =
  'Ops (SQL names): add_table{table,columns:[col],primaryKey?:[c],indexes?:[{columns,unique?,name?}],' +
  'foreignKeys?:[{columns,references:{table,columns},onDelete?,onUpdate?}],file?} add_column{table,column:col} ' +
  'drop_column{table,column} rename_column{table,column,to,property?} rename_table{table,to,exportName?} ' +
  'alter_column{table,column,type?,mode?,enum?,notNull?,default?} (null removes) add_index{table,columns,unique?,name?} ' +
  'drop_index{table,name} add_foreign_key{table,columns,references:{table,columns},onDelete?,onUpdate?} ' +
  'drop_foreign_key{table,columns}. col={name,type:text|integer|real|blob|numeric,mode?:boolean|timestamp|' +
  'timestamp_ms|json,enum?,notNull?,primaryKey?,autoIncrement?,unique?,default?:literal|{sql},' +
  'references?:{table,column,onDelete?,onUpdate?}}';

// The grammar names every operation, so the listed shape is only "objects"; bounds and fields are checked strictly.
export const LooseOperationsSchema = z.array(z.record(z.string(), z.unknown())).describe(OPERATIONS_GRAMMAR);

/** Strict validation of what the loose listing let through; the error names the operation, the field and the rule. */
export function parseOperations(raw: unknown): Operation[] {
  const parsed = OperationsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where =
    issue.path.length > 0
      ? `operations${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`
      : 'operations';
  return fail(`${where}: ${issue.message}`);
}

function fail(message: string): never {
  throw new AppError('INVALID_ARGUMENT', message, {
    hint: `Each operation is one of: ${OPERATIONS_GRAMMAR}`,
  });
}
