// The long-lived handles one server (or one CLI call) works with, opened once from the Config: the project's
// resolved config, the database connections, the audit log, the consent room (plans waiting for a person, and
// the review page), and the lazily started helpers (the kit worker that runs drizzle-kit and user TypeScript, the
// query host that runs SQL it can kill). No MCP here.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/config.js';
import type { EntryPoint } from '../core/entry-point.js';
import { AuditAnchor } from '../audit/anchor.js';
import { AuditLog, ensureAuditTable } from '../audit/audit-log.js';
import { existingTableClaims } from '../audit/audit-table.js';
import { declaredTables } from '../migrations/declared-tables.js';
import { readMigrationFolder } from '../migrations/folder.js';
import { keepOutOfVersionControl } from '../migrations/backup.js';
import {
  assertDatabasePath,
  closeQuietly,
  databaseExists,
  isWritable,
  openReadConnection,
  openWriteConnection,
  type SqliteDatabase,
} from '../sqlite/connection.js';
import { AppError, readOnlyMode } from '../core/errors.js';
import { serverTables, type ServerTables, type TableClaim } from '../guard/server-tables.js';
import { SessionWriteBudget } from '../guard/write-budget.js';
import { applyAuditTableMove, planAuditTable, type AuditTablePlan } from './audit-table-plan.js';
import type { Logger } from '../core/logger.js';
import { finishInterruptedUpgrade } from '../migrations/upgrade.js';
import { KitClient } from '../project/kit-client.js';
import type { DryRunReport } from '../migrations/dry-run.js';
import type {
  ApplyJobResult,
  ApplyRequest,
  JobOptions,
  MigrationRunner,
  RehearseRequest,
} from '../migrations/jobs.js';
import {
  chooseKit,
  findPackage,
  findProjectDrizzle,
  type KitChoice,
  type ProjectDrizzle,
} from '../project/kit-resolve.js';
import { QueryRunner } from '../query/query-runner.js';
import { EditRecords } from '../schema-edit/records.js';
import type { LoadedSchema, ProjectConfig } from '../project/types.js';
import type { Opener } from '../review/open-browser.js';
import { ConsentRoom } from './consent-room.js';
import { reviewSources } from './review-sources.js';

export interface Services {
  config: Config;
  project: ProjectConfig;
  logger: Logger;
  /** Read-only connection to the project database (SQLite refuses writes on it). */
  read: SqliteDatabase;
  /** Writable connection to the project database; undefined in --read-only mode with a separate audit file. */
  write: SqliteDatabase | undefined;
  audit: AuditLog;
  /**
   * Which tables of the project database are the server's own (protected, hidden), and whether the audit table
   * lives there (then a change and its audit row commit together): asked, never re-listed.
   */
  tables: ServerTables;
  /** Absolute path of the audit database file. */
  auditFile: string;
  /**
   * What the person must hear about how this session started, once, in the first result (the registry delivers
   * them): a database file that was just created, a start-up migration that failed, the audit table moved or
   * renamed because the project claims its name. Empty when there is nothing to say.
   */
  notices: readonly string[];
  backupDir: string;
  kit: KitClient;
  /** edit_schema's records of each schema edit (kept beside the backups): revert, and the renames generate applies. */
  edits: EditRecords;
  /**
   * Runs `fn` with the writable (and audit) connection to itself. An apply holds a transaction open across awaits;
   * anything else written on that connection meanwhile — an audit row of another call — would silently join it
   * and vanish with its rollback. Every user of those connections goes through here.
   */
  exclusive<T>(fn: () => T | Promise<T>): Promise<T>;
  /** The killable query host pool, started on first use (reads and row writes run there, never in this process). */
  queries(): QueryRunner;
  /** Rows this session's writes may still change without the human (guard/write-budget.ts). */
  writes: SessionWriteBudget;
  /** Runs the migration dry run and apply in the killable query host (migrations/jobs.ts). */
  migrations: MigrationRunner;
  /** Loads the project's Drizzle schema (fresh on every call, so edits are seen); undefined when none is configured. */
  loadSchema(): Promise<LoadedSchema | undefined>;
  /**
   * The project's drizzle-kit and drizzle-orm, and the drizzle-kit the kit worker runs for it (looked up on every
   * call: the project may install another while the server runs).
   */
  drizzle(): DrizzleSetup;
  /** Plans waiting for a person, the desk behind the review card and page, and the review page's server. */
  consent: ConsentRoom;
  close(): Promise<void>;
}

export interface DrizzleSetup {
  found: ProjectDrizzle;
  choice: KitChoice;
}

export interface StartupContext {
  db: SqliteDatabase;
  project: ProjectConfig;
  config: Config;
  logger: Logger;
  /** The server's own tables: a database holding only these is still new to the app. */
  tables: ServerTables;
  /**
   * The audit log to append to while a transaction on `db` is open: in the project database it is created on
   * demand inside that transaction (the project's own migrations may be what creates it).
   */
  auditFor(db: SqliteDatabase): AuditLog;
}

/** The writable connection, or a refusal naming the launch option that took it away. */
export function writableConnection(
  services: { write: SqliteDatabase | undefined; config: Pick<Config, 'readOnly'> },
  tool: string,
): SqliteDatabase {
  if (services.write && !services.config.readOnly) return services.write;
  throw readOnlyMode(tool);
}

/** The scripts the services start, from the process edge, which alone knows where they are. */
export interface EntryPoints {
  kitWorker: EntryPoint;
  queryHost: EntryPoint;
}

/** What the start-up migration did, for the first result: a failure there must not stay in the log alone. */
export type StartupOutcome =
  | { kind: 'nothing' }
  | { kind: 'applied'; tags: string[] }
  | { kind: 'failed'; message: string; hint: string | undefined; code: string }
  | { kind: 'pending'; tags: string[] };

export interface OpenOptions {
  entries: EntryPoints;
  /** Applies pending migrations at start; given the write connection and a way to record the audit row. */
  migrateOnStart?: (context: StartupContext) => Promise<StartupOutcome>;
  /** Opens the review page in the person's browser (the process edge knows the platform); absent: never. */
  opener?: Opener;
  /** The consent room's clock (tests move it to expire plans); default Date.now. */
  now?: () => number;
}

/** The kit worker (drizzle-kit and the user's TypeScript run there), its output going to the log. */
export function startKit(logger: Logger, entry: EntryPoint): KitClient {
  return new KitClient({
    entry,
    onOutput: (stream, text) => logger.warn(`drizzle-kit ${stream}: ${text.trimEnd()}`),
  });
}

/** The project's resolved config, loaded by the kit worker as drizzle-kit would load it. */
export function loadProject(kit: KitClient, config: Config): Promise<ProjectConfig> {
  return kit.loadProjectConfig({
    projectDir: config.projectDir,
    ...(config.configFile ? { configFile: config.configFile } : {}),
    ...(config.dbFile ? { dbFile: config.dbFile } : {}),
  });
}

/**
 * The project's drizzle-kit and drizzle-orm, and the drizzle-kit the kit worker runs for it, looked up on every call
 * (the project may install another while the server runs). Our own drizzle-kit sits beside the kit worker's script,
 * whether it runs from src/ or dist/.
 */
export function drizzleSetupFor(project: ProjectConfig, kitWorker: EntryPoint): () => DrizzleSetup {
  const bundledKit = findPackage('drizzle-kit', path.dirname(kitWorker.file));
  return () => {
    const found = findProjectDrizzle(project.root);
    return { found, choice: chooseKit(found, bundledKit?.version ?? 'unknown') };
  };
}

/**
 * Loads the project's Drizzle schema, fresh each time (edits are seen), its snapshot in the format of the drizzle-kit
 * that runs for the project; undefined when none is configured.
 */
export function schemaLoader(
  kit: KitClient,
  project: ProjectConfig,
  drizzle: () => DrizzleSetup,
): () => Promise<LoadedSchema | undefined> {
  return async () => {
    if (project.schemaFiles.length === 0) return undefined;
    const { choice } = drizzle();
    if (choice.refusal)
      throw new AppError('CONFIG_ERROR', choice.refusal.message, { hint: choice.refusal.hint });
    return kit.loadSchema(project, undefined, choice.kit);
  };
}

/** Where the audit log lives: the project database, or the --audit-db file. */
export function auditFileFor(
  config: Config,
  project: ProjectConfig,
): { auditFile: string; auditInProjectDb: boolean } {
  const auditFile = config.auditDb ?? project.dbFile;
  return { auditFile, auditInProjectDb: path.resolve(auditFile) === path.resolve(project.dbFile) };
}

/**
 * Which table holds the audit log and which tables are the server's: one answer for the server and for the
 * read-only review console, so the console reads the audit table the server writes (app/audit-table-plan.ts).
 * `existing`: the tables the audit file holds now; `startupMayMigrate`: whether this process may run the start-up
 * migration (never for the console).
 */
export function auditTablesFor(
  config: Config,
  project: ProjectConfig,
  input: { auditInProjectDb: boolean; existing: readonly TableClaim[]; startupMayMigrate: boolean },
): { plan: AuditTablePlan; tablesNamed: (auditTable: string) => ServerTables } {
  const declared = declaredTables(readMigrationFolder(project.outDir));
  const plan = planAuditTable({
    requested: config.auditTable,
    declared: input.auditInProjectDb ? declared : [],
    existing: input.existing,
    startupMayMigrate: input.startupMayMigrate,
  });
  const tablesNamed = (auditTable: string) =>
    serverTables({
      ledgerTable: project.migrationsTable,
      auditTable,
      auditInProjectDb: input.auditInProjectDb,
      declared: declared.map((table) => table.name),
    });
  return { plan, tablesNamed };
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export async function openServices(config: Config, logger: Logger, options: OpenOptions): Promise<Services> {
  const kit = startKit(logger, options.entries.kitWorker);
  const opened: SqliteDatabase[] = [];
  try {
    const project = await loadProject(kit, config);
    // A conversion to drizzle-kit 1.0's layout interrupted between its two renames leaves no migrations folder.
    const finished = finishInterruptedUpgrade(project.outDir);
    if (finished) logger.warn(finished);
    const dbFile = project.dbFile;
    const { auditFile, auditInProjectDb } = auditFileFor(config, project);
    const busy = { busyTimeoutMs: config.busyTimeoutMs };

    assertDatabasePath(dbFile);
    if (!auditInProjectDb) assertDatabasePath(auditFile, 'audit database');
    const dbExisted = databaseExists(dbFile);
    if (config.readOnly && !dbExisted) {
      throw new AppError(
        'CONFIG_ERROR',
        `The database file does not exist: ${dbFile}, and --read-only forbids creating it.`,
        {
          hint: 'Start once without --read-only to create and migrate it, or point --db at an existing database.',
        },
      );
    }
    if (auditInProjectDb && !isWritable(dbFile)) {
      throw new AppError(
        'CONFIG_ERROR',
        `The database file ${dbFile} (or its folder) is not writable, so the audit log cannot be kept in it.`,
        {
          hint: 'Start the server with --audit-db <writable file> to keep the audit log in a separate SQLite file (and --read-only).',
        },
      );
    }
    // Our audit table never takes a name the project declares for its own table: decided before anything is
    // written (even before a new file is created), from the migrations folder and what the file already holds.
    const startupMayMigrate =
      !config.readOnly && !config.noMigrateOnStart && options.migrateOnStart !== undefined;
    const { plan, tablesNamed } = auditTablesFor(config, project, {
      auditInProjectDb,
      existing: databaseExists(auditFile) ? withReadConnection(auditFile, busy, existingTableClaims) : [],
      startupMayMigrate,
    });

    const needsWrite = !config.readOnly || auditInProjectDb;
    const write = needsWrite ? openWriteConnection(dbFile, { ...busy, create: !config.readOnly }) : undefined;
    if (write) opened.push(write);
    const auditDb = auditInProjectDb ? write! : openWriteConnection(auditFile, { ...busy, create: true });
    if (!auditInProjectDb) opened.push(auditDb);
    applyAuditTableMove(auditDb, plan.first);
    const drizzle = drizzleSetupFor(project, options.entries.kitWorker);

    const backupDir = config.backupDir ?? path.join(path.dirname(dbFile), 'backups');

    // The chain's head is also kept outside the database (audit/anchor.ts): beside the backups, or beside a separate
    // audit file (whose owner chose where the audit trail lives, and may keep the project folder read-only). Named
    // by the table it anchors, which is only settled after the start-up migration when the log is in the project.
    const anchorFile = (auditTable: string) =>
      auditInProjectDb
        ? path.join(backupDir, `${auditTable}.anchor.json`)
        : `${auditFile}.${auditTable}.anchor.json`;
    const anchorFor = (auditTable: string) => {
      const anchor = new AuditAnchor(
        anchorFile(auditTable),
        (problem) => logger.warn(problem),
        auditInProjectDb ? keepOutOfVersionControl : undefined,
      );
      // A log moved out of the project's way (audit-table-plan.ts) keeps its chain, so it keeps its anchor too.
      if (
        plan.first.moveFrom !== undefined &&
        plan.first.table === auditTable &&
        anchor.read() === undefined
      ) {
        const previous = new AuditAnchor(anchorFile(plan.first.moveFrom), (problem) => logger.warn(problem));
        const record = previous.read();
        if (record) {
          anchor.write({ ...record, table: auditTable });
          if (anchor.read() !== undefined) fs.rmSync(previous.file, { force: true });
        }
      }
      return anchor;
    };
    let separateAudit: AuditLog | undefined;
    if (!auditInProjectDb) {
      ensureAuditTable(auditDb, plan.first.table);
      separateAudit = new AuditLog(auditDb, plan.first.table, { anchor: anchorFor(plan.first.table) });
    }
    let startup: StartupOutcome = { kind: 'nothing' };
    if (write && startupMayMigrate && options.migrateOnStart) {
      // The audit table may be created by the project's own migrations (the embedded default declares it), so
      // the startup migration runs before the table is ensured and records itself inside its own transaction.
      const auditFor = (db: SqliteDatabase) => {
        if (separateAudit) return separateAudit;
        const { table } = plan.settle(db);
        ensureAuditTable(db, table);
        return new AuditLog(db, table);
      };
      const tables = tablesNamed(plan.first.table);
      startup = await options.migrateOnStart({ db: write, project, config, logger, tables, auditFor });
    }
    const choice = plan.settle(auditDb);
    const tables = tablesNamed(choice.table);
    if (auditInProjectDb) ensureAuditTable(auditDb, tables.auditTable);
    const audit =
      separateAudit ?? new AuditLog(auditDb, tables.auditTable, { anchor: anchorFor(tables.auditTable) });
    const triggers = audit.foreignTriggers();
    if (triggers.length > 0) {
      // Every append refuses while they are there (AuditLog.append), so every call says so; the log says it first.
      logger.error(
        'the audit table carries triggers the server did not create; every call is refused until they are dropped',
        {
          table: tables.auditTable,
          triggers,
        },
      );
    }
    audit.syncAnchor();
    const notices = [...startupNotices(dbFile, dbExisted, startup), ...(choice.clash ? [choice.clash] : [])];
    logger.info('audit log', {
      table: tables.auditTable,
      ...(auditInProjectDb ? {} : { file: auditFile }),
      ...(choice.moveFrom !== undefined ? { movedFrom: choice.moveFrom } : {}),
    });
    for (const notice of notices) logger.warn(notice);
    const edits = new EditRecords(path.join(backupDir, 'schema-edits'), project.root);
    const base = { config, project, logger, write, tables, auditFile, backupDir, kit, edits, notices };
    const read = openReadConnection(dbFile, busy);
    opened.push(read);

    let runner: QueryRunner | undefined;
    const queries = (): QueryRunner =>
      (runner ??= new QueryRunner({
        entry: options.entries.queryHost,
        dbFile,
        protectedTables: tables.protected,
        queryTimeoutMs: config.queryTimeoutMs,
        busyTimeoutMs: config.busyTimeoutMs,
        onOutput: (text, stream) => logger.warn(`query host ${stream}: ${text.trimEnd()}`),
      }));
    const runMigrationJob = (
      job: { kind: 'rehearse'; request: RehearseRequest } | { kind: 'apply'; request: ApplyRequest },
      { signal, onProgress }: JobOptions,
    ) =>
      queries().migrate(job, {
        statementTimeoutMs: config.migrationStatementTimeoutMs,
        // A dry run holds a copy of the whole database in memory (up to 256 MiB, then a temp file).
        memoryLimitBytes: 1024 ** 3 + 2 * fileSize(dbFile),
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      });
    let tail: Promise<unknown> = Promise.resolve();
    const loadSchema = schemaLoader(kit, project, drizzle);
    const consent = new ConsentRoom({
      sources: reviewSources({ read, tables, project, audit, auditFile, loadSchema }),
      opener: options.opener,
      waitMs: config.consentWaitMs,
      logger,
      ...(options.now ? { now: options.now } : {}),
    });
    return {
      exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
        const run = tail.then(fn);
        tail = run.catch(() => undefined);
        return run;
      },
      ...base,
      read,
      audit,
      writes: new SessionWriteBudget(config.writeBudget, config.sessionWriteBudget),
      migrations: {
        rehearse: (request, job) =>
          runMigrationJob({ kind: 'rehearse', request }, job) as Promise<DryRunReport>,
        apply: (request, job) => runMigrationJob({ kind: 'apply', request }, job) as Promise<ApplyJobResult>,
      },
      queries,
      drizzle,
      loadSchema,
      consent,
      async close() {
        await consent.close();
        await runner?.close().catch(() => {});
        await kit.close().catch(() => {});
        for (const db of opened.reverse()) closeQuietly(db);
      },
    };
  } catch (error) {
    await kit.close().catch(() => {});
    for (const db of opened.reverse()) closeQuietly(db);
    throw error;
  }
}

/**
 * The start of a session in sentences for the first result: a wrong `url` (an unset variable, a typo) creates a
 * new empty file silently unless someone says so, and a start-up migration that failed must not stay in a log.
 */
function startupNotices(dbFile: string, existed: boolean, startup: StartupOutcome): string[] {
  const notices: string[] = [];
  if (!existed) {
    const what =
      startup.kind === 'applied'
        ? ` and the project's ${startup.tags.length} migration(s) applied to it (${startup.tags.at(-1)} last)`
        : startup.kind === 'failed'
          ? ', but applying the migrations to it failed (below)'
          : ', empty';
    notices.push(
      `The database file ${dbFile} did not exist: it was created now${what}. If you expected an existing database, the path is wrong (an unset environment variable or a typo in dbCredentials.url or --db): fix it and restart; the new file can be deleted.`,
    );
  }
  if (startup.kind === 'failed') {
    notices.push(
      `Applying the pending migrations at start failed, so none was applied: ${startup.message}${startup.hint ? ` ${startup.hint}` : ''} (${startup.code}). Call apply_migrations with dryRun: true for the whole report.`,
    );
  }
  return notices;
}

function withReadConnection<T>(
  file: string,
  busy: { busyTimeoutMs: number },
  read: (db: SqliteDatabase) => T,
): T {
  const db = openReadConnection(file, busy);
  try {
    return read(db);
  } finally {
    closeQuietly(db);
  }
}
