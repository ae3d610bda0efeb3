// The main thread's door to user code and drizzle-kit. Invariant: nothing that imports the user's project or
// drizzle-kit runs in this thread — every call goes to one lazily started worker whose stdout/stderr are piped here
// (never to fd 1), whose process.exit ends only itself, and which is replaced after a crash, a timeout, or every
// `recycleAfterCalls` calls (each fresh import stays in a worker's module cache). Calls are served one at a time.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EntryPoint } from '../core/entry-point.js';
import { AppError, fromWireError, type WireError } from '../core/errors.js';
import type { DiffInput } from './diff.js';
import type { KitRef } from './kit-resolve.js';
import type {
  GeneratedDiff,
  GenerateInput,
  GenerateV1Input,
  GenerateV1Result,
  GenerateWireResult,
  KitRequest,
  KitResponse,
  KitV1Result,
} from './kit-protocol.js';
import type { LoadProjectConfigInput } from './load-project.js';
import type { DiffResult, LoadedSchema, ProjectConfig } from './types.js';

export interface KitClientOptions {
  /** The kit worker script (the process edge knows where it is: src/bin/entry-points.ts). */
  entry: EntryPoint;
  /** Per call; on expiry the worker is terminated and the call fails with TIMEOUT. Default 30 s. */
  timeoutMs?: number;
  /** Start a fresh worker after this many calls. Default 25. */
  recycleAfterCalls?: number;
  /** Everything the worker (user code, drizzle-kit) prints. Never forward it to stdout. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Diagnostics for the server log (e.g. the stack of an INTERNAL error inside the worker). */
  onDiagnostic?: (message: string) => void;
}

/** What a call is called in messages (`generate` starts by loading the schema; the 1.x calls are drizzle-kit's). */
const LABELS: Partial<Record<KitRequest['method'], string>> = {
  generate: 'loadSchema',
  generateV1: 'drizzle-kit generate',
  checkV1: 'drizzle-kit check',
  upV1: 'drizzle-kit up',
};

/** How much of the worker's recent output a crash report quotes. */
const OUTPUT_TAIL_CHARS = 4000;

type RequestWithoutId = KitRequest extends infer R ? (R extends KitRequest ? Omit<R, 'id'> : never) : never;

/** What `generate` answers: the diff, or why the schema did not load (a failing diff rejects instead). */
export type GenerateOutcome = { loaded: true; diff: GeneratedDiff } | { loaded: false; error: AppError };

interface Pending {
  id: number;
  method: KitRequest['method'];
  /** What the call is doing, for its messages: the method, or for `generate` its phase (loadSchema, then diff). */
  label: string;
  resolve: (value: unknown) => void;
  reject: (error: AppError) => void;
  timer: NodeJS.Timeout | undefined;
  output: string;
  /** The worker serving the call: only its death fails the call (an old worker may exit after a new one started). */
  worker: Worker;
}

export class KitClient {
  private readonly entry: EntryPoint;
  private readonly timeoutMs: number;
  private readonly recycleAfterCalls: number;
  private readonly onOutput: KitClientOptions['onOutput'];
  private readonly onDiagnostic: KitClientOptions['onDiagnostic'];
  private worker: Worker | undefined;
  /** The drizzle-kit the current worker has loaded (its folder, or "bundled"); undefined: none yet. */
  private workerKit: string | undefined;
  private callsOnWorker = 0;
  private nextId = 1;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: KitClientOptions) {
    this.entry = options.entry;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.recycleAfterCalls = options.recycleAfterCalls ?? 25;
    this.onOutput = options.onOutput;
    this.onDiagnostic = options.onDiagnostic;
  }

  /** Loads and validates the project's drizzle config (CONFIG_ERROR with what to fix when it cannot). */
  loadProjectConfig(input: LoadProjectConfigInput): Promise<ProjectConfig> {
    return this.call({ method: 'loadProjectConfig', params: input }) as Promise<ProjectConfig>;
  }

  /**
   * Imports the schema fresh (edits are always seen) and describes it, its snapshot in the format of `kit` (ours when
   * absent); SCHEMA_LOAD_FAILED when it cannot.
   */
  loadSchema(project: ProjectConfig, prevId?: string, kit?: KitRef): Promise<LoadedSchema> {
    return this.call({
      method: 'loadSchema',
      params: { project, ...(prevId !== undefined ? { prevId } : {}), ...(kit ? { kit } : {}) },
    }) as Promise<LoadedSchema>;
  }

  /** drizzle-kit 1.x `generate` on a scratch migrations folder (see kit-v1.ts); never throws for its own answers. */
  generateV1(input: GenerateV1Input): Promise<GenerateV1Result> {
    return this.call({ method: 'generateV1', params: input }) as Promise<GenerateV1Result>;
  }

  /** drizzle-kit 1.x `check` of a migrations folder (branch conflicts). */
  checkV1(kit: KitRef, out: string): Promise<KitV1Result> {
    return this.call({ method: 'checkV1', params: { kit, out } }) as Promise<KitV1Result>;
  }

  /** drizzle-kit 1.x `up` of a (scratch) migrations folder, in place. */
  upV1(kit: KitRef, out: string): Promise<KitV1Result> {
    return this.call({ method: 'upV1', params: { kit, out } }) as Promise<KitV1Result>;
  }

  /** drizzle-kit's SQL between two snapshots, or the rename/create questions that must be answered first. */
  diff(input: DiffInput): Promise<DiffResult> {
    return this.call({ method: 'diff', params: input }) as Promise<DiffResult>;
  }

  /**
   * loadSchema then diff, in one round trip to the worker (the new snapshot stays there). Each phase behaves as its
   * own call did: its own timeout, its name in messages; a schema that does not load — including the worker dying or
   * timing out while loading it — is answered as `loaded: false`, while a failing diff rejects.
   */
  generate(input: GenerateInput): Promise<GenerateOutcome> {
    return this.call({ method: 'generate', params: input }) as Promise<GenerateOutcome>;
  }

  /** Stops the worker now; a call in flight (or queued) fails with CANCELLED. */
  async close(): Promise<void> {
    this.closed = true;
    this.failPending(new AppError('CANCELLED', 'The project loader was closed while a call was running.'));
    await this.stopWorker();
  }

  private call(request: RequestWithoutId): Promise<unknown> {
    if (this.closed) return Promise.reject(new AppError('CANCELLED', 'The project loader has been closed.'));
    const run = this.queue.then(() => this.send(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async send(request: RequestWithoutId): Promise<unknown> {
    if (this.closed) throw new AppError('CANCELLED', 'The project loader was closed before this call ran.');
    if (this.worker && this.callsOnWorker >= this.recycleAfterCalls) await this.stopWorker();
    // One drizzle-kit per worker: 1.x patches built-in prototypes and each keeps large caches, so a worker that has
    // loaded one never loads another (the project may switch lines while the server runs: npm i drizzle-kit@…).
    const kit = kitKeyOf(request);
    if (this.worker && kit !== undefined && this.workerKit !== undefined && this.workerKit !== kit)
      await this.stopWorker();
    const worker = this.worker ?? this.startWorker();
    if (kit !== undefined) this.workerKit = kit;
    this.callsOnWorker += 1;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const label = LABELS[request.method] ?? request.method;
      const pending: Pending = {
        id,
        method: request.method,
        label,
        resolve,
        reject,
        timer: undefined,
        output: '',
        worker,
      };
      pending.timer = this.startTimer(pending);
      this.pending = pending;
      worker.postMessage({ ...request, id } as KitRequest);
    });
  }

  private startTimer(pending: Pending): NodeJS.Timeout {
    return setTimeout(() => {
      this.failPending(
        new AppError('TIMEOUT', `${pending.label} took longer than ${this.timeoutMs} ms and was stopped.`, {
          hint: 'Check the drizzle config and schema for code that waits on something at import time (a network call, a loop).',
        }),
      );
      void this.stopWorker();
    }, this.timeoutMs);
  }

  private startWorker(): Worker {
    const worker = createKitWorker(this.entry);
    worker.unref();
    worker.stdout.setEncoding('utf8');
    worker.stderr.setEncoding('utf8');
    worker.stdout.on('data', (text: string) => this.output('stdout', text));
    worker.stderr.on('data', (text: string) => this.output('stderr', text));
    worker.on('message', (response: KitResponse) => {
      if (this.pending?.worker === worker) this.settle(response);
    });
    worker.on('error', (error) => {
      if (this.worker === worker) this.worker = undefined;
      if (this.pending?.worker === worker) this.failPending(this.crashError(`threw ${error.message}`));
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (this.pending?.worker === worker) this.failPending(this.crashError(`exited (code ${code})`, code));
    });
    this.worker = worker;
    this.workerKit = undefined;
    this.callsOnWorker = 0;
    return worker;
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private output(stream: 'stdout' | 'stderr', text: string): void {
    if (this.pending) this.pending.output = (this.pending.output + text).slice(-OUTPUT_TAIL_CHARS);
    this.onOutput?.(stream, text);
  }

  private settle(response: KitResponse): void {
    const pending = this.pending;
    if (!pending || pending.id !== response.id) return;
    if ('phase' in response) {
      clearTimeout(pending.timer);
      pending.label = response.phase;
      pending.timer = this.startTimer(pending);
      return;
    }
    this.pending = undefined;
    clearTimeout(pending.timer);
    if (!response.ok) {
      pending.reject(this.fromWire(pending.label, response.error));
      return;
    }
    const result = response.result as GenerateWireResult;
    if (pending.method === 'generate' && !result.loaded) {
      pending.resolve({
        loaded: false,
        error: this.fromWire('loadSchema', result.error),
      } satisfies GenerateOutcome);
      return;
    }
    pending.resolve(response.result);
  }

  private fromWire(label: string, error: WireError): AppError {
    if (error.internalDetail) this.onDiagnostic?.(`kit worker ${label} failed: ${error.internalDetail}`);
    return error.code === 'INTERNAL'
      ? fromWireError(error, `${label} failed unexpectedly: ${error.message}`)
      : fromWireError(error);
  }

  private failPending(error: AppError): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    if (pending.method === 'generate' && pending.label === 'loadSchema') {
      pending.resolve({ loaded: false, error } satisfies GenerateOutcome);
      return;
    }
    pending.reject(error);
  }

  /** A worker that died mid-call: almost always drizzle-kit or the schema calling process.exit after printing why. */
  private crashError(how: string, exitCode?: number): AppError {
    const output = this.pending?.output.trim() ?? '';
    const method = this.pending?.label ?? 'call';
    if (output === '' && exitCode === 0 && this.pending?.method === 'generateV1') {
      // drizzle-kit 1.x in JSON mode reports a schema error by exiting with code 0 and printing nothing.
      return new AppError(
        'SCHEMA_LOAD_FAILED',
        'drizzle-kit stopped while reading the schema, without an answer and without saying why (it exited with code 0). drizzle-kit 1.0 does this on a schema error, usually two tables, indexes or constraints with the same name.',
        {
          hint: 'Look for a duplicate table, index, unique, check or foreign-key name in the schema (or a table without columns), fix it, and generate again; `drizzle-kit generate` in a terminal prints the exact reason.',
        },
      );
    }
    const printed = output === '' ? '' : ` It printed: ${stripAnsi(output)}`;
    return new AppError(
      'SCHEMA_LOAD_FAILED',
      `The project loader stopped during ${method}: the worker ${how}.${printed}`,
      {
        hint: 'Something in the drizzle config, the schema or drizzle-kit ended the process; the printed output above says why (e.g. two indexes with the same name). Fix it and retry.',
        details: { output: stripAnsi(output) },
      },
    );
  }
}

/** Which drizzle-kit a request makes the worker load; undefined for requests that load none. */
function kitKeyOf(request: RequestWithoutId): string | undefined {
  if (request.method === 'loadProjectConfig') return undefined;
  const kit = (request.params as { kit?: KitRef }).kit;
  return kit?.dir ?? 'bundled';
}

function createKitWorker(entry: EntryPoint): Worker {
  // A memory cap so a runaway schema cannot take the server down with it (the worker dies, the call fails).
  const options = { stdout: true, stderr: true, resourceLimits: { maxOldGenerationSizeMb: 1024 } } as const;
  if (!entry.file.endsWith('.ts')) return new Worker(entry.file, { ...options, execArgv: entry.execArgv });
  // From source (tests): Node 20 ignores `--import tsx` in a worker's execArgv, so register tsx's loader first.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(pathToFileURL(entry.file).href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}
