// A stdio client transport for the SDK's Client that behaves like the stock StdioClientTransport (same
// framing, same message validation) but also records the size of every response line, and survives answers
// above the stock client's 10 MiB limit: such a line is counted, flagged and replaced by a small error result,
// where the stock client would drop the connection. Buffers are kept as a chunk list, so a 200 MiB line costs
// one copy, not the stock ReadBuffer's concat per chunk.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import {
  deserializeMessage,
  serializeMessage,
  STDIO_DEFAULT_MAX_BUFFER_SIZE,
} from '@modelcontextprotocol/sdk/shared/stdio.js';

export interface LaunchSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface ResponseRecord {
  bytes: number;
  /** Above the stock client's per-message limit: the stock client would have closed the connection. */
  oversize: boolean;
  at: number;
}

/** Servers still running: killed if the bench itself is interrupted, so no peer outlives it. */
const live = new Set<ChildProcessWithoutNullStreams>();
const killLive = () => {
  for (const child of live) child.kill('SIGKILL');
};
process.once('exit', killLive);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killLive();
    process.exit(130);
  });
}

export class MeasuringStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  child?: ChildProcessWithoutNullStreams;
  lastResponse?: ResponseRecord;
  totalResponseBytes = 0;
  responses = 0;
  oversizeResponses = 0;
  private readonly pending = new Set<string | number>();
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private stderrTail = '';
  private exited?: Promise<void>;

  constructor(
    private readonly spec: LaunchSpec,
    private readonly maxMessageBytes = STDIO_DEFAULT_MAX_BUFFER_SIZE,
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  stderr(): string {
    return this.stderrTail;
  }

  async start(): Promise<void> {
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env ?? { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    // 'exit', not 'close': a grandchild that inherited the pipes would keep 'close' from ever firing.
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-16_384);
    });
    child.once('exit', () => this.onclose?.());
    child.stdin.on('error', (error) => this.onerror?.(error));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) {
        if (start < chunk.length) {
          const rest = chunk.subarray(start);
          this.chunks.push(rest);
          this.chunkBytes += rest.length;
        }
        return;
      }
      const piece = chunk.subarray(start, newline);
      const line = this.chunks.length ? Buffer.concat([...this.chunks, piece]) : piece;
      this.chunks = [];
      this.chunkBytes = 0;
      start = newline + 1;
      this.onLine(line);
    }
  }

  private onLine(line: Buffer): void {
    const bytes = line.length + 1;
    const at = performance.now();
    if (line.length > this.maxMessageBytes) {
      const id = this.idOfOversize(line);
      this.record(id, { bytes, oversize: true, at });
      this.oversizeResponses += 1;
      if (id === undefined) return;
      this.onmessage?.({
        jsonrpc: '2.0',
        id,
        result: {
          content: [
            { type: 'text', text: `[bench] answer of ${bytes} bytes exceeds the stock client's limit` },
          ],
          isError: true,
        },
      } as JSONRPCMessage);
      return;
    }
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line.toString('utf8'));
    } catch (error) {
      this.onerror?.(error as Error);
      return;
    }
    if ('id' in message && ('result' in message || 'error' in message))
      this.record(message.id, { bytes, oversize: false, at });
    this.onmessage?.(message);
  }

  private record(id: string | number | undefined, record: ResponseRecord): void {
    if (id !== undefined) this.pending.delete(id);
    this.lastResponse = record;
    this.totalResponseBytes += record.bytes;
    this.responses += 1;
  }

  private idOfOversize(line: Buffer): string | number | undefined {
    if (this.pending.size === 1) return [...this.pending][0];
    const tail = line.subarray(Math.max(0, line.length - 64)).toString('utf8');
    const head = line.subarray(0, 64).toString('utf8');
    const match =
      /"id"\s*:\s*(\d+)\s*\}\s*$/.exec(tail) ??
      /^\{\s*"jsonrpc"\s*:\s*"2\.0"\s*,\s*"id"\s*:\s*(\d+)/.exec(head);
    return match ? Number(match[1]) : undefined;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const child = this.child;
    if (!child) throw new Error('transport not started');
    if ('method' in message && 'id' in message) this.pending.add(message.id);
    const text = serializeMessage(message);
    if (!child.stdin.write(text))
      await new Promise<void>((resolve) => child.stdin.once('drain', () => resolve()));
  }

  /** Like the stock transport: end stdin, then SIGTERM, then SIGKILL. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    child.stdin.end();
    const waitFor = (ms: number) =>
      Promise.race([
        this.exited!.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
      ]);
    if (await waitFor(2000)) return;
    child.kill('SIGTERM');
    if (await waitFor(2000)) return;
    child.kill('SIGKILL');
    await this.exited;
  }
}
