// Migrations folders as real histories leave them (test/fixtures/corpus): an old snapshot never committed (issue
// 10 item 3), snapshots named by index beside timestamp tags (C′), `.sql` files another runner applies (R). The
// server requires what drizzle-kit requires and reports the rest as warnings.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusSession, type Json } from '../helpers/corpus.js';
import { drizzleKit } from './migration-tools-support.js';

const { fixture: copy, start } = corpusSession();
const fixture = (name: string) => copy(name, { nodeModules: true });

const codes = (warnings: string[] | undefined) => (warnings ?? []).map((warning) => warning.split(':')[0]);

describe('a history with a missing intermediate snapshot (meta/0001_snapshot.json)', () => {
  it('applies all three, warns in migration_status, and generates like drizzle-kit, which needs only the latest', async () => {
    const project = fixture('missing-snapshot');
    const h = await start(project, ['--no-migrate-on-start']);
    const before = await h.ok<Json>('migration_status', { drift: false });
    expect(before.consistent).toBe(true);
    expect(before.warnings).toEqual([expect.stringMatching(/^SNAPSHOT_MISSING: meta\/0001_snapshot\.json/)]);
    expect(before.warnings[0]).toMatch(/Nothing is blocked/);

    expect((await h.ok<Json>('generate_migration', {})).status).toBe('no_changes');
    expect((await h.ok<Json>('apply_migrations', {})).applied).toEqual([
      '0000_projects',
      '0001_archived_flag',
      '0002_tasks',
    ]);

    // A schema change: our migration is the one the real drizzle-kit writes from the same folder.
    const schema = path.join(project, 'src/schema.ts');
    fs.writeFileSync(
      schema,
      fs
        .readFileSync(schema, 'utf8')
        .replace("title: text('title').notNull(),", "title: text('title').notNull(),\n  due: text('due'),"),
    );
    const kitCopy = fixture('missing-snapshot');
    fs.copyFileSync(schema, path.join(kitCopy, 'src/schema.ts'));
    const generated = await h.ok<Json>('generate_migration', { name: 'due' });
    expect(generated.status).toBe('ok');
    await drizzleKit(kitCopy, 'generate');
    const kitFile = fs.readdirSync(path.join(kitCopy, 'drizzle')).find((name) => name.startsWith('0003_'))!;
    const ours = fs.readFileSync(path.join(project, generated.files[0]), 'utf8');
    expect(ours).toBe(fs.readFileSync(path.join(kitCopy, 'drizzle', kitFile), 'utf8'));
    expect((await h.ok<Json>('apply_migrations', {})).applied).toEqual([
      generated.files[0].replace(/^drizzle\/|\.sql$/g, ''),
    ]);
  });
});

describe('timestamp tags with snapshots named by index (migrations.prefix "supabase", an older drizzle-kit)', () => {
  it('finds the snapshots, compares the database with the last one, and has nothing to generate', async () => {
    const project = fixture('prefix-index-snapshots');
    const h = await start(project);
    const status = await h.ok<Json>('migration_status');
    expect(status.warnings).toBeUndefined();
    expect(status.counts).toMatchObject({ applied: 2, pending: 0 });
    expect(status.drift.database.compared).toMatch(
      /the last migration snapshot \(20261205212329_add_cards\)/,
    );
    expect(status.drift.inSync).toBe(true);
    expect((await h.ok<Json>('generate_migration', {})).status).toBe('no_changes');
  });
});

describe('.sql files the journal does not list (NuxtHub applies them itself)', () => {
  it('warns without claiming they are lost, and applies only journal entries', async () => {
    const project = fixture('unlisted-sql-files');
    const h = await start(project, ['--no-migrate-on-start']);
    const status = await h.ok<Json>('migration_status', { drift: false });
    expect(codes(status.warnings)).toEqual(['MIGRATION_FILE_UNLISTED']);
    expect(status.warnings[0]).toMatch(/0001_add_reminders\.sql/);
    expect(status.warnings[0]).toMatch(/runner of its own \(NuxtHub/);
    expect(status.warnings[0]).not.toMatch(/never be applied/);
    expect((await h.ok<Json>('apply_migrations', {})).applied).toEqual(['0000_habits']);
  });
});
