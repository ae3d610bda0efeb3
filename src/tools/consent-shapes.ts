// The consent fields the tools that can need a person share: the plan id a follow-up call names, and how the
// approval was given, as a result reports it.
import { z } from 'zod';

export const PlanIdSchema = z
  .string()
  .regex(/^plan_[A-Za-z0-9_-]{12}$/, 'a plan id is "plan_" and 12 letters, digits, - or _')
  .optional()
  .describe('From a needs_human answer, after the person approved.');

export const ConsentSchema = z.object({
  decision: z.string().describe('Who approved, and how.'),
  planId: z.string(),
});
