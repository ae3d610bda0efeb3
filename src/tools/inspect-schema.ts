import { z } from 'zod';
import { introspectDatabase, type ColumnInfo, type TableInfo } from '../sqlite/introspect.js';
import { toMermaid } from '../sqlite/er-diagram.js';
import type { SchemaTable } from '../project/types.js';
import type { Services } from '../app/services.js';
import { SCHEMA_NOTICE, untrustedFence } from '../core/untrusted.js';
import { UntrustedSchema } from './query-shapes.js';
import { defineTool } from './types.js';

const InputSchema = z
  .object({
    tables: z
      .array(z.string().min(1))
      .max(200)
      .optional()
      .describe('By SQL or Drizzle export name. Default: all.'),
    format: z
      .enum(['json', 'mermaid'])
      .default('json')
      .describe('"mermaid" adds an erDiagram of the tables and foreign keys.'),
    rowCounts: z.boolean().default(true).describe('Count rows (exact to 100,000, then estimated).'),
  })
  .strict();

const TableSchema = z.object({
  name: z.string(),
  drizzle: z.string().optional().describe('Export name in schema.ts.'),
  rows: z.number().optional(),
  rowsEstimated: z
    .literal(true)
    .optional()
    .describe('rows is a lower bound or an estimate, not an exact count.'),
  columns: z
    .array(z.string())
    .describe('"name type [NOT NULL] [PRIMARY KEY] [DEFAULT x] (drizzle: property)".'),
  primaryKey: z
    .string()
    .optional()
    .describe(
      'A primary key over several columns, e.g. "(order_id, product_id)" (its columns say no PRIMARY KEY).',
    ),
  indexes: z.array(z.string()).optional(),
  foreignKeys: z.array(z.string()).optional(),
  checks: z.array(z.string()).optional(),
  options: z.array(z.string()).optional(),
});

const OutputSchema = z.object({
  untrusted: UntrustedSchema,
  tables: z.array(TableSchema),
  views: z.array(z.object({ name: z.string(), sql: z.string() })).optional(),
  triggers: z.array(z.object({ name: z.string(), table: z.string(), sql: z.string() })).optional(),
  drizzleSchema: z.string().optional().describe('Why schema.ts names are missing, when they are.'),
  serverTables: z
    .string()
    .describe(
      "The server's own tables, left out above unless the project declares them: its audit log (read_audit_log) and the migrations ledger.",
    ),
  mermaid: z.string().optional(),
});
type Output = z.infer<typeof OutputSchema>;

/** A one-column key is said on its column; a composite key once, on the table (see compactTable). */
function columnText(column: ColumnInfo, property: string | undefined, singleKey: boolean): string {
  const parts = [column.name, column.type || 'ANY'];
  const inSingleKey = singleKey && column.primaryKey !== undefined;
  if (inSingleKey) parts.push('PRIMARY KEY');
  if (column.autoincrement) parts.push('AUTOINCREMENT');
  if (column.notNull && !inSingleKey) parts.push('NOT NULL');
  if (column.default !== undefined) parts.push(`DEFAULT ${column.default}`);
  if (column.generated)
    parts.push(
      `GENERATED ${column.generated.kind.toUpperCase()}${column.generated.expression ? ` AS (${column.generated.expression})` : ''}`,
    );
  if (property !== undefined && property !== column.name) parts.push(`(drizzle: ${property})`);
  return parts.join(' ');
}

function compactTable(
  table: TableInfo,
  drizzle: SchemaTable | undefined,
  shadows: readonly string[],
): z.infer<typeof TableSchema> {
  const properties = new Map(drizzle?.columns.map((column) => [column.name, column.property]));
  const keyColumns = table.columns
    .filter((column) => column.primaryKey !== undefined)
    .sort((a, b) => a.primaryKey! - b.primaryKey!)
    .map((column) => column.name);
  const indexes = table.indexes
    .filter((index) => index.origin !== 'pk')
    .map(
      (index) =>
        `${index.unique ? 'UNIQUE ' : ''}${index.name} (${index.columns.join(', ')})${index.where ? ` WHERE ${index.where}` : ''}`,
    );
  const foreignKeys = table.foreignKeys.map((fk) => {
    const actions = [
      fk.onDelete !== 'no action' ? ` ON DELETE ${fk.onDelete.toUpperCase()}` : '',
      fk.onUpdate !== 'no action' ? ` ON UPDATE ${fk.onUpdate.toUpperCase()}` : '',
    ].join('');
    return `(${fk.columns.join(', ')}) → ${fk.table}(${fk.to.join(', ')})${actions}`;
  });
  const checks = table.checks.map((check) =>
    check.name ? `${check.name}: ${check.expression}` : check.expression,
  );
  const options = [
    table.withoutRowid ? 'WITHOUT ROWID' : '',
    table.strict ? 'STRICT' : '',
    table.virtual ? `VIRTUAL${table.module ? ` (${table.module})` : ''}` : '',
    shadows.length ? `shadow tables (kept by SQLite, not listed): ${shadows.join(', ')}` : '',
    table.shadowOf !== undefined ? `shadow table of ${table.shadowOf}, kept by SQLite` : '',
  ].filter(Boolean);
  return {
    name: table.name,
    ...(drizzle && drizzle.exportName !== table.name ? { drizzle: drizzle.exportName } : {}),
    ...(table.rowCount
      ? { rows: table.rowCount.count, ...(table.rowCount.exact ? {} : { rowsEstimated: true as const }) }
      : {}),
    columns: table.columns.map((column) =>
      columnText(column, properties.get(column.name), keyColumns.length === 1),
    ),
    ...(keyColumns.length > 1 ? { primaryKey: `(${keyColumns.join(', ')})` } : {}),
    ...(indexes.length ? { indexes } : {}),
    ...(foreignKeys.length ? { foreignKeys } : {}),
    ...(checks.length ? { checks } : {}),
    ...(options.length ? { options } : {}),
  };
}

function describeServerTables({ tables, auditFile }: Services): string {
  const audit = tables.auditInProjectDb ? `"${tables.auditTable}"` : `"${tables.auditTable}" in ${auditFile}`;
  return `audit log ${audit}; migrations ledger "${tables.ledgerTable}"`;
}

export const inspectSchema = defineTool({
  name: 'inspect_schema',
  title: 'Inspect the database schema',
  description:
    'Live tables (columns, keys, indexes, foreign keys, row counts), views and triggers, with the Drizzle names from schema.ts. Call it first.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'read',
  idempotent: true,
  async handler(input, { services, setTarget }) {
    let drizzleTables: SchemaTable[] = [];
    let drizzleNote: string | undefined;
    try {
      const loaded = await services.loadSchema();
      if (loaded) drizzleTables = loaded.tables;
      else drizzleNote = 'The project configures no schema file.';
    } catch (error) {
      drizzleNote = `schema.ts could not be loaded, so Drizzle names are missing: ${(error as Error).message}`;
    }
    const bySqlName = new Map(drizzleTables.map((table) => [table.name, table]));
    const byExport = new Map(drizzleTables.map((table) => [table.exportName, table.name]));
    const requested = input.tables?.map((name) =>
      bySqlName.has(name) ? name : (byExport.get(name) ?? name),
    );
    if (requested?.length === 1) setTarget('table', requested[0]!);

    // The ledger is never interesting to a model; our audit table only when the app declares it (or it is asked for).
    const schema = introspectDatabase(services.read, {
      ...(requested ? { tables: requested } : { exclude: services.tables.hidden(bySqlName.keys()) }),
      rowCounts: input.rowCounts,
    });
    // A virtual table's shadow tables are SQLite's bookkeeping: named on their owner, listed only when asked for.
    const shadowsOf = new Map<string, string[]>();
    for (const table of schema.tables)
      if (table.shadowOf !== undefined)
        shadowsOf.set(table.shadowOf, [...(shadowsOf.get(table.shadowOf) ?? []), table.name]);
    const shown = requested ? schema.tables : schema.tables.filter((table) => table.shadowOf === undefined);
    const output: Output = {
      // Names, view and trigger SQL and defaults are whatever migrations or the app wrote into the schema.
      untrusted: untrustedFence(SCHEMA_NOTICE),
      tables: shown.map((table) =>
        compactTable(table, bySqlName.get(table.name), shadowsOf.get(table.name) ?? []),
      ),
      ...(schema.views.length ? { views: schema.views } : {}),
      ...(schema.triggers.length ? { triggers: schema.triggers } : {}),
      ...(drizzleNote ? { drizzleSchema: drizzleNote } : {}),
      serverTables: describeServerTables(services),
      ...(input.format === 'mermaid' ? { mermaid: toMermaid({ ...schema, tables: shown }) } : {}),
    };
    return { data: output };
  },
});
