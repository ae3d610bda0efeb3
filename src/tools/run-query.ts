import { z } from 'zod';
import type { QueryParams } from '../query/protocol.js';
import {
  compactColumns,
  ColumnSchema,
  pagingHint,
  ParamsSchema,
  rowCap,
  RowsSchema,
  untrustedFence,
  UntrustedSchema,
} from './query-shapes.js';
import { defineTool } from './types.js';

const InputSchema = z
  .object({
    sql: z.string().min(1).max(100_000).describe('One SELECT/WITH/VALUES/EXPLAIN; values go in params.'),
    params: ParamsSchema.optional(),
    maxRows: z.number().int().min(1).optional().describe('Row cap (within the server maximum).'),
  })
  .strict();

// Rows: arrays in column order; integers beyond 2^53 as strings; long text and blobs shortened with a marker.
const OutputSchema = z.object({
  untrusted: UntrustedSchema,
  columns: z.array(ColumnSchema),
  rows: RowsSchema,
  truncated: z.literal(true).optional(),
  hint: z.string().optional(),
});

export const runQuery = defineTool({
  name: 'run_query',
  title: 'Run a read-only SQL query',
  description:
    'Runs one read-only SQL statement with bound params; rows come back capped and compact. Typed reads by Drizzle names: select_rows.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'read',
  idempotent: true,
  async handler(input, { services, signal }) {
    const { config } = services;
    const maxRows = rowCap(input.maxRows, config);
    const result = await services.queries().read(
      {
        sql: input.sql,
        ...(input.params !== undefined ? { params: input.params as QueryParams } : {}),
        maxRows,
        maxBytes: config.maxBytes,
      },
      { signal },
    );
    const hint = pagingHint(
      result,
      maxRows,
      'For more, add ORDER BY a unique key with LIMIT/OFFSET (or WHERE key > the last key seen), or select fewer columns.',
    );
    return {
      data: {
        untrusted: untrustedFence(),
        columns: compactColumns(result),
        rows: result.rows,
        ...(result.truncated ? { truncated: true as const } : {}),
        ...(hint ? { hint } : {}),
      },
    };
  },
});
