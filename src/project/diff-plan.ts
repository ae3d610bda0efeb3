// Decides, before drizzle-kit ever sees two snapshots, every rename-or-create question its differ would ask
// interactively. Invariant: the snapshots this module hands to `generateSQLiteMigration` never contain a table with both
// added and removed columns, nor both added and removed tables or views — so the differ's prompt is unreachable.
// Renames are applied by rewriting a copy of the previous snapshot (plus our own ALTER … RENAME statements, run first);
// "create" answers are honoured by diffing in two phases through an intermediate snapshot (drops first, then adds).
// Pure: no I/O, no drizzle-kit import; the kit worker runs the diff itself.
import type {
  AppliedRename,
  ColumnEntity,
  MigrationHint,
  MissingHint,
  SqliteSnapshot,
  TableEntity,
} from './types.js';

/** drizzle-kit 1.0 puts "public" in the schema slot of entity tuples for dialects without schemas. */
export const HINT_SCHEMA = 'public';

interface SnapshotColumn {
  name: string;
  [key: string]: unknown;
}
interface SnapshotIndex {
  name: string;
  columns: string[];
  [key: string]: unknown;
}
interface SnapshotForeignKey {
  name: string;
  tableFrom: string;
  columnsFrom: string[];
  tableTo: string;
  columnsTo: string[];
  [key: string]: unknown;
}
interface SnapshotNamedColumns {
  name: string;
  columns: string[];
  [key: string]: unknown;
}
interface SnapshotTable {
  name: string;
  columns: Record<string, SnapshotColumn>;
  indexes: Record<string, SnapshotIndex>;
  foreignKeys: Record<string, SnapshotForeignKey>;
  compositePrimaryKeys: Record<string, SnapshotNamedColumns>;
  uniqueConstraints: Record<string, SnapshotNamedColumns>;
  checkConstraints: Record<string, { name: string; value: string }>;
  [key: string]: unknown;
}

export type DiffPlan =
  | { kind: 'missing_hints'; missingHints: MissingHint[] }
  | { kind: 'invalid_hints'; message: string }
  | {
      kind: 'plan';
      /** Our ALTER … RENAME statements, to run before anything drizzle-kit generates. */
      renameStatements: string[];
      renames: AppliedRename[];
      /** Diff these pairs with drizzle-kit, in order, and concatenate. One pair unless a two-phase diff is needed. */
      phases: Array<{ prev: SqliteSnapshot; cur: SqliteSnapshot }>;
      /** drizzle-kit's `_meta` for the written snapshot (rename keys as the CLI records them). */
      meta: {
        schemas: Record<string, string>;
        tables: Record<string, string>;
        columns: Record<string, string>;
      };
    };

export function planDiff(
  prev: SqliteSnapshot,
  cur: SqliteSnapshot,
  hints: readonly MigrationHint[] = [],
): DiffPlan {
  const prevTables = tablesOf(prev);
  const curTables = tablesOf(cur);
  const missing: MissingHint[] = [];
  const renames: AppliedRename[] = [];
  const renameStatements: string[] = [];
  const meta = {
    schemas: {} as Record<string, string>,
    tables: {} as Record<string, string>,
    columns: {} as Record<string, string>,
  };

  // Tables.
  const addedTables = Object.keys(curTables).filter((name) => !(name in prevTables));
  const removedTables = new Set(Object.keys(prevTables).filter((name) => !(name in curTables)));
  const tableRenames = new Map<string, string>(); // old → new
  for (const hint of hints) {
    if (hint.type !== 'rename' || hint.kind !== 'table') continue;
    const from = hint.from[1];
    const to = hint.to[1];
    if (!addedTables.includes(to)) continue; // drizzle-kit 1.0 ignores hints that match nothing in the diff
    if (!removedTables.has(from) || [...tableRenames.keys()].includes(from)) {
      return invalid(
        `The rename hint for table "${to}" names "${from}" as its old name, but no unmatched table "${from}" was removed.`,
        removedTables,
      );
    }
    tableRenames.set(from, to);
  }
  const createdTables = addedTables.filter((name) => ![...tableRenames.values()].includes(name));
  const droppedTables = [...removedTables].filter((name) => !tableRenames.has(name));
  const tablesNeedTwoPhases = createdTables.length > 0 && droppedTables.length > 0;
  if (tablesNeedTwoPhases) {
    for (const name of createdTables) {
      if (!hasCreateHint(hints, 'table', name)) {
        missing.push({
          type: 'rename_or_create',
          kind: 'table',
          entity: [HINT_SCHEMA, name],
          candidates: droppedTables.map((old): TableEntity => [HINT_SCHEMA, old]),
        });
      }
    }
  }

  const patched = structuredClone(prev) as SqliteSnapshot;
  const patchedTables = tablesOf(patched);
  for (const [from, to] of tableRenames) {
    renameTable(patchedTables, from, to);
    renameStatements.push(`ALTER TABLE \`${from}\` RENAME TO \`${to}\`;`);
    renames.push({ kind: 'table', from, to });
    meta.tables[`"${from}"`] = `"${to}"`;
  }

  // Columns, per table present on both sides (after table renames, as drizzle-kit's differ does).
  const columnPhaseSplits = new Map<string, string[]>(); // table → created columns moved to phase two
  const oldNameOf = new Map([...tableRenames].map(([from, to]) => [to, from]));
  for (const [tableName, curTable] of Object.entries(curTables)) {
    const prevTable = patchedTables[tableName];
    if (!prevTable) continue;
    const added = Object.keys(curTable.columns).filter((c) => !(c in prevTable.columns));
    const removed = new Set(Object.keys(prevTable.columns).filter((c) => !(c in curTable.columns)));
    const columnRenames = new Map<string, string>();
    for (const hint of hints) {
      if (hint.type !== 'rename' || hint.kind !== 'column') continue;
      if (hint.to[1] !== tableName || !added.includes(hint.to[2])) continue;
      if (hint.from[1] !== tableName && hint.from[1] !== oldNameOf.get(tableName)) {
        return invalid(
          `The rename hint for column "${tableName}.${hint.to[2]}" names a column of table "${hint.from[1]}"; a column can only be renamed within its table.`,
        );
      }
      const from = hint.from[2];
      if (!removed.has(from) || columnRenames.has(from)) {
        return invalid(
          `The rename hint for column "${tableName}.${hint.to[2]}" names "${from}" as its old name, but no unmatched column "${from}" was removed from "${tableName}".`,
          removed,
        );
      }
      columnRenames.set(from, hint.to[2]);
    }
    for (const [from, to] of columnRenames) {
      renameColumn(patchedTables, tableName, from, to);
      renameStatements.push(`ALTER TABLE \`${tableName}\` RENAME COLUMN \`${from}\` TO \`${to}\`;`);
      renames.push({ kind: 'column', table: tableName, from, to });
      meta.columns[`"${tableName}"."${from}"`] = `"${tableName}"."${to}"`;
    }
    const created = added.filter((c) => ![...columnRenames.values()].includes(c));
    const dropped = [...removed].filter((c) => !columnRenames.has(c));
    if (created.length > 0 && dropped.length > 0) {
      for (const column of created) {
        if (!hasCreateHint(hints, 'column', tableName, column)) {
          missing.push({
            type: 'rename_or_create',
            kind: 'column',
            entity: [HINT_SCHEMA, tableName, column],
            candidates: dropped.map((old): ColumnEntity => [
              HINT_SCHEMA,
              oldNameOf.get(tableName) ?? tableName,
              old,
            ]),
          });
        }
      }
      columnPhaseSplits.set(tableName, created);
    }
  }
  if (missing.length > 0) return { kind: 'missing_hints', missingHints: missing };

  adoptEquivalentNames(patchedTables, curTables);

  // Views: drizzle-kit turns a view "rename" into drop + create anyway, so no hint is needed — only the two phases.
  const prevViews = viewsOf(patched);
  const curViews = viewsOf(cur);
  const createdViews = Object.keys(curViews).filter((name) => !(name in prevViews));
  const viewsNeedTwoPhases =
    createdViews.length > 0 && Object.keys(prevViews).some((name) => !(name in curViews));

  if (!tablesNeedTwoPhases && columnPhaseSplits.size === 0 && !viewsNeedTwoPhases) {
    return { kind: 'plan', renameStatements, renames, phases: [{ prev: patched, cur }], meta };
  }
  const mid = structuredClone(cur) as SqliteSnapshot;
  const midTables = tablesOf(mid);
  if (tablesNeedTwoPhases) for (const name of createdTables) delete midTables[name];
  for (const [tableName, columns] of columnPhaseSplits) {
    const table = midTables[tableName];
    if (table) withoutColumns(table, columns);
  }
  if (viewsNeedTwoPhases) {
    const midViews = viewsOf(mid);
    for (const name of createdViews) delete midViews[name];
  }
  return {
    kind: 'plan',
    renameStatements,
    renames,
    phases: [
      { prev: patched, cur: mid },
      { prev: mid, cur },
    ],
    meta,
  };
}

function invalid(message: string, choices?: Iterable<string>): DiffPlan {
  const list = choices ? [...choices] : [];
  return {
    kind: 'invalid_hints',
    message: list.length > 0 ? `${message} Removed: ${list.join(', ')}.` : message,
  };
}

function hasCreateHint(
  hints: readonly MigrationHint[],
  kind: 'table' | 'column',
  table: string,
  column?: string,
): boolean {
  return hints.some(
    (hint) =>
      hint.type === 'create' &&
      hint.kind === kind &&
      hint.entity[1] === table &&
      (kind === 'table' || hint.entity[2] === column),
  );
}

function tablesOf(snapshot: SqliteSnapshot): Record<string, SnapshotTable> {
  return snapshot.tables as Record<string, SnapshotTable>;
}

function viewsOf(snapshot: SqliteSnapshot): Record<string, unknown> {
  if (typeof snapshot.views !== 'object' || snapshot.views === null) snapshot.views = {};
  return snapshot.views as Record<string, unknown>;
}

/** Mirrors what SQLite's ALTER TABLE … RENAME TO does to the schema: references from other tables follow. */
function renameTable(tables: Record<string, SnapshotTable>, from: string, to: string): void {
  const table = tables[from];
  if (!table) return;
  delete tables[from];
  table.name = to;
  tables[to] = table;
  for (const other of Object.values(tables)) {
    for (const fk of Object.values(other.foreignKeys ?? {})) {
      if (fk.tableFrom === from) fk.tableFrom = to;
      if (fk.tableTo === from) fk.tableTo = to;
    }
  }
}

/** Mirrors ALTER TABLE … RENAME COLUMN: indexes, keys and foreign keys that name the column follow it. */
function renameColumn(
  tables: Record<string, SnapshotTable>,
  tableName: string,
  from: string,
  to: string,
): void {
  const table = tables[tableName];
  const column = table?.columns[from];
  if (!table || !column) return;
  table.columns = Object.fromEntries(
    Object.entries(table.columns).map(([key, value]) =>
      key === from ? [to, { ...value, name: to }] : [key, value],
    ),
  );
  const swap = (columns: string[]) => columns.map((c) => (c === from ? to : c));
  for (const index of Object.values(table.indexes ?? {})) index.columns = swap(index.columns);
  for (const pk of Object.values(table.compositePrimaryKeys ?? {})) pk.columns = swap(pk.columns);
  for (const unique of Object.values(table.uniqueConstraints ?? {})) unique.columns = swap(unique.columns);
  for (const fk of Object.values(table.foreignKeys ?? {})) fk.columnsFrom = swap(fk.columnsFrom);
  for (const other of Object.values(tables)) {
    for (const fk of Object.values(other.foreignKeys ?? {}))
      if (fk.tableTo === tableName) fk.columnsTo = swap(fk.columnsTo);
  }
}

/**
 * SQLite foreign keys and composite primary keys are unnamed in the DDL drizzle-kit writes; their snapshot names are
 * derived from table and column names. After a rename, an identical constraint under its new derived name is the same
 * constraint: adopt the new name so the differ does not rebuild the table for nothing.
 */
function adoptEquivalentNames(
  prevTables: Record<string, SnapshotTable>,
  curTables: Record<string, SnapshotTable>,
): void {
  for (const [tableName, prevTable] of Object.entries(prevTables)) {
    const curTable = curTables[tableName];
    if (!curTable) continue;
    prevTable.foreignKeys = rekeyByContent(prevTable.foreignKeys ?? {}, curTable.foreignKeys ?? {});
    prevTable.compositePrimaryKeys = rekeyByContent(
      prevTable.compositePrimaryKeys ?? {},
      curTable.compositePrimaryKeys ?? {},
    );
  }
}

function rekeyByContent<T extends { name: string }>(
  prev: Record<string, T>,
  cur: Record<string, T>,
): Record<string, T> {
  const contentKey = (value: T) => JSON.stringify({ ...value, name: undefined });
  const curByContent = new Map(Object.entries(cur).map(([key, value]) => [contentKey(value), key]));
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(prev)) {
    const curKey = key in cur ? undefined : curByContent.get(contentKey(value));
    if (curKey !== undefined && !(curKey in prev) && !(curKey in out))
      out[curKey] = { ...value, name: curKey };
    else out[key] = value;
  }
  return out;
}

/** The table as it is before the created columns arrive: everything that mentions them waits for phase two. */
function withoutColumns(table: SnapshotTable, columns: string[]): void {
  const gone = new Set(columns);
  const mentions = (list: string[]) => list.some((c) => gone.has(c));
  for (const column of columns) delete table.columns[column];
  table.indexes = Object.fromEntries(
    Object.entries(table.indexes ?? {}).filter(([, i]) => !mentions(i.columns)),
  );
  table.foreignKeys = Object.fromEntries(
    Object.entries(table.foreignKeys ?? {}).filter(([, f]) => !mentions(f.columnsFrom)),
  );
  table.compositePrimaryKeys = Object.fromEntries(
    Object.entries(table.compositePrimaryKeys ?? {}).filter(([, p]) => !mentions(p.columns)),
  );
  table.uniqueConstraints = Object.fromEntries(
    Object.entries(table.uniqueConstraints ?? {}).filter(([, u]) => !mentions(u.columns)),
  );
  const word = (c: string) =>
    new RegExp(`(^|[^A-Za-z0-9_])${c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`);
  table.checkConstraints = Object.fromEntries(
    Object.entries(table.checkConstraints ?? {}).filter(
      ([, check]) => !columns.some((c) => word(c).test(check.value)),
    ),
  );
}
