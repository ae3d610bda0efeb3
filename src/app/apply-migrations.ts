// The apply pipeline: what apply_migrations does, step by step, without MCP. Invariants: nothing is applied that a
// dry run on a copy of the real data did not rehearse (the apply refuses if the pending set changed since); a
// statement the migration statement policy refuses (migrations/statement-policy.ts) stops everything before any
// of it runs; data loss needs the human's consent, bound to the rehearsed set; a backup is taken before anything
// changes; the migrations and their audit row commit together.
import type { AuditLog } from '../audit/audit-log.js';
import { UNCHANGED_DETAIL } from '../audit/audit-rows.js';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import type { ServerTables } from '../guard/server-tables.js';
import { createBackup, type BackupInfo } from '../migrations/backup.js';
import type { DryRunReport, TableRowCount } from '../migrations/dry-run.js';
import type { JobProgress, MigrationJobBase, MigrationRunner } from '../migrations/jobs.js';
import { existingRowChanges, type ExistingRowChange, type MigrationEffects } from '../migrations/effects.js';
import { asciiLower } from '../sql/tokenizer.js';
import type { ProjectConfig } from '../project/types.js';
import type { SqliteDatabase } from '../sqlite/connection.js';
import { notifyProgress, type CallContext } from './call-context.js';
import { requireDestructiveConsent } from './consent.js';
import { assertConsistent, lintSequence, readMigrationState, type Finding } from './migration-state.js';
import { writableConnection } from './services.js';

/** What the pipeline needs of the services: the connections, the server's tables, the audit log, where backups go. */
export interface MigrationServices {
  read: SqliteDatabase;
  write: SqliteDatabase | undefined;
  tables: ServerTables;
  audit: AuditLog;
  backupDir: string;
  config: Pick<Config, 'readOnly' | 'allowDestructive' | 'busyTimeoutMs'>;
  project: Pick<ProjectConfig, 'outDir' | 'migrationsTable' | 'dbFile'>;
  /** The audit database file (with --audit-db). */
  auditFile: string;
  /** Where the dry run and the apply run: a process that can be stopped (migrations/jobs.ts). */
  migrations: MigrationRunner;
  exclusive<T>(fn: () => T | Promise<T>): Promise<T>;
}

/** What both jobs need to know about this project. */
function jobBase(services: MigrationServices): MigrationJobBase {
  return {
    dbFile: services.project.dbFile,
    outDir: services.project.outDir,
    tables: {
      ledgerTable: services.tables.ledgerTable,
      auditTable: services.tables.auditTable,
      auditInProjectDb: services.tables.auditInProjectDb,
    },
    busyTimeoutMs: services.config.busyTimeoutMs,
  };
}

/** What the dry run showed, and what it means for the human. */
export interface ApplyPlan {
  report: DryRunReport;
  /** Linter findings per pending migration, in order. */
  findings: Finding[][];
  /** What a human must agree to before it is applied; empty when nothing can be lost or changed. */
  losses: string[];
  /** Rows that existed before and that the migrations change or remove, per table, with the statements doing it. */
  rowChanges: ExistingRowChange[];
  /** Every table's row count before → after, without our own audit table (its rows are not the app's data). */
  rowCounts: TableRowCount[];
  /** Present when data would be lost: how consent was (or will be) given. */
  consent?: { required: true; decision: string };
}

export interface BackupTaken {
  info: BackupInfo;
  /** Wall time of the backup: copy, checksum and rename. */
  durationMs: number;
  mibPerSecond: number;
}

export type ApplyOutcome =
  | { status: 'up_to_date' }
  | { status: 'dry_run'; plan: ApplyPlan }
  | { status: 'applied'; plan: ApplyPlan; backup: BackupTaken; applied: string[] };

const countText = (value: number | null) => (value === null ? '(no table)' : String(value));

/** "table: before → after" ("(no table)" when absent). */
export const describeRowCount = (count: TableRowCount) =>
  `${count.table}: ${countText(count.before)} → ${countText(count.after)}`;

export const integrityOk = (report: DryRunReport) =>
  report.integrityCheck.length === 1 && report.integrityCheck[0] === 'ok';

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

/** "users: 12 rows updated, 3 deleted" */
export function describeRowChange(change: ExistingRowChange): string {
  const parts = [
    change.updated ? `${change.updated} row${change.updated === 1 ? '' : 's'} updated` : '',
    change.deleted ? `${change.deleted} row${change.deleted === 1 ? '' : 's'} deleted` : '',
  ].filter(Boolean);
  return `${change.table}: ${parts.join(', ')}`;
}

/** Longest statement a consent request shows; a longer one is refused rather than shown in part (see class 9). */
const MAX_SHOWN_STATEMENT = 4000;

function dataLossSummary(
  report: DryRunReport,
  findings: Finding[][],
  rowChanges: ExistingRowChange[],
): string[] {
  const lines: string[] = [];
  // Data changed is data lost: existing rows an UPDATE, DELETE, REPLACE or upsert changes, with the statements.
  for (const change of rowChanges)
    lines.push(`Existing rows change: ${describeRowChange(change)}, by ${change.statements.join('; ')}`);
  report.migrations.forEach((migration, index) => {
    for (const finding of findings[index] ?? []) {
      if (finding.dataLoss) lines.push(`${migration.tag}: ${finding.code} ${finding.message}`);
    }
  });
  for (const lost of report.rowsLost) lines.push(`Dry run: ${describeRowCount(lost)} rows.`);
  return lines;
}

/** A progress notification as each migration starts (the host reports every statement; one line each is enough). */
function announceMigration(
  tags: readonly string[],
  context: CallContext<MigrationServices>,
  total: number,
): (progress: JobProgress) => void {
  let current: string | undefined;
  return ({ migration }) => {
    if (migration === current) return;
    current = migration;
    const index = tags.indexOf(migration);
    notifyProgress(context, index + 2, total, `Applying ${migration} (${index + 1}/${tags.length})`);
  };
}

function emptyEffects(): MigrationEffects {
  return { tables: [], statements: [], triggered: 0, schema: { created: [], dropped: [], changed: [] } };
}

async function askConsent(
  context: CallContext<MigrationServices>,
  report: DryRunReport,
  losses: string[],
): Promise<string> {
  const tags = report.migrations.map((migration) => migration.tag);
  const tooLong = losses.find((line) => line.length > MAX_SHOWN_STATEMENT);
  if (tooLong !== undefined) {
    // Security: the human is shown every statement whole or not asked; a prefix could be made to look harmless.
    throw new AppError(
      'CONSENT_REQUIRED',
      `Applying ${tags.join(', ')} changes existing data through a statement too long to show the human in full (${tooLong.length} characters even without comments and with long literals shortened), so they were not asked; nothing was applied.`,
      {
        hint: 'Write the data change as shorter statements a person can read (e.g. one UPDATE per rule), then dry-run again.',
      },
    );
  }
  const counts = report.rowCounts.filter((count) => count.before !== count.after).map(describeRowCount);
  return requireDestructiveConsent(context, {
    nothingWas: 'applied',
    unavailable: {
      message: `Applying ${tags.join(', ')} would destroy or change existing data, which needs the human's consent, and this client cannot ask them:\n- ${losses.join('\n- ')}`,
      hint: 'Show the human these findings. If they agree, they can restart the server with --allow-destructive added to its arguments in their MCP client config, then call apply_migrations again. If not, change schema.ts (or the migration) so nothing is lost. Nothing was changed.',
      details: { migrations: tags },
    },
    message: [
      `The assistant wants to apply ${tags.length} migration(s) (${tags.join(', ')}) that would destroy or change existing data:`,
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

/** Rehearses the pending migrations on a copy, then (unless `dryRun`) applies them as the rehearsal allows. */
export async function applyPendingMigrations(
  context: CallContext<MigrationServices>,
  input: { dryRun: boolean },
): Promise<ApplyOutcome> {
  const { services, signal, addAuditDetails, setTarget, commitWithAudit } = context;
  const { project } = services;
  const { folder, status } = readMigrationState(services.read, project);
  assertConsistent(status);
  if (status.pending.length === 0) {
    addAuditDetails(UNCHANGED_DETAIL);
    return { status: 'up_to_date' };
  }
  setTarget('migration', status.pending.at(-1)!.tag);
  const total = status.pending.length + 2;
  notifyProgress(context, 0, total, 'Dry run on a copy of the database');

  // Always rehearse first, on a copy of the real data: what the dry run did not see is never applied.
  // The statement policy judges every statement before anything runs, the copy included; it throws on a refusal.
  // It runs where it can be stopped: a statement that runs too long ends with its process (migrations/jobs.ts).
  const report = await services.migrations.rehearse(jobBase(services), { signal });
  const findings = lintSequence(
    services.read,
    status.pending.map((migration) => ({ chunks: migration.chunks })),
    {
      ...(folder.latestSnapshot ? { snapshot: folder.latestSnapshot } : {}),
      protectedTables: services.tables.protected,
    },
  );
  const existedBefore = new Set(
    report.rowCounts.filter((count) => count.before !== null).map((count) => asciiLower(count.table)),
  );
  const rowChanges = existingRowChanges(report.migrations, (table) => existedBefore.has(asciiLower(table)));
  const losses = dataLossSummary(report, findings, rowChanges);
  const plan: ApplyPlan = {
    report,
    findings,
    losses,
    rowChanges,
    rowCounts: report.rowCounts.filter((count) => !services.tables.isAuditTable(count.table)),
    ...(losses.length
      ? {
          consent: {
            required: true as const,
            decision: services.config.allowDestructive
              ? 'allowed by the launch option --allow-destructive'
              : 'the human will be asked when applying',
          },
        }
      : {}),
  };

  if (input.dryRun) {
    addAuditDetails({ ...UNCHANGED_DETAIL, dryRun: { ok: report.ok, pendingHashes: report.pendingHashes } });
    return { status: 'dry_run', plan };
  }
  if (!report.ok) {
    throw new AppError(
      'MIGRATION_FAILED',
      `The dry run on a copy of the database failed, so nothing was applied:\n${dryRunFailure(report)}`,
      {
        hint: 'Fix the migration file (if it was never applied anywhere) or add a migration that prepares the data first; call apply_migrations with dryRun: true to see the full report.',
        // The failure's message is SQLite's, which can quote the database.
        untrusted: true,
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
    plan.consent = { required: true, decision };
    addAuditDetails({ consent: { required: true, decision, pendingHashes: report.pendingHashes, losses } });
  } else {
    addAuditDetails({ consent: { required: false } });
  }

  const write = writableConnection(services, 'apply_migrations');
  return services.exclusive(async () => {
    notifyProgress(context, 1, total, 'Backing up the database');
    const backupStarted = performance.now();
    const info = await createBackup(write, services.backupDir, {
      reason: `before applying ${status.pending.map((m) => m.tag).join(', ')}`,
      auditHighWater: services.audit.tail().id,
    });
    const durationMs = Math.round((performance.now() - backupStarted) * 10) / 10;
    const mibPerSecond =
      durationMs > 0 ? Math.round((info.sizeBytes / 1024 ** 2 / (durationMs / 1000)) * 10) / 10 : 0;
    addAuditDetails({ backup: { id: info.id, path: info.path, sizeBytes: info.sizeBytes, durationMs } });

    // Read the folder again: a file added or edited since the dry run must fail the hash check, not slip through.
    // In the killable host: the migrations, the ledger rows and this call's ok row commit together (with
    // --audit-db the row is committed there just before the data commits); a statement that runs too long ends
    // with its process, and SQLite rolls the transaction back.
    const tags = new Map(report.migrations.map((m) => [m.hash, m.tag]));
    const result = await commitWithAudit(
      (row) => {
        const { durationMs, ...entry } = row({
          details: { applied: report.pendingHashes.map((hash) => ({ tag: tags.get(hash), hash })) },
        });
        return services.migrations.apply(
          {
            ...jobBase(services),
            expectedHashes: report.pendingHashes,
            // The apply measures its own effects and rolls back unless they are what was rehearsed (and approved).
            expectedEffects: report.migrations.map((migration) => migration.effects ?? emptyEffects()),
            audit: {
              entry,
              startedAtMs: Date.now() - durationMs,
              ...(services.tables.auditInProjectDb ? {} : { auditDbFile: services.auditFile }),
            },
          },
          {
            signal,
            onProgress: announceMigration(
              status.pending.map((m) => m.tag),
              context,
              total,
            ),
          },
        );
      },
      (applied) => applied.auditId !== undefined,
    );
    return {
      status: 'applied' as const,
      plan,
      backup: { info, durationMs, mibPerSecond },
      applied: result.applied.map((migration) => migration.tag),
    };
  });
}
