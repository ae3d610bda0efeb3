import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { openServices } from '../../src/app/services.js';
import { migrateOnStart } from '../../src/app/startup.js';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { REPO_ROOT, copyEmbeddedProject, removeDir, tempDir } from '../helpers/project.js';
import { entryPoints } from '../../src/bin/entry-points.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BLOG = path.join(REPO_ROOT, 'test/fixtures/blog');
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let dirs: string[] = [];
let harnesses: Harness[] = [];
const dir = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
const start = async (argv: string[], extra: Parameters<typeof startHarness>[0] = {}) => {
  const h = await startHarness({ ...extra, argv });
  harnesses.push(h);
  return h;
};
afterEach(async () => {
  for (const h of harnesses) await h.close();
  for (const d of dirs) removeDir(d);
  harnesses = [];
  dirs = [];
});

describe('a user project loaded through --project', () => {
  it('loads a project copied to a temp folder, creates the audit table in its database and keeps it out of inspect_schema, since its schema does not declare it', async () => {
    const project = dir();
    fs.cpSync(BLOG, project, { recursive: true, filter: (source) => !source.includes(`${path.sep}data`) });
    fs.mkdirSync(path.join(project, 'data'));
    const h = await start(['--project', project]);
    const db = path.join(project, 'data/blog.db');
    expect(fs.existsSync(db)).toBe(true);
    const schema = await h.ok<Json>('inspect_schema');
    expect(schema.drizzleSchema).toBeUndefined();
    const names = schema.tables.map((table: Json) => table.name);
    expect(names).not.toContain('mcp_audit_log');
    expect(names).not.toContain('blog_migrations');
    expect(names.length).toBeGreaterThan(0);
    // casing: 'snake_case' maps the Drizzle property names onto snake_case columns.
    expect(JSON.stringify(schema)).toMatch(/\(drizzle: [a-z]+[A-Z][A-Za-z]*\)/);
    const raw = new Database(db, { readonly: true });
    expect(raw.prepare('select count(*) from mcp_audit_log').pluck().get()).toBeGreaterThan(0);
    expect(raw.prepare('select count(*) from blog_migrations').pluck().get()).toBe(1);
    raw.close();
  });

  it('starts beside an app table named audit_log without touching it, and refuses --audit-table naming it', async () => {
    const db = path.join(dir(), 'app.db');
    const raw = new Database(db);
    raw.exec(
      'CREATE TABLE audit_log (id text primary key, user_id text not null, action text not null, target_type text, target_id text, details text, created_at text)',
    );
    raw.close();
    await expect(start(['--project', BLOG, '--db', db, '--audit-table', 'audit_log'])).rejects.toMatchObject({
      code: 'CONFIG_ERROR',
      message: expect.stringMatching(/not this server's audit log/),
      hint: expect.stringMatching(/--audit-table/),
    });
    const h = await start(['--project', BLOG, '--db', db]);
    await h.ok('read_audit_log');
    const check = new Database(db, { readonly: true });
    expect(check.prepare('select count(*) from audit_log').pluck().get()).toBe(0);
    expect(check.prepare('select count(*) from mcp_audit_log').pluck().get()).toBeGreaterThan(0);
    check.close();
  });
});

describe('where the audit log lives', () => {
  it('with --audit-db and --read-only, read calls leave the data file byte-for-byte untouched', async () => {
    const d = dir();
    const db = path.join(d, 'blog.db');
    const warm = await start(['--project', BLOG, '--db', db]);
    await warm.close();
    harnesses = [];
    const raw = new Database(db);
    raw.pragma('journal_mode = DELETE');
    raw.close();
    const before = sha(db);
    const listing = fs.readdirSync(d).sort();
    const auditDb = path.join(d, 'audit.db');
    const h = await start(['--project', BLOG, '--db', db, '--audit-db', auditDb, '--read-only']);
    await h.ok('inspect_schema');
    await h.call('inspect_schema', { tables: ['nope'] });
    await h.close();
    harnesses = [];
    expect(sha(db)).toBe(before);
    // The audit file and, beside it, the chain's head kept outside the database (audit/anchor.ts).
    expect(fs.readdirSync(d).sort()).toStrictEqual(
      [...listing, 'audit.db', 'audit.db.mcp_audit_log.anchor.json'].sort(),
    );
    const audit = new Database(auditDb, { readonly: true });
    expect(audit.prepare('select tool, outcome from mcp_audit_log order by id').all()).toStrictEqual([
      { tool: 'inspect_schema', outcome: 'ok' },
      { tool: 'inspect_schema', outcome: 'error' },
    ]);
    audit.close();
  });

  it('in --read-only mode refuses every tool that is not a pure read, and audits the refusal', async () => {
    const project = copyEmbeddedProject(dir());
    const first = await start(['--project', project]);
    await first.close();
    harnesses = [];
    const h = await start(['--project', project, '--read-only']);
    const { tools } = await h.client.listTools();
    const nonRead = tools.filter((tool) => tool.annotations?.readOnlyHint !== true);
    expect(nonRead).toStrictEqual([]);
    for (const tool of tools.filter((t) => t.description?.startsWith('[Disabled'))) {
      const result = await h.call(tool.name, {});
      expect(result.isError).toBe(true);
      expect(errorTextOf(result)).toMatch(/--read-only/);
    }
    const refused = await h.ok<Json>('read_audit_log', { outcome: 'refused' });
    expect(refused.rows.every((row: Json) => row.errorCode === 'READ_ONLY_MODE')).toBe(true);
  });
});

describe('faults', () => {
  it('answers DATABASE_LOCKED after the bounded wait when another process holds the write lock, and keeps serving', async () => {
    const project = copyEmbeddedProject(dir());
    const h = await start(['--project', project, '--busy-timeout-ms', '200']);
    const other = new Database(path.join(project, 'data/app.db'));
    other.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    const locked = await h.call('inspect_schema', { tables: ['users'] });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(locked.isError).toBe(true);
    expect(errorTextOf(locked)).toMatch(/locked by another process/);
    expect(errorTextOf(locked)).toMatch(/DATABASE_LOCKED/);
    other.exec('ROLLBACK');
    other.close();
    await h.ok('inspect_schema', { tables: ['users'] });
  });

  it('fails closed when the audit row cannot be written (disk full): the result is withheld', async () => {
    const project = copyEmbeddedProject(dir());
    const h = await start(['--project', project]);
    const connection = h.services.audit.connection;
    const pages = connection.pragma('page_count', { simple: true }) as number;
    connection.pragma(`max_page_count = ${pages}`);
    // Fill the last free pages so the next audit insert needs a new one.
    let full = false;
    for (let i = 0; i < 200 && !full; i++) {
      const result = await h.call('inspect_schema', { tables: ['users'] });
      if (result.isError) {
        expect(errorTextOf(result)).toMatch(/audit log could not be written/);
        expect(errorTextOf(result)).toMatch(/AUDIT_WRITE_FAILED/);
        expect(result.structuredContent).toBeUndefined();
        full = true;
      }
    }
    expect(full).toBe(true);
    connection.pragma('max_page_count = 1073741823');
    await h.ok('inspect_schema', { tables: ['users'] });
  });

  it('says at start-up how to run when the audit log cannot be kept in the database', async () => {
    const project = copyEmbeddedProject(dir());
    const { config } = loadConfig({
      argv: ['--project', project, '--read-only'],
      env: {},
      cwd: project,
      defaultProjectDir: project,
    });
    await expect(
      openServices(config, createLogger('silent'), { entries: entryPoints(), migrateOnStart }),
    ).rejects.toMatchObject({
      code: 'CONFIG_ERROR',
      message: expect.stringMatching(/does not exist.*--read-only/),
    });
  });
});
