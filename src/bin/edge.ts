// The process edge: argv, env, stdio and signals live here and nowhere else (src/bin/index.ts claims stdout, then
// loads this module).
import { rpcStdout } from './stdout-guard.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { BoundedLines, MAX_REQUEST_BYTES, tooLargeResponse } from './bounded-lines.js';
import { entryPoints, packageRoot } from './entry-points.js';
import { EXIT } from './exit-codes.js';
import { loadConfig, type ParsedCommandLine } from '../core/config.js';
import { HELP_TEXT } from './help.js';
import { AppError, errorJson, isAppError, toAppError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createServer, VERSION } from '../mcp/server.js';
import type { Services } from '../app/services.js';

/** Longest a server waits for a client's tools/list before it opens the database anyway. */
const WARM_UP_DELAY_MS = 150;

/** A command line that cannot be parsed is a usage error: one JSON line on stderr (as `call` fails), exit 2. */
function parseCommandLine(): ParsedCommandLine {
  try {
    return loadConfig({
      argv: process.argv.slice(2),
      env: process.env,
      cwd: process.cwd(),
      defaultProjectDir: packageRoot(),
    });
  } catch (error) {
    if (!isAppError(error)) throw error;
    process.stderr.write(`${JSON.stringify(errorJson(error))}\n`);
    process.exit(EXIT.usage);
  }
}

/**
 * drizzle-kit runs from the project folder, and so must the project's code here: its config's relative paths,
 * `process.cwd()`, and the `.env` that dotenv (or drizzle-kit itself) reads from the working directory. A client
 * starts the server from anywhere (often `/` or its own folder), so the process moves into the project before
 * anything of the project runs. Worker threads cannot chdir; they follow this one. Paths given on the command
 * line were already resolved against the original working directory.
 */
function enterProject(projectDir: string, logger: Logger): void {
  try {
    process.chdir(projectDir);
  } catch (error) {
    // Opening the project reports the missing folder to every tool call; nothing to add here.
    logger.debug('could not enter the project folder', { projectDir, error: String(error) });
  }
}

async function serve(parsed: ParsedCommandLine, logger: Logger): Promise<void> {
  const { config } = parsed;
  enterProject(config.projectDir, logger);
  let services: Services | undefined;
  let shuttingDown = false;

  // initialize and tools/list are answered from what is loaded at start (the listing is built in); the database,
  // the project and the tool modules open just after, so tool calls wait for them and the handshake does not.
  //
  // A project that cannot be opened (a wrong --project, a config that throws, a remote database) must not end the
  // session: a GUI client would show only "server disconnected". Every call answers the reason and its fix
  // instead, and tries again, so a fixed .env or config needs no restart.
  let warming: Promise<Services> | undefined;
  const servicesReady = (): Promise<Services> =>
    (warming ??= (async () => {
      const [{ openServices }, { migrateOnStart }, { systemOpener }] = await Promise.all([
        import('../app/services.js'),
        import('../app/startup.js'),
        import('../review/open-browser.js'),
      ]);
      const opened = await openServices(config, logger, {
        entries: entryPoints(),
        migrateOnStart,
        // The review page opens in the person's browser through the OS (xdg-open, open, start).
        opener: systemOpener({ platform: process.platform, env: process.env }),
      });
      services = opened;
      logger.info('ready', {
        project: opened.project.root,
        db: opened.project.dbFile,
        readOnly: config.readOnly,
      });
      return opened;
    })().catch((error: unknown) => {
      warming = undefined;
      const cause = toAppError(error);
      if (cause.code === 'INTERNAL')
        logger.error('could not open the project', {
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      else logger.error(`could not open the project: ${cause.message}`, { hint: cause.hint });
      throw new AppError(
        cause.code,
        `The server could not open the project, so no tool can run: ${cause.message}`,
        {
          hint: `${cause.hint ? `${cause.hint} ` : ''}The server stays up and tries again on the next call; a change to a launch option (--project, --db, --config) needs a restart of the server in the client.`,
          ...(cause.details ? { details: cause.details } : {}),
          cause: error,
        },
      );
    }));

  const { server, registry } = createServer({
    config,
    logger,
    services: servicesReady,
    // After the answer is written: timers run after the microtasks that send it.
    onListed: () => setTimeout(warm, 0),
  });
  // Warm up once the handshake is done: right after tools/list is answered, or shortly after start for a client
  // that does not list (a start-up error, e.g. a bad --db, still ends the process within moments).
  const warm = () => {
    clearTimeout(warmTimer);
    void registry.warm().catch(() => {});
    servicesReady().catch(() => {}); // logged where it failed; every call answers it
  };
  const warmTimer = setTimeout(warm, WARM_UP_DELAY_MS);
  // Security: a request larger than the transport's buffer would make it stop reading for good; such a line is
  // dropped as it streams in and answered with an error, and the server keeps reading.
  const requests = process.stdin.pipe(
    new BoundedLines(MAX_REQUEST_BYTES, (line) => {
      logger.warn('a request larger than the limit was dropped', { bytes: line.bytes, id: line.id });
      rpcStdout.write(tooLargeResponse(line, MAX_REQUEST_BYTES));
    }),
  );
  const transport = new StdioServerTransport(requests, rpcStdout);

  const shutdown = async (reason: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.debug('shutting down', { reason });
    const timer = setTimeout(() => process.exit(0), 3000);
    timer.unref();
    try {
      await server.close();
    } catch {
      // Closing a transport whose peer is gone may throw; we are leaving anyway.
    }
    await services?.close();
    process.exit(0);
  };
  process.stdin.on('end', () => void shutdown('stdin closed'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('uncaughtException', (error) =>
    logger.error('uncaught exception', { error: error.stack ?? String(error) }),
  );
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection', { error: String(error) }));

  logger.addSink((level, message, data) => {
    void server.server
      .sendLoggingMessage({
        level: level === 'warn' ? 'warning' : level,
        logger: 'drizzle-sqlite-mcp',
        data: data ? { message, ...data } : message,
      })
      .catch(() => {});
  });
  await server.connect(transport);
}

async function main(): Promise<void> {
  const parsed = parseCommandLine();
  if (parsed.command === 'help') {
    rpcStdout.write(HELP_TEXT);
    return;
  }
  if (parsed.command === 'version') {
    rpcStdout.write(`${VERSION}\n`);
    return;
  }
  const logger = createLogger(parsed.config.logLevel);
  if (parsed.command === 'serve') return serve(parsed, logger);
  const { runCliCommand } = await import('./cli.js');
  process.exitCode = await runCliCommand(parsed, {
    logger,
    stdout: rpcStdout,
    stdin: process.stdin,
    enterProject: (dir) => enterProject(dir, logger),
  });
}

await main();
