import fs from 'node:fs';
import path from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { describe, expect, it } from 'vitest';
import { findingsBlocking, readMigrationFolder } from '../../src/migrations/folder.js';
import { appendFixtureMigration, makeTempDir, writeFixtureFolder } from '../helpers/migration-fixtures.js';

const repoDrizzle = path.resolve(import.meta.dirname, '../../drizzle');

function codes(outDir: string): string[] {
  return readMigrationFolder(outDir).findings.map((finding) => finding.code);
}

describe('readMigrationFolder', () => {
  it('reads the committed folder with the same hashes and chunks as drizzle-orm', () => {
    const folder = readMigrationFolder(repoDrizzle);
    const theirs = readMigrationFiles({ migrationsFolder: repoDrizzle });
    expect(folder.exists).toBe(true);
    expect(folder.findings).toEqual([]);
    expect(
      folder.migrations.map((m) => ({
        hash: m.hash,
        sql: m.chunks,
        folderMillis: m.when,
        bps: m.breakpoints,
      })),
    ).toEqual(theirs.map((m) => ({ hash: m.hash, sql: m.sql, folderMillis: m.folderMillis, bps: m.bps })));
    expect(folder.latestSnapshot?.id).toBe(
      JSON.parse(fs.readFileSync(path.join(repoDrizzle, 'meta/0000_snapshot.json'), 'utf8')).id,
    );
  });

  it('treats a missing folder as no migrations', () => {
    const folder = readMigrationFolder(path.join(makeTempDir(), 'nope'));
    expect(folder).toMatchObject({ exists: false, migrations: [], findings: [] });
  });

  it('reports SQL files without a journal', () => {
    const dir = makeTempDir();
    fs.writeFileSync(path.join(dir, '0000_x.sql'), 'CREATE TABLE t (a)');
    expect(codes(dir)).toEqual(['JOURNAL_MISSING']);
  });

  it('reports a journal that does not parse, and blocks both apply and generate', () => {
    const dir = makeTempDir();
    writeFixtureFolder(dir, [{ name: 'a', statements: ['CREATE TABLE a (x)'] }]);
    fs.writeFileSync(path.join(dir, 'meta/_journal.json'), '{ "entries": [ <<<<<<< HEAD');
    const folder = readMigrationFolder(dir);
    expect(folder.findings).toHaveLength(1);
    expect(folder.findings[0]).toMatchObject({ code: 'JOURNAL_UNREADABLE', blocks: ['apply', 'generate'] });
    expect(folder.findings[0]?.message).toContain('_journal.json is not valid JSON');
  });

  it('refuses journal tags that would escape the folder', () => {
    const dir = makeTempDir();
    fs.mkdirSync(path.join(dir, 'meta'));
    fs.writeFileSync(
      path.join(dir, 'meta/_journal.json'),
      JSON.stringify({
        version: '7',
        dialect: 'sqlite',
        entries: [{ idx: 0, version: '6', when: 1, tag: '../../etc/passwd', breakpoints: true }],
      }),
    );
    expect(codes(dir)).toEqual(['JOURNAL_INVALID']);
  });

  it('names an entry whose file is missing and a file missing from the journal', () => {
    const dir = makeTempDir();
    const [first] = writeFixtureFolder(dir, [
      { name: 'a', statements: ['CREATE TABLE a (x)'] },
      { name: 'b', statements: ['CREATE TABLE b (x)'] },
    ]);
    fs.renameSync(path.join(dir, `${first}.sql`), path.join(dir, 'stray.sql'));
    const folder = readMigrationFolder(dir);
    const missing = folder.findings.find((f) => f.code === 'MIGRATION_FILE_MISSING');
    expect(missing).toMatchObject({ tag: '0000_a', blocks: ['apply'] });
    expect(missing?.message).toContain('0000_a.sql does not exist');
    expect(folder.findings.find((f) => f.code === 'MIGRATION_FILE_UNLISTED')?.message).toContain('stray.sql');
    expect(folder.migrations.map((m) => m.tag)).toEqual(['0001_b']);
  });

  it('flags idx gaps as a warning and non-increasing when as an error', () => {
    const dir = makeTempDir();
    writeFixtureFolder(dir, [
      { name: 'a', statements: ['SELECT 1'], when: 2000 },
      { name: 'b', statements: ['SELECT 1'], when: 2000 },
    ]);
    const journalPath = path.join(dir, 'meta/_journal.json');
    const journal = JSON.parse(fs.readFileSync(journalPath, 'utf8'));
    journal.entries[1].idx = 5;
    fs.writeFileSync(journalPath, JSON.stringify(journal));
    const folder = readMigrationFolder(dir);
    expect(folder.findings.map((f) => [f.code, f.severity])).toEqual([
      ['IDX_GAP', 'warning'],
      ['WHEN_NOT_INCREASING', 'error'],
    ]);
    expect(findingsBlocking(folder.findings, 'apply').map((f) => f.code)).toEqual(['WHEN_NOT_INCREASING']);
    expect(folder.findings[1]?.hint).toContain('greater than 2000');
  });

  it('detects a missing snapshot, a broken chain, a collision and a leftover snapshot', () => {
    const dir = makeTempDir();
    writeFixtureFolder(dir, [
      { name: 'a', statements: ['SELECT 1'] },
      { name: 'b', statements: ['SELECT 1'] },
      { name: 'c', statements: ['SELECT 1'] },
    ]);
    fs.rmSync(path.join(dir, 'meta/0000_snapshot.json'));
    expect(codes(dir)).toEqual(['SNAPSHOT_MISSING']);

    const second = JSON.parse(fs.readFileSync(path.join(dir, 'meta/0001_snapshot.json'), 'utf8'));
    const third = JSON.parse(fs.readFileSync(path.join(dir, 'meta/0002_snapshot.json'), 'utf8'));
    fs.writeFileSync(
      path.join(dir, 'meta/0002_snapshot.json'),
      JSON.stringify({ ...third, prevId: 'someone-else' }),
    );
    fs.writeFileSync(path.join(dir, 'meta/0009_snapshot.json'), JSON.stringify({ ...second, id: 'x' }));
    const found = readMigrationFolder(dir).findings;
    expect(found.map((f) => f.code).sort()).toEqual([
      'SNAPSHOT_CHAIN_BROKEN',
      'SNAPSHOT_COLLISION',
      'SNAPSHOT_MISSING',
      'SNAPSHOT_UNLISTED',
    ]);
    expect(found.every((f) => !f.blocks.includes('apply'))).toBe(true);
    expect(found.find((f) => f.code === 'SNAPSHOT_CHAIN_BROKEN')?.message).toContain(
      '0002_snapshot.json has prevId someone-else',
    );
  });

  it('keeps comment-only and trailing chunks exactly as drizzle-orm splits them', () => {
    const dir = makeTempDir();
    writeFixtureFolder(dir, [{ name: 'a', statements: ['CREATE TABLE a (x);', '-- nothing here\n', ''] }]);
    const folder = readMigrationFolder(dir);
    expect(folder.migrations[0]?.chunks).toEqual(readMigrationFiles({ migrationsFolder: dir })[0]?.sql);
    expect(folder.migrations[0]?.chunks).toHaveLength(3);
  });

  it('sees a snapshot rewritten in place between two reads, even with the same size', () => {
    const dir = makeTempDir();
    writeFixtureFolder(dir, [
      { name: 'a', statements: ['SELECT 1'] },
      { name: 'b', statements: ['SELECT 1'] },
    ]);
    const latest = path.join(dir, 'meta/0001_snapshot.json');
    const first = readMigrationFolder(dir);
    expect(first.findings).toEqual([]);
    const original = fs.readFileSync(latest, 'utf8');
    const snapshot = JSON.parse(original);
    const edited = JSON.stringify(
      { ...snapshot, tables: { ...snapshot.tables, zz: { name: 'zz' } } },
      null,
      2,
    );
    fs.writeFileSync(latest, edited);
    expect(readMigrationFolder(dir).latestSnapshot?.tables).toHaveProperty('zz');

    // Same length, other prevId: the chain check must see it.
    fs.writeFileSync(
      latest,
      original.replace(
        snapshot.prevId,
        snapshot.prevId.replace(/^./, (c: string) => (c === 'a' ? 'b' : 'a')),
      ),
    );
    expect(codes(dir)).toEqual(['SNAPSHOT_CHAIN_BROKEN']);
    fs.writeFileSync(latest, '{ not json');
    expect(codes(dir)).toEqual(['SNAPSHOT_UNREADABLE']);
    fs.writeFileSync(latest, original);
    expect(codes(dir)).toEqual([]);
  });

  it('follows the latest snapshot as migrations are added, and hands it out read-only', () => {
    const dir = makeTempDir();
    writeFixtureFolder(dir, [{ name: 'a', statements: ['SELECT 1'] }]);
    const before = readMigrationFolder(dir).latestSnapshot;
    appendFixtureMigration(dir, { name: 'b', statements: ['SELECT 2'] });
    const after = readMigrationFolder(dir).latestSnapshot;
    expect(after?.id).toBe(JSON.parse(fs.readFileSync(path.join(dir, 'meta/0001_snapshot.json'), 'utf8')).id);
    expect(after?.prevId).toBe(before?.id);
    expect(Object.isFrozen(after) && Object.isFrozen(after?.tables)).toBe(true);
  });
});
