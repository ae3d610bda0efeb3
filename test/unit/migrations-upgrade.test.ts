// The safe `drizzle-kit up`, its pure parts: the prediction of what rc.5's `up` makes of a journal (checked against the
// folder rc.5 really made of the same journal, test/fixtures/drizzle-1/v0-upped), the refusals, the proof, and the swap
// with its recovery after a crash between the two renames.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import {
  conversionDifferences,
  copyForUpgrade,
  finishInterruptedUpgrade,
  planUpgrade,
  swapInConverted,
  upgradePaths,
} from '../../src/migrations/upgrade.js';
import { DRIZZLE_1_FIXTURES_DIR, copyFixtureOut, type Drizzle1Fixture } from '../helpers/drizzle-rc.js';
import { removeDir } from '../helpers/project.js';

const fixtureOut = (name: string) => path.join(DRIZZLE_1_FIXTURES_DIR, name, 'drizzle');
const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) removeDir(dir);
});

function copyOut(fixture: Drizzle1Fixture): string {
  const out = copyFixtureOut(fixture);
  temps.push(path.dirname(out));
  return out;
}

function editJournal(out: string, edit: (entries: Array<{ tag: string; when: number }>) => void): void {
  const file = path.join(out, 'meta', '_journal.json');
  const journal = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    entries: Array<{ tag: string; when: number }>;
  };
  edit(journal.entries);
  fs.writeFileSync(file, JSON.stringify(journal));
}

describe('planUpgrade', () => {
  it('predicts the folders rc.5 `up` made of the same journal, and the proof finds nothing between them', () => {
    const original = readMigrationFolder(fixtureOut('v0-kept'));
    const plan = planUpgrade(original);
    const converted = readMigrationFolder(fixtureOut('v0-upped'));
    expect(plan.moves.map((move) => move.folder)).toEqual(converted.migrations.map((m) => m.tag));
    expect(conversionDifferences(original, converted, plan)).toEqual([]);
  });

  it('refuses a journal whose same-second entries rc.5 would reorder, naming both', () => {
    const out = copyOut('v0-kept');
    // The second entry falls in the first one's second and its name sorts before it ("comments" < "init").
    editJournal(out, (entries) => {
      entries[1]!.when = entries[0]!.when + 1;
    });
    expect(() => planUpgrade(readMigrationFolder(out))).toThrow(/run \d{14}_comments before \d{14}_init/);
  });

  it('refuses two entries that would become one folder, an entry without its SQL, and one without its snapshot', () => {
    const out = copyOut('v0-kept');
    fs.rmSync(path.join(out, 'meta', '0001_snapshot.json'));
    fs.rmSync(path.join(out, '0002_users_role_default.sql'));
    let message = '';
    try {
      planUpgrade(readMigrationFolder(out));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('0002_users_role_default.sql is missing');
    expect(message).toContain('meta/0001_snapshot.json');
    expect(message).toContain('Nothing was changed');

    const twin = copyOut('v0-kept');
    fs.copyFileSync(path.join(twin, '0001_comments.sql'), path.join(twin, '0002_comments.sql'));
    fs.copyFileSync(
      path.join(twin, 'meta', '0001_snapshot.json'),
      path.join(twin, 'meta', '0002_snapshot.json'),
    );
    editJournal(twin, (entries) => {
      entries[2]!.tag = '0002_comments';
      entries[2]!.when = entries[1]!.when;
    });
    expect(() => planUpgrade(readMigrationFolder(twin))).toThrow(/would both become \d{14}_comments/);
  });
});

describe('conversionDifferences', () => {
  it('names an edited migration.sql and a changed final schema', () => {
    const original = readMigrationFolder(fixtureOut('v0-kept'));
    const plan = planUpgrade(original);
    const out = copyOut('v0-upped');
    const converted = readMigrationFolder(out);
    fs.appendFileSync(converted.migrations[1]!.file, '\n-- edited');
    const snapshotFile = path.join(path.dirname(converted.migrations[2]!.file), 'snapshot.json');
    const snapshot = JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as {
      ddl: Array<Record<string, unknown>>;
    };
    snapshot.ddl = snapshot.ddl.filter((entity) => entity.name !== 'users_email_unique');
    fs.writeFileSync(snapshotFile, JSON.stringify(snapshot));
    expect(conversionDifferences(original, readMigrationFolder(out), plan)).toEqual([
      expect.stringMatching(/_comments\/migration.sql is not byte for byte 0001_comments.sql/),
      'index users_email_unique on users: unique (email) in the 0.x snapshot, missing in the converted snapshot',
    ]);
  });
});

describe('swapInConverted', () => {
  it('keeps the 0.x folder as the backup and puts the converted copy in its place', () => {
    const out = copyOut('v0-kept');
    const paths = upgradePaths(out);
    copyForUpgrade(paths);
    fs.rmSync(path.join(paths.copy, 'meta'), { recursive: true });
    swapInConverted(paths);
    expect(fs.existsSync(path.join(out, 'meta'))).toBe(false);
    expect(fs.existsSync(path.join(paths.backup, 'meta', '_journal.json'))).toBe(true);
    expect(fs.existsSync(paths.holder)).toBe(false);
    expect(fs.existsSync(paths.intent)).toBe(false);
    expect(finishInterruptedUpgrade(out)).toBeUndefined();
  });

  it('is finished after a crash between its two renames: the converted copy goes into place', () => {
    const out = copyOut('v0-kept');
    const paths = upgradePaths(out);
    copyForUpgrade(paths);
    fs.writeFileSync(path.join(paths.copy, 'converted-marker'), '');
    expect(() =>
      swapInConverted(paths, {
        afterMoveAside: () => {
          throw new Error('killed');
        },
      }),
    ).toThrow('killed');
    expect(fs.existsSync(out)).toBe(false);
    expect(finishInterruptedUpgrade(out)).toContain('the converted folder was moved into place');
    expect(fs.existsSync(path.join(out, 'converted-marker'))).toBe(true);
    expect(fs.existsSync(path.join(paths.backup, 'meta', '_journal.json'))).toBe(true);
    expect(fs.existsSync(paths.intent)).toBe(false);
    expect(fs.existsSync(paths.holder)).toBe(false);
  });

  it('puts the 0.x folder back when the crash also lost the converted copy', () => {
    const out = copyOut('v0-kept');
    const paths = upgradePaths(out);
    copyForUpgrade(paths);
    expect(() =>
      swapInConverted(paths, {
        afterMoveAside: () => {
          fs.rmSync(paths.holder, { recursive: true });
          throw new Error('killed');
        },
      }),
    ).toThrow('killed');
    expect(finishInterruptedUpgrade(out)).toContain('the 0.x folder was moved back');
    expect(fs.existsSync(path.join(out, 'meta', '_journal.json'))).toBe(true);
  });
});
