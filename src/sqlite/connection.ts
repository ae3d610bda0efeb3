// Opening SQLite files the same careful way everywhere: a bounded wait for locks (never a hang), foreign keys on,
// a clear error for a path that is missing, a folder that does not exist, or a file that is not a database.
// Read connections cannot write: SQLite enforces it (readonly open + query_only), not our code.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError, fromSqliteError } from '../core/errors.js';

export type SqliteDatabase = Database.Database;

export interface OpenOptions {
  busyTimeoutMs: number;
  /** Create the file when it does not exist (its folder must exist). */
  create?: boolean;
}

function assertFolderExists(file: string, what: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) {
    throw new AppError('CONFIG_ERROR', `The folder of the ${what} does not exist: ${dir}.`, {
      hint: `Create the folder, or point the server at another file (--db / dbCredentials.url).`,
    });
  }
}

/** Fails early with a clear message for a directory or a non-SQLite file, instead of on the first query. */
function validate(db: SqliteDatabase, file: string): void {
  try {
    db.pragma('schema_version');
  } catch (error) {
    db.close();
    const wrapped = fromSqliteError(error, file);
    if (wrapped.code === 'DATABASE_ERROR' || wrapped.code === 'INTERNAL') {
      throw new AppError('CONFIG_ERROR', `${file} is not a SQLite database (${(error as Error).message}).`, {
        hint: 'Point --db (or dbCredentials.url in drizzle.config.ts) at a SQLite database file, or at a path where a new one may be created.',
        cause: error,
      });
    }
    throw wrapped;
  }
}

export function databaseExists(file: string): boolean {
  return fs.existsSync(file);
}

/** The checks that need no open: the folder exists and the path is not itself a folder. */
export function assertDatabasePath(file: string, what = 'database'): void {
  assertFolderExists(file, what);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw new AppError('CONFIG_ERROR', `${file} is a folder, not a ${what} file.`, {
      hint: 'Point --db (or dbCredentials.url) at a file.',
    });
  }
}

export function openWriteConnection(file: string, options: OpenOptions): SqliteDatabase {
  assertDatabasePath(file);
  const existed = fs.existsSync(file);
  if (!existed && !options.create) {
    throw new AppError('CONFIG_ERROR', `The database file does not exist: ${file}.`, {
      hint: 'Check the path, or let the server create it by starting it without --read-only.',
    });
  }
  let db: SqliteDatabase;
  try {
    db = new Database(file, { fileMustExist: !options.create, timeout: options.busyTimeoutMs });
  } catch (error) {
    throw fromSqliteError(error, `opening ${file}`);
  }
  validate(db, file);
  db.pragma('foreign_keys = ON');
  // A database we create gets WAL (readers never wait for the writer). An existing file keeps the journal mode
  // its owner chose: switching it would rewrite their file's header behind their back.
  if (!existed) db.pragma('journal_mode = WAL');
  // In WAL, NORMAL is durable across process crashes (kill -9); only an OS crash may lose the last commits.
  if ((db.pragma('journal_mode', { simple: true }) as string) === 'wal') db.pragma('synchronous = NORMAL');
  return db;
}

export function openReadConnection(
  file: string,
  options: Pick<OpenOptions, 'busyTimeoutMs'>,
): SqliteDatabase {
  if (!fs.existsSync(file)) {
    throw new AppError('CONFIG_ERROR', `The database file does not exist: ${file}.`, {
      hint: 'Check --db / dbCredentials.url, or start the server once without --read-only to create it.',
    });
  }
  let db: SqliteDatabase;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs });
  } catch (error) {
    throw fromSqliteError(error, `opening ${file}`);
  }
  validate(db, file);
  db.pragma('query_only = ON');
  return db;
}

/** Whether this process may write the file (and create the journal beside it). */
export function isWritable(file: string): boolean {
  try {
    fs.accessSync(fs.existsSync(file) ? file : path.dirname(file), fs.constants.W_OK);
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Checkpoints the WAL (so the file alone is complete) and closes; safe to call twice. */
export function closeQuietly(db: SqliteDatabase | undefined): void {
  if (!db || !db.open) return;
  try {
    if (!db.readonly && (db.pragma('journal_mode', { simple: true }) as string) === 'wal')
      db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // Another connection may hold a read lock; SQLite checkpoints on the last close anyway.
  }
  db.close();
}
