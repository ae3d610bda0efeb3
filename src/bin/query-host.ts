// The query host: a child process that owns the SQLite connections for raw and typed queries, so that a
// statement stuck inside sqlite3_step can be stopped the only way that works: the parent kills this process.
// It serves one request at a time over the IPC channel. stdout is never used (the parent pipes it anyway);
// diagnostics go to stderr, which the parent forwards to its logger.
import { QueryExecutor } from '../query/executor.js';
import { type HostEvent, type HostOptions, type HostRequest, type HostResponse } from '../query/protocol.js';
import { applyJob, rehearseJob, type JobProgress } from '../migrations/jobs.js';
import { AppError, toAppError, toWireError } from '../core/errors.js';

function send(message: HostEvent | HostResponse): void {
  process.send?.(message);
}

async function runMigrationJob(
  message: Extract<HostRequest, { kind: 'rehearse' | 'apply' }>,
  onStatement: (progress: JobProgress) => void,
): Promise<HostResponse> {
  try {
    const result =
      message.kind === 'rehearse'
        ? await rehearseJob(message.request, onStatement)
        : await applyJob(message.request, onStatement);
    return { id: message.id, ok: true, result };
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL') {
      const cause = appError.cause ?? error;
      process.stderr.write(
        `query-host: internal error in a migration job: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}\n`,
      );
    }
    return { id: message.id, ok: false, error: toWireError(appError) };
  }
}

function start(): void {
  if (!process.send) {
    process.stderr.write('query-host must be started by the server (it talks over an IPC channel).\n');
    process.exit(2);
  }
  let executor: QueryExecutor;
  try {
    const options = JSON.parse(process.argv[2] ?? '') as HostOptions;
    executor = new QueryExecutor(options);
  } catch (error) {
    const appError =
      error instanceof SyntaxError
        ? new AppError('INTERNAL', 'The query host was started without valid options.')
        : toAppError(error);
    send({ type: 'fatal', error: toWireError(appError) });
    process.disconnect?.();
    process.exitCode = 1;
    return;
  }
  // The parent went away (or closed us): close SQLite cleanly and leave.
  process.on('disconnect', () => {
    executor.close();
    process.exit(0);
  });
  const internal = (id: number) => (error: unknown) =>
    process.stderr.write(
      `query-host: internal error on request ${id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  process.on('message', (message: HostRequest) => {
    if (message.kind === 'read' || message.kind === 'write') {
      send(executor.handle(message, internal(message.id)));
      return;
    }
    // A migration job (migrations/jobs.ts). Its progress events go out as it reaches each statement (an IPC write
    // leaves at once unless the channel is backed up); the parent restarts the statement's time limit on each.
    void runMigrationJob(message, (progress) => send({ type: 'progress', id: message.id, progress })).then(
      send,
    );
  });
  send({ type: 'ready' });
}

start();
