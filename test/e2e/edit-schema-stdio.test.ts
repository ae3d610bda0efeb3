// The seed's everyday schema workflows through the built server over real stdio pipes, as a client without file
// tools (Claude Desktop, a script) drives them: this test never writes a project file — every change to the schema
// and the migrations folder is the server's. Add a table with a foreign key, add a column, add an index, rename a
// column, backfill with custom SQL; each reviewed as a dry-run diff, generated, dry-run applied, applied. Then an
// edit generated and undone with revert. Afterwards the edited project passes `tsc --noEmit`, the real drizzle-kit
// CLI finds nothing left to generate, and stdout carried only JSON-RPC throughout.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drizzleKit, embeddedProject, seedEmbedded } from '../integration/migration-tools-support.js';
import { REPO_ROOT, removeDir } from '../helpers/project.js';
import { initialize, nonJsonRpcLines, spawnServer, type RawServer } from '../helpers/stdio.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const run = promisify(execFile);
let project: string;
beforeEach(() => {
  project = embeddedProject();
});
afterEach(() => removeDir(project));

/** `tsc --noEmit` over the project's schema with this repo's strict options; '' when it compiles. */
async function typecheck(dir: string): Promise<string> {
  const repo = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as Json;
  const config = path.join(dir, 'tsconfig.check.json');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  fs.writeFileSync(
    config,
    JSON.stringify({ compilerOptions: { ...repo.compilerOptions, types: [] }, include: ['src/**/*.ts'] }),
  );
  try {
    await run(process.execPath, [
      path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '-p',
      config,
    ]);
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout);
  }
}

describe('schema workflows over stdio, no file written by the client', () => {
  it('add table with FK, add column, add index, rename column, backfill; revert; tsc and drizzle-kit agree', async () => {
    // --allow-destructive: the backfill's UPDATE changes existing rows, which needs the human's consent (a client
    // without elicitation gets it only from the launch option).
    const server: RawServer = spawnServer([
      '--project',
      project,
      '--log-level',
      'debug',
      '--allow-destructive',
    ]);
    const call = async (name: string, args: Json = {}): Promise<Json> => {
      const response = (await server.request('tools/call', { name, arguments: args })).result as Json;
      if (response.isError) throw new Error(`${name}: ${response.content[0].text}`);
      return response.structuredContent as Json;
    };
    /** One reviewed change: dry run (the diff a human sees), the edit bound to it, generate, dry run, apply. */
    const change = async (operations: Json[], name: string): Promise<Json> => {
      const dry = await call('edit_schema', { operations, dryRun: true });
      expect(dry.files.length).toBeGreaterThan(0);
      const edit = await call('edit_schema', { operations, diffHash: dry.diffHash });
      expect(edit.status).toBe('written');
      const generated = await call('generate_migration', { name });
      expect(generated.status, JSON.stringify(generated)).toBe('ok');
      expect((await call('apply_migrations', { dryRun: true })).ok).toBe(true);
      expect((await call('apply_migrations')).status).toBe('applied');
      return generated;
    };
    try {
      await initialize(server);
      await call('inspect_schema', { tables: ['users'] }); // the server has migrated the database by now
      seedEmbedded(path.join(project, 'data/app.db'));

      // Adding a new table with a foreign key (the seed's new_feature).
      const table = await change(
        [
          {
            op: 'add_table',
            table: 'new_feature',
            columns: [
              { name: 'id', type: 'text', primaryKey: true },
              { name: 'user_id', type: 'text', notNull: true, references: { table: 'users', column: 'id' } },
              { name: 'name', type: 'text', notNull: true },
              { name: 'created_at', type: 'text', notNull: true, default: { sql: 'CURRENT_TIMESTAMP' } },
            ],
          },
        ],
        'add_new_feature',
      );
      expect(table.sql).toMatch(/FOREIGN KEY \(`user_id`\) REFERENCES `users`\(`id`\)/);

      // Adding a column, then filling it with custom SQL (the backfill runs after the column exists).
      await change(
        [{ op: 'add_column', table: 'users', column: { name: 'nickname', type: 'text' } }],
        'add_nickname',
      );
      const backfill = await call('generate_migration', {
        custom: true,
        name: 'backfill_nickname',
        sql: '-- every user starts with their username\nUPDATE `users` SET `nickname` = `username` WHERE `nickname` IS NULL;',
      });
      expect(backfill).toMatchObject({ status: 'ok', tag: '0003_backfill_nickname' });
      expect((await call('apply_migrations', { dryRun: true })).rowCounts).toBeDefined();
      expect((await call('apply_migrations')).applied).toEqual(['0003_backfill_nickname']);

      // Adding a composite index (the seed's idx_messages_conv_created, here on check-ins).
      const index = await change(
        [
          {
            op: 'add_index',
            table: 'check_ins',
            name: 'idx_check_ins_user_mood',
            columns: ['user_id', 'mood'],
          },
        ],
        'add_mood_index',
      );
      expect(index.sql).toBe('CREATE INDEX `idx_check_ins_user_mood` ON `check_ins` (`user_id`,`mood`);');

      // Renaming a column: no missing_hints, the data kept.
      const rename = await change(
        [{ op: 'rename_column', table: 'users', column: 'username', to: 'display_name' }],
        'rename_username',
      );
      expect(rename.sql).toBe('ALTER TABLE `users` RENAME COLUMN `username` TO `display_name`;');

      const users = await call('run_query', {
        sql: 'SELECT id, display_name, nickname FROM users ORDER BY id',
      });
      expect(users.rows).toEqual([
        ['u1', 'ada', 'ada'],
        ['u2', 'bob', 'bob'],
      ]);
      await call('write_rows', {
        table: 'newFeature',
        action: 'insert',
        rows: [{ id: 'f1', userId: 'u1', name: 'streaks' }],
      });
      expect((await call('select_rows', { table: 'new_feature', columns: ['name'] })).rows).toEqual([
        ['streaks'],
      ]);

      // An edit generated but not applied, undone in one call: schema file and migration files as before.
      const schemaFile = path.join(project, 'src/db/schema.ts');
      const schemaBefore = fs.readFileSync(schemaFile, 'utf8');
      const folderBefore = fs.readdirSync(path.join(project, 'drizzle')).sort();
      const edit = await call('edit_schema', {
        operations: [{ op: 'drop_column', table: 'check_ins', column: 'notes' }],
      });
      const generated = await call('generate_migration', { name: 'drop_notes' });
      expect(generated.findings).toEqual([expect.objectContaining({ code: 'DS103', dataLoss: true })]);
      const preview = await call('edit_schema', { revert: edit.editId, dryRun: true });
      expect(preview.migrationsRemoved).toEqual([generated.tag]);
      const reverted = await call('edit_schema', { revert: edit.editId });
      expect(reverted).toMatchObject({ status: 'reverted', migrationsRemoved: [generated.tag] });
      expect(fs.readFileSync(schemaFile, 'utf8')).toBe(schemaBefore);
      expect(fs.readdirSync(path.join(project, 'drizzle')).sort()).toEqual(folderBefore);
      const status = await call('migration_status');
      expect(status).toMatchObject({ consistent: true, counts: { pending: 0 }, drift: { inSync: true } });

      const audit = await call('read_audit_log', { tool: 'edit_schema', outcome: 'ok' });
      expect(audit.rows.length).toBeGreaterThanOrEqual(10);
    } finally {
      const { code } = await server.exited();
      expect(code).toBe(0);
    }
    expect(nonJsonRpcLines(server.stdout())).toEqual([]);
    expect(await typecheck(project)).toBe('');
    expect(await drizzleKit(project, 'generate')).toContain('No schema changes');
  });
});
