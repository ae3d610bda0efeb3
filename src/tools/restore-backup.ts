import { describeDifference } from '../app/restore-backup.js';
import { z } from 'zod';
import { UNCHANGED_DETAIL } from '../audit/audit-rows.js';
import { describeAuditRow } from '../audit/entry.js';
import {
  listBackupsWithChanges,
  restoreFromBackup,
  type RestoreOutcome,
  type RestoreServices,
} from '../app/restore-backup.js';
import { PlanIdSchema } from './consent-shapes.js';
import { defineTool, type ToolDefinition } from './types.js';

const MAX_LISTED = 20;

const InputSchema = z
  .object({
    backupId: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('Backup to restore (listed, or from apply_migrations).'),
    planId: PlanIdSchema,
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
  tablesReplaced: z
    .array(z.string())
    .optional()
    .describe('Tables whose content was replaced: "table: N rows now, M in the backup".'),
  auditRowsCarriedOver: z
    .number()
    .optional()
    .describe(
      'Audit rows written after the backup, kept verbatim in the restored database so the history stays complete.',
    ),
  consent: z
    .object({ required: z.boolean(), decision: z.string(), planId: z.string().optional() })
    .optional(),
  warnings: z.array(z.string()).optional(),
  next: z.string(),
});
type Output = z.infer<typeof OutputSchema>;

function listing(services: RestoreServices, changingTools: readonly string[]): Output {
  const { backups, total } = listBackupsWithChanges(services, changingTools, MAX_LISTED);
  return {
    backups: backups.map(({ backup, changes }) => ({
      id: backup.id,
      at: backup.createdAt,
      sizeBytes: backup.sizeBytes,
      reason: backup.reason,
      ...(changes ? { changesAfter: changes.length } : { changesAfterUnknown: true as const }),
      ...(changes?.length ? { lastChangeAfter: describeAuditRow(changes.at(-1)!) } : {}),
    })),
    ...(total > MAX_LISTED ? { truncated: true as const } : {}),
    next: backups.length
      ? 'To restore one, call restore_backup with its backupId (the current database is backed up first). Restoring undoes every change listed after it.'
      : `No backups in ${services.backupDir} yet: apply_migrations takes one before every apply.`,
  };
}

function restored(outcome: RestoreOutcome): Output {
  const { backup, safetyBackup, changes, differences, auditRowsCarriedOver, consent, warnings } = outcome;
  return {
    restored: { id: backup.id, at: backup.createdAt, reason: backup.reason },
    safetyBackup: { id: safetyBackup.id, path: safetyBackup.path, sizeBytes: safetyBackup.sizeBytes },
    ...(changes?.length ? { changesUndone: changes.map(describeAuditRow) } : {}),
    ...(differences.length ? { tablesReplaced: differences.map(describeDifference) } : {}),
    ...(auditRowsCarriedOver !== undefined ? { auditRowsCarriedOver } : {}),
    consent,
    ...(warnings.length ? { warnings } : {}),
    next: `Restored. Call migration_status: migrations applied after the backup are pending again (and their files are still in the folder). Restoring backup "${safetyBackup.id}" undoes this restore.`,
  };
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
      'Without backupId: lists backups and the changes after each. With it: restores that one, backing up the current database first (the audit log is kept). Undoing changes needs the human.',
    inputSchema: InputSchema,
    outputSchema: OutputSchema,
    effect: 'destructive',
    idempotent: false,
    async handler(input, context) {
      if (input.backupId === undefined) {
        context.addAuditDetails(UNCHANGED_DETAIL);
        return { data: listing(context.services, changingTools()) };
      }
      const { backupId, planId } = input;
      return { data: restored(await restoreFromBackup(context, { backupId, planId }, changingTools())) };
    },
  });
}
