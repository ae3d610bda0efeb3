// MCP resources: read-only views of the live schema, the migrations folder and the recent audit log, for clients
// that let a person attach context (or a model read it) without a tool call. They read through the services' read
// connection and the same domain modules the tools use; they change nothing, so they write no audit rows.
// Failures are JSON-RPC errors: an unknown table or tag is InvalidParams (the code SEP-2164 settles on for
// "resource not found"), with the message naming what does exist.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ResourceTemplate, type ReadResourceCallback } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { compactAuditRow } from '../audit/entry.js';
import { introspectDatabase, type DatabaseSchema } from '../sqlite/introspect.js';
import { toAppError } from '../core/errors.js';
import { AUDIT_NOTICE, SCHEMA_NOTICE, untrustedFence } from '../core/untrusted.js';
import { readMigrationFolder } from '../migrations/folder.js';
import { readMigrationState } from '../app/migration-state.js';
import type { Services } from '../app/services.js';

export const URI_SCHEME = 'drizzle-sqlite';
export const RESOURCE_URIS = {
  schema: `${URI_SCHEME}://schema`,
  table: `${URI_SCHEME}://schema/{table}`,
  migrations: `${URI_SCHEME}://migrations`,
  migration: `${URI_SCHEME}://migrations/{tag}`,
  auditRecent: `${URI_SCHEME}://audit/recent`,
} as const;

export const RECENT_AUDIT_ROWS = 50;
const MAX_COMPLETIONS = 100;

type ServicesSource = () => Promise<Services>;

/** Any failure as a JSON-RPC error a client can show: bad input → InvalidParams, the rest → InternalError. */
export function toMcpError(error: unknown, uri?: string): McpError {
  if (error instanceof McpError) return error;
  const appError = toAppError(error);
  const input = appError.code === 'NOT_FOUND' || appError.code === 'INVALID_ARGUMENT';
  const message = appError.hint ? `${appError.message} ${appError.hint}` : appError.message;
  return new McpError(input ? ErrorCode.InvalidParams : ErrorCode.InternalError, message, {
    code: appError.code,
    ...(uri ? { uri } : {}),
    ...(appError.details ? { details: appError.details } : {}),
  });
}

/**
 * The live schema without the bookkeeping tables (the migrations ledger, and the audit table when it lives in the
 * project database: it has its own resource). Named explicitly, any table can still be read.
 */
export function readLiveSchema(
  services: Services,
  options: { tables?: string[]; rowCounts?: boolean } = {},
): DatabaseSchema {
  return introspectDatabase(services.read, {
    rowCounts: options.rowCounts ?? true,
    ...(options.tables ? { tables: options.tables } : { exclude: services.tables.hidden() }),
  });
}

/** Table and view names, for completion. */
export function tableNames(services: Services): string[] {
  const schema = readLiveSchema(services, { rowCounts: false });
  return [...schema.tables.map((table) => table.name), ...schema.views.map((view) => view.name)];
}

export function completeFrom(candidates: readonly string[], typed: string | undefined): string[] {
  const prefix = (typed ?? '').toLowerCase();
  return candidates.filter((name) => name.toLowerCase().startsWith(prefix)).slice(0, MAX_COMPLETIONS);
}

/** Completion must never fail a client's keystroke: with no database yet, there is simply nothing to offer. */
async function completeTables(source: ServicesSource, typed: string | undefined): Promise<string[]> {
  try {
    return completeFrom(tableNames(await source()), typed);
  } catch {
    return [];
  }
}

function decodeVariable(uri: URL, value: string | string[] | undefined, what: string): string {
  const raw = Array.isArray(value) ? value.join(',') : value;
  try {
    if (raw) return decodeURIComponent(raw);
  } catch {
    // Falls through to the error below.
  }
  throw new McpError(ErrorCode.InvalidParams, `The resource URI ${uri.href} does not name a valid ${what}.`, {
    uri: uri.href,
  });
}

const jsonContents = (uri: URL, value: unknown): ReadResourceResult => ({
  contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value) }],
});

function migrationsOverview(services: Services): Record<string, unknown> {
  const { status } = readMigrationState(services.read, services.project);
  return {
    outDir: services.project.outDir,
    consistent: status.consistent,
    counts: status.counts,
    migrations: status.entries.map((entry) => ({
      ...(entry.tag !== undefined ? { tag: entry.tag } : {}),
      ...(entry.tag !== undefined && entry.state !== 'missing'
        ? { uri: `${URI_SCHEME}://migrations/${encodeURIComponent(entry.tag)}` }
        : {}),
      state: entry.state,
      // A 1.0 folder whose name is not a time has no date (drizzle-orm records NaN).
      ...(Number.isFinite(entry.when) ? { when: new Date(entry.when).toISOString() } : {}),
      ...(entry.note ? { note: entry.note } : {}),
    })),
    ...(status.problems.length ? { problems: status.problems } : {}),
    ...(status.findings.length
      ? {
          findings: status.findings.map((f) => ({
            code: f.code,
            severity: f.severity,
            message: f.message,
            hint: f.hint,
          })),
        }
      : {}),
  };
}

/** Wraps a read so every failure leaves as a proper JSON-RPC error. */
function guarded<T extends unknown[]>(
  read: (uri: URL, ...rest: T) => Promise<ReadResourceResult>,
): (uri: URL, ...rest: T) => Promise<ReadResourceResult> {
  return async (uri, ...rest) => {
    try {
      return await read(uri, ...rest);
    } catch (error) {
      throw toMcpError(error, uri.href);
    }
  };
}

export function registerResources(server: McpServer, source: ServicesSource): void {
  // Schema text and recorded arguments are database content: the JSON opens with the untrusted notice.
  const readSchema: ReadResourceCallback = guarded(async (uri) =>
    jsonContents(uri, { untrusted: untrustedFence(SCHEMA_NOTICE), ...readLiveSchema(await source()) }),
  );
  server.registerResource(
    'schema',
    RESOURCE_URIS.schema,
    {
      title: 'Database schema',
      description:
        'The whole live schema as JSON: tables (columns, indexes, foreign keys, row counts), views, triggers.',
      mimeType: 'application/json',
    },
    readSchema,
  );

  server.registerResource(
    'table',
    new ResourceTemplate(RESOURCE_URIS.table, {
      list: async () => {
        try {
          const services = await source();
          return {
            resources: tableNames(services).map((name) => ({
              uri: `${URI_SCHEME}://schema/${encodeURIComponent(name)}`,
              name: `table ${name}`,
              mimeType: 'application/json',
            })),
          };
        } catch (error) {
          throw toMcpError(error);
        }
      },
      complete: { table: (value) => completeTables(source, value) },
    }),
    {
      title: 'Table schema',
      description: 'One table or view of the live schema as JSON.',
      mimeType: 'application/json',
    },
    guarded(async (uri, variables) => {
      const table = decodeVariable(uri, variables.table, 'table name');
      return jsonContents(uri, {
        untrusted: untrustedFence(SCHEMA_NOTICE),
        ...readLiveSchema(await source(), { tables: [table] }),
      });
    }),
  );

  server.registerResource(
    'migrations',
    RESOURCE_URIS.migrations,
    {
      title: 'Migrations',
      description:
        'The migrations folder (0.x journal or 1.0 folders) joined with the database ledger: each migration, its state, and any problem.',
      mimeType: 'application/json',
    },
    guarded(async (uri) => jsonContents(uri, migrationsOverview(await source()))),
  );

  server.registerResource(
    'migration',
    new ResourceTemplate(RESOURCE_URIS.migration, {
      list: undefined,
      complete: {
        tag: async (value) => {
          try {
            const services = await source();
            return completeFrom(
              readMigrationFolder(services.project.outDir).migrations.map((m) => m.tag),
              value,
            );
          } catch {
            return [];
          }
        },
      },
    }),
    {
      title: 'Migration SQL',
      description: 'The SQL of one migration, by tag (e.g. 0000_initial), exactly as drizzle-kit wrote it.',
      mimeType: 'application/sql',
    },
    guarded(async (uri, variables) => {
      const tag = decodeVariable(uri, variables.tag, 'migration tag');
      const services = await source();
      const migrations = readMigrationFolder(services.project.outDir).migrations;
      const migration = migrations.find((m) => m.tag === tag);
      if (!migration) {
        const known = migrations.map((m) => m.tag);
        throw new McpError(
          ErrorCode.InvalidParams,
          `There is no migration "${tag}" in ${services.project.outDir}. ${known.length ? `Known: ${known.join(', ')}.` : 'The folder has no migrations yet.'}`,
          { uri: uri.href, code: 'NOT_FOUND' },
        );
      }
      return { contents: [{ uri: uri.href, mimeType: 'application/sql', text: migration.sql }] };
    }),
  );

  server.registerResource(
    'audit-recent',
    RESOURCE_URIS.auditRecent,
    {
      title: 'Recent audit log',
      description: `The ${RECENT_AUDIT_ROWS} most recent tool calls recorded in the audit log, newest first.`,
      mimeType: 'application/json',
    },
    guarded(async (uri) => {
      const services = await source();
      return jsonContents(uri, {
        untrusted: untrustedFence(AUDIT_NOTICE),
        rows: services.audit.read({ limit: RECENT_AUDIT_ROWS }).rows.map(compactAuditRow),
      });
    }),
  );
}
