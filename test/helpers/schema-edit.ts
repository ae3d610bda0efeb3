// Schema-edit fixtures as real projects in temp folders: load them the way the kit worker does (esbuild bundle +
// drizzle-kit's generateSQLiteDrizzleJson), edit them with the engine, write the result, load again.
import fs from 'node:fs';
import path from 'node:path';
import { loadSchema } from '../../src/project/load-project.js';
import type { LoadedSchema, ProjectConfig } from '../../src/project/types.js';
import { editSchema, type EditSchemaResult } from '../../src/schema-edit/engine.js';
import type { Operation } from '../../src/schema-edit/operations.js';
import { collectSchemaSources } from '../../src/schema-edit/sources.js';
import { verifySchemaEdit, type VerifyResult } from '../../src/schema-edit/verify.js';
import { REPO_ROOT, tempDir } from './project.js';

export interface EditFixture {
  name: string;
  /** Files copied into the project, relative to test/fixtures/schema-edit/<dir> (or the repo for the default). */
  root: string;
  /** The config's schema entries, relative to the project. */
  entries: string[];
  casing: ProjectConfig['casing'];
  printWidth?: number;
}

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/schema-edit');

export const FIXTURE_PROJECTS = {
  default: {
    name: 'embedded default',
    root: 'default',
    entries: ['src/db/schema.ts'],
    casing: undefined,
    printWidth: 110,
  },
  multiFile: {
    name: 'multi-file barrel',
    root: 'multi-file',
    entries: ['schema/index.ts'],
    casing: undefined,
  },
  snakeCase: {
    name: "casing: 'snake_case'",
    root: 'snake-case',
    entries: ['schema.ts'],
    casing: 'snake_case',
  },
  imports: { name: 'imports from other modules', root: 'imports', entries: ['schema.ts'], casing: undefined },
} as const satisfies Record<string, EditFixture>;

/** A fresh copy of a fixture; `into` lets several share one folder (the tsc test). */
export function copyFixture(fixture: EditFixture, into: string = tempDir('dsm-edit-')): string {
  if (fixture.root === 'default') {
    fs.mkdirSync(path.join(into, 'src/db'), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, 'src/db/schema.ts'), path.join(into, 'src/db/schema.ts'));
  } else {
    fs.cpSync(path.join(FIXTURES, fixture.root), into, { recursive: true });
  }
  return into;
}

export function projectConfig(root: string, fixture: EditFixture): ProjectConfig {
  return {
    root,
    configFile: undefined,
    schemaFiles: fixture.entries.map((e) => path.join(root, e)),
    outDir: path.join(root, 'drizzle'),
    dbFile: path.join(root, 'data/app.db'),
    tablesFilter: undefined,
    casing: fixture.casing,
    migrationsTable: '__drizzle_migrations',
    breakpoints: true,
  };
}

export function loadFixtureSchema(root: string, fixture: EditFixture): Promise<LoadedSchema> {
  return loadSchema(projectConfig(root, fixture), undefined, { fallbackResolveDir: REPO_ROOT });
}

export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export interface EditOutcome {
  root: string;
  before: LoadedSchema;
  after: LoadedSchema;
  result: EditSchemaResult;
  verify: VerifyResult;
}

/** Copy, load, edit, write, reload, verify: what the tool will do, minus the atomic write and the audit. */
export async function editFixture(
  fixture: EditFixture,
  operations: Operation[],
  root = copyFixture(fixture),
): Promise<EditOutcome> {
  const before = await loadFixtureSchema(root, fixture);
  const sources = collectSchemaSources(
    fixture.entries.map((e) => path.join(root, e)),
    readIfExists,
  );
  const result = editSchema({
    sources,
    schema: before,
    casing: fixture.casing,
    operations,
    root,
    ...(fixture.printWidth ? { printWidth: fixture.printWidth } : {}),
  });
  for (const change of result.changes) {
    fs.mkdirSync(path.dirname(change.path), { recursive: true });
    fs.writeFileSync(change.path, change.after);
  }
  const after = await loadFixtureSchema(root, fixture);
  return { root, before, after, result, verify: verifySchemaEdit(before, after, result.operations) };
}

/** The lines a diff removes and adds (without the +/- marks and headers). */
export function diffLines(diff: string): { removed: string[]; added: string[] } {
  const lines = diff.split('\n').filter((l) => !l.startsWith('---') && !l.startsWith('+++'));
  return {
    removed: lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1)),
    added: lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1)),
  };
}

/**
 * Applies a unified diff to `before`, strictly: every context and removed line must be where the hunk says. The
 * result equals the edited file only if every byte outside the hunks is the original's.
 */
export function applyUnifiedDiff(before: string, diff: string): string {
  const lines = before.split('\n');
  const out: string[] = [];
  let at = 0;
  const body = diff.split('\n');
  for (let i = 0; i < body.length; i++) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(body[i]!);
    if (!header) continue;
    const start = Number(header[1]) - (header[2] === '0' ? 0 : 1);
    while (at < start) out.push(lines[at++]!);
    for (i += 1; i < body.length && !body[i]!.startsWith('@@'); i++) {
      const line = body[i]!;
      if (line.startsWith('\\')) continue;
      if (line.startsWith('+')) out.push(line.slice(1));
      else if (line.startsWith('-') || line.startsWith(' ')) {
        if (lines[at] !== line.slice(1)) throw new Error(`diff does not apply at line ${at + 1}: ${line}`);
        if (line.startsWith(' ')) out.push(lines[at]!);
        at += 1;
      }
    }
    i -= 1;
  }
  while (at < lines.length) out.push(lines[at++]!);
  return out.join('\n');
}
