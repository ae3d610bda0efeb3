// Adds a migration that drizzle-kit 1.x generated to a 1.0 migrations folder (`<out>/<yyyymmddhhmmss>_<name>/`).
// drizzle-kit writes into a scratch copy of the folder, never into the real one; the new folder is checked and moved
// in with one rename. Invariants:
// - writers are serialised (in this process and across processes) by a lock file in `out` that no Drizzle tool reads;
// - the new folder's time is later than every folder already there: drizzle-kit 1.x names it after the current second
//   without looking (two generates in one second would then run in name order, not the order they were made), so we
//   wait for the next second, and if the clock still says otherwise the new folder is renamed to the next free second;
// - the new snapshot descends from exactly the folder's leaves (checked under the lock), so a diff made against a
//   stale parent is refused;
// - a crash leaves the real folder as it was, or with the whole new folder: never half of one.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { syncFolder, writeFileAtomic } from '../core/files.js';
import { assertFolderReady, isFolderLayout, type MigrationFolder, readMigrationFolder } from './folder.js';
import { folderMillis, V1_MIGRATION_FILE, V1_SNAPSHOT_FILE } from './layout-v1.js';
import { hashMigrationSql, ORIGIN_SNAPSHOT_ID } from './migration-file.js';
import { type LockOptions, type RemovedMigrations, withFolderLock } from './write.js';

/** Longest wait for the clock to leave the newest folder's second; beyond it the new folder is renamed instead. */
const MAX_CLOCK_WAIT_MS = 2_000;

export interface WrittenV1Migration {
  /** The folder name: the migration's tag and the 1.0 ledger's `name`. */
  tag: string;
  /** `Date.UTC` of the folder name's time (the 1.0 ledger's `created_at`). */
  when: number;
  dir: string;
  sqlFile: string;
  snapshotFile: string;
  sql: string;
  hash: string;
  snapshotId: string;
  parents: string[];
  /** Set when the folder drizzle-kit wrote was renamed to a later second, with its original name. */
  renamedFrom?: string;
}

export interface V1WriteOptions {
  lock?: LockOptions;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Holds the folder lock, copies the folder to a scratch folder beside it, lets `produce` run drizzle-kit there, and
 * moves the new migration folder it names into place. `produce` returning null (no changes) writes nothing.
 */
export async function writeV1MigrationFrom(
  outDir: string,
  produce: (scratch: { out: string; folder: MigrationFolder }) => Promise<{ folder: string } | null>,
  options: V1WriteOptions = {},
): Promise<WrittenV1Migration | null> {
  const now = options.now ?? Date.now;
  return withFolderLock(outDir, options.lock, async () => {
    const folder = readMigrationFolder(outDir);
    if (
      folder.layout === 'journal' ||
      folder.layout === 'mixed' ||
      (!isFolderLayout(folder) && folder.exists)
    ) {
      throw new AppError(
        'MIGRATION_CONFLICT',
        `${outDir} holds drizzle-kit 0.x's journal (meta/_journal.json); drizzle-kit 1.x writes one folder per migration and refuses to generate next to it.`,
        {
          hint: 'Convert the folder first: generate_migration with upgrade: "strict" (a checked `drizzle-kit up`), or keep the project on drizzle-kit 0.x.',
        },
      );
    }
    assertFolderReady(folder, 'generate');
    const newest = Math.max(...folder.migrations.map((m) => m.when).filter(Number.isFinite), -Infinity);
    await waitForLaterSecond(newest, now, options.sleep ?? delay);

    const scratch = makeScratchCopy(outDir);
    try {
      const produced = await produce({ out: scratch, folder });
      if (produced === null) return null;
      return moveIn(outDir, scratch, produced.folder, folder, newest);
    } finally {
      fs.rmSync(path.dirname(scratch), { recursive: true, force: true });
    }
  });
}

async function waitForLaterSecond(
  newestMs: number,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  if (!Number.isFinite(newestMs)) return;
  const wait = newestMs + 1000 - now();
  if (wait > 0 && wait <= MAX_CLOCK_WAIT_MS) await sleep(wait);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `<parent>/.<out>-generate-<token>/<out>`: same filesystem as `out` (so the final rename is atomic). */
function makeScratchCopy(outDir: string): string {
  const holder = path.join(
    path.dirname(outDir),
    `.${path.basename(outDir)}-generate-${randomBytes(6).toString('hex')}`,
  );
  const scratch = path.join(holder, path.basename(outDir));
  fs.mkdirSync(scratch, { recursive: true });
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(outDir, { withFileTypes: true });
  } catch {
    // No folder yet: drizzle-kit starts from nothing.
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    // drizzle-kit reads only the migration folders (a lock file or anything else at the top is left behind).
    fs.cpSync(path.join(outDir, entry.name), path.join(scratch, entry.name), { recursive: true });
  }
  return scratch;
}

function moveIn(
  outDir: string,
  scratch: string,
  produced: string,
  before: MigrationFolder,
  newestMs: number,
): WrittenV1Migration {
  let name = produced;
  let renamedFrom: string | undefined;
  const producedMs = folderMillis(name);
  if (Number.isFinite(newestMs) && !(producedMs > newestMs)) {
    name = `${utcSecond(newestMs + 1000)}${produced.slice(14)}`;
    fs.renameSync(path.join(scratch, produced), path.join(scratch, name));
    renamedFrom = produced;
  }
  const dir = path.join(scratch, name);
  const sql = fs.readFileSync(path.join(dir, V1_MIGRATION_FILE)).toString();
  let snapshot: { id?: unknown; prevIds?: unknown };
  try {
    snapshot = JSON.parse(fs.readFileSync(path.join(dir, V1_SNAPSHOT_FILE), 'utf8')) as typeof snapshot;
  } catch (error) {
    throw new AppError(
      'INTERNAL',
      `drizzle-kit wrote no readable snapshot.json for ${produced}: ${(error as Error).message}`,
    );
  }
  const parents = Array.isArray(snapshot.prevIds) ? snapshot.prevIds.map(String) : [];
  const expected = before.leaves.length > 0 ? before.leaves : [ORIGIN_SNAPSHOT_ID];
  if (!sameSet(parents, expected)) {
    throw new AppError(
      'MIGRATION_CONFLICT',
      `drizzle-kit generated ${produced} after snapshot(s) ${parents.join(', ')}, but the folder's latest are ${expected.join(', ')}; nothing was written.`,
      { hint: 'Generate again.', details: { parents, expected } },
    );
  }
  const target = path.join(outDir, name);
  if (fs.existsSync(target)) {
    throw new AppError(
      'MIGRATION_CONFLICT',
      `${name} already exists in ${outDir}; refusing to overwrite it.`,
      {
        hint: 'Give the migration another name, or move the existing folder away, then generate again.',
      },
    );
  }
  fs.mkdirSync(outDir, { recursive: true });
  fs.renameSync(dir, target);
  syncFolder(outDir);
  return {
    tag: name,
    when: folderMillis(name),
    dir: target,
    sqlFile: path.join(target, V1_MIGRATION_FILE),
    snapshotFile: path.join(target, V1_SNAPSHOT_FILE),
    sql,
    hash: hashMigrationSql(sql),
    snapshotId: String(snapshot.id),
    parents,
    ...(renamedFrom ? { renamedFrom } : {}),
  };
}

/**
 * Removes the last migration folders of a 1.0 folder (`tags` must be the last folder names in the order drizzle-orm
 * applies them), as if they had never been generated; the 1.0 counterpart of removeLastMigrations, with the same
 * contract. Newest first, so a crash leaves a shorter history that still ends in a whole migration. Call it holding
 * the folder lock.
 */
export function removeLastV1Migrations(outDir: string, tags: readonly string[]): RemovedMigrations {
  const names = readMigrationFolder(outDir).migrations.map((migration) => migration.tag);
  const tail = names.slice(names.length - tags.length);
  if (tags.length === 0 || tail.join('\n') !== tags.join('\n')) {
    throw new AppError(
      'MIGRATION_CONFLICT',
      `Only the last migrations of the folder can be removed; it ends with ${tail.join(', ') || 'nothing'}, not ${tags.join(', ')}.`,
      { hint: 'Call migration_status to see the folder as it is now.' },
    );
  }
  const saved = tags.flatMap((tag) =>
    fs
      .readdirSync(path.join(outDir, tag), { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const file = path.join(outDir, tag, entry.name);
        return { file, text: fs.readFileSync(file, 'utf8') };
      }),
  );
  for (const tag of [...tags].reverse()) fs.rmSync(path.join(outDir, tag), { recursive: true, force: true });
  syncFolder(outDir);
  return {
    tags: [...tags],
    files: saved.map(({ file }) => file),
    undo() {
      for (const { file, text } of saved) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        writeFileAtomic(file, text);
      }
      syncFolder(outDir);
    },
  };
}

/** `yyyymmddhhmmss` of a UTC instant: drizzle-kit 1.x's folder prefix. */
export function utcSecond(ms: number): string {
  return new Date(ms).toISOString().replace(/\D/g, '').slice(0, 14);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}
