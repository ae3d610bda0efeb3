// How a call's outcome becomes the CallToolResult a client receives: an error as one text block (message, what
// to do, the stable code), a result as structuredContent plus one text block whose content depends on whether it
// carries database rows (see toCallToolResult).
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Config } from '../core/config.js';
import type { AppError } from '../core/errors.js';
import { fenceText, SQLITE_QUOTES_NOTICE, untrustedFence } from '../core/untrusted.js';
import type { CallOutcome } from '../tools/registry.js';

/**
 * The text a model reads for a failed call: what went wrong, what to do, and the stable code. When the message
 * quotes SQLite (which quotes the database: names, a trigger's RAISE text, a view's SQL), the message and details
 * go inside the untrusted fence with a per-call boundary; the hint and the code are ours and stay outside.
 */
export function errorText(error: AppError): string {
  const told = [error.message];
  if (error.details && Object.keys(error.details).length)
    told.push(`Details: ${JSON.stringify(error.details)}`);
  const parts = error.untrusted
    ? [fenceText(untrustedFence().boundary, told.join('\n')), SQLITE_QUOTES_NOTICE]
    : told;
  if (error.hint) parts.push(`What to do: ${error.hint}`);
  parts.push(`(error code: ${error.code})`);
  return parts.join('\n');
}

/**
 * What a client that reads only `content` gets. Claude Code, VS Code and Cursor hand `structuredContent` to the
 * model when a tool declares an output schema and ignore the text, so repeating a result's rows there doubled
 * every answer for nothing. In `summary` mode a result that carries rows keeps its text to counts and hints (no
 * database data, hence no fence); `full` repeats the whole result, fenced with the call's boundary so no client
 * sees rows outside the untrusted fence. Results without database data are small and always repeated in full.
 */
export function toCallToolResult(outcome: CallOutcome, textCopy: Config['textCopy']): CallToolResult {
  if (!outcome.ok) {
    if (outcome.error.code === 'NEEDS_HUMAN') return needsHuman(outcome.error);
    return { isError: true, content: [{ type: 'text', text: errorText(outcome.error) }] };
  }
  const meta = outcome.meta ? { _meta: outcome.meta } : {};
  const boundary = (outcome.data.untrusted as { boundary?: unknown } | undefined)?.boundary;
  if (typeof boundary !== 'string')
    return {
      content: [{ type: 'text', text: JSON.stringify(outcome.data) }],
      structuredContent: outcome.data,
      ...meta,
    };
  // Only a query's rows (columns + rows, or RETURNING) have a summary without database data, and only those tools
  // declare an output schema (tools/listing.ts); any other fenced result (a schema, the audit log's rows, a dry run
  // quoting SQLite) is repeated whole, inside the fence.
  const hasRows = 'columns' in outcome.data || 'returning' in outcome.data;
  const text =
    textCopy === 'full' || !hasRows
      ? fenceText(boundary, JSON.stringify(outcome.data))
      : JSON.stringify({ ...summarizeRows(outcome.data), note: SUMMARY_NOTE });
  return { content: [{ type: 'text', text }], structuredContent: outcome.data, ...meta };
}

/**
 * A plan waiting for a person in a review card or on the review page: a result, not an error, so that a host
 * renders the tool's card from it (the card reads `planId` from this text). Nothing was done; the audit row says
 * so (refused, NEEDS_HUMAN).
 */
function needsHuman(error: AppError): CallToolResult {
  const data = {
    status: 'needs_human',
    ...(error.details ?? {}),
    message: error.message,
    ...(error.hint ? { next: error.hint } : {}),
  };
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

const SUMMARY_NOTE =
  'The rows are in structuredContent only. A client that shows only this text needs the server started with --text-copy full.';

/** The result with its database data (row values, column names) replaced by counts. */
function summarizeRows(data: Record<string, unknown>): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key === 'untrusted') continue;
    if ((key === 'rows' || key === 'columns') && Array.isArray(value)) summary[key] = value.length;
    else if (key === 'returning' && value !== null && typeof value === 'object')
      summary[key] = summarizeRows(value as Record<string, unknown>);
    else summary[key] = value;
  }
  return summary;
}
