// What each operation means for the schema model, and whether it is allowed there: the one place that validates an
// operation against the project (the table exists, the column does not yet, the referenced column exists, has a
// compatible type and is a key). The engine runs it before touching text; verification runs it again on the model
// of the schema before the edit and compares with the reloaded schema. Operations arrive resolved (resolve.ts):
// every name the file's conventions decide is already filled in.
import { AppError } from '../core/errors.js';
import {
  columnUniqueName,
  findColumn,
  findTable,
  isSqlDefault,
  modelColumnOf,
  snapshotDefault,
  type ModelTable,
  type SchemaModel,
} from './model.js';
import { MODES_BY_TYPE, type ColumnSpec, type DefaultValue, type Operation } from './operations.js';

export interface OperationContext {
  /** Position of the operation in the call (0-based), named in errors. */
  index: number;
}

export function invalid(
  ctx: OperationContext,
  reason: string,
  message: string,
  hint: string,
  details: Record<string, unknown> = {},
): AppError {
  return new AppError('INVALID_ARGUMENT', `operations[${ctx.index}]: ${message}`, {
    hint,
    details: { operation: ctx.index, reason, ...details },
  });
}

export function requireTable(model: SchemaModel, name: string, ctx: OperationContext): ModelTable {
  const table = findTable(model, name);
  if (!table) {
    throw invalid(
      ctx,
      'TABLE_NOT_FOUND',
      `table "${name}" does not exist.`,
      'Use one of the existing tables (SQL names).',
      {
        tables: model.map((t) => t.name),
      },
    );
  }
  return table;
}

function requireColumn(table: ModelTable, name: string, ctx: OperationContext) {
  const column = findColumn(table, name);
  if (!column) {
    throw invalid(
      ctx,
      'COLUMN_NOT_FOUND',
      `table "${table.name}" has no column "${name}".`,
      'Use one of its columns (SQL names).',
      { table: table.name, columns: table.columns.map((c) => c.name) },
    );
  }
  return column;
}

function requireNewColumn(table: ModelTable, name: string, property: string, ctx: OperationContext): void {
  if (findColumn(table, name)) {
    throw invalid(
      ctx,
      'COLUMN_EXISTS',
      `table "${table.name}" already has a column "${name}".`,
      'Pick a new name, or use alter_column to change it.',
      {
        table: table.name,
        columns: table.columns.map((c) => c.name),
      },
    );
  }
  if (table.columns.some((c) => c.property === property)) {
    throw invalid(
      ctx,
      'PROPERTY_EXISTS',
      `table "${table.name}" already has a property "${property}".`,
      'Pass another `property`.',
      {
        table: table.name,
        properties: table.columns.map((c) => c.property),
      },
    );
  }
}

function allIndexNames(model: SchemaModel): string[] {
  return model.flatMap((t) => t.indexes.map((i) => i.name));
}

function requireNewIndexName(model: SchemaModel, name: string, ctx: OperationContext): void {
  if (allIndexNames(model).includes(name)) {
    throw invalid(
      ctx,
      'INDEX_EXISTS',
      `an index or unique constraint named "${name}" already exists (index names are per database in SQLite).`,
      'Pass another `name`.',
      {
        indexes: allIndexNames(model),
      },
    );
  }
}

export function checkColumnSpec(spec: ColumnSpec, ctx: OperationContext): void {
  if (spec.mode && !MODES_BY_TYPE[spec.type].includes(spec.mode)) {
    throw invalid(
      ctx,
      'BAD_MODE',
      `column "${spec.name}": ${spec.type} has no mode "${spec.mode}".`,
      `Modes of ${spec.type}: ${MODES_BY_TYPE[spec.type].join(', ') || 'none'}.`,
    );
  }
  if (spec.enum && (spec.type !== 'text' || spec.mode)) {
    throw invalid(
      ctx,
      'BAD_ENUM',
      `column "${spec.name}": enum is for text columns without a mode.`,
      'Use type "text" with enum, and no mode.',
    );
  }
  if (spec.autoIncrement && (spec.type !== 'integer' || !spec.primaryKey)) {
    throw invalid(
      ctx,
      'BAD_AUTOINCREMENT',
      `column "${spec.name}": autoIncrement needs an integer primary key.`,
      'Set type "integer" and primaryKey: true, or drop autoIncrement.',
    );
  }
  if (spec.default !== undefined) checkDefault(spec, spec.default, ctx);
}

/** A literal default must be one the builder's TypeScript type accepts, or the file would not compile. */
export function checkDefault(
  spec: Pick<ColumnSpec, 'name' | 'type' | 'mode' | 'enum'>,
  value: DefaultValue,
  ctx: OperationContext,
): void {
  if (isSqlDefault(value)) {
    const sql = value.sql;
    if (/;|--|\/\*|\x00/.test(sql) || !balanced(sql)) {
      throw invalid(
        ctx,
        'BAD_DEFAULT',
        `column "${spec.name}": the default SQL must be one expression (balanced parentheses and quotes, no ";" or comments).`,
        'Example: {"sql":"CURRENT_TIMESTAMP"} or {"sql":"unixepoch()"}.',
      );
    }
    return;
  }
  const kind =
    spec.mode === 'json'
      ? 'json'
      : spec.mode === 'boolean'
        ? 'boolean'
        : spec.type === 'text'
          ? 'string'
          : spec.type === 'blob' || spec.mode?.startsWith('timestamp') || spec.mode === 'bigint'
            ? 'sql-only'
            : 'number';
  const ok =
    kind === 'json' ||
    (kind === 'boolean' && typeof value === 'boolean') ||
    (kind === 'string' && typeof value === 'string' && (!spec.enum || spec.enum.includes(value))) ||
    (kind === 'number' && typeof value === 'number');
  if (!ok) {
    const expected =
      kind === 'sql-only'
        ? 'an SQL expression, e.g. {"sql":"unixepoch()"}'
        : kind === 'string' && spec.enum
          ? `one of ${spec.enum.map((v) => JSON.stringify(v)).join(', ')}`
          : `a ${kind}`;
    throw invalid(
      ctx,
      'BAD_DEFAULT',
      `column "${spec.name}": default ${JSON.stringify(value)} does not fit a ${spec.type}${spec.mode ? ` (mode ${spec.mode})` : ''} column.`,
      `Give ${expected}.`,
    );
  }
}

function balanced(sql: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0 && quote === undefined;
}

/** Referenced columns exist, match in number and SQL type, and are the parent's key (SQLite requires it). */
export function checkReference(
  model: SchemaModel,
  from: { table: string; columns: Array<{ name: string; sqlType: string }> },
  to: { table: string; columns: string[] },
  ctx: OperationContext,
  /** The table being created in this operation, when it references itself. */
  pending?: ModelTable,
): void {
  const parent = pending && to.table === pending.name ? pending : requireTable(model, to.table, ctx);
  const parentColumns = to.columns.map((name) => requireColumn(parent, name, ctx));
  if (parentColumns.length !== from.columns.length) {
    throw invalid(
      ctx,
      'FK_ARITY',
      `the foreign key has ${from.columns.length} column(s) but references ${parentColumns.length}.`,
      'List as many referenced columns as columns.',
    );
  }
  from.columns.forEach((column, i) => {
    const target = parentColumns[i]!;
    if (column.sqlType !== target.sqlType) {
      throw invalid(
        ctx,
        'FK_TYPE_MISMATCH',
        `"${from.table}"."${column.name}" is ${column.sqlType} but "${parent.name}"."${target.name}" is ${target.sqlType}.`,
        `Make the column ${target.sqlType}, or reference a ${column.sqlType} key.`,
        {
          referencedColumns: parent.columns.map((c) => ({ name: c.name, type: c.sqlType })),
        },
      );
    }
  });
  const names = parentColumns.map((c) => c.name);
  const sameSet = (cols: string[]) => cols.length === names.length && cols.every((c) => names.includes(c));
  const isKey =
    (names.length === 1 && parentColumns[0]!.primaryKey) ||
    (parent.primaryKey !== undefined && sameSet(parent.primaryKey)) ||
    parent.indexes.some((index) => index.unique && sameSet(index.columns));
  if (!isKey) {
    const keys = [
      ...parent.columns.filter((c) => c.primaryKey).map((c) => [c.name]),
      ...(parent.primaryKey ? [parent.primaryKey] : []),
      ...parent.indexes.filter((i) => i.unique).map((i) => i.columns),
    ];
    throw invalid(
      ctx,
      'FK_NOT_A_KEY',
      `"${parent.name}"(${names.join(', ')}) is neither its primary key nor unique; SQLite rejects such a foreign key ("foreign key mismatch").`,
      'Reference the primary key or a unique column set, or add a unique index first (in the same call).',
      {
        keys,
      },
    );
  }
}

export function applyToModel(model: SchemaModel, op: Operation, ctx: OperationContext): void {
  switch (op.op) {
    case 'add_table': {
      if (findTable(model, op.table)) {
        throw invalid(
          ctx,
          'TABLE_EXISTS',
          `table "${op.table}" already exists.`,
          'Pick a new name, or use add_column.',
          { tables: model.map((t) => t.name) },
        );
      }
      const exportName = op.exportName!;
      if (model.some((t) => t.exportName === exportName)) {
        throw invalid(
          ctx,
          'EXPORT_EXISTS',
          `the schema already exports "${exportName}".`,
          'Pass another `exportName`.',
          { exports: model.map((t) => t.exportName) },
        );
      }
      const table: ModelTable = { exportName, name: op.table, columns: [], indexes: [], foreignKeys: [] };
      const pks = op.columns.filter((c) => c.primaryKey);
      if (pks.length > 1 || (pks.length > 0 && op.primaryKey)) {
        throw invalid(
          ctx,
          'PRIMARY_KEY',
          'a table has one primary key.',
          'Mark one column primaryKey, or list several in `primaryKey` (composite).',
        );
      }
      for (const spec of op.columns) {
        checkColumnSpec(spec, ctx);
        requireNewColumn(table, spec.name, spec.property!, ctx);
        table.columns.push(modelColumnOf(spec, spec.property!));
      }
      if (op.primaryKey) {
        op.primaryKey.forEach((name) => requireColumn(table, name, ctx));
        table.primaryKey = [...op.primaryKey];
      }
      for (const spec of op.columns) {
        if (spec.unique)
          addIndex(model, table, columnUniqueName(table.name, spec.name), [spec.name], true, ctx);
      }
      for (const index of op.indexes ?? []) {
        index.columns.forEach((name) => requireColumn(table, name, ctx));
        addIndex(model, table, index.name!, index.columns, Boolean(index.unique), ctx);
      }
      for (const spec of op.columns) {
        if (!spec.references) continue;
        const column = findColumn(table, spec.name)!;
        checkReference(
          model,
          { table: table.name, columns: [column] },
          { table: spec.references.table, columns: [spec.references.column] },
          ctx,
          table,
        );
        table.foreignKeys.push(
          fkOf([spec.name], spec.references.table, [spec.references.column], spec.references),
        );
      }
      for (const fk of op.foreignKeys ?? []) {
        const columns = fk.columns.map((name) => requireColumn(table, name, ctx));
        checkReference(
          model,
          { table: table.name, columns },
          { table: fk.references.table, columns: fk.references.columns },
          ctx,
          table,
        );
        table.foreignKeys.push(fkOf(fk.columns, fk.references.table, fk.references.columns, fk));
      }
      model.push(table);
      return;
    }
    case 'add_column': {
      const table = requireTable(model, op.table, ctx);
      const spec = op.column;
      checkColumnSpec(spec, ctx);
      requireNewColumn(table, spec.name, spec.property!, ctx);
      if (spec.primaryKey && (table.primaryKey || table.columns.some((c) => c.primaryKey))) {
        throw invalid(
          ctx,
          'PRIMARY_KEY',
          `table "${table.name}" already has a primary key.`,
          'Add the column without primaryKey.',
        );
      }
      const column = modelColumnOf(spec, spec.property!);
      table.columns.push(column);
      if (spec.unique)
        addIndex(model, table, columnUniqueName(table.name, spec.name), [spec.name], true, ctx);
      if (spec.references) {
        checkReference(
          model,
          { table: table.name, columns: [column] },
          { table: spec.references.table, columns: [spec.references.column] },
          ctx,
        );
        table.foreignKeys.push(
          fkOf([spec.name], spec.references.table, [spec.references.column], spec.references),
        );
      }
      return;
    }
    case 'drop_column': {
      const table = requireTable(model, op.table, ctx);
      requireColumn(table, op.column, ctx);
      if (
        table.primaryKey?.includes(op.column) ||
        table.columns.find((c) => c.name === op.column)?.primaryKey
      ) {
        throw invalid(
          ctx,
          'PRIMARY_KEY',
          `"${op.column}" is (part of) the primary key of "${table.name}".`,
          'A primary key column cannot be dropped with this operation.',
        );
      }
      const referencing = model.flatMap((t) =>
        t.foreignKeys
          .filter((fk) => fk.tableTo === table.name && fk.columnsTo.includes(op.column))
          .map((fk) => `${t.name}(${fk.columns.join(', ')})`),
      );
      if (referencing.length > 0) {
        throw invalid(
          ctx,
          'COLUMN_REFERENCED',
          `"${table.name}"."${op.column}" is referenced by foreign keys from ${referencing.join(', ')}.`,
          'Drop those foreign keys first (drop_foreign_key in the same call, before this operation).',
          { referencedBy: referencing },
        );
      }
      const indexes = table.indexes.filter(
        (i) =>
          i.columns.includes(op.column) && !(i.unique && i.name === columnUniqueName(table.name, op.column)),
      );
      if (indexes.length > 0) {
        throw invalid(
          ctx,
          'COLUMN_INDEXED',
          `"${table.name}"."${op.column}" is used by ${indexes.map((i) => `"${i.name}"`).join(', ')}.`,
          'Drop those indexes first (drop_index in the same call, before this operation).',
          { indexes: indexes.map((i) => i.name) },
        );
      }
      const multiFks = table.foreignKeys.filter(
        (fk) => fk.columns.includes(op.column) && fk.columns.length > 1,
      );
      if (multiFks.length > 0) {
        throw invalid(
          ctx,
          'COLUMN_IN_FOREIGN_KEY',
          `"${table.name}"."${op.column}" is part of a composite foreign key.`,
          'Drop that foreign key first (drop_foreign_key in the same call).',
        );
      }
      table.columns = table.columns.filter((c) => c.name !== op.column);
      table.indexes = table.indexes.filter((i) => !i.columns.includes(op.column));
      table.foreignKeys = table.foreignKeys.filter((fk) => !fk.columns.includes(op.column));
      return;
    }
    case 'rename_column': {
      const table = requireTable(model, op.table, ctx);
      const column = requireColumn(table, op.column, ctx);
      const property = op.property ?? column.property;
      if (op.to !== op.column && findColumn(table, op.to)) requireNewColumn(table, op.to, property, ctx);
      if (property !== column.property && table.columns.some((c) => c.property === property)) {
        requireNewColumn(table, op.to, property, ctx);
      }
      const from = column.name;
      column.name = op.to;
      column.property = property;
      const rename = (cols: string[]) => cols.map((c) => (c === from ? op.to : c));
      for (const index of table.indexes) {
        if (
          index.unique &&
          index.name === columnUniqueName(table.name, from) &&
          index.columns.length === 1 &&
          index.columns[0] === from
        ) {
          index.name = columnUniqueName(table.name, op.to);
        }
        index.columns = rename(index.columns);
      }
      if (table.primaryKey) table.primaryKey = rename(table.primaryKey);
      for (const fk of table.foreignKeys) fk.columns = rename(fk.columns);
      for (const other of model) {
        for (const fk of other.foreignKeys)
          if (fk.tableTo === table.name) fk.columnsTo = rename(fk.columnsTo);
      }
      return;
    }
    case 'rename_table': {
      const table = requireTable(model, op.table, ctx);
      if (op.to !== op.table && findTable(model, op.to)) {
        throw invalid(ctx, 'TABLE_EXISTS', `table "${op.to}" already exists.`, 'Pick a new name.', {
          tables: model.map((t) => t.name),
        });
      }
      const exportName = op.exportName ?? table.exportName;
      if (exportName !== table.exportName && model.some((t) => t.exportName === exportName)) {
        throw invalid(
          ctx,
          'EXPORT_EXISTS',
          `the schema already exports "${exportName}".`,
          'Pass another `exportName`.',
        );
      }
      for (const index of table.indexes) {
        if (
          index.unique &&
          index.columns.length === 1 &&
          index.name === columnUniqueName(table.name, index.columns[0]!)
        ) {
          index.name = columnUniqueName(op.to, index.columns[0]!);
        }
      }
      for (const other of model)
        for (const fk of other.foreignKeys) if (fk.tableTo === table.name) fk.tableTo = op.to;
      table.name = op.to;
      table.exportName = exportName;
      return;
    }
    case 'alter_column': {
      const table = requireTable(model, op.table, ctx);
      const column = requireColumn(table, op.column, ctx);
      const next = nextColumnType(column, op);
      if (next.mode && !MODES_BY_TYPE[next.type].includes(next.mode)) {
        throw invalid(
          ctx,
          'BAD_MODE',
          `column "${column.name}": ${next.type} has no mode "${next.mode}".`,
          `Modes of ${next.type}: ${MODES_BY_TYPE[next.type].join(', ') || 'none'}; pass "mode": null to remove it.`,
        );
      }
      if (next.enum && (next.type !== 'text' || next.mode)) {
        throw invalid(
          ctx,
          'BAD_ENUM',
          `column "${column.name}": enum is for text columns without a mode.`,
          'Pass "enum": null to remove it, or keep the column text.',
        );
      }
      if (op.notNull === false && (column.primaryKey || table.primaryKey?.includes(column.name))) {
        throw invalid(
          ctx,
          'PRIMARY_KEY',
          `"${column.name}" is a primary key column and cannot be nullable.`,
          'Leave notNull as it is.',
        );
      }
      if (op.default === null && column.default === undefined) {
        throw invalid(
          ctx,
          'NO_DEFAULT',
          `"${table.name}"."${column.name}" has no SQL default to remove.`,
          'Leave `default` out.',
        );
      }
      if (op.default !== undefined && op.default !== null)
        checkDefault({ name: column.name, ...next }, op.default, ctx);
      if (
        op.type === undefined &&
        op.mode === undefined &&
        op.enum === undefined &&
        op.notNull === undefined &&
        op.default === undefined
      ) {
        throw invalid(
          ctx,
          'NOTHING_TO_CHANGE',
          'alter_column names no change.',
          'Pass at least one of type, mode, enum, notNull, default.',
        );
      }
      column.sqlType = next.type;
      if (next.mode) column.mode = next.mode;
      else delete column.mode;
      if (next.enum) column.enumValues = [...next.enum];
      else delete column.enumValues;
      if (op.notNull !== undefined) column.notNull = op.notNull;
      if (op.default === null) delete column.default;
      else if (op.default !== undefined) column.default = snapshotDefault(op.default);
      return;
    }
    case 'add_index': {
      const table = requireTable(model, op.table, ctx);
      op.columns.forEach((name) => requireColumn(table, name, ctx));
      addIndex(model, table, op.name!, op.columns, Boolean(op.unique), ctx);
      return;
    }
    case 'drop_index': {
      const table = requireTable(model, op.table, ctx);
      if (!table.indexes.some((i) => i.name === op.name)) {
        throw invalid(
          ctx,
          'INDEX_NOT_FOUND',
          `table "${table.name}" has no index or unique constraint "${op.name}".`,
          'Use one of its index names.',
          { table: table.name, indexes: table.indexes.map((i) => i.name) },
        );
      }
      const index = table.indexes.find((i) => i.name === op.name)!;
      if (index.unique) {
        const users = model.flatMap((t) =>
          t.foreignKeys
            .filter(
              (fk) =>
                fk.tableTo === table.name &&
                fk.columnsTo.length === index.columns.length &&
                fk.columnsTo.every((c) => index.columns.includes(c)),
            )
            .map((fk) => `${t.name}(${fk.columns.join(', ')})`),
        );
        const otherKey =
          (index.columns.length === 1 && findColumn(table, index.columns[0]!)?.primaryKey) ||
          table.indexes.some(
            (i) =>
              i !== index &&
              i.unique &&
              i.columns.length === index.columns.length &&
              i.columns.every((c) => index.columns.includes(c)),
          );
        if (users.length > 0 && !otherKey) {
          throw invalid(
            ctx,
            'INDEX_REFERENCED',
            `"${op.name}" is the key that foreign keys from ${users.join(', ')} reference.`,
            'Drop those foreign keys first (in the same call, before this operation).',
          );
        }
      }
      table.indexes = table.indexes.filter((i) => i.name !== op.name);
      return;
    }
    case 'add_foreign_key': {
      const table = requireTable(model, op.table, ctx);
      const columns = op.columns.map((name) => requireColumn(table, name, ctx));
      if (table.foreignKeys.some((fk) => sameColumns(fk.columns, op.columns))) {
        throw invalid(
          ctx,
          'FK_EXISTS',
          `"${table.name}"(${op.columns.join(', ')}) already has a foreign key.`,
          'Drop it first (drop_foreign_key in the same call) to change it.',
        );
      }
      checkReference(
        model,
        { table: table.name, columns },
        { table: op.references.table, columns: op.references.columns },
        ctx,
      );
      table.foreignKeys.push(fkOf(op.columns, op.references.table, op.references.columns, op));
      return;
    }
    case 'drop_foreign_key': {
      const table = requireTable(model, op.table, ctx);
      const before = table.foreignKeys.length;
      table.foreignKeys = table.foreignKeys.filter((fk) => !sameColumns(fk.columns, op.columns));
      if (table.foreignKeys.length === before) {
        throw invalid(
          ctx,
          'FK_NOT_FOUND',
          `"${table.name}" has no foreign key on (${op.columns.join(', ')}).`,
          'Use the columns of one of its foreign keys.',
          {
            foreignKeys: table.foreignKeys.map((fk) => ({
              columns: fk.columns,
              references: `${fk.tableTo}(${fk.columnsTo.join(', ')})`,
            })),
          },
        );
      }
      return;
    }
  }
}

export function nextColumnType(
  column: { sqlType: string; mode?: string; enumValues?: string[] },
  op: {
    type?: ColumnSpec['type'] | undefined;
    mode?: string | null | undefined;
    enum?: string[] | null | undefined;
  },
): { type: ColumnSpec['type']; mode?: ColumnSpec['mode']; enum?: string[] } {
  const type = (op.type ?? column.sqlType) as ColumnSpec['type'];
  const typeChanged = op.type !== undefined && op.type !== column.sqlType;
  const mode = op.mode === null ? undefined : (op.mode ?? (typeChanged ? undefined : column.mode));
  const values = op.enum === null ? undefined : (op.enum ?? (typeChanged ? undefined : column.enumValues));
  return {
    type,
    ...(mode ? { mode: mode as ColumnSpec['mode'] } : {}),
    ...(values ? { enum: values } : {}),
  };
}

function addIndex(
  model: SchemaModel,
  table: ModelTable,
  name: string,
  columns: string[],
  unique: boolean,
  ctx: OperationContext,
): void {
  requireNewIndexName(model, name, ctx);
  table.indexes.push({ name, columns: [...columns], unique });
}

function fkOf(
  columns: string[],
  tableTo: string,
  columnsTo: string[],
  actions: { onDelete?: string | undefined; onUpdate?: string | undefined },
) {
  return {
    columns: [...columns],
    tableTo,
    columnsTo: [...columnsTo],
    onDelete: actions.onDelete ?? 'no action',
    onUpdate: actions.onUpdate ?? 'no action',
  };
}

export function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
