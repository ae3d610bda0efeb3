// The audit log tells the truth, through a real client (issue 11 classes 7 and 8): the row of a write shows the
// statement that ran and the values it bound, whatever padding or placeholder names the caller chose, hiding only
// values bound to secret columns; and read_audit_log verify catches out-of-band tampering of the tail even after
// the server went on appending, while the server keeps answering.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';
import { withDb, type Json } from './migration-tools-support.js';

let dirs: string[] = [];
let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.close();
  for (const d of dirs) removeDir(d);
  harnesses = [];
  dirs = [];
});

async function start(): Promise<{ h: Harness; dbFile: string }> {
  const project = copyEmbeddedProject();
  dirs.push(project);
  const h = await startHarness({ argv: ['--project', project] });
  harnesses.push(h);
  const dbFile = path.join(project, 'data/app.db');
  withDb(dbFile, (db) =>
    db.exec(
      "INSERT INTO users (id, email, username, password_hash) VALUES ('u1', 'ada@example.com', 'ada', 'old'), ('u2', 'bob@example.com', 'bob', NULL)",
    ),
  );
  return { h, dbFile };
}

/** The arguments the newest execute_sql/write_rows row recorded. */
async function recorded(h: Harness, tool: string): Promise<Json> {
  const page = await h.ok<Json>('read_audit_log', { tool, limit: 1 });
  const details = page.rows[0].details as Json;
  return (details.arguments ?? details) as Json;
}

interface WriteCase {
  name: string;
  tool?: 'execute_sql' | 'write_rows';
  args: Json;
  /** What the recorded arguments must contain. */
  expect: (args: Json) => void;
}

const LONG_COMMENT = `/* ${'nothing to see here '.repeat(200)} */`;

const CASES: WriteCase[] = [
  {
    name: 'a leading comment longer than any cut cannot hide the statement',
    args: { sql: `${LONG_COMMENT}\nDELETE FROM users WHERE id = 'u2'` },
    expect: (a) => {
      expect(a.statement).toBe("DELETE FROM users WHERE id = 'u2'");
      expect(a.sent).toMatchObject({
        length: expect.any(Number),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    },
  },
  {
    name: 'padding inside the statement is collapsed',
    args: { sql: `UPDATE users${' '.repeat(5000)}SET role = 'admin'${'\n'.repeat(3000)}WHERE id = 'u1'` },
    expect: (a) => expect(a.statement).toBe("UPDATE users SET role = 'admin' WHERE id = 'u1'"),
  },
  {
    name: 'a long literal is shortened in place, and what follows it stays visible',
    args: { sql: `UPDATE users SET preferences = '${'x'.repeat(4000)}', role = 'admin' WHERE id = 'u1'` },
    expect: (a) => {
      expect(a.statement).toMatch(
        /^UPDATE users SET preferences = 'x+…\[\+\d+ chars\]', role = 'admin' WHERE id = 'u1'$/,
      );
    },
  },
  {
    name: 'a placeholder named :token is only a label: its value is shown with the column it sets',
    args: {
      sql: 'UPDATE users SET role = :token WHERE id = :secret',
      params: { token: 'owner', secret: 'u1' },
    },
    expect: (a) =>
      expect(a.params).toEqual([
        [':token → role', 'owner'],
        [':secret → id', 'u1'],
      ]),
  },
  {
    name: 'a value bound to a secret column is redacted, by the column’s name',
    args: { sql: 'UPDATE users SET password_hash = ? WHERE id = ?', params: ['hunter2-hash', 'u1'] },
    expect: (a) =>
      expect(a.params).toEqual([
        ['? → password_hash', '[redacted]'],
        ['? → id', 'u1'],
      ]),
  },
  {
    name: 'INSERT values map to their columns (the secret one redacted)',
    args: {
      sql: 'INSERT INTO sessions (id, user_id, token, expires_at) VALUES (?, ?, ?, ?)',
      params: ['s9', 'u1', 'tok-secret', 4102444800],
    },
    expect: (a) =>
      expect(a.params).toEqual([
        ['? → id', 's9'],
        ['? → user_id', 'u1'],
        ['? → token', '[redacted]'],
        ['? → expires_at', 4102444800],
      ]),
  },
  {
    name: 'a VALUES list of many rows shows its first rows and how many follow',
    args: {
      sql: `INSERT INTO journal_entries (id, user_id, body) VALUES ${Array.from({ length: 50 }, (_, i) => `('j${i}', 'u1', 'b')`).join(', ')}`,
    },
    expect: (a) =>
      expect(a.statement).toBe(
        "INSERT INTO journal_entries (id, user_id, body) VALUES ('j0', 'u1', 'b'), ('j1', 'u1', 'b'), ('j2', 'u1', 'b'), … (+47 more rows)",
      ),
  },
  {
    name: 'a typed write redacts by column key and shows the rest',
    tool: 'write_rows',
    args: {
      table: 'sessions',
      action: 'insert',
      rows: [{ id: 's7', userId: 'u1', token: 'tok-7', expiresAt: '2100-01-01T00:00:00.000Z' }],
    },
    expect: (a) =>
      expect(a.rows).toEqual([
        { id: 's7', userId: 'u1', token: '[redacted]', expiresAt: '2100-01-01T00:00:00.000Z' },
      ]),
  },
];

describe('the audit row of a write shows what was written', () => {
  for (const kase of CASES) {
    it(kase.name, async () => {
      const { h } = await start();
      const tool = kase.tool ?? 'execute_sql';
      await h.ok(tool, kase.args);
      kase.expect(await recorded(h, tool));
      const verify = await h.ok<Json>('read_audit_log', { verify: true, limit: 1 });
      expect(verify.chain).toMatchObject({ ok: true });
    });
  }
});

describe('read_audit_log verify, against out-of-band tampering between calls', () => {
  const tampers: Array<[string, string, RegExp]> = [
    ['the tail deleted', 'DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)', /were deleted/],
    [
      'the tail deleted with sqlite_sequence rewound',
      "DELETE FROM audit_log WHERE id > 2; UPDATE sqlite_sequence SET seq = 2 WHERE name = 'audit_log'",
      /recorded outside the database/,
    ],
    ['a middle row deleted', 'DELETE FROM audit_log WHERE id = 2', /jump from 1 to 3/],
    ['a row edited', "UPDATE audit_log SET tool = 'nothing' WHERE id = 2", /edited/],
  ];
  for (const [name, sql, reason] of tampers) {
    it(`reports ${name}, after the server appended more rows, and keeps answering`, async () => {
      const { h, dbFile } = await start();
      for (let i = 0; i < 3; i++) await h.ok('run_query', { sql: `SELECT ${i}` });
      withDb(dbFile, (db) => db.exec(sql));
      for (let i = 0; i < 2; i++) await h.ok('run_query', { sql: `SELECT ${i} AS later` });
      const result = await h.ok<Json>('read_audit_log', { verify: true, limit: 2 });
      expect(result.chain.ok).toBe(false);
      expect(result.chain.firstBroken.reason).toMatch(reason);
      expect((await h.ok<Json>('run_query', { sql: 'SELECT 1 AS still' })).rows).toEqual([[1]]);
    });
  }

  it('refuses every call while a foreign trigger sits on the audit table, naming it, and recovers once it is gone', async () => {
    const { h, dbFile } = await start();
    withDb(dbFile, (db) =>
      db.exec(
        'CREATE TRIGGER blank AFTER INSERT ON audit_log BEGIN UPDATE audit_log SET details = NULL WHERE id = new.id; END',
      ),
    );
    const refused = await h.call('run_query', { sql: 'SELECT 1' });
    expect(refused.isError).toBe(true);
    expect(errorTextOf(refused)).toMatch(/trigger "blank".*\n[\s\S]*AUDIT_WRITE_FAILED/);
    withDb(dbFile, (db) => db.exec('DROP TRIGGER blank'));
    const verify = await h.ok<Json>('read_audit_log', { verify: true, limit: 1 });
    expect(verify.chain).toMatchObject({ ok: true });
  });
});
