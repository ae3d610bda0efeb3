// The drizzle-kit 1.0 folder reader, on folders the real rc.5 CLI wrote (test/fixtures/drizzle-1) and on hand-broken
// copies of them: what drizzle-orm 1.0 would apply, in which order, with which hash and created_at.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ORIGIN_SNAPSHOT_ID } from '../../src/migrations/folder.js';
import {
  detectMigrationLayout,
  folderMillis,
  readV1Folder,
  type V1Folder,
} from '../../src/migrations/layout-v1.js';
import { DRIZZLE_1_FIXTURES_DIR, v1MigrationNames } from '../helpers/drizzle-rc.js';
import { removeDir, tempDir } from '../helpers/project.js';

const fixtureOut = (name: string) => path.join(DRIZZLE_1_FIXTURES_DIR, name, 'drizzle');
const codes = (folder: V1Folder) => folder.findings.map((finding) => finding.code);

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) removeDir(dir);
});

/** A writable copy of a fixture's migrations folder. */
function copyOut(fixture: string): string {
  const dir = tempDir('dsm-v1-folder-');
  temps.push(dir);
  const out = path.join(dir, 'drizzle');
  fs.cpSync(fixtureOut(fixture), out, { recursive: true });
  return out;
}

describe('detectMigrationLayout', () => {
  it('tells the journal layout, the folder layout, both, an empty folder and no folder apart', () => {
    expect(detectMigrationLayout(fixtureOut('v0-kept'))).toBe('journal');
    expect(detectMigrationLayout(fixtureOut('v1-fresh'))).toBe('folders');
    expect(detectMigrationLayout(fixtureOut('v0-upped'))).toBe('folders');
    const out = copyOut('v1-fresh');
    fs.mkdirSync(path.join(out, 'meta'));
    fs.writeFileSync(path.join(out, 'meta/_journal.json'), '{"entries":[]}');
    expect(detectMigrationLayout(out)).toBe('mixed');
    const empty = tempDir('dsm-v1-empty-');
    temps.push(empty);
    expect(detectMigrationLayout(empty)).toBe('empty');
    expect(detectMigrationLayout(path.join(empty, 'nope'))).toBe('absent');
  });
});

describe('readV1Folder on folders written by drizzle-kit 1.0.0-rc.5', () => {
  it('reads each migration as drizzle-orm 1.0 does: folder name, file hash, breakpoint chunks, created_at from the name', () => {
    const out = fixtureOut('v1-fresh');
    const folder = readV1Folder(out);
    expect(folder.layout).toBe('folders');
    expect(folder.findings).toEqual([]);
    expect(folder.migrations.map((m) => m.name)).toEqual(v1MigrationNames(path.dirname(out)));
    expect(folder.migrations.map((m) => m.idx)).toEqual([0, 1, 2]);
    for (const migration of folder.migrations) {
      const bytes = fs.readFileSync(path.join(out, migration.name, 'migration.sql'));
      expect(migration.hash).toBe(createHash('sha256').update(bytes.toString()).digest('hex'));
      expect(migration.chunks).toEqual(bytes.toString().split('--> statement-breakpoint'));
      const [, y, mo, d, h, mi, s] = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(migration.name)!;
      expect(migration.createdAt).toBe(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!));
    }
    expect(folder.migrations[2]!.chunks.some((chunk) => chunk.includes('DROP TABLE `users`'))).toBe(true);
  });

  it('links each migration to its snapshot and finds one leaf on a straight history', () => {
    const folder = readV1Folder(fixtureOut('v1-fresh'));
    const [first, second, third] = folder.migrations;
    expect(first!.parents).toEqual([ORIGIN_SNAPSHOT_ID]);
    expect(second!.parents).toEqual([first!.snapshotId]);
    expect(third!.parents).toEqual([second!.snapshotId]);
    expect(folder.leaves).toEqual([third!.snapshotId]);
    expect(folder.latestSnapshot?.id).toBe(third!.snapshotId);
    expect(folder.latestSnapshot?.version).toBe('7');
    expect(folder.latestSnapshot?.ddl.length).toBeGreaterThan(0);
  });

  it('reports two unmerged branches as two leaves, without blocking anything', () => {
    const folder = readV1Folder(fixtureOut('v1-leaves'));
    const byName = new Map(folder.migrations.map((m) => [m.name.slice(15), m]));
    expect(folder.leaves).toEqual([
      byName.get('posts_published')!.snapshotId,
      byName.get('tags')!.snapshotId,
    ]);
    expect(byName.get('posts_published')!.parents).toEqual(byName.get('tags')!.parents);
    const finding = folder.findings.find((f) => f.code === 'SEVERAL_LEAVES');
    expect(finding?.blocks).toEqual([]);
    expect(finding?.message).toContain(byName.get('tags')!.name);
  });

  it('reads a merge migration with both leaves as parents and one leaf after it', () => {
    const folder = readV1Folder(fixtureOut('v1-merged'));
    const merge = folder.migrations.at(-1)!;
    expect(merge.name).toMatch(/_merge$/);
    const branchIds = folder.migrations
      .filter((m) => /_(posts_published|tags)$/.test(m.name))
      .map((m) => m.snapshotId);
    expect([...merge.parents!].sort()).toEqual([...branchIds].sort());
    expect(folder.leaves).toEqual([merge.snapshotId]);
    expect(codes(folder)).toEqual([]);
  });

  it('reads a folder converted by `drizzle-kit up`: names from the journal times, the same SQL bytes', () => {
    const upped = readV1Folder(fixtureOut('v0-upped'));
    const journal = JSON.parse(
      fs.readFileSync(path.join(fixtureOut('v0-kept'), 'meta/_journal.json'), 'utf8'),
    ) as { entries: Array<{ when: number; tag: string }> };
    expect(upped.findings).toEqual([]);
    expect(upped.migrations.map((m) => m.name.slice(15))).toEqual(journal.entries.map((e) => e.tag.slice(5)));
    for (const [i, migration] of upped.migrations.entries()) {
      const entry = journal.entries[i]!;
      expect(migration.createdAt).toBe(Math.floor(entry.when / 1000) * 1000);
      expect(migration.sql).toBe(
        fs.readFileSync(path.join(fixtureOut('v0-kept'), `${entry.tag}.sql`), 'utf8'),
      );
    }
  });
});

describe('readV1Folder on broken folders', () => {
  it('refuses a folder that still has the 0.x journal beside migration folders', () => {
    const out = copyOut('v1-fresh');
    fs.mkdirSync(path.join(out, 'meta'));
    fs.writeFileSync(path.join(out, 'meta/_journal.json'), '{"entries":[]}');
    const finding = readV1Folder(out).findings.find((f) => f.code === 'LAYOUT_MIXED');
    expect(finding?.blocks).toEqual(['apply', 'generate']);
  });

  it('ignores a folder without migration.sql, as drizzle-orm does, and says so', () => {
    const out = copyOut('v1-fresh');
    const last = v1MigrationNames(path.dirname(out)).at(-1)!;
    fs.rmSync(path.join(out, last, 'migration.sql'));
    const folder = readV1Folder(out);
    expect(folder.migrations.map((m) => m.name)).not.toContain(last);
    const finding = folder.findings.find((f) => f.code === 'FOLDER_WITHOUT_SQL');
    expect(finding?.tag).toBe(last);
    expect(finding?.message).toContain('still reads its snapshot.json');
    // drizzle-kit still takes that folder's snapshot as the latest.
    expect(folder.latestSnapshot?.id).toBe(folder.leaves[0]);
  });

  it('blocks generating when a migration has no snapshot or an unreadable or 0.x one', () => {
    const out = copyOut('v1-fresh');
    const [first, second, third] = v1MigrationNames(path.dirname(out));
    fs.rmSync(path.join(out, second!, 'snapshot.json'));
    fs.writeFileSync(path.join(out, third!, 'snapshot.json'), '{ not json');
    const snapshot = JSON.parse(fs.readFileSync(path.join(out, first!, 'snapshot.json'), 'utf8'));
    fs.writeFileSync(path.join(out, first!, 'snapshot.json'), JSON.stringify({ ...snapshot, version: '6' }));
    const folder = readV1Folder(out);
    const found = new Map(folder.findings.map((f) => [f.code, f]));
    expect(found.get('SNAPSHOT_MISSING')?.tag).toBe(second);
    expect(found.get('SNAPSHOT_UNREADABLE')?.tag).toBe(third);
    expect(found.get('SNAPSHOT_VERSION')?.hint).toContain('drizzle-kit up');
    for (const code of ['SNAPSHOT_UNREADABLE', 'SNAPSHOT_VERSION'] as const) {
      expect(found.get(code)?.blocks).toEqual(['generate']);
    }
    // drizzle-kit 1.0 skips a folder without snapshot.json (hand-written migrations), so nothing is blocked.
    expect(found.get('SNAPSHOT_MISSING')).toMatchObject({ severity: 'warning', blocks: [] });
    // Applying needs only migration.sql.
    expect(folder.migrations).toHaveLength(3);
  });

  it('flags two folders in the same second, which drizzle-orm runs by name', () => {
    const out = copyOut('v1-fresh');
    const names = v1MigrationNames(path.dirname(out));
    const prefix = names[1]!.slice(0, 14);
    // Generated after "…_comments" but sorts before it.
    fs.cpSync(path.join(out, names[1]!), path.join(out, `${prefix}_a_later_one`), { recursive: true });
    const folder = readV1Folder(out);
    expect(folder.migrations.map((m) => m.name).slice(1, 3)).toEqual([`${prefix}_a_later_one`, names[1]]);
    const finding = folder.findings.find((f) => f.code === 'SAME_SECOND');
    expect(finding?.message).toContain(`${prefix}_a_later_one, ${names[1]}`);
    // The copy also carries the same snapshot id.
    expect(codes(folder)).toContain('SNAPSHOT_ID_DUPLICATE');
  });

  it('refuses to apply a folder whose name is not a time, and records what drizzle-orm would store', () => {
    const out = copyOut('v1-fresh');
    fs.cpSync(path.join(out, v1MigrationNames(path.dirname(out))[0]!), path.join(out, 'add_things'), {
      recursive: true,
    });
    const folder = readV1Folder(out);
    const migration = folder.migrations.find((m) => m.name === 'add_things');
    expect(migration?.createdAt).toBeNaN();
    expect(folderMillis('add_things')).toBeNaN();
    expect(folder.findings.find((f) => f.code === 'FOLDER_NAME_INVALID')?.blocks).toEqual(['apply']);
  });

  it('warns when a parent snapshot is gone', () => {
    const out = copyOut('v1-fresh');
    const [, second] = v1MigrationNames(path.dirname(out));
    fs.rmSync(path.join(out, second!), { recursive: true });
    const finding = readV1Folder(out).findings.find((f) => f.code === 'SNAPSHOT_PARENT_UNKNOWN');
    expect(finding?.blocks).toEqual([]);
  });

  it('reads nothing, and finds nothing wrong, when the folder does not exist', () => {
    const folder = readV1Folder(path.join(DRIZZLE_1_FIXTURES_DIR, 'no-such-project', 'drizzle'));
    expect(folder).toMatchObject({
      layout: 'absent',
      migrations: [],
      snapshots: [],
      leaves: [],
      findings: [],
    });
  });
});
