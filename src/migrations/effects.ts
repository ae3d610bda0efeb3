// What a migration did to the data and the schema, measured while it runs — the same way in the dry run on a copy
// and in the real apply, so the two can be compared (a statement can tell the copy from the real file: its name,
// its size, the time) and the apply rolled back when they differ. Plain data, so a consent request (or a plan)
// can carry it.
//
// Per data statement: SQLite's own count of the rows the statement changed (changes(), which leaves out what
// its triggers did), total_changes() around it (which includes them), and the target table's row count before
// and after. From these: rows inserted, updated and deleted per table. An upsert's or REPLACE's mix of new and
// replaced rows follows from the count delta; a copy into a new table (a rebuild) changes existing rows only
// when it does not copy its columns as they are. Per migration: the schema objects created, dropped or changed.
import type { Database } from 'better-sqlite3';
import { quoteIdentifier } from '../sql/identifiers.js';
import { asciiLower } from '../sql/tokenizer.js';
import { nameOf } from '../sql/ddl.js';
import { effectiveStatement } from '../sql/effective-text.js';
import type { ClassifiedStatement } from './lint-sql.js';

export interface TableEffect {
  table: string;
  inserted: number;
  /** Existing rows whose values changed (an UPDATE, the update of an upsert, a REPLACE, a copy that changes values). */
  updated: number;
  /** Existing rows removed (DELETE, and REPLACE/UPDATE OR REPLACE conflict deletions). */
  deleted: number;
}

/** One data statement's share of a migration's effects. */
export interface StatementEffect extends TableEffect {
  /** 1-based chunk of the migration file. */
  statement: number;
  /** The statement's effective text (sql/effective-text.ts): what a person reviewing the change should read. */
  text: string;
}

export interface MigrationEffects {
  /** Per table the migration's statements wrote to, sorted by name. */
  tables: TableEffect[];
  /** Per data statement, in order: what each one wrote (a copy that changes values counts on its source). */
  statements: StatementEffect[];
  /** Rows changed by triggers the statements fired (not attributed to a table). */
  triggered: number;
  /** Schema objects ("type name") created, dropped or whose SQL changed, each sorted. */
  schema: { created: string[]; dropped: string[]; changed: string[] };
}

/** What needs the human's consent: rows that existed before the batch and were changed or removed. */
export interface ExistingRowChange {
  table: string;
  updated: number;
  deleted: number;
  /** The statements that changed them ("tag statement N: effective text"). */
  statements: string[];
}

interface Counter {
  inserted: number;
  updated: number;
  deleted: number;
}

type SchemaMap = Map<string, string | null>;

function schemaMap(db: Database): SchemaMap {
  const rows = db
    .prepare(`SELECT type, name, sql FROM main.sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`)
    .all() as Array<{ type: string; name: string; sql: string | null }>;
  return new Map(rows.map((row) => [`${row.type} ${row.name}`, row.sql]));
}

/** Accumulates one migration's effects, statement by statement. */
export class EffectMeter {
  private readonly counters = new Map<string, Counter & { table: string }>();
  private readonly statements: StatementEffect[] = [];
  private triggered = 0;
  private readonly schemaBefore: SchemaMap;
  private readonly totalChanges;
  private readonly changes;

  constructor(
    private readonly db: Database,
    /** Lower-cased names of tables created earlier in this batch (copies into them change no existing row). */
    private readonly createdInBatch: Set<string>,
  ) {
    this.schemaBefore = schemaMap(db);
    this.totalChanges = db.prepare('SELECT total_changes()').pluck();
    this.changes = db.prepare('SELECT changes()').pluck();
  }

  private count(table: string): number | undefined {
    try {
      return this.db
        .prepare(`SELECT count(*) FROM main.${quoteIdentifier(table)}`)
        .pluck()
        .get() as number;
    } catch {
      return undefined; // not a table (a view with INSTEAD OF triggers), or absent
    }
  }

  private counter(table: string): Counter {
    const key = asciiLower(table);
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { table, inserted: 0, updated: 0, deleted: 0 };
      this.counters.set(key, counter);
    }
    return counter;
  }

  /** Runs `run` (one statement) and records what it did. */
  measure(
    classified: ClassifiedStatement,
    statement: { chunk: number; text: string },
    run: () => void,
  ): void {
    if (classified.kind === 'create_table') this.createdInBatch.add(asciiLower(classified.parsed.table));
    if (
      (classified.kind !== 'write' && classified.kind !== 'insert_select') ||
      classified.table === undefined
    ) {
      const before = this.totalChanges.get() as number;
      run();
      this.triggered += (this.totalChanges.get() as number) - before;
      return;
    }
    const target = classified.table;
    const countBefore = this.count(target);
    const totalBefore = this.totalChanges.get() as number;
    run();
    // changes(): the rows this statement itself changed (its triggers' rows are in total_changes() only).
    const changes = this.changes.get() as number;
    const total = (this.totalChanges.get() as number) - totalBefore;
    const countAfter = this.count(target);
    const delta =
      countBefore !== undefined && countAfter !== undefined ? countAfter - countBefore : undefined;
    this.triggered += Math.max(0, total - changes);
    const own: Counter = { inserted: 0, updated: 0, deleted: 0 };
    const verb = classified.kind === 'write' ? classified.verb : 'INSERT';
    if (verb === 'DELETE') {
      own.deleted = changes;
    } else if (verb === 'UPDATE') {
      own.updated = changes;
      // UPDATE OR REPLACE deletes the rows it collides with.
      own.deleted = Math.max(0, -(delta ?? 0));
    } else if (delta === undefined) {
      own.inserted = changes;
    } else {
      // INSERT / REPLACE (an upsert, OR REPLACE, from VALUES or a SELECT): the new rows are what the count grew
      // by; the rest of what it changed replaced or updated rows that were there.
      own.inserted = Math.max(0, delta);
      own.updated = Math.max(0, changes - own.inserted);
      own.deleted = Math.max(0, -delta);
    }
    this.record(target, own, statement);
    // A copy from an existing table into a new one (a rebuild) keeps the rows unless it computes their values.
    if (classified.kind === 'insert_select') {
      const source = classified.from;
      if (
        source !== undefined &&
        !this.createdInBatch.has(asciiLower(source)) &&
        transformsValues(classified)
      )
        this.record(source, { inserted: 0, updated: changes, deleted: 0 }, statement);
    }
  }

  private record(table: string, own: Counter, statement: { chunk: number; text: string }): void {
    if (own.inserted + own.updated + own.deleted === 0) return;
    const counter = this.counter(table);
    counter.inserted += own.inserted;
    counter.updated += own.updated;
    counter.deleted += own.deleted;
    this.statements.push({
      statement: statement.chunk,
      text: effectiveStatement(statement.text),
      table,
      ...own,
    });
  }

  /** The migration's effects so far (call after its last statement). */
  result(): MigrationEffects {
    const after = schemaMap(this.db);
    const created: string[] = [];
    const dropped: string[] = [];
    const changed: string[] = [];
    for (const [key, sql] of after) {
      if (!this.schemaBefore.has(key)) created.push(key);
      else if (this.schemaBefore.get(key) !== sql) changed.push(key);
    }
    for (const key of this.schemaBefore.keys()) if (!after.has(key)) dropped.push(key);
    return {
      tables: [...this.counters.values()]
        .filter((c) => c.inserted + c.updated + c.deleted > 0)
        .sort((a, b) => a.table.localeCompare(b.table)),
      statements: this.statements,
      triggered: this.triggered,
      schema: { created: created.sort(), dropped: dropped.sort(), changed: changed.sort() },
    };
  }
}

/** Whether an INSERT … SELECT computes any value instead of copying a column as it is. */
function transformsValues(insert: Extract<ClassifiedStatement, { kind: 'insert_select' }>): boolean {
  return insert.selectItems.some(
    (item) =>
      !(item.length === 1 && nameOf(item[0]) !== undefined && item[0]!.kind !== 'string') &&
      !(item.length === 3 && item[1]?.text === '.' && nameOf(item[2]) !== undefined),
  );
}

/** Rows that existed before the batch and were changed or removed, per table (what needs the human's consent). */
export function existingRowChanges(
  migrations: ReadonlyArray<{ tag: string; effects?: MigrationEffects | undefined }>,
  existedBefore: (table: string) => boolean,
): ExistingRowChange[] {
  const byTable = new Map<string, ExistingRowChange>();
  for (const { tag, effects } of migrations) {
    for (const effect of effects?.statements ?? []) {
      if (effect.updated + effect.deleted === 0 || !existedBefore(effect.table)) continue;
      const key = asciiLower(effect.table);
      const entry = byTable.get(key) ?? { table: effect.table, updated: 0, deleted: 0, statements: [] };
      entry.updated += effect.updated;
      entry.deleted += effect.deleted;
      entry.statements.push(`${tag} statement ${effect.statement}: ${effect.text}`);
      byTable.set(key, entry);
    }
  }
  return [...byTable.values()].sort((a, b) => a.table.localeCompare(b.table));
}

/** Where two measurements of the same migrations differ, in words; empty when they agree. */
export function compareEffects(
  tags: readonly string[],
  expected: readonly MigrationEffects[],
  actual: readonly MigrationEffects[],
): string[] {
  const differences: string[] = [];
  tags.forEach((tag, i) => {
    const want = JSON.stringify(expected[i] ?? null);
    const got = JSON.stringify(actual[i] ?? null);
    if (want !== got)
      differences.push(
        `${tag}: rehearsal ${describeEffects(expected[i])}; real ${describeEffects(actual[i])}`,
      );
  });
  return differences;
}

export function describeEffects(effects: MigrationEffects | undefined): string {
  if (!effects) return 'nothing';
  const tables = effects.tables.map((t) => `${t.table} +${t.inserted} ~${t.updated} -${t.deleted}`);
  const schema = [
    ...effects.schema.created.map((s) => `created ${s}`),
    ...effects.schema.dropped.map((s) => `dropped ${s}`),
    ...effects.schema.changed.map((s) => `changed ${s}`),
  ];
  return (
    [...tables, ...(effects.triggered ? [`${effects.triggered} by triggers`] : []), ...schema].join(', ') ||
    'nothing'
  );
}
