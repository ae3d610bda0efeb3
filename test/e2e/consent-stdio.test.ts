// The review page rung end to end: the built server over stdio, on a machine with a graphical session, opens the
// plan with the operating system's opener — here a stand-in `xdg-open` on PATH that records the URL, the way the
// person's browser would receive it — and the apply waits in the same call until the person approves on the page.
// stdout stays pure JSON-RPC, and nothing the client receives names the page's address or key.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFixtureMigration } from '../helpers/migration-fixtures.js';
import { copyEmbeddedProject, removeDir, tempDir } from '../helpers/project.js';
import { initialize, nonJsonRpcLines, spawnServer } from '../helpers/stdio.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let project: string;
let bin: string;
beforeEach(() => {
  project = copyEmbeddedProject();
  bin = tempDir('dsm-opener-');
});
afterEach(() => {
  removeDir(project);
  removeDir(bin);
});

async function until<T>(read: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(process.platform !== 'linux')('consent over stdio', () => {
  it('opens the review page with the system opener and applies in the same call once the person approves there', async () => {
    const openedFile = path.join(bin, 'opened.txt');
    fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$1" >> "${openedFile}"\n`, {
      mode: 0o755,
    });
    const server = spawnServer(['--project', project, '--consent-wait-ms', '30000'], {
      DISPLAY: ':99',
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    });
    await initialize(server);
    expect(
      ((await server.request('tools/call', { name: 'migration_status', arguments: {} })).result as Json)
        .isError,
    ).toBeFalsy();
    const db = new Database(path.join(project, 'data/app.db'));
    db.exec(`INSERT INTO users (id, email, username) VALUES ('u1', 'ada@example.com', 'ada');
      INSERT INTO check_ins (id, user_id, mood, craving_level, sleep_hours) VALUES ('c1', 'u1', 4, 2, 7.5);`);
    db.close();
    appendFixtureMigration(path.join(project, 'drizzle'), {
      name: 'drop_sleep_hours',
      statements: ['ALTER TABLE `check_ins` DROP COLUMN `sleep_hours`;'],
    });

    const applying = server.request('tools/call', { name: 'apply_migrations', arguments: {} });
    // The person's browser: the URL the opener received, then Approve on the page.
    const url = await until(() =>
      fs.existsSync(openedFile) ? fs.readFileSync(openedFile, 'utf8').trim() || undefined : undefined,
    );
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/plans\/plan_[\w-]{12}#[\w-]{43}$/);
    const { origin, pathname, hash } = new URL(url);
    const headers = { authorization: `Bearer ${hash.slice(1)}`, 'sec-fetch-site': 'same-origin' };
    const planId = pathname.split('/').pop()!;
    const view = (await (await fetch(`${origin}/api/view/plan?plan=${planId}`, { headers })).json()) as Json;
    const planHash = /data-plan-hash="([0-9a-f]{64})"/.exec(view.html)![1];
    const decided = await fetch(`${origin}/api/decision`, {
      method: 'POST',
      headers: { ...headers, origin, 'content-type': 'application/json' },
      body: JSON.stringify({ planId, planHash, decision: 'approve' }),
    });
    expect(decided.status).toBe(200);

    const result = (await applying).result as Json;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      status: 'applied',
      consent: { decision: 'approved by the person via review page', planId },
    });
    expect(JSON.stringify(result)).not.toContain(hash.slice(1));
    expect(server.stderr()).not.toContain(hash.slice(1));
    await server.exited();
    expect(nonJsonRpcLines(server.stdout())).toEqual([]);
  });
});
