// Generating the next migration, without MCP, with the drizzle-kit the project uses (drizzle-line.ts decides). On the
// 0.x line: diff the project's schema against the folder's latest snapshot in the kit worker (with the renames
// edit_schema made, so they need no hint), or take the caller's own SQL (custom), and write the journal files under
// the folder lock. On the 1.x line: run the project's own drizzle-kit `generate` on a scratch copy of the folder and
// move the new migration folder in (write-v1.ts). Either way the new SQL is linted after the still-pending migrations. Every way it can end
// is one case of GenerateOutcome; a schema that does not load is a failure (with its code), never a success that
// happens to say "error". Custom SQL goes through the same writer and linter, and is not written at all when the
// linter finds an error in it (the caller has no file to fix: it sends the SQL again).
import path from 'node:path';
import type { AuditLog } from '../audit/audit-log.js';
import fs from 'node:fs';
import { AppError, isAppError } from '../core/errors.js';
import {
  idsOfLatestSchema,
  type MigrationFolder,
  splitMigrationSql,
  STATEMENT_BREAKPOINT,
} from '../migrations/folder.js';
import { splitMigrationStatements } from '../migrations/sql-text.js';
import {
  decideAndWriteMigration,
  type MigrationDecision as WriterDecision,
  type PreviousState,
  sanitizeMigrationName,
  type WrittenMigration,
} from '../migrations/write.js';
import { writeV1MigrationFrom, type WrittenV1Migration } from '../migrations/write-v1.js';
import type { KitClient } from '../project/kit-client.js';
import type { GenerateV1Result } from '../project/kit-protocol.js';
import type { KitRef } from '../project/kit-resolve.js';
import { snapshotTables } from '../project/snapshot-v7.js';
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
import type { EditRecords } from '../schema-edit/records.js';
import { rememberedRenameHints } from '../schema-edit/renames.js';
import type { CallContext } from './call-context.js';
import { chooseGenerator } from './drizzle-line.js';
import { settleInterruptedEdits } from './edit-schema.js';
import { lintSequence, readMigrationState, type Finding, type MigrationState } from './migration-state.js';
import type { DrizzleSetup } from './services.js';

export interface GenerateServices {
  read: SqliteDatabase;
  tables: ServerTables;
  project: ProjectConfig;
  kit: Pick<KitClient, 'generate' | 'generateV1'>;
  drizzle(): DrizzleSetup;
  /** edit_schema's records: the renames generate applies without asking, and the edits a migration contains. */
  edits: EditRecords;
  /** To tell an interrupted edit from a finished one (see settleInterruptedEdits). */
  audit: Pick<AuditLog, 'read'>;
}

export interface GenerateInput {
  name?: string | undefined;
  hints?: MigrationHint[] | undefined;
  /** A migration of the caller's SQL (drizzle-kit generate --custom); the schema is not read. */
  custom: boolean;
  /** With custom: the SQL to write (statements split as drizzle-kit writes them); absent: an empty file. */
  sql?: string | undefined;
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
      /** The edit_schema edits this migration contains (their renames were applied without hints). */
      edits: string[];
      /** For a custom migration: edits in no migration yet, whose migration will run after this one. */
      waitingEdits: string[];
    }
  | { status: 'no_changes' }
  | { status: 'missing_hints'; missingHints: MissingHint[] }
  /** Nothing was written: the schema did not load, the project names none, or the diff could not be made. */
  | { status: 'failed'; error: AppError };

/** What the decision inside the folder lock returns: the outcome, less the files it has not written yet. */
type Decided =
  | Exclude<GenerateOutcome, { status: 'written' }>
  | Omit<Extract<GenerateOutcome, { status: 'written' }>, 'written' | 'files'>;
type MigrationDecision = WriterDecision<Decided>;

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
      ...(outcome.edits.length ? { edits: outcome.edits } : {}),
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
  const kit = generator.kit.source === 'project' ? generator.kit : undefined;
  const { written, result } = await decideAndWriteMigration<Decided>(project.outDir, async (previous) => {
    if (signal.aborted)
      throw new AppError('CANCELLED', 'generate_migration was cancelled; nothing was written.');
    // Under the folder lock, as edits are made: an edit a crash interrupted is undone before anything is diffed.
    settleInterruptedEdits(services);
    return input.custom
      ? decideCustom(services, input, previous, current)
      : decideDiff(services, input, previous, current, kit);
  });
  if (result.status !== 'written') return result;
  if (!written) throw new Error('a migration that was chosen is always written');
  const journal = path.join(project.outDir, 'meta', '_journal.json');
  return { ...result, written, files: [written.sqlFile, written.snapshotFile, journal] };
}

type Current = MigrationState['status'];

const INCONSISTENT_NOTE =
  'The database and the migrations folder disagree (see migration_status), so findings were judged against the database as it is.';

/** The new statements linted after the pending ones, numbered within the new migration. */
function lintNew(
  services: GenerateServices,
  current: Current,
  statements: readonly string[],
  snapshots: { previousSnapshot?: AnySqliteSnapshot; snapshot?: AnySqliteSnapshot },
): { findings: Finding[]; lintNote?: string } {
  const pending = current.consistent ? current.pending : [];
  const perUnit = lintSequence(
    services.read,
    [...pending.map((m) => ({ chunks: m.chunks })), { chunks: statements }],
    { ...snapshots, protectedTables: services.tables.protected },
  );
  return {
    findings: perUnit.at(-1) ?? [],
    ...(current.consistent ? {} : { lintNote: INCONSISTENT_NOTE }),
  };
}

async function decideCustom(
  services: GenerateServices,
  input: GenerateInput,
  previous: PreviousState,
  current: Current,
): Promise<MigrationDecision> {
  const name = input.name ? { name: input.name } : {};
  // Migrations run in folder order: this SQL runs before the migration those edits will get.
  const waitingEdits = services.edits.waiting(idsOfLatestSchema(previous.folder)).map((record) => record.id);
  if (input.sql === undefined) {
    return {
      migration: { custom: true, ...name, breakpoints: services.project.breakpoints },
      result: { status: 'written', findings: [], renames: [], edits: [], waitingEdits },
    };
  }
  const { statements, linted } = checkCustomSql(services, input.sql, current, previous.snapshot);
  return {
    migration: { custom: true, ...name, statements, breakpoints: services.project.breakpoints },
    result: { status: 'written', ...linted, renames: [], edits: [], waitingEdits },
  };
}

/** The caller's SQL as statements, linted; refused (nothing written) when it cannot be run as it is. */
function checkCustomSql(
  services: GenerateServices,
  sql: string,
  current: Current,
  previousSnapshot: AnySqliteSnapshot | undefined,
): { statements: string[]; linted: { findings: Finding[]; lintNote?: string } } {
  // Security: SQLite stops reading at a NUL, so the text the linter judged would not be what runs.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(sql)) {
    throw new AppError(
      'INVALID_ARGUMENT',
      'sql contains a NUL or another control character; nothing was written.',
      {
        hint: 'Send plain SQL text (tabs and line breaks are fine).',
      },
    );
  }
  const statements = splitMigrationStatements(sql);
  if (statements.length === 0) {
    throw new AppError(
      'INVALID_ARGUMENT',
      'sql holds no statement (only comments or whitespace); nothing was written.',
      {
        hint: 'Send the SQL statements of the migration, separated by ";".',
      },
    );
  }
  const linted = lintNew(services, current, statements, previousSnapshot ? { previousSnapshot } : {});
  const errors = linted.findings.filter((finding) => finding.severity === 'error');
  if (errors.length > 0) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `The linter found ${errors.length} error(s) in sql, so no migration was written:\n${errors
        .map((f) => `- statement ${f.statement} (${f.code}): ${f.message} ${f.fix}`)
        .join('\n')}`,
      {
        hint: 'Change the SQL as each finding says and call generate_migration again.',
        details: { findings: linted.findings },
      },
    );
  }
  return { statements, linted };
}

async function decideDiff(
  services: GenerateServices,
  input: GenerateInput,
  previous: PreviousState,
  current: Current,
  kit: KitRef | undefined,
): Promise<MigrationDecision> {
  const name = input.name ? { name: input.name } : {};
  const edits = services.edits.waiting(idsOfLatestSchema(previous.folder));
  const given = input.hints ?? [];
  const hints = [
    ...given,
    ...rememberedRenameHints(
      edits.flatMap((record) => record.operations),
      previous.snapshot,
      given,
    ),
  ];
  // One worker round trip: the schema's new snapshot (prevId = previous.prevId) is diffed where it is made.
  const generated = await services.kit.generate({
    project: services.project,
    prev: previous.snapshot,
    ...(hints.length ? { hints } : {}),
    ...(kit ? { kit } : {}),
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
  // The linter reads the new snapshot only to check REFERENCES clauses (SQ203): parse its text only for those.
  const snapshotForLint = diff.statements.some((statement) => /references/i.test(statement))
    ? (JSON.parse(diff.snapshot.text) as SqliteSnapshot)
    : undefined;
  const linted = lintNew(services, current, diff.statements, {
    previousSnapshot: previous.snapshot,
    ...(snapshotForLint ? { snapshot: snapshotForLint } : {}),
  });
  return {
    migration: {
      ...name,
      statements: diff.statements,
      snapshot: diff.snapshot,
      breakpoints: services.project.breakpoints,
    },
    result: {
      status: 'written',
      ...linted,
      renames: diff.renames,
      edits: edits.map((record) => record.id),
      waitingEdits: [],
    },
  };
}

/**
 * The 1.x line: the project's drizzle-kit generates into a scratch copy of the folder (the caller's SQL replacing its
 * empty custom file), the new migration is linted, and its folder moved in whole.
 */
async function generateFolder(
  context: Pick<CallContext<GenerateServices>, 'services' | 'signal'>,
  input: GenerateInput,
  kit: KitRef,
  current: Current,
): Promise<GenerateOutcome> {
  const { services, signal } = context;
  const { project } = services;
  let decided: Decided | undefined;
  const written = await writeV1MigrationFrom(project.outDir, async ({ out, folder }) => {
    if (signal.aborted)
      throw new AppError('CANCELLED', 'generate_migration was cancelled; nothing was written.');
    settleInterruptedEdits(services);
    const previous = folder.latestSnapshot;
    const edits = services.edits.waiting(idsOfLatestSchema(folder));
    const custom =
      input.custom && input.sql !== undefined
        ? checkCustomSql(services, input.sql, current, previous)
        : undefined;
    const given = input.hints ?? [];
    const hints = input.custom
      ? []
      : [
          ...given,
          ...rememberedRenameHints(
            edits.flatMap((record) => record.operations),
            asV6(previous),
            given,
          ),
        ];
    const name = sanitizeMigrationName(input.name);
    let result: GenerateV1Result;
    try {
      result = await services.kit.generateV1({
        project,
        kit,
        out,
        ...(name ? { name } : {}),
        ...(hints.length ? { hints } : {}),
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
        break;
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
    const sqlFile = path.join(out, result.folder, 'migration.sql');
    if (custom) {
      const joiner = project.breakpoints ? `${STATEMENT_BREAKPOINT}\n` : '\n';
      fs.writeFileSync(sqlFile, custom.statements.join(joiner));
      decided = {
        status: 'written',
        ...custom.linted,
        renames: [],
        edits: [],
        waitingEdits: edits.map((r) => r.id),
      };
    } else if (input.custom) {
      decided = {
        status: 'written',
        findings: [],
        renames: [],
        edits: [],
        waitingEdits: edits.map((r) => r.id),
      };
    } else {
      const linted = lintNew(services, current, splitMigrationSql(fs.readFileSync(sqlFile).toString()), {
        ...(previous ? { previousSnapshot: previous } : {}),
        snapshot: readSnapshotFile(path.join(out, result.folder, 'snapshot.json')),
      });
      decided = {
        status: 'written',
        ...linted,
        renames: renamesOf(hints),
        edits: edits.map((record) => record.id),
        waitingEdits: [],
      };
    }
    return { folder: result.folder };
  });
  if (!written || !decided || decided.status !== 'written')
    return (decided as GenerateOutcome) ?? { status: 'no_changes' };
  return { ...decided, written, files: [written.sqlFile, written.snapshotFile] };
}

function readSnapshotFile(file: string): AnySqliteSnapshot | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as AnySqliteSnapshot;
  } catch {
    return undefined;
  }
}

/** A 1.0 snapshot seen with 0.x's per-table shape, for code that reads `tables` (the remembered renames). */
function asV6(snapshot: MigrationFolder['latestSnapshot']): SqliteSnapshot {
  const tables = Object.fromEntries(snapshotTables(snapshot).map((table) => [table.name, table]));
  return { id: snapshot?.id ?? '', prevId: '', version: '6', dialect: 'sqlite', tables };
}

/** The renames drizzle-kit 1.x applied: exactly the rename hints it was given (it refuses a hint it cannot use). */
function renamesOf(hints: readonly MigrationHint[]): AppliedRename[] {
  return hints.flatMap((hint): AppliedRename[] => {
    if (hint.type !== 'rename') return [];
    if (hint.kind === 'table') return [{ kind: 'table', from: hint.from[1], to: hint.to[1] }];
    return [{ kind: 'column', table: hint.to[1], from: hint.from[2], to: hint.to[2] }];
  });
}
