// Where the separately-started entry points (the kit worker thread, the query host process) live. In the built
// package they are sibling bundles in dist/; when running from source (tests) they are .ts files run through tsx.
import { fileURLToPath } from 'node:url';

export type EntryName = 'kit-worker' | 'query-host';

export interface EntryPoint {
  /** Absolute file path of the entry script. */
  file: string;
  /** Node flags the entry needs (a TypeScript loader when running from source). */
  execArgv: string[];
}

export function entryPoint(name: EntryName): EntryPoint {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  return { file, execArgv: fromSource ? ['--import', 'tsx'] : [] };
}
