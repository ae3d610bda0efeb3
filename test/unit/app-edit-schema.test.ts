// The edit_schema procedures without MCP, on a temp copy of the embedded default: the schema is loaded in-process
// the way the kit worker loads it (esbuild bundle + drizzle-kit), the audit log and the edit records are real. What
// these prove: a dry run writes nothing; a real edit refuses a diff other than the reviewed one; every failure after
// the write (load, verification, audit row) puts the files back byte for byte; an interrupted edit is settled;
// revert restores the files and removes the unapplied migrations since, and refuses when that would lose anything.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, describe, expect, it } from 'vitest';
import { editProjectSchema } from '../../src/app/edit-schema.js';
import { revertSchemaEdit, type RevertServices } from '../../src/app/revert-schema-edit.js';
import { AuditLog, ensureAuditTable } from '../../src/audit/audit-log.js';
import { AppError } from '../../src/core/errors.js';
import { serverTables } from '../../src/guard/server-tables.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { writeMigration } from '../../src/migrations/write.js';
import { loadSchema } from '../../src/project/load-project.js';
import type { LoadedSchema, ProjectConfig } from '../../src/project/types.js';
import { EditRecords } from '../../src/schema-edit/records.js';
import { recordingContext } from '../helpers/call-context.js';
import { copyEmbeddedProject, REPO_ROOT, removeDir } from '../helpers/project.js';

const dirs: string[] = [];
const dbs: Database.Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) removeDir(dir);
});

const ADD_BIO = [{ op: 'add_column', table: 'users', column: { name: 'bio', type: 'text' } }];

interface World {
  root: string;
  schemaFile: string;
  services: RevertServices;
  db: Database.Database;
  audit: AuditLog;
  loads: () => number;
}

/** The embedded default in a temp folder, its database migrated by drizzle-orm's own migrator. */
function world(
  options: {
    load?: (project: ProjectConfig, real: () => Promise<LoadedSchema>, call: number) => Promise<LoadedSchema>;
  } = {},
): World {
  const root = copyEmbeddedProject();
  dirs.push(root);
  const project: ProjectConfig = {
    root,
    configFile: path.join(root, 'drizzle.config.ts'),
    schemaFiles: [path.join(root, 'src/db/schema.ts')],
    outDir: path.join(root, 'drizzle'),
    dbFile: path.join(root, 'data/app.db'),
    tablesFilter: undefined,
    casing: undefined,
    migrationsTable: '__drizzle_migrations',
    breakpoints: true,
  };
  const db = new Database(project.dbFile);
  dbs.push(db);
  migrate(drizzle(db), { migrationsFolder: project.outDir });
  ensureAuditTable(db, 'audit_log');
  const audit = new AuditLog(db, 'audit_log');
  let calls = 0;
  let tail: Promise<unknown> = Promise.resolve();
  const services: RevertServices = {
    project,
    read: db,
    tables: serverTables(),
    audit,
    edits: new EditRecords(path.join(root, 'data/backups/schema-edits'), root),
    kit: {
      loadSchema: (p) => {
        calls += 1;
        const real = () => loadSchema(p, undefined, { fallbackResolveDir: REPO_ROOT });
        return options.load ? options.load(p, real, calls) : real();
      },
    },
    exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
      const run = tail.then(fn);
      tail = run.catch(() => undefined);
      return run;
    },
  };
  return { root, schemaFile: project.schemaFiles[0]!, services, db, audit, loads: () => calls };
}

/** The context the registry would build, with the ok row appended where the procedure commits it. */
function call(services: RevertServices) {
  return recordingContext(services);
}

/** The config names a barrel (src/db/schema/index.ts) that re-exports the schema file: new files join it. */
function withBarrel(w: World): string {
  const barrel = path.join(w.root, 'src/db/schema/index.ts');
  fs.mkdirSync(path.dirname(barrel));
  fs.writeFileSync(barrel, "export * from '../schema';\n");
  w.services.project = { ...w.services.project, schemaFiles: [barrel] };
  return barrel;
}

const addTable = (file?: string) => [
  {
    op: 'add_table',
    table: 'notes',
    ...(file ? { file } : {}),
    columns: [{ name: 'id', type: 'integer', primaryKey: true }],
  },
];

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const read = (file: string) => fs.readFileSync(file, 'utf8');

describe('editProjectSchema', () => {
  it('dry run: returns the diff and its hash, writes nothing, records nothing', async () => {
    const w = world();
    const before = read(w.schemaFile);
    const recorded = call(w.services);
    const outcome = await editProjectSchema(recorded.context, { operations: ADD_BIO, dryRun: true });
    expect(outcome.status).toBe('dry_run');
    expect(outcome.files).toEqual([
      { path: 'src/db/schema.ts', diff: expect.stringContaining("+  bio: text('bio'),") },
    ]);
    expect(outcome.diffHash).toMatch(/^[0-9a-f]{64}$/);
    expect(read(w.schemaFile)).toBe(before);
    expect(w.services.edits.list()).toEqual([]);
    expect(recorded.committed).toBe(false);
    expect(recorded.details).toMatchObject({
      dryRun: true,
      diffHash: outcome.diffHash,
      files: ['src/db/schema.ts'],
    });
  });

  it('writes the reviewed diff, verifies it, commits its audit row and a committed record', async () => {
    const w = world();
    const dry = await editProjectSchema(call(w.services).context, { operations: ADD_BIO, dryRun: true });
    const recorded = call(w.services);
    const outcome = await editProjectSchema(recorded.context, {
      operations: ADD_BIO,
      dryRun: false,
      diffHash: dry.diffHash,
    });
    if (outcome.status !== 'written') throw new Error('not written');
    expect(read(w.schemaFile)).toContain("  bio: text('bio'),\n");
    expect(recorded.committed).toBe(true);
    expect(recorded.target).toEqual({ type: 'schema_edit', id: outcome.editId });
    const [row] = w.audit.read({ limit: 5 }).rows;
    expect(JSON.parse(row!.details!)).toMatchObject({ editId: outcome.editId, diffHash: dry.diffHash });
    const record = w.services.edits.get(outcome.editId)!;
    expect(record).toMatchObject({ state: 'committed', diffHash: dry.diffHash });
    expect(record.files[0]!.before).not.toContain('bio');
  });

  it('refuses a diff other than the reviewed one, with the fresh diff, and writes nothing', async () => {
    const w = world();
    const dry = await editProjectSchema(call(w.services).context, { operations: ADD_BIO, dryRun: true });
    // A line above the change moves it: the diff that was reviewed is no longer what would be written.
    fs.writeFileSync(w.schemaFile, `// edited by someone else\n${read(w.schemaFile)}`);
    const changed = read(w.schemaFile);
    const error = await refusal(
      editProjectSchema(call(w.services).context, {
        operations: ADD_BIO,
        dryRun: false,
        diffHash: dry.diffHash,
      }),
    );
    expect(error.code).toBe('SCHEMA_CHANGED');
    const fresh = error.details as { diffHash: string; files: Array<{ diff: string }> };
    expect(fresh.diffHash).not.toBe(dry.diffHash);
    expect(fresh.files[0]!.diff).toContain("+  bio: text('bio'),");
    expect(read(w.schemaFile)).toBe(changed);
  });

  it('refuses when the files keep changing while they are loaded', async () => {
    const w = world({
      load: async (_project, real) => {
        const loaded = await real();
        fs.appendFileSync(w.schemaFile, '// saved again\n');
        return loaded;
      },
    });
    const error = await refusal(
      editProjectSchema(call(w.services).context, { operations: ADD_BIO, dryRun: true }),
    );
    expect(error.code).toBe('SCHEMA_CHANGED');
    expect(w.loads()).toBe(2);
  });

  it('puts the file back byte for byte when the edited schema does not load as asked', async () => {
    let first: LoadedSchema | undefined;
    const w = world({
      // After the write, answer with the schema as it was: the edit seems not to have happened.
      load: async (_project, real, n) => (n === 1 ? (first = await real()) : first!),
    });
    const before = read(w.schemaFile);
    const error = await refusal(
      editProjectSchema(call(w.services).context, { operations: ADD_BIO, dryRun: false }),
    );
    expect(error.code).toBe('SCHEMA_EDIT_UNVERIFIED');
    expect(error.message).toMatch(/column "bio" is missing/);
    expect(read(w.schemaFile)).toBe(before);
    expect(w.services.edits.list()).toEqual([]);
  });

  it('puts the file back when the edited schema does not load at all', async () => {
    const w = world({
      load: async (_project, real, n) => {
        if (n === 1) return real();
        throw new AppError('SCHEMA_LOAD_FAILED', 'schema.ts could not be loaded: boom');
      },
    });
    const before = read(w.schemaFile);
    const error = await refusal(
      editProjectSchema(call(w.services).context, { operations: ADD_BIO, dryRun: false }),
    );
    expect(error.code).toBe('SCHEMA_LOAD_FAILED');
    expect(error.message).toMatch(/did not load, so the edit was undone: .*boom/);
    expect(read(w.schemaFile)).toBe(before);
  });

  it('puts the files back (and removes a created file) when the audit row cannot be written', async () => {
    const w = world();
    const barrel = withBarrel(w);
    const barrelText = read(barrel);
    w.services.audit = {
      read: w.audit.read.bind(w.audit),
      append: () => {
        throw new AppError('AUDIT_WRITE_FAILED', 'The audit log could not be written: disk full.');
      },
    };
    const before = read(w.schemaFile);
    const operations = addTable('src/db/schema/notes.ts');
    const dry = await editProjectSchema(call(w.services).context, { operations, dryRun: true });
    expect(dry.files.map((file) => file.path).sort()).toEqual([
      'src/db/schema/index.ts',
      'src/db/schema/notes.ts',
    ]);
    const error = await refusal(editProjectSchema(call(w.services).context, { operations, dryRun: false }));
    expect(error.code).toBe('AUDIT_WRITE_FAILED');
    expect(read(w.schemaFile)).toBe(before);
    expect(read(barrel)).toBe(barrelText);
    expect(fs.existsSync(path.join(w.root, 'src/db/schema/notes.ts'))).toBe(false);
    expect(w.services.edits.list()).toEqual([]);
  });

  it("refuses the server's own tables, a file outside the project, and overwriting a file that is not a schema file", async () => {
    const w = world();
    const ctx = () => call(w.services).context;
    const own = await refusal(
      editProjectSchema(ctx(), {
        operations: [{ op: 'drop_column', table: 'audit_log', column: 'details' }],
        dryRun: true,
      }),
    );
    expect(own.code).toBe('PROTECTED_TABLE');
    const outside = await refusal(
      editProjectSchema(ctx(), { operations: addTable('../evil.ts'), dryRun: true }),
    );
    expect(outside).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/outside the project/),
    });
    // The config names one file and nothing would re-export a new one: drizzle-kit would never see its table.
    const stray = await refusal(
      editProjectSchema(ctx(), { operations: addTable('src/db/notes.ts'), dryRun: true }),
    );
    expect(stray).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/would not be part of the schema/),
    });
    // Reached through the barrel, but the file exists and is not a schema file: never overwritten.
    withBarrel(w);
    const app = path.join(w.root, 'src/db/schema/app.ts');
    fs.writeFileSync(app, 'export const app = 1;\n');
    const existing = await refusal(
      editProjectSchema(ctx(), { operations: addTable('src/db/schema/app.ts'), dryRun: false }),
    );
    expect(existing).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/already exists/),
    });
    expect(read(app)).toBe('export const app = 1;\n');
  });

  it('settles an interrupted edit before the next one: audited → committed; not audited → its files put back', async () => {
    const w = world();
    const before = read(w.schemaFile);
    const done = await editProjectSchema(call(w.services).context, { operations: ADD_BIO, dryRun: false });
    if (done.status !== 'written') throw new Error('not written');
    const record = w.services.edits.get(done.editId)!;
    const addNote = [{ op: 'add_column', table: 'users', column: { name: 'note', type: 'text' } }];

    // A crash after the audit row, before the record was marked: it is completed, the file left as it is.
    w.services.edits.save({ ...record, state: 'pending' });
    const next = await editProjectSchema(call(w.services).context, { operations: addNote, dryRun: false });
    expect(next.warnings).toEqual([]);
    expect(w.services.edits.get(done.editId)!.state).toBe('committed');
    expect(read(w.schemaFile)).toMatch(/bio: text\('bio'\),\n {2}note: text\('note'\),/);

    // A crash before the audit row (none names the edit): the edit is undone before the next one is made.
    if (next.status !== 'written') throw new Error('not written');
    const second = w.services.edits.get(next.editId)!;
    w.db.prepare('DELETE FROM audit_log WHERE target_id = ?').run(next.editId);
    w.services.edits.save({ ...second, state: 'pending' });
    const third = await editProjectSchema(call(w.services).context, { operations: addNote, dryRun: false });
    expect(third.warnings[0]).toMatch(/was interrupted before it was recorded.*put back/);
    expect(w.services.edits.get(next.editId)).toBeUndefined();
    // The interrupted edit was undone, and the new one made on the file as it was before it.
    expect(read(w.schemaFile).match(/note: text/g)).toHaveLength(1);
    expect(read(w.schemaFile)).not.toBe(before);
  });
});

describe('revertSchemaEdit', () => {
  async function edited(w: World) {
    const outcome = await editProjectSchema(call(w.services).context, { operations: ADD_BIO, dryRun: false });
    if (outcome.status !== 'written') throw new Error('not written');
    return outcome.editId;
  }

  it('restores the files of an edit no migration was written for, audited, once', async () => {
    const w = world();
    const before = read(w.schemaFile);
    const editId = await edited(w);
    const dry = await revertSchemaEdit(call(w.services).context, { editId, dryRun: true });
    expect(dry).toMatchObject({ status: 'dry_run', migrationsRemoved: [] });
    expect(dry.files[0]!.diff).toContain("-  bio: text('bio'),");
    expect(read(w.schemaFile)).not.toBe(before);
    const recorded = call(w.services);
    const outcome = await revertSchemaEdit(recorded.context, { editId, dryRun: false });
    expect(outcome).toMatchObject({ status: 'reverted', warnings: [] });
    expect(read(w.schemaFile)).toBe(before);
    expect(recorded.committed).toBe(true);
    expect(w.services.edits.get(editId)!.state).toBe('reverted');
    const again = await refusal(revertSchemaEdit(call(w.services).context, { editId, dryRun: false }));
    expect(again).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/already reverted/),
    });
  });

  it('removes the unapplied migrations written since the edit, journal entry and snapshot included', async () => {
    const w = world();
    const folderBefore = fs.readdirSync(path.join(w.root, 'drizzle/meta')).sort();
    const journalBefore = read(path.join(w.root, 'drizzle/meta/_journal.json'));
    const editId = await edited(w);
    const written = await writeMigration(w.services.project.outDir, {
      custom: true,
      name: 'backfill',
      statements: ["UPDATE `users` SET `bio` = 'hi';"],
    });
    const outcome = await revertSchemaEdit(call(w.services).context, { editId, dryRun: false });
    expect(outcome.migrationsRemoved).toEqual([written.tag]);
    expect(fs.existsSync(written.sqlFile)).toBe(false);
    expect(fs.readdirSync(path.join(w.root, 'drizzle/meta')).sort()).toEqual(folderBefore);
    expect(readMigrationFolder(w.services.project.outDir).journal!.entries.map((e) => e.tag)).toEqual([
      '0000_init',
    ]);
    expect(JSON.parse(read(path.join(w.root, 'drizzle/meta/_journal.json')))).toEqual(
      JSON.parse(journalBefore),
    );
  });

  it('refuses when a migration since the edit is applied, and changes nothing', async () => {
    const w = world();
    const editId = await edited(w);
    const written = await writeMigration(w.services.project.outDir, {
      custom: true,
      name: 'noop',
      statements: ['SELECT 1;'],
    });
    migrate(drizzle(w.db), { migrationsFolder: w.services.project.outDir });
    const edited_ = read(w.schemaFile);
    const error = await refusal(revertSchemaEdit(call(w.services).context, { editId, dryRun: false }));
    expect(error).toMatchObject({
      code: 'MIGRATION_CONFLICT',
      message: expect.stringContaining(written.tag),
    });
    expect(read(w.schemaFile)).toBe(edited_);
    expect(fs.existsSync(written.sqlFile)).toBe(true);
  });

  it('refuses when a file changed since the edit', async () => {
    const w = world();
    const editId = await edited(w);
    fs.appendFileSync(w.schemaFile, '// later\n');
    const error = await refusal(revertSchemaEdit(call(w.services).context, { editId, dryRun: false }));
    expect(error).toMatchObject({ code: 'SCHEMA_CHANGED', details: { changed: ['src/db/schema.ts'] } });
    expect(read(w.schemaFile)).toMatch(/\/\/ later\n$/);
  });

  it('puts everything back when the audit row cannot be written', async () => {
    const w = world();
    const editId = await edited(w);
    const written = await writeMigration(w.services.project.outDir, {
      custom: true,
      name: 'x',
      statements: ['SELECT 1;'],
    });
    const edited_ = read(w.schemaFile);
    const journal = read(path.join(w.root, 'drizzle/meta/_journal.json'));
    w.services.audit = {
      read: w.audit.read.bind(w.audit),
      append: () => {
        throw new AppError('AUDIT_WRITE_FAILED', 'The audit log could not be written.');
      },
    };
    const error = await refusal(revertSchemaEdit(call(w.services).context, { editId, dryRun: false }));
    expect(error.code).toBe('AUDIT_WRITE_FAILED');
    expect(read(w.schemaFile)).toBe(edited_);
    expect(read(path.join(w.root, 'drizzle/meta/_journal.json'))).toBe(journal);
    expect(fs.existsSync(written.sqlFile)).toBe(true);
    expect(w.services.edits.get(editId)!.state).toBe('committed');
  });

  it('ignores a record that names a file outside the project (a revert would write it)', async () => {
    const w = world();
    const editId = await edited(w);
    const record = w.services.edits.get(editId)!;
    const outside = path.join(w.root, '..', 'outside.txt');
    fs.writeFileSync(outside, 'theirs\n');
    const forged = { ...record, files: [{ ...record.files[0]!, path: '../outside.txt', before: 'ours\n' }] };
    fs.writeFileSync(path.join(w.services.edits.dir, `${editId}.json`), JSON.stringify(forged));
    dirs.push(outside);
    const error = await refusal(revertSchemaEdit(call(w.services).context, { editId, dryRun: false }));
    expect(error.code).toBe('NOT_FOUND');
    expect(read(outside)).toBe('theirs\n');
  });

  it('names the edits that can be reverted when the id is unknown', async () => {
    const w = world();
    const editId = await edited(w);
    const error = await refusal(revertSchemaEdit(call(w.services).context, { editId: 'nope', dryRun: true }));
    expect(error).toMatchObject({ code: 'NOT_FOUND', hint: expect.stringContaining(editId) });
  });
});
