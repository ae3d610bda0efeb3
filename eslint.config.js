import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

// The layers, outermost first. A folder may import from its own layer and the ones below it, never from one
// above: the process edge (bin) → MCP wiring (mcp) → the tool adapters (tools) → the procedures and the
// composition root (app) → the domain → SQL text (sql) → leaf utilities (core). src/db is the embedded example
// app's schema, which the server manages but never imports.
const LAYERS = [
  ['bin'],
  ['mcp'],
  ['tools'],
  ['app'],
  ['audit', 'consent', 'guard', 'migrations', 'project', 'query', 'review', 'schema-edit', 'sqlite', 'views'],
  ['sql'],
  ['core'],
];
const DOMAIN = LAYERS[4];
const layerZones = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(0, index).flat();
  return layer.map((folder) => ({
    target: `src/${folder}`,
    from: [...above, 'db'].map((name) => `src/${name}`),
    message: `src/${folder} may not import from a layer above it (bin → mcp → tools → app → domain → sql → core).`,
  }));
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'drizzle/**',
      'data/**',
      'bench/.cache/**',
      'bench/results/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      // Imports name the emitted .js file (NodeNext); the source is the .ts beside it. Without these the import
      // rules resolve and parse nothing, and pass vacuously (no-cycle did, until the layer rule showed it).
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.json'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    rules: { 'import-x/no-restricted-paths': ['error', { zones: layerZones }] },
  },
  {
    // stdout is the JSON-RPC channel: only the logger and the stdout guard may write to the console.
    files: ['src/**/*.ts'],
    ignores: ['src/core/logger.ts', 'src/bin/stdout-guard.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Only the MCP wiring and the process edge speak MCP: a move to SDK v2 touches those two folders.
    files: ['src/**/*.ts'],
    ignores: ['src/mcp/**', 'src/bin/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@modelcontextprotocol/*'] }] },
  },
  {
    // Below the process edge nothing reads process: config, paths and streams are handed in.
    files: [...['app', 'tools', 'sql', ...DOMAIN].map((folder) => `src/${folder}/**`), 'src/core/**'],
    ignores: ['src/core/logger.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Only the process edge (src/bin) reads process; receive what you need.' },
      ],
    },
  },
);
