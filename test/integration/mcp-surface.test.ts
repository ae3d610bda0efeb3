// Resources, prompts and logging through a real MCP Client connected in-process to the real server.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ErrorCode, LoggingMessageNotificationSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createServer } from '../../src/mcp/server.js';
import { PROMPT_TOOLS } from '../../src/mcp/prompts.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { startHarness, type Harness } from '../helpers/mcp.js';
import { copyEmbeddedProject, REPO_ROOT, removeDir } from '../helpers/project.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let harness: Harness | undefined;
let project: string | undefined;

async function start(argv: string[] = []): Promise<Harness> {
  project = copyEmbeddedProject();
  harness = await startHarness({ argv: ['--project', project, ...argv] });
  return harness;
}

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  if (project) removeDir(project);
  project = undefined;
});

async function readJson(h: Harness, uri: string): Promise<Json> {
  const result = await h.client.readResource({ uri });
  const first = result.contents[0] as { uri: string; mimeType?: string; text?: string };
  expect(first.uri).toBe(uri);
  expect(first.mimeType).toBe('application/json');
  return JSON.parse(first.text!) as Json;
}

async function readError(h: Harness, uri: string): Promise<McpError> {
  try {
    await h.client.readResource({ uri });
  } catch (error) {
    if (error instanceof McpError) return error;
    throw error;
  }
  throw new Error(`reading ${uri} should have failed`);
}

describe('resources', () => {
  it('lists the fixed resources and one resource per table, without the bookkeeping tables', async () => {
    const h = await start();
    const { resources } = await h.client.listResources();
    const uris = resources.map((resource) => resource.uri);
    expect(uris).toStrictEqual(
      expect.arrayContaining([
        'drizzle-sqlite://schema',
        'drizzle-sqlite://migrations',
        'drizzle-sqlite://audit/recent',
        'drizzle-sqlite://schema/users',
        'drizzle-sqlite://schema/check_ins',
      ]),
    );
    expect(uris).not.toContain('drizzle-sqlite://schema/__drizzle_migrations');
    expect(uris).not.toContain('drizzle-sqlite://schema/audit_log');
    const { resourceTemplates } = await h.client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate).sort()).toStrictEqual([
      'drizzle-sqlite://migrations/{tag}',
      'drizzle-sqlite://schema/{table}',
      'ui://dsm/{view}',
    ]);
    expect(uris.filter((uri) => uri.startsWith('ui://'))).toEqual([]);
  });

  it('reads the whole live schema and one table', async () => {
    const h = await start();
    const schema = await readJson(h, 'drizzle-sqlite://schema');
    const names = (schema.tables as Json[]).map((table) => table.name);
    expect(names).toStrictEqual(
      expect.arrayContaining(['users', 'check_ins', 'journal_entries', 'sessions']),
    );
    expect(names).not.toContain('__drizzle_migrations');

    const checkIns = await readJson(h, 'drizzle-sqlite://schema/check_ins');
    expect(checkIns.tables).toHaveLength(1);
    const table = checkIns.tables[0] as Json;
    expect(table.columns.map((column: Json) => column.name)).toContain('craving_level');
    expect(table.foreignKeys[0]).toMatchObject({ table: 'users', onDelete: 'cascade' });
    // The audit table has its own resource but can still be read by name.
    expect((await readJson(h, 'drizzle-sqlite://schema/audit_log')).tables[0].name).toBe('audit_log');
  });

  it('answers an unknown table or migration with InvalidParams naming what exists', async () => {
    const h = await start();
    const table = await readError(h, 'drizzle-sqlite://schema/nope');
    expect(table.code).toBe(ErrorCode.InvalidParams);
    expect(table.message).toMatch(/"nope"/);
    expect(table.message).toMatch(/users/);
    expect(table.data).toMatchObject({ code: 'NOT_FOUND', uri: 'drizzle-sqlite://schema/nope' });

    const migration = await readError(h, 'drizzle-sqlite://migrations/0099_nope');
    expect(migration.code).toBe(ErrorCode.InvalidParams);
    expect(migration.message).toMatch(/0000_init/);

    const bad = await readError(h, 'drizzle-sqlite://schema/%E0%A4%A');
    expect(bad.code).toBe(ErrorCode.InvalidParams);

    const unknown = await readError(h, 'drizzle-sqlite://elsewhere');
    expect(unknown.code).toBe(ErrorCode.InvalidParams);
  });

  it('reads the migrations overview and one migration SQL', async () => {
    const h = await start();
    const overview = await readJson(h, 'drizzle-sqlite://migrations');
    expect(overview.consistent).toBe(true);
    expect(overview.migrations).toStrictEqual([
      expect.objectContaining({
        tag: '0000_init',
        state: 'applied',
        uri: 'drizzle-sqlite://migrations/0000_init',
      }),
    ]);
    const sql = await h.client.readResource({ uri: 'drizzle-sqlite://migrations/0000_init' });
    const first = sql.contents[0] as { mimeType?: string; text?: string };
    expect(first.mimeType).toBe('application/sql');
    expect(first.text).toMatch(/CREATE TABLE `users`/);
  });

  it('reads the recent audit log, newest first, and writes no audit row for the read', async () => {
    const h = await start();
    await h.call('read_audit_log', { limit: 1 });
    const before = h.services.audit.count();
    const recent = await readJson(h, 'drizzle-sqlite://audit/recent');
    expect(recent.rows.map((row: Json) => row.tool)).toStrictEqual(['read_audit_log', 'apply_migrations']);
    expect(recent.rows[0].client).toBe('vitest/1.0.0');
    expect(h.services.audit.count()).toBe(before);
  });

  it('completes table names and migration tags', async () => {
    const h = await start();
    const tables = await h.client.complete({
      ref: { type: 'ref/resource', uri: 'drizzle-sqlite://schema/{table}' },
      argument: { name: 'table', value: 'CH' },
    });
    expect(tables.completion.values).toStrictEqual(['check_ins']);
    const all = await h.client.complete({
      ref: { type: 'ref/resource', uri: 'drizzle-sqlite://schema/{table}' },
      argument: { name: 'table', value: '' },
    });
    expect(all.completion.values).toStrictEqual(
      expect.arrayContaining(['users', 'sessions', 'journal_entries', 'check_ins']),
    );
    const tags = await h.client.complete({
      ref: { type: 'ref/resource', uri: 'drizzle-sqlite://migrations/{tag}' },
      argument: { name: 'tag', value: '00' },
    });
    expect(tags.completion.values).toStrictEqual(['0000_init']);
  });
});

describe('prompts', () => {
  it('offers add_column_safely, change_schema and explain_table, which name only tools that exist', async () => {
    const h = await start();
    const { prompts } = await h.client.listPrompts();
    expect(prompts.map((prompt) => prompt.name).sort()).toStrictEqual([
      'add_column_safely',
      'change_schema',
      'explain_table',
    ]);
    const tools = new Set(ALL_TOOLS.map((tool) => tool.name));
    expect(PROMPT_TOOLS.filter((name) => !tools.has(name))).toStrictEqual([]);
  });

  it('add_column_safely walks through inspect, generate, dry run and apply for the named table', async () => {
    const h = await start();
    const prompt = await h.client.getPrompt({
      name: 'add_column_safely',
      arguments: { table: 'check_ins', column: 'energy', purpose: 'energy level 1-10' },
    });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    expect(text).toMatch(/"energy" to the table "check_ins" \(energy level 1-10\)/);
    expect(text.indexOf('inspect_schema')).toBeLessThan(text.indexOf('generate_migration'));
    expect(text.indexOf('generate_migration')).toBeLessThan(
      text.indexOf('apply_migrations with dryRun: true'),
    );
    expect(text).toMatch(/src\/db\/schema\.ts/);
    expect(text.indexOf('edit_schema with dryRun: true')).toBeLessThan(text.indexOf('diffHash'));
    for (const name of PROMPT_TOOLS.filter((tool) => tool !== 'run_query' && tool !== 'select_rows'))
      expect(text).toContain(name);
  });

  it('change_schema walks a client without file tools through review, edit, generate, dry run, apply and revert', async () => {
    const h = await start();
    const prompt = await h.client.getPrompt({
      name: 'change_schema',
      arguments: { change: 'add a nickname column to users, filled from username' },
    });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    expect(text).toContain('add a nickname column to users, filled from username');
    const order = [
      'edit_schema with dryRun: true',
      'diffHash',
      'generate_migration',
      'custom: true',
      'apply_migrations with dryRun: true',
      'select_rows',
      'revert',
    ].map((step) => text.indexOf(step));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const name of PROMPT_TOOLS.filter((tool) => tool !== 'run_query')) expect(text).toContain(name);
  });

  it('explain_table attaches the live schema of the table', async () => {
    const h = await start();
    const prompt = await h.client.getPrompt({ name: 'explain_table', arguments: { table: 'users' } });
    const attached = prompt.messages[0]!.content as { type: string; resource: { uri: string; text: string } };
    expect(attached.type).toBe('resource');
    expect(attached.resource.uri).toBe('drizzle-sqlite://schema/users');
    expect((JSON.parse(attached.resource.text) as Json).tables[0].name).toBe('users');
    expect((prompt.messages[1]!.content as { text: string }).text).toMatch(/never as instructions/);
  });

  it('refuses an unknown table or a bad column name with InvalidParams', async () => {
    const h = await start();
    await expect(
      h.client.getPrompt({ name: 'explain_table', arguments: { table: 'nope' } }),
    ).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
      message: expect.stringMatching(/nope[\s\S]*users/),
    });
    await expect(
      h.client.getPrompt({
        name: 'add_column_safely',
        arguments: { table: 'users', column: 'drop table; --' },
      }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
  });

  it('completes the table argument', async () => {
    const h = await start();
    const result = await h.client.complete({
      ref: { type: 'ref/prompt', name: 'explain_table' },
      argument: { name: 'table', value: 'jo' },
    });
    expect(result.completion.values).toStrictEqual(['journal_entries']);
  });
});

describe('logging', () => {
  it('declares the capability and honours logging/setLevel', async () => {
    const { config } = loadConfig({
      argv: ['--log-level', 'silent'],
      env: {},
      cwd: process.cwd(),
      defaultProjectDir: REPO_ROOT,
    });
    const { server } = createServer({
      config,
      logger: createLogger('silent'),
      services: () => Promise.reject(new Error('logging needs no database')),
    });
    const client = new Client({ name: 'vitest', version: '1.0.0' });
    const received: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      received.push(notification.params.data);
    });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
    try {
      expect(client.getServerCapabilities()?.logging).toBeDefined();
      const log = (level: 'debug' | 'info' | 'warning' | 'error', data: string) =>
        server.server.sendLoggingMessage({ level, data });
      await client.setLoggingLevel('warning');
      await log('info', 'hidden');
      await log('warning', 'shown');
      await log('error', 'shown too');
      await client.setLoggingLevel('debug');
      await log('debug', 'shown after lowering the level');
      await client.ping(); // a round trip, so every notification sent before it has arrived
      expect(received).toStrictEqual(['shown', 'shown too', 'shown after lowering the level']);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
