// Real SQLite databases for the linter, drift and introspection tests: the embedded default schema (the committed
// first migration, as drizzle-kit wrote it) in a temp file, with a few rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteSnapshot } from '../../src/project/types.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const INIT_SQL = fs.readFileSync(path.join(ROOT, 'drizzle/0000_init.sql'), 'utf8');
export const INIT_SNAPSHOT = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'drizzle/meta/0000_snapshot.json'), 'utf8'),
) as SqliteSnapshot;

export function cloneSnapshot(): SqliteSnapshot {
  return structuredClone(INIT_SNAPSHOT);
}

export interface Fixture {
  db: Database.Database;
  file: string;
  close: () => void;
}

/** A temp database with the default schema; `seed` false leaves every table empty. */
export function createDefaultDatabase(options: { seed?: boolean } = {}): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-'));
  const file = path.join(dir, 'app.db');
  const db = new Database(file);
  db.exec(`BEGIN; ${INIT_SQL.replaceAll('--> statement-breakpoint', '')}; COMMIT;`);
  if (options.seed !== false) {
    db.exec(`
      BEGIN;
      INSERT INTO users (id, email, username, updated_at) VALUES ('u1', 'a@example.com', 'ann', NULL), ('u2', 'b@example.com', 'bob', '2024-01-01'), ('u3', 'c@example.com', 'ann', NULL);
      INSERT INTO check_ins (id, user_id, mood, craving_level, sleep_hours) VALUES ('c1', 'u1', 3, 2, NULL), ('c2', 'u1', 4, 1, 7.5), ('c3', 'u2', 2, 5, NULL);
      INSERT INTO journal_entries (id, user_id, body) VALUES ('j1', 'u1', 'hello');
      INSERT INTO sessions (id, user_id, token, expires_at) VALUES ('s1', 'u1', 't1', 0), ('s2', 'u2', 't2', 0);
      COMMIT;
    `);
  }
  return {
    db,
    file,
    close: () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Splits a migration file as drizzle's migrator does. */
export function chunks(sql: string): string[] {
  return sql.split('--> statement-breakpoint');
}
