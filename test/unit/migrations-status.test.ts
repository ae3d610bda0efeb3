import { describe, expect, it } from 'vitest';
import type { FolderMigration, MigrationFolder } from '../../src/migrations/folder.js';
import type { LedgerRow } from '../../src/migrations/ledger.js';
import { computeMigrationStatus } from '../../src/migrations/status.js';

function migration(tag: string, when: number, hash = `h-${tag}`): FolderMigration {
  return {
    idx: Number(tag.slice(0, 4)),
    tag,
    when,
    breakpoints: true,
    file: `/x/${tag}.sql`,
    sql: '',
    hash,
    chunks: [],
  };
}
function folderOf(...migrations: FolderMigration[]): MigrationFolder {
  return {
    outDir: '/x',
    layout: 'journal',
    exists: true,
    journal: undefined,
    migrations,
    snapshots: [],
    latestSnapshot: undefined,
    latestTag: undefined,
    leaves: [],
    findings: [],
  };
}
let rowid = 0;
function row(hash: string, createdAt: number): LedgerRow {
  return { rowid: ++rowid, hash, createdAt };
}

const a = migration('0000_a', 1000);
const b = migration('0001_b', 2000);
const c = migration('0002_c', 3000);

describe('computeMigrationStatus', () => {
  it.each([
    ['nothing applied', [a, b], [], ['pending', 'pending'], true],
    ['some applied', [a, b, c], [row(a.hash, 1000)], ['applied', 'pending', 'pending'], true],
    ['all applied', [a, b], [row(a.hash, 1000), row(b.hash, 2000)], ['applied', 'applied'], true],
    ['an applied file edited', [a, b], [row('old-hash', 1000)], ['modified', 'pending'], false],
    [
      'an older migration merged in after a newer one was applied',
      [a, b, c],
      [row(a.hash, 1000), row(c.hash, 3000)],
      ['applied', 'skipped', 'applied'],
      false,
    ],
    [
      'a ledger row without a file',
      [b],
      [row(a.hash, 1000), row(b.hash, 2000)],
      ['missing', 'applied'],
      false,
    ],
    [
      'the same migration recorded twice',
      [a],
      [row(a.hash, 1000), row(a.hash, 1000)],
      ['applied', 'missing'],
      false,
    ],
  ])('%s', (_name, migrations, ledger, states, consistent) => {
    const status = computeMigrationStatus(folderOf(...migrations), ledger);
    expect(status.entries.map((entry) => entry.state)).toEqual(states);
    expect(status.consistent).toBe(consistent);
    expect(status.problems.length === 0).toBe(consistent);
  });

  it('matches by hash before created_at, so a re-timestamped journal entry stays applied', () => {
    const status = computeMigrationStatus(folderOf(migration('0000_a', 5000, 'same')), [row('same', 1000)]);
    expect(status.entries[0]).toMatchObject({ state: 'applied', appliedCreatedAt: 1000 });
    expect(status.entries[0]?.note).toContain('created_at=1000');
  });

  it('lists pending migrations in journal order and tells what to do for skipped ones', () => {
    const status = computeMigrationStatus(folderOf(a, b, c), [row(b.hash, 2000)]);
    expect(status.pending.map((m) => m.tag)).toEqual(['0002_c']);
    expect(status.entries[0]?.state).toBe('skipped');
    expect(status.entries[0]?.note).toContain('skip it forever');
    expect(status.counts).toEqual({ applied: 1, pending: 1, modified: 0, skipped: 1, missing: 0 });
  });

  it('is inconsistent when a folder finding blocks applying', () => {
    const folder = folderOf(a);
    folder.findings.push({
      code: 'MIGRATION_FILE_MISSING',
      severity: 'error',
      message: 'x',
      hint: 'y',
      blocks: ['apply'],
    });
    expect(computeMigrationStatus(folder, []).consistent).toBe(false);
  });
});
