import { z } from 'zod';
import { auditTail, UNCHANGED_DETAIL } from '../audit/audit-rows.js';
import { AppError } from '../core/errors.js';
import { applyMigrations } from '../migrations/apply.js';
import { createBackup } from '../migrations/backup.js';
import { readMigrationFolder } from '../migrations/folder.js';
import { dryRunMigrations, type DryRunReport, type TableRowCount } from '../migrations/dry-run.js';
import { requireDestructiveConsent } from './consent.js';
import {
  assertConsistent,
  capText,
  FindingSchema,
  lintSequence,
  notifyProgress,
  readMigrationState,
  writableConnection,
  type Finding,
} from './migration-shared.js';
import { defineTool, type ToolContext } from './types.js';

const MAX_STATEMENT_CHARS = 2_000;
const MAX_STATEMENTS_SHOWN = 100;

const InputSchema = z
  .object({
    dryRun: z
      .boolean()
      .default(false)
      .describe('Only rehearse the pending migrations on a copy of the database and report; change nothing.'),
  })
  .strict();

const MigrationReportSchema = z.object({
  tag: z.string(),
  statements: z.array(z.string()).describe('The statements that run, in order (long ones shortened).'),
  statementsOmitted: z.number().optional().describe('Statements not listed to keep the answer short.'),
  rowChanges: z
    .array(z.string())
    .optional()
    .describe('Tables whose row count changed: "table: before → after" (absent: no table).'),
  error: z.string().optional().describe('Why this migration failed in the dry run.'),
  findings: z.array(FindingSchema).optional().describe('Linter findings on this migration.'),
});

const OutputSchema = z.object({
  status: z
    .enum(['up_to_date', 'dry_run', 'applied'])
    .describe('up_to_date: nothing pending; dry_run: rehearsed only; applied: committed.'),
  ok: z
    .boolean()
    .describe('The dry run succeeded: every migration ran, foreign keys and integrity check clean.'),
  migrations: z
    .array(MigrationReportSchema)
    .optional()
    .describe('Per pending migration, from the dry run on a copy of the real data.'),
  notRun: z
    .array(z.string())
    .optional()
    .describe('Migrations the dry run did not reach because an earlier one failed.'),
  rowCounts: z
    .array(z.string())
    .optional()
    .describe(
      'Every table in the dry run, "table: before → after" over all pending migrations ("(no table)" when absent).',
    ),
  rowsLost: z
    .array(z.string())
    .optional()
    .describe('Tables that would lose rows or be dropped with rows in them.'),
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
      required: z.boolean().describe('Data would be lost, so the human had to agree.'),
      decision: z.string().describe('How consent was given (or why it is needed).'),
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
type MigrationReport = z.infer<typeof MigrationReportSchema>;

const integrityOk = (report: DryRunReport) =>
  report.integrityCheck.length === 1 && report.integrityCheck[0] === 'ok';
const countText = (value: number | null) => (value === null ? '(no table)' : String(value));
const rowChange = (count: TableRowCount) =>
  `${count.table}: ${countText(count.before)} → ${countText(count.after)}`;

function migrationReports(report: DryRunReport, findings: Finding[][]): MigrationReport[] {
  let shown = 0;
  return report.migrations.map((migration, index) => {
    const statements: string[] = [];
    for (const statement of migration.statements) {
      if (shown >= MAX_STATEMENTS_SHOWN) break;
      statements.push(capText(statement, MAX_STATEMENT_CHARS).text);
      shown += 1;
    }
    const omitted = migration.statements.length - statements.length;
    const lint = findings[index] ?? [];
    return {
      tag: migration.tag,
      statements,
      ...(omitted > 0 ? { statementsOmitted: omitted } : {}),
      ...(migration.rowCountChanges.length ? { rowChanges: migration.rowCountChanges.map(rowChange) } : {}),
      ...(migration.error
        ? {
            error: `${migration.error.code}: ${migration.error.message}`,
          }
        : {}),
      ...(lint.length ? { findings: lint } : {}),
    };
  });
}

function dryRunFailure(report: DryRunReport): string {
  const parts: string[] = [];
  const failed = report.migrations.find((migration) => !migration.ok);
  if (failed?.error) parts.push(failed.error.message);
  if (report.notRun.length) parts.push(`Not reached: ${report.notRun.join(', ')}.`);
  if (report.foreignKeyViolations.length) {
    parts.push(
      `${report.foreignKeyViolations.length} row(s) would have a foreign key pointing at nothing (e.g. ${report.foreignKeyViolations[0]!.table} rowid ${report.foreignKeyViolations[0]!.rowid ?? '?'} → ${report.foreignKeyViolations[0]!.parent}).`,
    );
  }
  if (!integrityOk(report)) parts.push(`integrity_check: ${report.integrityCheck.slice(0, 3).join('; ')}`);
  return parts.join('\n');
}

/** What a human must agree to before it is applied; empty when nothing can be lost. */
function dataLossSummary(report: DryRunReport, findings: Finding[][]): string[] {
  const lines: string[] = [];
  report.migrations.forEach((migration, index) => {
    for (const finding of findings[index] ?? []) {
      if (finding.dataLoss) lines.push(`${migration.tag}: ${finding.code} ${finding.message}`);
    }
  });
  for (const lost of report.rowsLost) lines.push(`Dry run: ${rowChange(lost)} rows.`);
  return lines;
}

async function askConsent(context: ToolContext, report: DryRunReport, losses: string[]): Promise<string> {
  const tags = report.migrations.map((migration) => migration.tag);
  const counts = report.rowCounts.filter((count) => count.before !== count.after).map(rowChange);
  return requireDestructiveConsent(context, {
    nothingWas: 'applied',
    unavailable: {
      message: `Applying ${tags.join(', ')} would destroy data, which needs the human's consent, and this client cannot ask them:\n- ${losses.join('\n- ')}`,
      hint: 'Show the human these findings. If they agree, they can restart the server with --allow-destructive added to its arguments in their MCP client config, then call apply_migrations again. If not, change schema.ts (or the migration) so nothing is lost. Nothing was changed.',
      details: { migrations: tags },
    },
    message: [
      `The assistant wants to apply ${tags.length} migration(s) (${tags.join(', ')}) that would destroy data:`,
      ...losses.map((line) => `• ${line}`),
      ...(counts.length
        ? ['Row counts in a dry run on a copy of your data:', ...counts.map((line) => `• ${line}`)]
        : []),
      'A backup is taken first. Apply them?',
    ].join('\n'),
    checkbox: {
      title: 'Apply these migrations and lose this data',
      description: 'Check to apply; leave unchecked to cancel.',
    },
    audit: { pendingHashes: report.pendingHashes },
    refusedHint:
      'Do not retry without asking them. Change schema.ts (or the migration) so no data is lost, or ask them what they want.',
  });
}

async function run(input: { dryRun: boolean }, context: ToolContext): Promise<Output> {
  const { services, signal, progress, addAuditDetails, setTarget, commitAudit } = context;
  const { project } = services;
  const { folder, status } = readMigrationState(services);
  assertConsistent(status);
  if (status.pending.length === 0) {
    addAuditDetails(UNCHANGED_DETAIL);
    return {
      status: 'up_to_date',
      ok: true,
      next: 'Nothing is pending. To change the schema, edit schema.ts and call generate_migration.',
    };
  }
  const lastTag = status.pending.at(-1)!.tag;
  setTarget('migration', lastTag);
  const total = status.pending.length + 2;
  notifyProgress(progress, 0, total, 'Dry run on a copy of the database');

  // Always rehearse first, on a copy of the real data: what the dry run did not see is never applied.
  const report = await dryRunMigrations(services.read, folder, {
    migrationsTable: project.migrationsTable,
    tables: services.tables,
  });
  const findings = lintSequence(
    services.read,
    status.pending.map((migration) => ({ chunks: migration.chunks })),
    {
      ...(folder.latestSnapshot ? { snapshot: folder.latestSnapshot } : {}),
      protectedTables: services.tables.protected,
    },
  );
  const protectedWrites = findings.flat().filter((finding) => finding.code === 'SQ209');
  const losses = dataLossSummary(report, findings);
  // Our own audit rows are not the app's data; their count only grows.
  const rowCounts = report.rowCounts.filter((count) => !services.tables.isAuditTable(count.table));
  const output: Omit<Output, 'next'> = {
    status: 'dry_run',
    ok: report.ok,
    migrations: migrationReports(report, findings),
    ...(report.notRun.length ? { notRun: report.notRun } : {}),
    ...(rowCounts.length ? { rowCounts: rowCounts.map(rowChange) } : {}),
    ...(report.rowsLost.length ? { rowsLost: report.rowsLost.map(rowChange) } : {}),
    checks: {
      foreignKeys: report.foreignKeyViolations.length
        ? `${report.foreignKeyViolations.length} row(s) point at nothing (see foreignKeyViolations)`
        : 'ok',
      integrity: integrityOk(report) ? 'ok' : report.integrityCheck.slice(0, 5).join('; '),
    },
    ...(report.foreignKeyViolations.length
      ? {
          foreignKeyViolations: report.foreignKeyViolations.map(
            (v) => `${v.table} rowid ${v.rowid ?? '?'} → missing row in ${v.parent}`,
          ),
        }
      : {}),
    ...(losses.length
      ? {
          consent: {
            required: true,
            decision: services.config.allowDestructive
              ? 'allowed by the launch option --allow-destructive'
              : 'the human will be asked when applying',
          },
        }
      : {}),
  };

  if (protectedWrites.length) {
    throw new AppError(
      'PROTECTED_TABLE',
      `Refusing to apply: ${protectedWrites.map((f) => f.message).join(' ')}`,
      {
        hint: "The audit log and the migrations ledger are the server's own tables; remove the statements that touch them from the migration. Nothing was changed.",
        details: { findings: protectedWrites },
      },
    );
  }
  if (input.dryRun) {
    addAuditDetails({ ...UNCHANGED_DETAIL, dryRun: { ok: report.ok, pendingHashes: report.pendingHashes } });
    return {
      ...output,
      next: !report.ok
        ? 'The dry run failed (see the errors): fix the migration or the data it trips over, then dry-run again.'
        : losses.length
          ? 'These migrations destroy data (see findings/rowsLost): confirm with the human that this is intended, then call apply_migrations (the human is asked to consent).'
          : 'Looks safe: call apply_migrations to apply (a backup is taken first).',
    };
  }
  if (!report.ok) {
    throw new AppError(
      'MIGRATION_FAILED',
      `The dry run on a copy of the database failed, so nothing was applied:\n${dryRunFailure(report)}`,
      {
        hint: 'Fix the migration file (if it was never applied anywhere) or add a migration that prepares the data first; call apply_migrations with dryRun: true to see the full report.',
        details: {
          failed: report.migrations.filter((m) => !m.ok).map((m) => ({ tag: m.tag, ...m.error })),
          notRun: report.notRun,
        },
      },
    );
  }

  // Consent is bound to exactly the set that was rehearsed: apply refuses if the pending hashes changed meanwhile.
  if (losses.length) {
    const decision = await askConsent(context, report, losses);
    output.consent = { required: true, decision };
    addAuditDetails({ consent: { required: true, decision, pendingHashes: report.pendingHashes, losses } });
  } else {
    addAuditDetails({ consent: { required: false } });
  }

  const write = writableConnection(services, 'apply_migrations');
  return services.exclusive(async () => {
    notifyProgress(progress, 1, total, 'Backing up the database');
    const backupStarted = performance.now();
    const backup = await createBackup(write, services.backupDir, {
      reason: `before applying ${status.pending.map((m) => m.tag).join(', ')}`,
      auditHighWater: auditTail(services.audit.connection, services.audit.table).id,
    });
    const durationMs = Math.round((performance.now() - backupStarted) * 10) / 10;
    const mibPerSecond =
      durationMs > 0 ? Math.round((backup.sizeBytes / 1024 ** 2 / (durationMs / 1000)) * 10) / 10 : 0;
    output.backup = {
      id: backup.id,
      path: backup.path,
      sizeBytes: backup.sizeBytes,
      durationMs,
      mibPerSecond,
    };
    addAuditDetails({
      backup: { id: backup.id, path: backup.path, sizeBytes: backup.sizeBytes, durationMs },
    });

    // Read the folder again: a file added or edited since the dry run must fail the hash check, not slip through.
    const result = await applyMigrations(write, readMigrationFolder(project.outDir), {
      migrationsTable: project.migrationsTable,
      tables: services.tables,
      expectedHashes: report.pendingHashes,
      signal,
      onProgress(step) {
        if (step.phase === 'migration')
          notifyProgress(
            progress,
            step.index + 1,
            total,
            `Applying ${step.tag ?? ''} (${step.index}/${step.total})`,
          );
      },
      beforeCommit(_db, applied) {
        // With the audit log in this file the row commits with the migrations; with --audit-db it is written
        // just before the commit (a failed commit then adds an error row after it).
        services.audit.append(
          commitAudit.entry({
            details: { applied: applied.applied.map((m) => ({ tag: m.tag, hash: m.hash })) },
          }),
        );
      },
    });
    commitAudit.committed();
    return {
      ...output,
      status: 'applied' as const,
      applied: result.applied.map((migration) => migration.tag),
      next: `Applied. Call migration_status to confirm everything is in sync; restore_backup with backupId "${backup.id}" undoes it.`,
    };
  });
}

export const applyMigrationsTool = defineTool({
  name: 'apply_migrations',
  title: 'Apply pending migrations',
  description:
    'Applies pending migrations atomically: dry-runs on a copy first (statements, row counts, checks, linter), asks the human before data is lost, backs up, keeps cascaded child rows. dryRun: true only reports.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'destructive',
  idempotent: false,
  async handler(input, context) {
    return { data: await run(input, context) };
  },
});
