// What the server does to the database when it starts: apply the committed pending migrations through the same
// guarded path as apply_migrations, recorded in the audit log as the server's own action (client "server").
// A failure does not stop the server: it is logged and audited, and migration_status explains it.
import { performance } from 'node:perf_hooks';
import { buildAuditDetails } from './audit/audit-log.js';
import { toAppError } from './errors.js';
import { applyMigrations } from './migrations/apply.js';
import { readMigrationFolder } from './migrations/folder.js';
import type { StartupContext } from './services.js';

export const STARTUP_CLIENT = 'server';

export async function migrateOnStart({ db, project, logger, auditFor }: StartupContext): Promise<void> {
  const folder = readMigrationFolder(project.outDir);
  if (folder.migrations.length === 0 && folder.findings.length === 0) return;
  const started = performance.now();
  const createdAt = new Date().toISOString();
  const entry = (outcome: 'ok' | 'error', extra: { errorCode?: string; targetId?: string; details: Record<string, unknown> }) => ({
    createdAt,
    tool: 'apply_migrations',
    outcome,
    errorCode: extra.errorCode ?? null,
    durationMs: performance.now() - started,
    client: STARTUP_CLIENT,
    targetType: 'migration',
    targetId: extra.targetId ?? null,
    details: buildAuditDetails({ reason: 'pending migrations applied on server start', ...extra.details }),
  });
  try {
    const result = await applyMigrations(db, folder, {
      migrationsTable: project.migrationsTable,
      beforeCommit(tx, outcome) {
        if (outcome.applied.length === 0) return;
        const tags = outcome.applied.map((migration) => migration.tag);
        auditFor(tx).append(entry('ok', { targetId: tags.at(-1)!, details: { applied: tags } }));
      },
    });
    if (result.applied.length > 0) {
      logger.info('applied pending migrations on start', { migrations: result.applied.map((m) => m.tag), db: project.dbFile });
    }
  } catch (error) {
    const appError = toAppError(error);
    logger.warn(`pending migrations were not applied on start: ${appError.message}`, { hint: appError.hint, code: appError.code });
    try {
      auditFor(db).append(entry('error', { errorCode: appError.code, details: { message: appError.message } }));
    } catch (auditError) {
      logger.error('could not record the failed startup migration in the audit log', { error: String(auditError) });
    }
  }
}
