// The corpus tests' shared lifecycle: temp copies of test/fixtures/corpus/<name>, servers started on them (in
// process, or spawned as a client would), and all of it closed and deleted after each test.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import { startHarness, type Harness } from './mcp.js';
import { copyCorpusFixture, REPO_ROOT, removeDir } from './project.js';
import { spawnServer, type RawServer } from './stdio.js';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CorpusSession {
  /** A temp copy of the fixture; `nodeModules` links this repository's, so the real drizzle-kit CLI runs in it. */
  fixture(name: string, options?: { nodeModules?: boolean }): string;
  /** Deletes `dir` after the test. */
  track(dir: string): string;
  /** An in-process server (real MCP client) on `project`. */
  start(project: string, argv?: string[]): Promise<Harness>;
  /** The built server spawned with `cwd` (default `/`, where GUI clients start servers). */
  spawn(args: string[], env?: Record<string, string>, cwd?: string): RawServer;
  /** Closes every server started so far (to start another on the same database). */
  closeAll(): Promise<void>;
}

/** Call at the top of a test file: registers the afterEach that closes and deletes what the test made. */
export function corpusSession(): CorpusSession {
  let dirs: string[] = [];
  let harnesses: Harness[] = [];
  let servers: RawServer[] = [];
  const closeAll = async () => {
    for (const h of harnesses) await h.close();
    for (const server of servers) await server.exited();
    harnesses = [];
    servers = [];
  };
  afterEach(async () => {
    await closeAll();
    for (const dir of dirs) removeDir(dir);
    dirs = [];
  });
  const track = (dir: string) => {
    dirs.push(dir);
    return dir;
  };
  return {
    track,
    fixture(name, options = {}) {
      const dir = track(copyCorpusFixture(name));
      if (options.nodeModules)
        fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      return dir;
    },
    async start(project, argv = []) {
      const h = await startHarness({ argv: ['--project', project, ...argv] });
      harnesses.push(h);
      return h;
    },
    spawn(args, env = {}, cwd = '/') {
      const server = spawnServer(args, env, { cwd });
      servers.push(server);
      return server;
    },
    closeAll,
  };
}

/** A tools/call over a spawned server's raw JSON-RPC, answered with its result. */
export async function callTool(server: RawServer, name: string, args: Json = {}): Promise<Json> {
  return (await server.request('tools/call', { name, arguments: args })).result as Json;
}
