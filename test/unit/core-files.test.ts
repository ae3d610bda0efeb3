// Atomic text writes: the old content or the new, a symlinked file replaced where it really is, its mode kept.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { readTextIfExists, writeFileAtomic } from '../../src/core/files.js';
import { removeDir, tempDir } from '../helpers/project.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeDir));

it('replaces a file reached through a symlink where it is, keeps the link and the mode, leaves no temp file', () => {
  const dir = tempDir('dsm-files-');
  dirs.push(dir);
  const real = path.join(dir, 'schema.ts');
  fs.writeFileSync(real, 'old\n');
  fs.chmodSync(real, 0o640);
  fs.symlinkSync(real, path.join(dir, 'link.ts'));
  writeFileAtomic(path.join(dir, 'link.ts'), 'new\n');
  expect(fs.lstatSync(path.join(dir, 'link.ts')).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(real, 'utf8')).toBe('new\n');
  expect(fs.statSync(real).mode & 0o777).toBe(0o640);
  writeFileAtomic(path.join(dir, 'created.ts'), 'x');
  expect(fs.readdirSync(dir).sort()).toEqual(['created.ts', 'link.ts', 'schema.ts']);
  expect(readTextIfExists(path.join(dir, 'missing.ts'))).toBeUndefined();
});
