// Runs guarded queries in a small pool of warm child processes (the query host), because a statement stuck in
// sqlite3_step cannot be interrupted from inside a process and a worker thread cannot be terminated while
// inside SQLite: killing the child is the one stop that always works. Invariants: every call ends (result,
// error, TIMEOUT or CANCELLED); a timed-out or cancelled call is answered only after its child is gone (so its
// CPU is free); a replacement child is started at once; other calls keep being served meanwhile; children's
// stdout is piped and forwarded, never inherited (fd 1 carries JSON-RPC). The one exception to "SQL runs in a
// child": a read whose compiled program has no loop and calls no function (bounded-program.ts) cannot run away,
// so it runs in this process, through the same guard and caps.
import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { EntryPoint } from '../core/entry-point.js';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { AppError, fromWireError } from '../core/errors.js';
import type { PolicyOptions } from '../guard/sql-policy.js';
import { executeReadIfBounded, openQueryReadConnection, policyOf, toQueryError } from './executor.js';
import type { DryRunReport } from '../migrations/dry-run.js';
import type { ApplyJobResult, ApplyRequest, JobProgress, RehearseRequest } from '../migrations/jobs.js';
import { shortenText } from '../core/text.js';
import {
  type HostEvent,
  type HostResult,
  type HostOptions,
  type HostRequest,
  type HostResponse,
  type ReadRequest,
  type ReadResult,
  type WriteRequest,
  type WriteResult,
} from './protocol.js';

export interface QueryRunnerOptions {
  dbFile: string;
  /** Tables no SQL may write: the audit table and the migrations ledger (sqlite_* always). */
  protectedTables: readonly string[];
  /** Default time limit per call (config queryTimeoutMs). */
  queryTimeoutMs: number;
  /** SQLite busy timeout in the children (config busyTimeoutMs). */
  busyTimeoutMs: number;
  /** Warm children; calls beyond this many queue. Default 2. */
  poolSize?: number;
  /**
   * A child whose resident memory grows beyond this while running a call is killed and the call fails with
   * LIMIT_EXCEEDED (checked on Linux through /proc; elsewhere the time limit is the bound). Default 512 MiB.
   */
  memoryLimitBytes?: number;
  maxSqlLength?: number;
  /** The query host script (the process edge knows where it is: src/bin/entry-points.ts). */
  entry: EntryPoint;
  /** Receives whatever a child writes to stdout or stderr (the server sends it to its logger on stderr). */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Start the children now (default) rather than on the first call. */
  warm?: boolean;
  /** How long a child may take to start before it is considered broken. Default 30 s. */
  startupTimeoutMs?: number;
  /** Run reads that provably end at once in this process (default true); false sends every read to a child. */
  inProcessReads?: boolean;
}

export interface CallOptions {
  /** Aborting stops the call: the child running it is killed and the call rejects with CANCELLED. */
  signal?: AbortSignal;
  /** Overrides queryTimeoutMs for this call. */
  timeoutMs?: number;
}

type StopReason = 'TIMEOUT' | 'CANCELLED' | 'MEMORY' | 'CLOSED';

interface Job {
  message: HostRequest;
  timeoutMs: number;
  /** Migration jobs: the time limit applies to each statement and starts again with each progress event. */
  perStatement?: { onProgress?: (progress: JobProgress) => void; last?: JobProgress };
  /** Overrides the runner's memory limit for this job (a dry run copies the whole database into memory). */
  memoryLimitBytes?: number;
  resolve: (value: HostResult) => void;
  reject: (error: AppError) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  host: Host | undefined;
  settled: boolean;
}

interface Host {
  child: ChildProcess;
  ready: boolean;
  job: Job | undefined;
  stopReason: StopReason | undefined;
  startError: AppError | undefined;
  timers: Array<ReturnType<typeof setTimeout>>;
  /** The running job's time limit. */
  timeout?: ReturnType<typeof setTimeout>;
  exited: Promise<void>;
}

const MEMORY_POLL_MS = 100;
const KILL_GRACE_MS = 2_000;

export class QueryRunner {
  private readonly options: QueryRunnerOptions;
  private readonly entry: EntryPoint;
  private readonly hostOptions: HostOptions;
  private readonly poolSize: number;
  private readonly hosts = new Set<Host>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readyWaiters: Array<{ resolve: () => void; reject: (error: AppError) => void }> = [];
  private readonly policy: PolicyOptions;
  private direct: SqliteDatabase | undefined;

  constructor(options: QueryRunnerOptions) {
    this.options = options;
    this.entry = options.entry;
    this.poolSize = Math.max(1, options.poolSize ?? 2);
    this.hostOptions = {
      dbFile: options.dbFile,
      busyTimeoutMs: options.busyTimeoutMs,
      protectedTables: [...options.protectedTables],
      ...(options.maxSqlLength !== undefined ? { maxSqlLength: options.maxSqlLength } : {}),
    };
    this.policy = policyOf(this.hostOptions);
    if (options.warm ?? true) for (let i = 0; i < this.poolSize; i += 1) this.spawn();
  }

  /** Runs one read-only statement (run_query, select_rows). */
  read(request: ReadRequest, options: CallOptions = {}): Promise<ReadResult> {
    return (
      this.readInProcess(request, options) ??
      (this.submit({ id: this.nextId++, kind: 'read', request }, options) as Promise<ReadResult>)
    );
  }

  /**
   * A read whose compiled program provably ends at once (a lookup by key, a constant) runs here: a round trip
   * to a child would cost more than the read. Undefined sends the read to a child. The connection never waits
   * for a lock (busy_timeout 0): a locked database sends the read to a child, which waits without blocking
   * this process's event loop.
   */
  private readInProcess(request: ReadRequest, options: CallOptions): Promise<ReadResult> | undefined {
    if (this.closed || options.signal?.aborted || this.options.inProcessReads === false) return undefined;
    try {
      this.direct ??= openQueryReadConnection(this.options.dbFile, 0);
    } catch {
      return undefined; // the child reports why the database cannot be read
    }
    try {
      const result = executeReadIfBounded(this.direct, this.policy, request);
      return result && Promise.resolve(result);
    } catch (error) {
      const appError = toQueryError(error);
      if (appError.code === 'DATABASE_LOCKED') return undefined;
      return Promise.reject(appError);
    }
  }

  /**
   * Runs a migration job (migrations/jobs.ts: the dry run or the apply) in a child, where it can be stopped: each
   * statement gets `statementTimeoutMs`, restarted as the job reports the next one; past it the child is killed,
   * which rolls the apply back (SQLite undoes a transaction whose process died) and frees the write lock.
   */
  migrate(
    job: { kind: 'rehearse'; request: RehearseRequest } | { kind: 'apply'; request: ApplyRequest },
    options: CallOptions & {
      statementTimeoutMs: number;
      onProgress?: (progress: JobProgress) => void;
      memoryLimitBytes?: number;
    },
  ): Promise<DryRunReport | ApplyJobResult> {
    return this.submit({ id: this.nextId++, ...job } as HostRequest, {
      ...options,
      timeoutMs: options.statementTimeoutMs,
      perStatement: options.onProgress ? { onProgress: options.onProgress } : {},
    }) as Promise<DryRunReport | ApplyJobResult>;
  }

  /** Runs one bounded, audited write (execute_sql, write_rows). */
  write(request: WriteRequest, options: CallOptions = {}): Promise<WriteResult> {
    return this.submit({ id: this.nextId++, kind: 'write', request }, options) as Promise<WriteResult>;
  }

  /**
   * Resolves once the pool is warm (every child has opened the database); rejects with the reason when a child
   * cannot start (missing or unreadable database file). Calls do not need to wait for it: they queue.
   */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(shuttingDown());
    if (this.isWarm()) return Promise.resolve();
    const warm = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    this.pump();
    return warm;
  }

  /** No child is still starting and at least one can take calls. */
  private isWarm(): boolean {
    const live = [...this.hosts].filter((host) => !host.stopReason);
    return live.length > 0 && live.every((host) => host.ready);
  }

  private notifyReady(error?: AppError): void {
    if (!error && !this.isWarm()) return;
    for (const waiter of this.readyWaiters.splice(0)) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }

  /** Process ids of the live children (for diagnostics and tests). */
  get pids(): number[] {
    return [...this.hosts].map((host) => host.child.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Kills every child and fails whatever is queued or running. */
  async close(): Promise<void> {
    this.closed = true;
    this.direct?.close();
    this.direct = undefined;
    for (const job of this.queue.splice(0)) this.settle(job, shuttingDown());
    this.notifyReady(shuttingDown());
    const exits: Array<Promise<void>> = [];
    for (const host of this.hosts) {
      exits.push(host.exited);
      this.stop(host, 'CLOSED');
    }
    await Promise.all(exits);
  }

  private submit(
    message: HostRequest,
    options: CallOptions & {
      perStatement?: Job['perStatement'];
      memoryLimitBytes?: number;
    },
  ): Promise<HostResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(shuttingDown());
      if (options.signal?.aborted) return reject(cancelled());
      const job: Job = {
        message,
        timeoutMs: options.timeoutMs ?? this.options.queryTimeoutMs,
        ...(options.perStatement ? { perStatement: options.perStatement } : {}),
        ...(options.memoryLimitBytes !== undefined ? { memoryLimitBytes: options.memoryLimitBytes } : {}),
        resolve,
        reject,
        signal: options.signal,
        onAbort: undefined,
        host: undefined,
        settled: false,
      };
      if (options.signal) {
        job.onAbort = () => {
          if (job.host) this.stop(job.host, 'CANCELLED');
          else {
            const index = this.queue.indexOf(job);
            if (index >= 0) this.queue.splice(index, 1);
            this.settle(job, cancelled());
          }
        };
        options.signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    // ready() after a failed start asks for warm children again, like a call does.
    if (this.readyWaiters.length > 0) for (let i = this.hosts.size; i < this.poolSize; i += 1) this.spawn();
    for (const host of this.hosts) {
      if (this.queue.length === 0) return;
      if (host.ready && !host.job && !host.stopReason) this.assign(host, this.queue.shift() as Job);
    }
    // Demand-driven restart: after a failed start, nothing is respawned until a call needs a child.
    const starting = [...this.hosts].filter((host) => !host.ready).length;
    for (let i = Math.min(this.queue.length - starting, this.poolSize - this.hosts.size); i > 0; i -= 1)
      this.spawn();
  }

  private assign(host: Host, job: Job): void {
    host.job = job;
    job.host = host;
    this.armTimeout(host, job);
    const limit = job.memoryLimitBytes ?? this.options.memoryLimitBytes ?? 512 * 1024 * 1024;
    const pid = host.child.pid;
    if (pid !== undefined) {
      const poll = setInterval(() => {
        readRssBytes(pid).then(
          (rss) => {
            if (rss !== undefined && rss > limit && host.job === job) this.stop(host, 'MEMORY');
          },
          () => undefined,
        );
      }, MEMORY_POLL_MS);
      host.timers.push(poll);
    }
    host.child.send(job.message);
  }

  /** (Re)starts the job's time limit: once per call, or once per statement for a migration job. */
  private armTimeout(host: Host, job: Job): void {
    if (host.timeout) clearTimeout(host.timeout);
    host.timeout = setTimeout(() => this.stop(host, 'TIMEOUT'), job.timeoutMs);
  }

  private clearTimers(host: Host): void {
    if (host.timeout) clearTimeout(host.timeout);
    host.timeout = undefined;
    for (const timer of host.timers.splice(0)) clearTimeout(timer);
  }

  private settle(job: Job, outcome: AppError | HostResult): void {
    if (job.settled) return;
    job.settled = true;
    if (job.signal && job.onAbort) job.signal.removeEventListener('abort', job.onAbort);
    if (outcome instanceof AppError) job.reject(outcome);
    else job.resolve(outcome);
  }

  /** Kills the child; its running call is answered once the process is gone (see onExit). */
  private stop(host: Host, reason: StopReason): void {
    if (host.stopReason) return;
    host.stopReason = reason;
    this.clearTimers(host);
    host.child.kill('SIGKILL');
    // The exit event has always followed SIGKILL promptly; this only guarantees the caller is never left waiting.
    const job = host.job;
    if (job) setTimeout(() => this.settle(job, stopError(reason, job)), KILL_GRACE_MS).unref();
  }

  private spawn(): void {
    const child = fork(this.entry.file, [JSON.stringify(this.hostOptions)], {
      execArgv: [...this.entry.execArgv, '--max-old-space-size=512'],
      // Security: stdout is piped, never inherited: in the server, fd 1 is the JSON-RPC channel.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let markExited: () => void = () => undefined;
    const host: Host = {
      child,
      ready: false,
      job: undefined,
      stopReason: undefined,
      startError: undefined,
      timers: [],
      exited: new Promise((resolve) => (markExited = resolve)),
    };
    this.hosts.add(host);
    const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer) =>
      this.options.onOutput?.(chunk.toString('utf8'), stream);
    child.stdout?.on('data', forward('stdout'));
    child.stderr?.on('data', forward('stderr'));
    const startup = setTimeout(() => {
      if (!host.ready) {
        host.startError = new AppError('INTERNAL', 'The query process did not start in time.', {
          hint: 'The machine may be overloaded; try again.',
        });
        this.stop(host, 'CLOSED');
      }
    }, this.options.startupTimeoutMs ?? 30_000);
    child.on('message', (message: HostEvent | HostResponse) => this.onMessage(host, message, startup));
    let exitHandled = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exitHandled) return;
      exitHandled = true;
      clearTimeout(startup);
      this.onExit(host, code, signal);
      markExited();
    };
    child.on('exit', onExit);
    child.on('error', (error) => {
      host.startError ??= new AppError(
        'INTERNAL',
        `The query process could not be started: ${error.message}.`,
      );
      // 'exit' may not follow a spawn failure.
      if (child.pid === undefined) onExit(null, null);
    });
  }

  private onMessage(
    host: Host,
    message: HostEvent | HostResponse,
    startup: ReturnType<typeof setTimeout>,
  ): void {
    if ('type' in message) {
      if (message.type === 'ready') {
        clearTimeout(startup);
        host.ready = true;
        this.pump();
        this.notifyReady();
      } else if (message.type === 'progress') {
        const job = host.job;
        if (!job?.perStatement || job.message.id !== message.id || host.stopReason) return;
        job.perStatement.last = message.progress;
        this.armTimeout(host, job);
        try {
          job.perStatement.onProgress?.(message.progress);
        } catch {
          // Progress is informational.
        }
      } else {
        host.startError = fromWireError(message.error);
      }
      return;
    }
    const job = host.job;
    if (!job || job.message.id !== message.id || host.stopReason) return;
    this.clearTimers(host);
    host.job = undefined;
    job.host = undefined;
    this.settle(job, message.ok ? message.result : fromWireError(message.error));
    this.pump();
  }

  private onExit(host: Host, code: number | null, signal: NodeJS.Signals | null): void {
    this.hosts.delete(host);
    this.clearTimers(host);
    const job = host.job;
    if (job) {
      const error = host.stopReason
        ? stopError(host.stopReason, job)
        : new AppError(
            'INTERNAL',
            `The query process exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${String(code)}`}) while running the statement; a fresh one has been started.`,
            {
              hint: 'Try again. If it was a write, check with run_query whether it took effect before repeating it.',
            },
          );
      this.settle(job, error);
    }
    if (this.closed) return;
    if (!host.ready) {
      // A child that cannot start (missing database, bad options) would fail the same way again: fail the
      // waiting calls with its reason instead of respawning in a loop.
      if (this.hosts.size === 0) {
        const error =
          host.startError ??
          new AppError(
            'INTERNAL',
            `The query process failed to start (${signal ? `signal ${signal}` : `exit code ${String(code)}`}).`,
          );
        for (const waiting of this.queue.splice(0)) this.settle(waiting, error);
        this.notifyReady(error);
      }
      return;
    }
    this.spawn();
    this.pump();
  }
}

function cancelled(): AppError {
  return new AppError('CANCELLED', 'The query was cancelled; its work was stopped.', {
    hint: 'Nothing was changed by the cancelled statement.',
  });
}

function shuttingDown(): AppError {
  return new AppError('CANCELLED', 'The server is shutting down; the query was not completed.');
}

function stopError(reason: StopReason, job: Job): AppError {
  switch (reason) {
    case 'TIMEOUT':
      if (job.perStatement) return migrationTimeout(job);
      return new AppError('TIMEOUT', `The statement ran longer than ${job.timeoutMs} ms and was stopped.`, {
        hint:
          job.message.kind === 'write'
            ? 'The write was rolled back. Narrow it to the rows meant (a WHERE on an indexed column), or ask the human to raise --query-timeout-ms.'
            : 'Add a LIMIT, filter on indexed columns, or avoid unbounded recursive CTEs and large cross joins.',
        details: { timeoutMs: job.timeoutMs },
      });
    case 'CANCELLED':
      return cancelled();
    case 'MEMORY':
      return new AppError(
        'LIMIT_EXCEEDED',
        'The statement used more memory than the server allows and was stopped.',
        {
          hint: 'Avoid huge intermediate results (large sorts, cross joins, randomblob/zeroblob of big sizes); add filters or a LIMIT.',
        },
      );
    case 'CLOSED':
      return shuttingDown();
  }
}

function migrationTimeout(job: Job): AppError {
  const at = job.perStatement?.last;
  const where = at
    ? `Migration "${at.migration}" statement ${at.statement} (${shortenText(at.text.replace(/\s+/g, ' '), 200)})`
    : 'A migration statement';
  const apply = job.message.kind === 'apply';
  return new AppError(
    'TIMEOUT',
    `${where} ran longer than ${job.timeoutMs} ms and was stopped by ending the process that ran it${apply ? '; SQLite rolls its transaction back, so nothing was applied' : ' (the dry run works on a copy: nothing changed)'}.`,
    {
      hint: 'Make the statement finish sooner (an index, a narrower WHERE, no unbounded recursive CTE), or ask the human to raise --migration-timeout-ms for a long but legitimate migration.',
      details: {
        timeoutMs: job.timeoutMs,
        ...(at ? { tag: at.migration, statementIndex: at.statement } : {}),
      },
    },
  );
}

async function readRssBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}
