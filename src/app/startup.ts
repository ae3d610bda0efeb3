// What the server does to the database when it starts. A new, empty database gets the committed migrations,
// through the same guarded path as apply_migrations, recorded in the audit log as the server's own action (client
// "server"): there is nothing in it to lose. A database that already has tables is never migrated behind the
// human's back — a pulled migration may drop a column — so pending migrations there only get a log line, and go
// through apply_migrations (dry run, backup, consent). A failure does not stop the server: it is logged and
// audited, and the first result of the session says so (services.notices).
import { CallRecord } from '../audit/call-record.js';
import { toAppError } from '../core/errors.js';
import { applyMigrations } from '../migrations/apply.js';
import { readMigrationFolder } from '../migrations/folder.js';
import { readLedger } from '../migrations/ledger.js';
import { computeMigrationStatus } from '../migrations/status.js';
import type { ServerTables } from '../guard/server-tables.js';
import type { SqliteDatabase } from '../sqlite/connection.js';
import type { StartupContext, StartupOutcome } from './services.js';

/** Whether the database holds anything of the app's: the server's own tables (its audit log) do not count. */
function hasAppTables(db: SqliteDatabase, tables: ServerTables): boolean {
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    .pluck()
    .all() as string[];
  return names.some((name) => !tables.isProtected(name));
}

export const STARTUP_CLIENT = 'server';

export async function migrateOnStart({
  db,
  project,
  logger,
  tables,
  auditFor,
}: StartupContext): Promise<StartupOutcome> {
  const folder = readMigrationFolder(project.outDir);
  if (folder.migrations.length === 0 && folder.findings.length === 0) return { kind: 'nothing' };
  if (hasAppTables(db, tables)) {
    const pending = computeMigrationStatus(folder, readLedger(db, project.migrationsTable)).pending;
    if (pending.length > 0) {
      logger.info(
        'pending migrations are not applied on start; use apply_migrations (dry run, backup, consent)',
        {
          pending: pending.map((migration) => migration.tag),
        },
      );
    }
    return pending.length > 0
      ? { kind: 'pending', tags: pending.map((migration) => migration.tag) }
      : { kind: 'nothing' };
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
    return result.applied.length > 0
      ? { kind: 'applied', tags: result.applied.map((migration) => migration.tag) }
      : { kind: 'nothing' };
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
    return { kind: 'failed', message: appError.message, hint: appError.hint, code: appError.code };
  }
}
