// Smoke test with a real, independent MCP client: the MCP Inspector CLI (a devDependency) drives the built server
// over stdio. Each Inspector run spawns the server, initializes, makes one request and exits (~2 s), so this file
// checks the handshake and one example of each kind, not behaviour in bulk.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/project.js';
import { SERVER_BIN } from '../helpers/stdio.js';

const INSPECTOR = path.join(
  REPO_ROOT,
  'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js',
);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let dir: string;
let db: string;

beforeAll(() => {
  dir = tempDir('dsm-inspector-');
  fs.mkdirSync(path.join(dir, 'home'));
  // The embedded default project, but a database of our own, so the repo's data/app.db is never touched.
  db = path.join(dir, 'app.db');
});
afterAll(() => removeDir(dir));

interface InspectorRun {
  code: number;
  json: Json;
  stderr: string;
}

function inspect(serverArgs: string[], method: string[]): Promise<InspectorRun> {
  // "--" ends the Inspector's options: without it, server options it also has (--config, --log-level) are its own.
  const serverCommand = [process.execPath, SERVER_BIN, '--db', db, '--log-level', 'warn', ...serverArgs];
  const args = [INSPECTOR, '--cli', '--format', 'json', ...method, '--', ...serverCommand];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      // A HOME of its own: the Inspector keeps a catalog and client config under ~/.mcp-inspector.
      { env: { PATH: process.env.PATH ?? '', HOME: path.join(dir, 'home') }, cwd: dir, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        let json: Json = {};
        try {
          json = JSON.parse(stdout) as Json;
        } catch {
          json = { unparsed: stdout };
        }
        resolve({ code, json, stderr });
      },
    );
  });
}

describe('the MCP Inspector CLI against the built server', () => {
  it('initializes and lists the tools', async () => {
    const run = await inspect([], ['--method', 'tools/list']);
    expect(run.code, run.stderr).toBe(0);
    const names = (run.json.result.tools as Json[]).map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['inspect_schema', 'read_audit_log', 'execute_sql']));
  });

  it('finds no tool schema that a client could reject (the Inspector portability check)', async () => {
    // --strict lists every portability problem on stderr and exits 6 when one is an error: a schema some clients
    // refuse outright (e.g. a bare `false` where a schema object is expected). Warnings are allowed.
    const run = await inspect([], ['--method', 'tools/list', '--strict']);
    const errors = run.stderr.split(/\n(?=Error: |Warning: )/).filter((entry) => entry.startsWith('Error: '));
    expect(errors.join('\n')).toBe('');
    expect(run.code).toBe(0);
  });

  it('makes a read call', async () => {
    const run = await inspect(
      [],
      [
        '--method',
        'tools/call',
        '--tool-name',
        'read_audit_log',
        '--tool-args-json',
        '{"limit":5,"verify":true}',
      ],
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.result.isError).toBeFalsy();
    expect(run.json.result.structuredContent.chain.ok).toBe(true);
  });

  it('gets a refused call as a tool error (exit code 5)', async () => {
    const run = await inspect(
      ['--read-only'],
      [
        '--method',
        'tools/call',
        '--tool-name',
        'execute_sql',
        '--tool-args-json',
        '{"sql":"DELETE FROM users"}',
      ],
    );
    expect(run.code, JSON.stringify(run.json)).toBe(5);
    expect(run.json.result.isError).toBe(true);
    expect(run.json.result.content[0].text).toMatch(/READ_ONLY_MODE/);
  });

  it('lists and reads resources', async () => {
    const list = await inspect([], ['--method', 'resources/list']);
    expect(list.code, list.stderr).toBe(0);
    const uris = (list.json.result.resources as Json[]).map((resource) => resource.uri);
    expect(uris).toEqual(
      expect.arrayContaining([
        'drizzle-sqlite://schema',
        'drizzle-sqlite://schema/users',
        'drizzle-sqlite://audit/recent',
      ]),
    );
    const read = await inspect([], ['--method', 'resources/read', '--uri', 'drizzle-sqlite://schema/users']);
    expect(read.code, read.stderr).toBe(0);
    expect(JSON.parse(read.json.result.contents[0].text as string).tables[0].name).toBe('users');
  });

  it('left one audit row per tool call, naming the Inspector as the client', () => {
    const database = new Database(db, { readonly: true });
    const rows = database
      .prepare(
        `SELECT tool, outcome, error_code, client FROM audit_log WHERE client LIKE 'inspector%' ORDER BY id`,
      )
      .all() as Json[];
    database.close();
    expect(rows.map((row) => [row.tool, row.outcome, row.error_code])).toEqual([
      ['read_audit_log', 'ok', null],
      ['execute_sql', 'refused', 'READ_ONLY_MODE'],
    ]);
  });
});
