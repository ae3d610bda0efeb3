// Reads a Drizzle project the way drizzle-kit does: its drizzle config (TypeScript, with its imports) and the schema it
// names. Invariant: this module runs user code, so it is only ever called inside the kit worker (see kit-client.ts);
// it returns plain, serialisable descriptions, and every failure is an AppError naming the file to fix.
import fs from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { getTableColumns, is } from 'drizzle-orm';
import { SQLiteTable, getTableConfig } from 'drizzle-orm/sqlite-core';
import { toCamelCase, toSnakeCase } from 'drizzle-orm/casing';
import { AppError } from '../core/errors.js';
import { DEFAULT_LEDGER_TABLE } from '../guard/server-tables.js';
import { importUserModules } from './import-module.js';
import { snapshotWith } from './kit-api.js';
import type { KitRef } from './kit-resolve.js';
import { isSnapshotV7 } from './snapshot-v7.js';
import type {
  AnySqliteSnapshot,
  LoadedSchema,
  ProjectConfig,
  SchemaColumn,
  SchemaTable,
  SqliteSnapshot,
} from './types.js';

export const CONFIG_FILE_NAMES = ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'].map(
  (ext) => `drizzle.config.${ext}`,
);
const SCHEMA_EXTENSIONS = ['.ts', '.js', '.cjs', '.mjs', '.mts', '.cts'];

export interface LoadProjectConfigInput {
  projectDir: string;
  configFile?: string;
  /** Overrides dbCredentials.url. */
  dbFile?: string;
}

export interface WorkerContext {
  /** This package's folder: where package imports resolve when the project has no copy of its own. */
  fallbackResolveDir: string;
}

export async function loadProjectConfig(
  input: LoadProjectConfigInput,
  context: WorkerContext,
): Promise<ProjectConfig> {
  const root = path.resolve(input.projectDir);
  if (!isDirectory(root)) {
    throw new AppError('CONFIG_ERROR', `The project folder ${root} does not exist or is not a folder.`, {
      hint: 'Pass --project with the folder that holds drizzle.config.ts (or --config with the config file itself).',
    });
  }
  const configFile = input.configFile ? path.resolve(root, input.configFile) : findConfigFile(root);
  if (!fs.existsSync(configFile)) {
    throw new AppError('CONFIG_ERROR', `The drizzle config file ${configFile} does not exist.`, {
      hint: 'Check the --config path, or pass --project with the folder that holds drizzle.config.ts.',
    });
  }
  const [module] = await importUserModules([configFile], {
    projectDir: root,
    fallbackResolveDir: context.fallbackResolveDir,
    errorCode: 'CONFIG_ERROR',
  });
  const raw = unwrapDefault(module);
  if (!isRecord(raw)) {
    throw new AppError(
      'CONFIG_ERROR',
      `${configFile} has no default export with the drizzle config object.`,
      {
        hint: 'Export the config as `export default defineConfig({ dialect: "sqlite", schema, out, dbCredentials })`.',
      },
    );
  }
  return normaliseConfig(raw, { root, configFile, dbFile: input.dbFile });
}

function findConfigFile(root: string): string {
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = path.join(root, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new AppError(
    'CONFIG_ERROR',
    `No drizzle config found in ${root} (looked for ${CONFIG_FILE_NAMES.join(', ')}).`,
    {
      hint: 'Pass --config with the path of your drizzle config file, or --project with the folder that contains it.',
    },
  );
}

function unwrapDefault(module: Record<string, unknown> | undefined): unknown {
  let value: unknown = module?.default ?? module;
  // A CommonJS config (module.exports = …, or exports.default under esModuleInterop) can nest one more level.
  if (isRecord(value) && !('dialect' in value) && isRecord(value.default)) value = value.default;
  return value;
}

interface NormaliseContext {
  root: string;
  configFile: string;
  dbFile: string | undefined;
}

/**
 * Relative paths (schema, out, dbCredentials.url) are taken from the project folder: drizzle-kit resolves them from
 * the CLI's working directory, which is the project root whenever the CLI finds the config by itself.
 */
export function normaliseConfig(raw: Record<string, unknown>, context: NormaliseContext): ProjectConfig {
  const { root, configFile } = context;
  const fail = (message: string, hint: string) =>
    new AppError('CONFIG_ERROR', `${configFile}: ${message}`, { hint });

  const dialect = raw.dialect;
  const driver = raw.driver;
  if (dialect !== 'sqlite' && dialect !== 'turso') {
    throw fail(
      `dialect "${String(dialect)}" is not supported; this server manages SQLite databases only (dialect "sqlite").`,
      'Point the server at a project whose drizzle config has dialect: "sqlite".',
    );
  }
  if ((driver !== undefined || dialect === 'turso') && context.dbFile === undefined) {
    const what = driver !== undefined ? `driver "${String(driver)}"` : 'dialect "turso"';
    throw fail(
      `${what} keeps the database somewhere this server cannot open directly.`,
      'Pass --db with the local SQLite file to manage (e.g. the local development copy of the database).',
    );
  }

  const schemaPatterns = toStringList(raw.schema);
  if (raw.schema !== undefined && schemaPatterns === undefined) {
    throw fail(
      '`schema` must be a path, a glob, or an array of them.',
      'Set schema: "./src/db/schema.ts" (or an array / glob).',
    );
  }
  const out = raw.out ?? 'drizzle';
  if (typeof out !== 'string' || out === '')
    throw fail('`out` must be a folder path.', 'Set out: "./drizzle".');

  const dbFile = context.dbFile ?? dbFileFromCredentials(raw.dbCredentials, root, fail);

  const tablesFilter = toStringList(raw.tablesFilter);
  if (raw.tablesFilter !== undefined && tablesFilter === undefined) {
    throw fail(
      '`tablesFilter` must be a glob string or an array of them.',
      'Set tablesFilter: ["app_*"] or remove it.',
    );
  }
  const casing = raw.casing;
  if (casing !== undefined && casing !== 'snake_case' && casing !== 'camelCase') {
    throw fail(
      `casing "${String(casing)}" is not one of "snake_case", "camelCase".`,
      'Use casing: "snake_case" or "camelCase", or remove it.',
    );
  }
  const migrations = isRecord(raw.migrations) ? raw.migrations : {};
  const migrationsTable = migrations.table ?? DEFAULT_LEDGER_TABLE;
  if (typeof migrationsTable !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(migrationsTable)) {
    throw fail(
      '`migrations.table` must be a plain table name.',
      'Use letters, digits and underscores, e.g. "__drizzle_migrations".',
    );
  }
  const breakpoints = raw.breakpoints ?? true;
  if (typeof breakpoints !== 'boolean')
    throw fail('`breakpoints` must be true or false.', 'Set breakpoints: true (the default).');

  return {
    root,
    configFile,
    schemaFiles: schemaPatterns ? expandSchemaPatterns(schemaPatterns, root) : [],
    outDir: path.resolve(root, out),
    dbFile,
    tablesFilter,
    casing,
    migrationsTable,
    breakpoints,
  };
}

function dbFileFromCredentials(
  credentials: unknown,
  root: string,
  fail: (message: string, hint: string) => AppError,
): string {
  const url = isRecord(credentials) ? credentials.url : undefined;
  if (typeof url !== 'string' || url === '') {
    throw fail(
      '`dbCredentials.url` is missing, so the database file is unknown.',
      'Set dbCredentials: { url: "./data/app.db" } or pass --db.',
    );
  }
  // better-sqlite3 in drizzle-kit: a "file:" prefix is stripped, anything else is a path.
  const file = url.startsWith('file:') ? url.slice('file:'.length).replace(/^\/\/(?=\/)/, '') : url;
  if (file === ':memory:' || file === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    throw fail(
      `dbCredentials.url "${url}" is not a local database file.`,
      'Point dbCredentials.url at a SQLite file (e.g. "./data/app.db"), or pass --db.',
    );
  }
  return path.resolve(root, file);
}

/** drizzle-kit's prepareFilenames: each entry is a glob; a folder contributes its files (not its subfolders). */
export function expandSchemaPatterns(patterns: readonly string[], root: string): string[] {
  const found = new Set<string>();
  for (const pattern of patterns) {
    const relative = path.isAbsolute(pattern) ? path.relative(root, pattern) || '.' : pattern;
    const matches = globSync(relative.split(path.sep).join('/'), {
      cwd: root,
      absolute: true,
      onlyFiles: false,
      expandDirectories: false,
      dot: true,
    });
    for (const match of matches.map((m) => path.resolve(m)).sort()) {
      if (isDirectory(match)) {
        for (const entry of fs.readdirSync(match).sort()) {
          const file = path.join(match, entry);
          if (fs.statSync(file).isFile()) found.add(file);
        }
      } else {
        found.add(match);
      }
    }
  }
  return [...found].filter((file) => SCHEMA_EXTENSIONS.some((ext) => file.endsWith(ext)));
}

// ---- Schema ------------------------------------------------------------------------------------------------------

/**
 * Imports the schema and describes it, with its snapshot in the format of `kit` (the drizzle-kit that runs for the
 * project; ours when absent). drizzle-kit 1.0 ignores the config's `casing` (casing lives in the schema there), so on
 * that line the columns are named as the schema alone names them.
 */
export async function loadSchema(
  project: ProjectConfig,
  prevId: string | undefined,
  context: WorkerContext,
  kit?: KitRef,
): Promise<LoadedSchema> {
  const imports = await importSchema(project, context);
  const casing = configCasing(project, kit);
  const tables = describeTables(imports, casing);
  if (tables.length === 0) throw noTablesError(project);
  return { tables, snapshot: await snapshotOf(imports, prevId, casing, kit) };
}

/** The schema's drizzle-kit 0.x snapshot alone (what generate needs), without describing every column for the model. */
export async function loadSchemaSnapshot(
  project: ProjectConfig,
  prevId: string | undefined,
  context: WorkerContext,
  kit?: KitRef,
): Promise<SqliteSnapshot> {
  const imports = await importSchema(project, context);
  if (!Object.values(imports).some((value) => is(value, SQLiteTable))) throw noTablesError(project);
  return (await snapshotOf(imports, prevId, project.casing, kit)) as SqliteSnapshot;
}

function configCasing(project: ProjectConfig, kit: KitRef | undefined): ProjectConfig['casing'] {
  return kit?.line === '1.x' ? undefined : project.casing;
}

export async function importSchema(
  project: ProjectConfig,
  context: WorkerContext,
): Promise<Record<string, unknown>> {
  if (project.schemaFiles.length === 0) {
    throw new AppError(
      'SCHEMA_LOAD_FAILED',
      `No schema files found for the config's \`schema\` (${project.configFile ?? project.root}).`,
      {
        hint: 'Check that the `schema` path or glob in drizzle.config matches your .ts/.js schema files.',
      },
    );
  }
  const modules = await importUserModules(project.schemaFiles, {
    projectDir: project.root,
    fallbackResolveDir: context.fallbackResolveDir,
    errorCode: 'SCHEMA_LOAD_FAILED',
  });
  // drizzle-kit merges every schema file's exports into one object (a later file wins a name clash).
  const imports: Record<string, unknown> = {};
  for (const module of modules) Object.assign(imports, module);
  return imports;
}

function noTablesError(project: ProjectConfig): AppError {
  return new AppError(
    'SCHEMA_LOAD_FAILED',
    `The schema (${project.schemaFiles.join(', ')}) exports no Drizzle SQLite tables.`,
    {
      hint: 'Export each table from the schema files, e.g. `export const users = sqliteTable("users", { … })`.',
    },
  );
}

async function snapshotOf(
  imports: Record<string, unknown>,
  prevId: string | undefined,
  casing: ProjectConfig['casing'],
  kit: KitRef | undefined,
): Promise<AnySqliteSnapshot> {
  const generated = await snapshotWith(kit, imports, prevId, casing);
  return isSnapshotV7(generated) ? generated : inCliKeyOrder(generated);
}

/** The CLI writes version, dialect, id, prevId first; keep that order so written snapshots diff cleanly. */
export function inCliKeyOrder(snapshot: SqliteSnapshot): SqliteSnapshot {
  const { version, dialect, id, prevId, ...rest } = snapshot;
  return { version, dialect, id, prevId, ...rest } as SqliteSnapshot;
}

const MODE_BY_COLUMN_TYPE: Record<string, string> = {
  SQLiteTextJson: 'json',
  SQLiteBlobJson: 'json',
  SQLiteBigInt: 'bigint',
  SQLiteBlobBuffer: 'buffer',
  SQLiteNumericNumber: 'number',
  SQLiteNumericBigInt: 'bigint',
};

interface DrizzleColumnLike {
  name: string;
  keyAsName?: boolean;
  columnType: string;
  dataType: string;
  getSQLType(): string;
  mode?: unknown;
  enumValues?: readonly string[];
  notNull: boolean;
  hasDefault: boolean;
  primary: boolean;
  autoIncrement?: boolean;
}

export function describeTables(
  imports: Record<string, unknown>,
  casing: ProjectConfig['casing'],
): SchemaTable[] {
  const tables: SchemaTable[] = [];
  const seen = new Set<unknown>();
  for (const [exportName, value] of Object.entries(imports)) {
    // `is` checks drizzle's entity kind, not the class identity: tables built by another copy of drizzle-orm count.
    if (!is(value, SQLiteTable) || seen.has(value)) continue;
    seen.add(value);
    const config = getTableConfig(value);
    const compositePk = new Set<unknown>(config.primaryKeys.flatMap((pk) => pk.columns));
    const columns = Object.entries(
      getTableColumns(value) as unknown as Record<string, DrizzleColumnLike>,
    ).map(([property, column]): SchemaColumn => {
      const name =
        column.keyAsName && casing
          ? casing === 'snake_case'
            ? toSnakeCase(property)
            : toCamelCase(property)
          : column.name;
      const mode = typeof column.mode === 'string' ? column.mode : MODE_BY_COLUMN_TYPE[column.columnType];
      return {
        property,
        name,
        columnType: column.columnType,
        dataType: column.dataType,
        sqlType: column.getSQLType(),
        ...(mode ? { mode } : {}),
        ...(column.enumValues && column.enumValues.length > 0 ? { enumValues: [...column.enumValues] } : {}),
        notNull: column.notNull,
        hasDefault: column.hasDefault,
        primaryKey: column.primary || compositePk.has(column),
        ...(column.autoIncrement ? { autoIncrement: true } : {}),
      };
    });
    tables.push({ exportName, name: config.name, columns });
  }
  return tables;
}

function toStringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
