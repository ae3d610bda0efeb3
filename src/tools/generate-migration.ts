import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { writeMigrationFrom } from '../migrations/write.js';
import type { AppliedRename, MigrationHint, MissingHint, SqliteSnapshot } from '../project/types.js';
import {
  capText,
  FindingSchema,
  lintSequence,
  readMigrationState,
  type Finding,
} from './migration-shared.js';
import { defineTool } from './types.js';

const MAX_SQL_CHARS = 20_000;

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
      .describe(
        'File name part after NNNN_ (e.g. "add_mood_note"); a random word pair when omitted, as drizzle-kit does.',
      ),
    hints: z
      .array(HintSchema)
      .max(200)
      .optional()
      .describe(
        'Answers to missing_hints, one per ambiguity (drizzle-kit 1.0 vocabulary): {type:"rename",kind,from,to} keeps the data; {type:"create",kind,entity} makes it new (the unmatched old one is dropped). Entities: ["public", table] or ["public", table, column].',
      ),
    custom: z
      .boolean()
      .default(false)
      .describe(
        'Write an empty migration for hand-written SQL (drizzle-kit generate --custom); schema.ts is not read.',
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
  tag: z.string().optional().describe('The new migration, e.g. 0003_add_mood_note.'),
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
  next: z.string().optional().describe('The next step.'),
});
type Output = z.infer<typeof OutputSchema>;

function renameText(rename: AppliedRename): string {
  return rename.kind === 'table'
    ? `table ${rename.from} → ${rename.to}`
    : `column ${rename.table ?? '?'}.${rename.from} → ${rename.to}`;
}

function exampleHints(missing: readonly MissingHint[]): string {
  const first = missing[0];
  if (!first) return '';
  const candidate = first.candidates[0];
  const example = candidate
    ? { type: 'rename', kind: first.kind, from: candidate, to: first.entity }
    : { type: 'create', kind: first.kind, entity: first.entity };
  return JSON.stringify(example);
}

type Outcome =
  | { kind: 'diff'; findings: Finding[]; lintNote?: string; renames: AppliedRename[] }
  | { kind: 'result'; output: Output };

export const generateMigration = defineTool({
  name: 'generate_migration',
  title: 'Generate a migration',
  description:
    "Diffs schema.ts against the last migration with drizzle-kit and writes the next migration files (drizzle-kit's format); returns the SQL and linter findings. Never touches the database. Answer missing_hints with hints.",
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'files',
  idempotent: false,
  async handler(input, { services, setTarget, addAuditDetails, signal }) {
    const { project } = services;
    if (!input.custom && project.schemaFiles.length === 0) {
      return {
        data: {
          status: 'error' as const,
          message: 'The project configures no schema file that exists, so there is nothing to diff.',
          hint: `Set "schema" in ${project.configFile ?? 'drizzle.config.ts'} to your schema file(s), or use custom: true for a hand-written migration.`,
        },
      };
    }
    // The statements the database has not run yet come before the new ones when linting (see lintSequence).
    const { status: current } = readMigrationState(services);
    let outcome: Outcome | undefined;
    const written = await writeMigrationFrom(project.outDir, async (previous) => {
      if (signal.aborted)
        throw new AppError('CANCELLED', 'generate_migration was cancelled; nothing was written.');
      if (input.custom)
        return {
          custom: true,
          ...(input.name ? { name: input.name } : {}),
          breakpoints: project.breakpoints,
        };
      // One worker round trip: the schema's new snapshot (prevId = previous.prevId) is diffed where it is made.
      const generated = await services.kit.generate({
        project,
        prev: previous.snapshot,
        ...(input.hints ? { hints: input.hints as unknown as MigrationHint[] } : {}),
      });
      if (!generated.loaded) {
        const { error } = generated;
        if (error.code !== 'SCHEMA_LOAD_FAILED' && error.code !== 'CONFIG_ERROR') throw error;
        outcome = {
          kind: 'result',
          output: { status: 'error', message: error.message, ...(error.hint ? { hint: error.hint } : {}) },
        };
        return null;
      }
      const { diff } = generated;
      if (diff.status === 'no_changes') {
        outcome = {
          kind: 'result',
          output: {
            status: 'no_changes',
            message: 'schema.ts matches the last migration snapshot: there is nothing to generate.',
            next: 'Edit schema.ts first (or use custom: true for hand-written SQL), or call migration_status to see whether migrations are pending.',
          },
        };
        return null;
      }
      if (diff.status === 'missing_hints') {
        outcome = {
          kind: 'result',
          output: {
            status: 'missing_hints',
            missingHints: diff.missingHints.map((missing) => ({
              type: missing.type,
              kind: missing.kind,
              entity: [...missing.entity],
              candidates: missing.candidates.map((candidate) => [...candidate]),
            })),
            next: `For each ambiguity decide whether the new ${diff.missingHints[0]?.kind ?? 'entity'} is a rename of a candidate (its data is kept) or a new one (the unmatched old one is dropped), then call generate_migration again with hints, e.g. hints: [${exampleHints(diff.missingHints)}]. Ask the human when unsure.`,
          },
        };
        return null;
      }
      if (diff.status === 'error') {
        outcome = {
          kind: 'result',
          output: { status: 'error', message: diff.message, ...(diff.hint ? { hint: diff.hint } : {}) },
        };
        return null;
      }
      const pending = current.consistent ? current.pending : [];
      const lintable = current.consistent;
      // The linter reads the new snapshot only to check REFERENCES clauses (SQ203): parse its text only for those.
      const snapshotForLint = diff.statements.some((statement) => /references/i.test(statement))
        ? (JSON.parse(diff.snapshot.text) as SqliteSnapshot)
        : undefined;
      const perUnit = lintSequence(
        services.read,
        [...pending.map((m) => ({ chunks: m.chunks })), { chunks: diff.statements }],
        {
          previousSnapshot: previous.snapshot,
          ...(snapshotForLint ? { snapshot: snapshotForLint } : {}),
          protectedTables: services.tables.protected,
        },
      );
      outcome = {
        kind: 'diff',
        findings: perUnit.at(-1) ?? [],
        ...(lintable
          ? {}
          : {
              lintNote:
                'The database and the migrations folder disagree (see migration_status), so findings were judged against the database as it is.',
            }),
        renames: diff.renames,
      };
      return {
        ...(input.name ? { name: input.name } : {}),
        statements: diff.statements,
        snapshot: diff.snapshot,
        breakpoints: project.breakpoints,
      };
    });

    if (!written) {
      const output = outcome?.kind === 'result' ? outcome.output : { status: 'no_changes' as const };
      if (output.status !== 'ok') addAuditDetails({ status: output.status });
      return { data: output };
    }
    setTarget('migration', written.tag);
    const rel = (file: string) => path.relative(project.root, file) || file;
    const sql = capText(written.sql, MAX_SQL_CHARS);
    const findings = outcome?.kind === 'diff' ? outcome.findings : [];
    const renames = outcome?.kind === 'diff' ? outcome.renames.map(renameText) : [];
    const dataLoss = findings.some((finding) => finding.dataLoss);
    const errors = findings.filter((finding) => finding.severity === 'error');
    addAuditDetails({
      status: 'ok',
      tag: written.tag,
      hash: written.hash,
      findings: findings.map((f) => f.code),
    });
    const output: Output = {
      status: 'ok',
      tag: written.tag,
      files: [
        rel(written.sqlFile),
        rel(written.snapshotFile),
        rel(path.join(project.outDir, 'meta', '_journal.json')),
      ],
      sql: sql.text,
      ...(sql.truncated ? { sqlTruncated: true as const } : {}),
      ...(renames.length ? { renames } : {}),
      ...(findings.length ? { findings } : {}),
      ...(outcome?.kind === 'diff' && outcome.lintNote ? { lintNote: outcome.lintNote } : {}),
      next: input.custom
        ? `Write the SQL into ${rel(written.sqlFile)} (statements separated by "--> statement-breakpoint"), then apply_migrations with dryRun: true.`
        : errors.length
          ? `The linter found ${errors.length} error(s) that would make applying fail or corrupt data: fix the file as each finding says (or fix schema.ts, delete this migration's files and journal entry, and generate again) before apply_migrations.`
          : dataLoss
            ? 'This migration can destroy data (see findings): check that is intended, then apply_migrations (it dry-runs first and asks the human before anything is lost).'
            : 'Review the SQL, then call apply_migrations with dryRun: true, then apply_migrations.',
    };
    return { data: output };
  },
});
