// kill -9 at random points of a multi-statement migration on a few hundred thousand rows: after reopening, the
// database is always fully before or fully after it, intact, with the ledger agreeing with the schema.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/migrations/apply.js';
import { readMigrationFolder } from '../../src/migrations/folder.js';
import { readLedger } from '../../src/migrations/ledger.js';
import {
  killMidOperation,
  landedMidOperation,
  reopenAfterKill,
  runAndKill,
} from '../helpers/kill-harness.js';
import { appendFixtureMigration, makeTempDir, writeFixtureFolder } from '../helpers/migration-fixtures.js';

const ROWS = 300_000;
const OWNERS = 1_000;

// Shaped like drizzle-kit's rebuild of a child table, plus an index, a data update and a parent column.
const BIG_MIGRATION = [
  'PRAGMA foreign_keys=OFF;',
  'CREATE TABLE `__new_items` (`id` integer PRIMARY KEY NOT NULL, `owner_id` integer NOT NULL, `name` text NOT NULL, `qty` integer DEFAULT 0 NOT NULL, FOREIGN KEY (`owner_id`) REFERENCES `owners`(`id`) ON UPDATE no action ON DELETE cascade);',
  'INSERT INTO `__new_items`("id", "owner_id", "name", "qty") SELECT "id", "owner_id", "name", "qty" FROM `items`;',
  'DROP TABLE `items`;',
  'ALTER TABLE `__new_items` RENAME TO `items`;',
  'PRAGMA foreign_keys=ON;',
  'CREATE INDEX `items_name_idx` ON `items` (`name`);',
  'UPDATE `items` SET `qty` = `qty` + 1;',
  'ALTER TABLE `owners` ADD `note` text;',
];

async function buildTemplate(dir: string, journalMode: 'wal' | 'delete') {
  const outDir = path.join(dir, `drizzle-${journalMode}`);
  writeFixtureFolder(outDir, [
    {
      name: 'init',
      statements: [
        'CREATE TABLE `owners` (`id` integer PRIMARY KEY NOT NULL, `name` text NOT NULL);',
        'CREATE TABLE `items` (`id` integer PRIMARY KEY NOT NULL, `owner_id` integer NOT NULL REFERENCES `owners`(`id`) ON DELETE cascade, `name` text NOT NULL, `qty` integer);',
      ],
    },
  ]);
  const file = path.join(dir, `template-${journalMode}.db`);
  const db = new Database(file);
  db.pragma(`journal_mode = ${journalMode}`);
  await applyMigrations(db, readMigrationFolder(outDir));
  db.transaction(() => {
    const owner = db.prepare('INSERT INTO owners (id, name) VALUES (?, ?)');
    for (let i = 1; i <= OWNERS; i++) owner.run(i, `owner ${i}`);
    const item = db.prepare('INSERT INTO items (id, owner_id, name, qty) VALUES (?, ?, ?, ?)');
    for (let i = 1; i <= ROWS; i++) item.run(i, (i % OWNERS) + 1, `item ${i % 9973}`, i % 7);
  })();
  db.close(); // checkpoints the WAL into the file, so copying the file copies the database
  appendFixtureMigration(outDir, { name: 'rebuild_items', statements: BIG_MIGRATION });
  return { outDir, file };
}

type Observed = 'before' | 'after';

function observe(dbFile: string, qtyBefore: number): Observed {
  const { db, integrity } = reopenAfterKill(dbFile);
  try {
    expect(integrity).toEqual(['ok']);
    const ledger = readLedger(db);
    const tables = db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
      .pluck()
      .all();
    expect(tables).toEqual(['__drizzle_migrations', 'items', 'owners']);
    expect(db.prepare('SELECT count(*) FROM items').pluck().get()).toBe(ROWS);
    expect(db.prepare('SELECT count(*) FROM owners').pluck().get()).toBe(OWNERS);
    const hasIndex =
      db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'items_name_idx'`).pluck().get() === 1;
    const hasNote =
      db.prepare(`SELECT count(*) FROM pragma_table_info('owners') WHERE name = 'note'`).pluck().get() === 1;
    const qty = db.prepare('SELECT sum(qty) FROM items').pluck().get() as number;
    if (ledger.length === 1) {
      expect({ hasIndex, hasNote, qty }).toEqual({ hasIndex: false, hasNote: false, qty: qtyBefore });
      return 'before';
    }
    expect(ledger).toHaveLength(2);
    expect({ hasIndex, hasNote, qty }).toEqual({ hasIndex: true, hasNote: true, qty: qtyBefore + ROWS });
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    return 'after';
  } finally {
    db.close();
  }
}

describe('kill -9 during apply', () => {
  it('leaves the database fully before or fully after a multi-statement migration', async () => {
    const dir = makeTempDir('dsm-kill-');
    const qtyBefore = Array.from({ length: ROWS }, (_, i) => (i + 1) % 7).reduce((a, b) => a + b, 0);
    const outcomes: string[] = [];
    for (const mode of ['wal', 'delete'] as const) {
      const template = await buildTemplate(dir, mode);
      const copy = (n: number) => {
        const file = path.join(dir, `run-${mode}-${n}.db`);
        fs.copyFileSync(template.file, file);
        return file;
      };
      // An uninterrupted run tells how long the operation takes here, so kills land inside it.
      const clean = copy(0);
      const full = await runAndKill({
        script: 'test/helpers/kill-apply-child.ts',
        args: [clean, template.outDir],
      });
      expect(full.stdout).toContain('DONE');
      const duration = full.operationMs ?? 1000;
      expect(observe(clean, qtyBefore)).toBe('after');

      for (let n = 1; n <= 3; n++) {
        const file = path.join(dir, `run-${mode}-${n}.db`);
        // Each kill must strike inside the apply (after READY, before DONE): one that lands after proves nothing.
        const result = await killMidOperation(
          async (killAfter) => {
            for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
            fs.copyFileSync(template.file, file);
            return runAndKill({
              script: 'test/helpers/kill-apply-child.ts',
              args: [file, template.outDir],
              killAfter,
            });
          },
          { minMs: ((n - 1) * duration) / 3, maxMs: Math.max(20, (n * duration * 0.9) / 3) },
        );
        expect(landedMidOperation(result)).toBe(true);
        const state = observe(file, qtyBefore);
        outcomes.push(`${mode}: killed after ${result.delayMs} ms → ${state}`);
        // Recovery: a restarted server applies the migration cleanly from wherever the kill left it.
        const db = new Database(file);
        await applyMigrations(db, readMigrationFolder(template.outDir));
        db.close();
        expect(observe(file, qtyBefore)).toBe('after');
      }
    }
    // Which side of the commit each kill left the file on depends on timing: diagnostics only. That every kill
    // struck inside the apply is asserted above.
    process.stderr.write(`${outcomes.join('\n')}\n`);
  });
});
