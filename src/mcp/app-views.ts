// The MCP App views as resources: `ui://dsm/<view>`, each a static HTML shell (`text/html;profile=mcp-app`) that
// fetches its content at run time through the app-only tool. A template, so not one of them is in resources/list
// (the spec lets a server omit UI-only resources; people attaching context have no use for an empty shell);
// readable by any client, and
// the same bytes for everyone: a shell holds no data, so a host may prefetch and cache it.
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  APP_MIME_TYPE,
  APP_VIEWS,
  VIEW_RESOURCE_META,
  viewUri,
  type AppViewName,
} from '../views/app-meta.js';
import { renderAppShell } from '../views/shell.js';

export function registerAppViews(server: McpServer): void {
  server.registerResource(
    'review views',
    new ResourceTemplate(viewUri('{view}' as AppViewName), { list: undefined }),
    { title: 'Review views (MCP Apps)', mimeType: APP_MIME_TYPE },
    async (uri, { view }) => {
      const name = APP_VIEWS.find((known) => known === view);
      if (!name)
        throw new McpError(ErrorCode.InvalidParams, `There is no view ${uri.href}.`, {
          views: APP_VIEWS.map(viewUri),
        });
      return {
        contents: [
          { uri: uri.href, mimeType: APP_MIME_TYPE, text: renderAppShell(name), _meta: VIEW_RESOURCE_META },
        ],
      };
    },
  );
}
