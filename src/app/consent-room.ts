// The consent room of one server process: the ledger of plans, the desk that renders them for a person and
// records their decisions (behind the App card and the local review page), and the review page's server, started
// the first time a plan is shown there and closed with the services. Invariant: the review page's key goes only to
// the opener (the URL's fragment); nothing here returns it or logs it.
import { randomBytes } from 'node:crypto';
import { ConsentLedger } from '../consent/ledger.js';
import type { Logger } from '../core/logger.js';
import { pageBackend, ReviewDesk, type DeskSources } from '../review/desk.js';
import type { Opener } from '../review/open-browser.js';
import { startReviewServer, type ReviewServer } from '../review/review-server.js';

export interface ConsentRoomOptions {
  sources: DeskSources;
  /** Opens a URL in the person's browser; absent where this process has none (tests, scripts). */
  opener?: Opener | undefined;
  /** How long one call waits for a person (config consentWaitMs). */
  waitMs: number;
  logger: Pick<Logger, 'info' | 'warn'>;
  now?: () => number;
}

export class ConsentRoom {
  readonly ledger: ConsentLedger;
  readonly desk: ReviewDesk;
  readonly waitMs: number;
  private review: Promise<ReviewServer> | undefined;
  private unanswered = false;

  constructor(private readonly options: ConsentRoomOptions) {
    this.ledger = new ConsentLedger({
      now: options.now ?? Date.now,
      randomBytes: (size) => randomBytes(size),
    });
    this.desk = new ReviewDesk(this.ledger, options.sources);
    this.waitMs = options.waitMs;
  }

  /**
   * Opens the plan on the local review page in the person's browser. False (with the reason in the log, never the
   * key) when this process cannot open a browser or the opener failed.
   */
  async openReviewPage(planId: string): Promise<boolean> {
    const opener = this.options.opener;
    if (!opener) return false;
    try {
      this.review ??= startReviewServer({
        backend: pageBackend(this.desk),
        open: opener,
        log: (line) => this.options.logger.info(line),
      });
      const server = await this.review;
      await server.open(`/plans/${planId}`);
      this.options.logger.info('review page opened', { planId, origin: server.origin });
      return true;
    } catch (error) {
      this.options.logger.warn('could not open the review page', { planId, error: (error as Error).message });
      return false;
    }
  }

  /**
   * A client that declares elicitation but never shows it (Claude Desktop's embedded agent: anthropics/claude-code
   * #88901) would make every plan wait and fail; once a question went unanswered, later plans of this session
   * skip that rung.
   */
  noteElicitationUnanswered(): void {
    this.unanswered = true;
  }

  get elicitationUnanswered(): boolean {
    return this.unanswered;
  }

  async close(): Promise<void> {
    const review = this.review;
    this.review = undefined;
    await review?.then((server) => server.close()).catch(() => undefined);
  }
}
