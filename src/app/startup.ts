// What the server does to the database when it starts. A new, empty database gets the committed migrations,
// through the same guarded path as apply_migrations, recorded in the audit log as the server's own action (client
// "server"): there is nothing in it to lose. A database that already has tables is never migrated behind the
// human's back — a pulled migration may drop a column — so pending migrations there only get a log line, and go
// through apply_migrations (dry run, backup, consent). A failure does not stop the server: it is logged and
// audited, and migration_status explains it.
import { CallRecord } from '../audit/call-record.js';
import { toAppError } from '../core/errors.js';
import { applyMigrations } from '../migrations/apply.js';
import { readMigrationFolder } from '../migrations/folder.js';
import { readLedger } from '../migrations/ledger.js';
import { computeMigrationStatus } from '../migrations/status.js';
import type { SqliteDatabase } from '../sqlite/connection.js';
import type { StartupContext } from './services.js';

function hasTables(db: SqliteDatabase): boolean {
  return (
    db
      .prepare(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' LIMIT 1",
      )
      .get() !== undefined
  );
}

export const STARTUP_CLIENT = 'server';

export async function migrateOnStart({
  db,
  project,
  tables,
  logger,
  auditFor,
}: StartupContext): Promise<void> {
  const folder = readMigrationFolder(project.outDir);
  if (folder.migrations.length === 0 && folder.findings.length === 0) return;
  if (hasTables(db)) {
    const pending = computeMigrationStatus(folder, readLedger(db, project.migrationsTable)).pending;
    if (pending.length > 0) {
      logger.info(
        'pending migrations are not applied on start; use apply_migrations (dry run, backup, consent)',
        {
          pending: pending.map((migration) => migration.tag),
        },
      );
    }
    return;
  }
  const record = new CallRecord('apply_migrations', STARTUP_CLIENT);
  record.setTarget('migration');
  record.addDetails({ reason: 'pending migrations applied on server start' });
  try {
    const result = await applyMigrations(db, folder, {
      migrationsTable: project.migrationsTable,
      tables,
      beforeCommit(tx, outcome) {
        if (outcome.applied.length === 0) return;
        const tags = outcome.applied.map((migration) => migration.tag);
        record.setTarget('migration', tags.at(-1)!);
        auditFor(tx).append(record.entry('ok', { details: { applied: tags } }));
      },
    });
    if (result.applied.length > 0) {
      logger.info('applied pending migrations on start', {
        migrations: result.applied.map((m) => m.tag),
        db: project.dbFile,
      });
    }
  } catch (error) {
    const appError = toAppError(error);
    logger.warn(`pending migrations were not applied on start: ${appError.message}`, {
      hint: appError.hint,
      code: appError.code,
    });
    try {
      auditFor(db).append(
        record.entry('error', { errorCode: appError.code, details: { message: appError.message } }),
      );
    } catch (auditError) {
      logger.error('could not record the failed startup migration in the audit log', {
        error: String(auditError),
      });
    }
  }
}
