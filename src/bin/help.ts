// What --help prints: the commands and every option with its default, for a person at a terminal.
import { ENV_PREFIX } from '../core/config.js';

export const HELP_TEXT = `drizzle-sqlite-mcp: a safe MCP server for a Drizzle ORM + SQLite project.

Usage:
  drizzle-sqlite-mcp [options]                 start the MCP server on stdio
  drizzle-sqlite-mcp call <tool> [--args JSON | --args-file FILE | stdin]
                                               run one tool (same guards and audit) and print JSON
  drizzle-sqlite-mcp tools                     list the tools and their input schemas
  drizzle-sqlite-mcp config <client>           print a config snippet (claude-desktop, claude-code, cursor, vscode)
  drizzle-sqlite-mcp review                    open the review console (schema, migrations, audit trail) in
                                               your browser, read-only; serves until Ctrl-C

Project:
  --project DIR          Drizzle project folder (finds drizzle.config.ts there). Default: the embedded example.
  --config FILE          drizzle config file (its folder is the project unless --project is given)
  --db FILE              database file (overrides dbCredentials.url)
  --audit-db FILE        keep the audit log in a separate SQLite file
  --audit-table NAME     audit table name (default mcp_audit_log; an existing audit_log of an earlier
                         version is kept; never a table your project declares)
  --backup-dir DIR       where backups go (default <db folder>/backups)
  --no-migrate-on-start  do not migrate a new, empty database on start (an existing one never is)

Guards (the human's choices; the assistant cannot change them):
  --read-only            refuse every write and every migration
  --allow-destructive    allow migrations that drop tables or columns without asking
  --allow-large-writes   allow UPDATE/DELETE beyond the write budget without asking
  --consent-wait-ms N    how long a call waits for your answer in a dialog or the review page (default 45000,
                         at most 55000)
  --write-budget N       rows one UPDATE/DELETE may touch (default 100)
  --session-write-budget N  rows the writes of one session may change in all without asking (default 1000)
  --max-rows N           default row cap of a query result (default 100)
  --max-rows-limit N     highest row cap a call may ask for (default 1000)
  --max-bytes N          byte cap of a query result (default 65536)
  --query-timeout-ms N   stop a query after N ms (default 5000)
  --migration-timeout-ms N  stop a migration statement after N ms, rolling the apply back (default 120000)
  --busy-timeout-ms N    wait at most N ms for a lock (default 5000)

Other:
  --text-copy MODE       summary (default): a result's rows travel once, in structuredContent; full: the text
                         block repeats them, for clients that show only text
  --log-level LEVEL      debug, info, warn, error or silent (logs go to stderr)
  -h, --help             this text
  -v, --version          the version

Every option also reads from the environment as ${ENV_PREFIX}<OPTION> (e.g. ${ENV_PREFIX}READ_ONLY=1).
`;
