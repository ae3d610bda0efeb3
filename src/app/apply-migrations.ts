// The apply pipeline: what apply_migrations does, step by step, without MCP. Invariants: nothing is applied that a
// dry run on a copy of the real data did not rehearse (the apply refuses if the pending set changed since); a
// statement the migration statement policy refuses (migrations/statement-policy.ts) stops everything before any
// of it runs; data loss or changed rows need a person's consent to the plan built from the rehearsal (bound to its
// hash: the statements, the effects per table, the database and the arguments); a backup is taken before anything
// changes; the migrations and their audit row commit together, and only if they did what the plan showed.
import type { AuditLog } from '../audit/audit-log.js';
import { UNCHANGED_DETAIL } from '../audit/audit-rows.js';
import type { Config } from '../core/config.js';
import { AppError, isAppError } from '../core/errors.js';
import type { ServerTables } from '../guard/server-tables.js';
import { createBackup, type BackupInfo } from '../migrations/backup.js';
import type { DryRunReport, TableRowCount } from '../migrations/dry-run.js';
import type { JobProgress, MigrationJobBase, MigrationRunner } from '../migrations/jobs.js';
import { existingRowChanges, type ExistingRowChange, type MigrationEffects } from '../migrations/effects.js';
import { asciiLower } from '../sql/tokenizer.js';
import type { ProjectConfig } from '../project/types.js';
import type { SqliteDatabase } from '../sqlite/connection.js';
import { notifyProgress, type CallContext } from './call-context.js';
import { describeConsent, grantAdvice, obtainConsent } from './consent.js';
import type { ConsentRoom } from './consent-room.js';
import { assertConsistent, lintSequence, readMigrationState, type Finding } from './migration-state.js';
import { databaseBinding, migrationPlan, planArguments, shownPath } from './plans.js';
import { writableConnection } from './services.js';

/** What the pipeline needs of the services: the connections, the server's tables, the audit log, where backups go. */
export interface MigrationServices {
  read: SqliteDatabase;
  write: SqliteDatabase | undefined;
  tables: ServerTables;
  audit: AuditLog;
  backupDir: string;
  config: Pick<Config, 'readOnly' | 'allowDestructive' | 'busyTimeoutMs'>;
  project: Pick<ProjectConfig, 'outDir' | 'migrationsTable' | 'dbFile' | 'root'>;
  /** The audit database file (with --audit-db). */
  auditFile: string;
  /** Where the dry run and the apply run: a process that can be stopped (migrations/jobs.ts). */
  migrations: MigrationRunner;
  consent: ConsentRoom;
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
  /** Present when data would be lost: how consent was (or will be) given, and for which plan. */
  consent?: { required: true; decision: string; planId?: string };
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

const LAUNCH_FLAG = '--allow-destructive';

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

/** Data changed is data lost: existing rows an UPDATE, DELETE, REPLACE or upsert changes, with the statements. */
function dataChangeSummary(rowChanges: ExistingRowChange[]): string[] {
  return rowChanges.map(
    (change) => `Existing rows change: ${describeRowChange(change)}, by ${change.statements.join('; ')}`,
  );
}

function dataLossSummary(report: DryRunReport, findings: Finding[][]): string[] {
  const lines: string[] = [];
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

/** Rehearses the pending migrations on a copy, then (unless `dryRun`) applies them as the rehearsal allows. */
export async function applyPendingMigrations(
  context: CallContext<MigrationServices>,
  input: { dryRun: boolean; planId?: string | undefined },
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
  const report = await services.migrations.rehearse(jobBase(services), { signal }).catch((error: unknown) => {
    throw withAuditNameAdvice(error, services.tables);
  });
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
  const changes = dataChangeSummary(rowChanges);
  const losses = [...changes, ...dataLossSummary(report, findings)];
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
              ? `operator at launch (${LAUNCH_FLAG})`
              : context.launch === 'command-line'
                ? `on the command line nobody can be asked: applying needs the person's consent as a launch option (they can ${grantAdvice(context, LAUNCH_FLAG, 'apply_migrations')})`
                : 'a person will be asked to approve the plan when applying',
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

  // Consent is bound to the plan's hash, which covers the rehearsed set; the apply below also refuses if the
  // pending hashes changed since the rehearsal.
  if (losses.length) {
    const record = await obtainConsent(context, {
      tool: 'apply_migrations',
      plan: migrationPlan({
        report,
        pending: status.pending,
        findings,
        losses: losses.slice(changes.length),
        rowChanges,
        changes,
        rowCounts: plan.rowCounts,
        database: databaseBinding(services.read, project.dbFile),
        databaseName: shownPath(project.root, project.dbFile),
        applied: status.counts.applied,
        folder: project.outDir,
        args: planArguments(input),
      }),
      launchOption: { flag: LAUNCH_FLAG, granted: services.config.allowDestructive },
      planId: input.planId,
      nothingWas: 'applied',
    });
    plan.consent = { required: true, decision: describeConsent(record, LAUNCH_FLAG), planId: record.planId };
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

/**
 * A migration refused for touching our audit table may be the project creating its own table of that name, which
 * an earlier version of this server took for its log: a restart moves the log out of the way (audit-table-plan.ts).
 */
function withAuditNameAdvice(error: unknown, tables: ServerTables): unknown {
  if (!isAppError(error) || error.code !== 'PROTECTED_TABLE') return error;
  const table = error.details?.table;
  if (typeof table !== 'string' || !tables.isAuditTable(table)) return error;
  return new AppError(error.code, error.message, {
    hint: `${error.hint ?? ''} If the migration creates your app's own table "${tables.auditTable}" (an earlier version of this server gave its audit log that name), restart the server: on start it moves its audit log out of the way of a name your migrations declare.`.trim(),
    ...(error.details ? { details: error.details } : {}),
    untrusted: error.untrusted,
    cause: error,
  });
}
