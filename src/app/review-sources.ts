// Where the views a person looks at get their data: the live schema with the project's Drizzle names (ER diagram),
// the migrations folder against the ledger with each file's SQL (migration history), and the audit log with its
// chain verification (audit trail). Read-only: every source reads, none writes. Shared by the MCP server (its App
// views and its review page) and the standalone `review` console.
import path from 'node:path';
import type { AuditLog } from '../audit/audit-log.js';
import type { Outcome } from '../core/errors.js';
import type { ServerTables } from '../guard/server-tables.js';
import type { LoadedSchema, ProjectConfig } from '../project/types.js';
import type { DeskSources } from '../review/desk.js';
import type { SqliteDatabase } from '../sqlite/connection.js';
import { introspectDatabase } from '../sqlite/introspect.js';
import { readMigrationState } from './migration-state.js';

export interface ReviewSourceServices {
  read: SqliteDatabase;
  tables: ServerTables;
  project: Pick<ProjectConfig, 'root' | 'outDir' | 'migrationsTable'>;
  /** Undefined when there is no audit log to read yet. */
  audit: Pick<AuditLog, 'read' | 'verify' | 'table'> | undefined;
  auditFile: string;
  loadSchema(): Promise<LoadedSchema | undefined>;
}

/** Rows the audit trail view shows at once (newest first). */
export const AUDIT_VIEW_ROWS = 200;

const OUTCOMES: readonly Outcome[] = ['ok', 'error', 'refused'];

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

export function reviewSources(services: ReviewSourceServices): DeskSources {
  const shown = (file: string) => path.relative(services.project.root, file) || file;
  return {
    async schema() {
      let drizzle: LoadedSchema['tables'] | undefined;
      let drizzleNote: string | undefined;
      try {
        const loaded = await services.loadSchema();
        if (loaded) drizzle = loaded.tables;
        else drizzleNote = 'The project configures no schema file.';
      } catch (error) {
        drizzleNote = `schema.ts could not be loaded, so Drizzle names are missing: ${(error as Error).message}`;
      }
      const schema = introspectDatabase(services.read, {
        rowCounts: true,
        exclude: services.tables.hidden(drizzle?.map((table) => table.name)),
      });
      return {
        tables: schema.tables,
        ...(drizzle ? { drizzle } : {}),
        ...(drizzleNote ? { drizzleNote } : {}),
      };
    },
    async migrations() {
      const { folder, status } = readMigrationState(services.read, services.project);
      const byTag = new Map(folder.migrations.map((migration) => [migration.tag, migration]));
      return {
        folder: `${shown(services.project.outDir)}/`,
        ...(status.problems.length ? { problems: status.problems } : {}),
        entries: status.entries.map((entry) => {
          const file = entry.tag === undefined ? undefined : byTag.get(entry.tag);
          return { ...entry, ...(file ? { statements: file.chunks.map((chunk) => chunk.trim()) } : {}) };
        }),
      };
    },
    async audit(input) {
      const source = `${services.tables.auditTable} in ${shown(services.auditFile)}`;
      if (!services.audit) return { rows: [], source };
      // The App view passes read_audit_log's arguments along: the same filters narrow what the person sees.
      const outcome = OUTCOMES.find((o) => o === input.outcome);
      const { rows, nextBeforeId } = services.audit.read({
        limit: AUDIT_VIEW_ROWS,
        ...(text(input.tool) ? { tool: text(input.tool) } : {}),
        ...(outcome ? { outcome } : {}),
        ...(text(input.targetType) ? { targetType: text(input.targetType) } : {}),
        ...(text(input.targetId) ? { targetId: text(input.targetId) } : {}),
        ...(text(input.since) && !Number.isNaN(Date.parse(text(input.since)!))
          ? { since: new Date(text(input.since)!).toISOString() }
          : {}),
      });
      return {
        rows,
        verification: services.audit.verify(),
        source,
        ...(nextBeforeId !== undefined ? { truncated: true } : {}),
      };
    },
  };
}
