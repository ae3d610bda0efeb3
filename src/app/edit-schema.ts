// Editing the project's Drizzle schema, without MCP: typed operations become minimal text edits (src/schema-edit),
// shown as a unified diff (dry run), then written atomically, reloaded through the kit worker and checked to be
// exactly what was asked, recorded (for revert, and for the renames generate_migration applies) and audited — or
// undone, saying why. Invariants: a dry run writes nothing; schema files are written only while the migrations
// folder lock is held, so generate never diffs a half-written schema; a file that changed since it was read, or
// since the dry run the human reviewed (`diffHash`), is never overwritten; every file written is put back when
// loading, verification or the audit row fails; an edit interrupted by a crash is undone before the next one.
import fs from 'node:fs';
import path from 'node:path';
import type { AuditLog } from '../audit/audit-log.js';
import { AppError } from '../core/errors.js';
import { readTextIfExists, sha256Text, writeFileAtomic } from '../core/files.js';
import type { ServerTables } from '../guard/server-tables.js';
import { ORIGIN_SNAPSHOT_ID, readMigrationFolder } from '../migrations/folder.js';
import { withFolderLock } from '../migrations/write.js';
import type { KitClient } from '../project/kit-client.js';
import type { AppliedRename, LoadedSchema, ProjectConfig } from '../project/types.js';
import { editSchema, type EditSchemaResult, type SchemaSource } from '../schema-edit/engine.js';
import { modelOf } from '../schema-edit/model.js';
import { parseOperations, type Operation } from '../schema-edit/operations.js';
import { printWidthFor } from '../schema-edit/print-width.js';
import type { EditRecord, EditRecords } from '../schema-edit/records.js';
import { collectSchemaSources } from '../schema-edit/sources.js';
import { verifySchemaEdit } from '../schema-edit/verify.js';
import type { CallContext } from './call-context.js';

export interface SchemaEditServices {
  project: ProjectConfig;
  kit: Pick<KitClient, 'loadSchema'>;
  tables: ServerTables;
  audit: Pick<AuditLog, 'append' | 'read'>;
  edits: EditRecords;
  exclusive<T>(fn: () => T | Promise<T>): Promise<T>;
}

/** What the audit row names an edit by (and what an interrupted edit is looked up by). */
export const EDIT_TARGET = 'schema_edit';

export interface FileDiff {
  /** Relative to the project root. */
  path: string;
  diff: string;
  created?: true;
  removed?: true;
}

export interface EditView {
  files: FileDiff[];
  /** sha256 of the diffs: a real edit given it refuses to write anything else. */
  diffHash: string;
  renames: AppliedRename[];
  warnings: string[];
}

export type EditOutcome = EditView & ({ status: 'dry_run' } | { status: 'written'; editId: string });

/** Paths in records, diffs and audit rows: relative to the project root, "/" separators. */
export function relativePath(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

export function hashDiffs(diffs: readonly string[]): string {
  return sha256Text(diffs.join(''));
}

/** Writes each file's text atomically; null removes the file. */
export function putFiles(root: string, files: ReadonlyArray<{ path: string; text: string | null }>): void {
  for (const file of files) {
    const absolute = path.join(root, file.path);
    if (file.text === null) fs.rmSync(absolute, { force: true });
    else writeFileAtomic(absolute, file.text);
  }
}

/** Puts every file of `record` back as it was before the edit, and removes the folders the edit created. */
export function restoreBeforeEdit(record: EditRecord): void {
  putFiles(
    record.root,
    record.files.map((file) => ({ path: file.path, text: file.before })),
  );
  for (const dir of [...record.createdDirs].reverse()) {
    try {
      fs.rmdirSync(path.join(record.root, dir));
    } catch {
      // Not empty (something else was put there since): it stays.
    }
  }
}

/**
 * Finishes what a crash interrupted. A pending record whose audit row is in was an edit that completed: it becomes
 * committed. One without was never audited: its files are put back where they still hold what the edit wrote.
 * Call it holding the migrations folder lock (edits hold it from start to end, so no pending record is in flight).
 */
export function settleInterruptedEdits(services: {
  edits: EditRecords;
  audit: Pick<AuditLog, 'read'>;
}): string[] {
  const warnings: string[] = [];
  for (const record of services.edits.list()) {
    if (record.state !== 'pending') continue;
    const audited = services.audit.read({
      outcome: 'ok',
      targetType: EDIT_TARGET,
      targetId: record.id,
      limit: 1,
    }).rows;
    if (audited.length > 0) {
      services.edits.save({ ...record, state: 'committed' });
      continue;
    }
    const changedSince = record.files.filter((file) => {
      const text = readTextIfExists(path.join(record.root, file.path));
      return (
        text !== undefined && sha256Text(text) !== file.afterSha256 && sha256Text(text) !== file.beforeSha256
      );
    });
    if (changedSince.length === 0) restoreBeforeEdit(record);
    services.edits.remove(record.id);
    warnings.push(
      changedSince.length === 0
        ? `Schema edit ${record.id} was interrupted before it was recorded in the audit log; its files were put back as they were before it.`
        : `Schema edit ${record.id} was interrupted before it was recorded in the audit log, and ${changedSince.map((f) => f.path).join(', ')} changed since; the files were left as they are.`,
    );
  }
  return warnings;
}

interface EditPlan {
  sources: SchemaSource[];
  before: LoadedSchema;
  result: EditSchemaResult;
  view: EditView;
}

/** The schema files as they are now (config files plus the local files their barrels re-export). */
function readSources(project: ProjectConfig): SchemaSource[] {
  return collectSchemaSources(project.schemaFiles, readTextIfExists);
}

const sameTexts = (a: readonly SchemaSource[], b: readonly SchemaSource[]) =>
  a.length === b.length && a.every((source, i) => source.path === b[i]?.path && source.text === b[i]?.text);

/**
 * The sources and the schema the kit worker loaded from exactly those texts: the worker reads the files itself, so
 * they are read again after it loaded; a file that changed meanwhile makes it try once more.
 */
async function loadSources(
  services: SchemaEditServices,
): Promise<{ sources: SchemaSource[]; before: LoadedSchema }> {
  const { project } = services;
  for (let attempt = 0; ; attempt += 1) {
    const sources = readSources(project);
    const before = await services.kit.loadSchema(project);
    if (sameTexts(sources, readSources(project))) return { sources, before };
    if (attempt === 1) {
      throw new AppError('SCHEMA_CHANGED', 'The schema files kept changing while they were being read.', {
        hint: 'Wait until nothing else is editing them (an editor saving, a formatter), then call edit_schema again.',
      });
    }
  }
}

async function planEdit(services: SchemaEditServices, operations: Operation[]): Promise<EditPlan> {
  const { project } = services;
  const { sources, before } = await loadSources(services);
  const printWidth = printWidthFor(project.schemaFiles[0]!);
  const result = editSchema({
    sources,
    schema: before,
    casing: project.casing,
    operations,
    root: project.root,
    ...(printWidth ? { printWidth } : {}),
  });
  if (result.changes.length === 0) {
    throw new AppError('INVALID_ARGUMENT', 'These operations change nothing in the schema files.', {
      hint: 'Check the names and values against inspect_schema; nothing was written.',
    });
  }
  refuseUnreachableFiles(project, result);
  for (const change of result.changes) {
    if (change.before === undefined && fs.existsSync(change.path)) {
      throw new AppError(
        'INVALID_ARGUMENT',
        `${relativePath(project.root, change.path)} already exists but is not one of the schema files; edit_schema does not overwrite it.`,
        { hint: 'Give add_table another "file", or leave "file" out to add the table to a schema file.' },
      );
    }
  }
  const files = result.changes.map((change): FileDiff => ({
    path: relativePath(project.root, change.path),
    diff: change.diff,
    ...(change.before === undefined ? { created: true as const } : {}),
  }));
  const view: EditView = {
    files,
    diffHash: hashDiffs(files.map((file) => file.diff)),
    renames: result.renames,
    warnings: result.warnings,
  };
  return { sources, before, result, view };
}

/**
 * A new file is part of the schema only if the config's schema files reach it (a barrel re-exports it): otherwise
 * neither drizzle-kit nor generate_migration would see its table. Refused before anything is written.
 */
function refuseUnreachableFiles(project: ProjectConfig, result: EditSchemaResult): void {
  const edited = new Map(result.changes.map((change) => [change.path, change.after]));
  const reached = new Set(
    collectSchemaSources(project.schemaFiles, (file) => edited.get(file) ?? readTextIfExists(file)).map(
      (source) => source.path,
    ),
  );
  const stray = result.changes.filter((change) => change.before === undefined && !reached.has(change.path));
  if (stray.length === 0) return;
  throw new AppError(
    'INVALID_ARGUMENT',
    `${stray.map((change) => relativePath(project.root, change.path)).join(', ')} would not be part of the schema: the config's schema (${project.schemaFiles.map((file) => relativePath(project.root, file)).join(', ')}) does not reach it.`,
    {
      hint: 'Leave "file" out (the table goes into an existing schema file), or name a file in a folder whose index file re-exports its siblings. Nothing was written.',
    },
  );
}

/** Security: the server's own tables are out of reach of schema edits, as of every other tool. */
function refuseServerTables(operations: readonly Operation[], tables: ServerTables): void {
  operations.forEach((op, index) => {
    const named = [op.table, ...(op.op === 'rename_table' ? [op.to] : [])];
    const own = named.find((name) => tables.isProtected(name));
    if (own === undefined) return;
    throw new AppError(
      'PROTECTED_TABLE',
      `operations[${index}]: "${own}" is one of the server's own tables (the audit log or the migrations ledger); edit_schema does not change it.`,
      { hint: "Edit the project's own tables only. Nothing was changed." },
    );
  });
}

/** A refusal that shows what the edit would do now, so the human reviews that instead. */
async function changedSinceReview(
  services: SchemaEditServices,
  operations: Operation[],
  message: string,
): Promise<AppError> {
  let fresh: Record<string, unknown>;
  try {
    const { view } = await planEdit(services, operations);
    fresh = { diffHash: view.diffHash, files: view.files };
  } catch (error) {
    fresh = { freshDryRunFailed: (error as Error).message };
  }
  return new AppError('SCHEMA_CHANGED', message, {
    hint: 'Show the human the fresh diff in details (or call edit_schema with dryRun: true again); if they agree, call edit_schema with the new diffHash. Nothing was written.',
    details: fresh,
  });
}

export interface EditInput {
  operations: unknown;
  dryRun: boolean;
  /** The dry run's diffHash: write only if the edit is still exactly that. */
  diffHash?: string | undefined;
}

/** Plans (dryRun) or makes one schema edit, as described at the top of this file. */
export async function editProjectSchema(
  context: Pick<
    CallContext<SchemaEditServices>,
    'services' | 'signal' | 'setTarget' | 'addAuditDetails' | 'commitWithAudit'
  >,
  input: EditInput,
): Promise<EditOutcome> {
  const { services, signal } = context;
  const { project } = services;
  const operations = parseOperations(input.operations);
  refuseServerTables(operations, services.tables);
  if (project.schemaFiles.length === 0) {
    throw new AppError(
      'CONFIG_ERROR',
      'The project configures no schema file that exists, so there is nothing to edit.',
      {
        hint: `Set "schema" in ${project.configFile ?? 'drizzle.config.ts'} to your schema file(s).`,
      },
    );
  }
  if (input.dryRun) {
    // Reads only: no lock (it would create the migrations folder), and an interrupted edit is settled by the next
    // real edit, whose diffHash check then shows the human the fresh diff.
    const { view } = await planEdit(services, operations);
    context.addAuditDetails({
      dryRun: true,
      diffHash: view.diffHash,
      files: view.files.map((file) => file.path),
    });
    return { status: 'dry_run', ...view };
  }
  return withFolderLock(project.outDir, undefined, async () => {
    const settled = settleInterruptedEdits(services);
    const plan = await planEdit(services, operations);
    const { view } = plan;
    view.warnings.unshift(...settled);
    if (input.diffHash !== undefined && input.diffHash !== view.diffHash) {
      throw await changedSinceReview(
        services,
        operations,
        'The edit would now differ from the dry run that was reviewed (diffHash does not match): the schema files changed since.',
      );
    }
    if (!sameTexts(plan.sources, readSources(project))) {
      throw await changedSinceReview(
        services,
        operations,
        'A schema file changed while the edit was being prepared.',
      );
    }
    if (signal.aborted) throw new AppError('CANCELLED', 'edit_schema was cancelled; nothing was written.');

    const record = recordFor(services, plan);
    let changesSnapshot = record.changesSnapshot;
    context.setTarget(EDIT_TARGET, record.id);
    services.edits.save(record);
    for (const dir of record.createdDirs) fs.mkdirSync(path.join(project.root, dir), { recursive: true });
    try {
      putFiles(
        project.root,
        plan.result.changes.map((change) => ({
          path: relativePath(project.root, change.path),
          text: change.after,
        })),
      );
      changesSnapshot = await verifyWritten(services, plan);
      await context.commitWithAudit(async (row) => {
        const entry = row({
          details: {
            editId: record.id,
            diffHash: view.diffHash,
            files: record.files.map(({ before: _before, ...file }) => file),
            ...(view.renames.length ? { renames: view.renames } : {}),
          },
        });
        await services.exclusive(() => services.audit.append(entry));
      });
    } catch (error) {
      try {
        restoreBeforeEdit(record);
        services.edits.remove(record.id);
      } catch {
        // The record stays pending: the next edit or generate puts the files back (settleInterruptedEdits).
      }
      throw error;
    }
    try {
      services.edits.save({ ...record, state: 'committed', changesSnapshot });
    } catch (error) {
      // The audit row is in, so the next edit or generate completes the record (settleInterruptedEdits).
      view.warnings.push(
        `The edit is written and audited, but its record could not be updated yet: ${(error as Error).message}`,
      );
    }
    return { status: 'written', editId: record.id, ...view };
  });
}

function recordFor(services: SchemaEditServices, plan: EditPlan): EditRecord {
  const { project } = services;
  const createdDirs = new Set<string>();
  for (const change of plan.result.changes) {
    if (change.before !== undefined) continue;
    for (let dir = path.dirname(change.path); !fs.existsSync(dir); dir = path.dirname(dir))
      createdDirs.add(relativePath(project.root, dir));
  }
  const baseSnapshot = readMigrationFolder(project.outDir).latestSnapshot;
  return {
    version: 1,
    id: services.edits.newId(),
    createdAt: new Date().toISOString(),
    root: project.root,
    state: 'pending',
    baseSnapshotId: baseSnapshot?.id ?? ORIGIN_SNAPSHOT_ID,
    files: plan.result.changes.map((change) => ({
      path: relativePath(project.root, change.path),
      before: change.before ?? null,
      beforeSha256: change.before === undefined ? null : sha256Text(change.before),
      afterSha256: sha256Text(change.after),
    })),
    // Outermost first, so a revert removes the innermost first.
    createdDirs: [...createdDirs].sort((a, b) => a.length - b.length),
    operations: plan.result.operations,
    renames: plan.result.renames,
    diffHash: plan.view.diffHash,
    beforeModel: modelOf(plan.before),
    // Until the edited schema has loaded, assume it does (an edit settled after a crash keeps this).
    changesSnapshot: true,
  };
}

const GAP_HINT =
  'Nothing was changed. edit_schema cannot make this change in this schema: it has to be made in the file by hand (ask the human if you cannot edit files).';

/**
 * Loads the written schema through the kit worker; anything but exactly the planned change is an error. Says
 * whether the change reaches drizzle-kit's snapshot (and so needs a migration) or is TypeScript only.
 */
async function verifyWritten(services: SchemaEditServices, plan: EditPlan): Promise<boolean> {
  let after: LoadedSchema;
  try {
    after = await services.kit.loadSchema(services.project);
  } catch (error) {
    const cause = error instanceof AppError ? error : undefined;
    throw new AppError(
      cause?.code === 'TIMEOUT' ? 'TIMEOUT' : 'SCHEMA_LOAD_FAILED',
      `The edited schema did not load, so the edit was undone: ${(error as Error).message}`,
      {
        hint: GAP_HINT,
        cause: error,
      },
    );
  }
  const verified = verifySchemaEdit(plan.before, after, plan.result.operations);
  if (!verified.ok) {
    throw new AppError(
      'SCHEMA_EDIT_UNVERIFIED',
      `The edited schema loaded, but not as asked, so the edit was undone: ${verified.differences.join('; ')}.`,
      {
        hint: GAP_HINT,
        details: { differences: verified.differences },
      },
    );
  }
  return JSON.stringify(plan.before.snapshot.tables) !== JSON.stringify(after.snapshot.tables);
}
