// The consent fields the tools that can need a person share: the plan id a follow-up call names, and how the
// approval was given, as a result reports it.
import { z } from 'zod';

const PLAN_ID = /^plan_[A-Za-z0-9_-]{12}$/;

// Checked with a refinement rather than a JSON Schema pattern: the listing is sent to the model on every turn,
// and the id comes from the server's own needs_human answer, whose `next` says how to use it.
export const PlanIdSchema = z
  .string()
  .refine(
    (id) => PLAN_ID.test(id),
    'a plan id is "plan_" and 12 letters, digits, - or _, from a needs_human answer',
  )
  .optional()
  .describe('From needs_human, once approved.');

export const ConsentSchema = z.object({
  decision: z.string().describe('Who approved, and how.'),
  planId: z.string(),
});
