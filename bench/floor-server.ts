// The protocol floor: the same MCP SDK (McpServer over stdio) with one `query` tool that runs the SQL as given —
// no guard, no audit, no caps. Whatever our server costs above this is the price of its safety work.
// `--structured` adds an outputSchema and returns { columns, rows } as structuredContent (plus the same JSON as
// text, as the SDK recommends for older clients): the floor for a server that answers in structured form.
import Database from 'better-sqlite3';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const argv = process.argv.slice(2);
const dbIndex = argv.indexOf('--db');
const file = dbIndex >= 0 ? argv[dbIndex + 1] : undefined;
if (!file) {
  process.stderr.write('usage: floor-server --db FILE [--structured]\n');
  process.exit(2);
}
const structured = argv.includes('--structured');
const db = new Database(file, { readonly: true, fileMustExist: true });

const server = new McpServer({ name: structured ? 'floor-sdk-structured' : 'floor-sdk', version: '1.0.0' });

if (structured) {
  server.registerTool(
    'query',
    {
      description: 'Run one SQL statement and return its rows.',
      inputSchema: { sql: z.string() },
      outputSchema: { columns: z.array(z.string()), rows: z.array(z.array(z.unknown())) },
    },
    ({ sql }) => {
      const stmt = db.prepare(sql).raw(true);
      const rows = stmt.all() as unknown[][];
      const out = { columns: stmt.columns().map((c) => c.name), rows };
      return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out };
    },
  );
} else {
  server.registerTool(
    'query',
    { description: 'Run one SQL statement and return its rows.', inputSchema: { sql: z.string() } },
    ({ sql }) => ({ content: [{ type: 'text', text: JSON.stringify(db.prepare(sql).all()) }] }),
  );
}

const transport = new StdioServerTransport();
transport.onclose = () => {
  db.close();
  process.exit(0);
};
process.stdin.on('end', () => {
  db.close();
  process.exit(0);
});
await server.connect(transport);
