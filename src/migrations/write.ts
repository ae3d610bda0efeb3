// Writes a new migration into a drizzle-kit folder in the CLI's own format (`NNNN_name.sql`,
// `meta/NNNN_snapshot.json`, a journal entry with `when` strictly increasing). Invariants:
// - writers are serialised, in this process (a promise chain per folder) and across processes (a lock file at the
//   folder's top, taken over when its holder stopped refreshing it), so two generate calls cannot corrupt the
//   journal; every writer of either layout takes the same file, whatever the folder holds when it asks;
// - the new snapshot must descend from the folder's latest one (checked under the lock), so a diff computed
//   against a stale parent is refused instead of creating a snapshot collision;
// - files are written to temporary names and renamed, the journal last: a crash leaves the old journal intact.
// Temporary files in meta/ start with "_" because the CLI reads every other file there as a snapshot.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { readTextIfExists, syncFolder, writeFileAtomic, writeFileDurably } from '../core/files.js';
import {
  SNAPSHOT_VERSION,
  snapshotText,
  snapshotVersion,
  type SerialisedSnapshot,
} from '../project/snapshot-text.js';
import type { SqliteSnapshot } from '../project/types.js';
import { isSnapshotV7 } from '../project/snapshot-v7.js';
import {
  assertFolderReady,
  hashMigrationSql,
  isFolderLayout,
  type Journal,
  JOURNAL_VERSION,
  type MigrationFolder,
  ORIGIN_SNAPSHOT_ID,
  readMigrationFolder,
  snapshotFileName,
  STATEMENT_BREAKPOINT,
} from './folder.js';

export const CUSTOM_MIGRATION_SQL = '-- Custom SQL migration file, put your code below! --';
/**
 * The lock file: a dotfile at the folder's top, which no Drizzle tool of either line reads (0.x reads the journal and
 * meta/, 1.0 the subfolders holding a migration.sql).
 */
export const LOCK_FILE_NAME = '.drizzle-sqlite-mcp.lock';

/**
 * The lock file every writer of `outDir` takes. One place whatever the layout: a lock that depended on it (meta/ for
 * the journal, the top for 1.0 folders) let an edit_schema on a folder with no migrations yet (meta/) and a
 * drizzle-kit 1.0 generate (top) run at once from two processes, and left a stray meta/ in 1.0 projects.
 */
export function folderLockFile(outDir: string): string {
  return path.join(outDir, LOCK_FILE_NAME);
}

export interface NewMigration {
  /** File-name part after `NNNN_`; sanitised. A random word pair when absent, as drizzle-kit does. */
  name?: string;
  statements: readonly string[];
  /**
   * drizzle-kit snapshot of the schema after this migration; its `prevId` must be the folder's latest snapshot id.
   * Either the object, or already serialised (serialiseSnapshot) where it was made.
   */
  snapshot: SqliteSnapshot | SerialisedSnapshot;
  /** Join statements with `--> statement-breakpoint` (config `breakpoints`, default true). */
  breakpoints?: boolean;
}

/** A migration of hand-written SQL (drizzle-kit generate --custom): the schema, and so the snapshot, is unchanged. */
export interface NewCustomMigration {
  custom: true;
  name?: string;
  /** The SQL, one statement per entry, written as generate writes statements; absent: drizzle-kit's empty file. */
  statements?: readonly string[];
  breakpoints?: boolean;
}

export type MigrationToWrite = NewMigration | NewCustomMigration;

export interface PreviousState {
  folder: MigrationFolder;
  /**
   * The snapshot to diff from: the latest one, or for an empty folder drizzle-kit's empty snapshot (id
   * ORIGIN_SNAPSHOT_ID), so `snapshot.id` is always what the new snapshot's `prevId` must be.
   */
  snapshot: SqliteSnapshot;
  /** False when the folder has no snapshot yet. */
  hasSnapshot: boolean;
  /** The id the new snapshot's `prevId` must have (= `snapshot.id`). */
  prevId: string;
  nextIdx: number;
}

export interface WrittenMigration {
  idx: number;
  tag: string;
  when: number;
  breakpoints: boolean;
  sqlFile: string;
  snapshotFile: string;
  sql: string;
  hash: string;
  snapshotId: string;
}

export interface LockOptions {
  /** The lock file (default: `folderLockFile`). */
  file?: string;
  /** How long to wait for another writer before giving up (default 30 s). */
  timeoutMs?: number;
  /** A lock whose file was not refreshed for this long is taken over (default 15 s; the holder refreshes it). */
  staleAfterMs?: number;
}

export interface WriteOptions {
  lock?: LockOptions;
  /** Clock for `when`; tests pin it. */
  now?: () => number;
}

/** Writes `input` as the next migration. */
export function writeMigration(
  outDir: string,
  input: MigrationToWrite,
  options: WriteOptions = {},
): Promise<WrittenMigration> {
  return writeMigrationFrom(outDir, () => input, options) as Promise<WrittenMigration>;
}

/**
 * Holds the folder lock while `produce` computes the migration from the latest state (e.g. runs the drizzle-kit
 * diff), then writes it. `produce` returning null (no changes) writes nothing.
 */
export async function writeMigrationFrom(
  outDir: string,
  produce: (previous: PreviousState) => MigrationToWrite | null | Promise<MigrationToWrite | null>,
  options: WriteOptions = {},
): Promise<WrittenMigration | null> {
  const { written } = await decideAndWriteMigration(
    outDir,
    async (previous) => ({ migration: await produce(previous), result: undefined }),
    options,
  );
  return written;
}

/** What `decide` chose: the migration to write (null: none), and what the caller wants to know about why. */
export interface MigrationDecision<T> {
  migration: MigrationToWrite | null;
  result: T;
}

/**
 * writeMigrationFrom for a caller that needs more back than the written files: `decide` returns its own result
 * beside the migration (e.g. why nothing was written, or lint findings), and it comes back unchanged.
 */
export async function decideAndWriteMigration<T>(
  outDir: string,
  decide: (previous: PreviousState) => Promise<MigrationDecision<T>>,
  options: WriteOptions = {},
): Promise<{ written: WrittenMigration | null; result: T }> {
  return withFolderLock(outDir, options.lock, async () => {
    const folder = readMigrationFolder(outDir);
    assertFolderReady(folder, 'generate');
    if (isFolderLayout(folder) || (folder.latestSnapshot && isSnapshotV7(folder.latestSnapshot))) {
      throw new AppError(
        'MIGRATION_CONFLICT',
        `${outDir} is in drizzle-kit 1.0's layout (a folder per migration); this writer writes the 0.x journal layout.`,
        {
          hint: "Generate with the project's drizzle-kit 1.0 (generate_migration does when the project has it).",
        },
      );
    }
    const last = folder.journal?.entries.at(-1);
    const snapshot = (folder.latestSnapshot as SqliteSnapshot | undefined) ?? emptySnapshot();
    const previous: PreviousState = {
      folder,
      snapshot,
      hasSnapshot: folder.latestSnapshot !== undefined,
      prevId: snapshot.id,
      nextIdx: last ? last.idx + 1 : 0,
    };
    const { migration, result } = await decide(previous);
    const written =
      migration === null ? null : writeFiles(outDir, folder, previous, migration, options.now ?? Date.now);
    return { written, result };
  });
}

function writeFiles(
  outDir: string,
  folder: MigrationFolder,
  previous: PreviousState,
  input: MigrationToWrite,
  now: () => number,
): WrittenMigration {
  const breakpoints = input.breakpoints ?? true;
  let snapshot: SqliteSnapshot | SerialisedSnapshot;
  let sql: string;
  if ('custom' in input) {
    // As `drizzle-kit generate --custom`: the schema is unchanged, so the snapshot is the previous one with a new id.
    const { id: _id, prevId: _prevId, ...rest } = previous.snapshot;
    snapshot = { ...rest, id: randomUUID(), prevId: previous.prevId } as SqliteSnapshot;
    sql = input.statements?.length ? joinStatements(input.statements, breakpoints) : CUSTOM_MIGRATION_SQL;
  } else {
    snapshot = input.snapshot;
    if (snapshot.prevId !== previous.prevId) {
      throw new AppError(
        'MIGRATION_CONFLICT',
        `The new snapshot was computed against snapshot ${snapshot.prevId}, but the folder's latest snapshot is ${previous.prevId} (another migration was written meanwhile, or the diff used the wrong parent).`,
        {
          hint: 'Generate again: the diff must start from the latest snapshot in the folder.',
          details: { expectedPrevId: previous.prevId, actualPrevId: snapshot.prevId },
        },
      );
    }
    if (!snapshot.id || snapshot.id === previous.prevId) {
      throw new AppError('INVALID_ARGUMENT', 'The new snapshot needs its own id (a fresh UUID).', {
        hint: 'Pass the snapshot drizzle-kit generated for the new schema.',
      });
    }
    if (input.statements.length === 0) {
      throw new AppError(
        'INVALID_ARGUMENT',
        'A migration needs at least one statement (use the custom option for an empty one).',
        {
          hint: 'Nothing changed in the schema: there is nothing to generate.',
        },
      );
    }
    sql = joinStatements(input.statements, breakpoints);
  }

  const idx = previous.nextIdx;
  const tag = `${String(idx).padStart(4, '0')}_${sanitizeMigrationName(input.name) || randomMigrationName()}`;
  const metaDir = path.join(outDir, 'meta');
  const sqlFile = path.join(outDir, `${tag}.sql`);
  const snapshotFile = path.join(metaDir, snapshotFileName(tag));
  for (const file of [sqlFile, snapshotFile]) {
    if (fs.existsSync(file)) {
      throw new AppError(
        'MIGRATION_CONFLICT',
        `${path.relative(outDir, file)} already exists but is not in the journal; refusing to overwrite it.`,
        {
          hint: 'Move the file away (or give the migration another name), then generate again.',
        },
      );
    }
  }
  const lastWhen = folder.journal?.entries.at(-1)?.when ?? 0;
  const when = Math.max(Math.trunc(now()), lastWhen + 1);
  const journal: Journal = folder.journal
    ? { ...folder.journal, entries: [...folder.journal.entries] }
    : { version: JOURNAL_VERSION, dialect: 'sqlite', entries: [] };
  journal.entries.push({
    idx,
    version: snapshotVersion(snapshot),
    when,
    tag,
    breakpoints,
  });

  try {
    fs.mkdirSync(metaDir, { recursive: true });
    const token = randomBytes(6).toString('hex');
    const tmpSql = path.join(outDir, `.${tag}.sql.tmp-${token}`);
    const tmpSnapshot = path.join(metaDir, `_tmp-${token}-${snapshotFileName(tag)}`);
    const tmpJournal = path.join(metaDir, `_journal.json.tmp-${token}`);
    writeFileDurably(tmpSql, sql);
    writeFileDurably(tmpSnapshot, snapshotText(snapshot));
    writeFileDurably(tmpJournal, JSON.stringify(journal, null, 2));
    fs.renameSync(tmpSql, sqlFile);
    fs.renameSync(tmpSnapshot, snapshotFile);
    fs.renameSync(tmpJournal, path.join(metaDir, '_journal.json'));
  } catch (error) {
    throw new AppError(
      'CONFIG_ERROR',
      `Could not write the migration into ${outDir}: ${(error as Error).message}.`,
      {
        hint: 'Check that the migrations folder is writable and the disk has space.',
        cause: error,
      },
    );
  }
  return {
    idx,
    tag,
    when,
    breakpoints,
    sqlFile,
    snapshotFile,
    sql,
    hash: hashMigrationSql(sql),
    snapshotId: snapshot.id,
  };
}

export interface RemovedMigrations {
  tags: string[];
  /** The files removed (absolute): each migration's SQL and snapshot. */
  files: string[];
  /** Puts the files and the journal back as they were, for a caller whose next step failed. */
  undo(): void;
}

/**
 * Removes the folder's last migrations (`tags` must be the journal's last entries, in order), as if they had never
 * been generated. Which of them the database has applied is the caller's to check: this only edits the folder. The
 * journal is rewritten first, so a crash leaves files the journal does not list (reported by migration_status)
 * rather than a journal naming files that are gone. Call it holding `withFolderLock(outDir)`.
 */
export function removeLastMigrations(outDir: string, tags: readonly string[]): RemovedMigrations {
  const journalFile = path.join(outDir, 'meta', '_journal.json');
  const journalText = fs.readFileSync(journalFile, 'utf8');
  const journal = JSON.parse(journalText) as Journal;
  const tail = journal.entries.slice(journal.entries.length - tags.length).map((entry) => entry.tag);
  if (tags.length === 0 || tail.join('\n') !== tags.join('\n')) {
    throw new AppError(
      'MIGRATION_CONFLICT',
      `Only the last migrations of the folder can be removed; the journal ends with ${tail.join(', ') || 'nothing'}, not ${tags.join(', ')}.`,
      { hint: 'Call migration_status to see the folder as it is now.' },
    );
  }
  const saved = tags.flatMap((tag) =>
    [path.join(outDir, `${tag}.sql`), path.join(outDir, 'meta', snapshotFileName(tag))].flatMap((file) => {
      const text = readTextIfExists(file);
      return text === undefined ? [] : [{ file, text }];
    }),
  );
  const kept: Journal = {
    ...journal,
    entries: journal.entries.slice(0, journal.entries.length - tags.length),
  };
  writeFileAtomic(journalFile, JSON.stringify(kept, null, 2));
  for (const { file } of saved) fs.rmSync(file, { force: true });
  syncFolder(outDir);
  syncFolder(path.dirname(journalFile));
  return {
    tags: [...tags],
    files: saved.map(({ file }) => file),
    undo() {
      for (const { file, text } of saved) writeFileAtomic(file, text);
      writeFileAtomic(journalFile, journalText);
    },
  };
}

/** Statements as drizzle-kit joins them in a migration file. */
function joinStatements(statements: readonly string[], breakpoints: boolean): string {
  return statements.join(breakpoints ? `${STATEMENT_BREAKPOINT}\n` : '\n');
}

/** drizzle-kit's empty SQLite snapshot (its `drySQLite`): the parent of a folder's first snapshot. */
export function emptySnapshot(): SqliteSnapshot {
  return {
    version: SNAPSHOT_VERSION,
    dialect: 'sqlite',
    id: ORIGIN_SNAPSHOT_ID,
    prevId: '',
    tables: {},
    views: {},
    enums: {},
    _meta: { schemas: {}, tables: {}, columns: {} },
    internal: { indexes: {} },
  };
}

/** Letters, digits and underscores only (the tag becomes a file name and a JS identifier in bundled migrations). */
export function sanitizeMigrationName(name: string | undefined): string {
  return (name ?? '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 60)
    .toLowerCase();
}

const ADJECTIVES = [
  'amber',
  'brave',
  'calm',
  'clever',
  'eager',
  'gentle',
  'happy',
  'lively',
  'lucky',
  'mighty',
  'quiet',
  'rapid',
  'silent',
  'steady',
  'swift',
  'tidy',
];
const NOUNS = [
  'falcon',
  'harbor',
  'meadow',
  'otter',
  'pioneer',
  'river',
  'sparrow',
  'summit',
  'tiger',
  'voyager',
  'willow',
  'zephyr',
  'beacon',
  'comet',
  'lantern',
  'maple',
];

function randomMigrationName(): string {
  const pick = (words: readonly string[]) => words[randomBytes(1)[0]! % words.length] as string;
  return `${pick(ADJECTIVES)}_${pick(NOUNS)}`;
}

// In-process serialisation: one promise chain per folder. Module state on purpose: the folder is shared by every
// caller in this process, whatever object they hold.
const folderQueues = new Map<string, Promise<unknown>>();

/** Runs `fn` holding both the in-process queue and the cross-process lock file of `outDir`. */
export async function withFolderLock<T>(
  outDir: string,
  lock: LockOptions | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const key = path.resolve(outDir);
  const before = folderQueues.get(key) ?? Promise.resolve();
  const run = before.catch(() => undefined).then(() => withLockFile(key, lock ?? {}, fn));
  const settled = run.catch(() => undefined);
  folderQueues.set(key, settled);
  try {
    return await run;
  } finally {
    if (folderQueues.get(key) === settled) folderQueues.delete(key);
  }
}

async function withLockFile<T>(outDir: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleAfterMs = options.staleAfterMs ?? 15_000;
  const lockFile = options.file ?? folderLockFile(outDir);
  const lockDir = path.dirname(lockFile);
  try {
    fs.mkdirSync(lockDir, { recursive: true });
  } catch (error) {
    throw new AppError(
      'CONFIG_ERROR',
      `Cannot create the migrations folder ${lockDir}: ${(error as Error).message}.`,
      {
        hint: 'Check the project config "out" and that the folder is writable.',
        cause: error,
      },
    );
  }
  const token = randomUUID();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, JSON.stringify({ token, createdAt: new Date().toISOString() }), {
        flag: 'wx',
      });
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') {
        throw new AppError(
          'CONFIG_ERROR',
          `Cannot create the lock file ${lockFile}: ${(error as Error).message}.`,
          {
            hint: 'Check that the migrations folder is writable.',
            cause: error,
          },
        );
      }
    }
    if (isStale(lockFile, staleAfterMs)) {
      // The holder died without releasing (its refresh stopped): take the lock over.
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new AppError(
        'MIGRATION_CONFLICT',
        `Another process is writing a migration into ${outDir} (lock file ${path.relative(outDir, lockFile)}).`,
        {
          hint: `Wait for it to finish and try again. If no other generate is running, delete ${lockFile}.`,
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 50));
  }
  const refresh = setInterval(
    () => {
      const at = new Date();
      try {
        fs.utimesSync(lockFile, at, at);
      } catch {
        // The lock was taken over or removed; the journal check under it still protects the folder.
      }
    },
    Math.max(50, Math.floor(staleAfterMs / 4)),
  );
  refresh.unref();
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    try {
      const held = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { token?: string };
      if (held.token === token) fs.rmSync(lockFile, { force: true });
    } catch {
      // Already gone.
    }
  }
}

function isStale(lockFile: string, staleAfterMs: number): boolean {
  try {
    return Date.now() - fs.statSync(lockFile).mtimeMs > staleAfterMs;
  } catch {
    return false;
  }
}
