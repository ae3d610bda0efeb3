import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { APP_TOOL_NAME, APP_VIEWS, NONCE_META_KEY } from '../views/app-meta.js';
import { defineTool } from './types.js';

// Not for the model (app-only, and listed only to clients that render MCP Apps): no field descriptions, so the
// listing stays small; the views that call it are the only intended callers.
const InputSchema = z
  .object({
    action: z.enum(['render', 'decide']),
    view: z.enum(APP_VIEWS),
    planId: z.string().max(80).optional(),
    planHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    decision: z.enum(['approve', 'decline']).optional(),
    nonce: z.string().max(200).optional(),
    input: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const OutputSchema = z.object({
  view: z.enum(APP_VIEWS),
  title: z.string(),
  /** Rendered on the server, every value escaped; the view puts it in place as it is. */
  html: z.string(),
});

/**
 * The MCP App views' backend: renders a view for the person (the plan card, the ER diagram, the migration
 * history, the audit trail) and records their decision on a plan. Security: a decision counts only with the key
 * the card received in `_meta` — which hosts keep from the model — for a plan offered on the card; a model that
 * sees this tool and calls it is refused.
 */
export const serveView = defineTool({
  name: APP_TOOL_NAME,
  title: 'Review views (app only)',
  description: 'Used by the review card and views of MCP App hosts; not for the assistant.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  // It changes no data or file: a decision is the person's, recorded in memory; the apply that follows it is
  // the tool call that changes something.
  effect: 'read',
  idempotent: false,
  appOnly: true,
  async handler(input, { services, setTarget }) {
    const { desk } = services.consent;
    if (input.planId) setTarget('plan', input.planId);
    const result =
      input.action === 'render'
        ? await desk.render(input.view, { planId: input.planId, input: input.input ?? {} }, 'app_card')
        : desk.decide(decisionOf(input), 'app_card');
    if (!result.ok) {
      throw new AppError(result.status === 404 ? 'NOT_FOUND' : 'CONSENT_REQUIRED', result.message, {
        details: { reason: result.reason },
      });
    }
    return {
      data: { view: input.view, title: result.title, html: result.html.text },
      // Security: the approval key goes in `_meta` only — never in the data, which hosts may hand to the model.
      ...(result.nonce ? { meta: { [NONCE_META_KEY]: result.nonce } } : {}),
    };
  },
});

function decisionOf(input: z.output<typeof InputSchema>) {
  const { planId, planHash, decision, nonce } = input;
  if (!planId || !planHash || !decision)
    throw new AppError('INVALID_ARGUMENT', 'A decision names planId, planHash and decision.');
  return { planId, planHash, decision, nonce: nonce ?? '' };
}
