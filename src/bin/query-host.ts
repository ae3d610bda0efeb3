// The query host: a child process that owns the SQLite connections for raw and typed queries, so that a
// statement stuck inside sqlite3_step can be stopped the only way that works: the parent kills this process.
// It serves one request at a time over the IPC channel. stdout is never used (the parent pipes it anyway);
// diagnostics go to stderr, which the parent forwards to its logger.
import { QueryExecutor } from '../query/executor.js';
import { type HostEvent, type HostOptions, type HostRequest, type HostResponse } from '../query/protocol.js';
import { AppError, toAppError, toWireError } from '../core/errors.js';

function send(message: HostEvent | HostResponse): void {
  process.send?.(message);
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
  process.on('message', (message: HostRequest) => {
    const response = executor.handle(message, (error) => {
      process.stderr.write(
        `query-host: internal error on request ${message.id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    });
    send(response);
  });
  send({ type: 'ready' });
}

start();
