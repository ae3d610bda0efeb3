// Two snapshots → the SQL drizzle-kit would write, without ever letting drizzle-kit prompt. Invariant: runs inside the
// kit worker (drizzle-kit may print or exit); every rename-or-create decision is made by diff-plan.ts first.
import { planDiff } from './diff-plan.js';
import { loadKitApi } from './kit-api.js';
import type { DiffResult, MigrationHint, SqliteSnapshot } from './types.js';

export interface DiffInput {
  prev: SqliteSnapshot;
  cur: SqliteSnapshot;
  hints?: MigrationHint[];
}

export async function diffSnapshots(input: DiffInput): Promise<DiffResult> {
  const plan = planDiff(input.prev, input.cur, input.hints ?? []);
  if (plan.kind === 'missing_hints') return { status: 'missing_hints', missingHints: plan.missingHints };
  if (plan.kind === 'invalid_hints') {
    return {
      status: 'error',
      message: plan.message,
      hint: 'Answer each missing hint with a rename whose `from` is one of its candidates, or with create.',
    };
  }
  const { generateSQLiteMigration } = await loadKitApi();
  type KitSnapshot = Parameters<typeof generateSQLiteMigration>[0];
  const generated: string[] = [];
  for (const phase of plan.phases) {
    // Each phase is a complete drizzle-kit answer (a rebuild's PRAGMA pair included): concatenate, never merge.
    const [prev, cur] = withoutUnchangedTables(phase.prev, phase.cur);
    generated.push(
      ...(await generateSQLiteMigration(prev as unknown as KitSnapshot, cur as unknown as KitSnapshot)),
    );
  }
  const statements = [...plan.renameStatements, ...generated];
  const lost = lostRenames(plan.renameStatements, generated);
  if (lost)
    return {
      status: 'error',
      message: lost,
      hint: 'Split the change in two migrations: the rename first, then the other change.',
    };

  const { version, dialect, prevId: _prevId, id, ...rest } = input.cur;
  const snapshot = {
    version,
    dialect,
    id,
    prevId: input.prev.id,
    ...rest,
    _meta: plan.meta,
  } as SqliteSnapshot;
  if (statements.length === 0) return { status: 'no_changes', snapshot };
  return { status: 'ok', statements, snapshot, renames: plan.renames };
}

/**
 * The pair without the tables that are identical on both sides. drizzle-kit's SQLite differ writes statements per
 * table — every statement, rebuild and index it emits is derived from that table's own entries (and the snapshot's
 * `internal`, kept) — so a table equal on both sides contributes nothing, yet validating, copying and diffing it is
 * most of the differ's time on a large schema. Views and everything else stay as they are.
 */
export function withoutUnchangedTables(
  prev: SqliteSnapshot,
  cur: SqliteSnapshot,
): [SqliteSnapshot, SqliteSnapshot] {
  const prevTables = (prev.tables ?? {}) as Record<string, unknown>;
  const curTables = (cur.tables ?? {}) as Record<string, unknown>;
  const unchanged = new Set<string>();
  for (const [name, table] of Object.entries(prevTables)) {
    if (name in curTables && JSON.stringify(table) === JSON.stringify(curTables[name])) unchanged.add(name);
  }
  if (unchanged.size === 0) return [prev, cur];
  const keep = (tables: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(tables).filter(([name]) => !unchanged.has(name)));
  return [
    { ...prev, tables: keep(prevTables) } as SqliteSnapshot,
    { ...cur, tables: keep(curTables) } as SqliteSnapshot,
  ];
}

/**
 * drizzle-kit's statement combiner, when a table is rebuilt in the same migration as a column rename, drops the
 * RENAME COLUMN and copies rows by the new name. Our renames run before anything drizzle-kit writes, against a
 * previous snapshot that already carries the new names, so this should never trigger; if a generated rebuild still
 * reads a column by its pre-rename name, refuse rather than write a migration that fails (or loses the column).
 */
function lostRenames(renameStatements: string[], generated: string[]): string | undefined {
  for (const rename of renameStatements) {
    const match = /^ALTER TABLE `([^`]+)` RENAME COLUMN `([^`]+)` TO `([^`]+)`;$/.exec(rename);
    if (!match) continue;
    const [, table, from] = match;
    const copy = generated.find(
      (sql) => sql.startsWith('INSERT INTO `__new_' + table + '`') && sql.includes('"' + from + '"'),
    );
    if (copy)
      return `drizzle-kit's rebuild of "${table}" still reads the old column name "${from}" after its rename.`;
  }
  return undefined;
}
