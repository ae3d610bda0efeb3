// The local review page in a real browser, served by the real review server: opened the way the system opener
// would (the key in the fragment), read, clicked, and refused to a page of another origin.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pageBackend } from '../../src/review/desk.js';
import { startReviewServer, type ReviewServer } from '../../src/review/review-server.js';
import { createReviewWorld, type ReviewWorld } from '../helpers/review-world.js';
import { browserAvailable, launchBrowser, screenshot, type Browser } from './chromium.js';

const run = browserAvailable();

describe.skipIf(!run)('local review page in Chromium', () => {
  let browser: Browser;
  let world: ReviewWorld;
  let server: ReviewServer;
  let page: Page;
  let opened: string[];
  const dialogs: string[] = [];
  const refused: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    world = await createReviewWorld();
    opened = [];
    server = await startReviewServer({
      backend: pageBackend(world.desk),
      open: async (url) => {
        opened.push(url);
      },
      log: (line) => refused.push(line),
    });
    page = await browser.page();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });
  afterEach(async () => {
    await page?.close();
    await server?.close();
    world?.dispose();
    expect(dialogs).toEqual([]);
  });

  /** What the system opener does: load the URL it was given. */
  async function openAsTheOpenerWould(path: string): Promise<void> {
    await server.open(path);
    await page.goto(opened.at(-1)!);
  }

  it('shows the plan, removes the key from the address bar, and records an approval', async () => {
    const plan = await world.proposePlan();
    await openAsTheOpenerWould(`/plans/${plan.id}`);
    await page.locator('article.plan').waitFor();
    expect(page.url()).toBe(`${server.origin}/plans/${plan.id}`);
    expect(await page.locator('h1').textContent()).toBe(plan.title);
    expect(await page.locator('.stmt.data_loss').count()).toBe(2);
    expect(await page.title()).toBe(`${plan.title} — drizzle-sqlite-mcp`);
    await screenshot(page, 'page-plan');

    await page.locator('button[data-decision="approve"]').click();
    await page.locator('[data-role="outcome"]').waitFor();
    expect(await page.locator('[data-role="outcome"]').textContent()).toContain('Approved');
    expect(world.ledger.get(plan.id)?.record).toMatchObject({ channel: 'review_page', decision: 'approve' });
    await screenshot(page, 'page-plan-approved');
  });

  it('records a decline from the page', async () => {
    const plan = await world.proposePlan();
    await openAsTheOpenerWould(`/plans/${plan.id}`);
    await page.locator('button[data-decision="decline"]').click();
    await page.locator('[data-role="outcome"]').waitFor();
    expect(await page.locator('[data-role="outcome"]').textContent()).toContain('Declined');
    expect(world.ledger.get(plan.id)?.state).toBe('declined');
  });

  it('lists the plans waiting, and keeps the key for the tab while the person moves between pages', async () => {
    const plan = await world.proposePlan();
    await openAsTheOpenerWould('/');
    await page.locator('.plan-list a').waitFor();
    expect(await page.locator('.plan-list a').count()).toBe(1);
    await screenshot(page, 'page-waiting');
    await page.locator('.plan-list a').click();
    await page.locator('article.plan').waitFor();
    expect(page.url()).toBe(`${server.origin}/plans/${plan.id}`);
    await page.locator('nav a[data-view="schema"]').click();
    await page.locator('g.er-box').first().waitFor();
    expect(await page.locator('g.er-box').count()).toBe(7);
    await screenshot(page, 'page-schema');
    await page.locator('nav a[data-view="migrations"]').click();
    await page.locator('details.migration').first().waitFor();
    await screenshot(page, 'page-migrations');
    await page.locator('nav a[data-view="audit"]').click();
    await page.locator('tr[data-row]').first().waitFor();
    expect(await page.locator('tr[data-row]').count()).toBe(8);
    await page.locator('input[data-filter="text"]').fill('CONSENT_REQUIRED');
    expect(await page.locator('tr[data-row]:visible').count()).toBe(1);
    await page.locator('input[data-filter="text"]').fill('');
    await screenshot(page, 'page-audit');
  });

  it('shows nothing without the key', async () => {
    const plan = await world.proposePlan();
    await page.goto(`${server.origin}/plans/${plan.id}`);
    await page.locator('[data-role="outcome"]').waitFor();
    expect(await page.locator('[data-role="outcome"]').textContent()).toContain(
      'needs the link the server opened',
    );
    expect(await page.locator('article.plan').count()).toBe(0);
  });

  it('refuses a page of another origin that knows the key and posts a decision', async () => {
    const plan = await world.proposePlan();
    await server.open(`/plans/${plan.id}`);
    const key = new URL(opened.at(-1)!).hash.slice(1);
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
        [
          server.origin,
          JSON.stringify({ planId: plan.id, planHash: plan.hash, decision: 'approve' }),
          key,
        ] as const,
      );
      // The browser shows the page nothing (the answers are 403 and, for the simple POST, cross-origin-protected)…
      expect(outcomes).toEqual([
        expect.stringMatching(/^no-cors: blocked/),
        expect.stringMatching(/^cors: blocked/),
      ]);
      // …and both reached the server and were refused there, for their foreign Origin, before anything else.
      expect(refused.filter((line) => line.includes('/api/decision'))).toEqual([
        'review page: refused POST /api/decision (403: Cross-origin requests are refused.)',
        'review page: refused OPTIONS /api/decision (403: Cross-origin requests are refused.)',
      ]);
      expect(world.ledger.get(plan.id)?.state).toBe('waiting');
    } finally {
      other.closeAllConnections();
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
