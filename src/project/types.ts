// The contract between the project loader (which runs user code in an isolated worker) and everything else:
// plain, serialisable descriptions of the project's drizzle config and Drizzle schema.

/** The project's drizzle.config.ts, resolved to absolute paths, with CLI/env overrides already applied. */
export interface ProjectConfig {
  /** Project root: the folder of the drizzle config. */
  root: string;
  /** The drizzle config file, or undefined when the project has none (then defaults apply). */
  configFile: string | undefined;
  /** Absolute schema files (globs expanded; may be empty when the config names none that exist). */
  schemaFiles: string[];
  /** Absolute migrations folder (config `out`, default "drizzle"). */
  outDir: string;
  /** Absolute database file. */
  dbFile: string;
  /** Config `tablesFilter` (glob strings), if any. */
  tablesFilter: string[] | undefined;
  casing: 'snake_case' | 'camelCase' | undefined;
  /** Config `migrations.table`, default "__drizzle_migrations". */
  migrationsTable: string;
  /** Config `breakpoints`, default true. */
  breakpoints: boolean;
}

/** One column of a Drizzle table, as the ORM sees it. */
export interface SchemaColumn {
  /** Property name in the Drizzle table object (e.g. "cravingLevel"). */
  property: string;
  /** SQL column name (e.g. "craving_level"). */
  name: string;
  /** Drizzle column class, e.g. "SQLiteText", "SQLiteInteger", "SQLiteBoolean", "SQLiteTimestamp", "SQLiteTextJson". */
  columnType: string;
  /** Drizzle data type: "string" | "number" | "boolean" | "date" | "json" | "bigint" | "buffer" | "custom". */
  dataType: string;
  /** SQL type as Drizzle declares it ("text", "integer", "real", "blob", "numeric"). */
  sqlType: string;
  /** For integer/text/blob columns with a mode ("boolean", "timestamp", "timestamp_ms", "json", "bigint", "number"). */
  mode?: string;
  enumValues?: string[];
  notNull: boolean;
  hasDefault: boolean;
  primaryKey: boolean;
  autoIncrement?: boolean;
}

export interface SchemaTable {
  /** Export name in the schema module (e.g. "checkIns"). */
  exportName: string;
  /** SQL table name (e.g. "check_ins"). */
  name: string;
  columns: SchemaColumn[];
}

/** drizzle-kit's SQLite snapshot JSON (version "6"); kept opaque outside the migrations code. */
export type SqliteSnapshot = Record<string, unknown> & {
  id: string;
  prevId: string;
  version: string;
  dialect: string;
  tables: Record<string, unknown>;
};

/**
 * drizzle-kit 1.0's SQLite snapshot (version "7"): a flat `ddl` list of entities tagged `entityType`, and `prevIds`
 * (a merge migration has one parent per branch). Read it through project/snapshot-v7.ts.
 */
export type SqliteSnapshotV7 = Record<string, unknown> & {
  id: string;
  prevIds: string[];
  version: string;
  dialect: string;
  ddl: unknown[];
};

/** A snapshot of either drizzle-kit line. */
export type AnySqliteSnapshot = SqliteSnapshot | SqliteSnapshotV7;

export interface LoadedSchema {
  tables: SchemaTable[];
  /** drizzle-kit snapshot of the current schema, in the format of the drizzle-kit that made it. */
  snapshot: AnySqliteSnapshot;
}

// ---- Diffing two snapshots without prompts --------------------------------------------------------------------
// The hint vocabulary is drizzle-kit 1.0's (its `--hints` / MCP `hints`): an entity is a tuple whose first slot is the
// schema. SQLite has none; drizzle-kit 1.0 fills the slot with "public" and so do we. Incoming hints may carry any
// value there (it is ignored), so hints written for drizzle-kit 1.0 work unchanged.

/** ["public", table] */
export type TableEntity = readonly [schema: string, table: string];
/** ["public", table, column] */
export type ColumnEntity = readonly [schema: string, table: string, column: string];

/**
 * A decision the caller makes for one ambiguity reported in `missingHints`:
 * - `rename`: the new entity (`to`, named as in the current schema) is the old one (`from`, named as in the previous
 *   snapshot; for a column the table slot may be the old or the new table name) under a new name: data is kept.
 * - `create`: the new entity is new; any unmatched old entity is dropped.
 * - `confirm_data_loss`: accepted for compatibility; the diff itself never asks for it (consent for drops is the
 *   apply step's business), so it is ignored here.
 */
export type MigrationHint =
  | { type: 'rename'; kind: 'table'; from: TableEntity; to: TableEntity }
  | { type: 'rename'; kind: 'column'; from: ColumnEntity; to: ColumnEntity }
  | { type: 'create'; kind: 'table'; entity: TableEntity }
  | { type: 'create'; kind: 'column'; entity: ColumnEntity }
  | { type: 'confirm_data_loss'; kind: string; entity: readonly string[] };

/**
 * One unresolved rename-or-create ambiguity: `entity` is the new table/column (current schema names); `candidates`
 * are the old entities (previous snapshot names) it could be a rename of. Answer with one `rename` or `create` hint.
 * (`candidates` is our addition to drizzle-kit 1.0's shape, so a model need not guess the `from`.)
 */
export type MissingHint =
  | { type: 'rename_or_create'; kind: 'table'; entity: TableEntity; candidates: TableEntity[] }
  | { type: 'rename_or_create'; kind: 'column'; entity: ColumnEntity; candidates: ColumnEntity[] };

export interface AppliedRename {
  kind: 'table' | 'column';
  /** For a column, the table it lives in after any table rename. */
  table?: string;
  from: string;
  to: string;
}

export type DiffResult =
  | {
      status: 'ok';
      /** SQL statements in order, as drizzle-kit would write them (renames first). */
      statements: string[];
      /** The current snapshot with `prevId` = previous snapshot's id and `_meta` recording the renames. */
      snapshot: SqliteSnapshot;
      renames: AppliedRename[];
    }
  | { status: 'no_changes'; snapshot: SqliteSnapshot }
  | { status: 'missing_hints'; missingHints: MissingHint[] }
  | { status: 'error'; message: string; hint?: string };
