// Launch configuration: parsed once, at the process edge, from argv and env. Nothing below this module reads
// process.env or process.argv; everything receives the Config it needs. Precedence: CLI > env > project's
// drizzle.config.ts (applied later, when the project loads) > defaults.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from './errors.js';
import { didYouMean } from './suggest.js';

export const ENV_PREFIX = 'DRIZZLE_SQLITE_MCP_';

const positiveInt = (what: string, max: number) =>
  z.coerce
    .number({ error: `${what} must be a whole number` })
    .int(`${what} must be a whole number`)
    .min(1, `${what} must be at least 1`)
    .max(max, `${what} must be at most ${max}`);

const bool = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])])
  .transform((v) => v === true || v === '1' || v === 'true' || v === 'yes' || v === 'on' || v === '');

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export const TEXT_COPY_MODES = ['summary', 'full'] as const;

export const ConfigSchema = z.object({
  /** Folder of the Drizzle project (where drizzle.config.ts lives). */
  projectDir: z.string(),
  /** The drizzle config file; defaults to <projectDir>/drizzle.config.{ts,mts,js,mjs,cjs,json}. */
  configFile: z.string().optional(),
  /** Overrides dbCredentials.url from the drizzle config. */
  dbFile: z.string().optional(),
  /** Keep the audit log in this separate SQLite file instead of the project database. */
  auditDb: z.string().optional(),
  /**
   * Our audit table's name. Unset: the server picks one the project does not declare (src/guard/server-tables.ts
   * chooseAuditTable), keeping an existing one of ours where an earlier version created it.
   */
  auditTable: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'audit table must be a plain identifier (letters, digits, underscore)')
    .optional(),
  readOnly: bool.default(false),
  /** The human's consent, given at launch, for migrations that drop data. */
  allowDestructive: bool.default(false),
  /** The human's consent, given at launch, for writes that touch more rows than the write budget. */
  allowLargeWrites: bool.default(false),
  /**
   * How long one call waits for the person (an elicitation answer, a decision on the review page) before it
   * answers. Below 60 s, where clients give up on a call (Claude Desktop).
   */
  consentWaitMs: positiveInt('consent wait', 55_000).default(45_000),
  /** How many rows one UPDATE/DELETE may touch without consent. */
  writeBudget: positiveInt('write budget', 1_000_000).default(100),
  /**
   * How many rows the writes of one session may change in all without the human (so a change too big for one call
   * cannot be made in many small ones); an approved write starts the count again.
   */
  sessionWriteBudget: positiveInt('session write budget', 100_000_000).default(1_000),
  /** Stop a migration statement (dry run or apply) that runs longer than this; the whole apply rolls back. */
  migrationStatementTimeoutMs: positiveInt('migration statement timeout', 3_600_000).default(120_000),
  maxRows: positiveInt('max rows', 100_000).default(100),
  maxRowsLimit: positiveInt('max rows limit', 1_000_000).default(1000),
  maxBytes: positiveInt('max bytes', 8 * 1024 * 1024).default(64 * 1024),
  queryTimeoutMs: positiveInt('query timeout', 600_000).default(5_000),
  busyTimeoutMs: positiveInt('busy timeout', 600_000).default(5_000),
  backupDir: z.string().optional(),
  /** Do not migrate a new, empty database on start (an existing one is never migrated on start). */
  noMigrateOnStart: bool.default(false),
  /**
   * What the text block of a result that carries rows holds: `summary` (counts and hints; the rows only in
   * structuredContent, which Claude Code, VS Code and Cursor read) or `full` (the whole result again, fenced,
   * for clients that show only text).
   */
  textCopy: z
    .enum(TEXT_COPY_MODES, { error: `text copy must be one of ${TEXT_COPY_MODES.join(', ')}` })
    .default('summary'),
  logLevel: z
    .enum(LOG_LEVELS, { error: `log level must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
});

export type Config = z.infer<typeof ConfigSchema>;

export const COMMANDS = ['serve', 'call', 'tools', 'config', 'review'] as const;
export type Command = (typeof COMMANDS)[number];

export interface ParsedCommandLine {
  command: Command | 'help' | 'version';
  /** Positional arguments after the command (e.g. the tool name for `call`). */
  positionals: string[];
  /** `call`: the arguments as given with --args / --args-file ('-' for stdin). */
  args?: string;
  argsFile?: string;
  config: Config;
}

const OPTIONS = {
  project: { type: 'string' },
  config: { type: 'string' },
  db: { type: 'string' },
  'audit-db': { type: 'string' },
  'audit-table': { type: 'string' },
  'read-only': { type: 'boolean' },
  'allow-destructive': { type: 'boolean' },
  'allow-large-writes': { type: 'boolean' },
  'write-budget': { type: 'string' },
  'session-write-budget': { type: 'string' },
  'migration-timeout-ms': { type: 'string' },
  'consent-wait-ms': { type: 'string' },
  'max-rows': { type: 'string' },
  'max-rows-limit': { type: 'string' },
  'max-bytes': { type: 'string' },
  'query-timeout-ms': { type: 'string' },
  'busy-timeout-ms': { type: 'string' },
  'backup-dir': { type: 'string' },
  'no-migrate-on-start': { type: 'boolean' },
  'text-copy': { type: 'string' },
  'log-level': { type: 'string' },
  args: { type: 'string' },
  'args-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Option name → Config key, for the options that are also settable through the environment. */
const CONFIG_KEYS = {
  project: 'projectDir',
  config: 'configFile',
  db: 'dbFile',
  'audit-db': 'auditDb',
  'audit-table': 'auditTable',
  'read-only': 'readOnly',
  'allow-destructive': 'allowDestructive',
  'allow-large-writes': 'allowLargeWrites',
  'write-budget': 'writeBudget',
  'session-write-budget': 'sessionWriteBudget',
  'migration-timeout-ms': 'migrationStatementTimeoutMs',
  'consent-wait-ms': 'consentWaitMs',
  'max-rows': 'maxRows',
  'max-rows-limit': 'maxRowsLimit',
  'max-bytes': 'maxBytes',
  'query-timeout-ms': 'queryTimeoutMs',
  'busy-timeout-ms': 'busyTimeoutMs',
  'backup-dir': 'backupDir',
  'no-migrate-on-start': 'noMigrateOnStart',
  'text-copy': 'textCopy',
  'log-level': 'logLevel',
} as const satisfies Partial<Record<keyof typeof OPTIONS, keyof Config>>;

const PATH_KEYS = ['projectDir', 'configFile', 'dbFile', 'auditDb', 'backupDir'] as const;

export function envName(option: string): string {
  return ENV_PREFIX + option.toUpperCase().replaceAll('-', '_');
}

export interface LoadConfigInput {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Used when neither --project nor the env names a project: the embedded default. */
  defaultProjectDir: string;
}

/** Pure: the same input always gives the same config, so tests never touch process globals. */
export function loadConfig(input: LoadConfigInput): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...input.argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // A usage error: nothing ran. Node's message for an unknown option gets our own, with the nearest option.
    const unknown = /Unknown option '(--?[^']+)'/.exec((error as Error).message)?.[1];
    const message = unknown
      ? `Unknown option ${unknown}.${didYouMean(
          unknown,
          Object.keys(OPTIONS).map((name) => `--${name}`),
          (s) => s,
        )}`
      : (error as Error).message;
    throw new AppError('INVALID_ARGUMENT', message, {
      hint: 'Run with --help to see the options this server accepts.',
    });
  }
  const { values, positionals } = parsed;
  const raw: Record<string, unknown> = {};
  for (const [option, key] of Object.entries(CONFIG_KEYS)) {
    const fromCli = values[option as keyof typeof values];
    const fromEnv = input.env[envName(option)];
    if (fromCli !== undefined) raw[key] = fromCli;
    else if (fromEnv !== undefined) raw[key] = fromEnv;
  }
  raw.projectDir ??= input.defaultProjectDir;
  for (const key of PATH_KEYS) {
    const value = raw[key];
    if (typeof value === 'string' && value !== '')
      raw[key] = path.resolve(input.cwd, expandHome(value, input.env));
  }
  // A config file given without a project: the project is the folder it lives in.
  if (
    values.project === undefined &&
    input.env[envName('project')] === undefined &&
    typeof raw.configFile === 'string'
  ) {
    raw.projectDir = path.dirname(raw.configFile);
  }
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = issue?.path[0];
    const option = Object.entries(CONFIG_KEYS).find(([, k]) => k === key)?.[0] ?? String(key);
    throw new AppError(
      'INVALID_ARGUMENT',
      `Invalid --${option} (or ${envName(option)}): ${issue?.message ?? 'invalid value'}.`,
      {
        hint: 'Run with --help to see the options and their legal values.',
      },
    );
  }
  const [first, ...rest] = positionals;
  let command: ParsedCommandLine['command'] = 'serve';
  let commandArgs = positionals;
  if (values.help) command = 'help';
  else if (values.version) command = 'version';
  else if (first !== undefined) {
    if (!(COMMANDS as readonly string[]).includes(first)) {
      throw new AppError('INVALID_ARGUMENT', `Unknown command "${first}".${didYouMean(first, COMMANDS)}`, {
        hint: `Commands: ${COMMANDS.join(', ')} (none starts the MCP server on stdio). Run with --help for more.`,
      });
    }
    command = first as Command;
    commandArgs = rest;
  }
  return {
    command,
    positionals: commandArgs,
    ...(values.args !== undefined ? { args: values.args } : {}),
    ...(values['args-file'] !== undefined ? { argsFile: values['args-file'] } : {}),
    config: result.data,
  };
}

function expandHome(value: string, env: LoadConfigInput['env']): string {
  const home = env.HOME ?? env.USERPROFILE;
  return home && (value === '~' || value.startsWith('~/')) ? path.join(home, value.slice(1)) : value;
}
