// Kill -9 harness: runs an operation in a child Node process against a database file, SIGKILLs it at a random
// moment after the child says the operation is starting, and hands back what happened so the test can reopen the
// file and assert it is fully before or fully after. Reusable by every write path (migrations, audited writes).
//
// The child script (TypeScript is fine: it runs under `node --import tsx`) must print the ready line on stdout
// right before the operation starts; anything else it prints is returned for diagnostics.
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';

const REPO = path.resolve(import.meta.dirname, '../..');

export interface KillRunOptions {
  /** Path of the script to run (absolute, or relative to the repo root). */
  script: string;
  args?: readonly string[];
  /** The child prints this line when the operation begins (default "READY"). */
  readyLine?: string;
  /**
   * The kill lands a uniformly random delay in [minMs, maxMs] after the ready line. Absent: the child runs to the
   * end (use that to learn how long the operation takes, then aim the kills inside it).
   */
  killAfter?: { minMs?: number; maxMs: number };
  /** Give up (and kill) if the child has not become ready or finished within this time (default 30 s). */
  timeoutMs?: number;
  random?: () => number;
}

export interface KillRunResult {
  /** True when SIGKILL ended the child; false when it finished before the kill (then nothing was interrupted). */
  killed: boolean;
  /** The chosen kill delay (undefined when no kill was asked for). */
  delayMs: number | undefined;
  /** From the ready line to the child's exit (undefined when it never became ready). */
  operationMs: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runAndKill(options: KillRunOptions): Promise<KillRunResult> {
  const readyLine = options.readyLine ?? 'READY';
  const random = options.random ?? Math.random;
  const killAfter = options.killAfter;
  const delayMs = killAfter
    ? Math.round((killAfter.minMs ?? 0) + random() * Math.max(0, killAfter.maxMs - (killAfter.minMs ?? 0)))
    : undefined;
  const script = path.resolve(REPO, options.script);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...(options.args ?? [])], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    let killed = false;
    let readyAt: number | undefined;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not finish within ${options.timeoutMs ?? 30_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.stdout.setEncoding('utf8').on('data', (data: string) => {
      const wasReady = stdout.split('\n').includes(readyLine);
      stdout += data;
      if (!wasReady && stdout.split('\n').includes(readyLine)) {
        readyAt = Date.now();
        if (delayMs === undefined) return;
        killTimer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) {
            killed = child.kill('SIGKILL');
          }
        }, delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(guard);
      if (killTimer) clearTimeout(killTimer);
      const operationMs = readyAt === undefined ? undefined : Date.now() - readyAt;
      resolve({
        killed: killed && signal === 'SIGKILL',
        delayMs,
        operationMs,
        exitCode,
        signal,
        stdout,
        stderr,
      });
    });
  });
}

/** Reopens the file the way a restarted server would, returning the handle and `PRAGMA integrity_check`. */
export function reopenAfterKill(dbFile: string): { db: Database.Database; integrity: string[] } {
  const db = new Database(dbFile);
  const integrity = db.prepare('PRAGMA integrity_check').pluck().all() as string[];
  return { db, integrity };
}
