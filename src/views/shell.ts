// The two documents that host our views: the MCP App shell (one per view, served as a `ui://` resource and
// rendered by the host in a sandboxed iframe) and the review page shell (served by the local review server).
// Neither holds data: a shell is static, so a host may prefetch and cache it, and it fetches its view — HTML the
// server rendered and escaped — at run time: the App shell through the app-only tool over the host's postMessage
// bridge, the page with fetch and the key from its URL fragment. Invariant: no external URL anywhere (no CDN, no
// font, no image), and neither shell reads `structuredContent` for anything it needs (Claude Desktop strips it
// from what it forwards to a view; ext-apps#696).
import { APP_PROTOCOL_VERSION, APP_TOOL_NAME, NONCE_META_KEY, type AppViewName } from './app-meta.js';
import { html, scriptJson, trustedHtml, type Html } from './html.js';
import { VIEW_CSS } from './theme.js';

/** Client-side touches shared by both shells: local times, and the audit trail's filters. */
const ENHANCE_JS = `
function enhance(root) {
  root.querySelectorAll('time[datetime]').forEach(function (t) {
    var d = new Date(t.getAttribute('datetime'));
    if (!isNaN(d.getTime())) { t.title = t.textContent; t.textContent = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }); }
  });
  root.querySelectorAll('[data-filter-scope]').forEach(function (scope) {
    var inputs = scope.querySelectorAll('[data-filter]');
    var rows = scope.querySelectorAll('[data-row]');
    var count = scope.querySelector('[data-role="filter-count"]');
    function apply() {
      var f = {};
      inputs.forEach(function (i) { f[i.getAttribute('data-filter')] = i.value.trim(); });
      var text = (f.text || '').toLowerCase();
      var shown = 0;
      rows.forEach(function (r) {
        var ok = (!f.tool || r.getAttribute('data-tool') === f.tool) &&
          (!f.outcome || r.getAttribute('data-outcome') === f.outcome) &&
          (!text || r.textContent.toLowerCase().indexOf(text) !== -1);
        r.hidden = !ok;
        if (ok) shown++;
      });
      if (count) count.textContent = shown + ' of ' + rows.length + ' shown';
    }
    inputs.forEach(function (i) { i.addEventListener('input', apply); i.addEventListener('change', apply); });
    apply();
  });
}
function status(main, kind, text) {
  var div = document.createElement('div');
  div.className = 'status ' + kind;
  div.setAttribute('data-role', 'outcome');
  div.textContent = text;
  var bar = main.querySelector('[data-role="decision"]');
  if (bar) bar.replaceWith(div); else main.appendChild(div);
}
function setDecisionBusy(main, busy, note) {
  main.querySelectorAll('button[data-action="decide"]').forEach(function (b) { b.disabled = busy; });
  var n = main.querySelector('[data-role="decision-note"]');
  if (n && note !== undefined) n.textContent = note;
}
`;

/** The App shell's bridge: JSON-RPC 2.0 over postMessage with the host (ext-apps 2026-01-26). */
function appScript(view: AppViewName): string {
  return `(function () {
'use strict';
var VIEW = ${scriptJson(view).text};
var TOOL = ${scriptJson(APP_TOOL_NAME).text};
var NONCE_KEY = ${scriptJson(NONCE_META_KEY).text};
var PROTOCOL = ${scriptJson(APP_PROTOCOL_VERSION).text};
${ENHANCE_JS}
var main = document.getElementById('view');
var nextId = 1, pending = {}, hostCaps = {}, toolInput = {}, nonce = null, sizeQueued = false;
function send(message) { window.parent.postMessage(message, '*'); }
function request(method, params) {
  var id = nextId++;
  return new Promise(function (resolve, reject) {
    pending[id] = { resolve: resolve, reject: reject };
    send({ jsonrpc: '2.0', id: id, method: method, params: params });
  });
}
function notify(method, params) { send({ jsonrpc: '2.0', method: method, params: params || {} }); }
window.addEventListener('message', function (event) {
  // Security: only the host that embeds this view may speak to it.
  if (event.source !== window.parent) return;
  var m = event.data;
  if (!m || m.jsonrpc !== '2.0') return;
  if (m.method === undefined && m.id !== undefined) {
    var p = pending[m.id];
    if (!p) return;
    delete pending[m.id];
    if (m.error) p.reject(new Error(m.error.message || 'The host refused the request.')); else p.resolve(m.result);
    return;
  }
  if (m.id !== undefined) {
    if (m.method === 'ui/resource-teardown' || m.method === 'ping') send({ jsonrpc: '2.0', id: m.id, result: {} });
    else send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'Method not found' } });
    return;
  }
  if (m.method === 'ui/notifications/tool-input') toolInput = (m.params && m.params.arguments) || {};
  else if (m.method === 'ui/notifications/tool-result') onResult(m.params || {});
  else if (m.method === 'ui/notifications/tool-cancelled') { main.textContent = ''; reportSize(); }
  else if (m.method === 'ui/notifications/host-context-changed') applyContext(m.params || {});
});
function applyContext(context) {
  var root = document.documentElement;
  if (context.theme === 'light' || context.theme === 'dark') root.setAttribute('data-theme', context.theme);
  var vars = context.styles && context.styles.variables;
  if (vars) Object.keys(vars).forEach(function (k) { if (k.indexOf('--') === 0 && typeof vars[k] === 'string') root.style.setProperty(k, vars[k]); });
}
function textOf(result) {
  var c = (result && result.content) || [];
  for (var i = 0; i < c.length; i++) if (c[i] && c[i].type === 'text') return c[i].text;
  return '';
}
// What the model-visible tool returned, read from its text block: structuredContent may have been stripped.
function dataOf(result) {
  if (result.structuredContent && typeof result.structuredContent === 'object') return result.structuredContent;
  try { var v = JSON.parse(textOf(result)); return v && typeof v === 'object' ? v : {}; } catch (e) { return {}; }
}
function onResult(result) {
  var data = dataOf(result);
  var args = { action: 'render', view: VIEW };
  if (VIEW === 'plan') {
    var planId = typeof data.planId === 'string' ? data.planId : typeof toolInput.planId === 'string' ? toolInput.planId : null;
    // Nothing to approve: stay empty, so the host can collapse the view.
    if (!planId) { main.textContent = ''; reportSize(); return; }
    args.planId = planId;
  } else {
    args.input = toolInput;
  }
  call(args);
}
function call(args) {
  main.setAttribute('aria-busy', 'true');
  return request('tools/call', { name: TOOL, arguments: args }).then(show, function (e) {
    main.removeAttribute('aria-busy');
    status(main, 'danger', 'Could not load this view: ' + e.message);
    reportSize();
  });
}
function show(result) {
  main.removeAttribute('aria-busy');
  if (!result || result.isError) { status(main, 'danger', textOf(result) || 'The server refused.'); reportSize(); return result; }
  var key = result._meta && result._meta[NONCE_KEY];
  if (typeof key === 'string') nonce = key;
  main.innerHTML = dataOf(result).html || ''; // HTML our server rendered, every value escaped
  enhance(main);
  if (VIEW === 'plan' && main.querySelector('[data-role="decision"]') && !nonce) {
    setDecisionBusy(main, true, 'This card cannot decide this plan: it is waiting for you where it was offered (a dialog or the review page in your browser), or this app host did not pass the card its approval key.');
  }
  reportSize();
  return result;
}
function tellAssistant(decision, planId) {
  if (!hostCaps.message) return;
  var text = decision === 'approve'
    ? 'I approved plan ' + planId + ' in the review card. Carry it out now: call the same tool again with planId "' + planId + '".'
    : 'I declined plan ' + planId + ' in the review card. Do not carry it out.';
  request('ui/message', { role: 'user', content: [{ type: 'text', text: text }] }).catch(function () {});
}
document.addEventListener('click', function (event) {
  var button = event.target.closest && event.target.closest('button[data-action="decide"]');
  if (!button || button.disabled) return;
  var decision = button.getAttribute('data-decision');
  var planId = button.getAttribute('data-plan-id');
  setDecisionBusy(main, true, decision === 'approve' ? 'Approving…' : 'Declining…');
  call({ action: 'decide', view: VIEW, planId: planId, planHash: button.getAttribute('data-plan-hash'), decision: decision, nonce: nonce || '' })
    .then(function (result) { if (result && !result.isError) tellAssistant(decision, planId); });
});
function reportSize() {
  if (sizeQueued) return;
  sizeQueued = true;
  requestAnimationFrame(function () {
    sizeQueued = false;
    var height = main.childNodes.length === 0 ? 0 : Math.ceil(document.documentElement.getBoundingClientRect().height);
    notify('ui/notifications/size-changed', { width: Math.ceil(window.innerWidth), height: height });
  });
}
if (window.ResizeObserver) new ResizeObserver(reportSize).observe(document.body);
request('ui/initialize', {
  appInfo: { name: 'drizzle-sqlite-mcp', version: '1' },
  appCapabilities: { availableDisplayModes: ['inline', 'fullscreen'] },
  protocolVersion: PROTOCOL
}).then(function (result) {
  hostCaps = (result && result.hostCapabilities) || {};
  applyContext((result && result.hostContext) || {});
  notify('ui/notifications/initialized', {});
}, function (e) {
  status(main, 'danger', 'This view needs an MCP Apps host: ' + e.message);
});
})();`;
}

/** The review page's script: the key from the fragment, then fetch with it; nothing else leaves the page. */
const PAGE_JS = `(function () {
'use strict';
${ENHANCE_JS}
var KEY = 'dsm-review-key';
var main = document.getElementById('view');
var token = null;
if (location.hash.length > 1) {
  token = location.hash.slice(1);
  try { sessionStorage.setItem(KEY, token); } catch (e) {}
  // The key leaves the address bar at once (it stays only in this tab's session storage).
  history.replaceState(null, '', location.pathname);
} else {
  try { token = sessionStorage.getItem(KEY); } catch (e) {}
}
var route = (function (path) {
  var m = /^\\/plans\\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  if (m) return { view: 'plan', planId: m[1] };
  if (path === '/schema' || path === '/migrations' || path === '/audit') return { view: path.slice(1) };
  return { view: 'plans' };
})(location.pathname);
document.querySelectorAll('nav.console a').forEach(function (a) {
  if (a.getAttribute('data-view') === (route.view === 'plan' ? 'plans' : route.view)) a.setAttribute('aria-current', 'page');
});
function api(method, path, body) {
  return fetch(path, {
    method: method,
    headers: body ? { authorization: 'Bearer ' + token, 'content-type': 'application/json' } : { authorization: 'Bearer ' + token },
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store',
    credentials: 'omit'
  }).then(function (res) {
    return res.json().then(function (json) { if (!res.ok) throw new Error(json.error || res.statusText); return json; });
  });
}
function show(json) {
  main.innerHTML = json.html; // HTML our server rendered, every value escaped
  if (json.title) document.title = json.title + ' — drizzle-sqlite-mcp';
  enhance(main);
}
function fail(e) { status(main, 'danger', e.message); }
if (!token) {
  status(main, 'danger', 'This page needs the link the server opened (its key follows the # sign). Ask the assistant to open the review again.');
  return;
}
api('GET', '/api/view/' + route.view + (route.planId ? '?plan=' + encodeURIComponent(route.planId) : '')).then(show, fail);
document.addEventListener('click', function (event) {
  var button = event.target.closest && event.target.closest('button[data-action="decide"]');
  if (!button || button.disabled) return;
  var decision = button.getAttribute('data-decision');
  setDecisionBusy(main, true, decision === 'approve' ? 'Approving…' : 'Declining…');
  api('POST', '/api/decision', { planId: button.getAttribute('data-plan-id'), planHash: button.getAttribute('data-plan-hash'), decision: decision })
    .then(show, function (e) { setDecisionBusy(main, false, ''); fail(e); });
});
})();`;

/** Content-Security-Policy of an App view: inline code only, no network, no frames, no forms. */
const APP_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'";

const TITLES: Record<AppViewName, string> = {
  plan: 'Review plan',
  schema: 'Database schema',
  migrations: 'Migration history',
  audit: 'Audit trail',
};

export function renderAppShell(view: AppViewName): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content="${APP_CSP}" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${TITLES[view]}</title>
        <style>
          ${trustedHtml(VIEW_CSS)}
        </style>
      </head>
      <body>
        <main id="view" aria-live="polite">
          ${view === 'plan' ? '' : html`<p class="muted">Loading…</p>`}
        </main>
        <script>
          ${trustedHtml(appScript(view))};
        </script>
      </body>
    </html>`.text;
}

/**
 * The review page's one document (every path serves it; the script picks the view from the path). `nonce` is
 * the per-response CSP nonce the server also sends in its Content-Security-Policy header.
 */
export function renderReviewShell(nonce: string): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>Review — drizzle-sqlite-mcp</title>
        <style nonce="${nonce}">
          ${trustedHtml(VIEW_CSS)}
        </style>
      </head>
      <body>
        <nav class="console">
          <span class="brand">drizzle-sqlite-mcp</span> <a href="/" data-view="plans">Waiting for you</a
          ><a href="/schema" data-view="schema">Schema</a
          ><a href="/migrations" data-view="migrations">Migrations</a
          ><a href="/audit" data-view="audit">Audit trail</a>
        </nav>
        <main id="view" aria-live="polite"><p class="muted">Loading…</p></main>
        <script nonce="${nonce}">
          ${trustedHtml(PAGE_JS)};
        </script>
      </body>
    </html>`.text;
}

/** The review page's home: the plans waiting for a decision. */
export function renderPlanList(
  plans: Array<{ id: string; title: string; kind: string; expiresAt: string }>,
  options: { standalone?: boolean } = {},
): Html {
  return html`<section>
    <h1>Waiting for your decision</h1>
    ${
      options.standalone
        ? html`<p class="empty">
            This console shows your project: its schema, its migrations and the audit trail. Plans waiting for
            your approval are reviewed where the assistant's server shows them — in your client's review card
            or dialog, or on the page the server opens in this browser.
          </p>`
        : plans.length === 0
          ? html`<p class="empty">
              Nothing is waiting for you. When the assistant asks for approval, the plan appears here.
            </p>`
          : html`<ul class="plan-list">
              ${plans.map(
                (p) =>
                  html`<li>
                    <a href="/plans/${p.id}"
                      ><b>${p.title}</b>
                      <div class="small muted">
                        ${p.kind.replace('_', ' ')} · plan <code>${p.id}</code> · expires
                        <time datetime="${p.expiresAt}">${p.expiresAt.slice(11, 16)} UTC</time>
                      </div></a
                    >
                  </li>`,
              )}
            </ul>`
    }
  </section>`;
}
