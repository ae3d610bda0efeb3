// Two snapshots → the SQL drizzle-kit would write, without ever letting drizzle-kit prompt. Invariant: runs inside the
// kit worker (drizzle-kit may print or exit); every rename-or-create decision is made by diff-plan.ts first.
import { planDiff } from './diff-plan.js';
import { loadKitApi } from './kit-api.js';
import type { KitRef } from './kit-resolve.js';
import type { DiffResult, MigrationHint, SqliteSnapshot } from './types.js';

export interface DiffInput {
  prev: SqliteSnapshot;
  cur: SqliteSnapshot;
  hints?: MigrationHint[];
  /** The drizzle-kit 0.x to diff with (the project's); ours when absent. */
  kit?: KitRef;
}

export async function diffSnapshots(input: DiffInput): Promise<DiffResult> {
  const hints = input.hints ?? [];
  // planDiff gives a snapshot without views an empty set (the written snapshot has one); do it before copying.
  if (typeof input.cur.views !== 'object' || input.cur.views === null) input.cur.views = {};
  // Without hints nothing is renamed, so a table equal on both sides stays equal through the plan and adds nothing:
  // plan on the differing tables only (with hints, a rename can rewrite the foreign keys of any table).
  const [prev, cur] =
    hints.length === 0 ? withoutUnchangedTables(input.prev, input.cur) : [input.prev, input.cur];
  const plan = planDiff(prev, cur, hints);
  if (plan.kind === 'missing_hints') return { status: 'missing_hints', missingHints: plan.missingHints };
  if (plan.kind === 'invalid_hints') {
    return {
      status: 'error',
      message: plan.message,
      hint: 'Answer each missing hint with a rename whose `from` is one of its candidates, or with create.',
    };
  }
  const { generateSQLiteMigration } = await loadKitApi(input.kit);
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
    if (name in curTables && sameJson(table, curTables[name])) unchanged.add(name);
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
 * Whether `JSON.stringify(a) === JSON.stringify(b)`, without building the strings (a snapshot table is a few KB; a
 * 100-table schema compared both ways is most of the diff's time). Plain JSON data is compared in place, key order
 * included; anything else (a toJSON method, a non-plain object) falls back to the strings themselves.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return jsonText(a) === jsonText(b);
  if (!isPlainContainer(a) || !isPlainContainer(b)) return jsonText(a) === jsonText(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i += 1) if (!sameJson(inArray(a[i]), inArray(b[i]))) return false;
    return true;
  }
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  const aKeys = Object.keys(aRecord);
  const bKeys = Object.keys(bRecord);
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < aKeys.length && !isSerialised(aRecord[aKeys[i]!])) i += 1;
    while (j < bKeys.length && !isSerialised(bRecord[bKeys[j]!])) j += 1;
    if (i === aKeys.length || j === bKeys.length) return i === aKeys.length && j === bKeys.length;
    const key = aKeys[i]!;
    if (key !== bKeys[j] || !sameJson(aRecord[key], bRecord[key])) return false;
    i += 1;
    j += 1;
  }
}

function jsonText(value: unknown): string | undefined {
  return JSON.stringify(value);
}

function isPlainContainer(value: object): boolean {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === Array.prototype || proto === null;
}

/** stringify writes these object members not at all. */
function isSerialised(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

/** stringify writes these array items as null. */
function inArray(value: unknown): unknown {
  return isSerialised(value) ? value : null;
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
