// Generating the next migration, without MCP: diff the project's schema against the folder's latest snapshot in
// the kit worker, lint the new SQL after the still-pending migrations, write the files under the folder lock.
// Every way it can end is one case of GenerateOutcome; a schema that does not load is a failure (with its code),
// never a success that happens to say "error".
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { decideAndWriteMigration, type WrittenMigration } from '../migrations/write.js';
import type { KitClient } from '../project/kit-client.js';
import type {
  AppliedRename,
  MigrationHint,
  MissingHint,
  ProjectConfig,
  SqliteSnapshot,
} from '../project/types.js';
import type { SqliteDatabase } from '../sqlite/connection.js';
import type { ServerTables } from '../guard/server-tables.js';
import type { CallContext } from './call-context.js';
import { lintSequence, readMigrationState, type Finding } from './migration-state.js';

export interface GenerateServices {
  read: SqliteDatabase;
  tables: ServerTables;
  project: ProjectConfig;
  kit: Pick<KitClient, 'generate'>;
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
      written: WrittenMigration;
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
  | Omit<Extract<GenerateOutcome, { status: 'written' }>, 'written'>;

/** Generates the next migration and tells the call's audit row what came of it. */
export async function generateNextMigration(
  context: Pick<CallContext<GenerateServices>, 'services' | 'signal' | 'setTarget' | 'addAuditDetails'>,
  input: GenerateInput,
): Promise<GenerateOutcome> {
  const outcome = await generate(context, input);
  if (outcome.status === 'written') {
    context.setTarget('migration', outcome.written.tag);
    // The files are named in the audit row: a call cancelled after writing them still says what it did.
    const { written } = outcome;
    const rel = (file: string) => path.relative(context.services.project.root, file) || file;
    context.addAuditDetails({
      status: 'ok',
      tag: written.tag,
      hash: written.hash,
      files: [
        written.sqlFile,
        written.snapshotFile,
        path.join(context.services.project.outDir, 'meta', '_journal.json'),
      ].map(rel),
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
  const { status: current } = readMigrationState(services.read, project);
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
        ...(current.consistent
          ? {}
          : {
              lintNote:
                'The database and the migrations folder disagree (see migration_status), so findings were judged against the database as it is.',
            }),
        renames: diff.renames,
      },
    };
  });
  if (result.status !== 'written') return result;
  if (!written) throw new Error('a migration that was chosen is always written');
  return { ...result, written };
}
