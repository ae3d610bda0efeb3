import { describe, expect, it } from 'vitest';
import { createPlan } from '../../src/consent/plan.js';
import { APP_VIEWS, clientRendersApps, toolUiMeta } from '../../src/views/app-meta.js';
import { renderAuditTrail, type AuditTrailRow } from '../../src/views/audit-trail.js';
import { renderErDiagram, type ErTable } from '../../src/views/er-diagram.js';
import { escapeHtml, html } from '../../src/views/html.js';
import { renderMigrationHistory } from '../../src/views/migration-history.js';
import { renderPlanCard } from '../../src/views/plan-card.js';
import { renderAppShell, renderReviewShell } from '../../src/views/shell.js';
import { highlightSql } from '../../src/views/sql-highlight.js';
import { samplePlan } from '../helpers/plans.js';

const EVIL = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`;
const noRawMarkup = (text: string) => {
  expect(text).not.toContain('<script>alert');
  expect(text).not.toContain('<img');
};

describe('html', () => {
  it('escapes every interpolated value and only those', () => {
    expect(escapeHtml(EVIL)).toBe(
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;',
    );
    expect(html`<b title="${EVIL}">${EVIL}</b>`.text).toBe(
      `<b title="${escapeHtml(EVIL)}">${escapeHtml(EVIL)}</b>`,
    );
    expect(html`<p>${html`<i>${'a<b'}</i>`}${[1, 'x&', null, false, undefined]}</p>`.text).toBe(
      '<p><i>a&lt;b</i>1x&amp;</p>',
    );
  });
});

describe('SQL highlighting', () => {
  it('marks keywords, names, strings, numbers, comments and the words that destroy data, escaping all', () => {
    const out = highlightSql("DELETE FROM `users` -- old <rows>\nWHERE name = '<b>' AND id > 3;").text;
    expect(out).toContain('<span class="sql-danger">DELETE</span>');
    expect(out).toContain('<span class="sql-kw">FROM</span>');
    expect(out).toContain('<span class="sql-name">`users`</span>');
    expect(out).toContain('<span class="sql-comment"> -- old &lt;rows&gt;\n</span>');
    expect(out).toContain('<span class="sql-str">&#39;&lt;b&gt;&#39;</span>');
    expect(out).toContain('<span class="sql-num">3</span>');
    // Nothing is lost: the text content is the SQL itself.
    expect(
      out
        .replace(/<[^>]+>/g, '')
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
        .replaceAll('&#39;', "'"),
    ).toBe("DELETE FROM `users` -- old <rows>\nWHERE name = '<b>' AND id > 3;");
  });

  it('shows SQL it cannot tokenize as escaped text', () => {
    expect(highlightSql("SELECT 'unterminated <x>").text).toContain('&lt;x&gt;');
  });
});

describe('plan card', () => {
  it('shows every statement whole, however long, and escapes what the model or the data put in the plan', () => {
    const long = `UPDATE users SET bio = '${'x'.repeat(5000)}' WHERE id = 1; DROP TABLE users;`;
    const content = samplePlan({
      title: `Apply ${EVIL}`,
      reasons: [{ code: 'data_change', message: EVIL }],
      steps: [{ label: EVIL, statements: [{ sql: long, risk: 'data_change', note: EVIL }] }],
      binding: { arguments: { sql: EVIL } },
    });
    content.effects.rowChanges = [
      {
        table: EVIL,
        columns: ['id', EVIL],
        rows: [{ op: 'update', before: [1, EVIL], after: [1, null] }],
        total: 40,
      },
    ];
    const plan = createPlan(content, 'plan_test', new Date(0));
    const out = renderPlanCard({ plan, state: 'waiting', expiresAt: '2026-11-01T10:10:00.000Z' }).text;
    noRawMarkup(out);
    expect(out).toContain('x'.repeat(5000));
    expect(out).toContain('<span class="sql-danger">DROP</span>');
    expect(out).toContain(`data-plan-hash="${plan.hash}"`);
    expect(out).toContain('first 1 shown');
    expect(out).toContain('<span class="cell-null">NULL</span>');
  });

  it('offers the decision only while the plan waits, and says how it ended otherwise', () => {
    const plan = createPlan(samplePlan(), 'plan_test', new Date(0));
    const at = (state: 'waiting' | 'approved' | 'declined' | 'expired' | 'used') =>
      renderPlanCard({ plan, state, expiresAt: '2026-11-01T10:10:00.000Z' }).text;
    expect(at('waiting')).toContain('Approve — destroy data');
    for (const state of ['approved', 'declined', 'expired', 'used'] as const)
      expect(at(state)).not.toContain('data-action="decide"');
    expect(at('declined')).toContain('nothing was changed');
  });
});

describe('ER diagram', () => {
  const table = (
    name: string,
    fks: Array<[string, string]> = [],
    columns = ['id', 'parent_id'],
  ): ErTable => ({
    name,
    columns: columns.map((c, i) => ({
      name: c,
      type: 'integer',
      notNull: i === 0,
      ...(i === 0 ? { primaryKey: 1 } : {}),
    })),
    foreignKeys: fks.map(([column, parent]) => ({ columns: [column], table: parent, to: ['id'] })),
  });

  it('draws one curve per foreign key, including self-references and cycles, and escapes names', () => {
    const out = renderErDiagram({
      tables: [
        table('a', [['parent_id', 'b']]),
        table('b', [['parent_id', 'a']]),
        table('tree', [['parent_id', 'tree']]),
        table(EVIL, [['parent_id', 'a']]),
        table('lonely', [], ['id']),
      ],
    }).text;
    noRawMarkup(out);
    expect(out.match(/<path class="er-edge" d="M[^"]*" marker-start/g)).toHaveLength(4);
    expect(out.match(/<g class="er-box"/g)).toHaveLength(5);
    expect(out).not.toMatch(/NaN|undefined/);
  });

  it('says when there are no tables', () => {
    expect(renderErDiagram({ tables: [] }).text).toContain('no tables yet');
  });
});

describe('migration history and audit trail', () => {
  it('escapes migration SQL and shows each state', () => {
    const out = renderMigrationHistory({
      entries: [
        {
          state: 'applied',
          tag: '0000_init',
          when: 0,
          hash: 'a'.repeat(64),
          statements: [`CREATE TABLE x (y text DEFAULT '${EVIL}')`],
        },
        { state: 'missing', when: 0, hash: 'b'.repeat(64) },
      ],
    }).text;
    noRawMarkup(out);
    expect(out).toContain('data-state="missing"');
    expect(out).toContain('no longer has');
  });

  it('shows the consent channel, a broken chain, and escapes stored arguments', () => {
    const row: AuditTrailRow = {
      id: 7,
      createdAt: '2026-11-01T09:00:00.000Z',
      tool: 'apply_migrations',
      outcome: 'ok',
      errorCode: null,
      durationMs: 12,
      client: EVIL,
      targetType: 'migrations',
      targetId: null,
      details: JSON.stringify({ consent: { channel: 'review_page', decision: 'approve' }, note: EVIL }),
      rowsAffected: 3,
    };
    const out = renderAuditTrail({
      rows: [row],
      verification: { ok: false, checkedRows: 9, firstBroken: { id: 4, reason: 'hash mismatch' } },
    }).text;
    noRawMarkup(out);
    expect(out).toContain('approved via review page');
    expect(out).toContain('Hash chain broken at row 4: hash mismatch');
  });

  it.each([
    [{ channel: 'app_card', decision: 'approve' }, 'ok', 'approved via app card'],
    [{ channel: 'launch_option', decision: 'approve' }, 'info', 'operator at launch'],
    [
      { channel: 'elicitation', decision: 'decline', answer: 'decline' },
      'danger',
      'declined via elicitation',
    ],
    [
      { channel: 'elicitation', decision: 'decline', answer: 'timeout' },
      'danger',
      'unanswered (elicitation)',
    ],
    [{ channel: 'review_page', decision: 'pending' }, 'info', 'waiting in review page'],
    [{ decision: 'unavailable' }, 'danger', 'nobody could be asked'],
  ])('words the consent %j as a %s badge', (consent, tone, text) => {
    const out = renderAuditTrail({
      rows: [
        {
          id: 1,
          createdAt: '2026-11-01T09:00:00.000Z',
          tool: 'apply_migrations',
          outcome: 'ok',
          errorCode: null,
          durationMs: 1,
          client: null,
          targetType: null,
          targetId: null,
          details: JSON.stringify({ consent }),
          rowsAffected: null,
        },
      ],
    }).text;
    expect(out).toContain(`<span class="badge ${tone}">${text}</span>`);
  });
});

describe('shells', () => {
  it.each(APP_VIEWS)(
    'the %s App shell is self-contained: no external URL, inline code under a no-network CSP',
    (view) => {
      const shell = renderAppShell(view);
      expect(shell).not.toMatch(/(?:src|href)\s*=|https?:\/\/(?!www\.w3\.org)|@import|url\(/);
      expect(shell).toContain('connect-src &#39;none&#39;'); // the meta attribute, escaped
      expect(shell).toContain('ui/initialize');
      // The view reads the tool result's text block when structuredContent is missing (Claude Desktop strips it).
      expect(shell).toContain('JSON.parse(textOf(result))');
    },
  );

  it('the review shell carries the CSP nonce on its one script and style, and no data', () => {
    const shell = renderReviewShell('abc123');
    expect(shell.match(/<script nonce="abc123">/g)).toHaveLength(1);
    expect(shell.match(/<style nonce="abc123">/g)).toHaveLength(1);
    expect(shell).not.toMatch(/<script(?! nonce)/);
    expect(shell).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('knows when a client renders Apps, and builds tool _meta', () => {
    expect(
      clientRendersApps({
        extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
      }),
    ).toBe(true);
    expect(clientRendersApps({ extensions: { 'io.modelcontextprotocol/ui': {} } })).toBe(false);
    expect(clientRendersApps({})).toBe(false);
    expect(toolUiMeta('plan')).toEqual({ ui: { resourceUri: 'ui://dsm/plan' } });
    expect(toolUiMeta(undefined, ['app'])).toEqual({ ui: { visibility: ['app'] } });
  });
});
