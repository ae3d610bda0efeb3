// Reads a drizzle-kit 1.0 migrations folder (`<out>/<yyyymmddhhmmss>_<name>/migration.sql` + `snapshot.json`) the way
// drizzle-orm 1.0's `readMigrationFiles` and drizzle-kit 1.0 see it, and says precisely what is wrong with it.
// Invariants: a migration's `name`, `hash`, `chunks` and `createdAt` are byte-for-byte what drizzle-orm 1.0.0-rc.5
// computes (orm/migrator.js:6-32), so ledger rows we write and the user's own `migrate()` agree; the snapshot view
// (which snapshot is "previous", which are leaves) is drizzle-kit's (kit/cli.mjs:81377-81428); reading never writes.
// References are into the npm tarballs of drizzle-orm / drizzle-kit 1.0.0-rc.5 (orm/… and kit/…, under package/).
import fs from 'node:fs';
import path from 'node:path';
import {
  type Finding,
  type FolderOperation,
  hashMigrationSql,
  ORIGIN_SNAPSHOT_ID,
  splitMigrationSql,
} from './migration-file.js';

export const V1_SNAPSHOT_VERSION = '7';
export const V1_MIGRATION_FILE = 'migration.sql';
export const V1_SNAPSHOT_FILE = 'snapshot.json';
const JOURNAL_FILE = path.join('meta', '_journal.json');

/** What an `out` folder holds: nothing yet, the 0.x journal layout, the 1.0 folder layout, or both (refused by 1.0). */
export type MigrationLayout = 'absent' | 'empty' | 'journal' | 'folders' | 'mixed';

export interface V1Migration {
  /** The folder name: drizzle-orm 1.0's migration name and the ledger's `name` column. */
  name: string;
  /** 0-based position in the order drizzle-orm 1.0 applies migrations (folder names by `localeCompare`). */
  idx: number;
  /** `Date.UTC` of the name's first 14 characters (the ledger's `created_at`); NaN when they are not a date. */
  createdAt: number;
  dir: string;
  /** Absolute path of `migration.sql`. */
  file: string;
  /** The whole file as drizzle-orm reads it (`readFileSync().toString()`). */
  sql: string;
  /** sha256 hex of `sql`: the ledger's `hash`. */
  hash: string;
  /** `sql` split on `--> statement-breakpoint`, untrimmed, exactly as drizzle-orm runs them. */
  chunks: string[];
  /** From the folder's snapshot.json, when it is readable. */
  snapshotId?: string;
  parents?: string[];
}

/** A readable `snapshot.json` (version "7": `{ version, dialect, id, prevIds, ddl, renames }`). */
export interface V1SnapshotLink {
  /** Its folder's name. */
  folder: string;
  file: string;
  id: string;
  parents: string[];
  version: string;
}

export type V1Snapshot = Record<string, unknown> & {
  version: string;
  dialect: string;
  id: string;
  prevIds: string[];
  ddl: unknown[];
};

export type V1FindingCode =
  | 'LAYOUT_MIXED'
  | 'MIGRATION_UNREADABLE'
  | 'FOLDER_WITHOUT_SQL'
  | 'FOLDER_NAME_INVALID'
  | 'SAME_SECOND'
  | 'ORDER_MISMATCH'
  | 'SNAPSHOT_MISSING'
  | 'SNAPSHOT_UNREADABLE'
  | 'SNAPSHOT_VERSION'
  | 'SNAPSHOT_ID_DUPLICATE'
  | 'SNAPSHOT_PARENT_UNKNOWN'
  | 'SEVERAL_LEAVES';

export type V1Finding = Finding<V1FindingCode>;

export interface V1Folder {
  outDir: string;
  layout: MigrationLayout;
  /** Folders with a `migration.sql`, in the order drizzle-orm 1.0 applies them. */
  migrations: V1Migration[];
  /** Every readable snapshot, in drizzle-kit's order (sorted paths). */
  snapshots: V1SnapshotLink[];
  /** Snapshot ids no snapshot lists as a parent (drizzle-kit's leaves), in folder order. */
  leaves: string[];
  /** The last snapshot in drizzle-kit's order: what `generate` diffs the schema against when there is one leaf. */
  latestSnapshot: V1Snapshot | undefined;
  findings: V1Finding[];
}

const BOTH: FolderOperation[] = ['apply', 'generate'];

/** drizzle-orm's `formatToMillis` (orm/migrator.utils.js:2-10), lenient parseInt included, so `created_at` agrees. */
export function folderMillis(name: string): number {
  const part = (from: number, to: number) => Number.parseInt(name.slice(from, to), 10);
  return Date.UTC(part(0, 4), part(4, 6) - 1, part(6, 8), part(8, 10), part(10, 12), part(12, 14));
}

export function detectMigrationLayout(outDir: string): MigrationLayout {
  const entries = listEntries(outDir);
  return entries === undefined ? 'absent' : layoutOf(outDir, entries);
}

function layoutOf(outDir: string, entries: readonly string[]): MigrationLayout {
  const journal = fs.existsSync(path.join(outDir, JOURNAL_FILE));
  const folders = entries.some((name) => fs.existsSync(path.join(outDir, name, V1_MIGRATION_FILE)));
  if (journal && folders) return 'mixed';
  if (journal) return 'journal';
  return folders ? 'folders' : 'empty';
}

/** Reads the 1.0 layout; on a 0.x journal folder it finds no migrations (read those with folder.ts). */
export function readV1Folder(outDir: string): V1Folder {
  const entries = listEntries(outDir);
  const layout = entries === undefined ? 'absent' : layoutOf(outDir, entries);
  const folder: V1Folder = {
    outDir,
    layout,
    migrations: [],
    snapshots: [],
    leaves: [],
    latestSnapshot: undefined,
    findings: [],
  };
  if (entries === undefined) return folder;
  if (layout === 'mixed') {
    folder.findings.push({
      code: 'LAYOUT_MIXED',
      severity: 'error',
      message: `${path.basename(outDir)}/meta/_journal.json exists beside 1.0 migration folders; drizzle-orm 1.0 refuses to migrate and drizzle-kit 1.0 to generate while the journal is there.`,
      hint: 'This is usually an interrupted `drizzle-kit up`: restore the folder from version control and convert it again, or remove meta/ if every journal entry already has its folder.',
      blocks: BOTH,
      file: path.join(outDir, JOURNAL_FILE),
    });
  }
  readMigrations(folder, entries);
  readSnapshots(folder, entries);
  return folder;
}

function readMigrations(folder: V1Folder, entries: readonly string[]): void {
  const { outDir } = folder;
  // drizzle-orm: every entry with a migration.sql (a symlink or not), sorted by localeCompare (orm/migrator.js:10-14).
  const names = entries
    .filter((name) => fs.existsSync(path.join(outDir, name, V1_MIGRATION_FILE)))
    .sort((a, b) => a.localeCompare(b));
  for (const name of entries) {
    if (names.includes(name) || !isDirectory(path.join(outDir, name)) || name === 'meta') continue;
    folder.findings.push({
      code: 'FOLDER_WITHOUT_SQL',
      severity: 'warning',
      message: `${name}/ has no ${V1_MIGRATION_FILE}, so drizzle-orm never applies it${fs.existsSync(path.join(outDir, name, V1_SNAPSHOT_FILE)) ? ', yet drizzle-kit still reads its snapshot.json' : ''}.`,
      hint: `Restore ${name}/${V1_MIGRATION_FILE} from version control, or delete the folder if it is left over.`,
      blocks: [],
      tag: name,
    });
  }
  for (const [idx, name] of names.entries()) {
    const dir = path.join(outDir, name);
    const file = path.join(dir, V1_MIGRATION_FILE);
    let sql: string;
    try {
      sql = fs.readFileSync(file).toString();
    } catch (error) {
      folder.findings.push({
        code: 'MIGRATION_UNREADABLE',
        severity: 'error',
        message: `${name}/${V1_MIGRATION_FILE} cannot be read (${(error as Error).message}).`,
        hint: 'Fix the file permissions or restore the file from version control.',
        blocks: ['apply'],
        tag: name,
        file,
      });
      continue;
    }
    const createdAt = folderMillis(name);
    if (!/^\d{14}/.test(name) || Number.isNaN(createdAt)) {
      folder.findings.push({
        code: 'FOLDER_NAME_INVALID',
        severity: 'error',
        message: `${name}/ does not start with a yyyymmddhhmmss time; drizzle-orm 1.0 would record created_at=${createdAt} for it.`,
        hint: 'Rename the folder to <yyyymmddhhmmss>_<name> (UTC) before it is applied anywhere, keeping the place it should run in.',
        blocks: ['apply'],
        tag: name,
        file,
      });
    }
    folder.migrations.push({
      name,
      idx,
      createdAt,
      dir,
      file,
      sql,
      hash: hashMigrationSql(sql),
      chunks: splitMigrationSql(sql),
    });
  }
  const bySecond = new Map<string, string[]>();
  for (const { name } of folder.migrations) {
    if (!/^\d{14}/.test(name)) continue;
    bySecond.set(name.slice(0, 14), [...(bySecond.get(name.slice(0, 14)) ?? []), name]);
  }
  for (const [second, group] of bySecond) {
    if (group.length < 2) continue;
    folder.findings.push({
      code: 'SAME_SECOND',
      severity: 'warning',
      message: `${group.join(', ')} share the time ${second}, so drizzle-orm runs them by name (in that order), which is not necessarily the order they were written in.`,
      hint: 'If they depend on each other in another order, rename the later one to a later second before it is applied anywhere.',
      blocks: [],
      tag: group[0],
    });
  }
  const kitOrder = folder.migrations
    .map((m) => m.name)
    .sort((a, b) => compareCodeUnits(snapshotPath(outDir, a), snapshotPath(outDir, b)));
  if (kitOrder.some((name, i) => name !== folder.migrations[i]?.name)) {
    folder.findings.push({
      code: 'ORDER_MISMATCH',
      severity: 'warning',
      message: `drizzle-orm applies these folders in the order ${folder.migrations.map((m) => m.name).join(', ')} but drizzle-kit reads their snapshots in the order ${kitOrder.join(', ')}.`,
      hint: 'Rename folders so that names differ early (digits, lower-case letters and _) and both tools agree.',
      blocks: [],
    });
  }
}

function readSnapshots(folder: V1Folder, entries: readonly string[]): void {
  const { outDir } = folder;
  const withSql = new Set(folder.migrations.map((m) => m.name));
  // drizzle-kit: `<entry>/snapshot.json` that exist, sorted as joined paths (prepareOutFolder, kit/cli.mjs:81377-81382).
  const snapshotFolders = entries
    .filter((name) => fs.existsSync(path.join(outDir, name, V1_SNAPSHOT_FILE)))
    .sort((a, b) => compareCodeUnits(snapshotPath(outDir, a), snapshotPath(outDir, b)));
  for (const name of withSql) {
    if (snapshotFolders.includes(name)) continue;
    // drizzle-kit 1.0 skips such a folder when it looks for the previous snapshot (hand-written migrations often have
    // none), so neither generating nor applying needs it: a warning, as for a missing 0.x intermediate snapshot.
    folder.findings.push({
      code: 'SNAPSHOT_MISSING',
      severity: 'warning',
      message: `${name}/${V1_SNAPSHOT_FILE} is missing: drizzle-kit does not see this migration when it computes the next one.`,
      hint: 'Fine for a hand-written migration that changes no table. If it does change the schema, restore its snapshot.json from version control, or the next generated migration repeats (or undoes) its change.',
      blocks: [],
      tag: name,
      file: path.join(outDir, name, V1_SNAPSHOT_FILE),
    });
  }
  const latestFolder = snapshotFolders.at(-1);
  for (const name of snapshotFolders) {
    const file = path.join(outDir, name, V1_SNAPSHOT_FILE);
    const read = readSnapshot(file);
    if ('error' in read) {
      folder.findings.push({
        code: 'SNAPSHOT_UNREADABLE',
        severity: 'error',
        message: `${name}/${V1_SNAPSHOT_FILE} is not a drizzle-kit snapshot (${read.error}).`,
        hint: 'Restore it from version control, or fix the JSON by hand; drizzle-kit refuses to generate until it parses.',
        blocks: ['generate'],
        tag: name,
        file,
      });
      continue;
    }
    const { snapshot } = read;
    if (snapshot.version !== V1_SNAPSHOT_VERSION) {
      const older = Number(snapshot.version) < Number(V1_SNAPSHOT_VERSION);
      folder.findings.push({
        code: 'SNAPSHOT_VERSION',
        severity: 'error',
        message: `${name}/${V1_SNAPSHOT_FILE} has version "${snapshot.version}"; drizzle-kit 1.0 needs "${V1_SNAPSHOT_VERSION}".`,
        hint: older
          ? 'Convert it with drizzle-kit 1.0 (`drizzle-kit up` rewrites old snapshots in place).'
          : 'The snapshot was written by a newer drizzle-kit: update the drizzle-kit this project uses.',
        blocks: ['generate'],
        tag: name,
        file,
      });
    }
    folder.snapshots.push({
      folder: name,
      file,
      id: snapshot.id,
      parents: snapshot.prevIds,
      version: snapshot.version,
    });
    const migration = folder.migrations.find((m) => m.name === name);
    if (migration) {
      migration.snapshotId = snapshot.id;
      migration.parents = [...snapshot.prevIds];
    }
    if (name === latestFolder) folder.latestSnapshot = snapshot;
  }
  checkGraph(folder);
}

function checkGraph(folder: V1Folder): void {
  const byId = new Map<string, string[]>();
  for (const link of folder.snapshots) byId.set(link.id, [...(byId.get(link.id) ?? []), link.folder]);
  for (const [id, folders] of byId) {
    if (folders.length < 2) continue;
    folder.findings.push({
      code: 'SNAPSHOT_ID_DUPLICATE',
      severity: 'error',
      message: `${folders.map((name) => `${name}/${V1_SNAPSHOT_FILE}`).join(', ')} all have id ${id}.`,
      hint: 'A migration folder was copied. Delete the copy (if it was applied nowhere) and generate that change again.',
      blocks: ['generate'],
      tag: folders[1],
    });
  }
  const parents = new Set(folder.snapshots.flatMap((link) => link.parents));
  for (const link of folder.snapshots) {
    const unknown = link.parents.filter((parent) => parent !== ORIGIN_SNAPSHOT_ID && !byId.has(parent));
    if (unknown.length === 0) continue;
    folder.findings.push({
      code: 'SNAPSHOT_PARENT_UNKNOWN',
      severity: 'warning',
      message: `${link.folder}/${V1_SNAPSHOT_FILE} names parent snapshot(s) ${unknown.join(', ')} that no folder has.`,
      hint: 'A migration it was generated after has been deleted or not merged yet; restore it, or expect drizzle-kit to treat this migration as a new root.',
      blocks: [],
      tag: link.folder,
    });
  }
  // drizzle-kit's findLeafSnapshotIds (kit/cli.mjs:81417-81428), kept in folder order for messages.
  const leaves = [...new Set(folder.snapshots.map((link) => link.id))].filter((id) => !parents.has(id));
  folder.leaves = leaves.length > 0 || folder.snapshots.length === 0 ? leaves : [folder.snapshots.at(-1)!.id];
  if (folder.leaves.length > 1) {
    const names = folder.leaves.map((id) => byId.get(id)?.[0] ?? id);
    folder.findings.push({
      code: 'SEVERAL_LEAVES',
      severity: 'warning',
      message: `The migrations form ${folder.leaves.length} branches ending in ${names.join(', ')} (e.g. from two git branches). drizzle-orm applies all of them, in folder order.`,
      hint: 'Nothing to do if they change different things: drizzle-kit joins them with a merge migration the next time the schema changes. If they change the same table or column, drizzle-kit refuses to generate: delete one branch (if it was applied nowhere) and generate it again on top of the other.',
      blocks: [],
    });
  }
}

type SnapshotRead = { snapshot: V1Snapshot } | { error: string };

function readSnapshot(file: string): SnapshotRead {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (!isRecord(raw)) return { error: 'it is not a JSON object' };
  if (typeof raw.id !== 'string') return { error: 'it has no string "id"' };
  if (!Array.isArray(raw.prevIds) || !raw.prevIds.every((id) => typeof id === 'string')) {
    return { error: `it has no "prevIds" array${'prevId' in raw ? ' (a 0.x snapshot has "prevId")' : ''}` };
  }
  if (typeof raw.version !== 'string') return { error: 'it has no "version"' };
  if (!Array.isArray(raw.ddl) && raw.version === V1_SNAPSHOT_VERSION)
    return { error: 'it has no "ddl" array' };
  return {
    snapshot: {
      ...raw,
      version: raw.version,
      dialect: String(raw.dialect ?? ''),
      id: raw.id,
      prevIds: raw.prevIds as string[],
      ddl: Array.isArray(raw.ddl) ? raw.ddl : [],
    },
  };
}

function snapshotPath(outDir: string, folder: string): string {
  return path.join(outDir, folder, V1_SNAPSHOT_FILE);
}

/** JavaScript's default `Array.prototype.sort` order (UTF-16 code units), as drizzle-kit sorts snapshot paths. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function listEntries(dir: string): string[] | undefined {
  try {
    return fs.readdirSync(dir);
  } catch {
    return undefined;
  }
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
