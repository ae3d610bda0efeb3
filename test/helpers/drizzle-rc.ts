// Drizzle 1.0 for tests: the rc packages in test/drizzle-rc (a devDependency, installed by `npm ci`) and the fixture
// projects of test/fixtures/drizzle-1, copied to temp folders whose node_modules link to the Drizzle line each was
// made with — so "the project's own drizzle-kit" is a real package at a real path, as in a user's project.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, tempDir } from './project.js';

export type DrizzleLine = '0.x' | 'rc';

/**
 * Where each line's packages are. Links must point at these real folders: drizzle-kit imports drizzle-orm from its own
 * location, so the rc kit finds the rc orm only as its sibling in test/drizzle-rc/node_modules.
 */
export const DRIZZLE_PACKAGES: Record<DrizzleLine, { kit: string; orm: string }> = {
  '0.x': {
    kit: path.join(REPO_ROOT, 'node_modules/drizzle-kit'),
    orm: path.join(REPO_ROOT, 'node_modules/drizzle-orm'),
  },
  rc: {
    kit: path.join(REPO_ROOT, 'test/drizzle-rc/node_modules/drizzle-kit'),
    orm: path.join(REPO_ROOT, 'test/drizzle-rc/node_modules/drizzle-orm'),
  },
};

export const DRIZZLE_1_FIXTURES_DIR = path.join(REPO_ROOT, 'test/fixtures/drizzle-1');

export type Drizzle1Fixture = 'v0-kept' | 'v0-upped' | 'v1-fresh' | 'v1-leaves' | 'v1-merged' | 'v1-conflict';

/** The three ledger shapes, each made by the real migrator for its fixture (see the fixtures' README). */
export type LedgerFixture = 'v0' | 'v1-upgraded' | 'v1';

/** The Drizzle line a project was made with, from its package.json's drizzle-kit version. */
export function lineOf(projectDir: string): DrizzleLine {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
  const kit = pkg.devDependencies?.['drizzle-kit'] ?? pkg.dependencies?.['drizzle-kit'] ?? '';
  return kit.startsWith('1.') ? 'rc' : '0.x';
}

/** Gives `projectDir` a node_modules with drizzle-kit and drizzle-orm of `line` (replacing any there). */
export function linkDrizzle(projectDir: string, line: DrizzleLine): void {
  const modules = path.join(projectDir, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  for (const [name, target] of [
    ['drizzle-kit', DRIZZLE_PACKAGES[line].kit],
    ['drizzle-orm', DRIZZLE_PACKAGES[line].orm],
  ] as const) {
    const link = path.join(modules, name);
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(target, link, 'dir');
  }
}

/** A temp copy of a fixture project with its own Drizzle line linked in; returns the project folder. */
export function copyDrizzle1Fixture(name: Drizzle1Fixture, into: string = tempDir(`dsm-${name}-`)): string {
  const source = path.join(DRIZZLE_1_FIXTURES_DIR, name);
  fs.cpSync(source, into, { recursive: true });
  fs.mkdirSync(path.join(into, 'data'), { recursive: true });
  linkDrizzle(into, lineOf(source));
  return into;
}

/** The version of the drizzle-kit 1.0 pre-release a public bun app pins, older than the SDK (1.0.0-rc.4). */
export const PRE_SDK_KIT_VERSION = '1.0.0-beta.9-e89174b';

/** Writes, in `dir`, the package.json of drizzle-kit 1.0.0-beta.9: its exports map has no "./cli". */
export function writePreSdkKit(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'drizzle-kit',
      version: PRE_SDK_KIT_VERSION,
      exports: { '.': { import: './index.mjs' }, './api-postgres': { import: './api-postgres.mjs' } },
    }),
  );
}

/** The SQL (CREATE TABLE + INSERTs) of one ledger shape. */
export function ledgerFixtureSql(shape: LedgerFixture): string {
  return fs.readFileSync(path.join(DRIZZLE_1_FIXTURES_DIR, 'ledgers', `${shape}.sql`), 'utf8');
}

/** Imports a module of drizzle-orm 1.0.0-rc.5 by its file (e.g. "better-sqlite3/migrator.js"). */
export function importRcOrm<T>(file: string): Promise<T> {
  return import(pathToFileURL(path.join(DRIZZLE_PACKAGES.rc.orm, file)).href) as Promise<T>;
}

/** The migration folders of a 1.0 project, in the order drizzle-orm 1.0's migrator reads them. */
export function v1MigrationNames(projectDir: string): string[] {
  const out = path.join(projectDir, 'drizzle');
  return fs
    .readdirSync(out, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(out, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
}

type RcDrizzle = { drizzle: (config: { client: Database.Database }) => unknown };
type RcMigrator = { migrate: (db: unknown, config: { migrationsFolder: string }) => void };

/** drizzle-orm 1.0.0-rc.5's own better-sqlite3 migrate() on `db` (a connection) or a database file. */
export async function rcMigrate(db: Database.Database | string, migrationsFolder: string): Promise<void> {
  const { drizzle } = await importRcOrm<RcDrizzle>('better-sqlite3/index.js');
  const { migrate } = await importRcOrm<RcMigrator>('better-sqlite3/migrator.js');
  const connection = typeof db === 'string' ? new Database(db) : db;
  try {
    migrate(drizzle({ client: connection }), { migrationsFolder });
  } finally {
    if (typeof db === 'string') connection.close();
  }
}

/** A writable copy of a fixture's migrations folder in a new temp folder; returns the copy's `drizzle` folder. */
export function copyFixtureOut(name: Drizzle1Fixture, into: string = tempDir('dsm-drizzle-out-')): string {
  const out = path.join(into, 'drizzle');
  fs.cpSync(path.join(DRIZZLE_1_FIXTURES_DIR, name, 'drizzle'), out, { recursive: true });
  return out;
}
