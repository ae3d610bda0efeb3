#!/usr/bin/env node
// The process edge: argv, env, stdio and signals live here and nowhere else. The stdout guard is imported first
// so that nothing loaded after it can write to fd 1, which belongs to JSON-RPC.
import { rpcStdout } from './stdout-guard.js';
import { fileURLToPath } from 'node:url';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { HELP_TEXT, loadConfig, type ParsedCommandLine } from './config.js';
import { isAppError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { migrateOnStart } from './startup.js';
import { createServer, VERSION } from './server.js';
import { openServices, type Services } from './services.js';

const EMBEDDED_PROJECT = fileURLToPath(new URL('..', import.meta.url));

function fatal(message: string, hint?: string): never {
  process.stderr.write(`drizzle-sqlite-mcp: ${message}\n${hint ? `  ${hint}\n` : ''}`);
  process.exit(1);
}

function parseCommandLine(): ParsedCommandLine {
  try {
    return loadConfig({
      argv: process.argv.slice(2),
      env: process.env,
      cwd: process.cwd(),
      defaultProjectDir: EMBEDDED_PROJECT,
    });
  } catch (error) {
    if (isAppError(error)) fatal(error.message, error.hint);
    throw error;
  }
}

async function serve(parsed: ParsedCommandLine, logger: Logger): Promise<void> {
  const { config } = parsed;
  let services: Services | undefined;
  let shuttingDown = false;

  // initialize and tools/list are answered at once; tool calls wait until the database and project are open.
  const servicesReady = openServices(config, logger, { migrateOnStart }).then((opened) => {
    services = opened;
    logger.info('ready', {
      project: opened.project.root,
      db: opened.project.dbFile,
      readOnly: config.readOnly,
    });
    return opened;
  });
  servicesReady.catch((error: unknown) => {
    if (isAppError(error)) fatal(error.message, error.hint);
    fatal(`could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  });

  const { server } = createServer({ config, logger, services: () => servicesReady });
  const transport = new StdioServerTransport(process.stdin, rpcStdout);

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
  process.exitCode = await runCliCommand(parsed, { logger, stdout: rpcStdout, stdin: process.stdin });
}

await main();
