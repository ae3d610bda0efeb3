// The migration history: every migration the folder or the ledger knows, in the order drizzle-kit runs them, with
// its state (applied, pending, modified, skipped, missing), when it ran, and its SQL. Structurally fed by
// migration status entries plus each file's SQL, so the live status can be passed as it is.
import { formatCount, html, type Html } from './html.js';
import { highlightSql } from './sql-highlight.js';

export type MigrationState = 'applied' | 'pending' | 'modified' | 'skipped' | 'missing';

export interface MigrationHistoryEntry {
  state: MigrationState;
  tag?: string;
  /** The journal's `when` (ms since the epoch). */
  when: number;
  hash: string;
  /** When the ledger says it ran. */
  appliedCreatedAt?: number;
  note?: string;
  /** The file's statements; absent for `missing` (the folder no longer has the file). */
  statements?: string[];
}

export interface MigrationHistoryInput {
  entries: MigrationHistoryEntry[];
  /** Where the migrations live, as the person knows it (e.g. "drizzle/"). */
  folder?: string;
  problems?: string[];
}

const STATE_BADGE: Record<MigrationState, string> = {
  applied: 'ok',
  pending: 'info',
  modified: 'danger',
  skipped: 'warn',
  missing: 'danger',
};

export function renderMigrationHistory(input: MigrationHistoryInput): Html {
  const counts = new Map<MigrationState, number>();
  for (const entry of input.entries) counts.set(entry.state, (counts.get(entry.state) ?? 0) + 1);
  return html`<section class="migrations">
    <div class="header">
      <div>
        <h1>Migration history</h1>
        <p class="muted">
          ${formatCount(input.entries.length)}
          migrations${input.folder ? html` in <code>${input.folder}</code>` : ''}
        </p>
      </div>
    </div>
    <div class="stats">
      ${(['applied', 'pending', 'modified', 'skipped', 'missing'] as const)
        .filter((state) => counts.has(state) || state === 'applied' || state === 'pending')
        .map(
          (state) =>
            html`<div class="stat${state === 'modified' || state === 'missing' ? ' danger' : ''}">
              <b>${formatCount(counts.get(state) ?? 0)}</b><span>${state}</span>
            </div>`,
        )}
    </div>
    ${
      input.problems && input.problems.length > 0
        ? html`<ul class="reasons">
            ${input.problems.map((p) => html`<li>${p}</li>`)}
          </ul>`
        : ''
    }
    ${
      input.entries.length === 0
        ? html`<p class="empty">No migrations yet.</p>`
        : html`<h2>Migrations, in the order they run</h2>
            ${input.entries.map(entry)}`
    }
  </section>`;
}

function entry(e: MigrationHistoryEntry, index: number): Html {
  const ran = e.appliedCreatedAt ?? (e.state === 'applied' ? e.when : undefined);
  return html`<details
    class="migration"
    data-state="${e.state}"
    ${e.state === 'pending' || e.state === 'modified' ? ' open' : ''}
  >
    <summary>
      <span class="badge ${STATE_BADGE[e.state]}">${e.state}</span>
      <code>${e.tag ?? `ledger row ${index + 1}`}</code>
      <span class="muted small">
        ·
        ${e.statements ? `${formatCount(e.statements.length)} statements · ` : ''}${ran !== undefined ? html`ran ${dateOf(ran)}` : html`created ${dateOf(e.when)}`}
        · <span class="mono">${e.hash.slice(0, 12)}</span></span
      >
    </summary>
    ${e.note ? html`<p class="small">${e.note}</p>` : ''}
    ${
      e.statements
        ? html`<div class="step">
            ${e.statements.map(
              (sql, i) =>
                html`<div class="stmt">
                  <div class="n">${i + 1}</div>
                  <pre>${highlightSql(sql)}</pre>
                </div>`,
            )}
          </div>`
        : html`<p class="small muted">The folder no longer has this migration's file.</p>`
    }
  </details>`;
}

function dateOf(ms: number): Html {
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}
