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

/**
 * True when the kill struck inside the operation: after the child's ready line and before it reported the
 * operation done. A kill that lands after (or a child that finished first) proves nothing about atomicity.
 */
export function landedMidOperation(run: KillRunResult, doneLine = 'DONE'): boolean {
  return run.killed && run.operationMs !== undefined && !run.stdout.split('\n').includes(doneLine);
}

/**
 * Kills until a kill lands mid-operation, aiming earlier after each miss (a loaded machine can finish the
 * operation before the planned moment). `attempt` must start from a fresh copy of the data every time; it gets
 * the window to aim the kill into. Fails the test when no kill in `attempts` tries landed inside.
 */
export async function killMidOperation(
  attempt: (killAfter: { minMs: number; maxMs: number }) => Promise<KillRunResult>,
  window: { minMs?: number; maxMs: number },
  options: { attempts?: number; doneLine?: string } = {},
): Promise<KillRunResult> {
  let minMs = window.minMs ?? 0;
  let maxMs = Math.max(minMs + 1, window.maxMs);
  const misses: string[] = [];
  for (let tries = 0; tries < (options.attempts ?? 6); tries += 1) {
    const run = await attempt({ minMs, maxMs });
    if (landedMidOperation(run, options.doneLine)) return run;
    misses.push(`killed=${run.killed} after ${run.delayMs} ms (operation ${run.operationMs} ms)`);
    maxMs = Math.max(1, Math.floor(maxMs / 2));
    minMs = Math.min(minMs, Math.floor(maxMs / 2));
  }
  throw new Error(`no kill landed inside the operation: ${misses.join('; ')}`);
}

/** Reopens the file the way a restarted server would, returning the handle and `PRAGMA integrity_check`. */
export function reopenAfterKill(dbFile: string): { db: Database.Database; integrity: string[] } {
  const db = new Database(dbFile);
  const integrity = db.prepare('PRAGMA integrity_check').pluck().all() as string[];
  return { db, integrity };
}
