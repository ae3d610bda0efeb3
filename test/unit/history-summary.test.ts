// Long histories in a model's context (issue 10 item 6): what a status and a dry run list in full, what they fold
// into ranges, and the byte budget that holds even when every migration has something to say.
import { describe, expect, it } from 'vitest';
import type { ApplyPlan } from '../../src/app/apply-migrations.js';
import {
  capLines,
  groupRepeats,
  listStatusEntries,
  REHEARSAL_BUDGET_BYTES,
  summariseRehearsal,
} from '../../src/app/history-summary.js';
import type { Finding } from '../../src/app/migration-state.js';
import type { DryRunMigration, DryRunReport } from '../../src/migrations/dry-run.js';
import type { MigrationStatusEntry } from '../../src/migrations/status.js';

const tag = (i: number) => `${String(i).padStart(4, '0')}_step`;
const entry = (i: number, state: MigrationStatusEntry['state'], note?: string): MigrationStatusEntry => ({
  state,
  tag: tag(i),
  when: i,
  hash: `h${i}`,
  ...(note ? { note } : {}),
});

describe('listStatusEntries', () => {
  it('lists a short history whole', () => {
    const entries = Array.from({ length: 12 }, (_, i) => entry(i, i < 6 ? 'applied' : 'pending'));
    expect(listStatusEntries(entries)).toEqual({ shown: entries, ranges: [] });
  });

  it('keeps problems, the last applied and the next pending of a long one, and folds the rest into ranges', () => {
    const entries = [
      ...Array.from({ length: 40 }, (_, i) => entry(i, 'applied')),
      entry(40, 'modified', 'edited after it was applied'),
      ...Array.from({ length: 40 }, (_, i) => entry(41 + i, 'applied')),
      ...Array.from({ length: 30 }, (_, i) => entry(81 + i, 'pending')),
    ];
    const { shown, ranges } = listStatusEntries(entries);
    expect(shown.map((e) => e.tag)).toEqual([
      '0040_step',
      '0078_step',
      '0079_step',
      '0080_step',
      '0081_step',
      '0082_step',
      '0083_step',
      '0110_step',
    ]);
    expect(ranges).toEqual([
      'applied: 0000_step … 0039_step (40 migrations, all applied, not listed)',
      'applied: 0041_step … 0077_step (37 migrations, all applied, not listed)',
      'pending: 0084_step … 0109_step (26 migrations, all pending, not listed)',
    ]);
  });
});

describe('capLines', () => {
  it('counts what it leaves out, naming the codes', () => {
    const lines = Array.from(
      { length: 20 },
      (_, i) => `${i % 2 ? 'SNAPSHOT_MISSING' : 'IDX_GAP'}: line ${i}`,
    );
    const capped = capLines(lines, 15);
    expect(capped).toHaveLength(16);
    expect(capped.at(-1)).toBe('… and 5 more (SNAPSHOT_MISSING, IDX_GAP).');
    expect(capLines(['a', 'b'], 15)).toEqual(['a', 'b']);
  });
});

function plan(migrations: DryRunMigration[], findings: Finding[][] = migrations.map(() => [])): ApplyPlan {
  const report = { migrations, notRun: [], rowCounts: [], rowsLost: [] } as unknown as DryRunReport;
  return { report, findings, losses: [], rowCounts: [], rowChanges: [] };
}

const finding = (statement: number, over: Partial<Finding> = {}): Finding => ({
  code: 'SQ205',
  severity: 'info',
  message: 'apply_migrations skips this statement: the hand-written idiom is redundant inside the apply.',
  fix: 'Nothing to do with apply_migrations.',
  statement,
  ...over,
});

const migration = (i: number, statements: string[], changes = false): DryRunMigration => ({
  tag: tag(i),
  hash: `h${i}`,
  when: i,
  statements,
  skippedEmptyChunks: 0,
  neutralised: [],
  ok: true,
  rowCountChanges: changes
    ? [{ table: 't', before: i, after: i + 1 }]
    : [{ table: `t${i}`, before: null, after: 0 }],
});

describe('summariseRehearsal', () => {
  it('shows the statements the apply neutralises, even among many quiet migrations', () => {
    const many = Array.from({ length: 30 }, (_, i) => migration(i, [`CREATE TABLE t${i} (x)`]));
    many[7] = {
      ...migration(7, ['COMMIT', 'PRAGMA foreign_keys=OFF', 'CREATE TABLE t7 (x)']),
      neutralised: [
        { statement: 1, text: 'COMMIT', reason: 'r' },
        { statement: 2, text: 'PRAGMA  foreign_keys=OFF', reason: 'r' },
      ],
    } as DryRunMigration;
    const summary = summariseRehearsal(plan(many), undefined);
    expect(summary.migrations.find((m) => m.tag === tag(7))?.neutralised).toEqual([
      'statement 1: COMMIT',
      'statement 2: PRAGMA foreign_keys=OFF',
    ]);
  });

  it('lists a few pending migrations whole', () => {
    const few = plan([migration(0, ['CREATE TABLE a (x)']), migration(1, ['CREATE TABLE b (x)'])]);
    expect(summariseRehearsal(few, undefined)).toMatchObject({
      quiet: [],
      migrations: [{ statements: ['CREATE TABLE a (x)'] }, { statements: ['CREATE TABLE b (x)'] }],
    });
  });

  it('of many, lists statements only where something happens, and folds quiet runs into ranges', () => {
    const summary = summariseRehearsal(
      plan([
        migration(0, ['CREATE TABLE a (x)']),
        migration(1, ['CREATE TABLE b (x)']),
        migration(2, ['UPDATE t SET x = 1'], true),
        migration(3, ['CREATE TABLE c (x)']),
        migration(4, ['CREATE TABLE d (x)']),
        migration(5, ['CREATE TABLE e (x)']),
      ]),
      undefined,
    );
    expect(summary.quiet).toEqual([
      '0000_step … 0001_step: 2 migrations, 2 statements; no findings, no data changes, no errors',
      '0003_step … 0005_step: 3 migrations, 3 statements; no findings, no data changes, no errors',
    ]);
    expect(summary.migrations).toEqual([
      { tag: '0002_step', statementCount: 1, statements: ['UPDATE t SET x = 1'], rowChanges: ['t: 2 → 3'] },
    ]);
    expect(summary.truncated).toBeUndefined();
    const shown = summariseRehearsal(plan([migration(0, ['CREATE TABLE a (x)'])]), '0000_step');
    expect(shown.migrations[0]!.statements).toEqual(['CREATE TABLE a (x)']);
  });

  it(`stays within ${REHEARSAL_BUDGET_BYTES} bytes when every migration changes data, and says how to see one`, () => {
    const big = (i: number) =>
      Array.from(
        { length: 20 },
        (_, j) => `UPDATE t SET note = '${'x'.repeat(400)}' WHERE id = ${i * 100 + j}`,
      );
    const migrations = Array.from({ length: 60 }, (_, i) => migration(i, big(i), true));
    const summary = summariseRehearsal(plan(migrations), '0007_step');
    expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThanOrEqual(
      REHEARSAL_BUDGET_BYTES + Buffer.byteLength(JSON.stringify(summary.migrations[7])),
    );
    expect(summary.truncated).toMatch(/show: "<tag>"/);
    expect(summary.migrations).toHaveLength(60);
    expect(summary.migrations[7]!.statements).toHaveLength(20);
    expect(summary.migrations[7]!.statements![0]).toHaveLength(big(7)[0]!.length);
    expect(summary.migrations.filter((m) => m.statementsOmitted === 20).length).toBeGreaterThan(40);
  });

  it('says a finding repeated on several statements of one migration once, naming the other statements', () => {
    const rename = (statement: number, table: string) =>
      finding(statement, { code: 'BC101', severity: 'warning', table, message: `Renaming table ${table}.` });
    expect(groupRepeats([finding(1), finding(3), rename(4, 'a'), rename(5, 'b'), finding(10)])).toEqual([
      { ...finding(1), message: `${finding(1).message} (Also statements 3, 10.)` },
      rename(4, 'a'),
      rename(5, 'b'),
    ]);
  });

  it('keeps a long history of findings within the budget: repeats refer back, then info findings go, never data loss first', () => {
    const idiom = [1, 2, 3, 10, 11, 12].map((statement) =>
      finding(statement, { code: statement === 2 || statement === 11 ? 'SQ206' : 'SQ205' }),
    );
    const explain = (i: number) =>
      finding(5, {
        code: 'DS102',
        message: `Dropping table old_${i}, which is empty. ${'Because. '.repeat(60)}`,
      });
    const loss = (i: number) =>
      finding(6, {
        code: 'DS103',
        severity: 'warning',
        dataLoss: true,
        table: `t${i}`,
        message: `Dropping column t${i}.c loses its values.`,
      });
    const migrations = Array.from({ length: 40 }, (_, i) => migration(i, ['ALTER TABLE t DROP COLUMN c']));
    const findings = migrations.map((_, i) => [...idiom, explain(i), loss(i)]);
    const summary = summariseRehearsal(plan(migrations, findings), '0009_step');

    expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThanOrEqual(REHEARSAL_BUDGET_BYTES);
    expect(summary.truncated).toMatch(
      /refer to it; info findings were left out for \d+ migrations, 00\d\d_step … 0039_step\./,
    );
    expect(summary.truncated).not.toMatch(/all findings/);
    for (const [i, m] of summary.migrations.entries())
      expect(m.findings, m.tag).toContainEqual(expect.objectContaining({ code: 'DS103', table: `t${i}` }));
    // The migration asked for keeps every finding in its own words.
    expect(summary.migrations[9]!.findings).toEqual(groupRepeats(findings[9]!));
    // A repeat that survives points at the first migration that says it in full.
    // The repeats point at the first migration that says them, which keeps them in full.
    expect(summary.migrations[39]!.findings!.find((f) => f.code === 'SQ205')).toBeUndefined();
    expect(summary.migrations[1]!.findings!.find((f) => f.code === 'SQ205')?.message).toBe(
      'As SQ205 in 0000_step. (Also statements 3, 10, 12.)',
    );
    expect(summary.migrations[0]!.findings!.find((f) => f.code === 'SQ205')?.message).toBe(
      `${finding(1).message} (Also statements 3, 10, 12.)`,
    );
  });

  it('leaves out even warnings, newest first, when they alone overflow the budget, and says for which', () => {
    const migrations = Array.from({ length: 120 }, (_, i) => migration(i, ['DROP TABLE t']));
    const findings = migrations.map((_, i) => [
      finding(1, {
        code: 'DS103',
        severity: 'warning',
        dataLoss: true,
        table: `t${i}`,
        message: `Dropping table t${i} loses its rows. ${'Really. '.repeat(20)}`,
      }),
    ]);
    const summary = summariseRehearsal(plan(migrations, findings), undefined);
    expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThanOrEqual(REHEARSAL_BUDGET_BYTES);
    expect(summary.truncated).toMatch(
      /all findings were left out for \d+ migrations, 0\d+_step … 0119_step\./,
    );
    expect(summary.migrations[0]!.findings).toHaveLength(1);
    expect(summary.migrations.at(-1)!.findings).toBeUndefined();
  });
});
