import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normaliseConfig } from '../../src/project/load-project.js';
import { tablesFilterMatcher } from '../../src/project/tables-filter.js';
import { AppError } from '../../src/core/errors.js';

const root = path.resolve(import.meta.dirname, '../fixtures/blog');
const context = { root, configFile: path.join(root, 'drizzle.config.ts'), dbFile: undefined };

function configError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a CONFIG_ERROR');
}

describe('normaliseConfig', () => {
  it('applies drizzle-kit defaults', () => {
    const config = normaliseConfig(
      { dialect: 'sqlite', schema: './src/schema/*.ts', dbCredentials: { url: 'app.db' } },
      context,
    );
    expect(config).toMatchObject({
      outDir: path.join(root, 'drizzle'),
      dbFile: path.join(root, 'app.db'),
      migrationsTable: '__drizzle_migrations',
      breakpoints: true,
      tablesFilter: undefined,
      casing: undefined,
    });
    expect(config.schemaFiles.map((f) => path.basename(f))).toEqual(['authors.ts', 'posts.ts']);
  });

  it.each([
    ['file:./data/x.db', 'data/x.db'],
    ['./data/x.db', 'data/x.db'],
    ['file:/abs/x.db', '/abs/x.db'],
  ])('resolves dbCredentials.url %s from the project folder', (url, expected) => {
    const config = normaliseConfig({ dialect: 'sqlite', schema: 'x.ts', dbCredentials: { url } }, context);
    expect(config.dbFile).toBe(path.resolve(root, expected));
  });

  it('lets the --db override win over dbCredentials.url', () => {
    const config = normaliseConfig(
      { dialect: 'sqlite', dbCredentials: { url: 'a.db' } },
      { ...context, dbFile: '/tmp/b.db' },
    );
    expect(config.dbFile).toBe('/tmp/b.db');
  });

  it('keeps tablesFilter as a list', () => {
    expect(
      normaliseConfig({ dialect: 'sqlite', dbCredentials: { url: 'a.db' }, tablesFilter: 'app_*' }, context)
        .tablesFilter,
    ).toEqual(['app_*']);
  });

  it('expands a schema folder to the files in it', () => {
    const config = normaliseConfig(
      { dialect: 'sqlite', schema: './src/schema', dbCredentials: { url: 'a.db' } },
      context,
    );
    expect(config.schemaFiles.map((f) => path.basename(f))).toEqual(['authors.ts', 'posts.ts']);
  });

  it('refuses a dialect other than sqlite, naming it', () => {
    const error = configError(() =>
      normaliseConfig({ dialect: 'postgresql', dbCredentials: { url: 'x' } }, context),
    );
    expect(error.code).toBe('CONFIG_ERROR');
    expect(error.message).toContain('"postgresql"');
  });

  it('refuses a remote driver unless a local database file is given', () => {
    const error = configError(() =>
      normaliseConfig({ dialect: 'sqlite', driver: 'd1-http', dbCredentials: {} }, context),
    );
    expect(error.message).toContain('d1-http');
    expect(error.hint).toContain('--db');
    expect(
      normaliseConfig({ dialect: 'sqlite', driver: 'd1-http' }, { ...context, dbFile: '/tmp/local.db' })
        .dbFile,
    ).toBe('/tmp/local.db');
  });

  it('refuses a remote or in-memory database URL', () => {
    expect(
      configError(() =>
        normaliseConfig({ dialect: 'sqlite', dbCredentials: { url: 'libsql://x.turso.io' } }, context),
      ).code,
    ).toBe('CONFIG_ERROR');
    expect(
      configError(() => normaliseConfig({ dialect: 'sqlite', dbCredentials: { url: ':memory:' } }, context))
        .code,
    ).toBe('CONFIG_ERROR');
  });

  it('names the legal casing values', () => {
    expect(
      configError(() =>
        normaliseConfig({ dialect: 'sqlite', dbCredentials: { url: 'a' }, casing: 'kebab' }, context),
      ).message,
    ).toContain('"snake_case", "camelCase"');
  });
});

describe('tablesFilterMatcher', () => {
  it.each([
    [undefined, 'anything', true],
    [['app_*'], 'app_users', true],
    [['app_*'], 'users', false],
    [['*', '!audit_*'], 'audit_log', false],
    [['*', '!audit_*'], 'users', true],
    [['!audit_*'], 'users', true],
    [['!audit_*'], 'audit_log', false],
    [['{users,posts}'], 'posts', true],
    [['user?'], 'users', true],
  ] as const)('with %j, table %s passes: %s', (patterns, table, expected) => {
    expect(tablesFilterMatcher(patterns as readonly string[] | undefined)(table)).toBe(expected);
  });
});
