import { z } from 'zod';
import { editProjectSchema, type EditOutcome, type FileDiff } from '../app/edit-schema.js';
import { revertSchemaEdit, type RevertOutcome } from '../app/revert-schema-edit.js';
import { AppError } from '../core/errors.js';
import { LooseOperationsSchema } from '../schema-edit/operations.js';
import { capText } from '../core/text.js';
import { renameText } from './migration-shapes.js';
import { defineTool, type ToolResult } from './types.js';

/** The diffs of one call together stay readable in a model's context; the files themselves are not cut. */
const MAX_DIFF_CHARS = 20_000;

const InputSchema = z
  .object({
    operations: LooseOperationsSchema.optional(),
    dryRun: z.boolean().default(false).describe('Only return the diff; write nothing.'),
    // Checked in the handler, not by a listed pattern: every byte of the listing is sent on every turn.
    diffHash: z.string().max(128).optional().describe("The reviewed dry run's: write only that diff."),
    revert: z
      .string()
      .max(128)
      .optional()
      .describe('An editId: undo that edit and the unapplied migrations since.'),
  })
  .strict();

const OutputSchema = z.object({
  status: z.enum(['dry_run', 'written', 'reverted']),
  editId: z.string().optional().describe('Names the edit for revert.'),
  diffHash: z.string().optional().describe('Pass it to the real edit to write exactly this diff.'),
  files: z.array(
    z.object({
      path: z.string(),
      diff: z.string().describe('Unified diff.'),
      created: z.literal(true).optional(),
      removed: z.literal(true).optional(),
    }),
  ),
  diffTruncated: z.literal(true).optional().describe('The diffs were cut short; the files hold all of it.'),
  renames: z.array(z.string()).optional().describe('Renames the next generate_migration applies by itself.'),
  migrationsRemoved: z.array(z.string()).optional().describe('Unapplied migrations the revert removed.'),
  warnings: z.array(z.string()).optional(),
  next: z.string(),
});
type Output = z.infer<typeof OutputSchema>;

/** Diffs in order until the budget is spent; the rest are named with an empty diff. */
function capDiffs(files: FileDiff[]): { files: FileDiff[]; truncated: boolean } {
  let left = MAX_DIFF_CHARS;
  let truncated = false;
  const capped = files.map((file) => {
    const cut = left > 0 ? capText(file.diff, left) : { text: '', truncated: file.diff !== '' };
    left -= cut.text.length;
    truncated ||= cut.truncated;
    return { ...file, diff: cut.text };
  });
  return { files: capped, truncated };
}

function editOutput(outcome: EditOutcome): Output {
  const { files, truncated } = capDiffs(outcome.files);
  const common = {
    files,
    ...(truncated ? { diffTruncated: true as const } : {}),
    ...(outcome.renames.length ? { renames: outcome.renames.map(renameText) } : {}),
    ...(outcome.warnings.length ? { warnings: outcome.warnings } : {}),
  };
  if (outcome.status === 'dry_run') {
    return {
      status: 'dry_run',
      diffHash: outcome.diffHash,
      ...common,
      next: 'Show the human the diff. If they agree, call edit_schema again with the same operations and this diffHash (without dryRun).',
    };
  }
  return {
    status: 'written',
    editId: outcome.editId,
    diffHash: outcome.diffHash,
    ...common,
    next: `Call generate_migration${outcome.renames.length ? ' (the renames need no hints)' : ''}, then apply_migrations with dryRun: true. To undo before applying: edit_schema with revert: "${outcome.editId}".`,
  };
}

function revertOutput(outcome: RevertOutcome): Output {
  const { files, truncated } = capDiffs(outcome.files);
  const removed = outcome.migrationsRemoved;
  return {
    status: outcome.status === 'dry_run' ? 'dry_run' : 'reverted',
    editId: outcome.editId,
    files,
    ...(truncated ? { diffTruncated: true as const } : {}),
    ...(removed.length ? { migrationsRemoved: removed } : {}),
    ...(outcome.warnings.length ? { warnings: outcome.warnings } : {}),
    next:
      outcome.status === 'dry_run'
        ? `Show the human what the revert does${removed.length ? ` (it also removes ${removed.join(', ')})` : ''}; if they agree, call edit_schema with revert again without dryRun.`
        : 'The schema files are as they were before the edit; call migration_status to confirm nothing is pending that should not be.',
  };
}

export const editSchemaTool = defineTool({
  name: 'edit_schema',
  title: 'Edit the Drizzle schema',
  description:
    "Edits schema.ts by typed operations (all or none), in the file's style; returns the diff (dryRun first, for review). Then generate_migration. Never touches the database.",
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'files',
  idempotent: false,
  async handler(input, context): Promise<ToolResult<Output>> {
    if (input.revert !== undefined) {
      if (input.operations !== undefined || input.diffHash !== undefined) {
        throw new AppError('INVALID_ARGUMENT', 'revert takes no operations and no diffHash.', {
          hint: 'Send either operations (an edit) or revert: "<editId>" (undo one), optionally with dryRun.',
        });
      }
      const outcome = await revertSchemaEdit(context, { editId: input.revert, dryRun: input.dryRun });
      return { data: revertOutput(outcome) };
    }
    if (input.diffHash !== undefined && !/^[0-9a-f]{64}$/.test(input.diffHash)) {
      throw new AppError('INVALID_ARGUMENT', 'diffHash is not a diffHash (64 hex digits).', {
        hint: 'Pass the diffHash the dry run returned, or leave it out.',
      });
    }
    if (input.operations === undefined) {
      throw new AppError('INVALID_ARGUMENT', 'edit_schema needs operations (or revert: "<editId>").', {
        hint: 'Send operations: [{ "op": "add_column", "table": "users", "column": { "name": "bio", "type": "text" } }], with dryRun: true first.',
      });
    }
    const outcome = await editProjectSchema(context, {
      operations: input.operations,
      dryRun: input.dryRun,
      diffHash: input.diffHash,
    });
    return { data: editOutput(outcome) };
  },
});
