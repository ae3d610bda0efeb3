// Shared by the migration tool tests: temp projects the real drizzle-kit CLI can run in, schema edits, direct
// database access beside the server, and clients that answer elicitation.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { ElicitRequestSchema, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';
import { copyEmbeddedProject, REPO_ROOT, tempDir } from '../helpers/project.js';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const run = promisify(execFile);
const KIT = path.join(REPO_ROOT, 'node_modules/.bin/drizzle-kit');

/** A temp copy of the embedded default whose drizzle.config.ts the CLI can load (node_modules linked). */
export function embeddedProject(): string {
  const project = copyEmbeddedProject();
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(project, 'node_modules'), 'dir');
  return project;
}

/** A temp copy of test/fixtures/blog (without any database it may have), node_modules linked. */
export function blogProject(): string {
  const project = tempDir('dsm-blog-');
  const source = path.join(REPO_ROOT, 'test/fixtures/blog');
  fs.cpSync(source, project, {
    recursive: true,
    filter: (file) => !file.startsWith(path.join(source, 'data')),
  });
  fs.mkdirSync(path.join(project, 'data'), { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(project, 'node_modules'), 'dir');
  return project;
}

/** Replaces one exact piece of a project file (fails loudly when the piece is not there). */
export function editFile(project: string, file: string, from: string, to: string): void {
  const full = path.join(project, file);
  const text = fs.readFileSync(full, 'utf8');
  expect(text, `${file} should contain ${from}`).toContain(from);
  fs.writeFileSync(full, text.replace(from, to));
}

export function editSchema(project: string, from: string, to: string): void {
  editFile(project, 'src/db/schema.ts', from, to);
}

/** Runs the real drizzle-kit CLI in the project; returns stdout + stderr. */
export async function drizzleKit(project: string, command: 'check' | 'generate'): Promise<string> {
  const { stdout, stderr } = await run(KIT, [command, '--config', 'drizzle.config.ts'], {
    cwd: project,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return `${stdout}\n${stderr}`;
}

/** A second connection to the project database, as another process would hold it. */
export function openDb(file: string, options: Database.Options = {}): Database.Database {
  const db = new Database(file, options);
  db.pragma('busy_timeout = 5000');
  return db;
}

export function withDb<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = openDb(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export const count = (db: Database.Database, table: string): number =>
  db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;

export const columnsOf = (db: Database.Database, table: string): string[] =>
  db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];

/** Seeds the embedded default: two users, each with check-ins, journal entries and a session. */
export function seedEmbedded(dbFile: string): void {
  withDb(dbFile, (db) => {
    db.exec(`
      INSERT INTO users (id, email, username) VALUES ('u1', 'ada@example.com', 'ada'), ('u2', 'bob@example.com', 'bob');
      INSERT INTO check_ins (id, user_id, mood, craving_level, sleep_hours, notes) VALUES
        ('c1', 'u1', 4, 2, 7.5, 'slept well'), ('c2', 'u1', 2, 6, 5, 'rough day'), ('c3', 'u2', 3, 3, 8, NULL);
      INSERT INTO journal_entries (id, user_id, body) VALUES ('j1', 'u1', 'dear diary'), ('j2', 'u2', 'hello');
      INSERT INTO sessions (id, user_id, token, expires_at) VALUES ('s1', 'u1', 'tok-1', 4102444800);
    `);
  });
}

export interface ElicitationLog {
  requests: ElicitRequest['params'][];
}

/** A client that answers every elicitation with `answer` (and records the questions). */
export function answeringElicitation(
  answer: (
    request: ElicitRequest['params'],
  ) =>
    | { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> }
    | Promise<{ action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> }>,
): {
  log: ElicitationLog;
  setupClient: (client: Client) => void;
  capabilities: { elicitation: Record<string, never> };
} {
  const log: ElicitationLog = { requests: [] };
  return {
    log,
    capabilities: { elicitation: {} },
    setupClient(client) {
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        log.requests.push(request.params);
        return answer(request.params);
      });
    },
  };
}
