// A real SQLite file with the example app's schema (the committed first migration), a migrations ledger, seed
// rows, and the objects the guard tests need: triggers and views that reach protected tables, a clean view,
// and a foreign-key cascade into a table the tests declare protected.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const INIT_SQL = fs.readFileSync(new URL('../../drizzle/0000_init.sql', import.meta.url), 'utf8');

/** The fixture's protected tables: the audit table, the migrations ledger, and `ledger` (reached only by an FK cascade). */
export const PROTECTED_TABLES = ['audit_log', '__drizzle_migrations', 'ledger'];

export interface Fixture {
  dir: string;
  file: string;
  cleanup: () => void;
}

export function createFixture(extraSql = ''): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-'));
  const file = path.join(dir, 'app.db');
  const db = new Database(file);
  for (const statement of INIT_SQL.split('--> statement-breakpoint')) db.exec(statement);
  db.exec(`
    CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric);
    INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('abc', 1700000000000);
    INSERT INTO users (id, email, username) VALUES ('u1', 'u1@example.com', 'ada'), ('u2', 'u2@example.com', 'bob'), ('u3', 'u3@example.com', 'cy');
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150)
      INSERT INTO check_ins (id, user_id, mood, craving_level) SELECT 'c' || i, 'u1', i % 10, i % 5 FROM n;
    INSERT INTO check_ins (id, user_id, mood, craving_level) VALUES ('d1', 'u2', 5, 1);
    CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB);
    CREATE TABLE tracked (id INTEGER PRIMARY KEY, v INTEGER);
    INSERT INTO tracked VALUES (1, 0);
    CREATE TRIGGER tracked_audit AFTER UPDATE ON tracked BEGIN
      INSERT INTO audit_log (created_at, tool, outcome, duration_ms, prev_hash, hash) VALUES ('x', 'trigger', 'ok', 0, '', '');
    END;
    CREATE TABLE relay (id INTEGER PRIMARY KEY, v INTEGER);
    CREATE TRIGGER relay_wipe AFTER INSERT ON relay BEGIN DELETE FROM "__drizzle_migrations"; END;
    CREATE TABLE sneaky (id INTEGER PRIMARY KEY, v INTEGER);
    INSERT INTO sneaky VALUES (1, 0);
    CREATE TRIGGER sneaky_relay AFTER UPDATE ON sneaky BEGIN INSERT INTO relay (v) VALUES (new.v); END;
    CREATE VIEW active_users AS SELECT id, email FROM users WHERE is_active;
    CREATE TRIGGER active_users_delete INSTEAD OF DELETE ON active_users BEGIN
      DELETE FROM audit_log WHERE target_id = old.id;
    END;
    CREATE VIEW user_emails AS SELECT id, email FROM users;
    CREATE TRIGGER user_emails_update INSTEAD OF UPDATE ON user_emails BEGIN
      UPDATE users SET email = new.email WHERE id = old.id;
    END;
    CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE ledger (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE);
    INSERT INTO parent VALUES (1), (2);
    INSERT INTO ledger VALUES (1, 1);
    ${extraSql}
  `);
  db.close();
  return { dir, file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The database file's bytes (hashed) and the directory's listing: what "unchanged" means for a refused call. */
export function snapshot(fixture: Fixture): { hash: string; listing: string[] } {
  const hash = createHash('sha256').update(fs.readFileSync(fixture.file)).digest('hex');
  const listing = fs.readdirSync(fixture.dir).sort();
  return { hash, listing };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
