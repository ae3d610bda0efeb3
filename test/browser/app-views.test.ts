// The MCP App views in a real browser, against the real server: each view's HTML as the server serves it
// (resources/read of ui://dsm/<view>) inside a sandboxed iframe of a test host that speaks the Apps postMessage
// protocol, forwards the real tool result — without structuredContent and _meta, as Claude Desktop does — and
// proxies the view's calls to the server through a real SDK client that declared the UI extension.
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConsentWorld, pendingPlanId, type ConsentWorld } from '../helpers/consent-world.js';
import { errorTextOf } from '../helpers/mcp.js';
import { mountAppView, type CallToolResult } from './app-host.js';
import { browserAvailable, launchBrowser, screenshot, type Browser } from './chromium.js';

const run = browserAvailable();

describe.skipIf(!run)('MCP App views in Chromium', () => {
  let browser: Browser;
  let world: ConsentWorld;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    world = await createConsentWorld({ apps: true });
    page = await browser.page();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });
  afterEach(async () => {
    await page?.close();
    await world?.dispose();
    expect(dialogs).toEqual([]); // no value from the database ever ran as script
  });

  const shell = async (view: string) => {
    const { contents } = await world.h.client.readResource({ uri: `ui://dsm/${view}` });
    return (contents[0] as { text: string }).text;
  };
  const serveView = (args: Record<string, unknown>) =>
    world.h.client.callTool({ name: 'serve_view', arguments: args }) as Promise<CallToolResult>;

  /** Mounts `view` as the host would after the model called `tool` with `input`. */
  async function mount(
    view: string,
    tool: string,
    input: Record<string, unknown>,
    server: (args: Record<string, unknown>) => Promise<CallToolResult> = serveView,
  ) {
    const result = (await world.h.call(tool, input)) as CallToolResult;
    return mountAppView(page, { shell: await shell(view), toolName: tool, input, result, server });
  }

  it("shows the plan from the text block alone, records an approval made with the card's key, and the follow-up applies it", async () => {
    const mounted = await mount('plan', 'apply_migrations', {});
    const frame = page.frameLocator('#app');
    await expect.poll(() => frame.locator('article.plan').count()).toBe(1);
    const planId = await frame.locator('article.plan').getAttribute('data-plan-id');
    expect(await frame.locator('h1').textContent()).toBe('Apply 1 migration to data/app.db');
    // The destructive statement is marked on the statement itself; the index is not.
    expect(await frame.locator('.stmt.data_loss').count()).toBe(1);
    expect(await frame.locator('.stmt.data_loss .sql-danger').first().textContent()).toBe('ALTER');
    expect(await frame.locator('.changes li').allTextContents()).toEqual([
      expect.stringMatching(/drop\s+column\s+check_ins\.sleep_hours/),
      expect.stringMatching(/create\s+index\s+check_ins_mood_idx/),
    ]);
    await expect
      .poll(async () => (await page.locator('#app').boundingBox())?.height ?? 0)
      .toBeGreaterThan(500);
    await screenshot(page, 'app-plan-card');

    await frame.locator('button[data-decision="approve"]').click();
    await expect.poll(() => frame.locator('[data-role="outcome"]').textContent()).toContain('Approved');
    // The card called the app-only tool twice: render (which handed it the key in _meta) and decide (with it).
    expect(mounted.toolCalls.map((c) => (c.arguments as { action: string }).action)).toEqual([
      'render',
      'decide',
    ]);
    expect((mounted.toolCalls[1]!.arguments as { nonce: string }).nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The person's click told the assistant to go on, as a user message naming the plan.
    const messages = await page.evaluate(
      () => (globalThis as unknown as { chatMessages: unknown[] }).chatMessages,
    );
    expect(JSON.stringify(messages)).toContain(`call the same tool again with planId \\"${planId}\\"`);
    await screenshot(page, 'app-plan-card-approved');

    const applied = await world.h.ok<{ consent: Record<string, unknown> }>('apply_migrations', { planId });
    expect(applied.consent).toMatchObject({ decision: 'approved by the person via app card', planId });
  });

  it('records a decline, after which the plan cannot be carried out', async () => {
    await mount('plan', 'apply_migrations', {});
    const frame = page.frameLocator('#app');
    await frame.locator('button[data-decision="decline"]').click();
    await expect.poll(() => frame.locator('[data-role="outcome"]').textContent()).toContain('Declined');
    const planId = await frame.locator('article.plan').getAttribute('data-plan-id');
    const refused = await world.h.call('apply_migrations', { planId });
    expect(errorTextOf(refused)).toMatch(/The person declined/);
    await screenshot(page, 'app-plan-card-declined');
  });

  it("cannot approve when the host drops _meta from the app-only tool's result (no key reaches the card)", async () => {
    const mounted = await mount('plan', 'apply_migrations', {}, async (args) => {
      const { _meta, ...rest } = await serveView(args);
      void _meta;
      return rest;
    });
    const frame = page.frameLocator('#app');
    await expect
      .poll(() => frame.locator('[data-role="decision-note"]').textContent())
      .toContain('cannot decide this plan');
    expect(await frame.locator('button[data-decision="approve"]').isDisabled()).toBe(true);
    expect(mounted.toolCalls).toHaveLength(1);
  });

  it('stays empty, at height 0, when the call needed no approval', async () => {
    const mounted = await mount('plan', 'apply_migrations', { dryRun: true });
    await expect
      .poll(() =>
        page.evaluate(() =>
          (globalThis as unknown as { hostLog: string[] }).hostLog.includes('ui/notifications/size-changed'),
        ),
      )
      .toBe(true);
    expect(
      await page
        .locator('#app')
        .evaluate((el) => (el as unknown as { style: { height: string } }).style.height),
    ).toBe('0px');
    expect(mounted.toolCalls).toEqual([]);
  });

  it('draws the ER diagram of the live schema with Drizzle names beside SQL names', async () => {
    await mount('schema', 'inspect_schema', {});
    const frame = page.frameLocator('#app');
    await expect.poll(() => frame.locator('g.er-box').count()).toBe(5);
    expect(await frame.locator('path.er-edge[marker-end]').count()).toBe(3);
    expect(await frame.locator('g.er-box[data-table="check_ins"] .dz').first().textContent()).toBe(
      ' · checkIns',
    );
    await expect
      .poll(async () => (await page.locator('#app').boundingBox())?.height ?? 0)
      .toBeGreaterThan(300);
    await screenshot(page, 'app-er-diagram');
  });

  it('lists the migration history with states and SQL', async () => {
    await mount('migrations', 'migration_status', {});
    const frame = page.frameLocator('#app');
    await expect.poll(() => frame.locator('details.migration').count()).toBe(2);
    expect(await frame.locator('details.migration[data-state="applied"]').count()).toBe(1);
    const pending = frame.locator('details.migration[data-state="pending"]');
    expect(await pending.getAttribute('open')).not.toBeNull();
    expect(await pending.locator('pre').first().textContent()).toBe(
      'ALTER TABLE `check_ins` DROP COLUMN `sleep_hours`;',
    );
    await screenshot(page, 'app-migration-history');
  });

  it('shows the audit trail with a verified chain and the consent badges, narrowed by the tool’s own filters', async () => {
    // A plan waiting on the card, so the trail has a consent to show.
    await pendingPlanId(world.h, 'apply_migrations');
    await mount('audit', 'read_audit_log', {});
    const frame = page.frameLocator('#app');
    await expect.poll(() => frame.locator('tr[data-row]').count()).toBeGreaterThanOrEqual(8);
    const rows = await frame.locator('tr[data-row]').count();
    expect(await frame.locator('.chain.ok').textContent()).toContain(`${rows} rows`);
    expect(await frame.locator('tr[data-row] .badge').allTextContents()).toContain('waiting in app card');
    await screenshot(page, 'app-audit-trail');
    await frame.locator('select[data-filter="outcome"]').selectOption('refused');
    const refused = await frame.locator('tr[data-row]:visible').count();
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(await frame.locator('[data-role="filter-count"]').textContent()).toBe(
      `${refused} of ${rows} shown`,
    );

    // The view passes read_audit_log's arguments along: the same filter narrows what the person sees.
    await page.close();
    page = await browser.page();
    await mount('audit', 'read_audit_log', { tool: 'write_rows' });
    const narrowed = page.frameLocator('#app');
    await expect.poll(() => narrowed.locator('tr[data-row]').count()).toBe(1);
    expect(await narrowed.locator('tr[data-row]').getAttribute('data-tool')).toBe('write_rows');
  });
});
