// Every rung of the consent ladder through a real SDK client, on a real project whose pending migration drops a
// column with data: elicitation (answered, cancelled, unanswered), the MCP App card (the client declares the UI
// extension: the ui:// view, the app-only tool with the card's key — and every key that must not work), the local
// review page (a real loopback HTTP server, played by the test as the person's browser), failing closed, and the
// audit row's channel for each.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { errorTextOf, startHarness, type Harness, type HarnessOptions } from '../helpers/mcp.js';
import { appendFixtureMigration } from '../helpers/migration-fixtures.js';
import { removeDir } from '../helpers/project.js';
import { columnsOf, embeddedProject, seedEmbedded, withDb, type Json } from './migration-tools-support.js';

const UI = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } };
const NONCE_KEY = 'dsm/nonce';

let project: string;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  removeDir(project);
});

/** The embedded default with data, and a pending migration that drops check_ins.sleep_hours (3 values). */
async function withPendingDrop(options: HarnessOptions = {}): Promise<{ h: Harness; dbFile: string }> {
  project = embeddedProject();
  const dbFile = path.join(project, 'data/app.db');
  h = await startHarness({ ...options, argv: ['--project', project, ...(options.argv ?? [])] });
  seedEmbedded(dbFile);
  appendFixtureMigration(path.join(project, 'drizzle'), {
    name: 'drop_sleep_hours',
    statements: ['ALTER TABLE `check_ins` DROP COLUMN `sleep_hours`;'],
  });
  return { h, dbFile };
}

const sleepHoursKept = (dbFile: string) =>
  withDb(dbFile, (db) => columnsOf(db, 'check_ins')).includes('sleep_hours');
const lastAudit = async (harness: Harness, tool: string): Promise<Json> =>
  (await harness.ok<Json>('read_audit_log', { tool, limit: 1 })).rows[0];
const data = (result: CallToolResult) => result.structuredContent as Json;

async function needsHuman(harness: Harness, args: Json = {}): Promise<Json> {
  const result = await harness.call('apply_migrations', args);
  expect(result.isError, errorTextOf(result)).toBeFalsy();
  expect(data(result)).toMatchObject({ status: 'needs_human', planId: expect.stringMatching(/^plan_/) });
  // What the card reads when a host strips structuredContent: the same, in the text block.
  expect(JSON.parse(errorTextOf(result))).toEqual(data(result));
  return data(result);
}

describe('the MCP App review card (the client declares io.modelcontextprotocol/ui)', () => {
  it('links the tools to their views, serves the view as an mcp-app resource, and keeps the app-only tool to such clients', async () => {
    await withPendingDrop({ capabilities: UI });
    const { tools } = await h!.client.listTools();
    const meta = Object.fromEntries(tools.map((tool) => [tool.name, tool._meta]));
    expect(meta.apply_migrations).toEqual({ ui: { resourceUri: 'ui://dsm/plan' } });
    expect(meta.inspect_schema).toEqual({ ui: { resourceUri: 'ui://dsm/schema' } });
    expect(meta.migration_status).toEqual({ ui: { resourceUri: 'ui://dsm/migrations' } });
    expect(meta.read_audit_log).toEqual({ ui: { resourceUri: 'ui://dsm/audit' } });
    expect(meta.serve_view).toEqual({ ui: { visibility: ['app'] } });
    expect(meta.run_query).toBeUndefined();

    for (const view of ['plan', 'schema', 'migrations', 'audit']) {
      const { contents } = await h!.client.readResource({ uri: `ui://dsm/${view}` });
      expect(contents).toHaveLength(1);
      expect(contents[0]).toMatchObject({
        uri: `ui://dsm/${view}`,
        mimeType: 'text/html;profile=mcp-app',
        _meta: { ui: { csp: {}, prefersBorder: true } },
      });
      const html = (contents[0] as { text: string }).text;
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).not.toMatch(/(?:src|href)=["']?(?:https?:)?\/\//); // nothing fetched from anywhere
    }
    await expect(h!.client.readResource({ uri: 'ui://dsm/nope' })).rejects.toThrow(/no view/);
  });

  it('answers needs_human at once, and applies the plan when called again after the person approved on the card', async () => {
    const { h, dbFile } = await withPendingDrop({ capabilities: UI, argv: ['--consent-wait-ms', '300'] });
    const pending = await needsHuman(h);
    expect(pending).toMatchObject({ channel: 'app_card', next: expect.stringMatching(/planId/) });
    expect(sleepHoursKept(dbFile)).toBe(true);
    expect(await lastAudit(h, 'apply_migrations')).toMatchObject({
      outcome: 'refused',
      errorCode: 'NEEDS_HUMAN',
      details: { consent: { planId: pending.planId, channel: 'app_card', decision: 'pending' } },
    });

    // The card: the view asks for the plan and gets its key in _meta only.
    const card = await h.call('serve_view', { action: 'render', view: 'plan', planId: pending.planId });
    expect(card.isError).toBeFalsy();
    const nonce = card._meta?.[NONCE_KEY] as string;
    expect(nonce).toMatch(/^[\w-]{43}$/);
    expect(JSON.stringify(card.content) + JSON.stringify(card.structuredContent)).not.toContain(nonce);
    expect(JSON.stringify(pending)).not.toContain(nonce);
    const html = data(card).html as string;
    expect(html).toContain('ALTER TABLE');
    expect(html).toContain('sleep_hours');
    const planHash = /data-plan-hash="([0-9a-f]{64})"/.exec(html)![1];

    // Not yet approved: naming the plan waits a little, then answers needs_human for the same plan.
    expect((await needsHuman(h, { planId: pending.planId })).planId).toBe(pending.planId);

    const approved = await h.call('serve_view', {
      action: 'decide',
      view: 'plan',
      planId: pending.planId,
      planHash,
      decision: 'approve',
      nonce,
    });
    expect(approved.isError, errorTextOf(approved)).toBeFalsy();
    expect(data(approved).html).toMatch(/Approved/);
    const decideRow = await lastAudit(h, 'serve_view');
    expect(decideRow.details.nonce).toBe('[redacted]');
    expect(JSON.stringify(decideRow)).not.toContain(nonce);

    const applied = await h.ok<Json>('apply_migrations', { planId: pending.planId });
    expect(applied).toMatchObject({
      status: 'applied',
      consent: { required: true, decision: 'approved by the person via app card', planId: pending.planId },
    });
    expect(sleepHoursKept(dbFile)).toBe(false);
    expect((await lastAudit(h, 'apply_migrations')).details.consent).toMatchObject({
      planId: pending.planId,
      channel: 'app_card',
      decision: 'approve',
      releases: { app_card: 1 },
    });
  });

  it('refuses a decision with a wrong key, a key from another plan, a reused key or an expired plan', async () => {
    const clock = { t: Date.UTC(2026, 10, 1, 12) };
    const { h, dbFile } = await withPendingDrop({
      capabilities: UI,
      now: () => clock.t,
      argv: ['--consent-wait-ms', '300'],
    });
    const first = await needsHuman(h);
    const second = await needsHuman(h);
    const render = async (planId: string) => {
      const card = await h.call('serve_view', { action: 'render', view: 'plan', planId });
      return {
        nonce: card._meta?.[NONCE_KEY] as string,
        planHash: /data-plan-hash="([0-9a-f]{64})"/.exec(data(card).html)![1]!,
      };
    };
    const a = await render(first.planId);
    const b = await render(second.planId);
    const decide = (planId: string, planHash: string, nonce: string, decision = 'approve') =>
      h.call('serve_view', { action: 'decide', view: 'plan', planId, planHash, decision, nonce });
    const refused = async (result: Promise<CallToolResult>, pattern: RegExp) => {
      const outcome = await result;
      expect(outcome.isError).toBe(true);
      expect(errorTextOf(outcome)).toMatch(pattern);
    };

    await refused(
      decide(first.planId, a.planHash, 'A'.repeat(43)),
      /does not belong to plan .*CONSENT_REQUIRED/s,
    );
    await refused(decide(first.planId, a.planHash, b.nonce), /does not belong to plan/);
    await refused(decide(first.planId, a.planHash, ''), /does not belong to plan/);
    // None of those attempts approved anything.
    expect((await h.call('apply_migrations', { planId: first.planId })).structuredContent).toMatchObject({
      status: 'needs_human',
    });

    expect((await decide(first.planId, a.planHash, a.nonce)).isError).toBeFalsy();
    await refused(decide(first.planId, a.planHash, a.nonce), /already approved/);
    await refused(decide(first.planId, a.planHash, a.nonce, 'decline'), /already approved/);

    clock.t += 11 * 60_000; // past the 10-minute review window
    await refused(decide(second.planId, b.planHash, b.nonce), /expired/);
    // And the approval of the first expired unused: naming it asks anew instead of applying.
    const again = await needsHuman(h, { planId: first.planId });
    expect(again.planId).not.toBe(first.planId);
    expect(sleepHoursKept(dbFile)).toBe(true);
  });

  it('reviews an over-budget write on the card with the rows it would change, and runs it once on the follow-up', async () => {
    const { h, dbFile } = await withPendingDrop({ capabilities: UI, argv: ['--write-budget', '1'] });
    const sql = "UPDATE check_ins SET mood = 1 WHERE user_id = 'u1' RETURNING id, mood";
    const first = await h.call('execute_sql', { sql });
    expect(first.isError, errorTextOf(first)).toBeFalsy(); // the client checked it against the output schema
    const pending = data(first);
    expect(pending).toMatchObject({ status: 'needs_human', channel: 'app_card' });
    const card = await h.call('serve_view', { action: 'render', view: 'plan', planId: pending.planId });
    const html = data(card).html as string;
    expect(html).toContain('Change 2 rows of check_ins');
    expect(html).toMatch(/after<\/span>\s*<\/td>\s*<td>c1<\/td>/); // a row it would change, as it will be
    await h.call('serve_view', {
      action: 'decide',
      view: 'plan',
      planId: pending.planId,
      planHash: /data-plan-hash="([0-9a-f]{64})"/.exec(html)![1],
      decision: 'approve',
      nonce: card._meta?.[NONCE_KEY],
    });
    const done = await h.ok<Json>('execute_sql', { sql, planId: pending.planId });
    expect(done).toMatchObject({
      rowsAffected: 2,
      consent: { decision: 'approved by the person via app card' },
    });
    withDb(dbFile, (db) =>
      expect(db.prepare('SELECT count(*) FROM check_ins WHERE mood = 1').pluck().get()).toBe(2),
    );
    // Spent: the same call again is a new plan.
    expect(data(await h.call('execute_sql', { sql, planId: pending.planId }))).toMatchObject({
      status: 'needs_human',
    });
  });

  it('keeps the app-only tool from clients that do not render Apps, and a plan offered elsewhere gets no card key', async () => {
    await withPendingDrop();
    const { tools } = await h!.client.listTools();
    expect(tools.map((tool) => tool.name)).not.toContain('serve_view');
    expect(tools.every((tool) => tool._meta === undefined)).toBe(true);
    const call = await h!.call('serve_view', { action: 'render', view: 'plan', planId: 'plan_AAAAAAAAAAAA' });
    expect(errorTextOf(call)).toMatch(/There is no tool named "serve_view".*UNKNOWN_TOOL/s);

    // Fail closed here; the plan exists but was offered on no channel, so no view may mint a key for it.
    const failed = await h!.call('apply_migrations', {});
    const planId = /plan_[\w-]{12}/.exec(errorTextOf(failed))![0];
    expect(h!.services.consent.ledger.releaseNonce(planId, 'app_card')).toMatchObject({
      ok: false,
      reason: 'not_offered',
    });
  });
});

/** The person's browser, as a test: reads the page's API and posts a decision, with the key from the fragment. */
function browser(url: string) {
  const { origin, pathname, hash } = new URL(url);
  const key = hash.slice(1);
  const planId = pathname.split('/').pop()!;
  const headers = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${key}`,
    'sec-fetch-site': 'same-origin',
    ...extra,
  });
  return {
    origin,
    key,
    planId,
    async plan(): Promise<Json> {
      const response = await fetch(`${origin}/api/view/plan?plan=${planId}`, { headers: headers() });
      return (await response.json()) as Json;
    },
    async decide(decision: 'approve' | 'decline', extra: Record<string, string> = {}): Promise<Response> {
      const html = (await this.plan()).html as string;
      const planHash = /data-plan-hash="([0-9a-f]{64})"/.exec(html)![1];
      return fetch(`${origin}/api/decision`, {
        method: 'POST',
        headers: headers({ origin, 'content-type': 'application/json', ...extra }),
        body: JSON.stringify({ planId, planHash, decision }),
      });
    },
  };
}

describe('the local review page (a client with neither elicitation nor Apps)', () => {
  it('opens the plan in the browser and applies in the same call when the person approves in time', async () => {
    const opened: string[] = [];
    const { h, dbFile } = await withPendingDrop({
      argv: ['--consent-wait-ms', '20000'],
      opener: async (url) => {
        opened.push(url);
        setTimeout(() => void browser(url).decide('approve'), 50);
      },
    });
    const applied = await h.ok<Json>('apply_migrations', {});
    expect(applied.consent).toMatchObject({ decision: 'approved by the person via review page' });
    expect(sleepHoursKept(dbFile)).toBe(false);
    expect(opened).toEqual([
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/plans\/plan_[\w-]{12}#[\w-]{43}$/),
    ]);
    expect((await lastAudit(h, 'apply_migrations')).details.consent).toMatchObject({
      channel: 'review_page',
      decision: 'approve',
      releases: { review_page: 1 },
    });
  });

  it('says only that a review is waiting when the person is slower, refuses every request that is not the page’s own, and applies on the follow-up', async () => {
    const opened: string[] = [];
    const { h, dbFile } = await withPendingDrop({
      argv: ['--consent-wait-ms', '200'],
      opener: async (url) => void opened.push(url),
    });
    const pending = await needsHuman(h);
    expect(pending).toMatchObject({ channel: 'review_page', message: expect.stringMatching(/review page/) });
    const page = browser(opened[0]!);
    // The result names no address and no key: the model cannot reach the page through it.
    const said = JSON.stringify(pending) + JSON.stringify(await lastAudit(h, 'apply_migrations'));
    expect(said).not.toContain(page.key);
    expect(said).not.toContain(page.origin);

    const post = (headers: Record<string, string>, body = {}) =>
      fetch(`${page.origin}/api/decision`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect((await post({ origin: page.origin, 'content-type': 'application/json' })).status).toBe(401);
    expect((await page.decide('approve', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await page.decide('approve', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await page.decide('approve', { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // Only the loopback address listens: the machine's other addresses refuse the connection outright.
    const port = Number(new URL(page.origin).port);
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal);
    if (external) {
      const reached = await new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: external.address, port }, () => resolve(true));
        socket.on('error', () => resolve(false));
      });
      expect(reached).toBe(false);
    }
    expect(h.services.consent.ledger.get(pending.planId)?.state).toBe('waiting');

    expect((await page.decide('approve')).status).toBe(200);
    const applied = await h.ok<Json>('apply_migrations', { planId: pending.planId });
    expect(applied.consent).toMatchObject({
      decision: 'approved by the person via review page',
      planId: pending.planId,
    });
    expect(sleepHoursKept(dbFile)).toBe(false);
  });

  it('records a decline on the page and refuses the follow-up', async () => {
    const opened: string[] = [];
    const { h, dbFile } = await withPendingDrop({
      argv: ['--consent-wait-ms', '200'],
      opener: async (url) => void opened.push(url),
    });
    const pending = await needsHuman(h);
    expect((await browser(opened[0]!).decide('decline')).status).toBe(200);
    const refused = await h.call('apply_migrations', { planId: pending.planId });
    expect(errorTextOf(refused)).toMatch(/The person declined .*CONSENT_REQUIRED/s);
    expect(sleepHoursKept(dbFile)).toBe(true);
    expect((await lastAudit(h, 'apply_migrations')).details.consent).toMatchObject({
      channel: 'review_page',
      decision: 'decline',
    });
  });
});

describe('elicitation through a real client, and failing closed', () => {
  it('takes an unanswered question as no after our own wait, then offers the next plan on the card', async () => {
    const asked: unknown[] = [];
    const { h, dbFile } = await withPendingDrop({
      argv: ['--consent-wait-ms', '300'],
      capabilities: { elicitation: { form: {} }, ...UI },
      setupClient: (client) =>
        client.setRequestHandler(ElicitRequestSchema, (request) => {
          asked.push(request.params);
          return new Promise(() => {}); // a client that shows nothing and never answers
        }),
    });
    const started = Date.now();
    const timedOut = await h.call('apply_migrations', {});
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(errorTextOf(timedOut)).toMatch(/Nobody answered within 0\.3 s .*CONSENT_REQUIRED/s);
    expect((await lastAudit(h, 'apply_migrations')).details.consent).toMatchObject({
      channel: 'elicitation',
      decision: 'decline',
      answer: 'timeout',
    });
    expect(await needsHuman(h)).toMatchObject({ channel: 'app_card' });
    expect(asked).toHaveLength(1);
    expect(sleepHoursKept(dbFile)).toBe(true);
  });

  it('takes a cancelled question as no', async () => {
    const { h } = await withPendingDrop({
      capabilities: { elicitation: { form: {} } },
      setupClient: (client) => client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'cancel' })),
    });
    expect(errorTextOf(await h.call('apply_migrations', {}))).toMatch(/cancelled the question/);
    expect((await lastAudit(h, 'apply_migrations')).details.consent).toMatchObject({ answer: 'cancel' });
  });

  it('fails closed with the plan id and what the person can do when no rung is available', async () => {
    const { h, dbFile } = await withPendingDrop();
    const result = await h.call('apply_migrations', {});
    expect(result.isError).toBe(true);
    const text = errorTextOf(result);
    expect(text).toMatch(/needs a person's approval \(plan plan_[\w-]{12}, hash [0-9a-f]{12}\)/);
    expect(text).toMatch(/MCP elicitation or MCP Apps/);
    expect(text).toMatch(/--allow-destructive/);
    expect(text).toMatch(/CONSENT_REQUIRED/);
    expect(sleepHoursKept(dbFile)).toBe(true);
    expect(await lastAudit(h, 'apply_migrations')).toMatchObject({
      outcome: 'refused',
      errorCode: 'CONSENT_REQUIRED',
      details: { consent: { decision: 'unavailable' } },
    });
  });
});
