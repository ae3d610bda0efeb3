// The standalone review console (`drizzle-sqlite-mcp review`): the project's schema as an ER diagram, its
// migration history and the audit trail, on the local review page, for as long as the command runs. Invariant:
// read-only — the database is opened with query_only, nothing is written, no audit row is added — and it holds no
// plans: plans live in the MCP server that made them (handing them to another process through a file would hand
// them to any model that can read files), so its only action, a decision, has nothing to act on.
import { randomBytes } from 'node:crypto';
import { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../core/config.js';
import type { EntryPoint } from '../core/entry-point.js';
import type { Logger } from '../core/logger.js';
import { ConsentLedger } from '../consent/ledger.js';
import { pageBackend, ReviewDesk } from '../review/desk.js';
import type { Opener } from '../review/open-browser.js';
import { startReviewServer } from '../review/review-server.js';
import { closeQuietly, openReadConnection, type SqliteDatabase } from '../sqlite/connection.js';
import { reviewSources } from './review-sources.js';
import { drizzleSetupFor, loadProject, schemaLoader, serverTablesFor, startKit } from './services.js';

export interface ReviewConsole {
  /** The page's origin, without its key. */
  origin: string;
  /** The project's database file. */
  dbFile: string;
  close(): Promise<void>;
}

export async function openReviewConsole(
  config: Config,
  logger: Logger,
  options: { kitWorker: EntryPoint; opener: Opener },
): Promise<ReviewConsole> {
  const kit = startKit(logger, options.kitWorker);
  const opened: SqliteDatabase[] = [];
  try {
    const project = await loadProject(kit, config);
    const read = openReadConnection(project.dbFile, { busyTimeoutMs: config.busyTimeoutMs });
    opened.push(read);
    const { auditFile, auditInProjectDb, tables } = serverTablesFor(config, project);
    const auditDb = auditInProjectDb
      ? read
      : openReadConnection(auditFile, { busyTimeoutMs: config.busyTimeoutMs });
    if (auditDb !== read) opened.push(auditDb);
    const hasAudit = auditDb
      .prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`)
      .get(tables.auditTable);
    const sources = reviewSources({
      read,
      tables,
      project,
      audit: hasAudit ? new AuditLog(auditDb, tables.auditTable) : undefined,
      auditFile,
      loadSchema: schemaLoader(kit, project, drizzleSetupFor(project, options.kitWorker)),
    });
    const ledger = new ConsentLedger({ now: Date.now, randomBytes: (size) => randomBytes(size) });
    const server = await startReviewServer({
      backend: pageBackend(new ReviewDesk(ledger, sources, { standalone: true })),
      open: options.opener,
      log: (line) => logger.info(line),
    });
    await server.open('/schema');
    return {
      origin: server.origin,
      dbFile: project.dbFile,
      async close() {
        await server.close();
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
