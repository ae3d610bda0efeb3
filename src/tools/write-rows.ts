import { z } from 'zod';
import { AppError } from '../core/errors.js';
import {
  decodeRows,
  planWrite,
  type Filter,
  type TableModel,
  type WriteAction,
} from '../query/drizzle-rows.js';
import type { EncodedRows } from '../query/encode.js';
import { FilterSchema, RowsSchema, untrustedFence, UntrustedSchema } from './query-shapes.js';
import { runAuditedWrite } from '../app/audited-write.js';
import { loadTableModel } from '../app/typed-table.js';
import { ConsentSchema, PlanIdSchema } from './consent-shapes.js';
import { defineTool } from './types.js';

const RowSchema = z.record(z.string(), z.unknown());

const InputSchema = z
  .object({
    table: z.string().min(1).describe('Drizzle export name ("checkIns") or SQL name ("check_ins").'),
    action: z.enum(['insert', 'update', 'delete']),
    rows: z
      .array(RowSchema)
      .min(1)
      .max(1000)
      .optional()
      .describe('insert: rows by column name (omitted: defaults).'),
    values: RowSchema.optional().describe('update: columns to set (insert: one row).'),
    where: FilterSchema.optional().describe('update/delete, required. As in select_rows.'),
    dryRun: z.boolean().default(false).describe('Report the effect, then roll back.'),
    planId: PlanIdSchema,
  })
  .strict();

// rows: the rows written (after the change; for delete, as they were), decoded as Drizzle does.
const OutputSchema = z.object({
  untrusted: UntrustedSchema,
  action: z.enum(['insert', 'update', 'delete']),
  table: z.string(),
  rowsAffected: z.number(),
  dryRun: z.literal(true).optional(),
  overBudget: z.literal(true).optional(),
  columns: z.array(z.string()),
  rows: RowsSchema,
  truncated: z.literal(true).optional(),
  consent: ConsentSchema.optional(),
});

function toAction(input: z.output<typeof InputSchema>): WriteAction {
  const misplaced = (field: string, why: string) =>
    new AppError('INVALID_ARGUMENT', `${field} does not apply to ${input.action}: ${why}.`, {
      hint: 'insert: rows (or values for one row); update: values + where; delete: where.',
    });
  switch (input.action) {
    case 'insert':
      if (input.where) throw misplaced('where', 'an insert adds new rows');
      if (input.rows && input.values) throw misplaced('values', 'give rows or values, not both');
      if (!input.rows && !input.values)
        throw new AppError('INVALID_ARGUMENT', 'An insert needs rows (or values for a single row).', {
          hint: 'Pass rows: [{ … }].',
        });
      return { action: 'insert', rows: input.rows ?? [input.values as Record<string, unknown>] };
    case 'update':
      if (input.rows) throw misplaced('rows', 'an update sets values on the rows where selects');
      if (!input.values)
        throw new AppError('INVALID_ARGUMENT', 'An update needs values (the columns to set).', {
          hint: 'Pass values: { column: newValue } and where: { … }.',
        });
      return { action: 'update', values: input.values, where: (input.where ?? {}) as Filter };
    case 'delete':
      if (input.rows || input.values)
        throw misplaced(input.rows ? 'rows' : 'values', 'a delete only needs where');
      return { action: 'delete', where: (input.where ?? {}) as Filter };
  }
}

/** The rows a write would touch, decoded as Drizzle does, under the Drizzle property names. */
function sample(model: TableModel) {
  return (rows: EncodedRows) => ({
    columns: model.table.columns.map((column) => column.property),
    rows: decodeRows(model, rows, model.table.columns),
  });
}

export const writeRows = defineTool({
  name: 'write_rows',
  title: 'Insert, update or delete rows of a Drizzle table',
  description:
    'Inserts, updates or deletes rows of a Drizzle table, values checked against the column types. More rows than the budget need the human.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'write',
  idempotent: false,
  async handler(input, context) {
    const { services } = context;
    const model = await loadTableModel(services, input.table);
    context.setTarget('table', model.table.name);
    if (services.tables.isProtected(model.table.name)) {
      throw new AppError(
        'PROTECTED_TABLE',
        `"${model.table.name}" is kept by the server itself (the audit log or the migrations ledger); no tool can write its rows.`,
        {
          hint: 'Read it with read_audit_log or select_rows. It changes only as a side effect of other tools.',
          details: { table: model.table.name },
        },
      );
    }
    const statement = planWrite(model, toAction(input));
    const { result, consent } = await runAuditedWrite(
      context,
      // maxCellChars 0: RETURNING JSON text must arrive whole to be parsed.
      {
        sql: statement.sql,
        params: statement.params,
        dryRun: input.dryRun,
        maxRows: services.config.maxRows,
        maxBytes: services.config.maxBytes,
        maxCellChars: 0,
      },
      {
        tool: 'write_rows',
        sql: statement.sql,
        params: statement.params,
        args: input,
        planId: input.planId,
        sample: sample(model),
      },
    );
    if (input.dryRun)
      context.addAuditDetails({
        dryRun: { wouldAffect: result.rowsAffected, ...(result.overBudget ? { overBudget: true } : {}) },
      });
    const returning = result.returning ?? { columns: [], rows: [] };
    return {
      data: {
        untrusted: untrustedFence(),
        action: input.action,
        table: model.table.exportName,
        rowsAffected: result.rowsAffected,
        ...(result.dryRun ? { dryRun: true as const } : {}),
        ...(result.overBudget ? { overBudget: true as const } : {}),
        columns: model.table.columns.map((column) => column.property),
        rows: decodeRows(model, returning, model.table.columns),
        ...(returning.truncated ? { truncated: true as const } : {}),
        ...(consent ? { consent } : {}),
      },
      ...(result.dryRun ? {} : { rowsAffected: result.rowsAffected }),
    };
  },
});
