// A 60-migration history (test/fixtures/corpus/long-history; karakeep has 94, openstatus 84): status, dry run and
// apply stay small enough for a model's context, say what they folded, and one migration can be asked for whole.
import { afterEach, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { copyCorpusFixture, removeDir } from '../helpers/project.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let dir: string | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  if (dir) removeDir(dir);
  h = undefined;
  dir = undefined;
});

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('a 60-migration history', () => {
  it('summarises status, dry run and apply under their budgets, and shows one migration in full on request', async () => {
    dir = copyCorpusFixture('long-history');
    h = await startHarness({ argv: ['--project', dir, '--no-migrate-on-start'] });
    const sizes: Record<string, number> = {};

    const before = await h.ok<Json>('migration_status', { drift: false });
    sizes.status = bytes(before);
    expect(before.counts.pending).toBe(60);
    expect(before.migrations.map((m: Json) => m.tag)).toEqual([
      '0000_readings',
      '0001_step_01',
      '0002_step_02',
      '0059_step_59',
    ]);
    expect(before.ranges).toEqual([
      'pending: 0003_step_03 … 0058_step_58 (56 migrations, all pending, not listed)',
    ]);

    const dry = await h.ok<Json>('apply_migrations', { dryRun: true });
    sizes.dryRun = bytes(dry);
    expect(dry.ok).toBe(true);
    expect(dry.migrations).toBeUndefined();
    expect(dry.quiet).toEqual([
      '0000_readings … 0059_step_59: 60 migrations, 60 statements; no findings, no data changes, no errors',
    ]);
    expect(dry.unchangedTables).toBe(1);

    const one = await h.ok<Json>('apply_migrations', { dryRun: true, show: '0029_step_29' });
    expect(one.migrations).toEqual([
      expect.objectContaining({
        tag: '0029_step_29',
        statements: ['ALTER TABLE `readings` ADD `metric_29` integer;'],
      }),
    ]);
    const wrong = await h.call('apply_migrations', { dryRun: true, show: '0029_step_2' });
    expect(errorTextOf(wrong)).toMatch(
      /"0029_step_2" is not a pending migration\. Did you mean "0029_step_29"\?/,
    );

    const applied = await h.ok<Json>('apply_migrations', {});
    sizes.apply = bytes(applied);
    expect(applied.applied).toHaveLength(60);
    const after = await h.ok<Json>('migration_status');
    sizes.statusAfter = bytes(after);
    expect(after.migrations.map((m: Json) => m.tag)).toEqual([
      '0057_step_57',
      '0058_step_58',
      '0059_step_59',
    ]);
    expect(after.ranges).toEqual([
      'applied: 0000_readings … 0056_step_56 (57 migrations, all applied, not listed)',
    ]);
    expect(after.drift.inSync).toBe(true);

    console.info(`long-history (60 migrations) bytes: ${JSON.stringify(sizes)}`);
    expect(sizes.status).toBeLessThan(1500);
    expect(sizes.dryRun).toBeLessThan(1500);
    expect(sizes.statusAfter).toBeLessThan(2500);
    // The apply lists what it committed: 60 tags.
    expect(sizes.apply).toBeLessThan(3500);
  });
});
