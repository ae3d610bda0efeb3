// A Turso project's history holds libSQL's `ALTER TABLE … ALTER COLUMN … TO …` (drizzle-kit writes it for dialect
// "turso"; openstatus 0041). SQLite cannot run it: the server names the file and statement and what to do before
// anything runs — never SQLite's "syntax error" with advice to fix the SQL, which is right where it runs.
import { describe, expect, it } from 'vitest';
import { corpusSession, type Json } from '../helpers/corpus.js';
import { errorTextOf } from '../helpers/mcp.js';

const session = corpusSession();
const start = (argv: string[] = []) => session.start(session.fixture('turso-alter-column'), argv);

describe('libSQL-only SQL in a Turso history', () => {
  it('is named in migration_status and refused by the dry run and the apply before anything runs', async () => {
    const h = await start(['--no-migrate-on-start']);
    const status = await h.ok<Json>('migration_status', { drift: false });
    expect(status.consistent).toBe(false);
    expect(status.problems).toEqual([
      expect.stringMatching(
        /^LIBSQL_ONLY_SQL: 0001_status_required\.sql statement 1 \(`ALTER TABLE `incidents` ALTER COLUMN "status" TO/,
      ),
    ]);
    for (const args of [{ dryRun: true }, {}]) {
      const result = await h.call('apply_migrations', args);
      expect(result.isError).toBe(true);
      const text = errorTextOf(result);
      expect(text).toMatch(/0001_status_required\.sql statement 1/);
      expect(text).toMatch(/drizzle-kit migrate/);
      expect(text).toMatch(/MIGRATION_CONFLICT/);
      expect(text).not.toMatch(/syntax/i);
    }
    // Nothing ran: not even the first migration.
    expect((await h.ok<Json>('migration_status', { drift: false })).counts).toMatchObject({
      applied: 0,
      pending: 2,
    });
  });

  it('says so in the first result when the start-up migration is refused, with nothing applied', async () => {
    const h = await start();
    const status = await h.ok<Json>('migration_status', { drift: false });
    expect(status.counts).toMatchObject({ applied: 0, pending: 2 });
    expect(status.notices.join('\n')).toMatch(
      /Applying the pending migrations at start failed, so none was applied: .*LIBSQL_ONLY_SQL/s,
    );
  });
});
