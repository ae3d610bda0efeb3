// How a procedure gets a person's consent for a plan: the consent ladder. Invariant: the operation runs only after
// the ledger's consume() succeeded for the plan as rebuilt by this very call, from the folder, the database and
// the arguments as they are now — so an approval covers exactly what the person was shown, once. The rungs, in
// order (notes/consent-design.md §2; the lead put launch options first):
//   0. a follow-up call naming a plan id: carried out if that plan was approved and still matches, else asked anew;
//   1. a launch option the operator set (--allow-destructive …): their standing answer, recorded as such;
//   2. elicitation, when the client declares it: one question with our own timeout; decline, cancel and
//      timeout all mean no;
//   3. the MCP App review card, when the client declares the UI extension: the call answers needs_human at once;
//   4. the local review page in the person's browser, waited for a while, else needs_human;
//   5. fail closed: CONSENT_REQUIRED with the plan id and what the person can do.
// Every outcome lands in the call's audit row as `consent` (plan id, hash, channel, decision); never a nonce.
import { shortHash, statementCount, type Plan, type PlanContent } from '../consent/plan.js';
import { hashPlanContent } from '../consent/plan.js';
import type { ConsentChannel, ConsentRecord } from '../consent/ledger.js';
import { AppError } from '../core/errors.js';
import type { CallContext } from './call-context.js';
import type { ConsentRoom } from './consent-room.js';

export interface ConsentRequest {
  /** The tool a follow-up call names. */
  tool: string;
  /** The plan as it stands now; a follow-up call rebuilds it the same way. */
  plan: PlanContent;
  /** The operator's standing answer for this kind of plan, and the flag that gives it. */
  launchOption: { flag: string; granted: boolean };
  /** The plan id a follow-up call names. */
  planId: string | undefined;
  /** Past participle for "nothing was …": "applied", "restored", "written". */
  nothingWas: string;
}

type ConsentContext = Pick<
  CallContext<{ consent: ConsentRoom }>,
  'services' | 'signal' | 'elicit' | 'rendersApps' | 'reviewPage' | 'addAuditDetails'
>;

/** One line for the tool's output and the audit trail: how the approval was given. */
export function describeConsent(record: ConsentRecord, launchFlag?: string): string {
  return record.channel === 'launch_option'
    ? `operator at launch (${launchFlag ?? 'a launch option'})`
    : `approved by the person via ${record.channel.replace('_', ' ')}`;
}

/** Returns the approval that lets the operation run now, or throws (NEEDS_HUMAN, CONSENT_REQUIRED). */
export async function obtainConsent(
  context: ConsentContext,
  request: ConsentRequest,
): Promise<ConsentRecord> {
  const { ledger } = context.services.consent;
  const hash = hashPlanContent(request.plan);
  let previous: { planId: string; reason: string } | undefined;
  if (request.planId !== undefined) {
    const followed = await followUp(context, request, request.planId, hash);
    if ('record' in followed) return followed.record;
    previous = followed.previous;
  }

  if (request.launchOption.granted) {
    const plan = ledger.propose(request.plan, ['launch_option']);
    const record = approveInProcess(context, plan, 'launch_option');
    context.addAuditDetails({
      consent: {
        ...record,
        by: `operator at launch (${request.launchOption.flag})`,
        ...withPrevious(previous),
      },
    });
    return record;
  }

  const plan = ledger.propose(request.plan);
  const room = context.services.consent;
  if (context.elicit && !room.elicitationUnanswered) {
    const asked = await askThroughElicitation(context, plan, request);
    if (asked !== 'failed') {
      if (asked === 'approve')
        return granted(context, approveInProcess(context, plan, 'elicitation'), previous);
      // Nobody answering is no decision: the plan stays undecided (a follow-up naming it is asked anew, on the
      // next rung); an answer that is not a tick declines it for good.
      if (asked === 'timeout') room.noteElicitationUnanswered();
      else decideInProcess(context, plan, 'elicitation', 'decline');
      refuse(context, plan, request, 'elicitation', asked);
    }
  }
  if (context.rendersApps) {
    ledger.offer(plan.id, 'app_card');
    pending(context, plan, request, 'app_card', previous);
  }
  if (context.reviewPage) {
    // Offered before the page opens, so a person quicker than the opener's exit can already decide.
    ledger.offer(plan.id, 'review_page');
    if (await room.openReviewPage(plan.id)) {
      const record = await awaitDecision(context, plan, request, 'review_page', previous);
      if (record) return record;
    } else {
      ledger.withdraw(plan.id, 'review_page');
    }
  }
  return failClosed(context, plan, request, previous);
}

async function followUp(
  context: ConsentContext,
  request: ConsentRequest,
  planId: string,
  hash: string,
): Promise<{ record: ConsentRecord } | { previous: { planId: string; reason: string } }> {
  const snapshot = context.services.consent.ledger.get(planId);
  if (!snapshot) return { previous: { planId, reason: 'unknown_plan' } };
  // What the person saw no longer matches the folder, the database or the arguments: they are asked again.
  if (snapshot.plan.hash !== hash) return { previous: { planId, reason: 'hash_mismatch' } };
  // Only a plan a person can still see (in a card or a page) is worth waiting for; one that failed closed is not.
  const channel = snapshot.offered.findLast((c) => c === 'app_card' || c === 'review_page');
  if (channel === undefined && snapshot.state === 'waiting')
    return { previous: { planId, reason: 'not_offered' } };
  switch (snapshot.state) {
    case 'approved':
    case 'declined':
    case 'waiting': {
      const record = await awaitDecision(context, snapshot.plan, request, channel ?? 'review_page');
      if (record) return { record };
      break;
    }
    default:
      break;
  }
  return { previous: { planId, reason: snapshot.state } };
}

/**
 * Waits (up to the room's wait) for a person's decision on a plan shown in a card or a page: carries on when they
 * approve, refuses when they decline, answers needs_human while they have not decided. Undefined: the plan is
 * gone (expired or used) and must be asked anew.
 */
async function awaitDecision(
  context: ConsentContext,
  plan: Plan,
  request: ConsentRequest,
  channel: ConsentChannel,
  previous?: { planId: string; reason: string },
): Promise<ConsentRecord | undefined> {
  const { ledger, waitMs } = context.services.consent;
  const timeout = AbortSignal.timeout(waitMs);
  let state;
  try {
    state = await ledger.waitForDecision(plan.id, AbortSignal.any([context.signal, timeout]));
  } catch (error) {
    if (context.signal.aborted) throw error;
    state = 'waiting' as const;
  }
  if (state === 'waiting') pending(context, plan, request, channel, previous);
  if (state === 'declined') {
    const record = ledger.get(plan.id)?.record;
    refuse(context, plan, request, record?.channel ?? channel, 'decline');
  }
  if (state !== 'approved') return undefined;
  const spent = ledger.consume({ planId: plan.id, planHash: plan.hash });
  if (!spent.ok) return undefined;
  return granted(context, spent.record, previous);
}

function granted(
  context: ConsentContext,
  record: ConsentRecord,
  previous?: { planId: string; reason: string },
): ConsentRecord {
  context.addAuditDetails({ consent: { ...record, ...withPrevious(previous) } });
  return record;
}

const withPrevious = (previous: { planId: string; reason: string } | undefined) =>
  previous ? { previous } : {};

/** The in-process channels (launch option, elicitation) decide with a nonce that never leaves this function. */
function decideInProcess(
  context: ConsentContext,
  plan: Plan,
  channel: 'launch_option' | 'elicitation',
  decision: 'approve' | 'decline',
): ConsentRecord {
  const { ledger } = context.services.consent;
  ledger.offer(plan.id, channel);
  const released = ledger.releaseNonce(plan.id, channel);
  if (!released.ok) throw new AppError('INTERNAL', released.message);
  const decided = ledger.decide({
    planId: plan.id,
    planHash: plan.hash,
    nonce: released.nonce,
    channel,
    decision,
  });
  if (!decided.ok) throw new AppError('INTERNAL', decided.message);
  return decided.record;
}

function approveInProcess(
  context: ConsentContext,
  plan: Plan,
  channel: 'launch_option' | 'elicitation',
): ConsentRecord {
  decideInProcess(context, plan, channel, 'approve');
  const spent = context.services.consent.ledger.consume({ planId: plan.id, planHash: plan.hash });
  if (!spent.ok) throw new AppError('INTERNAL', spent.message);
  return spent.record;
}

type ElicitationAnswer = 'approve' | 'decline' | 'not_ticked' | 'cancel' | 'timeout' | 'failed';

async function askThroughElicitation(
  context: ConsentContext,
  plan: Plan,
  request: ConsentRequest,
): Promise<ElicitationAnswer> {
  const message = planText(plan);
  // A plan too long for a dialog is never cut to fit: the card or the page shows it whole.
  if (message === undefined || !context.elicit) return 'failed';
  const timeout = AbortSignal.timeout(context.services.consent.waitMs);
  let answer;
  try {
    answer = await context.elicit(
      {
        message,
        requestedSchema: {
          type: 'object',
          properties: {
            approve: {
              type: 'boolean',
              title: 'Approve this plan',
              description: `Tick to let the assistant carry out plan ${plan.id} (hash ${shortHash(plan.hash)}) once with ${request.tool}; leave it unticked to refuse.`,
              default: false,
            },
          },
          required: ['approve'],
        },
      },
      { signal: AbortSignal.any([context.signal, timeout]) },
    );
  } catch (error) {
    if (context.signal.aborted) throw error;
    return timeout.aborted ? 'timeout' : 'failed';
  }
  if (answer.action === 'accept')
    // Security: only a literal `true` is a tick; a client that sends "true" or 1 has not shown the checkbox.
    return answer.content?.approve === true ? 'approve' : 'not_ticked';
  return answer.action === 'decline' ? 'decline' : 'cancel';
}

const REFUSED: Record<Exclude<ElicitationAnswer, 'approve' | 'failed'>, string> = {
  decline: 'declined',
  not_ticked: 'did not tick the approval',
  cancel: 'cancelled the question',
  timeout: 'did not answer in time',
};

function refuse(
  context: ConsentContext,
  plan: Plan,
  request: ConsentRequest,
  channel: ConsentChannel,
  answer: keyof typeof REFUSED,
): never {
  context.addAuditDetails({
    consent: { planId: plan.id, planHash: plan.hash, channel, decision: 'decline', answer },
  });
  const who = answer === 'timeout' ? 'Nobody answered' : `The person ${REFUSED[answer]}`;
  const next =
    answer === 'timeout'
      ? `Ask the person whether they want this. If they do, call ${request.tool} again: the plan will be shown ${context.rendersApps ? 'in a review card' : context.reviewPage ? 'on a review page in their browser' : 'to them'} instead of a dialog.`
      : 'Do not try again without asking them; ask what they want instead.';
  throw new AppError(
    'CONSENT_REQUIRED',
    `${who}${answer === 'timeout' ? ` within ${seconds(context.services.consent.waitMs)}` : ''} (plan ${plan.id}): nothing was ${request.nothingWas}.`,
    { hint: next, details: { planId: plan.id } },
  );
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

function pending(
  context: ConsentContext,
  plan: Plan,
  request: ConsentRequest,
  channel: ConsentChannel,
  previous?: { planId: string; reason: string },
): never {
  context.addAuditDetails({
    consent: {
      planId: plan.id,
      planHash: plan.hash,
      channel,
      decision: 'pending',
      ...withPrevious(previous),
    },
  });
  const where =
    channel === 'app_card'
      ? 'in the review card shown with this result'
      : 'on the review page that opened in their browser';
  throw new AppError(
    'NEEDS_HUMAN',
    `${plan.title}: a person must approve plan ${plan.id} ${where}. Nothing was ${request.nothingWas} yet.`,
    {
      hint: `Tell the person a review is waiting. Once they approve, call ${request.tool} again with the same arguments and planId "${plan.id}".`,
      details: { planId: plan.id, channel },
    },
  );
}

function failClosed(
  context: ConsentContext,
  plan: Plan,
  request: ConsentRequest,
  previous?: { planId: string; reason: string },
): never {
  context.addAuditDetails({
    consent: { planId: plan.id, planHash: plan.hash, decision: 'unavailable', ...withPrevious(previous) },
  });
  throw new AppError(
    'CONSENT_REQUIRED',
    `${plan.title} needs a person's approval (plan ${plan.id}, hash ${shortHash(plan.hash)}), and none could be asked here: no dialog, review card or browser page is available. Nothing was ${request.nothingWas}.\nWhy: ${plan.reasons.map((reason) => reason.message).join(' ')}`,
    {
      hint: `Show the person this. They can approve it from a client that shows MCP elicitation or MCP Apps, from a desktop session where the server can open their browser, or by adding ${request.launchOption.flag} to the server's arguments in their MCP client config (or to this command) — which allows every such step until they remove it.`,
      details: { planId: plan.id },
    },
  );
}

/** The longest question put in a dialog; a plan that needs more is shown in the card or the page instead. */
const MAX_DIALOG_CHARS = 8_000;

/**
 * The plan as the dialog's text: what and why, then every statement whole when they fit, else the risky ones
 * whole and the rest counted, then the effects and the hash. Undefined when even the risky ones do not fit.
 */
export function planText(plan: Plan): string | undefined {
  const head = [`The assistant wants to: ${plan.title}`, '', 'Why you are asked:'];
  head.push(...plan.reasons.map((reason) => `• ${reason.message}`));
  const effects: string[] = [];
  const deltas = plan.effects.rowDeltas.map(
    (d) =>
      `• ${d.table}: ${d.before ?? '(no table)'} → ${d.after ?? '(no table)'}${d.changed ? ` (${d.changed} rows rewritten)` : ''}`,
  );
  if (deltas.length) effects.push('', 'Rows per table in a rehearsal on a copy of your data:', ...deltas);
  if (plan.effects.schemaChanges.length)
    effects.push(
      '',
      `Schema changes: ${plan.effects.schemaChanges.map((c) => `${c.action} ${c.object} ${c.name}`).join('; ')}`,
    );
  for (const sample of plan.effects.rowChanges) {
    effects.push('', `Some of the ${sample.total} rows of ${sample.table} it would write:`);
    for (const row of sample.rows.slice(0, 5))
      effects.push(
        JSON.stringify(Object.fromEntries(sample.columns.map((c, i) => [c, (row.after ?? row.before)?.[i]]))),
      );
  }
  const tail = ['', `Plan ${plan.id} · hash ${shortHash(plan.hash)}`];
  const render = (all: boolean) => {
    const lines: string[] = [];
    let hidden = 0;
    for (const step of plan.steps) {
      const shown = step.statements.filter((s) => all || s.risk !== undefined);
      hidden += step.statements.length - shown.length;
      if (shown.length === 0) continue;
      lines.push(`[${step.label}]`);
      for (const s of shown) {
        lines.push(`${s.risk ? '⚠ ' : ''}${s.sql}`);
        if (s.params) lines.push(`  with values ${s.params}`);
        if (s.note) lines.push(`  (${s.note})`);
      }
    }
    const total = statementCount(plan);
    const title = all
      ? `What will run (${total} statement${total === 1 ? '' : 's'}):`
      : `What will run: the ${total - hidden} statements that destroy or change data, in full (${hidden} others are in the review card or page):`;
    return [...head, '', title, ...lines, ...effects, ...tail].join('\n');
  };
  const full = render(true);
  if (full.length <= MAX_DIALOG_CHARS) return full;
  const risky = render(false);
  return risky.length <= MAX_DIALOG_CHARS ? risky : undefined;
}
