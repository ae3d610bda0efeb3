// Moving a migration folder drizzle-kit 1.x generated into a 1.0 folder: never two folders in one second (drizzle-kit
// names folders after the current second without looking), never a stale parent, nothing left behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { removeLastV1Migrations, utcSecond, writeV1MigrationFrom } from '../../src/migrations/write-v1.js';
import { folderLockFile, LOCK_FILE_NAME, withFolderLock } from '../../src/migrations/write.js';
import { copyFixtureOut, type Drizzle1Fixture } from '../helpers/drizzle-rc.js';
import type { AppError } from '../../src/core/errors.js';
import { removeDir } from '../helpers/project.js';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) removeDir(dir);
});

function copyOut(fixture: Drizzle1Fixture): string {
  const out = copyFixtureOut(fixture);
  temps.push(path.dirname(out));
  return out;
}

/** What drizzle-kit 1.x would write in `out`: a folder named after `second`, its snapshot after the given parents. */
function fakeGenerate(out: string, second: number, name: string, parents: string[]): string {
  const folder = `${utcSecond(second)}_${name}`;
  fs.mkdirSync(path.join(out, folder));
  fs.writeFileSync(path.join(out, folder, 'migration.sql'), 'CREATE INDEX `x` ON `posts` (`title`);');
  fs.writeFileSync(
    path.join(out, folder, 'snapshot.json'),
    JSON.stringify({ version: '7', dialect: 'sqlite', id: 'new-id', prevIds: parents, ddl: [], renames: [] }),
  );
  return folder;
}

describe('writeV1MigrationFrom', () => {
  it('waits for the next second when the newest folder is in this one, and drizzle-kit then names it later', async () => {
    const out = copyOut('v1-fresh');
    const before = readMigrationFolder(out);
    const newest = before.migrations.at(-1)!.when;
    let clock = newest + 300;
    const slept: number[] = [];
    const written = await writeV1MigrationFrom(
      out,
      async ({ out: scratch }) => ({ folder: fakeGenerate(scratch, clock, 'next', before.leaves) }),
      { now: () => clock, sleep: async (ms) => void (slept.push(ms), (clock += ms)) },
    );
    expect(slept).toEqual([700]);
    expect(written?.tag).toBe(`${utcSecond(newest + 1000)}_next`);
    expect(written?.renamedFrom).toBeUndefined();
    expect(
      readMigrationFolder(out)
        .migrations.map((m) => m.tag)
        .at(-1),
    ).toBe(written?.tag);
  });

  it('renames a folder drizzle-kit named in (or before) the newest second to the next free second', async () => {
    const out = copyOut('v1-fresh');
    const before = readMigrationFolder(out);
    const newest = before.migrations.at(-1)!.when;
    const written = await writeV1MigrationFrom(
      out,
      async ({ out: scratch }) => ({ folder: fakeGenerate(scratch, newest, 'aaa', before.leaves) }),
      { now: () => newest - 60_000, sleep: async () => undefined },
    );
    expect(written).toMatchObject({
      tag: `${utcSecond(newest + 1000)}_aaa`,
      renamedFrom: `${utcSecond(newest)}_aaa`,
    });
    const after = readMigrationFolder(out);
    expect(after.findings.filter((f) => f.code === 'SAME_SECOND')).toEqual([]);
    expect(after.migrations.at(-1)!.tag).toBe(written!.tag);
  });

  it('refuses a migration generated after another parent, and leaves neither it nor the scratch copy behind', async () => {
    const out = copyOut('v1-fresh');
    const names = fs.readdirSync(out);
    await expect(
      writeV1MigrationFrom(out, async ({ out: scratch }) => ({
        folder: fakeGenerate(scratch, Date.now(), 'stale', ['some-other-parent']),
      })),
    ).rejects.toThrow(/after snapshot\(s\) some-other-parent/);
    expect(fs.readdirSync(out).sort()).toEqual(names.sort());
    expect(fs.readdirSync(path.dirname(out)).filter((name) => name.includes('-generate-'))).toEqual([]);
  });

  it('refuses to write into a 0.x journal folder', async () => {
    const out = copyOut('v0-kept');
    await expect(writeV1MigrationFrom(out, async () => null)).rejects.toThrow(/journal/);
  });
});

describe('removeLastV1Migrations', () => {
  it('removes only the last folders, whole, and puts them back byte for byte on undo', () => {
    const out = copyOut('v1-fresh');
    const tags = readMigrationFolder(out).migrations.map((m) => m.tag);
    const files = (tag: string) =>
      fs.readdirSync(path.join(out, tag)).map((name) => fs.readFileSync(path.join(out, tag, name), 'utf8'));
    const before = tags.map(files);
    expect(() => removeLastV1Migrations(out, [tags[1]!])).toThrow(/Only the last migrations/);
    const removed = removeLastV1Migrations(out, tags.slice(1));
    expect(readMigrationFolder(out).migrations.map((m) => m.tag)).toEqual([tags[0]]);
    expect(fs.readdirSync(out).sort()).toEqual([tags[0]]);
    removed.undo();
    expect(tags.map(files)).toEqual(before);
    expect(readMigrationFolder(out).findings).toEqual([]);
  });

  it('every writer of a 1.0 folder locks at its top, leaving no meta/ behind', async () => {
    const out = copyOut('v1-fresh');
    expect(folderLockFile(out)).toBe(path.join(out, LOCK_FILE_NAME));
    await withFolderLock(out, undefined, async () => {
      expect(fs.existsSync(path.join(out, LOCK_FILE_NAME))).toBe(true);
    });
    expect(fs.existsSync(path.join(out, 'meta'))).toBe(false);
  });

  it('takes the same lock file whatever the folder holds, so writers of either line exclude each other across processes', async () => {
    // An edit_schema on a folder with no migrations yet once locked meta/_generate.lock while a drizzle-kit 1.0
    // generate locked the top: from two processes both ran at once. The in-process queue is bypassed here by
    // holding the file the way another process would.
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-lock-'));
    temps.push(empty);
    const journal = copyOut('v0-kept');
    for (const out of [empty, path.join(empty, 'absent'), journal, copyOut('v1-fresh')]) {
      expect(folderLockFile(out)).toBe(path.join(out, LOCK_FILE_NAME));
    }
    fs.writeFileSync(path.join(empty, LOCK_FILE_NAME), '{}');
    const blocked = await writeV1MigrationFrom(empty, async () => null, {
      lock: { timeoutMs: 150, staleAfterMs: 60_000 },
    }).catch((error: unknown) => error);
    expect((blocked as AppError).code).toBe('MIGRATION_CONFLICT');
    expect(fs.readdirSync(empty)).toEqual([LOCK_FILE_NAME]);
  });
});
