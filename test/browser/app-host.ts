// A test MCP Apps host: a page that embeds a view in a sandboxed iframe (scripts only, opaque origin — as hosts
// do) and speaks the Apps postMessage protocol of 2026-01-26: it answers `ui/initialize`, sends the tool input and
// the tool result after `ui/notifications/initialized`, forwards `tools/call` to the server side, records
// `ui/message`, and sizes the iframe from `ui/notifications/size-changed`. Like Claude Desktop (ext-apps#696) it
// strips `structuredContent` and `_meta` from the tool result it forwards, so a view that needs them shows nothing.
import type { Page } from 'playwright-core';

export interface CallToolResult {
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

const HOST_PAGE = `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #eef0f4; font: 14px/1.4 system-ui, sans-serif; color: #222; }
.chat { max-width: 980px; margin: 20px auto; }
.turn { margin: 0 0 10px; color: #555; }
.turn code { background: #fff; padding: 1px 6px; border-radius: 4px; }
iframe { display: block; width: 100%; height: 0; border: 0; border-radius: 12px; background: #fff; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
</style></head><body><div class="chat"><p class="turn">Assistant called <code id="tool"></code></p>
<iframe id="app" sandbox="allow-scripts" title="MCP App"></iframe></div>
<script>
window.hostLog = [];
window.chatMessages = [];
const frame = document.getElementById('app');
let toolInput = {}, toolResult = null;
window.mountView = (html, input, result, toolName) => {
  toolInput = input; toolResult = result;
  document.getElementById('tool').textContent = toolName;
  frame.srcdoc = html;
};
const post = (message) => frame.contentWindow.postMessage(message, '*');
window.addEventListener('message', async (event) => {
  if (event.source !== frame.contentWindow) return;
  const m = event.data;
  window.hostLog.push(m.method || 'response');
  if (m.method === 'ui/initialize') {
    post({ jsonrpc: '2.0', id: m.id, result: {
      protocolVersion: '2026-01-26', hostInfo: { name: 'test-host', version: '1' },
      hostCapabilities: { serverTools: {}, message: { text: {} } },
      hostContext: { theme: 'light', displayMode: 'inline', platform: 'desktop', containerDimensions: { width: 980, maxHeight: 6000 } } } });
  } else if (m.method === 'ui/notifications/initialized') {
    post({ jsonrpc: '2.0', method: 'ui/notifications/tool-input', params: { arguments: toolInput } });
    const { structuredContent, _meta, ...forwarded } = toolResult;
    post({ jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: forwarded });
  } else if (m.method === 'tools/call') {
    try { post({ jsonrpc: '2.0', id: m.id, result: await window.callServerTool(m.params) }); }
    catch (e) { post({ jsonrpc: '2.0', id: m.id, error: { code: -32000, message: String(e && e.message) } }); }
  } else if (m.method === 'ui/message') {
    window.chatMessages.push(m.params);
    post({ jsonrpc: '2.0', id: m.id, result: {} });
  } else if (m.method === 'ui/notifications/size-changed') {
    if (typeof m.params.height === 'number') frame.style.height = m.params.height + 'px';
  } else if (m.id !== undefined && m.method) {
    post({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'unsupported' } });
  }
});
</script></body></html>`;

export interface MountedView {
  toolCalls: Array<Record<string, unknown>>;
}

/** Opens the host page and mounts a view as if `toolName` had just returned `result`. */
export async function mountAppView(
  page: Page,
  options: {
    shell: string;
    toolName: string;
    input: Record<string, unknown>;
    result: CallToolResult;
    server: (args: Record<string, unknown>) => Promise<CallToolResult>;
  },
): Promise<MountedView> {
  const toolCalls: Array<Record<string, unknown>> = [];
  await page.exposeFunction(
    'callServerTool',
    async (params: { name: string; arguments: Record<string, unknown> }) => {
      toolCalls.push(params);
      if (params.name !== 'serve_view') throw new Error(`unknown tool ${params.name}`);
      return options.server(params.arguments);
    },
  );
  await page.setContent(HOST_PAGE);
  await page.evaluate(
    ([html, input, result, toolName]) =>
      (globalThis as unknown as { mountView: (...a: unknown[]) => void }).mountView(
        html,
        input,
        result,
        toolName,
      ),
    [options.shell, options.input, options.result, options.toolName] as const,
  );
  return { toolCalls };
}
