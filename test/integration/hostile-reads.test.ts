// Reads a hostile model sends to freeze the server (issue 11 class 10), through a real client: a statement whose
// preparation explodes, a view chain that does the same under a plain name, a huge cell compared or returned.
// Each is stopped where it can be (the killable host, --query-timeout-ms) or answered within its caps; the file
// and the audit chain stay intact, the attack has its own audit row, and the next call is answered at once.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';
import { withDb, type Json } from './migration-tools-support.js';
import { doublingCte } from '../helpers/hostile-sql.js';

const BIG = 96 * 1024 * 1024;
let project: string;
let dbFile: string;
let h: Harness;

beforeAll(async () => {
  project = copyEmbeddedProject();
  dbFile = path.join(project, 'data/app.db');
  h = await startHarness({ argv: ['--project', project, '--query-timeout-ms', '1500'] });
  // The project database is created and migrated by the server; the planted objects come from "the application".
  withDb(dbFile, (db) => {
    db.exec(`CREATE TABLE blobs (id integer PRIMARY KEY, b blob); INSERT INTO blobs VALUES (1, x'00'), (2, zeroblob(${BIG}));
      CREATE VIEW v0 AS SELECT id AS x FROM blobs;`);
    for (let i = 1; i <= 20; i++) db.exec(`CREATE VIEW v${i} AS SELECT a.x FROM v${i - 1} a, v${i - 1} b`);
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
  removeDir(project);
});

interface Attack {
  name: string;
  sql: string;
  /**
   * The tool error's code; undefined: answered within its caps. Two codes where the outcome is a race the machine's
   * load decides (the host's clock against its memory limit, or against SQLite finishing the preparation and
   * refusing it): either way the statement was stopped outside the server process.
   */
  code?: string | [string, string];
}

const ATTACKS: Attack[] = [
  {
    name: 'a CTE chain that doubles 40 times while it is prepared',
    sql: doublingCte(40),
    code: ['LIMIT_EXCEEDED', 'TIMEOUT'],
  },
  {
    name: 'a CTE chain that doubles 14 times while it is prepared',
    sql: doublingCte(14),
    code: ['TIMEOUT', 'DATABASE_ERROR'],
  },
  {
    name: 'a view chain that doubles 14 times, named plainly',
    sql: 'SELECT x FROM v14 WHERE x = 1',
    code: ['TIMEOUT', 'DATABASE_ERROR'],
  },
  {
    name: 'the same view chain, quoted and in another case',
    sql: 'SELECT x FROM "V14" LIMIT 1',
    code: ['TIMEOUT', 'DATABASE_ERROR'],
  },
  // SQLite's own limit on references refuses it while preparing.
  { name: 'a view chain that doubles 20 times', sql: 'SELECT x FROM v20', code: 'DATABASE_ERROR' },
  {
    name: 'a point query that compares a 96 MiB cell',
    sql: "SELECT id FROM blobs WHERE id = 2 AND b = x'01'",
  },
  { name: 'a point query that returns a 96 MiB cell', sql: 'SELECT b FROM blobs WHERE id = 2' },
  {
    name: 'an endless recursive CTE',
    sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c',
    code: 'TIMEOUT',
  },
];

describe('hostile reads leave the server answering', () => {
  for (const attack of ATTACKS) {
    const codes = attack.code === undefined ? [] : [attack.code].flat();
    it(`${codes.length ? `stops with ${codes.join(' or ')}` : 'answers within its caps'}: ${attack.name}`, async () => {
      const result = await h.call('run_query', { sql: attack.sql });
      let code: string | null = null;
      if (codes.length) {
        expect(result.isError).toBe(true);
        code = /\(error code: (\w+)\)$/.exec(errorTextOf(result))?.[1] ?? null;
        expect(codes).toContain(code);
      } else expect(result.isError ?? false).toBe(false);
      // The next call is answered and the attack has its own audit row; the chain and the file are intact.
      const next = await h.ok<Json>('run_query', { sql: 'SELECT 42 AS answer' });
      expect(next.rows).toStrictEqual([[42]]);
      const audit = await h.ok<Json>('read_audit_log', { tool: 'run_query', verify: true, limit: 2 });
      expect(audit.rows.map((r: Json) => [r.outcome === 'ok', r.errorCode ?? null])).toStrictEqual([
        [true, null],
        code ? [false, code] : [true, null],
      ]);
      expect(audit.chain.ok).toBe(true);
      expect(withDb(dbFile, (db) => db.pragma('quick_check', { simple: true }))).toBe('ok');
    }, 30_000);
  }
});
