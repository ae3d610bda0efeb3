// select_rows and write_rows through a real MCP client on a copy of the embedded default: Drizzle and SQL names,
// values checked against the Drizzle column types, results decoded the Drizzle way (boolean, JSON, timestamp),
// foreign keys and cascades, cursor paging, refusals with the valid names, protected tables.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Rows as objects keyed by the answer's column names (easier to assert on). */
function objects(out: Json): Json[] {
  return out.rows.map((row: unknown[]) =>
    Object.fromEntries(out.columns.map((name: string, i: number) => [name, row[i]])),
  );
}

describe('select_rows and write_rows on the embedded default', () => {
  let project: string;
  let dbFile: string;
  let h: Harness;
  const raw = (sql: string, ...params: unknown[]) => {
    const db = new Database(dbFile, { readonly: true });
    try {
      return db.prepare(sql).all(...params) as Json[];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    project = copyEmbeddedProject();
    dbFile = path.join(project, 'data/app.db');
    h = await startHarness({ argv: ['--project', project] });
  });
  afterAll(async () => {
    await h.close();
    removeDir(project);
  });

  it('inserts rows named by Drizzle and SQL names, and returns them decoded with their defaults', async () => {
    const out = await h.ok<Json>('write_rows', {
      table: 'users',
      action: 'insert',
      rows: [
        {
          id: 'u1',
          email: 'ada@example.com',
          username: 'ada',
          preferences: { theme: 'dark', reminders: true },
          role: 'coach',
        },
        { id: 'u2', email: 'bob@example.com', username: 'bob', is_active: false, password_hash: 'x' },
      ],
    });
    expect(out).toMatchObject({ action: 'insert', table: 'users', rowsAffected: 2 });
    const [ada, bob] = objects(out);
    expect(ada).toMatchObject({
      id: 'u1',
      isActive: true,
      preferences: { theme: 'dark', reminders: true },
      role: 'coach',
      passwordHash: null,
    });
    expect(ada!.createdAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(bob).toMatchObject({
      id: 'u2',
      isActive: false,
      preferences: null,
      role: 'member',
      passwordHash: 'x',
    });
    expect(out.untrusted.boundary).toMatch(/^[0-9a-f]{16}$/);
    // Stored the way Drizzle stores them: booleans as 0/1, JSON as text.
    expect(raw('SELECT is_active, preferences FROM users ORDER BY id')).toStrictEqual([
      { is_active: 1, preferences: '{"theme":"dark","reminders":true}' },
      { is_active: 0, preferences: null },
    ]);
  });

  it('writes a timestamp column from ISO text, stores epoch seconds, and reads it back as ISO', async () => {
    const out = await h.ok<Json>('write_rows', {
      table: 'sessions',
      action: 'insert',
      values: { id: 's1', userId: 'u1', token: 'tok-1', expiresAt: '2030-05-01T12:30:00Z' },
    });
    expect(objects(out)[0]).toMatchObject({ id: 's1', expiresAt: '2030-05-01T12:30:00.000Z' });
    expect(raw('SELECT expires_at FROM sessions')).toStrictEqual([
      { expires_at: Date.UTC(2030, 4, 1, 12, 30) / 1000 },
    ]);
    const later = await h.ok<Json>('select_rows', {
      table: 'sessions',
      where: { expiresAt: { gt: '2030-01-01T00:00:00Z' } },
      columns: ['token', 'expires_at'],
    });
    expect(later.columns).toStrictEqual(['token', 'expiresAt']);
    expect(later.rows).toStrictEqual([['tok-1', '2030-05-01T12:30:00.000Z']]);
    const none = await h.ok<Json>('select_rows', {
      table: 'sessions',
      where: { expiresAt: { lt: '2030-01-01T00:00:00Z' } },
    });
    expect(none.rows).toStrictEqual([]);
  });

  it('writes and reads JSON arrays and booleans in journal entries', async () => {
    await h.ok('write_rows', {
      table: 'journalEntries',
      action: 'insert',
      rows: [
        { id: 'j1', userId: 'u1', body: 'Slept well', tags: ['sleep', 'good'], isPrivate: false },
        { id: 'j2', userId: 'u1', body: 'Rough day', tags: [] },
      ],
    });
    const out = await h.ok<Json>('select_rows', {
      table: 'journal_entries',
      columns: ['id', 'tags', 'isPrivate'],
      orderBy: ['id'],
    });
    expect(out.rows).toStrictEqual([
      ['j1', ['sleep', 'good'], false],
      ['j2', [], true],
    ]);
    const privateOnly = await h.ok<Json>('select_rows', {
      table: 'journalEntries',
      where: { isPrivate: true },
      columns: ['id'],
    });
    expect(privateOnly.rows).toStrictEqual([['j2']]);
  });

  it('refuses values that do not fit the Drizzle types before anything runs', async () => {
    const cases: Array<[Json, RegExp]> = [
      [
        { id: 'u3', email: 'c@example.com', username: 'cy', role: 'owner' },
        /role: Invalid option: expected one of "member"\|"coach"\|"admin"/,
      ],
      [
        { id: 'u3', email: 'c@example.com', username: 'cy', isActive: 1 },
        /isActive: Invalid input: expected boolean/,
      ],
      [{ id: 'u3', email: 'c@example.com' }, /username: Invalid input/],
      [
        { id: 'u3', email: 'c@example.com', username: 'cy', emial: 'x' },
        /no column "emial"[\s\S]*passwordHash \(password_hash\)/,
      ],
    ];
    for (const [row, message] of cases) {
      const result = await h.call('write_rows', { table: 'users', action: 'insert', rows: [row] });
      expect(result.isError, JSON.stringify(row)).toBe(true);
      expect(errorTextOf(result), JSON.stringify(row)).toMatch(message);
      expect(errorTextOf(result)).toMatch(/INVALID_ARGUMENT/);
    }
    const badDate = await h.call('write_rows', {
      table: 'sessions',
      action: 'insert',
      values: { id: 's2', userId: 'u1', token: 't2', expiresAt: 'next tuesday' },
    });
    expect(errorTextOf(badDate)).toMatch(/expiresAt: expected an ISO-8601 date-time/);
    expect(raw("SELECT count(*) AS n FROM users WHERE id = 'u3'")).toStrictEqual([{ n: 0 }]);
  });

  it('refuses an unknown table with the list of tables, and an unknown column with the list of columns', async () => {
    const table = await h.call('select_rows', { table: 'people' });
    expect(errorTextOf(table)).toMatch(/no table "people"/);
    expect(errorTextOf(table)).toMatch(/checkIns \(check_ins\)/);
    expect(errorTextOf(table)).toMatch(/NOT_FOUND/);
    const column = await h.call('select_rows', { table: 'checkIns', where: { feeling: 3 } });
    expect(errorTextOf(column)).toMatch(/no column "feeling"[\s\S]*cravingLevel \(craving_level\)/);
    expect(errorTextOf(column)).toMatch(/INVALID_ARGUMENT/);
  });

  it('refuses malformed filters with what to write instead', async () => {
    const cases: Array<[Json, RegExp]> = [
      [{ id: { in: 'u1' } }, /where\.id\.in needs between 1 and 1000 values/],
      [{ id: { between: ['a', 'b'] } }, /unknown operator "between"[\s\S]*eq, ne, gt/],
      [{ preferences: { theme: 'dark' } }, /preferences is a JSON column[\s\S]*json_extract/],
      [{ isActive: 'yes' }, /where\.isActive\.eq: Invalid input: expected boolean/],
      [{ role: { in: ['member', 'owner'] } }, /where\.role\.in\[1\]: Invalid option/],
      [{ username: { isNull: 'no' } }, /isNull must be true or false/],
    ];
    for (const [where, message] of cases) {
      const result = await h.call('select_rows', { table: 'users', where });
      expect(result.isError, JSON.stringify(where)).toBe(true);
      expect(errorTextOf(result), JSON.stringify(where)).toMatch(message);
      expect(errorTextOf(result)).toMatch(/INVALID_ARGUMENT/);
    }
  });

  it('names a foreign key violation in words', async () => {
    const result = await h.call('write_rows', {
      table: 'checkIns',
      action: 'insert',
      values: { id: 'c0', userId: 'ghost', mood: 3, cravingLevel: 1 },
    });
    expect(result.isError).toBe(true);
    expect(errorTextOf(result)).toMatch(/foreign key constraint failed/);
  });

  it('pages through rows with a stable keyset cursor in the requested order', async () => {
    const rows = Array.from({ length: 90 }, (_, i) => ({
      id: `c${String(i).padStart(3, '0')}`,
      userId: i % 3 ? 'u1' : 'u2',
      mood: i % 10,
      cravingLevel: i % 5,
      sleepHours: 6 + (i % 4) / 2,
    }));
    await h.ok('write_rows', { table: 'checkIns', action: 'insert', rows: rows.slice(0, 60) });
    await h.ok('write_rows', { table: 'checkIns', action: 'insert', rows: rows.slice(60) });
    const seen: Json[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const out: Json = await h.ok('select_rows', {
        table: 'check_ins',
        columns: ['id', 'mood'],
        where: { mood: { gte: 2 } },
        orderBy: ['mood desc'],
        limit: 25,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...objects(out));
      cursor = out.nextCursor;
      pages += 1;
      if (cursor) expect(out.truncated).toBe(true);
    } while (cursor && pages < 10);
    const expected = rows
      .filter((r) => r.mood >= 2)
      .sort((a, b) => b.mood - a.mood || a.id.localeCompare(b.id));
    expect(seen.map((r) => r.id)).toStrictEqual(expected.map((r) => r.id));
    expect(pages).toBe(Math.ceil(expected.length / 25));
    const other = await h.call('select_rows', {
      table: 'check_ins',
      orderBy: ['mood'],
      cursor: (await h.ok<Json>('select_rows', { table: 'check_ins', limit: 5 })).nextCursor,
    });
    expect(errorTextOf(other)).toMatch(/cursor belongs to a different query/);
  });

  it('filters with operators (in, like, ne, isNull, ranges) on foreign-key and real columns', async () => {
    const out = await h.ok<Json>('select_rows', {
      table: 'checkIns',
      columns: ['id'],
      where: {
        userId: { in: ['u2'] },
        sleepHours: { gte: 7, lt: 7.5 },
        id: { like: 'c0%' },
        notes: { isNull: true },
        mood: { ne: 0 },
      },
      orderBy: ['id'],
    });
    expect(out.rows).toStrictEqual([['c006'], ['c018'], ['c042'], ['c054'], ['c066'], ['c078']]);
  });

  it('updates with a where, returning the rows as they now are; refuses an update or delete without one', async () => {
    const out = await h.ok<Json>('write_rows', {
      table: 'users',
      action: 'update',
      values: { isActive: false, preferences: { theme: 'light' } },
      where: { id: 'u1' },
    });
    expect(out.rowsAffected).toBe(1);
    expect(objects(out)[0]).toMatchObject({ id: 'u1', isActive: false, preferences: { theme: 'light' } });
    for (const args of [
      { table: 'users', action: 'update', values: { isActive: true } },
      { table: 'users', action: 'delete', where: {} },
    ]) {
      const result = await h.call('write_rows', args);
      expect(errorTextOf(result)).toMatch(/needs a where filter/);
    }
    expect(raw('SELECT count(*) AS n FROM users WHERE is_active = 1')).toStrictEqual([{ n: 0 }]);
  });

  it('dry-runs a delete: reports the cascade it would cause and keeps everything', async () => {
    const out = await h.ok<Json>('write_rows', {
      table: 'users',
      action: 'delete',
      where: { id: 'u2' },
      dryRun: true,
    });
    // The user, 30 check-ins and nothing else: cascades are counted.
    expect(out).toMatchObject({ action: 'delete', rowsAffected: 31, dryRun: true });
    expect(objects(out).map((r) => r.id)).toStrictEqual(['u2']);
    expect(raw("SELECT count(*) AS n FROM check_ins WHERE user_id = 'u2'")).toStrictEqual([{ n: 30 }]);
  });

  it('deletes with cascades counted against the budget', async () => {
    await h.ok('write_rows', {
      table: 'users',
      action: 'insert',
      values: { id: 'u9', email: 'z@example.com', username: 'zed' },
    });
    await h.ok('write_rows', {
      table: 'checkIns',
      action: 'insert',
      values: { id: 'z1', userId: 'u9', mood: 1, cravingLevel: 1 },
    });
    const out = await h.ok<Json>('write_rows', { table: 'users', action: 'delete', where: { id: 'u9' } });
    expect(out.rowsAffected).toBe(2);
    expect(objects(out)[0]).toMatchObject({ id: 'u9', username: 'zed', isActive: true });
    expect(raw("SELECT count(*) AS n FROM check_ins WHERE user_id = 'u9'")).toStrictEqual([{ n: 0 }]);
    const audit = raw(
      "SELECT outcome, rows_affected, target_id FROM audit_log WHERE tool = 'write_rows' ORDER BY id DESC LIMIT 1",
    );
    expect(audit).toStrictEqual([{ outcome: 'ok', rows_affected: 2, target_id: 'users' }]);
  });

  it('refuses to write the audit log, even though the schema declares it', async () => {
    const result = await h.call('write_rows', { table: 'auditLog', action: 'delete', where: { id: 1 } });
    expect(result.isError).toBe(true);
    expect(errorTextOf(result)).toMatch(/"audit_log" is kept by the server itself/);
    expect(errorTextOf(result)).toMatch(/PROTECTED_TABLE/);
    const read = await h.ok<Json>('select_rows', {
      table: 'auditLog',
      columns: ['tool'],
      where: { tool: 'write_rows', outcome: 'refused' },
    });
    expect(read.rows.length).toBeGreaterThan(0);
  });

  it('keeps 64-bit integers exact through write_rows and select_rows', async () => {
    await h.ok('write_rows', {
      table: 'checkIns',
      action: 'insert',
      values: { id: 'big', userId: 'u1', mood: '9007199254740993', cravingLevel: '-9223372036854775808' },
    });
    const out = await h.ok<Json>('select_rows', {
      table: 'checkIns',
      columns: ['mood', 'cravingLevel'],
      where: { id: 'big' },
    });
    expect(out.rows).toStrictEqual([['9007199254740993', '-9223372036854775808']]);
    expect(
      raw("SELECT typeof(mood) AS t, mood = 9007199254740993 AS exact FROM check_ins WHERE id = 'big'"),
    ).toStrictEqual([{ t: 'integer', exact: 1 }]);
    const tooBig = await h.call('write_rows', {
      table: 'checkIns',
      action: 'update',
      values: { mood: '9223372036854775808' },
      where: { id: 'big' },
    });
    expect(errorTextOf(tooBig)).toMatch(/64-bit integer range/);
  });
});
