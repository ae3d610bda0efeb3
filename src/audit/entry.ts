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

/** One audit row as a model (or a person attaching context) reads it: short keys, empty fields left out. */
export interface CompactAuditRow {
  id: number;
  at: string;
  tool: string;
  outcome: Outcome;
  errorCode?: string;
  ms: number;
  client?: string;
  /** "type:id". */
  target?: string;
  rowsAffected?: number;
  /** The recorded details, parsed (kept as text when they are not JSON). */
  details?: unknown;
}

export function compactAuditRow(row: AuditRow): CompactAuditRow {
  let details: unknown;
  if (row.details !== null) {
    try {
      details = JSON.parse(row.details);
    } catch {
      details = row.details;
    }
  }
  return {
    id: row.id,
    at: row.createdAt,
    tool: row.tool,
    outcome: row.outcome,
    ...(row.errorCode !== null ? { errorCode: row.errorCode } : {}),
    ms: row.durationMs,
    ...(row.client !== null ? { client: row.client } : {}),
    ...(row.targetType !== null ? { target: `${row.targetType}:${row.targetId ?? ''}` } : {}),
    ...(row.rowsAffected !== null ? { rowsAffected: row.rowsAffected } : {}),
    ...(details !== undefined ? { details } : {}),
  };
}
