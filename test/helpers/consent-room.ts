// A consent room for unit tests of the procedures: the real ledger and desk, no views' data (a test that needs
// them passes its own sources), a short wait, and an opener only when the test plays the person's browser.
import { ConsentRoom } from '../../src/app/consent-room.js';
import type { DeskSources } from '../../src/review/desk.js';
import type { Opener } from '../../src/review/open-browser.js';

const noViews: DeskSources = {
  schema: () => Promise.reject(new Error('no schema in this test')),
  migrations: () => Promise.reject(new Error('no migrations in this test')),
  audit: () => Promise.reject(new Error('no audit log in this test')),
};

export function testConsentRoom(
  options: { opener?: Opener; waitMs?: number; sources?: DeskSources; now?: () => number } = {},
): ConsentRoom {
  return new ConsentRoom({
    sources: options.sources ?? noViews,
    ...(options.opener ? { opener: options.opener } : {}),
    waitMs: options.waitMs ?? 2_000,
    logger: { info: () => {}, warn: () => {} },
    ...(options.now ? { now: options.now } : {}),
  });
}
