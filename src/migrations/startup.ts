// What the server does with migrations when it starts: make sure the database file exists, then apply the
// committed pending migrations through the same guarded path as the apply tool. Invariant: start-up never applies
// anything the apply tool would refuse (modified, skipped, missing migrations or a broken folder).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as DatabaseHandle } from 'better-sqlite3';
import { AppError } from '../errors.js';
import { applyMigrations, type ApplyOptions, type ApplyResult } from './apply.js';
import { readMigrationFolder } from './folder.js';

/** Creates the database file (and its folder) when missing. Returns whether it was created. */
export function ensureDatabaseFile(dbFile: string): { created: boolean } {
  if (fs.existsSync(dbFile)) return { created: false };
  try {
    fs.mkdirSync(path.dirname(dbFile), { recursive: true });
    new Database(dbFile).close();
  } catch (error) {
    throw new AppError(
      'CONFIG_ERROR',
      `Cannot create the database file ${dbFile}: ${(error as Error).message}.`,
      {
        hint: 'Check the --db path (or dbCredentials.url in drizzle.config.ts) and that its folder is writable.',
        cause: error,
      },
    );
  }
  return { created: true };
}

export interface StartupMigrationOptions extends Omit<ApplyOptions, 'expectedHashes'> {
  outDir: string;
}

/** Applies every pending migration of `outDir` to `db`; `beforeCommit` is where the caller writes its audit row. */
export async function migrateOnStartup(
  db: DatabaseHandle,
  options: StartupMigrationOptions,
): Promise<ApplyResult> {
  const { outDir, ...applyOptions } = options;
  return applyMigrations(db, readMigrationFolder(outDir), applyOptions);
}
