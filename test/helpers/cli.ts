// The CLI runner in-process: a parsed command line, captured stdout and stderr, and the exit code — what a shell
// would see, without spawning the built binary.
import { PassThrough, Readable } from 'node:stream';
import { runCliCommand, type CliIo } from '../../src/bin/cli.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { REPO_ROOT } from './project.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function stdinOf(text: string | undefined, tty: boolean): Readable {
  const stream = Readable.from(text === undefined ? [] : [Buffer.from(text)]);
  if (tty) Object.assign(stream, { isTTY: true });
  return stream;
}

export async function runCli(
  argv: string[],
  options: { cwd: string; stdin?: string; tty?: boolean } & Pick<CliIo, 'opener' | 'until'>,
): Promise<CliRun> {
  // config carries every non-default option into the snippet, so only the other commands are quietened here.
  const quiet = argv[0] === 'config' ? [] : ['--log-level', 'silent'];
  const parsed = loadConfig({
    argv: [...argv, ...quiet],
    env: {},
    cwd: options.cwd,
    defaultProjectDir: REPO_ROOT,
  });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCliCommand(parsed, {
    logger: createLogger('silent'),
    stdout,
    stderr,
    stdin: stdinOf(options.stdin, options.tty ?? options.stdin === undefined),
    ...(options.opener ? { opener: options.opener } : {}),
    ...(options.until ? { until: options.until } : {}),
  });
  return { code, stdout: out, stderr: err };
}
