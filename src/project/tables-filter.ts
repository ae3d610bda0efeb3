// drizzle.config's `tablesFilter`, decided the way drizzle-kit 0.31 decides it. Invariant: the same answer as
// drizzle-kit's push/pull introspection for every table name. drizzle-kit applies the filter only when it reads the
// *database* (push, pull, introspection) — `generate` diffs every table the schema declares — so the snapshot and the
// generated SQL ignore it too; callers use this to decide which live tables a drift check looks at.
//
// drizzle-kit's rule (minimatch, no options): with no patterns every table passes; otherwise a table passes when at
// least one pattern matches it and no negated ("!…") pattern excludes it.

export function tablesFilterMatcher(patterns: readonly string[] | undefined): (tableName: string) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  const matchers = patterns.map(compilePattern);
  return (tableName) => {
    const flags: boolean[] = [];
    for (const matcher of matchers) {
      const matches = matcher.test(tableName);
      if (matcher.negate && !matches) flags.push(false);
      if (matches) flags.push(true);
    }
    return flags.length > 0 && flags.every(Boolean);
  };
}

interface CompiledPattern {
  negate: boolean;
  /** Whether the table name matches the pattern; for a negated pattern, whether it is *not* excluded. */
  test: (name: string) => boolean;
}

function compilePattern(pattern: string): CompiledPattern {
  let body = pattern;
  let negations = 0;
  while (body.startsWith('!')) {
    negations += 1;
    body = body.slice(1);
  }
  const negate = negations % 2 === 1;
  const regex = globToRegExp(body);
  return { negate, test: (name) => regex.test(name) !== negate };
}

/** minimatch semantics for one path segment (table names have no slashes): *, ?, [classes], {a,b} alternatives. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i += 1) {
    const ch = glob[i] as string;
    if (ch === '\\' && i + 1 < glob.length) {
      out += escapeRegExp(glob[i + 1] as string);
      i += 1;
    } else if (ch === '*') {
      while (glob[i + 1] === '*') i += 1;
      out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
      } else {
        let cls = glob.slice(i + 1, close);
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        out += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (ch === '{') {
      depth += 1;
      out += '(?:';
    } else if (ch === '}' && depth > 0) {
      depth -= 1;
      out += ')';
    } else if (ch === ',' && depth > 0) {
      out += '|';
    } else {
      out += escapeRegExp(ch);
    }
  }
  while (depth-- > 0) out += ')';
  return new RegExp(`^${out}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
