// `drizzle-sqlite-mcp review`: the read-only console on a real project, through the CLI runner — its address
// printed (key in the fragment), the schema, migrations and audit pages served from the project, nothing written,
// no plan to decide, and nothing left listening once it stops.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/bin/cli.js';
import { runCli } from '../helpers/cli.js';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let project: string;
beforeEach(() => {
  project = copyEmbeddedProject();
});
afterEach(() => removeDir(project));

const cli = (argv: string[], io: { opener?: (url: string) => Promise<void>; until?: Promise<void> } = {}) =>
  runCli([...argv, '--project', project], { cwd: project, ...io });

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('drizzle-sqlite-mcp review', () => {
  it('serves the schema, the migrations and the audit trail read-only, prints its address, and stops cleanly', async () => {
    // A project with a database, some calls in its audit log, and a write-ahead log folded in.
    expect((await cli(['call', 'inspect_schema'])).code).toBe(EXIT.ok);
    expect((await cli(['call', 'run_query', '--args', '{"sql":"SELECT 1"}'])).code).toBe(EXIT.ok);
    const dbFile = path.join(project, 'data/app.db');
    const before = sha(dbFile);

    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    let opened: string | undefined;
    const pages: Record<string, Json> = {};
    let served!: Promise<unknown>;
    const running = cli(['review'], {
      until,
      async opener(url) {
        opened = url;
        // The person's browser, once the page is open: every view, and a decision that has nothing to decide.
        served = (async () => {
          const { origin, hash } = new URL(url);
          const headers = { authorization: `Bearer ${hash.slice(1)}`, 'sec-fetch-site': 'same-origin' };
          for (const view of ['plans', 'schema', 'migrations', 'audit'])
            pages[view] = (await (await fetch(`${origin}/api/view/${view}`, { headers })).json()) as Json;
          pages.decision = {
            status: (
              await fetch(`${origin}/api/decision`, {
                method: 'POST',
                headers: { ...headers, origin, 'content-type': 'application/json' },
                body: JSON.stringify({
                  planId: 'plan_AAAAAAAAAAAA',
                  planHash: 'a'.repeat(64),
                  decision: 'approve',
                }),
              })
            ).status,
          };
        })().finally(stop);
      },
    });
    const result = await running;
    await served;
    expect(result.code).toBe(EXIT.ok);
    expect(opened).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/schema#[\w-]{43}$/);
    expect(result.stdout.trim()).toBe(opened);
    expect(result.stderr).toMatch(/read-only, on http:\/\/127\.0\.0\.1:\d+ only/);

    expect(pages.schema!.title).toBe('Database schema');
    expect(pages.schema!.html).toContain('check_ins');
    expect(pages.schema!.html).toContain('checkIns'); // the Drizzle export name beside the SQL name
    expect(pages.migrations!.html).toMatch(/0000_\w+/);
    expect(pages.audit!.html).toContain('run_query');
    expect(pages.audit!.html).toContain('Hash chain verified');
    expect(pages.plans!.html).toMatch(/Plans waiting for\s+your approval are reviewed where the assistant/);
    expect(pages.decision!.status).toBe(404);

    // Read-only: not a byte of the database changed, and nothing listens once the command returned.
    expect(sha(dbFile)).toBe(before);
    await expect(fetch(new URL(opened!).origin)).rejects.toThrow();
  });

  it('refuses a project without a database, saying which file is missing', async () => {
    const result = await cli(['review', '--db', path.join(project, 'data/none.db')], {
      opener: () => Promise.reject(new Error('must not open')),
      until: Promise.resolve(),
    });
    expect(result.code).toBe(EXIT.failed);
    expect(JSON.parse(result.stderr)).toMatchObject({
      code: 'CONFIG_ERROR',
      message: expect.stringMatching(/does not exist: .*none\.db/),
    });
  });
});
