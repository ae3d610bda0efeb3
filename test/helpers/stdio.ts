// Drives the built server (dist/index.js) over real pipes, keeping every byte it writes to stdout so tests can
// prove stdout carries nothing but JSON-RPC.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './project.js';

export const SERVER_BIN = path.join(REPO_ROOT, 'dist/index.js');

export interface RawServer {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Sends a request and resolves with its response message. */
  request(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  notify(method: string, params?: Record<string, unknown>): void;
  /** Writes `line` (a whole request, newline added) as is and resolves with the response carrying `id`. */
  sendRaw(line: string, id: number): Promise<Record<string, unknown>>;
  /** Ends stdin and resolves with the exit code (or signal). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnServer(
  args: string[],
  env: Record<string, string> = {},
  options: { cwd?: string } = {},
): RawServer {
  const child = spawn(process.execPath, [SERVER_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let out = '';
  let err = '';
  let buffered = '';
  let nextId = 1;
  const waiting = new Map<number, (message: Record<string, unknown>) => void>();
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        const message = JSON.parse(line) as Record<string, unknown>;
        const resolve = typeof message.id === 'number' ? waiting.get(message.id) : undefined;
        if (resolve && ('result' in message || 'error' in message)) resolve(message);
      } catch {
        // Not JSON: the purity assertions over stdout() will report it.
      }
    }
  });
  child.stderr.on('data', (chunk: string) => (err += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    request(method, params = {}) {
      const id = nextId++;
      return this.sendRaw(JSON.stringify({ jsonrpc: '2.0', id, method, params }), id);
    },
    sendRaw(line, id) {
      child.stdin.write(line + '\n');
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no answer to request ${id} within 30 s; stderr: ${err}`)),
          30_000,
        );
        waiting.set(id, (message) => {
          clearTimeout(timer);
          resolve(message);
        });
      });
    },
    notify(method, params = {}) {
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method, params }) + '\n');
    },
    exited() {
      child.stdin.end();
      return exit;
    },
  };
}

export async function initialize(
  server: RawServer,
  capabilities: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const response = await server.request('initialize', {
    protocolVersion: '2025-06-18',
    capabilities,
    clientInfo: { name: 'raw-e2e', version: '0.0.1' },
  });
  server.notify('notifications/initialized');
  return response;
}

/** Every non-empty stdout line must be one JSON-RPC 2.0 message. Returns the offending lines. */
export function nonJsonRpcLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        const message = JSON.parse(line) as { jsonrpc?: unknown };
        return message.jsonrpc !== '2.0';
      } catch {
        return true;
      }
    });
}
