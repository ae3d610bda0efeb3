// Reads a drizzle-kit migrations folder in either layout — 0.x's journal (`NNNN_tag.sql`, `meta/_journal.json`,
// `meta/NNNN_snapshot.json`) or 1.0's folder per migration (read by layout-v1.ts) — exactly as drizzle-orm's migrator
// and the drizzle-kit CLI of that line see it, as one model, and says precisely what is wrong with it.
// Invariant: a migration's `hash` and `chunks` are byte-for-byte what drizzle-orm computes, so our ledger rows and
// the user's own `migrate()` always agree; reading never changes the folder.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { SNAPSHOT_VERSION } from '../project/snapshot-text.js';
import { isSnapshotV7, snapshotParents } from '../project/snapshot-v7.js';
import type { AnySqliteSnapshot, SqliteSnapshot } from '../project/types.js';
import {
  detectMigrationLayout,
  readV1Folder,
  type MigrationLayout,
  type V1FindingCode,
} from './layout-v1.js';
import {
  type Finding,
  type FolderOperation,
  hashMigrationSql,
  ORIGIN_SNAPSHOT_ID,
  splitMigrationSql,
} from './migration-file.js';

export {
  type FolderOperation,
  hashMigrationSql,
  ORIGIN_SNAPSHOT_ID,
  splitMigrationSql,
  STATEMENT_BREAKPOINT,
} from './migration-file.js';
export type { MigrationLayout } from './layout-v1.js';
export const JOURNAL_VERSION = '7';

export interface JournalEntry {
  idx: number;
  version: string;
  when: number;
  tag: string;
  breakpoints: boolean;
}

export interface Journal {
  version: string;
  dialect: string;
  entries: JournalEntry[];
  [key: string]: unknown;
}

/** One migration whose SQL file could be read: a journal entry (0.x), or a migration folder (1.0). */
export interface FolderMigration {
  /** Position in the order drizzle-orm applies them (journal order; 1.0: folder names by `localeCompare`). */
  idx: number;
  /** Its name: the journal tag (`0002_users_role_default`), or the 1.0 folder name — the 1.0 ledger's `name`. */
  tag: string;
  /**
   * What drizzle-orm stores as the ledger's `created_at`: the journal's `when` (ms), or for a 1.0 folder the UTC
   * second of its name (in ms).
   */
  when: number;
  breakpoints: boolean;
  /** Absolute path of the `.sql` file (`migration.sql` in a 1.0 folder). */
  file: string;
  /** The whole file as drizzle-orm reads it (`readFileSync().toString()`). */
  sql: string;
  /** sha256 hex of `sql`: the ledger's `hash`. */
  hash: string;
  /** `sql` split on `--> statement-breakpoint`, untrimmed, exactly as drizzle-orm runs them. */
  chunks: string[];
  /** 1.0 layout: the id and parents of the folder's snapshot.json, when it is readable. */
  snapshotId?: string;
  parents?: string[];
}

export type FolderFindingCode =
  | 'JOURNAL_MISSING'
  | 'JOURNAL_UNREADABLE'
  | 'JOURNAL_INVALID'
  | 'DIALECT_MISMATCH'
  | 'DUPLICATE_TAG'
  | 'MIGRATION_FILE_MISSING'
  | 'MIGRATION_FILE_UNLISTED'
  | 'IDX_GAP'
  | 'WHEN_NOT_INCREASING'
  | 'SNAPSHOT_MISSING'
  | 'SNAPSHOT_UNREADABLE'
  | 'SNAPSHOT_CHAIN_BROKEN'
  | 'SNAPSHOT_COLLISION'
  | 'SNAPSHOT_UNLISTED'
  | V1FindingCode;

export type FolderFinding = Finding<FolderFindingCode>;

export interface SnapshotLink {
  file: string;
  id: string;
  /** The first parent (0.x has exactly one; a 1.0 merge snapshot has several, see `parents`). */
  prevId: string;
  parents: string[];
}

export interface MigrationFolder {
  outDir: string;
  /** Which layout the folder is in ('absent'/'empty': none yet; 'mixed': a journal beside 1.0 folders). */
  layout: MigrationLayout;
  /** False when the folder (or its journal, or any 1.0 migration) does not exist: simply "no migrations yet". */
  exists: boolean;
  /** The 0.x journal (undefined in the 1.0 layout). */
  journal: Journal | undefined;
  /** Migrations whose SQL file exists, in the order drizzle-orm applies them. */
  migrations: FolderMigration[];
  /** Every readable snapshot, in the CLI's order (sorted file names / folder paths). */
  snapshots: SnapshotLink[];
  /** The "previous" state for the next generate: the last journal entry's snapshot, or 1.0's last snapshot. */
  latestSnapshot: AnySqliteSnapshot | undefined;
  /** The migration `latestSnapshot` belongs to. */
  latestTag: string | undefined;
  /** Snapshot ids no other snapshot names as a parent (several: branches, 1.0 layout only). */
  leaves: string[];
  findings: FolderFinding[];
}

/** True for the folder-per-migration layout of drizzle-kit 1.0 (also when a stray journal sits beside it). */
export function isFolderLayout(folder: Pick<MigrationFolder, 'layout'>): boolean {
  return folder.layout === 'folders' || folder.layout === 'mixed';
}

/** `0003_add_posts` → `0003` (drizzle-kit names the snapshot after the tag's prefix). */
export function snapshotFileName(tag: string): string {
  const underscore = tag.indexOf('_');
  return `${underscore === -1 ? tag : tag.slice(0, underscore)}_snapshot.json`;
}

/** Security: a tag becomes a path; a hand-edited journal must not make us read (or write) outside the folder. */
export function isSafeTag(tag: string): boolean {
  return tag.length > 0 && tag.length <= 200 && !/[/\\\0]/.test(tag) && tag !== '.' && tag !== '..';
}

export function findingsBlocking(
  findings: readonly FolderFinding[],
  operation: FolderOperation,
): FolderFinding[] {
  return findings.filter((finding) => finding.blocks.includes(operation));
}

const REFUSAL: Record<FolderOperation, { message: string; hint: string }> = {
  apply: {
    message: 'The migrations folder has problems that must be fixed before anything is applied',
    hint: 'Fix the listed files (each finding says how), then run migration_status again.',
  },
  generate: {
    message: 'The migrations folder must be fixed before a new migration can be written',
    hint: 'Fix the listed files (each finding says how), then generate again.',
  },
};

/** Refuses an operation the folder's findings block, listing each finding with what to do. */
export function assertFolderReady(folder: MigrationFolder, operation: FolderOperation): void {
  const blocking = findingsBlocking(folder.findings, operation);
  if (blocking.length === 0) return;
  const { message, hint } = REFUSAL[operation];
  throw new AppError('MIGRATION_CONFLICT', `${message}:\n${describeFindings(blocking)}`, {
    hint,
    details: { findings: blocking },
  });
}

export function describeFindings(findings: readonly FolderFinding[]): string {
  return findings.map((finding) => `${finding.code}: ${finding.message} ${finding.hint}`).join('\n');
}

const BOTH: FolderOperation[] = ['apply', 'generate'];

export function readMigrationFolder(outDir: string): MigrationFolder {
  const layout = detectMigrationLayout(outDir);
  return layout === 'folders' || layout === 'mixed'
    ? readFolderLayout(outDir)
    : readJournalLayout(outDir, layout);
}

/** The 1.0 layout in the common model (layout-v1.ts reads it as drizzle-orm / drizzle-kit 1.0 do). */
function readFolderLayout(outDir: string): MigrationFolder {
  const v1 = readV1Folder(outDir);
  const latest = v1.snapshots.at(-1);
  return {
    outDir,
    layout: v1.layout,
    exists: true,
    journal: undefined,
    migrations: v1.migrations.map((migration) => ({
      idx: migration.idx,
      tag: migration.name,
      when: migration.createdAt,
      breakpoints: true,
      file: migration.file,
      sql: migration.sql,
      hash: migration.hash,
      chunks: migration.chunks,
      ...(migration.snapshotId !== undefined ? { snapshotId: migration.snapshotId } : {}),
      ...(migration.parents ? { parents: migration.parents } : {}),
    })),
    snapshots: v1.snapshots.map((link) => ({
      file: link.file,
      id: link.id,
      prevId: link.parents[0] ?? '',
      parents: link.parents,
    })),
    latestSnapshot: v1.latestSnapshot,
    latestTag: latest?.folder,
    leaves: v1.leaves,
    findings: v1.findings,
  };
}

function readJournalLayout(outDir: string, layout: MigrationLayout): MigrationFolder {
  const folder: MigrationFolder = {
    outDir,
    layout,
    exists: false,
    journal: undefined,
    migrations: [],
    snapshots: [],
    latestSnapshot: undefined,
    latestTag: undefined,
    leaves: [],
    findings: [],
  };
  const metaDir = path.join(outDir, 'meta');
  const journalPath = path.join(metaDir, '_journal.json');
  const sqlFiles = listFiles(outDir).filter((name) => name.endsWith('.sql'));
  const metaFiles = listFiles(metaDir);
  if (!fs.existsSync(journalPath)) {
    if (sqlFiles.length > 0 || metaFiles.some((name) => name.endsWith('_snapshot.json'))) {
      folder.findings.push({
        code: 'JOURNAL_MISSING',
        severity: 'error',
        message: `${rel(outDir, journalPath)} is missing, but the folder holds migration files (${sqlFiles.slice(0, 5).join(', ') || 'snapshots'}).`,
        hint: 'Restore meta/_journal.json from version control; without it neither drizzle-orm nor this server knows the order of the migrations.',
        blocks: BOTH,
      });
    }
    return folder;
  }
  folder.exists = true;

  const journal = readJournal(journalPath, outDir, folder.findings);
  if (!journal) return folder;
  folder.journal = journal;

  const listed = new Set<string>();
  let previous: JournalEntry | undefined;
  for (const entry of journal.entries) {
    const sqlName = `${entry.tag}.sql`;
    if (listed.has(sqlName)) {
      folder.findings.push({
        code: 'DUPLICATE_TAG',
        severity: 'error',
        message: `The journal lists "${entry.tag}" more than once.`,
        hint: 'Remove the duplicate entry from meta/_journal.json (keep the one whose idx and when follow the previous entry).',
        blocks: BOTH,
        tag: entry.tag,
      });
    }
    listed.add(sqlName);
    if (previous && entry.idx !== previous.idx + 1) {
      folder.findings.push({
        code: 'IDX_GAP',
        severity: 'warning',
        message: `Journal entry "${entry.tag}" has idx ${entry.idx} but follows idx ${previous.idx}.`,
        hint: 'Usually a migration was deleted or two branches were merged; renumber meta/_journal.json (and the file prefixes) if this was not intended. drizzle-kit numbers the next migration after the last idx.',
        blocks: [],
        tag: entry.tag,
      });
    }
    if (previous && !(entry.when > previous.when)) {
      folder.findings.push({
        code: 'WHEN_NOT_INCREASING',
        severity: 'error',
        message: `Journal entry "${entry.tag}" has when=${entry.when}, not later than "${previous.tag}" (when=${previous.when}).`,
        hint: `drizzle-orm applies only entries whose when is later than the last applied one, so this entry would be skipped forever. Set its "when" in meta/_journal.json to a value greater than ${previous.when} (e.g. ${previous.when + 1}).`,
        blocks: BOTH,
        tag: entry.tag,
      });
    }
    previous = entry;

    const file = path.join(outDir, sqlName);
    let sql: string;
    try {
      sql = fs.readFileSync(file).toString();
    } catch (error) {
      folder.findings.push({
        code: 'MIGRATION_FILE_MISSING',
        severity: 'error',
        message: `The journal lists "${entry.tag}" but ${sqlName} ${isNotFound(error) ? 'does not exist' : `cannot be read (${(error as Error).message})`}.`,
        hint: `Restore ${sqlName} from version control, or remove its entry (and meta/${snapshotFileName(entry.tag)}) from the journal if the migration was never applied anywhere.`,
        blocks: ['apply'],
        tag: entry.tag,
        file,
      });
      continue;
    }
    folder.migrations.push({
      idx: entry.idx,
      tag: entry.tag,
      when: entry.when,
      breakpoints: entry.breakpoints,
      file,
      sql,
      hash: hashMigrationSql(sql),
      chunks: splitMigrationSql(sql),
    });
  }
  for (const name of sqlFiles) {
    if (listed.has(name)) continue;
    folder.findings.push({
      code: 'MIGRATION_FILE_UNLISTED',
      severity: 'warning',
      message: `${name} is not in meta/_journal.json, so it will never be applied.`,
      hint: 'If it is a migration, regenerate it with generate_migration (or drizzle-kit generate) so it gets a journal entry and snapshot; otherwise move it out of the migrations folder.',
      blocks: [],
      file: path.join(outDir, name),
    });
  }

  readSnapshots(folder, metaDir, metaFiles, journal);
  return folder;
}

function readJournal(journalPath: string, outDir: string, findings: FolderFinding[]): Journal | undefined {
  const where = rel(outDir, journalPath);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(journalPath, 'utf8'));
  } catch (error) {
    findings.push({
      code: 'JOURNAL_UNREADABLE',
      severity: 'error',
      message: `${where} is not valid JSON (${(error as Error).message}).`,
      hint: 'Fix the file by hand (often a merge conflict marker) or restore it from version control; nothing can be applied or generated until it parses.',
      blocks: BOTH,
      file: journalPath,
    });
    return undefined;
  }
  const problems: string[] = [];
  if (!isRecord(raw) || !Array.isArray(raw.entries)) {
    findings.push({
      code: 'JOURNAL_INVALID',
      severity: 'error',
      message: `${where} has no "entries" array.`,
      hint: 'A drizzle-kit journal looks like {"version":"7","dialect":"sqlite","entries":[{"idx":0,"version":"6","when":<ms>,"tag":"0000_name","breakpoints":true}]}; restore it from version control.',
      blocks: BOTH,
      file: journalPath,
    });
    return undefined;
  }
  if (raw.dialect !== undefined && raw.dialect !== 'sqlite' && raw.dialect !== 'turso') {
    findings.push({
      code: 'DIALECT_MISMATCH',
      severity: 'error',
      message: `${where} is for dialect "${String(raw.dialect)}", not sqlite.`,
      hint: 'Point the project config ("out") at the SQLite migrations folder.',
      blocks: BOTH,
      file: journalPath,
    });
    return undefined;
  }
  const entries: JournalEntry[] = [];
  raw.entries.forEach((candidate: unknown, position: number) => {
    if (
      !isRecord(candidate) ||
      typeof candidate.tag !== 'string' ||
      !isSafeTag(candidate.tag) ||
      typeof candidate.when !== 'number' ||
      !Number.isFinite(candidate.when) ||
      typeof candidate.idx !== 'number' ||
      !Number.isInteger(candidate.idx)
    ) {
      problems.push(
        `entry #${position} (${JSON.stringify(candidate)?.slice(0, 200)}) needs an integer "idx", a numeric "when" and a file-name "tag"`,
      );
      return;
    }
    entries.push({
      idx: candidate.idx,
      version: typeof candidate.version === 'string' ? candidate.version : SNAPSHOT_VERSION,
      when: candidate.when,
      tag: candidate.tag,
      breakpoints: candidate.breakpoints !== false,
    });
  });
  if (problems.length > 0) {
    findings.push({
      code: 'JOURNAL_INVALID',
      severity: 'error',
      message: `${where}: ${problems.join('; ')}.`,
      hint: 'Fix these entries in meta/_journal.json by hand or restore the file from version control.',
      blocks: BOTH,
      file: journalPath,
    });
    return undefined;
  }
  return {
    ...raw,
    version: String(raw.version ?? JOURNAL_VERSION),
    dialect: String(raw.dialect ?? 'sqlite'),
    entries,
  };
}

function readSnapshots(
  folder: MigrationFolder,
  metaDir: string,
  metaFiles: string[],
  journal: Journal,
): void {
  // The CLI treats every file in meta/ not starting with "_" as a snapshot and sorts them by name.
  const snapshotNames = metaFiles.filter((name) => !name.startsWith('_')).sort();
  const latestName = journal.entries.length > 0 ? snapshotFileName(journal.entries.at(-1)!.tag) : undefined;
  const byName = new Map<string, SnapshotLink>();
  let latest: SqliteSnapshot | undefined;
  for (const name of snapshotNames) {
    const file = path.join(metaDir, name);
    const read = readSnapshot(file, name === latestName);
    if ('error' in read) {
      folder.findings.push({
        code: 'SNAPSHOT_UNREADABLE',
        severity: 'error',
        message: `meta/${name} is not a valid drizzle-kit snapshot (${read.error}).`,
        hint: 'Restore it from version control. drizzle-kit diffs the schema against the latest snapshot, so generating is blocked until it is fixed.',
        blocks: ['generate'],
        file,
      });
      continue;
    }
    byName.set(name, { file, id: read.id, prevId: read.prevId, parents: [read.prevId] });
    if (name === latestName) latest = read.snapshot;
  }
  forgetSnapshotsOtherThan(metaDir, snapshotNames, latestName);
  folder.snapshots = [...byName.values()];

  const expected = new Set<string>();
  let previousId = ORIGIN_SNAPSHOT_ID;
  let previousTag: string | undefined;
  for (const entry of journal.entries) {
    const name = snapshotFileName(entry.tag);
    expected.add(name);
    const link = byName.get(name);
    if (!link) {
      if (!snapshotNames.includes(name)) {
        folder.findings.push({
          code: 'SNAPSHOT_MISSING',
          severity: 'error',
          message: `meta/${name} (the snapshot of "${entry.tag}") is missing.`,
          hint: 'Restore it from version control. Without it drizzle-kit cannot tell what the next migration must change, so generating is blocked; applying is not affected.',
          blocks: ['generate'],
          tag: entry.tag,
          file: path.join(metaDir, name),
        });
      }
      previousId = '';
      previousTag = entry.tag;
      continue;
    }
    if (previousId !== '' && link.prevId !== previousId) {
      folder.findings.push({
        code: 'SNAPSHOT_CHAIN_BROKEN',
        severity: 'error',
        message: `meta/${name} has prevId ${link.prevId}, but ${previousTag ? `the snapshot of "${previousTag}" has id ${previousId}` : `the first snapshot must have prevId ${ORIGIN_SNAPSHOT_ID}`}.`,
        hint: "This happens when migrations from two branches are merged. Delete the later branch's migration files and snapshot (if not applied anywhere) and generate it again on top of the merged folder.",
        blocks: ['generate'],
        tag: entry.tag,
        file: link.file,
      });
    }
    previousId = link.id;
    previousTag = entry.tag;
  }
  folder.latestSnapshot = latest;
  folder.latestTag = latest ? journal.entries.at(-1)?.tag : undefined;
  folder.leaves = latest ? [latest.id] : [];

  const byPrevId = new Map<string, string[]>();
  for (const [name, link] of byName) byPrevId.set(link.prevId, [...(byPrevId.get(link.prevId) ?? []), name]);
  for (const [prevId, names] of byPrevId) {
    if (names.length < 2) continue;
    folder.findings.push({
      code: 'SNAPSHOT_COLLISION',
      severity: 'error',
      message: `Snapshots ${names.map((name) => `meta/${name}`).join(', ')} all have prevId ${prevId}; the drizzle-kit CLI refuses to generate on such a folder.`,
      hint: "Two migrations were generated from the same parent (e.g. on two branches). Keep one, delete the other's .sql, snapshot and journal entry, and generate it again.",
      blocks: ['generate'],
    });
  }
  for (const name of snapshotNames) {
    if (expected.has(name)) continue;
    folder.findings.push({
      code: 'SNAPSHOT_UNLISTED',
      severity: 'error',
      message: `meta/${name} belongs to no journal entry; the drizzle-kit CLI would still read it (possibly as the latest snapshot).`,
      hint: 'Delete it if it was left behind by an interrupted generate, or restore the journal entry it belongs to.',
      blocks: ['generate'],
      file: path.join(metaDir, name),
    });
  }
}

// Snapshots are large (a 100-table schema: ~200 KB each) and a folder only grows, so parsing every one on every read
// is most of a read. What a read needs from each — id, prevId, or why it is unreadable — is kept per file while the
// file's stat signature (inode, size, mtime and ctime in ns) is unchanged; only the latest is kept whole, deep-frozen
// because every reader shares it. Module state on purpose: files are the key, whoever reads them.
interface SnapshotMemo {
  signature: string;
  result: { id: string; prevId: string } | { error: string };
  /** Kept for the snapshot that was the latest when read. */
  snapshot?: SqliteSnapshot;
}
const snapshotMemos = new Map<string, SnapshotMemo>();

type SnapshotRead = { id: string; prevId: string; snapshot?: SqliteSnapshot } | { error: string };

function readSnapshot(file: string, wholeSnapshot: boolean): SnapshotRead {
  // The signature is taken before reading: a change during the read makes the next read miss, never hit stale.
  const signature = signatureOf(file);
  const memo = snapshotMemos.get(file);
  if (memo && signature !== undefined && memo.signature === signature && (!wholeSnapshot || memo.snapshot))
    return { ...memo.result, ...(wholeSnapshot ? { snapshot: memo.snapshot } : {}) };
  let read: SnapshotRead;
  try {
    const raw: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (
      !isRecord(raw) ||
      typeof raw.id !== 'string' ||
      typeof raw.prevId !== 'string' ||
      !isRecord(raw.tables)
    ) {
      throw new Error('it lacks "id", "prevId" or "tables"');
    }
    read = {
      id: raw.id,
      prevId: raw.prevId,
      ...(wholeSnapshot ? { snapshot: deepFreeze(raw as SqliteSnapshot) } : {}),
    };
  } catch (error) {
    read = { error: (error as Error).message };
  }
  if (signature !== undefined) {
    const result = 'error' in read ? { error: read.error } : { id: read.id, prevId: read.prevId };
    snapshotMemos.set(file, {
      signature,
      result,
      ...('snapshot' in read && read.snapshot ? { snapshot: read.snapshot } : {}),
    });
  }
  return read;
}

/** Drops what is remembered about files of `metaDir` that are no longer snapshots there, and every whole snapshot but the latest. */
function forgetSnapshotsOtherThan(
  metaDir: string,
  names: readonly string[],
  latestName: string | undefined,
): void {
  const current = new Set(names.map((name) => path.join(metaDir, name)));
  const latestFile = latestName === undefined ? undefined : path.join(metaDir, latestName);
  for (const [file, memo] of snapshotMemos) {
    if (path.dirname(file) !== metaDir) continue;
    if (!current.has(file)) snapshotMemos.delete(file);
    else if (file !== latestFile && memo.snapshot) delete memo.snapshot;
  }
}

function signatureOf(file: string): string | undefined {
  try {
    const stat = fs.statSync(file, { bigint: true });
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
  } catch {
    return undefined;
  }
}

/**
 * The latest snapshot's id, and the ids of the snapshots before it that describe the same schema (the tables of
 * custom migrations, which copy their previous snapshot): a change made on any of them is not in a migration yet.
 */
export function idsOfLatestSchema(folder: MigrationFolder): string[] {
  const latest = folder.latestSnapshot;
  if (!latest) return [ORIGIN_SNAPSHOT_ID];
  // The schema part of a snapshot: 0.x's `tables`, 1.0's `ddl` (a merge is followed through its first parent).
  const schemaOf = (snapshot: Record<string, unknown>) =>
    JSON.stringify(isSnapshotV7(snapshot as AnySqliteSnapshot) ? snapshot.ddl : snapshot.tables);
  const tables = schemaOf(latest);
  const byId = new Map(folder.snapshots.map((link) => [link.id, link]));
  const ids = [latest.id];
  let prevId = snapshotParents(latest)[0] ?? '';
  for (let link = byId.get(prevId); link; link = byId.get(prevId)) {
    let earlier: unknown;
    try {
      earlier = JSON.parse(fs.readFileSync(link.file, 'utf8'));
    } catch {
      return ids;
    }
    if (!isRecord(earlier) || schemaOf(earlier) !== tables) return ids;
    ids.push(link.id);
    prevId = link.prevId;
  }
  // Custom migrations all the way back to the first: they started from drizzle-kit's empty schema.
  if (prevId === ORIGIN_SNAPSHOT_ID && (tables === '{}' || tables === '[]')) ids.push(ORIGIN_SNAPSHOT_ID);
  return ids;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function listFiles(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

function rel(outDir: string, file: string): string {
  return path.join(path.basename(outDir), path.relative(outDir, file));
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ENOENT';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
