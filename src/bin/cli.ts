// The scripted face of the server: `call` runs one tool through the very registry an MCP session uses (same
// guards, same audit row, client "cli/<version>"), `tools` lists the tool surface, `config` prints a client's
// launch snippet, `review` serves the read-only review console until stopped. stdout carries only the result
// (JSON, the snippet, the console's address); everything else goes to stderr.
//
// Exit codes: 0 ok · 1 the tool failed (or the project could not be opened) · 2 usage error (bad command line or
// arguments that are not a JSON object; nothing ran, nothing was audited) · 3 a guard refused the call.
import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { CLIENTS, isClientName, launchFor, snippetsFor, WHY_ABSOLUTE_NODE } from './client-configs.js';
import { binScript, entryPoints } from './entry-points.js';
import type { ParsedCommandLine } from '../core/config.js';
import { AppError, toAppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createServer, VERSION } from '../mcp/server.js';
import { openServices, type Services } from '../app/services.js';
import { migrateOnStart } from '../app/startup.js';
import { openReviewConsole } from '../app/review-console.js';
import { systemOpener, type Opener } from '../review/open-browser.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;

export interface CliIo {
  logger: Logger;
  stdout: Writable;
  stdin: Readable;
  /** Defaults to the process's stderr. */
  stderr?: Writable;
  /** Absolute path of the node binary a client should run; defaults to the one running now. */
  nodePath?: string;
  /** Absolute path of the bin script (dist/index.js); defaults to the running bundle. */
  entry?: string;
  /** `review`: how the browser is opened (default: the operating system's opener). */
  opener?: Opener;
  /** `review`: serves until this settles (default: until SIGINT or SIGTERM). */
  until?: Promise<void>;
}

export const CLI_CLIENT = `cli/${VERSION}`;

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(text, (error) => (error ? reject(error) : resolve())));
}

/** The JSON a script reads for a failure: the stable code, the message, what to do, and any details. */
export function errorJson(error: AppError): Record<string, unknown> {
  return {
    code: error.code,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.details ? { details: error.details } : {}),
  };
}

class UsageError extends Error {}

export async function runCliCommand(parsed: ParsedCommandLine, io: CliIo): Promise<number> {
  const stderr = io.stderr ?? process.stderr;
  try {
    switch (parsed.command) {
      case 'call':
        return await runCall(parsed, io, stderr);
      case 'tools':
        return await runTools(parsed, io);
      case 'config':
        return await runConfig(parsed, io, stderr);
      case 'review':
        return await runReview(parsed, io, stderr);
      default:
        throw new UsageError(`"${parsed.command}" is not a command this runner handles.`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      await write(stderr, `drizzle-sqlite-mcp ${parsed.command}: ${error.message}\n`);
      return EXIT.usage;
    }
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL')
      io.logger.error('internal error', {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    await write(stderr, JSON.stringify(errorJson(appError)) + '\n');
    return EXIT.failed;
  }
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Where the arguments come from: --args, --args-file (or "-"), else stdin when it is piped, else none. */
async function readArgumentsText(
  parsed: ParsedCommandLine,
  stdin: Readable,
): Promise<{ text: string; from: string }> {
  if (parsed.args !== undefined && parsed.argsFile !== undefined)
    throw new UsageError('give either --args or --args-file, not both.');
  if (parsed.args !== undefined) return { text: parsed.args, from: '--args' };
  if (parsed.argsFile === '-') return { text: await readAll(stdin), from: 'stdin' };
  if (parsed.argsFile !== undefined) {
    try {
      return { text: fs.readFileSync(parsed.argsFile, 'utf8'), from: parsed.argsFile };
    } catch (error) {
      throw new UsageError(`cannot read --args-file ${parsed.argsFile}: ${(error as Error).message}`);
    }
  }
  if ((stdin as { isTTY?: boolean }).isTTY) return { text: '', from: 'none' };
  return { text: await readAll(stdin), from: 'stdin' };
}

export function parseArgumentsJson(text: string, from: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `the arguments (${from}) are not valid JSON: ${(error as Error).message}. Example: --args '{"limit": 5}'`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`the arguments (${from}) must be a JSON object, like '{"limit": 5}'.`);
  }
  return value as Record<string, unknown>;
}

async function runCall(parsed: ParsedCommandLine, io: CliIo, stderr: Writable): Promise<number> {
  const [tool, ...extra] = parsed.positionals;
  if (!tool)
    throw new UsageError(
      `name the tool: drizzle-sqlite-mcp call <tool> --args '{…}' (see "drizzle-sqlite-mcp tools").`,
    );
  if (extra.length)
    throw new UsageError(
      `unexpected ${extra.map((word) => `"${word}"`).join(' ')}; pass the arguments as JSON with --args.`,
    );
  const { text, from } = await readArgumentsText(parsed, io.stdin);
  const args = parseArgumentsJson(text, from);

  // Ctrl-C or a CI job's SIGTERM cancels the call like an MCP client would: the work stops, SQLite rolls back
  // what was not committed, and the audit row says CANCELLED.
  const controller = new AbortController();
  const cancel = () => controller.abort();
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  let services: Services | undefined;
  try {
    services = await openServices(parsed.config, io.logger, { entries: entryPoints(), migrateOnStart });
    const opened = services;
    const { registry } = createServer({
      config: parsed.config,
      logger: io.logger,
      services: async () => opened,
    });
    const outcome = await registry.call(tool, args, { client: CLI_CLIENT, signal: controller.signal });
    if (outcome.ok) {
      await write(io.stdout, JSON.stringify(outcome.data, null, 2) + '\n');
      return EXIT.ok;
    }
    await write(stderr, JSON.stringify(errorJson(outcome.error)) + '\n');
    return outcome.error.outcome === 'refused' ? EXIT.refused : EXIT.failed;
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
    await services?.close();
  }
}

async function runTools(parsed: ParsedCommandLine, io: CliIo): Promise<number> {
  if (parsed.positionals.length) throw new UsageError('takes no arguments.');
  // Listing needs no database: the services are never opened.
  const { registry } = createServer({
    config: parsed.config,
    logger: io.logger,
    services: () => Promise.reject(new AppError('INTERNAL', 'listing tools does not open the project')),
  });
  const tools = (await registry.list()).map(({ name, title, description, inputSchema, annotations }) => ({
    name,
    title,
    description,
    inputSchema,
    annotations,
  }));
  await write(io.stdout, JSON.stringify({ tools }, null, 2) + '\n');
  return EXIT.ok;
}

async function runConfig(parsed: ParsedCommandLine, io: CliIo, stderr: Writable): Promise<number> {
  const [client, ...extra] = parsed.positionals;
  if (!client || !isClientName(client) || extra.length) {
    throw new UsageError(
      `name one client: ${CLIENTS.join(', ')} (e.g. drizzle-sqlite-mcp config claude-desktop --project ~/app).`,
    );
  }
  const launch = launchFor({
    node: io.nodePath ?? process.execPath,
    entry: io.entry ?? binScript(),
    config: parsed.config,
  });
  const snippets = snippetsFor(client, launch);
  await write(io.stdout, snippets.primary.text + '\n');
  const notes = [`${snippets.title}: ${snippets.primary.where}`];
  for (const alternative of snippets.alternatives)
    notes.push('', `Or: ${alternative.where}`, alternative.text);
  notes.push('', WHY_ABSOLUTE_NODE);
  await write(stderr, notes.join('\n') + '\n');
  return EXIT.ok;
}

async function runReview(parsed: ParsedCommandLine, io: CliIo, stderr: Writable): Promise<number> {
  if (parsed.positionals.length) throw new UsageError('takes no arguments.');
  const opener = io.opener ?? systemOpener({ platform: process.platform, env: process.env });
  const reviewConsole = await openReviewConsole(parsed.config, io.logger, {
    kitWorker: entryPoints().kitWorker,
    async opener(url) {
      // The key rides in the address's fragment; this terminal is the person's own, so it is printed here.
      await write(io.stdout, `${url}\n`);
      await opener(url).catch((error: Error) =>
        write(stderr, `Could not open a browser (${error.message}); open the address above yourself.\n`),
      );
    },
  });
  await write(
    stderr,
    `Review console for ${reviewConsole.dbFile}: read-only, on ${reviewConsole.origin} only. Ctrl-C stops it.\n`,
  );
  try {
    await (io.until ??
      new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      }));
  } finally {
    await reviewConsole.close();
  }
  return EXIT.ok;
}
