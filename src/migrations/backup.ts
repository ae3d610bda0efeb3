// Online backups of the live database and restores from them. Invariants: a backup is complete or absent (written
// under a temporary name, checksummed, flushed to disk, renamed, then described by a sidecar JSON written the same
// way) and durable by the time createBackup returns; a restore first backs up the current file and then copies
// pages back through SQLite's backup API, so it takes SQLite's locks and every open connection sees the restored
// content — the live file is never replaced underneath an open connection.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as DatabaseHandle } from 'better-sqlite3';
import { AppError, fromSqliteError } from '../core/errors.js';

export interface BackupInfo {
  id: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** The database file that was backed up. */
  sourceFile: string;
  sizeBytes: number;
  sha256: string;
  reason: string;
  /** The audit log's highest id when the backup was taken (null: no audit table or not given). */
  auditHighWater: number | null;
  /** Absolute path of the backup database file. */
  path: string;
}

export interface CreateBackupOptions {
  reason: string;
  auditHighWater?: number | null;
  /** Clock for the id and createdAt; tests pin it. */
  now?: () => Date;
}

const ID_PATTERN = /^[0-9]{8}T[0-9]{6}-[0-9]{3}Z-[0-9a-f]{6}$/;

export async function createBackup(
  db: DatabaseHandle,
  backupDir: string,
  options: CreateBackupOptions,
): Promise<BackupInfo> {
  const now = (options.now ?? (() => new Date()))();
  const id = `${now.toISOString().replace(/[-:]/g, '').replace('.', '-')}-${randomBytes(3).toString('hex')}`;
  const file = path.join(backupDir, `${id}.db`);
  const partial = path.join(backupDir, `.${id}.db.partial`);
  try {
    fs.mkdirSync(backupDir, { recursive: true });
    fs.accessSync(backupDir, fs.constants.W_OK);
    keepOutOfVersionControl(backupDir);
  } catch (error) {
    throw backupFailed(backupDir, error);
  }
  try {
    if (!copyRollbackFileUnderReadLock(db, partial)) await db.backup(partial);
    // A copy of a WAL database is itself in WAL mode and would need -wal/-shm files beside it whenever it is
    // opened; a rollback-journal file is one self-contained file.
    const copy = new Database(partial);
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    const sizeBytes = fs.statSync(partial).size;
    // Durable before the change it protects commits: after a destructive migration the backup may be the only
    // copy of the dropped data, and a power loss must not leave the migration committed and the backup torn.
    // The flush runs on the thread pool, alongside the checksum's read.
    const [sha256] = await Promise.all([sha256File(partial), syncFile(partial)]);
    fs.renameSync(partial, file);
    const info: BackupInfo = {
      id,
      createdAt: now.toISOString(),
      sourceFile: db.name,
      sizeBytes,
      sha256,
      reason: options.reason,
      auditHighWater: options.auditHighWater ?? null,
      path: file,
    };
    const { path: _path, ...sidecar } = info;
    // The sidecar is what makes the backup listed: written last, under a temporary name, flushed, renamed.
    const sidecarPartial = path.join(backupDir, `.${id}.json.partial`);
    fs.writeFileSync(sidecarPartial, JSON.stringify(sidecar, null, 2));
    await syncFile(sidecarPartial);
    fs.renameSync(sidecarPartial, path.join(backupDir, `${id}.json`));
    await syncDirectory(backupDir);
    return info;
  } catch (error) {
    fs.rmSync(partial, { force: true });
    fs.rmSync(file, { force: true });
    fs.rmSync(path.join(backupDir, `.${id}.json.partial`), { force: true });
    throw backupFailed(backupDir, error);
  }
}

/**
 * The default backup folder sits beside the database, usually inside the user's repository: copies of their data
 * (and the audit anchor kept there) must not show up in `git status` or be committed by accident. A `.gitignore`
 * of `*` ignores the folder's files (itself included) without touching the user's own ignore files.
 */
export function keepOutOfVersionControl(backupDir: string): void {
  const ignore = path.join(backupDir, '.gitignore');
  if (fs.existsSync(ignore)) return;
  fs.writeFileSync(
    ignore,
    '# Database backups made by drizzle-sqlite-mcp: copies of your data, not for version control.\n*\n',
  );
}

/** Backups with a readable sidecar whose database file exists, newest first. A missing folder has none. */
export function listBackups(backupDir: string): BackupInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(backupDir);
  } catch {
    return [];
  }
  const backups: BackupInfo[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const id = name.slice(0, -'.json'.length);
    if (!ID_PATTERN.test(id)) continue;
    const info = readSidecar(backupDir, id);
    if (info) backups.push(info);
  }
  return backups.sort((a, b) =>
    a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt),
  );
}

export function getBackup(backupDir: string, backupId: string): BackupInfo {
  const info = ID_PATTERN.test(backupId) ? readSidecar(backupDir, backupId) : undefined;
  if (!info) {
    const known = listBackups(backupDir)
      .slice(0, 10)
      .map((backup) => backup.id);
    throw new AppError('NOT_FOUND', `There is no backup "${backupId}" in ${backupDir}.`, {
      hint: known.length > 0 ? `Known backups (newest first): ${known.join(', ')}.` : 'No backups exist yet.',
      details: { known },
    });
  }
  return info;
}

export interface RestoreOptions<T> {
  /** Recorded on the safety backup of the current content. */
  reason?: string;
  auditHighWater?: number | null;
  now?: () => Date;
  /** A connection to the live file to take the safety backup through (default: one opened for it). */
  live?: DatabaseHandle;
  /**
   * Runs on a private, checksum-verified copy of the backup after the safety backup is taken and before the copy's
   * pages go onto the live file: whatever it writes to the copy lands together with the restore (the audit rows a
   * restore must keep). Its result comes back as `prepared`.
   */
  prepare?: (copy: DatabaseHandle, safetyBackup: BackupInfo) => T | Promise<T>;
}

export interface RestoreResult<T = undefined> {
  restored: BackupInfo;
  /** The backup of the content that was replaced. */
  safetyBackup: BackupInfo;
  prepared: T;
}

/**
 * Restores `backupId` onto `liveDbFile` while other connections may hold it open: the backup is copied to a private
 * file and that copy's checksum verified (so the bytes checked are the bytes restored), the current content is
 * backed up, `prepare` runs on the copy, then the copy's pages are copied over the live file in one transaction.
 */
export async function restoreBackup<T = undefined>(
  liveDbFile: string,
  backupDir: string,
  backupId: string,
  options: RestoreOptions<T> = {},
): Promise<RestoreResult<T>> {
  const restored = getBackup(backupDir, backupId);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-restore-'));
  const copyFile = path.join(dir, 'restore.db');
  let copy: DatabaseHandle | undefined;
  try {
    fs.copyFileSync(restored.path, copyFile);
    const actual = await sha256File(copyFile);
    if (actual !== restored.sha256) {
      throw new AppError(
        'BACKUP_FAILED',
        `Backup ${backupId} is damaged: its checksum does not match the one recorded when it was taken.`,
        {
          hint: 'Choose another backup (restore_backup without an id lists them); nothing was changed.',
          details: { expected: restored.sha256, actual },
        },
      );
    }
    copy = new Database(copyFile);
    const safetyBackup = await backUpLive(liveDbFile, backupDir, backupId, options);
    const prepared = (await options.prepare?.(copy, safetyBackup)) as T;
    try {
      await copy.backup(liveDbFile);
    } catch (error) {
      throw new AppError(
        'BACKUP_FAILED',
        `Restoring backup ${backupId} onto ${liveDbFile} failed: ${(error as Error).message}.`,
        {
          hint: `The page copy is transactional, so the database should be unchanged; its content before the attempt is also saved as backup ${safetyBackup.id}.`,
          cause: error,
          details: { safetyBackupId: safetyBackup.id },
        },
      );
    }
    return { restored, safetyBackup, prepared };
  } catch (error) {
    throw error instanceof AppError ? error : fromSqliteError(error, `restoring backup ${backupId}`);
  } finally {
    copy?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The safety backup of what a restore replaces, through the caller's connection or one opened for it. */
async function backUpLive(
  liveDbFile: string,
  backupDir: string,
  backupId: string,
  options: RestoreOptions<unknown>,
): Promise<BackupInfo> {
  let live = options.live;
  if (!live) {
    try {
      live = new Database(liveDbFile, { fileMustExist: true });
    } catch (error) {
      throw fromSqliteError(error, `opening ${liveDbFile} to back it up before the restore`);
    }
  }
  try {
    return await createBackup(live, backupDir, {
      reason: options.reason ?? `before restoring ${backupId}`,
      auditHighWater: options.auditHighWater ?? null,
      ...(options.now ? { now: options.now } : {}),
    });
  } finally {
    if (live !== options.live) live.close();
  }
}

const JOURNAL_MODES_WITHOUT_WAL = new Set(['delete', 'truncate', 'persist']);

/**
 * The fast path for a rollback-journal database file: a read transaction on `db` holds SHARED, which keeps every
 * writer (in any process) from changing the file and has already rolled back any hot journal, so the file's bytes
 * are one consistent state while the lock is held. The bytes are copied by a `cp` child process, not by this
 * process: closing any descriptor of the file in this process would drop all of this process's POSIX locks on it
 * (SQLite's documented corruption hazard). The copy runs synchronously so no other connection of this process can
 * queue behind the lock while the event loop waits. WAL databases, in-memory databases, an open transaction and
 * platforms without a POSIX `cp` use SQLite's backup API. Returns false when it did not copy.
 */
function copyRollbackFileUnderReadLock(db: DatabaseHandle, target: string): boolean {
  const platform = os.platform();
  if (platform !== 'linux' && platform !== 'darwin') return false;
  if (db.memory || db.inTransaction || !path.isAbsolute(db.name)) return false;
  const mode = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
  if (!JOURNAL_MODES_WITHOUT_WAL.has(mode)) return false;
  db.exec('BEGIN');
  try {
    // BEGIN is deferred: the first read takes the SHARED lock (and recovers a hot journal).
    db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
    const copied = spawnSync('cp', [db.name, target], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (copied.error || copied.status !== 0) {
      fs.rmSync(target, { force: true });
      return false;
    }
    return true;
  } finally {
    db.exec('COMMIT');
  }
}

function readSidecar(backupDir: string, id: string): BackupInfo | undefined {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(backupDir, `${id}.json`), 'utf8')) as Omit<
      BackupInfo,
      'path'
    >;
    const file = path.join(backupDir, `${id}.db`);
    if (raw.id !== id || typeof raw.sha256 !== 'string' || !fs.existsSync(file)) return undefined;
    return { ...raw, auditHighWater: raw.auditHighWater ?? null, path: file };
  } catch {
    return undefined;
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the renames in `dir` durable. Some platforms cannot open a folder for fsync; there it is skipped. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported here (e.g. Windows); the file contents themselves are already flushed.
  } finally {
    await handle?.close();
  }
}

/** The checksum a backup's sidecar records (hex sha256 of the file). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function backupFailed(backupDir: string, error: unknown): AppError {
  const code = (error as { code?: string }).code;
  const reason =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? 'the folder is not writable'
      : code === 'ENOSPC' || code === 'SQLITE_FULL'
        ? 'the disk is full'
        : (error as Error).message;
  return new AppError('BACKUP_FAILED', `Could not write a backup into ${backupDir}: ${reason}.`, {
    hint: 'Nothing was changed. Make that folder writable (or free disk space), or start the server with --backup-dir <a writable folder>.',
    cause: error,
    details: { backupDir, ...(code ? { errno: code } : {}) },
  });
}
