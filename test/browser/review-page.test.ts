// The local review page in a real browser: the page the MCP server itself opens for a plan (a client with neither
// elicitation nor Apps), loaded from the URL the server handed the system opener; and the standalone console of
// `drizzle-sqlite-mcp review`. Read, clicked, navigated, and refused to a page of another origin.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openReviewConsole } from '../../src/app/review-console.js';
import { entryPoints } from '../../src/bin/entry-points.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createConsentWorld, pendingPlanId, type ConsentWorld } from '../helpers/consent-world.js';
import { errorTextOf } from '../helpers/mcp.js';
import { REPO_ROOT } from '../helpers/project.js';
import { browserAvailable, launchBrowser, screenshot, type Browser } from './chromium.js';

const run = browserAvailable();

describe.skipIf(!run)('local review page in Chromium', () => {
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
    world = await createConsentWorld();
    page = await browser.page();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });
  afterEach(async () => {
    await page?.close();
    await world?.dispose();
    expect(dialogs).toEqual([]);
  });

  /** The assistant asks to apply; the server opens the page; the person's browser loads what the opener got. */
  async function planOnThePage(): Promise<{ planId: string; origin: string }> {
    const planId = await pendingPlanId(world.h, 'apply_migrations');
    const url = world.opened.at(-1)!;
    expect(url).toContain(`/plans/${planId}#`);
    await page.goto(url);
    return { planId, origin: new URL(url).origin };
  }

  it('shows the plan, takes the key out of the address bar, and records an approval the follow-up carries out', async () => {
    const { planId, origin } = await planOnThePage();
    await page.locator('article.plan').waitFor();
    expect(page.url()).toBe(`${origin}/plans/${planId}`);
    expect(await page.locator('h1').textContent()).toMatch(/^Apply 1 migration to /);
    expect(await page.locator('.stmt.data_loss').count()).toBe(1);
    expect(await page.title()).toMatch(/^Apply 1 migration .* — drizzle-sqlite-mcp$/);
    await screenshot(page, 'page-plan');

    await page.locator('button[data-decision="approve"]').click();
    await page.locator('[data-role="outcome"]').waitFor();
    expect(await page.locator('[data-role="outcome"]').textContent()).toContain('Approved');
    await screenshot(page, 'page-plan-approved');
    const applied = await world.h.ok<{ consent: Record<string, unknown> }>('apply_migrations', { planId });
    expect(applied.consent).toMatchObject({ decision: 'approved by the person via review page', planId });
  });

  it('records a decline from the page', async () => {
    const { planId } = await planOnThePage();
    await page.locator('button[data-decision="decline"]').click();
    await page.locator('[data-role="outcome"]').waitFor();
    expect(await page.locator('[data-role="outcome"]').textContent()).toContain('Declined');
    expect(errorTextOf(await world.h.call('apply_migrations', { planId }))).toMatch(/The person declined/);
  });

  it('lists the plans waiting, and keeps the key for the tab while the person moves between pages', async () => {
    const { planId, origin } = await planOnThePage();
    await page.locator('nav a[data-view="plans"]').click();
    await page.locator('.plan-list a').waitFor();
    expect(await page.locator('.plan-list a').count()).toBe(1);
    await screenshot(page, 'page-waiting');
    await page.locator('.plan-list a').click();
    await page.locator('article.plan').waitFor();
    expect(page.url()).toBe(`${origin}/plans/${planId}`);
    await page.locator('nav a[data-view="schema"]').click();
    await page.locator('g.er-box').first().waitFor();
    expect(await page.locator('g.er-box').count()).toBe(5);
    await screenshot(page, 'page-schema');
    await page.locator('nav a[data-view="migrations"]').click();
    await page.locator('details.migration').first().waitFor();
    await screenshot(page, 'page-migrations');
    await page.locator('nav a[data-view="audit"]').click();
    await page.locator('tr[data-row]').first().waitFor();
    const rows = await page.locator('tr[data-row]').count();
    expect(rows).toBeGreaterThanOrEqual(6);
    expect(await page.locator('tr[data-row] .badge').allTextContents()).toContain('waiting in review page');
    await page.locator('input[data-filter="text"]').fill('PROTECTED_TABLE');
    expect(await page.locator('tr[data-row]:visible').count()).toBe(1);
    await page.locator('input[data-filter="text"]').fill('');
    await screenshot(page, 'page-audit');
  });

  it('shows nothing without the key', async () => {
    const { planId, origin } = await planOnThePage();
    const fresh = await browser.page();
    try {
      await fresh.goto(`${origin}/plans/${planId}`);
      await fresh.locator('[data-role="outcome"]').waitFor();
      expect(await fresh.locator('[data-role="outcome"]').textContent()).toContain(
        'needs the link the server opened',
      );
      expect(await fresh.locator('article.plan').count()).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a page of another origin that knows the key and posts a decision', async () => {
    const planId = await pendingPlanId(world.h, 'apply_migrations');
    const { origin, hash } = new URL(world.opened.at(-1)!);
    const planHash = world.h.services.consent.ledger.get(planId)!.plan.hash;
    // Another local page without any CSP (a different port is a different origin), as a hostile local site.
    const other = http.createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
      // A no-cors POST reaches the server (minus the headers no-cors drops); a CORS one is preflighted first.
      const outcomes = await page.evaluate(
        async ([target, body, token]) => {
          const attempt = async (mode: 'no-cors' | 'cors') => {
            try {
              const res = await fetch(`${target}/api/decision`, {
                method: 'POST',
                mode,
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body,
              });
              return `${mode}: ${res.type} ${res.status}`;
            } catch (error) {
              return `${mode}: blocked (${String(error)})`;
            }
          };
          return [await attempt('no-cors'), await attempt('cors')];
        },
        [origin, JSON.stringify({ planId, planHash, decision: 'approve' }), hash.slice(1)] as const,
      );
      expect(outcomes).toEqual([
        expect.stringMatching(/^no-cors: blocked/),
        expect.stringMatching(/^cors: blocked/),
      ]);
      expect(world.h.services.consent.ledger.get(planId)?.state).toBe('waiting');
    } finally {
      other.closeAllConnections();
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('serves the standalone console of `drizzle-sqlite-mcp review`: the project, read-only, with no plans', async () => {
    const { config } = loadConfig({
      argv: ['--project', world.project, '--log-level', 'silent'],
      env: {},
      cwd: world.project,
      defaultProjectDir: REPO_ROOT,
    });
    let url = '';
    const console = await openReviewConsole(config, createLogger('silent'), {
      kitWorker: entryPoints().kitWorker,
      opener: async (opened) => void (url = opened),
    });
    try {
      await page.goto(url);
      await page.locator('g.er-box').first().waitFor();
      expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Schema');
      await screenshot(page, 'console-schema');
      await page.locator('nav a[data-view="plans"]').click();
      await page.locator('p.empty').waitFor();
      expect(await page.locator('p.empty').textContent()).toMatch(
        /reviewed where the assistant's server shows/,
      );
    } finally {
      await console.close();
    }
  });
});
