// The MCP Apps facts the server relies on, as plain data (no SDK import): the extension id a client declares, the
// MIME type and URIs of our views, the `_meta` a tool carries to link its view, and the keys our results use.
// Sources: ext-apps specification/2026-01-26/apps.mdx and @modelcontextprotocol/ext-apps 1.7.5
// (see notes/mcp-apps-facts.md).

export const UI_EXTENSION_ID = 'io.modelcontextprotocol/ui';
export const APP_MIME_TYPE = 'text/html;profile=mcp-app';
export const APP_PROTOCOL_VERSION = '2026-01-26';

/** The app-only tool the views call: renders a view, and records a person's decision made in the card. */
export const APP_TOOL_NAME = 'serve_view';

export const APP_VIEWS = ['plan', 'schema', 'migrations', 'audit'] as const;
export type AppViewName = (typeof APP_VIEWS)[number];

/** Short on purpose: each URI is sent in tools/list on every turn. */
export function viewUri(view: AppViewName): string {
  return `ui://dsm/${view}`;
}

/** Which model-visible tool shows which view (decided in notes/consent-design.md). */
export const TOOL_VIEWS: Readonly<Record<string, AppViewName>> = {
  inspect_schema: 'schema',
  migration_status: 'migrations',
  read_audit_log: 'audit',
  apply_migrations: 'plan',
  restore_backup: 'plan',
  write_rows: 'plan',
  execute_sql: 'plan',
};

/** `_meta` of a tool in tools/list: its view, and for the app-only tool, who may call it. */
export function toolUiMeta(view: AppViewName | undefined, visibility?: Array<'model' | 'app'>) {
  return { ui: { ...(view ? { resourceUri: viewUri(view) } : {}), ...(visibility ? { visibility } : {}) } };
}

/** Whether a client declared it renders MCP Apps (its `initialize` capabilities). */
export function clientRendersApps(
  capabilities: { extensions?: Record<string, unknown> } | undefined,
): boolean {
  const ui = capabilities?.extensions?.[UI_EXTENSION_ID] as { mimeTypes?: unknown } | undefined;
  return Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(APP_MIME_TYPE);
}

/**
 * Where the card finds the approval key in `serve_view`'s result. Security: `_meta` only — never `content` or
 * `structuredContent`, which hosts hand to the model.
 */
export const NONCE_META_KEY = 'dsm/nonce';

/** The resource `_meta` we serve with each view: no external origin of any kind, and a border from the host. */
export const VIEW_RESOURCE_META = { ui: { csp: {}, prefersBorder: true } } as const;
