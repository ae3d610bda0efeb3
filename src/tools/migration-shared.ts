// What the four migration tools share: reading the folder against the ledger, linting pending and new migrations
// as one sequence, compact shapes for findings, the audit-trail questions a restore asks ("which changes came
// after this backup?"), and the one-at-a-time rule for the tools that change the database file.
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type { AuditRow } from '../audit/audit-log.js';
import { AppError } from '../core/errors.js';
import { readMigrationFolder, type MigrationFolder } from '../migrations/folder.js';
import { readLedger } from '../migrations/ledger.js';
import { lintMigration, type LintFinding } from '../migrations/lint.js';
import { computeMigrationStatus, type MigrationStatus } from '../migrations/status.js';
import type { AnySqliteSnapshot } from '../project/types.js';
import type { Services } from '../app/services.js';

export interface MigrationState {
  folder: MigrationFolder;
  status: MigrationStatus;
}

/** The folder as it is on disk, joined with the ledger as the read connection sees it. */
export function readMigrationState(services: Services): MigrationState {
  const folder = readMigrationFolder(services.project.outDir);
  const status = computeMigrationStatus(folder, readLedger(services.read, services.project.migrationsTable));
  return { folder, status };
}

export const FindingSchema = z.object({
  code: z
    .string()
    .describe(
      'Linter code, e.g. DS103 (column dropped), SQ201 (rebuild of a parent with cascading children).',
    ),
  severity: z.enum(['error', 'warning', 'info']),
  table: z.string().optional(),
  column: z.string().optional(),
  message: z.string().describe('Why it matters.'),
  fix: z.string().describe('What to do about it.'),
  statement: z.number().describe('1-based statement (chunk) number in the migration file.'),
  dataLoss: z
    .literal(true)
    .optional()
    .describe('Applying this can destroy data: apply_migrations asks the human first.'),
  autofix: z
    .object({ description: z.string(), statements: z.array(z.string()) })
    .optional()
    .describe(
      'A safe mechanical rewrite of that statement (empty statements: remove it); edit the file to use it.',
    ),
});
export type Finding = z.infer<typeof FindingSchema>;

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

/** Refuses (MIGRATION_CONFLICT) when the folder or the ledger would make applying unsafe, saying what to fix. */
export function assertConsistent(status: MigrationStatus): void {
  if (status.consistent) return;
  throw new AppError(
    'MIGRATION_CONFLICT',
    `Refusing to apply: the migrations folder and the database's migration ledger disagree.\n${describeInconsistency(status)}`,
    {
      hint: 'Fix each listed problem as its line says (usually: restore the file from version control, or regenerate the migration after the applied ones), then call migration_status to confirm it reports consistent: true. Nothing was changed.',
      details: { counts: status.counts },
    },
  );
}

/** "#12 apply_migrations (migration:0001_x) at 2025-…" */
export function describeAuditRow(row: AuditRow): string {
  const target = row.targetType ? ` (${row.targetType}:${row.targetId ?? ''})` : '';
  return `#${row.id} ${row.tool}${target} at ${row.createdAt}${row.client ? ` by ${row.client}` : ''}`;
}

/** The writable connection, or a refusal naming the launch option that took it away. */
export function writableConnection(services: Services, tool: string): Database {
  if (services.write && !services.config.readOnly) return services.write;
  throw new AppError('READ_ONLY_MODE', `${tool} is disabled: the server was started with --read-only.`, {
    hint: 'Only the human can allow changes, by restarting the server without --read-only in their client config.',
  });
}

/** Sends a progress notification without letting a failing transport affect the work. */
export function notifyProgress(
  send: (progress: number, total?: number, message?: string) => Promise<void>,
  progress: number,
  total: number,
  message: string,
): void {
  send(progress, total, message).catch(() => undefined);
}

/** Keeps long SQL readable in a model's context. */
export function capText(text: string, max: number): { text: string; truncated: boolean } {
  return text.length <= max
    ? { text, truncated: false }
    : { text: `${text.slice(0, max)}…[+${text.length - max} chars]`, truncated: true };
}
