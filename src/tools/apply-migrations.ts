import { z } from 'zod';
import {
  applyPendingMigrations,
  describeRowChange,
  describeRowCount,
  integrityOk,
  type ApplyOutcome,
  type ApplyPlan,
} from '../app/apply-migrations.js';
import { summariseRehearsal } from '../app/history-summary.js';
import { assertPendingTag, readMigrationState } from '../app/migration-state.js';
import { PlanIdSchema } from './consent-shapes.js';
import { FindingSchema } from './migration-shapes.js';
import { SQLITE_QUOTES_NOTICE, untrustedFence } from '../core/untrusted.js';
import { UntrustedSchema } from './query-shapes.js';
import { defineTool } from './types.js';

const InputSchema = z
  .object({
    dryRun: z.boolean().default(false).describe('Only rehearse on a copy and report; change nothing.'),
    show: z.string().min(1).optional().describe('A pending tag to list in full.'),
    planId: PlanIdSchema,
  })
  .strict();

const MigrationReportSchema = z.object({
  tag: z.string(),
  statements: z.array(z.string()).optional().describe('The statements (long ones shortened).'),
  statementCount: z.number(),
  statementsOmitted: z.number().optional().describe('Statements left out to stay within the size budget.'),
  rowChanges: z
    .array(z.string())
    .optional()
    .describe('Tables whose rows change: "table: before → after" ("(no table)": absent).'),
  neutralised: z
    .array(z.string())
    .optional()
    .describe('Statements skipped as the apply does them itself (SQ205/SQ206 say why).'),
  error: z.string().optional().describe('Why this migration failed in the dry run.'),
  findings: z.array(FindingSchema).optional().describe('Linter findings on this migration.'),
});

const OutputSchema = z.object({
  untrusted: UntrustedSchema.optional().describe('Set when an error quotes SQLite.'),
  status: z
    .enum(['up_to_date', 'dry_run', 'applied'])
    .describe('up_to_date: nothing pending; dry_run: rehearsed only; applied: committed.'),
  ok: z
    .boolean()
    .describe('The dry run succeeded: every migration ran, foreign keys and integrity check clean.'),
  migrations: z
    .array(MigrationReportSchema)
    .optional()
    .describe('Dry run on a copy: migrations with findings, row changes or errors (and show).'),
  quiet: z.array(z.string()).optional().describe('Ranges of pending migrations with nothing to report.'),
  notRun: z
    .array(z.string())
    .optional()
    .describe('Migrations the dry run did not reach because an earlier one failed.'),
  rowCounts: z
    .array(z.string())
    .optional()
    .describe(
      '"table: before → after" over all pending migrations: every table for a few migrations, else only those whose rows change.',
    ),
  unchangedTables: z.number().optional().describe('Tables whose rows do not change.'),
  truncated: z.string().optional().describe('What the size budget cut, and how to see it.'),
  rowsLost: z
    .array(z.string())
    .optional()
    .describe('Tables that would lose rows or be dropped with rows in them.'),
  rowsChanged: z
    .array(z.string())
    .optional()
    .describe('Existing rows changed: "table: N rows updated, M deleted" (needs approval).'),
  checks: z
    .object({
      foreignKeys: z
        .string()
        .describe('PRAGMA foreign_key_check after the dry run: "ok" or how many rows point at nothing.'),
      integrity: z.string().describe('PRAGMA integrity_check after the dry run: "ok" or its first messages.'),
    })
    .optional(),
  foreignKeyViolations: z
    .array(z.string())
    .optional()
    .describe('Rows whose foreign key would point at nothing.'),
  consent: z
    .object({
      required: z.boolean().describe('Data would be lost, so a person had to approve.'),
      decision: z.string().describe('How consent was given (or how it will be asked).'),
      planId: z.string().optional().describe('The approved plan.'),
    })
    .optional(),
  backup: z
    .object({
      id: z.string(),
      path: z.string(),
      sizeBytes: z.number(),
      durationMs: z.number().describe('Wall time of the backup: copy, checksum and rename.'),
      mibPerSecond: z.number().describe('sizeBytes / durationMs, in MiB/s.'),
    })
    .optional()
    .describe('The backup taken just before applying (restore_backup with this id undoes the apply).'),
  applied: z.array(z.string()).optional().describe('Migrations committed, in order.'),
  next: z.string().describe('The next step.'),
});
type Output = z.infer<typeof OutputSchema>;
/** What the dry run showed, as the model reads it (summarised under a byte budget: app/history-summary.ts). */
function rehearsal(
  plan: ApplyPlan,
  show: string | undefined,
  applied: readonly string[] = [],
): Omit<Output, 'status' | 'next'> {
  const { report } = plan;
  const summary = summariseRehearsal(plan, show, Buffer.byteLength(JSON.stringify(applied)));
  return {
    ...(report.migrations.some((migration) => migration.error)
      ? { untrusted: untrustedFence(SQLITE_QUOTES_NOTICE) }
      : {}),
    ok: report.ok,
    ...(summary.migrations.length ? { migrations: summary.migrations } : {}),
    ...(summary.quiet.length ? { quiet: summary.quiet } : {}),
    ...(report.notRun.length ? { notRun: report.notRun } : {}),
    ...(summary.rowCounts.length ? { rowCounts: summary.rowCounts } : {}),
    ...(summary.unchangedTables ? { unchangedTables: summary.unchangedTables } : {}),
    ...(report.rowsLost.length ? { rowsLost: report.rowsLost.map(describeRowCount) } : {}),
    ...(plan.rowChanges.length ? { rowsChanged: plan.rowChanges.map(describeRowChange) } : {}),
    checks: {
      foreignKeys: report.foreignKeyViolations.length
        ? `${report.foreignKeyViolations.length} row(s) point at nothing (see foreignKeyViolations)`
        : 'ok',
      integrity: integrityOk(report) ? 'ok' : report.integrityCheck.slice(0, 5).join('; '),
    },
    ...(report.foreignKeyViolations.length
      ? {
          foreignKeyViolations: report.foreignKeyViolations
            .slice(0, 20)
            .map((v) => `${v.table} rowid ${v.rowid ?? '?'} → missing row in ${v.parent}`),
        }
      : {}),
    ...(plan.consent ? { consent: plan.consent } : {}),
    ...(summary.truncated ? { truncated: summary.truncated } : {}),
  };
}

function toOutput(outcome: ApplyOutcome, show: string | undefined): Output {
  switch (outcome.status) {
    case 'up_to_date':
      return {
        status: 'up_to_date',
        ok: true,
        next: 'Nothing is pending. To change the schema, edit schema.ts and call generate_migration.',
      };
    case 'dry_run':
      return {
        status: 'dry_run',
        ...rehearsal(outcome.plan, show),
        next: !outcome.plan.report.ok
          ? 'The dry run failed (see the errors): fix the migration or the data it trips over, then dry-run again.'
          : outcome.plan.losses.length
            ? 'These migrations destroy or change existing data (see findings, rowsLost, rowsChanged): confirm with the person that this is intended, then call apply_migrations (they are asked to approve the plan).'
            : 'Looks safe: call apply_migrations to apply (a backup is taken first).',
      };
    case 'applied': {
      const { info, durationMs, mibPerSecond } = outcome.backup;
      return {
        status: 'applied',
        ...rehearsal(outcome.plan, show, outcome.applied),
        backup: { id: info.id, path: info.path, sizeBytes: info.sizeBytes, durationMs, mibPerSecond },
        applied: outcome.applied,
        next: `Applied. Call migration_status to confirm everything is in sync; restore_backup with backupId "${info.id}" undoes it.`,
      };
    }
  }
}

export const applyMigrationsTool = defineTool({
  name: 'apply_migrations',
  title: 'Apply pending migrations',
  description:
    'Applies pending migrations atomically: dry-runs on a copy first (findings, row counts, checks), asks before data is lost, backs up, keeps cascaded child rows.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'destructive',
  idempotent: false,
  async handler(input, context) {
    if (input.show !== undefined)
      assertPendingTag(readMigrationState(context.services.read, context.services.project), input.show);
    return { data: toOutput(await applyPendingMigrations(context, input), input.show) };
  },
});
