// Generating a migration without MCP. The kit worker (which runs the user's schema through drizzle-kit) is the one
// part replaced here, by answers it really gives; its own behaviour is tested in test/integration/kit-client.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateNextMigration, type GenerateServices } from '../../src/app/generate-migration.js';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import { AppError } from '../../src/core/errors.js';
import { serverTables } from '../../src/guard/server-tables.js';
import { idsOfLatestSchema, readMigrationFolder } from '../../src/migrations/folder.js';
import type { GenerateOutcome as KitAnswer } from '../../src/project/kit-client.js';
import type { ProjectConfig } from '../../src/project/types.js';
import { EditRecords, type EditRecord } from '../../src/schema-edit/records.js';
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
  ensureAuditTable(read, 'audit_log');
  const services: GenerateServices = {
    read,
    tables: serverTables({ auditTable: 'audit_log' }),
    project,
    edits: new EditRecords(path.join(dir, 'backups/schema-edits'), dir),
    audit: new AuditLog(read, 'audit_log'),
    kit: {
      generate: async () => {
        calls += 1;
        return answer();
      },
      generateV1: () => Promise.reject(new Error('a 0.x project never runs drizzle-kit 1.x')),
    },
    // No drizzle-kit in the project: the server's own runs (the 0.x journal line).
    drizzle: () => ({ found: {}, choice: { kit: { source: 'bundled', line: '0.x', version: '0.31.11' } } }),
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
    expect(readMigrationFolder(outDir).migrations.map((m) => m.tag)).toStrictEqual(['0000_init']);
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
    ).toStrictEqual({
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
    ).toStrictEqual({
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
    expect(readMigrationFolder(outDir).migrations.map((m) => m.tag)).toStrictEqual([
      '0000_init',
      '0001_backfill',
    ]);
  });

  it('writes custom SQL one statement per chunk, comments kept, through the same writer, linted at once', async () => {
    const { services, outDir, kitCalls } = world(() => failed('SCHEMA_LOAD_FAILED'));
    const sql = [
      '-- fill the new column',
      'UPDATE `t` SET `id` = `id` WHERE `id` > 0; -- no-op',
      '--> statement-breakpoint',
      "CREATE TRIGGER `t_ai` AFTER INSERT ON `t` BEGIN SELECT 'a;b'; END;",
      'CREATE VIEW `v` AS SELECT 1',
    ].join('\n');
    const outcome = await generateNextMigration(recordingContext(services).context, {
      custom: true,
      name: 'backfill',
      sql,
    });
    expect(outcome).toMatchObject({ status: 'written', written: { tag: '0001_backfill' } });
    expect(kitCalls()).toBe(0);
    const [, written] = readMigrationFolder(outDir).migrations;
    expect(written!.chunks.map((chunk) => chunk.trim())).toEqual([
      '-- fill the new column\nUPDATE `t` SET `id` = `id` WHERE `id` > 0; -- no-op',
      "CREATE TRIGGER `t_ai` AFTER INSERT ON `t` BEGIN SELECT 'a;b'; END;",
      'CREATE VIEW `v` AS SELECT 1',
    ]);
  });

  it.each([
    ['transaction control', 'BEGIN;\nUPDATE `t` SET `id` = 1;\nCOMMIT;', /SQ205/],
    ["the server's own tables", 'DELETE FROM `audit_log`;', /SQ209/],
    ['VACUUM', 'VACUUM;', /SQ208/],
  ])('refuses custom SQL with %s and writes nothing', async (_name, sql, code) => {
    const { services, outDir } = world(() => failed('SCHEMA_LOAD_FAILED'));
    await expect(
      generateNextMigration(recordingContext(services).context, { custom: true, sql }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(code) });
    expect(readMigrationFolder(outDir).migrations.map((m) => m.tag)).toEqual(['0000_init']);
  });

  it('refuses custom SQL that is only comments, or holds a NUL', async () => {
    const { services } = world(() => failed('SCHEMA_LOAD_FAILED'));
    const context = () => recordingContext(services).context;
    await expect(
      generateNextMigration(context(), { custom: true, sql: '-- nothing\n/* here */' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/no statement/) });
    await expect(
      generateNextMigration(context(), { custom: true, sql: 'DELETE FROM `t`\u0000 WHERE `id` = 1;' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/control character/),
    });
  });

  it('says which schema edits still wait for their migration when custom SQL is written, and they keep waiting', async () => {
    const { services, outDir } = world(() => failed('SCHEMA_LOAD_FAILED'));
    const record = (changesSnapshot: boolean): EditRecord => ({
      version: 1,
      id: services.edits.newId(),
      createdAt: new Date().toISOString(),
      root: services.project.root,
      state: 'committed',
      baseSnapshotId: readMigrationFolder(outDir).latestSnapshot!.id,
      files: [],
      createdDirs: [],
      operations: [],
      renames: [],
      diffHash: '',
      beforeModel: [],
      changesSnapshot,
    });
    const schemaChange = record(true);
    services.edits.save(schemaChange);
    services.edits.save(record(false)); // TypeScript only: it needs no migration, so it never waits
    const outcome = await generateNextMigration(recordingContext(services).context, {
      custom: true,
      sql: 'SELECT 1;',
    });
    expect(outcome).toMatchObject({ status: 'written', waitingEdits: [schemaChange.id] });
    // A custom migration copies the schema it follows: the edit still waits for the migration of its change.
    expect(services.edits.waiting(idsOfLatestSchema(readMigrationFolder(outDir))).map((r) => r.id)).toEqual([
      schemaChange.id,
    ]);
  });

  it('records the files it wrote even when the client cancelled while the diff ran (issue 11 class 6)', async () => {
    const controller = new AbortController();
    const { services, outDir } = world(() => failed('SCHEMA_LOAD_FAILED'));
    services.kit = {
      generateV1: () => Promise.reject(new Error('a 0.x project never runs drizzle-kit 1.x')),
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
