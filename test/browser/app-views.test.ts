// The MCP App views in a real browser: each shell inside a sandboxed iframe of a test host that speaks the Apps
// postMessage protocol and, like Claude Desktop, forwards the tool result without structuredContent or _meta.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { renderAppShell } from '../../src/views/shell.js';
import { createReviewWorld, type ReviewWorld } from '../helpers/review-world.js';
import { mountAppView, serveViewCall, type CallToolResult } from './app-host.js';
import { browserAvailable, launchBrowser, screenshot, type Browser } from './chromium.js';

const run = browserAvailable();

/** A model-visible tool result: the JSON text block (what Desktop forwards) and the same as structuredContent. */
function toolResult(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

describe.skipIf(!run)('MCP App views in Chromium', () => {
  let browser: Browser;
  let world: ReviewWorld;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    world = await createReviewWorld();
    page = await browser.page();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });
  afterEach(async () => {
    await page?.close();
    world?.dispose();
    expect(dialogs).toEqual([]); // no value from the database ever ran as script
  });

  async function mountPlan(
    planId: string | undefined,
    server = (args: Record<string, unknown>) => serveViewCall(world.desk, args),
  ) {
    return mountAppView(page, {
      shell: renderAppShell('plan'),
      toolName: 'apply_migrations',
      input: {},
      result: toolResult(
        planId
          ? { status: 'needs_human', planId, message: 'A person must approve this plan in the review card.' }
          : { status: 'applied', applied: 2 },
      ),
      server,
    });
  }

  it("shows the plan from the text block alone and records an approval made with the card's nonce", async () => {
    const plan = await world.proposePlan();
    const mounted = await mountPlan(plan.id);
    const card = page.frameLocator('#app').locator('article.plan');
    await expect.poll(() => card.count()).toBe(1);
    const frame = page.frameLocator('#app');
    expect(await frame.locator('h1').textContent()).toBe('Apply 1 migration to app.db');
    // Both destructive statements are marked on the statement itself.
    expect(await frame.locator('.stmt.data_loss').count()).toBe(2);
    expect(await frame.locator('.stmt.data_loss .sql-danger').first().textContent()).toBe('ALTER');
    await expect
      .poll(async () => (await page.locator('#app').boundingBox())?.height ?? 0)
      .toBeGreaterThan(600);
    await screenshot(page, 'app-plan-card');

    await frame.locator('button[data-decision="approve"]').click();
    await expect.poll(() => frame.locator('[data-role="outcome"]').textContent()).toContain('Approved');
    expect(world.ledger.get(plan.id)?.state).toBe('approved');
    expect(world.ledger.get(plan.id)?.record).toMatchObject({
      channel: 'app_card',
      decision: 'approve',
      releases: { app_card: 1 },
    });
    // The card called the app-only tool twice: render (which handed it the nonce in _meta) and decide (with it).
    expect(mounted.toolCalls.map((c) => (c.arguments as { action: string }).action)).toEqual([
      'render',
      'decide',
    ]);
    const decide = mounted.toolCalls[1]!.arguments as { nonce: string; planHash: string };
    expect(decide.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decide.planHash).toBe(plan.hash);
    // The person's click told the assistant to go on, as a user message.
    const messages = await page.evaluate(
      () => (globalThis as unknown as { chatMessages: unknown[] }).chatMessages,
    );
    expect(JSON.stringify(messages)).toContain(`I approved plan ${plan.id}`);
    await screenshot(page, 'app-plan-card-approved');
    expect(world.ledger.consume({ planId: plan.id, planHash: plan.hash }).ok).toBe(true);
  });

  it('records a decline, after which the plan cannot be carried out', async () => {
    const plan = await world.proposePlan();
    await mountPlan(plan.id);
    const frame = page.frameLocator('#app');
    await frame.locator('button[data-decision="decline"]').click();
    await expect.poll(() => frame.locator('[data-role="outcome"]').textContent()).toContain('Declined');
    expect(world.ledger.consume({ planId: plan.id, planHash: plan.hash })).toMatchObject({
      ok: false,
      reason: 'declined',
    });
    await screenshot(page, 'app-plan-card-declined');
  });

  it("cannot approve when the host drops _meta from the app-only tool's result (no nonce reaches the card)", async () => {
    const plan = await world.proposePlan();
    const mounted = await mountPlan(plan.id, async (args) => {
      const { _meta, ...rest } = await serveViewCall(world.desk, args);
      void _meta;
      return rest;
    });
    const frame = page.frameLocator('#app');
    await expect
      .poll(() => frame.locator('[data-role="decision-note"]').textContent())
      .toContain('did not pass the approval key');
    expect(await frame.locator('button[data-decision="approve"]').isDisabled()).toBe(true);
    expect(mounted.toolCalls).toHaveLength(1);
    expect(world.ledger.get(plan.id)?.state).toBe('waiting');
  });

  it('stays empty, at height 0, when the call needed no approval', async () => {
    const mounted = await mountPlan(undefined);
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
    await mountAppView(page, {
      shell: renderAppShell('schema'),
      toolName: 'inspect_schema',
      input: {},
      result: toolResult({ tables: [] }),
      server: (args) => serveViewCall(world.desk, args),
    });
    const frame = page.frameLocator('#app');
    await expect.poll(() => frame.locator('g.er-box').count()).toBe(7);
    expect(await frame.locator('path.er-edge[marker-end]').count()).toBe(6);
    expect(await frame.locator('g.er-box[data-table="post_tags"] text.dz').first().textContent()).toBe(
      '· postTags',
    );
    expect(await frame.locator('g.er-box[data-table="audit_log"] text.undeclared').count()).toBe(1);
    await expect
      .poll(async () => (await page.locator('#app').boundingBox())?.height ?? 0)
      .toBeGreaterThan(400);
    await screenshot(page, 'app-er-diagram');
  });

  it('lists the migration history with states and SQL', async () => {
    await mountAppView(page, {
      shell: renderAppShell('migrations'),
      toolName: 'migration_status',
      input: {},
      result: toolResult({ pending: 1 }),
      server: (args) => serveViewCall(world.desk, args),
    });
    const frame = page.frameLocator('#app');
    await expect.poll(() => frame.locator('details.migration').count()).toBe(3);
    expect(await frame.locator('details.migration[data-state="applied"]').count()).toBe(2);
    const pending = frame.locator('details.migration[data-state="pending"]');
    expect(await pending.getAttribute('open')).not.toBeNull();
    expect(await pending.locator('pre').first().textContent()).toBe(
      'ALTER TABLE `users` DROP COLUMN `legacy_email`;',
    );
    await screenshot(page, 'app-migration-history');
  });

  it('shows the audit trail with a verified chain, the consent channel, and filters that work', async () => {
    await mountAppView(page, {
      shell: renderAppShell('audit'),
      toolName: 'read_audit_log',
      input: {},
      result: toolResult({ rows: [] }),
      server: (args) => serveViewCall(world.desk, args),
    });
    const frame = page.frameLocator('#app');
    await expect.poll(() => frame.locator('tr[data-row]').count()).toBe(8);
    expect(await frame.locator('.chain.ok').textContent()).toContain('8 rows');
    expect(await frame.locator('tr[data-row] .badge.info').first().textContent()).toBe(
      'approved via app card',
    );
    await screenshot(page, 'app-audit-trail');
    await frame.locator('select[data-filter="outcome"]').selectOption('refused');
    expect(await frame.locator('tr[data-row]:visible').count()).toBe(2);
    expect(await frame.locator('[data-role="filter-count"]').textContent()).toBe('2 of 8 shown');
  });
});
