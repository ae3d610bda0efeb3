// generate_migration lints the new SQL against the schema's own snapshot where it adds a foreign key: drizzle-kit's
// ALTER TABLE … ADD … REFERENCES loses the ON DELETE action (drizzle #5619), and the linter says so with a fix.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/mcp.js';
import { removeDir } from '../helpers/project.js';
import { editSchema, embeddedProject, seedEmbedded, type Json } from './migration-tools-support.js';

describe('generate_migration on an added foreign key', () => {
  let project: string;
  let h: Harness;

  beforeAll(async () => {
    project = embeddedProject();
    h = await startHarness({ argv: ['--project', project] });
    seedEmbedded(path.join(project, 'data/app.db'));
  });
  afterAll(async () => {
    await h.close();
    removeDir(project);
  });

  it('compares the added REFERENCES clause with the action the schema declares (SQ203 warning, not the info)', async () => {
    editSchema(
      project,
      "body: text('body').notNull(),",
      "body: text('body').notNull(),\n    moodRef: text('mood_ref').references(() => checkIns.id, { onDelete: 'set null' }),",
    );
    const result = await h.ok<Json>('generate_migration', { name: 'mood ref' });
    expect(result.status, JSON.stringify(result)).toBe('ok');
    expect(result.sql).toMatch(/REFERENCES/);
    const findings = (result.findings ?? []) as Array<{ code: string; severity: string; column?: string }>;
    expect(findings).toContainEqual(
      expect.objectContaining({ code: 'SQ203', severity: 'warning', column: 'mood_ref' }),
    );
  });
});
