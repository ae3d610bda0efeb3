// The kit worker for real: real files, real esbuild, real drizzle-kit, real worker thread.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { serialiseSnapshot } from '../../src/project/snapshot-text.js';
import { KitClient } from '../../src/project/kit-client.js';
import type { ProjectConfig, SchemaTable, SqliteSnapshot } from '../../src/project/types.js';
import { entryPoint } from '../../src/bin/entry-points.js';

const repo = path.resolve(import.meta.dirname, '../..');
const blogDir = path.join(repo, 'test/fixtures/blog');
const embeddedSchema = fs.readFileSync(path.join(repo, 'src/db/schema.ts'), 'utf8');
const embeddedSnapshot = readJson(path.join(repo, 'drizzle/meta/0000_snapshot.json')) as SqliteSnapshot;

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

const tempDirs: string[] = [];
/** A copy of the embedded default project in a temp dir (outside the repo: drizzle-orm resolves from our package). */
function tempProject(schema = embeddedSchema): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-'));
  tempDirs.push(dir);
  fs.copyFileSync(path.join(repo, 'drizzle.config.ts'), path.join(dir, 'drizzle.config.ts'));
  fs.cpSync(path.join(repo, 'drizzle'), path.join(dir, 'drizzle'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'src/db'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src/db/schema.ts'), schema);
  return dir;
}

function column(tables: SchemaTable[], exportName: string, property: string) {
  return tables.find((t) => t.exportName === exportName)?.columns.find((c) => c.property === property);
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** Runs the real drizzle-kit CLI's `generate` in a project and returns the SQL file it wrote. */
function cliGenerate(projectDir: string, name: string): string {
  execFileSync(
    process.execPath,
    [path.join(repo, 'node_modules/drizzle-kit/bin.cjs'), 'generate', '--name', name],
    {
      cwd: projectDir,
      env: { ...process.env, NODE_PATH: path.join(repo, 'node_modules') },
      stdio: 'pipe',
    },
  );
  const file = fs.readdirSync(path.join(projectDir, 'drizzle')).find((f) => f.endsWith(`_${name}.sql`));
  return fs.readFileSync(path.join(projectDir, 'drizzle', file!), 'utf8');
}

/** A database at the embedded default's first migration, with a few rows. */
function seededDatabase(): Database.Database {
  const db = new Database(':memory:');
  for (const statement of fs
    .readFileSync(path.join(repo, 'drizzle/0000_init.sql'), 'utf8')
    .split('--> statement-breakpoint')) {
    db.exec(statement);
  }
  db.exec(`INSERT INTO users (id, email, username) VALUES ('u1', 'a@example.com', 'ada')`);
  db.exec(
    `INSERT INTO check_ins (id, user_id, mood, craving_level, notes) VALUES ('c1', 'u1', 4, 2, 'calm day')`,
  );
  return db;
}

const output: string[] = [];
const KIT_WORKER = entryPoint('kit-worker');
const kit = new KitClient({ entry: KIT_WORKER, onOutput: (_stream, text) => output.push(text) });

afterEach(() => {
  output.length = 0;
});
afterAll(async () => {
  await kit.close();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('loadProjectConfig', () => {
  it('loads the embedded default project', async () => {
    const config = await kit.loadProjectConfig({ projectDir: repo });
    expect(config).toEqual({
      root: repo,
      configFile: path.join(repo, 'drizzle.config.ts'),
      schemaFiles: [path.join(repo, 'src/db/schema.ts')],
      outDir: path.join(repo, 'drizzle'),
      dbFile: path.join(repo, 'data/app.db'),
      tablesFilter: undefined,
      casing: undefined,
      migrationsTable: '__drizzle_migrations',
      breakpoints: true,
    } satisfies ProjectConfig);
  });

  it('loads the blog fixture: split schema glob, casing, its own ledger table, a file: URL', async () => {
    const config = await kit.loadProjectConfig({ projectDir: blogDir });
    expect(config).toMatchObject({
      configFile: path.join(blogDir, 'drizzle.config.ts'),
      schemaFiles: [path.join(blogDir, 'src/schema/authors.ts'), path.join(blogDir, 'src/schema/posts.ts')],
      outDir: path.join(blogDir, 'migrations'),
      dbFile: path.join(blogDir, 'data/blog.db'),
      casing: 'snake_case',
      migrationsTable: 'blog_migrations',
      tablesFilter: undefined,
    });
  });

  it('lets the dbFile override win', async () => {
    const config = await kit.loadProjectConfig({ projectDir: blogDir, dbFile: '/tmp/elsewhere.db' });
    expect(config.dbFile).toBe('/tmp/elsewhere.db');
  });

  it('says what it looked for when the folder has no drizzle config', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-'));
    tempDirs.push(dir);
    const error = await rejection(kit.loadProjectConfig({ projectDir: dir }));
    expect(error.code).toBe('CONFIG_ERROR');
    expect(error.message).toContain('drizzle.config.ts');
    expect(error.hint).toContain('--config');
  });

  it('refuses a project folder that does not exist', async () => {
    const error = await rejection(
      kit.loadProjectConfig({ projectDir: path.join(os.tmpdir(), 'dsm-does-not-exist-42') }),
    );
    expect(error.code).toBe('CONFIG_ERROR');
    expect(error.message).toContain('does not exist');
  });

  it('loads a config written with plain objects, a .mjs extension and a relative import of its own', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-'));
    tempDirs.push(dir);
    fs.writeFileSync(path.join(dir, 'paths.mjs'), `export const out = './sql';\n`);
    fs.writeFileSync(
      path.join(dir, 'drizzle.config.mjs'),
      `import { out } from './paths.mjs';\nexport default { dialect: 'sqlite', schema: 'schema.ts', out, dbCredentials: { url: 'db.sqlite' }, breakpoints: false, tablesFilter: ['app_*'] };\n`,
    );
    const config = await kit.loadProjectConfig({ projectDir: dir });
    expect(config).toMatchObject({
      outDir: path.join(dir, 'sql'),
      breakpoints: false,
      tablesFilter: ['app_*'],
      dbFile: path.join(dir, 'db.sqlite'),
    });
  });
});

describe('loadSchema', () => {
  it('describes the embedded schema: property ↔ column names, modes, enums, keys', async () => {
    const config = await kit.loadProjectConfig({ projectDir: repo });
    const { tables, snapshot } = await kit.loadSchema(config, embeddedSnapshot.id);
    expect(tables.map((t) => `${t.exportName}:${t.name}`).sort()).toEqual([
      'auditLog:audit_log',
      'checkIns:check_ins',
      'journalEntries:journal_entries',
      'sessions:sessions',
      'users:users',
    ]);
    expect(column(tables, 'checkIns', 'cravingLevel')).toMatchObject({
      name: 'craving_level',
      sqlType: 'integer',
      notNull: true,
    });
    expect(column(tables, 'users', 'isActive')).toMatchObject({
      name: 'is_active',
      mode: 'boolean',
      dataType: 'boolean',
      hasDefault: true,
    });
    expect(column(tables, 'users', 'preferences')).toMatchObject({
      columnType: 'SQLiteTextJson',
      mode: 'json',
      dataType: 'json',
    });
    expect(column(tables, 'sessions', 'expiresAt')).toMatchObject({
      mode: 'timestamp',
      dataType: 'date',
      sqlType: 'integer',
    });
    expect(column(tables, 'users', 'role')?.enumValues).toEqual(['member', 'coach', 'admin']);
    expect(column(tables, 'auditLog', 'id')).toMatchObject({ primaryKey: true, autoIncrement: true });
    expect(snapshot.prevId).toBe(embeddedSnapshot.id);
    expect(Object.keys(snapshot).slice(0, 4)).toEqual(['version', 'dialect', 'id', 'prevId']);
  });

  it('applies the config casing to column names, in the description and in the snapshot', async () => {
    const config = await kit.loadProjectConfig({ projectDir: blogDir });
    const { tables, snapshot } = await kit.loadSchema(config);
    expect(column(tables, 'authors', 'displayName')?.name).toBe('display_name');
    expect(column(tables, 'posts', 'publishedAt')).toMatchObject({
      name: 'published_at',
      mode: 'timestamp_ms',
    });
    expect(column(tables, 'posts', 'metadata')).toMatchObject({ mode: 'json', sqlType: 'blob' });
    const committed = readJson(path.join(blogDir, 'migrations/meta/0000_snapshot.json')) as SqliteSnapshot;
    expect(snapshot.tables).toEqual(committed.tables);
  });

  it('sees an edit to a schema file on the next call', async () => {
    const dir = tempProject();
    const config = await kit.loadProjectConfig({ projectDir: dir });
    const before = await kit.loadSchema(config);
    expect(column(before.tables, 'checkIns', 'energyLevel')).toBeUndefined();
    fs.writeFileSync(
      path.join(dir, 'src/db/schema.ts'),
      embeddedSchema.replace(
        "    notes: text('notes'),",
        "    notes: text('notes'),\n    energyLevel: integer('energy_level'),",
      ),
    );
    const after = await kit.loadSchema(config);
    expect(column(after.tables, 'checkIns', 'energyLevel')?.name).toBe('energy_level');
  });

  it('contains a schema that prints and calls process.exit: nothing reaches stdout, the call fails, the next one works', async () => {
    const dir = tempProject(`${embeddedSchema}\nconsole.log('HELLO FROM SCHEMA');\nprocess.exit(1);\n`);
    const config = await kit.loadProjectConfig({ projectDir: dir });
    const stdoutWrite = vi.spyOn(process.stdout, 'write');
    try {
      const error = await rejection(kit.loadSchema(config));
      expect(error.code).toBe('SCHEMA_LOAD_FAILED');
      expect(error.message).toContain('HELLO FROM SCHEMA');
      expect(stdoutWrite.mock.calls.some(([chunk]) => String(chunk).includes('HELLO FROM SCHEMA'))).toBe(
        false,
      );
    } finally {
      stdoutWrite.mockRestore();
    }
    expect(output.join('')).toContain('HELLO FROM SCHEMA');
    const next = await kit.loadProjectConfig({ projectDir: repo });
    expect(next.root).toBe(repo);
  });

  it('reports drizzle-kit exiting on a duplicate unique constraint name with what it printed', async () => {
    const schema = embeddedSchema.replace(
      "username: text('username').notNull(),",
      "username: text('username').notNull().unique('users_email_unique'),",
    );
    const config = await kit.loadProjectConfig({ projectDir: tempProject(schema) });
    const error = await rejection(kit.loadSchema(config));
    expect(error.code).toBe('SCHEMA_LOAD_FAILED');
    expect(error.message).toContain('duplicated unique constraint names');
    expect(error.message).toContain('users_email_unique');
  });

  it('names the file and line of a syntax error', async () => {
    const dir = tempProject(
      embeddedSchema.replace("mood: integer('mood').notNull(),", "mood: integer('mood').notNull(,"),
    );
    const config = await kit.loadProjectConfig({ projectDir: dir });
    const error = await rejection(kit.loadSchema(config));
    expect(error.code).toBe('SCHEMA_LOAD_FAILED');
    expect(error.message).toMatch(/schema\.ts:\d+:\d+/);
  });

  it('reports a schema that throws while loading, with the error message and the line that threw', async () => {
    const dir = tempProject(`${embeddedSchema}\nthrow new Error('boom at import');\n`);
    const config = await kit.loadProjectConfig({ projectDir: dir });
    const error = await rejection(kit.loadSchema(config));
    expect(error.code).toBe('SCHEMA_LOAD_FAILED');
    expect(error.message).toContain('boom at import');
    const schemaFile = path.join(dir, 'src/db/schema.ts');
    const line =
      fs
        .readFileSync(schemaFile, 'utf8')
        .split('\n')
        .findIndex((text) => text.includes('boom')) + 1;
    expect(error.message).toContain(`(at ${schemaFile}:${line}:`);
    expect(error.details?.file).toMatch(new RegExp(`^${schemaFile}:${line}:\\d+$`));
  });

  it('names the imported file and line that threw, inside a helper the schema imports', async () => {
    const dir = tempProject(
      `import { tableName } from './names';\n${embeddedSchema.replace("sqliteTable('users'", 'sqliteTable(tableName()')}`,
    );
    fs.writeFileSync(
      path.join(dir, 'src/db/names.ts'),
      `interface Unused { a: number }\nexport function tableName(): string {\n  throw new Error('no name for you');\n}\n`,
    );
    const config = await kit.loadProjectConfig({ projectDir: dir });
    const error = await rejection(kit.loadSchema(config));
    expect(error.message).toContain('no name for you');
    expect(error.message).toContain(`(at ${path.join(dir, 'src/db/names.ts')}:3:`);
  });

  it('refuses a schema without tables', async () => {
    const config = await kit.loadProjectConfig({ projectDir: tempProject('export const nothing = 1;\n') });
    const error = await rejection(kit.loadSchema(config));
    expect(error.code).toBe('SCHEMA_LOAD_FAILED');
    expect(error.message).toContain('no Drizzle SQLite tables');
  });

  it('honours tsconfig paths in the schema', async () => {
    const dir = tempProject();
    fs.mkdirSync(path.join(dir, 'src/shared'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/shared/names.ts'), `export const USERS = 'users';\n`);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@shared/*': ['src/shared/*'] } } }),
    );
    fs.writeFileSync(
      path.join(dir, 'src/db/schema.ts'),
      `import { USERS } from '@shared/names';\n${embeddedSchema.replace("sqliteTable('users'", 'sqliteTable(USERS')}`,
    );
    const config = await kit.loadProjectConfig({ projectDir: dir });
    const { tables } = await kit.loadSchema(config);
    expect(tables.find((t) => t.exportName === 'users')?.name).toBe('users');
  });
  it('resolves a package import again when the project installs its own copy or the package changes', async () => {
    const dir = tempProject();
    const schemaFile = path.join(dir, 'src/db/schema.ts');
    fs.writeFileSync(
      schemaFile,
      `import { usersTable } from 'dsm-names';\n${embeddedSchema.replace("sqliteTable('users'", 'sqliteTable(usersTable')}`,
    );
    const config = await kit.loadProjectConfig({ projectDir: dir });
    const tableName = async () =>
      (await kit.loadSchema(config)).tables.find((t) => t.exportName === 'users')?.name;
    const installNames = (where: string, files: Record<string, string>) => {
      const pkg = path.join(where, 'node_modules/dsm-names');
      fs.mkdirSync(pkg, { recursive: true });
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(pkg, name), text);
    };
    installNames(dir, {
      'package.json': JSON.stringify({ name: 'dsm-names', main: 'one.js' }),
      'one.js': `exports.usersTable = 'users_one';\n`,
      'two.js': `exports.usersTable = 'users_two';\n`,
    });
    expect(await tableName()).toBe('users_one');
    expect(await tableName()).toBe('users_one');
    fs.writeFileSync(
      path.join(dir, 'node_modules/dsm-names/package.json'),
      JSON.stringify({ name: 'dsm-names', main: 'two.js' }),
    );
    expect(await tableName()).toBe('users_two');
    // A copy next to the schema file is closer than the project's: it wins from now on.
    installNames(path.join(dir, 'src/db'), {
      'package.json': JSON.stringify({ name: 'dsm-names', main: 'three.js' }),
      'three.js': `exports.usersTable = 'users_three';\n`,
    });
    expect(await tableName()).toBe('users_three');
  });
});

describe('diff', () => {
  let config: ProjectConfig;
  let dir: string;
  beforeAll(async () => {
    dir = tempProject();
    config = await kit.loadProjectConfig({ projectDir: dir });
  });

  async function diffAgainstEmbedded(schema: string, hints?: Parameters<KitClient['diff']>[0]['hints']) {
    fs.writeFileSync(path.join(dir, 'src/db/schema.ts'), schema);
    const { snapshot } = await kit.loadSchema(config, embeddedSnapshot.id);
    return kit.diff({ prev: embeddedSnapshot, cur: snapshot as SqliteSnapshot, ...(hints ? { hints } : {}) });
  }

  it('reports no changes for the committed schema', async () => {
    expect((await diffAgainstEmbedded(embeddedSchema)).status).toBe('no_changes');
  });

  it('gives the SQL the real drizzle-kit CLI writes', async () => {
    const schema = embeddedSchema
      .replace(
        "    notes: text('notes'),",
        "    notes: text('notes'),\n    energy: integer('energy').notNull().default(3),",
      )
      .replace(
        "role: text('role', { enum: ['member', 'coach', 'admin'] }).notNull().default('member')",
        "role: text('role', { enum: ['member', 'coach', 'admin'] }).notNull().default('coach')",
      )
      .replace(
        "(table) => [index('idx_journal_user').on(table.userId)]",
        "(table) => [index('idx_journal_user').on(table.userId), index('idx_journal_created').on(table.createdAt)]",
      );
    const result = await diffAgainstEmbedded(schema);
    const cliDir = tempProject(schema);
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.statements.join('--> statement-breakpoint\n')).toBe(cliGenerate(cliDir, 'cli'));
    expect(result.snapshot.prevId).toBe(embeddedSnapshot.id);
  });

  const renamedNotes = embeddedSchema.replace(
    "    notes: text('notes'),",
    "    journalNote: text('journal_note'),",
  );

  it('asks rename-or-create for an ambiguous column instead of prompting', async () => {
    const result = await diffAgainstEmbedded(renamedNotes);
    expect(result).toEqual({
      status: 'missing_hints',
      missingHints: [
        {
          type: 'rename_or_create',
          kind: 'column',
          entity: ['public', 'check_ins', 'journal_note'],
          candidates: [['public', 'check_ins', 'notes']],
        },
      ],
    });
  });

  it('renames the column with a rename hint, keeping the data', async () => {
    const result = await diffAgainstEmbedded(renamedNotes, [
      {
        type: 'rename',
        kind: 'column',
        from: ['public', 'check_ins', 'notes'],
        to: ['public', 'check_ins', 'journal_note'],
      },
    ]);
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.statements).toEqual(['ALTER TABLE `check_ins` RENAME COLUMN `notes` TO `journal_note`;']);
    expect(result.renames).toEqual([
      { kind: 'column', table: 'check_ins', from: 'notes', to: 'journal_note' },
    ]);
    expect(result.snapshot._meta).toEqual({
      schemas: {},
      tables: {},
      columns: { '"check_ins"."notes"': '"check_ins"."journal_note"' },
    });
    const db = seededDatabase();
    for (const statement of result.statements) db.exec(statement);
    expect(db.prepare('SELECT journal_note FROM check_ins').get()).toEqual({ journal_note: 'calm day' });
  });

  it('drops and adds the column with a create hint', async () => {
    const result = await diffAgainstEmbedded(renamedNotes, [
      { type: 'create', kind: 'column', entity: ['public', 'check_ins', 'journal_note'] },
    ]);
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.statements).toEqual([
      'ALTER TABLE `check_ins` DROP COLUMN `notes`;',
      'ALTER TABLE `check_ins` ADD `journal_note` text;',
    ]);
    const db = seededDatabase();
    for (const statement of result.statements) db.exec(statement);
    expect(db.prepare('SELECT journal_note FROM check_ins').get()).toEqual({ journal_note: null });
  });

  it('keeps a column rename when the same table is rebuilt in the same migration', async () => {
    // A default change forces drizzle-kit to rebuild check_ins; its combiner would drop a RENAME it made itself.
    const schema = renamedNotes.replace(
      "    mood: integer('mood').notNull(),",
      "    mood: integer('mood').notNull().default(3),",
    );
    const result = await diffAgainstEmbedded(schema, [
      {
        type: 'rename',
        kind: 'column',
        from: ['public', 'check_ins', 'notes'],
        to: ['public', 'check_ins', 'journal_note'],
      },
    ]);
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.statements[0]).toBe('ALTER TABLE `check_ins` RENAME COLUMN `notes` TO `journal_note`;');
    expect(result.statements.some((s) => s.startsWith('CREATE TABLE `__new_check_ins`'))).toBe(true);
    const db = seededDatabase();
    db.pragma('foreign_keys = OFF');
    for (const statement of result.statements) db.exec(statement);
    expect(db.prepare('SELECT journal_note, mood FROM check_ins').get()).toEqual({
      journal_note: 'calm day',
      mood: 4,
    });
  });

  it('renames a table with a rename hint, without rebuilding the tables that reference it', async () => {
    const schema = embeddedSchema.replace("sqliteTable('users'", "sqliteTable('members'");
    const missing = await diffAgainstEmbedded(schema);
    expect(missing).toMatchObject({
      status: 'missing_hints',
      missingHints: [{ kind: 'table', entity: ['public', 'members'] }],
    });
    const result = await diffAgainstEmbedded(schema, [
      { type: 'rename', kind: 'table', from: ['public', 'users'], to: ['public', 'members'] },
    ]);
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.statements[0]).toBe('ALTER TABLE `users` RENAME TO `members`;');
    expect(result.statements.some((s) => s.includes('__new_'))).toBe(false);
    const db = seededDatabase();
    for (const statement of result.statements) db.exec(statement);
    expect(db.prepare('SELECT email FROM members').get()).toEqual({ email: 'a@example.com' });
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
  });

  it('returns an error status for a rename hint whose old name is not a removed column', async () => {
    const result = await diffAgainstEmbedded(renamedNotes, [
      {
        type: 'rename',
        kind: 'column',
        from: ['public', 'check_ins', 'mood'],
        to: ['public', 'check_ins', 'journal_note'],
      },
    ]);
    expect(result.status).toBe('error');
  });
});

describe('generate (loadSchema and diff in one call)', () => {
  const withEnergy = embeddedSchema.replace(
    "    notes: text('notes'),",
    "    notes: text('notes'),\n    energy: integer('energy'),",
  );

  it('answers what loadSchema then diff answer', async () => {
    const dir = tempProject(withEnergy);
    const config = await kit.loadProjectConfig({ projectDir: dir });
    const generated = await kit.generate({ project: config, prev: embeddedSnapshot });
    const { snapshot } = await kit.loadSchema(config, embeddedSnapshot.id);
    const separate = await kit.diff({ prev: embeddedSnapshot, cur: snapshot as SqliteSnapshot });
    expect(generated.loaded).toBe(true);
    if (!generated.loaded || generated.diff.status !== 'ok' || separate.status !== 'ok')
      throw new Error('no diff');
    expect(generated.diff.statements).toEqual(['ALTER TABLE `check_ins` ADD `energy` integer;']);
    expect(generated.diff.statements).toEqual(separate.statements);
    // Serialised in the worker exactly as the writer would serialise the separate answer (new ids aside).
    const { id: _a, ...fromGenerate } = JSON.parse(generated.diff.snapshot.text) as SqliteSnapshot;
    const { id: _b, ...fromSeparate } = JSON.parse(
      serialiseSnapshot(separate.snapshot).text,
    ) as SqliteSnapshot;
    expect(fromGenerate).toEqual(fromSeparate);
    expect(
      generated.diff.snapshot.text.startsWith('{\n  "version": "6",\n  "dialect": "sqlite",\n  "id": '),
    ).toBe(true);
    expect(generated.diff.snapshot.prevId).toBe(embeddedSnapshot.id);
  });

  it('answers a schema that does not load, or ends the worker while loading, as not loaded', async () => {
    const broken = await kit.loadProjectConfig({
      projectDir: tempProject(embeddedSchema.replace("mood: integer('mood').notNull(),", 'mood: (,')),
    });
    const syntax = await kit.generate({ project: broken, prev: embeddedSnapshot });
    expect(syntax.loaded).toBe(false);
    if (syntax.loaded) return;
    expect(syntax.error.code).toBe('SCHEMA_LOAD_FAILED');
    expect(syntax.error.message).toMatch(/schema\.ts:\d+:\d+/);

    const exiting = await kit.loadProjectConfig({
      projectDir: tempProject(`${embeddedSchema}\nconsole.log('BYE');\nprocess.exit(1);\n`),
    });
    const crashed = await kit.generate({ project: exiting, prev: embeddedSnapshot });
    expect(crashed.loaded).toBe(false);
    if (crashed.loaded) return;
    expect(crashed.error.code).toBe('SCHEMA_LOAD_FAILED');
    expect(crashed.error.message).toContain('stopped during loadSchema');
    expect(crashed.error.message).toContain('BYE');
  });

  it('times the load phase out like loadSchema, as not loaded', async () => {
    const slow = new KitClient({ entry: KIT_WORKER, timeoutMs: 3_000 });
    try {
      const config = await slow.loadProjectConfig({
        projectDir: tempProject(`${embeddedSchema}\nwhile (true) {}\n`),
      });
      const outcome = await slow.generate({ project: config, prev: embeddedSnapshot });
      expect(outcome.loaded).toBe(false);
      if (outcome.loaded) return;
      expect(outcome.error.code).toBe('TIMEOUT');
      expect(outcome.error.message).toContain('loadSchema took longer than 3000 ms');
    } finally {
      await slow.close();
    }
  });
});

describe('worker lifecycle', () => {
  it('stops a call that never finishes with TIMEOUT, and serves the next call', async () => {
    const slow = new KitClient({ entry: KIT_WORKER, timeoutMs: 3_000 });
    try {
      const config = await slow.loadProjectConfig({
        projectDir: tempProject(`${embeddedSchema}\nwhile (true) {}\n`),
      });
      const error = await rejection(slow.loadSchema(config));
      expect(error.code).toBe('TIMEOUT');
      expect((await slow.loadProjectConfig({ projectDir: repo })).root).toBe(repo);
    } finally {
      await slow.close();
    }
  });

  it('fails a running call with CANCELLED when closed, and refuses calls afterwards', async () => {
    const closing = new KitClient({ entry: KIT_WORKER });
    const config = await closing.loadProjectConfig({
      projectDir: tempProject(`${embeddedSchema}\nwhile (true) {}\n`),
    });
    const running = rejection(closing.loadSchema(config));
    await closing.close();
    expect((await running).code).toBe('CANCELLED');
    expect((await rejection(closing.loadProjectConfig({ projectDir: repo }))).code).toBe('CANCELLED');
  });

  it('keeps answering across worker recycling', async () => {
    const recycling = new KitClient({ entry: KIT_WORKER, recycleAfterCalls: 1 });
    try {
      for (let i = 0; i < 3; i += 1)
        expect((await recycling.loadProjectConfig({ projectDir: blogDir })).casing).toBe('snake_case');
    } finally {
      await recycling.close();
    }
  });
});
