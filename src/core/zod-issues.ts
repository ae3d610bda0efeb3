// What failed validation, in one line a model can act on: "where.path: message; …", at most a few issues.
import type { z } from 'zod';

/**
 * Each issue as "path: message", the path starting at `where` (the argument or row it is about; "arguments" when
 * the issue is about the whole input), joined with "; ". At most `max` issues: the first ones are enough to fix.
 */
export function describeIssues(error: z.ZodError, where?: string, max = 5): string {
  return error.issues
    .slice(0, max)
    .map((issue) => {
      const path = [...(where === undefined ? [] : [where]), ...issue.path.map(String)];
      return `${path.length ? path.join('.') : 'arguments'}: ${issue.message}`;
    })
    .join('; ');
}
