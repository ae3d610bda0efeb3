// The audit trail as a person reads it: newest call first, what each did (tool, outcome, target, rows, how consent
// was given), whether the hash chain verifies, and filters that work in the page without another request.
// Structurally fed by the audit log's rows and its chain verification.
import { formatCount, html, type Html } from './html.js';

export interface AuditTrailRow {
  id: number;
  createdAt: string;
  tool: string;
  outcome: 'ok' | 'error' | 'refused';
  errorCode: string | null;
  durationMs: number;
  client: string | null;
  targetType: string | null;
  targetId: string | null;
  /** Redacted JSON text, as stored. */
  details: string | null;
  rowsAffected: number | null;
}

export interface AuditTrailInput {
  rows: AuditTrailRow[];
  /** Where the rows live ("audit_log in data/app.db"). */
  source?: string;
  verification?: { ok: boolean; checkedRows: number; firstBroken?: { id: number; reason: string } };
  /** More rows exist than are shown. */
  truncated?: boolean;
}

const OUTCOME_BADGE = { ok: 'ok', error: 'warn', refused: 'danger' } as const;

export function renderAuditTrail(input: AuditTrailInput): Html {
  const tools = [...new Set(input.rows.map((r) => r.tool))].sort();
  return html`<section class="audit" data-filter-scope>
    <div class="header">
      <div>
        <h1>Audit trail</h1>
        <p class="muted">
          ${formatCount(input.rows.length)} calls
          shown${input.truncated ? ' (newest first; older ones not shown)' : ''}${input.source ? html` · <code>${input.source}</code>` : ''}
        </p>
      </div>
    </div>
    ${chain(input.verification)}
    <div class="filters">
      <select data-filter="tool" aria-label="Tool">
        <option value="">All tools</option>
        ${tools.map((t) => html`<option value="${t}">${t}</option>`)}
      </select>
      <select data-filter="outcome" aria-label="Outcome">
        <option value="">All outcomes</option>
        <option value="ok">ok</option>
        <option value="error">error</option>
        <option value="refused">refused</option>
      </select>
      <input
        type="search"
        data-filter="text"
        placeholder="Search target, error, details…"
        aria-label="Search"
      />
      <span class="small muted" data-role="filter-count"></span>
    </div>
    ${
      input.rows.length === 0
        ? html`<p class="empty">No calls recorded yet.</p>`
        : html`<table class="grid">
            <thead>
              <tr>
                <th class="num">#</th>
                <th>When</th>
                <th>Tool</th>
                <th>Outcome</th>
                <th>Target</th>
                <th class="num">Rows</th>
                <th>Consent</th>
                <th class="num">ms</th>
              </tr>
            </thead>
            <tbody>
              ${input.rows.map(row)}
            </tbody>
          </table>`
    }
  </section>`;
}

function chain(v: AuditTrailInput['verification']): Html {
  if (!v) return html`<div class="chain unknown">Chain not verified in this view.</div>`;
  if (v.ok)
    return html`<div class="chain ok">
      ✓ Hash chain verified: ${formatCount(v.checkedRows)} rows, no edit, insertion or deletion found.
    </div>`;
  return html`<div class="chain broken">
    ✗ Hash chain broken at row ${v.firstBroken?.id ?? '?'}: ${v.firstBroken?.reason ?? 'unknown reason'}. Rows
    from there on may have been edited outside the server.
  </div>`;
}

/** How the call's consent went, as a badge: who approved and how, or why nothing was approved. */
function consentOf(details: unknown): { text: string; tone: 'ok' | 'info' | 'danger' } | undefined {
  if (!details || typeof details !== 'object') return undefined;
  const consent = (details as { consent?: unknown }).consent;
  if (!consent || typeof consent !== 'object') return undefined;
  const c = consent as { channel?: unknown; decision?: unknown; answer?: unknown };
  const via = typeof c.channel === 'string' ? c.channel.replace('_', ' ') : undefined;
  switch (c.decision) {
    case 'approve':
      return c.channel === 'launch_option'
        ? { text: 'operator at launch', tone: 'info' }
        : { text: `approved via ${via}`, tone: 'ok' };
    case 'decline':
      return {
        text: c.answer === 'timeout' ? `unanswered (${via})` : `declined via ${via}`,
        tone: 'danger',
      };
    case 'pending':
      return { text: `waiting in ${via}`, tone: 'info' };
    case 'unavailable':
      return { text: 'nobody could be asked', tone: 'danger' };
    default:
      return undefined;
  }
}

function row(r: AuditTrailRow): Html {
  let parsed: unknown;
  try {
    parsed = r.details === null ? undefined : JSON.parse(r.details);
  } catch {
    parsed = r.details;
  }
  const consent = consentOf(parsed);
  const target =
    r.targetType || r.targetId ? `${r.targetType ?? ''}${r.targetId ? ` ${r.targetId}` : ''}` : '';
  return html`<tr data-row data-tool="${r.tool}" data-outcome="${r.outcome}">
    <td class="num mono">${r.id}</td>
    <td class="small">
      <time datetime="${r.createdAt}">${r.createdAt.slice(0, 19).replace('T', ' ')} UTC</time>
    </td>
    <td><code>${r.tool}</code>${r.client ? html`<div class="small muted">${r.client}</div>` : ''}</td>
    <td>
      <span class="badge ${OUTCOME_BADGE[r.outcome]}">${r.outcome}</span
      >${r.errorCode ? html`<div class="small muted mono">${r.errorCode}</div>` : ''}
    </td>
    <td>
      ${target ? html`<code>${target}</code>` : html`<span class="muted">—</span>`}${r.details ? detailsCell(parsed) : ''}
    </td>
    <td class="num">
      ${r.rowsAffected === null ? html`<span class="muted">—</span>` : formatCount(r.rowsAffected)}
    </td>
    <td>${consent ? html`<span class="badge ${consent.tone}">${consent.text}</span>` : ''}</td>
    <td class="num small muted">${formatCount(r.durationMs)}</td>
  </tr>`;
}

const PREVIEW_CHARS = 96;

/** One line of what the call was given, expandable to the whole stored JSON. */
function detailsCell(parsed: unknown): Html {
  const full = typeof parsed === 'string' ? parsed : JSON.stringify(parsed, null, 2);
  const line = typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
  const preview = line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line;
  return html`<details class="inline">
    <summary class="small mono preview">${preview}</summary>
    <pre class="details">${full}</pre>
  </details>`;
}
