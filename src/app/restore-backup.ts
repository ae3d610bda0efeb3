// Restoring a backup, without MCP. Invariants: a restore that would undo anything — a change the audit log
// records, or any difference between the live content and the backup's (rows the application wrote itself
// included) — needs a person's consent to a plan naming the backup, what it undoes and the tables it replaces
// with their rows, and undoes exactly that; the current content is backed up first; the audit trail survives the
// restore — with the audit log in the same file, the rows written after the backup are carried over verbatim (same
// ids and hashes) into the restored content together with this call's own row, in the same page copy; with
// --audit-db the audit file is not touched and the registry writes this call's row.
import Database from 'better-sqlite3';
import { AuditLog, ensureAuditTable } from '../audit/audit-log.js';
import { auditTail, insertAuditRowsVerbatim } from '../audit/audit-rows.js';
import { describeAuditRow, type AuditRow } from '../audit/entry.js';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import type { ServerTables } from '../guard/server-tables.js';
import { getBackup, listBackups, restoreBackup, type BackupInfo } from '../migrations/backup.js';
import type { ProjectConfig } from '../project/types.js';
import type { SqliteDatabase } from '../sqlite/connection.js';
import { contentDifferences, type TableDifference } from '../sqlite/content-diff.js';
import { hashPlanContent, type PlanContent } from '../consent/plan.js';
import type { CallContext } from './call-context.js';
import { describeConsent, obtainConsent } from './consent.js';
import type { ConsentRoom } from './consent-room.js';
import { databaseBinding, planArguments, restorePlan, shownPath } from './plans.js';
import { writableConnection } from './services.js';

const LAUNCH_FLAG = '--allow-destructive';

export interface RestoreServices {
  write: SqliteDatabase | undefined;
  tables: ServerTables;
  audit: AuditLog;
  backupDir: string;
  config: Pick<Config, 'readOnly' | 'allowDestructive'>;
  project: Pick<ProjectConfig, 'dbFile' | 'root'>;
  consent: ConsentRoom;
  exclusive<T>(fn: () => T | Promise<T>): Promise<T>;
}

export interface BackupWithChanges {
  backup: BackupInfo;
  /** Successful changes recorded after the backup (undefined: the backup does not say where the log stood). */
  changes: AuditRow[] | undefined;
}

export interface RestoreOutcome extends BackupWithChanges {
  /** Tables whose content the restore replaces (differs between the live database and the backup). */
  differences: TableDifference[];
  safetyBackup: BackupInfo;
  /** Audit rows written after the backup and kept in the restored database (audit log in the same file). */
  auditRowsCarriedOver?: number;
  consent: { required: boolean; decision: string; planId?: string };
  warnings: string[];
}

/**
 * Where the audit log stood when the backup was taken. With the audit log inside the database the backup file
 * itself says (authoritative); otherwise only its sidecar does.
 */
function backupHighWater(services: RestoreServices, backup: BackupInfo): number | null {
  if (!services.tables.auditInProjectDb) return backup.auditHighWater;
  let db: Database.Database | undefined;
  try {
    db = new Database(backup.path, { readonly: true, fileMustExist: true });
    return auditTail(db, services.audit.table).id;
  } catch {
    return backup.auditHighWater;
  } finally {
    db?.close();
  }
}

function withChanges(
  services: RestoreServices,
  backup: BackupInfo,
  changingTools: readonly string[],
): BackupWithChanges & { highWater: number | null } {
  const highWater = backupHighWater(services, backup);
  const changes = highWater === null ? undefined : services.audit.changesAfter(highWater, changingTools);
  return { backup, changes, highWater };
}

/** The newest `max` backups, each with the changes a restore of it would undo; `total` counts them all. */
export function listBackupsWithChanges(
  services: RestoreServices,
  changingTools: readonly string[],
  max: number,
): { backups: BackupWithChanges[]; total: number } {
  const all = listBackups(services.backupDir);
  const backups = all.slice(0, max).map((backup) => {
    const { changes } = withChanges(services, backup, changingTools);
    return { backup, changes };
  });
  return { backups, total: all.length };
}

/** "users: 120 rows now, 118 in the backup" */
export function describeDifference(difference: TableDifference): string {
  const count = (n: number | null) => (n === null ? 'no table' : `${n} row${n === 1 ? '' : 's'}`);
  const what =
    difference.reason === 'definition'
      ? ' (its definition differs)'
      : difference.reason === 'rows' && difference.liveRows === difference.backupRows
        ? ' (same count, different content)'
        : '';
  return `${difference.table}: ${count(difference.liveRows)} now, ${count(difference.backupRows)} in the backup${what}`;
}

/**
 * The live content against the backup's, table by table (our audit table left out: its rows are carried over).
 * Security: what decides consent, since the audit log cannot know what the application wrote itself.
 */
function differencesFrom(
  services: RestoreServices,
  backup: BackupInfo,
  live: SqliteDatabase,
): TableDifference[] {
  const copy = new Database(backup.path, { readonly: true, fileMustExist: true });
  try {
    return contentDifferences(live, copy, (table) => services.tables.isAuditTable(table));
  } finally {
    copy.close();
  }
}

/** The plan a person approves before a restore that would undo anything. */
function planFor(
  services: RestoreServices,
  live: SqliteDatabase,
  backup: BackupInfo,
  changes: AuditRow[] | undefined,
  differences: TableDifference[],
): PlanContent {
  return restorePlan({
    backup,
    undone: changes?.map(describeAuditRow),
    replaced: differences.map(describeDifference),
    rowDeltas: differences.map((d) => ({ table: d.table, before: d.liveRows, after: d.backupRows })),
    database: databaseBinding(live, services.project.dbFile),
    databaseName: shownPath(services.project.root, services.project.dbFile),
    args: planArguments({ backupId: backup.id }),
  });
}

/** What the restore would undo now: recorded changes and every table whose content differs from the backup's. */
function whatItUndoes(
  services: RestoreServices,
  live: SqliteDatabase,
  changingTools: readonly string[],
  backupId: string,
) {
  const found = withChanges(services, getBackup(services.backupDir, backupId), changingTools);
  const differences = differencesFrom(services, found.backup, live);
  const undoes = found.changes === undefined || found.changes.length > 0 || differences.length > 0;
  return {
    ...found,
    differences,
    plan: undoes ? planFor(services, live, found.backup, found.changes, differences) : undefined,
  };
}

/**
 * With the audit log in the same file: the rows the backup lacks are written verbatim into the private copy of the
 * backup together with this call's own row, so the restore and its audit trail land in one page copy.
 */
async function restoreKeepingAudit(
  context: CallContext<RestoreServices>,
  live: SqliteDatabase,
  backup: BackupInfo,
  liveTail: number,
): Promise<{ safetyBackup: BackupInfo; carried: number; warnings: string[] }> {
  const { services } = context;
  const { audit } = services;
  return context.commitWithAudit(async (row) => {
    const { safetyBackup, prepared } = await restoreBackup(
      services.project.dbFile,
      services.backupDir,
      backup.id,
      {
        live,
        auditHighWater: liveTail,
        prepare(copy, safety) {
          const warnings: string[] = [];
          const backupTail = auditTail(copy, audit.table);
          const carried = audit.rowsAfter(backupTail.id);
          if (backupTail.id > 0 && audit.hashAt(backupTail.id) !== backupTail.hash) {
            warnings.push(
              `The backup's audit history differs from the live one at row ${backupTail.id} (it was taken from another copy of the database); the rows after it were kept, but read_audit_log verify will report the chain broken there.`,
            );
          }
          ensureAuditTable(copy, audit.table);
          copy.transaction(() => {
            insertAuditRowsVerbatim(copy, audit.table, carried);
            new AuditLog(copy, audit.table).append(
              row({
                details: {
                  restored: backup.id,
                  safetyBackup: safety.id,
                  auditRowsCarriedOver: carried.length,
                },
              }),
            );
          })();
          return { carried: carried.length, warnings };
        },
      },
    );
    return { safetyBackup, ...prepared };
  });
}

/** Restores `backupId` (with the human's consent when it undoes recorded changes), backing up the current content. */
export async function restoreFromBackup(
  context: CallContext<RestoreServices>,
  input: { backupId: string; planId?: string | undefined },
  changingTools: readonly string[],
): Promise<RestoreOutcome> {
  const { backupId } = input;
  const { services, setTarget, addAuditDetails } = context;
  setTarget('backup', backupId);
  const live = writableConnection(services, 'restore_backup'); // refuses in read-only mode before anything is read
  // What the restore would undo, read with the connection to ourselves; the person is asked without holding it.
  const asked = await services.exclusive(() => whatItUndoes(services, live, changingTools, backupId));
  let consent: RestoreOutcome['consent'] = {
    required: false,
    decision: 'the live content is the same as the backup’s',
  };
  if (asked.plan) {
    const record = await obtainConsent(context, {
      tool: 'restore_backup',
      plan: asked.plan,
      launchOption: { flag: LAUNCH_FLAG, granted: services.config.allowDestructive },
      planId: input.planId,
      nothingWas: 'restored',
    });
    consent = { required: true, decision: describeConsent(record, LAUNCH_FLAG), planId: record.planId };
  } else {
    addAuditDetails({ consent: { required: false } });
  }

  return services.exclusive(async () => {
    const { backup, changes, highWater, differences, plan } = whatItUndoes(
      services,
      live,
      changingTools,
      backupId,
    );
    // Security: the restore undoes exactly what was approved (or, unasked, nothing): a change recorded (or made by
    // the application) while the person was deciding sends them back to a new plan.
    const same =
      asked.plan && plan ? hashPlanContent(plan) === hashPlanContent(asked.plan) : !asked.plan && !plan;
    if (!same) {
      throw new AppError(
        'CONSENT_REQUIRED',
        `The database changed while the restore of ${backupId} waited for approval, so it no longer undoes what was approved; nothing was restored.`,
        { hint: 'Call restore_backup again: the person is shown the restore as it is now.' },
      );
    }
    addAuditDetails({
      changesUndone: changes?.map((row) => row.id),
      ...(differences.length ? { tablesReplaced: differences.map((d) => d.table) } : {}),
    });
    const warnings: string[] = [];
    if (
      services.tables.auditInProjectDb &&
      backup.auditHighWater !== null &&
      highWater !== backup.auditHighWater
    ) {
      warnings.push(
        `The backup's sidecar says the audit log stood at row ${backup.auditHighWater}, the backup file itself at ${highWater}; the file was trusted.`,
      );
    }

    const liveTail = services.audit.tail().id;
    if (services.tables.auditInProjectDb) {
      const kept = await restoreKeepingAudit(context, live, backup, liveTail);
      return {
        backup,
        changes,
        differences,
        safetyBackup: kept.safetyBackup,
        auditRowsCarriedOver: kept.carried,
        consent,
        warnings: [...warnings, ...kept.warnings],
      };
    }
    // The audit log lives in its own file, which a restore does not touch; the registry writes this call's row.
    const { safetyBackup } = await restoreBackup(services.project.dbFile, services.backupDir, backup.id, {
      auditHighWater: liveTail,
    });
    return { backup, changes, differences, safetyBackup, consent, warnings };
  });
}
