import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  auditHashAt,
  auditRowsAfter,
  auditTail,
  changesAfter,
  insertAuditRowsVerbatim,
  UNCHANGED_DETAIL,
} from '../audit/audit-rows.js';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { AuditLog, ensureAuditTable, type AuditRow } from '../audit/audit-log.js';
import { AppError, fromSqliteError } from '../core/errors.js';
import {
  createBackup,
  getBackup,
  listBackups,
  restoreBackup,
  sha256File,
  type BackupInfo,
} from '../migrations/backup.js';
import type { Services } from '../app/services.js';
import { requireDestructiveConsent } from './consent.js';
import { describeAuditRow, writableConnection } from './migration-shared.js';
import { defineTool, type ToolContext, type ToolDefinition } from './types.js';

const MAX_LISTED = 20;
const MAX_CHANGES_SHOWN = 10;

const InputSchema = z
  .object({
    backupId: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('The backup to restore (from the list, or from apply_migrations). Omit to list the backups.'),
  })
  .strict();

const OutputSchema = z.object({
  backups: z
    .array(
      z.object({
        id: z.string(),
        at: z.string().describe('When it was taken (ISO-8601 UTC).'),
        sizeBytes: z.number(),
        reason: z.string(),
        changesAfter: z
          .number()
          .optional()
          .describe('Successful changes to the database recorded after it; restoring undoes them.'),
        changesAfterUnknown: z
          .literal(true)
          .optional()
          .describe('The backup does not record where the audit log stood.'),
        lastChangeAfter: z.string().optional().describe('The newest of those changes.'),
      }),
    )
    .optional()
    .describe('Newest first.'),
  truncated: z.literal(true).optional().describe(`Only the newest ${MAX_LISTED} backups are listed.`),
  restored: z.object({ id: z.string(), at: z.string(), reason: z.string() }).optional(),
  safetyBackup: z
    .object({ id: z.string(), path: z.string(), sizeBytes: z.number() })
    .optional()
    .describe('The database as it was just before the restore (restore it to undo the restore).'),
  changesUndone: z
    .array(z.string())
    .optional()
    .describe('Changes recorded after the backup, which the restore undid.'),
  auditRowsCarriedOver: z
    .number()
    .optional()
    .describe(
      'Audit rows written after the backup, kept verbatim in the restored database so the history stays complete.',
    ),
  consent: z.object({ required: z.boolean(), decision: z.string() }).optional(),
  warnings: z.array(z.string()).optional(),
  next: z.string(),
});
type Output = z.infer<typeof OutputSchema>;

/**
 * Where the audit log stood when the backup was taken. With the audit log inside the database the backup file
 * itself says (authoritative); otherwise only its sidecar does.
 */
function backupHighWater(services: Services, backup: BackupInfo): number | null {
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

function listing(services: Services, changingTools: readonly string[]): Output {
  const all = listBackups(services.backupDir);
  const backups = all.slice(0, MAX_LISTED).map((backup) => {
    const highWater = backupHighWater(services, backup);
    const changes =
      highWater === null
        ? undefined
        : changesAfter(services.audit.connection, services.audit.table, highWater, changingTools);
    return {
      id: backup.id,
      at: backup.createdAt,
      sizeBytes: backup.sizeBytes,
      reason: backup.reason,
      ...(changes ? { changesAfter: changes.length } : { changesAfterUnknown: true as const }),
      ...(changes?.length ? { lastChangeAfter: describeAuditRow(changes.at(-1)!) } : {}),
    };
  });
  return {
    backups,
    ...(all.length > MAX_LISTED ? { truncated: true as const } : {}),
    next: backups.length
      ? 'To restore one, call restore_backup with its backupId (the current database is backed up first). Restoring undoes every change listed after it.'
      : `No backups in ${services.backupDir} yet: apply_migrations takes one before every apply.`,
  };
}

async function askConsent(
  context: ToolContext,
  backup: BackupInfo,
  changes: AuditRow[] | undefined,
): Promise<string> {
  const what =
    changes === undefined
      ? 'The backup does not record where the audit log stood, so changes made after it cannot be ruled out; they would be undone.'
      : `${changes.length} change(s) recorded after it would be undone:\n${changes
          .slice(-MAX_CHANGES_SHOWN)
          .map((row) => `• ${describeAuditRow(row)}`)
          .join('\n')}`;
  return requireDestructiveConsent(context, {
    nothingWas: 'restored',
    unavailable: {
      message: `Restoring backup ${backup.id} (taken ${backup.createdAt}) needs the human's consent. ${what}`,
      hint: 'Show the human what would be undone. If they agree, they can restart the server with --allow-destructive added to its arguments in their MCP client config, then call restore_backup again. Nothing was changed.',
      details: { backupId: backup.id, changesAfter: changes?.map(describeAuditRow) },
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
 * Restores with the audit log in the same file. Restoring the file alone would also erase the audit rows written
 * after the backup, and a person must always be able to see what happened; so the rows the backup lacks are
 * written verbatim (same ids and hashes) into a private copy of the backup together with this call's own row, and
 * that copy is then copied onto the live file in one page copy: the restore and its audit trail land together.
 */
async function restoreKeepingAudit(
  context: ToolContext,
  backup: BackupInfo,
  liveTail: number,
): Promise<{ safety: BackupInfo; carried: number; warnings: string[] }> {
  const { services, commitAudit } = context;
  const live = writableConnection(services, 'restore_backup');
  const table = services.audit.table;
  const warnings: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-restore-'));
  const copyFile = path.join(dir, 'restore.db');
  let copy: Database.Database | undefined;
  try {
    fs.copyFileSync(backup.path, copyFile);
    if ((await sha256File(copyFile)) !== backup.sha256) {
      throw new AppError(
        'BACKUP_FAILED',
        `Backup ${backup.id} is damaged: its checksum does not match the one recorded when it was taken.`,
        {
          hint: 'Choose another backup (restore_backup without an id lists them); nothing was changed.',
        },
      );
    }
    copy = new Database(copyFile);
    const backupTail = auditTail(copy, table);
    const safety = await createBackup(live, services.backupDir, {
      reason: `before restoring ${backup.id}`,
      auditHighWater: liveTail,
    });
    const carried = auditRowsAfter(live, table, backupTail.id);
    if (backupTail.id > 0 && auditHashAt(live, table, backupTail.id) !== backupTail.hash) {
      warnings.push(
        `The backup's audit history differs from the live one at row ${backupTail.id} (it was taken from another copy of the database); the rows after it were kept, but read_audit_log verify will report the chain broken there.`,
      );
    }
    ensureAuditTable(copy, table);
    const target = copy;
    target.transaction(() => {
      insertAuditRowsVerbatim(target, table, carried);
      new AuditLog(target, table).append(
        commitAudit.entry({
          details: { restored: backup.id, safetyBackup: safety.id, auditRowsCarriedOver: carried.length },
        }),
      );
    })();
    try {
      await target.backup(services.project.dbFile);
    } catch (error) {
      throw new AppError(
        'BACKUP_FAILED',
        `Restoring backup ${backup.id} onto ${services.project.dbFile} failed: ${(error as Error).message}.`,
        {
          hint: `The page copy is transactional, so the database should be unchanged; its content before the attempt is also saved as backup ${safety.id}.`,
          cause: error,
          details: { safetyBackupId: safety.id },
        },
      );
    }
    commitAudit.committed();
    return { safety, carried: carried.length, warnings };
  } catch (error) {
    throw error instanceof AppError ? error : fromSqliteError(error, `restoring backup ${backup.id}`);
  } finally {
    copy?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function restore(
  backupId: string,
  context: ToolContext,
  changingTools: readonly string[],
): Promise<Output> {
  const { services, setTarget, addAuditDetails } = context;
  setTarget('backup', backupId);
  writableConnection(services, 'restore_backup'); // refuses in read-only mode before anything is read
  return services.exclusive(async () => {
    const backup = getBackup(services.backupDir, backupId);
    const highWater = backupHighWater(services, backup);
    const changes =
      highWater === null
        ? undefined
        : changesAfter(services.audit.connection, services.audit.table, highWater, changingTools);
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
    let consent: Output['consent'];
    if (changes === undefined || changes.length > 0) {
      const decision = await askConsent(context, backup, changes);
      consent = { required: true, decision };
    } else {
      consent = { required: false, decision: 'no changes were recorded after this backup' };
    }
    addAuditDetails({ consent, changesUndone: changes?.map((row) => row.id) });

    const liveTail = auditTail(services.audit.connection, services.audit.table).id;
    let safety: BackupInfo;
    let carried: number | undefined;
    if (services.tables.auditInProjectDb) {
      const result = await restoreKeepingAudit(context, backup, liveTail);
      safety = result.safety;
      carried = result.carried;
      warnings.push(...result.warnings);
    } else {
      // The audit log lives in its own file, which a restore does not touch; the registry writes this call's row.
      safety = (
        await restoreBackup(services.project.dbFile, services.backupDir, backup.id, {
          auditHighWater: liveTail,
        })
      ).safetyBackup;
    }
    return {
      restored: { id: backup.id, at: backup.createdAt, reason: backup.reason },
      safetyBackup: { id: safety.id, path: safety.path, sizeBytes: safety.sizeBytes },
      ...(changes?.length ? { changesUndone: changes.map(describeAuditRow) } : {}),
      ...(carried !== undefined ? { auditRowsCarriedOver: carried } : {}),
      consent,
      ...(warnings.length ? { warnings } : {}),
      next: `Restored. Call migration_status: migrations applied after the backup are pending again (and their files are still in the folder). Restoring backup "${safety.id}" undoes this restore.`,
    };
  });
}

/**
 * `changingTools` names the tools whose successful calls change the database (write and destructive effects);
 * a function, because the tool list that knows them also contains this tool.
 */
export function createRestoreBackupTool(changingTools: () => readonly string[]): ToolDefinition {
  return defineTool({
    name: 'restore_backup',
    title: 'Restore a database backup',
    description:
      'Without backupId: lists backups and the changes made after each. With backupId: restores it (the current database is backed up first; the audit log is kept). Undoing later changes needs the human.',
    inputSchema: InputSchema,
    outputSchema: OutputSchema,
    effect: 'destructive',
    idempotent: false,
    async handler(input, context) {
      if (input.backupId === undefined) {
        context.addAuditDetails(UNCHANGED_DETAIL);
        return { data: listing(context.services, changingTools()) };
      }
      return { data: await restore(input.backupId, context, changingTools()) };
    },
  });
}
