// The review desk: the one place where a view is rendered for a person and where their decision on a plan is
// recorded, behind both the App card (channel `app_card`, through the app-only tool) and the local review page
// (channel `review_page`, through the review server). Invariant: a decision reaches the ledger only with the nonce
// of the channel it came through — the card must hand back the nonce it was given in `_meta`; the page's nonce
// never leaves the server, because the page proved itself with its own key at the request guard. Data comes from
// injected sources, so the desk knows nothing of databases or MCP.
import type { ConsentChannel, ConsentLedger, PlanSnapshot, Refusal } from '../consent/ledger.js';
import { renderAuditTrail, type AuditTrailInput } from '../views/audit-trail.js';
import { renderErDiagram, type ErDiagramInput } from '../views/er-diagram.js';
import type { Html } from '../views/html.js';
import { renderMigrationHistory, type MigrationHistoryInput } from '../views/migration-history.js';
import { renderPlanCard } from '../views/plan-card.js';
import { renderPlanList } from '../views/shell.js';
import type { ReviewBackend } from './review-server.js';

export type DeskChannel = Extract<ConsentChannel, 'app_card' | 'review_page'>;
export type DeskView = 'plan' | 'plans' | 'schema' | 'migrations' | 'audit';

export interface DeskSources {
  schema(): Promise<ErDiagramInput>;
  migrations(): Promise<MigrationHistoryInput>;
  /** `input` is the calling tool's arguments (the App view passes read_audit_log's filters along). */
  audit(input: Record<string, unknown>): Promise<AuditTrailInput>;
}

export type DeskResult =
  | {
      ok: true;
      title: string;
      html: Html;
      /** Only for the card, only while the plan waits: goes into `_meta`. */ nonce?: string;
    }
  | { ok: false; status: number; reason: string; message: string };

const REFUSAL_STATUS: Record<Refusal['reason'], number> = {
  unknown_plan: 404,
  not_offered: 403,
  wrong_nonce: 403,
  hash_mismatch: 409,
  expired: 410,
  already_decided: 409,
  declined: 409,
  not_approved: 409,
  already_used: 409,
};

export interface DeskOptions {
  /**
   * The console started by `drizzle-sqlite-mcp review` runs in its own process, which holds no plans: its list
   * says where plans are reviewed instead.
   */
  standalone?: boolean;
}

export class ReviewDesk {
  constructor(
    private readonly ledger: ConsentLedger,
    private readonly sources: DeskSources,
    private readonly options: DeskOptions = {},
  ) {}

  async render(
    view: DeskView,
    params: { planId?: string; input?: Record<string, unknown> },
    channel: DeskChannel,
  ): Promise<DeskResult> {
    switch (view) {
      case 'plan': {
        const snapshot = params.planId ? this.ledger.get(params.planId) : undefined;
        if (!snapshot)
          return refusal({
            ok: false,
            reason: 'unknown_plan',
            message: `There is no plan ${params.planId ?? ''}.`,
          });
        let nonce: string | undefined;
        // A plan offered elsewhere (the review page, a dialog) is shown on the card, but without a key.
        if (channel === 'app_card' && snapshot.state === 'waiting' && snapshot.offered.includes('app_card')) {
          const released = this.ledger.releaseNonce(snapshot.plan.id, 'app_card');
          if (!released.ok) return refusal(released);
          nonce = released.nonce;
        }
        return { ok: true, title: snapshot.plan.title, html: card(snapshot), ...(nonce ? { nonce } : {}) };
      }
      case 'plans': {
        const waiting = this.ledger.waiting().map(({ plan, expiresAt }) => ({
          id: plan.id,
          title: plan.title,
          kind: plan.kind,
          expiresAt,
        }));
        return {
          ok: true,
          title: 'Waiting for you',
          html: renderPlanList(waiting, { standalone: this.options.standalone === true }),
        };
      }
      case 'schema':
        return { ok: true, title: 'Database schema', html: renderErDiagram(await this.sources.schema()) };
      case 'migrations':
        return {
          ok: true,
          title: 'Migration history',
          html: renderMigrationHistory(await this.sources.migrations()),
        };
      case 'audit':
        return {
          ok: true,
          title: 'Audit trail',
          html: renderAuditTrail(await this.sources.audit(params.input ?? {})),
        };
    }
  }

  /** Records a person's decision made in a view, and answers with the plan's card in its new state. */
  decide(
    input: { planId: string; planHash: string; decision: 'approve' | 'decline'; nonce?: string },
    channel: DeskChannel,
  ): DeskResult {
    let nonce = input.nonce ?? '';
    if (channel === 'review_page') {
      // The page proved itself with its key at the request guard; its nonce is fetched here and never sent out.
      const released = this.ledger.releaseNonce(input.planId, 'review_page');
      if (!released.ok) return refusal(released);
      nonce = released.nonce;
    }
    const decided = this.ledger.decide({ ...input, nonce, channel });
    if (!decided.ok) return refusal(decided);
    const snapshot = this.ledger.get(input.planId)!;
    return { ok: true, title: snapshot.plan.title, html: card(snapshot) };
  }
}

function card(snapshot: PlanSnapshot): Html {
  return renderPlanCard({ plan: snapshot.plan, state: snapshot.state, expiresAt: snapshot.expiresAt });
}

function refusal(refused: Refusal): DeskResult {
  return {
    ok: false,
    status: REFUSAL_STATUS[refused.reason],
    reason: refused.reason,
    message: refused.message,
  };
}

/** The review server's backend: the desk, as seen from the page (channel `review_page`). */
export function pageBackend(desk: ReviewDesk): ReviewBackend {
  return {
    async view(name, params) {
      const rendered = await desk.render(name, params, 'review_page');
      return rendered.ok ? { title: rendered.title, html: rendered.html } : undefined;
    },
    async decide(input) {
      const decided = desk.decide(input, 'review_page');
      return decided.ok ? { ok: true, title: decided.title, html: decided.html } : decided;
    },
  };
}
