import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyEmbeddedProject, removeDir, tempDir } from '../helpers/project.js';
import { listTools } from '../../src/tools/listing.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { initialize, nonJsonRpcLines, spawnServer } from '../helpers/stdio.js';

let project: string;

beforeEach(() => {
  project = copyEmbeddedProject();
});
afterEach(() => removeDir(project));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the built server over stdio', () => {
  it('creates and migrates the database on first start, serves a scripted session, and writes only JSON-RPC to stdout', async () => {
    const server = spawnServer(['--project', project, '--log-level', 'debug']);
    const init = await initialize(server);
    expect((init.result as Json).serverInfo.name).toBe('drizzle-sqlite-mcp');
    expect((init.result as Json).instructions).toMatch(/untrusted/);

    const list = (await server.request('tools/list')).result as Json;
    const names = list.tools.map((tool: Json) => tool.name);
    expect(names).toContain('read_audit_log');
    expect(names).toContain('inspect_schema');

    const unknown = (await server.request('tools/call', { name: 'drop_everything', arguments: {} }))
      .result as Json;
    expect(unknown.isError).toBe(true);
    expect(unknown.content[0].text).toMatch(/no tool named "drop_everything".*\n.*read_audit_log/s);

    const invalid = (
      await server.request('tools/call', { name: 'read_audit_log', arguments: { limit: 'ten' } })
    ).result as Json;
    expect(invalid.isError).toBe(true);
    expect(invalid.content[0].text).toMatch(/limit/);

    const missingTable = (
      await server.request('tools/call', { name: 'inspect_schema', arguments: { tables: ['nope'] } })
    ).result as Json;
    expect(missingTable.isError).toBe(true);
    expect(missingTable.content[0].text).toMatch(/users/);

    const schema = (
      await server.request('tools/call', { name: 'inspect_schema', arguments: { tables: ['check_ins'] } })
    ).result as Json;
    expect(schema.isError).toBeFalsy();
    expect(JSON.stringify(schema.structuredContent)).toMatch(/craving_level/);

    const audit = (
      await server.request('tools/call', { name: 'read_audit_log', arguments: { limit: 10, verify: true } })
    ).result as Json;
    const rows = audit.structuredContent.rows as Json[];
    expect(rows.map((row) => [row.tool, row.outcome, row.errorCode])).toEqual([
      ['inspect_schema', 'ok', undefined],
      ['inspect_schema', 'error', 'NOT_FOUND'],
      ['read_audit_log', 'error', 'INVALID_ARGUMENT'],
      ['drop_everything', 'error', 'UNKNOWN_TOOL'],
      ['apply_migrations', 'ok', undefined],
    ]);
    expect(rows[0]!.client).toBe('raw-e2e/0.0.1');
    expect(rows.at(-1)!.client).toBe('server');
    expect(audit.structuredContent.chain).toEqual({ ok: true, checkedRows: 5 });

    const { code } = await server.exited();
    expect(code).toBe(0);
    expect(nonJsonRpcLines(server.stdout())).toEqual([]);
    expect(server.stderr()).toMatch(/ready/);

    // Clean exit: the WAL was checkpointed into the main file.
    const dbFile = path.join(project, 'data/app.db');
    const wal = `${dbFile}-wal`;
    expect(!fs.existsSync(wal) || fs.statSync(wal).size === 0).toBe(true);
    const db = new Database(dbFile, { readonly: true });
    expect(db.prepare('select count(*) from __drizzle_migrations').pluck().get()).toBe(1);
    db.close();
  });

  it('exits cleanly on SIGTERM and on SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const server = spawnServer(['--project', project]);
      await initialize(server);
      await server.request('tools/list');
      const exit = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)));
      server.child.kill(signal);
      expect(await exit).toBe(0);
      expect(nonJsonRpcLines(server.stdout())).toEqual([]);
    }
  });

  it('fails at start-up with a clear message and nothing on stdout for a database path that cannot work', async () => {
    const dir = tempDir();
    const notSqlite = path.join(dir, 'notes.txt');
    fs.writeFileSync(
      notSqlite,
      'this is not a database, it is a text file with enough bytes to look like a header',
    );
    const cases: Array<[string[], RegExp]> = [
      [['--db', path.join(dir, 'missing-folder/app.db')], /folder .* does not exist/],
      [['--db', dir], /is a folder/],
      [['--db', notSqlite], /not a SQLite database/],
      [['--project', path.join(dir, 'no-such-project')], /does not exist|drizzle\.config/],
      [['--write-budget', 'lots'], /--write-budget/],
    ];
    for (const [args, message] of cases) {
      const server = spawnServer(['--project', project, ...args]);
      server.child.stdin.write(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'x', version: '1' },
          },
        }) + '\n',
      );
      const exit = await new Promise<number | null>((resolve) =>
        server.child.on('exit', (code) => resolve(code)),
      );
      expect(exit, args.join(' ')).toBe(1);
      expect(server.stderr(), args.join(' ')).toMatch(message);
      expect(nonJsonRpcLines(server.stdout())).toEqual([]);
    }
    removeDir(dir);
  });

  it('keeps stdout clean and keeps serving when the user schema prints and calls process.exit', async () => {
    const schemaFile = path.join(project, 'src/db/schema.ts');
    fs.writeFileSync(
      schemaFile,
      fs.readFileSync(schemaFile, 'utf8') +
        "\nconsole.log('hello from schema.ts');\nprocess.stdout.write('raw stdout write\\n');\nprocess.exit(1);\n",
    );
    const server = spawnServer(['--project', project]);
    await initialize(server);
    const schema = (
      await server.request('tools/call', { name: 'inspect_schema', arguments: { tables: ['users'] } })
    ).result as Json;
    expect(schema.isError).toBeFalsy();
    expect(schema.structuredContent.drizzleSchema).toMatch(/could not be loaded/);
    expect(schema.structuredContent.tables[0].name).toBe('users');
    const again = (await server.request('tools/call', { name: 'read_audit_log', arguments: { limit: 1 } }))
      .result as Json;
    expect(again.isError).toBeFalsy();
    expect((await server.exited()).code).toBe(0);
    expect(nonJsonRpcLines(server.stdout())).toEqual([]);
    // What the schema printed may reach the client only inside JSON-RPC (a log notification, the error text).
    expect(
      server
        .stdout()
        .split('\n')
        .filter((line) => /hello from schema/.test(line) && !line.startsWith('{"')),
    ).toEqual([]);
  });

  it('answers tools/list from the listing built in, identical to the one the source computes, in every variant', async () => {
    const ui = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } };
    for (const readOnly of [false, true]) {
      for (const apps of [false, true]) {
        const server = spawnServer(['--project', project, ...(readOnly ? ['--read-only'] : [])]);
        await initialize(server, apps ? ui : {});
        const list = (await server.request('tools/list')).result as Json;
        expect(list.tools).toEqual(JSON.parse(JSON.stringify(listTools(ALL_TOOLS, { readOnly, apps }))));
        expect(list.tools.some((tool: Json) => tool.name === 'serve_view')).toBe(apps);
        server.child.stdin.end();
        await server.exited();
      }
    }
  });

  it('prints --help and --version without starting a session', async () => {
    const help = spawnServer(['--help']);
    expect((await help.exited()).code).toBe(0);
    expect(help.stdout()).toMatch(/--read-only/);
    const version = spawnServer(['--version']);
    expect((await version.exited()).code).toBe(0);
    expect(version.stdout().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
