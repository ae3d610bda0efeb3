// The one way an audit row is put together for a call: a tool call through the registry, the server's own
// migration at start-up, or a test driving a procedure. Built while the call runs, turned into an AuditEntry
// when its outcome is known (the entry's duration is measured up to that moment).
import { performance } from 'node:perf_hooks';
import type { Outcome } from '../core/errors.js';
import { buildAuditDetails } from './audit-log.js';
import type { AuditEntry } from './entry.js';

/**
 * What one call will write to the audit log, gathered while it runs: when it started, what it acted on, facts
 * the tool added, and whether the tool already committed its ok row together with its change.
 */
export class CallRecord {
  private readonly started = performance.now();
  private readonly createdAt = new Date().toISOString();
  private target: { type: string; id: string | undefined } | undefined;
  private details: Record<string, unknown> | undefined;
  /** Set once the tool's change and its ok row committed: the registry must not write a second row. */
  committed = false;

  constructor(
    private readonly tool: string,
    private readonly client: string,
    /** The call's arguments, recorded (redacted, bounded) in the row's details. */
    private args?: unknown,
  ) {}

  /** Records the arguments in this form instead (a tool's own view of them, see ToolDefinition.auditArguments). */
  recordArguments(args: unknown): void {
    this.args = args;
  }

  /** What the call acted on (e.g. "table", "users"); the id may be unknown yet (a failed start-up migration). */
  setTarget(type: string, id?: string): void {
    this.target = { type, id };
  }

  addDetails(details: Record<string, unknown>): void {
    this.details = { ...this.details, ...details };
  }

  entry(
    outcome: Outcome,
    extra: { errorCode?: string; rowsAffected?: number; details?: Record<string, unknown> } = {},
  ): AuditEntry {
    const details = { ...this.details, ...extra.details };
    return {
      createdAt: this.createdAt,
      tool: this.tool,
      outcome,
      errorCode: extra.errorCode ?? null,
      durationMs: performance.now() - this.started,
      client: this.client,
      targetType: this.target?.type ?? null,
      targetId: this.target?.id ?? null,
      details: buildAuditDetails(
        Object.keys(details).length ? { arguments: this.args, ...details } : (this.args ?? {}),
      ),
      rowsAffected: extra.rowsAffected ?? null,
    };
  }
}
