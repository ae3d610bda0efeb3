import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConsentLedger, type ConsentChannel, type RefusalReason } from '../../src/consent/ledger.js';
import { samplePlan } from '../helpers/plans.js';

const everyChannel: ConsentChannel[] = ['elicitation', 'app_card', 'review_page', 'launch_option'];

const MINUTE = 60_000;

function setup(options: { reviewWindowMs?: number; grantWindowMs?: number; maxPlans?: number } = {}) {
  const clock = { t: Date.UTC(2026, 10, 1, 12) };
  const ledger = new ConsentLedger({ now: () => clock.t, randomBytes: (n) => randomBytes(n), ...options });
  const plan = ledger.propose(samplePlan(), everyChannel);
  const nonceFor = (channel: ConsentChannel, planId = plan.id) => {
    const released = ledger.releaseNonce(planId, channel);
    if (!released.ok) throw new Error(released.message);
    return released.nonce;
  };
  return { clock, ledger, plan, nonceFor };
}

function reasonOf(result: { ok: boolean; reason?: RefusalReason }): RefusalReason | 'ok' {
  return result.ok ? 'ok' : result.reason!;
}

describe('consent ledger', () => {
  it('approves once through a channel and lets the approval be used once, recording the channel', () => {
    const { ledger, plan, nonceFor } = setup();
    const nonce = nonceFor('app_card');
    const decided = ledger.decide({
      planId: plan.id,
      planHash: plan.hash,
      nonce,
      channel: 'app_card',
      decision: 'approve',
    });
    expect(decided).toMatchObject({
      ok: true,
      record: {
        planId: plan.id,
        planHash: plan.hash,
        channel: 'app_card',
        decision: 'approve',
        releases: { app_card: 1 },
      },
    });
    expect(ledger.get(plan.id)?.state).toBe('approved');
    const used = ledger.consume({ planId: plan.id, planHash: plan.hash });
    expect(used).toMatchObject({ ok: true, record: { channel: 'app_card' } });
    expect(ledger.get(plan.id)?.state).toBe('used');
    expect(reasonOf(ledger.consume({ planId: plan.id, planHash: plan.hash }))).toBe('already_used');
  });

  it('mints unguessable ids and nonces: 12 and 43 base64url characters, different per plan and per channel', () => {
    const { ledger, plan, nonceFor } = setup();
    const other = ledger.propose(samplePlan({ title: 'other' }), everyChannel);
    expect(plan.id).toMatch(/^plan_[A-Za-z0-9_-]{12}$/);
    expect(other.id).not.toBe(plan.id);
    const card = nonceFor('app_card');
    expect(card).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nonceFor('app_card')).toBe(card); // a re-rendered card gets the same key
    expect(nonceFor('review_page')).not.toBe(card);
    expect(nonceFor('app_card', other.id)).not.toBe(card);
  });

  describe('refuses a decision', () => {
    it.each<[string, (s: ReturnType<typeof setup>) => ReturnType<ConsentLedger['decide']>, RefusalReason]>([
      [
        'with a wrong nonce',
        ({ ledger, plan, nonceFor }) => (
          nonceFor('app_card'),
          ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce: 'A'.repeat(43),
            channel: 'app_card',
            decision: 'approve',
          })
        ),
        'wrong_nonce',
      ],
      [
        'with an empty nonce',
        ({ ledger, plan, nonceFor }) => (
          nonceFor('app_card'),
          ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce: '',
            channel: 'app_card',
            decision: 'approve',
          })
        ),
        'wrong_nonce',
      ],
      [
        'before any nonce was released',
        ({ ledger, plan }) =>
          ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce: 'x',
            channel: 'app_card',
            decision: 'approve',
          }),
        'wrong_nonce',
      ],
      [
        'with the nonce of another plan',
        ({ ledger, plan, nonceFor }) => {
          const other = ledger.propose(samplePlan({ title: 'other' }), everyChannel);
          nonceFor('app_card');
          return ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce: nonceFor('app_card', other.id),
            channel: 'app_card',
            decision: 'approve',
          });
        },
        'wrong_nonce',
      ],
      [
        'with the nonce of another plan with the same content',
        ({ ledger, plan, nonceFor }) => {
          const twin = ledger.propose(samplePlan(), everyChannel);
          expect(twin.hash).toBe(plan.hash);
          nonceFor('app_card');
          return ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce: nonceFor('app_card', twin.id),
            channel: 'app_card',
            decision: 'approve',
          });
        },
        'wrong_nonce',
      ],
      [
        'with the nonce of another channel',
        ({ ledger, plan, nonceFor }) =>
          ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce: nonceFor('review_page'),
            channel: 'app_card',
            decision: 'approve',
          }),
        'wrong_nonce',
      ],
      [
        'with a reused nonce',
        ({ ledger, plan, nonceFor }) => {
          const nonce = nonceFor('app_card');
          ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce,
            channel: 'app_card',
            decision: 'approve',
          });
          return ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce,
            channel: 'app_card',
            decision: 'approve',
          });
        },
        'already_decided',
      ],
      [
        'with a reused nonce after a decline',
        ({ ledger, plan, nonceFor }) => {
          const nonce = nonceFor('app_card');
          ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce,
            channel: 'app_card',
            decision: 'decline',
          });
          return ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce,
            channel: 'app_card',
            decision: 'approve',
          });
        },
        'already_decided',
      ],
      [
        'with an expired nonce',
        ({ ledger, plan, nonceFor, clock }) => {
          const nonce = nonceFor('app_card');
          clock.t += 10 * MINUTE;
          return ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce,
            channel: 'app_card',
            decision: 'approve',
          });
        },
        'expired',
      ],
      [
        "for a hash other than the plan's",
        ({ ledger, plan, nonceFor }) =>
          ledger.decide({
            planId: plan.id,
            planHash: '0'.repeat(64),
            nonce: nonceFor('app_card'),
            channel: 'app_card',
            decision: 'approve',
          }),
        'hash_mismatch',
      ],
      [
        'for an unknown plan',
        ({ ledger, nonceFor }) =>
          ledger.decide({
            planId: 'plan_nope',
            planHash: 'x',
            nonce: nonceFor('app_card'),
            channel: 'app_card',
            decision: 'approve',
          }),
        'unknown_plan',
      ],
    ])('%s', (_name, act, reason) => {
      const s = setup();
      expect(reasonOf(act(s))).toBe(reason);
      // A refused decision leaves the plan as it was (approved only in the reuse case, where the first one counted).
      if (reason === 'wrong_nonce' || reason === 'hash_mismatch')
        expect(s.ledger.get(s.plan.id)?.state).toBe('waiting');
    });
  });

  it('mints a nonce only for a channel the plan was offered on, and for more once the ladder offers them', () => {
    const { ledger } = setup();
    const onPage = ledger.propose(samplePlan({ title: 'page only' }), ['review_page']);
    expect(reasonOf(ledger.releaseNonce(onPage.id, 'app_card'))).toBe('not_offered');
    expect(reasonOf(ledger.releaseNonce(onPage.id, 'launch_option'))).toBe('not_offered');
    expect(reasonOf(ledger.releaseNonce(onPage.id, 'review_page'))).toBe('ok');
    expect(ledger.get(onPage.id)?.offered).toEqual(['review_page']);
    ledger.offer(onPage.id, 'app_card');
    expect(reasonOf(ledger.releaseNonce(onPage.id, 'app_card'))).toBe('ok');
  });

  it('refuses to release a nonce for a plan that is decided or expired', () => {
    const { ledger, plan, nonceFor, clock } = setup();
    ledger.decide({
      planId: plan.id,
      planHash: plan.hash,
      nonce: nonceFor('app_card'),
      channel: 'app_card',
      decision: 'decline',
    });
    expect(reasonOf(ledger.releaseNonce(plan.id, 'review_page'))).toBe('already_decided');
    const late = ledger.propose(samplePlan({ title: 'late' }), everyChannel);
    clock.t += 11 * MINUTE;
    expect(reasonOf(ledger.releaseNonce(late.id, 'app_card'))).toBe('expired');
  });

  describe('refuses to carry out a plan', () => {
    it.each<[string, (s: ReturnType<typeof setup>) => ReturnType<ConsentLedger['consume']>, RefusalReason]>([
      [
        'nobody decided yet',
        ({ ledger, plan }) => ledger.consume({ planId: plan.id, planHash: plan.hash }),
        'not_approved',
      ],
      [
        'the person declined',
        ({ ledger, plan, nonceFor }) => {
          ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce: nonceFor('review_page'),
            channel: 'review_page',
            decision: 'decline',
          });
          return ledger.consume({ planId: plan.id, planHash: plan.hash });
        },
        'declined',
      ],
      [
        'the rebuilt plan hashes differently (folder, database or arguments changed)',
        ({ ledger, plan, nonceFor }) => {
          ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce: nonceFor('app_card'),
            channel: 'app_card',
            decision: 'approve',
          });
          return ledger.consume({ planId: plan.id, planHash: 'f'.repeat(64) });
        },
        'hash_mismatch',
      ],
      [
        'the approval is older than the grant window',
        ({ ledger, plan, nonceFor, clock }) => {
          ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce: nonceFor('app_card'),
            channel: 'app_card',
            decision: 'approve',
          });
          clock.t += 5 * MINUTE;
          return ledger.consume({ planId: plan.id, planHash: plan.hash });
        },
        'expired',
      ],
      [
        'the plan was already carried out',
        ({ ledger, plan, nonceFor }) => {
          ledger.decide({
            planId: plan.id,
            planHash: plan.hash,
            nonce: nonceFor('launch_option'),
            channel: 'launch_option',
            decision: 'approve',
          });
          ledger.consume({ planId: plan.id, planHash: plan.hash });
          return ledger.consume({ planId: plan.id, planHash: plan.hash });
        },
        'already_used',
      ],
    ])('when %s', (_name, act, reason) => {
      expect(reasonOf(act(setup()))).toBe(reason);
    });
  });

  it('keeps a hash mismatch at consume from spending the approval', () => {
    const { ledger, plan, nonceFor } = setup();
    ledger.decide({
      planId: plan.id,
      planHash: plan.hash,
      nonce: nonceFor('app_card'),
      channel: 'app_card',
      decision: 'approve',
    });
    expect(reasonOf(ledger.consume({ planId: plan.id, planHash: 'f'.repeat(64) }))).toBe('hash_mismatch');
    expect(reasonOf(ledger.consume({ planId: plan.id, planHash: plan.hash }))).toBe('ok');
  });

  it('tells whether rebuilt content is the proposed plan', () => {
    const { ledger, plan } = setup();
    expect(ledger.matches(plan.id, samplePlan())).toBe(true);
    expect(ledger.matches(plan.id, samplePlan({ title: 'changed' }))).toBe(false);
    expect(ledger.matches('plan_unknown', samplePlan())).toBe(false);
  });

  it('lists only the plans still waiting, and says when each expires', () => {
    const { ledger, plan, nonceFor, clock } = setup();
    const second = ledger.propose(samplePlan({ title: 'second' }), everyChannel);
    ledger.decide({
      planId: second.id,
      planHash: second.hash,
      nonce: nonceFor('app_card', second.id),
      channel: 'app_card',
      decision: 'approve',
    });
    expect(ledger.waiting().map((s) => s.plan.id)).toEqual([plan.id]);
    expect(ledger.waiting()[0]!.expiresAt).toBe(new Date(clock.t + 10 * MINUTE).toISOString());
    expect(ledger.get(second.id)!.expiresAt).toBe(new Date(clock.t + 5 * MINUTE).toISOString());
    clock.t += 10 * MINUTE;
    expect(ledger.waiting()).toEqual([]);
  });

  it('wakes a waiting call when the person decides, and lets its own timeout end the wait', async () => {
    const { ledger, plan, nonceFor } = setup();
    const waited = ledger.waitForDecision(plan.id, AbortSignal.timeout(5_000));
    ledger.decide({
      planId: plan.id,
      planHash: plan.hash,
      nonce: nonceFor('review_page'),
      channel: 'review_page',
      decision: 'approve',
    });
    await expect(waited).resolves.toBe('approved');

    const other = ledger.propose(samplePlan({ title: 'other' }), everyChannel);
    const controller = new AbortController();
    const abandoned = ledger.waitForDecision(other.id, controller.signal);
    controller.abort(new Error('our own timeout'));
    await expect(abandoned).rejects.toThrow('our own timeout');
    expect(ledger.get(other.id)?.state).toBe('waiting');
  });

  it('keeps at most maxPlans, forgetting finished plans before waiting ones', () => {
    const { ledger, plan, nonceFor } = setup({ maxPlans: 3 });
    ledger.decide({
      planId: plan.id,
      planHash: plan.hash,
      nonce: nonceFor('app_card'),
      channel: 'app_card',
      decision: 'decline',
    });
    const b = ledger.propose(samplePlan({ title: 'b' }), everyChannel);
    const c = ledger.propose(samplePlan({ title: 'c' }), everyChannel);
    const d = ledger.propose(samplePlan({ title: 'd' }), everyChannel);
    expect(ledger.get(plan.id)).toBeUndefined();
    expect([b, c, d].map((p) => ledger.get(p.id)?.state)).toEqual(['waiting', 'waiting', 'waiting']);
    const e = ledger.propose(samplePlan({ title: 'e' }), everyChannel);
    expect(ledger.get(b.id)).toBeUndefined();
    expect(ledger.get(e.id)?.state).toBe('waiting');
  });
});
