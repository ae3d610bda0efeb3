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

export interface LoadedSchema {
  tables: SchemaTable[];
  /** drizzle-kit snapshot of the current schema (generateSQLiteDrizzleJson). */
  snapshot: SqliteSnapshot;
}
