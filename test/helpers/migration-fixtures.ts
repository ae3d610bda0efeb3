// Builders for migrations folders and databases used by the migrations tests: real files in temp dirs.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ORIGIN_SNAPSHOT_ID, STATEMENT_BREAKPOINT } from '../../src/migrations/folder.js';

export function makeTempDir(prefix = 'dsm-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface FixtureMigration {
  name: string;
  statements: string[];
  when?: number;
  breakpoints?: boolean;
}

/**
 * Writes a drizzle-kit style folder (journal, NNNN_name.sql, chained snapshots with empty tables) directly, so
 * tests of reading and applying do not depend on the writer under test.
 */
export function writeFixtureFolder(
  outDir: string,
  migrations: FixtureMigration[],
  firstWhen = 1_700_000_000_000,
): string[] {
  fs.mkdirSync(path.join(outDir, 'meta'), { recursive: true });
  let prevId = ORIGIN_SNAPSHOT_ID;
  const tags: string[] = [];
  const entries = migrations.map((migration, idx) => {
    const prefix = String(idx).padStart(4, '0');
    const tag = `${prefix}_${migration.name}`;
    const breakpoints = migration.breakpoints ?? true;
    fs.writeFileSync(
      path.join(outDir, `${tag}.sql`),
      migration.statements.join(breakpoints ? `${STATEMENT_BREAKPOINT}\n` : '\n'),
    );
    const id = randomUUID();
    const snapshot = {
      version: '6',
      dialect: 'sqlite',
      id,
      prevId,
      tables: {},
      views: {},
      enums: {},
      _meta: { schemas: {}, tables: {}, columns: {} },
    };
    fs.writeFileSync(path.join(outDir, 'meta', `${prefix}_snapshot.json`), JSON.stringify(snapshot, null, 2));
    prevId = id;
    tags.push(tag);
    return { idx, version: '6', when: migration.when ?? firstWhen + idx * 1000, tag, breakpoints };
  });
  fs.writeFileSync(
    path.join(outDir, 'meta', '_journal.json'),
    JSON.stringify({ version: '7', dialect: 'sqlite', entries }, null, 2),
  );
  return tags;
}

/** Appends one migration to a folder written by writeFixtureFolder. */
export function appendFixtureMigration(outDir: string, migration: FixtureMigration): string {
  const journalPath = path.join(outDir, 'meta', '_journal.json');
  const journal = JSON.parse(fs.readFileSync(journalPath, 'utf8')) as {
    entries: Array<{ idx: number; when: number; tag: string }>;
  };
  const last = journal.entries.at(-1);
  const idx = last ? last.idx + 1 : 0;
  const prefix = String(idx).padStart(4, '0');
  const tag = `${prefix}_${migration.name}`;
  const prevId = last
    ? (
        JSON.parse(
          fs.readFileSync(path.join(outDir, 'meta', `${last.tag.split('_')[0]}_snapshot.json`), 'utf8'),
        ) as { id: string }
      ).id
    : ORIGIN_SNAPSHOT_ID;
  fs.writeFileSync(path.join(outDir, `${tag}.sql`), migration.statements.join(`${STATEMENT_BREAKPOINT}\n`));
  fs.writeFileSync(
    path.join(outDir, 'meta', `${prefix}_snapshot.json`),
    JSON.stringify(
      {
        version: '6',
        dialect: 'sqlite',
        id: randomUUID(),
        prevId,
        tables: {},
        views: {},
        enums: {},
        _meta: { schemas: {}, tables: {}, columns: {} },
      },
      null,
      2,
    ),
  );
  journal.entries.push({
    idx,
    version: '6',
    when: migration.when ?? (last ? last.when + 1000 : 1_700_000_000_000),
    tag,
    breakpoints: true,
  } as never);
  fs.writeFileSync(journalPath, JSON.stringify(journal, null, 2));
  return tag;
}
