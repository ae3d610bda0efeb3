// Bundles the server into dist/ so the published bin starts fast (one file to parse, no module graph walk).
// Native and heavy modules stay external: better-sqlite3 cannot be bundled, and drizzle-kit/esbuild are loaded
// lazily inside the kit worker only when a tool needs them.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = ['better-sqlite3', 'drizzle-kit', 'esbuild', 'drizzle-kit/*'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  external,
  logLevel: 'warning',
  define: { __PACKAGE_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    // esbuild's ESM output has no require(); some bundled CJS dependencies need one.
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
};

await build({
  ...common,
  entryPoints: {
    index: 'src/index.ts',
    'kit-worker': 'src/project/kit-worker.ts',
    'query-host': 'src/query/query-host.ts',
  },
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
});
