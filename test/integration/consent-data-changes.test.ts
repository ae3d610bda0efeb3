// Issue 11's consents through the ladder of issue 15, with a real SDK client that renders MCP Apps: a migration
// that rewrites existing rows and a restore that would replace rows the application wrote itself each become a
// plan whose card shows the rows per table; approving the card is not a blank cheque — an apply that does more on
// the real file than the plan showed is rolled back whole.
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { UI_CAPABILITIES, pendingPlanId } from '../helpers/consent-world.js';
import { errorTextOf, startHarness, type Harness } from '../helpers/mcp.js';
import { appendFixtureMigration } from '../helpers/migration-fixtures.js';
import { removeDir } from '../helpers/project.js';
import { embeddedProject, seedEmbedded, withDb, type Json } from './migration-tools-support.js';

const NONCE_KEY = 'dsm/nonce';

let project: string;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  removeDir(project);
});

async function start(): Promise<{ h: Harness; dbFile: string }> {
  project = embeddedProject();
  const dbFile = path.join(project, 'data/app.db');
  h = await startHarness({
    capabilities: UI_CAPABILITIES,
    argv: ['--project', project, '--consent-wait-ms', '300'],
  });
  seedEmbedded(dbFile);
  return { h, dbFile };
}

const data = (result: CallToolResult) => result.structuredContent as Json;

/** Calls `tool`, expects needs_human on the card, and returns the plan id and the card's html. */
async function cardFor(
  harness: Harness,
  tool: string,
  args: Json,
): Promise<{ planId: string; html: string }> {
  const planId = await pendingPlanId(harness, tool, args);
  const card = await harness.call('serve_view', { action: 'render', view: 'plan', planId });
  expect(card.isError, errorTextOf(card)).toBeFalsy();
  return { planId, html: data(card).html as string };
}

async function approveOnCard(harness: Harness, planId: string, html: string): Promise<void> {
  const card = await harness.call('serve_view', { action: 'render', view: 'plan', planId });
  const nonce = card._meta?.[NONCE_KEY] as string;
  const planHash = /data-plan-hash="([0-9a-f]{64})"/.exec(html)![1];
  const approved = await harness.call('serve_view', {
    action: 'decide',
    view: 'plan',
    planId,
    planHash,
    decision: 'approve',
    nonce,
  });
  expect(approved.isError, errorTextOf(approved)).toBeFalsy();
}

const moods = (dbFile: string) =>
  withDb(dbFile, (db) => db.prepare('SELECT mood, notes FROM check_ins ORDER BY id').all());
const ledger = (dbFile: string) =>
  withDb(dbFile, (db) => db.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get() as number);

describe('a migration that rewrites existing rows, on the App card', () => {
  it('shows the rows changed per table and the rewriting statement, and applies once approved', async () => {
    const { h, dbFile } = await start();
    appendFixtureMigration(path.join(project, 'drizzle'), {
      name: 'bump_moods',
      statements: ['UPDATE `check_ins` SET `mood` = `mood` + 1;'],
    });
    const { planId, html } = await cardFor(h, 'apply_migrations', {});
    expect(html).toContain('rows changed');
    expect(html).toMatch(/<code>check_ins<\/code>[\s\S]*?<td class="num changed">3<\/td>/);
    // The rewriting statement, marked (its backticks escaped in the html).
    expect(html).toMatch(/UPDATE (?:`|&#96;|&#x60;)check_ins(?:`|&#96;|&#x60;) SET/);
    expect(html).toContain('changes existing rows of check_ins: 3 updated, 0 deleted');
    await approveOnCard(h, planId, html);
    const applied = await h.ok<Json>('apply_migrations', { planId });
    expect(applied).toMatchObject({ status: 'applied', consent: { planId } });
    expect(moods(dbFile).map((row) => (row as { mood: number }).mood)).toStrictEqual([5, 3, 4]);
  });

  it('rolls the approved apply back whole when it does more on the real file than the plan showed', async () => {
    const { h, dbFile } = await start();
    appendFixtureMigration(path.join(project, 'drizzle'), {
      name: 'bump_and_more',
      statements: [
        'UPDATE `check_ins` SET `mood` = `mood` + 1;',
        "UPDATE `check_ins` SET `notes` = 'pwned' WHERE (SELECT file FROM pragma_database_list WHERE name = 'main') <> '';",
      ],
    });
    const before = moods(dbFile);
    const applied = ledger(dbFile);
    const { planId, html } = await cardFor(h, 'apply_migrations', {});
    await approveOnCard(h, planId, html);
    const result = await h.call('apply_migrations', { planId });
    expect(result.isError).toBe(true);
    expect(errorTextOf(result)).toMatch(/did something else on the real database than in the dry run/);
    expect(moods(dbFile)).toStrictEqual(before);
    expect(ledger(dbFile)).toBe(applied);
    const audit = await h.ok<Json>('read_audit_log', { tool: 'apply_migrations', verify: true, limit: 1 });
    expect(audit.rows[0]).toMatchObject({ outcome: 'error' });
    expect(audit.chain.ok).toBe(true);
    // The plan was used once: naming it again asks anew.
    const again = await h.call('apply_migrations', { planId });
    expect(data(again) ?? {}).toMatchObject({ status: 'needs_human' });
  });
});

describe('a restore that would replace rows the application wrote itself, on the App card', () => {
  it('names the table and its rows now and in the backup, and restores once approved', async () => {
    const { h, dbFile } = await start();
    // A harmless migration, applied without a person: its backup holds the seeded data.
    appendFixtureMigration(path.join(project, 'drizzle'), {
      name: 'add_tags',
      statements: ['CREATE TABLE `tags` (`id` integer PRIMARY KEY);'],
    });
    const { backup } = await h.ok<Json>('apply_migrations', {});
    // The application itself writes a user; no audit row records it.
    withDb(dbFile, (db) =>
      db.exec("INSERT INTO users (id, email, username) VALUES ('u3', 'cy@example.com', 'cy')"),
    );
    const { planId, html } = await cardFor(h, 'restore_backup', { backupId: backup.id });
    expect(html).toContain('users: 3 rows now, 2 rows in the backup');
    expect(html).toMatch(/<code>users<\/code>[\s\S]*?<td class="num">3<\/td>\s*<td class="num">2<\/td>/);
    await approveOnCard(h, planId, html);
    await h.ok<Json>('restore_backup', { backupId: backup.id, planId });
    expect(withDb(dbFile, (db) => db.prepare('SELECT count(*) FROM users').pluck().get())).toBe(2);
    const audit = await h.ok<Json>('read_audit_log', { tool: 'restore_backup', verify: true, limit: 1 });
    expect(audit.rows[0].details).toMatchObject({ tablesReplaced: expect.arrayContaining(['users']) });
    expect(audit.chain.ok).toBe(true);
  });
});
