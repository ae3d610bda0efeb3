// Headless Chromium for the browser tests: Debian's package at /usr/bin/chromium (browser downloads do not work
// here), driven by playwright-core, with the flags that keep it off the closed network. A missing browser skips
// the tests locally with a message, and fails them under CI, where .ci/run installs it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve('test-artifacts/screenshots');

/** Whether to run: true when the browser is there; under CI a missing browser is an error, not a skip. */
export function browserAvailable(): boolean {
  if (fs.existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI)
    throw new Error(`${CHROMIUM_PATH} is missing under CI: .ci/run should have installed chromium.`);
  console.warn(`Skipping the browser tests: ${CHROMIUM_PATH} is absent (apt-get install -y chromium).`);
  return false;
}

export interface Browser {
  context: BrowserContext;
  page(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1100, height: 800 },
    deviceScaleFactor: 1,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    page: () => context.newPage(),
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as a test artefact and returns its path (the test lists it). */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // Grow the viewport to the page, so sticky parts (the decision bar) sit where a reader scrolling would see them.
  const viewport = page.viewportSize() ?? { width: 1100, height: 800 };
  const height = await page.evaluate(
    () =>
      (globalThis as unknown as { document: { documentElement: { scrollHeight: number } } }).document
        .documentElement.scrollHeight,
  );
  await page.setViewportSize({
    width: viewport.width,
    height: Math.max(viewport.height, Math.min(height, 8000)),
  });
  await page.screenshot({ path: file, fullPage: true });
  await page.setViewportSize(viewport);
  console.info(`screenshot: ${path.relative(process.cwd(), file)}`);
  return file;
}
