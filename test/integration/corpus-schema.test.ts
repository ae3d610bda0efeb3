// What inspect_schema and drift make of real projects' schemas (test/fixtures/corpus): composite primary keys
// (issue 10 item 7), FTS5 tables with their shadow tables and triggers (L), and migrations whose SQL was edited by
// hand after drizzle-kit wrote their snapshot (M).
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/mcp.js';
import { copyCorpusFixture, removeDir } from '../helpers/project.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let dirs: string[] = [];
let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.close();
  for (const d of dirs) removeDir(d);
  harnesses = [];
  dirs = [];
});

async function start(name: string, argv: string[] = []): Promise<{ h: Harness; project: string }> {
  const project = copyCorpusFixture(name);
  dirs.push(project);
  const h = await startHarness({ argv: ['--project', project, ...argv] });
  harnesses.push(h);
  return { h, project };
}

const table = (schema: Json, name: string): Json => schema.tables.find((t: Json) => t.name === name);

describe('a composite primary key', () => {
  it('is one key over both columns, whose NOT NULL shows, in JSON and in the Mermaid diagram', async () => {
    const { h } = await start('composite-pk');
    const schema = await h.ok<Json>('inspect_schema', { rowCounts: false, format: 'mermaid' });
    const itemLabels = table(schema, 'item_labels');
    expect(itemLabels.primaryKey).toBe('(item_id, label_id)');
    expect(itemLabels.columns).toEqual([
      'item_id INTEGER NOT NULL (drizzle: itemId)',
      'label_id INTEGER NOT NULL (drizzle: labelId)',
      'added_at INTEGER (drizzle: addedAt)',
    ]);
    expect(table(schema, 'items').columns[0]).toBe('id INTEGER PRIMARY KEY');
    expect(table(schema, 'items').primaryKey).toBeUndefined();
    expect(schema.mermaid).toMatch(/integer item_id PK,FK "one key \(item_id, label_id\)"/);
    expect(schema.mermaid).toMatch(/integer label_id PK,FK "one key \(item_id, label_id\)"/);
  });
});
