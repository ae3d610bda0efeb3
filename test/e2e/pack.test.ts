// The published package works on its own: `npm pack` → install the tarball in an empty folder → start the bin
// through npx → a real SDK client initializes and calls tools. This catches a `files` list that misses what the bin
// needs at run time (the sibling worker bundles, the embedded default project) and an install that would try to
// rebuild from sources the tarball does not ship (`prepare` runs scripts/build.mjs, which is not packed).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/project.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Json;
// Only what npm needs: no npm_config_* inherited from the `npm test` that runs us.
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

function run(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

let dir: string;
let consumer: string;
let packedFiles: string[];
let install: { code: number; stdout: string; stderr: string };

beforeAll(async () => {
  dir = tempDir('dsm-pack-');
  // dist/ is already built (npm test builds first); --ignore-scripts packs it as it is instead of rebuilding it
  // under the feet of the other end-to-end tests that run in parallel.
  const packed = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
    REPO_ROOT,
  );
  expect(packed.code, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packedFiles = info!.files.map((file) => file.path);

  consumer = path.join(dir, 'consumer');
  fs.mkdirSync(consumer);
  fs.writeFileSync(
    path.join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
  );
  // better-sqlite3 compiles its native addon on install when no prebuilt binary can be downloaded (2-3 minutes
  // here, offline). Its packaging is not what this test is about: seed the consumer with the copy already built
  // for this Node, which npm keeps because it satisfies the dependency. Everything else installs from the tarball.
  for (const name of ['better-sqlite3', 'bindings', 'file-uri-to-path']) {
    fs.cpSync(path.join(REPO_ROOT, 'node_modules', name), path.join(consumer, 'node_modules', name), {
      recursive: true,
    });
  }
  install = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, info!.filename)],
    consumer,
  );
}, 300_000);

afterAll(() => removeDir(dir));

describe('the packed package', () => {
  it('ships the bundles and the embedded default project, and no sources or tests', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/kit-worker.js',
        'dist/query-host.js',
        'drizzle.config.ts',
        'src/db/schema.ts',
        'drizzle/meta/_journal.json',
        'drizzle/0000_init.sql',
        'data/.gitkeep',
        'package.json',
        'README.md',
      ]),
    );
    expect(
      packedFiles.filter((file) => /^(test|scripts|bench)\/|^src\/(?!db\/schema\.ts$)/.test(file)),
    ).toEqual([]);
  });

  it('installs from the tarball without running its build', () => {
    expect(install.code, install.stderr).toBe(0);
    const installed = path.join(consumer, 'node_modules', pkg.name as string);
    expect(fs.existsSync(path.join(installed, 'dist/index.js'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'scripts'))).toBe(false);
    expect(fs.existsSync(path.join(consumer, 'node_modules/.bin', pkg.name as string))).toBe(true);
  });

  it('starts through npx and serves an MCP client, running the kit worker from the installed bundle', async () => {
    const db = path.join(dir, 'app.db');
    const transport = new StdioClientTransport({
      command: 'npx',
      // "--" keeps npm from taking the server's options (e.g. --db) as its own.
      args: ['--no', '--', pkg.name as string, '--db', db, '--log-level', 'warn'],
      cwd: consumer,
      env,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'pack-test', version: '1.0.0' });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()).toMatchObject({ name: 'drizzle-sqlite-mcp', version: pkg.version });
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('inspect_schema');
      // inspect_schema loads the embedded project's schema.ts in the kit worker: the packed sibling bundle, the
      // packed drizzle.config.ts and schema, and drizzle-kit/esbuild from the consumer's node_modules.
      const schema = await client.callTool({ name: 'inspect_schema', arguments: { tables: ['check_ins'] } });
      expect(schema.isError, JSON.stringify(schema.content) + stderr).toBeFalsy();
      expect((schema.structuredContent as Json).tables[0]).toMatchObject({
        name: 'check_ins',
        drizzle: 'checkIns',
      });
    } finally {
      await client.close();
    }
    // The database went where --db said, not into node_modules.
    expect(fs.existsSync(db)).toBe(true);
    expect(fs.existsSync(path.join(consumer, 'node_modules', pkg.name as string, 'data/app.db'))).toBe(false);
  });
});
