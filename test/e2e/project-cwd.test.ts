// Issue 10 item 2: clients start servers from anywhere (Claude Desktop, Cursor and VS Code from `/` or their own
// folder), while a drizzle config is written to run from the project folder: relative paths, `process.cwd()`,
// and the `.env` that dotenv — or drizzle-kit itself — reads from the working directory. Spawned from `/`, the
// built server must load the config exactly as `drizzle-kit` run in the project would.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, corpusSession } from '../helpers/corpus.js';
import { initialize, nonJsonRpcLines, type RawServer } from '../helpers/stdio.js';

const { fixture, spawn } = corpusSession();

async function startFromRoot(project: string, env: Record<string, string> = {}): Promise<RawServer> {
  const server = spawn(['--project', project, '--log-level', 'warn'], env);
  await initialize(server);
  return server;
}

describe('the project folder is the working directory of its config, whatever the server’s own', () => {
  it('reads .env from the project through the config’s `import "dotenv/config"` (the Drizzle docs’ setup)', async () => {
    const project = fixture('dotenv-url');
    const server = await startFromRoot(project);
    const status = await callTool(server, 'migration_status', { drift: false });
    expect(status.isError, status.content?.[0]?.text).toBeFalsy();
    expect(status.structuredContent.counts).toMatchObject({ applied: 1, pending: 0 });
    expect(status.structuredContent.notices.join(' ')).toContain(path.join(project, 'local.db'));
    expect(fs.existsSync(path.join(project, 'local.db'))).toBe(true);
    expect(fs.existsSync('/local.db')).toBe(false);
    expect(nonJsonRpcLines(server.stdout())).toEqual([]);
  });

  it('reads .env from the project as the drizzle-kit CLI does, for a config that does not import dotenv', async () => {
    const project = fixture('dotenv-url');
    const config = path.join(project, 'drizzle.config.ts');
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace("import 'dotenv/config';\n", ''));
    const server = await startFromRoot(project);
    const schema = await callTool(server, 'inspect_schema', { rowCounts: false });
    expect(schema.isError, schema.content?.[0]?.text).toBeFalsy();
    expect(fs.existsSync(path.join(project, 'local.db'))).toBe(true);
  });

  it('lets the client’s env win over .env, as dotenv does', async () => {
    const project = fixture('dotenv-url');
    const server = await startFromRoot(project, { DB_FILE_NAME: 'file:from-client.db' });
    const status = await callTool(server, 'migration_status', { drift: false });
    expect(status.isError, status.content?.[0]?.text).toBeFalsy();
    expect(fs.existsSync(path.join(project, 'from-client.db'))).toBe(true);
    expect(fs.existsSync(path.join(project, 'local.db'))).toBe(false);
  });

  it('gives process.cwd() in the config the project folder', async () => {
    const project = fixture('cwd-relative-url');
    const server = await startFromRoot(project);
    const status = await callTool(server, 'migration_status', { drift: false });
    expect(status.isError, status.content?.[0]?.text).toBeFalsy();
    expect(fs.existsSync(path.join(project, 'userData/sqlite.db'))).toBe(true);
    expect(fs.existsSync('/userData')).toBe(false);
  });
});
