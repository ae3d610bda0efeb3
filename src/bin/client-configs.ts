// The one place that knows how each MCP client is told to launch this server. The `config` command prints these
// snippets and the README shows them; a test regenerates the README's blocks from here, so the two cannot drift.
// Pure: paths and options come in as arguments; nothing here reads the process or the file system.
import { ConfigSchema, type Config } from '../core/config.js';

export const CLIENTS = ['claude-desktop', 'claude-code', 'cursor', 'vscode'] as const;
export type ClientName = (typeof CLIENTS)[number];

/** The name the server is registered under in every client's config. */
export const DEFAULT_SERVER_NAME = 'drizzle-sqlite';

export interface Launch {
  /** Name of the server entry in the client's config. */
  name: string;
  /** Absolute path of the node binary (see `WHY_ABSOLUTE_NODE`). */
  command: string;
  /** The bin script first, then the server options. */
  args: string[];
}

export interface Snippet {
  /** Where the snippet goes, in words a person can follow. */
  where: string;
  language: 'json' | 'sh';
  text: string;
}

export interface ClientSnippets {
  client: ClientName;
  title: string;
  /** The snippet to paste (printed on stdout by the `config` command). */
  primary: Snippet;
  /** Equivalent alternatives (e.g. Claude Code's project `.mcp.json`). */
  alternatives: Snippet[];
}

export const WHY_ABSOLUTE_NODE =
  'The command is the absolute path of the node binary that built this package: GUI clients such as Claude Desktop ' +
  'start servers with their own PATH (often without nvm/volta/asdf shims) and may find an older Node, and ' +
  'better-sqlite3 is a native module compiled for this exact Node version.';

/**
 * Config keys carried into a client's launch arguments when they differ from the defaults, with their flag.
 * Exhaustive by type: a new Config key fails to compile until it is listed here.
 */
const FLAGS = {
  projectDir: '--project',
  configFile: '--config',
  dbFile: '--db',
  auditDb: '--audit-db',
  auditTable: '--audit-table',
  readOnly: '--read-only',
  allowDestructive: '--allow-destructive',
  allowLargeWrites: '--allow-large-writes',
  writeBudget: '--write-budget',
  sessionWriteBudget: '--session-write-budget',
  migrationStatementTimeoutMs: '--migration-timeout-ms',
  consentWaitMs: '--consent-wait-ms',
  maxRows: '--max-rows',
  maxRowsLimit: '--max-rows-limit',
  maxBytes: '--max-bytes',
  queryTimeoutMs: '--query-timeout-ms',
  busyTimeoutMs: '--busy-timeout-ms',
  backupDir: '--backup-dir',
  noMigrateOnStart: '--no-migrate-on-start',
  textCopy: '--text-copy',
  logLevel: '--log-level',
} as const satisfies Record<keyof Config, `--${string}`>;

/**
 * The server options that reproduce `config` when the client launches the server: the project is always named
 * (a client starts servers from an unknown working directory), everything else only when it is not the default.
 */
export function serverArgsFor(config: Config): string[] {
  const defaults = ConfigSchema.parse({ projectDir: config.projectDir });
  const args: string[] = ['--project', config.projectDir];
  for (const [key, flag] of Object.entries(FLAGS) as Array<[keyof Config, string]>) {
    if (key === 'projectDir') continue;
    const value = config[key];
    if (value === undefined || value === defaults[key]) continue;
    if (typeof value === 'boolean') {
      if (value) args.push(flag);
    } else {
      args.push(flag, String(value));
    }
  }
  return args;
}

export function launchFor(options: { node: string; entry: string; config: Config; name?: string }): Launch {
  return {
    name: options.name ?? DEFAULT_SERVER_NAME,
    command: options.node,
    args: [options.entry, ...serverArgsFor(options.config)],
  };
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** POSIX shell quoting: bare when safe, single quotes otherwise. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function snippetsFor(client: ClientName, launch: Launch): ClientSnippets {
  const entry = { command: launch.command, args: launch.args };
  switch (client) {
    case 'claude-desktop':
      return {
        client,
        title: 'Claude Desktop',
        primary: {
          where:
            'claude_desktop_config.json (Settings → Developer → Edit Config; macOS: ~/Library/Application Support/Claude/, Windows: %APPDATA%\\Claude\\). Merge into "mcpServers", then restart Claude Desktop.',
          language: 'json',
          text: json({ mcpServers: { [launch.name]: entry } }),
        },
        alternatives: [],
      };
    case 'claude-code':
      return {
        client,
        title: 'Claude Code',
        primary: {
          where:
            'Run in a shell (add --scope project before the name to write the project .mcp.json instead).',
          language: 'sh',
          text: ['claude', 'mcp', 'add', launch.name, '--', launch.command, ...launch.args]
            .map(shellQuote)
            .join(' '),
        },
        alternatives: [
          {
            where:
              '.mcp.json at the project root (shared with everyone who opens the project in Claude Code).',
            language: 'json',
            text: json({ mcpServers: { [launch.name]: { type: 'stdio', ...entry } } }),
          },
        ],
      };
    case 'cursor':
      return {
        client,
        title: 'Cursor',
        primary: {
          where:
            '.cursor/mcp.json in the project (or ~/.cursor/mcp.json for every project). Merge into "mcpServers".',
          language: 'json',
          text: json({ mcpServers: { [launch.name]: entry } }),
        },
        alternatives: [],
      };
    case 'vscode':
      return {
        client,
        title: 'VS Code',
        primary: {
          where:
            '.vscode/mcp.json in the workspace (or run "MCP: Open User Configuration"). Merge into "servers".',
          language: 'json',
          text: json({ servers: { [launch.name]: { type: 'stdio', ...entry } } }),
        },
        alternatives: [],
      };
  }
}

export function isClientName(value: string): value is ClientName {
  return (CLIENTS as readonly string[]).includes(value);
}
