import path from 'node:path';
import { z } from 'zod';
import { generateNextMigration, type GenerateOutcome } from '../app/generate-migration.js';
import { type UpgradeMode, upgradeMigrationsFolder } from '../app/upgrade-migrations.js';
import type { Finding } from '../app/migration-state.js';
import type { MigrationHint, MissingHint } from '../project/types.js';
import { capText } from '../core/text.js';
import { FindingSchema, renameText } from './migration-shapes.js';
import { defineTool, type ToolResult } from './types.js';

const MAX_SQL_CHARS = 20_000;
const MAX_CUSTOM_SQL_CHARS = 256 * 1024;

// One flat object rather than a union of five: the schema rides along on every turn of the model's context, and
// the union cost 2.5 KB of it. The pairing rules are checked here instead, with messages that say what to send.
// Entities are arrays, not z.tuple: a tuple's JSON Schema ends in `items: false`, which some clients reject.
const Entity = z.array(z.string()).min(2).max(3);

const HintSchema = z
  .object({
    type: z.enum(['rename', 'create', 'confirm_data_loss']),
    kind: z.enum(['table', 'column']),
    from: Entity.optional(),
    to: Entity.optional(),
    entity: Entity.optional(),
  })
  .strict()
  .superRefine((hint, ctx) => {
    const size = hint.kind === 'table' ? 2 : 3;
    const shape = hint.kind === 'table' ? '["public", table]' : '["public", table, column]';
    const fields = hint.type === 'rename' ? (['from', 'to'] as const) : (['entity'] as const);
    for (const field of fields) {
      if (hint[field]?.length !== size)
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${hint.type} of a ${hint.kind} needs ${field}: ${shape}`,
        });
    }
  });

const InputSchema = z
  .object({
    name: z
      .string()
      .max(60)
      .regex(/^[A-Za-z0-9_ -]*$/, 'name: letters, digits, spaces, "-" and "_" only')
      .optional()
      .describe('After the prefix, e.g. "add_mood_note" (default: random words).'),
    hints: z
      .array(HintSchema)
      .max(200)
      .optional()
      .describe(
        'Answers to missing_hints: {type:"rename",kind,from,to} keeps the data; {type:"create",kind,entity} is new (the unmatched old one is dropped). Entities: ["public",table] or ["public",table,column].',
      ),
    custom: z
      .boolean()
      .default(false)
      .describe('Your own SQL (drizzle-kit --custom): sql, or an empty file to fill.'),
    sql: z
      .string()
      .max(MAX_CUSTOM_SQL_CHARS)
      .optional()
      .describe('With custom: statements (e.g. a backfill), ";"-separated; refused on linter errors.'),
    upgrade: z
      .enum(['strict', 'with_rebuild'])
      .optional()
      .describe(
        'Instead: 0.x folder to 1.0 layout (checked `up`, old kept). strict: only if nothing to generate after; with_rebuild: write that too.',
      ),
  })
  .strict();

const OutputSchema = z.object({
  status: z
    .enum(['ok', 'no_changes', 'missing_hints', 'error'])
    .describe(
      'ok: files written; no_changes: schema.ts matches the last migration; missing_hints: answer each ambiguity with hints and call again; error: schema.ts does not load or is invalid.',
    ),
  message: z.string().optional().describe('For error / no_changes: what happened.'),
  hint: z.string().optional().describe('For error: what to fix.'),
  tag: z
    .string()
    .optional()
    .describe('The new migration, e.g. 0003_add_mood_note (drizzle-kit 1.x: 20261204211437_add_mood_note).'),
  files: z
    .array(z.string())
    .optional()
    .describe('Files written, relative to the project root (SQL, snapshot, journal).'),
  sql: z.string().optional().describe('The migration SQL, as written.'),
  sqlTruncated: z.literal(true).optional().describe('sql was cut short; read the file for all of it.'),
  renames: z.array(z.string()).optional().describe('Renames applied from the hints.'),
  findings: z
    .array(FindingSchema)
    .optional()
    .describe('Linter findings on the new SQL, judged against the current data.'),
  lintNote: z.string().optional().describe('Why the findings may be incomplete.'),
  missingHints: z
    .array(
      z.object({
        type: z.literal('rename_or_create'),
        kind: z.enum(['table', 'column']),
        entity: z.array(z.string()).describe('The new table/column, as named in schema.ts.'),
        candidates: z.array(z.array(z.string())).describe('Old tables/columns it could be a rename of.'),
      }),
    )
    .optional()
    .describe('For missing_hints: the ambiguities to answer.'),
  upgraded: z
    .object({
      backup: z.string().describe('Where the 0.x folder was kept, relative to the project root.'),
      migrations: z.array(z.string()).describe('"0002_x → 20261204211429_x" for each migration.'),
      notes: z.array(z.string()).describe('What the user should know now.'),
    })
    .optional()
    .describe("For upgrade: the folder was converted to drizzle-kit 1.0's layout."),
  next: z.string().optional().describe('The next step.'),
});
type Output = z.infer<typeof OutputSchema>;

function exampleHints(missing: readonly MissingHint[]): string {
  const first = missing[0];
  if (!first) return '';
  const candidate = first.candidates[0];
  const example = candidate
    ? { type: 'rename', kind: first.kind, from: candidate, to: first.entity }
    : { type: 'create', kind: first.kind, entity: first.entity };
  return JSON.stringify(example);
}

function toOutput(
  outcome: GenerateOutcome,
  input: { custom: boolean; sql?: string | undefined },
  root: string,
): Output {
  switch (outcome.status) {
    case 'failed':
      return {
        status: 'error',
        message: outcome.error.message,
        ...(outcome.error.hint ? { hint: outcome.error.hint } : {}),
      };
    case 'no_changes':
      return {
        status: 'no_changes',
        message: 'schema.ts matches the last migration snapshot: there is nothing to generate.',
        next: 'Edit schema.ts first (or use custom: true for hand-written SQL), or call migration_status to see whether migrations are pending.',
      };
    case 'missing_hints': {
      const { missingHints } = outcome;
      return {
        status: 'missing_hints',
        missingHints: missingHints.map((missing) => ({
          type: missing.type,
          kind: missing.kind,
          entity: [...missing.entity],
          candidates: missing.candidates.map((candidate) => [...candidate]),
        })),
        next: `For each ambiguity decide whether the new ${missingHints[0]?.kind ?? 'entity'} is a rename of a candidate (its data is kept) or a new one (the unmatched old one is dropped), then call generate_migration again with hints, e.g. hints: [${exampleHints(missingHints)}]. Ask the human when unsure.`,
      };
    }
    case 'written':
      break;
  }
  const { written, findings, lintNote, renames, waitingEdits } = outcome;
  const rel = (file: string) => path.relative(root, file) || file;
  const sql = capText(written.sql, MAX_SQL_CHARS);
  const errors = findings.filter((finding) => finding.severity === 'error');
  return {
    status: 'ok',
    tag: written.tag,
    files: outcome.files.map(rel),
    sql: sql.text,
    ...(sql.truncated ? { sqlTruncated: true as const } : {}),
    ...(renames.length ? { renames: renames.map(renameText) } : {}),
    ...(findings.length ? { findings } : {}),
    ...(lintNote ? { lintNote } : {}),
    next:
      (input.custom && input.sql === undefined
        ? `Write the SQL into ${rel(written.sqlFile)} (statements separated by "--> statement-breakpoint"), then apply_migrations with dryRun: true.`
        : nextAfterWrite(findings, errors.length)) + waitingNote(waitingEdits),
  };
}

/** Custom SQL written while schema edits wait for their migration runs before it: say so, and the way back. */
function waitingNote(waitingEdits: readonly string[]): string {
  if (waitingEdits.length === 0) return '';
  return ` Note: schema edit(s) ${waitingEdits.join(', ')} have no migration yet, so this SQL runs before theirs. If it needs their changes (e.g. fills a new column), undo with edit_schema revert: "${waitingEdits.at(-1)}" (it removes this migration too; newest edit first), edit again, generate_migration, then this SQL.`;
}

function nextAfterWrite(findings: readonly Finding[], errors: number): string {
  return errors
    ? `The linter found ${errors} error(s) that would make applying fail or corrupt data: fix the file as each finding says (or fix schema.ts, delete this migration's files and journal entry, and generate again) before apply_migrations.`
    : findings.some((finding) => finding.dataLoss)
      ? 'This migration can destroy data (see findings): check that is intended, then apply_migrations (it dry-runs first and asks the human before anything is lost).'
      : 'Review the SQL, then call apply_migrations with dryRun: true, then apply_migrations.';
}

export const generateMigration = defineTool({
  name: 'generate_migration',
  title: 'Generate a migration',
  description:
    "Writes the next migration with the project's drizzle-kit (schema.ts diffed with the last snapshot, or custom SQL) and returns its SQL and lint findings. Never touches the database. Answer missing_hints with hints.",
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'files',
  idempotent: false,
  async handler(input, context): Promise<ToolResult<Output>> {
    if (input.upgrade) return upgrade(input, input.upgrade, context);
    const outcome = await generateNextMigration(context, {
      name: input.name,
      hints: input.hints as unknown as MigrationHint[] | undefined,
      custom: input.custom || input.sql !== undefined,
      sql: input.sql,
    });
    const data = toOutput(outcome, input, context.services.project.root);
    // A schema that does not load is answered as a result the model can act on, and audited as the failure it is.
    return outcome.status === 'failed' ? { data, failure: outcome.error.code } : { data };
  },
});

async function upgrade(
  input: z.infer<typeof InputSchema>,
  mode: UpgradeMode,
  context: Parameters<typeof generateMigration.handler>[1],
): Promise<ToolResult<Output>> {
  const done = await upgradeMigrationsFolder(context, {
    mode,
    hints: input.hints as unknown as MigrationHint[] | undefined,
    name: input.name,
  });
  const { root } = context.services.project;
  const upgraded = {
    backup: path.relative(root, done.backup) || done.backup,
    migrations: done.migrations.map((move) => `${move.from} → ${move.to}`),
    notes: done.notes,
  };
  if (!done.generated) {
    return {
      data: {
        status: 'ok',
        message:
          "Converted to drizzle-kit 1.0's layout; drizzle-kit generates nothing right after, so nothing else changed.",
        upgraded,
        next: 'Call migration_status: the migrations keep their state (the ledger is upgraded by the next apply).',
      },
    };
  }
  const data = { ...toOutput(done.generated, { custom: false }, root), upgraded };
  return done.generated.status === 'failed' ? { data, failure: done.generated.error.code } : { data };
}
