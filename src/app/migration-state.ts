// What the migration procedures and tools share: the folder read against the ledger, drift, the consistency
// refusal, and linting pending and new migrations as one sequence, with findings in the compact shape a model reads.
import type { Database } from 'better-sqlite3';
import { AppError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import type { ServerTables } from '../guard/server-tables.js';
import { computeDrift, type DriftAnalysis } from '../migrations/drift.js';
import { readMigrationFolder, type MigrationFolder } from '../migrations/folder.js';
import { readLedger } from '../migrations/ledger.js';
import { lintMigration, type LintFinding } from '../migrations/lint.js';
import { migrationsTouching, replayMigrations } from '../migrations/replay.js';
import { computeMigrationStatus, type MigrationStatus } from '../migrations/status.js';
import type { AnySqliteSnapshot, LoadedSchema, ProjectConfig } from '../project/types.js';
import { introspectDatabase } from '../sqlite/introspect.js';

export interface MigrationState {
  folder: MigrationFolder;
  status: MigrationStatus;
}

/** The folder as it is on disk, joined with the ledger as `read` sees it. */
export function readMigrationState(
  read: Database,
  project: Pick<ProjectConfig, 'outDir' | 'migrationsTable'>,
): MigrationState {
  const folder = readMigrationFolder(project.outDir);
  const status = computeMigrationStatus(folder, readLedger(read, project.migrationsTable));
  return { folder, status };
}

/**
 * Drift: the live database and schema.ts, each against the last migration snapshot. A schema that does not load
 * (or a project without one) is not compared, and `schemaError` says why.
 */
export async function readDrift(
  services: {
    read: Database;
    tables: ServerTables;
    project: Pick<ProjectConfig, 'tablesFilter'>;
    loadSchema(): Promise<LoadedSchema | undefined>;
  },
  { folder, status }: MigrationState,
): Promise<{ drift: DriftAnalysis; schemaError?: string }> {
  let currentSnapshot: AnySqliteSnapshot | undefined;
  let schemaError: string | undefined;
  try {
    const loaded = await services.loadSchema();
    if (loaded) currentSnapshot = loaded.snapshot;
    else schemaError = 'The project configures no schema file, so schema.ts was not compared.';
  } catch (error) {
    // A project setup the server cannot drive (its drizzle-kit) is not a broken schema: say what to do.
    schemaError =
      error instanceof AppError && error.code === 'CONFIG_ERROR'
        ? `schema.ts was not compared: ${error.message}${error.hint ? ` ${error.hint}` : ''}`
        : `schema.ts could not be loaded, so it was not compared: ${(error as Error).message}`;
  }
  const lastTag = folder.latestTag;
  // Replaying the applied migrations costs a few ms per migration: only when there is database drift to explain.
  const database = introspectDatabase(services.read, { rowCounts: false });
  const applied = folder.migrations.filter((migration) =>
    status.entries.some((entry) => entry.state === 'applied' && entry.tag === migration.tag),
  );
  const replayed = () => {
    const schema = replayMigrations(applied);
    return schema && { schema, touching: (table: string) => migrationsTouching(applied, table) };
  };
  const base = {
    database,
    ...(folder.latestSnapshot ? { lastSnapshot: folder.latestSnapshot } : {}),
    ...(lastTag ? { lastMigrationTag: lastTag } : {}),
    ...(currentSnapshot ? { currentSnapshot } : {}),
    pendingMigrations: status.counts.pending,
    serverTables: services.tables,
    ...(services.project.tablesFilter ? { tablesFilter: services.project.tablesFilter } : {}),
  };
  let drift = computeDrift(base);
  if (drift.database && !drift.database.inSync && status.counts.pending === 0 && applied.length > 0) {
    const schema = replayed();
    if (schema) drift = computeDrift({ ...base, replayed: schema });
  }
  return schemaError === undefined ? { drift } : { drift, schemaError };
}

/** One line per status problem with the per-migration advice, for refusals. */
export function describeInconsistency(status: MigrationStatus): string {
  const lines = status.entries
    .filter((entry) => entry.state === 'modified' || entry.state === 'skipped' || entry.state === 'missing')
    .map((entry) =>
      `- ${entry.tag ?? `ledger row ${entry.hash.slice(0, 12)}`} is ${entry.state}: ${entry.note ?? ''}`.trimEnd(),
    );
  for (const finding of status.findings.filter((f) => f.blocks.includes('apply'))) {
    lines.push(`- ${finding.code}: ${finding.message} ${finding.hint}`);
  }
  return lines.join('\n');
}

/** Refuses (INVALID_ARGUMENT) a tag that is not a pending migration, naming the closest and the pending ones. */
export function assertPendingTag({ status }: MigrationState, tag: string): void {
  const pending = status.pending.map((migration) => migration.tag);
  if (pending.includes(tag)) return;
  throw new AppError('INVALID_ARGUMENT', `"${tag}" is not a pending migration.${didYouMean(tag, pending)}`, {
    hint: pending.length
      ? `Pending: ${pending.length > 10 ? `${pending.slice(0, 5).join(', ')} … ${pending.at(-1)}` : pending.join(', ')}.`
      : 'Nothing is pending; migration_status lists the applied ones.',
  });
}

/** Refuses (MIGRATION_CONFLICT) when the folder or the ledger would make applying unsafe, saying what to fix. */
export function assertConsistent(status: MigrationStatus): void {
  if (status.consistent) return;
  throw new AppError(
    'MIGRATION_CONFLICT',
    `Refusing to apply; fix these first (nothing was run):\n${describeInconsistency(status)}`,
    {
      hint: 'Fix each listed problem as its line says (usually: restore the file from version control, or regenerate the migration after the applied ones), then call migration_status to confirm it reports consistent: true. Nothing was changed.',
      details: { counts: status.counts },
    },
  );
}

/** A linter finding as a model reads it: numbered (1-based) within its own migration file, empty fields left out. */
export type Finding = Omit<LintFinding, 'statementIndex'> & { statement: number };

function compactFinding(finding: LintFinding, offset: number): Finding {
  return {
    code: finding.code,
    severity: finding.severity,
    ...(finding.table !== undefined ? { table: finding.table } : {}),
    ...(finding.column !== undefined ? { column: finding.column } : {}),
    message: finding.message,
    fix: finding.fix,
    statement: finding.statementIndex - offset + 1,
    ...(finding.dataLoss ? { dataLoss: true as const } : {}),
    ...(finding.autofix ? { autofix: finding.autofix } : {}),
  };
}

export interface LintUnit {
  chunks: readonly string[];
}

/**
 * Lints migrations that will run one after another. The linter follows table shapes statement by statement from
 * the live database, so linting each pending migration alone against the database would judge the second one by
 * a schema the first has not built yet; as one sequence every statement sees the shapes before it. Findings come
 * back per unit, numbered within that unit's file.
 */
export function lintSequence(
  db: Database,
  units: readonly LintUnit[],
  options: {
    previousSnapshot?: AnySqliteSnapshot;
    snapshot?: AnySqliteSnapshot;
    protectedTables: readonly string[];
  },
): Finding[][] {
  const all = units.flatMap((unit) => unit.chunks);
  const findings = lintMigration(all, {
    db,
    protectedTables: options.protectedTables,
    ...(options.previousSnapshot ? { previousSnapshot: options.previousSnapshot } : {}),
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
  });
  const starts: number[] = [];
  let offset = 0;
  for (const unit of units) {
    starts.push(offset);
    offset += unit.chunks.length;
  }
  const perUnit: Finding[][] = units.map(() => []);
  for (const finding of findings) {
    let unit = starts.length - 1;
    while (unit > 0 && finding.statementIndex < starts[unit]!) unit -= 1;
    perUnit[unit]?.push(compactFinding(finding, starts[unit] ?? 0));
  }
  return perUnit;
}
