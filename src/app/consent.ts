// How a procedure asks the human to approve something risky: a launch option the human set, else one checkbox in an
// elicitation form. Invariant: only an explicit tick on an accepted form counts as the human's approval; accepting
// the form without the tick, declining, cancelling or a failed request never does.
import { AppError } from '../core/errors.js';
import type { Config } from '../core/config.js';
import type { CallContext } from './call-context.js';

export interface ApprovalRequest {
  /** True when the human already allowed this at launch (e.g. --allow-destructive); then nobody is asked. */
  grantedAtLaunch: boolean;
  /** What the human reads; a function when building it costs something (it runs only if the human is asked). */
  message: string | (() => Promise<string>);
  /** The one boolean field of the form: its key in the answer, and what the human sees. */
  checkbox: { name: string; title: string; description: string; default?: boolean };
}

export type Approval =
  | { outcome: 'approved_by_launch_option' }
  /** The client cannot ask the human (no elicitation support). */
  | { outcome: 'unavailable' }
  | { outcome: 'approved_by_human' }
  /** The human accepted the form without ticking the box. */
  | { outcome: 'not_ticked' }
  | { outcome: 'declined' }
  | { outcome: 'cancelled' }
  /** Asking failed (transport error, timeout, or the call was cancelled meanwhile). */
  | { outcome: 'failed'; error: Error };

export async function askHumanToApprove(
  context: Pick<CallContext<unknown>, 'elicit'>,
  request: ApprovalRequest,
): Promise<Approval> {
  if (request.grantedAtLaunch) return { outcome: 'approved_by_launch_option' };
  const { elicit } = context;
  if (!elicit) return { outcome: 'unavailable' };
  const message = typeof request.message === 'string' ? request.message : await request.message();
  const { name, default: initial, ...shown } = request.checkbox;
  let answer;
  try {
    answer = await elicit({
      message,
      requestedSchema: {
        type: 'object',
        properties: {
          [name]: { type: 'boolean', ...shown, ...(initial === undefined ? {} : { default: initial }) },
        },
        required: [name],
      },
    });
  } catch (error) {
    return { outcome: 'failed', error: error as Error };
  }
  if (answer.action === 'accept') {
    // Security: only a literal `true` is a tick; a client that sends "true" or 1 has not shown the checkbox.
    return { outcome: answer.content?.[name] === true ? 'approved_by_human' : 'not_ticked' };
  }
  return { outcome: answer.action === 'decline' ? 'declined' : 'cancelled' };
}

export interface DestructiveConsent {
  /** Past participle for "nothing was …", e.g. "applied", "restored". */
  nothingWas: string;
  /** Why the client's inability to ask blocks the call, with the findings the human must see. */
  unavailable: { message: string; hint: string; details: Record<string, unknown> };
  message: string;
  checkbox: { title: string; description: string };
  /** Extra facts for the consent audit detail when the human did not agree (e.g. the pending hashes). */
  audit?: Record<string, unknown>;
  /** What the assistant should do after the human said no. */
  refusedHint: string;
}

/**
 * Consent for a change that destroys data (apply with data loss, restore): --allow-destructive or the human's tick.
 * Returns how consent was given, for the audit row; throws CONSENT_REQUIRED, recording why, otherwise.
 */
export async function requireDestructiveConsent(
  context: CallContext<{ config: Pick<Config, 'allowDestructive'> }>,
  request: DestructiveConsent,
): Promise<string> {
  const approval = await askHumanToApprove(context, {
    grantedAtLaunch: context.services.config.allowDestructive,
    message: request.message,
    checkbox: { name: 'confirm', ...request.checkbox, default: false },
  });
  const refuse = (decision: string) =>
    context.addAuditDetails({ consent: { required: true, decision, ...request.audit } });
  switch (approval.outcome) {
    case 'approved_by_launch_option':
      return 'allowed by the launch option --allow-destructive';
    case 'approved_by_human':
      return 'accepted by the human (elicitation)';
    case 'unavailable':
      refuse('refused: the client cannot ask the human and --allow-destructive is not set');
      throw new AppError('CONSENT_REQUIRED', request.unavailable.message, {
        hint: request.unavailable.hint,
        details: request.unavailable.details,
      });
    case 'failed':
      throw new AppError(
        'CONSENT_REQUIRED',
        `The human could not be asked for consent (${approval.error.message}); nothing was ${request.nothingWas}.`,
        {
          hint: 'Ask the human directly; they can allow it by restarting the server with --allow-destructive in their client config.',
          cause: approval.error,
        },
      );
    default: {
      const how =
        approval.outcome === 'not_ticked'
          ? 'did not confirm'
          : approval.outcome === 'declined'
            ? 'declined'
            : 'cancelled the question';
      refuse(`refused: the human ${how}`);
      throw new AppError('CONSENT_REQUIRED', `The human ${how}: nothing was ${request.nothingWas}.`, {
        hint: request.refusedHint,
      });
    }
  }
}
