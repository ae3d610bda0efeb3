import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cachedResolution,
  clearResolutionCache,
  rememberResolution,
  signaturesBeforeResolving,
  type ResolveKey,
} from '../../src/project/resolve-cache.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';

function project(): { dir: string; key: ResolveKey; resolved: string } {
  const dir = makeTempDir();
  const pkg = path.join(dir, 'node_modules/pkg');
  fs.mkdirSync(path.join(pkg, 'sub'), { recursive: true });
  fs.writeFileSync(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: 'pkg', exports: { './sub': './sub/index.js' } }),
  );
  fs.writeFileSync(path.join(pkg, 'sub/index.js'), 'export const x = 1;\n');
  fs.mkdirSync(path.join(dir, 'src'));
  const key: ResolveKey = {
    kind: 'import-statement',
    specifier: 'pkg/sub',
    resolveDirs: [path.join(dir, 'src'), '/nowhere'],
    tsconfig: undefined,
  };
  return { dir, key, resolved: path.join(pkg, 'sub/index.js') };
}

function remember(key: ResolveKey, resolved: string): boolean {
  const signatures = signaturesBeforeResolving(key.specifier, key.resolveDirs[0]!, key.tsconfig);
  if (!signatures) return false;
  rememberResolution(key, { path: resolved, external: true }, signatures, resolved);
  return true;
}

afterEach(() => clearResolutionCache());

describe('resolution cache', () => {
  it('answers again while nothing resolution reads has changed', () => {
    const { key, resolved } = project();
    expect(cachedResolution(key)).toBeUndefined();
    expect(remember(key, resolved)).toBe(true);
    expect(cachedResolution(key)).toEqual({ path: resolved, external: true });
    expect(cachedResolution({ ...key, kind: 'require-call' })).toBeUndefined();
  });

  it("forgets the answer when the package's package.json changes", () => {
    const { dir, key, resolved } = project();
    remember(key, resolved);
    const manifest = path.join(dir, 'node_modules/pkg/package.json');
    fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace('./sub/index.js', './sub/other.js'));
    expect(cachedResolution(key)).toBeUndefined();
  });

  it('forgets the answer when a closer copy of the package appears, or the resolved file goes', () => {
    const first = project();
    remember(first.key, first.resolved);
    fs.mkdirSync(path.join(first.dir, 'src/node_modules/pkg'), { recursive: true });
    expect(cachedResolution(first.key)).toBeUndefined();

    const second = project();
    remember(second.key, second.resolved);
    fs.rmSync(second.resolved);
    expect(cachedResolution(second.key)).toBeUndefined();
  });

  it('forgets the answer when a tsconfig appears, and never keeps one a tsconfig could redirect', () => {
    const { dir, key, resolved } = project();
    remember(key, resolved);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true } }));
    expect(cachedResolution(key)).toBeUndefined();
    expect(remember(key, resolved)).toBe(true);

    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { paths: { 'pkg/*': ['src/*'] } } }),
    );
    expect(remember(key, resolved)).toBe(false);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: './base.json' }));
    expect(remember(key, resolved)).toBe(false);
  });

  it('never keeps package.json "imports" specifiers', () => {
    const { key, resolved } = project();
    expect(remember({ ...key, specifier: '#internal' }, resolved)).toBe(false);
  });
});
