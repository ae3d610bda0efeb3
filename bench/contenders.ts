// The contenders: floors (in-process better-sqlite3, the minimal SDK server), ours, and the peers from npm.
// Every MCP contender is driven through the same SDK Client over the same measuring stdio transport; what
// differs is only how it is launched, which tool runs a query, and how its answer says how many rows it holds.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BENCH_ROOT, REPO_ROOT } from './dataset.js';
import { MeasuringStdioTransport, type LaunchSpec } from './lib/transport.js';

export type ContenderKind = 'floor' | 'ours' | 'peer';

export interface OpenOptions {
  /** The shop database and its Drizzle project folder. */
  dbFile: string;
  projectDir: string;
  /** Rows one query must be able to return in full (ours caps at 100 rows / 64 KiB by default). */
  rowsWanted?: number;
  /** Extra launch arguments (ours only). */
  extraArgs?: string[];
}

export interface Answer {
  ms: number;
  /** Bytes of the JSON-RPC response line (for the in-process floor: bytes of JSON.stringify(rows)). */
  bytes: number;
  rows?: number;
  isError: boolean;
  /** Above the stock client's 10 MiB limit: a stock client would have dropped the connection. */
  oversize: boolean;
  errorText?: string;
  result?: CallToolResult;
}

export interface Session {
  contender: Contender;
  /** The server process (absent for the in-process floor). */
  pid?: number;
  /** spawn → initialize → tools/list answered. */
  startupMs?: number;
  toolsListBytes?: number;
  toolNames?: string[];
  query(sql: string): Promise<Answer>;
  call(tool: string, args: Record<string, unknown>, options?: { timeoutMs?: number }): Promise<Answer>;
  stderr(): string;
  close(): Promise<void>;
}

export interface Contender {
  id: string;
  /** Launch arguments after the script (MCP contenders). */
  argsFor(options: OpenOptions): string[];
  queryArgsFor(sql: string, options: OpenOptions): Record<string, unknown>;
  kind: ContenderKind;
  description: string;
  /** Why it cannot run here, or undefined when it can. */
  unavailable(): string | undefined;
  open(options: OpenOptions): Promise<Session>;
}

const BENCH_ENV = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  NODE_ENV: 'production',
});

function rowsInJson(value: unknown, depth = 0): number | undefined {
  if (Array.isArray(value)) return value.length;
  if (value === null || typeof value !== 'object' || depth > 4) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ['rows', 'data', 'results', 'result']) {
    if (key in record) {
      const inner = rowsInJson(record[key], depth + 1);
      if (inner !== undefined) return inner;
    }
  }
  for (const inner of Object.values(record)) {
    const found = rowsInJson(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Rows in a tool result: structuredContent when present, else the first JSON text block. */
export function rowsInResult(result: CallToolResult): number | undefined {
  if (result.structuredContent) return rowsInJson(result.structuredContent);
  const text = result.content?.find((c) => c.type === 'text');
  if (!text || text.type !== 'text') return undefined;
  try {
    return rowsInJson(JSON.parse(text.text));
  } catch {
    return undefined;
  }
}

function errorTextOf(result: CallToolResult): string | undefined {
  if (!result.isError) return undefined;
  const text = result.content?.find((c) => c.type === 'text');
  return text && text.type === 'text' ? text.text.slice(0, 500) : 'isError without text';
}

interface McpSpec {
  id: string;
  kind: ContenderKind;
  description: string;
  /** Path of the script node runs; checked by unavailable(). */
  script: string;
  args(options: OpenOptions): string[];
  queryTool: string;
  queryArgs(sql: string, options: OpenOptions): Record<string, unknown>;
  /** Extra reason it cannot run (beyond a missing script). */
  blocked?: () => string | undefined;
}

function mcpContender(spec: McpSpec): Contender {
  const contender: Contender = {
    id: spec.id,
    argsFor: (options) => spec.args(options),
    queryArgsFor: (sql, options) => spec.queryArgs(sql, options),
    kind: spec.kind,
    description: spec.description,
    unavailable() {
      if (!fs.existsSync(spec.script)) return `${path.relative(REPO_ROOT, spec.script)} does not exist`;
      return spec.blocked?.();
    },
    async open(options) {
      // BENCH_PROFILE=<dir> runs ours under --cpu-prof (node refuses it in NODE_OPTIONS; a child forked with the
      // inherited execArgv is profiled too). The profile is written when the server exits.
      const profileDir = process.env.BENCH_PROFILE;
      const nodeArgs =
        profileDir && spec.kind === 'ours'
          ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`]
          : [];
      const launch: LaunchSpec = {
        command: process.execPath,
        args: [...nodeArgs, spec.script, ...spec.args(options)],
        env: BENCH_ENV(),
        cwd: options.projectDir,
      };
      const transport = new MeasuringStdioTransport(launch);
      const client = new Client({ name: 'dsm-bench', version: '1.0.0' });
      const started = performance.now();
      try {
        await client.connect(transport);
      } catch (error) {
        await transport.close();
        // The exit event can come before the last of stderr: give the pipe a moment to drain.
        await new Promise((resolve) => setTimeout(resolve, 200));
        throw new Error(`${spec.id} did not initialize: ${(error as Error).message}\n${transport.stderr()}`);
      }
      const listed = await client.listTools();
      const startupMs = performance.now() - started;
      const toolsListBytes = transport.lastResponse?.bytes;
      const toolNames = listed.tools.map((t) => t.name);
      const call = async (
        tool: string,
        args: Record<string, unknown>,
        callOptions: { timeoutMs?: number } = {},
      ): Promise<Answer> => {
        const t0 = performance.now();
        const result = (await client.callTool({ name: tool, arguments: args }, undefined, {
          timeout: callOptions.timeoutMs ?? 600_000,
          maxTotalTimeout: callOptions.timeoutMs ?? 600_000,
        })) as CallToolResult;
        const ms = performance.now() - t0;
        const last = transport.lastResponse;
        const oversize = last?.oversize ?? false;
        return {
          ms,
          bytes: last?.bytes ?? 0,
          rows: oversize ? undefined : rowsInResult(result),
          isError: Boolean(result.isError) && !oversize,
          oversize,
          errorText: oversize ? undefined : errorTextOf(result),
          result,
        };
      };
      return {
        contender,
        pid: transport.pid,
        startupMs,
        toolsListBytes,
        toolNames,
        query: (sql) => {
          if (!toolNames.includes(spec.queryTool)) {
            return Promise.reject(
              new Error(`${spec.id} has no tool ${spec.queryTool}; it lists ${toolNames.join(', ')}`),
            );
          }
          return call(spec.queryTool, spec.queryArgs(sql, options));
        },
        call,
        stderr: () => transport.stderr(),
        close: async () => {
          await client.close().catch(() => {});
          await transport.close();
        },
      };
    },
  };
  return contender;
}

/** Floor (a): the same SQL in this process, prepared per call as a server receiving SQL text must. */
export const inProcessFloor: Contender = {
  id: 'floor-inproc',
  argsFor: () => [],
  queryArgsFor: (sql) => ({ sql }),
  kind: 'floor',
  description: 'better-sqlite3 in the bench process: prepare + all per call, bytes = JSON.stringify(rows)',
  unavailable: () => undefined,
  async open(options) {
    const db = new Database(options.dbFile, { readonly: true, fileMustExist: true });
    const session: Session = {
      contender: inProcessFloor,
      async query(sql) {
        const t0 = performance.now();
        const rows = db.prepare(sql).all();
        const ms = performance.now() - t0;
        return {
          ms,
          bytes: Buffer.byteLength(JSON.stringify(rows)),
          rows: rows.length,
          isError: false,
          oversize: false,
        };
      },
      call: () => Promise.reject(new Error('the in-process floor has no tools')),
      stderr: () => '',
      close: async () => {
        db.close();
      },
    };
    return session;
  },
};

const FLOOR_BUNDLE = path.join(REPO_ROOT, 'bench/.cache/floor-server.js');
/** BENCH_OURS=<path to a built index.js> measures another build (e.g. one made from a clean checkout). */
const OURS_BUNDLE = path.resolve(process.env.BENCH_OURS ?? path.join(REPO_ROOT, 'dist/index.js'));
/** The competitors live in bench/node_modules (bench/package.json), installed by `npm run bench` only. */
const nm = (p: string) => path.join(REPO_ROOT, 'bench/node_modules', p);

export const floorSdk = mcpContender({
  id: 'floor-sdk',
  kind: 'floor',
  description:
    'McpServer + one query tool, no guard/audit/caps, rows as JSON.stringify text (esbuild bundle)',
  script: FLOOR_BUNDLE,
  args: (o) => ['--db', o.dbFile],
  queryTool: 'query',
  queryArgs: (sql) => ({ sql }),
});

export const floorSdkStructured = mcpContender({
  id: 'floor-sdk-struct',
  kind: 'floor',
  description: 'as floor-sdk, answering { columns, rows[][] } as structuredContent + the same JSON as text',
  script: FLOOR_BUNDLE,
  args: (o) => ['--db', o.dbFile, '--structured'],
  queryTool: 'query',
  queryArgs: (sql) => ({ sql }),
});

export const ours = mcpContender({
  id: 'ours',
  kind: 'ours',
  description: 'drizzle-sqlite-mcp (dist/index.js), run_query with guard, caps and an audit row per call',
  script: OURS_BUNDLE,
  args: (o) => [
    '--project',
    o.projectDir,
    '--log-level',
    'warn',
    ...(o.rowsWanted && o.rowsWanted > 100 ? ['--max-bytes', String(8 * 1024 * 1024)] : []),
    ...(o.extraArgs ?? []),
  ],
  queryTool: 'run_query',
  queryArgs: (sql, o) => (o.rowsWanted && o.rowsWanted > 100 ? { sql, maxRows: o.rowsWanted } : { sql }),
});

/**
 * Ours with the audit log in its own file, which the server creates in WAL mode (synchronous=NORMAL): the audit
 * commit then costs no fsync. On a database in rollback-journal mode (the shop, like most files drizzle-kit and
 * better-sqlite3 create) the default configuration pays a journal + database fsync for every call's audit row.
 */
export const oursAuditWal = mcpContender({
  id: 'ours-audit-wal',
  kind: 'ours',
  description: 'ours with --audit-db <fresh file> (WAL, synchronous=NORMAL): the audit commit without fsync',
  script: OURS_BUNDLE,
  args: (o) => [
    ...ours.argsFor(o),
    '--audit-db',
    path.join(BENCH_ROOT, 'work', `ours-audit-${process.pid}.db`),
  ],
  queryTool: 'run_query',
  queryArgs: (sql, o) => ours.queryArgsFor(sql, o),
});

export const eaDatabaseServer = mcpContender({
  id: 'ea-database-server',
  kind: 'peer',
  description: '@executeautomation/database-server 1.1.0 (node-sqlite3, SDK 1.9), read_query',
  script: nm('@executeautomation/database-server/dist/src/index.js'),
  args: (o) => [o.dbFile],
  queryTool: 'read_query',
  queryArgs: (sql) => ({ query: sql }),
});

export const mcpSqlite = mcpContender({
  id: 'mcp-sqlite',
  kind: 'peer',
  description: 'mcp-sqlite 1.0.9 (node-sqlite3, McpServer), query',
  script: nm('mcp-sqlite/mcp-sqlite-server.js'),
  args: (o) => [o.dbFile],
  queryTool: 'query',
  queryArgs: (sql) => ({ sql, values: [] }),
});

export const dbhub = mcpContender({
  id: 'dbhub',
  kind: 'peer',
  description: '@bytebase/dbhub 0.21.2 (better-sqlite3 11; 0.24+ need Node ≥ 22.5), execute_sql',
  script: nm('@bytebase/dbhub/dist/index.js'),
  args: (o) => ['--transport', 'stdio', '--dsn', `sqlite://${o.dbFile}`],
  queryTool: 'execute_sql',
  queryArgs: (sql) => ({ sql }),
});

export const ALL_CONTENDERS: readonly Contender[] = [
  inProcessFloor,
  floorSdk,
  floorSdkStructured,
  ours,
  oursAuditWal,
  eaDatabaseServer,
  mcpSqlite,
  dbhub,
];
