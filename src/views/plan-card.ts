// The plan review card: what a person reads before approving. Invariant: it shows every statement that will run,
// in full and in order (never a prefix an attacker could pad), with the risky ones marked on the statement itself,
// and the hash the approval will be bound to. Built from the plan alone, so the App card and the review page show
// the same thing.
import {
  shortHash,
  statementCount,
  type Plan,
  type PlanCell,
  type RowChangeSample,
  type RowDelta,
} from '../consent/plan.js';
import { formatCount, html, type Html } from './html.js';
import { highlightSql } from './sql-highlight.js';

export type PlanCardState = 'waiting' | 'approved' | 'declined' | 'expired' | 'used';

export interface PlanCardInput {
  plan: Plan;
  state: PlanCardState;
  /** ISO time at which the current state ends by itself. */
  expiresAt: string;
}

const KIND_LABEL: Record<Plan['kind'], string> = {
  apply_migrations: 'Migration',
  write: 'Data change',
  restore: 'Restore',
  schema_edit: 'Schema edit',
};

const STATE_TEXT: Record<Exclude<PlanCardState, 'waiting'>, [string, string]> = {
  approved: ['ok', 'Approved — the assistant can now carry out this plan once.'],
  used: ['ok', 'Approved and carried out.'],
  declined: ['danger', 'Declined — nothing was changed.'],
  expired: [
    'info',
    'This plan expired without being used; nothing was changed. The assistant can ask again.',
  ],
};

export function renderPlanCard({ plan, state, expiresAt }: PlanCardInput): Html {
  const risky = plan.steps.flatMap((step) => step.statements).filter((s) => s.risk === 'data_loss').length;
  const lost = plan.effects.rowDeltas.reduce(
    (sum, d) => sum + Math.max(0, (d.before ?? 0) - (d.after ?? 0)),
    0,
  );
  const changed = plan.effects.rowDeltas.reduce((sum, d) => sum + (d.changed ?? 0), 0);
  const statements = statementCount(plan);
  return html`<article class="plan" data-plan-id="${plan.id}">
    <div class="header">
      <div>
        <span class="badge ${risky > 0 ? 'danger' : 'warn'}"
          >${KIND_LABEL[plan.kind]} · ${state === 'waiting' ? 'needs your approval' : state}</span
        >
        <h1>${plan.title}</h1>
      </div>
      <div class="meta">
        <code>${plan.id}</code><br />${state === 'waiting' ? html`expires ${timeOf(expiresAt)}` : ''}
      </div>
    </div>
    <ul class="reasons">
      ${plan.reasons.map((r) => html`<li class="${r.code}">${r.message}</li>`)}
    </ul>
    <div class="stats">
      ${stat(formatCount(statements), statements === 1 ? 'statement' : 'statements')}
      ${stat(formatCount(risky), 'destroy data', risky > 0)}
      ${stat(formatCount(lost), lost === 1 ? 'row removed' : 'rows removed', lost > 0)}
      ${changed > 0 ? stat(formatCount(changed), 'rows changed', true) : ''}
      ${stat(formatCount(plan.effects.schemaChanges.length), 'schema changes')}
    </div>
    ${section('What will run', plan.steps.length === 0 ? html`<p class="empty">Nothing to run.</p>` : renderSteps(plan))}
    ${plan.effects.rowDeltas.length > 0 ? section('Rows per table (from the rehearsal on a copy)', rowDeltaTable(plan.effects.rowDeltas)) : ''}
    ${plan.effects.rowChanges.length > 0 ? section('Rows that would change', plan.effects.rowChanges.map(rowChangeTable)) : ''}
    ${plan.effects.schemaChanges.length > 0 ? section('Schema changes', schemaChanges(plan)) : ''}
    ${plan.effects.findings.length > 0 ? section('Findings', findings(plan)) : ''}
    <details class="binding">
      <summary>What this approval is bound to</summary>
      <p class="small">
        The plan is carried out only if all of this is still true when the assistant applies it; otherwise you
        are asked again.
      </p>
      <pre class="details">${JSON.stringify(plan.binding, null, 2)}</pre>
      <p class="small">Full plan hash: <code>${plan.hash}</code></p>
    </details>
    ${decisionBar(plan, state)}
  </article>`;
}

function stat(value: string, label: string, danger = false): Html {
  return html`<div class="stat${danger ? ' danger' : ''}"><b>${value}</b><span>${label}</span></div>`;
}

function section(title: string, body: Html | Html[]): Html {
  return html`<section>
    <h2>${title}</h2>
    ${body}
  </section>`;
}

function renderSteps(plan: Plan): Html {
  let n = 0;
  return html`${plan.steps.map(
    (step) =>
      html`<div class="step">
        <div class="step-title">${step.label}</div>
        ${step.statements.map((statement) => {
          n += 1;
          const why =
            statement.risk === 'data_loss'
              ? `Destroys data${statement.note ? `: ${statement.note}` : ''}`
              : statement.risk === 'data_change'
                ? `Changes existing rows${statement.note ? `: ${statement.note}` : ''}`
                : statement.note;
          return html`<div class="stmt${statement.risk ? ` ${statement.risk}` : ''}">
            <div class="n">${n}</div>
            <pre>${highlightSql(statement.sql)}</pre>
            ${statement.params ? html`<div class="params">with values <code>${statement.params}</code></div>` : ''}
            ${why ? html`<div class="why">${statement.risk ? '⚠ ' : ''}${why}</div>` : ''}
          </div>`;
        })}
      </div>`,
  )}`;
}

function rowDeltaTable(deltas: RowDelta[]): Html {
  const show = (n: number | null) => (n === null ? html`<span class="muted">—</span>` : formatCount(n));
  const rewrites = deltas.some((d) => d.changed !== undefined);
  return html`<table class="grid compact">
    <thead>
      <tr>
        <th>Table</th>
        <th class="num">Before</th>
        <th class="num">After</th>
        <th class="num">Change</th>
        ${rewrites ? html`<th class="num">Rows rewritten</th>` : ''}
      </tr>
    </thead>
    <tbody>
      ${deltas.map((d) => {
        const diff = (d.after ?? 0) - (d.before ?? 0);
        const change =
          d.before === null
            ? 'created'
            : d.after === null
              ? `dropped (${formatCount(d.before)} rows)`
              : diff === 0
                ? '0'
                : `${diff > 0 ? '+' : '−'}${formatCount(Math.abs(diff))}`;
        const cls = d.after === null || diff < 0 ? 'down' : diff > 0 || d.before === null ? 'up' : '';
        return html`<tr>
          <td><code>${d.table}</code></td>
          <td class="num">${show(d.before)}</td>
          <td class="num">${show(d.after)}</td>
          <td class="num ${cls}">${change}</td>
          ${rewrites ? html`<td class="num${d.changed ? ' changed' : ''}">${d.changed === undefined ? html`<span class="muted">—</span>` : formatCount(d.changed)}</td>` : ''}
        </tr>`;
      })}
    </tbody>
  </table>`;
}

function cell(value: PlanCell | undefined): Html {
  if (value === null || value === undefined) return html`<span class="cell-null">NULL</span>`;
  return html`${String(value)}`;
}

const ROW_OP_BADGE = {
  delete: ['danger', 'deleted'],
  insert: ['ok', 'inserted'],
  update: ['warn', 'after'],
} as const;

function rowChangeTable(sample: RowChangeSample): Html {
  const shown = sample.rows.length;
  return html`<p>
      <code>${sample.table}</code> — ${formatCount(sample.total)}
      ${sample.total === 1 ? 'row' : 'rows'}${shown < sample.total ? html` <span class="muted">(first ${formatCount(shown)} shown)</span>` : ''}
    </p>
    <div class="scroll-x">
      <table class="grid">
        <thead>
          <tr>
            <th></th>
            ${sample.columns.map((c) => html`<th>${c}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${sample.rows.map((row) => {
            // An update shown both ways when the rehearsal knew the old values; else (RETURNING) as it will be.
            if (row.op === 'update' && row.before) {
              return html`<tr class="op-update">
                  <td><span class="badge warn">before</span></td>
                  ${sample.columns.map((_, i) => html`<td>${cell(row.before?.[i])}</td>`)}
                </tr>
                <tr class="op-update">
                  <td><span class="badge warn">after</span></td>
                  ${sample.columns.map((_, i) => {
                    const changedCell = row.before?.[i] !== row.after?.[i];
                    return html`<td>
                      ${changedCell ? html`<b>${cell(row.after?.[i])}</b>` : cell(row.after?.[i])}
                    </td>`;
                  })}
                </tr>`;
            }
            const values = row.op === 'delete' ? row.before : row.after;
            const [badge, label] = ROW_OP_BADGE[row.op];
            return html`<tr class="op-${row.op}">
              <td>
                <span class="badge ${badge}">${label}</span>
              </td>
              ${sample.columns.map((_, i) => html`<td>${cell(values?.[i])}</td>`)}
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
}

const SIGN = { create: '+', drop: '−', alter: '~', rename: '→' } as const;

function schemaChanges(plan: Plan): Html {
  return html`<ul class="changes">
    ${plan.effects.schemaChanges.map(
      (c) =>
        html`<li class="${c.action}">
          <span class="sign">${SIGN[c.action]}</span>${c.action} ${c.object}
          <b>${c.name}</b>${c.detail ? html` <span class="muted">${c.detail}</span>` : ''}
        </li>`,
    )}
  </ul>`;
}

const SEVERITY_BADGE = { error: 'danger', warning: 'warn', info: 'info' } as const;

function findings(plan: Plan): Html {
  return html`<ul class="findings">
    ${plan.effects.findings.map(
      (f) =>
        html`<li>
          <span class="badge ${SEVERITY_BADGE[f.severity]}">${f.severity} ${f.code}</span>
          ${f.message}${f.fix ? html`<div class="fix">${f.fix}</div>` : ''}
        </li>`,
    )}
  </ul>`;
}

function decisionBar(plan: Plan, state: PlanCardState): Html {
  const destroys = plan.steps.some((step) => step.statements.some((s) => s.risk === 'data_loss'));
  if (state !== 'waiting') {
    const [cls, text] = STATE_TEXT[state];
    return html`<div class="status ${cls}" data-role="outcome">${text}</div>`;
  }
  return html`<div class="decision" data-role="decision">
    <span class="hash">hash ${shortHash(plan.hash)}</span><span class="spacer"></span>
    <span class="small muted" data-role="decision-note"></span>
    ${decideButton(plan, 'decline', 'decline', 'Decline')}
    ${decideButton(plan, 'approve', `approve${destroys ? '' : ' safe'}`, destroys ? 'Approve — destroy data' : 'Approve')}
  </div>`;
}

/** UTC as written; the page's script shows it in the person's own time zone. */
export function decideButton(plan: Plan, decision: 'approve' | 'decline', cls: string, label: string): Html {
  return html`<button
    type="button"
    class="${cls}"
    data-action="decide"
    data-decision="${decision}"
    data-plan-id="${plan.id}"
    data-plan-hash="${plan.hash}"
  >
    ${label}
  </button>`;
}

function timeOf(iso: string): Html {
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}
