// A real MCP client connected in-process to a real server around a real SQLite file: the fast tier of tests.
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createServer } from '../../src/mcp/server.js';
import { openServices, type Services } from '../../src/app/services.js';
import { migrateOnStart } from '../../src/app/startup.js';
import { REPO_ROOT } from './project.js';
import { entryPoints } from '../../src/bin/entry-points.js';
import type { Opener } from '../../src/review/open-browser.js';

export interface Harness {
  client: Client;
  services: Services;
  config: Config;
  /** Calls a tool and returns the raw result (errors are results, not throws). */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Calls a tool that must succeed and returns its structuredContent. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  argv?: string[];
  capabilities?: ClientCapabilities;
  clientName?: string;
  /** Registers handlers on the client before it connects (e.g. for elicitation). */
  setupClient?: (client: Client) => void;
  /** How the server opens the review page (a test plays the person's browser); absent: it cannot. */
  opener?: Opener;
  /** The consent room's clock. */
  now?: () => number;
}

/** The project a harness runs on: named explicitly, never the repository's own (its data/ and drizzle/). */
function explicitProject(argv: readonly string[]): string {
  const at = argv.findIndex((arg) => arg === '--project' || arg === '--config');
  const named = at === -1 ? undefined : argv[at + 1];
  if (named === undefined)
    throw new Error(
      'startHarness needs an explicit --project (or --config) in argv: copy a project to a temp folder first (copyEmbeddedProject, blogProject); the default would be the repository itself.',
    );
  if (path.resolve(named) === path.resolve(REPO_ROOT))
    throw new Error('startHarness refuses the repository itself as the project: use a temp copy.');
  return named;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const argv = options.argv ?? [];
  const project = explicitProject(argv);
  const { config } = loadConfig({
    argv: ['--log-level', 'silent', ...argv],
    env: {},
    cwd: process.cwd(),
    defaultProjectDir: project,
  });
  const logger = createLogger(config.logLevel);
  const services = await openServices(config, logger, {
    entries: entryPoints(),
    migrateOnStart,
    ...(options.opener ? { opener: options.opener } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const { server } = createServer({ config, logger, services: async () => services, verifyOutputs: true });
  const client = new Client(
    { name: options.clientName ?? 'vitest', version: '1.0.0' },
    { capabilities: options.capabilities ?? {} },
  );
  options.setupClient?.(client);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  const call = (name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
  return {
    client,
    services,
    config,
    call,
    async ok<T>(name: string, args: Record<string, unknown> = {}) {
      const result = await call(name, args);
      if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
      return result.structuredContent as T;
    },
    async close() {
      await client.close();
      await server.close();
      await services.close();
    },
  };
}

export function errorTextOf(result: CallToolResult): string {
  const first = result.content[0];
  return first && first.type === 'text' ? first.text : '';
}
