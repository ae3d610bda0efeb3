// The consent ledger: the only place that decides whether a human approved a plan. Invariant: a plan runs only
// after `consume` succeeds, and `consume` succeeds once, for the plan id *and* the hash that were approved, within
// the grant window, after a decision that carried the nonce minted for the channel that asked. Nonces are minted
// here, per plan and per channel, only for a channel the plan was offered on, and handed only to server code that
// delivers them out of the model's reach (the App card's `_meta`, the review page's server side, the elicitation
// and launch-option paths in-process). A plan offered only on the review page therefore never gets a card nonce,
// whoever asks the card to render it.
//
// Results, not exceptions: every refusal is a value with a stable reason, so the wiring can word it for the model
// and record it in the audit row. Pure: the clock and the random source are injected; nothing here reads the
// process, the network or the disk.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createPlan, hashPlanContent, type Plan, type PlanContent } from './plan.js';

export type ConsentChannel = 'elicitation' | 'app_card' | 'review_page' | 'launch_option';
export type Decision = 'approve' | 'decline';
export type PlanState = 'waiting' | 'approved' | 'declined' | 'expired' | 'used';

export type RefusalReason =
  | 'unknown_plan'
  | 'not_offered'
  | 'wrong_nonce'
  | 'hash_mismatch'
  | 'expired'
  | 'already_decided'
  | 'declined'
  | 'not_approved'
  | 'already_used';

export interface Refusal {
  ok: false;
  reason: RefusalReason;
  /** One sentence for the model or the person, naming what to do. */
  message: string;
}

/** What the audit row keeps about a decision. */
export interface ConsentRecord {
  planId: string;
  planHash: string;
  channel: ConsentChannel;
  decision: Decision;
  /** ISO-8601 UTC. */
  decidedAt: string;
  /** How often each channel was handed the nonce (more than once: the card was rendered again). */
  releases: Partial<Record<ConsentChannel, number>>;
}

export interface PlanSnapshot {
  plan: Plan;
  state: PlanState;
  /** When the state ends by itself: the review window while waiting, the grant window once approved. */
  expiresAt: string;
  /** The channels a person may decide through. */
  offered: ConsentChannel[];
  record?: ConsentRecord;
}

export interface ConsentLedgerOptions {
  now: () => number;
  randomBytes: (size: number) => Uint8Array;
  /** How long a person has to decide. Default 10 minutes. */
  reviewWindowMs?: number;
  /** How long an approval stays usable. Default 5 minutes. */
  grantWindowMs?: number;
  /** Plans kept at once; the oldest finished ones go first. Default 64. */
  maxPlans?: number;
}

interface Entry {
  plan: Plan;
  state: 'waiting' | 'approved' | 'declined' | 'used';
  proposedAt: number;
  decidedAt?: number;
  /** The channels a person may decide through; a nonce is minted for these only. */
  offered: Set<ConsentChannel>;
  /** Each channel's nonce, kept to hand the same one to a re-rendered card, and its sha256 for the comparison. */
  nonces: Map<ConsentChannel, { nonce: string; digest: Buffer; releases: number }>;
  record?: ConsentRecord;
  waiters: Set<() => void>;
}

const DEFAULT_REVIEW_WINDOW_MS = 10 * 60_000;
const DEFAULT_GRANT_WINDOW_MS = 5 * 60_000;
const NONCE_BYTES = 32;
const PLAN_ID_BYTES = 9;

export class ConsentLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly randomBytes: (size: number) => Uint8Array;
  private readonly reviewWindowMs: number;
  private readonly grantWindowMs: number;
  private readonly maxPlans: number;

  constructor(options: ConsentLedgerOptions) {
    this.now = options.now;
    this.randomBytes = options.randomBytes;
    this.reviewWindowMs = options.reviewWindowMs ?? DEFAULT_REVIEW_WINDOW_MS;
    this.grantWindowMs = options.grantWindowMs ?? DEFAULT_GRANT_WINDOW_MS;
    this.maxPlans = options.maxPlans ?? 64;
  }

  /**
   * Registers a plan that waits for a human, offered on `channels` (more can be offered later). The id names it
   * in follow-up calls; it is not a secret.
   */
  propose(content: PlanContent, channels: readonly ConsentChannel[] = []): Plan {
    const now = this.now();
    this.prune(now);
    const plan = createPlan(content, `plan_${base64url(this.randomBytes(PLAN_ID_BYTES))}`, new Date(now));
    this.entries.set(plan.id, {
      plan,
      state: 'waiting',
      proposedAt: now,
      offered: new Set(channels),
      nonces: new Map(),
      waiters: new Set(),
    });
    return plan;
  }

  /** Lets a person decide a waiting plan through one more channel (the ladder moved to the next rung). */
  offer(planId: string, channel: ConsentChannel): void {
    this.entries.get(planId)?.offered.add(channel);
  }

  /** Takes an offer back (the review page could not be opened): that channel's key, if minted, stops working. */
  withdraw(planId: string, channel: ConsentChannel): void {
    const entry = this.entries.get(planId);
    entry?.offered.delete(channel);
    entry?.nonces.delete(channel);
  }

  get(planId: string): PlanSnapshot | undefined {
    const entry = this.entries.get(planId);
    if (!entry) return undefined;
    const now = this.now();
    const state = this.stateOf(entry, now);
    return {
      plan: entry.plan,
      state,
      expiresAt: new Date(this.deadlineOf(entry)).toISOString(),
      offered: [...entry.offered],
      ...(entry.record ? { record: entry.record } : {}),
    };
  }

  /** Plans a person can still decide on, oldest first (the review page's list). */
  waiting(): PlanSnapshot[] {
    const now = this.now();
    return [...this.entries.values()]
      .filter((entry) => this.stateOf(entry, now) === 'waiting')
      .map((entry) => this.get(entry.plan.id)!);
  }

  /**
   * The nonce a channel must present to decide. Minted on first release and the same on later ones for the same
   * channel (a host may render the card again); every release is counted for the audit row.
   */
  releaseNonce(planId: string, channel: ConsentChannel): { ok: true; nonce: string } | Refusal {
    const entry = this.entries.get(planId);
    if (!entry) return unknownPlan(planId);
    const state = this.stateOf(entry, this.now());
    if (state !== 'waiting') return state === 'expired' ? expired(planId) : alreadyDecided(planId, state);
    // Security: a channel the plan was not offered on gets no key, so no view can approve it by asking for one.
    if (!entry.offered.has(channel)) return notOffered(planId, channel);
    let slot = entry.nonces.get(channel);
    if (!slot) {
      const nonce = base64url(this.randomBytes(NONCE_BYTES));
      slot = { nonce, digest: digest(nonce), releases: 0 };
      entry.nonces.set(channel, slot);
    }
    slot.releases += 1;
    return { ok: true, nonce: slot.nonce };
  }

  /** A human's answer, as delivered by a channel. Approving needs the plan's hash as the person saw it. */
  decide(input: {
    planId: string;
    planHash: string;
    nonce: string;
    channel: ConsentChannel;
    decision: Decision;
  }): { ok: true; record: ConsentRecord } | Refusal {
    const entry = this.entries.get(input.planId);
    if (!entry) return unknownPlan(input.planId);
    const now = this.now();
    const slot = entry.nonces.get(input.channel);
    // Security: the nonce is checked before anything about the plan's state is revealed, and in constant time.
    if (!slot || !timingSafeEqual(slot.digest, digest(input.nonce))) {
      return {
        ok: false,
        reason: 'wrong_nonce',
        message: `The approval key does not belong to plan ${input.planId}; only the person reviewing the plan can approve it.`,
      };
    }
    const state = this.stateOf(entry, now);
    if (state !== 'waiting')
      return state === 'expired' ? expired(input.planId) : alreadyDecided(input.planId, state);
    if (input.planHash !== entry.plan.hash) return hashMismatch(input.planId);
    entry.state = input.decision === 'approve' ? 'approved' : 'declined';
    entry.decidedAt = now;
    entry.record = {
      planId: entry.plan.id,
      planHash: entry.plan.hash,
      channel: input.channel,
      decision: input.decision,
      decidedAt: new Date(now).toISOString(),
      releases: Object.fromEntries([...entry.nonces].map(([channel, { releases }]) => [channel, releases])),
    };
    for (const wake of entry.waiters) wake();
    entry.waiters.clear();
    return { ok: true, record: entry.record };
  }

  /**
   * Spends an approval: succeeds once, for the approved plan id and hash, inside the grant window. The caller
   * passes the hash of the plan rebuilt *now* from the folder, the database and the arguments.
   */
  consume(input: { planId: string; planHash: string }): { ok: true; record: ConsentRecord } | Refusal {
    const entry = this.entries.get(input.planId);
    if (!entry) return unknownPlan(input.planId);
    const state = this.stateOf(entry, this.now());
    if (state === 'waiting') {
      return {
        ok: false,
        reason: 'not_approved',
        message: `Plan ${input.planId} is still waiting for the person's decision.`,
      };
    }
    if (state === 'expired') return expired(input.planId);
    if (state === 'declined') {
      return {
        ok: false,
        reason: 'declined',
        message: `The person declined plan ${input.planId}; nothing was done.`,
      };
    }
    if (state === 'used') {
      return {
        ok: false,
        reason: 'already_used',
        message: `Plan ${input.planId} was already carried out; an approval counts once.`,
      };
    }
    if (input.planHash !== entry.plan.hash) return hashMismatch(input.planId);
    entry.state = 'used';
    return { ok: true, record: entry.record! };
  }

  /** Whether rebuilt content is the plan that was proposed (the hash covers exactly what the person saw). */
  matches(planId: string, content: PlanContent): boolean {
    const entry = this.entries.get(planId);
    return entry !== undefined && hashPlanContent(content) === entry.plan.hash;
  }

  /**
   * Resolves with the state once the plan is decided; rejects with the signal's reason when it aborts first (the
   * caller's own timeout, below the client's, or the call's cancellation).
   */
  waitForDecision(planId: string, signal: AbortSignal): Promise<PlanState> {
    const entry = this.entries.get(planId);
    if (!entry) return Promise.resolve('expired');
    const state = this.stateOf(entry, this.now());
    if (state !== 'waiting') return Promise.resolve(state);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        entry.waiters.delete(wake);
        reject(signal.reason);
      };
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(this.stateOf(entry, this.now()));
      };
      if (signal.aborted) return onAbort();
      entry.waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private stateOf(entry: Entry, now: number): PlanState {
    if ((entry.state === 'waiting' || entry.state === 'approved') && now >= this.deadlineOf(entry))
      return 'expired';
    return entry.state;
  }

  private deadlineOf(entry: Entry): number {
    return entry.state === 'waiting' || entry.decidedAt === undefined
      ? entry.proposedAt + this.reviewWindowMs
      : entry.decidedAt + this.grantWindowMs;
  }

  private prune(now: number): void {
    // Finished plans stay while there is room, so a late follow-up gets "already used" rather than "unknown".
    if (this.entries.size < this.maxPlans) return;
    const finished = [...this.entries.values()].filter((entry) => this.stateOf(entry, now) !== 'waiting');
    const oldestFirst = (finished.length > 0 ? finished : [...this.entries.values()]).sort(
      (a, b) => a.proposedAt - b.proposedAt,
    );
    for (const entry of oldestFirst) {
      if (this.entries.size < this.maxPlans) break;
      for (const wake of entry.waiters) wake();
      this.entries.delete(entry.plan.id);
    }
  }
}

function digest(nonce: string): Buffer {
  return createHash('sha256').update(nonce).digest();
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function unknownPlan(planId: string): Refusal {
  return {
    ok: false,
    reason: 'unknown_plan',
    message: `There is no plan ${planId} (plans live only as long as the server, and finished ones are forgotten); make the call again without planId to get a new plan.`,
  };
}

function notOffered(planId: string, channel: ConsentChannel): Refusal {
  return {
    ok: false,
    reason: 'not_offered',
    message: `Plan ${planId} was not offered for review through ${channel.replace('_', ' ')}; only the person reviewing it where it was offered can decide.`,
  };
}

function hashMismatch(planId: string): Refusal {
  return {
    ok: false,
    reason: 'hash_mismatch',
    message: `Plan ${planId} no longer matches what was reviewed (the migrations, the database or the arguments changed); make the call again to get a new plan for the person to review.`,
  };
}

function expired(planId: string): Refusal {
  return {
    ok: false,
    reason: 'expired',
    message: `Plan ${planId} expired before it was used; make the call again to get a new plan for the person to review.`,
  };
}

function alreadyDecided(planId: string, state: PlanState): Refusal {
  return {
    ok: false,
    reason: 'already_decided',
    message: `Plan ${planId} was already ${state === 'used' ? 'approved and used' : state}; a decision counts once.`,
  };
}
