// Schema drift, in sentences a model can act on. Two comparisons share one differ: the live database against the
// last migration snapshot (hand edits, or migrations not yet applied) and that snapshot against schema.ts (a
// migration needs generating). Both sides are first reduced to one neutral model, and every comparison goes through
// the same normalisation, so a difference is reported only when SQLite would behave differently — never for
// `(CURRENT_TIMESTAMP)` vs `CURRENT_TIMESTAMP`, `TEXT` vs `text`, `true` vs `1`, a primary key's implicit NOT NULL,
// or a CHECK that drizzle-kit's own introspection truncated or copied onto the wrong table (#4574).
import type { DatabaseSchema } from '../sqlite/introspect.js';
import { toAction } from '../sqlite/introspect.js';
import { namesTable, serverTables, type ServerTables } from '../guard/server-tables.js';
import { tablesFilterMatcher } from '../project/tables-filter.js';
import { snapshotTables, snapshotViews } from '../project/snapshot-v7.js';
import type { AnySqliteSnapshot } from '../project/types.js';
import { normalizeExpression, type ReferentialAction } from '../sql/ddl.js';
import { asciiLower } from '../sql/tokenizer.js';

// ---------------------------------------------------------------------------------------------------------------
// The neutral model

export interface ModelColumn {
  name: string;
  type: string;
  notNull: boolean;
  default?: string;
  autoincrement: boolean;
  generated?: { kind: 'virtual' | 'stored'; expression?: string };
}

export interface ModelIndex {
  name: string;
  columns: string[];
  unique: boolean;
  where?: string;
}

export interface ModelForeignKey {
  columns: string[];
  table: string;
  to: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

export interface ModelCheck {
  name?: string;
  expression: string;
  /** The expression may be cut short (drizzle-kit introspection bug #4574): match it as a prefix. */
  truncated?: boolean;
  /** The same check name appears on several tables of a snapshot (#4574): absence elsewhere is not drift. */
  shared?: boolean;
}

export interface ModelTable {
  name: string;
  columns: ModelColumn[];
  primaryKey: string[];
  indexes: ModelIndex[];
  /** UNIQUE constraints declared in the table (as column lists). */
  uniques: string[][];
  foreignKeys: ModelForeignKey[];
  checks: ModelCheck[];
}

export interface SchemaModel {
  tables: ModelTable[];
  views: string[];
}

export function modelFromDatabase(schema: DatabaseSchema): SchemaModel {
  return {
    // Virtual tables and the shadow tables SQLite keeps for them are made by custom SQL, never by a snapshot.
    tables: schema.tables
      .filter((t) => !t.virtual && t.shadowOf === undefined)
      .map((t) => ({
        name: t.name,
        columns: t.columns.map((c) => ({
          name: c.name,
          type: c.type,
          notNull: c.notNull,
          ...(c.default === undefined ? {} : { default: c.default }),
          autoincrement: c.autoincrement === true,
          ...(c.generated ? { generated: c.generated } : {}),
        })),
        primaryKey: t.columns
          .filter((c) => c.primaryKey !== undefined)
          .sort((a, b) => a.primaryKey! - b.primaryKey!)
          .map((c) => c.name),
        indexes: t.indexes
          .filter((i) => i.origin === 'index')
          .map((i) => ({
            name: i.name,
            columns: i.columns,
            unique: i.unique,
            ...(i.where ? { where: i.where } : {}),
          })),
        uniques: t.indexes.filter((i) => i.origin === 'unique').map((i) => i.columns),
        foreignKeys: t.foreignKeys.map((f) => ({ ...f })),
        checks: t.checks.map((c) => ({ ...c })),
      })),
    views: schema.views.map((v) => v.name),
  };
}

/** Reduces a drizzle-kit SQLite snapshot (version 5/6, or 1.0's version 7) to the neutral model. */
export function modelFromSnapshot(snapshot: AnySqliteSnapshot): SchemaModel {
  const tables = snapshotTables(snapshot);
  const checkNameCounts = new Map<string, number>();
  for (const t of tables) {
    for (const c of Object.values(t.checkConstraints ?? {}))
      checkNameCounts.set(c.name, (checkNameCounts.get(c.name) ?? 0) + 1);
  }
  return {
    tables: tables.map((t) => {
      const columns = Object.values(t.columns);
      const composite = Object.values(t.compositePrimaryKeys ?? {})[0];
      return {
        name: t.name,
        columns: columns.map((c) => ({
          name: c.name,
          type: c.type,
          notNull: c.notNull,
          ...(c.default === undefined || c.default === null ? {} : { default: defaultText(c.default) }),
          autoincrement: c.autoincrement === true,
          ...(c.generated ? { generated: { kind: c.generated.type, expression: c.generated.as } } : {}),
        })),
        primaryKey: composite ? composite.columns : columns.filter((c) => c.primaryKey).map((c) => c.name),
        indexes: Object.values(t.indexes ?? {}).map((i) => ({
          name: i.name,
          columns: i.columns,
          unique: i.isUnique,
          ...(i.where ? { where: i.where } : {}),
        })),
        uniques: Object.values(t.uniqueConstraints ?? {}).map((u) => u.columns),
        foreignKeys: Object.values(t.foreignKeys ?? {}).map((f) => ({
          columns: f.columnsFrom,
          table: f.tableTo,
          to: f.columnsTo,
          onDelete: toAction(f.onDelete),
          onUpdate: toAction(f.onUpdate),
        })),
        checks: Object.values(t.checkConstraints ?? {}).map((c) => ({
          name: c.name,
          expression: c.value,
          ...(isUnbalanced(c.value) ? { truncated: true } : {}),
          ...((checkNameCounts.get(c.name) ?? 0) > 1 ? { shared: true } : {}),
        })),
      };
    }),
    views: snapshotViews(snapshot),
  };
}

function defaultText(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function isUnbalanced(expression: string): boolean {
  let depth = 0;
  for (const c of expression) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
  }
  return depth !== 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison

export type DriftStatus =
  'missing_in_db' | 'extra_in_db' | 'missing_in_migrations' | 'extra_in_migrations' | 'differs';

export interface DriftTable {
  table: string;
  /** Present for views; absent for tables. */
  kind?: 'view';
  status: DriftStatus;
  differences: string[];
  /**
   * The differences that are what the applied migrations' own SQL builds (their SQL was edited after drizzle-kit
   * wrote the snapshot), and the migrations that touch this table, latest last: not outside changes.
   */
  fromMigrationSql?: { differences: string[]; migrations: string[] };
}

export interface DriftReport {
  inSync: boolean;
  /** What was compared with what, e.g. "the database vs the last migration snapshot (0003_add_mood)". */
  compared: string;
  tables: DriftTable[];
  /** What to do about it (absent when in sync). */
  advice?: string;
}

export interface CompareLabels {
  /** The side that says how things should be, e.g. "the migrations" or "schema.ts". */
  expected: string;
  /** The side that is checked, e.g. "the database" or "the migrations". */
  actual: string;
  /** Status of a table only on the expected side / only on the actual side. */
  missing: DriftStatus;
  extra: DriftStatus;
  compared: string;
}

/** Compares two models table by table; the sentences name which side has what. */
export function compareSchemas(
  expected: SchemaModel,
  actual: SchemaModel,
  labels: CompareLabels,
): DriftReport {
  const tables: DriftTable[] = [];
  const actualByName = new Map(actual.tables.map((t) => [t.name, t]));
  const expectedNames = new Set(expected.tables.map((t) => t.name));
  const e = labels.expected;
  const a = labels.actual;

  for (const want of sortByName(expected.tables)) {
    const have = actualByName.get(want.name);
    if (!have) {
      tables.push({
        table: want.name,
        status: labels.missing,
        differences: [`table ${want.name}: in ${e}, missing in ${a}`],
      });
      continue;
    }
    const differences = compareTables(want, have, e, a);
    if (differences.length > 0) tables.push({ table: want.name, status: 'differs', differences });
  }
  for (const have of sortByName(actual.tables)) {
    if (!expectedNames.has(have.name)) {
      tables.push({
        table: have.name,
        status: labels.extra,
        differences: [`table ${have.name}: in ${a}, not in ${e}`],
      });
    }
  }
  const actualViews = new Set(actual.views);
  const expectedViews = new Set(expected.views);
  for (const view of [...expectedViews].sort()) {
    if (!actualViews.has(view))
      tables.push({
        table: view,
        kind: 'view',
        status: labels.missing,
        differences: [`view ${view}: in ${e}, missing in ${a}`],
      });
  }
  for (const view of [...actualViews].sort()) {
    if (!expectedViews.has(view))
      tables.push({
        table: view,
        kind: 'view',
        status: labels.extra,
        differences: [`view ${view}: in ${a}, not in ${e}`],
      });
  }
  return { inSync: tables.length === 0, compared: labels.compared, tables };
}

function sortByName<T extends { name: string }>(items: T[]): T[] {
  return [...items].sort((x, y) => x.name.localeCompare(y.name));
}

const list = (columns: string[]) => `(${columns.join(', ')})`;
const sameList = (x: string[], y: string[]) =>
  x.length === y.length && x.every((v, i) => asciiLower(v) === asciiLower(y[i]!));
const normType = (type: string) => asciiLower(type.trim()).replace(/\s+/g, ' ');
const normDefault = (value: string | undefined) =>
  value === undefined || /^null$/i.test(value.trim()) ? undefined : normalizeExpression(value);

function isRowidAlias(table: ModelTable, column: ModelColumn): boolean {
  return (
    table.primaryKey.length === 1 &&
    asciiLower(table.primaryKey[0]!) === asciiLower(column.name) &&
    normType(column.type) === 'integer'
  );
}

function compareTables(want: ModelTable, have: ModelTable, e: string, a: string): string[] {
  const out: string[] = [];
  const t = want.name;
  const haveColumns = new Map(have.columns.map((c) => [asciiLower(c.name), c]));
  const wantColumns = new Set(want.columns.map((c) => asciiLower(c.name)));

  for (const wc of want.columns) {
    const hc = haveColumns.get(asciiLower(wc.name));
    const where = `column ${t}.${wc.name}`;
    if (!hc) {
      out.push(`${where}: in ${e}, missing in ${a}`);
      continue;
    }
    if (normType(wc.type) !== normType(hc.type))
      out.push(`${where}: type ${wc.type || '(none)'} in ${e}, ${hc.type || '(none)'} in ${a}`);
    // An INTEGER PRIMARY KEY is the rowid and can never hold NULL, whatever the declaration says.
    const wantNotNull = wc.notNull || isRowidAlias(want, wc);
    const haveNotNull = hc.notNull || isRowidAlias(have, hc);
    if (wantNotNull !== haveNotNull) {
      out.push(
        `${where}: ${wantNotNull ? 'NOT NULL' : 'nullable'} in ${e}, ${haveNotNull ? 'NOT NULL' : 'nullable'} in ${a}`,
      );
    }
    if (!wc.generated && !hc.generated && normDefault(wc.default) !== normDefault(hc.default)) {
      out.push(`${where}: default ${wc.default ?? 'none'} in ${e}, ${hc.default ?? 'none'} in ${a}`);
    }
    if (wc.autoincrement !== hc.autoincrement) {
      out.push(
        `${where}: ${wc.autoincrement ? 'AUTOINCREMENT' : 'no AUTOINCREMENT'} in ${e}, ${hc.autoincrement ? 'AUTOINCREMENT' : 'no AUTOINCREMENT'} in ${a}`,
      );
    }
    const describeGenerated = (c: ModelColumn) =>
      c.generated
        ? `generated ${c.generated.kind}${c.generated.expression ? ` as ${parenthesised(c.generated.expression)}` : ''}`
        : 'a plain column';
    if (
      Boolean(wc.generated) !== Boolean(hc.generated) ||
      (wc.generated &&
        hc.generated &&
        (wc.generated.kind !== hc.generated.kind ||
          !sameExpression(wc.generated.expression, hc.generated.expression)))
    ) {
      out.push(`${where}: ${describeGenerated(wc)} in ${e}, ${describeGenerated(hc)} in ${a}`);
    }
  }
  for (const hc of have.columns) {
    if (!wantColumns.has(asciiLower(hc.name))) out.push(`column ${t}.${hc.name}: in ${a}, not in ${e}`);
  }

  if (!sameList(want.primaryKey, have.primaryKey)) {
    const show = (pk: string[]) => (pk.length ? list(pk) : 'none');
    out.push(`primary key of ${t}: ${show(want.primaryKey)} in ${e}, ${show(have.primaryKey)} in ${a}`);
  }

  const haveIndexes = new Map(have.indexes.map((i) => [i.name, i]));
  const wantIndexNames = new Set(want.indexes.map((i) => i.name));
  for (const wi of sortByName(want.indexes)) {
    const hi = haveIndexes.get(wi.name);
    const where = `index ${wi.name} on ${t}`;
    if (!hi) {
      out.push(`${where}: ${describeIndex(wi)} in ${e}, missing in ${a}`);
      continue;
    }
    if (!sameList(wi.columns.map(normalizeExpression), hi.columns.map(normalizeExpression))) {
      out.push(`${where}: columns ${list(wi.columns)} in ${e}, ${list(hi.columns)} in ${a}`);
    }
    if (wi.unique !== hi.unique)
      out.push(
        `${where}: ${wi.unique ? 'unique' : 'not unique'} in ${e}, ${hi.unique ? 'unique' : 'not unique'} in ${a}`,
      );
    if (!sameExpression(wi.where, hi.where)) {
      out.push(
        `${where}: ${wi.where ? `WHERE ${wi.where}` : 'no WHERE'} in ${e}, ${hi.where ? `WHERE ${hi.where}` : 'no WHERE'} in ${a}`,
      );
    }
  }
  for (const hi of sortByName(have.indexes)) {
    if (!wantIndexNames.has(hi.name))
      out.push(`index ${hi.name} on ${t}: ${describeIndex(hi)} in ${a}, not in ${e}`);
  }

  const uniqueKey = (columns: string[]) => columns.map((c) => asciiLower(c)).join(',');
  const haveUniques = new Set(have.uniques.map(uniqueKey));
  const wantUniques = new Set(want.uniques.map(uniqueKey));
  for (const u of want.uniques)
    if (!haveUniques.has(uniqueKey(u))) out.push(`UNIQUE ${list(u)} on ${t}: in ${e}, missing in ${a}`);
  for (const u of have.uniques)
    if (!wantUniques.has(uniqueKey(u))) out.push(`UNIQUE ${list(u)} on ${t}: in ${a}, not in ${e}`);

  const fkKey = (f: ModelForeignKey) => `${uniqueKey(f.columns)}>${asciiLower(f.table)}(${uniqueKey(f.to)})`;
  const describeFk = (f: ModelForeignKey) => `foreign key ${t}${list(f.columns)} → ${f.table}${list(f.to)}`;
  const haveFks = new Map(have.foreignKeys.map((f) => [fkKey(f), f]));
  const wantFkKeys = new Set(want.foreignKeys.map(fkKey));
  for (const wf of want.foreignKeys) {
    const hf = haveFks.get(fkKey(wf));
    if (!hf) {
      out.push(`${describeFk(wf)}: in ${e}, missing in ${a}`);
      continue;
    }
    if (wf.onDelete !== hf.onDelete)
      out.push(`${describeFk(wf)}: ON DELETE ${wf.onDelete} in ${e}, ${hf.onDelete} in ${a}`);
    if (wf.onUpdate !== hf.onUpdate)
      out.push(`${describeFk(wf)}: ON UPDATE ${wf.onUpdate} in ${e}, ${hf.onUpdate} in ${a}`);
  }
  for (const hf of have.foreignKeys)
    if (!wantFkKeys.has(fkKey(hf))) out.push(`${describeFk(hf)}: in ${a}, not in ${e}`);

  out.push(...compareChecks(want, have, e, a));
  return out;
}

function parenthesised(expression: string): string {
  const trimmed = expression.trim();
  return trimmed.startsWith('(') && !isUnbalanced(trimmed.slice(1, -1)) && trimmed.endsWith(')')
    ? trimmed
    : `(${trimmed})`;
}

function describeIndex(index: ModelIndex): string {
  return `${index.unique ? 'unique ' : ''}${list(index.columns)}${index.where ? ` WHERE ${index.where}` : ''}`;
}

function sameExpression(x: string | undefined, y: string | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  return normalizeExpression(x) === normalizeExpression(y);
}

function checkMatches(want: ModelCheck, have: ModelCheck): boolean {
  const w = normalizeExpression(want.expression);
  const h = normalizeExpression(have.expression);
  if (want.truncated || have.truncated) {
    const [short, long] = w.length <= h.length ? [w, h] : [h, w];
    return long.startsWith(short.replace(/\s*\($/, ''));
  }
  return w === h;
}

function compareChecks(want: ModelTable, have: ModelTable, e: string, a: string): string[] {
  const out: string[] = [];
  const t = want.name;
  const matched = new Set<ModelCheck>();
  const label = (c: ModelCheck) => `CHECK ${c.name ? `${c.name} ` : ''}on ${t}`;
  for (const wc of want.checks) {
    const sameName = wc.name === undefined ? undefined : have.checks.find((hc) => hc.name === wc.name);
    const hit = sameName ?? have.checks.find((hc) => !matched.has(hc) && checkMatches(wc, hc));
    if (hit) {
      matched.add(hit);
      if (!checkMatches(wc, hit))
        out.push(`${label(wc)}: (${wc.expression}) in ${e}, (${hit.expression}) in ${a}`);
    } else if (!wc.shared) {
      out.push(`${label(wc)}: (${wc.expression}) in ${e}, missing in ${a}`);
    }
  }
  for (const hc of have.checks) {
    if (!matched.has(hc) && !hc.shared) out.push(`${label(hc)}: (${hc.expression}) in ${a}, not in ${e}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The two drift questions

export interface DriftInput {
  /** The live database, introspected (row counts not needed). Omit to skip the database comparison. */
  database?: DatabaseSchema;
  /**
   * The snapshot the database is compared with, normally the last one in the migrations folder (then pending
   * migrations show up as drift). Undefined with a database given: no migrations yet, so every table is "extra".
   */
  lastSnapshot?: AnySqliteSnapshot;
  /** Name of `lastSnapshot`'s migration, for the report (e.g. "0003_add_mood"). */
  lastMigrationTag?: string;
  /** The snapshot of schema.ts now (from the kit worker). Omit when the schema did not load. */
  currentSnapshot?: AnySqliteSnapshot;
  /** Pending migrations: when > 0, database drift is explained as "not applied yet" first. */
  pendingMigrations?: number;
  /**
   * The server's own tables: those it hides (the ledger; our audit table unless the snapshots declare it) are
   * left out of both sides. Default: the defaults' ledger and audit table, in the project database.
   */
  serverTables?: ServerTables;
  /** drizzle.config.ts `tablesFilter` globs, decided as drizzle-kit decides them (src/project/tables-filter.ts). */
  tablesFilter?: string[];
  /**
   * What the applied migrations' SQL builds on an empty database (src/migrations/replay.ts), and which migrations
   * touch each table: differences it shares with the live database come from the SQL, not from outside.
   */
  replayed?: { schema: DatabaseSchema; touching: (table: string) => string[] };
}

export interface DriftAnalysis {
  /** True when every comparison that was made found nothing. */
  inSync: boolean;
  /** The live database vs the last migration snapshot. */
  database?: DriftReport;
  /** The last migration snapshot vs schema.ts. */
  schema?: DriftReport;
}

export function computeDrift(input: DriftInput): DriftAnalysis {
  const tables = input.serverTables ?? serverTables();
  const inFilter = tablesFilterMatcher(input.tablesFilter);
  /** Each comparison leaves out the server's tables that the declaring side (the snapshots) does not declare. */
  const restrict = (model: SchemaModel, declaredBy: readonly SchemaModel[]): SchemaModel => {
    const hidden = tables.hidden(declaredBy.flatMap((declaring) => declaring.tables.map((t) => t.name)));
    const keep = (name: string) => !/^sqlite_/i.test(name) && !namesTable(hidden, name) && inFilter(name);
    return { tables: model.tables.filter((t) => keep(t.name)), views: model.views.filter(keep) };
  };
  const empty: SchemaModel = { tables: [], views: [] };
  const lastModel = input.lastSnapshot ? modelFromSnapshot(input.lastSnapshot) : empty;
  const last = restrict(lastModel, [lastModel]);
  const lastName = input.lastSnapshot
    ? `the last migration snapshot${input.lastMigrationTag ? ` (${input.lastMigrationTag})` : ''}`
    : 'no migrations';
  const result: DriftAnalysis = { inSync: true };

  if (input.database) {
    const live = restrict(modelFromDatabase(input.database), [lastModel]);
    const report = compareSchemas(last, live, {
      expected: 'the migrations',
      actual: 'the database',
      missing: 'missing_in_db',
      extra: 'extra_in_db',
      compared: `the database vs ${lastName}`,
    });
    if (!report.inSync) {
      const pending = input.pendingMigrations ?? 0;
      const fromSql =
        pending === 0 && input.lastSnapshot && input.replayed
          ? attributeToMigrationSql(
              report,
              last,
              restrict(modelFromDatabase(input.replayed.schema), [lastModel]),
              input.replayed.touching,
            )
          : [];
      const outside = report.tables.some(
        (table) => table.differences.length > (table.fromMigrationSql?.differences.length ?? 0),
      );
      const sqlAdvice = fromSql.length
        ? `${outside ? 'Some differences' : 'The differences'} (${fromSql.join(', ')}) come from the migrations' own SQL, which differs from the snapshots drizzle-kit wrote (edited by hand, or written by another drizzle-kit version): the database is what the migrations build, nothing was changed outside them. To make schema.ts say the same, change it to match and generate a migration; or leave it.`
        : undefined;
      report.advice =
        pending > 0
          ? `${pending} migration${pending === 1 ? ' is' : 's are'} not applied yet, which explains differences they contain: run apply_migrations (dry run first), then check again; what remains was changed outside the migrations.`
          : !input.lastSnapshot
            ? 'The project has no migrations yet: generate one with generate_migration (its first migration should create what the database already has, or start from an empty database).'
            : !outside && sqlAdvice
              ? sqlAdvice
              : `The database was changed outside the migrations${sqlAdvice ? " (the tables not marked as coming from the migrations' SQL)" : ''}: either write a migration that makes the schema match (edit schema.ts, then generate_migration), or undo the manual change.${sqlAdvice ? ` ${sqlAdvice}` : ''}`;
    }
    result.database = report;
  }

  if (input.currentSnapshot) {
    const currentModel = modelFromSnapshot(input.currentSnapshot);
    const current = restrict(currentModel, [currentModel, lastModel]);
    const report = compareSchemas(current, last, {
      expected: 'schema.ts',
      actual: 'the migrations',
      missing: 'missing_in_migrations',
      extra: 'extra_in_migrations',
      compared: `schema.ts vs ${lastName}`,
    });
    if (!report.inSync)
      report.advice =
        'schema.ts has changes no migration contains yet: run generate_migration, review its SQL and lint findings, then apply_migrations.';
    result.schema = report;
  }
  result.inSync = (result.database?.inSync ?? true) && (result.schema?.inSync ?? true);
  return result;
}

/**
 * Marks, table by table, the differences of `report` that the replayed migrations share (the same sentence comes
 * out of comparing the snapshot with what the SQL builds): those were written into the migrations, not made
 * outside them. Returns the tables with any such difference.
 */
function attributeToMigrationSql(
  report: DriftReport,
  last: SchemaModel,
  replayed: SchemaModel,
  touching: (table: string) => string[],
): string[] {
  const labels: CompareLabels = {
    expected: 'the migrations',
    actual: 'the database',
    missing: 'missing_in_db',
    extra: 'extra_in_db',
    compared: '',
  };
  const built = new Set(compareSchemas(last, replayed, labels).tables.flatMap((table) => table.differences));
  const marked: string[] = [];
  for (const table of report.tables) {
    const differences = table.differences.filter((difference) => built.has(difference));
    if (differences.length === 0) continue;
    table.fromMigrationSql = { differences, migrations: touching(table.table) };
    marked.push(table.table);
  }
  return marked;
}
