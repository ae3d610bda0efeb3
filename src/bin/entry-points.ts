// Where this package's own files are, for the process edge only: the separately started entry points (the kit
// worker thread, the query host process), the bin script a client launches, and the package root (the embedded
// default project). In the built package every module is a bundle or chunk directly in dist/; running from source
// (tests) this file is src/bin/entry-points.ts and the entry points are .ts files run through tsx. The domain is
// handed the entry points it starts; it never works out where they are.
import { fileURLToPath } from 'node:url';
import type { EntryPoint } from '../core/entry-point.js';

export type EntryName = 'kit-worker' | 'query-host';

const fromSource = import.meta.url.endsWith('.ts');
const at = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export function entryPoint(name: EntryName): EntryPoint {
  return {
    file: at(`./${name}.${fromSource ? 'ts' : 'js'}`),
    execArgv: fromSource ? ['--import', 'tsx'] : [],
  };
}

/** Both entry points, as openServices takes them. */
export function entryPoints(): { kitWorker: EntryPoint; queryHost: EntryPoint } {
  return { kitWorker: entryPoint('kit-worker'), queryHost: entryPoint('query-host') };
}

/** The package root: holds drizzle.config.ts, the embedded default project. */
export function packageRoot(): string {
  return at(fromSource ? '../..' : '..');
}

/** The bin script a client launches (dist/index.js; from source, the repo's build of it). */
export function binScript(): string {
  return at(fromSource ? '../../dist/index.js' : './index.js');
}
