// Generating a migration without MCP. The kit worker (which runs the user's schema through drizzle-kit) is the one
// part replaced here, by answers it really gives; its own behaviour is tested in test/integration/kit-client.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateNextMigration, type GenerateServices } from '../../src/app/generate-migration.js';
import { AppError } from '../../src/core/errors.js';
import { serverTables } from '../../src/guard/server-tables.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import type { GenerateOutcome as KitAnswer } from '../../src/project/kit-client.js';
import type { ProjectConfig } from '../../src/project/types.js';
import { openWriteConnection, type SqliteDatabase } from '../../src/sqlite/connection.js';
import { recordingContext } from '../helpers/call-context.js';
import { makeTempDir, writeFixtureFolder } from '../helpers/migration-fixtures.js';

const opened: SqliteDatabase[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function world(answer: () => KitAnswer) {
  const dir = makeTempDir('dsm-app-generate-');
  dirs.push(dir);
  const outDir = path.join(dir, 'drizzle');
  writeFixtureFolder(outDir, [
    { name: 'init', statements: ['CREATE TABLE `t` (`id` integer PRIMARY KEY);'] },
  ]);
  const read = openWriteConnection(path.join(dir, 'app.db'), { busyTimeoutMs: 1000, create: true });
  opened.push(read);
  const project: ProjectConfig = {
    root: dir,
    configFile: undefined,
    schemaFiles: [path.join(dir, 'schema.ts')],
    outDir,
    dbFile: path.join(dir, 'app.db'),
    tablesFilter: undefined,
    casing: undefined,
    migrationsTable: '__drizzle_migrations',
    breakpoints: true,
  };
  let calls = 0;
  const services: GenerateServices = {
    read,
    tables: serverTables(),
    project,
    kit: {
      generate: async () => {
        calls += 1;
        return answer();
      },
    },
  };
  return { services, outDir, kitCalls: () => calls };
}

const failed = (code: 'SCHEMA_LOAD_FAILED' | 'CONFIG_ERROR'): KitAnswer => ({
  loaded: false,
  error: new AppError(code, 'schema.ts could not be loaded: Unexpected ";"', {
    hint: 'Fix the syntax error.',
  }),
});

describe('generateNextMigration', () => {
  it('reports a schema that does not load as a failure with its code, and writes nothing', async () => {
    const { services, outDir } = world(() => failed('SCHEMA_LOAD_FAILED'));
    const outcome = await generateNextMigration(recordingContext(services).context, { custom: false });
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.error).toMatchObject({ code: 'SCHEMA_LOAD_FAILED', hint: 'Fix the syntax error.' });
    expect(readMigrationFolder(outDir).migrations.map((m) => m.tag)).toEqual(['0000_init']);
  });

  it('reports a project without a schema file as a CONFIG_ERROR failure, without asking the kit', async () => {
    const { services, kitCalls } = world(() => failed('CONFIG_ERROR'));
    services.project.schemaFiles = [];
    const outcome = await generateNextMigration(recordingContext(services).context, { custom: false });
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'CONFIG_ERROR' } });
    expect(kitCalls()).toBe(0);
  });

  it('passes no_changes and missing_hints through, writing nothing', async () => {
    const noChanges = world(() => ({ loaded: true, diff: { status: 'no_changes' } }));
    expect(
      await generateNextMigration(recordingContext(noChanges.services).context, { custom: false }),
    ).toEqual({
      status: 'no_changes',
    });
    const missingHints = [
      {
        type: 'rename_or_create' as const,
        kind: 'table' as const,
        entity: ['public', 'b'] as const,
        candidates: [['public', 't'] as const],
      },
    ];
    const ambiguous = world(() => ({ loaded: true, diff: { status: 'missing_hints', missingHints } }));
    expect(
      await generateNextMigration(recordingContext(ambiguous.services).context, { custom: false }),
    ).toEqual({
      status: 'missing_hints',
      missingHints,
    });
    expect(readMigrationFolder(ambiguous.outDir).migrations).toHaveLength(1);
  });

  it('writes an empty custom migration without loading the schema', async () => {
    const { services, outDir, kitCalls } = world(() => failed('SCHEMA_LOAD_FAILED'));
    const outcome = await generateNextMigration(recordingContext(services).context, {
      custom: true,
      name: 'backfill',
    });
    expect(outcome).toMatchObject({
      status: 'written',
      findings: [],
      renames: [],
      written: { tag: '0001_backfill' },
    });
    expect(kitCalls()).toBe(0);
    expect(readMigrationFolder(outDir).migrations.map((m) => m.tag)).toEqual(['0000_init', '0001_backfill']);
  });

  it('records the files it wrote even when the client cancelled while the diff ran (issue 11 class 6)', async () => {
    const controller = new AbortController();
    const { services, outDir } = world(() => failed('SCHEMA_LOAD_FAILED'));
    services.kit = {
      generate: async () => {
        // The client gives up while the kit worker is diffing; the files are written all the same.
        controller.abort();
        return {
          loaded: true,
          diff: {
            status: 'ok',
            statements: ['ALTER TABLE `t` ADD `x` integer;'],
            snapshot: {
              text: JSON.stringify({
                version: '6',
                dialect: 'sqlite',
                id: 'b0000000-0000-4000-8000-000000000001',
                prevId: readMigrationFolder(outDir).latestSnapshot!.id,
                tables: {},
                views: {},
                enums: {},
                _meta: { schemas: {}, tables: {}, columns: {} },
              }),
              id: 'b0000000-0000-4000-8000-000000000001',
              prevId: readMigrationFolder(outDir).latestSnapshot!.id,
            },
            renames: [],
          },
        } as never;
      },
    };
    const call = recordingContext(services, { signal: controller.signal });
    const outcome = await generateNextMigration(call.context, { custom: false, name: 'late' });
    expect(outcome.status).toBe('written');
    expect(controller.signal.aborted).toBe(true);
    expect(call.details).toMatchObject({
      status: 'ok',
      tag: '0001_late',
      files: [
        path.join('drizzle', '0001_late.sql'),
        path.join('drizzle', 'meta', '0001_snapshot.json'),
        path.join('drizzle', 'meta', '_journal.json'),
      ],
    });
    expect(readMigrationFolder(outDir).migrations.map((m) => m.tag)).toEqual(['0000_init', '0001_late']);
  });
});
