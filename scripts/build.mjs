// Bundles the server into dist/ so the published bin starts fast (one file to parse, no module graph walk).
// Native and heavy modules stay external: better-sqlite3 cannot be bundled, and drizzle-kit/esbuild are loaded
// lazily inside the kit worker only when a tool needs them.
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';

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

// Each entry is a self-contained bundle next to the others, so entry-points.ts finds its siblings by name.
const entries = ['index', 'kit-worker', 'query-host'].filter((name) => existsSync(`src/${name}.ts`));
await Promise.all(
  entries.map((name) => build({ ...common, entryPoints: [`src/${name}.ts`], outfile: `dist/${name}.js` })),
);
