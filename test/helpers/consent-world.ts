// A real project behind a real server for the views' browser tests: the embedded default with data, a history of
// calls in its audit log (made through the server itself), and a pending migration that drops a column holding
// values. The client is an SDK Client in-process; whether it declares the MCP Apps extension is the test's
// choice, and the server's review page is "opened" into a list the test reads (it plays the person's browser).
// Everything a view shows comes from the product: the plan from the apply pipeline, the views from the server.
import path from 'node:path';
import { errorTextOf, startHarness, type Harness } from './mcp.js';
import { appendFixtureMigration } from './migration-fixtures.js';
import { removeDir } from './project.js';
import { embeddedProject, seedEmbedded } from '../integration/migration-tools-support.js';

export const UI_CAPABILITIES = {
  extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
};

export interface ConsentWorld {
  project: string;
  dbFile: string;
  h: Harness;
  /** URLs the server asked the system opener to open (the review page, its key in the fragment). */
  opened: string[];
  dispose(): Promise<void>;
}

export async function createConsentWorld(
  options: { apps?: boolean; waitMs?: number } = {},
): Promise<ConsentWorld> {
  const project = embeddedProject();
  const dbFile = path.join(project, 'data/app.db');
  const opened: string[] = [];
  const h = await startHarness({
    argv: ['--project', project, '--consent-wait-ms', String(options.waitMs ?? 200)],
    ...(options.apps ? { capabilities: UI_CAPABILITIES } : {}),
    opener: async (url) => void opened.push(url),
    clientName: options.apps ? 'claude-ai' : 'a-client',
  });
  seedEmbedded(dbFile);
  // A history worth reading: reads, a typed write, a refused write and a failed call.
  await h.ok('inspect_schema', { rowCounts: true });
  await h.ok('run_query', { sql: "SELECT mood, notes FROM check_ins WHERE user_id = 'u1'" });
  await h.ok('write_rows', {
    table: 'journalEntries',
    action: 'insert',
    rows: [{ id: 'j3', userId: 'u2', body: 'a <b>bold</b> entry <script>alert(1)</script>' }],
  });
  const refused = await h.call('execute_sql', { sql: "UPDATE audit_log SET tool = 'x'" });
  if (!refused.isError) throw new Error('expected a refusal');
  await h.call('select_rows', { table: 'userz' });
  appendFixtureMigration(path.join(project, 'drizzle'), {
    name: 'drop_sleep_hours',
    statements: [
      'ALTER TABLE `check_ins` DROP COLUMN `sleep_hours`;',
      'CREATE INDEX `check_ins_mood_idx` ON `check_ins` (`mood`);',
    ],
  });
  return {
    project,
    dbFile,
    h,
    opened,
    async dispose() {
      await h.close();
      removeDir(project);
    },
  };
}

/** The planId of a call that answered needs_human (throws with the answer otherwise). */
export async function pendingPlanId(
  h: Harness,
  tool: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const result = await h.call(tool, args);
  const data = result.structuredContent as { status?: string; planId?: string } | undefined;
  if (result.isError || data?.status !== 'needs_human' || !data.planId)
    throw new Error(`${tool} did not wait for a person: ${errorTextOf(result)}`);
  return data.planId;
}
