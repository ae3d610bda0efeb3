// How projects load (test/fixtures/corpus): a schema with named imports from a CommonJS package (F), a config
// reading Bun's `Bun.env` (O), a drizzle-kit 0.20 config without `dialect` over a version-5 history (G). Each
// loads as the project's own drizzle-kit loads it, or is refused with the fix.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstUserFrame } from '../../src/project/import-module.js';
import { corpusSession, type Json } from '../helpers/corpus.js';
import { errorTextOf } from '../helpers/mcp.js';

const { fixture, start } = corpusSession();

describe('a schema with named imports from a CommonJS package (F)', () => {
  it('loads as drizzle-kit’s require() loads it: inspect names the table, generate has nothing to do', async () => {
    const project = fixture('cjs-named-import');
    fs.cpSync(path.join(project, 'vendor/short-ids'), path.join(project, 'node_modules/short-ids'), {
      recursive: true,
    });
    const h = await start(project);
    const schema = await h.ok<Json>('inspect_schema', { rowCounts: false });
    expect(schema.drizzleSchema).toBeUndefined();
    expect(schema.tables.find((table: Json) => table.name === 'short_links').drizzle).toBe('shortLinks');
    expect((await h.ok<Json>('generate_migration', {})).status).toBe('no_changes');
  });

  it('still names the user’s file and line when the schema really throws, never a frame of Node’s loader', async () => {
    const project = fixture('cjs-named-import');
    fs.cpSync(path.join(project, 'vendor/short-ids'), path.join(project, 'node_modules/short-ids'), {
      recursive: true,
    });
    const schemaFile = path.join(project, 'src/schema.ts');
    fs.appendFileSync(schemaFile, '\nthrow new Error(`schema broke on ${size}`);\n');
    const line = fs.readFileSync(schemaFile, 'utf8').split('\n').length - 1;
    const h = await start(project, ['--no-migrate-on-start']);
    const result = await h.call('generate_migration', {});
    expect(errorTextOf(result)).toMatch(/schema broke on 12/);
    expect(errorTextOf(result)).toContain(`(at ${schemaFile}:${line}:`);
  });

  it('takes no frame of Node’s own loader for the user’s', () => {
    const stack = [
      "SyntaxError: The requested module 'x' does not provide an export named 'size'",
      '    at ModuleJob._instantiate (node:internal/modules/esm/module_job:213:21)',
      '    at async ModuleJob.run (node:internal/modules/esm/module_job:320:5)',
    ].join('\n');
    expect(firstUserFrame(stack)).toBeUndefined();
    expect(firstUserFrame(`Error: x\n    at f (file:///p/src/schema.ts:3:9)\n    at /p/a.js:1:2`)).toBe(
      '/p/src/schema.ts:3:9',
    );
    expect(firstUserFrame(`Error: x\n    at /p/node_modules/q/i.js:1:1\n    at /p/a.js:1:2`)).toBe(
      '/p/a.js:1:2',
    );
  });
});

describe('a Bun project’s config (O)', () => {
  it('reads Bun.env as process.env: the database named in .env is used', async () => {
    const project = fixture('bun-env-config');
    fs.writeFileSync(path.join(project, '.env'), 'DB_URL=./from-env.sqlite\n');
    const h = await start(project);
    expect(h.services.project.dbFile).toBe(path.join(project, 'from-env.sqlite'));
    expect((await h.ok<Json>('migration_status', { drift: false })).counts).toMatchObject({ applied: 1 });
  });

  it('says what to do when the config uses another Bun API', async () => {
    const project = fixture('bun-env-config');
    const config = path.join(project, 'drizzle.config.ts');
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('Bun.env.DB_URL', 'Bun.file("x").name'));
    await expect(start(project)).rejects.toMatchObject({
      code: 'CONFIG_ERROR',
      message: expect.stringMatching(/Bun is not defined/),
      hint: expect.stringMatching(/Bun\.env` is provided/),
    });
  });
});

describe('a drizzle-kit 0.20 project: no dialect in the config, version-5 journal and snapshots (G)', () => {
  it('is read as SQLite: status, apply and inspect work; generate names `drizzle-kit up`', async () => {
    const project = fixture('legacy-config');
    const h = await start(project, ['--db', path.join(project, 'app.db'), '--no-migrate-on-start']);
    const status = await h.ok<Json>('migration_status', { drift: false });
    expect(status.counts).toMatchObject({ pending: 1 });
    expect(status.consistent).toBe(true);
    expect((await h.ok<Json>('apply_migrations', {})).applied).toEqual(['0000_eminent_drax']);
    const schema = await h.ok<Json>('inspect_schema', { rowCounts: false });
    expect(schema.tables.map((table: Json) => table.name)).toEqual(
      expect.arrayContaining(['lessons', 'progress']),
    );
    const generate = await h.call('generate_migration', {});
    expect(generate.isError).toBe(true);
    expect(errorTextOf(generate)).toMatch(/SNAPSHOT_OUTDATED/);
    expect(errorTextOf(generate)).toMatch(/npx drizzle-kit up/);
    expect(errorTextOf(generate)).not.toMatch(/undefined/);
  });
});
