// How a raw statement and its bound values are recorded in an audit row (execute_sql, run_query): the effective
// statement (sql/effective-text.ts — no comment or padding can push what it does past a cut), a fingerprint of the
// text as sent when that differs, and every bound value under its placeholder, redacted only when the column it
// feeds is a secret by name. The names a caller gives its placeholders decide nothing: `:token` is just a label.
import { createHash } from 'node:crypto';
import { effectiveStatement } from '../sql/effective-text.js';
import { placeholders, type Placeholder } from '../sql/placeholders.js';
import { isSecretName } from './secrets.js';

const REDACTED = '[redacted]';

/** [placeholder (and the column it feeds), value] pairs: a list, so no caller-chosen name becomes a key. */
function boundValues(sql: string, params: unknown): Array<[string, unknown]> {
  const byKey = new Map<number | string, Placeholder>();
  for (const placeholder of placeholders(sql)) byKey.set(placeholder.key, placeholder);
  const entries: Array<[number | string, unknown]> = Array.isArray(params)
    ? params.map((value, index) => [index, value])
    : typeof params === 'object' && params !== null
      ? Object.entries(params)
      : [];
  return entries.map(([key, value]) => {
    const placeholder = byKey.get(key);
    const label = placeholder?.text ?? (typeof key === 'number' ? `?${key + 1}` : `:${key}`);
    const column = placeholder?.column;
    return [
      column === undefined ? label : `${label} → ${column}`,
      column !== undefined && isSecretName(column) ? REDACTED : value,
    ];
  });
}

export function auditedStatement(sql: string, params?: unknown): Record<string, unknown> {
  const statement = effectiveStatement(sql);
  return {
    statement,
    ...(statement !== sql.trim()
      ? { sent: { length: sql.length, sha256: createHash('sha256').update(sql).digest('hex') } }
      : {}),
    ...(params !== undefined && params !== null ? { params: boundValues(sql, params) } : {}),
  };
}
