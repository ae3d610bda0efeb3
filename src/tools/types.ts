// What a tool is: plain data plus a handler. Tools never build MCP results, never write audit rows for
// themselves and never decide read-only mode: the registry does all three, the same way for every tool.
import type { z } from 'zod';
import type { AuditEntry } from '../audit/audit-log.js';
import type { Services } from '../app/services.js';

/**
 * What a tool may do to the world. The single source of the MCP annotations *and* of the read-only refusal.
 * - read: reads the database or files; changes nothing.
 * - files: writes files in the project (migrations), not the database.
 * - write: changes rows.
 * - destructive: changes the schema or replaces the database (migrations, restore).
 */
export type ToolEffect = 'read' | 'files' | 'write' | 'destructive';

export interface ElicitRequest {
  message: string;
  /** A flat JSON schema of primitive fields, as MCP form elicitation requires. */
  requestedSchema: { type: 'object'; properties: Record<string, unknown>; required?: string[] };
}
export interface ElicitResult {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

export interface CommitAudit {
  /** The ok row for this call as it stands now, to be appended inside the caller's own transaction. */
  entry(extra?: { rowsAffected?: number; details?: Record<string, unknown> }): AuditEntry;
  /** Call after the transaction holding that row committed, so the registry does not write a second row. */
  committed(): void;
}

export interface ToolContext {
  services: Services;
  signal: AbortSignal;
  /** "name/version" of the MCP client, or "cli/<version>". */
  client: string;
  /** A progress notification, sent only when the client asked for progress. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** Ask the human directly; undefined when the client cannot (then a launch option is the only consent). */
  elicit: ((request: ElicitRequest) => Promise<ElicitResult>) | undefined;
  /** Names what the call acted on, for the audit row (e.g. "table", "users"). */
  setTarget(type: string, id: string): void;
  /** Facts worth keeping in the audit row beyond the arguments (e.g. the consent decision). */
  addAuditDetails(details: Record<string, unknown>): void;
  /** For tools that change the database: the audit row that must commit with the change. */
  commitAudit: CommitAudit;
}

export interface ToolResult<T> {
  data: T;
  rowsAffected?: number;
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
  handler(input: z.output<In>, context: ToolContext): Promise<ToolResult<z.output<Out>>>;
}

/** Keeps each tool file's inferred types while letting the registry hold a plain list. */
export function defineTool<In extends AnyObject, Out extends AnyObject>(
  tool: ToolDefinition<In, Out>,
): ToolDefinition {
  return tool as unknown as ToolDefinition;
}
