// The consent ladder without MCP: each rung with a recording call context, the real ledger and desk, and a test
// opener that plays the person's browser. What the audit row is told is checked on every path.
import { describe, expect, it } from 'vitest';
import type { ElicitRequest } from '../../src/app/call-context.js';
import { obtainConsent, planText, type ConsentRequest } from '../../src/app/consent.js';
import type { ConsentRoom } from '../../src/app/consent-room.js';
import { createPlan } from '../../src/consent/plan.js';
import { recordingContext, type RecordingOptions } from '../helpers/call-context.js';
import { testConsentRoom } from '../helpers/consent-room.js';
import { samplePlan } from '../helpers/plans.js';

type Services = { consent: ConsentRoom };

function request(overrides: Partial<ConsentRequest> = {}): ConsentRequest {
  return {
    tool: 'apply_migrations',
    plan: samplePlan(),
    launchOption: { flag: '--allow-destructive', granted: false },
    planId: undefined,
    nothingWas: 'applied',
    ...overrides,
  };
}

function call(room: ConsentRoom, options: RecordingOptions = {}) {
  return recordingContext<Services>({ consent: room }, options);
}

/** Waits for the abort of our own timeout, as a client whose dialog nobody answers. */
const unanswered = (_request: ElicitRequest, signal: AbortSignal | undefined) =>
  new Promise<never>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));

/** The person approves (or declines) on the card, with the key the card was given. */
function decideOnCard(room: ConsentRoom, planId: string, decision: 'approve' | 'decline' = 'approve') {
  const released = room.ledger.releaseNonce(planId, 'app_card');
  if (!released.ok) throw new Error(released.message);
  const plan = room.ledger.get(planId)!.plan;
  return room.desk.decide({ planId, planHash: plan.hash, decision, nonce: released.nonce }, 'app_card');
}

async function pendingPlanId(promise: Promise<unknown>): Promise<string> {
  const error = (await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )) as { code?: string; details?: { planId?: string } } | undefined;
  expect(error?.code).toBe('NEEDS_HUMAN');
  return error!.details!.planId!;
}

describe('the consent ladder', () => {
  it('takes the operator’s launch option first, without asking anyone, and records it as theirs', async () => {
    const room = testConsentRoom();
    const recorded = call(room, {
      elicit: () => ({ action: 'decline' }),
      rendersApps: true,
      reviewPage: true,
    });
    const record = await obtainConsent(
      recorded.context,
      request({ launchOption: { flag: '--allow-destructive', granted: true } }),
    );
    expect(record).toMatchObject({ channel: 'launch_option', decision: 'approve' });
    expect(recorded.asked).toStrictEqual([]);
    expect(recorded.details.consent).toMatchObject({
      planId: record.planId,
      planHash: record.planHash,
      channel: 'launch_option',
      by: 'operator at launch (--allow-destructive)',
    });
    expect(room.ledger.get(record.planId)?.state).toBe('used');
  });

  it('asks through elicitation, showing the plan, and approves only on a literal tick', async () => {
    const room = testConsentRoom();
    const recorded = call(room, { elicit: () => ({ action: 'accept', content: { approve: true } }) });
    const record = await obtainConsent(recorded.context, request());
    expect(record).toMatchObject({
      channel: 'elicitation',
      decision: 'approve',
      releases: { elicitation: 1 },
    });
    const asked = recorded.asked[0]!;
    expect(asked.message).toContain('The assistant wants to: Apply 1 migration to data/app.db');
    expect(asked.message).toContain('⚠ ALTER TABLE `users` DROP COLUMN `legacy_email`;');
    expect(asked.message).toContain(`Plan ${record.planId} · hash ${record.planHash.slice(0, 12)}`);
    expect(asked.requestedSchema).toMatchObject({
      properties: { approve: { type: 'boolean', default: false } },
      required: ['approve'],
    });
    expect(recorded.details.consent).toMatchObject({ channel: 'elicitation', decision: 'approve' });
  });

  it.each([
    ['declines', { action: 'decline' as const }, 'decline', /The person declined/],
    [
      'accepts without the tick',
      { action: 'accept' as const, content: { approve: false } },
      'not_ticked',
      /did not tick/,
    ],
    [
      'ticks with a string',
      { action: 'accept' as const, content: { approve: 'true' } },
      'not_ticked',
      /did not tick/,
    ],
    ['cancels', { action: 'cancel' as const }, 'cancel', /cancelled the question/],
  ])(
    'refuses when the person %s, and the plan stays declined',
    async (_name, answer, recordedAnswer, message) => {
      const room = testConsentRoom();
      const recorded = call(room, { elicit: () => answer, rendersApps: true, reviewPage: true });
      await expect(obtainConsent(recorded.context, request())).rejects.toMatchObject({
        code: 'CONSENT_REQUIRED',
        message: expect.stringMatching(message),
      });
      const consent = recorded.details.consent as { planId: string };
      expect(consent).toMatchObject({ channel: 'elicitation', decision: 'decline', answer: recordedAnswer });
      expect(room.ledger.get(consent.planId)?.state).toBe('declined');
    },
  );

  it('takes no answer within our wait as no, and shows the next plan of the session on the next rung', async () => {
    const room = testConsentRoom({ waitMs: 30 });
    const first = call(room, { elicit: unanswered, rendersApps: true });
    await expect(obtainConsent(first.context, request())).rejects.toMatchObject({
      code: 'CONSENT_REQUIRED',
      message: expect.stringMatching(/Nobody answered within 0\.03 s/),
      hint: expect.stringMatching(/shown in a review card instead of a dialog/),
    });
    const { planId } = first.details.consent as { planId: string };
    expect(first.details.consent).toMatchObject({ channel: 'elicitation', answer: 'timeout' });
    expect(room.elicitationUnanswered).toBe(true);
    expect(room.ledger.get(planId)?.state).toBe('waiting'); // no answer is no decision
    // Naming the unanswered plan, or not, the next plan of the session goes to the card, not the dialog.
    const second = call(room, { elicit: unanswered, rendersApps: true });
    const next = await pendingPlanId(obtainConsent(second.context, request({ planId })));
    expect(next).not.toBe(planId);
    expect(second.asked).toStrictEqual([]);
    expect(second.details.consent).toMatchObject({
      channel: 'app_card',
      decision: 'pending',
      previous: { planId, reason: 'not_offered' },
    });
  });

  it('moves on to the next rung when asking fails (not an answer), and when the plan is too long for a dialog', async () => {
    const room = testConsentRoom();
    const failing = call(room, {
      elicit: () => Promise.reject(new Error('Method not found')),
      rendersApps: true,
    });
    await pendingPlanId(obtainConsent(failing.context, request()));
    expect(failing.asked).toHaveLength(1);

    const long = samplePlan({
      steps: [
        {
          label: 'big',
          statements: [{ sql: `UPDATE t SET x = '${'x'.repeat(9000)}'`, risk: 'data_change' }],
        },
      ],
    });
    const tooLong = call(room, {
      elicit: () => ({ action: 'accept', content: { approve: true } }),
      rendersApps: true,
    });
    await pendingPlanId(obtainConsent(tooLong.context, request({ plan: long })));
    expect(tooLong.asked).toStrictEqual([]);
  });

  it('on the App card rung answers needs_human at once, then carries out the plan the person approved, once', async () => {
    const room = testConsentRoom();
    const first = call(room, { rendersApps: true, reviewPage: true });
    const planId = await pendingPlanId(obtainConsent(first.context, request()));
    expect(first.details.consent).toMatchObject({ planId, channel: 'app_card', decision: 'pending' });
    expect(room.ledger.get(planId)?.offered).toStrictEqual(['app_card']);
    expect(decideOnCard(room, planId)).toMatchObject({ ok: true });

    const followUp = call(room, { rendersApps: true });
    const record = await obtainConsent(followUp.context, request({ planId }));
    expect(record).toMatchObject({
      planId,
      channel: 'app_card',
      decision: 'approve',
      releases: { app_card: 1 },
    });
    expect(followUp.details.consent).toMatchObject({ planId, channel: 'app_card', decision: 'approve' });

    // The approval counted once: naming the plan again asks anew, with a new plan.
    const again = call(room, { rendersApps: true });
    const next = await pendingPlanId(obtainConsent(again.context, request({ planId })));
    expect(next).not.toBe(planId);
    expect(again.details.consent).toMatchObject({ previous: { planId, reason: 'used' } });
  });

  it('asks again when the plan rebuilt now differs from the approved one (folder, database or arguments changed)', async () => {
    const room = testConsentRoom();
    const planId = await pendingPlanId(obtainConsent(call(room, { rendersApps: true }).context, request()));
    decideOnCard(room, planId);
    const changed = samplePlan({ binding: { database: { file: '/p/data/app.db', schema: 'changed' } } });
    const followUp = call(room, { rendersApps: true });
    const next = await pendingPlanId(obtainConsent(followUp.context, request({ plan: changed, planId })));
    expect(next).not.toBe(planId);
    expect(followUp.details.consent).toMatchObject({ previous: { planId, reason: 'hash_mismatch' } });
    expect(room.ledger.get(planId)?.state).toBe('approved'); // not spent by a plan it does not match
  });

  it('on a follow-up while the person has not decided, waits for them, then answers needs_human again', async () => {
    const room = testConsentRoom({ waitMs: 30 });
    const planId = await pendingPlanId(obtainConsent(call(room, { rendersApps: true }).context, request()));
    const waited = await pendingPlanId(
      obtainConsent(call(room, { rendersApps: true }).context, request({ planId })),
    );
    expect(waited).toBe(planId);
    // A person who decides while the follow-up waits lets it carry on at once.
    const followUp = obtainConsent(call(room, { rendersApps: true }).context, request({ planId }));
    setTimeout(() => decideOnCard(room, planId), 5);
    await expect(followUp).resolves.toMatchObject({ planId, channel: 'app_card' });
  });

  it('refuses a follow-up on a plan the person declined', async () => {
    const room = testConsentRoom();
    const planId = await pendingPlanId(obtainConsent(call(room, { rendersApps: true }).context, request()));
    decideOnCard(room, planId, 'decline');
    const followUp = call(room, { rendersApps: true });
    await expect(obtainConsent(followUp.context, request({ planId }))).rejects.toMatchObject({
      code: 'CONSENT_REQUIRED',
      message: expect.stringMatching(/The person declined/),
    });
    expect(followUp.details.consent).toMatchObject({ planId, channel: 'app_card', decision: 'decline' });
  });

  it('asks again once an approval expired unused', async () => {
    const clock = { t: Date.UTC(2026, 10, 1, 12) };
    const room = testConsentRoom({ now: () => clock.t });
    const planId = await pendingPlanId(obtainConsent(call(room, { rendersApps: true }).context, request()));
    decideOnCard(room, planId);
    clock.t += 6 * 60_000; // the grant window is 5 minutes
    const followUp = call(room, { rendersApps: true });
    expect(await pendingPlanId(obtainConsent(followUp.context, request({ planId })))).not.toBe(planId);
    expect(followUp.details.consent).toMatchObject({ previous: { planId, reason: 'expired' } });
  });

  it('on the review page rung, opens the plan in the browser (key in the fragment only) and carries on when the person approves in time', async () => {
    const opened: string[] = [];
    const room: ConsentRoom = testConsentRoom({
      opener: async (url) => {
        opened.push(url);
        const planId = /\/plans\/(plan_[\w-]+)#/.exec(url)![1]!;
        // The person clicks Approve on the page a moment later.
        setTimeout(() => {
          const plan = room.ledger.get(planId)!.plan;
          room.desk.decide({ planId, planHash: plan.hash, decision: 'approve' }, 'review_page');
        }, 5);
      },
    });
    const recorded = call(room, { reviewPage: true });
    const record = await obtainConsent(recorded.context, request());
    expect(record).toMatchObject({ channel: 'review_page', decision: 'approve' });
    expect(opened).toStrictEqual([
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/plans\/plan_[\w-]{12}#[\w-]{43}$/),
    ]);
    expect(recorded.details.consent).toMatchObject({ channel: 'review_page', decision: 'approve' });
    await room.close();
  });

  it('on the review page rung, answers that a review is waiting when the person is slower — without the page’s address or key', async () => {
    const opened: string[] = [];
    const room = testConsentRoom({ waitMs: 20, opener: async (url) => void opened.push(url) });
    const recorded = call(room, { reviewPage: true });
    const error = await obtainConsent(recorded.context, request()).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({
      code: 'NEEDS_HUMAN',
      message: expect.stringMatching(/on the review page that opened in their browser/),
      details: { channel: 'review_page' },
    });
    const said = JSON.stringify(error) + JSON.stringify(recorded.details) + String((error as Error).message);
    const key = opened[0]!.split('#')[1]!;
    expect(said).not.toContain(key);
    expect(said).not.toContain('127.0.0.1');
    await room.close();
  });

  it('fails closed when no rung is available (or the browser cannot be opened): the plan id and what the person can do', async () => {
    const room = testConsentRoom({ opener: () => Promise.reject(new Error('No graphical session')) });
    const recorded = call(room, { reviewPage: true });
    const error = (await obtainConsent(recorded.context, request()).catch((thrown: unknown) => thrown)) as {
      code: string;
      message: string;
      hint: string;
      details: { planId: string };
    };
    expect(error.code).toBe('CONSENT_REQUIRED');
    expect(error.message).toMatch(/needs a person's approval \(plan plan_[\w-]{12}, hash [0-9a-f]{12}\)/);
    expect(error.message).toMatch(/Why: Drops column users\.legacy_email/);
    expect(error.hint).toMatch(/--allow-destructive/);
    expect(recorded.details.consent).toMatchObject({ planId: error.details.planId, decision: 'unavailable' });
    // The page that could not open cannot decide the plan either.
    expect(room.ledger.get(error.details.planId)?.offered).toStrictEqual([]);
  });
});

describe('planText', () => {
  const plan = (content = samplePlan()) => createPlan(content, 'plan_AAAAAAAAAAAA', new Date(0));

  it('shows every statement whole when they fit, the values they bind, and the effects', () => {
    const text = planText(
      plan(
        samplePlan({
          steps: [
            {
              label: 'write',
              statements: [
                { sql: 'UPDATE t SET a = ?', params: '[1]', risk: 'data_change', note: 'changes 5 rows' },
              ],
            },
          ],
        }),
      ),
    )!;
    expect(text).toContain('⚠ UPDATE t SET a = ?\n  with values [1]\n  (changes 5 rows)');
    expect(text).toContain('• users: 3 → 3');
    expect(text).toContain('Schema changes: drop column users.legacy_email');
  });

  it('keeps the risky statements whole and counts the rest when all would not fit, and gives up when the risky ones do not', () => {
    const safe = { sql: `CREATE INDEX i ON t (${'c, '.repeat(3000)}c)` };
    const risky = { sql: 'DROP TABLE t', risk: 'data_loss' as const };
    const text = planText(plan(samplePlan({ steps: [{ label: 'm', statements: [safe, risky] }] })))!;
    expect(text).toContain('⚠ DROP TABLE t');
    expect(text).toContain(
      'the 1 statements that destroy or change data, in full (1 others are in the review card or page)',
    );
    expect(text).not.toContain('CREATE INDEX');
    const hugeRisky = {
      sql: `DELETE FROM t WHERE x IN (${'1, '.repeat(4000)}1)`,
      risk: 'data_loss' as const,
    };
    expect(planText(plan(samplePlan({ steps: [{ label: 'm', statements: [hugeRisky] }] })))).toBeUndefined();
  });
});
