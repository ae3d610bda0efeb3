// The one stylesheet of every view, in the App card and on the review page alike. It uses the MCP Apps host
// variables (--color-*, --font-*) when a host passes them, with our own values as fallbacks, and follows the
// host's or the system's light/dark theme. No web fonts, no images: nothing leaves the page.

export const VIEW_CSS = `
:root {
  color-scheme: light dark;
  --bg: var(--color-background-primary, light-dark(#ffffff, #17181b));
  --bg2: var(--color-background-secondary, light-dark(#f5f6f8, #202226));
  --bg3: var(--color-background-tertiary, light-dark(#eceef2, #2a2d33));
  --fg: var(--color-text-primary, light-dark(#17191c, #eceef1));
  --fg2: var(--color-text-secondary, light-dark(#4d5562, #a9b0bb));
  --fg3: var(--color-text-tertiary, light-dark(#7a8290, #7d8592));
  --line: var(--color-border-primary, light-dark(#d8dce2, #363a42));
  --line2: var(--color-border-secondary, light-dark(#e7e9ed, #2b2e35));
  --danger: var(--color-text-danger, light-dark(#b42318, #ff8a80));
  --danger-bg: var(--color-background-danger, light-dark(#fdecea, #3a1d1b));
  --warn: var(--color-text-warning, light-dark(#8a5a00, #f3c969));
  --warn-bg: var(--color-background-warning, light-dark(#fff6e0, #3a2f15));
  --ok: var(--color-text-success, light-dark(#1e6e3a, #7ddc9b));
  --ok-bg: var(--color-background-success, light-dark(#e7f6ec, #173024));
  --info: var(--color-text-info, light-dark(#1f5fae, #8ab8ff));
  --info-bg: var(--color-background-info, light-dark(#e8f1fc, #1a2a40));
  --sans: var(--font-sans, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif);
  --mono: var(--font-mono, ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace);
  --radius: var(--border-radius-md, 8px);
}
:root[data-theme="light"] { color-scheme: light; }
:root[data-theme="dark"] { color-scheme: dark; }
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 var(--sans); }
main { padding: 16px 18px 20px; max-width: 1080px; margin: 0 auto; }
h1 { font-size: 18px; margin: 0 0 4px; line-height: 1.3; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--fg2); margin: 18px 0 8px; }
p { margin: 6px 0; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--fg3); }
.small { font-size: 12px; }
nav.console { display: flex; gap: 4px; padding: 10px 18px; border-bottom: 1px solid var(--line); background: var(--bg2); align-items: center; }
nav.console .brand { font-weight: 600; margin-right: 12px; }
nav.console a { color: var(--fg2); text-decoration: none; padding: 5px 10px; border-radius: 6px; }
nav.console a[aria-current="page"] { background: var(--bg); color: var(--fg); box-shadow: 0 0 0 1px var(--line); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; font-weight: 600; letter-spacing: .02em; white-space: nowrap; }
.badge.danger { background: var(--danger-bg); color: var(--danger); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.info { background: var(--info-bg); color: var(--info); }
.badge.plain { background: var(--bg3); color: var(--fg2); }
.header { display: flex; gap: 12px; align-items: flex-start; justify-content: space-between; }
.header .meta { text-align: right; color: var(--fg3); font-size: 12px; white-space: nowrap; }
.reasons { list-style: none; padding: 0; margin: 10px 0 0; display: grid; gap: 6px; }
.reasons li { padding: 8px 12px; border-radius: var(--radius); background: var(--danger-bg); color: var(--fg); border-left: 4px solid var(--danger); }
.reasons li.data_change, .reasons li.over_budget, .reasons li.schema_edit { background: var(--warn-bg); border-left-color: var(--warn); }
.stats { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0 0; }
.stat { background: var(--bg2); border: 1px solid var(--line2); border-radius: var(--radius); padding: 6px 12px; min-width: 92px; }
.stat b { display: block; font-size: 18px; }
.stat span { font-size: 12px; color: var(--fg2); }
.stat.danger b { color: var(--danger); }
.step { border: 1px solid var(--line); border-radius: var(--radius); margin: 8px 0; overflow: hidden; }
.step > .step-title { background: var(--bg2); padding: 6px 12px; font-weight: 600; font-family: var(--mono); font-size: 12.5px; border-bottom: 1px solid var(--line); }
.stmt { display: grid; grid-template-columns: 34px 1fr; border-top: 1px solid var(--line2); }
.stmt:first-of-type { border-top: 0; }
.stmt .n { color: var(--fg3); text-align: right; padding: 8px 8px 0 0; font: 12px var(--mono); }
.stmt pre { margin: 0; padding: 8px 12px 8px 4px; white-space: pre-wrap; word-break: break-word; font: 12.5px/1.5 var(--mono); }
.stmt.data_loss { background: var(--danger-bg); box-shadow: inset 4px 0 0 var(--danger); }
.stmt.data_change { background: var(--warn-bg); box-shadow: inset 4px 0 0 var(--warn); }
.stmt .why { grid-column: 2; padding: 0 12px 8px 4px; font-size: 12.5px; font-weight: 600; }
.stmt .params { grid-column: 2; padding: 0 12px 6px 4px; font-size: 12.5px; overflow-wrap: anywhere; }
.stmt.data_loss .why { color: var(--danger); }
.stmt.data_change .why { color: var(--warn); }
.sql-kw { color: light-dark(#1f4fbf, #8cb4ff); font-weight: 600; }
.sql-danger { color: var(--danger); font-weight: 700; }
.sql-name { color: light-dark(#6a3fb5, #d0a9ff); }
.sql-str { color: light-dark(#1e6e3a, #8fd6a4); }
.sql-num { color: light-dark(#a0520c, #f1b26b); }
.sql-param { color: light-dark(#a0520c, #f1b26b); }
.sql-comment { color: var(--fg3); font-style: italic; }
table.grid { border-collapse: collapse; width: 100%; font-size: 13px; }
table.grid.compact { width: auto; min-width: 50%; }
table.grid th, table.grid td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line2); vertical-align: top; }
table.grid th { color: var(--fg2); font-weight: 600; font-size: 12px; background: var(--bg2); }
table.grid td.num, table.grid th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.grid td time { white-space: nowrap; }
td.down { color: var(--danger); font-weight: 700; }
td.up { color: var(--ok); font-weight: 600; }
td.changed { color: var(--warn); font-weight: 700; }
tr.op-delete td { background: var(--danger-bg); }
tr.op-update td { background: var(--warn-bg); }
tr.op-insert td { background: var(--ok-bg); }
.cell-null { color: var(--fg3); font-style: italic; }
.findings { list-style: none; padding: 0; margin: 0; display: grid; gap: 6px; }
.findings li { border: 1px solid var(--line2); border-radius: var(--radius); padding: 7px 12px; }
.findings .fix { color: var(--fg2); font-size: 12.5px; margin-top: 2px; }
.changes { list-style: none; padding: 0; margin: 0; font-family: var(--mono); font-size: 12.5px; }
.changes li { padding: 2px 0; }
.changes .sign { display: inline-block; width: 18px; font-weight: 700; }
.changes .create .sign { color: var(--ok); }
.changes .drop .sign { color: var(--danger); }
.changes .alter .sign, .changes .rename .sign { color: var(--warn); }
details { border: 1px solid var(--line2); border-radius: var(--radius); padding: 6px 12px; margin: 8px 0; }
details > summary { cursor: pointer; color: var(--fg2); }
details.inline { border: 0; padding: 0; margin: 2px 0 0; }
details.inline > summary.preview { color: var(--fg3); max-width: 260px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.decision { position: sticky; bottom: 0; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 18px -18px -20px; padding: 12px 18px; background: var(--bg2); border-top: 1px solid var(--line); }
.decision .hash { font: 12px var(--mono); color: var(--fg2); }
.decision .spacer { flex: 1; }
button { font: 600 14px var(--sans); border-radius: var(--radius); padding: 8px 18px; cursor: pointer; border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
button.approve { background: var(--danger); border-color: var(--danger); color: #fff; }
button.approve.safe { background: light-dark(#1f6feb, #2f81f7); border-color: transparent; }
button:disabled { opacity: .5; cursor: default; }
.status { padding: 10px 14px; border-radius: var(--radius); margin: 12px 0 0; font-weight: 600; }
.status.ok { background: var(--ok-bg); color: var(--ok); }
.status.danger { background: var(--danger-bg); color: var(--danger); }
.status.info { background: var(--info-bg); color: var(--info); }
.er-wrap { overflow: auto; border: 1px solid var(--line); border-radius: var(--radius); background: var(--bg2); }
.er-wrap svg { display: block; }
.er-wrap svg.fit { max-width: 100%; height: auto; }
.er-legend svg { vertical-align: middle; }
.er-box rect.body { fill: var(--bg); stroke: var(--line); }
.er-box rect.head { fill: var(--bg3); }
.er-box text { font: 12px var(--mono); fill: var(--fg); }
.er-box text.title { font-weight: 700; font-size: 13px; }
.er-box .dz, .er-box text.type, .er-box text.rows { fill: var(--fg3); font-weight: 400; }
.er-box .undeclared { fill: var(--warn); font-style: italic; font-weight: 400; }
.er-box text.pk { fill: light-dark(#a0520c, #f1b26b); font-weight: 700; }
.er-box text.fk { fill: var(--info); font-weight: 700; }
.er-edge { fill: none; stroke: light-dark(#5b7fb9, #7fa3dd); stroke-width: 1.4; }
.er-legend { display: flex; gap: 14px; flex-wrap: wrap; font-size: 12px; color: var(--fg2); margin: 8px 0; }
.filters { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin: 10px 0; }
.filters input, .filters select { font: 13px var(--sans); padding: 6px 8px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
.chain { padding: 8px 12px; border-radius: var(--radius); margin: 10px 0; font-weight: 600; }
.chain.ok { background: var(--ok-bg); color: var(--ok); }
.chain.broken { background: var(--danger-bg); color: var(--danger); }
.chain.unknown { background: var(--bg3); color: var(--fg2); }
pre.details { margin: 4px 0 0; white-space: pre-wrap; word-break: break-word; font: 12px/1.45 var(--mono); color: var(--fg2); }
.empty { padding: 24px; text-align: center; color: var(--fg3); border: 1px dashed var(--line); border-radius: var(--radius); }
.plan-list { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
.plan-list a { display: block; padding: 10px 14px; border: 1px solid var(--line); border-radius: var(--radius); color: var(--fg); text-decoration: none; }
.plan-list a:hover { background: var(--bg2); }
.scroll-x { overflow-x: auto; }
[hidden] { display: none !important; }
`;
