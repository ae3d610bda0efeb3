import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues } from '../../src/core/zod-issues.js';

describe('describeIssues', () => {
  const Row = z.object({ mood: z.number(), tags: z.array(z.string()) }).strict();

  it('names each issue by its path from where it was found, and the whole input as "arguments"', () => {
    const bad = Row.safeParse({ mood: 'x', tags: [1] });
    expect(bad.success).toBe(false);
    if (bad.success) return;
    expect(describeIssues(bad.error)).toMatch(/^mood: .+; tags\.0: .+$/);
    expect(describeIssues(bad.error, 'rows[2]')).toMatch(/^rows\[2\]\.mood: .+; rows\[2\]\.tags\.0: .+$/);
    const whole = z.string().safeParse(1);
    if (!whole.success) expect(describeIssues(whole.error)).toMatch(/^arguments: /);
  });

  it('keeps to the first issues: enough to fix, short enough to read', () => {
    const many = z.array(z.number()).safeParse(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    if (many.success) throw new Error('expected issues');
    expect(describeIssues(many.error).split('; ')).toHaveLength(5);
    expect(describeIssues(many.error, 'values', 1).split('; ')).toEqual([
      expect.stringMatching(/^values\.0: /),
    ]);
  });
});
