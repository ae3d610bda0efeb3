// What a tool is: plain data plus a handler. Tools never build MCP results, never write audit rows for
// themselves and never decide read-only mode: the registry does all three, the same way for every tool.
import type { z } from 'zod';
import type { CallContext } from '../app/call-context.js';
import type { ErrorCode } from '../core/errors.js';

/**
 * What a tool may do to the world. The single source of the MCP annotations *and* of the read-only refusal.
 * - read: reads the database or files; changes nothing.
 * - files: writes files in the project (migrations), not the database.
 * - write: changes rows.
 * - destructive: changes the schema or replaces the database (migrations, restore).
 */
export type ToolEffect = 'read' | 'files' | 'write' | 'destructive';

/** What a tool's handler is given: the same context a procedure in app/ takes. */
export type ToolContext = CallContext;

export interface ToolResult<T> {
  data: T;
  rowsAffected?: number;
  /**
   * Facts for the client application, never for the model: they travel in the result's `_meta` (the review
   * card's approval key).
   */
  meta?: Record<string, unknown>;
  /**
   * The call answers with a report of a failure rather than a tool error (generate_migration's `status: "error"`
   * when the schema does not load): the model gets the data, and the audit row records this code and its outcome.
   */
  failure?: ErrorCode;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyObject = z.ZodObject<any>;

export interface ToolDefinition<In extends AnyObject = AnyObject, Out extends AnyObject = AnyObject> {
  name: string;
  title: string;
  /** Tells the model when to use the tool; every word is sent on every turn, so keep it lean. */
  description: string;
  inputSchema: In;
  outputSchema: Out;
  effect: ToolEffect;
  /** Calling twice with the same arguments has no further effect. */
  idempotent: boolean;
  /**
   * Only for MCP App views (`visibility: ["app"]`): listed, and callable, only for clients that declare the UI
   * extension. Hosts differ in hiding such tools from the model, so the tool must refuse anything a view alone
   * could prove (its approval key) by itself.
   */
  appOnly?: true;
  handler(input: z.output<In>, context: ToolContext): Promise<ToolResult<z.output<Out>>>;
  /**
   * The arguments as the audit row records them, when the parsed input as given would not tell a person what was
   * done (raw SQL: its effective statement and bound values; see audit/statement-view.ts). Default: the input.
   */
  auditArguments?(input: z.output<In>): unknown;
}

/** Keeps each tool file's inferred types while letting the registry hold a plain list. */
export function defineTool<In extends AnyObject, Out extends AnyObject>(
  tool: ToolDefinition<In, Out>,
): ToolDefinition {
  return tool as unknown as ToolDefinition;
}
