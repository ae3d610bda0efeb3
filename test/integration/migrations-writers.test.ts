// Two processes generating at once must not corrupt the journal or fork the snapshot chain.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');

describe('concurrent writers in separate processes', () => {
  it('serialise through the lock file: every migration lands, numbered and chained', async () => {
    const outDir = path.join(makeTempDir(), 'drizzle');
    const child = (label: string) =>
      run(
        process.execPath,
        ['--import', 'tsx', 'test/helpers/write-migration-child.ts', outDir, label, '5'],
        { cwd: REPO },
      );
    const results = await Promise.all([child('a'), child('b'), child('c')]);
    expect(results.map((r) => r.stdout.trim())).toEqual(['DONE', 'DONE', 'DONE']);
    const folder = readMigrationFolder(outDir);
    expect(folder.findings).toEqual([]);
    expect(folder.migrations.map((m) => m.idx)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(new Set(folder.migrations.map((m) => m.tag.slice(5))).size).toBe(15);
  });
});
