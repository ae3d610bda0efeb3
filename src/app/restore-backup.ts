// Restoring a backup, without MCP. Invariants: a restore that would undo anything — a change the audit log
// records, or any difference between the live content and the backup's (rows the application wrote itself
// included) — needs the human's consent; the current content is backed up first; the audit trail survives the restore — with
// the audit log in the same file, the rows written after the backup are carried over verbatim (same ids and
// hashes) into the restored content together with this call's own row, in the same page copy; with --audit-db the
// audit file is not touched and the registry writes this call's row.
import Database from 'better-sqlite3';
import { AuditLog, ensureAuditTable } from '../audit/audit-log.js';
import { auditTail, insertAuditRowsVerbatim } from '../audit/audit-rows.js';
import { describeAuditRow, type AuditRow } from '../audit/entry.js';
import type { Config } from '../core/config.js';
import type { ServerTables } from '../guard/server-tables.js';
import { getBackup, listBackups, restoreBackup, type BackupInfo } from '../migrations/backup.js';
import type { ProjectConfig } from '../project/types.js';
import type { SqliteDatabase } from '../sqlite/connection.js';
import { contentDifferences, type TableDifference } from '../sqlite/content-diff.js';
import type { CallContext } from './call-context.js';
import { requireDestructiveConsent } from './consent.js';
import { writableConnection } from './services.js';

const MAX_CHANGES_SHOWN = 10;

export interface RestoreServices {
  write: SqliteDatabase | undefined;
  tables: ServerTables;
  audit: AuditLog;
  backupDir: string;
  config: Pick<Config, 'readOnly' | 'allowDestructive'>;
  project: Pick<ProjectConfig, 'dbFile'>;
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
  consent: { required: boolean; decision: string };
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

async function askConsent(
  context: CallContext<RestoreServices>,
  backup: BackupInfo,
  changes: AuditRow[] | undefined,
  differences: TableDifference[],
): Promise<string> {
  const recorded =
    changes === undefined
      ? 'The backup does not record where the audit log stood, so changes made after it cannot be ruled out; they would be undone.'
      : changes.length
        ? `${changes.length} change(s) recorded after it would be undone:\n${changes
            .slice(-MAX_CHANGES_SHOWN)
            .map((row) => `• ${describeAuditRow(row)}`)
            .join('\n')}`
        : '';
  const replaced = differences.length
    ? `The content of ${differences.length} table(s) differs from the backup and would be replaced (rows the application wrote itself included):\n${differences
        .slice(0, MAX_CHANGES_SHOWN)
        .map((d) => `• ${describeDifference(d)}`)
        .join(
          '\n',
        )}${differences.length > MAX_CHANGES_SHOWN ? `\n• … and ${differences.length - MAX_CHANGES_SHOWN} more` : ''}`
    : '';
  const what = [recorded, replaced].filter(Boolean).join('\n');
  return requireDestructiveConsent(context, {
    nothingWas: 'restored',
    unavailable: {
      message: `Restoring backup ${backup.id} (taken ${backup.createdAt}) needs the human's consent. ${what}`,
      hint: 'Show the human what would be undone. If they agree, they can restart the server with --allow-destructive added to its arguments in their MCP client config, then call restore_backup again. Nothing was changed.',
      details: {
        backupId: backup.id,
        changesAfter: changes?.map(describeAuditRow),
        tablesReplaced: differences.map(describeDifference),
      },
    },
    message: `The assistant wants to restore the database from backup ${backup.id} (taken ${backup.createdAt}: ${backup.reason}).\n${what}\nThe current database is backed up first. Restore it?`,
    checkbox: {
      title: 'Restore this backup and undo those changes',
      description: 'Check to restore; leave unchecked to cancel.',
    },
    refusedHint: 'Do not retry without asking them.',
  });
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
  backupId: string,
  changingTools: readonly string[],
): Promise<RestoreOutcome> {
  const { services, setTarget, addAuditDetails } = context;
  setTarget('backup', backupId);
  const live = writableConnection(services, 'restore_backup'); // refuses in read-only mode before anything is read
  return services.exclusive(async () => {
    const { backup, changes, highWater } = withChanges(
      services,
      getBackup(services.backupDir, backupId),
      changingTools,
    );
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
    const differences = differencesFrom(services, backup, live);
    const consent =
      changes === undefined || changes.length > 0 || differences.length > 0
        ? { required: true, decision: await askConsent(context, backup, changes, differences) }
        : { required: false, decision: 'the live content is the same as the backup’s' };
    addAuditDetails({
      consent,
      changesUndone: changes?.map((row) => row.id),
      ...(differences.length ? { tablesReplaced: differences.map((d) => d.table) } : {}),
    });

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
