// What a procedure (apply, restore, an audited write) is given by the call that runs it: the services, the
// client's signal and ways to reach the human, and the call's audit row. The registry builds one per tools/call;
// tests build one around real services, without MCP.
import type { AuditEntry } from '../audit/entry.js';
import type { Services } from './services.js';

export interface ElicitRequest {
  message: string;
  /** A flat JSON schema of primitive fields, as MCP form elicitation requires. */
  requestedSchema: { type: 'object'; properties: Record<string, unknown>; required?: string[] };
}
export interface ElicitResult {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

/** Extra facts for the ok row a change commits with. */
export interface AuditRowExtra {
  rowsAffected?: number;
  details?: Record<string, unknown>;
}

/**
 * Runs `work`, which commits a change together with this call's ok row: it appends `row()` inside the change's
 * own transaction (or, with --audit-db, just before that transaction commits). When `work` resolves — and
 * `committed(result)` agrees, for work that may also end without committing (a dry run) — the row is in, and the
 * registry writes no second one; when it throws, nothing was committed and the registry records the error. One
 * step, so a change can never be committed without the registry knowing.
 */
export type CommitWithAudit = <T>(
  work: (row: (extra?: AuditRowExtra) => AuditEntry) => Promise<T>,
  committed?: (result: T) => boolean,
) => Promise<T>;

export interface CallContext<S = Services> {
  /** The services, or the part of them a procedure needs (tests hand in just that). */
  services: S;
  signal: AbortSignal;
  /** "name/version" of the MCP client, or "cli/<version>". */
  client: string;
  /** A progress notification, sent only when the client asked for progress. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** Ask the human directly (MCP elicitation); undefined when the client did not declare it can. */
  elicit: ((request: ElicitRequest, options?: { signal?: AbortSignal }) => Promise<ElicitResult>) | undefined;
  /** The client renders MCP Apps (it declared io.modelcontextprotocol/ui): a plan can be shown in its card. */
  rendersApps: boolean;
  /** This call may open the local review page in the person's browser (an MCP session, not a script). */
  reviewPage: boolean;
  /** Names what the call acted on, for the audit row (e.g. "table", "users"). */
  setTarget(type: string, id: string): void;
  /** Facts worth keeping in the audit row beyond the arguments (e.g. the consent decision). */
  addAuditDetails(details: Record<string, unknown>): void;
  /** For procedures that change the database: the audit row that must commit with the change. */
  commitWithAudit: CommitWithAudit;
}

/** Sends a progress notification without letting a failing transport affect the work. */
export function notifyProgress(
  context: Pick<CallContext<unknown>, 'progress'>,
  progress: number,
  total: number,
  message: string,
): void {
  context.progress(progress, total, message).catch(() => undefined);
}
