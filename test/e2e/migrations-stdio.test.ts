// The migration workflow against the built server over real stdio pipes, as a client such as Claude Desktop drives
// it: add a column → status → generate → dry run → apply (with progress) → status, then a column drop refused for
// want of consent. stdout must carry only JSON-RPC throughout (drizzle-kit runs inside the server).
// Set MIGRATIONS_TRANSCRIPT=<file> to keep the session transcript (tool calls and trimmed answers).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';
import { initialize, nonJsonRpcLines, spawnServer, type RawServer } from '../helpers/stdio.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let project: string;

beforeEach(() => {
  project = copyEmbeddedProject();
});
afterEach(() => removeDir(project));

function trim(value: unknown, max = 1200): string {
  const text = JSON.stringify(value, null, 2);
  return text.length <= max ? text : `${text.slice(0, max)}\n  …(${text.length - max} more chars)`;
}

describe('migrations over stdio (built server)', () => {
  it('runs add-column → status → generate → dry run → apply → status, and refuses a drop without consent', async () => {
    const server: RawServer = spawnServer(['--project', project, '--log-level', 'debug']);
    const transcript: string[] = [];
    let progressToken = 1;
    const call = async (name: string, args: Json, options: { progress?: boolean } = {}): Promise<Json> => {
      const params: Json = { name, arguments: args };
      if (options.progress) params._meta = { progressToken: `p${progressToken++}` };
      const response = (await server.request('tools/call', params)).result as Json;
      transcript.push(`→ tools/call ${name} ${JSON.stringify(args)}`);
      transcript.push(
        `← ${response.isError ? `isError: ${response.content[0].text}` : trim(response.structuredContent)}`,
      );
      return response;
    };
    try {
      await initialize(server);
      const schemaFile = path.join(project, 'src/db/schema.ts');
      fs.writeFileSync(
        schemaFile,
        fs
          .readFileSync(schemaFile, 'utf8')
          .replace("notes: text('notes'),", "notes: text('notes'),\n    energy: integer('energy'),"),
      );
      transcript.push("(edit src/db/schema.ts: check_ins gets  energy: integer('energy'))");

      const before = (await call('migration_status', {})).structuredContent;
      expect(before.drift.schema.tables).toEqual([expect.stringMatching(/energy/)]);

      const generated = (await call('generate_migration', { name: 'add_energy' })).structuredContent;
      expect(generated).toMatchObject({
        status: 'ok',
        tag: '0001_add_energy',
        sql: 'ALTER TABLE `check_ins` ADD `energy` integer;',
      });

      const dry = (await call('apply_migrations', { dryRun: true })).structuredContent;
      expect(dry).toMatchObject({ status: 'dry_run', ok: true });

      const applied = (await call('apply_migrations', {}, { progress: true })).structuredContent;
      expect(applied).toMatchObject({ status: 'applied', applied: ['0001_add_energy'] });

      const after = (await call('migration_status', {})).structuredContent;
      expect(after).toMatchObject({
        consistent: true,
        counts: { applied: 2, pending: 0 },
        drift: { inSync: true },
      });

      const seed = new Database(path.join(project, 'data/app.db'));
      seed.pragma('busy_timeout = 5000');
      seed.exec(`INSERT INTO users (id, email, username) VALUES ('u1', 'ada@example.com', 'ada');
                 INSERT INTO check_ins (id, user_id, mood, craving_level, sleep_hours) VALUES ('c1', 'u1', 4, 2, 7.5), ('c2', 'u1', 3, 5, 6);`);
      seed.close();
      transcript.push('(the app writes 1 user and 2 check-ins)');
      fs.writeFileSync(
        schemaFile,
        fs.readFileSync(schemaFile, 'utf8').replace("    sleepHours: real('sleep_hours'),\n", ''),
      );
      transcript.push('(edit src/db/schema.ts: remove check_ins.sleepHours)');
      await call('generate_migration', { name: 'drop_sleep_hours' });
      const refused = await call('apply_migrations', {});
      expect(refused.isError).toBe(true);
      expect(refused.content[0].text).toMatch(/--allow-destructive/);

      const progress = server
        .stdout()
        .split('\n')
        .filter((line) => line.includes('notifications/progress'))
        .map((line) => (JSON.parse(line) as Json).params);
      expect(progress.map((p) => p.message)).toEqual([
        'Dry run on a copy of the database',
        'Backing up the database',
        'Applying 0001_add_energy (1/1)',
      ]);
      expect(progress.every((p) => p.progress < p.total)).toBe(true);
    } finally {
      const exit = await server.exited();
      expect(exit.code).toBe(0);
      if (process.env.MIGRATIONS_TRANSCRIPT)
        fs.writeFileSync(process.env.MIGRATIONS_TRANSCRIPT, transcript.join('\n') + '\n');
    }
    expect(nonJsonRpcLines(server.stdout())).toEqual([]);
    const db = new Database(path.join(project, 'data/app.db'), { readonly: true });
    expect(db.prepare(`SELECT name FROM pragma_table_info('check_ins')`).pluck().all()).toEqual(
      expect.arrayContaining(['energy', 'sleep_hours']),
    );
    const audit = db
      .prepare(
        `SELECT tool, outcome, error_code, target_id FROM audit_log WHERE tool IN ('generate_migration', 'apply_migrations') ORDER BY id`,
      )
      .all();
    db.close();
    expect(audit).toEqual([
      { tool: 'apply_migrations', outcome: 'ok', error_code: null, target_id: '0000_init' },
      { tool: 'generate_migration', outcome: 'ok', error_code: null, target_id: '0001_add_energy' },
      { tool: 'apply_migrations', outcome: 'ok', error_code: null, target_id: '0001_add_energy' },
      { tool: 'apply_migrations', outcome: 'ok', error_code: null, target_id: '0001_add_energy' },
      { tool: 'generate_migration', outcome: 'ok', error_code: null, target_id: '0002_drop_sleep_hours' },
      {
        tool: 'apply_migrations',
        outcome: 'refused',
        error_code: 'CONSENT_REQUIRED',
        target_id: '0002_drop_sleep_hours',
      },
    ]);
  });
});
