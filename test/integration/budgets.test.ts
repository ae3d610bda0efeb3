// Context budgets: every tool schema is sent to the model on every turn, and inspect_schema's answer lands in its
// context whole. These limits keep the server lean as tools are added; raise them only with a reason.
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/mcp.js';
import { copyEmbeddedProject, removeDir } from '../helpers/project.js';

export const TOOLS_LIST_BUDGET = 12 * 1024;
/**
 * What a client that renders MCP Apps gets beyond that: each tool's view (`_meta.ui.resourceUri`) and the app-only
 * serve_view. Hosts keep both from the model (`_meta` is not model context; app-only tools are not listed to it),
 * so this is wire, not context; measured at 1,065 bytes when it was added.
 */
export const APP_EXTRAS_BUDGET = 1280;
export const INSPECT_50_TABLES_BUDGET = 24 * 1024;

let harness: Harness | undefined;
let project: string | undefined;
afterEach(async () => {
  await harness?.close();
  if (project) removeDir(project);
  harness = undefined;
  project = undefined;
});

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** A realistic mid-sized table: a key, an owner, a unique name per owner, a status, money, JSON, timestamps. */
function tableDdl(name: string): string[] {
  return [
    `CREATE TABLE "${name}" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "user_id" integer NOT NULL REFERENCES "users"("id") ON DELETE cascade,
      "name" text NOT NULL,
      "status" text DEFAULT 'active' NOT NULL,
      "amount" real,
      "notes" text,
      "metadata" text,
      "created_at" text DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
      "updated_at" text
    )`,
    `CREATE INDEX "${name}_user_idx" ON "${name}" ("user_id")`,
    `CREATE UNIQUE INDEX "${name}_user_name_uq" ON "${name}" ("user_id", "name")`,
  ];
}

describe('context budgets', () => {
  it(`keeps the whole tools/list answer within ${TOOLS_LIST_BUDGET} bytes`, async () => {
    project = copyEmbeddedProject();
    harness = await startHarness({ argv: ['--project', project] });
    const list = await harness.client.listTools();
    const size = bytes(list);
    console.info(`tools/list: ${list.tools.length} tools, ${size} bytes`);
    expect(size).toBeLessThanOrEqual(TOOLS_LIST_BUDGET);
  });

  it(`gives a client that renders MCP Apps the same model-visible listing, plus at most ${APP_EXTRAS_BUDGET} bytes of views`, async () => {
    project = copyEmbeddedProject();
    const plain = await startHarness({ argv: ['--project', project] });
    const plainList = await plain.client.listTools();
    await plain.close();
    harness = await startHarness({
      argv: ['--project', project],
      capabilities: {
        extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
      },
    });
    const list = await harness.client.listTools();
    // What the model sees: the tools it may call, without the hosts' `_meta`.
    const forModel = list.tools
      .filter(
        (tool) =>
          (tool._meta?.ui as { visibility?: string[] } | undefined)?.visibility?.includes('model') ?? true,
      )
      .map(({ _meta, ...tool }) => tool);
    expect(forModel).toEqual(plainList.tools);
    expect(forModel.length).toBeLessThanOrEqual(12);
    const extras = bytes(list) - bytes(plainList);
    console.info(`tools/list with MCP Apps: ${list.tools.length} tools, ${bytes(list)} bytes (+${extras})`);
    expect(extras).toBeLessThanOrEqual(APP_EXTRAS_BUDGET);
  });

  it(`keeps inspect_schema of a 50-table database within ${INSPECT_50_TABLES_BUDGET} bytes`, async () => {
    project = copyEmbeddedProject();
    harness = await startHarness({ argv: ['--project', project] });
    const before = await harness.ok<{ tables: unknown[] }>('inspect_schema', { rowCounts: false });
    const subjects = [
      'orders',
      'invoices',
      'payments',
      'products',
      'reviews',
      'shipments',
      'coupons',
      'addresses',
      'tickets',
      'comments',
    ];
    const names: string[] = [];
    for (let i = 0; names.length + before.tables.length < 50; i++)
      names.push(`${subjects[i % subjects.length]}_${String(i).padStart(2, '0')}`);
    const db = new Database(path.join(project, 'data/app.db'));
    db.exec(names.flatMap(tableDdl).join(';\n'));
    db.close();

    const result = await harness.call('inspect_schema', {});
    expect(result.isError).toBeFalsy();
    const tables = (result.structuredContent as { tables: unknown[] }).tables;
    expect(tables).toHaveLength(50);
    // What a client hands the model: structuredContent (Claude Code, VS Code) or the one JSON text block.
    const size = bytes(result.structuredContent);
    console.info(`inspect_schema of ${tables.length} tables: ${size} bytes`);
    expect(size).toBeLessThanOrEqual(INSPECT_50_TABLES_BUDGET);
  });
});
