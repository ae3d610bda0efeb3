// Which drizzle-kit runs for a project: found from the project's node_modules as Node finds it (hoisting, symlinks),
// and chosen by the rules in src/project/kit-resolve.ts.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chooseKit,
  compareVersions,
  findProjectDrizzle,
  type ProjectDrizzle,
} from '../../src/project/kit-resolve.js';
import { DRIZZLE_PACKAGES } from '../helpers/drizzle-rc.js';
import { removeDir, tempDir } from '../helpers/project.js';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) removeDir(dir);
});

function fakePackage(dir: string, name: string, version: string): void {
  fs.mkdirSync(path.join(dir, 'node_modules', name), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, version }));
}

const pkg = (version: string, dir = `/x/${version}`) => ({ version, dir });

describe('findProjectDrizzle', () => {
  it('finds hoisted packages in a monorepo and the drizzle-orm the kit itself imports (through symlinks)', () => {
    const root = tempDir('dsm-resolve-');
    temps.push(root);
    const app = path.join(root, 'packages', 'db');
    fs.mkdirSync(app, { recursive: true });
    fs.mkdirSync(path.join(root, 'node_modules'), { recursive: true });
    fs.symlinkSync(DRIZZLE_PACKAGES.rc.kit, path.join(root, 'node_modules', 'drizzle-kit'), 'dir');
    fakePackage(app, 'drizzle-orm', '0.45.4');
    const found = findProjectDrizzle(app);
    expect(found.kit).toMatchObject({ version: '1.0.0-rc.5', dir: fs.realpathSync(DRIZZLE_PACKAGES.rc.kit) });
    expect(found.kit?.exports).toEqual(expect.arrayContaining(['.', './cli', './payload/sqlite']));
    expect(found.orm?.version).toBe('0.45.4');
    // The kit's own drizzle-orm is its sibling in test/drizzle-rc, not the app's 0.45.4.
    expect(found.kitOrm).toMatchObject({
      version: '1.0.0-rc.5',
      dir: fs.realpathSync(DRIZZLE_PACKAGES.rc.orm),
    });
  });

  it('finds nothing in a project without Drizzle packages anywhere up the tree', () => {
    const root = tempDir('dsm-resolve-');
    temps.push(root);
    expect(findProjectDrizzle(root)).toEqual({});
  });
});

describe('chooseKit', () => {
  const cases: Array<[string, ProjectDrizzle, object]> = [
    ['no drizzle-kit: ours', {}, { kit: { source: 'bundled', line: '0.x', version: '0.31.11' } }],
    [
      'drizzle-kit 0.x new enough: theirs',
      { kit: pkg('0.31.10'), kitOrm: pkg('0.44.0') },
      { kit: { source: 'project', line: '0.x', version: '0.31.10' } },
    ],
    [
      'drizzle-kit 0.x that may prompt: ours, with a note',
      { kit: pkg('0.30.6'), kitOrm: pkg('0.41.0') },
      { kit: { source: 'bundled' }, note: expect.stringContaining('0.30.6 is older than 0.31.10') },
    ],
    [
      'drizzle-kit 1.x beside drizzle-orm 1.x: theirs',
      { kit: pkg('1.0.0-rc.5'), kitOrm: pkg('1.0.0-rc.5') },
      { kit: { source: 'project', line: '1.x', version: '1.0.0-rc.5' } },
    ],
    [
      'drizzle-kit 1.x beside drizzle-orm 0.x: refused, naming both',
      { kit: pkg('1.0.0-rc.5'), kitOrm: pkg('0.45.4') },
      {
        refusal: {
          message: expect.stringContaining('drizzle-orm 0.45.4'),
          hint: expect.stringContaining('1.0.0-rc.5'),
        },
      },
    ],
    [
      'a drizzle-kit 1.0 pre-release without the SDK (bun pins 1.0.0-beta.9): refused, naming the first that has it',
      {
        kit: { ...pkg('1.0.0-beta.9-e89174b'), exports: ['.', './api-postgres'] },
        kitOrm: pkg('1.0.0-beta.9'),
      },
      {
        kit: { source: 'project', line: '1.x', version: '1.0.0-beta.9-e89174b' },
        refusal: {
          message: expect.stringContaining('"drizzle-kit/cli", added in 1.0.0-rc.4'),
          hint: expect.stringMatching(/drizzle-kit@1\.0\.0-rc\.5 .*npx drizzle-kit generate/),
        },
      },
    ],
  ];
  it.each(cases)('%s', (_title, found, expected) => {
    expect(chooseKit(found, '0.31.11')).toMatchObject(expected);
  });

  it('orders versions numerically, a pre-release before its release', () => {
    expect(compareVersions('0.31.9', '0.31.10')).toBeLessThan(0);
    expect(compareVersions('1.0.0-rc.5', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0-rc.5', '0.31.11')).toBeGreaterThan(0);
    expect(compareVersions('0.31.10', '0.31.10')).toBe(0);
  });
});
