// Bundles the server into dist/ so the published bin starts fast. The three entry points (the server, the kit
// worker, the query host) share code-split chunks beside them: what start-up needs to answer initialize and
// tools/list is one small graph, and the tools and the domain behind them load after the handshake. tools/list
// itself is computed here, once per mode, and embedded (src/mcp/tool-listing.ts). Native and heavy modules stay
// external: better-sqlite3 cannot be bundled, and drizzle-kit/esbuild are loaded lazily inside the kit worker.
// (tools/list has four variants: read-only or not, with or without the MCP Apps views.)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = ['better-sqlite3', 'drizzle-kit', 'esbuild', 'drizzle-kit/*'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external,
  logLevel: 'warning',
  banner: {
    // esbuild's ESM output has no require(); some bundled CJS dependencies need one.
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
};

mkdirSync('dist', { recursive: true });
for (const file of readdirSync('dist')) rmSync(`dist/${file}`, { recursive: true, force: true });

// The listing comes from the same source the server runs: bundle a tiny program that prints it, run it, delete
// it. It lives in dist/ while it runs so that its external imports resolve from this package.
const generator = 'dist/.tool-listing.mjs';
await build({
  ...common,
  stdin: {
    contents: `import { listingKey, listTools } from './src/tools/listing.ts';
      import { ALL_TOOLS } from './src/tools/index.ts';
      const variants = [false, true].flatMap((readOnly) => [false, true].map((apps) => ({ readOnly, apps })));
      process.stdout.write(JSON.stringify(Object.fromEntries(variants.map((v) => [listingKey(v), listTools(ALL_TOOLS, v)]))));`,
    resolveDir: '.',
    loader: 'ts',
  },
  outfile: generator,
});
const listings = execFileSync(process.execPath, [generator], { encoding: 'utf8' });
JSON.parse(listings);
rmSync(generator);

await build({
  ...common,
  entryPoints: ['index', 'kit-worker', 'query-host'].map((name) => `src/bin/${name}.ts`),
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  sourcemap: 'linked',
  define: {
    __PACKAGE_VERSION__: JSON.stringify(pkg.version),
    __TOOL_LISTINGS__: JSON.stringify(listings),
  },
});
