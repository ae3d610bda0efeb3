import { z } from 'zod';
import { decodeRows, nextCursor, planSelect, type Filter } from '../query/drizzle-rows.js';
import {
  FilterSchema,
  pagingHint,
  rowCap,
  RowsSchema,
  untrustedFence,
  UntrustedSchema,
} from './query-shapes.js';
import { loadTableModel } from '../app/typed-table.js';
import { defineTool } from './types.js';

const InputSchema = z
  .object({
    table: z.string().min(1).describe('Drizzle export name ("checkIns") or SQL name ("check_ins").'),
    columns: z.array(z.string().min(1)).max(500).optional().describe('Default: all.'),
    where: FilterSchema.optional(),
    orderBy: z
      .array(z.string().min(1))
      .max(20)
      .optional()
      .describe('e.g. ["createdAt desc"]; the primary key is appended.'),
    limit: z.number().int().min(1).optional(),
    offset: z.number().int().min(0).optional(),
    cursor: z
      .string()
      .min(1)
      .max(10_000)
      .optional()
      .describe('nextCursor of the previous page (same table, where, orderBy).'),
  })
  .strict()
  .refine((input) => input.offset === undefined || input.cursor === undefined, {
    message: 'pass either offset or cursor, not both',
    path: ['cursor'],
  });

// columns: Drizzle property names. Rows decoded as Drizzle does (booleans, parsed JSON, ISO timestamps).
const OutputSchema = z.object({
  untrusted: UntrustedSchema,
  table: z.string(),
  columns: z.array(z.string()),
  rows: RowsSchema,
  truncated: z.literal(true).optional(),
  nextCursor: z.string().optional(),
  hint: z.string().optional(),
});

export const selectRows = defineTool({
  name: 'select_rows',
  title: 'Select rows from a Drizzle table',
  description:
    'Reads rows of a Drizzle table with filters, order and cursor paging; values come back typed (booleans, JSON, ISO timestamps).',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'read',
  idempotent: true,
  async handler(input, { services, signal, setTarget }) {
    const model = await loadTableModel(services, input.table);
    setTarget('table', model.table.name);
    const limit = rowCap(input.limit, services.config);
    const plan = planSelect(model, {
      limit,
      ...(input.columns ? { columns: input.columns } : {}),
      ...(input.where ? { where: input.where as Filter } : {}),
      ...(input.orderBy ? { orderBy: input.orderBy } : {}),
      ...(input.offset !== undefined ? { offset: input.offset } : {}),
      ...(input.cursor !== undefined ? { cursor: input.cursor } : {}),
    });
    // maxCellChars 0: JSON text must arrive whole to be parsed; plain text is shortened after decoding.
    const result = await services.queries().read(
      {
        sql: plan.sql,
        params: plan.params,
        maxRows: limit,
        maxBytes: services.config.maxBytes,
        maxCellChars: 0,
      },
      { signal },
    );
    const cursor = nextCursor(plan, result);
    const hint = pagingHint(
      result,
      limit,
      cursor
        ? 'Pass nextCursor as cursor for the next page.'
        : 'Select fewer columns or use a smaller limit.',
    );
    return {
      data: {
        untrusted: untrustedFence(),
        table: model.table.exportName,
        columns: plan.selected.slice(0, plan.visible).map((column) => column.property),
        rows: decodeRows(model, result, plan.selected, plan.visible),
        ...(result.truncated ? { truncated: true as const } : {}),
        ...(cursor ? { nextCursor: cursor } : {}),
        ...(hint ? { hint } : {}),
      },
    };
  },
});
