// What both migration folder layouts share (drizzle-kit 0.x's journal and 1.0's folder per migration): how a
// migration file is hashed and split as drizzle-orm reads it, the first snapshot's parent id, and the shape of a
// finding about the folder. Kept apart so each layout's reader and the dispatcher in folder.ts can import it.
import { createHash } from 'node:crypto';

export const STATEMENT_BREAKPOINT = '--> statement-breakpoint';
/** drizzle-kit's `originUUID`: the parent id of a folder's first snapshot. */
export const ORIGIN_SNAPSHOT_ID = '00000000-0000-0000-0000-000000000000';

export function hashMigrationSql(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

export function splitMigrationSql(sql: string): string[] {
  return sql.split(STATEMENT_BREAKPOINT);
}

/** What a finding stops: applying migrations to the database, or generating the next one. */
export type FolderOperation = 'apply' | 'generate';

/** What is wrong with a migrations folder, naming the file, and what to do about it. */
export interface Finding<Code extends string> {
  code: Code;
  severity: 'error' | 'warning';
  /** What is wrong, naming the file or entry. */
  message: string;
  /** What to do about it. */
  hint: string;
  blocks: FolderOperation[];
  /** The migration it is about (a journal tag, or a 1.0 folder name). */
  tag?: string;
  file?: string;
}
