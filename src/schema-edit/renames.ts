// Which renames made through edit_schema the next generate_migration applies without asking. drizzle-kit cannot
// tell a rename from a drop and an add; the edit knew, so generate is told — but only about renames that are still
// true of the migrations folder: net over every waiting edit (a→b then b→c is a→c; a column added and then renamed
// is no rename at all), from a name the previous snapshot has, and never over an answer the caller gave itself.
// Pure.
import { HINT_SCHEMA } from '../project/diff-plan.js';
import type { MigrationHint, SqliteSnapshot } from '../project/types.js';
import type { Operation } from './operations.js';

type RenameHint = Extract<MigrationHint, { type: 'rename' }>;

/** Follows names through operations: what each table and column is called now, and what it was called first. */
class NameTrail {
  /** Current table name → its name before the first operation (null: created by the operations). */
  private readonly tables = new Map<string, string | null>();
  /** `${original table}\0${current column}` → the column's first name (null: added by the operations). */
  private readonly columns = new Map<string, string | null>();

  private originalTable(table: string): string | null {
    return this.tables.has(table) ? this.tables.get(table)! : table;
  }

  private originalColumn(table: string, column: string): string | null {
    const key = `${table}\0${column}`;
    return this.columns.has(key) ? this.columns.get(key)! : column;
  }

  follow(op: Operation): void {
    const table = this.originalTable(op.table);
    switch (op.op) {
      case 'add_table':
        this.tables.set(op.table, null);
        return;
      case 'rename_table':
        this.tables.delete(op.table);
        this.tables.set(op.to, table);
        return;
      case 'add_column':
        if (table !== null) this.columns.set(`${table}\0${op.column.name}`, null);
        return;
      case 'drop_column':
        if (table !== null) this.columns.delete(`${table}\0${op.column}`);
        return;
      case 'rename_column': {
        if (table === null) return;
        const first = this.originalColumn(table, op.column);
        this.columns.delete(`${table}\0${op.column}`);
        this.columns.set(`${table}\0${op.to}`, first);
        return;
      }
      default:
        return;
    }
  }

  private currentTable(original: string): string {
    for (const [current, first] of this.tables) if (first === original) return current;
    return original;
  }

  hints(): RenameHint[] {
    const hints: RenameHint[] = [];
    for (const [current, first] of this.tables) {
      if (first !== null && first !== current)
        hints.push({ type: 'rename', kind: 'table', from: [HINT_SCHEMA, first], to: [HINT_SCHEMA, current] });
    }
    for (const [key, first] of this.columns) {
      const [table, current] = key.split('\0') as [string, string];
      if (first !== null && first !== current)
        hints.push({
          type: 'rename',
          kind: 'column',
          from: [HINT_SCHEMA, table, first],
          to: [HINT_SCHEMA, this.currentTable(table), current],
        });
    }
    return hints;
  }
}

/**
 * The rename hints for the next diff from `previous`: the net renames of `operations` (every waiting edit's, in
 * the order they were made) whose old name `previous` has, less those the caller answered (`answered`).
 */
export function rememberedRenameHints(
  operations: readonly Operation[],
  previous: SqliteSnapshot,
  answered: readonly MigrationHint[] = [],
): RenameHint[] {
  const trail = new NameTrail();
  for (const op of operations) trail.follow(op);
  const tables = previous.tables as Record<string, { columns?: Record<string, unknown> } | undefined>;
  const answeredKey = (hint: MigrationHint) =>
    hint.type === 'rename'
      ? hint.to.slice(1).join('.')
      : 'entity' in hint
        ? hint.entity.slice(1).join('.')
        : '';
  const taken = new Set(answered.map((hint) => `${hint.kind}:${answeredKey(hint)}`));
  return trail.hints().filter((hint) => {
    if (taken.has(`${hint.kind}:${answeredKey(hint)}`)) return false;
    const table = tables[hint.from[1]];
    return hint.kind === 'table' ? table !== undefined : table?.columns?.[hint.from[2]!] !== undefined;
  });
}
