// Output shapes the migration tools share: a linter finding as the model reads it, and a rename in words.
import { z } from 'zod';
import type { Finding } from '../app/migration-state.js';
import { LINT_CODES, LINT_SEVERITIES } from '../migrations/lint.js';
import type { AppliedRename } from '../project/types.js';

export const FindingSchema = z.object({
  code: z
    .enum(LINT_CODES)
    .describe(
      'Linter code, e.g. DS103 (column dropped), SQ201 (rebuild of a parent with cascading children).',
    ),
  severity: z.enum(LINT_SEVERITIES),
  table: z.string().optional(),
  column: z.string().optional(),
  message: z.string().describe('Why it matters.'),
  fix: z.string().describe('What to do about it.'),
  statement: z.number().describe('1-based statement (chunk) number in the migration file.'),
  dataLoss: z
    .literal(true)
    .optional()
    .describe('Applying this can destroy data: apply_migrations asks the human first.'),
  autofix: z
    .object({ description: z.string(), statements: z.array(z.string()) })
    .optional()
    .describe(
      'A safe mechanical rewrite of that statement (empty statements: remove it); edit the file to use it.',
    ),
}) satisfies z.ZodType<Finding>;

/** "column users.username → display_name", "table posts → articles". */
export function renameText(rename: AppliedRename): string {
  return rename.kind === 'table'
    ? `table ${rename.from} → ${rename.to}`
    : `column ${rename.table ?? '?'}.${rename.from} → ${rename.to}`;
}
