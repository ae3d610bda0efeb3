// Issue 10 item 5: a configuration that cannot be used never kills a running session. Spawned from `/` as a GUI
// client starts it, the server answers initialize and tools/list, then every tool call answers the reason and
// its fix — and the process stays up, trying again on each call. A libSQL config with a local `file:` URL is a
// plain SQLite file and is managed like one.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, corpusSession, type Json } from '../helpers/corpus.js';
import { initialize, nonJsonRpcLines, type RawServer } from '../helpers/stdio.js';

const { fixture, spawn } = corpusSession();

async function start(args: string[]): Promise<RawServer> {
  const server = spawn([...args, '--log-level', 'warn']);
  const init = await initialize(server);
  expect((init.result as Json).serverInfo.name).toBe('drizzle-sqlite-mcp');
  const list = (await server.request('tools/list')).result as Json;
  expect(list.tools.length).toBeGreaterThan(5);
  return server;
}

const text = (result: Json) => String(result.content?.[0]?.text ?? '');

describe('a project that cannot be used keeps the session', () => {
  it('answers every call of a remote Turso config with the reason and --db, and stays up', async () => {
    const project = fixture('turso-remote-url');
    const server = await start(['--project', project]);
    for (const tool of ['migration_status', 'inspect_schema', 'read_audit_log']) {
      const result = await callTool(server, tool);
      expect(result.isError, tool).toBe(true);
      expect(text(result)).toMatch(/could not open the project/);
      expect(text(result)).toMatch(/remote libSQL\/Turso database/);
      expect(text(result)).toMatch(/--db/);
      expect(text(result)).toMatch(/CONFIG_ERROR/);
    }
    expect(server.child.exitCode).toBeNull();
    expect(await server.exited()).toEqual({ code: 0, signal: null });
    expect(nonJsonRpcLines(server.stdout())).toEqual([]);
  });

  it('answers a wrong --project on each call, and stays up', async () => {
    const server = await start(['--project', '/nonexistent/project']);
    const first = await callTool(server, 'migration_status');
    expect(first.isError).toBe(true);
    expect(text(first)).toMatch(/\/nonexistent\/project does not exist/);
    const second = await callTool(server, 'inspect_schema');
    expect(text(second)).toMatch(/does not exist/);
    expect(server.child.exitCode).toBeNull();
  });

  it('tries again on the next call: a .env written meanwhile needs no restart', async () => {
    const project = fixture('dotenv-url');
    fs.rmSync(path.join(project, '.env'));
    const server = await start(['--project', project]);
    const missing = await callTool(server, 'migration_status', { drift: false });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/dbCredentials\.url` is missing/);
    expect(text(missing)).toMatch(/\.env/);
    fs.copyFileSync(path.join(project, '.env.example'), path.join(project, '.env'));
    const fixed = await callTool(server, 'migration_status', { drift: false });
    expect(fixed.isError, text(fixed)).toBeFalsy();
    expect(fixed.structuredContent.counts).toMatchObject({ applied: 1 });
  });
});

describe('a libSQL config with a local file: URL', () => {
  it('is a plain SQLite file: status, apply on start, inspect, from /', async () => {
    const project = fixture('turso-file-url');
    const server = await start(['--project', project]);
    const status = await callTool(server, 'migration_status');
    expect(status.isError, text(status)).toBeFalsy();
    expect(status.structuredContent.counts).toMatchObject({ applied: 1, pending: 0 });
    expect(status.structuredContent.drift.inSync).toBe(true);
    expect(fs.existsSync(path.join(project, 'local.db'))).toBe(true);
    const schema = await callTool(server, 'inspect_schema', { rowCounts: false });
    expect(schema.isError, text(schema)).toBeFalsy();
    expect(schema.structuredContent.tables.length).toBeGreaterThan(0);
  });

  it('manages a remote Turso project’s local copy given with --db', async () => {
    const project = fixture('turso-remote-url');
    const server = await start(['--project', project, '--db', path.join(project, 'copy.db')]);
    const status = await callTool(server, 'migration_status', { drift: false });
    expect(status.isError, text(status)).toBeFalsy();
    expect(status.structuredContent.counts).toMatchObject({ applied: 1 });
  });
});
