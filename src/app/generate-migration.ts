// Generating the next migration, without MCP, with the drizzle-kit the project uses (drizzle-line.ts decides): on
// the 0.x line, diff the project's schema against the folder's latest snapshot in the kit worker and write the
// journal files under the folder lock; on the 1.x line, run the project's own drizzle-kit `generate` on a scratch
// copy of the folder and move the new migration folder in (write-v1.ts). Either way the new SQL is linted after the
// still-pending migrations. Every way it can end is one case of GenerateOutcome; a schema that does not load is a
// failure (with its code), never a success that happens to say "error".
import fs from 'node:fs';
import path from 'node:path';
import { AppError, isAppError } from '../core/errors.js';
import { readMigrationFolder, splitMigrationSql } from '../migrations/folder.js';
import type { MigrationStatus } from '../migrations/status.js';
import {
  decideAndWriteMigration,
  sanitizeMigrationName,
  type WrittenMigration,
} from '../migrations/write.js';
import { writeV1MigrationFrom, type WrittenV1Migration } from '../migrations/write-v1.js';
import type { KitClient } from '../project/kit-client.js';
import type { GenerateV1Result } from '../project/kit-protocol.js';
import type { KitRef } from '../project/kit-resolve.js';
import type {
  AnySqliteSnapshot,
  AppliedRename,
  MigrationHint,
  MissingHint,
  ProjectConfig,
  SqliteSnapshot,
} from '../project/types.js';
import type { SqliteDatabase } from '../sqlite/connection.js';
import type { ServerTables } from '../guard/server-tables.js';
import type { CallContext } from './call-context.js';
import { chooseGenerator } from './drizzle-line.js';
import { lintSequence, readMigrationState, type Finding } from './migration-state.js';
import type { DrizzleSetup } from './services.js';

export interface GenerateServices {
  read: SqliteDatabase;
  tables: ServerTables;
  project: ProjectConfig;
  kit: Pick<KitClient, 'generate' | 'generateV1'>;
  drizzle(): DrizzleSetup;
}

export interface GenerateInput {
  name?: string | undefined;
  hints?: MigrationHint[] | undefined;
  /** An empty migration for hand-written SQL (drizzle-kit generate --custom); the schema is not read. */
  custom: boolean;
}

export type GenerateOutcome =
  | {
      status: 'written';
      written: WrittenMigration | WrittenV1Migration;
      /** Every file written or changed (the journal too, on the 0.x line). */
      files: string[];
      /** Linter findings on the new SQL, judged after the pending migrations. */
      findings: Finding[];
      /** Why the findings may be incomplete. */
      lintNote?: string;
      renames: AppliedRename[];
    }
  | { status: 'no_changes' }
  | { status: 'missing_hints'; missingHints: MissingHint[] }
  /** Nothing was written: the schema did not load, the project names none, or the diff could not be made. */
  | { status: 'failed'; error: AppError };

/** What the decision inside the folder lock returns: the outcome, less the files it has not written yet. */
type Decided =
  | Exclude<GenerateOutcome, { status: 'written' }>
  | Omit<Extract<GenerateOutcome, { status: 'written' }>, 'written' | 'files'>;

const LINT_NOTE =
  'The database and the migrations folder disagree (see migration_status), so findings were judged against the database as it is.';

/** Generates the next migration and tells the call's audit row what came of it. */
export async function generateNextMigration(
  context: Pick<CallContext<GenerateServices>, 'services' | 'signal' | 'setTarget' | 'addAuditDetails'>,
  input: GenerateInput,
): Promise<GenerateOutcome> {
  const outcome = await generate(context, input);
  if (outcome.status === 'written') {
    context.setTarget('migration', outcome.written.tag);
    context.addAuditDetails({
      status: 'ok',
      tag: outcome.written.tag,
      hash: outcome.written.hash,
      findings: outcome.findings.map((f) => f.code),
    });
  } else {
    // The status the model reads: a failure is answered as "error".
    context.addAuditDetails({ status: outcome.status === 'failed' ? 'error' : outcome.status });
  }
  return outcome;
}

async function generate(
  context: Pick<CallContext<GenerateServices>, 'services' | 'signal'>,
  input: GenerateInput,
): Promise<GenerateOutcome> {
  const { services, signal } = context;
  const { project } = services;
  if (!input.custom && project.schemaFiles.length === 0) {
    return {
      status: 'failed',
      error: new AppError(
        'CONFIG_ERROR',
        'The project configures no schema file that exists, so there is nothing to diff.',
        {
          hint: `Set "schema" in ${project.configFile ?? 'drizzle.config.ts'} to your schema file(s), or use custom: true for a hand-written migration.`,
        },
      ),
    };
  }
  // The statements the database has not run yet come before the new ones when linting (see lintSequence).
  const { folder, status: current } = readMigrationState(services.read, project);
  const generator = chooseGenerator(services.drizzle(), folder);
  if (generator.kind === 'refused') {
    return {
      status: 'failed',
      error: new AppError('CONFIG_ERROR', generator.message, { hint: generator.hint }),
    };
  }
  if (generator.kind === 'folders') return generateFolder(context, input, generator.kit, current);
  const kit = generator.kit.source === 'project' ? { kit: generator.kit } : {};
  const { written, result } = await decideAndWriteMigration<Decided>(project.outDir, async (previous) => {
    if (signal.aborted)
      throw new AppError('CANCELLED', 'generate_migration was cancelled; nothing was written.');
    const name = input.name ? { name: input.name } : {};
    if (input.custom) {
      return {
        migration: { custom: true, ...name, breakpoints: project.breakpoints },
        result: { status: 'written', findings: [], renames: [] },
      };
    }
    // One worker round trip: the schema's new snapshot (prevId = previous.prevId) is diffed where it is made.
    const generated = await services.kit.generate({
      project,
      prev: previous.snapshot,
      ...(input.hints ? { hints: input.hints } : {}),
      ...kit,
    });
    if (!generated.loaded) {
      const { error } = generated;
      if (error.code !== 'SCHEMA_LOAD_FAILED' && error.code !== 'CONFIG_ERROR') throw error;
      return { migration: null, result: { status: 'failed', error } };
    }
    const { diff } = generated;
    switch (diff.status) {
      case 'no_changes':
        return { migration: null, result: { status: 'no_changes' } };
      case 'missing_hints':
        return { migration: null, result: { status: 'missing_hints', missingHints: diff.missingHints } };
      case 'error':
        return {
          migration: null,
          result: {
            status: 'failed',
            error: new AppError('INVALID_ARGUMENT', diff.message, diff.hint ? { hint: diff.hint } : {}),
          },
        };
      case 'ok':
        break;
    }
    const pending = current.consistent ? current.pending : [];
    // The linter reads the new snapshot only to check REFERENCES clauses (SQ203): parse its text only for those.
    const snapshotForLint = diff.statements.some((statement) => /references/i.test(statement))
      ? (JSON.parse(diff.snapshot.text) as SqliteSnapshot)
      : undefined;
    const perUnit = lintSequence(
      services.read,
      [...pending.map((m) => ({ chunks: m.chunks })), { chunks: diff.statements }],
      {
        previousSnapshot: previous.snapshot,
        ...(snapshotForLint ? { snapshot: snapshotForLint } : {}),
        protectedTables: services.tables.protected,
      },
    );
    return {
      migration: {
        ...name,
        statements: diff.statements,
        snapshot: diff.snapshot,
        breakpoints: project.breakpoints,
      },
      result: {
        status: 'written',
        findings: perUnit.at(-1) ?? [],
        ...(current.consistent ? {} : { lintNote: LINT_NOTE }),
        renames: diff.renames,
      },
    };
  });
  if (result.status !== 'written') return result;
  if (!written) throw new Error('a migration that was chosen is always written');
  const journal = path.join(project.outDir, 'meta', '_journal.json');
  return { ...result, written, files: [written.sqlFile, written.snapshotFile, journal] };
}

/** The 1.x line: the project's drizzle-kit generates into a scratch copy; the new folder is linted and moved in. */
async function generateFolder(
  context: Pick<CallContext<GenerateServices>, 'services' | 'signal'>,
  input: GenerateInput,
  kit: KitRef,
  current: MigrationStatus,
): Promise<GenerateOutcome> {
  const { services, signal } = context;
  const { project } = services;
  let decided: Exclude<GenerateOutcome, { status: 'written' }> | undefined;
  const written = await writeV1MigrationFrom(project.outDir, async ({ out }) => {
    if (signal.aborted)
      throw new AppError('CANCELLED', 'generate_migration was cancelled; nothing was written.');
    const name = sanitizeMigrationName(input.name);
    let result: GenerateV1Result;
    try {
      result = await services.kit.generateV1({
        project,
        kit,
        out,
        ...(name ? { name } : {}),
        ...(input.hints ? { hints: input.hints } : {}),
        ...(input.custom ? { custom: true } : {}),
      });
    } catch (error) {
      if (!isAppError(error) || (error.code !== 'SCHEMA_LOAD_FAILED' && error.code !== 'CONFIG_ERROR'))
        throw error;
      decided = { status: 'failed', error };
      return null;
    }
    switch (result.status) {
      case 'ok':
        return { folder: result.folder };
      case 'no_changes':
        decided = { status: 'no_changes' };
        return null;
      case 'missing_hints':
        decided = { status: 'missing_hints', missingHints: result.missingHints };
        return null;
      case 'error':
        decided = {
          status: 'failed',
          error: new AppError(
            result.code === 'conflicts' ? 'MIGRATION_CONFLICT' : 'INVALID_ARGUMENT',
            result.message,
            {
              ...(result.hint ? { hint: result.hint } : {}),
              ...(result.details ? { details: result.details } : {}),
            },
          ),
        };
        return null;
    }
  });
  if (!written) return decided ?? { status: 'no_changes' };
  const folder = readMigrationFolder(project.outDir);
  const pending = current.consistent ? current.pending : [];
  const previous = folder.snapshots.find((link) => written.parents.includes(link.id));
  const perUnit = lintSequence(
    services.read,
    [...pending.map((m) => ({ chunks: m.chunks })), { chunks: splitMigrationSql(written.sql) }],
    {
      ...(previous ? { previousSnapshot: readSnapshotFile(previous.file) } : {}),
      snapshot: readSnapshotFile(written.snapshotFile),
      protectedTables: services.tables.protected,
    },
  );
  return {
    status: 'written',
    written,
    files: [written.sqlFile, written.snapshotFile],
    findings: perUnit.at(-1) ?? [],
    ...(current.consistent ? {} : { lintNote: LINT_NOTE }),
    renames: renamesOf(input.hints),
  };
}

function readSnapshotFile(file: string): AnySqliteSnapshot | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as AnySqliteSnapshot;
  } catch {
    return undefined;
  }
}

/** The renames drizzle-kit 1.x applied: exactly the rename hints it was given (it refuses a hint it cannot use). */
function renamesOf(hints: readonly MigrationHint[] | undefined): AppliedRename[] {
  return (hints ?? []).flatMap((hint): AppliedRename[] => {
    if (hint.type !== 'rename') return [];
    if (hint.kind === 'table') return [{ kind: 'table', from: hint.from[1], to: hint.to[1] }];
    return [{ kind: 'column', table: hint.to[1], from: hint.from[2], to: hint.to[2] }];
  });
}
