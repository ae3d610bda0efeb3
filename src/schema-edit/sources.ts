// Which files make up the schema: the config's `schema` files plus every local file their barrels re-export
// (`export * from './users'`), since drizzle-kit sees the tables of those too. Reading is the caller's (a function
// passed in), so this stays pure and testable.
import path from 'node:path';
import { parseSchemaFile } from './source.js';
import type { SchemaSource } from './engine.js';

/** `read` returns a file's text, or undefined when it does not exist. */
export function collectSchemaSources(
  entries: readonly string[],
  read: (file: string) => string | undefined,
): SchemaSource[] {
  const seen = new Map<string, SchemaSource>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    const text = read(file);
    if (text === undefined) continue;
    seen.set(file, { path: file, text });
    for (const specifier of parseSchemaFile(file, text).reExports) {
      const target = resolveLocal(file, specifier, read);
      if (target && !seen.has(target)) queue.push(target);
    }
  }
  return [...seen.values()];
}

/** Node/TypeScript resolution of a relative specifier to a .ts source: `./x`, `./x.js` (→ x.ts), `./x/index`. */
export function resolveLocal(
  from: string,
  specifier: string,
  read: (file: string) => string | undefined,
): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  const stem = base.replace(/\.[cm]?js$/, '');
  const candidates = [
    base,
    `${stem}.ts`,
    `${stem}.mts`,
    `${stem}.cts`,
    `${base}.ts`,
    `${base}.js`,
    path.join(base, 'index.ts'),
    path.join(base, 'index.js'),
  ];
  return candidates.find((candidate) => /\.[cm]?[jt]s$/.test(candidate) && read(candidate) !== undefined);
}
