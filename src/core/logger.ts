// The only sink for diagnostics: stderr, one line per event. stdout is the JSON-RPC channel and never sees a log.
import { format } from 'node:util';
import type { Config } from './config.js';

export type LogLevel = Exclude<Config['logLevel'], 'silent'>;
const RANK: Record<Config['logLevel'], number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  /** Extra sinks (e.g. MCP logging notifications) receive every event at or above the logger's level. */
  addSink(sink: (level: LogLevel, message: string, data?: Record<string, unknown>) => void): () => void;
}

export function createLogger(
  level: Config['logLevel'],
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const sinks = new Set<(level: LogLevel, message: string, data?: Record<string, unknown>) => void>();
  const emit = (at: LogLevel, message: string, data?: Record<string, unknown>) => {
    if (RANK[at] < RANK[level]) return;
    const suffix = data && Object.keys(data).length > 0 ? ' ' + format('%j', data) : '';
    write(`[drizzle-sqlite-mcp] ${at}: ${message}${suffix}\n`);
    for (const sink of sinks) {
      try {
        sink(at, message, data);
      } catch {
        // A failing sink (e.g. a closed transport) must never break logging or the caller.
      }
    }
  };
  return {
    debug: (m, d) => emit('debug', m, d),
    info: (m, d) => emit('info', m, d),
    warn: (m, d) => emit('warn', m, d),
    error: (m, d) => emit('error', m, d),
    addSink(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
  };
}
