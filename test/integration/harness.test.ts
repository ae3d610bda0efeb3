import { describe, expect, it } from 'vitest';
import { startHarness } from '../helpers/mcp.js';
import { REPO_ROOT } from '../helpers/project.js';

describe('the test harness', () => {
  it('refuses to start without an explicit project, instead of silently using the repository’s own', async () => {
    await expect(startHarness()).rejects.toThrow(/explicit --project/);
    await expect(startHarness({ argv: ['--read-only'] })).rejects.toThrow(/explicit --project/);
    await expect(startHarness({ argv: ['--project', REPO_ROOT] })).rejects.toThrow(/repository itself/);
  });
});
