// Reads drizzle-kit 1.0's SQLite snapshot (version "7": a flat `ddl` array of entities tagged `entityType`) as the
// per-table shape of drizzle-kit 0.x's version "6", so the code that reads snapshots (drift, the linter) has one
// shape to read whichever line wrote the file. Invariant: nothing is invented or merged — a 0.x unique *index* stays
// an index and a 1.0 inline UNIQUE stays a unique constraint, because drizzle-kit 1.0 treats them as different and
// generates a rebuild to turn one into the other. Entity shapes: drizzle-kit 1.0.0-rc.5 `payload-sqlite.d.mts`
// (`snapshotValidator`).
import type { AnySqliteSnapshot, SqliteSnapshot, SqliteSnapshotV7 } from './types.js';

/** One table as drizzle-kit 0.x's snapshot (version 5/6) describes it. */
export interface V6Table {
  name: string;
  columns: Record<string, V6Column>;
  indexes: Record<string, { name: string; columns: string[]; isUnique: boolean; where?: string }>;
  foreignKeys: Record<
    string,
    {
      name: string;
      tableFrom: string;
      columnsFrom: string[];
      tableTo: string;
      columnsTo: string[];
      onDelete?: string;
      onUpdate?: string;
    }
  >;
  compositePrimaryKeys: Record<string, { name: string; columns: string[] }>;
  uniqueConstraints: Record<string, { name: string; columns: string[] }>;
  checkConstraints: Record<string, { name: string; value: string }>;
}

export interface V6Column {
  name: string;
  type: string;
  primaryKey: boolean;
  notNull: boolean;
  autoincrement?: boolean;
  default?: unknown;
  generated?: { type: 'stored' | 'virtual'; as: string };
}

export function isSnapshotV7(snapshot: AnySqliteSnapshot): snapshot is SqliteSnapshotV7 {
  return Array.isArray((snapshot as { ddl?: unknown }).ddl);
}

/** The snapshots a snapshot was generated after: `prevIds` in 1.0 (several for a merge), `[prevId]` in 0.x. */
export function snapshotParents(snapshot: AnySqliteSnapshot): string[] {
  return isSnapshotV7(snapshot) ? [...snapshot.prevIds] : [snapshot.prevId];
}

/** Every table of either snapshot version, in the version-6 shape. */
export function snapshotTables(snapshot: AnySqliteSnapshot | undefined): V6Table[] {
  if (!snapshot) return [];
  if (!isSnapshotV7(snapshot))
    return Object.values((snapshot as SqliteSnapshot).tables as Record<string, V6Table>);
  return tablesFromDdl(snapshot.ddl);
}

/** The view names of either snapshot version. */
export function snapshotViews(snapshot: AnySqliteSnapshot | undefined): string[] {
  if (!snapshot) return [];
  if (isSnapshotV7(snapshot)) {
    return entities(snapshot.ddl)
      .filter((entity) => entity.entityType === 'views')
      .map((entity) => String(entity.name));
  }
  const views = (snapshot as { views?: Record<string, { name: string }> }).views ?? {};
  return Object.values(views).map((view) => view.name);
}

type Entity = Record<string, unknown> & { entityType: string };

function entities(ddl: readonly unknown[]): Entity[] {
  return ddl.filter(
    (entity): entity is Entity =>
      typeof entity === 'object' && entity !== null && typeof (entity as Entity).entityType === 'string',
  );
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

function tablesFromDdl(ddl: readonly unknown[]): V6Table[] {
  const tables = new Map<string, V6Table>();
  const tableOf = (name: unknown): V6Table | undefined => tables.get(String(name));
  const all = entities(ddl);
  for (const entity of all) {
    if (entity.entityType !== 'tables') continue;
    const name = String(entity.name);
    tables.set(name, {
      name,
      columns: {},
      indexes: {},
      foreignKeys: {},
      compositePrimaryKeys: {},
      uniqueConstraints: {},
      checkConstraints: {},
    });
  }
  for (const entity of all) {
    const table = tableOf(entity.table);
    if (!table) continue;
    const name = String(entity.name);
    switch (entity.entityType) {
      case 'columns': {
        const generated = entity.generated as V6Column['generated'] | null | undefined;
        table.columns[name] = {
          name,
          type: String(entity.type ?? ''),
          primaryKey: false,
          notNull: entity.notNull === true,
          ...(entity.autoincrement === true ? { autoincrement: true } : {}),
          ...(entity.default === null || entity.default === undefined ? {} : { default: entity.default }),
          ...(generated ? { generated } : {}),
        };
        break;
      }
      case 'pks': {
        const columns = strings(entity.columns);
        if (columns.length === 1) {
          const column = table.columns[columns[0]!];
          if (column) column.primaryKey = true;
        } else if (columns.length > 1) {
          table.compositePrimaryKeys[name] = { name, columns };
        }
        break;
      }
      case 'fks':
        table.foreignKeys[name] = {
          name,
          tableFrom: table.name,
          columnsFrom: strings(entity.columns),
          tableTo: String(entity.tableTo),
          columnsTo: strings(entity.columnsTo),
          ...(typeof entity.onDelete === 'string' ? { onDelete: entity.onDelete.toLowerCase() } : {}),
          ...(typeof entity.onUpdate === 'string' ? { onUpdate: entity.onUpdate.toLowerCase() } : {}),
        };
        break;
      case 'indexes':
        // An "auto" index is SQLite's own for a constraint, which the `uniques`/`pks` entities already describe.
        if (entity.origin === 'auto') break;
        table.indexes[name] = {
          name,
          columns: (Array.isArray(entity.columns) ? entity.columns : []).map((column: unknown) =>
            typeof column === 'object' && column !== null
              ? String((column as { value?: unknown }).value)
              : String(column),
          ),
          isUnique: entity.isUnique === true,
          ...(typeof entity.where === 'string' ? { where: entity.where } : {}),
        };
        break;
      case 'uniques':
        table.uniqueConstraints[name] = { name, columns: strings(entity.columns) };
        break;
      case 'checks':
        table.checkConstraints[name] = { name, value: String(entity.value) };
        break;
    }
  }
  return [...tables.values()];
}
