// Security: stdout is the JSON-RPC channel. Once claimed, every other writer (console.log of a library, a stray
// process.stdout.write, a dependency's banner) is diverted to stderr, and only the returned stream reaches fd 1.
// Importing this module claims stdout: import it first, before any module that might print.
import { Writable } from 'node:stream';

let claimed: Writable | undefined;

export function claimStdout(): Writable {
  if (claimed) return claimed;
  const stdout = process.stdout;
  const realWrite = stdout.write.bind(stdout) as (
    chunk: unknown,
    encoding?: unknown,
    cb?: unknown,
  ) => boolean;
  const toStderr = process.stderr.write.bind(process.stderr);
  stdout.write = toStderr as typeof stdout.write;
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  console.dir = (item: unknown) => console.error(item);
  console.table = (data: unknown) => console.error(data);
  claimed = new Writable({
    write(chunk: Buffer, encoding, callback) {
      realWrite(chunk, encoding, (error?: Error | null) => callback(error ?? null));
    },
  });
  return claimed;
}

/** The real stdout, for the JSON-RPC transport (and --help/--version before any session starts). */
export const rpcStdout = claimStdout();
