import { z } from 'zod';
import { compactAuditRow, type CompactAuditRow } from '../audit/entry.js';
import { AUDIT_NOTICE, untrustedFence } from '../core/untrusted.js';
import { UntrustedSchema } from './query-shapes.js';
import { defineTool } from './types.js';

const InputSchema = z
  .object({
    tool: z.string().min(1).optional(),
    outcome: z.enum(['ok', 'error', 'refused']).optional(),
    since: z
      .string()
      .refine(
        (value) => !Number.isNaN(Date.parse(value)),
        'must be an ISO-8601 time, e.g. 2026-11-26T10:00:00Z',
      )
      .optional()
      .describe('ISO-8601; only calls at or after it.'),
    targetType: z.string().optional().describe('e.g. "table", "migration".'),
    targetId: z.string().optional().describe('e.g. a table or migration tag.'),
    cursor: z.number().int().positive().optional().describe('nextCursor of the previous page.'),
    limit: z.number().int().min(1).max(200).default(20).describe('Rows per page, newest first.'),
    verify: z.boolean().default(false).describe('Report the first row breaking the hash chain.'),
  })
  .strict();

const RowSchema = z.object({
  id: z.number(),
  at: z.string(),
  tool: z.string(),
  outcome: z.enum(['ok', 'error', 'refused']),
  errorCode: z.string().optional(),
  ms: z.number(),
  client: z.string().optional(),
  target: z.string().optional(),
  rowsAffected: z.number().optional(),
  details: z.unknown().optional(),
}) satisfies z.ZodType<CompactAuditRow>;

const OutputSchema = z.object({
  table: z.string().describe('Where the audit log is kept: its table (and file, with --audit-db).'),
  untrusted: UntrustedSchema,
  rows: z.array(RowSchema),
  nextCursor: z.number().optional().describe('Pass as cursor to read the next (older) page.'),
  chain: z
    .object({
      ok: z.boolean(),
      checkedRows: z.number(),
      firstBroken: z.object({ id: z.number(), reason: z.string() }).optional(),
    })
    .optional(),
});

export const readAuditLog = defineTool({
  name: 'read_audit_log',
  title: 'Read the audit log',
  description:
    'Recorded tool calls, newest first, filtered and paged; verify checks the tamper-evident hash chain.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'read',
  idempotent: true,
  async handler(input, { services }) {
    const page = services.audit.read({
      ...(input.tool !== undefined ? { tool: input.tool } : {}),
      ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
      ...(input.since !== undefined ? { since: new Date(input.since).toISOString() } : {}),
      ...(input.targetType !== undefined ? { targetType: input.targetType } : {}),
      ...(input.targetId !== undefined ? { targetId: input.targetId } : {}),
      ...(input.cursor !== undefined ? { beforeId: input.cursor } : {}),
      limit: input.limit,
    });
    return {
      data: {
        table: services.tables.auditInProjectDb
          ? services.tables.auditTable
          : `${services.tables.auditTable} in ${services.auditFile}`,
        // Recorded arguments, targets and client names are whatever callers sent.
        untrusted: untrustedFence(AUDIT_NOTICE),
        rows: page.rows.map(compactAuditRow),
        ...(page.nextBeforeId !== undefined ? { nextCursor: page.nextBeforeId } : {}),
        ...(input.verify ? { chain: services.audit.verify() } : {}),
      },
    };
  },
});
