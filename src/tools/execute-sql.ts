import { z } from 'zod';
import { auditedStatement } from '../audit/statement-view.js';
import { classifyWrite } from '../guard/sql-policy.js';
import type { EncodedRows } from '../query/encode.js';
import type { QueryParams } from '../query/protocol.js';
import {
  ColumnSchema,
  compactColumns,
  ParamsSchema,
  RowsSchema,
  untrustedFence,
  UntrustedSchema,
} from './query-shapes.js';
import { runAuditedWrite, type WriteStatement } from '../app/audited-write.js';
import { ConsentSchema, PlanIdSchema } from './consent-shapes.js';
import { defineTool } from './types.js';

const InputSchema = z
  .object({
    sql: z
      .string()
      .min(1)
      .max(100_000)
      .describe('One INSERT/UPDATE/DELETE/REPLACE (upsert, RETURNING ok). Never DDL: use migrations.'),
    params: ParamsSchema.optional(),
    dryRun: z.boolean().default(false).describe('Report the effect, then roll back.'),
    planId: PlanIdSchema,
  })
  .strict();

// rowsAffected counts cascades and trigger effects; dryRun/overBudget/consent appear only when true/used.
const OutputSchema = z.object({
  untrusted: UntrustedSchema.optional(),
  verb: z.string(),
  table: z.string(),
  rowsAffected: z.number(),
  dryRun: z.literal(true).optional(),
  overBudget: z.literal(true).optional(),
  unboundedReason: z.string().optional(),
  lastInsertRowid: z.union([z.number(), z.string()]).optional(),
  returning: z
    .object({ columns: z.array(ColumnSchema), rows: RowsSchema, truncated: z.literal(true).optional() })
    .optional(),
  consent: ConsentSchema.optional(),
});

function sample(rows: EncodedRows) {
  return { columns: rows.columns.map((column) => column.name), rows: rows.rows };
}

export const executeSql = defineTool({
  name: 'execute_sql',
  title: 'Execute one SQL write',
  description:
    'Runs one SQL write with bound params, audited; over the row budget (or without WHERE) it is rolled back unless the human approves. Typed writes: write_rows.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'write',
  idempotent: false,
  // The audit row shows what was written: the effective statement and every bound value (see statement-view.ts).
  auditArguments: (input) => ({
    ...auditedStatement(input.sql, input.params),
    ...(input.dryRun ? { dryRun: true } : {}),
  }),
  async handler(input, context) {
    const { services } = context;
    // Classified here too (the host does it again, authoritatively) so a refusal costs no round trip and the
    // audit row names the table even when the write fails.
    const classification = classifyWrite(input.sql, {
      protectedTables: services.tables.protected,
    });
    context.setTarget('table', classification.table);
    const statement: WriteStatement = {
      sql: input.sql,
      ...(input.params !== undefined ? { params: input.params as QueryParams } : {}),
      dryRun: input.dryRun,
      maxRows: services.config.maxRows,
      maxBytes: services.config.maxBytes,
    };
    const { result, consent } = await runAuditedWrite(context, statement, {
      tool: 'execute_sql',
      sql: input.sql,
      ...(input.params !== undefined ? { params: input.params as QueryParams } : {}),
      args: input,
      planId: input.planId,
      ...(classification.returning ? { sample } : {}),
    });
    if (input.dryRun)
      context.addAuditDetails({
        dryRun: { wouldAffect: result.rowsAffected, ...(result.overBudget ? { overBudget: true } : {}) },
      });
    return {
      data: {
        ...(result.returning ? { untrusted: untrustedFence() } : {}),
        verb: result.verb,
        table: result.table,
        rowsAffected: result.rowsAffected,
        ...(result.dryRun ? { dryRun: true as const } : {}),
        ...(result.overBudget ? { overBudget: true as const } : {}),
        ...(result.unboundedReason !== undefined ? { unboundedReason: result.unboundedReason } : {}),
        ...(result.lastInsertRowid !== undefined ? { lastInsertRowid: result.lastInsertRowid } : {}),
        ...(result.returning
          ? {
              returning: {
                columns: compactColumns(result.returning),
                rows: result.returning.rows,
                ...(result.returning.truncated ? { truncated: true as const } : {}),
              },
            }
          : {}),
        ...(consent ? { consent } : {}),
      },
      ...(result.dryRun ? {} : { rowsAffected: result.rowsAffected }),
    };
  },
});
