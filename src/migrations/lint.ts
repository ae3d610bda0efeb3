// The migration linter: reads a migration's statements (one entry per `--> statement-breakpoint` chunk) and says,
// before anything runs, what it would destroy, what would make it fail on the real data, and which drizzle-kit
// bugs it carries. Invariant: it never changes the database — the connection it is given is only read, with
// bounded queries (row counts stop at `rowCountBound + 1`; data checks run only on tables within the bound) — and
// every finding that can lose data carries `dataLoss: true`, which is what the apply path asks consent for.
//
// | code  | severity         | what                                                                                  |
// |-------|------------------|---------------------------------------------------------------------------------------|
// | DS102 | warning (data)   | DROP TABLE of a table that has (or may have) rows                                      |
// | DS103 | warning (data)   | a column dropped: ALTER TABLE … DROP COLUMN, or left out of a table rebuild's copy      |
// | MF101 | error / warning  | CREATE UNIQUE INDEX on existing data: duplicates found (error) or not checkable        |
// | MF103 | error / warning  | NOT NULL column without a default added to a table that has rows (or may have)         |
// | MF104 | error / warning  | nullable → NOT NULL in a rebuild while the column holds NULLs (or may)                 |
// | BC101 | warning          | table renamed: application code still using the old name breaks                      |
// | BC102 | warning          | column renamed: application code still using the old name breaks                     |
// | SQ201 | warning / info   | table rebuild (`__new_x` copy, DROP, RENAME) of a parent whose children have ON DELETE |
// |       |                  | CASCADE / SET NULL / SET DEFAULT (the stock migrator would change those rows) or rows   |
// |       |                  | under NO ACTION / RESTRICT (the stock migrator would fail)                             |
// | SQ202 | error            | rebuild whose INSERT … SELECT reads a column the old table lacks (drizzle #5822)       |
// | SQ203 | warning / info   | added column's REFERENCES lost its ON DELETE / ON UPDATE action (drizzle #5619)        |
// | SQ204 | error            | empty or comment-only chunk (the stock migrator throws "contains no statements")       |
// | SQ205 | error / info     | transaction control (BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE/END) in a migration;      |
// |       |                  | info when it is the COMMIT/foreign_keys=OFF/BEGIN idiom the apply neutralises          |
// | SQ206 | error / info     | PRAGMA the apply refuses; info for foreign_keys, which the apply neutralises           |
// | SQ207 | warning          | more than one statement in one chunk (the stock migrator's prepare() rejects it)       |
// | SQ208 | error            | VACUUM / ATTACH / DETACH / load_extension(): reaches beyond the database file          |
// | SQ209 | error            | a statement that drops, rebuilds or writes the server's own tables (audit, ledger)     |
// | SQ210 | error            | another statement the apply refuses (TEMP objects, EXPLAIN, control characters)        |
// The SQ205/206/208/209/210 verdicts are the statement policy's (statement-policy.ts): the linter only reports them.
import type { Database } from 'better-sqlite3';
import {
  countRows,
  DEFAULT_ROW_COUNT_BOUND,
  liveColumns,
  toAction,
  type RowCount,
} from '../sqlite/introspect.js';
import { snapshotTables } from '../project/snapshot-v7.js';
import type { AnySqliteSnapshot } from '../project/types.js';
import { isProtectedTable, serverTables } from '../guard/server-tables.js';
import {
  isPunct,
  nameOf,
  normalizeExpression,
  parseCreateIndex,
  quoteIdentifier,
  sliceText,
  splitStatements,
  type ParsedColumn,
  type ReferentialAction,
  type SqlStatement,
  type Token,
} from '../sql/ddl.js';
import { classifyStatement, type ClassifiedStatement, type InsertSelect } from './lint-sql.js';
import { reviewStatements, type Refusal, type ReviewedStatement } from './statement-policy.js';
import { tableNames } from './apply.js';
import { asciiLower } from '../sql/tokenizer.js';

/** Every code the linter reports; tool output schemas list exactly these. */
export const LINT_CODES = [
  'DS102',
  'DS103',
  'MF101',
  'MF103',
  'MF104',
  'BC101',
  'BC102',
  'SQ201',
  'SQ202',
  'SQ203',
  'SQ204',
  'SQ205',
  'SQ206',
  'SQ207',
  'SQ208',
  'SQ209',
  'SQ210',
] as const;
export type LintCode = (typeof LINT_CODES)[number];

export const LINT_SEVERITIES = ['error', 'warning', 'info'] as const;
export type LintSeverity = (typeof LINT_SEVERITIES)[number];

export interface LintAutofix {
  description: string;
  /** What replaces the chunk at `statementIndex` (an empty array removes it). See applyAutofixes. */
  statements: string[];
}

export interface LintFinding {
  code: LintCode;
  severity: LintSeverity;
  table?: string;
  column?: string;
  /** One sentence: why this matters. */
  message: string;
  /** What to do about it. */
  fix: string;
  /** Index of the chunk (entry of the `statements` argument) the finding is about. */
  statementIndex: number;
  /** The statement can destroy data: applying it needs the human's consent. */
  dataLoss?: true;
  autofix?: LintAutofix;
}

export interface LintContext {
  /** The current database, read only (row counts, children, duplicates, NULLs). Without it, data checks are skipped. */
  db?: Database;
  /** The snapshot before this migration: the table shapes when no database is given. */
  previousSnapshot?: AnySqliteSnapshot;
  /** The snapshot this migration produces: the intended foreign-key actions (SQ203). */
  snapshot?: AnySqliteSnapshot;
  /** Data checks run only on tables with at most this many rows. Default 100,000. */
  rowCountBound?: number;
  /** Tables no migration may drop or write: `ServerTables.protected` (default: the defaults' ledger and audit table). */
  protectedTables?: readonly string[];
}

interface ColumnState {
  name: string;
  notNull: boolean;
  hasDefault: boolean;
}

interface TableState {
  columns: ColumnState[];
  /** Name of the live table whose rows this table holds, or null for a table created empty by this migration. */
  dataFrom: string | null;
}

interface ChildReference {
  table: string;
  columns: string[];
  onDelete: ReferentialAction;
}

const REBUILD_PREFIX = '__new_';

/** The finding code for each rule of the statement policy (anything else is SQ210). */
const REFUSAL_CODES: Partial<Record<string, LintCode>> = {
  'transaction-control': 'SQ205',
  pragma: 'SQ206',
  'outside-file': 'SQ208',
  'server-table': 'SQ209',
};

const fmt = (n: number) => n.toLocaleString('en-US');
const describeRows = (count: RowCount) =>
  count.exact
    ? `${fmt(count.count)} row${count.count === 1 ? '' : 's'}`
    : `${count.basis === 'more_than' ? 'more than' : 'about'} ${fmt(count.count)} rows`;

/** Lints one migration. `statements` are its chunks in order (the file split at `--> statement-breakpoint`). */
export function lintMigration(statements: readonly string[], ctx: LintContext = {}): LintFinding[] {
  return new Linter(statements, ctx).run();
}

/** Applies every autofix among `findings` to `statements` (later chunks first, so indexes stay valid). */
export function applyAutofixes(statements: readonly string[], findings: readonly LintFinding[]): string[] {
  const result: string[][] = statements.map((s) => [s]);
  const byIndex = new Map<number, LintAutofix[]>();
  for (const f of findings)
    if (f.autofix) byIndex.set(f.statementIndex, [...(byIndex.get(f.statementIndex) ?? []), f.autofix]);
  for (const [index, fixes] of byIndex) {
    // Two fixes on one chunk would each rewrite the original text: apply only the first, the rest on a re-lint.
    if (index < result.length) result[index] = fixes[0]!.statements;
  }
  return result.flat();
}

class Linter {
  private readonly findings: LintFinding[] = [];
  private readonly tables = new Map<string, TableState | null>();
  private readonly rowCache = new Map<string, RowCount | undefined>();
  private readonly bound: number;
  private readonly protectedTables: readonly string[];
  private readonly rebuildTargets = new Set<string>();

  constructor(
    private readonly chunks: readonly string[],
    private readonly ctx: LintContext,
  ) {
    this.bound = ctx.rowCountBound ?? DEFAULT_ROW_COUNT_BOUND;
    this.protectedTables = ctx.protectedTables ?? serverTables().protected;
  }

  run(): LintFinding[] {
    const parsed = this.chunks.map((chunk) =>
      splitStatements(chunk).map((s) => ({ statement: s, classified: classifyStatement(s) })),
    );
    // The apply's own verdict on each statement, in the same order as `parsed` flattened.
    const verdicts = reviewStatements(this.chunks, {
      tables: { isProtected: (name) => isProtectedTable(name, this.protectedTables) },
      existingTables: this.ctx.db
        ? tableNames(this.ctx.db)
        : snapshotTables(this.ctx.previousSnapshot).map((t) => t.name),
    });
    let position = 0;
    // A rebuild is recognised by its closing rename, wherever it sits in the migration.
    for (const chunk of parsed) {
      for (const { classified: c } of chunk) {
        if (c.kind === 'rename_table' && asciiLower(c.table) === REBUILD_PREFIX + asciiLower(c.to))
          this.rebuildTargets.add(asciiLower(c.to));
      }
    }
    parsed.forEach((chunk, index) => {
      if (chunk.length === 0) {
        this.emptyChunk(index);
        return;
      }
      if (chunk.length > 1) {
        this.add({
          code: 'SQ207',
          severity: 'warning',
          message: `Chunk ${index + 1} holds ${chunk.length} statements; drizzle's own migrate() runs each chunk through prepare(), which rejects more than one statement.`,
          fix: 'Put `--> statement-breakpoint` between the statements.',
          statementIndex: index,
          autofix: {
            description: 'Split the chunk into one chunk per statement.',
            statements: chunk.map((s) => `${s.statement.text};`),
          },
        });
      }
      for (const { statement, classified } of chunk) {
        this.verdict(index, verdicts[position++], classified, chunk.length);
        this.statement(index, statement, classified);
      }
    });
    return this.findings;
  }

  private add(finding: LintFinding): void {
    this.findings.push(finding);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Schema state as the migration proceeds

  private key(table: string): string {
    return asciiLower(table);
  }

  private state(table: string): TableState | undefined {
    const k = this.key(table);
    if (this.tables.has(k)) return this.tables.get(k) ?? undefined;
    const base = this.baseTable(table);
    this.tables.set(k, base ?? null);
    return base;
  }

  private baseTable(table: string): TableState | undefined {
    const { db, previousSnapshot } = this.ctx;
    if (db) {
      const rows = liveColumns(db, table);
      if (rows.length === 0) return undefined;
      return {
        columns: rows.map((r) => ({ name: r.name, notNull: r.notNull, hasDefault: r.defaultSql !== null })),
        dataFrom: this.liveName(table) ?? table,
      };
    }
    const snapshotTable = snapshotTables(previousSnapshot).find(
      (t) => asciiLower(t.name) === asciiLower(table),
    );
    if (!snapshotTable) return undefined;
    return {
      columns: Object.values(snapshotTable.columns).map((c) => ({
        name: c.name,
        notNull: c.notNull,
        hasDefault: c.default !== undefined,
      })),
      dataFrom: snapshotTable.name,
    };
  }

  private liveName(table: string): string | undefined {
    const row = this.ctx.db
      ?.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE`)
      .get(table) as { name: string } | undefined;
    return row?.name;
  }

  private set(table: string, state: TableState | null): void {
    this.tables.set(this.key(table), state);
  }

  /** Rows the table holds at this point of the migration, when knowable (a live table or a copy of one). */
  private rows(table: string): RowCount | undefined {
    const state = this.state(table);
    if (!state) return undefined;
    if (state.dataFrom === null) return { count: 0, exact: true };
    return this.liveRows(state.dataFrom);
  }

  private liveRows(table: string): RowCount | undefined {
    const { db } = this.ctx;
    if (!db) return undefined;
    if (!this.rowCache.has(table)) {
      this.rowCache.set(table, this.liveName(table) ? countRows(db, table, this.bound) : undefined);
    }
    return this.rowCache.get(table);
  }

  private children(parent: string): ChildReference[] {
    const { db, previousSnapshot } = this.ctx;
    if (db) {
      const rows = db
        .prepare(
          `SELECT m.name AS child, f.id AS id, f."from" AS col, f.on_delete AS onDelete
           FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
           WHERE m.type = 'table' AND f."table" = ? COLLATE NOCASE ORDER BY m.name, f.id, f.seq`,
        )
        .all(parent) as Array<{ child: string; id: number; col: string; onDelete: string }>;
      const byFk = new Map<string, ChildReference>();
      for (const r of rows) {
        const k = `${r.child}\u0000${r.id}`;
        const existing = byFk.get(k);
        if (existing) existing.columns.push(r.col);
        else byFk.set(k, { table: r.child, columns: [r.col], onDelete: toAction(r.onDelete) });
      }
      return [...byFk.values()].filter((c) => asciiLower(c.table) !== asciiLower(parent));
    }
    const out: ChildReference[] = [];
    for (const t of snapshotTables(previousSnapshot)) {
      for (const fk of Object.values(t.foreignKeys ?? {})) {
        if (asciiLower(fk.tableTo) === asciiLower(parent) && asciiLower(t.name) !== asciiLower(parent)) {
          out.push({ table: t.name, columns: fk.columnsFrom, onDelete: toAction(fk.onDelete) });
        }
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Per statement

  private emptyChunk(index: number): void {
    const others = this.chunks.some((c, i) => i !== index && splitStatements(c).length > 0);
    this.add({
      code: 'SQ204',
      severity: 'error',
      message: `Chunk ${index + 1} contains no SQL statement (only comments or blanks), and drizzle's own migrate() fails the whole batch on it ("contains no statements").`,
      fix: others
        ? 'Remove the empty chunk (and its `--> statement-breakpoint`).'
        : 'Write the SQL this custom migration is for, or delete the migration (its .sql file, journal entry and snapshot).',
      statementIndex: index,
      ...(others ? { autofix: { description: 'Remove the empty chunk.', statements: [] } } : {}),
    });
  }

  /** The statement policy's verdict as a finding: refused statements are errors, neutralised ones are noted. */
  private verdict(
    index: number,
    reviewed: ReviewedStatement | undefined,
    c: ClassifiedStatement,
    chunkSize: number,
  ): void {
    if (!reviewed || reviewed.verdict.action === 'run') return;
    const removal = (what: string): { autofix?: LintAutofix } =>
      chunkSize === 1 ? { autofix: { description: `Remove the ${what} statement.`, statements: [] } } : {};
    if (reviewed.verdict.action === 'neutralised') {
      const transaction = c.kind === 'transaction';
      this.add({
        code: transaction ? 'SQ205' : 'SQ206',
        severity: 'info',
        message: `apply_migrations skips this statement: ${reviewed.verdict.reason}.`,
        fix: transaction
          ? "Nothing to do with apply_migrations. drizzle's own migrate() commits the batch in pieces here: everything before a failure stays applied."
          : "Nothing to do with apply_migrations; with drizzle's own migrate(), set foreign_keys=OFF on the connection before calling it.",
        statementIndex: index,
      });
      return;
    }
    const refusal: Refusal = reviewed.verdict.refusal;
    const code = REFUSAL_CODES[refusal.rule] ?? 'SQ210';
    this.add({
      code,
      severity: 'error',
      ...(refusal.table !== undefined ? { table: refusal.table } : {}),
      message: `apply_migrations refuses this statement: ${refusal.why}`,
      fix: refusal.hint,
      statementIndex: index,
      ...(code === 'SQ205' || code === 'SQ206'
        ? removal(c.kind === 'transaction' ? c.keyword : 'PRAGMA')
        : {}),
    });
  }

  private statement(index: number, statement: SqlStatement, c: ClassifiedStatement): void {
    switch (c.kind) {
      case 'transaction':
      case 'outside_transaction':
      case 'pragma':
        return; // the statement policy's verdict says it all (see verdict())
      case 'create_table':
        this.set(c.parsed.table, {
          columns: c.parsed.columns.map((col) => ({
            name: col.name,
            notNull: col.notNull,
            hasDefault: col.default !== undefined,
          })),
          dataFrom: null,
        });
        return;
      case 'create_index':
        if (c.parsed.unique)
          this.uniqueIndex(
            index,
            c.parsed.table,
            c.parsed.columns,
            c.parsed.plain,
            c.parsed.where,
            c.parsed.name,
          );
        return;
      case 'insert_select':
        this.insertSelect(index, statement, c);
        return;
      case 'write':
        return;
      case 'drop':
        if (c.object === 'TABLE') this.dropTable(index, c.name);
        return;
      case 'rename_table':
        this.renameTable(index, c.table, c.to);
        return;
      case 'rename_column': {
        this.add({
          code: 'BC102',
          severity: 'warning',
          table: c.table,
          column: c.from,
          message: `Renaming column ${c.table}.${c.from} to ${c.to} breaks any running application code (or other service) that still uses the old name.`,
          fix: 'Deploy the code that uses the new name together with this migration, or add the new column, backfill it, and drop the old one in a later release.',
          statementIndex: index,
        });
        const state = this.state(c.table);
        if (state) {
          this.set(c.table, {
            ...state,
            columns: state.columns.map((col) =>
              asciiLower(col.name) === asciiLower(c.from) ? { ...col, name: c.to } : col,
            ),
          });
        }
        return;
      }
      case 'add_column':
        this.addColumn(index, statement, c.table, c.column, c.columnTokens);
        return;
      case 'drop_column':
        this.dropColumn(index, c.table, c.column);
        return;
      default:
        return;
    }
  }

  private uniqueIndex(
    index: number,
    table: string,
    columns: string[],
    plain: boolean[],
    where: string | undefined,
    name: string,
  ): void {
    const state = this.state(table);
    if (state && state.dataFrom === null) return; // created empty by this migration
    const rows = this.rows(table);
    if (rows && rows.exact && rows.count < 2) return;
    const { db } = this.ctx;
    const live = state?.dataFrom ?? table;
    const expressions = columns.map((col, i) => (plain[i] ? quoteIdentifier(col) : col));
    if (this.hasEquivalentUniqueIndex(live, columns, where)) return;
    const canCheck = db !== undefined && rows !== undefined && rows.exact;
    if (canCheck) {
      try {
        const conditions = [
          ...expressions.map((e) => `${e} IS NOT NULL`),
          ...(where ? [`(${where})`] : []),
        ].join(' AND ');
        const sql = `SELECT count(*) AS groups, coalesce(sum(n), 0) AS rows FROM (SELECT count(*) AS n FROM ${quoteIdentifier(live)} WHERE ${conditions} GROUP BY ${expressions.join(', ')} HAVING count(*) > 1)`;
        const result = db.prepare(sql).get() as { groups: number; rows: number };
        if (result.groups === 0) return;
        this.add({
          code: 'MF101',
          severity: 'error',
          table,
          ...(columns.length === 1 && plain[0] ? { column: columns[0] } : {}),
          message: `Unique index ${name} cannot be created: ${table} has ${fmt(result.groups)} duplicated value${result.groups === 1 ? '' : 's'} in (${columns.join(', ')}) across ${fmt(result.rows)} rows, so the migration would fail.`,
          fix: `Resolve the duplicates first (find them with SELECT ${columns.join(', ')}, count(*) FROM ${table} GROUP BY ${columns.join(', ')} HAVING count(*) > 1), e.g. in a data migration before this one, or make the index non-unique.`,
          statementIndex: index,
        });
        return;
      } catch {
        // A column added earlier in this migration is not in the live table yet: fall through to the warning.
      }
    }
    this.add({
      code: 'MF101',
      severity: 'warning',
      table,
      message: `Unique index ${name} on ${table} (${columns.join(', ')}) fails if existing rows hold duplicate values${rows ? ` (${describeRows(rows)}; too many to check here)` : ''}.`,
      fix: 'Check for duplicates before applying (the dry run of apply_migrations will show the failure), and clean them up in an earlier migration.',
      statementIndex: index,
    });
  }

  /** Whether the live table (or, without a database, the previous snapshot) already enforces this uniqueness. */
  private hasEquivalentUniqueIndex(table: string, columns: string[], where: string | undefined): boolean {
    const want = columns.map(normalizeExpression).join(',');
    const same = (cols: string[], w: string | undefined) =>
      cols.map(normalizeExpression).join(',') === want &&
      (w === undefined
        ? where === undefined
        : where !== undefined && normalizeExpression(w) === normalizeExpression(where));
    const { db } = this.ctx;
    if (db) {
      const indexes = db
        .prepare('SELECT name FROM pragma_index_list(?) WHERE "unique" = 1')
        .all(table) as Array<{ name: string }>;
      const sqlOf = db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?`);
      return indexes.some((ix) => {
        const cols = db
          .prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno')
          .all(ix.name) as Array<{ name: string | null }>;
        if (cols.some((c) => c.name === null)) return false;
        const sql = (sqlOf.get(ix.name) as { sql: string | null } | undefined)?.sql;
        return same(
          cols.map((c) => quoteIdentifier(c.name!)),
          sql ? parseCreateIndex(sql)?.where : undefined,
        );
      });
    }
    const previous = snapshotTables(this.ctx.previousSnapshot).find(
      (t) => asciiLower(t.name) === asciiLower(table),
    );
    if (!previous) return false;
    return (
      Object.values(previous.indexes ?? {}).some((ix) => ix.isUnique && same(ix.columns, ix.where)) ||
      Object.values(previous.uniqueConstraints ?? {}).some((u) => same(u.columns, undefined))
    );
  }

  private dropTable(index: number, table: string): void {
    const isRebuild = this.rebuildTargets.has(asciiLower(table));
    const rows = this.rows(table);
    const children = this.children(table).filter((c) => this.state(c.table) !== undefined);
    if (isRebuild) {
      this.rebuildChildren(index, table, children);
    } else {
      const empty = rows !== undefined && rows.exact && rows.count === 0;
      const cascading = children.filter((c) => c.onDelete === 'cascade');
      const childText = cascading.length
        ? `; its ON DELETE CASCADE children ${cascading.map((c) => this.describeChild(c)).join(', ')} would lose their rows too under drizzle's own migrate()`
        : '';
      this.add({
        code: 'DS102',
        severity: empty ? 'info' : 'warning',
        table,
        message: empty
          ? `Dropping table ${table}, which is empty, removes its definition only.`
          : `Dropping table ${table} permanently deletes its ${rows ? describeRows(rows) : 'rows'}${childText}.`,
        fix: empty
          ? 'Nothing to do if the table is no longer needed.'
          : `Back up or export ${table} first if its data matters (apply_migrations makes a backup), and confirm the drop is intended; if the table was renamed, answer generate_migration's hint with "rename" instead.`,
        statementIndex: index,
        ...(empty ? {} : { dataLoss: true as const }),
      });
    }
    this.set(table, null);
  }

  private describeChild(child: ChildReference): string {
    const rows = this.rows(child.table);
    return `${child.table}${rows ? ` (${describeRows(rows)})` : ''}`;
  }

  private rebuildChildren(index: number, table: string, children: ChildReference[]): void {
    const mutating = children.filter(
      (c) => c.onDelete === 'cascade' || c.onDelete === 'set null' || c.onDelete === 'set default',
    );
    if (mutating.length > 0) {
      const effects = mutating
        .map(
          (c) =>
            `${this.describeChild(c)} via ON DELETE ${c.onDelete.toUpperCase()} (${c.columns.join(', ')})`,
        )
        .join(', ');
      this.add({
        code: 'SQ201',
        severity: 'warning',
        table,
        message: `This migration rebuilds ${table} (copy to ${REBUILD_PREFIX}${table}, DROP, RENAME), and dropping it would ${mutating.some((c) => c.onDelete === 'cascade') ? 'delete' : 'rewrite'} the rows of ${effects} under drizzle's own migrate(), whose PRAGMA foreign_keys=OFF is ignored inside its transaction (drizzle #5782).`,
        fix: "Apply it with apply_migrations, which switches foreign keys off before its transaction and runs foreign_key_check before commit, so the children are kept; wherever this migration is deployed with drizzle's own migrate(), run PRAGMA foreign_keys=OFF on that connection before migrate() and ON after.",
        statementIndex: index,
      });
    }
    const blocking = children.filter(
      (c) =>
        (c.onDelete === 'no action' || c.onDelete === 'restrict') && (this.rows(c.table)?.count ?? 0) > 0,
    );
    if (blocking.length > 0) {
      this.add({
        code: 'SQ201',
        severity: 'info',
        table,
        message: `This migration rebuilds ${table}; ${blocking.map((c) => this.describeChild(c)).join(', ')} reference${blocking.length === 1 ? 's' : ''} it without ON DELETE, so drizzle's own migrate() (foreign keys on) would fail with "FOREIGN KEY constraint failed" at the DROP.`,
        fix: "Nothing to do with apply_migrations (foreign keys are off during its transaction); with drizzle's own migrate(), switch foreign keys off on the connection first.",
        statementIndex: index,
      });
    }
  }

  private renameTable(index: number, table: string, to: string): void {
    const state = this.state(table);
    const completesRebuild = asciiLower(table) === REBUILD_PREFIX + asciiLower(to);
    if (!completesRebuild) {
      this.add({
        code: 'BC101',
        severity: 'warning',
        table,
        message: `Renaming table ${table} to ${to} breaks any running application code (or other service) that still uses the old name.`,
        fix: 'Deploy the code that uses the new name together with this migration, or create a view with the old name for the transition.',
        statementIndex: index,
      });
    }
    this.set(to, state ?? null);
    this.set(table, null);
  }

  private addColumn(
    index: number,
    statement: SqlStatement,
    table: string,
    column: ParsedColumn,
    columnTokens: Token[],
  ): void {
    const state = this.state(table);
    const rows = this.rows(table);
    if (
      column.notNull &&
      column.default === undefined &&
      !column.generated &&
      !(rows?.exact && rows.count === 0)
    ) {
      this.add({
        code: 'MF103',
        severity: rows && rows.count > 0 ? 'error' : 'warning',
        table,
        column: column.name,
        message:
          rows && rows.count > 0
            ? `Adding NOT NULL column ${table}.${column.name} without a default fails because ${table} has ${describeRows(rows)} ("Cannot add a NOT NULL column with default value NULL").`
            : `Adding NOT NULL column ${table}.${column.name} without a default fails if ${table} has any rows.`,
        fix: `Give the column a default in schema.ts (e.g. .default(…)) and regenerate, or add it nullable, backfill it, then make it NOT NULL in a later migration.`,
        statementIndex: index,
      });
    }
    if (column.references) this.addedReference(index, statement, table, column, columnTokens);
    if (state)
      this.set(table, {
        ...state,
        columns: [
          ...state.columns,
          { name: column.name, notNull: column.notNull, hasDefault: column.default !== undefined },
        ],
      });
  }

  private addedReference(
    index: number,
    statement: SqlStatement,
    table: string,
    column: ParsedColumn,
    columnTokens: Token[],
  ): void {
    const reference = column.references!;
    const intended = snapshotTables(this.ctx.snapshot)
      .filter((t) => asciiLower(t.name) === asciiLower(table))
      .flatMap((t) => Object.values(t.foreignKeys ?? {}))
      .find(
        (fk) => fk.columnsFrom.length === 1 && asciiLower(fk.columnsFrom[0]!) === asciiLower(column.name),
      );
    if (!this.ctx.snapshot) {
      if (reference.onDelete === undefined) {
        this.add({
          code: 'SQ203',
          severity: 'info',
          table,
          column: column.name,
          message: `Added column ${table}.${column.name} references ${reference.table} without an ON DELETE action; drizzle-kit drops the action of .references(…, { onDelete }) on added columns (drizzle #5619).`,
          fix: `If schema.ts sets onDelete for ${table}.${column.name}, add the same ON DELETE clause to this statement.`,
          statementIndex: index,
        });
      }
      return;
    }
    if (!intended) return;
    const wantDelete = toAction(intended.onDelete);
    const wantUpdate = toAction(intended.onUpdate);
    const haveDelete = reference.onDelete ?? 'no action';
    const haveUpdate = reference.onUpdate ?? 'no action';
    if (wantDelete === haveDelete && wantUpdate === haveUpdate) return;
    const missing = [
      ...(wantDelete !== haveDelete ? [`ON DELETE ${wantDelete}`] : []),
      ...(wantUpdate !== haveUpdate ? [`ON UPDATE ${wantUpdate}`] : []),
    ];
    let autofix: LintAutofix | undefined;
    if (reference.onDelete === undefined && reference.onUpdate === undefined) {
      const anchor = columnTokens[reference.endToken - 1]!;
      const text = statement.text;
      const fixed = `${text.slice(0, anchor.end)} ${missing.join(' ')}${text.slice(anchor.end)}`;
      autofix = {
        description: `Add ${missing.join(' ')} to the REFERENCES clause.`,
        statements: [this.replaceStatement(index, statement, fixed)],
      };
    }
    this.add({
      code: 'SQ203',
      severity: 'warning',
      table,
      column: column.name,
      message: `The schema declares ${table}.${column.name} → ${reference.table} with ${missing.join(' and ')}, but the generated SQL lost it (drizzle #5619), so the database would not ${wantDelete === 'cascade' ? 'delete' : 'update'} these rows as the schema says.`,
      fix: `Add ${missing.join(' ')} after the REFERENCES clause in this statement.`,
      statementIndex: index,
      ...(autofix ? { autofix } : {}),
    });
  }

  private dropColumn(index: number, table: string, column: string): void {
    const rows = this.rows(table);
    this.columnLoss(index, table, column, rows, `ALTER TABLE ${table} DROP COLUMN ${column}`);
    const state = this.state(table);
    if (state)
      this.set(table, {
        ...state,
        columns: state.columns.filter((c) => asciiLower(c.name) !== asciiLower(column)),
      });
  }

  private columnLoss(
    index: number,
    table: string,
    column: string,
    rows: RowCount | undefined,
    how: string,
  ): void {
    const empty = rows !== undefined && rows.exact && rows.count === 0;
    this.add({
      code: 'DS103',
      severity: empty ? 'info' : 'warning',
      table,
      column,
      message: empty
        ? `${how} removes column ${table}.${column}; the table is empty, so no data is lost.`
        : `${how} permanently deletes the values of ${table}.${column}${rows ? ` in ${describeRows(rows)}` : ''}.`,
      fix: empty
        ? 'Nothing to do if the column is no longer needed.'
        : `Copy the values elsewhere first if they matter, and confirm the drop is intended; if the column was renamed, answer generate_migration's hint with "rename" instead.`,
      statementIndex: index,
      ...(empty ? {} : { dataLoss: true as const }),
    });
  }

  private insertSelect(index: number, statement: SqlStatement, c: InsertSelect): void {
    const target = this.state(c.table);
    const source = c.from === undefined ? undefined : this.state(c.from);
    const isRebuild = c.from !== undefined && asciiLower(c.table) === REBUILD_PREFIX + asciiLower(c.from);
    if (target && source && target.dataFrom === null)
      this.set(c.table, { ...target, dataFrom: source.dataFrom });
    if (!isRebuild || !source || !target || c.from === undefined) return;
    const from = c.from;
    const text = statement.text;
    const selectNames = c.selectItems.map(columnReference);
    const insertNames = c.columns.map((col) => nameOf(col[0]) ?? '');
    const sourceColumns = new Map(source.columns.map((col) => [asciiLower(col.name), col]));
    const targetColumns = new Map(target.columns.map((col) => [asciiLower(col.name), col]));
    const rows = this.rows(from);

    // #5822: a column added in the same migration is selected from the old table, which does not have it.
    const phantom = selectNames
      .map((n, i) => (n !== undefined && !sourceColumns.has(asciiLower(n)) ? i : -1))
      .filter((i) => i >= 0);
    if (phantom.length > 0 && c.columns.length === c.selectItems.length) {
      const names = phantom.map((i) => selectNames[i]!);
      const keep = c.columns.map((_, i) => !phantom.includes(i));
      const fixed = keep.some(Boolean) ? this.rebuildInsert(text, c, keep) : undefined;
      this.add({
        code: 'SQ202',
        severity: 'error',
        table: from,
        column: names.join(', '),
        message: `The rebuild of ${from} copies ${names.join(', ')} from the old table, which has no such column (it is new in this migration: drizzle #5822), so the migration fails with "no such column".`,
        fix: `Remove ${names.join(', ')} from both column lists of this INSERT … SELECT; the new column then gets its default.`,
        statementIndex: index,
        ...(fixed
          ? {
              autofix: {
                description: `Remove ${names.join(', ')} from the INSERT and SELECT column lists.`,
                statements: [this.replaceStatement(index, statement, fixed)],
              },
            }
          : {}),
      });
    }

    // Columns of the old table the copy leaves behind are dropped with it.
    const copied = new Set(selectNames.filter((n): n is string => n !== undefined).map((n) => asciiLower(n)));
    const selectsAll = c.selectItems.some((item) => item.length === 1 && isPunct(item[0], '*'));
    if (!selectsAll) {
      for (const col of source.columns) {
        if (!copied.has(asciiLower(col.name)) && !targetColumns.has(asciiLower(col.name))) {
          this.columnLoss(index, from, col.name, rows, `Rebuilding ${from} without copying ${col.name}`);
        }
      }
    }

    // New NOT NULL columns with no default, filled by nothing.
    const filled = new Set(insertNames.map((n) => asciiLower(n)));
    for (const col of target.columns) {
      if (
        col.notNull &&
        !col.hasDefault &&
        !filled.has(asciiLower(col.name)) &&
        !(rows?.exact && rows.count === 0)
      ) {
        this.add({
          code: 'MF103',
          severity: rows && rows.count > 0 ? 'error' : 'warning',
          table: from,
          column: col.name,
          message: `The rebuild of ${from} adds NOT NULL column ${col.name} without a default, so copying ${rows ? describeRows(rows) : 'any existing rows'} fails.`,
          fix: 'Give the column a default in schema.ts and regenerate, or add it nullable and backfill it first.',
          statementIndex: index,
        });
      }
    }

    // Nullable → NOT NULL: existing NULLs make the copy fail (an explicit NULL does not take the default).
    c.columns.forEach((colTokens, i) => {
      const name = nameOf(colTokens[0]);
      const selected = selectNames[i];
      if (name === undefined || selected === undefined) return;
      const newCol = targetColumns.get(asciiLower(name));
      const oldCol = sourceColumns.get(asciiLower(selected));
      if (!newCol || !oldCol || !newCol.notNull || oldCol.notNull) return;
      const nulls = this.countNulls(from, oldCol.name, rows);
      if (nulls === 0) return;
      this.add({
        code: 'MF104',
        severity: nulls === undefined ? 'warning' : 'error',
        table: from,
        column: newCol.name,
        message:
          nulls === undefined
            ? `The rebuild of ${from} makes ${newCol.name} NOT NULL; the copy fails if any existing row holds NULL there${rows ? ` (${describeRows(rows)}, too many to check here)` : ''}.`
            : `The rebuild of ${from} makes ${newCol.name} NOT NULL, but ${fmt(nulls)}${nulls >= this.bound ? '+' : ''} row${nulls === 1 ? '' : 's'} hold NULL there, so the copy fails.`,
        fix: `Backfill first (UPDATE ${from} SET ${oldCol.name} = … WHERE ${oldCol.name} IS NULL, in an earlier migration), or copy coalesce(${quoteIdentifier(oldCol.name)}, <value>) in this INSERT … SELECT.`,
        statementIndex: index,
      });
    });
  }

  private countNulls(table: string, column: string, rows: RowCount | undefined): number | undefined {
    const { db } = this.ctx;
    const state = this.state(table);
    if (!db || !rows || !rows.exact || !state?.dataFrom) return undefined;
    try {
      const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM ${quoteIdentifier(state.dataFrom)} WHERE ${quoteIdentifier(column)} IS NULL LIMIT ?)`;
      return (db.prepare(sql).get(this.bound) as { n: number }).n;
    } catch {
      return undefined;
    }
  }

  /** The INSERT … SELECT with only the kept (column, select item) pairs, formatting of the rest preserved. */
  private rebuildInsert(text: string, c: InsertSelect, keep: boolean[]): string {
    const firstColumn = c.columns[0]![0]!;
    const lastColumn = c.columns[c.columns.length - 1]!.at(-1)!;
    const firstItem = c.selectItems[0]![0]!;
    const lastItem = c.selectItems[c.selectItems.length - 1]!.at(-1)!;
    const columns = c.columns.filter((_, i) => keep[i]).map((col) => sliceText(text, col));
    const items = c.selectItems.filter((_, i) => keep[i]).map((item) => sliceText(text, item));
    return (
      text.slice(0, firstColumn.start) +
      columns.join(', ') +
      text.slice(lastColumn.end, firstItem.start) +
      items.join(', ') +
      text.slice(lastItem.end)
    );
  }

  /** The chunk at `index` with `statement` replaced by `replacement` (comments and other statements kept). */
  private replaceStatement(index: number, statement: SqlStatement, replacement: string): string {
    const chunk = this.chunks[index]!;
    const at = chunk.indexOf(statement.text, statement.start);
    if (at === -1) return replacement;
    return chunk.slice(0, at) + replacement + chunk.slice(at + statement.text.length);
  }
}

const NOT_COLUMNS = new Set(['NULL', 'TRUE', 'FALSE', 'CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME']);

/** The column a select item names, when it is exactly one column reference (not a literal or an expression). */
function columnReference(item: Token[]): string | undefined {
  if (item.length !== 1) return undefined;
  const token = item[0]!;
  if (token.kind === 'ident') return token.value;
  if (token.kind === 'word' && !NOT_COLUMNS.has(token.value)) return token.text;
  return undefined;
}
