// One audit row: what a call records (AuditEntry), what the table holds (AuditRow, with its id and hash chain),
// and how a person reads it. Plain data shared by the audit log and the readers of other copies of it.
import type { Outcome } from '../core/errors.js';

export interface AuditEntry {
  /** ISO-8601 UTC with milliseconds. */
  createdAt: string;
  tool: string;
  outcome: Outcome;
  errorCode?: string | null;
  durationMs: number;
  /** "name/version" from the MCP initialize, or "cli/<version>" for scripted calls. */
  client?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  /** Already-redacted JSON text (see buildAuditDetails). */
  details?: string | null;
  rowsAffected?: number | null;
}

export interface AuditRow extends Required<{ [K in keyof AuditEntry]: Exclude<AuditEntry[K], undefined> }> {
  id: number;
  prevHash: string;
  hash: string;
}

export interface RawAuditRow {
  id: number;
  created_at: string;
  tool: string;
  outcome: Outcome;
  error_code: string | null;
  duration_ms: number;
  client: string | null;
  target_type: string | null;
  target_id: string | null;
  details: string | null;
  rows_affected: number | null;
  prev_hash: string;
  hash: string;
}

export function fromRawAuditRow(raw: RawAuditRow): AuditRow {
  return {
    id: raw.id,
    createdAt: raw.created_at,
    tool: raw.tool,
    outcome: raw.outcome,
    errorCode: raw.error_code,
    durationMs: raw.duration_ms,
    client: raw.client,
    targetType: raw.target_type,
    targetId: raw.target_id,
    details: raw.details,
    rowsAffected: raw.rows_affected,
    prevHash: raw.prev_hash,
    hash: raw.hash,
  };
}

/** How a person reads one audit row: "#12 apply_migrations (migration:0001_x) at 2025-… by client/1". */
export function describeAuditRow(row: AuditRow): string {
  const target = row.targetType ? ` (${row.targetType}:${row.targetId ?? ''})` : '';
  return `#${row.id} ${row.tool}${target} at ${row.createdAt}${row.client ? ` by ${row.client}` : ''}`;
}
