// What each operation that needs a person puts in front of them: a plan built from what the operation will run
// and what its rehearsal showed. Invariant: a builder is a pure function of the folder, the database and the
// arguments as they are when it runs, so a follow-up call rebuilds the same plan — and the same hash — exactly
// when nothing the person was shown has changed. What a plan is bound to is chosen per operation (see
// notes/consent-design.md §3) and lives in `binding`, which the hash covers with the rest.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type {
  PlanContent,
  PlanFinding,
  PlanReason,
  PlanStatement,
  RowChangeSample,
  RowDelta,
} from '../consent/plan.js';
import type { DryRunReport, TableRowCount } from '../migrations/dry-run.js';
import type { ExistingRowChange } from '../migrations/effects.js';
import { asciiLower } from '../sql/tokenizer.js';
import { isEmptyChunk } from '../migrations/sql-text.js';
import type { Finding } from './migration-state.js';

/** The database a plan was made on: its file and the sha256 of its schema (every CREATE in sqlite_schema). */
export function databaseBinding(db: Database, file: string): { file: string; schema: string } {
  const sql = db
    .prepare(`SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_schema ORDER BY type, name`)
    .pluck()
    .all() as string[];
  return { file, schema: createHash('sha256').update(sql.join('\n')).digest('hex') };
}

/** A file as the person knows it: relative to the project when it lives there, else as it is. */
export function shownPath(root: string, file: string): string {
  const relative = path.relative(root, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Arguments as the binding keeps them: without the plan id itself, which names the plan rather than shapes it. */
export function planArguments(input: Record<string, unknown>): Record<string, unknown> {
  const { planId: _planId, ...rest } = input;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

const asDelta = (count: TableRowCount): RowDelta => ({
  table: count.table,
  before: count.before,
  after: count.after,
});

/**
 * Rows per table before → after, with the existing rows rewritten where the rehearsal measured any: a table whose
 * count does not move is listed too when its rows change (an UPDATE loses the old values as surely as a DELETE).
 */
export function migrationRowDeltas(counts: TableRowCount[], rowChanges: ExistingRowChange[]): RowDelta[] {
  const changed = new Map(rowChanges.map((change) => [asciiLower(change.table), change.updated]));
  return counts
    .filter((count) => count.before !== count.after || changed.has(asciiLower(count.table)))
    .map((count) => {
      const updated = changed.get(asciiLower(count.table));
      return { ...asDelta(count), ...(updated ? { changed: updated } : {}) };
    });
}

/** Pending migrations that would destroy or change data: every statement, the rehearsal's effects, the findings. */
export function migrationPlan(input: {
  report: DryRunReport;
  /** The pending migrations' chunks as the folder holds them, in order (findings number them). */
  pending: ReadonlyArray<{ tag: string; chunks: readonly string[] }>;
  findings: Finding[][];
  /** Data the migrations destroy, worded for the person. */
  losses: string[];
  /** Existing rows the migrations change or remove, per table (migrations/effects.ts). */
  rowChanges: ExistingRowChange[];
  /** The same, worded for the person. */
  changes: string[];
  rowCounts: TableRowCount[];
  database: { file: string; schema: string };
  /** The database file as the title names it (see shownPath). */
  databaseName: string;
  /** How many migrations the ledger says were applied when the rehearsal started. */
  applied: number;
  folder: string;
  args: Record<string, unknown>;
}): PlanContent {
  const { report, pending } = input;
  const planFindings: PlanFinding[] = [];
  const touched = new Set(input.rowChanges.map((change) => asciiLower(change.table)));
  const steps = pending.map((migration, step) => {
    const mine = input.findings[step] ?? [];
    const effects = report.migrations.find((rehearsed) => rehearsed.tag === migration.tag)?.effects;
    const statements: PlanStatement[] = [];
    migration.chunks.forEach((chunk, chunkIndex) => {
      if (isEmptyChunk(chunk)) return;
      const here = mine.filter((finding) => finding.statement === chunkIndex + 1);
      const loss = here.find((finding) => finding.dataLoss);
      const rewrite = effects?.statements.find(
        (effect) =>
          effect.statement === chunkIndex + 1 &&
          effect.updated + effect.deleted > 0 &&
          touched.has(asciiLower(effect.table)),
      );
      for (const finding of here)
        planFindings.push({
          severity: finding.severity,
          code: finding.code,
          message: finding.message,
          fix: finding.fix,
          step,
          statement: statements.length,
        });
      statements.push({
        sql: chunk.trim(),
        ...(loss
          ? { risk: 'data_loss' as const, note: loss.message }
          : rewrite
            ? {
                risk: 'data_change' as const,
                note: `changes existing rows of ${rewrite.table}: ${rewrite.updated} updated, ${rewrite.deleted} deleted`,
              }
            : {}),
      });
    });
    return { label: migration.tag, statements };
  });
  const reasons: PlanReason[] = [
    ...input.changes.map((message) => ({ code: 'data_change' as const, message })),
    ...input.losses.map((message) => ({ code: 'data_loss' as const, message })),
  ];
  return {
    kind: 'apply_migrations',
    title: `Apply ${plural(pending.length, 'migration')} to ${input.databaseName}`,
    reasons,
    steps,
    effects: {
      rowDeltas: migrationRowDeltas(input.rowCounts, input.rowChanges),
      findings: planFindings,
      schemaChanges: report.schemaChanges,
      rowChanges: [],
    },
    binding: {
      database: input.database,
      appliedMigrations: input.applied,
      folder: input.folder,
      pendingMigrations: report.pendingHashes,
      arguments: input.args,
    },
  };
}

/** A write over the budget: the statement with its values, how many rows change, and some of them. */
export function writePlan(input: {
  tool: string;
  sql: string;
  params?: unknown;
  table: string;
  wouldAffect: number;
  budget: number;
  /** Why the write counts as unbounded (no WHERE, a REPLACE from a SELECT), when it does. */
  unboundedReason?: string;
  /** Set when the session's budget, not the call's, is what ran out (guard/write-budget.ts). */
  session?: { used: number; budget: number };
  sample?: RowChangeSample;
  database: { file: string; schema: string };
  args: Record<string, unknown>;
}): PlanContent {
  const rows = plural(input.wouldAffect, 'row');
  return {
    kind: 'write',
    title: `Change ${rows} of ${input.table}`,
    reasons: [
      {
        code: 'over_budget',
        message: `${input.tool} would change ${rows} (cascades and triggers included); without your approval at most ${input.budget} may change ${input.session ? `now: this session's writes have already changed ${input.session.used} of the ${input.session.budget} rows allowed without approval` : 'in one call'}${input.unboundedReason ? ` (${input.unboundedReason})` : ''}.`,
      },
    ],
    steps: [
      {
        label: input.tool,
        statements: [
          {
            sql: input.sql,
            ...(input.params !== undefined ? { params: JSON.stringify(input.params) } : {}),
            risk: 'data_change',
            note: `changes ${rows}`,
          },
        ],
      },
    ],
    effects: {
      rowDeltas: [],
      findings: [],
      schemaChanges: [],
      rowChanges: input.sample ? [input.sample] : [],
    },
    binding: { database: input.database, wouldAffect: input.wouldAffect, arguments: input.args },
  };
}

/** How many of the changes a restore undoes its reason names (all of them are in the findings). */
const MAX_UNDONE_NAMED = 10;

/** A restore that would undo changes: the replacement, what it undoes, and the rows per table before → after. */
export function restorePlan(input: {
  backup: { id: string; createdAt: string; reason: string; sha256: string };
  /** The changes recorded after the backup, described; undefined when the backup cannot tell. */
  undone: string[] | undefined;
  /** Tables whose live content differs from the backup's, described (rows the application wrote itself count). */
  replaced: string[];
  rowDeltas: RowDelta[];
  database: { file: string; schema: string };
  databaseName: string;
  args: Record<string, unknown>;
}): PlanContent {
  const { backup, undone } = input;
  return {
    kind: 'restore',
    title: `Restore backup ${backup.id} over ${input.databaseName}`,
    reasons: [
      ...(undone === undefined || undone.length > 0
        ? [
            {
              code: 'undo_changes' as const,
              message:
                undone === undefined
                  ? 'The backup does not record where the audit log stood, so changes made after it cannot be ruled out; they would be undone.'
                  : `${plural(undone.length, 'change')} recorded after the backup would be undone: ${undone.slice(-MAX_UNDONE_NAMED).join('; ')}${undone.length > MAX_UNDONE_NAMED ? ` (the newest ${MAX_UNDONE_NAMED})` : ''}.`,
            },
          ]
        : []),
      ...(input.replaced.length > 0
        ? [
            {
              code: 'undo_changes' as const,
              message: `The content of ${plural(input.replaced.length, 'table')} differs from the backup and would be replaced (rows the application wrote itself included): ${input.replaced.slice(0, MAX_UNDONE_NAMED).join('; ')}${input.replaced.length > MAX_UNDONE_NAMED ? ` (and ${input.replaced.length - MAX_UNDONE_NAMED} more)` : ''}.`,
            },
          ]
        : []),
    ],
    steps: [
      {
        label: `restore ${backup.id} (taken ${backup.createdAt}: ${backup.reason})`,
        statements: [
          {
            sql: `-- replace the whole database with backup ${backup.id}; the current one is backed up first`,
            risk: 'data_loss',
            note: 'everything written after the backup is replaced',
          },
        ],
      },
    ],
    effects: {
      rowDeltas: input.rowDeltas,
      findings: [
        ...(undone ?? []).map((change) => ({
          severity: 'warning' as const,
          code: 'UNDONE',
          message: change,
        })),
        ...input.replaced.map((table) => ({
          severity: 'warning' as const,
          code: 'REPLACED',
          message: table,
        })),
      ],
      schemaChanges: [],
      rowChanges: [],
    },
    binding: {
      database: input.database,
      backup: { id: backup.id, sha256: backup.sha256 },
      arguments: input.args,
    },
  };
}
