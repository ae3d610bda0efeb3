// What a rehearsal did to the schema, as a person reads it: tables, columns, indexes, views and triggers created,
// dropped or altered, taken from SQLite's own catalogue on the copy before and after (not guessed from the SQL
// text, which may hide a change behind a table rebuild). Invariant: a table rebuilt under the same name with the
// same columns is not a change; one whose columns differ is, column by column.
import type { Database } from 'better-sqlite3';

export interface SchemaChange {
  action: 'create' | 'drop' | 'alter';
  object: 'table' | 'column' | 'index' | 'view' | 'trigger';
  name: string;
  detail?: string;
}

interface CatalogueObject {
  type: 'table' | 'index' | 'view' | 'trigger';
  name: string;
  table: string;
  sql: string | null;
  /** Tables only: "name type [NOT NULL] [DEFAULT x]" per column, in order. */
  columns?: Map<string, string>;
}

export type SchemaCatalogue = Map<string, CatalogueObject>;

const key = (type: string, name: string) => `${type}:${name}`;

/** The user-visible schema objects of `db` (SQLite's internal ones and `skip` left out). */
export function readCatalogue(db: Database, skip: readonly string[] = []): SchemaCatalogue {
  const rows = db
    .prepare(
      `SELECT type, name, tbl_name AS "table", sql FROM sqlite_schema
       WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name`,
    )
    .all() as CatalogueObject[];
  const catalogue: SchemaCatalogue = new Map();
  const columnsOf = db.prepare(
    'SELECT name, type, "notnull" AS required, dflt_value AS dflt FROM pragma_table_info(?)',
  );
  for (const row of rows) {
    if (skip.includes(row.table)) continue;
    if (row.type === 'table') {
      const columns = columnsOf.all(row.name) as Array<{
        name: string;
        type: string;
        required: number;
        dflt: string | null;
      }>;
      row.columns = new Map(
        columns.map((c) => [
          c.name,
          [c.type || 'ANY', c.required ? 'NOT NULL' : '', c.dflt !== null ? `DEFAULT ${c.dflt}` : '']
            .filter(Boolean)
            .join(' '),
        ]),
      );
    }
    catalogue.set(key(row.type, row.name), row);
  }
  return catalogue;
}

/** Changes from `before` to `after`, tables first, then what hangs off them. */
export function diffCatalogues(before: SchemaCatalogue, after: SchemaCatalogue): SchemaChange[] {
  const changes: SchemaChange[] = [];
  for (const [id, object] of after) {
    const old = before.get(id);
    if (!old) {
      changes.push({
        action: 'create',
        object: object.type,
        name: object.name,
        ...(object.type === 'table' ? { detail: [...(object.columns?.keys() ?? [])].join(', ') } : {}),
        ...(object.type === 'index' || object.type === 'trigger' ? { detail: `on ${object.table}` } : {}),
      });
    } else if (object.type === 'table') {
      changes.push(...columnChanges(object.name, old.columns ?? new Map(), object.columns ?? new Map()));
    } else if (old.sql !== object.sql) {
      changes.push({ action: 'alter', object: object.type, name: object.name, detail: 'definition changed' });
    }
  }
  for (const [id, object] of before) {
    if (!after.has(id)) changes.push({ action: 'drop', object: object.type, name: object.name });
  }
  const order = { table: 0, column: 1, index: 2, view: 3, trigger: 4 };
  return changes.sort((a, b) => order[a.object] - order[b.object]);
}

function columnChanges(
  table: string,
  before: Map<string, string>,
  after: Map<string, string>,
): SchemaChange[] {
  const changes: SchemaChange[] = [];
  for (const [name, definition] of after) {
    const old = before.get(name);
    if (old === undefined)
      changes.push({ action: 'create', object: 'column', name: `${table}.${name}`, detail: definition });
    else if (old !== definition)
      changes.push({
        action: 'alter',
        object: 'column',
        name: `${table}.${name}`,
        detail: `${old} → ${definition}`,
      });
  }
  for (const [name, definition] of before) {
    if (!after.has(name))
      changes.push({ action: 'drop', object: 'column', name: `${table}.${name}`, detail: definition });
  }
  return changes;
}
