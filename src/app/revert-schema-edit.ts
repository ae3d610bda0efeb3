// Undoing a schema edit that was not applied yet, without MCP: its files go back to what they held before it, and
// every migration written since it (generated from it, or after it) is removed — in one audited call. Invariants:
// refused when any of those migrations is applied (the database would be ahead of the schema: undo it with a new
// edit instead) or when a file changed since the edit (a revert would discard that change); when the audit row
// cannot be written, the files and migrations are put back. Runs holding the migrations folder lock and the write
// connection (so no generate or apply runs meanwhile).
import path from 'node:path';
import type { SqliteDatabase } from '../sqlite/connection.js';
import { AppError } from '../core/errors.js';
import { readTextIfExists, sha256Text } from '../core/files.js';
import {
  isFolderLayout,
  ORIGIN_SNAPSHOT_ID,
  snapshotFileName,
  type MigrationFolder,
} from '../migrations/folder.js';
import { removeLastMigrations, withFolderLock, type RemovedMigrations } from '../migrations/write.js';
import { removeLastV1Migrations } from '../migrations/write-v1.js';
import { modelOf } from '../schema-edit/model.js';
import type { EditRecord } from '../schema-edit/records.js';
import { unifiedDiff } from '../schema-edit/unified-diff.js';
import { compareModels } from '../schema-edit/verify.js';
import type { CallContext } from './call-context.js';
import {
  EDIT_TARGET,
  putFiles,
  restoreBeforeEdit,
  settleInterruptedEdits,
  type FileDiff,
  type SchemaEditServices,
} from './edit-schema.js';
import { readMigrationState } from './migration-state.js';

export interface RevertServices extends SchemaEditServices {
  read: SqliteDatabase;
}

export interface RevertOutcome {
  status: 'dry_run' | 'reverted';
  editId: string;
  /** What the revert does to each file (the edit's diff, reversed). */
  files: FileDiff[];
  /** Migrations written since the edit, removed with it. */
  migrationsRemoved: string[];
  warnings: string[];
}

/** The tags of the migrations written after the snapshot `baseId`; undefined when the folder no longer has it. */
function migrationsSince(folder: MigrationFolder, baseId: string): string[] | undefined {
  if (isFolderLayout(folder)) {
    // 1.0: each folder holds its own snapshot; later ones are later in the order drizzle-orm applies them.
    const tags = folder.migrations.map((migration) => migration.tag);
    if (baseId === ORIGIN_SNAPSHOT_ID) return tags;
    const base = folder.migrations.findIndex((migration) => migration.snapshotId === baseId);
    return base === -1 ? undefined : tags.slice(base + 1);
  }
  const tags = folder.journal?.entries.map((entry) => entry.tag) ?? [];
  if (baseId === ORIGIN_SNAPSHOT_ID) return tags;
  const idOf = new Map(folder.snapshots.map((link) => [path.basename(link.file), link.id]));
  const base = tags.findIndex((tag) => idOf.get(snapshotFileName(tag)) === baseId);
  return base === -1 ? undefined : tags.slice(base + 1);
}

function knownEdits(services: SchemaEditServices): string {
  const recent = services.edits
    .list()
    .filter((record) => record.state === 'committed')
    .slice(-5)
    .map((record) => `${record.id} (${record.operations.map((op) => `${op.op} ${op.table}`).join(', ')})`);
  return recent.length ? `Edits that can be reverted: ${recent.join('; ')}.` : 'There is no edit to revert.';
}

function requireRevertible(services: SchemaEditServices, editId: string): EditRecord {
  const record = services.edits.get(editId);
  if (!record || record.state === 'pending') {
    throw new AppError('NOT_FOUND', `There is no schema edit "${editId}".`, {
      hint: `Use the editId an edit_schema call returned (read_audit_log with tool: "edit_schema" lists them). ${knownEdits(services)}`,
    });
  }
  if (record.state === 'reverted') {
    throw new AppError('INVALID_ARGUMENT', `Schema edit ${editId} was already reverted.`, {
      hint: 'Nothing to do.',
    });
  }
  return record;
}

/** Reverts (or with dryRun, shows what reverting would do to) the edit `editId`. */
export async function revertSchemaEdit(
  context: Pick<
    CallContext<RevertServices>,
    'services' | 'setTarget' | 'addAuditDetails' | 'commitWithAudit'
  >,
  input: { editId: string; dryRun: boolean },
): Promise<RevertOutcome> {
  const { services } = context;
  const { project } = services;
  context.setTarget(EDIT_TARGET, input.editId);
  const revert = async (warnings: string[]): Promise<RevertOutcome> => {
    const record = requireRevertible(services, input.editId);

    const files = record.files.map((file) => {
      const current = readTextIfExists(path.join(record.root, file.path));
      return { ...file, current };
    });
    const changed = files.filter(
      (file) => file.current === undefined || sha256Text(file.current) !== file.afterSha256,
    );
    if (changed.length > 0) {
      throw new AppError(
        'SCHEMA_CHANGED',
        `${changed.map((file) => file.path).join(', ')} changed since edit ${record.id}; reverting it would discard those changes.`,
        {
          hint: 'Revert the later edits first (newest first), or undo this edit with a new edit_schema call. Nothing was changed.',
          details: { changed: changed.map((file) => file.path) },
        },
      );
    }

    const { folder, status } = readMigrationState(services.read, project);
    const since = migrationsSince(folder, record.baseSnapshotId);
    if (since === undefined) {
      throw new AppError(
        'MIGRATION_CONFLICT',
        `The migrations folder no longer has the snapshot edit ${record.id} was made on, so it cannot tell which migrations contain the edit.`,
        {
          hint: 'Undo the edit with a new edit_schema call, then generate_migration. Nothing was changed.',
        },
      );
    }
    const stateOf = new Map(status.entries.map((entry) => [entry.tag, entry.state]));
    const applied = since.filter((tag) => stateOf.get(tag) !== 'pending');
    if (applied.length > 0) {
      throw new AppError(
        'MIGRATION_CONFLICT',
        `Edit ${record.id} is already in migration(s) the database has applied (${applied.join(', ')}); reverting the schema files would leave the database ahead of them.`,
        {
          hint: 'Undo it going forward instead: a new edit_schema call that reverses it (rename back, drop the column…), then generate_migration and apply_migrations. Nothing was changed.',
        },
      );
    }

    const diffs: FileDiff[] = files.map((file) => ({
      path: file.path,
      diff: unifiedDiff(file.path, file.current, file.before ?? ''),
      ...(file.before === null ? { removed: true as const } : {}),
    }));
    context.addAuditDetails({
      ...(input.dryRun ? { dryRun: true } : {}),
      editId: record.id,
      files: record.files.map((file) => ({ path: file.path, restoredSha256: file.beforeSha256 })),
      migrationsRemoved: since,
    });
    if (input.dryRun) {
      return { status: 'dry_run', editId: record.id, files: diffs, migrationsRemoved: since, warnings };
    }

    restoreBeforeEdit(record);
    let removed: RemovedMigrations | undefined;
    try {
      if (since.length > 0)
        removed = (isFolderLayout(folder) ? removeLastV1Migrations : removeLastMigrations)(
          project.outDir,
          since,
        );
      warnings.push(...(await reloadMatches(services, record)));
      await context.commitWithAudit(async (row) => {
        services.audit.append(row());
      });
    } catch (error) {
      // Put back what the edit had written and the migrations, as if this call had not run.
      removed?.undo();
      putFiles(
        record.root,
        files.map((file) => ({ path: file.path, text: file.current ?? null })),
      );
      throw error;
    }
    services.edits.save({ ...record, state: 'reverted' });
    return { status: 'reverted', editId: record.id, files: diffs, migrationsRemoved: since, warnings };
  };
  // A dry run only reads (no lock, which would create the migrations folder); a real revert settles an
  // interrupted edit first.
  if (input.dryRun) return revert([]);
  return withFolderLock(project.outDir, undefined, () =>
    services.exclusive(() => revert(settleInterruptedEdits(services))),
  );
}

/** The restored schema, loaded again: a difference from before the edit comes from outside its files. */
async function reloadMatches(services: SchemaEditServices, record: EditRecord): Promise<string[]> {
  try {
    const differences = compareModels(
      record.beforeModel,
      modelOf(await services.kit.loadSchema(services.project)),
    );
    return differences.length
      ? [
          `The schema files are back as they were, but the schema loads differently than before the edit (something outside them changed): ${differences.join('; ')}.`,
        ]
      : [];
  } catch (error) {
    return [
      `The schema files are back as they were, but the schema does not load now: ${(error as Error).message}`,
    ];
  }
}
